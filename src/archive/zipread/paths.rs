//! Member names as extractors resolve them.
//!
//! Two different member names can land on one path when extracted:
//! `data/etc/./passwd` and `data/etc/passwd`, `data//x` and `data/x`, or
//! (for tools that read `\` as a separator, as 7-Zip and Windows tools do)
//! `data\x` and `data/x`. One then overwrites the other, or the verifier
//! checks one file and the examiner opens another. A member that is a file
//! where other members need a directory (`data` beside `data/x`) cannot be
//! extracted as sealed either. Exhibit's writer never produces such names,
//! so [`collisions`] reports every one.

use std::borrow::Cow;
use std::collections::HashMap;

/// The path an extractor makes of a member name: `\` read as a separator,
/// empty and `.` components dropped, no trailing `/`.
pub(super) fn resolved(name: &str) -> Cow<'_, str> {
    let plain = !name.contains('\\') && !name.split('/').any(|c| c.is_empty() || c == ".");
    if plain {
        return Cow::Borrowed(name);
    }
    let parts: Vec<&str> = name
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    Cow::Owned(parts.join("/"))
}

/// Whether a name has an empty or `.` component (a directory member's
/// trailing `/` aside): Exhibit never writes one.
pub(super) fn is_noncanonical(name: &str) -> bool {
    let body = name.strip_suffix('/').unwrap_or(name);
    body.split('/').any(|c| c.is_empty() || c == ".")
}

/// Pairs of members (by index) that extract to the same path, or where one
/// is a file another needs as a directory: (member, other member, detail).
/// `names` are the member names, `is_dir` says which are directory members.
pub(super) fn collisions(names: &[&str], is_dir: &[bool]) -> Vec<(usize, usize, &'static str)> {
    let keys: Vec<Cow<'_, str>> = names.iter().map(|n| resolved(n)).collect();
    let mut out = Vec::new();
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        match first.get(k.as_ref()) {
            // Identical names are `duplicate_member`s already.
            Some(&j) if names.get(j) != names.get(i) => {
                out.push((i, j, "extracts to the same path as"));
            }
            Some(_) => {}
            None => {
                first.insert(k.as_ref(), i);
            }
        }
    }
    // Every directory some member needs (with the first member needing it),
    // each inserted once together with its parents.
    let mut dirs: HashMap<&str, usize> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        let mut path: &str = k.as_ref();
        if is_dir.get(i) == Some(&true) {
            if dirs.contains_key(path) {
                continue;
            }
            dirs.insert(path, i);
        }
        while let Some(cut) = path.rfind('/') {
            path = &path[..cut];
            if dirs.contains_key(path) {
                break;
            }
            dirs.insert(path, i);
        }
    }
    for (i, k) in keys.iter().enumerate() {
        if is_dir.get(i) != Some(&true)
            && let Some(&j) = dirs.get(k.as_ref())
        {
            out.push((i, j, "is a file, but a directory of that name holds"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extractors_resolve_dots_doubles_and_backslashes() {
        assert_eq!(resolved("b/data/etc/passwd"), "b/data/etc/passwd");
        assert!(matches!(resolved("b/data/etc/passwd"), Cow::Borrowed(_)));
        assert_eq!(resolved("b/data/etc/./passwd"), "b/data/etc/passwd");
        assert_eq!(resolved("b/data//x"), "b/data/x");
        assert_eq!(resolved("b/data\\x"), "b/data/x");
        assert_eq!(resolved("b/data/x/"), "b/data/x");
        assert!(is_noncanonical("b/data/./x") && is_noncanonical("b//x"));
        assert!(!is_noncanonical("b/data/x/") && !is_noncanonical("b/data\\x"));
    }

    #[test]
    fn colliding_names_are_found() {
        let names = [
            "b/data/etc/passwd",
            "b/data/etc/./passwd",
            "b/data/x",
            "b/data/x/y",
            "b/data/ok",
            "b/data/dir/",
            "b/data/dir/z",
        ];
        let dirs = names.map(|n| n.ends_with('/'));
        let got = collisions(&names, &dirs);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].0, got[0].1), (1, 0));
        assert_eq!((got[1].0, got[1].1), (2, 3));
        // A file and a directory member of the same name.
        let got = collisions(&["b/data/x", "b/data/x/"], &[false, true]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(collisions(&["b/data/a", "b/data/a b"], &[false, false]).is_empty());
    }
}
