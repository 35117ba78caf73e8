//! The client side: the [`ClientMechanism`] trait and the simple mechanisms.

use core::fmt;
use core::fmt::Write as _;

use mailwire_core::Secret;

use crate::crypto::hmac_md5_hex;
use crate::oauth::OAuthError;
use crate::{CredentialError, Mechanism, SaslError};

/// What a client mechanism answers to a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientStep {
    /// Send this response (base64-encoded by the protocol).
    Response(Secret<Vec<u8>>),
    /// The server reported an error in its challenge (XOAUTH2, OAUTHBEARER). Send `ack` (it
    /// carries no credential) so the server can end the exchange, expect a failure reply, and
    /// show `error` to the user. Sending the cancel line `*` instead is also allowed.
    ServerError {
        /// The response that lets the server finish: empty for XOAUTH2, `0x01` for
        /// OAUTHBEARER.
        ack: Vec<u8>,
        /// What the server said.
        error: OAuthError,
    },
}

/// One client-side SASL mechanism, as a step machine: no I/O, no clock, no randomness.
///
/// The order of calls is: [`initial_response`](Self::initial_response) once, then
/// [`step`](Self::step) for each challenge, then [`finish`](Self::finish) when the server
/// reports success. The protocol crates (or [`crate::ClientExchange`]) move the bytes.
pub trait ClientMechanism: fmt::Debug + Send {
    /// The mechanism's registered name.
    fn mechanism(&self) -> Mechanism;

    /// The initial response, for client-first mechanisms; `None` for server-first ones
    /// (LOGIN, CRAM-MD5). Call it once. If the protocol cannot send it with the command, send
    /// it as the answer to the server's first (empty) challenge instead; do not call
    /// [`step`](Self::step) for that challenge.
    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>>;

    /// Answers one decoded challenge.
    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, SaslError>;

    /// Called when the server reports success, with the additional data that came with it
    /// (IMAP and XMPP style), if any. Fails if the mechanism has not finished: a SCRAM client
    /// whose server has not proved knowledge of the password rejects the success.
    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError>;
}

fn no_byte(field: &'static str, value: &str, forbidden: &[u8]) -> Result<(), CredentialError> {
    if value.bytes().any(|b| forbidden.contains(&b)) {
        Err(CredentialError::ForbiddenCharacter(field))
    } else {
        Ok(())
    }
}

fn non_empty(field: &'static str, value: &str) -> Result<(), CredentialError> {
    if value.is_empty() { Err(CredentialError::Empty(field)) } else { Ok(()) }
}

/// The common `finish` of mechanisms that are done once their last message is out.
fn finish_simple(done: bool, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
    match additional_data {
        Some(data) if !data.is_empty() => Err(SaslError::UnexpectedAdditionalData),
        _ if done => Ok(()),
        _ => Err(SaslError::Incomplete),
    }
}

/// `PLAIN` (RFC 4616): `authzid NUL authcid NUL password`, sent as the initial response.
#[derive(Debug)]
pub struct PlainClient {
    authzid: String,
    authcid: String,
    password: Secret<String>,
    sent: bool,
}

impl PlainClient {
    /// A PLAIN client. `authzid` is the identity to act as (empty: the user's own). None of
    /// the three may contain NUL; the user name and the password must not be empty.
    pub fn new(
        authzid: &str,
        authcid: &str,
        password: Secret<String>,
    ) -> Result<Self, CredentialError> {
        no_byte("authorization identity", authzid, b"\0")?;
        no_byte("user name", authcid, b"\0")?;
        non_empty("user name", authcid)?;
        no_byte("password", password.expose(), b"\0")?;
        non_empty("password", password.expose())?;
        Ok(Self { authzid: authzid.into(), authcid: authcid.into(), password, sent: false })
    }

    fn message(&self) -> Secret<Vec<u8>> {
        let pw = self.password.expose();
        let mut m = Vec::with_capacity(self.authzid.len() + self.authcid.len() + pw.len() + 2);
        m.extend_from_slice(self.authzid.as_bytes());
        m.push(0);
        m.extend_from_slice(self.authcid.as_bytes());
        m.push(0);
        m.extend_from_slice(pw.as_bytes());
        Secret::new(m)
    }
}

impl ClientMechanism for PlainClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Plain
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        self.sent = true;
        Some(self.message())
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, SaslError> {
        if self.sent {
            return Err(SaslError::UnexpectedChallenge);
        }
        self.sent = true;
        Ok(ClientStep::Response(self.message()))
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        finish_simple(self.sent, additional_data)
    }
}

/// `LOGIN`: answers the first challenge with the user name and the second with the password,
/// whatever the prompts say (servers word them differently; see docs/quirks/sasl.md).
#[derive(Debug)]
pub struct LoginClient {
    user: String,
    password: Secret<String>,
    answered: u8,
}

