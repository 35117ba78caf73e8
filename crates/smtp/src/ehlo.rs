//! Typed EHLO (and LHLO) capabilities.

use bytes::Bytes;
use core::fmt::Write as _;

use crate::params::parse_size;
use crate::reply::{Reply, ReplyCode, ReplyError, parse_line_at};
use crate::types::{Keyword, Text, eq_ci};

/// `FUTURERELEASE max-interval max-date-time` (RFC 4865).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FutureRelease {
    /// Longest HOLDFOR interval, in seconds.
    pub max_interval: u64,
    /// Latest HOLDUNTIL date-time, as sent.
    pub max_datetime: Text,
}

/// `LIMITS` (RFC 9422): the server's announced per-session and per-transaction limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct ServerLimits {
    /// `MAILMAX`: most transactions per session.
    pub mail_max: Option<u64>,
    /// `RCPTMAX`: most recipients per transaction.
    pub rcpt_max: Option<u64>,
    /// `RCPTDOMAINMAX`: most recipient domains per transaction.
    pub rcpt_domain_max: Option<u64>,
    /// Other `NAME=value` limits, as sent.
    pub other: Vec<Text>,
}

/// An EHLO keyword this crate has no type for, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    /// The keyword.
    pub keyword: Keyword,
    /// The rest of the line after the keyword (may be empty).
    pub params: Text,
}

/// What a server advertised in its EHLO (or LHLO) reply.
///
/// Build one with [`Capabilities::from_reply`], or start from `Capabilities::default()` to
/// describe a server and turn it into a reply with [`Capabilities::to_reply`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Capabilities {
    /// The first line: the server's domain and greeting text.
    pub greeting: Text,
    /// `SIZE [n]` (RFC 1870): `Some(0)` when advertised without a fixed limit.
    pub size: Option<u64>,
    /// `AUTH mech...` (RFC 4954).
    pub auth: Vec<Keyword>,
    /// `PIPELINING` (RFC 2920).
    pub pipelining: bool,
    /// `8BITMIME` (RFC 6152).
    pub eight_bit_mime: bool,
    /// `BINARYMIME` (RFC 3030).
    pub binary_mime: bool,
    /// `CHUNKING` (RFC 3030).
    pub chunking: bool,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `DSN` (RFC 3461).
    pub dsn: bool,
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    pub enhanced_status_codes: bool,
    /// `STARTTLS` (RFC 3207).
    pub starttls: bool,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `MT-PRIORITY [profile]` (RFC 6710): `Some(profile)`, the profile possibly empty.
    pub mt_priority: Option<Text>,
    /// `DELIVERBY [min]` (RFC 2852): `Some(min)`, 0 when no minimum was given.
    pub deliver_by: Option<u64>,
    /// `FUTURERELEASE` (RFC 4865).
    pub future_release: Option<FutureRelease>,
    /// `LIMITS` (RFC 9422).
    pub limits: Option<ServerLimits>,
    /// `RRVS` (RFC 7293).
    pub rrvs: bool,
    /// Keywords without a type here, in order.
    pub other: Vec<Extension>,
}

/// The first space-separated word of `b`.
fn first_word(b: &[u8]) -> Option<&[u8]> {
    let start = b.iter().position(|&c| c != b' ')?;
    let rest = b.get(start..)?;
    rest.get(..crate::types::find(b' ', rest).unwrap_or(rest.len()))
}

fn words(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    b.split(|&c| c == b' ').filter(|w| !w.is_empty())
}

impl Capabilities {
    /// Reads the capabilities from a positive EHLO/LHLO reply. Lines that are not a keyword
    /// are kept in `other` when they can be; unknown keywords are kept.
    pub fn from_reply(reply: &Reply) -> Self {
        let raw = reply.raw();
        let mut ranges = reply.line_ranges();
        let greeting =
            ranges.next().map_or_else(Text::empty, |(a, b)| Text::new_unchecked(raw.slice(a..b)));
        let mut caps = Self { greeting, ..Self::default() };
        for (a, b) in ranges {
            caps.add_line(raw, a, b);
        }
        caps
    }

