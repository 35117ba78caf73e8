//! The POP3 convenience client against the POP3 server machine, both driven over loopback TCP.
#![cfg(feature = "pop3")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "test code: a panic is a failed test"
)]

mod common;

use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};

use mailwire_core::{Secret, Security};
use mailwire_io::blocking::Connection;
use mailwire_io::pop3::Pop3Client;
use mailwire_io::{ClientSettings, Error, TlsError, TlsMode};
use mailwire_pop3::{
    Capabilities, Capability, Command, MsgNum, Server, ServerConfig, ServerEvent, Stat, Status,
};

const MESSAGES: [&[u8]; 2] =
    [b"Subject: one\r\n\r\n.a line with a leading dot\r\nend\r\n", b"Subject: two\r\n\r\nhi\r\n"];

/// The application behind the server machine: a fixed maildrop, user ann, password "secret".
struct Maildrop {
    offer_stls: bool,
    tls: bool,
}

impl Maildrop {
    fn answer(&mut self, server: &mut Server, event: ServerEvent) {
        let (h, command) = match event {
            ServerEvent::Command { handle, command } => (handle, command),
            ServerEvent::TlsEstablished => {
                self.tls = true;
                return;
            }
            _ => return,
        };
        let ok = Status::ok("");
        match command {
            Command::Capa => {
                let mut caps = vec![Capability::User, Capability::Uidl];
                if self.offer_stls && !self.tls {
                    caps.push(Capability::Stls);
                }
                server.respond_capabilities(h, &Capabilities(caps)).unwrap();
            }
            Command::Stls => server.respond(h, &Status::ok("begin TLS")).unwrap(),
            Command::Pass(p) if p.expose().as_bytes() != b"secret" => {
                server.respond(h, &Status::err("bad password")).unwrap();
            }
            Command::User(_) | Command::Pass(_) | Command::Dele(_) | Command::Quit => {
                server.respond(h, &ok).unwrap();
            }
            Command::Stat => {
                let size = MESSAGES.iter().map(|m| m.len() as u64).sum();
                server.respond(h, &Status::stat(Stat { count: 2, size })).unwrap();
            }
            Command::List(None) | Command::Uidl(None) => {
                server.respond(h, &ok).unwrap();
                for (i, m) in MESSAGES.iter().enumerate() {
                    let line = if matches!(command, Command::List(_)) {
                        format!("{} {}\r\n", i + 1, m.len())
                    } else {
                        format!("{} uid-{}\r\n", i + 1, i + 1)
                    };
                    server.send_body(h, line.as_bytes()).unwrap();
                }
                server.end_body(h).unwrap();
            }
            Command::Retr(m) => match MESSAGES.get(m.get() as usize - 1) {
                Some(body) => {
                    server.respond(h, &ok).unwrap();
                    server.send_body(h, body).unwrap();
                    server.end_body(h).unwrap();
                }
                None => server.respond(h, &Status::err("no such message")).unwrap(),
            },
            _ => server.respond(h, &Status::err("not here")).unwrap(),
        }
    }
}

struct Served {
    deleted: Vec<MsgNum>,
    result: Result<(), Error>,
}

fn serve(offer_stls: bool, implicit: bool) -> (String, ClientSettings, JoinHandle<Served>) {
    let pki = common::pki();
    let (_, server_tls) = common::tls_pair(&pki);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let (sock, _) = l.accept().unwrap();
        let security = if implicit { Security::Tls } else { Security::Plaintext };
        let conn = Connection::<Server, TcpStream>::new(
            Server::new(ServerConfig::default(), security),
            sock,
        );
        let mut conn = if implicit {
            conn.with_implicit_tls(server_tls)
        } else {
            conn.with_starttls(server_tls)
        };
        let mut app = Maildrop { offer_stls, tls: implicit };
        let result = conn.run_until_closed(|server, event| {
            app.answer(server, event);
            Ok(())
        });
        Served { deleted: conn.machine().deleted().to_vec(), result }
    });
    let mut settings = ClientSettings::default();
    settings.tls = mailwire_io::TlsClientConfig::with_ca_pem(pki.ca.as_bytes()).unwrap();
    (addr, settings, handle)
}

fn secret(s: &str) -> Secret<String> {
    Secret::new(s.to_owned())
}

fn n(v: u32) -> MsgNum {
    MsgNum::new(v).unwrap()
}

#[test]
fn stls_required_login_list_retrieve_delete_quit() {
    let (addr, settings, server) = serve(true, false);
    let mut pop = Pop3Client::connect(&addr, &settings).unwrap();
    assert!(pop.is_tls());
    assert!(!pop.capabilities().unwrap().stls(), "capabilities were learned again under TLS");
    pop.login("ann", &secret("secret")).unwrap();
    assert_eq!(pop.stat().unwrap().count, 2);
    let list = pop.list().unwrap();
    assert_eq!(
        list.iter().map(|l| l.size).collect::<Vec<_>>(),
        [MESSAGES[0].len() as u64, MESSAGES[1].len() as u64]
    );
    let uidl = pop.uidl().unwrap();
    assert_eq!(uidl[1].uid.as_bytes(), b"uid-2");
    assert_eq!(pop.retrieve(n(1)).unwrap(), MESSAGES[0]);
    let mut streamed = Vec::new();
    assert_eq!(pop.retrieve_to(n(2), &mut streamed).unwrap(), MESSAGES[1].len() as u64);
    assert_eq!(streamed, MESSAGES[1]);
    match pop.retrieve(n(3)) {
        Err(Error::Rejected { command, reply }) => {
            assert_eq!(command, "RETR 3");
            assert_eq!(reply, "-ERR no such message");
        }
        other => panic!("{other:?}"),
    }
    pop.delete(n(1)).unwrap();
    pop.quit().unwrap();
    let served = server.join().unwrap();
    served.result.unwrap();
    assert_eq!(served.deleted, [n(1)]);
}

