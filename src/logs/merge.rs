//! Several snapshots of one host: logs read from two or more evidence
//! archives of the same machine (a baseline and an incident capture, say)
//! are merged so that each line is one event, and the lines an earlier
//! snapshot holds that a later one lost are named.
//!
//! - **Host**: an archive's `exhibit/acquisition.json` names the machine
//!   (`machine_id`, else `hostname`); without them the captured
//!   `/etc/machine-id` or `/etc/hostname` do. Archives without any are
//!   never merged. Snapshots of one host are ordered by acquisition time
//!   (`started_at`), then by the order they were given in.
//! - **Family**: a log and its rotations are one family (`auth.log`,
//!   `auth.log.1`, `auth.log.2.gz`, `auth.log-20261101`); a journal
//!   directory's `system.journal` and its archived `system@….journal` are
//!   one family. A family's content in one snapshot is its files from the
//!   oldest rotation to the live file, each in file order.
//! - **Line identity**: (host, family, a 128-bit fingerprint of the line,
//!   the occurrence of that fingerprint among the family's lines). Only
//!   fingerprints are kept, never a second copy of the text. A journal
//!   entry's text carries its sequence number, boot id and time (its
//!   cursor, in effect); its byte offset is left out of the fingerprint,
//!   so an entry is one event whether the file was rotated or not.
//! - **Merge**: the first snapshot holding a line keeps its event; the
//!   same line in later snapshots is dropped from the store and recorded
//!   as an [`AlsoIn`] of the kept event, so counts, detections and the
//!   timeline see it once.
//! - **Erased lines**: for each pair of consecutive snapshots of a host, a
//!   line of the earlier family content that the later content lacks, while
//!   lines before and after it (in the earlier content's order) are still
//!   in the later one, was erased: rotation (old files dropped from the
//!   front) and a file truncated or replaced as a whole (nothing after it
//!   kept) are not erasure. They become [`ErasedLine`]s, judged by the
//!   `erased_lines` detection.

use super::event::Event;
use super::load::SourceInfo;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::PathBuf;

/// One evidence archive whose logs may be merged with others of its host.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotInfo {
    pub archive: PathBuf,
    /// The machine: `machine-id:…` or `hostname:…`.
    pub host: String,
    /// When the acquisition started (UTC microseconds), when known.
    #[serde(skip)]
    pub acquired_us: Option<i64>,
}

/// The snapshot an evidence archive is, when it names its host: the
/// acquisition's machine id or host name, else the captured
/// `/etc/machine-id` or `/etc/hostname`.
pub(crate) fn snapshot_of(
    a: &crate::archive::Archive,
    records: &[crate::archive::FileRecord],
) -> Option<SnapshotInfo> {
    let acq = a.acquisition().ok();
    let captured = |path: &str| -> Option<String> {
        let r = records.iter().find(|r| r.path == path)?;
        let m = r.member.as_deref()?;
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(a.open_member(m).ok()?, 256),
            &mut text,
        )
        .ok()?;
        Some(text)
    };
    let host = host_identity(acq.as_ref(), captured)?;
    let acquired_us = acq
        .as_ref()
        .and_then(|q| super::time::iso(q.started_at.as_bytes(), 0))
        .map(|t| t.0);
    Some(SnapshotInfo {
        archive: a.path.clone(),
        host,
        acquired_us,
    })
}

/// The host an archive's logs are merged under: the acquisition's machine
/// id, else the captured `/etc/machine-id` (`captured` reads a captured
/// file's first bytes), else the acquisition's host name, else the captured
/// `/etc/hostname`; `None` when it names none (never merged).
pub(crate) fn host_identity(
    acq: Option<&crate::archive::acquisition::Acquisition>,
    captured: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let clean = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.len() <= 255).then(|| s.to_string())
    };
    let captured = |path: &str| captured(path).as_deref().and_then(clean);
    acq.and_then(|q| q.host.machine_id.as_deref().and_then(clean))
        .map(|m| format!("machine-id:{m}"))
        .or_else(|| captured("/etc/machine-id").map(|m| format!("machine-id:{m}")))
        .or_else(|| {
            acq.and_then(|q| q.host.hostname.as_deref().and_then(clean))
                .or_else(|| captured("/etc/hostname"))
                .map(|h| format!("hostname:{h}"))
        })
}

