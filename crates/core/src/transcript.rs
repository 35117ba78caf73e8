//! The transcript file format: a protocol session written as the RFCs print their examples.
//!
//! ```text
//! # a comment
//! S: 220 mail.example.test ESMTP
//! C: EHLO client.example.test
//! S: 250 mail.example.test
//! ```
//!
//! `C: ` lines are bytes the client sent, `S: ` lines bytes the server sent; each line is one wire
//! line whose CRLF is implied. Consecutive lines of one side form one [`Stream`]. A line starting
//! with `== TLS` marks a completed TLS handshake ([`Step::Tls`]); before the first `C:`/`S:` line
//! it means the session began with implicit TLS. Other `==` lines and `#` lines are notes.
//! Files may be CRLF- or LF-terminated, and may hold bytes that are not UTF-8.
//!
//! ```
//! use mailwire_core::transcript::{parse, Side, Step};
//!
//! let t = parse(b"S: 220 hi\nC: QUIT\nS: 221 bye\n").unwrap();
//! assert_eq!(t.steps.len(), 3);
//! let Step::Stream(first) = &t.steps[0] else { panic!() };
//! assert_eq!(first.side, Side::Server);
//! assert_eq!(&first.bytes[..], b"220 hi\r\n");
//! assert_eq!(first.line_of(0), 1);
//! ```

use bytes::{BufMut, Bytes, BytesMut};

/// Which peer sent a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// `C: ` lines.
    Client,
    /// `S: ` lines.
    Server,
}

impl Side {
    /// The other side.
    #[must_use]
    pub const fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }

    /// `"C"` or `"S"`, as written in the file.
    pub const fn letter(self) -> &'static str {
        match self {
            Self::Client => "C",
            Self::Server => "S",
        }
    }
}

/// Consecutive wire lines from one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// Who sent the bytes.
    pub side: Side,
    /// The wire bytes, every line ending in CRLF.
    pub bytes: Bytes,
    /// For each wire line: its offset in `bytes` and its line number in the file (from 1).
    pub lines: Vec<(usize, usize)>,
}

impl Stream {
    /// The file line number of the wire line holding byte `offset` of [`Stream::bytes`].
    pub fn line_of(&self, offset: usize) -> usize {
        let idx = self.lines.partition_point(|&(start, _)| start <= offset);
        self.lines.get(idx.saturating_sub(1)).map_or(0, |&(_, number)| number)
    }
}

/// One step of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Bytes sent by one side.
    Stream(Stream),
    /// Both sides completed a TLS handshake here (the `== TLS` marker).
    Tls {
        /// The marker's line number in the file.
        line: usize,
    },
}

/// A parsed transcript.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transcript {
    /// Whether a `== TLS` marker precedes every `C:`/`S:` line (implicit TLS).
    pub implicit_tls: bool,
    /// The steps in order. A leading implicit-TLS marker is not repeated here.
    pub steps: Vec<Step>,
}

impl Transcript {
    /// All the bytes one side sent, in order, ignoring TLS markers.
    pub fn bytes_of(&self, side: Side) -> Bytes {
        let mut out = BytesMut::new();
        for step in &self.steps {
            if let Step::Stream(s) = step
                && s.side == side
            {
                out.put_slice(&s.bytes);
            }
        }
        out.freeze()
    }
}

/// A line that is neither a `C:`/`S:` line, a note, nor blank.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transcript line {line}: expected `C: `, `S: `, `== ` or `#`")]
pub struct TranscriptError {
    /// The offending line number (from 1).
    pub line: usize,
}

/// A stream being collected: its side, bytes, and (offset, line number) of each wire line.
type Pending = (Side, BytesMut, Vec<(usize, usize)>);

