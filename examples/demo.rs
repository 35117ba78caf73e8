//! The whole stack in one process, with no setup: `cargo run --example demo`.
//!
//! Starts an SMTP submission server (STARTTLS, AUTH) and a POP3 server (STLS) on 127.0.0.1
//! ephemeral ports, both over one mailbox kept in memory and a certificate generated at start
//! (a throwaway CA and a leaf for `localhost` signed by it). Then sends a MIME message with an
//! attachment through the SMTP client (STARTTLS + AUTH PLAIN), fetches it back through the
//! POP3 client (STLS + USER/PASS), checks that it arrived byte for byte, deletes it, and prints
//! what happened.
//!
//! The servers are the session logic of the `smtp_sink` and `pop3_serve` examples, given the
//! in-memory mailbox instead of a Maildir.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "an example program: it prints what it does and listens on sockets"
)]
#![allow(
    clippy::duplicate_mod,
    reason = "both server examples bring their copy of the examples' common module"
)]

#[path = "pop3_serve.rs"]
#[allow(dead_code, reason = "the demo uses the session logic, not the program")]
mod pop3_serve;
#[path = "smtp_sink.rs"]
#[allow(dead_code, reason = "the demo uses the session logic, not the program")]
mod smtp_sink;

use std::fmt::Write as _;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};

use mailwire::core::Secret;
use mailwire::io::pop3::Pop3Client;
use mailwire::io::smtp::SmtpClient;
use mailwire::io::{ClientSettings, TlsServerConfig};
use mailwire::smtp::RecipientOutcome;

use pop3_serve::{Maildrop, Stored};

/// The message the demo sends: written by hand (CRLF line endings), a text part and a base64
/// attachment whose last line starts with a dot once decoded.
pub(crate) const MESSAGE: &str = "\
From: Demo Sender <demo@example.org>\r
To: Demo Reader <reader@example.org>\r
Subject: mailwire demo: a message with an attachment\r
Date: Sun, 22 Nov 2026 06:00:00 +0000\r
Message-ID: <demo-1@example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"=_mailwire_demo\"\r
\r
This is a multi-part message in MIME format.\r
\r
--=_mailwire_demo\r
Content-Type: text/plain; charset=us-ascii\r
Content-Transfer-Encoding: 7bit\r
\r
Hello,\r
\r
this message went out through mailwire's SMTP client and came back through its\r
POP3 client, both over TLS on loopback.\r
.\r
A line holding only a dot, above, must survive dot-stuffing.\r
\r
--=_mailwire_demo\r
Content-Type: text/plain; charset=us-ascii; name=\"notes.txt\"\r
Content-Disposition: attachment; filename=\"notes.txt\"\r
Content-Transfer-Encoding: base64\r
\r
bWFpbHdpcmUgZGVtbyBhdHRhY2htZW50DQpMaW5lcyBvZiBhIHNtYWxsIHRleHQgZmlsZSwgc2Vu\r
dCBhcyBiYXNlNjQuDQoNCi5hIGxpbmUgdGhhdCBzdGFydHMgd2l0aCBhIGRvdA0K\r
\r
--=_mailwire_demo--\r
";

const USER: &str = "demo";
const PASSWORD: &str = "demo-password";

/// The mailbox both servers share.
#[derive(Debug, Default)]
struct Memory {
    messages: Mutex<Vec<Stored>>,
    delivered: Mutex<u32>,
}

impl Maildrop for Memory {
    fn load(&self) -> Result<Vec<Stored>, String> {
        Ok(self.messages.lock().unwrap_or_else(PoisonError::into_inner).clone())
    }

    fn remove(&self, uids: &[String]) -> Result<(), String> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|m| !uids.contains(&m.uid));
        Ok(())
    }
}

/// What the demo checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// The octets sent and received.
    pub(crate) octets: usize,
    /// Whether both sessions were encrypted.
    pub(crate) tls: bool,
    /// Messages left in the mailbox at the end.
    pub(crate) left: usize,
}

