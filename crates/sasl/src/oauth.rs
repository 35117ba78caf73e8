//! The OAuth 2.0 error report of XOAUTH2 and OAUTHBEARER, with a small JSON-object reader and
//! writer for it.
//!
//! The server's error challenge is one flat JSON object (RFC 7628 section 3.2.2). A full JSON
//! library is not needed for it: the reader below takes one object, keeps the string (or
//! number) members it knows, skips nested values without recursion, and never fails on a
//! member it does not know.

use core::fmt;
use core::fmt::Write as _;

/// The longest member value kept from a server's error object; longer ones are cut.
const MAX_FIELD: usize = 1024;
/// The deepest nesting the reader skips over before giving up on the object.
const MAX_DEPTH: usize = 64;

/// What an OAuth server says when it rejects a token (RFC 7628 section 3.2.2, and the same
/// object in Google's and Microsoft's XOAUTH2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OAuthError {
    /// `status`: an RFC 6750 error code (`invalid_token`) for OAUTHBEARER, an HTTP status code
    /// (`"401"`) for XOAUTH2.
    pub status: Option<String>,
    /// `scope`: the scope the token needs.
    pub scope: Option<String>,
    /// `schemes`: the token schemes the server accepts (XOAUTH2).
    pub schemes: Option<String>,
    /// `openid-configuration`: where to discover the authorization server.
    pub openid_configuration: Option<String>,
}

impl OAuthError {
    /// The usual rejection of an expired or unknown token: status `invalid_token`.
    pub fn invalid_token() -> Self {
        Self { status: Some(String::from("invalid_token")), ..Self::default() }
    }

    /// Reads the server's error object. Unknown members are ignored; text that is not a JSON
    /// object at all gives `None`.
    pub fn from_json(json: &[u8]) -> Option<Self> {
        let members = read_object(json)?;
        let mut error = Self::default();
        for (key, value) in members {
            let slot = match key.as_str() {
                "status" => &mut error.status,
                "scope" => &mut error.scope,
                "schemes" => &mut error.schemes,
                "openid-configuration" => &mut error.openid_configuration,
                _ => continue,
            };
            *slot = Some(value);
        }
        Some(error)
    }

    /// Writes the error object the way a server sends it (members in a fixed order, absent
    /// ones left out).
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        let fields = [
            ("status", &self.status),
            ("schemes", &self.schemes),
            ("scope", &self.scope),
            ("openid-configuration", &self.openid_configuration),
        ];
        let mut first = true;
        for (key, value) in fields {
            let Some(value) = value else { continue };
            if !first {
                out.push(',');
            }
            first = false;
            write_string(&mut out, key);
            out.push(':');
            write_string(&mut out, value);
        }
        out.push('}');
        out
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("status ")?;
        f.write_str(self.status.as_deref().unwrap_or("unknown"))?;
        if let Some(scope) = &self.scope {
            write!(f, ", scope {scope}")?;
        }
        if let Some(schemes) = &self.schemes {
            write!(f, ", schemes {schemes}")?;
        }
        Ok(())
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A member value as far as the reader cares.
enum Value {
    /// A string or a number, as text.
    Text(String),
    /// Anything else.
    Skipped,
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.bump()? == b).then_some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = char::from(self.bump()?).to_digit(16)?;
            v = v * 16 + d;
        }
        Some(v)
    }

    /// A string whose opening quote is the next byte. Over-long values are cut at
    /// [`MAX_FIELD`] characters.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut bytes = Vec::new();
        loop {
            match self.bump()? {
                b'"' => break,
                b'\\' => {
                    let c = match self.bump()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi) {
                                if self.bump()? != b'\\' || self.bump()? != b'u' {
                                    return None;
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                            } else {
                                char::from_u32(hi)?
                            }
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                b => bytes.push(b),
            }
        }
        let s = String::from_utf8(bytes).ok()?;
        Some(s.chars().take(MAX_FIELD).collect())
    }

    /// A scalar or nested value. Strings and numbers come back as text; `true`, `false`,
    /// `null`, objects and arrays are skipped.
    fn value(&mut self) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            b'"' => self.string().map(Value::Text),
            b'{' | b'[' => self.skip_nested().map(|()| Value::Skipped),
            _ => {
                let start = self.pos;
                while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                {
                    self.pos += 1;
                }
                let token = self.input.get(start..self.pos)?;
                match token {
                    b"" => None,
                    b"true" | b"false" | b"null" => Some(Value::Skipped),
                    t if t.first().is_some_and(|b| b.is_ascii_digit() || *b == b'-') => Some(
                        Value::Text(String::from_utf8_lossy(t).chars().take(MAX_FIELD).collect()),
                    ),
                    _ => None,
                }
            }
        }
    }

    /// Skips a nested object or array with a depth counter instead of recursion.
    fn skip_nested(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.bump()? {
                b'{' | b'[' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(());
                    }
                }
                b'"' => {
                    self.pos -= 1;
                    self.string()?;
                }
                _ => {}
            }
        }
    }
}

