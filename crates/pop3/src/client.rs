//! The POP3 client machine.

use core::time::Duration;
use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use mailwire_core::{
    Handle, HandleGenerator, Limits, Protocol, Secret, Security, TlsRole, TransportAction,
};

use crate::State;
use crate::codec::{DecodeError, ResponseDecoder, ResponsePart};
use crate::error::{ConnectionError, ParseError, UsageError};
use crate::types::{
    ApopDigest, AuthResponse, Capabilities, Capability, Command, CommandKind, MsgNum,
    ResponseShape, ScanListing, Stat, Status, Text, UidlListing, Word,
};
use mailwire_sasl::{ClientMechanism, ClientStep};

/// Settings of a [`Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Line, response and message size bounds. Bodies are streamed, so
    /// `limits.message_size` (64 MiB by default) bounds the transfer of one RETR or TOP, not
    /// memory: raise it to retrieve larger messages.
    pub limits: Limits,
    /// Send credentials (USER/PASS, APOP, AUTH) over a plaintext connection. Default `false`:
    /// those verbs return [`UsageError::PlaintextCredentials`] until TLS is up.
    pub allow_plaintext_credentials: bool,
    /// How long to wait for a response; `None`: no limit. Default 10 minutes.
    pub response_timeout: Option<Duration>,
    /// Send `CAPA` again as soon as TLS is up after STLS (RFC 2595 4). Default `true`.
    pub recapa_after_tls: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            allow_plaintext_credentials: false,
            response_timeout: Some(Duration::from_secs(600)),
            recapa_after_tls: true,
        }
    }
}

impl ClientConfig {
    /// Sets [`ClientConfig::allow_plaintext_credentials`].
    #[must_use]
    pub const fn with_plaintext_credentials(mut self, allow: bool) -> Self {
        self.allow_plaintext_credentials = allow;
        self
    }

    /// Sets [`ClientConfig::recapa_after_tls`].
    #[must_use]
    pub const fn with_recapa_after_tls(mut self, recapa: bool) -> Self {
        self.recapa_after_tls = recapa;
        self
    }

    /// Sets [`ClientConfig::limits`].
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// What a [`Client`] reports.
///
/// Every command gets exactly one [`Reply`](ClientEvent::Reply) (its status line). A positive
/// multi-line response follows it with its data events and one [`End`](ClientEvent::End).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's greeting (its APOP timestamp, if any, is `status.apop_timestamp()`).
    Greeting(Status),
    /// The status line answering a command.
    Reply {
        /// The command's handle.
        handle: Handle,
        /// The command.
        command: CommandKind,
        /// `+OK` or `-ERR`, code and text.
        status: Status,
    },
    /// A SASL challenge, for an `AUTH` sent through [`Client::send`]; answer it with
    /// [`Client::auth_respond`].
    Challenge {
        /// The AUTH command's handle.
        handle: Handle,
        /// The decoded challenge.
        challenge: Vec<u8>,
    },
    /// The drop listing of a positive STAT.
    Stat {
        /// The command's handle.
        handle: Handle,
        /// Count and size.
        stat: Stat,
    },
    /// A scan listing: the answer to `LIST n`, or one line of `LIST`.
    Scan {
        /// The command's handle.
        handle: Handle,
        /// Message number and size.
        listing: ScanListing,
    },
    /// A unique-id listing: the answer to `UIDL n`, or one line of `UIDL`.
    Uidl {
        /// The command's handle.
        handle: Handle,
        /// Message number and unique-id.
        listing: UidlListing,
    },
    /// The capabilities of a `CAPA` response (also kept, see [`Client::capabilities`]).
    Capabilities {
        /// The command's handle.
        handle: Handle,
        /// The capabilities, in the server's order.
        capabilities: Capabilities,
    },
    /// One line of another multi-line response (`LANG` listing), dot-unstuffed.
    Line {
        /// The command's handle.
        handle: Handle,
        /// The line without CRLF.
        line: Bytes,
    },
    /// A chunk of a RETR or TOP message, dot-unstuffed, line endings kept.
    Body {
        /// The command's handle.
        handle: Handle,
        /// The chunk.
        chunk: Bytes,
    },
    /// The end of a multi-line response.
    End {
        /// The command's handle.
        handle: Handle,
    },
    /// TLS is up after STLS: everything learned before is forgotten and (unless configured
    /// otherwise) `CAPA` was sent again under the given handle.
    TlsEstablished {
        /// The handle of the new CAPA.
        capa: Option<Handle>,
    },
    /// A line inside a listing that does not parse; the session goes on.
    Malformed {
        /// The command's handle.
        handle: Handle,
        /// Why.
        error: ParseError,
        /// The line.
        line: Bytes,
    },
    /// A fatal error; the machine is closed.
    ConnectionLost(ConnectionError),
}

