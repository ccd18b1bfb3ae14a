//! Compiled profile rules: the [`Selector`] the walker consults.
//!
//! Every pattern of every rule is compiled once into one `globset` set (for
//! "which rules take this path") and into per-component matchers (for "can
//! anything below this directory match", which prunes the walk). Patterns
//! whose literal base directory is a symlink on the target (usrmerge
//! `/lib -> usr/lib`, a symlinked web root) get an alias pattern at the
//! resolved place, resolved inside the target root; the symlinks on the way
//! become start points of their own so they are recorded too.

use super::{Profile, ProfileError, Take, homes};
use crate::archive::EntryType;
use crate::capture::select::{Selection, Selector};
use crate::capture::walk::{physical, resolve_in_root};
use crate::platform::names;
use globset::{Candidate, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// How to compile profiles for one capture.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// The target root (mounted image); `None` for the running system.
    pub root: Option<PathBuf>,
    /// Take rules marked `secret` (otherwise their files are recorded as
    /// excluded, with the reason).
    pub include_secrets: bool,
}

/// An entry type named in a profile.
pub fn entry_type(name: &str) -> Option<EntryType> {
    Some(match name {
        "file" => EntryType::File,
        "dir" => EntryType::Dir,
        "symlink" => EntryType::Symlink,
        "fifo" => EntryType::Fifo,
        "socket" => EntryType::Socket,
        "block" => EntryType::Block,
        "char" => EntryType::Char,
        _ => return None,
    })
}

const MAX_EXPANSIONS: usize = 4096;

/// Expand `{a,b}` alternations textually (so no alternative spans a `/`
/// unseen by the component matcher). Escaped braces stay as they are.
fn expand_braces(p: &str, out: &mut Vec<String>) {
    if out.len() >= MAX_EXPANSIONS {
        return;
    }
    let b = p.as_bytes();
    let mut i = 0;
    let mut open = None;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => {
                open = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let Some(start) = open else {
        out.push(p.to_string());
        return;
    };
    let (mut depth, mut j, mut alts, mut last) = (0usize, start, Vec::new(), start + 1);
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    alts.push(&p[last..j]);
                    break;
                }
            }
            b',' if depth == 1 => {
                alts.push(&p[last..j]);
                last = j + 1;
            }
            _ => {}
        }
        j += 1;
    }
    if j >= b.len() {
        // Unbalanced: leave it to globset to report.
        out.push(p.to_string());
        return;
    }
    for a in alts {
        expand_braces(&format!("{}{a}{}", &p[..start], &p[j + 1..]), out);
    }
}

