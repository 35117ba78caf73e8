//! Validated values: text, domains, mailboxes, paths and xtext.
//!
//! Every type here is checked when it is built, so none can hold CR, LF or NUL and encoding a
//! command or reply can never inject another one.

use bytes::Bytes;
use core::fmt;

/// A value was rejected at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value contains CR, LF or NUL (it could inject a command or reply).
    #[error("{what} contains CR, LF or NUL")]
    LineBreak {
        /// Which kind of value.
        what: &'static str,
    },
    /// The value is not valid for its kind.
    #[error("invalid {what}")]
    Invalid {
        /// Which kind of value.
        what: &'static str,
    },
}

const fn invalid(what: &'static str) -> ValueError {
    ValueError::Invalid { what }
}

/// The first `c` in a short slice (a plain loop beats `memchr`'s setup on command lines).
#[inline]
pub(crate) fn find(c: u8, b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

/// The first `c1` or `c2` in a short slice.
#[inline]
pub(crate) fn find2(c1: u8, c2: u8, b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == c1 || x == c2)
}

fn has_line_break(b: &[u8]) -> bool {
    b.iter().any(|&c| c == b'\r' || c == b'\n' || c == 0)
}

fn show(b: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", String::from_utf8_lossy(b))
}

/// Inline capacity of [`Octets`]: the enum stays the size of a `Bytes`.
const INLINE: usize = 23;

/// The octets of a validated value: a short value copied inline (making or dropping it then
/// touches no shared reference count), a longer one a zero-copy slice of its buffer.
#[derive(Clone)]
pub(crate) enum Octets {
    /// Up to [`INLINE`] octets.
    Inline {
        /// Octets used in `buf`.
        len: u8,
        /// The octets, then octets never read.
        buf: [u8; INLINE],
    },
    /// A shared slice.
    Shared(Bytes),
}

impl Octets {
    /// `frame[start..end]`: copied when short, else sliced.
    #[inline]
    pub(crate) fn from_frame(frame: &Bytes, start: usize, end: usize) -> Self {
        match frame.get(start..end) {
            Some(v) if v.len() <= INLINE => match frame.get(start..start + INLINE) {
                // one fixed-size copy; the octets past `len` are never read
                Some(w) => {
                    let mut buf = [0u8; INLINE];
                    buf.copy_from_slice(w);
                    // v.len() <= INLINE < 256
                    #[allow(clippy::cast_possible_truncation)]
                    Self::Inline { len: v.len() as u8, buf }
                }
                None => Self::inline(v),
            },
            _ => Self::Shared(frame.slice(start..end)),
        }
    }

    #[inline]
    fn inline(v: &[u8]) -> Self {
        let mut buf = [0u8; INLINE];
        for (d, &c) in buf.iter_mut().zip(v) {
            *d = c;
        }
        // v.len() <= INLINE < 256
        #[allow(clippy::cast_possible_truncation)]
        Self::Inline { len: v.len() as u8, buf }
    }

    /// The octets.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Self::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Self::Shared(b) => b,
        }
    }

    /// A sub-range, in the same representation rules.
    fn slice(&self, range: core::ops::Range<usize>) -> Self {
        match self {
            Self::Inline { .. } => Self::inline(self.as_slice().get(range).unwrap_or_default()),
            Self::Shared(b) => Self::from_frame(b, range.start, range.end),
        }
    }

    /// As a `Bytes`: the shared slice itself, or a copy of an inline value.
    fn to_bytes(&self) -> Bytes {
        match self {
            Self::Inline { .. } => Bytes::copy_from_slice(self.as_slice()),
            Self::Shared(b) => b.clone(),
        }
    }
}

impl From<Bytes> for Octets {
    fn from(b: Bytes) -> Self {
        Self::Shared(b)
    }
}

