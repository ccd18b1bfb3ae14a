//! The log format registry: every format Exhibit reads, in ONE list.
//!
//! Adding a format is one file in this folder plus one line in [`FORMATS`].
//! A format is either line-based (a [`LineParser`] fed one decoded line at a
//! time by the shared driver, which handles gzip, CRLF, invalid UTF-8 and
//! missing final newlines) or record-based (binary utmp/wtmp/btmp).
//! Sniffing runs each line parser over the first lines of a file and picks
//! the format that understands most of them.

pub mod access;
pub mod accounts;
pub mod apt;
pub mod auditd;
pub mod cron;
pub mod dpkg;
pub mod ftpauth;
pub mod history;
pub mod journal;
pub mod journald;
pub mod pam;
pub mod postgres;
pub mod sshd;
pub mod sudo;
pub mod syslog;
pub mod utmp;
pub mod vsftpd;
pub mod weberror;
#[cfg(feature = "sqlite")]
pub mod wtmpdb;
/// Without the `sqlite` feature (the static server build): the databases
/// are recognised and reported as unread, never taken for text.
#[cfg(not(feature = "sqlite"))]
#[path = "wtmpdb_absent.rs"]
pub mod wtmpdb;

use super::event::{Draft, Event};
use std::io::Read;

/// What a parser knows about the file it reads.
#[derive(Debug, Clone, Default)]
pub struct SourceCtx {
    /// Logical path of the file (as on the examined system).
    pub path: String,
    /// The file's modification time, UTC microseconds, when known.
    pub mtime_us: Option<i64>,
    /// Offset of local time from UTC in seconds, when the analyst set it.
    /// Formats without a zone (classic syslog, Apache error logs) use it.
    pub tz_offset_s: Option<i64>,
}

impl SourceCtx {
    /// The file name (last path component).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// A parser of one line-based format. One instance reads one file, so it
/// may keep state across lines (a `#epoch` line, an apt block's date).
pub trait LineParser: Send {
    /// Parse one line (without its line ending) into `d`, which was reset
    /// with it. Return false when the line is not of this format; the
    /// driver then keeps it as an unparsed event.
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool;

    /// Called once after the last line with every event of this file (one
    /// per `parse` call, in order), to fix what needs the whole file (the
    /// year of classic syslog). Returns notes for the source summary.
    fn finish(&mut self, _events: &mut [Event]) -> Vec<String> {
        Vec::new()
    }

    /// Whether the years of this file's times were inferred (classic
    /// syslog), so that rotation order may correct them.
    fn year_inferred(&self) -> bool {
        false
    }
}

/// Counters a record-based parser reports.
#[derive(Debug, Default, Clone)]
pub struct RecordStats {
    pub unparsed: u64,
    pub notes: Vec<String>,
    /// What could not be read (becomes the source's error).
    pub error: Option<String>,
}

/// How a format is read.
pub enum Method {
    /// Line-based text.
    Lines(fn(&SourceCtx) -> Box<dyn LineParser>),
    /// Fixed-size binary records read from the whole stream.
    Records(fn(&mut dyn Read, &SourceCtx, u32, &mut Vec<Event>) -> std::io::Result<RecordStats>),
}

/// One registered format.
pub struct Format {
    /// Stable name, shown as a source's `parser`.
    pub name: &'static str,
    /// Extra sniffing score from the file name alone (0 when none).
    pub name_hint: fn(&str) -> u32,
    /// For record formats: a content check on the first bytes.
    pub sniff_bytes: Option<fn(&[u8], &str) -> u32>,
    pub method: Method,
}

/// Every format, in the order sniffing prefers on a tie.
pub static FORMATS: &[Format] = &[
    syslog::FORMAT,
    access::FORMAT,
    weberror::FORMAT,
    auditd::FORMAT,
    dpkg::FORMAT,
    apt::FORMAT,
    history::FORMAT,
    vsftpd::FORMAT,
    postgres::FORMAT,
    journald::FORMAT,
    utmp::FORMAT,
    journal::FORMAT,
    wtmpdb::FORMAT,
];

/// The format with this name.
pub fn by_name(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name == name)
}

/// Pick the format of a file from its first bytes (decompressed) and name.
/// Returns `None` when nothing understands it.
pub fn sniff(head: &[u8], ctx: &SourceCtx) -> Option<&'static Format> {
    sniff_ranked(head, ctx)
        .into_iter()
        .next()
        .filter(|(_, s)| *s >= 30)
        .map(|(f, _)| f)
}

