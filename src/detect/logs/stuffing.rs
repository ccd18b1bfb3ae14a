//! Credential stuffing: many POSTs to login endpoints from one address in a
//! short time.

use super::texts::vars;
use super::{Ctx, Finding, group_by, max_in_window};

const ID: &str = "credential_stuffing";
use crate::logs::event::{Field, Kind};
use crate::logs::time::US;
use crate::logs::url::{decode_url, strip_query};

/// Run the credential-stuffing detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let posts = ctx.stored(&[Kind::WebRequest]).filter(|(_, e)| {
        e.get(Field::Method) == Some("POST")
            && e.get(Field::Path).is_some_and(|p| {
                ctx.m
                    .login_paths
                    .first(&decode_url(strip_query(p)))
                    .is_some()
            })
    });
    let posts: Vec<(u32, &crate::logs::Event)> = posts.collect();
    let by_ip = group_by(ctx, posts.iter().copied(), |e| e.get(Field::Ip));
    let by_path = group_by(ctx, posts.iter().copied(), |e| {
        e.get(Field::Path).map(strip_query)
    });
    let mut out = Vec::new();
    for (path, evs) in by_path {
        let ips: std::collections::BTreeSet<&str> = evs
            .iter()
            .filter_map(|&i| store.events.get(i as usize)?.get(Field::Ip))
            .collect();
        if ips.len() >= cfg.distributed_ips * 2 {
            out.push(Finding::from_events(
                store,
                "distributed_login_posts",
                cfg.case_severity(ID, "distributed"),
                cfg.text(
                    ID,
                    "distributed_title",
                    vars![path, posts = evs.len(), addresses = ips.len()],
                ),
                cfg.text(
                    ID,
                    "distributed_explanation",
                    vars![
                        path,
                        addresses = ips.len(),
                        threshold = cfg.distributed_ips * 2
                    ],
                ),
                evs,
            ));
        }
    }
    for (ip, evs) in by_ip {
        let times: Vec<(i64, u32)> = evs
            .iter()
            .filter_map(|&i| store.events.get(i as usize))
            .map(|e| (e.time_us.unwrap_or(0), 1))
            .collect();
        let (peak, _) = max_in_window(&times, cfg.findtime_s.saturating_mul(US));
        if peak >= u64::from(cfg.stuffing_posts) {
            out.push(Finding::from_events(
                store,
                "credential_stuffing",
                cfg.case_severity(ID, "stuffing"),
                cfg.text(ID, "stuffing_title", vars![ip, posts = evs.len()]),
                cfg.text(
                    ID,
                    "stuffing_explanation",
                    vars![
                        ip,
                        posts = evs.len(),
                        peak,
                        findtime_s = cfg.findtime_s,
                        threshold = cfg.stuffing_posts
                    ],
                ),
                evs,
            ));
        }
    }
    out
}
