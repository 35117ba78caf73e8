//! Dot-stuffing codec: known answers (the SMTP smuggling variants among them), split-point
//! tests and round-trip properties.
#![allow(clippy::indexing_slicing, reason = "test helpers: a panic is a failed test")]

use mailwire_core::{BareLineEndings, BytesMut, DotError, DotStatus, DotStuffer, DotUnstuffer};
use proptest::prelude::*;

/// Decodes `input` whole, resuming after each reported error. Returns the body, whether the
/// end was found and where, and the errors seen.
fn unstuff(input: &[u8], policy: BareLineEndings) -> (Vec<u8>, Option<usize>, Vec<DotError>) {
    let mut dec = DotUnstuffer::new(policy);
    let mut out = BytesMut::new();
    let mut errors = Vec::new();
    let mut at = 0;
    loop {
        match dec.decode(&input[at..], &mut out) {
            Ok(DotStatus::NeedMore) => return (out.to_vec(), None, errors),
            Ok(DotStatus::Complete { consumed }) => {
                return (out.to_vec(), Some(at + consumed), errors);
            }
            Err(e) => {
                errors.push(e);
                at += e.consumed();
            }
        }
    }
}

/// Decodes `input` cut into the given pieces; the end offset is relative to the whole input.
fn unstuff_chunked(pieces: &[&[u8]], policy: BareLineEndings) -> (Vec<u8>, Option<usize>, usize) {
    let mut dec = DotUnstuffer::new(policy);
    let mut out = BytesMut::new();
    let mut errors = 0;
    let mut base = 0;
    for piece in pieces {
        let mut at = 0;
        loop {
            match dec.decode(&piece[at..], &mut out) {
                Ok(DotStatus::NeedMore) => break,
                Ok(DotStatus::Complete { consumed }) => {
                    return (out.to_vec(), Some(base + at + consumed), errors);
                }
                Err(e) => {
                    errors += 1;
                    at += e.consumed();
                }
            }
        }
        base += piece.len();
    }
    (out.to_vec(), None, errors)
}

fn stuff_chunked(pieces: &[&[u8]]) -> Vec<u8> {
    let mut enc = DotStuffer::new();
    let mut out = BytesMut::new();
    for p in pieces {
        enc.encode(p, &mut out);
    }
    enc.finish(&mut out);
    out.to_vec()
}

#[test]
fn empty_message_is_just_the_end_marker() {
    assert_eq!(unstuff(b".\r\n", BareLineEndings::Reject), (vec![], Some(3), vec![]));
    assert_eq!(stuff_chunked(&[]), b".\r\n");
    assert_eq!(stuff_chunked(&[b""]), b".\r\n");
}

#[test]
fn first_line_dot_is_unstuffed_and_stuffed() {
    assert_eq!(unstuff(b"..a\r\n.\r\n", BareLineEndings::Reject).0, b".a\r\n");
    assert_eq!(stuff_chunked(&[b".a"]), b"..a\r\n.\r\n");
    assert_eq!(stuff_chunked(&[b"."]), b"..\r\n.\r\n");
}

#[test]
fn known_answers_encoder() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"a\r\nb\r\n", b"a\r\nb\r\n.\r\n"),
        (b"a\r\nb", b"a\r\nb\r\n.\r\n"),
        (b"a\nb\n", b"a\r\nb\r\n.\r\n"),
        (b"a\rb\r", b"a\r\nb\r\n.\r\n"),
        (b"a\r\r\nb", b"a\r\n\r\nb\r\n.\r\n"),
        (b"\n.\n..\n", b"\r\n..\r\n...\r\n.\r\n"),
        (b"x.\r\n.y", b"x.\r\n..y\r\n.\r\n"),
        (b"\r\n", b"\r\n.\r\n"),
    ];
    for (input, want) in cases {
        assert_eq!(stuff_chunked(&[input]), *want, "input {:?}", String::from_utf8_lossy(input));
        assert_eq!(&DotStuffer::encode_all(input)[..], *want);
    }
}

#[test]
fn known_answers_decoder() {
    let cases: &[(&[u8], &[u8], Option<usize>)] = &[
        (b"a\r\n.\r\n", b"a\r\n", Some(6)),
        (b"a\r\n..\r\n.\r\n", b"a\r\n.\r\n", Some(10)),
        (b"a\r\n.b\r\n.\r\n", b"a\r\nb\r\n", Some(10)),
        (b"a\r\n.\r\nNEXT", b"a\r\n", Some(6)),
        (b"a\r\n.", b"a\r\n", None),
        (b"a\r\n.\r", b"a\r\n", None),
    ];
    for (input, body, end) in cases {
        let (got, got_end, errs) = unstuff(input, BareLineEndings::Reject);
        assert_eq!(
            (&got[..], got_end),
            (*body, *end),
            "input {:?}",
            String::from_utf8_lossy(input)
        );
        assert!(errs.is_empty());
    }
}

