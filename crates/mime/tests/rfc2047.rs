//! RFC 2047 known answers, each rule in strict and lenient mode side by side: the examples
//! of section 8, where an encoded word may appear (section 5: unstructured text, comments,
//! phrases; never quoted strings, addr-specs, Received), the syntax of section 2 (75
//! characters, tokens, encoded text) and the "Q" character limits of section 5.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use mailwire_mime::address::{Address, Mailbox, parse_address_list_opts};
use mailwire_mime::fields::parse_received;
use mailwire_mime::text::{Context, TextOptions, decode_in, decode_text};

const LENIENT: TextOptions = TextOptions::LENIENT_LOSSY;
const STRICT: TextOptions = TextOptions::STRICT;

/// (lenient, strict) decoding of `s` read in `ctx`.
fn both(ctx: Context, s: &str) -> (String, String) {
    (
        decode_in(s.as_bytes(), ctx, LENIENT).into_owned(),
        decode_in(s.as_bytes(), ctx, STRICT).into_owned(),
    )
}

fn mailboxes(s: &str, opts: TextOptions) -> Vec<Mailbox> {
    parse_address_list_opts(s.as_bytes(), opts)
        .iter()
        .flat_map(|a| a.mailboxes().to_vec())
        .collect()
}

/// (lenient, strict) display name of the only mailbox of `s`.
fn names(s: &str) -> (String, String) {
    let name = |opts| {
        let m = mailboxes(s, opts);
        assert_eq!(m.len(), 1, "{s}");
        m[0].name.clone().unwrap_or_default()
    };
    (name(LENIENT), name(STRICT))
}

fn same(s: &str) -> (String, String) {
    (s.to_string(), s.to_string())
}

fn pair(lenient: &str, strict: &str) -> (String, String) {
    (lenient.to_string(), strict.to_string())
}

