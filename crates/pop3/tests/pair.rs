//! The client machine against the server machine, in memory, under every chunking.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unused_self,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use bytes::Bytes;
use mailwire_core::{Protocol, Secret, Security};
use mailwire_pop3::{
    ApopDigest, AuthResponse, Capabilities, Capability, Client, ClientConfig, ClientEvent, Command,
    CommandKind, ConnectionError, MsgNum, ResponseCode, ScanListing, Server, ServerConfig,
    ServerEvent, Stat, State, Status, Text, UsageError, Word,
};
use mailwire_testkit::{Chunking, Pair};

fn n(v: u32) -> MsgNum {
    MsgNum::new(v).unwrap()
}

fn w(s: &str) -> Word {
    Word::new(s.to_owned()).unwrap()
}

fn pass(s: &str) -> Secret<Text> {
    Secret::new(Text::new(s.to_owned()).unwrap())
}

const MESSAGES: [&[u8]; 4] = [
    b"Subject: one\r\n\r\nline\r\n.\r\n..\r\n.x\r\nend\r\n",
    b"",
    b".\r\n",
    b"Subject: four\r\n\r\nb1\r\nb2\r\nb3\r\n",
];

/// The application behind the server machine: a fixed maildrop, password "secret".
struct App {
    caps: Capabilities,
    deleted_at_quit: Option<Vec<MsgNum>>,
    tls: bool,
}

impl App {
    fn new(caps: Vec<Capability>) -> Self {
        Self { caps: Capabilities(caps), deleted_at_quit: None, tls: false }
    }

