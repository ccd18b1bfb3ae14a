//! The lines a rewritten log lost: the old file's lines that the new file
//! and its rotation siblings lack (the old family's content against the
//! new family's, oldest rotation first), found by line identity (the fingerprint and occurrence of
//! [`crate::logs::merge`]), split into **erased** lines (the new file still
//! holds lines before and after them: deleted from a log that went on) and
//! lines **cut** with the start or the end of the file (or the whole file
//! replaced). The first lines are shown, long ones shortened, with the
//! addresses the lost lines mention.
//!
//! Bounded: at most [`MAX_LINES`] lines of each family are compared (as
//! 24-byte keys, never their text), a line counts by its first
//! [`MAX_LINE_BYTES`], and only the shown lines keep their text.

use crate::archive::checked::{Integrity, Verdict};
use crate::logs::merge::{Key, Keyer, addresses_in, lost_lines};
use crate::snapshot::{Entry, Snapshot};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};

/// Lines compared per side.
pub const MAX_LINES: usize = 4_000_000;
/// Bytes of a line that identify it.
pub const MAX_LINE_BYTES: usize = 64 << 10;
/// Lost lines shown.
pub const SHOWN: usize = 50;
/// Characters of a shown line; longer ones end in `…`.
pub const SHOWN_CHARS: usize = 200;
/// Addresses named.
pub const ADDRESSES: usize = 10;

/// What a rewritten log lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LostLines {
    /// Old lines missing from the new file between lines it kept.
    pub erased: usize,
    /// Old lines missing before the first or after the last line the new
    /// file kept.
    pub cut: usize,
    /// Addresses the lost lines mention, most lines first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Mention>,
    /// The first lost lines: erased ones, then cut ones.
    pub lines: Vec<LostLine>,
    /// A side had more than [`MAX_LINES`] lines: only its first ones were
    /// compared.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// Set when a file compared (either side's log or a rotation sibling)
    /// is not what its archive sealed: which, and what differs. The lost
    /// lines may be an artefact of the alteration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altered: Option<String>,
}

/// An address and how many lost lines mention it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mention {
    pub address: String,
    pub lines: usize,
}

/// One lost line of the old file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LostLine {
    /// 1-based line number in the old file.
    pub old_line: usize,
    /// Erased (between kept lines) rather than cut.
    pub erased: bool,
    /// The line, shortened to [`SHOWN_CHARS`] characters.
    pub text: String,
}

/// A reader of an entry's content, gzip decompressed, checked against the
/// seal as it streams ([`noted`] records what it found once read).
fn reader<'a>(s: &'a Snapshot, e: &Entry) -> Option<(Box<dyn BufRead + 'a>, Option<Verdict>)> {
    let (raw, verdict) = s.open_content_checked(e).ok()?;
    let mut raw = BufReader::with_capacity(64 << 10, raw);
    let gz = raw.fill_buf().ok()?.starts_with(&[0x1f, 0x8b]);
    let r: Box<dyn BufRead + 'a> = if gz {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };
    Some((r, verdict))
}

/// Remember, in its snapshot, a file read whole whose bytes are not the
/// sealed ones.
fn noted(s: &Snapshot, e: &Entry, verdict: Option<Verdict>) {
    if let Some(Integrity::Mismatch(why)) = verdict.map(|v| v.get()) {
        s.note_altered(&e.path, why);
    }
}

/// Every line of a side, read bounded, handed to `f` with its number;
/// whether the side had more lines than [`MAX_LINES`].
fn each_line(r: &mut dyn BufRead, mut f: impl FnMut(usize, &str)) -> bool {
    let mut buf = Vec::with_capacity(4096);
    let mut n = 0usize;
    loop {
        buf.clear();
        match crate::logs::load::read_line_bounded(r, &mut buf, MAX_LINE_BYTES) {
            Ok(l) if l.consumed == 0 => return false,
            Ok(_) => {}
            Err(_) => return false,
        }
        if n == MAX_LINES {
            return true;
        }
        n += 1;
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        f(n, &String::from_utf8_lossy(&buf));
    }
}

/// The log's family in a snapshot: the entry at `path` and its rotation
/// siblings in the same folder (plain or gzip), oldest rotation first.
fn family<'a>(s: &'a Snapshot, path: &str) -> Vec<&'a Entry> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let base = super::compare::rotation_base(name);
    let prefix = format!("{dir}/{base}");
    let paths: Vec<String> = s
        .with_prefix(&prefix)
        .filter(|e| {
            e.kind == crate::archive::EntryType::File
                && e.has_content()
                && e.path.get(dir.len() + 1..).is_some_and(|r| {
                    !r.contains('/')
                        && super::compare::rotation_base(r) == base
                        && ![".bz2", ".xz", ".zst", ".Z"].iter().any(|x| r.ends_with(x))
                })
        })
        .map(|e| e.path.clone())
        .collect();
    let mut v: Vec<&Entry> = paths.iter().filter_map(|p| s.get(p)).collect();
    let rank = |e: &Entry| {
        let n = e.path.rsplit('/').next().unwrap_or(&e.path);
        crate::logs::merge::rotation_rank(n).1
    };
    v.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.path.cmp(&b.path)));
    v
}

