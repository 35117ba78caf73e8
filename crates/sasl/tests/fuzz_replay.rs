//! Runs the fuzz target bodies on stable: seed inputs made from real exchanges, saved inputs
//! under `fuzz/regressions/sasl_*/` when there are any, and generated inputs.
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    reason = "test code reads its saved inputs; a panic is a failed test"
)]

use std::path::Path;

use mailwire_sasl::fuzzing;
use mailwire_sasl::wire::encode_base64;
use proptest::prelude::*;

type Body = fn(&[u8]);

const TARGETS: [(&str, Body); 10] = [
    ("sasl_plain", fuzzing::server_plain),
    ("sasl_login", fuzzing::server_login),
    ("sasl_cram_md5", fuzzing::server_cram_md5),
    ("sasl_scram", fuzzing::server_scram),
    ("sasl_xoauth2", fuzzing::server_xoauth2),
    ("sasl_oauthbearer", fuzzing::server_oauthbearer),
    ("sasl_external", fuzzing::server_external),
    ("sasl_anonymous", fuzzing::server_anonymous),
    ("sasl_scram_client", fuzzing::client_scram),
    ("sasl_oauth_client", fuzzing::client_oauth),
];

/// Lines as the fuzz bodies read them: an `I` marker for an initial response, then base64
/// client lines separated by `\n`.
fn lines(initial: bool, raw: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![if initial { b'I' } else { b'-' }];
    let encoded: Vec<String> = raw.iter().map(|l| encode_base64(l)).collect();
    out.extend_from_slice(encoded.join("\n").as_bytes());
    out
}

#[test]
fn seeds_reach_success_and_failure() {
    fuzzing::server_plain(&lines(true, &[b"\0user\0pencil", b"after"]));
    fuzzing::server_plain(&lines(false, &[b"", b"\0user\0pencil"]));
    fuzzing::server_plain(&lines(true, &[b"admin\0user\0pencil"]));
    fuzzing::server_login(&lines(false, &[b"user", b"pencil", b"more"]));
    fuzzing::server_login(&lines(true, &[b"user", b"wrong"]));
    fuzzing::server_cram_md5(&lines(false, &[b"user 0123456789abcdef0123456789abcdef"]));
    fuzzing::server_xoauth2(&lines(true, &[b"user=user\x01auth=Bearer token\x01\x01"]));
    fuzzing::server_xoauth2(&lines(true, &[b"user=user\x01auth=Bearer bad\x01\x01", b""]));
    fuzzing::server_oauthbearer(&lines(true, &[b"n,a=user,\x01auth=Bearer token\x01\x01"]));
    fuzzing::server_oauthbearer(&lines(true, &[b"n,,\x01auth=Bearer bad\x01\x01", b"\x01"]));
    fuzzing::server_external(&lines(true, &[b""]));
    fuzzing::server_external(&lines(true, &[b"other"]));
    fuzzing::server_anonymous(&lines(true, &[b"trace"]));
    fuzzing::server_anonymous(&lines(false, &[b"", b"xyz"]));
    for selector in 0..8u8 {
        let mut data = vec![selector];
        data.extend(lines(
            true,
            &[
                b"n,,n=user,r=abcdefgh",
                b"c=biws,r=abcdefghfuzz-server-nonce,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ],
        ));
        fuzzing::server_scram(&data);
        let mut data = vec![selector];
        data.extend(lines(true, &[b"p=tls-exporter,,n=user,r=abcdefgh", b"c=cD10bHMtZXhwb3J0ZXIsLGNi,r=abcdefghfuzz-server-nonce,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA="]));
        fuzzing::server_scram(&data);
        let mut data = vec![selector];
        data.extend_from_slice(b"r=fuzz-client-nonceXYZ,s=c2FsdA==,i=16\nv=AAAA\n");
        fuzzing::client_scram(&data);
    }
    fuzzing::client_oauth(br#"{"status":"invalid_token","scope":"x"}"#);
    fuzzing::client_oauth(b"not json");
}

#[test]
fn saved_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    for (target, body) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else { continue };
        for entry in entries {
            body(&std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
}

fn sasl_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(b'\n'),
            Just(b'='),
            Just(b','),
            Just(0u8),
            Just(1u8),
            Just(b'I'),
            b'A'..=b'z',
            any::<u8>()
        ],
        0..200,
    )
}

proptest! {
    #[test]
    fn server_invariants(data in sasl_bytes()) {
        for (_, body) in TARGETS {
            body(&data);
        }
    }

    #[test]
    fn server_invariants_on_base64_lines(
        initial in any::<bool>(),
        raw in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..60), 0..5),
    ) {
        let refs: Vec<&[u8]> = raw.iter().map(Vec::as_slice).collect();
        let data = lines(initial, &refs);
        for (_, body) in TARGETS {
            body(&data);
        }
    }
}
