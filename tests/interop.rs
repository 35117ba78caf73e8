//! The SMTP and POP3 clients against real Postfix and Dovecot, started on loopback by
//! `scripts/interop/start.sh` (see docs/interop.md). Without the servers each test prints why
//! it skips; with `MAILWIRE_INTEROP_REQUIRED=1` (CI) a skip is a failure.
//!
//! Postfix takes each message on its submission port (STARTTLS required, AUTH PLAIN and LOGIN)
//! or its implicit-TLS port and hands it to Dovecot over LMTP; the tests then read it back
//! through Dovecot's POP3 with STLS and POP3S and compare it with what was sent, after the
//! trace headers the servers add on top (Received, Return-Path, Delivered-To).
#![cfg(all(feature = "smtp", feature = "pop3", feature = "blocking", feature = "rustls"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::disallowed_methods,
    reason = "test code: a panic is a failed test; the tests read the CA file and wait for delivery"
)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use mailwire::core::Secret;
use mailwire::io::pop3::Pop3Client;
use mailwire::io::smtp::SmtpClient;
use mailwire::io::{ClientSettings, Error, TlsMode};
use mailwire::sasl::{ClientExchange, LoginClient};
use mailwire::smtp::RecipientOutcome;
use mailwire_testkit::interop::InteropEnv;

mod support;
use support::{example, run_example};

/// The tests share the servers' mailboxes: one at a time.
static MAILBOXES: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    MAILBOXES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The environment and settings trusting its CA for its TLS name.
fn setup(test: &str) -> Option<(InteropEnv, ClientSettings)> {
    let env = InteropEnv::load(test)?;
    let mut settings = ClientSettings::default();
    settings.add_ca_pem(&std::fs::read(env.get("CA")).unwrap()).unwrap();
    settings.server_name = Some(env.get("TLS_NAME").to_owned());
    Some((env, settings))
}

fn with_mode(settings: &ClientSettings, mode: TlsMode) -> ClientSettings {
    let mut s = settings.clone();
    s.tls_mode = mode;
    s
}

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_owned())
}

/// A marker no other message carries.
fn marker(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("mailwire-{test}-{}-{}-{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A message with every header Postfix would otherwise add (Date, Message-ID, From, To), so
/// that only trace headers are added in transit.
fn message(from: &str, to: &str, marker: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject} {marker}\r\n\
         Date: Sun, 22 Nov 2026 06:00:00 +0000\r\nMessage-ID: <{marker}@mailwire.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}"
    )
    .into_bytes()
}

/// The message without the trace headers the servers put on top.
fn without_trace(message: &[u8]) -> &[u8] {
    let mut rest = message;
    loop {
        let lower: Vec<u8> = rest.iter().take(16).map(u8::to_ascii_lowercase).collect();
        // Return-Path / Delivered-To / X-Original-To come from the delivery agent, Received
        // from each hop.
        let trace = [&b"received:"[..], b"return-path:", b"delivered-to:", b"x-original-to:"]
            .iter()
            .any(|name| lower.starts_with(name));
        if !trace {
            return rest;
        }
        // skip the field and its continuation lines
        let mut end = 0;
        loop {
            let Some(nl) = rest[end..].iter().position(|&b| b == b'\n') else { return &[] };
            end += nl + 1;
            if !matches!(rest.get(end), Some(b' ' | b'\t')) {
                break;
            }
        }
        rest = &rest[end..];
    }
}

