//! The message tree, built on the push parser: every entity with the byte ranges of its
//! header and body in the original input.

use std::borrow::Cow;

use bytes::Bytes;

use crate::address::Address;
use crate::date::DateTime;
use crate::diag::{Diagnostic, DiagnosticKind};
use crate::fields::{ListId, Received, parse_message_ids};
use crate::limits::MimeLimits;
use crate::params::{ContentDisposition, ContentType, TransferEncoding, parse_disposition_opts};
use crate::push::{Event, FieldKind, Parser, PartEnd, PartHeader, PartKind, RawField};
use crate::text::{self, TextOptions};
use crate::transfer;

/// Fields that may appear at most once in a message header (RFC 5322 3.6).
const SINGLE: [&str; 11] = [
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
];

/// The position in [`SINGLE`] of a field name (printable octets, as the parser checks them).
fn single_index(name: &[u8]) -> Option<usize> {
    // one candidate by length and first letter: most names are ruled out without looking
    // further, the rest by one comparison with a known name
    let is = |lower: &[u8], k: usize| crate::swar::is_name(name, lower).then_some(k);
    match (name.len(), name.first()? | 0x20) {
        (2, b't') => is(b"to", 3),
        (2, b'c') => is(b"cc", 4),
        (3, b'b') => is(b"bcc", 5),
        (4, b'f') => is(b"from", 0),
        (4, b'd') => is(b"date", 7),
        (6, b's') => is(b"sender", 1),
        (7, b's') => is(b"subject", 6),
        (8, b'r') => is(b"reply-to", 2),
        (10, b'm') => is(b"message-id", 8),
        (10, b'r') => is(b"references", 10),
        (11, b'i') => is(b"in-reply-to", 9),
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct FieldNode {
    source: u32,
    start: usize,
    end: usize,
    kind: FieldKind,
    name_len: u32,
    value_start: u32,
}

/// One entity. Kept small (links and optional offsets without `Option`'s padding, the
/// transfer encoding as a code): a message of very many parts is mostly this array.
#[derive(Debug, Clone)]
struct PartNode {
    source: u32,
    /// Links to other entities; [`NONE`] when absent.
    parent_link: u32,
    first_link: u32,
    last_link: u32,
    next_link: u32,
    /// Position among its siblings, from 1.
    number: u32,
    depth: u32,
    header_start: usize,
    body_start: usize,
    body_end: usize,
    /// Multipart preamble end and epilogue start; [`NO_OFFSET`] when absent.
    preamble_end_at: usize,
    epilogue_start_at: usize,
    fields: (u32, u32),
    kind: PartKind,
    explicit: bool,
    ct: CtRef,
    cte: CteRef,
}

/// An absent link.
const NONE: u32 = u32::MAX;
/// An absent offset.
const NO_OFFSET: usize = usize::MAX;

fn link(v: Option<u32>) -> u32 {
    v.unwrap_or(NONE)
}

fn opt_link(v: u32) -> Option<u32> {
    (v != NONE).then_some(v)
}

fn opt_offset(v: usize) -> Option<usize> {
    (v != NO_OFFSET).then_some(v)
}

impl PartNode {
    fn parent(&self) -> Option<u32> {
        opt_link(self.parent_link)
    }
    fn first_child(&self) -> Option<u32> {
        opt_link(self.first_link)
    }
    fn next_sibling(&self) -> Option<u32> {
        opt_link(self.next_link)
    }
}

/// A transfer encoding: one of the named mechanisms, or an entry of the side table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CteRef {
    SevenBit,
    EightBit,
    Binary,
    QuotedPrintable,
    Base64,
    Uuencode,
    Other(u32),
}

static CTE_7BIT: TransferEncoding = TransferEncoding::SevenBit;
static CTE_8BIT: TransferEncoding = TransferEncoding::EightBit;
static CTE_BINARY: TransferEncoding = TransferEncoding::Binary;
static CTE_QP: TransferEncoding = TransferEncoding::QuotedPrintable;
static CTE_BASE64: TransferEncoding = TransferEncoding::Base64;
static CTE_UU: TransferEncoding = TransferEncoding::Uuencode;

/// Where an entity's content type is: one of the two bare defaults, or the side table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CtRef {
    TextPlain,
    Rfc822,
    Index(u32),
}

static TEXT_PLAIN: ContentType = ContentType {
    media_type: Cow::Borrowed("text"),
    subtype: Cow::Borrowed("plain"),
    params: Vec::new(),
};
static MESSAGE_RFC822: ContentType = ContentType {
    media_type: Cow::Borrowed("message"),
    subtype: Cow::Borrowed("rfc822"),
    params: Vec::new(),
};

/// The compact form of a content type without parameters that is one of the defaults.
pub(crate) fn compact_type(ct: &ContentType) -> Option<CtRefPub> {
    if !ct.params.is_empty() {
        return None;
    }
    if ct.is("text", "plain") {
        Some(CtRefPub(CtRef::TextPlain))
    } else if ct.is("message", "rfc822") {
        Some(CtRefPub(CtRef::Rfc822))
    } else {
        None
    }
}

/// Crate-visible wrapper of [`CtRef`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct CtRefPub(CtRef);

