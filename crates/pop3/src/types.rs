//! Validated POP3 values: commands, status lines, response codes, capabilities and listings,
//! each with its parser and its encoder.
//!
//! Every value is checked when it is built, so encoding is infallible and cannot inject a
//! line: a [`Word`] holds no space, CR, LF or NUL, a [`Text`] no CR, LF or NUL.

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;
use core::num::NonZeroU32;
use mailwire_core::Secret;

use crate::error::{ParseError, ValueError};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn check_text(bytes: &[u8]) -> Result<(), ValueError> {
    match bytes.iter().find(|&&b| matches!(b, b'\r' | b'\n' | 0)) {
        Some(&b) => Err(ValueError::ForbiddenByte(b)),
        None => Ok(()),
    }
}

/// One argument on a command or capability line: non-empty, without space, CR, LF or NUL.
///
/// POP3 arguments (user names, mechanism names, language tags, unique-ids) are words; 8-bit
/// bytes are kept as they are (RFC 6856 allows UTF-8 user names).
///
/// ```
/// use mailwire_pop3::Word;
/// assert!(Word::new("mrose").is_ok());
/// assert!(Word::new("two words").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Word(Bytes);

impl Word {
    /// Validates a word.
    pub fn new(value: impl Into<Bytes>) -> Result<Self, ValueError> {
        let bytes = value.into();
        if bytes.is_empty() {
            return Err(ValueError::Empty);
        }
        if bytes.contains(&b' ') {
            return Err(ValueError::ForbiddenByte(b' '));
        }
        check_text(&bytes)?;
        Ok(Self(bytes))
    }

    /// A word from a literal known to be valid (crate-internal).
    pub(crate) const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// The bytes of the word.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The word as shared bytes.
    pub fn to_bytes(&self) -> Bytes {
        self.0.clone()
    }

    /// Whether the word equals `other` ignoring ASCII case.
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.as_bytes())
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Word({:?})", String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// Free text on a line (a status line's text, an unknown command's arguments): any bytes but
/// CR, LF and NUL, possibly empty.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(Bytes);

impl Text {
    /// Validates a text.
    pub fn new(value: impl Into<Bytes>) -> Result<Self, ValueError> {
        let bytes = value.into();
        check_text(&bytes)?;
        Ok(Self(bytes))
    }

    /// The empty text.
    pub const fn empty() -> Self {
        Self(Bytes::new())
    }

