//! Replays a session transcript (the `C: ` / `S: ` format of the RFCs' examples) through
//! mailwire's codec and its client and server machines.
//!
//! ```text
//! cargo run --example replay -- <protocol> FILE
//! ```
//!
//! Prints one line per message and a final `N messages, ok` line, or stops at the first
//! failure with the file's line number, the side and the reason, and exits non-zero.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "a command-line tool: it reads a file and prints"
)]

use std::process::ExitCode;

use mailwire::core::transcript;

const USAGE: &str = "usage: replay <smtp|lmtp|pop3> FILE

Replays a session transcript (C:/S: lines, `== TLS` markers) through mailwire's codec and its
client and server machines. Prints one line per message and `N messages, ok`, or the first
failure as `FILE:LINE: SIDE: reason` and exits with status 1.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let [protocol, file] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("replay: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let transcript = match transcript::parse(&bytes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{file}:{}: not a transcript line", e.line);
            return ExitCode::FAILURE;
        }
    };
    let outcome = match protocol.as_str() {
        "smtp" | "lmtp" => mailwire::smtp::replay::replay(&transcript, protocol == "lmtp")
            .map(|r| r.to_string())
            .map_err(|f| (f.line, f.side, f.reason)),
        "pop3" => mailwire::pop3::replay::replay(&transcript)
            .map(|r| r.to_string())
            .map_err(|f| (f.line, f.side, f.reason)),
        other => {
            eprintln!("replay: unknown protocol {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err((line, side, reason)) => {
            eprintln!("{file}:{line}: {}: {reason}", side.letter());
            ExitCode::FAILURE
        }
    }
}
