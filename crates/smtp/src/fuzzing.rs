//! Fuzz target bodies, public so that the fuzz crate and stable tests run the same code.
//! Each asserts invariants, not only the absence of panics. Not part of the stable API.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "fuzz bodies report a broken invariant by panicking"
)]

use bytes::Bytes;
use mailwire_core::{Limits, Protocol, Secret};

use crate::client::{ClientConfig, ClientEvent, SmtpClient};
use crate::command::Command;
use crate::ehlo::Capabilities;
use crate::params::{MailParams, RcptParams};
use crate::reply::Reply;
use crate::server::{ServerConfig, ServerEvent, SmtpServer};
use crate::types::{Domain, ForwardPath, Keyword, LocalPart, Mailbox, ReversePath, Text, XText};

/// The command parser: anything that parses re-encodes to a line that parses to the same
/// value; the line decoder finds the same command with trailing bytes after it.
pub fn command(data: &[u8]) {
    let line = Bytes::copy_from_slice(data);
    // the one-pass parser of common shapes agrees with the general parser
    assert_eq!(Command::parse(&line), Command::parse_general_only(&line), "fast path differs");
    if let Ok(cmd) = Command::parse(&line) {
        let wire = cmd.to_bytes();
        assert!(wire.ends_with(b"\r\n"));
        assert_eq!(memchr::memchr(b'\n', &wire), Some(wire.len() - 1), "one line only");
        let again = Command::parse(&wire.slice(..wire.len() - 2)).expect("re-encoding parses");
        assert_eq!(again, cmd);
    }
    let mut framed = data.to_vec();
    if !framed.contains(&b'\n') {
        framed.extend_from_slice(b"\r\nNOOP\r\n");
        let framed = Bytes::from(framed);
        let (first, used) = Command::decode(&framed).expect("a complete line");
        assert_eq!(used, data.len() + 2);
        assert_eq!(first, Command::parse(&line));
    }
}

/// The reply parser: a parsed reply re-encodes to bytes that parse to the same reply; an
/// incomplete input stays incomplete when cut shorter; capabilities never panic.
pub fn reply(data: &[u8]) {
    let input = Bytes::copy_from_slice(data);
    // the one-pass capabilities parser agrees with a parsed reply read afterwards
    let caps = Capabilities::parse(&input, 50);
    let via_reply = Reply::parse(&input, 50)
        .map(|r| r.map(|(r, used)| (Capabilities::from_reply(&r), r.code(), used)));
    assert_eq!(caps, via_reply, "capabilities differ");
    if let Ok(Some((reply, used))) = Reply::parse(&input, 50) {
        {
            assert!(used <= data.len());
            let wire = reply.to_bytes();
            let (again, n) = Reply::parse(&wire, 50).unwrap().unwrap();
            assert_eq!(n, wire.len());
            assert_eq!(again, reply);
            let caps = Capabilities::from_reply(&reply);
            let _ = caps.to_reply();
            // cut before its last octet, the reply is incomplete, never another reply
            if used > 0 {
                let cut = input.slice(..used - 1);
                assert!(!matches!(Reply::parse(&cut, 50), Ok(Some(_))));
            }
        }
    }
}

/// Builds a command from fuzz bytes through the validating constructors, then checks that it
/// encodes to one line that decodes to the same command.
pub fn command_round_trip(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else { return };
    let half = rest.len() / 2;
    let (a, b) = rest.split_at(half);
    let text = |x: &[u8]| {
        Text::new(Bytes::copy_from_slice(x)).ok().filter(|t| {
            !t.is_empty()
                && !t.as_bytes().starts_with(b" ")
                && !t.as_bytes().ends_with(b" ")
                && !t.as_bytes().ends_with(b"\t")
                && !t.as_bytes().starts_with(b"\t")
        })
    };
    let domain = |x: &[u8]| Domain::new(Bytes::copy_from_slice(x)).ok();
    let mailbox = || {
        let local = LocalPart::from_text(&String::from_utf8_lossy(a)).ok()?;
        Some(Mailbox::new(&local, &domain(b)?))
    };
    let cmd = match kind % 12 {
        0 => Command::Ehlo(match domain(rest) {
            Some(d) => d,
            None => return,
        }),
        1 => Command::Helo(match domain(rest) {
            Some(d) => d,
            None => return,
        }),
        2 => {
            let Some(m) = mailbox() else { return };
            let params = MailParams {
                size: Some(u64::from(kind)),
                envid: XText::encode(a).ok(),
                ..MailParams::default()
            };
            Command::Mail { from: ReversePath::Mailbox(m), params }
        }
        3 => {
            let Some(m) = mailbox() else { return };
            let mut params = RcptParams::default();
            params.orcpt = XText::encode(b).ok().map(|addr| crate::params::Orcpt {
                addr_type: Keyword::new(Bytes::from_static(b"rfc822")).unwrap(),
                addr,
            });
            Command::Rcpt { to: ForwardPath::Mailbox(m), params }
        }
        4 => Command::Vrfy(match text(rest) {
            Some(t) => t,
            None => return,
        }),
        5 => Command::Noop(text(rest)),
        6 => Command::Help(text(rest)),
        7 => Command::Bdat { size: rest.len() as u64, last: kind & 0x10 != 0 },
        8 => {
            let Ok(mechanism) = Keyword::new(Bytes::copy_from_slice(a)) else { return };
            Command::Auth { mechanism, initial: None }
        }
        9 => Command::mail(ReversePath::Null),
        10 => Command::Rcpt { to: ForwardPath::Postmaster, params: RcptParams::default() },
        _ => Command::Expn(match text(rest) {
            Some(t) => t,
            None => return,
        }),
    };
    let wire = cmd.to_bytes();
    assert_eq!(memchr::memchr(b'\n', &wire), Some(wire.len() - 1), "one line only: {wire:?}");
    let (decoded, used) = Command::decode(&wire).expect("complete");
    assert_eq!(used, wire.len());
    assert_eq!(decoded.expect("parses"), cmd);
}

