//! MAIL and RCPT parameters (`esmtp-param`), typed for the standard extensions.

use bytes::{BufMut, Bytes, BytesMut};

use crate::types::{Keyword, ParamValue, XText, eq_ci, find_any, is_param_value, is_xtext};

/// A parameter the crate has no type for, kept as it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    /// The parameter name.
    pub keyword: Keyword,
    /// The value after `=`, if any.
    pub value: Option<ParamValue>,
}

/// `BODY=` (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyType {
    /// `7BIT`.
    SevenBit,
    /// `8BITMIME`.
    EightBitMime,
    /// `BINARYMIME` (needs BDAT).
    BinaryMime,
}

/// `RET=` (DSN, RFC 3461 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `FULL`: return the whole message.
    Full,
    /// `HDRS`: return the headers only.
    Hdrs,
}

/// `BY=` (RFC 2852): deliver-by time and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliverBy {
    /// Seconds (may be negative for mode R).
    pub seconds: i64,
    /// `R` (return if not delivered in time) or `N` (notify).
    pub mode: DeliverByMode,
    /// `T`: trace.
    pub trace: bool,
}

/// The mode letter of `BY=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliverByMode {
    /// `N`: notify.
    Notify,
    /// `R`: return.
    Return,
}

/// `AUTH=` on MAIL (RFC 4954 5): the authenticated submitter, or `<>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MailAuth {
    /// `AUTH=<>`: unknown or untrusted submitter.
    Unknown,
    /// The submitter, xtext-encoded.
    Identity(XText),
}

/// The parameters of `MAIL FROM`. Start from `MailParams::default()` and set fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct MailParams {
    /// `SIZE=` (RFC 1870): the message size estimate in octets.
    pub size: Option<u64>,
    /// `BODY=`.
    pub body: Option<BodyType>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (DSN).
    pub ret: Option<Ret>,
    /// `ENVID=` (DSN), xtext.
    pub envid: Option<XText>,
    /// `AUTH=` (RFC 4954).
    pub auth: Option<MailAuth>,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `MT-PRIORITY=` (RFC 6710), -9 to 9.
    pub mt_priority: Option<i8>,
    /// `HOLDFOR=` (RFC 4865), seconds.
    pub hold_for: Option<u64>,
    /// `HOLDUNTIL=` (RFC 4865), an RFC 3339 date-time kept as sent.
    pub hold_until: Option<ParamValue>,
    /// `BY=` (RFC 2852).
    pub by: Option<DeliverBy>,
    /// Parameters without a type here, in order.
    pub other: Vec<Param>,
}

/// `NOTIFY=` (DSN, RFC 3461 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `NEVER`.
    Never,
    /// Any of `SUCCESS`, `FAILURE`, `DELAY` (at least one).
    On {
        /// `SUCCESS`.
        success: bool,
        /// `FAILURE`.
        failure: bool,
        /// `DELAY`.
        delay: bool,
    },
}

/// `ORCPT=` (DSN, RFC 3461 4.2): address type and xtext-encoded original recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt {
    /// The address type, usually `rfc822` or `utf-8`.
    pub addr_type: Keyword,
    /// The original address, xtext-encoded.
    pub addr: XText,
}

/// `RRVS=` (RFC 7293): the time the mailbox must have been held since, and the conduct.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rrvs {
    /// The date-time, kept as sent.
    pub time: ParamValue,
    /// `C` (continue) or `R` (reject), if given.
    pub conduct: Option<u8>,
}

