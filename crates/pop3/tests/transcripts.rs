//! Replays every POP3 transcript of the repository (RFC 1939, 2449 and 5034 examples first).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::case_sensitive_file_extension_comparisons,
    reason = "test code reads the transcript files"
)]

use std::path::Path;

fn transcript(name: &str) -> mailwire_core::transcript::Transcript {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/transcripts/pop3").join(name);
    let bytes = std::fs::read(&path).unwrap();
    mailwire_core::transcript::parse(&bytes).unwrap()
}

#[test]
fn every_transcript_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/transcripts/pop3");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    assert!(names.len() >= 6);
    for name in names {
        let t = transcript(&name);
        let whole = match mailwire_pop3::replay::replay(&t) {
            Ok(report) => report,
            Err(e) => panic!("{name}: {e}"),
        };
        assert!(!whole.lines.is_empty(), "{name}");
        for piece in [1, 2, 3, 7, 64] {
            match mailwire_pop3::replay::replay_in_pieces(&t, piece) {
                Ok(report) => assert_eq!(report, whole, "{name} in pieces of {piece}"),
                Err(e) => panic!("{name} in pieces of {piece}: {e}"),
            }
        }
    }
}

#[test]
fn rfc1939_session_reports_each_message() {
    let report = mailwire_pop3::replay::replay(&transcript("rfc1939-example-session.txt")).unwrap();
    assert_eq!(report.quirks, 0);
    assert_eq!(report.lines.len(), 17);
    assert!(report.to_string().ends_with("17 messages, ok"));
}

#[test]
fn quirks_are_reported_with_their_canonical_form() {
    let report = mailwire_pop3::replay::replay(&transcript("quirks.txt")).unwrap();
    assert_eq!(report.quirks, 4, "{report}");
    assert!(report.lines[0].contains("canonical: +OK ready"), "{report}");
}

#[test]
fn a_broken_transcript_names_its_line() {
    let t = mailwire_core::transcript::parse(b"S: +OK hi\nC: RETR 1\nS: +OK\n").unwrap();
    let e = mailwire_pop3::replay::replay(&t).unwrap_err();
    assert_eq!(e.line, 2);
    let t = mailwire_core::transcript::parse(b"S: +OK hi\nC: CAPA\nS: TOP\n").unwrap();
    let e = mailwire_pop3::replay::replay(&t).unwrap_err();
    assert_eq!((e.line, e.side), (3, mailwire_core::transcript::Side::Server));
}
