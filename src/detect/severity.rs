//! The one [`Severity`] scale every finding uses: file findings
//! (`crate::detect::files`), log findings (`crate::detect::logs`), the timeline,
//! the reports and the workstation's colours (`gui::theme::severity_color`).
//! It depends on nothing, so any layer may name it.

use serde::{Deserialize, Serialize};

/// How much a finding matters. Ordered from least to most severe.
///
/// Serialized in lowercase (`"info"` … `"critical"`), in JSON output and in
/// the rule files (`assets/rules/*.toml`) alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The lowercase name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Severity;

    #[test]
    fn ordered_and_named_as_serialized() {
        let all = [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ];
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        for s in all {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            let back: Severity = serde_json::from_str(&json).unwrap();
            assert_eq!(back, s);
        }
    }
}
