//! SASL mechanisms for SMTP AUTH (RFC 4954), IMAP AUTHENTICATE (RFC 9051, RFC 4959) and POP3
//! AUTH (RFC 5034), client and server side, as small step machines: challenge bytes in,
//! response bytes out, then success or failure. No I/O, no clock, no randomness: nonces and
//! challenges come from the caller.
//!
//! | mechanism | client | server |
//! |---|---|---|
//! | `PLAIN` (RFC 4616) | [`PlainClient`] | [`PlainServer`] |
//! | `LOGIN` | [`LoginClient`] | [`LoginServer`] |
//! | `CRAM-MD5` (RFC 2195) | [`CramMd5Client`] | [`CramMd5Server`] |
//! | `SCRAM-SHA-1[-PLUS]`, `SCRAM-SHA-256[-PLUS]` (RFC 5802, RFC 7677) | [`ScramClient`] | [`ScramServer`] |
//! | `XOAUTH2` | [`XOAuth2Client`] | [`OAuthServer::xoauth2`] |
//! | `OAUTHBEARER` (RFC 7628) | [`OAuthBearerClient`] | [`OAuthServer::oauthbearer`] |
//! | `EXTERNAL` (RFC 4422) | [`ExternalClient`] | [`ExternalServer`] |
//! | `ANONYMOUS` (RFC 4505) | [`AnonymousClient`] | [`AnonymousServer`] |
//!
//! Layers, from the bottom:
//!
//! - [`ClientMechanism`] / [`ServerMechanism`]: the mechanisms on raw (decoded) bytes.
//! - [`ClientExchange`] / [`ServerExchange`]: a mechanism plus the rules the three protocols
//!   share: base64 lines, the empty initial response `=`, cancellation `*`, the RFC 4954
//!   section 4 line-length rule for initial responses, and the final server data of SCRAM
//!   sent as a last challenge where the success reply cannot carry it.
//! - [`wire`]: the same rules as functions, for protocol crates that frame by hand.
//! - [`select_mechanism`]: picks the strongest mechanism both sides support, and never one
//!   that exposes a password or token on an unencrypted connection unless allowed;
//!   [`Credentials::client`] then builds the client mechanism.
//!
//! Credentials are held in [`Secret`], whose `Debug` prints nothing, and no error carries one.
//! Servers check credentials through the application's [`CredentialStore`]; a SCRAM server
//! needs only the stored keys ([`ScramCredentials`]), never the password.
//!
//! SCRAM prepares user names and passwords with `SASLprep` (RFC 4013); the other mechanisms
//! send them as given, in UTF-8.
//!
//! ```
//! use mailwire_core::Secret;
//! use mailwire_sasl::{
//!     ChannelBinding, ClientExchange, CredentialStore, Nonce, Reply, ScramClient,
//!     ScramCredentials, ScramHash, ScramServer, ServerExchange, ServerExchangeConfig,
//!     ServerReply,
//! };
//!
//! struct Users(ScramCredentials);
//! impl CredentialStore for Users {
//!     fn scram_credentials(&self, user: &str, _: ScramHash) -> Option<ScramCredentials> {
//!         (user == "user").then(|| self.0.clone())
//!     }
//! }
//! let users = Users(ScramCredentials::derive(ScramHash::Sha256, b"pencil", b"salt1234", 4096));
//!
//! let client = ScramClient::new(
//!     ScramHash::Sha256, "", "user", Secret::new("pencil".into()),
//!     Nonce::from_random_bytes(b"client random bytes").unwrap(), ChannelBinding::Unsupported,
//! ).unwrap();
//! let server = ScramServer::new(&users, ScramHash::Sha256, false,
//!     Nonce::from_random_bytes(b"server random bytes").unwrap());
//! let mut c = ClientExchange::new(Box::new(client));
//! let mut s = ServerExchange::new(Box::new(server), ServerExchangeConfig::default());
//!
//! // C: AUTH SCRAM-SHA-256 <client-first>
//! let ir = c.initial_response("AUTH SCRAM-SHA-256 ".len(), 512, true).unwrap();
//! let mut reply = s.start(Some(ir.expose().as_bytes()));
//! loop {
//!     match reply {
//!         ServerReply::Challenge(line) => {
//!             let Reply::Send(answer) = c.challenge(line.as_bytes()).unwrap() else { panic!() };
//!             reply = s.response(answer.expose().as_bytes());
//!         }
//!         ServerReply::Success { identity, additional_data } => {
//!             assert_eq!(identity.authorization_id, "user");
//!             c.success(additional_data.as_deref().map(str::as_bytes)).unwrap();
//!             break;
//!         }
//!         ServerReply::Failure(f) => panic!("{f}"),
//!         _ => unreachable!(),
//!     }
//! }
//! ```
#![forbid(unsafe_code)]

mod client;
mod credentials;
mod crypto;
mod error;
mod exchange;
mod mechanism;
mod oauth;
mod scram;
mod server;
pub mod wire;

#[doc(hidden)]
pub mod fuzzing;

pub use client::{
    AnonymousClient, ClientMechanism, ClientStep, CramMd5Client, ExternalClient, LoginClient,
    OAuthBearerClient, PlainClient, XOAuth2Client,
};
pub use credentials::{Credentials, ScramInputs};
pub use crypto::ScramHash;
pub use error::{CredentialError, SaslError};
pub use exchange::{
    ClientExchange, DEFAULT_MAX_LINE, Reply, ServerExchange, ServerExchangeConfig, ServerReply,
};
pub use mailwire_core::Secret;
pub use mechanism::{
    Mechanism, NegotiationError, Policy, select_mechanism, server_offers_channel_binding,
};
pub use oauth::OAuthError;
pub use scram::{
    ChannelBinding, ChannelBindingType, Nonce, ScramClient, ScramConfig, ScramCredentials,
    ScramServer, scram_variant,
};
pub use server::{
    AnonymousServer, Authenticated, CramMd5Server, CredentialStore, ExternalServer, LoginServer,
    OAuthServer, PlainServer, ServerFailure, ServerInputs, ServerMechanism, ServerStep,
    server_mechanism,
};
