//! Streaming, zero-copy, lossless RFC 5322 / MIME parsing.
//!
//! - [`push::Parser`]: the sans-IO push parser. Feed chunks of any size, receive events
//!   (entity start, header field, header end with the content type, body chunk, entity end,
//!   diagnostics) with memory bounded by [`MimeLimits`], never by the message size.
//! - [`Message::parse`]: the tree built on the same parser, sharing the input ([`bytes::Bytes`])
//!   and recording the byte ranges of every entity's header and body, so an unmodified message
//!   re-serializes byte for byte and an IMAP server can answer `BODY[1.2.MIME]` from it.
//! - Lazy decoding: [`transfer`] (base64, quoted-printable, both tolerant), [`charset`] (every
//!   WHATWG encoding and UTF-7), [`text`] (unfolding, RFC 2047), [`params`] (RFC 2045/2231).
//!
//! Malformed mail never fails: every defect becomes a [`Diagnostic`] and parsing goes on.
#![forbid(unsafe_code)]

pub mod address;
pub mod charset;
pub mod date;
mod diag;
pub mod fields;
#[doc(hidden)]
pub mod fuzzing;
pub mod imap;
mod inline;
mod limits;
pub mod params;
pub mod push;
mod swar;
pub mod text;
pub mod transfer;
mod tree;

pub use address::{Address, Mailbox};
pub use date::DateTime;
pub use diag::{Diagnostic, DiagnosticKind};
pub use limits::MimeLimits;
pub use params::{ContentDisposition, ContentType, Param, TransferEncoding};
pub use tree::{Field, Message, ParseOptions, Part};
