//! The Pair and the transcript runner, exercised with a toy line protocol: the server greets,
//! answers each line with `250 <line>`, upgrades on `STARTTLS` and closes on `QUIT`.
#![allow(clippy::indexing_slicing, reason = "test code: a panic is a failed test")]

use std::collections::VecDeque;
use std::time::Duration;

use mailwire_core::transcript::parse;
use mailwire_core::{Bytes, LineEndings, LineFramer, Protocol, Security, TlsRole, TransportAction};
use mailwire_testkit::{Chunking, Pair, replay_client, replay_server};

#[derive(Debug, Default)]
struct Outputs {
    tx: VecDeque<Bytes>,
    transport: VecDeque<TransportAction>,
    events: VecDeque<String>,
    closed: bool,
    tls: bool,
    waiting_tls: bool,
}

#[derive(Debug)]
struct ToyServer {
    framer: LineFramer,
    out: Outputs,
    auto_answer: bool,
}

impl ToyServer {
    fn new(auto_answer: bool) -> Self {
        let mut s = Self {
            framer: LineFramer::new(100, LineEndings::Crlf),
            out: Outputs::default(),
            auto_answer,
        };
        s.out.tx.push_back(Bytes::from_static(b"220 toy ready\r\n"));
        s
    }
    fn reply(&mut self, text: &str) {
        self.out.tx.push_back(Bytes::from(format!("{text}\r\n")));
    }
    fn handle_line(&mut self, line: &[u8]) {
        let line = String::from_utf8_lossy(line).into_owned();
        self.out.events.push_back(line.clone());
        if !self.auto_answer {
            return;
        }
        match line.as_str() {
            "STARTTLS" => {
                self.reply("220 go ahead");
                self.out.transport.push_back(TransportAction::StartTls { role: TlsRole::Server });
                self.out.waiting_tls = true;
            }
            "QUIT" => {
                self.reply("221 bye");
                self.out.transport.push_back(TransportAction::Close);
                self.out.closed = true;
            }
            other => self.reply(&format!("250 {other}")),
        }
    }
}

impl Protocol for ToyServer {
    type Event = String;
    fn handle_input(&mut self, bytes: &[u8]) {
        self.framer.push(bytes);
        while !self.out.waiting_tls {
            match self.framer.next_line() {
                Some(Ok(l)) => self.handle_line(l.as_content()),
                Some(Err(_)) => self.reply("500 too long"),
                None => break,
            }
        }
    }
    fn handle_eof(&mut self) {
        self.out.closed = true;
        self.out.events.push_back("<eof>".into());
    }
    fn handle_timeout(&mut self) {
        self.reply("421 timeout");
        self.out.transport.push_back(TransportAction::Close);
        self.out.closed = true;
    }
    fn handle_tls_established(&mut self) {
        self.out.waiting_tls = false;
        self.out.tls = true;
        self.out.events.push_back("<tls>".into());
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.tx.pop_front()
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.out.transport.pop_front()
    }
    fn poll_event(&mut self) -> Option<String> {
        self.out.events.pop_front()
    }
    fn timeout(&self) -> Option<Duration> {
        Some(Duration::from_secs(300))
    }
    fn security(&self) -> Security {
        if self.out.tls { Security::Tls } else { Security::Plaintext }
    }
    fn is_closed(&self) -> bool {
        self.out.closed
    }
}

#[derive(Debug)]
struct ToyClient {
    framer: LineFramer,
    out: Outputs,
    last_sent: String,
}

impl ToyClient {
    fn new() -> Self {
        Self {
            framer: LineFramer::new(100, LineEndings::Crlf),
            out: Outputs::default(),
            last_sent: String::new(),
        }
    }
    fn send(&mut self, line: &str) {
        line.clone_into(&mut self.last_sent);
        self.out.tx.push_back(Bytes::from(format!("{line}\r\n")));
    }
}

impl Protocol for ToyClient {
    type Event = String;
    fn handle_input(&mut self, bytes: &[u8]) {
        self.framer.push(bytes);
        while let Some(Ok(l)) = self.framer.next_line() {
            let text = String::from_utf8_lossy(l.as_content()).into_owned();
            if text.starts_with("220 go") && self.last_sent == "STARTTLS" {
                if !self.framer.buffered().is_empty() {
                    self.out.events.push_back("<injection>".into());
                }
                self.out.transport.push_back(TransportAction::StartTls { role: TlsRole::Client });
            }
            if text.starts_with("221") {
                self.out.transport.push_back(TransportAction::Close);
                self.out.closed = true;
            }
            self.out.events.push_back(text);
        }
    }
    fn handle_eof(&mut self) {
        self.out.closed = true;
    }
    fn handle_timeout(&mut self) {}
    fn handle_tls_established(&mut self) {
        self.out.tls = true;
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.tx.pop_front()
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.out.transport.pop_front()
    }
    fn poll_event(&mut self) -> Option<String> {
        self.out.events.pop_front()
    }
    fn timeout(&self) -> Option<Duration> {
        None
    }
    fn security(&self) -> Security {
        if self.out.tls { Security::Tls } else { Security::Plaintext }
    }
    fn is_closed(&self) -> bool {
        self.out.closed
    }
}

