//! `exhibit/files.jsonl` against the archive: every record tied to the
//! member it describes.
//!
//! A record says "the file at this logical path had this SHA-256, this size,
//! these times, and its content is in that member". Each link is checked:
//! the member's name is the one capture derives from the record's path
//! (`archive::payload_member`, with the writer's `%5C` and `~N` rules), the
//! manifest's line for that member holds the record's hash, the member's
//! size, mode, owner and extended timestamp are the record's, and no member
//! is claimed by two records (hard-link aliases excepted, which must name
//! their first path's member). Without these ties, two records could swap
//! their `member` and `sha256` and every hash would still match while
//! extractors put each file's content under the other's name.
//!
//! The records are read as a stream, one line at a time, and what is kept
//! per record is a few bytes per member: a second pass over the stream
//! fetches what the rare findings that name another record need (the path
//! of a member's earlier claimant, the records hard links point to).

use super::lines::{Line, Lines};
use super::{Problem, ProblemKind, problem};
use crate::archive::zipread::{Member, MemberTable};
use crate::archive::{self, EntryType, FileRecord, Status};
use std::collections::{HashMap, HashSet};
use std::io::Read;

/// What the records are checked against.
pub(super) struct Context<'a> {
    pub stem: &'a str,
    pub prefix: &'a str,
    pub members: &'a MemberTable,
    /// `manifest-sha256.txt`: bag-relative path -> (hash, line number).
    pub manifest: &'a dyn Fn(&str) -> Option<(String, usize)>,
    /// Whether a member (the first of its name) is a payload file.
    pub is_payload: &'a dyn Fn(usize) -> bool,
}

/// The longest record line read (a longer one is reported and skipped).
const MAX_RECORD_LINE: usize = 16 << 20;

/// The member name capture gives the content of `path` (before any `~N`).
pub(super) fn expected_member(stem: &str, path: &str) -> String {
    archive::payload_member(stem, path)
}

/// `member` is the name capture gives `path`, or the one earlier versions
/// gave it (a kept `\`; a collision it causes is `name_collision`), either
/// possibly with a `~N` suffix. Returns the base name it matched.
fn member_base(stem: &str, path: &str, member: &str) -> Option<String> {
    let current = expected_member(stem, path);
    let legacy = archive::legacy_payload_member(stem, path);
    [current, legacy]
        .into_iter()
        .find(|base| member == base || is_suffixed(member, base))
}

/// `member` is `base~N` with N >= 2, the writer's suffix for a taken name.
fn is_suffixed(member: &str, base: &str) -> bool {
    member
        .strip_prefix(base)
        .and_then(|s| s.strip_prefix('~'))
        .is_some_and(|n| !n.starts_with('0') && n.parse::<u64>().is_ok_and(|n| n >= 2))
}

/// A finding that names an earlier claimant of the member, whose path the
/// second pass fetches: (problem index, member, the claimant's line).
type Claimant = (usize, String, usize);

