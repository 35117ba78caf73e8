//! IMAP views of the message tree: known answers from RFC 3501 / RFC 9051, hand-checked
//! messages, section lookups, a grammar check over generated messages, and the fuzz body
//! replayed on stable.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::format_push_string,
    reason = "test code: a panic is a failed test; python3 finds the CPython corpus"
)]

use mailwire_mime::Message;
use mailwire_mime::imap::{self, ImapOptions};
use proptest::prelude::*;

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

/// `lines` CRLF-terminated lines of filler totalling exactly `octets` octets.
fn filler(octets: usize, lines: usize, c: char) -> String {
    let content = octets - 2 * lines;
    let (base, extra) = (content / lines, content % lines);
    let mut s = String::with_capacity(octets);
    for i in 0..lines {
        let n = base + usize::from(i < extra);
        s.extend(std::iter::repeat_n(c, n));
        s.push_str("\r\n");
    }
    assert_eq!(s.len(), octets);
    s
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

// ---------------------------------------------------------------------------------------
// A tiny IMAP reader: tokens to a tree, then the RFC 9051 `body` grammar on top.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Sx {
    List(Vec<Sx>),
    Str(Vec<u8>),
    Nil,
    Num(u64),
}

fn parse_sx(b: &[u8], i: &mut usize) -> Result<Sx, String> {
    let err = |i: usize, what: &str| Err(format!("{what} at {i}"));
    match b.get(*i) {
        Some(b'(') => {
            *i += 1;
            let mut items = Vec::new();
            loop {
                match b.get(*i) {
                    Some(b')') => {
                        *i += 1;
                        return Ok(Sx::List(items));
                    }
                    Some(b' ') if !items.is_empty() => {
                        *i += 1;
                        items.push(parse_sx(b, i)?);
                    }
                    _ if items.is_empty() => items.push(parse_sx(b, i)?),
                    Some(b'(') if matches!(items.last(), Some(Sx::List(_))) => {
                        // `1*body` of a multipart: bodies follow each other without a space
                        items.push(parse_sx(b, i)?);
                    }
                    _ => return err(*i, "expected space or )"),
                }
            }
        }
        Some(b'"') => {
            *i += 1;
            let mut v = Vec::new();
            loop {
                match b.get(*i) {
                    Some(b'\\') => match b.get(*i + 1) {
                        Some(&c @ (b'\\' | b'"')) => {
                            v.push(c);
                            *i += 2;
                        }
                        _ => return err(*i, "bad escape"),
                    },
                    Some(b'"') => {
                        *i += 1;
                        return Ok(Sx::Str(v));
                    }
                    Some(b'\r' | b'\n' | 0) | None => return err(*i, "bad quoted string"),
                    Some(&c) => {
                        v.push(c);
                        *i += 1;
                    }
                }
            }
        }
        Some(b'{') => {
            let close = *i + b[*i..].iter().position(|&c| c == b'}').ok_or("no }")?;
            let n: usize = std::str::from_utf8(&b[*i + 1..close])
                .ok()
                .and_then(|d| d.parse().ok())
                .ok_or("bad literal length")?;
            if b.get(close + 1..close + 3) != Some(b"\r\n") {
                return err(close, "literal without CRLF");
            }
            let v = b.get(close + 3..close + 3 + n).ok_or("short literal")?.to_vec();
            *i = close + 3 + n;
            Ok(Sx::Str(v))
        }
        Some(b'N') if b.get(*i..*i + 3) == Some(b"NIL") => {
            *i += 3;
            Ok(Sx::Nil)
        }
        Some(c) if c.is_ascii_digit() => {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            Ok(Sx::Num(std::str::from_utf8(&b[start..*i]).unwrap().parse().unwrap()))
        }
        _ => err(*i, "unexpected octet"),
    }
}

fn read(b: &[u8]) -> Result<Sx, String> {
    let mut i = 0;
    let v = parse_sx(b, &mut i)?;
    if i == b.len() { Ok(v) } else { Err(format!("trailing octets at {i}")) }
}

fn is_str(s: &Sx) -> bool {
    matches!(s, Sx::Str(_))
}
fn is_nstring(s: &Sx) -> bool {
    matches!(s, Sx::Str(_) | Sx::Nil)
}
fn is_params(s: &Sx) -> bool {
    match s {
        Sx::Nil => true,
        Sx::List(v) => !v.is_empty() && v.len() % 2 == 0 && v.iter().all(is_str),
        _ => false,
    }
}
fn is_dsp(s: &Sx) -> bool {
    match s {
        Sx::Nil => true,
        Sx::List(v) => v.len() == 2 && is_str(&v[0]) && is_params(&v[1]),
        _ => false,
    }
}
fn is_lang(s: &Sx) -> bool {
    match s {
        Sx::List(v) => !v.is_empty() && v.iter().all(is_str),
        other => is_nstring(other),
    }
}

fn check_address_list(s: &Sx) -> Result<(), String> {
    match s {
        Sx::Nil => Ok(()),
        Sx::List(v) if !v.is_empty() => {
            for a in v {
                let Sx::List(f) = a else { return Err(format!("address {a:?}")) };
                if f.len() != 4 || !f.iter().all(is_nstring) {
                    return Err(format!("address {a:?}"));
                }
            }
            Ok(())
        }
        other => Err(format!("address list {other:?}")),
    }
}

fn check_envelope(e: &Sx) -> Result<(), String> {
    let Sx::List(v) = e else { return Err(format!("envelope {e:?}")) };
    if v.len() != 10 {
        return Err(format!("envelope of {} items", v.len()));
    }
    for i in [0, 1, 8, 9] {
        if !is_nstring(&v[i]) {
            return Err(format!("envelope item {i}: {:?}", v[i]));
        }
    }
    v[2..8].iter().try_for_each(check_address_list)
}

fn check_ext(ext: &[Sx]) -> Result<(), String> {
    let ok = match ext {
        [] => true,
        [dsp, rest @ ..] => {
            is_dsp(dsp)
                && match rest {
                    [] => true,
                    [lang, rest @ ..] => {
                        is_lang(lang) && rest.len() <= 1 && rest.iter().all(is_nstring)
                    }
                }
        }
    };
    if ok { Ok(()) } else { Err(format!("extension data {ext:?}")) }
}

