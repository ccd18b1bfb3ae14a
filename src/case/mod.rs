//! Case folders: a directory holding `case.json` (case id, title,
//! organisation, examiner, display time zone) beside the case's evidence
//! archives and their custody logs. Every function here touches the disk and
//! is called from a background job, never from a frame.

pub mod checklist;
pub mod custody_log;
pub mod notes;
pub mod partial;
pub mod seal_check;
pub mod trust;

use custody_log::VerificationState;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file that marks a folder as a case.
pub const CASE_FILE: &str = "case.json";

/// The case's own indicator lists (IOCs): every file in this folder of the
/// case folder, used by every analysis screen besides the examiner's own
/// lists (docs/ioc.md).
pub const IOC_DIR: &str = "ioc";

/// The contents of `case.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseInfo {
    pub case_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub examiner: String,
    /// IANA name or UTC offset used to show local times beside UTC.
    #[serde(default)]
    pub timezone: String,
    /// When the case folder was created (RFC 3339 UTC).
    #[serde(default)]
    pub created_at: String,
}

/// One archive in a case folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    pub path: PathBuf,
    pub size_bytes: u64,
    /// Modification time of the file (RFC 3339 UTC).
    pub modified: String,
    pub custody_events: usize,
    pub verification: VerificationState,
}

impl ArchiveEntry {
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// An open case: its folder, `case.json` and archives (sorted by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFolder {
    pub dir: PathBuf,
    pub info: CaseInfo,
    pub archives: Vec<ArchiveEntry>,
    /// The case's indicator lists: the files in `ioc/` (sorted).
    pub ioc_lists: Vec<PathBuf>,
}

impl CaseFolder {
    /// The first evidence ID from `start` on (`E01`, `E02`, …, see
    /// [`next_evidence_id`]) that no archive of the case carries in its
    /// name (`CASE_E01_host_time.zip`), so a new capture never repeats an
    /// item's ID.
    pub fn free_evidence_id(&self, start: &str) -> String {
        let case = crate::archive::names::safe_component(&self.info.case_id);
        let used = |id: &str| {
            let prefix = format!("{case}_{}_", crate::archive::names::safe_component(id));
            // An interrupted capture's `.partial` is not evidence: its ID
            // is free for the capture that replaces it.
            self.archives.iter().any(|a| {
                a.verification != VerificationState::Incomplete
                    && a.file_name().starts_with(&prefix)
            })
        };
        let mut id = start.to_string();
        for _ in 0..10_000 {
            if !used(&id) {
                break;
            }
            id = next_evidence_id(&id);
        }
        id
    }
}

/// The evidence ID after `id`: its trailing number plus one, as wide as it
/// was (`E01` -> `E02`, `E09` -> `E10`, `HD-099` -> `HD-100`); an ID without
/// a number gets `-2`.
pub fn next_evidence_id(id: &str) -> String {
    let digits = id.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (stem, num) = id.split_at(id.len() - digits);
    match num.parse::<u64>() {
        Ok(n) => format!("{stem}{:0width$}", n + 1, width = digits),
        Err(_) => format!("{id}-2"),
    }
}

