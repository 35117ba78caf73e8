//! The I/O side of mailwire: drivers that run its sans-IO protocol machines over real
//! connections.
//!
//! Every mailwire connection machine (SMTP, POP3, IMAP; client and server) implements
//! [`mailwire_core::Protocol`]. The drivers here own a machine and a transport and move bytes
//! between them, in the call order the trait documents:
//!
//! - [`blocking::Connection`] over any blocking stream (feature `blocking`, on by default);
//! - [`tokio::Connection`] over tokio's `AsyncRead + AsyncWrite` (feature `tokio`);
//! - TLS through rustls (feature `rustls`): implicit TLS before the machine sees a byte, and
//!   the STARTTLS/STLS upgrade when the machine asks for it, with certificate verification on
//!   by default ([`TlsClientConfig`], [`TlsServerConfig`], [`Tls`]).
//!
//! # Guarantees
//!
//! - **No read-ahead.** Reads go into one fixed buffer and every byte read is handed to the
//!   machine at once; nothing is kept aside, and nothing is read while a TLS upgrade is
//!   pending. So the machine sees every plaintext byte a peer sent before the handshake, which
//!   is what the STARTTLS injection check needs.
//! - **Bounded waits.** Every wait for the peer is bounded by the machine's
//!   [`timeout`](mailwire_core::Protocol::timeout); when it runs out the machine is told
//!   ([`handle_timeout`](mailwire_core::Protocol::handle_timeout)), its last words are written
//!   and the session ends in [`Error::Timeout`]. Writes and handshakes are bounded by
//!   [`Options`].
//! - **Events first, then the error.** The machine's events (including its own
//!   `ConnectionLost` event) are all returned before the transport-level error that ended the
//!   session.
//!
//! # Errors
//!
//! [`Error`] keeps the causes apart: I/O, TLS, timeout, the peer closing early, and protocol.
//! The drivers report only the transport-level causes; a machine reports protocol failures as
//! events, which the application (which knows the event type) may turn into
//! [`Error::Protocol`].
#![forbid(unsafe_code)]

#[cfg(feature = "blocking")]
pub mod blocking;
mod error;
mod options;
#[cfg(feature = "pop3")]
pub mod pop3;
#[cfg(feature = "rustls")]
mod settings;
#[cfg(feature = "smtp")]
pub mod smtp;
#[cfg(feature = "rustls")]
mod tls;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use error::{Error, TlsError, Wait};
pub use options::Options;
#[cfg(feature = "rustls")]
pub use settings::{ClientSettings, TlsMode};
#[cfg(feature = "rustls")]
pub use tls::{Tls, TlsClientConfig, TlsServerConfig};

/// The rustls crate the TLS configuration is built on, for [`TlsClientConfig::from_rustls`]
/// and [`TlsServerConfig::from_rustls`].
#[cfg(feature = "rustls")]
pub use rustls;
