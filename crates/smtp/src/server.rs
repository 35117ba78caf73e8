//! The SMTP/LMTP server connection machine.
//!
//! The machine reads the client's commands, enforces what the protocol fixes (command order,
//! line length, recipient and size limits, pipelining synchronisation points, STARTTLS
//! isolation, the end of DATA only at `CRLF.CRLF`) and hands everything else to the
//! application as [`ServerEvent`]s, which it answers with [`SmtpServer::reply`] or
//! [`SmtpServer::accept`]. Commands are handled one at a time: the next one is read only
//! after the current one is answered, so pipelined commands come out in order.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mailwire_core::{
    BareLineEndings, DotStatus, DotUnstuffer, FrameError, Limits, LineEndings, LineFramer,
    Protocol, Secret, Security, TlsRole, TransportAction,
};

use crate::command::{Command, CommandError, Verb};
use crate::ehlo::Capabilities;
use crate::reply::{Reply, ReplyCode};
use crate::types::{Domain, Text};

/// Server settings. Start from [`ServerConfig::new`] and change fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The server's host name, used in default replies.
    pub domain: Domain,
    /// Speak LMTP (RFC 2033): `LHLO` instead of `EHLO`/`HELO`, one reply per recipient after
    /// the message.
    pub lmtp: bool,
    /// Bounds: `line_length` for command lines, `recipients` per transaction, `message_size`.
    pub limits: Limits,
    /// `Security::Tls` when the driver already did a TLS handshake (port 465).
    pub security: Security,
    /// What to do with a bare CR or LF in a DATA body. Default: reject the message (SMTP
    /// smuggling defence); the end of data is only ever `CRLF.CRLF`.
    pub bare_line_endings: BareLineEndings,
    /// Close the connection when a client sends more commands behind a synchronisation
    /// point (EHLO, DATA, BDAT LAST, AUTH, QUIT) before the reply (RFC 2920 3.1). Default
    /// true. Bytes behind STARTTLS always close the connection.
    pub enforce_sync_points: bool,
    /// The capabilities [`SmtpServer::accept`] advertises in reply to EHLO/LHLO
    /// (`greeting` is filled with the domain when empty).
    pub capabilities: Capabilities,
    /// How long to wait for the next command or data block (RFC 5321 4.5.3.2.7: 5 minutes).
    pub timeout: Duration,
}

impl ServerConfig {
    /// Defaults for `domain`: SMTP, default limits, plaintext, bare line endings rejected,
    /// sync points enforced, PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, CHUNKING, SMTPUTF8
    /// and SIZE advertised by [`SmtpServer::accept`].
    pub fn new(domain: Domain) -> Self {
        let limits = Limits::default();
        let capabilities = Capabilities {
            pipelining: true,
            eight_bit_mime: true,
            enhanced_status_codes: true,
            chunking: true,
            smtputf8: true,
            size: Some(limits.message_size),
            ..Capabilities::default()
        };
        Self {
            domain,
            lmtp: false,
            limits,
            security: Security::Plaintext,
            bare_line_endings: BareLineEndings::Reject,
            enforce_sync_points: true,
            capabilities,
            timeout: Duration::from_secs(5 * 60),
        }
    }
}

/// What the server machine reports to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A command to answer with [`SmtpServer::reply`] (or [`SmtpServer::accept`]).
    Command(Command),
    /// A SASL response line (base64 or `*`) after a 334 challenge; answer with a reply.
    AuthResponse(Secret<Text>),
    /// A piece of the message body (DATA: unstuffed, CRLF line endings; BDAT: as sent).
    BodyChunk(Bytes),
    /// The body (DATA) or the BDAT chunk is complete; answer with a reply (LMTP DATA: one
    /// reply per accepted recipient, in order).
    BodyEnd {
        /// DATA, or `BDAT ... LAST`: the message is complete.
        last: bool,
    },
    /// The machine answered a command itself (bad order, syntax, limits, a rejected body).
    /// When `verb` is DATA or BDAT, body chunks already delivered must be discarded.
    Rejected {
        /// The command's verb, if it could be parsed.
        verb: Option<Verb>,
        /// The reply sent.
        reply: Reply,
    },
    /// The TLS handshake finished: the session starts over (EHLO needed).
    TlsEstablished,
    /// The connection is over; the machine is closed.
    ConnectionLost(ServerError),
    /// The client said QUIT and got its reply; the machine is closed.
    Closed,
}

