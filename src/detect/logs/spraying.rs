//! Password spraying: one address failing on many accounts with few
//! attempts each.

use super::auth;
use super::texts::vars;
use super::{Ctx, Finding};

const ID: &str = "password_spraying";

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
                cfg.case_severity(ID, "spraying"),
                cfg.text(ID, "title", vars![ip, users]),
                cfg.text(ID, "explanation", vars![ip, users, total]),
            ));
        }
    }
    out
}
