//! `/etc/passwd` and `/etc/group` (`name:password:id:...`, one account or
//! group per line). Blank lines and comment lines (first non-blank
//! character `#`) are skipped; a line with too few fields is skipped by the
//! views that need the missing field. Never panics, on any text.

use std::collections::{BTreeMap, HashMap};

/// One non-blank, non-comment line: its 1-based number and its fields.
fn records(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let t = l.trim_start();
        (!t.is_empty() && !t.starts_with('#')).then(|| (i + 1, l.split(':').collect()))
    })
}

/// One `/etc/passwd` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    /// `None` when the field is missing or not a number.
    pub uid: Option<u32>,
    pub home: String,
    pub shell: String,
    /// 1-based line number.
    pub line: usize,
}

/// `/etc/passwd` by account name; the first line of a name wins (as in
/// glibc's lookups).
pub fn parse_passwd(text: &str) -> BTreeMap<String, PasswdEntry> {
    let mut out = BTreeMap::new();
    for (line, f) in records(text) {
        let Some(name) = f.first() else { continue };
        out.entry(name.to_string()).or_insert(PasswdEntry {
            name: name.to_string(),
            uid: f.get(2).and_then(|u| u.trim().parse().ok()),
            home: f.get(5).unwrap_or(&"").to_string(),
            shell: f.get(6).unwrap_or(&"").to_string(),
            line,
        });
    }
    out
}

/// `/etc/group` as group name -> members (the fourth field, comma
/// separated). Lines without a member field are skipped.
pub fn parse_group(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (_, f) in records(text) {
        if let (Some(name), Some(members)) = (f.first(), f.get(3)) {
            out.insert(
                name.to_string(),
                members
                    .split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
    }
    out
}

/// Numeric id -> name, from `/etc/passwd` (uids) or `/etc/group` (gids):
/// both keep the id in the third field. The first name of an id wins.
pub fn id_names(text: &str) -> HashMap<u32, String> {
    let mut map = HashMap::new();
    for (_, f) in records(text) {
        let (Some(name), Some(id)) = (f.first(), f.get(2)) else {
            continue;
        };
        if let Ok(id) = id.trim().parse::<u32>() {
            map.entry(id).or_insert_with(|| name.to_string());
        }
    }
    map
}

/// The home directories `/etc/passwd` names (sixth field, trimmed), in file
/// order, absolute ones only.
pub fn passwd_homes(text: &str) -> Vec<String> {
    records(text)
        .filter_map(|(_, f)| f.get(5).map(|h| h.trim().to_string()))
        .filter(|h| h.starts_with('/'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                          # comment:x:7:7::/c:/bin/sh\n\
                          \n\
                          daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n\
                          toor:x:0:0:: /root :/bin/sh\n\
                          root:x:99:99::/elsewhere:/bin/sh\n\
                          bad\n";

    #[test]
    fn passwd_first_name_wins_comments_and_blanks_skipped() {
        let p = parse_passwd(PASSWD);
        assert_eq!(p.len(), 4, "{p:?}");
        assert_eq!(p["root"].uid, Some(0));
        assert_eq!(p["root"].line, 1);
        assert_eq!(p["toor"].line, 5);
        assert_eq!(p["bad"].uid, None);
        assert!(!p.keys().any(|k| k.starts_with('#')));
    }

    #[test]
    fn ids_homes_and_groups() {
        let ids = id_names(PASSWD);
        assert_eq!(ids[&0], "root");
        assert_eq!(ids[&1], "daemon");
        assert_eq!(ids[&99], "root");
        assert!(!ids.contains_key(&7), "a comment line is no account");
        assert_eq!(
            passwd_homes(PASSWD),
            ["/root", "/usr/sbin", "/root", "/elsewhere"]
        );
        let g = parse_group("sudo:x:27:ann, bob,\nwheel:x:10\n#adm:x:4:eve\n");
        assert_eq!(g["sudo"], ["ann", "bob"]);
        assert!(!g.contains_key("wheel") && g.len() == 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_passwd(&s);
            let _ = parse_group(&s);
            let _ = id_names(&s);
            let _ = passwd_homes(&s);
        }
    }
}
