//! Command and reply parsing, with a row for `smtp-proto` on the same input in each group.
// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire_smtp::{Bytes, Capabilities, Command, Reply};

mod common;
use common::{COMMAND_KINDS, EHLO, command_kind, commands, replies};

fn bench_commands(c: &mut Criterion) {
    let input = commands();
    let mut g = c.benchmark_group("commands_100k");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("mailwire", |b| {
        b.iter(|| {
            let mut pos = 0;
            let mut n = 0usize;
            while let Some((end, next)) = Command::line_at(&input, pos) {
                black_box(Command::parse_in(&input, pos, end).is_ok());
                pos = next;
                n += 1;
            }
            assert_eq!(n, 100_000);
        });
    });
    g.bench_function("smtp-proto", |b| {
        b.iter(|| {
            let mut it = input.iter();
            let mut n = 0usize;
            while it.len() > 0 {
                black_box(smtp_proto::Request::parse(&mut it).is_ok());
                n += 1;
            }
            assert_eq!(n, 100_000);
        });
    });
    g.finish();
}

fn bench_ehlo(c: &mut Criterion) {
    let input = Bytes::from_static(EHLO);
    let mut g = c.benchmark_group("ehlo_reply");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("mailwire", |b| {
        b.iter(|| {
            let (caps, _, _) = Capabilities::parse(&input, 1000).unwrap().unwrap();
            black_box(caps)
        });
    });
    g.bench_function("smtp-proto", |b| {
        b.iter(|| black_box(smtp_proto::EhloResponse::parse(&mut input.iter()).unwrap()));
    });
    g.finish();
}

fn bench_replies(c: &mut Criterion) {
    let input = replies();
    let mut g = c.benchmark_group("replies_50k");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("mailwire", |b| {
        b.iter(|| {
            let mut pos = 0;
            let mut n = 0usize;
            while let Some((reply, next)) = Reply::parse_at(&input, pos, 1000).unwrap() {
                black_box(reply);
                pos = next;
                n += 1;
            }
            assert_eq!(n, 50_000);
        });
    });
    g.bench_function("smtp-proto", |b| {
        b.iter(|| {
            let mut it = input.iter();
            let mut n = 0usize;
            let mut rx = smtp_proto::response::parser::ResponseReceiver::default();
            while it.len() > 0 {
                black_box(rx.parse(&mut it).unwrap());
                rx.reset();
                n += 1;
            }
            assert_eq!(n, 50_000);
        });
    });
    g.finish();
}

/// One command kind at a time (20,000 lines each), to show where the mixed figure comes from.
fn bench_command_kinds(c: &mut Criterion) {
    let mut g = c.benchmark_group("command_kind_20k");
    for (name, line) in COMMAND_KINDS {
        let input = command_kind(line);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(format!("{name}/mailwire"), |b| {
            b.iter(|| {
                let mut pos = 0;
                while let Some((end, next)) = Command::line_at(&input, pos) {
                    black_box(Command::parse_in(&input, pos, end).is_ok());
                    pos = next;
                }
            });
        });
        g.bench_function(format!("{name}/smtp-proto"), |b| {
            b.iter(|| {
                let mut it = input.iter();
                while it.len() > 0 {
                    black_box(smtp_proto::Request::parse(&mut it).is_ok());
                }
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench_commands, bench_command_kinds, bench_ehlo, bench_replies);
criterion_main!(benches);
