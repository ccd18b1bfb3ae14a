//! Text for people, without egui: byte counts, thousands separators, times
//! in the case's zone, elided paths and severity summaries. Views, widgets
//! and models all use these, so the models stay free of egui.

use crate::detect::Severity;
use crate::detect::files::Finding;
use crate::tz::{DisplayZone, Precision};

/// Bytes as a short human figure (SI units, like `ls -h --si`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    match u {
        0 => format!("{n} B"),
        _ => format!("{v:.1} {}", UNITS.get(u).copied().unwrap_or("B")),
    }
}

/// A number with thousands separators (`1 234 567`).
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A UTC time in microseconds in the case's zone, to the second, with its
/// offset: `2026-11-22 15:03:07 +01:00` (`... UTC` in UTC).
pub fn fmt_time(us: i64, zone: DisplayZone) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| zone.format(t, Precision::Seconds))
        .unwrap_or_else(|| format!("{us} us"))
}

/// `…` plus the end of `s` when it is longer than `max` characters.
pub fn elide_start(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let n = s.chars().count();
    if n <= max {
        return s.into();
    }
    let tail: String = s.chars().skip(n - max.saturating_sub(1)).collect();
    format!("…{tail}").into()
}

/// A path shortened to `max` characters by cutting its middle: the start
/// (where it lives) and the end (the file name, kept whole whenever it fits)
/// stay readable, `/var/www/…/uploads/shell.php`. Shorter paths are
/// returned as they are; a file name longer than `max` keeps its end.
pub fn elide_middle(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= max {
        return s.into();
    }
    let budget = max.saturating_sub(1);
    // The file name with its leading separator.
    let name = chars
        .iter()
        .rposition(|&c| c == '/' || c == '\\')
        .map_or(n, |i| n - i);
    if name >= budget {
        return elide_start(s, max);
    }
    // A third of the room to the start, the rest to the end (at least
    // the whole name).
    let head = (budget / 3).min(budget - name);
    let tail = budget - head;
    let mut out: String = chars.iter().take(head).collect();
    out.push('…');
    out.extend(chars.iter().skip(n - tail));
    out.into()
}

/// Every severity, most severe first (for the filter menus).
pub const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// Counts per severity as `2 critical · 1 high`.
pub fn severity_summary(counts: &[(Severity, u32)]) -> String {
    if counts.is_empty() {
        return "no findings".into();
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Findings per severity, most severe first.
pub fn count_severities(findings: &[Finding]) -> Vec<(Severity, u32)> {
    SEVERITIES
        .iter()
        .map(|s| {
            (
                *s,
                findings.iter().filter(|f| f.severity == *s).count() as u32,
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_their_middle_and_keep_their_name() {
        assert_eq!(elide_middle("/a/b", 10), "/a/b");
        let p = "/var/www/html/wp-content/uploads/2026/12/shell.php";
        let e = elide_middle(p, 30);
        assert_eq!(e.chars().count(), 30);
        assert!(e.starts_with("/var/www/"), "{e}");
        assert!(e.ends_with("/2026/12/shell.php"), "{e}");
        // A name longer than the room keeps its end.
        let e = elide_middle("/x/a-very-long-file-name-indeed.tar.gz", 12);
        assert_eq!(e, "…deed.tar.gz");
        assert_eq!(e.chars().count(), 12);
    }
}
