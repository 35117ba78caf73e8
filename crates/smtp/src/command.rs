//! SMTP commands: the typed [`Command`], its parser and its encoder.

use bytes::{BufMut, Bytes, BytesMut};
use mailwire_core::Secret;

use crate::params::{MailParams, RcptParams, put_u64};
use crate::types::{
    Domain, ForwardPath, Keyword, Mailbox, ReversePath, Text, is_domain, is_keyword, parse_mailbox,
};

/// The verb of a command, without its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verb {
    /// `HELO`.
    Helo,
    /// `EHLO`.
    Ehlo,
    /// `LHLO` (LMTP).
    Lhlo,
    /// `MAIL`.
    Mail,
    /// `RCPT`.
    Rcpt,
    /// `DATA`.
    Data,
    /// `BDAT`.
    Bdat,
    /// `RSET`.
    Rset,
    /// `VRFY`.
    Vrfy,
    /// `EXPN`.
    Expn,
    /// `HELP`.
    Help,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS`.
    StartTls,
    /// `AUTH`.
    Auth,
    /// Anything else.
    Unknown,
}

impl Verb {
    /// The verb as it is written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Helo => "HELO",
            Self::Ehlo => "EHLO",
            Self::Lhlo => "LHLO",
            Self::Mail => "MAIL",
            Self::Rcpt => "RCPT",
            Self::Data => "DATA",
            Self::Bdat => "BDAT",
            Self::Rset => "RSET",
            Self::Vrfy => "VRFY",
            Self::Expn => "EXPN",
            Self::Help => "HELP",
            Self::Noop => "NOOP",
            Self::Quit => "QUIT",
            Self::StartTls => "STARTTLS",
            Self::Auth => "AUTH",
            Self::Unknown => "?",
        }
    }

    fn from_bytes(v: &[u8]) -> Self {
        let Some(&[a, b, c, d]) = v.get(..4) else { return Self::Unknown };
        if v.len() == 8 {
            return if v.eq_ignore_ascii_case(b"STARTTLS") {
                Self::StartTls
            } else {
                Self::Unknown
            };
        }
        if v.len() != 4 {
            return Self::Unknown;
        }
        // ASCII letters only; `| 0x20` lowercases them.
        if !(a.is_ascii_alphabetic()
            && b.is_ascii_alphabetic()
            && c.is_ascii_alphabetic()
            && d.is_ascii_alphabetic())
        {
            return Self::Unknown;
        }
        match [a | 0x20, b | 0x20, c | 0x20, d | 0x20] {
            [b'm', b'a', b'i', b'l'] => Self::Mail,
            [b'r', b'c', b'p', b't'] => Self::Rcpt,
            [b'e', b'h', b'l', b'o'] => Self::Ehlo,
            [b'd', b'a', b't', b'a'] => Self::Data,
            [b'r', b's', b'e', b't'] => Self::Rset,
            [b'b', b'd', b'a', b't'] => Self::Bdat,
            [b'q', b'u', b'i', b't'] => Self::Quit,
            [b'n', b'o', b'o', b'p'] => Self::Noop,
            [b'h', b'e', b'l', b'o'] => Self::Helo,
            [b'l', b'h', b'l', b'o'] => Self::Lhlo,
            [b'v', b'r', b'f', b'y'] => Self::Vrfy,
            [b'e', b'x', b'p', b'n'] => Self::Expn,
            [b'h', b'e', b'l', b'p'] => Self::Help,
            [b'a', b'u', b't', b'h'] => Self::Auth,
            _ => Self::Unknown,
        }
    }
}

/// One SMTP, ESMTP or LMTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `HELO domain`.
    Helo(Domain),
    /// `EHLO domain` (or address literal).
    Ehlo(Domain),
    /// `LHLO domain` (LMTP, RFC 2033).
    Lhlo(Domain),
    /// `MAIL FROM:<path> params`.
    Mail {
        /// The reverse path.
        from: ReversePath,
        /// The parameters.
        params: MailParams,
    },
    /// `RCPT TO:<path> params`.
    Rcpt {
        /// The forward path.
        to: ForwardPath,
        /// The parameters.
        params: RcptParams,
    },
    /// `DATA`.
    Data,
    /// `BDAT size [LAST]` (RFC 3030); `size` octets of message follow the line.
    Bdat {
        /// Octets in the chunk.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`.
    Rset,
    /// `VRFY string`.
    Vrfy(Text),
    /// `EXPN string`.
    Expn(Text),
    /// `HELP [string]`.
    Help(Option<Text>),
    /// `NOOP [string]`.
    Noop(Option<Text>),
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954).
    Auth {
        /// The SASL mechanism name.
        mechanism: Keyword,
        /// The base64 initial response, or `=` for an empty one.
        initial: Option<Secret<Text>>,
    },
    /// A command this crate does not know, kept whole for the server to answer.
    Unknown(Text),
}

