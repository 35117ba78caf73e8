//! Malformed and hostile peer messages give typed errors, never panics; secrets never show.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::items_after_statements,
    reason = "test code: a panic is a failed test"
)]

use mailwire_core::Secret;
use mailwire_sasl::wire::encode_base64;
use mailwire_sasl::*;

const PASSWORD: &str = "correct horse battery staple";
const TOKEN: &str = "ya29.very-secret-token";

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_owned())
}

/// A SCRAM-SHA-1 client after its first message (the RFC 5802 nonce and user).
fn scram_client() -> ScramClient {
    let mut c = ScramClient::new(
        ScramHash::Sha1,
        "",
        "user",
        secret("pencil"),
        Nonce::new("fyko+d2lbbFgONRv9qkxdawL").unwrap(),
        ChannelBinding::Unsupported,
    )
    .unwrap();
    c.initial_response().unwrap();
    c
}

const SERVER_FIRST: &[u8] =
    b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";

#[test]
fn scram_server_first_errors() {
    let cases: &[(&[u8], SaslError)] = &[
        (b"", SaslError::Malformed("expected r= first")),
        (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc", SaslError::Malformed("expected s= second")),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92",
            SaslError::Malformed("expected i= third"),
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096,s=QSXCR+Q6sek8bf92",
            SaslError::Malformed("expected s= second"),
        ),
        (
            b"s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096",
            SaslError::Malformed("expected r= first"),
        ),
        (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=,i=4096", SaslError::Malformed("salt is empty")),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=!!!!,i=4096",
            SaslError::Malformed("salt is not base64"),
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=",
            SaslError::Malformed("iteration count is not a number"),
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=-1",
            SaslError::Malformed("iteration count is not a number"),
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=0x10",
            SaslError::Malformed("iteration count is not a number"),
        ),
        // Nonce not extending the client nonce: another nonce, the same nonce, a prefix.
        (b"r=ZZZZ+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096", SaslError::NonceMismatch),
        (b"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", SaslError::NonceMismatch),
        (b"r=fyko+d2lbb,s=QSXCR+Q6sek8bf92,i=4096", SaslError::NonceMismatch),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL\x7f,s=QSXCR+Q6sek8bf92,i=4096",
            SaslError::Malformed("nonce has forbidden characters"),
        ),
        (
            b"m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096",
            SaslError::MandatoryExtension,
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4095",
            SaslError::IterationCount { count: 4095, min: 4096, max: 1_000_000 },
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=1000001",
            SaslError::IterationCount { count: 1_000_001, min: 4096, max: 1_000_000 },
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=99999999999999999999",
            SaslError::IterationCount { count: u32::MAX, min: 4096, max: 1_000_000 },
        ),
        (
            b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=\xff",
            SaslError::Malformed("not UTF-8"),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            scram_client().step(input).unwrap_err(),
            *expected,
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn scram_server_first_extensions_after_i_are_ignored() {
    let mut c = scram_client();
    let mut with_ext = SERVER_FIRST.to_vec();
    with_ext.extend_from_slice(b",x=future");
    assert!(c.step(&with_ext).is_ok());
}

#[test]
fn scram_server_final_errors() {
    let final_of = |msg: &[u8]| {
        let mut c = scram_client();
        c.step(SERVER_FIRST).unwrap();
        c.step(msg).unwrap_err()
    };
    assert_eq!(final_of(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="), SaslError::ServerSignatureMismatch);
    // The right signature of another exchange (RFC 7677's), the right one truncated.
    assert_eq!(
        final_of(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
        SaslError::ServerSignatureMismatch
    );
    assert_eq!(final_of(b"v=rmF9pqV8S7suAoZWja4dJRkF"), SaslError::ServerSignatureMismatch);
    assert_eq!(final_of(b"v=not base64"), SaslError::Malformed("v= is not base64"));
    assert_eq!(final_of(b""), SaslError::Malformed("expected v= or e="));
    assert_eq!(
        final_of(b"x=1,v=rmF9pqV8S7suAoZWja4dJRkFsKQ="),
        SaslError::Malformed("expected v= or e=")
    );
    assert_eq!(final_of(b"e=invalid-proof"), SaslError::ScramServerError("invalid-proof".into()));
    // The server's error text is kept short and printable.
    let long = [b"e=".as_slice(), &[b'\x07'; 5], &[b'a'; 500]].concat();
    assert_eq!(final_of(&long), SaslError::ScramServerError("a".repeat(64)));

    // Success claimed with a wrong signature as additional data.
    let mut c = scram_client();
    c.step(SERVER_FIRST).unwrap();
    assert_eq!(
        c.finish(Some(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
        Err(SaslError::ServerSignatureMismatch)
    );
    // And nothing more is accepted after a failure.
    assert_eq!(c.finish(None), Err(SaslError::Incomplete));
    assert_eq!(
        c.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").unwrap_err(),
        SaslError::UnexpectedChallenge
    );

    // A challenge after the mechanism is done.
    let mut c = scram_client();
    c.step(SERVER_FIRST).unwrap();
    c.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").unwrap();
    assert_eq!(c.step(b"more").unwrap_err(), SaslError::UnexpectedChallenge);
    // After a protocol error, a success is not believed any more.
    assert_eq!(c.finish(None), Err(SaslError::Incomplete));
    let mut c = scram_client();
    c.step(SERVER_FIRST).unwrap();
    c.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").unwrap();
    assert_eq!(c.finish(Some(b"unexpected")), Err(SaslError::UnexpectedAdditionalData));
}

#[test]
fn scram_iteration_limits_are_configurable() {
    let mut c = ScramClient::new(
        ScramHash::Sha1,
        "",
        "user",
        secret("pencil"),
        Nonce::new("fyko+d2lbbFgONRv9qkxdawL").unwrap(),
        ChannelBinding::Unsupported,
    )
    .unwrap()
    .with_config(ScramConfig { min_iterations: 8192, max_iterations: 10_000 });
    c.initial_response();
    assert_eq!(
        c.step(SERVER_FIRST).unwrap_err(),
        SaslError::IterationCount { count: 4096, min: 8192, max: 10_000 }
    );
    // Zero is never an iteration count, whatever the configured minimum.
    let mut c = scram_client().with_config(ScramConfig { min_iterations: 0, max_iterations: 10 });
    assert_eq!(
        c.step(b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=0").unwrap_err(),
        SaslError::IterationCount { count: 0, min: 0, max: 10 }
    );
}

#[test]
fn bad_base64_challenge() {
    let mut c = ClientExchange::new(Box::new(scram_client_fresh()));
    c.initial_response(0, 1000, true).unwrap();
    assert_eq!(c.challenge(b"cj1meWtv!!!").unwrap_err(), SaslError::InvalidBase64);
    let mut c = ClientExchange::new(Box::new(scram_client_fresh())).with_max_line(10);
    c.initial_response(0, 1000, true).unwrap();
    assert_eq!(c.challenge(&[b'A'; 11]).unwrap_err(), SaslError::TooLong { len: 11, limit: 10 });
}

fn scram_client_fresh() -> ScramClient {
    ScramClient::new(
        ScramHash::Sha256,
        "",
        "user",
        secret("pencil"),
        Nonce::new("rOprNGfwEbeRWgbNEkqO").unwrap(),
        ChannelBinding::Unsupported,
    )
    .unwrap()
}

#[test]
fn simple_mechanisms_reject_extra_challenges() {
    let mut c = PlainClient::new("", "u", secret("p")).unwrap();
    c.initial_response();
    assert_eq!(c.step(b"").unwrap_err(), SaslError::UnexpectedChallenge);
    let mut c = CramMd5Client::new("u", secret("p")).unwrap();
    assert_eq!(c.step(b"").unwrap_err(), SaslError::Malformed("CRAM-MD5 challenge is empty"));
    c.step(b"<1.2@host>").unwrap();
    assert_eq!(c.step(b"<1.2@host>").unwrap_err(), SaslError::UnexpectedChallenge);
    let mut c = LoginClient::new("u", secret("p")).unwrap();
    c.step(b"Username:").unwrap();
    c.step(b"Password:").unwrap();
    assert_eq!(c.step(b"Again:").unwrap_err(), SaslError::UnexpectedChallenge);
    c.finish(None).unwrap();
    let mut c = ExternalClient::new("").unwrap();
    c.initial_response();
    assert_eq!(c.step(b"x").unwrap_err(), SaslError::UnexpectedChallenge);
    assert_eq!(c.finish(Some(b"data")), Err(SaslError::UnexpectedAdditionalData));
    let mut c = XOAuth2Client::new("u", secret("t")).unwrap();
    c.initial_response();
    // An error challenge that is not JSON still ends the exchange with an (empty) report.
    let ClientStep::ServerError { error, .. } = c.step(b"garbage").unwrap() else { panic!() };
    assert_eq!(error, OAuthError::default());
    assert_eq!(c.step(b"{}").unwrap_err(), SaslError::UnexpectedChallenge);
}

#[test]
fn scram_server_rejects_malformed_client_messages() {
    struct Store;
    impl CredentialStore for Store {
        fn scram_credentials(&self, authcid: &str, hash: ScramHash) -> Option<ScramCredentials> {
            (authcid == "user")
                .then(|| ScramCredentials::derive(hash, b"pencil", b"saltsalt", 4096))
        }
    }
    let first_failures: &[(&[u8], ServerFailure)] = &[
        (b"", ServerFailure::Malformed("missing GS2 header")),
        (b"n,", ServerFailure::Malformed("missing GS2 header")),
        (b"x,,n=user,r=abc", ServerFailure::Malformed("bad GS2 channel-binding flag")),
        (b"n,b=x,n=user,r=abc", ServerFailure::Malformed("bad GS2 authzid")),
        (b"n,a=x=41,n=user,r=abc", ServerFailure::Malformed("bad saslname")),
        (b"n,,m=ext,n=user,r=abc", ServerFailure::Malformed("unsupported mandatory extension")),
        (b"n,,r=abc,n=user", ServerFailure::Malformed("expected n=")),
        (b"n,,n=,r=abc", ServerFailure::Malformed("empty user name")),
        (b"n,,n=user", ServerFailure::Malformed("expected r=")),
        (b"n,,n=user,r=", ServerFailure::Malformed("bad nonce")),
        (b"n,,n=user,r=a\x01b", ServerFailure::Malformed("bad nonce")),
        (b"n,,n=us\xffer,r=abc", ServerFailure::Malformed("bad saslname")),
    ];
    for (input, failure) in first_failures {
        let mut s =
            ScramServer::new(&Store, ScramHash::Sha1, false, Nonce::new("servernonce").unwrap());
        assert_eq!(s.start(Some(input)), ServerStep::Failure(failure.clone()), "{input:?}");
        assert_eq!(s.step(b"anything"), ServerStep::Failure(ServerFailure::Finished));
    }
    let final_failures: &[(&[u8], ServerFailure)] = &[
        (b"", ServerFailure::Malformed("expected p= last")),
        (b"c=biws,r=abcservernonce", ServerFailure::Malformed("expected p= last")),
        (b"r=abcservernonce,c=biws,p=AAAA", ServerFailure::Malformed("expected c= first")),
        (b"c=biws,p=AAAA", ServerFailure::Malformed("expected r= second")),
        (b"c=!!,r=abcservernonce,p=AAAA", ServerFailure::Malformed("c= is not base64")),
        (b"c=eSws,r=abcservernonce,p=AAAA", ServerFailure::ChannelBinding),
        (b"c=biws,r=abcservernonceX,p=AAAA", ServerFailure::Malformed("nonce does not match")),
        (b"c=biws,r=abcservernonce,p=!!", ServerFailure::Malformed("p= is not base64")),
        (b"c=biws,r=abcservernonce,p=AAAA", ServerFailure::Malformed("proof has the wrong length")),
        (
            b"c=biws,r=abcservernonce,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ServerFailure::AuthenticationFailed,
        ),
    ];
    for (input, failure) in final_failures {
        let mut s =
            ScramServer::new(&Store, ScramHash::Sha1, false, Nonce::new("servernonce").unwrap());
        assert!(matches!(s.start(Some(b"n,,n=user,r=abc")), ServerStep::Challenge(_)));
        assert_eq!(s.step(input), ServerStep::Failure(failure.clone()), "{input:?}");
        assert_eq!(s.step(input), ServerStep::Failure(ServerFailure::Finished));
    }
}

#[test]
fn unknown_scram_user_gets_a_stable_stand_in_salt() {
    struct Empty;
    impl CredentialStore for Empty {}
    let first = |nonce: &str| {
        let mut s = ScramServer::new(&Empty, ScramHash::Sha256, false, Nonce::new(nonce).unwrap());
        let ServerStep::Challenge(c) = s.start(Some(b"n,,n=ghost,r=abcdefgh")) else { panic!() };
        String::from_utf8(c).unwrap()
    };
    let a = first("servernonce1");
    let b = first("servernonce2");
    let salt = |s: &str| s.split(',').nth(1).unwrap().to_owned();
    assert_eq!(salt(&a), salt(&b));
    assert!(a.ends_with(",i=4096"));
}

#[test]
fn other_server_mechanisms_reject_malformed_messages() {
    struct Store;
    impl CredentialStore for Store {
        fn password(&self, authcid: &str) -> Option<Secret<String>> {
            (authcid == "u").then(|| Secret::new("p".into()))
        }
        fn verify_bearer_token(&self, _: &str, _: &Secret<String>) -> Result<String, OAuthError> {
            Ok("u".into())
        }
    }
    let plain: &[&[u8]] = &[b"", b"u\0p", b"\0u\0p\0", b"\0\0p", b"\0u\0", b"\0u\xff\0p"];
    for m in plain {
        assert!(matches!(
            PlainServer::new(&Store).start(Some(m)),
            ServerStep::Failure(ServerFailure::Malformed(_))
        ));
    }
    let cram: &[&[u8]] = &[
        b"",
        b"u",
        b"u 1234",
        b"u b913a602c7eda7a495b4e6e7334d389g",
        b" b913a602c7eda7a495b4e6e7334d3890",
    ];
    for m in cram {
        let mut s = CramMd5Server::new(&Store, "<1@h>");
        s.start(None);
        assert!(matches!(s.step(m), ServerStep::Failure(ServerFailure::Malformed(_))), "{m:?}");
    }
    assert!(matches!(
        CramMd5Server::new(&Store, "<1@h>").start(Some(b"u")),
        ServerStep::Failure(ServerFailure::Malformed(_))
    ));
    let xoauth: &[&[u8]] = &[
        b"",
        b"user=u\x01auth=Bearer t",
        b"user=u\x01\x01",
        b"auth=Bearer t\x01\x01",
        b"user=u\x01auth=Basic t\x01\x01",
        b"user=u\x01auth=Bearer \x01\x01",
    ];
    for m in xoauth {
        assert!(
            matches!(
                OAuthServer::xoauth2(&Store).start(Some(m)),
                ServerStep::Failure(ServerFailure::Malformed(_))
            ),
            "{m:?}"
        );
    }
    let bearer: &[&[u8]] = &[
        b"",
        b"n,,auth=Bearer t\x01\x01",
        b"p=tls-unique,,\x01auth=Bearer t\x01\x01",
        b"n,a=u,\x01host\x01auth=Bearer t\x01\x01",
        b"n,a=u,\x01\x01",
        b"n,a=u=,\x01auth=Bearer t\x01\x01",
        b"n,x=u,\x01auth=Bearer t\x01\x01",
    ];
    for m in bearer {
        assert!(
            matches!(
                OAuthServer::oauthbearer(&Store).start(Some(m)),
                ServerStep::Failure(ServerFailure::Malformed(_))
            ),
            "{m:?}"
        );
    }
    // Tolerated: the scheme name in any case.
    assert!(matches!(
        OAuthServer::xoauth2(&Store).start(Some(b"user=u\x01auth=bearer t\x01\x01")),
        ServerStep::Success { .. }
    ));
    assert!(matches!(
        OAuthServer::oauthbearer(&Store)
            .start(Some(b"n,a=u,\x01host=h\x01port=1\x01auth=BEARER t\x01\x01")),
        ServerStep::Success { .. }
    ));
}

#[test]
fn constructors_refuse_injection() {
    assert_eq!(
        PlainClient::new("", "a\0b", secret("p")).unwrap_err(),
        CredentialError::ForbiddenCharacter("user name")
    );
    assert_eq!(
        PlainClient::new("", "", secret("p")).unwrap_err(),
        CredentialError::Empty("user name")
    );
    assert_eq!(
        PlainClient::new("", "u", secret("")).unwrap_err(),
        CredentialError::Empty("password")
    );
    assert!(LoginClient::new("u\r\nQUIT", secret("p")).is_err());
    assert!(XOAuth2Client::new("u\x01auth=Bearer x", secret("t")).is_err());
    assert!(OAuthBearerClient::new("u", Some("h\x01"), None, secret("t")).is_err());
    assert!(AnonymousClient::new(&"x".repeat(256)).is_err());
    assert!(Nonce::new("short").is_err());
    assert!(Nonce::new("has,comma-in-it").is_err());
    assert!(Nonce::new("has space in it").is_err());
    assert!(Nonce::from_random_bytes(b"12345").is_err());
}

/// Every client mechanism, holding PASSWORD or TOKEN.
fn all_clients() -> Vec<Box<dyn ClientMechanism>> {
    let n = || Nonce::from_random_bytes(b"0123456789ab").unwrap();
    vec![
        Box::new(PlainClient::new("", "u", secret(PASSWORD)).unwrap()),
        Box::new(LoginClient::new("u", secret(PASSWORD)).unwrap()),
        Box::new(CramMd5Client::new("u", secret(PASSWORD)).unwrap()),
        Box::new(
            ScramClient::new(
                ScramHash::Sha256,
                "",
                "u",
                secret(PASSWORD),
                n(),
                ChannelBinding::Unsupported,
            )
            .unwrap(),
        ),
        Box::new(XOAuth2Client::new("u", secret(TOKEN)).unwrap()),
        Box::new(OAuthBearerClient::new("u", None, None, secret(TOKEN)).unwrap()),
    ]
}

fn assert_clean(text: &str) {
    assert!(!text.contains(PASSWORD) && !text.contains(TOKEN), "leaked: {text}");
    assert!(!text.contains(&encode_base64(PASSWORD.as_bytes())), "leaked: {text}");
    assert!(!text.contains("ya29"), "leaked: {text}");
}

#[test]
fn secrets_never_in_debug_or_errors() {
    for mut c in all_clients() {
        assert_clean(&format!("{c:?}"));
        let ir = c.initial_response();
        assert_clean(&format!("{ir:?}"));
        let step = c.step(b"<1.2@host>");
        assert_clean(&format!("{step:?}"));
        if let Err(e) = &step {
            assert_clean(&e.to_string());
        }
        let step = c.step(b"{\"status\":\"401\"}");
        assert_clean(&format!("{step:?} {c:?}"));
        let fin = c.finish(None);
        assert_clean(&format!("{fin:?}"));
    }
    for c in all_clients() {
        let mut e = ClientExchange::new(c);
        let ir = e.initial_response(0, 10_000, true);
        assert_clean(&format!("{ir:?} {e:?}"));
        let r = e.challenge(b"PDEuMkBob3N0Pg==");
        assert_clean(&format!("{r:?} {e:?}"));
    }
    let creds = ScramCredentials::derive(ScramHash::Sha1, PASSWORD.as_bytes(), b"salt", 4096);
    let shown = format!("{creds:?}");
    assert!(shown.contains("redacted"));
    struct Pw;
    impl CredentialStore for Pw {
        fn password(&self, _: &str) -> Option<Secret<String>> {
            Some(Secret::new(PASSWORD.into()))
        }
    }
    let mut s = PlainServer::new(&Pw);
    assert_clean(&format!("{s:?}"));
    let step = s.start(Some(format!("\0u\0{PASSWORD}x").as_bytes()));
    assert_clean(&format!("{step:?}"));
    let mut s =
        ServerExchange::new(Box::new(PlainServer::new(&Pw)), ServerExchangeConfig::default());
    let r = s.start(Some(encode_base64(format!("\0u\0{PASSWORD}").as_bytes()).as_bytes()));
    assert_clean(&format!("{r:?} {s:?}"));
}
