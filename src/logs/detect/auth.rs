//! Authentication detections (sshd, PAM, auditd, btmp): brute force per
//! address, password spraying, distributed attacks on one account, success
//! after failures (by address and by account) and first-seen login sources.
//!
//! A failure counts once: PAM's `authentication failure` and sshd's
//! `Invalid user` lines are skipped when the same process also logged a
//! `Failed ...` line for it, and `message repeated N times` counts N.

use super::{Ctx, Finding, Severity, ev, max_in_window};
use crate::logs::event::{Event, Field, Kind};
use crate::logs::time::{US, rfc3339};
use std::collections::{BTreeMap, BTreeSet, HashSet};

fn is_pam(e: &Event) -> bool {
    e.get(Field::Program)
        .is_some_and(|p| p.ends_with("(pam_unix)"))
        || e.line_text().contains("pam_unix(")
        || e.line_text().contains("pam_sss(")
}

/// Remote authentication failures (with an address), deduplicated.
pub fn failures(ctx: &Ctx<'_>) -> Vec<u32> {
    let store = ctx.store;
    let mut direct: HashSet<(u32, &str)> = HashSet::new();
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

fn t(e: &Event) -> i64 {
    e.time_us.unwrap_or(i64::MIN)
}

/// Run the authentication detections.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let fails = failures(ctx);
    let succ = successes(ctx);
    let mut out = Vec::new();
    let window = cfg.findtime_s * US;

    // Per address and per account.
    let mut by_ip: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut by_user: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for &i in &fails {
        let Some(e) = ev(store, i) else { continue };
        if let Some(ip) = e.get(Field::Ip) {
            by_ip.entry(ip).or_default().push(i);
        }
        if let Some(u) = e.get(Field::User).filter(|u| !u.is_empty()) {
            by_user.entry(u).or_default().push(i);
        }
    }
    let count = |v: &[u32]| -> u64 {
        v.iter()
            .filter_map(|&i| ev(store, i))
            .map(|e| u64::from(e.count))
            .sum()
    };

    for (ip, v) in &by_ip {
        let times: Vec<(i64, u32)> = v
            .iter()
            .filter_map(|&i| ev(store, i))
            .map(|e| (t(e), e.count))
            .collect();
        let (peak, _) = max_in_window(&times, window);
        let total = count(v);
        let users: BTreeSet<&str> = v
            .iter()
            .filter_map(|&i| ev(store, i)?.get(Field::User))
            .collect();
        if peak >= u64::from(cfg.maxretry) {
            let sev = if total >= 1000 {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(Finding::from_events(
                store,
                "ssh_bruteforce",
                sev,
                if users.is_empty() {
                    format!("Brute force from {ip}: {total} failed logins")
                } else {
                    format!("Brute force from {ip}: {total} failed logins on {} account(s)", users.len())
                },
                format!(
                    "{total} authentication failures from {ip}, up to {peak} within {} s (threshold {} in {} s).",
                    cfg.findtime_s, cfg.maxretry, cfg.findtime_s
                ),
                v.clone(),
            ));
        }
        if users.len() >= cfg.spray_accounts && total <= 3 * users.len() as u64 {
            out.push(Finding::from_events(
                store,
                "password_spraying",
                Severity::High,
                format!("Password spraying from {ip}: {} accounts tried", users.len()),
                format!(
                    "{ip} failed on {} distinct accounts with {total} attempts (at most ~3 per account): few passwords tried across many accounts.",
                    users.len()
                ),
                v.clone(),
            ));
        }
    }
    for (user, v) in &by_user {
        let ips: BTreeSet<&str> = v
            .iter()
            .filter_map(|&i| ev(store, i)?.get(Field::Ip))
            .collect();
        let total = count(v);
        if ips.len() >= cfg.distributed_ips {
            let top = v
                .iter()
                .filter_map(|&i| ev(store, i)?.get(Field::Ip))
                .fold(BTreeMap::<&str, u64>::new(), |mut m, ip| {
                    *m.entry(ip).or_default() += 1;
                    m
                })
                .into_values()
                .max()
                .unwrap_or(0);
            if top * 2 <= total {
                out.push(Finding::from_events(
                    store,
                    "distributed_attack",
                    Severity::Medium,
                    format!("Distributed attack on account {user:?}: {} addresses", ips.len()),
                    format!(
                        "{total} failures for {user:?} came from {} different addresses; none sent more than {top}.",
                        ips.len()
                    ),
                    v.clone(),
                ));
            }
        }
    }

    // Success after failures, and first-seen sources.
    let mut seen_sources: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut reported: HashSet<(&str, &str)> = HashSet::new();
    for &si in &succ {
        let Some(s) = ev(store, si) else { continue };
        let (Some(ip), user) = (s.get(Field::Ip), s.get(Field::User).unwrap_or("")) else {
            continue;
        };
        let ts = t(s);
        let since = ts.saturating_sub(cfg.lookback_s * US);
        let before = |v: Option<&Vec<u32>>| -> Vec<u32> {
            v.map(|v| {
                v.iter()
                    .copied()
                    .filter(|&i| ev(store, i).is_some_and(|e| t(e) <= ts && t(e) >= since))
                    .collect()
            })
            .unwrap_or_default()
        };
        let ip_f = before(by_ip.get(ip));
        let user_f = before(by_user.get(user));
        let n_ip = count(&ip_f);
        let n_user = count(&user_f);
        if n_ip >= u64::from(cfg.maxretry) && reported.insert(("ip", ip)) {
            let mut evs = ip_f.clone();
            evs.push(si);
            out.push(Finding::from_events(
                store,
                "success_after_failures",
                Severity::Critical,
                format!("Login as {user:?} from {ip} succeeded after {n_ip} failures from that address"),
                format!(
                    "{ip} failed {n_ip} times in the {} h before it logged in as {user:?} at {}: a brute force that worked.",
                    cfg.lookback_s / 3600,
                    rfc3339(ts)
                ),
                evs,
            ));
        } else if n_user >= u64::from(cfg.maxretry)
            && !user.is_empty()
            && reported.insert(("user", user))
        {
            let mut evs = user_f.clone();
            evs.push(si);
            out.push(Finding::from_events(
                store,
                "success_after_failures",
                Severity::High,
                format!("Account {user:?} logged in from {ip} after {n_user} failures on that account"),
                format!(
                    "{n_user} failures for {user:?} (from any address) in the {} h before a successful login from {ip} at {}.",
                    cfg.lookback_s / 3600,
                    rfc3339(ts)
                ),
                evs,
            ));
        }
        let known = seen_sources.entry(user).or_default();
        if !known.is_empty() && !known.contains(ip) && reported.insert((user, ip)) {
            out.push(Finding::from_events(
                store,
                "new_login_source",
                Severity::Low,
                format!("First login of {user:?} from {ip}"),
                format!(
                    "{user:?} had logged in before only from {}; {ip} is new.",
                    known.iter().take(5).copied().collect::<Vec<_>>().join(", ")
                ),
                vec![si],
            ));
        }
        known.insert(ip);
    }
    out
}
