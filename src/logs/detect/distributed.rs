//! Distributed attack on one account: failures from many addresses, none
//! of them dominant.

use super::auth;
use super::{Ctx, Finding, Severity, ev};
use crate::logs::event::Field;

/// Run the distributed-attack detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    for (user, v) in &a.by_user {
        // Only the number of addresses and the largest count matter: no order.
        let mut per_ip: foldhash::HashMap<&str, u64> = foldhash::HashMap::default();
        for e in v.iter().filter_map(|&i| ev(store, i)) {
            if let Some(ip) = e.get(Field::Ip) {
                *per_ip.entry(ip).or_default() += u64::from(e.count);
            }
        }
        if per_ip.len() < cfg.distributed_ips {
            continue;
        }
        let total = auth::count(store, v);
        let top = per_ip.values().copied().max().unwrap_or(0);
        if top * 2 <= total {
            out.push(Finding::from_events(
                store,
                "distributed_attack",
                Severity::Medium,
                format!(
                    "Distributed attack on account {user:?}: {} addresses",
                    per_ip.len()
                ),
                format!(
                    "{total} failures for {user:?} came from {} different addresses; none sent more than {top}.",
                    per_ip.len()
                ),
                v.clone(),
            ));
        }
    }
    out
}
