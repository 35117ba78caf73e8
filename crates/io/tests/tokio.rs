//! The tokio driver over loopback TCP, with the toy line protocol of `common`.
#![cfg(feature = "tokio")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a failed test"
)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Toy, ToyClient, ToyServer, line, reply};
use mailwire_core::{Protocol, Security};
use mailwire_io::tokio::{Connection, connect};
use mailwire_io::{Error, Wait};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

const SHORT: Duration = Duration::from_millis(200);

async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
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
    tokio::spawn(async move {
        let (sock, _) = l.accept().await.unwrap();
        let mut conn = setup(Connection::new(server, sock));
        let mut events = Vec::new();
        let result = conn
            .run_until_closed(|_, e| {
                events.push(e);
                Ok(())
            })
            .await;
        (events, result)
    })
}

async fn events_until_closed<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<ToyClient, S>,
) -> (Vec<Toy>, Result<(), Error>) {
    let mut events = Vec::new();
    loop {
        match conn.next_event().await {
            Ok(Some(e)) => events.push(e),
            Ok(None) => return (events, Ok(())),
            Err(e) => return (events, Err(e)),
        }
    }
}

async fn client(addr: SocketAddr, machine: ToyClient) -> Connection<ToyClient, TcpStream> {
    Connection::new(machine, connect(addr, Some(SHORT)).await.unwrap())
}

/// A peer that accepts, runs `script` on the raw socket, and returns what it read after.
fn raw_peer<F>(l: TcpListener, script: F) -> JoinHandle<Vec<u8>>
where
    F: for<'a> FnOnce(&'a mut TcpStream) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'a>>
        + Send
        + 'static,
{
    tokio::spawn(async move {
        let (mut sock, _) = l.accept().await.unwrap();
        script(&mut sock).await;
        let mut rest = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut rest)).await;
        rest
    })
}

async fn read_line(sock: &mut TcpStream) -> String {
    let mut got = Vec::new();
    while !got.ends_with(b"\r\n") {
        got.push(sock.read_u8().await.unwrap());
    }
    String::from_utf8(got).unwrap()
}

#[tokio::test]
async fn plain_session() {
    let (l, addr) = listener().await;
    let server = serve(l, |c| c, ToyServer::new(Security::Plaintext));
    let mut conn = client(addr, ToyClient::new(Security::Plaintext)).await;
    assert_eq!(conn.next_event().await.unwrap(), Some(reply("220 toy ready")));
    conn.machine_mut().send("HELLO");
    conn.machine_mut().send("WORLD");
    assert_eq!(conn.next_event().await.unwrap(), Some(reply("250 HELLO")));
    assert_eq!(conn.next_event().await.unwrap(), Some(reply("250 WORLD")));
    conn.machine_mut().send("QUIT");
    assert_eq!(conn.next_event().await.unwrap(), Some(reply("221 bye")));
    assert_eq!(conn.next_event().await.unwrap(), None);
    assert!(conn.is_closed() && !conn.is_tls());
    let (events, result) = server.await.unwrap();
    result.unwrap();
    assert_eq!(events, [line("HELLO"), line("WORLD"), line("QUIT")]);
}

#[tokio::test]
async fn an_in_memory_duplex_stream() {
    let (a, b) = tokio::io::duplex(64);
    let server = tokio::spawn(async move {
        let mut conn = Connection::new(ToyServer::new(Security::Plaintext), b);
        let mut events = Vec::new();
        let result = conn.run_until_closed(|_, e| {
            events.push(e);
            Ok(())
        });
        (result.await, events)
    });
    let mut client = ToyClient::new(Security::Plaintext);
    client.send("QUIT");
    let mut conn = Connection::new(client, a);
    let (events, result) = events_until_closed(&mut conn).await;
    result.unwrap();
    assert_eq!(events, [reply("220 toy ready"), reply("221 bye")]);
    let (result, events) = server.await.unwrap();
    result.unwrap();
    assert_eq!(events, [line("QUIT")]);
}

