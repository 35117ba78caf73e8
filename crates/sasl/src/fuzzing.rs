//! Fuzz target bodies, in the library so that stable tests can replay saved inputs.
//!
//! Each body feeds a server-side mechanism (through [`crate::ServerExchange`], so base64, `*`
//! and the limits are exercised too) a sequence of client lines taken from the input, split
//! at `\n`. The first line is the initial response when the input starts with `I`. The
//! invariants: the exchange ends within its step limit, nothing after its end resurrects it,
//! and success is only ever granted to the one known user.
#![allow(clippy::panic, reason = "fuzz bodies report a broken invariant by panicking")]

use std::sync::OnceLock;

use mailwire_core::Secret;

use crate::{
    AnonymousServer, Authenticated, ChannelBinding, ChannelBindingType, ClientMechanism,
    ClientStep, CramMd5Server, CredentialStore, ExternalServer, LoginServer, Nonce,
    OAuthBearerClient, OAuthError, OAuthServer, PlainServer, SaslError, ScramClient, ScramConfig,
    ScramCredentials, ScramHash, ScramServer, ServerExchange, ServerExchangeConfig, ServerFailure,
    ServerMechanism, ServerReply, XOAuth2Client,
};

/// The one user the fuzz store knows.
const USER: &str = "user";
const PASSWORD: &str = "pencil";
const TOKEN: &str = "token";

struct FuzzStore;

fn scram_credentials(hash: ScramHash) -> ScramCredentials {
    static SHA1: OnceLock<ScramCredentials> = OnceLock::new();
    static SHA256: OnceLock<ScramCredentials> = OnceLock::new();
    let cell = match hash {
        ScramHash::Sha1 => &SHA1,
        ScramHash::Sha256 => &SHA256,
    };
    cell.get_or_init(|| ScramCredentials::derive(hash, PASSWORD.as_bytes(), b"fuzz salt", 16))
        .clone()
}

impl CredentialStore for FuzzStore {
    fn password(&self, authcid: &str) -> Option<Secret<String>> {
        (authcid == USER).then(|| Secret::new(PASSWORD.into()))
    }

    fn scram_credentials(&self, authcid: &str, hash: ScramHash) -> Option<ScramCredentials> {
        (authcid == USER).then(|| scram_credentials(hash))
    }

    fn verify_bearer_token(
        &self,
        user: &str,
        token: &Secret<String>,
    ) -> Result<String, OAuthError> {
        if token.expose() == TOKEN && (user.is_empty() || user == USER) {
            Ok(USER.into())
        } else {
            Err(OAuthError::invalid_token())
        }
    }

    fn external_identity(&self, _authzid: &str) -> Option<String> {
        Some(USER.into())
    }

    fn allow_anonymous(&self, trace: &str) -> bool {
        !trace.starts_with('x')
    }
}

/// Drives a server exchange with the lines of `data` and checks the invariants.
fn drive(mechanism: Box<dyn ServerMechanism + Send + '_>, data: &[u8], valid_ids: &[&str]) {
    let (with_ir, body) = match data.split_first() {
        Some((b'I', rest)) => (true, rest),
        Some((_, rest)) => (false, rest),
        None => (false, data),
    };
    let config =
        ServerExchangeConfig { success_data: body.len() % 2 == 0, max_steps: 4, max_line: 4096 };
    let mut exchange = ServerExchange::new(mechanism, config);
    let mut lines = body.split(|&b| b == b'\n');
    let mut reply = if with_ir { exchange.start(lines.next()) } else { exchange.start(None) };
    let mut challenges = 0usize;
    let mut ended = false;
    for line in lines {
        match &reply {
            ServerReply::Challenge(c) => {
                challenges += 1;
                assert!(challenges <= config.max_steps, "step limit not enforced");
                assert!(crate::wire::decode_base64(c.as_bytes()).is_ok(), "challenge not base64");
            }
            ServerReply::Success { identity, .. } => {
                check_identity(identity, valid_ids);
                ended = true;
            }
            ServerReply::Failure(_) => ended = true,
        }
        reply = exchange.response(line);
        if ended {
            assert_eq!(reply, ServerReply::Failure(ServerFailure::Finished), "resurrected");
        }
    }
    if let ServerReply::Success { identity, .. } = &reply {
        check_identity(identity, valid_ids);
    }
}

fn check_identity(identity: &Authenticated, valid_ids: &[&str]) {
    assert!(valid_ids.contains(&identity.authentication_id.as_str()), "granted to a stranger");
    // The default authorization rule only lets a user act as itself.
    assert_eq!(identity.authorization_id, identity.authentication_id, "authorization bypassed");
}

