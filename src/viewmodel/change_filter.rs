//! What the Compare and Findings screens show of a comparison's changes
//! and findings: [`ChangeFilter`] (classes, minimum severity, path text,
//! folder, noise) and what counts as noise. No egui here; both screens use
//! it, so neither depends on the other.

use crate::detect::Severity;
use crate::detect::files::Finding;
use crate::diff::{Change, ChangeClass};
use std::collections::BTreeSet;

/// Noise: normal log growth nobody judged, or a change whose findings are all
/// `info` or `low` ("same when filtered").
pub fn is_noise(change: &Change, severity: Option<Severity>) -> bool {
    match severity {
        Some(s) => s <= Severity::Low,
        None => matches!(change.change, ChangeClass::Appended | ChangeClass::Rotated),
    }
}

/// What the table, the tree scope and the findings panel show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    /// Classes shown; empty means every class.
    pub classes: BTreeSet<ChangeClass>,
    /// Only changes (and findings) at least this severe; `None` shows
    /// changes without findings too.
    pub min_severity: Option<Severity>,
    /// Case-insensitive part of the path.
    pub text: String,
    /// Only changes below this folder.
    pub folder: Option<String>,
    /// Hide noise (see [`is_noise`]).
    pub hide_noise: bool,
}

impl ChangeFilter {
    fn path_matches(&self, path: &str, needle: &str) -> bool {
        if let Some(f) = &self.folder
            && f != "/"
            && !(path.starts_with(f.as_str()) && path.as_bytes().get(f.len()) == Some(&b'/'))
        {
            return false;
        }
        needle.is_empty() || path.to_lowercase().contains(needle)
    }

    /// True when the change passes the filter.
    pub fn shows_change(&self, c: &Change, sev: Option<Severity>) -> bool {
        self.shows_change_with(c, sev, &self.text.trim().to_lowercase())
    }

    fn shows_change_with(&self, c: &Change, sev: Option<Severity>, needle: &str) -> bool {
        if !self.classes.is_empty() && !self.classes.contains(&c.change) {
            return false;
        }
        if let Some(min) = self.min_severity
            && sev.is_none_or(|s| s < min)
        {
            return false;
        }
        if self.hide_noise && is_noise(c, sev) {
            return false;
        }
        self.path_matches(&c.path, needle)
    }

    /// True when the finding passes the filter.
    pub fn shows_finding(&self, f: &Finding) -> bool {
        if let Some(min) = self.min_severity
            && f.severity < min
        {
            return false;
        }
        if self.hide_noise && f.severity <= Severity::Low {
            return false;
        }
        if !self.classes.is_empty() && f.subject.change.is_some_and(|c| !self.classes.contains(&c))
        {
            return false;
        }
        self.path_matches(&f.subject.path, &self.text.trim().to_lowercase())
    }

    /// The indices of the changes that pass, in path order (`severity`:
    /// the worst finding of each change).
    pub fn rows(&self, changes: &[Change], severity: &[Option<Severity>]) -> Vec<u32> {
        let needle = self.text.trim().to_lowercase();
        changes
            .iter()
            .zip(severity.iter())
            .enumerate()
            .filter(|(_, (c, s))| self.shows_change_with(c, **s, &needle))
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// The filter in words, for an exported report (`no filter` when it
    /// keeps everything).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.classes.is_empty() {
            let c: Vec<&str> = self.classes.iter().map(|c| c.as_str()).collect();
            parts.push(format!("classes: {}", c.join(", ")));
        }
        if let Some(s) = self.min_severity {
            parts.push(format!("severity at least {}", s.as_str()));
        }
        if !self.text.trim().is_empty() {
            parts.push(format!("path contains \"{}\"", self.text.trim()));
        }
        if let Some(f) = &self.folder {
            parts.push(format!("folder {f}"));
        }
        if self.hide_noise {
            parts.push("noise hidden".into());
        }
        if parts.is_empty() {
            "no filter".into()
        } else {
            parts.join("; ")
        }
    }

    /// The indices of the findings that pass, most severe first.
    pub fn findings(&self, findings: &[Finding]) -> Vec<u32> {
        findings
            .iter()
            .enumerate()
            .filter(|(_, f)| self.shows_finding(f))
            .map(|(i, _)| i as u32)
            .collect()
    }
}
