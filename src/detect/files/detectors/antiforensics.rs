//! Anti-forensics: logs truncated, rewritten or deleted, shell history
//! emptied, deleted or replaced by a symlink to `/dev/null`.
//!
//! Normal log growth (`appended`) and rotation produce no finding here.

use crate::archive::EntryType;
use crate::detect::Severity;
use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::files::{Context, Finding};
use crate::detect::{Detector, FileSubject};
use crate::diff::ChangeClass;
use crate::diff::compare::{is_log_path, rotation_base};

/// Shell and tool history file names.
const HISTORY_NAMES: &[&str] = &[
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".ash_history",
    ".history",
    ".mysql_history",
    ".psql_history",
    ".python_history",
    ".lesshst",
    ".viminfo",
];

/// True when a path is a shell or tool history file.
pub fn is_history(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    HISTORY_NAMES.contains(&name)
}

/// The anti-forensics detector.
pub struct AntiForensics;

impl<'a> Detector<Context<'a>, FileSubject> for AntiForensics {
    fn id(&self) -> &'static str {
        "antiforensics"
    }

    fn needs(&self) -> Needs {
        Needs {
            input: Input::Files,
            baseline: Baseline::Required,
            reads: &["logs under /var/log", "shell histories"],
        }
    }

    fn describe(&self) -> &'static str {
        "Logs truncated, rewritten or deleted; shell history emptied, deleted or sent to /dev/null."
    }

    fn run(&self, ctx: &Context<'a>, _prior: &[Finding], out: &mut Vec<Finding>) {
        match (ctx.changes, ctx.old) {
            (Some(changes), Some(old)) => {
                for c in changes {
                    let history = is_history(&c.path);
                    let log = is_log_path(&c.path);
                    if !history && !log {
                        continue;
                    }
                    let o = old.get(c.renamed_from.as_deref().unwrap_or(&c.path));
                    let n = ctx.new.get(&c.path);
                    let what = if history { "Shell history" } else { "Log" };
                    let sizes = format!(
                        "size {} -> {} bytes",
                        o.map_or("absent".into(), |e| e.size.to_string()),
                        n.map_or("absent".into(), |e| e.size.to_string())
                    );
                    let mut ev = vec![format!("change: {}", c.change.as_str()), sizes];
                    if let Some(d) = &c.detail {
                        ev.push(d.clone());
                    }
                    let (rule, sev, title, expl): (&str, Severity, String, &str) = match c.change {
                        ChangeClass::Truncated => (
                            "antiforensics.log_truncated",
                            Severity::High,
                            format!("{what} truncated"),
                            "The file lost its end: what it recorded last was cut off. Log rotation never does this in place; cleaning up after an intrusion does.",
                        ),
                        ChangeClass::Rewritten => (
                            "antiforensics.log_rewritten",
                            Severity::High,
                            format!("{what} rewritten"),
                            "Earlier content was altered or removed (or the file was replaced by a new one under the same name). Logs only grow; editing them out of order is how intruders erase their traces.",
                        ),
                        ChangeClass::Removed if o.is_some_and(|e| e.kind == EntryType::File) => {
                            let name = c.path.rsplit('/').next().unwrap_or(&c.path);
                            if !history && rotation_base(name) != name {
                                (
                                    "antiforensics.old_rotation_deleted",
                                    Severity::Low,
                                    format!("Rotated {} removed", what.to_lowercase()),
                                    "An old rotated copy of a log is gone; log rotation deletes the oldest copies as retention expires, so this is usually normal. Check it against the rotation settings if the period matters.",
                                )
                            } else {
                                (
                                    "antiforensics.log_deleted",
                                    Severity::High,
                                    format!("{what} deleted"),
                                    "The file is gone and its content was not found in a rotation sibling.",
                                )
                            }
                        }
                        ChangeClass::TypeChanged => {
                            let to_null = n
                                .and_then(|e| e.link_target.as_deref())
                                .is_some_and(|t| t == "/dev/null");
                            if let Some(t) = n.and_then(|e| e.link_target.as_deref()) {
                                ev.push(format!("now a symlink to {t}"));
                            }
                            (
                                "antiforensics.replaced_by_symlink",
                                if to_null {
                                    Severity::Critical
                                } else {
                                    Severity::High
                                },
                                format!(
                                    "{what} replaced by {}",
                                    if to_null {
                                        "a symlink to /dev/null"
                                    } else {
                                        "another file type"
                                    }
                                ),
                                "Replacing a log or history file with a link to /dev/null makes the system silently discard what it would have recorded.",
                            )
                        }
                        ChangeClass::Modified
                            if history
                                && matches!((o, n), (Some(a), Some(b)) if b.size < a.size) =>
                        {
                            (
                                "antiforensics.history_emptied",
                                Severity::High,
                                format!(
                                    "{what} {}",
                                    if n.is_some_and(|e| e.size == 0) {
                                        "emptied"
                                    } else {
                                        "shrank"
                                    }
                                ),
                                "Shell history only grows during normal use; emptying or cutting it removes the record of commands run.",
                            )
                        }
                        _ => continue,
                    };
                    let mut f = ctx.finding(rule, sev, &c.path, title, expl, ev);
                    f.subject.change = Some(c.change);
                    if n.is_none() {
                        f.subject.snapshot = old.label.clone();
                    }
                    out.push(f);
                }
            }
            _ => {
                for e in ctx.new.judged() {
                    let history = is_history(&e.path);
                    if !history && !e.path.starts_with("/var/log/") {
                        continue;
                    }
                    let what = if history { "Shell history" } else { "Log" };
                    if e.kind == EntryType::Symlink && e.link_target.as_deref() == Some("/dev/null")
                    {
                        out.push(ctx.finding(
                            "antiforensics.replaced_by_symlink",
                            Severity::High,
                            &e.path,
                            format!("{what} is a symlink to /dev/null"),
                            "Whatever would be written here is discarded; this is done to stop shells and services from leaving a record.",
                            vec!["link target: /dev/null".into()],
                        ));
                    } else if history && e.kind == EntryType::File && e.size == 0 {
                        out.push(ctx.finding(
                            "antiforensics.history_empty",
                            Severity::Low,
                            &e.path,
                            "Shell history is empty",
                            "An empty history on an account that is used may have been cleared.",
                            vec!["size 0 bytes".into()],
                        ));
                    }
                }
            }
        }
    }
}
