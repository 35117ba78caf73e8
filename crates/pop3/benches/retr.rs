//! RETR of a 10 MB message through the client machine, fed in 16 KiB chunks as a socket would
//! deliver it; throughput in bytes/s, and the peak memory the machine holds while doing it.
//!
//! Rows: the whole client machine (framing, status, dot-unstuffing, body events), and the
//! core dot-unstuffer alone on the same bytes (the floor the machine adds its overhead to).
//! No other Rust POP3 library streams RETR bodies, so there is no peer row.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "bench code"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire_core::{BareLineEndings, BytesMut, DotUnstuffer, Protocol, Secret, Security};
use mailwire_pop3::{Client, ClientConfig, ClientEvent, MsgNum, Text, Word};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const SIZE: usize = 10 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;

/// A 10 MB message of 76-column lines, one in 16 starting with a dot, as the server sends it.
fn wire() -> (Vec<u8>, usize) {
    let mut body = Vec::with_capacity(SIZE + 100);
    let mut i = 0u64;
    while body.len() < SIZE {
        if i.is_multiple_of(16) {
            body.push(b'.');
        }
        body.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, 74));
        body.extend_from_slice(b"\r\n");
        i += 1;
    }
    let mut w = b"+OK message follows\r\n".to_vec();
    w.extend_from_slice(&mailwire_core::DotStuffer::encode_all(&body));
    (w, body.len())
}

fn logged_in() -> Client {
    let cfg = ClientConfig::default().with_plaintext_credentials(true);
    let mut c = Client::new(cfg, Security::Tls);
    c.handle_input(b"+OK ready\r\n");
    c.user(Word::new("u").unwrap()).unwrap();
    c.handle_input(b"+OK\r\n");
    c.pass(Secret::new(Text::new("p").unwrap())).unwrap();
    c.handle_input(b"+OK\r\n");
    while c.poll_event().is_some() {}
    while c.poll_transmit().is_some() {}
    c
}

/// One RETR; returns the body length and the most bytes held at once (sampled after every
/// chunk, before the application takes its events).
fn retr(c: &mut Client, wire: &[u8], measure: bool) -> (usize, usize) {
    c.retr(MsgNum::new(1).unwrap()).unwrap();
    while c.poll_transmit().is_some() {}
    let region = Region::new(GLOBAL);
    let mut peak = 0usize;
    let mut total = 0;
    for chunk in wire.chunks(CHUNK) {
        c.handle_input(chunk);
        if measure {
            let s = region.change();
            peak = peak.max(s.bytes_allocated.saturating_sub(s.bytes_deallocated));
        }
        while let Some(e) = c.poll_event() {
            if let ClientEvent::Body { chunk, .. } = e {
                total += black_box(chunk).len();
            }
        }
    }
    (total, peak)
}

fn bench(cr: &mut Criterion) {
    let (wire, body_len) = wire();
    let mut c = logged_in();
    let (got, peak) = retr(&mut c, &wire, true);
    assert_eq!(got, body_len);
    println!(
        "retr_10MB: body {body_len} octets in {CHUNK}-octet chunks; peak memory held by the client machine: {peak} octets ({:.1} KiB)",
        peak as f64 / 1024.0
    );
    let mut g = cr.benchmark_group("pop3_retr_10MB_16KiB_chunks");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.sample_size(10);
    g.bench_function("mailwire_pop3_client", |b| {
        b.iter(|| {
            let (n, _) = retr(&mut c, &wire, false);
            assert_eq!(n, body_len);
        });
    });
    let body_wire = &wire[b"+OK message follows\r\n".len()..];
    g.bench_function("mailwire_core_dot_unstuffer_alone", |b| {
        b.iter(|| {
            let mut d = DotUnstuffer::new(BareLineEndings::Keep);
            let mut n = 0;
            for chunk in body_wire.chunks(CHUNK) {
                let mut out = BytesMut::with_capacity(chunk.len());
                let _ = d.decode(chunk, &mut out);
                n += black_box(out).len();
            }
            assert_eq!(n, body_len);
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
