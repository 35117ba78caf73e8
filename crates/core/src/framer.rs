//! Line framing: arbitrary input chunks in, complete lines out, under a length limit.

use bytes::{Buf, Bytes, BytesMut};

/// Which line endings a [`LineFramer`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LineEndings {
    /// Only CRLF ends a line (the RFCs' rule). A bare LF is kept inside the line, for the
    /// parser to reject or tolerate. The default.
    #[default]
    Crlf,
    /// CRLF or a bare LF ends a line (for peers that send bare LF). The ending is reported on
    /// each [`Line`] so that a parser can flag it.
    Lenient,
}

/// The ending that terminated one [`Line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `\r\n`.
    Crlf,
    /// A bare `\n` (only under [`LineEndings::Lenient`]).
    Lf,
}

impl LineEnding {
    /// The ending's length in octets.
    pub const fn len(self) -> usize {
        match self {
            Self::Crlf => 2,
            Self::Lf => 1,
        }
    }

    /// Always false: a line ending is never empty (present for clippy's `len_without_is_empty`).
    pub const fn is_empty(self) -> bool {
        false
    }
}

/// One complete line, as a zero-copy slice of the framer's buffer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Line {
    raw: Bytes,
    ending: LineEnding,
}

impl Line {
    /// The line's bytes without its ending (a cheap reference-counted slice).
    pub fn content(&self) -> Bytes {
        self.raw.slice(..self.content_len())
    }

    /// The line's bytes without its ending, borrowed.
    pub fn as_content(&self) -> &[u8] {
        self.raw.get(..self.content_len()).unwrap_or_default()
    }

    /// The line with its ending, exactly as received.
    pub const fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// Consumes the line, giving its bytes with the ending.
    pub fn into_raw(self) -> Bytes {
        self.raw
    }

    /// Which ending terminated the line.
    pub const fn ending(&self) -> LineEnding {
        self.ending
    }

    fn content_len(&self) -> usize {
        self.raw.len() - self.ending.len()
    }
}

/// A framing error. The framer has already resynchronised when it returns one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A line grew past the limit. Its bytes were dropped; the framer discards the rest of it,
    /// without buffering, up to and including the next line ending, then frames normally.
    #[error("line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force, in octets including the line ending.
        limit: usize,
    },
}

/// Splits a byte stream into lines.
///
/// Bytes are copied once, into the framer's buffer, by [`push`](Self::push); each line is then
/// split off that buffer as [`Bytes`] without a further copy. Each byte is scanned once for a
/// line ending, however the input is chunked, so the cost is linear in the input.
///
/// A line longer than the limit (counting its ending) yields [`FrameError::LineTooLong`] as
/// soon as the framer knows it cannot fit; the rest of that line is then skipped without being
/// buffered. A bare CR never ends a line.
#[derive(Debug, Clone)]
pub struct LineFramer {
    buf: BytesMut,
    max_line: usize,
    endings: LineEndings,
    /// Bytes at the front of `buf` already searched for a line end (none found).
    scanned: usize,
    /// Skipping the rest of an over-long line.
    discarding: bool,
    /// While discarding: the last byte skipped was a CR (a following LF ends the line).
    discarded_cr: bool,
}

impl LineFramer {
    /// A framer that accepts lines of at most `max_line` octets including their ending.
    pub fn new(max_line: usize, endings: LineEndings) -> Self {
        Self {
            buf: BytesMut::new(),
            max_line,
            endings,
            scanned: 0,
            discarding: false,
            discarded_cr: false,
        }
    }

