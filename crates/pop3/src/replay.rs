//! Replays a recorded POP3 session (the transcript format of `mailwire_core::transcript`)
//! through the codec and both machines.
//!
//! [`replay`] makes the four checks of the transcript format, message by message:
//!
//! 1. every client line decodes as a command (or, during AUTH, a SASL response line) and every
//!    server stream as responses of the shape its command implies;
//! 2. a [`Client`] that sends those commands through [`Client::send`] (and
//!    [`Client::auth_respond`]) accepts those responses without a protocol error, including the
//!    TLS upgrade at the `== TLS` marker;
//! 3. a [`Server`] fed those client bytes reports the same commands, and answering them with
//!    the recorded responses makes it send exactly those bytes;
//! 4. re-encoding each decoded message reproduces its bytes, except where the transcript holds
//!    a tolerated quirk: then the canonical form is what the machines must send, and the
//!    report's line for that message says so.
//!
//! ```
//! use mailwire_core::transcript::parse;
//!
//! let t = parse(b"S: +OK ready\nC: CAPA\nS: +OK\nS: TOP\nS: .\nC: QUIT\nS: +OK bye\n").unwrap();
//! let report = mailwire_pop3::replay::replay(&t).unwrap();
//! assert_eq!(report.lines.len(), 5);
//! println!("{report}");
//! ```

use core::fmt;
use core::fmt::Write as _;
use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use mailwire_core::transcript::{Side, Step, Stream, Transcript};
use mailwire_core::{DotStuffer, Handle, Limits, Protocol, Security, TransportAction};

use crate::codec::{CommandDecoder, ResponseDecoder, ResponsePart};
use crate::types::{Command, ResponseShape, Status, Text, Word};
use crate::{Client, ClientConfig, ClientEvent, Server, ServerConfig, ServerEvent};

/// A successful replay: one printable line per message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayReport {
    /// One line per message, in order: `line N C: ...` or `line N S: ...`, with
    /// `(tolerated quirk; canonical: ...)` where the re-encoding differs.
    pub lines: Vec<String>,
    /// How many messages held a tolerated quirk.
    pub quirks: usize,
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.lines {
            writeln!(f, "{l}")?;
        }
        write!(f, "{} messages, ok", self.lines.len())
    }
}

/// Where and why a replay stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} ({side}): {reason}", side = side.letter())]
pub struct ReplayFailure {
    /// The transcript file's line number.
    pub line: usize,
    /// The side whose message failed.
    pub side: Side,
    /// What went wrong.
    pub reason: String,
}

fn show(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim_end_matches("\r\n");
    let first = s.split("\r\n").next().unwrap_or_default();
    if first.len() < s.len() { format!("{first} ...") } else { first.to_owned() }
}

/// Replays a transcript; see the [module documentation](self).
pub fn replay(transcript: &Transcript) -> Result<ReplayReport, ReplayFailure> {
    replay_in_pieces(transcript, usize::MAX)
}

/// Like [`replay`], but feeds the machines each message cut into pieces of `piece_len` octets
/// (1: byte by byte), to check that the outcome does not depend on how the transport splits
/// the bytes.
pub fn replay_in_pieces(
    transcript: &Transcript,
    piece_len: usize,
) -> Result<ReplayReport, ReplayFailure> {
    let mut r = Replayer::new(transcript.implicit_tls);
    r.piece = piece_len.max(1);
    for step in &transcript.steps {
        match step {
            Step::Stream(s) if s.side == Side::Client => r.client_stream(s)?,
            Step::Stream(s) => r.server_stream(s)?,
            Step::Tls { line } => r.tls(*line)?,
        }
    }
    Ok(r.report)
}

/// A command seen on the client side, waiting for its response.
struct Expected {
    command: Command,
    line: usize,
}

struct Replayer {
    security: Security,
    client: Client,
    server: Option<Server>,
    shapes: VecDeque<ResponseShape>,
    expected: VecDeque<Expected>,
    /// The client handles of the commands sent, in order (for `auth_respond`).
    client_handles: VecDeque<Handle>,
    server_events: VecDeque<ServerEvent>,
    /// Bytes the server machine sent, not yet matched with a response.
    server_out: Vec<u8>,
    /// An AUTH is in progress: client lines are SASL responses.
    in_auth: bool,
    auth_server_handle: Option<Handle>,
    client_tls: bool,
    server_tls: bool,
    report: ReplayReport,
    piece: usize,
}

