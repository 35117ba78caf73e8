//! `BODYSTRUCTURE` and `ENVELOPE` from `mailwire_mime::imap` against Dovecot's, on the same
//! messages: every message is appended (`APPEND`) to a fresh mailbox of the Dovecot started by
//! `scripts/interop/start.sh` (through `tests/interop/imap_fetch.py`, Python's imaplib), and
//! the FETCH responses are compared item by item with ours after the normalisations listed in
//! docs/mime-imap.md (case of atoms, Dovecot's placeholders and white-space folding, ...).
//! Then the `BODY.PEEK[HEADER.FIELDS (...)]` and `BODY.PEEK[n.HEADER.FIELDS.NOT (...)]`
//! octets of the same messages (and a few more) against `imap::fetch_header_fields`, byte for
//! byte. Without the servers the tests print why they skip.
//!
//! The messages: a handful built here, and the messages of `CPython`'s email test corpus when
//! python3 ships it.
#![cfg(feature = "mime")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "test code: a panic is a failed test; the test writes message files and runs python3"
)]

use std::path::PathBuf;
use std::process::Command;

use mailwire::mime::{Message, imap};
use mailwire_testkit::interop::InteropEnv;

/// An IMAP value: what a response's tokens mean, whatever their spelling (quoted or literal).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sx {
    List(Vec<Sx>),
    Str(Vec<u8>),
    Atom(Vec<u8>),
}

fn parse_sx(b: &[u8], i: &mut usize) -> Sx {
    match b[*i] {
        b'(' => {
            *i += 1;
            let mut items = Vec::new();
            loop {
                match b[*i] {
                    b')' => {
                        *i += 1;
                        return Sx::List(items);
                    }
                    b' ' => *i += 1,
                    _ => items.push(parse_sx(b, i)),
                }
            }
        }
        b'"' => {
            *i += 1;
            let mut v = Vec::new();
            loop {
                match b[*i] {
                    b'\\' => {
                        v.push(b[*i + 1]);
                        *i += 2;
                    }
                    b'"' => {
                        *i += 1;
                        return Sx::Str(v);
                    }
                    c => {
                        v.push(c);
                        *i += 1;
                    }
                }
            }
        }
        b'{' => {
            let close = *i + b[*i..].iter().position(|&c| c == b'}').unwrap();
            let n: usize = std::str::from_utf8(&b[*i + 1..close]).unwrap().parse().unwrap();
            assert_eq!(&b[close + 1..close + 3], b"\r\n");
            let v = b[close + 3..close + 3 + n].to_vec();
            *i = close + 3 + n;
            Sx::Str(v)
        }
        _ => {
            let start = *i;
            while *i < b.len() && !matches!(b[*i], b' ' | b'(' | b')') {
                *i += 1;
            }
            Sx::Atom(b[start..*i].to_vec())
        }
    }
}

fn parse_all(b: &[u8]) -> Sx {
    let mut i = 0;
    let v = parse_sx(b, &mut i);
    assert_eq!(i, b.len(), "trailing octets after {v:?}");
    v
}

/// The BODYSTRUCTURE and ENVELOPE of one `n (BODYSTRUCTURE ... ENVELOPE ...)` response.
fn fetch_items(resp: &[u8]) -> (Sx, Sx) {
    let open = resp.iter().position(|&c| c == b'(').unwrap();
    let mut i = open;
    let Sx::List(items) = parse_sx(resp, &mut i) else { panic!("not a list") };
    let mut bs = None;
    let mut env = None;
    for pair in items.chunks(2) {
        match &pair[0] {
            Sx::Atom(a) if a == b"BODYSTRUCTURE" => bs = Some(pair[1].clone()),
            Sx::Atom(a) if a == b"ENVELOPE" => env = Some(pair[1].clone()),
            _ => {}
        }
    }
    (bs.unwrap(), env.unwrap())
}

fn upper(s: &mut Sx) {
    if let Sx::Str(v) = s {
        v.make_ascii_uppercase();
    }
}

fn is_list(s: &Sx) -> bool {
    matches!(s, Sx::List(_))
}

