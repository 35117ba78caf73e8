//! Client against server in the testkit Pair, under every chunking; server and client
//! defences (command order, limits, smuggling, STARTTLS injection, pipelining).
// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use mailwire_core::{Protocol, Secret, Security, TransportAction};
use mailwire_smtp::*;
use mailwire_testkit::{Chunking, Pair};

fn domain(s: &str) -> Domain {
    Domain::try_from(s).unwrap()
}

fn mbox(s: &str) -> ForwardPath {
    ForwardPath::Mailbox(Mailbox::parse(s).unwrap())
}

/// What the test application does with each server event.
type Policy<'a> = dyn FnMut(&mut SmtpServer, &ServerEvent, &mut Vec<u8>) + 'a;

/// Accepts everything except recipients whose local part starts with "bad".
fn default_policy(server: &mut SmtpServer, ev: &ServerEvent, body: &mut Vec<u8>) {
    match ev {
        ServerEvent::Command(Command::Rcpt { to: ForwardPath::Mailbox(m), .. })
            if m.local_bytes().starts_with(b"bad") =>
        {
            server.reply(&Reply::new(550, "5.1.1 No such user").unwrap()).unwrap();
        }
        ServerEvent::Command(Command::Bdat { .. }) => {}
        ServerEvent::Command(_) | ServerEvent::AuthResponse(_) => server.accept().unwrap(),
        ServerEvent::BodyChunk(b) => body.extend_from_slice(b),
        ServerEvent::BodyEnd { last } => {
            let r = if *last { "2.0.0 Ok: queued as ABC123" } else { "2.0.0 chunk ok" };
            let n = if server.config().lmtp && *last { server.accepted_recipients() } else { 1 };
            for _ in 0..n {
                server.reply(&Reply::new(250, r).unwrap()).unwrap();
            }
        }
        _ => {}
    }
}

struct Run {
    pair: Pair<SmtpClient, SmtpServer>,
    client_events: Vec<ClientEvent>,
    server_events: Vec<ServerEvent>,
    body: Vec<u8>,
}

impl Run {
    fn new(client: ClientConfig, server: ServerConfig, chunking: Chunking) -> Self {
        let mut pair = Pair::new(SmtpClient::new(client), SmtpServer::new(server), chunking);
        pair.server.accept().unwrap(); // greeting
        let mut run =
            Self { pair, client_events: Vec::new(), server_events: Vec::new(), body: Vec::new() };
        run.settle(&mut default_policy);
        assert!(
            matches!(run.client_events.remove(0), ClientEvent::Greeting(r) if r.code().get() == 220)
        );
        run
    }

    /// Drives until quiet, answering server events with `policy`.
    fn settle(&mut self, policy: &mut Policy<'_>) {
        loop {
            self.pair.drive();
            let evs = self.pair.take_server_events();
            if evs.is_empty() {
                break;
            }
            for ev in evs {
                policy(&mut self.pair.server, &ev, &mut self.body);
                self.server_events.push(ev);
            }
        }
        self.client_events.extend(self.pair.take_client_events());
    }

    fn go(&mut self) {
        self.settle(&mut default_policy);
    }

    fn take_client(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_events)
    }

    fn ehlo(&mut self) -> Reply {
        let h = self.pair.client.ehlo(domain("client.example.org")).unwrap();
        self.go();
        let evs = self.take_client();
        match &evs[..] {
            [ClientEvent::Reply { handle, reply, .. }] if *handle == h => reply.clone(),
            other => panic!("{other:?}"),
        }
    }

    /// Runs a transaction with `body` fed in `pieces`-sized chunks; returns the report.
    fn mail(&mut self, env: Envelope, body: &[u8], pieces: usize) -> TransactionReport {
        let h = self.pair.client.send_mail(env, Some(body.len() as u64)).unwrap();
        self.go();
        let mut report = None;
        for _ in 0..3 {
            for ev in self.take_client() {
                match ev {
                    ClientEvent::BodyReady { handle } => {
                        assert_eq!(handle, h);
                        for piece in body.chunks(pieces.max(1)) {
                            self.pair.client.body_chunk(piece).unwrap();
                        }
                        self.pair.client.body_end().unwrap();
                    }
                    ClientEvent::Transaction(r) => report = Some(r),
                    other => panic!("unexpected {other:?}"),
                }
            }
            self.go();
            if report.is_some() {
                break;
            }
        }
        let report = report.expect("no transaction report");
        assert_eq!(report.handle, h);
        report
    }
}

fn envelope(rcpts: &[&str]) -> Envelope {
    Envelope::new(
        ReversePath::Mailbox(Mailbox::parse("sender@example.org").unwrap()),
        rcpts.iter().map(|r| mbox(r)),
    )
}

