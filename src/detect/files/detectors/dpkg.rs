//! System files that no longer match the package manager's own hashes, the
//! way `debsums` checks them: every `/var/lib/dpkg/info/*.md5sums` of the
//! snapshot lists `<md5>  <path relative to />` per packaged file.
//!
//! Merged-/usr systems list `bin/ls` while the file is `/usr/bin/ls` (`/bin`
//! being a symlink to `usr/bin`), so a listed path that is absent (or whose
//! top directory is a symlink) is looked up under `/usr` too. On a diff only
//! changed files are checked, and a binary updated together with its md5sums
//! (a package upgrade) is not flagged.

use crate::archive::EntryType;
use crate::detect::Severity;
use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::files::{Context, Finding};
use crate::detect::{Detector, FileSubject};
use crate::diff::ChangeClass;
use crate::snapshot::{Entry, Snapshot};
use md5::{Digest, Md5};
use std::collections::HashMap;
use std::io::Read;

const INFO_DIR: &str = "/var/lib/dpkg/info";
const MAX_LIST_BYTES: u64 = 16 << 20;
/// Which package each ucf-managed configuration file belongs to.
const UCF_REGISTRY: &str = "/var/lib/ucf/registry";

/// What a package says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub md5: [u8; 16],
    pub package: String,
    /// The md5sums file that lists it.
    pub list: String,
    /// The path as written in the list.
    pub listed_as: String,
}

/// Parse one md5sums file into (listed path, md5) pairs.
pub fn parse_md5sums(text: &str) -> Vec<(String, [u8; 16])> {
    let mut out = Vec::new();
    for l in text.lines() {
        let Some((h, p)) = l.split_once(' ') else {
            continue;
        };
        let mut md5 = [0u8; 16];
        if hex::decode_to_slice(h.trim(), &mut md5).is_err() {
            continue;
        }
        let p = p.trim_start_matches([' ', '*']).trim_start_matches('/');
        if !p.is_empty() {
            out.push((p.to_string(), md5));
        }
    }
    out
}

/// The logical path a listed path refers to in this snapshot.
fn resolve(snap: &Snapshot, listed: &str) -> String {
    let direct = format!("/{listed}");
    let top = listed.split('/').next().unwrap_or("");
    let top_is_link = snap
        .get(&format!("/{top}"))
        .is_some_and(|e| e.kind == EntryType::Symlink);
    let merged = matches!(top, "bin" | "sbin" | "lib" | "lib32" | "lib64" | "libx32");
    if merged && (top_is_link || snap.get(&direct).is_none()) {
        let usr = format!("/usr/{listed}");
        if snap.get(&usr).is_some() {
            return usr;
        }
    }
    direct
}

/// Every packaged file of the snapshot, by logical path.
pub fn package_index(snap: &Snapshot) -> HashMap<String, Listed> {
    let mut out = HashMap::new();
    let lists: Vec<&Entry> = snap
        .under(INFO_DIR)
        .filter(|e| e.path.ends_with(".md5sums") && e.has_content())
        .collect();
    for l in lists {
        let Ok(raw) = snap.read_prefix(l, MAX_LIST_BYTES) else {
            continue;
        };
        let package = l.name().trim_end_matches(".md5sums").to_string();
        for (p, md5) in parse_md5sums(&String::from_utf8_lossy(&raw)) {
            let logical = resolve(snap, &p);
            out.entry(logical).or_insert(Listed {
                md5,
                package: package.clone(),
                list: l.path.clone(),
                listed_as: p,
            });
        }
    }
    out
}

/// A file the package manager owns and when its package was last
/// installed or upgraded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub package: String,
    /// The modification time of the package's `.list`, which dpkg rewrites
    /// whenever it unpacks the package: its install or upgrade time.
    pub installed_ns: i64,
}

/// Every file a dpkg package owns, by logical path: what each
/// `/var/lib/dpkg/info/<package>.list` names (conffiles too, which the
/// md5sums leave out), the configuration files its maintainer scripts
/// registered with ucf, and the package's own files in `info/`
/// (`<package>.md5sums`, `.list`, maintainer scripts), with the time the
/// package was installed or upgraded.
pub fn owner_index(snap: &Snapshot) -> HashMap<String, Owned> {
    let mut out = HashMap::new();
    let mut installed: HashMap<String, i64> = HashMap::new();
    let lists: Vec<&Entry> = snap
        .under(INFO_DIR)
        .filter(|e| e.path.ends_with(".list") && e.has_content())
        .collect();
    for l in lists {
        let Some(t) = l.mtime_ns else { continue };
        let package = l.name().trim_end_matches(".list").to_string();
        installed.insert(package.clone(), t);
        let Ok(raw) = snap.read_prefix(l, MAX_LIST_BYTES) else {
            continue;
        };
        for line in String::from_utf8_lossy(&raw).lines() {
            let p = line.trim_end();
            let Some(rel) = p.strip_prefix('/') else {
                continue;
            };
            if rel.is_empty() || rel == "." {
                continue;
            }
            out.entry(resolve(snap, rel)).or_insert(Owned {
                package: package.clone(),
                installed_ns: t,
            });
        }
    }
    // Configuration files maintainer scripts install through ucf (sshd_config
    // from openssh-server): `/var/lib/ucf/registry` names their package.
    if let Some(reg) = snap.get(UCF_REGISTRY).filter(|e| e.has_content())
        && let Ok(raw) = snap.read_prefix(reg, MAX_LIST_BYTES)
    {
        for line in String::from_utf8_lossy(&raw).lines() {
            let mut parts = line.split_whitespace();
            let (Some(package), Some(path)) = (parts.next(), parts.next()) else {
                continue;
            };
            let Some(&t) = installed.get(package) else {
                continue;
            };
            out.entry(path.to_string()).or_insert(Owned {
                package: package.to_string(),
                installed_ns: t,
            });
        }
    }
    for e in snap.under(INFO_DIR) {
        // `<package>[:arch].<what>`: the package is everything before the
        // last dot.
        let name = e.name();
        let Some((package, _)) = name.rsplit_once('.') else {
            continue;
        };
        if let Some(&t) = installed.get(package) {
            out.entry(e.path.clone()).or_insert(Owned {
                package: package.to_string(),
                installed_ns: t,
            });
        }
    }
    out
}

