//! Timestamp manipulation: new files backdated to before the baseline or
//! their siblings, mtime far older than ctime where a directory's files
//! normally agree, and times in the future.
//!
//! `touch -d` can set a file's mtime to anything, but not its ctime, which
//! records the real time of the change. A gap between them that the
//! neighbouring files do not share is the trace of backdating.

use crate::archive::EntryType;
use crate::detect::Severity;
use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::files::{Context, Finding};
use crate::detect::{Detector, FileSubject};
use crate::diff::ChangeClass;
use crate::snapshot::{Entry, Snapshot, SnapshotKind, TimeNs, format_time};
use std::collections::HashMap;

const SEC: i64 = 1_000_000_000;
const HOUR: i64 = 3600 * SEC;
const DAY: i64 = 24 * HOUR;
/// mtime older than ctime by more than this is a gap worth a look.
const GAP: i64 = 30 * DAY;
/// A packaged file whose ctime lies this close to its package's install or
/// upgrade time was written by dpkg, which unpacks files with the
/// package's build times: its old mtime is explained.
const INSTALL_WINDOW: i64 = 15 * 60 * SEC;

/// Packaged files whose old mtime the package manager explains, found once
/// per run.
struct Packages<'s> {
    snap: &'s Snapshot,
    owners: Option<HashMap<String, super::dpkg::Owned>>,
    md5s: Option<HashMap<String, super::dpkg::Listed>>,
}

impl<'s> Packages<'s> {
    fn new(snap: &'s Snapshot) -> Self {
        Self {
            snap,
            owners: None,
            md5s: None,
        }
    }

    /// The package that installed `e` as it is, when its ctime is the
    /// package's install or upgrade time and its content (where the
    /// package lists an MD5) still matches: a fact for the evidence.
    fn explains(&mut self, e: &Entry) -> Option<String> {
        let c = e.ctime_ns?;
        let snap = self.snap;
        let owned = self
            .owners
            .get_or_insert_with(|| super::dpkg::owner_index(snap))
            .get(&e.path)?;
        if (c - owned.installed_ns).abs() > INSTALL_WINDOW {
            return None;
        }
        let (package, installed) = (owned.package.clone(), owned.installed_ns);
        let listed = self
            .md5s
            .get_or_insert_with(|| super::dpkg::package_index(snap))
            .get(&e.path);
        if let Some(l) = listed
            && super::dpkg::md5_of(snap, e) != Some(l.md5)
        {
            return None;
        }
        Some(format!(
            "installed by package {package} at {} (its ctime), content as packaged",
            format_time(installed)
        ))
    }
}

/// The time a baseline was known to be complete: the acquisition start of
/// an archive, the newest ctime seen in a directory.
fn baseline_time(s: &Snapshot) -> Option<TimeNs> {
    match s.kind {
        SnapshotKind::Archive => s.taken_at_ns,
        _ => s.entries.iter().filter_map(|e| e.ctime_ns).max(),
    }
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => path.get(..i).unwrap_or("/"),
        None => "/",
    }
}

/// The regular files directly in a directory: how many have both times,
/// how many of those have mtime ≈ ctime (within an hour), the oldest ctime.
#[derive(Debug, Clone, Copy, Default)]
struct DirProfile {
    files: usize,
    agree: usize,
    min_ctime: Option<TimeNs>,
}

fn agrees(e: &Entry) -> Option<bool> {
    Some((e.ctime_ns? - e.mtime_ns?).abs() < HOUR)
}

fn dir_profile(s: &Snapshot, dir: &str) -> DirProfile {
    let mut p = DirProfile::default();
    let d = dir.trim_end_matches('/');
    for e in s.children(d) {
        if e.kind != EntryType::File || parent(&e.path) != dir {
            continue;
        }
        if let (Some(a), Some(c)) = (agrees(e), e.ctime_ns) {
            p.files += 1;
            p.agree += usize::from(a);
            p.min_ctime = Some(p.min_ctime.map_or(c, |x: TimeNs| x.min(c)));
        }
    }
    p
}

impl DirProfile {
    /// Whether the files other than `e` normally agree (at least 3 others,
    /// 75% of them with mtime ≈ ctime).
    fn others_agree(&self, e: &Entry) -> (bool, usize) {
        let me = agrees(e);
        let n = self.files - usize::from(me.is_some());
        let a = self.agree - usize::from(me == Some(true));
        (n >= 3 && a * 4 >= n * 3, n)
    }
}

fn times(e: &Entry) -> String {
    format!(
        "mtime {}, ctime {}",
        e.mtime_ns.map_or("unknown".into(), format_time),
        e.ctime_ns.map_or("unknown".into(), format_time)
    )
}

/// The timestamp detector.
pub struct Timestamps;

