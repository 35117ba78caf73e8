//! The tokio driver: any `AsyncRead + AsyncWrite + Unpin` stream, `tokio::net::TcpStream`
//! first. The same shape as [`crate::blocking`], with `async` methods.
//!
//! ```no_run
//! # async fn demo<P: mailwire_core::Protocol>(machine: P) -> Result<(), mailwire_io::Error>
//! # where P::Event: std::fmt::Debug {
//! use std::time::Duration;
//! use mailwire_io::tokio::{Connection, connect};
//!
//! let stream = connect("127.0.0.1:2525", Some(Duration::from_secs(30))).await?;
//! let mut conn = Connection::new(machine, stream);
//! while let Some(event) = conn.next_event().await? {
//!     println!("{event:?}"); // react through conn.machine_mut()
//! }
//! # Ok(()) }
//! ```

use core::future::Future;
use core::time::Duration;
use std::io;

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ::tokio::net::{TcpStream, ToSocketAddrs};
use mailwire_core::{Protocol, TlsRole, TransportAction};

use crate::options::WRITE_BATCH;
#[cfg(feature = "rustls")]
use crate::tls::Tls;
use crate::{Error, Options, TlsError, Wait};

/// Runs `fut` for at most `limit` (`None`: no limit); running out is [`Error::Timeout`].
async fn bounded<T>(
    limit: Option<Duration>,
    during: Wait,
    fut: impl Future<Output = io::Result<T>>,
) -> Result<T, Error> {
    let result = match limit {
        Some(d) => match ::tokio::time::timeout(d, fut).await {
            Ok(r) => r,
            Err(_) => return Err(Error::Timeout { during, after: d }),
        },
        None => fut.await,
    };
    result.map_err(|e| Error::from_io(e, during, limit))
}

/// Opens a TCP connection to the first address of `addr` that answers, within `limit`
/// overall, with Nagle's algorithm off (commands are written whole).
pub async fn connect(
    addr: impl ToSocketAddrs,
    limit: Option<Duration>,
) -> Result<TcpStream, Error> {
    let stream = bounded(limit, Wait::Connect, TcpStream::connect(addr)).await?;
    stream.set_nodelay(true).map_err(|e| Error::from_io(e, Wait::Connect, limit))?;
    Ok(stream)
}

enum Transport<S> {
    Plain(S),
    #[cfg(feature = "rustls")]
    Client(Box<tokio_rustls::client::TlsStream<S>>),
    #[cfg(feature = "rustls")]
    Server(Box<tokio_rustls::server::TlsStream<S>>),
    /// Lost in a failed TLS handshake.
    #[cfg_attr(not(feature = "rustls"), allow(dead_code))]
    Gone,
}

macro_rules! with_stream {
    ($transport:expr, $s:ident => $body:expr, $gone:expr) => {
        match $transport {
            Transport::Plain($s) => $body,
            #[cfg(feature = "rustls")]
            Transport::Client($s) => $body,
            #[cfg(feature = "rustls")]
            Transport::Server($s) => $body,
            Transport::Gone => $gone,
        }
    };
}

impl<S: AsyncRead + AsyncWrite + Unpin> Transport<S> {
    fn socket(&self) -> Option<&S> {
        match self {
            Self::Plain(s) => Some(s),
            #[cfg(feature = "rustls")]
            Self::Client(s) => Some(s.get_ref().0),
            #[cfg(feature = "rustls")]
            Self::Server(s) => Some(s.get_ref().0),
            Self::Gone => None,
        }
    }

    fn is_tls(&self) -> bool {
        !matches!(self, Self::Plain(_) | Self::Gone)
    }

    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        with_stream!(self, s => s.read(buf).await, Ok(0))
    }

    /// Writes everything; `limit` bounds each wait for the peer to take bytes (inactivity),
    /// not the whole write.
    async fn write_all(&mut self, mut bytes: &[u8], limit: Option<Duration>) -> Result<(), Error> {
        while !bytes.is_empty() {
            let n = with_stream!(
                self,
                s => bounded(limit, Wait::Write, s.write(bytes)).await?,
                return Err(Error::from_io(gone(), Wait::Write, limit))
            );
            if n == 0 {
                return Err(Error::from_io(io::ErrorKind::WriteZero.into(), Wait::Write, limit));
            }
            bytes = bytes.get(n..).unwrap_or_default();
        }
        with_stream!(self, s => bounded(limit, Wait::Write, s.flush()).await, Ok(()))
    }

    /// Sends `close_notify` (TLS) and shuts the write side down.
    async fn shutdown(&mut self) -> io::Result<()> {
        with_stream!(self, s => s.shutdown().await, Ok(()))
    }
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the transport was lost in a failed TLS handshake")
}

#[derive(Debug, Clone, Copy)]
enum End {
    Timeout(Option<Duration>),
    PeerClosed,
}