impl core::ops::Deref for Octets {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Octets {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Octets {}

impl core::hash::Hash for Octets {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Debug for Octets {
    /// As `Bytes` shows itself: `b"..."` with escapes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b\"")?;
        for &c in self.as_slice() {
            match c {
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                b'\t' => f.write_str("\\t")?,
                b'\\' | b'"' => write!(f, "\\{}", char::from(c))?,
                0 => f.write_str("\\0")?,
                0x20..=0x7e => write!(f, "{}", char::from(c))?,
                _ => write!(f, "\\x{c:02x}")?,
            }
        }
        f.write_str("\"")
    }
}

/// `to_bytes` for the newtypes over `Bytes` (a clone).
trait ToBytes {
    fn to_bytes(&self) -> Bytes;
}

impl ToBytes for Bytes {
    fn to_bytes(&self) -> Bytes {
        self.clone()
    }
}

impl ToBytes for Octets {
    fn to_bytes(&self) -> Bytes {
        Octets::to_bytes(self)
    }
}

macro_rules! bytes_newtype_common {
    ($name:ident) => {
        impl $name {
            /// The value's wire bytes.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// The value's wire bytes as a `Bytes`: a reference-counted slice, or for a
            /// short value parsed from the wire (held inline), a copy.
            pub fn to_bytes(&self) -> Bytes {
                ToBytes::to_bytes(&self.0)
            }

            /// The value as text (invalid UTF-8 replaced).
            pub fn to_text(&self) -> String {
                String::from_utf8_lossy(&self.0).into_owned()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                show(&self.0, f)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValueError;
            fn try_from(s: &str) -> Result<Self, ValueError> {
                Self::new(Bytes::copy_from_slice(s.as_bytes()))
            }
        }
    };
}

/// Free text on a command or reply line: any octets except CR, LF and NUL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(Bytes);

impl Text {
    /// Validates `bytes` as text.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let bytes = bytes.into();
        if has_line_break(&bytes) {
            return Err(ValueError::LineBreak { what: "text" });
        }
        Ok(Self(bytes))
    }

    /// Empty text.
    pub const fn empty() -> Self {
        Self(Bytes::new())
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn new_unchecked(b: Bytes) -> Self {
        debug_assert!(!has_line_break(&b));
        Self(b)
    }
}
bytes_newtype_common!(Text);

/// A protocol keyword (EHLO keyword, parameter name, SASL mechanism, address type): a letter
/// or digit followed by letters, digits and `-`; case-insensitive.
#[derive(Debug, Clone, Eq)]
pub struct Keyword(Octets);

impl core::hash::Hash for Keyword {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        for c in self.0.as_slice() {
            state.write_u8(c.to_ascii_lowercase());
        }
    }
}

impl PartialEq for Keyword {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Keyword {
    /// Validates a keyword.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let bytes = bytes.into();
        if is_keyword(&bytes) { Ok(Self(bytes.into())) } else { Err(invalid("keyword")) }
    }

    /// Validates the keyword `frame[start..end]` (copied inline when short).
    pub(crate) fn from_frame(frame: &Bytes, start: usize, end: usize) -> Result<Self, ValueError> {
        if frame.get(start..end).is_some_and(is_keyword) {
            Ok(Self(Octets::from_frame(frame, start, end)))
        } else {
            Err(invalid("keyword"))
        }
    }

    /// A keyword held inline when short (no allocation for a name up to 23 octets).
    pub(crate) fn from_slice(b: &[u8]) -> Result<Self, ValueError> {
        if !is_keyword(b) {
            return Err(invalid("keyword"));
        }
        Ok(Self(if b.len() <= INLINE {
            Octets::inline(b)
        } else {
            Octets::Shared(Bytes::copy_from_slice(b))
        }))
    }

    /// Whether the keyword equals `other`, ignoring ASCII case.
    pub fn is(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.as_bytes())
    }

    /// Whether the keyword equals `other`, ignoring ASCII case.
    pub(crate) fn is_bytes(&self, other: &[u8]) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}
bytes_newtype_common!(Keyword);

pub(crate) fn is_keyword(b: &[u8]) -> bool {
    // Real servers use `_` in keywords (X_..., XCLIENT variants): tolerated.
    matches!(b.first(), Some(c) if c.is_ascii_alphanumeric()) && all_in(b, KEYWORD_CHAR)
}

/// A parameter value (`esmtp-value`): printable ASCII except `=` and space, or UTF-8 under
/// SMTPUTF8; never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParamValue(Bytes);

impl ParamValue {
    /// Validates a parameter value.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let bytes = bytes.into();
        if is_param_value(&bytes) { Ok(Self(bytes)) } else { Err(invalid("parameter value")) }
    }
}
bytes_newtype_common!(ParamValue);

