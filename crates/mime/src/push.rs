//! The sans-IO push parser: feed chunks of any size, receive events.
//!
//! Memory is bounded by [`MimeLimits`]: the parser keeps the current header field (at most
//! `max_header_size`), the undecided start of one body line (at most `max_delimiter_line`),
//! and one small record per open entity (at most `max_depth`), never the message.

use crate::diag::{Diagnostic, DiagnosticKind};
use crate::inline::InlineVec;
use crate::limits::MimeLimits;
use crate::params::{ContentType, TransferEncoding, TypeClass, parse_content_type};
use crate::swar;

/// Which part of an entity's body a [`Event::Body`] chunk belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// The content of a leaf entity (still transfer-encoded).
    Content,
    /// Text of a multipart before its first delimiter line (RFC 2046 5.1.1).
    Preamble,
    /// Text of a multipart after its close delimiter line.
    Epilogue,
}

/// How the parser treats an entity's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PartKind {
    /// A leaf: its body comes as [`Event::Body`] chunks.
    Leaf,
    /// A multipart: preamble, child entities, epilogue.
    Multipart,
    /// `message/rfc822` or `message/global`: one child entity, the encapsulated message.
    Message,
    /// `message/rfc822` or `message/global` with a base64 or quoted-printable transfer
    /// encoding: a leaf here; [`crate::Message::parse`] decodes and parses it. A push caller
    /// does the same by streaming the body chunks through
    /// [`crate::transfer::Base64Decoder`] or [`crate::transfer::QuotedPrintableDecoder`] into
    /// a nested [`Parser::with_depth`] (offsets of its events are then in decoded octets).
    EncodedMessage,
}

/// What kind of header line a [`RawField`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// `name: value`.
    Field,
    /// An mbox envelope line (`From sender date`) opening a message.
    MboxFrom,
    /// Continuation lines with no field before them.
    Orphan,
}

/// One header field as it appears in the input, folding and line ending included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawField<'a> {
    /// The whole field: name, colon, value, folds and the final line ending.
    pub raw: &'a [u8],
    /// Offset of the field's first octet in the input.
    pub offset: u64,
    /// What kind of line it is.
    pub kind: FieldKind,
    name_len: usize,
    value_start: usize,
}

impl<'a> RawField<'a> {
    pub(crate) fn parse(raw: &'a [u8], offset: u64, kind: FieldKind) -> Self {
        let (name_len, value_start) = match kind {
            FieldKind::Field => match memchr::memchr(b':', raw) {
                Some(c) => {
                    let name = raw.get(..c).unwrap_or_default().trim_ascii_end();
                    (name.len(), c + 1)
                }
                None => (0, 0),
            },
            FieldKind::MboxFrom | FieldKind::Orphan => (0, 0),
        };
        Self { raw, offset, kind, name_len, value_start }
    }

    pub(crate) fn layout(&self) -> (usize, usize) {
        (self.name_len, self.value_start)
    }

    pub(crate) fn from_layout(
        raw: &'a [u8],
        offset: u64,
        kind: FieldKind,
        name_len: usize,
        value_start: usize,
    ) -> Self {
        Self { raw, offset, kind, name_len, value_start }
    }

    /// The field name as written (without trailing white space).
    pub fn name(&self) -> &'a [u8] {
        self.raw.get(..self.name_len).unwrap_or_default()
    }

    /// The raw value: everything after the colon, folds included, final line ending excluded.
    pub fn value(&self) -> &'a [u8] {
        let v = self.raw.get(self.value_start..).unwrap_or_default();
        strip_eol(v)
    }
}

/// The header facts the parser decided an entity's structure from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHeader {
    /// The Content-Type in force (the default when absent or invalid).
    pub content_type: ContentType,
    /// True when the Content-Type came from a valid field, false when defaulted.
    pub explicit_content_type: bool,
    /// The Content-Transfer-Encoding (`7bit` when absent).
    pub transfer_encoding: TransferEncoding,
    /// How the body is treated.
    pub kind: PartKind,
}

/// Where an entity ended; the last event of every entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartEnd {
    /// The entity.
    pub part: u32,
    /// Offset just past its body (for a multipart: past its epilogue). The line break before a
    /// delimiter line belongs to the delimiter, not to the body (RFC 2046 5.1.1).
    pub body_end: u64,
    /// For a multipart: where its preamble ends (the first delimiter's line break).
    pub preamble_end: Option<u64>,
    /// For a multipart: where its epilogue starts (after the close delimiter line).
    pub epilogue_start: Option<u64>,
}

/// An event of the push parser. Slices borrow the parser or the pushed chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An entity starts: its header block begins at `offset`.
    PartStart {
        /// Identifier: entities are numbered 0 (the message), 1, 2, ... in input order.
        part: u32,
        /// The enclosing entity.
        parent: Option<u32>,
        /// Nesting depth (0 for the message).
        depth: u32,
        /// Offset of the header block.
        offset: u64,
    },
    /// A complete header field of the entity.
    Field {
        /// The entity.
        part: u32,
        /// The field.
        field: RawField<'a>,
    },
    /// The header block ended (after its empty line, if any); the body starts at `body_offset`.
    HeaderEnd {
        /// The entity.
        part: u32,
        /// Content type, transfer encoding and how the body is treated.
        header: &'a PartHeader,
        /// Offset of the first body octet.
        body_offset: u64,
    },
    /// A chunk of body octets. Chunks of one entity are contiguous.
    Body {
        /// The entity.
        part: u32,
        /// Content, preamble or epilogue.
        kind: BodyKind,
        /// The octets.
        data: &'a [u8],
        /// Offset of `data[0]`.
        offset: u64,
    },
    /// The entity ended.
    PartEnd(PartEnd),
    /// A defect; parsing goes on.
    Diagnostic(Diagnostic),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Header,
    Leaf,
    Preamble,
    Child,
    Epilogue,
    Message,
}

