//! IMAP views of a parsed message (RFC 9051 sections 6.4.5 and 7.5.2, RFC 3501): the
//! `BODYSTRUCTURE`, `BODY` and `ENVELOPE` fetch items, the octets named by a section
//! specifier such as `BODY[1.2.MIME]` ([`fetch_section`]) and the field subsets of
//! `BODY[HEADER.FIELDS (...)]` ([`fetch_header_fields`]), all answered from the [`Message`]
//! tree.
//!
//! ```
//! use mailwire_mime::{Message, imap};
//!
//! let msg = Message::parse(&b"From: Ann <ann@example.com>\r\nSubject: hi\r\n\
//! Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhello\r\n--b\r\n\
//! Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBO\r\n--b--\r\n"[..]);
//! assert_eq!(
//!     imap::body(msg.root()),
//!     b"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 1)\
//! (\"IMAGE\" \"PNG\" NIL NIL NIL \"BASE64\" 4) \"MIXED\")"
//! );
//! let png = imap::section(&msg, "2").unwrap();
//! assert_eq!(imap::fetch_section(&msg, "2.MIME").unwrap(), png.header_raw());
//! assert_eq!(png.body_raw(), b"iVBO");
//! ```
//!
//! Output is strict whatever the input: every string is a quoted string when it is 7-bit
//! text without CR, LF or NUL, and a literal (`{n}\r\n...`) otherwise; NUL octets, which no
//! IMAP string may hold, are dropped. [`ImapOptions::utf8`] (for a client that enabled
//! `UTF8=ACCEPT`, RFC 9051 / RFC 6855) lets well-formed UTF-8 into quoted strings.
//! Media types, subtypes, parameter names, transfer encodings and disposition types are
//! written in uppercase, as in the RFC's examples; values as they are. See `docs/mime-imap.md`
//! for every choice and how it compares with Dovecot.
//!
//! Nothing here recurses on the input: nested parts are walked with an explicit stack.

use std::borrow::Cow;

use crate::address::{Tok, tokenize};
use crate::params::{ContentType, Param, TransferEncoding};
use crate::push::FieldKind;
use crate::text::unfold;
use crate::tree::Field;
use crate::{Message, Part};

/// Options of the IMAP serializers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ImapOptions {
    /// The client enabled `UTF8=ACCEPT` (RFC 9051 / RFC 6855): well-formed UTF-8 may be sent
    /// in quoted strings, RFC 2231 parameter values are sent decoded, and `message/global`
    /// parts are described like `message/rfc822` (envelope, body, lines: the RFC 9051
    /// grammar). Default false: 8-bit text goes out as literals, decoded non-ASCII parameter
    /// values are re-encoded in the RFC 2231 form (`NAME*` `utf-8''...`), and `message/global`
    /// is a basic part, since the RFC 3501 grammar knows only `MESSAGE` `RFC822`.
    pub utf8: bool,
}

impl ImapOptions {
    /// The options for a client that enabled `UTF8=ACCEPT`.
    pub const UTF8_ACCEPT: Self = Self { utf8: true };
}

/// The `BODYSTRUCTURE` of an entity (usually [`Message::root`]), extension data included:
/// `body-ext-1part` (MD5, disposition, language, location) and `body-ext-mpart` (parameters,
/// disposition, language, location).
pub fn body_structure(part: Part<'_>) -> Vec<u8> {
    body_structure_with(part, ImapOptions::default())
}

/// [`body_structure`] with options.
pub fn body_structure_with(part: Part<'_>, opts: ImapOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    Writer { out: &mut out, opts, extended: true }.body(part);
    out
}

/// The non-extensible `BODY` form of an entity: the body structure without extension data.
pub fn body(part: Part<'_>) -> Vec<u8> {
    body_with(part, ImapOptions::default())
}

/// [`body`] with options.
pub fn body_with(part: Part<'_>, opts: ImapOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    Writer { out: &mut out, opts, extended: false }.body(part);
    out
}

/// The `ENVELOPE` of a message entity ([`Message::root`], or an encapsulated message):
/// `(date subject from sender reply-to to cc bcc in-reply-to message-id)`.
pub fn envelope(part: Part<'_>) -> Vec<u8> {
    envelope_with(part, ImapOptions::default())
}

/// [`envelope`] with options.
pub fn envelope_with(part: Part<'_>, opts: ImapOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    Writer { out: &mut out, opts, extended: false }.envelope(part);
    out
}

/// The entity named by an IMAP part number (RFC 9051 6.4.5) such as `"1"`, `"1.2"` or
/// `"2.1.3"`. A message that is not a multipart has one part, `1`, its body (the message
/// entity itself is returned); the parts of a multipart are numbered from 1; the number of a
/// `message/rfc822` (or `message/global`) part followed by `.n` names the parts of the
/// encapsulated message's body by the same rules. `None` for anything else (an empty string,
/// `0`, a number past the last part, a keyword such as `MIME`: see [`fetch_section`]).
pub fn section<'m>(msg: &'m Message, spec: &str) -> Option<Part<'m>> {
    let mut cur: Option<Part<'m>> = None;
    for comp in spec.split('.') {
        let n = part_index(comp)?;
        cur = Some(match cur {
            None => nth_of_message(msg.root(), n)?,
            Some(p) => nth_of(p, n)?,
        });
    }
    cur
}

/// The IMAP part number of an entity, the inverse of [`section`]: `Some("2.1")` for the
/// entity that `section(msg, "2.1")` returns; `None` for an entity that has no part number
/// of its own (a multipart message, whose body is its parts, at the top level or
/// encapsulated).
pub fn part_number(part: Part<'_>) -> Option<String> {
    if part.is_split_multipart() && part.is_message_header() {
        return None;
    }
    Some(part.imap_part_number())
}

