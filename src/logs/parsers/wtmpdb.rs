//! Login records kept in SQLite: wtmpdb's `/var/lib/wtmpdb/wtmp.db` (and its
//! rotated `wtmp_YYYYMMDD.db`) and util-linux lastlog2's
//! `/var/lib/lastlog/lastlog2.db`, which replace wtmp and lastlog on Debian
//! 13 and openSUSE. Each row becomes the events the utmp parser makes of the
//! same facts (a login, its logout, a boot and its shutdown), so the
//! detections and the timeline read them alike.
//!
//! The evidence is never opened by SQLite: the database is read (at most
//! [`MAX_BYTES`]) into memory and handed to SQLite with `sqlite3_deserialize`
//! read-only, so no journal, `-wal` or `-shm` file can be created next to
//! it, and a member of an archive is read the same way as a file. A
//! database that is not SQLite, is damaged or lacks the tables is a clear
//! error on the source, never a panic. [`open_file`] opens a database on
//! disk the other way, read-only and `immutable=1`, for callers that hold a
//! path.

use super::{Format, Method, RecordStats, SourceCtx};
use crate::logs::event::{Draft, Event, Field, Kind};
use rusqlite::{Connection, OpenFlags};
use std::io::Read;
use std::path::Path;

/// The largest database read (wtmpdb rotates; a year of logins of a busy
/// server is a few MB).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// SQLite's file header.
const MAGIC: &[u8] = b"SQLite format 3\0";

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "wtmpdb",
    name_hint,
    sniff_bytes: Some(sniff),
    method: Method::Records(read),
};

/// What went wrong reading a database.
#[derive(Debug, thiserror::Error)]
pub enum WtmpdbError {
    #[error("not an SQLite database: {0}")]
    NotSqlite(String),
    #[error("database larger than {MAX_BYTES} bytes: {0}")]
    TooLarge(String),
    #[error("SQLite database without a wtmp or Lastlog2 table: {0}")]
    WrongSchema(String),
    #[error("damaged SQLite database ({source}): {path}")]
    Sqlite {
        source: rusqlite::Error,
        path: String,
    },
    #[error("damaged SQLite database (quick_check: {what}; {rows} row(s) read): {path}")]
    Damaged {
        what: String,
        rows: usize,
        path: String,
    },
    #[error("read error ({source}): {path}")]
    Io {
        source: std::io::Error,
        path: String,
    },
}

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.ends_with(".db") && (n.contains("wtmp") || n.contains("lastlog")) {
        50
    } else {
        0
    }
}

/// Which of the two databases a schema holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Wtmp,
    Lastlog2,
}

/// The table named in the schema text of the first page, if any.
fn table_in(head: &[u8]) -> Option<Table> {
    let has = |pat: &[u8]| memchr::memmem::find(head, pat).is_some();
    if has(b"TABLE wtmp(") || has(b"TABLE wtmp (") || has(b"TABLE \"wtmp\"") {
        Some(Table::Wtmp)
    } else if has(b"TABLE Lastlog2(") || has(b"TABLE Lastlog2 (") || has(b"TABLE \"Lastlog2\"") {
        Some(Table::Lastlog2)
    } else {
        None
    }
}

fn sniff(head: &[u8], name: &str) -> u32 {
    if !head.starts_with(MAGIC) {
        return 0;
    }
    match table_in(head) {
        Some(_) => 100,
        // An SQLite file whose first page does not show the table (a large
        // schema): the name decides.
        None => name_hint(name) / 2,
    }
}

