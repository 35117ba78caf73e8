//! mailwire: email protocols as pure, fast, fuzzed sans-IO libraries.
//!
//! This facade re-exports the member crates behind features:
//!
//! | module | crate | feature |
//! |---|---|---|
//! | [`core`] | `mailwire-core`: limits, framing, dot-stuffing, the `Protocol` trait | always |
//!
//! Protocol crates (SMTP, POP3, IMAP, MIME, SASL) and the I/O drivers join as features as they
//! are published.
#![forbid(unsafe_code)]

pub use mailwire_core as core;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
