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
    let one = |line: &[u8]| Bytes::from(line.repeat(20_000));
    match group {
        "commands" => commands(),
        "data" => one(b"DATA\r\n"),
        "rset" => one(b"RSET\r\n"),
        "ehlo_cmd" => one(b"EHLO client1.example.org\r\n"),
        "mail" => one(b"MAIL FROM:<sender1@example.org> SIZE=12345 BODY=8BITMIME\r\n"),
        "rcpt" => one(b"RCPT TO:<rcpt1@example.net>\r\n"),
        "ehlo" => Bytes::from_static(EHLO),
        "replies" => replies(),
        _ => panic!("unknown group {group}"),
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
