//! Transfer decoders (RFC 2045 section 6): base64 and quoted-printable, both tolerant.

/// Result of a tolerant decode: the octets and whether anything had to be skipped or kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// The decoded octets.
    pub data: Vec<u8>,
    /// True when invalid input was skipped (base64) or kept as is (quoted-printable).
    pub had_errors: bool,
}

const INVALID: u8 = 0xFF;

// The table has 256 entries and is indexed by a `u8`: the index cannot be out of range; the
// truncating casts keep the low octets of 24-bit groups on purpose.
/// The base64 alphabet's six-bit values, `INVALID` for other octets; `=` gives `pad`.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
pub(crate) const fn b64_table(pad: u8) -> [u8; 256] {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'=' as usize] = pad;
    t
}

static B64: [u8; 256] = b64_table(INVALID);

// Indexing a 256-entry table by a `u8` cannot go out of range; the truncating casts keep
// the low octets of 24-bit groups on purpose.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
/// Decodes base64 leniently: line breaks and white space are skipped; `=` completes the
/// group in progress (a final group of two or three symbols decodes as if padded, a lone
/// symbol is dropped); after padding, decoding goes on when more base64 follows
/// (concatenated encodings) and stops at anything else (a footer appended to the body);
/// other octets outside the alphabet are skipped and reported in `had_errors`.
///
/// Input made only of the alphabet, white space and `=` takes a vectorised path; anything
/// else is decoded by the scalar loop below, with the same result.
pub fn base64(input: &[u8]) -> Decoded {
    let mut data = Vec::new();
    let had_errors = base64_append(input, &mut data);
    Decoded { data, had_errors }
}

/// Like [`base64`], appending to `out`; returns whether invalid input was skipped.
pub(crate) fn base64_append(input: &[u8], out: &mut Vec<u8>) -> bool {
    // The vectorised decoder accepts exactly the alphabet, white space and `=`, with the
    // semantics documented on `base64`; on anything else it leaves `out` untouched.
    if encodify::base64::MIME.decode_append(input, out).is_ok() {
        return false;
    }
    base64_scalar(input, out)
}

/// The scalar decoder: the same result as [`base64_append`] on every input.
pub(crate) fn base64_scalar(input: &[u8], out: &mut Vec<u8>) -> bool {
    let mut st = Base64Decoder::new();
    st.push(input, out);
    st.finish(out)
}

/// A base64 decoder fed in chunks of any size, for bodies streamed through the push parser:
/// the octets and the error flag are those of [`base64`] on the whole input, however it is
/// cut. Its state is a few octets.
///
/// ```
/// use mailwire_mime::transfer::{Base64Decoder, base64};
///
/// let body = b"SGVsbG8s\r\nIHdvcmxk\r\nIQ==\r\n";
/// let mut dec = Base64Decoder::new();
/// let mut out = Vec::new();
/// for piece in body.chunks(5) {
///     dec.push(piece, &mut out);
/// }
/// assert!(!dec.finish(&mut out));
/// assert_eq!(out, base64(body).data);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Base64Decoder {
    /// Symbols of the group in progress, and how many.
    acc: u32,
    n: u8,
    /// Padding was seen: more base64 goes on, anything else ends the data.
    after_pad: bool,
    /// The data ended (something other than base64 after padding).
    ended: bool,
    had_errors: bool,
}

