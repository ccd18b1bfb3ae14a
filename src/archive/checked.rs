//! Reading a member while checking it against the seal: the one reader
//! every screen and command that shows a member's content goes through.
//!
//! [`CheckedReader`] streams the member's CRC-32, size and SHA-256 while it
//! is read and, at the end of the member, compares them with the central
//! directory and with the member's line in the sealed `manifest-sha256.txt`
//! (read once per [`Archive`] and kept). The verdict, an [`Integrity`], is
//! shared through a [`Verdict`] handle, so a caller that hands the reader
//! to a parser (which wraps it in buffers and decompressors) still learns
//! whether the bytes it showed are the sealed ones. A reader that stopped
//! before the end is "not checked": nothing proves or disproves its bytes.

use super::Archive;
use serde::Serialize;
use sha2::Digest as _;
use std::io::Read;
use std::sync::{Arc, OnceLock};

/// What a member's users show when its bytes are not the sealed ones.
pub const MISMATCH_TEXT: &str = "content does not match the sealed manifest";

/// Member name (`<stem>/data/...`) → sealed SHA-256, from
/// `manifest-sha256.txt`: the bag-relative paths sorted, each with its
/// digest as 32 bytes, about 50 bytes and a path a line (a million-file
/// archive's manifest costs ~100 MB, not the ~500 MB of a map of strings).
/// A path listed twice keeps its last line.
#[derive(Debug, Default)]
pub struct SealedManifest {
    /// `<stem>/`, which every member name starts with.
    prefix: String,
    lines: Vec<(Box<str>, [u8; 32])>,
}

impl SealedManifest {
    /// The manifest of the bag `stem` sealing these (bag-relative path,
    /// digest) lines, in manifest order.
    fn from_lines(stem: &str, mut lines: Vec<(Box<str>, [u8; 32])>) -> Self {
        // The last line of a path listed twice wins: reversed, then a
        // stable sort puts it first among its equals, and the first is kept.
        lines.reverse();
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        lines.dedup_by(|b, a| a.0 == b.0);
        lines.shrink_to_fit();
        SealedManifest {
            prefix: format!("{stem}/"),
            lines,
        }
    }

    /// The sealed SHA-256 of a member (`<stem>/data/...`), lowercase hex.
    pub fn get(&self, member: &str) -> Option<String> {
        let path = member.strip_prefix(&self.prefix)?;
        self.lines
            .binary_search_by(|(p, _)| (**p).cmp(path))
            .ok()
            .and_then(|i| self.lines.get(i))
            .map(|(_, h)| hex::encode(h))
    }

    /// How many paths the manifest seals.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when the manifest seals nothing.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Whether a member's bytes are the ones the manifest sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum Integrity {
    /// Size, CRC-32 and SHA-256 equal to the sealed ones.
    Matches,
    /// Different bytes, no manifest line, or unreadable: what was found.
    Mismatch(String),
    /// Not checked, and why (read stopped early, no manifest, too large).
    NotChecked(String),
    /// The entry has no stored content.
    NoContent,
}

impl Integrity {
    /// True when the content is known not to be the sealed content.
    pub fn is_mismatch(&self) -> bool {
        matches!(self, Integrity::Mismatch(_))
    }
}

/// The shared verdict of one [`CheckedReader`]; clone it before handing the
/// reader away.
#[derive(Debug, Clone, Default)]
pub struct Verdict(Arc<OnceLock<Integrity>>);

impl Verdict {
    /// The verdict, or "not checked" when the reader has not reached the
    /// end of the member.
    pub fn get(&self) -> Integrity {
        self.0
            .get()
            .cloned()
            .unwrap_or_else(|| Integrity::NotChecked("the member was not read to its end".into()))
    }

    /// Whether the reader reached a verdict (the end, or a read error).
    pub fn is_final(&self) -> bool {
        self.0.get().is_some()
    }
}

/// A member's reader that checks the bytes it passes on (see the module
/// documentation).
pub struct CheckedReader<'a> {
    inner: Box<dyn Read + Send + 'a>,
    sha: sha2::Sha256,
    crc: crc32fast::Hasher,
    read: u64,
    expected: Option<(u64, u32)>,
    sealed: Result<Option<String>, String>,
    verdict: Verdict,
}