/// Checks the `body` grammar with an explicit stack; counts the one-part bodies.
fn check_body(top: &Sx) -> Result<usize, String> {
    let mut leaves = 0;
    let mut stack = vec![top];
    while let Some(b) = stack.pop() {
        let Sx::List(v) = b else { return Err(format!("body {b:?}")) };
        let n = v.iter().take_while(|x| matches!(x, Sx::List(_))).count();
        if n > 0 {
            stack.extend(&v[..n]);
            let rest = &v[n..];
            let [subtype, ext @ ..] = rest else { return Err("multipart without subtype".into()) };
            if !is_str(subtype) {
                return Err(format!("multipart subtype {subtype:?}"));
            }
            if let [params, ext @ ..] = ext {
                if !is_params(params) {
                    return Err(format!("multipart params {params:?}"));
                }
                check_ext(ext)?;
            }
            continue;
        }
        leaves += 1;
        if v.len() < 7 {
            return Err(format!("one-part body of {} items", v.len()));
        }
        let fields_ok = is_str(&v[0])
            && is_str(&v[1])
            && is_params(&v[2])
            && is_nstring(&v[3])
            && is_nstring(&v[4])
            && is_str(&v[5])
            && matches!(v[6], Sx::Num(_));
        if !fields_ok {
            return Err(format!("body fields {v:?}"));
        }
        let upper = |s: &Sx| match s {
            Sx::Str(x) => x.to_ascii_uppercase(),
            _ => Vec::new(),
        };
        let ext_at = if upper(&v[0]) == b"MESSAGE"
            && matches!(upper(&v[1]).as_slice(), b"RFC822" | b"GLOBAL")
        {
            check_envelope(v.get(7).ok_or("no envelope")?)?;
            stack.push(v.get(8).ok_or("no body")?);
            if !matches!(v.get(9), Some(Sx::Num(_))) {
                return Err("message without lines".into());
            }
            10
        } else if upper(&v[0]) == b"TEXT" {
            if !matches!(v.get(7), Some(Sx::Num(_))) {
                return Err("text without lines".into());
            }
            8
        } else {
            7
        };
        if let Some((md5, ext)) = v.get(ext_at..).and_then(<[Sx]>::split_first) {
            if !is_nstring(md5) {
                return Err(format!("md5 {md5:?}"));
            }
            check_ext(ext)?;
        }
    }
    Ok(leaves)
}

fn structure_ok(out: &[u8]) -> Result<usize, String> {
    check_body(&read(out)?)
}

// ---------------------------------------------------------------------------------------
// Known answers

/// RFC 3501 7.4.2 / RFC 9051 7.5.2: the multipart example of BODY / BODYSTRUCTURE.
#[test]
fn rfc_multipart_example() {
    let msg = format!(
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n{}\r\n--x\r\n\
         Content-Type: text/plain; charset=US-ASCII; name=cc.diff\r\n\
         Content-ID: <960723163407.20117h@cac.washington.edu>\r\n\
         Content-Description: Compiler diff\r\nContent-Transfer-Encoding: BASE64\r\n\r\n{}\r\n--x--\r\n",
        filler(1152, 23, 'a'),
        filler(4554, 73, 'Q'),
    );
    let msg = Message::parse(msg.into_bytes());
    assert_eq!(
        text(&imap::body(msg.root())),
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)\
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") \
         \"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" 4554 73) \"MIXED\")"
    );
    let bs = imap::body_structure(msg.root());
    assert_eq!(structure_ok(&bs), Ok(2));
    assert!(text(&bs).ends_with(" \"MIXED\" (\"BOUNDARY\" \"x\") NIL NIL NIL)"));
}

/// RFC 3501 6.4.5 / RFC 9051 6.4.5: the FETCH example's ENVELOPE and BODY.
#[test]
fn rfc_fetch_example_envelope() {
    let msg = format!(
        "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
         From: Terry Gray <gray@cac.washington.edu>\r\n\
         Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
         To: imap@cac.washington.edu\r\n\
         cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
         Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
         MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n{}",
        filler(3028, 92, 'm'),
    );
    let msg = Message::parse(msg.into_bytes());
    assert_eq!(
        text(&imap::envelope(msg.root())),
        "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((NIL NIL \"imap\" \"cac.washington.edu\")) \
         ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) \
         NIL NIL \"<B27397-0100000@cac.washington.edu>\")"
    );
    assert_eq!(
        text(&imap::body(msg.root())),
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)"
    );
}

#[test]
fn defaults_missing_fields_and_extension_data() {
    // no Content-Type: text/plain; charset us-ascii; no CTE: 7BIT; no header fields: all NIL
    let msg = Message::parse(&b"\r\nhello\r\nworld"[..]);
    assert_eq!(
        text(&imap::body_structure(msg.root())),
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 12 2 NIL NIL NIL NIL)"
    );
    assert_eq!(text(&imap::envelope(msg.root())), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");

    // a charset given is kept; other parameters keep their order, the default charset last
    let msg = Message::parse(crlf(
        "Content-Type: text/html; format=flowed\nContent-Disposition: attachment; \
         filename=\"a \\\"b\\\" \\\\c.html\"\nContent-Language: en-GB, (comment) de\n\
         Content-Location: http://example.com/a\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n\
         Content-Transfer-Encoding: Quoted-Printable\n\nx=\n",
    ));
    assert_eq!(
        text(&imap::body_structure(msg.root())),
        "(\"TEXT\" \"HTML\" (\"FORMAT\" \"flowed\" \"CHARSET\" \"US-ASCII\") NIL NIL \
         \"QUOTED-PRINTABLE\" 4 1 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" \
         (\"ATTACHMENT\" (\"FILENAME\" \"a \\\"b\\\" \\\\c.html\")) (\"en-GB\" \"de\") \
         \"http://example.com/a\")"
    );

    // a non-text leaf has no line count; one language is a string
    let msg = Message::parse(crlf(
        "Content-Type: image/png; name=x.png\nContent-Language: fr\nContent-Transfer-Encoding: base64\n\niVBORw0K\n",
    ));
    assert_eq!(
        text(&imap::body_structure(msg.root())),
        "(\"IMAGE\" \"PNG\" (\"NAME\" \"x.png\") NIL NIL \"BASE64\" 10 NIL NIL \"fr\" NIL)"
    );
}

#[test]
fn nested_multipart_and_encapsulated_message() {
    let raw = crlf(
        "From: outer@example.com\nSubject: outer\nContent-Type: multipart/mixed; boundary=o\n\n\
         --o\nContent-Type: multipart/alternative; boundary=a\n\n--a\n\nplain\n--a\n\
         Content-Type: text/html; charset=utf-8\n\n<p>html</p>\n--a--\n\n--o\n\
         Content-Type: message/rfc822\nContent-Description: fwd\n\n\
         From: \"In, Side\" <in@example.org>\nSubject: inner\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n\
         inner body\n--o--\n",
    );
    let msg = Message::parse(raw);
    let inner_env = "(\"Mon, 1 Jan 2024 00:00:00 +0000\" \"inner\" ((\"In, Side\" NIL \"in\" \"example.org\")) \
                     ((\"In, Side\" NIL \"in\" \"example.org\")) ((\"In, Side\" NIL \"in\" \"example.org\")) \
                     NIL NIL NIL NIL NIL)";
    let want = format!(
        "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 1)\
         (\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 11 1) \"ALTERNATIVE\")\
         (\"MESSAGE\" \"RFC822\" NIL NIL \"fwd\" \"7BIT\" 101 {inner_env} \
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 1) 5) \"MIXED\")"
    );
    assert_eq!(text(&imap::body(msg.root())), want);
    assert_eq!(structure_ok(&imap::body_structure(msg.root())), Ok(4));
    assert_eq!(structure_ok(&imap::body(msg.root())), Ok(4));
}

#[test]
fn multipart_digest_children_default_to_message_rfc822() {
    let msg = Message::parse(crlf(
        "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d--\n",
    ));
    assert_eq!(
        text(&imap::body(msg.root())),
        "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 21 (NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL) \
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 1) 3) \"DIGEST\")"
    );
}

#[test]
fn multipart_without_parts_gets_an_empty_text_part() {
    let msg = Message::parse(crlf("Content-Type: multipart/mixed; boundary=z\n\nno parts here\n"));
    assert_eq!(
        text(&imap::body_structure(msg.root())),
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL) \
         \"MIXED\" (\"BOUNDARY\" \"z\") NIL NIL NIL)"
    );
}

