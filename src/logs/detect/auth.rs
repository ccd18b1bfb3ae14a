//! What the authentication detections share: the remote failures and
//! successes (sshd, PAM, auditd, btmp, dropbear), grouped by address and by
//! account. The detections themselves are `bruteforce`, `spraying`,
//! `distributed`, `success_after_failures` and `new_source`.
//!
//! A failure counts once: PAM's `authentication failure` and sshd's
//! `Invalid user` lines are skipped when the same process also logged a
//! `Failed ...` line for it, and `message repeated N times` counts N. A
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

/// Remote authentication failures (with an address), deduplicated, in time
/// order.
pub fn failures<'a>(ctx: &Ctx<'a>) -> Vec<u32> {
    failure_rows(ctx).iter().map(|r| r.i).collect()
}

/// [`failures`] with what the detections read of each.
pub fn failure_rows<'a>(ctx: &Ctx<'a>) -> Vec<FailRow<'a>> {
    let store: &'a LogStore = ctx.store;
    // One pass in storage order (sequential memory) reads every failure
    // once; the rows are put in time order afterwards.
    let mut direct: foldhash::HashSet<(u32, &'a str)> = foldhash::HashSet::default();
    let mut cands: Vec<(FailRow<'a>, Option<(u32, &'a str)>)> = Vec::new();
    let mut idx: Vec<u32> = Vec::new();
    for k in [Kind::AuthFailure, Kind::InvalidUser] {
        idx.extend_from_slice(store.by_kind.get(&k).map_or(&[][..], Vec::as_slice));
    }
    idx.sort_unstable();
    for i in idx {
        let Some(e) = ev(store, i) else { continue };
        let pam = is_pam(e);
        let pid = e.get(Field::Pid);
        if e.kind == Kind::AuthFailure
            && !pam
            && let Some(p) = pid
        {
            direct.insert((e.source, p));
        }
        let Some(ip) = e.get(Field::Ip).filter(|ip| !ip.is_empty()) else {
            continue;
        };
        let secondary = e.kind == Kind::InvalidUser || pam;
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
            secondary.then_some(()).and(pid.map(|p| (e.source, p))),
        ));
    }
    // A secondary line (PAM, `Invalid user`) of a process that also logged
    // a direct failure is the same attempt.
    let mut out: Vec<FailRow<'a>> = cands
        .into_iter()
        .filter(|(_, key)| !key.is_some_and(|k| direct.contains(&k)))
        .map(|(r, _)| r)
        .collect();
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
                let k = v.partition_point(|&x| x < tt - super::super::time::US);
                v.get(k).is_some_and(|&x| x <= tt + super::super::time::US)
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
#[derive(Debug, Default)]
pub struct Group {
    /// Event indices.
    pub events: Vec<u32>,
    /// (time, occurrences) of each event; untimed events have `i64::MIN`.
    pub times: Vec<(i64, u32)>,
    /// The other key of each event: the account id in an address's group
    /// (the empty account has an id, an absent one is [`NO_ID`]), the
    /// address id in an account's group.
    pub other: Vec<u32>,
    /// Occurrences in all (`message repeated N times` counts N).
    pub total: u64,
    /// Events without a time (they sort last).
    pub untimed: usize,
}

impl Group {
    /// The distinct ids of [`Group::other`], sorted, without [`NO_ID`].
    pub fn distinct_other(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.other.iter().copied().filter(|&x| x != NO_ID).collect();
        v.sort_unstable();
        v.dedup();
        v
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
    pub fails: Vec<u32>,
    pub succ: Vec<u32>,
    /// Address names by id, sorted.
    pub ip_names: Vec<&'a str>,
    /// Account names by id, sorted (the empty account included).
    pub user_names: Vec<&'a str>,
    /// Failures per address id.
    pub by_ip: Vec<Group>,
    /// Failures per account id; the empty account's group stays empty.
    pub by_user: Vec<Group>,
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
    /// [`Finding::from_events`] over its events (which it falls back to
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
        let Some(g) = groups.get(id as usize) else {
            return super::Finding::from_events(store, rule, severity, title, explanation, vec![]);
        };
        if g.untimed > 0 || self.any_path {
            return super::Finding::from_events(
                store,
                rule,
                severity,
                title,
                explanation,
                g.events.clone(),
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
            rule,
            severity,
            title,
            explanation,
            first_us: g.times.first().map(|x| x.0),
            last_us: g.times.last().map(|x| x.0),
            ips,
            users,
            paths: Vec::new(),
            events: g.events.clone(),
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
    let mut by_ip: Vec<Group> = (0..ip_names.len()).map(|_| Group::default()).collect();
    let mut by_user: Vec<Group> = (0..user_names.len()).map(|_| Group::default()).collect();
    // `fails` is in time order with untimed failures last, so every group is too.
    for (r, &(ip, user)) in rows.iter().zip(&ids) {
        let (i, t, count) = (r.i, r.t, r.count);
        let ip = if ip == NO_ID {
            NO_ID
        } else {
            ip_map.get(ip as usize).copied().unwrap_or(NO_ID)
        };
        let user = if user == NO_ID {
            NO_ID
        } else {
            user_map.get(user as usize).copied().unwrap_or(NO_ID)
        };
        let add = |g: &mut Group, other: u32| {
            g.events.push(i);
            g.times.push((t, count));
            g.other.push(other);
            g.total += u64::from(count);
            g.untimed += usize::from(t == i64::MIN);
        };
        if let Some(g) = by_ip.get_mut(ip as usize) {
            add(g, user);
        }
        if user != NO_ID
            && Some(user) != empty_user
            && let Some(g) = by_user.get_mut(user as usize)
        {
            add(g, ip);
        }
    }
    AuthData {
        fails: rows.iter().map(|r| r.i).collect(),
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
