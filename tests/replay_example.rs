//! The `replay` example, run as a program: every transcript in `tests/transcripts/` passes with
//! a final `N messages, ok` line, and a broken one fails with its line number and side, as
//! `shared/spec/transcripts.md` specifies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    reason = "test code runs a program and reads files"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

/// The replay program cargo built next to this test; this test target requires it.
fn replay_bin() -> PathBuf {
    support::example("replay").expect("cargo test builds the examples")
}

fn transcripts(protocol: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts").join(protocol);
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

#[test]
fn every_transcript_replays() {
    let bin = replay_bin();
    let mut count = 0;
    for protocol in ["smtp", "lmtp", "pop3"] {
        for file in transcripts(protocol) {
            let out = Command::new(&bin).arg(protocol).arg(&file).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let last = stdout.lines().last().unwrap_or_default();
            let n: usize = last.strip_suffix(" messages, ok").unwrap().parse().unwrap();
            assert_eq!(stdout.lines().count(), n + 1, "one line per message, then the total");
            count += 1;
        }
    }
    assert!(count >= 20, "only {count} transcripts found");
}

#[test]
fn a_broken_transcript_names_its_line_and_side() {
    let dir = std::env::temp_dir().join(format!("mailwire-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.txt");
    // line 5: a reply whose code disagrees with its continuation line
    std::fs::write(
        &file,
        "S: 220 mx.example.test ESMTP\nC: EHLO c.example.test\nS: 250-mx.example.test\nS: 250 PIPELINING\nC: NOOP\nS: 250-ok\nS: 251 not ok\n",
    )
    .unwrap();
    let out = Command::new(replay_bin()).arg("smtp").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let prefix = format!("{}:", file.display());
    let rest = stderr.trim().strip_prefix(&prefix).unwrap_or_else(|| panic!("{stderr}"));
    let (line, side) = rest.split_once(':').unwrap();
    assert!(matches!(line, "6" | "7"), "reported line {line}: {stderr}");
    assert!(side.trim_start().starts_with("S:"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(replay_bin()).arg("gopher").arg("x").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(replay_bin()).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("smtp|lmtp|pop3"));
}