    /// The bytes of the text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text as shared bytes.
    pub fn to_bytes(&self) -> Bytes {
        self.0.clone()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({:?})", String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// A message number: 1-based, as RFC 1939 numbers the messages of a maildrop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgNum(NonZeroU32);

impl MsgNum {
    /// A message number; `None` for 0.
    pub const fn new(n: u32) -> Option<Self> {
        match NonZeroU32::new(n) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for MsgNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The 16-octet MD5 digest an APOP command carries (RFC 1939 7).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApopDigest([u8; 16]);

impl ApopDigest {
    /// Wraps a digest.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Computes `MD5(timestamp || secret)`, the digest for a greeting's timestamp
    /// (angle brackets included) and the shared secret.
    ///
    /// ```
    /// use mailwire_pop3::ApopDigest;
    /// // RFC 1939 section 7
    /// let d = ApopDigest::compute(b"<1896.697170952@dbc.mtview.ca.us>", b"tanstaaf");
    /// assert_eq!(d.to_hex(), "c4c9334bac560ecc979e58001b3e22fb");
    /// ```
    pub fn compute(timestamp: &[u8], secret: &[u8]) -> Self {
        use md5::Digest as _;
        let mut h = md5::Md5::new();
        h.update(timestamp);
        h.update(secret);
        let out = h.finalize();
        let mut bytes = [0u8; 16];
        for (dst, src) in bytes.iter_mut().zip(out.iter()) {
            *dst = *src;
        }
        Self(bytes)
    }

    /// The digest's octets.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Lower-case hexadecimal, as sent on the wire.
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        let mut s = String::with_capacity(32);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }

    fn parse_hex(hex: &[u8]) -> Option<Self> {
        if hex.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (dst, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            let hi = hex_val(*pair.first()?)?;
            let lo = hex_val(*pair.get(1)?)?;
            *dst = (hi << 4) | lo;
        }
        Some(Self(out))
    }

    /// Compares against another digest in time independent of where they differ.
    pub fn matches(&self, other: &Self) -> bool {
        self.0.iter().zip(other.0.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

impl fmt::Debug for ApopDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApopDigest({})", self.to_hex())
    }
}

pub(crate) fn parse_digest(hex: &[u8]) -> Option<ApopDigest> {
    ApopDigest::parse_hex(hex)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The command verbs, without arguments: what a response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandKind {
    /// `USER`
    User,
    /// `PASS`
    Pass,
    /// `APOP`
    Apop,
    /// `AUTH`
    Auth,
    /// `STAT`
    Stat,
    /// `LIST`
    List,
    /// `RETR`
    Retr,
    /// `DELE`
    Dele,
    /// `NOOP`
    Noop,
    /// `RSET`
    Rset,
    /// `QUIT`
    Quit,
    /// `TOP`
    Top,
    /// `UIDL`
    Uidl,
    /// `CAPA`
    Capa,
    /// `STLS`
    Stls,
    /// `UTF8`
    Utf8,
    /// `LANG`
    Lang,
    /// Any other keyword.
    Unknown,
}

impl CommandKind {
    /// The keyword as sent (upper case); `"?"` for [`CommandKind::Unknown`].
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Pass => "PASS",
            Self::Apop => "APOP",
            Self::Auth => "AUTH",
            Self::Stat => "STAT",
            Self::List => "LIST",
            Self::Retr => "RETR",
            Self::Dele => "DELE",
            Self::Noop => "NOOP",
            Self::Rset => "RSET",
            Self::Quit => "QUIT",
            Self::Top => "TOP",
            Self::Uidl => "UIDL",
            Self::Capa => "CAPA",
            Self::Stls => "STLS",
            Self::Utf8 => "UTF8",
            Self::Lang => "LANG",
            Self::Unknown => "?",
        }
    }
}

/// A POP3 command (RFC 1939, 2449, 2595, 5034, 6856).
///
/// ```
/// use mailwire_pop3::{Command, MsgNum};
/// let cmd = Command::parse(b"TOP 1 10").unwrap();
/// assert_eq!(cmd, Command::Top { msg: MsgNum::new(1).unwrap(), lines: 10 });
/// assert_eq!(&cmd.to_bytes()[..], b"TOP 1 10\r\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `USER name`
    User(Word),
    /// `PASS string`: the rest of the line, spaces included (RFC 1939 7).
    Pass(Secret<Text>),
    /// `APOP name digest`
    Apop {
        /// The mailbox name.
        name: Word,
        /// MD5 of the greeting's timestamp and the shared secret.
        digest: ApopDigest,
    },
    /// `AUTH mechanism [initial-response]` (RFC 5034); `=` stands for an empty initial
    /// response.
    Auth {
        /// The SASL mechanism name.
        mechanism: Word,
        /// The decoded initial response, if one was sent.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// `STAT`
    Stat,
    /// `LIST [msg]`: multi-line without an argument.
    List(Option<MsgNum>),
    /// `RETR msg`
    Retr(MsgNum),
    /// `DELE msg`
    Dele(MsgNum),
    /// `NOOP`
    Noop,
    /// `RSET`
    Rset,
    /// `QUIT`
    Quit,
    /// `TOP msg n`
    Top {
        /// The message.
        msg: MsgNum,
        /// Body lines wanted after the header.
        lines: u32,
    },
    /// `UIDL [msg]`: multi-line without an argument.
    Uidl(Option<MsgNum>),
    /// `CAPA` (RFC 2449)
    Capa,
    /// `STLS` (RFC 2595)
    Stls,
    /// `UTF8` (RFC 6856)
    Utf8,
    /// `LANG [tag]` (RFC 6856): multi-line listing without an argument.
    Lang(Option<Word>),
    /// Any other command, kept for the server's application.
    Unknown {
        /// The keyword, as sent.
        keyword: Word,
        /// Everything after the keyword and one space.
        args: Text,
    },
}

impl Command {
    /// The verb.
    pub const fn kind(&self) -> CommandKind {
        match self {
            Self::User(_) => CommandKind::User,
            Self::Pass(_) => CommandKind::Pass,
            Self::Apop { .. } => CommandKind::Apop,
            Self::Auth { .. } => CommandKind::Auth,
            Self::Stat => CommandKind::Stat,
            Self::List(_) => CommandKind::List,
            Self::Retr(_) => CommandKind::Retr,
            Self::Dele(_) => CommandKind::Dele,
            Self::Noop => CommandKind::Noop,
            Self::Rset => CommandKind::Rset,
            Self::Quit => CommandKind::Quit,
            Self::Top { .. } => CommandKind::Top,
            Self::Uidl(_) => CommandKind::Uidl,
            Self::Capa => CommandKind::Capa,
            Self::Stls => CommandKind::Stls,
            Self::Utf8 => CommandKind::Utf8,
            Self::Lang(_) => CommandKind::Lang,
            Self::Unknown { .. } => CommandKind::Unknown,
        }
    }

    /// What a positive response to this command looks like.
    pub const fn response_shape(&self) -> ResponseShape {
        match self {
            Self::List(None) | Self::Uidl(None) | Self::Capa | Self::Lang(None) => {
                ResponseShape::MultiLine
            }
            Self::Retr(_) | Self::Top { .. } => ResponseShape::Body,
            Self::Auth { .. } => ResponseShape::Auth,
            _ => ResponseShape::Single,
        }
    }

    /// Parses one command line (without its CRLF).
    ///
    /// Keywords are case-insensitive; arguments are separated by one space (runs of spaces
    /// are tolerated).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        crate::parse::command(&Bytes::copy_from_slice(line))
    }

    /// Parses a command line held in shared bytes (fields are slices of it, no copy).
    pub fn parse_bytes(line: &Bytes) -> Result<Self, ParseError> {
        crate::parse::command(line)
    }

    /// Appends the command and its CRLF to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        fn num(out: &mut BytesMut, n: u32) {
            out.put_slice(n.to_string().as_bytes());
        }
        if let Self::Unknown { keyword, .. } = self {
            out.put_slice(keyword.as_bytes());
        } else {
            out.put_slice(self.kind().keyword().as_bytes());
        }
        match self {
            Self::User(w) => {
                out.put_u8(b' ');
                out.put_slice(w.as_bytes());
            }
            Self::Pass(p) => {
                out.put_u8(b' ');
                out.put_slice(p.expose().as_bytes());
            }
            Self::Apop { name, digest } => {
                out.put_u8(b' ');
                out.put_slice(name.as_bytes());
                out.put_u8(b' ');
                out.put_slice(digest.to_hex().as_bytes());
            }
            Self::Auth { mechanism, initial_response } => {
                out.put_u8(b' ');
                out.put_slice(mechanism.as_bytes());
                if let Some(ir) = initial_response {
                    out.put_u8(b' ');
                    if ir.expose().is_empty() {
                        out.put_u8(b'=');
                    } else {
                        out.put_slice(B64.encode(ir.expose()).as_bytes());
                    }
                }
            }
            Self::List(Some(n)) | Self::Uidl(Some(n)) | Self::Retr(n) | Self::Dele(n) => {
                out.put_u8(b' ');
                num(out, n.get());
            }
            Self::Top { msg, lines } => {
                out.put_u8(b' ');
                num(out, msg.get());
                out.put_u8(b' ');
                num(out, *lines);
            }
            Self::Lang(Some(tag)) => {
                out.put_u8(b' ');
                out.put_slice(tag.as_bytes());
            }
            Self::Unknown { args, .. } => {
                if !args.is_empty() {
                    out.put_u8(b' ');
                    out.put_slice(args.as_bytes());
                }
            }
            Self::Stat
            | Self::List(None)
            | Self::Noop
            | Self::Rset
            | Self::Quit
            | Self::Uidl(None)
            | Self::Capa
            | Self::Stls
            | Self::Utf8
            | Self::Lang(None) => {}
        }
        out.put_slice(b"\r\n");
    }

