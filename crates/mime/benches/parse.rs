//! Throughput of mailwire-mime: parse only and parse plus every header and body decoded, on
//! a 10 MB multipart, a header-heavy message and the `CPython` corpus; and hostile inputs
//! (deep nesting, many parts, many RFC 2231 sections, a huge header), which must stay linear.
//! Head-to-head rows against other parsers live in `bench-peers/`.
#![allow(missing_docs)]

mod inputs;

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire_mime::{Message, MimeLimits};

fn bench(c: &mut Criterion) {
    let cases = inputs::cases();
    for (name, msgs) in &cases {
        let total: usize = msgs.iter().map(Bytes::len).sum();
        let mut g = c.benchmark_group(*name);
        g.throughput(Throughput::Bytes(total as u64));
        g.bench_function("parse", |b| {
            b.iter(|| {
                for m in msgs {
                    black_box(Message::parse(m.clone()).part_count());
                }
            });
        });
        g.bench_function("parse_decode_all", |b| {
            b.iter(|| {
                for m in msgs {
                    black_box(inputs::decode_everything(&Message::parse(m.clone())));
                }
            });
        });
        // what an IMAP server computes per message: BODYSTRUCTURE and ENVELOPE
        g.bench_function("parse_bodystructure_envelope", |b| {
            b.iter(|| {
                for m in msgs {
                    let msg = Message::parse(m.clone());
                    black_box(mailwire_mime::imap::body_structure(msg.root()).len());
                    black_box(mailwire_mime::imap::envelope(msg.root()).len());
                }
            });
        });
        g.finish();
    }
    let limits = MimeLimits { max_parts: 250_000, max_depth: 100, ..MimeLimits::DEFAULT };
    let hostile = [
        ("deep_nesting_5000", inputs::deep_nesting(5000)),
        ("parts_200000", inputs::many_parts(200_000)),
        ("rfc2231_20000_sections", inputs::many_rfc2231_sections(20_000)),
        ("header_10mb", inputs::huge_header(10_000_000)),
    ];
    let mut g = c.benchmark_group("hostile");
    for (name, input) in hostile {
        let input = Bytes::from(input);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(Message::parse_with(input.clone(), limits).part_count()));
        });
    }
    // the same many-parts input under the default limits (50 000 parts, then epilogue text)
    let input = Bytes::from(inputs::many_parts(200_000));
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("parts_200000_default_limits", |b| {
        b.iter(|| black_box(Message::parse(input.clone()).part_count()));
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