/// A parsed message: the input, shared (never copied), and the entity tree over it.
///
/// ```
/// use mailwire_mime::Message;
///
/// let msg = Message::parse(&b"Subject: hi\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n\
/// --x\r\nContent-Type: text/plain\r\n\r\nplain\r\n--x\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--x--\r\n"[..]);
/// assert_eq!(msg.root().subject().as_deref(), Some("hi"));
/// let parts: Vec<_> = msg.root().children().collect();
/// assert_eq!(parts[1].body_raw(), b"<p>html</p>");
/// assert_eq!(&msg.to_bytes()[..], &msg.source()[..]);
/// ```
#[derive(Debug, Clone)]
pub struct Message {
    /// The input (source 0).
    source: Bytes,
    /// Decoded transfer-encoded encapsulated messages (sources 1, 2, ...).
    decoded_sources: Vec<Bytes>,
    parts: Vec<PartNode>,
    /// Content types other than the bare defaults, parsed on first use.
    content_types: Vec<std::sync::OnceLock<ContentType>>,
    /// Transfer encodings other than the named mechanisms.
    other_ctes: Vec<TransferEncoding>,
    fields: Vec<FieldNode>,
    diagnostics: Vec<Diagnostic>,
    limits: MimeLimits,
}

/// A settings bundle for [`Message::parse_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Limits of the parse.
    pub limits: MimeLimits,
}

/// Builds the entity and field arrays from the parser's events (tree mode).
struct TreeSink<'t> {
    /// Index of the source's first entity in the message's array.
    base: u32,
    /// The entity a decoded source hangs under.
    attach: Option<u32>,
    source: u32,
    parts: &'t mut Vec<PartNode>,
    fields: &'t mut Vec<FieldNode>,
    diags: &'t mut Vec<Diagnostic>,
    other_ctes: &'t mut Vec<TransferEncoding>,
    /// Singleton fields of the current message header, counted as they come.
    counts: [u8; SINGLE.len()],
    msg_header: bool,
    /// The entity whose Content-Type was just found invalid (its parameters still apply).
    invalid_ct: Option<u32>,
}

fn to_usize(o: u64) -> usize {
    usize::try_from(o).unwrap_or(usize::MAX)
}

impl TreeSink<'_> {
    /// One event, handed to the method of its kind (each kept out of line, so the dispatch
    /// stays small where the parser calls it).
    #[inline]
    fn on(&mut self, ev: Event<'_>) {
        match ev {
            Event::PartStart { part, parent, depth, offset } => {
                self.part_start(part, parent, depth, offset);
            }
            Event::Field { part, field } => self.field(part, &field),
            Event::HeaderEnd { part, header, body_offset } => {
                self.header_end(part, header, body_offset);
            }
            // not sent in light mode: bodies are ranges of the source
            Event::Body { .. } => {}
            Event::PartEnd(end) => self.part_end(&end),
            Event::Diagnostic(d) => self.diagnostic(d),
        }
    }

    #[inline(never)]
    fn part_start(&mut self, part: u32, parent: Option<u32>, depth: u32, offset: u64) {
        let idx = self.base + part;
        let parent = parent.map(|p| self.base + p).or(self.attach);
        self.counts = [0u8; SINGLE.len()];
        let off = to_usize(offset);
        let nf = u32::try_from(self.fields.len()).unwrap_or(u32::MAX);
        // link the new entity after its parent's last child, in one visit of each
        let mut number = 1;
        self.msg_header = true;
        if let Some(pn) = parent.and_then(|p| self.parts.get_mut(p as usize)) {
            self.msg_header = matches!(pn.kind, PartKind::Message | PartKind::EncodedMessage);
            let prev_last = pn.last_link;
            pn.last_link = idx;
            if pn.first_link == NONE {
                pn.first_link = idx;
            }
            if let Some(l) = self.parts.get_mut(prev_last as usize) {
                l.next_link = idx;
                number = l.number + 1;
            }
        }
        self.parts.push(PartNode {
            source: self.source,
            parent_link: link(parent),
            first_link: NONE,
            last_link: NONE,
            next_link: NONE,
            number,
            depth,
            header_start: off,
            body_start: off,
            body_end: off,
            preamble_end_at: NO_OFFSET,
            epilogue_start_at: NO_OFFSET,
            fields: (nf, nf),
            kind: PartKind::Leaf,
            explicit: false,
            ct: CtRef::TextPlain,
            cte: CteRef::SevenBit,
        });
    }

    #[inline(never)]
    fn field(&mut self, part: u32, field: &RawField<'_>) {
        if self.msg_header
            && let Some(k) = single_index(field.name())
            && let Some(c) = self.counts.get_mut(k)
        {
            *c = c.saturating_add(1);
            if *c == 2 {
                self.diags.push(Diagnostic {
                    kind: DiagnosticKind::DuplicateField,
                    part: self.base + part,
                    offset: field.offset,
                });
            }
        }
        let start = to_usize(field.offset);
        let (name_len, value_start) = field.layout();
        self.fields.push(FieldNode {
            source: self.source,
            start,
            end: start + field.raw.len(),
            kind: field.kind,
            name_len: u32::try_from(name_len).unwrap_or(0),
            value_start: u32::try_from(value_start).unwrap_or(0),
        });
    }

    #[inline(never)]
    fn header_end(&mut self, part: u32, header: &PartHeader, body_offset: u64) {
        if let Some(n) = self.parts.get_mut((self.base + part) as usize) {
            // an entity's fields are the ones since its start
            n.fields.1 = u32::try_from(self.fields.len()).unwrap_or(u32::MAX);
            // the kind is needed now (children look at their parent's kind)
            n.kind = header.kind;
            n.explicit = header.explicit_content_type;
            n.cte = match &header.transfer_encoding {
                TransferEncoding::SevenBit => CteRef::SevenBit,
                TransferEncoding::EightBit => CteRef::EightBit,
                TransferEncoding::Binary => CteRef::Binary,
                TransferEncoding::QuotedPrintable => CteRef::QuotedPrintable,
                TransferEncoding::Base64 => CteRef::Base64,
                TransferEncoding::Uuencode => CteRef::Uuencode,
                other => {
                    self.other_ctes.push(other.clone());
                    CteRef::Other(u32::try_from(self.other_ctes.len() - 1).unwrap_or(u32::MAX))
                }
            };
            // a type from a field is parsed on demand (the parser only looked for a
            // boundary); a defaulted one is one of the bare defaults
            n.ct = if core::ptr::eq(header, &raw const crate::push::DEFAULT_HEADER) {
                CtRef::TextPlain
            } else if header.explicit_content_type || self.invalid_ct == Some(part) {
                CtRef::Index(u32::MAX)
            } else {
                compact_type(&header.content_type).map_or(CtRef::Index(u32::MAX), |c| c.0)
            };
            n.body_start = to_usize(body_offset);
            n.body_end = n.body_start;
        }
    }

    #[inline(never)]
    fn part_end(&mut self, end: &PartEnd) {
        if let Some(n) = self.parts.get_mut((self.base + end.part) as usize) {
            n.body_end = to_usize(end.body_end).max(n.body_start);
            n.preamble_end_at = end.preamble_end.map_or(NO_OFFSET, to_usize);
            n.epilogue_start_at = end.epilogue_start.map_or(NO_OFFSET, to_usize);
        }
    }

    #[inline(never)]
    fn diagnostic(&mut self, mut d: Diagnostic) {
        if d.kind == DiagnosticKind::InvalidContentType {
            self.invalid_ct = Some(d.part);
        }
        d.part += self.base;
        self.diags.push(d);
    }
}

