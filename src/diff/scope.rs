//! What ground each snapshot covered, how the two differ, and whether a
//! path lies inside a snapshot's ground.
//!
//! Two captures of one server need not cover the same ground: one may take
//! `/var/www` only, another the `system` profile. An entry present in only
//! one of them is then `added` or `removed` only when the other capture
//! would have taken it had it been there; otherwise it is "not in both
//! captures" ([`super::ChangeClass::NotInBoth`]). The ground of an archive
//! comes from its `acquisition.json` (sources, profiles, host) and its live
//! response; whether a path lies inside it is decided with the capture's
//! own matching code ([`ProfileSelector`]), compiled against what the
//! capture recorded of its target (homes, links), never against any
//! filesystem. What the records cannot decide is said, not guessed
//! ([`InScope::Undecided`]).

use crate::archive::EntryType;
use crate::capture::profile::{ProfileSelector, ProfileSet, homes, user_profile_dir};
use crate::capture::select::{Selection, Selector};
use crate::snapshot::{Snapshot, SnapshotKind};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

/// Largest `/etc/passwd` read from a snapshot to learn its users' homes.
const PASSWD_CAP: u64 = 4 << 20;

/// The ground one snapshot covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub kind: SnapshotKind,
    /// The examined host's name as the capture recorded it.
    pub host: Option<String>,
    /// The paths a capture without profiles was asked for (`/` for a
    /// directory snapshot); empty for a profile capture, whose profiles say
    /// what it takes wherever they find it.
    pub sources: Vec<String>,
    /// The collection profiles the capture used.
    pub profiles: Vec<String>,
    /// The version (SHA-256 of the definition) of every profile the
    /// capture compiled, as it recorded them; empty for older archives.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub profile_versions: BTreeMap<String, String>,
    /// The profiles' excludes, `profile/rule: pattern`, as this Exhibit's
    /// profile definitions (built in and user directory) state them.
    pub excludes: Vec<String>,
    /// The profiles' per-file size limits, `profile/rule: N bytes`.
    pub size_limits: Vec<String>,
    /// The profiles' rules that take metadata only, `profile/rule`.
    pub metadata_only: Vec<String>,
    /// The capture holds live response (`exhibit/live/`).
    pub live_response: bool,
    /// What of the scope cannot be known, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

impl Scope {
    /// The scope of a snapshot: an archive's from its acquisition record;
    /// a directory (or one built in memory) covers everything below `/`.
    pub fn of(snap: &Snapshot) -> Self {
        let mut s = Scope {
            kind: snap.kind,
            host: None,
            sources: vec!["/".into()],
            profiles: Vec::new(),
            profile_versions: BTreeMap::new(),
            excludes: Vec::new(),
            size_limits: Vec::new(),
            metadata_only: Vec::new(),
            live_response: false,
            unknown: Vec::new(),
        };
        let Some(archive) = snap.archive() else {
            return s;
        };
        s.live_response = archive
            .index
            .members
            .iter()
            .any(|m| m.name.contains("/exhibit/live/"));
        let acq = match archive.acquisition() {
            Ok(a) => a,
            Err(e) => {
                s.sources.clear();
                s.unknown
                    .push(format!("its acquisition record cannot be read: {e:#}"));
                return s;
            }
        };
        s.host = acq.host.hostname.clone();
        s.profiles = acq.method.profiles.clone();
        s.profile_versions = acq.method.profile_versions.clone();
        if s.profiles.is_empty() {
            s.sources = acq.method.sources.clone();
            s.sources.sort();
            return s;
        }
        s.sources.clear();
        let set = ProfileSet::load(user_profile_dir().as_deref());
        match set.as_ref().map(|set| set.resolve(&s.profiles)) {
            Ok(Ok(profiles)) => {
                for p in profiles {
                    if let Some(v) = s.profile_versions.get(&p.name)
                        && *v != p.version()
                    {
                        s.unknown.push(format!(
                            "profile `{}` is defined differently here (version {}) than when captured (version {}): what it took cannot be judged",
                            p.name,
                            short(&p.version()),
                            short(v)
                        ));
                    }
                    for r in &p.rules {
                        let id = format!("{}/{}", p.name, r.name);
                        for x in &r.exclude {
                            s.excludes.push(format!("{id}: {x}"));
                        }
                        if let Some(n) = r.size_limit_bytes {
                            s.size_limits.push(format!("{id}: {n} bytes"));
                        }
                        if r.take != crate::capture::profile::Take::Content {
                            s.metadata_only.push(id);
                        }
                    }
                }
            }
            Ok(Err(e)) => s.unknown.push(format!(
                "its profiles are not all known to this Exhibit ({e}): what they take cannot be judged"
            )),
            Err(e) => s.unknown.push(format!(
                "the profiles cannot be loaded ({e}): what they take cannot be judged"
            )),
        }
        s
    }

