//! The blocking driver: any `Read + Write` stream, `std::net::TcpStream` first.
//!
//! ```no_run
//! # fn demo<P: mailwire_core::Protocol>(machine: P) -> Result<(), mailwire_io::Error>
//! # where P::Event: std::fmt::Debug {
//! use std::time::Duration;
//! use mailwire_io::blocking::{Connection, connect};
//!
//! let stream = connect("127.0.0.1:2525", Some(Duration::from_secs(30)))?;
//! let mut conn = Connection::new(machine, stream);
//! while let Some(event) = conn.next_event()? {
//!     println!("{event:?}"); // react through conn.machine_mut()
//! }
//! # Ok(()) }
//! ```

use core::time::Duration;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use mailwire_core::{Protocol, TlsRole, TransportAction};

use crate::options::WRITE_BATCH;
#[cfg(feature = "rustls")]
use crate::tls::Tls;
use crate::{Error, Options, TlsError, Wait};

/// A blocking byte stream the driver can put time limits on.
///
/// Implemented for [`TcpStream`] and Unix sockets; wrap any other `Read + Write` in
/// [`Untimed`] (its waits are then only as bounded as the stream makes them).
pub trait Socket: Read + Write {
    /// Limits how long one read may wait (`None`: no limit).
    fn set_read_timeout(&mut self, limit: Option<Duration>) -> io::Result<()>;
    /// Limits how long one write may wait (`None`: no limit).
    fn set_write_timeout(&mut self, limit: Option<Duration>) -> io::Result<()>;
    /// Closes the connection in both directions once the last bytes are written.
    fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Socket for TcpStream {
    fn set_read_timeout(&mut self, limit: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, nonzero(limit))
    }
    fn set_write_timeout(&mut self, limit: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, nonzero(limit))
    }
    fn shutdown(&mut self) -> io::Result<()> {
        TcpStream::shutdown(self, std::net::Shutdown::Both)
    }
}

#[cfg(unix)]
impl Socket for std::os::unix::net::UnixStream {
    fn set_read_timeout(&mut self, limit: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, nonzero(limit))
    }
    fn set_write_timeout(&mut self, limit: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_write_timeout(self, nonzero(limit))
    }
    fn shutdown(&mut self) -> io::Result<()> {
        std::os::unix::net::UnixStream::shutdown(self, std::net::Shutdown::Both)
    }
}

/// Wraps a `Read + Write` stream that cannot take time limits (an in-memory pipe, a test
/// double). The driver still reports a read that fails with `WouldBlock` or `TimedOut` as a
/// timeout, so a stream with its own limits keeps them.
#[derive(Debug, Clone, Default)]
pub struct Untimed<S>(pub S);

