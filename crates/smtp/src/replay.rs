//! Replaying a recorded SMTP or LMTP session (the transcript format of the mailwire
//! specifications) against both machines.
//!
//! [`replay`] checks, message by message:
//!
//! 1. every client line decodes as a command (or as message data, a BDAT chunk or a SASL
//!    response where the session says so), every server stream as replies;
//! 2. a [`SmtpClient`] sending those commands through [`SmtpClient::send`] (and the body
//!    verbs) writes exactly the recorded bytes and accepts the recorded replies in order,
//!    including the TLS upgrade at a `== TLS` marker;
//! 3. a [`SmtpServer`] fed the recorded client bytes emits the matching events and accepts
//!    the recorded replies from the application (or produces them itself, for the replies it
//!    owns such as `503` on a bad command order);
//! 4. re-encoding each decoded message gives the recorded bytes, or, for a tolerated quirk
//!    (lower-case verbs, a space after `FROM:`, a dropped source route...), the canonical form,
//!    which the report then shows.
//!
//! ```
//! let text = b"S: 220 mx.example ESMTP\nC: EHLO c.example\nS: 250 mx.example\nC: QUIT\nS: 221 bye\n";
//! let transcript = mailwire_core::transcript::parse(text).unwrap();
//! let report = mailwire_smtp::replay::replay(&transcript, false).unwrap();
//! assert_eq!(report.lines.len(), 5);
//! assert!(report.to_string().ends_with("5 messages, ok"));
//! ```

use std::collections::VecDeque;
use std::fmt;

use bytes::{Bytes, BytesMut};
use mailwire_core::transcript::{Side, Step, Stream, Transcript};
use mailwire_core::{Protocol, Security, TransportAction};

use crate::client::{ClientConfig, ClientEvent, SmtpClient};
use crate::command::{Command, Verb};
use crate::reply::Reply;
use crate::server::{ServerConfig, ServerEvent, SmtpServer};
use crate::types::Domain;

/// A successful replay: one printable line per message, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayReport {
    /// `"<line> C: ..."` / `"<line> S: ..."` per message; a tolerated quirk adds
    /// `(canonical: ...)`.
    pub lines: Vec<String>,
}

impl fmt::Display for ReplayReport {
    /// One line per message, then `N messages, ok`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        write!(f, "{} messages, ok", self.lines.len())
    }
}

/// The first failed check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} ({side}): {reason}", side = side.letter())]
pub struct ReplayFailure {
    /// The transcript's line number.
    pub line: usize,
    /// Whose bytes were being checked.
    pub side: Side,
    /// What went wrong.
    pub reason: String,
}

fn fail<T>(line: usize, side: Side, reason: impl fmt::Display) -> Result<T, ReplayFailure> {
    Err(ReplayFailure { line, side, reason: reason.to_string() })
}

fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    s.trim_end_matches(['\r', '\n']).replace("\r\n", "\\r\\n")
}

/// A client wire line not yet matched to a server event.
#[derive(Debug)]
struct WireLine {
    bytes: Bytes,
    line: usize,
}

/// What the client stream holds next, as the server machine sees it.
#[derive(Debug, Default)]
struct Body {
    /// Unstuffed body bytes (DATA) or chunk bytes (BDAT) received so far.
    data: BytesMut,
    /// The BDAT command in progress.
    bdat: Option<(u64, bool, WireLine)>,
}

struct Replayer {
    /// Octets per `handle_input` call.
    piece: usize,
    client: SmtpClient,
    server: SmtpServer,
    /// Client lines fed to the server, not yet matched.
    queue: VecDeque<WireLine>,
    /// Bytes the server wrote, not yet matched to a recorded reply.
    server_out: BytesMut,
    /// Bytes the client wrote, not yet compared.
    body: Body,
    /// The line where the current DATA body starts.
    in_body: bool,
    report: ReplayReport,
}

/// Replays `transcript` (SMTP, or LMTP when `lmtp`) through a client and a server machine.
pub fn replay(transcript: &Transcript, lmtp: bool) -> Result<ReplayReport, ReplayFailure> {
    replay_in_pieces(transcript, lmtp, usize::MAX)
}

