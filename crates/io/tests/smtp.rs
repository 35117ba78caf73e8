//! The SMTP convenience client against the SMTP server machine, both driven over loopback TCP.
#![cfg(feature = "smtp")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a failed test"
)]

mod common;

use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};

use mailwire_core::{Secret, Security};
use mailwire_io::blocking::Connection;
use mailwire_io::smtp::SmtpClient;
use mailwire_io::{ClientSettings, Error, TlsError, TlsMode};
use mailwire_smtp::{
    Command, Domain, ForwardPath, Keyword, RecipientOutcome, Reply, ServerConfig, ServerEvent,
    SmtpServer,
};

/// What the server application saw.
#[derive(Debug, Default)]
struct Seen {
    bodies: Vec<Vec<u8>>,
    tls: bool,
    authenticated: bool,
}

/// Accepts everything except recipients whose local part starts with "bad"; AUTH PLAIN and
/// LOGIN for ann / secret.
fn answer(server: &mut SmtpServer, event: ServerEvent, body: &mut Vec<u8>, seen: &mut Seen) {
    match event {
        ServerEvent::Command(Command::Rcpt { to: ForwardPath::Mailbox(m), .. })
            if m.local_bytes().starts_with(b"bad") =>
        {
            server.reply(&Reply::new(550, "5.1.1 No such user").unwrap()).unwrap();
        }
        ServerEvent::Command(Command::Auth { initial: Some(ir), .. }) => {
            // base64 of "\0ann\0secret"
            let ok = ir.expose().as_bytes() == b"AGFubgBzZWNyZXQ=";
            let reply = if ok {
                seen.authenticated = true;
                Reply::new(235, "2.7.0 Authentication successful").unwrap()
            } else {
                Reply::new(535, "5.7.8 Authentication credentials invalid").unwrap()
            };
            server.reply(&reply).unwrap();
        }
        ServerEvent::Command(Command::Bdat { .. }) => {}
        ServerEvent::Command(_) | ServerEvent::AuthResponse(_) => server.accept().unwrap(),
        ServerEvent::BodyChunk(b) => body.extend_from_slice(&b),
        ServerEvent::BodyEnd { last } => {
            if last {
                seen.bodies.push(std::mem::take(body));
            }
            let text = if last { "2.0.0 Ok: queued as ABC123" } else { "2.0.0 chunk ok" };
            server.reply(&Reply::new(250, text).unwrap()).unwrap();
        }
        ServerEvent::TlsEstablished => seen.tls = true,
        _ => {}
    }
}

struct Served {
    seen: Seen,
    result: Result<(), Error>,
}

fn serve(
    configure: impl FnOnce(&mut ServerConfig) + Send + 'static,
    implicit: bool,
) -> (String, ClientSettings, JoinHandle<Served>) {
    let pki = common::pki();
    let (_, server_tls) = common::tls_pair(&pki);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let (sock, _) = l.accept().unwrap();
        let mut config = ServerConfig::new(Domain::try_from("mx.test").unwrap());
        config.capabilities.starttls = true;
        config.capabilities.auth =
            vec![Keyword::try_from("PLAIN").unwrap(), Keyword::try_from("LOGIN").unwrap()];
        if implicit {
            config.security = Security::Tls;
        }
        configure(&mut config);
        let conn = Connection::<SmtpServer, TcpStream>::new(SmtpServer::new(config), sock);
        let mut conn = if implicit {
            conn.with_implicit_tls(server_tls)
        } else {
            conn.with_starttls(server_tls)
        };
        conn.machine_mut().accept().unwrap(); // the greeting
        let mut seen = Seen::default();
        let mut body = Vec::new();
        let result = conn.run_until_closed(|server, event| {
            answer(server, event, &mut body, &mut seen);
            Ok(())
        });
        Served { seen, result }
    });
    let mut settings = ClientSettings::default();
    settings.tls = mailwire_io::TlsClientConfig::with_ca_pem(pki.ca.as_bytes()).unwrap();
    (addr, settings, handle)
}

const MESSAGE: &[u8] = b"From: ann@example.org\r\nTo: bob@example.net\r\nSubject: test\r\n\r\n\
.a line with a leading dot\r\nend\r\n";

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_owned())
}

#[test]
fn starttls_required_auth_and_a_message_with_one_rejected_recipient() {
    let (addr, settings, server) = serve(|_| {}, false);
    let mut smtp = SmtpClient::connect(&addr, &settings).unwrap();
    assert!(smtp.is_tls());
    assert!(!smtp.capabilities().unwrap().starttls, "EHLO again under TLS");
    smtp.login("ann", &secret("secret")).unwrap();
    let report =
        smtp.send("ann@example.org", &["bob@example.net", "bad@example.net"], MESSAGE).unwrap();
    assert!(report.delivered());
    assert!(matches!(report.recipients[0].1, RecipientOutcome::Accepted { .. }));
    match &report.recipients[1].1 {
        RecipientOutcome::Rejected(reply) => {
            assert_eq!(reply.code().get(), 550);
            assert_eq!(reply.enhanced_code().unwrap().to_string(), "5.1.1");
        }
        other => panic!("{other:?}"),
    }
    assert!(report.data.unwrap().to_string().contains("queued as ABC123"));
    smtp.quit().unwrap();
    let served = server.join().unwrap();
    served.result.unwrap();
    assert!(served.seen.tls && served.seen.authenticated);
    assert_eq!(served.seen.bodies, [MESSAGE]);
}