    fn msg(&self, m: MsgNum, server: &Server) -> Option<&'static [u8]> {
        if server.deleted().contains(&m) {
            return None;
        }
        MESSAGES.get(m.get() as usize - 1).copied()
    }

    fn answer(&mut self, server: &mut Server, ev: ServerEvent) {
        let (h, command) = match ev {
            ServerEvent::Command { handle, command } => (handle, command),
            ServerEvent::AuthResponse { handle, response } => {
                let ok = response == AuthResponse::Data(Secret::new(b"\0ann\0secret".to_vec()));
                let st = if ok {
                    Status::ok("welcome")
                } else {
                    Status::err_with_code(ResponseCode::Auth, "no")
                };
                server.respond(handle, &st).unwrap();
                return;
            }
            ServerEvent::TlsEstablished => {
                self.tls = true;
                return;
            }
            _ => return,
        };
        let ok = Status::ok("");
        match command {
            Command::User(_) | Command::Noop | Command::Rset | Command::Dele(_) => {
                server.respond(h, &ok).unwrap();
            }
            Command::Pass(p) => {
                let st = if p.expose().as_bytes() == b"secret" {
                    Status::ok("maildrop ready")
                } else if p.expose().as_bytes() == b"locked" {
                    Status::err_with_code(ResponseCode::InUse, "maildrop locked")
                } else {
                    Status::err_with_code(ResponseCode::Auth, "bad password")
                };
                server.respond(h, &st).unwrap();
            }
            Command::Apop { digest, .. } => {
                let ts = server.apop_timestamp().unwrap().to_bytes();
                let good = ApopDigest::compute(&ts, b"tanstaaf").matches(&digest);
                assert_eq!(good, server.check_apop(&digest, b"tanstaaf"));
                let st = if good {
                    Status::ok("maildrop ready")
                } else {
                    Status::err("permission denied")
                };
                server.respond(h, &st).unwrap();
            }
            Command::Auth { initial_response: Some(ir), .. } => {
                let ok = ir.expose() == b"\0ann\0secret";
                let st = if ok { Status::ok("welcome") } else { Status::err("no") };
                server.respond(h, &st).unwrap();
            }
            Command::Auth { initial_response: None, .. } => server.challenge(h, b"").unwrap(),
            Command::Stat => {
                let mut stat = Stat { count: 0, size: 0 };
                for i in 1..=MESSAGES.len() as u32 {
                    if let Some(m) = self.msg(n(i), server) {
                        stat.count += 1;
                        stat.size += m.len() as u64;
                    }
                }
                server.respond(h, &Status::stat(stat)).unwrap();
            }
            Command::List(Some(m))
            | Command::Uidl(Some(m))
            | Command::Retr(m)
            | Command::Top { msg: m, .. }
                if self.msg(m, server).is_none() =>
            {
                server.respond(h, &Status::err("no such message")).unwrap();
            }
            Command::List(Some(m)) => {
                let size = self.msg(m, server).unwrap().len() as u64;
                server.respond(h, &Status::scan(ScanListing { msg: m, size })).unwrap();
            }
            Command::Uidl(Some(m)) => {
                let l = mailwire_pop3::UidlListing { msg: m, uid: w(&format!("uid-{m}")) };
                server.respond(h, &Status::uidl(&l)).unwrap();
            }
            Command::List(None) | Command::Uidl(None) => {
                let uidl = matches!(command, Command::Uidl(_));
                server.respond(h, &ok).unwrap();
                for i in 1..=MESSAGES.len() as u32 {
                    if let Some(m) = self.msg(n(i), server) {
                        let line = if uidl {
                            format!("{i} uid-{i}\r\n")
                        } else {
                            format!("{i} {}\r\n", m.len())
                        };
                        server.send_body(h, line.as_bytes()).unwrap();
                    }
                }
                server.end_body(h).unwrap();
            }
            Command::Retr(m) => {
                let body = self.msg(m, server).unwrap();
                server.respond(h, &Status::ok("message follows")).unwrap();
                for chunk in body.chunks(3) {
                    server.send_body(h, chunk).unwrap();
                }
                server.end_body(h).unwrap();
            }
            Command::Top { msg: m, lines } => {
                let body = self.msg(m, server).unwrap();
                let split =
                    body.windows(4).position(|x| x == b"\r\n\r\n").map_or(body.len(), |p| p + 4);
                let (head, rest) = body.split_at(split);
                server.respond(h, &ok).unwrap();
                server.send_body(h, head).unwrap();
                for l in rest.split_inclusive(|&b| b == b'\n').take(lines as usize) {
                    server.send_body(h, l).unwrap();
                }
                server.end_body(h).unwrap();
            }
            Command::Quit => {
                if server.state() == State::Update {
                    self.deleted_at_quit = Some(server.deleted().to_vec());
                }
                server.respond(h, &Status::ok("bye")).unwrap();
            }
            Command::Capa => {
                let mut caps = self.caps.clone();
                if server.security() == Security::Tls {
                    caps.0.retain(|c| *c != Capability::Stls);
                }
                server.respond_capabilities(h, &caps).unwrap();
            }
            Command::Stls => server.respond(h, &Status::ok("begin TLS")).unwrap(),
            _ => server.respond(h, &Status::err("unknown")).unwrap(),
        }
    }
}

type P = Pair<Client, Server>;

fn run(pair: &mut P, app: &mut App) {
    loop {
        pair.drive();
        let evs = pair.take_server_events();
        if evs.is_empty() {
            return;
        }
        for ev in evs {
            app.answer(&mut pair.server, ev);
        }
    }
}

fn pair(chunking: Chunking, security: Security, caps: Vec<Capability>) -> (P, App) {
    let cfg = ClientConfig::default().with_plaintext_credentials(true);
    let scfg = ServerConfig::default().with_apop_timestamp(w("<1896.697170952@dbc.mtview.ca.us>"));
    (Pair::new(Client::new(cfg, security), Server::new(scfg, security), chunking), App::new(caps))
}

fn bodies(events: &[ClientEvent], handle: mailwire_core::Handle) -> (Vec<u8>, usize) {
    let mut body = Vec::new();
    let mut ends = 0;
    for e in events {
        match e {
            ClientEvent::Body { handle: h, chunk } if *h == handle => body.extend_from_slice(chunk),
            ClientEvent::End { handle: h } if *h == handle => ends += 1,
            _ => {}
        }
    }
    (body, ends)
}

