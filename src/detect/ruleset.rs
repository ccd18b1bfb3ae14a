//! The one loader of rule files: everything the detection layer reads as
//! data, built in and from the user's rules directory.
//!
//! A rules directory (`--rules DIR`) holds:
//! - `*.toml`: file rules ([`files::Rules`]); a file named like a built-in
//!   one (`webshell.toml`) replaces it, any other name adds to them;
//! - `logs/*.toml`: log detection settings ([`DetectConfig`]): thresholds,
//!   pattern lists under `[rules]`, and `[detection.ID]` switches (enabled,
//!   severity). They are read in name order over the built-in
//!   `assets/rules/logs/detections.toml` and `patterns.toml`; each replaces
//!   only the keys it names (tables merge, lists and values replace).
//!
//! `exhibit logs --config FILE` is one more log settings file, read last.
//! Every key must be known and every detection id must exist, and an error
//! names the file that broke the rule.

use crate::detect::files::{self, FindingsError};
use crate::detect::logs::{DETECTIONS, DetectConfig};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// The built-in thresholds and switches of the log detections.
pub const BUILTIN_DETECTIONS: &str = include_str!("../../assets/rules/logs/detections.toml");

/// What each log detection says and the severities of its cases.
pub const BUILTIN_FINDINGS: &str = include_str!("../../assets/rules/logs/findings.toml");

/// Why rule files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RuleSetError {
    #[error(transparent)]
    Files(#[from] FindingsError),
    #[error("cannot read rules: {err}: {}", path.display())]
    Io {
        #[source]
        err: std::io::Error,
        path: PathBuf,
    },
    #[error("bad log detection settings: {0}: {1}")]
    Logs(String, String),
}

/// Every rule the detection layer uses.
#[derive(Debug)]
pub struct RuleSet {
    /// File rules (built-in and the directory's `*.toml`).
    pub files: files::Rules,
    /// Log detection settings (built-in and the directory's `logs/*.toml`).
    pub logs: DetectConfig,
    /// The user's files that were read, in the order they apply.
    pub read: Vec<PathBuf>,
}

impl RuleSet {
    /// The built-in rules, with the files of `user_dir` over them.
    pub fn load(user_dir: Option<&Path>) -> Result<Self, RuleSetError> {
        let files = files::Rules::load(user_dir)?;
        let mut read = Vec::new();
        if let Some(dir) = user_dir {
            read.extend(toml_files(dir)?);
        }
        let log_files = match user_dir {
            Some(dir) if dir.join("logs").is_dir() => toml_files(&dir.join("logs"))?,
            _ => Vec::new(),
        };
        read.extend(log_files.iter().cloned());
        let logs = log_config(&log_files)?;
        Ok(Self { files, logs, read })
    }

    /// Read one more log settings file over these (`exhibit logs --config`).
    pub fn with_log_file(mut self, file: &Path) -> Result<Self, RuleSetError> {
        let mut files: Vec<PathBuf> = self
            .read
            .iter()
            .filter(|p| p.parent().is_some_and(|d| d.ends_with("logs")))
            .cloned()
            .collect();
        files.push(file.to_path_buf());
        self.logs = log_config(&files)?;
        self.read.push(file.to_path_buf());
        Ok(self)
    }
}

