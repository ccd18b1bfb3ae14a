//! Web scanning: bursts of 4xx responses from one address, and scanner user
//! agents.

use super::{Ctx, Finding, Severity, group_by, max_in_window};
use crate::logs::event::{Field, Kind};
use crate::logs::time::US;

/// Run the scan detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let by_ip = group_by(ctx, ctx.stored(&[Kind::WebRequest]), |e| e.get(Field::Ip));
    let mut out = Vec::new();
    let mut agents: foldhash::HashMap<&str, Option<usize>> = foldhash::HashMap::default();
    for (ip, evs) in by_ip {
        let mut errors = Vec::new();
        let mut times = Vec::new();
        let mut agent_hits = Vec::new();
        let mut agent = None;
        for &i in &evs {
            let Some(e) = store.events.get(i as usize) else {
                continue;
            };
            if e.status.is_some_and(|s| (400..500).contains(&s)) {
                errors.push(i);
                times.push((e.time_us.unwrap_or(0), 1));
            }
            if let Some(a) = e.get(Field::Agent)
                && let Some(p) = *agents
                    .entry(a)
                    .or_insert_with(|| ctx.m.scanner_agents.first(a))
            {
                agent.get_or_insert(ctx.m.scanner_agents.pattern(p).to_string());
                agent_hits.push(i);
            }
        }
        let (peak, _) = max_in_window(&times, cfg.findtime_s * US);
        if peak >= u64::from(cfg.scan_4xx) {
            out.push(Finding::from_events(
                store,
                "web_scan",
                Severity::Medium,
                format!("Web scan from {ip}: {} error responses", errors.len()),
                format!(
                    "{ip} drew {} 4xx responses, up to {peak} within {} s (threshold {}): probing for files and endpoints.",
                    errors.len(),
                    cfg.findtime_s,
                    cfg.scan_4xx
                ),
                errors,
            ));
        }
        if let Some(a) = agent {
            out.push(Finding::from_events(
                store,
                "scanner_user_agent",
                Severity::Medium,
                format!(
                    "Scanner user agent from {ip} ({a}): {} requests",
                    agent_hits.len()
                ),
                format!("The user agent names a known scanning tool ({a:?})."),
                agent_hits,
            ));
        }
    }
    out
}
