//! Fuzz target bodies, kept in the library so stable tests can replay saved inputs. Each
//! asserts an invariant, not only the absence of a panic.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::missing_panics_doc,
    clippy::items_after_statements
)]

use crate::push::{Event, Parser};
use crate::text::{TextOptions, decode_text};
use crate::{Message, MimeLimits, transfer};

fn small_limits() -> MimeLimits {
    MimeLimits {
        max_depth: 20,
        max_parts: 200,
        max_header_size: 4096,
        max_params: 50,
        max_delimiter_line: 200,
    }
}

/// Whole message: the tree re-serializes to the input byte for byte, every range lies in the
/// input, children lie inside their parent, decoded header text holds no CR or LF.
pub fn message(data: &[u8]) {
    let msg = Message::parse_with(data.to_vec(), small_limits());
    assert_eq!(msg.to_bytes(), data, "re-serialization differs");
    assert!(msg.part_count() <= 200 + 1);
    for p in msg.parts() {
        let (h, b) = (p.header_range(), p.body_range());
        assert!(h.start <= h.end && h.end == b.start && b.start <= b.end);
        if p.in_original_input() {
            assert!(b.end <= data.len());
        }
        if let Some(parent) = p.parent()
            && parent.in_original_input() == p.in_original_input()
        {
            let pb = parent.body_range();
            assert!(h.start >= pb.start && b.end <= pb.end, "child outside its parent");
        }
        for f in p.fields() {
            assert!(!f.text().contains(['\r', '\n']));
        }
        let _ = p.decoded_body();
        let _ = p.section_path();
    }
}

fn collect(data: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    let mut parser = Parser::new(small_limits());
    let mut body: Vec<u8> = Vec::new();
    let mut sink = |ev: Event<'_>| match ev {
        Event::Body { data, .. } => body.extend_from_slice(data),
        other => {
            if !body.is_empty() {
                out.push(format!("body {}", body.len()));
                body.clear();
            }
            out.push(format!("{other:?}"));
        }
    };
    let mut last = 0;
    for &c in cuts {
        let c = c.clamp(last, data.len());
        parser.push(&data[last..c], &mut sink);
        last = c;
    }
    parser.push(&data[last..], &mut sink);
    parser.finish(&mut sink);
    out
}

/// Push parser under chunk splits: the first octets choose split points; the events (body
/// chunks merged) equal those of the whole input.
pub fn push_chunks(data: &[u8]) {
    let (seed, msg) = data.split_at(data.len().min(4));
    let mut cuts: Vec<usize> = seed.iter().map(|&b| usize::from(b) * msg.len() / 256).collect();
    cuts.sort_unstable();
    assert_eq!(collect(msg, &[]), collect(msg, &cuts), "chunking changed the events");
    let step = 1 + seed.first().map_or(0, |&b| usize::from(b % 7));
    let every: Vec<usize> = (0..msg.len()).step_by(step).collect();
    assert_eq!(collect(msg, &[]), collect(msg, &every));
}

/// Header text: lenient and strict decoding never yield CR or LF; plain ASCII text without
/// `=?` nor line breaks decodes to itself.
pub fn header_text(data: &[u8]) {
    for opts in [TextOptions::default(), TextOptions::STRICT, TextOptions::LENIENT_LOSSY] {
        let t = decode_text(data, opts);
        assert!(!t.contains(['\r', '\n']));
        for ctx in [
            crate::text::Context::Unstructured,
            crate::text::Context::Phrase,
            crate::text::Context::Comment,
        ] {
            assert!(!crate::text::decode_in(data, ctx, opts).contains(['\r', '\n']));
        }
        // a field value is the trimmed decoding of the trimmed value (fast path or not)
        let f = crate::text::decode_field(data, opts);
        let sp = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
        let s = data.iter().position(|c| !sp(c)).unwrap_or(data.len());
        let e = data.iter().rposition(|c| !sp(c)).map_or(s, |e| e + 1);
        let whole = decode_text(data.get(s..e).unwrap_or_default(), opts);
        assert_eq!(f.as_ref(), whole.trim_matches([' ', '\t']));
        let mut buf = String::from("stale");
        assert_eq!(crate::text::decode_field_in(data, opts, &mut buf), f.as_ref());
        // text known to be UTF-8 (the input itself, or read with replacement characters)
        // decodes through its own entry point to what the octets decode to
        let text = String::from_utf8_lossy(data);
        let mut by_octets = String::new();
        let expected = crate::text::decode_field_in(text.as_bytes(), opts, &mut by_octets);
        assert_eq!(crate::text::decode_field_str_in(&text, opts, &mut buf), expected);
        assert_eq!(crate::text::decode_field_str(&text, opts), expected);
    }
    if data.iter().all(|&c| (32..127).contains(&c)) && !data.windows(2).any(|w| w == b"=?") {
        assert_eq!(decode_text(data, TextOptions::default()).as_bytes(), data);
    }
}

