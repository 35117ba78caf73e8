//! The inputs of the SMTP benches, shared so that `smtp.rs` (criterion) and `count.rs`
//! (instruction counts, alternating timings) measure exactly the same bytes.
#![allow(dead_code, reason = "each bench uses its own subset")]

use mailwire_smtp::Bytes;

/// 20,000 rounds of EHLO, MAIL FROM with parameters, RCPT TO, DATA, RSET: 100,000 commands.
pub(crate) fn commands() -> Bytes {
    let mut s = Vec::new();
    for i in 0..20_000 {
        s.extend_from_slice(format!("EHLO client{i}.example.org\r\n").as_bytes());
        s.extend_from_slice(
            format!("MAIL FROM:<sender{i}@example.org> SIZE=12345 BODY=8BITMIME\r\n").as_bytes(),
        );
        s.extend_from_slice(format!("RCPT TO:<rcpt{i}@example.net>\r\n").as_bytes());
        s.extend_from_slice(b"DATA\r\nRSET\r\n");
    }
    Bytes::from(s)
}

/// A typical EHLO reply, as a large provider sends it.
pub(crate) const EHLO: &[u8] = b"250-mx.example.org Hello client.example.org [192.0.2.1]\r\n\
250-PIPELINING\r\n250-SIZE 35882577\r\n250-ETRN\r\n250-STARTTLS\r\n\
250-AUTH PLAIN LOGIN XOAUTH2\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n\
250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";

/// 10,000 rounds of five replies (single-line, multi-line, with and without enhanced codes).
pub(crate) fn replies() -> Bytes {
    let mut s = Vec::new();
    for _ in 0..10_000 {
        s.extend_from_slice(b"250 2.1.0 Ok\r\n");
        s.extend_from_slice(
            b"550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown\r\n",
        );
        s.extend_from_slice(b"354 End data with <CR><LF>.<CR><LF>\r\n");
        s.extend_from_slice(
            b"250-first line of a multi-line reply\r\n250-second line\r\n250 2.0.0 last\r\n",
        );
        s.extend_from_slice(b"451 4.7.1 Greylisted, try again later\r\n");
    }
    Bytes::from(s)
}

/// One command line per kind; each kind's input is its line 20,000 times.
pub(crate) const COMMAND_KINDS: [(&str, &[u8]); 5] = [
    ("data", b"DATA\r\n"),
    ("rset", b"RSET\r\n"),
    ("ehlo", b"EHLO client1.example.org\r\n"),
    ("mail", b"MAIL FROM:<sender1@example.org> SIZE=12345 BODY=8BITMIME\r\n"),
    ("rcpt", b"RCPT TO:<rcpt1@example.net>\r\n"),
];

/// The input of one command kind of [`COMMAND_KINDS`].
pub(crate) fn command_kind(line: &[u8]) -> Bytes {
    Bytes::from(line.repeat(20_000))
}
