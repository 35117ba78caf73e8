//! A RETR of a large message never sits in the client machine's memory whole: the bytes it
//! holds stay bounded by a few input chunks, whatever the message size.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation, reason = "test code")]

use mailwire_core::{Protocol, Secret, Security};
use mailwire_pop3::{Client, ClientConfig, ClientEvent, MsgNum, Text, Word};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

#[test]
fn retr_memory_is_bounded() {
    let mut body = Vec::new();
    for i in 0..140_000u32 {
        if i % 9 == 0 {
            body.extend_from_slice(b".");
        }
        body.extend_from_slice(
            format!("line {i:08} of a large message, padded to a normal length\r\n").as_bytes(),
        );
    }
    let mut wire = b"+OK\r\n".to_vec();
    wire.extend_from_slice(&mailwire_core::DotStuffer::encode_all(&body));
    let cfg = ClientConfig::default().with_plaintext_credentials(true);
    let mut c = Client::new(cfg, Security::Tls);
    c.handle_input(b"+OK ready\r\n");
    c.user(Word::new("u").unwrap()).unwrap();
    c.handle_input(b"+OK\r\n");
    c.pass(Secret::new(Text::new("p").unwrap())).unwrap();
    c.handle_input(b"+OK\r\n");
    while c.poll_event().is_some() {}
    c.retr(MsgNum::new(1).unwrap()).unwrap();
    let region = Region::new(GLOBAL);
    let mut peak = 0usize;
    let mut got = 0usize;
    for chunk in wire.chunks(16 * 1024) {
        c.handle_input(chunk);
        let s = region.change();
        peak = peak.max(s.bytes_allocated.saturating_sub(s.bytes_deallocated));
        while let Some(e) = c.poll_event() {
            if let ClientEvent::Body { chunk, .. } = e {
                got += chunk.len();
            }
        }
    }
    assert_eq!(got, body.len());
    assert!(body.len() > 8_000_000);
    assert!(peak < 256 * 1024, "peak {peak} octets for a {} octet message", body.len());
}