/// Every format that understands some of the sample, best first, with its
/// score (percentage of sample lines understood plus the name hint).
pub fn sniff_ranked(head: &[u8], ctx: &SourceCtx) -> Vec<(&'static Format, u32)> {
    let name = ctx.file_name();
    let mut ranked: Vec<(&'static Format, u32)> = Vec::new();
    let text = String::from_utf8_lossy(head);
    let lines = sample_lines(&text, head.len() >= SNIFF_BYTES);
    let binary = head.iter().take(4096).filter(|&&b| b == 0).count() > 8;
    let mut d = Draft::default();
    for f in FORMATS {
        let score = match (&f.method, f.sniff_bytes) {
            (_, Some(check)) => check(head, name),
            (Method::Lines(make), None) => {
                if binary || lines.is_empty() {
                    0
                } else {
                    let mut p = make(ctx);
                    let ok = lines
                        .iter()
                        .filter(|l| {
                            d.reset(l);
                            p.parse(l, &mut d) && d.kind != super::Kind::Unparsed
                        })
                        .count();
                    (ok * 100 / lines.len()) as u32
                }
            }
            (Method::Records(_), None) => 0,
        };
        if score == 0 {
            continue;
        }
        ranked.push((f, score + (f.name_hint)(name)));
    }
    // Stable: on a tie the registry order decides.
    ranked.sort_by_key(|x| std::cmp::Reverse(x.1));
    ranked
}

/// The lines sniffing tries: up to 40 non-blank lines of the head, without
/// `# ` comments and without indented lines (the continuation lines of a
/// multi-line message or statement say nothing of the format: a syslog file
/// that opens with a 60-line stack trace is still syslog), unless there is
/// nothing else. `cut`: the head was cut by the sample size, so its last
/// piece may be a partial line.
pub fn sample_lines(text: &str, cut: bool) -> Vec<&str> {
    let mut all: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty() && !l.starts_with("# "))
        .collect();
    if cut && all.len() > 1 {
        all.pop();
    }
    let starts: Vec<&str> = all
        .iter()
        .copied()
        .filter(|l| !l.starts_with([' ', '\t']))
        .take(40)
        .collect();
    if starts.is_empty() {
        all.truncate(40);
        all
    } else {
        starts
    }
}

/// How many bytes sniffing looks at.
pub const SNIFF_BYTES: usize = 16 * 1024;

/// No name hint.
pub fn no_hint(_: &str) -> u32 {
    0
}

/// The first occurrence of `pat` in `s`, as `s.find(pat)` gives it, made
/// for the short lines and short patterns of log parsing: `str::find` sets
/// up a Two-Way searcher on every call (several hundred instructions, more
/// than the search of a log line), this looks for the pattern's first byte
/// other than a space with `memchr` and compares there.
pub fn find(s: &str, pat: &str) -> Option<usize> {
    let (h, n) = (s.as_bytes(), pat.as_bytes());
    let Some(k) = n.iter().position(|&b| b != b' ') else {
        return s.find(pat);
    };
    let b = *n.get(k)?;
    let mut from = k;
    while let Some(i) = memchr::memchr(b, h.get(from..)?) {
        let at = from + i - k;
        if h.get(at..at + n.len()) == Some(n) {
            return Some(at);
        }
        from += i + 1;
    }
    None
}

/// Whether `s` contains `pat` ([`find`]).
pub fn contains(s: &str, pat: &str) -> bool {
    find(s, pat).is_some()
}

/// Find `pat` in `s` and return the rest after it.
pub fn after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    find(s, pat).and_then(|i| s.get(i + pat.len()..))
}

/// The first whitespace-delimited token of `s`.
pub fn token(s: &str) -> &str {
    s.split([' ', '\t']).next().unwrap_or("")
}

/// The value of `key=` up to the next space (or quote-delimited).
pub fn kv<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = find(s.get(from..)?, key) {
        let at = from + i;
        let boundary = at == 0
            || matches!(
                s.as_bytes().get(at - 1),
                Some(b' ' | b'\'' | b'(' | b',' | b';' | b'\t')
            );
        let rest = s.get(at + key.len()..)?;
        if boundary {
            if let Some(q) = rest.strip_prefix('"') {
                return Some(q.split('"').next().unwrap_or(q));
            }
            return Some(
                rest.split([' ', ',', ';', '\'', ')'])
                    .next()
                    .unwrap_or(rest),
            );
        }
        from = at + key.len();
    }
    None
}

