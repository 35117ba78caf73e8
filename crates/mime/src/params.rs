//! Content-Type, Content-Disposition and Content-Transfer-Encoding (RFC 2045, 2183) with
//! RFC 2231 parameters.

use std::borrow::Cow;

use crate::charset;
use crate::text::{RawCharset, TextOptions, decode_phrase, unfold};
use crate::transfer;

/// A parameter after RFC 2231 reassembly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Lowercase name, without RFC 2231 section or `*` markers. Common names are borrowed.
    pub name: Cow<'static, str>,
    /// Decoded value: sections joined, percent escapes and charset undone, quotes removed.
    /// Common values (charset names, `flowed`, `yes`) are borrowed.
    pub value: Cow<'static, str>,
    /// RFC 2231 language tag, if one was given.
    pub language: Option<String>,
}

/// `name` lowercased into `buf`, when it fits (keywords are short).
pub(crate) fn lower_into<'b>(name: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let dst = buf.get_mut(..name.len())?;
    for (d, s) in dst.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(dst)
}

/// The keyword `name` is, ignoring ASCII case, looked up by `table` after one lowercasing.
fn find_keyword(name: &[u8], table: fn(&[u8]) -> Option<&'static str>) -> Option<&'static str> {
    let mut buf = [0u8; 32];
    table(lower_into(name, &mut buf)?)
}

/// Media types and subtypes common enough to be borrowed (a match: one decision tree).
fn common_name(lower: &[u8]) -> Option<&'static str> {
    match lower {
        b"text" => Some("text"),
        b"plain" => Some("plain"),
        b"html" => Some("html"),
        b"multipart" => Some("multipart"),
        b"mixed" => Some("mixed"),
        b"alternative" => Some("alternative"),
        b"related" => Some("related"),
        b"digest" => Some("digest"),
        b"message" => Some("message"),
        b"rfc822" => Some("rfc822"),
        b"global" => Some("global"),
        b"application" => Some("application"),
        b"octet-stream" => Some("octet-stream"),
        b"image" => Some("image"),
        b"delivery-status" => Some("delivery-status"),
        b"report" => Some("report"),
        b"signed" => Some("signed"),
        b"encrypted" => Some("encrypted"),
        b"pdf" => Some("pdf"),
        b"jpeg" => Some("jpeg"),
        b"png" => Some("png"),
        b"gif" => Some("gif"),
        b"audio" => Some("audio"),
        b"video" => Some("video"),
        b"calendar" => Some("calendar"),
        b"rfc822-headers" => Some("rfc822-headers"),
        b"external-body" => Some("external-body"),
        b"partial" => Some("partial"),
        b"pgp-signature" => Some("pgp-signature"),
        b"x-pkcs7-signature" => Some("x-pkcs7-signature"),
        b"pkcs7-signature" => Some("pkcs7-signature"),
        b"enriched" => Some("enriched"),
        _ => None,
    }
}

/// Parameter names common enough to be borrowed.
fn param_name(lower: &[u8]) -> Option<&'static str> {
    match lower {
        b"charset" => Some("charset"),
        b"boundary" => Some("boundary"),
        b"name" => Some("name"),
        b"filename" => Some("filename"),
        b"format" => Some("format"),
        b"delsp" => Some("delsp"),
        b"type" => Some("type"),
        b"report-type" => Some("report-type"),
        b"micalg" => Some("micalg"),
        b"protocol" => Some("protocol"),
        b"size" => Some("size"),
        b"creation-date" => Some("creation-date"),
        b"modification-date" => Some("modification-date"),
        b"method" => Some("method"),
        b"reply-type" => Some("reply-type"),
        b"start" => Some("start"),
        _ => None,
    }
}

/// Values common enough to be borrowed rather than allocated.
fn param_value(lower: &[u8]) -> Option<&'static str> {
    match lower {
        b"utf-8" => Some("utf-8"),
        b"us-ascii" => Some("us-ascii"),
        b"iso-8859-1" => Some("iso-8859-1"),
        b"iso-8859-15" => Some("iso-8859-15"),
        b"windows-1252" => Some("windows-1252"),
        b"flowed" => Some("flowed"),
        b"fixed" => Some("fixed"),
        b"yes" => Some("yes"),
        b"no" => Some("no"),
        b"text/plain" => Some("text/plain"),
        b"text/html" => Some("text/html"),
        b"application/pgp-signature" => Some("application/pgp-signature"),
        b"application/pkcs7-signature" => Some("application/pkcs7-signature"),
        b"delivery-status" => Some("delivery-status"),
        _ => None,
    }
}

/// A lowercase name, borrowed when it is a common one (no allocation per entity).
fn intern(name: &[u8]) -> Cow<'static, str> {
    match find_keyword(name, common_name) {
        Some(c) => Cow::Borrowed(c),
        None => Cow::Owned(String::from_utf8_lossy(name).to_ascii_lowercase()),
    }
}

/// A parsed `Content-Type` (RFC 2045 section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// Lowercase top-level type (`text`, `multipart`, ...). Common names are borrowed.
    pub media_type: Cow<'static, str>,
    /// Lowercase subtype. Common names are borrowed.
    pub subtype: Cow<'static, str>,
    /// Parameters in the order of their first appearance.
    pub params: Vec<Param>,
}

impl ContentType {
    /// `text/plain` without parameters: the RFC 2045 5.2 default (charset left implicit).
    pub fn text_plain() -> Self {
        Self {
            media_type: Cow::Borrowed("text"),
            subtype: Cow::Borrowed("plain"),
            params: Vec::new(),
        }
    }

    /// `message/rfc822`, the default inside `multipart/digest` (RFC 2046 5.1.5).
    pub fn message_rfc822() -> Self {
        Self {
            media_type: Cow::Borrowed("message"),
            subtype: Cow::Borrowed("rfc822"),
            params: Vec::new(),
        }
    }

    /// The value of a parameter (name compared case-insensitively).
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.params, name)
    }

    /// True for `type/subtype` (lowercase arguments).
    pub fn is(&self, media_type: &str, subtype: &str) -> bool {
        self.media_type == media_type && self.subtype == subtype
    }

    /// True for `multipart/*`.
    pub fn is_multipart(&self) -> bool {
        self.media_type == "multipart"
    }

    /// True for `message/rfc822` and `message/global`: an encapsulated message.
    pub fn is_message(&self) -> bool {
        self.media_type == "message" && (self.subtype == "rfc822" || self.subtype == "global")
    }

    /// The multipart boundary, when the type is multipart and it has a non-empty one.
    pub fn boundary(&self) -> Option<&str> {
        self.param("boundary").filter(|b| !b.is_empty())
    }
}

/// A parsed `Content-Disposition` (RFC 2183).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDisposition {
    /// Lowercase disposition type (`inline`, `attachment`, ...).
    pub kind: String,
    /// Parameters.
    pub params: Vec<Param>,
}

impl ContentDisposition {
    /// The value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.params, name)
    }
}

fn find_param<'a>(params: &'a [Param], name: &str) -> Option<&'a str> {
    params.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| p.value.as_ref())
}

/// A Content-Transfer-Encoding mechanism (RFC 2045 section 6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TransferEncoding {
    /// `7bit`, also the default when the field is absent.
    #[default]
    SevenBit,
    /// `8bit`.
    EightBit,
    /// `binary`.
    Binary,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `base64`.
    Base64,
    /// `x-uuencode` and its aliases.
    Uuencode,
    /// Anything else, lowercased.
    Other(String),
}

impl TransferEncoding {
    /// Parses the field value (case-insensitive, comments and white space ignored).
    pub fn parse(value: &[u8]) -> Self {
        // the common names as written, before looking for folds and comments: compared a
        // word at a time, or-ing 0x20 into the octets where the name has a letter (that
        // lowercases letters and maps nothing else onto one)
        let v = value.trim_ascii();
        if let Some(w) = v.first_chunk::<4>().map(|w| u32::from_le_bytes(*w) | 0x2020_2000) {
            match v.len() {
                4 if w == u32::from_le_bytes(*b"7bit") => return Self::SevenBit,
                4 if w == u32::from_le_bytes(*b"8bit") => return Self::EightBit,
                6 if v.get(4..) == Some(b"64") && w | 0x20 == u32::from_le_bytes(*b"base") => {
                    return Self::Base64;
                }
                16 => {
                    const QUOTED_P: u64 = u64::from_le_bytes(*b"quoted-p");
                    const RINTABLE: u64 = u64::from_le_bytes(*b"rintable");
                    const QUOTED_P_CASE: u64 =
                        u64::from_le_bytes([0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0, 0x20]);
                    let word = |i| crate::swar::word_at(v, i).unwrap_or(0);
                    if word(0) | QUOTED_P_CASE == QUOTED_P
                        && word(8) | (crate::swar::LOW * 0x20) == RINTABLE
                    {
                        return Self::QuotedPrintable;
                    }
                }
                _ => {}
            }
        }
        Self::parse_general(value)
    }

