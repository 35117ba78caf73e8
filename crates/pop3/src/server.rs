//! The POP3 server machine.

use core::time::Duration;
use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use mailwire_core::{
    DotStuffer, Handle, HandleGenerator, Limits, Protocol, Security, TlsRole, TransportAction,
};

use crate::State;
use crate::codec::{CommandDecoder, DecodeError};
use crate::error::{ConnectionError, UsageError};
use crate::types::{
    AuthResponse, Capabilities, Command, CommandKind, Continuation, MsgNum, ResponseShape, Status,
    StatusKind, Text, Word,
};

/// Settings of a [`Server`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Line and size bounds.
    pub limits: Limits,
    /// The greeting's text, after `+OK`.
    pub greeting: Text,
    /// The APOP timestamp appended to the greeting (`<pid.clock@host>`); the application
    /// makes it unique, since the machine reads no clock. `None`: no APOP.
    pub apop_timestamp: Option<Word>,
    /// The inactivity autologout (RFC 1939 3: at least 10 minutes). Default 10 minutes.
    pub autologout: Duration,
    /// If set, the machine answers `CAPA` itself with these capabilities; otherwise `CAPA` is
    /// an event for the application.
    pub capabilities: Option<Capabilities>,
    /// Most bytes a client may send ahead while a command is being answered. Default 64 KiB.
    pub max_pipelined: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            greeting: Text::new("POP3 server ready").unwrap_or_default(),
            apop_timestamp: None,
            autologout: Duration::from_secs(600),
            capabilities: None,
            max_pipelined: 64 * 1024,
        }
    }
}

impl ServerConfig {
    /// Sets [`ServerConfig::capabilities`].
    #[must_use]
    pub fn with_capabilities(mut self, caps: Capabilities) -> Self {
        self.capabilities = Some(caps);
        self
    }

    /// Sets [`ServerConfig::greeting`].
    #[must_use]
    pub fn with_greeting(mut self, greeting: Text) -> Self {
        self.greeting = greeting;
        self
    }

    /// Sets [`ServerConfig::apop_timestamp`].
    #[must_use]
    pub fn with_apop_timestamp(mut self, timestamp: Word) -> Self {
        self.apop_timestamp = Some(timestamp);
        self
    }
}

/// What a [`Server`] reports to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A command valid in the current state, for the application to answer with
    /// [`Server::respond`] (and, for a positive multi-line answer, [`Server::send_body`] and
    /// [`Server::end_body`]). The next command is reported only after this one is answered.
    ///
    /// At `QUIT` in the TRANSACTION state the session is in UPDATE: remove the messages of
    /// [`Server::deleted`], then respond.
    Command {
        /// Answer with this handle.
        handle: Handle,
        /// The command.
        command: Command,
    },
    /// The client's answer to a [`Server::challenge`] during AUTH. Continue with another
    /// challenge, or [`Server::respond`]. `Cancel` must be answered with `-ERR`.
    AuthResponse {
        /// The AUTH command's handle.
        handle: Handle,
        /// The decoded response.
        response: AuthResponse,
    },
    /// TLS is up after STLS: the session restarted in AUTHORIZATION.
    TlsEstablished,
    /// A line that is not a valid command; the machine answered `-ERR` itself.
    Malformed(DecodeError),
    /// A fatal condition (including the autologout); the machine is closed and no deletion
    /// was applied.
    ConnectionLost(ConnectionError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the client.
    Idle,
    /// A command event is out; waiting for `respond`.
    Answering(Handle, CommandKind, ResponseShape),
    /// AUTH: a challenge is out; waiting for the client's line.
    AuthWait(Handle),
    /// AUTH: the client's response is out; waiting for `challenge` or `respond`.
    AuthAnswering(Handle),
    /// A positive multi-line answer is being sent.
    Body(Handle),
    /// STLS accepted; waiting for the handshake.
    TlsHandshake,
    Closed,
}

