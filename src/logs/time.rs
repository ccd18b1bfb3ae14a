//! Small, allocation-free time parsing for log headers, and the conversions
//! between civil dates and Unix microseconds the parsers share.
//!
//! Time arithmetic on values read from a log never overflows: conversions
//! from seconds and shifts by a zone offset saturate ([`from_secs`],
//! [`shift`]), and a saturated value lies outside [`MIN_US`]..=[`MAX_US`],
//! the range the loader accepts ([`in_range`]); an event outside it keeps
//! no time and its source gets a note.

/// Microseconds per second.
pub const US: i64 = 1_000_000;

/// The earliest time an event may carry: 1900-01-01T00:00:00Z.
pub const MIN_US: i64 = -2_208_988_800 * US;

/// The latest time an event may carry: 9999-12-31T23:59:59.999999Z.
pub const MAX_US: i64 = 253_402_300_800 * US - 1;

/// Whether a time lies in the years 1900–9999 (UTC), the range an event's
/// time may take. Anything else is a corrupt or hostile field.
pub fn in_range(t_us: i64) -> bool {
    (MIN_US..=MAX_US).contains(&t_us)
}

/// Unix seconds to microseconds, saturating at the ends of `i64` (which
/// lie far outside [`in_range`]) instead of overflowing.
pub fn from_secs(secs: i64) -> i64 {
    secs.saturating_mul(US)
}

/// A time plus microseconds, saturating like [`from_secs`].
pub fn plus_us(t_us: i64, us: i64) -> i64 {
    t_us.saturating_add(us)
}

/// A local time read at `offset_s` seconds east of UTC, as UTC, saturating
/// like [`from_secs`].
pub fn shift(local_us: i64, offset_s: i64) -> i64 {
    local_us.saturating_sub(offset_s.saturating_mul(US))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm). `m` is 1..=12.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let d = i64::from(d);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since the epoch.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Whether a day exists in a month of a year.