/// The `*.toml` files directly in `dir`, in name order.
fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, RuleSetError> {
    let rd = std::fs::read_dir(dir).map_err(|e| RuleSetError::Io {
        err: e,
        path: dir.into(),
    })?;
    let mut out = Vec::new();
    for ent in rd {
        let p = ent
            .map_err(|e| RuleSetError::Io {
                err: e,
                path: dir.into(),
            })?
            .path();
        if p.is_file() && p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// The built-in log settings as one TOML table: the thresholds file with
/// the pattern lists under `rules`.
fn builtin_table() -> Result<Table, RuleSetError> {
    let bad = |e: toml::de::Error| {
        RuleSetError::Logs(e.message().trim().to_string(), "built-in rules".into())
    };
    let mut t: Table = toml::from_str(BUILTIN_DETECTIONS).map_err(bad)?;
    merge(&mut t, toml::from_str(BUILTIN_FINDINGS).map_err(bad)?);
    let patterns: Table = toml::from_str(crate::detect::logs::rules::BUILTIN).map_err(bad)?;
    t.insert("rules".into(), Value::Table(patterns));
    Ok(t)
}

/// The built-in log settings alone ([`DetectConfig::default`]).
pub fn builtin_log_config() -> Result<DetectConfig, RuleSetError> {
    to_config(builtin_table()?, "built-in rules")
}

/// The built-in log settings with `files` read over them in order.
pub fn log_config(files: &[PathBuf]) -> Result<DetectConfig, RuleSetError> {
    let mut t = builtin_table()?;
    let builtin = to_config(t.clone(), "built-in rules")?;
    let mut config = builtin.clone();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| RuleSetError::Io {
            err: e,
            path: f.clone(),
        })?;
        let name = f.display().to_string();
        let over: Table = toml::from_str(&text)
            .map_err(|e| RuleSetError::Logs(e.message().trim().to_string(), name.clone()))?;
        merge(&mut t, over);
        // Checked after each file, so that the error names the file.
        config = to_config(t.clone(), &name)?;
        same_keys(&config, &builtin).map_err(|m| RuleSetError::Logs(m, name.clone()))?;
    }
    Ok(config)
}

/// Deserialize a complete table, checking the detection ids.
fn to_config(t: Table, source: &str) -> Result<DetectConfig, RuleSetError> {
    let bad = |m: String| RuleSetError::Logs(m, source.to_string());
    let cfg: DetectConfig = Value::Table(t)
        .try_into()
        .map_err(|e: toml::de::Error| bad(e.message().trim().to_string()))?;
    for id in cfg.detection.keys() {
        if !DETECTIONS.iter().any(|d| d.id == id) {
            return Err(bad(format!(
                "no log detection is called {id:?} (`exhibit detections` lists them)"
            )));
        }
    }
    Ok(cfg)
}

