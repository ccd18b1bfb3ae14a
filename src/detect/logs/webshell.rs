//! Web shell use: successful requests to a script in an upload directory,
//! or to any script with command-style parameters (`cmd=`, `exec=`...).

use super::texts::vars;
use super::{Ctx, Finding};

const ID: &str = "web_shell";
use crate::logs::event::{Field, Kind};
use crate::logs::time::rfc3339;
use crate::logs::url::{decode_url, strip_query};
use std::collections::BTreeMap;

/// Run the web-shell detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let r = &ctx.cfg.rules;
    let mut first_seen: BTreeMap<String, i64> = BTreeMap::new();
    let mut groups: BTreeMap<(String, &'static str), Vec<u32>> = BTreeMap::new();
    for (i, e) in ctx.stored(&[Kind::WebRequest]) {
        let Some(path) = e.get(Field::Path) else {
            continue;
        };
        let script_raw = strip_query(path);
        if !ctx.m.is_script(script_raw) {
            continue;
        }
        let dec = decode_url(path).to_ascii_lowercase();
        let script = strip_query(&dec).to_string();
        if let Some(t) = e.time_us {
            let f = first_seen.entry(script.clone()).or_insert(t);
            *f = (*f).min(t);
        }
        if !e.status.is_some_and(|s| (200..300).contains(&s)) {
            continue;
        }
        let query = dec.split_once('?').map(|q| q.1).unwrap_or("");
        let params = !query.is_empty()
            && r.webshell_params.iter().any(|p| {
                query.starts_with(p.as_str())
                    || query.contains(&format!("&{p}"))
                    || (p.contains('(') && query.contains(p.as_str()))
            });
        let upload = ctx.m.upload_dirs.first(&script).is_some()
            && r.upload_script_extensions
                .iter()
                .any(|x| script.ends_with(x.as_str()));
        if params {
            groups.entry((script, "params")).or_default().push(i);
        } else if upload {
            groups.entry((script, "upload")).or_default().push(i);
        }
    }
    let cfg = ctx.cfg;
    let mut out = Vec::new();
    for ((script, why), evs) in groups {
        let reason = cfg.text(ID, &format!("why_{why}"), &[]);
        let first = first_seen
            .get(&script)
            .map(|t| rfc3339(*t))
            .unwrap_or_default();
        out.push(Finding::from_events(
            store,
            "web_shell",
            cfg.case_severity(ID, why),
            cfg.text(
                ID,
                "title",
                vars![script, requests = evs.len(), why = reason],
            ),
            cfg.text(ID, "explanation", vars![script, first, why = reason]),
            evs,
        ));
    }
    out
}
