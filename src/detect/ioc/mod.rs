//! Indicators of compromise (`detect::ioc`): the examiner's lists of
//! known-bad addresses, ranges, domains, URLs, hashes, file names and
//! paths, user agents, email addresses and account names (`--ioc FILE`),
//! matched across everything Exhibit reads.
//!
//! - [`parse`]: the three list formats (plain text with optional
//!   `type:` prefixes and `#` comments, CSV with a `type,value,comment`
//!   header, JSON `[{type, value, comment}]`), type inference, defanged
//!   values, the normal form of each type; a line that yields no
//!   indicator is a [`Rejected`] naming its line, a list that cannot be
//!   read is an [`IocError`];
//! - [`index`]: the loaded set compiled for matching: hash maps for exact
//!   values, per-prefix-length tables for CIDR ranges, label suffixes for
//!   domains (subdomains match), `globset` for file names and paths, and
//!   Aho-Corasick automata for user agents and for strings in text;
//! - [`files`]: a snapshot's file names and paths, content hashes (SHA-256
//!   as recorded, MD5 and SHA-1 streamed from the archive only when the
//!   lists hold such hashes) and the strings of its text files, as file
//!   findings;
//! - [`logs`]: the event store's client addresses, hosts, URLs, referers,
//!   user agents, users, commands and unparsed lines, as log findings.
//!
//! Every hit is a [`crate::detect::Finding`] whose rule is `ioc.<type>`
//! (`ioc.ip`, `ioc.sha256`...), naming the indicator, its comment, the list
//! and line it came from, and where it was seen.

pub mod files;
pub mod index;
pub mod logs;
pub mod parse;

use crate::detect::Severity;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What an indicator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IocKind {
    Ip,
    Cidr,
    Domain,
    Url,
    Md5,
    Sha1,
    Sha256,
    FileName,
    Path,
    UserAgent,
    Email,
    Account,
}

impl IocKind {
    pub const ALL: [IocKind; 12] = [
        IocKind::Ip,
        IocKind::Cidr,
        IocKind::Domain,
        IocKind::Url,
        IocKind::Md5,
        IocKind::Sha1,
        IocKind::Sha256,
        IocKind::FileName,
        IocKind::Path,
        IocKind::UserAgent,
        IocKind::Email,
        IocKind::Account,
    ];

    /// The type's name, as serialized and as a list's prefix.
    pub fn name(self) -> &'static str {
        match self {
            IocKind::Ip => "ip",
            IocKind::Cidr => "cidr",
            IocKind::Domain => "domain",
            IocKind::Url => "url",
            IocKind::Md5 => "md5",
            IocKind::Sha1 => "sha1",
            IocKind::Sha256 => "sha256",
            IocKind::FileName => "filename",
            IocKind::Path => "path",
            IocKind::UserAgent => "user_agent",
            IocKind::Email => "email",
            IocKind::Account => "account",
        }
    }

    /// The rule id of its findings: `ioc.ip`, `ioc.sha256`...
    pub fn rule(self) -> &'static str {
        match self {
            IocKind::Ip => "ioc.ip",
            IocKind::Cidr => "ioc.cidr",
            IocKind::Domain => "ioc.domain",
            IocKind::Url => "ioc.url",
            IocKind::Md5 => "ioc.md5",
            IocKind::Sha1 => "ioc.sha1",
            IocKind::Sha256 => "ioc.sha256",
            IocKind::FileName => "ioc.filename",
            IocKind::Path => "ioc.path",
            IocKind::UserAgent => "ioc.user_agent",
            IocKind::Email => "ioc.email",
            IocKind::Account => "ioc.account",
        }
    }

    /// In a sentence: `the address`, `the file hash (MD5)`.
    pub fn words(self) -> &'static str {
        match self {
            IocKind::Ip => "address",
            IocKind::Cidr => "address range",
            IocKind::Domain => "domain",
            IocKind::Url => "URL",
            IocKind::Md5 => "MD5",
            IocKind::Sha1 => "SHA-1",
            IocKind::Sha256 => "SHA-256",
            IocKind::FileName => "file name",
            IocKind::Path => "path",
            IocKind::UserAgent => "user agent",
            IocKind::Email => "email address",
            IocKind::Account => "account name",
        }
    }

    /// A hit's severity: exact content (a hash) is critical, every other
    /// known-bad value high.
    pub fn severity(self) -> Severity {
        match self {
            IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 => Severity::Critical,
            _ => Severity::High,
        }
    }
}