    /// The encoded command, CRLF included.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(32);
        self.encode(&mut out);
        out.freeze()
    }
}

/// The shape of a positive response, known from the command that asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseShape {
    /// One status line.
    Single,
    /// A status line, then (if positive) dot-stuffed lines up to `.`: LIST, UIDL, CAPA, LANG.
    MultiLine,
    /// A status line, then (if positive) a dot-stuffed message streamed in chunks: RETR, TOP.
    Body,
    /// During AUTH: a status line or a `+ ` continuation.
    Auth,
}

/// `+OK` or `-ERR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `+OK`
    Ok,
    /// `-ERR`
    Err,
}

/// An extended response code (RFC 2449 8, RFC 3206, RFC 6856).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// `[IN-USE]`: the maildrop is locked by another session.
    InUse,
    /// `[LOGIN-DELAY]`: logged in too recently.
    LoginDelay,
    /// `[SYS/TEMP]`: a temporary system error.
    SysTemp,
    /// `[SYS/PERM]`: a permanent system error.
    SysPerm,
    /// `[AUTH]`: the credentials were wrong.
    Auth,
    /// `[UTF8]`: UTF-8 is required.
    Utf8,
    /// Any other code, kept as sent (without the brackets).
    Other(Word),
}

impl ResponseCode {
    fn from_word(w: Word) -> Self {
        const KNOWN: [(&str, ResponseCode); 6] = [
            ("IN-USE", ResponseCode::InUse),
            ("LOGIN-DELAY", ResponseCode::LoginDelay),
            ("SYS/TEMP", ResponseCode::SysTemp),
            ("SYS/PERM", ResponseCode::SysPerm),
            ("AUTH", ResponseCode::Auth),
            ("UTF8", ResponseCode::Utf8),
        ];
        for (name, code) in KNOWN {
            if w.as_bytes() == name.as_bytes() {
                return code;
            }
        }
        Self::Other(w)
    }

