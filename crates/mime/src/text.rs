//! Header text: unfolding and RFC 2047 encoded words.

use std::borrow::Cow;

use crate::charset::{self, Class};
use crate::swar::{any_below, any_equal, below, below_exact, equal, equal_exact, first, word_at};
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
    /// strings, next to parentheses in unstructured text, longer than 75 characters, with
    /// characters the encoding does not allow). Real mail puts them there; default true.
    /// When false, the rules of RFC 2047 sections 2, 4 and 5 for the [`Context`] apply.
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
    /// Strict RFC 2047: encoded words only where section 5 allows them, well-formed (section 2
    /// and 4) and at most 75 characters long.
    pub const STRICT: Self = Self { lenient: false, raw: RawCharset::Fallback };
    /// Lenient encoded words, raw octets read as UTF-8 with U+FFFD for ill-formed sequences
    /// (the normalisation of the MIME summary format).
    pub const LENIENT_LOSSY: Self = Self { lenient: true, raw: RawCharset::Utf8Lossy };
}

/// Where header text comes from, which decides where strict mode recognises encoded words
/// (RFC 2047 section 5). Lenient mode decodes every well-delimited encoded word in any
/// context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Context {
    /// Text defined as `*text` (Subject, Comments, Content-Description, extension fields):
    /// an encoded word must stand between linear white space or the ends of the value;
    /// parentheses and quotes are ordinary text here.
    #[default]
    Unstructured,
    /// A phrase of a structured field (a display name, a List-Id description): an encoded
    /// word must be a whole atom, never inside a quoted string; a "Q" word holds only letters,
    /// digits and `! * + - / = _`. Comments inside the phrase follow the comment rules.
    Phrase,
    /// The text of a comment (`(...)`, nested comments included): an encoded word stands
    /// between linear white space or parentheses, and a "Q" word holds no `(`, `)` or `"`.
    Comment,
}

/// Appends `bytes` read as `raw` says to `out`.
pub(crate) fn raw_to_string(bytes: &[u8], raw: RawCharset, out: &mut String) {
    // short ASCII runs (the white space and words between encoded words) go octet by octet
    if bytes.len() <= 16 && bytes.is_ascii() {
        out.reserve(bytes.len());
        for &b in bytes {
            // ASCII: the mask only tells the compiler so (one octet per character)
            out.push(char::from(b & 0x7F));
        }
        return;
    }
    if let Ok(s) = core::str::from_utf8(bytes) {
        out.push_str(s);
        return;
    }
    // straight into `out`, no intermediate string (as `charset::decode_fallback` would make)
    let class = match raw {
        RawCharset::Utf8Lossy => Class::Utf8,
        RawCharset::Fallback => charset::windows_1252(),
        RawCharset::FallbackWith(l) => {
            charset::classify(l.trim()).unwrap_or_else(charset::windows_1252)
        }
    };
    if let Class::Utf8 = class {
        for chunk in bytes.utf8_chunks() {
            out.push_str(chunk.valid());
            if !chunk.invalid().is_empty() {
                out.push('\u{FFFD}');
            }
        }
    } else {
        charset::append_class(class, bytes, out);
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

/// Like [`unfold`] into `buf` (which must hold `value`); returns the unfolded length.
fn unfold_into(value: &[u8], first_break: usize, buf: &mut [u8]) -> usize {
    let mut n = 0;
    let mut put = |piece: &[u8]| {
        if let Some(dst) = buf.get_mut(n..n + piece.len()) {
            dst.copy_from_slice(piece);
            n += piece.len();
        }
    };
    put(value.get(..first_break).unwrap_or_default());
    let mut i = first_break + 1;
    while let Some(off) = memchr::memchr2(b'\r', b'\n', value.get(i..).unwrap_or_default()) {
        put(value.get(i..i + off).unwrap_or_default());
        i += off + 1;
    }
    put(value.get(i..).unwrap_or_default());
    n
}

/// Position of the next `=?` (a short search: no searcher to build).
fn find_word_start(s: &[u8]) -> Option<usize> {
    // the next word mostly follows after a space or two: look at the first eight octets
    // at once before searching
    let Some(chunk) = s.first_chunk::<8>() else {
        return s.windows(2).position(|pair| pair == b"=?");
    };
    let x = u64::from_le_bytes(*chunk);
    let pairs = equal_exact(x, b'=') & (equal_exact(x, b'?') >> 8);
    if pairs != 0 {
        return Some(first(pairs));
    }
    // no pair starts in the first seven octets
    let mut i = 7;
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
    /// The charset with its RFC 2231 language suffix.
    label_full: &'a [u8],
    /// The charset alone.
    charset: &'a [u8],
    text: &'a [u8],
    q: bool,
    end: usize,
}

/// Parses an encoded word starting at `at` (which holds `=?`), as leniently as real mail
/// needs: any charset without white space, encoded text up to the first `?=` without white
/// space.
fn parse_word(s: &[u8], at: usize) -> Option<Word<'_>> {
    parse_word_in(s, at, &mut Scan::default())
}

/// What the last search for the end of encoded text found: `Ok(end)`, the first `?=` with no
/// white space between `from` and it, or `Err(stop)`, white space or the end of the input
/// with no `?=` between `from` and it. A later candidate whose text starts in that span has
/// the same answer, so hostile input full of `=?` is never scanned twice (linear, not
/// quadratic).
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    from: usize,
    found: Option<Result<usize, usize>>,
}

/// Like [`parse_word`], remembering its search in `scan`.
// inlined into each decoding loop: measured fewer instructions per word
#[allow(clippy::inline_always)]
#[inline(always)]
fn parse_word_in<'s>(s: &'s [u8], at: usize, scan: &mut Scan) -> Option<Word<'s>> {
    let rest = s.get(at + 2..)?;
    let (q1, star) = label_end(rest)?;
    if q1 == 0 {
        return None;
    }
    let q = match rest.get(q1 + 1..q1 + 3)? {
        [b'B' | b'b', b'?'] => false,
        [b'Q' | b'q', b'?'] => true,
        _ => return None,
    };
    let text_start = q1 + 3;
    let tail = rest.get(text_start..)?;
    let from = at + 2 + text_start;
    let end = match scan.found {
        Some(Ok(e)) if from >= scan.from && from <= e => e - from,
        Some(Err(stop)) if from >= scan.from && from <= stop => return None,
        _ => {
            let r = text_end(tail);
            *scan = Scan { from, found: Some(r.map(|e| from + e).map_err(|e| from + e)) };
            r.ok()?
        }
    };
    Some(Word {
        label_full: rest.get(..q1)?,
        charset: rest.get(..star)?,
        text: tail.get(..end)?,
        q,
        end: from + end + 2,
    })
}

/// The end of the charset label at the start of `rest`: the position of the first `?` and
/// of the first `*` before it (the `?`'s own position without one). `None` when ASCII white
/// space or the end of the input comes first. Eight octets at a time.
fn label_end(rest: &[u8]) -> Option<(usize, usize)> {
    let mut star = usize::MAX;
    let mut i = 0;
    loop {
        let k = match rest.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            Some(chunk) => {
                let x = u64::from_le_bytes(*chunk);
                let m = below(x, b'!') | equal(x, b'?') | equal(x, b'*');
                if m == 0 {
                    i += 8;
                    continue;
                }
                i + first(m)
            }
            None => i + rest.get(i..)?.iter().position(|&c| c <= b' ' || c == b'?' || c == b'*')?,
        };
        match *rest.get(k)? {
            b'?' => return Some((k, star.min(k))),
            b'*' => star = star.min(k),
            c if c.is_ascii_whitespace() => return None,
            _ => {}
        }
        i = k + 1;
    }
}

/// The length of encoded text: up to the first `?=`. `Err` with the position of the white
/// space (or line break) that comes first, or of the end when no `?=` follows. Eight octets
/// at a time, stopping only at a `?` or an octet below `!`.
#[allow(clippy::inline_always)]
#[inline(always)]
fn text_end(tail: &[u8]) -> Result<usize, usize> {
    let mut i = 0;
    loop {
        let k = if let Some(chunk) = tail.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            let x = u64::from_le_bytes(*chunk);
            let m = below(x, b'!') | equal(x, b'?');
            if m == 0 {
                i += 8;
                continue;
            }
            i + first(m)
        } else if let Some(last) = tail.last_chunk::<8>()
            && i < tail.len()
        {
            // fewer than eight octets left: the last eight, those before `i` masked out
            // (exact masks: nothing below `i` may flag an octet above it)
            let start = tail.len() - 8;
            let x = u64::from_le_bytes(*last);
            let m = (below_exact(x, b'!') | equal_exact(x, b'?')) & (u64::MAX << (8 * (i - start)));
            if m == 0 {
                return Err(tail.len());
            }
            start + first(m)
        } else {
            let rest = tail.get(i..).unwrap_or_default();
            let Some(p) = rest.iter().position(|&c| c <= b' ' || c == b'?') else {
                return Err(tail.len());
            };
            i + p
        };
        match tail.get(k) {
            Some(b'?') if tail.get(k + 1) == Some(&b'=') => return Ok(k),
            Some(b' ' | b'\t' | b'\r' | b'\n') => return Err(k),
            _ => i = k + 1,
        }
    }
}

/// The first octet of `v` that ends the plain fast path: a CR, an LF, or the `=` of an `=?`
/// (a possible encoded word). Eight octets at a time; only a word holding an octet below
/// 0x0E or a `?` is looked at closer, through exact masks (a TAB or an `=` alone costs
/// nothing more).
// inlined into the field fast path: measured fewer instructions per field
#[allow(clippy::inline_always)]
#[inline(always)]
fn first_stop(v: &[u8]) -> Option<usize> {
    let suspect = |x: u64| below(x, 0x0E) | equal(x, b'?') != 0;
    let Some(last) = v.last_chunk::<8>() else {
        // fewer than eight octets: the first four and the last four at once (overlapping
        // when fewer than eight), octet by octet only when one of them is suspect
        if let (Some(head), Some(tail)) = (v.first_chunk::<4>(), v.last_chunk::<4>()) {
            let x =
                u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32;
            if !suspect(x) {
                return None;
            }
        }
        return short_stop(v);
    };
    let (words, tail) = v.as_chunks::<8>();
    for (n, w) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*w);
        if suspect(x)
            && let Some(k) = stop_in(v, n * 8, x)
        {
            return Some(k);
        }
    }
    // the last eight at once: those already looked at hold no stop, and the masks of
    // `stop_in` are exact, so a stop found is the first
    let x = u64::from_le_bytes(*last);
    if !tail.is_empty() && suspect(x) { stop_in(v, v.len() - 8, x) } else { None }
}

/// [`first_stop`] octet by octet.
#[cold]
#[inline(never)]
fn short_stop(v: &[u8]) -> Option<usize> {
    let mut prev = 0;
    for (k, &c) in v.iter().enumerate() {
        match c {
            b'\r' | b'\n' => return Some(k),
            b'?' if prev == b'=' => return Some(k - 1),
            _ => prev = c,
        }
    }
    None
}

/// The first stop (see [`first_stop`]) among the eight octets `x` of `v` at `at`, the `=` of
/// a `?` first in `x` being the octet before `at`.
fn stop_in(v: &[u8], at: usize, x: u64) -> Option<usize> {
    let question = equal_exact(x, b'?');
    if question & 0x80 != 0 && at > 0 && v.get(at - 1) == Some(&b'=') {
        return Some(at - 1);
    }
    // the `=` of each `=?` inside the word, and each line break
    let m =
        (equal_exact(x, b'=') & (question >> 8)) | equal_exact(x, b'\r') | equal_exact(x, b'\n');
    (m != 0).then(|| at + first(m))
}