/// Escape a literal path for use in a glob.
fn escape(lit: &str) -> String {
    let mut s = String::with_capacity(lit.len());
    for c in lit.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\' | ',') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

fn is_literal(comp: &str) -> bool {
    !comp.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

fn glob(p: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(p)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

/// One component of a pattern.
#[derive(Debug, Clone)]
enum Comp {
    Literal(Vec<u8>),
    Glob(GlobMatcher),
    /// `**`: any number of components.
    Any,
}

#[derive(Debug, Clone)]
struct Pattern {
    rule: usize,
    comps: Vec<Comp>,
    /// Number of leading literal components (the base directory's depth).
    base_len: usize,
}

#[derive(Debug)]
struct CompiledRule {
    id: String,
    take: Take,
    size_limit: Option<u64>,
    types: Vec<EntryType>,
    secret: bool,
    max_depth: Option<usize>,
    exclude: Option<GlobSet>,
    /// A secret rule of a profile not asked for: it only vetoes.
    veto_only: bool,
}

fn components(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&c| c == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

impl Pattern {
    /// Whether something strictly below the directory `dir` (components)
    /// can match this pattern.
    fn below_may_match(&self, dir: &[&[u8]], max_depth: Option<usize>) -> bool {
        if let Some(m) = max_depth
            && dir.len() >= self.base_len + m
        {
            return false;
        }
        fn go(p: &[Comp], d: &[&[u8]]) -> bool {
            match (p.first(), d.first()) {
                (None, _) => false,
                (Some(Comp::Any), _) => true,
                (Some(_), None) => true,
                (Some(Comp::Literal(l)), Some(c)) => l.as_slice() == *c && go(&p[1..], &d[1..]),
                (Some(Comp::Glob(g)), Some(c)) => {
                    g.is_match(Path::new(&*names::from_bytes(c))) && go(&p[1..], &d[1..])
                }
            }
        }
        go(&self.comps, dir)
    }
}

/// What the walk asked of the selector: proof that one walk served every
/// rule (each directory listed at most once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WalkStats {
    /// Directories the walker was allowed to list.
    pub dirs_listed: u64,
    /// Directories asked about more than once (0 for a single walk).
    pub dirs_listed_again: u64,
    /// Entries examined (`select` calls).
    pub entries_examined: u64,
}

#[derive(Debug, Default)]
struct Counters {
    stats: WalkStats,
    listed: std::collections::HashSet<Vec<u8>>,
}

/// Resolves a logical path through a capture's recorded links (follow
/// the last component or not); `None` when it cannot.
pub type ResolveRecorded<'a> = &'a dyn Fn(&[u8], bool) -> Option<Vec<u8>>;

/// Where [`ProfileSelector`] learns the target's homes and links.
enum Target<'a> {
    /// The target itself, whose `/` is this directory.
    Live(PathBuf),
    /// What a capture recorded of it; nothing is read.
    Recorded {
        homes: Vec<String>,
        resolve: ResolveRecorded<'a>,
    },
}

impl Target<'_> {
    /// A logical path with the links on the way resolved (the last one
    /// too with `follow_last`).
    fn resolve(&self, logical: &[u8], follow_last: bool) -> Option<Vec<u8>> {
        match self {
            Target::Live(root) => resolve_in_root(root, logical, follow_last).ok(),
            Target::Recorded { resolve, .. } => resolve(logical, follow_last),
        }
    }
}

/// Profiles compiled for one capture.
#[derive(Debug)]
pub struct ProfileSelector {
    counters: std::sync::Mutex<Counters>,
    names: Vec<String>,
    /// Every compiled profile's version, by name.
    versions: std::collections::BTreeMap<String, String>,
    rules: Vec<CompiledRule>,
    patterns: Vec<Pattern>,
    set: GlobSet,
    starts: Vec<Vec<u8>>,
    homes: Vec<String>,
    include_secrets: bool,
}

impl ProfileSelector {
    /// Compile `profiles` (already resolved, includes and all). `names` are
    /// the profiles the user asked for, for the record. The `secret` rules
    /// of `vetoes` (every other known profile) guard their paths too: a
    /// secret is never taken without `include_secrets`, whichever profile
    /// happens to match it.
    pub fn compile(
        names: &[String],
        profiles: &[&Profile],
        vetoes: &[&Profile],
        opts: &CompileOptions,
    ) -> Result<Self, ProfileError> {
        let root: PathBuf = opts.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        Self::compile_for(
            names,
            profiles,
            vetoes,
            opts.include_secrets,
            &Target::Live(root),
        )
    }

    /// Compile profiles against what a capture recorded of its target
    /// instead of the target itself, to judge after the fact whether that
    /// capture would have taken a path: `{home}` stands for `homes`, links
    /// on the way to a pattern's base are resolved by `resolve` (logical
    /// path, follow the last component) over the capture's records, and
    /// nothing is read from any filesystem. `follow_links` targets, which
    /// only the target's links can name, are not known this way.
    pub fn compile_recorded(
        names: &[String],
        profiles: &[&Profile],
        vetoes: &[&Profile],
        homes: Vec<String>,
        resolve: ResolveRecorded<'_>,
    ) -> Result<Self, ProfileError> {
        Self::compile_for(
            names,
            profiles,
            vetoes,
            false,
            &Target::Recorded { homes, resolve },
        )
    }

    fn compile_for(
        names: &[String],
        profiles: &[&Profile],
        vetoes: &[&Profile],
        include_secrets: bool,
        target: &Target<'_>,
    ) -> Result<Self, ProfileError> {
        let homes = match target {
            Target::Live(root) => homes::homes(root),
            Target::Recorded { homes, .. } => homes.clone(),
        };
        let mut rules = Vec::new();
        let mut patterns = Vec::new();
        let mut builder = GlobSetBuilder::new();
        let mut starts: Vec<Vec<u8>> = Vec::new();
        let selected = profiles
            .iter()
            .flat_map(|p| p.rules.iter().map(move |r| (*p, r, false)));
        let guards = vetoes
            .iter()
            .filter(|v| !profiles.iter().any(|p| p.name == v.name))
            .flat_map(|p| {
                p.rules
                    .iter()
                    .filter(|r| r.secret)
                    .map(move |r| (*p, r, true))
            });
        for (p, r, veto_only) in selected.chain(guards) {
            let id = format!("{}/{}", p.name, r.name);
            let idx = rules.len();
            let perr = |pat: &str, e: String| ProfileError::Pattern(pat.into(), id.clone(), e);
            let mut excl = GlobSetBuilder::new();
            let mut n_excl = 0;
            for raw in &r.exclude {
                for x in expand(raw, &homes, target) {
                    for g in [x.clone(), format!("{}/**", x.trim_end_matches('/'))] {
                        excl.add(glob(&g).map_err(|e| perr(raw, e.to_string()))?);
                        n_excl += 1;
                    }
                }
            }
            let exclude = if n_excl > 0 {
                Some(excl.build().map_err(|e| perr("exclude", e.to_string()))?)
            } else {
                None
            };
            rules.push(CompiledRule {
                id: id.clone(),
                take: r.take,
                size_limit: r.size_limit_bytes,
                types: r.types.iter().filter_map(|t| entry_type(t)).collect(),
                secret: r.secret,
                max_depth: r.max_depth,
                exclude,
                veto_only,
            });
            let mut expanded = Vec::new();
            for raw in &r.paths {
                for pat in expand(raw, &homes, target) {
                    expanded.push((raw, pat));
                }
            }
            if r.follow_links
                && !veto_only
                && let Target::Live(root) = target
            {
                let mut targets = Vec::new();
                for (_, pat) in &expanded {
                    link_targets(root, pat, &mut targets);
                }
                for t in targets {
                    let lit = escape(&t);
                    if !expanded.iter().any(|(_, p)| *p == lit) {
                        expanded.push((&r.name, lit));
                    }
                }
            }
            for (raw, pat) in expanded {
                let g = glob(&pat).map_err(|e| perr(raw, e.to_string()))?;
                let mut comps = Vec::new();
                let mut base_len = 0;
                let mut literal = true;
                let mut base = String::new();
                for c in pat.split('/').filter(|c| !c.is_empty()) {
                    if c == "**" {
                        literal = false;
                        comps.push(Comp::Any);
                    } else if literal && is_literal(c) {
                        base_len += 1;
                        base.push('/');
                        base.push_str(c);
                        comps.push(Comp::Literal(c.as_bytes().to_vec()));
                    } else {
                        literal = false;
                        comps.push(Comp::Glob(
                            glob(c)
                                .map_err(|e| perr(raw, e.to_string()))?
                                .compile_matcher(),
                        ));
                    }
                }
                builder.add(g);
                patterns.push(Pattern {
                    rule: idx,
                    comps,
                    base_len,
                });
                if !veto_only {
                    let base = if base.is_empty() { "/" } else { &base };
                    match target {
                        Target::Live(root) => add_starts(root, base, &mut starts),
                        Target::Recorded { .. } => starts.push(base.as_bytes().to_vec()),
                    }
                }
            }
        }
        let set = builder
            .build()
            .map_err(|e| ProfileError::Pattern("*".into(), "all".into(), e.to_string()))?;
        starts.sort();
        starts.dedup();
        Ok(Self {
            counters: std::sync::Mutex::new(Counters::default()),
            names: names.to_vec(),
            versions: profiles
                .iter()
                .map(|p| (p.name.clone(), p.version()))
                .collect(),
            rules,
            patterns,
            set,
            starts,
            homes,
            include_secrets,
        })
    }

    /// What the walk has asked so far.
    pub fn walk_stats(&self) -> WalkStats {
        self.counters.lock().map(|c| c.stats).unwrap_or_default()
    }

    /// The users' homes `{home}` expanded to.
    pub fn homes(&self) -> &[String] {
        &self.homes
    }

    /// Number of compiled patterns (aliases and homes expanded).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    fn rule_excludes(&self, rule: usize, path: &[u8]) -> bool {
        self.rules
            .get(rule)
            .and_then(|r| r.exclude.as_ref())
            .is_some_and(|x| x.is_match(Path::new(&*names::from_bytes(path))))
    }

    /// Whether a pattern of a rule that does not exclude `path` may match
    /// something below it.
    fn on_the_way(&self, path: &[u8]) -> bool {
        let comps = components(path);
        self.patterns.iter().any(|p| {
            let Some(r) = self.rules.get(p.rule) else {
                return false;
            };
            !r.veto_only
                && p.below_may_match(&comps, r.max_depth)
                && !self.rule_excludes(p.rule, path)
        })
    }
}

