//! Privileged and suspicious commands: sudo/su to a shell, and commands
//! (through sudo, in shell history, in auditd EXECVE) that tamper with
//! accounts, logs or auditing.

use super::texts::vars;
use super::{Ctx, Finding};

const ID: &str = "commands";
use crate::logs::event::{Field, Kind};
use std::collections::BTreeMap;

/// Run the command detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let r = &ctx.cfg.rules;
    let mut groups: BTreeMap<(&'static str, String, String), Vec<u32>> = BTreeMap::new();
    // Storage order (sequential memory); `Finding::from_events` puts each
    // group in time order.
    for (i, e) in ctx.stored(&[Kind::Sudo, Kind::Command, Kind::Exec]) {
        let raw = e.get(Field::Command).unwrap_or("");
        let cmd: std::borrow::Cow<'_, str> = if raw.bytes().any(|b| b.is_ascii_uppercase()) {
            raw.to_ascii_lowercase().into()
        } else {
            raw.into()
        };
        let user = e.get(Field::User).unwrap_or("");
        let via = if e.kind == Kind::Sudo {
            "sudo"
        } else {
            "shell"
        };
        let su_shell =
            e.kind == Kind::Sudo && cmd.is_empty() && e.get(Field::Program) == Some("su");
        if su_shell || (e.kind == Kind::Sudo && shell_cmd(&cmd, &r.shell_commands)) {
            groups
                .entry(("sudo_shell", user.to_string(), via.into()))
                .or_default()
                .push(i);
        } else if let Some(p) = ctx.m.tamper_commands.first_listed(&cmd) {
            groups
                .entry(("tampering_command", user.to_string(), p.to_string()))
                .or_default()
                .push(i);
        }
    }
    let mut out = Vec::new();
    for ((rule, user, what), evs) in groups {
        let n = evs.len();
        // A command whose user the log does not name (shell history
        // lines, some audit records): said so, not quoted as "".
        let user = if user.is_empty() {
            ctx.cfg.text(ID, "unknown_user", &[])
        } else {
            format!("{user:?}")
        };
        let cfg = ctx.cfg;
        let what = super::texts::Quoted(&what);
        let v = vars![user, n, what];
        let case = if rule == "sudo_shell" {
            "sudo_shell"
        } else {
            "tampering"
        };
        let f = Finding::from_events(
            ctx.store,
            rule,
            cfg.case_severity(ID, case),
            cfg.text(ID, &format!("{case}_title"), v),
            cfg.text(ID, &format!("{case}_explanation"), v),
            evs,
        );
        out.push(f);
    }
    out
}

fn shell_cmd(cmd: &str, shells: &[String]) -> bool {
    let first = cmd.split(' ').next().unwrap_or("");
    shells.iter().any(|s| {
        if s.contains(' ') {
            cmd.contains(s.as_str())
        } else {
            // `/usr/bin/bash` matches `/bin/bash`: same name after a slash.
            let name = s.rsplit('/').next().unwrap_or(s);
            first == s
                || s.starts_with('/')
                    && first
                        .strip_suffix(name)
                        .is_some_and(|rest| rest.ends_with('/'))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::shell_cmd;

    #[test]
    fn shells_by_name_path_or_phrase() {
        let shells: Vec<String> = ["/bin/bash", "sh", "su -"].map(String::from).to_vec();
        assert!(shell_cmd("/bin/bash", &shells));
        assert!(shell_cmd("/usr/bin/bash -i", &shells));
        assert!(shell_cmd("sh", &shells));
        assert!(shell_cmd("/usr/bin/su - root", &shells));
        assert!(!shell_cmd("/usr/bin/rbash", &shells));
        assert!(!shell_cmd("bash", &shells));
        assert!(
            !shell_cmd("/usr/bin/sh", &shells),
            "a bare name matches only itself"
        );
        assert!(!shell_cmd("/usr/bin/systemctl restart nginx", &shells));
    }
}