/// Open a database file read-only and immutable (`file:PATH?mode=ro&
/// immutable=1`): SQLite neither writes nor locks it and creates no
/// journal, `-wal` or `-shm` file beside it.
pub fn open_file(path: &Path) -> Result<Connection, WtmpdbError> {
    let shown = path.display().to_string();
    // A URI path: every byte outside a safe set percent-encoded.
    let mut uri = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(b) {
            uri.push(char::from(*b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&uri, flags).map_err(|source| WtmpdbError::Sqlite {
        source,
        path: shown.clone(),
    })?;
    check(&conn, &shown)?;
    Ok(conn)
}

/// Hand `bytes` (a whole database) to an in-memory SQLite, read-only.
pub fn open_bytes(bytes: &[u8], path: &str) -> Result<Connection, WtmpdbError> {
    if !bytes.starts_with(MAGIC) {
        return Err(WtmpdbError::NotSqlite(path.into()));
    }
    let sq = |source| WtmpdbError::Sqlite {
        source,
        path: path.into(),
    };
    let mut conn = Connection::open_in_memory().map_err(sq)?;
    // A database in WAL mode (header bytes 18 and 19 are 2) cannot be read
    // from memory: the copy (never the evidence) is marked as a rollback
    // journal database. Rows still in a separate `-wal` file are not seen.
    let mut header = [0u8; 100];
    let n = bytes.len().min(100);
    header[..n].copy_from_slice(&bytes[..n]);
    let wal = header[18] == 2 || header[19] == 2;
    if wal {
        header[18] = 1;
        header[19] = 1;
    }
    let reader = std::io::Read::chain(&header[..n], bytes.get(n..).unwrap_or(&[]));
    conn.deserialize_read_exact(rusqlite::MAIN_DB, reader, bytes.len(), true)
        .map_err(sq)?;
    check(&conn, path)?;
    Ok(conn)
}

/// Which table the database holds; a damaged file fails here.
fn check(conn: &Connection, path: &str) -> Result<Table, WtmpdbError> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|source| WtmpdbError::Sqlite {
            source,
            path: path.into(),
        })?;
    if names.iter().any(|n| n.eq_ignore_ascii_case("wtmp")) {
        Ok(Table::Wtmp)
    } else if names.iter().any(|n| n.eq_ignore_ascii_case("Lastlog2")) {
        Ok(Table::Lastlog2)
    } else {
        Err(WtmpdbError::WrongSchema(path.into()))
    }
}

/// One row of either table, as read.
#[derive(Debug, Default, Clone)]
pub struct Row {
    pub id: i64,
    /// wtmpdb's Type (0 empty, 1 boot, 2 runlevel, 3 user process); lastlog2
    /// rows have none.
    pub typ: Option<i64>,
    pub user: String,
    /// Microseconds (wtmpdb) or seconds times 1,000,000 (lastlog2).
    pub login_us: Option<i64>,
    pub logout_us: Option<i64>,
    pub tty: String,
    pub host: String,
    pub service: String,
}

/// Every row of the database's table, in ID (wtmpdb) or name (lastlog2)
/// order.
pub fn rows(conn: &Connection, path: &str) -> Result<(Table, Vec<Row>), WtmpdbError> {
    let table = check(conn, path)?;
    let sq = |source| WtmpdbError::Sqlite {
        source,
        path: path.into(),
    };
    // Columns are read as SQLite values: a text where a number belongs (the
    // tables are not STRICT in every version) becomes None, not an error.
    let text = |v: rusqlite::types::ValueRef<'_>| -> String {
        match v {
            rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                String::from_utf8_lossy(t).into_owned()
            }
            rusqlite::types::ValueRef::Integer(i) => i.to_string(),
            rusqlite::types::ValueRef::Real(f) => f.to_string(),
            rusqlite::types::ValueRef::Null => String::new(),
        }
    };
    let int = |v: rusqlite::types::ValueRef<'_>| -> Option<i64> {
        match v {
            rusqlite::types::ValueRef::Integer(i) => Some(i),
            rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
            _ => None,
        }
    };
    let sql = match table {
        Table::Wtmp => {
            "SELECT ID, Type, User, Login, Logout, TTY, RemoteHost, Service FROM wtmp ORDER BY ID"
        }
        Table::Lastlog2 => {
            "SELECT rowid, NULL, Name, Time, NULL, TTY, RemoteHost, Service FROM Lastlog2 ORDER BY Name"
        }
    };
    let mut st = conn.prepare(sql).map_err(sq)?;
    let mut q = st.query([]).map_err(sq)?;
    let mut out = Vec::new();
    while let Some(r) = q.next().map_err(sq)? {
        let get = |i: usize| r.get_ref(i).unwrap_or(rusqlite::types::ValueRef::Null);
        let scale = |v: Option<i64>| match table {
            Table::Wtmp => v,
            Table::Lastlog2 => v.map(|s| s.saturating_mul(1_000_000)),
        };
        out.push(Row {
            id: int(get(0)).unwrap_or(0),
            typ: int(get(1)),
            user: text(get(2)),
            login_us: scale(int(get(3))),
            logout_us: int(get(4)),
            tty: text(get(5)),
            host: text(get(6)),
            service: text(get(7)),
        });
    }
    Ok((table, out))
}

