//! Eight octets at a time in a `u64`, without unsafe code or vector instructions: the
//! classic word tests for "an octet below `n`" and "an octet equal to `c`", as masks whose
//! lowest set bit marks the first such octet.

/// `0x01` in every octet.
pub(crate) const LOW: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every octet.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of octets of `x` below `n` (at most 0x80). Borrows can mark octets above a
/// marked one falsely, never below: the lowest set bit is exact, and so is "any".
pub(crate) fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(LOW * u64::from(n)) & !x & HIGH
}

/// The high bit of octets of `x` equal to `c` (exact at the lowest set bit, like [`below`]).
pub(crate) fn equal(x: u64, c: u8) -> u64 {
    below(x ^ (LOW * u64::from(c)), 1)
}

/// The high bit of every octet of `x` equal to `c` (exact for all eight, unlike [`equal`]).
pub(crate) fn equal_exact(x: u64, c: u8) -> u64 {
    const SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let t = x ^ (LOW * u64::from(c));
    !(((t & SEVEN) + SEVEN) | t) & HIGH
}

/// The high bit of every octet of `x` below `n` (1 to 0x80; exact for all eight).
pub(crate) fn below_exact(x: u64, n: u8) -> u64 {
    const SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !((x & SEVEN) + LOW * u64::from(0x80 - n)) & !x & HIGH
}

/// True when one of the eight octets of `x` is below `n` (at most 0x80).
pub(crate) fn any_below(x: u64, n: u8) -> bool {
    below(x, n) != 0
}

/// True when one of the eight octets of `x` equals `c`.
pub(crate) fn any_equal(x: u64, c: u8) -> bool {
    equal(x, c) != 0
}

/// The index (0 to 7) of the octet marked by the lowest set bit of a non-zero mask.
pub(crate) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// The eight octets of `s` from `i`, as a little-endian word, when there are eight.
pub(crate) fn word_at(s: &[u8], i: usize) -> Option<u64> {
    s.get(i..).and_then(<[u8]>::first_chunk::<8>).map(|w| u64::from_le_bytes(*w))
}

/// The eight octets of `s` from `i` as a little-endian word, zero octets standing in for
/// those past the end of `s`.
pub(crate) fn word_padded(s: &[u8], i: usize) -> u64 {
    if let Some(w) = word_at(s, i) {
        return w;
    }
    let left = s.len().saturating_sub(i);
    if left == 0 {
        return 0;
    }
    // the last eight octets, shifted down to the ones from `i` (1 to 7 of them)
    if let Some(w) = s.len().checked_sub(8).and_then(|j| word_at(s, j)) {
        return w >> (8 * (8 - left));
    }
    s.get(i..).unwrap_or_default().iter().rev().fold(0, |w, &c| (w << 8) | u64::from(c))
}

/// The high bit of every octet of `x` below `lo` (1 to 0x7F), at 0x7F and above, or equal to
/// one of `cs` (ASCII): exact for all eight octets, so that clearing the lowest set bit
/// leaves the next such octet marked. Adding to octets of seven bits never carries into the
/// next one.
pub(crate) fn stops_exact<const N: usize>(x: u64, lo: u8, cs: [u8; N]) -> u64 {
    const SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let y = x & SEVEN;
    // the high bit of `keep` survives for octets at or above `lo` and unequal to every `cs`
    let mut keep = y + LOW * u64::from(0x80 - lo);
    for c in cs {
        keep &= (y ^ (LOW * u64::from(c))) + SEVEN;
    }
    // `y + LOW` carries into the high bit for 0x7F (and 0xFF); `x` has it from 0x80 up
    (!keep | (y + LOW) | x) & HIGH
}

/// The high bit of octets of `x` below `lo` (1 to 0x80), from 0x80 up, or equal to one of
/// `cs` (ASCII): exact at the lowest set bit, like [`below`] (below the first such octet
/// nothing borrows, and nothing has its high bit).
pub(crate) fn stops_first<const N: usize>(x: u64, lo: u8, cs: [u8; N]) -> u64 {
    let mut m = x.wrapping_sub(LOW * u64::from(lo)) | x;
    for c in cs {
        m |= (x ^ (LOW * u64::from(c))).wrapping_sub(LOW);
    }
    m & HIGH
}

