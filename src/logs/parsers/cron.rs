//! cron: `(user) CMD (command)` lines of Debian `CRON`, `crond` and `cron`.

use crate::logs::event::{Draft, Field, Kind};

/// Parse a cron message.
pub fn parse(program: &str, msg: &str, line: &str, d: &mut Draft) -> bool {
    if !matches!(program, "CRON" | "cron" | "crond" | "anacron") || msg.starts_with("pam_") {
        return false;
    }
    if let Some(r) = msg.strip_prefix('(')
        && let Some((user, rest)) = r.split_once(") ")
    {
        d.set_sub(line, Field::User, user);
        if let Some(c) = rest.strip_prefix("CMD (") {
            d.kind = Kind::Cron;
            d.set_sub(line, Field::Command, c.strip_suffix(')').unwrap_or(c));
        } else {
            d.set_sub(line, Field::Detail, rest);
        }
    }
    true
}
