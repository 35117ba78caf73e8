//! Charset conversion: every WHATWG encoding through `encoding_rs`, plus UTF-7 by hand.

use std::borrow::Cow;

/// What a charset label names, resolved once per label.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Class {
    /// UTF-8 or US-ASCII: read as UTF-8, each ill-formed sequence becoming U+FFFD.
    Utf8,
    /// UTF-7 (RFC 2152), decoded by hand.
    Utf7,
    /// A single-byte charset: ASCII as it is, the upper half through this table.
    Single(&'static Upper),
    /// Any other WHATWG encoding, through `encoding_rs`.
    Encoding(&'static encoding_rs::Encoding),
}

/// windows-1252, the last resort of raw 8-bit header text.
pub(crate) fn windows_1252() -> Class {
    single_byte_tables().first().map_or(Class::Encoding(encoding_rs::WINDOWS_1252), Class::Single)
}

/// Resolves a trimmed charset label (case-insensitive); `None` when it names no known charset.
/// Allocates nothing.
pub(crate) fn classify(label: &str) -> Option<Class> {
    classify_bytes(label.as_bytes())
}

/// Like [`classify`], for a label given as octets.
pub(crate) fn classify_bytes(label: &[u8]) -> Option<Class> {
    frequent(label).or_else(|| classify_slow(label))
}

/// A label of 4 to 16 octets lowercased, as two words: its first eight octets (all of it,
/// zero-padded, when shorter) and, beyond eight, its last eight.
type Packed = (u64, u64);

// A const fn over a label literal: the indices stay below the label's length.
#[allow(clippy::indexing_slicing)]
const fn packed(label: &[u8]) -> Packed {
    let n = label.len();
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    let mut i = 0;
    while i < n && i < 8 {
        lo[i] = label[i].to_ascii_lowercase();
        i += 1;
    }
    if n > 8 {
        let mut i = 0;
        while i < 8 {
            hi[i] = label[n - 8 + i].to_ascii_lowercase();
            i += 1;
        }
    }
    (u64::from_le_bytes(lo), u64::from_le_bytes(hi))
}

/// ASCII capitals of eight octets lowercased at once.
fn lower8(x: u64) -> u64 {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let seven = x & !HIGH;
    let from_a = seven + LOW * u64::from(0x80 - b'A');
    let past_z = seven + LOW * u64::from(0x80 - b'Z' - 1);
    let upper = from_a & !past_z & !x & HIGH;
    x | (upper >> 2)
}

/// The first word of [`packed`], not lowercased, for a label of 4 to 8 octets: two
/// overlapping loads of four.
fn load_short(label: &[u8]) -> Option<u64> {
    let a = u32::from_le_bytes(*label.first_chunk::<4>()?);
    let b = u32::from_le_bytes(*label.last_chunk::<4>()?);
    Some(u64::from(a) | u64::from(b) << (8 * (label.len() - 4)))
}

/// The labels of most mail, told apart by their length and one or two words (no table
/// walk, no string compare).
#[inline]
pub(crate) fn frequent(label: &[u8]) -> Option<Class> {
    const UTF_8: Packed = packed(b"utf-8");
    const UTF8: Packed = packed(b"utf8");
    const US_ASCII: Packed = packed(b"us-ascii");
    const ASCII: Packed = packed(b"ascii");
    const KOI8_R: Packed = packed(b"koi8-r");
    const ISO_8859_1: Packed = packed(b"iso-8859-1");
    const ISO_8859_2: Packed = packed(b"iso-8859-2");
    const ISO_8859_15: Packed = packed(b"iso-8859-15");
    const WINDOWS_1252: Packed = packed(b"windows-1252");
    const WINDOWS_1251: Packed = packed(b"windows-1251");
    const WINDOWS_1250: Packed = packed(b"windows-1250");
    // indices into `single_byte_encodings`
    let single = |i: usize| single_byte_tables().get(i).map(Class::Single);
    let n = label.len();
    if n <= 8 {
        let lo = lower8(load_short(label)?);
        return match n {
            4 if lo == UTF8.0 => Some(Class::Utf8),
            5 if lo == UTF_8.0 || lo == ASCII.0 => Some(Class::Utf8),
            6 if lo == KOI8_R.0 => single(3),
            8 if lo == US_ASCII.0 => Some(Class::Utf8),
            _ => None,
        };
    }
    if n > 16 {
        return None;
    }
    let lo = lower8(u64::from_le_bytes(*label.first_chunk::<8>()?));
    let hi = lower8(u64::from_le_bytes(*label.last_chunk::<8>()?));
    match (n, lo) {
        (10, l) if l == ISO_8859_1.0 => match hi {
            h if h == ISO_8859_1.1 => single(0),
            h if h == ISO_8859_2.1 => single(2),
            _ => None,
        },
        (11, l) if l == ISO_8859_15.0 && hi == ISO_8859_15.1 => single(1),
        (12, l) if l == WINDOWS_1252.0 => match hi {
            h if h == WINDOWS_1252.1 => single(0),
            h if h == WINDOWS_1251.1 => single(4),
            h if h == WINDOWS_1250.1 => single(5),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn classify_slow(label: &[u8]) -> Option<Class> {
    let is = |names: &[&str]| names.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(label));
    if is(&["utf-8", "utf8", "us-ascii", "ascii"]) {
        return Some(Class::Utf8);
    }
    if is(&["utf-7", "unicode-1-1-utf-7"]) {
        return Some(Class::Utf7);
    }
    let enc = common(label)
        .or_else(|| encoding_rs::Encoding::for_label_no_replacement(label))
        .or_else(|| {
            // Common aliases outside the WHATWG table.
            let alias: &[u8] = if is(&["latin1", "latin-1", "iso8859-1", "iso_8859_1"]) {
                b"iso-8859-1"
            } else if is(&["cp1252"]) {
                b"windows-1252"
            } else if is(&["ks_c_5601-1987", "ks_c_5601"]) {
                b"euc-kr"
            } else if is(&["x-gbk", "cp936"]) {
                b"gbk"
            } else {
                return None;
            };
            encoding_rs::Encoding::for_label(alias)
        })?;
    Some(single_byte_table(enc).map_or(Class::Encoding(enc), Class::Single))
}

/// The encodings `encoding_rs` decodes octet by octet (x-user-defined aside).
fn single_byte_encodings() -> [&'static encoding_rs::Encoding; 28] {
    use encoding_rs as e;
    [
        e::WINDOWS_1252,
        e::ISO_8859_15,
        e::ISO_8859_2,
        e::KOI8_R,
        e::WINDOWS_1251,
        e::WINDOWS_1250,
        e::IBM866,
        e::ISO_8859_3,
        e::ISO_8859_4,
        e::ISO_8859_5,
        e::ISO_8859_6,
        e::ISO_8859_7,
        e::ISO_8859_8,
        e::ISO_8859_8_I,
        e::ISO_8859_10,
        e::ISO_8859_13,
        e::ISO_8859_14,
        e::ISO_8859_16,
        e::KOI8_U,
        e::MACINTOSH,
        e::WINDOWS_874,
        e::WINDOWS_1253,
        e::WINDOWS_1254,
        e::WINDOWS_1255,
        e::WINDOWS_1256,
        e::WINDOWS_1257,
        e::WINDOWS_1258,
        e::X_MAC_CYRILLIC,
    ]
}

/// The upper half (octets 0x80 to 0xFF) of a single-byte encoding.
#[derive(Debug)]
pub(crate) struct Upper {
    encoding: &'static encoding_rs::Encoding,
    chars: [char; 128],
}

impl Upper {
    /// Built once from `encoding_rs` itself, so both decode alike; allocates nothing.
    fn new(encoding: &'static encoding_rs::Encoding) -> Self {
        let mut chars = ['\u{FFFD}'; 128];
        for (octet, slot) in (0x80..=0xFFu8).zip(chars.iter_mut()) {
            let mut dec = encoding.new_decoder_without_bom_handling();
            let mut buf = [0u8; 8];
            let (_, _, written, _) = dec.decode_to_utf8(&[octet], &mut buf, true);
            let s = buf.get(..written).and_then(|b| core::str::from_utf8(b).ok());
            *slot = s.and_then(|s| s.chars().next()).unwrap_or('\u{FFFD}');
        }
        Self { encoding, chars }
    }

    /// The character of an octet of the upper half; `None` below 0x80.
    pub(crate) fn char(&self, octet: u8) -> Option<char> {
        self.chars.get(usize::from(octet.wrapping_sub(0x80))).copied()
    }
}

fn single_byte_table(enc: &'static encoding_rs::Encoding) -> Option<&'static Upper> {
    single_byte_tables().iter().find(|u| core::ptr::eq(u.encoding, enc))
}

fn single_byte_tables() -> &'static [Upper; 28] {
    static TABLES: std::sync::OnceLock<[Upper; 28]> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| single_byte_encodings().map(Upper::new))
}

/// Appends octets of a single-byte charset, CR and LF left out.
pub(crate) fn single_byte_append(table: &Upper, bytes: &[u8], out: &mut String) {
    for &b in bytes {
        if b >= 0x80 {
            if let Some(c) = table.char(b) {
                out.push(c);
            }
        } else if b != b'\r' && b != b'\n' {
            out.push(char::from(b));
        }
    }
}

/// Decodes `bytes` from the charset named `label` (case-insensitive, as in MIME `charset=`).
///
/// Returns `None` when the label names no known charset. Ill-formed sequences become U+FFFD.
/// UTF-7 (RFC 2152) is handled here because the WHATWG set leaves it out.
pub fn decode<'a>(label: &str, bytes: &'a [u8]) -> Option<Cow<'a, str>> {
    Some(match classify(label.trim())? {
        Class::Utf8 => String::from_utf8_lossy(bytes),
        Class::Utf7 => Cow::Owned(decode_utf7(bytes)),
        Class::Single(t) => {
            if bytes.is_ascii() {
                Cow::Borrowed(core::str::from_utf8(bytes).unwrap_or_default())
            } else {
                let mut s = String::with_capacity(bytes.len() * 2);
                single_byte_push(t, bytes, &mut s);
                Cow::Owned(s)
            }
        }
        Class::Encoding(enc) => enc.decode_without_bom_handling(bytes).0,
    })
}