#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::struct_excessive_bools)]
struct Frame {
    id: u32,
    depth: u32,
    state: State,
    digest: bool,
    digest_child: bool,
    message_start: bool,
    closed: bool,
    preamble_end: Option<u64>,
    epilogue_start: Option<u64>,
}

/// An open boundary: its octets are `bound_text[start..end]` (one buffer for the stack).
#[derive(Debug, Clone, Copy, Default)]
struct Bound {
    start: usize,
    end: usize,
    frame: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    Cr,
    Lf,
    CrLf,
}

impl Pending {
    fn bytes(self) -> &'static [u8] {
        match self {
            Self::None => b"",
            Self::Cr => b"\r",
            Self::Lf => b"\n",
            Self::CrLf => b"\r\n",
        }
    }
}

/// The header facts of an entity without Content-Type and Content-Transfer-Encoding fields.
pub(crate) static DEFAULT_HEADER: PartHeader = PartHeader {
    content_type: ContentType {
        media_type: std::borrow::Cow::Borrowed("text"),
        subtype: std::borrow::Cow::Borrowed("plain"),
        params: Vec::new(),
    },
    explicit_content_type: false,
    transfer_encoding: TransferEncoding::SevenBit,
    kind: PartKind::Leaf,
};

/// The searcher for line starts beginning with a dash, built once.
static NL_DASH: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n-"));

/// Position of the next `\n-` in `rest`: the first few octets by hand (short parts, where
/// a searcher's set-up would cost more than the search), then the dashes (none in base64,
/// so attachments are crossed at the speed of a one-octet search), each checked for a line
/// break before it; text with many dashes goes to the two-octet searcher.
fn next_line_dash(rest: &[u8]) -> Option<usize> {
    const NEAR: usize = 16;
    const MISSES: usize = 4;
    let near = rest.get(..NEAR + 1).unwrap_or(rest);
    if let Some(i) = near.windows(2).position(|w| w == b"\n-") {
        return Some(i);
    }
    if rest.len() <= NEAR + 1 {
        return None;
    }
    // dashes after the near octets: a line break before one is a match
    let mut from = NEAR + 1;
    for _ in 0..MISSES {
        let dash = from + memchr::memchr(b'-', rest.get(from..)?)?;
        if rest.get(dash - 1) == Some(&b'\n') {
            return Some(dash - 1);
        }
        from = dash + 1;
    }
    // no line break at or after `from - 1` has been ruled out
    let start = from - 1;
    NL_DASH.find(rest.get(start..).unwrap_or_default()).map(|i| i + start)
}

/// What follows a boundary on a delimiter line: `--` for a close delimiter, then only white
/// space (the line break removed). `Some(close)` for a delimiter.
fn delim_tail(after: &[u8]) -> Option<bool> {
    let (close, after) = match after.strip_prefix(b"--") {
        Some(a) => (true, a),
        None => (false, after),
    };
    after.iter().all(|&c| c == b' ' || c == b'\t' || c == b'\r').then_some(close)
}

/// Up to this many open boundaries are compared one by one; deeper stacks use the index.
const INDEX_FROM: usize = 8;

/// Where the field whose first line ends at `from` ends: after its continuation lines (lines
/// starting with white space), when they all end before `limit` and the first octet of the
/// line after them is in `data`. `None` leaves the field open, to be read line by line.
fn field_end(data: &[u8], mut from: usize, limit: usize) -> Option<usize> {
    loop {
        if from > limit {
            return None;
        }
        match data.get(from)? {
            b' ' | b'\t' => from += memchr::memchr(b'\n', data.get(from..)?)? + 1,
            _ => return Some(from),
        }
    }
}

