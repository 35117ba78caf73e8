//! Client against server for every mechanism, through the exchanges (base64 lines), with and
//! without initial responses, with and without success data: success and failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::items_after_statements,
    reason = "test code: a panic is a failed test"
)]

use mailwire_core::Secret;
use mailwire_sasl::*;

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_owned())
}

const SALT: &[u8] = b"NaCl-and-pepper!";

struct Store;

impl CredentialStore for Store {
    fn password(&self, authcid: &str) -> Option<Secret<String>> {
        (authcid == "ann" || authcid == "b,o=b").then(|| secret("s3cret pa\u{df}"))
    }

    fn scram_credentials(&self, authcid: &str, hash: ScramHash) -> Option<ScramCredentials> {
        (authcid == "ann" || authcid == "b,o=b")
            .then(|| ScramCredentials::derive(hash, "s3cret pa\u{df}".as_bytes(), SALT, 4096))
    }

    fn verify_bearer_token(
        &self,
        user: &str,
        token: &Secret<String>,
    ) -> Result<String, OAuthError> {
        if token.expose() == "good-token" && (user.is_empty() || user == "ann") {
            Ok("ann".into())
        } else {
            Err(OAuthError {
                status: Some("invalid_token".into()),
                scope: Some("mail".into()),
                ..OAuthError::default()
            })
        }
    }

    fn external_identity(&self, authzid: &str) -> Option<String> {
        let _ = authzid;
        Some("ann".into())
    }

    fn allow_anonymous(&self, trace: &str) -> bool {
        !trace.contains("spammer")
    }

    fn authorize(&self, authcid: &str, authzid: &str) -> bool {
        authcid == authzid || (authcid == "ann" && authzid == "shared")
    }
}

/// How the protocol carries the exchange.
#[derive(Debug, Clone, Copy)]
struct Profile {
    /// Initial responses allowed (SMTP, POP3, IMAP with SASL-IR).
    initial_response: bool,
    /// The success reply carries additional data (IMAP with RFC 9051 / XMPP style).
    success_data: bool,
}

const PROFILES: [Profile; 4] = [
    Profile { initial_response: true, success_data: false },
    Profile { initial_response: false, success_data: false },
    Profile { initial_response: true, success_data: true },
    Profile { initial_response: false, success_data: true },
];

#[derive(Debug, PartialEq)]
enum Outcome {
    Success(Authenticated),
    ServerFailed(ServerFailure, Option<OAuthError>),
    ClientFailed(SaslError),
}

fn run<'a>(
    client: Box<dyn ClientMechanism>,
    server: Box<dyn ServerMechanism + Send + 'a>,
    profile: Profile,
) -> Outcome {
    let config = ServerExchangeConfig { success_data: profile.success_data, ..Default::default() };
    let mut c = ClientExchange::new(client);
    let mut s = ServerExchange::new(server, config);
    assert_eq!(c.mechanism(), s.mechanism());
    let ir = c.initial_response("AUTH SCRAM-SHA-256-PLUS ".len(), 512, profile.initial_response);
    let mut reply = s.start(ir.as_ref().map(|l| l.expose().as_bytes()));
    let mut reported = None;
    for _ in 0..20 {
        match reply {
            ServerReply::Challenge(line) => match c.challenge(line.as_bytes()) {
                Ok(Reply::Send(answer)) => reply = s.response(answer.expose().as_bytes()),
                Ok(Reply::ServerError { line, error }) => {
                    reported = Some(error);
                    reply = s.response(line.as_bytes());
                }
                Ok(_) => unreachable!(),
                Err(e) => return Outcome::ClientFailed(e),
            },
            ServerReply::Success { identity, additional_data } => {
                return match c.success(additional_data.as_deref().map(str::as_bytes)) {
                    Ok(()) => Outcome::Success(identity),
                    Err(e) => Outcome::ClientFailed(e),
                };
            }
            ServerReply::Failure(f) => return Outcome::ServerFailed(f, reported),
            _ => unreachable!(),
        }
    }
    panic!("exchange did not end");
}

fn ok(user: &str, as_: &str) -> Outcome {
    Outcome::Success(Authenticated { authentication_id: user.into(), authorization_id: as_.into() })
}

fn failed() -> Outcome {
    Outcome::ServerFailed(ServerFailure::AuthenticationFailed, None)
}

fn nonce(s: &[u8]) -> Nonce {
    Nonce::from_random_bytes(s).unwrap()
}