impl LoginClient {
    /// A LOGIN client. Neither value may contain NUL, CR or LF, nor be empty.
    pub fn new(user: &str, password: Secret<String>) -> Result<Self, CredentialError> {
        no_byte("user name", user, b"\0\r\n")?;
        non_empty("user name", user)?;
        no_byte("password", password.expose(), b"\0\r\n")?;
        non_empty("password", password.expose())?;
        Ok(Self { user: user.into(), password, answered: 0 })
    }
}

impl ClientMechanism for LoginClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Login
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        None
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, SaslError> {
        let answer = match self.answered {
            0 => self.user.as_bytes().to_vec(),
            1 => self.password.expose().as_bytes().to_vec(),
            _ => return Err(SaslError::UnexpectedChallenge),
        };
        self.answered += 1;
        Ok(ClientStep::Response(Secret::new(answer)))
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        finish_simple(self.answered == 2, additional_data)
    }
}

/// `CRAM-MD5` (RFC 2195): answers the server's challenge with `user SP hex(HMAC-MD5(password,
/// challenge))`.
#[derive(Debug)]
pub struct CramMd5Client {
    user: String,
    password: Secret<String>,
    answered: bool,
}

impl CramMd5Client {
    /// A CRAM-MD5 client. The user name must not be empty nor contain NUL, CR or LF.
    pub fn new(user: &str, password: Secret<String>) -> Result<Self, CredentialError> {
        no_byte("user name", user, b"\0\r\n")?;
        non_empty("user name", user)?;
        Ok(Self { user: user.into(), password, answered: false })
    }
}

impl ClientMechanism for CramMd5Client {
    fn mechanism(&self) -> Mechanism {
        Mechanism::CramMd5
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        None
    }

    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, SaslError> {
        if self.answered {
            return Err(SaslError::UnexpectedChallenge);
        }
        if challenge.is_empty() {
            return Err(SaslError::Malformed("CRAM-MD5 challenge is empty"));
        }
        self.answered = true;
        let digest = hmac_md5_hex(self.password.expose().as_bytes(), challenge);
        let mut out = Vec::with_capacity(self.user.len() + 33);
        out.extend_from_slice(self.user.as_bytes());
        out.push(b' ');
        out.extend_from_slice(digest.as_bytes());
        Ok(ClientStep::Response(Secret::new(out)))
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        finish_simple(self.answered, additional_data)
    }
}

/// `XOAUTH2`: `user=U ^A auth=Bearer TOKEN ^A ^A` as the initial response. A challenge after it
/// is the server's JSON error report.
#[derive(Debug)]
pub struct XOAuth2Client {
    user: String,
    token: Secret<String>,
    state: OAuthState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OAuthState {
    Start,
    Sent,
    ErrorAcknowledged,
}

fn oauth_step(
    state: &mut OAuthState,
    message: impl FnOnce() -> Secret<Vec<u8>>,
    challenge: &[u8],
    ack: &[u8],
) -> Result<ClientStep, SaslError> {
    match *state {
        OAuthState::Start => {
            *state = OAuthState::Sent;
            Ok(ClientStep::Response(message()))
        }
        OAuthState::Sent => {
            *state = OAuthState::ErrorAcknowledged;
            let error = OAuthError::from_json(challenge).unwrap_or_default();
            Ok(ClientStep::ServerError { ack: ack.to_vec(), error })
        }
        OAuthState::ErrorAcknowledged => Err(SaslError::UnexpectedChallenge),
    }
}

fn oauth_finish(state: OAuthState, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
    match state {
        OAuthState::ErrorAcknowledged => {
            Err(SaslError::Malformed("success after an OAuth error report"))
        }
        s => finish_simple(s == OAuthState::Sent, additional_data),
    }
}

impl XOAuth2Client {
    /// An XOAUTH2 client. Neither value may contain `0x01`, CR, LF or NUL.
    pub fn new(user: &str, token: Secret<String>) -> Result<Self, CredentialError> {
        no_byte("user name", user, b"\x01\0\r\n")?;
        no_byte("token", token.expose(), b"\x01\0\r\n")?;
        non_empty("token", token.expose())?;
        Ok(Self { user: user.into(), token, state: OAuthState::Start })
    }

    fn message(&self) -> Secret<Vec<u8>> {
        Secret::new(
            format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token.expose())
                .into_bytes(),
        )
    }
}

impl ClientMechanism for XOAuth2Client {
    fn mechanism(&self) -> Mechanism {
        Mechanism::XOAuth2
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        self.state = OAuthState::Sent;
        Some(self.message())
    }

    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, SaslError> {
        let message = self.message();
        oauth_step(&mut self.state, || message, challenge, b"")
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        oauth_finish(self.state, additional_data)
    }
}

