//! One custody event and its exact line in the log.
//!
//! A line is the compact JSON of an [`Event`] with its fields in a fixed
//! order (`seq`, `at`, `action`, `actor`, `location`, `purpose`, `archive`,
//! `details`, `prev`, then the optional `signature`). The signed message of a
//! signed event is the same line *without* the signature: the line's bytes up
//! to the final `,"signature":` followed by `}`. An auditor therefore extracts
//! it with `sed` or three lines of Python, without re-serialising JSON (see
//! `docs/custody.md`). Exhibit only accepts lines in this canonical form, so
//! what it verifies is byte for byte what the auditor's recipe extracts.

use super::Actor;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What happened to the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Action {
    /// Evidence taken from the source (first event).
    Acquired,
    /// The archive was finished and hashed; it never changes afterwards.
    Sealed,
    /// Handed over to someone else (details: from, to, medium).
    Transferred,
    /// Taken into custody (details: from, medium).
    Received,
    /// Checked with `exhibit verify` (details: result, problems).
    Verified,
    /// Opened for examination.
    Opened,
    /// A copy or extract was made (details: to).
    Exported,
    /// A free-text remark.
    Note,
}

impl Action {
    /// Every action, in the order of a typical chain.
    pub const ALL: [Action; 8] = [
        Action::Acquired,
        Action::Sealed,
        Action::Transferred,
        Action::Received,
        Action::Verified,
        Action::Opened,
        Action::Exported,
        Action::Note,
    ];

    /// The lowercase name used in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Acquired => "acquired",
            Action::Sealed => "sealed",
            Action::Transferred => "transferred",
            Action::Received => "received",
            Action::Verified => "verified",
            Action::Opened => "opened",
            Action::Exported => "exported",
            Action::Note => "note",
        }
    }

    /// Parse a lowercase action name.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which archive an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRef {
    /// The archive's file name (no directory).
    pub file: String,
    /// The archive's SHA-256 (lowercase hex) as sealed.
    pub sha256: String,
}

/// One custody event, as stored on one line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// 1 for the first event, then +1 per line.
    pub seq: u64,
    /// When it happened, RFC 3339 UTC.
    pub at: String,
    pub action: Action,
    pub actor: Actor,
    /// Where it happened (free text).
    pub location: Option<String>,
    /// Why (free text).
    pub purpose: Option<String>,
    pub archive: ArchiveRef,
    /// Action-specific facts (keys sorted).
    pub details: serde_json::Map<String, serde_json::Value>,
    /// SHA-256 (hex) of the previous line's exact bytes without its line
    /// feed; `null` for the first event.
    pub prev: Option<String>,
    /// Armored SSHSIG (namespace `exhibit-custody`) over the line without
    /// this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The signature field's prefix in a canonical line.
pub(crate) const SIGNATURE_KEY: &str = ",\"signature\":";

impl Event {
    /// The canonical line without the signature: the signed message.
    pub fn unsigned_line(&self) -> String {
        let mut e = self.sorted();
        e.signature = None;
        serde_json::to_string(&e).unwrap_or_default()
    }

    /// The canonical line (without line feed), signature included.
    pub fn line(&self) -> String {
        serde_json::to_string(&self.sorted()).unwrap_or_default()
    }

    /// The event with every object in `details` in key order, as the
    /// canonical form wants, whatever map serde_json was built with:
    /// yara-x (feature `yara`) turns on serde_json's `preserve_order`,
    /// which keeps insertion order, and the builds without it (the static
    /// server build) must write and accept the same bytes.
    fn sorted(&self) -> Event {
        let mut e = self.clone();
        for v in e.details.values_mut() {
            v.sort_all_objects();
        }
        e.details.sort_keys();
        e
    }

    /// A short name for messages: `event 3 (transferred)`.
    pub fn label(&self) -> String {
        format!("event {} ({})", self.seq, self.action)
    }
}

/// A line of the log, parsed and checked for canonical form.
#[derive(Debug, Clone)]
pub struct ParsedLine {
    pub event: Event,
    /// The exact bytes a signature covers (the line without `signature`).
    pub signed_message: Vec<u8>,
}

