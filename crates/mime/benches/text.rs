//! Header text decoding alone (no parsing): every field of the header-heavy message, and
//! single values that are full of encoded words, plain but folded, or raw 8-bit.
#![allow(missing_docs)]

mod inputs;

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire_mime::Message;
use mailwire_mime::address::parse_address_list;
use mailwire_mime::text::{Context, TextOptions, decode_in, decode_text};

fn bench(c: &mut Criterion) {
    let msg = Message::parse(Bytes::from(inputs::header_heavy()));
    let root = msg.root();
    let fields: Vec<_> = root.fields().collect();
    let total: usize = fields.iter().map(|f| f.raw_value().len()).sum();
    let mut g = c.benchmark_group("header_text");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("header_heavy_fields", |b| {
        b.iter(|| fields.iter().map(|f| black_box(f.text()).len()).sum::<usize>());
    });
    g.finish();

    let mut words = Vec::new();
    for i in 0..8 {
        words.extend_from_slice(
            format!(
                "=?utf-8?Q?R=C3=A9union_{i}?= =?iso-8859-1?Q?Gr=FC=DFe?= =?utf-8?B?5bGx55Sw?=\r\n "
            )
            .as_bytes(),
        );
    }
    let folded = b" from mx1.example.net (mx.example.net [192.0.2.1]) by mail.example.org\r\n with ESMTPS id abc123; Thu, 20 Feb 2025 12:00:00 +0000\r\n (envelope-from <someone@example.net>)".to_vec();
    let raw8 = b"Caf\xe9 cr\xe8me br\xfbl\xe9e \xe0 la fran\xe7aise, d\xe9j\xe0 vu".to_vec();
    let mut g = c.benchmark_group("decode_text");
    for (name, v) in [("encoded_words", &words), ("plain_folded", &folded), ("raw_8bit", &raw8)] {
        g.throughput(Throughput::Bytes(v.len() as u64));
        g.bench_function(name, |b| b.iter(|| decode_text(black_box(v), TextOptions::default())));
        g.bench_function(format!("{name}/strict"), |b| {
            b.iter(|| decode_in(black_box(v), Context::Unstructured, TextOptions::STRICT));
        });
    }
    g.finish();

    let to = b"=?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>, =?iso-8859-2?Q?Pawe=B3?= <pawel@example.pl>,\r\n =?utf-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>";
    let mut g = c.benchmark_group("address_list");
    g.throughput(Throughput::Bytes(to.len() as u64));
    g.bench_function("encoded_names", |b| b.iter(|| parse_address_list(black_box(to))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
