//! Erased log lines: lines an earlier snapshot of a host holds that a
//! later snapshot of the same host lost from the middle of the same log
//! (found while merging the snapshots, [`crate::logs::merge`]). Rotation
//! and a file truncated or replaced as a whole are not counted; what is
//! left is lines deleted from a file that went on. One finding per file
//! and pair of snapshots, naming the addresses, accounts and commands the
//! lost lines mention ("17 lines mentioning 198.18.7.7 were removed from
//! /var/log/auth.log between the two captures").

use super::{Ctx, Finding, Severity};
use crate::logs::event::{Event, Field};
use std::collections::{BTreeMap, BTreeSet};

/// The detection's id (and its findings' rule).
pub const ID: &str = "erased_lines";

/// Values named per kind in the explanation; more are counted.
const NAMED: usize = 5;

/// Run the detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    // (before, after, path) -> events
    let mut groups: BTreeMap<(u32, u32, String), Vec<u32>> = BTreeMap::new();
    for x in &store.erased {
        let Some(e) = store.events.get(x.event as usize) else {
            continue;
        };
        let path = store
            .source_of(e)
            .map(|s| s.path.clone())
            .unwrap_or_default();
        groups
            .entry((x.before, x.after, path))
            .or_default()
            .push(x.event);
    }
    let name = |i: u32| {
        store
            .snapshots
            .get(i as usize)
            .map(|s| {
                s.archive
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| s.archive.display().to_string())
            })
            .unwrap_or_else(|| "?".into())
    };
    let mut out = Vec::new();
    for ((before, after, path), events) in groups {
        let mut ips: BTreeMap<String, usize> = BTreeMap::new();
        let mut users: BTreeMap<String, usize> = BTreeMap::new();
        let mut commands: BTreeMap<String, usize> = BTreeMap::new();
        for &i in &events {
            let Some(e) = store.events.get(i as usize) else {
                continue;
            };
            for ip in addresses(e) {
                *ips.entry(ip).or_default() += 1;
            }
            if let Some(u) = e.get(Field::User) {
                *users.entry(u.to_string()).or_default() += 1;
            }
            if let Some(c) = e.get(Field::Command) {
                *commands.entry(c.to_string()).or_default() += 1;
            }
        }
        let n = events.len();
        let mut parts = Vec::new();
        for (what, counts) in [
            ("mentioning", &ips),
            ("of account", &users),
            ("running", &commands),
        ] {
            let mut v: Vec<(&String, &usize)> = counts.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (value, k) in v.iter().take(NAMED) {
                parts.push(format!(
                    "{k} line{} {what} {value} {} removed from {path} between the two captures",
                    if **k == 1 { "" } else { "s" },
                    if **k == 1 { "was" } else { "were" },
                ));
            }
            if v.len() > NAMED {
                parts.push(format!(
                    "{} more value(s) {what} not named",
                    v.len() - NAMED
                ));
            }
        }
        let title = match ips.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
            Some((ip, k)) => format!(
                "{n} line(s) erased from {path} between {} and {}: {k} mentioning {ip}",
                name(before),
                name(after)
            ),
            None => format!(
                "{n} line(s) erased from {path} between {} and {}",
                name(before),
                name(after)
            ),
        };
        let explanation = format!(
            "{n} line(s) of {path} in {} are missing from {}, while the lines before and after them are still there: they were deleted from the log, not rotated away or cut with the whole file.{}",
            name(before),
            name(after),
            if parts.is_empty() {
                String::new()
            } else {
                format!(" {}.", parts.join("; "))
            }
        );
        let mut f = Finding::from_events(store, ID, Severity::High, title, explanation, events);
        f.subject.paths = vec![path];
        let all: BTreeSet<String> = f.subject.ips.drain(..).chain(ips.into_keys()).collect();
        f.subject.ips = all.into_iter().collect();
        out.push(f);
    }
    out
}

/// The addresses a line names: its address field and IPv4 addresses in
/// its text.
fn addresses(e: &Event) -> BTreeSet<String> {
    let mut out = crate::logs::merge::addresses_in(e.line_text());
    if let Some(ip) = e.get(Field::Ip) {
        out.insert(ip.to_string());
    }
    out
}
