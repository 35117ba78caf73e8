//! Diagnostics: every defect found in a message, reported without stopping the parse.

/// What kind of defect a [`Diagnostic`] reports.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DiagnosticKind {
    /// A multipart body ended (end of input or an outer delimiter) without its close delimiter.
    #[error("multipart without its close delimiter")]
    MissingCloseDelimiter,
    /// A multipart entity has no usable `boundary` parameter; its body is kept as one leaf.
    #[error("multipart without a boundary parameter")]
    MissingBoundary,
    /// A multipart body holds no delimiter line at all.
    #[error("multipart without any delimiter line")]
    NoDelimiter,
    /// A header block line is neither a field nor a continuation; the body starts there.
    #[error("header block not ended by an empty line")]
    MissingHeaderBodySeparator,
    /// The first line of a header block starts with white space.
    #[error("continuation line without a preceding field")]
    ContinuationWithoutField,
    /// White space between a field name and its colon.
    #[error("white space before the colon of a field")]
    SpaceBeforeColon,
    /// A header block exceeds the header size limit; the rest is kept as body.
    #[error("header block larger than the limit")]
    HeaderTooLarge,
    /// Nesting deeper than the depth limit; the entity is kept as one leaf.
    #[error("nesting deeper than the limit")]
    DepthLimit,
    /// More entities than the part limit; further delimiters are kept as body text.
    #[error("more parts than the limit")]
    PartLimit,
    /// More parameters than the parameter limit; the rest are ignored.
    #[error("more parameters than the limit")]
    ParamLimit,
    /// A field that may appear once (RFC 5322 3.6) appears more than once.
    #[error("field that may appear once appears again")]
    DuplicateField,
    /// A Content-Type that does not parse as `type/subtype`; `text/plain` is assumed.
    #[error("invalid Content-Type")]
    InvalidContentType,
    /// The input ended inside a header block.
    #[error("input ended inside a header block")]
    EofInHeader,
    /// An encapsulated message's transfer encoding was undone before parsing it.
    #[error("encapsulated message with a transfer encoding")]
    EncodedMessage,
    /// Octets outside base64's alphabet or bad padding were skipped.
    #[error("invalid base64 octets skipped")]
    InvalidBase64,
    /// A quoted-printable `=` not followed by two hex digits or a line end was kept as is.
    #[error("invalid quoted-printable escape kept")]
    InvalidQuotedPrintable,
}

/// One defect: what, in which entity, at which byte offset of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// What was found.
    pub kind: DiagnosticKind,
    /// The entity it was found in (0 is the message itself).
    pub part: u32,
    /// Offset in octets from the start of the input (of the decoded body for an
    /// encapsulated message that was transfer-encoded).
    pub offset: u64,
}

impl core::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} (part {}, offset {})", self.kind, self.part, self.offset)
    }
}
