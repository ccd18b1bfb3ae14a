//! The pattern lists the detections match against, as data. All matching is
//! on lowercased, percent-decoded text. Replace any list through
//! [`super::DetectConfig::rules`].

use serde::{Deserialize, Serialize};

/// One attack-payload category: a name and substrings that reveal it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PayloadRule {
    pub name: String,
    pub patterns: Vec<String>,
}

/// Every pattern list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// Path endings of files that should never be served (backups, dumps,
    /// secrets, repositories).
    pub sensitive_suffixes: Vec<String>,
    /// Path fragments of sensitive files anywhere in the path.
    pub sensitive_fragments: Vec<String>,
    /// Directory names whose archives/exports are sensitive (`/backup/x.zip`).
    pub sensitive_dirs: Vec<String>,
    /// Extensions that are sensitive under `sensitive_dirs`.
    pub data_extensions: Vec<String>,
    /// Substrings of scanner user agents.
    pub scanner_agents: Vec<String>,
    /// Attack payload categories.
    pub payloads: Vec<PayloadRule>,
    /// Login endpoints for credential stuffing.
    pub login_paths: Vec<String>,
    /// Upload directories where a script should never run.
    pub upload_dirs: Vec<String>,
    /// Server-side script extensions.
    pub script_extensions: Vec<String>,
    /// Extensions a server executes: a file with one of them in an upload
    /// directory that answers 2xx is a script that ran.
    pub upload_script_extensions: Vec<String>,
    /// Query parameters web shells take commands in.
    pub webshell_params: Vec<String>,
    /// Commands that open a shell (after sudo/su) or an interactive escape.
    pub shell_commands: Vec<String>,
    /// Commands that tamper with accounts, logs or auditing.
    pub tamper_commands: Vec<String>,
    /// Groups that give administrative rights.
    pub privileged_groups: Vec<String>,
}

/// The built-in pattern lists (`assets/rules/logs/patterns.toml`).
pub const BUILTIN: &str = include_str!("../../../assets/rules/logs/patterns.toml");

impl Rules {
    /// Parse pattern lists from TOML; lists a file leaves out keep their
    /// built-in value.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// No patterns at all (the base the built-in file is read onto).
    fn empty() -> Self {
        Self {
            sensitive_suffixes: Vec::new(),
            sensitive_fragments: Vec::new(),
            sensitive_dirs: Vec::new(),
            data_extensions: Vec::new(),
            scanner_agents: Vec::new(),
            payloads: Vec::new(),
            login_paths: Vec::new(),
            upload_dirs: Vec::new(),
            upload_script_extensions: Vec::new(),
            script_extensions: Vec::new(),
            webshell_params: Vec::new(),
            shell_commands: Vec::new(),
            tamper_commands: Vec::new(),
            privileged_groups: Vec::new(),
        }
    }
}

impl Default for Rules {
    /// The built-in lists. The embedded file is checked by a unit test; were
    /// it ever unreadable, the lists would be empty rather than a panic.
    fn default() -> Self {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(flatten)]
            rules: RawRules,
        }
        #[derive(Deserialize)]
        struct RawRules {
            sensitive_suffixes: Vec<String>,
            sensitive_fragments: Vec<String>,
            sensitive_dirs: Vec<String>,
            data_extensions: Vec<String>,
            scanner_agents: Vec<String>,
            payloads: Vec<PayloadRule>,
            login_paths: Vec<String>,
            upload_dirs: Vec<String>,
            upload_script_extensions: Vec<String>,
            script_extensions: Vec<String>,
            webshell_params: Vec<String>,
            shell_commands: Vec<String>,
            tamper_commands: Vec<String>,
            privileged_groups: Vec<String>,
        }
        match toml::from_str::<Raw>(BUILTIN) {
            Ok(Raw { rules: r }) => Self {
                sensitive_suffixes: r.sensitive_suffixes,
                sensitive_fragments: r.sensitive_fragments,
                sensitive_dirs: r.sensitive_dirs,
                data_extensions: r.data_extensions,
                scanner_agents: r.scanner_agents,
                payloads: r.payloads,
                login_paths: r.login_paths,
                upload_dirs: r.upload_dirs,
                upload_script_extensions: r.upload_script_extensions,
                script_extensions: r.script_extensions,
                webshell_params: r.webshell_params,
                shell_commands: r.shell_commands,
                tamper_commands: r.tamper_commands,
                privileged_groups: r.privileged_groups,
            },
            Err(_) => Self::empty(),
        }
    }
}

