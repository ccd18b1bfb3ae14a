//! Indicators in a snapshot's files (`detect::ioc::files`): names and
//! paths, content hashes, and the strings of text files.
//!
//! - **Names and paths**: every entry (files, folders, links) against the
//!   listed file-name and path globs.
//! - **Hashes**: SHA-256 as the archive recorded it; MD5 and SHA-1 only
//!   when a list holds such hashes, and then only for files with content
//!   whose SHA-256 is known, each distinct content once, streamed from the
//!   archive member (never extracted) on all cores.
//! - **Text**: captured files of at most [`MAX_TEXT_BYTES`] with no NUL in
//!   their first 8 KiB (cron tables, units, scripts, configuration, web
//!   roots), outside `/var/log/` (logs are matched as events by
//!   [`super::logs`]), searched for listed domains, addresses and ranges,
//!   URLs and emails; each hit names its line.
//!
//! On a diff, the newer snapshot is matched whole (an indicator is evidence
//! wherever it is), findings on changed paths carry their change, and
//! files the diff found removed are matched in the older snapshot.

use super::IocSet;
use crate::detect::FileSubject;
use crate::diff::{Change, ChangeClass};
use crate::job::{CancelToken, Progress, ProgressSink};
use crate::snapshot::{Entry, Snapshot};
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::io::Read;

/// A file finding.
pub type Finding = crate::detect::Finding<FileSubject>;

/// Text files larger than this are not searched for strings.
pub const MAX_TEXT_BYTES: u64 = 1 << 20;
/// Lines quoted per indicator and file.
const MAX_LINES_SHOWN: usize = 5;
/// Characters of a quoted line.
const MAX_LINE_CHARS: usize = 200;

/// Match a snapshot against the indicators.
pub fn on_snapshot(
    snap: &Snapshot,
    set: &IocSet,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Vec<Finding> {
    let entries: Vec<&Entry> = snap.entries.iter().collect();
    let mut out = Vec::new();
    match_entries(snap, &entries, &|_| None, set, progress, cancel, &mut out);
    sort(&mut out);
    out
}

/// Match the newer snapshot of a diff (and the files it lost, in the
/// older one).
pub fn on_diff(
    old: &Snapshot,
    new: &Snapshot,
    changes: &[Change],
    set: &IocSet,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
) -> Vec<Finding> {
    let change_of = |p: &str| {
        changes
            .binary_search_by(|c| c.path.as_str().cmp(p))
            .ok()
            .and_then(|i| changes.get(i))
            .map(|c| c.change)
    };
    let mut out = Vec::new();
    let entries: Vec<&Entry> = new.entries.iter().collect();
    match_entries(new, &entries, &change_of, set, progress, cancel, &mut out);
    let removed: Vec<&Entry> = changes
        .iter()
        .filter(|c| {
            c.change == ChangeClass::Removed
                || (c.change == ChangeClass::NotInBoth && c.new.is_none())
        })
        .filter_map(|c| old.get(&c.path))
        .collect();
    if !removed.is_empty() {
        match_entries(old, &removed, &change_of, set, progress, cancel, &mut out);
    }
    sort(&mut out);
    out
}

/// Add IOC findings to a list of file findings, keeping its order (most
/// severe first, then path and rule). Unlike
/// [`crate::detect::files::sort_findings`] nothing is deduplicated: two
/// indicators seen in one file are two findings.
pub fn merge(findings: &mut Vec<Finding>, more: Vec<Finding>) {
    if more.is_empty() {
        return;
    }
    findings.extend(more);
    sort(findings);
}

fn sort(v: &mut [Finding]) {
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.subject.path.cmp(&b.subject.path))
            .then_with(|| a.rule.cmp(&b.rule))
    });
}

/// One hit before it becomes a finding.
struct Hit<'a> {
    ind: u32,
    entry: &'a Entry,
    evidence: Vec<String>,
    what: String,
}