/// The octets of a `BODY[section]` fetch (RFC 9051 6.4.5) without a partial range:
/// `""` (the whole message), `HEADER`, `TEXT`, `n` (a part's body as in the input),
/// `n.MIME` (a part's header block, its empty line included), and for a `message/rfc822`
/// part `n.HEADER` and `n.TEXT` (the encapsulated message's header and body). Part numbers
/// as in [`section`]. `None` for a section that does not exist, and for `HEADER.FIELDS` and
/// `HEADER.FIELDS.NOT`: their octets are a selection of lines, not one slice of the input;
/// [`fetch_header_fields`] (or [`fetch_header_fields_in`], into a reused buffer) answers
/// them from the same section text, [`header_fields`] from an already parsed name list.
pub fn fetch_section<'m>(msg: &'m Message, spec: &str) -> Option<&'m [u8]> {
    if spec.is_empty() {
        return Some(msg.source());
    }
    let (numbers, keyword) = match spec.rsplit_once('.') {
        Some((head, last)) if part_index(last).is_none() => (Some(head), last),
        Some(_) => (Some(spec), ""),
        None if part_index(spec).is_some() => (Some(spec), ""),
        None => (None, spec),
    };
    let Some(numbers) = numbers else {
        let root = msg.root();
        return match_keyword(keyword, root.header_raw(), root.body_raw());
    };
    let part = section(msg, numbers)?;
    if keyword.is_empty() {
        return Some(part.body_raw());
    }
    if keyword.eq_ignore_ascii_case("MIME") {
        return Some(part.header_raw());
    }
    let inner = message_of(part)?;
    match_keyword(keyword, inner.header_raw(), inner.body_raw())
}

/// `BODY[n.MIME]`: the header block of an entity, its terminating empty line included.
pub fn mime_header(part: Part<'_>) -> &[u8] {
    part.header_raw()
}

/// `BODY[n.HEADER]` of a `message/rfc822` (or `message/global`) part: the encapsulated
/// message's header block. `None` for other parts.
pub fn message_header(part: Part<'_>) -> Option<&[u8]> {
    message_of(part).map(|m| m.header_raw())
}

/// `BODY[n.TEXT]` of a `message/rfc822` (or `message/global`) part: the encapsulated
/// message's body. `None` for other parts.
pub fn message_text(part: Part<'_>) -> Option<&[u8]> {
    message_of(part).map(|m| m.body_raw())
}

/// Which fields of a header a `HEADER.FIELDS` section selects (RFC 9051 6.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderFields {
    /// `HEADER.FIELDS (name ...)`: the fields whose name is in the list.
    Fields,
    /// `HEADER.FIELDS.NOT (name ...)`: the fields whose name is not in the list.
    FieldsNot,
}

/// The octets of `BODY[HEADER.FIELDS (...)]`, `BODY[HEADER.FIELDS.NOT (...)]`,
/// `BODY[n.HEADER.FIELDS (...)]` and `BODY[n.HEADER.FIELDS.NOT (...)]` (RFC 9051 6.4.5),
/// from the section text as the client sent it between the brackets.
///
/// **The section text.** `[n.]HEADER.FIELDS[.NOT] (name ...)`: keywords in any letter case,
/// part numbers as in [`section`] (the part must be a `message/rfc822` or `message/global`
/// part: its encapsulated message's header is read). The names are IMAP astrings: atoms,
/// quoted strings (`"X-Spam"`, backslash escapes undone) or literals (`{6}\r\nX-Spam`, also
/// `{6+}`), as the command carried them. Tolerated: runs of white space between and around
/// the names, no space before `(`, white space around the whole text, an empty list (the
/// grammar asks for one name at least). `None` for any other text, a part number that names
/// nothing, or a part that is not a message.
///
/// **The octets.** Every header field whose name matches one of the names, ASCII
/// case-insensitively and otherwise exactly, or for `.NOT` every field whose name matches none
/// of them, in message order, repeated fields every time they occur, each exactly as in the
/// input (folds, white space and line ending kept); then the empty line that ends the header
/// (RFC 9051: "the blank line is always included as part of header data"), as the input
/// writes it (CRLF or a bare LF). So a list that matches nothing gives just that empty line.
/// See [`header_fields`] for a header without an empty line, and for the lines that are not
/// fields (an mbox `From ` line, a continuation line with no field before it).
///
/// One `Vec` per call; [`fetch_header_fields_in`] writes into a buffer the caller reuses.
///
/// ```
/// use mailwire_mime::{Message, imap};
///
/// let msg = Message::parse(&b"From: ann@example.com\r\nSubject: a long\r\n subject\r\n\
/// To: bob@example.org\r\nReceived: one\r\nReceived: two\r\n\r\nbody\r\n"[..]);
/// assert_eq!(
///     imap::fetch_header_fields(&msg, "HEADER.FIELDS (subject RECEIVED)").unwrap(),
///     b"Subject: a long\r\n subject\r\nReceived: one\r\nReceived: two\r\n\r\n"
/// );
/// assert_eq!(
///     imap::fetch_header_fields(&msg, "header.fields.not (Received \"Subject\")").unwrap(),
///     b"From: ann@example.com\r\nTo: bob@example.org\r\n\r\n"
/// );
/// assert_eq!(imap::fetch_header_fields(&msg, "HEADER.FIELDS (X-None)").unwrap(), b"\r\n");
/// assert_eq!(imap::fetch_header_fields(&msg, "1.HEADER.FIELDS (From)"), None); // not a message
/// ```
pub fn fetch_header_fields(msg: &Message, spec: &str) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    fetch_header_fields_in(msg, spec, &mut buf)?;
    Some(buf)
}

/// [`fetch_header_fields`] into `buf`, cleared first and its allocation reused: answering
/// many fetches through one buffer allocates only to grow it, and parsing the section text
/// allocates nothing. Returns the octets written (all of `buf`); `None`, with `buf` left
/// empty, when [`fetch_header_fields`] gives `None`.
///
/// ```
/// use mailwire_mime::{Message, imap};
///
/// let msg = Message::parse(&b"Content-Type: message/rfc822\r\n\r\n\
/// Subject: inner\r\nFrom: ann@example.com\r\n\r\nhi\r\n"[..]);
/// let mut buf = Vec::new();
/// let out = imap::fetch_header_fields_in(&msg, "1.HEADER.FIELDS.NOT (FROM)", &mut buf);
/// assert_eq!(out, Some(&b"Subject: inner\r\n\r\n"[..]));
/// ```
pub fn fetch_header_fields_in<'b>(
    msg: &Message,
    spec: &str,
    buf: &'b mut Vec<u8>,
) -> Option<&'b [u8]> {
    buf.clear();
    let (entity, kind, list) = parse_fields_spec(msg, spec)?;
    write_fields(entity, kind, |name| listed(list, name), buf);
    Some(buf)
}

