//! Streaming decoders: bytes in any chunking, complete commands and response parts out.
//!
//! Framing comes first: a [`mailwire_core::LineFramer`] finds complete lines under the line
//! limit, and only complete lines reach the parsers. Multi-line responses are dot-unstuffed by
//! [`mailwire_core::DotUnstuffer`]; message bodies (RETR, TOP) are never gathered whole but
//! handed out as chunks of at most [`BODY_CHUNK`] octets.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use mailwire_core::{BareLineEndings, DotStatus, DotUnstuffer, Limits, LineEndings, LineFramer};

use crate::error::ParseError;
use crate::types::{AuthResponse, Command, Continuation, ResponseShape, Status};

/// Largest body chunk a [`ResponseDecoder`] hands out at once.
pub const BODY_CHUNK: usize = 64 * 1024;

/// A line that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The line exceeded the line limit; it is skipped up to its end.
    #[error("line longer than {limit} octets")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// A framed line that does not parse.
    #[error("{error}")]
    Parse {
        /// Why it does not parse.
        error: ParseError,
        /// The line, without its CRLF.
        line: Bytes,
    },
    /// A message body exceeded the message size limit.
    #[error("message larger than {limit} octets")]
    MessageTooLarge {
        /// The limit.
        limit: u64,
    },
}

/// Decodes the client's side of a session: command lines and AUTH response lines.
///
/// ```
/// use mailwire_pop3::{codec::CommandDecoder, Command};
/// use mailwire_core::Limits;
///
/// let mut d = CommandDecoder::new(&Limits::default());
/// d.push(b"STAT\r\nQU");
/// assert_eq!(d.next_command(), Some(Ok(Command::Stat)));
/// assert_eq!(d.next_command(), None);
/// assert_eq!(d.buffered(), b"QU");
/// ```
#[derive(Debug, Clone)]
pub struct CommandDecoder {
    framer: LineFramer,
}

impl CommandDecoder {
    /// A decoder under `limits.line_length`.
    pub fn new(limits: &Limits) -> Self {
        Self { framer: LineFramer::new(limits.line_length, LineEndings::Crlf) }
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.framer.push(bytes);
    }

    fn line(&mut self) -> Option<Result<Bytes, DecodeError>> {
        Some(match self.framer.next_line()? {
            Ok(line) => Ok(line.content()),
            Err(mailwire_core::FrameError::LineTooLong { limit }) => {
                Err(DecodeError::LineTooLong { limit })
            }
            Err(_) => Err(DecodeError::LineTooLong { limit: self.framer.max_line() }),
        })
    }

    /// The next complete command, if a whole line is buffered.
    pub fn next_command(&mut self) -> Option<Result<Command, DecodeError>> {
        Some(self.line()?.and_then(|line| {
            Command::parse_bytes(&line).map_err(|error| DecodeError::Parse { error, line })
        }))
    }

    /// The next complete AUTH response line (`base64` or `*`).
    pub fn next_auth_response(&mut self) -> Option<Result<AuthResponse, DecodeError>> {
        Some(self.line()?.and_then(|line| {
            AuthResponse::parse(&line).map_err(|error| DecodeError::Parse { error, line })
        }))
    }

    /// Bytes received but not yet part of a complete line.
    pub fn buffered(&self) -> &[u8] {
        self.framer.buffered()
    }
}

/// One piece of a server response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponsePart {
    /// The status line that starts every response.
    Status(Status),
    /// A `+ ` SASL challenge (only when [`ResponseShape::Auth`] is expected).
    Continuation(Continuation),
    /// One dot-unstuffed line of a multi-line response, without its CRLF.
    Line(Bytes),
    /// A dot-unstuffed chunk of a message body (line endings kept).
    Body(Bytes),
    /// The end of a multi-line response or body (the `.` line).
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Status(ResponseShape),
    Lines,
    Body,
}

/// Decodes the server's side of a session. Tell it the [`ResponseShape`] of each response
/// with [`expect`](Self::expect) before it arrives (the client knows it from its command);
/// without that it expects a single line.
///
/// ```
/// use mailwire_pop3::codec::{ResponseDecoder, ResponsePart};
/// use mailwire_pop3::ResponseShape;
/// use mailwire_core::Limits;
///
/// let mut d = ResponseDecoder::new(&Limits::default());
/// d.expect(ResponseShape::Body);
/// d.push(b"+OK\r\n..dot\r\n.\r\n");
/// assert!(matches!(d.next_part(), Some(Ok(ResponsePart::Status(s))) if s.is_ok()));
/// assert_eq!(d.next_part(), Some(Ok(ResponsePart::Body(".dot\r\n".into()))));
/// assert_eq!(d.next_part(), Some(Ok(ResponsePart::End)));
/// ```
#[derive(Debug, Clone)]
pub struct ResponseDecoder {
    framer: LineFramer,
    phase: Phase,
    unstuffer: DotUnstuffer,
    scratch: BytesMut,
    message_size: u64,
    body_len: u64,
    /// Body parts decoded straight from the input (see `push`).
    ready: VecDeque<Result<ResponsePart, DecodeError>>,
}