/// Expand `{home}` and braces; add an alias of each result at its literal
/// base's resolved place when that base is (or passes through) a symlink.
fn expand(raw: &str, homes: &[String], target: &Target<'_>) -> Vec<String> {
    let with_homes: Vec<String> = if raw.contains("{home}") {
        homes
            .iter()
            .map(|h| raw.replace("{home}", &escape(h)))
            .collect()
    } else {
        vec![raw.to_string()]
    };
    let mut out = Vec::new();
    for p in with_homes {
        let mut expanded = Vec::new();
        expand_braces(&p, &mut expanded);
        for e in expanded {
            let comps: Vec<&str> = e.split('/').filter(|c| !c.is_empty()).collect();
            let n = comps.iter().take_while(|c| is_literal(c)).count();
            let base = format!("/{}", comps[..n].join("/"));
            let rest = comps[n..].join("/");
            // A fully literal pattern names one entry: a link there is
            // recorded as a link and its target is not taken (a home's
            // `.bash_history -> /etc/shadow` must not pull in the shadow file).
            // Directories on the way are followed, inside the root.
            let follow_last = n < comps.len();
            if let Some(resolved) = target.resolve(base.as_bytes(), follow_last)
                && resolved != base.as_bytes()
                && let Ok(resolved) = String::from_utf8(resolved)
                && resolved != "/"
                && !in_pseudo_fs(&resolved)
            {
                let alias = if rest.is_empty() {
                    escape(&resolved)
                } else {
                    format!("{}/{rest}", escape(resolved.trim_end_matches('/')))
                };
                if !out.contains(&alias) {
                    out.push(alias);
                }
            }
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

/// Most entries [`link_targets`] examines for one pattern.
const MAX_FOLLOW_ENTRIES: usize = 20_000;

/// For a `follow_links` rule: the regular files that symlinks matching
/// `pat` lead to, resolved inside `root`. Lists only the directories the
/// pattern names (no `**`), before the walk.
fn link_targets(root: &Path, pat: &str, out: &mut Vec<String>) {
    let comps: Vec<&str> = pat.split('/').filter(|c| !c.is_empty()).collect();
    if comps.contains(&"**") {
        return;
    }
    let mut current: Vec<String> = vec![String::new()];
    let mut examined = 0usize;
    for c in comps {
        let mut next = Vec::new();
        for dir in &current {
            if is_literal(c) {
                next.push(format!("{dir}/{c}"));
                continue;
            }
            let Ok(m) = glob(c).map(|g| g.compile_matcher()) else {
                return;
            };
            let logical = if dir.is_empty() { "/" } else { dir.as_str() };
            // Listed `O_NOATIME`, inside the root, like the walk lists.
            let Ok((_, names)) = crate::capture::target::list(root, logical) else {
                continue;
            };
            for name in names {
                examined += 1;
                if examined > MAX_FOLLOW_ENTRIES {
                    return;
                }
                if m.is_match(Path::new(&*names::from_bytes(&name)))
                    && let Ok(n) = std::str::from_utf8(&name)
                {
                    next.push(format!("{dir}/{n}"));
                }
            }
        }
        current = next;
    }
    for link in current {
        let Ok(parent) = resolve_in_root(root, link.as_bytes(), false) else {
            continue;
        };
        let is_link = std::fs::symlink_metadata(physical(Some(root), &parent))
            .is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            continue;
        }
        let Ok(target) = resolve_in_root(root, link.as_bytes(), true) else {
            continue;
        };
        let Ok(target) = String::from_utf8(target) else {
            continue;
        };
        let is_file = std::fs::symlink_metadata(physical(Some(root), target.as_bytes()))
            .is_ok_and(|m| m.file_type().is_file());
        if is_file && !in_pseudo_fs(&target) && !out.contains(&target) {
            out.push(target);
        }
    }
}

/// Paths of the running kernel's pseudo filesystems: a link into them
/// (`/etc/mtab -> ../proc/self/mounts`) is recorded, never followed.
fn in_pseudo_fs(p: &str) -> bool {
    ["/proc", "/sys"]
        .iter()
        .any(|x| p == *x || p.starts_with(&format!("{x}/")))
}

/// Start points for a literal base: the base itself (if it exists on the
/// target) and every symlink on the way to it, so those are recorded.
fn add_starts(root: &Path, base: &str, starts: &mut Vec<Vec<u8>>) {
    let comps: Vec<&str> = base.split('/').filter(|c| !c.is_empty()).collect();
    for i in 1..=comps.len() {
        let prefix = format!("/{}", comps[..i].join("/"));
        let Ok(resolved) = resolve_in_root(root, prefix.as_bytes(), false) else {
            return;
        };
        match std::fs::symlink_metadata(physical(Some(root), &resolved)) {
            Err(_) => return,
            Ok(m) if m.file_type().is_symlink() || i == comps.len() => starts.push(resolved),
            Ok(_) => {}
        }
    }
    if comps.is_empty() {
        starts.push(b"/".to_vec());
    }
}

impl Selector for ProfileSelector {
    fn descend(&self, logical_dir: &[u8], _depth: usize) -> bool {
        let yes = self.on_the_way(logical_dir);
        if yes && let Ok(mut c) = self.counters.lock() {
            c.stats.dirs_listed += 1;
            if !c.listed.insert(logical_dir.to_vec()) {
                c.stats.dirs_listed_again += 1;
            }
        }
        yes
    }

    fn select(&self, logical: &[u8], kind: EntryType, size: u64) -> Selection {
        self.select_entry(logical, kind, size, 0)
    }

    fn select_entry(&self, logical: &[u8], kind: EntryType, _size: u64, mode: u32) -> Selection {
        if let Ok(mut c) = self.counters.lock() {
            c.stats.entries_examined += 1;
        }
        let path = names::from_bytes(logical);
        let path = Path::new(&*path);
        let cand = Candidate::new(path);
        let mut hits: Vec<usize> = Vec::new();
        let depth = components(logical).len();
        for pi in self.set.matches_candidate(&cand) {
            let Some(p) = self.patterns.get(pi) else {
                continue;
            };
            let Some(r) = self.rules.get(p.rule) else {
                continue;
            };
            if r.max_depth.is_some_and(|m| depth > p.base_len + m) {
                continue;
            }
            if !r.types.is_empty() && !r.types.contains(&kind) {
                continue;
            }
            if !hits.contains(&p.rule) {
                hits.push(p.rule);
            }
        }
        hits.sort_unstable();
        let mut active: Vec<&CompiledRule> = Vec::new();
        let mut secret_blocked: Option<&CompiledRule> = None;
        let mut excluded_by: Option<&CompiledRule> = None;
        let mut is_secret = false;
        for &ri in &hits {
            let Some(r) = self.rules.get(ri) else {
                continue;
            };
            if self.rule_excludes(ri, logical) {
                if !r.veto_only {
                    excluded_by.get_or_insert(r);
                }
            } else if r.secret && !self.include_secrets {
                secret_blocked.get_or_insert(r);
            } else {
                is_secret |= r.secret;
                if !r.veto_only {
                    active.push(r);
                }
            }
        }
        // A secret is taken only when asked for, whatever else matches it;
        // a metadata-only rule still records its metadata (never a hash).
        if secret_blocked.is_some()
            && !active.is_empty()
            && active.iter().all(|r| r.take != Take::Content)
        {
            return Selection::MetadataOnly {
                hash: false,
                rule: active.first().map(|r| r.id.clone()),
            };
        }
        if let Some(r) = secret_blocked {
            return Selection::Excluded(format!(
                "secret: rule {} holds secrets and is taken only with --include-secrets",
                r.id
            ));
        }
        if !active.is_empty() {
            // A directory a rule would enter but for its depth limit: say so
            // in the record rather than leave its contents silently out.
            if kind == EntryType::Dir && !self.on_the_way(logical) {
                let comps = components(logical);
                if let Some(r) = self.patterns.iter().find_map(|p| {
                    let r = self.rules.get(p.rule)?;
                    (!r.veto_only
                        && r.max_depth.is_some()
                        && p.below_may_match(&comps, None)
                        && !self.rule_excludes(p.rule, logical))
                    .then_some(r)
                }) {
                    return Selection::Excluded(format!(
                        "depth_limit: rule {} takes {} levels below its base directory",
                        r.id,
                        r.max_depth.unwrap_or(0)
                    ));
                }
            }
            let content: Vec<&&CompiledRule> =
                active.iter().filter(|r| r.take == Take::Content).collect();
            let flags = if is_secret {
                vec!["secret".to_string()]
            } else {
                Vec::new()
            };
            if let Some(first) = content.first() {
                // Limits are safety valves: the tightest one that applies
                // wins, and the record names the rule it came from.
                let limiting = content
                    .iter()
                    .filter(|r| r.size_limit.is_some())
                    .min_by_key(|r| r.size_limit);
                let (size_limit, rule) = match limiting {
                    Some(r) => (r.size_limit, r.id.clone()),
                    None => (None, first.id.clone()),
                };
                return Selection::Content {
                    size_limit,
                    rule: Some(rule),
                    flags,
                };
            }
            let executable = kind == EntryType::File && mode & 0o111 != 0;
            let hash = kind == EntryType::File
                && active.iter().any(|r| {
                    r.take == Take::MetadataHash
                        || (r.take == Take::MetadataHashExecutables && executable)
                });
            return Selection::MetadataOnly {
                hash,
                rule: active.first().map(|r| r.id.clone()),
            };
        }
        if matches!(kind, EntryType::Dir | EntryType::Symlink) && self.on_the_way(logical) {
            return Selection::Content {
                size_limit: None,
                rule: None,
                flags: Vec::new(),
            };
        }
        if let Some(r) = excluded_by {
            return Selection::Excluded(format!("rule {} excludes it", r.id));
        }
        Selection::Ignore
    }

    fn start_points(&self) -> Option<Vec<Vec<u8>>> {
        Some(self.starts.clone())
    }

    fn profile_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn profile_versions(&self) -> std::collections::BTreeMap<String, String> {
        self.versions.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::profile::Profile;

    fn compile(text: &str, root: &Path, secrets: bool) -> ProfileSelector {
        let p = Profile::parse(text, "test").unwrap();
        ProfileSelector::compile(
            std::slice::from_ref(&p.name),
            &[&p],
            &[],
            &CompileOptions {
                root: Some(root.to_path_buf()),
                include_secrets: secrets,
            },
        )
        .unwrap()
    }

    #[test]
    fn secrets_of_other_profiles_still_veto() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        let wide = Profile::parse(
            "name=\"wide\"\ndescription=\"d\"\n[[rule]]\nname=\"etc\"\npaths=[\"/etc/**\"]\n",
            "t",
        )
        .unwrap();
        let acc = Profile::parse(
            "name=\"acc\"\ndescription=\"d\"\n[[rule]]\nname=\"shadow\"\npaths=[\"/etc/shadow\", \"/srv/never/**\"]\nsecret=true\n[[rule]]\nname=\"other\"\npaths=[\"/opt/**\"]\n",
            "t",
        )
        .unwrap();
        for secrets in [false, true] {
            let s = ProfileSelector::compile(
                &["wide".into()],
                &[&wide],
                &[&wide, &acc],
                &CompileOptions {
                    root: Some(d.path().to_path_buf()),
                    include_secrets: secrets,
                },
            )
            .unwrap();
            let shadow = s.select(b"/etc/shadow", EntryType::File, 1);
            if secrets {
                // Taken by the profile asked for, flagged secret all the same.
                assert_eq!(
                    shadow,
                    Selection::Content {
                        size_limit: None,
                        rule: Some("wide/etc".into()),
                        flags: vec!["secret".into()]
                    }
                );
            } else {
                assert!(matches!(shadow, Selection::Excluded(w) if w.contains("acc/shadow")));
            }
            // Vetoes neither start walks nor open directories.
            assert!(!s.descend(b"/srv", 1));
            assert!(!s.descend(b"/opt", 1));
            assert_eq!(s.select(b"/opt/x", EntryType::File, 1), Selection::Ignore);
            assert_eq!(s.start_points().unwrap(), vec![b"/etc".to_vec()]);
        }
    }

    #[test]
    fn follow_links_takes_targets_inside_the_root() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("etc/rc2.d")).unwrap();
        std::fs::create_dir_all(r.join("opt/x")).unwrap();
        std::fs::write(r.join("opt/x/start"), "x").unwrap();
        std::os::unix::fs::symlink("/opt/x/start", r.join("etc/rc2.d/S99x")).unwrap();
        std::os::unix::fs::symlink("/nowhere", r.join("etc/rc2.d/S98gone")).unwrap();
        let s = compile(
            "name=\"t\"\ndescription=\"t\"\n[[rule]]\nname=\"rc\"\npaths=[\"/etc/rc?.d/*\"]\nfollow_links=true\n",
            r,
            false,
        );
        assert!(matches!(
            s.select(b"/opt/x/start", EntryType::File, 1),
            Selection::Content { rule: Some(r), .. } if r == "t/rc"
        ));
        assert!(
            s.start_points()
                .unwrap()
                .contains(&b"/opt/x/start".to_vec())
        );
        let bad = Profile::parse(
            "name=\"t\"\ndescription=\"t\"\n[[rule]]\nname=\"rc\"\npaths=[\"/etc/**\"]\nfollow_links=true\n",
            "t",
        );
        assert!(bad.is_err());
    }

    #[test]
    fn braces_expand_across_components() {
        let mut v = Vec::new();
        expand_braces("/etc/{passwd,ssh/{a,b}_config}", &mut v);
        assert_eq!(
            v,
            vec!["/etc/passwd", "/etc/ssh/a_config", "/etc/ssh/b_config"]
        );
        let mut v = Vec::new();
        expand_braces("/x/\\{y}", &mut v);
        assert_eq!(v, vec!["/x/\\{y}"]);
        let mut v = Vec::new();
        expand_braces("/x/{a,b", &mut v);
        assert_eq!(v, vec!["/x/{a,b"]);
    }

    #[test]
    fn prunes_and_selects() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("var/log")).unwrap();
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        let s = compile(
            r#"name = "t"
description = "t"
[[rule]]
name = "logs"
paths = ["/var/log/**"]
exclude = ["/var/log/skip"]
size_limit_bytes = 10
[[rule]]
name = "passwd"
paths = ["/etc/passwd", "/etc/ssh/sshd_config"]
[[rule]]
name = "shadow"
paths = ["/etc/shadow"]
secret = true
[[rule]]
name = "shallow"
paths = ["/opt/*/bin/*"]
max_depth = 3
take = "metadata_hash_executables"
[[rule]]
name = "deep"
paths = ["/srv/d/**"]
max_depth = 2
"#,
            d.path(),
            false,
        );
        assert!(s.descend(b"/", 0));
        assert!(s.descend(b"/etc", 1));
        assert!(s.descend(b"/etc/ssh", 2));
        assert!(!s.descend(b"/etc/apt", 2));
        assert!(!s.descend(b"/usr", 1));
        assert!(s.descend(b"/var/log/apache2/x", 4));
        assert!(!s.descend(b"/var/log/skip", 3));
        assert!(s.descend(b"/opt/app/bin", 3));
        assert!(matches!(
            s.select(b"/var/log/a/b", EntryType::Dir, 0),
            Selection::Content { .. }
        ));
        assert!(s.descend(b"/srv/d/a", 3));
        assert!(!s.descend(b"/srv/d/a/b", 4));
        assert!(matches!(
            s.select(b"/srv/d/a/b", EntryType::Dir, 0),
            Selection::Excluded(w) if w.starts_with("depth_limit")
        ));
        assert!(matches!(
            s.select(b"/srv/d/a/f", EntryType::File, 0),
            Selection::Content { .. }
        ));
        assert_eq!(
            s.select(b"/srv/d/a/b/c", EntryType::File, 0),
            Selection::Ignore
        );
        assert!(!s.descend(b"/opt/app/lib", 3));
        assert_eq!(
            s.select(b"/var/log/syslog", EntryType::File, 5),
            Selection::Content {
                size_limit: Some(10),
                rule: Some("t/logs".into()),
                flags: vec![]
            }
        );
        assert!(matches!(
            s.select(b"/var/log/skip", EntryType::Dir, 0),
            Selection::Excluded(_)
        ));
        assert!(matches!(
            s.select(b"/var/log/skip/deeper", EntryType::File, 0),
            Selection::Excluded(_)
        ));
        assert!(matches!(
            s.select(b"/etc/shadow", EntryType::File, 0),
            Selection::Excluded(w) if w.starts_with("secret")
        ));
        assert_eq!(
            s.select(b"/etc/group", EntryType::File, 0),
            Selection::Ignore
        );
        assert_eq!(
            s.select(b"/etc", EntryType::Dir, 0),
            Selection::Content {
                size_limit: None,
                rule: None,
                flags: vec![]
            }
        );
        assert_eq!(
            s.select_entry(b"/opt/app/bin/run", EntryType::File, 0, 0o100755),
            Selection::MetadataOnly {
                hash: true,
                rule: Some("t/shallow".into())
            }
        );
        assert_eq!(
            s.select_entry(b"/opt/app/bin/doc", EntryType::File, 0, 0o100644),
            Selection::MetadataOnly {
                hash: false,
                rule: Some("t/shallow".into())
            }
        );
        let starts = s.start_points().unwrap();
        assert_eq!(starts, vec![b"/var/log".to_vec()]);
    }

    #[test]
    fn secrets_are_flagged_when_asked_for() {
        let d = tempfile::tempdir().unwrap();
        let s = compile(
            "name=\"t\"\ndescription=\"t\"\n[[rule]]\nname=\"shadow\"\npaths=[\"/etc/shadow\"]\nsecret=true\n",
            d.path(),
            true,
        );
        assert_eq!(
            s.select(b"/etc/shadow", EntryType::File, 0),
            Selection::Content {
                size_limit: None,
                rule: Some("t/shadow".into()),
                flags: vec!["secret".into()]
            }
        );
    }

    #[test]
    fn symlinked_bases_get_aliases_inside_the_root() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("usr/lib/systemd/system")).unwrap();
        std::os::unix::fs::symlink("usr/lib", r.join("lib")).unwrap();
        let s = compile(
            "name=\"t\"\ndescription=\"t\"\n[[rule]]\nname=\"units\"\npaths=[\"/lib/systemd/system/**\"]\n",
            r,
            false,
        );
        assert!(matches!(
            s.select(b"/usr/lib/systemd/system/ssh.service", EntryType::File, 1),
            Selection::Content { .. }
        ));
        assert!(matches!(
            s.select(b"/lib", EntryType::Symlink, 1),
            Selection::Content { rule: None, .. }
        ));
        let starts = s.start_points().unwrap();
        assert!(starts.contains(&b"/lib".to_vec()), "{starts:?}");
        assert!(
            starts.contains(&b"/usr/lib/systemd/system".to_vec()),
            "{starts:?}"
        );
    }

    proptest::proptest! {
        #[test]
        fn selecting_never_panics(path in proptest::collection::vec(proptest::num::u8::ANY, 0..60)) {
            let d = tempfile::tempdir().unwrap();
            let s = compile(
                "name=\"t\"\ndescription=\"t\"\n[[rule]]\nname=\"a\"\npaths=[\"/var/**/x*\", \"/etc/{a,b}/*\"]\nmax_depth=2\nexclude=[\"/var/y\"]\n",
                d.path(),
                false,
            );
            let _ = s.select(&path, EntryType::File, 0);
            let _ = s.descend(&path, 0);
        }
    }
}
