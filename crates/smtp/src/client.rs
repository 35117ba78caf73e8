//! The SMTP/LMTP client connection machine.
//!
//! Commands are verbs returning a [`Handle`] (or a [`UsageError`] that leaves the machine
//! untouched); replies come back as [`ClientEvent`]s carrying that handle. Two levels:
//!
//! - [`SmtpClient::send_mail`]: a whole transaction (MAIL, RCPTs, DATA or BDAT) with
//!   PIPELINING when advertised, a streamed body, and one [`TransactionReport`] at the end.
//! - [`SmtpClient::send`]: any single command, checked against the state and the advertised
//!   extensions, each answered by a [`ClientEvent::Reply`].

use std::collections::VecDeque;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use mailwire_core::{
    DotStuffer, Handle, HandleGenerator, Limits, LineEndings, LineFramer, Protocol, Secret,
    Security, TlsRole, TransportAction,
};
use mailwire_sasl::{ClientExchange, Reply as SaslReply};

use crate::command::{Command, Verb};
use crate::ehlo::Capabilities;
use crate::params::{BodyType, MailParams, RcptParams};
use crate::reply::{Reply, ReplyCode, ReplyError, ReplyParser};
use crate::types::{Domain, ForwardPath, Keyword, ReversePath, Text};

/// Client settings. Start from `ClientConfig::default()` and change fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Speak LMTP (RFC 2033): `LHLO`, and one reply per accepted recipient after the body.
    pub lmtp: bool,
    /// Bounds on replies (`line_length`, `reply_lines`) and on the message (`message_size`).
    pub limits: Limits,
    /// `Security::Tls` when the driver already did a TLS handshake (port 465).
    pub security: Security,
    /// Allow AUTH over a plaintext connection (default false).
    pub allow_plaintext_auth: bool,
    /// Send bodies with BDAT when the server advertises CHUNKING and PIPELINING (default
    /// true); otherwise DATA.
    pub use_bdat: bool,
    /// RFC 5321 4.5.3.2 waits, in order: greeting, MAIL, RCPT, DATA initiation, data block,
    /// DATA termination, other commands.
    pub timeouts: Timeouts,
}

/// The client's waits (RFC 5321 4.5.3.2 defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Initial 220: 5 minutes.
    pub greeting: Duration,
    /// MAIL: 5 minutes.
    pub mail: Duration,
    /// RCPT: 5 minutes.
    pub rcpt: Duration,
    /// DATA initiation (waiting for 354): 2 minutes.
    pub data_init: Duration,
    /// Data block (a BDAT reply): 3 minutes.
    pub data_block: Duration,
    /// DATA termination (waiting for the final reply): 10 minutes.
    pub data_end: Duration,
    /// Any other command: 5 minutes.
    pub other: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        let min = |m: u64| Duration::from_secs(m * 60);
        Self {
            greeting: min(5),
            mail: min(5),
            rcpt: min(5),
            data_init: min(2),
            data_block: min(3),
            data_end: min(10),
            other: min(5),
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            lmtp: false,
            limits: Limits::default(),
            security: Security::Plaintext,
            allow_plaintext_auth: false,
            use_bdat: true,
            timeouts: Timeouts::default(),
        }
    }
}

/// A command the client machine refuses; the state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The command is not allowed now (before the greeting, before EHLO, inside or outside a
    /// transaction, during a TLS upgrade...).
    #[error("not allowed now: {0}")]
    WrongState(&'static str),
    /// The command or parameter needs an extension the server did not advertise.
    #[error("the server did not advertise {0}")]
    NotAdvertised(&'static str),
    /// A reply is outstanding and the server did not advertise PIPELINING (or the previous
    /// command is a synchronisation point).
    #[error("a reply is outstanding and the command cannot be pipelined")]
    WouldPipeline,
    /// AUTH over plaintext without `allow_plaintext_auth`.
    #[error("refusing to authenticate over plaintext")]
    PlaintextAuth,
    /// The declared size is above the server's SIZE limit or the configured limit.
    #[error("message of {size} octets exceeds the limit of {max}")]
    TooLarge {
        /// Declared size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A transaction needs at least one recipient.
    #[error("no recipients")]
    NoRecipients,
    /// The machine is closed.
    #[error("the connection is closed")]
    Closed,
}

/// Why a client connection ended abnormally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Bytes followed the server's go-ahead to STARTTLS (response injection, CVE-2011-0411
    /// class).
    #[error("plaintext injected after the STARTTLS go-ahead")]
    PlaintextInjection,
    /// A reply could not be parsed, or its lines disagree on the code.
    #[error("bad reply: {0}")]
    BadReply(ReplyError),
    /// A reply line was longer than the limit.
    #[error("reply line too long")]
    LineTooLong,
    /// A reply arrived with no command waiting for it.
    #[error("unexpected reply {0}")]
    UnexpectedReply(u16),
    /// The SASL exchange failed on our side (bad challenge, server not verified).
    #[error("authentication exchange failed: {0}")]
    Sasl(String),
    /// The server closed the connection.
    #[error("connection closed by the server")]
    Eof,
    /// The server closed the session with 421.
    #[error("service not available: {0}")]
    ServiceClosing(Reply),
    /// The server did not answer in time.
    #[error("timeout")]
    Timeout,
}

/// The fate of one recipient of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecipientOutcome {
    /// RCPT accepted (and, in LMTP, the message too, with the delivery reply).
    Accepted {
        /// The RCPT reply.
        reply: Reply,
        /// LMTP only: this recipient's reply after the message.
        delivery: Option<Reply>,
    },
    /// RCPT rejected, with the full reply.
    Rejected(Reply),
    /// Not sent: over the server's LIMITS RCPTMAX; send it in another transaction.
    Deferred,
}