/// Like [`replay`], but feeds each machine every wire line cut into pieces of `piece_len`
/// octets (1: byte by byte), to show that the outcome does not depend on how the transport
/// splits the bytes.
pub fn replay_in_pieces(
    transcript: &Transcript,
    lmtp: bool,
    piece_len: usize,
) -> Result<ReplayReport, ReplayFailure> {
    let piece = piece_len.max(1);
    let security = if transcript.implicit_tls { Security::Tls } else { Security::Plaintext };
    let cc = ClientConfig { lmtp, security, allow_plaintext_auth: true, ..ClientConfig::default() };
    let domain = Domain::new(Bytes::from_static(b"replay.invalid")).map_err(|e| ReplayFailure {
        line: 0,
        side: Side::Server,
        reason: e.to_string(),
    })?;
    let mut sc = ServerConfig::new(domain);
    sc.lmtp = lmtp;
    sc.security = security;
    // recorded sessions may pipeline liberally; ordering is checked by the reply matching
    sc.enforce_sync_points = false;
    let mut r = Replayer {
        piece,
        client: SmtpClient::new(cc),
        server: SmtpServer::new(sc),
        queue: VecDeque::new(),
        server_out: BytesMut::new(),
        body: Body::default(),
        in_body: false,
        report: ReplayReport::default(),
    };
    for step in &transcript.steps {
        match step {
            Step::Stream(s) if s.side == Side::Client => r.client_stream(s)?,
            Step::Stream(s) => r.server_stream(s)?,
            Step::Tls { line } => r.tls(*line)?,
        }
    }
    if let Some(w) = r.queue.front() {
        return fail(w.line, Side::Client, "the server machine never read this line");
    }
    Ok(r.report)
}

impl Replayer {
    fn client_stream(&mut self, s: &Stream) -> Result<(), ReplayFailure> {
        let mut offsets: Vec<usize> = s.lines.iter().map(|&(o, _)| o).collect();
        offsets.push(s.bytes.len());
        for (i, &(start, line)) in s.lines.iter().enumerate() {
            let end = offsets.get(i + 1).copied().unwrap_or(start);
            let bytes = s.bytes.slice(start..end);
            for part in bytes.chunks(self.piece) {
                self.server.handle_input(part);
            }
            self.queue.push_back(WireLine { bytes, line });
            self.server_events()?;
        }
        Ok(())
    }

    fn pop_line(&mut self, line_hint: usize) -> Result<WireLine, ReplayFailure> {
        match self.queue.pop_front() {
            Some(w) => Ok(w),
            None => fail(line_hint, Side::Client, "the server machine read more than was sent"),
        }
    }

    fn last_line(&self) -> usize {
        self.queue.back().map_or(0, |w| w.line)
    }

    /// Handles every event the server machine has ready.
    fn server_events(&mut self) -> Result<(), ReplayFailure> {
        while let Some(ev) = self.server.poll_event() {
            match ev {
                ServerEvent::Command(cmd) => self.command(cmd)?,
                ServerEvent::BodyChunk(b) => self.body.data.extend_from_slice(&b),
                ServerEvent::BodyEnd { last } => self.body_end(last)?,
                ServerEvent::AuthResponse(t) => {
                    let w = self.pop_line(self.last_line())?;
                    self.client.auth_response(&t).or_else(|e| {
                        fail(
                            w.line,
                            Side::Client,
                            format!("client machine refused the SASL response: {e}"),
                        )
                    })?;
                    self.compare_client(&w.bytes, w.line)?;
                    self.report.lines.push(format!("{} C: (SASL response)", w.line));
                }
                ServerEvent::Rejected { verb, reply } => {
                    let w = if self.in_body && verb == Some(Verb::Data) {
                        self.in_body = false;
                        self.body.data.clear();
                        self.pop_body_lines()?
                    } else {
                        self.pop_line(self.last_line())?
                    };
                    let Ok(cmd) = Command::parse(&strip_crlf(&w.bytes)) else {
                        self.report.lines.push(format!(
                            "{} C: {} (answered {} by the server machine)",
                            w.line,
                            show(&w.bytes),
                            reply.code()
                        ));
                        continue;
                    };
                    // the client still sends it: the server's own reply must match the record
                    if let Command::Bdat { .. } = cmd {
                        return fail(w.line, Side::Client, "BDAT rejected by the server machine");
                    }
                    self.client.send(cmd).or_else(|e| {
                        fail(
                            w.line,
                            Side::Client,
                            format!("client machine refused the command: {e}"),
                        )
                    })?;
                    self.compare_client(&w.bytes, w.line)?;
                    self.report.lines.push(format!(
                        "{} C: {} (answered {} by the server machine)",
                        w.line,
                        show(&w.bytes),
                        reply.code()
                    ));
                }
                ServerEvent::TlsEstablished | ServerEvent::Closed => {}
                ServerEvent::ConnectionLost(e) => {
                    return fail(self.last_line(), Side::Client, format!("server machine: {e}"));
                }
            }
        }
        Ok(())
    }