/// Parse one line (without its line feed). The error says what is wrong.
pub fn parse_line(line: &[u8]) -> Result<ParsedLine, String> {
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8 ({e})"))?;
    let event: Event =
        serde_json::from_str(text).map_err(|e| format!("not a custody event: {e}"))?;
    let canonical = event.line();
    if canonical != text {
        return Err(format!(
            "{} is not in canonical form (edited by hand or by another tool)",
            event.label()
        ));
    }
    let signed_message = match &event.signature {
        None => text.as_bytes().to_vec(),
        Some(_) => {
            let cut = text
                .rfind(SIGNATURE_KEY)
                .ok_or_else(|| format!("{}: signature field not found", event.label()))?;
            let mut m = text.get(..cut).unwrap_or_default().as_bytes().to_vec();
            m.push(b'}');
            if m != event.unsigned_line().as_bytes() {
                return Err(format!(
                    "{}: the signature is not the last field",
                    event.label()
                ));
            }
            m
        }
    };
    Ok(ParsedLine {
        event,
        signed_message,
    })
}

/// SHA-256 (hex) of a line's bytes, for the next event's `prev`.
pub fn line_hash(line: &[u8]) -> String {
    hex::encode(Sha256::digest(line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn details_are_written_in_key_order_whatever_the_insertion_order() {
        let mut e = sample();
        e.details = serde_json::Map::new();
        e.details
            .insert("zeta".into(), serde_json::json!({"b": 1, "a": 2}));
        e.details.insert("alpha".into(), 1.into());
        let line = e.line();
        assert!(
            line.contains(r#""details":{"alpha":1,"zeta":{"a":2,"b":1}}"#),
            "{line}"
        );
        assert!(parse_line(line.as_bytes()).is_ok());
        // A line whose details are out of order is not canonical, in every
        // build (with or without serde_json's preserve_order).
        let unsorted = line.replace(
            r#""details":{"alpha":1,"zeta":{"a":2,"b":1}}"#,
            r#""details":{"zeta":{"a":2,"b":1},"alpha":1}"#,
        );
        assert!(parse_line(unsorted.as_bytes()).is_err());
    }

    fn sample() -> Event {
        let mut details = serde_json::Map::new();
        details.insert("note".into(), "a \"quoted\" ,\"signature\": note".into());
        Event {
            seq: 1,
            at: "2026-01-02T03:04:05Z".into(),
            action: Action::Note,
            actor: Actor {
                name: "Ann".into(),
                ..Actor::default()
            },
            location: None,
            purpose: Some("test".into()),
            archive: ArchiveRef {
                file: "a.zip".into(),
                sha256: "00".repeat(32),
            },
            details,
            prev: None,
            signature: None,
        }
    }

    #[test]
    fn unsigned_line_round_trips() {
        let e = sample();
        let p = parse_line(e.line().as_bytes()).unwrap();
        assert_eq!(p.event, e);
        assert_eq!(p.signed_message, e.line().as_bytes());
    }

    #[test]
    fn signed_message_is_the_prefix_plus_brace() {
        let mut e = sample();
        e.signature =
            Some("-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----".into());
        let line = e.line();
        assert!(line.starts_with(&e.unsigned_line()[..e.unsigned_line().len() - 1]));
        let p = parse_line(line.as_bytes()).unwrap();
        assert_eq!(p.signed_message, e.unsigned_line().as_bytes());
    }

    #[test]
    fn non_canonical_line_is_rejected() {
        let e = sample();
        let spaced = e.line().replace(",\"at\"", ", \"at\"");
        let err = parse_line(spaced.as_bytes()).unwrap_err();
        assert!(err.contains("event 1 (note)"), "{err}");
        assert!(parse_line(b"{\"seq\":1}").is_err());
        assert!(parse_line(b"").is_err());
    }

    proptest! {
        #[test]
        fn parse_line_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_line(&bytes);
        }

        #[test]
        fn parse_line_never_panics_on_mutated_events(pos in 0usize..300, byte in any::<u8>()) {
            let mut e = sample();
            e.signature = Some("sig".into());
            let mut line = e.line().into_bytes();
            if let Some(b) = line.get_mut(pos) { *b = byte; }
            let _ = parse_line(&line);
        }
    }
}
