//! The incident checklist (`case::checklist`): the breach guides' steps,
//! from first contact to the improvements after the retrospective, each
//! with an owner, a status, when it last changed and a note. It is kept
//! beside `case.json` as `checklist.json`, edited in the workstation, and
//! printed in the report.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The file in the case folder.
pub const CHECKLIST_FILE: &str = "checklist.json";

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    InProgress,
    Done,
    /// Does not apply to this incident (say why in the note).
    NotApplicable,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::InProgress,
        Status::Done,
        Status::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in progress",
            Status::Done => "done",
            Status::NotApplicable => "not applicable",
        }
    }
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Step {
    /// Stable id (`initial_contact`...).
    pub id: String,
    pub title: String,
    /// What the step asks, in a sentence.
    pub guidance: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub status: Status,
    /// When the status or note last changed (RFC 3339 UTC), empty if never.
    #[serde(default)]
    pub updated_at: String,
    #[serde(default)]
    pub note: String,
}

/// The case's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    pub steps: Vec<Step>,
}

/// The breach guides' steps, in order: (id, title, guidance).
pub const STEPS: &[(&str, &str, &str)] = &[
    (
        "initial_contact",
        "Initial contact",
        "Record who reported the leak, how, when, and what they claim; keep their message.",
    ),
    (
        "internal_review",
        "Internal review",
        "Assemble the response team, name an owner, secure the affected systems' evidence.",
    ),
    (
        "contact_source",
        "Contact the source",
        "Ask the reporter (journalist, researcher, attacker's post) for the sample and its provenance.",
    ),
    (
        "validate_investigate",
        "Validate and investigate",
        "Is the leak genuine? How and when did it happen, what was taken, who accessed it?",
    ),
    (
        "stop_further_leaks",
        "Stop further leaks",
        "Close the access vector, remove persistence, take exposed files offline.",
    ),
    (
        "crisis_communication",
        "Crisis communication",
        "Brief management, legal and support; prepare answers for users and the press.",
    ),
    (
        "public_announcement",
        "Public announcement",
        "Notify affected users and, where the law requires it, the regulator, in time.",
    ),
    (
        "technical_control",
        "Technical control",
        "Force resets of the credentials on the list, rotate keys and secrets, patch the root causes.",
    ),
    (
        "retrospective",
        "Retrospective",
        "Write the post-mortem: what happened, lasting risks to users, what was done, prevention.",
    ),
    (
        "improvements",
        "Improvements",
        "Track the prevention items to completion and test them.",
    ),
];

impl Default for Checklist {
    fn default() -> Self {
        Checklist {
            steps: STEPS
                .iter()
                .map(|(id, title, guidance)| Step {
                    id: (*id).into(),
                    title: (*title).into(),
                    guidance: (*guidance).into(),
                    ..Step::default()
                })
                .collect(),
        }
    }
}

impl Checklist {
    /// Read the case's checklist, or the default steps when it has none.
    /// Steps the file lacks (a newer Exhibit added them) are added in
    /// order; steps it has that Exhibit does not know are kept.
    pub fn load(case_dir: &Path) -> anyhow::Result<Checklist> {
        let path = case_dir.join(CHECKLIST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Checklist::default()),
            Err(e) => anyhow::bail!("cannot read the checklist: {e}: {}", path.display()),
        };
        let mut saved: Checklist = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("the checklist is not valid: {e}: {}", path.display()))?;
        for (i, (id, title, guidance)) in STEPS.iter().enumerate() {
            if !saved.steps.iter().any(|s| s.id == *id) {
                let at = i.min(saved.steps.len());
                saved.steps.insert(
                    at,
                    Step {
                        id: (*id).into(),
                        title: (*title).into(),
                        guidance: (*guidance).into(),
                        ..Step::default()
                    },
                );
            }
        }
        Ok(saved)
    }

    /// Write the checklist into the case folder (through a temporary file
    /// and a rename, so a crash leaves the old one whole).
    pub fn save(&self, case_dir: &Path) -> anyhow::Result<()> {
        let path = case_dir.join(CHECKLIST_FILE);
        let tmp = case_dir.join(format!("{CHECKLIST_FILE}.partial"));
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::fs::write(&tmp, text)
            .map_err(|e| anyhow::anyhow!("cannot write the checklist: {e}: {}", tmp.display()))?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| anyhow::anyhow!("cannot write the checklist: {e}: {}", path.display()))?;
        Ok(())
    }

    /// Set a step's status and note, stamping the time.
    pub fn update(&mut self, id: &str, status: Status, owner: &str, note: &str, now: &str) -> bool {
        match self.steps.iter_mut().find(|s| s.id == id) {
            Some(s) => {
                s.status = status;
                s.owner = owner.into();
                s.note = note.into();
                s.updated_at = now.into();
                true
            }
            None => false,
        }
    }

    /// Steps done (or not applicable) of all.
    pub fn progress(&self) -> (usize, usize) {
        let done = self
            .steps
            .iter()
            .filter(|s| matches!(s.status, Status::Done | Status::NotApplicable))
            .count();
        (done, self.steps.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_gives_every_step_and_a_saved_one_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = Checklist::load(dir.path()).expect("load");
        assert_eq!(c.steps.len(), STEPS.len());
        assert!(c.update(
            "stop_further_leaks",
            Status::Done,
            "ops",
            "upload dir locked",
            "2026-12-02T10:00:00Z"
        ));
        c.save(dir.path()).expect("save");
        let back = Checklist::load(dir.path()).expect("reload");
        assert_eq!(back, c);
        assert_eq!(back.progress(), (1, STEPS.len()));
    }

    #[test]
    fn an_older_file_gains_the_steps_it_lacks_and_keeps_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(CHECKLIST_FILE),
            r#"{"steps":[{"id":"custom","title":"Call insurer","guidance":""},{"id":"initial_contact","title":"Initial contact","guidance":"x","status":"done"}]}"#,
        )
        .expect("write");
        let c = Checklist::load(dir.path()).expect("load");
        assert_eq!(c.steps.len(), STEPS.len() + 1);
        assert!(c.steps.iter().any(|s| s.id == "custom"));
        let ic = c
            .steps
            .iter()
            .find(|s| s.id == "initial_contact")
            .expect("step");
        assert_eq!(ic.status, Status::Done);
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(CHECKLIST_FILE), "{not json").expect("write");
        let e = Checklist::load(dir.path()).expect_err("corrupt");
        assert!(e.to_string().contains(CHECKLIST_FILE), "{e}");
    }
}
