//! The server side: the [`ServerMechanism`] trait, the [`CredentialStore`] the application
//! plugs in, and the simple mechanisms.

use core::fmt;

use mailwire_core::Secret;

use crate::Mechanism;
use crate::crypto::{ScramHash, ct_eq, hmac_md5_hex};
use crate::oauth::OAuthError;
use crate::scram::{ScramCredentials, decode_saslname};

/// Who authenticated, once an exchange succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The identity whose credentials were checked (the user name; `anonymous` for
    /// ANONYMOUS).
    pub authentication_id: String,
    /// The identity the session acts as: the requested authorization identity, or the
    /// authentication identity when none was requested.
    pub authorization_id: String,
}

/// Why an exchange failed on the server side. No variant carries a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerFailure {
    /// The client cancelled with `*` (SMTP answers 501, IMAP BAD, POP3 -ERR).
    #[error("the client cancelled the exchange")]
    Cancelled,
    /// The client's message does not follow the mechanism's syntax.
    #[error("malformed client message: {0}")]
    Malformed(&'static str),
    /// Wrong credentials or unknown user (deliberately not told apart).
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The credentials are right but the user may not act as the requested identity.
    #[error("not authorized to act as the requested identity")]
    AuthorizationFailed,
    /// SCRAM channel binding does not match: wrong data, an unsupported type, or a
    /// downgrade (a `y` flag sent to a server that supports channel binding).
    #[error("channel binding mismatch")]
    ChannelBinding,
    /// The bearer token was rejected; the error was sent to the client as a challenge.
    #[error("the token was rejected: {0}")]
    Token(OAuthError),
    /// A message arrived after the exchange had ended.
    #[error("the exchange has already ended")]
    Finished,
    /// The exchange went on for more steps than the configured limit.
    #[error("too many steps")]
    TooManySteps,
    /// A client line is longer than the configured limit.
    #[error("a client line exceeds the limit")]
    TooLong,
}

/// What a server mechanism answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerStep {
    /// Send this challenge (base64-encoded by the protocol) and wait for a response.
    Challenge(Vec<u8>),
    /// Authentication succeeded. `additional_data` (SCRAM's server signature) must reach the
    /// client: with the success reply where the protocol allows it, otherwise as one more
    /// challenge whose (empty) answer is awaited before the success reply;
    /// [`crate::ServerExchange`] does the latter for you.
    Success {
        /// Who authenticated.
        identity: Authenticated,
        /// The server's final message, if the mechanism has one.
        additional_data: Option<Vec<u8>>,
    },
    /// Authentication failed.
    Failure(ServerFailure),
}

/// One server-side SASL mechanism, as a step machine.
pub trait ServerMechanism: fmt::Debug {
    /// The mechanism's registered name.
    fn mechanism(&self) -> Mechanism;

    /// Starts the exchange with the client's initial response, if the command carried one
    /// (`Some(b"")` for `=`), or without one (`None`).
    fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep;

    /// Handles the client's answer to the last challenge.
    fn step(&mut self, response: &[u8]) -> ServerStep;
}

/// The application's credential lookup, plugged into the server mechanisms. Every method has
/// a refusing default, so a store implements only what its mechanisms need.
///
/// It is called synchronously during a step; an application with a slow back end looks the
/// user up before feeding the step, or offers only the mechanisms it can serve.
pub trait CredentialStore {
    /// The plaintext password of `authcid`, if the store keeps one. CRAM-MD5 needs it, and
    /// the default [`verify_password`](Self::verify_password) uses it.
    fn password(&self, authcid: &str) -> Option<Secret<String>> {
        let _ = authcid;
        None
    }

    /// Checks a password sent with PLAIN or LOGIN. The default compares it in constant time
    /// with [`password`](Self::password); a store that keeps password hashes overrides this.
    fn verify_password(&self, authcid: &str, password: &Secret<String>) -> bool {
        self.password(authcid)
            .is_some_and(|known| ct_eq(known.expose().as_bytes(), password.expose().as_bytes()))
    }

    /// The stored SCRAM keys of `authcid` for `hash`, or `None` for an unknown user.
    fn scram_credentials(&self, authcid: &str, hash: ScramHash) -> Option<ScramCredentials> {
        let _ = (authcid, hash);
        None
    }