/// Like [`single_byte_append`], CR and LF kept.
fn single_byte_push(table: &Upper, bytes: &[u8], out: &mut String) {
    for &b in bytes {
        match table.char(b) {
            Some(c) => out.push(c),
            None => out.push(char::from(b)),
        }
    }
}

/// Like [`decode`], appending to `out` without an intermediate string; returns false (and
/// appends nothing) when the label names no known charset.
pub fn decode_append(label: &str, bytes: &[u8], out: &mut String) -> bool {
    match classify(label.trim()) {
        None => false,
        Some(class) => {
            append_class(class, bytes, out);
            true
        }
    }
}

/// Appends `bytes` decoded as `class` says.
pub(crate) fn append_class(class: Class, bytes: &[u8], out: &mut String) {
    match class {
        Class::Utf8 => out.push_str(&String::from_utf8_lossy(bytes)),
        Class::Utf7 => out.push_str(&decode_utf7(bytes)),
        Class::Single(t) => {
            out.reserve(bytes.len());
            single_byte_push(t, bytes, out);
        }
        Class::Encoding(enc) => {
            let mut dec = enc.new_decoder_without_bom_handling();
            let need =
                dec.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len().saturating_mul(3));
            out.reserve(need);
            let mut rest = bytes;
            loop {
                let (res, read, _) = dec.decode_to_string(rest, out, true);
                rest = rest.get(read..).unwrap_or_default();
                if res == encoding_rs::CoderResult::InputEmpty {
                    break;
                }
                out.reserve(rest.len().saturating_mul(3).max(16));
            }
        }
    }
}

