//! wtmpdb's `wtmp.db` and lastlog2's `lastlog2.db` (SQLite) read through the
//! real `exhibit logs` path: databases written by the `sqlite3` tool with
//! the upstream schemas (thkukuk/wtmpdb `lib/sqlite.c`, util-linux
//! `liblastlog2`), counted against `sqlite3`'s own answer; the evidence
//! (bytes and directory listing) unchanged after reading, also for a
//! database in WAL mode; members of a capture archive; damaged, non-SQLite
//! and foreign-schema files reported as errors, never a panic.

use crate::util::{archive_path, capture, exhibit, sha256_hex, tool};
use serde_json::Value;
use std::path::Path;

const WTMP_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;";
const LASTLOG2_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);";

/// A boot (with its shutdown), a remote session (with its logout), a
/// console login still open; microseconds, as wtmpdb writes them.
const WTMP_ROWS: &str = "INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES
 (1,'reboot',1790000000000000,1790090000000000,'~','6.12.48+deb13-amd64',NULL),
 (3,'alice',1790000100000000,1790003700000000,'pts/0','203.0.113.5','sshd'),
 (3,'root',1790000200000000,NULL,'tty1',NULL,'login');";

fn sqlite(dir: &Path, db: &str, sql: &str) -> String {
    tool("sqlite3", &[db, sql], dir)
}

fn events(path: &Path) -> Vec<Value> {
    let out = exhibit()
        .args(["logs", "events"])
        .arg(path)
        .output()
        .expect("run exhibit");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn report(path: &Path) -> (i32, Value) {
    let out = exhibit()
        .args(["logs", "--json", "-q"])
        .arg(path)
        .output()
        .expect("run exhibit");
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).expect("logs --json"),
    )
}

/// Every file of a directory with its size and SHA-256.
fn listing(dir: &Path) -> Vec<(String, u64, String)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let p = e.expect("entry").path();
            let bytes = std::fs::read(&p).expect("read");
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                bytes.len() as u64,
                sha256_hex(&bytes),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn wtmpdb_rows_become_login_logout_and_boot_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    sqlite(dir.path(), "wtmp.db", &format!("{WTMP_SCHEMA}{WTMP_ROWS}"));
    let db = dir.path().join("wtmp.db");
    let ev = events(&db);
    let kinds: Vec<&str> = ev.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["system", "system", "login", "logout", "login"]);
    // sqlite3 (not ours) agrees on the rows: one event per row plus one per
    // Logout time.
    let answer = sqlite(
        dir.path(),
        "wtmp.db",
        "SELECT count(*) + count(Logout) FROM wtmp;",
    );
    assert_eq!(answer.trim(), ev.len().to_string());
    let alice = &ev[2];
    assert_eq!(alice["fields"]["user"], "alice");
    assert_eq!(alice["fields"]["ip"], "203.0.113.5");
    assert_eq!(alice["fields"]["target"], "pts/0");
    assert_eq!(alice["time"], "2026-09-21T14:15:00.000000Z");
    assert_eq!(ev[3]["time"], "2026-09-21T15:15:00.000000Z");
    // A boot row's RemoteHost is the kernel release, not an address.
    assert!(ev[0]["fields"].get("ip").is_none());
    let (code, doc) = report(&db);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["sources"][0]["parser"], "wtmpdb");
}

#[test]
fn lastlog2_rows_are_last_logins() {
    let dir = tempfile::tempdir().expect("tempdir");
    sqlite(
        dir.path(),
        "lastlog2.db",
        &format!(
            "{LASTLOG2_SCHEMA}INSERT INTO Lastlog2 VALUES ('alice',1790000100,'pts/0','203.0.113.5','sshd'),('nobody',0,NULL,NULL,NULL);"
        ),
    );
    let ev = events(&dir.path().join("lastlog2.db"));
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["kind"], "login");
    assert_eq!(ev[0]["fields"]["user"], "alice");
    assert_eq!(ev[0]["time"], "2026-09-21T14:15:00.000000Z");
    // Time 0: never logged in, no time.
    assert_eq!(ev[1]["kind"], "info");
    assert!(ev[1]["time"].is_null());
}