impl ResponseDecoder {
    /// A decoder under `limits.line_length` and `limits.message_size`.
    pub fn new(limits: &Limits) -> Self {
        Self {
            framer: LineFramer::new(limits.line_length, LineEndings::Crlf),
            phase: Phase::Status(ResponseShape::Single),
            unstuffer: DotUnstuffer::new(BareLineEndings::Keep),
            scratch: BytesMut::new(),
            message_size: limits.message_size,
            body_len: 0,
            ready: VecDeque::new(),
        }
    }

    /// Sets the shape of the next response. Ignored inside a multi-line response.
    pub fn expect(&mut self, shape: ResponseShape) {
        if let Phase::Status(_) = self.phase {
            self.phase = Phase::Status(shape);
        }
    }

    /// Whether the decoder is inside a multi-line response or a body.
    pub fn in_multi_line(&self) -> bool {
        !matches!(self.phase, Phase::Status(_))
    }

    /// Adds received bytes.
    ///
    /// Inside a body with nothing else buffered, the bytes are dot-unstuffed at once into body
    /// parts (one copy, no framing); only what follows the body's end is buffered.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.phase != Phase::Body
            || !self.framer.buffered().is_empty()
            || self.framer.is_discarding()
        {
            self.framer.push(bytes);
            return;
        }
        let mut rest = bytes;
        while !rest.is_empty() && !self.unstuffer.is_done() {
            let (piece, tail) = rest.split_at(rest.len().min(BODY_CHUNK));
            rest = tail;
            let mut out = BytesMut::with_capacity(piece.len());
            if let Ok(DotStatus::Complete { consumed }) = self.unstuffer.decode(piece, &mut out) {
                self.framer.push(piece.get(consumed..).unwrap_or_default());
            }
            if !out.is_empty() {
                self.body_len = self.body_len.saturating_add(out.len() as u64);
                if self.body_len > self.message_size {
                    self.ready
                        .push_back(Err(DecodeError::MessageTooLarge { limit: self.message_size }));
                } else {
                    self.ready.push_back(Ok(ResponsePart::Body(out.freeze())));
                }
            }
        }
        self.framer.push(rest);
    }

    /// Bytes received but not yet decoded.
    pub fn buffered(&self) -> &[u8] {
        self.framer.buffered()
    }

    fn start_multi(&mut self, phase: Phase) {
        self.unstuffer.reset();
        self.body_len = 0;
        self.phase = phase;
    }

    /// The next piece of the response, if enough bytes are buffered.
    pub fn next_part(&mut self) -> Option<Result<ResponsePart, DecodeError>> {
        if let Some(part) = self.ready.pop_front() {
            return Some(part);
        }
        match self.phase {
            Phase::Body => self.body(),
            Phase::Lines => {
                let Ok(line) = self.framer.next_line()? else {
                    return Some(Err(DecodeError::LineTooLong { limit: self.framer.max_line() }));
                };
                self.scratch.clear();
                if let Ok(DotStatus::Complete { .. }) =
                    self.unstuffer.decode(line.raw(), &mut self.scratch)
                {
                    self.phase = Phase::Status(ResponseShape::Single);
                    Some(Ok(ResponsePart::End))
                } else {
                    let mut l = self.scratch.split();
                    if l.ends_with(b"\r\n") {
                        l.truncate(l.len() - 2);
                    }
                    Some(Ok(ResponsePart::Line(l.freeze())))
                }
            }
            Phase::Status(shape) => {
                let line = match self.framer.next_line()? {
                    Ok(l) => l.content(),
                    Err(_) => {
                        return Some(Err(DecodeError::LineTooLong {
                            limit: self.framer.max_line(),
                        }));
                    }
                };
                if shape == ResponseShape::Auth
                    && line.first() == Some(&b'+')
                    && let Ok(c) = Continuation::parse(&line)
                {
                    return Some(Ok(ResponsePart::Continuation(c)));
                }
                let status = match Status::parse_bytes(&line) {
                    Ok(s) => s,
                    Err(error) => return Some(Err(DecodeError::Parse { error, line })),
                };
                match (status.is_ok(), shape) {
                    (true, ResponseShape::MultiLine) => self.start_multi(Phase::Lines),
                    (true, ResponseShape::Body) => self.start_multi(Phase::Body),
                    _ => self.phase = Phase::Status(ResponseShape::Single),
                }
                Some(Ok(ResponsePart::Status(status)))
            }
        }
    }

    fn body(&mut self) -> Option<Result<ResponsePart, DecodeError>> {
        loop {
            if self.unstuffer.is_done() {
                self.phase = Phase::Status(ResponseShape::Single);
                return Some(Ok(ResponsePart::End));
            }
            let piece = self.framer.take_raw(BODY_CHUNK)?;
            let mut out = BytesMut::with_capacity(piece.len());
            let status = self.unstuffer.decode(&piece, &mut out);
            if let Ok(DotStatus::Complete { consumed }) = status {
                let leftover = piece.slice(consumed.min(piece.len())..);
                if !leftover.is_empty() {
                    let rest = self.framer.take_buffered();
                    self.framer.push(&leftover);
                    self.framer.push(&rest);
                }
                // The last chunk (if any) first; End comes on the next call.
            }
            if out.is_empty() {
                continue;
            }
            self.body_len = self.body_len.saturating_add(out.len() as u64);
            if self.body_len > self.message_size {
                return Some(Err(DecodeError::MessageTooLarge { limit: self.message_size }));
            }
            return Some(Ok(ResponsePart::Body(out.freeze())));
        }
    }
}