/// The outcome of one transaction, recipient by recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionReport {
    /// The handle returned by [`SmtpClient::send_mail`].
    pub handle: Handle,
    /// The MAIL reply.
    pub mail: Option<Reply>,
    /// Each recipient with its outcome, in envelope order.
    pub recipients: Vec<(ForwardPath, RecipientOutcome)>,
    /// The final reply to the message (SMTP: the DATA end or last BDAT; LMTP: the first
    /// delivery reply), with the queue id text when the server gives one.
    pub data: Option<Reply>,
}

impl TransactionReport {
    /// Whether the message was accepted for at least one recipient.
    pub fn delivered(&self) -> bool {
        self.recipients.iter().any(|(_, o)| match o {
            RecipientOutcome::Accepted { delivery: Some(r), .. } => r.code().is_positive(),
            RecipientOutcome::Accepted { delivery: None, .. } => {
                self.data.as_ref().is_some_and(|d| d.code().is_positive())
            }
            _ => false,
        })
    }
}

/// A transaction's envelope: sender, recipients and their parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// The reverse path.
    pub from: ReversePath,
    /// MAIL parameters (SIZE is filled from the declared size when given).
    pub params: MailParams,
    /// The recipients with their RCPT parameters.
    pub recipients: Vec<(ForwardPath, RcptParams)>,
}

impl Envelope {
    /// An envelope with no parameters.
    pub fn new(from: ReversePath, recipients: impl IntoIterator<Item = ForwardPath>) -> Self {
        Self {
            from,
            params: MailParams::default(),
            recipients: recipients.into_iter().map(|r| (r, RcptParams::default())).collect(),
        }
    }
}

/// What the client machine reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's greeting (a 554 means: QUIT).
    Greeting(Reply),
    /// The reply to a command sent with a verb or [`SmtpClient::send`].
    Reply {
        /// The command's handle.
        handle: Handle,
        /// The verb of the command answered (HELO after an EHLO fallback).
        verb: Verb,
        /// The reply.
        reply: Reply,
    },
    /// A 334 challenge for an AUTH sent with [`SmtpClient::send`]: answer with
    /// [`SmtpClient::auth_response`].
    AuthChallenge {
        /// The AUTH command's handle.
        handle: Handle,
        /// The challenge text (base64).
        challenge: Text,
    },
    /// The server is ready for the message body: call [`SmtpClient::body_chunk`] and
    /// [`SmtpClient::body_end`].
    BodyReady {
        /// The transaction's (or DATA command's) handle.
        handle: Handle,
    },
    /// A transaction finished.
    Transaction(TransactionReport),
    /// TLS is up: capabilities are forgotten, EHLO again.
    TlsEstablished,
    /// The connection is over; the machine is closed.
    ConnectionLost(ClientError),
    /// QUIT was answered; the machine is closed.
    Closed,
}

/// What an outstanding reply answers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Greeting,
    Ehlo { handle: Handle, domain: Domain, fallback: bool },
    Command { handle: Handle, verb: Verb },
    StartTls { handle: Handle },
    Auth { handle: Handle },
    TxMail,
    TxRcpt(usize),
    TxData,
    TxDataEnd { remaining: usize },
    TxBdat { last: bool },
    AutoRset,
    DataEnd { handle: Handle, remaining: usize },
    Bdat { handle: Handle },
}

impl Pending {
    /// Whether nothing may be pipelined behind this command (RFC 2920 3.1).
    fn is_sync_point(&self) -> bool {
        matches!(
            self,
            Self::Greeting
                | Self::Ehlo { .. }
                | Self::StartTls { .. }
                | Self::Auth { .. }
                | Self::TxData
        ) || matches!(self, Self::Command { verb, .. } if matches!(verb, Verb::Data | Verb::Quit | Verb::Auth | Verb::Helo | Verb::Ehlo | Verb::Lhlo | Verb::StartTls))
    }

    fn timeout(&self, t: &Timeouts) -> Duration {
        match self {
            Self::Greeting => t.greeting,
            Self::TxMail => t.mail,
            Self::TxRcpt(_) => t.rcpt,
            Self::TxData => t.data_init,
            Self::TxBdat { .. } | Self::Bdat { .. } => t.data_block,
            Self::TxDataEnd { .. } | Self::DataEnd { .. } => t.data_end,
            Self::Command { verb, .. } => match verb {
                Verb::Mail => t.mail,
                Verb::Rcpt => t.rcpt,
                Verb::Data => t.data_init,
                _ => t.other,
            },
            _ => t.other,
        }
    }
}

/// How the current message body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyMode {
    Data,
    Bdat,
}

#[derive(Debug)]
struct Transaction {
    handle: Handle,
    mail: Option<Reply>,
    recipients: Vec<(ForwardPath, RecipientOutcome)>,
    rcpt_params: Vec<RcptParams>,
    /// Recipients not yet sent (without PIPELINING they go one by one).
    next_rcpt: usize,
    /// How many of the recipients are sent at all (LIMITS RCPTMAX).
    sendable: usize,
    mode: BodyMode,
    data: Option<Reply>,
    body_ready: bool,
    body_sent: bool,
    lmtp_index: usize,
    failed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the greeting, or between commands.
    Open,
    /// Waiting for the TLS handshake.
    Tls,
    /// Closed.
    Closed,
}

/// The SMTP or LMTP client machine. See the [module documentation](self).
#[derive(Debug)]
pub struct SmtpClient {
    config: ClientConfig,
    framer: LineFramer,
    parser: ReplyParser,
    state: State,
    security: Security,
    handles: HandleGenerator,
    pending: VecDeque<Pending>,
    transmit: VecDeque<Bytes>,
    transport: VecDeque<TransportAction>,
    events: VecDeque<ClientEvent>,
    caps: Option<Capabilities>,
    greeted: bool,
    authenticated: bool,
    sasl: Option<ClientExchange>,
    tx: Option<Transaction>,
    /// A DATA body in progress outside a transaction (through `send`), and its handle.
    raw_body: Option<(Handle, BodyMode)>,
    /// Generic-mode transaction state: MAIL sent and accepted or pending.
    raw_in_mail: bool,
    /// Generic mode: RCPTs accepted since MAIL (LMTP expects one reply each after DATA).
    raw_rcpts: usize,
    stuffer: DotStuffer,
}

