//! Dot-stuffing throughput: mailwire-core's codec against smtp-proto's `DataReceiver` on the
//! same 10 MB body, fed in the same chunks, in one run.
#![allow(missing_docs, reason = "criterion's macros generate undocumented items")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "bench code")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire_core::{BareLineEndings, BytesMut, DotStatus, DotStuffer, DotUnstuffer};

/// A 10 MB message body of mail-like text: 76-column lines, some beginning with a dot,
/// some empty, as a quoted-printable or plain text body looks.
fn body() -> Vec<u8> {
    let mut out = Vec::with_capacity(10 * 1024 * 1024 + 128);
    let words = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit,"];
    let mut i = 0usize;
    while out.len() < 10 * 1024 * 1024 {
        match i % 40 {
            0 => out.extend_from_slice(b".starts with a dot"),
            1 => {}
            _ => {
                let mut line = 0;
                while line < 70 {
                    let w = words[(i * 7 + line) % words.len()];
                    out.extend_from_slice(w.as_bytes());
                    out.push(b' ');
                    line += w.len() + 1;
                }
            }
        }
        out.extend_from_slice(b"\r\n");
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let raw = body();
    let stuffed = DotStuffer::encode_all(&raw).to_vec();
    let chunk = 16 * 1024;

    let mut g = c.benchmark_group("dot_unstuff_10MB");
    g.throughput(Throughput::Bytes(stuffed.len() as u64));
    g.sample_size(20);
    g.bench_function("mailwire", |b| {
        let mut out = BytesMut::with_capacity(stuffed.len());
        b.iter(|| {
            out.clear();
            let mut dec = DotUnstuffer::new(BareLineEndings::Reject);
            for piece in stuffed.chunks(chunk) {
                if let DotStatus::Complete { .. } = dec.decode(piece, &mut out).unwrap() {
                    break;
                }
            }
            black_box(out.len())
        });
    });
    g.bench_function("smtp-proto", |b| {
        let mut out = Vec::with_capacity(stuffed.len());
        b.iter(|| {
            out.clear();
            let mut rx = smtp_proto::request::receiver::DataReceiver::new();
            for piece in stuffed.chunks(chunk) {
                if rx.ingest(&mut piece.iter(), &mut out) {
                    break;
                }
            }
            black_box(out.len())
        });
    });
    g.finish();

    // Both decoders must agree on the body but for one known difference.
    let mut ours = BytesMut::new();
    DotUnstuffer::new(BareLineEndings::Reject).decode(&stuffed, &mut ours).unwrap();
    let mut theirs = Vec::new();
    smtp_proto::request::receiver::DataReceiver::new().ingest(&mut stuffed.iter(), &mut theirs);
    assert_eq!(ours.len(), raw.len(), "mailwire body length");
    assert_eq!(&ours[..], &raw[..]);
    // smtp-proto starts outside the line-start state, so the first line's stuffed dot stays
    assert_eq!(theirs.first(), Some(&b'.'));
    assert_eq!(&theirs[1..], &raw[..]);

    let mut g = c.benchmark_group("dot_stuff_10MB");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.sample_size(20);
    g.bench_function("mailwire", |b| {
        let mut out = BytesMut::with_capacity(stuffed.len() + 16);
        b.iter(|| {
            out.clear();
            let mut enc = DotStuffer::new();
            for piece in raw.chunks(chunk) {
                enc.encode(piece, &mut out);
            }
            enc.finish(&mut out);
            black_box(out.len())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