/// Check every line of `files.jsonl` (read from `open()`, once or twice):
/// one pass tying each record to its member, then the checks that need all
/// records (suffixed names, hard links, unreferenced members). The ties are
/// described at the top of this file, in the order this function checks
/// them. Returns the number of records and the problems, or `None` when
/// the file could not be read to its end (nothing is then reported, as for
/// a file that cannot be read at all).
pub(super) fn check<R: Read>(
    open: &dyn Fn() -> Option<R>,
    ctx: &Context<'_>,
) -> Option<(u64, Vec<Problem>)> {
    let t = ctx.members;
    let files_jsonl = format!("{}{}", ctx.prefix, archive::FILES_JSONL);
    let mut problems = Vec::new();
    let mut records = 0u64;
    // By member number (the first of a name): named by a record.
    let mut referenced = vec![false; t.len()];
    // By member number: the line of the record whose content it holds
    // (0: none); members that do not exist by name.
    let mut claimed = vec![0u64; t.len()];
    let mut claimed_absent: HashMap<String, u64> = HashMap::new();
    let mut claimants: Vec<Claimant> = Vec::new();
    let mut suffixed: Vec<(String, String, String)> = Vec::new();
    let mut aliases: Vec<(String, String, String)> = Vec::new();
    let mut lines = Lines::new(open()?, MAX_RECORD_LINE);
    loop {
        let (n, line) = match lines.next() {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(_) => return None,
        };
        let line = match line {
            Line::Text([]) => continue,
            Line::Text(l) => l,
            Line::TooLong => {
                problems.push(problem(
                    ProblemKind::RecordMalformed,
                    Some(&files_jsonl),
                    format!("line {n}: longer than {MAX_RECORD_LINE} bytes"),
                ));
                continue;
            }
        };
        let r: FileRecord = match serde_json::from_slice(line) {
            Ok(r) => r,
            Err(e) => {
                problems.push(problem(
                    ProblemKind::RecordMalformed,
                    Some(&files_jsonl),
                    format!("line {n}: {e}"),
                ));
                continue;
            }
        };
        records += 1;
        let Some(member) = &r.member else {
            if r.status.has_content() && r.kind == EntryType::File && r.hardlink_of.is_none() {
                problems.push(problem(
                    ProblemKind::RecordMismatch,
                    Some(&r.path),
                    "record says captured but names no member",
                ));
            }
            continue;
        };
        let first = t.find(member);
        if let Some(f) = first {
            referenced[f] = true;
        }
        let Some(rel) = member.strip_prefix(ctx.prefix) else {
            problems.push(problem(
                ProblemKind::RecordMismatch,
                Some(&r.path),
                format!("member `{member}` is outside the bag"),
            ));
            continue;
        };
        match ((ctx.manifest)(rel), &r.sha256) {
            (None, _) => problems.push(problem(
                ProblemKind::RecordMismatch,
                Some(&r.path),
                format!("member `{member}` is not in the manifest"),
            )),
            (Some((want, _)), Some(have)) if want != *have => problems.push(problem(
                ProblemKind::RecordMismatch,
                Some(&r.path),
                format!("files.jsonl says SHA-256 {have}, the manifest says {want}"),
            )),
            (Some(_), None) => problems.push(problem(
                ProblemKind::RecordMismatch,
                Some(&r.path),
                "record has a member but no SHA-256",
            )),
            _ => {}
        }
        if r.kind != EntryType::File {
            problems.push(problem(
                ProblemKind::RecordMemberMismatch,
                Some(&r.path),
                format!(
                    "a `{}` record names member `{member}`: only regular files have content",
                    format!("{:?}", r.kind).to_lowercase()
                ),
            ));
        }
        if let Some(target) = &r.hardlink_of {
            aliases.push((r.path.clone(), target.clone(), member.clone()));
            continue;
        }
        let base = member_base(ctx.stem, &r.path, member);
        if base.as_deref() != Some(member.as_str()) {
            if let Some(base) = base {
                suffixed.push((r.path.clone(), member.clone(), base));
            } else {
                let base = expected_member(ctx.stem, &r.path);
                problems.push(problem(
                    ProblemKind::RecordMemberMismatch,
                    Some(&r.path),
                    format!(
                        "the record names member `{member}`, but capture stores this path's content in `{base}`: \
                         extractors put another file's content under this path"
                    ),
                ));
            }
        }
        let line_no = n as u64;
        let prev = match first {
            Some(f) => std::mem::replace(&mut claimed[f], line_no),
            None => claimed_absent.insert(member.clone(), line_no).unwrap_or(0),
        };
        if prev != 0 {
            claimants.push((problems.len(), member.clone(), prev as usize));
            problems.push(problem(
                ProblemKind::RecordMemberMismatch,
                Some(&r.path),
                "",
            ));
        }
        if let Some(f) = first {
            compare_header(&r, &t.member(f), &mut problems);
        }
    }
    // The paths of earlier claimants, and the members of the records hard
    // links point to: from a second pass, when there are any.
    let want_lines: HashSet<usize> = claimants.iter().map(|c| c.2).collect();
    let targets: HashSet<&str> = aliases.iter().map(|a| a.1.as_str()).collect();
    let mut paths: HashMap<usize, String> = HashMap::new();
    // Path -> member, for records that hold their own content.
    let mut owners: HashMap<String, String> = HashMap::new();
    if !want_lines.is_empty() || !targets.is_empty() {
        let mut lines = Lines::new(open()?, MAX_RECORD_LINE);
        loop {
            let (n, line) = match lines.next() {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(_) => return None,
            };
            let Line::Text(line) = line else { continue };
            if line.is_empty() {
                continue;
            }
            let Ok(r) = serde_json::from_slice::<FileRecord>(line) else {
                continue;
            };
            if want_lines.contains(&n) {
                paths.insert(n, r.path.clone());
            }
            if let Some(member) = r.member
                && member.starts_with(ctx.prefix)
                && r.hardlink_of.is_none()
                && targets.contains(r.path.as_str())
            {
                owners.insert(r.path, member);
            }
        }
    }
    for (at, member, line) in claimants {
        let prev = paths.get(&line).map(String::as_str).unwrap_or_default();
        if let Some(p) = problems.get_mut(at) {
            p.detail = format!("member `{member}` is also claimed by the record of `{prev}`");
        }
    }
    let is_claimed = |name: &str| match t.find(name) {
        Some(f) => claimed[f] != 0,
        None => claimed_absent.contains_key(name),
    };
    for (path, member, base) in suffixed {
        if !is_claimed(&base) {
            problems.push(problem(
                ProblemKind::RecordMemberMismatch,
                Some(&path),
                format!(
                    "the record names member `{member}`, a name capture uses only when `{base}` is taken, \
                     but no record holds `{base}`"
                ),
            ));
        }
    }
    for (path, target, member) in aliases {
        match owners.get(&target) {
            Some(m) if *m == member => {}
            Some(m) => problems.push(problem(
                ProblemKind::RecordMemberMismatch,
                Some(&path),
                format!(
                    "hard link of `{target}` names member `{member}`, but that record's member is `{m}`"
                ),
            )),
            None => problems.push(problem(
                ProblemKind::RecordMemberMismatch,
                Some(&path),
                format!("hard link of `{target}`, which has no record holding content"),
            )),
        }
    }
    // Payload files no record names, each name once, in name order.
    for (i, name) in t.distinct_names() {
        if (ctx.is_payload)(i) && !referenced[i] {
            problems.push(problem(
                ProblemKind::RecordMismatch,
                Some(&name),
                "payload file has no record in files.jsonl",
            ));
        }
    }
    Some((records, problems))
}