/// Checks one end-of-data variant used for SMTP smuggling: it must not end the body under any
/// policy or any split, the real `CRLF.CRLF` after it still does, and the default policy
/// reports the bare line ending it contains.
fn assert_not_an_end(variant: &[u8], has_bare_ending: bool) {
    let mut input = b"header: x\r\n\r\nbody".to_vec();
    input.extend_from_slice(variant);
    input.extend_from_slice(b"MAIL FROM:<evil@example.com>\r\n");
    let real_end = input.len() + 5;
    input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
    for policy in [BareLineEndings::Reject, BareLineEndings::Normalize, BareLineEndings::Keep] {
        let (body, end, _) = unstuff(&input, policy);
        assert_eq!(end, Some(real_end), "ended the body under {policy:?}");
        assert!(String::from_utf8_lossy(&body).contains("MAIL FROM:<evil@example.com>"));
        for cut in 1..input.len() {
            let (a, b) = input.split_at(cut);
            let (body2, end2, _) = unstuff_chunked(&[a, b], policy);
            assert_eq!((body2, end2), (body.clone(), end), "split at {cut} under {policy:?}");
        }
    }
    let (_, _, errors) = unstuff(&input, BareLineEndings::Reject);
    assert_eq!(!errors.is_empty(), has_bare_ending, "bare ending reported: {errors:?}");
}

macro_rules! smuggling {
    ($($name:ident: $bytes:expr, $bare:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_not_an_end($bytes, $bare);
        }
    )*};
}

smuggling! {
    smuggling_lf_dot_lf: b"\n.\n", true;
    smuggling_lf_dot_crlf: b"\n.\r\n", true;
    smuggling_crlf_dot_lf: b"\r\n.\n", true;
    smuggling_cr_dot_cr: b"\r.\r", true;
    smuggling_cr_dot_crlf: b"\r.\r\n", true;
    smuggling_crlf_dot_cr: b"\r\n.\r", true;
    smuggling_lf_dot_cr: b"\n.\r", true;
    smuggling_cr_dot_lf: b"\r.\n", true;
    smuggling_crlf_cr_dot_crlf: b"\r\n\r.\r\n", true;
    smuggling_crlf_nul_dot_crlf: b"\r\n\0.\r\n", false;
    smuggling_crlf_space_dot_crlf: b"\r\n .\r\n", false;
}

#[test]
fn bare_line_ending_policies() {
    let input = b"a\nb\rc\r\n.\r\n";
    let (body, end, errors) = unstuff(input, BareLineEndings::Reject);
    assert_eq!(body, b"a\nb\rc\r\n");
    assert_eq!(end, Some(input.len()));
    // offsets are relative to the input of each call (the second call resumes at "b")
    assert_eq!(errors, vec![DotError::BareLf { consumed: 2 }, DotError::BareCr { consumed: 2 }]);
    let (body, _, errors) = unstuff(input, BareLineEndings::Normalize);
    assert_eq!(body, b"a\r\nb\r\nc\r\n");
    assert!(errors.is_empty());
    let (body, _, errors) = unstuff(input, BareLineEndings::Keep);
    assert_eq!(body, b"a\nb\rc\r\n");
    assert!(errors.is_empty());
}

#[test]
fn dot_then_bare_cr_is_not_an_end_and_keeps_the_cr() {
    let input = b"x\r\n.\ry\r\n.\r\n";
    let (body, end, errors) = unstuff(input, BareLineEndings::Keep);
    assert_eq!(body, b"x\r\n\ry\r\n");
    assert_eq!(end, Some(input.len()));
    assert!(errors.is_empty());
    let (body, _, errors) = unstuff(input, BareLineEndings::Normalize);
    assert_eq!(body, b"x\r\n\r\ny\r\n");
    assert!(errors.is_empty());
    let (_, _, errors) = unstuff(input, BareLineEndings::Reject);
    assert_eq!(errors.len(), 1);
}

#[test]
fn done_decoder_consumes_nothing_until_reset() {
    let mut dec = DotUnstuffer::new(BareLineEndings::Reject);
    let mut out = BytesMut::new();
    assert_eq!(dec.decode(b".\r\n", &mut out), Ok(DotStatus::Complete { consumed: 3 }));
    assert!(dec.is_done());
    assert_eq!(dec.decode(b"more", &mut out), Ok(DotStatus::Complete { consumed: 0 }));
    dec.reset();
    assert_eq!(dec.decode(b"z\r\n.\r\n", &mut out), Ok(DotStatus::Complete { consumed: 6 }));
    assert_eq!(&out[..], b"z\r\n");
}

