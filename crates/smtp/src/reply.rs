//! SMTP replies: codes, enhanced status codes, single- and multi-line replies.

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

use crate::types::{Text, ValueError};

/// A three-digit reply code (RFC 5321 4.2), 200 to 599 for real replies; the first digit is
/// 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `211` system status.
    pub const SYSTEM_STATUS: Self = Self(211);
    /// `214` help.
    pub const HELP: Self = Self(214);
    /// `220` service ready.
    pub const READY: Self = Self(220);
    /// `221` closing.
    pub const CLOSING: Self = Self(221);
    /// `235` authentication succeeded.
    pub const AUTH_OK: Self = Self(235);
    /// `250` OK.
    pub const OK: Self = Self(250);
    /// `252` cannot verify.
    pub const CANNOT_VERIFY: Self = Self(252);
    /// `334` SASL continuation.
    pub const AUTH_CONTINUE: Self = Self(334);
    /// `354` start mail input.
    pub const START_DATA: Self = Self(354);
    /// `421` service not available, closing.
    pub const NOT_AVAILABLE: Self = Self(421);
    /// `452` insufficient storage / too many recipients.
    pub const INSUFFICIENT_STORAGE: Self = Self(452);
    /// `500` syntax error, command unrecognised (or line too long).
    pub const SYNTAX_ERROR: Self = Self(500);
    /// `501` syntax error in parameters.
    pub const PARAM_SYNTAX_ERROR: Self = Self(501);
    /// `502` command not implemented.
    pub const NOT_IMPLEMENTED: Self = Self(502);
    /// `503` bad sequence of commands.
    pub const BAD_SEQUENCE: Self = Self(503);
    /// `504` parameter not implemented.
    pub const PARAM_NOT_IMPLEMENTED: Self = Self(504);
    /// `530` authentication required.
    pub const AUTH_REQUIRED: Self = Self(530);
    /// `535` authentication failed.
    pub const AUTH_FAILED: Self = Self(535);
    /// `550` mailbox unavailable.
    pub const MAILBOX_UNAVAILABLE: Self = Self(550);
    /// `552` exceeded storage allocation.
    pub const EXCEEDED_STORAGE: Self = Self(552);
    /// `554` transaction failed.
    pub const TRANSACTION_FAILED: Self = Self(554);

    /// Validates a code: three digits, the first 1 to 5.
    pub const fn new(code: u16) -> Result<Self, ValueError> {
        if code >= 100 && code < 600 {
            Ok(Self(code))
        } else {
            Err(ValueError::Invalid { what: "reply code" })
        }
    }

    /// The code's number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The first digit (1 to 5).
    pub const fn class(self) -> u16 {
        self.0 / 100
    }

    /// 2xx.
    pub const fn is_positive(self) -> bool {
        self.class() == 2
    }

    /// 3xx.
    pub const fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// 4xx.
    pub const fn is_transient(self) -> bool {
        self.class() == 4
    }

    /// 5xx.
    pub const fn is_permanent(self) -> bool {
        self.class() == 5
    }

    fn digits(self) -> [u8; 3] {
        // each quotient is below 10, so the casts cannot truncate
        #[allow(clippy::cast_possible_truncation)]
        [b'0' + (self.0 / 100) as u8, b'0' + (self.0 / 10 % 10) as u8, b'0' + (self.0 % 10) as u8]
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced status code `class.subject.detail` (RFC 3463, sent per RFC 2034).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2 (success), 4 (persistent transient) or 5 (permanent).
    pub class: u8,
    /// The subject, 0 to 999.
    pub subject: u16,
    /// The detail, 0 to 999.
    pub detail: u16,
}

impl EnhancedCode {
    /// Parses `x.y.z` at the start of `text`, followed by a space or the end; returns the code
    /// and its length.
    pub fn parse_prefix(text: &[u8]) -> Option<(Self, usize)> {
        let class = match text.first()? {
            c @ (b'2' | b'4' | b'5') => c - b'0',
            _ => return None,
        };
        if text.get(1) != Some(&b'.') {
            return None;
        }
        let (subject, n1) = num3(text.get(2..)?)?;
        if text.get(2 + n1) != Some(&b'.') {
            return None;
        }
        let (detail, n2) = num3(text.get(3 + n1..)?)?;
        let len = 3 + n1 + n2;
        match text.get(len) {
            None | Some(b' ') => Some((Self { class, subject, detail }, len)),
            _ => None,
        }
    }
}