    /// Parses an EHLO/LHLO reply straight from the wire in one pass (the same result as
    /// [`Reply::parse`] then [`Capabilities::from_reply`], without building the `Reply`).
    /// Returns `Ok(None)` while incomplete, else the capabilities, the reply code (check that
    /// it is 250) and the octets used.
    ///
    /// ```
    /// use mailwire_smtp::{Bytes, Capabilities};
    ///
    /// let wire = Bytes::from_static(b"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
    /// let (caps, code, used) = Capabilities::parse(&wire, 100).unwrap().unwrap();
    /// assert!(caps.pipelining && caps.size == Some(1000) && code.get() == 250);
    /// assert_eq!(used, wire.len());
    /// ```
    pub fn parse(
        input: &Bytes,
        max_lines: usize,
    ) -> Result<Option<(Self, ReplyCode, usize)>, ReplyError> {
        let mut caps = Self::default();
        let mut code = 0;
        // the first line's code as sent (three digits, checked by `parse_line_at`)
        let mut digits = [0u8; 3];
        let mut pos = 0;
        let mut n = 0;
        loop {
            // The common keyword-only line (`250-PIPELINING` CRLF) is read in one pass; any
            // other line goes through the general steps below.
            if n > 0
                && let Some(&[a, b, c, sep]) = input.get(pos..pos + 4)
                && matches!(sep, b'-' | b' ')
                && [a, b, c] == digits
            {
                let text = pos + 4;
                let flag_end = caps.flag_line(input, text);
                let kw_end = flag_end
                    .unwrap_or_else(|| crate::types::span(input, text, crate::types::KEYWORD_CHAR));
                if kw_end > text
                    && let Some(&[b'\r', b'\n']) = input.get(kw_end..kw_end + 2)
                {
                    if flag_end.is_none() {
                        caps.add_keyword(input, text, kw_end);
                    }
                    if n >= max_lines {
                        return Err(ReplyError::TooManyLines { limit: max_lines });
                    }
                    n += 1;
                    pos = kw_end + 2;
                    if sep == b' ' {
                        let code = ReplyCode::new(code).map_err(|_| ReplyError::Malformed)?;
                        return Ok(Some((caps, code, pos)));
                    }
                    continue;
                }
                // `250-SIZE 1000`: the keyword is read; the line end is looked for from its
                // parameters on, which must hold no CR or NUL
                if kw_end > text
                    && input.get(kw_end) == Some(&b' ')
                    && let Some(lf) = crate::types::find_lf(input, kw_end)
                {
                    let end = if input.get(lf - 1) == Some(&b'\r') { lf - 1 } else { lf };
                    let params = input.get(kw_end..end).unwrap_or_default();
                    if !params.iter().any(|&c| c == b'\r' || c == 0) {
                        caps.add_line(input, text, end);
                        if n >= max_lines {
                            return Err(ReplyError::TooManyLines { limit: max_lines });
                        }
                        n += 1;
                        pos = lf + 1;
                        if sep == b' ' {
                            let code = ReplyCode::new(code).map_err(|_| ReplyError::Malformed)?;
                            return Ok(Some((caps, code, pos)));
                        }
                        continue;
                    }
                }
            }
            let Some(lf) = crate::types::find_lf(input, pos) else { return Ok(None) };
            let end = if lf > pos && input.get(lf - 1) == Some(&b'\r') { lf - 1 } else { lf };
            let (c, last, text) = parse_line_at(input, pos, end)?;
            if n == 0 {
                code = c;
                if let Some(d) = input.get(pos..pos + 3) {
                    digits.copy_from_slice(d);
                }
                caps.greeting = Text::new_unchecked(input.slice(text..end));
            } else if c != code {
                return Err(ReplyError::CodeMismatch { first: code, line: c });
            } else {
                caps.add_line(input, text, end);
            }
            if n >= max_lines {
                return Err(ReplyError::TooManyLines { limit: max_lines });
            }
            n += 1;
            pos = lf + 1;
            if last {
                let code = ReplyCode::new(code).map_err(|_| ReplyError::Malformed)?;
                return Ok(Some((caps, code, pos)));
            }
        }
    }

