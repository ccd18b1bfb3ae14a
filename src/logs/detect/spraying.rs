//! Password spraying: one address failing on many accounts with few
//! attempts each.

use super::auth;
use super::{Ctx, Finding, Severity, ev};
use crate::logs::event::Field;
use std::collections::BTreeSet;

/// Run the spraying detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    for (ip, v) in &a.by_ip {
        let users: BTreeSet<&str> = v
            .iter()
            .filter_map(|&i| ev(store, i)?.get(Field::User))
            .collect();
        let total = auth::count(store, v);
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
    out
}
