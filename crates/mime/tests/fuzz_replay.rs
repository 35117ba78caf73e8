//! Replays the fuzz target bodies on stable: the RFC examples, the `CPython` corpus when
//! present, and generated inputs.
#![allow(clippy::disallowed_methods)]

use mailwire_mime::fuzzing;
use proptest::prelude::*;

fn seeds() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n".to_vec(),
        b"Subject: =?utf-8?Q?a=0D=0Ab?= =?utf-8?B?w6k=?=\r\n\r\n".to_vec(),
        b"Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n".to_vec(),
        b"title*0*=us-ascii'en'a%0D%0Ab; title*1=c".to_vec(),
    ];
    if let Ok(out) = std::process::Command::new("python3")
        .args(["-c", "import test, os; print(os.path.dirname(test.__file__))"])
        .output()
    {
        let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
            .join("test_email")
            .join("data");
        if let Ok(rd) = std::fs::read_dir(dir) {
            v.extend(rd.flatten().filter_map(|e| std::fs::read(e.path()).ok()));
        }
    }
    v
}

fn all(data: &[u8]) {
    mailwire_mime::imap::fuzzing::imap_structure(data);
    fuzzing::message(data);
    fuzzing::push_chunks(data);
    fuzzing::header_text(data);
    fuzzing::addresses(data);
    fuzzing::date(data);
    fuzzing::encoded_words(data);
    fuzzing::rfc2231(data);
    fuzzing::base64(data);
    fuzzing::quoted_printable(data);
}

#[test]
fn seeds_hold_the_invariants() {
    for s in seeds() {
        all(&s);
    }
}

/// Inputs the fuzzers once failed on, kept under `fuzz/regressions/mime_*/`.
#[test]
fn saved_regressions_hold_the_invariants() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut replayed = 0;
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        if !dir.file_name().to_string_lossy().starts_with("mime_") {
            continue;
        }
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            all(&std::fs::read(file.path()).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no saved input under {}", root.display());
}

proptest! {
    #[test]
    fn generated_inputs_hold_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        all(&data);
    }

    #[test]
    fn mail_like_inputs_hold_the_invariants(parts in proptest::collection::vec(prop_oneof![
        Just("--b\r\n"), Just("--b--\r\n"), Just("\r\n"), Just("\n"),
        Just("Content-Type: multipart/mixed; boundary=b\r\n"),
        Just("Content-Type: message/rfc822\r\n"), Just("Content-Transfer-Encoding: base64\r\n"),
        Just("Subject: =?utf-8?q?x?=\r\n"), Just(" folded\r\n"), Just("text\r\n"), Just("From: a <b@c>\r\n"),
        Just("Date: 1 Jan 2000 00:00 +0100\r\n"), Just("=?utf-8?B?"), Just("Zm9v"), Just("?="),
    ], 0..40)) {
        let data: String = parts.concat();
        all(data.as_bytes());
    }
}
