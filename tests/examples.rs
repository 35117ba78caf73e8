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

#[path = "../examples/pop3_serve.rs"]
#[allow(dead_code, reason = "the tests use the session logic, not the program")]
mod pop3_serve;
#[path = "../examples/smtp_sink.rs"]
#[allow(dead_code, reason = "the tests use the session logic, not the program")]
mod smtp_sink;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("mailwire-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn python3() -> bool {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("skipped: python3 is not installed");
    }
    found
}

/// Runs a script of tests/interop with python3; its stdout. Fails the test on a non-zero exit
/// or when it runs longer than `limit` (the child is killed: no hang).
fn python(script: &str, args: &[&str], limit: Duration) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop").join(script);
    let mut child = Command::new("python3")
        .arg(path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{script} ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "{script} {args:?} failed: {status}\n{out}\n{err}");
    out
}

fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {key:?} line in:\n{out}"))
}

const PY_MESSAGES: [&[u8]; 3] = [
    b"From: py@example.org\r\nTo: alice@example.org\r\nSubject: one\r\n\r\n.a leading dot\r\n..two\r\n.\r\nend\r\n",
    "From: py@example.org\r\nTo: alice@example.org\r\nSubject: caf\u{e9}\r\n\r\n\u{e9}t\u{e9} 8-bit\r\n"
        .as_bytes(),
    "From: jos\u{e9}@example.org\r\nTo: \u{7528}\u{6237}@example.org\r\nSubject: SMTPUTF8\r\n\r\nhi\r\n"
        .as_bytes(),
];