fn num3(b: &[u8]) -> Option<(u16, usize)> {
    let n = b.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 3 {
        return None;
    }
    let mut v = 0u16;
    for &c in b.get(..n)? {
        v = v * 10 + u16::from(c - b'0');
    }
    Some((v, n))
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A complete reply: a code and one or more text lines (every line kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: ReplyCode,
    lines: Vec<Text>,
}

/// A reply line or reply that could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The line does not start with a three-digit code followed by space, `-` or the end.
    #[error("malformed reply line")]
    Malformed,
    /// The lines of one multi-line reply carry different codes.
    #[error("multi-line reply changes its code from {first} to {line}")]
    CodeMismatch {
        /// The first line's code.
        first: u16,
        /// The disagreeing line's code.
        line: u16,
    },
    /// The reply has more lines than the limit.
    #[error("reply longer than {limit} lines")]
    TooManyLines {
        /// The limit in force.
        limit: usize,
    },
}

impl Reply {
    /// A single-line reply. `text` must not hold CR, LF or NUL.
    pub fn new(code: u16, text: &str) -> Result<Self, ValueError> {
        Ok(Self { code: ReplyCode::new(code)?, lines: vec![Text::try_from(text)?] })
    }

    /// A reply from a code and lines (one empty line if `lines` is empty).
    pub fn from_lines(code: ReplyCode, mut lines: Vec<Text>) -> Self {
        if lines.is_empty() {
            lines.push(Text::empty());
        }
        Self { code, lines }
    }

    /// A single-line reply from a constant (the code and text are known to be valid).
    pub(crate) fn new_static(code: u16, text: &'static str) -> Self {
        Self {
            code: ReplyCode(code),
            lines: vec![Text::new_unchecked(Bytes::from_static(text.as_bytes()))],
        }
    }

    /// A single-line reply from built text (no CR, LF or NUL in it by construction).
    pub(crate) fn new_owned(code: u16, text: String) -> Self {
        Self { code: ReplyCode(code), lines: vec![Text::new_unchecked(Bytes::from(text))] }
    }

    /// The reply code.
    pub const fn code(&self) -> ReplyCode {
        self.code
    }

    /// Every line's text (after the code and separator), at least one.
    pub fn lines(&self) -> &[Text] {
        &self.lines
    }

    /// The first line's text.
    pub fn first_line(&self) -> &Text {
        // lines is never empty: every constructor holds at least one
        static EMPTY: Text = Text::empty();
        self.lines.first().unwrap_or(&EMPTY)
    }

    /// The enhanced status code at the start of the first line, if any.
    pub fn enhanced_code(&self) -> Option<EnhancedCode> {
        EnhancedCode::parse_prefix(self.first_line().as_bytes()).map(|(c, _)| c)
    }

