//! Split-point tests: a RETR response cut at every byte position gives the client machine's
//! application the same body, the same events, and leaves the next response intact.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, reason = "test code")]

use mailwire_core::{Protocol, Secret, Security};
use mailwire_pop3::{Client, ClientConfig, ClientEvent, MsgNum, Text, Word};

fn logged_in() -> Client {
    let cfg = ClientConfig::default().with_plaintext_credentials(true);
    let mut c = Client::new(cfg, Security::Tls);
    c.handle_input(b"+OK ready\r\n");
    c.user(Word::new("u").unwrap()).unwrap();
    c.handle_input(b"+OK\r\n");
    c.pass(Secret::new(Text::new("p").unwrap())).unwrap();
    c.handle_input(b"+OK\r\n");
    while c.poll_event().is_some() {}
    c
}

/// Body bytes, number of End events, and the NOOP reply seen after the body.
fn run(wire: &[u8], cuts: &[usize]) -> (Vec<u8>, usize, bool) {
    let mut c = logged_in();
    c.retr(MsgNum::new(1).unwrap()).unwrap();
    c.noop().unwrap();
    let mut last = 0;
    for &cut in cuts.iter().chain(std::iter::once(&wire.len())) {
        c.handle_input(&wire[last..cut]);
        last = cut;
    }
    let mut body = Vec::new();
    let (mut ends, mut noop_ok) = (0, false);
    while let Some(e) = c.poll_event() {
        match e {
            ClientEvent::Body { chunk, .. } => body.extend_from_slice(&chunk),
            ClientEvent::End { .. } => ends += 1,
            ClientEvent::Reply { command: mailwire_pop3::CommandKind::Noop, status, .. } => {
                noop_ok = status.is_ok();
            }
            ClientEvent::ConnectionLost(e) => panic!("{e}"),
            _ => {}
        }
    }
    assert!(!c.is_closed());
    (body, ends, noop_ok)
}

const CASES: &[(&[u8], &[u8])] = &[
    // a body of exactly ".CRLF" (stuffed as "..CRLF")
    (b"+OK\r\n..\r\n.\r\n+OK\r\n", b".\r\n"),
    // a ".." line (stuffed as "...")
    (b"+OK\r\n...\r\n.\r\n+OK\r\n", b"..\r\n"),
    // "." lines and ".." lines among text
    (
        b"+OK 40 octets\r\nSubject: x\r\n\r\n..\r\ntext\r\n...\r\n..end\r\n.\r\n+OK\r\n",
        b"Subject: x\r\n\r\n.\r\ntext\r\n..\r\n.end\r\n",
    ),
    // an empty message
    (b"+OK\r\n.\r\n+OK\r\n", b""),
    // an end marker look-alike inside a line, and LF.LF that must not end the body
    (b"+OK\r\na.b\r\nx\n.\nstill body\r\n.\r\n+OK\r\n", b"a.b\r\nx\n.\nstill body\r\n"),
];

#[test]
fn every_single_split_point() {
    for (wire, body) in CASES {
        for cut in 0..=wire.len() {
            assert_eq!(
                run(wire, &[cut]),
                (body.to_vec(), 1, true),
                "cut at {cut} of {:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }
}

#[test]
fn every_pair_of_split_points() {
    for (wire, body) in CASES {
        for a in 0..=wire.len() {
            for b in a..=wire.len() {
                assert_eq!(run(wire, &[a, b]), (body.to_vec(), 1, true), "cuts {a},{b}");
            }
        }
    }
}

#[test]
fn message_size_limit_bounds_one_body() {
    let limits = mailwire_core::Limits::default().with_message_size(10);
    let cfg = ClientConfig::default().with_plaintext_credentials(true).with_limits(limits);
    let mut c = Client::new(cfg, Security::Tls);
    c.handle_input(b"+OK ready\r\n");
    c.user(Word::new("u").unwrap()).unwrap();
    c.handle_input(b"+OK\r\n");
    c.pass(Secret::new(Text::new("p").unwrap())).unwrap();
    c.handle_input(b"+OK\r\n");
    c.retr(MsgNum::new(1).unwrap()).unwrap();
    c.handle_input(b"+OK\r\n0123456789\r\n.\r\n");
    let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(evs.contains(&ClientEvent::ConnectionLost(
        mailwire_pop3::ConnectionError::MessageTooLarge { limit: 10 }
    )));
    assert!(c.is_closed());
}
