//! SMTP (RFC 5321), its ESMTP extensions and LMTP (RFC 2033) as a sans-IO library.
//!
//! - [`Command`] and [`Reply`]: typed values with a zero-copy, allocation-free parser (short
//!   domains and mailboxes are copied inline instead) and an infallible encoder; every
//!   argument type rejects CR, LF and NUL, so no value can inject a command.
//! - [`Capabilities`]: the typed EHLO reply (SIZE, AUTH, PIPELINING, CHUNKING, DSN, LIMITS...).
//! - [`SmtpClient`] and [`SmtpServer`]: connection machines implementing
//!   [`mailwire_core::Protocol`]: bytes in, bytes and events out, no I/O, no clock.
//! - [`replay`]: checks a recorded session against both machines.
#![forbid(unsafe_code)]
// Parsers name octets and offsets with single letters (`c`, `a..b`), like the RFC grammars.
#![allow(clippy::many_single_char_names)]
// Capability and parameter sets are flags by nature (one per EHLO keyword).
#![allow(clippy::struct_excessive_bools)]

pub mod client;
mod command;
mod ehlo;
#[doc(hidden)]
pub mod fuzzing;
mod params;
pub mod replay;
mod reply;
pub mod server;
mod types;

pub use client::{
    ClientConfig, ClientError, ClientEvent, Envelope, RecipientOutcome, SmtpClient, Timeouts,
    TransactionReport, UsageError,
};
pub use command::{Command, CommandError, Verb};
pub use ehlo::{Capabilities, Extension, FutureRelease, ServerLimits};
pub use params::{
    BodyType, DeliverBy, DeliverByMode, MailAuth, MailParams, Notify, Orcpt, Param, RcptParams,
    Ret, Rrvs,
};
pub use reply::{EnhancedCode, Lines, Reply, ReplyCode, ReplyError, ReplyParser};
pub use server::{ServerConfig, ServerError, ServerEvent, ServerUsageError, SmtpServer};
pub use types::{
    Domain, ForwardPath, Keyword, LocalPart, Mailbox, ParamValue, ReversePath, Text, ValueError,
    XText,
};

/// Re-exported so that callers name the same `Bytes` type.
pub use bytes::{Bytes, BytesMut};
