//! Display time zones. Every time Exhibit records is UTC (RFC 3339 with `Z`);
//! people read times in their case's zone. A [`DisplayZone`] is parsed once
//! from an IANA name (`Europe/Paris`), `UTC`, or a fixed offset (`+05:30`),
//! and formats UTC instants for display with the offset always written out,
//! so a displayed time can never be mistaken for another zone's.

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};

/// A zone to show times in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisplayZone {
    /// Coordinated Universal Time (the stored form).
    #[default]
    Utc,
    /// An IANA zone, with its daylight-saving rules.
    Named(chrono_tz::Tz),
    /// A fixed offset from UTC.
    Fixed(FixedOffset),
}

/// The zone text was neither an IANA zone name nor an offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone (use an IANA name such as Europe/Paris, UTC, or an offset such as +05:30): {0}"
)]
pub struct UnknownZone(pub String);

/// How much of the time to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `2026-11-22 15:03:07 +01:00`: for tables.
    Seconds,
    /// Every stored fractional digit: for detail panes.
    Full,
}

impl DisplayZone {
    /// Parse `UTC`/`Z`/empty, an IANA name, or `±HH:MM` / `±HHMM` / `±HH`.
    pub fn parse(text: &str) -> Result<Self, UnknownZone> {
        let t = text.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("utc") || t == "Z" || t == "Etc/UTC" {
            return Ok(DisplayZone::Utc);
        }
        if let Some(off) = parse_offset(t) {
            return Ok(if off.local_minus_utc() == 0 {
                DisplayZone::Utc
            } else {
                DisplayZone::Fixed(off)
            });
        }
        t.parse::<chrono_tz::Tz>()
            .map(DisplayZone::Named)
            .map_err(|_| UnknownZone(t.to_string()))
    }

    /// Parse, falling back to UTC for text that names no zone (for display
    /// paths that must never fail; check with [`DisplayZone::parse`] where
    /// the user types the zone).
    pub fn parse_or_utc(text: &str) -> Self {
        Self::parse(text).unwrap_or_default()
    }

    /// The zone's name as a user would write it.
    pub fn name(&self) -> String {
        match self {
            DisplayZone::Utc => "UTC".into(),
            DisplayZone::Named(tz) => tz.name().to_string(),
            DisplayZone::Fixed(off) => off.to_string(),
        }
    }

    /// True when times are shown as stored.
    pub fn is_utc(&self) -> bool {
        matches!(self, DisplayZone::Utc)
    }

    /// Format an instant in this zone: `YYYY-MM-DD HH:MM:SS[.frac] ±HH:MM`
    /// (`Z` for UTC).
    pub fn format(&self, t: DateTime<Utc>, precision: Precision) -> String {
        let secs = match precision {
            Precision::Seconds => SecondsFormat::Secs,
            Precision::Full => SecondsFormat::AutoSi,
        };
        let s = match self {
            DisplayZone::Utc => t.to_rfc3339_opts(secs, true),
            DisplayZone::Named(tz) => tz
                .from_utc_datetime(&t.naive_utc())
                .to_rfc3339_opts(secs, false),
            DisplayZone::Fixed(off) => off
                .from_utc_datetime(&t.naive_utc())
                .to_rfc3339_opts(secs, false),
        };
        humane(&s)
    }

    /// The wall-clock time of an instant in this zone.
    pub fn local(&self, t: DateTime<Utc>) -> chrono::NaiveDateTime {
        match self {
            DisplayZone::Utc => t.naive_utc(),
            DisplayZone::Named(tz) => tz.from_utc_datetime(&t.naive_utc()).naive_local(),
            DisplayZone::Fixed(off) => off.from_utc_datetime(&t.naive_utc()).naive_local(),
        }
    }

    /// The UTC instant of a wall-clock time in this zone. In a daylight-saving
    /// fold (a time that happens twice) the earlier one; `None` for a time
    /// the zone skips.
    pub fn to_utc(&self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            DisplayZone::Utc => Some(local.and_utc()),
            DisplayZone::Named(tz) => tz
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
            DisplayZone::Fixed(off) => off
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        }
    }

    /// Format a stored RFC 3339 time. Text that does not parse is returned
    /// unchanged: a display must never hide what the record says.
    pub fn format_stored(&self, stored: &str, precision: Precision) -> String {
        match DateTime::parse_from_rfc3339(stored) {
            Ok(t) => self.format(t.with_timezone(&Utc), precision),
            Err(_) => stored.to_string(),
        }
    }
}

/// `2026-11-22T15:03:07+01:00` → `2026-11-22 15:03:07 +01:00`.
fn humane(rfc3339: &str) -> String {
    let mut s = rfc3339.replacen('T', " ", 1);
    if let Some(stripped) = s.strip_suffix('Z') {
        s = format!("{stripped} UTC");
    } else if s.len() >= 6 {
        let at = s.len() - 6;
        if s.is_char_boundary(at) && matches!(s.as_bytes().get(at), Some(b'+' | b'-')) {
            s.insert(at, ' ');
        }
    }
    s
}

fn parse_offset(t: &str) -> Option<FixedOffset> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, t.get(1..)?),
        b'-' => (-1, t.get(1..)?),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || rest.matches(':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits.get(..2)?.parse::<i32>().ok()?,
            digits.get(2..)?.parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_zone_follows_daylight_saving() {
        let z = DisplayZone::parse("Europe/Paris").unwrap();
        assert_eq!(
            z.format_stored("2026-01-15T12:00:00Z", Precision::Seconds),
            "2026-01-15 13:00:00 +01:00"
        );
        assert_eq!(
            z.format_stored("2026-07-15T12:00:00.5Z", Precision::Full),
            "2026-07-15 14:00:00.500 +02:00"
        );
        assert_eq!(z.name(), "Europe/Paris");
    }

    #[test]
    fn utc_and_offsets() {
        assert_eq!(DisplayZone::parse("utc").unwrap(), DisplayZone::Utc);
        assert_eq!(DisplayZone::parse("+00:00").unwrap(), DisplayZone::Utc);
        let z = DisplayZone::parse("-0330").unwrap();
        assert_eq!(
            z.format_stored("2026-01-15T02:00:00Z", Precision::Seconds),
            "2026-01-14 22:30:00 -03:30"
        );
        assert_eq!(
            DisplayZone::Utc.format_stored("2026-01-15T02:00:00.123456789Z", Precision::Seconds),
            "2026-01-15 02:00:00 UTC"
        );
        assert_eq!(DisplayZone::parse("+5:30").ok(), None);
        assert!(DisplayZone::parse("Mars/Olympus").is_err());
        assert!(DisplayZone::parse("+24").is_err());
    }

    #[test]
    fn unparseable_stored_text_is_shown_as_is() {
        let z = DisplayZone::parse("Asia/Tokyo").unwrap();
        assert_eq!(z.format_stored("yesterday", Precision::Full), "yesterday");
    }

    proptest::proptest! {
        #[test]
        fn parse_and_format_never_panic(s in "\\PC{0,40}") {
            let z = DisplayZone::parse_or_utc(&s);
            let _ = z.format_stored(&s, Precision::Full);
        }
    }
}
