//! The examples' logic, run in-process: the demo end to end, and Python's smtplib and poplib
//! as clients of the `smtp_sink` and `pop3_serve` session logic over STARTTLS / STLS.
#![cfg(all(feature = "smtp", feature = "pop3", feature = "blocking", feature = "rustls"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::duplicate_mod,
    reason = "test code: a panic is a failed test; the examples' modules are included as they are"
)]

#[path = "../examples/demo.rs"]
#[allow(dead_code, reason = "the tests call the demo's run function")]
mod demo;

#[test]
fn the_demo_sends_and_fetches_its_message_byte_for_byte() {
    let mut transcript = Vec::new();
    let outcome = demo::run(&mut transcript).unwrap();
    let transcript = String::from_utf8(transcript).unwrap();
    println!("{transcript}");
    assert_eq!(outcome.octets, demo::MESSAGE.len());
    assert!(outcome.tls);
    assert_eq!(outcome.left, 0);
    assert!(transcript.contains("identical to what was sent"), "{transcript}");
    assert!(transcript.ends_with("demo: ok\n"), "{transcript}");
}
