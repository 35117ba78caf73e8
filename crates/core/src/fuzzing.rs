//! Fuzz target bodies, public so that the fuzz crate and stable tests run the same code.
//! Each asserts invariants, not only the absence of panics. Not part of the stable API.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    reason = "fuzz bodies report a broken invariant by panicking"
)]

use bytes::BytesMut;

use crate::{BareLineEndings, DotStatus, DotStuffer, DotUnstuffer, LineEndings, LineFramer};

/// Cuts `data` at positions derived from `seed`.
fn pieces(data: &[u8], seed: u8) -> Vec<&[u8]> {
    let step = usize::from(seed % 17) + 1;
    data.chunks(step).collect()
}

/// The line framer: chunked framing equals whole framing; every line respects the limit and
/// ends as the policy allows; without errors, lines and leftovers rebuild the input.
pub fn framer(data: &[u8]) {
    let Some((&ctl, data)) = data.split_first() else { return };
    let max = usize::from(ctl & 0x3f) + 1;
    let endings = if ctl & 0x40 == 0 { LineEndings::Crlf } else { LineEndings::Lenient };
    let run = |pieces: Vec<&[u8]>| {
        let mut f = LineFramer::new(max, endings);
        let mut out = Vec::new();
        for p in pieces {
            f.push(p);
            while let Some(r) = f.next_line() {
                out.push(r.map(crate::Line::into_raw));
            }
        }
        (out, f.buffered().to_vec())
    };
    let (whole, rest) = run(vec![data]);
    let (chunked, rest2) = run(pieces(data, ctl));
    assert_eq!(whole, chunked, "chunking changed the lines");
    assert_eq!(rest, rest2);
    let mut rebuilt = Vec::new();
    let mut errors = false;
    for line in &whole {
        match line {
            Ok(raw) => {
                assert!(raw.len() <= max, "line over the limit");
                assert!(raw.ends_with(b"\n"));
                if endings == LineEndings::Crlf {
                    assert!(raw.ends_with(b"\r\n"));
                    assert!(!raw[..raw.len() - 2].windows(2).any(|w| w == b"\r\n"));
                } else {
                    assert!(!raw[..raw.len() - 1].contains(&b'\n'));
                }
                rebuilt.extend_from_slice(raw);
            }
            Err(_) => errors = true,
        }
    }
    if !errors {
        rebuilt.extend_from_slice(&rest);
        assert_eq!(rebuilt, data, "lines and leftovers must rebuild the input");
    }
}

/// The dot codec: decoding is independent of chunking; the end is found only after a real
/// CRLF (or at the start) and never past the first `CRLF.CRLF`; decoding what the encoder
/// produced gives back the normalised body.
pub fn dot(data: &[u8]) {
    let Some((&ctl, data)) = data.split_first() else { return };
    let policy = match ctl % 3 {
        0 => BareLineEndings::Reject,
        1 => BareLineEndings::Normalize,
        _ => BareLineEndings::Keep,
    };
    let decode = |pieces: Vec<&[u8]>| {
        let mut dec = DotUnstuffer::new(policy);
        let mut out = BytesMut::new();
        let mut base = 0;
        let mut errors = 0;
        for p in pieces {
            let mut at = 0;
            loop {
                match dec.decode(&p[at..], &mut out) {
                    Ok(DotStatus::NeedMore) => break,
                    Ok(DotStatus::Complete { consumed }) => {
                        return (out.to_vec(), Some(base + at + consumed), errors);
                    }
                    Err(e) => {
                        errors += 1;
                        at += e.consumed();
                    }
                }
            }
            base += p.len();
        }
        (out.to_vec(), None, errors)
    };
    let whole = decode(vec![data]);
    assert_eq!(whole, decode(pieces(data, ctl)), "chunking changed the decoding");
    let first_marker = if data.starts_with(b".\r\n") {
        Some(3)
    } else {
        data.windows(5).position(|w| w == b"\r\n.\r\n").map(|p| p + 5)
    };
    if let Some(end) = whole.1 {
        assert!(end >= 3 && &data[end - 3..end] == b".\r\n", "end not at a dot line");
        assert!(first_marker.is_some_and(|m| m <= end), "end before any CRLF.CRLF");
    }
    if policy == BareLineEndings::Reject && whole.2 == 0 && first_marker.is_some() {
        assert!(whole.1.is_some(), "a clean body with CRLF.CRLF must end");
    }

    // Encoding then decoding gives the body back, line endings normalised.
    let stuffed = DotStuffer::encode_all(data);
    let mut dec = DotUnstuffer::new(BareLineEndings::Reject);
    let mut back = BytesMut::new();
    let status = dec.decode(&stuffed, &mut back);
    assert_eq!(status, Ok(DotStatus::Complete { consumed: stuffed.len() }));
    let normalised_len = back.len();
    assert!(normalised_len >= data.len().saturating_sub(data.len() / 2));
    assert!(!back.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
}