impl<'a> CheckedReader<'a> {
    /// Check `inner` against `sealed` (the manifest's SHA-256 for the
    /// member: `Ok(None)` when the manifest has no line for it, `Err` when
    /// the manifest cannot be read) and, when given, the central
    /// directory's (size, CRC-32).
    pub fn new(
        inner: Box<dyn Read + Send + 'a>,
        expected: Option<(u64, u32)>,
        sealed: Result<Option<String>, String>,
    ) -> Self {
        Self {
            inner,
            sha: sha2::Sha256::new(),
            crc: crc32fast::Hasher::new(),
            read: 0,
            expected,
            sealed,
            verdict: Verdict::default(),
        }
    }

    /// A handle on the verdict that outlives the reader.
    pub fn verdict_handle(&self) -> Verdict {
        self.verdict.clone()
    }

    /// The verdict so far ("not checked" before the end).
    pub fn verdict(&self) -> Integrity {
        self.verdict.get()
    }

    fn finish(&mut self) {
        if self.verdict.is_final() {
            return;
        }
        let actual = hex::encode(std::mem::take(&mut self.sha).finalize());
        let crc = std::mem::take(&mut self.crc).finalize();
        let v = match (self.expected, &self.sealed) {
            (Some((size, _)), _) if size != self.read => Integrity::Mismatch(format!(
                "{} bytes read, but the archive's directory says {size}",
                self.read
            )),
            (Some((_, want)), _) if want != crc => Integrity::Mismatch(format!(
                "CRC-32 {crc:08x}, but the archive's directory says {want:08x}"
            )),
            (_, Err(e)) => Integrity::NotChecked(format!("the manifest cannot be read: {e}")),
            (_, Ok(None)) => {
                Integrity::Mismatch("the sealed manifest has no line for this member".into())
            }
            (_, Ok(Some(sealed))) if actual.eq_ignore_ascii_case(sealed) => Integrity::Matches,
            (_, Ok(Some(sealed))) => Integrity::Mismatch(format!(
                "SHA-256 {actual}, but the manifest sealed {sealed}"
            )),
        };
        let _ = self.verdict.0.set(v);
    }
}

impl Read for CheckedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(0) => {
                self.finish();
                Ok(0)
            }
            Ok(n) => {
                let got = buf.get(..n).unwrap_or_default();
                self.sha.update(got);
                self.crc.update(got);
                self.read += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let _ = self.verdict.0.set(Integrity::Mismatch(format!(
                    "the member cannot be read whole: {e}"
                )));
                Err(e)
            }
        }
    }
}