#[allow(clippy::too_many_arguments)]
fn match_entries<'a>(
    snap: &'a Snapshot,
    entries: &[&'a Entry],
    change_of: &dyn Fn(&str) -> Option<ChangeClass>,
    set: &IocSet,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
    out: &mut Vec<Finding>,
) {
    let ix = set.index();
    let mut hits: Vec<Hit<'a>> = Vec::new();
    progress.update(&Progress {
        phase: "matching indicators",
        files_total: Some(entries.len() as u64),
        ..Progress::default()
    });

    // Names and paths.
    if ix.wants_names() {
        let mut buf = Vec::new();
        let mut found = Vec::new();
        for &e in entries {
            found.clear();
            ix.name_hits(&e.path, &mut buf, &mut found);
            for &i in &found {
                hits.push(Hit {
                    ind: i,
                    entry: e,
                    evidence: vec![format!(
                        "{} {}",
                        format!("{:?}", e.kind).to_lowercase(),
                        e.path
                    )],
                    what: "its name".into(),
                });
            }
        }
    }

    // SHA-256 as recorded.
    for &e in entries {
        if let Some(h) = e.sha256
            && let Some(i) = ix.sha256(&h)
        {
            hits.push(Hit {
                ind: i,
                entry: e,
                evidence: vec![format!("sha256 {} (as recorded)", hex::encode(h))],
                what: "its content (SHA-256)".into(),
            });
        }
    }

    // MD5 / SHA-1, computed once per distinct content.
    if ix.wants_md5() || ix.wants_sha1() {
        hash_on_demand(snap, entries, set, cancel, &mut hits);
    }

    // Strings in text files.
    if ix.wants_text() {
        text_hits(snap, entries, set, cancel, &mut hits);
    }

    for h in hits {
        let Some(ind) = set.get(h.ind) else { continue };
        let mut evidence = h.evidence;
        evidence.push(set.listed(ind));
        out.push(Finding {
            rule: ind.kind.rule().to_string(),
            severity: ind.kind.severity(),
            title: format!("{} in {}", set.title(ind), h.what),
            explanation: format!(
                "The {} {} is in the indicator list {}{}: this file matches it by {}.",
                ind.kind.words(),
                ind.value,
                set.source(ind),
                if ind.comment.is_empty() {
                    String::new()
                } else {
                    format!(" ({:?})", ind.comment)
                },
                h.what
            ),
            subject: FileSubject {
                path: h.entry.path.clone(),
                evidence,
                change: change_of(&h.entry.path),
                snapshot: snap.label.clone(),
                altered: None,
            },
        });
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(8))
}

/// MD5 and SHA-1 of each distinct content whose SHA-256 is known.
fn hash_on_demand<'a>(
    snap: &'a Snapshot,
    entries: &[&'a Entry],
    set: &IocSet,
    cancel: &CancelToken,
    hits: &mut Vec<Hit<'a>>,
) {
    let ix = set.index();
    let mut by_content: BTreeMap<[u8; 32], Vec<&'a Entry>> = BTreeMap::new();
    for &e in entries {
        if e.has_content()
            && let Some(h) = e.sha256
        {
            by_content.entry(h).or_default().push(e);
        }
    }
    let groups: Vec<(&[u8; 32], &Vec<&'a Entry>)> = by_content.iter().collect();
    let (want_md5, want_sha1) = (ix.wants_md5(), ix.wants_sha1());
    let digests = crate::job::par_map(
        &groups,
        threads(),
        cancel,
        |(sealed, es)| {
            let e = es.first()?;
            let mut r = snap.open_content(e).ok()?;
            let mut md5 = Md5::new();
            let mut sha1 = sha1::Sha1::new();
            // The content read is checked against the SHA-256 the capture
            // recorded: MD5/SHA-1 of altered bytes are never presented as
            // the evidence's.
            let mut sha256 = sha2::Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = r.read(&mut buf).ok()?;
                if n == 0 {
                    break;
                }
                let chunk = buf.get(..n)?;
                sha256.update(chunk);
                if want_md5 {
                    md5.update(chunk);
                }
                if want_sha1 {
                    sha1.update(chunk);
                }
            }
            let m: [u8; 16] = md5.finalize().into();
            let s: [u8; 20] = sha1.finalize().into();
            let read: [u8; 32] = sha256.finalize().into();
            Some((m, s, read == **sealed))
        },
        None,
    );
    for ((_, es), d) in groups.iter().zip(digests) {
        let Some(Some((m, s, intact))) = d else {
            continue;
        };
        let found = [
            (
                want_md5.then(|| ix.md5(&m)).flatten(),
                "md5",
                hex::encode(m),
            ),
            (
                want_sha1.then(|| ix.sha1(&s)).flatten(),
                "sha1",
                hex::encode(s),
            ),
        ];
        for (i, name, hexd) in found {
            let Some(i) = i else { continue };
            for &e in es.iter() {
                hits.push(Hit {
                    ind: i,
                    entry: e,
                    evidence: vec![if intact {
                        format!("{name} {hexd} (computed from the snapshot's content, whose SHA-256 is the recorded one)")
                    } else {
                        format!(
                            "{name} {hexd} computed from content that does NOT match the SHA-256 recorded at capture: the snapshot was altered; verify it before relying on this"
                        )
                    }],
                    what: format!("its content ({})", name.to_uppercase()),
                });
            }
        }
    }
}