/// A command line that could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The arguments of a known verb are wrong (a server answers 501).
    #[error("syntax error in {verb:?} arguments: {reason}")]
    Syntax {
        /// The command's verb.
        verb: Verb,
        /// What is wrong.
        reason: &'static str,
    },
    /// The line holds NUL or a bare CR/LF (a server answers 500).
    #[error("command line contains CR, LF or NUL")]
    ForbiddenOctet,
}

fn syntax(verb: Verb, reason: &'static str) -> CommandError {
    CommandError::Syntax { verb, reason }
}

fn trim_end(b: &[u8]) -> usize {
    // tolerated: trailing spaces and tabs after the arguments
    let mut n = b.len();
    while n > 0 && matches!(b.get(n - 1), Some(b' ' | b'\t')) {
        n -= 1;
    }
    n
}

/// Skips spaces and tabs from `pos`.
fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while matches!(b.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    pos
}

impl Command {
    /// The command's verb.
    pub const fn verb(&self) -> Verb {
        match self {
            Self::Helo(_) => Verb::Helo,
            Self::Ehlo(_) => Verb::Ehlo,
            Self::Lhlo(_) => Verb::Lhlo,
            Self::Mail { .. } => Verb::Mail,
            Self::Rcpt { .. } => Verb::Rcpt,
            Self::Data => Verb::Data,
            Self::Bdat { .. } => Verb::Bdat,
            Self::Rset => Verb::Rset,
            Self::Vrfy(_) => Verb::Vrfy,
            Self::Expn(_) => Verb::Expn,
            Self::Help(_) => Verb::Help,
            Self::Noop(_) => Verb::Noop,
            Self::Quit => Verb::Quit,
            Self::StartTls => Verb::StartTls,
            Self::Auth { .. } => Verb::Auth,
            Self::Unknown(_) => Verb::Unknown,
        }
    }

    /// `MAIL FROM:<from>` without parameters.
    pub fn mail(from: ReversePath) -> Self {
        Self::Mail { from, params: MailParams::default() }
    }

    /// `RCPT TO:<to>` without parameters.
    pub fn rcpt(to: Mailbox) -> Self {
        Self::Rcpt { to: ForwardPath::Mailbox(to), params: RcptParams::default() }
    }

    /// Parses one command line, given without its CRLF, as a slice of a received frame.
    /// The parsed values are zero-copy slices of `line`, except domains and mailboxes of up
    /// to 23 octets, which are copied inline (cheaper than sharing: no reference count to
    /// update); parsing never allocates.
    ///
    /// ```
    /// use mailwire_smtp::{Bytes, Command};
    ///
    /// let cmd = Command::parse(&Bytes::from_static(b"MAIL FROM:<a@example.org> SIZE=100")).unwrap();
    /// let Command::Mail { params, .. } = cmd else { panic!() };
    /// assert_eq!(params.size, Some(100));
    /// ```
    pub fn parse(line: &Bytes) -> Result<Self, CommandError> {
        Self::parse_in(line, 0, line.len())
    }

    /// Parses the command line `frame[start..end]` (without CRLF); the parsed values are
    /// zero-copy slices of `frame` (short domains and mailboxes copied inline, as in
    /// [`parse`](Self::parse)).
    #[inline]
    pub fn parse_in(frame: &Bytes, start: usize, end: usize) -> Result<Self, CommandError> {
        let Some(line) = frame.get(start..end) else { return Err(CommandError::ForbiddenOctet) };
        fast_parse(frame, start, line)
    }

