//! The errors of the client side, of credential construction and of negotiation.

use crate::oauth::OAuthError;

/// Why a client-side mechanism or exchange cannot go on.
///
/// Nothing in here ever carries a credential: the server's own error text (SCRAM `e=`,
/// OAuth JSON) is the only peer data kept, and it is limited in length and to printable ASCII.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// A challenge line was not valid base64.
    #[error("the server's challenge is not valid base64")]
    InvalidBase64,
    /// A line is longer than the configured limit.
    #[error("a SASL line of {len} bytes exceeds the limit of {limit}")]
    TooLong {
        /// Length of the offending line.
        len: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The server sent a challenge after the mechanism had nothing more to say.
    #[error("the server sent a challenge the mechanism does not expect")]
    UnexpectedChallenge,
    /// The server sent additional data with success that the mechanism does not expect.
    #[error("the server sent unexpected additional data with success")]
    UnexpectedAdditionalData,
    /// A server message does not follow the mechanism's syntax.
    #[error("malformed server message: {0}")]
    Malformed(&'static str),
    /// The SCRAM server nonce does not start with the client nonce, or adds nothing to it.
    #[error("the server nonce does not extend the client nonce")]
    NonceMismatch,
    /// The SCRAM server signature does not verify: the server does not know the password.
    #[error("the server signature does not verify")]
    ServerSignatureMismatch,
    /// The SCRAM iteration count is outside the configured range.
    #[error("the iteration count {count} is outside the allowed range {min}..={max}")]
    IterationCount {
        /// The count the server asked for (saturated at `u32::MAX`).
        count: u32,
        /// The configured minimum.
        min: u32,
        /// The configured maximum.
        max: u32,
    },
    /// The SCRAM server answered with `e=`: the server-side error value.
    #[error("the server reported the SCRAM error {0:?}")]
    ScramServerError(String),
    /// The server asked for a mandatory SCRAM extension (`m=`) this client does not support.
    #[error("the server requires an unsupported mandatory extension")]
    MandatoryExtension,
    /// The server reported success before the mechanism completed (for SCRAM: before it
    /// proved that it knows the password). The client must treat this as a failure.
    #[error("the server reported success before the mechanism completed")]
    Incomplete,
    /// The server reported an OAuth error (XOAUTH2, OAUTHBEARER).
    #[error("the server rejected the token: {0}")]
    OAuth(OAuthError),
    /// The exchange was cancelled by this client (`*`).
    #[error("the exchange was cancelled")]
    Cancelled,
}

/// A credential or parameter given to a constructor cannot be sent safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The named field contains a character the mechanism cannot carry (NUL, `0x01`, ...).
    #[error("the {0} contains a character the mechanism cannot carry")]
    ForbiddenCharacter(&'static str),
    /// The named field must not be empty.
    #[error("the {0} must not be empty")]
    Empty(&'static str),
    /// The named field is longer than the mechanism allows.
    #[error("the {0} is too long")]
    TooLong(&'static str),
    /// The credentials cannot drive the mechanism (a password for XOAUTH2, a `-PLUS`
    /// mechanism without channel-binding data, ...).
    #[error("these credentials cannot be used with {0}")]
    WrongMechanism(crate::Mechanism),
    /// A nonce is not printable ASCII without `,`, or is too short.
    #[error("the nonce must be at least 8 printable ASCII characters other than ','")]
    InvalidNonce,
}