/// Why a server connection ended abnormally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Bytes followed STARTTLS before the TLS handshake (CVE-2011-0411 class).
    #[error("plaintext injected after STARTTLS")]
    PlaintextInjection,
    /// Commands were pipelined behind a synchronisation point.
    #[error("improper command pipelining")]
    ImproperPipelining,
    /// The client closed the connection without QUIT.
    #[error("connection closed by the client")]
    Eof,
    /// The client was idle past the timeout.
    #[error("timeout")]
    Timeout,
    /// The client sent more than the pipelining buffer holds while a reply was pending.
    #[error("too much input pipelined")]
    InputOverflow,
    /// The application closed the session with a 421 reply.
    #[error("service closed by the application")]
    Shutdown,
}

/// A call the server machine cannot honour in its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ServerUsageError {
    /// Nothing is waiting for a reply.
    #[error("no command is waiting for a reply")]
    NothingToAnswer,
    /// The machine is closed.
    #[error("the connection is closed")]
    Closed,
}

/// What the application's next reply answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Greeting,
    Command(Verb),
    AuthStep,
    DataEnd,
    BdatEnd { last: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the application's reply (input is buffered meanwhile).
    Reply(Awaiting),
    /// Reading command lines.
    Commands,
    /// Reading a SASL response line.
    AuthLine,
    /// Reading a DATA body.
    Data,
    /// Reading `remaining` octets of a BDAT chunk; `rejected` chunks are discarded.
    Bdat { remaining: u64, last: bool, rejected: Option<BdatReject> },
    /// Waiting for the TLS handshake.
    Tls,
    /// Finished.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BdatReject {
    Sequence,
    NoRecipients,
    TooLarge,
}

/// Why a body is being dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFault {
    BareLineEnding,
    TooLarge,
}

/// The SMTP or LMTP server machine. See the [module documentation](self).
#[derive(Debug)]
pub struct SmtpServer {
    config: ServerConfig,
    framer: LineFramer,
    phase: Phase,
    security: Security,
    transmit: VecDeque<Bytes>,
    transport: VecDeque<TransportAction>,
    events: VecDeque<ServerEvent>,
    // session
    greeted: bool,
    caps: Capabilities,
    authenticated: bool,
    // transaction
    in_mail: bool,
    recipients: usize,
    bdat_started: bool,
    body_size: u64,
    body_fault: Option<BodyFault>,
    lmtp_replies_left: usize,
    unstuffer: DotUnstuffer,
}