fn feed<P: Protocol>(machine: &mut P, bytes: &[u8], piece: usize) {
    for p in bytes.chunks(piece) {
        machine.handle_input(p);
    }
}

fn fail(line: usize, side: Side, reason: impl Into<String>) -> ReplayFailure {
    ReplayFailure { line, side, reason: reason.into() }
}

impl Replayer {
    fn new(implicit_tls: bool) -> Self {
        let security = if implicit_tls { Security::Tls } else { Security::Plaintext };
        let cfg = ClientConfig::default()
            .with_plaintext_credentials(true)
            .with_recapa_after_tls(false)
            .with_limits(Limits::default());
        Self {
            security,
            client: Client::new(cfg, security),
            server: None,
            shapes: VecDeque::from([ResponseShape::Single]),
            expected: VecDeque::new(),
            client_handles: VecDeque::new(),
            server_events: VecDeque::new(),
            server_out: Vec::new(),
            in_auth: false,
            auth_server_handle: None,
            client_tls: false,
            server_tls: false,
            report: ReplayReport::default(),
            piece: usize::MAX,
        }
    }

    fn note(&mut self, line: usize, side: Side, raw: &[u8], canonical: &[u8]) {
        let mut l = format!("line {line} {}: {}", side.letter(), show(raw));
        if raw != canonical {
            let _ = write!(l, " (tolerated quirk; canonical: {})", show(canonical));
            self.report.quirks += 1;
        }
        self.report.lines.push(l);
    }

    fn drain_client(&mut self, line: usize) -> Result<Vec<u8>, ReplayFailure> {
        let mut sent = Vec::new();
        while let Some(b) = self.client.poll_transmit() {
            sent.extend_from_slice(&b);
        }
        while let Some(a) = self.client.poll_transport() {
            if matches!(a, TransportAction::StartTls { .. }) {
                self.client_tls = true;
            }
        }
        while let Some(ev) = self.client.poll_event() {
            match ev {
                ClientEvent::ConnectionLost(e) => {
                    return Err(fail(line, Side::Server, format!("client machine: {e}")));
                }
                ClientEvent::Malformed { error, .. } => {
                    return Err(fail(line, Side::Server, format!("client machine: {error}")));
                }
                _ => {}
            }
        }
        Ok(sent)
    }

    /// Collects the server machine's output into `server_out` and its events.
    fn drain_server(&mut self, line: usize, side: Side) -> Result<(), ReplayFailure> {
        let Some(server) = self.server.as_mut() else { return Ok(()) };
        while let Some(b) = server.poll_transmit() {
            self.server_out.extend_from_slice(&b);
        }
        while let Some(a) = server.poll_transport() {
            if matches!(a, TransportAction::StartTls { .. }) {
                self.server_tls = true;
            }
        }
        while let Some(ev) = server.poll_event() {
            match ev {
                ServerEvent::ConnectionLost(e) => {
                    return Err(fail(line, side, format!("server machine: {e}")));
                }
                ServerEvent::Malformed(e) => {
                    return Err(fail(line, side, format!("server machine: {e}")));
                }
                other => self.server_events.push_back(other),
            }
        }
        Ok(())
    }

