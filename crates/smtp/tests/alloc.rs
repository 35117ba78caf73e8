//! Parsing commands allocates nothing in the steady state (counted by a global allocator).
// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use mailwire_smtp::{Bytes, Command};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn parsing_commands_does_not_allocate() {
    let mut stream = Vec::new();
    for i in 0..1000 {
        stream.extend_from_slice(format!("EHLO client{i}.example.org\r\n").as_bytes());
        stream.extend_from_slice(
            b"MAIL FROM:<sender@example.org> SIZE=12345 BODY=8BITMIME RET=HDRS ENVID=QQ314159\r\n",
        );
        stream.extend_from_slice(
            b"RCPT TO:<rcpt@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;rcpt@example.net\r\n",
        );
        stream.extend_from_slice(b"DATA\r\nRSET\r\nBDAT 100 LAST\r\nNOOP\r\nQUIT\r\n");
    }
    let input = Bytes::from(stream);
    // warm up once (the first slice of a Bytes built from a Vec makes it shared), then count
    assert_eq!(parse_all(&input), 8000);
    let region = Region::new(GLOBAL);
    let n = parse_all(&input);
    let stats = region.change();
    assert_eq!(n, 8000);
    assert_eq!(
        stats.allocations + stats.reallocations,
        0,
        "allocations while parsing {n} commands"
    );
}

fn parse_all(input: &Bytes) -> usize {
    let mut rest = input.clone();
    let mut n = 0;
    while let Some((cmd, used)) = Command::decode(&rest) {
        std::hint::black_box(&cmd.unwrap());
        rest = rest.slice(used..);
        n += 1;
    }
    n
}