fn server_config() -> ServerConfig {
    ServerConfig::new(domain("mx.example.net"))
}

const BODY: &[u8] = b"Subject: test\r\n\r\n.leading dot\r\nline two\r\n..two dots\r\n";

#[test]
fn transaction_with_bdat_and_partial_delivery_under_all_chunkings() {
    for chunking in Chunking::ALL {
        let mut run = Run::new(ClientConfig::default(), server_config(), chunking);
        let ehlo = run.ehlo();
        assert_eq!(ehlo.code().get(), 250);
        let caps = run.pair.client.capabilities().unwrap();
        assert!(caps.pipelining && caps.chunking);
        let report =
            run.mail(envelope(&["a@example.net", "bad@example.net", "c@example.net"]), BODY, 7);
        assert!(report.delivered(), "{chunking:?} {report:?}");
        assert!(
            matches!(report.recipients[1].1, RecipientOutcome::Rejected(ref r) if r.code().get() == 550)
        );
        assert!(matches!(report.recipients[0].1, RecipientOutcome::Accepted { .. }));
        assert_eq!(report.data.as_ref().unwrap().message(), "Ok: queued as ABC123");
        assert_eq!(run.body, BODY, "{chunking:?}");
        // the connection is reused
        run.body.clear();
        let report = run.mail(envelope(&["d@example.net"]), b"second\r\n", 100);
        assert!(report.delivered());
        assert_eq!(run.body, b"second\r\n");
        run.pair.client.quit().unwrap();
        run.go();
        assert!(run.take_client().contains(&ClientEvent::Closed));
        assert!(run.pair.client.is_closed() && run.pair.server.is_closed());
    }
}

#[test]
fn transaction_with_data_pipelined_and_not() {
    for pipelining in [true, false] {
        for chunking in Chunking::ALL {
            let mut cfg = server_config();
            cfg.capabilities.chunking = false;
            cfg.capabilities.pipelining = pipelining;
            let mut run = Run::new(ClientConfig::default(), cfg, chunking);
            run.ehlo();
            // bare LF and a lone dot line inside the body: normalised and stuffed by the client
            let report = run.mail(envelope(&["a@example.net", "bad@x.net"]), b"a\nb\r\n.\r\nc", 3);
            assert!(report.delivered(), "{report:?}");
            assert_eq!(run.body, b"a\r\nb\r\n.\r\nc\r\n", "{chunking:?}");
            let sent = String::from_utf8(run.pair.sent_by(true)).unwrap();
            assert!(sent.contains("DATA\r\n") && !sent.contains("BDAT"));
            assert!(sent.contains("\r\n..\r\n"), "{sent}");
        }
    }
}

#[test]
fn all_recipients_rejected_ends_with_rset() {
    for chunking in Chunking::ALL {
        for chunk in [true, false] {
            let mut cfg = server_config();
            cfg.capabilities.chunking = chunk;
            let mut run = Run::new(ClientConfig::default(), cfg, chunking);
            run.ehlo();
            let h =
                run.pair.client.send_mail(envelope(&["bad1@x.net", "bad2@x.net"]), None).unwrap();
            run.go();
            let evs = run.take_client();
            let Some(ClientEvent::Transaction(report)) = evs.first() else { panic!("{evs:?}") };
            assert_eq!(report.handle, h);
            assert!(!report.delivered());
            run.go();
            let sent = String::from_utf8(run.pair.sent_by(true)).unwrap();
            assert!(sent.ends_with("RSET\r\n"), "{sent}");
            // a new transaction works
            let report = run.mail(envelope(&["ok@x.net"]), b"x\r\n", 10);
            assert!(report.delivered());
        }
    }
}