#[tokio::test]
async fn a_stalled_server_ends_in_a_timeout_after_the_machine_is_told() {
    let (l, addr) = listener().await;
    let peer = raw_peer(l, |sock| {
        Box::pin(async move {
            sock.write_all(b"220 toy ready\r\n").await.unwrap();
        })
    });
    let mut conn = client(addr, ToyClient::new(Security::Plaintext).with_timeout(SHORT)).await;
    assert_eq!(conn.next_event().await.unwrap(), Some(reply("220 toy ready")));
    conn.machine_mut().send("HELLO");
    let start = Instant::now();
    let (events, result) = events_until_closed(&mut conn).await;
    let waited = start.elapsed();
    assert_eq!(events, [Toy::TimedOut]);
    match result {
        Err(Error::Timeout { during: Wait::Read, after }) => assert_eq!(after, SHORT),
        other => panic!("expected a read timeout, got {other:?}"),
    }
    assert!(waited >= SHORT && waited < Duration::from_secs(3), "{waited:?}");
    assert!(conn.machine().is_closed() && conn.is_closed());
    assert_eq!(peer.await.unwrap(), b"HELLO\r\n");
}

#[tokio::test]
async fn a_stalled_client_gets_the_servers_last_words() {
    let (l, addr) = listener().await;
    let server = serve(l, |c| c, ToyServer::new(Security::Plaintext).with_timeout(SHORT));
    let mut sock = TcpStream::connect(addr).await.unwrap();
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(5), sock.read_to_string(&mut seen))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen, "220 toy ready\r\n421 timeout\r\n");
    let (events, result) = server.await.unwrap();
    assert_eq!(events, [Toy::TimedOut]);
    assert!(matches!(result, Err(Error::Timeout { during: Wait::Read, .. })), "{result:?}");
}

#[tokio::test]
async fn a_peer_that_does_not_read_ends_in_a_write_timeout() {
    let (l, addr) = listener().await;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let peer = tokio::spawn(async move {
        let (sock, _) = l.accept().await.unwrap();
        let _ = tokio::time::timeout(Duration::from_secs(10), stop_rx).await;
        drop(sock);
    });
    let mut machine = ToyClient::new(Security::Plaintext);
    machine.send(&"x".repeat(64 * 1024 * 1024));
    let mut options = mailwire_io::Options::default();
    options.write_timeout = Some(SHORT);
    let mut conn = client(addr, machine).await.with_options(options);
    let start = Instant::now();
    let err = conn.flush().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { during: Wait::Write, .. }), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(conn.is_closed());
    stop_tx.send(()).unwrap();
    peer.await.unwrap();
}

#[tokio::test]
async fn a_server_closing_mid_reply_is_a_peer_closed_error() {
    let (l, addr) = listener().await;
    let peer = raw_peer(l, |sock| {
        Box::pin(async move {
            sock.write_all(b"220 toy ready\r\n").await.unwrap();
            assert_eq!(read_line(sock).await, "HELLO\r\n");
            sock.write_all(b"250 HEL").await.unwrap();
            sock.shutdown().await.unwrap();
        })
    });
    let mut conn = client(addr, ToyClient::new(Security::Plaintext)).await;
    assert_eq!(conn.next_event().await.unwrap(), Some(reply("220 toy ready")));
    conn.machine_mut().send("HELLO");
    let (events, result) = events_until_closed(&mut conn).await;
    assert_eq!(events, [Toy::Lost("closed mid-reply after \"250 HEL\"".into())]);
    assert!(matches!(result, Err(Error::PeerClosed)), "{result:?}");
    let _ = peer.await.unwrap();
}