impl Message {
    /// Parses a message with the default limits. Never fails: defects become diagnostics.
    pub fn parse(input: impl Into<Bytes>) -> Self {
        Self::parse_with(input, MimeLimits::DEFAULT)
    }

    /// Parses a message with the given limits.
    pub fn parse_with(input: impl Into<Bytes>, limits: MimeLimits) -> Self {
        let src: Bytes = input.into();
        // sized for typical mail (header fields take some 50 octets each, most messages have
        // a few parts), so that a message needs no regrowth
        let field_guess = (src.len() / 48).clamp(16, 96);
        let mut msg = Self {
            source: Bytes::new(),
            decoded_sources: Vec::new(),
            content_types: Vec::new(),
            other_ctes: Vec::new(),
            parts: Vec::with_capacity(8),
            fields: Vec::with_capacity(field_guess),
            diagnostics: Vec::new(),
            limits,
        };
        msg.add_source(src, None, 0, limits);
        // Encapsulated messages that were transfer-encoded: decode and parse them, in a loop
        // (no recursion), each counting against the same depth and part limits.
        let mut i = 0;
        while let Some(node) = msg.parts.get(i) {
            if node.kind == PartKind::EncodedMessage && node.first_child().is_none() {
                let depth = node.depth + 1;
                let used = msg.parts.len();
                let src_bytes = msg.source_bytes(node.source).cloned().unwrap_or_default();
                let body = src_bytes.get(node.body_start..node.body_end).unwrap_or_default();
                let decoded = match node.cte {
                    CteRef::Base64 => transfer::base64(body).data,
                    _ => transfer::quoted_printable(body).data,
                };
                let src_idx = node.source;
                let start = node.body_start as u64;
                let part = u32::try_from(i).unwrap_or(u32::MAX);
                if depth as usize > limits.max_depth {
                    msg.diagnostics.push(Diagnostic {
                        kind: DiagnosticKind::DepthLimit,
                        part,
                        offset: start,
                    });
                } else if used >= limits.max_parts {
                    msg.diagnostics.push(Diagnostic {
                        kind: DiagnosticKind::PartLimit,
                        part,
                        offset: start,
                    });
                } else {
                    let _ = src_idx;
                    msg.diagnostics.push(Diagnostic {
                        kind: DiagnosticKind::EncodedMessage,
                        part,
                        offset: start,
                    });
                    let sub = MimeLimits { max_parts: limits.max_parts - used, ..limits };
                    msg.add_source(Bytes::from(decoded), Some(part), depth, sub);
                }
            }
            i += 1;
        }
        msg
    }

    fn add_source(&mut self, src: Bytes, attach: Option<u32>, depth: u32, limits: MimeLimits) {
        let source = if attach.is_none() {
            0
        } else {
            u32::try_from(self.decoded_sources.len() + 1).unwrap_or(u32::MAX)
        };
        let base = u32::try_from(self.parts.len()).unwrap_or(u32::MAX);
        let mut parser = Parser::with_depth(limits, depth);
        let mut tree = TreeSink {
            base,
            attach,
            source,
            parts: &mut self.parts,
            fields: &mut self.fields,
            diags: &mut self.diagnostics,
            other_ctes: &mut self.other_ctes,
            counts: [0u8; SINGLE.len()],
            msg_header: false,
            invalid_ct: None,
        };
        let mut sink = |ev: Event<'_>| tree.on(ev);
        parser.light_content_types();
        parser.push(&src, &mut sink);
        parser.finish(&mut sink);
        // one slot per content type to parse on demand, allocated once
        let new_parts = self.parts.get(base as usize..).unwrap_or_default();
        let lazy = new_parts.iter().filter(|n| n.ct == CtRef::Index(u32::MAX)).count();
        self.content_types.reserve_exact(lazy);
        for n in self.parts.iter_mut().skip(base as usize) {
            if n.ct == CtRef::Index(u32::MAX) {
                n.ct = CtRef::Index(u32::try_from(self.content_types.len()).unwrap_or(u32::MAX));
                self.content_types.push(std::sync::OnceLock::new());
            }
        }
        if attach.is_none() {
            self.source = src;
        } else {
            self.decoded_sources.push(src);
        }
    }

