//! The one error type of the drivers.

use core::time::Duration;
use std::io;
use std::sync::Arc;

use mailwire_core::TlsRole;

/// Which wait of the driver ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Wait {
    /// Opening the TCP connection.
    Connect,
    /// Waiting for the peer's bytes, for the machine's [`timeout`](mailwire_core::Protocol::timeout).
    Read,
    /// Writing the machine's bytes while the peer did not take them.
    Write,
    /// The TLS handshake (implicit TLS or STARTTLS).
    Handshake,
}

impl core::fmt::Display for Wait {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connecting",
            Self::Read => "waiting for the peer",
            Self::Write => "writing to the peer",
            Self::Handshake => "the TLS handshake",
        })
    }
}

/// Why a connection driven by `mailwire-io` failed.
///
/// The causes are kept apart: the transport ([`Io`](Self::Io)), TLS ([`Tls`](Self::Tls)), time
/// ([`Timeout`](Self::Timeout)), the peer going away ([`PeerClosed`](Self::PeerClosed)) and the
/// protocol ([`Protocol`](Self::Protocol)).
///
/// The drivers themselves only report transport-level failures. Protocol failures are the
/// machines' events (a `ConnectionLost` event, after which the machine is closed): the driver
/// hands them to the application like every other event, and the application, which knows the
/// event type, turns them into [`Error::Protocol`] where it wants one error path (the
/// convenience clients do). See the crate documentation.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed (connection reset, refused, unreachable, ...).
    #[error("I/O error: {0}")]
    Io(#[source] Arc<io::Error>),
    /// TLS failed: configuration, handshake, certificate verification or a TLS alert.
    #[error("TLS error: {0}")]
    Tls(#[from] TlsError),
    /// A wait ran out of time. For reads the machine was told first
    /// ([`handle_timeout`](mailwire_core::Protocol::handle_timeout)) and its last words were
    /// written.
    #[error("timed out after {after:?} {during}")]
    Timeout {
        /// The wait that ran out.
        during: Wait,
        /// The limit that applied.
        after: Duration,
    },
    /// The peer closed the connection while the machine still expected more from it
    /// (for example in the middle of a reply). The machine was told
    /// ([`handle_eof`](mailwire_core::Protocol::handle_eof)) and its events delivered first.
    #[error("the peer closed the connection unexpectedly")]
    PeerClosed,
    /// The protocol failed: built by the application or a convenience client from a machine's
    /// `ConnectionLost` event or an unexpected reply; the text describes it.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server answered a command with a refusal (a convenience client's report).
    #[error("{command} refused: {reply}")]
    Rejected {
        /// The step or command that was refused (`PASS`, `RETR 3`, `greeting`).
        command: String,
        /// The server's full reply.
        reply: String,
    },
    /// The machine refused a command from the caller: wrong state, not advertised by the
    /// server, credentials over plaintext (a convenience client's report).
    #[error("not allowed now: {0}")]
    Usage(String),
}

impl Error {
    /// A protocol failure described by `reason` (typically a machine's `ConnectionLost` event).
    pub fn protocol(reason: impl core::fmt::Display) -> Self {
        Self::Protocol(reason.to_string())
    }

    /// Whether this is a [`Timeout`](Self::Timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Sorts an I/O error from the transport into the right cause.
    pub(crate) fn from_io(err: io::Error, during: Wait, limit: Option<Duration>) -> Self {
        if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) {
            return Self::Timeout { during, after: limit.unwrap_or_default() };
        }
        #[cfg(feature = "rustls")]
        if let Some(tls) = err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            return Self::Tls(TlsError::from_rustls(tls.clone()));
        }
        if err.kind() == io::ErrorKind::UnexpectedEof {
            return Self::PeerClosed;
        }
        Self::Io(Arc::new(err))
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Self::from_io(err, Wait::Read, None)
    }
}

/// Why TLS failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The machine asked for a TLS upgrade in this role but the connection has no TLS
    /// configuration for it (or the crate was built without the `rustls` feature).
    #[error(
        "the machine asked for TLS as {role:?} but no TLS configuration for that role was given"
    )]
    NotConfigured {
        /// The role the machine asked for.
        role: TlsRole,
    },
    /// The machine asked for a TLS upgrade on a connection that is already encrypted.
    #[error("the machine asked for TLS on a connection that is already encrypted")]
    AlreadyEncrypted,
    /// TLS is required but the server does not offer STARTTLS/STLS.
    #[error("the server does not offer {0}, and TLS is required")]
    NotOffered(&'static str),
    /// The server name to verify the certificate against is not a valid DNS name or IP address.
    #[error("invalid server name {0:?}")]
    InvalidServerName(String),
    /// A certificate or key in PEM form could not be used.
    #[error("invalid PEM input: {0}")]
    InvalidPem(String),
    /// The peer's certificate was rejected (unknown issuer, wrong name, expired, ...).
    #[cfg(feature = "rustls")]
    #[error("the peer's certificate was rejected: {0:?}")]
    CertificateRejected(rustls::CertificateError),
    /// Any other rustls failure: a TLS alert from the peer, a protocol violation, a bad
    /// configuration.
    #[cfg(feature = "rustls")]
    #[error("{0}")]
    Rustls(rustls::Error),
}

#[cfg(feature = "rustls")]
impl TlsError {
    pub(crate) fn from_rustls(err: rustls::Error) -> Self {
        match err {
            rustls::Error::InvalidCertificate(c) => Self::CertificateRejected(c),
            other => Self::Rustls(other),
        }
    }
}