    /// The general parser alone (the fuzz bodies compare it with [`Command::parse`]).
    pub(crate) fn parse_general_only(line: &Bytes) -> Result<Self, CommandError> {
        Self::parse_general(line, 0, line)
    }

    /// Every command shape, every tolerated quirk, every error.
    #[inline(never)]
    fn parse_general(frame: &Bytes, start: usize, line: &[u8]) -> Result<Self, CommandError> {
        // CR, LF and NUL are rejected by each argument's validation (paths, parameters,
        // domains) or by `text_args` for free-text arguments; no separate pass over the line.
        let w = Window { buf: frame, base: start, line };
        let end = trim_end(line);
        let verb_end = crate::types::find(b' ', line.get(..end).unwrap_or_default()).unwrap_or(end);
        let verb = Verb::from_bytes(line.get(..verb_end).unwrap_or_default());
        let arg_start = skip_ws(line, verb_end).min(end);
        let args = line.get(arg_start..end).unwrap_or_default();
        let text_args = || {
            if line.iter().any(|&c| c == b'\r' || c == b'\n' || c == 0) {
                Err(CommandError::ForbiddenOctet)
            } else {
                Ok(())
            }
        };
        let no_args = |cmd: Self| {
            if arg_start < end { Err(syntax(verb, "unexpected argument")) } else { Ok(cmd) }
        };
        match verb {
            Verb::Mail => parse_mail(&w, verb_end, end),
            Verb::Rcpt => parse_rcpt(&w, verb_end, end),
            Verb::Data | Verb::Rset | Verb::Quit | Verb::StartTls if arg_start < end => {
                text_args()?;
                Err(syntax(verb, "unexpected argument"))
            }
            Verb::Data => no_args(Self::Data),
            Verb::Rset => no_args(Self::Rset),
            Verb::Quit => no_args(Self::Quit),
            Verb::StartTls => no_args(Self::StartTls),
            Verb::Ehlo | Verb::Helo | Verb::Lhlo => {
                if !is_domain(args) {
                    return Err(syntax(verb, "invalid domain"));
                }
                let d = Domain::from_frame(w.buf, w.base + arg_start, w.base + end);
                Ok(match verb {
                    Verb::Ehlo => Self::Ehlo(d),
                    Verb::Helo => Self::Helo(d),
                    _ => Self::Lhlo(d),
                })
            }
            Verb::Bdat => {
                let mut words = args.split(|&c| c == b' ').filter(|w| !w.is_empty());
                let size = words
                    .next()
                    .and_then(crate::params::parse_size)
                    .ok_or(syntax(verb, "invalid chunk size"))?;
                let last = match words.next() {
                    None => false,
                    Some(w) if w.eq_ignore_ascii_case(b"LAST") => true,
                    Some(_) => return Err(syntax(verb, "expected LAST")),
                };
                if words.next().is_some() {
                    return Err(syntax(verb, "unexpected argument"));
                }
                Ok(Self::Bdat { size, last })
            }
            Verb::Vrfy | Verb::Expn => {
                text_args()?;
                if args.is_empty() {
                    return Err(syntax(verb, "argument required"));
                }
                let t = Text::new_unchecked(w.bytes(arg_start, end));
                Ok(if verb == Verb::Vrfy { Self::Vrfy(t) } else { Self::Expn(t) })
            }
            Verb::Help | Verb::Noop => {
                text_args()?;
                let t = (!args.is_empty()).then(|| Text::new_unchecked(w.bytes(arg_start, end)));
                Ok(if verb == Verb::Help { Self::Help(t) } else { Self::Noop(t) })
            }
            Verb::Auth => {
                text_args()?;
                let (mech_end, init_start) = match crate::types::find(b' ', args) {
                    Some(sp) => (arg_start + sp, Some(skip_ws(line, arg_start + sp))),
                    None => (end, None),
                };
                if !is_keyword(line.get(arg_start..mech_end).unwrap_or_default()) {
                    return Err(syntax(verb, "invalid mechanism"));
                }
                let initial = match init_start {
                    Some(i) => {
                        let init = line.get(i..end).unwrap_or_default();
                        if init != b"=" && !is_base64(init) {
                            return Err(syntax(verb, "invalid initial response"));
                        }
                        Some(Secret::new(Text::new_unchecked(w.bytes(i, end))))
                    }
                    None => None,
                };
                Ok(Self::Auth {
                    mechanism: Keyword::from_frame(w.buf, w.base + arg_start, w.base + mech_end)
                        .map_err(|_| syntax(verb, "invalid mechanism"))?,
                    initial,
                })
            }
            Verb::Unknown => {
                text_args()?;
                Ok(Self::Unknown(Text::new_unchecked(w.bytes(0, end))))
            }
        }
    }

