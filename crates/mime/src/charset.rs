//! Charset conversion: every WHATWG encoding through `encoding_rs`, plus UTF-7 by hand.

use std::borrow::Cow;

/// Decodes `bytes` from the charset named `label` (case-insensitive, as in MIME `charset=`).
///
/// Returns `None` when the label names no known charset. Ill-formed sequences become U+FFFD.
/// UTF-7 (RFC 2152) is handled here because the WHATWG set leaves it out.
pub fn decode<'a>(label: &str, bytes: &'a [u8]) -> Option<Cow<'a, str>> {
    let label = label.trim();
    if label.eq_ignore_ascii_case("utf-7") || label.eq_ignore_ascii_case("unicode-1-1-utf-7") {
        return Some(Cow::Owned(decode_utf7(bytes)));
    }
    if label.eq_ignore_ascii_case("utf-8") || label.eq_ignore_ascii_case("utf8") {
        return Some(String::from_utf8_lossy(bytes));
    }
    if label.eq_ignore_ascii_case("us-ascii") || label.eq_ignore_ascii_case("ascii") {
        return Some(String::from_utf8_lossy(bytes));
    }
    let enc = common(label)
        .or_else(|| encoding_rs::Encoding::for_label_no_replacement(label.as_bytes()))
        .or_else(|| {
            // Common aliases outside the WHATWG table.
            let l = label.to_ascii_lowercase();
            let alias: &[u8] = match l.as_str() {
                "latin1" | "latin-1" | "iso8859-1" | "iso_8859_1" => b"iso-8859-1",
                "cp1252" => b"windows-1252",
                "ks_c_5601-1987" | "ks_c_5601" => b"euc-kr",
                "x-gbk" | "cp936" => b"gbk",
                _ => return None,
            };
            encoding_rs::Encoding::for_label(alias)
        })?;
    Some(enc.decode_without_bom_handling(bytes).0)
}

/// Like [`decode`], appending to `out` without an intermediate string; returns false (and
/// appends nothing) when the label names no known charset.
pub fn decode_append(label: &str, bytes: &[u8], out: &mut String) -> bool {
    let l = label.trim();
    if l.eq_ignore_ascii_case("utf-8")
        || l.eq_ignore_ascii_case("us-ascii")
        || l.eq_ignore_ascii_case("utf8")
    {
        out.push_str(&String::from_utf8_lossy(bytes));
        return true;
    }
    if let Some(enc) = common(l) {
        let mut dec = enc.new_decoder_without_bom_handling();
        let need = dec.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len().saturating_mul(3));
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
        return true;
    }
    match decode(l, bytes) {
        Some(s) => {
            out.push_str(&s);
            true
        }
        None => false,
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
fn common(label: &str) -> Option<&'static encoding_rs::Encoding> {
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
    TABLE.iter().find(|(l, _)| l.eq_ignore_ascii_case(label)).map(|&(_, e)| e)
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
}
