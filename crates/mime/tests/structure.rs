//! Structure: multipart per RFC 2046, encapsulated messages, line endings, byte ranges,
//! byte-exact reserialization, and identical events under any chunking.
#![allow(clippy::indexing_slicing, clippy::disallowed_methods)]

use mailwire_mime::push::{BodyKind, Event, Parser};
use mailwire_mime::{DiagnosticKind, Message, MimeLimits};
use proptest::prelude::*;

/// An owned, comparable record of the events, with body chunks merged per entity and kind
/// (chunk boundaries are the one thing allowed to differ between chunkings).
fn events(input: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut body: Option<(u32, BodyKind, u64, Vec<u8>)> = None;
    let mut parser = Parser::new(MimeLimits::DEFAULT);
    {
        let mut sink = |ev: Event<'_>| {
            if let Event::Body { part, kind, data, offset } = ev {
                if let Some((p, k, o, d)) = &mut body
                    && *p == part
                    && *k == kind
                    && *o + d.len() as u64 == offset
                {
                    d.extend_from_slice(data);
                    return;
                }
                if let Some(b) = body.take() {
                    out.push(format!("{b:?}"));
                }
                body = Some((part, kind, offset, data.to_vec()));
                return;
            }
            if let Some(b) = body.take() {
                out.push(format!("{b:?}"));
            }
            out.push(format!("{ev:?}"));
        };
        let mut last = 0;
        for &c in cuts {
            let c = c.min(input.len()).max(last);
            parser.push(&input[last..c], &mut sink);
            last = c;
        }
        parser.push(&input[last..], &mut sink);
        parser.finish(&mut sink);
    }
    if let Some(b) = body.take() {
        out.push(format!("{b:?}"));
    }
    out
}

const RFC2046_EXAMPLE: &[u8] = b"From: Nathaniel Borenstein <nsb@bellcore.com>\r\n\
To: Ned Freed <ned@innosoft.com>\r\n\
Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)\r\n\
Subject: Sample message\r\n\
MIME-Version: 1.0\r\n\
Content-type: multipart/mixed; boundary=\"simple boundary\"\r\n\
\r\n\
This is the preamble.  It is to be ignored, though it\r\n\
is a handy place for composition agents to include an\r\n\
explanatory note to non-MIME conformant readers.\r\n\
\r\n\
--simple boundary\r\n\
\r\n\
This is implicitly typed plain US-ASCII text.\r\n\
It does NOT end with a linebreak.\r\n\
--simple boundary\r\n\
Content-type: text/plain; charset=us-ascii\r\n\
\r\n\
This is explicitly typed plain US-ASCII text.\r\n\
It DOES end with a linebreak.\r\n\
\r\n\
--simple boundary--\r\n\
\r\n\
This is the epilogue.  It is also to be ignored.\r\n";

/// The `CPython` email test corpus (`MIME_CORPUS_DIR`, else asked of python3), if present.
fn python_corpus_dir() -> Option<std::path::PathBuf> {
    if let Ok(d) = std::env::var("MIME_CORPUS_DIR") {
        return Some(d.into());
    }
    let out = std::process::Command::new("python3")
        .args(["-c", "import test, os; print(os.path.dirname(test.__file__))"])
        .output()
        .ok()?;
    let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        .join("test_email")
        .join("data");
    dir.is_dir().then_some(dir)
}