    /// Validates an OAuth bearer token for `user` (which may be empty for OAUTHBEARER) and
    /// returns the authenticated identity, or the error to report to the client.
    fn verify_bearer_token(
        &self,
        user: &str,
        token: &Secret<String>,
    ) -> Result<String, OAuthError> {
        let _ = (user, token);
        Err(OAuthError::invalid_token())
    }

    /// The identity established outside SASL (a TLS client certificate) for EXTERNAL, given
    /// the requested authorization identity (possibly empty). `None` refuses.
    fn external_identity(&self, authzid: &str) -> Option<String> {
        let _ = authzid;
        None
    }

    /// Whether ANONYMOUS is allowed, given the client's trace information.
    fn allow_anonymous(&self, trace: &str) -> bool {
        let _ = trace;
        false
    }

    /// Whether `authcid` may act as `authzid`. The default allows only acting as oneself.
    fn authorize(&self, authcid: &str, authzid: &str) -> bool {
        authcid == authzid
    }
}

/// `Debug` for a server mechanism without requiring `Debug` of the store (which may hold
/// secrets).
macro_rules! debug_without_store {
    ($name:ident) => {
        impl<S: $crate::server::CredentialStore + ?Sized> ::core::fmt::Debug for $name<'_, S> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use debug_without_store;

fn utf8(bytes: &[u8]) -> Result<&str, ServerFailure> {
    core::str::from_utf8(bytes).map_err(|_| ServerFailure::Malformed("not UTF-8"))
}

fn check_password<S: CredentialStore + ?Sized>(
    store: &S,
    authcid: &str,
    authzid: &str,
    password: &Secret<String>,
) -> ServerStep {
    if !store.verify_password(authcid, password) {
        return ServerStep::Failure(ServerFailure::AuthenticationFailed);
    }
    let authorization_id = if authzid.is_empty() { authcid } else { authzid };
    if !store.authorize(authcid, authorization_id) {
        return ServerStep::Failure(ServerFailure::AuthorizationFailed);
    }
    ServerStep::Success {
        identity: Authenticated {
            authentication_id: authcid.into(),
            authorization_id: authorization_id.into(),
        },
        additional_data: None,
    }
}

/// A mechanism whose single client message may come as initial response or after an empty
/// challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OneShot {
    Start,
    Awaiting,
    Done,
}

impl OneShot {
    fn start(&mut self, initial: Option<&[u8]>, f: impl FnOnce(&[u8]) -> ServerStep) -> ServerStep {
        match (*self, initial) {
            (Self::Start, Some(message)) => {
                *self = Self::Done;
                f(message)
            }
            (Self::Start, None) => {
                *self = Self::Awaiting;
                ServerStep::Challenge(Vec::new())
            }
            _ => {
                *self = Self::Done;
                ServerStep::Failure(ServerFailure::Finished)
            }
        }
    }

    fn step(&mut self, response: &[u8], f: impl FnOnce(&[u8]) -> ServerStep) -> ServerStep {
        if *self == Self::Done {
            return ServerStep::Failure(ServerFailure::Finished);
        }
        *self = Self::Done;
        f(response)
    }
}

/// `PLAIN` server (RFC 4616).
pub struct PlainServer<'a, S: CredentialStore + ?Sized> {
    store: &'a S,
    state: OneShot,
}

impl<'a, S: CredentialStore + ?Sized> PlainServer<'a, S> {
    /// A PLAIN server checking passwords with `store`.
    pub fn new(store: &'a S) -> Self {
        Self { store, state: OneShot::Start }
    }
}

fn plain_message<S: CredentialStore + ?Sized>(store: &S, message: &[u8]) -> ServerStep {
    let mut fields = message.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(password), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return ServerStep::Failure(ServerFailure::Malformed("PLAIN needs exactly three fields"));
    };
    let (Ok(authzid), Ok(authcid), Ok(password)) = (utf8(authzid), utf8(authcid), utf8(password))
    else {
        return ServerStep::Failure(ServerFailure::Malformed("not UTF-8"));
    };
    if authcid.is_empty() || password.is_empty() {
        return ServerStep::Failure(ServerFailure::Malformed("empty user name or password"));
    }
    check_password(store, authcid, authzid, &Secret::new(password.to_owned()))
}

impl<S: CredentialStore + ?Sized> ServerMechanism for PlainServer<'_, S> {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Plain
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        let store = self.store;
        self.state.start(initial_response, |m| plain_message(store, m))
    }

    fn step(&mut self, response: &[u8]) -> ServerStep {
        let store = self.store;
        self.state.step(response, |m| plain_message(store, m))
    }
}

