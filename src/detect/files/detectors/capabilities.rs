//! File capabilities (`security.capability`): a file given capabilities such
//! as `cap_setuid` is a setuid binary in disguise that `find -perm -4000`
//! does not show. Directory snapshots read them; archives record them since
//! `acquisition.json` says `records_capabilities` (older archives do not).

use crate::detect::Severity;
use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::files::{Context, Finding};
use crate::detect::{Detector, FileSubject};
use crate::diff::ChangeClass;

/// The rule id of its findings.
pub const RULE: &str = "privilege.capabilities";

/// Capabilities that give root (or its equivalent) to whoever runs the file.
const DANGEROUS: &[&str] = &[
    "cap_setuid",
    "cap_setgid",
    "cap_sys_admin",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_sys_ptrace",
    "cap_sys_module",
    "cap_chown",
    "cap_fowner",
    "cap_setfcap",
    "cap_sys_rawio",
    "cap_bpf",
];

pub(crate) fn dangerous(caps: &str) -> bool {
    let set = caps.split('=').next().unwrap_or("");
    set.split(',').any(|c| DANGEROUS.contains(&c))
}

/// The capabilities detector.
pub struct Capabilities;

impl<'a> Detector<Context<'a>, FileSubject> for Capabilities {
    fn id(&self) -> &'static str {
        "capabilities"
    }

    fn needs(&self) -> Needs {
        Needs {
            input: Input::Files,
            baseline: Baseline::Optional,
            reads: &["file capabilities (security.capability; folders only)"],
        }
    }

    fn describe(&self) -> &'static str {
        "Files given capabilities such as cap_setuid: setuid binaries in disguise."
    }

    fn run(&self, ctx: &Context<'a>, _prior: &[Finding], out: &mut Vec<Finding>) {
        if !ctx.new.knows_capabilities {
            return;
        }
        let old_knows = ctx.old.is_some_and(|o| o.knows_capabilities);
        for s in ctx.subjects() {
            let Some(caps) = s.entry.capabilities.as_deref() else {
                continue;
            };
            let bad = dangerous(caps);
            let (severity, title, mut ev) = match s.change {
                None => (
                    if bad { Severity::High } else { Severity::Low },
                    "File has capabilities",
                    Vec::new(),
                ),
                Some(c) if c.change == ChangeClass::Removed => continue,
                Some(_) => {
                    let before = s.old.and_then(|o| o.capabilities.clone());
                    if old_knows && before.as_deref() == Some(caps) {
                        continue;
                    }
                    let ev = vec![format!(
                        "before: {}",
                        if old_knows {
                            before.unwrap_or_else(|| "none".into())
                        } else {
                            "not recorded by the baseline".into()
                        }
                    )];
                    (
                        if bad {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        "File newly given capabilities",
                        ev,
                    )
                }
            };
            ev.insert(0, format!("security.capability: {caps}"));
            let mut f = ctx.finding(
                RULE,
                severity,
                &s.entry.path,
                title,
                if bad {
                    "The file carries capabilities that let whoever runs it become root or bypass file permissions (e.g. cap_setuid on an interpreter): a setuid backdoor that a search for setuid files does not show."
                } else {
                    "The file carries Linux capabilities; check they belong to a package (ping, some network tools) and were not added by hand."
                },
                ev,
            );
            f.subject.change = s.change.map(|c| c.change);
            out.push(f);
        }
    }
}