#[test]
fn envelope_groups_quoting_and_defaults() {
    let msg = Message::parse(crlf(
        "From: \"Joe \\\"Q\\\" Public\" <joe@example.com>, bob@example.com (Bob \\\\ B)\n\
         Sender:\nTo: undisclosed-recipients:;\n\
         Cc: Team: a@b.c, \"x y\"@d.e;, bare, Route <@r1,@r2:r@example.net>\n\
         Bcc: =?utf-8?q?J=C3=B6rg?= <j@example.de>\n\
         Subject: two\n  lines\nIn-Reply-To: <a@b> (c)\nMessage-ID: <id@x>\n\n",
    ));
    let env = text(&imap::envelope(msg.root()));
    assert_eq!(
        env,
        "(NIL \"two  lines\" \
         ((\"Joe \\\"Q\\\" Public\" NIL \"joe\" \"example.com\")(\"Bob \\\\ B\" NIL \"bob\" \"example.com\")) \
         ((\"Joe \\\"Q\\\" Public\" NIL \"joe\" \"example.com\")(\"Bob \\\\ B\" NIL \"bob\" \"example.com\")) \
         ((\"Joe \\\"Q\\\" Public\" NIL \"joe\" \"example.com\")(\"Bob \\\\ B\" NIL \"bob\" \"example.com\")) \
         ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) \
         ((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"b.c\")(NIL NIL \"\\\"x y\\\"\" \"d.e\")(NIL NIL NIL NIL)\
         (NIL NIL \"bare\" \"\")(\"Route\" NIL \"r\" \"example.net\")) \
         ((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"example.de\")) \
         \"<a@b> (c)\" \"<id@x>\")"
    );
    check_envelope(&read(env.as_bytes()).unwrap()).unwrap();
}

