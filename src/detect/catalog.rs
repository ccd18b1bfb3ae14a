//! The one list of everything that can raise a finding (`detect::catalog`):
//! file rules (data, `assets/rules/*.toml` and a user directory), file
//! detectors (`files::detectors::registry`) and log detections
//! (`logs::DETECTIONS`), each with what it needs ([`Needs`]: files or
//! events, a baseline or not, the evidence it reads). `exhibit detections`
//! prints it; the investigation uses it to say which detections had no
//! evidence to judge.

use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::files::detectors;
use crate::detect::ruleset::{RuleSet, RuleSetError};
use crate::detect::{Detector, Severity, logs};
use serde::Serialize;
use std::path::Path;

/// What kind of thing raises the finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    FileRule,
    FileDetector,
    LogDetection,
}

/// One entry of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The rule id, or the detector's id (the prefix of its rule ids) or
    /// the log detection's name.
    pub id: String,
    pub kind: Kind,
    /// A rule's severity on a diff (detectors decide per finding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// A rule's severity on one snapshot (`exhibit scan`), if it runs there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_severity: Option<Severity>,
    /// What it finds.
    pub title: String,
    pub needs: Needs,
    /// The rule file it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Switched off by the rules (`[detection.ID] enabled = false`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

/// Everything that can raise a finding: the file rules (built in, and
/// those of `rules_dir`), the file detectors, the log detections (with the
/// switches of `rules_dir/logs/*.toml`: a severity set there is shown as
/// the detection's), in the order they run.
pub fn catalog(rules_dir: Option<&Path>) -> Result<Vec<Entry>, RuleSetError> {
    let set = RuleSet::load(rules_dir)?;
    let mut out: Vec<Entry> = set
        .files
        .rules
        .iter()
        .map(|r| Entry {
            id: r.id.clone(),
            kind: Kind::FileRule,
            severity: Some(r.severity),
            scan_severity: r.scan,
            title: r.title.clone(),
            needs: Needs {
                input: Input::Files,
                baseline: if r.scan.is_some() {
                    Baseline::Optional
                } else {
                    Baseline::Required
                },
                reads: &["the files its paths match"],
            },
            file: Some(r.file.clone()),
            disabled: false,
        })
        .collect();
    for d in detectors::registry() {
        out.push(entry(*d, Kind::FileDetector));
    }
    for d in logs::DETECTIONS {
        let mut e = entry(d, Kind::LogDetection);
        e.severity = set.logs.severity_of(d.id);
        e.disabled = !set.logs.enabled(d.id);
        out.push(e);
    }
    Ok(out)
}

fn entry<C: ?Sized, S>(d: &(impl Detector<C, S> + ?Sized), kind: Kind) -> Entry {
    Entry {
        id: d.id().to_string(),
        kind,
        severity: None,
        scan_severity: None,
        title: d.describe().to_string(),
        needs: d.needs(),
        file: None,
        disabled: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_detector_and_rule_is_listed_once_with_what_it_needs() {
        let c = catalog(None).expect("the built-in rules load");
        let count = |k: Kind| c.iter().filter(|e| e.kind == k).count();
        assert_eq!(count(Kind::LogDetection), logs::DETECTIONS.len());
        assert_eq!(count(Kind::FileDetector), detectors::registry().len());
        assert!(count(Kind::FileRule) > 10);
        let mut ids: Vec<(&str, u8)> = c.iter().map(|e| (e.id.as_str(), e.kind as u8)).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "ids are unique within a kind");
        for e in &c {
            assert!(!e.title.is_empty(), "{} says what it finds", e.id);
            assert!(!e.needs.reads.is_empty(), "{} says what it reads", e.id);
            let events = e.kind == Kind::LogDetection;
            assert_eq!(e.needs.input == Input::Events, events, "{}", e.id);
        }
    }
}
