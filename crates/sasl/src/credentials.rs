//! What a client authenticates with, and the client mechanism built from it once
//! [`crate::select_mechanism`] has chosen.

use mailwire_core::Secret;

use crate::client::{
    AnonymousClient, ClientMechanism, CramMd5Client, ExternalClient, LoginClient,
    OAuthBearerClient, PlainClient, XOAuth2Client,
};
use crate::scram::{ChannelBinding, ChannelBindingType, Nonce, ScramClient, scram_variant};
use crate::{CredentialError, Mechanism};

/// What a client authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and password (PLAIN, LOGIN, CRAM-MD5, SCRAM).
    Password {
        /// The identity to act as; empty for the user's own.
        authzid: String,
        /// The user name.
        user: String,
        /// The password.
        password: Secret<String>,
    },
    /// An OAuth 2.0 access token (XOAUTH2, OAUTHBEARER).
    BearerToken {
        /// The user the token belongs to (XOAUTH2 requires it).
        user: String,
        /// The access token.
        token: Secret<String>,
        /// The server's host name, as connected to (OAUTHBEARER `host`).
        host: Option<String>,
        /// The server's port (OAUTHBEARER `port`).
        port: Option<u16>,
    },
    /// Authentication outside SASL, such as a TLS client certificate (EXTERNAL).
    External {
        /// The identity to act as; empty for the one the server derives.
        authzid: String,
    },
    /// No authentication (ANONYMOUS), with optional trace information.
    Anonymous {
        /// The trace information (an email address or a short token), possibly empty.
        trace: String,
    },
}

/// What a SCRAM client needs besides the password.
#[derive(Debug, Clone)]
pub struct ScramInputs {
    /// A fresh random nonce.
    pub nonce: Nonce,
    /// The channel-binding data of this connection, if the TLS layer provides it.
    pub channel_binding: Option<(ChannelBindingType, Vec<u8>)>,
    /// Whether the server advertised a `-PLUS` mechanism
    /// ([`crate::server_offers_channel_binding`]).
    pub server_offers_plus: bool,
}

impl Credentials {
    /// A user name and password acting as the user's own identity.
    pub fn password(user: &str, password: Secret<String>) -> Self {
        Self::Password { authzid: String::new(), user: user.into(), password }
    }

    /// The mechanisms these credentials can drive, strongest first: the default preference
    /// list for [`crate::select_mechanism`].
    pub fn preferences(&self) -> &'static [Mechanism] {
        match self {
            Self::Password { .. } => &Mechanism::PASSWORD_PREFERENCE,
            Self::BearerToken { .. } => &Mechanism::TOKEN_PREFERENCE,
            Self::External { .. } => &[Mechanism::External],
            Self::Anonymous { .. } => &[Mechanism::Anonymous],
        }
    }

    /// Builds the client side of `mechanism`. SCRAM mechanisms need `scram`; a `-PLUS` one
    /// also its channel-binding data. A SCRAM client that has channel-binding data but runs a
    /// non-PLUS variant because the server offers none sends the `y` flag.
    pub fn client(
        &self,
        mechanism: Mechanism,
        scram: Option<ScramInputs>,
    ) -> Result<Box<dyn ClientMechanism>, CredentialError> {
        let wrong = CredentialError::WrongMechanism(mechanism);
        Ok(match (self, mechanism) {
            (Self::Password { authzid, user, password }, Mechanism::Plain) => {
                Box::new(PlainClient::new(authzid, user, password.clone())?)
            }
            (Self::Password { user, password, .. }, Mechanism::Login) => {
                Box::new(LoginClient::new(user, password.clone())?)
            }
            (Self::Password { user, password, .. }, Mechanism::CramMd5) => {
                Box::new(CramMd5Client::new(user, password.clone())?)
            }
            (Self::Password { authzid, user, password }, m) => {
                let (hash, plus) = scram_variant(m).ok_or(wrong.clone())?;
                let inputs = scram.ok_or(wrong.clone())?;
                let binding = match (plus, inputs.channel_binding) {
                    (true, Some((kind, data))) => ChannelBinding::Bound { kind, data },
                    (true, None) => return Err(wrong),
                    (false, Some(_)) if !inputs.server_offers_plus => {
                        ChannelBinding::SupportedNotUsed
                    }
                    (false, _) => ChannelBinding::Unsupported,
                };
                Box::new(ScramClient::new(
                    hash,
                    authzid,
                    user,
                    password.clone(),
                    inputs.nonce,
                    binding,
                )?)
            }
            (Self::BearerToken { user, token, .. }, Mechanism::XOAuth2) => {
                Box::new(XOAuth2Client::new(user, token.clone())?)
            }
            (Self::BearerToken { user, token, host, port }, Mechanism::OAuthBearer) => {
                Box::new(OAuthBearerClient::new(user, host.as_deref(), *port, token.clone())?)
            }
            (Self::External { authzid }, Mechanism::External) => {
                Box::new(ExternalClient::new(authzid)?)
            }
            (Self::Anonymous { trace }, Mechanism::Anonymous) => {
                Box::new(AnonymousClient::new(trace)?)
            }
            _ => return Err(wrong),
        })
    }
}
