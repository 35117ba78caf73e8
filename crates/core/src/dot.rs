//! The dot-stuffing transparency codec of SMTP DATA (RFC 5321 4.5.2) and POP3 multi-line
//! responses (RFC 1939 3), both directions, streaming across chunk boundaries.

use bytes::{BufMut, BytesMut};

/// Encodes a message body for SMTP DATA or a POP3 multi-line response.
///
/// Every line ending (CRLF, bare LF, bare CR) becomes CRLF, a leading dot is doubled on every
/// line including the first, and [`finish`](Self::finish) ends the body with `CRLF.CRLF`
/// (adding the CRLF before the dot only when the body does not already end with a line
/// ending). Feed the body in chunks of any size; the output does not depend on the chunking.
///
/// ```
/// use mailwire_core::{BytesMut, DotStuffer};
///
/// let mut out = BytesMut::new();
/// let mut enc = DotStuffer::new();
/// enc.encode(b".hidden\nlast", &mut out);
/// enc.finish(&mut out);
/// assert_eq!(&out[..], b"..hidden\r\nlast\r\n.\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct DotStuffer {
    at_line_start: bool,
    /// The previous chunk ended with a CR whose partner (LF or not) is still unknown.
    pending_cr: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotStuffer {
    /// An encoder at the start of a body.
    pub const fn new() -> Self {
        Self { at_line_start: true, pending_cr: false }
    }

    /// Encodes the next chunk of the body into `out`.
    pub fn encode(&mut self, input: &[u8], out: &mut BytesMut) {
        let mut rest = input;
        if self.pending_cr {
            let Some(&first) = rest.first() else { return };
            self.pending_cr = false;
            out.put_slice(b"\r\n");
            self.at_line_start = true;
            if first == b'\n' {
                rest = rest.get(1..).unwrap_or_default();
            }
        }
        out.reserve(rest.len() + rest.len() / 64 + 4);
        while let Some(&first) = rest.first() {
            if self.at_line_start && first == b'.' {
                out.put_u8(b'.');
            }
            self.at_line_start = false;
            let Some(pos) = memchr::memchr2(b'\r', b'\n', rest) else {
                out.put_slice(rest);
                return;
            };
            let (text, tail) = rest.split_at(pos);
            out.put_slice(text);
            match tail {
                [b'\r'] => {
                    self.pending_cr = true;
                    return;
                }
                [b'\r', b'\n', after @ ..] | [_, after @ ..] => {
                    // CRLF, or a bare LF / bare CR: each becomes CRLF
                    out.put_slice(b"\r\n");
                    self.at_line_start = true;
                    rest = after;
                }
                [] => return,
            }
        }
    }

    /// Ends the body: a CRLF if the body does not end with a line ending, then `.CRLF`.
    /// The encoder is then ready for another body.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.pending_cr || !self.at_line_start {
            out.put_slice(b"\r\n");
        }
        out.put_slice(b".\r\n");
        *self = Self::new();
    }

    /// Encodes a whole body, end marker included (a convenience for small bodies).
    pub fn encode_all(body: &[u8]) -> BytesMut {
        let mut out = BytesMut::with_capacity(body.len() + body.len() / 64 + 8);
        let mut enc = Self::new();
        enc.encode(body, &mut out);
        enc.finish(&mut out);
        out
    }
}

/// What a [`DotUnstuffer`] does with a bare LF or a bare CR inside a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BareLineEndings {
    /// Report a [`DotError`] (the bytes are still passed on as they are, so that the caller
    /// may resume). The default: bare line endings are how SMTP smuggling starts.
    #[default]
    Reject,
    /// Replace each bare LF and bare CR by CRLF.
    Normalize,
    /// Pass them on unchanged.
    Keep,
}

/// Progress of a [`DotUnstuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DotStatus {
    /// The end marker has not been seen yet: feed more input.
    NeedMore,
    /// The end marker `CRLF.CRLF` was seen. `consumed` octets of this input (up to and
    /// including the marker) belong to the body; the rest is the peer's next command or
    /// response and is left to the caller.
    Complete {
        /// Octets of this input consumed.
        consumed: usize,
    },
}