    /// Decodes the first command line of `input` (CRLF-terminated): `None` while the line is
    /// incomplete, otherwise the parse result and the octets the line used (CRLF included);
    /// the rest of `input` is left alone.
    pub fn decode(input: &Bytes) -> Option<(Result<Self, CommandError>, usize)> {
        Self::decode_at(input, 0)
    }

    /// Finds the CRLF-terminated line starting at `offset`: returns where its content ends
    /// (before the CRLF) and where the next line starts, or `None` while it is incomplete.
    /// Parse it with [`parse_in`](Self::parse_in); walking a buffer this way copies nothing.
    ///
    /// ```
    /// use mailwire_smtp::{Bytes, Command};
    ///
    /// let buf = Bytes::from_static(b"NOOP\r\nDATA\r\nQU");
    /// let mut pos = 0;
    /// let mut verbs = Vec::new();
    /// while let Some((end, next)) = Command::line_at(&buf, pos) {
    ///     verbs.push(Command::parse_in(&buf, pos, end).unwrap().verb());
    ///     pos = next;
    /// }
    /// assert_eq!(verbs.len(), 2);
    /// assert_eq!(pos, 12);
    /// ```
    #[inline]
    pub fn line_at(input: &[u8], offset: usize) -> Option<(usize, usize)> {
        let mut from = offset;
        loop {
            let lf = crate::types::find_lf(input, from)?;
            if lf > offset && input.get(lf - 1) == Some(&b'\r') {
                return Some((lf - 1, lf + 1));
            }
            from = lf + 1;
        }
    }

    /// Like [`decode`](Self::decode) for the line starting at `offset`; returns the offset
    /// after the line. Walking a buffer this way makes no new `Bytes` per line.
    pub fn decode_at(input: &Bytes, offset: usize) -> Option<(Result<Self, CommandError>, usize)> {
        let mut from = offset;
        loop {
            let lf = crate::types::find_lf(input, from)?;
            if lf > offset && input.get(lf - 1) == Some(&b'\r') {
                return Some((Self::parse_in(input, offset, lf - 1), lf + 1));
            }
            from = lf + 1;
        }
    }

    /// Appends the command line, CRLF included, to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Self::Helo(d) => verb_arg(out, b"HELO", d.as_bytes()),
            Self::Ehlo(d) => verb_arg(out, b"EHLO", d.as_bytes()),
            Self::Lhlo(d) => verb_arg(out, b"LHLO", d.as_bytes()),
            Self::Mail { from, params } => {
                out.put_slice(b"MAIL FROM:<");
                if let ReversePath::Mailbox(m) = from {
                    put_mailbox(out, m);
                }
                out.put_u8(b'>');
                params.encode(out);
                out.put_slice(b"\r\n");
            }
            Self::Rcpt { to, params } => {
                out.put_slice(b"RCPT TO:<");
                match to {
                    ForwardPath::Postmaster => out.put_slice(b"Postmaster"),
                    ForwardPath::Mailbox(m) => put_mailbox(out, m),
                }
                out.put_u8(b'>');
                params.encode(out);
                out.put_slice(b"\r\n");
            }
            Self::Data => out.put_slice(b"DATA\r\n"),
            Self::Bdat { size, last } => {
                out.put_slice(b"BDAT ");
                put_u64(out, *size);
                if *last {
                    out.put_slice(b" LAST");
                }
                out.put_slice(b"\r\n");
            }
            Self::Rset => out.put_slice(b"RSET\r\n"),
            Self::Vrfy(t) => verb_arg(out, b"VRFY", t.as_bytes()),
            Self::Expn(t) => verb_arg(out, b"EXPN", t.as_bytes()),
            Self::Help(t) => verb_opt(out, b"HELP", t.as_ref()),
            Self::Noop(t) => verb_opt(out, b"NOOP", t.as_ref()),
            Self::Quit => out.put_slice(b"QUIT\r\n"),
            Self::StartTls => out.put_slice(b"STARTTLS\r\n"),
            Self::Auth { mechanism, initial } => {
                out.put_slice(b"AUTH ");
                out.put_slice(mechanism.as_bytes());
                if let Some(i) = initial {
                    out.put_u8(b' ');
                    out.put_slice(i.expose().as_bytes());
                }
                out.put_slice(b"\r\n");
            }
            Self::Unknown(t) => {
                out.put_slice(t.as_bytes());
                out.put_slice(b"\r\n");
            }
        }
    }

    /// The encoded command line, CRLF included.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.freeze()
    }
}

