//! Collection profiles: what a responder's capture takes, kept as data.
//!
//! A profile is a TOML file (format in `docs/profiles.md`) with a name, a
//! description a responder understands, optional `includes` of other
//! profiles, and rules. A rule names glob patterns of logical paths (as the
//! examined system sees them), an optional depth limit, a per-file size
//! limit, whether content or metadata only is taken, entry-type filters and
//! excludes. The shipped profiles (`assets/profiles/*.toml`) are embedded in
//! the binary; a user directory may replace them (same name) or add new ones.
//! [`ProfileSet::compile`] turns any number of profiles into one
//! [`ProfileSelector`] so a single walk serves every rule.

pub mod homes;
pub mod selector;

pub use selector::{CompileOptions, ProfileSelector, WalkStats};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The profiles shipped with Exhibit, embedded at build time.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "accounts",
        include_str!("../../../assets/profiles/accounts.toml"),
    ),
    (
        "history",
        include_str!("../../../assets/profiles/history.toml"),
    ),
    ("logs", include_str!("../../../assets/profiles/logs.toml")),
    (
        "metadata-sweep",
        include_str!("../../../assets/profiles/metadata-sweep.toml"),
    ),
    (
        "packages",
        include_str!("../../../assets/profiles/packages.toml"),
    ),
    (
        "persistence",
        include_str!("../../../assets/profiles/persistence.toml"),
    ),
    (
        "system",
        include_str!("../../../assets/profiles/system.toml"),
    ),
    ("tmp", include_str!("../../../assets/profiles/tmp.toml")),
    (
        "triage",
        include_str!("../../../assets/profiles/triage.toml"),
    ),
    ("web", include_str!("../../../assets/profiles/web.toml")),
];

/// The profile a responder gets when unsure.
pub const DEFAULT_PROFILE: &str = "triage";

/// Environment variable naming the user profile directory.
pub const PROFILE_DIR_ENV: &str = "EXHIBIT_PROFILE_DIR";

/// What a rule takes of the entries it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Take {
    /// Content and metadata (the default).
    #[default]
    Content,
    /// Metadata only; no content is read.
    Metadata,
    /// Metadata only, plus the SHA-256 of every regular file.
    MetadataHash,
    /// Metadata only, plus the SHA-256 of regular files with an execute bit.
    MetadataHashExecutables,
}

/// One rule of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Short name, unique in its profile (recorded as `profile/rule`).
    pub name: String,
    /// What the rule is for, for the responder.
    #[serde(default)]
    pub description: String,
    /// Glob patterns of absolute logical paths. `*` and `?` stay inside one
    /// path component, `**` spans any number, `{a,b}` alternates, `[...]` is
    /// a class. `{home}` stands for every user's home directory.
    pub paths: Vec<String>,
    /// Patterns (same syntax) this rule does not take; a matching directory
    /// is recorded as excluded and not entered.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Deepest level taken below the pattern's literal base directory
    /// (1 = the base's direct children).
    #[serde(default)]
    pub max_depth: Option<usize>,
    /// Largest regular file whose content is taken; larger ones are recorded
    /// as skipped `size_limit` with the limit.
    #[serde(default)]
    pub size_limit_bytes: Option<u64>,
    #[serde(default)]
    pub take: Take,
    /// Entry types the rule matches (`file`, `dir`, `symlink`, `fifo`,
    /// `socket`, `block`, `char`); empty = all.
    #[serde(default)]
    pub types: Vec<String>,
    /// Secret material (password hashes, private keys): taken only when the
    /// capture asks for secrets, and flagged `secret` in the records;
    /// otherwise recorded as excluded with the reason.
    #[serde(default)]
    pub secret: bool,
    /// Also take the regular files that symlinks matched by this rule lead
    /// to (resolved inside the target root), wherever they are. The rule's
    /// directories are listed once before the walk for this, so its
    /// patterns may not use `**`.
    #[serde(default)]
    pub follow_links: bool,
}

/// One profile file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// What the profile collects and when to use it.
    pub description: String,
    /// Other profiles whose rules this one also uses.
    #[serde(default)]
    pub includes: Vec<String>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
    /// Where the profile came from (`builtin` or a file path); not part of
    /// the file format.
    #[serde(skip)]
    pub origin: String,
}

/// Errors loading or combining profiles.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    #[error("cannot read profile: {0}: {1}")]
    Read(std::io::Error, PathBuf),
    #[error("invalid profile ({0}): {1}")]
    Parse(String, String),
    #[error("unknown profile `{0}` (see `exhibit profiles`)")]
    Unknown(String),
    #[error("profile includes form a cycle: {0}")]
    Cycle(String),
    #[error("invalid pattern `{0}` in rule {1}: {2}")]
    Pattern(String, String, String),
}