/// Waits (at most 30 s) until the message carrying `marker` is in `user`'s mailbox, reads it
/// over `mode` (STLS or POP3S), deletes it when `delete`; returns it as read.
fn fetch(
    env: &InteropEnv,
    settings: &ClientSettings,
    mode: TlsMode,
    user: &str,
    password: &str,
    marker: &str,
    delete: bool,
) -> Vec<u8> {
    let addr = env.addr(if mode == TlsMode::Implicit { "POP3S" } else { "POP3" });
    let settings = with_mode(settings, mode);
    let start = Instant::now();
    loop {
        let mut pop = Pop3Client::connect(&addr, &settings).unwrap();
        assert!(pop.is_tls());
        pop.login(user, &secret(password)).unwrap();
        let mut found = None;
        for listing in pop.list().unwrap() {
            let m = pop.retrieve(listing.msg).unwrap();
            if m.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                if delete {
                    pop.delete(listing.msg).unwrap();
                }
                found = Some(m);
                break;
            }
        }
        pop.quit().unwrap();
        if let Some(m) = found {
            return m;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{marker} never reached {user}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Reads the message back over STLS (kept) and POP3S (deleted): both must be what was sent,
/// after the trace headers.
fn read_back_both_ways(
    env: &InteropEnv,
    settings: &ClientSettings,
    user: (&str, &str),
    marker: &str,
    sent: &[u8],
) {
    let stls = fetch(env, settings, TlsMode::StartTlsRequired, user.0, user.1, marker, false);
    let pop3s = fetch(env, settings, TlsMode::Implicit, user.0, user.1, marker, true);
    assert_eq!(stls, pop3s, "STLS and POP3S read the same bytes");
    assert!(stls.len() > sent.len(), "the servers added trace headers");
    assert_eq!(
        String::from_utf8_lossy(without_trace(&stls)),
        String::from_utf8_lossy(sent),
        "the message as read back, after the trace headers"
    );
    assert_eq!(without_trace(&stls), sent);
}

#[test]
fn submission_starttls_auth_plain_pipelining_chunking_and_a_rejected_recipient() {
    let Some((env, settings)) = setup("submission with STARTTLS and AUTH PLAIN") else { return };
    let _guard = lock();
    let (alice, bob) = (env.get("USER1"), env.get("USER2"));
    let nobody = format!("nobody@{}", env.get("DOMAIN"));
    let mut smtp = SmtpClient::connect(&env.addr("SUBMISSION"), &settings).unwrap();
    assert!(smtp.is_tls());
    let caps = smtp.capabilities().unwrap().clone();
    assert!(caps.pipelining && caps.chunking && caps.eight_bit_mime && caps.smtputf8, "{caps:?}");
    assert!(caps.has_auth("PLAIN") && caps.has_auth("LOGIN"), "{caps:?}");
    assert!(!caps.starttls);
    smtp.login(alice, &secret(env.get("PASS1"))).unwrap();

    let marker = marker("plain");
    let sent = message(
        alice,
        bob,
        &marker,
        "pipelined BDAT",
        ".a line with a leading dot\r\n.\r\n..\r\nlast line\r\n",
    );
    let report = smtp.send(alice, &[bob, nobody.as_str()], &sent).unwrap();
    assert!(report.delivered());
    assert!(matches!(report.recipients[0].1, RecipientOutcome::Accepted { .. }), "{report:?}");
    match &report.recipients[1].1 {
        RecipientOutcome::Rejected(reply) => {
            assert_eq!(reply.code().get(), 550, "{reply}");
            assert_eq!(reply.enhanced_code().unwrap().to_string(), "5.1.1");
        }
        other => panic!("{other:?}"),
    }
    let data = report.data.as_ref().unwrap();
    assert_eq!(data.code().get(), 250, "{data}");
    smtp.quit().unwrap();
    // Postfix counts what it got: the second RCPT refused, the message as BDAT chunks.
    let summary = postfix_session_summary(&env, &queue_id(&report));
    println!("{summary}");
    for counted in ["starttls=1", "auth=1", "mail=1", "rcpt=1/2", "bdat="] {
        assert!(summary.contains(counted), "{counted} in {summary}");
    }

    read_back_both_ways(&env, &settings, (bob, env.get("PASS2")), &marker, &sent);
}

#[test]
fn submission_auth_login_and_an_8bit_message() {
    let Some((env, settings)) = setup("submission with AUTH LOGIN") else { return };
    let _guard = lock();
    let (alice, bob) = (env.get("USER1"), env.get("USER2"));
    let mut smtp = SmtpClient::connect(&env.addr("SUBMISSION"), &settings).unwrap();
    let login = LoginClient::new(alice, secret(env.get("PASS1"))).unwrap();
    smtp.authenticate(ClientExchange::new(Box::new(login))).unwrap();
    let marker = marker("login");
    let sent = message(
        alice,
        bob,
        &marker,
        "8-bit",
        "Gr\u{fc}\u{df}e, \u{e9}t\u{e9}, \u{65e5}\u{672c}\u{8a9e}: an 8-bit body\r\n",
    );
    assert!(!sent.is_ascii());
    let report = smtp.send(alice, &[bob], &sent).unwrap();
    assert!(report.delivered(), "{report:?}");
    smtp.quit().unwrap();
    read_back_both_ways(&env, &settings, (bob, env.get("PASS2")), &marker, &sent);
}

/// Postfix's log, next to the CA in the directory `start.sh` writes.
fn postfix_log(env: &InteropEnv) -> std::path::PathBuf {
    let ca = std::path::Path::new(env.get("CA"));
    ca.parent().and_then(std::path::Path::parent).unwrap().join("postfix/maillog")
}

/// The queue id at the end of Postfix's final reply (`250 2.0.0 Ok: queued as 3F2A154C02B`).
fn queue_id(report: &mailwire::smtp::TransactionReport) -> String {
    let data = report.data.as_ref().unwrap().to_string();
    data.trim_end().rsplit(' ').next().unwrap().to_owned()
}

/// Waits (at most 10 s) for Postfix's log line summing up the session that queued `queue_id`
/// (`disconnect from ... ehlo=2 starttls=1 auth=1 mail=1 rcpt=1/2 bdat=2 quit=1 ...`).
fn postfix_session_summary(env: &InteropEnv, queue_id: &str) -> String {
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(postfix_log(env)).unwrap_or_default();
        // `postfix/smtpd[PID]: QUEUEID: client=...`, then that process's disconnect line
        let summary =
            log.lines().find(|l| l.contains(&format!(": {queue_id}: client="))).and_then(|l| {
                let process = l.split(": ").next()?.rsplit(' ').next()?.to_owned();
                let after = log.split_once(l)?.1;
                after
                    .lines()
                    .find(|x| x.contains(&format!("{process}: disconnect from")))
                    .map(str::to_owned)
            });
        if let Some(summary) = summary {
            return summary;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no session summary for {queue_id}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn implicit_tls_port_and_an_smtputf8_message() {
    let Some((env, settings)) = setup("SMTPS and an SMTPUTF8 message") else { return };
    let _guard = lock();
    let (alice, bob) = (env.get("USER1"), env.get("USER2"));
    let settings_465 = with_mode(&settings, TlsMode::Implicit);
    let mut smtp = SmtpClient::connect(&env.addr("SMTPS"), &settings_465).unwrap();
    assert!(smtp.is_tls());
    assert!(smtp.capabilities().unwrap().smtputf8);
    smtp.login(alice, &secret(env.get("PASS1"))).unwrap();

    // A message through the implicit-TLS port, read back.
    let marker_1 = marker("smtps");
    let sent = message(alice, bob, &marker_1, "implicit TLS", "through port 465\r\n");
    assert!(smtp.send(alice, &[bob], &sent).unwrap().delivered());

    // An SMTPUTF8 transaction: a UTF-8 sender address and UTF-8 header fields, delivered by
    // Postfix into Dovecot's Maildir and read back byte for byte like the others.
    let marker_2 = marker("smtputf8");
    let from = format!("j\u{f6}rg.m\u{fc}ller@{}", env.get("DOMAIN"));
    let utf8 = message(&from, bob, &marker_2, "SMTPUTF8 \u{2709}", "a UTF-8 sender address\r\n");
    let report = smtp.send(&from, &[bob], &utf8).unwrap();
    assert!(report.delivered(), "{report:?}");
    let queue_id = queue_id(&report);
    smtp.quit().unwrap();
    // Postfix read the UTF-8 address as sent ...
    let start = Instant::now();
    let logged = format!("{queue_id}: from=<{from}>");
    while !std::fs::read_to_string(postfix_log(&env)).unwrap_or_default().contains(&logged) {
        assert!(start.elapsed() < Duration::from_secs(10), "Postfix never logged {logged:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // ... and the message arrives unchanged.
    read_back_both_ways(&env, &settings, (bob, env.get("PASS2")), &marker_2, &utf8);
    read_back_both_ways(&env, &settings, (bob, env.get("PASS2")), &marker_1, &sent);
}

#[test]
fn submission_refuses_mail_and_credentials_before_starttls() {
    let Some((env, settings)) = setup("submission before STARTTLS") else { return };
    let (alice, bob) = (env.get("USER1"), env.get("USER2"));
    let mut plain = with_mode(&settings, TlsMode::None);
    plain.allow_plaintext_credentials = true;
    let mut smtp = SmtpClient::connect(&env.addr("SUBMISSION"), &plain).unwrap();
    assert!(!smtp.is_tls());
    let caps = smtp.capabilities().unwrap();
    assert!(caps.starttls && caps.auth.is_empty(), "no AUTH before TLS: {caps:?}");
    let err = smtp.login(alice, &secret(env.get("PASS1"))).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    match smtp.send(alice, &[bob], b"Subject: x\r\n\r\nx\r\n") {
        Err(Error::Rejected { command, reply }) => {
            assert_eq!(command, "MAIL FROM");
            assert!(reply.starts_with("530 5.7.0"), "{reply}");
        }
        other => panic!("{other:?}"),
    }
    smtp.quit().unwrap();
}

#[test]
fn a_wrong_password_is_refused_with_the_servers_reply() {
    let Some((env, settings)) = setup("wrong passwords") else { return };
    let alice = env.get("USER1");
    let mut smtp = SmtpClient::connect(&env.addr("SUBMISSION"), &settings).unwrap();
    match smtp.login(alice, &secret("not-the-password")) {
        Err(Error::Rejected { command, reply }) => {
            assert_eq!(command, "AUTH PLAIN");
            assert!(reply.starts_with("535 5.7.8"), "{reply}");
        }
        other => panic!("{other:?}"),
    }
    smtp.quit().unwrap();
    let mut pop = Pop3Client::connect(&env.addr("POP3"), &settings).unwrap();
    match pop.login(alice, &secret("not-the-password")) {
        Err(Error::Rejected { command, reply }) => {
            assert_eq!(command, "PASS");
            assert!(reply.starts_with("-ERR"), "{reply}");
        }
        other => panic!("{other:?}"),
    }
    pop.quit().unwrap();
}

#[test]
fn dovecot_refuses_plaintext_logins_from_another_address_until_stls() {
    let Some((env, settings)) = setup("POP3 plaintext login refusal (127.0.0.2)") else { return };
    let _guard = lock();
    let addr = format!("{}:{}", env.get("OTHER_HOST"), env.get("POP3_PORT"));
    let (bob, password) = (env.get("USER2"), secret(env.get("PASS2")));

    // In plaintext, from 127.0.0.1 to 127.0.0.2: Dovecot hides USER and its SASL mechanisms,
    // and refuses the login even when the client is willing to send the password.
    let mut plain = with_mode(&settings, TlsMode::None);
    plain.allow_plaintext_credentials = true;
    let mut pop = Pop3Client::connect(&addr, &plain).unwrap();
    let caps = pop.capa().unwrap();
    assert!(caps.stls(), "{caps:?}");
    assert!(!caps.0.contains(&mailwire::pop3::Capability::User), "{caps:?}");
    match pop.login(bob, &password) {
        Err(Error::Rejected { command, reply }) => {
            assert!(command == "USER" || command == "PASS", "{command}");
            assert!(
                reply.starts_with("-ERR [AUTH] Plaintext authentication disallowed"),
                "{reply}"
            );
        }
        other => panic!("{other:?}"),
    }
    pop.quit().unwrap();

    // After STLS the same address takes the login.
    let mut pop = Pop3Client::connect(&addr, &settings).unwrap();
    assert!(pop.is_tls());
    assert!(pop.capabilities().unwrap().0.contains(&mailwire::pop3::Capability::User));
    pop.login(bob, &password).unwrap();
    pop.stat().unwrap();
    pop.quit().unwrap();
}

#[test]
fn the_smtp_send_and_pop3_fetch_programs_against_postfix_and_dovecot() {
    let Some((env, settings)) = setup("smtp_send and pop3_fetch") else { return };
    let (Some(send), Some(fetch_program)) = (example("smtp_send"), example("pop3_fetch")) else {
        return;
    };
    let _guard = lock();
    let (alice, bob) = (env.get("USER1"), env.get("USER2"));
    let nobody = format!("nobody@{}", env.get("DOMAIN"));
    let dir =
        std::env::temp_dir().join(format!("mailwire-interop-programs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let marker = marker("programs");
    let sent = message(alice, bob, &marker, "smtp_send", "sent by the smtp_send example\r\n");
    // the file with bare LF line endings: smtp_send sends CRLF
    let file = dir.join("message.eml");
    std::fs::write(&file, String::from_utf8(sent.clone()).unwrap().replace("\r\n", "\n")).unwrap();
    let submission = format!("localhost:{}", env.get("SUBMISSION_PORT"));
    let (code, out, err) = run_example(
        &send,
        &[
            "--server",
            &submission,
            "--ca",
            env.get("CA"),
            "--user",
            alice,
            "--from",
            alice,
            "--to",
            bob,
            "--to",
            &nobody,
            file.to_str().unwrap(),
        ],
        Some(env.get("PASS1")),
    );
    println!("{out}{err}");
    assert_eq!(code, 1, "a refused recipient is a failure");
    assert!(out.contains(&format!("<{bob}>: accepted: 250 2.1.5")), "{out}");
    assert!(out.contains(&format!("<{nobody}>: refused: 550 5.1.1")), "{out}");
    assert!(out.contains("message: 250 2.0.0 Ok"), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("smtp_send: send: RCPT TO:<{nobody}> refused: 550 5.1.1")));

    // wait for the delivery, then fetch bob's mailbox with the program over POP3S
    fetch(&env, &settings, TlsMode::Implicit, bob, env.get("PASS2"), &marker, false);
    let out_dir = dir.join("fetched");
    let pop3s = format!("localhost:{}", env.get("POP3S_PORT"));
    let (code, out, err) = run_example(
        &fetch_program,
        &[
            "--server",
            &pop3s,
            "--tls",
            "implicit",
            "--ca",
            env.get("CA"),
            "--user",
            bob,
            "--out",
            out_dir.to_str().unwrap(),
            "--delete",
        ],
        Some(env.get("PASS2")),
    );
    println!("{out}{err}");
    assert_eq!(code, 0, "{out}{err}");
    let ours: Vec<Vec<u8>> = std::fs::read_dir(out_dir.join("new"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .filter(|m| m.windows(marker.len()).any(|w| w == marker.as_bytes()))
        .collect();
    assert_eq!(ours.len(), 1, "{out}");
    assert_eq!(without_trace(&ours[0]), &sent[..]);
    let _ = std::fs::remove_dir_all(&dir);
}