fn replies(events: &[ClientEvent]) -> Vec<(CommandKind, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Reply { command, status, .. } => Some((*command, status.is_ok())),
            _ => None,
        })
        .collect()
}

#[test]
fn full_session_every_chunking() {
    for chunking in Chunking::ALL {
        let (mut p, mut app) =
            pair(chunking, Security::Tls, vec![Capability::Top, Capability::Uidl]);
        run(&mut p, &mut app);
        assert!(matches!(p.client_events[0], ClientEvent::Greeting(_)));
        assert_eq!(
            p.client.retr(n(1)),
            Err(UsageError::WrongState { command: CommandKind::Retr, state: State::Authorization })
        );
        p.client.capa().unwrap();
        p.client.user(w("ann")).unwrap();
        p.client.pass(pass("secret")).unwrap();
        run(&mut p, &mut app);
        assert_eq!(p.client.state(), State::Transaction);
        let stat = p.client.stat().unwrap();
        let list = p.client.list(None).unwrap();
        let list2 = p.client.list(Some(n(2))).unwrap();
        let uidl = p.client.uidl(None).unwrap();
        let r1 = p.client.retr(n(1)).unwrap();
        let r2 = p.client.retr(n(2)).unwrap();
        let r3 = p.client.retr(n(3)).unwrap();
        let top = p.client.top(n(4), 1).unwrap();
        p.client.dele(n(1)).unwrap();
        p.client.rset().unwrap();
        p.client.dele(n(2)).unwrap();
        let gone = p.client.retr(n(2)).unwrap();
        p.client.dele(n(4)).unwrap();
        p.client.noop().unwrap();
        p.client.quit().unwrap();
        run(&mut p, &mut app);
        let ev = p.take_client_events();
        assert!(
            ev.contains(&ClientEvent::Stat {
                handle: stat,
                stat: Stat { count: 4, size: MESSAGES.iter().map(|m| m.len() as u64).sum() }
            }),
            "{chunking:?}"
        );
        let scans: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Scan { handle, listing } if *handle == list => Some(listing.size),
                _ => None,
            })
            .collect();
        assert_eq!(scans, MESSAGES.iter().map(|m| m.len() as u64).collect::<Vec<_>>());
        assert!(ev.contains(&ClientEvent::Scan {
            handle: list2,
            listing: ScanListing { msg: n(2), size: 0 }
        }));
        assert_eq!(
            ev.iter()
                .filter(|e| matches!(e, ClientEvent::Uidl { handle, .. } if *handle == uidl))
                .count(),
            4
        );
        assert_eq!(bodies(&ev, r1), (MESSAGES[0].to_vec(), 1), "{chunking:?}");
        assert_eq!(bodies(&ev, r2), (Vec::new(), 1));
        assert_eq!(bodies(&ev, r3), (b".\r\n".to_vec(), 1));
        assert_eq!(bodies(&ev, top), (b"Subject: four\r\n\r\nb1\r\n".to_vec(), 1));
        assert!(ev.iter().any(|e| matches!(e, ClientEvent::Reply { handle, status, .. } if *handle == gone && !status.is_ok())));
        assert_eq!(app.deleted_at_quit, Some(vec![n(2), n(4)]));
        assert!(p.client.is_closed() && p.server.is_closed());
        assert!(replies(&ev).iter().all(|(k, ok)| *ok || *k == CommandKind::Retr));
    }
}

#[test]
fn quit_in_authorization_applies_nothing() {
    let (mut p, mut app) = pair(Chunking::Whole, Security::Tls, vec![]);
    p.client.quit().unwrap();
    run(&mut p, &mut app);
    assert_eq!(app.deleted_at_quit, None);
    assert!(p.client.is_closed());
}

