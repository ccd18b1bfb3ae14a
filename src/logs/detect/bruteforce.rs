//! SSH (and other remote login) brute force per address: at least
//! `maxretry` failures within `findtime` (fail2ban's rule).

use super::auth::{self, t};
use super::{Ctx, Finding, Severity, ev, max_in_window};
use crate::logs::event::Field;
use crate::logs::time::US;
use std::collections::BTreeSet;

/// Run the brute-force detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    for (ip, v) in &a.by_ip {
        let times: Vec<(i64, u32)> = v
            .iter()
            .filter_map(|&i| ev(store, i))
            .map(|e| (t(e), e.count))
            .collect();
        let (peak, _) = max_in_window(&times, cfg.findtime_s * US);
        if peak < u64::from(cfg.maxretry) {
            continue;
        }
        let total = auth::count(store, v);
        let users: BTreeSet<&str> = v
            .iter()
            .filter_map(|&i| ev(store, i)?.get(Field::User))
            .collect();
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
                format!(
                    "Brute force from {ip}: {total} failed logins on {} account(s)",
                    users.len()
                )
            },
            format!(
                "{total} authentication failures from {ip}, up to {peak} within {} s (threshold {} in {} s).",
                cfg.findtime_s, cfg.maxretry, cfg.findtime_s
            ),
            v.clone(),
        ));
    }
    out
}