    /// The parts that decide which paths the capture took: equal ground
    /// means an entry missing on one side is added or removed.
    fn ground(
        &self,
    ) -> (
        &[String],
        Vec<&String>,
        &BTreeMap<String, String>,
        &[String],
    ) {
        let mut p: Vec<&String> = self.profiles.iter().collect();
        p.sort();
        (&self.sources, p, &self.profile_versions, &self.unknown)
    }

    /// The profiles as people read them: `web` v1a2b3c4d5e6f (the version
    /// when the capture recorded it).
    fn profiles_text(&self) -> String {
        if self.profiles.is_empty() {
            return "no profile (plain paths)".to_string();
        }
        let named: Vec<String> = self
            .profiles
            .iter()
            .map(|p| match self.profile_versions.get(p) {
                Some(v) => format!("`{p}` v{}", short(v)),
                None => format!("`{p}`"),
            })
            .collect();
        format!(
            "profile{} {}",
            if named.len() > 1 { "s" } else { "" },
            named.join(", ")
        )
    }
}

/// A version as shown: its first 12 hex digits.
fn short(v: &str) -> &str {
    v.get(..12).unwrap_or(v)
}

/// One way in which the two scopes differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeDifference {
    /// `host`, `sources`, `profiles`, `excludes`, `size_limits`,
    /// `metadata_only`, `live_response` or `unknown`.
    pub field: &'static str,
    /// The older capture's values that the newer lacks.
    pub only_old: Vec<String>,
    /// The newer capture's values that the older lacks.
    pub only_new: Vec<String>,
    /// The difference in a sentence, for people.
    pub text: String,
}

/// Both snapshots' scopes and their differences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeComparison {
    pub old: Scope,
    pub new: Scope,
    /// Empty when both captures cover the same ground the same way.
    pub differences: Vec<ScopeDifference>,
    /// True when the captures' ground differs (sources, profiles, or a
    /// scope that cannot be read): an entry on one side only may lie
    /// outside the other's scope.
    pub ground_differs: bool,
    /// Entries present in one snapshot only and outside the other's scope.
    pub not_in_both: u64,
    /// Entries present in one snapshot only whose place in the other's
    /// scope the records cannot decide (kept `added`/`removed`, with why).
    pub undecided: u64,
}