#[test]
fn eight_bit_values_are_literals_unless_utf8_accept() {
    let msg = Message::parse("From: Jörg <j@example.de>\r\nSubject: Grüße\r\n\r\n".as_bytes());
    let env = imap::envelope(msg.root());
    assert_eq!(
        env,
        "(NIL {7}\r\nGrüße (({5}\r\nJörg NIL \"j\" \"example.de\")) (({5}\r\nJörg NIL \"j\" \"example.de\")) \
         (({5}\r\nJörg NIL \"j\" \"example.de\")) NIL NIL NIL NIL NIL)"
            .as_bytes()
    );
    let env = imap::envelope_with(msg.root(), ImapOptions::UTF8_ACCEPT);
    assert!(text(&env).starts_with("(NIL \"Grüße\" ((\"Jörg\" NIL \"j\" \"example.de\"))"));
    // NUL never goes out; unfolding drops every CR and LF
    let msg = Message::parse(&b"Subject: a\0b\rc\r\n\r\n"[..]);
    assert_eq!(imap::envelope(msg.root()), b"(NIL \"abc\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

#[test]
fn rfc2231_values_are_re_encoded_or_sent_decoded() {
    let msg = Message::parse(crlf(
        "Content-Type: application/pdf; name*0*=utf-8''%C3%A9t%C3%A9; name*1=\".pdf\"\n\n%PDF\n",
    ));
    assert_eq!(
        text(&imap::body(msg.root())),
        "(\"APPLICATION\" \"PDF\" (\"NAME*\" \"utf-8''%C3%A9t%C3%A9.pdf\") NIL NIL \"7BIT\" 6)"
    );
    assert_eq!(
        text(&imap::body_with(msg.root(), ImapOptions::UTF8_ACCEPT)),
        "(\"APPLICATION\" \"PDF\" (\"NAME\" \"été.pdf\") NIL NIL \"7BIT\" 6)"
    );
}

// ---------------------------------------------------------------------------------------
// Section lookups: the RFC 3501 / RFC 9051 6.4.5 example structure.

fn rfc_sections_message() -> Vec<u8> {
    crlf(
        "Subject: top\nContent-Type: MULTIPART/MIXED; boundary=\"0\"\n\n\
         --0\nContent-Type: TEXT/PLAIN\n\npart 1\n\
         --0\nContent-Type: APPLICATION/OCTET-STREAM\n\npart 2\n\
         --0\nContent-Type: MESSAGE/RFC822\n\n\
         Subject: three\nContent-Type: MULTIPART/MIXED; boundary=\"3\"\n\n\
         --3\nContent-Type: TEXT/PLAIN\n\npart 3.1\n\
         --3\nContent-Type: APPLICATION/OCTET-STREAM\n\npart 3.2\n--3--\n\
         --0\nContent-Type: MULTIPART/MIXED; boundary=\"4\"\n\n\
         --4\nContent-Type: IMAGE/GIF\nContent-ID: <gif>\n\nGIF89a\n\
         --4\nContent-Type: MESSAGE/RFC822\n\n\
         Subject: four-two\nContent-Type: MULTIPART/MIXED; boundary=\"42\"\n\n\
         --42\nContent-Type: TEXT/PLAIN\n\npart 4.2.1\n\
         --42\nContent-Type: MULTIPART/ALTERNATIVE; boundary=\"422\"\n\n\
         --422\nContent-Type: TEXT/PLAIN\n\npart 4.2.2.1\n\
         --422\nContent-Type: TEXT/RICHTEXT\n\npart 4.2.2.2\n--422--\n\
         --42--\n\
         --4--\n\
         --0--\n",
    )
}

#[test]
fn rfc_section_numbering() {
    let msg = Message::parse(rfc_sections_message());
    let ty = |s: &str| {
        let p = imap::section(&msg, s).unwrap_or_else(|| panic!("no section {s}"));
        let ct = p.content_type();
        format!("{}/{}", ct.media_type, ct.subtype)
    };
    for (spec, want) in [
        ("1", "text/plain"),
        ("2", "application/octet-stream"),
        ("3", "message/rfc822"),
        ("3.1", "text/plain"),
        ("3.2", "application/octet-stream"),
        ("4", "multipart/mixed"),
        ("4.1", "image/gif"),
        ("4.2", "message/rfc822"),
        ("4.2.1", "text/plain"),
        ("4.2.2", "multipart/alternative"),
        ("4.2.2.1", "text/plain"),
        ("4.2.2.2", "text/richtext"),
    ] {
        assert_eq!(ty(spec), want, "section {spec}");
        let p = imap::section(&msg, spec).unwrap();
        assert_eq!(imap::part_number(p).as_deref(), Some(spec));
    }
    for bad in ["", "0", "5", "1.1", "3.3", "4.2.3", "01", "1.", ".1", "a", "4.2.2.2.1", "-1"] {
        assert!(imap::section(&msg, bad).is_none(), "section {bad:?}");
    }
    let f = |s: &str| imap::fetch_section(&msg, s).map(text);
    assert_eq!(f("1").as_deref(), Some("part 1"));
    assert_eq!(f("3.2").as_deref(), Some("part 3.2"));
    assert_eq!(f("4.2.2.2").as_deref(), Some("part 4.2.2.2"));
    assert_eq!(
        f("4.1.MIME").as_deref(),
        Some("Content-Type: IMAGE/GIF\r\nContent-ID: <gif>\r\n\r\n")
    );
    assert_eq!(f("4.2.2.1.MIME").as_deref(), Some("Content-Type: TEXT/PLAIN\r\n\r\n"));
    assert_eq!(f("2.mime").as_deref(), Some("Content-Type: APPLICATION/OCTET-STREAM\r\n\r\n"));
    assert_eq!(
        f("3.HEADER").as_deref(),
        Some("Subject: three\r\nContent-Type: MULTIPART/MIXED; boundary=\"3\"\r\n\r\n")
    );
    assert!(
        f("3.TEXT").unwrap().starts_with("--3\r\nContent-Type: TEXT/PLAIN\r\n\r\npart 3.1\r\n")
    );
    assert!(f("3.TEXT").unwrap().ends_with("part 3.2\r\n--3--\r\n"));
    assert!(f("4.2.HEADER").unwrap().starts_with("Subject: four-two\r\n"));
    assert_eq!(
        f("HEADER").as_deref(),
        Some("Subject: top\r\nContent-Type: MULTIPART/MIXED; boundary=\"0\"\r\n\r\n")
    );
    assert!(f("TEXT").unwrap().starts_with("--0\r\n"));
    assert_eq!(f("").map(|s| s.len()), Some(msg.source().len()));
    // HEADER and TEXT only for message/rfc822 parts; MIME not at the top
    for bad in ["1.HEADER", "4.TEXT", "MIME", "HEADER.FIELDS (Subject)", "9.MIME", "1.FOO"] {
        assert!(f(bad).is_none(), "section {bad:?}");
    }
    let three = imap::section(&msg, "3").unwrap();
    assert_eq!(imap::message_header(three).map(text), f("3.HEADER"));
    assert_eq!(imap::message_text(three).map(text), f("3.TEXT"));
    assert_eq!(text(imap::mime_header(three)), "Content-Type: MESSAGE/RFC822\r\n\r\n");
    assert!(imap::message_header(imap::section(&msg, "1").unwrap()).is_none());
    // the multipart messages (top, 3's and 4.2's) have no number of their own
    let numbered = msg.parts().filter(|p| imap::part_number(*p).is_some()).count();
    assert_eq!(numbered, msg.part_count() - 3);
    assert_eq!(structure_ok(&imap::body_structure(msg.root())), Ok(10));
}

#[test]
fn single_part_messages_have_part_one() {
    let msg = Message::parse(crlf("Subject: s\n\nbody\n"));
    let one = imap::section(&msg, "1").unwrap();
    assert_eq!(one.id(), msg.root().id());
    assert_eq!(imap::fetch_section(&msg, "1"), Some(&b"body\r\n"[..]));
    assert_eq!(imap::fetch_section(&msg, "1.MIME"), Some(&b"Subject: s\r\n\r\n"[..]));
    assert!(imap::section(&msg, "2").is_none());
    // an encapsulated single-part message: n.1 is its body
    let msg =
        Message::parse(crlf("Content-Type: message/rfc822\n\nSubject: inner\n\ninner body\n"));
    assert_eq!(imap::fetch_section(&msg, "1.1"), Some(&b"inner body\r\n"[..]));
    assert_eq!(imap::fetch_section(&msg, "1.HEADER"), Some(&b"Subject: inner\r\n\r\n"[..]));
    assert_eq!(imap::part_number(imap::section(&msg, "1.1").unwrap()).as_deref(), Some("1.1"));
}

#[test]
fn deep_nesting_does_not_recurse() {
    let depth = 90;
    let mut m = String::new();
    for i in 0..depth {
        m.push_str(&format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"));
    }
    m.push_str("\r\nleaf\r\n");
    for i in (0..depth).rev() {
        m.push_str(&format!("--b{i}--\r\n"));
    }
    let msg = Message::parse(m.into_bytes());
    let bs = imap::body_structure(msg.root());
    assert_eq!(structure_ok(&bs), Ok(1));
    let spec = vec!["1"; depth].join(".");
    assert_eq!(imap::fetch_section(&msg, &spec), Some(&b"leaf"[..]));
    // nested encapsulated messages, each with an envelope
    let mut m = String::new();
    for i in 0..depth {
        m.push_str(&format!("Subject: level {i}\r\nContent-Type: message/rfc822\r\n\r\n"));
    }
    m.push_str("Subject: last\r\n\r\nbody\r\n");
    let msg = Message::parse(m.into_bytes());
    assert_eq!(structure_ok(&imap::body_structure(msg.root())), Ok(depth + 1));
}

// ---------------------------------------------------------------------------------------
// Generated messages: the output always follows the grammar.

#[derive(Debug, Clone)]
enum Gen {
    Leaf {
        ty: &'static str,
        params: Vec<(String, String)>,
        body: String,
        cte: Option<&'static str>,
    },
    Multi {
        sub: &'static str,
        kids: Vec<Gen>,
    },
    Message {
        subject: String,
        inner: Box<Gen>,
    },
}

fn arb_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._-]{0,12}",
        "[ -~]{0,12}",
        "\\PC{0,6}",
        Just("a \"quoted\" \\ value".to_string()),
        Just("=?utf-8?q?J=C3=B6rg?=".to_string()),
    ]
}

