//! Address lists (RFC 5322 3.4 with the obsolete syntax of 4.4): mailboxes, groups, quoted
//! and encoded display names, comments, obsolete routes.

use std::borrow::Cow;

use crate::text::{
    Context, RawCharset, StrictPhrase, TextOptions, decode_in, decode_text, raw_to_string, unfold,
};

/// One mailbox: an optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, unquoted and decoded; `None` when there is none.
    pub name: Option<String>,
    /// The addr-spec (`local@domain`, or only the local part when no domain was given;
    /// `<>` for the empty path of bounces).
    pub address: String,
    /// The comments inside the mailbox, in order (`jdoe@example.org (John Doe)` has
    /// `John Doe`): outer parentheses and quoted-pair backslashes removed, encoded words
    /// decoded as comment text (RFC 2047 section 5 (2)), white space runs collapsed.
    pub comments: Vec<String>,
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

/// A token of an address list (RFC 5322 3.2 lexical tokens, leniently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// An atom (or any run of non-special octets), as written.
    Atom(&'a [u8]),
    /// A quoted string, unescaped, without its quotes.
    Quoted(Cow<'a, [u8]>),
    /// A domain literal, brackets included.
    Literal(&'a [u8]),
    /// One of `<>@,;:` (and `.` when asked for).
    Special(u8),
    /// A comment's text without its outer parentheses, quoted pairs undone.
    Comment(Cow<'a, [u8]>),
}

/// Quoted pairs undone: every `\` dropped and the octet after it kept.
pub(crate) fn unescape(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&b'\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut escaped = false;
    for &c in raw {
        if c == b'\\' && !escaped {
            escaped = true;
        } else {
            out.push(c);
            escaped = false;
        }
    }
    Cow::Owned(out)
}

/// Tokens of an unfolded address list, each with whether white space (or a comment) came
/// before it. With `dot_special`, `.` is a token of its own (dot-atoms split into words);
/// otherwise it is part of atoms.
pub(crate) fn tokenize(s: &[u8], dot_special: bool) -> Vec<(Tok<'_>, bool)> {
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
                // up to the matching parenthesis; inner ones are part of the text
                let start = i + 1;
                let mut end = s.len();
                let mut depth = 0usize;
                while let Some(&d) = s.get(i) {
                    i += 1;
                    match d {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                end = i - 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let raw = s.get(start..end.max(start)).unwrap_or_default();
                out.push((Tok::Comment(unescape(raw)), ws));
                ws = true;
            }
            b'"' => {
                i += 1;
                let start = i;
                let mut end = s.len();
                while let Some(&d) = s.get(i) {
                    i += 1;
                    match d {
                        b'\\' => i += 1,
                        b'"' => {
                            end = i - 1;
                            break;
                        }
                        _ => {}
                    }
                }
                let raw = s.get(start..end.max(start)).unwrap_or_default();
                out.push((Tok::Quoted(unescape(raw)), ws));
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
                out.push((Tok::Literal(s.get(start..i).unwrap_or_default()), ws));
                ws = false;
            }
            b'<' | b'>' | b'@' | b',' | b';' | b':' => {
                out.push((Tok::Special(c), ws));
                ws = false;
                i += 1;
            }
            b'.' if dot_special => {
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
                            | b';'
                            | b':'
                    ) || (d == b'.' && dot_special)
                    {
                        break;
                    }
                    i += 1;
                }
                out.push((Tok::Atom(s.get(start..i).unwrap_or_default()), ws));
                ws = false;
            }
        }
    }
    out
}