/// Unfolds `v` whose first CR or LF is at `first_break`: calls `run(start, end)` for each
/// non-empty run of octets between line breaks, in order. Returns whether a `?` follows
/// `first_break` (only then can the unfolded text hold an `=?` that `v` before its first
/// break does not). One pass, eight octets at a time.
fn unfold_runs(v: &[u8], first_break: usize, mut run: impl FnMut(usize, usize)) -> bool {
    if first_break > 0 {
        run(0, first_break);
    }
    let mut start = first_break + 1;
    let mut question = false;
    let mut i = start;
    while let Some(x) = word_at(v, i) {
        if below(x, 0x0E) | equal(x, b'?') != 0 {
            question |= any_equal(x, b'?');
            let mut breaks = equal_exact(x, b'\r') | equal_exact(x, b'\n');
            while breaks != 0 {
                let k = i + first(breaks);
                if k > start {
                    run(start, k);
                }
                start = k + 1;
                breaks &= breaks - 1;
            }
        }
        i += 8;
    }
    if i < v.len()
        && let Some(last) = v.last_chunk::<8>()
    {
        // the last eight octets at once, those looked at already masked out
        let x = u64::from_le_bytes(*last);
        let new = u64::MAX << (8 * (i + 8 - v.len()));
        question |= equal_exact(x, b'?') & new != 0;
        let mut breaks = (equal_exact(x, b'\r') | equal_exact(x, b'\n')) & new;
        while breaks != 0 {
            let k = v.len() - 8 + first(breaks);
            if k > start {
                run(start, k);
            }
            start = k + 1;
            breaks &= breaks - 1;
        }
    } else {
        for (k, &c) in v.iter().enumerate().skip(i) {
            match c {
                b'\r' | b'\n' => {
                    if k > start {
                        run(start, k);
                    }
                    start = k + 1;
                }
                b'?' => question = true,
                _ => {}
            }
        }
    }
    if v.len() > start {
        run(start, v.len());
    }
    question
}

/// `raw` without white space and line breaks at its ends, and where that starts in `raw`.
fn trim_field(raw: &[u8]) -> (usize, &[u8]) {
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut v = raw;
    while let [c, rest @ ..] = v
        && space(*c)
    {
        v = rest;
    }
    let start = raw.len() - v.len();
    while let [rest @ .., c] = v
        && space(*c)
    {
        v = rest;
    }
    (start, v)
}

/// True when `bytes` holds a CR or an LF (eight octets at a time).
fn has_line_break(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        if any_below(x, 0x0E) && chunk.iter().any(|&c| c == b'\r' || c == b'\n') {
            return true;
        }
    }
    chunks.remainder().iter().any(|&c| c == b'\r' || c == b'\n')
}

/// RFC 2047 section 2 `especials`, which a charset token may not contain.
fn is_especial(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')'
            | b'<'
            | b'>'
            | b'@'
            | b','
            | b';'
            | b':'
            | b'\\'
            | b'"'
            | b'/'
            | b'['
            | b']'
            | b'?'
            | b'.'
            | b'='
    )
}

/// The longest encoded word RFC 2047 section 2 allows, delimiters included.
pub const MAX_ENCODED_WORD: usize = 75;

/// The syntax of RFC 2047 sections 2 and 4, checked in strict mode: at most 75 characters, a
/// charset token (with an optional RFC 2231 language), non-empty encoded text of printable
/// ASCII without `?`, "B" text of whole base64 quanta, "Q" text whose `=` starts an escape.
fn strict_syntax(w: &Word<'_>, len: usize) -> bool {
    if len > MAX_ENCODED_WORD
        || w.text.is_empty()
        || !w.label_full.iter().all(|&c| c.is_ascii_graphic() && !is_especial(c))
        || !w.text.iter().all(|&c| c.is_ascii_graphic() && c != b'?')
    {
        return false;
    }
    if w.q {
        let mut i = 0;
        while let Some(&c) = w.text.get(i) {
            if c == b'=' {
                let hex_ok = |k: usize| w.text.get(k).is_some_and(u8::is_ascii_hexdigit);
                if !(hex_ok(i + 1) && hex_ok(i + 2)) {
                    return false;
                }
                i += 3;
            } else {
                i += 1;
            }
        }
        true
    } else {
        let body =
            w.text.strip_suffix(b"==").or_else(|| w.text.strip_suffix(b"=")).unwrap_or(w.text);
        w.text.len().is_multiple_of(4)
            && body.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    }
}

/// RFC 2047 section 5 (3): the characters a "Q" word may hold in a phrase.
fn phrase_q_ok(text: &[u8]) -> bool {
    text.iter().all(|&c| {
        c.is_ascii_alphanumeric() || matches!(c, b'!' | b'*' | b'+' | b'-' | b'/' | b'=' | b'_')
    })
}

/// RFC 2047 section 5 (2): a "Q" word in a comment holds no `(`, `)` or `"`.
fn comment_q_ok(text: &[u8]) -> bool {
    !text.iter().any(|&c| matches!(c, b'(' | b')' | b'"'))
}

fn is_wsp(c: Option<u8>) -> bool {
    matches!(c, None | Some(b' ' | b'\t'))
}

/// What may stand right before an atom of a phrase (as the address parser splits them; the
/// `)` that closes a comment is checked apart).
fn phrase_before(c: Option<u8>) -> bool {
    is_wsp(c) || matches!(c, Some(b'"' | b']' | b'<' | b'>' | b'@' | b',' | b':' | b';'))
}

/// What may stand right after an atom of a phrase.
fn phrase_after(c: Option<u8>) -> bool {
    is_wsp(c) || matches!(c, Some(b'(' | b'"' | b'[' | b'<' | b'>' | b'@' | b',' | b':' | b';'))
}

/// The position of a strict scan: inside a quoted string or a comment, or not.
struct Strict {
    context: Context,
    scan: Scan,
    pos: usize,
    depth: usize,
    quoted: bool,
    escape: bool,
    /// Where the last comment closed (its `)`), in a phrase.
    closed: Option<usize>,
}

impl Strict {
    fn new(context: Context) -> Self {
        Self {
            context,
            scan: Scan::default(),
            pos: 0,
            depth: 0,
            quoted: false,
            escape: false,
            closed: None,
        }
    }

    /// Follows quoted strings and comments up to `to`.
    fn advance(&mut self, s: &[u8], to: usize) {
        if self.context == Context::Unstructured {
            return;
        }
        for (k, &c) in s.get(self.pos..to).unwrap_or_default().iter().enumerate() {
            if self.escape {
                self.escape = false;
            } else if self.quoted {
                match c {
                    b'\\' => self.escape = true,
                    b'"' => self.quoted = false,
                    _ => {}
                }
            } else {
                match c {
                    b'\\' if self.depth > 0 || self.context == Context::Comment => {
                        self.escape = true;
                    }
                    b'(' => self.depth += 1,
                    b')' => {
                        if self.depth == 1 {
                            self.closed = Some(self.pos + k);
                        }
                        self.depth = self.depth.saturating_sub(1);
                    }
                    b'"' if self.depth == 0 && self.context == Context::Phrase => {
                        self.quoted = true;
                    }
                    _ => {}
                }
            }
        }
        self.pos = self.pos.max(to);
    }

    /// The encoded word at `at` when RFC 2047 allows one there.
    fn word_at<'s>(&mut self, s: &'s [u8], at: usize) -> Option<Word<'s>> {
        self.advance(s, at);
        if self.quoted || self.escape {
            return None;
        }
        let w = parse_word_in(s, at, &mut self.scan)?;
        if !strict_syntax(&w, w.end - at) {
            return None;
        }
        let before = at.checked_sub(1).and_then(|p| s.get(p)).copied();
        let after = s.get(w.end).copied();
        let comment = self.context == Context::Comment || self.depth > 0;
        let ok = if self.context == Context::Unstructured {
            is_wsp(before) && is_wsp(after)
        } else if comment {
            (is_wsp(before) || before == Some(b'('))
                && (is_wsp(after) || after == Some(b')'))
                && (!w.q || comment_q_ok(w.text))
        } else {
            let after_comment = before == Some(b')') && self.closed == at.checked_sub(1);
            (phrase_before(before) || after_comment)
                && phrase_after(after)
                && (!w.q || phrase_q_ok(w.text))
        };
        if ok {
            // the word is one token: nothing in it opens a quote or a comment
            self.pos = w.end;
            Some(w)
        } else {
            None
        }
    }
}

/// Octets of encoded words waiting for their charset conversion: on the stack up to 256
/// octets, on the heap beyond.
struct Octets {
    inline: [u8; 256],
    len: usize,
    heap: Vec<u8>,
    /// A CR or an LF may be among the octets.
    breaks: bool,
}

impl Octets {
    fn new() -> Self {
        Self { inline: [0; 256], len: 0, heap: Vec::new(), breaks: false }
    }

    fn is_empty(&self) -> bool {
        self.len == 0 && self.heap.is_empty()
    }

    fn as_slice(&self) -> &[u8] {
        if self.heap.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.heap
        }
    }

    fn clear(&mut self) {
        self.len = 0;
        self.heap.clear();
        self.breaks = false;
    }

    /// Appends the octets of a word's encoded text (never more octets than characters).
    fn decode_word(&mut self, text: &[u8], q: bool) {
        if self.heap.is_empty() {
            if let Some(dst) = self.inline.get_mut(self.len..)
                && dst.len() >= text.len()
            {
                if q {
                    let (n, breaks) = q_decode(text, dst);
                    self.len += n;
                    self.breaks |= breaks;
                } else {
                    self.len += b_decode(text, dst);
                    self.breaks = true;
                }
                return;
            }
            // too long for the stack: everything moves to the heap
            self.heap.reserve(self.len + text.len());
            self.heap.extend_from_slice(self.inline.get(..self.len).unwrap_or_default());
            self.len = 0;
        }
        self.breaks = true;
        if q {
            transfer::q_word_into(text, &mut self.heap);
        } else {
            transfer::base64_append(text, &mut self.heap);
        }
    }
}

/// Hex digit values, 0xFF for other octets.
// Const tables of 256 entries filled at known in-range indices; the casts keep small values.
#[allow(clippy::cast_possible_truncation, clippy::indexing_slicing)]
const HEX: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'A' as usize + i] = 10 + i as u8;
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Base64 alphabet values; 0xFE for `=`, 0xFF for other octets.
const B64: [u8; 256] = transfer::b64_table(0xFE);

fn hex(c: Option<&u8>) -> u8 {
    c.and_then(|&c| HEX.get(usize::from(c))).copied().unwrap_or(0xFF)
}

/// Decodes "Q" encoded text (RFC 2047 4.2; an `=` without two hex digits kept) into `dst`,
/// which holds at least `text.len()` octets; returns the octet count, and whether an escape
/// made a CR or an LF (the text itself holds none: its end is looked for before white space).
fn q_decode(text: &[u8], dst: &mut [u8]) -> (usize, bool) {
    let mut written = 0;
    let mut breaks = false;
    let mut src = text.iter();
    for slot in dst.iter_mut() {
        let Some(&c) = src.next() else { break };
        *slot = match c {
            b'_' => b' ',
            b'=' => match escape(src.as_slice()) {
                Some(octet) => {
                    src.nth(1);
                    breaks |= octet < 0x0E && (octet == b'\r' || octet == b'\n');
                    octet
                }
                None => b'=',
            },
            _ => c,
        };
        written += 1;
    }
    (written, breaks)
}