fn corpus() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![
        RFC2046_EXAMPLE.to_vec(),
        RFC2046_EXAMPLE.iter().copied().filter(|&c| c != b'\r').collect(),
        b"Subject: no body".to_vec(),
        b"".to_vec(),
        b"\r\n".to_vec(),
        b"From nobody Mon Jan  1 00:00:00 2001\nSubject: mbox\n\nbody\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/alternative; boundary=ab\n\n--ab\n\nx\n--a\n\ny\n--a--\n".to_vec(),
        b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: inner\r\n\r\nhi\r\n--d--".to_vec(),
        b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nz\r\n--q--\r\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogZW5jCgpoaQo=\r\n--b--\r\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nmixed\nendings\r\n--b \t\r\n\r\nx\n--b--  \n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX: y\r\n--b\r\n--bb\r\n--b--x\r\n--b--".to_vec(),
        b"Subject: x\r\n bad fold\r\nNot a header line\r\nmore\r\n".to_vec(),
        b"Content-Type: multipart/mixed\r\n\r\nno boundary\r\n".to_vec(),
    ];
    // every file of the CPython corpus, when present
    if let Some(dir) = python_corpus_dir()
        && let Ok(rd) = std::fs::read_dir(dir)
    {
        for e in rd.flatten() {
            if let Ok(b) = std::fs::read(e.path()) {
                v.push(b);
            }
        }
    }
    v
}

#[test]
fn rfc2046_example_structure() {
    let msg = Message::parse(RFC2046_EXAMPLE);
    let root = msg.root();
    assert!(root.is_multipart());
    assert_eq!(root.content_type().boundary(), Some("simple boundary"));
    let kids: Vec<_> = root.children().collect();
    assert_eq!(kids.len(), 2);
    assert_eq!(
        kids[0].body_raw(),
        b"This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak."
    );
    assert_eq!(kids[0].header_raw(), b"\r\n");
    assert!(!kids[0].has_explicit_content_type());
    assert_eq!(
        kids[1].body_raw(),
        b"This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n"
    );
    assert_eq!(kids[1].body_lines(), 2);
    assert_eq!(kids[1].content_type().param("charset"), Some("us-ascii"));
    assert_eq!(
        root.preamble().unwrap(),
        &b"This is the preamble.  It is to be ignored, though it\r\nis a handy place for composition agents to include an\r\nexplanatory note to non-MIME conformant readers.\r\n"[..]
    );
    assert_eq!(
        root.epilogue().unwrap(),
        b"\r\nThis is the epilogue.  It is also to be ignored.\r\n"
    );
    assert!(msg.diagnostics().is_empty(), "{:?}", msg.diagnostics());
    assert_eq!(kids[0].section_path(), "1");
    assert_eq!(root.section_path(), "TEXT");
}

#[test]
fn lf_only_structure_matches() {
    let lf: Vec<u8> = RFC2046_EXAMPLE.iter().copied().filter(|&c| c != b'\r').collect();
    let msg = Message::parse(lf);
    let kids: Vec<_> = msg.root().children().collect();
    assert_eq!(
        kids[0].body_raw(),
        b"This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak."
    );
    assert_eq!(
        kids[1].body_raw(),
        b"This is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n"
    );
}

#[test]
fn outer_delimiter_closes_inner_and_prefix_boundaries() {
    let m = b"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/alternative; boundary=ab\n\n--ab\n\nx\n--a\n\ny\n--a--\n";
    let msg = Message::parse(&m[..]);
    let kids: Vec<_> = msg.root().children().collect();
    assert_eq!(kids.len(), 2);
    assert!(kids[0].is_multipart());
    let inner: Vec<_> = kids[0].children().collect();
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].body_raw(), b"x");
    assert_eq!(kids[1].body_raw(), b"y");
    assert!(msg.diagnostics().iter().any(|d| d.kind == DiagnosticKind::MissingCloseDelimiter));
    assert_eq!(inner[0].section_path(), "1.1");
}

#[test]
fn boundary_prefix_and_trailing_garbage_not_delimiters() {
    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX: y\r\n--b\r\n--bb\r\n--b--x\r\n--b--";
    let msg = Message::parse(&m[..]);
    let kids: Vec<_> = msg.root().children().collect();
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[0].body_raw(), b"");
    assert_eq!(kids[1].body_raw(), b"--bb\r\n--b--x");
    assert_eq!(msg.root().epilogue(), Some(&b""[..]));
}

