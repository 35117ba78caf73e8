//! SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), with and without `-PLUS` channel
//! binding, client and server side.

use core::fmt;
use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mailwire_core::Secret;

use crate::client::{ClientMechanism, ClientStep, encode_saslname};
use crate::crypto::{ScramHash, ct_eq};
use crate::server::{Authenticated, CredentialStore, ServerFailure, ServerMechanism, ServerStep};
use crate::wire::decode_base64;
use crate::{CredentialError, Mechanism, SaslError};

/// A SCRAM nonce: printable ASCII without `,`, at least 8 characters.
///
/// Nonces must be unpredictable. This crate draws no randomness: the caller supplies random
/// bytes ([`Nonce::from_random_bytes`], 18 or more recommended) or a ready string
/// ([`Nonce::new`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    /// A nonce made of random bytes, base64-encoded (at least 6 bytes).
    pub fn from_random_bytes(bytes: &[u8]) -> Result<Self, CredentialError> {
        if bytes.len() < 6 {
            return Err(CredentialError::InvalidNonce);
        }
        Ok(Self(STANDARD.encode(bytes)))
    }

    /// A nonce from a string of at least 8 printable ASCII characters other than `,`.
    pub fn new(nonce: &str) -> Result<Self, CredentialError> {
        if nonce.len() < 8 || !nonce.bytes().all(is_nonce_char) {
            return Err(CredentialError::InvalidNonce);
        }
        Ok(Self(nonce.into()))
    }

    /// The nonce as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nonce(..)")
    }
}

const fn is_nonce_char(b: u8) -> bool {
    matches!(b, 0x21..=0x2b | 0x2d..=0x7e)
}

/// The kind of channel-binding data (RFC 5929, RFC 9266).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelBindingType {
    /// `tls-unique`: the first Finished message of the handshake (TLS 1.2 and earlier).
    TlsUnique,
    /// `tls-exporter`: the TLS exporter value of RFC 9266 (TLS 1.3).
    TlsExporter,
    /// `tls-server-end-point`: a hash of the server's certificate.
    TlsServerEndPoint,
}

impl ChannelBindingType {
    /// The registered name sent in the GS2 header.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TlsUnique => "tls-unique",
            Self::TlsExporter => "tls-exporter",
            Self::TlsServerEndPoint => "tls-server-end-point",
        }
    }

    fn from_name(name: &[u8]) -> Option<Self> {
        [Self::TlsUnique, Self::TlsExporter, Self::TlsServerEndPoint]
            .into_iter()
            .find(|t| t.name().as_bytes() == name)
    }
}

/// What a SCRAM client says about channel binding (the GS2 flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelBinding {
    /// `n`: the client does not support channel binding.
    Unsupported,
    /// `y`: the client supports channel binding but the server did not advertise a `-PLUS`
    /// mechanism. A server that does support it then knows a downgrade happened.
    SupportedNotUsed,
    /// `p=`: the client binds the exchange to the TLS channel (the `-PLUS` mechanisms). The
    /// data comes from the TLS layer.
    Bound {
        /// Which channel-binding type.
        kind: ChannelBindingType,
        /// The channel-binding data.
        data: Vec<u8>,
    },
}

/// Limits a SCRAM client applies to the server's iteration count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScramConfig {
    /// The least iteration count accepted (default 4096, RFC 5802 section 5.1 / RFC 7677
    /// section 4). A lower count lets an attacker who sees the exchange guess faster.
    pub min_iterations: u32,
    /// The greatest iteration count computed (default 1,000,000), so that a hostile server
    /// cannot make the client hash for minutes.
    pub max_iterations: u32,
}

impl Default for ScramConfig {
    fn default() -> Self {
        Self { min_iterations: 4096, max_iterations: 1_000_000 }
    }
}

/// What a server stores for a SCRAM user instead of the password (RFC 5802 section 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    /// The salt.
    pub salt: Vec<u8>,
    /// The iteration count.
    pub iterations: u32,
    /// `StoredKey = H(ClientKey)`.
    pub stored_key: Secret<Vec<u8>>,
    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Secret<Vec<u8>>,
}

