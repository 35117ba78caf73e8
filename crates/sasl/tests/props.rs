//! Property tests: what a client encodes, the server decodes to the same values, for generated
//! names and passwords; and negotiation feeding [`Credentials::client`].
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::items_after_statements,
    reason = "test code: a panic is a failed test"
)]

use mailwire_core::{Secret, Security};
use mailwire_sasl::{
    Authenticated, ChannelBindingType, ClientExchange, CredentialError, CredentialStore,
    Credentials, Mechanism, NegotiationError, Nonce, OAuthError, Policy, Reply, ScramCredentials,
    ScramHash, ScramInputs, ScramServer, ServerExchange, ServerExchangeConfig, ServerMechanism,
    ServerReply, select_mechanism,
};
use proptest::prelude::*;

/// A store that knows exactly one user, with any name and password.
struct One {
    user: String,
    password: String,
}

impl CredentialStore for One {
    fn password(&self, authcid: &str) -> Option<Secret<String>> {
        (authcid == self.user).then(|| Secret::new(self.password.clone()))
    }

    fn scram_credentials(&self, authcid: &str, hash: ScramHash) -> Option<ScramCredentials> {
        (authcid == self.user)
            .then(|| ScramCredentials::derive(hash, self.password.as_bytes(), b"salty salt", 4096))
    }

    fn verify_bearer_token(
        &self,
        user: &str,
        token: &Secret<String>,
    ) -> Result<String, OAuthError> {
        if user == self.user && *token.expose() == self.password {
            Ok(self.user.clone())
        } else {
            Err(OAuthError::invalid_token())
        }
    }

    fn authorize(&self, authcid: &str, authzid: &str) -> bool {
        authcid == self.user && (authzid == authcid || authzid == "delegate, =x")
    }
}

fn run(
    creds: &Credentials,
    mechanism: Mechanism,
    server: Box<dyn ServerMechanism + Send + '_>,
    scram: Option<ScramInputs>,
) -> Option<Authenticated> {
    let mut c = ClientExchange::new(creds.client(mechanism, scram).unwrap());
    let mut s = ServerExchange::new(server, ServerExchangeConfig::default());
    let ir = c.initial_response(20, 512, true);
    let mut reply = s.start(ir.as_ref().map(|l| l.expose().as_bytes()));
    for _ in 0..8 {
        match reply {
            ServerReply::Challenge(line) => match c.challenge(line.as_bytes()).unwrap() {
                Reply::Send(answer) => reply = s.response(answer.expose().as_bytes()),
                Reply::ServerError { line, .. } => reply = s.response(line.as_bytes()),
                _ => unreachable!(),
            },
            ServerReply::Success { identity, additional_data } => {
                c.success(additional_data.as_deref().map(str::as_bytes)).unwrap();
                return Some(identity);
            }
            ServerReply::Failure(_) => return None,
            _ => unreachable!(),
        }
    }
    panic!("no end");
}

fn scram_inputs() -> ScramInputs {
    ScramInputs {
        nonce: Nonce::from_random_bytes(b"some random bytes").unwrap(),
        channel_binding: None,
        server_offers_plus: false,
    }
}

