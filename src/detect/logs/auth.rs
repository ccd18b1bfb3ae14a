//! What the authentication detections share: the remote failures and
//! successes (sshd, PAM, auditd, btmp, dropbear), grouped by address and by
//! account. The detections themselves are `bruteforce`, `spraying`,
//! `distributed`, `success_after_failures` and `new_source`.
//!
//! A failure counts once: PAM's `authentication failure` and sshd's
//! `Invalid user` lines are skipped when the same process also logged a
//! `Failed ...` line for it, a disconnect before authentication counts once
//! per process when nothing else did (see [`failure_rows`]), and `message
//! repeated N times` counts N. A
//! btmp record is skipped when a text log (auth.log, secure) holds a failure
//! for the same account from the same address within a second of it: btmp
//! and the text log record the same attempt.
//!
//! The data is collected once per detection run ([`shared`]) and read by
//! every authentication detection.

use super::{Ctx, ev};
use crate::logs::event::{Event, Field, Kind};
use crate::logs::load::LogStore;

fn is_pam(e: &Event) -> bool {
    if e.get(Field::Program)
        .is_some_and(|p| p.ends_with("(pam_unix)"))
    {
        return true;
    }
    // Most lines have no `pam_` at all: one SIMD scan decides.
    static PAM: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"pam_"));
    let line = e.line_text();
    PAM.find(line.as_bytes()).is_some() && (line.contains("pam_unix(") || line.contains("pam_sss("))
}

/// Whether an event comes from a binary btmp file.
fn is_btmp(e: &Event) -> bool {
    e.get(Field::Program) == Some("btmp")
}

/// A set of (source, process id): numeric ids (nearly all) as numbers,
/// anything else as text.
#[derive(Default)]
struct Processes<'a> {
    numeric: foldhash::HashSet<(u32, u64)>,
    other: foldhash::HashSet<(u32, &'a str)>,
}

impl<'a> Processes<'a> {
    fn number(pid: &str) -> Option<u64> {
        (pid.len() <= 19 && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            .then(|| pid.parse().ok())
            .flatten()
            // "007" and "7" are different texts: keep such ids as text.
            .filter(|_| !(pid.len() > 1 && pid.starts_with('0')))
    }

    fn insert(&mut self, source: u32, pid: &'a str) {
        match Self::number(pid) {
            Some(n) => self.numeric.insert((source, n)),
            None => self.other.insert((source, pid)),
        };
    }

    fn contains(&self, source: u32, pid: &str) -> bool {
        match Self::number(pid) {
            Some(n) => self.numeric.contains(&(source, n)),
            None => self.other.contains(&(source, pid)),
        }
    }
}

/// One remote authentication failure, read once from its event.
#[derive(Debug, Clone, Copy)]
pub struct FailRow<'a> {
    /// Event index.
    pub i: u32,
    pub ip: &'a str,
    pub user: Option<&'a str>,
    /// Time (`i64::MIN` when untimed).
    pub t: i64,
    pub count: u32,
    /// The event has a path field.
    pub has_path: bool,
    btmp: bool,
    kind: Kind,
}

/// How a failure counts against the other lines of its process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    /// `Failed password`, `ROOT LOGIN REFUSED`, btmp, a web login...
    Direct,
    /// PAM's `authentication failure`, sshd's `Invalid user`, auditd's
    /// `USER_LOGIN res=failed`: the same attempt as a direct line, if any.
    Secondary,
    /// A connection that ended before authentication (detail `preauth:
    /// ...`): one attempt per process, when nothing else counted one.
    Preauth,
    /// sshd's `Failed publickey`: a client trying its keys; counted only
    /// when the process logged nothing else (no other failure, no success).
    Key,
}

fn tier(e: &Event, pam: bool) -> Tier {
    let detail = e.get(Field::Detail);
    if e.kind == Kind::InvalidUser
        || pam
        || (detail == Some("USER_LOGIN") && e.get(Field::Program) == Some("auditd"))
    {
        Tier::Secondary
    } else if detail.is_some_and(|d| d.starts_with(crate::logs::parsers::sshd::PREAUTH)) {
        Tier::Preauth
    } else if detail == Some("publickey")
        && e.get(Field::Program)
            .is_some_and(|p| p == "sshd" || p.starts_with("sshd-"))
    {
        Tier::Key
    } else {
        Tier::Direct
    }
}