#[test]
fn plain() {
    for p in PROFILES {
        let c = PlainClient::new("", "ann", secret("s3cret pa\u{df}")).unwrap();
        assert_eq!(run(Box::new(c), Box::new(PlainServer::new(&Store)), p), ok("ann", "ann"));
        let c = PlainClient::new("shared", "ann", secret("s3cret pa\u{df}")).unwrap();
        assert_eq!(run(Box::new(c), Box::new(PlainServer::new(&Store)), p), ok("ann", "shared"));
        let c = PlainClient::new("", "ann", secret("wrong")).unwrap();
        assert_eq!(run(Box::new(c), Box::new(PlainServer::new(&Store)), p), failed());
        let c = PlainClient::new("", "nobody", secret("s3cret pa\u{df}")).unwrap();
        assert_eq!(run(Box::new(c), Box::new(PlainServer::new(&Store)), p), failed());
        let c = PlainClient::new("root", "ann", secret("s3cret pa\u{df}")).unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(PlainServer::new(&Store)), p),
            Outcome::ServerFailed(ServerFailure::AuthorizationFailed, None)
        );
    }
}

#[test]
fn login() {
    for p in PROFILES {
        let c = LoginClient::new("ann", secret("s3cret pa\u{df}")).unwrap();
        assert_eq!(run(Box::new(c), Box::new(LoginServer::new(&Store)), p), ok("ann", "ann"));
        let c = LoginClient::new("ann", secret("nope")).unwrap();
        assert_eq!(run(Box::new(c), Box::new(LoginServer::new(&Store)), p), failed());
    }
}

#[test]
fn login_prompts_are_the_usual_ones() {
    let mut s = LoginServer::new(&Store);
    assert_eq!(s.start(None), ServerStep::Challenge(b"Username:".to_vec()));
    assert_eq!(s.step(b"ann"), ServerStep::Challenge(b"Password:".to_vec()));
    // A user name as initial response skips the first prompt.
    let mut s = LoginServer::new(&Store);
    assert_eq!(s.start(Some(b"ann")), ServerStep::Challenge(b"Password:".to_vec()));
}

#[test]
fn cram_md5() {
    for p in PROFILES {
        let chal = "<1896.697170952@postoffice.example.net>";
        let c = CramMd5Client::new("ann", secret("s3cret pa\u{df}")).unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(CramMd5Server::new(&Store, chal)), p),
            ok("ann", "ann")
        );
        let c = CramMd5Client::new("b,o=b", secret("s3cret pa\u{df}")).unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(CramMd5Server::new(&Store, chal)), p),
            ok("b,o=b", "b,o=b")
        );
        let c = CramMd5Client::new("ann", secret("bad")).unwrap();
        assert_eq!(run(Box::new(c), Box::new(CramMd5Server::new(&Store, chal)), p), failed());
    }
}

#[allow(clippy::too_many_arguments, reason = "a table of test parameters")]
fn scram_pair(
    hash: ScramHash,
    authzid: &str,
    user: &str,
    password: &str,
    client_cb: ChannelBinding,
    server_plus: bool,
    server_cb: Option<(ChannelBindingType, &[u8])>,
    p: Profile,
) -> Outcome {
    let c = ScramClient::new(
        hash,
        authzid,
        user,
        secret(password),
        nonce(b"0123456789abcdefgh"),
        client_cb,
    )
    .unwrap();
    let mut s = ScramServer::new(&Store, hash, server_plus, nonce(b"server-side-nonce!"));
    if let Some((kind, data)) = server_cb {
        s = s.with_channel_binding(kind, data.to_vec());
    }
    run(Box::new(c), Box::new(s), p)
}

#[test]
fn scram_without_channel_binding() {
    for hash in [ScramHash::Sha1, ScramHash::Sha256] {
        for p in PROFILES {
            let none = ChannelBinding::Unsupported;
            let pw = "s3cret pa\u{df}";
            assert_eq!(
                scram_pair(hash, "", "ann", pw, none.clone(), false, None, p),
                ok("ann", "ann")
            );
            assert_eq!(
                scram_pair(hash, "shared", "ann", pw, none.clone(), false, None, p),
                ok("ann", "shared")
            );
            // `,` and `=` in names travel as =2C / =3D.
            assert_eq!(
                scram_pair(hash, "", "b,o=b", pw, none.clone(), false, None, p),
                ok("b,o=b", "b,o=b")
            );
            assert_eq!(
                scram_pair(hash, "", "ann", "wrong", none.clone(), false, None, p),
                failed()
            );
            assert_eq!(scram_pair(hash, "", "nobody", pw, none.clone(), false, None, p), failed());
            assert_eq!(
                scram_pair(hash, "root", "ann", pw, none.clone(), false, None, p),
                Outcome::ServerFailed(ServerFailure::AuthorizationFailed, None)
            );
            // `y`: the client could bind but the server did not offer -PLUS; fine for a server
            // without channel binding.
            let y = ChannelBinding::SupportedNotUsed;
            assert_eq!(scram_pair(hash, "", "ann", pw, y, false, None, p), ok("ann", "ann"));
        }
    }
}

