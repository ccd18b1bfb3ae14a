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
#[cfg(test)]
pub(super) fn collisions(names: &[&str], is_dir: &[bool]) -> Vec<(usize, usize, &'static str)> {
    collisions_by(
        names.len(),
        |i| Cow::Borrowed(names[i]),
        |i| is_dir.get(i) == Some(&true),
    )
}

/// [`collisions`] of `n` members given by their name and whether each is
/// a directory member. Memory: four bytes per member and one entry per
/// directory the members need.
pub(super) fn collisions_by<'a>(
    n: usize,
    name: impl Fn(usize) -> Cow<'a, str>,
    is_dir: impl Fn(usize) -> bool,
) -> Vec<(usize, usize, &'static str)> {
    let key = |i: usize| -> Cow<'a, str> {
        match name(i) {
            Cow::Borrowed(b) => resolved(b),
            Cow::Owned(o) => Cow::Owned(resolved(&o).into_owned()),
        }
    };
    // Members by the path they extract to (ties in member order): in a run
    // of one path, each later member collides with the first.
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| key(a as usize).cmp(&key(b as usize)));
    let mut out = Vec::new();
    let mut run_start = 0;
    for k in 1..=order.len() {
        let same = k < order.len() && key(order[k] as usize) == key(order[run_start] as usize);
        if same {
            continue;
        }
        let j = order[run_start] as usize;
        for &i in &order[run_start + 1..k] {
            // Identical names are `duplicate_member`s already.
            if name(i as usize) != name(j) {
                out.push((i as usize, j, "extracts to the same path as"));
            }
        }
        run_start = k;
    }
    drop(order);
    out.sort_by_key(|&(i, _, _)| i);
    // Every directory some member needs (with the first member needing it),
    // each inserted once together with its parents.
    let mut dirs: HashMap<String, usize> = HashMap::new();
    for i in 0..n {
        let k = key(i);
        let mut path: &str = k.as_ref();
        if is_dir(i) {
            if dirs.contains_key(path) {
                continue;
            }
            dirs.insert(path.to_string(), i);
        }
        while let Some(cut) = path.rfind('/') {
            path = &path[..cut];
            if dirs.contains_key(path) {
                break;
            }
            dirs.insert(path.to_string(), i);
        }
    }
    for i in 0..n {
        if !is_dir(i)
            && let Some(&j) = dirs.get(key(i).as_ref())
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