/// Cutting the input at every byte position (and into single bytes) gives identical output.
#[test]
fn split_points_decoder() {
    let input: &[u8] = b"..a\r\n.\r\r\n\r\n...\r\nb\nc\rd\r\n.x\r\n\r\n.\r\nAFTER";
    for policy in [BareLineEndings::Reject, BareLineEndings::Normalize, BareLineEndings::Keep] {
        let (whole, end, errs) = unstuff(input, policy);
        assert_eq!(end, Some(input.len() - 5));
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            let (body, e, n) = unstuff_chunked(&[a, b], policy);
            assert_eq!((&body, e, n), (&whole, end, errs.len()), "cut {cut} {policy:?}");
        }
        let singles: Vec<&[u8]> = input.chunks(1).collect();
        let (body, e, n) = unstuff_chunked(&singles, policy);
        assert_eq!((&body, e, n), (&whole, end, errs.len()), "bytewise {policy:?}");
    }
}

#[test]
fn split_points_encoder() {
    let input: &[u8] = b".a\r\n.\r\n\r\rb\nc\r\n..\r";
    let whole = stuff_chunked(&[input]);
    for cut in 0..=input.len() {
        let (a, b) = input.split_at(cut);
        assert_eq!(stuff_chunked(&[a, b]), whole, "cut {cut}");
    }
    let singles: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(stuff_chunked(&singles), whole);
}

/// The documented normalisation: every line ending becomes CRLF, and a body that does not end
/// with a line ending gains one.
fn normalise(x: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < x.len() {
        match x[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if x.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'.'), Just(b'a'), any::<u8>()],
        0..400,
    )
}

proptest! {
    #[test]
    fn roundtrip_unstuff_of_stuff(x in body_bytes(), cuts in proptest::collection::vec(0usize..400, 0..6)) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(x.len())).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut prev = 0;
        for c in cuts.into_iter().chain([x.len()]) {
            pieces.push(&x[prev..c]);
            prev = c;
        }
        let stuffed = stuff_chunked(&pieces);
        prop_assert_eq!(&stuffed, &stuff_chunked(&[&x]));
        // the stuffed form holds no bare line ending and exactly one end marker, at the end
        let (body, end, errors) = unstuff(&stuffed, BareLineEndings::Reject);
        prop_assert!(errors.is_empty());
        prop_assert_eq!(end, Some(stuffed.len()));
        prop_assert_eq!(body, normalise(&x));
    }

    #[test]
    fn decoder_split_anywhere_is_identical(x in body_bytes(), cut in 0usize..420, lenient in 0u8..3) {
        let policy = [BareLineEndings::Reject, BareLineEndings::Normalize, BareLineEndings::Keep][lenient as usize];
        let mut input = x.clone();
        input.extend_from_slice(b"\r\n.\r\ntail");
        let cut = cut.min(input.len());
        let whole = unstuff(&input, policy);
        let (a, b) = input.split_at(cut);
        let parts = unstuff_chunked(&[a, b], policy);
        prop_assert_eq!((&whole.0, whole.1, whole.2.len()), (&parts.0, parts.1, parts.2));
        // the end is always found, never past the real marker
        prop_assert!(whole.1.is_some());
        prop_assert!(whole.1.unwrap() <= input.len() - 4);
    }
}

/// Long, mostly clean bodies with rare anomalies (bare CR/LF, dots at line starts, the end
/// marker variants): the bulk scan (taken on whole input) must agree with byte-by-byte decoding
/// (which never takes it).
fn long_bodies() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        8 => Just(b"plain text line with enough words to fill a block of the scanner\r\n".to_vec()),
        2 => Just(b"short\r\n".to_vec()),
        1 => Just(b"..stuffed\r\n".to_vec()),
        1 => Just(b"bare lf\n".to_vec()),
        1 => Just(b"bare cr\rx\r\n".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        1 => Just(b".\rx\r\n".to_vec()),
        1 => Just(b"x\n.\r\n".to_vec()),
        1 => Just(b"x\r\n.\n".to_vec()),
    ];
    proptest::collection::vec(line, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn bulk_scan_agrees_with_bytewise(x in long_bodies(), policy in 0u8..3) {
        let policy = [BareLineEndings::Reject, BareLineEndings::Normalize, BareLineEndings::Keep][policy as usize];
        let mut input = x.clone();
        input.extend_from_slice(b"\r\n.\r\nNEXT");
        let whole = unstuff(&input, policy);
        let singles: Vec<&[u8]> = input.chunks(1).collect();
        let bytewise = unstuff_chunked(&singles, policy);
        prop_assert_eq!((&whole.0, whole.1, whole.2.len()), (&bytewise.0, bytewise.1, bytewise.2));
    }
}
