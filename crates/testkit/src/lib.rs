//! Test harness for mailwire machines (not published).
//!
//! - [`Chunking`]: how bytes are cut on their way between peers (whole, byte by byte, random
//!   splits from a seed), so every test can run under every cut.
//! - [`Pair`]: two [`Protocol`](mailwire_core::Protocol) machines, a client and a server, wired back to back in memory.
//! - [`replay_client`] / [`replay_server`]: a transcript ([`mailwire_core::transcript`]) replayed
//!   against one machine, comparing what it sends with the transcript byte for byte.
//! - [`interop::InteropEnv`]: the real Postfix and Dovecot of the interop tests, or a printed
//!   skip when they are not running.
#![forbid(unsafe_code)]

mod chunking;
pub mod interop;
mod pair;
mod replay;

pub use chunking::{Chunker, Chunking};
pub use pair::Pair;
pub use replay::{ReplayError, drain_events, drain_transmit, feed, replay_client, replay_server};