/// Another snapshot's copy of a kept event's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AlsoIn {
    /// The kept event: its source and line.
    pub source: u32,
    pub line: u64,
    /// Where the copy was read.
    pub in_source: u32,
    pub in_line: u64,
}

/// A line of an earlier snapshot that a later snapshot of the same host
/// lost from the middle of its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ErasedLine {
    /// The event (index into the store's events).
    pub event: u32,
    /// The snapshots (indices into [`super::LogStore::snapshots`]) that
    /// held it and that lost it.
    pub before: u32,
    pub after: u32,
}

/// What a merge found, by (source, line) of the kept events (event indices
/// are only known once the blocks are numbered).
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub also_in: Vec<AlsoIn>,
    /// (source, line, before, after).
    pub erased: Vec<(u32, u64, u32, u32)>,
}

/// The family a log file belongs to: its directory and the name without
/// rotation suffix; for a journal file, its directory and the part of the
/// name before `@` or `.journal`.
pub fn family(path: &str, parser: &str) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    if parser == "journal" || name.ends_with(".journal") || name.ends_with(".journal~") {
        let stem = name
            .split('@')
            .next()
            .unwrap_or(name)
            .trim_end_matches('~')
            .trim_end_matches(".journal");
        return format!("{dir}/{stem}.journal");
    }
    let (base, _) = rotation_rank(name);
    format!("{dir}/{base}")
}

/// A file name's rotation base and its place among its family, oldest
/// first: numbered rotations by number (highest first), dated rotations
/// by date, the live file last.
pub fn rotation_rank(name: &str) -> (&str, (u8, i64)) {
    let n = name.strip_suffix(".gz").unwrap_or(name);
    if let Some((base, num)) = n.rsplit_once('.')
        && !num.is_empty()
        && num.len() <= 4
        && num.bytes().all(|c| c.is_ascii_digit())
        && !base.is_empty()
    {
        return (base, (0, -num.parse::<i64>().unwrap_or(0)));
    }
    if let Some((base, date)) = n.rsplit_once('-')
        && (date.len() == 8 || date.len() == 10)
        && date.bytes().all(|c| c.is_ascii_digit())
        && !base.is_empty()
    {
        return (base, (1, date.parse::<i64>().unwrap_or(0)));
    }
    if let Some(base) = n.strip_suffix(".old")
        && !base.is_empty()
    {
        return (base, (0, i64::MIN + 1));
    }
    (n, (2, 0))
}

/// The order of a journal file in its family: archived files by name
/// (their names carry the head sequence number), the live file last.
fn journal_rank(name: &str) -> (u8, String) {
    if name.contains('@') {
        (0, name.to_string())
    } else {
        (1, name.to_string())
    }
}

/// The text a line is identified by: the line as read; for a journal
/// entry, without its byte offset in the file.
fn identity_text<'a>(e: &'a Event, journal: bool, buf: &'a mut String) -> &'a str {
    let t = e.line_text();
    if !journal {
        return t;
    }
    let Some(at) = t.rfind(" offset=") else {
        return t;
    };
    let rest = t.get(at + 8..).unwrap_or("");
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    buf.clear();
    buf.push_str(t.get(..at).unwrap_or(""));
    buf.push_str(rest.get(end..).unwrap_or(""));
    buf.as_str()
}

/// A 128-bit fingerprint: two 64-bit hashes with fixed, different seeds
/// (as two `u64`, so that a key packs in 24 bytes, not 32).
pub fn fingerprint(text: &str) -> [u64; 2] {
    let a = foldhash::quality::FixedState::with_seed(0x6578_6869_6269_7431).hash_one(text);
    let b = foldhash::quality::FixedState::with_seed(0x9e37_79b9_7f4a_7c15).hash_one(text);
    [a, b]
}

/// A line's identity within its family: fingerprint and occurrence.
pub type Key = ([u64; 2], u32);

/// Gives each line its [`Key`]: its fingerprint and how many identical
/// lines came before it.
#[derive(Debug, Default)]
pub struct Keyer {
    seen: foldhash::HashMap<[u64; 2], u32>,
}

impl Keyer {
    /// The next line's key.
    pub fn key(&mut self, text: &str) -> Key {
        let fp = fingerprint(text);
        let n = self.seen.entry(fp).or_insert(0);
        let k = (fp, *n);
        *n += 1;
        k
    }
}