/// Create a new case folder (the folder may exist but must not hold a case).
pub fn create(dir: &Path, mut info: CaseInfo) -> anyhow::Result<CaseFolder> {
    if info.case_id.trim().is_empty() {
        anyhow::bail!("a case ID is required");
    }
    if dir.as_os_str().is_empty() {
        anyhow::bail!("choose a folder for the case");
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create the case folder: {e}: {}", dir.display()))?;
    let file = dir.join(CASE_FILE);
    if file.exists() {
        anyhow::bail!(
            "this folder already holds a case; open it instead: {}",
            file.display()
        );
    }
    if info.created_at.is_empty() {
        info.created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    }
    let mut json = serde_json::to_vec_pretty(&info)?;
    json.push(b'\n');
    // create_new: never overwrite a case.json that appeared meanwhile.
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .and_then(|mut f| f.write_all(&json).and_then(|()| f.sync_all()))
        .map_err(|e| anyhow::anyhow!("cannot write the case file: {e}: {}", file.display()))?;
    open(dir)
}

/// Open an existing case folder (or the folder of a `case.json`).
pub fn open(path: &Path) -> anyhow::Result<CaseFolder> {
    let dir = if path.file_name().is_some_and(|n| n == CASE_FILE) {
        path.parent().unwrap_or(path).to_path_buf()
    } else {
        path.to_path_buf()
    };
    let file = dir.join(CASE_FILE);
    let raw = std::fs::read(&file).map_err(|e| {
        anyhow::anyhow!(
            "not a case folder (no readable {CASE_FILE}): {e}: {}",
            file.display()
        )
    })?;
    let info: CaseInfo = serde_json::from_slice(&raw)
        .map_err(|e| anyhow::anyhow!("{CASE_FILE} is not valid: {e}: {}", file.display()))?;
    let archives = list_archives(&dir)?;
    let ioc_lists = ioc_lists(&dir);
    Ok(CaseFolder {
        dir,
        info,
        archives,
        ioc_lists,
    })
}

/// The regular files in the case's `ioc/` folder, by name (none when it
/// does not exist); hidden files and sub-folders are left out.
pub fn ioc_lists(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir.join(IOC_DIR)) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Every `*.zip` and `*.zip.partial` in the folder (and `*.zip.age`,
/// `*.zip.age.partial`: encrypted) with its verification
/// state as recorded by the last `verified` event of its custody log.
pub fn list_archives(dir: &Path) -> anyhow::Result<Vec<ArchiveEntry>> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot list the case folder: {e}: {}", dir.display()))?;
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial = name.ends_with(".zip.partial") || name.ends_with(".zip.age.partial");
        if !(partial || crate::archive::is_archive_name(&path)) {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) if m.is_file() => m,
            _ => continue,
        };
        let modified = meta
            .modified()
            .ok()
            .map(|t| {
                chrono::DateTime::<chrono::Utc>::from(t)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
            .unwrap_or_default();
        let (events, verification) = if partial {
            (0, VerificationState::Incomplete)
        } else {
            let log = crate::archive::custody_log_path(&path);
            let lines = custody_log::read(&log)
                .map(|l| l.events)
                .unwrap_or_default();
            (lines.len(), custody_log::last_verification(&lines))
        };
        out.push(ArchiveEntry {
            path,
            size_bytes: meta.len(),
            modified,
            custody_events: events,
            verification,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_evidence_id_is_one_no_archive_of_the_case_carries() {
        let dir = tempfile::tempdir().unwrap();
        let info = CaseInfo {
            case_id: "IR 7".into(),
            ..Default::default()
        };
        let mut case = create(dir.path(), info).unwrap();
        assert_eq!(case.free_evidence_id("E01"), "E01");
        for name in [
            "IR-7_E01_web01_20261203T141744Z.zip",
            "IR-7_E02_web01_20261203T141745Z.zip.age",
            "IR-7_E010_db01_20261203T141745Z.zip",
            "IR-7_E03_web01_20261203T141746Z.zip.partial",
        ] {
            case.archives.push(ArchiveEntry {
                path: dir.path().join(name),
                size_bytes: 0,
                modified: String::new(),
                custody_events: 0,
                verification: if name.ends_with(".partial") {
                    VerificationState::Incomplete
                } else {
                    VerificationState::NotVerified
                },
            });
        }
        // The case ID as archive names write it (`IR 7` -> `IR-7`).
        assert_eq!(case.free_evidence_id("E01"), "E03");
        assert_eq!(case.free_evidence_id("E09"), "E09");
        assert_eq!(next_evidence_id("HD-099"), "HD-100");
    }

    #[test]
    fn create_then_open_reads_back_and_refuses_twice() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("case-7");
        let info = CaseInfo {
            case_id: "IR-7".into(),
            title: "Web server".into(),
            organisation: "ACME".into(),
            examiner: "Dana".into(),
            timezone: "UTC".into(),
            created_at: String::new(),
        };
        let c = create(&dir, info).unwrap();
        assert_eq!(c.info.case_id, "IR-7");
        assert!(!c.info.created_at.is_empty());
        std::fs::write(dir.join("a.zip"), b"x").unwrap();
        std::fs::write(dir.join("b.zip.partial"), b"x").unwrap();
        std::fs::write(dir.join("c.zip.age"), b"x").unwrap();
        std::fs::write(dir.join("d.zip.age.partial"), b"x").unwrap();
        std::fs::write(dir.join("notes.txt"), b"x").unwrap();
        let again = open(&dir.join(CASE_FILE)).unwrap();
        assert_eq!(again.info.title, "Web server");
        let names: Vec<_> = again.archives.iter().map(ArchiveEntry::file_name).collect();
        assert_eq!(
            names,
            ["a.zip", "b.zip.partial", "c.zip.age", "d.zip.age.partial"]
        );
        assert_eq!(
            again.archives[3].verification,
            VerificationState::Incomplete
        );
        assert_eq!(
            again.archives[0].verification,
            VerificationState::NotVerified
        );
        assert_eq!(
            again.archives[1].verification,
            VerificationState::Incomplete
        );
        let e = create(&dir, again.info).unwrap_err().to_string();
        assert!(e.contains("already holds a case"), "{e}");
    }

    #[test]
    fn open_non_case_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let e = open(tmp.path()).unwrap_err().to_string();
        assert!(e.contains("not a case folder"), "{e}");
    }
}