pub(crate) fn is_base64(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
}

fn put_mailbox(out: &mut BytesMut, m: &Mailbox) {
    out.put_slice(m.as_bytes());
}

fn verb_arg(out: &mut BytesMut, verb: &[u8], arg: &[u8]) {
    out.put_slice(verb);
    out.put_u8(b' ');
    out.put_slice(arg);
    out.put_slice(b"\r\n");
}

fn verb_opt(out: &mut BytesMut, verb: &[u8], arg: Option<&Text>) {
    out.put_slice(verb);
    if let Some(t) = arg {
        out.put_u8(b' ');
        out.put_slice(t.as_bytes());
    }
    out.put_slice(b"\r\n");
}

/// After the verb: `<ws> keyword ':' [ws]`, case-insensitive. Returns the position after it.
fn expect_keyword(line: &[u8], from: usize, kw: &[u8]) -> Option<usize> {
    let p = skip_ws(line, from);
    let got = line.get(p..p + kw.len())?;
    if !got.eq_ignore_ascii_case(kw) {
        return None;
    }
    // tolerated: a space after the colon (`MAIL FROM: <a@b>`), sent by many clients
    Some(skip_ws(line, p + kw.len()))
}

/// A line inside a frame: parsed values are slices of `buf`.
struct Window<'a> {
    buf: &'a Bytes,
    base: usize,
    line: &'a [u8],
}

impl Window<'_> {
    fn bytes(&self, a: usize, b: usize) -> Bytes {
        self.buf.slice(self.base + a..self.base + b)
    }
}

/// Parses `<path>` (or a bare path, tolerated) starting at `p`; returns the path content
/// range (source route dropped) and the position after it.
fn parse_path(
    b: &[u8],
    p: usize,
    end: usize,
    verb: Verb,
) -> Result<(usize, usize, usize), CommandError> {
    let b = b.get(..end).unwrap_or_default();
    let (content_start, content_end, after) = if b.get(p) == Some(&b'<') {
        let start = p + 1;
        // a quoted local part may hold '>': skip over it first
        let mut i = start;
        if let Some(route_end) = route_end(b, start) {
            i = route_end;
        }
        if b.get(i) == Some(&b'"') {
            i += 1;
            let mut esc = false;
            loop {
                let Some(&c) = b.get(i) else {
                    return Err(syntax(verb, "unterminated quoted string"));
                };
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    break;
                }
                i += 1;
            }
        }
        // an address literal (`@[...]`) may hold '>' too: skip over it
        let close = loop {
            let r = crate::types::find2(b'>', b'[', b.get(i..).unwrap_or_default())
                .map(|r| i + r)
                .ok_or(syntax(verb, "missing '>'"))?;
            if b.get(r) == Some(&b'>') {
                break r;
            }
            i = crate::types::find(b']', b.get(r..).unwrap_or_default())
                .map(|e| r + e + 1)
                .ok_or(syntax(verb, "unterminated address literal"))?;
        };
        (start, close, close + 1)
    } else {
        // tolerated: a path without angle brackets (`MAIL FROM:user@example.org`)
        let e = crate::types::find(b' ', b.get(p..).unwrap_or_default()).map_or(end, |r| p + r);
        (p, e, e)
    };
    let start = route_end(b, content_start).filter(|&r| r <= content_end).unwrap_or(content_start);
    Ok((start, content_end.max(start), after))
}

