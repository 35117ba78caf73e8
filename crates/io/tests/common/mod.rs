//! A toy line protocol for driving the drivers, and a throwaway PKI.
//!
//! The server greets with `220 toy ready`, answers each line with `250 <line>`, upgrades on
//! `STARTTLS` (`220 go ahead`), closes on `QUIT` (`221 bye`) and on a timeout (`421 timeout`).
//! Both sides refuse bytes that follow the STARTTLS exchange in plaintext, as the real
//! machines do.
#![allow(dead_code, reason = "each test binary uses part of the toy")]
#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::collections::VecDeque;
use std::time::Duration;

use mailwire_core::{Bytes, LineEndings, LineFramer, Protocol, Security, TlsRole, TransportAction};

/// What the toy machines report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Toy {
    /// A line the server received.
    Line(String),
    /// A reply the client received.
    Reply(String),
    /// TLS is up.
    Tls,
    /// The peer closed its side.
    Eof,
    /// The wait ran out.
    TimedOut,
    /// The session is lost; the machine closed.
    Lost(String),
}

#[derive(Debug, Default)]
struct Out {
    tx: VecDeque<Bytes>,
    transport: VecDeque<TransportAction>,
    events: VecDeque<Toy>,
    closed: bool,
    tls: bool,
    waiting_tls: bool,
}

impl Out {
    fn send(&mut self, line: &str) {
        self.tx.push_back(Bytes::from(format!("{line}\r\n")));
    }
    fn close(&mut self) {
        self.transport.push_back(TransportAction::Close);
        self.closed = true;
    }
    fn lose(&mut self, why: String) {
        self.events.push_back(Toy::Lost(why));
        self.close();
    }
}

#[derive(Debug)]
pub(crate) struct ToyServer {
    framer: LineFramer,
    out: Out,
    timeout: Duration,
}

