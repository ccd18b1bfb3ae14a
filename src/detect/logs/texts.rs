//! What the log detections say, as data: every title and explanation is a
//! template in `assets/rules/logs/findings.toml` (`[detection.ID.text]`),
//! filled with the values the detection's code computes (`{ip}`,
//! `{total}`…), beside the severities of its cases
//! (`[detection.ID.severities]`) and the numbers it rates them by
//! (`[detection.ID.limits]`). A rules directory overrides any of them
//! key by key ([`crate::detect::ruleset`]), which checks that an override
//! names a known key and only the values its built-in template uses.
//!
//! What a detection groups by and how it counts stays in its code: that is
//! the algorithm, not its wording.

use std::collections::BTreeSet;
use std::fmt::{self, Display, Write as _};

/// The values of a template, by name: `vars![ip, total = g.total]` is
/// `&[("ip", &ip), ("total", &g.total)]` as [`Var`]s.
macro_rules! vars {
    ($($name:ident $(= $e:expr)?),* $(,)?) => {
        &[$((stringify!($name), vars!(@v $name $(= $e)?))),*]
    };
    (@v $name:ident = $e:expr) => { &$e as &dyn ::std::fmt::Display };
    (@v $name:ident) => { &$name as &dyn ::std::fmt::Display };
}
pub(crate) use vars;

/// A value a template names: `("ip", &ip)`.
pub type Var<'a> = (&'a str, &'a dyn Display);

/// A string shown quoted and escaped, as `"dana"` (account and group
/// names, which may hold spaces or control characters).
pub struct Quoted<'a>(pub &'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Fill `{name}` in `template` with the value named so; `{{` and `}}` are
/// literal braces, and a name no value has is left as written (so a typo
/// shows in the finding rather than vanishing).
pub fn fill(template: &str, vars: &[Var<'_>]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        if let Some(t) = tail.strip_prefix("{{") {
            out.push('{');
            rest = t;
            continue;
        }
        if let Some(t) = tail.strip_prefix("}}") {
            out.push('}');
            rest = t;
            continue;
        }
        if let Some((name, after)) = placeholder(tail)
            && let Some((_, v)) = vars.iter().find(|(n, _)| *n == name)
        {
            let _ = write!(out, "{v}");
            rest = after;
            continue;
        }
        let (c, t) = tail.split_at(1);
        out.push_str(c);
        rest = t;
    }
    out.push_str(rest);
    out
}

/// `{name}…` at the start of `s`: the name and what follows the brace.
fn placeholder(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_prefix('{')?;
    let end = body.find('}')?;
    let name = body.get(..end)?;
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then(|| (name, body.get(end + 1..).unwrap_or("")))
}

/// The names a template uses.
pub fn names(template: &str) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = rest.get(i..).unwrap_or("");
        if let Some(t) = tail.strip_prefix("{{").or_else(|| tail.strip_prefix("}}")) {
            rest = t;
        } else if let Some((name, after)) = placeholder(tail) {
            out.insert(name);
            rest = after;
        } else {
            rest = tail.get(1..).unwrap_or("");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_names_keeps_braces_and_unknown_names() {
        let ip = "192.0.2.7";
        let n = 12;
        let t = "{n} failures from {ip} {{literal}} {nope} {ip}{";
        assert_eq!(
            fill(t, &[("ip", &ip), ("n", &n)]),
            "12 failures from 192.0.2.7 {literal} {nope} 192.0.2.7{"
        );
        assert_eq!(
            names(t).into_iter().collect::<Vec<_>>(),
            ["ip", "n", "nope"]
        );
        assert_eq!(
            fill("{user}", &[("user", &Quoted("a \"b\""))]),
            r#""a \"b\"""#
        );
        assert_eq!(fill("ünï {x} ✓", &[("x", &"é")]), "ünï é ✓");
        assert_eq!(fill("{ bad }{}", &[]), "{ bad }{}");
    }
}
