//! The one [`Finding`] of the detection layer (`detect::finding`): which
//! rule fired, how severe it is, what it means, and its subject — files
//! ([`FileSubject`]: a path in a snapshot, with evidence and the change) or
//! events ([`EventSubject`]: the log events behind it, their time span,
//! addresses, accounts and paths).
//!
//! The file engine (`detect::files`) produces `Finding<FileSubject>`, the
//! log detections (`detect::logs`) `Finding<EventSubject>`; a list holding
//! both kinds uses `Finding` (= `Finding<Subject>`), which either converts
//! into with `From`. Each kind serializes to exactly the JSON fields, in the
//! order, the CLI has always printed (`diff`/`scan --json` for files,
//! `logs --json` for events).

use crate::detect::Severity;
use crate::diff::ChangeClass;
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// One finding, explained. `S` is what it is about: [`FileSubject`],
/// [`EventSubject`], or either ([`Subject`], the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding<S = Subject> {
    /// The rule, detector or detection id (`webshell.php_eval`,
    /// `ssh_bruteforce`...).
    pub rule: String,
    pub severity: Severity,
    /// One line: what happened.
    pub title: String,
    /// Why it matters and how it was decided, in a sentence or two.
    pub explanation: String,
    /// What the finding is about.
    pub subject: S,
}

/// A file finding's subject: one path of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSubject {
    /// The logical path the finding concerns.
    pub path: String,
    /// Facts that support the finding (matched lines, modes, times, hashes).
    pub evidence: Vec<String>,
    /// The change the finding is about, on a diff.
    pub change: Option<ChangeClass>,
    /// The snapshot (archive or directory) the path was read from.
    pub snapshot: String,
    /// Set when the file's content, read back through the seal check
    /// ([`crate::detect::files::mark_altered`]), is not the content its
    /// archive sealed: what differs. The finding may rest on altered bytes.
    pub altered: Option<String>,
}

/// A log finding's subject: the events behind it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventSubject {
    /// The first and last event times (UTC microseconds), when timed.
    pub first_us: Option<i64>,
    pub last_us: Option<i64>,
    pub ips: Vec<String>,
    pub users: Vec<String>,
    pub paths: Vec<String>,
    /// Indices into the event store's events, in time order.
    pub events: Vec<u32>,
}

/// Either subject, for lists holding both kinds of finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Files(FileSubject),
    Events(EventSubject),
}

impl<S> Finding<S> {
    /// The same finding with its subject mapped.
    pub fn map_subject<T>(self, f: impl FnOnce(S) -> T) -> Finding<T> {
        Finding {
            rule: self.rule,
            severity: self.severity,
            title: self.title,
            explanation: self.explanation,
            subject: f(self.subject),
        }
    }
}

impl Finding {
    /// The file subject, for a file finding.
    pub fn files(&self) -> Option<&FileSubject> {
        match &self.subject {
            Subject::Files(s) => Some(s),
            Subject::Events(_) => None,
        }
    }

    /// The event subject, for a log finding.
    pub fn events(&self) -> Option<&EventSubject> {
        match &self.subject {
            Subject::Events(s) => Some(s),
            Subject::Files(_) => None,
        }
    }
}

impl From<Finding<FileSubject>> for Finding {
    fn from(f: Finding<FileSubject>) -> Self {
        f.map_subject(Subject::Files)
    }
}

impl From<Finding<EventSubject>> for Finding {
    fn from(f: Finding<EventSubject>) -> Self {
        f.map_subject(Subject::Events)
    }
}

/// What every finding writes, borrowed.
struct Head<'a> {
    rule: &'a str,
    severity: Severity,
    title: &'a str,
    explanation: &'a str,
}

impl<S> Finding<S> {
    fn head(&self) -> Head<'_> {
        Head {
            rule: &self.rule,
            severity: self.severity,
            title: &self.title,
            explanation: &self.explanation,
        }
    }
}

/// A file finding: `rule, severity, path, title, explanation, evidence,
/// change (when on a diff), snapshot, altered (when the content is not
/// the sealed content)`.
fn serialize_files<Se: Serializer>(
    h: Head<'_>,
    s: &FileSubject,
    ser: Se,
) -> Result<Se::Ok, Se::Error> {
    let len = 7 + usize::from(s.change.is_some()) + usize::from(s.altered.is_some());
    let mut st = ser.serialize_struct("Finding", len)?;
    st.serialize_field("rule", h.rule)?;
    st.serialize_field("severity", &h.severity)?;
    st.serialize_field("path", &s.path)?;
    st.serialize_field("title", h.title)?;
    st.serialize_field("explanation", h.explanation)?;
    st.serialize_field("evidence", &s.evidence)?;
    match &s.change {
        Some(c) => st.serialize_field("change", c)?,
        None => st.skip_field("change")?,
    }
    st.serialize_field("snapshot", &s.snapshot)?;
    match &s.altered {
        Some(a) => st.serialize_field("altered", a)?,
        None => st.skip_field("altered")?,
    }
    st.end()
}

