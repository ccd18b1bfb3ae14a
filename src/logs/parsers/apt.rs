//! `/var/log/apt/history.log`: blocks of `Start-Date:`, `Commandline:`,
//! `Requested-By:`, `Install:`/`Upgrade:`/`Remove:`/`Purge:` and `End-Date:`
//! lines. Each line of a block is one event at the block's start time.

use super::{Format, LineParser, Method, SourceCtx};
use crate::logs::event::{Draft, Field, Kind};
use crate::logs::time;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "apt_history",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    if name.contains("history") { 10 } else { 0 }
}

fn make(ctx: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(Apt {
        offset_s: ctx.tz_offset_s.unwrap_or(0),
        start: None,
    })
}

struct Apt {
    offset_s: i64,
    start: Option<i64>,
}

fn date(v: &str, offset_s: i64) -> Option<i64> {
    // "2019-07-10  16:38:08" (two spaces)
    let v = v.trim();
    let (day, t) = v.split_once(' ')?;
    let s = format!("{}T{}", day, t.trim());
    time::iso(s.as_bytes(), offset_s)
        .filter(|(_, n)| *n == s.len())
        .map(|x| x.0)
}

impl LineParser for Apt {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        let Some((key, value)) = line.split_once(": ") else {
            return false;
        };
        d.set_sub(line, Field::Program, "apt");
        d.set_sub(line, Field::Detail, key);
        match key {
            "Start-Date" => {
                let Some(t) = date(value, self.offset_s) else {
                    return false;
                };
                self.start = Some(t);
                d.time_us = Some(t);
            }
            "End-Date" => {
                let Some(t) = date(value, self.offset_s) else {
                    return false;
                };
                d.time_us = Some(t);
            }
            "Commandline" => {
                d.time_us = self.start;
                d.kind = Kind::Command;
                d.set_sub(line, Field::Command, value);
            }
            "Requested-By" => {
                d.time_us = self.start;
                d.set_sub(line, Field::User, value.split(' ').next().unwrap_or(value));
            }
            "Install" | "Upgrade" | "Remove" | "Purge" | "Reinstall" | "Downgrade" => {
                d.time_us = self.start;
                d.kind = Kind::Package;
                d.set_sub(line, Field::Target, value);
            }
            "Error" | "Aptitude" => d.time_us = self.start,
            _ => return false,
        }
        true
    }
}
