//! Address lists (RFC 5322 3.4 with the obsolete syntax of 4.4): mailboxes, groups, quoted
//! and encoded display names, comments, obsolete routes.

use crate::text::{RawCharset, TextOptions, decode_text, raw_to_string, unfold};

/// One mailbox: an optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, unquoted and decoded; `None` when there is none.
    pub name: Option<String>,
    /// The addr-spec (`local@domain`, or only the local part when no domain was given;
    /// `<>` for the empty path of bounces).
    pub address: String,
}

/// An entry of an address list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A mailbox.
    Mailbox(Mailbox),
    /// A named group of mailboxes (`Team: a@x, b@y;`), possibly empty.
    Group {
        /// The group's display name.
        name: String,
        /// Its members.
        members: Vec<Mailbox>,
    },
}

impl Address {
    /// The mailboxes of this entry (one, or a group's members).
    pub fn mailboxes(&self) -> &[Mailbox] {
        match self {
            Self::Mailbox(m) => core::slice::from_ref(m),
            Self::Group { members, .. } => members,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Atom(Vec<u8>),
    Quoted(Vec<u8>),
    Literal(Vec<u8>),
    Special(u8),
}

fn tokenize(s: &[u8]) -> Vec<(Tok, bool)> {
    // (token, preceded by white space or a comment)
    let mut out = Vec::new();
    let mut i = 0;
    let mut ws = false;
    while let Some(&c) = s.get(i) {
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                ws = true;
                i += 1;
            }
            b'(' => {
                let mut depth = 0usize;
                while let Some(&d) = s.get(i) {
                    match d {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                ws = true;
            }
            b'"' => {
                i += 1;
                let mut v = Vec::new();
                while let Some(&d) = s.get(i) {
                    i += 1;
                    match d {
                        b'\\' => {
                            if let Some(&n) = s.get(i) {
                                v.push(n);
                                i += 1;
                            }
                        }
                        b'"' => break,
                        b'\r' | b'\n' => {}
                        _ => v.push(d),
                    }
                }
                out.push((Tok::Quoted(v), ws));
                ws = false;
            }
            b'[' => {
                let start = i;
                while let Some(&d) = s.get(i) {
                    i += 1;
                    if d == b']' {
                        break;
                    }
                }
                out.push((Tok::Literal(s.get(start..i).unwrap_or_default().to_vec()), ws));
                ws = false;
            }
            b'<' | b'>' | b'@' | b',' | b':' | b';' => {
                out.push((Tok::Special(c), ws));
                ws = false;
                i += 1;
            }
            _ => {
                let start = i;
                while let Some(&d) = s.get(i) {
                    if matches!(
                        d,
                        b' ' | b'\t'
                            | b'\r'
                            | b'\n'
                            | b'('
                            | b'"'
                            | b'['
                            | b'<'
                            | b'>'
                            | b'@'
                            | b','
                            | b':'
                            | b';'
                    ) {
                        break;
                    }
                    i += 1;
                }
                out.push((Tok::Atom(s.get(start..i).unwrap_or_default().to_vec()), ws));
                ws = false;
            }
        }
    }
    out
}

fn phrase_text(toks: &[(Tok, bool)], raw: RawCharset) -> String {
    let mut buf: Vec<u8> = Vec::new();
    for (k, (t, ws)) in toks.iter().enumerate() {
        if k > 0 && *ws {
            buf.push(b' ');
        }
        match t {
            Tok::Atom(a) | Tok::Quoted(a) | Tok::Literal(a) => buf.extend_from_slice(a),
            Tok::Special(c) => buf.push(*c),
        }
    }
    let s = decode_text(&buf, TextOptions { lenient: true, raw });
    norm_ws(&s)
}

fn norm_ws(s: &str) -> String {
    s.split([' ', '\t', '\r', '\n']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn needs_quotes(local: &[u8]) -> bool {
    local.is_empty()
        || local.iter().any(|&c| {
            matches!(
                c,
                b' ' | b'\t'
                    | b'"'
                    | b'\\'
                    | b'('
                    | b')'
                    | b','
                    | b':'
                    | b';'
                    | b'<'
                    | b'>'
                    | b'@'
                    | b'['
                    | b']'
            )
        })
}

fn spec_text(toks: &[(Tok, bool)], raw: RawCharset) -> String {
    let mut buf: Vec<u8> = Vec::new();
    for (t, _) in toks {
        match t {
            Tok::Atom(a) | Tok::Literal(a) => buf.extend_from_slice(a),
            Tok::Quoted(q) => {
                if needs_quotes(q) {
                    buf.push(b'"');
                    for &c in q {
                        if c == b'"' || c == b'\\' {
                            buf.push(b'\\');
                        }
                        buf.push(c);
                    }
                    buf.push(b'"');
                } else {
                    buf.extend_from_slice(q);
                }
            }
            Tok::Special(c) => buf.push(*c),
        }
    }
    let mut out = String::new();
    raw_to_string(&buf, raw, &mut out);
    out.retain(|c| c != '\r' && c != '\n');
    out
}

/// Parses one mailbox from tokens `toks` (no top-level ',' inside).
fn mailbox(toks: &[(Tok, bool)], raw: RawCharset) -> Option<Mailbox> {
    if toks.is_empty() {
        return None;
    }
    if let Some(lt) = toks.iter().position(|(t, _)| *t == Tok::Special(b'<')) {
        let name_toks = toks.get(..lt).unwrap_or_default();
        let rest = toks.get(lt + 1..).unwrap_or_default();
        let gt = rest.iter().position(|(t, _)| *t == Tok::Special(b'>')).unwrap_or(rest.len());
        let mut inner = rest.get(..gt).unwrap_or_default();
        // obsolete route: @a,@b:
        if inner.first().is_some_and(|(t, _)| *t == Tok::Special(b'@'))
            && let Some(colon) = inner.iter().position(|(t, _)| *t == Tok::Special(b':'))
        {
            inner = inner.get(colon + 1..).unwrap_or_default();
        }
        let name = phrase_text(name_toks, raw);
        let address = if inner.is_empty() { "<>".to_string() } else { spec_text(inner, raw) };
        return Some(Mailbox { name: (!name.is_empty()).then_some(name), address });
    }
    Some(Mailbox { name: None, address: spec_text(toks, raw) })
}

/// Parses an address-list field value (To, Cc, From, Reply-To, ...). Never fails: what does
/// not parse is skipped.
pub fn parse_address_list(value: &[u8]) -> Vec<Address> {
    parse_address_list_with(value, RawCharset::Fallback)
}

/// Like [`parse_address_list`], reading raw 8-bit octets as `raw` says.
pub fn parse_address_list_with(value: &[u8], raw: RawCharset) -> Vec<Address> {
    let v = unfold(value);
    let toks = tokenize(&v);
    let mut out = Vec::new();
    let mut i = 0;
    let mut start = 0;
    let mut angle = false;
    while i <= toks.len() {
        let t = toks.get(i).map(|(t, _)| t);
        match t {
            Some(Tok::Special(b'<')) => angle = true,
            Some(Tok::Special(b'>')) => angle = false,
            Some(Tok::Special(b':')) if !angle => {
                // a group: name, then mailboxes up to ';'
                let name = phrase_text(toks.get(start..i).unwrap_or_default(), raw);
                let mut members = Vec::new();
                let mut j = i + 1;
                let mut ms = j;
                let mut in_angle = false;
                loop {
                    let tj = toks.get(j).map(|(t, _)| t);
                    match tj {
                        Some(Tok::Special(b'<')) => in_angle = true,
                        Some(Tok::Special(b'>')) => in_angle = false,
                        Some(Tok::Special(b',' | b';')) | None if !in_angle || tj.is_none() => {
                            if let Some(m) = mailbox(toks.get(ms..j).unwrap_or_default(), raw) {
                                members.push(m);
                            }
                            ms = j + 1;
                            if !matches!(tj, Some(Tok::Special(b','))) {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                out.push(Address::Group { name, members });
                i = j + 1;
                start = i;
                continue;
            }
            Some(Tok::Special(b',')) | None if !angle || t.is_none() => {
                if let Some(m) = mailbox(toks.get(start..i).unwrap_or_default(), raw) {
                    out.push(Address::Mailbox(m));
                }
                start = i + 1;
                angle = false;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(s: &str) -> Vec<(String, String)> {
        parse_address_list(s.as_bytes())
            .iter()
            .flat_map(|a| a.mailboxes().to_vec())
            .map(|m| (m.name.unwrap_or_default(), m.address))
            .collect()
    }

    fn p(n: &str, a: &str) -> (String, String) {
        (n.to_string(), a.to_string())
    }

    #[test]
    fn rfc5322_appendix_a() {
        assert_eq!(mb("John Doe <jdoe@machine.example>"), [p("John Doe", "jdoe@machine.example")]);
        assert_eq!(mb("Mary Smith <mary@example.net>"), [p("Mary Smith", "mary@example.net")]);
        assert_eq!(
            mb("\"Joe Q. Public\" <john.q.public@example.com>"),
            [p("Joe Q. Public", "john.q.public@example.com")]
        );
        assert_eq!(
            mb("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"),
            [p("Mary Smith", "mary@x.test"), p("", "jdoe@example.org"), p("Who?", "one@y.test")]
        );
        assert_eq!(
            mb("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
            [p("", "boss@nil.test"), p("Giant; \"Big\" Box", "sysservices@example.net")]
        );
        let g =
            parse_address_list(b"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;");
        assert!(
            matches!(&g[0], Address::Group { name, members } if name == "A Group" && members.len() == 3)
        );
        let g = parse_address_list(b"Undisclosed recipients:;");
        assert!(matches!(&g[0], Address::Group { members, .. } if members.is_empty()));
        assert_eq!(
            mb("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
            [p("Pete", "pete@silly.test")]
        );
        assert_eq!(
            mb("Joe Q. Public <john.q.public@example.com>"),
            [p("Joe Q. Public", "john.q.public@example.com")]
        );
        assert_eq!(
            mb("Mary Smith <@node.test:mary@example.net>"),
            [p("Mary Smith", "mary@example.net")]
        );
        assert_eq!(mb("jdoe@test   . example"), [p("", "jdoe@test.example")]);
        assert_eq!(
            mb("\"Mary Smith: Personal Account\" <smith@home.example>"),
            [p("Mary Smith: Personal Account", "smith@home.example")]
        );
    }

    #[test]
    fn encoded_names() {
        assert_eq!(
            mb("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"),
            [p("Keld J\u{f8}rn Simonsen", "keld@dkuug.dk")]
        );
        assert_eq!(
            mb("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"),
            [p("Keith Moore", "moore@cs.utk.edu")]
        );
        assert_eq!(mb("\"=?utf-8?Q?Ann?=\" <a@b>"), [p("Ann", "a@b")]);
        assert_eq!(mb(""), []);
    }
}
