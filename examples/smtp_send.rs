//! Sends a message file through any SMTP server and prints each recipient's result and the
//! server's final reply.
//!
//! ```text
//! MAILWIRE_PASSWORD=secret cargo run --example smtp_send -- --server mail.example.org:587 \
//!     --user ann --from ann@example.org --to bob@example.net message.eml
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "an example program: it prints and reads a file"
)]

#[path = "common/mod.rs"]
mod common;

use mailwire::io::smtp::SmtpClient;
use mailwire::smtp::RecipientOutcome;

use common::Args;

const USAGE: &str = "\
smtp_send: send a message file through an SMTP server

usage: smtp_send --server HOST:PORT --from ADDRESS --to ADDRESS [--to ADDRESS...]
                 [--tls starttls|implicit|none] [--ca FILE] [--user NAME] MESSAGE_FILE

  --server HOST:PORT   the server (submission: port 587 with starttls, 465 with implicit)
  --from ADDRESS       the envelope sender (\"\" for the null sender)
  --to ADDRESS         an envelope recipient; repeat for more
  --tls MODE           starttls (default; required, the session stops if the server does not
                       offer it), implicit (TLS from the first byte), none (plaintext)
  --ca FILE            also trust this CA certificate (PEM), for a private server
  --user NAME          authenticate (AUTH PLAIN, or LOGIN when only that is offered) with the
                       password from the environment variable MAILWIRE_PASSWORD
  MESSAGE_FILE         the message (RFC 5322 text); bare LF line endings are sent as CRLF

The server certificate must carry the host name of --server. Pipelining, CHUNKING (BDAT),
SIZE, 8BITMIME and SMTPUTF8 are used when the server offers them. Prints one line per
recipient and the final reply; exits with status 1 when any recipient or the message was
refused, with one line on stderr naming the step and the server's reply.";

/// A reply as the server sent it, lines joined by ` | `.
fn wire(reply: &mailwire::smtp::Reply) -> String {
    let bytes = reply.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    text.split("\r\n").filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" | ")
}

/// The message with every bare LF turned into CRLF.
fn crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32);
    let mut previous = 0u8;
    for &b in text {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

fn main() {
    let fail = |step: &str, e: &dyn std::fmt::Display| -> ! { common::fail("smtp_send", step, e) };
    let args = Args::parse(
        std::env::args().skip(1),
        &["--server", "--from", "--to", "--tls", "--ca", "--user"],
        &[],
    )
    .unwrap_or_else(|e| fail("arguments", &e));
    if args.has("--help") {
        println!("{USAGE}");
        return;
    }
    let server =
        args.value("--server").unwrap_or_else(|| fail("arguments", &"--server is required"));
    let from = args.value("--from").unwrap_or_else(|| fail("arguments", &"--from is required"));
    let to = args.values("--to");
    if to.is_empty() {
        fail("arguments", &"at least one --to is required");
    }
    let [file] = args.positional.as_slice() else {
        fail("arguments", &"give exactly one message file (see --help)")
    };
    let message = crlf(&common::read(file).unwrap_or_else(|e| fail("message", &e)));
    let settings = common::client_settings(&args).unwrap_or_else(|e| fail("arguments", &e));
    let password = args
        .value("--user")
        .map(|user| (user, common::password().unwrap_or_else(|e| fail("arguments", &e))));

    let mut smtp = SmtpClient::connect(server, &settings)
        .unwrap_or_else(|e| fail(&format!("connect to {server}"), &e));
    println!("connected to {server} (TLS: {})", if smtp.is_tls() { "yes" } else { "no" });
    if let Some((user, password)) = password {
        smtp.login(user, &password).unwrap_or_else(|e| fail("authenticate", &e));
        println!("authenticated as {user}");
    }
    let report = smtp.send(from, &to, &message).unwrap_or_else(|e| fail("send", &e));
    let mut refused = None;
    for (rcpt, outcome) in &report.recipients {
        match outcome {
            RecipientOutcome::Accepted { reply, .. } => {
                println!("{rcpt}: accepted: {}", wire(reply));
            }
            RecipientOutcome::Rejected(reply) => {
                println!("{rcpt}: refused: {}", wire(reply));
                refused.get_or_insert_with(|| format!("RCPT TO:{rcpt} refused: {}", wire(reply)));
            }
            _ => {
                println!("{rcpt}: not sent (over the server's recipient limit)");
                refused.get_or_insert_with(|| format!("RCPT TO:{rcpt} not sent: over the limit"));
            }
        }
    }
    if let Some(reply) = &report.data {
        println!("message: {}", wire(reply));
    }
    smtp.quit().unwrap_or_else(|e| fail("quit", &e));
    if let Some(refused) = refused {
        fail("send", &refused);
    }
}