/// The octets of a header-fields section from a name list already parsed by the caller's
/// command parser (astrings unquoted): the fields of `entity`'s header selected by `kind`
/// and `names` (ASCII case-insensitive), then the empty line, as [`fetch_header_fields`]
/// describes. `entity` is the message whose header is read: [`Message::root`] for
/// `HEADER.FIELDS`, and for `n.HEADER.FIELDS` the encapsulated message of the part
/// [`section`] names ([`Part::encapsulated`]). Given a MIME part, it selects from the part's
/// own header (no IMAP section names that subset).
///
/// **A header without an empty line.** The empty line is the header's own when it has one.
/// When it has none and the entity has a body (the header ran into a line that is not a
/// field), one is added, with the line ending of the header's last line (CRLF when the header
/// is empty). When it has none and no body either (the input, or the part, ends inside the
/// header), nothing is added: RFC 9051 includes the blank line "except in the case of a
/// message which has no body and no blank line"; the result is then the selected fields
/// alone, and the last field of the header keeps its missing line ending if the input ends
/// inside it.
///
/// **Lines that are not fields.** An mbox `From ` line and continuation lines with no field
/// before them ([`FieldKind::MboxFrom`], [`FieldKind::Orphan`]) have no field name, so no
/// name matches them: `HEADER.FIELDS` never returns them, `HEADER.FIELDS.NOT` always does
/// (it is the header without the listed fields, as Dovecot has it). `HEADER.FIELDS.NOT` of
/// names the header lacks is therefore `HEADER` itself (plus the added empty line when the
/// header ran into its body). A field written with white space before its colon
/// (`Subject : hi`) is named without it.
///
/// ```
/// use mailwire_mime::{Message, imap::{self, HeaderFields}};
///
/// let msg = Message::parse(&b"Subject: hi\r\nTo: bob@example.org\r\n"[..]);
/// let names = vec![String::from("to")];
/// // no body and no empty line: no empty line added
/// assert_eq!(imap::header_fields(msg.root(), HeaderFields::Fields, &names), b"To: bob@example.org\r\n");
/// assert_eq!(imap::header_fields(msg.root(), HeaderFields::FieldsNot, &names), b"Subject: hi\r\n");
/// ```
pub fn header_fields<S: AsRef<[u8]>>(entity: Part<'_>, kind: HeaderFields, names: &[S]) -> Vec<u8> {
    let mut buf = Vec::new();
    header_fields_in(entity, kind, names, &mut buf);
    buf
}

/// [`header_fields`] into `buf`, cleared first and its allocation reused. Returns the octets
/// written (all of `buf`).
pub fn header_fields_in<'b, S: AsRef<[u8]>>(
    entity: Part<'_>,
    kind: HeaderFields,
    names: &[S],
    buf: &'b mut Vec<u8>,
) -> &'b [u8] {
    buf.clear();
    write_fields(
        entity,
        kind,
        |name| names.iter().any(|n| n.as_ref().eq_ignore_ascii_case(name)),
        buf,
    );
    buf
}

/// Appends the selected fields of `entity`'s header and the empty line that ends it.
fn write_fields(
    entity: Part<'_>,
    kind: HeaderFields,
    mut listed: impl FnMut(&[u8]) -> bool,
    out: &mut Vec<u8>,
) {
    let want = kind == HeaderFields::Fields;
    let mut open_line = false;
    for f in entity.raw_fields() {
        // a line that is not a field has no name: never listed
        let selected = match f.kind() {
            FieldKind::Field => listed(f.name()) == want,
            FieldKind::MboxFrom | FieldKind::Orphan => !want,
        };
        if selected {
            out.extend_from_slice(f.raw());
            open_line = !f.raw().ends_with(b"\n");
        }
    }
    let end = header_end(entity);
    if open_line && !end.is_empty() {
        // only a field at the very end of the input lacks its line break, and then there is
        // no body and no empty line to add; should one follow, it stays a line of its own
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(end);
}

/// The empty line a header-fields section ends with: the header's own (what follows its
/// last field, as written: CRLF, LF, or a lone CR ending the input, which the parser reads as
/// the empty line), else one with the line ending of the header's last line when the entity
/// has a body, else nothing.
fn header_end(entity: Part<'_>) -> &[u8] {
    let header = entity.header_raw();
    // the header block is its fields (mbox and orphan lines included), then its empty line
    let fields: usize = entity.raw_fields().map(|f| f.raw().len()).sum();
    let own = header.get(fields..).unwrap_or_default();
    if !own.is_empty() {
        return own;
    }
    if entity.body_raw().is_empty() {
        return b"";
    }
    if header.ends_with(b"\n") && !header.ends_with(b"\r\n") { b"\n" } else { b"\r\n" }
}

/// Splits a header-fields section text into the entity whose header it reads, the kind and
/// the text inside the parentheses (checked to be a list of names).
fn parse_fields_spec<'m, 's>(
    msg: &'m Message,
    spec: &'s str,
) -> Option<(Part<'m>, HeaderFields, &'s [u8])> {
    let spec = spec.trim_ascii().as_bytes();
    let open = memchr::memchr(b'(', spec)?;
    let head = spec.get(..open)?.trim_ascii_end();
    let list = spec.get(open + 1..)?.strip_suffix(b")")?;
    let (prefix, kind) = match strip_suffix_ci(head, b"HEADER.FIELDS.NOT") {
        Some(p) => (p, HeaderFields::FieldsNot),
        None => (strip_suffix_ci(head, b"HEADER.FIELDS")?, HeaderFields::Fields),
    };
    let mut rest = list;
    while next_name(&mut rest).ok()?.is_some() {}
    let entity = if prefix.is_empty() {
        msg.root()
    } else {
        let numbers = std::str::from_utf8(prefix.strip_suffix(b".")?).ok()?;
        message_of(section(msg, numbers)?)?
    };
    Some((entity, kind, list))
}

fn strip_suffix_ci<'a>(s: &'a [u8], suffix: &[u8]) -> Option<&'a [u8]> {
    let at = s.len().checked_sub(suffix.len())?;
    let (head, tail) = s.split_at_checked(at)?;
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