    fn client_stream(&mut self, s: &Stream) -> Result<(), ReplayFailure> {
        let mut dec = CommandDecoder::new(&Limits::default());
        dec.push(&s.bytes);
        let mut offset = 0;
        loop {
            let line = s.line_of(offset);
            if self.in_auth {
                let Some(r) = dec.next_auth_response() else { break };
                let resp =
                    r.map_err(|e| fail(line, Side::Client, format!("SASL response: {e}")))?;
                let end = s.bytes.len() - dec.buffered().len();
                let raw = s.bytes.slice(offset..end);
                offset = end;
                let mut canon = BytesMut::new();
                resp.encode(&mut canon);
                self.note(line, Side::Client, &raw, &canon);
                let handle = self.client_handles.back().copied();
                handle
                    .ok_or_else(|| fail(line, Side::Client, "SASL response without AUTH"))
                    .and_then(|h| {
                        self.client
                            .auth_respond(h, &resp)
                            .map_err(|e| fail(line, Side::Client, format!("client machine: {e}")))
                    })?;
                let sent = self.drain_client(line)?;
                if sent != canon[..] {
                    return Err(fail(
                        line,
                        Side::Client,
                        format!("client machine sent {}", show(&sent)),
                    ));
                }
                if let Some(server) = self.server.as_mut() {
                    feed(server, &raw, self.piece);
                }
                self.drain_server(line, Side::Client)?;
                match self.server_events.pop_front() {
                    Some(ServerEvent::AuthResponse { handle, response }) if response == resp => {
                        self.auth_server_handle = Some(handle);
                    }
                    other => {
                        return Err(fail(
                            line,
                            Side::Client,
                            format!("server machine reported {other:?}"),
                        ));
                    }
                }
                continue;
            }
            let Some(r) = dec.next_command() else { break };
            let cmd = r.map_err(|e| fail(line, Side::Client, format!("not a command: {e}")))?;
            let end = s.bytes.len() - dec.buffered().len();
            let raw = s.bytes.slice(offset..end);
            offset = end;
            let canon = cmd.to_bytes();
            self.note(line, Side::Client, &raw, &canon);
            // Check 2: the client machine sends it.
            let h = self
                .client
                .send(&cmd)
                .map_err(|e| fail(line, Side::Client, format!("client machine refused it: {e}")))?;
            self.client_handles.push_back(h);
            let _sent = self.drain_client(line)?;
            // Check 3: the server machine reports it.
            if let Some(server) = self.server.as_mut() {
                feed(server, &raw, self.piece);
            }
            self.drain_server(line, Side::Client)?;
            self.shapes.push_back(cmd.response_shape());
            if matches!(cmd, Command::Auth { .. }) {
                self.in_auth = true;
            }
            self.expected.push_back(Expected { command: cmd, line });
        }
        if !dec.buffered().is_empty() {
            return Err(fail(s.line_of(offset), Side::Client, "incomplete line"));
        }
        Ok(())
    }

    fn make_server(&mut self, greeting: &Status, line: usize) -> Result<(), ReplayFailure> {
        if !greeting.is_ok() || greeting.code().is_some() {
            return Err(fail(line, Side::Server, "the server machine greets with a plain +OK"));
        }
        let text = greeting.text().to_bytes();
        let mut cfg = ServerConfig::default();
        match greeting.apop_timestamp() {
            Some(ts) if text.ends_with(&ts) => {
                let head = text.slice(..text.len() - ts.len());
                let head = head.strip_suffix(b" ").map_or(head.clone(), |h| head.slice_ref(h));
                cfg = cfg.with_greeting(Text::new(head).unwrap_or_default());
                if let Ok(w) = Word::new(ts) {
                    cfg = cfg.with_apop_timestamp(w);
                }
            }
            _ => cfg = cfg.with_greeting(greeting.text().clone()),
        }
        self.server = Some(Server::new(cfg, self.security));
        Ok(())
    }

    fn server_stream(&mut self, s: &Stream) -> Result<(), ReplayFailure> {
        let mut dec = ResponseDecoder::new(&Limits::default());
        dec.push(&s.bytes);
        let mut offset = 0;
        while offset < s.bytes.len() {
            let line = s.line_of(offset);
            let shape = self.shapes.front().copied().unwrap_or(ResponseShape::Single);
            dec.expect(shape);
            // Gather one whole response.
            let mut status: Option<Status> = None;
            let mut continuation = None;
            let mut lines: Vec<Bytes> = Vec::new();
            let mut body = BytesMut::new();
            loop {
                let Some(part) = dec.next_part() else {
                    return Err(fail(line, Side::Server, "incomplete response"));
                };
                let part =
                    part.map_err(|e| fail(line, Side::Server, format!("not a response: {e}")))?;
                match part {
                    ResponsePart::Status(st) => {
                        let multi = st.is_ok()
                            && matches!(shape, ResponseShape::MultiLine | ResponseShape::Body);
                        status = Some(st);
                        if !multi {
                            break;
                        }
                    }
                    ResponsePart::Continuation(c) => {
                        continuation = Some(c);
                        break;
                    }
                    ResponsePart::Line(l) => lines.push(l),
                    ResponsePart::Body(b) => body.extend_from_slice(&b),
                    ResponsePart::End => break,
                }
            }
            let end = s.bytes.len() - dec.buffered().len();
            let raw = s.bytes.slice(offset..end);
            offset = end;
            // Check 4: the canonical form.
            let mut canon = BytesMut::new();
            let mut payload = BytesMut::new();
            if let Some(c) = &continuation {
                c.encode(&mut canon);
            } else if let Some(st) = &status {
                st.encode(&mut canon);
                if st.is_ok() && matches!(shape, ResponseShape::MultiLine | ResponseShape::Body) {
                    for l in &lines {
                        payload.extend_from_slice(l);
                        payload.extend_from_slice(b"\r\n");
                    }
                    payload.extend_from_slice(&body);
                    let mut enc = DotStuffer::new();
                    enc.encode(&payload, &mut canon);
                    enc.finish(&mut canon);
                }
            }
            self.note(line, Side::Server, &raw, &canon);
            // Check 2: the client machine accepts it.
            feed(&mut self.client, &raw, self.piece);
            let _ = self.drain_client(line)?;
            // Check 3: the server machine sends it when the application answers so.
            let sent = self.answer(line, status.as_ref(), continuation.as_ref(), &payload)?;
            if sent != canon[..] {
                return Err(fail(
                    line,
                    Side::Server,
                    format!("server machine sent {:?}, expected {:?}", show(&sent), show(&canon)),
                ));
            }
            if continuation.is_none() {
                self.shapes.pop_front();
                if self.in_auth && shape == ResponseShape::Auth {
                    self.in_auth = false;
                    self.auth_server_handle = None;
                }
            }
        }
        Ok(())
    }

