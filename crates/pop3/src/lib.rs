//! POP3 for mailwire: types, parser and encoder for both directions, and sans-IO client and
//! server machines (RFC 1939, RFC 2449 CAPA and response codes, RFC 2595 STLS, RFC 3206,
//! RFC 5034 AUTH, RFC 6856 UTF8 and LANG).
//!
//! Nothing here performs I/O, reads a clock or draws randomness: the machines implement
//! [`mailwire_core::Protocol`] and a driver moves their bytes.
//!
//! - [`Command`], [`Status`], [`Capability`], [`ScanListing`], [`UidlListing`], [`Stat`]: the
//!   validated values, each with `parse` and `encode`.
//! - [`codec`]: streaming decoders for both directions (framing, dot-unstuffing, bodies in
//!   chunks).
//! - [`Client`] and [`Server`]: the connection machines.
//! - [`replay`]: checks a recorded transcript against the codec and both machines.
//!
//! ```
//! use mailwire_pop3::{Command, Status};
//!
//! let greeting = Status::parse(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>")?;
//! let ts = greeting.apop_timestamp().unwrap();
//! let apop = mailwire_pop3::Command::Apop {
//!     name: mailwire_pop3::Word::new("mrose")?,
//!     digest: mailwire_pop3::ApopDigest::compute(&ts, b"tanstaaf"),
//! };
//! assert_eq!(&apop.to_bytes()[..], b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod client;
pub mod codec;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod parse;
pub mod replay;
mod server;
mod types;

pub use client::{Client, ClientConfig, ClientEvent};
pub use error::{ConnectionError, ParseError, UsageError, ValueError};
pub use server::{Server, ServerConfig, ServerEvent};
pub use types::{
    ApopDigest, AuthResponse, Capabilities, Capability, Command, CommandKind, Continuation,
    ExpirePolicy, MsgNum, ResponseCode, ResponseShape, ScanListing, Stat, Status, StatusKind, Text,
    UidlListing, Word,
};

/// The session states of RFC 1939 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Before a successful login (and while the greeting is awaited).
    Authorization,
    /// Logged in: the maildrop is open.
    Transaction,
    /// After QUIT in the TRANSACTION state: deletions are being applied.
    Update,
}

impl State {
    /// Whether RFC 1939 (with RFC 2449, 2595, 5034, 6856) allows a command in this state.
    /// Unknown commands are allowed through, for the server application to answer. Both
    /// machines check it: the client before sending, the server before reporting the command.
    pub fn allows(self, kind: CommandKind) -> bool {
        use CommandKind as K;
        match self {
            State::Authorization => matches!(
                kind,
                K::User
                    | K::Pass
                    | K::Apop
                    | K::Auth
                    | K::Capa
                    | K::Stls
                    | K::Utf8
                    | K::Lang
                    | K::Quit
                    | K::Unknown
            ),
            State::Transaction => matches!(
                kind,
                K::Stat
                    | K::List
                    | K::Retr
                    | K::Dele
                    | K::Noop
                    | K::Rset
                    | K::Quit
                    | K::Top
                    | K::Uidl
                    | K::Capa
                    | K::Lang
                    | K::Unknown
            ),
            State::Update => false,
        }
    }
}
