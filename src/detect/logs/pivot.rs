//! Cross-source pivots: an address seen attacking the web server that later
//! tries (or manages) to log in over SSH or another remote login.

use super::texts::vars;
use super::{Collected, Ctx, Finding};

const ID: &str = "cross_source_pivot";
use crate::logs::event::{Field, Kind};
use std::collections::BTreeMap;

/// The detections whose findings the pivot reads (those producing
/// [`WEB_RULES`]); it runs once they are done.
pub const NEEDS: &[&str] = &[
    "web_scan",
    "sensitive_files",
    "attack_payloads",
    "credential_stuffing",
    "web_shell",
    "exfiltration",
];

const WEB_RULES: &[&str] = &[
    "web_scan",
    "scanner_user_agent",
    "attack_payload",
    "sensitive_file_probe",
    "sensitive_file_served",
    "credential_stuffing",
    "web_shell",
    "large_download",
];

/// Run the pivot detection over the web findings before it.
pub fn run(ctx: &Ctx<'_>, prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    // First web-attack time per address.
    let mut web: foldhash::HashMap<&str, (i64, &str)> = foldhash::HashMap::default();
    for f in prior
        .iter()
        .filter(|f| WEB_RULES.contains(&f.rule.as_str()))
    {
        for ip in &f.subject.ips {
            let t = f.subject.first_us.unwrap_or(i64::MIN);
            let e = web.entry(ip.as_str()).or_insert((t, f.rule.as_str()));
            if t < e.0 {
                *e = (t, f.rule.as_str());
            }
        }
    }
    if web.is_empty() {
        return Vec::new();
    }
    // Storage order (sequential memory): each group is put in time order by
    // `Finding::from_events`.
    let mut logins: foldhash::HashMap<&str, (Vec<Collected<'_>>, bool)> =
        foldhash::HashMap::default();
    for (i, e) in ctx.stored(&[
        Kind::AuthSuccess,
        Kind::AuthFailure,
        Kind::InvalidUser,
        Kind::Login,
    ]) {
        let Some(ip) = e.get(Field::Ip) else { continue };
        let Some((t, _)) = web.get(ip) else { continue };
        if e.time_us.unwrap_or(i64::MIN) < *t {
            continue;
        }
        let g = logins.entry(ip).or_default();
        g.0.push(Collected::of(i, e));
        g.1 |= matches!(e.kind, Kind::AuthSuccess | Kind::Login);
    }
    let logins: BTreeMap<&str, (Vec<Collected<'_>>, bool)> = logins.into_iter().collect();
    let mut out = Vec::new();
    for (ip, (evs, success)) in logins {
        let rule = web.get(ip).map(|x| x.1).unwrap_or("");
        let case = if success { "succeeded" } else { "attempted" };
        out.push(Finding::from_collected(
            store,
            "cross_source_pivot",
            ctx.cfg.case_severity(ID, case),
            ctx.cfg.text(ID, &format!("{case}_title"), vars![ip, rule]),
            ctx.cfg
                .text(ID, "explanation", vars![ip, rule, logins = evs.len()]),
            evs,
        ));
    }
    out
}