    /// A code from its text (without brackets); known codes are matched exactly.
    pub fn new(code: impl Into<Bytes>) -> Result<Self, ValueError> {
        let w = Word::new(code)?;
        if w.as_bytes().contains(&b']') {
            return Err(ValueError::ForbiddenByte(b']'));
        }
        Ok(Self::from_word(w))
    }

    /// The code's text, without brackets.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::InUse => b"IN-USE",
            Self::LoginDelay => b"LOGIN-DELAY",
            Self::SysTemp => b"SYS/TEMP",
            Self::SysPerm => b"SYS/PERM",
            Self::Auth => b"AUTH",
            Self::Utf8 => b"UTF8",
            Self::Other(w) => w.as_bytes(),
        }
    }
}

/// A status line: `+OK` or `-ERR`, an optional response code, and text.
///
/// ```
/// use mailwire_pop3::{ResponseCode, Status};
/// let s = Status::parse(b"-ERR [IN-USE] maildrop locked").unwrap();
/// assert!(!s.is_ok());
/// assert_eq!(s.code(), Some(&ResponseCode::InUse));
/// assert_eq!(s.text().as_bytes(), b"maildrop locked");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Status {
    kind: StatusKind,
    code: Option<ResponseCode>,
    text: Text,
}

impl Status {
    /// A status line.
    pub const fn new(kind: StatusKind, code: Option<ResponseCode>, text: Text) -> Self {
        Self { kind, code, text }
    }

    /// `+OK text`; panics never: invalid text is replaced by nothing.
    pub fn ok(text: &str) -> Self {
        Self::new(StatusKind::Ok, None, Text::new(text.to_owned()).unwrap_or_default())
    }

    /// `-ERR text`; invalid text is replaced by nothing.
    pub fn err(text: &str) -> Self {
        Self::new(StatusKind::Err, None, Text::new(text.to_owned()).unwrap_or_default())
    }

    /// `-ERR [code] text`; invalid text is replaced by nothing.
    pub fn err_with_code(code: ResponseCode, text: &str) -> Self {
        Self::new(StatusKind::Err, Some(code), Text::new(text.to_owned()).unwrap_or_default())
    }