fn arb_gen() -> impl Strategy<Value = Gen> {
    let leaf = (
        prop_oneof![
            Just("text/plain"),
            Just("text/html"),
            Just("image/png"),
            Just("application/octet-stream"),
            Just("message/delivery-status"),
            Just("TeXt/X-Odd"),
        ],
        proptest::collection::vec(("[a-z]{1,6}", arb_value()), 0..3),
        "[ -~\n]{0,40}",
        proptest::option::of(prop_oneof![Just("base64"), Just("8bit"), Just("quoted-printable")]),
    )
        .prop_map(|(ty, params, body, cte)| Gen::Leaf { ty, params, body, cte });
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            (
                prop_oneof![Just("mixed"), Just("alternative"), Just("digest"), Just("related")],
                proptest::collection::vec(inner.clone(), 1..4)
            )
                .prop_map(|(sub, kids)| Gen::Multi { sub, kids }),
            (arb_value(), inner)
                .prop_map(|(subject, inner)| Gen::Message { subject, inner: Box::new(inner) }),
        ]
    })
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

fn render(g: &Gen, out: &mut String, counter: &mut u32) -> usize {
    match g {
        Gen::Leaf { ty, params, body, cte } => {
            out.push_str("Content-Type: ");
            out.push_str(ty);
            for (k, v) in params {
                out.push_str(&format!("; {k}={}", quote(v)));
            }
            out.push_str("\r\n");
            if let Some(c) = cte {
                out.push_str(&format!("Content-Transfer-Encoding: {c}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body.replace('\n', "\r\n"));
            1
        }
        Gen::Multi { sub, kids } => {
            *counter += 1;
            let b = format!("=_b{counter}");
            out.push_str(&format!("Content-Type: multipart/{sub}; boundary=\"{b}\"\r\n\r\n"));
            let mut n = 0;
            for k in kids {
                out.push_str(&format!("--{b}\r\n"));
                if *sub == "digest" && matches!(k, Gen::Leaf { .. }) {
                    // a digest child without a type is a message: give the leaf one
                    out.push_str("Content-Type: message/rfc822\r\n\r\n");
                    n += 1;
                }
                n += render(k, out, counter);
                out.push_str("\r\n");
            }
            out.push_str(&format!("--{b}--\r\n"));
            n
        }
        Gen::Message { subject, inner } => {
            out.push_str("Content-Type: message/rfc822\r\n\r\n");
            out.push_str(&format!("Subject: {subject}\r\nFrom: {} <a@b.c>\r\n", quote(subject)));
            1 + render(inner, out, counter)
        }
    }
}

proptest! {
    #[test]
    fn generated_structures_follow_the_grammar(g in arb_gen(), utf8 in any::<bool>()) {
        let mut m = String::from("Subject: generated\r\n");
        let leaves = render(&g, &mut m, &mut 0);
        let msg = Message::parse(m.into_bytes());
        let opts = if utf8 { ImapOptions::UTF8_ACCEPT } else { ImapOptions::default() };
        let bs = imap::body_structure_with(msg.root(), opts);
        prop_assert_eq!(structure_ok(&bs), Ok(leaves), "{}", text(&bs));
        let b = imap::body_with(msg.root(), opts);
        prop_assert_eq!(structure_ok(&b), Ok(leaves), "{}", text(&b));
        check_envelope(&read(&imap::envelope_with(msg.root(), opts)).unwrap()).unwrap();
        prop_assert!(imap::fuzzing::check_tokens(&bs, utf8).is_ok());
        imap::fuzzing::imap_structure(msg.source());
    }

    #[test]
    fn arbitrary_input_keeps_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        imap::fuzzing::imap_structure(&data);
    }
}

#[test]
fn fuzz_body_replays_seeds() {
    let mut seeds: Vec<Vec<u8>> = vec![
        rfc_sections_message(),
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n".to_vec(),
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogaGkNCg0KYm9keQ==\r\n".to_vec(),
        b"From: ((((\r\nTo: <<<@@@:::;;;,,,\"\r\nCc: a:b:c;;;\r\n\r\n".to_vec(),
        b"Content-Type: text/plain; a*0*=x'y'%00%FF; a*1=\"\\\"\"\r\n\r\n".to_vec(),
        b"\0\0\r\n\r\n".to_vec(),
        Vec::new(),
    ];
    if let Ok(out) = std::process::Command::new("python3")
        .args(["-c", "import test, os; print(os.path.dirname(test.__file__))"])
        .output()
    {
        let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
            .join("test_email")
            .join("data");
        if let Ok(rd) = std::fs::read_dir(dir) {
            seeds.extend(rd.flatten().filter_map(|e| std::fs::read(e.path()).ok()));
        }
    }
    for s in &seeds {
        imap::fuzzing::imap_structure(s);
    }
}

#[test]
fn message_global_is_a_message_only_for_utf8_clients() {
    let msg = Message::parse(crlf("Content-Type: message/global\n\nSubject: Grüße\n\nhi\n"));
    assert_eq!(text(&imap::body(msg.root())), "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 24)");
    let rev2 = imap::body_with(msg.root(), ImapOptions::UTF8_ACCEPT);
    assert_eq!(
        text(&rev2),
        "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 24 (NIL \"Grüße\" NIL NIL NIL NIL NIL NIL NIL NIL) \
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 4 1) 3)"
    );
    assert_eq!(structure_ok(&rev2), Ok(2));
    // numbering descends into it either way
    assert_eq!(imap::fetch_section(&msg, "1.1"), Some(&b"hi\r\n"[..]));
}

/// An envelope address list back from its output: `(name mailbox host)` per address, `None`
/// for the group markers' fields.
fn read_addresses(s: &Sx) -> Vec<[Option<Vec<u8>>; 3]> {
    let Sx::List(v) = s else { return Vec::new() };
    v.iter()
        .map(|a| {
            let Sx::List(f) = a else { panic!("address {a:?}") };
            let g = |x: &Sx| match x {
                Sx::Str(s) => Some(s.clone()),
                _ => None,
            };
            [g(&f[0]), g(&f[2]), g(&f[3])]
        })
        .collect()
}

fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z][a-zA-Z0-9 ]{0,10}[a-z]", "[ -~]{1,12}", "\\PC{1,6}"]
        .prop_filter("no line breaks", |s| !s.contains(['\r', '\n']))
}