    /// [`Self::parse`] past the common names as written: folds undone, comments removed.
    #[inline(never)]
    fn parse_general(value: &[u8]) -> Self {
        let v = unfold(value);
        let v = strip_comments(&v);
        let v = v.trim_ascii();
        for (name, te) in [
            (&b"7bit"[..], Self::SevenBit),
            (b"base64", Self::Base64),
            (b"quoted-printable", Self::QuotedPrintable),
            (b"8bit", Self::EightBit),
        ] {
            if v.eq_ignore_ascii_case(name) {
                return te;
            }
        }
        let t = String::from_utf8_lossy(v).to_ascii_lowercase();
        match t.as_str() {
            "7bit" | "" => Self::SevenBit,
            "8bit" => Self::EightBit,
            "binary" => Self::Binary,
            "quoted-printable" => Self::QuotedPrintable,
            "base64" => Self::Base64,
            "x-uuencode" | "uuencode" | "x-uue" => Self::Uuencode,
            _ => Self::Other(t),
        }
    }

    /// The lowercase mechanism name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::SevenBit => "7bit",
            Self::EightBit => "8bit",
            Self::Binary => "binary",
            Self::QuotedPrintable => "quoted-printable",
            Self::Base64 => "base64",
            Self::Uuencode => "x-uuencode",
            Self::Other(s) => s,
        }
    }

    /// True when bodies in this encoding must be decoded before their octets are used.
    pub fn is_encoded(&self) -> bool {
        matches!(self, Self::QuotedPrintable | Self::Base64)
    }
}

/// Unfolds a structured value only when a line break comes before its parameters: the
/// parameter splitter takes folds between and inside parameters as white space.
fn unfold_head(value: &[u8]) -> Cow<'_, [u8]> {
    let head = memchr::memchr(b';', value).map_or(value, |i| value.get(..i).unwrap_or_default());
    if memchr::memchr2(b'\r', b'\n', head.trim_ascii()).is_some() {
        unfold(value)
    } else {
        Cow::Borrowed(value)
    }
}

fn strip_comments(v: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'(', v).is_none() {
        return Cow::Borrowed(v);
    }
    let mut out = Vec::with_capacity(v.len());
    let mut depth = 0usize;
    let mut quoted = false;
    let mut i = 0;
    while let Some(&c) = v.get(i) {
        if quoted {
            out.push(c);
            if c == b'\\' {
                if let Some(&n) = v.get(i + 1) {
                    out.push(n);
                }
                i += 1;
            } else if c == b'"' {
                quoted = false;
            }
        } else if depth > 0 {
            match c {
                b'\\' => i += 1,
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
        } else {
            match c {
                b'(' => depth = 1,
                b'"' => {
                    quoted = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// A raw parameter as written: name (maybe with `*n*`) and value octets (quotes removed;
/// borrowed unless a quoted-pair had to be undone).
struct RawParam<'a> {
    /// The name as written (lowercased and interned by [`intern_param`] where it is kept).
    name: &'a [u8],
    value: Cow<'a, [u8]>,
}

/// A parameter value as text: borrowed when common, copied when plain (UTF-8, no encoded
/// word, no line break), decoded otherwise.
fn param_text(value: &[u8], opts: TextOptions) -> Cow<'static, str> {
    let plain = memchr::memchr3(b'\r', b'\n', b'?', value).is_none();
    if plain && let Ok(t) = core::str::from_utf8(value) {
        return match param_value(value) {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Owned(t.to_string()),
        };
    }
    let value = param_phrase(value, opts);
    // no header injection through a decoded parameter (a file name, say)
    Cow::Owned(if value.contains(['\r', '\n']) { value.replace(['\r', '\n'], "") } else { value })
}

/// A parameter value as text: RFC 2047 encoded words decoded in lenient mode (real mail puts
/// them in file names), left as written in strict mode (RFC 2047 section 5: never in a
/// parameter; RFC 2231 is the way); raw octets through the fallback chain.
fn param_phrase(value: &[u8], opts: TextOptions) -> String {
    if opts.lenient {
        decode_phrase(value, opts.raw)
    } else {
        let mut out = String::new();
        crate::text::raw_to_string(value, opts.raw, &mut out);
        out
    }
}

fn intern_param(name: &[u8]) -> Cow<'static, str> {
    match find_keyword(name, param_name) {
        Some(c) => Cow::Borrowed(c),
        None => Cow::Owned(String::from_utf8_lossy(name).to_ascii_lowercase()),
    }
}

fn is_tspecial_end(c: u8) -> bool {
    c == b';'
}

/// True when white space at `i` is followed by `token=` (a parameter missing its `;`).
fn next_is_param(s: &[u8], mut i: usize) -> bool {
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    let start = i;
    while let Some(&c) = s.get(i) {
        if c == b'=' {
            return i > start;
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'*' | b'.')) {
            return false;
        }
        i += 1;
    }
    false
}

/// Splits `; name=value` pairs leniently, handing each to `each`. Returns whether the limit
/// was hit.
fn split_params<'a>(s: &'a [u8], limit: usize, mut each: impl FnMut(RawParam<'a>)) -> bool {
    let mut count = 0usize;
    let mut i = 0;
    let mut hit = false;
    loop {
        while matches!(s.get(i), Some(b' ' | b'\t' | b';' | b'\r' | b'\n')) {
            i += 1;
        }
        if i >= s.len() {
            break;
        }
        let ns = i;
        while let Some(&c) = s.get(i) {
            if c == b'=' || c == b';' || c == b' ' || c == b'\t' {
                break;
            }
            i += 1;
        }
        let name = s.get(ns..i).unwrap_or_default();
        while matches!(s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if s.get(i) != Some(&b'=') {
            // a bare word: kept as a parameter without a value, then skip to the next ';'
            let bare = s
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&c| c != b';')
                .all(u8::is_ascii_whitespace);
            while let Some(&c) = s.get(i) {
                if c == b';' {
                    break;
                }
                i += 1;
            }
            if bare && !name.is_empty() && count < limit {
                count += 1;
                each(RawParam { name, value: Cow::Borrowed(&[]) });
            }
            continue;
        }
        i += 1;
        while matches!(s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let value: Cow<'a, [u8]>;
        if s.get(i) == Some(&b'"') {
            i += 1;
            let vs = i;
            // borrowed up to the first quoted-pair, copied from there on
            let mut owned: Option<Vec<u8>> = None;
            while let Some(&c) = s.get(i) {
                if c == b'\\' {
                    let o = owned.get_or_insert_with(|| s.get(vs..i).unwrap_or_default().to_vec());
                    if let Some(&n) = s.get(i + 1) {
                        o.push(n);
                    }
                    i += 2;
                    continue;
                }
                if c == b'"' {
                    break;
                }
                if let Some(o) = owned.as_mut() {
                    o.push(c);
                }
                i += 1;
            }
            value = match owned {
                Some(o) => Cow::Owned(o),
                None => Cow::Borrowed(s.get(vs..i.min(s.len())).unwrap_or_default()),
            };
            if s.get(i) == Some(&b'"') {
                i += 1;
            }
            // anything after the closing quote up to ';' is ignored
            while let Some(&c) = s.get(i) {
                if is_tspecial_end(c) {
                    break;
                }
                i += 1;
            }
        } else {
            let vs = i;
            while let Some(&c) = s.get(i) {
                if is_tspecial_end(c) {
                    break;
                }
                if (c == b' ' || c == b'\t') && next_is_param(s, i) {
                    break;
                }
                i += 1;
            }
            value = Cow::Borrowed(s.get(vs..i).unwrap_or_default().trim_ascii_end());
        }
        if name.is_empty() {
            continue;
        }
        if count >= limit {
            hit = true;
            break;
        }
        count += 1;
        each(RawParam { name, value });
    }
    hit
}

/// A parameter as written, RFC 2231 style: base name, section number, extended or not,
/// value, order of appearance.
struct Sec<'a> {
    base: String,
    num: Option<u32>,
    ext: bool,
    value: Cow<'a, [u8]>,
    order: usize,
}

/// The lowercase base name, RFC 2231 section number and extended flag (`*` at the end) of a
/// parameter name as written.
fn section_of(name: &[u8]) -> (String, Option<u32>, bool) {
    let interned = intern_param(name);
    let mut name: &str = &interned;
    let mut ext = false;
    if let Some(n) = name.strip_suffix('*') {
        name = n;
        ext = true;
    }
    let (base, num) = match name.rfind('*') {
        Some(star) => {
            let (b, n) = name.split_at(star);
            match n.get(1..).and_then(|d| d.parse::<u32>().ok()) {
                Some(num) => (b, Some(num)),
                None => (name, None),
            }
        }
        None => (name, None),
    };
    (base.to_string(), num, ext)
}

/// The value and language of one parameter from its entries, given sorted by (section or
/// not, section number, appearance): the sections joined when there are any (RFC 2231
/// section 3), the first entry otherwise. Line breaks are removed (no header injection
/// through a decoded parameter, a file name say).
fn group_value<'s, 'a: 's>(
    group: impl Iterator<Item = (bool, u32, &'s Sec<'a>)> + Clone,
    opts: TextOptions,
) -> (String, Option<String>) {
    let has_sections = group.clone().any(|e| e.0);
    let mut language = None;
    let value = if has_sections {
        let mut bytes = Vec::new();
        let mut cs: Option<String> = None;
        let mut last: Option<u32> = None;
        for (sec, num, s) in group {
            if !sec || last == Some(num) {
                continue; // plain duplicate or repeated section
            }
            last = Some(num);
            let mut v: &[u8] = &s.value;
            if s.ext && num == 0 {
                let (c, l, rest) = split_ext(v);
                cs = c;
                language = l;
                v = rest;
            }
            if s.ext {
                bytes.extend_from_slice(&transfer::percent(v));
            } else {
                bytes.extend_from_slice(v);
            }
        }
        decode_ext(cs.as_deref(), &bytes, opts.raw)
    } else if let Some((_, _, first)) = group.clone().next() {
        if first.ext {
            let (cs, l, rest) = split_ext(&first.value);
            language = l;
            decode_ext(cs.as_deref(), &transfer::percent(rest), opts.raw)
        } else {
            param_phrase(&first.value, opts)
        }
    } else {
        String::new()
    };
    let value = if value.contains(['\r', '\n']) { value.replace(['\r', '\n'], "") } else { value };
    (value, language)
}