    /// The octets of source `i` (0: the input).
    fn source_bytes(&self, i: u32) -> Option<&Bytes> {
        match i.checked_sub(1) {
            None => Some(&self.source),
            Some(k) => self.decoded_sources.get(k as usize),
        }
    }

    /// The input the message was parsed from.
    pub fn source(&self) -> &Bytes {
        &self.source
    }

    /// The message itself: the top-level entity.
    pub fn root(&self) -> Part<'_> {
        Part { msg: self, idx: 0 }
    }

    /// Every entity, depth first, parents before children (IMAP order).
    pub fn parts(&self) -> impl Iterator<Item = Part<'_>> + '_ {
        PreOrder { msg: self, next: (!self.parts.is_empty()).then_some(0) }
    }

    /// The entity with this identifier.
    pub fn part(&self, id: u32) -> Option<Part<'_>> {
        (usize::try_from(id).ok()? < self.parts.len()).then_some(Part { msg: self, idx: id })
    }

    /// Number of entities.
    pub fn part_count(&self) -> usize {
        self.parts.len()
    }

    /// Every defect found, in input order per source.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The limits the message was parsed with.
    pub fn limits(&self) -> MimeLimits {
        self.limits
    }

    /// Serializes the message from its parts: header blocks, bodies and the delimiter lines,
    /// preambles and epilogues between them. An unmodified message gives its input back
    /// byte for byte, malformed input included.
    pub fn to_bytes(&self) -> Vec<u8> {
        let src = self.source();
        let mut out = Vec::with_capacity(src.len());
        let mut cursor = 0usize;
        for p in self.parts.iter().filter(|p| p.source == 0) {
            let gap = src.get(cursor..p.header_start).unwrap_or_default();
            out.extend_from_slice(gap);
            out.extend_from_slice(src.get(p.header_start..p.body_start).unwrap_or_default());
            cursor = p.body_start;
            if matches!(p.kind, PartKind::Leaf | PartKind::EncodedMessage) {
                out.extend_from_slice(src.get(p.body_start..p.body_end).unwrap_or_default());
                cursor = p.body_end;
            }
        }
        out.extend_from_slice(src.get(cursor..).unwrap_or_default());
        out
    }

    fn node(&self, idx: u32) -> Option<&PartNode> {
        self.parts.get(idx as usize)
    }
}

struct PreOrder<'m> {
    msg: &'m Message,
    next: Option<u32>,
}

impl<'m> Iterator for PreOrder<'m> {
    type Item = Part<'m>;
    fn next(&mut self) -> Option<Part<'m>> {
        let cur = self.next?;
        // The arena is filled in pre-order per source; encoded messages' parts come later, so
        // walk the links rather than the indices.
        let node = self.msg.node(cur)?;
        self.next = node.first_child().or_else(|| {
            let mut n = Some(cur);
            while let Some(i) = n {
                let nd = self.msg.node(i)?;
                if let Some(s) = nd.next_sibling() {
                    return Some(s);
                }
                n = nd.parent();
            }
            None
        });
        Some(Part { msg: self.msg, idx: cur })
    }
}

/// The longest prefix of `b` that is valid UTF-8.
fn utf8_prefix(b: &[u8]) -> &str {
    match core::str::from_utf8(b) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(b.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or(""),
    }
}

/// One header field of an entity.
#[derive(Debug, Clone, Copy)]
pub struct Field<'m> {
    raw: RawField<'m>,
    /// The whole field as text, when [`Part::fields`] found its header block valid UTF-8
    /// (checked once for the block rather than once per decoded value).
    text: Option<&'m str>,
}

