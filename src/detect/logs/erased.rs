//! Erased log lines: lines an earlier snapshot of a host holds that a
//! later snapshot of the same host lost from the middle of the same log
//! (found while merging the snapshots, [`crate::logs::merge`]). Rotation
//! and a file truncated or replaced as a whole are not counted; what is
//! left is lines deleted from a file that went on. One finding per file
//! and pair of snapshots, naming the addresses, accounts and commands the
//! lost lines mention ("17 lines mentioning 198.18.7.7 were removed from
//! /var/log/auth.log between the two captures").

use super::texts::vars;
use super::{Ctx, Finding};
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
    let cfg = ctx.cfg;
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
        for (what, counts) in [("ips", &ips), ("users", &users), ("commands", &commands)] {
            let what = cfg.text(ID, &format!("what_{what}"), &[]);
            let mut v: Vec<(&String, &usize)> = counts.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (value, k) in v.iter().take(NAMED) {
                let key = if **k == 1 { "part_one" } else { "part_many" };
                parts.push(cfg.text(ID, key, vars![k, what, value, path]));
            }
            if v.len() > NAMED {
                let more = v.len() - NAMED;
                parts.push(cfg.text(ID, "part_more", vars![more, what]));
            }
        }
        let (before, after) = (name(before), name(after));
        let title = match ips.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
            Some((ip, k)) => cfg.text(ID, "title_ip", vars![n, path, before, after, k, ip]),
            None => cfg.text(ID, "title", vars![n, path, before, after]),
        };
        let details = if parts.is_empty() {
            String::new()
        } else {
            cfg.text(ID, "details", vars![parts = parts.join("; ")])
        };
        let explanation = cfg.text(ID, "explanation", vars![n, path, before, after, details]);
        let sev = cfg.case_severity(ID, "erased");
        let mut f = Finding::from_events(store, ID, sev, title, explanation, events);
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
