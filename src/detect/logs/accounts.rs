//! Accounts created, changed or given privileges: uid 0 accounts are
//! critical, membership of an administrative group is high.

use super::{Ctx, Finding, Severity};
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
        let (sev, title) = if uid0 {
            (
                Severity::Critical,
                format!("Account {user:?} has uid 0 (root rights)"),
            )
        } else if priv_group {
            (
                Severity::High,
                format!("Account {user:?} added to administrative group {target:?}"),
            )
        } else {
            match e.kind {
                Kind::UserAdd => (Severity::Medium, format!("Account {user:?} created")),
                Kind::UserDelete => (Severity::Medium, format!("Account {user:?} deleted")),
                Kind::PasswordChange => (Severity::Low, format!("Password of {user:?} changed")),
                Kind::GroupAdd => (Severity::Low, format!("Group {target:?} created")),
                Kind::GroupChange => (
                    Severity::Low,
                    format!("Account {user:?} added to group {target:?}"),
                ),
                _ => (Severity::Low, format!("Account {user:?} changed")),
            }
        };
        out.push(Finding::from_events(
            ctx.store,
            "account_change",
            sev,
            title,
            "Attackers create or elevate accounts to keep access; check that this change was authorised.".into(),
            vec![i],
        ));
    }
    out
}
