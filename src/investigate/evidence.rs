//! The evidence as the investigation reads it (`investigate::evidence`):
//! every archive or folder opened as a [`Snapshot`], tied to its host (the
//! archive's `acquisition.json`, else the snapshot's `/etc/hostname`) and its
//! capture time, grouped by host and ordered, so that each host has a
//! baseline and an incident (or only one snapshot), and small helpers to
//! read a file of a snapshot with a size cap.

use super::model::{EvidenceItem, InvestigateError};
use crate::archive::Archive;
use crate::job::{CancelToken, ProgressSink};
use crate::snapshot::{Snapshot, SnapshotKind, TimeNs, format_time};
use std::path::{Path, PathBuf};

/// The most read of one small text file of a snapshot (configuration,
/// account databases, history, authorized_keys).
pub const MAX_TEXT: u64 = 4 << 20;

/// One opened evidence item.
pub struct Snap {
    /// As given.
    pub path: PathBuf,
    pub label: String,
    pub snapshot: Snapshot,
    pub host: String,
    /// Capture start (archives only).
    pub captured_ns: Option<TimeNs>,
    pub item: EvidenceItem,
}

/// The snapshots of one host, oldest first.
pub struct Host {
    pub name: String,
    pub snaps: Vec<Snap>,
}

impl Host {
    /// The baseline, when the host has two snapshots or more.
    pub fn baseline(&self) -> Option<&Snap> {
        (self.snaps.len() > 1).then(|| self.snaps.first()).flatten()
    }

    /// The latest snapshot (the incident, or the only one).
    pub fn latest(&self) -> Option<&Snap> {
        self.snaps.last()
    }
}

/// Read a file of a snapshot as text (lossy), at most `max` bytes.
pub fn read_text(snap: &Snapshot, path: &str, max: u64) -> Option<String> {
    let e = snap.get(path)?;
    if !e.has_content() {
        return None;
    }
    let bytes = snap.read_prefix(e, max).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Open every evidence item and group them by host, each host's snapshots
/// ordered by capture time (items without one keep the order they were
/// given in, after the timed ones of their host).
pub fn open_all(
    paths: &[PathBuf],
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
    notes: &mut Vec<String>,
) -> Result<Vec<Host>, InvestigateError> {
    let mut snaps = Vec::new();
    for (given, path) in paths.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(InvestigateError::Cancelled);
        }
        let opened = Snapshot::open(path, progress, cancel);
        // An encrypted archive nobody unlocked yet is left out with a note
        // (the answers say so), rather than stopping every other answer.
        if let Err(crate::snapshot::SnapshotError::Archive(crate::archive::ArchiveError::Locked(
            _,
        ))) = &opened
        {
            notes.push(format!(
                "left out, encrypted and not unlocked: unlock it (the workstation's Unlock, or \
                 exhibit decrypt --identity) and investigate again to include it: {}",
                path.display()
            ));
            continue;
        }
        let snapshot = opened.map_err(|e| match e {
            crate::snapshot::SnapshotError::Cancelled => InvestigateError::Cancelled,
            e => {
                let msg = e.to_string();
                let shown = path.display().to_string();
                if msg.contains(&shown) {
                    InvestigateError::Evidence(msg)
                } else {
                    InvestigateError::Evidence(format!("{msg}: {shown}"))
                }
            }
        })?;
        for p in snapshot.problems.iter().take(5) {
            notes.push(format!("{}: {p}", path.display()));
        }
        let (acq_host, captured_ns) = if snapshot.kind == SnapshotKind::Archive {
            match Archive::open(path).and_then(|a| a.acquisition()) {
                Ok(a) => (
                    a.host.hostname.clone(),
                    crate::snapshot::parse_time(&a.started_at),
                ),
                Err(e) => {
                    notes.push(format!(
                        "acquisition.json could not be read ({e}): {}",
                        path.display()
                    ));
                    (None, snapshot.taken_at_ns)
                }
            }
        } else {
            (None, None)
        };
        let host = acq_host
            .filter(|h| !h.trim().is_empty())
            .or_else(|| {
                read_text(&snapshot, "/etc/hostname", 256)
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty() && h.len() < 256)
            })
            .unwrap_or_else(|| "unknown host".to_string());
        let label = path.display().to_string();
        let item = EvidenceItem {
            path: label.clone(),
            kind: match snapshot.kind {
                SnapshotKind::Archive => "archive",
                _ => "directory",
            }
            .into(),
            host: Some(host.clone()),
            captured_at: captured_ns.map(format_time),
            role: String::new(),
        };
        snaps.push((
            given,
            host,
            captured_ns,
            label,
            path.clone(),
            snapshot,
            item,
        ));
    }
    let mut hosts: Vec<Host> = Vec::new();
    for (_, host, captured_ns, label, path, snapshot, item) in snaps {
        let snap = Snap {
            path,
            label,
            snapshot,
            host: host.clone(),
            captured_ns,
            item,
        };
        match hosts.iter_mut().find(|h| h.name == host) {
            Some(h) => h.snaps.push(snap),
            None => hosts.push(Host {
                name: host,
                snaps: vec![snap],
            }),
        }
    }
    for h in &mut hosts {
        // Stable: untimed items keep their given order, after timed ones.
        h.snaps
            .sort_by_key(|s| (s.captured_ns.is_none(), s.captured_ns.unwrap_or(0)));
        let n = h.snaps.len();
        for (i, s) in h.snaps.iter_mut().enumerate() {
            s.item.role = match (n, i) {
                (1, _) => "only",
                (_, 0) => "baseline",
                _ => "incident",
            }
            .into();
        }
        if n > 2 {
            notes.push(format!(
                "{}: {n} snapshots; the earliest is compared with the latest, the ones between are not read",
                h.name
            ));
        }
    }
    Ok(hosts)
}

/// The logical path of a file under an evidence folder, when `fs_path` is
/// inside `root` (`/case/incident/var/log/auth.log` → `/var/log/auth.log`).
pub fn logical_in(root: &Path, fs_path: &str) -> Option<String> {
    let rest = Path::new(fs_path).strip_prefix(root).ok()?;
    Some(format!("/{}", rest.to_string_lossy()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_paths_under_a_folder() {
        assert_eq!(
            logical_in(Path::new("/case/inc"), "/case/inc/var/log/auth.log").as_deref(),
            Some("/var/log/auth.log")
        );
        assert_eq!(logical_in(Path::new("/case/inc"), "/other/x"), None);
    }
}
