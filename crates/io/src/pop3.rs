//! A small typed POP3 client over the blocking driver: connect (with STLS or implicit TLS),
//! log in, list, retrieve, delete, quit.
//!
//! ```no_run
//! use mailwire_core::Secret;
//! use mailwire_io::pop3::Pop3Client;
//! use mailwire_io::ClientSettings;
//!
//! let mut pop = Pop3Client::connect("mail.example.org:110", &ClientSettings::default())?;
//! pop.login("ann", &Secret::new("password".to_owned()))?;
//! for listing in pop.list()? {
//!     let message = pop.retrieve(listing.msg)?;
//!     println!("message {} has {} octets", listing.msg, message.len());
//! }
//! pop.quit()?;
//! # Ok::<(), mailwire_io::Error>(())
//! ```

use std::io::Write;
use std::net::TcpStream;

use mailwire_core::{Handle, Secret, Security};
use mailwire_pop3::{
    Capabilities, Client, ClientConfig, ClientEvent, MsgNum, ScanListing, Stat, Status, Text,
    UidlListing, UsageError, Word,
};

use crate::blocking::{Connection, connect};

#[cfg(feature = "tokio")]
mod asynchronous;
use crate::{ClientSettings, Error, TlsError, TlsMode};
#[cfg(feature = "tokio")]
pub use asynchronous::AsyncPop3Client;

/// A POP3 session over TCP: each method sends one command and waits for its answer.
#[derive(Debug)]
pub struct Pop3Client {
    conn: Connection<Client, TcpStream>,
}

pub(crate) fn usage(e: UsageError) -> Error {
    Error::Usage(e.to_string())
}

pub(crate) fn status_line(s: &Status) -> String {
    let mut out = bytes::BytesMut::new();
    s.encode(&mut out);
    String::from_utf8_lossy(&out).trim_end().to_owned()
}

impl Pop3Client {
    /// Connects to `addr` (`host:port`), reads the greeting and secures the session as
    /// `settings.tls_mode` says (STLS required by default).
    pub fn connect(addr: &str, settings: &ClientSettings) -> Result<Self, Error> {
        let tls = settings.tls_for(addr)?;
        let stream = connect(addr, settings.connect_timeout)?;
        let security = if settings.tls_mode == TlsMode::Implicit {
            Security::Tls
        } else {
            Security::Plaintext
        };
        let config = ClientConfig::default()
            .with_plaintext_credentials(settings.allow_plaintext_credentials);
        let conn = Connection::new(Client::new(config, security), stream)
            .with_options(settings.options.clone());
        let conn = match settings.tls_mode {
            TlsMode::Implicit => conn.with_implicit_tls(tls),
            TlsMode::None => conn,
            _ => conn.with_starttls(tls),
        };
        let mut client = Self { conn };
        match client.next()? {
            ClientEvent::Greeting(status) if status.is_ok() => {}
            ClientEvent::Greeting(status) => {
                return Err(Error::Rejected {
                    command: "greeting".into(),
                    reply: status_line(&status),
                });
            }
            other => return Err(Error::protocol(format!("expected the greeting, got {other:?}"))),
        }
        if matches!(settings.tls_mode, TlsMode::StartTlsRequired | TlsMode::StartTlsOpportunistic) {
            client.starttls(settings.tls_mode == TlsMode::StartTlsRequired)?;
        }
        Ok(client)
    }

    fn starttls(&mut self, required: bool) -> Result<(), Error> {
        // CAPA first: a server that lists its capabilities without STLS does not offer it; one
        // that knows no CAPA (RFC 1939 only) may still accept STLS.
        let _ = self.capa();
        let offered = self.conn.machine().capabilities().is_none_or(Capabilities::stls);
        if !offered {
            if required {
                self.abandon();
                return Err(TlsError::NotOffered("STLS").into());
            }
            return Ok(());
        }
        let h = self.conn.machine_mut().stls().map_err(usage)?;
        let status = self.reply(h)?;
        if !status.is_ok() {
            if required {
                self.abandon();
                return Err(Error::Rejected {
                    command: "STLS".into(),
                    reply: status_line(&status),
                });
            }
            return Ok(());
        }
        // The driver ran the handshake when the machine asked for it; the machine then sends
        // CAPA again.
        loop {
            match self.next()? {
                ClientEvent::TlsEstablished { capa: Some(h) } => {
                    self.until_end(h, |_| {})?;
                    return Ok(());
                }
                ClientEvent::TlsEstablished { capa: None } => return Ok(()),
                _ => {}
            }
        }
    }

    /// Logs in with `USER` / `PASS`.
    pub fn login(&mut self, user: &str, password: &Secret<String>) -> Result<(), Error> {
        let name = Word::new(user.to_owned()).map_err(|e| Error::Usage(e.to_string()))?;
        let pass = Text::new(password.expose().clone())
            .map_err(|_| Error::Usage("the password is not a valid POP3 argument".into()))?;
        let h = self.conn.machine_mut().user(name).map_err(usage)?;
        self.ok(h, "USER")?;
        let h = self.conn.machine_mut().pass(Secret::new(pass)).map_err(usage)?;
        self.ok(h, "PASS")
    }

    /// Logs in with `AUTH` through a SASL mechanism (PLAIN, SCRAM, ...).
    pub fn authenticate(
        &mut self,
        mechanism: Box<dyn mailwire_sasl::ClientMechanism>,
    ) -> Result<(), Error> {
        let h = self.conn.machine_mut().authenticate(mechanism).map_err(usage)?;
        self.ok(h, "AUTH")
    }

