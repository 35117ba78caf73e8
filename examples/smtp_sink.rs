//! A receiving SMTP server: stores every message it accepts into a Maildir and prints one line
//! per message.
//!
//! ```text
//! cargo run --example smtp_sink -- --listen 127.0.0.1:2525 --maildir /tmp/sink
//! ```
//!
//! The session logic ([`session`]) drives the SMTP server machine of `mailwire::smtp` with the
//! blocking driver of `mailwire::io`; the demo and the tests run it in-process.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "an example program: it prints, reads files and listens on a socket"
)]

#[path = "common/mod.rs"]
pub(crate) mod common;

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use mailwire::io::blocking::Connection;
use mailwire::io::{Error, Tls, TlsServerConfig};
use mailwire::sasl::{LoginServer, PlainServer, ServerExchange, ServerExchangeConfig};
use mailwire::smtp::{
    Command, Domain, Keyword, Reply, ServerConfig, ServerEvent, SmtpServer, Verb,
};

use common::{Args, TlsFlag, Users};

const USAGE: &str = "\
smtp_sink: a receiving SMTP server that stores each message in a Maildir

usage: smtp_sink [--listen HOST:PORT] [--maildir DIR] [--tls starttls|implicit|none]
                 [--cert FILE --key FILE] [--users FILE]

  --listen HOST:PORT   where to listen (default 127.0.0.1:2525)
  --maildir DIR        the Maildir the messages go to (default ./sink-maildir; created)
  --tls MODE           starttls (default): offer STARTTLS; implicit: TLS from the first
                       byte (like port 465); none: plaintext only
  --cert FILE          the server certificate chain (PEM), with --key
  --key FILE           its private key (PEM); without both, a certificate for localhost and
                       127.0.0.1 is generated and its CA written to a file (printed)
  --users FILE         lines name:password; when given, AUTH PLAIN and LOGIN are offered and
                       required before MAIL (and refused before TLS unless --tls none)

Advertises PIPELINING, CHUNKING, 8BITMIME, SMTPUTF8, SIZE and ENHANCEDSTATUSCODES. Prints one
line per message: its Maildir id, the sender, the recipients and its size.";

/// How the sink runs.
#[derive(Debug, Clone)]
pub(crate) struct SinkOptions {
    /// The name in the greeting and the EHLO reply.
    pub(crate) domain: String,
    /// How connections are secured.
    pub(crate) tls: TlsFlag,
    /// The certificate (unused with `TlsFlag::None`).
    pub(crate) cert: Option<TlsServerConfig>,
    /// With users, AUTH is offered and required before MAIL.
    pub(crate) users: Option<Users>,
}

/// A message the sink accepted.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// The reverse path (empty for the null sender).
    pub(crate) from: String,
    /// The accepted recipients.
    pub(crate) to: Vec<String>,
    /// The message as received (CRLF line endings).
    pub(crate) data: Vec<u8>,
    /// Who authenticated, if anyone.
    pub(crate) user: Option<String>,
    /// Whether the session was encrypted.
    pub(crate) tls: bool,
}

/// Where the accepted messages go: returns an id for the reply, or the reason to refuse.
pub(crate) type Deliver = dyn Fn(&Received) -> Result<String, String> + Send + Sync;

#[allow(clippy::expect_used, reason = "the texts are this file's own, without CR or LF")]
fn reply(code: u16, text: &str) -> Reply {
    Reply::new(code, text).expect("a valid reply")
}

