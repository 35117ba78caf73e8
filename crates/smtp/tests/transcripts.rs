//! Every transcript under tests/transcripts/{smtp,lmtp} replays through both machines.
// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
// Test code reads the transcript files and shows each replayed message.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use std::path::Path;

fn replay_dir(dir: &str, lmtp: bool) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/transcripts").join(dir);
    let mut n = 0;
    let mut entries: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        let t = mailwire_core::transcript::parse(&text).unwrap();
        match mailwire_smtp::replay::replay(&t, lmtp) {
            Ok(report) => {
                assert!(!report.lines.is_empty());
                for l in &report.lines {
                    println!("{}: {l}", path.file_name().unwrap().to_string_lossy());
                }
            }
            Err(e) => panic!("{}: {e}", path.display()),
        }
        n += 1;
    }
    n
}

#[test]
fn smtp_transcripts_replay() {
    assert!(replay_dir("smtp", false) >= 10);
}

#[test]
fn lmtp_transcripts_replay() {
    assert!(replay_dir("lmtp", true) >= 1);
}

#[test]
fn quirks_are_reported_with_their_canonical_form() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/transcripts/smtp/quirks.txt");
    let t = mailwire_core::transcript::parse(&std::fs::read(path).unwrap()).unwrap();
    let report = mailwire_smtp::replay::replay(&t, false).unwrap();
    let canon: Vec<_> = report.lines.iter().filter(|l| l.contains("canonical")).collect();
    assert!(canon.iter().any(|l| l.contains("canonical: MAIL FROM:<a@example.org>")), "{canon:?}");
    assert!(canon.iter().any(|l| l.contains("canonical: RCPT TO:<b@example.net>")), "{canon:?}");
}

#[test]
fn replay_failures_name_the_line_and_side() {
    // the client says DATA without MAIL: the server machine answers 503, the record says 354
    let t = mailwire_core::transcript::parse(
        b"S: 220 mx\nC: EHLO c\nS: 250 mx\nC: DATA\nS: 354 go ahead\n",
    )
    .unwrap();
    let e = mailwire_smtp::replay::replay(&t, false).unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    // a reply that is not a reply
    let t = mailwire_core::transcript::parse(b"S: 220 mx\nC: NOOP\nS: hello\n").unwrap();
    let e = mailwire_smtp::replay::replay(&t, false).unwrap_err();
    assert_eq!((e.line, e.side), (3, mailwire_core::transcript::Side::Server), "{e}");
}

/// The same transcripts with every wire line fed in pieces down to single bytes: the outcome
/// does not depend on how the transport splits the bytes.
#[test]
fn transcripts_replay_in_pieces() {
    for (dir, lmtp) in [("smtp", false), ("lmtp", true)] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/transcripts").join(dir);
        let mut entries: Vec<_> =
            std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries.iter().filter(|p| p.extension().is_some_and(|e| e == "txt")) {
            let t = mailwire_core::transcript::parse(&std::fs::read(path).unwrap()).unwrap();
            let whole = mailwire_smtp::replay::replay(&t, lmtp).unwrap();
            for piece in [1, 2, 3, 7, 64] {
                let cut = mailwire_smtp::replay::replay_in_pieces(&t, lmtp, piece)
                    .unwrap_or_else(|e| panic!("{} in pieces of {piece}: {e}", path.display()));
                assert_eq!(cut, whole, "{} in pieces of {piece}", path.display());
            }
        }
    }
}
