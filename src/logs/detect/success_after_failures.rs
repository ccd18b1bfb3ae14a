//! Success after failures: a login from an address that failed at least
//! `maxretry` times before it (critical: a brute force that worked), or to
//! an account that did (high), within `lookback`.

use super::auth::{self, t};
use super::{Ctx, Finding, Severity, ev};
use crate::logs::event::Field;
use crate::logs::time::{US, rfc3339};
use std::collections::HashSet;

/// Run the success-after-failures detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    let mut ips_done: HashSet<&str> = HashSet::new();
    let mut users_done: HashSet<&str> = HashSet::new();
    for &si in &a.succ {
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
        let ip_f = before(a.by_ip.get(ip));
        let user_f = before(a.by_user.get(user));
        let n_ip = auth::count(store, &ip_f);
        let n_user = auth::count(store, &user_f);
        if n_ip >= u64::from(cfg.maxretry) && ips_done.insert(ip) {
            let mut evs = ip_f;
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
        } else if n_user >= u64::from(cfg.maxretry) && !user.is_empty() && users_done.insert(user) {
            let mut evs = user_f;
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
    }
    out
}