/// Parameter list: names in uppercase (Dovecot keeps them as written), the charset value too
/// (Dovecot writes the default as `us-ascii`).
fn norm_params(p: &mut Sx) {
    if let Sx::List(kv) = p {
        for pair in kv.chunks_mut(2) {
            upper(&mut pair[0]);
            // an RFC 2231 value: Dovecot passes it on as written, we re-encode it in UTF-8;
            // compare the language and the octets
            let [Sx::Str(name), Sx::Str(value)] = pair else { continue };
            if name.ends_with(b"*") {
                let text = String::from_utf8_lossy(value).into_owned();
                let mut it = text.splitn(3, '\'');
                let (_charset, lang, pct) =
                    (it.next().unwrap(), it.next().unwrap_or(""), it.next().unwrap_or(""));
                let mut out = lang.to_ascii_lowercase().into_bytes();
                out.push(b'\'');
                let b = pct.as_bytes();
                let mut k = 0;
                while k < b.len() {
                    if b[k] == b'%'
                        && k + 3 <= b.len()
                        && let Ok(x) = u8::from_str_radix(&pct[k + 1..k + 3], 16)
                    {
                        out.push(x);
                        k += 3;
                        continue;
                    }
                    out.push(b[k]);
                    k += 1;
                }
                *value = out;
            }
            if name == b"CHARSET" {
                value.make_ascii_uppercase();
            }
        }
    }
}

/// Extension data from the parameters (multipart) or the MD5 (one part) on: the
/// disposition's type and parameter names in uppercase.
fn norm_ext(ext: &mut [Sx]) {
    if let Some(Sx::List(d)) = ext.get_mut(1) {
        upper(&mut d[0]);
        norm_params(&mut d[1]);
    }
}

/// Case of atoms (type, subtype, parameter names, encoding, disposition), the line count of a
/// body whose last line has no line break (we count it, Dovecot does not).
fn norm_body(b: &mut Sx, ours: bool, raw_lines: &mut impl Iterator<Item = bool>) {
    let Sx::List(items) = b else { panic!("body is not a list: {b:?}") };
    if is_list(&items[0]) {
        let n = items.iter().take_while(|x| is_list(x)).count();
        for child in &mut items[..n] {
            norm_body(child, ours, raw_lines);
        }
        upper(&mut items[n]);
        if items.len() > n + 1 {
            norm_params(&mut items[n + 1]);
            norm_ext(&mut items[n + 1..]);
        }
        return;
    }
    upper(&mut items[0]);
    upper(&mut items[1]);
    norm_params(&mut items[2]);
    upper(&mut items[5]);
    let unterminated = raw_lines.next().unwrap_or(false);
    let (lines_at, ext_at) = if items[0] == Sx::Str(b"MESSAGE".to_vec())
        && matches!(&items[1], Sx::Str(s) if s == b"RFC822")
    {
        norm_env(&mut items[7]);
        let mut inner = items[8].clone();
        norm_body(&mut inner, ours, raw_lines);
        items[8] = inner;
        (9, 10)
    } else if items[0] == Sx::Str(b"TEXT".to_vec()) {
        (7, 8)
    } else {
        (usize::MAX, 7)
    };
    if ours
        && unterminated
        && let Some(Sx::Atom(n)) = items.get_mut(lines_at)
    {
        let v: u64 = std::str::from_utf8(n).unwrap().parse().unwrap();
        *n = (v - 1).to_string().into_bytes();
    }
    if items.len() > ext_at {
        norm_ext(&mut items[ext_at..]);
    }
}