/// Remote authentication failures (with an address), deduplicated, in time
/// order, with what the detections read of each.
///
/// Per process (source and pid): a secondary line is dropped when the
/// process also logged a direct failure, and a PAM line when the process
/// then logged in as the same account (stacked modules: `pam_unix` fails,
/// `pam_ldap` succeeds); a disconnect before authentication is dropped when
/// the process logged a direct or secondary failure, and only the first
/// (with an address) of a process counts; a refused public key is dropped
/// when the process logged any other failure or a success.
pub fn failure_rows<'a>(ctx: &Ctx<'a>) -> Vec<FailRow<'a>> {
    let store: &'a LogStore = ctx.store;
    // One pass in storage order (sequential memory) reads every failure
    // once; the rows are put in time order afterwards.
    let mut direct = Processes::default();
    let mut secondary = Processes::default();
    let mut preauth = Processes::default();
    // (row, tier, a PAM line, its process)
    type Cand<'a> = (FailRow<'a>, Tier, bool, Option<(u32, &'a str)>);
    let mut cands: Vec<Cand<'a>> = Vec::new();
    for (i, e) in super::stored(store, &[Kind::AuthFailure, Kind::InvalidUser]) {
        let pam = is_pam(e);
        let pid = e.get(Field::Pid);
        let tier = tier(e, pam);
        if let Some(p) = pid {
            match tier {
                Tier::Direct => direct.insert(e.source, p),
                Tier::Secondary => secondary.insert(e.source, p),
                Tier::Preauth => preauth.insert(e.source, p),
                Tier::Key => {}
            }
        }
        let Some(ip) = e.get(Field::Ip).filter(|ip| !ip.is_empty()) else {
            continue;
        };
        cands.push((
            FailRow {
                i,
                ip,
                user: e.get(Field::User),
                t: t(e),
                count: e.count,
                has_path: e.get(Field::Path).is_some(),
                btmp: is_btmp(e),
                kind: e.kind,
            },
            tier,
            pam,
            pid.map(|p| (e.source, p)),
        ));
    }
    let needs_success = cands
        .iter()
        .any(|c| c.3.is_some() && (c.1 == Tier::Key || c.2));
    // Successes per process, with their account (only when a refused key
    // or a PAM line could be dropped by one).
    let mut success: foldhash::HashMap<(u32, &'a str), Vec<&'a str>> = foldhash::HashMap::default();
    if needs_success {
        for (_, e) in super::stored(store, &[Kind::AuthSuccess]) {
            if let Some(p) = e.get(Field::Pid) {
                success
                    .entry((e.source, p))
                    .or_default()
                    .push(e.get(Field::User).unwrap_or(""));
            }
        }
    }
    let mut preauth_counted = Processes::default();
    let mut out: Vec<FailRow<'a>> = Vec::with_capacity(cands.len());
    for (r, tier, pam, key) in cands {
        let keep = match (tier, key) {
            (Tier::Direct, _) | (_, None) => true,
            (Tier::Secondary, Some((src, pid))) => {
                // A PAM failure of the account the process then logged in as.
                let then_in = pam
                    && success
                        .get(&(src, pid))
                        .is_some_and(|us| r.user.is_some_and(|u| us.contains(&u)));
                !direct.contains(src, pid) && !then_in
            }
            (Tier::Preauth, Some((src, pid))) => {
                let first = !preauth_counted.contains(src, pid);
                if first {
                    preauth_counted.insert(src, pid);
                }
                first && !direct.contains(src, pid) && !secondary.contains(src, pid)
            }
            (Tier::Key, Some((src, pid))) => {
                !direct.contains(src, pid)
                    && !secondary.contains(src, pid)
                    && !preauth.contains(src, pid)
                    && !success.contains_key(&(src, pid))
            }
        };
        if keep {
            out.push(r);
        }
    }
    let _ph = crate::logs::timing::Phase::start("auth: time order, btmp");
    out.sort_unstable_by_key(|r| store.rank.get(r.i as usize).copied().unwrap_or(u32::MAX));
    // btmp and a text log seen together: keep the text log's line.
    if out.iter().any(|r| r.btmp) {
        let mut text: foldhash::HashMap<(&'a str, &'a str), Vec<i64>> =
            foldhash::HashMap::default();
        for r in &out {
            if !r.btmp
                && r.kind == Kind::AuthFailure
                && r.t != i64::MIN
                && let Some(user) = r.user
            {
                text.entry((r.ip, user)).or_default().push(r.t);
            }
        }
        out.retain(|r| {
            if !r.btmp || r.t == i64::MIN {
                return true;
            }
            let Some(user) = r.user else { return true };
            let tt = r.t;
            // Times are in time order: find the nearest text-log failure.
            !text.get(&(r.ip, user)).is_some_and(|v| {
                let k = v.partition_point(|&x| x < tt - crate::logs::time::US);
                v.get(k).is_some_and(|&x| x <= tt + crate::logs::time::US)
            })
        });
    }
    out
}

/// Successful remote logins (with an address).
pub fn successes(ctx: &Ctx<'_>) -> Vec<u32> {
    ctx.timed(&[Kind::AuthSuccess])
        .filter(|(_, e)| e.get(Field::Ip).is_some_and(|ip| !ip.is_empty()))
        .map(|(i, _)| i)
        .collect()
}

/// The time of an event (untimed events sort first).
pub fn t(e: &Event) -> i64 {
    e.time_us.unwrap_or(i64::MIN)
}

/// Which group of [`AuthData`]: an address id or an account id.
#[derive(Debug, Clone, Copy)]
pub enum By {
    Ip(u32),
    User(u32),
}

/// "No value" in the id columns of [`AuthData`].
pub const NO_ID: u32 = u32::MAX;

/// The failures of one address or one account, in time order (untimed
/// last), as columns read without going back to the events.
#[derive(Debug, Clone, Copy)]
pub struct Group<'g> {
    /// Event indices.
    pub events: &'g [u32],
    /// (time, occurrences) of each event; untimed events have `i64::MIN`.
    pub times: &'g [(i64, u32)],
    /// The other key of each event: the account id in an address's group
    /// (the empty account has an id, an absent one is [`NO_ID`]), the
    /// address id in an account's group.
    pub other: &'g [u32],
    /// Occurrences in all (`message repeated N times` counts N).
    pub total: u64,
    /// Events without a time (they sort last).
    pub untimed: usize,
}