/// The positions of the `earlier` lines that `later` lacks, split into the
/// erased ones (lines before and after them in `earlier` are still in
/// `later`) and the others (before the first or after the last line
/// `later` kept: rotated away, cut, or the whole file replaced).
pub fn lost_lines(earlier: &[Key], later: &[Key]) -> (Vec<usize>, Vec<usize>) {
    let now: foldhash::HashSet<&Key> = later.iter().collect();
    let held: Vec<bool> = earlier.iter().map(|k| now.contains(k)).collect();
    let bounds = (held.iter().position(|&h| h), held.iter().rposition(|&h| h));
    let (mut erased, mut other) = (Vec::new(), Vec::new());
    for (k, &h) in held.iter().enumerate() {
        if h {
            continue;
        }
        match bounds {
            (Some(first), Some(last)) if k > first && k < last => erased.push(k),
            _ => other.push(k),
        }
    }
    (erased, other)
}

/// One snapshot's content of one family: for each line, its key and the
/// event (source, position in that source's block).
struct Content {
    snapshot: u32,
    lines: Vec<(Key, u32, u32)>,
}

/// Merge the sources of several snapshots of one host: drop the repeated
/// events from `blocks` (one block per source, `sources[i]` its info) and
/// say where each kept event was also found and which were erased.
/// `rank` orders the snapshots (index into it = snapshot index).
pub(crate) fn merge(
    sources: &mut [SourceInfo],
    blocks: &mut [Vec<Event>],
    snapshots: &[SnapshotInfo],
) -> Outcome {
    let mut out = Outcome::default();
    // Snapshot order: acquisition time, then as given.
    let mut order: Vec<u32> = (0..snapshots.len() as u32).collect();
    order.sort_by_key(|&i| (snapshots.get(i as usize).and_then(|s| s.acquired_us), i));
    let rank_of: HashMap<u32, usize> = order.iter().enumerate().map(|(r, &i)| (i, r)).collect();
    // (host, family) -> snapshot -> sources
    type Group = HashMap<u32, Vec<u32>>;
    let mut groups: HashMap<(String, String), Group> = HashMap::new();
    for (si, s) in sources.iter().enumerate() {
        let Some(snap) = s.snapshot else { continue };
        let Some(info) = snapshots.get(snap as usize) else {
            continue;
        };
        groups
            .entry((info.host.clone(), family(&s.path, &s.parser)))
            .or_default()
            .entry(snap)
            .or_default()
            .push(si as u32);
    }
    let mut groups: Vec<((String, String), Group)> =
        groups.into_iter().filter(|(_, g)| g.len() > 1).collect();
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let mut drop: HashMap<u32, Vec<bool>> = HashMap::new();
    let mut buf = String::new();
    for (_, group) in groups {
        let mut snaps: Vec<(u32, Vec<u32>)> = group.into_iter().collect();
        snaps.sort_by_key(|(s, _)| rank_of.get(s).copied().unwrap_or(usize::MAX));
        let mut kept: foldhash::HashMap<Key, (u32, u32)> = foldhash::HashMap::default();
        let mut prev: Option<Content> = None;
        for (snap, mut files) in snaps {
            files.sort_by(|&a, &b| {
                let pa = sources.get(a as usize).map_or("", |s| s.path.as_str());
                let pb = sources.get(b as usize).map_or("", |s| s.path.as_str());
                let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
                if family(pa, "").ends_with(".journal") {
                    journal_rank(&name(pa)).cmp(&journal_rank(&name(pb)))
                } else {
                    rotation_rank(&name(pa))
                        .1
                        .cmp(&rotation_rank(&name(pb)).1)
                        .then(pa.cmp(pb))
                }
            });
            let content = content_of(snap, &files, sources, blocks, &mut buf);
            for &(key, src, pos) in &content.lines {
                match kept.get(&key) {
                    Some(&(ks, kp)) => {
                        let (Some(k), Some(c)) =
                            (event_at(blocks, ks, kp), event_at(blocks, src, pos))
                        else {
                            continue;
                        };
                        out.also_in.push(AlsoIn {
                            source: ks,
                            line: k.line,
                            in_source: src,
                            in_line: c.line,
                        });
                        let len = blocks.get(src as usize).map_or(0, Vec::len);
                        if let Some(d) = drop
                            .entry(src)
                            .or_insert_with(|| vec![false; len])
                            .get_mut(pos as usize)
                        {
                            *d = true;
                        }
                        if let Some(s) = sources.get_mut(src as usize) {
                            s.merged_lines += 1;
                        }
                    }
                    None => {
                        kept.insert(key, (src, pos));
                    }
                }
            }
            if let Some(p) = prev.take() {
                erased(&p, &content, &kept, blocks, &mut out.erased);
            }
            prev = Some(content);
        }
    }
    for (src, mask) in drop {
        if let Some(b) = blocks.get_mut(src as usize) {
            let mut k = 0usize;
            b.retain(|_| {
                let keep = !mask.get(k).copied().unwrap_or(false);
                k += 1;
                keep
            });
        }
    }
    out.also_in.sort_unstable();
    out.erased.sort_unstable();
    out
}