/// Parses parameters with RFC 2231 reassembly. Returns the params and whether the limit hit.
pub(crate) fn parse_params(s: &[u8], limit: usize, opts: TextOptions) -> (Vec<Param>, bool) {
    if memchr::memchr(b'*', s).is_none() {
        // no RFC 2231 section anywhere: every parameter stands alone
        let mut out = Vec::new();
        let hit = split_params(s, limit, |p| {
            out.push(Param {
                name: intern_param(p.name),
                value: param_text(&p.value, opts),
                language: None,
            });
        });
        return (out, hit);
    }
    let mut raw = Vec::new();
    let hit = split_params(s, limit, |p| raw.push(p));
    let mut secs: Vec<Sec<'_>> = Vec::with_capacity(raw.len());
    for (order, p) in raw.into_iter().enumerate() {
        let (base, num, ext) = section_of(p.name);
        secs.push(Sec { base, num, ext, value: p.value, order });
    }
    // Stable sort by base name then section, keeping first-appearance order of names.
    let mut first_order: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for s in &secs {
        first_order.entry(s.base.as_str()).or_insert(s.order);
    }
    let mut idx: Vec<(usize, bool, u32, usize)> = secs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                first_order.get(s.base.as_str()).copied().unwrap_or(s.order),
                s.num.is_some(),
                s.num.unwrap_or(0),
                i,
            )
        })
        .collect();
    idx.sort_unstable();
    let mut out: Vec<Param> = Vec::new();
    let mut k = 0;
    while let Some(&(fo, _, _, i)) = idx.get(k) {
        let Some(first) = secs.get(i) else { break };
        // group: all entries with the same first order (same base name)
        let mut end = k;
        while idx.get(end).is_some_and(|e| e.0 == fo) {
            end += 1;
        }
        let group = idx.get(k..end).unwrap_or_default();
        let (value, language) = group_value(
            group.iter().filter_map(|&(_, sec, num, j)| secs.get(j).map(|s| (sec, num, s))),
            opts,
        );
        out.push(Param {
            name: Cow::Owned(first.base.clone()),
            value: Cow::Owned(value),
            language,
        });
        k = end;
    }
    (out, hit)
}

fn split_ext(v: &[u8]) -> (Option<String>, Option<String>, &[u8]) {
    let Some(q1) = memchr::memchr(b'\'', v) else { return (None, None, v) };
    let rest = v.get(q1 + 1..).unwrap_or_default();
    let Some(q2) = memchr::memchr(b'\'', rest) else { return (None, None, v) };
    let cs = String::from_utf8_lossy(v.get(..q1).unwrap_or_default()).into_owned();
    let lang = String::from_utf8_lossy(rest.get(..q2).unwrap_or_default()).into_owned();
    (
        (!cs.is_empty()).then_some(cs),
        (!lang.is_empty()).then_some(lang),
        rest.get(q2 + 1..).unwrap_or_default(),
    )
}

fn decode_ext(cs: Option<&str>, bytes: &[u8], raw_cs: RawCharset) -> String {
    if let Some(cs) = cs
        && let Some(s) = charset::decode(cs, bytes)
    {
        return s.into_owned();
    }
    let mut out = String::new();
    crate::text::raw_to_string(bytes, raw_cs, &mut out);
    out
}

/// Parses a Content-Type value. Returns `None` when there is no `type/subtype`.
pub fn parse_content_type(value: &[u8], max_params: usize) -> Option<(ContentType, bool)> {
    parse_content_type_opts(value, max_params, TextOptions::default())
}

/// Like [`parse_content_type`] with explicit text options: `TextOptions::STRICT` leaves RFC
/// 2047 encoded words in parameter values as written (RFC 2047 section 5 forbids them there).
pub fn parse_content_type_opts(
    value: &[u8],
    max_params: usize,
    opts: TextOptions,
) -> Option<(ContentType, bool)> {
    let v = unfold_head(value);
    let v = strip_comments(&v);
    let semi = memchr::memchr(b';', &v).unwrap_or(v.len());
    let (t, st) = type_subtype(v.get(..semi).unwrap_or_default())?;
    let (params, hit) = parse_params(v.get(semi..).unwrap_or_default(), max_params, opts);
    Some((ContentType { media_type: intern(t), subtype: intern(st), params }, hit))
}

/// The type and subtype of a Content-Type's head (the text before its first `;`), each
/// trimmed and checked to be a token-like word; `None` when the head is not `type/subtype`.
fn type_subtype(head: &[u8]) -> Option<(&[u8], &[u8])> {
    let slash = memchr::memchr(b'/', head)?;
    let t = head.get(..slash).unwrap_or_default().trim_ascii();
    let st = head.get(slash + 1..).unwrap_or_default().trim_ascii();
    let valid = |s: &[u8]| !s.is_empty() && s.iter().all(|&c| c.is_ascii_graphic() && c != b'/');
    (valid(t) && valid(st)).then_some((t, st))
}

/// What the parser's decisions need to know of a content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeClass {
    /// Anything that is not multipart or an encapsulated message.
    Leaf,
    /// `multipart/*` other than `multipart/digest`.
    Multipart,
    /// `multipart/digest` (its children default to `message/rfc822`).
    Digest,
    /// `message/rfc822` or `message/global`.
    Message,
}

impl TypeClass {
    /// The class of a parsed type.
    pub(crate) fn of(ct: &ContentType) -> Self {
        if ct.is_multipart() {
            if ct.subtype == "digest" { Self::Digest } else { Self::Multipart }
        } else if ct.is_message() {
            Self::Message
        } else {
            Self::Leaf
        }
    }

    /// The class of a valid `type` and `subtype` (graphic octets), compared ignoring ASCII
    /// case.
    fn of_names(t: &[u8], st: &[u8]) -> Self {
        use crate::swar::is_name;
        if is_name(t, b"multipart") {
            if is_name(st, b"digest") { Self::Digest } else { Self::Multipart }
        } else if is_name(t, b"message") && (is_name(st, b"rfc822") || is_name(st, b"global")) {
            Self::Message
        } else {
            Self::Leaf
        }
    }
}

/// A content type as the parser needs it in tree mode (the tree parses the field in full
/// when it is asked for the type).
#[derive(Debug)]
pub(crate) struct LightType<'a> {
    /// What kind of entity the type makes.
    pub(crate) class: TypeClass,
    /// Whether the parameter limit was hit.
    pub(crate) hit: bool,
    /// The non-empty boundary of a multipart type.
    pub(crate) boundary: Option<Cow<'a, [u8]>>,
}

/// Octets ending a parameter name or an unquoted value in [`fast_boundary`]: `=` and `;`,
/// and what it leaves to the exact reading (comments, quotes, RFC 2231 stars; with white
/// space, controls and non-ASCII).
const TOKEN_STOPS: [u8; 5] = [b'=', b';', b'(', b'"', b'*'];

/// Octets ending a quoted value in [`fast_boundary`]: the closing quote, and what it leaves
/// to the exact reading (quoted-pairs, RFC 2231 stars, the `?` of an encoded word; with
/// controls and non-ASCII).
const QUOTED_STOPS: [u8; 4] = [b'"', b'\\', b'*', b'?'];

/// `boundary`, as a word.
const BOUNDARY: u64 = u64::from_le_bytes(*b"boundary");

/// The letters of `text/pla`, for a comparison ignoring ASCII case.
const TEXT_PLA_CASE: u64 = u64::from_le_bytes([0x20, 0x20, 0x20, 0x20, 0, 0x20, 0x20, 0x20]);

/// The letters of `message/`, for a comparison ignoring ASCII case.
const MESSAGE_CASE: u64 = u64::from_le_bytes([0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0]);

/// Six octets of a word.
const LOW6: u64 = 0xFFFF_FFFF_FFFF;