impl Group<'_> {
    /// The distinct ids of [`Group::other`], sorted, without [`NO_ID`].
    pub fn distinct_other(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.other.iter().copied().filter(|&x| x != NO_ID).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Failures grouped by one key: every group's columns laid end to end
/// (group `k` is `starts[k]..starts[k + 1]`), filled by a counting sort that
/// keeps time order inside each group.
#[derive(Debug, Default)]
pub struct Grouping {
    events: Vec<u32>,
    times: Vec<(i64, u32)>,
    other: Vec<u32>,
    starts: Vec<usize>,
    totals: Vec<u64>,
    untimed: Vec<usize>,
}

impl Grouping {
    /// Group rows `(key, other, event, time, count)` given in time order;
    /// rows whose key is [`NO_ID`] or not below `keys` are left out.
    fn build(keys: usize, rows: impl Iterator<Item = (u32, u32, u32, i64, u32)> + Clone) -> Self {
        let mut counts = vec![0usize; keys + 1];
        for (k, ..) in rows.clone() {
            if let Some(c) = counts.get_mut(k as usize).filter(|_| (k as usize) < keys) {
                *c += 1;
            }
        }
        let mut starts = Vec::with_capacity(keys + 1);
        let mut acc = 0usize;
        for &c in counts.iter().take(keys) {
            starts.push(acc);
            acc += c;
        }
        starts.push(acc);
        let mut g = Grouping {
            events: vec![0; acc],
            times: vec![(0, 0); acc],
            other: vec![NO_ID; acc],
            starts: starts.clone(),
            totals: vec![0; keys],
            untimed: vec![0; keys],
        };
        let mut at = starts;
        for (k, other, i, t, count) in rows {
            let k = k as usize;
            if k >= keys {
                continue;
            }
            let Some(pos) = at.get_mut(k) else { continue };
            let p = *pos;
            *pos += 1;
            if let (Some(e), Some(tc), Some(o)) =
                (g.events.get_mut(p), g.times.get_mut(p), g.other.get_mut(p))
            {
                *e = i;
                *tc = (t, count);
                *o = other;
            }
            if let Some(total) = g.totals.get_mut(k) {
                *total += u64::from(count);
            }
            if let Some(u) = g.untimed.get_mut(k) {
                *u += usize::from(t == i64::MIN);
            }
        }
        g
    }

    /// Number of groups (ids `0..len`).
    pub fn len(&self) -> usize {
        self.totals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// The group of an id.
    pub fn get(&self, id: u32) -> Option<Group<'_>> {
        let k = id as usize;
        let (lo, hi) = (*self.starts.get(k)?, *self.starts.get(k + 1)?);
        Some(Group {
            events: self.events.get(lo..hi)?,
            times: self.times.get(lo..hi)?,
            other: self.other.get(lo..hi)?,
            total: *self.totals.get(k)?,
            untimed: *self.untimed.get(k)?,
        })
    }

    /// Every group with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Group<'_>)> {
        (0..self.len() as u32).filter_map(|id| Some((id, self.get(id)?)))
    }
}

