//! SSH (and other remote login) brute force per address: at least
//! `maxretry` failures within `findtime` (fail2ban's rule).

use super::auth;
use super::texts::vars;
use super::{Ctx, Finding, max_in_window};

const ID: &str = "ssh_bruteforce";
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
        let case = if total >= cfg.limit(ID, "many_failures") {
            "many"
        } else {
            "some"
        };
        let v = vars![
            ip,
            total,
            users,
            peak,
            findtime_s = cfg.findtime_s,
            maxretry = cfg.maxretry
        ];
        out.push(a.group_finding(
            ctx.store,
            auth::By::Ip(id),
            "ssh_bruteforce",
            cfg.case_severity(ID, case),
            cfg.text(
                ID,
                if users == 0 {
                    "title"
                } else {
                    "title_accounts"
                },
                v,
            ),
            cfg.text(ID, "explanation", v),
        ));
    }
    out
}