pub(crate) fn is_param_value(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|&c| (c > b' ' && c != b'=' && c != 0x7f) || c >= 0x80)
}

/// A domain name or an address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`).
///
/// Letters, digits, `-`, `.` and `_` (seen in real host names), and UTF-8 labels under
/// SMTPUTF8 (RFC 6531). Compared case-insensitively.
#[derive(Debug, Clone, Eq)]
pub struct Domain(Octets);

impl core::hash::Hash for Domain {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        for c in self.0.as_slice() {
            state.write_u8(c.to_ascii_lowercase());
        }
    }
}

impl PartialEq for Domain {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Domain {
    /// Validates a domain or address literal.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let bytes = bytes.into();
        if is_domain(&bytes) { Ok(Self(bytes.into())) } else { Err(invalid("domain")) }
    }

    /// The checked domain `frame[start..end]`.
    pub(crate) fn from_frame(frame: &Bytes, start: usize, end: usize) -> Self {
        let d = Self(Octets::from_frame(frame, start, end));
        debug_assert!(is_domain(&d.0));
        d
    }

    /// Whether this is an address literal (`[...]`).
    pub fn is_address_literal(&self) -> bool {
        self.0.first() == Some(&b'[')
    }

    /// Whether the domain is all ASCII (otherwise SMTPUTF8 is needed).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }
}
bytes_newtype_common!(Domain);

/// Octet classes for the hot validity checks (one table lookup per octet).
const DOMAIN_CHAR: u8 = 1;
const ATEXT: u8 = 2;
/// `ATEXT` and ASCII: a dot-string octet that needs no UTF-8 check.
pub(crate) const ATEXT_ASCII: u8 = 4;
/// `DOMAIN_CHAR` and ASCII.
pub(crate) const DOMAIN_ASCII: u8 = 8;
/// A keyword octet: letter, digit, `-` or `_`.
pub(crate) const KEYWORD_CHAR: u8 = 16;

// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const fn class_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        // i < 256, so the cast is exact
        #[allow(clippy::cast_possible_truncation)]
        let c = i as u8;
        let mut v = 0;
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_' || c >= 0x80 {
            v |= DOMAIN_CHAR;
        }
        if c.is_ascii_alphanumeric() || c >= 0x80 || c == b'.' {
            v |= ATEXT;
        }
        let specials = b"!#$%&'*+-/=?^_`{|}~";
        let mut j = 0;
        while j < specials.len() {
            if specials[j] == c {
                v |= ATEXT;
            }
            j += 1;
        }
        if c < 0x80 {
            if v & ATEXT != 0 {
                v |= ATEXT_ASCII;
            }
            if v & DOMAIN_CHAR != 0 {
                v |= DOMAIN_ASCII;
            }
        }
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' {
            v |= KEYWORD_CHAR;
        }
        t[i] = v;
        i += 1;
    }
    t
}

static CLASS: [u8; 256] = class_table();

/// The class bits of an octet.
#[inline]
pub(crate) fn class(c: u8) -> u8 {
    CLASS.get(usize::from(c)).copied().unwrap_or(0)
}

/// The first position at or after `i` whose octet is not in class `which` (or `b.len()`).
#[inline]
pub(crate) fn span(b: &[u8], mut i: usize, which: u8) -> usize {
    while let Some(&c) = b.get(i) {
        if class(c) & which == 0 {
            break;
        }
        i += 1;
    }
    i
}