/// The member's header against the record: size, mode, owner, mtime.
fn compare_header(r: &FileRecord, m: &Member, problems: &mut Vec<Problem>) {
    let size = match (&r.change, r.status) {
        (Some(c), _) => Some(c.bytes_read),
        (None, Status::Captured) => Some(r.size),
        _ => None,
    };
    if let Some(size) = size
        && size != m.usize
    {
        problems.push(problem(
            ProblemKind::RecordMemberMismatch,
            Some(&r.path),
            format!(
                "member `{}` holds {} bytes, the record says {size}",
                m.name, m.usize
            ),
        ));
    }
    let mut differ = Vec::new();
    if m.unix_mode & 0o7777 != r.mode_bits() {
        differ.push(format!(
            "mode {:04o} (record {})",
            m.unix_mode & 0o7777,
            r.mode
        ));
    }
    // A record without an owner (`null`: the capturing system had none)
    // has a member without the Unix uid/gid field.
    if m.owner != r.owner() {
        let shown =
            |o: Option<(u32, u32)>| o.map_or("none".to_string(), |(u, g)| format!("{u}:{g}"));
        differ.push(format!(
            "uid:gid {} (record {})",
            shown(m.owner),
            shown(r.owner())
        ));
    }
    if !differ.is_empty() {
        problems.push(problem(
            ProblemKind::MemberMetadataMismatch,
            Some(&r.path),
            format!(
                "the headers of member `{}` say {}",
                m.name,
                differ.join(", ")
            ),
        ));
    }
    // Capture writes the record's mtime (whole seconds; 0 when unknown) as
    // the extended timestamp when it fits in 32 bits, and none otherwise.
    let secs = r.mtime.as_deref().map(|t| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|d| d.timestamp())
            .ok()
    });
    let fits = |s: i64| i32::try_from(s).is_ok();
    let agrees = match (secs, m.mtime) {
        (Some(Some(s)), Some(t)) => s == t,
        (Some(Some(s)), None) => !fits(s),
        (None, t) => t.is_none() || t == Some(0),
        (Some(None), _) => false,
    };
    if !agrees {
        problems.push(problem(
            ProblemKind::TimestampMismatch,
            Some(&r.path),
            format!(
                "member `{}` has the extended timestamp {}, the record's mtime is {}",
                m.name,
                m.mtime.map_or("none".to_string(), |t| t.to_string()),
                r.mtime.as_deref().unwrap_or("null")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_follow_capture() {
        assert_eq!(expected_member("s", "/etc/passwd"), "s/data/etc/passwd");
        assert_eq!(expected_member("s", "/x/..\\y"), "s/data/x/..%5Cy");
        assert_eq!(expected_member("s", "/x\\y"), "s/data/x%5Cy");
        // Archives sealed before every `\` was escaped still verify.
        assert_eq!(
            member_base("s", "/x\\y", "s/data/x\\y").as_deref(),
            Some("s/data/x\\y")
        );
        assert_eq!(
            member_base("s", "/x\\y", "s/data/x%5Cy~2").as_deref(),
            Some("s/data/x%5Cy")
        );
        assert_eq!(member_base("s", "/x\\y", "s/data/x/y"), None);
        assert!(is_suffixed("s/data/a~2", "s/data/a"));
        assert!(is_suffixed("s/data/a~17", "s/data/a"));
        for no in [
            "s/data/a~1",
            "s/data/a~02",
            "s/data/a~",
            "s/data/a~x",
            "s/data/ab",
        ] {
            assert!(!is_suffixed(no, "s/data/a"), "{no}");
        }
    }
}