/// The octet of the two hex digits `after` an `=` starts with, if they are.
fn escape(after: &[u8]) -> Option<u8> {
    let [h, l, ..] = *after else { return None };
    let (high, low) = (hex(Some(&h)), hex(Some(&l)));
    ((high | low) < 16).then_some(high << 4 | low)
}

/// Appends "Q" encoded text of a single-byte charset straight to `out`, octet by octet
/// through `table`, CR and LF left out: what decoding its octets and
/// [`charset::single_byte_append`] give.
fn q_single(table: &charset::Upper, text: &[u8], out: &mut String) {
    out.reserve(text.len());
    let mut src = text.iter();
    while let Some(&c) = src.next() {
        let octet = match c {
            b'_' => b' ',
            b'=' => match escape(src.as_slice()) {
                Some(octet) => {
                    src.nth(1);
                    octet
                }
                None => b'=',
            },
            _ => c,
        };
        if octet < 0x80 {
            if octet != b'\r' && octet != b'\n' {
                out.push(char::from(octet));
            }
        } else if let Some(ch) = table.char(octet) {
            out.push(ch);
        }
    }
}

/// Appends "Q" encoded UTF-8 text straight to `out` (ASCII as it is, escaped sequences
/// assembled into characters, CR and LF left out) when its octets are well-formed UTF-8 on
/// their own; otherwise returns false with `out` as it was.
fn q_utf8(text: &[u8], out: &mut String) -> bool {
    let start = out.len();
    out.reserve(text.len());
    let mut src = text.iter();
    while let Some(&c) = src.next() {
        match c {
            b'_' => out.push(' '),
            b'=' => match escape(src.as_slice()) {
                Some(lead) => {
                    src.nth(1);
                    if lead < 0x80 {
                        if lead != b'\r' && lead != b'\n' {
                            out.push(char::from(lead));
                        }
                    } else if let Some(ch) = escaped_char(lead, &mut src) {
                        out.push(ch);
                    } else {
                        out.truncate(start);
                        return false;
                    }
                }
                None => out.push('='),
            },
            0x80.. => {
                out.truncate(start);
                return false;
            }
            _ => out.push(char::from(c)),
        }
    }
    true
}

/// The character a UTF-8 `lead` octet starts, its continuation octets escaped in `src`
/// (consumed); `None` unless they make one well-formed character.
fn escaped_char(lead: u8, src: &mut core::slice::Iter<'_, u8>) -> Option<char> {
    let (len, mut value) = match lead {
        0xC2..=0xDF => (2, u32::from(lead & 0x1F)),
        0xE0..=0xEF => (3, u32::from(lead & 0x0F)),
        0xF0..=0xF4 => (4, u32::from(lead & 0x07)),
        _ => return None,
    };
    for _ in 1..len {
        let rest = src.as_slice();
        let [b'=', ..] = rest else { return None };
        let octet = escape(rest.get(1..)?)?;
        if octet & 0xC0 != 0x80 {
            return None;
        }
        src.nth(2);
        value = value << 6 | u32::from(octet & 0x3F);
    }
    // overlong forms, surrogates and values beyond U+10FFFF are refused like `from_utf8` does
    char::from_u32(value).filter(|ch| ch.len_utf8() == len)
}

/// Decodes "B" encoded text into `dst` (at least `text.len()` octets): characters outside
/// the alphabet skipped, decoding stopped at the first `=`, a final group without padding
/// decoded as if padded. Returns the octet count.
fn b_decode(text: &[u8], dst: &mut [u8]) -> usize {
    let mut acc: u32 = 0;
    let mut sextets = 0u8;
    let mut written = 0;
    let mut put = |octet: u8, written: &mut usize| {
        if let Some(slot) = dst.get_mut(*written) {
            *slot = octet;
            *written += 1;
        }
    };
    // whole quanta of alphabet characters first, four lookups at a time
    let mut rest = text;
    while let Some((&[c0, c1, c2, c3], tail)) = rest.split_first_chunk::<4>() {
        let sextet = |c: u8| B64.get(usize::from(c)).copied().unwrap_or(0xFF);
        let (v0, v1, v2, v3) = (sextet(c0), sextet(c1), sextet(c2), sextet(c3));
        if (v0 | v1 | v2 | v3) & 0xC0 != 0 {
            break;
        }
        let quantum =
            u32::from(v0) << 18 | u32::from(v1) << 12 | u32::from(v2) << 6 | u32::from(v3);
        let [_, o1, o2, o3] = quantum.to_be_bytes();
        put(o1, &mut written);
        put(o2, &mut written);
        put(o3, &mut written);
        rest = tail;
    }
    for &ch in rest {
        let value = B64.get(usize::from(ch)).copied().unwrap_or(0xFF);
        if value == 0xFE {
            break;
        }
        if value == 0xFF {
            continue;
        }
        acc = acc << 6 | u32::from(value);
        sextets += 1;
        if sextets == 4 {
            let [_, o1, o2, o3] = acc.to_be_bytes();
            put(o1, &mut written);
            put(o2, &mut written);
            put(o3, &mut written);
            acc = 0;
            sextets = 0;
        }
    }
    match sextets {
        2 => {
            let [.., o1] = (acc >> 4).to_be_bytes();
            put(o1, &mut written);
        }
        3 => {
            let [.., o1, o2] = (acc >> 2).to_be_bytes();
            put(o1, &mut written);
            put(o2, &mut written);
        }
        _ => {}
    }
    written
}

/// Appends `s` to `out` without CR and LF (no header injection through an encoded word).
fn push_clean(out: &mut String, s: &str) {
    if has_line_break(s.as_bytes()) {
        out.extend(s.chars().filter(|&c| c != '\r' && c != '\n'));
    } else {
        out.push_str(s);
    }
}

/// The charset class of an encoded word's label; unknown labels read as UTF-8.
fn word_class(label: &[u8]) -> Class {
    if let Some(class) = charset::frequent(label) {
        return class;
    }
    // an ASCII label without a vertical tab needs no trimming (parse_word refused the other
    // white space) and no conversion
    if label.iter().all(|&c| c.is_ascii() && c != 0x0B) {
        return charset::classify_bytes(label).unwrap_or(Class::Utf8);
    }
    let l = String::from_utf8_lossy(label);
    charset::classify(l.trim()).unwrap_or(Class::Utf8)
}

/// The output of header text decoding: one string, and the octets of adjacent encoded words
/// of one charset waiting to be converted together (so a character split across words
/// survives). Single-byte charsets skip the wait: their octets convert one by one.
struct Decoder<'a> {
    out: String,
    pending: Octets,
    pending_label: &'a [u8],
    pending_class: Class,
    /// The last label resolved, and its class (adjacent words mostly share one).
    last_label: &'a [u8],
    last_class: Class,
    raw: RawCharset,
}

impl<'a> Decoder<'a> {
    fn new(out: String, raw: RawCharset) -> Self {
        Self {
            out,
            pending: Octets::new(),
            pending_label: &[],
            pending_class: Class::Utf8,
            last_label: &[],
            last_class: Class::Utf8,
            raw,
        }
    }

    /// Raw text between encoded words.
    fn text(&mut self, bytes: &[u8]) {
        self.flush();
        if !bytes.is_empty() {
            raw_to_string(bytes, self.raw, &mut self.out);
        }
    }

    /// One encoded word, joined to the pending octets when their charset is the same.
    fn word(&mut self, w: &Word<'a>) {
        if !self.pending.is_empty() && !self.pending_label.eq_ignore_ascii_case(w.charset) {
            self.flush();
        }
        let class =
            if self.last_label.eq_ignore_ascii_case(w.charset) && !self.last_label.is_empty() {
                self.last_class
            } else {
                let c = word_class(w.charset);
                self.last_label = w.charset;
                self.last_class = c;
                c
            };
        if w.q && self.pending.is_empty() {
            // straight to the output: nothing waits to be joined, and a word of whole
            // characters joins nothing later (the octets of a single-byte charset never wait)
            match class {
                Class::Single(table) => return q_single(table, w.text, &mut self.out),
                Class::Utf8 if q_utf8(w.text, &mut self.out) => return,
                _ => {}
            }
        }
        self.pending_label = w.charset;
        self.pending_class = class;
        self.pending.decode_word(w.text, w.q);
        if matches!(class, Class::Single(_)) {
            // octet by octet: nothing to gain from joining
            self.flush();
        }
    }

    /// Converts the pending octets.
    #[inline]
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.convert();
        }
    }

    /// Converts the pending octets, there being some.
    fn convert(&mut self) {
        let bytes = self.pending.as_slice();
        match self.pending_class {
            Class::Utf8 => match core::str::from_utf8(bytes) {
                Ok(s) if !self.pending.breaks => self.out.push_str(s),
                Ok(s) => push_clean(&mut self.out, s),
                Err(_) => push_clean(&mut self.out, &String::from_utf8_lossy(bytes)),
            },
            Class::Utf7 => push_clean(&mut self.out, &charset::decode_utf7(bytes)),
            Class::Single(table) => charset::single_byte_append(table, bytes, &mut self.out),
            class @ Class::Encoding(_) => {
                let start = self.out.len();
                charset::append_class(class, bytes, &mut self.out);
                if self.out.get(start..).is_some_and(|t| t.contains(['\r', '\n'])) {
                    let tail = self.out.split_off(start);
                    push_clean(&mut self.out, &tail);
                }
            }
        }
        self.pending.clear();
    }

    fn finish(&mut self) -> String {
        self.flush();
        core::mem::take(&mut self.out)
    }
}

/// Decodes unstructured header text: unfolds it, decodes RFC 2047 encoded words (adjacent
/// words joined without the white space between them, and words of one charset joined before
/// conversion so a character split across words survives), reads raw octets per `opts.raw`.
/// CR and LF never appear in the result. The same as [`decode_in`] with
/// [`Context::Unstructured`].
pub fn decode_text(raw: &[u8], opts: TextOptions) -> Cow<'_, str> {
    decode_in(raw, Context::Unstructured, opts)
}

/// A field value as text, trimmed: the raw value without surrounding white space and line
/// breaks, decoded like [`decode_text`], then without surrounding spaces and tabs. The same
/// as trimming before and after [`decode_text`], without a second string when the decoded
/// text has white space at its ends.
pub fn decode_field(raw: &[u8], opts: TextOptions) -> Cow<'_, str> {
    let mut out = String::new();
    match decode_field_into(raw, opts, &mut out) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(out),
    }
}

/// Like [`decode_field`], decoding into `buf` (cleared first; its allocation is reused, so
/// decoding many values through one buffer allocates only to grow it). Returns the text:
/// the value itself when decoding leaves it unchanged, else what `buf` now holds.
///
/// ```
/// use mailwire_mime::text::{TextOptions, decode_field_in};
///
/// let mut buf = String::new();
/// assert_eq!(decode_field_in(b" plain \r\n", TextOptions::default(), &mut buf), "plain");
/// assert_eq!(decode_field_in(b" =?utf-8?q?caf=C3=A9?=", TextOptions::default(), &mut buf), "caf\u{e9}");
/// ```
pub fn decode_field_in<'a>(raw: &'a [u8], opts: TextOptions, buf: &'a mut String) -> &'a str {
    match decode_field_into(raw, opts, buf) {
        Some(s) => s,
        None => buf.as_str(),
    }
}