/// PLAIN server.
pub fn server_plain(data: &[u8]) {
    drive(Box::new(PlainServer::new(&FuzzStore)), data, &[USER]);
}

/// LOGIN server.
pub fn server_login(data: &[u8]) {
    drive(Box::new(LoginServer::new(&FuzzStore)), data, &[USER]);
}

/// CRAM-MD5 server.
pub fn server_cram_md5(data: &[u8]) {
    drive(Box::new(CramMd5Server::new(&FuzzStore, "<1.2@fuzz>")), data, &[USER]);
}

/// SCRAM servers: the first byte picks SHA-1 / SHA-256, with or without `-PLUS`.
pub fn server_scram(data: &[u8]) {
    let (selector, rest) = data.split_first().map_or((0, data), |(s, r)| (*s, r));
    let hash = if selector & 1 == 0 { ScramHash::Sha1 } else { ScramHash::Sha256 };
    let plus = selector & 2 != 0;
    let Ok(nonce) = Nonce::new("fuzz-server-nonce") else { return };
    let mut server = ScramServer::new(&FuzzStore, hash, plus, nonce);
    if selector & 4 != 0 {
        server = server.with_channel_binding(ChannelBindingType::TlsExporter, b"cb".to_vec());
    }
    drive(Box::new(server), rest, &[USER]);
}

/// XOAUTH2 server.
pub fn server_xoauth2(data: &[u8]) {
    drive(Box::new(OAuthServer::xoauth2(&FuzzStore)), data, &[USER]);
}

/// OAUTHBEARER server.
pub fn server_oauthbearer(data: &[u8]) {
    drive(Box::new(OAuthServer::oauthbearer(&FuzzStore)), data, &[USER]);
}

/// EXTERNAL server.
pub fn server_external(data: &[u8]) {
    drive(Box::new(ExternalServer::new(&FuzzStore)), data, &[USER]);
}

/// ANONYMOUS server.
pub fn server_anonymous(data: &[u8]) {
    drive(Box::new(AnonymousServer::new(&FuzzStore)), data, &["anonymous"]);
}

/// SCRAM client against hostile server messages (raw, one per line). Invariant: the client
/// never accepts success unless a server signature verified.
pub fn client_scram(data: &[u8]) {
    let (selector, rest) = data.split_first().map_or((0, data), |(s, r)| (*s, r));
    let hash = if selector & 1 == 0 { ScramHash::Sha1 } else { ScramHash::Sha256 };
    let binding = if selector & 2 == 0 {
        ChannelBinding::Unsupported
    } else {
        ChannelBinding::Bound { kind: ChannelBindingType::TlsExporter, data: b"cb".to_vec() }
    };
    let Ok(nonce) = Nonce::new("fuzz-client-nonce") else { return };
    let Ok(client) = ScramClient::new(hash, "", USER, Secret::new(PASSWORD.into()), nonce, binding)
    else {
        return;
    };
    // Keep the work per input small: at most 64 iterations.
    let mut client = client.with_config(ScramConfig { min_iterations: 1, max_iterations: 64 });
    let _ = client.initial_response();
    let mut verified = false;
    for line in rest.split(|&b| b == b'\n') {
        match client.step(line) {
            Ok(ClientStep::Response(r)) if line.starts_with(b"v=") => {
                assert!(r.expose().is_empty());
                verified = true;
            }
            Ok(_) => {}
            Err(e) => {
                assert_ne!(e, SaslError::Incomplete);
                break;
            }
        }
    }
    if client.finish(None).is_ok() {
        assert!(verified, "success accepted without a verified server signature");
    }
}

/// OAuth clients against hostile error challenges, and the JSON reader. Invariant: an error
/// challenge is always acknowledged with a response that carries no token.
pub fn client_oauth(data: &[u8]) {
    let clients: [Box<dyn ClientMechanism>; 2] = match (
        XOAuth2Client::new(USER, Secret::new(TOKEN.into())),
        OAuthBearerClient::new(USER, Some("host"), Some(143), Secret::new(TOKEN.into())),
    ) {
        (Ok(a), Ok(b)) => [Box::new(a), Box::new(b)],
        _ => return,
    };
    for mut client in clients {
        let _ = client.initial_response();
        match client.step(data) {
            Ok(ClientStep::ServerError { ack, error }) => {
                assert!(ack.len() <= 1);
                if let Some(parsed) = OAuthError::from_json(data) {
                    assert_eq!(parsed, error);
                    // What we parse, we write back and read again identically.
                    assert_eq!(OAuthError::from_json(parsed.to_json().as_bytes()), Some(parsed));
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