/// The prompts of the LOGIN mechanism, as most servers send them.
const USERNAME_PROMPT: &[u8] = b"Username:";
const PASSWORD_PROMPT: &[u8] = b"Password:";

#[derive(Debug)]
enum LoginState {
    Start,
    AwaitUser,
    AwaitPassword(String),
    Done,
}

/// `LOGIN` server: prompts `Username:` then `Password:`. A user name sent as initial response
/// (as some clients do) skips the first prompt.
pub struct LoginServer<'a, S: CredentialStore + ?Sized> {
    store: &'a S,
    state: LoginState,
}

impl<'a, S: CredentialStore + ?Sized> LoginServer<'a, S> {
    /// A LOGIN server checking passwords with `store`.
    pub fn new(store: &'a S) -> Self {
        Self { store, state: LoginState::Start }
    }

    fn user(&mut self, user: &[u8]) -> ServerStep {
        match utf8(user) {
            Ok(u) if !u.is_empty() && !u.contains('\0') => {
                self.state = LoginState::AwaitPassword(u.to_owned());
                ServerStep::Challenge(PASSWORD_PROMPT.to_vec())
            }
            _ => {
                self.state = LoginState::Done;
                ServerStep::Failure(ServerFailure::Malformed("bad user name"))
            }
        }
    }
}

impl<S: CredentialStore + ?Sized> ServerMechanism for LoginServer<'_, S> {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Login
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        if !matches!(self.state, LoginState::Start) {
            self.state = LoginState::Done;
            return ServerStep::Failure(ServerFailure::Finished);
        }
        match initial_response {
            Some(user) if !user.is_empty() => self.user(user),
            _ => {
                self.state = LoginState::AwaitUser;
                ServerStep::Challenge(USERNAME_PROMPT.to_vec())
            }
        }
    }

    fn step(&mut self, response: &[u8]) -> ServerStep {
        match core::mem::replace(&mut self.state, LoginState::Done) {
            LoginState::Start | LoginState::AwaitUser => self.user(response),
            LoginState::AwaitPassword(user) => match utf8(response) {
                Ok(p) if !p.is_empty() => {
                    check_password(self.store, &user, "", &Secret::new(p.into()))
                }
                _ => ServerStep::Failure(ServerFailure::Malformed("bad password")),
            },
            LoginState::Done => ServerStep::Failure(ServerFailure::Finished),
        }
    }
}

/// `CRAM-MD5` server (RFC 2195). It needs the plaintext password from the store.
pub struct CramMd5Server<'a, S: CredentialStore + ?Sized> {
    store: &'a S,
    challenge: Vec<u8>,
    state: OneShot,
}

impl<'a, S: CredentialStore + ?Sized> CramMd5Server<'a, S> {
    /// A CRAM-MD5 server sending `challenge`, which must be unique and unpredictable, in the
    /// form `<random.timestamp@hostname>`; the caller makes it (this crate reads no clock and
    /// draws no randomness).
    pub fn new(store: &'a S, challenge: impl Into<Vec<u8>>) -> Self {
        Self { store, challenge: challenge.into(), state: OneShot::Start }
    }

    fn verify(&self, response: &[u8]) -> ServerStep {
        let Some(space) = response.iter().rposition(|&b| b == b' ') else {
            return ServerStep::Failure(ServerFailure::Malformed("expected user SP digest"));
        };
        let (user, digest) = response.split_at(space);
        let digest = digest.get(1..).unwrap_or_default();
        let Ok(user) = utf8(user) else {
            return ServerStep::Failure(ServerFailure::Malformed("not UTF-8"));
        };
        if user.is_empty() || digest.len() != 32 || !digest.iter().all(u8::is_ascii_hexdigit) {
            return ServerStep::Failure(ServerFailure::Malformed("expected user SP digest"));
        }
        let digest = digest.to_ascii_lowercase();
        let Some(password) = self.store.password(user) else {
            return ServerStep::Failure(ServerFailure::AuthenticationFailed);
        };
        let expected = hmac_md5_hex(password.expose().as_bytes(), &self.challenge);
        if !ct_eq(expected.as_bytes(), &digest) {
            return ServerStep::Failure(ServerFailure::AuthenticationFailed);
        }
        if !self.store.authorize(user, user) {
            return ServerStep::Failure(ServerFailure::AuthorizationFailed);
        }
        ServerStep::Success {
            identity: Authenticated {
                authentication_id: user.into(),
                authorization_id: user.into(),
            },
            additional_data: None,
        }
    }
}

