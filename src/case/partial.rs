//! Deleting an interrupted capture's `.partial` from a case folder. A
//! cancelled or failed capture leaves `<stem>.zip.partial` (or
//! `.zip.age.partial`), never evidence; the examiner may delete it, and
//! the deletion is first written to the case's notes (who, when, the file,
//! its size and SHA-256, why). Nothing that is not a `.partial` directly in
//! the case folder is ever deleted here.

use super::notes;
use crate::job::CancelToken;
use sha2::{Digest as _, Sha256};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// A `.partial` changed more recently than this may still be written by a
/// capture running now (in this window or another process).
pub const QUIET_SECS: u64 = 120;

/// Larger files are deleted without their SHA-256 (hashing them would make
/// the examiner wait for a file that is not evidence).
pub const MAX_HASH_BYTES: u64 = 1 << 30;

/// Whether `name` is the name of an interrupted capture's file.
pub fn is_partial_name(name: &str) -> bool {
    name.ends_with(".zip.partial") || name.ends_with(".zip.age.partial")
}

/// What was deleted, as written in the case notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub path: PathBuf,
    pub size_bytes: u64,
    /// `None` when larger than [`MAX_HASH_BYTES`].
    pub sha256: Option<String>,
    /// The notes file the deletion was recorded in.
    pub notes: PathBuf,
}