/// Like [`decode_field_in`] for a value known to be UTF-8 (a header block validated once):
/// the same text, without validating what the input's validity already covers. A value
/// with neither line breaks nor `=?` is returned as it is; a folded one without encoded
/// words is unfolded into `buf` run by run.
#[inline]
pub(crate) fn decode_field_str_in<'a>(
    raw: &'a str,
    opts: TextOptions,
    buf: &'a mut String,
) -> &'a str {
    match decode_field_str_into(raw, opts, buf) {
        Some(s) => s,
        None => buf.as_str(),
    }
}

/// Like [`decode_field`] for a value known to be UTF-8 (see [`decode_field_str_in`]).
pub(crate) fn decode_field_str(raw: &str, opts: TextOptions) -> Cow<'_, str> {
    let mut buf = String::new();
    match decode_field_str_into(raw, opts, &mut buf) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(buf),
    }
}

/// [`decode_field_str_in`]: the value borrowed when decoding leaves it unchanged; otherwise
/// `None` with the text in `buf`.
#[inline]
fn decode_field_str_into<'a>(raw: &'a str, opts: TextOptions, buf: &mut String) -> Option<&'a str> {
    let (start, trimmed) = trim_field(raw.as_bytes());
    // the ends trimmed are ASCII: character boundaries
    let value = raw.get(start..start + trimmed.len()).unwrap_or_default();
    match first_stop(value.as_bytes()) {
        None => Some(value),
        Some(stop) => field_str_from(value, stop, opts, buf),
    }
}

/// [`decode_field_str_into`] of a trimmed value whose first stop is `stop` (see
/// [`first_stop`]).
#[inline(never)]
fn field_str_from<'a>(
    value: &'a str,
    stop: usize,
    opts: TextOptions,
    buf: &mut String,
) -> Option<&'a str> {
    let bytes = value.as_bytes();
    if bytes.get(stop) != Some(&b'=') {
        // a line break first: the runs between line breaks are text of their own
        buf.clear();
        buf.reserve(bytes.len());
        let question =
            unfold_runs(bytes, stop, |a, b| buf.push_str(value.get(a..b).unwrap_or_default()));
        if !question || find_word_start(buf.as_bytes()).is_none() {
            // the ends are those of `value`: no white space to trim
            return None;
        }
        decode_folded(bytes, stop, Context::Unstructured, opts, buf);
        trim_decoded(buf);
        return None;
    }
    field_from(bytes, Some(stop), opts, buf)
}

/// The value borrowed when decoding leaves it unchanged; otherwise `None` with the text in
/// `out` (cleared first).
fn decode_field_into<'a>(raw: &'a [u8], opts: TextOptions, out: &mut String) -> Option<&'a str> {
    let (_, value) = trim_field(raw);
    // the common case first: no line break, no encoded word, valid UTF-8
    let stop = first_stop(value);
    if stop.is_none()
        && let Ok(s) = core::str::from_utf8(value)
    {
        return Some(s);
    }
    field_from(value, stop, opts, out)
}

/// [`decode_field_into`] of a trimmed value whose first stop is `stop` (see
/// [`first_stop`]).
#[inline(never)]
fn field_from<'a>(
    value: &'a [u8],
    stop: Option<usize>,
    opts: TextOptions,
    out: &mut String,
) -> Option<&'a str> {
    // the ends are already trimmed: text left unchanged needs no more
    let unchanged = decode_from(value, stop, Context::Unstructured, opts, out);
    if unchanged.is_none() {
        trim_decoded(out);
    }
    unchanged
}

/// Removes spaces and tabs from both ends of `out` in place.
fn trim_decoded(out: &mut String) {
    let blank = |c: &&u8| matches!(c, b' ' | b'\t');
    let bytes = out.as_bytes();
    if !bytes.first().is_some_and(|c| blank(&c)) && !bytes.last().is_some_and(|c| blank(&c)) {
        return;
    }
    // both cuts sit next to an ASCII octet: character boundaries
    let end = bytes.len() - bytes.iter().rev().take_while(blank).count();
    let lead = bytes.iter().take(end).take_while(blank).count();
    out.truncate(end);
    if lead > 0 {
        out.drain(..lead);
    }
}

/// Decodes header text from `context` (which matters in strict mode only, see [`Context`]):
/// unfolded, encoded words decoded, everything else (quotes, parentheses) kept as written.
/// Borrows when the value is UTF-8 without line breaks or `=?`; otherwise makes one string
/// (plus one buffer for values folded beyond 512 octets or words beyond 256 octets).
pub fn decode_in(raw: &[u8], context: Context, opts: TextOptions) -> Cow<'_, str> {
    let mut out = String::new();
    match decode_in_into(raw, context, opts, &mut out) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(out),
    }
}

/// [`decode_in`]: the text borrowed when it is unchanged, else `None` with the decoded
/// text in `out` (cleared first, its allocation reused).
fn decode_in_into<'a>(
    raw: &'a [u8],
    context: Context,
    opts: TextOptions,
    out: &mut String,
) -> Option<&'a str> {
    decode_from(raw, first_stop(raw), context, opts, out)
}

/// [`decode_in_into`] of text whose first stop is `stop` (see [`first_stop`]).
fn decode_from<'a>(
    raw: &'a [u8],
    stop: Option<usize>,
    context: Context,
    opts: TextOptions,
    out: &mut String,
) -> Option<&'a str> {
    let Some(stop) = stop else {
        // Plain UTF-8 text without folds or encoded words is borrowed as it is.
        if let Ok(s) = core::str::from_utf8(raw) {
            return Some(s);
        }
        decode_unfolded(raw, None, context, opts, out);
        return None;
    };
    if raw.get(stop) == Some(&b'=') {
        // an encoded word may start there, no line break before it
        match memchr::memchr2(b'\r', b'\n', raw.get(stop..).unwrap_or_default()) {
            None => decode_unfolded(raw, Some(stop), context, opts, out),
            Some(off) => decode_folded(raw, stop + off, context, opts, out),
        }
        return None;
    }
    // a line break first: unfolded straight into the allocation of `out`, kept when it
    // holds no encoded word and is UTF-8
    let mut bytes = core::mem::take(out).into_bytes();
    bytes.clear();
    bytes.reserve(raw.len());
    let question =
        unfold_runs(raw, stop, |a, b| bytes.extend_from_slice(raw.get(a..b).unwrap_or_default()));
    if !question || find_word_start(&bytes).is_none() {
        match String::from_utf8(bytes) {
            Ok(s) => {
                *out = s;
                return None;
            }
            Err(e) => bytes = e.into_bytes(),
        }
    }
    bytes.clear();
    *out = String::from_utf8(bytes).unwrap_or_default();
    decode_folded(raw, stop, context, opts, out);
    None
}

/// Decodes text whose first line break is at `first_break`: unfolded on the stack (or in
/// a vector beyond 512 octets), then decoded.
fn decode_folded(
    raw: &[u8],
    first_break: usize,
    context: Context,
    opts: TextOptions,
    out: &mut String,
) {
    // unfolded text without encoded words that is UTF-8 is the text itself
    let mut finish = |s: &[u8]| {
        let first = find_word_start(s);
        if first.is_none()
            && let Ok(t) = core::str::from_utf8(s)
        {
            out.clear();
            out.push_str(t);
        } else {
            decode_unfolded(s, first, context, opts, out);
        }
    };
    // on the stack, in a buffer no larger than needed (it is zeroed first)
    if raw.len() <= 192 {
        let mut stack = [0u8; 192];
        let n = unfold_into(raw, first_break, &mut stack);
        finish(stack.get(..n).unwrap_or_default());
    } else if raw.len() <= 512 {
        let mut stack = [0u8; 512];
        let n = unfold_into(raw, first_break, &mut stack);
        finish(stack.get(..n).unwrap_or_default());
    } else {
        finish(&unfold(raw));
    }
}

/// Decodes unfolded text whose first `=?` is at `first`.
fn decode_unfolded(
    s: &[u8],
    first: Option<usize>,
    context: Context,
    opts: TextOptions,
    out: &mut String,
) {
    let mut buf = core::mem::take(out);
    buf.clear();
    buf.reserve(s.len());
    let mut d = Decoder::new(buf, opts.raw);
    let mut strict = Strict::new(context);
    let mut scan = Scan::default();
    let mut i = 0; // start of text not yet written
    let mut last_word_end: Option<usize> = None;
    let mut next = first;
    while let Some(at) = next {
        let word =
            if opts.lenient { parse_word_in(s, at, &mut scan) } else { strict.word_at(s, at) };
        let Some(w) = word else {
            next = find_word_start(s.get(at + 2..).unwrap_or_default()).map(|o| o + at + 2);
            continue;
        };
        let between = s.get(i..at).unwrap_or_default();
        if last_word_end == Some(i) && between.iter().all(|&c| c == b' ' || c == b'\t') {
            // adjacent encoded words: the white space between them is dropped
        } else {
            d.text(between);
        }
        d.word(&w);
        i = w.end;
        last_word_end = Some(w.end);
        next = find_word_start(s.get(w.end..).unwrap_or_default()).map(|o| o + w.end);
    }
    d.text(s.get(i..).unwrap_or_default());
    *out = d.finish();
}

/// Builds a display name from the tokens of a phrase under the strict rules: an atom is
/// decoded only when it is one whole encoded word (RFC 2047 section 5 (3)); quoted strings
/// and other atoms are kept as they are; encoded words separated only by white space are
/// joined.
pub(crate) struct StrictPhrase<'a> {
    d: Decoder<'a>,
    last_word: bool,
}

impl<'a> StrictPhrase<'a> {
    pub(crate) fn new(raw: RawCharset) -> Self {
        Self { d: Decoder::new(String::with_capacity(64), raw), last_word: false }
    }

    /// An atom; `space` when white space precedes it, `adjacent` when only white space
    /// separates it from the previous token.
    pub(crate) fn atom(&mut self, atom: &'a [u8], space: bool, adjacent: bool) {
        let word = (atom.starts_with(b"=?"))
            .then(|| parse_word(atom, 0))
            .flatten()
            .filter(|w| w.end == atom.len() && strict_syntax(w, atom.len()))
            .filter(|w| !w.q || phrase_q_ok(w.text));
        match word {
            Some(w) => {
                if !(self.last_word && adjacent) {
                    self.d.flush();
                    if space {
                        self.d.out.push(' ');
                    }
                }
                self.d.word(&w);
                self.last_word = true;
            }
            None => self.other(atom, space),
        }
    }

    /// Any other token's text (quoted string content, a special, a domain literal).
    pub(crate) fn other(&mut self, text: &[u8], space: bool) {
        self.d.flush();
        if space {
            self.d.out.push(' ');
        }
        self.d.text(text);
        self.last_word = false;
    }

    pub(crate) fn finish(mut self) -> String {
        let mut s = self.d.finish();
        s.retain(|c| c != '\r' && c != '\n');
        s
    }
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

    /// The first CR, LF or `=` of an `=?`, octet by octet.
    pub(super) fn naive_stop(v: &[u8]) -> Option<usize> {
        (0..v.len()).find(|&k| {
            matches!(v[k], b'\r' | b'\n') || (v[k] == b'=' && v.get(k + 1) == Some(&b'?'))
        })
    }

