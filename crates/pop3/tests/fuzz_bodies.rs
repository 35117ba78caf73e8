//! Runs the fuzz target bodies on stable over saved seeds and generated inputs, so a fuzz
//! finding stays fixed without a nightly toolchain.

use mailwire_pop3::fuzzing;
use proptest::prelude::*;

const SEEDS: &[&[u8]] = &[
    b"\x00+OK ready\r\n+OK\r\nTOP\r\nSASL PLAIN\r\n.\r\n+OK\r\n-ERR [IN-USE] x\r\n",
    b"\x05+OK\r\n+OK 2 320\r\n+OK\r\n..\r\n.\r\n+OK\r\n.\r\n+ AQID\r\n",
    b"\x02USER a\r\nPASS b c\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nRSET\r\nQUIT\r\n",
    b"\x07CAPA\r\nSTLS\r\nUSER x\r\n",
    b"\x01AUTH PLAIN\r\nAGEAYg==\r\n*\r\nTOP 1 2\r\nUIDL\r\nNOOP\r\nQUIT\r\n",
    b"\x03+OK hi\r\n+OK\r\nSTLS\r\n.\r\n+OK go\r\n+OK injected\r\n",
];

#[test]
fn seeds() {
    for s in SEEDS {
        fuzzing::command(s);
        fuzzing::response(s);
        fuzzing::client(s);
        fuzzing::server(s);
    }
}

fn wire() -> impl Strategy<Value = Vec<u8>> {
    let tokens = prop_oneof![
        Just(&b"\r\n"[..]),
        Just(&b"."[..]),
        Just(&b"+OK"[..]),
        Just(&b"-ERR"[..]),
        Just(&b" "[..]),
        Just(&b"[IN-USE]"[..]),
        Just(&b"USER a"[..]),
        Just(&b"PASS b"[..]),
        Just(&b"RETR 1"[..]),
        Just(&b"LIST"[..]),
        Just(&b"STLS"[..]),
        Just(&b"AUTH PLAIN"[..]),
        Just(&b"QUIT"[..]),
        Just(&b"\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"x"[..]),
    ];
    (any::<u8>(), proptest::collection::vec(tokens, 0..60)).prop_map(|(seed, parts)| {
        let mut v = vec![seed];
        for p in parts {
            v.extend_from_slice(p);
        }
        v
    })
}

proptest! {
    #[test]
    fn command_invariants(data in wire()) { fuzzing::command(&data); }

    #[test]
    fn response_invariants(data in wire()) { fuzzing::response(&data); }

    #[test]
    fn client_invariants(data in wire()) { fuzzing::client(&data); }

    #[test]
    fn server_invariants(data in wire()) { fuzzing::server(&data); }

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        fuzzing::command(&data);
        fuzzing::response(&data);
        fuzzing::client(&data);
        fuzzing::server(&data);
    }
}