#[test]
fn section8_comment_examples() {
    // RFC 2047 section 8: encoded words in comments, the displayed form on the right
    let table = [
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        ("(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        ("(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        ("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
    ];
    for (raw, shown) in table {
        assert_eq!(both(Context::Comment, raw), same(shown), "{raw}");
    }
    // "(" and ")" are ordinary text in unstructured fields: strict leaves the word alone
    assert_eq!(
        both(Context::Unstructured, "(=?ISO-8859-1?Q?a?=)"),
        pair("(a)", "(=?ISO-8859-1?Q?a?=)")
    );
    // but a word standing alone in unstructured text is decoded either way
    assert_eq!(both(Context::Unstructured, "(=?ISO-8859-1?Q?a?= b)").0, "(a b)");
    assert_eq!(both(Context::Unstructured, "( =?ISO-8859-1?Q?a?= b)"), same("( a b)"));
}

#[test]
fn section8_header_examples() {
    let cases = [
        ("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore"),
        ("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>", "Keld J\u{f8}rn Simonsen"),
        ("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", "Andr\u{e9} Pirard"),
        ("=?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>", "Olle J\u{e4}rnefors"),
        ("=?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>", "Patrik F\u{e4}ltstr\u{f6}m"),
    ];
    for (raw, name) in cases {
        assert_eq!(names(raw), same(name), "{raw}");
    }
    let subject = "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=";
    assert_eq!(
        both(Context::Unstructured, subject),
        same("If you can read this you understand the example.")
    );
    // a comment after the addr-spec, decoded as comment text (Hebrew, iso-8859-8)
    let from = "Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)";
    for opts in [LENIENT, STRICT] {
        let m = mailboxes(from, opts);
        assert_eq!(m[0].name.as_deref(), Some("Nathaniel Borenstein"));
        assert_eq!(m[0].address, "nsb@thumper.bellcore.com");
        assert_eq!(
            m[0].comments,
            ["\u{5dd}\u{5d5}\u{5dc}\u{5e9} \u{5df}\u{5d1} \u{5d9}\u{5dc}\u{5d8}\u{5e4}\u{5e0}"]
        );
    }
}

#[test]
fn unstructured_words_stand_between_white_space() {
    // section 5 (1): separated from adjacent text by linear white space
    assert_eq!(both(Context::Unstructured, "x=?utf-8?Q?y?=z"), pair("xyz", "x=?utf-8?Q?y?=z"));
    assert_eq!(both(Context::Unstructured, "x =?utf-8?Q?y?=z"), pair("x yz", "x =?utf-8?Q?y?=z"));
    assert_eq!(
        both(Context::Unstructured, "\"=?utf-8?Q?y?=\""),
        pair("\"y\"", "\"=?utf-8?Q?y?=\"")
    );
    assert_eq!(both(Context::Unstructured, "a\t=?utf-8?Q?y?=\tb"), same("a\ty\tb"));
    // adjacent words: the white space between them goes (section 6.2)
    assert_eq!(both(Context::Unstructured, "=?utf-8?Q?a?= \t =?utf-8?Q?b?= c"), same("ab c"));
}

#[test]
fn word_length_is_at_most_75() {
    // section 2: "An 'encoded-word' may not be more than 75 characters long"
    let w75 = format!("=?utf-8?Q?{}?=", "a".repeat(75 - 12));
    let w76 = format!("=?utf-8?Q?{}?=", "a".repeat(76 - 12));
    assert_eq!((w75.len(), w76.len()), (75, 76));
    assert_eq!(both(Context::Unstructured, &w75), same(&"a".repeat(63)));
    assert_eq!(both(Context::Unstructured, &w76), pair(&"a".repeat(64), &w76));
    assert_eq!(names(&format!("{w76} <a@b>")), pair(&"a".repeat(64), &w76));
}

#[test]
fn section2_syntax() {
    let cases = [
        // "?" inside the encoded text
        ("=?utf-8?Q?a?b?=", "a?b"),
        // an especial ("." here) in the charset token
        ("=?utf.8?Q?a?=", "a"),
        // empty encoded text
        ("x =?utf-8?Q??= y", "x  y"),
        // "B" text that is not whole base64 quanta
        ("=?utf-8?B?YQ?=", "a"),
        // "Q" text with an "=" that starts no escape
        ("=?utf-8?Q?a=ZZ?=", "a=ZZ"),
        // an octet outside printable ASCII in the encoded text
        ("=?utf-8?Q?a\u{e9}?=", "a\u{e9}"),
    ];
    for (raw, lenient) in cases {
        assert_eq!(both(Context::Unstructured, raw), pair(lenient, raw), "{raw}");
    }
    // well-formed words with a language (RFC 2231 section 5) decode in both modes
    assert_eq!(both(Context::Unstructured, "=?US-ASCII*EN?Q?Keith_Moore?="), same("Keith Moore"));
    assert_eq!(both(Context::Unstructured, "=?utf-8?b?w6k=?="), same("\u{e9}"));
    // an encoding other than B and Q is never a word
    assert_eq!(both(Context::Unstructured, "=?utf-8?X?a?="), same("=?utf-8?X?a?="));
}

#[test]
fn phrases_decode_whole_atoms_only() {
    // section 5 (3): an encoded word replaces a word of the phrase; never in a quoted string
    assert_eq!(names("\"=?utf-8?Q?Ann?=\" <a@b>"), pair("Ann", "=?utf-8?Q?Ann?="));
    assert_eq!(
        names("\"Dr. =?utf-8?Q?Ren=C3=A9e?=\" <a@b>"),
        pair("Dr. Ren\u{e9}e", "Dr. =?utf-8?Q?Ren=C3=A9e?=")
    );
    // a word glued to other characters is not a whole atom
    assert_eq!(names("foo=?utf-8?Q?bar?= <a@b>"), pair("foobar", "foo=?utf-8?Q?bar?="));
    // whole atoms, adjacent ones joined, quoted strings kept beside them
    assert_eq!(names("=?utf-8?Q?a?= =?utf-8?Q?b?= <x@y>"), same("ab"));
    assert_eq!(names("=?utf-8?Q?Ren=C3=A9e?= \"Q.\" Smith <x@y>"), same("Ren\u{e9}e Q. Smith"));
    // a comment between two words keeps them apart
    assert_eq!(names("=?utf-8?Q?a?= (c) =?utf-8?Q?b?= <x@y>"), pair("ab", "a b"));
    // the same rules for a phrase read as text
    assert_eq!(
        both(Context::Phrase, "\"=?utf-8?Q?a?=\" =?utf-8?Q?b?= (=?utf-8?Q?c?=)"),
        pair("\"a\" b (c)", "\"=?utf-8?Q?a?=\" b (c)")
    );
    assert_eq!(both(Context::Phrase, "x=?utf-8?Q?b?="), pair("xb", "x=?utf-8?Q?b?="));
    // a comment ends an atom; a stray ")" does not
    assert_eq!(both(Context::Phrase, "(c)=?utf-8?Q?b?="), same("(c)b"));
    assert_eq!(both(Context::Phrase, "c)=?utf-8?Q?b?="), pair("c)b", "c)=?utf-8?Q?b?="));
}

#[test]
fn q_characters_in_phrases_and_comments() {
    // section 5 (3): in a phrase, "Q" text holds letters, digits and ! * + - / = _ only
    assert_eq!(names("=?utf-8?Q?a!*+-/_b=C3=A9?= <x@y>"), same("a!*+-/ b\u{e9}"));
    for c in [".", ",", "\"", "(", ")", "<", "@", ":", ";", "#", "~"] {
        let raw = format!("=?utf-8?Q?a{c}b?=");
        assert_eq!(both(Context::Phrase, &raw), pair(&format!("a{c}b"), &raw), "{c}");
    }
    // "B" words are not limited that way
    assert_eq!(both(Context::Phrase, "=?utf-8?B?YS5i?="), same("a.b"));
    // section 5 (2): in a comment, "Q" text holds no "(", ")" or '"'
    assert_eq!(both(Context::Comment, "(=?utf-8?Q?a.b?=)"), same("(a.b)"));
    assert_eq!(both(Context::Comment, "(=?utf-8?Q?a\"b?=)"), pair("(a\"b)", "(=?utf-8?Q?a\"b?=)"));
    // in unstructured text any printable character but "?" may be encoded text
    assert_eq!(both(Context::Unstructured, "=?utf-8?Q?a\"(b)?="), same("a\"(b)"));
}

#[test]
fn never_in_addr_specs_nor_received() {
    for opts in [LENIENT, STRICT] {
        let m = mailboxes("=?utf-8?Q?a?= <=?utf-8?Q?b?=@example.com>", opts);
        assert_eq!(m[0].address, "=?utf-8?Q?b?=@example.com");
        let m = mailboxes("=?utf-8?Q?b?=@example.com", opts);
        assert_eq!(
            (m[0].name.as_deref(), m[0].address.as_str()),
            (None, "=?utf-8?Q?b?=@example.com")
        );
    }
    let r = parse_received(b" from =?utf-8?Q?x?= by y.example; 1 Jan 2025 00:00:00 +0000");
    assert_eq!(r.clause("from"), Some("=?utf-8?Q?x?="));
}

#[test]
fn groups_and_comments() {
    let list = "=?utf-8?Q?T=C3=A9am?=: \"=?utf-8?Q?x?=\" <a@b> (=?utf-8?Q?c?= d), e@f;";
    for (opts, member) in [(LENIENT, "x"), (STRICT, "=?utf-8?Q?x?=")] {
        let l = parse_address_list_opts(list.as_bytes(), opts);
        let Address::Group { name, members } = &l[0] else { panic!("{l:?}") };
        assert_eq!(name, "T\u{e9}am");
        assert_eq!(members[0].name.as_deref(), Some(member));
        assert_eq!(members[0].comments, ["c d"]);
        assert_eq!(members[1].address, "e@f");
    }
    let m = mailboxes("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", STRICT);
    assert_eq!(m[0].name.as_deref(), Some("Pete"));
    assert_eq!(m[0].address, "pete@silly.test");
    assert_eq!(m[0].comments, ["A nice ) chap", "his account", "his host"]);
}

#[test]
fn no_line_breaks_in_either_mode() {
    for opts in [LENIENT, STRICT] {
        let t = decode_text(b"=?utf-8?Q?a=0D=0ABcc:_x?= y", opts);
        assert_eq!(t, "aBcc: x y");
        let m = mailboxes("=?utf-8?Q?a=0D=0Ab?= <x@y> (=?utf-8?Q?c=0A?=)", opts);
        assert_eq!(m[0].name.as_deref(), Some("ab"));
        assert_eq!(m[0].comments, ["c"]);
    }
}

/// RFC 2047 section 5: an encoded word never appears in a MIME parameter (RFC 2231 is the way).
/// Strict mode leaves one as written; lenient mode (the default) decodes it, because mailers
/// put them in file names.
#[test]
fn parameters_strict_and_lenient() {
    use mailwire_mime::params::{parse_content_type_opts, parse_disposition_opts};
    let ct = b"application/pdf; name=\"=?utf-8?B?w6k=?=.pdf\"";
    let lenient = parse_content_type_opts(ct, 10, TextOptions::default()).map(|c| c.0);
    assert_eq!(lenient.as_ref().and_then(|c| c.param("name")), Some("\u{e9}.pdf"));
    let strict = parse_content_type_opts(ct, 10, TextOptions::STRICT).map(|c| c.0);
    assert_eq!(strict.as_ref().and_then(|c| c.param("name")), Some("=?utf-8?B?w6k=?=.pdf"));
    let cd = b"attachment; filename==?iso-8859-1?Q?caf=E9?=.txt";
    let lenient = parse_disposition_opts(cd, 10, TextOptions::default()).map(|c| c.0);
    assert_eq!(lenient.as_ref().and_then(|c| c.param("filename")), Some("caf\u{e9}.txt"));
    let strict = parse_disposition_opts(cd, 10, TextOptions::STRICT).map(|c| c.0);
    assert_eq!(
        strict.as_ref().and_then(|c| c.param("filename")),
        Some("=?iso-8859-1?Q?caf=E9?=.txt")
    );
    // RFC 2231 is decoded in both modes
    let ext = b"attachment; filename*=iso-8859-1''caf%E9.txt";
    for opts in [TextOptions::default(), TextOptions::STRICT] {
        let d = parse_disposition_opts(ext, 10, opts).map(|c| c.0);
        assert_eq!(d.as_ref().and_then(|c| c.param("filename")), Some("caf\u{e9}.txt"));
    }
}
