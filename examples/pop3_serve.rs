//! A POP3 server for a Maildir, with STLS and USER/PASS or AUTH PLAIN.
//!
//! ```text
//! cargo run --example pop3_serve -- --listen 127.0.0.1:1110 --maildir /tmp/sink --users users.txt
//! ```
//!
//! The session logic ([`session`]) drives the POP3 server machine of `mailwire::pop3` with the
//! blocking driver of `mailwire::io`; the demo and the tests run it in-process.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "an example program: it prints, reads files and listens on a socket"
)]

#[path = "common/mod.rs"]
pub(crate) mod common;

use std::fmt::Write as _;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use mailwire::core::{Secret, Security};
use mailwire::io::blocking::Connection;
use mailwire::io::{Error, Tls, TlsServerConfig};
use mailwire::pop3::{
    AuthResponse, Capabilities, Capability, Command, MsgNum, Server, ServerConfig, ServerEvent,
    Stat, Status, Word,
};
use mailwire::sasl::{PlainServer, ServerMechanism, ServerStep};

use common::{Args, TlsFlag, Users};

const USAGE: &str = "\
pop3_serve: serve a Maildir over POP3

usage: pop3_serve [--listen HOST:PORT] [--maildir DIR] [--tls starttls|implicit|none]
                  [--cert FILE --key FILE] [--users FILE]

  --listen HOST:PORT   where to listen (default 127.0.0.1:1110)
  --maildir DIR        the Maildir to serve (default ./sink-maildir; created)
  --tls MODE           starttls (default): offer STLS and refuse logins before it;
                       implicit: TLS from the first byte (like port 995); none: plaintext
  --cert FILE          the server certificate chain (PEM), with --key
  --key FILE           its private key (PEM); without both, a certificate for localhost and
                       127.0.0.1 is generated and its CA written to a file (printed)
  --users FILE         lines name:password; without it any name and password log in

Logins: USER/PASS and AUTH PLAIN. Every user sees the same Maildir. Messages deleted with DELE
are removed from the Maildir at QUIT.";

/// One message of a maildrop.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// A unique id (UIDL).
    pub(crate) uid: String,
    /// The message, CRLF line endings.
    pub(crate) data: Vec<u8>,
}

/// The messages a session serves: read at login, removed at QUIT.
pub(crate) trait Maildrop: Send + Sync {
    /// The messages, in order.
    fn load(&self) -> Result<Vec<Stored>, String>;
    /// Removes the messages with these uids.
    fn remove(&self, uids: &[String]) -> Result<(), String>;
}

impl Maildrop for common::Maildir {
    fn load(&self) -> Result<Vec<Stored>, String> {
        let entries = self.list().map_err(|e| e.to_string())?;
        entries
            .into_iter()
            .map(|e| {
                let data =
                    std::fs::read(&e.path).map_err(|err| format!("{}: {err}", e.path.display()))?;
                Ok(Stored { uid: e.id, data })
            })
            .collect()
    }

    fn remove(&self, uids: &[String]) -> Result<(), String> {
        for entry in self.list().map_err(|e| e.to_string())? {
            if uids.contains(&entry.id) {
                std::fs::remove_file(&entry.path)
                    .map_err(|e| format!("{}: {e}", entry.path.display()))?;
            }
        }
        Ok(())
    }
}

/// How the server runs.
#[derive(Debug, Clone)]
pub(crate) struct ServeOptions {
    /// How connections are secured.
    pub(crate) tls: TlsFlag,
    /// The certificate (unused with `TlsFlag::None`).
    pub(crate) cert: Option<TlsServerConfig>,
    /// Who may log in.
    pub(crate) users: Users,
}

fn word(s: &str) -> Option<Word> {
    Word::new(s.to_owned()).ok()
}

/// The top `lines` body lines of `data` after its header.
fn top(data: &[u8], lines: u32) -> Vec<u8> {
    let header_end = data.windows(4).position(|w| w == b"\r\n\r\n").map_or(data.len(), |p| p + 4);
    let (header, body) = data.split_at(header_end);
    let mut out = header.to_vec();
    for line in body.split_inclusive(|&b| b == b'\n').take(lines as usize) {
        out.extend_from_slice(line);
    }
    out
}

