//! mailwire: email protocols as pure, fast, fuzzed sans-IO libraries.
//!
//! This facade re-exports the member crates behind features:
//!
//! | module | crate | feature |
//! |---|---|---|
//! | [`core`] | `mailwire-core`: limits, framing, dot-stuffing, the `Protocol` trait | always |
//! | `sasl` | `mailwire-sasl`: SASL mechanisms, client and server | `sasl` |
//! | `smtp` | `mailwire-smtp`: SMTP, ESMTP and LMTP codec and machines | `smtp` |
//! | `pop3` | `mailwire-pop3`: POP3 codec and machines | `pop3` |
//! | `mime` | `mailwire-mime`: streaming RFC 5322 / MIME parser | `mime` |
//! | `io` | `mailwire-io`: blocking and tokio drivers, rustls | `io`, `blocking`, `tokio`, `rustls` |
//!
//! The default features are `smtp`, `pop3`, `mime`, `blocking` and `rustls`.
#![forbid(unsafe_code)]

pub use mailwire_core as core;
#[cfg(feature = "io")]
pub use mailwire_io as io;
#[cfg(feature = "mime")]
pub use mailwire_mime as mime;
#[cfg(feature = "pop3")]
pub use mailwire_pop3 as pop3;
#[cfg(feature = "sasl")]
pub use mailwire_sasl as sasl;
#[cfg(feature = "smtp")]
pub use mailwire_smtp as smtp;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