impl Base64Decoder {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `input`, appending to `out`.
    #[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        // Output is written through a zero-filled region four octets at a time (three
        // valid), so it has one octet of slack; it is truncated to the decoded length.
        let start = out.len();
        out.resize(start + input.len().div_ceil(4) * 3 + 4, 0);
        let mut pos = start;
        let mut i = 0;
        loop {
            // Fast path: groups of four alphabet octets through four pre-shifted tables; any
            // octet outside the alphabet sets bit 24 and falls through to the slow path.
            if self.n == 0 && !self.after_pad {
                while let Some(g) = input.get(i..i + 8) {
                    let w0 = D0[g[0] as usize]
                        | D1[g[1] as usize]
                        | D2[g[2] as usize]
                        | D3[g[3] as usize];
                    let w1 = D0[g[4] as usize]
                        | D1[g[5] as usize]
                        | D2[g[6] as usize]
                        | D3[g[7] as usize];
                    if (w0 | w1) & BAD != 0 {
                        break;
                    }
                    if let Some(dst) = out.get_mut(pos..pos + 7) {
                        dst[..4].copy_from_slice(&w0.to_le_bytes());
                        dst[3..7].copy_from_slice(&w1.to_le_bytes());
                    }
                    pos += 6;
                    i += 8;
                }
                while let Some(g) = input.get(i..i + 4) {
                    let w = D0[g[0] as usize]
                        | D1[g[1] as usize]
                        | D2[g[2] as usize]
                        | D3[g[3] as usize];
                    if w & BAD != 0 {
                        break;
                    }
                    if let Some(dst) = out.get_mut(pos..pos + 4) {
                        dst.copy_from_slice(&w.to_le_bytes());
                    }
                    pos += 3;
                    i += 4;
                }
            }
            let Some(&c) = input.get(i) else { break };
            i += 1;
            let v = B64[c as usize];
            if self.after_pad {
                if is_pad_or_space(c) {
                    continue;
                }
                if v == INVALID {
                    // not base64 after the padding: the data ended (a footer, say)
                    self.had_errors = true;
                    self.ended = true;
                    break;
                }
                self.after_pad = false;
            }
            if v == INVALID {
                if c == b'=' {
                    // padding completes the group in progress; a lone symbol is dropped
                    flush_group(self.acc, self.n, out, &mut pos);
                    self.acc = 0;
                    self.n = 0;
                    self.after_pad = true;
                } else if !is_space(c) {
                    self.had_errors = true;
                }
                continue;
            }
            self.acc = (self.acc << 6) | u32::from(v);
            self.n += 1;
            if self.n == 4 {
                let acc = self.acc;
                if let Some(dst) = out.get_mut(pos..pos + 3) {
                    dst.copy_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                }
                pos += 3;
                self.acc = 0;
                self.n = 0;
            }
        }
        out.truncate(pos);
    }

    /// Ends the body: decodes a final group that lacks its padding. Returns whether invalid
    /// input was skipped (as [`Decoded::had_errors`]).
    pub fn finish(mut self, out: &mut Vec<u8>) -> bool {
        if !self.after_pad && !self.ended {
            let start = out.len();
            out.resize(start + 2, 0);
            let mut pos = start;
            flush_group(self.acc, self.n, out, &mut pos);
            out.truncate(pos);
            self.n = 0;
        }
        self.had_errors
    }
}

/// White space the decoders skip (as the vectorised path does: SP, HT, CR, LF, VT, FF).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C)
}

fn is_pad_or_space(c: u8) -> bool {
    c == b'=' || is_space(c)
}

/// Writes the octets of an incomplete group of `n` symbols held in `acc` at `*pos`.
#[allow(clippy::cast_possible_truncation)]
fn flush_group(acc: u32, n: u8, out: &mut [u8], pos: &mut usize) {
    let tail: &[u8] = match n {
        2 => &[(acc >> 4) as u8],
        3 => &[(acc >> 10) as u8, (acc >> 2) as u8],
        _ => &[],
    };
    if let Some(dst) = out.get_mut(*pos..*pos + tail.len()) {
        dst.copy_from_slice(tail);
        *pos += tail.len();
    }
}

const BAD: u32 = 0x0100_0000;

// Tables giving each alphabet octet's six bits already shifted to their place in the
// little-endian word of the three output octets; any other octet gives BAD.
#[allow(clippy::indexing_slicing)]
const fn shifted_table(slot: u32) -> [u32; 256] {
    let mut t = [BAD; 256];
    let base = b64_table(INVALID);
    let mut i = 0;
    while i < 256 {
        let v = base[i] as u32;
        if v != INVALID as u32 {
            t[i] = match slot {
                0 => v << 2,
                1 => (v >> 4) | ((v & 0xF) << 12),
                2 => ((v >> 2) << 8) | ((v & 3) << 22),
                _ => v << 16,
            };
        }
        i += 1;
    }
    t
}

