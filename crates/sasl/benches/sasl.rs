//! Criterion benchmarks: a full SCRAM-SHA-256 exchange (client and server, 4096 iterations)
//! head to head with the `scram` crate, and the cheap paths (PLAIN verification through the
//! base64 exchange, the OAuth error object).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "benchmark code"
)]

use std::hint::black_box;
use std::num::NonZeroU32;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire_sasl::wire::encode_base64;
use mailwire_sasl::{
    ChannelBinding, ClientMechanism, ClientStep, CredentialStore, Nonce, OAuthError, PlainServer,
    ScramClient, ScramCredentials, ScramHash, ScramServer, Secret, ServerExchange,
    ServerExchangeConfig, ServerMechanism, ServerReply, ServerStep,
};

const SALT: &[u8] = b"0123456789abcdef";
const ITERATIONS: u32 = 4096;

struct Store(ScramCredentials);

impl CredentialStore for Store {
    fn password(&self, authcid: &str) -> Option<Secret<String>> {
        (authcid == "user").then(|| Secret::new("pencil".into()))
    }

    fn scram_credentials(&self, authcid: &str, _hash: ScramHash) -> Option<ScramCredentials> {
        (authcid == "user").then(|| self.0.clone())
    }
}

fn mailwire_exchange(store: &Store) {
    let mut c = ScramClient::new(
        ScramHash::Sha256,
        "",
        "user",
        Secret::new("pencil".into()),
        Nonce::from_random_bytes(b"client nonce bytes").unwrap(),
        ChannelBinding::Unsupported,
    )
    .unwrap();
    let mut s = ScramServer::new(
        store,
        ScramHash::Sha256,
        false,
        Nonce::from_random_bytes(b"server nonce bytes").unwrap(),
    );
    let first = c.initial_response().unwrap();
    let ServerStep::Challenge(server_first) = s.start(Some(first.expose())) else { panic!() };
    let ClientStep::Response(client_final) = c.step(&server_first).unwrap() else { panic!() };
    let ServerStep::Success { additional_data, .. } = s.step(client_final.expose()) else {
        panic!()
    };
    c.finish(additional_data.as_deref()).unwrap();
}

struct PeerProvider(Vec<u8>);

impl scram::AuthenticationProvider for PeerProvider {
    fn get_password_for(&self, username: &str) -> Option<scram::PasswordInfo> {
        (username == "user").then(|| {
            scram::PasswordInfo::new(
                self.0.clone(),
                u16::try_from(ITERATIONS).unwrap(),
                SALT.to_vec(),
            )
        })
    }
}

fn peer_exchange(provider: &PeerProvider) {
    let server = scram::ScramServer::new(PeerProvider(provider.0.clone()));
    let client = scram::ScramClient::new("user", "pencil", None);
    let (client, client_first) = client.client_first();
    let server = server.handle_client_first(&client_first).unwrap();
    let (server, server_first) = server.server_first();
    let client = client.handle_server_first(&server_first).unwrap();
    let (client, client_final) = client.client_final();
    let server = server.handle_client_final(&client_final).unwrap();
    let (status, server_final) = server.server_final();
    assert_eq!(status, scram::AuthenticationStatus::Authenticated);
    client.handle_server_final(&server_final).unwrap();
}

fn scram_exchange(c: &mut Criterion) {
    let store = Store(ScramCredentials::derive(ScramHash::Sha256, b"pencil", SALT, ITERATIONS));
    let provider = PeerProvider(
        scram::hash_password("pencil", NonZeroU32::new(ITERATIONS).unwrap(), SALT).to_vec(),
    );
    let mut g = c.benchmark_group("scram_sha256_exchange_4096");
    g.throughput(Throughput::Elements(1));
    g.bench_function("mailwire", |b| b.iter(|| mailwire_exchange(black_box(&store))));
    g.bench_function("scram", |b| b.iter(|| peer_exchange(black_box(&provider))));
    g.finish();
}

fn plain_exchange(c: &mut Criterion) {
    let store = Store(ScramCredentials::derive(ScramHash::Sha256, b"pencil", SALT, 1));
    let ir = encode_base64(b"\0user\0pencil");
    let mut g = c.benchmark_group("plain_server_exchange");
    g.throughput(Throughput::Bytes(ir.len() as u64));
    g.bench_function("mailwire", |b| {
        b.iter(|| {
            let mut s = ServerExchange::new(
                Box::new(PlainServer::new(&store)),
                ServerExchangeConfig::default(),
            );
            let reply = s.start(Some(black_box(ir.as_bytes())));
            assert!(matches!(reply, ServerReply::Success { .. }));
        });
    });
    g.finish();
}

fn oauth_json(c: &mut Criterion) {
    let json = br#"{"status":"invalid_token","scope":"https://mail.example.com/ openid","openid-configuration":"https://example.com/.well-known/openid-configuration","extra":{"nested":[1,2,3]}}"#;
    let mut g = c.benchmark_group("oauth_error_json");
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("mailwire", |b| {
        b.iter(|| OAuthError::from_json(black_box(json)).unwrap());
    });
    g.finish();
}

criterion_group!(benches, scram_exchange, plain_exchange, oauth_json);
criterion_main!(benches);