/// True when a name of the (checked) list matches the field name.
fn listed(list: &[u8], field: &[u8]) -> bool {
    let mut rest = list;
    while let Ok(Some(name)) = next_name(&mut rest) {
        if name.matches(field) {
            return true;
        }
    }
    false
}

/// One field name of a header list, as the command wrote it.
#[derive(Debug, Clone, Copy)]
enum Name<'a> {
    /// An atom, a literal's octets, or a quoted string without backslashes.
    Plain(&'a [u8]),
    /// The inside of a quoted string with backslash escapes.
    Escaped(&'a [u8]),
}

impl Name<'_> {
    fn matches(self, field: &[u8]) -> bool {
        match self {
            Name::Plain(n) => n.eq_ignore_ascii_case(field),
            Name::Escaped(q) => {
                let mut field = field.iter();
                let mut q = q.iter();
                while let Some(&c) = q.next() {
                    let c = if c == b'\\' { q.next().copied().unwrap_or(c) } else { c };
                    if !field.next().is_some_and(|f| f.eq_ignore_ascii_case(&c)) {
                        return false;
                    }
                }
                field.next().is_none()
            }
        }
    }
}

/// The next name of a header list (white space before it skipped); `Ok(None)` at the end,
/// `Err` for text that is not an astring.
fn next_name<'a>(rest: &mut &'a [u8]) -> Result<Option<Name<'a>>, ()> {
    let s = rest.trim_ascii_start();
    *rest = s;
    let Some(&first) = s.first() else { return Ok(None) };
    match first {
        b'"' => {
            let mut i = 1;
            let mut escaped = false;
            loop {
                match s.get(i) {
                    None => return Err(()),
                    Some(b'\\') => {
                        escaped = true;
                        i += 2;
                    }
                    Some(b'"') => break,
                    Some(_) => i += 1,
                }
            }
            let inner = s.get(1..i).ok_or(())?;
            *rest = s.get(i + 1..).unwrap_or_default();
            Ok(Some(if escaped { Name::Escaped(inner) } else { Name::Plain(inner) }))
        }
        b'{' => {
            let close = memchr::memchr(b'}', s).ok_or(())?;
            let digits = s.get(1..close).ok_or(())?;
            let digits = digits.strip_suffix(b"+").or_else(|| digits.strip_suffix(b"-"));
            let digits = digits.unwrap_or(s.get(1..close).ok_or(())?);
            if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
                return Err(());
            }
            let n = digits.iter().fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'));
            let after = s.get(close + 1..).ok_or(())?;
            let after = after.strip_prefix(b"\r\n").or_else(|| after.strip_prefix(b"\n"));
            let after = after.ok_or(())?;
            let data = after.get(..n).ok_or(())?;
            *rest = after.get(n..).unwrap_or_default();
            Ok(Some(Name::Plain(data)))
        }
        b'(' | b')' => Err(()),
        _ => {
            let end = s
                .iter()
                .position(|c| c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'"'))
                .unwrap_or(s.len());
            let (atom, tail) = s.split_at_checked(end).ok_or(())?;
            *rest = tail;
            Ok(Some(Name::Plain(atom)))
        }
    }
}

fn match_keyword<'m>(keyword: &str, header: &'m [u8], text: &'m [u8]) -> Option<&'m [u8]> {
    if keyword.eq_ignore_ascii_case("HEADER") {
        Some(header)
    } else if keyword.eq_ignore_ascii_case("TEXT") {
        Some(text)
    } else {
        None
    }
}

