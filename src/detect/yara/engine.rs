//! The yara-x side of [`super`] (feature `yara`): compile the rule files
//! (each in its namespace, their `include`s looked up beside them, imports
//! of modules this build leaves out ignored and the rules using them named),
//! turn the first compile error into file, line and message, and scan one
//! buffer into [`RuleHit`]s.

use super::excerpt::string_match;
use super::{OFFSETS_PER_STRING, RuleHit, RuleSource, SCAN_TIMEOUT_SECS, STRINGS_SHOWN, YaraError};
use std::time::Duration;

/// Modules yara-x knows (or libyara had) that this build does not compile
/// in (Cargo.toml): their imports are ignored, and the rules using them are
/// listed as skipped instead of failing the whole set.
const IGNORED_MODULES: &[&str] = &[
    "androguard",
    "crx",
    "cuckoo",
    "dex",
    "dotnet",
    "lnk",
    "macho",
    "magic",
    "olecf",
    "pe",
    "vba",
    "vt",
    "zip",
];

/// External variables that community rule sets (Loki's and THOR's, in
/// signature-base) use: defined empty, set per file by [`FileScanner::scan`]
/// (`filename` the last path component, `filepath` the logical path,
/// `extension` lowercase with its dot; `filetype` and `owner` stay empty).
pub const EXTERNALS: &[&str] = &["filename", "filepath", "extension", "filetype", "owner"];

/// Matches recorded per pattern and file (memory stays bounded on a file
/// full of one string).
const MAX_MATCHES_PER_PATTERN: usize = 1000;

/// Compiled rules.
pub struct Compiled {
    rules: yara_x::Rules,
}

/// Compile every file in its namespace: the compiled rules, how many, and
/// the rules left out with why. The first error stops compilation.
pub fn compile(
    files: &[RuleSource],
    namespaces: &[String],
) -> Result<(Compiled, usize, Vec<String>), YaraError> {
    let mut c = yara_x::Compiler::new();
    for m in IGNORED_MODULES {
        c.ignore_module(*m);
    }
    for v in EXTERNALS {
        // Cannot fail: valid identifiers, defined once.
        let _ = c.define_global(v, "");
    }
    for (f, ns) in files.iter().zip(namespaces) {
        c.new_namespace(ns);
        if let Some(d) = &f.dir {
            c.add_include_dir(d);
        }
        let src = yara_x::SourceCode::from(f.text.as_str()).with_origin(f.origin.clone());
        if let Err(e) = c.add_source(src) {
            return Err(compile_error(&e, f));
        }
    }
    let skipped: Vec<String> = c
        .ignored_rules()
        .map(|(name, why)| match why {
            yara_x::IgnoredRuleReason::IgnoredModule(m) => {
                format!("{name}: uses the `{m}` module, not in this build")
            }
            yara_x::IgnoredRuleReason::IgnoredRule(r) => {
                format!("{name}: depends on rule {r}, which was left out")
            }
            yara_x::IgnoredRuleReason::CompileError(e) => {
                format!("{name}: {}", e.title())
            }
        })
        .collect();
    let rules = c.build();
    let n = rules.iter().len();
    Ok((Compiled { rules }, n, skipped))
}

/// The error's first label: its message, file and line (1-based).
fn compile_error(e: &yara_x::errors::CompileError, current: &RuleSource) -> YaraError {
    let label = e.labels().next();
    let pos = label
        .as_ref()
        .and_then(|l| serde_json::to_value(l).ok())
        .map(|v| {
            let n = |k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0) as usize;
            (n("line"), n("column"))
        });
    let file = label
        .as_ref()
        .and_then(|l| l.origin().map(str::to_string))
        .unwrap_or_else(|| current.origin.clone());
    let (line, col) = pos.unwrap_or((0, 0));
    let mut message = format!("error[{}]: {}", e.code(), e.title());
    if let Some(l) = &label
        && !l.text().is_empty()
    {
        message.push_str(&format!(": {}", l.text()));
    }
    if col > 0 {
        message.push_str(&format!(" (column {col})"));
    }
    YaraError::Compile {
        message,
        file,
        line,
        report: e.to_string(),
    }
}

/// Why a scan gave no result.
pub enum ScanFailure {
    Timeout,
    Other(String),
}

/// One yara-x scanner, reused for many buffers.
pub struct FileScanner<'r> {
    scanner: yara_x::Scanner<'r>,
}

impl<'r> FileScanner<'r> {
    pub fn new(c: &'r Compiled) -> Self {
        let mut scanner = yara_x::Scanner::new(&c.rules);
        scanner
            .set_timeout(Duration::from_secs(SCAN_TIMEOUT_SECS))
            .max_matches_per_pattern(MAX_MATCHES_PER_PATTERN);
        Self { scanner }
    }

    /// The rules matching `data` (the content of the file at logical
    /// `path`), each with its first matched strings.
    pub fn scan(&mut self, data: &[u8], path: &str) -> Result<Vec<RuleHit>, ScanFailure> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = match name.rsplit_once('.') {
            Some((stem, x)) if !stem.is_empty() => format!(".{}", x.to_lowercase()),
            _ => String::new(),
        };
        for (k, v) in [
            ("filename", name),
            ("filepath", path),
            ("extension", ext.as_str()),
        ] {
            self.scanner
                .set_global(k, v)
                .map_err(|e| ScanFailure::Other(e.to_string()))?;
        }
        let results = match self.scanner.scan(data) {
            Ok(r) => r,
            Err(yara_x::ScanError::Timeout) => return Err(ScanFailure::Timeout),
            Err(e) => return Err(ScanFailure::Other(e.to_string())),
        };
        let mut hits = Vec::new();
        for r in results.matching_rules() {
            let strings = r
                .patterns()
                .filter_map(|p| {
                    let matches = p.matches();
                    let count = matches.len();
                    let mut offsets = Vec::new();
                    let mut first: &[u8] = &[];
                    for (i, m) in matches.take(OFFSETS_PER_STRING).enumerate() {
                        if i == 0 {
                            first = m.data();
                        }
                        offsets.push(m.range().start as u64);
                    }
                    (count > 0).then(|| string_match(p.identifier(), count, offsets, first))
                })
                .take(STRINGS_SHOWN)
                .collect();
            hits.push(RuleHit {
                rule: r.identifier().to_string(),
                namespace: r.namespace().to_string(),
                tags: r.tags().map(|t| t.identifier().to_string()).collect(),
                meta: r
                    .metadata()
                    .map(|(k, v)| (k.to_string(), meta_json(&v)))
                    .collect(),
                strings,
            });
        }
        Ok(hits)
    }
}

fn meta_json(v: &yara_x::MetaValue<'_>) -> serde_json::Value {
    use serde_json::Value;
    match v {
        yara_x::MetaValue::Integer(i) => Value::from(*i),
        yara_x::MetaValue::Float(f) => Value::from(*f),
        yara_x::MetaValue::Bool(b) => Value::from(*b),
        yara_x::MetaValue::String(s) => Value::from(*s),
        yara_x::MetaValue::Bytes(b) => Value::from(String::from_utf8_lossy(b).into_owned()),
    }
}
