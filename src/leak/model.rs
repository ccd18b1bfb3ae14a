//! The leak validator's request and answer types (`leak::model`): what the
//! CLI, the investigation, the report and the GUI exchange. The JSON of
//! [`LeakReport`] is `exhibit leak --json`'s output; field names and order
//! are part of the CLI contract (docs/investigation.md).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The formats a published sample can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleFormat {
    /// Delimited text (comma, tab, semicolon, pipe...), with or without a
    /// header row, quoted fields.
    Csv,
    /// One JSON document: an array of objects or arrays (or an object
    /// holding one).
    Json,
    /// One JSON object per line.
    JsonLines,
    /// MySQL `INSERT INTO t (...) VALUES (...),(...);` statements.
    MysqlDump,
    /// PostgreSQL `COPY t (...) FROM stdin;` blocks.
    PostgresCopy,
    /// One value per line: emails, usernames, `user:hash` pairs.
    Lines,
}

impl SampleFormat {
    pub const ALL: [SampleFormat; 6] = [
        SampleFormat::Csv,
        SampleFormat::Json,
        SampleFormat::JsonLines,
        SampleFormat::MysqlDump,
        SampleFormat::PostgresCopy,
        SampleFormat::Lines,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            SampleFormat::Csv => "csv",
            SampleFormat::Json => "json",
            SampleFormat::JsonLines => "jsonl",
            SampleFormat::MysqlDump => "mysql",
            SampleFormat::PostgresCopy => "postgres",
            SampleFormat::Lines => "lines",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// What to validate.
#[derive(Debug, Clone, Default)]
pub struct LeakRequest {
    /// The published sample.
    pub sample: PathBuf,
    /// Evidence archives or folders holding the candidate internal records
    /// (and the logs that tell who read them).
    pub evidence: Vec<PathBuf>,
    /// Force the sample's format instead of detecting it.
    pub format: Option<SampleFormat>,
    /// Put real values in the report (examples, `user` of accessors stays
    /// as is). Default: masked (`j***@example.com`).
    pub show_values: bool,
}

/// The verdict on a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The rows come from records in the evidence.
    Genuine,
    /// Most rows come from the evidence, some were made up or come from
    /// elsewhere (`fabricated` lists them).
    GenuineWithFabricatedRows,
    /// The evidence holds records of this shape but the sample's rows are
    /// not among them (or the evidence holds no such records at all).
    NotFromTheseRecords,
    /// Too few distinctive fields to decide either way.
    CannotTell,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Genuine => "genuine",
            Verdict::GenuineWithFabricatedRows => "genuine_with_fabricated_rows",
            Verdict::NotFromTheseRecords => "not_from_these_records",
            Verdict::CannotTell => "cannot_tell",
        }
    }
}

/// What the sample is.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SampleInfo {
    pub path: String,
    pub sha256: String,
    pub format: Option<SampleFormat>,
    /// The delimiter, for delimited text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Column names (from the header, the JSON keys or the SQL column
    /// list; `column_1`... when there are none).
    pub columns: Vec<String>,
}

/// Someone who read or downloaded a source file, from the logs in the
/// evidence. Exactly one of `ip` and `user` is set.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct Accessor {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// First and last access, RFC 3339 UTC.
    pub first: Option<String>,
    pub last: Option<String>,
    pub requests: u64,
    /// Bytes served (web logs), when known.
    pub bytes: u64,
    /// How: `http GET 200`, `shell: cp`, `sftp`, `scp`...
    pub how: String,
    /// Where the logs say so: `path:line` of the first access.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// An internal file the sample's rows were found in.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct LeakSource {
    /// The archive or folder.
    pub snapshot: String,
    /// The logical path in it (`/srv/app/exports/clients.csv`, or
    /// `/backup/db.tar.gz!dump.sql` for a member of a compressed file).
    pub path: String,
    /// The SQL table the rows are in, for a dump holding several (added
    /// with the validator; absent for other formats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Records the file holds.
    pub records: u64,
    /// Sample rows found in it.
    pub matched_rows: u64,
    /// When the file was first seen: its modification time (RFC 3339 UTC).
    pub first_seen: Option<String>,
    pub accessed_by: Vec<Accessor>,
    /// Set when the file's bytes, as read, are not the ones its archive
    /// sealed: what differs. Its rows may have been altered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altered: Option<String>,
}

/// One sample row shown as an example (masked unless `show_values`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RowExample {
    /// Line number in the sample.
    pub line: u64,
    /// `matched`, `partial` or `fabricated`.
    pub state: String,
    /// Column name → value (masked unless asked).
    pub values: BTreeMap<String, String>,
    /// The source and record line it matched, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The answer: `exhibit leak --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeakReport {
    pub verdict: Verdict,
    /// Sample rows read.
    pub rows: u64,
    /// Rows whose distinctive fields all equal one internal record.
    pub matched: u64,
    /// Rows that equal an internal record on some distinctive fields and
    /// differ on others.
    pub partial: u64,
    /// Line numbers of rows found nowhere in the evidence.
    pub fabricated: Vec<u64>,
    /// Sample column → internal column it was matched to.
    pub columns: BTreeMap<String, String>,
    pub sources: Vec<LeakSource>,
    /// The verdict in words, one reason a line.
    pub reasons: Vec<String>,
    pub sample: SampleInfo,
    /// A few rows of each state, masked unless asked.
    pub examples: Vec<RowExample>,
    /// Candidate files read, and what could not be read (with the reason).
    pub candidates_read: u64,
    pub notes: Vec<String>,
}

impl LeakReport {
    /// The first `max` fabricated line numbers, comma-separated, and how
    /// many more there are: what every front end prints of the list.
    pub fn fabricated_lines(&self, max: usize) -> (String, usize) {
        let shown: Vec<String> = self
            .fabricated
            .iter()
            .take(max)
            .map(u64::to_string)
            .collect();
        (shown.join(", "), self.fabricated.len().saturating_sub(max))
    }
}

/// A failure that stops validation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LeakError {
    #[error("cannot read the sample: {0}: {1}")]
    Sample(std::io::Error, PathBuf),
    #[error("the sample holds no rows Exhibit can read ({0}): {1}")]
    EmptySample(String, PathBuf),
    #[error("cannot open evidence: {0}")]
    Evidence(String),
    #[error("cancelled")]
    Cancelled,
}