    /// A flag keyword alone on its line from `t` (`PIPELINING` CRLF): sets the flag and
    /// returns where the keyword ends, matched from its first four octets instead of octet by
    /// octet. `None` for any other line.
    #[inline]
    fn flag_line(&mut self, input: &[u8], t: usize) -> Option<usize> {
        #[allow(clippy::inline_always, reason = "the literal must be known for eq_ci to fold")]
        #[inline(always)]
        fn at<const N: usize>(input: &[u8], t: usize, lit: &[u8; N]) -> Option<usize> {
            (input.get(t..t + N).is_some_and(|v| eq_ci(v, lit))
                && input.get(t + N..t + N + 2) == Some(b"\r\n"))
            .then_some(t + N)
        }
        const fn word(v: [u8; 4]) -> u32 {
            u32::from_le_bytes(v) | 0x2020_2020
        }
        const PIPE: u32 = word(*b"PIPE");
        const BIT8: u32 = word(*b"8BIT");
        const BINA: u32 = word(*b"BINA");
        const CHUN: u32 = word(*b"CHUN");
        const SMTP: u32 = word(*b"SMTP");
        const DSN: u32 = word(*b"DSN\r");
        const ENHA: u32 = word(*b"ENHA");
        const STAR: u32 = word(*b"STAR");
        const REQU: u32 = word(*b"REQU");
        const RRVS: u32 = word(*b"RRVS");
        let &[a, b, c, d] = input.get(t..t + 4)? else { return None };
        let (end, flag) = match word([a, b, c, d]) {
            PIPE => (at(input, t, b"PIPELINING")?, &mut self.pipelining),
            BIT8 => (at(input, t, b"8BITMIME")?, &mut self.eight_bit_mime),
            BINA => (at(input, t, b"BINARYMIME")?, &mut self.binary_mime),
            CHUN => (at(input, t, b"CHUNKING")?, &mut self.chunking),
            SMTP => (at(input, t, b"SMTPUTF8")?, &mut self.smtputf8),
            DSN => (at(input, t, b"DSN")?, &mut self.dsn),
            ENHA => (at(input, t, b"ENHANCEDSTATUSCODES")?, &mut self.enhanced_status_codes),
            STAR => (at(input, t, b"STARTTLS")?, &mut self.starttls),
            REQU => (at(input, t, b"REQUIRETLS")?, &mut self.requiretls),
            RRVS => (at(input, t, b"RRVS")?, &mut self.rrvs),
            _ => return None,
        };
        *flag = true;
        Some(end)
    }

    /// Reads the line `raw[start..end]` that holds only a keyword (letters, digits, `-`,
    /// `_`): the flag keywords here, the others through [`add_line`](Self::add_line).
    #[inline]
    fn add_keyword(&mut self, raw: &Bytes, start: usize, end: usize) {
        let kw = raw.get(start..end).unwrap_or_default();
        let flag = match (kw.len(), kw.first().map(|c| c | 0x20)) {
            (10, Some(b'p')) if eq_ci(kw, b"PIPELINING") => &mut self.pipelining,
            (8, Some(b'8')) if eq_ci(kw, b"8BITMIME") => &mut self.eight_bit_mime,
            (10, Some(b'b')) if eq_ci(kw, b"BINARYMIME") => &mut self.binary_mime,
            (8, Some(b'c')) if eq_ci(kw, b"CHUNKING") => &mut self.chunking,
            (8, Some(b's')) if eq_ci(kw, b"SMTPUTF8") => &mut self.smtputf8,
            (3, Some(b'd')) if eq_ci(kw, b"DSN") => &mut self.dsn,
            (19, Some(b'e')) if eq_ci(kw, b"ENHANCEDSTATUSCODES") => {
                &mut self.enhanced_status_codes
            }
            (8, Some(b's')) if eq_ci(kw, b"STARTTLS") => &mut self.starttls,
            (10, Some(b'r')) if eq_ci(kw, b"REQUIRETLS") => &mut self.requiretls,
            (4, Some(b'r')) if eq_ci(kw, b"RRVS") => &mut self.rrvs,
            _ => return self.add_line(raw, start, end),
        };
        *flag = true;
    }