#[test]
fn python_smtplib_and_poplib_against_smtp_sink_and_pop3_serve_over_starttls() {
    if !python3() {
        return;
    }
    let dir = TempDir::new("py-examples");
    let maildir_path = dir.path().join("maildir");

    // smtp_sink with users, STARTTLS, a generated certificate.
    let pki = smtp_sink::common::generate_pki().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca).unwrap();
    let cert =
        mailwire::io::TlsServerConfig::from_pem(pki.chain.as_bytes(), pki.key.as_bytes()).unwrap();
    let sink = Arc::new(smtp_sink::SinkOptions {
        domain: "localhost".into(),
        tls: smtp_sink::common::TlsFlag::StartTls,
        cert: Some(cert.clone()),
        users: Some(smtp_sink::common::Users::parse("alice:alice-pw\n").unwrap()),
    });
    let deliver =
        smtp_sink::maildir_deliver(smtp_sink::common::Maildir::create(&maildir_path).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_port = listener.local_addr().unwrap().port().to_string();
    std::thread::spawn(move || smtp_sink::serve(&listener, &sink, &deliver));

    // Three messages with AUTH PLAIN (one 8-bit, one SMTPUTF8), the first again with LOGIN.
    let mut jobs = Vec::new();
    for (i, (from, to, options)) in [
        ("py@example.org", "alice@example.org", "[]"),
        ("py@example.org", "alice@example.org", r#"["BODY=8BITMIME"]"#),
        (
            "jos\u{e9}@example.org",
            "\u{7528}\u{6237}@example.org",
            r#"["SMTPUTF8", "BODY=8BITMIME"]"#,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.path().join(format!("m{i}.eml"));
        std::fs::write(&file, PY_MESSAGES[i]).unwrap();
        jobs.push(format!(
            r#"{{"from": "{from}", "to": ["{to}"], "options": {options}, "message": "{}"}}"#,
            file.display()
        ));
    }
    let all = dir.path().join("jobs.json");
    std::fs::write(&all, format!("[{}]", jobs.join(", "))).unwrap();
    let first = dir.path().join("first.json");
    std::fs::write(&first, format!("[{}]", jobs[0])).unwrap();
    let limit = Duration::from_secs(60);
    let ca = ca.to_str().unwrap();
    let all = all.to_str().unwrap();
    let out = python(
        "smtp_client.py",
        &["127.0.0.1", &smtp_port, ca, "alice", "alice-pw", "PLAIN", all],
        limit,
    );
    println!("{out}");
    assert!(line(&out, "before_tls").split(' ').any(|k| k == "STARTTLS"), "{out}");
    let after: Vec<&str> = line(&out, "after_tls").split(' ').collect();
    for k in ["AUTH", "PIPELINING", "CHUNKING", "8BITMIME", "SMTPUTF8", "SIZE"] {
        assert!(after.contains(&k), "{k} missing after STARTTLS: {out}");
    }
    assert!(!after.contains(&"STARTTLS"), "{out}");
    assert!(line(&out, "auth").starts_with("235 "), "{out}");
    for n in 0..3 {
        assert!(line(&out, &format!("job {n} data")).starts_with("250 "), "{out}");
    }
    let out = python(
        "smtp_client.py",
        &["127.0.0.1", &smtp_port, ca, "alice", "alice-pw", "LOGIN", first.to_str().unwrap()],
        limit,
    );
    assert!(line(&out, "auth").starts_with("235 "), "{out}");
    assert!(line(&out, "job 0 data").starts_with("250 "), "{out}");

    // What the sink stored: the bytes Python sent, in order.
    let maildir = pop3_serve::common::Maildir::create(&maildir_path).unwrap();
    let stored: Vec<Vec<u8>> =
        maildir.list().unwrap().iter().map(|e| std::fs::read(&e.path).unwrap()).collect();
    let expected = [PY_MESSAGES[0], PY_MESSAGES[1], PY_MESSAGES[2], PY_MESSAGES[0]];
    assert_eq!(stored, expected);

    // pop3_serve over the same Maildir; poplib with USER/PASS, then AUTH PLAIN and DELE.
    let pop = Arc::new(pop3_serve::ServeOptions {
        tls: pop3_serve::common::TlsFlag::StartTls,
        cert: Some(cert),
        users: pop3_serve::common::Users::parse("alice:alice-pw\n").unwrap(),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let pop_port = listener.local_addr().unwrap().port().to_string();
    let drop: Arc<dyn pop3_serve::Maildrop> = Arc::new(maildir.clone());
    let log: Arc<pop3_serve::Log> = Arc::new(|line: String| println!("pop3_serve: {line}"));
    std::thread::spawn(move || pop3_serve::serve(&listener, &pop, &drop, &log));
    for (login, delete) in [("user", false), ("plain", true)] {
        let out_dir = TempDir::new("py-fetched");
        let mut args = vec![
            "127.0.0.1",
            &pop_port,
            ca,
            "alice",
            "alice-pw",
            login,
            out_dir.path().to_str().unwrap(),
        ];
        if delete {
            args.push("--delete");
        }
        let out = python("pop3_client.py", &args, limit);
        println!("{out}");
        let before: Vec<&str> = line(&out, "before_tls").split(' ').collect();
        assert!(before.contains(&"STLS") && !before.contains(&"USER"), "{out}");
        assert!(line(&out, "plaintext_user").starts_with("-ERR"), "{out}");
        let after: Vec<&str> = line(&out, "after_tls").split(' ').collect();
        assert!(after.contains(&"USER") && after.contains(&"SASL") && !after.contains(&"STLS"));
        assert!(line(&out, "login").starts_with("+OK"), "{out}");
        assert!(line(&out, "quit").starts_with("+OK"), "{out}");
        for (i, want) in expected.iter().enumerate() {
            let got = std::fs::read(out_dir.path().join(format!("{}.eml", i + 1))).unwrap();
            assert_eq!(&got[..], *want, "message {}", i + 1);
        }
        assert_eq!(out.lines().filter(|l| l.starts_with("uidl ")).count(), 4, "{out}");
    }
    assert!(maildir.list().unwrap().is_empty(), "DELE and QUIT emptied the Maildir");
}