fn message_of(part: Part<'_>) -> Option<Part<'_>> {
    if part.content_type().is_message() { part.encapsulated() } else { None }
}

/// A part number component: a non-zero decimal number without sign or leading zero.
fn part_index(comp: &str) -> Option<usize> {
    if comp.is_empty() || comp.len() > 9 || comp.starts_with('0') {
        return None;
    }
    if !comp.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    comp.parse().ok()
}

/// Part `n` of a message entity's body.
fn nth_of_message(entity: Part<'_>, n: usize) -> Option<Part<'_>> {
    if entity.is_split_multipart() {
        entity.children().nth(n - 1)
    } else if n == 1 {
        Some(entity)
    } else {
        None
    }
}

/// Part `n` below an entity that has a part number.
fn nth_of(part: Part<'_>, n: usize) -> Option<Part<'_>> {
    if let Some(inner) = message_of(part) {
        nth_of_message(inner, n)
    } else if part.is_split_multipart() {
        part.children().nth(n - 1)
    } else {
        None
    }
}

/// The body structure written for a multipart without parts (the grammar needs at least one)
/// and for a `message/rfc822` part whose message could not be parsed.
const EMPTY_BODY: &[u8] = b"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)";
const EMPTY_BODY_EXT: &[u8] =
    b"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL)";
const EMPTY_ENVELOPE: &[u8] = b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";

enum Step<'m> {
    Enter(Part<'m>),
    CloseMultipart(Part<'m>),
    CloseMessage(Part<'m>),
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    opts: ImapOptions,
    extended: bool,
}

impl Writer<'_> {
    fn put(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// A body structure, walked with an explicit stack (no recursion on the input).
    fn body(&mut self, top: Part<'_>) {
        let mut stack = vec![Step::Enter(top)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Enter(p) => {
                    let ct = p.content_type();
                    if p.is_split_multipart() {
                        self.put(b"(");
                        stack.push(Step::CloseMultipart(p));
                        let kids: Vec<Part<'_>> = p.children().collect();
                        stack.extend(kids.into_iter().rev().map(Step::Enter));
                    } else if ct.is_multipart() {
                        // a multipart without a delimiter line (or past the depth limit)
                        self.put(b"(");
                        self.put(if self.extended { EMPTY_BODY_EXT } else { EMPTY_BODY });
                        self.close_multipart(p);
                    } else {
                        self.put(b"(");
                        self.media(ct);
                        self.put(b" ");
                        self.body_fields(p, ct);
                        if ct.is_message() && (ct.subtype == "rfc822" || self.opts.utf8) {
                            self.put(b" ");
                            if let Some(inner) = p.encapsulated() {
                                self.envelope(inner);
                                self.put(b" ");
                                stack.push(Step::CloseMessage(p));
                                stack.push(Step::Enter(inner));
                            } else {
                                self.put(EMPTY_ENVELOPE);
                                self.put(b" ");
                                self.put(if self.extended { EMPTY_BODY_EXT } else { EMPTY_BODY });
                                self.close_single(p, true);
                            }
                        } else {
                            self.close_single(p, ct.media_type == "text");
                        }
                    }
                }
                Step::CloseMultipart(p) => self.close_multipart(p),
                Step::CloseMessage(p) => self.close_single(p, true),
            }
        }
    }

    fn close_multipart(&mut self, p: Part<'_>) {
        let ct = p.content_type();
        self.put(b" ");
        self.upper_string(&ct.subtype);
        if self.extended {
            self.put(b" ");
            self.params(&ct.params, false);
            self.put(b" ");
            let [lang, loc] = lookup(p, ["content-language", "content-location"]);
            self.extension_tail(p, lang, loc);
        }
        self.put(b")");
    }

    /// The end of a one-part body: lines (text and message), extension data, `)`.
    fn close_single(&mut self, p: Part<'_>, lines: bool) {
        if lines {
            self.put(b" ");
            self.number(p.body_lines());
        }
        if self.extended {
            self.put(b" ");
            let [md5, lang, loc] =
                lookup(p, ["content-md5", "content-language", "content-location"]);
            self.nstring(value(md5).as_deref());
            self.put(b" ");
            self.extension_tail(p, lang, loc);
        }
        self.put(b")");
    }

    /// Disposition, language and location.
    fn extension_tail(&mut self, p: Part<'_>, lang: Option<Field<'_>>, loc: Option<Field<'_>>) {
        match p.disposition() {
            Some(d) => {
                self.put(b"(");
                self.upper_string(&d.kind);
                self.put(b" ");
                self.params(&d.params, false);
                self.put(b")");
            }
            None => self.put(b"NIL"),
        }
        self.put(b" ");
        let langs = value(lang).map(|v| languages(&v)).unwrap_or_default();
        match langs.as_slice() {
            [] => self.put(b"NIL"),
            [one] => self.string(one),
            many => {
                self.put(b"(");
                for (i, l) in many.iter().enumerate() {
                    if i > 0 {
                        self.put(b" ");
                    }
                    self.string(l);
                }
                self.put(b")");
            }
        }
        self.put(b" ");
        self.nstring(value(loc).as_deref());
    }

    fn media(&mut self, ct: &ContentType) {
        self.upper_string(&ct.media_type);
        self.put(b" ");
        self.upper_string(&ct.subtype);
    }

    fn body_fields(&mut self, p: Part<'_>, ct: &ContentType) {
        self.params(&ct.params, ct.media_type == "text");
        self.put(b" ");
        let [id, desc] = lookup(p, ["content-id", "content-description"]);
        self.nstring(value(id).as_deref());
        self.put(b" ");
        self.nstring(value(desc).as_deref());
        self.put(b" ");
        self.encoding(p.transfer_encoding());
        self.put(b" ");
        self.number(p.body_size());
    }

    fn encoding(&mut self, te: &TransferEncoding) {
        self.upper_string(te.as_str());
    }

    /// A parameter list, `NIL` when empty; for text, `CHARSET` `US-ASCII` when no charset was
    /// given (RFC 2045 5.2, RFC 2046 4.1.2).
    fn params(&mut self, params: &[Param], text: bool) {
        let add_charset = text && !params.iter().any(|p| p.name == "charset");
        if params.is_empty() && !add_charset {
            self.put(b"NIL");
            return;
        }
        self.put(b"(");
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                self.put(b" ");
            }
            let plain = p.language.is_none()
                && (p.value.is_ascii() || self.opts.utf8)
                && !p.value.bytes().any(|c| matches!(c, b'\r' | b'\n' | 0));
            if plain {
                self.upper_string(&p.name);
                self.put(b" ");
                self.string(p.value.as_bytes());
            } else {
                // RFC 2231 extended value: charset, language, percent-encoded octets
                let mut name = p.name.to_ascii_uppercase();
                name.push('*');
                self.string(name.as_bytes());
                self.put(b" ");
                let mut v = String::with_capacity(p.value.len() * 3 + 8);
                v.push_str("utf-8'");
                if let Some(l) = &p.language {
                    v.extend(l.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-'));
                }
                v.push('\'');
                for c in p.value.bytes() {
                    if c.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&c) {
                        v.push(char::from(c));
                    } else {
                        v.push('%');
                        v.push(char::from(HEX.get(usize::from(c >> 4)).copied().unwrap_or(b'0')));
                        v.push(char::from(HEX.get(usize::from(c & 15)).copied().unwrap_or(b'0')));
                    }
                }
                self.string(v.as_bytes());
            }
        }
        if add_charset {
            if !params.is_empty() {
                self.put(b" ");
            }
            self.put(b"\"CHARSET\" \"US-ASCII\"");
        }
        self.put(b")");
    }

    fn number(&mut self, n: usize) {
        self.put(n.to_string().as_bytes());
    }

    fn upper_string(&mut self, s: &str) {
        if s.bytes().any(|c| c.is_ascii_lowercase()) {
            self.string(s.to_ascii_uppercase().as_bytes());
        } else {
            self.string(s.as_bytes());
        }
    }

    fn nstring(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.string(s),
            None => self.put(b"NIL"),
        }
    }

    /// A quoted string when the value allows it, else a literal. NUL octets are dropped.
    fn string(&mut self, s: &[u8]) {
        let s: Cow<'_, [u8]> = if s.contains(&0) {
            Cow::Owned(s.iter().copied().filter(|&c| c != 0).collect())
        } else {
            Cow::Borrowed(s)
        };
        let ctl = s.iter().any(|&c| c == b'\r' || c == b'\n');
        let quotable =
            !ctl && (s.is_ascii() || (self.opts.utf8 && std::str::from_utf8(&s).is_ok()));
        if quotable {
            self.out.reserve(s.len() + 2);
            self.out.push(b'"');
            for &c in s.iter() {
                if c == b'"' || c == b'\\' {
                    self.out.push(b'\\');
                }
                self.out.push(c);
            }
            self.out.push(b'"');
        } else {
            self.put(b"{");
            self.number(s.len());
            self.put(b"}\r\n");
            self.put(&s);
        }
    }

    fn envelope(&mut self, m: Part<'_>) {
        let [date, subject, from, sender, reply_to, to, cc, bcc, irt, mid] = lookup(
            m,
            [
                "date",
                "subject",
                "from",
                "sender",
                "reply-to",
                "to",
                "cc",
                "bcc",
                "in-reply-to",
                "message-id",
            ],
        );
        self.put(b"(");
        self.nstring(value(date).as_deref());
        self.put(b" ");
        self.nstring(value(subject).as_deref());
        let from = addresses_of(from);
        for (i, field) in [None, sender, reply_to, to, cc, bcc].into_iter().enumerate() {
            self.put(b" ");
            let list = match i {
                0 => None,
                _ => Some(addresses_of(field)),
            };
            // Sender and Reply-To default to From when absent or empty
            let list = match &list {
                Some(l) if !(l.is_empty() && i <= 2) => l,
                _ => &from,
            };
            self.addresses(list);
        }
        self.put(b" ");
        self.nstring(value(irt).as_deref());
        self.put(b" ");
        self.nstring(value(mid).as_deref());
        self.put(b")");
    }

    fn addresses(&mut self, list: &[EnvAddress]) {
        if list.is_empty() {
            self.put(b"NIL");
            return;
        }
        self.put(b"(");
        for a in list {
            match a {
                EnvAddress::Mailbox { name, mailbox, host } => {
                    self.put(b"(");
                    self.nstring(name.as_deref());
                    self.put(b" NIL ");
                    self.string(mailbox);
                    self.put(b" ");
                    self.string(host);
                    self.put(b")");
                }
                EnvAddress::GroupStart(name) => {
                    self.put(b"(NIL NIL ");
                    self.string(name);
                    self.put(b" NIL)");
                }
                EnvAddress::GroupEnd => self.put(b"(NIL NIL NIL NIL)"),
            }
        }
        self.put(b")");
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The first field of each name (lowercase), found in one pass over the entity's header.
fn lookup<'m, const N: usize>(p: Part<'m>, names: [&str; N]) -> [Option<Field<'m>>; N] {
    let mut out = [None; N];
    for f in p.raw_fields() {
        if f.kind() != FieldKind::Field {
            continue;
        }
        let name = f.name();
        for (slot, want) in out.iter_mut().zip(names) {
            if name.eq_ignore_ascii_case(want.as_bytes()) {
                if slot.is_none() {
                    *slot = Some(f);
                }
                break;
            }
        }
    }
    out
}

/// A field's value: unfolded, white space (RFC 5322 WSP: space and tab) trimmed, octets as
/// in the input.
fn value(f: Option<Field<'_>>) -> Option<Cow<'_, [u8]>> {
    Some(match unfold(f?.raw_value()) {
        Cow::Borrowed(b) => Cow::Borrowed(trim_wsp(b)),
        Cow::Owned(o) => Cow::Owned(trim_wsp(&o).to_vec()),
    })
}

fn trim_wsp(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|c| !matches!(c, b' ' | b'\t')).unwrap_or(v.len());
    let end = v.iter().rposition(|c| !matches!(c, b' ' | b'\t')).map_or(start, |e| e + 1);
    v.get(start..end).unwrap_or_default()
}

/// The language tags of a Content-Language value (RFC 3282): comma separated, comments and
/// white space dropped.
fn languages(v: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut depth = 0usize;
    for &c in v {
        match c {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            b',' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One entry of an envelope address list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EnvAddress {
    Mailbox { name: Option<Vec<u8>>, mailbox: Vec<u8>, host: Vec<u8> },
    GroupStart(Vec<u8>),
    GroupEnd,
}

/// A display name or group name: words as written (quoted strings unquoted, encoded words
/// left encoded), one space where the input had white space.
fn phrase(toks: &[(Tok<'_>, bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (t, ws) in toks {
        if matches!(t, Tok::Comment(_)) {
            continue;
        }
        if *ws && !out.is_empty() {
            out.push(b' ');
        }
        match t {
            Tok::Atom(v) | Tok::Literal(v) => out.extend_from_slice(v),
            Tok::Quoted(v) => out.extend_from_slice(v),
            Tok::Special(c) => out.push(*c),
            Tok::Comment(_) => {}
        }
    }
    out
}

/// A local part or domain: tokens joined without white space; a quoted local part keeps its
/// quotes (re-escaped) so that `mailbox@host` stays a valid address.
fn spec_text(toks: &[(Tok<'_>, bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (t, _) in toks {
        match t {
            Tok::Atom(v) | Tok::Literal(v) => out.extend_from_slice(v),
            Tok::Quoted(v) => {
                out.push(b'"');
                for &c in v.iter() {
                    if c == b'"' || c == b'\\' {
                        out.push(b'\\');
                    }
                    out.push(c);
                }
                out.push(b'"');
            }
            Tok::Special(c) => out.push(*c),
            Tok::Comment(_) => {}
        }
    }
    out
}

fn is_special(t: &(Tok<'_>, bool), c: u8) -> bool {
    t.0 == Tok::Special(c)
}

/// A mailbox from the tokens of one list entry; `None` when it holds no address.
fn mailbox(toks: &[(Tok<'_>, bool)]) -> Option<EnvAddress> {
    let (name, spec) = match toks.iter().position(|t| is_special(t, b'<')) {
        Some(lt) => {
            let inner = toks.get(lt + 1..).unwrap_or_default();
            let inner = match inner.iter().position(|t| is_special(t, b'>')) {
                Some(gt) => inner.get(..gt).unwrap_or_default(),
                None => inner,
            };
            // an obsolete route (`@a,@b:`) is dropped
            let inner = match inner.iter().position(|t| is_special(t, b':')) {
                Some(colon) => inner.get(colon + 1..).unwrap_or_default(),
                None => inner,
            };
            let name = phrase(toks.get(..lt).unwrap_or_default());
            (Some(name).filter(|n| !n.is_empty()), inner)
        }
        // `addr-spec (Name)`: the last comment serves as the name, as Dovecot does
        None => (
            toks.iter().rev().find_map(|(t, _)| match t {
                Tok::Comment(c) if !trim_wsp(c).is_empty() => Some(trim_wsp(c).to_vec()),
                _ => None,
            }),
            toks,
        ),
    };
    // comments in the address itself are skipped by spec_text
    let bare = spec.iter().all(|(t, _)| matches!(t, Tok::Comment(_)));
    if bare && !toks.iter().any(|t| is_special(t, b'<')) {
        return None;
    }
    let (local, domain) = match spec.iter().rposition(|t| is_special(t, b'@')) {
        Some(at) => (spec.get(..at).unwrap_or_default(), spec.get(at + 1..).unwrap_or_default()),
        None => (spec, &[][..]),
    };
    Some(EnvAddress::Mailbox { name, mailbox: spec_text(local), host: spec_text(domain) })
}

/// The envelope form of an address field: mailboxes, and groups as a start marker, their
/// members and an end marker. Empty when the field is absent or holds no address.
fn addresses_of(f: Option<Field<'_>>) -> Vec<EnvAddress> {
    match f {
        Some(f) => parse_addresses(&unfold(f.raw_value())),
        None => Vec::new(),
    }
}

fn parse_addresses(v: &[u8]) -> Vec<EnvAddress> {
    let toks = tokenize(v, true);
    let mut out = Vec::new();
    let mut start = 0;
    let mut angle = false;
    let mut group = false;
    let mut i = 0;
    while i <= toks.len() {
        let t = toks.get(i).map(|(t, _)| t);
        let end_item = match t {
            Some(Tok::Special(b'<')) => {
                angle = true;
                false
            }
            Some(Tok::Special(b'>')) => {
                angle = false;
                false
            }
            Some(Tok::Special(b':')) if !angle && !group => {
                out.push(EnvAddress::GroupStart(phrase(toks.get(start..i).unwrap_or_default())));
                group = true;
                start = i + 1;
                false
            }
            Some(Tok::Special(b',' | b';')) if !angle => true,
            None => true,
            _ => false,
        };
        if end_item {
            if let Some(m) = mailbox(toks.get(start..i).unwrap_or_default()) {
                out.push(m);
            }
            start = i + 1;
            angle = false;
            if group && matches!(t, Some(Tok::Special(b';')) | None) {
                out.push(EnvAddress::GroupEnd);
                group = false;
            }
        }
        i += 1;
    }
    out
}

/// Fuzz target bodies for the IMAP serializers, kept in the library so stable tests can
/// replay saved inputs.
#[doc(hidden)]
pub mod fuzzing {
    #![allow(clippy::panic, clippy::missing_panics_doc)]

    use super::{
        HeaderFields, ImapOptions, body_structure_with, body_with, envelope_with,
        fetch_header_fields, fetch_header_fields_in, fetch_section, header_fields, message_of,
        part_number, section,
    };
    use crate::push::FieldKind;
    use crate::{Message, MimeLimits, Part};

    /// Any message: `BODYSTRUCTURE`, `BODY` and `ENVELOPE` are well-formed IMAP token
    /// sequences with balanced parentheses (literals and quoted strings honoured), the
    /// part number of every entity leads back to it through [`section`], and the
    /// `HEADER.FIELDS` sections of the message and of every encapsulated message obey
    /// [`check_header_fields`].
    pub fn imap_structure(data: &[u8]) {
        let limits = MimeLimits {
            max_depth: 20,
            max_parts: 200,
            max_header_size: 4096,
            max_params: 50,
            max_delimiter_line: 200,
        };
        let msg = Message::parse_with(data.to_vec(), limits);
        for opts in [ImapOptions::default(), ImapOptions::UTF8_ACCEPT] {
            for out in [
                body_structure_with(msg.root(), opts),
                body_with(msg.root(), opts),
                envelope_with(msg.root(), opts),
            ] {
                if let Err(at) = check_tokens(&out, opts.utf8) {
                    panic!("malformed output at {at}: {:?}", String::from_utf8_lossy(&out));
                }
            }
        }
        for p in msg.parts() {
            if let Some(n) = part_number(p) {
                let found = section(&msg, &n).map(|f| f.id());
                assert_eq!(found, Some(p.id()), "part {n} does not lead back to its entity");
                let mime = fetch_section(&msg, &format!("{n}.MIME"));
                assert_eq!(mime, Some(p.header_raw()));
                if let Some(inner) = message_of(p) {
                    check_header_fields(&msg, inner, &format!("{n}."), data);
                }
            }
        }
        check_header_fields(&msg, msg.root(), "", data);
    }

    /// `HEADER.FIELDS` and `HEADER.FIELDS.NOT` of the message entity `entity` (whose
    /// section prefix is `prefix`), for a list of some of its field names (case changed) and
    /// an absent one: every line of the header is in exactly one of the two results, in
    /// message order, as in the input (lines that are not fields in `.NOT`); both end with the
    /// same empty line, present when the header has one; `.NOT` of an absent name is the
    /// header itself; the section text (names as atoms, quoted strings or literals, chosen
    /// by `seed`) gives the same octets as the name list.
    pub fn check_header_fields(msg: &Message, entity: Part<'_>, prefix: &str, seed: &[u8]) {
        let mut names: Vec<Vec<u8>> = entity
            .raw_fields()
            .filter(|f| f.kind() == FieldKind::Field)
            .step_by(2)
            .take(4)
            .map(|f| f.name().to_vec())
            .collect();
        for (i, n) in names.iter_mut().enumerate() {
            if i % 2 == 1 {
                n.make_ascii_uppercase();
            }
        }
        names.push(b"X-Absent-Field".to_vec());
        let only = header_fields(entity, HeaderFields::Fields, &names);
        let not = header_fields(entity, HeaderFields::FieldsNot, &names);
        let (mut a, mut b) = (&only[..], &not[..]);
        for f in entity.raw_fields() {
            let listed = f.kind() == FieldKind::Field
                && names.iter().any(|n| n.eq_ignore_ascii_case(f.name()));
            let side = if listed { &mut a } else { &mut b };
            match side.strip_prefix(f.raw()) {
                Some(rest) => *side = rest,
                None => {
                    panic!("field {:?} missing or out of order", String::from_utf8_lossy(f.raw()))
                }
            }
        }
        assert_eq!(a, b, "the two selections end differently");
        let h = entity.header_raw();
        // the header's own empty line: what follows its fields
        let own = h.get(entity.raw_fields().map(|f| f.raw().len()).sum::<usize>()..).unwrap_or(b"");
        let has_empty_line = !own.is_empty();
        let ends = [&b""[..], b"\r\n", b"\n", b"\r\n\r\n"];
        if has_empty_line {
            assert_eq!(a, own, "the header's empty line is not kept");
        } else {
            assert!(ends.contains(&a), "not an empty line at the end: {a:?}");
        }
        if a.is_empty() {
            assert!(entity.body_raw().is_empty(), "no empty line though there is a body");
        }
        // NOT of an absent name is the whole header, with an empty line added only when the
        // header ran into a body
        let all = header_fields(entity, HeaderFields::FieldsNot, &["X-Absent-Field"]);
        let Some(added) = all.strip_prefix(h) else { panic!("NOT of an absent name: {all:?}") };
        let needs = !has_empty_line && !entity.body_raw().is_empty();
        assert!(ends.contains(&added) && added.is_empty() != needs, "added {added:?}");
        // the same through the section text
        let mut list = String::new();
        for (i, n) in names.iter().enumerate() {
            let Ok(n) = std::str::from_utf8(n) else { return };
            let how = seed.get(i).copied().unwrap_or(0) % 3;
            if i > 0 {
                list.push(' ');
            }
            let atom = !n.is_empty()
                && !n.starts_with('{')
                && !n.bytes().any(|c| c.is_ascii_whitespace() || b"()\"".contains(&c));
            match how {
                0 if atom => list.push_str(n),
                1 => {
                    list.push('"');
                    for c in n.chars() {
                        if c == '"' || c == '\\' {
                            list.push('\\');
                        }
                        list.push(c);
                    }
                    list.push('"');
                }
                _ => {
                    list.push('{');
                    list.push_str(&n.len().to_string());
                    list.push_str("}\r\n");
                    list.push_str(n);
                }
            }
        }
        let mut buf = b"stale".to_vec();
        for (kw, want) in [("HEADER.FIELDS", &only), ("header.Fields.NOT", &not)] {
            let spec = format!("{prefix}{kw} ({list})");
            assert_eq!(fetch_header_fields(msg, &spec).as_ref(), Some(want), "{spec:?}");
            assert_eq!(fetch_header_fields_in(msg, &spec, &mut buf), Some(&want[..]));
        }
    }

    /// Checks that `out` is one parenthesised list of IMAP tokens: `NIL`, numbers, quoted
    /// strings (7-bit without CR/LF/NUL unless `utf8`), literals with the announced length,
    /// single spaces between tokens (none between adjacent lists, as between the bodies of a
    /// multipart). Returns the offset of the first error.
    pub fn check_tokens(out: &[u8], utf8: bool) -> Result<(), usize> {
        let mut depth = 0usize;
        let mut i = 0;
        // true when the previous token ended and a space or `)` must follow
        let mut after_token = false;
        while let Some(&c) = out.get(i) {
            match c {
                b'(' => {
                    // bodies of a multipart follow each other without a space
                    if after_token && i.checked_sub(1).and_then(|p| out.get(p)) != Some(&b')') {
                        return Err(i);
                    }
                    depth += 1;
                    i += 1;
                    after_token = false;
                }
                b')' => {
                    depth = depth.checked_sub(1).ok_or(i)?;
                    i += 1;
                    after_token = true;
                    if depth == 0 && i != out.len() {
                        return Err(i);
                    }
                }
                b' ' => {
                    if !after_token || depth == 0 {
                        return Err(i);
                    }
                    after_token = false;
                    i += 1;
                }
                _ if after_token => return Err(i),
                b'"' => {
                    let start = i;
                    i += 1;
                    loop {
                        match out.get(i) {
                            None | Some(b'\r' | b'\n' | 0) => return Err(i),
                            Some(b'\\') => match out.get(i + 1) {
                                Some(b'\\' | b'"') => i += 2,
                                _ => return Err(i),
                            },
                            Some(b'"') => {
                                i += 1;
                                break;
                            }
                            Some(_) => i += 1,
                        }
                    }
                    let body = out.get(start..i).ok_or(start)?;
                    if !(body.is_ascii() || (utf8 && std::str::from_utf8(body).is_ok())) {
                        return Err(start);
                    }
                    after_token = true;
                }
                b'{' => {
                    let close = out.get(i..).and_then(|r| r.iter().position(|&c| c == b'}'));
                    let close = close.ok_or(i)? + i;
                    let digits = out.get(i + 1..close).ok_or(i)?;
                    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                        return Err(i);
                    }
                    let n: usize =
                        std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()).ok_or(i)?;
                    if out.get(close + 1..close + 3) != Some(b"\r\n") {
                        return Err(close);
                    }
                    let data = out.get(close + 3..close + 3 + n).ok_or(close)?;
                    if data.contains(&0) {
                        return Err(close);
                    }
                    i = close + 3 + n;
                    after_token = true;
                }
                _ => {
                    let start = i;
                    while out.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                        i += 1;
                    }
                    let atom = out.get(start..i).ok_or(start)?;
                    if atom != b"NIL" && (atom.is_empty() || !atom.iter().all(u8::is_ascii_digit)) {
                        return Err(start);
                    }
                    after_token = true;
                }
            }
        }
        if depth == 0 && after_token { Ok(()) } else { Err(out.len()) }
    }
}