impl Profile {
    /// The profile's version: the SHA-256 (hex) of its definition (name,
    /// description, includes, rules) as parsed, whatever the file's layout
    /// or comments. Recorded by capture, compared by diff.
    pub fn version(&self) -> String {
        use sha2::Digest as _;
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(sha2::Sha256::digest(json))
    }

    /// Parse and check one profile file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ProfileError> {
        let mut p: Profile =
            toml::from_str(text).map_err(|e| ProfileError::Parse(e.to_string(), origin.into()))?;
        p.origin = origin.to_string();
        p.check()
            .map_err(|e| ProfileError::Parse(e, origin.into()))?;
        Ok(p)
    }

    fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("the profile has no name".into());
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.rules {
            if !seen.insert(r.name.as_str()) {
                return Err(format!("rule `{}` appears twice", r.name));
            }
            if r.paths.is_empty() {
                return Err(format!("rule `{}` has no paths", r.name));
            }
            for p in r.paths.iter().chain(&r.exclude) {
                if !p.starts_with('/') && !p.starts_with("{home}") {
                    return Err(format!(
                        "rule `{}`: pattern `{p}` must be an absolute path",
                        r.name
                    ));
                }
            }
            for t in &r.types {
                if selector::entry_type(t).is_none() {
                    return Err(format!("rule `{}`: unknown type `{t}`", r.name));
                }
            }
            if r.follow_links && r.paths.iter().any(|p| p.contains("**")) {
                return Err(format!(
                    "rule `{}`: follow_links rules may not use `**`",
                    r.name
                ));
            }
            if r.max_depth == Some(0) {
                return Err(format!("rule `{}`: max_depth must be at least 1", r.name));
            }
        }
        Ok(())
    }
}

/// The user profile directory: `$EXHIBIT_PROFILE_DIR`, else
/// `$XDG_CONFIG_HOME/exhibit/profiles`, else `~/.config/exhibit/profiles`.
pub fn user_profile_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(PROFILE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("exhibit/profiles"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".config/exhibit/profiles"))
}

/// Every known profile by name: the built-in ones, replaced or extended by
/// the `*.toml` files of a user directory.
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    pub profiles: BTreeMap<String, Profile>,
}

impl ProfileSet {
    /// The built-in profiles only.
    pub fn builtin() -> Result<Self, ProfileError> {
        let mut set = ProfileSet::default();
        for (name, text) in BUILTIN {
            let p = Profile::parse(text, &format!("builtin {name}.toml"))?;
            set.profiles.insert(p.name.clone(), p);
        }
        Ok(set)
    }

    /// Built-in profiles plus those of `dir` (if it exists); a user profile
    /// with a built-in's name replaces it.
    pub fn load(dir: Option<&Path>) -> Result<Self, ProfileError> {
        let mut set = Self::builtin()?;
        if let Some(dir) = dir
            && dir.is_dir()
        {
            let rd = std::fs::read_dir(dir).map_err(|e| ProfileError::Read(e, dir.into()))?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for f in files {
                set.add_file(&f)?;
            }
        }
        Ok(set)
    }

    /// Add (or replace) a profile from a file.
    pub fn add_file(&mut self, path: &Path) -> Result<String, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Read(e, path.into()))?;
        let p = Profile::parse(&text, &path.display().to_string())?;
        let name = p.name.clone();
        self.profiles.insert(name.clone(), p);
        Ok(name)
    }

    /// The named profiles with everything they include, each once, in a
    /// stable order (the requested ones first, then their includes).
    pub fn resolve(&self, names: &[String]) -> Result<Vec<&Profile>, ProfileError> {
        let mut out: Vec<&Profile> = Vec::new();
        let mut stack: Vec<String> = Vec::new();
        for n in names {
            self.visit(n, &mut stack, &mut out)?;
        }
        Ok(out)
    }

    fn visit<'a>(
        &'a self,
        name: &str,
        stack: &mut Vec<String>,
        out: &mut Vec<&'a Profile>,
    ) -> Result<(), ProfileError> {
        if stack.iter().any(|s| s == name) {
            stack.push(name.to_string());
            return Err(ProfileError::Cycle(stack.join(" -> ")));
        }
        let p = self
            .profiles
            .get(name)
            .ok_or_else(|| ProfileError::Unknown(name.to_string()))?;
        if out.iter().any(|o| o.name == p.name) {
            return Ok(());
        }
        out.push(p);
        stack.push(name.to_string());
        for inc in &p.includes {
            self.visit(inc, stack, out)?;
        }
        stack.pop();
        Ok(())
    }

    /// Compile the named profiles (and their includes) into one selector.
    pub fn compile(
        &self,
        names: &[String],
        opts: &CompileOptions,
    ) -> Result<ProfileSelector, ProfileError> {
        let profiles = self.resolve(names)?;
        let all: Vec<&Profile> = self.profiles.values().collect();
        ProfileSelector::compile(names, &profiles, &all, opts)
    }
}

