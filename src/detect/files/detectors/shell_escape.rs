//! Root backdoors made of ordinary programs: a shell, an interpreter, an
//! editor or a file tool (`find`, `vim`, `python3`, `cp`, …) that is
//! setuid, setgid, or carries a capability such as `cap_setuid`. Any of them
//! hands a root shell or every file to whoever runs it, and no package
//! installs them so. The list is data (`assets/rules/shell-escapes.txt`,
//! after GTFOBins).
//!
//! The finding is critical whether or not the file's content matches its
//! package: `chmod u+s /usr/bin/find` changes the mode, not the bytes.

use crate::archive::EntryType;
use crate::detect::Severity;
use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::files::{Context, Finding};
use crate::detect::{Detector, FileSubject};
use crate::diff::ChangeClass;

/// The rule id of its findings.
pub const RULE: &str = "privilege.shell_escape";

/// The built-in list of programs.
pub const LIST: &str = include_str!("../../../../assets/rules/shell-escapes.txt");

/// Whether a file name is on the list (`*` at the end of an entry matches
/// any ending).
pub fn listed(name: &str) -> bool {
    LIST.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| match l.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == l,
        })
}

/// What about a file raises privileges: setuid/setgid bits and dangerous
/// capabilities, in words.
fn raised(mode: u32, caps: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if mode & 0o4000 != 0 {
        out.push("setuid".to_string());
    }
    if mode & 0o2000 != 0 {
        out.push("setgid".to_string());
    }
    if let Some(c) = caps
        && super::capabilities::dangerous(c)
    {
        out.push(format!("capabilities {c}"));
    }
    out
}

/// The shell-escape detector.
pub struct ShellEscape;

impl<'a> Detector<Context<'a>, FileSubject> for ShellEscape {
    fn id(&self) -> &'static str {
        "shell_escape"
    }

    fn needs(&self) -> Needs {
        Needs {
            input: Input::Files,
            baseline: Baseline::Optional,
            reads: &["file modes and capabilities of programs that can spawn a shell"],
        }
    }

    fn describe(&self) -> &'static str {
        "Shells, interpreters, editors and file tools made setuid, setgid or given cap_setuid-like capabilities: root backdoors."
    }

    fn run(&self, ctx: &Context<'a>, _prior: &[Finding], out: &mut Vec<Finding>) {
        for s in ctx.subjects() {
            let e = s.entry;
            if e.kind != EntryType::File
                || s.change.is_some_and(|c| c.change == ChangeClass::Removed)
                || !listed(e.name())
            {
                continue;
            }
            let now = raised(e.mode, e.capabilities.as_deref());
            if now.is_empty() {
                continue;
            }
            let mut evidence = vec![format!(
                "mode {:04o}, owner uid {}: {}",
                e.mode,
                crate::archive::record::or_unknown(e.uid),
                now.join(", ")
            )];
            if let Some(o) = s.old {
                let before = raised(o.mode, o.capabilities.as_deref());
                evidence.push(if before.is_empty() {
                    format!("baseline: mode {:04o}, no raised privileges", o.mode)
                } else {
                    format!(
                        "baseline: mode {:04o}, already {} (the backdoor predates the baseline)",
                        o.mode,
                        before.join(", ")
                    )
                });
            }
            let mut f = ctx.finding(
                RULE,
                Severity::Critical,
                &e.path,
                format!("{} runs with raised privileges: {}", e.name(), now.join(", ")),
                "This program can start a shell or read and write any file (GTFOBins), and it runs with its owner's privileges or with root-equivalent capabilities: anyone who can run it becomes root (`find . -exec /bin/sh -p \\;`). No package installs it so; it is judged on its mode alone, whether or not its content matches the package.",
                evidence,
            );
            f.subject.change = s.change.map(|c| c.change);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_matches_names_and_prefixes() {
        for n in ["find", "vim.basic", "python3.11", "perl5.36.0", "bash"] {
            assert!(listed(n), "{n}");
        }
        for n in [
            "passwd", "sudo", "su", "mount", "pkexec", "ping", "finder", "",
        ] {
            assert!(!listed(n), "{n}");
        }
    }

    #[test]
    fn privileges_in_words() {
        assert_eq!(raised(0o4755, None), ["setuid"]);
        assert_eq!(raised(0o2755, None), ["setgid"]);
        assert!(raised(0o0755, Some("cap_net_raw=ep")).is_empty());
        assert_eq!(
            raised(0o0755, Some("cap_setuid=ep")),
            ["capabilities cap_setuid=ep"]
        );
    }
}