proptest! {
    /// decode(encode(x)) == x for the envelope: names (quoted in the header, any octets),
    /// local parts, domains, groups and the subject come back exactly.
    #[test]
    fn envelope_round_trip(
        people in proptest::collection::vec(
            (proptest::option::of(arb_name()), "[a-z0-9._+-]{1,8}", "[a-z0-9-]{1,8}\\.[a-z]{2,4}"),
            1..5,
        ),
        group in proptest::option::of("[A-Za-z]{1,5}( [A-Za-z]{1,5}){0,2}"),
        subject in "[^\r\n\0]{0,30}",
        utf8 in any::<bool>(),
    ) {
        let quote = |n: &str| format!("\"{}\"", n.replace('\\', "\\\\").replace('"', "\\\""));
        let list: Vec<String> = people
            .iter()
            .map(|(n, l, d)| match n {
                Some(n) => format!("{} <{l}@{d}>", quote(n)),
                None => format!("{l}@{d}"),
            })
            .collect();
        let to = match &group {
            Some(g) => format!("{g}: {};", list.join(", ")),
            None => list.join(", "),
        };
        let raw = format!("Subject: {subject}\r\nTo: {to}\r\n\r\n");
        let msg = Message::parse(raw.into_bytes());
        let opts = if utf8 { ImapOptions::UTF8_ACCEPT } else { ImapOptions::default() };
        let env = imap::envelope_with(msg.root(), opts);
        prop_assert!(imap::fuzzing::check_tokens(&env, utf8).is_ok());
        let Sx::List(items) = read(&env).unwrap() else { panic!() };
        let want_subject = subject.trim_matches([' ', '\t']).as_bytes().to_vec();
        prop_assert_eq!(&items[1], &Sx::Str(want_subject));
        let mut want: Vec<[Option<Vec<u8>>; 3]> = Vec::new();
        if let Some(g) = &group {
            want.push([None, Some(g.clone().into_bytes()), None]);
        }
        for (n, l, d) in &people {
            want.push([
                n.clone().map(String::into_bytes),
                Some(l.clone().into_bytes()),
                Some(d.clone().into_bytes()),
            ]);
        }
        if group.is_some() {
            want.push([None, None, None]);
        }
        prop_assert_eq!(read_addresses(&items[5]), want);
        // no From: Sender and Reply-To have nothing to default to
        prop_assert_eq!(&items[2], &Sx::Nil);
        prop_assert_eq!(&items[3], &Sx::Nil);
    }

    /// The sizes, line counts and types in BODYSTRUCTURE are the tree's, part for part.
    #[test]
    fn body_structure_round_trip(g in arb_gen()) {
        let mut m = String::from("Subject: generated\r\n");
        render(&g, &mut m, &mut 0);
        let msg = Message::parse(m.into_bytes());
        let bs = read(&imap::body_structure(msg.root())).unwrap();
        // the one-part bodies in BODYSTRUCTURE order, and the tree's in the same order
        let mut ours = Vec::new();
        let mut stack = vec![&bs];
        while let Some(Sx::List(v)) = stack.pop() {
            let n = v.iter().take_while(|x| matches!(x, Sx::List(_))).count();
            if n > 0 {
                stack.extend(v[..n].iter().rev());
                continue;
            }
            let Sx::Num(size) = v[6] else { panic!() };
            let s = |x: &Sx| match x { Sx::Str(s) => text(s).to_ascii_lowercase(), _ => String::new() };
            ours.push((format!("{}/{}", s(&v[0]), s(&v[1])), size));
            if s(&v[0]) == "message" && s(&v[1]) == "rfc822" {
                stack.push(&v[8]);
            }
        }
        let mut tree = Vec::new();
        let mut stack = vec![msg.root()];
        while let Some(p) = stack.pop() {
            if p.is_split_multipart() {
                let kids: Vec<_> = p.children().collect();
                stack.extend(kids.into_iter().rev());
                continue;
            }
            let ct = p.content_type();
            tree.push((format!("{}/{}", ct.media_type, ct.subtype), p.body_size() as u64));
            if let Some(inner) = p.encapsulated() {
                stack.push(inner);
            }
        }
        prop_assert_eq!(ours, tree);
    }
}

// ---------------------------------------------------------------------------------------
// HEADER.FIELDS and HEADER.FIELDS.NOT (RFC 9051 6.4.5).

/// The header of the sample connection in RFC 3501 / RFC 9051 section 8
/// (`a003 fetch 12 body[header]`, answered with a 342-octet literal), with a body added.
fn rfc_sample_header() -> String {
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
     From: Terry Gray <gray@cac.washington.edu>\r\n\
     Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
     To: imap@cac.washington.edu\r\n\
     cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
     Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
     MIME-Version: 1.0\r\n\
     Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
     \r\n"
        .to_string()
}

fn hf(msg: &Message, spec: &str) -> Option<String> {
    imap::fetch_header_fields(msg, spec).map(|v| text(&v))
}

#[test]
fn rfc_header_fields_examples() {
    let header = rfc_sample_header();
    assert_eq!(header.len(), 342, "the RFC's literal length");
    let msg = Message::parse(format!("{header}body\r\n").into_bytes());
    assert_eq!(imap::fetch_section(&msg, "HEADER").unwrap().len(), 342);
    // the section text of the FETCH example in RFC 3501 / RFC 9051 6.4.5:
    // `A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])`
    assert_eq!(
        hf(&msg, "HEADER.FIELDS (DATE FROM)").as_deref(),
        Some(
            "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
             From: Terry Gray <gray@cac.washington.edu>\r\n\r\n"
        )
    );
    // message order, not list order; "cc" matches "CC"
    assert_eq!(
        hf(&msg, "HEADER.FIELDS (CC DATE)").as_deref(),
        Some(
            "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
             cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\r\n"
        )
    );
    // NOT gives the rest: the two together are the whole header plus one more empty line
    let not = hf(&msg, "HEADER.FIELDS.NOT (DATE FROM)").unwrap();
    assert!(not.starts_with("Subject: IMAP4rev1 WG mtg summary and minutes\r\nTo: "));
    assert!(not.ends_with("Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n"));
    assert_eq!(not.len() + hf(&msg, "HEADER.FIELDS (DATE FROM)").unwrap().len(), 342 + 2);
    assert_eq!(
        hf(
            &msg,
            "HEADER.FIELDS.NOT (Date From Subject To Cc Message-ID MIME-Version Content-Type)"
        )
        .as_deref(),
        Some("\r\n")
    );
    // the RFC 3501 grammar's header-list needs one name; an empty list is tolerated
    assert_eq!(hf(&msg, "HEADER.FIELDS ()").as_deref(), Some("\r\n"));
    assert_eq!(hf(&msg, "HEADER.FIELDS.NOT ()").as_deref(), Some(header.as_str()));
}