/// Everything a front end needs in one call: load the built-in and user
/// profiles, add any `names` that are paths of `*.toml` files, and compile
/// the named profiles for this target (`root` = `None` for the running
/// system). The CLI and the GUI both use this.
pub fn prepare(
    names: &[String],
    root: Option<&Path>,
    include_secrets: bool,
) -> Result<ProfileSelector, ProfileError> {
    let dir = user_profile_dir();
    let mut set = ProfileSet::load(dir.as_deref())?;
    let mut resolved = Vec::with_capacity(names.len());
    for n in names {
        let p = Path::new(n);
        if n.ends_with(".toml") && p.is_file() {
            resolved.push(set.add_file(p)?);
        } else {
            resolved.push(n.clone());
        }
    }
    set.compile(
        &resolved,
        &CompileOptions {
            root: root.map(Path::to_path_buf),
            include_secrets,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_parse_and_resolve() {
        let set = ProfileSet::builtin().unwrap();
        assert_eq!(set.profiles.len(), BUILTIN.len());
        for (name, _) in BUILTIN {
            let p = &set.profiles[*name];
            assert!(
                !p.description.trim().is_empty(),
                "{name} has no description"
            );
        }
        let triage = set.resolve(&["triage".into()]).unwrap();
        let names: Vec<&str> = triage.iter().map(|p| p.name.as_str()).collect();
        for want in [
            "logs",
            "accounts",
            "persistence",
            "web",
            "history",
            "tmp",
            "packages",
            "system",
        ] {
            assert!(names.contains(&want), "triage lacks {want}: {names:?}");
        }
        assert!(!names.contains(&"metadata-sweep"));
    }

    #[test]
    fn unknown_and_cyclic_profiles_are_errors() {
        let mut set = ProfileSet::builtin().unwrap();
        assert!(matches!(
            set.resolve(&["nope".into()]),
            Err(ProfileError::Unknown(_))
        ));
        for (n, inc) in [("a", "b"), ("b", "a")] {
            let p = Profile::parse(
                &format!("name = \"{n}\"\ndescription = \"x\"\nincludes = [\"{inc}\"]\n"),
                "test",
            )
            .unwrap();
            set.profiles.insert(n.into(), p);
        }
        assert!(matches!(
            set.resolve(&["a".into()]),
            Err(ProfileError::Cycle(_))
        ));
    }

    #[test]
    fn bad_profiles_are_rejected_with_the_reason() {
        for (text, needle) in [
            ("name = \"x\"\n", "description"),
            (
                "name=\"x\"\ndescription=\"d\"\n[[rule]]\nname=\"r\"\npaths=[\"etc/passwd\"]\n",
                "absolute",
            ),
            (
                "name=\"x\"\ndescription=\"d\"\n[[rule]]\nname=\"r\"\npaths=[\"/a\"]\ntypes=[\"pipe\"]\n",
                "unknown type",
            ),
            (
                "name=\"x\"\ndescription=\"d\"\n[[rule]]\nname=\"r\"\npaths=[\"/a\"]\nsize_limit=3\n",
                "size_limit",
            ),
        ] {
            let e = Profile::parse(text, "t").unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn user_directory_replaces_and_extends() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("logs.toml"),
            "name=\"logs\"\ndescription=\"mine\"\n[[rule]]\nname=\"r\"\npaths=[\"/x/**\"]\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("extra.toml"),
            "name=\"extra\"\ndescription=\"more\"\nincludes=[\"logs\"]\n",
        )
        .unwrap();
        let set = ProfileSet::load(Some(d.path())).unwrap();
        assert_eq!(set.profiles["logs"].description, "mine");
        assert_eq!(set.resolve(&["extra".into()]).unwrap().len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,300}") {
            let _ = Profile::parse(&s, "fuzz");
        }

        #[test]
        fn parsing_tomlish_input_never_panics(
            name in "[a-z]{0,5}",
            pat in "[/a-z*?{}\\[\\],.!]{0,30}",
            depth in proptest::option::of(0usize..5),
        ) {
            let mut t = format!("name=\"{name}\"\ndescription=\"d\"\n[[rule]]\nname=\"r\"\npaths=[\"{pat}\"]\n");
            if let Some(d) = depth { t.push_str(&format!("max_depth={d}\n")); }
            if let Ok(p) = Profile::parse(&t, "fuzz") {
                let mut set = ProfileSet::default();
                set.profiles.insert(p.name.clone(), p.clone());
                let root = tempfile::tempdir().unwrap();
                let _ = set.compile(std::slice::from_ref(&p.name), &CompileOptions {
                    root: Some(root.path().to_path_buf()),
                    include_secrets: false,
                });
            }
        }
    }
}