impl<'a> Detector<Context<'a>, FileSubject> for Timestamps {
    fn id(&self) -> &'static str {
        "timestamps"
    }

    fn needs(&self) -> Needs {
        Needs {
            input: Input::Files,
            baseline: Baseline::Optional,
            reads: &["file times (mtime, ctime)"],
        }
    }

    fn describe(&self) -> &'static str {
        "Backdated files, mtime far older than ctime where neighbours agree, times in the future."
    }

    fn run(&self, ctx: &Context<'a>, _prior: &[Finding], out: &mut Vec<Finding>) {
        let reference = match ctx.new.kind {
            SnapshotKind::Archive => ctx.new.taken_at_ns,
            _ => ctx
                .new
                .taken_at_ns
                .or_else(|| chrono::Utc::now().timestamp_nanos_opt()),
        };
        let base = ctx.old.and_then(baseline_time);
        let mut packaged: Option<HashMap<String, super::dpkg::Listed>> = None;
        let mut packages = Packages::new(ctx.new);
        let mut profiles: HashMap<String, DirProfile> = HashMap::new();
        for s in ctx.subjects() {
            let e = s.entry;
            if s.change.is_some_and(|c| c.change == ChangeClass::Removed) {
                continue;
            }
            if !matches!(e.kind, EntryType::File) {
                continue;
            }
            let (Some(m), Some(c)) = (e.mtime_ns, e.ctime_ns) else {
                continue;
            };
            // Times in the future.
            if let Some(r) = reference
                && (m > r + DAY || c > r + DAY)
            {
                out.push(ctx.finding(
                    "timestamps.future",
                    Severity::Medium,
                    &e.path,
                    "File time in the future",
                    "A modification or change time later than the snapshot itself means the clock was wrong or the time was set by hand.",
                    vec![times(e), format!("snapshot taken {}", format_time(r))],
                ));
            }
            let dir = parent(&e.path).to_string();
            // Old mtimes dpkg wrote while installing or upgrading the
            // file's package are not backdating (the check runs only for
            // files that would be flagged).
            let added = s.change.is_some_and(|ch| ch.change == ChangeClass::Added);
            let suspicious_age =
                c - m > GAP || (added && (m + DAY < c || base.is_some_and(|b| m < b)));
            if suspicious_age && packages.explains(e).is_some() {
                continue;
            }
            // New file backdated to before the baseline or its siblings.
            if s.change.is_some_and(|ch| ch.change == ChangeClass::Added) {
                let pkgs = packaged.get_or_insert_with(|| super::dpkg::package_index(ctx.new));
                let from_package = pkgs.contains_key(&e.path);
                if let Some(b) = base
                    && m < b
                    && c > b
                {
                    out.push(ctx.finding(
                        "timestamps.new_file_predates_baseline",
                        if from_package { Severity::Low } else { Severity::High },
                        &e.path,
                        "New file backdated to before the baseline",
                        "The file did not exist in the baseline, its ctime says it was created after it, yet its mtime claims it is older. Packages unpack files with their build times; anything else with this pattern was backdated (e.g. `touch -d`) to blend in.",
                        vec![
                            times(e),
                            format!("baseline complete at {}", format_time(b)),
                            if from_package { "listed by a package's md5sums".into() } else { "not listed by any package".into() },
                        ],
                    ));
                    continue;
                }
                let prof = profiles
                    .entry(dir.clone())
                    .or_insert_with(|| dir_profile(ctx.new, &dir));
                let (_, others) = prof.others_agree(e);
                if let Some(min_c) = prof.min_ctime
                    && others >= 2
                    && m + DAY < min_c
                    && !from_package
                {
                    out.push(ctx.finding(
                        "timestamps.new_file_predates_siblings",
                        Severity::Medium,
                        &e.path,
                        "New file older than every neighbour's ctime",
                        "The new file claims an mtime before any file in its directory was last changed, as if it had always been there: a backdated file.",
                        vec![times(e), format!("oldest sibling ctime {}", format_time(min_c))],
                    ));
                    continue;
                }
            }
            // mtime far older than ctime where the directory's files agree.
            if c - m > GAP {
                let prof = profiles
                    .entry(dir.clone())
                    .or_insert_with(|| dir_profile(ctx.new, &dir));
                let (normal, others) = prof.others_agree(e);
                if normal {
                    out.push(ctx.finding(
                        "timestamps.mtime_much_older_than_ctime",
                        Severity::Medium,
                        &e.path,
                        "mtime far older than ctime, unlike its neighbours",
                        "In this directory files are written in place (mtime and ctime agree), but this one's mtime is months older than its ctime: the pattern of a time set by hand.",
                        vec![times(e), format!("{others} sibling files, 75%+ with mtime ≈ ctime")],
                    ));
                }
            }
        }
    }
}
