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
///
/// A parsed reply is one zero-copy slice of the received bytes (all its lines, as received);
/// the line texts are read from it on demand. Two replies are equal when their codes and line
/// texts are, however their lines ended on the wire.
#[derive(Debug, Clone)]
pub struct Reply {
    code: ReplyCode,
    /// Wire lines, each starting with the code; ending in CRLF or LF (the last may have none).
    raw: Bytes,
}

impl PartialEq for Reply {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.lines().eq(other.lines())
    }
}

impl Eq for Reply {}

impl core::hash::Hash for Reply {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.code.hash(state);
        for l in self.lines() {
            l.hash(state);
        }
    }
}

/// The text of each line of a [`Reply`] (after the code and separator).
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    rest: &'a [u8],
    base: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.next_range().map(|(line, _, _)| line)
    }
}

impl<'a> Lines<'a> {
    /// The next line's text and its range in the reply's bytes.
    fn next_range(&mut self) -> Option<(&'a [u8], usize, usize)> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, used) = match self.rest.iter().position(|&c| c == b'\n') {
            Some(lf) => (self.rest.get(..lf).unwrap_or_default(), lf + 1),
            None => (self.rest, self.rest.len()),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let start = self.base + 4.min(line.len());
        let end = self.base + line.len();
        let text = line.get(4..).unwrap_or_default();
        self.rest = self.rest.get(used..).unwrap_or_default();
        self.base += used;
        Some((text, start, end))
    }
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
        let text = Text::try_from(text)?;
        Ok(Self::from_lines(ReplyCode::new(code)?, &[text]))
    }

    /// A reply from a code and lines (one empty line if `lines` is empty).
    pub fn from_lines(code: ReplyCode, lines: &[Text]) -> Self {
        let mut out = BytesMut::new();
        encode_lines(code, lines.iter().map(Text::as_bytes), lines.len().max(1), &mut out);
        if lines.is_empty() {
            encode_lines(code, core::iter::once(&b""[..]), 1, &mut out);
        }
        Self { code, raw: out.freeze() }
    }

    /// A single-line reply from a constant (the code and text are known to be valid).
    pub(crate) fn new_static(code: u16, text: &'static str) -> Self {
        Self::from_lines(
            ReplyCode(code),
            &[Text::new_unchecked(Bytes::from_static(text.as_bytes()))],
        )
    }

    /// A single-line reply from built text (no CR, LF or NUL in it by construction).
    pub(crate) fn new_owned(code: u16, text: String) -> Self {
        Self::from_lines(ReplyCode(code), &[Text::new_unchecked(Bytes::from(text))])
    }

    /// The reply code.
    pub const fn code(&self) -> ReplyCode {
        self.code
    }

    /// Every line's text (after the code and separator); at least one line.
    pub fn lines(&self) -> Lines<'_> {
        Lines { rest: &self.raw, base: 0 }
    }

    /// How many lines the reply has.
    pub fn line_count(&self) -> usize {
        self.lines().count()
    }

    /// The text of line `i` as a zero-copy [`Text`].
    pub fn line(&self, i: usize) -> Option<Text> {
        let mut it = self.lines();
        for _ in 0..i {
            it.next_range()?;
        }
        let (_, start, end) = it.next_range()?;
        Some(Text::new_unchecked(self.raw.slice(start..end)))
    }

    /// Each line's text range in [`raw`](Self::raw) (crate-internal zero-copy access).
    pub(crate) fn line_ranges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut it = self.lines();
        core::iter::from_fn(move || it.next_range().map(|(_, a, b)| (a, b)))
    }

    /// The reply's bytes as received (or as built).
    pub(crate) const fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// The first line's text.
    pub fn first_line(&self) -> &[u8] {
        self.lines().next().unwrap_or_default()
    }

    /// The enhanced status code at the start of the first line, if any.
    pub fn enhanced_code(&self) -> Option<EnhancedCode> {
        EnhancedCode::parse_prefix(self.first_line()).map(|(c, _)| c)
    }

    /// All lines' text joined with spaces, enhanced codes removed from each line (for
    /// showing to people).
    pub fn message(&self) -> String {
        let mut s = String::new();
        for (i, b) in self.lines().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let b = match EnhancedCode::parse_prefix(b) {
                Some((_, n)) => b.get(n..).unwrap_or_default().trim_ascii_start(),
                None => b,
            };
            s.push_str(&String::from_utf8_lossy(b));
        }
        s
    }

    /// Appends the reply in its canonical form, every line CRLF-terminated, to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        encode_lines(self.code, self.lines(), self.line_count(), out);
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
    /// assert_eq!(reply.line_count(), 2);
    /// assert_eq!(used, input.len() - 4);
    /// ```
    pub fn parse(input: &Bytes, max_lines: usize) -> Result<Option<(Self, usize)>, ReplyError> {
        Self::parse_at(input, 0, max_lines)
    }

    /// Like [`parse`](Self::parse) for the reply starting at `offset`; returns the offset
    /// after it. Walking a buffer this way makes one `Bytes` per reply.
    pub fn parse_at(
        input: &Bytes,
        offset: usize,
        max_lines: usize,
    ) -> Result<Option<(Self, usize)>, ReplyError> {
        let mut code = 0;
        let mut pos = offset;
        let mut n = 0;
        loop {
            let Some(lf) = crate::types::find_lf(input, pos) else { return Ok(None) };
            let end = if lf > pos && input.get(lf - 1) == Some(&b'\r') { lf - 1 } else { lf };
            let (c, last, _) = parse_line_at(input, pos, end)?;
            if n == 0 {
                code = c;
            } else if c != code {
                return Err(ReplyError::CodeMismatch { first: code, line: c });
            }
            if n >= max_lines {
                return Err(ReplyError::TooManyLines { limit: max_lines });
            }
            n += 1;
            pos = lf + 1;
            if last {
                let reply = Self { code: ReplyCode(code), raw: input.slice(offset..pos) };
                return Ok(Some((reply, pos)));
            }
        }
    }
}