    #[test]
    fn break_or_word_is_found_at_every_position() {
        for len in 0..40 {
            for at in 0..=len {
                for c in [b'\r', b'\n', b'=', b'?', b'\t', b'a', 0x0D ^ 0x80] {
                    for next in [b'?', b'x', b'='] {
                        let mut v = vec![b'x'; len];
                        if at < len {
                            v[at] = c;
                        }
                        if at + 1 < len {
                            v[at + 1] = next;
                        }
                        assert_eq!(first_stop(&v), naive_stop(&v), "{v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn decode_field_trims_like_before_and_after() {
        fn trim_raw(v: &[u8]) -> &[u8] {
            let sp = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
            let s = v.iter().position(|c| !sp(c)).unwrap_or(v.len());
            let e = v.iter().rposition(|c| !sp(c)).map_or(s, |e| e + 1);
            &v[s..e]
        }
        for v in [
            &b" plain "[..],
            b"\r\n folded\r\n value \r\n",
            b" =?utf-8?Q?_a_?= ",
            b"=?utf-8?Q?__?=",
            b"\t=?utf-8?Q?x?=\t=?utf-8?Q?_?=",
            b"   ",
            b"",
            b" caf\xe9 ",
        ] {
            let opts = TextOptions::default();
            let expected = decode_text(trim_raw(v), opts).trim_matches([' ', '\t']).to_string();
            assert_eq!(decode_field(v, opts), expected, "{v:?}");
        }
    }

    #[test]
    fn hostile_candidates_stay_linear() {
        // every "=?" starts a word whose text never ends: each must not rescan the rest
        let unended = b"=?a?q?x".repeat(150_000);
        let t = decode_text(&unended, TextOptions::default());
        assert_eq!(t.as_bytes(), &unended[..]);
        assert_eq!(decode_text(&unended, TextOptions::STRICT).as_bytes(), &unended[..]);
        // one huge word full of candidates, rejected in strict mode (longer than 75)
        let mut nested = b"=?utf-8?q?".to_vec();
        nested.extend_from_slice(&b")=?a?q?x".repeat(150_000));
        nested.extend_from_slice(b"?=");
        for ctx in [Context::Unstructured, Context::Phrase, Context::Comment] {
            assert_eq!(decode_in(&nested, ctx, TextOptions::STRICT).len(), nested.len());
        }
        assert_eq!(decode_text(&nested, TextOptions::default()).len(), nested.len() - 12);
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

/// The decoder as it was before the single-pass rewrite (unfold into a new buffer, every
/// word's octets into a vector, conversion through `charset::decode_append`), kept as the
/// reference the fast path must equal.
#[cfg(test)]
mod reference {
    use super::{RawCharset, TextOptions, find_word_start, parse_word, unfold};
    use crate::{charset, transfer};
    use std::borrow::Cow;

    fn raw_to_string(bytes: &[u8], raw: RawCharset, out: &mut String) {
        match raw {
            RawCharset::Utf8Lossy => out.push_str(&String::from_utf8_lossy(bytes)),
            RawCharset::Fallback => out.push_str(&charset::decode_fallback(bytes, None)),
            RawCharset::FallbackWith(l) => {
                out.push_str(&charset::decode_fallback(bytes, Some(l)));
            }
        }
    }

    fn q_word_into(input: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while let Some(&c) = input.get(i) {
            match c {
                b'_' => out.push(b' '),
                b'=' => {
                    let h = input.get(i + 1).and_then(|&c| (c as char).to_digit(16));
                    let l = input.get(i + 2).and_then(|&c| (c as char).to_digit(16));
                    if let (Some(h), Some(l)) = (h, l) {
                        out.push(u8::try_from(h * 16 + l).unwrap());
                        i += 3;
                        continue;
                    }
                    out.push(b'=');
                }
                _ => out.push(c),
            }
            i += 1;
        }
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
        let tail: String = out[start..].chars().filter(|&c| c != '\r' && c != '\n').collect();
        out.truncate(start);
        out.push_str(&tail);
        buf.clear();
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

    pub(super) fn decode_text(raw: &[u8], opts: TextOptions) -> Cow<'_, str> {
        assert!(opts.lenient, "the reference covers lenient decoding");
        if is_plain(raw)
            && let Ok(s) = core::str::from_utf8(raw)
        {
            return Cow::Borrowed(s);
        }
        let s = unfold(raw);
        let mut out = String::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut pending_cs: &[u8] = &[];
        let mut i = 0;
        let mut search = 0;
        let mut last_word_end: Option<usize> = None;
        while let Some(off) = find_word_start(&s[search..]) {
            let at = search + off;
            let Some(w) = parse_word(&s, at) else {
                search = at + 2;
                continue;
            };
            let between = &s[i..at];
            let only_ws = between.iter().all(|&c| c == b' ' || c == b'\t');
            if last_word_end != Some(i) || !only_ws {
                flush_words(pending_cs, &mut pending, &mut out);
                raw_to_string(between, opts.raw, &mut out);
            }
            if !pending.is_empty() && !pending_cs.eq_ignore_ascii_case(w.charset) {
                flush_words(pending_cs, &mut pending, &mut out);
            }
            pending_cs = w.charset;
            if w.q {
                q_word_into(w.text, &mut pending);
            } else {
                pending.extend_from_slice(&transfer::base64(w.text).data);
            }
            i = w.end;
            search = w.end;
            last_word_end = Some(w.end);
        }
        flush_words(pending_cs, &mut pending, &mut out);
        raw_to_string(&s[i..], opts.raw, &mut out);
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod equivalence {
    use super::{TextOptions, decode_text, reference};
    use crate::text::RawCharset;
    use proptest::prelude::*;

    const LABELS: &[&str] = &[
        "utf-8",
        "UTF-8",
        "utf8",
        "us-ascii",
        "iso-8859-1",
        "ISO-8859-2",
        "koi8-r",
        "windows-1251",
        "windows-1255",
        "shift_jis",
        "iso-2022-jp",
        "utf-16le",
        "utf-7",
        "latin1",
        "x-unknown",
        "UTF-8*en",
        "\u{b}utf-8",
        "\u{a0}iso-8859-1",
        "\u{e9}",
        "",
        "utf-8 ",
    ];

    fn b64(data: &[u8]) -> String {
        String::from_utf8(crate::transfer::encode_base64(data)).unwrap().replace("\r\n", "")
    }

    fn q(data: &[u8]) -> String {
        data.iter()
            .map(|&c| match c {
                b' ' => "_".to_string(),
                b'!'..=b'~' if c != b'=' && c != b'?' && c != b'_' => (c as char).to_string(),
                _ => format!("={c:02X}"),
            })
            .collect()
    }

    pub(super) fn piece() -> impl Strategy<Value = Vec<u8>> {
        let word = (
            0..LABELS.len(),
            any::<bool>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..12),
                proptest::collection::vec(any::<u8>(), 200..400),
                Just("\u{e9}\u{20ac}".as_bytes().to_vec()),
                Just(b"\r\nBcc: x".to_vec()),
            ],
            0..4u8,
        )
            .prop_map(|(l, is_q, data, mangle)| {
                let text = if is_q { q(&data) } else { b64(&data) };
                let text = match mangle {
                    0 => text,
                    1 => text.replacen('=', "", 1),
                    2 => format!("{text}?x"),
                    _ => text.chars().take(text.len() / 2).collect(),
                };
                format!("=?{}?{}?{}?=", LABELS[l], if is_q { "Q" } else { "b" }, text).into_bytes()
            });
        prop_oneof![
            4 => word,
            1 => Just(b" ".to_vec()),
            1 => Just(b"  \t".to_vec()),
            1 => Just(b"\r\n ".to_vec()),
            1 => Just(b"\r\n".to_vec()),
            1 => Just(b"\n".to_vec()),
            1 => Just(b"=?".to_vec()),
            1 => Just(b"?=".to_vec()),
            1 => Just(b"(\"".to_vec()),
            1 => Just(b"\xe9t\xe9".to_vec()),
            1 => Just("caf\u{e9}".as_bytes().to_vec()),
            1 => Just(b"\xc3".to_vec()),
            1 => Just(b"=?utf-8?q?".to_vec()),
            2 => proptest::collection::vec(any::<u8>(), 0..8),
            2 => "[a-z =?_]{0,10}".prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn fast_path_equals_reference(pieces in proptest::collection::vec(piece(), 0..10)) {
            let raw = pieces.concat();
            for opts in [
                TextOptions::default(),
                TextOptions::LENIENT_LOSSY,
                TextOptions { lenient: true, raw: RawCharset::FallbackWith("koi8-r") },
                TextOptions { lenient: true, raw: RawCharset::FallbackWith(" Shift_JIS") },
                TextOptions { lenient: true, raw: RawCharset::FallbackWith("utf-7") },
                TextOptions { lenient: true, raw: RawCharset::FallbackWith("x-unknown") },
            ] {
                prop_assert_eq!(decode_text(&raw, opts), reference::decode_text(&raw, opts));
            }
        }

        #[test]
        fn field_fast_path_equals_trimmed_decoding(pieces in proptest::collection::vec(piece(), 0..10)) {
            // a field value is the trimmed decoding of the trimmed value, whichever path
            let raw = pieces.concat();
            let sp = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
            let s = raw.iter().position(|c| !sp(c)).unwrap_or(raw.len());
            let e = raw.iter().rposition(|c| !sp(c)).map_or(s, |e| e + 1);
            for opts in [TextOptions::default(), TextOptions::STRICT, TextOptions::LENIENT_LOSSY] {
                let expected = decode_text(&raw[s..e], opts);
                let field = super::decode_field(&raw, opts);
                prop_assert_eq!(&field, expected.trim_matches([' ', '\t']));
                // into a buffer holding something already: the same text
                let mut buf = String::from("stale =?x?q?y?= text");
                prop_assert_eq!(super::decode_field_in(&raw, opts, &mut buf), field.as_ref());
            }
        }
    }

    #[test]
    fn long_folded_values_equal_reference() {
        let mut raw = Vec::new();
        for i in 0..80 {
            raw.extend_from_slice(
                format!("=?utf-8?Q?caf=C3=A9_{i}?= =?koi8-r?B?8NLJ18XU?= x\r\n ").as_bytes(),
            );
        }
        let opts = TextOptions::default();
        assert_eq!(decode_text(&raw, opts), reference::decode_text(&raw, opts));
    }
}

/// The decoder as it was before the encoded-word fast paths (label classification by
/// length and words, one scan per word, runs instead of characters), frozen: lenient and
/// strict decoding in every context must equal it. The pieces those paths did not touch
/// (syntax rules, tables, the base64 word decoder, unfolding) are shared with the module
/// above rather than copied; what is here is what they replaced.
#[cfg(test)]
#[allow(clippy::pedantic, dead_code)]
mod previous {
    // the pieces that did not change are shared, the rest is as it was
    use super::{
        Context, RawCharset, Scan, TextOptions, Word, b_decode, comment_q_ok, hex, is_wsp,
        phrase_after, phrase_before, phrase_q_ok, push_clean, strict_syntax, unfold, unfold_into,
    };
    use crate::charset::{self, Class};
    use crate::swar::{HIGH, LOW};
    use crate::transfer;
    use std::borrow::Cow;

    /// Appends `bytes` read as `raw` says to `out`.
    pub(super) fn raw_to_string(bytes: &[u8], raw: RawCharset, out: &mut String) {
        // short ASCII runs (the white space and words between encoded words) go octet by octet
        if bytes.len() <= 16 && bytes.is_ascii() {
            out.extend(bytes.iter().map(|&b| char::from(b)));
            return;
        }
        if let Ok(s) = core::str::from_utf8(bytes) {
            out.push_str(s);
            return;
        }
        // straight into `out`, no intermediate string (as `charset::decode_fallback` would make)
        let class = match raw {
            RawCharset::Utf8Lossy => Class::Utf8,
            RawCharset::Fallback => charset::windows_1252(),
            RawCharset::FallbackWith(l) => {
                charset::classify_slow(l.trim().as_bytes()).unwrap_or_else(charset::windows_1252)
            }
        };
        if let Class::Utf8 = class {
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    out.push('\u{FFFD}');
                }
            }
        } else {
            charset::append_class(class, bytes, out);
        }
    }

    /// Position of the next `=?` (a short search: no searcher to build).
    fn find_word_start(s: &[u8]) -> Option<usize> {
        // the next word mostly follows after a space or two: look there before searching
        for (i, pair) in s.windows(2).take(4).enumerate() {
            if pair == b"=?" {
                return Some(i);
            }
        }
        let mut i = 0;
        while let Some(off) = memchr::memchr(b'=', s.get(i..)?) {
            if s.get(i + off + 1) == Some(&b'?') {
                return Some(i + off);
            }
            i += off + 1;
        }
        None
    }

    /// Parses an encoded word starting at `at` (which holds `=?`), as leniently as real mail
    /// needs: any charset without white space, encoded text up to the first `?=` without white
    /// space.
    fn parse_word(s: &[u8], at: usize) -> Option<Word<'_>> {
        parse_word_in(s, at, &mut Scan::default())
    }

    /// Like [`parse_word`], remembering its search in `scan`.
    fn parse_word_in<'s>(s: &'s [u8], at: usize, scan: &mut Scan) -> Option<Word<'s>> {
        // spans are short: plain loops beat a vectorised search here
        let rest = s.get(at + 2..)?;
        let q1 = rest.iter().position(|&c| c == b'?' || c.is_ascii_whitespace())?;
        let label_full = rest.get(..q1)?;
        if label_full.is_empty() || rest.get(q1) != Some(&b'?') {
            return None;
        }
        let q = match rest.get(q1 + 1..q1 + 3)? {
            [b'B' | b'b', b'?'] => false,
            [b'Q' | b'q', b'?'] => true,
            _ => return None,
        };
        let text_start = q1 + 3;
        let tail = rest.get(text_start..)?;
        let from = at + 2 + text_start;
        let end = match scan.found {
            Some(Ok(e)) if from >= scan.from && from <= e => e - from,
            Some(Err(stop)) if from >= scan.from && from <= stop => return None,
            _ => {
                let r = text_end(tail);
                *scan = Scan { from, found: Some(r.map(|e| from + e).map_err(|e| from + e)) };
                r.ok()?
            }
        };
        let text = tail.get(..end)?;
        let charset = match label_full.iter().position(|&c| c == b'*') {
            Some(p) => label_full.get(..p)?,
            None => label_full,
        };
        Some(Word { label_full, charset, text, q, end: at + 2 + text_start + end + 2 })
    }

    /// True when one of the eight octets of `x` is below `n` (at most 0x80): the classic
    /// word-at-a-time test, exact for "any".
    fn any_below(x: u64, n: u8) -> bool {
        x.wrapping_sub(LOW * u64::from(n)) & !x & HIGH != 0
    }

    /// True when one of the eight octets of `x` equals `c`.
    fn any_equal(x: u64, c: u8) -> bool {
        any_below(x ^ (LOW * u64::from(c)), 1)
    }

    /// The length of encoded text: up to the first `?=`. `Err` with the position of the white
    /// space (or line break) that comes first, or of the end when no `?=` follows. Eight octets at a time while none is a `?` or
    /// below `!`.
    fn text_end(tail: &[u8]) -> Result<usize, usize> {
        let mut i = 0;
        while let Some(chunk) = tail.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
            let x = u64::from_le_bytes(chunk);
            if any_below(x, b'!') || any_equal(x, b'?') {
                break;
            }
            i += 8;
        }
        loop {
            match tail.get(i) {
                Some(b'?') if tail.get(i + 1) == Some(&b'=') => return Ok(i),
                None | Some(b' ' | b'\t' | b'\r' | b'\n') => return Err(i.min(tail.len())),
                _ => i += 1,
            }
        }
    }

    /// True when `bytes` holds a CR, an LF or an `=`, eight octets at a time.
    fn has_break_or_equals(bytes: &[u8]) -> bool {
        let (words, tail) = bytes.as_chunks::<8>();
        for w in words {
            let x = u64::from_le_bytes(*w);
            if any_equal(x, b'=')
                || (any_below(x, 0x0E) && w.iter().any(|&c| c == b'\r' || c == b'\n'))
            {
                return true;
            }
        }
        tail.iter().any(|&c| matches!(c, b'\r' | b'\n' | b'='))
    }

    /// The position of a strict scan: inside a quoted string or a comment, or not.
    struct Strict {
        context: Context,
        scan: Scan,
        pos: usize,
        depth: usize,
        quoted: bool,
        escape: bool,
        /// Where the last comment closed (its `)`), in a phrase.
        closed: Option<usize>,
    }

    impl Strict {
        fn new(context: Context) -> Self {
            Self {
                context,
                scan: Scan::default(),
                pos: 0,
                depth: 0,
                quoted: false,
                escape: false,
                closed: None,
            }
        }

        /// Follows quoted strings and comments up to `to`.
        fn advance(&mut self, s: &[u8], to: usize) {
            if self.context == Context::Unstructured {
                return;
            }
            for (k, &c) in s.get(self.pos..to).unwrap_or_default().iter().enumerate() {
                if self.escape {
                    self.escape = false;
                } else if self.quoted {
                    match c {
                        b'\\' => self.escape = true,
                        b'"' => self.quoted = false,
                        _ => {}
                    }
                } else {
                    match c {
                        b'\\' if self.depth > 0 || self.context == Context::Comment => {
                            self.escape = true;
                        }
                        b'(' => self.depth += 1,
                        b')' => {
                            if self.depth == 1 {
                                self.closed = Some(self.pos + k);
                            }
                            self.depth = self.depth.saturating_sub(1);
                        }
                        b'"' if self.depth == 0 && self.context == Context::Phrase => {
                            self.quoted = true;
                        }
                        _ => {}
                    }
                }
            }
            self.pos = self.pos.max(to);
        }

        /// The encoded word at `at` when RFC 2047 allows one there.
        fn word_at<'s>(&mut self, s: &'s [u8], at: usize) -> Option<Word<'s>> {
            self.advance(s, at);
            if self.quoted || self.escape {
                return None;
            }
            let w = parse_word_in(s, at, &mut self.scan)?;
            if !strict_syntax(&w, w.end - at) {
                return None;
            }
            let before = at.checked_sub(1).and_then(|p| s.get(p)).copied();
            let after = s.get(w.end).copied();
            let comment = self.context == Context::Comment || self.depth > 0;
            let ok = if self.context == Context::Unstructured {
                is_wsp(before) && is_wsp(after)
            } else if comment {
                (is_wsp(before) || before == Some(b'('))
                    && (is_wsp(after) || after == Some(b')'))
                    && (!w.q || comment_q_ok(w.text))
            } else {
                let after_comment = before == Some(b')') && self.closed == at.checked_sub(1);
                (phrase_before(before) || after_comment)
                    && phrase_after(after)
                    && (!w.q || phrase_q_ok(w.text))
            };
            if ok {
                // the word is one token: nothing in it opens a quote or a comment
                self.pos = w.end;
                Some(w)
            } else {
                None
            }
        }
    }