#[test]
fn apop_and_auth() {
    for chunking in Chunking::ALL {
        let (mut p, mut app) = pair(chunking, Security::Tls, vec![]);
        run(&mut p, &mut app);
        p.client.apop(w("mrose"), &Secret::new(b"tanstaaf".to_vec())).unwrap();
        run(&mut p, &mut app);
        assert_eq!(p.client.state(), State::Transaction, "{chunking:?}");

        // AUTH PLAIN through mailwire-sasl, initial response on the AUTH line.
        let (mut p, mut app) = pair(chunking, Security::Tls, vec![]);
        let mech =
            mailwire_sasl::PlainClient::new("", "ann", Secret::new("secret".into())).unwrap();
        p.client.authenticate(Box::new(mech)).unwrap();
        run(&mut p, &mut app);
        assert_eq!(p.client.state(), State::Transaction);

        // AUTH through the generic entry point, answering the challenge by hand.
        let (mut p, mut app) = pair(chunking, Security::Tls, vec![]);
        let h = p
            .client
            .send(&Command::Auth { mechanism: w("PLAIN"), initial_response: None })
            .unwrap();
        run(&mut p, &mut app);
        let ev = p.take_client_events();
        assert!(ev.contains(&ClientEvent::Challenge { handle: h, challenge: vec![] }));
        p.client
            .auth_respond(h, &AuthResponse::Data(Secret::new(b"\0ann\0secret".to_vec())))
            .unwrap();
        run(&mut p, &mut app);
        assert_eq!(p.client.state(), State::Transaction);
    }
}

#[test]
fn failed_logins_keep_authorization_and_carry_codes() {
    let (mut p, mut app) = pair(Chunking::ByteByByte, Security::Tls, vec![]);
    p.client.user(w("ann")).unwrap();
    let bad = p.client.pass(pass("wrong")).unwrap();
    run(&mut p, &mut app);
    p.client.user(w("ann")).unwrap();
    let locked = p.client.pass(pass("locked")).unwrap();
    run(&mut p, &mut app);
    let code = |h| {
        p.client_events.iter().find_map(|e| match e {
            ClientEvent::Reply { handle, status, .. } if *handle == h => status.code().cloned(),
            _ => None,
        })
    };
    assert_eq!(code(bad), Some(ResponseCode::Auth));
    assert_eq!(code(locked), Some(ResponseCode::InUse));
    assert_eq!(p.client.state(), State::Authorization);
}

#[test]
fn stls_upgrade_forgets_capa_and_rereads_it() {
    for chunking in Chunking::ALL {
        let cfg = ClientConfig::default();
        let caps = vec![Capability::Stls, Capability::User, Capability::Pipelining];
        let mut p = Pair::new(
            Client::new(cfg, Security::Plaintext),
            Server::new(ServerConfig::default(), Security::Plaintext),
            chunking,
        );
        let mut app = App::new(caps);
        p.client.capa().unwrap();
        run(&mut p, &mut app);
        assert!(p.client.capabilities().unwrap().stls());
        assert_eq!(p.client.user(w("ann")), Err(UsageError::PlaintextCredentials));
        p.client.stls().unwrap();
        assert_eq!(p.client.noop(), Err(UsageError::Busy));
        run(&mut p, &mut app);
        assert_eq!(p.tls_upgrades, 1, "{chunking:?}");
        assert_eq!(p.client.security(), Security::Tls);
        let caps = p.client.capabilities().unwrap();
        assert!(!caps.stls() && caps.pipelining());
        assert!(p.client_events.iter().any(|e| matches!(e, ClientEvent::TlsEstablished { .. })));
        assert!(app.tls);
        p.client.user(w("ann")).unwrap();
        p.client.pass(pass("secret")).unwrap();
        run(&mut p, &mut app);
        assert_eq!(p.client.state(), State::Transaction);
        assert_eq!(
            p.client.stls(),
            Err(UsageError::WrongState { command: CommandKind::Stls, state: State::Transaction })
        );
    }
}

