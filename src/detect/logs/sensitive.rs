//! Sensitive files: probes for backups, dumps, secrets and repositories
//! (answered with an error), and the ones actually served (2xx with a body),
//! which is data that left.

use super::texts::vars;
use super::{Ctx, Finding, human_bytes};

const ID: &str = "sensitive_files";
use crate::logs::event::{Field, Kind};
use crate::logs::url::{decode_url, strip_query};
use std::collections::{BTreeMap, BTreeSet};

/// Run the sensitive-file detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let r = &ctx.cfg.rules;
    let mut served: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut probed: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut cache: foldhash::HashMap<&str, bool> = foldhash::HashMap::default();
    for (i, e) in ctx.stored(&[Kind::WebRequest]) {
        let (Some(ip), Some(path)) = (e.get(Field::Ip), e.get(Field::Path)) else {
            continue;
        };
        let raw = strip_query(path);
        let hit = *cache
            .entry(raw)
            .or_insert_with(|| ctx.m.sensitive_path(r, &decode_url(raw)).is_some());
        if !hit {
            continue;
        }
        let ok = e.status.is_some_and(|s| (200..300).contains(&s)) && e.bytes.unwrap_or(0) > 0;
        if ok {
            served.entry(ip).or_default().push(i);
        } else {
            probed.entry(ip).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (ip, evs) in served {
        let bytes: u64 = evs
            .iter()
            .filter_map(|&i| store.events.get(i as usize)?.bytes)
            .sum();
        let paths: BTreeSet<&str> = evs
            .iter()
            .filter_map(|&i| store.events.get(i as usize)?.get(Field::Path))
            .map(strip_query)
            .collect();
        let v = vars![
            ip,
            files = paths.len(),
            bytes = human_bytes(bytes),
            responses = evs.len(),
            paths = paths.iter().take(5).copied().collect::<Vec<_>>().join(", "),
        ];
        out.push(Finding::from_events(
            store,
            "sensitive_file_served",
            ctx.cfg.case_severity(ID, "served"),
            ctx.cfg.text(ID, "served_title", v),
            ctx.cfg.text(
                ID,
                if paths.len() == 1 {
                    "served_explanation_one"
                } else {
                    "served_explanation_many"
                },
                v,
            ),
            evs,
        ));
    }
    for (ip, evs) in probed {
        out.push(Finding::from_events(
            store,
            "sensitive_file_probe",
            ctx.cfg.case_severity(ID, "probed"),
            ctx.cfg
                .text(ID, "probed_title", vars![ip, requests = evs.len()]),
            ctx.cfg.text(ID, "probed_explanation", vars![ip]),
            evs,
        ));
    }
    out
}