/// Encodes an authorization identity as a GS2 `saslname` (RFC 5801): `,` becomes `=2C` and `=`
/// becomes `=3D`.
pub(crate) fn encode_saslname(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            c => out.push(c),
        }
    }
    out
}

/// `OAUTHBEARER` (RFC 7628): a GS2 header with the user as authorization identity, then
/// `host`, `port` and `auth` key-value pairs separated by `0x01`.
#[derive(Debug)]
pub struct OAuthBearerClient {
    user: String,
    host: Option<String>,
    port: Option<u16>,
    token: Secret<String>,
    state: OAuthState,
}

impl OAuthBearerClient {
    /// An OAUTHBEARER client. `user` may be empty (the server takes the identity from the
    /// token); `host` and `port` name the server as the client connected to it. No value may
    /// contain `0x01`, CR, LF or NUL.
    pub fn new(
        user: &str,
        host: Option<&str>,
        port: Option<u16>,
        token: Secret<String>,
    ) -> Result<Self, CredentialError> {
        no_byte("user name", user, b"\x01\0\r\n")?;
        if let Some(host) = host {
            no_byte("host", host, b"\x01\0\r\n")?;
        }
        no_byte("token", token.expose(), b"\x01\0\r\n")?;
        non_empty("token", token.expose())?;
        Ok(Self {
            user: user.into(),
            host: host.map(Into::into),
            port,
            token,
            state: OAuthState::Start,
        })
    }

    fn message(&self) -> Secret<Vec<u8>> {
        let mut m = String::from("n,");
        if !self.user.is_empty() {
            m.push_str("a=");
            m.push_str(&encode_saslname(&self.user));
        }
        m.push_str(",\x01");
        if let Some(host) = &self.host {
            m.push_str("host=");
            m.push_str(host);
            m.push('\x01');
        }
        if let Some(port) = self.port {
            let _ = write!(m, "port={port}\x01");
        }
        m.push_str("auth=Bearer ");
        m.push_str(self.token.expose());
        m.push_str("\x01\x01");
        Secret::new(m.into_bytes())
    }
}

impl ClientMechanism for OAuthBearerClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::OAuthBearer
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        self.state = OAuthState::Sent;
        Some(self.message())
    }

    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, SaslError> {
        let message = self.message();
        oauth_step(&mut self.state, || message, challenge, b"\x01")
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        oauth_finish(self.state, additional_data)
    }
}

/// `EXTERNAL` (RFC 4422 appendix A): sends only the authorization identity (often empty); the
/// authentication happened outside SASL, for example with a TLS client certificate.
#[derive(Debug)]
pub struct ExternalClient {
    authzid: String,
    sent: bool,
}

impl ExternalClient {
    /// An EXTERNAL client acting as `authzid` (empty: the identity the server derives).
    pub fn new(authzid: &str) -> Result<Self, CredentialError> {
        no_byte("authorization identity", authzid, b"\0\r\n")?;
        Ok(Self { authzid: authzid.into(), sent: false })
    }
}

impl ClientMechanism for ExternalClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::External
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        self.sent = true;
        Some(Secret::new(self.authzid.as_bytes().to_vec()))
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, SaslError> {
        if self.sent {
            return Err(SaslError::UnexpectedChallenge);
        }
        self.sent = true;
        Ok(ClientStep::Response(Secret::new(self.authzid.as_bytes().to_vec())))
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        finish_simple(self.sent, additional_data)
    }
}

/// `ANONYMOUS` (RFC 4505): sends optional trace information (an email address or a token of
/// at most 255 characters).
#[derive(Debug)]
pub struct AnonymousClient {
    trace: String,
    sent: bool,
}

impl AnonymousClient {
    /// An ANONYMOUS client with the given trace information (may be empty).
    pub fn new(trace: &str) -> Result<Self, CredentialError> {
        no_byte("trace", trace, b"\0\r\n")?;
        if trace.chars().count() > 255 {
            return Err(CredentialError::TooLong("trace"));
        }
        Ok(Self { trace: trace.into(), sent: false })
    }
}

impl ClientMechanism for AnonymousClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Anonymous
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        self.sent = true;
        Some(Secret::new(self.trace.as_bytes().to_vec()))
    }

    fn step(&mut self, _challenge: &[u8]) -> Result<ClientStep, SaslError> {
        if self.sent {
            return Err(SaslError::UnexpectedChallenge);
        }
        self.sent = true;
        Ok(ClientStep::Response(Secret::new(self.trace.as_bytes().to_vec())))
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        finish_simple(self.sent, additional_data)
    }
}
