//! Uptime, boot time and boot id of the running kernel.

use super::{Problem, now, read_text};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `live/system.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SystemDoc {
    pub collected_at: String,
    pub uptime_seconds: Option<f64>,
    /// Boot time (`btime` of `/proc/stat`), RFC 3339 UTC.
    pub boot_time: Option<String>,
    pub boot_id: Option<String>,
    pub kernel: Option<String>,
    pub load_average: Option<String>,
    pub problems: Vec<Problem>,
}

/// Boot time in seconds since the epoch from `/proc/stat` text.
pub fn parse_btime(stat: &str) -> Option<i64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// Boot time of the running kernel, seconds since the epoch.
pub fn boot_time(proc_dir: &Path) -> Option<i64> {
    read_text(&proc_dir.join("stat"))
        .ok()
        .and_then(|s| parse_btime(&s))
}

pub fn collect(proc_dir: &Path) -> SystemDoc {
    let mut problems = Vec::new();
    let mut read = |rel: &str| match read_text(&proc_dir.join(rel)) {
        Ok(s) => Some(s.trim().to_string()),
        Err(e) => {
            problems.push(Problem::new(format!("/proc/{rel}"), &e));
            None
        }
    };
    let uptime = read("uptime").and_then(|s| s.split_whitespace().next()?.parse().ok());
    let boot_id = read("sys/kernel/random/boot_id");
    let kernel = read("version");
    let load_average = read("loadavg");
    let boot_time = read("stat")
        .and_then(|s| parse_btime(&s))
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    SystemDoc {
        collected_at: now(),
        uptime_seconds: uptime,
        boot_time,
        boot_id,
        kernel,
        load_average,
        problems,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn btime() {
        assert_eq!(
            super::parse_btime("cpu 1 2\nbtime 1700000000\n"),
            Some(1_700_000_000)
        );
        assert_eq!(super::parse_btime("cpu\n"), None);
    }
}