/// Names and passwords: any text without the separators the mechanisms forbid, with the
/// characters that need escaping in SCRAM made likely.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,=@.\u{e9}\u{4e2d}]{1,24}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_password_mechanism_carries_names_exactly(user in text(), password in text(), delegate in any::<bool>()) {
        let store = One { user: user.clone(), password: password.clone() };
        let authzid = if delegate { "delegate, =x".to_owned() } else { String::new() };
        let expected_authz = if delegate { authzid.clone() } else { user.clone() };
        let creds = Credentials::Password { authzid: authzid.clone(), user: user.clone(), password: Secret::new(password.clone()) };
        let got = run(&creds, Mechanism::Plain, Box::new(mailwire_sasl::PlainServer::new(&store)), None).unwrap();
        prop_assert_eq!(&got.authentication_id, &user);
        prop_assert_eq!(&got.authorization_id, &expected_authz);
        for hash in [ScramHash::Sha1, ScramHash::Sha256] {
            let m = if hash == ScramHash::Sha1 { Mechanism::ScramSha1 } else { Mechanism::ScramSha256 };
            let server = ScramServer::new(&store, hash, false, Nonce::new("server-nonce").unwrap());
            let got = run(&creds, m, Box::new(server), Some(scram_inputs())).unwrap();
            prop_assert_eq!(&got.authentication_id, &user);
            prop_assert_eq!(&got.authorization_id, &expected_authz);
        }
        if !delegate {
            let got = run(&creds, Mechanism::Login, Box::new(mailwire_sasl::LoginServer::new(&store)), None).unwrap();
            prop_assert_eq!(&got.authentication_id, &user);
            let got = run(&creds, Mechanism::CramMd5, Box::new(mailwire_sasl::CramMd5Server::new(&store, "<1@x>")), None).unwrap();
            prop_assert_eq!(&got.authentication_id, &user);
        }
        // A different password never passes.
        let wrong = Credentials::password(&user, Secret::new(format!("{password}!")));
        prop_assert!(run(&wrong, Mechanism::Plain, Box::new(mailwire_sasl::PlainServer::new(&store)), None).is_none());
        let server = ScramServer::new(&store, ScramHash::Sha256, false, Nonce::new("server-nonce").unwrap());
        prop_assert!(run(&wrong, Mechanism::ScramSha256, Box::new(server), Some(scram_inputs())).is_none());
    }

    #[test]
    fn tokens_carry_user_and_token_exactly(user in "[a-zA-Z0-9@.,=]{1,24}", token in "[ -~]{1,40}") {
        let store = One { user: user.clone(), password: token.clone() };
        let creds = Credentials::BearerToken { user: user.clone(), token: Secret::new(token), host: Some("h".into()), port: Some(587) };
        for (m, server) in [
            (Mechanism::XOAuth2, mailwire_sasl::OAuthServer::xoauth2(&store)),
            (Mechanism::OAuthBearer, mailwire_sasl::OAuthServer::oauthbearer(&store)),
        ] {
            let got = run(&creds, m, Box::new(server), None).unwrap();
            prop_assert_eq!(&got.authentication_id, &user);
        }
    }
}

#[test]
fn negotiation_then_credentials() {
    let creds = Credentials::password("ann", Secret::new("pw".into()));
    let server =
        ["PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "XOAUTH2"];
    let cb = Policy { channel_binding: true, ..Policy::default() };
    let m = select_mechanism(server, creds.preferences(), Security::Tls, cb).unwrap();
    assert_eq!(m, Mechanism::ScramSha256Plus);
    let inputs = ScramInputs {
        nonce: Nonce::from_random_bytes(b"random bytes").unwrap(),
        channel_binding: Some((ChannelBindingType::TlsExporter, vec![7; 32])),
        server_offers_plus: mailwire_sasl::server_offers_channel_binding(server),
    };
    let client = creds.client(m, Some(inputs.clone())).unwrap();
    assert_eq!(client.mechanism(), Mechanism::ScramSha256Plus);

    // Without the data, -PLUS is not chosen and cannot be built.
    let m =
        select_mechanism(server, creds.preferences(), Security::Tls, Policy::default()).unwrap();
    assert_eq!(m, Mechanism::ScramSha256);
    let no_cb = ScramInputs { channel_binding: None, ..inputs.clone() };
    assert_eq!(
        creds.client(Mechanism::ScramSha256Plus, Some(no_cb)).unwrap_err(),
        CredentialError::WrongMechanism(Mechanism::ScramSha256Plus)
    );

    // A client with binding data facing a server without -PLUS says `y`.
    let mut c = creds
        .client(
            Mechanism::ScramSha1,
            Some(ScramInputs { server_offers_plus: false, ..inputs.clone() }),
        )
        .unwrap();
    assert!(c.initial_response().unwrap().expose().starts_with(b"y,,"));
    let mut c = creds.client(Mechanism::ScramSha1, Some(inputs)).unwrap();
    assert!(c.initial_response().unwrap().expose().starts_with(b"n,,"));

    // Over plaintext only the mechanisms that do not expose the password.
    assert_eq!(
        select_mechanism(
            ["PLAIN", "LOGIN"],
            creds.preferences(),
            Security::Plaintext,
            Policy::default()
        ),
        Err(NegotiationError::EncryptionRequired)
    );

    // Mismatched credentials and mechanisms.
    let token = Credentials::BearerToken {
        user: "ann".into(),
        token: Secret::new("t".into()),
        host: None,
        port: None,
    };
    assert!(token.client(Mechanism::Plain, None).is_err());
    assert!(creds.client(Mechanism::XOAuth2, None).is_err());
    assert!(creds.client(Mechanism::ScramSha1, None).is_err());
    assert_eq!(token.preferences(), &Mechanism::TOKEN_PREFERENCE);
    let ext = Credentials::External { authzid: String::new() };
    assert_eq!(ext.client(Mechanism::External, None).unwrap().mechanism(), Mechanism::External);
    let anon = Credentials::Anonymous { trace: "x".into() };
    assert_eq!(anon.client(Mechanism::Anonymous, None).unwrap().mechanism(), Mechanism::Anonymous);
}