/// The POP3 server machine (sans-IO): enforces the three states, the order of commands, the
/// deletion marks (applied only in UPDATE, cleared by RSET) and the STLS isolation rules.
///
/// ```
/// use mailwire_core::{Protocol, Security};
/// use mailwire_pop3::{Command, Server, ServerConfig, ServerEvent, Status};
///
/// let mut s = Server::new(ServerConfig::default(), Security::Tls);
/// assert_eq!(s.poll_transmit().as_deref(), Some(&b"+OK POP3 server ready\r\n"[..]));
/// s.handle_input(b"USER ann\r\n");
/// let Some(ServerEvent::Command { handle, command: Command::User(_) }) = s.poll_event() else {
///     panic!()
/// };
/// s.respond(handle, &Status::ok("hello ann")).unwrap();
/// assert_eq!(s.poll_transmit().as_deref(), Some(&b"+OK hello ann\r\n"[..]));
/// ```
#[derive(Debug)]
pub struct Server {
    cfg: ServerConfig,
    decoder: CommandDecoder,
    handles: HandleGenerator,
    state: State,
    phase: Phase,
    security: Security,
    user: Option<Word>,
    deleted: Vec<MsgNum>,
    target: Option<MsgNum>,
    stuffer: DotStuffer,
    transmit: VecDeque<Bytes>,
    transport: VecDeque<TransportAction>,
    events: VecDeque<ServerEvent>,
}

fn target(command: &Command) -> Option<MsgNum> {
    match command {
        Command::List(m) | Command::Uidl(m) => *m,
        Command::Retr(m) | Command::Dele(m) | Command::Top { msg: m, .. } => Some(*m),
        _ => None,
    }
}

impl Server {
    /// A server on a fresh connection; the greeting is queued for transmission at once. Use
    /// `Security::Tls` for implicit TLS (port 995).
    pub fn new(cfg: ServerConfig, security: Security) -> Self {
        let mut s = Self {
            decoder: CommandDecoder::new(&cfg.limits),
            handles: HandleGenerator::new(),
            state: State::Authorization,
            phase: Phase::Idle,
            security,
            user: None,
            deleted: Vec::new(),
            target: None,
            stuffer: DotStuffer::new(),
            transmit: VecDeque::new(),
            transport: VecDeque::new(),
            events: VecDeque::new(),
            cfg,
        };
        let mut text = s.cfg.greeting.as_bytes().to_vec();
        if let Some(ts) = &s.cfg.apop_timestamp {
            if !text.is_empty() {
                text.push(b' ');
            }
            text.extend_from_slice(ts.as_bytes());
        }
        let greeting = Status::new(StatusKind::Ok, None, Text::new(text).unwrap_or_default());
        s.transmit.push_back(greeting.to_bytes());
        s
    }

    /// The session state.
    pub const fn state(&self) -> State {
        self.state
    }

    /// The name given with USER (or APOP) in this session, if any.
    pub const fn user(&self) -> Option<&Word> {
        self.user.as_ref()
    }

    /// The messages marked deleted in this session (applied by the application at QUIT).
    pub fn deleted(&self) -> &[MsgNum] {
        &self.deleted
    }

    /// The APOP timestamp this session's greeting carried.
    pub const fn apop_timestamp(&self) -> Option<&Word> {
        self.cfg.apop_timestamp.as_ref()
    }

    fn send_status(&mut self, status: &Status) {
        self.transmit.push_back(status.to_bytes());
    }

