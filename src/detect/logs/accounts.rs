//! Accounts created, changed or given privileges: uid 0 accounts are
//! critical, membership of an administrative group is high.

use super::texts::{Quoted, vars};
use super::{Ctx, Finding};

const ID: &str = "accounts";
use crate::logs::event::{Field, Kind};

/// Run the account detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let groups = &ctx.cfg.rules.privileged_groups;
    let mut out = Vec::new();
    for (i, e) in ctx.timed(&[
        Kind::UserAdd,
        Kind::UserChange,
        Kind::UserDelete,
        Kind::GroupAdd,
        Kind::GroupChange,
        Kind::PasswordChange,
    ]) {
        let user = e.get(Field::User).unwrap_or("?");
        let uid0 =
            e.get(Field::Uid) == Some("0") && matches!(e.kind, Kind::UserAdd | Kind::UserChange);
        let target = e.get(Field::Target).unwrap_or("");
        let priv_group = e.kind == Kind::GroupChange && groups.iter().any(|g| g == target);
        let case = if uid0 {
            "uid0"
        } else if priv_group {
            "admin_group"
        } else {
            match e.kind {
                Kind::UserAdd => "created",
                Kind::UserDelete => "deleted",
                Kind::PasswordChange => "password",
                Kind::GroupAdd => "group_created",
                Kind::GroupChange => "group_member",
                _ => "changed",
            }
        };
        let cfg = ctx.cfg;
        let v = vars![user = Quoted(user), group = Quoted(target)];
        out.push(Finding::from_events(
            ctx.store,
            "account_change",
            cfg.case_severity(ID, case),
            cfg.text(ID, case, v),
            cfg.text(ID, "explanation", v),
            vec![i],
        ));
    }
    out
}