impl SmtpClient {
    /// A client at the start of a connection; the server speaks first.
    pub fn new(config: ClientConfig) -> Self {
        let framer = LineFramer::new(config.limits.line_length, LineEndings::Lenient);
        let parser = ReplyParser::new(config.limits.reply_lines);
        let mut pending = VecDeque::new();
        pending.push_back(Pending::Greeting);
        Self {
            security: config.security,
            config,
            framer,
            parser,
            state: State::Open,
            handles: HandleGenerator::new(),
            pending,
            transmit: VecDeque::new(),
            transport: VecDeque::new(),
            events: VecDeque::new(),
            caps: None,
            greeted: false,
            authenticated: false,
            sasl: None,
            tx: None,
            raw_body: None,
            raw_in_mail: false,
            raw_rcpts: 0,
            stuffer: DotStuffer::new(),
        }
    }

    /// What the server advertised in its last EHLO/LHLO reply of this session (`None`
    /// before it, after HELO, and after STARTTLS until the next EHLO).
    pub const fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// Whether AUTH succeeded in this session.
    pub const fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Octets queued for the transport and not yet taken by
    /// [`poll_transmit`](Protocol::poll_transmit). Feed the next body chunk when this is low:
    /// that is the body's backpressure.
    pub fn pending_output(&self) -> usize {
        self.transmit.iter().map(Bytes::len).sum()
    }

    /// Whether a reply is outstanding.
    pub fn is_waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    fn caps(&self) -> Capabilities {
        self.caps.clone().unwrap_or_default()
    }

    fn check_open(&self) -> Result<(), UsageError> {
        match self.state {
            State::Closed => Err(UsageError::Closed),
            State::Tls => Err(UsageError::WrongState("waiting for the TLS handshake")),
            State::Open if self.pending.front() == Some(&Pending::Greeting) => {
                Err(UsageError::WrongState("waiting for the greeting"))
            }
            State::Open => Ok(()),
        }
    }