/// Failures and successes, grouped by address and by account.
///
/// Addresses and accounts are interned: ids are indices into `ip_names` and
/// `user_names`, which are sorted, so id order is name order. The groups
/// carry the times, counts and the other key of each failure, so the
/// detections count, window and group without dereferencing millions of
/// events.
pub struct AuthData<'a> {
    pub succ: Vec<u32>,
    /// Address names by id, sorted.
    pub ip_names: Vec<&'a str>,
    /// Account names by id, sorted (the empty account included).
    pub user_names: Vec<&'a str>,
    /// Failures per address id.
    pub by_ip: Grouping,
    /// Failures per account id; the empty account's group stays empty.
    pub by_user: Grouping,
    /// Some failure has a path field (findings then collect paths from the
    /// events themselves).
    pub any_path: bool,
}

impl<'a> AuthData<'a> {
    /// The id of an address, if it failed.
    pub fn ip_id(&self, ip: &str) -> Option<u32> {
        self.ip_names.binary_search(&ip).ok().map(|i| i as u32)
    }

    /// The id of an account, if it failed.
    pub fn user_id(&self, user: &str) -> Option<u32> {
        self.user_names.binary_search(&user).ok().map(|i| i as u32)
    }

    fn names(&self, ids: &[u32], table: &[&'a str]) -> Vec<String> {
        ids.iter()
            .filter_map(|&i| table.get(i as usize))
            .map(|s| s.to_string())
            .collect()
    }

    /// A finding over a whole group, built from its columns; the same as
    /// [`Finding::from_events`](super::Finding::from_events) over its events (which it falls back to
    /// when the group has untimed events or paths).
    pub fn group_finding(
        &self,
        store: &LogStore,
        by: By,
        rule: &'static str,
        severity: super::Severity,
        title: String,
        explanation: String,
    ) -> super::Finding {
        let (by_ip, id) = match by {
            By::Ip(id) => (true, id),
            By::User(id) => (false, id),
        };
        let (groups, own, other) = if by_ip {
            (&self.by_ip, &self.ip_names, &self.user_names)
        } else {
            (&self.by_user, &self.user_names, &self.ip_names)
        };
        let Some(g) = groups.get(id) else {
            return super::Finding::from_events(store, rule, severity, title, explanation, vec![]);
        };
        if g.untimed > 0 || self.any_path {
            return super::Finding::from_events(
                store,
                rule,
                severity,
                title,
                explanation,
                g.events.to_vec(),
            );
        }
        let mine = self.names(&[id], own);
        let others = self.names(&g.distinct_other(), other);
        let (ips, users) = if by_ip {
            (mine, others)
        } else {
            (others, mine)
        };
        super::Finding {
            rule: rule.to_string(),
            severity,
            title,
            explanation,
            subject: crate::detect::EventSubject {
                first_us: g.times.first().map(|x| x.0),
                last_us: g.times.last().map(|x| x.0),
                ips,
                users,
                paths: Vec::new(),
                events: g.events.to_vec(),
            },
        }
    }
}

/// The authentication data of this detection run, collected on first use.
pub fn shared<'c, 'a>(ctx: &'c Ctx<'a>) -> &'c AuthData<'a> {
    ctx.auth.get_or_init(|| {
        let _phase = crate::logs::timing::Phase::start("auth data (shared)");
        collect(ctx)
    })
}

/// Intern names: temporary ids in first-seen order, remapped to name order
/// by [`Interner::finish`].
#[derive(Default)]
struct Interner<'a> {
    ids: foldhash::HashMap<&'a str, u32>,
    names: Vec<&'a str>,
    /// The last name looked up (runs of equal names skip the hash map).
    last: Option<(&'a str, u32)>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, s: &'a str) -> u32 {
        if let Some((l, id)) = self.last
            && l == s
        {
            return id;
        }
        let n = self.names.len() as u32;
        let id = *self.ids.entry(s).or_insert_with(|| {
            self.names.push(s);
            n
        });
        self.last = Some((s, id));
        id
    }

    /// Sorted names and the map from temporary to final id.
    fn finish(self) -> (Vec<&'a str>, Vec<u32>) {
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        order.sort_unstable_by_key(|&i| self.names.get(i as usize).copied().unwrap_or(""));
        let mut remap = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(r) = remap.get_mut(old as usize) {
                *r = new as u32;
            }
        }
        let names = order
            .iter()
            .filter_map(|&i| self.names.get(i as usize).copied())
            .collect();
        (names, remap)
    }
}

