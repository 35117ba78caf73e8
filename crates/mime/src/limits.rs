//! Bounds of the MIME parser, each with a safe default.

/// Every bound the parser enforces. Exceeding one yields a diagnostic and the parse goes on:
/// the entity is kept as a leaf instead of being descended into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MimeLimits {
    /// Deepest nesting of multiparts and encapsulated messages. Default 100 (real mail
    /// seldom nests past ten; the parser uses no recursion, so this bounds memory only).
    pub max_depth: usize,
    /// Most entities in one message, the message itself included. Default 50 000.
    pub max_parts: usize,
    /// Largest header block of one entity, in octets. Default 1 MiB.
    pub max_header_size: usize,
    /// Most Content-Type / Content-Disposition parameters (RFC 2231 sections count one each).
    /// Default 1 000.
    pub max_params: usize,
    /// Longest line, in octets, that may still be a multipart delimiter line (the boundary,
    /// dashes and trailing white space). Longer lines are body text. Default 1 024.
    pub max_delimiter_line: usize,
}

impl MimeLimits {
    /// The documented safe defaults.
    pub const DEFAULT: Self = Self {
        max_depth: 100,
        max_parts: 50_000,
        max_header_size: 1024 * 1024,
        max_params: 1000,
        max_delimiter_line: 1024,
    };

    /// Defaults with the given depth, part count and header size.
    pub fn new(max_depth: usize, max_parts: usize, max_header_size: usize) -> Self {
        Self { max_depth, max_parts, max_header_size, ..Self::DEFAULT }
    }
}

impl Default for MimeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