#[test]
fn scram_plus() {
    let pw = "s3cret pa\u{df}";
    let data: &[u8] = b"exporter-output-32-bytes........";
    for hash in [ScramHash::Sha1, ScramHash::Sha256] {
        for p in PROFILES {
            for kind in [
                ChannelBindingType::TlsExporter,
                ChannelBindingType::TlsUnique,
                ChannelBindingType::TlsServerEndPoint,
            ] {
                let bound = ChannelBinding::Bound { kind, data: data.to_vec() };
                assert_eq!(
                    scram_pair(hash, "", "ann", pw, bound, true, Some((kind, data)), p),
                    ok("ann", "ann")
                );
            }
            let bound = |d: &[u8]| ChannelBinding::Bound {
                kind: ChannelBindingType::TlsExporter,
                data: d.to_vec(),
            };
            let server = Some((ChannelBindingType::TlsExporter, data));
            // A man in the middle sees other channel-binding data.
            assert_eq!(
                scram_pair(hash, "", "ann", pw, bound(b"other data"), true, server, p),
                Outcome::ServerFailed(ServerFailure::ChannelBinding, None)
            );
            // A type the server does not have.
            let other =
                ChannelBinding::Bound { kind: ChannelBindingType::TlsUnique, data: data.to_vec() };
            assert_eq!(
                scram_pair(hash, "", "ann", pw, other, true, server, p),
                Outcome::ServerFailed(ServerFailure::ChannelBinding, None)
            );
            // Downgrade: `y` sent to a server that supports channel binding.
            assert_eq!(
                scram_pair(hash, "", "ann", pw, ChannelBinding::SupportedNotUsed, false, server, p),
                Outcome::ServerFailed(ServerFailure::ChannelBinding, None)
            );
            // `n` on a -PLUS mechanism, `p=` on a plain one.
            let mut s = ScramServer::new(&Store, hash, true, nonce(b"server-side-nonce!"))
                .with_channel_binding(ChannelBindingType::TlsExporter, data.to_vec());
            assert_eq!(
                s.start(Some(b"n,,n=ann,r=abcdefghijkl")),
                ServerStep::Failure(ServerFailure::ChannelBinding)
            );
            let mut s = ScramServer::new(&Store, hash, false, nonce(b"server-side-nonce!"));
            assert_eq!(
                s.start(Some(b"p=tls-exporter,,n=ann,r=abcdefghijkl")),
                ServerStep::Failure(ServerFailure::ChannelBinding)
            );
        }
    }
}

#[test]
fn scram_mechanism_names() {
    let pw = secret("x");
    let n = || nonce(b"0123456789abcdefgh");
    let c =
        ScramClient::new(ScramHash::Sha256, "", "a", pw.clone(), n(), ChannelBinding::Unsupported)
            .unwrap();
    assert_eq!(c.mechanism(), Mechanism::ScramSha256);
    let b = ChannelBinding::Bound { kind: ChannelBindingType::TlsExporter, data: vec![1] };
    let c = ScramClient::new(ScramHash::Sha1, "", "a", pw, n(), b).unwrap();
    assert_eq!(c.mechanism(), Mechanism::ScramSha1Plus);
    assert_eq!(scram_variant(Mechanism::ScramSha256Plus), Some((ScramHash::Sha256, true)));
    assert_eq!(scram_variant(Mechanism::Plain), None);
}