/// Serves one connection until the client quits or goes away.
pub(crate) fn session(sock: TcpStream, opts: &SinkOptions, deliver: &Deliver) -> Result<(), Error> {
    let domain = Domain::try_from(opts.domain.as_str())
        .map_err(|e| Error::Usage(format!("domain {:?}: {e}", opts.domain)))?;
    let mut config = ServerConfig::new(domain);
    let tls = |role| {
        opts.cert
            .clone()
            .map(Tls::server)
            .ok_or_else(|| Error::Usage(format!("{role} needs a certificate")))
    };
    config.capabilities.starttls = opts.tls == TlsFlag::StartTls;
    if opts.users.is_some() {
        config.capabilities.auth =
            ["PLAIN", "LOGIN"].iter().filter_map(|m| Keyword::try_from(*m).ok()).collect();
    }
    if opts.tls == TlsFlag::Implicit {
        config.security = mailwire::core::Security::Tls;
    }
    let conn = Connection::<SmtpServer, TcpStream>::new(SmtpServer::new(config), sock);
    let mut conn = match opts.tls {
        TlsFlag::Implicit => conn.with_implicit_tls(tls("implicit TLS")?),
        TlsFlag::StartTls => conn.with_starttls(tls("STARTTLS")?),
        TlsFlag::None => conn,
    };
    let mut is_tls = opts.tls == TlsFlag::Implicit;
    let _ = conn.machine_mut().accept(); // the greeting
    let users = opts.users.as_ref();
    let mut exchange: Option<ServerExchange<'_>> = None;
    let mut user: Option<String> = None;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut body = Vec::new();
    conn.run_until_closed(|server, event| {
        let answered = match event {
            ServerEvent::Command(command) => match command {
                Command::StartTls if opts.tls != TlsFlag::StartTls || is_tls => {
                    server.reply(&reply(502, "5.5.1 STARTTLS not available"))
                }
                Command::Auth { mechanism, initial } => {
                    let refuse = if users.is_none() {
                        Some(reply(502, "5.5.1 AUTH not available"))
                    } else if !is_tls && opts.tls != TlsFlag::None {
                        Some(reply(
                            538,
                            "5.7.11 Encryption required for requested authentication mechanism",
                        ))
                    } else if user.is_some() {
                        Some(reply(503, "5.5.1 Already authenticated"))
                    } else {
                        None
                    };
                    match (refuse, users) {
                        (Some(r), _) => server.reply(&r),
                        (None, None) => server.reply(&reply(502, "5.5.1 AUTH not available")),
                        (None, Some(users)) => {
                            let mech: Option<Box<dyn mailwire::sasl::ServerMechanism + Send + '_>> =
                                if mechanism.is("PLAIN") {
                                    Some(Box::new(PlainServer::new(users)))
                                } else if mechanism.is("LOGIN") {
                                    Some(Box::new(LoginServer::new(users)))
                                } else {
                                    None
                                };
                            match mech {
                                None => server
                                    .reply(&reply(504, "5.5.4 Unrecognized authentication type")),
                                Some(mech) => {
                                    let mut ex =
                                        ServerExchange::new(mech, ServerExchangeConfig::default());
                                    let step =
                                        ex.start(initial.as_ref().map(|t| t.expose().as_bytes()));
                                    exchange = Some(ex);
                                    answer_sasl(server, &step, &mut exchange, &mut user)
                                }
                            }
                        }
                    }
                }
                Command::Mail { from: path, .. } => {
                    if users.is_some() && user.is_none() {
                        server.reply(&reply(530, "5.7.0 Authentication required"))
                    } else {
                        from = path.to_string();
                        to.clear();
                        body.clear();
                        server.accept()
                    }
                }
                Command::Rcpt { to: path, .. } => {
                    to.push(path.to_string());
                    server.accept()
                }
                Command::Bdat { .. } => Ok(()),
                Command::Rset | Command::Ehlo(_) | Command::Helo(_) => {
                    to.clear();
                    body.clear();
                    server.accept()
                }
                _ => server.accept(),
            },
            ServerEvent::AuthResponse(line) => {
                let step = match exchange.as_mut() {
                    Some(ex) => ex.response(line.expose().as_bytes()),
                    None => mailwire::sasl::ServerReply::Failure(
                        mailwire::sasl::ServerFailure::Cancelled,
                    ),
                };
                answer_sasl(server, &step, &mut exchange, &mut user)
            }
            ServerEvent::BodyChunk(chunk) => {
                body.extend_from_slice(&chunk);
                Ok(())
            }
            ServerEvent::BodyEnd { last: false } => server.accept(),
            ServerEvent::BodyEnd { last: true } => {
                let message = Received {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data: std::mem::take(&mut body),
                    user: user.clone(),
                    tls: is_tls,
                };
                match deliver(&message) {
                    Ok(id) => server.reply(&reply(250, &format!("2.0.0 Ok: queued as {id}"))),
                    Err(why) => {
                        eprintln!("smtp_sink: storing a message: {why}");
                        server.reply(&reply(451, "4.3.0 Could not store the message"))
                    }
                }
            }
            ServerEvent::Rejected { verb: Some(Verb::Data | Verb::Bdat), .. } => {
                body.clear();
                Ok(())
            }
            ServerEvent::TlsEstablished => {
                is_tls = true;
                user = None;
                Ok(())
            }
            _ => Ok(()),
        };
        answered.map_err(|e| Error::protocol(e.to_string()))
    })
}

