//! Web scanning: bursts of 4xx responses from one address, and scanner user
//! agents.

use super::texts::{Quoted, vars};
use super::{Ctx, Finding, max_in_window};

const ID: &str = "web_scan";
use crate::logs::event::{Field, Kind};
use crate::logs::time::US;

/// What one address did, gathered in one pass.
#[derive(Default)]
struct PerIp {
    /// (time, event) of each 4xx response.
    errors: Vec<(i64, u32)>,
    agent_hits: Vec<u32>,
    /// The scanner pattern of the earliest matching request (by time rank).
    agent: Option<(u32, usize)>,
}

/// Run the scan detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    // One pass in storage order (sequential memory) reads each request
    // once; the user agent's verdict is cached by agent string.
    let mut by_ip: foldhash::HashMap<&str, PerIp> = foldhash::HashMap::default();
    let mut agents: foldhash::HashMap<&str, Option<usize>> = foldhash::HashMap::default();
    let mut last: Option<(&str, Option<usize>)> = None;
    for (i, e) in ctx.stored(&[Kind::WebRequest]) {
        let Some(ip) = e.get(Field::Ip) else { continue };
        let g = by_ip.entry(ip).or_default();
        if e.status.is_some_and(|s| (400..500).contains(&s)) {
            g.errors.push((e.time_us.unwrap_or(0), i));
        }
        if let Some(a) = e.get(Field::Agent) {
            let verdict = match last {
                Some((l, v)) if l == a => v,
                _ => {
                    let v = *agents
                        .entry(a)
                        .or_insert_with(|| ctx.m.scanner_agents.first(a));
                    last = Some((a, v));
                    v
                }
            };
            if let Some(p) = verdict {
                g.agent_hits.push(i);
                let rank = store.rank.get(i as usize).copied().unwrap_or(u32::MAX);
                if g.agent.is_none_or(|(r, _)| rank < r) {
                    g.agent = Some((rank, p));
                }
            }
        }
    }
    let mut by_ip: Vec<(&str, PerIp)> = by_ip.into_iter().collect();
    by_ip.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (ip, mut g) in by_ip {
        g.errors.sort_unstable();
        let times: Vec<(i64, u32)> = g.errors.iter().map(|&(t, _)| (t, 1)).collect();
        let errors: Vec<u32> = g.errors.iter().map(|&(_, i)| i).collect();
        let (peak, _) = max_in_window(&times, cfg.findtime_s.saturating_mul(US));
        if peak >= u64::from(cfg.scan_4xx) {
            out.push(Finding::from_events(
                store,
                "web_scan",
                cfg.case_severity(ID, "errors"),
                cfg.text(ID, "errors_title", vars![ip, errors = errors.len()]),
                cfg.text(
                    ID,
                    "errors_explanation",
                    vars![
                        ip,
                        errors = errors.len(),
                        peak,
                        findtime_s = cfg.findtime_s,
                        threshold = cfg.scan_4xx
                    ],
                ),
                errors,
            ));
        }
        if let Some((_, p)) = g.agent {
            let a = ctx.m.scanner_agents.pattern(p).to_string();
            out.push(Finding::from_events(
                store,
                "scanner_user_agent",
                cfg.case_severity(ID, "agent"),
                cfg.text(
                    ID,
                    "agent_title",
                    vars![ip, agent = a, requests = g.agent_hits.len()],
                ),
                cfg.text(ID, "agent_explanation", vars![ip, agent = Quoted(&a)]),
                g.agent_hits,
            ));
        }
    }
    out
}
