//! `/var/log/dpkg.log`: `YYYY-MM-DD HH:MM:SS action package version...`.
//! Times have no zone: read at the analyst's offset, or UTC.

use super::{Format, LineParser, Method, SourceCtx};
use crate::logs::event::{Draft, Field, Kind};
use crate::logs::time;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "dpkg",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    if name.starts_with("dpkg") { 20 } else { 0 }
}

fn make(ctx: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(Dpkg {
        offset_s: ctx.tz_offset_s.unwrap_or(0),
    })
}

struct Dpkg {
    offset_s: i64,
}

impl LineParser for Dpkg {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        let b = line.as_bytes();
        if b.get(10) != Some(&b' ') || b.get(19) != Some(&b' ') {
            return false;
        }
        let Some((t, 19)) = time::iso(b, self.offset_s) else {
            return false;
        };
        let rest = line.get(20..).unwrap_or("");
        let mut it = rest.split(' ');
        let action = it.next().unwrap_or("");
        if !matches!(
            action,
            "install"
                | "upgrade"
                | "remove"
                | "purge"
                | "configure"
                | "status"
                | "trigproc"
                | "startup"
                | "conffile"
        ) {
            return false;
        }
        d.time_us = Some(t);
        d.kind = if matches!(action, "install" | "upgrade" | "remove" | "purge") {
            Kind::Package
        } else {
            Kind::Info
        };
        d.set_sub(line, Field::Program, "dpkg");
        d.set_sub(line, Field::Detail, action);
        let target = if action == "status" {
            it.nth(1)
        } else {
            it.next()
        };
        if let Some(p) = target {
            d.set_sub(line, Field::Target, p);
        }
        true
    }
}