#[test]
fn implicit_tls() {
    let (addr, mut settings, server) = serve(false, true);
    settings.tls_mode = TlsMode::Implicit;
    let mut pop = Pop3Client::connect(&addr, &settings).unwrap();
    assert!(pop.is_tls());
    pop.login("ann", &secret("secret")).unwrap();
    assert_eq!(pop.retrieve(n(2)).unwrap(), MESSAGES[1]);
    pop.quit().unwrap();
    server.join().unwrap().result.unwrap();
}

#[test]
fn stls_required_but_not_offered_fails_before_any_credential() {
    let (addr, settings, server) = serve(false, false);
    let err = Pop3Client::connect(&addr, &settings).unwrap_err();
    assert!(matches!(err, Error::Tls(TlsError::NotOffered("STLS"))), "{err:?}");
    // the client said QUIT before going away
    server.join().unwrap().result.unwrap();
}

#[test]
fn opportunistic_without_stls_stays_plaintext_and_keeps_credentials_back() {
    let (addr, mut settings, server) = serve(false, false);
    settings.tls_mode = TlsMode::StartTlsOpportunistic;
    let mut pop = Pop3Client::connect(&addr, &settings).unwrap();
    assert!(!pop.is_tls());
    let err = pop.login("ann", &secret("secret")).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    pop.quit().unwrap();
    server.join().unwrap().result.unwrap();

    let (addr, mut settings, server) = serve(false, false);
    settings.tls_mode = TlsMode::StartTlsOpportunistic;
    settings.allow_plaintext_credentials = true;
    let mut pop = Pop3Client::connect(&addr, &settings).unwrap();
    pop.login("ann", &secret("secret")).unwrap();
    pop.quit().unwrap();
    server.join().unwrap().result.unwrap();
}

#[test]
fn a_wrong_password_is_a_rejection_with_the_servers_reply() {
    let (addr, settings, server) = serve(true, false);
    let mut pop = Pop3Client::connect(&addr, &settings).unwrap();
    match pop.login("ann", &secret("nope")) {
        Err(Error::Rejected { command, reply }) => {
            assert_eq!(command, "PASS");
            assert_eq!(reply, "-ERR bad password");
        }
        other => panic!("{other:?}"),
    }
    pop.quit().unwrap();
    server.join().unwrap().result.unwrap();
}

#[test]
fn an_untrusted_server_certificate_stops_the_session() {
    let (addr, mut settings, server) = serve(true, false);
    settings.tls = mailwire_io::TlsClientConfig::new();
    let err = Pop3Client::connect(&addr, &settings).unwrap_err();
    assert!(matches!(err, Error::Tls(TlsError::CertificateRejected(_))), "{err:?}");
    assert!(server.join().unwrap().result.is_err());
}

#[test]
fn the_server_name_comes_from_the_address_or_the_settings() {
    let (addr, mut settings, server) = serve(true, false);
    settings.server_name = Some("mail.example".into());
    let err = Pop3Client::connect(&addr, &settings).unwrap_err();
    assert!(matches!(err, Error::Tls(TlsError::CertificateRejected(_))), "{err:?}");
    let _ = server.join().unwrap();
}

#[cfg(feature = "tokio")]
mod tokio_client {
    use super::*;
    use mailwire_io::pop3::AsyncPop3Client;

    #[tokio::test]
    async fn stls_required_login_list_retrieve_delete_quit() {
        let (addr, settings, server) = serve(true, false);
        let mut pop = AsyncPop3Client::connect(&addr, &settings).await.unwrap();
        assert!(pop.is_tls());
        pop.login("ann", &secret("secret")).await.unwrap();
        assert_eq!(pop.stat().await.unwrap().count, 2);
        assert_eq!(pop.list().await.unwrap().len(), 2);
        assert_eq!(pop.uidl().await.unwrap()[0].uid.as_bytes(), b"uid-1");
        assert_eq!(pop.retrieve(n(1)).await.unwrap(), MESSAGES[0]);
        let mut streamed = Vec::new();
        pop.retrieve_to(n(2), &mut streamed).await.unwrap();
        assert_eq!(streamed, MESSAGES[1]);
        pop.delete(n(2)).await.unwrap();
        pop.quit().await.unwrap();
        let served = server.join().unwrap();
        served.result.unwrap();
        assert_eq!(served.deleted, [n(2)]);
    }

    #[tokio::test]
    async fn implicit_tls_and_a_refusal() {
        let (addr, mut settings, server) = serve(false, true);
        settings.tls_mode = TlsMode::Implicit;
        let mut pop = AsyncPop3Client::connect(&addr, &settings).await.unwrap();
        assert!(pop.is_tls());
        let err = pop.login("ann", &secret("nope")).await.unwrap_err();
        assert!(matches!(err, Error::Rejected { .. }), "{err:?}");
        pop.quit().await.unwrap();
        server.join().unwrap().result.unwrap();
    }

    #[tokio::test]
    async fn stls_required_but_not_offered() {
        let (addr, settings, server) = serve(false, false);
        let err = AsyncPop3Client::connect(&addr, &settings).await.unwrap_err();
        assert!(matches!(err, Error::Tls(TlsError::NotOffered("STLS"))), "{err:?}");
        let _ = server.join().unwrap();
    }
}
