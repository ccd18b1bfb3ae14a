//! First-seen login sources: a successful login to an account from an
//! address it never logged in from before (in these logs).

use super::auth;
use super::texts::{Quoted, vars};
use super::{Ctx, Finding, ev};

const ID: &str = "new_login_source";
use crate::logs::event::Field;
use std::collections::{BTreeMap, BTreeSet};

/// Run the first-seen-source detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for &si in &a.succ {
        let Some(s) = ev(store, si) else { continue };
        let (Some(ip), user) = (s.get(Field::Ip), s.get(Field::User).unwrap_or("")) else {
            continue;
        };
        let known = seen.entry(user).or_default();
        if !known.is_empty() && !known.contains(ip) {
            out.push(Finding::from_events(
                store,
                "new_login_source",
                ctx.cfg.case_severity(ID, "new_source"),
                ctx.cfg.text(ID, "title", vars![user = Quoted(user), ip]),
                ctx.cfg.text(
                    ID,
                    "explanation",
                    vars![
                        user = Quoted(user),
                        ip,
                        known = known.iter().take(5).copied().collect::<Vec<_>>().join(", ")
                    ],
                ),
                vec![si],
            ));
        }
        known.insert(ip);
    }
    out
}