fn answer_sasl(
    server: &mut SmtpServer,
    step: &mailwire::sasl::ServerReply,
    exchange: &mut Option<ServerExchange<'_>>,
    user: &mut Option<String>,
) -> Result<(), mailwire::smtp::ServerUsageError> {
    if !matches!(step, mailwire::sasl::ServerReply::Challenge(_)) {
        *exchange = None;
    }
    if let Some(who) = server.answer_sasl(step)? {
        *user = Some(who.authorization_id);
    }
    Ok(())
}

/// Accepts connections forever, one thread each.
pub(crate) fn serve(listener: &TcpListener, opts: &Arc<SinkOptions>, deliver: &Arc<Deliver>) {
    for sock in listener.incoming() {
        let Ok(sock) = sock else { continue };
        let (opts, deliver) = (Arc::clone(opts), Arc::clone(deliver));
        std::thread::spawn(move || {
            let peer = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            if let Err(e) = session(sock, &opts, &*deliver) {
                eprintln!("smtp_sink: session with {peer}: {e}");
            }
        });
    }
}

/// A deliverer into `maildir` that prints one line per message.
pub(crate) fn maildir_deliver(maildir: common::Maildir) -> Arc<Deliver> {
    Arc::new(move |m: &Received| {
        let id =
            maildir.deliver(&m.data).map_err(|e| format!("{}: {e}", maildir.root().display()))?;
        println!(
            "{id}: from <{}> to {} ({} octets{}{})",
            m.from.trim_start_matches('<').trim_end_matches('>'),
            m.to.join(", "),
            m.data.len(),
            if m.tls { ", TLS" } else { "" },
            m.user.as_ref().map(|u| format!(", user {u}")).unwrap_or_default(),
        );
        Ok(id)
    })
}

fn main() {
    let args = Args::parse(
        std::env::args().skip(1),
        &["--listen", "--maildir", "--tls", "--cert", "--key", "--users"],
        &[],
    )
    .unwrap_or_else(|e| common::fail("smtp_sink", "arguments", e));
    if args.has("--help") {
        println!("{USAGE}");
        return;
    }
    let tls =
        TlsFlag::from_args(&args).unwrap_or_else(|e| common::fail("smtp_sink", "arguments", e));
    let users = Users::from_args(&args).unwrap_or_else(|e| common::fail("smtp_sink", "--users", e));
    let cert = if tls == TlsFlag::None {
        None
    } else {
        let (config, ca) = common::server_tls(&args, "smtp_sink")
            .unwrap_or_else(|e| common::fail("smtp_sink", "certificate", e));
        if let Some(ca) = ca {
            println!("generated a certificate for localhost; its CA is in {}", ca.display());
        }
        Some(config)
    };
    let dir = args.value("--maildir").unwrap_or("sink-maildir");
    let maildir = common::Maildir::create(dir)
        .unwrap_or_else(|e| common::fail("smtp_sink", "--maildir", format!("{dir}: {e}")));
    let listen = args.value("--listen").unwrap_or("127.0.0.1:2525");
    let listener = TcpListener::bind(listen)
        .unwrap_or_else(|e| common::fail("smtp_sink", "listen", format!("{listen}: {e}")));
    println!("smtp_sink: listening on {listen}, storing into {dir}");
    let opts = Arc::new(SinkOptions { domain: "localhost".into(), tls, cert, users });
    serve(&listener, &opts, &maildir_deliver(maildir));
}
