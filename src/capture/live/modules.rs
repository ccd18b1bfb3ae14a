//! Loaded kernel modules (`/proc/modules`) and the kernel taint flags.

use super::{Problem, now, read_text};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub size_bytes: Option<u64>,
    pub instances: Option<u64>,
    pub used_by: Vec<String>,
    pub state: Option<String>,
    /// Taint letters (`O` out-of-tree, `E` unsigned, `P` proprietary...).
    pub taint: Option<String>,
}

/// `live/modules.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModulesDoc {
    pub collected_at: String,
    /// `/proc/sys/kernel/tainted` (0 = clean).
    pub kernel_tainted: Option<u64>,
    pub modules: Vec<Module>,
    pub problems: Vec<Problem>,
}

/// Parse `/proc/modules` text; odd lines keep what can be read.
pub fn parse_modules(text: &str) -> Vec<Module> {
    let mut out: Vec<Module> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let name = f.first()?.to_string();
            let used_by = f
                .get(3)
                .map(|u| {
                    u.split(',')
                        .filter(|s| !s.is_empty() && *s != "-")
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let taint = l
                .rfind('(')
                .and_then(|i| l.get(i + 1..))
                .and_then(|s| s.split(')').next())
                .map(str::to_string);
            Some(Module {
                name,
                size_bytes: f.get(1).and_then(|s| s.parse().ok()),
                instances: f.get(2).and_then(|s| s.parse().ok()),
                used_by,
                state: f.get(4).map(|s| s.to_string()),
                taint,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

pub fn collect(proc_dir: &Path) -> ModulesDoc {
    let mut problems = Vec::new();
    let modules = match read_text(&proc_dir.join("modules")) {
        Ok(t) => parse_modules(&t),
        Err(e) => {
            problems.push(Problem::new("/proc/modules", &e));
            Vec::new()
        }
    };
    let kernel_tainted = read_text(&proc_dir.join("sys/kernel/tainted"))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    ModulesDoc {
        collected_at: now(),
        kernel_tainted,
        modules,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modules() {
        let m = parse_modules(
            "nf_tables 372736 0 - Live 0x0000000000000000\nrootkit 16384 1 nf_tables,x, Live 0xffffffffc0a00000 (OE)\n\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].name, "rootkit");
        assert_eq!(m[1].taint.as_deref(), Some("OE"));
        assert_eq!(m[1].used_by, vec!["nf_tables", "x"]);
        assert_eq!(m[0].taint, None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,200}") { let _ = parse_modules(&s); }
    }
}