#[test]
fn data_without_chunking_dot_stuffs_and_delivers_the_same_bytes() {
    let (addr, settings, server) = serve(|c| c.capabilities.chunking = false, false);
    let mut smtp = SmtpClient::connect(&addr, &settings).unwrap();
    smtp.login("ann", &secret("secret")).unwrap();
    let eight_bit = "Subject: caf\u{e9}\r\n\r\n\u{e9}t\u{e9}\r\n.\r\n".as_bytes();
    smtp.send("ann@example.org", &["bob@example.net"], MESSAGE).unwrap();
    smtp.send("", &["bob@example.net"], eight_bit).unwrap();
    smtp.quit().unwrap();
    let served = server.join().unwrap();
    served.result.unwrap();
    assert_eq!(served.seen.bodies, [MESSAGE, eight_bit]);
}

#[test]
fn implicit_tls() {
    let (addr, mut settings, server) = serve(|_| {}, true);
    settings.tls_mode = TlsMode::Implicit;
    let mut smtp = SmtpClient::connect(&addr, &settings).unwrap();
    assert!(smtp.is_tls());
    smtp.login("ann", &secret("secret")).unwrap();
    smtp.send("ann@example.org", &["bob@example.net"], MESSAGE).unwrap();
    smtp.quit().unwrap();
    let served = server.join().unwrap();
    served.result.unwrap();
    assert_eq!(served.seen.bodies, [MESSAGE]);
}

#[test]
fn starttls_required_but_not_offered_says_quit_and_fails() {
    let (addr, settings, server) = serve(|c| c.capabilities.starttls = false, false);
    let err = SmtpClient::connect(&addr, &settings).unwrap_err();
    assert!(matches!(err, Error::Tls(TlsError::NotOffered("STARTTLS"))), "{err:?}");
    server.join().unwrap().result.unwrap();
}

#[test]
fn opportunistic_without_starttls_keeps_credentials_back() {
    let (addr, mut settings, server) = serve(|c| c.capabilities.starttls = false, false);
    settings.tls_mode = TlsMode::StartTlsOpportunistic;
    let mut smtp = SmtpClient::connect(&addr, &settings).unwrap();
    assert!(!smtp.is_tls());
    let err = smtp.login("ann", &secret("secret")).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    smtp.quit().unwrap();
    server.join().unwrap().result.unwrap();
}

#[test]
fn refusals_name_the_step_and_carry_the_reply() {
    let (addr, settings, server) = serve(|_| {}, false);
    let mut smtp = SmtpClient::connect(&addr, &settings).unwrap();
    match smtp.login("ann", &secret("wrong")) {
        Err(Error::Rejected { command, reply }) => {
            assert_eq!(command, "AUTH PLAIN");
            assert_eq!(reply, "535 5.7.8 Authentication credentials invalid");
        }
        other => panic!("{other:?}"),
    }
    match smtp.send("ann@example.org", &["bad@example.net"], MESSAGE) {
        Err(Error::Rejected { command, reply }) => {
            assert_eq!(command, "RCPT TO");
            assert_eq!(reply, "550 5.1.1 No such user");
        }
        other => panic!("{other:?}"),
    }
    // the session goes on
    smtp.send("ann@example.org", &["bob@example.net"], MESSAGE).unwrap();
    smtp.quit().unwrap();
    server.join().unwrap().result.unwrap();
}

#[cfg(feature = "tokio")]
mod tokio_client {
    use super::*;
    use mailwire_io::smtp::AsyncSmtpClient;

    #[tokio::test]
    async fn starttls_required_auth_and_a_message_with_one_rejected_recipient() {
        let (addr, settings, server) = serve(|_| {}, false);
        let mut smtp = AsyncSmtpClient::connect(&addr, &settings).await.unwrap();
        assert!(smtp.is_tls());
        smtp.login("ann", &secret("secret")).await.unwrap();
        let report = smtp
            .send("ann@example.org", &["bob@example.net", "bad@example.net"], MESSAGE)
            .await
            .unwrap();
        assert!(report.delivered());
        assert!(matches!(report.recipients[1].1, RecipientOutcome::Rejected(_)));
        smtp.quit().await.unwrap();
        let served = server.join().unwrap();
        served.result.unwrap();
        assert!(served.seen.tls && served.seen.authenticated);
        assert_eq!(served.seen.bodies, [MESSAGE]);
    }

    #[tokio::test]
    async fn implicit_tls_with_data() {
        let (addr, mut settings, server) = serve(|c| c.capabilities.chunking = false, true);
        settings.tls_mode = TlsMode::Implicit;
        let mut smtp = AsyncSmtpClient::connect(&addr, &settings).await.unwrap();
        smtp.login("ann", &secret("secret")).await.unwrap();
        smtp.send("ann@example.org", &["bob@example.net"], MESSAGE).await.unwrap();
        smtp.quit().await.unwrap();
        let served = server.join().unwrap();
        served.result.unwrap();
        assert_eq!(served.seen.bodies, [MESSAGE]);
    }

    #[tokio::test]
    async fn starttls_required_but_not_offered() {
        let (addr, settings, server) = serve(|c| c.capabilities.starttls = false, false);
        let err = AsyncSmtpClient::connect(&addr, &settings).await.unwrap_err();
        assert!(matches!(err, Error::Tls(TlsError::NotOffered("STARTTLS"))), "{err:?}");
        server.join().unwrap().result.unwrap();
    }
}