    /// `+OK count size`, the STAT drop listing.
    pub fn stat(stat: Stat) -> Self {
        Self::new(StatusKind::Ok, None, Text(Bytes::from(format!("{} {}", stat.count, stat.size))))
    }

    /// `+OK msg size`, the scan listing of `LIST msg`.
    pub fn scan(listing: ScanListing) -> Self {
        Self::new(StatusKind::Ok, None, Text(listing.to_line()))
    }

    /// `+OK msg uid`, the answer to `UIDL msg`.
    pub fn uidl(listing: &UidlListing) -> Self {
        Self::new(StatusKind::Ok, None, Text(listing.to_line()))
    }

    /// `+OK` or `-ERR`.
    pub const fn kind(&self) -> StatusKind {
        self.kind
    }

    /// Whether this is `+OK`.
    pub fn is_ok(&self) -> bool {
        self.kind == StatusKind::Ok
    }

    /// The extended response code, if any.
    pub const fn code(&self) -> Option<&ResponseCode> {
        self.code.as_ref()
    }

    /// The text after the status and the code.
    pub const fn text(&self) -> &Text {
        &self.text
    }

    /// The APOP timestamp of a greeting (RFC 1939 7): the first `<...>` in the text,
    /// brackets included, without spaces inside.
    pub fn apop_timestamp(&self) -> Option<Bytes> {
        let t = self.text.as_bytes();
        let start = memchr::memchr(b'<', t)?;
        let len = memchr::memchr(b'>', t.get(start..)?)?;
        let ts = t.get(start..=start + len)?;
        if ts.len() < 3 || ts.contains(&b' ') || ts.get(1..)?.contains(&b'<') {
            return None;
        }
        Some(self.text.0.slice_ref(ts))
    }

    /// Reads the text as a STAT drop listing `count size`.
    pub fn as_stat(&self) -> Result<Stat, ParseError> {
        crate::parse::stat(self.text.as_bytes())
    }

    /// Reads the text as a scan listing `msg size` (the answer to `LIST msg`).
    pub fn as_scan(&self) -> Result<ScanListing, ParseError> {
        crate::parse::scan(self.text.as_bytes())
    }

    /// Reads the text as a unique-id listing `msg uid` (the answer to `UIDL msg`).
    pub fn as_uidl(&self) -> Result<UidlListing, ParseError> {
        crate::parse::uidl(&self.text.0)
    }

    /// Parses a status line (without its CRLF).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        crate::parse::status(&Bytes::copy_from_slice(line))
    }

    /// Parses a status line held in shared bytes (no copy).
    pub fn parse_bytes(line: &Bytes) -> Result<Self, ParseError> {
        crate::parse::status(line)
    }

    /// Appends the line and its CRLF.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(match self.kind {
            StatusKind::Ok => b"+OK",
            StatusKind::Err => b"-ERR",
        });
        if let Some(code) = &self.code {
            out.put_slice(b" [");
            out.put_slice(code.as_bytes());
            out.put_u8(b']');
        }
        if !self.text.is_empty() {
            out.put_u8(b' ');
            out.put_slice(self.text.as_bytes());
        }
        out.put_slice(b"\r\n");
    }

    /// The encoded line, CRLF included.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(8 + self.text.0.len());
        self.encode(&mut out);
        out.freeze()
    }
}

/// A server's SASL challenge, `+ base64` (RFC 5034), decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Continuation(pub Vec<u8>);

impl Continuation {
    /// Parses a continuation line (without its CRLF).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        crate::parse::continuation(line)
    }

    /// Appends `+ base64` and CRLF.
    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(b"+ ");
        out.put_slice(B64.encode(&self.0).as_bytes());
        out.put_slice(b"\r\n");
    }
}

/// A client's line during an AUTH exchange: base64 data, or `*` to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthResponse {
    /// The decoded response.
    Data(Secret<Vec<u8>>),
    /// `*`: the client abandons the exchange.
    Cancel,
}