/// A log finding: `rule, severity, title, explanation, first_us and
/// last_us (when timed), ips, users, paths, events`.
fn serialize_events<Se: Serializer>(
    h: Head<'_>,
    s: &EventSubject,
    ser: Se,
) -> Result<Se::Ok, Se::Error> {
    let len = 8 + usize::from(s.first_us.is_some()) + usize::from(s.last_us.is_some());
    let mut st = ser.serialize_struct("Finding", len)?;
    st.serialize_field("rule", h.rule)?;
    st.serialize_field("severity", &h.severity)?;
    st.serialize_field("title", h.title)?;
    st.serialize_field("explanation", h.explanation)?;
    match &s.first_us {
        Some(t) => st.serialize_field("first_us", t)?,
        None => st.skip_field("first_us")?,
    }
    match &s.last_us {
        Some(t) => st.serialize_field("last_us", t)?,
        None => st.skip_field("last_us")?,
    }
    st.serialize_field("ips", &s.ips)?;
    st.serialize_field("users", &s.users)?;
    st.serialize_field("paths", &s.paths)?;
    st.serialize_field("events", &s.events)?;
    st.end()
}

impl Serialize for Finding<FileSubject> {
    fn serialize<Se: Serializer>(&self, ser: Se) -> Result<Se::Ok, Se::Error> {
        serialize_files(self.head(), &self.subject, ser)
    }
}

impl Serialize for Finding<EventSubject> {
    fn serialize<Se: Serializer>(&self, ser: Se) -> Result<Se::Ok, Se::Error> {
        serialize_events(self.head(), &self.subject, ser)
    }
}

impl Serialize for Finding<Subject> {
    fn serialize<Se: Serializer>(&self, ser: Se) -> Result<Se::Ok, Se::Error> {
        match &self.subject {
            Subject::Files(s) => serialize_files(self.head(), s, ser),
            Subject::Events(s) => serialize_events(self.head(), s, ser),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> (String, Severity, String, String) {
        ("r".into(), Severity::High, "t".into(), "e".into())
    }

    #[test]
    fn file_findings_keep_their_fields_and_order() {
        let (rule, severity, title, explanation) = head();
        let mut f = Finding {
            rule,
            severity,
            title,
            explanation,
            subject: FileSubject {
                path: "/p".into(),
                evidence: vec!["x".into()],
                change: None,
                snapshot: "s".into(),
                altered: None,
            },
        };
        let want = r#"{"rule":"r","severity":"high","path":"/p","title":"t","explanation":"e","evidence":["x"],"snapshot":"s"}"#;
        assert_eq!(serde_json::to_string(&f).unwrap(), want);
        assert_eq!(
            serde_json::to_string(&Finding::<Subject>::from(f.clone())).unwrap(),
            want
        );
        f.subject.change = Some(ChangeClass::Added);
        let json = serde_json::to_string(&f).unwrap();
        assert!(
            json.contains(r#""evidence":["x"],"change":"added","snapshot":"s"}"#),
            "{json}"
        );
        f.subject.altered = Some("why".into());
        let json = serde_json::to_string(&f).unwrap();
        assert!(
            json.ends_with(r#""snapshot":"s","altered":"why"}"#),
            "{json}"
        );
    }

    #[test]
    fn log_findings_keep_their_fields_and_order() {
        let (rule, severity, title, explanation) = head();
        let mut f = Finding {
            rule,
            severity,
            title,
            explanation,
            subject: EventSubject {
                events: vec![3, 4],
                ..EventSubject::default()
            },
        };
        let want = r#"{"rule":"r","severity":"high","title":"t","explanation":"e","ips":[],"users":[],"paths":[],"events":[3,4]}"#;
        assert_eq!(serde_json::to_string(&f).unwrap(), want);
        assert_eq!(
            serde_json::to_string(&Finding::<Subject>::from(f.clone())).unwrap(),
            want
        );
        f.subject.first_us = Some(1);
        f.subject.last_us = Some(2);
        let json = serde_json::to_string(&f).unwrap();
        assert!(
            json.contains(r#""explanation":"e","first_us":1,"last_us":2,"ips""#),
            "{json}"
        );
    }
}