/// For a line that opens a header field with a name starting with a letter: the name's
/// length (trailing white space excluded) and the colon's position. `None` sends the line
/// through the general rules.
fn field_name(content: &[u8]) -> Option<(usize, usize)> {
    if !content.first()?.is_ascii_alphabetic() {
        return None;
    }
    // the first octet that is a colon or not printable, eight at a time while there are eight
    let mut i = 1;
    while let Some(x) = swar::word_at(content, i) {
        let m = swar::stops_first(x, 33, [b':', 127]);
        if m != 0 {
            i += swar::first(m);
            break;
        }
        i += 8;
    }
    while let Some(&c) = content.get(i) {
        if c == b':' || !(33..=126).contains(&c) {
            break;
        }
        i += 1;
    }
    if content.get(i) == Some(&b':') {
        return Some((i, i));
    }
    let name_len = i;
    while let Some(&c) = content.get(i) {
        match c {
            b' ' | b'\t' => i += 1,
            b':' => return Some((name_len, i)),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
#[test]
fn field_name_equals_an_octet_by_octet_reading() {
    fn reference(content: &[u8]) -> Option<(usize, usize)> {
        if !content.first()?.is_ascii_alphabetic() {
            return None;
        }
        let name_len = content.iter().position(|&c| c == b':' || !(33..=126).contains(&c))?;
        let colon = name_len + content[name_len..].iter().position(|&c| c != b' ' && c != b'\t')?;
        (content[colon] == b':').then_some((name_len, colon))
    }
    for len in 1..40 {
        for at in 0..len {
            for stop in [b':', b' ', b'\t', 0, 0x7F, 0x80, 0xFF, b'\r', b'!'] {
                for tail in [&b""[..], b":", b" :", b"\t x:", b": v"] {
                    let mut v = vec![b'X'; len];
                    v[at] = stop;
                    v.extend_from_slice(tail);
                    assert_eq!(field_name(&v), reference(&v), "{v:?}");
                    // read with its line ending, a line names the same field
                    for eol in [&b"\n"[..], b"\r\n", b"\r"] {
                        let mut line = v.clone();
                        line.extend_from_slice(eol);
                        assert_eq!(field_name(&line), reference(&v), "{line:?}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[test]
fn next_line_dash_past_many_dashes() {
    // dashes without line breaks before them, then a line starting with one, at every
    // distance: the dash search and the pair searcher hand over without missing it
    for dashes in 0..12 {
        for gap in [0, 1, 5, 17, 40] {
            let mut v = b"0123456789abcdefghij".to_vec();
            for _ in 0..dashes {
                v.extend_from_slice(b"a-b");
                v.extend(std::iter::repeat_n(b'x', gap));
            }
            let at = v.len();
            v.extend_from_slice(b"\n--b\r\n");
            assert_eq!(next_line_dash(&v), Some(at), "{dashes} {gap}");
            assert_eq!(next_line_dash(&v[..=at]), None, "{dashes} {gap}");
            // a line break right before the first dash looked at
            let mut w = v.clone();
            w[at] = b'y';
            let reference = w.windows(2).position(|p| p == b"\n-");
            assert_eq!(next_line_dash(&w), reference, "{dashes} {gap}");
        }
    }
}

#[cfg(test)]
#[test]
fn next_line_dash_equals_a_pair_search() {
    // strings of line breaks, dashes and letters (a xorshift for the choices)
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 160) as usize;
        let v: Vec<u8> = (0..len)
            .map(|i| match (seed >> (i % 60)) & 7 {
                0 => b'\n',
                1 | 2 => b'-',
                _ => b'a',
            })
            .collect();
        assert_eq!(next_line_dash(&v), v.windows(2).position(|p| p == b"\n-"), "{v:?}");
    }
}

#[cfg(test)]
#[test]
fn next_line_dash_finds_every_position() {
    for len in 0..60 {
        for at in 0..len {
            let mut v = vec![b'a'; len];
            if at + 1 < len {
                v[at] = b'\n';
                v[at + 1] = b'-';
                assert_eq!(next_line_dash(&v), Some(at), "{len} {at}");
            } else {
                assert_eq!(next_line_dash(&v), None);
            }
        }
    }
    assert_eq!(next_line_dash(b"-\n"), None);
}

fn strip_eol(b: &[u8]) -> &[u8] {
    match b {
        [rest @ .., b'\r', b'\n'] | [rest @ .., b'\n' | b'\r'] => rest,
        _ => b,
    }
}

/// The first Content-Type and Content-Transfer-Encoding of the open header, and where a
/// boundary found by the light parse starts in the boundary text.
#[derive(Debug, Default)]
struct HeaderFacts {
    ct: Option<OpenType>,
    cte: Option<TransferEncoding>,
    pending_bound: Option<usize>,
}

/// Notes a Content-Type or Content-Transfer-Encoding field of the open header (out of line:
/// most fields are neither).
#[inline(never)]
fn content_field(
    facts: &mut HeaderFacts,
    bound_text: &mut InlineVec<u8, 160>,
    light: bool,
    max_params: usize,
    name: &[u8],
    value: &[u8],
) {
    if swar::is_name(name, b"content-type") {
        if facts.ct.is_none() {
            let raw = value;
            let max = max_params;
            facts.ct = Some(if light {
                match crate::params::parse_content_type_light(raw, max) {
                    Some(l) => {
                        if let Some(b) = l.boundary {
                            // kept at the end of the boundary text until the header
                            // ends (then opened, or dropped)
                            facts.pending_bound = Some(bound_text.len());
                            bound_text.extend_from_slice(&b);
                        }
                        OpenType::Light(l.class, l.hit)
                    }
                    None => OpenType::Invalid(Vec::new()),
                }
            } else {
                match parse_content_type(raw, max) {
                    Some((ct, hit)) => OpenType::Full(ct, hit),
                    None => OpenType::Invalid(crate::params::params_of_invalid(raw, max)),
                }
            });
        }
    } else if swar::is_name(name, b"content-transfer-encoding") && facts.cte.is_none() {
        facts.cte = Some(TransferEncoding::parse(value));
    }
}

/// The Content-Type of the open header, as far as it was parsed.
#[derive(Debug)]
enum OpenType {
    /// Parsed in full (push API): the type, and whether the parameter limit was hit.
    Full(ContentType, bool),
    /// Parsed light (tree mode): what the parser's decisions need, and the limit flag.
    Light(TypeClass, bool),
    /// Not `type/subtype`: the parameters that still apply (none kept in tree mode).
    Invalid(Vec<crate::params::Param>),
}

/// The push parser. Feed input with [`Parser::push`], end it with [`Parser::finish`]; events
/// go to the sink closure as they are found.
///
/// ```
/// use mailwire_mime::push::{Event, Parser};
///
/// let mut parser = Parser::new(Default::default());
/// let mut parts = 0;
/// let mut sink = |ev: Event<'_>| if let Event::PartStart { .. } = ev { parts += 1 };
/// parser.push(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--", &mut sink);
/// parser.push(b"b\r\n\r\ntwo\r\n--b--\r\n", &mut sink);
/// parser.finish(&mut sink);
/// assert_eq!(parts, 3);
/// ```
#[derive(Debug)]
// independent flags of the scan (mid-line, light mode, started, finished), not a state
#[allow(clippy::struct_excessive_bools)]
pub struct Parser {
    limits: MimeLimits,
    frames: InlineVec<Frame, 4>,
    bounds: InlineVec<Bound, 4>,
    bound_text: InlineVec<u8, 160>,
    /// Open boundaries by their text (trailing white space removed) to stack positions, so
    /// that a deep stack costs one lookup per candidate line, not one compare per level.
    /// Made when the stack first gets deep.
    bound_index: Option<std::collections::HashMap<Vec<u8>, Vec<usize>>>,
    carry: Vec<u8>,
    pos: u64,
    pending: Pending,
    pending_off: u64,
    mid_line: bool,
    field: Vec<u8>,
    field_span: Option<(usize, usize)>,
    field_off: u64,
    field_kind: Option<FieldKind>,
    /// Name length and value start of the open field (found when its first line came).
    field_layout: (usize, usize),
    hdr_bytes: usize,
    /// The Content-Type and Content-Transfer-Encoding of the open header, parsed when their
    /// fields completed; where a boundary the light parse found starts in `bound_text`.
    facts: HeaderFacts,
    /// Tree mode: content types are parsed light (the tree parses them on demand).
    light: bool,
    next_id: u32,
    base_depth: u32,
    started: bool,
    finished: bool,
}

impl Parser {
    /// A parser for one message.
    pub fn new(limits: MimeLimits) -> Self {
        Self::with_depth(limits, 0)
    }

    /// A parser whose message sits at nesting depth `depth` (for encapsulated messages).
    pub fn with_depth(limits: MimeLimits, depth: u32) -> Self {
        Self {
            limits,
            frames: InlineVec::default(),
            bounds: InlineVec::default(),
            bound_text: InlineVec::default(),
            bound_index: None,
            carry: Vec::new(),
            pos: 0,
            pending: Pending::None,
            pending_off: 0,
            mid_line: false,
            field: Vec::new(),
            field_span: None,
            field_off: 0,
            field_kind: None,
            field_layout: (0, 0),
            hdr_bytes: 0,
            facts: HeaderFacts::default(),
            light: false,
            next_id: 0,
            base_depth: depth,
            started: false,
            finished: false,
        }
    }

    /// Tree mode: of a content type's parameters only a multipart boundary is looked for;
    /// `HeaderEnd` carries the type without its other parameters, which the tree parses from
    /// the field on demand; no `Body` event is sent (the tree keeps byte ranges).
    pub(crate) fn light_content_types(&mut self) {
        self.light = true;
    }

    /// Number of octets pushed so far.
    pub fn position(&self) -> u64 {
        self.pos + self.carry.len() as u64
    }

    fn start(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        if !self.started {
            self.started = true;
            self.open_frame(None, 0, false, true, sink);
        }
    }

    fn open_frame(
        &mut self,
        parent: Option<u32>,
        offset: u64,
        digest_child: bool,
        message_start: bool,
        sink: &mut impl FnMut(Event<'_>),
    ) {
        let id = self.next_id;
        self.next_id += 1;
        let depth = self.frames.last().map_or(self.base_depth, |f| f.depth + 1);
        self.frames.push(Frame {
            id,
            depth,
            state: State::Header,
            digest: false,
            digest_child,
            message_start,
            closed: false,
            preamble_end: None,
            epilogue_start: None,
        });
        self.hdr_bytes = 0;
        self.facts.ct = None;
        self.facts.cte = None;
        self.mid_line = false;
        self.pending = Pending::None;
        sink(Event::PartStart { part: id, parent, depth, offset });
    }

    fn diag(&self, kind: DiagnosticKind, offset: u64, sink: &mut impl FnMut(Event<'_>)) {
        let part = self.frames.last().map_or(0, |f| f.id);
        sink(Event::Diagnostic(Diagnostic { kind, part, offset }));
    }

    /// Feeds the next chunk of the message.
    pub fn push(&mut self, chunk: &[u8], sink: &mut impl FnMut(Event<'_>)) {
        if self.finished {
            return;
        }
        self.start(sink);
        let mut chunk = chunk;
        if !self.carry.is_empty() {
            let Some(i) = memchr::memchr(b'\n', chunk) else {
                self.carry.extend_from_slice(chunk);
                self.check_carry(sink);
                return;
            };
            self.carry.extend_from_slice(chunk.get(..=i).unwrap_or_default());
            chunk = chunk.get(i + 1..).unwrap_or_default();
            let c = std::mem::take(&mut self.carry);
            let used = self.run(&c, false, sink);
            self.pos += used as u64;
            if used < c.len() {
                // cannot happen for a complete line; keep it, in order
                let mut rest = c.get(used..).unwrap_or_default().to_vec();
                rest.extend_from_slice(chunk);
                self.carry = rest;
                self.check_carry(sink);
                return;
            }
            self.carry = c;
            self.carry.clear();
        }
        let used = self.run(chunk, false, sink);
        self.pos += used as u64;
        self.carry.extend_from_slice(chunk.get(used..).unwrap_or_default());
        self.check_carry(sink);
    }

    fn carry_limit(&self) -> usize {
        match self.frames.last().map(|f| f.state) {
            Some(State::Header) => self.limits.max_header_size.saturating_sub(self.hdr_bytes),
            _ => self.limits.max_delimiter_line,
        }
    }

    fn check_carry(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        while !self.carry.is_empty() && self.carry.len() > self.carry_limit() {
            let c = std::mem::take(&mut self.carry);
            let used = self.run(&c, false, sink);
            self.pos += used as u64;
            self.carry = c.get(used..).unwrap_or_default().to_vec();
            if used == 0 {
                break;
            }
        }
    }

    /// Ends the input: closes every open entity (reporting unterminated multiparts).
    pub fn finish(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        if self.finished {
            return;
        }
        self.start(sink);
        let c = std::mem::take(&mut self.carry);
        let used = self.run(&c, true, sink);
        self.pos += used as u64;
        self.finished = true;
        let end = self.pos;
        if matches!(self.frames.last().map(|f| f.state), Some(State::Header)) {
            self.flush_field(&[], sink);
            self.end_headers(end, true, sink);
        }
        self.flush_pending(sink);
        while let Some(f) = self.frames.pop() {
            let multipart_open = matches!(f.state, State::Preamble | State::Child) && !f.closed;
            if multipart_open {
                let kind = if f.preamble_end.is_none() && f.state == State::Preamble {
                    DiagnosticKind::NoDelimiter
                } else {
                    DiagnosticKind::MissingCloseDelimiter
                };
                sink(Event::Diagnostic(Diagnostic { kind, part: f.id, offset: end }));
            }
            sink(Event::PartEnd(PartEnd {
                part: f.id,
                body_end: end,
                preamble_end: f.preamble_end.or(if multipart_open && f.state == State::Preamble {
                    Some(end)
                } else {
                    None
                }),
                epilogue_start: f.epilogue_start,
            }));
        }
        self.truncate_bounds(0);
    }

    /// Processes `data` (starting at `self.pos`); returns how many octets were consumed.
    fn run(&mut self, data: &[u8], eof: bool, sink: &mut impl FnMut(Event<'_>)) -> usize {
        let used = self.run_inner(data, eof, sink);
        // a field still open keeps its octets for the next chunk
        if let Some((s, e)) = self.field_span.take() {
            self.field.extend_from_slice(data.get(s..e).unwrap_or_default());
        }
        used
    }

    fn run_inner(&mut self, data: &[u8], eof: bool, sink: &mut impl FnMut(Event<'_>)) -> usize {
        let mut p = 0;
        while p < data.len() {
            let Some(state) = self.frames.last().map(|f| f.state) else { return data.len() };
            if state == State::Header {
                // header lines one after another while they open or continue fields (the
                // header stays open); other lines may end it, so the state is read again
                loop {
                    let base = self.pos + p as u64;
                    let rest = data.get(p..).unwrap_or_default();
                    // the empty line ending a header is found without a search
                    let short = match rest {
                        [b'\n', ..] => Some(0),
                        [b'\r', b'\n', ..] => Some(1),
                        _ => None,
                    };
                    let line = match short.or_else(|| memchr::memchr(b'\n', rest)) {
                        Some(i) => rest.get(..=i).unwrap_or_default(),
                        None if eof => rest,
                        None => {
                            let room = self.limits.max_header_size.saturating_sub(self.hdr_bytes);
                            if rest.len() > room {
                                self.header_overflow(data, base, sink);
                                break;
                            }
                            return p;
                        }
                    };
                    let (used, open) = self.header_line(data, p, line.len(), base, sink);
                    p += used;
                    if !open || p >= data.len() {
                        break;
                    }
                }
            } else {
                let (np, to_header) = self.scan_body(data, p, eof, sink);
                p = np;
                if !to_header {
                    return p;
                }
            }
        }
        p
    }

    fn header_overflow(&mut self, data: &[u8], offset: u64, sink: &mut impl FnMut(Event<'_>)) {
        self.diag(DiagnosticKind::HeaderTooLarge, offset, sink);
        self.flush_field(data, sink);
        self.end_headers(offset, true, sink);
    }

    /// Adds the header line `data[p..p + len]` to the open field (borrowed while possible).
    fn field_add(&mut self, data: &[u8], p: usize, len: usize) {
        self.field_span = match self.field_span {
            None => Some((p, p + len)),
            Some((s, e)) if e == p => Some((s, p + len)),
            Some((s, e)) => {
                self.field.extend_from_slice(data.get(s..e).unwrap_or_default());
                Some((p, p + len))
            }
        };
    }

    /// Tells the open field, if any.
    #[inline]
    fn flush_field(&mut self, data: &[u8], sink: &mut impl FnMut(Event<'_>)) {
        if self.field_kind.is_some() {
            self.flush_open_field(data, sink);
        }
    }

    fn flush_open_field(&mut self, data: &[u8], sink: &mut impl FnMut(Event<'_>)) {
        let span = self.field_span.take();
        let Some(kind) = self.field_kind.take() else { return };
        // the octets kept from earlier chunks, taken out while the field is told
        let mut kept = core::mem::take(&mut self.field);
        let raw: &[u8] = match span {
            Some((s, e)) if kept.is_empty() => data.get(s..e).unwrap_or_default(),
            Some((s, e)) => {
                kept.extend_from_slice(data.get(s..e).unwrap_or_default());
                &kept
            }
            None => &kept,
        };
        let field = match kind {
            FieldKind::Field => {
                let (name_len, value_start) = self.field_layout;
                RawField::from_layout(raw, self.field_off, kind, name_len, value_start)
            }
            FieldKind::MboxFrom | FieldKind::Orphan => RawField::parse(raw, self.field_off, kind),
        };
        self.emit_field(field, sink);
        kept.clear();
        self.field = kept;
    }

    /// Tells a complete field, after a look at Content-Type and Content-Transfer-Encoding.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn emit_field(&mut self, field: RawField<'_>, sink: &mut impl FnMut(Event<'_>)) {
        // fields come only in the header of the entity opened last, the top of the stack
        let part = self.next_id.saturating_sub(1);
        debug_assert_eq!(Some(part), self.frames.last().map(|f| f.id));
        if field.kind == FieldKind::Field {
            let name = field.name();
            // only Content-Type and Content-Transfer-Encoding matter to the parser: looked at
            // out of line, after a test of their lengths and first letter
            if matches!(name.len(), 12 | 25) && matches!(name.first(), Some(b'c' | b'C')) {
                content_field(
                    &mut self.facts,
                    &mut self.bound_text,
                    self.light,
                    self.limits.max_params,
                    name,
                    field.value(),
                );
            }
        }
        sink(Event::Field { part, field });
    }

    /// Handles one header line (with its line ending, or without at the end of input).
    /// Returns how many octets were consumed: the line, or a whole field when its
    /// continuation lines and the line after it are in `data`; 0 when the line was not
    /// consumed (it starts the body). Then whether the line opened a field, which leaves the
    /// header open (other lines may have ended it).
    fn header_line(
        &mut self,
        data: &[u8],
        p: usize,
        len: usize,
        off: u64,
        sink: &mut impl FnMut(Event<'_>),
    ) -> (usize, bool) {
        let line = data.get(p..p + len).unwrap_or_default();
        if self.hdr_bytes + line.len() > self.limits.max_header_size {
            self.header_overflow(data, off, sink);
            return (0, false);
        }
        // Fast path: a line opening a field with a name that starts with a letter (neither
        // a delimiter, nor an empty line, nor a continuation), unless it may be an mbox
        // `From ` line (the first line of a header starting so). The name ends before the
        // line ending, so the line is read with it.
        if (self.hdr_bytes > 0 || !line.starts_with(b"From "))
            && let Some((name_len, colon)) = field_name(line)
        {
            self.flush_field(data, sink);
            if name_len != colon {
                self.diag(DiagnosticKind::SpaceBeforeColon, off, sink);
            }
            // the whole field in view: told at once, without keeping it open
            let room = self.limits.max_header_size.saturating_sub(self.hdr_bytes);
            if let Some(end) = field_end(data, p + len, p + room) {
                let raw = data.get(p..end).unwrap_or_default();
                self.hdr_bytes += raw.len();
                let field = RawField::from_layout(raw, off, FieldKind::Field, name_len, colon + 1);
                self.emit_field(field, sink);
                return (raw.len(), true);
            }
            self.hdr_bytes += line.len();
            self.field_off = off;
            self.field_kind = Some(FieldKind::Field);
            self.field_layout = (name_len, colon + 1);
            self.field_add(data, p, len);
            return (len, true);
        }
        let content = strip_eol(line);
        let message_start = self.frames.last().is_some_and(|f| f.message_start);
        if let Some(f) = self.frames.last_mut() {
            f.message_start = false;
        }
        if message_start && self.hdr_bytes == 0 && content.starts_with(b"From ") {
            self.hdr_bytes += line.len();
            self.field_add(data, p, len);
            self.field_off = off;
            self.field_kind = Some(FieldKind::MboxFrom);
            self.flush_field(data, sink);
            return (len, false);
        }
        if !self.bounds.is_empty()
            && content.starts_with(b"--")
            && let Some((k, close)) = self.match_delim(content)
        {
            self.flush_field(data, sink);
            self.end_headers(off, true, sink);
            self.on_delimiter(k, close, off, off + line.len() as u64, sink);
            return (len, false);
        }
        if content.is_empty() {
            self.hdr_bytes += line.len();
            self.flush_field(data, sink);
            self.end_headers(off + line.len() as u64, false, sink);
            return (len, false);
        }
        let first = content.first().copied().unwrap_or(b' ');
        if first == b' ' || first == b'\t' {
            self.hdr_bytes += line.len();
            if self.field_kind.is_none() {
                self.diag(DiagnosticKind::ContinuationWithoutField, off, sink);
                self.field_off = off;
                self.field_kind = Some(FieldKind::Orphan);
            }
            self.field_add(data, p, len);
            return (len, false);
        }
        if let Some(colon) = memchr::memchr(b':', content) {
            let name = content.get(..colon).unwrap_or_default();
            let trimmed = name.trim_ascii_end();
            let valid = !trimmed.is_empty() && trimmed.iter().all(|&c| (33..=126).contains(&c));
            if valid {
                self.flush_field(data, sink);
                if trimmed.len() != name.len() {
                    self.diag(DiagnosticKind::SpaceBeforeColon, off, sink);
                }
                self.hdr_bytes += line.len();
                self.field_off = off;
                self.field_kind = Some(FieldKind::Field);
                self.field_layout = (trimmed.len(), colon + 1);
                self.field_add(data, p, len);
                return (len, false);
            }
        }
        // Not a header line: the body starts here.
        self.flush_field(data, sink);
        self.diag(DiagnosticKind::MissingHeaderBodySeparator, off, sink);
        self.end_headers(off, false, sink);
        (0, false)
    }

    fn end_headers(&mut self, body_start: u64, force_leaf: bool, sink: &mut impl FnMut(Event<'_>)) {
        let Some(top) = self.frames.len().checked_sub(1) else { return };
        let (digest_child, depth, id) = match self.frames.get(top) {
            Some(f) => (f.digest_child, f.depth, f.id),
            None => return,
        };
        if self.facts.ct.is_none() && self.facts.cte.is_none() && !digest_child {
            // no Content-Type, no Content-Transfer-Encoding: a 7bit text/plain leaf, told
            // with the parser's one default header (nothing to build or drop per entity)
            if let Some(f) = self.frames.get_mut(top) {
                f.state = State::Leaf;
                f.digest = false;
            }
            self.mid_line = false;
            self.pending = Pending::None;
            sink(Event::HeaderEnd { part: id, header: &DEFAULT_HEADER, body_offset: body_start });
            return;
        }
        let mut explicit = false;
        // the type carried by the header, when not the default
        let mut content_type: Option<ContentType> = None;
        let mut class = if digest_child { TypeClass::Message } else { TypeClass::Leaf };
        let mut hit = false;
        match self.facts.ct.take() {
            Some(OpenType::Full(ct, h)) => {
                class = TypeClass::of(&ct);
                content_type = Some(ct);
                explicit = true;
                hit = h;
            }
            // tree mode: the tree parses an explicit type on demand, the header carries the
            // plain default
            Some(OpenType::Light(c, h)) => {
                class = c;
                content_type = Some(ContentType::text_plain());
                explicit = true;
                hit = h;
            }
            Some(OpenType::Invalid(params)) => {
                self.diag(DiagnosticKind::InvalidContentType, body_start, sink);
                class = TypeClass::Leaf;
                let mut ct = ContentType::text_plain();
                ct.params = params;
                content_type = Some(ct);
            }
            None => {}
        }
        if hit {
            self.diag(DiagnosticKind::ParamLimit, body_start, sink);
        }
        let transfer_encoding = self.facts.cte.take().unwrap_or_default();
        // a boundary found by the light parse: its octets end the boundary text
        let pending = self.facts.pending_bound.take();
        let deep = depth as usize + 1 > self.limits.max_depth;
        let full = self.next_id as usize >= self.limits.max_parts;
        let mut kind = PartKind::Leaf;
        let mut new_state = State::Leaf;
        if matches!(class, TypeClass::Multipart | TypeClass::Digest) {
            let start = match pending {
                Some(start) => Some(start),
                None => content_type.as_ref().and_then(ContentType::boundary).map(|b| {
                    let start = self.bound_text.len();
                    self.bound_text.extend_from_slice(b.as_bytes());
                    start
                }),
            };
            match start {
                None => self.diag(DiagnosticKind::MissingBoundary, body_start, sink),
                Some(start) if force_leaf || deep => {
                    self.bound_text.truncate(start);
                    if !force_leaf {
                        self.diag(DiagnosticKind::DepthLimit, body_start, sink);
                    }
                }
                Some(start) => {
                    self.push_bound(start, top);
                    kind = PartKind::Multipart;
                    new_state = State::Preamble;
                }
            }
        } else if class == TypeClass::Message {
            if transfer_encoding.is_encoded() {
                kind = PartKind::EncodedMessage;
            } else if force_leaf {
            } else if deep {
                self.diag(DiagnosticKind::DepthLimit, body_start, sink);
            } else if full {
                self.diag(DiagnosticKind::PartLimit, body_start, sink);
            } else {
                kind = PartKind::Message;
                new_state = State::Message;
            }
        }
        let is_digest = class == TypeClass::Digest;
        if let Some(f) = self.frames.get_mut(top) {
            f.state = new_state;
            f.digest = is_digest;
        }
        self.mid_line = false;
        self.pending = Pending::None;
        let content_type = content_type.unwrap_or_else(|| {
            if digest_child { ContentType::message_rfc822() } else { ContentType::text_plain() }
        });
        let header =
            PartHeader { content_type, explicit_content_type: explicit, transfer_encoding, kind };
        sink(Event::HeaderEnd { part: id, header: &header, body_offset: body_start });
        if kind == PartKind::Message {
            self.open_frame(Some(id), body_start, false, true, sink);
        }
    }

    /// The octets of the open boundary at stack position `k`.
    fn boundary(&self, k: usize) -> Option<&[u8]> {
        let b = self.bounds.get(k)?;
        self.bound_text[..].get(b.start..b.end)
    }

    /// Opens the boundary whose octets were just appended to `bound_text` from `start`.
    fn push_bound(&mut self, start: usize, frame: usize) {
        self.bounds.push(Bound { start, end: self.bound_text.len(), frame });
        let n = self.bounds.len();
        if n == INDEX_FROM + 1 {
            // the stack just got deep: index every open boundary
            for k in 0..n {
                let key = self.boundary(k).unwrap_or_default().trim_ascii_end().to_vec();
                self.bound_index.get_or_insert_default().entry(key).or_default().push(k);
            }
        } else if n > INDEX_FROM + 1 {
            let key = self.boundary(n - 1).unwrap_or_default().trim_ascii_end().to_vec();
            self.bound_index.get_or_insert_default().entry(key).or_default().push(n - 1);
        }
    }

    fn truncate_bounds(&mut self, n: usize) {
        if self.bounds.len() <= n {
            return;
        }
        while self.bounds.len() > n {
            let Some(b) = self.bounds.pop() else { break };
            if self.bounds.len() < INDEX_FROM {
                if let Some(index) = self.bound_index.as_mut() {
                    index.clear();
                }
            } else if let Some(index) = self.bound_index.as_mut() {
                let key =
                    self.bound_text[..].get(b.start..b.end).unwrap_or_default().trim_ascii_end();
                if let Some(v) = index.get_mut(key) {
                    v.pop();
                    if v.is_empty() {
                        index.remove(key);
                    }
                }
            }
            self.bound_text.truncate(b.start);
        }
    }

    /// Whether `rest` (a line after its `--`) is a delimiter (`false`) or close delimiter
    /// (`true`) of the boundary at stack position `k`.
    fn delim_at(&self, k: usize, rest: &[u8]) -> Option<bool> {
        delim_tail(rest.strip_prefix(self.boundary(k)?)?)
    }

    fn match_delim(&self, content: &[u8]) -> Option<(usize, bool)> {
        let rest = content.strip_prefix(b"--")?;
        let open = self.bounds.len();
        if open <= INDEX_FROM {
            // the innermost boundary first, read without the stack's general accessors
            let text = &self.bound_text[..];
            return self.bounds[..].iter().enumerate().rev().find_map(|(k, b)| {
                let after = rest.strip_prefix(text.get(b.start..b.end)?)?;
                delim_tail(after).map(|c| (k, c))
            });
        }
        let t = rest.trim_ascii_end();
        let index = self.bound_index.as_ref()?;
        let as_delim = index.get(t).and_then(|v| v.last().copied());
        let as_close =
            t.strip_suffix(b"--").and_then(|c| index.get(c)).and_then(|v| v.last().copied());
        let mut cands = [as_delim, as_close];
        cands.sort_unstable_by(|a, b| b.cmp(a));
        cands.into_iter().flatten().find_map(|k| self.delim_at(k, rest).map(|c| (k, c)))
    }

    fn on_delimiter(
        &mut self,
        k: usize,
        close: bool,
        line_start: u64,
        line_end: u64,
        sink: &mut impl FnMut(Event<'_>),
    ) {
        let body_end = if self.pending == Pending::None { line_start } else { self.pending_off };
        self.pending = Pending::None;
        self.mid_line = false;
        let Some(target) = self.bounds.get(k).map(|b| b.frame) else { return };
        while self.frames.len() > target + 1 {
            let Some(f) = self.frames.pop() else { break };
            if matches!(f.state, State::Preamble | State::Child) && !f.closed {
                sink(Event::Diagnostic(Diagnostic {
                    kind: DiagnosticKind::MissingCloseDelimiter,
                    part: f.id,
                    offset: line_start,
                }));
            }
            let preamble_end =
                if f.state == State::Preamble { Some(body_end) } else { f.preamble_end };
            sink(Event::PartEnd(PartEnd {
                part: f.id,
                body_end,
                preamble_end,
                epilogue_start: f.epilogue_start,
            }));
        }
        if self.bounds.len() > k + 1 {
            self.truncate_bounds(k + 1);
        }
        let full = self.next_id as usize >= self.limits.max_parts;
        let Some(f) = self.frames.get_mut(target) else { return };
        if f.state == State::Preamble {
            f.preamble_end = Some(body_end);
        }
        let id = f.id;
        let digest = f.digest;
        if close || full {
            f.state = State::Epilogue;
            f.epilogue_start = Some(if close { line_end } else { line_start });
            f.closed = true;
            self.truncate_bounds(self.bounds.len().saturating_sub(1));
            if !close {
                self.diag(DiagnosticKind::PartLimit, line_start, sink);
            }
        } else {
            f.state = State::Child;
            self.open_frame(Some(id), line_end, digest, false, sink);
        }
    }

    fn flush_pending(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        if self.pending != Pending::None {
            // the tree takes bodies from its ranges: in tree mode no body event is sent
            if !self.light {
                let (part, kind) = self.body_target();
                let data = self.pending.bytes();
                sink(Event::Body { part, kind, data, offset: self.pending_off });
            }
            self.pending = Pending::None;
        }
    }

    fn body_target(&self) -> (u32, BodyKind) {
        match self.frames.last() {
            Some(f) => (
                f.id,
                match f.state {
                    State::Preamble => BodyKind::Preamble,
                    State::Epilogue => BodyKind::Epilogue,
                    _ => BodyKind::Content,
                },
            ),
            None => (0, BodyKind::Content),
        }
    }

    /// Emits body octets, holding back a final line break (it may belong to a delimiter).
    fn out(&mut self, bytes: &[u8], off: u64, sink: &mut impl FnMut(Event<'_>)) {
        if bytes.is_empty() {
            return;
        }
        let (hold, p) = if bytes.ends_with(b"\r\n") {
            (2, Pending::CrLf)
        } else if bytes.ends_with(b"\n") {
            (1, Pending::Lf)
        } else if bytes.ends_with(b"\r") {
            (1, Pending::Cr)
        } else {
            (0, Pending::None)
        };
        let body = bytes.get(..bytes.len() - hold).unwrap_or_default();
        if body.is_empty() && self.pending == Pending::Cr && bytes == b"\n" {
            self.pending = Pending::CrLf;
            return;
        }
        self.flush_pending(sink);
        if !body.is_empty() && !self.light {
            let (part, kind) = self.body_target();
            sink(Event::Body { part, kind, data: body, offset: off });
        }
        self.pending = p;
        self.pending_off = off + body.len() as u64;
    }

    /// Scans body text from `p`. Returns the new position and whether the state became Header.
    fn scan_body(
        &mut self,
        data: &[u8],
        mut p: usize,
        eof: bool,
        sink: &mut impl FnMut(Event<'_>),
    ) -> (usize, bool) {
        let base = self.pos;
        let len = data.len();
        if self.bounds.is_empty() {
            self.out(data.get(p..).unwrap_or_default(), base + p as u64, sink);
            return (len, false);
        }
        let mut ds = p;
        loop {
            let rest = data.get(p..).unwrap_or_default();
            let cand = if !self.mid_line && rest.first() == Some(&b'-') {
                Some(p)
            } else {
                next_line_dash(rest).map(|i| p + i + 1)
            };
            let Some(c) = cand else {
                if !rest.is_empty() {
                    self.mid_line = !rest.ends_with(b"\n");
                }
                self.out(data.get(ds..).unwrap_or_default(), base + ds as u64, sink);
                return (len, false);
            };
            let tail = data.get(c..).unwrap_or_default();
            let line = match memchr::memchr(b'\n', tail) {
                Some(nl) => tail.get(..=nl).unwrap_or_default(),
                None if eof => tail,
                None => {
                    if tail.len() > self.limits.max_delimiter_line {
                        self.mid_line = true;
                        self.out(data.get(ds..).unwrap_or_default(), base + ds as u64, sink);
                        return (len, false);
                    }
                    self.mid_line = false;
                    self.out(data.get(ds..c).unwrap_or_default(), base + ds as u64, sink);
                    return (c, false);
                }
            };
            let content = strip_eol(line);
            if content.len() <= self.limits.max_delimiter_line
                && let Some((k, close)) = self.match_delim(content)
            {
                self.out(data.get(ds..c).unwrap_or_default(), base + ds as u64, sink);
                let ls = base + c as u64;
                self.on_delimiter(k, close, ls, ls + line.len() as u64, sink);
                p = c + line.len();
                ds = p;
                if matches!(self.frames.last().map(|f| f.state), Some(State::Header)) {
                    return (p, true);
                }
                if self.bounds.is_empty() {
                    self.out(data.get(p..).unwrap_or_default(), base + p as u64, sink);
                    return (len, false);
                }
                continue;
            }
            p = c + line.len();
            self.mid_line = !line.ends_with(b"\n");
        }
    }
}