pub fn valid_date(y: i64, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Unix microseconds of a civil date and time (UTC), or `None` when invalid
/// (including years beyond ±1,000,000, whose microseconds `i64` cannot
/// hold).
pub fn to_us(y: i64, m: u32, d: u32, hh: u32, mm: u32, ss: u32, us: u32) -> Option<i64> {
    if !(-1_000_000..=1_000_000).contains(&y)
        || !valid_date(y, m, d)
        || hh > 23
        || mm > 59
        || ss > 60
        || us >= 1_000_000
    {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(i64::from(hh * 3600 + mm * 60 + ss))?;
    secs.checked_mul(US)?.checked_add(i64::from(us))
}

/// Month number of an English three-letter abbreviation.
pub fn month(b: &[u8]) -> Option<u32> {
    let m = match b.get(..3)? {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    Some(m)
}

/// Parse exactly `n` ASCII digits.
pub fn digits(b: &[u8], n: usize) -> Option<u32> {
    let s = b.get(..n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parse `HH:MM:SS` at the start of `b`.
pub fn hms(b: &[u8]) -> Option<(u32, u32, u32)> {
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return None;
    }
    Some((
        digits(b, 2)?,
        digits(b.get(3..)?, 2)?,
        digits(b.get(6..)?, 2)?,
    ))
}

/// Parse an optional fraction `.ffffff` at the start of `b`: returns the
/// microseconds and the bytes consumed.
pub fn fraction(b: &[u8]) -> (u32, usize) {
    if b.first() != Some(&b'.') && b.first() != Some(&b',') {
        return (0, 0);
    }
    let mut us = 0u32;
    let mut n = 0usize;
    let mut i = 1;
    while let Some(c) = b.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        if n < 6 {
            us = us * 10 + u32::from(c - b'0');
            n += 1;
        }
        i += 1;
    }
    if i == 1 {
        return (0, 0);
    }
    while n < 6 {
        us *= 10;
        n += 1;
    }
    (us, i)
}

/// Parse a zone offset `Z`, `+HH:MM`, `+HHMM` or `+HH` at the start of `b`:
/// returns seconds east of UTC and bytes consumed.
pub fn zone(b: &[u8]) -> Option<(i64, usize)> {
    match b.first()? {
        b'Z' | b'z' => Some((0, 1)),
        c @ (b'+' | b'-') => {
            let sign = if *c == b'-' { -1 } else { 1 };
            let h = i64::from(digits(b.get(1..)?, 2)?);
            let (m, used) = if b.get(3) == Some(&b':') {
                (i64::from(digits(b.get(4..)?, 2)?), 6)
            } else if let Some(m) = b.get(3..).and_then(|r| digits(r, 2)) {
                (i64::from(m), 5)
            } else {
                (0, 3)
            };
            Some((sign * (h * 3600 + m * 60), used))
        }
        _ => None,
    }
}

/// Parse an RFC 3339 / ISO 8601 timestamp at the start of `b`
/// (`YYYY-MM-DDTHH:MM:SS[.frac][zone]`, `T` or space). Without a zone the
/// time is taken as `default_offset_s` east of UTC. Returns the UTC
/// microseconds and bytes consumed.
pub fn iso(b: &[u8], default_offset_s: i64) -> Option<(i64, usize)> {
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let y = i64::from(digits(b, 4)?);
    let mo = digits(b.get(5..)?, 2)?;
    let d = digits(b.get(8..)?, 2)?;
    if !matches!(b.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let (hh, mm, ss) = hms(b.get(11..)?)?;
    let mut i = 19;
    let (us, used) = fraction(b.get(i..).unwrap_or(&[]));
    i += used;
    let (off, used) = match b.get(i..).and_then(zone) {
        Some(z) => z,
        None => (default_offset_s, 0),
    };
    i += used;
    Some((shift(to_us(y, mo, d, hh, mm, ss, us)?, off), i))
}

/// RFC 3339 text of a UTC microsecond time, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn rfc3339(t_us: i64) -> String {
    let secs = t_us.div_euclid(US);
    let us = t_us.rem_euclid(US);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{us:06}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Timesketch's `datetime`: RFC 3339 with an explicit `+00:00` offset.
pub fn rfc3339_offset(t_us: i64) -> String {
    let mut s = rfc3339(t_us);
    s.pop();
    s.push_str("+00:00");
    s
}

/// Parse a user-given time bound: RFC 3339, a date-time without zone (UTC),
/// a date (`YYYY-MM-DD`, midnight UTC) or Unix seconds.
pub fn parse_bound(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some((t, n)) = iso(s.as_bytes(), 0) {
        return (n == s.len()).then_some(t);
    }
    if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') {
        let b = s.as_bytes();
        return to_us(
            i64::from(digits(b, 4)?),
            digits(b.get(5..)?, 2)?,
            digits(b.get(8..)?, 2)?,
            0,
            0,
            0,
            0,
        );
    }
    s.parse::<i64>().ok().and_then(|v| v.checked_mul(US))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 10_957, 11_016, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn iso_with_zone_and_fraction() {
        let (t, n) = iso(b"2020-05-31T00:00:45.738158+02:00 x", 0).unwrap();
        assert_eq!(n, 32);
        assert_eq!(rfc3339(t), "2020-05-30T22:00:45.738158Z");
        assert_eq!(rfc3339_offset(t), "2020-05-30T22:00:45.738158+00:00");
        assert!(iso(b"2020-02-30T00:00:00Z", 0).is_none());
    }

    #[test]
    fn bounds() {
        assert_eq!(parse_bound("1970-01-02"), Some(86_400 * US));
        assert_eq!(parse_bound("86400"), Some(86_400 * US));
        assert_eq!(parse_bound("1970-01-01T00:00:01Z"), Some(US));
        assert_eq!(parse_bound("nonsense"), None);
        assert_eq!(parse_bound("99999999999999999"), None);
    }

    #[test]
    fn the_valid_range_is_1900_to_9999() {
        assert_eq!(to_us(1900, 1, 1, 0, 0, 0, 0), Some(MIN_US));
        assert_eq!(to_us(9999, 12, 31, 23, 59, 59, 999_999), Some(MAX_US));
        assert!(in_range(MIN_US) && in_range(MAX_US) && in_range(0));
        assert!(!in_range(MIN_US - 1) && !in_range(MAX_US + 1));
        assert_eq!(rfc3339(MAX_US), "9999-12-31T23:59:59.999999Z");
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        // `: 14589914589932970:0;cmd` in a zsh history once wrapped to -44295.
        assert!(!in_range(from_secs(14_589_914_589_932_970)));
        assert_eq!(from_secs(i64::MIN), i64::MIN);
        assert_eq!(shift(i64::MAX, -1), i64::MAX);
        assert!(!in_range(shift(0, i64::MAX)) && !in_range(shift(0, i64::MIN)));
        assert_eq!(plus_us(i64::MAX, 1), i64::MAX);
        assert_eq!(to_us(i64::MAX, 1, 1, 0, 0, 0, 0), None);
        assert_eq!(to_us(290_000, 1, 1, 0, 0, 0, 0).map(in_range), Some(false));
        assert_eq!(to_us(300_000, 1, 1, 0, 0, 0, 0), None);
    }
}
