//! The blocking driver over loopback TCP, with the toy line protocol of `common`.
#![cfg(feature = "blocking")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a failed test"
)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{Toy, ToyClient, ToyServer, line, reply};
use mailwire_core::{Protocol, Security};
use mailwire_io::blocking::{Connection, connect};
use mailwire_io::{Error, Wait};

const SHORT: Duration = Duration::from_millis(200);

fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

type Served = (Vec<Toy>, Result<(), Error>);

/// Serves one connection with the toy server; returns its events and how it ended.
fn serve(
    l: TcpListener,
    setup: impl FnOnce(Connection<ToyServer, TcpStream>) -> Connection<ToyServer, TcpStream>
    + Send
    + 'static,
    server: ToyServer,
) -> JoinHandle<Served> {
    thread::spawn(move || {
        let (sock, _) = l.accept().unwrap();
        let mut conn = setup(Connection::new(server, sock));
        let mut events = Vec::new();
        let result = conn.run_until_closed(|_, e| {
            events.push(e);
            Ok(())
        });
        (events, result)
    })
}

fn events_until_closed<S: mailwire_io::blocking::Socket>(
    conn: &mut Connection<ToyClient, S>,
) -> (Vec<Toy>, Result<(), Error>) {
    let mut events = Vec::new();
    loop {
        match conn.next_event() {
            Ok(Some(e)) => events.push(e),
            Ok(None) => return (events, Ok(())),
            Err(e) => return (events, Err(e)),
        }
    }
}

#[test]
fn plain_session() {
    let (l, addr) = listener();
    let server = serve(l, |c| c, ToyServer::new(Security::Plaintext));
    let mut conn =
        Connection::new(ToyClient::new(Security::Plaintext), connect(addr, Some(SHORT)).unwrap());
    assert_eq!(conn.next_event().unwrap(), Some(reply("220 toy ready")));
    conn.machine_mut().send("HELLO");
    conn.machine_mut().send("WORLD");
    assert_eq!(conn.next_event().unwrap(), Some(reply("250 HELLO")));
    assert_eq!(conn.next_event().unwrap(), Some(reply("250 WORLD")));
    conn.machine_mut().send("QUIT");
    assert_eq!(conn.next_event().unwrap(), Some(reply("221 bye")));
    assert_eq!(conn.next_event().unwrap(), None);
    assert!(conn.is_closed() && !conn.is_tls());
    let (events, result) = server.join().unwrap();
    result.unwrap();
    assert_eq!(events, [line("HELLO"), line("WORLD"), line("QUIT")]);
}

#[test]
fn any_read_write_stream_through_untimed() {
    // a scripted peer: the driver reads its bytes and writes into a buffer
    struct Script {
        input: std::io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }
    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.input.read(buf)
        }
    }
    impl Write for Script {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.output.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let script = Script {
        input: std::io::Cursor::new(b"220 toy ready\r\n221 bye\r\n".to_vec()),
        output: Vec::new(),
    };
    let mut client = ToyClient::new(Security::Plaintext);
    client.send("QUIT");
    let mut conn = Connection::new(client, mailwire_io::blocking::Untimed(script));
    let (events, result) = events_until_closed(&mut conn);
    result.unwrap();
    assert_eq!(events, [reply("220 toy ready"), reply("221 bye")]);
    assert_eq!(conn.socket().unwrap().0.output, b"QUIT\r\n");
}

/// A peer that accepts, runs `script` on the raw socket, and returns what it read.
fn raw_peer(
    l: TcpListener,
    script: impl FnOnce(&mut TcpStream) + Send + 'static,
) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let (mut sock, _) = l.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        script(&mut sock);
        let mut rest = Vec::new();
        let _ = sock.read_to_end(&mut rest);
        rest
    })
}

fn read_line(sock: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n") {
        assert_eq!(sock.read(&mut byte).unwrap(), 1, "peer closed");
        got.push(byte[0]);
    }
    String::from_utf8(got).unwrap()
}