    /// All lines' text joined with spaces, enhanced codes removed from each line (for
    /// showing to people).
    pub fn message(&self) -> String {
        let mut s = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let b = line.as_bytes();
            let b = match EnhancedCode::parse_prefix(b) {
                Some((_, n)) => b.get(n..).unwrap_or_default().trim_ascii_start(),
                None => b,
            };
            s.push_str(&String::from_utf8_lossy(b));
        }
        s
    }

    /// Appends the reply, every line CRLF-terminated, to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        let digits = self.code.digits();
        let n = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            out.put_slice(&digits);
            if i + 1 < n {
                out.put_u8(b'-');
                out.put_slice(line.as_bytes());
            } else if !line.is_empty() || self.code == ReplyCode::AUTH_CONTINUE {
                // RFC 4954 4: a challenge is "334" SP [base64], the space even when empty
                out.put_u8(b' ');
                out.put_slice(line.as_bytes());
            }
            out.put_slice(b"\r\n");
        }
    }

    /// The encoded reply.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.freeze()
    }

    /// Parses one complete reply from the start of `input`.
    ///
    /// Returns `Ok(None)` while the reply is incomplete, or the reply and the octets it used;
    /// the rest of `input` is left alone. Lines end with CRLF (a bare LF is tolerated).
    ///
    /// ```
    /// use mailwire_smtp::{Bytes, Reply};
    ///
    /// let input = Bytes::from_static(b"250-mx.example\r\n250 SIZE 1000\r\nnext");
    /// let (reply, used) = Reply::parse(&input, 1000).unwrap().unwrap();
    /// assert_eq!(reply.code().get(), 250);
    /// assert_eq!(reply.lines().len(), 2);
    /// assert_eq!(used, input.len() - 4);
    /// ```
    pub fn parse(input: &Bytes, max_lines: usize) -> Result<Option<(Self, usize)>, ReplyError> {
        let mut lines: Vec<Text> = Vec::new();
        let mut code = 0;
        let mut pos = 0;
        loop {
            let Some(rest) = input.get(pos..) else { return Ok(None) };
            let Some(lf) = memchr::memchr(b'\n', rest) else { return Ok(None) };
            let lf = pos + lf;
            let end = if lf > pos && input.get(lf - 1) == Some(&b'\r') { lf - 1 } else { lf };
            let (c, last, text_start) = parse_line_at(input, pos, end)?;
            if lines.is_empty() {
                code = c;
                if !last {
                    lines.reserve(8);
                }
            } else if c != code {
                return Err(ReplyError::CodeMismatch { first: code, line: c });
            }
            if lines.len() >= max_lines {
                return Err(ReplyError::TooManyLines { limit: max_lines });
            }
            lines.push(Text::new_unchecked(input.slice(text_start..end)));
            pos = lf + 1;
            if last {
                return Ok(Some((Self { code: ReplyCode(code), lines }, pos)));
            }
        }
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message())
    }
}

/// Parses the reply line `buf[start..end]` (without CRLF): its code, whether it is the last
/// line, and where its text starts.
fn parse_line_at(buf: &[u8], start: usize, end: usize) -> Result<(u16, bool, usize), ReplyError> {
    let line = buf.get(start..end).ok_or(ReplyError::Malformed)?;
    let Some(&[a, b, c]) = line.get(..3) else { return Err(ReplyError::Malformed) };
    if !(b'1'..=b'5').contains(&a) || !b.is_ascii_digit() || !c.is_ascii_digit() {
        return Err(ReplyError::Malformed);
    }
    let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    let last = match line.get(3) {
        None | Some(b' ') => true,
        Some(b'-') => false,
        _ => return Err(ReplyError::Malformed),
    };
    let text = line.get(4..).unwrap_or_default();
    if memchr::memchr3(b'\r', b'\n', 0, text).is_some() {
        return Err(ReplyError::Malformed);
    }
    Ok((code, last, (start + 4).min(end)))
}

/// Assembles replies from lines (as a [`LineFramer`](mailwire_core::LineFramer) returns them).
#[derive(Debug, Clone)]
pub struct ReplyParser {
    code: u16,
    lines: Vec<Text>,
    max_lines: usize,
}

impl ReplyParser {
    /// A parser that accepts replies of at most `max_lines` lines.
    pub const fn new(max_lines: usize) -> Self {
        Self { code: 0, lines: Vec::new(), max_lines }
    }

    /// Whether a multi-line reply is under way.
    pub fn is_partial(&self) -> bool {
        !self.lines.is_empty()
    }

    /// Drops a partial reply.
    pub fn reset(&mut self) {
        self.lines.clear();
    }

    /// Feeds one line without its ending; returns the reply once its last line is seen.
    /// After an error the partial reply is dropped.
    pub fn push(&mut self, line: &Bytes) -> Result<Option<Reply>, ReplyError> {
        let (code, last, text) = match parse_line_at(line, 0, line.len()) {
            Ok((code, last, at)) => (code, last, Text::new_unchecked(line.slice(at..))),
            Err(e) => {
                self.lines.clear();
                return Err(e);
            }
        };
        if self.lines.is_empty() {
            self.code = code;
        } else if code != self.code {
            let first = self.code;
            self.lines.clear();
            return Err(ReplyError::CodeMismatch { first, line: code });
        }
        if self.lines.len() >= self.max_lines {
            self.lines.clear();
            return Err(ReplyError::TooManyLines { limit: self.max_lines });
        }
        self.lines.push(text);
        if last {
            let lines = core::mem::take(&mut self.lines);
            return Ok(Some(Reply { code: ReplyCode(self.code), lines }));
        }
        Ok(None)
    }
}