    /// Appends bytes read from the transport.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line, a framing error, or `None` when more input is needed.
    pub fn next_line(&mut self) -> Option<Result<Line, FrameError>> {
        if self.discarding && !self.skip_discarded() {
            return None;
        }
        let mut from = self.scanned;
        while let Some(rel) = self.buf.get(from..).and_then(|rest| memchr::memchr(b'\n', rest)) {
            let lf = from + rel;
            let crlf = lf > 0 && self.buf.get(lf - 1) == Some(&b'\r');
            let ending = if crlf {
                LineEnding::Crlf
            } else if self.endings == LineEndings::Lenient {
                LineEnding::Lf
            } else {
                from = lf + 1;
                continue;
            };
            let end = lf + 1;
            self.scanned = 0;
            if end > self.max_line {
                self.buf.advance(end);
                return Some(Err(FrameError::LineTooLong { limit: self.max_line }));
            }
            let raw = self.buf.split_to(end).freeze();
            return Some(Ok(Line { raw, ending }));
        }
        self.scanned = self.buf.len();
        if self.buf.len() >= self.max_line {
            // Even the shortest ending would take the line past the limit.
            self.discarding = true;
            self.discarded_cr = self.buf.last() == Some(&b'\r');
            self.buf.clear();
            self.scanned = 0;
            return Some(Err(FrameError::LineTooLong { limit: self.max_line }));
        }
        None
    }

    /// Drops buffered bytes up to the end of the over-long line; true once it has ended.
    fn skip_discarded(&mut self) -> bool {
        let mut from = 0;
        while let Some(rel) = self.buf.get(from..).and_then(|rest| memchr::memchr(b'\n', rest)) {
            let lf = from + rel;
            let after_cr =
                if lf == 0 { self.discarded_cr } else { self.buf.get(lf - 1) == Some(&b'\r') };
            if after_cr || self.endings == LineEndings::Lenient {
                self.buf.advance(lf + 1);
                self.discarding = false;
                self.discarded_cr = false;
                return true;
            }
            from = lf + 1;
        }
        if let Some(&last) = self.buf.last() {
            self.discarded_cr = last == b'\r';
        }
        self.buf.clear();
        false
    }

    /// Takes up to `max` buffered bytes as they are, bypassing line framing (for IMAP
    /// literals and streamed bodies). Returns `None` when nothing is buffered.
    pub fn take_raw(&mut self, max: usize) -> Option<Bytes> {
        if self.buf.is_empty() || max == 0 || self.discarding {
            return None;
        }
        let n = max.min(self.buf.len());
        self.scanned = self.scanned.saturating_sub(n);
        Some(self.buf.split_to(n).freeze())
    }

    /// Takes every buffered byte (for handing the rest of the stream to another decoder).
    pub fn take_buffered(&mut self) -> Bytes {
        self.scanned = 0;
        if self.discarding {
            self.buf.clear();
            return Bytes::new();
        }
        self.buf.split().freeze()
    }

    /// The bytes buffered and not yet returned. After a STARTTLS go-ahead this must be empty,
    /// or the peer injected plaintext.
    pub fn buffered(&self) -> &[u8] {
        if self.discarding { &[] } else { &self.buf }
    }

    /// Whether the framer is skipping the rest of an over-long line.
    pub const fn is_discarding(&self) -> bool {
        self.discarding
    }

    /// The line length limit, in octets including the ending.
    pub const fn max_line(&self) -> usize {
        self.max_line
    }