    fn lose(&mut self, error: ConnectionError) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        self.events.push_back(ServerEvent::ConnectionLost(error));
        self.transport.push_back(TransportAction::Close);
    }

    /// Answers the pending command (or ends an AUTH exchange) with a status line.
    ///
    /// A positive answer to a multi-line command (LIST, UIDL without argument, RETR, TOP,
    /// CAPA, LANG without argument) must be followed by [`send_body`](Self::send_body) calls
    /// and one [`end_body`](Self::end_body).
    pub fn respond(&mut self, handle: Handle, status: &Status) -> Result<(), UsageError> {
        let (kind, shape) = match self.phase {
            Phase::Answering(h, kind, shape) if h == handle => (kind, shape),
            Phase::AuthAnswering(h) if h == handle => (CommandKind::Auth, ResponseShape::Single),
            _ => return Err(UsageError::UnknownHandle),
        };
        let ok = status.is_ok();
        self.send_status(status);
        if ok && matches!(shape, ResponseShape::MultiLine | ResponseShape::Body) {
            self.stuffer = DotStuffer::new();
            self.phase = Phase::Body(handle);
            return Ok(());
        }
        self.phase = Phase::Idle;
        match kind {
            CommandKind::Pass | CommandKind::Apop | CommandKind::Auth if ok => {
                self.state = State::Transaction;
            }
            CommandKind::User if !ok => self.user = None,
            CommandKind::Dele if ok => {
                if let Some(m) = self.target {
                    self.note_dele(m);
                }
            }
            CommandKind::Rset if ok => self.deleted.clear(),
            CommandKind::Quit => {
                self.phase = Phase::Closed;
                self.transport.push_back(TransportAction::Close);
                return Ok(());
            }
            CommandKind::Stls if ok => {
                self.phase = Phase::TlsHandshake;
                self.transport.push_back(TransportAction::StartTls { role: TlsRole::Server });
                return Ok(());
            }
            _ => {}
        }
        self.process();
        Ok(())
    }

    fn note_dele(&mut self, msg: MsgNum) {
        if !self.deleted.contains(&msg) {
            self.deleted.push(msg);
        }
    }

    /// Whether an APOP digest is `MD5(timestamp || secret)` for this session's greeting
    /// timestamp (compared in constant time). `false` when the greeting had no timestamp.
    pub fn check_apop(&self, digest: &crate::types::ApopDigest, secret: &[u8]) -> bool {
        self.cfg.apop_timestamp.as_ref().is_some_and(|ts| {
            crate::types::ApopDigest::compute(ts.as_bytes(), secret).matches(digest)
        })
    }

    /// Whether a positive multi-line answer to `handle` is open (after [`respond`](Self::respond)
    /// with `+OK` to LIST, UIDL, RETR, TOP, CAPA or LANG, until [`end_body`](Self::end_body)).
    pub fn body_pending(&self, handle: Handle) -> bool {
        self.phase == Phase::Body(handle)
    }

    /// Sends a SASL challenge (`+ base64`) during AUTH.
    pub fn challenge(&mut self, handle: Handle, data: &[u8]) -> Result<(), UsageError> {
        match self.phase {
            Phase::Answering(h, CommandKind::Auth, _) | Phase::AuthAnswering(h) if h == handle => {}
            _ => return Err(UsageError::UnknownHandle),
        }
        let mut out = BytesMut::new();
        Continuation(data.to_vec()).encode(&mut out);
        self.transmit.push_back(out.freeze());
        self.phase = Phase::AuthWait(handle);
        self.process();
        Ok(())
    }

    /// Sends part of a positive multi-line answer: message bytes (any chunking; line endings
    /// normalised to CRLF and leading dots doubled on the way out) or listing lines each
    /// ending with CRLF.
    pub fn send_body(&mut self, handle: Handle, chunk: &[u8]) -> Result<(), UsageError> {
        if self.phase != Phase::Body(handle) {
            return Err(UsageError::UnknownHandle);
        }
        let mut out = BytesMut::with_capacity(chunk.len() + chunk.len() / 64 + 8);
        self.stuffer.encode(chunk, &mut out);
        if !out.is_empty() {
            self.transmit.push_back(out.freeze());
        }
        Ok(())
    }

    /// Ends a positive multi-line answer (`.` line).
    pub fn end_body(&mut self, handle: Handle) -> Result<(), UsageError> {
        if self.phase != Phase::Body(handle) {
            return Err(UsageError::UnknownHandle);
        }
        let mut out = BytesMut::with_capacity(8);
        self.stuffer.finish(&mut out);
        self.transmit.push_back(out.freeze());
        self.phase = Phase::Idle;
        self.process();
        Ok(())
    }

    /// Answers a `CAPA` with `caps` (status, lines and end).
    pub fn respond_capabilities(
        &mut self,
        handle: Handle,
        caps: &Capabilities,
    ) -> Result<(), UsageError> {
        match self.phase {
            Phase::Answering(h, CommandKind::Capa, _) if h == handle => {}
            _ => return Err(UsageError::UnknownHandle),
        }
        self.respond(handle, &Status::ok("Capability list follows"))?;
        let mut lines = BytesMut::new();
        caps.encode(&mut lines);
        self.send_body(handle, &lines)?;
        self.end_body(handle)
    }

    fn answer_self(&mut self, status: &Status) {
        self.send_status(status);
    }

    fn on_command(&mut self, command: Command) {
        let kind = command.kind();
        if !self.state.allows(kind) {
            self.answer_self(&Status::err("command not valid in this state"));
            return;
        }
        match &command {
            Command::Pass(_) if self.user.is_none() => {
                self.answer_self(&Status::err("USER first"));
                return;
            }
            Command::Stls if self.security == Security::Tls => {
                self.answer_self(&Status::err("TLS already active"));
                return;
            }
            Command::Stls if !self.decoder.buffered().is_empty() => {
                self.lose(ConnectionError::PlaintextInjection);
                return;
            }
            Command::Apop { .. } if self.cfg.apop_timestamp.is_none() => {
                self.answer_self(&Status::err("APOP not available"));
                return;
            }
            Command::Capa => {
                if let Some(mut caps) = self.cfg.capabilities.clone() {
                    if self.security == Security::Tls {
                        caps.0.retain(|c| *c != crate::types::Capability::Stls);
                    }
                    self.answer_self(&Status::ok("Capability list follows"));
                    let mut lines = BytesMut::new();
                    caps.encode(&mut lines);
                    let mut out = BytesMut::with_capacity(lines.len() + 3);
                    crate::types::stuff_lines(&lines, &mut out);
                    self.transmit.push_back(out.freeze());
                    return;
                }
            }
            _ => {}
        }
        self.target = target(&command);
        if let Some(m) = self.target
            && self.deleted.contains(&m)
        {
            self.answer_self(&Status::err(&format!("message {m} already deleted")));
            return;
        }
        match &command {
            Command::User(name) | Command::Apop { name, .. } => self.user = Some(name.clone()),
            Command::Quit if self.state == State::Transaction => self.state = State::Update,
            _ => {}
        }
        let handle = self.handles.next_handle();
        self.phase = Phase::Answering(handle, kind, command.response_shape());
        self.events.push_back(ServerEvent::Command { handle, command });
    }

    fn process(&mut self) {
        loop {
            match self.phase {
                Phase::Idle => {
                    let Some(r) = self.decoder.next_command() else { return };
                    match r {
                        Ok(cmd) => self.on_command(cmd),
                        Err(e) => {
                            self.answer_self(&Status::err(match e {
                                DecodeError::LineTooLong { .. } => "line too long",
                                _ => "syntax error",
                            }));
                            self.events.push_back(ServerEvent::Malformed(e));
                        }
                    }
                }
                Phase::AuthWait(handle) => {
                    let Some(r) = self.decoder.next_auth_response() else { return };
                    match r {
                        Ok(response) => {
                            self.phase = Phase::AuthAnswering(handle);
                            self.events.push_back(ServerEvent::AuthResponse { handle, response });
                        }
                        Err(e) => {
                            self.answer_self(&Status::err("invalid base64"));
                            self.events.push_back(ServerEvent::Malformed(e));
                            self.phase = Phase::Idle;
                        }
                    }
                }
                _ => return,
            }
        }
    }
}

