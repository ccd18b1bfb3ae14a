//! Attack payloads in requests: SQL injection, traversal, XSS, shellshock,
//! JNDI (log4shell) and command injection, in the decoded URL, the user
//! agent and the referer.

use super::texts::vars;
use super::{Ctx, Finding};

const ID: &str = "attack_payloads";
use crate::logs::event::{Field, Kind};
use crate::logs::url::decode_url;
use std::collections::BTreeMap;

/// Run the payload detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let rules = &ctx.cfg.rules.payloads;
    let mut groups: BTreeMap<(&str, &str), (Vec<u32>, u32)> = BTreeMap::new();
    // Agents, referers and paths repeat: classify each distinct value once.
    let mut cache: foldhash::HashMap<&str, u64> = foldhash::HashMap::default();
    for (i, e) in ctx.stored(&[Kind::WebRequest, Kind::WebError]) {
        let Some(ip) = e.get(Field::Ip) else { continue };
        let mut cats: u64 = 0;
        for f in [Field::Path, Field::Agent, Field::Referer] {
            if let Some(v) = e.get(f) {
                cats |= *cache.entry(v).or_insert_with(|| {
                    let mut bits = 0u64;
                    ctx.m.payloads.each(&decode_url(v), |p| {
                        if let Some(&c) = ctx.m.payload_category.get(p) {
                            bits |= 1u64 << c.min(63);
                        }
                    });
                    bits
                });
            }
        }
        if cats == 0 {
            continue;
        }
        for (ci, r) in rules.iter().enumerate() {
            if cats & (1u64 << ci.min(63)) != 0 {
                let g = groups.entry((ip, r.name.as_str())).or_default();
                g.0.push(i);
                if e.status.is_some_and(|s| (200..300).contains(&s)) {
                    g.1 += 1;
                }
            }
        }
    }
    let mut out = Vec::new();
    for ((ip, cat), (evs, ok)) in groups {
        let case = if ok > 0 { "answered" } else { "refused" };
        let cfg = ctx.cfg;
        let v = vars![
            ip,
            ok,
            category = cat,
            kind = cat.replace('_', " "),
            requests = evs.len()
        ];
        out.push(Finding::from_events(
            store,
            "attack_payload",
            cfg.case_severity(ID, case),
            cfg.text(ID, "title", v),
            cfg.text(ID, "explanation", v),
            evs,
        ));
    }
    out
}