/// An AUTH driven by a mailwire-sasl mechanism.
struct Sasl {
    handle: Handle,
    mechanism: Box<dyn ClientMechanism>,
    /// An initial response too long for the AUTH line, sent on the first empty challenge.
    deferred: Option<Secret<Vec<u8>>>,
}

/// RFC 5034 4: the AUTH command line with its initial response stays within 255 octets.
const MAX_AUTH_LINE: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Ready,
    TlsHandshake,
    Closed,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    handle: Handle,
    kind: CommandKind,
    shape: ResponseShape,
    /// `LIST n` / `UIDL n`: the listing is in the status text.
    single_listing: bool,
}

/// The POP3 client machine (sans-IO).
///
/// Commands are verbs returning a [`Handle`]; the responses come back as [`ClientEvent`]s
/// carrying it. Commands issued while another is outstanding are queued, and sent together
/// only if the server announced `PIPELINING`.
///
/// ```
/// use mailwire_core::{Protocol, Security};
/// use mailwire_pop3::{Client, ClientConfig, ClientEvent};
///
/// let mut c = Client::new(ClientConfig::default(), Security::Tls);
/// c.handle_input(b"+OK ready\r\n");
/// let capa = c.capa().unwrap();
/// assert_eq!(c.poll_transmit().as_deref(), Some(&b"CAPA\r\n"[..]));
/// c.handle_input(b"+OK\r\nUIDL\r\nPIPELINING\r\n.\r\n");
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Greeting(_))));
/// assert!(matches!(c.poll_event(), Some(ClientEvent::Reply { handle, .. }) if handle == capa));
/// let Some(ClientEvent::Capabilities { capabilities, .. }) = c.poll_event() else { panic!() };
/// assert!(capabilities.uidl() && capabilities.pipelining());
/// assert_eq!(c.poll_event(), Some(ClientEvent::End { handle: capa }));
/// ```
pub struct Client {
    cfg: ClientConfig,
    decoder: ResponseDecoder,
    handles: HandleGenerator,
    state: State,
    phase: Phase,
    security: Security,
    caps: Option<Capabilities>,
    capa_lines: Vec<Capability>,
    greeting: Option<Status>,
    utf8: bool,
    pending: VecDeque<Pending>,
    queued: VecDeque<(Pending, Bytes)>,
    sasl: Option<Sasl>,
    transmit: VecDeque<Bytes>,
    transport: VecDeque<TransportAction>,
    events: VecDeque<ClientEvent>,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state)
            .field("phase", &self.phase)
            .field("security", &self.security)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client on a fresh connection, waiting for the greeting. Use `Security::Tls` for
    /// implicit TLS (port 995) once the driver has done the handshake.
    pub fn new(cfg: ClientConfig, security: Security) -> Self {
        Self {
            decoder: ResponseDecoder::new(&cfg.limits),
            cfg,
            handles: HandleGenerator::new(),
            state: State::Authorization,
            phase: Phase::Greeting,
            security,
            caps: None,
            capa_lines: Vec::new(),
            greeting: None,
            utf8: false,
            pending: VecDeque::new(),
            queued: VecDeque::new(),
            sasl: None,
            transmit: VecDeque::new(),
            transport: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The session state.
    pub const fn state(&self) -> State {
        self.state
    }

    /// The capabilities of the last `CAPA` on this security layer (`None` before one, and
    /// again after STLS until the new CAPA arrives).
    pub const fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// The greeting, once received.
    pub const fn greeting(&self) -> Option<&Status> {
        self.greeting.as_ref()
    }

    /// Whether `UTF8` was accepted.
    pub const fn utf8_enabled(&self) -> bool {
        self.utf8
    }

    /// Sends any command (the generic entry point; the verbs below call it).
    ///
    /// Checks the state, STLS and credential rules, and what the server announced.
    pub fn send(&mut self, command: &Command) -> Result<Handle, UsageError> {
        self.check(command)?;
        let mut out = BytesMut::with_capacity(32);
        command.encode(&mut out);
        let pending = Pending {
            handle: self.handles.next_handle(),
            kind: command.kind(),
            shape: command.response_shape(),
            single_listing: matches!(command, Command::List(Some(_)) | Command::Uidl(Some(_))),
        };
        self.queued.push_back((pending, out.freeze()));
        self.flush_queue();
        Ok(pending.handle)
    }

    fn check(&self, command: &Command) -> Result<(), UsageError> {
        let kind = command.kind();
        if matches!(self.phase, Phase::Closed | Phase::TlsHandshake) {
            return Err(UsageError::Closed);
        }
        let blocking =
            |k: CommandKind| matches!(k, CommandKind::Stls | CommandKind::Auth | CommandKind::Quit);
        if self.pending.iter().chain(self.queued.iter().map(|(p, _)| p)).any(|p| blocking(p.kind)) {
            return Err(UsageError::Busy);
        }
        if !self.state.allows(kind) {
            return Err(UsageError::WrongState { command: kind, state: self.state });
        }
        let credentials = matches!(
            kind,
            CommandKind::User | CommandKind::Pass | CommandKind::Apop | CommandKind::Auth
        );
        if credentials
            && self.security == Security::Plaintext
            && !self.cfg.allow_plaintext_credentials
        {
            return Err(UsageError::PlaintextCredentials);
        }
        let caps = self.caps.as_ref();
        match command {
            Command::Stls => {
                if self.security == Security::Tls {
                    return Err(UsageError::NotAdvertised("STLS"));
                }
                if caps.is_some_and(|c| !c.stls()) {
                    return Err(UsageError::NotAdvertised("STLS"));
                }
            }
            Command::Auth { mechanism, .. }
                if caps.is_some_and(|c| {
                    !c.sasl().any(|m| m.as_bytes().eq_ignore_ascii_case(mechanism.as_bytes()))
                }) =>
            {
                return Err(UsageError::NotAdvertised("this SASL mechanism"));
            }
            Command::Utf8 if caps.is_some_and(|c| !c.utf8()) => {
                return Err(UsageError::NotAdvertised("UTF8"));
            }
            Command::Lang(_) if caps.is_some_and(|c| !c.lang()) => {
                return Err(UsageError::NotAdvertised("LANG"));
            }
            _ => {}
        }
        Ok(())
    }

    fn pipelining(&self) -> bool {
        self.caps.as_ref().is_some_and(Capabilities::pipelining)
    }

    fn flush_queue(&mut self) {
        if self.phase != Phase::Ready {
            return;
        }
        while let Some((p, _)) = self.queued.front() {
            let exclusive = matches!(p.kind, CommandKind::Stls | CommandKind::Auth);
            let may = self.pending.is_empty() || (self.pipelining() && !exclusive);
            if !may {
                break;
            }
            let Some((p, bytes)) = self.queued.pop_front() else { break };
            if self.pending.is_empty() {
                self.decoder.expect(p.shape);
            }
            self.pending.push_back(p);
            self.transmit.push_back(bytes);
        }
    }

    /// `USER name`.
    pub fn user(&mut self, name: Word) -> Result<Handle, UsageError> {
        self.send(&Command::User(name))
    }

    /// `PASS password`.
    pub fn pass(&mut self, password: Secret<Text>) -> Result<Handle, UsageError> {
        self.send(&Command::Pass(password))
    }

    /// `APOP name digest`, the digest computed from the greeting's timestamp and `secret`.
    pub fn apop(&mut self, name: Word, secret: &Secret<Vec<u8>>) -> Result<Handle, UsageError> {
        let ts = self
            .greeting
            .as_ref()
            .and_then(Status::apop_timestamp)
            .ok_or(UsageError::NoTimestamp)?;
        let digest = ApopDigest::compute(&ts, secret.expose());
        self.send(&Command::Apop { name, digest })
    }

    /// `AUTH` driven by a mailwire-sasl mechanism: the machine answers every challenge
    /// through it, checks the server's proof on success (SCRAM), and reports only the final
    /// [`ClientEvent::Reply`]. An initial response that would make the line longer than 255
    /// octets (RFC 5034 4) is sent as the answer to the first empty challenge instead.
    pub fn authenticate(
        &mut self,
        mut mechanism: Box<dyn ClientMechanism>,
    ) -> Result<Handle, UsageError> {
        let name = Word::from_static(mechanism.mechanism().name());
        self.check(&Command::Auth { mechanism: name.clone(), initial_response: None })?;
        let ir = mechanism.initial_response();
        let mut cmd = Command::Auth { mechanism: name.clone(), initial_response: ir };
        let mut deferred = None;
        if cmd.to_bytes().len() > MAX_AUTH_LINE
            && let Command::Auth { initial_response, .. } = &mut cmd
        {
            deferred = initial_response.take();
        }
        let handle = self.send(&cmd)?;
        self.sasl = Some(Sasl { handle, mechanism, deferred });
        Ok(handle)
    }

    /// Answers a [`ClientEvent::Challenge`] of an `AUTH` sent through [`send`](Self::send).
    pub fn auth_respond(
        &mut self,
        handle: Handle,
        response: &AuthResponse,
    ) -> Result<(), UsageError> {
        let ok =
            self.pending.front().is_some_and(|p| p.handle == handle && p.kind == CommandKind::Auth);
        if !ok || self.phase != Phase::Ready {
            return Err(UsageError::UnknownHandle);
        }
        let mut out = BytesMut::new();
        response.encode(&mut out);
        self.transmit.push_back(out.freeze());
        Ok(())
    }

    /// `STAT`.
    pub fn stat(&mut self) -> Result<Handle, UsageError> {
        self.send(&Command::Stat)
    }

    /// `LIST` (all messages, multi-line) or `LIST n`.
    pub fn list(&mut self, msg: Option<MsgNum>) -> Result<Handle, UsageError> {
        self.send(&Command::List(msg))
    }

    /// `UIDL` (all messages, multi-line) or `UIDL n`.
    pub fn uidl(&mut self, msg: Option<MsgNum>) -> Result<Handle, UsageError> {
        self.send(&Command::Uidl(msg))
    }

    /// `RETR n`: the message comes as [`ClientEvent::Body`] chunks.
    pub fn retr(&mut self, msg: MsgNum) -> Result<Handle, UsageError> {
        self.send(&Command::Retr(msg))
    }

    /// `TOP n lines`: the header and `lines` body lines, as [`ClientEvent::Body`] chunks.
    pub fn top(&mut self, msg: MsgNum, lines: u32) -> Result<Handle, UsageError> {
        self.send(&Command::Top { msg, lines })
    }

    /// `DELE n`: marks the message; the server deletes it only after QUIT.
    pub fn dele(&mut self, msg: MsgNum) -> Result<Handle, UsageError> {
        self.send(&Command::Dele(msg))
    }

    /// `NOOP`.
    pub fn noop(&mut self) -> Result<Handle, UsageError> {
        self.send(&Command::Noop)
    }

    /// `RSET`: unmarks every deleted message.
    pub fn rset(&mut self) -> Result<Handle, UsageError> {
        self.send(&Command::Rset)
    }

    /// `QUIT`: in TRANSACTION, the server applies the deletions.
    pub fn quit(&mut self) -> Result<Handle, UsageError> {
        self.send(&Command::Quit)
    }

    /// `CAPA`.
    pub fn capa(&mut self) -> Result<Handle, UsageError> {
        self.send(&Command::Capa)
    }

    /// `STLS`: on `+OK` the machine asks the driver for a TLS handshake.
    pub fn stls(&mut self) -> Result<Handle, UsageError> {
        self.send(&Command::Stls)
    }

    /// `UTF8` (RFC 6856).
    pub fn utf8(&mut self) -> Result<Handle, UsageError> {
        self.send(&Command::Utf8)
    }

    /// `LANG [tag]` (RFC 6856).
    pub fn lang(&mut self, tag: Option<Word>) -> Result<Handle, UsageError> {
        self.send(&Command::Lang(tag))
    }

    fn lose(&mut self, error: ConnectionError) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        self.pending.clear();
        self.queued.clear();
        self.sasl = None;
        self.events.push_back(ClientEvent::ConnectionLost(error));
        self.transport.push_back(TransportAction::Close);
    }

    fn finish_front(&mut self) {
        if let Some(p) = self.pending.pop_front()
            && self.sasl.as_ref().is_some_and(|s| s.handle == p.handle)
        {
            self.sasl = None;
        }
        if let Some(next) = self.pending.front() {
            self.decoder.expect(next.shape);
        }
        self.flush_queue();
    }

    fn process(&mut self) {
        while matches!(self.phase, Phase::Greeting | Phase::Ready) {
            let Some(part) = self.decoder.next_part() else { break };
            match part {
                Err(DecodeError::LineTooLong { limit }) => {
                    self.lose(ConnectionError::LineTooLong { limit });
                }
                Err(DecodeError::MessageTooLarge { limit }) => {
                    self.lose(ConnectionError::MessageTooLarge { limit });
                }
                Err(DecodeError::Parse { error, .. }) => {
                    self.lose(ConnectionError::Protocol(error));
                }
                Ok(part) => self.on_part(part),
            }
        }
    }

    fn on_part(&mut self, part: ResponsePart) {
        if self.phase == Phase::Greeting {
            match part {
                ResponsePart::Status(s) => {
                    let ok = s.is_ok();
                    self.greeting = Some(s.clone());
                    self.events.push_back(ClientEvent::Greeting(s));
                    if ok {
                        self.phase = Phase::Ready;
                        if let Some(p) = self.pending.front() {
                            self.decoder.expect(p.shape);
                        }
                        self.flush_queue();
                    } else {
                        self.lose(ConnectionError::GreetingRefused);
                    }
                }
                _ => self.lose(ConnectionError::Unsolicited),
            }
            return;
        }
        let Some(front) = self.pending.front().copied() else {
            self.lose(ConnectionError::Unsolicited);
            return;
        };
        let handle = front.handle;
        match part {
            ResponsePart::Status(status) => self.on_status(front, status),
            ResponsePart::Continuation(c) => {
                if let Some(sasl) = self.sasl.as_mut().filter(|s| s.handle == handle) {
                    let response = if let Some(ir) = sasl.deferred.take() {
                        AuthResponse::Data(ir)
                    } else {
                        match sasl.mechanism.step(&c.0) {
                            Ok(ClientStep::Response(r)) => AuthResponse::Data(r),
                            Ok(ClientStep::ServerError { ack, .. }) => {
                                AuthResponse::Data(Secret::new(ack))
                            }
                            Ok(_) | Err(_) => AuthResponse::Cancel,
                        }
                    };
                    let mut out = BytesMut::new();
                    response.encode(&mut out);
                    self.transmit.push_back(out.freeze());
                } else {
                    self.events.push_back(ClientEvent::Challenge { handle, challenge: c.0 });
                }
            }
            ResponsePart::Line(line) => self.on_line(front, line),
            ResponsePart::Body(chunk) => self.events.push_back(ClientEvent::Body { handle, chunk }),
            ResponsePart::End => {
                if front.kind == CommandKind::Capa {
                    let caps = Capabilities(core::mem::take(&mut self.capa_lines));
                    self.caps = Some(caps.clone());
                    self.events.push_back(ClientEvent::Capabilities { handle, capabilities: caps });
                }
                self.events.push_back(ClientEvent::End { handle });
                self.finish_front();
            }
        }
    }

    fn on_line(&mut self, front: Pending, line: Bytes) {
        let handle = front.handle;
        let malformed = |error, line| ClientEvent::Malformed { handle, error, line };
        let ev = match front.kind {
            CommandKind::List => match crate::parse::scan(&line) {
                Ok(listing) => ClientEvent::Scan { handle, listing },
                Err(e) => malformed(e, line),
            },
            CommandKind::Uidl => match crate::parse::uidl(&line) {
                Ok(listing) => ClientEvent::Uidl { handle, listing },
                Err(e) => malformed(e, line),
            },
            CommandKind::Capa => {
                if self.capa_lines.len() >= self.cfg.limits.reply_lines {
                    self.lose(ConnectionError::TooManyLines { limit: self.cfg.limits.reply_lines });
                    return;
                }
                match crate::parse::capability(&line) {
                    Ok(c) => {
                        self.capa_lines.push(c);
                        return;
                    }
                    Err(e) => malformed(e, line),
                }
            }
            _ => ClientEvent::Line { handle, line },
        };
        self.events.push_back(ev);
    }

    fn on_status(&mut self, front: Pending, status: Status) {
        let handle = front.handle;
        let ok = status.is_ok();
        let text = status.text().clone();
        self.events.push_back(ClientEvent::Reply { handle, command: front.kind, status });
        if ok {
            let typed = match front.kind {
                CommandKind::Stat => Some(
                    crate::parse::stat(text.as_bytes())
                        .map(|stat| ClientEvent::Stat { handle, stat }),
                ),
                CommandKind::List if front.single_listing => Some(
                    crate::parse::scan(text.as_bytes())
                        .map(|listing| ClientEvent::Scan { handle, listing }),
                ),
                CommandKind::Uidl if front.single_listing => Some(
                    crate::parse::uidl(&text.to_bytes())
                        .map(|listing| ClientEvent::Uidl { handle, listing }),
                ),
                _ => None,
            };
            match typed {
                Some(Ok(ev)) => self.events.push_back(ev),
                Some(Err(error)) => {
                    self.events.push_back(ClientEvent::Malformed {
                        handle,
                        error,
                        line: text.to_bytes(),
                    });
                }
                None => {}
            }
        }
        match front.kind {
            CommandKind::Auth if ok => {
                if let Some(sasl) = self.sasl.as_mut().filter(|s| s.handle == handle)
                    && sasl.mechanism.finish(None).is_err()
                {
                    self.lose(ConnectionError::AuthenticationNotVerified);
                    return;
                }
                self.state = State::Transaction;
            }
            CommandKind::Pass | CommandKind::Apop if ok => {
                self.state = State::Transaction;
            }
            CommandKind::Quit => {
                if self.state == State::Transaction && ok {
                    self.state = State::Update;
                }
                self.pending.clear();
                self.queued.clear();
                self.phase = Phase::Closed;
                self.transport.push_back(TransportAction::Close);
                return;
            }
            CommandKind::Stls if ok => {
                if !self.decoder.buffered().is_empty() || self.pending.len() > 1 {
                    self.lose(ConnectionError::PlaintextInjection);
                    return;
                }
                self.pending.clear();
                self.phase = Phase::TlsHandshake;
                self.caps = None;
                self.transport.push_back(TransportAction::StartTls { role: TlsRole::Client });
                return;
            }
            CommandKind::Utf8 if ok => self.utf8 = true,
            CommandKind::Capa if ok => self.capa_lines.clear(),
            _ => {}
        }
        let multi = ok && matches!(front.shape, ResponseShape::MultiLine | ResponseShape::Body);
        if !multi {
            self.finish_front();
        }
    }
}