fn collapse(v: &mut Vec<u8>) {
    let mut out = Vec::with_capacity(v.len());
    for &c in v.iter() {
        let c = if matches!(c, b'\t' | b'\r' | b'\n') { b' ' } else { c };
        if !(c == b' ' && out.last() == Some(&b' ')) {
            out.push(c);
        }
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    *v = out;
}

/// Dovecot folds white space in the subject and in names to single spaces, unquotes local
/// parts and writes placeholders for a missing local part or domain.
fn norm_env(e: &mut Sx) {
    let Sx::List(items) = e else { return };
    if let Sx::Str(s) = &mut items[1] {
        collapse(s);
    }
    for list in &mut items[2..8] {
        if let Sx::List(addrs) = list {
            for a in addrs {
                let Sx::List(f) = a else { continue };
                if let Sx::Str(n) = &mut f[0] {
                    collapse(n);
                }
                if let Sx::Str(m) = &mut f[2]
                    && m.first() == Some(&b'"')
                    && m.last() == Some(&b'"')
                    && m.len() >= 2
                {
                    *m = m[1..m.len() - 1].to_vec();
                }
                for (at, placeholder) in [(2, &b"MISSING_MAILBOX"[..]), (3, b"MISSING_DOMAIN")] {
                    if f[at] == Sx::Str(placeholder.to_vec()) {
                        f[at] = Sx::Str(Vec::new());
                    }
                }
            }
        }
    }
}

/// For each one-part body in BODYSTRUCTURE order: whether its body ends without a line break.
fn unterminated_bodies(msg: &Message) -> Vec<bool> {
    let mut out = Vec::new();
    // the same walk as the writer: message parts first, then their encapsulated message
    let mut stack = vec![msg.root()];
    while let Some(p) = stack.pop() {
        if p.is_split_multipart() {
            let kids: Vec<_> = p.children().collect();
            stack.extend(kids.into_iter().rev());
        } else if p.content_type().is_multipart() {
            out.push(false);
        } else {
            let b = p.body_raw();
            out.push(!b.is_empty() && !b.ends_with(b"\n"));
            if p.content_type().is("message", "rfc822")
                && let Some(inner) = p.encapsulated()
            {
                stack.push(inner);
            }
        }
    }
    out
}

fn crlf(data: &[u8]) -> Vec<u8> {
    // as imaplib's APPEND does: every CR, LF or CRLF becomes CRLF
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                i += if data.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            b'\n' => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn built_messages() -> Vec<(String, Vec<u8>)> {
    let m = |s: &str| s.replace('\n', "\r\n").into_bytes();
    vec![
        (
            "plain".into(),
            m("From: Ann Example <ann@example.com>\nTo: bob@example.org\nSubject: hello\n\
               Date: Thu, 20 Feb 2025 12:00:00 +0000\nMessage-ID: <plain@example.com>\n\n\
               Hi Bob.\n"),
        ),
        (
            "addresses".into(),
            m("From: \"Joe \\\"Q\\\" Public\" <joe@example.com>, Ann (comment) <ann@x.org>\n\
               Sender: \nReply-To: list@example.com\n\
               To: undisclosed-recipients:;\nCc: Team: a@b.c, \"x y\"@d.e;, bare, <>\n\
               Bcc: =?utf-8?q?J=C3=B6rg?= <j@example.de>\n\
               Subject: =?utf-8?q?h=C3=A9?= \n  folded\nDate: Sun, 22 Nov 2026 06:00:00 +0000\n\
               Message-ID:  <id@x>\nIn-Reply-To: <a@b> (c)\n\nbody\n"),
        ),
        (
            "eight-bit".into(),
            "From: Jörg Müller <joerg@example.de>\r\nSubject: Grüße \\ \"quoted\"\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             Grüße\r\n"
                .as_bytes()
                .to_vec(),
        ),
        (
            "nested".into(),
            m("Subject: nested\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n\
               preamble\n--b\nContent-Type: text/plain\n\nhi\n--b\n\
               Content-Type: TEXT/HTML; Charset=UTF-8; name*=utf-8''%C3%A9.txt\n\
               Content-Disposition: attachment; filename=\"a b.txt\"\nContent-Language: en, de\n\
               Content-Location: http://example.com/x\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n\
               Content-ID: <c@x>\nContent-Description: desc\nContent-Transfer-Encoding: Base64\n\n\
               aGk=\n--b\nContent-Type: message/rfc822\n\nSubject: inner\nFrom: in@example.com\n\
               Content-Type: multipart/alternative; boundary=c\n\n--c\n\na\n--c\n\
               Content-Type: text/html\n\n<b>b</b>\n--c--\n\n--b\n\
               Content-Type: multipart/mixed; boundary=z\n\nno parts\n--b\n\
               Content-Type: application/octet-stream\nContent-Disposition: inline\n\n\
               xyz\n--b--\nepilogue\n"),
        ),
        (
            "digest".into(),
            m("Subject: digest\nContent-Type: multipart/digest; boundary=d\n\n--d\n\n\
               Subject: one\nFrom: one@example.com\n\nfirst\n--d\n\nSubject: two\n\nsecond\n\
               --d--\n"),
        ),
        (
            "message-global".into(),
            m("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/global\n\n\
               Subject: g\n\nhi\n--b--\n"),
        ),
        (
            "encoded-message".into(),
            m("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n\
               U3ViamVjdDogaGkNCg0KYm9keQ==\n"),
        ),
        (
            "no-type".into(),
            m("Subject: defaults\nContent-Type: text/plain; format=flowed\n\nline one\nline two\n"),
        ),
    ]
}

fn corpus_messages() -> Vec<(String, Vec<u8>)> {
    let Ok(out) = Command::new("python3")
        .args(["-c", "import test, os; print(os.path.dirname(test.__file__))"])
        .output()
    else {
        return Vec::new();
    };
    let dir =
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("test_email").join("data");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut v: Vec<(String, Vec<u8>)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let ok = name.starts_with("msg_")
                && std::path::Path::new(&name).extension().is_some_and(|x| x == "txt");
            ok.then(|| (name, std::fs::read(e.path()).unwrap()))
        })
        .collect();
    v.sort();
    v
}

