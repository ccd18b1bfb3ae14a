//! Users' home directories of the examined system, for `{home}` patterns.
//!
//! Homes come from the target's own `/etc/passwd` (read inside the target
//! root, symlinks resolved there, never on the examiner's machine), plus
//! every directory under `/home` and `/root`. Homes that are not real
//! per-user directories (`/`, `/nonexistent`, pseudo filesystems, system
//! binary directories) are left out so `{home}` rules do not sweep them.

use crate::capture::target::{self, ACCOUNTS_CAP};
use crate::capture::walk::{physical, resolve_in_root};
use crate::sysfiles::accounts::passwd_homes;
use std::path::Path;

/// Directories that are listed as homes of system accounts but hold no
/// per-user files; `{home}` rules do not search them.
const NOT_HOMES: &[&str] = &[
    "/",
    "/bin",
    "/sbin",
    "/usr",
    "/usr/bin",
    "/usr/sbin",
    "/usr/games",
    "/lib",
    "/lib64",
    "/usr/lib",
    "/etc",
    "/var",
    "/nonexistent",
    "/dev/null",
];
const PSEUDO: &[&str] = &["/proc", "/sys", "/dev"];

fn normalise(p: &str) -> String {
    let mut out = String::new();
    for c in p.split('/').filter(|c| !c.is_empty() && *c != ".") {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() { "/".into() } else { out }
}

fn is_usable(home: &str) -> bool {
    !home.split('/').any(|c| c == "..")
        && !NOT_HOMES.contains(&home)
        && !PSEUDO
            .iter()
            .any(|p| home == *p || home.starts_with(&format!("{p}/")))
}

/// Every user's home on the target whose `/` is `root` (`/` for the running
/// system): logical paths, sorted, each once. Symlinked homes are given as
/// their target inside the root, since the walker never follows links.
pub fn homes(root: &Path) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    // Entries of /home are kept even when they are links leading nowhere
    // inside the target: the link itself is evidence and gets recorded.
    let mut listed: Vec<String> = Vec::new();
    // Read and listed like every file of the target outside the walk
    // (regular file only, `O_NOATIME`, capped); what cannot be read here
    // is recorded by the capture itself, which reads passwd too.
    let passwd = target::read(root, "/etc/passwd", ACCOUNTS_CAP)
        .map(|f| f.text())
        .unwrap_or_default();
    found.extend(passwd_homes(&passwd));
    found.push("/root".into());
    if let Ok((_, names)) = target::list(root, "/home") {
        for n in names {
            if let Ok(n) = std::str::from_utf8(&n) {
                listed.push(format!("/home/{n}"));
            }
        }
    }
    let mut out: Vec<String> = listed.clone();
    found.extend(listed);
    for h in found {
        let h = normalise(&h);
        if !is_usable(&h) {
            continue;
        }
        // Only directories that exist on the target, as the target sees them.
        let Ok(resolved) = resolve_in_root(root, h.as_bytes(), true) else {
            continue;
        };
        let Ok(resolved) = String::from_utf8(resolved) else {
            continue;
        };
        if !is_usable(&resolved) || !physical(Some(root), resolved.as_bytes()).is_dir() {
            continue;
        }
        for candidate in [h, resolved] {
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The homes `{home}` stood for on a target known only from a capture's
/// records, to judge later what that capture's profiles would have taken:
/// the homes its captured `/etc/passwd` names, `/root` and the entries of
/// `/home` (`home_entries`), kept when usable and recorded as directories
/// (`is_dir`). Nothing is read from any filesystem.
pub fn recorded_homes(
    passwd: &str,
    home_entries: &[String],
    is_dir: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut out: Vec<String> = home_entries.to_vec();
    let mut found: Vec<String> = passwd_homes(passwd);
    found.push("/root".into());
    for h in found {
        let h = normalise(&h);
        if is_usable(&h) && is_dir(&h) && !out.contains(&h) {
            out.push(h);
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_homes_in_order() {
        let h = passwd_homes(
            "root:x:0:0:root:/root:/bin/bash\n#c:x:1:1::/x:/bin/sh\nbad\nbob:x:1000:1000::/srv/bob/:/bin/bash\nn:x:2:2::relative:/bin/sh\n",
        );
        assert_eq!(h, vec!["/root", "/srv/bob/"]);
    }

    #[test]
    fn a_passwd_link_to_the_host_is_not_followed_out_of_the_root() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("etc")).unwrap();
        std::fs::create_dir_all(r.join("home/alice")).unwrap();
        // Inside the root this resolves to itself: a loop, never the host's file.
        std::os::unix::fs::symlink("/etc/passwd", r.join("etc/passwd")).unwrap();
        assert_eq!(homes(r), vec!["/home/alice"]);
    }

    #[test]
    fn homes_resolve_inside_the_root_only() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for p in ["etc", "home/alice", "srv/bob", "root", "var/www"] {
            std::fs::create_dir_all(r.join(p)).unwrap();
        }
        std::fs::write(
            r.join("etc/passwd"),
            "root:x:0:0::/root:/bin/bash\nbob:x:1001:1001::/srv/bob:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\nghost:x:1002:1002::/home/ghost:/bin/sh\nbin:x:2:2::/bin:/usr/sbin/nologin\n",
        )
        .unwrap();
        // A home that is an absolute symlink: resolved inside the root.
        std::os::unix::fs::symlink("/srv/bob", r.join("home/bobby")).unwrap();
        assert_eq!(
            homes(r),
            vec![
                "/home/alice",
                "/home/bobby",
                "/root",
                "/srv/bob",
                "/var/www"
            ]
        );
    }
}
