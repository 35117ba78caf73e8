//! Differential test against Python's email package on the `CPython` test corpus.
//!
//! Runs only where `python3` and its `test` package are installed (skips with a message
//! otherwise). Every deliberate difference is listed in docs/mime-differences.md.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::unwrap_used,
    clippy::case_sensitive_file_extension_comparisons
)]

#[path = "../examples/mime_summary.rs"]
mod summary;

use std::path::PathBuf;
use std::process::Command;

/// Messages of the corpus that differ from Python on purpose (see docs/mime-differences.md).
const DELIBERATE: usize = 7;

fn corpus_dir() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import test, os; print(os.path.dirname(test.__file__))"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir =
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("test_email").join("data");
    dir.is_dir().then_some(dir)
}

#[test]
fn python_email_package_agrees() {
    let Some(corpus) = corpus_dir() else {
        println!("skipped: python3 or its test package (test/test_email/data) is not installed");
        return;
    };
    let work = std::env::temp_dir().join(format!("mailwire-mime-diff-{}", std::process::id()));
    let messages = work.join("corpus");
    let ours = work.join("ours");
    let reference = work.join("python");
    std::fs::create_dir_all(&messages).unwrap();
    std::fs::create_dir_all(&ours).unwrap();
    for e in std::fs::read_dir(&corpus).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("msg_") && name.ends_with(".txt") {
            let data = std::fs::read(e.path()).unwrap();
            std::fs::write(messages.join(&name), &data).unwrap();
            let stem = name.trim_end_matches(".txt");
            std::fs::write(ours.join(format!("{stem}.json")), summary::summarize(&data)).unwrap();
        }
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("mime")
        .join("python_summary.py");
    let st = Command::new("python3").arg(&script).arg(&messages).arg(&reference).status().unwrap();
    assert!(st.success(), "reference script failed");
    let out = Command::new("python3")
        .arg(&script)
        .arg("--compare")
        .arg(&ours)
        .arg(&reference)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{text}");
    let _ = std::fs::remove_dir_all(&work);
    let line = text.lines().find(|l| l.starts_with("agree ")).expect("comparison result");
    let (agree, total) = line.trim_start_matches("agree ").split_once('/').unwrap();
    let (agree, total): (usize, usize) = (agree.parse().unwrap(), total.parse().unwrap());
    assert!(total >= 40, "corpus too small: {total}");
    assert!(agree + DELIBERATE >= total, "only {agree}/{total} messages agree with Python");
}
