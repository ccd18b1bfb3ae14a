//! Does an archive's file still hash to the SHA-256 its `sealed` custody
//! event recorded? The workstation asks this of every archive of a case in
//! a background job ([`check_seal`] streams the whole file, with a cancel
//! check between chunks) and keeps the answer by (path, size, mtime), so an
//! archive swapped or altered under its custody log is marked red
//! wherever it is used, without waiting for a full Verify.

use super::custody_log::EventRow;
use crate::job::CancelToken;
use sha2::Digest as _;
use std::io::Read;
use std::path::Path;

/// The archive's file against its `sealed` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealState {
    /// The file hashes to the sealed SHA-256.
    Matches,
    /// The file is not the one sealed.
    Differs { sealed: String, actual: String },
    /// The custody log has no readable `sealed` event (nothing to compare).
    NoSealedEvent,
    /// The file or its log could not be read, or the check was cancelled.
    Unknown(String),
}

impl SealState {
    /// A sentence for people, when the state is a problem.
    pub fn problem(&self) -> Option<String> {
        match self {
            SealState::Differs { sealed, actual } => Some(format!(
                "the file's SHA-256 is {actual}, but its sealed custody event recorded {sealed}: the archive was replaced or altered"
            )),
            _ => None,
        }
    }
}

/// The SHA-256 the first `sealed` event of a log recorded for its archive.
pub fn sealed_sha256(events: &[EventRow]) -> Option<String> {
    events
        .iter()
        .find(|e| e.action == "sealed")
        .and_then(|e| e.raw.as_ref())
        .and_then(|v| v.get("archive"))
        .and_then(|a| a.get("sha256"))
        .and_then(|s| s.as_str())
        .map(str::to_ascii_lowercase)
}

/// Hash the archive at `path` and compare it with the `sealed` event of
/// the custody log beside it.
pub fn check_seal(path: &Path, cancel: &CancelToken) -> SealState {
    let log = crate::archive::custody_log_path(path);
    let events = match super::custody_log::read(&log) {
        Ok(l) => l.events,
        Err(_) => return SealState::NoSealedEvent,
    };
    let Some(sealed) = sealed_sha256(&events) else {
        return SealState::NoSealedEvent;
    };
    let mut f = match crate::archive::regular::open_regular(path) {
        Ok(f) => f,
        Err(e) => return SealState::Unknown(format!("cannot read the archive: {e}")),
    };
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.is_cancelled() {
            return SealState::Unknown("cancelled".into());
        }
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => sha.update(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return SealState::Unknown(format!("cannot read the archive: {e}")),
        }
    }
    let actual = hex::encode(sha.finalize());
    if actual == sealed {
        SealState::Matches
    } else {
        SealState::Differs { sealed, actual }
    }
}

/// Why an archive is marked red wherever it is used: its last
/// verification (recorded, or run in this session) found problems, or its
/// file is not the one sealed. `None` when neither is known.
pub fn red_mark(
    verification: &super::custody_log::VerificationState,
    seal: Option<&SealState>,
) -> Option<String> {
    use super::custody_log::VerificationState;
    let mut why = Vec::new();
    if let VerificationState::Problems(n, at) = verification {
        why.push(format!("its last verification ({at}) found {n} problem(s)"));
    }
    if let Some(p) = seal.and_then(SealState::problem) {
        why.push(p);
    }
    (!why.is_empty()).then(|| why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::custody_log::{EventRow, VerificationState};

    fn row(action: &str, sha: &str) -> EventRow {
        EventRow {
            line: 1,
            seq: Some(1),
            at: "2026-01-01T00:00:00Z".into(),
            action: action.into(),
            actor: String::new(),
            location: String::new(),
            details: Vec::new(),
            signed: false,
            chain_problem: None,
            raw: Some(serde_json::json!({"archive": {"file": "a.zip", "sha256": sha}})),
        }
    }

    #[test]
    fn the_sealed_event_names_the_hash_and_a_mismatch_or_failed_check_is_marked() {
        let rows = [
            row("acquired", "aa"),
            row("sealed", "BB"),
            row("verified", "cc"),
        ];
        assert_eq!(sealed_sha256(&rows).as_deref(), Some("bb"));
        assert_eq!(sealed_sha256(&rows[..1]), None);
        let differs = SealState::Differs {
            sealed: "bb".into(),
            actual: "dd".into(),
        };
        let intact = VerificationState::Intact("t".into());
        assert_eq!(red_mark(&intact, Some(&SealState::Matches)), None);
        assert_eq!(red_mark(&intact, Some(&SealState::NoSealedEvent)), None);
        let why = red_mark(&intact, Some(&differs)).unwrap();
        assert!(why.contains("dd") && why.contains("bb"), "{why}");
        let failed = VerificationState::Problems(2, "t".into());
        assert!(
            red_mark(&failed, None)
                .unwrap()
                .contains("found 2 problem(s)")
        );
    }
}
