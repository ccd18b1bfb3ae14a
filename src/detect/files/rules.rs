//! Anomaly rules as data: `assets/rules/*.toml`.
//!
//! The built-in rule files are embedded with `include_str!`. A user directory
//! may hold rule files of its own: a file with the same name as a built-in one
//! replaces it, other files add rules. Each `[[rule]]` matches an entry when
//! every condition it states holds:
//!
//! ```toml
//! [[rule]]
//! id = "persistence.cron_fetch_pipe_shell"
//! severity = "critical"           # on a diff
//! scan = "high"                   # on a single snapshot (absent: diff only)
//! title = "Cron entry downloads and runs code"
//! explanation = "…"
//! paths = ["/etc/cron*/**", "/var/spool/cron/**"]   # globs on the logical path
//! exclude = ["**/.placeholder"]
//! changes = ["added", "modified"] # change classes (diff); default: any with a new entry
//! types = ["file"]                # entry types
//! mode_any = "6000"               # any of these permission bits set
//! mode_new = true                 # ... and not set in the baseline
//! link_target = "^/(tmp|dev/shm)/" # regex on a symlink's target
//! magic = ["elf", "pe", "macho", "shebang"]
//! content = "regex"               # small text files only
//! max_content_bytes = 1048576
//! min_size = 1
//! max_size = 10485760
//! min_entropy = 5.6               # bits per byte over the first 64 KiB
//! ```

use super::{Context, Finding, FindingsError, Subject};
use crate::archive::EntryType;
use crate::detect::Severity;
use crate::diff::ChangeClass;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::Path;

/// The built-in rule files: (file name, TOML text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "webshell.toml",
        include_str!("../../../assets/rules/webshell.toml"),
    ),
    (
        "persistence.toml",
        include_str!("../../../assets/rules/persistence.toml"),
    ),
    (
        "accounts.toml",
        include_str!("../../../assets/rules/accounts.toml"),
    ),
    ("tmp.toml", include_str!("../../../assets/rules/tmp.toml")),
    (
        "privilege.toml",
        include_str!("../../../assets/rules/privilege.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    severity: Severity,
    scan: Option<Severity>,
    title: String,
    explanation: String,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    changes: Vec<String>,
    #[serde(default)]
    types: Vec<EntryType>,
    mode_any: Option<String>,
    #[serde(default)]
    mode_new: bool,
    link_target: Option<String>,
    #[serde(default)]
    magic: Vec<Magic>,
    content: Option<String>,
    max_content_bytes: Option<u64>,
    min_size: Option<u64>,
    max_size: Option<u64>,
    min_entropy: Option<f64>,
}

/// File types recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Magic {
    Elf,
    Pe,
    Macho,
    Shebang,
}