/// Reads one JSON object into its (key, scalar text) members. Trailing whitespace is allowed,
/// anything else after the object is not.
fn read_object(json: &[u8]) -> Option<Vec<(String, String)>> {
    let mut r = Reader { input: json, pos: 0 };
    r.eat(b'{')?;
    let mut members = Vec::new();
    r.skip_ws();
    if r.peek() == Some(b'}') {
        r.pos += 1;
    } else {
        loop {
            r.skip_ws();
            let key = r.string()?;
            r.eat(b':')?;
            if let Value::Text(value) = r.value()?
                && members.len() < 32
            {
                members.push((key, value));
            }
            r.skip_ws();
            match r.bump()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
    }
    r.skip_ws();
    (r.pos == json.len()).then_some(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc7628_error_object() {
        let json = br#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#;
        let e = OAuthError::from_json(json).unwrap();
        assert_eq!(e.status.as_deref(), Some("invalid_token"));
        assert_eq!(e.scope.as_deref(), Some("example_scope"));
        assert_eq!(
            e.openid_configuration.as_deref(),
            Some("https://example.com/.well-known/openid-configuration")
        );
        assert_eq!(e.schemes, None);
    }

    #[test]
    fn google_style_error_object() {
        let json = b"{\"status\":\"401\",\n \"schemes\":\"bearer mac\", \"scope\":\"https://mail.google.com/\"}\n";
        let e = OAuthError::from_json(json).unwrap();
        assert_eq!(e.status.as_deref(), Some("401"));
        assert_eq!(e.schemes.as_deref(), Some("bearer mac"));
        assert_eq!(e.to_string(), "status 401, scope https://mail.google.com/, schemes bearer mac");
    }

    #[test]
    fn tolerant_of_unknown_members_and_numbers() {
        let json = br#"{"extra":{"a":[1,2,{"b":"}"}]},"status":401,"ok":true,"n":null,"scope":"a\"b\u00e9\ud83d\ude00"}"#;
        let e = OAuthError::from_json(json).unwrap();
        assert_eq!(e.status.as_deref(), Some("401"));
        assert_eq!(e.scope.as_deref(), Some("a\"b\u{e9}\u{1f600}"));
        assert_eq!(OAuthError::from_json(b"{}").unwrap(), OAuthError::default());
    }

    #[test]
    fn rejects_non_objects_without_panicking() {
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            b"{\"a\"}",
            b"{\"a\":}",
            b"{\"a\":1} x",
            b"\"s\"",
            b"{\"a\":\"\\ud800\"}",
        ] {
            assert_eq!(OAuthError::from_json(bad), None, "{bad:?}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(OAuthError::from_json(deep.as_bytes()), None);
    }

    proptest! {
        #[test]
        fn json_round_trip(status in proptest::option::of(".{0,20}"), scope in proptest::option::of(".{0,40}"),
                           schemes in proptest::option::of("[a-z ]{0,10}"), oc in proptest::option::of("\\PC{0,20}")) {
            let e = OAuthError { status, scope, schemes, openid_configuration: oc };
            prop_assert_eq!(OAuthError::from_json(e.to_json().as_bytes()), Some(e));
        }

        #[test]
        fn reader_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = OAuthError::from_json(&data);
        }
    }
}
