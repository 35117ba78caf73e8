//! Bounds on everything a peer can make a machine hold.

/// Every bound a protocol machine or parser enforces.
///
/// Exceeding a limit is always a typed error (or a protocol reply such as SMTP `500 5.5.2`),
/// never a panic and never unbounded memory. The defaults accept real-world traffic from
/// the large providers and open-source servers while keeping a hostile peer's cost small.
///
/// The struct is `#[non_exhaustive]` so that new bounds can be added without breaking
/// callers: start from [`Limits::default()`] and change fields or use the `with_*` setters.
///
/// ```
/// use mailwire_core::Limits;
///
/// let limits = Limits::default().with_line_length(2048).with_recipients(50);
/// assert_eq!(limits.line_length, 2048);
/// assert_eq!(limits.recipients, 50);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Longest line, in octets including its line ending, that a framer buffers.
    ///
    /// Default 8 192. RFC 5321 4.5.3.1 sets 512 for SMTP command lines and 1000 for text
    /// lines, RFC 1939 sets 512 for POP3 responses; real servers exceed both, with extensions
    /// adding parameters, so the default leaves a wide margin while bounding memory.
    pub line_length: usize,
    /// Most lines in one multi-line reply or response (SMTP `250-...` lines, POP3 CAPA).
    ///
    /// Default 1 000. An EHLO reply has about 20 lines; a peer that sends thousands is hostile.
    pub reply_lines: usize,
    /// Largest literal (IMAP `{n}`) a parser accepts, in octets. Literals are streamed, so
    /// this bounds the transfer, not memory. Default 64 MiB.
    pub literal_size: u64,
    /// Largest message body a machine accepts or sends, in octets. Bodies are streamed, so this
    /// bounds the transfer, not memory. Default 64 MiB (above the 25–50 MB limits of the large
    /// providers).
    pub message_size: u64,
    /// Largest header block of one MIME entity, in octets. Default 1 MiB.
    pub header_size: usize,
    /// Deepest nesting of structures (multipart, BODYSTRUCTURE, parenthesised lists).
    ///
    /// Default 100 levels (RFC 5321 and RFC 2046 set no bound; real mail seldom nests past
    /// ten). Parsers handle nesting without recursion on the call stack, so this limit bounds
    /// memory, not stack depth.
    pub nesting_depth: usize,
    /// Most recipients in one SMTP transaction.
    ///
    /// Default 1 000 (RFC 5321 4.5.3.1.8 requires at least 100).
    pub recipients: usize,
}

impl Limits {
    /// The documented safe defaults (see each field).
    pub const DEFAULT: Self = Self {
        line_length: 8 * 1024,
        reply_lines: 1000,
        literal_size: 64 * 1024 * 1024,
        message_size: 64 * 1024 * 1024,
        header_size: 1024 * 1024,
        nesting_depth: 100,
        recipients: 1000,
    };

    /// Limits with every bound at its maximum value.
    ///
    /// # Danger
    ///
    /// With these limits a hostile or broken peer can make a machine buffer an endless line
    /// until the process runs out of memory, or nest structures until parsing takes forever.
    /// Use it only for trusted input in tests or offline tools; never on a network connection.
    pub const fn dangerously_unbounded() -> Self {
        Self {
            line_length: usize::MAX,
            reply_lines: usize::MAX,
            literal_size: u64::MAX,
            message_size: u64::MAX,
            header_size: usize::MAX,
            nesting_depth: usize::MAX,
            recipients: usize::MAX,
        }
    }

    /// Sets [`Limits::line_length`].
    #[must_use]
    pub const fn with_line_length(mut self, octets: usize) -> Self {
        self.line_length = octets;
        self
    }

    /// Sets [`Limits::reply_lines`].
    #[must_use]
    pub const fn with_reply_lines(mut self, lines: usize) -> Self {
        self.reply_lines = lines;
        self
    }

    /// Sets [`Limits::literal_size`].
    #[must_use]
    pub const fn with_literal_size(mut self, octets: u64) -> Self {
        self.literal_size = octets;
        self
    }

    /// Sets [`Limits::message_size`].
    #[must_use]
    pub const fn with_message_size(mut self, octets: u64) -> Self {
        self.message_size = octets;
        self
    }

    /// Sets [`Limits::header_size`].
    #[must_use]
    pub const fn with_header_size(mut self, octets: usize) -> Self {
        self.header_size = octets;
        self
    }

    /// Sets [`Limits::nesting_depth`].
    #[must_use]
    pub const fn with_nesting_depth(mut self, levels: usize) -> Self {
        self.nesting_depth = levels;
        self
    }

    /// Sets [`Limits::recipients`].
    #[must_use]
    pub const fn with_recipients(mut self, recipients: usize) -> Self {
        self.recipients = recipients;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::Limits;

    #[test]
    fn defaults_are_bounded_and_accept_real_mail() {
        let l = Limits::default();
        assert!(l.line_length >= 1000, "RFC 5321 text lines must fit");
        assert!(l.line_length <= 64 * 1024);
        assert!(l.recipients >= 100, "RFC 5321 4.5.3.1.8 minimum");
        assert!(l.nesting_depth >= 100, "real mail nests deeply");
        assert!(l.reply_lines < 100_000);
        assert!(l.header_size < usize::MAX);
    }

    #[test]
    fn unbounded_is_unbounded_and_distinct() {
        let u = Limits::dangerously_unbounded();
        assert_eq!(u.line_length, usize::MAX);
        assert_eq!(u.message_size, u64::MAX);
        assert_ne!(u, Limits::default());
    }

    #[test]
    fn setters_change_one_field() {
        let l = Limits::default().with_message_size(10).with_nesting_depth(3);
        assert_eq!(l.message_size, 10);
        assert_eq!(l.nesting_depth, 3);
        assert_eq!(l.line_length, Limits::DEFAULT.line_length);
    }
}