#[tokio::test]
async fn starttls_without_a_configuration_is_a_typed_error() {
    use mailwire_core::TlsRole;
    use mailwire_io::TlsError;
    let (l, addr) = listener().await;
    let server = serve(l, |c| c, ToyServer::new(Security::Plaintext));
    let mut conn = client(addr, ToyClient::new(Security::Plaintext)).await;
    assert_eq!(conn.next_event().await.unwrap(), Some(reply("220 toy ready")));
    conn.machine_mut().send("STARTTLS");
    let err = conn.next_event().await.unwrap_err();
    assert!(
        matches!(err, Error::Tls(TlsError::NotConfigured { role: TlsRole::Client })),
        "{err:?}"
    );
    assert!(conn.is_closed());
    let (_, result) = server.await.unwrap();
    assert!(
        matches!(result, Err(Error::Tls(TlsError::NotConfigured { role: TlsRole::Server }))),
        "{result:?}"
    );
}

#[cfg(feature = "rustls")]
mod tls {
    use super::*;
    use common::{pki, tls_pair};
    use mailwire_io::{Tls, TlsClientConfig, TlsError};

    #[tokio::test]
    async fn starttls_upgrade() {
        let pki = pki();
        let (client_tls, server_tls) = tls_pair(&pki);
        let (l, addr) = listener().await;
        let server =
            serve(l, move |c| c.with_starttls(server_tls), ToyServer::new(Security::Plaintext));
        let mut conn =
            client(addr, ToyClient::new(Security::Plaintext)).await.with_starttls(client_tls);
        assert_eq!(conn.next_event().await.unwrap(), Some(reply("220 toy ready")));
        conn.machine_mut().send("STARTTLS");
        assert_eq!(conn.next_event().await.unwrap(), Some(reply("220 go ahead")));
        assert_eq!(conn.next_event().await.unwrap(), Some(Toy::Tls));
        assert!(conn.is_tls());
        assert_eq!(conn.machine().security(), Security::Tls);
        conn.machine_mut().send("SECRET");
        conn.machine_mut().send("QUIT");
        let (events, result) = events_until_closed(&mut conn).await;
        result.unwrap();
        assert_eq!(events, [reply("250 SECRET"), reply("221 bye")]);
        let (events, result) = server.await.unwrap();
        result.unwrap();
        assert_eq!(events, [line("STARTTLS"), Toy::Tls, line("SECRET"), line("QUIT")]);
    }

    #[tokio::test]
    async fn implicit_tls() {
        let pki = pki();
        let (client_tls, server_tls) = tls_pair(&pki);
        let (l, addr) = listener().await;
        let server =
            serve(l, move |c| c.with_implicit_tls(server_tls), ToyServer::new(Security::Tls));
        let mut conn =
            client(addr, ToyClient::new(Security::Tls)).await.with_implicit_tls(client_tls);
        conn.handshake().await.unwrap();
        assert!(conn.is_tls());
        conn.machine_mut().send("QUIT");
        let (events, result) = events_until_closed(&mut conn).await;
        result.unwrap();
        assert_eq!(events, [reply("220 toy ready"), reply("221 bye")]);
        let (events, result) = server.await.unwrap();
        result.unwrap();
        assert_eq!(events, [line("QUIT")]);
    }

    #[tokio::test]
    async fn plaintext_injected_after_the_go_ahead_reaches_the_machine_and_ends_the_session() {
        let pki = pki();
        let (client_tls, _) = tls_pair(&pki);
        let (l, addr) = listener().await;
        let peer = raw_peer(l, |sock| {
            Box::pin(async move {
                sock.write_all(b"220 toy ready\r\n").await.unwrap();
                assert_eq!(read_line(sock).await, "STARTTLS\r\n");
                // the attack: a forged reply rides in the same segment as the go-ahead
                sock.write_all(b"220 go ahead\r\n250 injected\r\n").await.unwrap();
            })
        });
        let mut conn =
            client(addr, ToyClient::new(Security::Plaintext)).await.with_starttls(client_tls);
        assert_eq!(conn.next_event().await.unwrap(), Some(reply("220 toy ready")));
        conn.machine_mut().send("STARTTLS");
        let mut events = Vec::new();
        let result = conn
            .run_until_closed(|_, event| {
                events.push(event.clone());
                match event {
                    Toy::Lost(why) => Err(Error::protocol(why)),
                    _ => Ok(()),
                }
            })
            .await;
        assert_eq!(events[0], reply("220 go ahead"));
        match result {
            Err(Error::Protocol(why)) => assert!(why.contains("250 injected\\r\\n"), "{why}"),
            other => panic!("expected the protocol error, got {other:?}"),
        }
        assert!(!conn.is_tls() && conn.is_closed());
        assert_eq!(peer.await.unwrap(), b"", "no handshake was attempted");
    }