static D0: [u32; 256] = shifted_table(0);
static D1: [u32; 256] = shifted_table(1);
static D2: [u32; 256] = shifted_table(2);
static D3: [u32; 256] = shifted_table(3);

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes quoted-printable body text: soft line breaks removed (also with trailing white
/// space after the `=`), lowercase hex accepted, invalid escapes kept as they are, trailing
/// white space before a line break dropped (RFC 2045 6.7 rule 3), line breaks kept.
pub fn quoted_printable(input: &[u8]) -> Decoded {
    let mut data = Vec::with_capacity(input.len());
    let had_errors = quoted_printable_append(input, &mut data);
    Decoded { data, had_errors }
}

/// Like [`quoted_printable`], appending to `out` (octets already there are left alone);
/// returns whether invalid escapes were kept.
#[allow(clippy::many_single_char_names)]
pub(crate) fn quoted_printable_append(input: &[u8], out: &mut Vec<u8>) -> bool {
    let mut had_errors = false;
    // octets before `keep` came from escapes or line ends: never dropped as trailing space
    let mut keep = out.len();
    let mut i = 0;
    let trim = |out: &mut Vec<u8>, keep: usize| {
        while out.len() > keep && matches!(out.last(), Some(b' ' | b'\t')) {
            out.pop();
        }
    };
    loop {
        let rest = input.get(i..).unwrap_or_default();
        let Some(off) = memchr::memchr2(b'=', b'\n', rest) else {
            out.extend_from_slice(rest);
            trim(out, keep);
            break;
        };
        let j = i + off;
        out.extend_from_slice(input.get(i..j).unwrap_or_default());
        if input.get(j) == Some(&b'\n') {
            let cr = out.len() > keep && out.last() == Some(&b'\r');
            if cr {
                out.pop();
            }
            trim(out, keep);
            if cr {
                out.push(b'\r');
            }
            out.push(b'\n');
            keep = out.len();
            i = j + 1;
            continue;
        }
        let h = input.get(j + 1).copied().and_then(hex);
        let l = input.get(j + 2).copied().and_then(hex);
        if let (Some(h), Some(l)) = (h, l) {
            out.push(h << 4 | l);
            keep = out.len();
            i = j + 3;
            continue;
        }
        // soft break: '=' then optional white space then a line end (or the end)
        let mut k = j + 1;
        while matches!(input.get(k), Some(b' ' | b'\t')) {
            k += 1;
        }
        match input.get(k) {
            Some(b'\r') if input.get(k + 1) == Some(&b'\n') => i = k + 2,
            Some(b'\n') => i = k + 1,
            None => i = k,
            _ => {
                had_errors = true;
                out.push(b'=');
                keep = out.len();
                i = j + 1;
                continue;
            }
        }
        keep = out.len();
    }
    had_errors
}

/// A quoted-printable decoder fed in chunks of any size: the octets and the error flag are
/// those of [`quoted_printable`] on the whole input, however it is cut. It holds back the
/// unfinished last line, at most `max_line` octets (longer lines are decoded in pieces cut
/// where no escape, soft break or trailing white space can span the cut).
///
/// ```
/// use mailwire_mime::transfer::{QuotedPrintableDecoder, quoted_printable};
///
/// let body = b"caf=C3=A9 =\r\nau lait  \r\n";
/// let mut dec = QuotedPrintableDecoder::new();
/// let mut out = Vec::new();
/// for piece in body.chunks(3) {
///     dec.push(piece, &mut out);
/// }
/// assert!(!dec.finish(&mut out));
/// assert_eq!(out, quoted_printable(body).data);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedPrintableDecoder {
    carry: Vec<u8>,
    max_line: usize,
    had_errors: bool,
}

impl Default for QuotedPrintableDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl QuotedPrintableDecoder {
    /// A decoder holding back at most 8 KiB of an unfinished line.
    pub fn new() -> Self {
        Self::with_max_line(8 * 1024)
    }

    /// A decoder holding back at most `max_line` octets (at least 16).
    pub fn with_max_line(max_line: usize) -> Self {
        Self { carry: Vec::new(), max_line: max_line.max(16), had_errors: false }
    }