impl<S: CredentialStore + ?Sized> ServerMechanism for CramMd5Server<'_, S> {
    fn mechanism(&self) -> Mechanism {
        Mechanism::CramMd5
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        if self.state != OneShot::Start || initial_response.is_some() {
            self.state = OneShot::Done;
            return ServerStep::Failure(if initial_response.is_some() {
                ServerFailure::Malformed("CRAM-MD5 takes no initial response")
            } else {
                ServerFailure::Finished
            });
        }
        self.state = OneShot::Awaiting;
        ServerStep::Challenge(self.challenge.clone())
    }

    fn step(&mut self, response: &[u8]) -> ServerStep {
        if self.state != OneShot::Awaiting {
            self.state = OneShot::Done;
            return ServerStep::Failure(ServerFailure::Finished);
        }
        self.state = OneShot::Done;
        self.verify(response)
    }
}

#[derive(Debug)]
enum OAuthServerState {
    Start,
    Awaiting,
    ErrorSent(OAuthError),
    Done,
}

/// Parsed client message of XOAUTH2 / OAUTHBEARER.
struct BearerMessage {
    user: String,
    token: Secret<String>,
}

fn parse_xoauth2(message: &[u8]) -> Result<BearerMessage, ServerFailure> {
    let malformed = ServerFailure::Malformed;
    let body = message.strip_suffix(b"\x01\x01").ok_or(malformed("missing final ^A^A"))?;
    let mut user = None;
    let mut token = None;
    for pair in body.split(|&b| b == 1) {
        if let Some(u) = pair.strip_prefix(b"user=") {
            user = Some(utf8(u)?.to_owned());
        } else if let Some(auth) = pair.strip_prefix(b"auth=") {
            token = Some(bearer_token(auth)?);
        }
    }
    Ok(BearerMessage {
        user: user.ok_or(malformed("missing user="))?,
        token: token.ok_or(malformed("missing auth="))?,
    })
}

/// `Bearer <token>`, the scheme in any case (RFC 6750 / RFC 7628 section 3.1).
fn bearer_token(auth: &[u8]) -> Result<Secret<String>, ServerFailure> {
    let malformed = ServerFailure::Malformed;
    let (scheme, token) = auth.split_at(auth.len().min(7));
    if !scheme.eq_ignore_ascii_case(b"Bearer ") || token.is_empty() {
        return Err(malformed("expected auth=Bearer <token>"));
    }
    Ok(Secret::new(utf8(token)?.to_owned()))
}

fn parse_oauthbearer(message: &[u8]) -> Result<BearerMessage, ServerFailure> {
    let malformed = ServerFailure::Malformed;
    // gs2-header: "n" or "y" (channel binding is not defined for OAUTHBEARER), then authzid.
    let mut parts = message.splitn(3, |&b| b == b',');
    let flag = parts.next().unwrap_or_default();
    let authz = parts.next().ok_or(malformed("missing GS2 header"))?;
    let rest = parts.next().ok_or(malformed("missing GS2 header"))?;
    if flag != b"n" && flag != b"y" {
        return Err(malformed("bad GS2 flag"));
    }
    let user = if authz.is_empty() {
        String::new()
    } else {
        let raw = authz.strip_prefix(b"a=").ok_or(malformed("bad GS2 authzid"))?;
        decode_saslname(raw).ok_or(malformed("bad saslname"))?
    };
    let body = rest
        .strip_prefix(b"\x01")
        .and_then(|r| r.strip_suffix(b"\x01\x01"))
        .ok_or(malformed("bad key-value framing"))?;
    let mut token = None;
    for pair in body.split(|&b| b == 1) {
        let Some(eq) = pair.iter().position(|&b| b == b'=') else {
            return Err(malformed("key without value"));
        };
        let (key, value) = pair.split_at(eq);
        if key.is_empty() || !key.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed("bad key"));
        }
        if key == b"auth" {
            token = Some(bearer_token(value.get(1..).unwrap_or_default())?);
        }
    }
    Ok(BearerMessage { user, token: token.ok_or(malformed("missing auth="))? })
}

/// The server side of XOAUTH2 and OAUTHBEARER: validates the bearer token with the store;
/// on rejection it sends the JSON error as a challenge, waits for the client's
/// acknowledgement and then fails.
pub struct OAuthServer<'a, S: CredentialStore + ?Sized> {
    store: &'a S,
    mechanism: Mechanism,
    state: OAuthServerState,
}

