//! The parsers of `benches/smtp.rs` on the same inputs, run once each for an instruction
//! counter (`valgrind --tool=callgrind --toggle-collect='*run_*'`), which is steadier than
//! wall time on a loaded machine. `cargo bench --bench count -- GROUP PARSER` with GROUP one
//! of `commands`, `ehlo`, `replies`, `data`, `rset`, `ehlo_cmd`, `mail`, `rcpt` and PARSER
//! `mailwire` or `smtp-proto`; with PARSER `time`, both parsers are timed alternately and
//! the best of 30 runs of each is printed (nanoseconds per item, and the speed ratio).
// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(missing_docs, clippy::print_stdout, clippy::cast_precision_loss)]
#![allow(clippy::disallowed_methods, reason = "a bench reads the clock to time itself")]

use std::hint::black_box;

use mailwire_smtp::{Bytes, Capabilities, Command, Reply};

mod common;
use common::{COMMAND_KINDS, EHLO, command_kind, commands, replies};

#[inline(never)]
fn run_mailwire_commands(input: &Bytes) -> usize {
    let mut pos = 0;
    let mut n = 0usize;
    while let Some((end, next)) = Command::line_at(input, pos) {
        black_box(Command::parse_in(input, pos, end).is_ok());
        pos = next;
        n += 1;
    }
    n
}

#[inline(never)]
fn run_proto_commands(input: &Bytes) -> usize {
    let mut it = input.iter();
    let mut n = 0usize;
    while it.len() > 0 {
        black_box(smtp_proto::Request::parse(&mut it).is_ok());
        n += 1;
    }
    n
}

#[inline(never)]
fn run_mailwire_ehlo(input: &Bytes, times: usize) -> usize {
    for _ in 0..times {
        let (caps, _, _) = Capabilities::parse(input, 1000).unwrap().unwrap();
        black_box(caps);
    }
    times
}

#[inline(never)]
fn run_proto_ehlo(input: &Bytes, times: usize) -> usize {
    for _ in 0..times {
        black_box(smtp_proto::EhloResponse::parse(&mut input.iter()).unwrap());
    }
    times
}

#[inline(never)]
fn run_mailwire_replies(input: &Bytes) -> usize {
    let mut pos = 0;
    let mut n = 0usize;
    while let Some((reply, next)) = Reply::parse_at(input, pos, 1000).unwrap() {
        black_box(reply);
        pos = next;
        n += 1;
    }
    n
}

#[inline(never)]
fn run_proto_replies(input: &Bytes) -> usize {
    let mut it = input.iter();
    let mut n = 0usize;
    let mut rx = smtp_proto::response::parser::ResponseReceiver::default();
    while it.len() > 0 {
        black_box(rx.parse(&mut it).unwrap());
        rx.reset();
        n += 1;
    }
    n
}

fn input(group: &str) -> Bytes {
    match group {
        "commands" => commands(),
        "ehlo" => Bytes::from_static(EHLO),
        "replies" => replies(),
        // the EHLO command kind is "ehlo_cmd" here: "ehlo" is the reply group
        kind => {
            let kind = if kind == "ehlo_cmd" { "ehlo" } else { kind };
            let (_, line) = COMMAND_KINDS
                .iter()
                .find(|(name, _)| *name == kind)
                .unwrap_or_else(|| panic!("unknown group {group}"));
            command_kind(line)
        }
    }
}

fn run(group: &str, input: &Bytes, mw: bool) -> usize {
    match (group, mw) {
        ("ehlo", true) => run_mailwire_ehlo(input, 10_000),
        ("ehlo", false) => run_proto_ehlo(input, 10_000),
        ("replies", true) => run_mailwire_replies(input),
        ("replies", false) => run_proto_replies(input),
        (_, true) => run_mailwire_commands(input),
        (_, false) => run_proto_commands(input),
    }
}

fn time(group: &str) {
    use std::time::Instant;
    let (mut best_mw, mut best_proto, mut n) = (f64::MAX, f64::MAX, 0);
    let input = input(group);
    for _ in 0..30 {
        for mw in [true, false] {
            let t = Instant::now();
            n = run(group, &input, mw);
            let ns = t.elapsed().as_nanos() as f64 / n as f64;
            let best = if mw { &mut best_mw } else { &mut best_proto };
            *best = best.min(ns);
        }
    }
    println!(
        "{group}: mailwire {best_mw:.1} ns, smtp-proto {best_proto:.1} ns per item ({n} items), \
         speed ratio {:.2}",
        best_proto / best_mw
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let group = args.first().map_or("commands", String::as_str);
    let parser = args.get(1).map_or("mailwire", String::as_str);
    if parser == "time" {
        time(group);
        return;
    }
    let n = run(group, &input(group), parser == "mailwire");
    assert!(n > 0, "{group} {parser}: nothing parsed");
}