/// Whether `v` equals the literal `lit` ignoring ASCII case: one masked compare of a word
/// for literals of up to 16 octets (only letters are folded, so no other octet can match).
#[allow(clippy::inline_always, reason = "a few instructions once the literal is known")]
#[inline(always)]
pub(crate) fn eq_ci<const N: usize>(v: &[u8], lit: &[u8; N]) -> bool {
    let Ok(v) = <&[u8; N]>::try_from(v) else { return false };
    if N > 16 {
        return v.eq_ignore_ascii_case(lit);
    }
    let (mut a, mut l, mut m) = ([0u8; 16], [0u8; 16], [0u8; 16]);
    for (((a, l), m), (&x, &y)) in a.iter_mut().zip(&mut l).zip(&mut m).zip(v.iter().zip(lit)) {
        *a = x;
        *l = y;
        *m = if y.is_ascii_alphabetic() { 0x20 } else { 0 };
    }
    if N <= 8 {
        let w = |x: [u8; 16]| {
            let mut h = [0u8; 8];
            h.copy_from_slice(x.get(..8).unwrap_or(&[0; 8]));
            u64::from_le_bytes(h)
        };
        let m = w(m);
        return (w(a) | m) == (w(l) | m);
    }
    let m = u128::from_le_bytes(m);
    (u128::from_le_bytes(a) | m) == (u128::from_le_bytes(l) | m)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each octet of `w` that equals `c` (exact for the lowest one: a borrow
/// only runs upwards from a match).
#[inline]
const fn match_bits(w: u64, c: u8) -> u64 {
    let x = w ^ (ONES * c as u64);
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The first position in `from..end` whose octet is one of `set` (one to three octets), or
/// `end`. Reads `b` eight octets a step, also past `end` while `b` lasts (the result is
/// clamped), so that short fields in a longer buffer need no octet-by-octet tail.
#[allow(clippy::inline_always, reason = "the set is a literal: inlined, its loop unrolls")]
#[inline(always)]
pub(crate) fn find_any(b: &[u8], from: usize, end: usize, set: &[u8]) -> usize {
    let mut i = from;
    while i < end {
        let Some(chunk) = b.get(i..i + 8) else {
            // the buffer's last few octets
            while let Some(&c) = b.get(i) {
                if i >= end || set.contains(&c) {
                    break;
                }
                i += 1;
            }
            return i.min(end);
        };
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let mut found = 0;
        for &c in set {
            found |= match_bits(w, c);
        }
        if found != 0 {
            // lowest set bit / 8 is at most 7
            return (i + (found.trailing_zeros() / 8) as usize).min(end);
        }
        i += 8;
    }
    end
}

/// The first LF at or after `from`, eight octets a step (lines are short, so this beats a
/// vector search's setup), then `memchr` for long lines.
#[inline]
pub(crate) fn find_lf(input: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let stop = from.saturating_add(128);
    while i < stop {
        let Some(chunk) = input.get(i..i + 8) else { break };
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = match_bits(u64::from_le_bytes(word), b'\n');
        if found != 0 {
            // lowest set bit / 8 is at most 7
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    Some(i + memchr::memchr(b'\n', input.get(i..)?)?)
}

/// Whether every octet of `b` has class bit `which` (branch-free, eight octets a step).
#[inline]
pub(crate) fn all_in(b: &[u8], which: u8) -> bool {
    let mut all = 0xff_u8;
    let mut chunks = b.chunks_exact(8);
    for ch in &mut chunks {
        for &c in ch {
            all &= class(c);
        }
    }
    for &c in chunks.remainder() {
        all &= class(c);
    }
    all & which != 0
}

/// Whether every octet is in `which`, and the whole is valid UTF-8 (checked only when an
/// octet above 0x7F was seen).
#[inline]
fn all_class(b: &[u8], which: u8) -> bool {
    // no early exit: the loop is branch-free (these fields are short and usually valid), and
    // runs eight octets a step
    let (mut all, mut high) = (0xff_u8, 0_u8);
    let mut chunks = b.chunks_exact(8);
    for ch in &mut chunks {
        for &c in ch {
            all &= class(c);
            high |= c;
        }
    }
    for &c in chunks.remainder() {
        all &= class(c);
        high |= c;
    }
    all & which != 0 && (high < 0x80 || core::str::from_utf8(b).is_ok())
}

pub(crate) fn is_domain(b: &[u8]) -> bool {
    // the common all-ASCII host name first: one table pass, no UTF-8 check
    if !b.is_empty() && all_in(b, DOMAIN_ASCII) {
        return true;
    }
    match b {
        [] => false,
        [b'[', inner @ .., b']'] => {
            !inner.is_empty()
                && inner.iter().all(|&c| c > b' ' && c < 0x7f && !matches!(c, b'[' | b']' | b'\\'))
        }
        _ => all_class(b, DOMAIN_CHAR),
    }
}

/// The local part of a mailbox, in its wire form: a dot-string (`john.doe`) or a quoted
/// string (`"john doe"`), possibly UTF-8 under SMTPUTF8.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalPart(Octets);

impl LocalPart {
    /// Validates a local part in wire form.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let bytes = bytes.into();
        if is_local_part(&bytes) { Ok(Self(bytes.into())) } else { Err(invalid("local part")) }
    }

    /// Builds a local part from its text, quoting it when it is not a dot-string.
    pub fn from_text(text: &str) -> Result<Self, ValueError> {
        if has_line_break(text.as_bytes()) {
            return Err(ValueError::LineBreak { what: "local part" });
        }
        if is_dot_string(text.as_bytes()) {
            return Ok(Self(Bytes::copy_from_slice(text.as_bytes()).into()));
        }
        let mut q = Vec::with_capacity(text.len() + 2);
        q.push(b'"');
        for &c in text.as_bytes() {
            if c == b'"' || c == b'\\' {
                q.push(b'\\');
            }
            q.push(c);
        }
        q.push(b'"');
        Self::new(q)
    }

    /// Whether the local part is a quoted string.
    pub fn is_quoted(&self) -> bool {
        self.0.first() == Some(&b'"')
    }

    /// Whether the local part is all ASCII (otherwise SMTPUTF8 is needed).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }
}
bytes_newtype_common!(LocalPart);

fn is_dot_string(b: &[u8]) -> bool {
    // Tolerated: empty atoms (`a..b`, leading or trailing dot) as sent by some clients.
    !b.is_empty() && all_class(b, ATEXT)
}

fn is_quoted_string(b: &[u8]) -> bool {
    let [b'"', inner @ .., b'"'] = b else { return false };
    let mut esc = false;
    for &c in inner {
        if c == b'\r' || c == b'\n' || c == 0 {
            return false;
        }
        if esc {
            esc = false;
        } else if c == b'\\' {
            esc = true;
        } else if c == b'"' {
            return false;
        }
    }
    !esc && core::str::from_utf8(inner).is_ok()
}

pub(crate) fn is_local_part(b: &[u8]) -> bool {
    is_dot_string(b) || is_quoted_string(b)
}

/// A mailbox `local-part@domain`, held as one zero-copy slice of its wire form (or, for a
/// short one parsed from the wire, a copy held inline).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    raw: Octets,
    at: usize,
}

impl Mailbox {
    /// A mailbox from its parts.
    pub fn new(local: &LocalPart, domain: &Domain) -> Self {
        let mut v = Vec::with_capacity(local.0.len() + 1 + domain.0.len());
        v.extend_from_slice(&local.0);
        v.push(b'@');
        v.extend_from_slice(&domain.0);
        Self { raw: Bytes::from(v).into(), at: local.0.len() }
    }

    /// The checked mailbox `frame[start..end]` whose `@` is at `start + at`.
    pub(crate) fn from_frame(frame: &Bytes, start: usize, end: usize, at: usize) -> Self {
        debug_assert!(parse_mailbox(frame, start, end).is_some_and(|m| m.at == at));
        Self { raw: Octets::from_frame(frame, start, end), at }
    }

    /// Parses `local@domain` (wire form).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let raw = Bytes::copy_from_slice(s.as_bytes());
        parse_mailbox(&raw, 0, raw.len()).ok_or(invalid("mailbox"))
    }

    /// The local part, in wire form (a dot-string or a quoted string).
    pub fn local_part(&self) -> LocalPart {
        LocalPart(self.raw.slice(0..self.at))
    }

    /// The domain or address literal.
    pub fn domain(&self) -> Domain {
        Domain(self.raw.slice(self.at + 1..self.raw.len()))
    }

    /// The local part's wire bytes.
    pub fn local_bytes(&self) -> &[u8] {
        self.raw.get(..self.at).unwrap_or_default()
    }

    /// The domain's bytes.
    pub fn domain_bytes(&self) -> &[u8] {
        self.raw.get(self.at + 1..).unwrap_or_default()
    }

    /// The whole `local@domain` wire form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// Whether the mailbox is all ASCII (otherwise SMTPUTF8 is needed).
    pub fn is_ascii(&self) -> bool {
        self.raw.is_ascii()
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        show(&self.raw, f)
    }
}

/// Parses the mailbox in `buf[start..end]`, keeping a zero-copy slice of `buf`.
pub(crate) fn parse_mailbox(buf: &Bytes, start: usize, end: usize) -> Option<Mailbox> {
    let b = buf.get(start..end)?;
    let at = if b.first() == Some(&b'"') {
        // the closing quote, then '@'
        let mut i = 1;
        let mut esc = false;
        loop {
            let c = *b.get(i)?;
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                break;
            }
            i += 1;
        }
        if b.get(i + 1) != Some(&b'@') {
            return None;
        }
        i + 1
    } else if b.last() == Some(&b']') {
        // an address literal may hold '@' itself: split just before its '['
        let open = b.iter().rposition(|&c| c == b'[')?;
        let at = open.checked_sub(1)?;
        if b.get(at) != Some(&b'@') {
            return None;
        }
        at
    } else {
        b.iter().rposition(|&c| c == b'@')?
    };
    if !is_local_part(b.get(..at)?) || !is_domain(b.get(at + 1..)?) {
        return None;
    }
    Some(Mailbox { raw: Octets::from_frame(buf, start, end), at })
}

/// The reverse path of `MAIL FROM`: the null path `<>` or a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath {
    /// `<>`: bounces and other notifications.
    Null,
    /// A sender mailbox.
    Mailbox(Mailbox),
}

