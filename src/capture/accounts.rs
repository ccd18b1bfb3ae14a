//! User and group names of the examined system, read from the target's own
//! `/etc/passwd` and `/etc/group` (never from the examiner's machine when a
//! target root is given).

use std::collections::HashMap;
use std::path::Path;

/// uid → name and gid → name maps of the target.
#[derive(Debug, Default, Clone)]
pub struct Accounts {
    pub users: HashMap<u32, String>,
    pub groups: HashMap<u32, String>,
}

/// Parse `name:x:id:...` lines; malformed lines are ignored.
pub fn parse_id_file(text: &str) -> HashMap<u32, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let mut f = line.split(':');
        let (Some(name), Some(_), Some(id)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if let Ok(id) = id.trim().parse::<u32>() {
            map.entry(id).or_insert_with(|| name.to_string());
        }
    }
    map
}

impl Accounts {
    /// Read the accounts of the system whose root directory is `root`.
    pub fn load(root: &Path) -> Self {
        let read = |p: &str| {
            std::fs::read(root.join(p))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        Self {
            users: parse_id_file(&read("etc/passwd")),
            groups: parse_id_file(&read("etc/group")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_passwd() {
        let m = parse_id_file(
            "root:x:0:0:root:/root:/bin/bash\nbad\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n",
        );
        assert_eq!(m.get(&0).map(String::as_str), Some("root"));
        assert_eq!(m.get(&33).map(String::as_str), Some("www-data"));
        assert_eq!(m.len(), 2);
    }
}