/// Read `manifest-sha256.txt` into member name → sealed SHA-256, a line
/// at a time from the inflater (the manifest is never held whole).
pub fn read_sealed_manifest(archive: &Archive) -> Result<SealedManifest, String> {
    use super::ArchiveError;
    use super::bagit::{Algorithm, parse_manifest_line};
    use std::io::BufRead as _;
    const MAX: u64 = 2 << 30;
    let name = format!("{}/manifest-sha256.txt", archive.stem);
    let err = |msg: String| format!("{:#}", ArchiveError::Format(msg, archive.path.clone()));
    let m = archive
        .member(&name)
        .ok_or_else(|| err(format!("missing {name}")))?;
    if m.usize > MAX {
        return Err(err(format!("{name} is {} bytes, more than {MAX}", m.usize)));
    }
    let reader = super::zipread::member_reader(&archive.file, m)
        .map_err(|e| err(format!("cannot read {name}: {e}")))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, reader.take(MAX + 1));
    let mut lines: Vec<(Box<str>, [u8; 32])> = Vec::new();
    let mut raw = Vec::new();
    let mut line_no = 0usize;
    loop {
        raw.clear();
        let n = reader
            .read_until(b'\n', &mut raw)
            .map_err(|e| err(format!("cannot read {name}: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = String::from_utf8_lossy(raw.strip_suffix(b"\n").unwrap_or(&raw));
        if let Ok(Some(l)) = parse_manifest_line(&text, line_no, Algorithm::Sha256) {
            let mut h = [0u8; 32];
            if hex::decode_to_slice(&l.hash, &mut h).is_ok() {
                lines.push((l.path.into_boxed_str(), h));
            }
        }
    }
    Ok(SealedManifest::from_lines(&archive.stem, lines))
}

impl Archive {
    /// The sealed manifest, read on first use and kept.
    pub fn sealed_manifest(&self) -> Result<&SealedManifest, &str> {
        self.sealed
            .get_or_init(|| read_sealed_manifest(self))
            .as_ref()
            .map_err(String::as_str)
    }

    /// A reader of one member's content that checks it against the seal
    /// as it streams (see [`CheckedReader`]).
    pub fn open_member_checked(&self, name: &str) -> std::io::Result<CheckedReader<'_>> {
        let m = self
            .member(name)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, name.to_string()))?;
        self.checked_reader(m)
    }

    /// [`Archive::open_member_checked`] for a member already looked up.
    pub fn checked_reader(&self, m: &super::zipread::Member) -> std::io::Result<CheckedReader<'_>> {
        let inner = super::zipread::member_reader(&self.file, m)?;
        let sealed = self
            .sealed_manifest()
            .map(|s| s.get(&m.name))
            .map_err(str::to_string);
        Ok(CheckedReader::new(inner, Some((m.usize, m.crc)), sealed))
    }

    /// Read a whole member through the check and return the verdict.
    pub fn check_member(&self, name: &str) -> Integrity {
        match self.open_member_checked(name) {
            Ok(mut r) => match std::io::copy(&mut r, &mut std::io::sink()) {
                Ok(_) => r.verdict(),
                Err(e) => Integrity::Mismatch(format!("the member cannot be read whole: {e}")),
            },
            Err(e) => Integrity::Mismatch(format!("the member cannot be opened: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn sha(b: &[u8]) -> String {
        hex::encode(sha2::Sha256::digest(b))
    }

    fn reader(
        content: &'static [u8],
        sealed: Result<Option<String>, String>,
    ) -> CheckedReader<'static> {
        CheckedReader::new(
            Box::new(content),
            Some((content.len() as u64, crc32fast::hash(content))),
            sealed,
        )
    }

    #[test]
    fn the_sealed_manifest_finds_members_by_name_and_keeps_a_path_s_last_line() {
        let line = |p: &str, b: u8| (Box::<str>::from(p), [b; 32]);
        let m = SealedManifest::from_lines(
            "bag",
            vec![
                line("data/b", 1),
                line("data/a", 2),
                line("data/b", 3),
                line("data/c d", 4),
            ],
        );
        assert_eq!(m.len(), 3);
        assert_eq!(m.get("bag/data/a"), Some(hex::encode([2u8; 32])));
        assert_eq!(m.get("bag/data/b"), Some(hex::encode([3u8; 32])));
        assert_eq!(m.get("bag/data/c d"), Some(hex::encode([4u8; 32])));
        assert_eq!(m.get("data/a"), None);
        assert_eq!(m.get("other/data/a"), None);
        assert_eq!(m.get("bag/data/d"), None);
    }

    #[test]
    fn intact_content_matches() {
        let mut r = reader(b"hello\n", Ok(Some(sha(b"hello\n"))));
        let v = r.verdict_handle();
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello\n");
        assert_eq!(v.get(), Integrity::Matches);
    }

    #[test]
    fn altered_content_is_a_mismatch_naming_both_hashes() {
        // Size and CRC as the (rewritten) directory says: only the seal differs.
        let mut r = reader(b"hellO\n", Ok(Some(sha(b"hello\n"))));
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        match r.verdict() {
            Integrity::Mismatch(why) => {
                assert!(why.contains(&sha(b"hellO\n")), "{why}");
                assert!(why.contains(&sha(b"hello\n")), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_member_without_a_manifest_line_is_a_mismatch() {
        let mut r = reader(b"x", Ok(None));
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert!(r.verdict().is_mismatch(), "{:?}", r.verdict());
    }

    #[test]
    fn a_reader_stopped_early_is_not_checked() {
        let mut r = reader(b"0123456789", Ok(Some(sha(b"0123456789"))));
        let mut four = [0u8; 4];
        r.read_exact(&mut four).unwrap();
        assert!(
            matches!(r.verdict(), Integrity::NotChecked(_)),
            "{:?}",
            r.verdict()
        );
        // Even altered bytes read only in part are not called intact.
        let mut r = reader(b"0123456789", Ok(Some(sha(b"other"))));
        r.read_exact(&mut four).unwrap();
        assert!(matches!(r.verdict(), Integrity::NotChecked(_)));
    }

    #[test]
    fn a_wrong_crc_or_size_is_a_mismatch_even_when_the_manifest_agrees() {
        let mut r = CheckedReader::new(Box::new(&b"abc"[..]), Some((3, 0)), Ok(Some(sha(b"abc"))));
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert!(r.verdict().is_mismatch());
        let mut r = CheckedReader::new(
            Box::new(&b"abc"[..]),
            Some((4, crc32fast::hash(b"abc"))),
            Ok(Some(sha(b"abc"))),
        );
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert!(r.verdict().is_mismatch());
    }

    #[test]
    fn an_unreadable_manifest_is_not_checked() {
        let mut r = reader(b"abc", Err("missing".into()));
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert!(matches!(r.verdict(), Integrity::NotChecked(_)));
    }
}
