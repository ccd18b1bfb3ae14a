//! Shell history: bash (`#<epoch>` lines before commands when HISTTIMEFORMAT
//! was set) and zsh extended history (`: <epoch>:<duration>;command`, with
//! backslash-continued lines). Commands without a time are kept untimed.
//! History files have few telltale signs, so this format is chosen by name
//! (`.bash_history`, `.zsh_history`, `*history*`) or by its `#epoch` lines.

use super::{Format, LineParser, Method, SourceCtx};
use crate::logs::event::{Draft, Field, Kind};
use crate::logs::time;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "shell_history",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.ends_with("sh_history")
        || n == ".history"
        || n.contains("bash_history")
        || n.contains("zsh_history")
    {
        60
    } else {
        0
    }
}

fn make(ctx: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(History {
        by_name: name_hint(ctx.file_name()) > 0,
        next_time: None,
        continued: None,
    })
}

struct History {
    by_name: bool,
    next_time: Option<i64>,
    /// Time of a zsh command whose last line ended with a backslash.
    continued: Option<Option<i64>>,
}

impl LineParser for History {
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        d.set_sub(line, Field::Program, "shell");
        if let Some(t) = self.continued.take() {
            d.time_us = t;
            d.kind = Kind::Command;
            d.set_sub(line, Field::Command, line);
            if line.ends_with('\\') {
                self.continued = Some(t);
            }
            return true;
        }
        if let Some(e) = line.strip_prefix('#')
            && !e.is_empty()
            && e.len() <= 12
            && e.bytes().all(|c| c.is_ascii_digit())
            && let Ok(s) = e.parse::<i64>()
        {
            self.next_time = Some(time::from_secs(s));
            d.set_sub(line, Field::Detail, "timestamp");
            d.time_us = self.next_time;
            return true;
        }
        if let Some(r) = line.strip_prefix(": ")
            && let Some((stamp, cmd)) = r.split_once(';')
        {
            let secs = stamp.split(':').next().unwrap_or("");
            if let Ok(s) = secs.parse::<i64>() {
                d.time_us = Some(time::from_secs(s));
                d.kind = Kind::Command;
                d.set_sub(line, Field::Command, cmd);
                if cmd.ends_with('\\') {
                    self.continued = Some(d.time_us);
                }
                return true;
            }
        }
        if !self.by_name && self.next_time.is_none() {
            // Without a name or a `#epoch` line, a history file cannot be told
            // from any other text.
            return false;
        }
        d.time_us = self.next_time.take();
        d.kind = Kind::Command;
        d.set_sub(line, Field::Command, line);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::time::{US, in_range};

    fn times(text: &str) -> Vec<Option<i64>> {
        let mut h = make(&SourceCtx {
            path: "/root/.zsh_history".into(),
            ..Default::default()
        });
        let mut d = Draft::default();
        text.lines()
            .map(|l| {
                d.reset(l);
                assert!(h.parse(l, &mut d), "{l}");
                d.time_us
            })
            .collect()
    }

    #[test]
    fn an_overflowing_epoch_saturates_out_of_range() {
        // Once dated to the year -44295 by a wrapping `s * US`.
        let t = times(": 14589914589932970:0;cmd\n: -9223372036854775808:0;x\n#999999999999\nls");
        assert!(t.iter().all(|t| t.is_some_and(|t| !in_range(t))), "{t:?}");
        assert_eq!(times(": 1700000000:0;id"), [Some(1_700_000_000 * US)]);
    }
}