/// One indicator of a loaded set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub kind: IocKind,
    /// The normal form matched (refanged, lowercase where the type is case
    /// blind, a URL as `host/path?query`).
    pub value: String,
    /// As the list writes it (possibly defanged).
    pub written: String,
    pub comment: String,
    /// Index into [`IocSet::lists`].
    pub list: u32,
    /// 1-based line (CSV: the record's line, JSON: the element's line).
    pub line: u64,
}

/// A line of a list that gave no indicator, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub line: u64,
    /// The value or line as written (at most 200 characters).
    pub text: String,
    pub reason: String,
}

/// One list file as read.
#[derive(Debug, Clone, Serialize)]
pub struct IocList {
    pub path: PathBuf,
    /// `text`, `csv` or `json`.
    pub format: &'static str,
    /// Indicators taken from it (duplicates of earlier ones left out).
    pub indicators: usize,
    /// Indicators it repeats (same type and value as an earlier one).
    pub duplicates: usize,
    /// Lines that gave no indicator, each with its reason.
    pub rejected: Vec<Rejected>,
}

/// Why a list cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IocError {
    #[error("cannot read the IOC list: {0}: {1}")]
    Io(std::io::Error, PathBuf),
    #[error("the IOC list is not valid JSON: {0}: {1}")]
    Json(String, PathBuf),
    #[error("the IOC list is not valid CSV: {0}: {1}")]
    Csv(String, PathBuf),
    #[error("the IOC list holds no indicator ({0}): {1}")]
    Empty(String, PathBuf),
    #[error("the IOC list is larger than {} MiB: {}", parse::MAX_LIST_BYTES >> 20, .0.display())]
    TooLarge(PathBuf),
}

/// The indicators of every list given, compiled for matching.
#[derive(Debug, Default)]
pub struct IocSet {
    pub lists: Vec<IocList>,
    pub indicators: Vec<Indicator>,
    index: index::Index,
}

/// What the output says about the lists (`"ioc"` in `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct IocSummary {
    pub indicators: usize,
    pub by_type: Vec<(IocKind, usize)>,
    pub lists: Vec<IocList>,
}

impl IocSet {
    /// Read and index every list, in order; an indicator listed twice is
    /// kept once, from its first list and line.
    pub fn load(paths: &[PathBuf]) -> Result<Self, IocError> {
        let mut b = Builder::default();
        for p in paths {
            let meta = std::fs::metadata(p).map_err(|e| IocError::Io(e, p.clone()))?;
            if meta.is_dir() {
                return Err(IocError::Io(
                    std::io::Error::other("a folder, not a list file"),
                    p.clone(),
                ));
            }
            if meta.len() > parse::MAX_LIST_BYTES {
                return Err(IocError::TooLarge(p.clone()));
            }
            let raw = crate::archive::regular::read_regular(p, parse::MAX_LIST_BYTES)
                .map_err(|e| IocError::Io(e, p.clone()))?;
            let text = String::from_utf8_lossy(&raw);
            b.add(p, &text)?;
        }
        Ok(b.finish())
    }

    /// A set from one list's text (tests, benches); `name` stands for its
    /// path.
    pub fn from_text(name: &str, text: &str) -> Result<Self, IocError> {
        let mut b = Builder::default();
        b.add(Path::new(name), text)?;
        Ok(b.finish())
    }

    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    /// The compiled matchers.
    pub fn index(&self) -> &index::Index {
        &self.index
    }

    /// An indicator by index.
    pub fn get(&self, i: u32) -> Option<&Indicator> {
        self.indicators.get(i as usize)
    }

    /// `list:line` of an indicator.
    pub fn source(&self, ind: &Indicator) -> String {
        let list = self
            .lists
            .get(ind.list as usize)
            .map(|l| l.path.display().to_string())
            .unwrap_or_default();
        format!("{list}:{}", ind.line)
    }