fn event_at(blocks: &[Vec<Event>], src: u32, pos: u32) -> Option<&Event> {
    blocks.get(src as usize)?.get(pos as usize)
}

/// The keys of one snapshot's family content, in order.
fn content_of(
    snap: u32,
    files: &[u32],
    sources: &[SourceInfo],
    blocks: &[Vec<Event>],
    buf: &mut String,
) -> Content {
    let mut keyer = Keyer::default();
    let mut lines = Vec::new();
    for &src in files {
        let journal = sources
            .get(src as usize)
            .is_some_and(|s| s.parser == "journal");
        let Some(block) = blocks.get(src as usize) else {
            continue;
        };
        for (pos, e) in block.iter().enumerate() {
            lines.push((keyer.key(identity_text(e, journal, buf)), src, pos as u32));
        }
    }
    Content {
        snapshot: snap,
        lines,
    }
}

/// The lines of `earlier` that `later` lost between lines it kept.
fn erased(
    earlier: &Content,
    later: &Content,
    kept: &foldhash::HashMap<Key, (u32, u32)>,
    blocks: &[Vec<Event>],
    out: &mut Vec<(u32, u64, u32, u32)>,
) {
    let keys = |c: &Content| c.lines.iter().map(|l| l.0).collect::<Vec<Key>>();
    let (gone, _) = lost_lines(&keys(earlier), &keys(later));
    for k in gone {
        let Some(line) = earlier.lines.get(k) else {
            continue;
        };
        let Some(&(src, pos)) = kept.get(&line.0) else {
            continue;
        };
        if let Some(e) = event_at(blocks, src, pos) {
            out.push((src, e.line, earlier.snapshot, later.snapshot));
        }
    }
}