impl ScramCredentials {
    /// Derives the stored keys from a password (for enrolment: store the result, not the
    /// password), after `SASLprep` as the SCRAM client applies it.
    pub fn from_password(hash: ScramHash, password: &str, salt: &[u8], iterations: u32) -> Self {
        Self::derive(hash, normalize(password).as_bytes(), salt, iterations)
    }

    /// Derives the stored keys from password bytes used as they are (no `SASLprep`).
    pub fn derive(hash: ScramHash, password: &[u8], salt: &[u8], iterations: u32) -> Self {
        let keys = Keys::derive(hash, password, salt, iterations.max(1));
        Self {
            salt: salt.to_vec(),
            iterations: iterations.max(1),
            stored_key: Secret::new(keys.stored_key),
            server_key: Secret::new(keys.server_key),
        }
    }
}

#[allow(clippy::struct_field_names, reason = "the RFC's names")]
struct Keys {
    client_key: Vec<u8>,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl Keys {
    fn derive(hash: ScramHash, password: &[u8], salt: &[u8], iterations: u32) -> Self {
        let salted = hash.hi(password, salt, iterations);
        let client_key = hash.hmac(&salted, &[b"Client Key"]);
        let stored_key = hash.hash(&client_key);
        let server_key = hash.hmac(&salted, &[b"Server Key"]);
        Self { client_key, stored_key, server_key }
    }
}

/// `Normalize(str)` of RFC 5802 section 2.2: `SASLprep` (RFC 4013). A string that `SASLprep`
/// refuses (control characters, unassigned code points) is used unchanged, so that a password
/// set without preparation still works (docs/quirks/sasl.md).
fn normalize(s: &str) -> Cow<'_, str> {
    if s.is_ascii() && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        // Printable ASCII is unchanged by SASLprep.
        return Cow::Borrowed(s);
    }
    stringprep::saslprep(s).unwrap_or(Cow::Borrowed(s))
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// Decodes a GS2 `saslname` (`=2C` is `,` and `=3D` is `=`; any other `=` is an error).
pub(crate) fn decode_saslname(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = raw.iter().copied();
    while let Some(b) = i.next() {
        match b {
            b'=' => match (i.next(), i.next()) {
                (Some(b'2'), Some(b'C' | b'c')) => out.push(b','),
                (Some(b'3'), Some(b'D' | b'd')) => out.push(b'='),
                _ => return None,
            },
            b',' | 0 => return None,
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// Splits `k=value` and checks the key.
fn attribute(part: &[u8], key: u8) -> Option<&[u8]> {
    match part {
        [k, b'=', value @ ..] if *k == key => Some(value),
        _ => None,
    }
}

/// Keeps printable ASCII of a server's error value, at most 64 characters.
fn sanitize(value: &[u8]) -> String {
    value.iter().filter(|b| (0x20..0x7f).contains(*b)).take(64).map(|&b| char::from(b)).collect()
}

const fn mechanism_of(hash: ScramHash, plus: bool) -> Mechanism {
    match (hash, plus) {
        (ScramHash::Sha1, false) => Mechanism::ScramSha1,
        (ScramHash::Sha1, true) => Mechanism::ScramSha1Plus,
        (ScramHash::Sha256, false) => Mechanism::ScramSha256,
        (ScramHash::Sha256, true) => Mechanism::ScramSha256Plus,
    }
}

/// The hash and `-PLUS` flag of a SCRAM mechanism, or `None` for other mechanisms.
pub const fn scram_variant(mechanism: Mechanism) -> Option<(ScramHash, bool)> {
    match mechanism {
        Mechanism::ScramSha1 => Some((ScramHash::Sha1, false)),
        Mechanism::ScramSha1Plus => Some((ScramHash::Sha1, true)),
        Mechanism::ScramSha256 => Some((ScramHash::Sha256, false)),
        Mechanism::ScramSha256Plus => Some((ScramHash::Sha256, true)),
        _ => None,
    }
}

#[derive(Debug)]
enum ClientState {
    Start,
    SentFirst { client_first_bare: String },
    SentFinal { server_signature: Secret<Vec<u8>> },
    Verified,
    Failed,
}

/// A SCRAM client. It checks that the server nonce extends its own, bounds the iteration
/// count, and verifies the server signature: [`ClientMechanism::finish`] fails unless the
/// server proved that it knows the password.
#[derive(Debug)]
pub struct ScramClient {
    hash: ScramHash,
    gs2_header: String,
    cbind_data: Vec<u8>,
    plus: bool,
    user: String,
    password: Secret<String>,
    nonce: Nonce,
    config: ScramConfig,
    state: ClientState,
}

impl ScramClient {
    /// A SCRAM client for `user` (acting as `authzid` if not empty). The mechanism is the
    /// `-PLUS` variant when `binding` is [`ChannelBinding::Bound`].
    ///
    /// The user name and the password are prepared with `SASLprep` (RFC 4013) as RFC 5802
    /// section 2.2 asks; a string `SASLprep` refuses is used unchanged.
    pub fn new(
        hash: ScramHash,
        authzid: &str,
        user: &str,
        password: Secret<String>,
        nonce: Nonce,
        binding: ChannelBinding,
    ) -> Result<Self, CredentialError> {
        if user.is_empty() {
            return Err(CredentialError::Empty("user name"));
        }
        for (field, value) in [("user name", user), ("authorization identity", authzid)] {
            if value.bytes().any(|b| b == 0) {
                return Err(CredentialError::ForbiddenCharacter(field));
            }
        }
        let (flag, cbind_data, plus) = match binding {
            ChannelBinding::Unsupported => (String::from("n"), Vec::new(), false),
            ChannelBinding::SupportedNotUsed => (String::from("y"), Vec::new(), false),
            ChannelBinding::Bound { kind, data } => (format!("p={}", kind.name()), data, true),
        };
        let authz = if authzid.is_empty() {
            String::new()
        } else {
            format!("a={}", encode_saslname(authzid))
        };
        Ok(Self {
            hash,
            gs2_header: format!("{flag},{authz},"),
            cbind_data,
            plus,
            user: encode_saslname(&normalize(user)),
            password,
            nonce,
            config: ScramConfig::default(),
            state: ClientState::Start,
        })
    }

    /// Replaces the iteration-count limits.
    #[must_use]
    pub fn with_config(mut self, config: ScramConfig) -> Self {
        self.config = config;
        self
    }

    fn client_first(&mut self) -> Secret<Vec<u8>> {
        let bare = format!("n={},r={}", self.user, self.nonce.as_str());
        let message = format!("{}{}", self.gs2_header, bare);
        self.state = ClientState::SentFirst { client_first_bare: bare };
        Secret::new(message.into_bytes())
    }

    fn client_final(
        &self,
        client_first_bare: &str,
        server_first: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), SaslError> {
        let server_first_str =
            core::str::from_utf8(server_first).map_err(|_| SaslError::Malformed("not UTF-8"))?;
        let mut parts = server_first.split(|&b| b == b',');
        let first = parts.next().unwrap_or_default();
        if attribute(first, b'm').is_some() {
            return Err(SaslError::MandatoryExtension);
        }
        let nonce = attribute(first, b'r').ok_or(SaslError::Malformed("expected r= first"))?;
        let salt = parts
            .next()
            .and_then(|p| attribute(p, b's'))
            .ok_or(SaslError::Malformed("expected s= second"))?;
        let iterations = parts
            .next()
            .and_then(|p| attribute(p, b'i'))
            .ok_or(SaslError::Malformed("expected i= third"))?;
        let own = self.nonce.as_str().as_bytes();
        if !nonce.starts_with(own) || nonce.len() == own.len() {
            return Err(SaslError::NonceMismatch);
        }
        if !nonce.iter().all(|&b| is_nonce_char(b)) {
            return Err(SaslError::Malformed("nonce has forbidden characters"));
        }
        let salt = decode_base64(salt).map_err(|_| SaslError::Malformed("salt is not base64"))?;
        if salt.is_empty() {
            return Err(SaslError::Malformed("salt is empty"));
        }
        if iterations.is_empty() || !iterations.iter().all(u8::is_ascii_digit) {
            return Err(SaslError::Malformed("iteration count is not a number"));
        }
        let count = iterations
            .iter()
            .try_fold(0u32, |acc, d| acc.checked_mul(10)?.checked_add(u32::from(d - b'0')))
            .unwrap_or(u32::MAX);
        if count == 0 || count < self.config.min_iterations || count > self.config.max_iterations {
            return Err(SaslError::IterationCount {
                count,
                min: self.config.min_iterations,
                max: self.config.max_iterations,
            });
        }
        let mut cbind_input = self.gs2_header.as_bytes().to_vec();
        cbind_input.extend_from_slice(&self.cbind_data);
        let nonce_str = String::from_utf8_lossy(nonce);
        let without_proof = format!("c={},r={}", STANDARD.encode(&cbind_input), nonce_str);
        let auth_message = format!("{client_first_bare},{server_first_str},{without_proof}");
        let password = normalize(self.password.expose());
        let keys = Keys::derive(self.hash, password.as_bytes(), &salt, count);
        let client_signature = self.hash.hmac(&keys.stored_key, &[auth_message.as_bytes()]);
        let proof = xor(&keys.client_key, &client_signature);
        let server_signature = self.hash.hmac(&keys.server_key, &[auth_message.as_bytes()]);
        let message = format!("{without_proof},p={}", STANDARD.encode(proof));
        Ok((message.into_bytes(), server_signature))
    }

    fn verify(server_final: &[u8], expected: &[u8]) -> Result<(), SaslError> {
        let first = server_final.split(|&b| b == b',').next().unwrap_or_default();
        if let Some(error) = attribute(first, b'e') {
            return Err(SaslError::ScramServerError(sanitize(error)));
        }
        let verifier = attribute(first, b'v').ok_or(SaslError::Malformed("expected v= or e="))?;
        let signature =
            decode_base64(verifier).map_err(|_| SaslError::Malformed("v= is not base64"))?;
        if ct_eq(&signature, expected) { Ok(()) } else { Err(SaslError::ServerSignatureMismatch) }
    }
}

impl ClientMechanism for ScramClient {
    fn mechanism(&self) -> Mechanism {
        mechanism_of(self.hash, self.plus)
    }

    fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        Some(self.client_first())
    }

    fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, SaslError> {
        let state = core::mem::replace(&mut self.state, ClientState::Failed);
        match state {
            ClientState::Start => Ok(ClientStep::Response(self.client_first())),
            ClientState::SentFirst { client_first_bare } => {
                let (message, server_signature) =
                    self.client_final(&client_first_bare, challenge)?;
                self.state =
                    ClientState::SentFinal { server_signature: Secret::new(server_signature) };
                Ok(ClientStep::Response(Secret::new(message)))
            }
            ClientState::SentFinal { server_signature } => {
                Self::verify(challenge, server_signature.expose())?;
                self.state = ClientState::Verified;
                Ok(ClientStep::Response(Secret::new(Vec::new())))
            }
            ClientState::Verified | ClientState::Failed => Err(SaslError::UnexpectedChallenge),
        }
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), SaslError> {
        let state = core::mem::replace(&mut self.state, ClientState::Failed);
        match (state, additional_data) {
            (ClientState::SentFinal { server_signature }, Some(data)) => {
                Self::verify(data, server_signature.expose())?;
                self.state = ClientState::Verified;
                Ok(())
            }
            (ClientState::Verified, None | Some([])) => {
                self.state = ClientState::Verified;
                Ok(())
            }
            (ClientState::Verified, Some(_)) => Err(SaslError::UnexpectedAdditionalData),
            _ => Err(SaslError::Incomplete),
        }
    }
}

#[derive(Debug)]
enum ServerState {
    Start,
    AwaitFirst,
    SentFirst(Box<Pending>),
    Done,
}

#[derive(Debug)]
struct Pending {
    gs2_cbind: Vec<u8>,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    credentials: ScramCredentials,
    known_user: bool,
    authcid: String,
    authzid: String,
}

/// A SCRAM server. It needs only the stored keys ([`ScramCredentials`]) of a user, never the
/// password. Unknown users get a deterministic stand-in salt and fail at the last step, as
/// RFC 5802 section 9 suggests, so that the exchange does not reveal which users exist.
pub struct ScramServer<'a, S: CredentialStore + ?Sized> {
    store: &'a S,
    hash: ScramHash,
    plus: bool,
    nonce: Nonce,
    bindings: Vec<(ChannelBindingType, Vec<u8>)>,
    state: ServerState,
}

impl<'a, S: CredentialStore + ?Sized> ScramServer<'a, S> {
    /// A server for the SCRAM variant `hash` (`plus`: the `-PLUS` mechanism), looking users up
    /// in `store`, with a fresh random `nonce`.
    pub fn new(store: &'a S, hash: ScramHash, plus: bool, nonce: Nonce) -> Self {
        Self { store, hash, plus, nonce, bindings: Vec::new(), state: ServerState::Start }
    }

    /// Adds the channel-binding data of this connection for one type. A server that has any
    /// advertises the `-PLUS` mechanisms, and so rejects a client's `y` flag as a downgrade.
    #[must_use]
    pub fn with_channel_binding(mut self, kind: ChannelBindingType, data: Vec<u8>) -> Self {
        self.bindings.push((kind, data));
        self
    }

    fn fail(&mut self, failure: ServerFailure) -> ServerStep {
        self.state = ServerState::Done;
        ServerStep::Failure(failure)
    }

    fn client_first(&mut self, message: &[u8]) -> ServerStep {
        match self.parse_client_first(message) {
            Ok(pending) => {
                let challenge = pending.server_first.clone().into_bytes();
                self.state = ServerState::SentFirst(Box::new(pending));
                ServerStep::Challenge(challenge)
            }
            Err(failure) => self.fail(failure),
        }
    }

    fn parse_client_first(&self, message: &[u8]) -> Result<Pending, ServerFailure> {
        let malformed = ServerFailure::Malformed;
        // gs2-header: flag "," [authzid] ","
        let mut parts = message.splitn(3, |&b| b == b',');
        let flag = parts.next().unwrap_or_default();
        let authz = parts.next().ok_or(malformed("missing GS2 header"))?;
        let bare = parts.next().ok_or(malformed("missing GS2 header"))?;
        let gs2_len = flag.len() + authz.len() + 2;
        let gs2_header = message.get(..gs2_len).ok_or(malformed("missing GS2 header"))?;
        let cbind_data = match flag {
            b"n" if self.plus => return Err(ServerFailure::ChannelBinding),
            b"y" if self.plus || !self.bindings.is_empty() => {
                return Err(ServerFailure::ChannelBinding);
            }
            b"n" | b"y" => Vec::new(),
            [b'p', b'=', name @ ..] => {
                if !self.plus {
                    return Err(ServerFailure::ChannelBinding);
                }
                let kind =
                    ChannelBindingType::from_name(name).ok_or(ServerFailure::ChannelBinding)?;
                self.bindings
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, data)| data.clone())
                    .ok_or(ServerFailure::ChannelBinding)?
            }
            _ => return Err(malformed("bad GS2 channel-binding flag")),
        };
        let authzid = if authz.is_empty() {
            String::new()
        } else {
            let name = attribute(authz, b'a').ok_or(malformed("bad GS2 authzid"))?;
            decode_saslname(name).ok_or(malformed("bad saslname"))?
        };
        let mut attrs = bare.split(|&b| b == b',');
        let first = attrs.next().unwrap_or_default();
        if attribute(first, b'm').is_some() {
            return Err(malformed("unsupported mandatory extension"));
        }
        let user = attribute(first, b'n').ok_or(malformed("expected n="))?;
        let authcid = decode_saslname(user).ok_or(malformed("bad saslname"))?;
        if authcid.is_empty() {
            return Err(malformed("empty user name"));
        }
        let client_nonce =
            attrs.next().and_then(|p| attribute(p, b'r')).ok_or(malformed("expected r="))?;
        if client_nonce.is_empty() || !client_nonce.iter().all(|&b| is_nonce_char(b)) {
            return Err(malformed("bad nonce"));
        }
        let client_first_bare =
            String::from_utf8(bare.to_vec()).map_err(|_| malformed("not UTF-8"))?;
        let (credentials, known_user) = match self.store.scram_credentials(&authcid, self.hash) {
            Some(c) => (c, true),
            None => (self.stand_in(&authcid), false),
        };
        let nonce = format!("{}{}", String::from_utf8_lossy(client_nonce), self.nonce.as_str());
        let server_first = format!(
            "r={nonce},s={},i={}",
            STANDARD.encode(&credentials.salt),
            credentials.iterations
        );
        let mut gs2_cbind = gs2_header.to_vec();
        gs2_cbind.extend_from_slice(&cbind_data);
        Ok(Pending {
            gs2_cbind,
            client_first_bare,
            server_first,
            nonce,
            credentials,
            known_user,
            authcid,
            authzid,
        })
    }

    fn stand_in(&self, authcid: &str) -> ScramCredentials {
        let mut salt = self.hash.hash(format!("mailwire unknown user {authcid}").as_bytes());
        salt.truncate(16);
        let zero = vec![0; self.hash.output_len()];
        ScramCredentials {
            salt,
            iterations: 4096,
            stored_key: Secret::new(zero.clone()),
            server_key: Secret::new(zero),
        }
    }

    fn client_final(&self, p: &Pending, message: &[u8]) -> Result<ServerStep, ServerFailure> {
        let malformed = ServerFailure::Malformed;
        let proof_at =
            message.windows(3).rposition(|w| w == b",p=").ok_or(malformed("expected p= last"))?;
        let without_proof = message.get(..proof_at).ok_or(malformed("expected p= last"))?;
        let proof = message.get(proof_at + 3..).ok_or(malformed("expected p= last"))?;
        let mut attrs = without_proof.split(|&b| b == b',');
        let cbind =
            attrs.next().and_then(|a| attribute(a, b'c')).ok_or(malformed("expected c= first"))?;
        let nonce =
            attrs.next().and_then(|a| attribute(a, b'r')).ok_or(malformed("expected r= second"))?;
        let cbind = decode_base64(cbind).map_err(|_| malformed("c= is not base64"))?;
        if !ct_eq(&cbind, &p.gs2_cbind) {
            return Err(ServerFailure::ChannelBinding);
        }
        if nonce != p.nonce.as_bytes() {
            return Err(malformed("nonce does not match"));
        }
        let proof = decode_base64(proof).map_err(|_| malformed("p= is not base64"))?;
        if proof.len() != self.hash.output_len() {
            return Err(malformed("proof has the wrong length"));
        }
        let without_proof =
            core::str::from_utf8(without_proof).map_err(|_| malformed("not UTF-8"))?;
        let auth_message = format!("{},{},{}", p.client_first_bare, p.server_first, without_proof);
        let stored_key = p.credentials.stored_key.expose();
        let client_signature = self.hash.hmac(stored_key, &[auth_message.as_bytes()]);
        let client_key = xor(&proof, &client_signature);
        if !p.known_user || !ct_eq(&self.hash.hash(&client_key), stored_key) {
            return Err(ServerFailure::AuthenticationFailed);
        }
        let authorization_id =
            if p.authzid.is_empty() { p.authcid.clone() } else { p.authzid.clone() };
        if !self.store.authorize(&p.authcid, &authorization_id) {
            return Err(ServerFailure::AuthorizationFailed);
        }
        let signature =
            self.hash.hmac(p.credentials.server_key.expose(), &[auth_message.as_bytes()]);
        Ok(ServerStep::Success {
            identity: Authenticated { authentication_id: p.authcid.clone(), authorization_id },
            additional_data: Some(format!("v={}", STANDARD.encode(signature)).into_bytes()),
        })
    }
}

impl<S: CredentialStore + ?Sized> ServerMechanism for ScramServer<'_, S> {
    fn mechanism(&self) -> Mechanism {
        mechanism_of(self.hash, self.plus)
    }

    fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        if !matches!(self.state, ServerState::Start) {
            return self.fail(ServerFailure::Finished);
        }
        if let Some(message) = initial_response {
            self.client_first(message)
        } else {
            self.state = ServerState::AwaitFirst;
            ServerStep::Challenge(Vec::new())
        }
    }

    fn step(&mut self, response: &[u8]) -> ServerStep {
        match core::mem::replace(&mut self.state, ServerState::Done) {
            ServerState::Start | ServerState::AwaitFirst => self.client_first(response),
            ServerState::SentFirst(pending) => match self.client_final(&pending, response) {
                Ok(step) => step,
                Err(failure) => ServerStep::Failure(failure),
            },
            ServerState::Done => ServerStep::Failure(ServerFailure::Finished),
        }
    }
}

crate::server::debug_without_store!(ScramServer);