/// wtmpdb's name of a Type.
fn type_name(t: Option<i64>) -> &'static str {
    match t {
        Some(0) => "EMPTY",
        Some(1) => "BOOT_TIME",
        Some(2) => "RUNLEVEL",
        Some(3) => "USER_PROCESS",
        None => "LASTLOG",
        _ => "UNKNOWN",
    }
}

/// The events of one row: a login (or boot) and, when the row has one, its
/// logout (or shutdown).
pub fn events_of(table: Table, row: &Row, source: u32, index: &mut u64, out: &mut Vec<Event>) {
    let mut d = Draft::default();
    let program = match table {
        Table::Wtmp => "wtmpdb",
        Table::Lastlog2 => "lastlog2",
    };
    let mut push = |what: &str, at: Option<i64>, kind: Kind, out: &mut Vec<Event>| {
        let mut text = String::with_capacity(128);
        let mut spans: Vec<(Field, usize, usize)> = Vec::new();
        let mut put = |text: &mut String, key: &str, val: &str, f: Option<Field>| {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(key);
            text.push('=');
            let s = text.len();
            text.push_str(val);
            if let Some(f) = f {
                spans.push((f, s, text.len()));
            }
        };
        put(&mut text, "type", what, Some(Field::Detail));
        put(&mut text, "id", &row.id.to_string(), None);
        put(
            &mut text,
            "user",
            &row.user,
            (!row.user.is_empty()).then_some(Field::User),
        );
        put(&mut text, "tty", &row.tty, Some(Field::Target));
        // A boot row's RemoteHost is the kernel release, not an address.
        let remote = !row.host.is_empty() && !matches!(row.typ, Some(1 | 2));
        put(&mut text, "host", &row.host, remote.then_some(Field::Ip));
        put(&mut text, "service", &row.service, None);
        d.reset(&text);
        for (f, s, e) in spans {
            d.set(f, s, e);
        }
        d.set_owned(Field::Program, program);
        d.time_us = at;
        d.kind = kind;
        *index += 1;
        out.push(d.finish(source, *index));
    };
    match (table, row.typ) {
        (Table::Lastlog2, _) => {
            // Time 0: the account never logged in.
            let at = row.login_us.filter(|&t| t != 0);
            let kind = if at.is_some() {
                Kind::Login
            } else {
                Kind::Info
            };
            push("LASTLOG", at, kind, out);
        }
        (Table::Wtmp, Some(1)) => {
            push("BOOT_TIME", row.login_us, Kind::System, out);
            if row.logout_us.is_some() {
                push("SHUTDOWN", row.logout_us, Kind::System, out);
            }
        }
        (Table::Wtmp, Some(3)) => {
            push("USER_PROCESS", row.login_us, Kind::Login, out);
            if row.logout_us.is_some() {
                push("DEAD_PROCESS", row.logout_us, Kind::Logout, out);
            }
        }
        (Table::Wtmp, Some(2)) => push("RUNLEVEL", row.login_us, Kind::System, out),
        (Table::Wtmp, t) => push(type_name(t), row.login_us, Kind::Info, out),
    }
}