/// The forward path of `RCPT TO`: the special `<Postmaster>` or a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// `<Postmaster>` without a domain (RFC 5321 4.5.1), in whatever case it was sent.
    Postmaster,
    /// A recipient mailbox.
    Mailbox(Mailbox),
}

impl ForwardPath {
    /// Whether the path is all ASCII.
    pub fn is_ascii(&self) -> bool {
        match self {
            Self::Postmaster => true,
            Self::Mailbox(m) => m.is_ascii(),
        }
    }
}

impl ReversePath {
    /// Whether the path is all ASCII.
    pub fn is_ascii(&self) -> bool {
        match self {
            Self::Null => true,
            Self::Mailbox(m) => m.is_ascii(),
        }
    }
}

impl fmt::Display for ReversePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("<>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

impl fmt::Display for ForwardPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postmaster => f.write_str("<Postmaster>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// An xtext value (RFC 3461 4): printable ASCII with `+XX` hex escapes, kept in its encoded
/// form. Used by ENVID, ORCPT and `AUTH=`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XText(Bytes);

impl XText {
    /// Validates an encoded xtext.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, ValueError> {
        let bytes = bytes.into();
        if is_xtext(&bytes) { Ok(Self(bytes)) } else { Err(invalid("xtext")) }
    }

    /// Encodes arbitrary octets as xtext. Empty input is refused: a parameter value is never
    /// empty.
    pub fn encode(raw: &[u8]) -> Result<Self, ValueError> {
        if raw.is_empty() {
            return Err(invalid("xtext"));
        }
        let mut out = Vec::with_capacity(raw.len());
        for &c in raw {
            if (b'!'..=b'~').contains(&c) && c != b'+' && c != b'=' {
                out.push(c);
            } else {
                out.push(b'+');
                out.push(hex_digit(c >> 4));
                out.push(hex_digit(c & 15));
            }
        }
        Ok(Self(Bytes::from(out)))
    }

    /// The decoded octets.
    pub fn decode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len());
        let mut it = self.0.iter();
        while let Some(&c) = it.next() {
            if c == b'+' {
                let hi = it.next().and_then(|&h| hex_val(h)).unwrap_or(0);
                let lo = it.next().and_then(|&h| hex_val(h)).unwrap_or(0);
                out.push(hi << 4 | lo);
            } else {
                out.push(c);
            }
        }
        out
    }
}
bytes_newtype_common!(XText);