/// The parameters of `RCPT TO`. Start from `RcptParams::default()` and set fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct RcptParams {
    /// `NOTIFY=` (DSN).
    pub notify: Option<Notify>,
    /// `ORCPT=` (DSN).
    pub orcpt: Option<Orcpt>,
    /// `RRVS=` (RFC 7293).
    pub rrvs: Option<Rrvs>,
    /// Parameters without a type here, in order.
    pub other: Vec<Param>,
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    if v.len() < 20 {
        // nineteen digits cannot overflow: no checks per digit
        let mut n: u64 = 0;
        for &c in v {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            n = n * 10 + u64::from(d);
        }
        return Some(n);
    }
    let mut n: u64 = 0;
    for &c in v {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

pub(crate) fn parse_size(v: &[u8]) -> Option<u64> {
    parse_u64(v)
}

fn parse_i64(v: &[u8]) -> Option<i64> {
    match v.split_first() {
        Some((b'-', rest)) => i64::try_from(parse_u64(rest)?).ok().map(|n| -n),
        Some((b'+', rest)) => i64::try_from(parse_u64(rest)?).ok(),
        _ => i64::try_from(parse_u64(v)?).ok(),
    }
}

/// Splits the `KEY[=VALUE]` parameters of `buf[start..end]` separated by spaces; calls `f`
/// with each key and its value (as a slice and its range in `buf`). One pass over the octets.
#[inline]
fn each_param(
    buf: &Bytes,
    start: usize,
    end: usize,
    mut f: impl FnMut(&[u8], Option<(&[u8], usize, usize)>) -> Result<(), &'static str>,
) -> Result<(), &'static str> {
    let b: &[u8] = buf;
    let mut pos = start;
    loop {
        // tolerated: several spaces (or tabs) between parameters
        while pos < end && matches!(b.get(pos), Some(b' ' | b'\t')) {
            pos += 1;
        }
        if pos >= end {
            return Ok(());
        }
        let stop = find_any(b, pos, end, b"= \t");
        let (key, value, i) = if b.get(stop) == Some(&b'=') && stop < end {
            let i = find_any(b, stop + 1, end, b" \t");
            let value = b.get(stop + 1..i).unwrap_or_default();
            (b.get(pos..stop).unwrap_or_default(), Some((value, stop + 1, i)), i)
        } else {
            (b.get(pos..stop).unwrap_or_default(), None, stop)
        };
        // known names are matched as they are; `other` validates the rest
        f(key, value)?;
        pos = i;
    }
}

type Value<'a> = Option<(&'a [u8], usize, usize)>;

#[inline]
fn set<T>(slot: &mut Option<T>, v: T) -> Result<(), &'static str> {
    if slot.is_some() {
        return Err("duplicate parameter");
    }
    *slot = Some(v);
    Ok(())
}

fn other(buf: &Bytes, key: &[u8], value: Value<'_>) -> Result<Param, &'static str> {
    let value = match value {
        Some((v, a, b)) if is_param_value(v) => {
            Some(ParamValue::new(buf.slice(a..b)).map_err(|_| "invalid value")?)
        }
        Some(_) => return Err("invalid parameter value"),
        None => None,
    };
    // Keyword::new validates the name (known names were matched exactly before)
    let keyword = Keyword::from_slice(key).map_err(|_| "invalid parameter name")?;
    Ok(Param { keyword, value })
}

fn flag(slot: &mut bool, has_value: bool) -> Result<(), &'static str> {
    if has_value {
        return Err("parameter takes no value");
    }
    if *slot {
        return Err("duplicate parameter");
    }
    *slot = true;
    Ok(())
}

#[inline]
fn need(value: Value<'_>) -> Result<(&[u8], usize, usize), &'static str> {
    value.filter(|v| !v.0.is_empty()).ok_or("parameter needs a value")
}

fn xtext(buf: &Bytes, (v, a, b): (&[u8], usize, usize)) -> Result<XText, &'static str> {
    if is_xtext(v) {
        XText::new(buf.slice(a..b)).map_err(|_| "invalid xtext")
    } else {
        Err("invalid xtext")
    }
}

fn pvalue(buf: &Bytes, (_, a, b): (&[u8], usize, usize)) -> Result<ParamValue, &'static str> {
    ParamValue::new(buf.slice(a..b)).map_err(|_| "invalid parameter value")
}