impl<'a, S: CredentialStore + ?Sized> OAuthServer<'a, S> {
    /// An XOAUTH2 server.
    pub fn xoauth2(store: &'a S) -> Self {
        Self { store, mechanism: Mechanism::XOAuth2, state: OAuthServerState::Start }
    }

    /// An OAUTHBEARER server.
    pub fn oauthbearer(store: &'a S) -> Self {
        Self { store, mechanism: Mechanism::OAuthBearer, state: OAuthServerState::Start }
    }

    fn message(&mut self, message: &[u8]) -> ServerStep {
        let parsed = if self.mechanism == Mechanism::XOAuth2 {
            parse_xoauth2(message)
        } else {
            parse_oauthbearer(message)
        };
        let parsed = match parsed {
            Ok(p) => p,
            Err(failure) => {
                self.state = OAuthServerState::Done;
                return ServerStep::Failure(failure);
            }
        };
        match self.store.verify_bearer_token(&parsed.user, &parsed.token) {
            Ok(authenticated) => {
                let authorization_id =
                    if parsed.user.is_empty() { authenticated.clone() } else { parsed.user };
                self.state = OAuthServerState::Done;
                if !self.store.authorize(&authenticated, &authorization_id) {
                    return ServerStep::Failure(ServerFailure::AuthorizationFailed);
                }
                ServerStep::Success {
                    identity: Authenticated { authentication_id: authenticated, authorization_id },
                    additional_data: None,
                }
            }
            Err(error) => {
                let json = error.to_json().into_bytes();
                self.state = OAuthServerState::ErrorSent(error);
                ServerStep::Challenge(json)
            }
        }
    }
}

impl<S: CredentialStore + ?Sized> ServerMechanism for OAuthServer<'_, S> {
    fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        if !matches!(self.state, OAuthServerState::Start) {
            self.state = OAuthServerState::Done;
            return ServerStep::Failure(ServerFailure::Finished);
        }
        if let Some(message) = initial_response {
            self.message(message)
        } else {
            self.state = OAuthServerState::Awaiting;
            ServerStep::Challenge(Vec::new())
        }
    }

    fn step(&mut self, response: &[u8]) -> ServerStep {
        match core::mem::replace(&mut self.state, OAuthServerState::Done) {
            OAuthServerState::Start | OAuthServerState::Awaiting => self.message(response),
            // Whatever the client answers (0x01, empty), the exchange ends in failure.
            OAuthServerState::ErrorSent(error) => ServerStep::Failure(ServerFailure::Token(error)),
            OAuthServerState::Done => ServerStep::Failure(ServerFailure::Finished),
        }
    }
}

/// `EXTERNAL` server: the identity comes from outside SASL through
/// [`CredentialStore::external_identity`].
pub struct ExternalServer<'a, S: CredentialStore + ?Sized> {
    store: &'a S,
    state: OneShot,
}

impl<'a, S: CredentialStore + ?Sized> ExternalServer<'a, S> {
    /// An EXTERNAL server.
    pub fn new(store: &'a S) -> Self {
        Self { store, state: OneShot::Start }
    }
}

fn external_message<S: CredentialStore + ?Sized>(store: &S, message: &[u8]) -> ServerStep {
    let Ok(authzid) = utf8(message) else {
        return ServerStep::Failure(ServerFailure::Malformed("not UTF-8"));
    };
    if authzid.contains('\0') {
        return ServerStep::Failure(ServerFailure::Malformed("NUL in authorization identity"));
    }
    let Some(identity) = store.external_identity(authzid) else {
        return ServerStep::Failure(ServerFailure::AuthenticationFailed);
    };
    let authorization_id = if authzid.is_empty() { identity.clone() } else { authzid.to_owned() };
    if !store.authorize(&identity, &authorization_id) {
        return ServerStep::Failure(ServerFailure::AuthorizationFailed);
    }
    ServerStep::Success {
        identity: Authenticated { authentication_id: identity, authorization_id },
        additional_data: None,
    }
}

impl<S: CredentialStore + ?Sized> ServerMechanism for ExternalServer<'_, S> {
    fn mechanism(&self) -> Mechanism {
        Mechanism::External
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        let store = self.store;
        self.state.start(initial_response, |m| external_message(store, m))
    }

    fn step(&mut self, response: &[u8]) -> ServerStep {
        let store = self.store;
        self.state.step(response, |m| external_message(store, m))
    }
}