    /// Lines of every list that gave no indicator, as `list:line: reason:
    /// text`, for the CLI's warnings.
    pub fn rejected_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.lists.iter().flat_map(|l| {
            l.rejected
                .iter()
                .map(move |r| format!("{}:{}: {}: {}", l.path.display(), r.line, r.reason, r.text))
        })
    }

    /// Counts and lists, for the output.
    pub fn summary(&self) -> IocSummary {
        let mut by: HashMap<IocKind, usize> = HashMap::new();
        for i in &self.indicators {
            *by.entry(i.kind).or_default() += 1;
        }
        IocSummary {
            indicators: self.indicators.len(),
            by_type: IocKind::ALL
                .iter()
                .filter_map(|k| by.get(k).map(|n| (*k, *n)))
                .collect(),
            lists: self.lists.clone(),
        }
    }

    /// `IOC address 203.0.113.7`: the head of a finding's title.
    pub(crate) fn title(&self, ind: &Indicator) -> String {
        format!("IOC {} {}", ind.kind.words(), ind.value)
    }

    /// `listed in iocs.txt:12 as 203.0.113[.]7 ("Tor exit node")`.
    pub(crate) fn listed(&self, ind: &Indicator) -> String {
        let mut s = format!("listed in {}", self.source(ind));
        if ind.written != ind.value {
            s.push_str(&format!(" as {}", ind.written));
        }
        if !ind.comment.is_empty() {
            s.push_str(&format!(" ({:?})", ind.comment));
        }
        s
    }
}

#[derive(Default)]
struct Builder {
    lists: Vec<IocList>,
    indicators: Vec<Indicator>,
    seen: HashMap<(IocKind, String), u32>,
}

impl Builder {
    fn add(&mut self, path: &Path, text: &str) -> Result<(), IocError> {
        let format = parse::Format::detect(path, text);
        let parsed = parse::parse(path, format, text)?;
        if parsed.indicators.is_empty() {
            let why = if parsed.rejected.is_empty() {
                "it is empty".to_string()
            } else {
                let first = parsed
                    .rejected
                    .first()
                    .map(|r| format!("line {}: {}", r.line, r.reason))
                    .unwrap_or_default();
                format!("{} line(s) rejected; {first}", parsed.rejected.len())
            };
            return Err(IocError::Empty(why, path.to_path_buf()));
        }
        let list = self.lists.len() as u32;
        let mut taken = 0;
        let mut duplicates = 0;
        for p in parsed.indicators {
            let key = (p.kind, p.value.clone());
            if self.seen.contains_key(&key) {
                duplicates += 1;
                continue;
            }
            self.seen.insert(key, self.indicators.len() as u32);
            self.indicators.push(Indicator {
                kind: p.kind,
                value: p.value,
                written: p.written,
                comment: p.comment,
                list,
                line: p.line,
            });
            taken += 1;
        }
        self.lists.push(IocList {
            path: path.to_path_buf(),
            format: format.as_str(),
            indicators: taken,
            duplicates,
            rejected: parsed.rejected,
        });
        Ok(())
    }

    fn finish(self) -> IocSet {
        let index = index::Index::build(&self.indicators);
        IocSet {
            lists: self.lists,
            indicators: self.indicators,
            index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_kept_once_and_counted() {
        let s = IocSet::from_text(
            "l.txt",
            "203.0.113.7\n203.0.113[.]7 # again\nevil.example\n",
        )
        .unwrap();
        assert_eq!(s.indicators.len(), 2);
        assert_eq!(s.lists[0].duplicates, 1);
        assert_eq!(s.source(&s.indicators[1]), "l.txt:3");
    }

    #[test]
    fn a_list_without_indicators_is_an_error_naming_it() {
        let e = IocSet::from_text("bad.txt", "junk words here\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.txt") && e.contains("line 1"), "{e}");
        let e = IocSet::from_text("empty.txt", "# only comments\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn load_reads_files_and_refuses_folders() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.csv");
        std::fs::write(&f, "type,value,comment\ndomain,evil.example,c2\n").unwrap();
        let s = IocSet::load(std::slice::from_ref(&f)).unwrap();
        assert_eq!(s.lists[0].format, "csv");
        assert_eq!(s.indicators[0].comment, "c2");
        assert!(IocSet::load(&[d.path().to_path_buf()]).is_err());
        let e = IocSet::load(&[d.path().join("missing.txt")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.txt"), "{e}");
    }
}