impl AuthResponse {
    /// Parses a response line (without its CRLF).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        if line == b"*" {
            return Ok(Self::Cancel);
        }
        b64_decode(line).map(|d| Self::Data(Secret::new(d)))
    }

    /// Appends the line and its CRLF.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Self::Data(d) => out.put_slice(B64.encode(d.expose()).as_bytes()),
            Self::Cancel => out.put_u8(b'*'),
        }
        out.put_slice(b"\r\n");
    }
}

/// The drop listing of `STAT`: number of messages and their total size in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stat {
    /// Messages in the maildrop (not marked deleted).
    pub count: u32,
    /// Their total size in octets.
    pub size: u64,
}

/// One scan listing: a message number and its size in octets (`LIST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScanListing {
    /// The message.
    pub msg: MsgNum,
    /// Its exact size in octets.
    pub size: u64,
}

impl ScanListing {
    /// Parses a listing line (`msg size`).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        crate::parse::scan(line)
    }

    /// The line without CRLF.
    pub fn to_line(&self) -> Bytes {
        Bytes::from(format!("{} {}", self.msg, self.size))
    }
}

/// One unique-id listing (`UIDL`): a message number and its unique-id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UidlListing {
    /// The message.
    pub msg: MsgNum,
    /// Its unique-id (RFC 1939: 1 to 70 characters 0x21 to 0x7E; longer ones are accepted).
    pub uid: Word,
}

impl UidlListing {
    /// Parses a listing line (`msg uid`).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        crate::parse::uidl(&Bytes::copy_from_slice(line))
    }

    /// The line without CRLF.
    pub fn to_line(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(12 + self.uid.0.len());
        out.put_slice(self.msg.to_string().as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.uid.as_bytes());
        out.freeze()
    }
}

/// The `EXPIRE` policy (RFC 2449 6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpirePolicy {
    /// `NEVER`: messages are kept.
    Never,
    /// Messages may be deleted after this many days (0: as soon as retrieved).
    Days(u32),
}

/// One capability of a `CAPA` response (RFC 2449, 2595, 5034, 6856).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `TOP`
    Top,
    /// `UIDL`
    Uidl,
    /// `USER`
    User,
    /// `SASL mech...`
    Sasl(Vec<Word>),
    /// `RESP-CODES`
    RespCodes,
    /// `AUTH-RESP-CODE` (RFC 3206)
    AuthRespCode,
    /// `PIPELINING`
    Pipelining,
    /// `EXPIRE policy [USER]`
    Expire {
        /// The retention policy.
        policy: ExpirePolicy,
        /// `USER`: the value differs per user (announced before login).
        per_user: bool,
    },
    /// `LOGIN-DELAY seconds [USER]`
    LoginDelay {
        /// Minimum seconds between logins.
        seconds: u32,
        /// `USER`: the value differs per user.
        per_user: bool,
    },
    /// `STLS` (RFC 2595)
    Stls,
    /// `UTF8 [USER]` (RFC 6856)
    Utf8 {
        /// `USER`: UTF-8 user names and passwords are accepted.
        user: bool,
    },
    /// `LANG` (RFC 6856)
    Lang,
    /// `IMPLEMENTATION text`
    Implementation(Text),
    /// Any other capability, kept as sent: the tag and the rest of the line.
    Other {
        /// The tag.
        tag: Word,
        /// The parameters after it (one space removed).
        params: Text,
    },
}