#[test]
fn reading_leaves_the_evidence_unchanged_even_in_wal_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    sqlite(dir.path(), "wtmp.db", &format!("{WTMP_SCHEMA}{WTMP_ROWS}"));
    // A database left in WAL mode (header bytes 18-19 = 2), as a live
    // system may leave it.
    sqlite(
        dir.path(),
        "wal_wtmp.db",
        &format!("PRAGMA journal_mode=WAL;{WTMP_SCHEMA}{WTMP_ROWS}"),
    );
    let wal = std::fs::read(dir.path().join("wal_wtmp.db")).expect("read");
    assert_eq!(wal[18], 2, "the fixture must be in WAL mode");
    let before = listing(dir.path());
    let (code, doc) = report(dir.path());
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["sources"].as_array().map(Vec::len), Some(2), "{doc}");
    for s in doc["sources"].as_array().unwrap() {
        assert_eq!(s["events"], 5, "{s}");
    }
    // Same files (no -wal, -shm or -journal created), same bytes.
    assert_eq!(listing(dir.path()), before);
    // And through the library's path-based opener (immutable URI).
    let conn = exhibit::logs::parsers::wtmpdb::open_file(&dir.path().join("wal_wtmp.db"))
        .expect("open read-only");
    let (_, rows) = exhibit::logs::parsers::wtmpdb::rows(&conn, "wal_wtmp.db").expect("rows");
    assert_eq!(rows.len(), 3);
    drop(conn);
    assert_eq!(listing(dir.path()), before);
}

#[test]
fn databases_inside_a_capture_archive_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("var/lib/wtmpdb")).expect("mkdir");
    std::fs::create_dir_all(src.join("var/lib/lastlog")).expect("mkdir");
    sqlite(
        &src.join("var/lib/wtmpdb"),
        "wtmp.db",
        &format!("{WTMP_SCHEMA}{WTMP_ROWS}"),
    );
    sqlite(
        &src.join("var/lib/lastlog"),
        "lastlog2.db",
        &format!(
            "{LASTLOG2_SCHEMA}INSERT INTO Lastlog2 VALUES ('alice',1790000100,'pts/0','203.0.113.5','sshd');"
        ),
    );
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");
    let summary = capture(&[src.to_str().unwrap()], &out);
    let archive = archive_path(&summary);
    let (code, doc) = report(&archive);
    assert_eq!(code, 0, "{doc}");
    let sources = doc["sources"].as_array().expect("sources");
    let of = |name: &str| {
        sources
            .iter()
            .find(|s| s["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} not read: {doc}"))
    };
    assert_eq!(of("wtmp.db")["parser"], "wtmpdb");
    assert_eq!(of("wtmp.db")["events"], 5);
    assert_eq!(of("lastlog2.db")["events"], 1);
}

#[test]
fn damaged_foreign_and_non_sqlite_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    sqlite(
        dir.path(),
        "other.db",
        "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1);",
    );
    sqlite(dir.path(), "wtmp.db", &format!("{WTMP_SCHEMA}{WTMP_ROWS}"));
    // Cut the database after its first page: the table's page is gone.
    let full = std::fs::read(dir.path().join("wtmp.db")).expect("read");
    assert!(full.len() > 4096, "the fixture has a second page");
    std::fs::write(dir.path().join("cut_wtmp.db"), &full[..4096]).expect("write");
    // The header and garbage after it.
    let mut junk = b"SQLite format 3\0".to_vec();
    junk.extend(std::iter::repeat_n(0xA5u8, 5000));
    std::fs::write(dir.path().join("junk_wtmp.db"), &junk).expect("write");
    for (name, want) in [
        ("other.db", "without a wtmp or Lastlog2 table"),
        ("cut_wtmp.db", "SQLite"),
        ("junk_wtmp.db", "SQLite"),
    ] {
        let out = exhibit()
            .args(["logs", "--json", "-q", "--format", "wtmpdb"])
            .arg(dir.path().join(name))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
        let err = doc["sources"][0]["error"].as_str().unwrap_or("");
        assert!(err.contains(want) && err.contains(name), "{name}: {err}");
    }
    // Plain text forced as wtmpdb.
    std::fs::write(dir.path().join("text.db"), "hello\n").expect("write");
    let out = exhibit()
        .args(["logs", "--json", "-q", "--format", "wtmpdb"])
        .arg(dir.path().join("text.db"))
        .output()
        .expect("run");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        doc["sources"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("not an SQLite database")),
        "{doc}"
    );
}
