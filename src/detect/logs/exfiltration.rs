//! Large downloads per address: the total bytes served (2xx) and single
//! large responses.

use super::texts::vars;
use super::{Ctx, Finding, group_by, human_bytes};

const ID: &str = "exfiltration";
use crate::logs::event::{Field, Kind};

/// Run the download detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let ok = ctx.stored(&[Kind::WebRequest]).filter(|(_, e)| {
        e.status.is_some_and(|s| (200..300).contains(&s)) && e.bytes.unwrap_or(0) > 0
    });
    let by_ip = group_by(ctx, ok, |e| e.get(Field::Ip));
    let mut out = Vec::new();
    for (ip, evs) in by_ip {
        let total: u64 = evs
            .iter()
            .filter_map(|&i| store.events.get(i as usize)?.bytes)
            .sum();
        let big: Vec<u32> = evs
            .iter()
            .copied()
            .filter(|&i| {
                store
                    .events
                    .get(i as usize)
                    .and_then(|e| e.bytes)
                    .unwrap_or(0)
                    >= cfg.exfil_single_bytes
            })
            .collect();
        if total >= cfg.exfil_total_bytes {
            let v = vars![
                ip,
                bytes = human_bytes(total),
                responses = evs.len(),
                threshold = human_bytes(cfg.exfil_total_bytes),
            ];
            out.push(Finding::from_events(
                store,
                "large_download",
                cfg.case_severity(ID, "total"),
                cfg.text(ID, "total_title", v),
                cfg.text(ID, "total_explanation", v),
                evs,
            ));
        } else if !big.is_empty() {
            let v = vars![
                ip,
                count = big.len(),
                threshold = human_bytes(cfg.exfil_single_bytes),
            ];
            out.push(Finding::from_events(
                store,
                "large_download",
                cfg.case_severity(ID, "single"),
                cfg.text(ID, "single_title", v),
                cfg.text(ID, "single_explanation", v),
                big,
            ));
        }
    }
    out
}
