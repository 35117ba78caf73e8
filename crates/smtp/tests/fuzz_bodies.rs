//! Runs the fuzz target bodies on stable, over hand-picked seeds and generated inputs.
// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use mailwire_smtp::fuzzing;
use proptest::prelude::*;

const SEEDS: &[&[u8]] = &[
    // found by libFuzzer: an empty ENVID xtext encoded to an empty (invalid) value
    b"&f",
    // found by libFuzzer: an address literal holding '>'
    b"\x022\x1e\x1e[>3]",
    // found by libFuzzer: an address literal holding '@'
    b"'tt%tttttttttttttttttttt[fDNDttUUDDDUDDDDD@DDD]",
    b"\x05EHLO c\r\nMAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n",
    b"\x00EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5 LAST\r\nab\r\nxNOOP\r\n",
    b"\x07EHLO c\r\nSTARTTLS\r\nEHLO c\r\nAUTH PLAIN\r\n*\r\nAUTH LOGIN\r\ndGVzdA==\r\n",
    b"\x81LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\nx\n.\n\r\n.\r\n",
    b"\x03EHLO c\r\nMAIL FROM:<a@b>\r\nBDAT 99999999999999999999\r\n",
    b"\x02250-mx\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SIZE 100\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n",
    b"\x04250-mx\r\n250 STARTTLS\r\n220 go\r\n250 injected\r\n",
    b"250-a\r\n251 b\r\n",
    b"MAIL FROM:<\"a\\\"b\"@[IPv6:::1]> BODY=8BITMIME BY=-5;RT MT-PRIORITY=9",
    b"RCPT TO:<@a,@b:c@d> NOTIFY=SUCCESS,DELAY ORCPT=utf-8;x+2By RRVS=2014-04-03T23:01:00Z;C",
];

#[test]
fn seeds() {
    for s in SEEDS {
        fuzzing::command(s);
        fuzzing::reply(s);
        fuzzing::command_round_trip(s);
        fuzzing::server(s);
        fuzzing::client(s);
    }
}

fn wire() -> impl Strategy<Value = Vec<u8>> {
    let tokens = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b".".to_vec()),
        Just(b"EHLO c\r\n".to_vec()),
        Just(b"MAIL FROM:<a@b>\r\n".to_vec()),
        Just(b"RCPT TO:<c@d>\r\n".to_vec()),
        Just(b"DATA\r\n".to_vec()),
        Just(b"BDAT 3\r\n".to_vec()),
        Just(b"STARTTLS\r\n".to_vec()),
        Just(b"250-x\r\n".to_vec()),
        Just(b"250 x\r\n".to_vec()),
        Just(b"354 go\r\n".to_vec()),
        Just(b"220 go\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(tokens, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn generated(data in wire()) {
        fuzzing::command(&data);
        fuzzing::reply(&data);
        fuzzing::command_round_trip(&data);
        fuzzing::server(&data);
        fuzzing::client(&data);
    }
}