/// Whether `hay` (lowercase) contains any of `pats`; returns the first match.
pub fn any<'a>(hay: &str, pats: &'a [String]) -> Option<&'a str> {
    pats.iter()
        .find(|p| hay.contains(p.as_str()))
        .map(String::as_str)
}

/// A set of substrings searched at once (Aho-Corasick, ASCII
/// case-insensitive), falling back to plain searches if the automaton cannot
/// be built.
#[derive(Debug, Clone)]
pub struct Set {
    ac: Option<aho_corasick::AhoCorasick>,
    pats: Vec<String>,
}

impl Set {
    /// Compile a list.
    pub fn new(pats: &[String]) -> Self {
        let pats: Vec<String> = pats.iter().map(|p| p.to_ascii_lowercase()).collect();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&pats)
            .ok();
        Self { ac, pats }
    }

    /// The first pattern found in `hay` (by position), as its index.
    pub fn first(&self, hay: &str) -> Option<usize> {
        if self.pats.is_empty() {
            return None;
        }
        match &self.ac {
            Some(ac) => ac.find(hay).map(|m| m.pattern().as_usize()),
            None => {
                let l = hay.to_ascii_lowercase();
                self.pats.iter().position(|p| l.contains(p.as_str()))
            }
        }
    }

    /// Every pattern found in `hay` (with repeats), as indices.
    pub fn each(&self, hay: &str, mut f: impl FnMut(usize)) {
        if self.pats.is_empty() {
            return;
        }
        match &self.ac {
            Some(ac) => {
                for m in ac.find_iter(hay) {
                    f(m.pattern().as_usize());
                }
            }
            None => {
                let l = hay.to_ascii_lowercase();
                for (i, p) in self.pats.iter().enumerate() {
                    if l.contains(p.as_str()) {
                        f(i);
                    }
                }
            }
        }
    }

    /// The pattern text of an index.
    pub fn pattern(&self, i: usize) -> &str {
        self.pats.get(i).map_or("", String::as_str)
    }
}

/// A list of substrings where the answer is the first pattern *in list
/// order* that occurs (as [`any`] gives), found in one pass (case-sensitive
/// Aho-Corasick, overlapping matches) instead of one search per pattern.
#[derive(Debug, Clone)]
pub struct Listed {
    ac: Option<aho_corasick::AhoCorasick>,
    pats: Vec<String>,
}

impl Listed {
    pub fn new(pats: &[String]) -> Self {
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(pats)
            .ok();
        Self {
            ac,
            pats: pats.to_vec(),
        }
    }

    /// The first listed pattern contained in `hay`.
    pub fn first_listed(&self, hay: &str) -> Option<&str> {
        match &self.ac {
            Some(ac) => ac
                .find_overlapping_iter(hay)
                .map(|m| m.pattern().as_usize())
                .min()
                .and_then(|i| self.pats.get(i))
                .map(String::as_str),
            None => any(hay, &self.pats),
        }
    }
}

/// The rules compiled for fast matching.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub tamper_commands: Listed,
    pub scanner_agents: Set,
    /// All payload patterns; `payload_category[i]` names pattern i's rule.
    pub payloads: Set,
    pub payload_category: Vec<usize>,
    pub sensitive_fragments: Set,
    pub sensitive_dirs: Set,
    pub login_paths: Set,
    pub upload_dirs: Set,
    /// Sensitive suffixes that are plain extensions (`.sql`), lowercase.
    sensitive_ext: std::collections::HashSet<String>,
    /// The other sensitive suffixes.
    sensitive_other: Vec<String>,
    script_ext: std::collections::HashSet<String>,
}

