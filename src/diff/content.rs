//! Content diffs of one path, on demand and bounded.
//!
//! Text (no NUL byte, both sides within [`ContentLimits::max_text_bytes`])
//! gets a line diff with context, grouped in hunks, computed with the
//! `similar` crate under a time limit. Anything else gets a binary summary:
//! sizes, hashes, the offset of the first differing byte (found by streaming
//! both sides in chunks, so memory stays bounded whatever the size) and a
//! short hex dump of each side at that offset.

use crate::archive::checked::Integrity;
use crate::snapshot::{Entry, Snapshot};
use serde::Serialize;
use std::io::Read;

/// Bounds on a content diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentLimits {
    /// Larger sides are summarised as binary instead of line-diffed.
    pub max_text_bytes: u64,
    /// Lines of context around each change.
    pub context_lines: usize,
    /// Hunks beyond this many are left out (and counted).
    pub max_hunks: usize,
    /// Bytes shown from each side in a binary summary.
    pub hex_bytes: usize,
    /// Bytes streamed at most to find the first difference.
    pub max_scan_bytes: u64,
}

impl Default for ContentLimits {
    fn default() -> Self {
        ContentLimits {
            max_text_bytes: 4 << 20,
            context_lines: 3,
            max_hunks: 200,
            hex_bytes: 32,
            max_scan_bytes: 1 << 30,
        }
    }
}

/// How a line appears in a hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineTag {
    Context,
    Removed,
    Added,
}

/// One line of a hunk, with its 1-based line numbers on each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub tag: LineTag,
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    /// The line without its line ending (invalid UTF-8 replaced).
    pub text: String,
}

/// A group of changed lines with their context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    pub old_start: usize,
    pub old_lines: usize,
    pub new_start: usize,
    pub new_lines: usize,
    pub lines: Vec<DiffLine>,
}

/// The content diff of one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContentDiff {
    /// A line diff. `hunks_omitted` counts hunks left out by the limit.
    Text {
        hunks: Vec<Hunk>,
        hunks_omitted: usize,
        added_lines: usize,
        removed_lines: usize,
    },
    /// A summary of binary (or too large) content.
    Binary {
        /// Why no line diff: `binary` or `too_large`.
        reason: String,
        old_size_bytes: Option<u64>,
        new_size_bytes: Option<u64>,
        old_sha256: Option<String>,
        new_sha256: Option<String>,
        /// Offset of the first differing byte, when found within the limit.
        first_difference_offset: Option<u64>,
        /// Hex of each side from the start of the 16-byte row holding the
        /// first difference.
        old_hex: String,
        new_hex: String,
    },
    /// Same content on both sides.
    Identical,
    /// The content cannot be compared (not stored, unreadable…).
    Unavailable { reason: String },
}

/// Whether each side's bytes that a content diff read are the ones its
/// archive sealed (`None`: not read, or not from an archive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContentChecks {
    pub old: Option<Integrity>,
    pub new: Option<Integrity>,
}

impl ContentChecks {
    /// True when either side's content is not the sealed content.
    pub fn any_mismatch(&self) -> bool {
        [&self.old, &self.new]
            .into_iter()
            .flatten()
            .any(Integrity::is_mismatch)
    }
}

/// Diff one path's content. Either side may be missing (added/removed).
pub fn content_diff(
    old: &Snapshot,
    old_entry: Option<&Entry>,
    new: &Snapshot,
    new_entry: Option<&Entry>,
    limits: &ContentLimits,
) -> ContentDiff {
    content_diff_checked(old, old_entry, new, new_entry, limits).0
}

/// [`content_diff`], with each side read through the seal check
/// ([`crate::archive::checked`]) and its verdict.
pub fn content_diff_checked(
    old: &Snapshot,
    old_entry: Option<&Entry>,
    new: &Snapshot,
    new_entry: Option<&Entry>,
    limits: &ContentLimits,
) -> (ContentDiff, ContentChecks) {
    let mut checks = ContentChecks::default();
    let diff = diff_inner(old, old_entry, new, new_entry, limits, &mut checks);
    (diff, checks)
}

