//! Structured fields beyond addresses and dates: message identifiers (RFC 5322 3.6.4),
//! Received (3.6.7), MIME-Version (RFC 2045 4), List-* (RFC 2369, RFC 2919).

use crate::date::{DateTime, parse_date};
use crate::text::unfold;

/// Extracts every `<id>` of a Message-ID, In-Reply-To or References value, angle brackets
/// kept, in order. A value with no brackets yields its trimmed words (seen in old mail).
pub fn parse_message_ids(value: &[u8]) -> Vec<String> {
    let v = unfold(value);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', v.get(i..).unwrap_or_default()) {
        let s = i + lt;
        let Some(gt) = memchr::memchr(b'>', v.get(s..).unwrap_or_default()) else { break };
        let id = v.get(s..=s + gt).unwrap_or_default();
        let id: Vec<u8> = id.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
        out.push(String::from_utf8_lossy(&id).into_owned());
        i = s + gt + 1;
    }
    if out.is_empty() {
        out.extend(
            String::from_utf8_lossy(&v)
                .split_ascii_whitespace()
                .filter(|w| w.contains('@'))
                .map(str::to_string),
        );
    }
    out
}

/// A parsed Received field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `(keyword, value)` clauses in order (`from`, `by`, `via`, `with`, `id`, `for`, ...),
    /// keywords lowercased, values with comments kept.
    pub clauses: Vec<(String, String)>,
    /// The date after the last `;`.
    pub date: Option<DateTime>,
}

impl Received {
    /// The value of the first clause with this keyword.
    pub fn clause(&self, keyword: &str) -> Option<&str> {
        self.clauses.iter().find(|(k, _)| k.eq_ignore_ascii_case(keyword)).map(|(_, v)| v.as_str())
    }
}

/// Parses a Received value.
pub fn parse_received(value: &[u8]) -> Received {
    const KEYS: [&str; 6] = ["from", "by", "via", "with", "id", "for"];
    let v = unfold(value);
    let (clauses_part, date) = match memchr::memrchr(b';', &v) {
        Some(p) => (v.get(..p).unwrap_or_default(), parse_date(v.get(p + 1..).unwrap_or_default())),
        None => (&v[..], None),
    };
    let text = String::from_utf8_lossy(clauses_part);
    let mut clauses: Vec<(String, String)> = Vec::new();
    let mut depth = 0usize;
    for word in text.split_ascii_whitespace() {
        let lower = word.to_ascii_lowercase();
        if depth == 0 && KEYS.contains(&lower.as_str()) {
            clauses.push((lower, String::new()));
        } else if let Some((_, val)) = clauses.last_mut() {
            if !val.is_empty() {
                val.push(' ');
            }
            val.push_str(word);
        }
        for c in word.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    Received { clauses, date }
}

/// Parses MIME-Version (`1.0`, comments allowed) into (major, minor).
pub fn parse_mime_version(value: &[u8]) -> Option<(u32, u32)> {
    let v = unfold(value);
    let text = String::from_utf8_lossy(&v);
    let t: String = {
        let mut depth = 0usize;
        text.chars()
            .filter(|&c| {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth = depth.saturating_sub(1);
                        return false;
                    }
                    _ => {}
                }
                depth == 0 && !c.is_whitespace()
            })
            .collect()
    };
    let (a, b) = t.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The URLs of a List-Help / -Unsubscribe / -Subscribe / -Post / -Owner / -Archive value
/// (RFC 2369): every `<url>` in order. `NO` in List-Post gives an empty list.
pub fn parse_list_urls(value: &[u8]) -> Vec<String> {
    let v = unfold(value);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', v.get(i..).unwrap_or_default()) {
        let s = i + lt + 1;
        let Some(gt) = memchr::memchr(b'>', v.get(s..).unwrap_or_default()) else { break };
        let url: Vec<u8> = v
            .get(s..s + gt)
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        out.push(String::from_utf8_lossy(&url).into_owned());
        i = s + gt + 1;
    }
    out
}

/// A List-Id (RFC 2919): optional description and the list identifier (without brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListId {
    /// The phrase before the identifier, decoded.
    pub description: Option<String>,
    /// The identifier, e.g. `list-header.nagory.example`.
    pub id: String,
}

/// Parses a List-Id value.
pub fn parse_list_id(value: &[u8]) -> Option<ListId> {
    let v = unfold(value);
    let lt = memchr::memchr(b'<', &v)?;
    let gt = memchr::memchr(b'>', v.get(lt..)?)? + lt;
    let id = String::from_utf8_lossy(v.get(lt + 1..gt)?).trim().to_string();
    let desc = crate::text::decode_in(
        v.get(..lt)?,
        crate::text::Context::Phrase,
        crate::text::TextOptions::default(),
    );
    let desc = desc.trim().trim_matches('"').trim().to_string();
    Some(ListId { description: (!desc.is_empty()).then_some(desc), id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_lists() {
        assert_eq!(
            parse_message_ids(b" <1234@local.machine.example>"),
            ["<1234@local.machine.example>"]
        );
        assert_eq!(
            parse_message_ids(b" <1234@local.machine.example>\r\n <3456@example.net>"),
            ["<1234@local.machine.example>", "<3456@example.net>"]
        );
        assert_eq!(parse_mime_version(b" 1.0 (produced by MetaSend Vx.x)"), Some((1, 0)));
        assert_eq!(
            parse_list_urls(b" <mailto:list@host.com?subject=help> (List Instructions)"),
            ["mailto:list@host.com?subject=help"]
        );
        let l = parse_list_id(b" List Header Mailing List <list-header.nagory.example>").unwrap();
        assert_eq!(l.id, "list-header.nagory.example");
        assert_eq!(l.description.as_deref(), Some("List Header Mailing List"));
        let r = parse_received(b" from x.y.test\r\n   by example.net\r\n   via TCP\r\n   with ESMTP\r\n   id ABC12345\r\n   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600");
        assert_eq!(r.clause("by"), Some("example.net"));
        assert_eq!(r.clause("for"), Some("<mary@example.net>"));
        assert_eq!(r.date.unwrap().to_iso8601(), "1997-11-21T10:05:43-06:00");
    }
}