#[test]
fn a_stalled_server_ends_in_a_timeout_after_the_machine_is_told() {
    let (l, addr) = listener();
    let peer = raw_peer(l, |sock| {
        sock.write_all(b"220 toy ready\r\n").unwrap();
        // then nothing: the reply to HELLO never comes
    });
    let client = ToyClient::new(Security::Plaintext).with_timeout(SHORT);
    let mut conn = Connection::new(client, connect(addr, Some(SHORT)).unwrap());
    assert_eq!(conn.next_event().unwrap(), Some(reply("220 toy ready")));
    conn.machine_mut().send("HELLO");
    let start = Instant::now();
    let (events, result) = events_until_closed(&mut conn);
    let waited = start.elapsed();
    assert_eq!(events, [Toy::TimedOut]);
    match result {
        Err(Error::Timeout { during: Wait::Read, after }) => assert_eq!(after, SHORT),
        other => panic!("expected a read timeout, got {other:?}"),
    }
    assert!(waited >= SHORT && waited < Duration::from_secs(3), "{waited:?}");
    assert!(conn.machine().is_closed() && conn.is_closed());
    // the peer sees the command, then the close
    assert_eq!(peer.join().unwrap(), b"HELLO\r\n");
}

#[test]
fn a_stalled_client_gets_the_servers_last_words() {
    let (l, addr) = listener();
    let server = serve(l, |c| c, ToyServer::new(Security::Plaintext).with_timeout(SHORT));
    let mut sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut seen = String::new();
    sock.read_to_string(&mut seen).unwrap();
    assert_eq!(seen, "220 toy ready\r\n421 timeout\r\n");
    let (events, result) = server.join().unwrap();
    assert_eq!(events, [Toy::TimedOut]);
    assert!(matches!(result, Err(Error::Timeout { during: Wait::Read, .. })), "{result:?}");
}

#[test]
fn a_machine_that_writes_on_timeout_keeps_the_session() {
    let (l, addr) = listener();
    let peer = raw_peer(l, |sock| {
        sock.write_all(b"220 toy ready\r\n").unwrap();
        // silent until the client's keepalive
        assert_eq!(read_line(sock), "NOOP\r\n");
        sock.write_all(b"221 bye\r\n").unwrap();
    });
    let client = ToyClient::new(Security::Plaintext).with_timeout(SHORT).with_keepalive();
    let mut conn = Connection::new(client, connect(addr, Some(SHORT)).unwrap());
    let (events, result) = events_until_closed(&mut conn);
    result.unwrap();
    assert_eq!(events, [reply("220 toy ready"), Toy::TimedOut, reply("221 bye")]);
    assert_eq!(peer.join().unwrap(), b"");
}