/// Read `text` through one line format with a default context, touching
/// every event's fields: the body of each format's never-panics test.
#[cfg(test)]
pub(crate) fn read_all_lines(
    make: fn(&SourceCtx) -> Box<dyn LineParser>,
    text: &str,
) -> Vec<crate::logs::Event> {
    let mut parser = make(&SourceCtx::default());
    let mut events = Vec::new();
    let mut info = crate::logs::load::SourceInfo::default();
    let mut r = text.as_bytes();
    crate::logs::load::read_lines(&mut r, parser.as_mut(), &mut [], &mut events, &mut info);
    for e in &events {
        let _ = e.summary();
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::load::{SourceInfo, read_lines};
    use proptest::prelude::*;

    #[test]
    fn find_finds_what_str_find_finds() {
        for (s, p) in [
            (
                "Failed password for root from 1.2.3.4 port 22 ssh2",
                " from ",
            ),
            ("a from b from c", " from "),
            ("  x", "  "),
            ("", " "),
            ("abc", ""),
            ("é from é", " from "),
            ("fro from", " from"),
            ("xx", "xxx"),
            ("user=a user=b", "user="),
        ] {
            assert_eq!(find(s, p), s.find(p), "{s:?} {p:?}");
            assert_eq!(contains(s, p), s.contains(p), "{s:?} {p:?}");
            assert_eq!(after(s, p), s.find(p).map(|i| &s[i + p.len()..]));
        }
    }

    proptest! {
        #[test]
        fn find_agrees_with_str_find(s in "[ a-cé]{0,40}", p in "[ a-cé]{0,4}") {
            prop_assert_eq!(find(&s, &p), s.find(&p));
        }
    }

    fn run_all(bytes: &[u8]) {
        let ctx = SourceCtx {
            path: "/var/log/x".into(),
            mtime_us: Some(1_700_000_000_000_000),
            tz_offset_s: None,
        };
        let _ = sniff(bytes, &ctx);
        for f in FORMATS {
            let mut events = Vec::new();
            match &f.method {
                Method::Lines(make) => {
                    let mut p = make(&ctx);
                    let mut info = SourceInfo::default();
                    let mut r = bytes;
                    read_lines(&mut r, p.as_mut(), &mut [], &mut events, &mut info);
                    let _ = p.finish(&mut events);
                    // Nothing dropped: one event per non-blank line.
                    let lines = bytes
                        .split(|&b| b == b'\n')
                        .filter(|l| !l.iter().all(|c| c.is_ascii_whitespace()))
                        .count();
                    assert_eq!(events.len(), lines, "{}", f.name);
                }
                Method::Records(read) => {
                    let mut r = bytes;
                    let _ = read(&mut r, &ctx, 0, &mut events);
                    // Only utmp's records have a fixed size.
                    if f.name == "utmp" {
                        assert_eq!(
                            events.len(),
                            bytes.len().div_ceil(utmp::RECORD),
                            "{}",
                            f.name
                        );
                    }
                }
            }
            for e in &events {
                let _ = e.summary();
                let _ = e.fields().count();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn parsers_never_panic_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            run_all(&bytes);
        }

        #[test]
        fn parsers_never_panic_on_log_like_text(
            lines in proptest::collection::vec(
                prop_oneof![
                    "[A-Z][a-z]{2} [ 0-9]{1,2} [0-9:]{8} [a-z]{1,8} [a-z]{1,6}(\\[[0-9]{1,5}\\])?: .{0,80}",
                    "[0-9.:a-f]{1,20} - [a-z-]{1,5} \\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} [+-][0-9]{4}\\] \"[A-Z]{0,6} .{0,40}\" [0-9-]{1,3} [0-9-]{1,6}( \".{0,20}\"){0,3}",
                    "type=[A-Z_]{1,10} msg=audit\\([0-9.:]{1,20}\\): .{0,80}",
                    "<[0-9]{1,3}>1 .{0,80}",
                    "[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[ T][0-9:]{8}.{0,60}",
                    "\\[[A-Za-z :0-9.]{10,32}\\] \\[[a-z:]{1,12}\\] .{0,60}",
                    "(#[0-9]{1,12}|: [0-9]{1,12}:[0-9];.{0,30}|[A-Z][a-z-]{1,12}: .{0,40})",
                    ".{0,120}",
                ],
                0..30,
            )
        ) {
            let text = lines.join("\n");
            run_all(text.as_bytes());
        }
    }
}