    fn command(&mut self, cmd: Command) -> Result<(), ReplayFailure> {
        if let Command::Bdat { size, last } = cmd {
            let w = self.pop_line(self.last_line())?;
            self.body.bdat = Some((size, last, w));
            self.body.data.clear();
            return Ok(());
        }
        let w = self.pop_line(self.last_line())?;
        let canonical = cmd.to_bytes();
        let note = if canonical == w.bytes {
            String::new()
        } else {
            match Command::parse(&strip_crlf(&canonical)) {
                Ok(again) if again == cmd => format!(" (canonical: {})", show(&canonical)),
                _ => {
                    return fail(
                        w.line,
                        Side::Client,
                        format!("re-encoding gives {}", show(&canonical)),
                    );
                }
            }
        };
        let expect = if note.is_empty() { w.bytes.clone() } else { canonical };
        let is_data = cmd == Command::Data;
        let sent = self.client.send(cmd);
        sent.or_else(|e| {
            fail(w.line, Side::Client, format!("client machine refused the command: {e}"))
        })?;
        self.compare_client(&expect, w.line)?;
        if is_data {
            self.in_body = true;
        }
        self.report.lines.push(format!("{} C: {}{note}", w.line, show(&w.bytes)));
        Ok(())
    }

    /// Pops the lines of a DATA body, up to and including the `.` line.
    fn pop_body_lines(&mut self) -> Result<WireLine, ReplayFailure> {
        let mut all = BytesMut::new();
        let mut first = None;
        loop {
            let w = self.pop_line(self.last_line())?;
            first.get_or_insert(w.line);
            all.extend_from_slice(&w.bytes);
            if &w.bytes[..] == b".\r\n" {
                return Ok(WireLine { bytes: all.freeze(), line: first.unwrap_or(0) });
            }
        }
    }

    fn body_end(&mut self, last: bool) -> Result<(), ReplayFailure> {
        let data = self.body.data.split().freeze();
        if let Some((size, is_last, cmd_line)) = self.body.bdat.take() {
            // the chunk: `size` octets of the following lines
            let mut chunk = BytesMut::new();
            while (chunk.len() as u64) < size {
                let w = self.pop_line(cmd_line.line)?;
                chunk.extend_from_slice(&w.bytes);
            }
            if chunk.len() as u64 != size {
                return fail(cmd_line.line, Side::Client, "a BDAT chunk ends inside a line");
            }
            if chunk != data || is_last != last {
                return fail(
                    cmd_line.line,
                    Side::Client,
                    "the server machine's chunk differs from the record",
                );
            }
            self.client.send_bdat(&data, last).or_else(|e| {
                fail(cmd_line.line, Side::Client, format!("client machine refused BDAT: {e}"))
            })?;
            let mut expect = BytesMut::from(&cmd_line.bytes[..]);
            expect.extend_from_slice(&chunk);
            self.compare_client(&expect, cmd_line.line)?;
            self.report.lines.push(format!(
                "{} C: {} (+{size} octets)",
                cmd_line.line,
                show(&cmd_line.bytes)
            ));
            return Ok(());
        }
        self.in_body = false;
        let w = self.pop_body_lines()?;
        self.client.body_chunk(&data).or_else(|e| {
            fail(w.line, Side::Client, format!("client machine refused the body: {e}"))
        })?;
        self.client.body_end().or_else(|e| {
            fail(w.line, Side::Client, format!("client machine refused the body: {e}"))
        })?;
        self.compare_client(&w.bytes, w.line)?;
        self.report.lines.push(format!("{} C: (message, {} octets)", w.line, data.len()));
        Ok(())
    }

