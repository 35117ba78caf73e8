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

/// The index (0 to 7) of the octet marked by the lowest set bit of a non-zero mask.
pub(crate) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// The eight octets of `s` from `i`, as a little-endian word, when there are eight.
pub(crate) fn word_at(s: &[u8], i: usize) -> Option<u64> {
    s.get(i..).and_then(<[u8]>::first_chunk::<8>).map(|w| u64::from_le_bytes(*w))
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
}