    /// Decodes the complete lines of what was pushed so far, appending to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut input = input;
        if !self.carry.is_empty() {
            // finish the held-back line first
            let Some(nl) = memchr::memchr(b'\n', input) else {
                self.carry.extend_from_slice(input);
                self.cut_long_line(out);
                return;
            };
            self.carry.extend_from_slice(input.get(..=nl).unwrap_or_default());
            input = input.get(nl + 1..).unwrap_or_default();
            let line = std::mem::take(&mut self.carry);
            self.had_errors |= quoted_printable_append(&line, out);
            self.carry = line;
            self.carry.clear();
        }
        let complete = memchr::memrchr(b'\n', input).map_or(0, |nl| nl + 1);
        self.had_errors |= quoted_printable_append(input.get(..complete).unwrap_or_default(), out);
        self.carry.extend_from_slice(input.get(complete..).unwrap_or_default());
        self.cut_long_line(out);
    }

    /// Decodes the front of an over-long held-back line.
    fn cut_long_line(&mut self, out: &mut Vec<u8>) {
        if self.carry.len() <= self.max_line {
            return;
        }
        let c = &self.carry;
        let mut k = c.len();
        // a cut never follows white space or CR (a line break may come), `=` or `=X` (an
        // escape or a soft break may be unfinished)
        loop {
            match (k.checked_sub(2).and_then(|i| c.get(i)), k.checked_sub(1).and_then(|i| c.get(i)))
            {
                (_, Some(b' ' | b'\t' | b'\r' | b'=')) => k -= 1,
                (Some(b'='), Some(_)) => k -= 2,
                _ => break,
            }
        }
        if k == 0 {
            return;
        }
        self.had_errors |= quoted_printable_append(c.get(..k).unwrap_or_default(), out);
        self.carry.drain(..k);
    }

    /// Ends the body. Returns whether invalid escapes were kept.
    pub fn finish(mut self, out: &mut Vec<u8>) -> bool {
        self.had_errors |= quoted_printable_append(&self.carry, out);
        self.had_errors
    }
}

/// [`q_word_into`] into a new vector.
#[cfg(test)]
pub(crate) fn q_word(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    q_word_into(input, &mut out);
    out
}