/// Counts the client's writes between two server writes.
fn client_bursts(p: &P) -> Vec<usize> {
    let mut bursts = Vec::new();
    let mut run = 0;
    for (client, bytes) in &p.wire {
        if *client && !bytes.is_empty() {
            run += 1;
        } else if !*client && run > 0 {
            bursts.push(run);
            run = 0;
        }
    }
    if run > 0 {
        bursts.push(run);
    }
    bursts
}

#[test]
fn pipelining_only_when_advertised() {
    for (caps, expect_together) in [(vec![Capability::Pipelining], true), (vec![], false)] {
        let (mut p, mut app) = pair(Chunking::Whole, Security::Tls, caps);
        p.client.capa().unwrap();
        p.client.user(w("ann")).unwrap();
        p.client.pass(pass("secret")).unwrap();
        run(&mut p, &mut app);
        p.wire.clear();
        for i in 1..=4 {
            p.client.list(Some(n(i))).unwrap();
        }
        run(&mut p, &mut app);
        let bursts = client_bursts(&p);
        if expect_together {
            assert_eq!(bursts[0], 4, "{bursts:?}");
        } else {
            assert!(bursts.iter().all(|&b| b == 1), "{bursts:?}");
        }
        assert_eq!(
            p.client_events.iter().filter(|e| matches!(e, ClientEvent::Scan { .. })).count(),
            4
        );
    }
}

#[test]
fn server_autologout_applies_no_deletion() {
    let (mut p, mut app) = pair(Chunking::Whole, Security::Tls, vec![]);
    p.client.user(w("ann")).unwrap();
    p.client.pass(pass("secret")).unwrap();
    run(&mut p, &mut app);
    p.client.dele(n(1)).unwrap();
    run(&mut p, &mut app);
    assert_eq!(p.server.timeout(), Some(core::time::Duration::from_secs(600)));
    p.server_timeout();
    assert!(p.server.is_closed());
    let evs = p.take_server_events();
    assert!(evs.contains(&ServerEvent::ConnectionLost(ConnectionError::Timeout)), "{evs:?}");
    assert_eq!(app.deleted_at_quit, None);
    assert!(p.client.is_closed());
}

#[test]
fn client_refuses_credentials_over_plaintext_by_default() {
    let mut c = Client::new(ClientConfig::default(), Security::Plaintext);
    assert_eq!(c.user(w("ann")), Err(UsageError::PlaintextCredentials));
    assert_eq!(c.pass(pass("x")), Err(UsageError::PlaintextCredentials));
    assert_eq!(c.apop(w("ann"), &Secret::new(vec![])), Err(UsageError::NoTimestamp));
    assert!(c.poll_transmit().is_none());
}

#[test]
fn client_rejects_bytes_after_stls_ok() {
    let mut c = Client::new(ClientConfig::default(), Security::Plaintext);
    c.handle_input(b"+OK hi\r\n");
    c.stls().unwrap();
    c.handle_input(b"+OK begin\r\n+OK injected\r\n");
    let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(evs.contains(&ClientEvent::ConnectionLost(ConnectionError::PlaintextInjection)));
    assert!(c.is_closed());
    // Bytes arriving before the handshake are injection too.
    let mut c = Client::new(ClientConfig::default(), Security::Plaintext);
    c.handle_input(b"+OK hi\r\n");
    c.stls().unwrap();
    c.handle_input(b"+OK begin\r\n");
    c.handle_input(b"x");
    assert!(c.is_closed());
}

#[test]
fn server_rejects_bytes_pipelined_after_stls() {
    let mut s = Server::new(ServerConfig::default(), Security::Plaintext);
    s.handle_input(b"STLS\r\nUSER evil\r\n");
    let evs: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(evs, vec![ServerEvent::ConnectionLost(ConnectionError::PlaintextInjection)]);
    assert!(s.is_closed());
}

