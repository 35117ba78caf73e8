//! mailwire-mime against mail-parser and mailparse, same inputs, same run: parse only, and
//! parse plus every header and every body decoded.
#![allow(missing_docs)]

#[path = "../../benches/inputs/mod.rs"]
mod inputs;

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn mail_parser_all(m: &[u8]) -> usize {
    let Some(msg) = mail_parser::MessageParser::default().parse(m) else { return 0 };
    let mut n = 0;
    for p in msg.parts() {
        for h in p.headers() {
            n += match h.value() {
                mail_parser::HeaderValue::Text(t) => t.len(),
                mail_parser::HeaderValue::TextList(l) => l.len(),
                mail_parser::HeaderValue::Address(a) => a.iter().count(),
                _ => 1,
            };
        }
        n += p.decoded().len();
    }
    n
}

fn mailparse_all(m: &[u8]) -> usize {
    let Ok(msg) = mailparse::parse_mail(m) else { return 0 };
    let mut n = 0;
    let mut stack = vec![&msg];
    while let Some(p) = stack.pop() {
        for h in &p.headers {
            n += h.get_value().len();
        }
        n += p.get_body_raw().map_or(0, |b| b.len());
        stack.extend(p.subparts.iter());
    }
    n
}

fn bench(c: &mut Criterion) {
    let cases = inputs::cases();
    for (name, msgs) in &cases {
        let total: usize = msgs.iter().map(Bytes::len).sum();
        let mut g = c.benchmark_group(*name);
        g.throughput(Throughput::Bytes(total as u64));
        g.bench_function("parse/mailwire-mime", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|m| mailwire_mime::Message::parse(m.clone()).part_count())
                    .sum::<usize>()
            });
        });
        g.bench_function("parse/mail-parser", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|m| {
                        mail_parser::MessageParser::default()
                            .parse(&m[..])
                            .map_or(0, |x| x.parts().len())
                    })
                    .sum::<usize>()
            });
        });
        g.bench_function("parse/mailparse", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|m| mailparse::parse_mail(m).map_or(0, |x| x.subparts.len()))
                    .sum::<usize>()
            });
        });
        g.bench_function("all/mailwire-mime", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|m| {
                        black_box(inputs::decode_everything(&mailwire_mime::Message::parse(
                            m.clone(),
                        )))
                    })
                    .sum::<usize>()
            })
        });
        // the same with an owned value per decoded field and body
        g.bench_function("all-owned/mailwire-mime", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|m| {
                        black_box(inputs::decode_everything_owned(&mailwire_mime::Message::parse(
                            m.clone(),
                        )))
                    })
                    .sum::<usize>()
            })
        });
        g.bench_function("all/mail-parser", |b| {
            b.iter(|| msgs.iter().map(|m| black_box(mail_parser_all(m))).sum::<usize>())
        });
        g.bench_function("all/mailparse", |b| {
            b.iter(|| msgs.iter().map(|m| black_box(mailparse_all(m))).sum::<usize>())
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
