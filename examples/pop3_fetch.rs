//! Downloads every message of a POP3 mailbox into a Maildir, optionally deleting them from the
//! server.
//!
//! ```text
//! MAILWIRE_PASSWORD=secret cargo run --example pop3_fetch -- --server mail.example.org:995 \
//!     --tls implicit --user ann --out fetched --delete
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "an example program: it prints and writes files"
)]

#[path = "common/mod.rs"]
mod common;

use mailwire::io::pop3::Pop3Client;

use common::Args;

const USAGE: &str = "\
pop3_fetch: download all messages of a POP3 mailbox into a Maildir

usage: pop3_fetch --server HOST:PORT --user NAME [--out DIR] [--delete]
                  [--tls starttls|implicit|none] [--ca FILE]

  --server HOST:PORT   the server (port 110 with starttls, 995 with implicit)
  --user NAME          the mailbox; the password comes from the environment variable
                       MAILWIRE_PASSWORD (USER/PASS)
  --out DIR            the Maildir the messages are written to (default ./fetched; created)
  --delete             delete each message on the server once it is safely written
  --tls MODE           starttls (default; STLS required), implicit (TLS from the first byte),
                       none (plaintext, password included)
  --ca FILE            also trust this CA certificate (PEM), for a private server

The server certificate must carry the host name of --server. Prints one line per message;
exits with status 1 on the first failure, with one line on stderr naming the step and the
server's reply.";

fn main() {
    let fail = |step: &str, e: &dyn std::fmt::Display| -> ! { common::fail("pop3_fetch", step, e) };
    let args = Args::parse(
        std::env::args().skip(1),
        &["--server", "--user", "--out", "--tls", "--ca"],
        &["--delete"],
    )
    .unwrap_or_else(|e| fail("arguments", &e));
    if args.has("--help") {
        println!("{USAGE}");
        return;
    }
    let server =
        args.value("--server").unwrap_or_else(|| fail("arguments", &"--server is required"));
    let user = args.value("--user").unwrap_or_else(|| fail("arguments", &"--user is required"));
    if let Some(extra) = args.positional.first() {
        fail("arguments", &format!("unexpected argument {extra:?} (see --help)"));
    }
    let password = common::password().unwrap_or_else(|e| fail("arguments", &e));
    let settings = common::client_settings(&args).unwrap_or_else(|e| fail("arguments", &e));
    let dir = args.value("--out").unwrap_or("fetched");
    let out =
        common::Maildir::create(dir).unwrap_or_else(|e| fail("--out", &format!("{dir}: {e}")));

    let mut pop = Pop3Client::connect(server, &settings)
        .unwrap_or_else(|e| fail(&format!("connect to {server}"), &e));
    println!("connected to {server} (TLS: {})", if pop.is_tls() { "yes" } else { "no" });
    pop.login(user, &password).unwrap_or_else(|e| fail("login", &e));
    let list = pop.list().unwrap_or_else(|e| fail("list", &e));
    println!("{} message(s)", list.len());
    for listing in &list {
        let message = pop.retrieve(listing.msg).unwrap_or_else(|e| fail("retrieve", &e));
        let id = out
            .deliver(&message)
            .unwrap_or_else(|e| fail("write", &format!("{}: {e}", out.root().display())));
        println!("#{}: {} octets -> {}/new/{id}", listing.msg, message.len(), out.root().display());
        if args.has("--delete") {
            pop.delete(listing.msg).unwrap_or_else(|e| fail("delete", &e));
        }
    }
    pop.quit().unwrap_or_else(|e| fail("quit", &e));
    if args.has("--delete") && !list.is_empty() {
        println!("deleted {} message(s) on the server", list.len());
    }
}