/// Delete the `.partial` at `file` from the case folder `case_dir`,
/// recorded in the case notes as done by `who` for `why`. Refuses anything
/// that is not a regular `*.zip.partial`/`*.zip.age.partial` file directly
/// in a case folder, and a file changed in the last [`QUIET_SECS`].
pub fn delete(
    case_dir: &Path,
    file: &Path,
    who: &str,
    why: &str,
    cancel: &CancelToken,
) -> anyhow::Result<Deleted> {
    let (who, why) = (who.trim(), why.trim());
    if who.is_empty() {
        anyhow::bail!("say who deletes it (it is recorded in the case notes)");
    }
    if why.is_empty() {
        anyhow::bail!("say why it is deleted (it is recorded in the case notes)");
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !is_partial_name(&name) {
        anyhow::bail!(
            "only an interrupted capture's .zip.partial can be deleted: {}",
            file.display()
        );
    }
    if std::fs::symlink_metadata(case_dir.join(super::CASE_FILE)).is_err() {
        anyhow::bail!("not a case folder: {}", case_dir.display());
    }
    let same_dir = match (
        file.parent().map(std::fs::canonicalize),
        case_dir.canonicalize(),
    ) {
        (Some(Ok(a)), Ok(b)) => a == b,
        _ => false,
    };
    if !same_dir {
        anyhow::bail!("the file is not in the case folder: {}", file.display());
    }
    let path = case_dir.join(&name);
    let meta = std::fs::symlink_metadata(&path)
        .map_err(|e| anyhow::anyhow!("cannot read it: {e}: {}", path.display()))?;
    if !meta.file_type().is_file() {
        anyhow::bail!("not a regular file: {}", path.display());
    }
    let age = meta
        .modified()
        .ok()
        .and_then(|m| m.elapsed().ok())
        .map_or(0, |d| d.as_secs());
    if age < QUIET_SECS {
        anyhow::bail!(
            "it changed {age} s ago: a capture may still be writing it; cancel that capture \
             or wait {QUIET_SECS} s: {}",
            path.display()
        );
    }
    let size_bytes = meta.len();
    let identity = crate::platform::meta::identity(&meta);
    let sha256 = if size_bytes <= MAX_HASH_BYTES {
        Some(hash(&path, cancel)?)
    } else {
        None
    };
    // The file must be the one measured and hashed.
    let now = std::fs::symlink_metadata(&path)
        .map_err(|e| anyhow::anyhow!("cannot read it: {e}: {}", path.display()))?;
    if crate::platform::meta::identity(&now) != identity || now.len() != size_bytes {
        anyhow::bail!(
            "it changed while it was hashed; nothing deleted: {}",
            path.display()
        );
    }
    // Recorded first: a deletion that is not in the notes never happens.
    let notes = notes::append(
        case_dir,
        notes::Entry {
            title: "deleted an incomplete capture".into(),
            fields: vec![
                ("file".into(), name.clone()),
                ("size".into(), format!("{size_bytes} bytes")),
                (
                    "SHA-256".into(),
                    sha256.clone().unwrap_or_else(|| {
                        format!("not computed (larger than {MAX_HASH_BYTES} bytes)")
                    }),
                ),
                ("by".into(), who.to_string()),
                ("why".into(), why.to_string()),
            ],
            ..notes::Entry::default()
        },
    )?;
    if let Err(e) = std::fs::remove_file(&path) {
        let _ = notes::append(
            case_dir,
            notes::Entry {
                title: "the deletion above failed".into(),
                fields: vec![("error".into(), e.to_string())],
                ..notes::Entry::default()
            },
        );
        anyhow::bail!("cannot delete it: {e}: {}", path.display());
    }
    Ok(Deleted {
        path,
        size_bytes,
        sha256,
        notes,
    })
}

fn hash(path: &Path, cancel: &CancelToken) -> anyhow::Result<String> {
    let mut f = crate::archive::regular::open_regular(path)
        .map_err(|e| anyhow::anyhow!("cannot read it: {e}: {}", path.display()))?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.is_cancelled() {
            anyhow::bail!("cancelled; nothing deleted");
        }
        let n = f
            .read(&mut buf)
            .map_err(|e| anyhow::anyhow!("cannot read it: {e}: {}", path.display()))?;
        if n == 0 {
            break;
        }
        sha.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode(sha.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn aged(p: &Path) {
        let f = std::fs::File::options().write(true).open(p).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(QUIET_SECS + 5))
            .unwrap();
    }

    #[test]
    fn deletes_only_an_old_partial_of_the_case_and_records_it() {
        let tmp = tempfile::tempdir().unwrap();
        let case = tmp.path().join("case");
        std::fs::create_dir(&case).unwrap();
        std::fs::write(case.join("case.json"), b"{}").unwrap();
        let c = CancelToken::new();
        let p = case.join("IR_E01_h_x.zip.partial");
        std::fs::write(&p, b"abc").unwrap();
        // Too fresh: a capture may be writing it.
        assert!(delete(&case, &p, "Dana", "failed", &c).is_err());
        aged(&p);
        // Not a partial, outside the case, or no name / reason.
        let zip = case.join("IR_E01_h_x.zip");
        std::fs::write(&zip, b"evidence").unwrap();
        aged(&zip);
        assert!(delete(&case, &zip, "Dana", "x", &c).is_err());
        let outside = tmp.path().join("other.zip.partial");
        std::fs::write(&outside, b"x").unwrap();
        aged(&outside);
        assert!(delete(&case, &outside, "Dana", "x", &c).is_err());
        assert!(delete(&case, &p, "", "x", &c).is_err());
        assert!(delete(&case, &p, "Dana", " ", &c).is_err());
        assert!(p.exists() && zip.exists() && outside.exists());
        assert!(
            !notes::path(&case).exists(),
            "nothing recorded for a refusal"
        );
        let d = delete(&case, &p, "Dana", "capture cancelled", &c).unwrap();
        assert!(!p.exists());
        assert_eq!(d.size_bytes, 3);
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(d.sha256.as_deref(), Some(sha));
        let notes = std::fs::read_to_string(notes::path(&case)).unwrap();
        for want in [
            "IR_E01_h_x.zip.partial",
            "3 bytes",
            sha,
            "by: Dana",
            "why: capture cancelled",
        ] {
            assert!(notes.contains(want), "{want} in {notes}");
        }
    }
}