#[test]
fn header_fields_of_encapsulated_messages() {
    let msg = Message::parse(rfc_sections_message());
    let f = |s: &str| hf(&msg, s);
    assert_eq!(f("HEADER.FIELDS (SUBJECT)").as_deref(), Some("Subject: top\r\n\r\n"));
    assert_eq!(f("3.HEADER.FIELDS (SUBJECT)").as_deref(), Some("Subject: three\r\n\r\n"));
    assert_eq!(
        f("3.HEADER.FIELDS.NOT (SUBJECT)").as_deref(),
        Some("Content-Type: MULTIPART/MIXED; boundary=\"3\"\r\n\r\n")
    );
    assert_eq!(
        f("4.2.HEADER.FIELDS.NOT (Content-Type)").as_deref(),
        Some("Subject: four-two\r\n\r\n")
    );
    // the part's own MIME header is not what n.HEADER.FIELDS reads
    assert_eq!(f("3.HEADER.FIELDS (Content-Type)").unwrap(), {
        let inner = imap::section(&msg, "3").unwrap().encapsulated().unwrap();
        text(&imap::header_fields(inner, imap::HeaderFields::Fields, &["content-type"]))
    });
    // only message/rfc822 (and message/global) parts have a HEADER
    for bad in [
        "1.HEADER.FIELDS (Subject)",
        "4.HEADER.FIELDS (Subject)",
        "4.1.HEADER.FIELDS.NOT (Subject)",
        "4.2.2.HEADER.FIELDS (Subject)",
        "9.HEADER.FIELDS (Subject)",
        "0.HEADER.FIELDS (Subject)",
        "3.3.HEADER.FIELDS (Subject)",
    ] {
        assert_eq!(f(bad), None, "{bad}");
    }
    let msg = Message::parse(crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/global\n\n\
         Subject: Gr\u{fc}\u{df}e\nFrom: j\u{f6}rg@example.de\n\nhi\n--b--\n",
    ));
    assert_eq!(
        imap::fetch_header_fields(&msg, "1.HEADER.FIELDS (subject)").unwrap(),
        "Subject: Gr\u{fc}\u{df}e\r\n\r\n".as_bytes()
    );
    // a single-part message is part 1; a message/rfc822 message's part 1 has a header
    let msg = Message::parse(crlf("Content-Type: message/rfc822\n\nSubject: in\nTo: x\n\nbody\n"));
    assert_eq!(hf(&msg, "1.HEADER.FIELDS.NOT (to)").as_deref(), Some("Subject: in\r\n\r\n"));
    assert_eq!(
        hf(&msg, "HEADER.FIELDS.NOT (to)").as_deref(),
        Some("Content-Type: message/rfc822\r\n\r\n")
    );
}

#[test]
fn repeated_folded_and_differently_cased_fields() {
    let msg = Message::parse(crlf(
        "Received: from a\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\nSUBJECT: one\n\
         received: from c\n  by d\n   with e\nX-Spam: no\nReCeIvEd: last\nsubject: two\n\
         \nbody\n",
    ));
    assert_eq!(
        hf(&msg, "HEADER.FIELDS (rEcEiVeD)").as_deref(),
        Some(
            "Received: from a\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000\r\n\
             received: from c\r\n  by d\r\n   with e\r\nReCeIvEd: last\r\n\r\n"
        )
    );
    assert_eq!(
        hf(&msg, "HEADER.FIELDS.NOT (RECEIVED x-spam)").as_deref(),
        Some("SUBJECT: one\r\nsubject: two\r\n\r\n")
    );
    // a name matches whole names only
    assert_eq!(hf(&msg, "HEADER.FIELDS (Receive Subjects X)").as_deref(), Some("\r\n"));
    assert_eq!(hf(&msg, "HEADER.FIELDS (Received:)").as_deref(), Some("\r\n"));
    // the name list form agrees, whatever the case
    let names = ["X-SPAM", "subject"];
    for (kind, keyword) in
        [(imap::HeaderFields::Fields, ""), (imap::HeaderFields::FieldsNot, ".NOT")]
    {
        assert_eq!(
            Some(imap::header_fields(msg.root(), kind, &names)),
            imap::fetch_header_fields(&msg, &format!("HEADER.FIELDS{keyword} (X-SPAM subject)"))
        );
    }
    // white space before the colon is not part of the name
    let msg = Message::parse(crlf("Subject : spaced\nTo: x\n\nb\n"));
    assert_eq!(hf(&msg, "HEADER.FIELDS (Subject)").as_deref(), Some("Subject : spaced\r\n\r\n"));
}

#[test]
fn the_empty_line_at_the_end() {
    let msg = |s: &str| Message::parse(s.as_bytes().to_vec());
    let cases: &[(&str, &str, &str)] = &[
        // the header's own empty line, as written
        ("Subject: a\r\nTo: b\r\n\r\nbody", "HEADER.FIELDS (To)", "To: b\r\n\r\n"),
        ("Subject: a\nTo: b\n\nbody\n", "HEADER.FIELDS (To)", "To: b\n\n"),
        ("Subject: a\nTo: b\n\r\nbody\n", "HEADER.FIELDS (Nothing)", "\r\n"),
        ("Subject: a\r\n\r\n", "HEADER.FIELDS (X)", "\r\n"),
        ("\r\nbody", "HEADER.FIELDS.NOT (X)", "\r\n"),
        // no empty line and no body: none added (RFC 9051 6.4.5's exception)
        ("Subject: a\r\nTo: b\r\n", "HEADER.FIELDS (To)", "To: b\r\n"),
        ("Subject: a\r\nTo: b\r\n", "HEADER.FIELDS (X)", ""),
        ("Subject: a\r\nTo: b", "HEADER.FIELDS (To)", "To: b"),
        ("Subject: a\r\nTo: b", "HEADER.FIELDS.NOT (X)", "Subject: a\r\nTo: b"),
        ("", "HEADER.FIELDS.NOT (X)", ""),
        // no empty line but a body (the header ran into it): one added, the last line's style
        ("Subject: a\r\nTo: b\r\nnot a field\r\n", "HEADER.FIELDS (Subject)", "Subject: a\r\n\r\n"),
        ("Subject: a\nnot a field\n", "HEADER.FIELDS.NOT (X)", "Subject: a\n\n"),
        ("not a header\r\n", "HEADER.FIELDS.NOT (X)", "\r\n"),
        // a lone CR ending the input is the header's empty line (the parser reads it so)
        ("\r", "HEADER.FIELDS.NOT (X)", "\r"),
        ("Subject: a\r\n\r", "HEADER.FIELDS (Subject)", "Subject: a\r\n\r"),
        ("Subject: a\r\n\r", "HEADER.FIELDS (X)", "\r"),
    ];
    for (input, spec, want) in cases {
        assert_eq!(hf(&msg(input), spec).as_deref(), Some(*want), "{input:?} {spec}");
    }
    // an encapsulated message whose header runs into the outer delimiter has no body
    let m = msg("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                 Content-Type: message/rfc822\r\n\r\nSubject: x\r\nTo: y\r\n--b--\r\n");
    assert_eq!(hf(&m, "1.HEADER.FIELDS (Subject)").as_deref(), Some("Subject: x\r\n"));
    assert_eq!(hf(&m, "1.HEADER.FIELDS.NOT (Subject)").as_deref(), Some("To: y\r\n"));
}