impl ScopeComparison {
    /// Compare the scopes of two snapshots.
    pub fn of(old: &Snapshot, new: &Snapshot) -> Self {
        let (o, n) = (Scope::of(old), Scope::of(new));
        let mut d = Vec::new();
        if o.kind == SnapshotKind::Archive && n.kind == SnapshotKind::Archive && o.host != n.host {
            let name = |h: &Option<String>| h.clone().unwrap_or_else(|| "(unknown)".into());
            d.push(ScopeDifference {
                field: "host",
                only_old: vec![name(&o.host)],
                only_new: vec![name(&n.host)],
                text: format!(
                    "hosts differ: the newer capture is of `{}`, the older of `{}`",
                    name(&n.host),
                    name(&o.host)
                ),
            });
        }
        if o.profiles != n.profiles {
            let (oo, on) = one_sided(&o.profiles, &n.profiles);
            d.push(ScopeDifference {
                field: "profiles",
                only_old: oo,
                only_new: on,
                text: format!(
                    "profiles differ: the newer capture used {}, the older {}",
                    n.profiles_text(),
                    o.profiles_text()
                ),
            });
        }
        let changed: Vec<(&String, &String, &String)> = o
            .profile_versions
            .iter()
            .filter_map(|(name, ov)| {
                let nv = n.profile_versions.get(name)?;
                (nv != ov).then_some((name, ov, nv))
            })
            .collect();
        if !changed.is_empty() {
            let say: Vec<String> = changed
                .iter()
                .map(|(name, ov, nv)| {
                    format!(
                        "`{name}` v{} in the newer capture, v{} in the older",
                        short(nv),
                        short(ov)
                    )
                })
                .collect();
            d.push(ScopeDifference {
                field: "profile_versions",
                only_old: changed
                    .iter()
                    .map(|(name, ov, _)| format!("{name} {ov}"))
                    .collect(),
                only_new: changed
                    .iter()
                    .map(|(name, _, nv)| format!("{name} {nv}"))
                    .collect(),
                text: format!("profile versions differ: {}", say.join("; ")),
            });
        }
        for (field, what, a, b) in [
            ("sources", "sources differ", &o.sources, &n.sources),
            ("excludes", "excludes differ", &o.excludes, &n.excludes),
            (
                "size_limits",
                "size limits differ",
                &o.size_limits,
                &n.size_limits,
            ),
            (
                "metadata_only",
                "metadata-only rules differ",
                &o.metadata_only,
                &n.metadata_only,
            ),
            ("unknown", "scope not fully known", &o.unknown, &n.unknown),
        ] {
            let (oo, on) = one_sided(a, b);
            if oo.is_empty() && on.is_empty() {
                continue;
            }
            let mut parts = Vec::new();
            if !on.is_empty() {
                parts.push(format!("{} only in the newer capture", few(&on)));
            }
            if !oo.is_empty() {
                parts.push(format!("{} only in the older", few(&oo)));
            }
            d.push(ScopeDifference {
                field,
                text: format!("{what}: {}", parts.join("; ")),
                only_old: oo,
                only_new: on,
            });
        }
        if o.live_response != n.live_response {
            let (side, oo, on) = if n.live_response {
                ("newer", vec![], vec!["live response".to_string()])
            } else {
                ("older", vec!["live response".to_string()], vec![])
            };
            d.push(ScopeDifference {
                field: "live_response",
                only_old: oo,
                only_new: on,
                text: format!("live response only in the {side} capture"),
            });
        }
        let ground_differs = o.ground() != n.ground();
        ScopeComparison {
            old: o,
            new: n,
            differences: d,
            ground_differs,
            not_in_both: 0,
            undecided: 0,
        }
    }
}

/// Values shown in a sentence: the first few, then how many more (the
/// JSON lists them all).
fn few(v: &[String]) -> String {
    const SHOWN: usize = 3;
    let head = v.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    match v.len().saturating_sub(SHOWN) {
        0 => head,
        more => format!("{head} and {more} more"),
    }
}

/// Values only in `a`, values only in `b`, each in their order.
fn one_sided(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let only = |x: &[String], y: &[String]| -> Vec<String> {
        x.iter().filter(|v| !y.contains(v)).cloned().collect()
    };
    (only(a, b), only(b, a))
}

/// Whether a path lies inside a snapshot's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InScope {
    Yes,
    /// Outside it, and why.
    No(String),
    /// The records cannot decide, and why.
    Undecided(String),
}