    /// Changes the line length limit for lines not yet returned.
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
    }

    /// The line-ending policy.
    pub const fn endings(&self) -> LineEndings {
        self.endings
    }

    /// Changes the line-ending policy for lines not yet returned.
    pub fn set_endings(&mut self, endings: LineEndings) {
        self.endings = endings;
        self.scanned = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Out = Vec<Result<(Vec<u8>, LineEnding), FrameError>>;

    fn drain(f: &mut LineFramer, out: &mut Out) {
        while let Some(r) = f.next_line() {
            out.push(r.map(|l| (l.as_content().to_vec(), l.ending())));
        }
    }

    /// Whole input, byte by byte, and with trailing bytes: the three must agree.
    fn three_way(input: &[u8], max: usize, endings: LineEndings) -> (Out, Vec<u8>) {
        let mut whole = LineFramer::new(max, endings);
        let mut out_whole = Vec::new();
        whole.push(input);
        drain(&mut whole, &mut out_whole);

        let mut bytewise = LineFramer::new(max, endings);
        let mut out_bytes = Vec::new();
        for b in input {
            bytewise.push(core::slice::from_ref(b));
            drain(&mut bytewise, &mut out_bytes);
        }
        assert_eq!(out_whole, out_bytes, "byte-by-byte differs from whole");
        assert_eq!(whole.buffered(), bytewise.buffered());

        // Trailing bytes of an unfinished line stay buffered and do not change earlier lines.
        let mut trailing = LineFramer::new(max, endings);
        let mut out_trailing = Vec::new();
        trailing.push(input);
        trailing.push(b"T");
        drain(&mut trailing, &mut out_trailing);
        assert_eq!(out_whole, out_trailing, "trailing bytes changed the lines");
        if !whole.is_discarding() {
            let mut rest = whole.buffered().to_vec();
            rest.extend_from_slice(b"T");
            assert_eq!(trailing.buffered(), &rest[..]);
        }
        (out_whole, whole.buffered().to_vec())
    }

    #[allow(clippy::unnecessary_wraps, reason = "builds an expected framer result")]
    fn ok(s: &[u8]) -> Result<(Vec<u8>, LineEnding), FrameError> {
        Ok((s.to_vec(), LineEnding::Crlf))
    }

    #[test]
    fn crlf_lines() {
        let (lines, rest) = three_way(b"EHLO a\r\n\r\nMAIL FROM:<>\r\nRC", 100, LineEndings::Crlf);
        assert_eq!(lines, vec![ok(b"EHLO a"), ok(b""), ok(b"MAIL FROM:<>")]);
        assert_eq!(rest, b"RC");
    }

    #[test]
    fn strict_mode_keeps_bare_lf_and_bare_cr_inside_the_line() {
        let (lines, rest) = three_way(b"a\nb\rc\r\nd\n", 100, LineEndings::Crlf);
        assert_eq!(lines, vec![ok(b"a\nb\rc")]);
        assert_eq!(rest, b"d\n");
    }

    #[test]
    fn lenient_mode_accepts_bare_lf_never_bare_cr() {
        let (lines, rest) = three_way(b"a\nb\rc\r\nd\n\ne\r", 100, LineEndings::Lenient);
        assert_eq!(
            lines,
            vec![
                Ok((b"a".to_vec(), LineEnding::Lf)),
                ok(b"b\rc"),
                Ok((b"d".to_vec(), LineEnding::Lf)),
                Ok((b"".to_vec(), LineEnding::Lf)),
            ]
        );
        assert_eq!(rest, b"e\r");
    }

    #[test]
    fn line_at_the_limit_passes_one_over_fails() {
        // limit counts the ending: "abc\r\n" is 5 octets
        let (lines, _) = three_way(b"abc\r\n", 5, LineEndings::Crlf);
        assert_eq!(lines, vec![ok(b"abc")]);
        let (lines, _) = three_way(b"abcd\r\nok\r\n", 5, LineEndings::Crlf);
        assert_eq!(lines, vec![Err(FrameError::LineTooLong { limit: 5 }), ok(b"ok")]);
    }

    #[test]
    fn overlong_line_errors_once_and_resynchronises() {
        let mut input = vec![b'x'; 10_000];
        input.extend_from_slice(b"\r\nNOOP\r\n");
        let (lines, rest) = three_way(&input, 64, LineEndings::Crlf);
        assert_eq!(lines, vec![Err(FrameError::LineTooLong { limit: 64 }), ok(b"NOOP")]);
        assert!(rest.is_empty());
    }

    #[test]
    fn overlong_line_is_not_buffered() {
        let mut f = LineFramer::new(16, LineEndings::Crlf);
        f.push(&[b'x'; 20]);
        assert_eq!(f.next_line(), Some(Err(FrameError::LineTooLong { limit: 16 })));
        for _ in 0..1000 {
            f.push(&[b'y'; 100]);
            assert_eq!(f.next_line(), None);
            assert!(f.buf.is_empty(), "discarded bytes must not accumulate");
        }
        f.push(b"\r\nQUIT\r\n");
        assert_eq!(f.next_line().unwrap().unwrap().as_content(), b"QUIT");
    }

    #[test]
    fn resync_in_strict_mode_needs_crlf_even_split() {
        // the CR ends one chunk, the LF starts the next: still the end of the long line
        let mut f = LineFramer::new(8, LineEndings::Crlf);
        f.push(b"0123456789\r");
        assert!(matches!(f.next_line(), Some(Err(_))));
        f.push(b"\nA\r\n");
        assert_eq!(f.next_line().unwrap().unwrap().as_content(), b"A");
        // a bare LF does not resynchronise in strict mode
        let mut f = LineFramer::new(8, LineEndings::Crlf);
        f.push(b"0123456789\nB\r\nC\r\n");
        assert!(matches!(f.next_line(), Some(Err(_))));
        assert_eq!(f.next_line().unwrap().unwrap().as_content(), b"C");
    }

    #[test]
    fn take_raw_and_buffered() {
        let mut f = LineFramer::new(100, LineEndings::Crlf);
        f.push(b"A\r\nliteral-bytesB\r\n");
        assert_eq!(f.next_line().unwrap().unwrap().as_content(), b"A");
        assert_eq!(&f.take_raw(13).unwrap()[..], b"literal-bytes");
        assert_eq!(f.next_line().unwrap().unwrap().as_content(), b"B");
        assert!(f.take_raw(5).is_none());
        f.push(b"rest");
        assert_eq!(f.buffered(), b"rest");
        assert_eq!(&f.take_buffered()[..], b"rest");
        assert!(f.buffered().is_empty());
    }

    #[test]
    fn raw_keeps_the_ending_and_content_is_zero_copy() {
        let mut f = LineFramer::new(100, LineEndings::Lenient);
        f.push(b"abc\r\nxy\n");
        let a = f.next_line().unwrap().unwrap();
        assert_eq!(&a.raw()[..], b"abc\r\n");
        assert_eq!(a.content().as_ptr(), a.raw().as_ptr());
        let b = f.next_line().unwrap().unwrap();
        assert_eq!(&b.clone().into_raw()[..], b"xy\n");
        assert_eq!(b.ending(), LineEnding::Lf);
    }

    #[test]
    fn scanning_is_linear_in_a_long_unfinished_line() {
        // pushing a 1 MiB line one byte at a time would be quadratic if each call rescanned
        let mut f = LineFramer::new(2 * 1024 * 1024, LineEndings::Crlf);
        for _ in 0..(1024 * 1024) {
            f.push(b"a");
            assert!(f.next_line().is_none());
        }
        assert_eq!(f.scanned, 1024 * 1024);
        f.push(b"\r\n");
        assert_eq!(f.next_line().unwrap().unwrap().as_content().len(), 1024 * 1024);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_chunking_gives_the_same_lines(
                input in proptest::collection::vec(prop_oneof![
                    Just(b'\r'), Just(b'\n'), Just(b'a'), Just(b'.')], 0..300),
                cuts in proptest::collection::vec(0usize..300, 0..10),
                max in 1usize..40,
                lenient in any::<bool>(),
            ) {
                let endings = if lenient { LineEndings::Lenient } else { LineEndings::Crlf };
                let mut whole = LineFramer::new(max, endings);
                let mut expect = Vec::new();
                whole.push(&input);
                drain(&mut whole, &mut expect);

                let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
                cuts.sort_unstable();
                let mut f = LineFramer::new(max, endings);
                let mut got = Vec::new();
                let mut prev = 0;
                for c in cuts.into_iter().chain([input.len()]) {
                    f.push(&input[prev..c]);
                    drain(&mut f, &mut got);
                    prev = c;
                }
                prop_assert_eq!(&got, &expect);
                // every returned line respects the limit
                for (content, ending) in got.iter().flatten() {
                    prop_assert!(content.len() + ending.len() <= max);
                }
            }
        }
    }
}