/// Whether `name` is `lower` ignoring ASCII case, for a `lower` of lowercase letters, digits
/// and dashes and a `name` of printable octets (field names, media types): setting the 0x20
/// bit of each octet lowercases letters and maps no other printable octet onto a letter, a
/// digit or a dash. Eight octets at a time.
pub(crate) fn is_name(name: &[u8], lower: &[u8]) -> bool {
    if name.len() != lower.len() {
        return false;
    }
    let lower_word = |w: &[u8; 8]| u64::from_le_bytes(*w) | (LOW * 0x20);
    let lower_half = |w: &[u8; 4]| u32::from_le_bytes(*w) | 0x2020_2020;
    if let (Some(last), Some(llast)) = (name.last_chunk::<8>(), lower.last_chunk::<8>()) {
        // whole words, then the last eight octets (overlapping the words when needed)
        let (words, _) = name.as_chunks::<8>();
        let (lwords, _) = lower.as_chunks::<8>();
        return lower_word(last) == u64::from_le_bytes(*llast)
            && words.iter().zip(lwords).all(|(w, l)| lower_word(w) == u64::from_le_bytes(*l));
    }
    match (name.first_chunk::<4>(), name.last_chunk::<4>()) {
        // four to seven octets: the first four and the last four
        (Some(head), Some(tail)) => {
            let (Some(lhead), Some(ltail)) = (lower.first_chunk::<4>(), lower.last_chunk::<4>())
            else {
                return false;
            };
            lower_half(head) == u32::from_le_bytes(*lhead)
                && lower_half(tail) == u32::from_le_bytes(*ltail)
        }
        _ => name.iter().zip(lower).all(|(&c, &l)| c | 0x20 == l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mark_the_first_octet_exactly() {
        // every octet value at every position, with every value below it
        for pos in 0..8 {
            for v in 0..=255u8 {
                for fill in [0u8, 0x20, 0x41, 0x7F, 0x80, 0xFF] {
                    let mut w = [fill; 8];
                    w[pos] = v;
                    let x = u64::from_le_bytes(w);
                    for n in [1u8, 0x0E, 0x21, 0x80] {
                        let expect = w.iter().position(|&c| c < n);
                        let m = below(x, n);
                        assert_eq!((m != 0).then(|| first(m)), expect, "{w:?} below {n}");
                    }
                    for c in [b'\n', b':', b'=', 0x7F, 0xFF] {
                        let expect = w.iter().position(|&o| o == c);
                        let m = equal(x, c);
                        assert_eq!((m != 0).then(|| first(m)), expect, "{w:?} equal {c}");
                    }
                }
            }
        }
    }

    #[test]
    fn exact_stops_mark_every_octet() {
        let cs = [b'/', b';', b'"', b'0'];
        for pos in 0..8 {
            for v in 0..=255u8 {
                for fill in [0x21u8, 0x41, 0x7E, 0x00, 0x20, 0x2F, 0x7F, 0x80, 0xFF] {
                    let mut w = [fill; 8];
                    w[pos] = v;
                    let x = u64::from_le_bytes(w);
                    for lo in [1u8, 0x20, 0x21, b'0', 0x7F] {
                        let m = stops_exact(x, lo, cs);
                        for (k, &c) in w.iter().enumerate() {
                            let stop = c < lo || c >= 0x7F || cs.contains(&c);
                            assert_eq!(m >> (8 * k + 7) & 1 == 1, stop, "{w:?} {lo} at {k}");
                        }
                        assert_eq!(m & !HIGH, 0);
                    }
                }
            }
        }
    }

    #[test]
    fn first_stops_mark_the_first_octet_exactly() {
        let cs = [b'"', b'\\', b'*', b'?'];
        for pos in 0..8 {
            for v in 0..=255u8 {
                for fill in [0x21u8, 0x41, 0x7E, 0x7F, 0x00, 0x20, 0x22, 0x80, 0xFF] {
                    let mut w = [fill; 8];
                    w[pos] = v;
                    let x = u64::from_le_bytes(w);
                    for lo in [1u8, 0x20, 0x21, 0x80] {
                        let m = stops_first(x, lo, cs);
                        let expect = w.iter().position(|&c| c < lo || c >= 0x80 || cs.contains(&c));
                        assert_eq!((m != 0).then(|| first(m)), expect, "{w:?} {lo}");
                    }
                }
            }
        }
    }

    #[test]
    fn padded_words_hold_the_octets_left() {
        let s: Vec<u8> = (1..=20).collect();
        for len in 0..=s.len() {
            for i in 0..=len + 2 {
                let mut w = [0u8; 8];
                for (k, d) in w.iter_mut().enumerate() {
                    *d = s[..len].get(i + k).copied().unwrap_or(0);
                }
                assert_eq!(word_padded(&s[..len], i), u64::from_le_bytes(w), "{len} {i}");
            }
        }
    }

    #[test]
    fn is_name_equals_ignoring_case_on_printable_names() {
        let names: &[&[u8]] =
            &[b"content-type", b"content-transfer-encoding", b"x", b"ab-cd-ef-gh", b"to", b"bcc"];
        let more: &[&[u8]] = &[b"date", b"sender", b"subject", b"reply-to", b"in-reply-to"];
        let names: Vec<&[u8]> = names.iter().chain(more).copied().collect();
        for lower in &names {
            // every printable octet at every position of the name
            for pos in 0..lower.len() {
                for c in 33..=126u8 {
                    let mut name = lower.to_vec();
                    name[pos] = c;
                    assert_eq!(is_name(&name, lower), name.eq_ignore_ascii_case(lower), "{name:?}");
                }
            }
            assert!(is_name(&lower.to_ascii_uppercase(), lower));
            assert!(!is_name(&lower[1..], lower));
        }
    }
}
