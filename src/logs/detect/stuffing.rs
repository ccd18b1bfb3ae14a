//! Credential stuffing: many POSTs to login endpoints from one address in a
//! short time.

use super::{Ctx, Finding, Severity, decode_url, group_by, max_in_window, rules, strip_query};
use crate::logs::event::{Field, Kind};
use crate::logs::time::US;

/// Run the credential-stuffing detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let posts = ctx.timed(&[Kind::WebRequest]).filter(|(_, e)| {
        e.get(Field::Method) == Some("POST")
            && e.get(Field::Path).is_some_and(|p| rules::any(&decode_url(strip_query(p)), &cfg.rules.login_paths).is_some())
    });
    let by_ip = group_by(posts, |e| e.get(Field::Ip));
    let mut out = Vec::new();
    for (ip, evs) in by_ip {
        let times: Vec<(i64, u32)> = evs.iter().filter_map(|&i| store.events.get(i as usize)).map(|e| (e.time_us.unwrap_or(0), 1)).collect();
        let (peak, _) = max_in_window(&times, cfg.findtime_s * US);
        if peak >= u64::from(cfg.stuffing_posts) {
            out.push(Finding::from_events(
                store,
                "credential_stuffing",
                Severity::High,
                format!("Credential stuffing from {ip}: {} login POSTs", evs.len()),
                format!("{ip} posted to login endpoints {} times, up to {peak} within {} s (threshold {}).", evs.len(), cfg.findtime_s, cfg.stuffing_posts),
                evs,
            ));
        }
    }
    out
}
