//! The examples' logic, run in-process: the demo end to end, and Python's smtplib and poplib
//! as clients of the `smtp_sink` and `pop3_serve` session logic over STARTTLS / STLS.
#![cfg(all(
    feature = "smtp",
    feature = "pop3",
    feature = "mime",
    feature = "blocking",
    feature = "rustls"
))]
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

mod support;
use support::{example, run_example};

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

#[test]
fn every_example_documents_its_flags() {
    for (name, flags) in [
        ("demo", &[][..]),
        (
            "smtp_send",
            &["--server", "--from", "--to", "--tls", "--ca", "--user", "MAILWIRE_PASSWORD"][..],
        ),
        ("smtp_sink", &["--listen", "--maildir", "--tls", "--cert", "--key", "--users"][..]),
        ("pop3_fetch", &["--server", "--user", "--out", "--delete", "--tls", "--ca"][..]),
        ("pop3_serve", &["--listen", "--maildir", "--tls", "--cert", "--key", "--users"][..]),
    ] {
        let Some(path) = example(name) else { return };
        let (code, out, err) = run_example(&path, &["--help"], None);
        assert_eq!(code, 0, "{name} --help: {err}");
        assert!(out.starts_with(name), "{name} --help: {out}");
        for flag in flags {
            assert!(out.contains(flag), "{name} --help does not mention {flag}:\n{out}");
        }
    }
}

#[test]
fn a_failure_is_one_line_on_stderr_naming_the_step() {
    let Some(send) = example("smtp_send") else { return };
    let Some(fetch) = example("pop3_fetch") else { return };
    let dir = TempDir::new("failures");
    let file = dir.path().join("m.eml");
    std::fs::write(&file, "Subject: x\n\nx\n").unwrap();
    let file = file.to_str().unwrap();
    // nothing listens on port 1
    let (code, out, err) = run_example(
        &send,
        &["--server", "127.0.0.1:1", "--from", "a@example.org", "--to", "b@example.org", file],
        None,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("smtp_send: connect to 127.0.0.1:1: "), "{err}");
    // a missing argument
    let (code, _, err) = run_example(&send, &["--server", "127.0.0.1:1", file], None);
    assert_eq!(code, 1);
    assert_eq!(err.trim_end(), "smtp_send: arguments: --from is required");
    // --user without the password variable
    let (code, _, err) = run_example(&fetch, &["--server", "127.0.0.1:1", "--user", "ann"], None);
    assert_eq!(code, 1);
    assert!(err.starts_with("pop3_fetch: arguments: --user needs the password"), "{err}");
    let (code, _, err) = run_example(&fetch, &["--server", "127.0.0.1:1", "--bogus"], None);
    assert_eq!(code, 1);
    assert!(err.starts_with("pop3_fetch: arguments: unknown flag --bogus"), "{err}");
}

/// The four programs end to end: `smtp_sink` and `pop3_serve` over one Maildir, `smtp_send`
/// and `pop3_fetch` as their clients, each with the CA the servers generated.
#[test]
fn the_example_programs_work_together() {
    let (Some(sink), Some(serve), Some(send), Some(fetch)) =
        (example("smtp_sink"), example("pop3_serve"), example("smtp_send"), example("pop3_fetch"))
    else {
        return;
    };
    let dir = TempDir::new("programs");
    let users = dir.path().join("users");
    std::fs::write(&users, "ann:ann-pw\n").unwrap();
    let maildir = dir.path().join("maildir");
    let (users, maildir) = (users.to_str().unwrap(), maildir.to_str().unwrap());
    // Free ports: bind, note, release (the servers bind them right after).
    let port = || TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (smtp_addr, pop_addr) = (format!("127.0.0.1:{}", port()), format!("127.0.0.1:{}", port()));
    let spawn = |path: &Path, listen: &str| {
        let mut child = Command::new(path)
            .args(["--listen", listen, "--maildir", maildir, "--users", users])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // the first line names the generated CA
        let mut stdout = child.stdout.take().unwrap();
        let mut first = Vec::new();
        let mut byte = [0u8];
        while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            first.push(byte[0]);
        }
        let first = String::from_utf8(first).unwrap();
        let ca = first.rsplit(' ').next().unwrap().to_owned();
        assert!(ca.ends_with("-ca.pem"), "{first}");
        (Killed(child), ca, stdout)
    };
    let (_sink, sink_ca, _sink_out) = spawn(&sink, &smtp_addr);
    let (_serve, serve_ca, _serve_out) = spawn(&serve, &pop_addr);
    let wait = |addr: &str| {
        let start = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "{addr} never opened");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait(&smtp_addr);
    wait(&pop_addr);

    let message = dir.path().join("m.eml");
    std::fs::write(&message, "Subject: programs\nFrom: ann@example.org\n\n.dot\nbye\n").unwrap();
    let smtp_server = smtp_addr.replace("127.0.0.1", "localhost");
    let (code, out, err) = run_example(
        &send,
        &[
            "--server",
            &smtp_server,
            "--ca",
            &sink_ca,
            "--user",
            "ann",
            "--from",
            "ann@example.org",
            "--to",
            "bob@example.org",
            message.to_str().unwrap(),
        ],
        Some("ann-pw"),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("<bob@example.org>: accepted: 250"), "{out}");
    assert!(out.contains("message: 250 2.0.0 Ok: queued as "), "{out}");

    let out_dir = dir.path().join("fetched");
    let pop_server = pop_addr.replace("127.0.0.1", "localhost");
    let (code, out, err) = run_example(
        &fetch,
        &[
            "--server",
            &pop_server,
            "--ca",
            &serve_ca,
            "--user",
            "ann",
            "--out",
            out_dir.to_str().unwrap(),
            "--delete",
        ],
        Some("ann-pw"),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 message(s)") && out.contains("deleted 1 message(s)"), "{out}");
    let fetched: Vec<_> = std::fs::read_dir(out_dir.join("new")).unwrap().collect();
    assert_eq!(fetched.len(), 1);
    let got = std::fs::read(fetched[0].as_ref().unwrap().path()).unwrap();
    assert_eq!(got, b"Subject: programs\r\nFrom: ann@example.org\r\n\r\n.dot\r\nbye\r\n");
    assert_eq!(std::fs::read_dir(Path::new(maildir).join("new")).unwrap().count(), 0);
    let _ = std::fs::remove_file(&sink_ca);
    let _ = std::fs::remove_file(&serve_ca);
}

/// A child process killed when the test ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