impl Protocol for Server {
    type Event = ServerEvent;

    fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.phase {
            Phase::Closed => {}
            Phase::TlsHandshake => self.lose(ConnectionError::PlaintextInjection),
            Phase::Answering(_, CommandKind::Stls, _) => {
                self.lose(ConnectionError::PlaintextInjection);
            }
            _ => {
                self.decoder.push(bytes);
                self.process();
                if self.decoder.buffered().len() > self.cfg.max_pipelined {
                    self.lose(ConnectionError::TooMuchPipelined);
                }
            }
        }
    }

    fn handle_eof(&mut self) {
        if self.phase != Phase::Closed {
            self.lose(ConnectionError::UnexpectedEof);
        }
    }

    fn handle_timeout(&mut self) {
        if self.phase != Phase::Closed {
            self.send_status(&Status::err("autologout: idle for too long"));
            self.lose(ConnectionError::Timeout);
        }
    }

    fn handle_tls_established(&mut self) {
        if self.phase != Phase::TlsHandshake {
            return;
        }
        self.security = Security::Tls;
        self.state = State::Authorization;
        self.user = None;
        self.decoder = CommandDecoder::new(&self.cfg.limits);
        self.phase = Phase::Idle;
        self.events.push_back(ServerEvent::TlsEstablished);
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmit.pop_front()
    }

    fn poll_transport(&mut self) -> Option<TransportAction> {
        if !self.transmit.is_empty() {
            return None;
        }
        self.transport.pop_front()
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn timeout(&self) -> Option<Duration> {
        match self.phase {
            Phase::Closed | Phase::TlsHandshake => None,
            _ => Some(self.cfg.autologout),
        }
    }

    fn security(&self) -> Security {
        self.security
    }

    fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }
}
