//! Log-aware comparison on real logs nobody here wrote (see
//! `tests/data/ATTRIBUTION.md`): an Apache access log that grew, an auth.log
//! from which an attacker removed the lines of one IP, a binary wtmp that
//! grew by whole records. Runs through the library API the GUI uses:
//! `diff` -> `DiffResult`, then `content_diff` of one change on demand.

use crate::util::write;
use exhibit::diff::ChangeClass;
use exhibit::diff::content::{ContentDiff, ContentLimits, LineTag};
use exhibit::examine::{DiffRequest, diff};
use exhibit::job::{CancelToken, NoProgress};
use std::path::PathBuf;

fn data(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn lines(b: &[u8], n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for l in b.split_inclusive(|&c| c == b'\n').take(n) {
        out.extend_from_slice(l);
    }
    out
}

#[test]
fn real_logs_appended_rewritten_and_binary_wtmp() {
    let access = data("elastic_apache_logs_1000");
    let auth = data("secrepo_auth.log_3000");
    let wtmp = data("utmp_wtmp.1");
    let tmp = tempfile::tempdir().expect("tmp");
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));

    write(&old, "var/log/apache2/access.log", &lines(&access, 600));
    write(&new, "var/log/apache2/access.log", &access);

    // The intruder deletes every line about their address from the first
    // 2,000 lines, then the log goes on.
    let attacker = b"67.205.20.23";
    let old_auth = lines(&auth, 2000);
    let removed = old_auth
        .split_inclusive(|&c| c == b'\n')
        .filter(|l| l.windows(attacker.len()).any(|w| w == attacker))
        .count();
    assert!(removed > 100, "the sample has the attacker's lines");
    let mut new_auth: Vec<u8> = old_auth
        .split_inclusive(|&c| c == b'\n')
        .filter(|l| !l.windows(attacker.len()).any(|w| w == attacker))
        .flatten()
        .copied()
        .collect();
    new_auth.extend_from_slice(&auth[old_auth.len()..]);
    write(&old, "var/log/auth.log", &old_auth);
    write(&new, "var/log/auth.log", &new_auth);

    write(&old, "var/log/wtmp", &wtmp[..768]);
    write(&new, "var/log/wtmp", &wtmp);

    let r = diff(
        &DiffRequest {
            old: old.clone(),
            new: new.clone(),
            ..DiffRequest::default()
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .expect("diff");

    let class = |p: &str| r.change(p).map(|c| c.change);
    assert_eq!(
        class("/var/log/apache2/access.log"),
        Some(ChangeClass::Appended)
    );
    assert_eq!(class("/var/log/auth.log"), Some(ChangeClass::Rewritten));
    assert_eq!(class("/var/log/wtmp"), Some(ChangeClass::Appended));
    assert!(
        r.findings_for("/var/log/auth.log")
            .any(|f| f.rule == "antiforensics.log_rewritten"),
        "{:#?}",
        r.findings
    );
    assert_eq!(r.findings_for("/var/log/apache2/access.log").count(), 0);

    // The analyst opens the rewritten log: the removed lines are there.
    let limits = ContentLimits::default();
    let change = r.change("/var/log/auth.log").expect("change");
    match r.content_diff(change, &limits) {
        ContentDiff::Text {
            hunks,
            removed_lines,
            added_lines,
            ..
        } => {
            assert_eq!(removed_lines, removed);
            assert_eq!(added_lines, 1000);
            let first_removed = hunks
                .iter()
                .flat_map(|h| &h.lines)
                .find(|l| l.tag == LineTag::Removed)
                .expect("a removed line");
            assert!(
                first_removed.text.contains("67.205.20.23"),
                "{first_removed:?}"
            );
            assert!(first_removed.old_line.is_some() && first_removed.new_line.is_none());
        }
        other => panic!("expected a text diff: {other:?}"),
    }

    // The binary log gets a bounded binary summary.
    let change = r.change("/var/log/wtmp").expect("change");
    match r.content_diff(change, &limits) {
        ContentDiff::Binary {
            first_difference_offset,
            old_size_bytes,
            new_size_bytes,
            ..
        } => {
            assert_eq!(first_difference_offset, Some(768));
            assert_eq!((old_size_bytes, new_size_bytes), (Some(768), Some(1537)));
        }
        other => panic!("expected a binary summary: {other:?}"),
    }
}
