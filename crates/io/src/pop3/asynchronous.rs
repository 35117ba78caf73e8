//! The POP3 client on the tokio driver: the same steps as [`Pop3Client`](super::Pop3Client),
//! as `async` methods.

use ::tokio::io::{AsyncWrite, AsyncWriteExt};
use ::tokio::net::TcpStream;

use mailwire_core::{Handle, Secret, Security};
use mailwire_pop3::{
    Capabilities, Client, ClientConfig, ClientEvent, MsgNum, ScanListing, Stat, Status, Text,
    UidlListing, Word,
};

use super::{status_line, usage};
use crate::tokio::{Connection, connect};
use crate::{ClientSettings, Error, TlsError, TlsMode};

/// A POP3 session over TCP with tokio: each method sends one command and waits for its answer.
#[derive(Debug)]
pub struct AsyncPop3Client {
    conn: Connection<Client, TcpStream>,
}

impl AsyncPop3Client {
    /// Connects to `addr` (`host:port`), reads the greeting and secures the session as
    /// `settings.tls_mode` says (STLS required by default).
    pub async fn connect(addr: &str, settings: &ClientSettings) -> Result<Self, Error> {
        let tls = settings.tls_for(addr)?;
        let stream = connect(addr, settings.connect_timeout).await?;
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
        match client.next().await? {
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
            client.starttls(settings.tls_mode == TlsMode::StartTlsRequired).await?;
        }
        Ok(client)
    }

    async fn starttls(&mut self, required: bool) -> Result<(), Error> {
        // CAPA first: a server that lists its capabilities without STLS does not offer it; one
        // that knows no CAPA (RFC 1939 only) may still accept STLS.
        let _ = self.capa().await;
        let offered = self.conn.machine().capabilities().is_none_or(Capabilities::stls);
        if !offered {
            if required {
                self.abandon().await;
                return Err(TlsError::NotOffered("STLS").into());
            }
            return Ok(());
        }
        let h = self.conn.machine_mut().stls().map_err(usage)?;
        let status = self.reply(h).await?;
        if !status.is_ok() {
            if required {
                self.abandon().await;
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
            match self.next().await? {
                ClientEvent::TlsEstablished { capa: Some(h) } => {
                    self.until_end(h, |_| {}).await?;
                    return Ok(());
                }
                ClientEvent::TlsEstablished { capa: None } => return Ok(()),
                _ => {}
            }
        }
    }

    /// Logs in with `USER` / `PASS`.
    pub async fn login(&mut self, user: &str, password: &Secret<String>) -> Result<(), Error> {
        let name = Word::new(user.to_owned()).map_err(|e| Error::Usage(e.to_string()))?;
        let pass = Text::new(password.expose().clone())
            .map_err(|_| Error::Usage("the password is not a valid POP3 argument".into()))?;
        let h = self.conn.machine_mut().user(name).map_err(usage)?;
        self.ok(h, "USER").await?;
        let h = self.conn.machine_mut().pass(Secret::new(pass)).map_err(usage)?;
        self.ok(h, "PASS").await
    }

    /// Logs in with `AUTH` through a SASL mechanism (PLAIN, SCRAM, ...).
    pub async fn authenticate(
        &mut self,
        mechanism: Box<dyn mailwire_sasl::ClientMechanism>,
    ) -> Result<(), Error> {
        let h = self.conn.machine_mut().authenticate(mechanism).map_err(usage)?;
        self.ok(h, "AUTH").await
    }

    /// `CAPA`: the server's capabilities (also kept by the machine).
    pub async fn capa(&mut self) -> Result<Capabilities, Error> {
        let h = self.conn.machine_mut().capa().map_err(usage)?;
        let mut caps = None;
        self.ok_multi(h, "CAPA", |e| {
            if let ClientEvent::Capabilities { capabilities, .. } = e {
                caps = Some(capabilities);
            }
        })
        .await?;
        Ok(caps.unwrap_or_default())
    }

    /// `STAT`: the number of messages and their total size.
    pub async fn stat(&mut self) -> Result<Stat, Error> {
        let h = self.conn.machine_mut().stat().map_err(usage)?;
        self.ok(h, "STAT").await?;
        // The machine reports the parsed listing right after the status line.
        match self.next().await? {
            ClientEvent::Stat { handle, stat } if handle == h => Ok(stat),
            other => Err(Error::protocol(format!("expected the STAT listing, got {other:?}"))),
        }
    }

    /// `LIST`: every message's number and size.
    pub async fn list(&mut self) -> Result<Vec<ScanListing>, Error> {
        let h = self.conn.machine_mut().list(None).map_err(usage)?;
        let mut out = Vec::new();
        self.ok_multi(h, "LIST", |e| {
            if let ClientEvent::Scan { listing, .. } = e {
                out.push(listing);
            }
        })
        .await?;
        Ok(out)
    }

    /// `UIDL`: every message's number and unique-id.
    pub async fn uidl(&mut self) -> Result<Vec<UidlListing>, Error> {
        let h = self.conn.machine_mut().uidl(None).map_err(usage)?;
        let mut out = Vec::new();
        self.ok_multi(h, "UIDL", |e| {
            if let ClientEvent::Uidl { listing, .. } = e {
                out.push(listing);
            }
        })
        .await?;
        Ok(out)
    }

    /// `RETR msg`: the message, dot-unstuffed, as the server stored it.
    pub async fn retrieve(&mut self, msg: MsgNum) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.retrieve_to(msg, &mut out).await?;
        Ok(out)
    }