#[test]
fn lmtp_per_recipient_replies() {
    for chunking in Chunking::ALL {
        let mut cfg = server_config();
        cfg.lmtp = true;
        cfg.capabilities.chunking = false;
        let mut client = ClientConfig::default();
        client.lmtp = true;
        let mut run = Run::new(client, cfg, chunking);
        run.ehlo();
        assert!(String::from_utf8(run.pair.sent_by(true)).unwrap().starts_with("LHLO "));
        let report = run.mail(envelope(&["a@x.net", "bad@x.net", "c@x.net"]), b"hi\r\n", 2);
        let deliveries: Vec<_> = report
            .recipients
            .iter()
            .filter_map(|(_, o)| match o {
                RecipientOutcome::Accepted { delivery, .. } => delivery.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(deliveries.len(), 2, "{report:?}");
        let sent = String::from_utf8(run.pair.sent_by(false)).unwrap();
        assert_eq!(sent.matches("queued as ABC123").count(), 2);
    }
}

#[test]
fn helo_fallback_on_502() {
    for chunking in Chunking::ALL {
        let mut run = Run::new(ClientConfig::default(), server_config(), chunking);
        let h = run.pair.client.ehlo(domain("c.example")).unwrap();
        run.settle(&mut |s, ev, _| {
            if let ServerEvent::Command(Command::Ehlo(_)) = ev {
                s.reply(&Reply::new(502, "5.5.1 EHLO not implemented").unwrap()).unwrap();
            } else if let ServerEvent::Command(_) = ev {
                s.accept().unwrap();
            }
        });
        let evs = run.take_client();
        assert!(
            matches!(&evs[..], [ClientEvent::Reply { handle, verb: Verb::Helo, reply }] if *handle == h && reply.code().get() == 250),
            "{evs:?}"
        );
        assert!(run.pair.client.capabilities().is_none());
        // without PIPELINING the transaction goes step by step
        let report = run.mail(envelope(&["a@x.net"]), b"x\r\n", 1);
        assert!(report.delivered());
    }
}

#[test]
fn starttls_then_auth_plain_through_sasl() {
    for chunking in Chunking::ALL {
        let mut cfg = server_config();
        cfg.capabilities.starttls = true;
        cfg.capabilities.auth = vec![Keyword::try_from("PLAIN").unwrap()];
        let mut run = Run::new(ClientConfig::default(), cfg, chunking);
        run.ehlo();
        // AUTH over plaintext is refused by default
        let plain =
            mailwire_sasl::PlainClient::new("", "tim", Secret::new("tanstaaf".into())).unwrap();
        let ex = mailwire_sasl::ClientExchange::new(Box::new(plain));
        assert_eq!(run.pair.client.auth(ex).unwrap_err(), UsageError::PlaintextAuth);
        run.pair.client.starttls().unwrap();
        run.go();
        assert_eq!(run.pair.tls_upgrades, 1);
        let evs = run.take_client();
        assert!(evs.contains(&ClientEvent::TlsEstablished), "{evs:?}");
        assert!(run.pair.client.capabilities().is_none(), "capabilities forgotten");
        assert_eq!(run.pair.client.security(), Security::Tls);
        assert!(matches!(
            run.pair.client.send_mail(envelope(&["a@x.net"]), None),
            Err(UsageError::WrongState(_))
        ));
        run.ehlo();
        assert!(!run.pair.client.capabilities().unwrap().starttls);
        let plain =
            mailwire_sasl::PlainClient::new("", "tim", Secret::new("tanstaaf".into())).unwrap();
        let ex = mailwire_sasl::ClientExchange::new(Box::new(plain));
        let h = run.pair.client.auth(ex).unwrap();
        run.settle(&mut |s, ev, _| {
            if let ServerEvent::Command(Command::Auth { initial: Some(i), .. }) = ev {
                assert_eq!(i.expose().as_bytes(), b"AHRpbQB0YW5zdGFhZg==");
                s.reply(&Reply::new(235, "2.7.0 Authentication successful").unwrap()).unwrap();
            }
        });
        let evs = run.take_client();
        assert!(
            matches!(&evs[..], [ClientEvent::Reply { handle, verb: Verb::Auth, reply }] if *handle == h && reply.code().get() == 235),
            "{evs:?}"
        );
        assert!(run.pair.client.is_authenticated() && run.pair.server.is_authenticated());
    }
}

#[test]
fn auth_login_with_334_continuations() {
    for chunking in Chunking::ALL {
        let mut cfg = server_config();
        cfg.capabilities.auth = vec![Keyword::try_from("LOGIN").unwrap()];
        cfg.security = Security::Tls;
        let mut client = ClientConfig::default();
        client.security = Security::Tls;
        let mut run = Run::new(client, cfg, chunking);
        run.ehlo();
        let login = mailwire_sasl::LoginClient::new("tim", Secret::new("pw".into())).unwrap();
        run.pair.client.auth(mailwire_sasl::ClientExchange::new(Box::new(login))).unwrap();
        let mut step = 0;
        let mut got = Vec::new();
        run.settle(&mut |s, ev, _| match ev {
            ServerEvent::Command(Command::Auth { initial: None, .. }) => {
                s.reply(&Reply::new(334, "VXNlcm5hbWU6").unwrap()).unwrap();
            }
            ServerEvent::AuthResponse(line) => {
                got.push(line.expose().to_text());
                step += 1;
                if step == 1 {
                    s.reply(&Reply::new(334, "UGFzc3dvcmQ6").unwrap()).unwrap();
                } else {
                    s.reply(&Reply::new(235, "2.7.0 ok").unwrap()).unwrap();
                }
            }
            _ => {}
        });
        assert_eq!(got, vec!["dGlt".to_owned(), "cHc=".to_owned()]);
        assert!(run.pair.client.is_authenticated());
    }
}

#[test]
fn usage_errors_for_extensions_not_advertised() {
    let mut cfg = server_config();
    cfg.capabilities.size = Some(1000);
    let mut run = Run::new(ClientConfig::default(), cfg, Chunking::Whole);
    run.ehlo();
    let c = &mut run.pair.client;
    assert_eq!(
        c.send_mail(envelope(&["a@x.net"]), Some(5000)),
        Err(UsageError::TooLarge { size: 5000, max: 1000 })
    );
    let mut env = envelope(&["a@x.net"]);
    env.params.ret = Some(Ret::Hdrs);
    assert_eq!(c.send_mail(env, None), Err(UsageError::NotAdvertised("DSN")));
    let mut env = envelope(&["a@x.net"]);
    env.params.requiretls = true;
    assert_eq!(c.send_mail(env, None), Err(UsageError::NotAdvertised("REQUIRETLS")));
    let mut env = envelope(&["a@x.net"]);
    env.recipients[0].1.notify = Some(Notify::Never);
    assert_eq!(c.send_mail(env, None), Err(UsageError::NotAdvertised("DSN")));
    assert_eq!(c.starttls(), Err(UsageError::NotAdvertised("STARTTLS")));
    assert_eq!(c.send_mail(envelope(&[]), None), Err(UsageError::NoRecipients));
    // nothing was sent by the refused calls
    assert_eq!(c.poll_transmit(), None);
}

#[test]
fn limits_rcptmax_defers_extra_recipients() {
    let mut cfg = server_config();
    let mut l = ServerLimits::default();
    l.rcpt_max = Some(2);
    cfg.capabilities.limits = Some(l);
    let mut run = Run::new(ClientConfig::default(), cfg, Chunking::Whole);
    run.ehlo();
    let report = run.mail(envelope(&["a@x.net", "b@x.net", "c@x.net"]), b"x\r\n", 5);
    assert!(matches!(report.recipients[2].1, RecipientOutcome::Deferred));
    assert_eq!(String::from_utf8(run.pair.sent_by(true)).unwrap().matches("RCPT TO").count(), 2);
}

// ---- server defences, fed raw bytes ----

fn server() -> SmtpServer {
    let mut s = SmtpServer::new(server_config());
    s.accept().unwrap();
    let _ = s.poll_transmit();
    s
}

fn out(s: &mut SmtpServer) -> String {
    let mut o = Vec::new();
    while let Some(b) = s.poll_transmit() {
        o.extend_from_slice(&b);
    }
    String::from_utf8(o).unwrap()
}

fn events(s: &mut SmtpServer) -> Vec<ServerEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Feeds `input` and accepts every command; returns what the server wrote.
fn accept_all(s: &mut SmtpServer, input: &[u8]) -> (String, Vec<ServerEvent>) {
    s.handle_input(input);
    let mut evs = Vec::new();
    let mut body = Vec::new();
    loop {
        let batch = events(s);
        if batch.is_empty() {
            break;
        }
        for ev in batch {
            default_policy(s, &ev, &mut body);
            evs.push(ev);
        }
    }
    (out(s), evs)
}

#[test]
fn server_enforces_command_order() {
    let mut s = server();
    let (o, evs) = accept_all(&mut s, b"MAIL FROM:<a@b>\r\n");
    assert_eq!(o, "503 5.5.1 Bad sequence of commands\r\n");
    assert!(matches!(evs[0], ServerEvent::Rejected { verb: Some(Verb::Mail), .. }));
    let _ = accept_all(&mut s, b"EHLO c\r\n");
    let (o, _) = accept_all(&mut s, b"RCPT TO:<a@b>\r\nDATA\r\n");
    assert!(
        o.ends_with("503 5.5.1 Bad sequence of commands\r\n503 5.5.1 Bad sequence of commands\r\n"),
        "{o}"
    );
    let (o, _) = accept_all(&mut s, b"MAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\nDATA\r\n");
    assert_eq!(
        o,
        "250 2.1.0 Ok\r\n503 5.5.1 Bad sequence of commands\r\n554 5.5.1 No valid recipients\r\n"
    );
    let (o, _) = accept_all(&mut s, b"MAIL FROM:<a@b> SIZE=x\r\nFOO bar\r\n");
    assert_eq!(
        o,
        "501 5.5.4 Syntax error in parameters or arguments\r\n500 5.5.1 Command unrecognized\r\n"
    );
}

#[test]
fn server_line_limit_500_and_resync() {
    let mut cfg = server_config();
    cfg.limits = cfg.limits.with_line_length(64);
    let mut s = SmtpServer::new(cfg);
    s.accept().unwrap();
    let _ = out(&mut s);
    let mut input = b"NOOP ".to_vec();
    input.extend_from_slice(&[b'x'; 500]);
    input.extend_from_slice(b"\r\nNOOP\r\n");
    let (o, _) = accept_all(&mut s, &input);
    assert_eq!(o, "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
}

#[test]
fn server_recipient_and_size_limits() {
    let mut cfg = server_config();
    cfg.limits = cfg.limits.with_recipients(2).with_message_size(100);
    let mut s = SmtpServer::new(cfg);
    s.accept().unwrap();
    let _ = out(&mut s);
    let _ = accept_all(&mut s, b"EHLO c\r\n");
    let (o, _) = accept_all(&mut s, b"MAIL FROM:<a@b> SIZE=101\r\n");
    assert!(o.ends_with("552 5.3.4 Message size exceeds fixed limit\r\n"), "{o}");
    let (o, _) = accept_all(
        &mut s,
        b"MAIL FROM:<a@b>\r\nRCPT TO:<1@b>\r\nRCPT TO:<2@b>\r\nRCPT TO:<3@b>\r\n",
    );
    assert!(o.ends_with("452 4.5.3 Too many recipients\r\n"), "{o}");
    let (o, _) = accept_all(&mut s, b"DATA\r\n");
    assert!(o.starts_with("354"));
    let mut body = Vec::new();
    body.extend_from_slice(&[b'a'; 200]);
    body.extend_from_slice(b"\r\n.\r\nNOOP\r\n");
    let (o, evs) = accept_all(&mut s, &body);
    assert!(o.ends_with("552 5.3.4 Message size exceeds fixed limit\r\n250 2.0.0 Ok\r\n"), "{o}");
    assert!(evs.iter().any(|e| matches!(e, ServerEvent::Rejected { verb: Some(Verb::Data), .. })));
    assert!(!evs.iter().any(|e| matches!(e, ServerEvent::BodyEnd { .. })));
}

fn in_data(s: &mut SmtpServer) {
    let _ = accept_all(s, b"EHLO c\r\n");
    let (o, _) = accept_all(s, b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
    assert!(o.ends_with("354 End data with <CR><LF>.<CR><LF>\r\n"), "{o}");
}

#[test]
fn server_smuggling_variants_never_end_data_and_are_rejected() {
    for smuggle in [&b"\n.\n"[..], b"\n.\r\n", b"\r\n.\n", b"\r.\r", b"\r\n.\r"] {
        let mut s = server();
        in_data(&mut s);
        let mut input = b"Subject: x\r\n\r\nhello".to_vec();
        input.extend_from_slice(smuggle);
        input.extend_from_slice(
            b"MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\n\r\n.\r\nNOOP\r\n",
        );
        let (o, evs) = accept_all(&mut s, &input);
        // one message only, rejected; the smuggled commands stayed inside the body
        assert_eq!(
            o, "554 5.6.11 Bare CR or LF in message body\r\n250 2.0.0 Ok\r\n",
            "{smuggle:?}"
        );
        assert!(!evs.iter().any(|e| matches!(e, ServerEvent::Command(Command::Mail { .. }))));
        assert!(!evs.iter().any(|e| matches!(e, ServerEvent::BodyEnd { .. })));
    }
}

#[test]
fn server_keeps_bytes_after_the_end_of_data() {
    for chunking in Chunking::ALL {
        let mut s = server();
        in_data(&mut s);
        let input = b"..one\r\ntwo\r\n.\r\nNOOP\r\nQUIT\r\n";
        let mut chunker = chunking.chunker();
        let mut all = String::new();
        let mut evs = Vec::new();
        for piece in chunker.split(input) {
            let (o, e) = accept_all(&mut s, piece);
            all.push_str(&o);
            evs.extend(e);
        }
        assert_eq!(all, "250 2.0.0 Ok: queued as ABC123\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
        let body: Vec<u8> = evs
            .iter()
            .filter_map(|e| if let ServerEvent::BodyChunk(b) = e { Some(b.to_vec()) } else { None })
            .flatten()
            .collect();
        assert_eq!(body, b".one\r\ntwo\r\n");
        assert!(s.is_closed());
    }
}

#[test]
fn server_rejects_plaintext_pipelined_after_starttls() {
    let mut cfg = server_config();
    cfg.capabilities.starttls = true;
    let mut s = SmtpServer::new(cfg);
    s.accept().unwrap();
    let _ = out(&mut s);
    let (o, evs) = accept_all(&mut s, b"EHLO c\r\n");
    assert!(o.contains("STARTTLS"));
    drop(evs);
    let (o, evs) = accept_all(&mut s, b"STARTTLS\r\nMAIL FROM:<injected@x>\r\n");
    assert!(o.starts_with("554 5.5.0"), "{o}");
    assert!(evs.contains(&ServerEvent::ConnectionLost(ServerError::PlaintextInjection)));
    assert!(s.is_closed());
    assert_eq!(s.poll_transport(), Some(TransportAction::Close));
    // bytes arriving after the 220 and before the handshake
    let mut cfg = server_config();
    cfg.capabilities.starttls = true;
    let mut s = SmtpServer::new(cfg);
    s.accept().unwrap();
    let _ = accept_all(&mut s, b"EHLO c\r\n");
    let (o, _) = accept_all(&mut s, b"STARTTLS\r\n");
    assert_eq!(o, "220 2.0.0 Ready to start TLS\r\n");
    assert!(matches!(s.poll_transport(), Some(TransportAction::StartTls { .. })));
    s.handle_input(b"RSET\r\n");
    assert_eq!(events(&mut s), vec![ServerEvent::ConnectionLost(ServerError::PlaintextInjection)]);
}

#[test]
fn server_closes_on_commands_pipelined_behind_sync_points() {
    let mut s = server();
    let (o, evs) = accept_all(&mut s, b"EHLO c\r\nMAIL FROM:<a@b>\r\n");
    assert!(o.ends_with("421 4.5.0 Improper command pipelining, closing\r\n"), "{o}");
    assert!(evs.contains(&ServerEvent::ConnectionLost(ServerError::ImproperPipelining)));
    // a legitimate pipelined group is fine
    let mut s = server();
    let (o, _) = accept_all(&mut s, b"EHLO c\r\n");
    assert!(o.starts_with("250-"));
    let (o, _) =
        accept_all(&mut s, b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\n");
    assert_eq!(
        o,
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
    );
}

#[test]
fn server_bdat_streams_chunks() {
    let mut s = server();
    let (o, _) = accept_all(&mut s, b"EHLO c\r\n");
    assert!(o.contains("CHUNKING"));
    let (o, evs) = accept_all(
        &mut s,
        b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5\r\nab\r\nxBDAT 3 LAST\r\n.\r\n",
    );
    assert_eq!(
        o,
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 chunk ok\r\n250 2.0.0 Ok: queued as ABC123\r\n"
    );
    let body: Vec<u8> = evs
        .iter()
        .filter_map(|e| if let ServerEvent::BodyChunk(b) = e { Some(b.to_vec()) } else { None })
        .flatten()
        .collect();
    assert_eq!(body, b"ab\r\nx.\r\n");
    // BDAT without MAIL: the chunk is read and dropped, then 503
    let (o, _) = accept_all(&mut s, b"BDAT 6\r\nRSET\r\nNOOP\r\n");
    assert_eq!(o, "503 5.5.1 Bad sequence of commands\r\n250 2.0.0 Ok\r\n");
}

#[test]
fn server_timeouts() {
    let mut s = SmtpServer::new(server_config());
    assert_eq!(s.timeout(), None, "waiting for the application's greeting");
    s.accept().unwrap();
    assert_eq!(s.timeout(), Some(std::time::Duration::from_secs(300)));
    let _ = out(&mut s);
    s.handle_timeout();
    assert_eq!(out(&mut s), "421 4.4.2 mx.example.net Timeout, closing connection\r\n");
    assert!(s.is_closed());
    assert_eq!(events(&mut s), vec![ServerEvent::ConnectionLost(ServerError::Timeout)]);
}

// ---- client defences ----

fn client_after_ehlo(ehlo: &[u8]) -> SmtpClient {
    let mut c = SmtpClient::new(ClientConfig::default());
    c.handle_input(b"220 mx ESMTP\r\n");
    c.ehlo(domain("c")).unwrap();
    c.handle_input(ehlo);
    while c.poll_event().is_some() {}
    while c.poll_transmit().is_some() {}
    c
}

#[test]
fn client_rejects_response_injection_after_starttls() {
    for split in [false, true] {
        let mut c = client_after_ehlo(b"250-mx\r\n250 STARTTLS\r\n");
        c.starttls().unwrap();
        if split {
            c.handle_input(b"220 Go ahead\r\n");
            while c.poll_transmit().is_some() {}
            // anything before the handshake is plaintext injection too
            assert!(matches!(c.poll_transport(), Some(TransportAction::StartTls { .. })));
            c.handle_input(b"250-mx\r\n");
        } else {
            c.handle_input(b"220 Go ahead\r\n250-mx\r\n250 AUTH PLAIN\r\n");
        }
        let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        assert!(
            evs.contains(&ClientEvent::ConnectionLost(ClientError::PlaintextInjection)),
            "{evs:?}"
        );
        assert!(c.is_closed());
    }
}

#[test]
fn client_multiline_code_mismatch_is_a_protocol_error() {
    let mut c = SmtpClient::new(ClientConfig::default());
    c.handle_input(b"220 mx ESMTP\r\n");
    c.ehlo(domain("c")).unwrap();
    c.handle_input(b"250-mx\r\n550 PIPELINING\r\n");
    let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(
        matches!(
            evs.last(),
            Some(ClientEvent::ConnectionLost(ClientError::BadReply(
                ReplyError::CodeMismatch { .. }
            )))
        ),
        "{evs:?}"
    );
}

#[test]
fn client_refuses_pipelining_when_not_advertised() {
    let mut c = client_after_ehlo(b"250 mx\r\n");
    c.noop().unwrap();
    assert_eq!(c.noop(), Err(UsageError::WouldPipeline));
    let mut c = client_after_ehlo(b"250-mx\r\n250 PIPELINING\r\n");
    c.noop().unwrap();
    c.noop().unwrap();
    c.quit().unwrap();
    assert_eq!(c.noop(), Err(UsageError::WouldPipeline), "nothing behind QUIT");
}

#[test]
fn client_timeouts_follow_rfc5321() {
    let c = SmtpClient::new(ClientConfig::default());
    assert_eq!(c.timeout(), Some(std::time::Duration::from_secs(300)));
    let mut c = client_after_ehlo(b"250 mx\r\n");
    assert_eq!(c.timeout(), None);
    c.send(Command::Data).unwrap_err();
    c.send(Command::mail(ReversePath::Null)).unwrap();
    assert_eq!(c.timeout(), Some(std::time::Duration::from_secs(300)));
    c.handle_timeout();
    assert!(c.is_closed());
}

#[test]
fn client_never_lets_a_body_end_early_or_carry_bare_line_endings() {
    for chunking in Chunking::ALL {
        let mut cfg = server_config();
        cfg.capabilities.chunking = false;
        let mut run = Run::new(ClientConfig::default(), cfg, chunking);
        run.ehlo();
        let evil = b"Subject: x\r\n\r\nhi\n.\nMAIL FROM:<evil@x>\r\n.\r\nRCPT TO:<v@y>\r\n\r.\rend";
        let report = run.mail(envelope(&["a@x.net"]), evil, 5);
        assert!(report.delivered());
        let sent = run.pair.sent_by(true);
        // one DATA, one end marker, and no bare CR or LF anywhere
        let text = String::from_utf8(sent.clone()).unwrap();
        assert_eq!(text.matches("\r\n.\r\n").count(), 1, "{text}");
        for (i, &c) in sent.iter().enumerate() {
            if c == b'\n' {
                assert_eq!(sent[i - 1], b'\r');
            }
            if c == b'\r' {
                assert_eq!(sent[i + 1], b'\n');
            }
        }
        assert_eq!(
            run.server_events
                .iter()
                .filter(|e| matches!(e, ServerEvent::Command(Command::Mail { .. })))
                .count(),
            1
        );
        assert_eq!(run.body, b"Subject: x\r\n\r\nhi\r\n.\r\nMAIL FROM:<evil@x>\r\n.\r\nRCPT TO:<v@y>\r\n\r\n.\r\nend\r\n");
    }
}

#[test]
fn dsn_and_smtputf8_parameters_when_advertised() {
    for chunking in Chunking::ALL {
        let mut cfg = server_config();
        cfg.capabilities.dsn = true;
        let mut run = Run::new(ClientConfig::default(), cfg, chunking);
        run.ehlo();
        let mut env = Envelope::new(
            ReversePath::Mailbox(Mailbox::parse("δοκιμή@παράδειγμα.δοκιμή").unwrap()),
            [mbox("bob@example.com")],
        );
        env.params.ret = Some(Ret::Hdrs);
        env.params.envid = Some(XText::encode(b"QQ314159").unwrap());
        env.recipients[0].1.notify =
            Some(Notify::On { success: true, failure: true, delay: false });
        env.recipients[0].1.orcpt = Some(Orcpt {
            addr_type: Keyword::try_from("rfc822").unwrap(),
            addr: XText::encode(b"bob@example.com").unwrap(),
        });
        let report = run.mail(env, b"x\r\n", 10);
        assert!(report.delivered());
        let mail = run.server_events.iter().find_map(|e| match e {
            ServerEvent::Command(Command::Mail { params, .. }) => Some(params.clone()),
            _ => None,
        });
        let mail = mail.unwrap();
        assert!(mail.smtputf8, "added because the sender is not ASCII");
        assert_eq!(mail.ret, Some(Ret::Hdrs));
        let sent = String::from_utf8(run.pair.sent_by(true)).unwrap();
        assert!(
            sent.contains(
                "RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.com\r\n"
            ),
            "{sent}"
        );
    }
    // without SMTPUTF8 advertised, a non-ASCII address is a usage error, not a silent drop
    let mut cfg = server_config();
    cfg.capabilities.smtputf8 = false;
    let mut run = Run::new(ClientConfig::default(), cfg, Chunking::Whole);
    run.ehlo();
    let env = Envelope::new(ReversePath::Null, [mbox("δοκιμή@example.com")]);
    assert!(matches!(run.pair.client.send_mail(env, None), Err(UsageError::NotAdvertised(_))));
}

#[test]
fn explicit_rset_and_backpressure_figure() {
    let mut run = Run::new(ClientConfig::default(), server_config(), Chunking::ByteByByte);
    run.ehlo();
    let h = run.pair.client.rset().unwrap();
    assert!(run.pair.client.pending_output() > 0);
    run.go();
    assert_eq!(run.pair.client.pending_output(), 0);
    assert!(
        matches!(&run.take_client()[..], [ClientEvent::Reply { handle, verb: Verb::Rset, .. }] if *handle == h)
    );
}

#[derive(Debug)]
struct Users;

impl mailwire_sasl::CredentialStore for Users {
    fn verify_password(&self, authcid: &str, password: &Secret<String>) -> bool {
        authcid == "tim" && password.expose() == "tanstaaf"
    }
}

#[test]
fn server_auth_through_mailwire_sasl() {
    for (password, ok) in [("tanstaaf", true), ("wrong", false)] {
        for chunking in Chunking::ALL {
            let mut cfg = server_config();
            cfg.capabilities.auth = vec![Keyword::try_from("PLAIN").unwrap()];
            cfg.security = Security::Tls;
            let mut client = ClientConfig::default();
            client.security = Security::Tls;
            let mut run = Run::new(client, cfg, chunking);
            run.ehlo();
            let plain =
                mailwire_sasl::PlainClient::new("", "tim", Secret::new(password.into())).unwrap();
            let ex = mailwire_sasl::ClientExchange::new(Box::new(plain));
            let h = run.pair.client.auth(ex).unwrap();
            let users = Users;
            let mut server_ex: Option<mailwire_sasl::ServerExchange<'_>> = None;
            let mut who = None;
            run.settle(&mut |s, ev, _| match ev {
                ServerEvent::Command(Command::Auth { initial, .. }) => {
                    let mut x = mailwire_sasl::ServerExchange::new(
                        Box::new(mailwire_sasl::PlainServer::new(&users)),
                        mailwire_sasl::ServerExchangeConfig::default(),
                    );
                    let step = x.start(initial.as_ref().map(|i| i.expose().as_bytes()));
                    who = s.answer_sasl(&step).unwrap();
                    server_ex = Some(x);
                }
                ServerEvent::AuthResponse(line) => {
                    let step = server_ex.as_mut().unwrap().response(line.expose().as_bytes());
                    who = s.answer_sasl(&step).unwrap();
                }
                _ => {}
            });
            let evs = run.take_client();
            let [ClientEvent::Reply { handle, verb: Verb::Auth, reply }] = &evs[..] else {
                panic!("{evs:?}")
            };
            assert_eq!(*handle, h);
            assert_eq!(reply.code().get() == 235, ok, "{reply}");
            assert_eq!(who.is_some(), ok);
            assert_eq!(run.pair.server.is_authenticated(), ok);
            assert_eq!(run.pair.client.is_authenticated(), ok);
        }
    }
}

#[test]
fn binarymime_without_pipelining_waits_for_each_bdat_reply() {
    for chunking in Chunking::ALL {
        let mut cfg = server_config();
        cfg.capabilities.pipelining = false;
        cfg.capabilities.binary_mime = true;
        let mut run = Run::new(ClientConfig::default(), cfg, chunking);
        run.ehlo();
        let mut env = envelope(&["a@x.net"]);
        env.params.body = Some(BodyType::BinaryMime);
        run.pair.client.send_mail(env, None).unwrap();
        let mut pieces: Vec<&[u8]> = vec![b"\x00\x01binary\n", b"\r\rmore", b"end"];
        pieces.reverse();
        let mut report = None;
        for _ in 0..10 {
            run.go();
            for ev in run.take_client() {
                match ev {
                    ClientEvent::BodyReady { .. } => {
                        if let Some(p) = pieces.pop() {
                            run.pair.client.body_chunk(p).unwrap();
                            // a second chunk before the reply would be pipelining
                            assert_eq!(
                                run.pair.client.body_chunk(b"x"),
                                Err(UsageError::WouldPipeline)
                            );
                        } else {
                            run.pair.client.body_end().unwrap();
                        }
                    }
                    ClientEvent::Transaction(r) => report = Some(r),
                    other => panic!("{other:?}"),
                }
            }
            if report.is_some() {
                break;
            }
        }
        assert!(report.unwrap().delivered());
        assert_eq!(run.body, b"\x00\x01binary\n\r\rmoreend", "BDAT carries the octets as they are");
    }
}