impl Magic {
    /// The magic a file starts with, if any.
    pub fn of(head: &[u8]) -> Option<Magic> {
        let h = |n: usize| head.get(..n);
        if h(4) == Some(b"\x7fELF") {
            Some(Magic::Elf)
        } else if h(2) == Some(b"MZ") {
            Some(Magic::Pe)
        } else if matches!(
            h(4),
            Some(
                [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                    | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                    | [0xca, 0xfe, 0xba, 0xbe]
            )
        ) {
            Some(Magic::Macho)
        } else if h(2) == Some(b"#!") {
            Some(Magic::Shebang)
        } else {
            None
        }
    }
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    pub scan: Option<Severity>,
    pub title: String,
    pub explanation: String,
    /// The rule file it came from.
    pub file: String,
    paths: Option<GlobSet>,
    exclude: Option<GlobSet>,
    changes: Vec<ChangeClass>,
    types: Vec<EntryType>,
    mode_any: u32,
    mode_new: bool,
    link_target: Option<regex::Regex>,
    magic: Vec<Magic>,
    content: Option<regex::bytes::Regex>,
    max_content_bytes: u64,
    min_size: Option<u64>,
    max_size: Option<u64>,
    min_entropy: Option<f64>,
}

/// The loaded rule set.
#[derive(Debug, Default)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

fn glob(p: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(p).literal_separator(true).build()
}

fn globset(pats: &[String], file: &str, id: &str) -> Result<Option<GlobSet>, FindingsError> {
    if pats.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in pats {
        b.add(glob(p).map_err(|e| FindingsError::Rule(format!("rule {id}: {e}"), file.into()))?);
    }
    b.build()
        .map(Some)
        .map_err(|e| FindingsError::Rule(format!("rule {id}: {e}"), file.into()))
}

impl Rules {
    /// The built-in rules, with files from `user_dir` replacing or adding to
    /// them.
    pub fn load(user_dir: Option<&Path>) -> Result<Self, FindingsError> {
        let mut files: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        if let Some(dir) = user_dir {
            let rd = std::fs::read_dir(dir).map_err(|e| FindingsError::Io(e, dir.into()))?;
            let mut user = Vec::new();
            for ent in rd {
                let ent = ent.map_err(|e| FindingsError::Io(e, dir.into()))?;
                let p = ent.path();
                if p.extension().is_some_and(|x| x == "toml") {
                    let text =
                        std::fs::read_to_string(&p).map_err(|e| FindingsError::Io(e, p.clone()))?;
                    let name = ent.file_name().to_string_lossy().into_owned();
                    user.push((name, text, p));
                }
            }
            user.sort();
            for (name, text, p) in user {
                files.retain(|(n, _)| *n != name);
                files.push((p.display().to_string(), text));
            }
        }
        let mut rules = Vec::new();
        for (name, text) in &files {
            rules.extend(Self::parse(name, text)?);
        }
        Ok(Rules { rules })
    }

    /// Parse one rule file.
    pub fn parse(file: &str, text: &str) -> Result<Vec<Rule>, FindingsError> {
        let err = |m: String| FindingsError::Rule(m, file.to_string());
        let f: RuleFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut out = Vec::new();
        for d in f.rule {
            let mut changes = Vec::new();
            for c in &d.changes {
                changes
                    .push(ChangeClass::parse(c).ok_or_else(|| {
                        err(format!("rule {}: unknown change class {c:?}", d.id))
                    })?);
            }
            let mode_any = match &d.mode_any {
                Some(m) => u32::from_str_radix(m, 8)
                    .map_err(|e| err(format!("rule {}: mode_any {m:?}: {e}", d.id)))?,
                None => 0,
            };
            let link_target = d
                .link_target
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| err(format!("rule {}: {e}", d.id)))?;
            let content = d
                .content
                .as_deref()
                .map(regex::bytes::Regex::new)
                .transpose()
                .map_err(|e| err(format!("rule {}: {e}", d.id)))?;
            out.push(Rule {
                paths: globset(&d.paths, file, &d.id)?,
                exclude: globset(&d.exclude, file, &d.id)?,
                id: d.id,
                severity: d.severity,
                scan: d.scan,
                title: d.title,
                explanation: d.explanation,
                file: file.to_string(),
                changes,
                types: d.types,
                mode_any,
                mode_new: d.mode_new,
                link_target,
                magic: d.magic,
                content,
                max_content_bytes: d.max_content_bytes.unwrap_or(1 << 20),
                min_size: d.min_size,
                max_size: d.max_size,
                min_entropy: d.min_entropy,
            });
        }
        Ok(out)
    }

    /// Apply every rule to every subject of the context.
    pub fn apply(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for s in ctx.subjects() {
            let mut cache = HeadCache::default();
            for r in &self.rules {
                if let Some(f) = r.check_cached(ctx, &s, &mut cache) {
                    out.push(f);
                }
            }
        }
    }
}

