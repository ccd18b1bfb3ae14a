//! Success after failures: a login from an address that failed at least
//! `maxretry` times before it (critical: a brute force that worked), or to
//! an account that did (high), within `lookback`.

use super::auth::{self, t};
use super::texts::{Quoted, vars};
use super::{Ctx, Finding, ev};

const ID: &str = "success_after_failures";
use crate::logs::event::Field;
use crate::logs::time::{US, rfc3339};
use std::collections::HashSet;

/// Occurrence prefix sums per group (keyed by (by address, id)).
type PrefixSums = foldhash::HashMap<(bool, u32), Vec<u64>>;

/// Run the success-after-failures detection.
pub fn run(ctx: &Ctx<'_>, _prior: &[Finding]) -> Vec<Finding> {
    let store = ctx.store;
    let cfg = ctx.cfg;
    let a = auth::shared(ctx);
    let mut out = Vec::new();
    let mut ips_done: HashSet<&str> = HashSet::new();
    let mut users_done: HashSet<&str> = HashSet::new();
    let mut sums: PrefixSums = PrefixSums::default();
    for &si in &a.succ {
        let Some(s) = ev(store, si) else { continue };
        let (Some(ip), user) = (s.get(Field::Ip), s.get(Field::User).unwrap_or("")) else {
            continue;
        };
        let ts = t(s);
        let since = ts.saturating_sub(cfg.lookback_s.saturating_mul(US));
        // The failures of a group (time order, untimed last) in [since, ts],
        // as a range found by binary search over the group's times, and
        // their occurrence count from prefix sums: linear in the number of
        // events overall.
        let window = |by_ip: bool, id: Option<u32>, sums: &mut PrefixSums| {
            let groups = if by_ip { &a.by_ip } else { &a.by_user };
            let Some((id, g)) = id.and_then(|id| Some((id, groups.get(id)?))) else {
                return (Vec::new(), 0);
            };
            let timed = g.times.len() - g.untimed;
            let tv = g.times.get(..timed).unwrap_or(&[]);
            let lo = tv.partition_point(|x| x.0 < since);
            let hi = tv.partition_point(|x| x.0 <= ts).max(lo);
            let pre = sums.entry((by_ip, id)).or_insert_with(|| {
                let mut acc = Vec::with_capacity(g.times.len() + 1);
                acc.push(0u64);
                let mut sum = 0u64;
                for &(_, c) in g.times {
                    sum += u64::from(c);
                    acc.push(sum);
                }
                acc
            });
            let at = |k: usize| pre.get(k).copied().unwrap_or(0);
            let mut n = at(hi) - at(lo);
            let mut range: Vec<(usize, usize)> = vec![(lo, hi)];
            if since == i64::MIN {
                // Untimed failures also satisfy the window when it is open.
                n += at(g.times.len()) - at(timed);
                range.push((timed, g.times.len()));
            }
            (range, n)
        };
        let ip_id = a.ip_id(ip);
        // The empty account has no failures group.
        let user_id = a.user_id(user).filter(|_| !user.is_empty());
        let (ip_r, n_ip) = window(true, ip_id, &mut sums);
        let (user_r, n_user) = window(false, user_id, &mut sums);
        let take = |by_ip: bool, id: Option<u32>, r: &[(usize, usize)]| -> Vec<u32> {
            let groups = if by_ip { &a.by_ip } else { &a.by_user };
            let Some(g) = id.and_then(|id| groups.get(id)) else {
                return Vec::new();
            };
            r.iter()
                .flat_map(|&(lo, hi)| g.events.get(lo..hi).unwrap_or(&[]).iter().copied())
                .collect()
        };
        let found = if n_ip >= u64::from(cfg.maxretry) && ips_done.insert(ip) {
            Some(("by_address", take(true, ip_id, &ip_r), n_ip))
        } else if n_user >= u64::from(cfg.maxretry) && !user.is_empty() && users_done.insert(user) {
            Some(("by_account", take(false, user_id, &user_r), n_user))
        } else {
            None
        };
        if let Some((case, mut evs, failures)) = found {
            evs.push(si);
            let v = vars![
                user = Quoted(user),
                ip,
                failures,
                hours = cfg.lookback_s / 3600,
                time = rfc3339(ts)
            ];
            out.push(Finding::from_events(
                store,
                "success_after_failures",
                cfg.case_severity(ID, case),
                cfg.text(ID, &format!("{case}_title"), v),
                cfg.text(ID, &format!("{case}_explanation"), v),
                evs,
            ));
        }
    }
    out
}