/// A machine driven over an async stream: owns both, moves every byte between them, applies
/// the machine's timeouts and performs the TLS upgrades it asks for.
///
/// Reads go into one fixed buffer and every byte read is passed to the machine at once: the
/// driver never reads ahead of the machine, and never reads while an upgrade is pending.
/// The futures are cancel-safe only between events: dropping `next_event` in the middle of a
/// write or a handshake leaves the connection unusable.
pub struct Connection<P, S> {
    machine: P,
    transport: Transport<S>,
    options: Options,
    read_buf: Box<[u8]>,
    write_buf: Vec<u8>,
    #[cfg(feature = "rustls")]
    tls: Option<Tls>,
    #[cfg(feature = "rustls")]
    implicit_pending: bool,
    closed: bool,
    end: Option<End>,
    bytes_written: u64,
}

impl<P: core::fmt::Debug, S> core::fmt::Debug for Connection<P, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("machine", &self.machine)
            .field("tls", &!matches!(self.transport, Transport::Plain(_) | Transport::Gone))
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl<P: Protocol, S: AsyncRead + AsyncWrite + Unpin> Connection<P, S> {
    /// Drives `machine` over `stream` in plaintext. A TLS upgrade the machine asks for fails
    /// with [`TlsError::NotConfigured`] unless [`with_starttls`](Self::with_starttls) is given.
    pub fn new(machine: P, stream: S) -> Self {
        let options = Options::default();
        Self {
            machine,
            transport: Transport::Plain(stream),
            read_buf: vec![0; options.read_buffer_size.max(1)].into_boxed_slice(),
            options,
            write_buf: Vec::new(),
            #[cfg(feature = "rustls")]
            tls: None,
            #[cfg(feature = "rustls")]
            implicit_pending: false,
            closed: false,
            end: None,
            bytes_written: 0,
        }
    }

    /// Replaces the driver's settings.
    #[must_use]
    pub fn with_options(mut self, options: Options) -> Self {
        if options.read_buffer_size != self.read_buf.len() {
            self.read_buf = vec![0; options.read_buffer_size.max(1)].into_boxed_slice();
        }
        self.options = options;
        self
    }

    /// Uses `tls` when the machine asks for a STARTTLS/STLS upgrade
    /// ([`TransportAction::StartTls`]); its role must be the one the machine asks for.
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn with_starttls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self.implicit_pending = false;
        self
    }

    /// Implicit TLS (ports 465, 993, 995): the handshake runs before the machine's first byte
    /// is written or any byte is read for it (lazily, on the first I/O call, or at once with
    /// [`handshake`](Self::handshake)). The machine should have been built with
    /// [`Security::Tls`](mailwire_core::Security::Tls).
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn with_implicit_tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self.implicit_pending = true;
        self
    }

    /// Runs a pending implicit-TLS handshake now (otherwise the first I/O call does).
    #[cfg(feature = "rustls")]
    pub async fn handshake(&mut self) -> Result<(), Error> {
        if self.implicit_pending {
            self.implicit_pending = false;
            let role = self.tls.as_ref().map_or(TlsRole::Client, Tls::role);
            self.upgrade(role).await?;
        }
        Ok(())
    }

    /// The machine, to read its state.
    pub fn machine(&self) -> &P {
        &self.machine
    }

    /// The machine, to issue commands or answers; [`flush`](Self::flush) or
    /// [`next_event`](Self::next_event) then writes what they produced.
    pub fn machine_mut(&mut self) -> &mut P {
        &mut self.machine
    }

    /// Gives the machine back (the connection is dropped, closing the socket).
    pub fn into_machine(self) -> P {
        self.machine
    }

    /// The underlying socket, for its addresses (`None` after a failed TLS handshake).
    pub fn socket(&self) -> Option<&S> {
        self.transport.socket()
    }

    /// Whether the transport is encrypted now.
    pub fn is_tls(&self) -> bool {
        self.transport.is_tls()
    }

    /// Whether the transport is closed (the machine asked for it, or the session ended).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Writes everything the machine has to send and performs the transport actions it asks
    /// for (a TLS upgrade, a close), in the order the machine emitted them. Reads nothing,
    /// except the peer's side of a TLS handshake.
    pub async fn flush(&mut self) -> Result<(), Error> {
        #[cfg(feature = "rustls")]
        self.handshake().await?;
        loop {
            while let Some(bytes) = self.machine.poll_transmit() {
                if self.closed {
                    continue;
                }
                self.write_buf.extend_from_slice(&bytes);
                if self.write_buf.len() >= WRITE_BATCH {
                    self.write_out().await?;
                }
            }
            self.write_out().await?;
            match self.machine.poll_transport() {
                Some(TransportAction::StartTls { role }) => {
                    if self.closed {
                        continue;
                    }
                    self.upgrade(role).await?;
                    self.machine.handle_tls_established();
                }
                Some(TransportAction::Close) => self.close().await,
                None => return Ok(()),
            }
        }
    }

    /// Drives the connection until the machine emits an event, and returns it.
    ///
    /// `Ok(None)` means the session is over: the machine is closed, every event was returned
    /// and the transport is closed. A session that ended because the peer stalled or went away
    /// returns, after the machine's last events, [`Error::Timeout`] or [`Error::PeerClosed`].
    pub async fn next_event(&mut self) -> Result<Option<P::Event>, Error> {
        loop {
            self.flush().await?;
            if let Some(event) = self.machine.poll_event() {
                return Ok(Some(event));
            }
            if self.machine.is_closed() || self.closed || self.end.is_some() {
                self.close().await;
                return match self.end.take() {
                    Some(End::Timeout(after)) => {
                        Err(Error::Timeout { during: Wait::Read, after: after.unwrap_or_default() })
                    }
                    Some(End::PeerClosed) => Err(Error::PeerClosed),
                    None => Ok(None),
                };
            }
            self.read_once().await?;
        }
    }

    /// Drives the connection to its end, handing each event to `on_event` with the machine
    /// (to answer it). An error from `on_event` closes the connection and is returned.
    pub async fn run_until_closed(
        &mut self,
        mut on_event: impl FnMut(&mut P, P::Event) -> Result<(), Error>,
    ) -> Result<(), Error> {
        while let Some(event) = self.next_event().await? {
            if let Err(e) = on_event(&mut self.machine, event) {
                let _ = self.flush().await;
                self.close().await;
                return Err(e);
            }
        }
        Ok(())
    }

    /// One wait for the peer, bounded by the machine's timeout; the outcome goes to the machine.
    async fn read_once(&mut self) -> Result<(), Error> {
        let limit = self.machine.timeout();
        let read = self.transport.read(&mut self.read_buf);
        let result = match limit {
            Some(d) => ::tokio::time::timeout(d, read).await.ok(),
            None => Some(read.await),
        };
        match result {
            Some(Ok(0)) => self.peer_eof(),
            Some(Ok(n)) => match self.read_buf.get(..n) {
                Some(bytes) => self.machine.handle_input(bytes),
                None => self.peer_eof(),
            },
            // A TLS peer that closes TCP without close_notify: the machine judges whether the
            // session was complete.
            Some(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof && self.transport.is_tls() => {
                self.peer_eof();
            }
            Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Some(Err(e)) => {
                self.close().await;
                return Err(Error::from_io(e, Wait::Read, limit));
            }
            None => {
                self.machine.handle_timeout();
                // The machine's last words (421, BYE) go out before the error. A machine that
                // wrote something and stays open (an IDLE refresh) keeps the session; one that
                // closed or had nothing to say ends it.
                let before = self.bytes_written;
                let flushed = self.flush().await;
                if flushed.is_err() || self.machine.is_closed() || self.bytes_written == before {
                    self.end = Some(End::Timeout(limit));
                }
            }
        }
        Ok(())
    }

    fn peer_eof(&mut self) {
        let expected = self.machine.is_closed();
        self.machine.handle_eof();
        if !expected {
            self.end = Some(End::PeerClosed);
        }
    }

    async fn write_out(&mut self) -> Result<(), Error> {
        if self.write_buf.is_empty() {
            return Ok(());
        }
        let limit = self.options.write_timeout;
        let result = self.transport.write_all(&self.write_buf, limit).await;
        self.bytes_written += self.write_buf.len() as u64;
        self.write_buf.clear();
        if result.is_err() {
            self.close().await;
        }
        result
    }

    /// Best effort, bounded by the write timeout: the peer may already be gone.
    async fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            let limit = self.options.write_timeout;
            let _ = bounded(limit, Wait::Write, self.transport.shutdown()).await;
        }
    }

    #[cfg(not(feature = "rustls"))]
    async fn upgrade(&mut self, role: TlsRole) -> Result<(), Error> {
        self.close().await;
        Err(TlsError::NotConfigured { role }.into())
    }

    #[cfg(feature = "rustls")]
    async fn upgrade(&mut self, role: TlsRole) -> Result<(), Error> {
        let result = self.try_upgrade(role).await;
        if result.is_err() {
            self.close().await;
        }
        result
    }

    #[cfg(feature = "rustls")]
    async fn try_upgrade(&mut self, role: TlsRole) -> Result<(), Error> {
        if self.transport.is_tls() {
            return Err(TlsError::AlreadyEncrypted.into());
        }
        let tls = match &self.tls {
            Some(tls) if tls.role() == role => tls.clone(),
            _ => return Err(TlsError::NotConfigured { role }.into()),
        };
        let Transport::Plain(sock) = core::mem::replace(&mut self.transport, Transport::Gone)
        else {
            return Err(Error::from_io(gone(), Wait::Handshake, None));
        };
        let limit = self.options.handshake_timeout;
        self.transport = match tls {
            Tls::Client { config, server_name } => {
                let connector = tokio_rustls::TlsConnector::from(config.rustls_config().clone());
                let stream =
                    bounded(limit, Wait::Handshake, connector.connect(server_name, sock)).await?;
                Transport::Client(Box::new(stream))
            }
            Tls::Server(config) => {
                let acceptor = tokio_rustls::TlsAcceptor::from(config.rustls_config().clone());
                let stream = bounded(limit, Wait::Handshake, acceptor.accept(sock)).await?;
                Transport::Server(Box::new(stream))
            }
        };
        Ok(())
    }
}