/// The MD5 of an entry's content, streamed.
pub fn md5_of(snap: &Snapshot, e: &Entry) -> Option<[u8; 16]> {
    let mut r = snap.open_content(e).ok()?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n)?);
    }
    Some(h.finalize().into())
}

fn is_system_binary(path: &str) -> bool {
    [
        "/bin/",
        "/sbin/",
        "/usr/bin/",
        "/usr/sbin/",
        "/lib/",
        "/usr/lib/",
        "/lib64/",
        "/usr/lib64/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// The package-hash detector.
pub struct Dpkg;

impl<'a> Detector<Context<'a>, FileSubject> for Dpkg {
    fn id(&self) -> &'static str {
        "packages"
    }

    fn needs(&self) -> Needs {
        Needs {
            input: Input::Files,
            baseline: Baseline::Optional,
            reads: &["/var/lib/dpkg/info/*.md5sums", "the packaged files"],
        }
    }

    fn describe(&self) -> &'static str {
        "System files that no longer match the package manager's own hashes (like debsums)."
    }

    fn run(&self, ctx: &Context<'a>, _prior: &[Finding], out: &mut Vec<Finding>) {
        let index = package_index(ctx.new);
        if index.is_empty() {
            return;
        }
        let mut check: Vec<(&Entry, &Listed, Option<ChangeClass>)> = Vec::new();
        match ctx.changes {
            Some(changes) => {
                for c in changes {
                    if !c.change.content_changed() {
                        continue;
                    }
                    if let (Some(e), Some(l)) = (ctx.new.get(&c.path), index.get(&c.path)) {
                        check.push((e, l, Some(c.change)));
                    }
                }
            }
            None => {
                for e in ctx.new.judged() {
                    if let Some(l) = index.get(&e.path) {
                        check.push((e, l, None));
                    }
                }
            }
        }
        for (e, l, change) in check {
            if e.kind != EntryType::File || !e.has_content() {
                continue;
            }
            let Some(md5) = md5_of(ctx.new, e) else {
                continue;
            };
            if md5 == l.md5 {
                continue;
            }
            let list_changed = ctx
                .changes
                .is_some_and(|cs| cs.iter().any(|c| c.path == l.list));
            let severity = if is_system_binary(&e.path) {
                Severity::Critical
            } else {
                Severity::High
            };
            let mut ev = vec![
                format!("md5 {} in the snapshot", hex::encode(md5)),
                format!("md5 {} in {} ({})", hex::encode(l.md5), l.list, l.listed_as),
            ];
            if let Some(c) = change {
                ev.push(format!(
                    "change: {}; package list {}",
                    c.as_str(),
                    if list_changed {
                        "changed too"
                    } else {
                        "unchanged"
                    }
                ));
            }
            if let Some(h) = e.sha256_hex() {
                ev.push(format!("sha256 {h}"));
            }
            let mut f = ctx.finding(
                "packages.hash_mismatch",
                severity,
                &e.path,
                format!("Packaged file differs from package {}", l.package),
                "The file's content does not match the MD5 its Debian package recorded at install time (as `debsums` checks). Replaced system binaries and libraries are how rootkits hide; a legitimate upgrade updates the package's md5sums at the same time.",
                ev,
            );
            f.subject.change = change;
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5sums_lines() {
        let v = parse_md5sums("d41d8cd98f00b204e9800998ecf8427e  usr/bin/ls\nnot a line\n00  x\n");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, "usr/bin/ls");
    }

    #[test]
    fn merged_usr_resolution() {
        let mut bin = Entry::file("/bin", 0, [0; 32]);
        bin.kind = EntryType::Symlink;
        let s = Snapshot::from_entries("s", vec![bin, Entry::file("/usr/bin/ls", 1, [1; 32])]);
        assert_eq!(resolve(&s, "bin/ls"), "/usr/bin/ls");
        assert_eq!(resolve(&s, "usr/bin/ls"), "/usr/bin/ls");
        assert_eq!(resolve(&s, "etc/x"), "/etc/x");
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,300}") {
            let _ = parse_md5sums(&s);
        }
    }
}