/// Whether a file is searched for strings.
fn is_text_candidate(e: &Entry) -> bool {
    e.has_content()
        && e.size <= MAX_TEXT_BYTES
        && !e.path.starts_with("/var/log/")
        && !e.path.starts_with("/proc/")
        && !e.path.starts_with("/sys/")
}

fn text_hits<'a>(
    snap: &'a Snapshot,
    entries: &[&'a Entry],
    set: &IocSet,
    cancel: &CancelToken,
    hits: &mut Vec<Hit<'a>>,
) {
    let ix = set.index();
    let cands: Vec<&'a Entry> = entries
        .iter()
        .copied()
        .filter(|e| is_text_candidate(e))
        .collect();
    let found = crate::job::par_map(
        &cands,
        threads(),
        cancel,
        |e| {
            let raw = snap.read_prefix(e, MAX_TEXT_BYTES).ok()?;
            if raw.get(..raw.len().min(8192))?.contains(&0) {
                return None;
            }
            // indicator -> (lines, count)
            let mut per: BTreeMap<u32, (Vec<(u64, usize)>, u64)> = BTreeMap::new();
            let mut line = 1u64;
            let mut at = 0usize;
            let mut starts: Vec<(u32, usize)> = Vec::new();
            ix.text_hits(&raw, |i, s, _| starts.push((i, s)));
            starts.sort_by_key(|x| x.1);
            for (i, s) in starts {
                line +=
                    memchr::memchr_iter(b'\n', raw.get(at..s).unwrap_or_default()).count() as u64;
                at = s;
                let line_start = raw
                    .get(..s)
                    .and_then(|b| memchr::memrchr(b'\n', b))
                    .map_or(0, |p| p + 1);
                let slot = per.entry(i).or_default();
                if slot.0.last().is_none_or(|l| l.0 != line) {
                    slot.1 += 1;
                    if slot.0.len() < MAX_LINES_SHOWN {
                        slot.0.push((line, line_start));
                    }
                }
            }
            if per.is_empty() {
                return None;
            }
            let quote = |start: usize| {
                let rest = raw.get(start..).unwrap_or_default();
                let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
                let l = String::from_utf8_lossy(rest.get(..end).unwrap_or_default());
                let l = l.trim_end_matches('\r');
                let mut q: String = l.chars().take(MAX_LINE_CHARS).collect();
                if l.chars().count() > MAX_LINE_CHARS {
                    q.push('…');
                }
                crate::text::inert(&q).into_owned()
            };
            Some(
                per.into_iter()
                    .map(|(i, (lines, n))| {
                        let mut ev: Vec<String> = lines
                            .iter()
                            .map(|(l, s)| format!("line {l}: {}", quote(*s)))
                            .collect();
                        if n > lines.len() as u64 {
                            ev.push(format!("… on {} more line(s)", n - lines.len() as u64));
                        }
                        (i, ev)
                    })
                    .collect::<Vec<_>>(),
            )
        },
        None,
    );
    for (&e, r) in cands.iter().zip(found) {
        let Some(Some(list)) = r else { continue };
        for (i, evidence) in list {
            hits.push(Hit {
                ind: i,
                entry: e,
                evidence,
                what: "its text".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::NoProgress;

    #[test]
    fn names_and_recorded_hashes_in_memory() {
        let h = [7u8; 32];
        let snap = Snapshot::from_entries(
            "mem",
            vec![
                Entry::file("/var/www/html/uploads/x.phtml", 3, [1u8; 32]),
                Entry::file("/usr/bin/ok", 3, h),
            ],
        );
        let set = IocSet::from_text(
            "l.txt",
            &format!("*.phtml # web shell\nsha256:{} # dropper\n", hex::encode(h)),
        )
        .unwrap();
        let f = on_snapshot(&snap, &set, &NoProgress, &CancelToken::new());
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].rule, "ioc.sha256");
        assert_eq!(f[0].severity, crate::detect::Severity::Critical);
        assert!(
            f[0].subject
                .evidence
                .iter()
                .any(|e| e.contains("l.txt:2") && e.contains("dropper"))
        );
        assert_eq!(f[1].rule, "ioc.filename");
        assert_eq!(f[1].subject.path, "/var/www/html/uploads/x.phtml");
    }
}
