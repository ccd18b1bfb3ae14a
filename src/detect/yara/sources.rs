//! Where YARA rules come from: files and folders the examiner names
//! (`*.yar`, `*.yara`, folders searched recursively, hidden ones skipped,
//! in path order) and the starter set shipped in `assets/rules/yara/`,
//! embedded in the binary and named `builtin`. Each file compiles in a
//! namespace of its own, so two community sets may both have a rule
//! called `webshell` without a clash.

use super::YaraError;
use std::path::{Path, PathBuf};

/// The name that stands for the starter set.
pub const BUILTIN_NAME: &str = "builtin";

/// The starter set: (file name, rule text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "webshells.yar",
        include_str!("../../../assets/rules/yara/webshells.yar"),
    ),
    (
        "miners.yar",
        include_str!("../../../assets/rules/yara/miners.yar"),
    ),
    (
        "reverse_shells.yar",
        include_str!("../../../assets/rules/yara/reverse_shells.yar"),
    ),
];

/// The most bytes of one rule file read.
const MAX_RULE_FILE: u64 = 64 << 20;

/// One rule file's text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    /// The path as found (or `builtin:NAME`): shown in errors and findings.
    pub origin: String,
    pub text: String,
    /// The file's folder, where its `include`s are looked up.
    pub dir: Option<PathBuf>,
}

/// Read every rule file the sources name, in order; a folder without rule
/// files is an error (a typo in a path must not pass as a clean scan).
pub fn collect(sources: &[PathBuf]) -> Result<Vec<RuleSource>, YaraError> {
    let mut out = Vec::new();
    for s in sources {
        if s.as_os_str() == BUILTIN_NAME && !s.exists() {
            out.extend(BUILTIN.iter().map(|(name, text)| RuleSource {
                origin: format!("{BUILTIN_NAME}:{name}"),
                text: (*text).to_string(),
                dir: None,
            }));
            continue;
        }
        let meta = std::fs::metadata(s).map_err(|e| YaraError::Io(e, s.clone()))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(s, &mut files)?;
            if files.is_empty() {
                return Err(YaraError::NoRuleFiles(s.clone()));
            }
            files.sort();
            for f in files {
                out.push(read(&f)?);
            }
        } else {
            out.push(read(s)?);
        }
    }
    Ok(out)
}

fn is_rule_file(p: &Path) -> bool {
    p.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| x.eq_ignore_ascii_case("yar") || x.eq_ignore_ascii_case("yara"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), YaraError> {
    let rd = std::fs::read_dir(dir).map_err(|e| YaraError::Io(e, dir.to_path_buf()))?;
    for ent in rd {
        let ent = ent.map_err(|e| YaraError::Io(e, dir.to_path_buf()))?;
        if ent.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = ent.path();
        let ft = ent.file_type().map_err(|e| YaraError::Io(e, p.clone()))?;
        if ft.is_dir() {
            walk(&p, out)?;
        } else if (ft.is_file() || ft.is_symlink()) && is_rule_file(&p) {
            out.push(p);
        }
    }
    Ok(())
}

fn read(p: &Path) -> Result<RuleSource, YaraError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(p)
        .and_then(|f| f.take(MAX_RULE_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| YaraError::Io(e, p.to_path_buf()))?;
    if bytes.len() as u64 > MAX_RULE_FILE {
        return Err(YaraError::Io(
            std::io::Error::other(format!("larger than {MAX_RULE_FILE} bytes")),
            p.to_path_buf(),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        YaraError::Io(
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 text: {e}"),
            ),
            p.to_path_buf(),
        )
    })?;
    Ok(RuleSource {
        origin: p.display().to_string(),
        text,
        dir: p.parent().map(Path::to_path_buf),
    })
}

/// A namespace per file: the file's stem in identifier characters, made
/// unique with `_2`, `_3`… in order.
pub fn namespaces(files: &[RuleSource]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(files.len());
    for f in files {
        let name = f.origin.rsplit(['/', ':']).next().unwrap_or(&f.origin);
        let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
        let mut base: String = stem
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
            base.insert(0, 'r');
        }
        let mut ns = base.clone();
        let mut n = 2;
        while out.contains(&ns) {
            ns = format!("{base}_{n}");
            n += 1;
        }
        out.push(ns);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_searched_for_rule_files_in_order() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("sub")).unwrap();
        std::fs::create_dir_all(d.path().join(".git")).unwrap();
        std::fs::write(d.path().join("b.yar"), "rule b { condition: true }").unwrap();
        std::fs::write(d.path().join("sub/a.YARA"), "rule a { condition: true }").unwrap();
        std::fs::write(d.path().join("README.md"), "not a rule").unwrap();
        std::fs::write(d.path().join(".git/x.yar"), "hidden").unwrap();
        let got = collect(&[d.path().to_path_buf()]).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|s| s.origin.rsplit('/').next().unwrap().to_string())
            .collect();
        assert_eq!(names, ["b.yar", "a.YARA"]);
    }

    #[test]
    fn an_empty_folder_or_missing_path_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let e = collect(&[d.path().to_path_buf()]).unwrap_err();
        assert!(matches!(e, YaraError::NoRuleFiles(_)), "{e}");
        let e = collect(&[d.path().join("nope.yar")]).unwrap_err();
        assert!(e.to_string().ends_with("nope.yar"), "{e}");
    }

    #[test]
    fn builtin_names_the_starter_set() {
        let got = collect(&[PathBuf::from(BUILTIN_NAME)]).unwrap();
        assert_eq!(got.len(), BUILTIN.len());
        assert!(got.iter().all(|s| s.origin.starts_with("builtin:")));
    }

    #[test]
    fn namespaces_are_identifiers_and_unique() {
        let src = |o: &str| RuleSource {
            origin: o.into(),
            text: String::new(),
            dir: None,
        };
        let ns = namespaces(&[
            src("/r/web-shells.yar"),
            src("/s/web-shells.yar"),
            src("builtin:miners.yar"),
            src("/x/1st.yar"),
        ]);
        assert_eq!(ns, ["web_shells", "web_shells_2", "miners", "r1st"]);
    }
}