/// Decodes the RFC 2047 "Q" encoding (like quoted-printable, with `_` for a space),
/// appending to `out`.
pub(crate) fn q_word_into(input: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&c) = input.get(i) {
        match c {
            b'_' => out.push(b' '),
            b'=' => {
                if let (Some(h), Some(l)) = (
                    input.get(i + 1).copied().and_then(hex),
                    input.get(i + 2).copied().and_then(hex),
                ) {
                    out.push(h << 4 | l);
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

/// Percent-decoding of RFC 2231 extended values (invalid escapes kept).
pub(crate) fn percent(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&c) = input.get(i) {
        if c == b'%'
            && let (Some(h), Some(l)) =
                (input.get(i + 1).copied().and_then(hex), input.get(i + 2).copied().and_then(hex))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Decodes a uuencoded body (`begin <mode> <name>` ... `end`); without a `begin` line every
/// line is taken as data. Characters are read modulo 64 (space and backquote both zero).
pub fn uudecode(input: &[u8]) -> Decoded {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut had_errors = false;
    let has_begin = input.split(|&c| c == b'\n').any(|l| l.starts_with(b"begin "));
    let mut started = !has_begin;
    for line in input.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !started {
            started = line.starts_with(b"begin ");
            continue;
        }
        if line == b"end" {
            break;
        }
        let Some((&len_c, rest)) = line.split_first() else { continue };
        let len = usize::from(len_c.wrapping_sub(b' ') & 63);
        let start = out.len();
        for group in rest.chunks(4) {
            let v = |k: usize| u32::from(group.get(k).map_or(0, |&c| c.wrapping_sub(b' ') & 63));
            let w = (v(0) << 18) | (v(1) << 12) | (v(2) << 6) | v(3);
            out.extend_from_slice(w.to_be_bytes().get(1..).unwrap_or_default());
        }
        if out.len() - start < len {
            had_errors = true;
        }
        out.truncate(start + len.min(out.len() - start));
    }
    Decoded { data: out, had_errors }
}

const B64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_char(v: u32) -> u8 {
    B64_ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'=')
}

/// Encodes base64 with CRLF line breaks every 76 characters (RFC 2045 6.8).
pub fn encode_base64(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3 * 4 + data.len() / 57 * 2 + 6);
    for (n, chunk) in data.chunks(3).enumerate() {
        if n > 0 && n % 19 == 0 {
            out.extend_from_slice(b"\r\n");
        }
        let b = [chunk.first().copied(), chunk.get(1).copied(), chunk.get(2).copied()];
        let v = (u32::from(b[0].unwrap_or(0)) << 16)
            | (u32::from(b[1].unwrap_or(0)) << 8)
            | u32::from(b[2].unwrap_or(0));
        out.push(b64_char(v >> 18));
        out.push(b64_char(v >> 12));
        out.push(if b[1].is_some() { b64_char(v >> 6) } else { b'=' });
        out.push(if b[2].is_some() { b64_char(v) } else { b'=' });
    }
    out
}

/// Encodes quoted-printable (RFC 2045 6.7): CRLF line breaks kept as line breaks, every
/// other octet outside printable ASCII (and `=`, and white space before a line break)
/// escaped, soft line breaks keeping lines within 76 characters.
pub fn encode_quoted_printable(data: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(data.len() * 3 / 2);
    let mut col = 0usize;
    let mut i = 0;
    while let Some(&c) = data.get(i) {
        if c == b'\r' && data.get(i + 1) == Some(&b'\n') {
            out.extend_from_slice(b"\r\n");
            col = 0;
            i += 2;
            continue;
        }
        let at_eol = matches!(data.get(i + 1), None | Some(b'\r'));
        let literal = (c == b' ' || c == b'\t') && !at_eol || (33..=126).contains(&c) && c != b'=';
        let width = if literal { 1 } else { 3 };
        if col + width > 75 {
            out.extend_from_slice(b"=\r\n");
            col = 0;
        }
        if literal {
            out.push(c);
        } else {
            out.push(b'=');
            out.push(HEX.get(usize::from(c >> 4)).copied().unwrap_or(b'0'));
            out.push(HEX.get(usize::from(c & 15)).copied().unwrap_or(b'0'));
        }
        col += width;
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_tolerant() {
        assert_eq!(base64(b"aGVsbG8=").data, b"hello");
        assert_eq!(base64(b"aGVsbG8").data, b"hello");
        assert_eq!(base64(b"aGVs\r\nbG8=\r\n").data, b"hello");
        let d = base64(b"aG!Vs*bG8=");
        assert_eq!(d.data, b"hello");
        assert!(d.had_errors);
        assert_eq!(base64(b"").data, b"");
        assert_eq!(base64(b"TWFu").data, b"Man");
        assert_eq!(base64(b"TWE=").data, b"Ma");
        assert_eq!(base64(b"TQ==").data, b"M");
    }

    fn scalar(input: &[u8]) -> Decoded {
        let mut data = Vec::new();
        let had_errors = base64_scalar(input, &mut data);
        Decoded { data, had_errors }
    }

    #[test]
    fn base64_padding_and_footers() {
        // concatenated encodings decode on; a footer after the padding ends the data
        assert_eq!(base64(b"TQ==TQ==").data, b"MM");
        assert_eq!(base64(b"TWFu=TWFu").data, b"ManMan");
        let d = base64(b"aGVsbG8=\r\n-- \r\nsig");
        assert_eq!(d.data, b"hello");
        assert!(d.had_errors);
        // a lone symbol is dropped
        assert_eq!(base64(b"TWFuT").data, b"Man");
        assert_eq!(base64(b"TWFuT=").data, b"Man");
        assert_eq!(base64(b"\x0bTW\x0cFu").data, b"Man");
        for s in
            [&b"TQ==TQ=="[..], b"aGVsbG8=\r\n-- \r\nsig", b"TWFuT", b"T", b"=", b"=x", b"TW=Fu"]
        {
            assert_eq!(base64(s), scalar(s), "{:?}", String::from_utf8_lossy(s));
        }
    }

    fn b64ish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let byte = prop_oneof![
            8 => proptest::sample::select(B64_ALPHABET.to_vec()),
            1 => proptest::sample::select(b"=\r\n \t\x0b\x0c".to_vec()),
            1 => any::<u8>(),
        ];
        proptest::collection::vec(byte, 0..400)
    }

    /// Hands `input` to `push` in the pieces the sorted `cuts` make.
    fn in_pieces(input: &[u8], mut cuts: Vec<usize>, mut push: impl FnMut(&[u8])) {
        cuts.sort_unstable();
        let mut at = 0;
        for c in cuts.into_iter().map(|c| c.min(input.len())) {
            push(input.get(at.min(c)..c).unwrap_or_default());
            at = at.max(c);
        }
        push(input.get(at..).unwrap_or_default());
    }

    fn qpish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            4 => proptest::sample::select(b"abcXYZ019".to_vec()).prop_map(|c| vec![c]),
            2 => proptest::sample::select(vec![&b"=41"[..], b"=c3=a9", b"=\r\n", b"=\n", b"= \r\n", b"=zz", b"=", b"=4"]).prop_map(<[u8]>::to_vec),
            2 => proptest::sample::select(vec![&b" "[..], b"\t", b"\r\n", b"\n", b"\r", b"  \r\n", b"=20\r\n"]).prop_map(<[u8]>::to_vec),
            1 => any::<u8>().prop_map(|c| vec![c]),
        ];
        proptest::collection::vec(piece, 0..120).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #[test]
        fn base64_fast_path_equals_scalar(input in b64ish()) {
            proptest::prop_assert_eq!(base64(&input), scalar(&input));
        }

        #[test]
        fn base64_wrapped_equals_scalar(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000),
            lf in proptest::prelude::any::<bool>(),
            tail in proptest::sample::select(vec![&b""[..], b"\r\n", b"\r\n\r\n", b"  \r\n", b"\r\n--x"]),
        ) {
            let mut enc = encode_base64(&data);
            if lf {
                enc.retain(|&c| c != b'\r');
            }
            enc.extend_from_slice(tail);
            let d = base64(&enc);
            proptest::prop_assert_eq!(&d, &scalar(&enc));
            proptest::prop_assert_eq!(d.data, data);
        }

        #[test]
        fn base64_decoder_any_cut(input in b64ish(), cuts in proptest::collection::vec(0usize..400, 0..8)) {
            let mut dec = Base64Decoder::new();
            let mut out = Vec::new();
            in_pieces(&input, cuts, |piece| dec.push(piece, &mut out));
            let had_errors = dec.finish(&mut out);
            proptest::prop_assert_eq!(Decoded { data: out, had_errors }, base64(&input));
        }

        #[test]
        fn quoted_printable_decoder_any_cut(
            input in qpish(),
            cuts in proptest::collection::vec(0usize..400, 0..8),
            max_line in 16usize..40,
        ) {
            let mut dec = QuotedPrintableDecoder::with_max_line(max_line);
            let mut out = Vec::new();
            in_pieces(&input, cuts, |piece| dec.push(piece, &mut out));
            let had_errors = dec.finish(&mut out);
            proptest::prop_assert_eq!(Decoded { data: out, had_errors }, quoted_printable(&input));
        }

        #[test]
        fn base64_roundtrip(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            proptest::prop_assert_eq!(base64(&encode_base64(&data)).data, data);
        }

        #[test]
        fn qp_roundtrip(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let enc = encode_quoted_printable(&data);
            proptest::prop_assert!(enc.split(|&c| c == b'\n').all(|l| l.len() <= 77));
            proptest::prop_assert_eq!(quoted_printable(&enc).data, data);
        }
    }

    #[test]
    fn uuencode() {
        let d = uudecode(b"begin 644 cat.txt\n#0V%T\n`\nend\n");
        assert_eq!(d.data, b"Cat");
        assert_eq!(uudecode(b"#0V%T\r\n").data, b"Cat");
    }

    #[test]
    fn qp_rfc2045() {
        assert_eq!(quoted_printable(b"a=3Db=\r\nc").data, b"a=bc");
        assert_eq!(quoted_printable(b"caf=c3=a9").data, "café".as_bytes());
        let d = quoted_printable(b"a=zz b");
        assert_eq!(d.data, b"a=zz b");
        assert!(d.had_errors);
        assert_eq!(quoted_printable(b"x  \r\ny\t\nz").data, b"x\r\ny\nz");
        assert_eq!(quoted_printable(b"soft= \r\nbreak").data, b"softbreak");
        assert_eq!(quoted_printable(b"end=").data, b"end");
        assert_eq!(quoted_printable(b"a=20\r\nb=20").data, b"a \r\nb ");
        assert_eq!(quoted_printable(b"tab\there \t").data, b"tab\there");
        assert_eq!(base64(b"aGVsbG8=\r\n-- \r\nsig").data, b"hello");
        assert_eq!(q_word(b"a_b=41"), b"a bA");
        assert_eq!(percent(b"a%20b%zz"), b"a b%zz");
    }
}