/// The keys of a family's content, in order; the range of `path`'s lines
/// among them; whether the content was cut at [`MAX_LINES`].
fn keys(s: &Snapshot, entries: &[&Entry], path: &str) -> (Vec<Key>, std::ops::Range<usize>, bool) {
    let mut keyer = Keyer::default();
    let mut out = Vec::new();
    let mut range = 0..0;
    let mut partial = false;
    for e in entries {
        let start = out.len();
        if let Some((mut r, verdict)) = reader(s, e) {
            let room = MAX_LINES.saturating_sub(out.len());
            let mut n = 0usize;
            partial |= each_line(r.as_mut(), |_, l| {
                if n < room {
                    out.push(keyer.key(l));
                }
                n += 1;
            });
            partial |= n > room;
            drop(r);
            noted(s, e, verdict);
        }
        if e.path == path {
            range = start..out.len();
        }
    }
    (out, range, partial)
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", s.get(..at).unwrap_or(s)),
        None => s.to_string(),
    }
}

/// The lines the old side of a log lost in the new one; `None` when it
/// lost none or a side cannot be read.
pub fn lost(old: &Snapshot, o: &Entry, new: &Snapshot, n: &Entry) -> Option<LostLines> {
    // The old log's family against the new one's, so that lines moved to
    // a rotation sibling are kept lines, not lost ones.
    let (before, range, p1) = keys(old, &family(old, &o.path), &o.path);
    let (after, _, p2) = keys(new, &family(new, &n.path), &n.path);
    let (erased, cut) = lost_lines(&before, &after);
    let within = |v: Vec<usize>| -> Vec<usize> {
        v.into_iter()
            .filter(|k| range.contains(k))
            .map(|k| k - range.start)
            .collect()
    };
    let (erased, cut) = (within(erased), within(cut));
    if erased.is_empty() && cut.is_empty() {
        return None;
    }
    let before_len = range.len();
    // A second pass over the old side: the addresses of every lost line,
    // the text of the shown ones. Positions are 0-based line indices.
    let mut lost = vec![0u8; before_len];
    for &k in &erased {
        if let Some(x) = lost.get_mut(k) {
            *x = 1;
        }
    }
    for &k in &cut {
        if let Some(x) = lost.get_mut(k) {
            *x = 2;
        }
    }
    let shown_erased: Vec<usize> = erased.iter().take(SHOWN).copied().collect();
    let shown_cut: Vec<usize> = cut
        .iter()
        .take(SHOWN.saturating_sub(shown_erased.len()))
        .copied()
        .collect();
    let mut texts: BTreeMap<usize, String> = BTreeMap::new();
    let mut mentions: BTreeMap<String, usize> = BTreeMap::new();
    let (mut r, _) = reader(old, o)?;
    each_line(r.as_mut(), |line, text| {
        let k = line - 1;
        if lost.get(k).copied().unwrap_or(0) == 0 {
            return;
        }
        for a in addresses_in(text) {
            *mentions.entry(a).or_default() += 1;
        }
        if shown_erased.binary_search(&k).is_ok() || shown_cut.binary_search(&k).is_ok() {
            texts.insert(k, shorten(text));
        }
    });
    let line = |k: usize, erased: bool| LostLine {
        old_line: k + 1,
        erased,
        text: texts.get(&k).cloned().unwrap_or_default(),
    };
    let mut lines: Vec<LostLine> = shown_erased.iter().map(|&k| line(k, true)).collect();
    lines.extend(shown_cut.iter().map(|&k| line(k, false)));
    let mut addresses: Vec<Mention> = mentions
        .into_iter()
        .map(|(address, lines)| Mention { address, lines })
        .collect();
    addresses.sort_by(|a, b| b.lines.cmp(&a.lines).then(a.address.cmp(&b.address)));
    addresses.truncate(ADDRESSES);
    let mut altered: Vec<String> = Vec::new();
    for (s, fam) in [(old, family(old, &o.path)), (new, family(new, &n.path))] {
        for e in fam {
            if let Some(why) = s.altered_read(&e.path) {
                altered.push(format!("{} in {}: {why}", e.path, s.label));
            }
        }
    }
    Some(LostLines {
        erased: erased.len(),
        cut: cut.len(),
        addresses,
        lines,
        partial: p1 || p2,
        altered: (!altered.is_empty()).then(|| altered.join("; ")),
    })
}

impl LostLines {
    /// One line for people: `17 line(s) erased (mentioning 198.18.7.7 ×17), 3 cut`.
    pub fn summary(&self) -> String {
        let mut s = format!("{} line(s) erased between kept lines", self.erased);
        if self.cut > 0 {
            s.push_str(&format!(
                ", {} line(s) cut with the start or end of the file",
                self.cut
            ));
        }
        if !self.addresses.is_empty() {
            let a: Vec<String> = self
                .addresses
                .iter()
                .map(|m| format!("{} ×{}", m.address, m.lines))
                .collect();
            s.push_str(&format!("; mentioning {}", a.join(", ")));
        }
        if self.partial {
            s.push_str(&format!(" (first {MAX_LINES} lines compared)"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_shortened_on_a_character() {
        let s = "é".repeat(SHOWN_CHARS + 5);
        let t = shorten(&s);
        assert_eq!(t.chars().count(), SHOWN_CHARS + 1);
        assert!(t.ends_with('…'));
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn lines_are_read_bounded_and_counted() {
        let text = b"a\r\nb\n\nc";
        let mut seen = Vec::new();
        let partial = each_line(&mut &text[..], |n, l| seen.push((n, l.to_string())));
        assert!(!partial);
        assert_eq!(
            seen,
            [
                (1, "a".into()),
                (2, "b".into()),
                (3, String::new()),
                (4, "c".into())
            ]
        );
    }
}