fn diff_inner(
    old: &Snapshot,
    old_entry: Option<&Entry>,
    new: &Snapshot,
    new_entry: Option<&Entry>,
    limits: &ContentLimits,
    checks: &mut ContentChecks,
) -> ContentDiff {
    for (s, e) in [(old, old_entry), (new, new_entry)] {
        if let Some(e) = e
            && !e.has_content()
        {
            return ContentDiff::Unavailable {
                reason: format!(
                    "{} in {} is not a readable file ({:?}, {})",
                    e.path,
                    s.label,
                    e.kind,
                    e.status.as_str()
                ),
            };
        }
    }
    if let (Some(o), Some(n)) = (old_entry, new_entry)
        && o.sha256.is_some()
        && o.sha256 == n.sha256
    {
        return ContentDiff::Identical;
    }
    let too_large = [old_entry, new_entry]
        .iter()
        .flatten()
        .any(|e| e.size > limits.max_text_bytes);
    if !too_large {
        let read = |s: &Snapshot, e: Option<&Entry>, check: &mut Option<Integrity>| {
            let Some(e) = e else {
                return Ok(Vec::new());
            };
            let mut out = Vec::with_capacity(e.size.min(limits.max_text_bytes + 1) as usize);
            let res = s.open_content_checked(e).and_then(|(r, v)| {
                let got = r.take(limits.max_text_bytes + 1).read_to_end(&mut out);
                *check = v.map(|v| v.get());
                got
            });
            res.map(|_| out)
                .map_err(|err| format!("cannot read {} in {}: {err}", e.path, s.label))
        };
        let a = read(old, old_entry, &mut checks.old);
        let b = read(new, new_entry, &mut checks.new);
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(r), _) | (_, Err(r)) => return ContentDiff::Unavailable { reason: r },
        };
        if looks_text(&a) && looks_text(&b) {
            return text_diff(&a, &b, limits);
        }
        return binary_summary_bytes("binary", old_entry, new_entry, &a, &b, limits);
    }
    binary_summary_stream(old, old_entry, new, new_entry, limits, checks)
}

/// True when bytes look like text: no NUL in the first 8 KiB.
pub fn looks_text(b: &[u8]) -> bool {
    !b.iter().take(8192).any(|&c| c == 0)
}

fn text_diff(a: &[u8], b: &[u8], limits: &ContentLimits) -> ContentDiff {
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(a.as_ref(), b.as_ref());
    let groups = diff.grouped_ops(limits.context_lines);
    let total = groups.len();
    let mut hunks = Vec::new();
    let (mut added, mut removed) = (0, 0);
    for op in diff.ops() {
        match op.tag() {
            similar::DiffTag::Insert => added += op.new_range().len(),
            similar::DiffTag::Delete => removed += op.old_range().len(),
            similar::DiffTag::Replace => {
                added += op.new_range().len();
                removed += op.old_range().len();
            }
            similar::DiffTag::Equal => {}
        }
    }
    for group in groups.iter().take(limits.max_hunks) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_start = first.old_range().start;
        let new_start = first.new_range().start;
        let mut lines = Vec::new();
        for op in group {
            for ch in diff.iter_changes(op) {
                let tag = match ch.tag() {
                    similar::ChangeTag::Equal => LineTag::Context,
                    similar::ChangeTag::Delete => LineTag::Removed,
                    similar::ChangeTag::Insert => LineTag::Added,
                };
                let v = ch.value();
                lines.push(DiffLine {
                    tag,
                    old_line: ch.old_index().map(|i| i + 1),
                    new_line: ch.new_index().map(|i| i + 1),
                    text: v.trim_end_matches(['\n', '\r']).to_string(),
                });
            }
        }
        hunks.push(Hunk {
            old_start: old_start + 1,
            old_lines: last.old_range().end - old_start,
            new_start: new_start + 1,
            new_lines: last.new_range().end - new_start,
            lines,
        });
    }
    ContentDiff::Text {
        hunks,
        hunks_omitted: total.saturating_sub(limits.max_hunks),
        added_lines: added,
        removed_lines: removed,
    }
}

