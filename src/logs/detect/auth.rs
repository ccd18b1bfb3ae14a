//! What the authentication detections share: the remote failures and
//! successes (sshd, PAM, auditd, btmp, dropbear), grouped by address and by
//! account. The detections themselves are `bruteforce`, `spraying`,
//! `distributed`, `success_after_failures` and `new_source`.
//!
//! A failure counts once: PAM's `authentication failure` and sshd's
//! `Invalid user` lines are skipped when the same process also logged a
//! `Failed ...` line for it, and `message repeated N times` counts N.

use super::{Ctx, ev};
use crate::logs::event::{Event, Field, Kind};
use crate::logs::load::LogStore;
use std::collections::{BTreeMap, HashSet};

fn is_pam(e: &Event) -> bool {
    e.get(Field::Program)
        .is_some_and(|p| p.ends_with("(pam_unix)"))
        || e.line_text().contains("pam_unix(")
        || e.line_text().contains("pam_sss(")
}

/// Remote authentication failures (with an address), deduplicated.
pub fn failures<'a>(ctx: &Ctx<'a>) -> Vec<u32> {
    let store = ctx.store;
    let mut direct: HashSet<(u32, &'a str)> = HashSet::new();
    for e in &store.events {
        if e.kind == Kind::AuthFailure
            && !is_pam(e)
            && let Some(pid) = e.get(Field::Pid)
        {
            direct.insert((e.source, pid));
        }
    }
    ctx.timed(&[Kind::AuthFailure, Kind::InvalidUser])
        .filter(|(_, e)| e.get(Field::Ip).is_some_and(|ip| !ip.is_empty()))
        .filter(|(_, e)| {
            let secondary = e.kind == Kind::InvalidUser || is_pam(e);
            !(secondary
                && e.get(Field::Pid)
                    .is_some_and(|p| direct.contains(&(e.source, p))))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Successful remote logins (with an address).
pub fn successes(ctx: &Ctx<'_>) -> Vec<u32> {
    ctx.timed(&[Kind::AuthSuccess])
        .filter(|(_, e)| e.get(Field::Ip).is_some_and(|ip| !ip.is_empty()))
        .map(|(i, _)| i)
        .collect()
}

/// The time of an event (untimed events sort first).
pub fn t(e: &Event) -> i64 {
    e.time_us.unwrap_or(i64::MIN)
}

/// Failures and successes, grouped.
pub struct AuthData<'a> {
    pub fails: Vec<u32>,
    pub succ: Vec<u32>,
    /// Failures per address, in time order.
    pub by_ip: BTreeMap<&'a str, Vec<u32>>,
    /// Failures per (non-empty) account, in time order.
    pub by_user: BTreeMap<&'a str, Vec<u32>>,
}

/// Collect the authentication data of a store.
pub fn collect<'a>(ctx: &Ctx<'a>) -> AuthData<'a> {
    let store: &'a LogStore = ctx.store;
    let fails = failures(ctx);
    let succ = successes(ctx);
    let mut by_ip: BTreeMap<&'a str, Vec<u32>> = BTreeMap::new();
    let mut by_user: BTreeMap<&'a str, Vec<u32>> = BTreeMap::new();
    for &i in &fails {
        let Some(e) = ev(store, i) else { continue };
        if let Some(ip) = e.get(Field::Ip) {
            by_ip.entry(ip).or_default().push(i);
        }
        if let Some(u) = e.get(Field::User).filter(|u| !u.is_empty()) {
            by_user.entry(u).or_default().push(i);
        }
    }
    AuthData {
        fails,
        succ,
        by_ip,
        by_user,
    }
}

/// Occurrences behind some events (`message repeated N times` counts N).
pub fn count(store: &LogStore, v: &[u32]) -> u64 {
    v.iter()
        .filter_map(|&i| ev(store, i))
        .map(|e| u64::from(e.count))
        .sum()
}