/// `ANONYMOUS` server (RFC 4505), allowed or not by [`CredentialStore::allow_anonymous`].
pub struct AnonymousServer<'a, S: CredentialStore + ?Sized> {
    store: &'a S,
    state: OneShot,
}

impl<'a, S: CredentialStore + ?Sized> AnonymousServer<'a, S> {
    /// An ANONYMOUS server.
    pub fn new(store: &'a S) -> Self {
        Self { store, state: OneShot::Start }
    }
}

fn anonymous_message<S: CredentialStore + ?Sized>(store: &S, message: &[u8]) -> ServerStep {
    let Ok(trace) = utf8(message) else {
        return ServerStep::Failure(ServerFailure::Malformed("not UTF-8"));
    };
    if trace.chars().count() > 255 {
        return ServerStep::Failure(ServerFailure::Malformed("trace longer than 255 characters"));
    }
    if !store.allow_anonymous(trace) {
        return ServerStep::Failure(ServerFailure::AuthenticationFailed);
    }
    ServerStep::Success {
        identity: Authenticated {
            authentication_id: String::from("anonymous"),
            authorization_id: String::from("anonymous"),
        },
        additional_data: None,
    }
}

impl<S: CredentialStore + ?Sized> ServerMechanism for AnonymousServer<'_, S> {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Anonymous
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        let store = self.store;
        self.state.start(initial_response, |m| anonymous_message(store, m))
    }

    fn step(&mut self, response: &[u8]) -> ServerStep {
        let store = self.store;
        self.state.step(response, |m| anonymous_message(store, m))
    }
}

crate::server::debug_without_store!(PlainServer);
crate::server::debug_without_store!(LoginServer);
crate::server::debug_without_store!(CramMd5Server);
crate::server::debug_without_store!(OAuthServer);
crate::server::debug_without_store!(ExternalServer);
crate::server::debug_without_store!(AnonymousServer);

/// What a server mechanism needs besides the store, for [`server_mechanism`].
#[derive(Debug, Clone)]
pub struct ServerInputs {
    /// A fresh random nonce (SCRAM server nonce; CRAM-MD5 challenge).
    pub nonce: crate::Nonce,
    /// The server's host name (in the CRAM-MD5 challenge `<nonce@host>`).
    pub hostname: String,
    /// The channel-binding data of this connection, by type; empty without TLS. SCRAM servers
    /// with any reject the `y` flag as a downgrade.
    pub channel_bindings: Vec<(crate::ChannelBindingType, Vec<u8>)>,
}

/// Builds the server side of `mechanism`, for a server that received `AUTH <mechanism>` /
/// `AUTHENTICATE <mechanism>`. (Which mechanisms to advertise is the server's choice; see
/// [`Mechanism::exposes_credentials`] for the ones to keep off unencrypted connections.)
pub fn server_mechanism<'a, S: CredentialStore + Sync + ?Sized>(
    mechanism: Mechanism,
    store: &'a S,
    inputs: ServerInputs,
) -> Box<dyn ServerMechanism + Send + 'a> {
    match mechanism {
        Mechanism::Plain => Box::new(PlainServer::new(store)),
        Mechanism::Login => Box::new(LoginServer::new(store)),
        Mechanism::CramMd5 => Box::new(CramMd5Server::new(
            store,
            format!("<{}@{}>", inputs.nonce.as_str(), inputs.hostname),
        )),
        Mechanism::XOAuth2 => Box::new(OAuthServer::xoauth2(store)),
        Mechanism::OAuthBearer => Box::new(OAuthServer::oauthbearer(store)),
        Mechanism::External => Box::new(ExternalServer::new(store)),
        Mechanism::Anonymous => Box::new(AnonymousServer::new(store)),
        Mechanism::ScramSha1
        | Mechanism::ScramSha1Plus
        | Mechanism::ScramSha256
        | Mechanism::ScramSha256Plus => {
            let (hash, plus) = match mechanism {
                Mechanism::ScramSha1 => (ScramHash::Sha1, false),
                Mechanism::ScramSha1Plus => (ScramHash::Sha1, true),
                Mechanism::ScramSha256 => (ScramHash::Sha256, false),
                _ => (ScramHash::Sha256, true),
            };
            let mut server = crate::ScramServer::new(store, hash, plus, inputs.nonce);
            for (kind, data) in inputs.channel_bindings {
                server = server.with_channel_binding(kind, data);
            }
            Box::new(server)
        }
    }
}