fn hex_row(b: &[u8], offset: u64, n: usize) -> String {
    let start = (offset as usize) & !15;
    b.get(start..)
        .unwrap_or_default()
        .iter()
        .take(n)
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn binary_summary_bytes(
    reason: &str,
    o: Option<&Entry>,
    n: Option<&Entry>,
    a: &[u8],
    b: &[u8],
    limits: &ContentLimits,
) -> ContentDiff {
    let off = first_difference(a, b).map(|x| x as u64);
    let at = off.unwrap_or(0);
    ContentDiff::Binary {
        reason: reason.into(),
        old_size_bytes: o.map(|e| e.size),
        new_size_bytes: n.map(|e| e.size),
        old_sha256: o.and_then(Entry::sha256_hex),
        new_sha256: n.and_then(Entry::sha256_hex),
        first_difference_offset: off,
        old_hex: hex_row(a, at, limits.hex_bytes),
        new_hex: hex_row(b, at, limits.hex_bytes),
    }
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let common = a.iter().zip(b).position(|(x, y)| x != y);
    match common {
        Some(i) => Some(i),
        None if a.len() != b.len() => Some(a.len().min(b.len())),
        None => None,
    }
}

fn binary_summary_stream(
    old: &Snapshot,
    o: Option<&Entry>,
    new: &Snapshot,
    n: Option<&Entry>,
    limits: &ContentLimits,
    checks: &mut ContentChecks,
) -> ContentDiff {
    const CHUNK: usize = 1 << 20;
    let (mut ra, va) = o
        .and_then(|e| old.open_content_checked(e).ok())
        .map_or((None, None), |(r, v)| (Some(r), v));
    let (mut rb, vb) = n
        .and_then(|e| new.open_content_checked(e).ok())
        .map_or((None, None), |(r, v)| (Some(r), v));
    let mut ba = vec![0u8; CHUNK];
    let mut bb = vec![0u8; CHUNK];
    let mut base = 0u64;
    let mut found = None;
    let (mut old_hex, mut new_hex) = (String::new(), String::new());
    while base < limits.max_scan_bytes {
        let la = ra.as_mut().map_or(0, |r| fill(r.as_mut(), &mut ba));
        let lb = rb.as_mut().map_or(0, |r| fill(r.as_mut(), &mut bb));
        let (ca, cb) = (
            ba.get(..la).unwrap_or_default(),
            bb.get(..lb).unwrap_or_default(),
        );
        if let Some(i) = first_difference(ca, cb) {
            found = Some(base + i as u64);
            old_hex = hex_row(ca, i as u64, limits.hex_bytes);
            new_hex = hex_row(cb, i as u64, limits.hex_bytes);
            break;
        }
        if la == 0 {
            break;
        }
        base += la as u64;
    }
    checks.old = va.map(|v| v.get());
    checks.new = vb.map(|v| v.get());
    ContentDiff::Binary {
        reason: "too_large".into(),
        old_size_bytes: o.map(|e| e.size),
        new_size_bytes: n.map(|e| e.size),
        old_sha256: o.and_then(Entry::sha256_hex),
        new_sha256: n.and_then(Entry::sha256_hex),
        first_difference_offset: found,
        old_hex,
        new_hex,
    }
}

/// Read until the buffer is full or the input ends; errors end the input.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_diff_has_hunks_with_line_numbers() {
        let a = b"one\ntwo\nthree\nfour\n";
        let b = b"one\ntwo\nTHREE\nfour\nfive\n";
        let ContentDiff::Text {
            hunks,
            added_lines,
            removed_lines,
            ..
        } = text_diff(a, b, &ContentLimits::default())
        else {
            panic!("not text");
        };
        assert_eq!((added_lines, removed_lines), (2, 1));
        let removed: Vec<_> = hunks[0]
            .lines
            .iter()
            .filter(|l| l.tag == LineTag::Removed)
            .collect();
        assert_eq!(removed[0].text, "three");
        assert_eq!(removed[0].old_line, Some(3));
    }

    #[test]
    fn on_directories_text_binary_and_bounded_stream() {
        use crate::job::{CancelToken, NoProgress};
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        for (root, text, bin) in [(&a, "x\ny\n", 1u8), (&b, "x\nY\n", 2u8)] {
            std::fs::create_dir_all(root).expect("mkdir");
            std::fs::write(root.join("t.txt"), text).expect("write");
            let mut big = vec![0u8; 3 << 20];
            big[(2 << 20) + 5] = bin;
            std::fs::write(root.join("big.bin"), &big).expect("write");
        }
        let c = CancelToken::new();
        let old = Snapshot::open(&a, &NoProgress, &c).expect("old");
        let new = Snapshot::open(&b, &NoProgress, &c).expect("new");
        let l = ContentLimits {
            max_text_bytes: 1 << 20,
            ..ContentLimits::default()
        };
        match content_diff(&old, old.get("/t.txt"), &new, new.get("/t.txt"), &l) {
            ContentDiff::Text {
                added_lines,
                removed_lines,
                hunks,
                ..
            } => {
                assert_eq!((added_lines, removed_lines), (1, 1));
                assert!(
                    hunks[0]
                        .lines
                        .iter()
                        .any(|x| x.text == "Y" && x.tag == LineTag::Added)
                );
            }
            other => panic!("{other:?}"),
        }
        match content_diff(&old, old.get("/big.bin"), &new, new.get("/big.bin"), &l) {
            ContentDiff::Binary {
                reason,
                first_difference_offset,
                old_hex,
                new_hex,
                ..
            } => {
                assert_eq!(reason, "too_large");
                assert_eq!(first_difference_offset, Some((2 << 20) + 5));
                assert!(old_hex.starts_with("00 00 00 00 00 01"), "{old_hex}");
                assert!(new_hex.starts_with("00 00 00 00 00 02"), "{new_hex}");
            }
            other => panic!("{other:?}"),
        }
    }

    proptest::proptest! {
        #[test]
        fn diffs_never_panic(a in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
                             b in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let l = ContentLimits { max_hunks: 2, ..ContentLimits::default() };
            let _ = text_diff(&a, &b, &l);
            let _ = binary_summary_bytes("binary", None, None, &a, &b, &l);
            let _ = looks_text(&a);
        }
    }

    #[test]
    fn first_difference_offsets() {
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        assert_eq!(first_difference(b"abc", b"abcd"), Some(3));
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(hex_row(&[0u8; 40], 17, 4), "00 00 00 00");
    }
}
