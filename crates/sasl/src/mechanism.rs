//! Mechanism names and the negotiation helper.

use core::fmt;

use mailwire_core::Security;

/// A SASL mechanism this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616): authorization id, authentication id and password in one message.
    Plain,
    /// `LOGIN`: the de-facto two-prompt mechanism (user name, then password).
    Login,
    /// `XOAUTH2`: the Google / Microsoft OAuth 2.0 bearer token mechanism.
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628).
    OAuthBearer,
    /// `CRAM-MD5` (RFC 2195).
    CramMd5,
    /// `SCRAM-SHA-1` (RFC 5802).
    ScramSha1,
    /// `SCRAM-SHA-1-PLUS` (RFC 5802, with channel binding).
    ScramSha1Plus,
    /// `SCRAM-SHA-256` (RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-256-PLUS` (RFC 7677, with channel binding).
    ScramSha256Plus,
    /// `EXTERNAL` (RFC 4422 appendix A): identity established outside SASL (a TLS client
    /// certificate).
    External,
    /// `ANONYMOUS` (RFC 4505).
    Anonymous,
}

impl Mechanism {
    /// Every mechanism, in no particular order.
    pub const ALL: [Self; 11] = [
        Self::Plain,
        Self::Login,
        Self::XOAuth2,
        Self::OAuthBearer,
        Self::CramMd5,
        Self::ScramSha1,
        Self::ScramSha1Plus,
        Self::ScramSha256,
        Self::ScramSha256Plus,
        Self::External,
        Self::Anonymous,
    ];

    /// The default preference of a client that has a user name and a password, strongest
    /// first.
    pub const PASSWORD_PREFERENCE: [Self; 7] = [
        Self::ScramSha256Plus,
        Self::ScramSha1Plus,
        Self::ScramSha256,
        Self::ScramSha1,
        Self::Plain,
        Self::Login,
        Self::CramMd5,
    ];

    /// The default preference of a client that has an OAuth 2.0 access token.
    pub const TOKEN_PREFERENCE: [Self; 2] = [Self::OAuthBearer, Self::XOAuth2];

    /// The registered name, as servers advertise it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::CramMd5 => "CRAM-MD5",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Self::External => "EXTERNAL",
            Self::Anonymous => "ANONYMOUS",
        }
    }

    /// Looks a name up, ignoring ASCII case. Unknown names give `None`.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        let name = name.trim_ascii();
        Self::ALL.into_iter().find(|m| m.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// Whether the mechanism hands the server a reusable credential (a password or a bearer
    /// token) that an eavesdropper could replay: PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER. Such a
    /// mechanism is never chosen over a plaintext connection unless the caller allows it.
    pub const fn exposes_credentials(self) -> bool {
        matches!(self, Self::Plain | Self::Login | Self::XOAuth2 | Self::OAuthBearer)
    }

    /// Whether the mechanism binds the exchange to the TLS channel (the `-PLUS` variants).
    pub const fn uses_channel_binding(self) -> bool {
        matches!(self, Self::ScramSha1Plus | Self::ScramSha256Plus)
    }

    /// Whether the server sends the first message (no initial response is possible).
    pub const fn server_first(self) -> bool {
        matches!(self, Self::Login | Self::CramMd5)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the client may do when choosing a mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Allow mechanisms that expose credentials ([`Mechanism::exposes_credentials`]) on a
    /// plaintext connection. Off by default; turn it on only for loopback or test servers.
    pub allow_plaintext_credentials: bool,
    /// The client has channel-binding data for this connection, so the `-PLUS` variants are
    /// usable (only over TLS).
    pub channel_binding: bool,
}

/// Why no mechanism could be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The server offers none of the client's mechanisms.
    #[error("the server offers none of the client's mechanisms")]
    NoCommonMechanism,
    /// Only mechanisms that would expose the credentials in plaintext are common; start TLS
    /// first (or allow it explicitly in [`Policy`]).
    #[error(
        "only mechanisms that expose credentials are available, and the connection is not encrypted"
    )]
    EncryptionRequired,
}

