//! Fuzz target bodies, public so that the fuzz crate and stable tests run the same code.
//! Each asserts invariants, not only the absence of panics. Not part of the stable API.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::missing_panics_doc,
    reason = "fuzz bodies report a broken invariant by panicking"
)]

use bytes::{Bytes, BytesMut};
use mailwire_core::{Limits, Protocol, Secret, Security};

use crate::codec::{CommandDecoder, ResponseDecoder, ResponsePart};
use crate::{
    Capability, Client, ClientConfig, ClientEvent, Command, CommandKind, MsgNum, ResponseShape,
    Server, ServerConfig, ServerEvent, State, Status, Text, Word,
};

fn pieces(data: &[u8], seed: u8) -> Vec<&[u8]> {
    data.chunks(usize::from(seed % 13) + 1).collect()
}

/// Command lines: a parsed command re-encodes to a line that parses to the same command, and
/// the decoder gives the same results whole and in pieces.
pub fn command(data: &[u8]) {
    let Some((&seed, data)) = data.split_first() else { return };
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Ok(cmd) = Command::parse(line) {
            let enc = cmd.to_bytes();
            assert!(enc.ends_with(b"\r\n"));
            assert_eq!(memchr::memchr_iter(b'\n', &enc).count(), 1, "one line only");
            let again = Command::parse(&enc[..enc.len() - 2]);
            assert_eq!(again.as_ref(), Ok(&cmd), "canonical form must parse back");
        }
    }
    let run = |ps: Vec<&[u8]>| {
        let mut d = CommandDecoder::new(&Limits::default().with_line_length(64));
        let mut out = Vec::new();
        for p in ps {
            d.push(p);
            while let Some(r) = d.next_command() {
                out.push(r);
            }
        }
        (out, d.buffered().to_vec())
    };
    assert_eq!(run(vec![data]), run(pieces(data, seed)), "chunking changed the commands");
}

/// Server responses: status lines round-trip through their canonical form, and the streaming
/// decoder gives the same parts (bodies compared concatenated) whole and in pieces.
pub fn response(data: &[u8]) {
    let Some((&seed, data)) = data.split_first() else { return };
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Ok(s) = Status::parse(line) {
            let enc = s.to_bytes();
            let again = Status::parse(&enc[..enc.len() - 2]);
            assert_eq!(again.as_ref(), Ok(&s));
        }
        if let Ok(c) = Capability::parse(line) {
            let mut out = BytesMut::new();
            c.encode(&mut out);
            assert_eq!(Capability::parse(&out[..out.len() - 2]).as_ref(), Ok(&c));
        }
    }
    let shapes =
        [ResponseShape::Single, ResponseShape::MultiLine, ResponseShape::Body, ResponseShape::Auth];
    let run = |ps: Vec<&[u8]>| {
        let mut d = ResponseDecoder::new(&Limits::default().with_line_length(80));
        let mut k = usize::from(seed);
        d.expect(shapes[k % 4]);
        let mut out: Vec<Result<ResponsePart, crate::codec::DecodeError>> = Vec::new();
        let mut body_total = 0usize;
        for p in ps {
            d.push(p);
            while let Some(r) = d.next_part() {
                let done = match &r {
                    Ok(ResponsePart::Status(_)) => !d.in_multi_line(),
                    Ok(ResponsePart::End) | Err(_) => true,
                    _ => false,
                };
                if let Ok(ResponsePart::Body(b)) = &r {
                    body_total += b.len();
                    if let Some(Ok(ResponsePart::Body(prev))) = out.last_mut() {
                        let mut m = BytesMut::from(&prev[..]);
                        m.extend_from_slice(b);
                        *prev = m.freeze();
                        continue;
                    }
                }
                out.push(r);
                if done {
                    k += 1;
                    d.expect(shapes[k % 4]);
                }
            }
        }
        assert!(body_total <= data.len(), "a body cannot be longer than its input");
        (out, d.buffered().to_vec())
    };
    assert_eq!(run(vec![data]), run(pieces(data, seed)), "chunking changed the responses");
}

fn collect_client(c: &mut Client, events: &mut Vec<ClientEvent>) {
    while let Some(e) = c.poll_event() {
        events.push(e);
    }
    while c.poll_transmit().is_some() {}
    while c.poll_transport().is_some() {}
}

