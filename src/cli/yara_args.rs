//! `--yara DIR_OR_FILE` and `--yara-max-size SIZE`, shared by `scan`,
//! `diff` and `investigate`, and the YARA summary they print.

use exhibit::detect::yara::{self, YaraError, YaraRequest, YaraSummary};
use std::path::PathBuf;

/// Skipped files listed in the human output (all of them are in `--json`).
const SKIPPED_SHOWN: usize = 20;

#[derive(clap::Args, Debug, Clone)]
pub struct YaraArgs {
    /// YARA rules: a rule file, or a folder of *.yar / *.yara files
    /// (searched recursively); `builtin` for the starter set; repeatable.
    #[arg(long = "yara", value_name = "DIR_OR_FILE")]
    pub yara: Vec<PathBuf>,
    /// Files larger than this are not scanned with YARA (they are listed
    /// as skipped): bytes, or with a K, M or G suffix.
    #[arg(long, value_name = "SIZE", default_value = "128M", value_parser = parse_size)]
    pub yara_max_size: u64,
}

/// `1048576`, `512K`, `128M`, `2G` (binary multiples).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix in {s:?} (K, M or G)")),
            };
            (t.get(..i).unwrap_or_default(), m)
        }
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("bad size {s:?} (e.g. 64M, 1G, 1048576)"))
}

impl YaraArgs {
    /// The core's request; an error at once when `--yara` is given to a
    /// build without YARA.
    pub fn request(&self) -> anyhow::Result<YaraRequest> {
        if !self.yara.is_empty() && !yara::available() {
            return Err(YaraError::NotBuilt.into());
        }
        Ok(YaraRequest {
            sources: self.yara.clone(),
            max_file_bytes: self.yara_max_size,
            threads: 0,
        })
    }
}

/// The summary for people: one line, then what was not scanned.
pub fn print_summary(s: &YaraSummary) {
    outln!("yara: {}", s.line());
    for r in &s.rules_skipped {
        outln!("  rule not used: {r}");
    }
    for f in s.skipped.iter().take(SKIPPED_SHOWN) {
        outln!("  NOT scanned: {}  ({})", f.path, f.detail);
    }
    if s.skipped.len() > SKIPPED_SHOWN {
        outln!(
            "  … and {} more files not scanned (--json lists them all)",
            s.skipped.len() - SKIPPED_SHOWN
        );
    }
    if let Some(p) = &s.processes {
        outln!(
            "  running executables: {} ({} scanned from their captured copies, {} not captured)",
            p.executables,
            p.scanned,
            p.not_captured.len()
        );
        if let Some(e) = &p.problem {
            outln!("  running processes not read: {e}");
        }
        for u in p.not_captured.iter().take(SKIPPED_SHOWN) {
            outln!("  not captured: {} ({})", u.exe, u.processes.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_with_suffixes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("128M"), Ok(128 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12T").is_err());
        assert!(parse_size("M").is_err());
    }
}
