//! A small typed SMTP client over the blocking driver: connect (with STARTTLS or implicit
//! TLS), authenticate, send messages, quit.
//!
//! ```no_run
//! use mailwire_core::Secret;
//! use mailwire_io::smtp::SmtpClient;
//! use mailwire_io::ClientSettings;
//!
//! let mut smtp = SmtpClient::connect("mail.example.org:587", &ClientSettings::default())?;
//! smtp.login("ann", &Secret::new("password".to_owned()))?;
//! let report = smtp.send("ann@example.org", &["bob@example.net"], b"Subject: hi\r\n\r\nhello\r\n")?;
//! println!("{}", report.data.map(|r| r.to_string()).unwrap_or_default());
//! smtp.quit()?;
//! # Ok::<(), mailwire_io::Error>(())
//! ```

use std::net::TcpStream;

use mailwire_core::{Handle, Secret, Security};
use mailwire_sasl::{ClientExchange, LoginClient, PlainClient};
use mailwire_smtp::{
    BodyType, Capabilities, ClientConfig, ClientEvent, Domain, Envelope, ForwardPath, Mailbox,
    RecipientOutcome, Reply, ReversePath, TransactionReport, UsageError,
};

use crate::blocking::{Connection, connect};

#[cfg(feature = "tokio")]
mod asynchronous;
use crate::{ClientSettings, Error, TlsError, TlsMode};
#[cfg(feature = "tokio")]
pub use asynchronous::AsyncSmtpClient;

/// The machine this client drives.
pub(crate) type Machine = mailwire_smtp::SmtpClient;

/// Message bodies go to the machine in pieces of this size: with BDAT each is one chunk, and
/// their few replies fit in the socket buffers while the rest is written.
pub(crate) const BODY_PIECE: usize = 256 * 1024;

/// An SMTP session over TCP: each method sends its commands and waits for the answers.
#[derive(Debug)]
pub struct SmtpClient {
    conn: Connection<Machine, TcpStream>,
    hello: Domain,
}

pub(crate) fn usage(e: UsageError) -> Error {
    Error::Usage(e.to_string())
}

