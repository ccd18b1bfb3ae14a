//! SSH (and other remote login) brute force per address: at least
//! `maxretry` failures within `findtime` (fail2ban's rule).

use super::auth;
use super::{Ctx, Finding, Severity, max_in_window};
use crate::logs::time::US;

/// Run the brute-force detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let cfg = ctx.cfg;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    for ((id, g), ip) in a.by_ip.iter().zip(&a.ip_names) {
        let (peak, _) = max_in_window(g.times, cfg.findtime_s.saturating_mul(US));
        if peak < u64::from(cfg.maxretry) {
            continue;
        }
        let total = g.total;
        let users = g.distinct_other().len();
        let sev = if total >= 1000 {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(a.group_finding(
            ctx.store,
            auth::By::Ip(id),
            "ssh_bruteforce",
            sev,
            if users == 0 {
                format!("Brute force from {ip}: {total} failed logins")
            } else {
                format!("Brute force from {ip}: {total} failed logins on {users} account(s)")
            },
            format!(
                "{total} authentication failures from {ip}, up to {peak} within {} s (threshold {} in {} s).",
                cfg.findtime_s, cfg.maxretry, cfg.findtime_s
            ),
        ));
    }
    out
}