    /// `CAPA`: the server's capabilities (also kept by the machine).
    pub fn capa(&mut self) -> Result<Capabilities, Error> {
        let h = self.conn.machine_mut().capa().map_err(usage)?;
        let mut caps = None;
        self.ok_multi(h, "CAPA", |e| {
            if let ClientEvent::Capabilities { capabilities, .. } = e {
                caps = Some(capabilities);
            }
        })?;
        Ok(caps.unwrap_or_default())
    }

    /// `STAT`: the number of messages and their total size.
    pub fn stat(&mut self) -> Result<Stat, Error> {
        let h = self.conn.machine_mut().stat().map_err(usage)?;
        self.ok(h, "STAT")?;
        // The machine reports the parsed listing right after the status line.
        match self.next()? {
            ClientEvent::Stat { handle, stat } if handle == h => Ok(stat),
            other => Err(Error::protocol(format!("expected the STAT listing, got {other:?}"))),
        }
    }

    /// `LIST`: every message's number and size.
    pub fn list(&mut self) -> Result<Vec<ScanListing>, Error> {
        let h = self.conn.machine_mut().list(None).map_err(usage)?;
        let mut out = Vec::new();
        self.ok_multi(h, "LIST", |e| {
            if let ClientEvent::Scan { listing, .. } = e {
                out.push(listing);
            }
        })?;
        Ok(out)
    }

    /// `UIDL`: every message's number and unique-id.
    pub fn uidl(&mut self) -> Result<Vec<UidlListing>, Error> {
        let h = self.conn.machine_mut().uidl(None).map_err(usage)?;
        let mut out = Vec::new();
        self.ok_multi(h, "UIDL", |e| {
            if let ClientEvent::Uidl { listing, .. } = e {
                out.push(listing);
            }
        })?;
        Ok(out)
    }

    /// `RETR msg`: the message, dot-unstuffed, as the server stored it.
    pub fn retrieve(&mut self, msg: MsgNum) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.retrieve_to(msg, &mut out)?;
        Ok(out)
    }

    /// `RETR msg`, streamed into `out` chunk by chunk; returns the number of octets.
    pub fn retrieve_to(&mut self, msg: MsgNum, out: &mut impl Write) -> Result<u64, Error> {
        let h = self.conn.machine_mut().retr(msg).map_err(usage)?;
        let mut written = 0u64;
        let mut failed = None;
        self.ok_multi(h, &format!("RETR {msg}"), |e| {
            if let ClientEvent::Body { chunk, .. } = e
                && failed.is_none()
            {
                match out.write_all(&chunk) {
                    Ok(()) => written += chunk.len() as u64,
                    Err(err) => failed = Some(err),
                }
            }
        })?;
        match failed {
            Some(err) => Err(Error::Io(std::sync::Arc::new(err))),
            None => Ok(written),
        }
    }

    /// `DELE msg`: marks the message; the server removes it at [`quit`](Self::quit).
    pub fn delete(&mut self, msg: MsgNum) -> Result<(), Error> {
        let h = self.conn.machine_mut().dele(msg).map_err(usage)?;
        self.ok(h, &format!("DELE {msg}"))
    }

    /// `QUIT`: ends the session (the server applies the deletions) and closes the connection.
    pub fn quit(mut self) -> Result<(), Error> {
        let h = self.conn.machine_mut().quit().map_err(usage)?;
        self.ok(h, "QUIT")?;
        while self.conn.next_event()?.is_some() {}
        Ok(())
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.conn.is_tls()
    }

    /// The server's capabilities from the last `CAPA` on this security layer.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.conn.machine().capabilities()
    }

    /// The driven connection, for commands this client does not wrap.
    pub fn connection_mut(&mut self) -> &mut Connection<Client, TcpStream> {
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
            Some(ClientEvent::ConnectionLost(lost)) => {
                // The driver's own report (timeout, early close) follows the machine's event.
                match self.conn.next_event() {
                    Err(e) => Err(e),
                    Ok(_) => Err(Error::protocol(lost)),
                }
            }
            Some(event) => Ok(event),
            None => Err(Error::PeerClosed),
        }
    }

    /// Waits for the status line of `h`.
    fn reply(&mut self, h: Handle) -> Result<Status, Error> {
        loop {
            if let ClientEvent::Reply { handle, status, .. } = self.next()?
                && handle == h
            {
                return Ok(status);
            }
        }
    }

    fn ok(&mut self, h: Handle, command: &str) -> Result<(), Error> {
        let status = self.reply(h)?;
        if status.is_ok() {
            Ok(())
        } else {
            Err(Error::Rejected { command: command.to_owned(), reply: status_line(&status) })
        }
    }

    /// A multi-line command: its status line, then its data events until the end.
    fn ok_multi(
        &mut self,
        h: Handle,
        command: &str,
        on_data: impl FnMut(ClientEvent),
    ) -> Result<(), Error> {
        self.ok(h, command)?;
        self.until_end(h, on_data)
    }

    fn until_end(&mut self, h: Handle, mut on_data: impl FnMut(ClientEvent)) -> Result<(), Error> {
        loop {
            let event = self.next()?;
            match event {
                ClientEvent::End { handle } if handle == h => return Ok(()),
                ClientEvent::Reply { handle, status, .. } if handle == h && !status.is_ok() => {
                    return Ok(());
                }
                other => on_data(other),
            }
        }
    }
}
