//! Thin wrappers over the `RustCrypto` primitives, picked at run time by [`ScramHash`].

use core::fmt::Write as _;

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

/// The hash function of a SCRAM variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScramHash {
    /// SHA-1 (`SCRAM-SHA-1`, RFC 5802).
    Sha1,
    /// SHA-256 (`SCRAM-SHA-256`, RFC 7677).
    Sha256,
}

impl ScramHash {
    /// The output length in bytes (the length of `StoredKey`, `ServerKey` and the proofs).
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// `H(data)`.
    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
        }
    }

    /// `HMAC(key, parts concatenated)`.
    pub(crate) fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        // HMAC takes keys of every length, so `new_from_slice` cannot fail; an empty result
        // would only make a verification fail.
        match self {
            Self::Sha1 => {
                let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else { return Vec::new() };
                for p in parts {
                    mac.update(p);
                }
                mac.finalize().into_bytes().to_vec()
            }
            Self::Sha256 => {
                let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return Vec::new() };
                for p in parts {
                    mac.update(p);
                }
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    /// `Hi(password, salt, i)`: PBKDF2 with HMAC of this hash.
    pub(crate) fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0u8; self.output_len()];
        match self {
            Self::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out),
            Self::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out),
        }
        out
    }
}

/// Lower-case hex of `HMAC-MD5(key, data)` (RFC 2195).
pub(crate) fn hmac_md5_hex(key: &[u8], data: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<md5::Md5>::new_from_slice(key) else { return String::new() };
    mac.update(data);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(32);
    for b in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2195_digest() {
        assert_eq!(
            hmac_md5_hex(b"tanstaaftanstaaf", b"<1896.697170952@postoffice.reston.mci.net>"),
            "b913a602c7eda7a495b4e6e7334d3890"
        );
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
    }
}