/// Decodes raw 8-bit header octets: UTF-8 when well-formed, else the `fallback` charset,
/// else windows-1252 (which maps every octet).
pub fn decode_fallback<'a>(bytes: &'a [u8], fallback: Option<&str>) -> Cow<'a, str> {
    if let Ok(s) = core::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    if let Some(label) = fallback
        && let Some(s) = decode(label, bytes)
    {
        return s;
    }
    encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0
}

/// The labels of most mail, compared before the full WHATWG table.
fn common(label: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    const TABLE: [(&str, &encoding_rs::Encoding); 12] = [
        ("iso-8859-1", encoding_rs::WINDOWS_1252),
        ("windows-1252", encoding_rs::WINDOWS_1252),
        ("iso-8859-15", encoding_rs::ISO_8859_15),
        ("iso-8859-2", encoding_rs::ISO_8859_2),
        ("koi8-r", encoding_rs::KOI8_R),
        ("windows-1251", encoding_rs::WINDOWS_1251),
        ("windows-1250", encoding_rs::WINDOWS_1250),
        ("iso-2022-jp", encoding_rs::ISO_2022_JP),
        ("shift_jis", encoding_rs::SHIFT_JIS),
        ("gb2312", encoding_rs::GBK),
        ("big5", encoding_rs::BIG5),
        ("euc-kr", encoding_rs::EUC_KR),
    ];
    TABLE.iter().find(|(l, _)| l.as_bytes().eq_ignore_ascii_case(label)).map(|&(_, e)| e)
}