const HEX: &[u8; 16] = b"0123456789ABCDEF";

const fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

pub(crate) fn is_xtext(b: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'+' {
            // tolerated: lowercase hex digits
            match (b.get(i + 1).copied().and_then(hex_val), b.get(i + 2).copied().and_then(hex_val))
            {
                (Some(_), Some(_)) => i += 3,
                _ => return false,
            }
        } else if (b'!'..=b'~').contains(&c) && c != b'=' {
            i += 1;
        } else {
            return false;
        }
    }
    !b.is_empty()
}

fn hex_digit(n: u8) -> u8 {
    HEX.get(usize::from(n & 15)).copied().unwrap_or(b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_line_breaks_anywhere() {
        assert!(Text::try_from("a\r\nb").is_err());
        assert!(Domain::try_from("a\r\n.b").is_err());
        assert!(LocalPart::try_from("\"a\r\nb\"").is_err());
        assert!(LocalPart::from_text("a\nb").is_err());
        assert!(Keyword::try_from("A\0").is_err());
    }

    #[test]
    fn mailboxes() {
        let m = Mailbox::parse("\"john @ doe\"@example.com").unwrap();
        assert!(m.local_part().is_quoted());
        assert_eq!(m.domain().to_text(), "example.com");
        let m = Mailbox::parse("user@[IPv6:2001:db8::1]").unwrap();
        assert!(m.domain().is_address_literal());
        let m = Mailbox::parse("a@[x:odd@literal]").unwrap();
        assert_eq!(m.local_bytes(), b"a");
        let m = Mailbox::parse("δοκιμή@παράδειγμα.δοκιμή").unwrap();
        assert!(!m.is_ascii());
        assert!(Mailbox::parse("no-at-sign").is_err());
        assert!(Mailbox::parse("a b@c").is_err());
        assert_eq!(LocalPart::from_text("a b").unwrap().to_text(), "\"a b\"");
        assert_eq!(LocalPart::from_text("a\"b").unwrap().to_text(), "\"a\\\"b\"");
    }

    #[test]
    fn octets_inline_or_shared_alike() {
        assert_eq!(size_of::<Octets>(), size_of::<Bytes>());
        let frame = Bytes::from_static(b"xx\"a\\b\r\n\x01\xff.example.org and a longer tail");
        for end in [10, 20, 23, 24, 40] {
            let shared = Octets::Shared(frame.slice(2..end));
            let parsed = Octets::from_frame(&frame, 2, end);
            assert_eq!(matches!(parsed, Octets::Inline { .. }), end - 2 <= INLINE);
            assert_eq!(parsed, shared);
            assert_eq!(format!("{parsed:?}"), format!("{:?}", frame.slice(2..end)));
            assert_eq!(format!("{shared:?}"), format!("{:?}", frame.slice(2..end)));
            assert_eq!(parsed.to_bytes(), frame.slice(2..end));
            assert_eq!(parsed.slice(1..3), shared.slice(1..3));
        }
        let m = Mailbox::parse("user@example.org").unwrap();
        let line = Bytes::from_static(b"<user@example.org>");
        let parsed = parse_mailbox(&line, 1, line.len() - 1).unwrap();
        assert!(matches!(parsed.raw, Octets::Inline { .. }));
        assert_eq!(parsed, m);
        assert_eq!(parsed.domain(), m.domain());
        assert_eq!(parsed.local_part(), m.local_part());
        assert_eq!(format!("{parsed:?}"), format!("{m:?}"));
    }

    #[test]
    fn xtext_round_trip() {
        let x = XText::encode(b"rfc822;a+b=c@d").unwrap();
        assert!(XText::encode(b"").is_err());
        assert_eq!(x.to_text(), "rfc822;a+2Bb+3Dc@d");
        assert_eq!(x.decode(), b"rfc822;a+b=c@d");
        assert!(XText::try_from("a+zz").is_err());
    }
}
