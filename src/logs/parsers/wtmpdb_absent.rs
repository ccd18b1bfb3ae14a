//! wtmpdb/lastlog2 in a build without the `sqlite` feature (the static
//! server binary, `scripts/build-static.sh`): the databases are recognised
//! as in the full build, and reading one is an error on that source that
//! says why, so nothing is taken for text or silently skipped. Capture is
//! unaffected: the files are archived like any other.

use super::{Format, Method, RecordStats, SourceCtx};
use crate::logs::event::Event;
use std::io::Read;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "wtmpdb",
    name_hint,
    sniff_bytes: Some(sniff),
    method: Method::Records(read),
};

/// SQLite's file header.
const MAGIC: &[u8] = b"SQLite format 3\0";

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.ends_with(".db") && (n.contains("wtmp") || n.contains("lastlog")) {
        50
    } else {
        0
    }
}

/// As the full build decides: an SQLite file whose first page names the
/// wtmp or Lastlog2 table, or, failing that, whose name says so.
fn sniff(head: &[u8], name: &str) -> u32 {
    if !head.starts_with(MAGIC) {
        return 0;
    }
    let has = |pat: &[u8]| memchr::memmem::find(head, pat).is_some();
    if [
        &b"TABLE wtmp("[..],
        b"TABLE wtmp (",
        b"TABLE \"wtmp\"",
        b"TABLE Lastlog2(",
        b"TABLE Lastlog2 (",
        b"TABLE \"Lastlog2\"",
    ]
    .iter()
    .any(|p| has(p))
    {
        100
    } else {
        name_hint(name) / 2
    }
}

fn read(
    _input: &mut dyn Read,
    _ctx: &SourceCtx,
    _source: u32,
    _out: &mut Vec<Event>,
) -> std::io::Result<RecordStats> {
    Err(std::io::Error::other(
        "an SQLite login database (wtmpdb, lastlog2): this build reads none \
         (built without the `sqlite` feature, as the static server binary is); \
         read it with the workstation build",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_database_is_recognised_and_reported_unread() {
        let mut head = MAGIC.to_vec();
        head.extend_from_slice(&[0u8; 84]);
        head.extend_from_slice(b"CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER)");
        assert_eq!(sniff(&head, "x"), 100);
        assert_eq!(sniff(&head[..MAGIC.len()], "lastlog2.db"), 25);
        assert_eq!(sniff(b"Dec  1 10:00:00 host sshd[1]: x", "wtmp.db"), 0);
        let err = read(&mut &head[..], &SourceCtx::default(), 0, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("`sqlite` feature"), "{err}");
    }
}