/// Read a whole database from a stream (the registry's record reader).
pub fn read(
    input: &mut dyn Read,
    ctx: &SourceCtx,
    source: u32,
    out: &mut Vec<Event>,
) -> std::io::Result<RecordStats> {
    let mut stats = RecordStats::default();
    match read_db(input, ctx, source, out) {
        Ok(notes) => stats.notes = notes,
        Err(e) => {
            let msg = e.to_string();
            stats.notes.push(msg.clone());
            stats.error = Some(msg);
        }
    }
    Ok(stats)
}

fn read_db(
    input: &mut dyn Read,
    ctx: &SourceCtx,
    source: u32,
    out: &mut Vec<Event>,
) -> Result<Vec<String>, WtmpdbError> {
    let path = ctx.path.as_str();
    let mut bytes = Vec::new();
    input
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| WtmpdbError::Io {
            source,
            path: path.into(),
        })?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(WtmpdbError::TooLarge(path.into()));
    }
    let wal = bytes.get(18) == Some(&2) || bytes.get(19) == Some(&2);
    let conn = open_bytes(&bytes, path)?;
    drop(bytes);
    let (table, rows) = rows(&conn, path)?;
    let mut index = 0u64;
    for row in &rows {
        events_of(table, row, source, &mut index, out);
    }
    let mut notes = vec![format!(
        "{} database: {} row(s), {} event(s)",
        match table {
            Table::Wtmp => "wtmpdb",
            Table::Lastlog2 => "lastlog2",
        },
        rows.len(),
        index
    )];
    // Rows may read while pages are damaged: SQLite's own check says so.
    let verdict: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .unwrap_or_else(|e| e.to_string());
    if verdict != "ok" {
        return Err(WtmpdbError::Damaged {
            what: verdict,
            rows: rows.len(),
            path: path.into(),
        });
    }
    if wal {
        notes.push(
            "the database is in WAL mode: rows still in its -wal file (not read) are missing"
                .into(),
        );
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(sql: &str) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.db");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(sql).unwrap();
        drop(c);
        std::fs::read(p).unwrap()
    }

    #[test]
    fn open_file_takes_any_path_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a b?c#%d.db");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT); INSERT INTO Lastlog2 VALUES ('root', 1, 'tty1', NULL, 'login');",
        )
        .unwrap();
        drop(c);
        let before: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let bytes = std::fs::read(&p).unwrap();
        let conn = open_file(&p).unwrap();
        let (table, rows) = rows(&conn, "x").unwrap();
        assert_eq!(table, Table::Lastlog2);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].login_us, Some(1_000_000));
        drop(conn);
        let after: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(before, after);
        assert_eq!(std::fs::read(&p).unwrap(), bytes);
    }

    #[test]
    fn garbage_and_wrong_schema_are_errors() {
        let mut out = Vec::new();
        let ctx = SourceCtx {
            path: "/var/lib/wtmpdb/wtmp.db".into(),
            ..Default::default()
        };
        let st = read(&mut &b"not a database"[..], &ctx, 0, &mut out).unwrap();
        assert!(st.error.unwrap().contains("not an SQLite database"));
        let mut bytes = db("CREATE TABLE other(x INTEGER);");
        let st = read(&mut bytes.as_slice(), &ctx, 0, &mut out).unwrap();
        assert!(st.error.unwrap().contains("without a wtmp"), "{bytes:?}");
        // A damaged page after the header.
        let n = bytes.len();
        for b in &mut bytes[100..n.min(4096)] {
            *b = 0xff;
        }
        let st = read(&mut bytes.as_slice(), &ctx, 0, &mut out).unwrap();
        assert!(st.error.is_some());
        assert!(out.is_empty());
    }
}