    /// Octets of encoded words waiting for their charset conversion: on the stack up to 256
    /// octets, on the heap beyond.
    struct Octets {
        inline: [u8; 256],
        len: usize,
        heap: Vec<u8>,
    }

    impl Octets {
        fn new() -> Self {
            Self { inline: [0; 256], len: 0, heap: Vec::new() }
        }

        fn is_empty(&self) -> bool {
            self.len == 0 && self.heap.is_empty()
        }

        fn as_slice(&self) -> &[u8] {
            if self.heap.is_empty() {
                self.inline.get(..self.len).unwrap_or_default()
            } else {
                &self.heap
            }
        }

        fn clear(&mut self) {
            self.len = 0;
            self.heap.clear();
        }

        /// Appends the octets of a word's encoded text (never more octets than characters).
        fn decode_word(&mut self, text: &[u8], q: bool) {
            if self.heap.is_empty() {
                if let Some(dst) = self.inline.get_mut(self.len..)
                    && dst.len() >= text.len()
                {
                    self.len += if q { q_decode(text, dst) } else { b_decode(text, dst) };
                    return;
                }
                // too long for the stack: everything moves to the heap
                self.heap.reserve(self.len + text.len());
                self.heap.extend_from_slice(self.inline.get(..self.len).unwrap_or_default());
                self.len = 0;
            }
            if q {
                transfer::q_word_into(text, &mut self.heap);
            } else {
                transfer::base64_append(text, &mut self.heap);
            }
        }
    }

    /// Decodes "Q" encoded text (RFC 2047 4.2; an `=` without two hex digits kept) into `dst`,
    /// which holds at least `text.len()` octets; returns the octet count.
    fn q_decode(text: &[u8], dst: &mut [u8]) -> usize {
        let mut written = 0;
        let mut pos = 0;
        while let Some(&c) = text.get(pos) {
            let mut octet = c;
            pos += 1;
            if c == b'_' {
                octet = b' ';
            } else if c == b'=' {
                let (high, low) = (hex(text.get(pos)), hex(text.get(pos + 1)));
                if (high | low) < 16 {
                    octet = high << 4 | low;
                    pos += 2;
                }
            }
            if let Some(slot) = dst.get_mut(written) {
                *slot = octet;
                written += 1;
            }
        }
        written
    }

    /// The charset class of an encoded word's label; unknown labels read as UTF-8.
    fn word_class(label: &[u8]) -> Class {
        // an ASCII label without a vertical tab needs no trimming (parse_word refused the other
        // white space) and no conversion
        if label.iter().all(|&c| c.is_ascii() && c != 0x0B) {
            return charset::classify_slow(label).unwrap_or(Class::Utf8);
        }
        let l = String::from_utf8_lossy(label);
        charset::classify_slow(l.trim().as_bytes()).unwrap_or(Class::Utf8)
    }