    /// May a command be written now (pipelining rules)?
    fn check_pipeline(&self) -> Result<(), UsageError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pipelining = self.caps.as_ref().is_some_and(|c| c.pipelining);
        if !pipelining || self.pending.iter().any(Pending::is_sync_point) {
            return Err(UsageError::WouldPipeline);
        }
        Ok(())
    }

    fn write(&mut self, cmd: &Command) {
        let mut out = BytesMut::new();
        cmd.encode(&mut out);
        self.transmit.push_back(out.freeze());
    }

    /// Sends EHLO (LHLO in LMTP), falling back to HELO on 500/502 (SMTP only). The reply comes
    /// as [`ClientEvent::Reply`]; capabilities are then in [`capabilities`](Self::capabilities).
    pub fn ehlo(&mut self, domain: Domain) -> Result<Handle, UsageError> {
        self.check_open()?;
        self.check_pipeline()?;
        if self.tx.is_some() || self.raw_body.is_some() {
            return Err(UsageError::WrongState("inside a transaction"));
        }
        let handle = self.handles.next_handle();
        let cmd = if self.config.lmtp {
            Command::Lhlo(domain.clone())
        } else {
            Command::Ehlo(domain.clone())
        };
        self.write(&cmd);
        self.pending.push_back(Pending::Ehlo { handle, domain, fallback: !self.config.lmtp });
        Ok(handle)
    }

    /// Sends STARTTLS (only when advertised, on plaintext, outside a transaction).
    pub fn starttls(&mut self) -> Result<Handle, UsageError> {
        self.send(Command::StartTls)
    }

    /// Authenticates with a mailwire-sasl exchange: the initial response goes on the AUTH
    /// line when it fits (RFC 4954 4), 334 challenges are answered by the exchange, and the
    /// result comes as [`ClientEvent::Reply`] to the AUTH handle.
    pub fn auth(&mut self, mut exchange: ClientExchange) -> Result<Handle, UsageError> {
        let name = exchange.mechanism().name();
        self.check_auth(name)?;
        let prefix = "AUTH ".len() + name.len() + 1;
        let initial = exchange.initial_response(prefix, 512, true);
        let mechanism = Keyword::new(Bytes::from_static(name.as_bytes()))
            .map_err(|_| UsageError::NotAdvertised("AUTH"))?;
        let initial =
            initial.and_then(|s| Text::new(Bytes::from(s.expose().clone())).ok()).map(Secret::new);
        let handle = self.handles.next_handle();
        self.write(&Command::Auth { mechanism, initial });
        self.sasl = Some(exchange);
        self.pending.push_back(Pending::Auth { handle });
        Ok(handle)
    }

    fn check_auth(&self, mechanism: &str) -> Result<(), UsageError> {
        self.check_open()?;
        self.check_pipeline()?;
        let caps = self.caps.as_ref().ok_or(UsageError::WrongState("AUTH needs EHLO first"))?;
        if !caps.has_auth(mechanism) {
            return Err(UsageError::NotAdvertised("this AUTH mechanism"));
        }
        if self.authenticated {
            return Err(UsageError::WrongState("already authenticated"));
        }
        if self.tx.is_some() || self.raw_in_mail {
            return Err(UsageError::WrongState("inside a transaction"));
        }
        if self.security == Security::Plaintext && !self.config.allow_plaintext_auth {
            return Err(UsageError::PlaintextAuth);
        }
        Ok(())
    }

    /// Answers a [`ClientEvent::AuthChallenge`] with a base64 line (or `*` to cancel).
    pub fn auth_response(&mut self, line: &Secret<Text>) -> Result<(), UsageError> {
        if self.state == State::Closed {
            return Err(UsageError::Closed);
        }
        if !matches!(self.pending.front(), Some(Pending::Auth { .. })) || self.sasl.is_some() {
            return Err(UsageError::WrongState("no AUTH challenge to answer"));
        }
        let mut out = BytesMut::new();
        out.put_slice(line.expose().as_bytes());
        out.put_slice(b"\r\n");
        self.transmit.push_back(out.freeze());
        Ok(())
    }

    /// Sends RSET (abandons the transaction).
    pub fn rset(&mut self) -> Result<Handle, UsageError> {
        self.send(Command::Rset)
    }

    /// Sends QUIT.
    pub fn quit(&mut self) -> Result<Handle, UsageError> {
        self.send(Command::Quit)
    }

    /// Sends NOOP.
    pub fn noop(&mut self) -> Result<Handle, UsageError> {
        self.send(Command::Noop(None))
    }

    fn check_mail_params(&self, from: &ReversePath, p: &MailParams) -> Result<(), UsageError> {
        let c = self.caps();
        let need = |on: bool, ext: &'static str| {
            if on { Ok(()) } else { Err(UsageError::NotAdvertised(ext)) }
        };
        if let Some(size) = p.size {
            need(c.size.is_some(), "SIZE")?;
            if let Some(max) = c.size.filter(|&m| m > 0)
                && size > max
            {
                return Err(UsageError::TooLarge { size, max });
            }
            if size > self.config.limits.message_size {
                return Err(UsageError::TooLarge { size, max: self.config.limits.message_size });
            }
        }
        match p.body {
            Some(BodyType::EightBitMime) => need(c.eight_bit_mime, "8BITMIME")?,
            Some(BodyType::BinaryMime) => need(c.binary_mime && c.chunking, "BINARYMIME")?,
            _ => {}
        }
        need(!p.smtputf8 || c.smtputf8, "SMTPUTF8")?;
        if !from.is_ascii() && !p.smtputf8 {
            return Err(UsageError::NotAdvertised("SMTPUTF8 (set the SMTPUTF8 parameter)"));
        }
        need(p.ret.is_none() && p.envid.is_none() || c.dsn, "DSN")?;
        need(p.auth.is_none() || !c.auth.is_empty(), "AUTH")?;
        need(!p.requiretls || c.requiretls, "REQUIRETLS")?;
        if p.requiretls && self.security != Security::Tls {
            return Err(UsageError::WrongState("REQUIRETLS needs TLS"));
        }
        need(p.mt_priority.is_none() || c.mt_priority.is_some(), "MT-PRIORITY")?;
        need(
            p.hold_for.is_none() && p.hold_until.is_none() || c.future_release.is_some(),
            "FUTURERELEASE",
        )?;
        need(p.by.is_none() || c.deliver_by.is_some(), "DELIVERBY")?;
        for o in &p.other {
            if !c.has(&o.keyword.to_text()) {
                return Err(UsageError::NotAdvertised("a MAIL parameter's extension"));
            }
        }
        Ok(())
    }

    fn check_rcpt_params(
        &self,
        to: &ForwardPath,
        p: &RcptParams,
        smtputf8: bool,
    ) -> Result<(), UsageError> {
        let c = self.caps();
        if (p.notify.is_some() || p.orcpt.is_some()) && !c.dsn {
            return Err(UsageError::NotAdvertised("DSN"));
        }
        if p.rrvs.is_some() && !c.rrvs {
            return Err(UsageError::NotAdvertised("RRVS"));
        }
        if !to.is_ascii() && !smtputf8 {
            return Err(UsageError::NotAdvertised("SMTPUTF8 (set the SMTPUTF8 parameter)"));
        }
        for o in &p.other {
            if !c.has(&o.keyword.to_text()) {
                return Err(UsageError::NotAdvertised("a RCPT parameter's extension"));
            }
        }
        Ok(())
    }

    /// Sends one command (the generic entry point). It is checked against the state, the
    /// pipelining rules and the advertised extensions; the reply comes as
    /// [`ClientEvent::Reply`]. After a 354 to DATA, [`ClientEvent::BodyReady`] asks for the
    /// body. BDAT goes through [`send_bdat`](Self::send_bdat).
    pub fn send(&mut self, cmd: Command) -> Result<Handle, UsageError> {
        self.check_open()?;
        self.check_pipeline()?;
        if self.tx.is_some() && !matches!(cmd, Command::Noop(_) | Command::Quit | Command::Rset) {
            return Err(UsageError::WrongState("a transaction is under way"));
        }
        if self.raw_body.is_some() {
            return Err(UsageError::WrongState("a message body is being sent"));
        }
        let verb = cmd.verb();
        match &cmd {
            Command::Ehlo(_) | Command::Helo(_) if self.config.lmtp => {
                return Err(UsageError::WrongState("LMTP uses LHLO"));
            }
            Command::Lhlo(_) if !self.config.lmtp => {
                return Err(UsageError::WrongState("LHLO is for LMTP"));
            }
            Command::StartTls => {
                if self.security == Security::Tls {
                    return Err(UsageError::WrongState("TLS is already on"));
                }
                if !self.caps.as_ref().is_some_and(|c| c.starttls) {
                    return Err(UsageError::NotAdvertised("STARTTLS"));
                }
                if self.raw_in_mail {
                    return Err(UsageError::WrongState("inside a transaction"));
                }
            }
            Command::Auth { mechanism, .. } => self.check_auth(&mechanism.to_text())?,
            Command::Mail { from, params } => {
                if !self.greeted {
                    return Err(UsageError::WrongState("MAIL needs EHLO or HELO first"));
                }
                self.check_mail_params(from, params)?;
            }
            Command::Rcpt { to, params } => {
                if !self.raw_in_mail {
                    return Err(UsageError::WrongState("RCPT needs MAIL first"));
                }
                self.check_rcpt_params(to, params, true)?;
            }
            Command::Data if !self.raw_in_mail => {
                return Err(UsageError::WrongState("DATA needs MAIL first"));
            }
            Command::Bdat { .. } => return Err(UsageError::WrongState("use send_bdat")),
            _ => {}
        }
        let handle = self.handles.next_handle();
        self.write(&cmd);
        match cmd {
            Command::Ehlo(d) | Command::Lhlo(d) => {
                self.pending.push_back(Pending::Ehlo { handle, domain: d, fallback: false });
            }
            Command::StartTls => self.pending.push_back(Pending::StartTls { handle }),
            Command::Auth { .. } => {
                self.sasl = None;
                self.pending.push_back(Pending::Auth { handle });
            }
            Command::Mail { .. } => {
                self.raw_in_mail = true;
                self.raw_rcpts = 0;
                self.pending.push_back(Pending::Command { handle, verb });
            }
            _ => self.pending.push_back(Pending::Command { handle, verb }),
        }
        Ok(handle)
    }

    /// Sends one BDAT chunk (generic mode: needs CHUNKING).
    pub fn send_bdat(&mut self, chunk: &[u8], last: bool) -> Result<Handle, UsageError> {
        self.check_open()?;
        if !self.caps.as_ref().is_some_and(|c| c.chunking) {
            return Err(UsageError::NotAdvertised("CHUNKING"));
        }
        if !self.pending.is_empty() && !self.caps.as_ref().is_some_and(|c| c.pipelining) {
            return Err(UsageError::WouldPipeline);
        }
        if self.pending.iter().any(Pending::is_sync_point) {
            return Err(UsageError::WouldPipeline);
        }
        let handle = self.handles.next_handle();
        self.write(&Command::Bdat { size: chunk.len() as u64, last });
        self.transmit.push_back(Bytes::copy_from_slice(chunk));
        if last {
            self.raw_in_mail = false;
        }
        self.pending.push_back(Pending::Bdat { handle });
        Ok(handle)
    }

    /// Starts a transaction: MAIL, the RCPTs and DATA (or BDAT) go out, pipelined when the
    /// server advertised PIPELINING. The body is asked for with [`ClientEvent::BodyReady`];
    /// the outcome comes as one [`ClientEvent::Transaction`]. `size` is the body size when
    /// known (sent as SIZE= when advertised, and checked against the server's limit).
    pub fn send_mail(
        &mut self,
        envelope: Envelope,
        size: Option<u64>,
    ) -> Result<Handle, UsageError> {
        self.check_open()?;
        if !self.greeted {
            return Err(UsageError::WrongState("MAIL needs EHLO or HELO first"));
        }
        if self.tx.is_some() || self.raw_in_mail || self.raw_body.is_some() {
            return Err(UsageError::WrongState("a transaction is under way"));
        }
        self.check_pipeline()?;
        if envelope.recipients.is_empty() {
            return Err(UsageError::NoRecipients);
        }
        let caps = self.caps();
        let mut params = envelope.params;
        if let Some(size) = size {
            if caps.size.is_some() {
                params.size = Some(size);
            } else if size > self.config.limits.message_size {
                return Err(UsageError::TooLarge { size, max: self.config.limits.message_size });
            }
        }
        let non_ascii =
            !envelope.from.is_ascii() || envelope.recipients.iter().any(|(r, _)| !r.is_ascii());
        if non_ascii && caps.smtputf8 {
            params.smtputf8 = true;
        }
        self.check_mail_params(&envelope.from, &params)?;
        for (to, p) in &envelope.recipients {
            self.check_rcpt_params(to, p, params.smtputf8)?;
        }
        let mode = if params.body == Some(BodyType::BinaryMime)
            || (self.config.use_bdat && caps.chunking && caps.pipelining)
        {
            BodyMode::Bdat
        } else {
            BodyMode::Data
        };
        let sendable = caps
            .limits
            .as_ref()
            .and_then(|l| l.rcpt_max)
            .and_then(|m| usize::try_from(m).ok())
            .filter(|&m| m > 0)
            .map_or(envelope.recipients.len(), |m| m.min(envelope.recipients.len()));
        let handle = self.handles.next_handle();
        let (paths, rcpt_params): (Vec<_>, Vec<_>) = envelope.recipients.into_iter().unzip();
        let recipients = paths.into_iter().map(|p| (p, RecipientOutcome::Deferred)).collect();
        self.write(&Command::Mail { from: envelope.from, params });
        self.pending.push_back(Pending::TxMail);
        self.tx = Some(Transaction {
            handle,
            mail: None,
            recipients,
            rcpt_params,
            next_rcpt: 0,
            sendable,
            mode,
            data: None,
            body_ready: false,
            body_sent: false,
            lmtp_index: 0,
            failed: false,
        });
        if caps.pipelining {
            while self.send_next_rcpt() {}
            if mode == BodyMode::Data {
                self.write(&Command::Data);
                self.pending.push_back(Pending::TxData);
            }
        }
        Ok(handle)
    }

    /// Writes the next RCPT of the transaction; false when all are sent.
    fn send_next_rcpt(&mut self) -> bool {
        let Some(tx) = self.tx.as_mut() else { return false };
        let i = tx.next_rcpt;
        if i >= tx.sendable {
            return false;
        }
        let (Some((to, _)), Some(params)) = (tx.recipients.get(i), tx.rcpt_params.get(i)) else {
            return false;
        };
        let cmd = Command::Rcpt { to: to.clone(), params: params.clone() };
        tx.next_rcpt += 1;
        self.write(&cmd);
        self.pending.push_back(Pending::TxRcpt(i));
        true
    }

    /// Sends the next piece of the message body (after [`ClientEvent::BodyReady`]). With DATA
    /// it is dot-stuffed and its line endings made CRLF; with BDAT it goes as one chunk, as
    /// is. Feed pieces as the transport drains [`poll_transmit`](Protocol::poll_transmit).
    pub fn body_chunk(&mut self, chunk: &[u8]) -> Result<(), UsageError> {
        let mode = self.body_mode()?;
        if chunk.is_empty() {
            return Ok(());
        }
        match mode {
            BodyMode::Data => {
                let mut out = BytesMut::with_capacity(chunk.len() + chunk.len() / 32 + 4);
                self.stuffer.encode(chunk, &mut out);
                self.transmit.push_back(out.freeze());
            }
            BodyMode::Bdat => {
                self.check_bdat_wait()?;
                self.write(&Command::Bdat { size: chunk.len() as u64, last: false });
                self.transmit.push_back(Bytes::copy_from_slice(chunk));
                self.pending.push_back(Pending::TxBdat { last: false });
            }
        }
        Ok(())
    }

    /// Ends the message body (`CRLF.CRLF` after DATA, `BDAT 0 LAST` with BDAT).
    pub fn body_end(&mut self) -> Result<(), UsageError> {
        let mode = self.body_mode()?;
        match mode {
            BodyMode::Data => {
                let mut out = BytesMut::new();
                self.stuffer.finish(&mut out);
                self.transmit.push_back(out.freeze());
            }
            BodyMode::Bdat => {
                self.check_bdat_wait()?;
                self.write(&Command::Bdat { size: 0, last: true });
            }
        }
        let lmtp = self.config.lmtp;
        if let Some((handle, _)) = self.raw_body.take() {
            let remaining = if lmtp { self.lmtp_accepted_raw() } else { 1 };
            self.raw_in_mail = false;
            self.pending.push_back(Pending::DataEnd { handle, remaining: remaining.max(1) });
            return Ok(());
        }
        if let Some(tx) = self.tx.as_mut() {
            tx.body_sent = true;
            tx.body_ready = false;
            let accepted = tx
                .recipients
                .iter()
                .filter(|(_, o)| matches!(o, RecipientOutcome::Accepted { .. }))
                .count();
            match tx.mode {
                BodyMode::Data => {
                    let remaining = if lmtp { accepted.max(1) } else { 1 };
                    self.pending.push_back(Pending::TxDataEnd { remaining });
                }
                BodyMode::Bdat => self.pending.push_back(Pending::TxBdat { last: true }),
            }
        }
        Ok(())
    }

    /// LMTP in generic mode: the number of accepted RCPTs is the caller's business; one
    /// reply is expected per RCPT answered 2xx since MAIL. Tracked by `raw_rcpts`.
    fn lmtp_accepted_raw(&self) -> usize {
        self.raw_rcpts
    }

    /// Without PIPELINING, each BDAT waits for the previous one's reply (RFC 3030 2); a new
    /// [`ClientEvent::BodyReady`] says when.
    fn check_bdat_wait(&self) -> Result<(), UsageError> {
        let pipelining = self.caps.as_ref().is_some_and(|c| c.pipelining);
        if !pipelining && self.pending.iter().any(|p| matches!(p, Pending::TxBdat { .. })) {
            return Err(UsageError::WouldPipeline);
        }
        Ok(())
    }

    fn body_mode(&self) -> Result<BodyMode, UsageError> {
        if self.state == State::Closed {
            return Err(UsageError::Closed);
        }
        if let Some((_, mode)) = self.raw_body {
            return Ok(mode);
        }
        match &self.tx {
            Some(tx) if tx.body_ready && !tx.body_sent => Ok(tx.mode),
            _ => Err(UsageError::WrongState("no message body is expected")),
        }
    }

    // ---- replies ----

    fn lost(&mut self, error: ClientError) {
        if self.state != State::Closed {
            self.state = State::Closed;
            self.transport.push_back(TransportAction::Close);
            self.events.push_back(ClientEvent::ConnectionLost(error));
        }
    }

    fn process(&mut self) {
        while self.state == State::Open {
            let Some(line) = self.framer.next_line() else { return };
            let Ok(line) = line else { return self.lost(ClientError::LineTooLong) };
            match self.parser.push(&line.content()) {
                Ok(None) => {}
                Ok(Some(reply)) => self.on_reply(reply),
                Err(e) => return self.lost(ClientError::BadReply(e)),
            }
        }
    }

    fn on_reply(&mut self, reply: Reply) {
        let Some(pending) = self.pending.pop_front() else {
            if reply.code() == ReplyCode::NOT_AVAILABLE {
                return self.lost(ClientError::ServiceClosing(reply));
            }
            return self.lost(ClientError::UnexpectedReply(reply.code().get()));
        };
        let code = reply.code();
        let ok = code.is_positive();
        let closing = (code == ReplyCode::NOT_AVAILABLE).then(|| reply.clone());
        match pending {
            Pending::Greeting => {
                self.events.push_back(ClientEvent::Greeting(reply));
            }
            Pending::Ehlo { handle, domain, fallback } => {
                if fallback && matches!(code.get(), 500 | 502) {
                    self.write(&Command::Helo(domain.clone()));
                    self.pending.push_front(Pending::Command { handle, verb: Verb::Helo });
                    return;
                }
                if ok {
                    self.greeted = true;
                    self.caps = Some(Capabilities::from_reply(&reply));
                }
                let verb = if self.config.lmtp { Verb::Lhlo } else { Verb::Ehlo };
                self.events.push_back(ClientEvent::Reply { handle, verb, reply });
            }
            Pending::StartTls { handle } => {
                if code == ReplyCode::READY {
                    if !self.framer.buffered().is_empty() || self.parser.is_partial() {
                        return self.lost(ClientError::PlaintextInjection);
                    }
                    self.events.push_back(ClientEvent::Reply {
                        handle,
                        verb: Verb::StartTls,
                        reply,
                    });
                    self.state = State::Tls;
                    self.transport.push_back(TransportAction::StartTls { role: TlsRole::Client });
                    return;
                }
                self.events.push_back(ClientEvent::Reply { handle, verb: Verb::StartTls, reply });
            }
            Pending::Auth { handle } => {
                if code == ReplyCode::AUTH_CONTINUE {
                    self.pending.push_front(Pending::Auth { handle });
                    let challenge = reply.line(0).unwrap_or_default();
                    match self.sasl.as_mut().map(|x| x.challenge(challenge.as_bytes())) {
                        None => {
                            self.events.push_back(ClientEvent::AuthChallenge { handle, challenge });
                        }
                        Some(Ok(SaslReply::Send(line))) => {
                            let mut out = BytesMut::from(line.expose().as_bytes());
                            out.put_slice(b"\r\n");
                            self.transmit.push_back(out.freeze());
                        }
                        Some(Ok(SaslReply::ServerError { line, .. })) => {
                            let mut out = BytesMut::from(line.as_bytes());
                            out.put_slice(b"\r\n");
                            self.transmit.push_back(out.freeze());
                        }
                        Some(Ok(_)) => {
                            self.transmit.push_back(Bytes::from_static(b"*\r\n"));
                        }
                        Some(Err(e)) => {
                            // cancel the exchange (RFC 4954 4)
                            let _ = e;
                            self.transmit.push_back(Bytes::from_static(b"*\r\n"));
                        }
                    }
                    return;
                }
                if code == ReplyCode::AUTH_OK {
                    if let Some(mut x) = self.sasl.take()
                        && let Err(e) = x.success(None)
                    {
                        return self.lost(ClientError::Sasl(e.to_string()));
                    }
                    self.authenticated = true;
                }
                self.sasl = None;
                self.events.push_back(ClientEvent::Reply { handle, verb: Verb::Auth, reply });
            }
            Pending::Command { handle, verb } => {
                match verb {
                    Verb::Helo if ok => {
                        self.greeted = true;
                        self.caps = None;
                    }
                    Verb::Mail if !ok => self.raw_in_mail = false,
                    Verb::Rcpt if ok => self.raw_rcpts += 1,
                    Verb::Rset => {
                        self.raw_in_mail = false;
                        self.raw_rcpts = 0;
                    }
                    Verb::Data if code == ReplyCode::START_DATA => {
                        self.raw_body = Some((handle, BodyMode::Data));
                        self.events.push_back(ClientEvent::Reply { handle, verb, reply });
                        self.events.push_back(ClientEvent::BodyReady { handle });
                        return;
                    }
                    Verb::Quit => {
                        self.events.push_back(ClientEvent::Reply { handle, verb, reply });
                        self.state = State::Closed;
                        self.transport.push_back(TransportAction::Close);
                        self.events.push_back(ClientEvent::Closed);
                        return;
                    }
                    _ => {}
                }
                self.events.push_back(ClientEvent::Reply { handle, verb, reply });
            }
            Pending::DataEnd { handle, remaining } => {
                if remaining > 1 {
                    self.pending.push_front(Pending::DataEnd { handle, remaining: remaining - 1 });
                } else {
                    self.raw_rcpts = 0;
                }
                self.events.push_back(ClientEvent::Reply { handle, verb: Verb::Data, reply });
            }
            Pending::Bdat { handle } => {
                self.events.push_back(ClientEvent::Reply { handle, verb: Verb::Bdat, reply });
            }
            Pending::AutoRset => {}
            Pending::TxMail => self.tx_mail(reply),
            Pending::TxRcpt(i) => self.tx_rcpt(i, reply),
            Pending::TxData => self.tx_data(reply),
            Pending::TxDataEnd { remaining } => self.tx_data_end(reply, remaining),
            Pending::TxBdat { last } => self.tx_bdat(reply, last),
        }
        if let Some(reply) = closing {
            self.lost(ClientError::ServiceClosing(reply));
        }
    }

    fn tx_mail(&mut self, reply: Reply) {
        let ok = reply.code().is_positive();
        let pipelining = self.caps.as_ref().is_some_and(|c| c.pipelining);
        let Some(tx) = self.tx.as_mut() else { return };
        tx.mail = Some(reply);
        if !ok {
            tx.failed = true;
            if !pipelining {
                return self.finish_tx(false);
            }
            return self.maybe_finish_tx();
        }
        if !pipelining {
            self.send_next_rcpt();
        }
    }

    fn tx_rcpt(&mut self, i: usize, reply: Reply) {
        let ok = reply.code().is_positive();
        let pipelining = self.caps.as_ref().is_some_and(|c| c.pipelining);
        let Some(tx) = self.tx.as_mut() else { return };
        if let Some((_, outcome)) = tx.recipients.get_mut(i) {
            *outcome = if ok {
                RecipientOutcome::Accepted { reply, delivery: None }
            } else {
                RecipientOutcome::Rejected(reply)
            };
        }
        let all_answered = tx.next_rcpt >= tx.sendable && i + 1 >= tx.sendable;
        if !pipelining {
            if self.send_next_rcpt() {
                return;
            }
            let Some(tx) = self.tx.as_mut() else { return };
            if !tx.recipients.iter().any(|(_, o)| matches!(o, RecipientOutcome::Accepted { .. })) {
                tx.failed = true;
                return self.finish_tx(true);
            }
            match tx.mode {
                BodyMode::Data => {
                    self.write(&Command::Data);
                    self.pending.push_back(Pending::TxData);
                }
                BodyMode::Bdat => self.body_ready(),
            }
            return;
        }
        if all_answered && tx.mode == BodyMode::Bdat {
            let mail_ok = tx.mail.as_ref().is_some_and(|m| m.code().is_positive());
            if mail_ok
                && tx.recipients.iter().any(|(_, o)| matches!(o, RecipientOutcome::Accepted { .. }))
            {
                self.body_ready();
            } else {
                tx.failed = true;
                self.finish_tx(mail_ok);
            }
        }
    }

    fn body_ready(&mut self) {
        if let Some(tx) = self.tx.as_mut() {
            tx.body_ready = true;
            let handle = tx.handle;
            self.stuffer = DotStuffer::new();
            self.events.push_back(ClientEvent::BodyReady { handle });
        }
    }

    fn tx_data(&mut self, reply: Reply) {
        let Some(tx) = self.tx.as_mut() else { return };
        if reply.code() == ReplyCode::START_DATA {
            let accepted =
                tx.recipients.iter().any(|(_, o)| matches!(o, RecipientOutcome::Accepted { .. }));
            if tx.failed || !accepted {
                // RFC 2920 3.1: a 354 after every recipient failed; end the empty message
                // at once (the server will refuse it for want of recipients)
                tx.failed = true;
                self.transmit.push_back(Bytes::from_static(b".\r\n"));
                self.pending.push_front(Pending::TxDataEnd { remaining: 1 });
                return;
            }
            self.body_ready();
            return;
        }
        tx.data = Some(reply);
        tx.failed = true;
        self.finish_tx(tx_mail_ok(self.tx.as_ref()));
    }

    fn tx_data_end(&mut self, reply: Reply, remaining: usize) {
        let lmtp = self.config.lmtp;
        let Some(tx) = self.tx.as_mut() else { return };
        if lmtp {
            // LMTP: one reply per accepted recipient, in RCPT order
            let idx = tx
                .recipients
                .iter()
                .enumerate()
                .filter(|(_, (_, o))| matches!(o, RecipientOutcome::Accepted { .. }))
                .map(|(i, _)| i)
                .nth(tx.lmtp_index);
            tx.lmtp_index += 1;
            if tx.data.is_none() {
                tx.data = Some(reply.clone());
            }
            if let Some(RecipientOutcome::Accepted { delivery, .. }) =
                idx.and_then(|i| tx.recipients.get_mut(i)).map(|(_, o)| o)
            {
                *delivery = Some(reply);
            }
            if remaining > 1 {
                self.pending.push_front(Pending::TxDataEnd { remaining: remaining - 1 });
                return;
            }
        } else {
            tx.data = Some(reply);
        }
        self.finish_tx(false);
    }

    fn tx_bdat(&mut self, reply: Reply, last: bool) {
        let pipelining = self.caps.as_ref().is_some_and(|c| c.pipelining);
        let Some(tx) = self.tx.as_mut() else { return };
        let ok = reply.code().is_positive();
        if ok && !last && !pipelining {
            let handle = tx.handle;
            self.events.push_back(ClientEvent::BodyReady { handle });
            return;
        }
        if !ok && tx.data.is_none() {
            tx.data = Some(reply.clone());
            tx.failed = true;
        }
        if last {
            if ok {
                tx.data = Some(reply);
            }
            let failed = tx.failed;
            self.finish_tx(failed);
        }
    }

    fn maybe_finish_tx(&mut self) {
        // with PIPELINING, replies to RCPT/DATA still come; the last one finishes
        if self.pending.iter().any(|p| matches!(p, Pending::TxRcpt(_) | Pending::TxData)) {
            return;
        }
        self.finish_tx(false);
    }

    /// Ends the transaction and reports it; `rset` sends RSET first (MAIL was accepted but
    /// the message was not sent).
    fn finish_tx(&mut self, rset: bool) {
        // drop replies still expected for this transaction (pipelined ones are consumed as
        // they come through `Pending` entries that no longer find a transaction)
        let Some(tx) = self.tx.take() else { return };
        if rset {
            self.write(&Command::Rset);
            self.pending.push_back(Pending::AutoRset);
        }
        let report = TransactionReport {
            handle: tx.handle,
            mail: tx.mail,
            recipients: tx.recipients,
            data: tx.data,
        };
        self.events.push_back(ClientEvent::Transaction(report));
    }
}