/// The client machine against arbitrary server bytes after a scripted set of commands: no
/// event after `ConnectionLost`, bodies no longer than the input, replies never more than the
/// commands sent, and the state follows only positive login replies.
pub fn client(data: &[u8]) {
    let Some((&script, data)) = data.split_first() else { return };
    let cfg = ClientConfig::default().with_plaintext_credentials(true);
    let mut c = Client::new(cfg, if script & 1 == 0 { Security::Plaintext } else { Security::Tls });
    let mut events = Vec::new();
    let mut sent = 0usize;
    let cmds: [fn(&mut Client) -> bool; 8] = [
        |c| c.capa().is_ok(),
        |c| c.user(Word::from_static("u")).is_ok(),
        |c| c.pass(Secret::new(Text::empty())).is_ok(),
        |c| c.stls().is_ok(),
        |c| c.list(None).is_ok(),
        |c| MsgNum::new(1).is_some_and(|m| c.retr(m).is_ok()),
        |c| c.uidl(None).is_ok(),
        |c| c.quit().is_ok(),
    ];
    for (i, piece) in pieces(data, script >> 1).into_iter().enumerate() {
        let pick = cmds[(usize::from(script) + i) % cmds.len()];
        if pick(&mut c) {
            sent += 1;
        }
        c.handle_input(piece);
        if i % 7 == 3 {
            c.handle_tls_established();
        }
        collect_client(&mut c, &mut events);
    }
    let mut body = 0usize;
    let mut replies = 0usize;
    let mut lost = false;
    for e in &events {
        assert!(!lost, "event after ConnectionLost: {e:?}");
        match e {
            ClientEvent::Body { chunk, .. } => body += chunk.len(),
            ClientEvent::Reply { .. } => replies += 1,
            ClientEvent::ConnectionLost(_) => lost = true,
            _ => {}
        }
    }
    assert!(body <= data.len());
    assert!(replies <= sent, "more replies than commands");
    if lost {
        assert!(c.is_closed());
    }
}

/// The server machine against arbitrary client bytes, the application answering every command
/// (`+OK`, bodies for multi-line commands): every command event is valid in the state the
/// machine reports, every output line ends with CRLF, and bytes sent are bounded by what the
/// application wrote plus one status per input line.
pub fn server(data: &[u8]) {
    let Some((&seed, data)) = data.split_first() else { return };
    let mut s = Server::new(ServerConfig::default(), Security::Plaintext);
    let mut out = BytesMut::new();
    let mut lost = false;
    for piece in pieces(data, seed) {
        s.handle_input(piece);
        loop {
            let Some(ev) = s.poll_event() else { break };
            assert!(!lost, "event after ConnectionLost");
            match ev {
                ServerEvent::Command { handle, command } => {
                    let kind = command.kind();
                    let state = s.state();
                    let valid = match state {
                        State::Authorization => !matches!(
                            kind,
                            CommandKind::Stat
                                | CommandKind::Retr
                                | CommandKind::Dele
                                | CommandKind::List
                        ),
                        State::Transaction => !matches!(
                            kind,
                            CommandKind::User
                                | CommandKind::Pass
                                | CommandKind::Apop
                                | CommandKind::Stls
                        ),
                        State::Update => kind == CommandKind::Quit,
                    };
                    assert!(valid, "{kind:?} reported in {state:?}");
                    let _ = s.respond(handle, &Status::ok("ok"));
                    if s.body_pending(handle) {
                        let _ = s.send_body(handle, b".line\r\n..\r\n");
                        let _ = s.end_body(handle);
                    }
                }
                ServerEvent::AuthResponse { handle, .. } => {
                    let _ = s.respond(handle, &Status::ok("ok"));
                }
                ServerEvent::ConnectionLost(_) => lost = true,
                _ => {}
            }
        }
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        if s.poll_transport().is_some() && !s.is_closed() {
            s.handle_tls_established();
        }
    }
    let out: Bytes = out.freeze();
    assert!(out.is_empty() || out.ends_with(b"\r\n"), "output ends mid-line");
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert!(line.ends_with(b"\r"), "bare LF in output");
    }
}
