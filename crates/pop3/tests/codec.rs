//! Parser and encoder tests: known answers from the RFCs, three-way decoding, round trips.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers may fail loudly"
)]

use bytes::{Bytes, BytesMut};
use mailwire_core::{Limits, Secret};
use mailwire_pop3::codec::{CommandDecoder, DecodeError, ResponseDecoder, ResponsePart};
use mailwire_pop3::{
    ApopDigest, AuthResponse, Capability, Command, Continuation, ExpirePolicy, MsgNum, ParseError,
    ResponseCode, ResponseShape, ScanListing, Stat, Status, StatusKind, Text, UidlListing, Word,
};
use proptest::prelude::*;

fn n(v: u32) -> MsgNum {
    MsgNum::new(v).unwrap()
}

fn w(s: &str) -> Word {
    Word::new(s.to_owned()).unwrap()
}

#[test]
fn rfc1939_commands() {
    let table: Vec<(&[u8], Command)> = vec![
        (b"USER mrose", Command::User(w("mrose"))),
        (b"PASS secret", Command::Pass(Secret::new(Text::new("secret").unwrap()))),
        (b"PASS with spaces ok", Command::Pass(Secret::new(Text::new("with spaces ok").unwrap()))),
        (
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
            Command::Apop {
                name: w("mrose"),
                digest: ApopDigest::compute(b"<1896.697170952@dbc.mtview.ca.us>", b"tanstaaf"),
            },
        ),
        (b"STAT", Command::Stat),
        (b"LIST", Command::List(None)),
        (b"LIST 2", Command::List(Some(n(2)))),
        (b"RETR 1", Command::Retr(n(1))),
        (b"DELE 1", Command::Dele(n(1))),
        (b"NOOP", Command::Noop),
        (b"RSET", Command::Rset),
        (b"QUIT", Command::Quit),
        (b"TOP 1 10", Command::Top { msg: n(1), lines: 10 }),
        (b"UIDL", Command::Uidl(None)),
        (b"UIDL 2", Command::Uidl(Some(n(2)))),
        (b"CAPA", Command::Capa),
        (b"STLS", Command::Stls),
        (b"UTF8", Command::Utf8),
        (b"LANG", Command::Lang(None)),
        (b"LANG es", Command::Lang(Some(w("es")))),
        (b"AUTH GSSAPI", Command::Auth { mechanism: w("GSSAPI"), initial_response: None }),
        (
            b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=",
            Command::Auth {
                mechanism: w("PLAIN"),
                initial_response: Some(Secret::new(b"test\0test\0test".to_vec())),
            },
        ),
        (
            b"AUTH EXTERNAL =",
            Command::Auth { mechanism: w("EXTERNAL"), initial_response: Some(Secret::new(vec![])) },
        ),
        (b"XTND XMIT", Command::Unknown { keyword: w("XTND"), args: Text::new("XMIT").unwrap() }),
    ];
    for (line, cmd) in table {
        assert_eq!(Command::parse(line).as_ref(), Ok(&cmd), "{}", String::from_utf8_lossy(line));
        let mut expect = line.to_vec();
        expect.extend_from_slice(b"\r\n");
        assert_eq!(cmd.to_bytes(), expect, "{cmd:?}");
    }
}

#[test]
fn command_errors_and_tolerance() {
    assert_eq!(Command::parse(b"retr 1"), Ok(Command::Retr(n(1))));
    assert_eq!(Command::parse(b"RETR  1"), Ok(Command::Retr(n(1))));
    assert_eq!(Command::parse(b"RETR 0"), Err(ParseError::Number));
    assert_eq!(Command::parse(b"RETR"), Err(ParseError::MissingArgument));
    assert_eq!(Command::parse(b"RETR x"), Err(ParseError::Number));
    assert_eq!(Command::parse(b"RETR 99999999999"), Err(ParseError::Number));
    assert_eq!(Command::parse(b"STAT 1"), Err(ParseError::TooManyArguments));
    assert_eq!(Command::parse(b"APOP a 123"), Err(ParseError::Digest));
    assert_eq!(Command::parse(b"PASS"), Err(ParseError::MissingArgument));
    assert_eq!(Command::parse(b""), Err(ParseError::Empty));
    assert_eq!(Command::parse(b"AUTH PLAIN !!"), Err(ParseError::Base64));
}

