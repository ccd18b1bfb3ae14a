//! Persistence facts for stacking: every cron entry (each meaningful line
//! of the system crontab, `/etc/cron.d/*`, the users' spool crontabs and
//! anacrontab, by file and line, whitespace collapsed) and every systemd
//! unit (by name, valued by the commands its `Exec…=` lines run). The
//! locations are those of the persistence rules
//! (`assets/rules/persistence.toml`); a line here is only split into
//! words, never interpreted further.

use super::{Fact, FactValue, Kind, MAX_TEXT};
use crate::detect::Severity;
use crate::investigate::evidence::read_text;
use crate::snapshot::Snapshot;

/// Most lines of one crontab or unit read.
const MAX_LINES: usize = 10_000;

/// Whether a logical path holds cron entries.
fn is_crontab(p: &str) -> bool {
    let parent_is = |dir: &str| {
        p.strip_prefix(dir)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
    };
    p == "/etc/crontab"
        || p == "/etc/anacrontab"
        || parent_is("/etc/cron.d/")
        || parent_is("/var/spool/cron/crontabs/")
        || parent_is("/var/spool/cron/")
        || parent_is("/var/spool/cron/tabs/")
}

/// Unit directories, most precedent first: `/etc` overrides `/run`
/// overrides the vendor's.
const UNIT_DIRS: [&str; 6] = [
    "/etc/systemd/system/",
    "/run/systemd/system/",
    "/usr/local/lib/systemd/system/",
    "/usr/lib/systemd/system/",
    "/lib/systemd/system/",
    "/etc/systemd/user/",
];

const UNIT_SUFFIXES: [&str; 6] = [
    ".service", ".timer", ".socket", ".path", ".mount", ".target",
];

/// The cron and unit facts of a snapshot.
pub(super) fn facts(s: &Snapshot, out: &mut Vec<Fact>) {
    cron(s, out);
    units(s, out);
}

fn cron(s: &Snapshot, out: &mut Vec<Fact>) {
    let tabs: Vec<&str> = s
        .entries
        .iter()
        .filter(|e| e.has_content() && is_crontab(&e.path) && !e.path.ends_with("/.placeholder"))
        .map(|e| e.path.as_str())
        .collect();
    for path in tabs {
        let Some(text) = read_text(s, path, MAX_TEXT) else {
            continue;
        };
        for line in text.lines().take(MAX_LINES) {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.first().is_none_or(|w| w.starts_with('#')) {
                continue;
            }
            let line = words.join(" ");
            let assignment = words.len() == 1
                || words
                    .first()
                    .and_then(|w| w.split_once('='))
                    .is_some_and(|(name, _)| {
                        !name.is_empty()
                            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    });
            out.push(Fact {
                kind: Kind::Cron,
                key: format!("{path}: {line}"),
                value: FactValue::text("entry"),
                danger: if assignment {
                    Severity::Medium
                } else {
                    Severity::High
                },
                why: if assignment {
                    "cron setting"
                } else {
                    "scheduled command"
                },
            });
        }
    }
}

fn units(s: &Snapshot, out: &mut Vec<Fact>) {
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for dir in UNIT_DIRS {
        for e in s.under(dir.trim_end_matches('/')) {
            let Some(name) = e.path.strip_prefix(dir) else {
                continue;
            };
            // Units directly in the directory; `*.wants/` links are files
            // of the `file` kind.
            if name.contains('/') || !UNIT_SUFFIXES.iter().any(|x| name.ends_with(x)) {
                continue;
            }
            let scope = if dir.contains("/user/") { "user " } else { "" };
            let key = format!("{scope}{name}");
            if seen.contains(&key) {
                continue;
            }
            let value = if e.has_content() {
                read_text(s, &e.path, MAX_TEXT).map(|t| exec_lines(&t))
            } else {
                // A link to /dev/null masks the unit.
                e.link_target.as_deref().map(|t| format!("-> {t}"))
            };
            let Some(value) = value else { continue };
            seen.insert(key.clone());
            let runs = value.contains('=');
            out.push(Fact {
                kind: Kind::Unit,
                key,
                value: FactValue::text(value),
                danger: if runs {
                    Severity::High
                } else {
                    Severity::Medium
                },
                why: if runs {
                    "unit that runs a command"
                } else {
                    "unit"
                },
            });
        }
    }
}

/// The `Exec…=` lines of a unit, whitespace collapsed, joined by ` ; `
/// (`no command` when there is none).
fn exec_lines(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .take(MAX_LINES)
        .map(str::trim)
        .filter(|l| l.starts_with("Exec") && l.contains('='))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if lines.is_empty() {
        "no command".into()
    } else {
        lines.join(" ; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crontab_locations() {
        assert!(is_crontab("/etc/crontab"));
        assert!(is_crontab("/etc/cron.d/backup"));
        assert!(is_crontab("/var/spool/cron/crontabs/root"));
        assert!(!is_crontab("/etc/cron.d/"));
        assert!(!is_crontab("/etc/cron.daily/logrotate"));
        assert!(!is_crontab("/var/spool/cron/crontabs/sub/x"));
    }

    #[test]
    fn unit_commands() {
        let t = "[Service]\nExecStart=/usr/sbin/sshd  -D\n# ExecStop=x\nType=notify\nExecReload=/bin/kill -HUP $MAINPID\n";
        assert_eq!(
            exec_lines(t),
            "ExecStart=/usr/sbin/sshd -D ; ExecReload=/bin/kill -HUP $MAINPID"
        );
        assert_eq!(exec_lines("[Unit]\n"), "no command");
    }
}