/// The index of the first octet of `s` from `i` below `lo`, from 0x80 up or among `cs`, or
/// the length of `s`. Eight octets at a time.
fn scan<const N: usize>(s: &[u8], mut i: usize, lo: u8, cs: [u8; N]) -> usize {
    while i < s.len() {
        let m = crate::swar::stops_first(crate::swar::word_padded(s, i), lo, cs);
        if m != 0 {
            // a mark in the zero octets past the end is the end
            return (i + crate::swar::first(m)).min(s.len());
        }
        i += 8;
    }
    s.len()
}

/// The index of the first octet of `s` from `i` that is not white space a parameter value
/// may end with (space, tab, CR, LF).
fn skip_space(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// Like [`parse_content_type`] for the tree: the class of the type, and of the parameters
/// only the boundary of a multipart type, counted only when the limit could be reached.
/// The same class, boundary, limit flag and `None` as the general parse on every value:
/// the common shapes are read eight octets at a time, anything else by the general rules
/// (a comment, a quote or a fold in the head, a boundary to decode, the limit in reach), or
/// by [`split_params`] itself for the parameters of a multipart type.
pub(crate) fn parse_content_type_light(raw: &[u8], max_params: usize) -> Option<LightType<'_>> {
    use crate::swar::word_padded;
    let len = raw.len();
    // the one space after the colon (any other white space is read by the odd head's rules)
    let start = usize::from(raw.first() == Some(&b' '));
    let head = word_padded(raw, start);
    // `text/plain`, the type of most entities, then the `;` or the end: compared at once,
    // or-ing 0x20 into the letters only (it lowercases them and maps nothing else onto one)
    if head | TEXT_PLA_CASE == u64::from_le_bytes(*b"text/pla") {
        let tail = word_padded(raw, start + 8);
        if (tail | 0x2020) & 0xFF_FFFF == u64::from(u32::from_le_bytes(*b"in;\0"))
            || (tail | 0x2020 == u64::from(u16::from_le_bytes(*b"in")) && start + 10 == len)
        {
            let rest = raw.get(start + 10..).unwrap_or_default();
            if could_hit(rest, max_params) {
                return Some(light_counted(raw, TypeClass::Leaf, max_params));
            }
            return Some(LightType { class: TypeClass::Leaf, hit: false, boundary: None });
        }
    }
    light_head(raw, start, head, max_params)
}

/// [`parse_content_type_light`] past `text/plain`: the head read from `start`, whose first
/// word is `head`.
#[inline(never)]
fn light_head(raw: &[u8], start: usize, head: u64, max_params: usize) -> Option<LightType<'_>> {
    use crate::swar::{LOW, first, stops_exact, word_padded};
    let len = raw.len();
    // the head eight octets at a time, marking exactly every octet below `0` (the slash, the
    // quote and the parenthesis among them) or from DEL up, and the `;`: the type, one
    // slash, the subtype, then the `;` or the end
    //
    // the slash: at once after `multipart` and `message` (the types whose class matters),
    // else the first mark, the type's octets before it graphic
    let lower = head | (LOW * 0x20);
    let next = |i| stops_exact(word_padded(raw, i), b'0', [b';']);
    let multipart = lower == u64::from_le_bytes(*b"multipar")
        && raw.get(start + 8).is_some_and(|&c| c | 0x20 == b't')
        && raw.get(start + 9) == Some(&b'/');
    let message = head | MESSAGE_CASE == u64::from_le_bytes(*b"message/");
    let (slash, mut base, mut m) = if multipart {
        (start + 9, start + 10, next(start + 10))
    } else if message {
        (start + 7, start + 8, next(start + 8))
    } else {
        let mut base = start;
        let mut m = stops_exact(head, b'0', [b';']);
        let slash = loop {
            if m == 0 {
                base += 8;
                if base >= len {
                    return light_odd_head(raw, max_params);
                }
                m = next(base);
                continue;
            }
            let p = base + first(m);
            m &= m - 1;
            match raw.get(p) {
                Some(b'/') if p > start => break p,
                Some(b'!' | b'#'..=b'\'' | b')'..=b'.') => {}
                _ => return light_odd_head(raw, max_params),
            }
        };
        (slash, base, m)
    };
    // the subtype's octets graphic, then the `;` or the end
    let semi = loop {
        if m == 0 {
            base += 8;
            if base >= len {
                break len;
            }
            m = next(base);
            continue;
        }
        let p = base + first(m);
        m &= m - 1;
        match raw.get(p) {
            // the zero octets past the end mark the end
            None | Some(b';') => break p.min(len),
            Some(b'!' | b'#'..=b'\'' | b')'..=b'.') => {}
            _ => return light_odd_head(raw, max_params),
        }
    };
    if slash + 1 == semi {
        return light_odd_head(raw, max_params);
    }
    // the class from the type and the length of the subtype, then its first word
    let class = if multipart {
        if semi - slash == 7
            && (word_padded(raw, slash + 1) | (LOW * 0x20)) & LOW6
                == u64::from_le_bytes(*b"digest\0\0")
        {
            TypeClass::Digest
        } else {
            TypeClass::Multipart
        }
    } else if message && semi - slash == 7 {
        let sub = word_padded(raw, slash + 1);
        // `rfc822` with its digits as written, `global` in any case
        let rfc = (sub | 0x20_2020) & LOW6 == u64::from_le_bytes(*b"rfc822\0\0");
        let global = (sub | (LOW * 0x20)) & LOW6 == u64::from_le_bytes(*b"global\0\0");
        if rfc || global { TypeClass::Message } else { TypeClass::Leaf }
    } else {
        // `multipart` and `message` were found from their first word
        TypeClass::Leaf
    };
    let rest = raw.get(semi..).unwrap_or_default();
    if matches!(class, TypeClass::Multipart | TypeClass::Digest) {
        return match leading_boundary(rest, max_params) {
            Fast::Boundary(b) => Some(LightType {
                class,
                hit: false,
                boundary: b.filter(|b| !b.is_empty()).map(Cow::Borrowed),
            }),
            Fast::Unsure => light_multipart(raw, semi, class, max_params),
        };
    }
    if could_hit(rest, max_params) {
        return Some(light_counted(raw, class, max_params));
    }
    Some(LightType { class, hit: false, boundary: None })
}

/// The light parse of a type that is not multipart, when its parameters could reach the
/// limit: counted under the general rules.
#[cold]
#[inline(never)]
fn light_counted(raw: &[u8], class: TypeClass, max_params: usize) -> LightType<'_> {
    let hit = light_general(raw, max_params).is_some_and(|l| l.hit);
    LightType { class, hit, boundary: None }
}

/// The light parse of a head with white space, controls, non-ASCII octets or more than one
/// slash in it, or none.
#[cold]
#[inline(never)]
fn light_odd_head(raw: &[u8], max_params: usize) -> Option<LightType<'_>> {
    let semi = memchr::memchr(b';', raw).unwrap_or(raw.len());
    let head = raw.get(..semi).unwrap_or_default();
    // a comment or a quote in the head, or a fold: the general rules
    if head.trim_ascii().iter().any(|&c| matches!(c, b'(' | b'"' | b'\r' | b'\n')) {
        return light_general(raw, max_params);
    }
    let (t, st) = type_subtype(head)?;
    let class = TypeClass::of_names(t, st);
    if matches!(class, TypeClass::Multipart | TypeClass::Digest) {
        return light_multipart(raw, semi, class, max_params);
    }
    if could_hit(raw.get(semi..).unwrap_or_default(), max_params) {
        return Some(light_counted(raw, class, max_params));
    }
    Some(LightType { class, hit: false, boundary: None })
}

/// The light parse of the parameters of a multipart type from `semi` on, after a head that
/// reads the same under the general rules (no comment, quote or fold in it).
#[inline(never)]
fn light_multipart(
    raw: &[u8],
    semi: usize,
    class: TypeClass,
    max_params: usize,
) -> Option<LightType<'_>> {
    let rest = raw.get(semi..).unwrap_or_default();
    match fast_boundary(rest, max_params) {
        Fast::Boundary(b) => Some(LightType {
            class,
            hit: false,
            boundary: b.filter(|b| !b.is_empty()).map(Cow::Borrowed),
        }),
        Fast::Unsure => light_boundary(raw, rest, class, max_params),
    }
}

/// What [`fast_boundary`] makes of a multipart type's parameters.
enum Fast<'a> {
    /// The first boundary as the general rules read it (maybe empty), if there is one.
    Boundary(Option<&'a [u8]>),
    /// The parameters need the exact reading.
    Unsure,
}

