//! Distributed attack on one account: failures from many addresses, none
//! of them dominant.

use super::auth;
use super::texts::{Quoted, vars};
use super::{Ctx, Finding};

const ID: &str = "distributed_attack";

/// Run the distributed-attack detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let cfg = ctx.cfg;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    for ((id, g), user) in a.by_user.iter().zip(&a.user_names) {
        if g.events.len() < cfg.distributed_ips {
            continue;
        }
        // Occurrences per address: (address id, count) pairs, summed by run.
        let mut per_ip: Vec<(u32, u32)> = g
            .other
            .iter()
            .zip(g.times)
            .map(|(&ip, &(_, c))| (ip, c))
            .collect();
        per_ip.sort_unstable_by_key(|p| p.0);
        let (mut addresses, mut top, mut run) = (0usize, 0u64, 0u64);
        for (k, &(ip, c)) in per_ip.iter().enumerate() {
            if k == 0 || per_ip.get(k - 1).is_some_and(|p| p.0 != ip) {
                addresses += 1;
                run = 0;
            }
            run += u64::from(c);
            top = top.max(run);
        }
        if addresses < cfg.distributed_ips {
            continue;
        }
        let total = g.total;
        if top * 2 <= total {
            out.push(a.group_finding(
                ctx.store,
                auth::By::User(id),
                "distributed_attack",
                cfg.case_severity(ID, "attack"),
                cfg.text(ID, "title", vars![user = Quoted(user), addresses]),
                cfg.text(
                    ID,
                    "explanation",
                    vars![user = Quoted(user), total, addresses, top],
                ),
            ));
        }
    }
    out
}