#[test]
fn server_answers_out_of_state_and_malformed_commands_itself() {
    let mut s = Server::new(ServerConfig::default(), Security::Tls);
    let _ = s.poll_transmit();
    s.handle_input(b"RETR 1\r\nPASS x\r\nRETR 0\r\n");
    let out: Vec<Bytes> = std::iter::from_fn(|| s.poll_transmit()).collect();
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|b| b.starts_with(b"-ERR")));
    assert!(matches!(s.poll_event(), Some(ServerEvent::Malformed(_))));
    assert!(!s.is_closed());
}

#[test]
fn greeting_err_closes_the_client() {
    let mut c = Client::new(ClientConfig::default(), Security::Tls);
    c.handle_input(b"-ERR [SYS/TEMP] go away\r\n");
    let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(evs.contains(&ClientEvent::ConnectionLost(ConnectionError::GreetingRefused)));
    assert!(c.is_closed());
}

#[test]
fn utf8_and_lang_only_when_announced() {
    let (mut p, mut app) = pair(Chunking::Random(7), Security::Tls, vec![Capability::User]);
    p.client.capa().unwrap();
    run(&mut p, &mut app);
    assert_eq!(p.client.utf8(), Err(UsageError::NotAdvertised("UTF8")));
    assert_eq!(p.client.lang(None), Err(UsageError::NotAdvertised("LANG")));

    let caps = vec![Capability::Utf8 { user: true }, Capability::Lang];
    let (mut p, mut app) = pair(Chunking::ByteByByte, Security::Tls, caps);
    p.client.capa().unwrap();
    run(&mut p, &mut app);
    p.client.utf8().unwrap();
    run(&mut p, &mut app);
    // The test application refuses unknown verbs, UTF8 and LANG included.
    assert!(!p.client.utf8_enabled());
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Reply { command: CommandKind::Utf8, .. }))
    );
}

#[test]
fn client_timeout_only_while_waiting() {
    let mut c = Client::new(ClientConfig::default(), Security::Tls);
    assert!(c.timeout().is_some(), "waiting for the greeting");
    c.handle_input(b"+OK hi\r\n");
    assert_eq!(c.timeout(), None);
    c.capa().unwrap();
    assert!(c.timeout().is_some());
    c.handle_timeout();
    assert!(c.is_closed());
    let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(evs.contains(&ClientEvent::ConnectionLost(ConnectionError::Timeout)));
}

#[test]
fn configured_capabilities_drop_stls_under_tls() {
    let caps = Capabilities(vec![Capability::Stls, Capability::Top]);
    let mut p = Pair::new(
        Client::new(ClientConfig::default(), Security::Plaintext),
        Server::new(ServerConfig::default().with_capabilities(caps), Security::Plaintext),
        Chunking::Whole,
    );
    let mut app = App::new(vec![]);
    p.client.capa().unwrap();
    run(&mut p, &mut app);
    assert!(p.client.capabilities().unwrap().stls());
    p.client.stls().unwrap();
    run(&mut p, &mut app);
    let caps = p.client.capabilities().unwrap();
    assert!(caps.top() && !caps.stls());
}

mod scram {
    use super::*;
    use mailwire_sasl::{
        ChannelBinding, CredentialStore, Nonce, ScramClient, ScramCredentials, ScramHash,
        ScramServer, ServerMechanism, ServerStep,
    };

    struct Users(ScramCredentials);
    impl CredentialStore for Users {
        fn scram_credentials(&self, user: &str, _: ScramHash) -> Option<ScramCredentials> {
            (user == "user").then(|| self.0.clone())
        }
    }

