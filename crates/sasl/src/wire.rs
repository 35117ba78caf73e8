//! What SMTP AUTH, IMAP AUTHENTICATE and POP3 AUTH share on the wire: base64 lines, the empty
//! initial response `=`, cancellation `*`, and the decision whether an initial response fits
//! on the command line.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

use crate::SaslError;

/// Decoder that accepts base64 with or without `=` padding (see docs/quirks/sasl.md).
const TOLERANT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The line a client sends to cancel an exchange (RFC 4954, RFC 9051, RFC 5034).
pub const CANCEL: &[u8] = b"*";

/// The initial-response argument that stands for an empty initial response.
pub const EMPTY_INITIAL_RESPONSE: &[u8] = b"=";

/// Encodes bytes as one line of standard, padded base64 (no line breaks).
pub fn encode_base64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Decodes one base64 line.
///
/// Surrounding spaces and tabs are ignored, an empty line is empty data, and padding may be
/// absent; anything else outside the standard alphabet is [`SaslError::InvalidBase64`].
pub fn decode_base64(line: &[u8]) -> Result<Vec<u8>, SaslError> {
    let line = line.trim_ascii();
    TOLERANT.decode(line).map_err(|_| SaslError::InvalidBase64)
}

/// The encoded length of `len` bytes in padded base64.
pub const fn base64_len(len: usize) -> usize {
    len.div_ceil(3).saturating_mul(4)
}

/// What a client sent in reply to a challenge, or as an initial response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseLine {
    /// The client cancelled the exchange with `*`.
    Cancel,
    /// The decoded response (possibly empty).
    Response(Vec<u8>),
}

/// Decodes a client's continuation line (the answer to a challenge): `*` cancels, anything else
/// is base64 (an empty line is an empty response).
pub fn decode_response_line(line: &[u8]) -> Result<ResponseLine, SaslError> {
    if line.trim_ascii() == CANCEL {
        return Ok(ResponseLine::Cancel);
    }
    decode_base64(line).map(ResponseLine::Response)
}

/// Decodes the initial-response argument of `AUTH mech ir` / `AUTHENTICATE mech ir`: `=` is the
/// empty response, anything else is base64. (`*` is not special here, and is invalid base64.)
pub fn decode_initial_response(arg: &[u8]) -> Result<Vec<u8>, SaslError> {
    if arg.trim_ascii() == EMPTY_INITIAL_RESPONSE {
        return Ok(Vec::new());
    }
    decode_base64(arg)
}

/// Encodes an initial response for the command line: `=` when it is empty, base64 otherwise.
pub fn encode_initial_response(data: &[u8]) -> String {
    if data.is_empty() { String::from("=") } else { encode_base64(data) }
}

/// Whether an initial response of `response_len` raw bytes fits on the command line.
///
/// `command_prefix_len` is the length of everything before the response, including the space
/// that separates it (`"AUTH PLAIN "` is 11, `"a1 AUTHENTICATE PLAIN "` is 22), and `max_line`
/// the longest line the peer accepts *including* the CRLF (512 for SMTP per RFC 4954 section 4,
/// 255 for POP3 per RFC 5034 section 4). When this returns `false` the client sends the command
/// without the response and sends the response after the server's empty challenge.
///
/// ```
/// use mailwire_sasl::wire::fits_initial_response;
/// assert!(fits_initial_response(11, 100, 512));
/// // 11 + 500 (base64 of 375 bytes) + 2 = 513 > 512
/// assert!(!fits_initial_response(11, 375, 512));
/// ```
pub const fn fits_initial_response(
    command_prefix_len: usize,
    response_len: usize,
    max_line: usize,
) -> bool {
    let encoded = if response_len == 0 { 1 } else { base64_len(response_len) };
    command_prefix_len.saturating_add(encoded).saturating_add(2) <= max_line
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cancel_and_empty() {
        assert_eq!(decode_response_line(b"*").unwrap(), ResponseLine::Cancel);
        assert_eq!(decode_response_line(b"").unwrap(), ResponseLine::Response(vec![]));
        assert_eq!(decode_initial_response(b"=").unwrap(), Vec::<u8>::new());
        assert_eq!(encode_initial_response(b""), "=");
        assert_eq!(encode_initial_response(b"\0a\0b"), "AGEAYg==");
        assert_eq!(decode_initial_response(b"*"), Err(SaslError::InvalidBase64));
    }

    #[test]
    fn tolerant_padding_strict_alphabet() {
        assert_eq!(decode_base64(b"AGEAYg").unwrap(), b"\0a\0b");
        assert_eq!(decode_base64(b"AGEAYg== ").unwrap(), b"\0a\0b");
        assert_eq!(decode_base64(b"AGE!Yg=="), Err(SaslError::InvalidBase64));
        assert_eq!(decode_base64(b"AGEA\r\nYg=="), Err(SaslError::InvalidBase64));
    }

    #[test]
    fn rfc4954_line_length_rule() {
        // "AUTH PLAIN " + base64 + CRLF must stay within 512 octets.
        let prefix = "AUTH PLAIN ".len();
        assert_eq!(base64_len(374), 500);
        assert!(!fits_initial_response(prefix, 374, 512));
        assert_eq!(base64_len(372), 496);
        assert!(fits_initial_response(prefix, 372, 512));
        assert!(fits_initial_response(prefix, 0, 14));
        assert!(!fits_initial_response(prefix, 0, 13));
        assert!(!fits_initial_response(usize::MAX, 10, 512));
    }

    proptest! {
        #[test]
        fn base64_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(decode_base64(encode_base64(&data).as_bytes()).unwrap(), data.clone());
            prop_assert_eq!(decode_initial_response(encode_initial_response(&data).as_bytes()).unwrap(), data.clone());
            prop_assert_eq!(encode_base64(&data).len(), base64_len(data.len()));
        }
    }
}
