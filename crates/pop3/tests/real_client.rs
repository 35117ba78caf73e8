//! The server machine against a real POP3 client: Python's `poplib`, when
//! `MAILWIRE_POP3_PYTHON=python3 cargo test -p mailwire-pop3 --test real_client` names an
//! interpreter. Without the variable the test does nothing. The client logs in, reads STAT,
//! LIST, UIDL, CAPA, retrieves messages with dot lines (RETR, TOP), deletes one and quits; the
//! server must have applied exactly that deletion at QUIT.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "test code drives a socket and a child process"
)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use mailwire_core::{Protocol, Security};
use mailwire_pop3::{
    Capabilities, Capability, Command, MsgNum, ScanListing, Server, ServerConfig, ServerEvent,
    Stat, Status, UidlListing, Word,
};

const MESSAGES: [&[u8]; 3] = [
    b"Subject: a\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nend\r\n",
    b"",
    b"Subject: c\r\n\r\nc\r\n",
];

fn answer(s: &mut Server, ev: ServerEvent, deleted_at_quit: &mut Option<Vec<MsgNum>>) {
    let ServerEvent::Command { handle: h, command } = ev else { return };
    let ok = Status::ok("");
    let sizes = || MESSAGES.iter().map(|m| m.len() as u64);
    match command {
        Command::Stat => {
            let stat = Stat { count: 3, size: sizes().sum() };
            s.respond(h, &Status::stat(stat)).unwrap();
        }
        Command::List(Some(m)) => {
            let size = MESSAGES[m.get() as usize - 1].len() as u64;
            s.respond(h, &Status::scan(ScanListing { msg: m, size })).unwrap();
        }
        Command::List(None) | Command::Uidl(None) => {
            s.respond(h, &ok).unwrap();
            for (i, size) in sizes().enumerate() {
                let m = MsgNum::new(i as u32 + 1).unwrap();
                let line = if matches!(command, Command::List(_)) {
                    ScanListing { msg: m, size }.to_line()
                } else {
                    UidlListing { msg: m, uid: Word::new(format!("u{}", i + 1)).unwrap() }.to_line()
                };
                s.send_body(h, &line).unwrap();
                s.send_body(h, b"\r\n").unwrap();
            }
            s.end_body(h).unwrap();
        }
        Command::Retr(m) | Command::Top { msg: m, .. } => {
            s.respond(h, &ok).unwrap();
            s.send_body(h, MESSAGES[m.get() as usize - 1]).unwrap();
            s.end_body(h).unwrap();
        }
        Command::Capa => {
            let caps = Capabilities(vec![Capability::Top, Capability::Uidl, Capability::User]);
            s.respond_capabilities(h, &caps).unwrap();
        }
        Command::Quit => {
            *deleted_at_quit = Some(s.deleted().to_vec());
            s.respond(h, &Status::ok("bye")).unwrap();
        }
        _ => s.respond(h, &ok).unwrap(),
    }
}

const SCRIPT: &str = r#"
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
p.user("ann"); p.pass_("secret")
print("stat", p.stat())
print("capa", sorted(p.capa().keys()))
print("list", p.list()[1])
print("uidl", p.uidl()[1])
print("retr1", p.retr(1)[1])
print("retr2", p.retr(2)[1])
print("top3", p.top(3, 0)[1])
p.dele(2)
p.quit()
"#;

#[test]
fn python_poplib_against_the_server_machine() {
    let Ok(python) = std::env::var("MAILWIRE_POP3_PYTHON") else { return };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let child = std::process::Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(port.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (mut sock, _) = listener.accept().unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut s = Server::new(ServerConfig::default(), Security::Plaintext);
    let mut deleted = None;
    let mut buf = [0u8; 4096];
    loop {
        while let Some(b) = s.poll_transmit() {
            sock.write_all(&b).unwrap();
        }
        while let Some(ev) = s.poll_event() {
            if let ServerEvent::ConnectionLost(e) = &ev {
                panic!("{e}");
            }
            answer(&mut s, ev, &mut deleted);
        }
        while let Some(b) = s.poll_transmit() {
            sock.write_all(&b).unwrap();
        }
        if s.is_closed() {
            break;
        }
        let n = sock.read(&mut buf).unwrap();
        if n == 0 {
            s.handle_eof();
        } else {
            s.handle_input(&buf[..n]);
        }
    }
    drop(sock);
    let out = child.wait_with_output().unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let total: usize = MESSAGES.iter().map(|m| m.len()).sum();
    assert!(out.contains(&format!("stat (3, {total})")), "{out}");
    assert!(
        out.contains("retr1 [b'Subject: a', b'', b'.starts with a dot', b'..two', b'.', b'end']"),
        "{out}"
    );
    assert!(out.contains("retr2 []"), "{out}");
    assert!(out.contains("uidl [b'1 u1', b'2 u2', b'3 u3']"), "{out}");
    assert_eq!(deleted, Some(vec![MsgNum::new(2).unwrap()]));
}