/// [`fast_boundary`] for the shape of most multipart types: `; boundary="text"` or
/// `; boundary=token` first, the limit out of reach. The first boundary decides, and after
/// it only a `*` could change it.
fn leading_boundary(s: &[u8], limit: usize) -> Fast<'_> {
    if could_hit(s, limit) {
        return Fast::Unsure;
    }
    // after the `;`, white space (a fold maybe)
    let mut i = 1;
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    let name = crate::swar::word_padded(s, i) | (crate::swar::LOW * 0x20);
    if name != BOUNDARY || s.get(i + 8) != Some(&b'=') {
        return Fast::Unsure;
    }
    let open = i + 9;
    let (value, after) = match s.get(open) {
        Some(b'"') => {
            let close = scan(s, open + 1, 0x20, QUOTED_STOPS);
            if s.get(close) != Some(&b'"') {
                return Fast::Unsure;
            }
            (s.get(open + 1..close).unwrap_or_default(), close + 1)
        }
        // white space before the value: the exact reading
        Some(b' ' | b'\t') => return Fast::Unsure,
        _ => {
            let mut end = scan(s, open, 0x21, TOKEN_STOPS);
            while s.get(end) == Some(&b'=') {
                end = scan(s, end + 1, 0x21, TOKEN_STOPS);
            }
            let value = s.get(open..end).unwrap_or_default();
            // the value runs to the `;` or the end: white space may end it, nothing else
            let after = skip_space(s, end);
            if s.get(after).is_some_and(|&c| c != b';') || value.contains(&b'?') {
                return Fast::Unsure;
            }
            (value, after)
        }
    };
    let after = s.get(after..).unwrap_or_default();
    if !after.is_empty() && after.contains(&b'*') {
        return Fast::Unsure;
    }
    Fast::Boundary(Some(value))
}

/// The first `boundary` of the parameters `s` (from the `;` ending the head) as
/// [`split_params`] and [`param_text`] read it, for the shapes of nearly all mail:
/// `name=token`, `name="text"` and bare words between separators. [`Fast::Unsure`] when `s`
/// needs the exact reading: anything [`strip_comments`] could change before the boundary (a
/// `(` or a `"` outside a quoted value), an RFC 2231 `*` anywhere (other rules for every
/// parameter), a quoted-pair, white space or junk where a value or a `;` should be, a bare
/// `boundary`, the limit reached, or a boundary [`param_text`] would decode.
///
/// When the limit cannot be reached, the first boundary ends the reading: comments, quotes
/// and junk after it change nothing before it, and only a `*` would.
fn fast_boundary(s: &[u8], limit: usize) -> Fast<'_> {
    let counting = could_hit(s, limit);
    let mut i = 0;
    let mut count = 0usize;
    let mut boundary = None;
    loop {
        while matches!(s.get(i), Some(b' ' | b'\t' | b';' | b'\r' | b'\n')) {
            i += 1;
        }
        if i >= s.len() {
            return Fast::Boundary(boundary);
        }
        // `boundary=` at once (its octets are letters: or-ing 0x20 compares exactly)
        let is_boundary = crate::swar::word_padded(s, i) | (crate::swar::LOW * 0x20) == BOUNDARY
            && s.get(i + 8) == Some(&b'=');
        let name_end = if is_boundary { i + 8 } else { scan(s, i, 0x21, TOKEN_STOPS) };
        if name_end == i {
            return Fast::Unsure;
        }
        match s.get(name_end) {
            Some(b'=') => {}
            // a bare word, nothing but white space after it up to the `;`: counted while
            // under the limit, never hitting it (one named `boundary` takes the exact reading)
            None | Some(b';' | b' ' | b'\t') => {
                let name = s.get(i..name_end).unwrap_or_default();
                i = skip_space(s, name_end);
                if s.get(i).is_some_and(|&c| c != b';') || name.eq_ignore_ascii_case(b"boundary") {
                    return Fast::Unsure;
                }
                if count < limit {
                    count += 1;
                }
                continue;
            }
            _ => return Fast::Unsure,
        }
        i = name_end + 1;
        while matches!(s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let quoted = s.get(i) == Some(&b'"');
        let (value, end) = if quoted {
            let close = scan(s, i + 1, 0x20, QUOTED_STOPS);
            if s.get(close) != Some(&b'"') {
                return Fast::Unsure;
            }
            (s.get(i + 1..close).unwrap_or_default(), close + 1)
        } else {
            let mut end = scan(s, i, 0x21, TOKEN_STOPS);
            while s.get(end) == Some(&b'=') {
                end = scan(s, end + 1, 0x21, TOKEN_STOPS);
            }
            let value = s.get(i..end).unwrap_or_default();
            // an unquoted value runs to the `;`: white space may end it, nothing else
            let after = skip_space(s, end);
            if s.get(after).is_some_and(|&c| c != b';') || is_boundary && value.contains(&b'?') {
                return Fast::Unsure;
            }
            (value, after)
        };
        if is_boundary && boundary.is_none() {
            if !counting {
                let after = s.get(end..).unwrap_or_default();
                return if after.contains(&b'*') {
                    Fast::Unsure
                } else {
                    Fast::Boundary(Some(value))
                };
            }
            boundary = Some(value);
        }
        // after a quoted value, nothing but white space up to the next `;`
        i = skip_space(s, end);
        if s.get(i).is_some_and(|&c| c != b';') || count >= limit {
            return Fast::Unsure;
        }
        count += 1;
    }
}

/// Whether [`strip_comments`] finds a comment in `s`, read from outside any quotes.
fn has_comment(s: &[u8]) -> bool {
    if memchr::memchr(b'(', s).is_none() {
        return false;
    }
    let mut quoted = false;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if quoted {
            match c {
                b'\\' => i += 1,
                b'"' => quoted = false,
                _ => {}
            }
        } else {
            match c {
                b'(' => return true,
                b'"' => quoted = true,
                _ => {}
            }
        }
        i += 1;
    }
    false
}

/// The boundary of a multipart type whose parameters `rest` the fast scans left: by
/// [`split_params`] itself when they have neither a comment nor an RFC 2231 `*`, by
/// [`light_sections`] with a `*`, by the general rules with a comment or a boundary to
/// decode.
fn light_boundary<'a>(
    raw: &'a [u8],
    rest: &'a [u8],
    class: TypeClass,
    max_params: usize,
) -> Option<LightType<'a>> {
    if has_comment(rest) {
        return light_general(raw, max_params);
    }
    if memchr::memchr(b'*', rest).is_some() {
        return Some(light_sections(rest, class, max_params));
    }
    let mut boundary: Option<&[u8]> = None;
    let mut decodable = true;
    let hit = split_params(rest, max_params, |p| {
        if boundary.is_none() && p.name.eq_ignore_ascii_case(b"boundary") {
            match p.value {
                Cow::Borrowed(b) if is_plain_value(b) => boundary = Some(b),
                _ => decodable = false,
            }
        }
    });
    if !decodable {
        return light_general(raw, max_params);
    }
    let boundary = boundary.filter(|b| !b.is_empty()).map(Cow::Borrowed);
    Some(LightType { class, hit, boundary })
}

/// The boundary of a multipart type whose parameters `rest` have an RFC 2231 `*` and no
/// comment, by the general rules for the boundary's entries alone: every name whose base
/// is `boundary` (`boundary*`, `boundary*0`, ...), sorted and joined as [`parse_params`]
/// does.
fn light_sections(rest: &[u8], class: TypeClass, max_params: usize) -> LightType<'static> {
    let (mut secs, hit) = if let Some(secs) = fast_sections(rest, max_params) {
        (secs, false)
    } else {
        let mut secs: Vec<Sec<'_>> = Vec::new();
        let hit = split_params(rest, max_params, |p| {
            if let Some((num, ext)) = boundary_section(p.name) {
                let order = secs.len();
                secs.push(Sec { base: String::new(), num, ext, value: p.value, order });
            }
        });
        (secs, hit)
    };
    // sections by number after the plain entries, each in the order written
    secs.sort_by_key(|s| (s.num.is_some(), s.num.unwrap_or(0)));
    let boundary = if secs.is_empty() {
        None
    } else {
        let entries = secs.iter().map(|s| (s.num.is_some(), s.num.unwrap_or(0), s));
        let (value, _) = group_value(entries, TextOptions::default());
        (!value.is_empty()).then(|| Cow::Owned(value.into_bytes()))
    };
    LightType { class, hit, boundary }
}

/// The entries whose base name is `boundary` of parameters `s` without a comment, as
/// [`split_params`] reads them, for the shapes of nearly all mail: `name=token` and
/// `name="text"` between separators, RFC 2231 stars and percent escapes allowed, fewer
/// than `limit` of them. `None` when `s` needs [`split_params`] itself: a quote outside a
/// quoted value, a quoted-pair, white space or junk where a value or a `;` should be, a
/// bare word named like a boundary section, the limit reached, a NUL or non-ASCII octet.
fn fast_sections(s: &[u8], limit: usize) -> Option<Vec<Sec<'_>>> {
    const NAME_STOPS: [u8; 4] = [b'=', b';', b'(', b'"'];
    let mut secs = Vec::new();
    let mut i = 0;
    let mut count = 0usize;
    loop {
        while matches!(s.get(i), Some(b' ' | b'\t' | b';' | b'\r' | b'\n')) {
            i += 1;
        }
        if i >= s.len() {
            return Some(secs);
        }
        let name_end = scan(s, i, 0x21, NAME_STOPS);
        let name = s.get(i..name_end).filter(|n| !n.is_empty())?;
        match s.get(name_end) {
            Some(b'=') => {}
            // a bare word, nothing but white space after it up to the `;`
            None | Some(b';' | b' ' | b'\t') => {
                i = skip_space(s, name_end);
                if s.get(i).is_some_and(|&c| c != b';') || boundary_section(name).is_some() {
                    return None;
                }
                if count < limit {
                    count += 1;
                }
                continue;
            }
            _ => return None,
        }
        i = name_end + 1;
        while matches!(s.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let (value, end) = if s.get(i) == Some(&b'"') {
            let close = scan(s, i + 1, 1, [b'"', b'\\']);
            if s.get(close) != Some(&b'"') {
                return None;
            }
            (s.get(i + 1..close).unwrap_or_default(), skip_space(s, close + 1))
        } else {
            let mut end = scan(s, i, 0x21, NAME_STOPS);
            while s.get(end) == Some(&b'=') {
                end = scan(s, end + 1, 0x21, NAME_STOPS);
            }
            (s.get(i..end).unwrap_or_default(), skip_space(s, end))
        };
        // nothing but white space up to the next `;`
        if s.get(end).is_some_and(|&c| c != b';') || count >= limit {
            return None;
        }
        count += 1;
        if let Some((num, ext)) = boundary_section(name) {
            let order = secs.len();
            secs.push(Sec { base: String::new(), num, ext, value: Cow::Borrowed(value), order });
        }
        i = end;
    }
}