    /// Reads the keyword line `raw[start..end]`.
    fn add_line(&mut self, raw: &Bytes, start: usize, end: usize) {
        let b = raw.get(start..end).unwrap_or_default();
        let kw_end = b.iter().position(|&c| c == b' ' || c == b'=').unwrap_or(b.len());
        let kw = b.get(..kw_end).unwrap_or_default();
        let rest_at = (kw_end + 1).min(b.len());
        let rest = b.get(rest_at..).unwrap_or_default();
        match kw.len() {
            4 if eq_ci(kw, b"SIZE") => {
                self.size = Some(first_word(rest).and_then(parse_size).unwrap_or(0));
            }
            4 if eq_ci(kw, b"AUTH") => {
                // tolerated: the pre-standard `AUTH=PLAIN LOGIN` form, sent next to `AUTH` by
                // old servers for old clients; both forms add to one list.
                let n = b.len();
                let mut i = rest_at;
                if self.auth.capacity() == 0 {
                    // one allocation for the usual few mechanisms
                    self.auth = Vec::with_capacity(4);
                }
                while i < n {
                    if b.get(i) == Some(&b' ') {
                        i += 1;
                        continue;
                    }
                    let e = crate::types::find(b' ', b.get(i..).unwrap_or_default())
                        .map_or(n, |r| i + r);
                    let mech = b.get(i..e).unwrap_or_default();
                    if !self.auth.iter().any(|k| k.is_bytes(mech))
                        && let Ok(k) = Keyword::from_frame(raw, start + i, start + e)
                    {
                        self.auth.push(k);
                    }
                    i = e;
                }
            }
            _ if b.get(kw_end) == Some(&b'=') => self.push_other(raw, start, end, kw_end),
            10 if eq_ci(kw, b"PIPELINING") => self.pipelining = true,
            8 if eq_ci(kw, b"8BITMIME") => self.eight_bit_mime = true,
            10 if eq_ci(kw, b"BINARYMIME") => self.binary_mime = true,
            8 if eq_ci(kw, b"CHUNKING") => self.chunking = true,
            8 if eq_ci(kw, b"SMTPUTF8") => self.smtputf8 = true,
            3 if eq_ci(kw, b"DSN") => self.dsn = true,
            19 if eq_ci(kw, b"ENHANCEDSTATUSCODES") => self.enhanced_status_codes = true,
            8 if eq_ci(kw, b"STARTTLS") => self.starttls = true,
            10 if eq_ci(kw, b"REQUIRETLS") => self.requiretls = true,
            4 if eq_ci(kw, b"RRVS") => self.rrvs = true,
            11 if eq_ci(kw, b"MT-PRIORITY") => {
                self.mt_priority = Some(Text::new_unchecked(raw.slice(start + rest_at..end)));
            }
            9 if eq_ci(kw, b"DELIVERBY") => {
                self.deliver_by = Some(words(rest).next().and_then(parse_size).unwrap_or(0));
            }
            13 if eq_ci(kw, b"FUTURERELEASE") => {
                let mut w = words(rest);
                match (w.next().and_then(parse_size), w.next(), w.next()) {
                    (Some(max_interval), Some(dt), None) => {
                        self.future_release = Some(FutureRelease {
                            max_interval,
                            max_datetime: Text::new_unchecked(Bytes::copy_from_slice(dt)),
                        });
                    }
                    _ => self.push_other(raw, start, end, kw_end),
                }
            }
            6 if eq_ci(kw, b"LIMITS") => {
                let mut l = ServerLimits::default();
                for w in words(rest) {
                    let (k, v) = match w.iter().position(|&c| c == b'=') {
                        Some(eq) => (w.get(..eq).unwrap_or_default(), w.get(eq + 1..)),
                        None => (w, None),
                    };
                    let n = v.and_then(parse_size);
                    let slot = if k.eq_ignore_ascii_case(b"MAILMAX") {
                        &mut l.mail_max
                    } else if k.eq_ignore_ascii_case(b"RCPTMAX") {
                        &mut l.rcpt_max
                    } else if k.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                        &mut l.rcpt_domain_max
                    } else {
                        l.other.push(Text::new_unchecked(Bytes::copy_from_slice(w)));
                        continue;
                    };
                    match n {
                        Some(n) if slot.is_none() => *slot = Some(n),
                        _ => l.other.push(Text::new_unchecked(Bytes::copy_from_slice(w))),
                    }
                }
                self.limits = Some(l);
            }
            _ => self.push_other(raw, start, end, kw_end),
        }
    }

    /// Keeps the line `raw[start..end]`, whose keyword ends at `start + kw_end`, in `other`.
    fn push_other(&mut self, raw: &Bytes, start: usize, end: usize, kw_end: usize) {
        let b = raw.get(start..end).unwrap_or_default();
        let Ok(keyword) = Keyword::from_frame(raw, start, start + kw_end) else { return };
        let params_at = (start + kw_end + 1).min(end);
        let params = if b.get(kw_end) == Some(&b'=') {
            // keep `KEY=value` lines whole in the keyword's params with the `=`
            let mut v = b"=".to_vec();
            v.extend_from_slice(raw.get(params_at..end).unwrap_or_default());
            Text::new_unchecked(Bytes::from(v))
        } else {
            Text::new_unchecked(raw.slice(params_at..end))
        };
        if self.other.capacity() == 0 {
            // one allocation for the usual few unknown keywords
            self.other = Vec::with_capacity(4);
        }
        self.other.push(Extension { keyword, params });
    }

    /// Whether `keyword` was advertised (typed or not), ignoring case.
    pub fn has(&self, keyword: &str) -> bool {
        let k = keyword.as_bytes();
        let is = |name: &[u8]| k.eq_ignore_ascii_case(name);
        (is(b"SIZE") && self.size.is_some())
            || (is(b"AUTH") && !self.auth.is_empty())
            || (is(b"PIPELINING") && self.pipelining)
            || (is(b"8BITMIME") && self.eight_bit_mime)
            || (is(b"BINARYMIME") && self.binary_mime)
            || (is(b"CHUNKING") && self.chunking)
            || (is(b"SMTPUTF8") && self.smtputf8)
            || (is(b"DSN") && self.dsn)
            || (is(b"ENHANCEDSTATUSCODES") && self.enhanced_status_codes)
            || (is(b"STARTTLS") && self.starttls)
            || (is(b"REQUIRETLS") && self.requiretls)
            || (is(b"RRVS") && self.rrvs)
            || (is(b"MT-PRIORITY") && self.mt_priority.is_some())
            || (is(b"DELIVERBY") && self.deliver_by.is_some())
            || (is(b"FUTURERELEASE") && self.future_release.is_some())
            || (is(b"LIMITS") && self.limits.is_some())
            || self.other.iter().any(|e| e.keyword.is(keyword))
    }

    /// Whether the SASL mechanism was advertised.
    pub fn has_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.is(mechanism))
    }

    /// The EHLO reply (code 250) advertising these capabilities.
    pub fn to_reply(&self) -> Reply {
        let mut lines = vec![self.greeting.clone()];
        let mut push = |s: String| lines.push(Text::new_unchecked(Bytes::from(s)));
        let flag = |on: bool, name: &str, push: &mut dyn FnMut(String)| {
            if on {
                push(name.to_owned());
            }
        };
        flag(self.pipelining, "PIPELINING", &mut push);
        match self.size {
            Some(0) => push("SIZE".into()),
            Some(n) => push(format!("SIZE {n}")),
            None => {}
        }
        flag(self.eight_bit_mime, "8BITMIME", &mut push);
        flag(self.binary_mime, "BINARYMIME", &mut push);
        flag(self.chunking, "CHUNKING", &mut push);
        flag(self.smtputf8, "SMTPUTF8", &mut push);
        flag(self.dsn, "DSN", &mut push);
        flag(self.enhanced_status_codes, "ENHANCEDSTATUSCODES", &mut push);
        flag(self.starttls, "STARTTLS", &mut push);
        flag(self.requiretls, "REQUIRETLS", &mut push);
        flag(self.rrvs, "RRVS", &mut push);
        if !self.auth.is_empty() {
            let mut s = String::from("AUTH");
            for m in &self.auth {
                s.push(' ');
                s.push_str(&m.to_text());
            }
            push(s);
        }
        if let Some(p) = &self.mt_priority {
            push(if p.is_empty() { "MT-PRIORITY".into() } else { format!("MT-PRIORITY {p}") });
        }
        match self.deliver_by {
            Some(0) => push("DELIVERBY".into()),
            Some(n) => push(format!("DELIVERBY {n}")),
            None => {}
        }
        if let Some(f) = &self.future_release {
            push(format!("FUTURERELEASE {} {}", f.max_interval, f.max_datetime));
        }
        if let Some(l) = &self.limits {
            let mut s = String::from("LIMITS");
            for (name, v) in [
                ("MAILMAX", l.mail_max),
                ("RCPTMAX", l.rcpt_max),
                ("RCPTDOMAINMAX", l.rcpt_domain_max),
            ] {
                if let Some(v) = v {
                    let _ = write!(s, " {name}={v}");
                }
            }
            for o in &l.other {
                s.push(' ');
                s.push_str(&o.to_text());
            }
            push(s);
        }
        for e in &self.other {
            let p = e.params.to_text();
            if p.is_empty() {
                push(e.keyword.to_text());
            } else if p.starts_with('=') {
                push(format!("{}{p}", e.keyword));
            } else {
                push(format!("{} {p}", e.keyword));
            }
        }
        Reply::from_lines(ReplyCode::OK, &lines)
    }
}