/// If a source route (`@a,@b:`) starts at `p`, the position after its colon.
fn route_end(b: &[u8], p: usize) -> Option<usize> {
    if b.get(p) != Some(&b'@') {
        return None;
    }
    let colon = crate::types::find(b':', b.get(p..)?)? + p;
    Some(colon + 1)
}

/// The parameter range after the path.
fn params_after(
    line: &[u8],
    after: usize,
    end: usize,
    verb: Verb,
) -> Result<(usize, usize), CommandError> {
    match line.get(after) {
        Some(b' ' | b'\t') if after < end => Ok((after, end)),
        Some(_) if after < end => Err(syntax(verb, "expected a space after the path")),
        _ => Ok((end, end)),
    }
}

#[inline]
fn parse_mail(w: &Window<'_>, verb_end: usize, end: usize) -> Result<Command, CommandError> {
    let v = Verb::Mail;
    let p = expect_keyword(w.line, verb_end, b"FROM:").ok_or(syntax(v, "expected FROM:"))?;
    let (ps, pe, after) = parse_path(w.line, p, end, v)?;
    let from = if ps == pe {
        ReversePath::Null
    } else {
        ReversePath::Mailbox(
            parse_mailbox(w.buf, w.base + ps, w.base + pe).ok_or(syntax(v, "invalid mailbox"))?,
        )
    };
    let (a, b) = params_after(w.line, after, end, v)?;
    let params = if a == b {
        MailParams::default()
    } else {
        MailParams::parse(w.buf, w.base + a, w.base + b).map_err(|r| syntax(v, r))?
    };
    Ok(Command::Mail { from, params })
}

#[inline]
fn parse_rcpt(w: &Window<'_>, verb_end: usize, end: usize) -> Result<Command, CommandError> {
    let v = Verb::Rcpt;
    let p = expect_keyword(w.line, verb_end, b"TO:").ok_or(syntax(v, "expected TO:"))?;
    let (ps, pe, after) = parse_path(w.line, p, end, v)?;
    let path = w.line.get(ps..pe).unwrap_or_default();
    let to = if path.eq_ignore_ascii_case(b"postmaster") {
        ForwardPath::Postmaster
    } else {
        ForwardPath::Mailbox(
            parse_mailbox(w.buf, w.base + ps, w.base + pe).ok_or(syntax(v, "invalid mailbox"))?,
        )
    };
    let (a, b) = params_after(w.line, after, end, v)?;
    let params = if a == b {
        RcptParams::default()
    } else {
        RcptParams::parse(w.buf, w.base + a, w.base + b).map_err(|r| syntax(v, r))?
    };
    Ok(Command::Rcpt { to, params })
}

/// A four-letter verb read as one little-endian word with its letters lowercased.
const fn verb_word(v: [u8; 4]) -> u32 {
    u32::from_le_bytes([v[0] | 0x20, v[1] | 0x20, v[2] | 0x20, v[3] | 0x20])
}

const W_MAIL: u32 = verb_word(*b"MAIL");
const W_RCPT: u32 = verb_word(*b"RCPT");
const W_EHLO: u32 = verb_word(*b"EHLO");
const W_HELO: u32 = verb_word(*b"HELO");
const W_LHLO: u32 = verb_word(*b"LHLO");
const W_DATA: u32 = verb_word(*b"DATA");
const W_RSET: u32 = verb_word(*b"RSET");
const W_QUIT: u32 = verb_word(*b"QUIT");
const W_NOOP: u32 = verb_word(*b"NOOP");