impl Capability {
    /// Parses one line of a `CAPA` response (without CRLF, already dot-unstuffed).
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        crate::parse::capability(&Bytes::copy_from_slice(line))
    }

    /// Appends the line and its CRLF (not dot-stuffed: no capability starts with a dot
    /// except an unknown one, which the server's stuffer handles).
    pub fn encode(&self, out: &mut BytesMut) {
        fn user(out: &mut BytesMut, on: bool) {
            if on {
                out.put_slice(b" USER");
            }
        }
        match self {
            Self::Top => out.put_slice(b"TOP"),
            Self::Uidl => out.put_slice(b"UIDL"),
            Self::User => out.put_slice(b"USER"),
            Self::Sasl(mechs) => {
                out.put_slice(b"SASL");
                for m in mechs {
                    out.put_u8(b' ');
                    out.put_slice(m.as_bytes());
                }
            }
            Self::RespCodes => out.put_slice(b"RESP-CODES"),
            Self::AuthRespCode => out.put_slice(b"AUTH-RESP-CODE"),
            Self::Pipelining => out.put_slice(b"PIPELINING"),
            Self::Expire { policy, per_user } => {
                out.put_slice(b"EXPIRE ");
                match policy {
                    ExpirePolicy::Never => out.put_slice(b"NEVER"),
                    ExpirePolicy::Days(d) => out.put_slice(d.to_string().as_bytes()),
                }
                user(out, *per_user);
            }
            Self::LoginDelay { seconds, per_user } => {
                out.put_slice(b"LOGIN-DELAY ");
                out.put_slice(seconds.to_string().as_bytes());
                user(out, *per_user);
            }
            Self::Stls => out.put_slice(b"STLS"),
            Self::Utf8 { user: u } => {
                out.put_slice(b"UTF8");
                user(out, *u);
            }
            Self::Lang => out.put_slice(b"LANG"),
            Self::Implementation(t) => {
                out.put_slice(b"IMPLEMENTATION");
                if !t.is_empty() {
                    out.put_u8(b' ');
                    out.put_slice(t.as_bytes());
                }
            }
            Self::Other { tag, params } => {
                out.put_slice(tag.as_bytes());
                if !params.is_empty() {
                    out.put_u8(b' ');
                    out.put_slice(params.as_bytes());
                }
            }
        }
        out.put_slice(b"\r\n");
    }
}

/// The capabilities a server announced in its `CAPA` response, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(pub Vec<Capability>);

impl Capabilities {
    /// Whether `PIPELINING` is announced.
    pub fn pipelining(&self) -> bool {
        self.0.contains(&Capability::Pipelining)
    }

    /// Whether `STLS` is announced.
    pub fn stls(&self) -> bool {
        self.0.contains(&Capability::Stls)
    }

    /// Whether `TOP` is announced.
    pub fn top(&self) -> bool {
        self.0.contains(&Capability::Top)
    }

    /// Whether `UIDL` is announced.
    pub fn uidl(&self) -> bool {
        self.0.contains(&Capability::Uidl)
    }

    /// Whether `USER` is announced.
    pub fn user(&self) -> bool {
        self.0.contains(&Capability::User)
    }

    /// Whether `UTF8` (with or without `USER`) is announced.
    pub fn utf8(&self) -> bool {
        self.0.iter().any(|c| matches!(c, Capability::Utf8 { .. }))
    }

    /// Whether `LANG` is announced.
    pub fn lang(&self) -> bool {
        self.0.contains(&Capability::Lang)
    }

    /// The SASL mechanisms announced (empty if none).
    pub fn sasl(&self) -> impl Iterator<Item = &Word> {
        self.0
            .iter()
            .filter_map(|c| if let Capability::Sasl(m) = c { Some(m.iter()) } else { None })
            .flatten()
    }

    /// Whether the SASL mechanism `name` is announced (ASCII case ignored).
    pub fn has_sasl(&self, name: &str) -> bool {
        self.sasl().any(|m| m.eq_ignore_case(name))
    }

    /// Appends every capability line (not the status line nor the terminating dot).
    pub fn encode(&self, out: &mut BytesMut) {
        for c in &self.0 {
            c.encode(out);
        }
    }
}

/// Dot-stuffs `lines` (each already CRLF-terminated) into a multi-line body with its end
/// marker, through `mailwire_core::DotStuffer`.
pub(crate) fn stuff_lines(lines: &[u8], out: &mut BytesMut) {
    let mut s = mailwire_core::DotStuffer::new();
    s.encode(lines, out);
    s.finish(out);
}

/// Decodes base64 as mailwire-sasl does: padding optional (see docs/quirks/pop3.md).
pub(crate) fn b64_decode(data: &[u8]) -> Result<Vec<u8>, ParseError> {
    mailwire_sasl::wire::decode_base64(data).map_err(|_| ParseError::Base64)
}
