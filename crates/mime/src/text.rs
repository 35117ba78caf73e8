//! Header text: unfolding and RFC 2047 encoded words.

use std::borrow::Cow;

use crate::charset;
use crate::transfer;

/// How raw 8-bit octets in header text (outside encoded words) are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RawCharset {
    /// UTF-8, each ill-formed sequence becoming U+FFFD.
    Utf8Lossy,
    /// UTF-8 when well-formed, else the named charset, else windows-1252 (RFC 6532 mail first,
    /// then the legacy mail of a known origin, then the most common legacy charset).
    #[default]
    Fallback,
    /// Like `Fallback`, with this charset label tried second.
    FallbackWith(&'static str),
}

/// Options of header text decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TextOptions {
    /// Decode encoded words also where RFC 2047 forbids them (inside a word, inside quoted
    /// strings). Real mail puts them there; default true.
    pub lenient: bool,
    /// How raw 8-bit octets are read.
    pub raw: RawCharset,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self { lenient: true, raw: RawCharset::Fallback }
    }
}

impl TextOptions {
    /// Strict RFC 2047: encoded words only as whole white-space-separated words.
    pub const STRICT: Self = Self { lenient: false, raw: RawCharset::Fallback };
    /// Lenient encoded words, raw octets read as UTF-8 with U+FFFD for ill-formed sequences
    /// (the normalisation of the MIME summary format).
    pub const LENIENT_LOSSY: Self = Self { lenient: true, raw: RawCharset::Utf8Lossy };
}

pub(crate) fn raw_to_string(bytes: &[u8], raw: RawCharset, out: &mut String) {
    match raw {
        RawCharset::Utf8Lossy => out.push_str(&String::from_utf8_lossy(bytes)),
        RawCharset::Fallback => out.push_str(&charset::decode_fallback(bytes, None)),
        RawCharset::FallbackWith(l) => out.push_str(&charset::decode_fallback(bytes, Some(l))),
    }
}

/// Removes folding: every CRLF or LF that is followed by white space is dropped (RFC 5322
/// 2.2.3); a line break not followed by white space is dropped as well. Borrows when the
/// value holds no line break.
pub fn unfold(value: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = memchr::memchr2(b'\r', b'\n', value) else { return Cow::Borrowed(value) };
    let mut out = Vec::with_capacity(value.len());
    out.extend_from_slice(value.get(..first).unwrap_or_default());
    let mut i = first + 1;
    while let Some(off) = memchr::memchr2(b'\r', b'\n', value.get(i..).unwrap_or_default()) {
        out.extend_from_slice(value.get(i..i + off).unwrap_or_default());
        i += off + 1;
    }
    out.extend_from_slice(value.get(i..).unwrap_or_default());
    Cow::Owned(out)
}

/// True when `raw` has no line break and no `=?`: one pass, for short header values.
fn is_plain(raw: &[u8]) -> bool {
    if raw.len() > 256 {
        return memchr::memchr2(b'\r', b'\n', raw).is_none() && find_word_start(raw).is_none();
    }
    let mut prev_eq = false;
    for &c in raw {
        if c == b'\r' || c == b'\n' || (prev_eq && c == b'?') {
            return false;
        }
        prev_eq = c == b'=';
    }
    true
}

/// Position of the next `=?` (a short search: no searcher to build).
fn find_word_start(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'=', s.get(i..)?) {
        if s.get(i + off + 1) == Some(&b'?') {
            return Some(i + off);
        }
        i += off + 1;
    }
    None
}

/// An encoded word found in text.
struct Word<'a> {
    charset: &'a [u8],
    text: &'a [u8],
    q: bool,
    end: usize,
}

/// Parses an encoded word starting at `at` (which holds `=?`).
fn parse_word(s: &[u8], at: usize) -> Option<Word<'_>> {
    let rest = s.get(at + 2..)?;
    let q1 = memchr::memchr(b'?', rest)?;
    let charset_full = rest.get(..q1)?;
    if charset_full.is_empty() || charset_full.iter().any(u8::is_ascii_whitespace) {
        return None;
    }
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let tail = rest.get(text_start..)?;
    let mut k = 0;
    let end = loop {
        let q = memchr::memchr(b'?', tail.get(k..)?)? + k;
        if tail.get(q + 1) == Some(&b'=') {
            break q;
        }
        k = q + 1;
    };
    let text = tail.get(..end)?;
    if text.iter().any(|&c| c == b' ' || c == b'\t' || c == b'\r' || c == b'\n') {
        return None;
    }
    let charset = match memchr::memchr(b'*', charset_full) {
        Some(p) => charset_full.get(..p)?,
        None => charset_full,
    };
    let q = match enc {
        b'B' | b'b' => false,
        b'Q' | b'q' => true,
        _ => return None,
    };
    Some(Word { charset, text, q, end: at + 2 + text_start + end + 2 })
}