impl ToyServer {
    pub(crate) fn new(security: Security) -> Self {
        let mut out = Out { tls: security == Security::Tls, ..Out::default() };
        out.send("220 toy ready");
        Self {
            framer: LineFramer::new(1000, LineEndings::Crlf),
            out,
            timeout: Duration::from_secs(10),
        }
    }
    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Protocol for ToyServer {
    type Event = Toy;
    fn handle_input(&mut self, bytes: &[u8]) {
        if self.out.closed {
            return;
        }
        self.framer.push(bytes);
        while !self.out.waiting_tls && !self.out.closed {
            let Some(line) = self.framer.next_line() else { break };
            let Ok(line) = line else {
                self.out.send("500 line too long");
                continue;
            };
            let text = String::from_utf8_lossy(line.as_content()).into_owned();
            self.out.events.push_back(Toy::Line(text.clone()));
            match text.as_str() {
                "STARTTLS" if !self.framer.buffered().is_empty() => {
                    let injected = String::from_utf8_lossy(self.framer.buffered()).into_owned();
                    self.out.lose(format!("plaintext injection after STARTTLS: {injected:?}"));
                }
                "STARTTLS" => {
                    self.out.send("220 go ahead");
                    self.out
                        .transport
                        .push_back(TransportAction::StartTls { role: TlsRole::Server });
                    self.out.waiting_tls = true;
                }
                "QUIT" => {
                    self.out.send("221 bye");
                    self.out.close();
                }
                other => self.out.send(&format!("250 {other}")),
            }
        }
    }
    fn handle_eof(&mut self) {
        self.out.events.push_back(Toy::Eof);
        self.out.closed = true;
    }
    fn handle_timeout(&mut self) {
        self.out.events.push_back(Toy::TimedOut);
        self.out.send("421 timeout");
        self.out.close();
    }
    fn handle_tls_established(&mut self) {
        self.out.waiting_tls = false;
        self.out.tls = true;
        self.out.events.push_back(Toy::Tls);
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.tx.pop_front()
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.out.transport.pop_front()
    }
    fn poll_event(&mut self) -> Option<Toy> {
        self.out.events.pop_front()
    }
    fn timeout(&self) -> Option<Duration> {
        Some(self.timeout)
    }
    fn security(&self) -> Security {
        if self.out.tls { Security::Tls } else { Security::Plaintext }
    }
    fn is_closed(&self) -> bool {
        self.out.closed
    }
}

#[derive(Debug)]
pub(crate) struct ToyClient {
    framer: LineFramer,
    out: Out,
    last_sent: String,
    timeout: Duration,
    keepalive: bool,
}

impl ToyClient {
    pub(crate) fn new(security: Security) -> Self {
        Self {
            framer: LineFramer::new(1000, LineEndings::Crlf),
            out: Out { tls: security == Security::Tls, ..Out::default() },
            last_sent: String::new(),
            timeout: Duration::from_secs(10),
            keepalive: false,
        }
    }
    /// On a timeout, send `NOOP` and keep waiting (like an IMAP IDLE refresh) instead of
    /// giving up.
    pub(crate) fn with_keepalive(mut self) -> Self {
        self.keepalive = true;
        self
    }
    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    pub(crate) fn send(&mut self, line: &str) {
        line.clone_into(&mut self.last_sent);
        self.out.send(line);
    }
}

impl Protocol for ToyClient {
    type Event = Toy;
    fn handle_input(&mut self, bytes: &[u8]) {
        if self.out.closed {
            return;
        }
        self.framer.push(bytes);
        while !self.out.waiting_tls && !self.out.closed {
            let Some(Ok(line)) = self.framer.next_line() else { break };
            let text = String::from_utf8_lossy(line.as_content()).into_owned();
            self.out.events.push_back(Toy::Reply(text.clone()));
            if text.starts_with("220 go") && self.last_sent == "STARTTLS" {
                if self.framer.buffered().is_empty() {
                    self.out
                        .transport
                        .push_back(TransportAction::StartTls { role: TlsRole::Client });
                    self.out.waiting_tls = true;
                } else {
                    let injected = String::from_utf8_lossy(self.framer.buffered()).into_owned();
                    self.out.lose(format!("plaintext injection after the go-ahead: {injected:?}"));
                }
            } else if text.starts_with("221") || text.starts_with("421") {
                self.out.close();
            }
        }
    }
    fn handle_eof(&mut self) {
        if !self.out.closed {
            let why = if self.framer.buffered().is_empty() {
                "closed between replies".to_owned()
            } else {
                format!(
                    "closed mid-reply after {:?}",
                    String::from_utf8_lossy(self.framer.buffered())
                )
            };
            self.out.events.push_back(Toy::Lost(why));
            self.out.closed = true;
        }
    }
    fn handle_timeout(&mut self) {
        self.out.events.push_back(Toy::TimedOut);
        if self.keepalive {
            self.send("NOOP");
        } else {
            self.out.close();
        }
    }
    fn handle_tls_established(&mut self) {
        self.out.waiting_tls = false;
        self.out.tls = true;
        self.out.events.push_back(Toy::Tls);
    }
    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.tx.pop_front()
    }
    fn poll_transport(&mut self) -> Option<TransportAction> {
        self.out.transport.pop_front()
    }
    fn poll_event(&mut self) -> Option<Toy> {
        self.out.events.pop_front()
    }
    fn timeout(&self) -> Option<Duration> {
        Some(self.timeout)
    }
    fn security(&self) -> Security {
        if self.out.tls { Security::Tls } else { Security::Plaintext }
    }
    fn is_closed(&self) -> bool {
        self.out.closed
    }
}

pub(crate) fn reply(s: &str) -> Toy {
    Toy::Reply(s.to_owned())
}

pub(crate) fn line(s: &str) -> Toy {
    Toy::Line(s.to_owned())
}

#[cfg(feature = "rustls")]
/// A private CA and a leaf certificate it signed for `localhost` and 127.0.0.1.
#[derive(Debug, Clone)]
pub(crate) struct Pki {
    pub(crate) ca: String,
    pub(crate) chain: String,
    pub(crate) key: String,
}

#[cfg(feature = "rustls")]
pub(crate) fn pki() -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, SanType,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "mailwire-io test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    Pki { ca: ca_cert.pem(), chain: leaf_cert.pem(), key: leaf_key.serialize_pem() }
}

#[cfg(feature = "rustls")]
/// The TLS configurations of both sides for `pki`: the client trusts only the private CA.
pub(crate) fn tls_pair(pki: &Pki) -> (mailwire_io::Tls, mailwire_io::Tls) {
    let client = mailwire_io::TlsClientConfig::with_ca_pem(pki.ca.as_bytes()).unwrap();
    let server =
        mailwire_io::TlsServerConfig::from_pem(pki.chain.as_bytes(), pki.key.as_bytes()).unwrap();
    (mailwire_io::Tls::client(client, "localhost").unwrap(), mailwire_io::Tls::server(server))
}