/// Picks the mechanism to use: the first of `preferences` (strongest first) that the server
/// advertises in `server` (names, any case; unknown ones are skipped) and that `policy` and
/// `security` allow.
///
/// `-PLUS` variants need [`Policy::channel_binding`] and TLS; credential-exposing mechanisms
/// need TLS unless [`Policy::allow_plaintext_credentials`].
///
/// ```
/// use mailwire_core::Security;
/// use mailwire_sasl::{select_mechanism, Mechanism, NegotiationError, Policy};
///
/// let server = ["PLAIN", "LOGIN", "SCRAM-SHA-1"];
/// let m = select_mechanism(server, &Mechanism::PASSWORD_PREFERENCE, Security::Tls, Policy::default());
/// assert_eq!(m, Ok(Mechanism::ScramSha1));
/// let m = select_mechanism(["PLAIN"], &Mechanism::PASSWORD_PREFERENCE, Security::Plaintext, Policy::default());
/// assert_eq!(m, Err(NegotiationError::EncryptionRequired));
/// ```
pub fn select_mechanism<I, S>(
    server: I,
    preferences: &[Mechanism],
    security: Security,
    policy: Policy,
) -> Result<Mechanism, NegotiationError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let offered: Vec<Mechanism> =
        server.into_iter().filter_map(|name| Mechanism::from_name(name.as_ref())).collect();
    let mut refused_for_plaintext = false;
    for &candidate in preferences {
        if !offered.contains(&candidate) {
            continue;
        }
        if candidate.uses_channel_binding()
            && !(policy.channel_binding && security == Security::Tls)
        {
            continue;
        }
        if candidate.exposes_credentials()
            && security == Security::Plaintext
            && !policy.allow_plaintext_credentials
        {
            refused_for_plaintext = true;
            continue;
        }
        return Ok(candidate);
    }
    Err(if refused_for_plaintext {
        NegotiationError::EncryptionRequired
    } else {
        NegotiationError::NoCommonMechanism
    })
}

/// Whether the server advertises a `-PLUS` variant of SCRAM. A SCRAM client that has channel
/// binding data but ends up on a non-PLUS variant tells the server so with the `y` flag
/// ([`crate::ChannelBinding::SupportedNotUsed`]), which lets the server detect a downgrade.
pub fn server_offers_channel_binding<I, S>(server: I) -> bool
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    server
        .into_iter()
        .filter_map(|name| Mechanism::from_name(name.as_ref()))
        .any(Mechanism::uses_channel_binding)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREF: &[Mechanism] = &Mechanism::PASSWORD_PREFERENCE;

    #[test]
    fn names_round_trip_and_ignore_case() {
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::from_name(m.name().as_bytes()), Some(m));
            assert_eq!(Mechanism::from_name(m.name().to_ascii_lowercase().as_bytes()), Some(m));
            assert_eq!(m.to_string(), m.name());
        }
        assert_eq!(Mechanism::from_name(b"GSSAPI"), None);
        assert_eq!(Mechanism::from_name(b""), None);
    }

    #[test]
    fn strongest_usable_wins() {
        let server =
            ["LOGIN", "PLAIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"];
        let tls = Security::Tls;
        assert_eq!(
            select_mechanism(server, PREF, tls, Policy::default()),
            Ok(Mechanism::ScramSha256)
        );
        let cb = Policy { channel_binding: true, ..Policy::default() };
        assert_eq!(select_mechanism(server, PREF, tls, cb), Ok(Mechanism::ScramSha256Plus));
        // Channel binding needs TLS.
        assert_eq!(
            select_mechanism(server, PREF, Security::Plaintext, cb),
            Ok(Mechanism::ScramSha256)
        );
        assert_eq!(
            select_mechanism(["plain", "login"], PREF, tls, Policy::default()),
            Ok(Mechanism::Plain)
        );
    }

    #[test]
    fn never_plaintext_credentials_unless_allowed() {
        let server = ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"];
        let plain = Security::Plaintext;
        assert_eq!(
            select_mechanism(server, PREF, plain, Policy::default()),
            Err(NegotiationError::EncryptionRequired)
        );
        assert_eq!(
            select_mechanism(server, &Mechanism::TOKEN_PREFERENCE, plain, Policy::default()),
            Err(NegotiationError::EncryptionRequired)
        );
        let allow = Policy { allow_plaintext_credentials: true, ..Policy::default() };
        assert_eq!(select_mechanism(server, PREF, plain, allow), Ok(Mechanism::Plain));
        // CRAM-MD5 does not expose the password: usable over plaintext.
        assert_eq!(
            select_mechanism(["PLAIN", "CRAM-MD5"], PREF, plain, Policy::default()),
            Ok(Mechanism::CramMd5)
        );
        assert_eq!(
            select_mechanism(["GSSAPI"], PREF, plain, Policy::default()),
            Err(NegotiationError::NoCommonMechanism)
        );
        assert_eq!(
            select_mechanism(Vec::<&str>::new(), PREF, Security::Tls, Policy::default()),
            Err(NegotiationError::NoCommonMechanism)
        );
    }

    #[test]
    fn plus_detection() {
        assert!(server_offers_channel_binding(["SCRAM-SHA-1", "scram-sha-1-plus"]));
        assert!(!server_offers_channel_binding(["SCRAM-SHA-1", "PLAIN"]));
    }
}