/// The reply as the server sent it, lines joined by `" | "`: `550 5.1.1 No such user`.
pub(crate) fn reply_text(reply: &Reply) -> String {
    let wire = reply.to_bytes();
    String::from_utf8_lossy(&wire)
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

pub(crate) fn rejected(command: &str, reply: &Reply) -> Error {
    Error::Rejected { command: command.to_owned(), reply: reply_text(reply) }
}

impl SmtpClient {
    /// Connects to `addr` (`host:port`), reads the greeting, says EHLO (with
    /// `settings.hello_name`) and secures the session as `settings.tls_mode` says (STARTTLS
    /// required by default; EHLO again after it).
    pub fn connect(addr: &str, settings: &ClientSettings) -> Result<Self, Error> {
        let hello = Domain::try_from(settings.hello_name.as_str())
            .map_err(|e| Error::Usage(format!("hello name {:?}: {e}", settings.hello_name)))?;
        let tls = settings.tls_for(addr)?;
        let stream = connect(addr, settings.connect_timeout)?;
        let mut config = ClientConfig::default();
        config.security = if settings.tls_mode == TlsMode::Implicit {
            Security::Tls
        } else {
            Security::Plaintext
        };
        config.allow_plaintext_auth = settings.allow_plaintext_credentials;
        let conn =
            Connection::new(Machine::new(config), stream).with_options(settings.options.clone());
        let conn = match settings.tls_mode {
            TlsMode::Implicit => conn.with_implicit_tls(tls),
            TlsMode::None => conn,
            _ => conn.with_starttls(tls),
        };
        let mut client = Self { conn, hello };
        match client.next()? {
            ClientEvent::Greeting(reply) if reply.code().get() == 220 => {}
            ClientEvent::Greeting(reply) => return Err(rejected("greeting", &reply)),
            other => return Err(Error::protocol(format!("expected the greeting, got {other:?}"))),
        }
        client.ehlo()?;
        if matches!(settings.tls_mode, TlsMode::StartTlsRequired | TlsMode::StartTlsOpportunistic) {
            client.starttls(settings.tls_mode == TlsMode::StartTlsRequired)?;
        }
        Ok(client)
    }

    fn ehlo(&mut self) -> Result<(), Error> {
        let h = self.conn.machine_mut().ehlo(self.hello.clone()).map_err(usage)?;
        let reply = self.reply(h)?;
        if reply.code().is_positive() { Ok(()) } else { Err(rejected("EHLO", &reply)) }
    }

    fn starttls(&mut self, required: bool) -> Result<(), Error> {
        if !self.conn.machine().capabilities().is_some_and(|c| c.starttls) {
            if required {
                self.abandon();
                return Err(TlsError::NotOffered("STARTTLS").into());
            }
            return Ok(());
        }
        let h = self.conn.machine_mut().starttls().map_err(usage)?;
        loop {
            match self.next()? {
                ClientEvent::Reply { handle, reply, .. }
                    if handle == h && reply.code().get() != 220 =>
                {
                    if required {
                        self.abandon();
                        return Err(rejected("STARTTLS", &reply));
                    }
                    return Ok(());
                }
                // The driver ran the handshake when the machine asked for it; capabilities
                // learned in plaintext are gone, so EHLO again.
                ClientEvent::TlsEstablished => return self.ehlo(),
                _ => {}
            }
        }
    }

    /// Authenticates with `AUTH PLAIN`, or `AUTH LOGIN` when only that is offered.
    pub fn login(&mut self, user: &str, password: &Secret<String>) -> Result<(), Error> {
        let caps = self.conn.machine().capabilities();
        let bad = |e: mailwire_sasl::CredentialError| Error::Usage(e.to_string());
        let exchange = if caps.is_some_and(|c| c.has_auth("PLAIN")) {
            ClientExchange::new(Box::new(
                PlainClient::new("", user, password.clone()).map_err(bad)?,
            ))
        } else if caps.is_some_and(|c| c.has_auth("LOGIN")) {
            ClientExchange::new(Box::new(LoginClient::new(user, password.clone()).map_err(bad)?))
        } else {
            return Err(Error::Usage("the server offers neither AUTH PLAIN nor AUTH LOGIN".into()));
        };
        self.authenticate(exchange)
    }

    /// Authenticates through any mailwire-sasl mechanism.
    pub fn authenticate(&mut self, exchange: ClientExchange) -> Result<(), Error> {
        let name = exchange.mechanism().name();
        let h = self.conn.machine_mut().auth(exchange).map_err(usage)?;
        let reply = self.reply(h)?;
        if reply.code().is_positive() {
            Ok(())
        } else {
            Err(rejected(&format!("AUTH {name}"), &reply))
        }
    }

    /// Sends `message` (the RFC 5322 text, CRLF line endings) from `from` (empty: the null
    /// sender `<>`) to `to`, pipelined and with BDAT when the server allows it. `BODY=8BITMIME`
    /// is declared for an 8-bit message, SMTPUTF8 for non-ASCII addresses.
    ///
    /// Returns the report when at least one recipient got the message (the others' refusals
    /// are in it); otherwise [`Error::Rejected`] with the step and the reply that stopped it.
    pub fn send(
        &mut self,
        from: &str,
        to: &[&str],
        message: &[u8],
    ) -> Result<TransactionReport, Error> {
        let from = if from.is_empty() {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(
                Mailbox::parse(from).map_err(|e| Error::Usage(format!("sender {from:?}: {e}")))?,
            )
        };
        let recipients = to
            .iter()
            .map(|t| {
                Mailbox::parse(t)
                    .map(ForwardPath::Mailbox)
                    .map_err(|e| Error::Usage(format!("recipient {t:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut envelope = Envelope::new(from, recipients);
        if !message.is_ascii() {
            if !self.capabilities().is_some_and(|c| c.eight_bit_mime) {
                return Err(Error::Usage(
                    "an 8-bit message, but the server does not advertise 8BITMIME".into(),
                ));
            }
            envelope.params.body = Some(BodyType::EightBitMime);
        }
        let size = u64::try_from(message.len()).unwrap_or(u64::MAX);
        let h = self.conn.machine_mut().send_mail(envelope, Some(size)).map_err(usage)?;
        let report = loop {
            match self.next()? {
                ClientEvent::BodyReady { handle } if handle == h => {
                    for piece in message.chunks(BODY_PIECE) {
                        self.conn.machine_mut().body_chunk(piece).map_err(usage)?;
                        self.conn.flush()?;
                    }
                    self.conn.machine_mut().body_end().map_err(usage)?;
                }
                ClientEvent::Transaction(report) if report.handle == h => break report,
                _ => {}
            }
        };
        if report.delivered() {
            return Ok(report);
        }
        Err(match (&report.mail, &report.data) {
            (Some(mail), _) if !mail.code().is_positive() => rejected("MAIL FROM", mail),
            (_, Some(data)) => rejected("DATA", data),
            _ => match report.recipients.iter().find_map(|(_, o)| match o {
                RecipientOutcome::Rejected(reply) => Some(reply),
                _ => None,
            }) {
                Some(reply) => rejected("RCPT TO", reply),
                None => Error::protocol("the message was not accepted"),
            },
        })
    }

    /// `QUIT`: ends the session and closes the connection.
    pub fn quit(mut self) -> Result<(), Error> {
        let h = self.conn.machine_mut().quit().map_err(usage)?;
        let reply = self.reply(h)?;
        while self.conn.next_event()?.is_some() {}
        if reply.code().is_positive() { Ok(()) } else { Err(rejected("QUIT", &reply)) }
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.conn.is_tls()
    }

    /// What the server advertised in its last EHLO reply on this security layer.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.conn.machine().capabilities()
    }

    /// The driven connection, for commands this client does not wrap.
    pub fn connection_mut(&mut self) -> &mut Connection<Machine, TcpStream> {
        &mut self.conn
    }

    /// Best effort QUIT before giving up on a session (TLS required but unavailable).
    fn abandon(&mut self) {
        if self.conn.machine_mut().quit().is_ok() {
            let _ = self.conn.flush();
        }
    }

    /// The next event; a lost connection becomes its most precise error.
    fn next(&mut self) -> Result<ClientEvent, Error> {
        match self.conn.next_event()? {
            Some(ClientEvent::ConnectionLost(lost)) => match self.conn.next_event() {
                Err(e) => Err(e),
                Ok(_) => Err(Error::protocol(lost)),
            },
            Some(event) => Ok(event),
            None => Err(Error::PeerClosed),
        }
    }

    /// Waits for the reply to `h`.
    fn reply(&mut self, h: Handle) -> Result<Reply, Error> {
        loop {
            if let ClientEvent::Reply { handle, reply, .. } = self.next()?
                && handle == h
            {
                return Ok(reply);
            }
        }
    }
}