fn step<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// Runs the demo, writing its transcript to `out`.
pub(crate) fn run(out: &mut dyn Write) -> Result<Outcome, String> {
    let mut say = |line: &str| {
        let _ = writeln!(out, "{line}");
    };

    // A certificate: a throwaway CA and a leaf for localhost / 127.0.0.1 signed by it.
    let pki = step("generating a certificate", smtp_sink::common::generate_pki())?;
    let cert = step(
        "loading the certificate",
        TlsServerConfig::from_pem(pki.chain.as_bytes(), pki.key.as_bytes()),
    )?;
    say("setup: generated a CA and a certificate for localhost signed by it");

    // One mailbox in memory; the SMTP server delivers into it, the POP3 server reads it.
    let memory = Arc::new(Memory::default());
    let server_log = Arc::new(Mutex::new(Vec::<String>::new()));
    let deliver: Arc<smtp_sink::Deliver> = {
        let (memory, log) = (Arc::clone(&memory), Arc::clone(&server_log));
        Arc::new(move |m: &smtp_sink::Received| {
            let mut n = memory.delivered.lock().unwrap_or_else(PoisonError::into_inner);
            *n += 1;
            let uid = format!("demo-{n}");
            log.lock().unwrap_or_else(PoisonError::into_inner).push(format!(
                "smtp server: stored {uid}: from {} to {}, {} octets (TLS: {}, user: {})",
                m.from,
                m.to.join(", "),
                m.data.len(),
                if m.tls { "yes" } else { "no" },
                m.user.as_deref().unwrap_or("none"),
            ));
            memory
                .messages
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Stored { uid: uid.clone(), data: m.data.clone() });
            Ok(uid)
        })
    };
    let smtp_users = step("users", smtp_sink::common::Users::parse(&format!("{USER}:{PASSWORD}")))?;
    let sink = Arc::new(smtp_sink::SinkOptions {
        domain: "localhost".into(),
        tls: smtp_sink::common::TlsFlag::StartTls,
        cert: Some(cert.clone()),
        users: Some(smtp_users),
    });
    let pop_users = step("users", pop3_serve::common::Users::parse(&format!("{USER}:{PASSWORD}")))?;
    let pop = Arc::new(pop3_serve::ServeOptions {
        tls: pop3_serve::common::TlsFlag::StartTls,
        cert: Some(cert),
        users: pop_users,
    });
    let smtp_listener = step("listening for SMTP", TcpListener::bind("127.0.0.1:0"))?;
    let pop_listener = step("listening for POP3", TcpListener::bind("127.0.0.1:0"))?;
    let smtp_addr = step("listening for SMTP", smtp_listener.local_addr())?.to_string();
    let pop_addr = step("listening for POP3", pop_listener.local_addr())?.to_string();
    std::thread::spawn(move || smtp_sink::serve(&smtp_listener, &sink, &deliver));
    let maildrop: Arc<dyn Maildrop> = Arc::clone(&memory) as Arc<dyn Maildrop>;
    let pop_log: Arc<pop3_serve::Log> = {
        let log = Arc::clone(&server_log);
        Arc::new(move |line: String| {
            log.lock().unwrap_or_else(PoisonError::into_inner).push(format!("pop3 server: {line}"));
        })
    };
    std::thread::spawn(move || pop3_serve::serve(&pop_listener, &pop, &maildrop, &pop_log));
    say(&format!("setup: SMTP submission server on {smtp_addr} (STARTTLS, AUTH PLAIN LOGIN)"));
    say(&format!("setup: POP3 server on {pop_addr} (STLS, USER/PASS, AUTH PLAIN)"));
    say(&format!("setup: one mailbox in memory, user {USER:?}"));

    // The clients trust the generated CA only.
    let mut settings = ClientSettings::default(); // STARTTLS / STLS required
    step("trusting the CA", settings.add_ca_pem(pki.ca.as_bytes()))?;
    let password = Secret::new(PASSWORD.to_owned());
    let message = MESSAGE.as_bytes();

    // Send.
    let mut smtp =
        step(&format!("SMTP connect to {smtp_addr}"), SmtpClient::connect(&smtp_addr, &settings))?;
    let smtp_tls = smtp.is_tls();
    let mut offered = String::new();
    if let Some(caps) = smtp.capabilities() {
        for (on, name) in [
            (caps.pipelining, "PIPELINING"),
            (caps.chunking, "CHUNKING"),
            (caps.eight_bit_mime, "8BITMIME"),
            (caps.smtputf8, "SMTPUTF8"),
            (caps.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
        ] {
            if on {
                let _ = write!(offered, " {name}");
            }
        }
        if let Some(size) = caps.size {
            let _ = write!(offered, " SIZE={size}");
        }
        for m in &caps.auth {
            let _ = write!(offered, " AUTH={}", String::from_utf8_lossy(m.as_bytes()));
        }
    }
    say(&format!("smtp client: connected, EHLO, STARTTLS, EHLO again (TLS: {})", yes(smtp_tls)));
    say(&format!("smtp client: the server offers{offered}"));
    step("SMTP AUTH", smtp.login(USER, &password))?;
    say(&format!("smtp client: AUTH PLAIN as {USER:?}: accepted"));
    let report =
        step("SMTP send", smtp.send("demo@example.org", &["reader@example.org"], message))?;
    flush_log(&server_log, &mut say);
    for (rcpt, outcome) in &report.recipients {
        let result = match outcome {
            RecipientOutcome::Accepted { reply, .. } => format!("accepted: {}", wire(reply)),
            RecipientOutcome::Rejected(reply) => format!("rejected: {}", wire(reply)),
            _ => "deferred".to_owned(),
        };
        say(&format!("smtp client: RCPT {rcpt} {}", result.trim_end()));
    }
    let final_reply = report.data.as_ref().map(wire).unwrap_or_default();
    say(&format!(
        "smtp client: sent {} octets (pipelined, as BDAT chunks): {}",
        message.len(),
        final_reply.trim_end()
    ));
    step("SMTP QUIT", smtp.quit())?;
    say("smtp client: QUIT");

    // Fetch.
    let mut pop =
        step(&format!("POP3 connect to {pop_addr}"), Pop3Client::connect(&pop_addr, &settings))?;
    let pop_tls = pop.is_tls();
    say(&format!("pop3 client: connected, CAPA, STLS, CAPA again (TLS: {})", yes(pop_tls)));
    step("POP3 login", pop.login(USER, &password))?;
    say(&format!("pop3 client: USER/PASS as {USER:?}: accepted"));
    let list = step("POP3 LIST", pop.list())?;
    say(&format!(
        "pop3 client: LIST: {} message(s){}",
        list.len(),
        list.iter().fold(String::new(), |mut s, l| {
            let _ = write!(s, ", #{} of {} octets", l.msg, l.size);
            s
        })
    ));
    let first = list.first().ok_or("POP3 LIST: the mailbox is empty")?.msg;
    let fetched = step("POP3 RETR", pop.retrieve(first))?;
    if fetched != message {
        return Err(format!(
            "POP3 RETR {first}: {} octets differ from the {} sent",
            fetched.len(),
            message.len()
        ));
    }
    say(&format!(
        "pop3 client: RETR {first}: {} octets, identical to what was sent",
        fetched.len()
    ));
    describe(&fetched, &mut say)?;
    step("POP3 DELE", pop.delete(first))?;
    step("POP3 QUIT", pop.quit())?;
    flush_log(&server_log, &mut say);
    let left = memory.load().map(|m| m.len()).unwrap_or_default();
    say(&format!("pop3 client: DELE {first}, QUIT: {left} message(s) left in the mailbox"));
    say("demo: ok");
    Ok(Outcome { octets: fetched.len(), tls: smtp_tls && pop_tls, left })
}