    /// The output of header text decoding: one string, and the octets of adjacent encoded words
    /// of one charset waiting to be converted together (so a character split across words
    /// survives). Single-byte charsets skip the wait: their octets convert one by one.
    struct Decoder<'a> {
        out: String,
        pending: Octets,
        pending_label: &'a [u8],
        pending_class: Class,
        /// The last label resolved, and its class (adjacent words mostly share one).
        last_label: &'a [u8],
        last_class: Class,
        raw: RawCharset,
    }

    impl<'a> Decoder<'a> {
        fn new(out: String, raw: RawCharset) -> Self {
            Self {
                out,
                pending: Octets::new(),
                pending_label: &[],
                pending_class: Class::Utf8,
                last_label: &[],
                last_class: Class::Utf8,
                raw,
            }
        }

        /// Raw text between encoded words.
        fn text(&mut self, bytes: &[u8]) {
            self.flush();
            raw_to_string(bytes, self.raw, &mut self.out);
        }

        /// One encoded word, joined to the pending octets when their charset is the same.
        fn word(&mut self, w: &Word<'a>) {
            if !self.pending.is_empty() && !self.pending_label.eq_ignore_ascii_case(w.charset) {
                self.flush();
            }
            let class =
                if self.last_label.eq_ignore_ascii_case(w.charset) && !self.last_label.is_empty() {
                    self.last_class
                } else {
                    let c = word_class(w.charset);
                    self.last_label = w.charset;
                    self.last_class = c;
                    c
                };
            self.pending_label = w.charset;
            self.pending_class = class;
            self.pending.decode_word(w.text, w.q);
            if matches!(class, Class::Single(_)) {
                // octet by octet: nothing to gain from joining
                self.flush();
            }
        }

        /// Converts the pending octets.
        fn flush(&mut self) {
            if self.pending.is_empty() {
                return;
            }
            let bytes = self.pending.as_slice();
            match self.pending_class {
                Class::Utf8 => match core::str::from_utf8(bytes) {
                    Ok(s) => push_clean(&mut self.out, s),
                    Err(_) => push_clean(&mut self.out, &String::from_utf8_lossy(bytes)),
                },
                Class::Utf7 => push_clean(&mut self.out, &charset::decode_utf7(bytes)),
                Class::Single(table) => charset::single_byte_append(table, bytes, &mut self.out),
                class @ Class::Encoding(_) => {
                    let start = self.out.len();
                    charset::append_class(class, bytes, &mut self.out);
                    if self.out.get(start..).is_some_and(|t| t.contains(['\r', '\n'])) {
                        let tail = self.out.split_off(start);
                        push_clean(&mut self.out, &tail);
                    }
                }
            }
            self.pending.clear();
        }

        fn finish(mut self) -> String {
            self.flush();
            self.out
        }
    }

    /// Decodes unstructured header text: unfolds it, decodes RFC 2047 encoded words (adjacent
    /// words joined without the white space between them, and words of one charset joined before
    /// conversion so a character split across words survives), reads raw octets per `opts.raw`.
    /// CR and LF never appear in the result. The same as [`decode_in`] with
    /// [`Context::Unstructured`].
    pub(super) fn decode_text(raw: &[u8], opts: TextOptions) -> Cow<'_, str> {
        decode_in(raw, Context::Unstructured, opts)
    }

    /// A field value as text, trimmed: the raw value without surrounding white space and line
    /// breaks, decoded like [`decode_text`], then without surrounding spaces and tabs. The same
    /// as trimming before and after [`decode_text`], without a second string when the decoded
    /// text has white space at its ends.
    pub(super) fn decode_field(raw: &[u8], opts: TextOptions) -> Cow<'_, str> {
        let mut out = String::new();
        match decode_field_into(raw, opts, &mut out) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(out),
        }
    }

    /// Like [`decode_field`], decoding into `buf` (cleared first; its allocation is reused, so
    /// decoding many values through one buffer allocates only to grow it). Returns the text:
    /// the value itself when decoding leaves it unchanged, else what `buf` now holds.
    ///
    /// ```
    /// use mailwire_mime::text::{TextOptions, decode_field_in};
    ///
    /// let mut buf = String::new();
    /// assert_eq!(decode_field_in(b" plain \r\n", TextOptions::default(), &mut buf), "plain");
    /// assert_eq!(decode_field_in(b" =?utf-8?q?caf=C3=A9?=", TextOptions::default(), &mut buf), "caf\u{e9}");
    /// ```
    pub(super) fn decode_field_in<'a>(
        raw: &'a [u8],
        opts: TextOptions,
        buf: &'a mut String,
    ) -> &'a str {
        match decode_field_into(raw, opts, buf) {
            Some(s) => s,
            None => buf.as_str(),
        }
    }

    /// The value borrowed when decoding leaves it unchanged; otherwise `None` with the text in
    /// `out` (cleared first).
    fn decode_field_into<'a>(
        raw: &'a [u8],
        opts: TextOptions,
        out: &mut String,
    ) -> Option<&'a str> {
        let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
        let start = raw.iter().position(|c| !is_space(c)).unwrap_or(raw.len());
        let end = raw.iter().rposition(|c| !is_space(c)).map_or(start, |e| e + 1);
        let value = raw.get(start..end).unwrap_or_default();
        // the common case first: no line break and no `=` (so no encoded word), valid UTF-8
        if !has_break_or_equals(value)
            && let Ok(s) = core::str::from_utf8(value)
        {
            return Some(s);
        }
        if let Some(unchanged) = decode_in_into(value, Context::Unstructured, opts, out) {
            // the ends are already trimmed
            return Some(unchanged);
        }
        let kept = out.trim_end_matches([' ', '\t']).len();
        out.truncate(kept);
        let lead = out.len() - out.trim_start_matches([' ', '\t']).len();
        out.drain(..lead);
        None
    }

    /// Decodes header text from `context` (which matters in strict mode only, see [`Context`]):
    /// unfolded, encoded words decoded, everything else (quotes, parentheses) kept as written.
    /// Borrows when the value is UTF-8 without line breaks or `=?`; otherwise makes one string
    /// (plus one buffer for values folded beyond 512 octets or words beyond 256 octets).
    pub(super) fn decode_in(raw: &[u8], context: Context, opts: TextOptions) -> Cow<'_, str> {
        let mut out = String::new();
        match decode_in_into(raw, context, opts, &mut out) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(out),
        }
    }

    /// [`decode_in`]: the text borrowed when it is unchanged, else `None` with the decoded
    /// text in `out` (cleared first, its allocation reused).
    fn decode_in_into<'a>(
        raw: &'a [u8],
        context: Context,
        opts: TextOptions,
        out: &mut String,
    ) -> Option<&'a str> {
        let Some(first_break) = memchr::memchr2(b'\r', b'\n', raw) else {
            // Plain UTF-8 text without folds or encoded words is borrowed as it is.
            let first = find_word_start(raw);
            if first.is_none()
                && let Ok(s) = core::str::from_utf8(raw)
            {
                return Some(s);
            }
            decode_unfolded(raw, first, context, opts, out);
            return None;
        };
        let mut stack = [0u8; 512];
        let heap: Vec<u8>;
        let s: &[u8] = if raw.len() <= stack.len() {
            let n = unfold_into(raw, first_break, &mut stack);
            stack.get(..n).unwrap_or_default()
        } else {
            heap = unfold(raw).into_owned();
            &heap
        };
        decode_unfolded(s, find_word_start(s), context, opts, out);
        None
    }

    /// Decodes unfolded text whose first `=?` is at `first`.
    fn decode_unfolded(
        s: &[u8],
        first: Option<usize>,
        context: Context,
        opts: TextOptions,
        out: &mut String,
    ) {
        let mut buf = core::mem::take(out);
        buf.clear();
        buf.reserve(s.len());
        let mut d = Decoder::new(buf, opts.raw);
        let mut strict = Strict::new(context);
        let mut scan = Scan::default();
        let mut i = 0; // start of text not yet written
        let mut last_word_end: Option<usize> = None;
        let mut next = first;
        while let Some(at) = next {
            let word =
                if opts.lenient { parse_word_in(s, at, &mut scan) } else { strict.word_at(s, at) };
            let Some(w) = word else {
                next = find_word_start(s.get(at + 2..).unwrap_or_default()).map(|o| o + at + 2);
                continue;
            };
            let between = s.get(i..at).unwrap_or_default();
            if last_word_end == Some(i) && between.iter().all(|&c| c == b' ' || c == b'\t') {
                // adjacent encoded words: the white space between them is dropped
            } else {
                d.text(between);
            }
            d.word(&w);
            i = w.end;
            last_word_end = Some(w.end);
            next = find_word_start(s.get(w.end..).unwrap_or_default()).map(|o| o + w.end);
        }
        d.text(s.get(i..).unwrap_or_default());
        *out = d.finish();
    }

    /// Builds a display name from the tokens of a phrase under the strict rules: an atom is
    /// decoded only when it is one whole encoded word (RFC 2047 section 5 (3)); quoted strings
    /// and other atoms are kept as they are; encoded words separated only by white space are
    /// joined.
    pub(super) struct StrictPhrase<'a> {
        d: Decoder<'a>,
        last_word: bool,
    }

    impl<'a> StrictPhrase<'a> {
        pub(super) fn new(raw: RawCharset) -> Self {
            Self { d: Decoder::new(String::with_capacity(64), raw), last_word: false }
        }

        /// An atom; `space` when white space precedes it, `adjacent` when only white space
        /// separates it from the previous token.
        pub(super) fn atom(&mut self, atom: &'a [u8], space: bool, adjacent: bool) {
            let word = (atom.starts_with(b"=?"))
                .then(|| parse_word(atom, 0))
                .flatten()
                .filter(|w| w.end == atom.len() && strict_syntax(w, atom.len()))
                .filter(|w| !w.q || phrase_q_ok(w.text));
            match word {
                Some(w) => {
                    if !(self.last_word && adjacent) {
                        self.d.flush();
                        if space {
                            self.d.out.push(' ');
                        }
                    }
                    self.d.word(&w);
                    self.last_word = true;
                }
                None => self.other(atom, space),
            }
        }

        /// Any other token's text (quoted string content, a special, a domain literal).
        pub(super) fn other(&mut self, text: &[u8], space: bool) {
            self.d.flush();
            if space {
                self.d.out.push(' ');
            }
            self.d.text(text);
            self.last_word = false;
        }

        pub(super) fn finish(self) -> String {
            let mut s = self.d.finish();
            s.retain(|c| c != '\r' && c != '\n');
            s
        }
    }

    /// Decodes one value that may be a sequence of encoded words (display names, parameters):
    /// like [`decode_text`] in lenient mode.
    pub(super) fn decode_phrase(raw: &[u8], raw_cs: RawCharset) -> String {
        decode_text(raw, TextOptions { lenient: true, raw: raw_cs }).into_owned()
    }
}

#[cfg(test)]
mod same_as_previous {
    use super::{Context, RawCharset, StrictPhrase, TextOptions, previous};
    use proptest::prelude::*;

