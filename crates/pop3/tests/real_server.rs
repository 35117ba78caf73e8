//! The client machine against a real POP3 server on loopback, when one is given:
//! `MAILWIRE_POP3_ADDR=127.0.0.1:11110 MAILWIRE_POP3_USER=ann MAILWIRE_POP3_PASS=secret
//! cargo test -p mailwire-pop3 --test real_server`. Without the variables the test does
//! nothing. It logs in with USER/PASS and with AUTH PLAIN, reads CAPA, STAT, LIST, UIDL,
//! retrieves every message with RETR and TOP, and quits without deleting anything.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::print_stdout,
    clippy::indexing_slicing,
    clippy::many_single_char_names,
    reason = "test code drives a socket"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use mailwire_core::{Handle, Protocol, Secret, Security};
use mailwire_pop3::{Client, ClientConfig, ClientEvent, MsgNum, Text, Word};

struct Conn {
    client: Client,
    sock: TcpStream,
    events: Vec<ClientEvent>,
}

impl Conn {
    fn new(addr: &str) -> Self {
        let sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let cfg = ClientConfig::default().with_plaintext_credentials(true);
        Self { client: Client::new(cfg, Security::Plaintext), sock, events: Vec::new() }
    }

    /// Writes what the machine has to send, then reads until `done` holds for the events.
    fn until(&mut self, done: impl Fn(&[ClientEvent]) -> bool) {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            while let Some(b) = self.client.poll_transmit() {
                self.sock.write_all(&b).unwrap();
            }
            while let Some(e) = self.client.poll_event() {
                if let ClientEvent::ConnectionLost(err) = &e {
                    panic!("connection lost: {err}");
                }
                self.events.push(e);
            }
            if done(&self.events) || self.client.is_closed() {
                return;
            }
            let n = self.sock.read(&mut buf).unwrap();
            if n == 0 {
                self.client.handle_eof();
            } else {
                self.client.handle_input(&buf[..n]);
            }
        }
    }

    fn wait(&mut self, h: Handle) {
        self.until(|evs| {
            evs.iter().any(|e| match e {
                ClientEvent::Reply { handle, status, command } if *handle == h => {
                    !(status.is_ok() && multi(*command))
                }
                ClientEvent::End { handle } => *handle == h,
                _ => false,
            })
        });
    }

    fn ok(&self, h: Handle) -> bool {
        self.events.iter().any(|e| matches!(e, ClientEvent::Reply { handle, status, .. } if *handle == h && status.is_ok()))
    }
}

fn multi(k: mailwire_pop3::CommandKind) -> bool {
    use mailwire_pop3::CommandKind as K;
    matches!(k, K::Capa | K::Retr | K::Top)
}

#[test]
fn real_server_session() {
    let Ok(addr) = std::env::var("MAILWIRE_POP3_ADDR") else { return };
    let user = std::env::var("MAILWIRE_POP3_USER").unwrap();
    let pass = std::env::var("MAILWIRE_POP3_PASS").unwrap();

    let mut c = Conn::new(&addr);
    c.until(|e| e.iter().any(|e| matches!(e, ClientEvent::Greeting(_))));
    let capa = c.client.capa().unwrap();
    c.wait(capa);
    println!("capabilities: {:?}", c.client.capabilities());
    let u = c.client.user(Word::new(user.clone()).unwrap()).unwrap();
    c.wait(u);
    let p = c.client.pass(Secret::new(Text::new(pass.clone()).unwrap())).unwrap();
    c.wait(p);
    assert!(c.ok(p), "login refused");
    let stat = c.client.stat().unwrap();
    c.wait(stat);
    let count = c
        .events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Stat { stat: s, .. } => Some(s.count),
            _ => None,
        })
        .unwrap();
    let list = c.client.list(None).unwrap();
    c.wait(list);
    let uidl = c.client.uidl(None).unwrap();
    c.wait(uidl);
    let sizes: Vec<u64> = c
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Scan { handle, listing } if *handle == list => Some(listing.size),
            _ => None,
        })
        .collect();
    assert_eq!(sizes.len(), count as usize);
    for (i, size) in sizes.iter().enumerate() {
        let m = MsgNum::new(u32::try_from(i + 1).unwrap()).unwrap();
        let r = c.client.retr(m).unwrap();
        c.wait(r);
        let body: Vec<u8> = c
            .events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Body { handle, chunk } if *handle == r => Some(chunk.to_vec()),
                _ => None,
            })
            .flatten()
            .collect();
        println!("message {m}: LIST size {size}, RETR body {} octets", body.len());
        // Dovecot sends an empty message as one empty line (docs/quirks/pop3.md).
        let expected = if *size == 0 && body == b"\r\n" { 2 } else { *size };
        assert_eq!(
            body.len() as u64,
            expected,
            "RETR body of message {m} differs from its LIST size"
        );
        let t = c.client.top(m, 0).unwrap();
        c.wait(t);
        assert!(c.ok(t));
    }
    let q = c.client.quit().unwrap();
    c.wait(q);
    assert!(c.ok(q));

    // AUTH PLAIN through mailwire-sasl.
    let mut c = Conn::new(&addr);
    c.until(|e| e.iter().any(|e| matches!(e, ClientEvent::Greeting(_))));
    let mech = mailwire_sasl::PlainClient::new("", &user, Secret::new(pass)).unwrap();
    let a = c.client.authenticate(Box::new(mech)).unwrap();
    c.wait(a);
    assert!(c.ok(a), "AUTH PLAIN refused");
    let q = c.client.quit().unwrap();
    c.wait(q);
}
