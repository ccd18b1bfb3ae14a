//! User and group names of the examined system, read from the target's own
//! `/etc/passwd` and `/etc/group` (never from the examiner's machine when a
//! target root is given) through [`super::target`]: inside the root,
//! regular files only, `O_NOATIME`, at most [`ACCOUNTS_CAP`] bytes.

use super::target::{self, ACCOUNTS_CAP, TargetReadError};
use crate::sysfiles::accounts::id_names;
use std::collections::HashMap;
use std::path::Path;

/// uid → name and gid → name maps of the target.
#[derive(Debug, Default, Clone)]
pub struct Accounts {
    pub users: HashMap<u32, String>,
    pub groups: HashMap<u32, String>,
    /// Account files that exist but were not read, or not read whole:
    /// (logical path, why). A missing file is not a problem.
    pub refused: Vec<(String, String)>,
}

impl Accounts {
    /// Read the accounts of the system whose root directory is `root`.
    /// Symlinks (e.g. `/etc/passwd -> /some/where`) resolve inside `root`,
    /// never on the examiner's machine.
    pub fn load(root: &Path) -> Self {
        let mut refused = Vec::new();
        let mut read = |p: &str| match target::read(root, p, ACCOUNTS_CAP) {
            Ok(f) => {
                let mut text = f.text();
                if f.truncated {
                    // A cut line could map an id to a wrong name: drop it.
                    text.truncate(text.rfind('\n').map_or(0, |i| i + 1));
                    refused.push((
                        p.to_string(),
                        format!("accounts: only the first {ACCOUNTS_CAP} bytes were read"),
                    ));
                }
                text
            }
            Err(TargetReadError::NotFound) => {
                if target::exists(root, p) {
                    refused.push((
                        p.to_string(),
                        "accounts: a symbolic link to nothing inside the target (links resolve inside it); not used".to_string(),
                    ));
                }
                String::new()
            }
            Err(e) => {
                refused.push((p.to_string(), format!("accounts: not read: {e}")));
                String::new()
            }
        };
        let users = id_names(&read("/etc/passwd"));
        let groups = id_names(&read("/etc/group"));
        Self {
            users,
            groups,
            refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_passwd() {
        let m = id_names(
            "root:x:0:0:root:/root:/bin/bash\nbad\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n",
        );
        assert_eq!(m.get(&0).map(String::as_str), Some("root"));
        assert_eq!(m.get(&33).map(String::as_str), Some("www-data"));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn passwd_link_resolves_inside_the_root() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::write(root.join("data/passwd"), "inside:x:1234:1234::/:/bin/sh\n").unwrap();
        // An absolute link: on the examined system it means <root>/data/passwd.
        std::os::unix::fs::symlink("/data/passwd", root.join("etc/passwd")).unwrap();
        // And a link that would read the examiner's own group file if followed naively.
        std::os::unix::fs::symlink("/etc/group.host", root.join("etc/group")).unwrap();
        let acc = Accounts::load(root);
        assert_eq!(acc.users.get(&1234).map(String::as_str), Some("inside"));
        assert!(
            !acc.users.contains_key(&0),
            "the examiner's /etc/passwd must not be read"
        );
        assert!(acc.groups.is_empty());
    }
}