    /// `RETR msg`, streamed into `out` chunk by chunk; returns the number of octets.
    pub async fn retrieve_to(
        &mut self,
        msg: MsgNum,
        out: &mut (impl AsyncWrite + Unpin),
    ) -> Result<u64, Error> {
        let h = self.conn.machine_mut().retr(msg).map_err(usage)?;
        self.ok(h, &format!("RETR {msg}")).await?;
        let mut written = 0u64;
        let mut failed = None;
        loop {
            match self.next().await? {
                ClientEvent::Body { handle, chunk } if handle == h && failed.is_none() => {
                    match out.write_all(&chunk).await {
                        Ok(()) => written += chunk.len() as u64,
                        // keep reading the response so the session stays in step
                        Err(err) => failed = Some(err),
                    }
                }
                ClientEvent::End { handle } if handle == h => break,
                _ => {}
            }
        }
        match failed {
            Some(err) => Err(Error::Io(std::sync::Arc::new(err))),
            None => Ok(written),
        }
    }

    /// `DELE msg`: marks the message; the server removes it at [`quit`](Self::quit).
    pub async fn delete(&mut self, msg: MsgNum) -> Result<(), Error> {
        let h = self.conn.machine_mut().dele(msg).map_err(usage)?;
        self.ok(h, &format!("DELE {msg}")).await
    }

    /// `QUIT`: ends the session (the server applies the deletions) and closes the connection.
    pub async fn quit(mut self) -> Result<(), Error> {
        let h = self.conn.machine_mut().quit().map_err(usage)?;
        self.ok(h, "QUIT").await?;
        while self.conn.next_event().await?.is_some() {}
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
    async fn abandon(&mut self) {
        if self.conn.machine_mut().quit().is_ok() {
            let _ = self.conn.flush().await;
        }
    }

    /// The next event; a lost connection becomes its most precise error.
    async fn next(&mut self) -> Result<ClientEvent, Error> {
        match self.conn.next_event().await? {
            Some(ClientEvent::ConnectionLost(lost)) => {
                // The driver's own report (timeout, early close) follows the machine's event.
                match self.conn.next_event().await {
                    Err(e) => Err(e),
                    Ok(_) => Err(Error::protocol(lost)),
                }
            }
            Some(event) => Ok(event),
            None => Err(Error::PeerClosed),
        }
    }

    /// Waits for the status line of `h`.
    async fn reply(&mut self, h: Handle) -> Result<Status, Error> {
        loop {
            if let ClientEvent::Reply { handle, status, .. } = self.next().await?
                && handle == h
            {
                return Ok(status);
            }
        }
    }

    async fn ok(&mut self, h: Handle, command: &str) -> Result<(), Error> {
        let status = self.reply(h).await?;
        if status.is_ok() {
            Ok(())
        } else {
            Err(Error::Rejected { command: command.to_owned(), reply: status_line(&status) })
        }
    }

    /// A multi-line command: its status line, then its data events until the end.
    async fn ok_multi(
        &mut self,
        h: Handle,
        command: &str,
        on_data: impl FnMut(ClientEvent),
    ) -> Result<(), Error> {
        self.ok(h, command).await?;
        self.until_end(h, on_data).await
    }

    async fn until_end(
        &mut self,
        h: Handle,
        mut on_data: impl FnMut(ClientEvent),
    ) -> Result<(), Error> {
        loop {
            let event = self.next().await?;
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