fn flush_words(charset: &[u8], buf: &mut Vec<u8>, out: &mut String) {
    if buf.is_empty() {
        return;
    }
    let label = String::from_utf8_lossy(charset);
    let start = out.len();
    if !charset::decode_append(&label, buf, out) {
        out.push_str(&String::from_utf8_lossy(buf));
    }
    // no header injection through an encoded word
    if out.get(start..).is_some_and(|t| t.contains(['\r', '\n'])) {
        let tail: String = out
            .get(start..)
            .unwrap_or_default()
            .chars()
            .filter(|&c| c != '\r' && c != '\n')
            .collect();
        out.truncate(start);
        out.push_str(&tail);
    }
    buf.clear();
}

/// Decodes unstructured header text: unfolds it, decodes RFC 2047 encoded words (adjacent
/// words joined without the white space between them, and words of one charset joined before
/// conversion so a character split across words survives), reads raw octets per `opts.raw`.
/// CR and LF never appear in the result.
pub fn decode_text(raw: &[u8], opts: TextOptions) -> Cow<'_, str> {
    // Plain UTF-8 text without folds or encoded words is borrowed as it is.
    if is_plain(raw)
        && let Ok(s) = core::str::from_utf8(raw)
    {
        return Cow::Borrowed(s);
    }
    let s = unfold(raw);
    let mut out = String::with_capacity(s.len());
    let mut pending: Vec<u8> = Vec::new();
    let mut pending_cs: &[u8] = &[];
    let mut i = 0; // start of text not yet written
    let mut search = 0;
    let mut last_word_end: Option<usize> = None;
    while let Some(off) = find_word_start(s.get(search..).unwrap_or_default()) {
        let at = search + off;
        let before_ok = at == 0 || matches!(s.get(at - 1), Some(b' ' | b'\t' | b'(' | b'"'));
        let word = if opts.lenient || before_ok { parse_word(&s, at) } else { None };
        let Some(w) = word else {
            search = at + 2;
            continue;
        };
        if !opts.lenient {
            let after_ok = matches!(s.get(w.end), None | Some(b' ' | b'\t' | b')' | b'"'));
            if !after_ok {
                search = at + 2;
                continue;
            }
        }
        let between = s.get(i..at).unwrap_or_default();
        let only_ws = between.iter().all(|&c| c == b' ' || c == b'\t');
        if last_word_end == Some(i) && only_ws {
            // adjacent encoded words: the white space between them is dropped
        } else {
            flush_words(pending_cs, &mut pending, &mut out);
            raw_to_string(between, opts.raw, &mut out);
        }
        if !pending.is_empty() && !pending_cs.eq_ignore_ascii_case(w.charset) {
            flush_words(pending_cs, &mut pending, &mut out);
        }
        pending_cs = w.charset;
        if w.q {
            transfer::q_word_into(w.text, &mut pending);
        } else {
            transfer::base64_append(w.text, &mut pending);
        }
        i = w.end;
        search = w.end;
        last_word_end = Some(w.end);
    }
    flush_words(pending_cs, &mut pending, &mut out);
    raw_to_string(s.get(i..).unwrap_or_default(), opts.raw, &mut out);
    Cow::Owned(out)
}

/// Decodes one value that may be a sequence of encoded words (display names, parameters):
/// like [`decode_text`] in lenient mode.
pub(crate) fn decode_phrase(raw: &[u8], raw_cs: RawCharset) -> String {
    decode_text(raw, TextOptions { lenient: true, raw: raw_cs }).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        decode_text(s.as_bytes(), TextOptions::default()).into_owned()
    }

    #[test]
    fn rfc2047_section8_examples() {
        assert_eq!(d("=?ISO-8859-1?Q?a?="), "a");
        assert_eq!(d("=?ISO-8859-1?Q?a?= b"), "a b");
        assert_eq!(d("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(d("=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(d("=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(d("=?ISO-8859-1?Q?a_b?="), "a b");
        assert_eq!(d("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?="), "a b");
        assert_eq!(d("=?US-ASCII?Q?Keith_Moore?="), "Keith Moore");
        assert_eq!(d("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?="), "Keld J\u{f8}rn Simonsen");
        assert_eq!(d("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "Andr\u{e9} Pirard");
        assert_eq!(
            d(
                "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="
            ),
            "If you can read this you understand the example."
        );
    }

    #[test]
    fn rfc2231_language_and_split_characters() {
        assert_eq!(d("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
        // "é" split across two words of one charset
        assert_eq!(d("=?utf-8?B?w6k=?="), "é");
        assert_eq!(d("=?utf-8?Q?=C3?= =?utf-8?Q?=A9?="), "é");
    }

    #[test]
    fn no_injection_and_leniency() {
        assert_eq!(d("=?utf-8?Q?a=0D=0Ab?="), "ab");
        assert_eq!(d("x=?utf-8?Q?y?=z"), "xyz");
        assert_eq!(decode_text(b"x=?utf-8?Q?y?=z", TextOptions::STRICT), "x=?utf-8?Q?y?=z");
        assert_eq!(d("=?bogus?Q?a?="), "a");
        assert_eq!(d("=?utf-8?X?a?="), "=?utf-8?X?a?=");
        assert_eq!(d("plain  text"), "plain  text");
    }
}