    fn compare_client(&mut self, expect: &[u8], line: usize) -> Result<(), ReplayFailure> {
        let mut sent = BytesMut::new();
        while let Some(b) = self.client.poll_transmit() {
            sent.extend_from_slice(&b);
        }
        if sent != expect {
            return fail(
                line,
                Side::Client,
                format!(
                    "client machine wrote {:?}, the record has {:?}",
                    show(&sent),
                    show(expect)
                ),
            );
        }
        Ok(())
    }

    fn server_stream(&mut self, s: &Stream) -> Result<(), ReplayFailure> {
        while let Some(b) = self.server.poll_transmit() {
            self.server_out.extend_from_slice(&b);
        }
        let mut pos = 0;
        while pos < s.bytes.len() {
            let line = s.line_of(pos);
            let rest = s.bytes.slice(pos..);
            let (reply, used) = match Reply::parse(&rest, usize::MAX) {
                Ok(Some(x)) => x,
                Ok(None) => return fail(line, Side::Server, "incomplete reply"),
                Err(e) => return fail(line, Side::Server, format!("not a reply: {e}")),
            };
            let original = rest.slice(..used);
            pos += used;
            let canonical = reply.to_bytes();
            let note = if canonical == original {
                String::new()
            } else {
                format!(" (canonical: {})", show(&canonical))
            };
            // the server machine: its own reply (same code), or the application's (same bytes)
            if self.server_out.is_empty() {
                if !self.server.awaiting_reply() {
                    return fail(line, Side::Server, "the server machine has nothing to answer");
                }
                self.server.reply(&reply).or_else(|e| fail(line, Side::Server, e))?;
                while let Some(b) = self.server.poll_transmit() {
                    self.server_out.extend_from_slice(&b);
                }
                if !self.server_out.starts_with(&canonical) {
                    let out = show(&self.server_out);
                    return fail(line, Side::Server, format!("server machine wrote {out:?}"));
                }
                let _ = self.server_out.split_to(canonical.len());
            } else {
                let out = self.server_out.clone().freeze();
                match Reply::parse(&out, usize::MAX) {
                    Ok(Some((own, n))) if own.code() == reply.code() => {
                        let _ = self.server_out.split_to(n);
                    }
                    _ => {
                        let out = show(&out);
                        return fail(
                            line,
                            Side::Server,
                            format!("server machine answered {out:?}"),
                        );
                    }
                }
            }
            // the client machine reads the recorded bytes
            for part in original.chunks(self.piece) {
                self.client.handle_input(part);
            }
            while let Some(ev) = self.client.poll_event() {
                if let ClientEvent::ConnectionLost(e) = ev {
                    return fail(line, Side::Server, format!("client machine: {e}"));
                }
            }
            let lines = reply.line_count();
            let first = show(reply.first_line());
            let more = if lines > 1 { format!(" (+{} lines)", lines - 1) } else { String::new() };
            self.report.lines.push(format!("{line} S: {} {first}{more}{note}", reply.code()));
            self.server_events()?;
            while let Some(b) = self.server.poll_transmit() {
                self.server_out.extend_from_slice(&b);
            }
        }
        Ok(())
    }

    fn tls(&mut self, line: usize) -> Result<(), ReplayFailure> {
        let wants =
            |t: Option<TransportAction>| matches!(t, Some(TransportAction::StartTls { .. }));
        if !wants(self.server.poll_transport()) {
            return fail(
                line,
                Side::Server,
                "TLS marker, but the server machine did not ask for TLS",
            );
        }
        if !wants(self.client.poll_transport()) {
            return fail(
                line,
                Side::Client,
                "TLS marker, but the client machine did not ask for TLS",
            );
        }
        self.server.handle_tls_established();
        self.client.handle_tls_established();
        while self.client.poll_event().is_some() {}
        self.server_events()?;
        Ok(())
    }
}

fn strip_crlf(b: &Bytes) -> Bytes {
    let n = b.len().saturating_sub(2);
    b.slice(..n)
}