fn small_limits() -> Limits {
    Limits::default().with_line_length(200).with_recipients(5).with_message_size(2000)
}

/// A server fed arbitrary bytes, in pieces, with every command accepted: it never panics,
/// everything it writes is well-formed replies, its input buffer stays bounded, and once
/// closed it says nothing more.
pub fn server(data: &[u8]) {
    let Some((&seed, data)) = data.split_first() else { return };
    let mut config = ServerConfig::new(Domain::new(Bytes::from_static(b"mx.example")).unwrap());
    config.limits = small_limits();
    config.lmtp = seed & 0x80 != 0;
    config.capabilities.starttls = true;
    let mut s = SmtpServer::new(config);
    s.accept().unwrap();
    let mut written = Vec::new();
    let step = usize::from(seed % 13) + 1;
    for piece in data.chunks(step) {
        let was_closed = s.is_closed();
        s.handle_input(piece);
        while let Some(ev) = s.poll_event() {
            assert!(!was_closed, "event after close: {ev:?}");
            match ev {
                ServerEvent::Command(Command::Bdat { .. }) => {}
                ServerEvent::Command(_)
                | ServerEvent::AuthResponse(_)
                | ServerEvent::BodyEnd { .. } => {
                    while s.awaiting_reply() {
                        s.accept().unwrap();
                    }
                }
                _ => {}
            }
        }
        while let Some(b) = s.poll_transmit() {
            written.extend_from_slice(&b);
        }
        if s.poll_transport().is_some() && !s.is_closed() {
            s.handle_tls_established();
        }
    }
    // every byte written is a sequence of complete, well-formed replies
    let mut rest = Bytes::from(written);
    while !rest.is_empty() {
        let (_, used) = Reply::parse(&rest, 100).unwrap().expect("complete replies only");
        rest = rest.slice(used..);
    }
}

/// A client after EHLO, fed arbitrary bytes as replies: it never panics, and once closed it
/// emits nothing more.
pub fn client(data: &[u8]) {
    let Some((&seed, data)) = data.split_first() else { return };
    let config =
        ClientConfig { limits: small_limits(), lmtp: seed & 0x80 != 0, ..ClientConfig::default() };
    let mut c = SmtpClient::new(config);
    let step = usize::from(seed % 11) + 1;
    c.handle_input(b"220 mx ESMTP\r\n");
    let _ = c.ehlo(Domain::new(Bytes::from_static(b"client.example")).unwrap());
    let mut closed_seen = false;
    for piece in data.chunks(step) {
        c.handle_input(piece);
        while let Some(ev) = c.poll_event() {
            assert!(!closed_seen, "event after close: {ev:?}");
            if matches!(ev, ClientEvent::ConnectionLost(_) | ClientEvent::Closed) {
                closed_seen = true;
            }
            match ev {
                ClientEvent::Reply { .. } if c.capabilities().is_some() => {
                    let to = ForwardPath::Mailbox(Mailbox::parse("a@b.example").unwrap());
                    let env = crate::client::Envelope::new(ReversePath::Null, [to]);
                    let _ = c.send_mail(env, Some(10));
                }
                ClientEvent::BodyReady { .. } => {
                    c.body_chunk(b"hello\r\n.\r\n").unwrap();
                    c.body_end().unwrap();
                }
                ClientEvent::AuthChallenge { .. } => {
                    let _ =
                        c.auth_response(&Secret::new(Text::new(Bytes::from_static(b"*")).unwrap()));
                }
                _ => {}
            }
        }
        while c.poll_transmit().is_some() {}
        if c.poll_transport().is_some() && !c.is_closed() {
            c.handle_tls_established();
        }
    }
}