/// Serves one connection until the client quits or goes away; returns the uids removed.
pub(crate) fn session(
    sock: TcpStream,
    opts: &ServeOptions,
    maildrop: &dyn Maildrop,
) -> Result<Vec<String>, Error> {
    let tls = |what: &str| {
        opts.cert
            .clone()
            .map(Tls::server)
            .ok_or_else(|| Error::Usage(format!("{what} needs a certificate")))
    };
    let security = if opts.tls == TlsFlag::Implicit { Security::Tls } else { Security::Plaintext };
    let conn =
        Connection::<Server, TcpStream>::new(Server::new(ServerConfig::default(), security), sock);
    let mut conn = match opts.tls {
        TlsFlag::Implicit => conn.with_implicit_tls(tls("implicit TLS")?),
        TlsFlag::StartTls => conn.with_starttls(tls("STLS")?),
        TlsFlag::None => conn,
    };
    let mut is_tls = opts.tls == TlsFlag::Implicit;
    let mut user: Option<String> = None;
    let mut messages: Option<Vec<Stored>> = None;
    let mut plain: Option<PlainServer<'_, Users>> = None;
    let mut removed = Vec::new();
    conn.run_until_closed(|server, event| {
        let answered = match event {
            ServerEvent::TlsEstablished => {
                is_tls = true;
                Ok(())
            }
            ServerEvent::AuthResponse { handle, response } => {
                let step = match (plain.as_mut(), response) {
                    (Some(mech), AuthResponse::Data(data)) => mech.step(data.expose()),
                    _ => ServerStep::Failure(mailwire::sasl::ServerFailure::Cancelled),
                };
                finish_auth(server, handle, step, &mut plain, &mut messages, maildrop)
            }
            ServerEvent::Command { handle: h, command } => {
                let login_refused = opts.tls == TlsFlag::StartTls && !is_tls;
                let msg = |m: MsgNum, messages: &Option<Vec<Stored>>, server: &Server| {
                    if server.deleted().contains(&m) {
                        return None;
                    }
                    messages.as_ref()?.get(usize::try_from(m.get()).ok()?.checked_sub(1)?).cloned()
                };
                match command {
                    Command::Capa => {
                        let mut caps =
                            vec![Capability::Top, Capability::Uidl, Capability::Pipelining];
                        if !login_refused {
                            caps.push(Capability::User);
                            caps.extend(word("PLAIN").map(|w| Capability::Sasl(vec![w])));
                        }
                        if opts.tls == TlsFlag::StartTls && !is_tls {
                            caps.push(Capability::Stls);
                        }
                        server.respond_capabilities(h, &Capabilities(caps))
                    }
                    Command::Stls if opts.tls == TlsFlag::StartTls && !is_tls => {
                        server.respond(h, &Status::ok("Begin TLS negotiation"))
                    }
                    Command::User(_) | Command::Pass(_) | Command::Auth { .. } if login_refused => {
                        server.respond(h, &Status::err("[AUTH] Plaintext login disabled: use STLS"))
                    }
                    Command::User(name) => {
                        user = Some(String::from_utf8_lossy(name.as_bytes()).into_owned());
                        server.respond(h, &Status::ok("send PASS"))
                    }
                    Command::Pass(pass) => {
                        let password = Secret::new(
                            String::from_utf8_lossy(pass.expose().as_bytes()).into_owned(),
                        );
                        match user.take() {
                            Some(name) if opts.users.check(&name, &password) => {
                                login(server, h, &mut messages, maildrop)
                            }
                            _ => server
                                .respond(h, &Status::err("[AUTH] Invalid user name or password")),
                        }
                    }
                    Command::Auth { mechanism, initial_response } => {
                        if mechanism.as_bytes().eq_ignore_ascii_case(b"PLAIN") {
                            let mut mech = PlainServer::new(&opts.users);
                            let step = mech
                                .start(initial_response.as_ref().map(|r| r.expose().as_slice()));
                            plain = Some(mech);
                            finish_auth(server, h, step, &mut plain, &mut messages, maildrop)
                        } else {
                            server.respond(h, &Status::err("Unsupported mechanism"))
                        }
                    }
                    Command::Stat => {
                        let live: Vec<&Stored> = live(messages.as_deref(), server.deleted());
                        let size = live.iter().map(|m| m.data.len() as u64).sum();
                        let count = u32::try_from(live.len()).unwrap_or(u32::MAX);
                        server.respond(h, &Status::stat(Stat { count, size }))
                    }
                    Command::List(None) | Command::Uidl(None) => {
                        let listing = matches!(command, Command::List(_));
                        let mut lines = String::new();
                        for (i, m) in messages.iter().flatten().enumerate() {
                            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                            if MsgNum::new(n).is_some_and(|n| server.deleted().contains(&n)) {
                                continue;
                            }
                            if listing {
                                let _ = write!(lines, "{n} {}\r\n", m.data.len());
                            } else {
                                let _ = write!(lines, "{n} {}\r\n", m.uid);
                            }
                        }
                        server
                            .respond(h, &Status::ok(""))
                            .and_then(|()| server.send_body(h, lines.as_bytes()))
                            .and_then(|()| server.end_body(h))
                    }
                    Command::List(Some(m)) => match msg(m, &messages, server) {
                        Some(s) => server.respond(h, &Status::ok(&format!("{m} {}", s.data.len()))),
                        None => server.respond(h, &Status::err("no such message")),
                    },
                    Command::Uidl(Some(m)) => match msg(m, &messages, server) {
                        Some(s) => server.respond(h, &Status::ok(&format!("{m} {}", s.uid))),
                        None => server.respond(h, &Status::err("no such message")),
                    },
                    Command::Retr(m) | Command::Top { msg: m, .. } => {
                        match msg(m, &messages, server) {
                            Some(s) => {
                                let data = match command {
                                    Command::Top { lines, .. } => top(&s.data, lines),
                                    _ => s.data,
                                };
                                server
                                    .respond(h, &Status::ok(&format!("{} octets", data.len())))
                                    .and_then(|()| server.send_body(h, &data))
                                    .and_then(|()| server.end_body(h))
                            }
                            None => server.respond(h, &Status::err("no such message")),
                        }
                    }
                    Command::Dele(m) => match msg(m, &messages, server) {
                        Some(_) => server.respond(h, &Status::ok("marked for deletion")),
                        None => server.respond(h, &Status::err("no such message")),
                    },
                    Command::Quit => {
                        let uids: Vec<String> = server
                            .deleted()
                            .iter()
                            .filter_map(|&m| msg_any(m, messages.as_deref()))
                            .collect();
                        let status = match maildrop.remove(&uids) {
                            Ok(()) => {
                                removed = uids;
                                Status::ok("bye")
                            }
                            Err(e) => {
                                eprintln!("pop3_serve: removing messages: {e}");
                                Status::err("some deleted messages not removed")
                            }
                        };
                        server.respond(h, &status)
                    }
                    Command::Noop | Command::Rset => server.respond(h, &Status::ok("")),
                    _ => server.respond(h, &Status::err("not supported")),
                }
            }
            _ => Ok(()),
        };
        answered.map_err(|e| Error::protocol(e.to_string()))
    })?;
    Ok(removed)
}