fn b64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes UTF-7 (RFC 2152). Malformed shifted sequences become U+FFFD.
pub fn decode_utf7(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    let mut units: Vec<u16> = Vec::new();
    while let Some(&c) = bytes.get(i) {
        if c != b'+' {
            out.push(if c.is_ascii() { char::from(c) } else { '\u{FFFD}' });
            i += 1;
            continue;
        }
        i += 1;
        if bytes.get(i) == Some(&b'-') {
            out.push('+');
            i += 1;
            continue;
        }
        let mut acc: u32 = 0;
        let mut nbits = 0u32;
        units.clear();
        while let Some(v) = bytes.get(i).and_then(|&c| b64_value(c)) {
            acc = (acc << 6) | v;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push(u16::try_from((acc >> nbits) & 0xFFFF).unwrap_or(0xFFFD));
            }
            acc &= (1 << nbits) - 1;
            i += 1;
        }
        out.extend(char::decode_utf16(units.iter().copied()).map(|r| r.unwrap_or('\u{FFFD}')));
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf7_rfc2152_examples() {
        assert_eq!(decode_utf7(b"Hi Mom -+Jjo--!"), "Hi Mom -\u{263A}-!");
        assert_eq!(decode_utf7(b"+ZeVnLIqe-"), "\u{65E5}\u{672C}\u{8A9E}");
        assert_eq!(decode_utf7(b"A+ImIDkQ."), "A\u{2262}\u{391}.");
        assert_eq!(decode_utf7(b"1 +- 1"), "1 + 1");
    }

    #[test]
    fn labels() {
        assert_eq!(decode("ISO-8859-1", b"\xe9").unwrap(), "\u{e9}");
        assert_eq!(decode("koi8-r", b"\xc1").unwrap(), "\u{430}");
        assert!(decode("x-unknown", b"a").is_none());
        assert_eq!(decode_fallback(b"\xe9t\xe9", None), "\u{e9}t\u{e9}");
        assert_eq!(decode_fallback("é".as_bytes(), None), "é");
    }

    #[test]
    fn single_byte_tables_equal_encoding_rs() {
        let all: Vec<u8> = (0..=255).collect();
        for enc in single_byte_encodings() {
            assert!(enc.is_single_byte(), "{}", enc.name());
            let Some(Class::Single(t)) = classify(enc.name()) else { panic!("{}", enc.name()) };
            let mut ours = String::new();
            single_byte_push(t, &all, &mut ours);
            assert_eq!(ours, enc.decode_without_bom_handling(&all).0, "{}", enc.name());
            let mut clean = String::new();
            single_byte_append(t, &all, &mut clean);
            assert_eq!(clean, ours.replace(['\r', '\n'], ""));
        }
    }

    #[test]
    fn classes() {
        assert!(matches!(classify("UTF-8"), Some(Class::Utf8)));
        assert!(matches!(classify("ascii"), Some(Class::Utf8)));
        assert!(matches!(classify("Unicode-1-1-UTF-7"), Some(Class::Utf7)));
        assert!(matches!(classify("latin1"), Some(Class::Single(_))));
        assert!(matches!(classify("cp936"), Some(Class::Encoding(_))));
        assert!(matches!(classify("shift_jis"), Some(Class::Encoding(_))));
        assert!(classify("x-unknown").is_none());
        let mut out = String::new();
        assert!(decode_append(" ISO-8859-1 ", b"caf\xe9", &mut out));
        assert_eq!(out, "caf\u{e9}");
        assert_eq!(decode("koi8-r", b"abc").unwrap(), "abc");
    }

    #[test]
    fn frequent_labels_resolve_like_the_full_lookup() {
        let labels = [
            "utf-8",
            "UTF8",
            "us-ascii",
            "ASCII",
            "iso-8859-1",
            "Windows-1252",
            "iso-8859-15",
            "ISO-8859-2",
            "koi8-r",
            "windows-1251",
            "windows-1250",
        ];
        for l in labels {
            let fast = frequent(l.as_bytes()).unwrap();
            let slow = classify_slow(l.as_bytes()).unwrap();
            match (fast, slow) {
                (Class::Utf8, Class::Utf8) => {}
                (Class::Single(a), Class::Single(b)) => assert!(core::ptr::eq(a, b), "{l}"),
                _ => panic!("{l}"),
            }
        }
        assert!(frequent(b"shift_jis").is_none());
        assert!(frequent(b"a-label-longer-than-twelve").is_none());
    }

    #[test]
    fn words_lowercase_capitals_only() {
        let all: Vec<u8> = (0..=255).collect();
        for chunk in all.chunks(8) {
            let x = u64::from_le_bytes(chunk.try_into().unwrap());
            let lower: Vec<u8> = chunk.iter().map(u8::to_ascii_lowercase).collect();
            assert_eq!(lower8(x).to_le_bytes().to_vec(), lower, "{chunk:?}");
        }
        assert_eq!(packed(b"UTF-8"), packed(b"utf-8"));
        assert_eq!(lower8(load_short(b"UTF-8").unwrap()), packed(b"utf-8").0);
        assert_eq!(lower8(load_short(b"Ascii").unwrap()), packed(b"ascii").0);
        assert_eq!(lower8(load_short(b"utf8").unwrap()), packed(b"utf8").0);
        assert!(frequent(b"utf-8\0").is_none());
        assert!(frequent(b"\0utf-8").is_none());
        assert!(frequent(b"utf").is_none());
        assert!(frequent(b"").is_none());
        assert!(frequent(&[b'a'; 17]).is_none());
    }

    fn same_class(a: Option<Class>, b: Option<Class>) -> bool {
        match (a, b) {
            (None, None)
            | (Some(Class::Utf8), Some(Class::Utf8))
            | (Some(Class::Utf7), Some(Class::Utf7)) => true,
            (Some(Class::Single(a)), Some(Class::Single(b))) => core::ptr::eq(a, b),
            (Some(Class::Encoding(a)), Some(Class::Encoding(b))) => a == b,
            _ => false,
        }
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        #[test]
        fn classification_equals_the_full_lookup(
            label in prop_oneof![
                "(?i)(utf-?8|us-ascii|ascii|koi8-r|iso-8859-(1|2|15)|windows-125[0-3]|latin1)",
                "(?i)[a-z0-9_ -]{0,17}",
                proptest::collection::vec(any::<u8>(), 0..18)
                    .prop_map(|v| String::from_utf8_lossy(&v).into_owned()),
            ]
        ) {
            let fast = classify_bytes(label.as_bytes());
            let slow = classify_slow(label.as_bytes());
            prop_assert!(same_class(fast, slow), "{:?}", label);
            if let Some(f) = frequent(label.as_bytes()) {
                prop_assert!(same_class(Some(f), slow), "{:?}", label);
            }
        }
    }
}