/// The addresses a line of text names: IPv4 addresses among its tokens.
pub fn addresses_in(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| t.len() >= 7 && t.parse::<std::net::Ipv4Addr>().is_ok())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::event::Draft;

    #[test]
    fn families() {
        assert_eq!(
            family("/var/log/auth.log.2.gz", "syslog"),
            "/var/log/auth.log"
        );
        assert_eq!(family("/var/log/auth.log.1", "syslog"), "/var/log/auth.log");
        assert_eq!(family("/var/log/auth.log", "syslog"), "/var/log/auth.log");
        assert_eq!(
            family("/var/log/auth.log-20261101.gz", "syslog"),
            "/var/log/auth.log"
        );
        assert_eq!(
            family("/var/log/secure-20261101", "syslog"),
            "/var/log/secure"
        );
        assert_eq!(
            family(
                "/var/log/journal/ab/system@0001-0002-0003.journal",
                "journal"
            ),
            "/var/log/journal/ab/system.journal"
        );
        assert_eq!(
            family("/var/log/journal/ab/system.journal", "journal"),
            "/var/log/journal/ab/system.journal"
        );
        let mut names = ["auth.log", "auth.log.1", "auth.log.3.gz", "auth.log.2.gz"];
        names.sort_by_key(|n| rotation_rank(n).1);
        assert_eq!(
            names,
            ["auth.log.3.gz", "auth.log.2.gz", "auth.log.1", "auth.log"]
        );
    }

    #[test]
    fn the_journal_offset_is_not_part_of_the_identity() {
        let mut d = Draft::default();
        d.reset("web1 sshd[1]: hi [journal seqnum=12 offset=3774064 _BOOT_ID=ab]");
        let e = d.finish(0, 1);
        let mut buf = String::new();
        assert_eq!(
            identity_text(&e, true, &mut buf),
            "web1 sshd[1]: hi [journal seqnum=12 _BOOT_ID=ab]"
        );
    }

    fn source(path: &str, snap: u32) -> SourceInfo {
        SourceInfo {
            path: path.into(),
            parser: "syslog".into(),
            snapshot: Some(snap),
            ..SourceInfo::default()
        }
    }

    fn block(lines: &[&str]) -> Vec<Event> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut d = Draft::default();
                d.reset(l);
                d.finish(0, i as u64 + 1)
            })
            .collect()
    }

    fn snaps(n: usize) -> Vec<SnapshotInfo> {
        (0..n)
            .map(|i| SnapshotInfo {
                archive: format!("s{i}.zip").into(),
                host: "machine-id:1".into(),
                acquired_us: Some(i as i64),
            })
            .collect()
    }

    fn texts(b: &[Event]) -> Vec<&str> {
        b.iter().map(Event::line_text).collect()
    }

    #[test]
    fn rotation_merges_and_is_not_erasure() {
        let mut sources = vec![
            source("/var/log/auth.log", 0),
            source("/var/log/auth.log", 1),
            source("/var/log/auth.log.1", 1),
        ];
        let mut blocks = vec![
            block(&["a", "b", "c", "a"]),
            block(&["d", "e"]),
            block(&["a", "b", "c", "a"]),
        ];
        let out = merge(&mut sources, &mut blocks, &snaps(2));
        assert_eq!(texts(&blocks[0]), ["a", "b", "c", "a"]);
        assert_eq!(texts(&blocks[1]), ["d", "e"]);
        assert!(blocks[2].is_empty());
        assert_eq!(out.also_in.len(), 4);
        assert_eq!(
            out.also_in[3],
            AlsoIn {
                source: 0,
                line: 4,
                in_source: 2,
                in_line: 4
            }
        );
        assert!(out.erased.is_empty());
        assert_eq!(sources[2].merged_lines, 4);
    }

    #[test]
    fn lines_lost_between_kept_ones_are_erased_not_those_at_the_ends() {
        let mut sources = vec![
            source("/var/log/auth.log", 0),
            source("/var/log/auth.log", 1),
        ];
        // Front dropped (x), middle erased (m1, m2 and the second dup),
        // later lines new.
        let mut blocks = vec![
            block(&["x", "a", "m1", "dup", "dup", "m2", "b", "tail"]),
            block(&["a", "dup", "b", "new"]),
        ];
        let out = merge(&mut sources, &mut blocks, &snaps(2));
        let erased: Vec<u64> = out.erased.iter().map(|e| e.1).collect();
        // "tail" comes after the last kept line: a cut end, not erasure.
        assert_eq!(erased, [3, 5, 6]);
        assert_eq!(texts(&blocks[1]), ["new"]);
    }

    #[test]
    fn a_file_truncated_as_a_whole_is_not_erasure() {
        let mut sources = vec![
            source("/var/log/auth.log.1", 0),
            source("/var/log/auth.log", 0),
            source("/var/log/auth.log.1", 1),
            source("/var/log/auth.log", 1),
        ];
        let mut blocks = vec![
            block(&["o1", "o2"]),
            block(&["l1", "l2", "l3"]),
            block(&["o1", "o2"]),
            block(&["n1"]),
        ];
        let out = merge(&mut sources, &mut blocks, &snaps(2));
        assert!(out.erased.is_empty(), "{:?}", out.erased);
        assert_eq!(blocks.iter().map(Vec::len).sum::<usize>(), 6);
    }

    #[test]
    fn other_hosts_and_lone_snapshots_are_left_alone() {
        let mut sources = vec![
            source("/var/log/auth.log", 0),
            source("/var/log/auth.log", 1),
        ];
        let mut blocks = vec![block(&["a", "b"]), block(&["a", "b"])];
        let mut s = snaps(2);
        s[1].host = "machine-id:2".into();
        let out = merge(&mut sources, &mut blocks, &s);
        assert!(out.also_in.is_empty());
        assert_eq!(blocks[1].len(), 2);
    }
}