impl Protocol for Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.phase {
            Phase::Closed => {}
            Phase::TlsHandshake => self.lose(ConnectionError::PlaintextInjection),
            Phase::Greeting | Phase::Ready => {
                self.decoder.push(bytes);
                self.process();
            }
        }
    }

    fn handle_eof(&mut self) {
        if self.phase != Phase::Closed {
            self.lose(ConnectionError::UnexpectedEof);
        }
    }

    fn handle_timeout(&mut self) {
        if self.timeout().is_some() {
            self.lose(ConnectionError::Timeout);
        }
    }

    fn handle_tls_established(&mut self) {
        if self.phase != Phase::TlsHandshake {
            return;
        }
        self.phase = Phase::Ready;
        self.security = Security::Tls;
        self.caps = None;
        self.decoder = ResponseDecoder::new(&self.cfg.limits);
        let capa = if self.cfg.recapa_after_tls { self.send(&Command::Capa).ok() } else { None };
        self.events.push_back(ClientEvent::TlsEstablished { capa });
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

    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn timeout(&self) -> Option<Duration> {
        match self.phase {
            Phase::Greeting => self.cfg.response_timeout,
            Phase::Ready if !self.pending.is_empty() => self.cfg.response_timeout,
            _ => None,
        }
    }

    fn security(&self) -> Security {
        self.security
    }

    fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }
}