/// The RFC 2231 section number and extended flag of a parameter name whose base name is
/// `boundary` (as [`section_of`] reads it: any case, then an optional `*` and a number, then
/// an optional `*`); `None` for any other name.
fn boundary_section(name: &[u8]) -> Option<(Option<u32>, bool)> {
    let (head, tail) = name.split_at_checked(8)?;
    if !head.eq_ignore_ascii_case(b"boundary") {
        return None;
    }
    let (tail, ext) = match tail.strip_suffix(b"*") {
        Some(t) => (t, true),
        None => (tail, false),
    };
    if tail.is_empty() {
        return Some((None, ext));
    }
    let digits = tail.strip_prefix(b"*")?;
    let num = core::str::from_utf8(digits).ok()?.parse::<u32>().ok()?;
    Some((Some(num), ext))
}

/// Whether parameters in `rest` could reach the limit: every parameter takes at least two
/// octets (a name and a separator), so below that length nothing needs counting.
fn could_hit(rest: &[u8], max_params: usize) -> bool {
    rest.len() / 2 >= max_params
}

/// True for a parameter value that [`param_text`] keeps as it is.
fn is_plain_value(value: &[u8]) -> bool {
    memchr::memchr3(b'\r', b'\n', b'?', value).is_none() && core::str::from_utf8(value).is_ok()
}

/// The light parse under the general rules (comments stripped, folds undone).
fn light_general(value: &[u8], max_params: usize) -> Option<LightType<'static>> {
    let v = unfold_head(value);
    let v = strip_comments(&v);
    let semi = memchr::memchr(b';', &v).unwrap_or(v.len());
    let (t, st) = type_subtype(v.get(..semi).unwrap_or_default())?;
    if t.eq_ignore_ascii_case(b"multipart") {
        return parse_content_type_opts(value, max_params, TextOptions::default()).map(
            |(ct, hit)| LightType {
                class: TypeClass::of(&ct),
                hit,
                boundary: ct.boundary().map(|b| Cow::Owned(b.as_bytes().to_vec())),
            },
        );
    }
    let rest = v.get(semi..).unwrap_or_default();
    let hit = could_hit(rest, max_params) && split_params(rest, max_params, |_| {});
    Some(LightType { class: TypeClass::of_names(t, st), hit, boundary: None })
}

/// The parameters of a Content-Type value whose `type/subtype` is invalid (they still apply
/// to the `text/plain` assumed in its place).
pub(crate) fn params_of_invalid(value: &[u8], max_params: usize) -> Vec<Param> {
    let v = unfold(value);
    let v = strip_comments(&v);
    match memchr::memchr(b';', &v) {
        Some(semi) => {
            parse_params(v.get(semi..).unwrap_or_default(), max_params, TextOptions::default()).0
        }
        None => Vec::new(),
    }
}

/// Parses a Content-Disposition value. Returns `None` when there is no disposition type.
pub fn parse_disposition(value: &[u8], max_params: usize) -> Option<(ContentDisposition, bool)> {
    parse_disposition_opts(value, max_params, TextOptions::default())
}