impl<S: Read> Read for Untimed<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<S: Write> Write for Untimed<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<S: Read + Write> Socket for Untimed<S> {
    fn set_read_timeout(&mut self, _limit: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn set_write_timeout(&mut self, _limit: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

/// Opens a TCP connection to the first address of `addr` that answers within `limit`, with
/// Nagle's algorithm off (commands are written whole).
pub fn connect(addr: impl ToSocketAddrs, limit: Option<Duration>) -> Result<TcpStream, Error> {
    let mut last = None;
    for a in addr.to_socket_addrs().map_err(|e| Error::from_io(e, Wait::Connect, limit))? {
        let attempt = match nonzero(limit) {
            Some(d) => TcpStream::connect_timeout(&a, d),
            None => TcpStream::connect(a),
        };
        match attempt {
            Ok(stream) => {
                stream.set_nodelay(true).map_err(|e| Error::from_io(e, Wait::Connect, limit))?;
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(Error::from_io(
        last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address to connect to")),
        Wait::Connect,
        limit,
    ))
}

/// Socket timeouts of zero mean "no timeout" to the OS; the smallest real limit is used instead.
fn nonzero(limit: Option<Duration>) -> Option<Duration> {
    limit.map(|d| d.max(Duration::from_millis(1)))
}

enum Transport<S: Socket> {
    Plain(S),
    #[cfg(feature = "rustls")]
    Client(Box<rustls::StreamOwned<rustls::ClientConnection, S>>),
    #[cfg(feature = "rustls")]
    Server(Box<rustls::StreamOwned<rustls::ServerConnection, S>>),
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

impl<S: Socket> Transport<S> {
    fn socket(&self) -> Option<&S> {
        match self {
            Self::Plain(s) => Some(s),
            #[cfg(feature = "rustls")]
            Self::Client(s) => Some(&s.sock),
            #[cfg(feature = "rustls")]
            Self::Server(s) => Some(&s.sock),
            Self::Gone => None,
        }
    }

    fn socket_mut(&mut self) -> Option<&mut S> {
        match self {
            Self::Plain(s) => Some(s),
            #[cfg(feature = "rustls")]
            Self::Client(s) => Some(&mut s.sock),
            #[cfg(feature = "rustls")]
            Self::Server(s) => Some(&mut s.sock),
            Self::Gone => None,
        }
    }

    fn is_tls(&self) -> bool {
        !matches!(self, Self::Plain(_) | Self::Gone)
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        with_stream!(self, s => s.read(buf), Ok(0))
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        with_stream!(self, s => { s.write_all(bytes)?; s.flush() }, Err(gone()))
    }

    /// Best effort: the peer may already be gone.
    fn close(&mut self) {
        #[cfg(feature = "rustls")]
        match self {
            Self::Client(s) => {
                s.conn.send_close_notify();
                let _ = s.flush();
            }
            Self::Server(s) => {
                s.conn.send_close_notify();
                let _ = s.flush();
            }
            Self::Plain(_) | Self::Gone => {}
        }
        if let Some(s) = self.socket_mut() {
            let _ = s.shutdown();
        }
    }
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the transport was lost in a failed TLS handshake")
}

/// Why the session ended, reported after the last event.
#[derive(Debug, Clone, Copy)]
enum End {
    Timeout(Option<Duration>),
    PeerClosed,
}

/// A machine driven over a blocking stream: owns both, moves every byte between them, applies
/// the machine's timeouts and performs the TLS upgrades it asks for.
///
/// Reads go into one fixed buffer and every byte read is passed to the machine at once: the
/// driver never reads ahead of the machine, and never reads while an upgrade is pending.
pub struct Connection<P, S: Socket> {
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

impl<P: core::fmt::Debug, S: Socket> core::fmt::Debug for Connection<P, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("machine", &self.machine)
            .field("tls", &!matches!(self.transport, Transport::Plain(_) | Transport::Gone))
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl<P: Protocol, S: Socket> Connection<P, S> {
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
    pub fn handshake(&mut self) -> Result<(), Error> {
        if self.implicit_pending {
            self.implicit_pending = false;
            let role = self.tls.as_ref().map_or(TlsRole::Client, Tls::role);
            self.upgrade(role)?;
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
    pub fn flush(&mut self) -> Result<(), Error> {
        #[cfg(feature = "rustls")]
        self.handshake()?;
        loop {
            while let Some(bytes) = self.machine.poll_transmit() {
                if self.closed {
                    continue;
                }
                self.write_buf.extend_from_slice(&bytes);
                if self.write_buf.len() >= WRITE_BATCH {
                    self.write_out()?;
                }
            }
            self.write_out()?;
            match self.machine.poll_transport() {
                Some(TransportAction::StartTls { role }) => {
                    if self.closed {
                        continue;
                    }
                    self.upgrade(role)?;
                    self.machine.handle_tls_established();
                }
                Some(TransportAction::Close) => self.close(),
                None => return Ok(()),
            }
        }
    }

    /// Drives the connection until the machine emits an event, and returns it.
    ///
    /// `Ok(None)` means the session is over: the machine is closed, every event was returned
    /// and the transport is closed. A session that ended because the peer stalled or went away
    /// returns, after the machine's last events, [`Error::Timeout`] or [`Error::PeerClosed`].
    pub fn next_event(&mut self) -> Result<Option<P::Event>, Error> {
        loop {
            self.flush()?;
            if let Some(event) = self.machine.poll_event() {
                return Ok(Some(event));
            }
            if self.machine.is_closed() || self.closed || self.end.is_some() {
                self.close();
                return match self.end.take() {
                    Some(End::Timeout(after)) => {
                        Err(Error::Timeout { during: Wait::Read, after: after.unwrap_or_default() })
                    }
                    Some(End::PeerClosed) => Err(Error::PeerClosed),
                    None => Ok(None),
                };
            }
            self.read_once()?;
        }
    }

    /// Drives the connection to its end, handing each event to `on_event` with the machine
    /// (to answer it). An error from `on_event` closes the connection and is returned.
    pub fn run_until_closed(
        &mut self,
        mut on_event: impl FnMut(&mut P, P::Event) -> Result<(), Error>,
    ) -> Result<(), Error> {
        while let Some(event) = self.next_event()? {
            if let Err(e) = on_event(&mut self.machine, event) {
                let _ = self.flush();
                self.close();
                return Err(e);
            }
        }
        Ok(())
    }

    /// One wait for the peer, bounded by the machine's timeout; the outcome goes to the machine.
    fn read_once(&mut self) -> Result<(), Error> {
        let limit = self.machine.timeout();
        if let Some(s) = self.transport.socket_mut() {
            s.set_read_timeout(limit).map_err(|e| Error::from_io(e, Wait::Read, limit))?;
        }
        let result = loop {
            match self.transport.read(&mut self.read_buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        match result {
            Ok(0) => self.peer_eof(),
            Ok(n) => match self.read_buf.get(..n) {
                Some(bytes) => self.machine.handle_input(bytes),
                None => self.peer_eof(),
            },
            // A TLS peer that closes TCP without close_notify: the machine judges whether the
            // session was complete.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && self.transport.is_tls() => {
                self.peer_eof();
            }
            Err(e) => match Error::from_io(e, Wait::Read, limit) {
                Error::Timeout { .. } => {
                    self.machine.handle_timeout();
                    // The machine's last words (421, BYE) go out before the error. A machine
                    // that wrote something and stays open (an IDLE refresh) keeps the session;
                    // one that closed or had nothing to say ends it.
                    let before = self.bytes_written;
                    let flushed = self.flush();
                    if flushed.is_err() || self.machine.is_closed() || self.bytes_written == before
                    {
                        self.end = Some(End::Timeout(limit));
                    }
                }
                other => {
                    self.close();
                    return Err(other);
                }
            },
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

    fn write_out(&mut self) -> Result<(), Error> {
        if self.write_buf.is_empty() {
            return Ok(());
        }
        let limit = self.options.write_timeout;
        if let Some(s) = self.transport.socket_mut() {
            s.set_write_timeout(limit).map_err(|e| Error::from_io(e, Wait::Write, limit))?;
        }
        let result = self.transport.write_all(&self.write_buf);
        self.bytes_written += self.write_buf.len() as u64;
        self.write_buf.clear();
        result.map_err(|e| {
            self.close();
            Error::from_io(e, Wait::Write, limit)
        })
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.transport.close();
        }
    }

    #[cfg(not(feature = "rustls"))]
    fn upgrade(&mut self, role: TlsRole) -> Result<(), Error> {
        self.close();
        Err(TlsError::NotConfigured { role }.into())
    }

    #[cfg(feature = "rustls")]
    fn upgrade(&mut self, role: TlsRole) -> Result<(), Error> {
        let result = self.try_upgrade(role);
        if result.is_err() {
            self.close();
        }
        result
    }

    #[cfg(feature = "rustls")]
    fn try_upgrade(&mut self, role: TlsRole) -> Result<(), Error> {
        if self.transport.is_tls() {
            return Err(TlsError::AlreadyEncrypted.into());
        }
        let tls = match &self.tls {
            Some(tls) if tls.role() == role => tls.clone(),
            _ => return Err(TlsError::NotConfigured { role }.into()),
        };
        let Transport::Plain(mut sock) = core::mem::replace(&mut self.transport, Transport::Gone)
        else {
            return Err(Error::from_io(gone(), Wait::Handshake, None));
        };
        let limit = self.options.handshake_timeout;
        let io_err = |e| Error::from_io(e, Wait::Handshake, limit);
        sock.set_read_timeout(limit).map_err(io_err)?;
        sock.set_write_timeout(limit).map_err(io_err)?;
        self.transport = match tls {
            Tls::Client { config, server_name } => {
                let mut conn =
                    rustls::ClientConnection::new(config.rustls_config().clone(), server_name)
                        .map_err(|e| Error::Tls(TlsError::from_rustls(e)))?;
                while conn.is_handshaking() {
                    conn.complete_io(&mut sock).map_err(io_err)?;
                }
                Transport::Client(Box::new(rustls::StreamOwned::new(conn, sock)))
            }
            Tls::Server(config) => {
                let mut conn = rustls::ServerConnection::new(config.rustls_config().clone())
                    .map_err(|e| Error::Tls(TlsError::from_rustls(e)))?;
                while conn.is_handshaking() {
                    conn.complete_io(&mut sock).map_err(io_err)?;
                }
                Transport::Server(Box::new(rustls::StreamOwned::new(conn, sock)))
            }
        };
        Ok(())
    }
}
