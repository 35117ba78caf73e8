//! The sans-IO contract every connection machine implements.

use bytes::Bytes;
use core::time::Duration;

/// Identifies one command issued on a machine; the events that answer it carry the same handle.
///
/// Handles are how SMTP PIPELINING replies and IMAP tagged responses are matched to the
/// commands that caused them. They are unique within one machine and increase in issue order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handle(u64);

impl Handle {
    /// Builds a handle from its number (for tests and for machines' own generators).
    pub const fn from_raw(n: u64) -> Self {
        Self(n)
    }

    /// The handle's number.
    pub const fn raw(self) -> u64 {
        self.0
    }
}

/// Hands out increasing [`Handle`]s, starting at 1.
#[derive(Debug, Clone, Default)]
pub struct HandleGenerator {
    last: u64,
}

impl HandleGenerator {
    /// A generator whose first handle is 1.
    pub const fn new() -> Self {
        Self { last: 0 }
    }

    /// The next handle. Wraps after 2^64 handles, which no connection reaches.
    pub fn next_handle(&mut self) -> Handle {
        self.last = self.last.wrapping_add(1);
        Handle(self.last)
    }
}

/// Whether the transport under a machine is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Security {
    /// No TLS yet: credentials must not be sent unless the caller allows it.
    Plaintext,
    /// TLS is established, either implicit (ports 465, 993, 995) or after STARTTLS/STLS.
    Tls,
}

/// Which side of the TLS handshake the driver must play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsRole {
    /// Act as the TLS client (the machine is a protocol client).
    Client,
    /// Act as the TLS server (the machine is a protocol server).
    Server,
}

/// Something only the driver can do to the transport, requested by a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportAction {
    /// Write every pending byte, then run a TLS handshake on the same connection in the given
    /// role and call [`Protocol::handle_tls_established`]. Until then the machine emits
    /// nothing.
    StartTls {
        /// The role to play in the handshake.
        role: TlsRole,
    },
    /// Write every pending byte, then close the connection.
    Close,
}

/// The one shape of every mailwire connection machine (SMTP, LMTP, POP3, IMAP; client and
/// server).
///
/// A machine holds the protocol state and nothing else: it never touches a socket, a clock or a
/// random number generator. A driver (such as `mailwire-io`) moves bytes between it and the
/// transport and times the waits it names.
///
/// # Driver call order
///
/// After constructing a machine and after every input (`handle_*`) or command call, a driver
/// drains the outputs in this order until each returns `None`:
///
/// 1. [`poll_transmit`](Self::poll_transmit): write the bytes, in order.
/// 2. [`poll_transport`](Self::poll_transport): `StartTls` means flush, handshake, then call
///    [`handle_tls_established`](Self::handle_tls_established); `Close` means flush and close.
/// 3. [`poll_event`](Self::poll_event): hand the events to the application.
///
/// Then it waits for the transport to become readable, for at most
/// [`timeout`](Self::timeout) (`None`: no limit), and calls:
///
/// - [`handle_input`](Self::handle_input) with every byte read, exactly once and in order.
///   A driver must not read ahead of a machine (a buffered reader that keeps bytes across a
///   TLS upgrade defeats the STARTTLS injection check);
/// - [`handle_eof`](Self::handle_eof) when the peer closed its sending side;
/// - [`handle_timeout`](Self::handle_timeout) when the wait expired.
///
/// A driver stops once [`is_closed`](Self::is_closed) is true and every output is drained.
///
/// # Errors
///
/// Inputs never fail. A peer's recoverable mistake becomes an event (`Malformed`); anything
/// that desynchronises the stream, breaks a limit or a STARTTLS rule becomes a single
/// `ConnectionLost` event, after which the machine is closed. Caller mistakes (a command in the
/// wrong state) are returned at once by the command verbs as `UsageError`s and leave the state
/// untouched.
pub trait Protocol {
    /// What the machine reports to the application.
    type Event;

    /// Feeds bytes read from the transport. Never fails: consequences come out of `poll_*`.
    fn handle_input(&mut self, bytes: &[u8]);

    /// Reports that the peer closed its sending side.
    fn handle_eof(&mut self);

    /// Reports that the wait named by [`timeout`](Self::timeout) expired.
    fn handle_timeout(&mut self);

    /// Reports that the TLS handshake requested by [`TransportAction::StartTls`] completed.
    fn handle_tls_established(&mut self);

    /// Bytes to write to the transport, in order.
    #[must_use]
    fn poll_transmit(&mut self) -> Option<Bytes>;

    /// An action on the transport that only the driver can perform.
    #[must_use]
    fn poll_transport(&mut self) -> Option<TransportAction>;

    /// The next event for the application.
    #[must_use]
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// How long the current wait for the peer may last; `None` means no limit.
    fn timeout(&self) -> Option<Duration>;

    /// Whether the transport is encrypted, as far as the machine knows.
    fn security(&self) -> Security;

    /// Whether the machine is finished: nothing more will be read or written.
    fn is_closed(&self) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_increase_from_one() {
        let mut g = HandleGenerator::new();
        let a = g.next_handle();
        let b = g.next_handle();
        assert_eq!(a.raw(), 1);
        assert!(b > a);
        assert_eq!(Handle::from_raw(2), b);
    }
}
