//! The whole stack over loopback TCP: a POP3 client (the typed client on the blocking driver)
//! retrieves a 4 MiB message from the POP3 server machine on the same driver, in plaintext and
//! after STLS. Throughput in message bytes/s; it includes the server's dot-stuffing, the
//! client's unstuffing, the kernel's loopback and (second row) TLS both ways.
//!
//! There is no peer row: no other Rust mail library drives POP3 over a socket in a comparable
//! way.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs,
    reason = "bench code"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::TcpListener;
use std::thread;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailwire_core::{Secret, Security};
use mailwire_io::blocking::Connection;
use mailwire_io::pop3::Pop3Client;
use mailwire_io::{ClientSettings, TlsClientConfig, TlsMode};
use mailwire_pop3::{
    Capabilities, Capability, Command, MsgNum, Server, ServerConfig, ServerEvent, Status,
};

const SIZE: usize = 4 * 1024 * 1024;

/// 76-column lines, one in 16 starting with a dot.
fn message() -> Vec<u8> {
    let mut body = Vec::with_capacity(SIZE + 100);
    let mut i = 0u64;
    while body.len() < SIZE {
        if i.is_multiple_of(16) {
            body.push(b'.');
        }
        body.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, 74));
        body.extend_from_slice(b"\r\n");
        i += 1;
    }
    body
}

/// A POP3 server on loopback with one message, serving one connection.
fn server(tls: bool) -> (String, ClientSettings) {
    let pki = common::pki();
    let (_, server_tls) = common::tls_pair(&pki);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let body = message();
    thread::spawn(move || {
        let (sock, _) = l.accept().unwrap();
        let mut conn =
            Connection::new(Server::new(ServerConfig::default(), Security::Plaintext), sock)
                .with_starttls(server_tls);
        let _ = conn.run_until_closed(|server, event| {
            if let ServerEvent::Command { handle, command } = event {
                match command {
                    Command::Retr(_) => {
                        server.respond(handle, &Status::ok("")).unwrap();
                        for piece in body.chunks(64 * 1024) {
                            server.send_body(handle, piece).unwrap();
                        }
                        server.end_body(handle).unwrap();
                    }
                    Command::Capa => {
                        let caps = Capabilities(vec![Capability::User, Capability::Stls]);
                        server.respond_capabilities(handle, &caps).unwrap();
                    }
                    _ => server.respond(handle, &Status::ok("")).unwrap(),
                }
            }
            Ok(())
        });
    });
    let mut settings = ClientSettings::default();
    if tls {
        settings.tls = TlsClientConfig::with_ca_pem(pki.ca.as_bytes()).unwrap();
    } else {
        settings.tls_mode = TlsMode::None;
        settings.allow_plaintext_credentials = true;
    }
    (addr, settings)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("pop3_retr_loopback_4MiB");
    g.throughput(Throughput::Bytes(message().len() as u64));
    g.sample_size(10);
    for (name, tls) in [("plaintext", false), ("stls", true)] {
        let (addr, settings) = server(tls);
        let mut pop = Pop3Client::connect(&addr, &settings).unwrap();
        pop.login("ann", &Secret::new("pw".to_owned())).unwrap();
        let one = MsgNum::new(1).unwrap();
        g.bench_function(name, |b| b.iter(|| pop.retrieve(one).unwrap()));
        pop.quit().unwrap();
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