fn phrase_text(toks: &[(Tok<'_>, bool)], opts: TextOptions) -> String {
    if !opts.lenient {
        return strict_phrase_text(toks, opts.raw);
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut k = 0;
    for (t, ws) in toks {
        if matches!(t, Tok::Comment(_)) {
            continue;
        }
        if k > 0 && *ws {
            buf.push(b' ');
        }
        k += 1;
        match t {
            Tok::Atom(a) | Tok::Literal(a) => buf.extend_from_slice(a),
            Tok::Quoted(a) => buf.extend_from_slice(a),
            Tok::Special(c) => buf.push(*c),
            Tok::Comment(_) => {}
        }
    }
    let s = decode_text(&buf, TextOptions { lenient: true, raw: opts.raw });
    norm_ws(&s)
}

/// A display name under RFC 2047 section 5 (3): only atoms that are one whole encoded word
/// are decoded; quoted strings stay as written; words separated by white space only join.
fn strict_phrase_text(toks: &[(Tok<'_>, bool)], raw: RawCharset) -> String {
    let mut p = StrictPhrase::new(raw);
    let mut first = true;
    let mut comment_between = false;
    for (t, ws) in toks {
        let space = !first && *ws;
        match t {
            Tok::Comment(_) => {
                comment_between = true;
                continue;
            }
            Tok::Atom(a) => p.atom(a, space, space && !comment_between),
            Tok::Quoted(q) => p.other(q, space),
            Tok::Literal(q) => p.other(q, space),
            Tok::Special(c) => p.other(core::slice::from_ref(c), space),
        }
        first = false;
        comment_between = false;
    }
    norm_ws(&p.finish())
}

/// The decoded text of a comment token.
fn comment_text(content: &[u8], opts: TextOptions) -> String {
    norm_ws(&decode_in(content, Context::Comment, opts))
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

fn spec_text(toks: &[(Tok<'_>, bool)], raw: RawCharset) -> String {
    let mut buf: Vec<u8> = Vec::new();
    for (t, _) in toks {
        match t {
            Tok::Comment(_) => {}
            Tok::Atom(a) | Tok::Literal(a) => buf.extend_from_slice(a),
            Tok::Quoted(q) => {
                if needs_quotes(q) {
                    buf.push(b'"');
                    for &c in q.iter() {
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
fn mailbox(toks: &[(Tok<'_>, bool)], opts: TextOptions) -> Option<Mailbox> {
    let comments: Vec<String> = toks
        .iter()
        .filter_map(|(t, _)| match t {
            Tok::Comment(c) => Some(comment_text(c, opts)),
            _ => None,
        })
        .collect();
    if toks.iter().all(|(t, _)| matches!(t, Tok::Comment(_))) {
        return None;
    }
    let raw = opts.raw;
    if let Some(lt) = toks.iter().position(|(t, _)| *t == Tok::Special(b'<')) {
        let name_toks = toks.get(..lt).unwrap_or_default();
        let rest = toks.get(lt + 1..).unwrap_or_default();
        let gt = rest.iter().position(|(t, _)| *t == Tok::Special(b'>')).unwrap_or(rest.len());
        let mut inner = rest.get(..gt).unwrap_or_default();
        // obsolete route: @a,@b:
        if inner
            .iter()
            .find(|(t, _)| !matches!(t, Tok::Comment(_)))
            .is_some_and(|(t, _)| *t == Tok::Special(b'@'))
            && let Some(colon) = inner.iter().position(|(t, _)| *t == Tok::Special(b':'))
        {
            inner = inner.get(colon + 1..).unwrap_or_default();
        }
        let name = phrase_text(name_toks, opts);
        let address = if inner.is_empty() { "<>".to_string() } else { spec_text(inner, raw) };
        return Some(Mailbox { name: (!name.is_empty()).then_some(name), address, comments });
    }
    Some(Mailbox { name: None, address: spec_text(toks, raw), comments })
}

/// Parses an address-list field value (To, Cc, From, Reply-To, ...). Never fails: what does
/// not parse is skipped.
pub fn parse_address_list(value: &[u8]) -> Vec<Address> {
    parse_address_list_with(value, RawCharset::Fallback)
}

/// Like [`parse_address_list`], reading raw 8-bit octets as `raw` says.
pub fn parse_address_list_with(value: &[u8], raw: RawCharset) -> Vec<Address> {
    parse_address_list_opts(value, TextOptions { lenient: true, raw })
}

/// Like [`parse_address_list`], with explicit text options.
///
/// In the default, lenient mode, a display name is decoded as a whole: encoded words are
/// found anywhere in it, quoted strings included (real mail writes
/// `"=?utf-8?Q?Ren=C3=A9e?=" <r@example.fr>` all the time). With
/// [`TextOptions::STRICT`] the rules of RFC 2047 section 5 apply: only an atom that is one
/// whole, well-formed encoded word of at most 75 characters is decoded (its "Q" text limited
/// to letters, digits and `! * + - / = _`); quoted strings, words glued to other characters,
/// and everything in an addr-spec stay as written; comments are decoded as comment text.
pub fn parse_address_list_opts(value: &[u8], opts: TextOptions) -> Vec<Address> {
    let v = unfold(value);
    let toks = tokenize(&v, false);
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
                let name = phrase_text(toks.get(start..i).unwrap_or_default(), opts);
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
                            if let Some(m) = mailbox(toks.get(ms..j).unwrap_or_default(), opts) {
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
                if let Some(m) = mailbox(toks.get(start..i).unwrap_or_default(), opts) {
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