#[test]
fn missing_final_boundary() {
    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nbody\r\n";
    let msg = Message::parse(&m[..]);
    let kids: Vec<_> = msg.root().children().collect();
    assert_eq!(kids[0].body_raw(), b"body\r\n");
    assert!(msg.diagnostics().iter().any(|d| d.kind == DiagnosticKind::MissingCloseDelimiter));
}

#[test]
fn digest_and_encapsulated_messages() {
    let m = b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: inner\r\n\r\nhi\r\n--d--";
    let msg = Message::parse(&m[..]);
    let kid = msg.root().children().next().unwrap();
    assert!(kid.content_type().is("message", "rfc822"));
    let inner = kid.encapsulated().unwrap();
    assert_eq!(inner.header_text("subject").as_deref(), Some("inner"));
    assert_eq!(inner.body_raw(), b"hi");
    assert_eq!(inner.section_path(), "1.1");

    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogZW5jCgpoaQo=\r\n--b--\r\n";
    let msg = Message::parse(&m[..]);
    let kid = msg.root().children().next().unwrap();
    let inner = kid.encapsulated().unwrap();
    assert_eq!(inner.header_text("subject").as_deref(), Some("enc"));
    assert_eq!(inner.body_raw(), b"hi\n");
    assert!(!inner.in_original_input());
    assert_eq!(msg.to_bytes(), &m[..]);
    let paths: Vec<String> = msg.parts().map(|p| p.section_path()).collect();
    assert_eq!(paths, ["TEXT", "1", "1.1"]);

    let m = b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nz\r\n--q--\r\n";
    let msg = Message::parse(&m[..]);
    let paths: Vec<String> = msg.parts().map(|p| p.section_path()).collect();
    assert_eq!(paths, ["1", "1.TEXT", "1.1"]);
}

#[test]
fn header_without_blank_line_and_garbage() {
    let msg = Message::parse(&b"Subject: x\r\n bad fold\r\nNot a header line\r\nmore\r\n"[..]);
    let root = msg.root();
    assert_eq!(root.header_text("subject").as_deref(), Some("x bad fold"));
    assert_eq!(root.body_raw(), b"Not a header line\r\nmore\r\n");
    assert!(msg.diagnostics().iter().any(|d| d.kind == DiagnosticKind::MissingHeaderBodySeparator));
    let msg = Message::parse(&b"Subject: only"[..]);
    assert_eq!(msg.root().header_text("subject").as_deref(), Some("only"));
}

#[test]
fn roundtrip_and_ranges_on_corpus() {
    for m in corpus() {
        let msg = Message::parse(m.clone());
        assert_eq!(msg.to_bytes(), m, "{}", String::from_utf8_lossy(&m));
        let mut last_end = 0;
        for p in msg.parts().filter(mailwire_mime::Part::in_original_input) {
            assert!(p.header_range().start >= last_end || p.parent().is_some());
            assert!(p.header_range().end == p.body_range().start);
            assert!(p.body_range().end <= m.len());
            last_end = p.header_range().start;
        }
    }
}

#[test]
fn decoding_through_one_buffer_equals_owned_decoding() {
    // every field and body of every test message, decoded through one reused buffer each
    let mut buf = String::new();
    let mut body_buf = vec![0xAA; 3];
    let (mut decoded, mut bodies) = (0, 0);
    for m in corpus() {
        let msg = Message::parse(m);
        for p in msg.parts() {
            for f in p.fields() {
                let text = f.text();
                decoded += usize::from(matches!(text, std::borrow::Cow::Owned(_)));
                assert_eq!(f.text_in(&mut buf), text);
            }
            let body = p.decoded_body();
            bodies += usize::from(matches!(body, std::borrow::Cow::Owned(_)));
            assert_eq!(p.decoded_body_in(&mut body_buf), &body[..]);
        }
    }
    assert!(decoded > 0 && bodies > 0, "some values and bodies need decoding");
}

#[test]
fn byte_by_byte_equals_whole() {
    for m in corpus() {
        let whole = events(&m, &[]);
        let cuts: Vec<usize> = (1..m.len()).collect();
        assert_eq!(whole, events(&m, &cuts), "{}", String::from_utf8_lossy(&m));
    }
}

