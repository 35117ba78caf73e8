//! Helpers shared by the facade's integration tests that run the example programs.
#![allow(dead_code, reason = "each test file uses its own subset")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "test code: it runs programs, a panic is a failed test, a skip says why"
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long an example program may run before the test kills it and fails.
pub(crate) const LIMIT: Duration = Duration::from_secs(60);

/// The built example program `name` (`cargo test` builds the examples next to the tests), or
/// `None`, with a printed reason, when it is not there (a run limited to one test target).
pub(crate) fn example(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let path = exe.parent()?.parent()?.join("examples").join(file);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is not built (run the whole `cargo test`)", path.display());
        None
    }
}

/// Runs a program with `args`, `MAILWIRE_PASSWORD` set to `password` (or removed), no stdin,
/// for at most [`LIMIT`]; returns (exit code, stdout, stderr). Output is read while the
/// program runs, so a program that prints more than a pipe holds never stalls.
pub(crate) fn run_example(
    path: &Path,
    args: &[&str],
    password: Option<&str>,
) -> (i32, String, String) {
    let mut command = Command::new(path);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    match password {
        Some(p) => command.env("MAILWIRE_PASSWORD", p),
        None => command.env_remove("MAILWIRE_PASSWORD"),
    };
    let mut child = command.spawn().unwrap();
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).unwrap();
            text
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} {args:?} ran longer than {LIMIT:?}", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code().unwrap_or(-1), out.join().unwrap(), err.join().unwrap())
}