/// Messages where Dovecot and we differ on purpose beyond the normalisations (see
/// docs/mime-imap.md, "Differences from Dovecot"), with the reason.
const DELIBERATE: &[(&str, &str)] = &[
    ("encoded-message", "a base64 message/rfc822: we decode and describe it, Dovecot does not"),
    (
        "msg_14.txt",
        "`Content-Type: text` (no subtype): Dovecot writes \"\" \"\", we the RFC 2045 default",
    ),
    ("msg_19.txt", "no header at all, the first line folded: Dovecot reads it as a header field"),
    ("msg_20.txt", "two Cc fields: Dovecot joins them, we use the first (as every accessor does)"),
    ("msg_25.txt", "two To fields: Dovecot joins them, we use the first"),
    ("msg_32.txt", "charset and charset* both given: Dovecot lists both, we the joined one"),
    ("msg_33.txt", "an RFC 2231 boundary*: Dovecot does not decode it and sees no parts"),
    ("msg_35.txt", "no empty line after the header: Dovecot reads the first body line as a field"),
    ("msg_38.txt", "delimiter lines of outer multiparts inside inner ones: other split points"),
    (
        "msg_47.txt",
        "parts without an empty line after their header: Dovecot reads the body as fields",
    ),
];

/// Writes every message (CRLF line endings) to a fresh directory, one file each, and parses
/// it: the directory, and per message its name, file and tree.
fn write_messages(
    messages: &[(String, Vec<u8>)],
    tag: &str,
) -> (PathBuf, Vec<(String, PathBuf, Message)>) {
    let work = std::env::temp_dir().join(format!("mailwire-imap-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let written = messages
        .iter()
        .enumerate()
        .map(|(i, (name, data))| {
            let data = crlf(data);
            let path = work.join(format!("{i:03}.eml"));
            std::fs::write(&path, &data).unwrap();
            (name.clone(), path, Message::parse(data))
        })
        .collect();
    (work, written)
}

/// `tests/interop/imap_fetch.py` with the server's address and the first user's login.
fn imap_fetch(env: &InteropEnv) -> Command {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/imap_fetch.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg(env.get("HOST"))
        .arg(env.get("IMAP_PORT"))
        .arg(env.get("USER1"))
        .arg(env.get("PASS1"));
    cmd
}

#[test]
fn dovecot_agrees_on_bodystructure_and_envelope() {
    let Some(env) = InteropEnv::load("dovecot_agrees_on_bodystructure_and_envelope") else {
        return;
    };
    let mut messages = built_messages();
    messages.extend(corpus_messages());
    let (work, written) = write_messages(&messages, "structure");
    let files: Vec<&PathBuf> = written.iter().map(|(_, path, _)| path).collect();
    let parsed: Vec<(String, Message)> =
        written.iter().map(|(name, _, msg)| (name.clone(), msg.clone())).collect();
    let out = imap_fetch(&env).args(&files).output().unwrap();
    assert!(out.status.success(), "imap_fetch.py: {}", String::from_utf8_lossy(&out.stderr));
    let json = String::from_utf8(out.stdout).unwrap();
    let responses: Vec<Vec<u8>> = json
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| {
            let h = s.trim().trim_matches('"');
            (0..h.len()).step_by(2).map(|k| u8::from_str_radix(&h[k..k + 2], 16).unwrap()).collect()
        })
        .collect();
    assert_eq!(responses.len(), parsed.len());
    let mut failures = Vec::new();
    let mut compared = 0;
    for ((name, msg), resp) in parsed.iter().zip(&responses) {
        let (mut theirs_bs, mut theirs_env) = fetch_items(resp);
        let ours_bs_raw = imap::body_structure(msg.root());
        let ours_env_raw = imap::envelope(msg.root());
        let mut ours_bs = parse_all(&ours_bs_raw);
        let mut ours_env = parse_all(&ours_env_raw);
        let flags = unterminated_bodies(msg);
        norm_body(&mut ours_bs, true, &mut flags.iter().copied());
        norm_body(&mut theirs_bs, false, &mut flags.iter().copied());
        norm_env(&mut ours_env);
        norm_env(&mut theirs_env);
        compared += 1;
        let deliberate = DELIBERATE.iter().any(|(n, _)| n == name);
        if (ours_bs != theirs_bs || ours_env != theirs_env) != deliberate {
            failures.push(name.clone());
            println!("== {name}{}", if deliberate { " (listed as deliberate)" } else { "" });
            println!("dovecot: {}", String::from_utf8_lossy(resp));
            println!("ours:    {}", String::from_utf8_lossy(&ours_bs_raw));
            println!("ours:    {}", String::from_utf8_lossy(&ours_env_raw));
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    println!("{compared} messages compared with Dovecot, {} deliberate", DELIBERATE.len());
    assert!(failures.is_empty(), "differences from Dovecot: {failures:?}");
}

// ---------------------------------------------------------------------------------------
// HEADER.FIELDS and HEADER.FIELDS.NOT: `BODY.PEEK[...]` octets from Dovecot against
// `imap::fetch_header_fields`, byte for byte.

/// Messages for the header-field sections beyond the structure test's: repeated, folded and
/// differently cased fields, white space before a colon, and headers without an empty line.
fn header_field_messages() -> Vec<(String, Vec<u8>)> {
    let m = |s: &str| s.replace('\n', "\r\n").into_bytes();
    vec![
        (
            "fields".into(),
            m("Received: from a\n\tby b; Sun, 22 Nov 2026 06:00:00 +0000\nFrom: ann@example.com\n\
               received: from c\n  by d\nSUBJECT: one\nSubject : two\nTo: bob@example.org,\n \
               carol@example.org\nCC: dan@example.net\nX-Absent-Not: x\n\nbody\n"),
        ),
        ("no-body".into(), m("From: ann@example.com\nSubject: no body\nTo: bob@example.org\n")),
        (
            "inner-no-body".into(),
            m("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n\
               Subject: inner\nFrom: in@example.com\n--b--\n"),
        ),
    ]
}

/// The sections asked for every message: four at the top level, two per encapsulated
/// message (by our part numbers).
fn sections_for(msg: &Message) -> Vec<String> {
    let mut v: Vec<String> = [
        "HEADER.FIELDS (From \"Subject\" x-absent)",
        "HEADER.FIELDS (RECEIVED CC)",
        "HEADER.FIELDS.NOT (DATE To Content-Type MIME-Version)",
        "HEADER.FIELDS (X-ABSENT)",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    for p in msg.parts() {
        if p.content_type().is("message", "rfc822")
            && p.encapsulated().is_some()
            && let Some(n) = imap::part_number(p)
        {
            v.push(format!("{n}.HEADER.FIELDS (SUBJECT from)"));
            v.push(format!("{n}.HEADER.FIELDS.NOT (Subject)"));
        }
    }
    v
}

/// Sections where Dovecot and we differ on purpose (docs/mime-imap.md, "Differences from
/// Dovecot"): message name, section, reason.
const DELIBERATE_FIELDS: &[(&str, &str, &str)] = &[
    (
        "encoded-message",
        "1.HEADER.FIELDS (SUBJECT from)",
        "a base64 message/rfc822: we read the decoded message's header, Dovecot finds none",
    ),
    ("encoded-message", "1.HEADER.FIELDS.NOT (Subject)", "a base64 message/rfc822, as above"),
    (
        "no-body",
        "HEADER.FIELDS (From \"Subject\" x-absent)",
        "no body and no empty line: Dovecot adds an empty line, RFC 9051 6.4.5 says not to",
    ),
    ("no-body", "HEADER.FIELDS (RECEIVED CC)", "no body and no empty line, as above"),
    ("no-body", "HEADER.FIELDS (X-ABSENT)", "no body and no empty line, as above"),
    (
        "inner-no-body",
        "1.HEADER.FIELDS.NOT (Subject)",
        "the outer close delimiter inside the encapsulated header: Dovecot reads it as a field",
    ),
    (
        "msg_19.txt",
        "HEADER.FIELDS.NOT (DATE To Content-Type MIME-Version)",
        "no header at all, the first line folded: Dovecot reads it as a header field",
    ),
    (
        "msg_35.txt",
        "HEADER.FIELDS.NOT (DATE To Content-Type MIME-Version)",
        "no empty line after the header: Dovecot reads the first body line as a field",
    ),
];

#[test]
fn dovecot_agrees_on_header_fields() {
    let Some(env) = InteropEnv::load("dovecot_agrees_on_header_fields") else {
        return;
    };
    let mut messages = built_messages();
    messages.extend(header_field_messages());
    messages.extend(corpus_messages());
    let (work, written) = write_messages(&messages, "fields");
    let mut plan = String::new();
    let mut parsed = Vec::new();
    for (name, path, msg) in written {
        let sections = sections_for(&msg);
        plan.push_str(&path.to_string_lossy());
        for s in &sections {
            plan.push('\t');
            plan.push_str(s);
        }
        plan.push('\n');
        parsed.push((name, msg, sections));
    }
    let plan_path = work.join("plan.tsv");
    std::fs::write(&plan_path, plan).unwrap();
    let out = imap_fetch(&env).arg("--plan").arg(&plan_path).output().unwrap();
    let _ = std::fs::remove_dir_all(&work);
    assert!(out.status.success(), "fetch: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), parsed.len());
    let unhex = |h: &str| -> Option<Vec<u8>> {
        (h != "-").then(|| {
            (0..h.len()).step_by(2).map(|k| u8::from_str_radix(&h[k..k + 2], 16).unwrap()).collect()
        })
    };
    let (mut compared, mut deliberate_seen) = (0, 0);
    let mut failures = Vec::new();
    for ((name, msg, sections), line) in parsed.iter().zip(&lines) {
        let theirs: Vec<Option<Vec<u8>>> =
            if sections.is_empty() { Vec::new() } else { line.split('\t').map(unhex).collect() };
        assert_eq!(theirs.len(), sections.len(), "{name}");
        for (sec, theirs) in sections.iter().zip(theirs) {
            let ours = imap::fetch_header_fields(msg, sec);
            compared += 1;
            let deliberate = DELIBERATE_FIELDS.iter().any(|(n, s, _)| n == name && s == sec);
            deliberate_seen += usize::from(deliberate);
            if (ours != theirs) != deliberate {
                failures.push(format!("{name} {sec}"));
                println!("== {name} BODY[{sec}]{}", if deliberate { " (deliberate)" } else { "" });
                println!("dovecot: {:?}", theirs.as_deref().map(String::from_utf8_lossy));
                println!("ours:    {:?}", ours.as_deref().map(String::from_utf8_lossy));
            }
        }
    }
    println!(
        "{compared} header-field sections of {} messages compared with Dovecot, \
         {deliberate_seen} deliberate",
        parsed.len()
    );
    assert!(failures.is_empty(), "differences from Dovecot: {failures:?}");
    assert_eq!(deliberate_seen, DELIBERATE_FIELDS.len(), "a listed section was not fetched");
}