fn encode_lines<'a>(
    code: ReplyCode,
    lines: impl Iterator<Item = &'a [u8]>,
    n: usize,
    out: &mut BytesMut,
) {
    let digits = code.digits();
    for (i, line) in lines.enumerate() {
        out.put_slice(&digits);
        if i + 1 < n {
            out.put_u8(b'-');
            out.put_slice(line);
        } else if !line.is_empty() || code == ReplyCode::AUTH_CONTINUE {
            // RFC 4954 4: a challenge is "334" SP [base64], the space even when empty
            out.put_u8(b' ');
            out.put_slice(line);
        }
        out.put_slice(b"\r\n");
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message())
    }
}

/// Parses the reply line `buf[start..end]` (without CRLF): its code, whether it is the last
/// line, and where its text starts.
pub(crate) fn parse_line_at(
    buf: &[u8],
    start: usize,
    end: usize,
) -> Result<(u16, bool, usize), ReplyError> {
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
    // no early exit, so that the compiler can vectorise the scan of these short lines
    let bad = text
        .iter()
        .fold(0u8, |acc, &c| acc | u8::from(c == b'\r') | u8::from(c == b'\n') | u8::from(c == 0));
    if bad != 0 {
        return Err(ReplyError::Malformed);
    }
    Ok((code, last, (start + 4).min(end)))
}

/// Assembles replies from lines (as a [`LineFramer`](mailwire_core::LineFramer) returns them).
#[derive(Debug, Clone)]
pub struct ReplyParser {
    code: u16,
    buf: BytesMut,
    lines: usize,
    max_lines: usize,
}

impl ReplyParser {
    /// A parser that accepts replies of at most `max_lines` lines.
    pub fn new(max_lines: usize) -> Self {
        Self { code: 0, buf: BytesMut::new(), lines: 0, max_lines }
    }

    /// Whether a multi-line reply is under way.
    pub const fn is_partial(&self) -> bool {
        self.lines > 0
    }

    /// Drops a partial reply.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.lines = 0;
    }

    /// Feeds one line without its ending; returns the reply once its last line is seen.
    /// After an error the partial reply is dropped.
    pub fn push(&mut self, line: &Bytes) -> Result<Option<Reply>, ReplyError> {
        let (code, last, _) = match parse_line_at(line, 0, line.len()) {
            Ok(x) => x,
            Err(e) => {
                self.reset();
                return Err(e);
            }
        };
        if self.lines == 0 {
            self.code = code;
            if last {
                // the common single-line reply: the line itself, no copy
                return Ok(Some(Reply { code: ReplyCode(code), raw: line.clone() }));
            }
        } else if code != self.code {
            let first = self.code;
            self.reset();
            return Err(ReplyError::CodeMismatch { first, line: code });
        }
        if self.lines >= self.max_lines {
            self.reset();
            return Err(ReplyError::TooManyLines { limit: self.max_lines });
        }
        self.lines += 1;
        self.buf.put_slice(line);
        self.buf.put_slice(b"\r\n");
        if last {
            self.lines = 0;
            let raw = self.buf.split().freeze();
            return Ok(Some(Reply { code: ReplyCode(self.code), raw }));
        }
        Ok(None)
    }
}
