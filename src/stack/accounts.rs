//! Account facts for stacking: every account of `/etc/passwd` (by name,
//! valued by uid, home and shell), every member of a group (privileged
//! groups weigh more), and every authorized SSH key (by file and
//! fingerprint). Read with the shared parsers: `sysfiles::accounts` for
//! passwd and group, `investigate::secrets::authorized_keys` for keys.

use super::{Fact, FactValue, Kind, MAX_TEXT};
use crate::detect::Severity;
use crate::investigate::evidence::read_text;
use crate::snapshot::Snapshot;
use crate::sysfiles::accounts::{parse_group, parse_passwd};

/// Groups whose members are administrators, or can become root.
const PRIVILEGED_GROUPS: [&str; 8] = [
    "root", "sudo", "wheel", "admin", "adm", "docker", "lxd", "disk",
];

/// Shells that do not give a login.
fn is_login_shell(shell: &str) -> bool {
    let s = shell.trim();
    !(s.is_empty() || s.ends_with("/nologin") || s.ends_with("/false") || s == "/bin/sync")
}

/// The account, group and SSH key facts of a snapshot.
pub(super) fn facts(s: &Snapshot, show_values: bool, out: &mut Vec<Fact>) {
    if let Some(text) = read_text(s, "/etc/passwd", MAX_TEXT) {
        for (name, e) in parse_passwd(&text) {
            let uid = e.uid.map_or_else(|| "?".to_string(), |u| u.to_string());
            let (danger, why) = if e.uid == Some(0) {
                (Severity::High, "uid 0: root's powers")
            } else if is_login_shell(&e.shell) {
                (Severity::Medium, "account with a login shell")
            } else {
                (Severity::Low, "account without a login shell")
            };
            out.push(Fact {
                kind: Kind::Account,
                key: name,
                value: FactValue::text(format!(
                    "uid {uid}, home {}, shell {}",
                    e.home.trim(),
                    e.shell.trim()
                )),
                danger,
                why,
            });
        }
    }
    if let Some(text) = read_text(s, "/etc/group", MAX_TEXT) {
        for (group, members) in parse_group(&text) {
            let privileged = PRIVILEGED_GROUPS.contains(&group.as_str());
            for m in members {
                out.push(Fact {
                    kind: Kind::Group,
                    key: format!("{group}: {m}"),
                    value: FactValue::text("member"),
                    danger: if privileged {
                        Severity::High
                    } else {
                        Severity::Low
                    },
                    why: if privileged {
                        "member of an administrators' group"
                    } else {
                        "group member"
                    },
                });
            }
        }
    }
    for e in &s.entries {
        if !(e.path.ends_with("/.ssh/authorized_keys")
            || e.path.ends_with("/.ssh/authorized_keys2"))
            || !e.has_content()
        {
            continue;
        }
        let Some(text) = read_text(s, &e.path, MAX_TEXT) else {
            continue;
        };
        for k in crate::investigate::secrets::authorized_keys(&text) {
            let comment = if show_values {
                k.comment.clone()
            } else {
                crate::leak::normalize::mask("comment", &k.comment)
            };
            out.push(Fact {
                kind: Kind::SshKey,
                key: format!("{} {}", e.path, k.fingerprint),
                value: FactValue::text(if comment.is_empty() {
                    k.algorithm.clone()
                } else {
                    format!("{} {comment}", k.algorithm)
                }),
                danger: Severity::High,
                why: "lets its holder log in",
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_shells() {
        assert!(is_login_shell("/bin/bash"));
        assert!(!is_login_shell("/usr/sbin/nologin"));
        assert!(!is_login_shell("/bin/false"));
        assert!(!is_login_shell(""));
    }
}