impl<'m> Field<'m> {
    /// The field name as written.
    pub fn name(&self) -> &'m [u8] {
        self.raw.name()
    }

    /// The field name, lowercased.
    pub fn name_lower(&self) -> String {
        String::from_utf8_lossy(self.raw.name()).to_ascii_lowercase()
    }

    /// The whole field as it appears in the input (name, value, folds, line ending).
    pub fn raw(&self) -> &'m [u8] {
        self.raw.raw
    }

    /// The raw value after the colon (folds kept, final line ending removed).
    pub fn raw_value(&self) -> &'m [u8] {
        self.raw.value()
    }

    /// The unfolded value, raw octets.
    pub fn unfolded(&self) -> Cow<'m, [u8]> {
        text::unfold(self.raw.value())
    }

    /// The value as text, trimmed: unfolded, encoded words decoded (lenient), raw octets through the
    /// fallback chain. Never contains CR or LF.
    /// Borrowed from the input when nothing needed decoding.
    pub fn text(&self) -> Cow<'m, str> {
        self.text_with(TextOptions::default())
    }

    /// The value as text with explicit options.
    pub fn text_with(&self, opts: TextOptions) -> Cow<'m, str> {
        match self.value_str() {
            Some(v) => text::decode_field_str(v, opts),
            None => text::decode_field(self.raw.value(), opts),
        }
    }

    /// The value as text like [`Field::text`], decoded into `buf` (cleared first, its
    /// allocation reused) only when decoding changes it; otherwise borrowed from the input.
    /// Walking many fields through one buffer allocates only to grow it.
    ///
    /// ```
    /// use mailwire_mime::Message;
    ///
    /// let msg = Message::parse(&b"Subject: =?utf-8?q?caf=C3=A9?=\r\nTo: ann@example.com\r\n\r\n"[..]);
    /// let mut buf = String::new();
    /// let texts: Vec<String> =
    ///     msg.root().fields().map(|f| f.text_in(&mut buf).to_string()).collect();
    /// assert_eq!(texts, ["caf\u{e9}", "ann@example.com"]);
    /// ```
    #[inline]
    pub fn text_in<'b>(&self, buf: &'b mut String) -> &'b str
    where
        'm: 'b,
    {
        self.text_in_with(TextOptions::default(), buf)
    }

    /// Like [`Field::text_in`] with explicit options.
    #[inline]
    pub fn text_in_with<'b>(&self, opts: TextOptions, buf: &'b mut String) -> &'b str
    where
        'm: 'b,
    {
        match self.value_str() {
            Some(v) => text::decode_field_str_in(v, opts, buf),
            None => text::decode_field_in(self.raw.value(), opts, buf),
        }
    }

    /// The raw value as text (see [`Field::raw_value`]) when the header block is known to be
    /// valid UTF-8.
    #[inline]
    fn value_str(&self) -> Option<&'m str> {
        // the final line ending is white space the decoding trims
        let (_, value_start) = self.raw.layout();
        self.text?.get(value_start..)
    }

    /// What kind of header line it is.
    pub fn kind(&self) -> FieldKind {
        self.raw.kind
    }

    /// Offset of the field in its source.
    pub fn offset(&self) -> usize {
        usize::try_from(self.raw.offset).unwrap_or(usize::MAX)
    }
}

/// A view of one entity of a [`Message`].
#[derive(Debug, Clone, Copy)]
pub struct Part<'m> {
    msg: &'m Message,
    idx: u32,
}