fn live<'a>(messages: Option<&'a [Stored]>, deleted: &[MsgNum]) -> Vec<&'a Stored> {
    messages
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            u32::try_from(i + 1).ok().and_then(MsgNum::new).is_none_or(|n| !deleted.contains(&n))
        })
        .map(|(_, m)| m)
        .collect()
}

fn msg_any(m: MsgNum, messages: Option<&[Stored]>) -> Option<String> {
    let i = usize::try_from(m.get()).ok()?.checked_sub(1)?;
    messages?.get(i).map(|s| s.uid.clone())
}

fn login(
    server: &mut Server,
    h: mailwire::core::Handle,
    messages: &mut Option<Vec<Stored>>,
    maildrop: &dyn Maildrop,
) -> Result<(), mailwire::pop3::UsageError> {
    match maildrop.load() {
        Ok(loaded) => {
            let status = Status::ok(&format!("maildrop has {} messages", loaded.len()));
            *messages = Some(loaded);
            server.respond(h, &status)
        }
        Err(e) => {
            eprintln!("pop3_serve: reading the maildrop: {e}");
            server.respond(h, &Status::err("[SYS/TEMP] cannot read the maildrop"))
        }
    }
}

fn finish_auth(
    server: &mut Server,
    h: mailwire::core::Handle,
    step: ServerStep,
    plain: &mut Option<PlainServer<'_, Users>>,
    messages: &mut Option<Vec<Stored>>,
    maildrop: &dyn Maildrop,
) -> Result<(), mailwire::pop3::UsageError> {
    match step {
        ServerStep::Challenge(data) => server.challenge(h, &data),
        ServerStep::Success { .. } => {
            *plain = None;
            login(server, h, messages, maildrop)
        }
        _ => {
            *plain = None;
            server.respond(h, &Status::err("[AUTH] Authentication failed"))
        }
    }
}

