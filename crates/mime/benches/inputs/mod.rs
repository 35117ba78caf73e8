//! Bench inputs, generated deterministically (shared with the head-to-head benches).
#![allow(dead_code, clippy::disallowed_methods, clippy::cast_possible_truncation)]

/// A small deterministic generator (xorshift), so every run sees the same octets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The inputs of the throughput benches, by name: the 10 MB multipart, the header-heavy
/// message, and the `CPython` corpus when it is installed.
pub(crate) fn cases() -> Vec<(&'static str, Vec<bytes::Bytes>)> {
    let mut cases = vec![
        ("multipart_10mb", vec![bytes::Bytes::from(big_multipart(10_000_000))]),
        ("header_heavy", vec![bytes::Bytes::from(header_heavy())]),
    ];
    let corpus = python_corpus();
    if !corpus.is_empty() {
        cases.push(("python_corpus", corpus.into_iter().map(bytes::Bytes::from).collect()));
    }
    cases
}

/// mailwire-mime's "all": every header field decoded as text and every body
/// transfer-decoded, each through one reused buffer (as a program walking every part would).
pub(crate) fn decode_everything(msg: &mailwire_mime::Message) -> usize {
    let mut n = 0;
    let mut text = String::new();
    let mut body = Vec::new();
    for p in msg.parts() {
        for f in p.fields() {
            n += f.text_in(&mut text).len();
        }
        n += p.decoded_body_in(&mut body).len();
    }
    n
}

/// Like [`decode_everything`] with an owned value per decoded field and body
/// (`Field::text`, `Part::decoded_body`).
pub(crate) fn decode_everything_owned(msg: &mailwire_mime::Message) -> usize {
    let mut n = 0;
    for p in msg.parts() {
        for f in p.fields() {
            n += f.text().len();
        }
        n += p.decoded_body().len();
    }
    n
}

fn base64_lines(data: &[u8]) -> Vec<u8> {
    mailwire_mime::transfer::encode_base64(data)
}

/// A multipart/mixed of about `size` octets: a text part, an HTML part, base64 attachments.
pub(crate) fn big_multipart(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut m = b"From: Ann Example <ann@example.com>\r\nTo: Bob <bob@example.org>\r\n\
Subject: attachments\r\nDate: Thu, 20 Feb 2025 12:00:00 +0000\r\nMessage-ID: <big@example.com>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_outer_boundary\"\r\n\r\n\
This is a multi-part message in MIME format.\r\n\r\n--=_outer_boundary\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Hello Bob,=0D=0Ahere are the files. Gr=C3=BC=C3=9Fe\r\n\r\n"
        .to_vec();
    let mut n = 0;
    while m.len() < size {
        n += 1;
        let raw: Vec<u8> = (0..750_000).map(|_| rng.next() as u8).collect();
        m.extend_from_slice(
            format!(
                "--=_outer_boundary\r\nContent-Type: application/octet-stream; name=\"file{n}.bin\"\r\n\
Content-Disposition: attachment; filename=\"file{n}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            )
            .as_bytes(),
        );
        m.extend_from_slice(&base64_lines(&raw));
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--=_outer_boundary--\r\n");
    m
}

/// A message with 50 header fields full of encoded words.
pub(crate) fn header_heavy() -> Vec<u8> {
    let mut m = Vec::new();
    for i in 0..50 {
        let f = match i % 5 {
            0 => format!(
                "Subject: =?utf-8?B?w4Rwa2Vsw7xuZ2VuIMO8YmVyIGRpZSBHcsO8w59lIHtpfQ==?= =?iso-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?= {i}\r\n"
            ),
            1 => format!(
                "To: =?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen{i}@example.de>, =?iso-8859-2?Q?Pawe=B3?= <pawel@example.pl>,\r\n =?utf-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>\r\n"
            ),
            2 => format!(
                "X-Comment-{i}: =?koi8-r?B?8NLJ18XUIMnaIO3P08vX2Q==?= and =?windows-1252?Q?=93quoted=94?=\r\n"
            ),
            3 => format!(
                "Received: from mx{i}.example.net (mx.example.net [192.0.2.{i}]) by mail.example.org\r\n with ESMTPS id abc{i}; Thu, 20 Feb 2025 12:00:{:02} +0000\r\n",
                i % 60
            ),
            _ => format!(
                "Thread-Topic: =?utf-8?Q?R=C3=A9union_d=27=C3=A9quipe_=E2=80=93_ordre_du_jour?= {i}\r\n"
            ),
        };
        m.extend_from_slice(f.as_bytes());
    }
    m.extend_from_slice(b"From: =?utf-8?Q?Ren=C3=A9e?= <renee@example.fr>\r\nDate: Thu, 20 Feb 2025 12:00:00 +0100\r\nMessage-ID: <hdr@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nShort body.\r\n");
    m
}

/// The `CPython` email test corpus, when python3 and its test package are installed.
pub(crate) fn python_corpus() -> Vec<Vec<u8>> {
    let Ok(out) = std::process::Command::new("python3")
        .args(["-c", "import test, os; print(os.path.dirname(test.__file__))"])
        .output()
    else {
        return Vec::new();
    };
    let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        .join("test_email")
        .join("data");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("msg_")))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// 5 000-deep nested multiparts.
pub(crate) fn deep_nesting(depth: usize) -> Vec<u8> {
    let mut m = Vec::new();
    for i in 0..depth {
        m.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes(),
        );
    }
    m.extend_from_slice(b"\r\nleaf\r\n");
    m
}

/// One multipart with `n` tiny parts.
pub(crate) fn many_parts(n: usize) -> Vec<u8> {
    let mut m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
    for _ in 0..n {
        m.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    m.extend_from_slice(b"--b--\r\n");
    m
}

/// A Content-Type with `n` RFC 2231 sections, in reverse order.
pub(crate) fn many_rfc2231_sections(n: usize) -> Vec<u8> {
    let mut m = b"Content-Type: application/octet-stream".to_vec();
    for i in (0..n).rev() {
        m.extend_from_slice(format!(";\r\n name*{i}*=%41%42").as_bytes());
    }
    m.extend_from_slice(b"\r\n\r\nbody\r\n");
    m
}

/// A header block of about `size` octets (one long folded field).
pub(crate) fn huge_header(size: usize) -> Vec<u8> {
    let mut m = b"Subject: start".to_vec();
    while m.len() < size {
        m.extend_from_slice(b"\r\n =?utf-8?Q?caf=C3=A9?= folded text of a very long subject line");
    }
    m.extend_from_slice(b"\r\n\r\nbody\r\n");
    m
}