impl<'m> Part<'m> {
    fn node(&self) -> &'m PartNode {
        // idx is always valid: views are only made from existing indices.
        static DEFAULT: std::sync::OnceLock<PartNode> = std::sync::OnceLock::new();
        self.msg.parts.get(self.idx as usize).unwrap_or_else(|| {
            DEFAULT.get_or_init(|| PartNode {
                source: 0,
                parent_link: NONE,
                first_link: NONE,
                last_link: NONE,
                next_link: NONE,
                number: 1,
                depth: 0,
                header_start: 0,
                body_start: 0,
                body_end: 0,
                preamble_end_at: NO_OFFSET,
                epilogue_start_at: NO_OFFSET,
                fields: (0, 0),
                kind: PartKind::Leaf,
                explicit: false,
                ct: CtRef::TextPlain,
                cte: CteRef::SevenBit,
            })
        })
    }

    fn src(&self) -> &'m [u8] {
        self.msg.source_bytes(self.node().source).map_or(&[], |b| &b[..])
    }

    /// The entity's identifier (0 for the message; input order).
    pub fn id(&self) -> u32 {
        self.idx
    }

    /// The message this part belongs to.
    pub fn message(&self) -> &'m Message {
        self.msg
    }

    /// Nesting depth (0 for the message).
    pub fn depth(&self) -> u32 {
        self.node().depth
    }

    /// How the body was treated.
    pub fn kind(&self) -> PartKind {
        self.node().kind
    }

    /// The Content-Type in force (defaulted when absent or invalid).
    pub fn content_type(&self) -> &'m ContentType {
        match self.node().ct {
            CtRef::TextPlain => &TEXT_PLAIN,
            CtRef::Rfc822 => &MESSAGE_RFC822,
            CtRef::Index(i) => match self.msg.content_types.get(i as usize) {
                Some(cell) => cell.get_or_init(|| self.parse_content_type()),
                None => &TEXT_PLAIN,
            },
        }
    }

    /// Parses the first Content-Type field as the parser did (an invalid one gives
    /// `text/plain` with the parameters that still apply).
    fn parse_content_type(&self) -> ContentType {
        let max = self.msg.limits.max_params;
        let Some(f) = self.header("content-type") else { return ContentType::text_plain() };
        match crate::params::parse_content_type(f.raw_value(), max) {
            Some((ct, _)) => ct,
            None => ContentType {
                params: crate::params::params_of_invalid(f.raw_value(), max),
                ..ContentType::text_plain()
            },
        }
    }

    /// True when the Content-Type came from a valid field.
    pub fn has_explicit_content_type(&self) -> bool {
        self.node().explicit
    }

    /// The Content-Transfer-Encoding in force.
    pub fn transfer_encoding(&self) -> &'m TransferEncoding {
        match self.node().cte {
            CteRef::SevenBit => &CTE_7BIT,
            CteRef::EightBit => &CTE_8BIT,
            CteRef::Binary => &CTE_BINARY,
            CteRef::QuotedPrintable => &CTE_QP,
            CteRef::Base64 => &CTE_BASE64,
            CteRef::Uuencode => &CTE_UU,
            CteRef::Other(i) => self.msg.other_ctes.get(i as usize).unwrap_or(&CTE_7BIT),
        }
    }

    /// True for a multipart that was split into children.
    pub fn is_multipart(&self) -> bool {
        self.kind() == PartKind::Multipart
    }

    /// True for a multipart with at least one child. A multipart whose body holds no
    /// delimiter line is kept as a multipart with only a preamble (and reported), but for
    /// numbering and summaries it is a leaf whose content is that preamble, as in IMAP
    /// servers and Python's email package.
    pub fn is_split_multipart(&self) -> bool {
        self.is_multipart() && self.node().first_child().is_some()
    }

    /// True when this entity starts a message (the top level, or an encapsulated message):
    /// its fields are message fields (From, Subject, ...).
    pub fn is_message_header(&self) -> bool {
        match self.parent() {
            None => true,
            Some(p) => matches!(p.kind(), PartKind::Message | PartKind::EncodedMessage),
        }
    }

    /// The enclosing entity.
    pub fn parent(&self) -> Option<Part<'m>> {
        self.node().parent().map(|idx| Part { msg: self.msg, idx })
    }

    /// The child entities (parts of a multipart; the message inside a `message/rfc822`).
    pub fn children(&self) -> impl Iterator<Item = Part<'m>> + 'm {
        let msg = self.msg;
        let mut next = self.node().first_child();
        std::iter::from_fn(move || {
            let cur = next?;
            next = msg.node(cur).and_then(PartNode::next_sibling);
            Some(Part { msg, idx: cur })
        })
    }

    /// For `message/rfc822` and `message/global`: the encapsulated message.
    pub fn encapsulated(&self) -> Option<Part<'m>> {
        if matches!(self.kind(), PartKind::Message | PartKind::EncodedMessage) {
            self.children().next()
        } else {
            None
        }
    }

    /// The header fields, in order.
    ///
    /// The header block is checked for UTF-8 once here, so that decoding each value to text
    /// needs no check of its own.
    pub fn fields(&self) -> impl Iterator<Item = Field<'m>> + 'm {
        self.field_iter(true)
    }

    /// The header fields without the UTF-8 check (for lookups by name and raw copies).
    pub(crate) fn raw_fields(&self) -> impl Iterator<Item = Field<'m>> + 'm {
        self.field_iter(false)
    }

    fn field_iter(&self, check: bool) -> impl Iterator<Item = Field<'m>> + 'm {
        let (a, b) = self.node().fields;
        let msg = self.msg;
        let list = msg.fields.get(a as usize..b as usize).unwrap_or_default();
        // the fields of an entity lie one after the other in one source: its header block
        let (source, start, block) = match (list.first(), list.last()) {
            (Some(f), Some(l)) if f.source == l.source => {
                let src = msg.source_bytes(f.source).map_or(&[][..], |b| &b[..]);
                (f.source, f.start, src.get(f.start..l.end).unwrap_or_default())
            }
            _ => (u32::MAX, 0, &[][..]),
        };
        let text = if check { utf8_prefix(block) } else { "" };
        list.iter().map(move |f| {
            let range = f.start.wrapping_sub(start)..f.end.wrapping_sub(start);
            let (raw, text) = if f.source == source {
                match text.get(range.clone()) {
                    Some(t) => (t.as_bytes(), Some(t)),
                    None => (block.get(range).unwrap_or_default(), None),
                }
            } else {
                let src = msg.source_bytes(f.source).map_or(&[][..], |b| &b[..]);
                (src.get(f.start..f.end).unwrap_or_default(), None)
            };
            Field {
                raw: RawField::from_layout(
                    raw,
                    f.start as u64,
                    f.kind,
                    f.name_len as usize,
                    f.value_start as usize,
                ),
                text,
            }
        })
    }

    /// The first field with this name (case-insensitive). When a field that may appear once
    /// appears twice, accessors use the first, as IMAP ENVELOPE and most readers do; the
    /// repetition is reported as [`DiagnosticKind::DuplicateField`].
    pub fn header(&self, name: &str) -> Option<Field<'m>> {
        self.raw_fields().find(|f| {
            f.kind() == FieldKind::Field && f.name().eq_ignore_ascii_case(name.as_bytes())
        })
    }

    /// Every field with this name, in order.
    pub fn headers(&self, name: &str) -> impl Iterator<Item = Field<'m>> + 'm {
        let name = name.to_ascii_lowercase();
        self.raw_fields().filter(move |f| {
            f.kind() == FieldKind::Field && f.name().eq_ignore_ascii_case(name.as_bytes())
        })
    }

    /// The decoded text of the first field with this name.
    pub fn header_text(&self, name: &str) -> Option<String> {
        self.header(name).map(|f| f.text().into_owned())
    }

    /// The header block as in the input, its terminating empty line included
    /// (IMAP `BODY[n.MIME]` / `BODY[HEADER]`).
    pub fn header_raw(&self) -> &'m [u8] {
        let n = self.node();
        self.src().get(n.header_start..n.body_start).unwrap_or_default()
    }

    /// The body as in the input, transfer encoding not undone.
    pub fn body_raw(&self) -> &'m [u8] {
        let n = self.node();
        self.src().get(n.body_start..n.body_end).unwrap_or_default()
    }

    /// Header and body as in the input.
    pub fn raw(&self) -> &'m [u8] {
        let n = self.node();
        self.src().get(n.header_start..n.body_end).unwrap_or_default()
    }

    /// Offsets of the header block in its source.
    pub fn header_range(&self) -> core::ops::Range<usize> {
        let n = self.node();
        n.header_start..n.body_start
    }

    /// Offsets of the body in its source.
    pub fn body_range(&self) -> core::ops::Range<usize> {
        let n = self.node();
        n.body_start..n.body_end
    }

    /// True when the ranges refer to the input itself, false for parts of a transfer-encoded
    /// encapsulated message (their ranges refer to its decoded octets).
    pub fn in_original_input(&self) -> bool {
        self.node().source == 0
    }

    /// Body size in octets as in the input (IMAP BODYSTRUCTURE size).
    pub fn body_size(&self) -> usize {
        self.body_raw().len()
    }

    /// Body size in lines (IMAP BODYSTRUCTURE lines for text/* and message/rfc822).
    pub fn body_lines(&self) -> usize {
        let b = self.body_raw();
        let nl = memchr::memchr_iter(b'\n', b).count();
        if b.is_empty() || b.ends_with(b"\n") { nl } else { nl + 1 }
    }

    /// The multipart preamble.
    pub fn preamble(&self) -> Option<&'m [u8]> {
        let n = self.node();
        let end = opt_offset(n.preamble_end_at)?;
        self.src().get(n.body_start..end)
    }

    /// The multipart epilogue (after the close delimiter line).
    pub fn epilogue(&self) -> Option<&'m [u8]> {
        let n = self.node();
        let start = opt_offset(n.epilogue_start_at)?;
        self.src().get(start..n.body_end.max(start))
    }

    /// The body with its transfer encoding undone (base64, quoted-printable, uuencode;
    /// others as they are). Borrowed when nothing needed decoding.
    pub fn decoded_body(&self) -> Cow<'m, [u8]> {
        let raw = self.body_raw();
        match self.transfer_encoding() {
            TransferEncoding::Base64 => Cow::Owned(transfer::base64(raw).data),
            TransferEncoding::QuotedPrintable => Cow::Owned(transfer::quoted_printable(raw).data),
            TransferEncoding::Uuencode => Cow::Owned(transfer::uudecode(raw).data),
            _ => Cow::Borrowed(raw),
        }
    }

    /// The body transfer-decoded like [`Part::decoded_body`], into `buf` (cleared first, its
    /// allocation reused) when there is something to decode; otherwise borrowed from the
    /// input. Walking many parts through one buffer allocates only to grow it.
    ///
    /// ```
    /// use mailwire_mime::Message;
    ///
    /// let msg = Message::parse(&b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"[..]);
    /// let mut buf = Vec::new();
    /// assert_eq!(msg.root().decoded_body_in(&mut buf), b"hello");
    /// ```
    pub fn decoded_body_in<'b>(&self, buf: &'b mut Vec<u8>) -> &'b [u8]
    where
        'm: 'b,
    {
        let raw = self.body_raw();
        buf.clear();
        match self.transfer_encoding() {
            TransferEncoding::Base64 => {
                transfer::base64_append(raw, buf);
            }
            TransferEncoding::QuotedPrintable => {
                transfer::quoted_printable_append(raw, buf);
            }
            TransferEncoding::Uuencode => buf.extend_from_slice(&transfer::uudecode(raw).data),
            _ => return raw,
        }
        buf
    }

    /// For `text/*` leaves: the decoded body converted from its charset (`us-ascii` when not
    /// given, read as UTF-8; unknown charsets read through the fallback chain).
    pub fn text(&self) -> Option<String> {
        if self.content_type().media_type != "text" || self.kind() != PartKind::Leaf {
            return None;
        }
        let body = self.decoded_body();
        let cs = self.content_type().param("charset").unwrap_or("utf-8");
        Some(match crate::charset::decode(cs, &body) {
            Some(s) => s.into_owned(),
            None => crate::charset::decode_fallback(&body, None).into_owned(),
        })
    }

    /// The Content-Disposition, when present and valid.
    pub fn disposition(&self) -> Option<ContentDisposition> {
        let f = self.header("content-disposition")?;
        parse_disposition_opts(f.raw_value(), self.msg.limits.max_params, TextOptions::default())
            .map(|(d, _)| d)
    }

    /// The file name: the disposition's `filename`, else the Content-Type `name`.
    pub fn filename(&self) -> Option<String> {
        if let Some(d) = self.disposition()
            && let Some(f) = d.param("filename")
        {
            return Some(f.to_string());
        }
        self.content_type().param("name").map(str::to_string)
    }

    /// True for an attachment: disposition `attachment`, or a leaf with a file name that is
    /// not disposition `inline`.
    pub fn is_attachment(&self) -> bool {
        if self.kind() == PartKind::Multipart {
            return false;
        }
        match self.disposition() {
            Some(d) if d.kind == "attachment" => true,
            Some(d) if d.kind == "inline" => false,
            _ => self.filename().is_some(),
        }
    }

    /// The Content-ID without its angle brackets.
    pub fn content_id(&self) -> Option<String> {
        let t = self.header_text("content-id")?;
        let t = t.trim();
        Some(t.strip_prefix('<').and_then(|s| s.strip_suffix('>')).unwrap_or(t).to_string())
    }

    /// The Content-Description, decoded.
    pub fn content_description(&self) -> Option<String> {
        self.header_text("content-description")
    }

    /// The Subject, decoded (first field; see [`Part::header`]).
    pub fn subject(&self) -> Option<String> {
        self.header_text("subject")
    }

    fn addresses(&self, name: &str) -> Option<Vec<Address>> {
        self.header(name).map(|f| crate::address::parse_address_list(f.raw_value()))
    }

    /// The From address list.
    pub fn from(&self) -> Option<Vec<Address>> {
        self.addresses("from")
    }

    /// The Sender address.
    pub fn sender(&self) -> Option<Vec<Address>> {
        self.addresses("sender")
    }

    /// The Reply-To address list.
    pub fn reply_to(&self) -> Option<Vec<Address>> {
        self.addresses("reply-to")
    }

    /// The To address list.
    pub fn to(&self) -> Option<Vec<Address>> {
        self.addresses("to")
    }

    /// The Cc address list.
    pub fn cc(&self) -> Option<Vec<Address>> {
        self.addresses("cc")
    }

    /// The Bcc address list.
    pub fn bcc(&self) -> Option<Vec<Address>> {
        self.addresses("bcc")
    }

    /// The Date, when present and valid.
    pub fn date(&self) -> Option<DateTime> {
        self.header("date").and_then(|f| crate::date::parse_date(f.raw_value()))
    }

    /// The Message-ID with its angle brackets.
    pub fn message_id(&self) -> Option<String> {
        self.header("message-id").and_then(|f| parse_message_ids(f.raw_value()).into_iter().next())
    }

    /// The In-Reply-To identifiers.
    pub fn in_reply_to(&self) -> Vec<String> {
        self.header("in-reply-to").map(|f| parse_message_ids(f.raw_value())).unwrap_or_default()
    }

    /// The References identifiers.
    pub fn references(&self) -> Vec<String> {
        self.header("references").map(|f| parse_message_ids(f.raw_value())).unwrap_or_default()
    }

    /// Every Received field, parsed, top (most recent) first.
    pub fn received(&self) -> Vec<Received> {
        self.headers("received").map(|f| crate::fields::parse_received(f.raw_value())).collect()
    }

    /// The MIME-Version as (major, minor).
    pub fn mime_version(&self) -> Option<(u32, u32)> {
        self.header("mime-version").and_then(|f| crate::fields::parse_mime_version(f.raw_value()))
    }

    /// The List-Id (RFC 2919).
    pub fn list_id(&self) -> Option<ListId> {
        self.header("list-id").and_then(|f| crate::fields::parse_list_id(f.raw_value()))
    }

    /// The URLs of a List-* field (RFC 2369), e.g. `list_urls("list-unsubscribe")`.
    pub fn list_urls(&self, name: &str) -> Vec<String> {
        self.header(name).map(|f| crate::fields::parse_list_urls(f.raw_value())).unwrap_or_default()
    }

    /// Every attachment below (and including) this entity, depth first.
    pub fn attachments(&self) -> Vec<Part<'m>> {
        let mut out = Vec::new();
        let mut stack = vec![*self];
        while let Some(p) = stack.pop() {
            if p.is_attachment() {
                out.push(p);
            } else {
                let kids: Vec<Part<'m>> = p.children().collect();
                stack.extend(kids.into_iter().rev());
            }
        }
        out
    }

    /// The section path of this entity in the form of the MIME summary format: IMAP section
    /// numbers (RFC 9051 6.4.5), with `TEXT` naming a multipart message's body. The message is
    /// `"1"` (or `"TEXT"` when multipart); an encapsulated message at `P` is `P.1` (or
    /// `P.TEXT`); children of a multipart at `P.TEXT` are `P.1`, `P.2`, ...
    pub fn section_path(&self) -> String {
        let mut chain: Vec<Part<'m>> = vec![*self];
        let mut cur = *self;
        while let Some(p) = cur.parent() {
            chain.push(p);
            cur = p;
        }
        chain.reverse();
        let mut path = String::new();
        let mut parent: Option<Part<'m>> = None;
        for p in chain {
            let multi = p.is_split_multipart();
            path = match parent {
                None => {
                    if multi {
                        "TEXT".into()
                    } else {
                        "1".into()
                    }
                }
                Some(par) if matches!(par.kind(), PartKind::Message | PartKind::EncodedMessage) => {
                    format!("{path}.{}", if multi { "TEXT" } else { "1" })
                }
                Some(_) => {
                    let n = p.node().number;
                    let prefix = if path == "TEXT" {
                        ""
                    } else {
                        path.strip_suffix(".TEXT").unwrap_or(&path)
                    };
                    if prefix.is_empty() { n.to_string() } else { format!("{prefix}.{n}") }
                }
            };
            parent = Some(p);
        }
        path
    }

    /// The IMAP part number used in `BODY[<n>]` (RFC 9051 6.4.5): the section path without
    /// its `TEXT` (empty for a multipart message itself).
    pub fn imap_part_number(&self) -> String {
        let p = self.section_path();
        if p == "TEXT" {
            String::new()
        } else {
            p.strip_suffix(".TEXT").map(str::to_string).unwrap_or(p)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn single_index_follows_the_table() {
        for (k, name) in super::SINGLE.iter().enumerate() {
            assert_eq!(super::single_index(name.as_bytes()), Some(k));
            assert_eq!(super::single_index(name.to_ascii_uppercase().as_bytes()), Some(k));
        }
        assert_eq!(super::single_index(b"received"), None);
        // one octet changed anywhere: another name
        for name in super::SINGLE {
            for pos in 0..name.len() {
                for c in 33..=126u8 {
                    let mut other = name.as_bytes().to_vec();
                    other[pos] = c;
                    let want = super::SINGLE
                        .iter()
                        .position(|s| s.as_bytes().eq_ignore_ascii_case(&other));
                    assert_eq!(super::single_index(&other), want, "{other:?}");
                }
            }
        }
    }

    #[test]
    fn entities_stay_small() {
        // a message of very many parts is mostly this array
        assert!(size_of::<super::PartNode>() <= 96, "{}", size_of::<super::PartNode>());
    }
}