#[test]
fn status_lines() {
    let s = Status::parse(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
    assert!(s.is_ok());
    assert_eq!(s.apop_timestamp().as_deref(), Some(&b"<1896.697170952@dbc.mtview.ca.us>"[..]));
    let table: Vec<(&[u8], StatusKind, Option<ResponseCode>, &str)> = vec![
        (b"+OK", StatusKind::Ok, None, ""),
        (b"-ERR", StatusKind::Err, None, ""),
        (
            b"-ERR [IN-USE] Do you have another POP session running?",
            StatusKind::Err,
            Some(ResponseCode::InUse),
            "Do you have another POP session running?",
        ),
        (b"-ERR [LOGIN-DELAY] wait", StatusKind::Err, Some(ResponseCode::LoginDelay), "wait"),
        (b"-ERR [SYS/TEMP] try later", StatusKind::Err, Some(ResponseCode::SysTemp), "try later"),
        (b"-ERR [SYS/PERM] gone", StatusKind::Err, Some(ResponseCode::SysPerm), "gone"),
        (b"-ERR [AUTH] bad password", StatusKind::Err, Some(ResponseCode::Auth), "bad password"),
        (b"-ERR [UTF8] need utf8", StatusKind::Err, Some(ResponseCode::Utf8), "need utf8"),
        (
            b"-ERR [X-FOO/BAR] other",
            StatusKind::Err,
            Some(ResponseCode::new("X-FOO/BAR").unwrap()),
            "other",
        ),
        (b"+OK [IN-USE]", StatusKind::Ok, Some(ResponseCode::InUse), ""),
        (b"+OK 2 320", StatusKind::Ok, None, "2 320"),
        (b"+OK [not a code", StatusKind::Ok, None, "[not a code"),
    ];
    for (line, kind, code, text) in table {
        let s = Status::parse(line).unwrap();
        assert_eq!(s.kind(), kind);
        assert_eq!(s.code(), code.as_ref());
        assert_eq!(s.text().as_bytes(), text.as_bytes());
        let mut expect = line.to_vec();
        expect.extend_from_slice(b"\r\n");
        assert_eq!(s.to_bytes(), expect);
    }
    assert_eq!(Status::parse(b"+OK 2 320").unwrap().as_stat(), Ok(Stat { count: 2, size: 320 }));
    assert_eq!(
        Status::parse(b"+OK 2 200").unwrap().as_scan(),
        Ok(ScanListing { msg: n(2), size: 200 })
    );
    assert_eq!(
        Status::parse(b"+OK 2 QhdPYR:00WBw1Ph7x7").unwrap().as_uidl(),
        Ok(UidlListing { msg: n(2), uid: w("QhdPYR:00WBw1Ph7x7") })
    );
    assert_eq!(Status::parse(b"OK"), Err(ParseError::NotStatus));
    assert_eq!(Status::parse(b"+OKAY"), Err(ParseError::NotStatus));
    assert_eq!(Status::parse(b"+ok lower case"), Ok(Status::ok("lower case")));
}

#[test]
fn rfc2449_capabilities() {
    let lines: Vec<(&[u8], Capability)> = vec![
        (b"TOP", Capability::Top),
        (b"USER", Capability::User),
        (b"SASL CRAM-MD5 KERBEROS_V4", Capability::Sasl(vec![w("CRAM-MD5"), w("KERBEROS_V4")])),
        (b"RESP-CODES", Capability::RespCodes),
        (b"LOGIN-DELAY 900", Capability::LoginDelay { seconds: 900, per_user: false }),
        (b"PIPELINING", Capability::Pipelining),
        (b"EXPIRE 60", Capability::Expire { policy: ExpirePolicy::Days(60), per_user: false }),
        (b"EXPIRE NEVER", Capability::Expire { policy: ExpirePolicy::Never, per_user: false }),
        (b"EXPIRE 0 USER", Capability::Expire { policy: ExpirePolicy::Days(0), per_user: true }),
        (b"UIDL", Capability::Uidl),
        (
            b"IMPLEMENTATION Shlemazle-Plotz-v302",
            Capability::Implementation(Text::new("Shlemazle-Plotz-v302").unwrap()),
        ),
        (b"STLS", Capability::Stls),
        (b"AUTH-RESP-CODE", Capability::AuthRespCode),
        (b"UTF8 USER", Capability::Utf8 { user: true }),
        (b"UTF8", Capability::Utf8 { user: false }),
        (b"LANG", Capability::Lang),
        (
            b"X-FOO bar baz",
            Capability::Other { tag: w("X-FOO"), params: Text::new("bar baz").unwrap() },
        ),
    ];
    for (line, cap) in lines {
        assert_eq!(Capability::parse(line).as_ref(), Ok(&cap));
        let mut out = BytesMut::new();
        cap.encode(&mut out);
        let mut expect = line.to_vec();
        expect.extend_from_slice(b"\r\n");
        assert_eq!(&out[..], &expect[..]);
    }
    assert_eq!(Capability::parse(b"EXPIRE soon"), Err(ParseError::Capability));
}

#[test]
fn auth_lines() {
    assert_eq!(Continuation::parse(b"+ "), Ok(Continuation(vec![])));
    assert_eq!(Continuation::parse(b"+"), Ok(Continuation(vec![])));
    assert_eq!(Continuation::parse(b"+ AQIDBA=="), Ok(Continuation(vec![1, 2, 3, 4])));
    assert_eq!(AuthResponse::parse(b"*"), Ok(AuthResponse::Cancel));
    assert_eq!(AuthResponse::parse(b"AQ=="), Ok(AuthResponse::Data(Secret::new(vec![1]))));
    // padding is optional on input, as mailwire-sasl accepts it
    assert_eq!(AuthResponse::parse(b"AQ"), Ok(AuthResponse::Data(Secret::new(vec![1]))));
    assert_eq!(Continuation::parse(b"+ AQID"), Ok(Continuation(vec![1, 2, 3])));
}

#[test]
fn values_reject_injection() {
    assert!(Word::new("a\r\nDELE 1").is_err());
    assert!(Word::new("").is_err());
    assert!(Text::new("x\ny").is_err());
    assert!(Text::new("x\0y").is_err());
    assert!(ResponseCode::new("A]B").is_err());
    assert!(MsgNum::new(0).is_none());
}

// ---- three-way decoding ----

fn drain_commands(d: &mut CommandDecoder, out: &mut Vec<Result<Command, DecodeError>>) {
    while let Some(r) = d.next_command() {
        out.push(r);
    }
}

fn three_way_commands(input: &[u8]) -> Vec<Result<Command, DecodeError>> {
    let limits = Limits::default();
    let mut whole = CommandDecoder::new(&limits);
    let mut a = Vec::new();
    whole.push(input);
    drain_commands(&mut whole, &mut a);
    let mut bytewise = CommandDecoder::new(&limits);
    let mut b = Vec::new();
    for byte in input {
        bytewise.push(core::slice::from_ref(byte));
        drain_commands(&mut bytewise, &mut b);
    }
    assert_eq!(a, b, "byte by byte differs");
    let mut trailing = CommandDecoder::new(&limits);
    let mut c = Vec::new();
    trailing.push(input);
    trailing.push(b"RETR 1");
    drain_commands(&mut trailing, &mut c);
    assert_eq!(a, c, "trailing bytes changed the result");
    let mut rest = whole.buffered().to_vec();
    rest.extend_from_slice(b"RETR 1");
    assert_eq!(trailing.buffered(), &rest[..]);
    a
}

#[test]
fn three_way_command_stream() {
    let got =
        three_way_commands(b"USER mrose\r\nPASS a b\r\nSTAT\r\nBOGUS LINE\r\nRETR 0\r\nQUIT\r\n");
    assert_eq!(got.len(), 6);
    assert_eq!(got[0], Ok(Command::User(w("mrose"))));
    assert_eq!(
        got[3],
        Ok(Command::Unknown { keyword: w("BOGUS"), args: Text::new("LINE").unwrap() })
    );
    assert!(matches!(got[4], Err(DecodeError::Parse { error: ParseError::Number, .. })));
    assert_eq!(got[5], Ok(Command::Quit));
}

/// Decodes a server stream given the shapes of its responses; body chunks are merged.
fn decode_responses(
    d: &mut ResponseDecoder,
    shapes: &mut impl Iterator<Item = ResponseShape>,
    out: &mut Vec<ResponsePart>,
) {
    loop {
        let Some(part) = d.next_part() else { return };
        let part = part.unwrap();
        let done = match &part {
            ResponsePart::Status(s) => !(s.is_ok() && d.in_multi_line()),
            ResponsePart::End => true,
            _ => false,
        };
        match (&part, out.last_mut()) {
            (ResponsePart::Body(b), Some(ResponsePart::Body(prev))) => {
                let mut m = BytesMut::from(&prev[..]);
                m.extend_from_slice(b);
                *prev = m.freeze();
            }
            _ => out.push(part),
        }
        if done && let Some(s) = shapes.next() {
            d.expect(s);
        }
    }
}

fn three_way_responses(input: &[u8], shapes: &[ResponseShape]) -> Vec<ResponsePart> {
    let limits = Limits::default();
    let run = |chunks: Vec<&[u8]>| {
        let mut d = ResponseDecoder::new(&limits);
        let mut it = shapes.iter().copied();
        d.expect(it.next().unwrap());
        let mut out = Vec::new();
        for c in chunks {
            d.push(c);
            decode_responses(&mut d, &mut it, &mut out);
        }
        (out, d.buffered().to_vec())
    };
    let (a, rest_a) = run(vec![input]);
    let (b, rest_b) = run(input.chunks(1).collect());
    assert_eq!(a, b, "byte by byte differs");
    assert_eq!(rest_a, rest_b);
    let (c, rest_c) = run(vec![input, b"+OK trailing"]);
    assert_eq!(a, c, "trailing bytes changed the result");
    let mut expect = rest_a.clone();
    expect.extend_from_slice(b"+OK trailing");
    assert_eq!(rest_c, expect);
    a
}

#[test]
fn three_way_rfc1939_responses() {
    use ResponseShape::*;
    let input = b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n\
+OK mrose's maildrop has 2 messages (320 octets)\r\n\
+OK 2 320\r\n\
+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n\
+OK 120 octets\r\nline one\r\n..dotted\r\n.\r\n\
-ERR no such message\r\n\
+OK\r\n.\r\n";
    let got =
        three_way_responses(input, &[Single, Single, Single, MultiLine, Body, Body, Body, Single]);
    assert_eq!(got[5], ResponsePart::Line(Bytes::from_static(b"2 200")));
    assert_eq!(got[8], ResponsePart::Body(Bytes::from_static(b"line one\r\n.dotted\r\n")));
    assert_eq!(got[9], ResponsePart::End);
    assert!(matches!(&got[10], ResponsePart::Status(s) if !s.is_ok()));
    // An empty message: +OK then the terminating dot.
    assert!(matches!(&got[11], ResponsePart::Status(s) if s.is_ok()));
    assert_eq!(got[12], ResponsePart::End);
    assert_eq!(got.len(), 13);
}

// ---- split points of RETR bodies ----

fn retr_body(wire: &[u8], split: usize) -> (Vec<u8>, usize) {
    let mut d = ResponseDecoder::new(&Limits::default());
    d.expect(ResponseShape::Body);
    let mut body = Vec::new();
    let mut ends = 0;
    let (a, b) = wire.split_at(split);
    for part in [a, b] {
        d.push(part);
        while let Some(p) = d.next_part() {
            match p.unwrap() {
                ResponsePart::Body(c) => body.extend_from_slice(&c),
                ResponsePart::End => ends += 1,
                ResponsePart::Status(s) => assert!(s.is_ok()),
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(d.buffered(), b"+OK next", "bytes after the body stay for the next response");
    (body, ends)
}

#[test]
fn retr_split_points() {
    let cases: Vec<(&[u8], &[u8])> = vec![
        (b"+OK\r\n..\r\n.\r\n+OK next", b".\r\n"),
        (b"+OK\r\n...\r\n.\r\n+OK next", b"..\r\n"),
        (b"+OK\r\na\r\n..\r\n...\r\n..x\r\nb\r\n.\r\n+OK next", b"a\r\n.\r\n..\r\n.x\r\nb\r\n"),
        (b"+OK\r\n.\r\n+OK next", b""),
        (b"+OK 3 octets\r\n..\r\n.\r\n+OK next", b".\r\n"),
        (b"+OK\r\nx\r\n.\r\n+OK next", b"x\r\n"),
        (b"+OK\r\n.a\r\n.\r\n+OK next", b"a\r\n"),
    ];
    for (wire, expect) in cases {
        for split in 0..=wire.len() {
            let (body, ends) = retr_body(wire, split);
            assert_eq!(body, expect, "split {split} of {}", String::from_utf8_lossy(wire));
            assert_eq!(ends, 1);
        }
    }
}

#[test]
fn line_limit_is_enforced() {
    let mut d = ResponseDecoder::new(&Limits::default().with_line_length(16));
    d.push(b"+OK this line is far too long\r\n");
    assert_eq!(d.next_part(), Some(Err(DecodeError::LineTooLong { limit: 16 })));
}

// ---- round trips ----

fn word() -> impl Strategy<Value = Word> {
    proptest::collection::vec(
        any::<u8>().prop_filter("word byte", |b| !matches!(b, b' ' | b'\r' | b'\n' | 0)),
        1..12,
    )
    .prop_map(|v| Word::new(v).unwrap())
}

fn text() -> impl Strategy<Value = Text> {
    proptest::collection::vec(
        any::<u8>().prop_filter("text byte", |b| !matches!(b, b'\r' | b'\n' | 0)),
        0..20,
    )
    .prop_map(|v| Text::new(v).unwrap())
}

fn msg() -> impl Strategy<Value = MsgNum> {
    (1u32..).prop_map(|v| MsgNum::new(v).unwrap())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        word().prop_map(Command::User),
        text()
            .prop_filter("pass non-empty", |t| !t.is_empty())
            .prop_map(|t| Command::Pass(Secret::new(t))),
        (word(), any::<[u8; 16]>())
            .prop_map(|(name, d)| Command::Apop { name, digest: ApopDigest::from_bytes(d) }),
        (word(), proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20))).prop_map(
            |(m, ir)| Command::Auth { mechanism: m, initial_response: ir.map(Secret::new) }
        ),
        Just(Command::Stat),
        proptest::option::of(msg()).prop_map(Command::List),
        msg().prop_map(Command::Retr),
        msg().prop_map(Command::Dele),
        Just(Command::Noop),
        Just(Command::Rset),
        Just(Command::Quit),
        (msg(), any::<u32>()).prop_map(|(msg, lines)| Command::Top { msg, lines }),
        proptest::option::of(msg()).prop_map(Command::Uidl),
        Just(Command::Capa),
        Just(Command::Stls),
        Just(Command::Utf8),
        proptest::option::of(word()).prop_map(Command::Lang),
        ("X[A-Z]{4,8}", text())
            .prop_map(|(k, args)| Command::Unknown { keyword: Word::new(k).unwrap(), args }),
    ]
}

fn code() -> impl Strategy<Value = ResponseCode> {
    prop_oneof![
        Just(ResponseCode::InUse),
        Just(ResponseCode::LoginDelay),
        Just(ResponseCode::SysTemp),
        Just(ResponseCode::SysPerm),
        Just(ResponseCode::Auth),
        Just(ResponseCode::Utf8),
        "X-[A-Z/]{1,8}".prop_map(|c| ResponseCode::new(c).unwrap()),
    ]
}

fn status() -> impl Strategy<Value = Status> {
    (any::<bool>(), proptest::option::of(code()), text())
        .prop_filter("text that starts a code is ambiguous", |(_, code, t)| {
            code.is_some() || t.as_bytes().first() != Some(&b'[')
        })
        .prop_map(|(ok, code, text)| {
            Status::new(if ok { StatusKind::Ok } else { StatusKind::Err }, code, text)
        })
}

proptest! {
    #[test]
    fn command_round_trip(cmd in command()) {
        let bytes = cmd.to_bytes();
        let line = &bytes[..bytes.len() - 2];
        prop_assert_eq!(Command::parse(line), Ok(cmd));
    }

    #[test]
    fn status_round_trip(s in status()) {
        let bytes = s.to_bytes();
        prop_assert_eq!(Status::parse(&bytes[..bytes.len() - 2]), Ok(s));
    }

    #[test]
    fn sasl_lines_round_trip(data in proptest::collection::vec(any::<u8>(), 0..64), cancel in any::<bool>()) {
        let r = if cancel { AuthResponse::Cancel } else { AuthResponse::Data(Secret::new(data.clone())) };
        let mut out = BytesMut::new();
        r.encode(&mut out);
        prop_assert_eq!(AuthResponse::parse(&out[..out.len() - 2]), Ok(r));
        let c = Continuation(data);
        let mut out = BytesMut::new();
        c.encode(&mut out);
        prop_assert_eq!(Continuation::parse(&out[..out.len() - 2]), Ok(c));
    }

    #[test]
    fn listing_round_trip(m in msg(), size in any::<u64>(), uid in word()) {
        let scan = ScanListing { msg: m, size };
        prop_assert_eq!(ScanListing::parse(&scan.to_line()), Ok(scan));
        let u = UidlListing { msg: m, uid };
        prop_assert_eq!(UidlListing::parse(&u.to_line()), Ok(u));
    }

    #[test]
    fn capability_round_trip(mechs in proptest::collection::vec(word(), 0..4), days in any::<u32>(), user in any::<bool>()) {
        for cap in [
            Capability::Sasl(mechs.clone()),
            Capability::Expire { policy: ExpirePolicy::Days(days), per_user: user },
            Capability::LoginDelay { seconds: days, per_user: user },
            Capability::Utf8 { user },
        ] {
            let mut out = BytesMut::new();
            cap.encode(&mut out);
            prop_assert_eq!(Capability::parse(&out[..out.len() - 2]), Ok(cap));
        }
    }

    #[test]
    fn body_round_trip(body in proptest::collection::vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a')], 0..64), split in any::<prop::sample::Index>()) {
        // What a server stuffs, a client unstuffs to the same lines (line endings normalised).
        let mut wire = BytesMut::from(&b"+OK\r\n"[..]);
        let stuffed = mailwire_core::DotStuffer::encode_all(&body);
        wire.extend_from_slice(&stuffed);
        wire.extend_from_slice(b"+OK next");
        let (got, ends) = retr_body(&wire, split.index(wire.len() + 1));
        prop_assert_eq!(ends, 1);
        // Re-stuffing the decoded body gives the same wire bytes.
        prop_assert_eq!(&mailwire_core::DotStuffer::encode_all(&got)[..], &stuffed[..]);
    }
}