impl MailParams {
    #[inline]
    pub(crate) fn parse(buf: &Bytes, start: usize, end: usize) -> Result<Self, &'static str> {
        let mut p = Self::default();
        p.parse_into(buf, start, end)?;
        Ok(p)
    }

    /// Parses `buf[start..end]` into `self` (fresh from `default()`), in place.
    #[inline]
    pub(crate) fn parse_into(
        &mut self,
        buf: &Bytes,
        start: usize,
        end: usize,
    ) -> Result<(), &'static str> {
        let p = self;
        each_param(buf, start, end, |k, value| match (k.len(), k.first().map(|c| c | 0x20)) {
            (4, Some(b's')) if eq_ci(k, b"SIZE") => {
                set(&mut p.size, parse_u64(need(value)?.0).ok_or("invalid SIZE")?)
            }
            (4, Some(b'b')) if eq_ci(k, b"BODY") => {
                let v = need(value)?.0;
                let b = if eq_ci(v, b"8BITMIME") {
                    BodyType::EightBitMime
                } else if eq_ci(v, b"7BIT") {
                    BodyType::SevenBit
                } else if eq_ci(v, b"BINARYMIME") {
                    BodyType::BinaryMime
                } else {
                    return Err("invalid BODY");
                };
                set(&mut p.body, b)
            }
            (8, Some(b's')) if eq_ci(k, b"SMTPUTF8") => flag(&mut p.smtputf8, value.is_some()),
            (3, Some(b'r')) if eq_ci(k, b"RET") => {
                let v = need(value)?.0;
                let r = if eq_ci(v, b"FULL") {
                    Ret::Full
                } else if eq_ci(v, b"HDRS") {
                    Ret::Hdrs
                } else {
                    return Err("invalid RET");
                };
                set(&mut p.ret, r)
            }
            (5, Some(b'e')) if eq_ci(k, b"ENVID") => set(&mut p.envid, xtext(buf, need(value)?)?),
            (4, Some(b'a')) if eq_ci(k, b"AUTH") => {
                let v = need(value)?;
                let a = if v.0 == b"<>" {
                    MailAuth::Unknown
                } else {
                    MailAuth::Identity(xtext(buf, v)?)
                };
                set(&mut p.auth, a)
            }
            (10, Some(b'r')) if eq_ci(k, b"REQUIRETLS") => flag(&mut p.requiretls, value.is_some()),
            (11, Some(b'm')) if eq_ci(k, b"MT-PRIORITY") => {
                let n = parse_i64(need(value)?.0).ok_or("invalid MT-PRIORITY")?;
                let n = i8::try_from(n).ok().filter(|n| (-9..=9).contains(n));
                set(&mut p.mt_priority, n.ok_or("invalid MT-PRIORITY")?)
            }
            (7, Some(b'h')) if eq_ci(k, b"HOLDFOR") => {
                set(&mut p.hold_for, parse_u64(need(value)?.0).ok_or("invalid HOLDFOR")?)
            }
            (9, Some(b'h')) if eq_ci(k, b"HOLDUNTIL") => {
                set(&mut p.hold_until, pvalue(buf, need(value)?)?)
            }
            (2, Some(b'b')) if eq_ci(k, b"BY") => {
                set(&mut p.by, parse_by(need(value)?.0).ok_or("invalid BY")?)
            }
            _ => {
                p.other.push(other(buf, k, value)?);
                Ok(())
            }
        })
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        if let Some(n) = self.size {
            out.put_slice(b" SIZE=");
            put_u64(out, n);
        }
        if let Some(b) = self.body {
            out.put_slice(match b {
                BodyType::SevenBit => b" BODY=7BIT",
                BodyType::EightBitMime => b" BODY=8BITMIME",
                BodyType::BinaryMime => b" BODY=BINARYMIME",
            });
        }
        if self.smtputf8 {
            out.put_slice(b" SMTPUTF8");
        }
        if let Some(r) = self.ret {
            out.put_slice(if r == Ret::Full { b" RET=FULL" } else { b" RET=HDRS" });
        }
        if let Some(e) = &self.envid {
            out.put_slice(b" ENVID=");
            out.put_slice(e.as_bytes());
        }
        match &self.auth {
            Some(MailAuth::Unknown) => out.put_slice(b" AUTH=<>"),
            Some(MailAuth::Identity(x)) => {
                out.put_slice(b" AUTH=");
                out.put_slice(x.as_bytes());
            }
            None => {}
        }
        if self.requiretls {
            out.put_slice(b" REQUIRETLS");
        }
        if let Some(p) = self.mt_priority {
            out.put_slice(b" MT-PRIORITY=");
            if p < 0 {
                out.put_u8(b'-');
            }
            put_u64(out, u64::from(p.unsigned_abs()));
        }
        if let Some(n) = self.hold_for {
            out.put_slice(b" HOLDFOR=");
            put_u64(out, n);
        }
        if let Some(v) = &self.hold_until {
            out.put_slice(b" HOLDUNTIL=");
            out.put_slice(v.as_bytes());
        }
        if let Some(by) = self.by {
            out.put_slice(b" BY=");
            if by.seconds < 0 {
                out.put_u8(b'-');
            }
            put_u64(out, by.seconds.unsigned_abs());
            out.put_slice(if by.mode == DeliverByMode::Notify { b";N" } else { b";R" });
            if by.trace {
                out.put_u8(b'T');
            }
        }
        encode_other(&self.other, out);
    }
}

fn parse_by(v: &[u8]) -> Option<DeliverBy> {
    let semi = crate::types::find(b';', v)?;
    let seconds = parse_i64(v.get(..semi)?)?;
    let (mode, trace) = match v.get(semi + 1..)? {
        [m] => (*m, false),
        [m, t] if t.eq_ignore_ascii_case(&b'T') => (*m, true),
        _ => return None,
    };
    let mode = match mode.to_ascii_uppercase() {
        b'N' => DeliverByMode::Notify,
        b'R' => DeliverByMode::Return,
        _ => return None,
    };
    Some(DeliverBy { seconds, mode, trace })
}