#[test]
fn lines_that_are_not_fields_match_no_name() {
    let mbox = "From ann@example.com Thu Jan  1 00:00:00 2024\r\n";
    let m = Message::parse(format!("{mbox}Subject: a\r\nFrom: b\r\n\r\nbody\r\n").into_bytes());
    assert_eq!(hf(&m, "HEADER.FIELDS (From)").as_deref(), Some("From: b\r\n\r\n"));
    assert_eq!(
        hf(&m, "HEADER.FIELDS.NOT (Subject)").as_deref(),
        Some(format!("{mbox}From: b\r\n\r\n").as_str())
    );
    let m = Message::parse(crlf("  orphan continuation\nSubject: a\n\nb\n"));
    assert_eq!(hf(&m, "HEADER.FIELDS (Subject)").as_deref(), Some("Subject: a\r\n\r\n"));
    assert_eq!(
        hf(&m, "HEADER.FIELDS.NOT (Subject)").as_deref(),
        Some("  orphan continuation\r\n\r\n")
    );
    // so NOT of an absent name is the header itself
    for m in [&m, &Message::parse(rfc_sections_message())] {
        assert_eq!(
            imap::fetch_header_fields(m, "HEADER.FIELDS.NOT (X-Absent)").as_deref(),
            imap::fetch_section(m, "HEADER")
        );
    }
}

#[test]
fn section_text_as_a_server_receives_it() {
    let msg = Message::parse(crlf(
        "From: a@b\nTo: c@d\nX-Odd\"Name: q\nX-Paren(s): p\nSubject: s\n\nbody\n",
    ));
    let from_to = "From: a@b\r\nTo: c@d\r\n\r\n";
    for spec in [
        "HEADER.FIELDS (From To)",
        "header.fields (from to)",
        "Header.Fields(FROM TO)",
        "  HEADER.FIELDS   (  From    To  )  ",
        "HEADER.FIELDS (\"From\" \"To\")",
        "HEADER.FIELDS (\"Fr\\om\" To)",
        "HEADER.FIELDS ({4}\r\nFrom To)",
        "HEADER.FIELDS ({4+}\r\nFrom {2}\r\nTo)",
        "HEADER.FIELDS (From\tTo)",
        "HEADER.FIELDS (From To X-Absent)",
        "HEADER.FIELDS (From\"To\")",
    ] {
        assert_eq!(hf(&msg, spec).as_deref(), Some(from_to), "{spec:?}");
    }
    // names that need quoting
    assert_eq!(
        hf(&msg, "HEADER.FIELDS (\"X-Odd\\\"Name\" \"X-Paren(s)\")").as_deref(),
        Some("X-Odd\"Name: q\r\nX-Paren(s): p\r\n\r\n")
    );
    assert_eq!(
        hf(&msg, "HEADER.FIELDS ({10}\r\nX-Paren(s))").as_deref(),
        Some("X-Paren(s): p\r\n\r\n")
    );
    assert_eq!(
        hf(&msg, "HEADER.FIELDS.NOT (from TO \"x-odd\\\"name\" {10}\r\nx-paren(S))").as_deref(),
        Some("Subject: s\r\n\r\n")
    );
    for bad in [
        "HEADER.FIELDS",
        "HEADER.FIELDS From",
        "HEADER.FIELDS (From",
        "HEADER.FIELDS From)",
        "HEADER.FIELDS (From (To))",
        "HEADER.FIELDS (From) x",
        "HEADER.FIELDS (\"From)",
        "HEADER.FIELDS ({9}\r\nFrom)",
        "HEADER.FIELDS ({x}\r\nFrom)",
        "HEADER.FIELDS ({4}From)",
        "HEADER.FIELDSX (From)",
        "HEADER.FIELDS.NOTX (From)",
        "HEADER.FIELD (From)",
        "HEADER (From)",
        "TEXT (From)",
        "HEADER.FIELDS.NOT.NOT (From)",
        "XHEADER.FIELDS (From)",
        ".HEADER.FIELDS (From)",
        "1..HEADER.FIELDS (From)",
        "(From)",
        "",
    ] {
        assert_eq!(hf(&msg, bad), None, "{bad:?}");
    }
}

#[test]
fn header_fields_in_reuses_the_buffer() {
    let msg = Message::parse(crlf("Subject: s\nTo: t\n\nbody\n"));
    let mut buf = b"stale octets, to be cleared".to_vec();
    let cap = buf.capacity();
    assert_eq!(
        imap::fetch_header_fields_in(&msg, "HEADER.FIELDS (To)", &mut buf),
        Some(&b"To: t\r\n\r\n"[..])
    );
    assert_eq!(buf.capacity(), cap, "no new allocation for a result that fits");
    assert_eq!(imap::fetch_header_fields_in(&msg, "HEADER.FIELDS (To", &mut buf), None);
    assert!(buf.is_empty());
    let names = vec![b"subject".to_vec()];
    assert_eq!(
        imap::header_fields_in(msg.root(), imap::HeaderFields::FieldsNot, &names, &mut buf),
        b"To: t\r\n\r\n"
    );
    assert_eq!(buf.capacity(), cap);
}

/// One generated header line: a name from a small set, in some case, and a value that may
/// be folded.
fn arb_field() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![Just("Received"), Just("Subject"), Just("To"), Just("X-A"), Just("X-A-B")],
        any::<u8>(),
        proptest::collection::vec("[ -~]{0,10}", 1..3),
    )
        .prop_map(|(name, case, parts)| {
            let name: String = name
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if case >> (i % 8) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect();
            // a fold needs white space first on the continuation line
            let value = parts.iter().map(|p| p.trim_end()).collect::<Vec<_>>().join("\r\n\t");
            (name.clone(), format!("{name}: {value}\r\n"))
        })
}

proptest! {
    /// The selection is the model's: the lines of the fields whose name is listed (or not),
    /// in order, then the empty line.
    #[test]
    fn header_fields_match_a_model(
        fields in proptest::collection::vec(arb_field(), 0..8),
        listed in proptest::collection::vec(
            prop_oneof![Just("received"), Just("SUBJECT"), Just("x-a"), Just("Cc")], 0..3),
        body in "[a-z\r\n]{0,8}",
        not in any::<bool>(),
    ) {
        let mut m: String = fields.iter().map(|(_, line)| line.as_str()).collect();
        m.push_str("\r\n");
        m.push_str(&body);
        let msg = Message::parse(m.into_bytes());
        let mut want: String = fields
            .iter()
            .filter(|(name, _)| listed.iter().any(|l| l.eq_ignore_ascii_case(name)) != not)
            .map(|(_, line)| line.as_str())
            .collect();
        want.push_str("\r\n");
        let spec = format!("HEADER.FIELDS{} ({})", if not { ".NOT" } else { "" }, listed.join(" "));
        prop_assert_eq!(hf(&msg, &spec), Some(want.clone()));
        let kind = if not { imap::HeaderFields::FieldsNot } else { imap::HeaderFields::Fields };
        prop_assert_eq!(text(&imap::header_fields(msg.root(), kind, &listed)), want);
    }
}