/// Shannon entropy in bits per byte.
pub fn entropy(b: &[u8]) -> f64 {
    if b.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &x in b {
        if let Some(c) = counts.get_mut(x as usize) {
            *c += 1;
        }
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// The first bytes of one subject's content, read once for every rule that
/// looks at it.
#[derive(Debug, Default)]
pub struct HeadCache {
    data: Vec<u8>,
    /// The limit the data was read with; `None` before any read.
    limit: Option<u64>,
    failed: bool,
}

impl HeadCache {
    fn get(&mut self, s: &Subject<'_>, limit: u64) -> Option<&[u8]> {
        if self.failed {
            return None;
        }
        let covered = self
            .limit
            .is_some_and(|l| l >= limit || (self.data.len() as u64) < l);
        if !covered {
            match s.snapshot.read_prefix(s.entry, limit) {
                Ok(d) => {
                    self.data = d;
                    self.limit = Some(limit);
                }
                Err(_) => {
                    self.failed = true;
                    return None;
                }
            }
        }
        let n = self
            .data
            .len()
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        self.data.get(..n)
    }
}

impl Rule {
    /// True when the rule judges a file's mode (setuid, setgid, sticky,
    /// world-writable bits) rather than its content: a package's hashes
    /// vouch for content only, so such findings keep their severity on
    /// packaged files.
    pub fn judges_mode(&self) -> bool {
        self.mode_any != 0
    }

    /// The finding this rule makes on a subject, if it matches.
    pub fn check(&self, ctx: &Context<'_>, s: &Subject<'_>) -> Option<Finding> {
        self.check_cached(ctx, s, &mut HeadCache::default())
    }

    /// [`Self::check`], sharing content already read for the same subject.
    pub fn check_cached(
        &self,
        ctx: &Context<'_>,
        s: &Subject<'_>,
        cache: &mut HeadCache,
    ) -> Option<Finding> {
        let e = s.entry;
        let severity = match s.change {
            Some(c) => {
                let class_ok = if self.changes.is_empty() {
                    // Every class with an entry in the new snapshot.
                    c.change != ChangeClass::Removed
                        && !(c.change == ChangeClass::NotInBoth && c.new.is_none())
                } else {
                    self.changes.contains(&c.change)
                };
                if !class_ok {
                    return None;
                }
                self.severity
            }
            None => self.scan?,
        };
        if let Some(p) = &self.paths
            && !p.is_match(&e.path)
        {
            return None;
        }
        if let Some(x) = &self.exclude
            && x.is_match(&e.path)
        {
            return None;
        }
        if !self.types.is_empty() && !self.types.contains(&e.kind) {
            return None;
        }
        if self.min_size.is_some_and(|m| e.size < m) || self.max_size.is_some_and(|m| e.size > m) {
            return None;
        }
        let mut evidence = Vec::new();
        if let Some(c) = s.change {
            evidence.push(format!("change: {}", c.change.as_str()));
        }
        if self.mode_any != 0 {
            let bits = e.mode & self.mode_any;
            if bits == 0 {
                return None;
            }
            if self.mode_new && s.change.is_some() {
                let before = s.old.map_or(0, |o| o.mode & self.mode_any);
                if bits & !before == 0 {
                    return None;
                }
                evidence.push(format!(
                    "mode {:04o}, was {}",
                    e.mode,
                    s.old
                        .map_or("absent".to_string(), |o| format!("{:04o}", o.mode))
                ));
            } else {
                evidence.push(format!("mode {:04o}", e.mode));
            }
        }
        if let Some(re) = &self.link_target {
            let t = e.link_target.as_deref()?;
            if !re.is_match(t) {
                return None;
            }
            evidence.push(format!("link target: {t}"));
        }
        let needs_content =
            !self.magic.is_empty() || self.content.is_some() || self.min_entropy.is_some();
        if needs_content {
            if !e.has_content() {
                return None;
            }
            let limit = if self.content.is_some() {
                if e.size > self.max_content_bytes {
                    return None;
                }
                self.max_content_bytes
            } else {
                64 << 10
            };
            let head = cache.get(s, limit)?;
            if !self.magic.is_empty() {
                let m = Magic::of(head)?;
                if !self.magic.contains(&m) {
                    return None;
                }
                evidence.push(format!("content starts like {m:?} (magic bytes)").to_lowercase());
            }
            if let Some(min) = self.min_entropy {
                let h = entropy(head.get(..head.len().min(64 << 10)).unwrap_or_default());
                if h < min {
                    return None;
                }
                evidence.push(format!("entropy {h:.2} bits/byte (threshold {min})"));
            }
            if let Some(re) = &self.content {
                let m = re.find(head)?;
                let line_no = head
                    .get(..m.start())
                    .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
                    + 1;
                let ls = head
                    .get(..m.start())
                    .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
                    .map_or(0, |i| i + 1);
                let le = head
                    .get(m.end()..)
                    .and_then(|b| b.iter().position(|&c| c == b'\n'))
                    .map_or(head.len(), |i| m.end() + i);
                let line = String::from_utf8_lossy(head.get(ls..le).unwrap_or_default());
                let line: String = line.chars().take(200).collect();
                evidence.push(format!("line {line_no}: {}", line.trim()));
            }
        }
        if let Some(h) = e.sha256_hex() {
            evidence.push(format!("sha256 {h}"));
        }
        let mut f = ctx.finding(
            &self.id,
            severity,
            &e.path,
            self.title.clone(),
            self.explanation.clone(),
            evidence,
        );
        f.subject.change = s.change.map(|c| c.change);
        Some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse() {
        let r = Rules::load(None).expect("built-in rules");
        assert!(r.rules.len() >= 15, "{}", r.rules.len());
        let mut ids: Vec<&str> = r.rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "rule ids are unique");
    }

    #[test]
    fn bad_rule_is_a_clear_error() {
        let e = Rules::parse(
            "x.toml",
            "[[rule]]\nid='a'\nseverity='nope'\ntitle=''\nexplanation=''",
        )
        .expect_err("must fail");
        assert!(e.to_string().contains("x.toml"), "{e}");
        let e = Rules::parse(
            "y.toml",
            "[[rule]]\nid='a'\nseverity='low'\ntitle=''\nexplanation=''\nchanges=['grown']",
        )
        .expect_err("must fail");
        assert!(e.to_string().contains("grown"), "{e}");
    }

    #[test]
    fn user_directory_replaces_and_adds_rule_files() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(
            dir.path().join("webshell.toml"),
            "[[rule]]\nid='local.only'\nseverity='low'\ntitle='t'\nexplanation='e'\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("extra.toml"),
            "[[rule]]\nid='local.extra'\nseverity='info'\ntitle='t'\nexplanation='e'\npaths=['/opt/**']\n",
        )
        .expect("write");
        let r = Rules::load(Some(dir.path())).expect("rules");
        let ids: Vec<&str> = r.rules.iter().map(|r| r.id.as_str()).collect();
        assert!(ids.contains(&"local.only") && ids.contains(&"local.extra"));
        assert!(!ids.iter().any(|i| i.starts_with("webshell.")), "{ids:?}");
        assert!(ids.iter().any(|i| i.starts_with("persistence.")));
    }

    #[test]
    fn magic_and_entropy() {
        assert_eq!(Magic::of(b"\x7fELF\x02"), Some(Magic::Elf));
        assert_eq!(Magic::of(b"#!/bin/sh"), Some(Magic::Shebang));
        assert_eq!(Magic::of(b"\xff\xd8\xff\xe0"), None);
        assert!(entropy(b"aaaa") < 0.01);
        let all: Vec<u8> = (0..=255).collect();
        assert!((entropy(&all) - 8.0).abs() < 1e-9);
    }

    proptest::proptest! {
        #[test]
        fn rule_parser_never_panics(s in ".{0,400}") {
            let _ = Rules::parse("p.toml", &s);
        }
    }
}