#[test]
fn limits_stop_descending() {
    let mut m = Vec::new();
    for i in 0..300 {
        m.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes(),
        );
    }
    m.extend_from_slice(b"\r\nleaf\r\n");
    let msg = Message::parse(m.clone());
    assert!(msg.parts().count() <= 102);
    assert!(msg.diagnostics().iter().any(|d| d.kind == DiagnosticKind::DepthLimit));
    assert_eq!(msg.to_bytes(), m);

    let mut m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
    for _ in 0..100 {
        m.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    let limits = MimeLimits { max_parts: 10, ..MimeLimits::DEFAULT };
    let msg = Message::parse_with(m.clone(), limits);
    assert_eq!(msg.part_count(), 10);
    assert!(msg.diagnostics().iter().any(|d| d.kind == DiagnosticKind::PartLimit));
    assert_eq!(msg.to_bytes(), m);
}

fn arb_message() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just(b"--b".to_vec()),
        Just(b"--b--".to_vec()),
        Just(b"--c".to_vec()),
        Just(b"--c--".to_vec()),
        Just(b"".to_vec()),
        Just(b"Content-Type: multipart/mixed; boundary=c".to_vec()),
        Just(b"Content-Type: message/rfc822".to_vec()),
        Just(b"X: y".to_vec()),
        Just(b" fold".to_vec()),
        Just(b"text -- line".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..20),
    ];
    let eol = prop_oneof![Just(b"\r\n".to_vec()), Just(b"\n".to_vec()), Just(b"\r".to_vec())];
    proptest::collection::vec((line, eol), 0..40).prop_map(|ls| {
        let mut m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
        for (l, e) in ls {
            m.extend_from_slice(&l);
            m.extend_from_slice(&e);
        }
        m
    })
}

/// Header lines of many shapes (encoded words, UTF-8, 8-bit octets, folds, odd spacing),
/// some in an encapsulated message.
fn arb_header_lines() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just("Subject: =?utf-8?q?caf=C3=A9?= and =?iso-8859-1?B?4A==?=".as_bytes().to_vec()),
        Just("To: \"=?utf-8?B?w6k=?=\" <a@b>, caf\u{e9} <c@d>".as_bytes().to_vec()),
        Just("X-Utf8: \u{65e5}\u{672c} \u{e9}t\u{e9}".as_bytes().to_vec()),
        Just(b"X-Latin: caf\xe9 \xff".to_vec()),
        Just(b" =?utf-8?q?folded?= word".to_vec()),
        Just(b"\t tabbed  ".to_vec()),
        Just(b"X:".to_vec()),
        Just(b"X:tight".to_vec()),
        Just("Subject:=?utf-8?q?caf=C3=A9?=\u{e9}".as_bytes().to_vec()),
        Just(b"X :  spaced \t".to_vec()),
        Just(b"Content-Type: message/rfc822".to_vec()),
        Just(b"".to_vec()),
        proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b'='), Just(b'?'), Just(b' ')],
            0..20
        ),
    ];
    let eol = prop_oneof![Just(b"\r\n".to_vec()), Just(b"\n".to_vec()), Just(b"\r".to_vec())];
    proptest::collection::vec((line, eol), 0..30).prop_map(|ls| {
        let mut m = Vec::new();
        for (l, e) in ls {
            m.extend_from_slice(&l);
            m.extend_from_slice(&e);
        }
        m
    })
}

/// The tree parses content types on demand; they, the entity kinds and the parse's
/// diagnostics must be those the push parser reports for the same input.
fn tree_agrees_with_events(input: &[u8]) {
    tree_agrees_with_events_under(input, MimeLimits::DEFAULT);
}

