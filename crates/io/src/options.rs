//! Settings the drivers apply around the machine.

use core::time::Duration;

/// Settings of a driven connection that are not the machine's business.
///
/// The wait for the peer's bytes is the machine's own [`timeout`](mailwire_core::Protocol::timeout);
/// these cover what only the driver sees.
///
/// ```
/// use std::time::Duration;
/// let mut options = mailwire_io::Options::default();
/// options.write_timeout = Some(Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Size of the fixed read buffer; every read of up to this many bytes goes to the machine
    /// at once. Default 16 KiB (one TLS record).
    pub read_buffer_size: usize,
    /// How long a write may stall because the peer does not take the bytes. Default 5 minutes.
    /// `None`: no limit.
    pub write_timeout: Option<Duration>,
    /// How long each step of a TLS handshake may wait for the peer. Default 60 seconds.
    /// `None`: no limit.
    pub handshake_timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            read_buffer_size: 16 * 1024,
            write_timeout: Some(Duration::from_secs(300)),
            handshake_timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// Writes are gathered up to this many bytes before going to the transport, so that pipelined
/// commands leave in one segment.
pub(crate) const WRITE_BATCH: usize = 64 * 1024;