/// Parses a transcript file.
pub fn parse(input: &[u8]) -> Result<Transcript, TranscriptError> {
    let mut t = Transcript::default();
    let mut current: Option<Pending> = None;
    let mut seen_data = false;
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if input.ends_with(b"\n") || input.is_empty() {
        lines.pop();
    }
    for (idx, raw) in lines.into_iter().enumerate() {
        let number = idx + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let side_text = if let Some(rest) = line.strip_prefix(b"C:") {
            Some((Side::Client, rest))
        } else {
            line.strip_prefix(b"S:").map(|rest| (Side::Server, rest))
        };
        if let Some((side, rest)) = side_text {
            let text = rest.strip_prefix(b" ").unwrap_or(rest);
            seen_data = true;
            match &mut current {
                Some((s, buf, offsets)) if *s == side => {
                    offsets.push((buf.len(), number));
                    buf.put_slice(text);
                    buf.put_slice(b"\r\n");
                }
                _ => {
                    flush(&mut t, current.take());
                    let mut buf = BytesMut::new();
                    buf.put_slice(text);
                    buf.put_slice(b"\r\n");
                    current = Some((side, buf, vec![(0, number)]));
                }
            }
        } else if line.starts_with(b"== TLS") {
            flush(&mut t, current.take());
            if seen_data {
                t.steps.push(Step::Tls { line: number });
            } else {
                t.implicit_tls = true;
            }
        } else if line.starts_with(b"==")
            || line.starts_with(b"#")
            || line.iter().all(u8::is_ascii_whitespace)
        {
            // a note, a comment or a blank line
        } else {
            return Err(TranscriptError { line: number });
        }
    }
    flush(&mut t, current);
    Ok(t)
}

fn flush(t: &mut Transcript, current: Option<Pending>) {
    if let Some((side, buf, lines)) = current {
        t.steps.push(Step::Stream(Stream { side, bytes: buf.freeze(), lines }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = b"# a comment line: ignored\n\
== connect 127.0.0.1:10025          a note: ignored\n\
S: 220 mail.example.test ESMTP\n\
C: EHLO client.example.test\n\
S: 250-mail.example.test\n\
S: 250 STARTTLS\n\
C: STARTTLS\n\
S: 220 2.0.0 Ready to start TLS\n\
== TLS established: TLSv1.3          a line starting \"== TLS\" marks the TLS upgrade point\n\
C: EHLO client.example.test\n";

    #[test]
    fn parses_the_spec_example() {
        let t = parse(SAMPLE).unwrap();
        assert!(!t.implicit_tls);
        let kinds: Vec<String> = t
            .steps
            .iter()
            .map(|s| match s {
                Step::Stream(s) => format!("{}{}", s.side.letter(), s.lines.len()),
                Step::Tls { line } => format!("TLS@{line}"),
            })
            .collect();
        assert_eq!(kinds, ["S1", "C1", "S2", "C1", "S1", "TLS@9", "C1"]);
        let Step::Stream(s) = &t.steps[2] else { panic!() };
        assert_eq!(&s.bytes[..], b"250-mail.example.test\r\n250 STARTTLS\r\n");
        assert_eq!(s.line_of(0), 5);
        assert_eq!(s.line_of(23), 6);
        assert_eq!(
            &t.bytes_of(Side::Client)[..],
            b"EHLO client.example.test\r\nSTARTTLS\r\nEHLO client.example.test\r\n"
        );
    }

    #[test]
    fn crlf_files_empty_lines_raw_bytes_and_implicit_tls() {
        let t = parse(b"== TLS implicit\r\nS: +OK \xff\r\nC:\r\nC: x\r\n").unwrap();
        assert!(t.implicit_tls);
        assert_eq!(t.steps.len(), 2);
        let Step::Stream(c) = &t.steps[1] else { panic!() };
        assert_eq!(&c.bytes[..], b"\r\nx\r\n");
        let Step::Stream(s) = &t.steps[0] else { panic!() };
        assert_eq!(&s.bytes[..], b"+OK \xff\r\n");
    }

    #[test]
    fn garbage_lines_are_errors_with_their_number() {
        assert_eq!(parse(b"S: 220 x\nhello\n"), Err(TranscriptError { line: 2 }));
    }
}
