//! Chunking strategies.

/// How a byte stream is cut into the pieces a machine's `handle_input` receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chunking {
    /// Everything available at once.
    Whole,
    /// One byte per call.
    ByteByByte,
    /// Random piece lengths (1 to 16 bytes, sometimes up to 512) drawn from a seeded
    /// generator, so a failure is reproducible from its seed.
    Random(u64),
}

impl Chunking {
    /// The strategies every machine test should pass: whole, byte by byte, and three seeds.
    pub const ALL: [Self; 5] =
        [Self::Whole, Self::ByteByByte, Self::Random(1), Self::Random(0x5eed), Self::Random(42)];

    /// A stateful cutter for this strategy.
    pub fn chunker(self) -> Chunker {
        let state = match self {
            Self::Random(seed) => seed ^ 0x9E37_79B9_7F4A_7C15,
            _ => 0,
        };
        Chunker { chunking: self, state: state.max(1) }
    }
}

/// Cuts byte streams according to a [`Chunking`], keeping its random state across calls.
#[derive(Debug, Clone)]
pub struct Chunker {
    chunking: Chunking,
    state: u64,
}

impl Chunker {
    /// Splits `bytes` into pieces (none empty; no pieces for empty input).
    pub fn split<'a>(&mut self, bytes: &'a [u8]) -> Vec<&'a [u8]> {
        match self.chunking {
            Chunking::Whole => {
                if bytes.is_empty() {
                    vec![]
                } else {
                    vec![bytes]
                }
            }
            Chunking::ByteByByte => bytes.chunks(1).collect(),
            Chunking::Random(_) => {
                let mut out = Vec::new();
                let mut rest = bytes;
                while !rest.is_empty() {
                    let r = self.next_u64();
                    let len = if r.is_multiple_of(32) {
                        1 + (r >> 8) as usize % 512
                    } else {
                        1 + (r >> 8) as usize % 16
                    };
                    let (a, b) = rest.split_at(len.min(rest.len()));
                    out.push(a);
                    rest = b;
                }
                out
            }
        }
    }

    /// xorshift64*: small, deterministic, good enough to vary cut points.
    fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_preserves_the_bytes() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        for c in Chunking::ALL {
            let mut ch = c.chunker();
            let pieces = ch.split(&data);
            assert!(pieces.iter().all(|p| !p.is_empty()));
            assert_eq!(pieces.concat(), data, "{c:?}");
            assert!(ch.split(&[]).is_empty());
        }
        assert_eq!(Chunking::ByteByByte.chunker().split(&data).len(), data.len());
        assert_eq!(Chunking::Whole.chunker().split(&data).len(), 1);
    }

    #[test]
    fn random_is_reproducible_and_varies() {
        let data = vec![7u8; 20_000];
        let a: Vec<usize> =
            Chunking::Random(9).chunker().split(&data).iter().map(|p| p.len()).collect();
        let b: Vec<usize> =
            Chunking::Random(9).chunker().split(&data).iter().map(|p| p.len()).collect();
        let c: Vec<usize> =
            Chunking::Random(10).chunker().split(&data).iter().map(|p| p.len()).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.len() > 2);
    }
}