/// The common shapes of the common commands, parsed in one pass; every other line goes to
/// [`Command::parse_general`], which decides everything else (other verbs, tolerated spacing,
/// source routes, quoted local parts, address literals, UTF-8, and every error). Where the
/// one-pass parse returns a value, it is the value `parse_general` would return. Each command
/// is built where it is returned (no large moves).
#[inline]
fn fast_parse(frame: &Bytes, base: usize, line: &[u8]) -> Result<Command, CommandError> {
    let general = || Command::parse_general(frame, base, line);
    let Some(&[a, b, c, d]) = line.get(..4) else { return general() };
    // Each verb letter has exactly two octets that `| 0x20` maps to it: its two cases.
    let word = u32::from_le_bytes([a, b, c, d]) | 0x2020_2020;
    let sep = line.get(4).copied();
    match word {
        W_DATA if sep.is_none() => Ok(Command::Data),
        W_RSET if sep.is_none() => Ok(Command::Rset),
        W_QUIT if sep.is_none() => Ok(Command::Quit),
        W_NOOP if sep.is_none() => Ok(Command::Noop(None)),
        W_MAIL | W_RCPT if sep == Some(b' ') => {
            let is_mail = word == W_MAIL;
            // ` FROM:<` or ` TO:<`: one space, no space after the colon
            let p = if is_mail {
                if !line.get(5..10).is_some_and(|kw| crate::types::eq_ci(kw, b"FROM:")) {
                    return general();
                }
                10
            } else {
                if !line.get(5..8).is_some_and(|kw| crate::types::eq_ci(kw, b"TO:")) {
                    return general();
                }
                8
            };
            if line.get(p) != Some(&b'<') {
                return general();
            }
            let ps = p + 1;
            // the frame from the line's start: the scan may read past the line, not use it
            let from_line = frame.get(base..).unwrap_or_default();
            let Some((at, pe)) = fast_mailbox(from_line, ps, line.len()) else { return general() };
            let after = pe + 1;
            let end = trim_end(line);
            if after < end && line.get(after) != Some(&b' ') {
                return general();
            }
            let mailbox = || Mailbox::from_frame(frame, base + ps, base + pe, at - ps);
            if is_mail {
                let from =
                    if ps == pe { ReversePath::Null } else { ReversePath::Mailbox(mailbox()) };
                let mut cmd = Command::Mail { from, params: MailParams::default() };
                if after < end
                    && let Command::Mail { params, .. } = &mut cmd
                    && params.parse_into(frame, base + after, base + end).is_err()
                {
                    return general();
                }
                Ok(cmd)
            } else {
                if ps == pe {
                    return general();
                }
                let to = ForwardPath::Mailbox(mailbox());
                let mut cmd = Command::Rcpt { to, params: RcptParams::default() };
                if after < end
                    && let Command::Rcpt { params, .. } = &mut cmd
                    && params.parse_into(frame, base + after, base + end).is_err()
                {
                    return general();
                }
                Ok(cmd)
            }
        }
        W_EHLO | W_HELO | W_LHLO if sep == Some(b' ') => {
            if !line.get(5..).is_some_and(is_domain) {
                return general();
            }
            let d = Domain::from_frame(frame, base + 5, base + line.len());
            Ok(match word {
                W_EHLO => Command::Ehlo(d),
                W_HELO => Command::Helo(d),
                _ => Command::Lhlo(d),
            })
        }
        _ => general(),
    }
}

/// The common path content `<local@domain>` from `start` (just after `<`): an ASCII
/// dot-string, `@`, an ASCII domain name, then `>`; or nothing then `>` (the null path).
/// `line` may run past the line's end `n`. Returns the positions of the `@` and of the `>`,
/// or `None` for any other shape.
#[inline]
fn fast_mailbox(line: &[u8], start: usize, n: usize) -> Option<(usize, usize)> {
    use crate::types::{ATEXT_ASCII, DOMAIN_ASCII, all_in, find_any};
    let at = find_any(line, start, n, b"@>");
    if at >= n {
        return None;
    }
    match line.get(at) {
        Some(b'>') if at == start => return Some((at, at)),
        Some(b'@') if at > start && all_in(line.get(start..at)?, ATEXT_ASCII) => {}
        _ => return None,
    }
    let close = find_any(line, at + 1, n, b">");
    (close > at + 1
        && close < n
        && line.get(close) == Some(&b'>')
        && all_in(line.get(at + 1..close)?, DOMAIN_ASCII))
    .then_some((at, close))
}