#[test]
fn oauth() {
    for p in PROFILES {
        let c = XOAuth2Client::new("ann", secret("good-token")).unwrap();
        assert_eq!(run(Box::new(c), Box::new(OAuthServer::xoauth2(&Store)), p), ok("ann", "ann"));
        let c = OAuthBearerClient::new(
            "ann",
            Some("imap.example.com"),
            Some(993),
            secret("good-token"),
        )
        .unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(OAuthServer::oauthbearer(&Store)), p),
            ok("ann", "ann")
        );
        let c = OAuthBearerClient::new("", None, None, secret("good-token")).unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(OAuthServer::oauthbearer(&Store)), p),
            ok("ann", "ann")
        );

        let expected_error = OAuthError {
            status: Some("invalid_token".into()),
            scope: Some("mail".into()),
            ..OAuthError::default()
        };
        let c = XOAuth2Client::new("ann", secret("expired")).unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(OAuthServer::xoauth2(&Store)), p),
            Outcome::ServerFailed(
                ServerFailure::Token(expected_error.clone()),
                Some(expected_error.clone())
            )
        );
        let c = OAuthBearerClient::new("ann", None, None, secret("expired")).unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(OAuthServer::oauthbearer(&Store)), p),
            Outcome::ServerFailed(
                ServerFailure::Token(expected_error.clone()),
                Some(expected_error)
            )
        );
    }
}

#[test]
fn external_and_anonymous() {
    for p in PROFILES {
        let c = ExternalClient::new("").unwrap();
        assert_eq!(run(Box::new(c), Box::new(ExternalServer::new(&Store)), p), ok("ann", "ann"));
        let c = ExternalClient::new("shared").unwrap();
        assert_eq!(run(Box::new(c), Box::new(ExternalServer::new(&Store)), p), ok("ann", "shared"));
        let c = ExternalClient::new("root").unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(ExternalServer::new(&Store)), p),
            Outcome::ServerFailed(ServerFailure::AuthorizationFailed, None)
        );
        let c = AnonymousClient::new("me@example.org").unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(AnonymousServer::new(&Store)), p),
            ok("anonymous", "anonymous")
        );
        let c = AnonymousClient::new("").unwrap();
        assert_eq!(
            run(Box::new(c), Box::new(AnonymousServer::new(&Store)), p),
            ok("anonymous", "anonymous")
        );
        let c = AnonymousClient::new("spammer").unwrap();
        assert_eq!(run(Box::new(c), Box::new(AnonymousServer::new(&Store)), p), failed());
    }
}

#[test]
fn long_initial_response_falls_back_to_empty_challenge() {
    // RFC 4954 section 4: a response that would overflow the 512-octet line goes after an
    // empty 334 instead.
    let token = "t".repeat(600);
    let mut c = ClientExchange::new(Box::new(XOAuth2Client::new("ann", secret(&token)).unwrap()));
    assert!(c.initial_response("AUTH XOAUTH2 ".len(), 512, true).is_none());
    let Reply::Send(line) = c.challenge(b"").unwrap() else { panic!() };
    let decoded = wire::decode_base64(line.expose().as_bytes()).unwrap();
    assert!(decoded.starts_with(b"user=ann\x01auth=Bearer ttt"));
    // Short enough: on the command line.
    let mut c = ClientExchange::new(Box::new(XOAuth2Client::new("ann", secret("abc")).unwrap()));
    assert!(c.initial_response("AUTH XOAUTH2 ".len(), 512, true).is_some());
}

#[test]
fn cancellation_and_limits_on_the_server() {
    let mut s =
        ServerExchange::new(Box::new(LoginServer::new(&Store)), ServerExchangeConfig::default());
    assert_eq!(s.start(None), ServerReply::Challenge("VXNlcm5hbWU6".into()));
    assert_eq!(s.response(b"*"), ServerReply::Failure(ServerFailure::Cancelled));
    assert_eq!(s.response(b"YW5u"), ServerReply::Failure(ServerFailure::Finished));

    let mut s =
        ServerExchange::new(Box::new(PlainServer::new(&Store)), ServerExchangeConfig::default());
    assert_eq!(
        s.start(Some(b"not base64!")),
        ServerReply::Failure(ServerFailure::Malformed("invalid base64"))
    );

    let config = ServerExchangeConfig { max_line: 16, ..Default::default() };
    let mut s = ServerExchange::new(Box::new(PlainServer::new(&Store)), config);
    assert_eq!(s.start(None), ServerReply::Challenge(String::new()));
    assert_eq!(s.response(&[b'A'; 20]), ServerReply::Failure(ServerFailure::TooLong));

    // "=" is the empty initial response: PLAIN then fails as malformed, not as base64.
    let mut s =
        ServerExchange::new(Box::new(PlainServer::new(&Store)), ServerExchangeConfig::default());
    assert_eq!(
        s.start(Some(b"=")),
        ServerReply::Failure(ServerFailure::Malformed("PLAIN needs exactly three fields"))
    );
}