/// A bare line ending in a body under [`BareLineEndings::Reject`].
///
/// Decoding can resume: the offending byte has been passed on as it is, and `consumed`
/// says how much of the input was used, so `decode(&input[consumed..])` continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DotError {
    /// A LF not preceded by CR.
    #[error("bare LF in message body")]
    BareLf {
        /// Octets of this input consumed, the offending LF included.
        consumed: usize,
    },
    /// A CR not followed by LF.
    #[error("bare CR in message body")]
    BareCr {
        /// Octets of this input consumed (the CR itself may have ended an earlier chunk).
        consumed: usize,
    },
}

impl DotError {
    /// Octets of the input consumed before the error was reported.
    pub const fn consumed(&self) -> usize {
        match *self {
            Self::BareLf { consumed } | Self::BareCr { consumed } => consumed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// After a CRLF, or at the very start of the body.
    LineStart,
    /// A dot at a line start (dropped: either stuffing or the end marker).
    Dot,
    /// A dot and a CR at a line start: the end marker if a LF follows.
    DotCr,
    /// Inside a line.
    Text,
    /// Inside a line, after a CR.
    Cr,
    /// The end marker was seen.
    Done,
}

/// Decodes a dot-stuffed body (SMTP DATA on a server, a POP3 multi-line response on a client).
///
/// It starts at a line start, so a body of just `.CRLF` is empty and a dot on the first line
/// is unstuffed. The end is recognised only at `CRLF.CRLF` (or `.CRLF` at the very start):
/// `LF.LF`, `LF.CRLF`, `CRLF.LF`, `CR.CR` and the other smuggling variants never end a body.
/// A line start exists only after a real CRLF. A dot at a line start is removed when anything
/// other than CRLF follows (RFC 5321 4.5.2, RFC 1939 3). Bare line endings follow the
/// [`BareLineEndings`] policy.
///
/// The body handed to `out` keeps the CRLF that precedes the end marker (it ends the last
/// line). Work is linear: runs between line endings are found with `memchr` and copied whole.
///
/// ```
/// use mailwire_core::{BareLineEndings, BytesMut, DotStatus, DotUnstuffer};
///
/// let mut dec = DotUnstuffer::new(BareLineEndings::Reject);
/// let mut body = BytesMut::new();
/// let input = b"..dot\r\nend\r\n.\r\nQUIT\r\n";
/// let status = dec.decode(input, &mut body).unwrap();
/// assert_eq!(&body[..], b".dot\r\nend\r\n");
/// assert_eq!(status, DotStatus::Complete { consumed: input.len() - 6 });
/// ```
#[derive(Debug, Clone)]
pub struct DotUnstuffer {
    state: State,
    policy: BareLineEndings,
}

impl DotUnstuffer {
    /// A decoder at the start of a body.
    pub const fn new(policy: BareLineEndings) -> Self {
        Self { state: State::LineStart, policy }
    }

    /// Whether the end marker has been seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Prepares the decoder for the next body.
    pub fn reset(&mut self) {
        self.state = State::LineStart;
    }

    /// The policy for bare line endings.
    pub const fn policy(&self) -> BareLineEndings {
        self.policy
    }

    /// Decodes the next chunk, appending body bytes to `out`.
    ///
    /// After [`DotStatus::Complete`] further calls consume nothing until
    /// [`reset`](Self::reset).
    pub fn decode(&mut self, input: &[u8], out: &mut BytesMut) -> Result<DotStatus, DotError> {
        let mut i = 0; // next byte to look at
        let mut run = 0; // input[run..i] is body text not yet copied to out
        let n = input.len();
        // Where the bulk scan may next be tried (it is not retried inside a block it rejected,
        // so each byte is examined a bounded number of times).
        let mut bulk_from = 0;
        let result = loop {
            let Some(&byte) = input.get(i) else {
                break Ok(DotStatus::NeedMore);
            };
            match self.state {
                State::Done => break Ok(DotStatus::Complete { consumed: 0 }),
                State::Text => {
                    if i >= bulk_from {
                        let clean = clean_prefix(input.get(i..).unwrap_or_default());
                        if clean > 0 {
                            i += clean;
                            self.state = match input.get(i - 1) {
                                Some(b'\r') => State::Cr,
                                Some(b'\n') => State::LineStart,
                                _ => State::Text,
                            };
                            continue;
                        }
                        bulk_from = i + LANE + 1;
                    }
                    let rest = input.get(i..).unwrap_or_default();
                    match memchr::memchr2(b'\r', b'\n', rest) {
                        None => i = n,
                        Some(off) => {
                            let p = i + off;
                            if input.get(p) == Some(&b'\r') {
                                i = p + 1;
                                self.state = State::Cr;
                            } else {
                                i = p + 1;
                                if let Err(e) = self.bare(b'\n', input, &mut run, i, out) {
                                    break Err(e);
                                }
                            }
                        }
                    }
                }
                State::Cr => {
                    if byte == b'\n' {
                        i += 1;
                        self.state = State::LineStart;
                    } else {
                        // The CR before this byte is bare; it is already in the run (or
                        // copied with an earlier chunk). Re-examine `byte` as text.
                        self.state = State::Text;
                        if let Err(e) = self.bare(b'\r', input, &mut run, i, out) {
                            break Err(e);
                        }
                    }
                }
                State::LineStart => {
                    if byte == b'.' {
                        copy(input, run, i, out);
                        i += 1;
                        run = i;
                        self.state = State::Dot;
                    } else {
                        self.state = State::Text;
                    }
                }
                State::Dot => {
                    if byte == b'\r' {
                        // Hold the CR back: it is not body if a LF follows.
                        copy(input, run, i, out);
                        i += 1;
                        run = i;
                        self.state = State::DotCr;
                    } else {
                        // The stuffed dot is dropped; the line goes on (a bare LF included).
                        self.state = State::Text;
                    }
                }
                State::DotCr => {
                    if byte == b'\n' {
                        self.state = State::Done;
                        break Ok(DotStatus::Complete { consumed: i + 1 });
                    }
                    // `.CR` followed by something else: the held-back CR is a bare CR.
                    out.put_u8(b'\r');
                    self.state = State::Text;
                    if let Err(e) = self.bare(b'\r', input, &mut run, i, out) {
                        break Err(e);
                    }
                }
            }
        };
        if self.state != State::Done {
            copy(input, run, i.min(n), out);
        }
        result
    }

    /// Applies the policy to a bare `which` (CR or LF) that ends at `end` (already in the run
    /// `input[*run..end]`, or for a CR possibly already copied).
    fn bare(
        &self,
        which: u8,
        input: &[u8],
        run: &mut usize,
        end: usize,
        out: &mut BytesMut,
    ) -> Result<(), DotError> {
        match self.policy {
            BareLineEndings::Keep => Ok(()),
            BareLineEndings::Normalize => {
                if which == b'\n' {
                    // replace the LF (last byte of the run) by CRLF
                    copy(input, *run, end - 1, out);
                    out.put_slice(b"\r\n");
                } else {
                    // the CR is already emitted: add its LF
                    copy(input, *run, end, out);
                    out.put_u8(b'\n');
                }
                *run = end;
                Ok(())
            }
            BareLineEndings::Reject => {
                copy(input, *run, end, out);
                *run = end;
                Err(if which == b'\n' {
                    DotError::BareLf { consumed: end }
                } else {
                    DotError::BareCr { consumed: end }
                })
            }
        }
    }
}

/// Block size of the bulk scan.
const LANE: usize = 64;

/// The length of the longest prefix of `s`, in whole [`LANE`]-byte blocks, in which every CR is
/// followed by LF, every LF follows a CR, and no LF is followed by a dot: text that needs no
/// per-line work. The byte before `s` must not be a CR (the decoder is inside a line).
///
/// Each block is checked with a branch-free loop over byte pairs that the compiler vectorises;
/// the pair test also covers the first byte after the prefix, so the caller may resume from the
/// prefix's last byte.
fn clean_prefix(s: &[u8]) -> usize {
    if s.first() == Some(&b'\n') {
        return 0;
    }
    let mut k = 0;
    while let (Some(a), Some(b)) = (s.get(k..k + LANE), s.get(k + 1..=k + LANE)) {
        let mut bad = false;
        for (&x, &y) in a.iter().zip(b) {
            bad |= (x == b'\r') != (y == b'\n');
            // Bitwise on purpose: a branch here would stop the loop from vectorising.
            #[allow(clippy::needless_bitwise_bool, reason = "keeps the loop branch-free")]
            {
                bad |= (x == b'\n') & (y == b'.');
            }
        }
        if bad {
            break;
        }
        k += LANE;
    }
    k
}

fn copy(input: &[u8], from: usize, to: usize, out: &mut BytesMut) {
    if let Some(s) = input.get(from..to) {
        out.put_slice(s);
    }
}
