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
