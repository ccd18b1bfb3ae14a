//! File facts for stacking: every regular file by path and SHA-256, every
//! symlink by path and target, and every SUID/SGID file by path, mode and
//! owner; paths that naturally differ per host are left out by the
//! [`Exclusions`] list (`assets/stack/host-specific.toml`, replaceable).

use super::{Fact, FactValue, Kind, StackError};
use crate::archive::EntryType;
use crate::archive::record::or_unknown;
use crate::detect::Severity;
use crate::snapshot::{Entry, Snapshot};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::Path;

/// The built-in list of host-specific paths.
const BUILTIN: &str = include_str!("../../assets/stack/host-specific.toml");

/// The largest exclusion file read.
const MAX_EXCLUSIONS_BYTES: u64 = 1 << 20;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExclusionFile {
    paths: Vec<String>,
}

/// Paths never reported as rare or different files.
#[derive(Debug, Clone)]
pub struct Exclusions {
    set: GlobSet,
    /// The patterns, as written.
    pub patterns: Vec<String>,
}

impl Exclusions {
    /// The built-in list.
    pub fn builtin() -> Self {
        // The built-in file is tested to parse (see the tests below); an
        // empty list is the safe fallback should it ever not.
        Self::parse(BUILTIN).unwrap_or_else(|_| Exclusions {
            set: GlobSet::empty(),
            patterns: Vec::new(),
        })
    }

    /// A list from a file of the same shape as the built-in one.
    pub fn load(path: &Path) -> Result<Self, StackError> {
        use std::io::Read as _;
        let err = |m: String| StackError::Exclusions(m, path.to_path_buf());
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_EXCLUSIONS_BYTES).read_to_string(&mut text))
            .map_err(|e| err(e.to_string()))?;
        Self::parse(&text).map_err(err)
    }

    fn parse(text: &str) -> Result<Self, String> {
        let file: ExclusionFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut b = GlobSetBuilder::new();
        for p in &file.paths {
            b.add(
                GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(Exclusions {
            set: b.build().map_err(|e| e.to_string())?,
            patterns: file.paths,
        })
    }

    /// Whether a path is host-specific.
    pub fn excludes(&self, path: &str) -> bool {
        self.set.is_match(path)
    }
}

/// System directories whose programs every host runs.
const SYSTEM_BIN: [&str; 6] = [
    "/bin/",
    "/sbin/",
    "/usr/bin/",
    "/usr/sbin/",
    "/usr/local/bin/",
    "/usr/local/sbin/",
];

/// Directories of shared libraries loaded by system programs.
const SYSTEM_LIB: [&str; 6] = [
    "/lib/",
    "/lib64/",
    "/lib32/",
    "/usr/lib/",
    "/usr/lib64/",
    "/usr/lib32/",
];

/// How dangerous an unusual file at this path is, and why.
fn danger(e: &Entry) -> (Severity, &'static str) {
    let p = e.path.as_str();
    if SYSTEM_BIN.iter().any(|d| p.starts_with(d)) {
        return (Severity::High, "program in a system directory");
    }
    if SYSTEM_LIB.iter().any(|d| p.starts_with(d)) && (p.ends_with(".so") || p.contains(".so.")) {
        return (Severity::High, "shared library in a system directory");
    }
    if p == "/etc/ld.so.preload" {
        return (Severity::High, "preloaded into every program");
    }
    if p.ends_with("/.ssh/authorized_keys") || p.ends_with("/.ssh/authorized_keys2") {
        return (Severity::Medium, "login keys");
    }
    if p.starts_with("/etc/") {
        return (Severity::Medium, "configuration");
    }
    if e.kind == EntryType::File && e.mode & 0o111 != 0 {
        return (Severity::Medium, "executable file");
    }
    (Severity::Low, "file")
}

/// The file, symlink and SUID facts of a snapshot.
pub(super) fn facts(s: &Snapshot, ex: &Exclusions, out: &mut Vec<Fact>) {
    for e in &s.entries {
        let value = match e.kind {
            EntryType::File => match e.sha256 {
                Some(h) => FactValue::Hash(h),
                None => FactValue::Unknown,
            },
            EntryType::Symlink => {
                FactValue::text(format!("-> {}", e.link_target.as_deref().unwrap_or("?")))
            }
            _ => continue,
        };
        if e.kind == EntryType::File && e.mode & 0o6000 != 0 {
            out.push(Fact {
                kind: Kind::Suid,
                key: e.path.clone(),
                value: FactValue::text(format!(
                    "{} mode {:04o} uid {}",
                    if e.mode & 0o4000 != 0 {
                        "setuid"
                    } else {
                        "setgid"
                    },
                    e.mode,
                    or_unknown(e.uid)
                )),
                danger: Severity::High,
                why: "runs with its owner's privileges",
            });
        }
        if ex.excludes(&e.path) {
            continue;
        }
        let (danger, why) = danger(e);
        out.push(Fact {
            kind: Kind::File,
            key: e.path.clone(),
            value,
            danger,
            why,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_parses_and_excludes_host_specific_paths() {
        let ex = Exclusions::parse(BUILTIN).unwrap();
        for p in [
            "/etc/hostname",
            "/etc/machine-id",
            "/etc/ssh/ssh_host_ed25519_key.pub",
            "/var/log/auth.log",
            "/var/lib/dpkg/status",
            "/home/alice/.bash_history",
        ] {
            assert!(ex.excludes(p), "{p}");
        }
        for p in [
            "/usr/bin/ps",
            "/etc/passwd",
            "/etc/crontab",
            "/tmp/x",
            "/var/spool/cron/crontabs/root",
        ] {
            assert!(!ex.excludes(p), "{p}");
        }
    }

    #[test]
    fn suid_files_and_system_programs_are_dangerous() {
        let mut e = Entry::file("/usr/bin/passwd", 1, [1; 32]);
        e.mode = 0o4755;
        let s = Snapshot::from_entries("t", vec![e, Entry::file("/srv/readme", 1, [2; 32])]);
        let mut out = Vec::new();
        facts(&s, &Exclusions::builtin(), &mut out);
        assert_eq!(out.len(), 3, "{out:?}");
        let suid = out.iter().find(|f| f.kind == Kind::Suid).unwrap();
        assert_eq!(suid.value, FactValue::text("setuid mode 4755 uid 0"));
        let ps = out
            .iter()
            .find(|f| f.kind == Kind::File && f.key == "/usr/bin/passwd")
            .unwrap();
        assert_eq!(ps.danger, Severity::High);
        let readme = out.iter().find(|f| f.key == "/srv/readme").unwrap();
        assert_eq!(readme.danger, Severity::Low);
    }
}