/// An override may reword a detection's texts and rate its cases, but
/// only those the detection has: every text, severity and limit key must
/// be a built-in one, and a text may use only the values its built-in
/// template uses.
fn same_keys(cfg: &DetectConfig, builtin: &DetectConfig) -> Result<(), String> {
    use crate::detect::logs::texts::names;
    for (id, d) in &cfg.detection {
        let b = builtin.detection.get(id).cloned().unwrap_or_default();
        for (key, template) in &d.text {
            let Some(known) = b.text.get(key) else {
                return Err(format!("the log detection {id:?} has no text {key:?}"));
            };
            let allowed = names(known);
            if let Some(n) = names(template).into_iter().find(|n| !allowed.contains(n)) {
                return Err(format!(
                    "the text {key:?} of {id:?} cannot use {{{n}}}; it has {}",
                    allowed
                        .iter()
                        .map(|n| format!("{{{n}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        for key in d.severities.keys() {
            if !b.severities.contains_key(key) {
                return Err(format!("the log detection {id:?} has no case {key:?}"));
            }
        }
        for key in d.limits.keys() {
            if !b.limits.contains_key(key) {
                return Err(format!("the log detection {id:?} has no limit {key:?}"));
            }
        }
    }
    Ok(())
}

/// Merge `over` into `base`: tables merge key by key, anything else
/// replaces.
fn merge(base: &mut Table, over: Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Severity;

    #[test]
    fn the_built_in_files_are_complete_and_fail2ban_like() {
        let c = builtin_log_config().expect("built-in rules parse");
        assert_eq!((c.maxretry, c.findtime_s), (5, 600));
        assert!(!c.rules.scanner_agents.is_empty());
        assert!(DETECTIONS.iter().all(|d| c.enabled(d.id)));
        assert!(
            c.detection.values().all(|d| d.severity.is_none()),
            "no detection's severity is overridden"
        );
        for d in DETECTIONS {
            let s = c
                .detection
                .get(d.id)
                .expect("every detection has its texts");
            assert!(!s.text.is_empty() && !s.severities.is_empty(), "{}", d.id);
        }
    }

    #[test]
    fn overrides_replace_only_what_they_name_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        std::fs::write(
            logs.join("10-site.toml"),
            "maxretry = 3\n[rules]\nlogin_paths = [\"/sso\"]\n\
             [detection.web_scan]\nseverity = \"low\"\n",
        )
        .unwrap();
        std::fs::write(
            logs.join("20-quiet.toml"),
            "maxretry = 4\n[detection.new_login_source]\nenabled = false\n\
             [detection.web_scan]\nenabled = true\n",
        )
        .unwrap();
        let set = RuleSet::load(Some(dir.path())).unwrap();
        let c = &set.logs;
        assert_eq!(c.maxretry, 4, "the later file wins");
        assert_eq!(c.findtime_s, 600, "keys not named keep their value");
        assert_eq!(c.rules.login_paths, ["/sso"]);
        assert!(!c.rules.scanner_agents.is_empty(), "other lists stay");
        assert!(!c.enabled("new_login_source"));
        assert_eq!(
            c.severity_of("web_scan"),
            Some(Severity::Low),
            "tables merge"
        );
        assert!(c.enabled("web_scan"));
        assert_eq!(set.read.len(), 2);
    }

    #[test]
    fn a_typo_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.toml");
        std::fs::write(&f, "maxretyr = 3\n").unwrap();
        let e = log_config(std::slice::from_ref(&f))
            .unwrap_err()
            .to_string();
        assert!(e.contains("maxretyr") && e.contains("x.toml"), "{e}");
        std::fs::write(&f, "[detection.ssh_brutforce]\nenabled = false\n").unwrap();
        let e = log_config(std::slice::from_ref(&f))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ssh_brutforce") && e.contains("x.toml"), "{e}");
        std::fs::write(&f, "[detection.web_scan]\nseverity = \"urgent\"\n").unwrap();
        assert!(log_config(&[f]).is_err());
    }

    #[test]
    fn texts_and_case_severities_are_overridable_but_only_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.toml");
        std::fs::write(
            &f,
            "[detection.ssh_bruteforce.text]
title = \"SSH brute force: {ip} ({total})\"\n\
             [detection.ssh_bruteforce.severities]\nsome = \"high\"\n\
             [detection.ssh_bruteforce.limits]\nmany_failures = 10\n",
        )
        .unwrap();
        let c = log_config(std::slice::from_ref(&f)).unwrap();
        let ip = "192.0.2.9";
        assert_eq!(
            c.text("ssh_bruteforce", "title", &[("ip", &ip), ("total", &7)]),
            "SSH brute force: 192.0.2.9 (7)"
        );
        assert_eq!(
            c.text(
                "ssh_bruteforce",
                "title_accounts",
                &[("ip", &ip), ("total", &7), ("users", &2)]
            ),
            "Brute force from 192.0.2.9: 7 failed logins on 2 account(s)",
            "texts not named keep the built-in wording"
        );
        assert_eq!(c.case_severity("ssh_bruteforce", "some"), Severity::High);
        assert_eq!(c.case_severity("ssh_bruteforce", "many"), Severity::High);
        assert_eq!(c.limit("ssh_bruteforce", "many_failures"), 10);
        for (bad, named) in [
            ("[detection.ssh_bruteforce.text]\ntitel = \"x\"\n", "titel"),
            (
                "[detection.ssh_bruteforce.text]\ntitle = \"{address}\"\n",
                "{address}",
            ),
            (
                "[detection.ssh_bruteforce.severities]\nfew = \"low\"\n",
                "few",
            ),
            ("[detection.ssh_bruteforce.limits]\nlots = 3\n", "lots"),
        ] {
            std::fs::write(&f, bad).unwrap();
            let e = log_config(std::slice::from_ref(&f))
                .unwrap_err()
                .to_string();
            assert!(e.contains(named) && e.contains("x.toml"), "{e}");
        }
    }
}