#[test]
fn a_peer_that_does_not_read_ends_in_a_write_timeout() {
    let (l, addr) = listener();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let peer = thread::spawn(move || {
        let (sock, _) = l.accept().unwrap();
        // hold the socket without reading until the client gave up
        let _ = stop_rx.recv_timeout(Duration::from_secs(10));
        drop(sock);
    });
    let mut client = ToyClient::new(Security::Plaintext);
    client.send(&"x".repeat(64 * 1024 * 1024));
    let mut options = mailwire_io::Options::default();
    options.write_timeout = Some(SHORT);
    let mut conn =
        Connection::new(client, connect(addr, Some(SHORT)).unwrap()).with_options(options);
    let start = Instant::now();
    let err = conn.flush().unwrap_err();
    assert!(matches!(err, Error::Timeout { during: Wait::Write, .. }), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(conn.is_closed());
    stop_tx.send(()).unwrap();
    peer.join().unwrap();
}

#[test]
fn a_server_closing_mid_reply_is_a_peer_closed_error() {
    let (l, addr) = listener();
    let peer = raw_peer(l, |sock| {
        sock.write_all(b"220 toy ready\r\n").unwrap();
        assert_eq!(read_line(sock), "HELLO\r\n");
        sock.write_all(b"250 HEL").unwrap();
        sock.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut conn =
        Connection::new(ToyClient::new(Security::Plaintext), connect(addr, Some(SHORT)).unwrap());
    assert_eq!(conn.next_event().unwrap(), Some(reply("220 toy ready")));
    conn.machine_mut().send("HELLO");
    let (events, result) = events_until_closed(&mut conn);
    assert_eq!(events, [Toy::Lost("closed mid-reply after \"250 HEL\"".into())]);
    assert!(matches!(result, Err(Error::PeerClosed)), "{result:?}");
    let _ = peer.join().unwrap();
}

#[test]
fn starttls_without_a_configuration_is_a_typed_error() {
    let (l, addr) = listener();
    let server = serve(l, |c| c, ToyServer::new(Security::Plaintext));
    let mut conn =
        Connection::new(ToyClient::new(Security::Plaintext), connect(addr, Some(SHORT)).unwrap());
    assert_eq!(conn.next_event().unwrap(), Some(reply("220 toy ready")));
    conn.machine_mut().send("STARTTLS");
    let err = conn.next_event().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Tls(mailwire_io::TlsError::NotConfigured {
                role: mailwire_core::TlsRole::Client
            })
        ),
        "{err:?}"
    );
    assert!(conn.is_closed());
    // the server side has no configuration either
    let (_, result) = server.join().unwrap();
    assert!(
        matches!(
            result,
            Err(Error::Tls(mailwire_io::TlsError::NotConfigured {
                role: mailwire_core::TlsRole::Server
            }))
        ),
        "{result:?}"
    );
}

#[cfg(feature = "rustls")]
mod tls {
    use super::*;
    use common::{pki, tls_pair};
    use mailwire_io::{Tls, TlsClientConfig, TlsError};

    #[test]
    fn starttls_upgrade() {
        let pki = pki();
        let (client_tls, server_tls) = tls_pair(&pki);
        let (l, addr) = listener();
        let server =
            serve(l, move |c| c.with_starttls(server_tls), ToyServer::new(Security::Plaintext));
        let mut conn = Connection::new(
            ToyClient::new(Security::Plaintext),
            connect(addr, Some(SHORT)).unwrap(),
        )
        .with_starttls(client_tls);
        assert_eq!(conn.next_event().unwrap(), Some(reply("220 toy ready")));
        conn.machine_mut().send("STARTTLS");
        assert_eq!(conn.next_event().unwrap(), Some(reply("220 go ahead")));
        assert_eq!(conn.next_event().unwrap(), Some(Toy::Tls));
        assert!(conn.is_tls());
        assert_eq!(conn.machine().security(), Security::Tls);
        conn.machine_mut().send("SECRET");
        conn.machine_mut().send("QUIT");
        let (events, result) = events_until_closed(&mut conn);
        result.unwrap();
        assert_eq!(events, [reply("250 SECRET"), reply("221 bye")]);
        let (events, result) = server.join().unwrap();
        result.unwrap();
        assert_eq!(events, [line("STARTTLS"), Toy::Tls, line("SECRET"), line("QUIT")]);
    }

    #[test]
    fn implicit_tls() {
        let pki = pki();
        let (client_tls, server_tls) = tls_pair(&pki);
        let (l, addr) = listener();
        let server =
            serve(l, move |c| c.with_implicit_tls(server_tls), ToyServer::new(Security::Tls));
        let mut conn =
            Connection::new(ToyClient::new(Security::Tls), connect(addr, Some(SHORT)).unwrap())
                .with_implicit_tls(client_tls);
        conn.handshake().unwrap();
        assert!(conn.is_tls());
        conn.machine_mut().send("QUIT");
        let (events, result) = events_until_closed(&mut conn);
        result.unwrap();
        assert_eq!(events, [reply("220 toy ready"), reply("221 bye")]);
        let (events, result) = server.join().unwrap();
        result.unwrap();
        assert_eq!(events, [line("QUIT")]);
    }

    #[test]
    fn implicit_tls_handshake_happens_lazily_before_the_first_byte() {
        let pki = pki();
        let (client_tls, server_tls) = tls_pair(&pki);
        let (l, addr) = listener();
        let server =
            serve(l, move |c| c.with_implicit_tls(server_tls), ToyServer::new(Security::Tls));
        let mut client = ToyClient::new(Security::Tls);
        client.send("EARLY");
        client.send("QUIT");
        let mut conn = Connection::new(client, connect(addr, Some(SHORT)).unwrap())
            .with_implicit_tls(client_tls);
        let (events, result) = events_until_closed(&mut conn);
        result.unwrap();
        assert_eq!(events, [reply("220 toy ready"), reply("250 EARLY"), reply("221 bye")]);
        server.join().unwrap().1.unwrap();
    }

    #[test]
    fn plaintext_injected_after_the_go_ahead_reaches_the_machine_and_ends_the_session() {
        let pki = pki();
        let (client_tls, _) = tls_pair(&pki);
        let (l, addr) = listener();
        let peer = raw_peer(l, |sock| {
            sock.write_all(b"220 toy ready\r\n").unwrap();
            assert_eq!(read_line(sock), "STARTTLS\r\n");
            // the attack: a forged reply rides in the same segment as the go-ahead
            sock.write_all(b"220 go ahead\r\n250 injected\r\n").unwrap();
        });
        let mut conn = Connection::new(
            ToyClient::new(Security::Plaintext),
            connect(addr, Some(SHORT)).unwrap(),
        )
        .with_starttls(client_tls);
        assert_eq!(conn.next_event().unwrap(), Some(reply("220 toy ready")));
        conn.machine_mut().send("STARTTLS");
        let mut events = Vec::new();
        let result = conn.run_until_closed(|_, event| {
            events.push(event.clone());
            match event {
                Toy::Lost(why) => Err(Error::protocol(why)),
                _ => Ok(()),
            }
        });
        assert_eq!(events[0], reply("220 go ahead"));
        match result {
            Err(Error::Protocol(why)) => assert!(why.contains("250 injected\\r\\n"), "{why}"),
            other => panic!("expected the protocol error, got {other:?}"),
        }
        assert!(!conn.is_tls() && conn.is_closed());
        // no handshake was attempted: the peer read nothing after STARTTLS
        assert_eq!(peer.join().unwrap(), b"");
    }

    #[test]
    fn plaintext_pipelined_after_starttls_reaches_the_server_machine() {
        let pki = pki();
        let (_, server_tls) = tls_pair(&pki);
        let (l, addr) = listener();
        let server =
            serve(l, move |c| c.with_starttls(server_tls), ToyServer::new(Security::Plaintext));
        let mut sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(read_line(&mut sock), "220 toy ready\r\n");
        sock.write_all(b"STARTTLS\r\nRCPT evil\r\n").unwrap();
        let mut rest = String::new();
        sock.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "", "no go-ahead, no handshake");
        let (events, result) = server.join().unwrap();
        result.unwrap();
        assert_eq!(
            events,
            [
                line("STARTTLS"),
                Toy::Lost("plaintext injection after STARTTLS: \"RCPT evil\\r\\n\"".into())
            ]
        );
    }

    #[test]
    fn an_untrusted_ca_is_a_certificate_error_and_the_private_ca_fixes_it() {
        let pki = pki();
        let (_, server_tls) = tls_pair(&pki);

        // Mozilla's roots only: the private CA is unknown
        let (l, addr) = listener();
        let st = server_tls.clone();
        let server = serve(l, move |c| c.with_implicit_tls(st), ToyServer::new(Security::Tls));
        let public_only = Tls::client(TlsClientConfig::new(), "localhost").unwrap();
        let mut conn =
            Connection::new(ToyClient::new(Security::Tls), connect(addr, Some(SHORT)).unwrap())
                .with_implicit_tls(public_only);
        let err = conn.next_event().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Tls(TlsError::CertificateRejected(rustls::CertificateError::UnknownIssuer))
            ),
            "{err:?}"
        );
        assert!(conn.is_closed());
        let (_, server_result) = server.join().unwrap();
        assert!(matches!(server_result, Err(Error::Tls(_))), "{server_result:?}");

        // the same roots plus the private CA
        let (l, addr) = listener();
        let st = server_tls.clone();
        let server = serve(l, move |c| c.with_implicit_tls(st), ToyServer::new(Security::Tls));
        let mut config = TlsClientConfig::new();
        assert_eq!(config.add_ca_pem(pki.ca.as_bytes()).unwrap(), 1);
        let mut client = ToyClient::new(Security::Tls);
        client.send("QUIT");
        let mut conn = Connection::new(client, connect(addr, Some(SHORT)).unwrap())
            .with_implicit_tls(Tls::client(config.clone(), "localhost").unwrap());
        let (events, result) = events_until_closed(&mut conn);
        result.unwrap();
        assert_eq!(events, [reply("220 toy ready"), reply("221 bye")]);
        server.join().unwrap().1.unwrap();

        // trusted CA, wrong name
        let (l, addr) = listener();
        let server =
            serve(l, move |c| c.with_implicit_tls(server_tls), ToyServer::new(Security::Tls));
        let mut conn =
            Connection::new(ToyClient::new(Security::Tls), connect(addr, Some(SHORT)).unwrap())
                .with_implicit_tls(Tls::client(config, "mail.example").unwrap());
        let err = conn.next_event().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Tls(TlsError::CertificateRejected(
                    rustls::CertificateError::NotValidForNameContext { .. }
                ))
            ),
            "{err:?}"
        );
        let _ = server.join().unwrap();
    }

    #[test]
    fn the_insecure_test_option_accepts_an_unknown_issuer() {
        let pki = pki();
        let (_, server_tls) = tls_pair(&pki);
        let (l, addr) = listener();
        let server =
            serve(l, move |c| c.with_implicit_tls(server_tls), ToyServer::new(Security::Tls));
        let insecure = TlsClientConfig::dangerous_accept_any_certificate_for_tests();
        assert!(insecure.is_insecure());
        let mut client = ToyClient::new(Security::Tls);
        client.send("QUIT");
        let mut conn = Connection::new(client, connect(addr, Some(SHORT)).unwrap())
            .with_implicit_tls(Tls::client(insecure, "anything.example").unwrap());
        let (events, result) = events_until_closed(&mut conn);
        result.unwrap();
        assert_eq!(events, [reply("220 toy ready"), reply("221 bye")]);
        server.join().unwrap().1.unwrap();
    }

    #[test]
    fn a_peer_that_stalls_the_handshake_times_out() {
        let pki = pki();
        let (client_tls, _) = tls_pair(&pki);
        let (l, addr) = listener();
        let peer = raw_peer(l, |_| {});
        let mut options = mailwire_io::Options::default();
        options.handshake_timeout = Some(SHORT);
        let mut conn =
            Connection::new(ToyClient::new(Security::Tls), connect(addr, Some(SHORT)).unwrap())
                .with_options(options)
                .with_implicit_tls(client_tls);
        let err = conn.next_event().unwrap_err();
        assert!(matches!(err, Error::Timeout { during: Wait::Handshake, .. }), "{err:?}");
        drop(conn);
        let hello = peer.join().unwrap();
        assert_eq!(hello.first(), Some(&0x16), "a TLS handshake record was sent");
    }

    #[test]
    fn bad_pem_and_names_are_typed_errors() {
        assert!(matches!(
            TlsClientConfig::with_ca_pem(b"nothing here"),
            Err(TlsError::InvalidPem(_))
        ));
        assert!(matches!(
            mailwire_io::TlsServerConfig::from_pem(b"", b""),
            Err(TlsError::InvalidPem(_))
        ));
        assert!(matches!(
            Tls::client(TlsClientConfig::new(), "bad name\r\n"),
            Err(TlsError::InvalidServerName(_))
        ));
    }
}
