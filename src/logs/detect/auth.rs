//! What the authentication detections share: the remote failures and
//! successes (sshd, PAM, auditd, btmp, dropbear), grouped by address and by
//! account. The detections themselves are `bruteforce`, `spraying`,
//! `distributed`, `success_after_failures` and `new_source`.
//!
//! A failure counts once: PAM's `authentication failure` and sshd's
//! `Invalid user` lines are skipped when the same process also logged a
//! `Failed ...` line for it, and `message repeated N times` counts N. A
//! btmp record is skipped when a text log (auth.log, secure) holds a failure
//! for the same account from the same address within a second of it: btmp
//! and the text log record the same attempt.
//!
//! The data is collected once per detection run ([`shared`]) and read by
//! every authentication detection.

use super::{Ctx, ev};
use crate::logs::event::{Event, Field, Kind};
use crate::logs::load::LogStore;
use std::collections::BTreeMap;

fn is_pam(e: &Event) -> bool {
    e.get(Field::Program)
        .is_some_and(|p| p.ends_with("(pam_unix)"))
        || e.line_text().contains("pam_unix(")
        || e.line_text().contains("pam_sss(")
}

/// Whether an event comes from a binary btmp file.
fn is_btmp(e: &Event) -> bool {
    e.get(Field::Program) == Some("btmp")
}

/// Remote authentication failures (with an address), deduplicated, in time
/// order.
pub fn failures<'a>(ctx: &Ctx<'a>) -> Vec<u32> {
    let store: &'a LogStore = ctx.store;
    let mut direct: foldhash::HashSet<(u32, &'a str)> = foldhash::HashSet::default();
    for &i in store
        .by_kind
        .get(&Kind::AuthFailure)
        .map_or(&[][..], Vec::as_slice)
    {
        if let Some(e) = ev(store, i)
            && !is_pam(e)
            && let Some(pid) = e.get(Field::Pid)
        {
            direct.insert((e.source, pid));
        }
    }
    let mut out: Vec<u32> = ctx
        .timed(&[Kind::AuthFailure, Kind::InvalidUser])
        .filter(|(_, e)| e.get(Field::Ip).is_some_and(|ip| !ip.is_empty()))
        .filter(|(_, e)| {
            let secondary = e.kind == Kind::InvalidUser || is_pam(e);
            !(secondary
                && e.get(Field::Pid)
                    .is_some_and(|p| direct.contains(&(e.source, p))))
        })
        .map(|(i, _)| i)
        .collect();
    // btmp and a text log seen together: keep the text log's line.
    let has_btmp = out.iter().any(|&i| ev(store, i).is_some_and(is_btmp));
    if has_btmp {
        let mut text: foldhash::HashMap<(&'a str, &'a str), Vec<i64>> =
            foldhash::HashMap::default();
        for &i in &out {
            if let Some(e) = ev(store, i)
                && !is_btmp(e)
                && e.kind == Kind::AuthFailure
                && let (Some(ip), Some(user), Some(tt)) =
                    (e.get(Field::Ip), e.get(Field::User), e.time_us)
            {
                text.entry((ip, user)).or_default().push(tt);
            }
        }
        out.retain(|&i| {
            let Some(e) = ev(store, i) else { return true };
            if !is_btmp(e) {
                return true;
            }
            let (Some(ip), Some(user), Some(tt)) =
                (e.get(Field::Ip), e.get(Field::User), e.time_us)
            else {
                return true;
            };
            // Times are in time order: find the nearest text-log failure.
            !text.get(&(ip, user)).is_some_and(|v| {
                let k = v.partition_point(|&x| x < tt - super::super::time::US);
                v.get(k).is_some_and(|&x| x <= tt + super::super::time::US)
            })
        });
    }
    out
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

/// The authentication data of this detection run, collected on first use.
pub fn shared<'c, 'a>(ctx: &'c Ctx<'a>) -> &'c AuthData<'a> {
    ctx.auth.get_or_init(|| collect(ctx))
}

/// Collect the authentication data of a store.
pub fn collect<'a>(ctx: &Ctx<'a>) -> AuthData<'a> {
    let store: &'a LogStore = ctx.store;
    let fails = failures(ctx);
    let succ = successes(ctx);
    // Grouped through hash maps (millions of failures, few distinct keys),
    // then sorted once into the ordered maps the detections iterate.
    let mut by_ip: foldhash::HashMap<&'a str, Vec<u32>> = foldhash::HashMap::default();
    let mut by_user: foldhash::HashMap<&'a str, Vec<u32>> = foldhash::HashMap::default();
    for &i in &fails {
        let Some(e) = ev(store, i) else { continue };
        if let Some(ip) = e.get(Field::Ip) {
            by_ip.entry(ip).or_default().push(i);
        }
        if let Some(u) = e.get(Field::User).filter(|u| !u.is_empty()) {
            by_user.entry(u).or_default().push(i);
        }
    }
    let ordered = |m: foldhash::HashMap<&'a str, Vec<u32>>| {
        let mut v: Vec<(&'a str, Vec<u32>)> = m.into_iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v.into_iter().collect::<BTreeMap<_, _>>()
    };
    AuthData {
        fails,
        succ,
        by_ip: ordered(by_ip),
        by_user: ordered(by_user),
    }
}

/// Occurrences behind some events (`message repeated N times` counts N).
pub fn count(store: &LogStore, v: &[u32]) -> u64 {
    v.iter()
        .filter_map(|&i| ev(store, i))
        .map(|e| u64::from(e.count))
        .sum()
}