    fn strict_piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => super::equivalence::piece(),
            1 => Just(b"(".to_vec()),
            1 => Just(b")".to_vec()),
            1 => Just(b"\"".to_vec()),
            1 => Just(b"\\".to_vec()),
            1 => Just(b"<a@b>,".to_vec()),
            1 => Just(b"=?iso-8859-1?q?a=E9b?=".to_vec()),
            1 => Just(b"=?utf-8?b?w6k=?=".to_vec()),
            1 => Just(b"=?utf-8?q?=0D=0A?=".to_vec()),
            1 => Just(b"=?koi8-r?q?=C1_=0d?=".to_vec()),
            1 => Just(b"=?UTF-8?Q?(x)?=".to_vec()),
            1 => Just(b"=?windows-1252?B?k3F1b3RlZJQ=?=".to_vec()),
            1 => Just(b"=?utf-8*en?Q?a?=".to_vec()),
            1 => Just(b"=?\x0butf-8?Q?a?=".to_vec()),
        ]
    }

    pub(super) fn all_opts() -> [TextOptions; 6] {
        [
            TextOptions::default(),
            TextOptions::STRICT,
            TextOptions::LENIENT_LOSSY,
            TextOptions { lenient: false, raw: RawCharset::Utf8Lossy },
            TextOptions { lenient: true, raw: RawCharset::FallbackWith("koi8-r") },
            TextOptions { lenient: false, raw: RawCharset::FallbackWith(" Shift_JIS") },
        ]
    }

    fn check(raw: &[u8]) -> Result<(), TestCaseError> {
        for opts in all_opts() {
            for ctx in [Context::Unstructured, Context::Phrase, Context::Comment] {
                prop_assert_eq!(
                    super::decode_in(raw, ctx, opts),
                    previous::decode_in(raw, ctx, opts)
                );
            }
            prop_assert_eq!(super::decode_field(raw, opts), previous::decode_field(raw, opts));
            let mut a = String::from("stale");
            let mut b = String::from("stale");
            prop_assert_eq!(
                super::decode_field_in(raw, opts, &mut a),
                previous::decode_field_in(raw, opts, &mut b)
            );
        }
        prop_assert_eq!(
            super::decode_phrase(raw, RawCharset::Fallback),
            previous::decode_phrase(raw, RawCharset::Fallback)
        );
        Ok(())
    }

    /// "Q" text of `data`, each octet escaped or not as `escape` says (those that must be
    /// always are).
    fn q_text(data: &[u8], escape: &[bool]) -> Vec<u8> {
        let mut t = Vec::new();
        for (i, &c) in data.iter().enumerate() {
            let must = !c.is_ascii_graphic() || matches!(c, b'=' | b'?' | b'_');
            if c == b' ' && !escape.get(i).copied().unwrap_or(false) {
                t.push(b'_');
            } else if must || escape.get(i).copied().unwrap_or(false) {
                t.extend_from_slice(format!("={c:02X}").as_bytes());
            } else {
                t.push(c);
            }
        }
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn q_words_straight_to_text_equal_their_octets(
            data in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..40),
                "\\PC{0,12}".prop_map(String::into_bytes),
                // lead octets with continuation octets: overlong, surrogate, too large
                proptest::collection::vec(
                    (0xC0..=0xFFu8, proptest::collection::vec(0x80..=0xBFu8, 0..4), any::<u8>()),
                    0..6,
                ).prop_map(|seqs| seqs.into_iter().flat_map(|(l, c, a)| {
                    let mut v = vec![l];
                    v.extend(c);
                    v.push(a & 0x7F);
                    v
                }).collect()),
            ],
            escape in proptest::collection::vec(any::<bool>(), 40),
            cut in 0..3usize,
            table in 0..6usize,
        ) {
            let mut text = q_text(&data, &escape);
            // a cut escape, a raw octet
            match cut {
                1 => text.truncate(text.len().saturating_sub(1)),
                2 => text.push(0xE9),
                _ => {}
            }
            let mut octets = vec![0; text.len()];
            let (n, _) = super::q_decode(&text, &mut octets);
            octets.truncate(n);
            let clean = |s: &str| s.replace(['\r', '\n'], "");
            let mut out = String::from("x");
            if super::q_utf8(&text, &mut out) {
                let expected = core::str::from_utf8(&octets).expect("q_utf8 took ill-formed octets");
                prop_assert_eq!(&out[1..], clean(expected));
            } else {
                prop_assert_eq!(out.as_str(), "x");
                prop_assert!(core::str::from_utf8(&octets).is_err() || text.iter().any(|&c| c >= 0x80));
            }
            let labels = ["windows-1252", "iso-8859-15", "iso-8859-2", "koi8-r", "windows-1251", "windows-1250"];
            let Some(crate::charset::Class::Single(t)) = crate::charset::classify(labels[table]) else {
                panic!("{}", labels[table]);
            };
            let mut direct = String::new();
            super::q_single(t, &text, &mut direct);
            let mut through = String::new();
            crate::charset::single_byte_append(t, &octets, &mut through);
            prop_assert_eq!(direct, through);
        }

        #[test]
        fn word_scans_equal_octet_by_octet_scans(
            s in proptest::collection::vec(
                prop_oneof![Just(b'='), Just(b'?'), Just(b'*'), Just(b' '), Just(b'\t'), Just(b'\r'),
                    Just(0x0B), Just(0x0C), Just(b'@'), Just(b'>'), any::<u8>()],
                0..40,
            )
        ) {
            let naive_end = || {
                let mut i = 0;
                loop {
                    match s.get(i) {
                        Some(b'?') if s.get(i + 1) == Some(&b'=') => return Ok(i),
                        None | Some(b' ' | b'\t' | b'\r' | b'\n') => return Err(i),
                        _ => i += 1,
                    }
                }
            };
            prop_assert_eq!(super::text_end(&s), naive_end());
            let naive_label = s
                .iter()
                .position(|&c| c == b'?' || c.is_ascii_whitespace())
                .filter(|&q| s[q] == b'?')
                .map(|q| (q, s[..q].iter().position(|&c| c == b'*').unwrap_or(q)));
            prop_assert_eq!(super::label_end(&s), naive_label);
            for chunk in s.chunks_exact(8) {
                let x = u64::from_le_bytes(chunk.try_into().unwrap());
                for (k, &c) in chunk.iter().enumerate() {
                    let bit = 0x80u64 << (8 * k);
                    prop_assert_eq!(super::below_exact(x, b'!') & bit != 0, c < b'!');
                    prop_assert_eq!(super::equal_exact(x, b'?') & bit != 0, c == b'?');
                }
            }
        }

        #[test]
        fn word_starts_are_found_like_a_plain_search(
            s in proptest::collection::vec(prop_oneof![Just(b'='), Just(b'?'), Just(b'<'), Just(b'>'), any::<u8>()], 0..40)
        ) {
            prop_assert_eq!(super::find_word_start(&s), s.windows(2).position(|p| p == b"=?"));
        }

        #[test]
        fn decoding_equals_previous(pieces in proptest::collection::vec(strict_piece(), 0..12)) {
            check(&pieces.concat())?;
        }

        #[test]
        fn decoding_bytes_equals_previous(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            check(&raw)?;
        }

        #[test]
        fn strict_phrase_equals_previous(
            tokens in proptest::collection::vec((strict_piece(), any::<bool>(), any::<bool>(), any::<bool>()), 0..8)
        ) {
            let mut a = StrictPhrase::new(RawCharset::Fallback);
            let mut b = previous::StrictPhrase::new(RawCharset::Fallback);
            for (t, atom, space, adjacent) in &tokens {
                if *atom {
                    a.atom(t, *space, *adjacent);
                    b.atom(t, *space, *adjacent);
                } else {
                    a.other(t, *space);
                    b.other(t, *space);
                }
            }
            prop_assert_eq!(a.finish(), b.finish());
        }
    }
}

/// The scans of the field fast path and the entry point for text known to be UTF-8 against
/// the plain searches and the byte entry point.
#[cfg(test)]
mod fast_scans {
    use super::{
        RawCharset, TextOptions, decode_field_in, decode_field_str_in, decode_in, first_stop,
        tests::naive_stop, unfold, unfold_runs,
    };
    use proptest::prelude::*;

    /// The options of the decoder's other tests, and a UTF-7 fallback.
    fn opts() -> impl Iterator<Item = TextOptions> {
        let utf7 = TextOptions { lenient: true, raw: RawCharset::FallbackWith("utf-7") };
        super::same_as_previous::all_opts().into_iter().chain([utf7])
    }

    /// Octets that matter to the scans, and any other.
    fn scan_octets() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                3 => Just(b'x'),
                1 => Just(b'='),
                1 => Just(b'?'),
                1 => Just(b'\r'),
                1 => Just(b'\n'),
                1 => Just(b'\t'),
                1 => Just(b' '),
                1 => Just(0x0B),
                1 => Just(0x3F | 0x80),
                1 => Just(0x0D | 0x80),
                1 => any::<u8>(),
            ],
            0..70,
        )
    }

    /// Text known to be UTF-8: header-like pieces (encoded words, folds, raw 8-bit octets
    /// read as UTF-8 with replacement characters), white space and line breaks, any text.
    fn utf8_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            6 => super::equivalence::piece()
                .prop_map(|p| String::from_utf8_lossy(&p).into_owned()),
            1 => Just(" ".to_string()),
            1 => Just("\t".to_string()),
            1 => Just("\r\n ".to_string()),
            1 => Just("\n\t".to_string()),
            1 => Just("\r".to_string()),
            1 => Just("=".to_string()),
            1 => Just("?".to_string()),
            1 => Just("=?utf-8?q?caf=C3=A9?=".to_string()),
            1 => Just("=?iso-8859-1?b?6Q==?=".to_string()),
            1 => Just("caf\u{e9} \u{20ac}".to_string()),
            2 => "\\PC{0,12}",
            2 => "[a-z =?_\r\n\t]{0,12}",
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn stops_equal_a_plain_search(v in scan_octets()) {
            prop_assert_eq!(first_stop(&v), naive_stop(&v));
        }

        #[test]
        fn unfolded_runs_equal_unfolding(v in scan_octets()) {
            let Some(first_break) = v.iter().position(|&c| c == b'\r' || c == b'\n') else {
                return Ok(());
            };
            let mut runs = Vec::new();
            let mut pieces = Vec::new();
            let question = unfold_runs(&v, first_break, |a, b| {
                pieces.push((a, b));
                runs.extend_from_slice(&v[a..b]);
            });
            prop_assert_eq!(&runs[..], &unfold(&v)[..]);
            prop_assert!(pieces.iter().all(|&(a, b)| a < b));
            prop_assert_eq!(question, v[first_break..].contains(&b'?'));
        }

        #[test]
        fn str_entry_equals_byte_entry(s in utf8_text()) {
            for opts in opts() {
                let mut a = String::from("stale =?x?q?y?= text");
                let mut b = String::from("stale");
                let want = decode_field_in(s.as_bytes(), opts, &mut b);
                prop_assert_eq!(decode_field_str_in(&s, opts, &mut a), want);
                prop_assert_eq!(super::decode_field_str(&s, opts), want);
            }
        }

        #[test]
        fn folded_text_equals_unfolded_decoding(s in utf8_text()) {
            // the unfolding fast path gives what decoding the unfolded text gives
            let unfolded = unfold(s.as_bytes()).into_owned();
            for opts in opts() {
                for ctx in [super::Context::Unstructured, super::Context::Phrase, super::Context::Comment] {
                    prop_assert_eq!(
                        decode_in(s.as_bytes(), ctx, opts),
                        decode_in(&unfolded, ctx, opts)
                    );
                }
            }
        }
    }

    #[test]
    fn str_entry_known_answers() {
        let mut buf = String::from("stale");
        let opts = TextOptions::default();
        assert_eq!(decode_field_str_in(" plain \r\n", opts, &mut buf), "plain");
        assert_eq!(
            decode_field_str_in(" caf\u{e9}\r\n  au lait ", opts, &mut buf),
            "caf\u{e9}  au lait"
        );
        assert_eq!(decode_field_str_in("a=\r\n?b", opts, &mut buf), "a=?b");
        assert_eq!(
            decode_field_str_in("x\r\n =?utf-8?q?caf=C3=A9?=", opts, &mut buf),
            "x caf\u{e9}"
        );
        assert_eq!(decode_field_str_in(" =?utf-8?q?_a_?= ", opts, &mut buf), "a");
        assert_eq!(decode_field_str_in("\r\n\t", opts, &mut buf), "");
        assert_eq!(decode_field_str_in("a\tb=c", opts, &mut buf), "a\tb=c");
    }
}
