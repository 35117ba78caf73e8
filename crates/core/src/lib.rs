//! Protocol-neutral building blocks shared by every mailwire protocol crate.
//!
//! Nothing here performs I/O, reads a clock or draws randomness. The pieces are:
//!
//! - [`Limits`]: every bound a protocol machine enforces, with safe defaults.
//! - [`LineFramer`]: turns arbitrary input chunks into complete lines under a length limit.
//! - [`DotStuffer`] / [`DotUnstuffer`]: the SMTP DATA / POP3 multi-line transparency codec.
//! - [`Secret`]: a wrapper whose `Debug` never prints the credential inside.
//! - [`Protocol`]: the one sans-IO shape every connection machine follows, with [`Handle`],
//!   [`Security`], [`TlsRole`] and [`TransportAction`].
//!
//! ```
//! use mailwire_core::{LineFramer, LineEndings};
//!
//! let mut framer = LineFramer::new(1000, LineEndings::Crlf);
//! framer.push(b"EHLO client.example\r\nQU");
//! let line = framer.next_line().unwrap().unwrap();
//! assert_eq!(&line.content()[..], b"EHLO client.example");
//! assert!(framer.next_line().is_none()); // "QU" waits for the rest of its line
//! ```
#![forbid(unsafe_code)]

mod dot;
mod framer;
#[doc(hidden)]
pub mod fuzzing;
mod limits;
mod protocol;
mod secret;
pub mod transcript;

pub use dot::{BareLineEndings, DotError, DotStatus, DotStuffer, DotUnstuffer};
pub use framer::{FrameError, Line, LineEnding, LineEndings, LineFramer};
pub use limits::Limits;
pub use protocol::{Handle, HandleGenerator, Protocol, Security, TlsRole, TransportAction};
pub use secret::Secret;

/// Re-exported so that downstream crates name the same `Bytes` type as mailwire.
pub use bytes::{Bytes, BytesMut};