/// Addresses: never CR or LF in names, addresses or comments, lenient or strict.
pub fn addresses(data: &[u8]) {
    let lenient = crate::address::parse_address_list(data);
    let strict = crate::address::parse_address_list_opts(data, TextOptions::STRICT);
    for list in [lenient, strict] {
        for a in list {
            for m in a.mailboxes() {
                assert!(!m.address.contains(['\r', '\n']));
                assert!(!m.name.as_deref().unwrap_or("").contains(['\r', '\n']));
                assert!(m.comments.iter().all(|c| !c.contains(['\r', '\n'])));
            }
        }
    }
}

/// Dates: a parsed date has fields in range, and its ISO form parses back the same way
/// through the RFC 5322 form.
pub fn date(data: &[u8]) {
    if let Some(d) = crate::date::parse_date(data) {
        assert!((1..=12).contains(&d.month) && (1..=31).contains(&d.day));
        assert!(d.hour < 24 && d.minute < 60 && d.second <= 60);
        const M: [&str; 12] =
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let zone = match d.offset_minutes {
            Some(o) => format!(
                "{}{:02}{:02}",
                if o < 0 { '-' } else { '+' },
                o.unsigned_abs() / 60,
                o.unsigned_abs() % 60
            ),
            None => "-0000".to_string(),
        };
        let s = format!(
            "{} {} {:04} {:02}:{:02}:{:02} {zone}",
            d.day,
            M[usize::from(d.month - 1)],
            d.year,
            d.hour,
            d.minute,
            d.second
        );
        assert_eq!(crate::date::parse_date(s.as_bytes()), Some(d), "{s}");
    }
}

/// Encoded words: the result never holds CR or LF, and a word made by encoding text
/// decodes back to it.
pub fn encoded_words(data: &[u8]) {
    header_text(data);
    let text = String::from_utf8_lossy(data).replace(['\r', '\n'], "");
    let word = format!(
        "=?utf-8?B?{}?=",
        String::from_utf8_lossy(&transfer::encode_base64(text.as_bytes())).replace("\r\n", "")
    );
    assert_eq!(decode_text(word.as_bytes(), TextOptions::default()), text);
}

/// RFC 2231 parameters: values never hold CR or LF; the parameter count obeys the limit.
pub fn rfc2231(data: &[u8]) {
    let mut v = b"application/x; ".to_vec();
    v.extend_from_slice(data);
    if let Some((ct, _)) = crate::params::parse_content_type(&v, 50) {
        assert!(ct.params.len() <= 50);
        for p in &ct.params {
            assert!(!p.value.contains(['\r', '\n']));
        }
    }
}

/// Base64: decoding arbitrary input never yields more than 3 octets per 4 alphabet octets;
/// the vectorised path and the scalar loop agree; encoding the input decodes back to it.
pub fn base64(data: &[u8]) {
    let d = transfer::base64(data);
    assert!(d.data.len() <= data.len() / 4 * 3 + 3);
    let mut scalar = Vec::new();
    let had_errors = transfer::base64_scalar(data, &mut scalar);
    assert_eq!((&d.data, d.had_errors), (&scalar, had_errors));
    // the streaming decoder, cut where the first octet says, agrees
    let mut dec = transfer::Base64Decoder::new();
    let mut streamed = Vec::new();
    for piece in data.chunks(usize::from(data.first().copied().unwrap_or(1)).max(1)) {
        dec.push(piece, &mut streamed);
    }
    let had_errors = dec.finish(&mut streamed);
    assert_eq!((&d.data, d.had_errors), (&streamed, had_errors));
    assert_eq!(transfer::base64(&transfer::encode_base64(data)).data, data);
}

/// Quoted-printable: decoding never grows the input; the streaming decoder agrees; encoding
/// decodes back to it.
pub fn quoted_printable(data: &[u8]) {
    let d = transfer::quoted_printable(data);
    assert!(d.data.len() <= data.len());
    // the streaming decoder (with a short line limit), cut where the first octet says, agrees
    let mut dec = transfer::QuotedPrintableDecoder::with_max_line(16);
    let mut streamed = Vec::new();
    for piece in data.chunks(usize::from(data.first().copied().unwrap_or(1)).max(1)) {
        dec.push(piece, &mut streamed);
    }
    let had_errors = dec.finish(&mut streamed);
    assert_eq!((&d.data, d.had_errors), (&streamed, had_errors));
    assert_eq!(transfer::quoted_printable(&transfer::encode_quoted_printable(data)).data, data);
}