fn encode_other(other: &[Param], out: &mut BytesMut) {
    for p in other {
        out.put_u8(b' ');
        out.put_slice(p.keyword.as_bytes());
        if let Some(v) = &p.value {
            out.put_u8(b'=');
            out.put_slice(v.as_bytes());
        }
    }
}

pub(crate) fn put_u64(out: &mut BytesMut, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            // n % 10 < 10, so the cast cannot truncate
            #[allow(clippy::cast_possible_truncation)]
            {
                *slot = b'0' + (n % 10) as u8;
            }
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.put_slice(buf.get(i..).unwrap_or_default());
}

impl RcptParams {
    #[inline]
    pub(crate) fn parse(buf: &Bytes, start: usize, end: usize) -> Result<Self, &'static str> {
        let mut p = Self::default();
        p.parse_into(buf, start, end)?;
        Ok(p)
    }

    /// Parses `buf[start..end]` into `self` (fresh from `default()`), in place.
    #[inline]
    pub(crate) fn parse_into(
        &mut self,
        buf: &Bytes,
        start: usize,
        end: usize,
    ) -> Result<(), &'static str> {
        let p = self;
        each_param(buf, start, end, |k, value| {
            if eq_ci(k, b"NOTIFY") {
                let v = need(value)?.0;
                let n = if eq_ci(v, b"NEVER") {
                    Notify::Never
                } else {
                    let (mut success, mut failure, mut delay) = (false, false, false);
                    for item in v.split(|&c| c == b',') {
                        let slot = if eq_ci(item, b"SUCCESS") {
                            &mut success
                        } else if eq_ci(item, b"FAILURE") {
                            &mut failure
                        } else if eq_ci(item, b"DELAY") {
                            &mut delay
                        } else {
                            return Err("invalid NOTIFY");
                        };
                        if *slot {
                            return Err("invalid NOTIFY");
                        }
                        *slot = true;
                    }
                    Notify::On { success, failure, delay }
                };
                set(&mut p.notify, n)
            } else if eq_ci(k, b"ORCPT") {
                let (v, a, b) = need(value)?;
                let semi = crate::types::find(b';', v).ok_or("invalid ORCPT")?;
                let addr_type =
                    Keyword::from_frame(buf, a, a + semi).map_err(|_| "invalid ORCPT")?;
                let addr = xtext(buf, (v.get(semi + 1..).unwrap_or_default(), a + semi + 1, b))?;
                set(&mut p.orcpt, Orcpt { addr_type, addr })
            } else if eq_ci(k, b"RRVS") {
                let (v, a, b) = need(value)?;
                let (time_end, conduct) = match memchr::memrchr(b';', v) {
                    Some(semi) => {
                        let c = match v.get(semi + 1..) {
                            Some([c]) if matches!(c.to_ascii_uppercase(), b'C' | b'R') => {
                                c.to_ascii_uppercase()
                            }
                            _ => return Err("invalid RRVS"),
                        };
                        (a + semi, Some(c))
                    }
                    None => (b, None),
                };
                let time = pvalue(buf, (v, a, time_end))?;
                set(&mut p.rrvs, Rrvs { time, conduct })
            } else {
                p.other.push(other(buf, k, value)?);
                Ok(())
            }
        })
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        match self.notify {
            Some(Notify::Never) => out.put_slice(b" NOTIFY=NEVER"),
            Some(Notify::On { success, failure, delay }) => {
                out.put_slice(b" NOTIFY=");
                let mut first = true;
                for (on, word) in
                    [(success, &b"SUCCESS"[..]), (failure, b"FAILURE"), (delay, b"DELAY")]
                {
                    if on {
                        if !first {
                            out.put_u8(b',');
                        }
                        out.put_slice(word);
                        first = false;
                    }
                }
            }
            None => {}
        }
        if let Some(o) = &self.orcpt {
            out.put_slice(b" ORCPT=");
            out.put_slice(o.addr_type.as_bytes());
            out.put_u8(b';');
            out.put_slice(o.addr.as_bytes());
        }
        if let Some(r) = &self.rrvs {
            out.put_slice(b" RRVS=");
            out.put_slice(r.time.as_bytes());
            if let Some(c) = r.conduct {
                out.put_u8(b';');
                out.put_u8(c);
            }
        }
        encode_other(&self.other, out);
    }
}
