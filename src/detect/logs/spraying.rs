//! Password spraying: one address failing on many accounts with few
//! attempts each.

use super::auth;
use super::{Ctx, Finding, Severity};

/// Run the spraying detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let cfg = ctx.cfg;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    for ((id, g), ip) in a.by_ip.iter().zip(&a.ip_names) {
        // Quick reject: too few failures to have tried enough accounts.
        if g.events.len() < cfg.spray_accounts {
            continue;
        }
        let users = g.distinct_other().len();
        let total = g.total;
        if users >= cfg.spray_accounts && total <= 3 * users as u64 {
            out.push(a.group_finding(
                ctx.store,
                auth::By::Ip(id),
                "password_spraying",
                Severity::High,
                format!("Password spraying from {ip}: {users} accounts tried"),
                format!(
                    "{ip} failed on {users} distinct accounts with {total} attempts (at most ~3 per account): few passwords tried across many accounts."
                ),
            ));
        }
    }
    out
}
