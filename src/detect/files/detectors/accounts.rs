//! Account databases: extra uid-0 accounts, new login accounts, changed
//! shells and uids, new members of administrative groups.
//!
//! Reads `/etc/passwd` and `/etc/group` from the snapshot (and the baseline on
//! a diff), bounded to a few MiB each.

use crate::detect::Severity;
use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::files::{Context, Finding};
use crate::detect::{Detector, FileSubject};
use crate::snapshot::Snapshot;
use crate::sysfiles::accounts::{parse_group, parse_passwd};

const MAX_DB_BYTES: u64 = 16 << 20;

/// Groups whose members can become root.
const ADMIN_GROUPS: &[&str] = &[
    "root", "sudo", "wheel", "admin", "adm", "docker", "lxd", "disk", "shadow",
];

/// Shells that do not allow a login.
fn is_login_shell(shell: &str) -> bool {
    let s = shell.trim();
    !(s.is_empty()
        || s.ends_with("/nologin")
        || s.ends_with("/false")
        || s == "/bin/sync"
        || s.ends_with("/shutdown")
        || s.ends_with("/halt"))
}

fn read_text(s: &Snapshot, path: &str) -> Option<String> {
    let e = s.get(path)?;
    s.read_prefix(e, MAX_DB_BYTES)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The accounts detector.
pub struct Accounts;

impl<'a> Detector<Context<'a>, FileSubject> for Accounts {
    fn id(&self) -> &'static str {
        "accounts"
    }

    fn needs(&self) -> Needs {
        Needs {
            input: Input::Files,
            baseline: Baseline::Optional,
            reads: &["/etc/passwd", "/etc/group"],
        }
    }

    fn describe(&self) -> &'static str {
        "Extra uid-0 accounts, new login accounts, changed shells and uids, new members of administrative groups."
    }

    fn run(&self, ctx: &Context<'a>, _prior: &[Finding], out: &mut Vec<Finding>) {
        let Some(new_text) = read_text(ctx.new, "/etc/passwd") else {
            return;
        };
        let new = parse_passwd(&new_text);
        let old = ctx
            .old
            .and_then(|o| read_text(o, "/etc/passwd"))
            .map(|t| parse_passwd(&t));
        // Without a baseline passwd, only what needs no baseline is judged.
        let diff_mode = ctx.changes.is_some() && old.is_some();
        let passwd_changed = ctx.changes.is_none()
            || ctx
                .changes
                .is_some_and(|cs| cs.iter().any(|c| c.path == "/etc/passwd"));
        if !passwd_changed {
            return;
        }
        for u in new.values() {
            let before = old.as_ref().and_then(|o| o.get(&u.name));
            let line_ev = format!(
                "/etc/passwd line {}: {}:…:{}:{}",
                u.line, u.name, u.home, u.shell
            );
            if u.uid == Some(0) && u.name != "root" {
                let was_root = before.is_some_and(|b| b.uid == Some(0));
                let severity = if diff_mode && was_root {
                    Severity::Medium
                } else {
                    Severity::Critical
                };
                out.push(ctx.finding(
                    "accounts.extra_uid0",
                    severity,
                    "/etc/passwd",
                    format!("Second uid-0 account: {}", u.name),
                    "An account other than root with uid 0 is root under another name; attackers add one to keep root access that a look at `root` alone would miss.",
                    vec![line_ev.clone(), if was_root { "already uid 0 in the baseline".into() } else { "uid 0".into() }],
                ));
            }
            if !diff_mode {
                continue;
            }
            match before {
                None => {
                    let login = is_login_shell(&u.shell);
                    out.push(ctx.finding(
                        "accounts.new_user",
                        if login { Severity::High } else { Severity::Low },
                        "/etc/passwd",
                        format!(
                            "New account {}{}",
                            u.name,
                            if login { " with a login shell" } else { "" }
                        ),
                        if login {
                            "A new account that can log in was created between the snapshots; attackers create accounts to come back."
                        } else {
                            "A new account without a login shell was created between the snapshots (typical of package installs)."
                        },
                        vec![line_ev],
                    ));
                }
                Some(b) => {
                    if !is_login_shell(&b.shell) && is_login_shell(&u.shell) {
                        out.push(ctx.finding(
                            "accounts.shell_enabled",
                            Severity::High,
                            "/etc/passwd",
                            format!("Account {} got a login shell", u.name),
                            "A service or locked account was given a login shell: a way to log in through an account nobody watches.",
                            vec![format!("shell {} -> {}", b.shell, u.shell), line_ev.clone()],
                        ));
                    }
                    if b.uid != u.uid && u.uid != Some(0) {
                        out.push(ctx.finding(
                            "accounts.uid_changed",
                            Severity::Medium,
                            "/etc/passwd",
                            format!("Account {} changed uid", u.name),
                            "An account's uid changed, which changes which files it owns.",
                            vec![format!("uid {:?} -> {:?}", b.uid, u.uid), line_ev.clone()],
                        ));
                    }
                }
            }
        }
        if diff_mode
            && let (Some(gn), Some(old_snap)) = (read_text(ctx.new, "/etc/group"), ctx.old)
            && let Some(go) = read_text(old_snap, "/etc/group")
        {
            let (gn, go) = (parse_group(&gn), parse_group(&go));
            for g in ADMIN_GROUPS {
                let now = gn.get(*g).cloned().unwrap_or_default();
                let was = go.get(*g).cloned().unwrap_or_default();
                for m in now.iter().filter(|m| !was.contains(m)) {
                    out.push(ctx.finding(
                        "accounts.admin_group_member",
                        Severity::High,
                        "/etc/group",
                        format!("{m} added to group {g}"),
                        "Membership of this group allows becoming root (directly or through its files or sockets).",
                        vec![format!("group {g}: {} -> {}", was.join(","), now.join(","))],
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_parsing() {
        let p =
            parse_passwd("root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nbad\n# c\n");
        assert_eq!(p.get("toor").and_then(|u| u.uid), Some(0));
        assert_eq!(p.get("toor").map(|u| u.line), Some(2));
        assert!(p.contains_key("bad"));
        assert!(is_login_shell("/bin/bash"));
        assert!(!is_login_shell("/usr/sbin/nologin"));
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,300}") {
            let _ = parse_passwd(&s);
            let _ = parse_group(&s);
        }
    }
}