/// How an entry present on one side only stands towards the other side's
/// scope, on a change (absent when it is plainly added or removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeNote {
    /// `old` or `new`: the snapshot holding the entry.
    pub only_in: &'static str,
    /// True when the entry is outside the other capture's scope; false
    /// when the records cannot decide (the class stays added or removed).
    pub decided: bool,
    /// Why, for people.
    pub reason: String,
}

/// Decides whether paths lie inside one snapshot's scope.
pub struct ScopeMatcher {
    ground: Ground,
    /// Directory decisions already made (`None` = entered).
    dirs: Mutex<HashMap<String, Option<String>>>,
}

enum Ground {
    Everything,
    Sources(Vec<String>),
    Profiles {
        selector: Box<ProfileSelector>,
        /// Resolved targets of the capture's recorded links, when a rule
        /// follows links: a file one leads to may have been taken.
        link_targets: HashSet<String>,
        /// The profiles use `{home}` but the capture's `/etc/passwd` could
        /// not be read, so homes named only there are unknown.
        homes_partial: bool,
    },
    Unknown(String),
}

impl ScopeMatcher {
    /// The matcher of `snap`'s scope (as [`Scope::of`] gave it).
    pub fn new(scope: &Scope, snap: &Snapshot) -> Self {
        let ground = if let Some(why) = scope.unknown.first() {
            Ground::Unknown(why.clone())
        } else if !scope.profiles.is_empty() {
            profile_ground(&scope.profiles, snap)
        } else if scope.sources.iter().any(|s| s == "/") {
            Ground::Everything
        } else {
            Ground::Sources(scope.sources.clone())
        };
        ScopeMatcher {
            ground,
            dirs: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the capture would have recorded an entry of this kind at
    /// this path, had it been there.
    pub fn contains(&self, path: &str, kind: EntryType) -> InScope {
        match &self.ground {
            Ground::Everything => InScope::Yes,
            Ground::Unknown(why) => InScope::Undecided(why.clone()),
            Ground::Sources(sources) => {
                if sources.iter().any(|s| under(path, s)) {
                    InScope::Yes
                } else {
                    InScope::No(format!("not under its sources ({})", sources.join(", ")))
                }
            }
            Ground::Profiles {
                selector,
                link_targets,
                homes_partial,
            } => {
                let verdict = self.by_profiles(selector, path, kind);
                match verdict {
                    InScope::No(_) if kind == EntryType::File && link_targets.contains(path) => {
                        InScope::Undecided(
                            "a link its capture recorded leads here and its profiles follow links"
                                .into(),
                        )
                    }
                    InScope::No(_) if *homes_partial => InScope::Undecided(
                        "its profiles take users' homes and its /etc/passwd was not captured, so not every home is known"
                            .into(),
                    ),
                    v => v,
                }
            }
        }
    }

    fn by_profiles(&self, sel: &ProfileSelector, path: &str, kind: EntryType) -> InScope {
        let starts = sel.start_points().unwrap_or_default();
        let mut first_no = None;
        for s in &starts {
            let Ok(s) = std::str::from_utf8(s) else {
                continue;
            };
            if !under(path, s) {
                continue;
            }
            match self.walk_to(sel, s, path) {
                None => {}
                Some(why) => {
                    first_no.get_or_insert(why);
                    continue;
                }
            }
            return match sel.select(path.as_bytes(), kind, 0) {
                Selection::Ignore => InScope::No("its profiles do not take it".into()),
                _ => InScope::Yes,
            };
        }
        InScope::No(first_no.unwrap_or_else(|| "not in any place its profiles take".into()))
    }

    /// Why the walk from the start `start` never reaches `path`, or `None`
    /// when every directory on the way is entered.
    fn walk_to(&self, sel: &ProfileSelector, start: &str, path: &str) -> Option<String> {
        let mut dir = start.to_string();
        let rest = if start == "/" {
            path.trim_start_matches('/')
        } else {
            path.get(start.len()..)
                .unwrap_or("")
                .trim_start_matches('/')
        };
        let comps: Vec<&str> = rest.split('/').filter(|c| !c.is_empty()).collect();
        for (i, c) in comps.iter().enumerate() {
            if let Some(why) = self.dir_blocks(sel, &dir, i) {
                return Some(why);
            }
            if !dir.ends_with('/') {
                dir.push('/');
            }
            dir.push_str(c);
        }
        None
    }

    fn dir_blocks(&self, sel: &ProfileSelector, dir: &str, depth: usize) -> Option<String> {
        if let Ok(m) = self.dirs.lock()
            && let Some(v) = m.get(dir)
        {
            return v.clone();
        }
        let v = match sel.select(dir.as_bytes(), EntryType::Dir, 0) {
            Selection::Excluded(why) => Some(format!("{dir} was excluded ({why})")),
            _ if !sel.descend(dir.as_bytes(), depth) => {
                Some(format!("its profiles do not enter {dir}"))
            }
            _ => None,
        };
        if let Ok(mut m) = self.dirs.lock() {
            m.insert(dir.to_string(), v.clone());
        }
        v
    }
}

/// True when `path` is `dir` or below it.
fn under(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Compile a capture's profiles against what it recorded of its target.
fn profile_ground(names: &[String], snap: &Snapshot) -> Ground {
    let set = match ProfileSet::load(user_profile_dir().as_deref()) {
        Ok(s) => s,
        Err(e) => return Ground::Unknown(format!("the profiles cannot be loaded: {e}")),
    };
    let profiles = match set.resolve(names) {
        Ok(p) => p,
        Err(e) => return Ground::Unknown(format!("{e}")),
    };
    let all: Vec<_> = set.profiles.values().collect();
    let uses_home = profiles.iter().any(|p| {
        p.rules.iter().any(|r| {
            r.paths
                .iter()
                .chain(&r.exclude)
                .any(|x| x.contains("{home}"))
        })
    });
    let follows = profiles
        .iter()
        .any(|p| p.rules.iter().any(|r| r.follow_links));
    let passwd = snap
        .get("/etc/passwd")
        .filter(|e| e.kind == EntryType::File && e.has_content())
        .and_then(|e| snap.read_prefix(e, PASSWD_CAP).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let home_entries: Vec<String> = snap
        .children("/home")
        .filter(|e| e.kind == EntryType::Dir && e.path.matches('/').count() == 2)
        .map(|e| e.path.clone())
        .collect();
    let is_dir = |p: &str| snap.get(p).is_some_and(|e| e.kind == EntryType::Dir);
    let homes = homes::recorded_homes(passwd.as_deref().unwrap_or(""), &home_entries, &is_dir);
    let resolve = |p: &[u8], follow_last: bool| {
        resolve_recorded(snap, std::str::from_utf8(p).ok()?, follow_last).map(String::into_bytes)
    };
    let selector = match ProfileSelector::compile_recorded(names, &profiles, &all, homes, &resolve)
    {
        Ok(s) => s,
        Err(e) => return Ground::Unknown(format!("its profiles cannot be compiled: {e}")),
    };
    let link_targets = if follows {
        snap.entries
            .iter()
            .filter(|e| e.kind == EntryType::Symlink)
            .filter_map(|e| resolve_recorded(snap, &e.path, true))
            .collect()
    } else {
        HashSet::new()
    };
    Ground::Profiles {
        selector: Box::new(selector),
        link_targets,
        homes_partial: uses_home && passwd.is_none(),
    }
}

/// Resolve a logical path through the symlinks a snapshot recorded, as
/// the examined system would have (inside its `/`); `None` on a loop.
pub fn resolve_recorded(snap: &Snapshot, logical: &str, follow_last: bool) -> Option<String> {
    let mut pending: Vec<String> = logical
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = pending.pop() {
        match c.as_str() {
            "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        let last = pending.is_empty();
        let now = format!(
            "/{}",
            [done.as_slice(), std::slice::from_ref(&c)]
                .concat()
                .join("/")
        );
        let link = snap
            .get(&now)
            .filter(|e| e.kind == EntryType::Symlink)
            .and_then(|e| e.link_target.clone());
        match link {
            Some(t) if follow_last || !last => {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                if t.starts_with('/') {
                    done.clear();
                }
                for part in t.split('/').filter(|x| !x.is_empty()).rev() {
                    pending.push(part.to_string());
                }
            }
            _ => done.push(c),
        }
    }
    Some(format!("/{}", done.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Entry;

    fn dir(p: &str) -> Entry {
        let mut e = Entry::file(p, 0, [0; 32]);
        e.kind = EntryType::Dir;
        e.sha256 = None;
        e
    }

    fn link(p: &str, t: &str) -> Entry {
        let mut e = Entry::file(p, 0, [0; 32]);
        e.kind = EntryType::Symlink;
        e.sha256 = None;
        e.link_target = Some(t.into());
        e
    }

    #[test]
    fn under_is_by_component() {
        assert!(under("/var/www/x", "/var/www"));
        assert!(under("/var/www", "/var/www"));
        assert!(!under("/var/wwwx", "/var/www"));
        assert!(under("/etc", "/"));
    }

    #[test]
    fn links_resolve_through_the_records() {
        let s = Snapshot::from_entries(
            "s",
            vec![
                link("/lib", "usr/lib"),
                dir("/usr/lib"),
                link("/a", "/b/../c"),
            ],
        );
        assert_eq!(
            resolve_recorded(&s, "/lib/modules", true).as_deref(),
            Some("/usr/lib/modules")
        );
        assert_eq!(resolve_recorded(&s, "/a", true).as_deref(), Some("/c"));
        assert_eq!(resolve_recorded(&s, "/a", false).as_deref(), Some("/a"));
        let l = Snapshot::from_entries("l", vec![link("/x", "/y"), link("/y", "/x")]);
        assert_eq!(resolve_recorded(&l, "/x/z", true), None);
    }

    #[test]
    fn sources_decide_for_plain_captures() {
        let scope = Scope {
            kind: SnapshotKind::Archive,
            host: None,
            sources: vec!["/var/www".into()],
            profiles: Vec::new(),
            profile_versions: BTreeMap::new(),
            excludes: Vec::new(),
            size_limits: Vec::new(),
            metadata_only: Vec::new(),
            live_response: false,
            unknown: Vec::new(),
        };
        let m = ScopeMatcher::new(&scope, &Snapshot::from_entries("s", Vec::new()));
        assert_eq!(m.contains("/var/www/a.php", EntryType::File), InScope::Yes);
        assert!(matches!(
            m.contains("/etc/passwd", EntryType::File),
            InScope::No(w) if w.contains("/var/www")
        ));
    }

    #[test]
    fn profiles_decide_with_the_capture_matching_code() {
        let scope = Scope {
            kind: SnapshotKind::Archive,
            host: None,
            sources: Vec::new(),
            profiles: vec!["web".into()],
            profile_versions: BTreeMap::new(),
            excludes: Vec::new(),
            size_limits: Vec::new(),
            metadata_only: Vec::new(),
            live_response: false,
            unknown: Vec::new(),
        };
        let snap = Snapshot::from_entries("s", vec![dir("/var/www")]);
        let m = ScopeMatcher::new(&scope, &snap);
        assert_eq!(
            m.contains("/var/www/html/index.php", EntryType::File),
            InScope::Yes
        );
        assert!(matches!(
            m.contains("/usr/bin/ls", EntryType::File),
            InScope::No(_)
        ));
        let unknown = Scope {
            profiles: vec!["no-such-profile".into()],
            ..scope
        };
        let u = ScopeMatcher::new(&unknown, &snap);
        assert!(matches!(
            u.contains("/usr/bin/ls", EntryType::File),
            InScope::Undecided(_)
        ));
    }
}