fn tx_mail_ok(tx: Option<&Transaction>) -> bool {
    tx.and_then(|t| t.mail.as_ref()).is_some_and(|m| m.code().is_positive())
}

impl Protocol for SmtpClient {
    type Event = ClientEvent;

    fn handle_input(&mut self, bytes: &[u8]) {
        match self.state {
            State::Closed => {}
            State::Tls => {
                if !bytes.is_empty() {
                    self.lost(ClientError::PlaintextInjection);
                }
            }
            State::Open => {
                self.framer.push(bytes);
                self.process();
            }
        }
    }

    fn handle_eof(&mut self) {
        if self.state != State::Closed {
            self.lost(ClientError::Eof);
        }
    }

    fn handle_timeout(&mut self) {
        if self.state != State::Closed && !self.pending.is_empty() {
            self.lost(ClientError::Timeout);
        }
    }

    fn handle_tls_established(&mut self) {
        if self.state != State::Tls {
            return;
        }
        self.state = State::Open;
        self.security = Security::Tls;
        self.caps = None;
        self.greeted = false;
        self.authenticated = false;
        self.events.push_back(ClientEvent::TlsEstablished);
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
        if self.state != State::Open {
            return None;
        }
        self.pending.front().map(|p| p.timeout(&self.config.timeouts))
    }

    fn security(&self) -> Security {
        self.security
    }

    fn is_closed(&self) -> bool {
        self.state == State::Closed
    }
}