fn tree_agrees_with_events_under(input: &[u8], limits: MimeLimits) {
    let mut headers = Vec::new();
    let mut diags = Vec::new();
    let mut parser = Parser::new(limits);
    let mut sink = |ev: Event<'_>| match ev {
        Event::HeaderEnd { part, header, .. } => headers.push((part, header.clone())),
        Event::Diagnostic(d) => diags.push(d),
        _ => {}
    };
    parser.push(input, &mut sink);
    parser.finish(&mut sink);
    let msg = Message::parse_with(input.to_vec(), limits);
    for (part, h) in &headers {
        let p = msg.part(*part);
        assert!(p.is_some(), "part {part} missing from the tree");
        let Some(p) = p else { continue };
        assert_eq!(p.content_type(), &h.content_type, "part {part}");
        assert_eq!(p.has_explicit_content_type(), h.explicit_content_type, "part {part}");
        assert_eq!(p.kind(), h.kind, "part {part}");
        assert_eq!(p.transfer_encoding(), &h.transfer_encoding, "part {part}");
    }
    let tree_only = [DiagnosticKind::DuplicateField, DiagnosticKind::EncodedMessage];
    let from_parse: Vec<_> = msg
        .diagnostics()
        .iter()
        .filter(|d| {
            !tree_only.contains(&d.kind) && msg.part(d.part).is_some_and(|p| p.in_original_input())
        })
        .copied()
        .collect();
    assert_eq!(from_parse, diags);
}

#[test]
fn tree_content_types_match_the_push_parser() {
    for m in corpus() {
        tree_agrees_with_events(&m);
    }
    tree_agrees_with_events(b"Content-Type: text/plain; charset=\"x\"; (c) format=flowed\r\n\r\nx");
    tree_agrees_with_events(b"Content-Type: text\r\n; charset=utf-8\r\n\r\nx");
    tree_agrees_with_events(
        b"Content-Type: multipart /mixed; boundary=q\r\n\r\n--q\r\n\r\nx\r\n--q--",
    );
    tree_agrees_with_events(b"Content-Type: text/plain; a*0=x; a*1=y\r\n\r\nx");
}

/// Content-Type values mixing the shapes the light parse treats differently.
fn arb_content_type() -> impl Strategy<Value = Vec<u8>> {
    let head = prop_oneof![
        Just(&b"multipart/mixed"[..]),
        Just(&b"MULTIPART/Digest"[..]),
        Just(&b"multipart /alternative"[..]),
        Just(&b"multipart/mixed (c)"[..]),
        Just(&b"multipart/\r\n mixed"[..]),
        Just(&b"text/plain"[..]),
        Just(&b"message/rfc822"[..]),
        Just(&b"text"[..]),
    ];
    let param = prop_oneof![
        Just(&b"; boundary=b"[..]),
        Just(&b"; boundary=\"b\""[..]),
        Just(&b"; boundary=\"b\\\"c\""[..]),
        Just(&b"; boundary="[..]),
        Just(&b"; boundary=\"\""[..]),
        Just(&b"; boundary*=utf-8''b"[..]),
        Just(&b"; boundary*0=b; boundary*1=c"[..]),
        Just(&b"; boundary==?utf-8?q?b?="[..]),
        Just(&b"; BOUNDARY=c"[..]),
        Just(&b" (comment)"[..]),
        Just(&b"; charset=utf-8"[..]),
        Just(&b"\r\n\t; boundary=b"[..]),
        Just(&b";;"[..]),
        Just(&b"; a=1 b=2"[..]),
        Just(&b"; x"[..]),
    ];
    (head, proptest::collection::vec(param, 0..4)).prop_map(|(h, ps)| {
        let mut v = b"Content-Type: ".to_vec();
        v.extend_from_slice(h);
        for p in ps {
            v.extend_from_slice(p);
        }
        v.extend_from_slice(b"\r\n\r\npre\r\n--b\r\n\r\nx\r\n--bc\r\n\r\ny\r\n--c--\r\n--b--\r\n");
        v
    })
}

