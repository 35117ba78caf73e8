//! Heap allocations per message, counted by dhat, for mailwire-mime, mail-parser and
//! mailparse on the same inputs: parse only, and parse plus every header and body decoded.
//! Run with `cargo bench --ignore-rust-version --bench allocs`.
#![allow(missing_docs, clippy::print_stdout)]

#[path = "../../benches/inputs/mod.rs"]
mod inputs;

use std::hint::black_box;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn count(f: impl Fn()) -> u64 {
    let before = dhat::HeapStats::get().total_blocks;
    f();
    dhat::HeapStats::get().total_blocks - before
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let cases = inputs::cases();
    println!(
        "allocations per message (parse / parse + decode everything; mailwire-mime's field \
         values through one reused buffer, and with an owned string per decoded value)"
    );
    for (name, msgs) in &cases {
        let n = msgs.len() as u64;
        let mw_parse = count(|| {
            for m in msgs {
                black_box(mailwire_mime::Message::parse(m.clone()).part_count());
            }
        });
        let mw_all = count(|| {
            for m in msgs {
                black_box(inputs::decode_everything(&mailwire_mime::Message::parse(m.clone())));
            }
        });
        let mw_owned = count(|| {
            for m in msgs {
                black_box(inputs::decode_everything_owned(&mailwire_mime::Message::parse(
                    m.clone(),
                )));
            }
        });
        let mp_parse = count(|| {
            for m in msgs {
                black_box(
                    mail_parser::MessageParser::default().parse(&m[..]).map(|x| x.parts().len()),
                );
            }
        });
        let mp_all = count(|| {
            for m in msgs {
                if let Some(msg) = mail_parser::MessageParser::default().parse(&m[..]) {
                    for p in msg.parts() {
                        for h in p.headers() {
                            black_box(h.value());
                        }
                        black_box(p.decoded().len());
                    }
                }
            }
        });
        let ms_parse = count(|| {
            for m in msgs {
                black_box(mailparse::parse_mail(m).map(|x| x.subparts.len()).ok());
            }
        });
        let ms_all = count(|| {
            for m in msgs {
                if let Ok(msg) = mailparse::parse_mail(m) {
                    let mut stack = vec![&msg];
                    while let Some(p) = stack.pop() {
                        for h in &p.headers {
                            black_box(h.get_value());
                        }
                        black_box(p.get_body_raw().map(|b| b.len()).ok());
                        stack.extend(p.subparts.iter());
                    }
                }
            }
        });
        println!(
            "{name:16} mailwire-mime {:>6.1} / {:>6.1} (owned strings {:>6.1})   mail-parser {:>6.1} / {:>6.1}   mailparse {:>6.1} / {:>6.1}",
            mw_parse as f64 / n as f64,
            mw_all as f64 / n as f64,
            mw_owned as f64 / n as f64,
            mp_parse as f64 / n as f64,
            mp_all as f64 / n as f64,
            ms_parse as f64 / n as f64,
            ms_all as f64 / n as f64,
        );
    }
}