/// The extension of the last path segment (with its dot, lowercased into
/// `buf`), if short.
fn extension<'b>(path: &str, buf: &'b mut [u8; 16]) -> Option<&'b str> {
    let seg = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = seg.rsplit_once('.')?;
    let n = ext.len() + 1;
    let out = buf.get_mut(..n)?;
    out[0] = b'.';
    for (o, c) in out[1..].iter_mut().zip(ext.bytes()) {
        *o = c.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

impl Compiled {
    pub fn new(r: &Rules) -> Self {
        let mut pats = Vec::new();
        let mut cat = Vec::new();
        for (ci, p) in r.payloads.iter().enumerate() {
            for s in &p.patterns {
                pats.push(s.clone());
                cat.push(ci);
            }
        }
        Self {
            tamper_commands: Listed::new(&r.tamper_commands),
            scanner_agents: Set::new(&r.scanner_agents),
            payloads: Set::new(&pats),
            payload_category: cat,
            sensitive_fragments: Set::new(&r.sensitive_fragments),
            sensitive_dirs: Set::new(&r.sensitive_dirs),
            login_paths: Set::new(&r.login_paths),
            upload_dirs: Set::new(&r.upload_dirs),
            sensitive_ext: r
                .sensitive_suffixes
                .iter()
                .filter(|s| is_plain_ext(s))
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            sensitive_other: r
                .sensitive_suffixes
                .iter()
                .filter(|s| !is_plain_ext(s))
                .cloned()
                .collect(),
            script_ext: r
                .script_extensions
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a path (no query) ends in a server-side script extension.
    pub fn is_script(&self, path: &str) -> bool {
        let mut buf = [0u8; 16];
        extension(path, &mut buf).is_some_and(|e| self.script_ext.contains(e))
    }

    /// Whether a decoded path (no query) names a sensitive file; the reason.
    pub fn sensitive_path(&self, r: &Rules, path: &str) -> Option<String> {
        let mut buf = [0u8; 16];
        if let Some(e) = extension(path, &mut buf).filter(|e| self.sensitive_ext.contains(*e)) {
            return Some(e.to_string());
        }
        if let Some(s) = self.sensitive_other.iter().find(|s| ends_with_ci(path, s)) {
            return Some(s.clone());
        }
        if let Some(i) = self.sensitive_fragments.first(path) {
            return Some(self.sensitive_fragments.pattern(i).to_string());
        }
        if let Some(i) = self.sensitive_dirs.first(path)
            && r.data_extensions.iter().any(|e| ends_with_ci(path, e))
        {
            return Some(format!(
                "data file under {}",
                self.sensitive_dirs.pattern(i)
            ));
        }
        None
    }
}

fn is_plain_ext(s: &str) -> bool {
    s.starts_with('.') && s.len() > 1 && !s[1..].contains(['.', '/'])
}

/// ASCII case-insensitive `ends_with`.
pub fn ends_with_ci(hay: &str, suffix: &str) -> bool {
    hay.len() >= suffix.len()
        && hay
            .as_bytes()
            .get(hay.len() - suffix.len()..)
            .is_some_and(|t| t.eq_ignore_ascii_case(suffix.as_bytes()))
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn listed_finds_the_pattern_any_finds(hay in "[abc/ ]{0,40}", pats in proptest::collection::vec("[abc/]{0,4}", 0..8)) {
            let l = super::Listed::new(&pats);
            proptest::prop_assert_eq!(l.first_listed(&hay), super::any(&hay, &pats));
        }
    }

    use super::*;

    #[test]
    fn builtin_file_is_complete_and_overridable() {
        // Every list is present in the embedded file (no silent defaults).
        let raw: toml::Table = toml::from_str(BUILTIN).unwrap();
        for key in [
            "sensitive_suffixes",
            "sensitive_fragments",
            "sensitive_dirs",
            "data_extensions",
            "scanner_agents",
            "payloads",
            "login_paths",
            "upload_dirs",
            "upload_script_extensions",
            "script_extensions",
            "webshell_params",
            "shell_commands",
            "tamper_commands",
            "privileged_groups",
        ] {
            assert!(raw.contains_key(key), "{key} missing from patterns.toml");
        }
        let r = Rules::default();
        assert!(r.scanner_agents.iter().any(|a| a == "sqlmap"));
        assert!(r.payloads.iter().any(|p| p.name == "jndi"));
        let o = Rules::from_toml("scanner_agents = [\"mytool\"]").unwrap();
        assert_eq!(o.scanner_agents, vec!["mytool".to_string()]);
        assert_eq!(o.login_paths, r.login_paths);
    }

    #[test]
    fn sets_match_case_insensitively() {
        let c = Compiled::new(&Rules::default());
        assert!(c.scanner_agents.first("Mozilla/5.0 SQLMap/1.7").is_some());
        assert!(
            c.sensitive_path(&Rules::default(), "/backup/DB.SQL")
                .is_some()
        );
        assert!(
            c.sensitive_path(&Rules::default(), "/export/customers.csv")
                .is_some()
        );
        assert!(c.sensitive_path(&Rules::default(), "/index.html").is_none());
        assert!(c.is_script("/uploads/x.PHP"));
    }
}