/// Command lines built from the pieces where the one-pass parser of common shapes hands over
/// to the general one (verb case, spacing, path shapes, parameters); `fuzzing::command`
/// checks that both parsers agree on each.
fn command_line() -> impl Strategy<Value = Vec<u8>> {
    let verb = prop_oneof![
        Just(&b"MAIL"[..]),
        Just(&b"mail"[..]),
        Just(&b"MaIl"[..]),
        Just(&b"RCPT"[..]),
        Just(&b"rcpt"[..]),
        Just(&b"EHLO"[..]),
        Just(&b"helo"[..]),
        Just(&b"LHLO"[..]),
        Just(&b"DATA"[..]),
        Just(&b"rset"[..]),
        Just(&b"QUIT"[..]),
        Just(&b"NOOP"[..]),
        Just(&b"M\xc1IL"[..]),
        Just(&b"DAT"[..]),
    ];
    let piece = prop_oneof![
        Just(&b" "[..]),
        Just(&b"  "[..]),
        Just(&b"\t"[..]),
        Just(&b"FROM:"[..]),
        Just(&b"from:"[..]),
        Just(&b"FROM"[..]),
        Just(&b"TO:"[..]),
        Just(&b"To:"[..]),
        Just(&b"<"[..]),
        Just(&b">"[..]),
        Just(&b"@"[..]),
        Just(&b"a"[..]),
        Just(&b"."[..]),
        Just(&b"-"[..]),
        Just(&b"_"[..]),
        Just(&b"\""[..]),
        Just(&b"["[..]),
        Just(&b"]"[..]),
        Just(&b":"[..]),
        Just(&b","[..]),
        Just(&b"\\"[..]),
        Just(&b"\xc3\xa9"[..]),
        Just(&b"\xc3"[..]),
        Just(&b"\0"[..]),
        Just(&b"\r"[..]),
        Just(&b"postmaster"[..]),
        Just(&b"example.org"[..]),
        Just(&b"="[..]),
        Just(&b"SIZE=100"[..]),
        Just(&b"size="[..]),
        Just(&b"BODY=8bitmime"[..]),
        Just(&b"BODY=7BIT"[..]),
        Just(&b"SMTPUTF8"[..]),
        Just(&b"RET=HDRS"[..]),
        Just(&b"ENVID=x+2B"[..]),
        Just(&b"AUTH=<>"[..]),
        Just(&b"BY=5;R"[..]),
        Just(&b"MT-PRIORITY=-3"[..]),
        Just(&b"NOTIFY=NEVER"[..]),
        Just(&b"NOTIFY=success,delay"[..]),
        Just(&b"ORCPT=rfc822;a@b"[..]),
        Just(&b"RRVS=2014-04-03T23:01:00Z;c"[..]),
        Just(&b"X-Y=z"[..]),
    ];
    (verb, proptest::collection::vec(piece, 0..12)).prop_map(|(v, p)| {
        let mut line = v.to_vec();
        for x in p {
            line.extend_from_slice(x);
        }
        line
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn command_shapes(line in command_line()) {
        fuzzing::command(&line);
    }
}

#[test]
fn command_shapes_known() {
    for line in [
        &b"MAIL FROM:<a@b>"[..],
        b"MAIL FROM:<>",
        b"MAIL FROM:<> SIZE=1",
        b"MAIL FROM:<a@b>  SIZE=1 ",
        b"MAIL FROM:<a@b>\tSIZE=1",
        b"MAIL FROM:<a@b>x",
        b"MAIL FROM:<a@b> SIZE=1 SIZE=2",
        b"MAIL FROM:<a@b> BODY=8BITMIMEX",
        b"MAIL FROM:<a@b> X=",
        b"MAIL FROM:<a@[1.2.3.4]>",
        b"MAIL FROM:<\"a b\"@c>",
        b"MAIL FROM:<@r:a@b>",
        b"MAIL FROM: <a@b>",
        b"MAIL  FROM:<a@b>",
        b"RCPT TO:<>",
        b"RCPT TO:<Postmaster>",
        b"RCPT TO:<a@b> NOTIFY=NEVER ORCPT=rfc822;a@b",
        b"RCPT TO:<a@b.> ",
        b"RCPT TO:<a@>",
        b"RCPT TO:<@b>",
        b"EHLO a.b",
        b"EHLO a.b ",
        b"EHLO [1.2.3.4]",
        b"EHLO [1.2.3.4] x",
        b"EHLO  a",
        b"EHLO \xc3\xa9",
        b"EHLO \xc3",
        b"EHLO",
        b"DATA",
        b"DATA ",
        b"DATA x",
        b"data",
        b"NOOP",
        b"D\0TA",
    ] {
        fuzzing::command(line);
    }
}

/// EHLO replies built from keyword lines, odd lines and line endings; `fuzzing::reply` checks
/// that the one-pass capabilities parser agrees with the reply parser.
fn ehlo_reply() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just(&b"250-PIPELINING\r\n"[..]),
        Just(&b"250-pipelining\r\n"[..]),
        Just(&b"250-8BITMIME\r\n"[..]),
        Just(&b"250-SIZE 100\r\n"[..]),
        Just(&b"250-SIZE\r\n"[..]),
        Just(&b"250-SIZE 1\r2\r\n"[..]),
        Just(&b"250-SIZE 10\n"[..]),
        Just(&b"250-SIZE 10 \r\n"[..]),
        Just(&b"250-AUTH A\0B\r\n"[..]),
        Just(&b"250-AUTH  PLAIN plain\r\n"[..]),
        Just(&b"250-X-Y a=b c\r\n"[..]),
        Just(&b"250-SIZE 5"[..]),
        Just(&b"250 DELIVERBY 60\r\n"[..]),
        Just(&b"250-AUTH PLAIN LOGIN\r\n"[..]),
        Just(&b"250-AUTH=LOGIN\r\n"[..]),
        Just(&b"250-AUTH\r\n"[..]),
        Just(&b"250-ETRN\r\n"[..]),
        Just(&b"250-X_Y-Z\r\n"[..]),
        Just(&b"250-DSN\r\n"[..]),
        Just(&b"250-ENHANCEDSTATUSCODES\r\n"[..]),
        Just(&b"250-LIMITS RCPTMAX=5\r\n"[..]),
        Just(&b"250-LIMITS\r\n"[..]),
        Just(&b"250-MT-PRIORITY\r\n"[..]),
        Just(&b"250-DELIVERBY\r\n"[..]),
        Just(&b"250-FUTURERELEASE\r\n"[..]),
        Just(&b"250-STARTTLS\n"[..]),
        Just(&b"250-STARTTLS\r\r\n"[..]),
        Just(&b"250-START\0TLS\r\n"[..]),
        Just(&b"250-\r\n"[..]),
        Just(&b"250-\xc3\xa9\r\n"[..]),
        Just(&b"251-CHUNKING\r\n"[..]),
        Just(&b"250 CHUNKING\r\n"[..]),
        Just(&b"250 RRVS\r\n"[..]),
        Just(&b"250\r\n"[..]),
        Just(&b"250-REQUIRETLS"[..]),
        Just(&b"250-REQUIRETLS\r"[..]),
        Just(&b"25"[..]),
    ];
    proptest::collection::vec(line, 0..8).prop_map(|v| {
        let mut out = b"250-mx.example.org hello\r\n".to_vec();
        for l in v {
            out.extend_from_slice(l);
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn ehlo_shapes(data in ehlo_reply()) {
        fuzzing::reply(&data);
    }
}