    #[tokio::test]
    async fn plaintext_pipelined_after_starttls_reaches_the_server_machine() {
        let pki = pki();
        let (_, server_tls) = tls_pair(&pki);
        let (l, addr) = listener().await;
        let server =
            serve(l, move |c| c.with_starttls(server_tls), ToyServer::new(Security::Plaintext));
        let mut sock = TcpStream::connect(addr).await.unwrap();
        assert_eq!(read_line(&mut sock).await, "220 toy ready\r\n");
        sock.write_all(b"STARTTLS\r\nRCPT evil\r\n").await.unwrap();
        let mut rest = String::new();
        tokio::time::timeout(Duration::from_secs(5), sock.read_to_string(&mut rest))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rest, "", "no go-ahead, no handshake");
        let (events, result) = server.await.unwrap();
        result.unwrap();
        assert_eq!(
            events,
            [
                line("STARTTLS"),
                Toy::Lost("plaintext injection after STARTTLS: \"RCPT evil\\r\\n\"".into())
            ]
        );
    }

    #[tokio::test]
    async fn an_untrusted_ca_is_a_certificate_error_and_the_private_ca_fixes_it() {
        let pki = pki();
        let (_, server_tls) = tls_pair(&pki);

        let (l, addr) = listener().await;
        let st = server_tls.clone();
        let server = serve(l, move |c| c.with_implicit_tls(st), ToyServer::new(Security::Tls));
        let public_only = Tls::client(TlsClientConfig::new(), "localhost").unwrap();
        let mut conn =
            client(addr, ToyClient::new(Security::Tls)).await.with_implicit_tls(public_only);
        let err = conn.next_event().await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Tls(TlsError::CertificateRejected(rustls::CertificateError::UnknownIssuer))
            ),
            "{err:?}"
        );
        assert!(conn.is_closed());
        let (_, server_result) = server.await.unwrap();
        assert!(matches!(server_result, Err(Error::Tls(_))), "{server_result:?}");

        let (l, addr) = listener().await;
        let server =
            serve(l, move |c| c.with_implicit_tls(server_tls), ToyServer::new(Security::Tls));
        let mut config = TlsClientConfig::new();
        assert_eq!(config.add_ca_pem(pki.ca.as_bytes()).unwrap(), 1);
        let mut machine = ToyClient::new(Security::Tls);
        machine.send("QUIT");
        let mut conn = client(addr, machine)
            .await
            .with_implicit_tls(Tls::client(config, "127.0.0.1").unwrap());
        let (events, result) = events_until_closed(&mut conn).await;
        result.unwrap();
        assert_eq!(events, [reply("220 toy ready"), reply("221 bye")]);
        server.await.unwrap().1.unwrap();
    }

    #[tokio::test]
    async fn a_peer_that_stalls_the_handshake_times_out() {
        let pki = pki();
        let (client_tls, _) = tls_pair(&pki);
        let (l, addr) = listener().await;
        let peer = raw_peer(l, |_| Box::pin(async {}));
        let mut options = mailwire_io::Options::default();
        options.handshake_timeout = Some(SHORT);
        let mut conn = client(addr, ToyClient::new(Security::Tls))
            .await
            .with_options(options)
            .with_implicit_tls(client_tls);
        let err = conn.next_event().await.unwrap_err();
        assert!(matches!(err, Error::Timeout { during: Wait::Handshake, .. }), "{err:?}");
        drop(conn);
        let hello = peer.await.unwrap();
        assert_eq!(hello.first(), Some(&0x16), "a TLS handshake record was sent");
    }
}