impl SmtpServer {
    /// A server at the start of a connection. Answer the first event-less wait by sending the
    /// greeting with [`reply`](Self::reply) (or [`accept`](Self::accept) for the default
    /// `220 <domain> ESMTP`).
    pub fn new(config: ServerConfig) -> Self {
        let framer = LineFramer::new(config.limits.line_length, LineEndings::Crlf);
        let unstuffer = DotUnstuffer::new(config.bare_line_endings);
        Self {
            security: config.security,
            config,
            framer,
            phase: Phase::Reply(Awaiting::Greeting),
            transmit: VecDeque::new(),
            transport: VecDeque::new(),
            events: VecDeque::new(),
            greeted: false,
            caps: Capabilities::default(),
            authenticated: false,
            in_mail: false,
            recipients: 0,
            bdat_started: false,
            body_size: 0,
            body_fault: None,
            lmtp_replies_left: 0,
            unstuffer,
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether the machine waits for the application's reply.
    pub const fn awaiting_reply(&self) -> bool {
        matches!(self.phase, Phase::Reply(_))
    }

    /// Whether the client authenticated in this session.
    pub const fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The capabilities last advertised in a positive EHLO/LHLO reply of this session.
    pub const fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// How many recipients the application accepted in the current transaction.
    pub const fn accepted_recipients(&self) -> usize {
        self.recipients
    }

    /// Answers the pending greeting, command, SASL line or body.
    pub fn reply(&mut self, reply: &Reply) -> Result<(), ServerUsageError> {
        let Phase::Reply(awaiting) = self.phase else {
            return Err(if self.phase == Phase::Closed {
                ServerUsageError::Closed
            } else {
                ServerUsageError::NothingToAnswer
            });
        };
        let code = reply.code();
        let ok = code.is_positive();
        let mut next = Phase::Commands;
        let mut sync_point = false;
        match awaiting {
            Awaiting::Greeting => {}
            Awaiting::Command(verb) => match verb {
                Verb::Ehlo | Verb::Helo | Verb::Lhlo => {
                    sync_point = true;
                    if ok {
                        self.greeted = true;
                        self.reset_transaction();
                        self.caps = if verb == Verb::Helo {
                            Capabilities::default()
                        } else {
                            Capabilities::from_reply(reply)
                        };
                    }
                }
                Verb::Mail if ok => self.in_mail = true,
                Verb::Rcpt if ok => self.recipients += 1,
                Verb::Data => {
                    sync_point = true;
                    if code == ReplyCode::START_DATA {
                        self.unstuffer.reset();
                        self.body_size = 0;
                        self.body_fault = None;
                        next = Phase::Data;
                        sync_point = false;
                        if self.config.enforce_sync_points && !self.framer.buffered().is_empty() {
                            // the body was sent before the 354: pipelined behind DATA
                            self.send(reply);
                            self.improper_pipelining();
                            return Ok(());
                        }
                    }
                }
                Verb::Rset => self.reset_transaction(),
                Verb::Quit => {
                    self.send(reply);
                    self.close_with(ServerEvent::Closed);
                    return Ok(());
                }
                Verb::StartTls if code == ReplyCode::READY => {
                    if !self.framer.buffered().is_empty() {
                        self.send(&Reply::new_static(
                            554,
                            "5.5.0 Improper pipelining after STARTTLS, closing",
                        ));
                        self.close_with(ServerEvent::ConnectionLost(
                            ServerError::PlaintextInjection,
                        ));
                        return Ok(());
                    }
                    self.send(reply);
                    self.transport.push_back(TransportAction::StartTls { role: TlsRole::Server });
                    self.phase = Phase::Tls;
                    return Ok(());
                }
                Verb::Auth => {
                    sync_point = true;
                    if code == ReplyCode::AUTH_CONTINUE {
                        next = Phase::AuthLine;
                        sync_point = false;
                    } else if ok {
                        self.authenticated = true;
                    }
                }
                _ => {}
            },
            Awaiting::AuthStep => {
                sync_point = true;
                if code == ReplyCode::AUTH_CONTINUE {
                    next = Phase::AuthLine;
                    sync_point = false;
                } else if ok {
                    self.authenticated = true;
                }
            }
            Awaiting::DataEnd => {
                if self.config.lmtp && self.lmtp_replies_left > 1 {
                    self.lmtp_replies_left -= 1;
                    self.send(reply);
                    return Ok(());
                }
                self.lmtp_replies_left = 0;
                self.reset_transaction();
            }
            Awaiting::BdatEnd { last } => {
                if self.config.lmtp && last && self.lmtp_replies_left > 1 {
                    self.lmtp_replies_left -= 1;
                    self.send(reply);
                    return Ok(());
                }
                self.lmtp_replies_left = 0;
                if last || !ok {
                    self.reset_transaction();
                }
                sync_point = last;
            }
        }
        self.send(reply);
        if code == ReplyCode::NOT_AVAILABLE {
            self.close_with(ServerEvent::ConnectionLost(ServerError::Shutdown));
            return Ok(());
        }
        self.phase = next;
        if sync_point && self.config.enforce_sync_points && !self.framer.buffered().is_empty() {
            self.improper_pipelining();
            return Ok(());
        }
        self.process();
        Ok(())
    }

    /// Answers the pending AUTH command or SASL response line with the outcome of a
    /// `mailwire_sasl::ServerExchange` step: a challenge becomes `334 <base64>`, success
    /// `235 2.7.0` (and returns who authenticated), the client's `*` `501 5.0.0`, a malformed
    /// message `501 5.5.2`, any other failure `535 5.7.8`.
    ///
    /// Drive the exchange with the AUTH command's initial response
    /// (`exchange.start(initial)`) and then with each [`ServerEvent::AuthResponse`] line
    /// (`exchange.response(line)`).
    pub fn answer_sasl(
        &mut self,
        step: &mailwire_sasl::ServerReply,
    ) -> Result<Option<mailwire_sasl::Authenticated>, ServerUsageError> {
        use mailwire_sasl::{ServerFailure, ServerReply};
        let (reply, who) = match step {
            ServerReply::Challenge(line) => match Text::new(Bytes::from(line.clone())) {
                Ok(t) => (Reply::from_lines(ReplyCode::AUTH_CONTINUE, &[t]), None),
                Err(_) => (Reply::new_static(454, "4.7.0 Temporary authentication failure"), None),
            },
            ServerReply::Success { identity, .. } => {
                (Reply::new_static(235, "2.7.0 Authentication successful"), Some(identity.clone()))
            }
            ServerReply::Failure(ServerFailure::Cancelled) => {
                (Reply::new_static(501, "5.0.0 Authentication cancelled"), None)
            }
            ServerReply::Failure(ServerFailure::Malformed(_) | ServerFailure::TooLong) => {
                (Reply::new_static(501, "5.5.2 Cannot decode response"), None)
            }
            _ => (Reply::new_static(535, "5.7.8 Authentication credentials invalid"), None),
        };
        self.reply(&reply)?;
        Ok(who)
    }

    /// Answers the pending item with the default positive reply (the greeting, `250` to
    /// EHLO with the configured capabilities, `354` to DATA, `250` after a body, `221` to
    /// QUIT, `220` to STARTTLS...). AUTH and SASL lines get `535` (no mechanism configured)
    /// and unknown commands `500`.
    pub fn accept(&mut self) -> Result<(), ServerUsageError> {
        let Phase::Reply(awaiting) = self.phase else {
            return self.reply(&Reply::new_static(250, "2.0.0 Ok"));
        };
        let d = self.config.domain.to_text();
        let reply = match awaiting {
            Awaiting::Greeting => Reply::new_owned(
                220,
                format!("{d} {}", if self.config.lmtp { "LMTP" } else { "ESMTP" }),
            ),
            Awaiting::Command(verb) => match verb {
                Verb::Ehlo | Verb::Lhlo => {
                    let mut caps = self.config.capabilities.clone();
                    if caps.greeting.is_empty() {
                        caps.greeting = Text::new_unchecked(Bytes::from(d));
                    }
                    if self.security == Security::Tls {
                        caps.starttls = false;
                    }
                    caps.to_reply()
                }
                Verb::Helo => Reply::new_owned(250, d),
                Verb::Mail => Reply::new_static(250, "2.1.0 Ok"),
                Verb::Rcpt => Reply::new_static(250, "2.1.5 Ok"),
                Verb::Data => Reply::new_static(354, "End data with <CR><LF>.<CR><LF>"),
                Verb::Quit => Reply::new_static(221, "2.0.0 Bye"),
                Verb::StartTls => Reply::new_static(220, "2.0.0 Ready to start TLS"),
                Verb::Vrfy => Reply::new_static(252, "2.0.0 Cannot VRFY user"),
                Verb::Expn => Reply::new_static(502, "5.5.1 EXPN not available"),
                Verb::Help => Reply::new_static(214, "2.0.0 See RFC 5321"),
                Verb::Auth => Reply::new_static(535, "5.7.8 Authentication failed"),
                Verb::Unknown => Reply::new_static(500, "5.5.1 Command unrecognized"),
                _ => Reply::new_static(250, "2.0.0 Ok"),
            },
            Awaiting::AuthStep => Reply::new_static(535, "5.7.8 Authentication failed"),
            Awaiting::DataEnd | Awaiting::BdatEnd { .. } => Reply::new_static(250, "2.0.0 Ok"),
        };
        self.reply(&reply)
    }

    fn reset_transaction(&mut self) {
        self.in_mail = false;
        self.recipients = 0;
        self.bdat_started = false;
        self.body_size = 0;
        self.body_fault = None;
    }

    fn send(&mut self, reply: &Reply) {
        let mut out = BytesMut::new();
        reply.encode(&mut out);
        self.transmit.push_back(out.freeze());
    }

    fn close_with(&mut self, event: ServerEvent) {
        if self.phase != Phase::Closed {
            self.phase = Phase::Closed;
            self.transport.push_back(TransportAction::Close);
            self.events.push_back(event);
        }
    }

    fn improper_pipelining(&mut self) {
        self.send(&Reply::new_static(421, "4.5.0 Improper command pipelining, closing"));
        self.close_with(ServerEvent::ConnectionLost(ServerError::ImproperPipelining));
    }

    /// Answers a command itself and reports it.
    fn reject(&mut self, verb: Option<Verb>, code: u16, text: &'static str) {
        let reply = Reply::new_static(code, text);
        self.send(&reply);
        self.events.push_back(ServerEvent::Rejected { verb, reply });
    }

    /// Works through buffered input until the application must answer or input runs out.
    fn process(&mut self) {
        loop {
            match self.phase {
                Phase::Commands => {
                    let Some(line) = self.framer.next_line() else { return };
                    match line {
                        Err(FrameError::LineTooLong { .. }) => {
                            self.reject(None, 500, "5.5.2 Line too long");
                        }
                        Err(_) => self.reject(None, 500, "5.5.2 Syntax error"),
                        Ok(line) => self.command_line(&line.content()),
                    }
                }
                Phase::AuthLine => {
                    let Some(line) = self.framer.next_line() else { return };
                    let Ok(line) = line else {
                        self.phase = Phase::Commands;
                        self.reject(Some(Verb::Auth), 500, "5.5.2 Line too long");
                        continue;
                    };
                    if let Ok(t) = Text::new(line.content()) {
                        self.phase = Phase::Reply(Awaiting::AuthStep);
                        self.events.push_back(ServerEvent::AuthResponse(Secret::new(t)));
                    } else {
                        self.phase = Phase::Commands;
                        self.reject(Some(Verb::Auth), 501, "5.5.2 Invalid SASL response");
                    }
                }
                Phase::Data => {
                    let input = self.framer.take_buffered();
                    if input.is_empty() {
                        return;
                    }
                    self.data_input(&input);
                }
                Phase::Bdat { remaining, last, rejected } => {
                    if remaining == 0 {
                        self.bdat_done(last, rejected);
                        continue;
                    }
                    let max = usize::try_from(remaining).unwrap_or(usize::MAX);
                    let Some(chunk) = self.framer.take_raw(max) else { return };
                    let n = chunk.len() as u64;
                    self.phase = Phase::Bdat { remaining: remaining - n, last, rejected };
                    if rejected.is_none() {
                        self.body_size = self.body_size.saturating_add(n);
                        if self.body_size > self.config.limits.message_size {
                            self.body_fault = Some(BodyFault::TooLarge);
                        }
                        if self.body_fault.is_none() {
                            self.events.push_back(ServerEvent::BodyChunk(chunk));
                        }
                    }
                }
                Phase::Reply(_) | Phase::Tls | Phase::Closed => return,
            }
        }
    }

    fn bdat_done(&mut self, last: bool, rejected: Option<BdatReject>) {
        self.phase = Phase::Commands;
        match rejected {
            Some(BdatReject::Sequence) => {
                self.reject(Some(Verb::Bdat), 503, "5.5.1 Bad sequence of commands");
            }
            Some(BdatReject::NoRecipients) => {
                self.reject(Some(Verb::Bdat), 554, "5.5.1 No valid recipients");
            }
            Some(BdatReject::TooLarge) => {
                self.reset_transaction();
                self.reject(Some(Verb::Bdat), 552, "5.3.4 Message size exceeds fixed limit");
            }
            None if self.body_fault.is_some() => {
                self.reset_transaction();
                self.reject(Some(Verb::Bdat), 552, "5.3.4 Message size exceeds fixed limit");
            }
            None => {
                if last {
                    self.lmtp_replies_left = if self.config.lmtp { self.recipients } else { 1 };
                }
                self.phase = Phase::Reply(Awaiting::BdatEnd { last });
                self.events.push_back(ServerEvent::BodyEnd { last });
            }
        }
    }

    /// Closes the connection when input piles up while the application owes a reply: a
    /// pipelined group larger than any real client sends.
    fn check_overflow(&mut self) {
        if self.awaiting_reply()
            && self.framer.buffered().len() > self.config.limits.line_length.saturating_mul(16)
        {
            self.close_with(ServerEvent::ConnectionLost(ServerError::InputOverflow));
        }
    }

    fn data_input(&mut self, input: &[u8]) {
        let mut pos = 0;
        let mut out = BytesMut::new();
        while pos < input.len() {
            let rest = input.get(pos..).unwrap_or_default();
            match self.unstuffer.decode(rest, &mut out) {
                Ok(DotStatus::NeedMore) => pos = input.len(),
                Ok(DotStatus::Complete { consumed }) => {
                    pos += consumed;
                    self.emit_body(&mut out);
                    self.framer.push(input.get(pos..).unwrap_or_default());
                    self.data_done();
                    return;
                }
                Err(e) => {
                    pos += e.consumed().max(1);
                    self.body_fault.get_or_insert(BodyFault::BareLineEnding);
                }
            }
        }
        self.emit_body(&mut out);
    }

    fn emit_body(&mut self, out: &mut BytesMut) {
        if out.is_empty() {
            return;
        }
        let chunk = out.split().freeze();
        self.body_size = self.body_size.saturating_add(chunk.len() as u64);
        if self.body_size > self.config.limits.message_size {
            self.body_fault.get_or_insert(BodyFault::TooLarge);
        }
        if self.body_fault.is_none() {
            self.events.push_back(ServerEvent::BodyChunk(chunk));
        }
    }

    fn data_done(&mut self) {
        self.phase = Phase::Commands;
        match self.body_fault {
            Some(BodyFault::BareLineEnding) => {
                self.reset_transaction();
                self.reject(Some(Verb::Data), 554, "5.6.11 Bare CR or LF in message body");
            }
            Some(BodyFault::TooLarge) => {
                self.reset_transaction();
                self.reject(Some(Verb::Data), 552, "5.3.4 Message size exceeds fixed limit");
            }
            None => {
                self.lmtp_replies_left = if self.config.lmtp { self.recipients } else { 1 };
                self.phase = Phase::Reply(Awaiting::DataEnd);
                self.events.push_back(ServerEvent::BodyEnd { last: true });
            }
        }
    }

    fn command_line(&mut self, line: &Bytes) {
        let cmd = match Command::parse(line) {
            Ok(cmd) => cmd,
            Err(CommandError::Syntax { verb, .. }) => {
                if verb == Verb::Bdat {
                    // the chunk size is unknown: the stream cannot be resynchronised
                    self.reject(Some(verb), 501, "5.5.4 Syntax error in BDAT, closing");
                    self.transport.push_back(TransportAction::Close);
                    self.phase = Phase::Closed;
                    return;
                }
                self.reject(Some(verb), 501, "5.5.4 Syntax error in parameters or arguments");
                return;
            }
            Err(_) => {
                self.reject(None, 500, "5.5.2 Syntax error, command unrecognized");
                return;
            }
        };
        let verb = cmd.verb();
        let lmtp = self.config.lmtp;
        let bad_sequence = match &cmd {
            Command::Helo(_) | Command::Ehlo(_) if lmtp => {
                return self.reject(Some(verb), 500, "5.5.1 Use LHLO in LMTP");
            }
            Command::Lhlo(_) if !lmtp => {
                return self.reject(Some(verb), 500, "5.5.1 Command unrecognized");
            }
            Command::Mail { params, .. } => {
                if let Some(size) = params.size
                    && size > self.config.limits.message_size
                    && self.greeted
                    && !self.in_mail
                {
                    return self.reject(Some(verb), 552, "5.3.4 Message size exceeds fixed limit");
                }
                !self.greeted || self.in_mail
            }
            Command::Rcpt { .. } => {
                if self.in_mail && self.recipients >= self.config.limits.recipients {
                    return self.reject(Some(verb), 452, "4.5.3 Too many recipients");
                }
                !self.in_mail || self.bdat_started
            }
            Command::Data => {
                if self.in_mail && !self.bdat_started && self.recipients == 0 {
                    return self.reject(Some(verb), 554, "5.5.1 No valid recipients");
                }
                !self.in_mail || self.bdat_started
            }
            Command::Bdat { size, last } => {
                let rejected = if !self.in_mail {
                    Some(BdatReject::Sequence)
                } else if self.recipients == 0 {
                    Some(BdatReject::NoRecipients)
                } else if self.body_size.saturating_add(*size) > self.config.limits.message_size {
                    Some(BdatReject::TooLarge)
                } else {
                    None
                };
                if rejected.is_none() {
                    self.bdat_started = true;
                    self.events.push_back(ServerEvent::Command(cmd.clone()));
                }
                self.phase = Phase::Bdat { remaining: *size, last: *last, rejected };
                return;
            }
            Command::StartTls => !self.greeted || self.in_mail || self.security == Security::Tls,
            Command::Auth { .. } => !self.greeted || self.in_mail || self.authenticated,
            _ => false,
        };
        if bad_sequence {
            return self.reject(Some(verb), 503, "5.5.1 Bad sequence of commands");
        }
        self.phase = Phase::Reply(Awaiting::Command(verb));
        self.events.push_back(ServerEvent::Command(cmd));
    }
}

impl Protocol for SmtpServer {
    type Event = ServerEvent;

    fn handle_input(&mut self, bytes: &[u8]) {
        match self.phase {
            Phase::Closed => {}
            Phase::Tls => {
                if !bytes.is_empty() {
                    // plaintext after our 220 and before the handshake
                    self.close_with(ServerEvent::ConnectionLost(ServerError::PlaintextInjection));
                }
            }
            Phase::Data if self.framer.buffered().is_empty() && !self.framer.is_discarding() => {
                // Inside a body with nothing buffered: unstuff straight from the input (one
                // copy); only what follows the end marker goes to the framer.
                self.data_input(bytes);
                self.process();
                self.check_overflow();
            }
            _ => {
                self.framer.push(bytes);
                self.process();
                self.check_overflow();
            }
        }
    }

    fn handle_eof(&mut self) {
        self.close_with(ServerEvent::ConnectionLost(ServerError::Eof));
    }

    fn handle_timeout(&mut self) {
        if self.phase == Phase::Closed {
            return;
        }
        let text = format!("4.4.2 {} Timeout, closing connection", self.config.domain);
        self.send(&Reply::new_owned(421, text));
        self.close_with(ServerEvent::ConnectionLost(ServerError::Timeout));
    }

    fn handle_tls_established(&mut self) {
        if self.phase != Phase::Tls {
            return;
        }
        self.security = Security::Tls;
        self.greeted = false;
        self.authenticated = false;
        self.caps = Capabilities::default();
        self.reset_transaction();
        self.phase = Phase::Commands;
        self.events.push_back(ServerEvent::TlsEstablished);
        self.process();
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
            Phase::Commands | Phase::AuthLine | Phase::Data | Phase::Bdat { .. } => {
                Some(self.config.timeout)
            }
            Phase::Reply(_) | Phase::Tls | Phase::Closed => None,
        }
    }

    fn security(&self) -> Security {
        self.security
    }

    fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }
}