/// Like [`parse_disposition`] with explicit text options (see [`parse_content_type_opts`]).
pub fn parse_disposition_opts(
    value: &[u8],
    max_params: usize,
    opts: TextOptions,
) -> Option<(ContentDisposition, bool)> {
    let v = unfold_head(value);
    let v = strip_comments(&v);
    let semi = memchr::memchr(b';', &v).unwrap_or(v.len());
    let head = v.get(..semi).unwrap_or_default().trim_ascii();
    if head.is_empty() || head.contains(&b'=') {
        return None;
    }
    let (params, hit) = parse_params(v.get(semi..).unwrap_or_default(), max_params, opts);
    Some((
        ContentDisposition { kind: String::from_utf8_lossy(head).to_ascii_lowercase(), params },
        hit,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(s: &str) -> ContentType {
        parse_content_type(s.as_bytes(), 100).unwrap().0
    }

    #[test]
    fn rfc2045_examples() {
        let c = ct("text/plain; charset=us-ascii (Plain text)");
        assert!(c.is("text", "plain"));
        assert_eq!(c.param("charset"), Some("us-ascii"));
        let c = ct("Text/Plain; CHARSET=\"us-ascii\"");
        assert_eq!(c.param("charset"), Some("us-ascii"));
        let c = ct("multipart/mixed; boundary=\"simple boundary\"");
        assert_eq!(c.boundary(), Some("simple boundary"));
        assert!(parse_content_type(b"text", 10).is_none());
        assert!(parse_content_type(b"", 10).is_none());
    }

    #[test]
    fn rfc2231_examples() {
        let c = ct(
            "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
        );
        assert_eq!(c.param("url"), Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"));
        let c =
            ct("application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
        assert_eq!(c.param("title"), Some("This is ***fun***"));
        assert_eq!(c.params[0].language.as_deref(), Some("en-us"));
        let c = ct(
            "application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20\r\n title*2=\"isn't it!\"",
        );
        assert_eq!(c.param("title"), Some("This is even more ***fun*** isn't it!"));
        // out of order and a split UTF-8 character
        let c = ct("a/b; n*1*=%A9.txt; n*0*=utf-8''caf%C3");
        assert_eq!(c.param("n"), Some("café.txt"));
    }

    #[test]
    fn disposition() {
        let (d, _) = parse_disposition(b"attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\";", 10).unwrap();
        assert_eq!(d.kind, "attachment");
        assert_eq!(d.param("filename"), Some("genome.jpeg"));
        assert_eq!(TransferEncoding::parse(b" Base64 (x)"), TransferEncoding::Base64);
    }

    #[test]
    fn transfer_encodings_compare_ignoring_case_only() {
        let names: [&[u8]; 5] = [b"7bit", b"8bit", b"base64", b"quoted-printable", b"binary"];
        for name in names {
            let expect = TransferEncoding::parse(&[b"(c) ", name].concat());
            assert_eq!(TransferEncoding::parse(name), expect);
            assert_eq!(TransferEncoding::parse(&name.to_ascii_uppercase()), expect);
            assert_eq!(TransferEncoding::parse(&[b" ", name, b" \r"].concat()), expect);
            // every octet at every position: only a change of case keeps the name
            for pos in 0..name.len() {
                for c in 0..=255u8 {
                    let mut v = name.to_vec();
                    v[pos] = c;
                    let slow = if v.eq_ignore_ascii_case(name) {
                        expect.clone()
                    } else {
                        TransferEncoding::parse(&[b"(c) ", &v[..]].concat())
                    };
                    assert_eq!(TransferEncoding::parse(&v), slow, "{v:?}");
                }
            }
        }
    }

    #[test]
    fn param_limit() {
        let mut s = String::from("a/b");
        for i in 0..50 {
            std::fmt::Write::write_fmt(&mut s, format_args!("; p*{i}=x")).unwrap();
        }
        let (c, hit) = parse_content_type(s.as_bytes(), 10).unwrap();
        assert!(hit);
        assert_eq!(c.param("p"), Some("xxxxxxxxxx"));
    }
}

#[cfg(test)]
mod light_tests {
    use super::*;
    use proptest::prelude::*;

    /// What the tree needs of a Content-Type, from the general parse.
    fn general(v: &[u8], max: usize) -> Option<(TypeClass, Option<Vec<u8>>, bool)> {
        parse_content_type_opts(v, max, TextOptions::default()).map(|(ct, hit)| {
            let class = TypeClass::of(&ct);
            let boundary = matches!(class, TypeClass::Multipart | TypeClass::Digest)
                .then(|| ct.boundary().map(|b| b.as_bytes().to_vec()))
                .flatten();
            (class, boundary, hit)
        })
    }

    /// The same from the light parse.
    fn light(v: &[u8], max: usize) -> Option<(TypeClass, Option<Vec<u8>>, bool)> {
        parse_content_type_light(v, max).map(|l| (l.class, l.boundary.map(|b| b.to_vec()), l.hit))
    }

    fn agree(v: &[u8], max: usize) {
        assert_eq!(light(v, max), general(v, max), "{:?} max {max}", String::from_utf8_lossy(v));
    }

    #[test]
    fn light_agrees_on_known_shapes() {
        let values: &[&[u8]] = &[
            b" text/plain; charset=us-ascii",
            b" text/plain; charset=\"us-ascii\" ; format=\"flowed\"",
            b" multipart/mixed; boundary=\"BOUNDARY\"",
            b" multipart/report; boundary=\"Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)\"",
            b" multipart/report; boundary=\"Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)\" (c)",
            b" multipart/report; boundary=Boundary_(ID_PGS2F2a)",
            b" multipart/report; a=\"x(\" boundary=\"b\"",
            b" multipart/report; a=x\"y; boundary=(c)z\"",
            b" multipart/report; a=\"x\\\"(\"; boundary=b",
            b" multipart/report; a=\"x\\\\\"(c); boundary=b",
            b" multipart/report; a=\"x\"(c); boundary=b",
            b" multipart/report; a=\"x\" y=z; boundary=b",
            b" multipart/report; boundary=\"abc ",
            b" multipart/report; boundary=\"abc(",
            b" multipart/report; boundary=abc \r\n ",
            b" multipart/report; boundary=abc b=c",
            b" multipart/report; boundary=abc\t ; b=c",
            b" multipart/report; boundary==_abc=",
            b" multipart/report; boundary=\"a?b\"",
            b" multipart/report; boundary=a?b",
            b" multipart/report; boundary=\"caf\xc3\xa9\"",
            b" multipart/report; boundary=\"caf\xc3\"",
            b" multipart/report; boundary",
            b" multipart/report; boundary; boundary=x",
            b" multipart/report; boundary=; boundary=x",
            b" multipart/report; Boundary=x; boundary=y",
            b" multipart/report; =x; boundary=y",
            b" multipart/report; boundary =x",
            b" multipart/report; boundary= x",
            b" multipart/report; boundary*=us-ascii''x",
            b" multipart/signed; micalg*=ansi-x3.4-1968''pgp-md5;\n\tprotocol*=ansi-x3.4-1968''application%2Fpgp-signature;\n\tboundary*=\"ansi-x3.4-1968''EeQfGwPcQSOJBaQU\"",
            b" multipart/report; boundary*1=y; boundary*0=x; boundary=z; boundary*1=w",
            b" multipart/report; boundary*0*=utf-8''%41; boundary*1=\"b\\\"c\"",
            b" multipart/report; boundary=\"b\"(c; d*=1)",
            b" multipart/report; boundary=(c)b",
            b" multipart/report; boundary=b(c)",
            b" multipart/report; boundary=\"b\" junk; x*=1",
            b" text/plain;",
            b" Text/PLAIN",
            b" text\x0fplain",
            b" text/plain\x00",
            b" text/plain\x00;",
            b" text/plainx",
            b" text/plai",
            b" text/plain ;",
            b" text/plain\t",
            b" text/pla;n",
            b" text/plaIn; a=1; b=2; c=3; d=4",
            b"text/plain",
            b"  text/plain",
            b"\ttext/plain",
            b" application/vnd.ms-excel+xml!#$%&'*,; x=y",
            b" a-b/c.d; boundary=x",
            b" multi-part/mixed; boundary=x",
            b" multipart/mixed-x; boundary=x",
            b" multipart/mixed; BOUNDARY=x",
            b" multipart/mixed; boundary=x; boundary=y",
            b" multipart/mixed; boundary=x y",
            b" multipart/mixed; boundary=x ;y=*",
            b" multipart/mixed; boundary=\"x\" ;y=*",
            b" multipart/mixed; boundary=\"x\" y",
            b" multipart/mixed; boundary=\t\"x\"",
            b" multipart/mixed;boundary=x",
            b" multipart/mixed;; boundary=x",
            b" multipart/mixed;\r\n boundary=x",
            b" text/html",
            b" TEXT/HTML;",
            b" text\x0fhtml",
            b" Application/Octet-Stream; name=x",
            b" application\x0foctet-stream",
            b" application/octet\x0dstream",
            b" message/rfc822;",
            b" message/rfc822x",
            b" message/rfc\x18\x12\x12",
            b" MESSAGE/RFC822 ",
            b" multiparx/mixed; boundary=x",
            b" multipar/mixed; boundary=x",
            b" multipartx/mixed; boundary=x",
            b" MULTIPARt/digest; boundary=x",
            b" messagex/rfc822",
            b" messag/rfc822",
            b" message\x0frfc822",
            b" message/RFC822",
            b" message/Rfc822x",
            b" message/rfc82",
            b" message/globa1",
            b" multipart/DIGESTS",
            b" Multipart/dIgEsT ; boundary=x",
            b" multipart/digest;",
            b" multipart/report; a*=x; boundary=y",
            b" multipart/report; a=\"*\"; boundary=y",
            b" multipart/report;\r\n\tboundary=\"x\"\r",
            b" multipart/\r\n mixed; boundary=x",
            b" multipart/mixed (c); boundary=x",
            b" multipart/mixed; boundary=x (c)",
            b" multipart /mixed; boundary=x",
            b" multipart/mixed/x; boundary=x",
            b" multipart/; boundary=x",
            b" /mixed; boundary=x",
            b" \"multipart/mixed\"; boundary=x",
            b" multipart/digest; boundary=x",
            b" MULTIPART/DIGEST; boundary=x",
            b" message/rfc822",
            b" Message/Global",
            b" message/partial; id=x",
            b" text",
            b"",
            b" ",
            b"a/b",
            b"a/b ",
            b" a/b\r",
            b" text/plain\x0b",
            b" text/pl\xc3\xa9in",
            b" text/plain\x7f",
            b" text/plain(c)",
            b" text/plain(c",
        ];
        for v in values {
            for max in 0..4 {
                agree(v, max);
            }
            agree(v, 1000);
        }
    }

    #[test]
    fn boundary_sections_are_read_as_section_of_reads_them() {
        let tails: [&[u8]; 16] = [
            b"",
            b"*",
            b"**",
            b"*0",
            b"*0*",
            b"*12",
            b"*+1",
            b"*-1",
            b"*1*2",
            b"*x",
            b"x",
            b"*99999999999",
            b"*\xff",
            b"*\xff*",
            b"*01*",
            b"*4294967295",
        ];
        for head in [&b"boundary"[..], b"BOUNDARY", b"Boundar", b"boundarx", b"boundary\xff"] {
            for tail in tails {
                let name = [head, tail].concat();
                let (base, num, ext) = section_of(&name);
                let expect = (base == "boundary").then_some((num, ext));
                assert_eq!(boundary_section(&name), expect, "{name:?}");
            }
        }
    }

    #[test]
    fn light_takes_a_parenthesis_in_a_quoted_boundary_as_text() {
        let v = b" multipart/report; boundary=\"Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)\"";
        let l = parse_content_type_light(v, 1000).unwrap();
        assert_eq!(l.class, TypeClass::Multipart);
        assert!(!l.hit);
        assert_eq!(l.boundary.as_deref(), Some(&b"Boundary_(ID_PGS2F2a+z+/jL7hupKgRhA)"[..]));
        // outside the quotes it is a comment
        let v = b" multipart/report; boundary=\"Boundary_\"(ID_PGS2F2a+z+/jL7hupKgRhA)";
        let l = parse_content_type_light(v, 1000).unwrap();
        assert_eq!(l.boundary.as_deref(), Some(&b"Boundary_"[..]));
    }

    /// Pieces of Content-Type values, mixing the shapes the light parse reads differently.
    fn arb_value() -> impl Strategy<Value = Vec<u8>> {
        let head = prop_oneof![
            Just(&b" multipart/mixed"[..]),
            Just(&b" MultiPart/Digest"[..]),
            Just(&b" multipart/digest"[..]),
            Just(&b" multipart /alternative"[..]),
            Just(&b" multipart/mixed (c)"[..]),
            Just(&b" multipart(c)/mixed"[..]),
            Just(&b" multipart/\r\n mixed"[..]),
            Just(&b"multipart/related"[..]),
            Just(&b" \"multipart/mixed\""[..]),
            Just(&b" multipart/mi\"xed"[..]),
            Just(&b" multipart/"[..]),
            Just(&b" text/plain"[..]),
            Just(&b" text/plain "[..]),
            Just(&b" Text/HTML\t"[..]),
            Just(&b" message/rfc822"[..]),
            Just(&b" MESSAGE/global"[..]),
            Just(&b" message/partial"[..]),
            Just(&b" a/b/c"[..]),
            Just(&b" text"[..]),
            Just(&b" /x"[..]),
            Just(&b""[..]),
            Just(&b" x\x01/y\xff"[..]),
        ];
        let param = prop_oneof![
            Just(&b"; boundary=b"[..]),
            Just(&b"; boundary=\"b\""[..]),
            Just(&b"; boundary=\"b(c)d\""[..]),
            Just(&b"; boundary=\"b\\\"c\""[..]),
            Just(&b"; boundary=\"b\\(c\""[..]),
            Just(&b"; boundary=(c)b"[..]),
            Just(&b"; boundary=\"(c\""[..]),
            Just(&b"; boundary=\"b\" (c)"[..]),
            Just(&b"; boundary=\"b\"x"[..]),
            Just(&b"; boundary=\"b"[..]),
            Just(&b"; boundary="[..]),
            Just(&b"; boundary=\"\""[..]),
            Just(&b"; boundary=\"a b\""[..]),
            Just(&b"; boundary=\"a?b\""[..]),
            Just(&b"; boundary==?utf-8?q?b?="[..]),
            Just(&b"; boundary=\"\xc3\xa9\""[..]),
            Just(&b"; boundary=\"\xc3\""[..]),
            Just(&b"; boundary*=utf-8''b"[..]),
            Just(&b"; boundary*0=b; boundary*1=c"[..]),
            Just(&b"; boundary*0*=utf-8''b%41"[..]),
            Just(&b"; BOUNDARY*=us-ascii'en'c"[..]),
            Just(&b"; boundary*1=\"c\""[..]),
            Just(&b"; boundary*=''"[..]),
            Just(&b"; boundary*=x"[..]),
            Just(&b"; Boundary*0*=''%0D%0Ab"[..]),
            Just(&b"; boundary*+1=c"[..]),
            Just(&b"; boundary*00=c"[..]),
            Just(&b"; boundary**=c"[..]),
            Just(&b"; boundary*x=c"[..]),
            Just(&b"; boundaryx*=c"[..]),
            Just(&b"; boundary\xc3\xa9*=c"[..]),
            Just(&b"; BOUNDARY=c"[..]),
            Just(&b"; boundary = c"[..]),
            Just(&b"; boundary"[..]),
            Just(&b" (comment)"[..]),
            Just(&b" (a \"quoted\" comment)"[..]),
            Just(&b" (a (nested) comment)"[..]),
            Just(&b" (unclosed"[..]),
            Just(&b" )"[..]),
            Just(&b"\""[..]),
            Just(&b"\\"[..]),
            Just(&b"; charset=utf-8"[..]),
            Just(&b"; charset=\"utf-8\""[..]),
            Just(&b"; name=\"a;b\""[..]),
            Just(&b"; name=\"a*b\""[..]),
            Just(&b"; x*=a"[..]),
            Just(&b"\r\n\t; boundary=b"[..]),
            Just(&b"\r\n "[..]),
            Just(&b"\r"[..]),
            Just(&b" "[..]),
            Just(&b"\x0c"[..]),
            Just(&b";;"[..]),
            Just(&b";"[..]),
            Just(&b"; a=1 b=2"[..]),
            Just(&b"; a=1 ; b=2"[..]),
            Just(&b"; a=1 b"[..]),
            Just(&b"; =1"[..]),
            Just(&b"; x"[..]),
            Just(&b"; x y"[..]),
            Just(&b"; a=x=y"[..]),
            Just(&b"; a=\xff"[..]),
            Just(&b"; a=\x7f"[..]),
            Just(&b"; a=\x01"[..]),
        ];
        (head, proptest::collection::vec(param, 0..8)).prop_map(|(h, ps)| {
            let mut v = h.to_vec();
            for p in ps {
                v.extend_from_slice(p);
            }
            v
        })
    }

    /// Values of octets that mean something to one of the parses.
    fn arb_octets() -> impl Strategy<Value = Vec<u8>> {
        let pieces = prop_oneof![
            Just(&b" "[..]),
            Just(&b"\t"[..]),
            Just(&b"\r\n "[..]),
            Just(&b"\r"[..]),
            Just(&b"\n"[..]),
            Just(&b";"[..]),
            Just(&b"="[..]),
            Just(&b"\""[..]),
            Just(&b"("[..]),
            Just(&b")"[..]),
            Just(&b"\\"[..]),
            Just(&b"*"[..]),
            Just(&b"?"[..]),
            Just(&b"/"[..]),
            Just(&b"'"[..]),
            Just(&b"%41"[..]),
            Just(&b"\xc3\xa9"[..]),
            Just(&b"\xff"[..]),
            Just(&b"\x00"[..]),
            Just(&b"\x0b"[..]),
            Just(&b"\x0c"[..]),
            Just(&b"\x7f"[..]),
            Just(&b"x"[..]),
            Just(&b"0"[..]),
            Just(&b"boundary"[..]),
            Just(&b"Boundary"[..]),
            Just(&b"multipart"[..]),
            Just(&b"message"[..]),
            Just(&b"digest"[..]),
            Just(&b"rfc822"[..]),
            Just(&b"text/plain"[..]),
            Just(&b"multipart/mixed"[..]),
        ];
        proptest::collection::vec(pieces, 0..16).prop_map(|ps| ps.concat())
    }

    /// Type and subtype names with one octet changed, around the names the light parse
    /// compares a word at a time.
    fn arb_head() -> impl Strategy<Value = Vec<u8>> {
        let names = prop_oneof![
            Just(&b"multipart"[..]),
            Just(&b"message"[..]),
            Just(&b"text"[..]),
            Just(&b"plain"[..]),
            Just(&b"digest"[..]),
            Just(&b"rfc822"[..]),
            Just(&b"global"[..]),
            Just(&b"mixed"[..]),
            Just(&b"application"[..]),
            Just(&b"html"[..]),
            Just(&b"octet-stream"[..]),
        ];
        let octet = prop_oneof![
            Just(0u8),
            Just(0x0F),
            Just(0x14),
            Just(0x12),
            Just(b' '),
            Just(b'/'),
            Just(b';'),
            Just(b'-'),
            Just(b'('),
            Just(b'"'),
            Just(b'x'),
            Just(b'T'),
            Just(b'P'),
            Just(b'2'),
            Just(0x7F),
            Just(0xD4),
        ];
        // a name changed at one place: replaced, removed, or with an octet added
        let changed = (names, 0usize..12, octet, 0u8..4).prop_map(|(n, at, c, how)| {
            let mut n = n.to_vec();
            let at = at.min(n.len());
            match how {
                0 if at < n.len() => n[at] = c,
                1 if at < n.len() => {
                    n.remove(at);
                }
                2 => n.insert(at, c),
                _ => n.make_ascii_uppercase(),
            }
            n
        });
        let params = prop_oneof![
            Just(&b""[..]),
            Just(&b";"[..]),
            Just(&b"; boundary=\"b\""[..]),
            Just(&b"; boundary=b"[..]),
            Just(&b"; charset=x"[..]),
        ];
        (changed.clone(), changed, params)
            .prop_map(|(t, st, p)| [&b" "[..], &t, b"/", &st, p].concat())
    }

    /// Many parameters, around any small limit.
    fn arb_many() -> impl Strategy<Value = Vec<u8>> {
        let head = prop_oneof![
            Just(&b" multipart/mixed"[..]),
            Just(&b" text/plain"[..]),
            Just(&b" message/rfc822"[..]),
        ];
        let param = prop_oneof![
            Just(&b"; a=1"[..]),
            Just(&b";a=\"1\""[..]),
            Just(&b"; b"[..]),
            Just(&b";"[..]),
            Just(&b" c=2"[..]),
            Just(&b"; boundary=x"[..]),
            Just(&b"; boundary=\"(y)\""[..]),
            Just(&b"; (c)"[..]),
            Just(&b"; (d=1)"[..]),
            Just(&b"; =2"[..]),
            Just(&b"; e*=3"[..]),
        ];
        (head, proptest::collection::vec(param, 0..12)).prop_map(|(h, ps)| {
            let mut v = h.to_vec();
            for p in ps {
                v.extend_from_slice(p);
            }
            v
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn light_agrees_with_the_general_parse(v in arb_value(), max in 0usize..6) {
            prop_assert_eq!(light(&v, max), general(&v, max));
            prop_assert_eq!(light(&v, 1000), general(&v, 1000));
        }

        #[test]
        fn light_agrees_on_odd_octets(v in arb_octets(), max in 0usize..4) {
            prop_assert_eq!(light(&v, max), general(&v, max));
            prop_assert_eq!(light(&v, 1000), general(&v, 1000));
        }

        #[test]
        fn light_agrees_on_changed_names(v in arb_head(), max in 0usize..3) {
            prop_assert_eq!(light(&v, max), general(&v, max));
            prop_assert_eq!(light(&v, 1000), general(&v, 1000));
        }

        #[test]
        fn light_agrees_around_the_limit(v in arb_many(), max in 0usize..12) {
            prop_assert_eq!(light(&v, max), general(&v, max));
        }

        #[test]
        fn light_agrees_on_any_octets(v in proptest::collection::vec(any::<u8>(), 0..40), max in 0usize..4) {
            let mut m = b" multipart/mixed; ".to_vec();
            m.extend_from_slice(&v);
            prop_assert_eq!(light(&m, max), general(&m, max));
            prop_assert_eq!(light(&v, max), general(&v, max));
        }
    }
}
