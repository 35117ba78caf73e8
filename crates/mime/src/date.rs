//! Dates (RFC 5322 3.3 with the obsolete syntax of 4.3).

/// A date-time with its zone offset as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Year (two- and three-digit years mapped per RFC 5322 4.3).
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, 1 to 31.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 60 (a leap second is kept).
    pub second: u8,
    /// Offset from UTC in minutes; `None` for `-0000` and unknown zones (RFC 5322 3.3).
    pub offset_minutes: Option<i16>,
}

impl DateTime {
    /// ISO 8601: `YYYY-MM-DDTHH:MM:SS+HH:MM`, without the offset when it is unknown.
    pub fn to_iso8601(&self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if let Some(off) = self.offset_minutes {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            let _ = std::fmt::Write::write_fmt(
                &mut s,
                format_args!("{sign}{:02}:{:02}", a / 60, a % 60),
            );
        }
        s
    }

    /// Seconds since 1970-01-01T00:00:00Z (the offset taken as zero when unknown).
    pub fn unix_timestamp(&self) -> i64 {
        let (y, m) = if self.month <= 2 {
            (i64::from(self.year) - 1, i64::from(self.month) + 9)
        } else {
            (i64::from(self.year), i64::from(self.month) - 3)
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * m + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes.unwrap_or(0)) * 60
    }
}

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month(word: &str) -> Option<u8> {
    let w = word.get(..3)?.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == w).and_then(|p| u8::try_from(p + 1).ok())
}

#[allow(clippy::option_option, clippy::match_same_arms)]
/// `None`: not a zone; `Some(None)`: a zone with an unknown offset (`-0000`).
fn zone(word: &str) -> Option<Option<i16>> {
    let w = word.to_ascii_uppercase();
    let named: Option<i16> = match w.as_str() {
        "UT" | "UTC" | "GMT" | "Z" => Some(0),
        "EST" => Some(-5),
        "EDT" | "AST" => Some(-4),
        "CST" => Some(-6),
        "CDT" => Some(-5),
        "MST" => Some(-7),
        "MDT" => Some(-6),
        "PST" => Some(-8),
        "PDT" => Some(-7),
        "ADT" => Some(-3),
        _ => None,
    };
    if let Some(h) = named {
        return Some(Some(h * 60));
    }
    let b = w.as_bytes();
    if let [sign @ (b'+' | b'-'), d @ ..] = b
        && d.len() == 4
        && d.iter().all(u8::is_ascii_digit)
    {
        let n: i16 = w.get(1..)?.parse().ok()?;
        let mins = (n / 100) * 60 + n % 100;
        if *sign == b'-' && mins == 0 {
            return Some(None);
        }
        return Some(Some(if *sign == b'-' { -mins } else { mins }));
    }
    None
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Parses a Date field value. Tolerant: day names optional, comments ignored, obsolete zones
/// (UT, GMT, EST, ...) understood, unknown zones give an unknown offset, two-digit years
/// mapped (00–49 to 20xx, 50–99 to 19xx), month and day in either order. `None` when no
/// valid date-time can be read.
#[allow(clippy::many_single_char_names, clippy::match_same_arms)]
pub fn parse_date(value: &[u8]) -> Option<DateTime> {
    let text = String::from_utf8_lossy(&crate::text::unfold(value)).into_owned();
    // drop comments
    let mut s = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => s.push(c),
            _ => {}
        }
    }
    // a zone glued to the time (`00:01+0000`) is split off
    let mut words: Vec<&str> = Vec::new();
    for w in s.split([' ', '\t', ',']).filter(|w| !w.is_empty()) {
        match w.find(['+', '-']) {
            Some(p) if p > 0 && w.contains(':') => {
                let (a, b) = w.split_at(p);
                words.push(a);
                words.push(b);
            }
            _ => words.push(w),
        }
    }
    let mut i = 0;
    // optional day name
    if words
        .first()
        .is_some_and(|w| w.chars().all(|c| c.is_ascii_alphabetic()) && month(w).is_none())
    {
        i = 1;
    }
    let a = *words.get(i)?;
    let b = *words.get(i + 1)?;
    let (day, mon) = match (a.parse::<u8>().ok(), month(b), month(a), b.parse::<u8>().ok()) {
        (Some(d), Some(m), _, _) => (d, m),
        (_, _, Some(m), Some(d)) => (d, m),
        _ => return None,
    };
    let y = *words.get(i + 2)?;
    let mut year: i32 = y.parse().ok()?;
    year = match y.len() {
        1 | 2 if year < 50 => 2000 + year,
        1 | 2 => 1900 + year,
        3 => 1900 + year,
        _ => year,
    };
    let t = *words.get(i + 3)?;
    let mut hms = t.split(':');
    let hour: u8 = hms.next()?.parse().ok()?;
    let minute: u8 = hms.next()?.parse().ok()?;
    let second: u8 = match hms.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    if hms.next().is_some() {
        return None;
    }
    let offset_minutes = match words.get(i + 4) {
        Some(z) => zone(z).unwrap_or(None),
        None => None,
    };
    if !(1..=12).contains(&mon)
        || day == 0
        || day > days_in_month(year, mon)
        || hour > 23
        || minute > 59
        || second > 60
        || !(1..=9999).contains(&year)
    {
        return None;
    }
    Some(DateTime { year, month: mon, day, hour, minute, second, offset_minutes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> Option<String> {
        parse_date(s.as_bytes()).map(|d| d.to_iso8601())
    }

    #[test]
    fn rfc5322_appendix_a_dates() {
        assert_eq!(
            iso("Fri, 21 Nov 1997 09:55:06 -0600").as_deref(),
            Some("1997-11-21T09:55:06-06:00")
        );
        assert_eq!(
            iso("Tue, 1 Jul 2003 10:52:37 +0200").as_deref(),
            Some("2003-07-01T10:52:37+02:00")
        );
        assert_eq!(iso("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)").as_deref(), Some("1969-02-13T23:32:00-03:30"));
        assert_eq!(iso("21 Nov 97 09:55:06 GMT").as_deref(), Some("1997-11-21T09:55:06+00:00"));
        assert_eq!(iso("Fri, 21 Nov 1997 09:55:06 -0000").as_deref(), Some("1997-11-21T09:55:06"));
        assert_eq!(
            iso("Sun, 21 Mar 1993 23:56:48 -0800 (PST)").as_deref(),
            Some("1993-03-21T23:56:48-08:00")
        );
        assert_eq!(iso("1 Jan 05 00:00 EST").as_deref(), Some("2005-01-01T00:00:00-05:00"));
        assert_eq!(iso("1 Jan 2005 00:00 XYZ").as_deref(), Some("2005-01-01T00:00:00"));
        assert_eq!(iso("30 Feb 2005 00:00 +0000"), None);
        assert_eq!(iso("garbage"), None);
        assert_eq!(iso("01 Jan 2001 00:01+0000").as_deref(), Some("2001-01-01T00:01:00+00:00"));
        assert_eq!(parse_date(b"Thu, 01 Jan 1970 00:00:00 +0000").unwrap().unix_timestamp(), 0);
        assert_eq!(
            parse_date(b"Fri, 21 Nov 1997 09:55:06 -0600").unwrap().unix_timestamp(),
            880_127_706
        );
    }
}