/// The attachment's content, as the demo encoded it in base64.
const ATTACHMENT: &[u8] = b"mailwire demo attachment\r\nLines of a small text file, sent as base64.\r\n\r\n.a line that starts with a dot\r\n";

/// Parses the fetched message with `mailwire::mime`, says what its parts are and checks that
/// the attachment decodes to what was encoded.
fn describe(message: &[u8], say: &mut impl FnMut(&str)) -> Result<(), String> {
    let parsed = mailwire::mime::Message::parse(message.to_vec());
    let root = parsed.root();
    say(&format!(
        "mime: subject {:?}, {} parts",
        root.header_text("Subject").unwrap_or_default(),
        parsed.part_count()
    ));
    let mut attachment = None;
    for part in parsed.parts().filter(|p| !p.is_multipart()) {
        let ct = part.content_type();
        let body = part.decoded_body();
        say(&format!(
            "mime: part {}: {}/{} ({}), {} octets decoded{}",
            part.id(),
            ct.media_type,
            ct.subtype,
            part.transfer_encoding().as_str(),
            body.len(),
            part.filename().map(|f| format!(", attachment {f:?}")).unwrap_or_default()
        ));
        if part.filename().is_some() {
            attachment = Some(body.into_owned());
        }
    }
    match attachment {
        Some(a) if a == ATTACHMENT => {
            say("mime: the attachment decodes to the bytes that were encoded");
            Ok(())
        }
        Some(_) => Err("MIME: the attachment does not decode to what was encoded".into()),
        None => Err("MIME: no attachment in the fetched message".into()),
    }
}

/// A reply as the server sent it, lines joined by ` | `.
fn wire(reply: &mailwire::smtp::Reply) -> String {
    let bytes = reply.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    text.split("\r\n").filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ")
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn flush_log(log: &Mutex<Vec<String>>, say: &mut impl FnMut(&str)) {
    for line in log.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
        say(&line);
    }
}

fn main() {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        println!(
            "demo: sends a MIME message through an in-process SMTP server and fetches it back \
             through an in-process POP3 server, over TLS on 127.0.0.1\n\nusage: demo (no arguments)"
        );
        return;
    }
    if let Err(e) = run(&mut std::io::stdout()) {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}