    /// Runs SCRAM-SHA-256 through both machines; `send_final` says whether the server passes
    /// its signature (as a last challenge) before `+OK`.
    fn session(chunking: Chunking, send_final: bool) -> Pair<Client, Server> {
        let users =
            Users(ScramCredentials::derive(ScramHash::Sha256, b"pencil", b"salt1234", 4096));
        let mut mech = ScramServer::new(
            &users,
            ScramHash::Sha256,
            false,
            Nonce::from_random_bytes(b"server random bytes").unwrap(),
        );
        let client_mech = ScramClient::new(
            ScramHash::Sha256,
            "",
            "user",
            Secret::new("pencil".into()),
            Nonce::from_random_bytes(b"client random bytes").unwrap(),
            ChannelBinding::Unsupported,
        )
        .unwrap();
        let mut p = Pair::new(
            Client::new(ClientConfig::default(), Security::Tls),
            Server::new(ServerConfig::default(), Security::Tls),
            chunking,
        );
        p.client.authenticate(Box::new(client_mech)).unwrap();
        let mut succeeded = false;
        loop {
            p.drive();
            let evs = p.take_server_events();
            if evs.is_empty() {
                break;
            }
            for ev in evs {
                let (h, step) = match ev {
                    ServerEvent::Command {
                        handle,
                        command: Command::Auth { initial_response, .. },
                    } => (
                        handle,
                        mech.start(initial_response.as_ref().map(|r| r.expose().as_slice())),
                    ),
                    ServerEvent::AuthResponse { handle, response: AuthResponse::Data(d) } => {
                        if succeeded {
                            p.server.respond(handle, &Status::ok("welcome")).unwrap();
                            continue;
                        }
                        (handle, mech.step(d.expose()))
                    }
                    _ => continue,
                };
                match step {
                    ServerStep::Challenge(c) => p.server.challenge(h, &c).unwrap(),
                    ServerStep::Success { additional_data, .. } => {
                        succeeded = true;
                        match additional_data {
                            Some(d) if send_final => p.server.challenge(h, &d).unwrap(),
                            _ => p.server.respond(h, &Status::ok("welcome")).unwrap(),
                        }
                    }
                    ServerStep::Failure(_) => p.server.respond(h, &Status::err("no")).unwrap(),
                    _ => unreachable!(),
                }
            }
        }
        p
    }

    #[test]
    fn scram_sha_256_every_chunking() {
        for chunking in Chunking::ALL {
            let p = session(chunking, true);
            assert_eq!(p.client.state(), State::Transaction, "{chunking:?}");
        }
    }

    #[test]
    fn success_without_server_proof_is_refused() {
        let p = session(Chunking::Whole, false);
        assert_ne!(p.client.state(), State::Transaction);
        assert!(
            p.client_events
                .contains(&ClientEvent::ConnectionLost(ConnectionError::AuthenticationNotVerified))
        );
    }
}

#[test]
fn long_initial_response_waits_for_the_first_challenge() {
    let long = "p".repeat(300);
    let mech = mailwire_sasl::PlainClient::new("", "ann", Secret::new(long.clone())).unwrap();
    let mut p = Pair::new(
        Client::new(ClientConfig::default(), Security::Tls),
        Server::new(ServerConfig::default(), Security::Tls),
        Chunking::Random(3),
    );
    p.client.authenticate(Box::new(mech)).unwrap();
    p.drive();
    let evs = p.take_server_events();
    let Some(ServerEvent::Command {
        handle,
        command: Command::Auth { initial_response: None, .. },
    }) = evs.into_iter().next()
    else {
        panic!("AUTH must come without its initial response")
    };
    p.server.challenge(handle, b"").unwrap();
    p.drive();
    let evs = p.take_server_events();
    let expected = format!("\0ann\0{long}").into_bytes();
    assert_eq!(
        evs,
        vec![ServerEvent::AuthResponse {
            handle,
            response: AuthResponse::Data(Secret::new(expected))
        }]
    );
    p.server.respond(handle, &Status::ok("ok")).unwrap();
    p.drive();
    assert_eq!(p.client.state(), State::Transaction);
    assert!(p.wire.iter().filter(|(_, b)| b.starts_with(b"AUTH")).all(|(_, b)| b.len() <= 255));
}
