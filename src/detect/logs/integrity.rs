//! Log integrity: gaps (silence far beyond a source's normal spacing),
//! timestamps jumping backwards, empty (rotated or emptied) logs, files
//! ending in a cut line, and files that could not be read completely.

use super::texts::vars;
use super::{Ctx, Finding};

const ID: &str = "log_integrity";
use crate::logs::event::Kind;
use crate::logs::time::{US, rfc3339};

/// Run the integrity detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let long_gap = i64::try_from(cfg.limit(ID, "long_gap_s"))
        .unwrap_or(i64::MAX)
        .saturating_mul(US);
    let mut out = Vec::new();
    // A source's times are gathered when it is examined, so that one
    // source's list is held at a time (not one entry per event of the
    // store): its events lie in the blocks whose sources span it (one block
    // per source, as loaded).
    let mut block_sources: Vec<(u32, u32, usize)> = Vec::new();
    let mut start = 0usize;
    for b in store.events.blocks() {
        let (lo, hi) = b.iter().fold((u32::MAX, 0), |(lo, hi), e| {
            (lo.min(e.source), hi.max(e.source))
        });
        block_sources.push((lo, hi, start));
        start += b.len();
    }
    let times_of = |si: usize| {
        let mut v: Vec<(i64, u32)> = Vec::new();
        for (b, &(lo, hi, start)) in store.events.blocks().iter().zip(&block_sources) {
            if !(lo as usize..=hi as usize).contains(&si) {
                continue;
            }
            for (k, e) in b.iter().enumerate() {
                if e.source as usize == si
                    && let Some(t) = e.time_us
                    && e.kind != Kind::Unparsed
                {
                    v.push((t, (start + k) as u32));
                }
            }
        }
        v
    };
    for (si, src) in store.sources.iter().enumerate() {
        let name = match &src.archive {
            Some(a) => cfg.text(
                ID,
                "name_in_archive",
                vars![path = src.path, archive = a.display()],
            ),
            None => src.path.clone(),
        };
        let mk = |rule, sev, title: String, expl: String, evs: Vec<u32>| {
            let mut f = super::Finding::from_events(store, rule, sev, title, expl, evs);
            f.subject.paths = vec![src.path.clone()];
            f
        };
        if src.parser == "empty" {
            out.push(mk(
                "empty_log",
                cfg.case_severity(ID, "empty"),
                cfg.text(ID, "empty_title", vars![name]),
                cfg.text(ID, "empty_explanation", vars![name]),
                Vec::new(),
            ));
            continue;
        }
        if let Some(err) = &src.error {
            out.push(mk(
                "log_unreadable",
                cfg.case_severity(ID, "unreadable"),
                cfg.text(ID, "unreadable_title", vars![name]),
                cfg.text(ID, "unreadable_explanation", vars![name, error = err]),
                Vec::new(),
            ));
        }
        let times = times_of(si);
        if src.missing_final_newline {
            let last = times.iter().max_by_key(|x| x.1).map(|x| x.1);
            out.push(mk(
                "log_truncated",
                cfg.case_severity(ID, "truncated"),
                cfg.text(ID, "truncated_title", vars![name]),
                cfg.text(ID, "truncated_explanation", vars![name]),
                last.into_iter().collect(),
            ));
        }
        // Backward jumps, in file order.
        let mut jumps = Vec::new();
        for w in times.windows(2) {
            if let [(a, ia), (b, ib)] = w
                && a - b > cfg.backwards_s.saturating_mul(US)
            {
                jumps.push((*ia, *ib, a - b));
            }
        }
        if !jumps.is_empty() {
            let worst = jumps.iter().map(|j| j.2).max().unwrap_or(0);
            let evs: Vec<u32> = jumps.iter().take(50).flat_map(|j| [j.0, j.1]).collect();
            out.push(mk(
                "time_jump",
                cfg.case_severity(ID, "time_jump"),
                cfg.text(ID, "time_jump_title", vars![name, count = jumps.len()]),
                cfg.text(
                    ID,
                    "time_jump_explanation",
                    vars![name, backwards_s = cfg.backwards_s, worst_s = worst / US],
                ),
                evs,
            ));
        }
        // Gaps, in time order.
        if times.len() < cfg.gap_min_events {
            continue;
        }
        let mut sorted = times;
        sorted.sort_unstable();
        let mut gaps: Vec<i64> = sorted.windows(2).map(|w| w[1].0 - w[0].0).collect();
        let mut spacing = gaps.clone();
        spacing.sort_unstable();
        let median = spacing.get(spacing.len() / 2).copied().unwrap_or(0).max(US);
        let limit = median
            .saturating_mul(cfg.gap_factor)
            .max(cfg.gap_min_s.saturating_mul(US));
        let mut found: Vec<(i64, usize)> = gaps
            .drain(..)
            .enumerate()
            .filter(|(_, g)| *g > limit)
            .map(|(k, g)| (g, k))
            .collect();
        found.sort_by(|a, b| b.cmp(a));
        for (g, k) in found.iter().take(3) {
            let (Some(a), Some(b)) = (sorted.get(*k), sorted.get(k + 1)) else {
                continue;
            };
            out.push(mk(
                "log_gap",
                cfg.case_severity(ID, if *g > long_gap { "long_gap" } else { "gap" }),
                cfg.text(ID, "gap_title", vars![name, hours = g / US / 3600]),
                cfg.text(
                    ID,
                    "gap_explanation",
                    vars![
                        name,
                        from = rfc3339(a.0),
                        to = rfc3339(b.0),
                        seconds = g / US,
                        median_s = median / US
                    ],
                ),
                vec![a.1, b.1],
            ));
        }
        if found.len() > 3 {
            out.push(mk(
                "log_gap",
                cfg.case_severity(ID, "more_gaps"),
                cfg.text(ID, "more_gaps_title", vars![name, more = found.len() - 3]),
                cfg.text(
                    ID,
                    "more_gaps_explanation",
                    vars![name, limit_s = limit / US],
                ),
                Vec::new(),
            ));
        }
    }
    out
}