#[test]
fn scram_final_ack_must_be_empty() {
    let c = ScramClient::new(
        ScramHash::Sha256,
        "",
        "ann",
        secret("s3cret pa\u{df}"),
        nonce(b"0123456789ab"),
        ChannelBinding::Unsupported,
    )
    .unwrap();
    let mut c = ClientExchange::new(Box::new(c));
    let s = ScramServer::new(&Store, ScramHash::Sha256, false, nonce(b"server-nonce"));
    let mut s = ServerExchange::new(Box::new(s), ServerExchangeConfig::default());
    let ir = c.initial_response(0, 1000, true).unwrap();
    let ServerReply::Challenge(server_first) = s.start(Some(ir.expose().as_bytes())) else {
        panic!()
    };
    let Reply::Send(client_final) = c.challenge(server_first.as_bytes()).unwrap() else { panic!() };
    let ServerReply::Challenge(server_final) = s.response(client_final.expose().as_bytes()) else {
        panic!()
    };
    assert!(wire::decode_base64(server_final.as_bytes()).unwrap().starts_with(b"v="));
    assert_eq!(
        s.response(b"eA=="),
        ServerReply::Failure(ServerFailure::Malformed("expected an empty response"))
    );
}

#[test]
fn client_rejects_success_too_early() {
    // A server that says "success" without proving itself (SCRAM) or before the mechanism
    // finished is not believed.
    let c = ScramClient::new(
        ScramHash::Sha1,
        "",
        "ann",
        secret("x"),
        nonce(b"0123456789ab"),
        ChannelBinding::Unsupported,
    )
    .unwrap();
    let mut c = ClientExchange::new(Box::new(c));
    c.initial_response(0, 1000, true).unwrap();
    assert_eq!(c.success(None), Err(SaslError::Incomplete));

    let mut c = ClientExchange::new(Box::new(LoginClient::new("ann", secret("x")).unwrap()));
    assert!(c.initial_response(0, 1000, true).is_none());
    c.challenge(b"VXNlcm5hbWU6").unwrap();
    assert_eq!(c.success(None), Err(SaslError::Incomplete));

    // A deferred initial response that was never sent.
    let mut c = ClientExchange::new(Box::new(PlainClient::new("", "ann", secret("x")).unwrap()));
    assert!(c.initial_response(0, 1000, false).is_none());
    assert_eq!(c.success(None), Err(SaslError::Incomplete));
}

#[test]
fn exchanges_are_send() {
    fn is_send<T: Send>() {}
    is_send::<ClientExchange>();
    is_send::<ServerExchange<'static>>();
    is_send::<ScramServer<'static, Store>>();
}

#[test]
fn every_mechanism_through_the_factories() {
    let password = Credentials::password("ann", secret("s3cret pa\u{df}"));
    let token = Credentials::BearerToken {
        user: "ann".into(),
        token: secret("good-token"),
        host: Some("mail.example.com".into()),
        port: Some(465),
    };
    let external = Credentials::External { authzid: String::new() };
    let anonymous = Credentials::Anonymous { trace: "me".into() };
    let data = b"tls-exporter output".to_vec();
    for m in Mechanism::ALL {
        let creds = match m {
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => &token,
            Mechanism::External => &external,
            Mechanism::Anonymous => &anonymous,
            _ => &password,
        };
        let inputs = ServerInputs {
            nonce: nonce(b"server nonce bytes"),
            hostname: "mail.example.com".into(),
            channel_bindings: vec![],
        };
        let server = server_mechanism(m, &Store, inputs);
        assert_eq!(server.mechanism(), m);
        let expected =
            if m == Mechanism::Anonymous { ok("anonymous", "anonymous") } else { ok("ann", "ann") };
        for p in PROFILES {
            let client = creds
                .client(
                    m,
                    Some(ScramInputs {
                        nonce: nonce(b"client nonce bytes"),
                        channel_binding: Some((ChannelBindingType::TlsExporter, data.clone())),
                        server_offers_plus: true,
                    }),
                )
                .unwrap();
            let inputs = ServerInputs {
                nonce: nonce(b"server nonce bytes"),
                hostname: "mail.example.com".into(),
                channel_bindings: vec![(ChannelBindingType::TlsExporter, data.clone())],
            };
            assert_eq!(run(client, server_mechanism(m, &Store, inputs), p), expected, "{m}");
        }
    }
}