#[test]
fn pair_runs_a_session_with_starttls_under_every_chunking() {
    for chunking in Chunking::ALL {
        let mut pair = Pair::new(ToyClient::new(), ToyServer::new(true), chunking);
        pair.drive();
        assert_eq!(pair.take_client_events(), ["220 toy ready"], "{chunking:?}");
        pair.client.send("HELLO");
        pair.client.send("WORLD");
        pair.drive();
        assert_eq!(pair.take_client_events(), ["250 HELLO", "250 WORLD"]);
        pair.client.send("STARTTLS");
        pair.drive();
        assert_eq!(pair.tls_upgrades, 1);
        assert_eq!(pair.client.security(), Security::Tls);
        assert_eq!(pair.server.security(), Security::Tls);
        pair.client.send("QUIT");
        pair.drive();
        assert!(pair.client.is_closed() && pair.server.is_closed());
        assert_eq!(pair.take_client_events(), ["220 go ahead", "221 bye"]);
        assert_eq!(
            pair.take_server_events(),
            ["HELLO", "WORLD", "STARTTLS", "<tls>", "QUIT", "<eof>"]
        );
        assert!(pair.transcript().contains("== TLS established\nC: QUIT\nS: 221 bye\n"));
        assert_eq!(pair.sent_by(true), b"HELLO\r\nWORLD\r\nSTARTTLS\r\nQUIT\r\n");
    }
}

#[test]
fn pair_delivers_timeouts() {
    let mut pair = Pair::new(ToyClient::new(), ToyServer::new(true), Chunking::Whole);
    pair.drive();
    pair.server_timeout();
    assert_eq!(pair.take_client_events(), ["220 toy ready", "421 timeout"]);
    assert!(pair.server.is_closed());
}

const TOY: &[u8] = b"# toy session\n\
S: 220 toy ready\n\
C: HELLO\n\
C: WORLD\n\
S: 250 HELLO\n\
S: 250 WORLD\n\
C: STARTTLS\n\
S: 220 go ahead\n\
== TLS established\n\
C: QUIT\n\
S: 221 bye\n";

#[test]
fn replay_server_accepts_the_toy_transcript_under_every_chunking() {
    let t = parse(TOY).unwrap();
    for chunking in Chunking::ALL {
        let mut server = ToyServer::new(true);
        let mut seen = Vec::new();
        replay_server(&t, &mut server, chunking, |_, events, _| {
            seen.extend(events);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, ["HELLO", "WORLD", "STARTTLS", "<tls>", "QUIT"], "{chunking:?}");
        assert!(server.is_closed());
    }
}

#[test]
fn replay_server_lets_the_application_answer() {
    let t = parse(TOY).unwrap();
    let mut server = ToyServer::new(false);
    let err = replay_server(&t, &mut server, Chunking::Whole, |m, events, expected| {
        // answer each event with the expected line, as an application would
        for (e, line) in events.iter().zip(String::from_utf8_lossy(&expected.bytes).lines()) {
            let _ = e;
            m.reply(line.trim_end());
        }
        Ok(())
    })
    .unwrap_err();
    // the application-driven toy never asks for TLS, so the marker fails
    assert_eq!(err.line, 9);
    assert!(err.reason.contains("TLS"));
}

#[test]
fn replay_client_sends_and_checks() {
    let t = parse(TOY).unwrap();
    for chunking in Chunking::ALL {
        let mut client = ToyClient::new();
        let mut received = Vec::new();
        replay_client(
            &t,
            &mut client,
            chunking,
            |m, stream| {
                for line in String::from_utf8_lossy(&stream.bytes).lines() {
                    m.send(line.trim_end());
                }
                Ok(())
            },
            |_, events, _| {
                received.extend(events);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            received,
            ["220 toy ready", "250 HELLO", "250 WORLD", "220 go ahead", "221 bye"]
        );
        assert!(client.is_closed());
    }
}

#[test]
fn replay_mismatch_names_the_line() {
    let t = parse(b"S: 220 toy ready\nC: PING\nS: 250 PONG\n").unwrap();
    let mut server = ToyServer::new(true);
    let err = replay_server(&t, &mut server, Chunking::ByteByByte, |_, _, _| Ok(())).unwrap_err();
    assert_eq!(err.line, 3);
    assert_eq!(err.reason, r#"machine sent "250 PING", transcript has "250 PONG""#, "{err}");
}