proptest! {
    #[test]
    fn tree_agrees_on_any_message(m in arb_message()) {
        tree_agrees_with_events(&m);
    }

    #[test]
    fn tree_agrees_on_any_content_type(m in arb_content_type(), max_params in 0usize..4) {
        tree_agrees_with_events(&m);
        tree_agrees_with_events_under(&m, MimeLimits { max_params, ..MimeLimits::DEFAULT });
    }

    #[test]
    fn any_chunking_same_events(m in arb_message(), cuts in proptest::collection::vec(0usize..400, 0..12)) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        prop_assert_eq!(events(&m, &[]), events(&m, &cuts));
        let msg = Message::parse(m.clone());
        prop_assert_eq!(msg.to_bytes(), m);
    }

    #[test]
    fn field_text_is_the_decoded_raw_value(m in prop_oneof![arb_message(), arb_header_lines()], latin in proptest::option::of((0usize..400, 0x80u8..=0xFF))) {
        // the text of each field, from a header block checked for UTF-8 once, is what the
        // value's own octets decode to (an 8-bit octet anywhere in the block included)
        let mut m = m;
        if let Some((at, c)) = latin && !m.is_empty() {
            let at = at % m.len();
            m[at] = c;
        }
        let msg = Message::parse(m);
        let (mut a, mut b) = (String::new(), String::new());
        for p in msg.parts() {
            for f in p.fields() {
                let want = mailwire_mime::text::decode_field_in(
                    f.raw_value(),
                    mailwire_mime::text::TextOptions::default(),
                    &mut b,
                );
                prop_assert_eq!(f.text_in(&mut a), want);
                prop_assert_eq!(f.text(), want);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_roundtrip(m in proptest::collection::vec(any::<u8>(), 0..300)) {
        let msg = Message::parse(m.clone());
        prop_assert_eq!(msg.to_bytes(), m.clone());
        let cuts: Vec<usize> = (0..m.len()).step_by(7).collect();
        prop_assert_eq!(events(&m, &[]), events(&m, &cuts));
    }
}

#[test]
fn duplicate_singletons_are_reported_and_the_first_wins() {
    let msg =
        Message::parse(&b"From: a@x\r\nSubject: one\r\nSubject: two\r\nFrom: b@y\r\n\r\n"[..]);
    let dups: Vec<_> =
        msg.diagnostics().iter().filter(|d| d.kind == DiagnosticKind::DuplicateField).collect();
    assert_eq!(dups.len(), 2);
    assert_eq!(msg.root().subject().as_deref(), Some("one"));
    // Received and other repeatable fields are not singletons
    let msg = Message::parse(&b"Received: a\r\nReceived: b\r\n\r\n"[..]);
    assert!(msg.diagnostics().is_empty());
}

#[test]
fn push_events_carry_offsets_and_exact_bodies() {
    let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\nX: 1\r\n\r\nbody\r\n--b--\r\npost";
    let mut bodies: Vec<(BodyKind, Vec<u8>, u64)> = Vec::new();
    let mut fields = Vec::new();
    let mut parser = Parser::new(MimeLimits::DEFAULT);
    let mut sink = |ev: Event<'_>| match ev {
        Event::Body { kind, data, offset, .. } => bodies.push((kind, data.to_vec(), offset)),
        Event::Field { field, .. } => {
            fields.push((field.name().to_vec(), field.value().to_vec(), field.offset));
        }
        _ => {}
    };
    for b in m {
        parser.push(std::slice::from_ref(b), &mut sink);
    }
    parser.finish(&mut sink);
    let joined = |k: BodyKind| -> Vec<u8> {
        bodies.iter().filter(|b| b.0 == k).flat_map(|b| b.1.clone()).collect()
    };
    assert_eq!(joined(BodyKind::Preamble), b"pre");
    assert_eq!(joined(BodyKind::Content), b"body");
    assert_eq!(joined(BodyKind::Epilogue), b"post");
    for (_, data, off) in &bodies {
        let o = usize::try_from(*off).unwrap();
        assert_eq!(&m[o..o + data.len()], &data[..]);
    }
    assert_eq!(fields[1], (b"X".to_vec(), b" 1".to_vec(), 55));
}

#[test]
fn deep_stack_uses_the_same_matching_rules() {
    // more than eight open boundaries, prefixes of each other, closes and padding
    let mut m = Vec::new();
    for i in 0..12 {
        m.extend_from_slice(
            format!(
                "Content-Type: multipart/mixed; boundary=\"x{}\"\r\n\r\n--x{}\r\n",
                "-".repeat(i),
                "-".repeat(i)
            )
            .as_bytes(),
        );
    }
    m.extend_from_slice(b"\r\nleaf\r\n");
    for i in (0..12).rev() {
        m.extend_from_slice(format!("--x{}-- \r\n", "-".repeat(i)).as_bytes());
    }
    let msg = Message::parse(m.clone());
    assert_eq!(msg.part_count(), 13);
    assert!(msg.diagnostics().is_empty(), "{:?}", msg.diagnostics());
    assert_eq!(msg.parts().last().unwrap().body_raw(), b"leaf");
    assert_eq!(msg.to_bytes(), m);
}

#[test]
fn bodies_attachments_and_text() {
    let m = "From: =?utf-8?Q?Ren=C3=A9e?= <r@example.fr>\r\nTo: Team: a@x, \"B, b\" <b@y>;\r\n\
Date: Thu, 20 Feb 2025 12:00:00 +0100\r\nMessage-ID: <id@x>\r\nReferences: <a@x> <b@x>\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
caf=E9 soft=\r\nbreak\r\n--b\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\n\
Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\nContent-Transfer-Encoding: base64\r\n\
Content-ID: <cid1@x>\r\n\r\naGVsbG8=\r\n--b\r\nContent-Type: text/plain; charset=utf-7\r\n\r\nHi Mom -+Jjo--!\r\n--b--\r\n";
    let msg = Message::parse(m.as_bytes().to_vec());
    let root = msg.root();
    let from = root.from().unwrap();
    assert_eq!(from[0].mailboxes()[0].name.as_deref(), Some("Renée"));
    let to = root.to().unwrap();
    assert_eq!(to[0].mailboxes().len(), 2);
    assert_eq!(to[0].mailboxes()[1].name.as_deref(), Some("B, b"));
    assert_eq!(root.date().unwrap().to_iso8601(), "2025-02-20T12:00:00+01:00");
    assert_eq!(root.message_id().as_deref(), Some("<id@x>"));
    assert_eq!(root.references(), ["<a@x>", "<b@x>"]);
    let kids: Vec<_> = root.children().collect();
    assert_eq!(kids[0].text().as_deref(), Some("café softbreak"));
    assert!(!kids[0].is_attachment());
    assert!(kids[1].is_attachment());
    assert_eq!(kids[1].filename().as_deref(), Some("résumé.pdf"));
    assert_eq!(&kids[1].decoded_body()[..], b"hello");
    assert_eq!(kids[1].content_id().as_deref(), Some("cid1@x"));
    assert_eq!(kids[2].text().as_deref(), Some("Hi Mom -\u{263A}-!"));
    assert_eq!(root.attachments().len(), 1);
}

/// The push API leaves a transfer-encoded `message/rfc822` as a leaf (`EncodedMessage`); a
/// caller who wants its structure streams the body through a transfer decoder into a nested
/// parser. Whatever the chunking, the nested parser sees what the tree's encapsulated message
/// holds.
#[test]
fn encoded_messages_through_the_push_api_in_any_chunking() {
    use mailwire_mime::push::PartKind;
    use mailwire_mime::transfer::{Base64Decoder, QuotedPrintableDecoder};
    use mailwire_mime::{Message, TransferEncoding};

    enum Dec {
        B64(Base64Decoder),
        Qp(QuotedPrintableDecoder),
    }
    let inner = b"Subject: inner\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nz\r\n--q\r\nContent-Type: text/html\r\n\r\n<p>\xc3\xa9</p>\r\n--q--\r\n";
    let b64 = mailwire_mime::transfer::encode_base64(inner);
    let qp = mailwire_mime::transfer::encode_quoted_printable(inner);
    for (cte, body) in [("base64", b64), ("quoted-printable", qp)] {
        let mut m = format!("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: {cte}\r\n\r\n").into_bytes();
        m.extend_from_slice(&body);
        m.extend_from_slice(b"\r\n--b--\r\n");
        // the tree's view of the encapsulated message
        let msg = Message::parse(m.clone());
        let enc = msg.parts().find(|p| p.kind() == PartKind::EncodedMessage);
        assert!(enc.is_some());
        let Some(enc) = enc else { continue };
        let want: Vec<(String, Vec<u8>)> = msg
            .parts()
            .filter(|p| !p.in_original_input())
            .map(|p| {
                (
                    format!("{}/{}", p.content_type().media_type, p.content_type().subtype),
                    p.body_raw().to_vec(),
                )
            })
            .collect();
        assert_eq!(want.len(), 3, "{cte}");
        for size in [1, 2, 3, 7, 64, m.len()] {
            let mut parser = Parser::new(MimeLimits::DEFAULT);
            let mut dec: Option<(u32, Dec)> = None;
            let mut decoded: Vec<u8> = Vec::new();
            let mut sink = |ev: Event<'_>| match ev {
                Event::HeaderEnd { part, header, .. }
                    if header.kind == PartKind::EncodedMessage =>
                {
                    let d = match header.transfer_encoding {
                        TransferEncoding::Base64 => Dec::B64(Base64Decoder::new()),
                        _ => Dec::Qp(QuotedPrintableDecoder::new()),
                    };
                    dec = Some((part, d));
                }
                Event::Body { part, data, .. } => {
                    if let Some((_, d)) = dec.as_mut().filter(|(p, _)| *p == part) {
                        match d {
                            Dec::B64(d) => d.push(data, &mut decoded),
                            Dec::Qp(d) => d.push(data, &mut decoded),
                        }
                    }
                }
                Event::PartEnd(end) => {
                    if dec.as_ref().is_some_and(|(p, _)| *p == end.part)
                        && let Some((_, d)) = dec.take()
                    {
                        match d {
                            Dec::B64(d) => drop(d.finish(&mut decoded)),
                            Dec::Qp(d) => drop(d.finish(&mut decoded)),
                        }
                    }
                }
                _ => {}
            };
            for piece in m.chunks(size) {
                parser.push(piece, &mut sink);
            }
            parser.finish(&mut sink);
            // the decoded octets go to a nested parser, again in pieces
            let mut nested = Parser::with_depth(MimeLimits::DEFAULT, enc.depth() + 1);
            let mut got: Vec<(String, Vec<u8>)> = Vec::new();
            let mut bodies = std::collections::BTreeMap::<u32, Vec<u8>>::new();
            let mut types: Vec<(u32, String)> = Vec::new();
            let mut nsink = |ev: Event<'_>| match ev {
                Event::HeaderEnd { part, header, .. } => types.push((
                    part,
                    format!("{}/{}", header.content_type.media_type, header.content_type.subtype),
                )),
                Event::Body { part, kind: BodyKind::Content, data, .. } => {
                    bodies.entry(part).or_default().extend_from_slice(data);
                }
                _ => {}
            };
            for piece in decoded.chunks(size) {
                nested.push(piece, &mut nsink);
            }
            nested.finish(&mut nsink);
            for (part, ty) in types {
                let multipart = ty.starts_with("multipart/");
                got.push((
                    ty,
                    if multipart { Vec::new() } else { bodies.remove(&part).unwrap_or_default() },
                ));
            }
            let want_leaf: Vec<(String, Vec<u8>)> = want
                .iter()
                .map(|(t, b)| {
                    (t.clone(), if t.starts_with("multipart/") { Vec::new() } else { b.clone() })
                })
                .collect();
            assert_eq!(got, want_leaf, "{cte}, pieces of {size}");
        }
    }
}