/// Where a server reports what it did (one line per event).
pub(crate) type Log = dyn Fn(String) + Send + Sync;

/// Accepts connections forever, one thread each.
pub(crate) fn serve(
    listener: &TcpListener,
    opts: &Arc<ServeOptions>,
    maildrop: &Arc<dyn Maildrop>,
    log: &Arc<Log>,
) {
    for sock in listener.incoming() {
        let Ok(sock) = sock else { continue };
        let (opts, maildrop, log) = (Arc::clone(opts), Arc::clone(maildrop), Arc::clone(log));
        std::thread::spawn(move || {
            let peer = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            match session(sock, &opts, &*maildrop) {
                Ok(removed) if !removed.is_empty() => {
                    log(format!("{peer}: removed {}", removed.join(", ")));
                }
                Ok(_) => {}
                Err(e) => eprintln!("pop3_serve: session with {peer}: {e}"),
            }
        });
    }
}

fn main() {
    let args = Args::parse(
        std::env::args().skip(1),
        &["--listen", "--maildir", "--tls", "--cert", "--key", "--users"],
        &[],
    )
    .unwrap_or_else(|e| common::fail("pop3_serve", "arguments", e));
    if args.has("--help") {
        println!("{USAGE}");
        return;
    }
    let tls =
        TlsFlag::from_args(&args).unwrap_or_else(|e| common::fail("pop3_serve", "arguments", e));
    let users = match Users::from_args(&args) {
        Ok(Some(users)) => users,
        Ok(None) => {
            println!("pop3_serve: no --users: any user name and password log in");
            Users::anyone()
        }
        Err(e) => common::fail("pop3_serve", "--users", e),
    };
    let cert = if tls == TlsFlag::None {
        None
    } else {
        let (config, ca) = common::server_tls(&args, "pop3_serve")
            .unwrap_or_else(|e| common::fail("pop3_serve", "certificate", e));
        if let Some(ca) = ca {
            println!("generated a certificate for localhost; its CA is in {}", ca.display());
        }
        Some(config)
    };
    let dir = args.value("--maildir").unwrap_or("sink-maildir");
    let maildir = common::Maildir::create(dir)
        .unwrap_or_else(|e| common::fail("pop3_serve", "--maildir", format!("{dir}: {e}")));
    let listen = args.value("--listen").unwrap_or("127.0.0.1:1110");
    let listener = TcpListener::bind(listen)
        .unwrap_or_else(|e| common::fail("pop3_serve", "listen", format!("{listen}: {e}")));
    println!("pop3_serve: listening on {listen}, serving {dir}");
    let opts = Arc::new(ServeOptions { tls, cert, users });
    let maildrop: Arc<dyn Maildrop> = Arc::new(maildir);
    serve(&listener, &opts, &maildrop, &(Arc::new(|line: String| println!("{line}")) as Arc<Log>));
}