    fn answer(
        &mut self,
        line: usize,
        status: Option<&Status>,
        continuation: Option<&crate::Continuation>,
        payload: &[u8],
    ) -> Result<Vec<u8>, ReplayFailure> {
        let err = |reason: String| fail(line, Side::Server, reason);
        if self.server.is_none() {
            let st = status.ok_or_else(|| err("no greeting".into()))?;
            self.make_server(st, line)?;
            self.drain_server(line, Side::Server)?;
            return Ok(core::mem::take(&mut self.server_out));
        }
        // A command the machine answered itself has already produced its bytes.
        self.drain_server(line, Side::Server)?;
        if !self.server_out.is_empty() {
            self.expected.pop_front();
            return Ok(core::mem::take(&mut self.server_out));
        }
        let handle = if let Some(h) = self.auth_server_handle.take() {
            h
        } else {
            let expected = self.expected.pop_front();
            match self.server_events.pop_front() {
                Some(ServerEvent::Command { handle, command }) => {
                    if let Some(e) = &expected
                        && e.command != command
                    {
                        return Err(fail(
                            e.line,
                            Side::Client,
                            format!("server machine reported {command:?}"),
                        ));
                    }
                    if matches!(command, Command::Auth { .. }) {
                        self.auth_server_handle = Some(handle);
                    }
                    handle
                }
                other => return Err(err(format!("no command to answer (server event {other:?})"))),
            }
        };
        let server = self.server.as_mut().ok_or_else(|| err("no server".into()))?;
        if let Some(c) = continuation {
            server.challenge(handle, &c.0).map_err(|e| err(format!("server machine: {e}")))?;
            self.auth_server_handle = Some(handle);
        } else if let Some(st) = status {
            if self.auth_server_handle == Some(handle) {
                self.auth_server_handle = None;
            }
            server.respond(handle, st).map_err(|e| err(format!("server machine: {e}")))?;
            let multi = server_in_body(server, handle);
            if multi {
                server
                    .send_body(handle, payload)
                    .map_err(|e| err(format!("server machine: {e}")))?;
                server.end_body(handle).map_err(|e| err(format!("server machine: {e}")))?;
            }
        }
        self.drain_server(line, Side::Server)?;
        Ok(core::mem::take(&mut self.server_out))
    }

    fn tls(&mut self, line: usize) -> Result<(), ReplayFailure> {
        if !self.client_tls {
            return Err(fail(
                line,
                Side::Client,
                "TLS marker, but the client machine did not ask for TLS",
            ));
        }
        if self.server.is_some() && !self.server_tls {
            return Err(fail(
                line,
                Side::Server,
                "TLS marker, but the server machine did not ask for TLS",
            ));
        }
        self.client_tls = false;
        self.server_tls = false;
        self.security = Security::Tls;
        self.client.handle_tls_established();
        let _ = self.drain_client(line)?;
        if let Some(server) = self.server.as_mut() {
            server.handle_tls_established();
        }
        self.drain_server(line, Side::Server)?;
        self.server_events.retain(|e| *e != ServerEvent::TlsEstablished);
        Ok(())
    }
}

fn server_in_body(server: &Server, handle: Handle) -> bool {
    server.body_pending(handle)
}