/// Collect the authentication data of a store.
pub fn collect<'a>(ctx: &Ctx<'a>) -> AuthData<'a> {
    let ph = crate::logs::timing::Phase::start("auth: failure rows");
    let rows = failure_rows(ctx);
    drop(ph);
    let ph = crate::logs::timing::Phase::start("auth: successes");
    let succ = successes(ctx);
    drop(ph);
    let _ph = crate::logs::timing::Phase::start("auth: groups");
    let mut ips = Interner::default();
    let mut users = Interner::default();
    let any_path = rows.iter().any(|r| r.has_path);
    let mut ids: Vec<(u32, u32)> = Vec::with_capacity(rows.len());
    for r in &rows {
        let ip_id = ips.id(r.ip);
        let user_id = r.user.map_or(NO_ID, |u| users.id(u));
        ids.push((ip_id, user_id));
    }
    let (ip_names, ip_map) = ips.finish();
    let (user_names, user_map) = users.finish();
    let empty_user = user_names.binary_search(&"").ok().map(|i| i as u32);
    let remap = |map: &[u32], id: u32| {
        if id == NO_ID {
            NO_ID
        } else {
            map.get(id as usize).copied().unwrap_or(NO_ID)
        }
    };
    let final_ids: Vec<(u32, u32)> = ids
        .iter()
        .map(|&(ip, user)| (remap(&ip_map, ip), remap(&user_map, user)))
        .collect();
    // `rows` is in time order with untimed failures last, so every group is too.
    let by_ip = Grouping::build(
        ip_names.len(),
        rows.iter()
            .zip(&final_ids)
            .map(|(r, &(ip, user))| (ip, user, r.i, r.t, r.count)),
    );
    let by_user = Grouping::build(
        user_names.len(),
        rows.iter().zip(&final_ids).map(|(r, &(ip, user))| {
            // The empty account is no account to attack.
            let key = if Some(user) == empty_user {
                NO_ID
            } else {
                user
            };
            (key, ip, r.i, r.t, r.count)
        }),
    );
    AuthData {
        succ,
        ip_names,
        user_names,
        by_ip,
        by_user,
        any_path,
    }
}

/// Occurrences behind some events (`message repeated N times` counts N).
pub fn count(store: &LogStore, v: &[u32]) -> u64 {
    v.iter()
        .filter_map(|&i| ev(store, i))
        .map(|e| u64::from(e.count))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_ids_compare_as_written() {
        let mut p = Processes::default();
        p.insert(1, "4242");
        p.insert(1, "007");
        p.insert(2, "x9");
        assert!(p.contains(1, "4242"));
        assert!(!p.contains(2, "4242"), "another source");
        assert!(p.contains(1, "007"));
        assert!(!p.contains(1, "7"), "007 and 7 are different texts");
        assert!(p.contains(2, "x9"));
        assert!(!p.contains(1, "99999999999999999999999"));
    }

    proptest::proptest! {
        #[test]
        fn grouping_keeps_every_row_in_order(rows in proptest::collection::vec((0u32..6, 0u32..4, -5i64..5, 1u32..3), 0..200)) {
            let keys = 5usize; // key 5 is out of range and left out
            let rows: Vec<(u32, u32, u32, i64, u32)> = rows
                .iter()
                .enumerate()
                .map(|(i, &(k, o, t, c))| (k, o, i as u32, t, c))
                .collect();
            let g = Grouping::build(keys, rows.iter().copied());
            proptest::prop_assert_eq!(g.len(), keys);
            for k in 0..keys as u32 {
                let want: Vec<&(u32, u32, u32, i64, u32)> = rows.iter().filter(|r| r.0 == k).collect();
                let got = g.get(k).expect("group");
                proptest::prop_assert_eq!(got.events.to_vec(), want.iter().map(|r| r.2).collect::<Vec<_>>());
                proptest::prop_assert_eq!(got.other.to_vec(), want.iter().map(|r| r.1).collect::<Vec<_>>());
                proptest::prop_assert_eq!(got.times.to_vec(), want.iter().map(|r| (r.3, r.4)).collect::<Vec<_>>());
                proptest::prop_assert_eq!(got.total, want.iter().map(|r| u64::from(r.4)).sum::<u64>());
            }
            proptest::prop_assert!(g.get(keys as u32).is_none());
        }
    }
}
