//! Command and reply parsing, with a row for `smtp-proto` on the same input in each group.
// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire_smtp::{Bytes, Capabilities, Command, Reply};

fn commands() -> Bytes {
    let mut s = Vec::new();
    for i in 0..20_000 {
        s.extend_from_slice(format!("EHLO client{i}.example.org\r\n").as_bytes());
        s.extend_from_slice(
            format!("MAIL FROM:<sender{i}@example.org> SIZE=12345 BODY=8BITMIME\r\n").as_bytes(),
        );
        s.extend_from_slice(format!("RCPT TO:<rcpt{i}@example.net>\r\n").as_bytes());
        s.extend_from_slice(b"DATA\r\nRSET\r\n");
    }
    Bytes::from(s)
}

const EHLO: &[u8] = b"250-mx.example.org Hello client.example.org [192.0.2.1]\r\n\
250-PIPELINING\r\n250-SIZE 35882577\r\n250-ETRN\r\n250-STARTTLS\r\n\
250-AUTH PLAIN LOGIN XOAUTH2\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n\
250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";

fn replies() -> Bytes {
    let mut s = Vec::new();
    for _ in 0..10_000 {
        s.extend_from_slice(b"250 2.1.0 Ok\r\n");
        s.extend_from_slice(
            b"550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown\r\n",
        );
        s.extend_from_slice(b"354 End data with <CR><LF>.<CR><LF>\r\n");
        s.extend_from_slice(
            b"250-first line of a multi-line reply\r\n250-second line\r\n250 2.0.0 last\r\n",
        );
        s.extend_from_slice(b"451 4.7.1 Greylisted, try again later\r\n");
    }
    Bytes::from(s)
}

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
    let kinds: [(&str, &[u8]); 4] = [
        ("data", b"DATA\r\n"),
        ("ehlo", b"EHLO client1.example.org\r\n"),
        ("mail", b"MAIL FROM:<sender1@example.org> SIZE=12345 BODY=8BITMIME\r\n"),
        ("rcpt", b"RCPT TO:<rcpt1@example.net>\r\n"),
    ];
    for (name, line) in kinds {
        let input = Bytes::from(line.repeat(20_000));
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
