//! Indicators in log events (`detect::ioc::logs`).
//!
//! Each event is asked, by its fields: the client address (exactly and
//! against the ranges) and the `X-Forwarded-For` addresses; the host
//! (syslog host, virtual host: the domains and addresses); the request
//! (a full URL as proxies log it, or the virtual host with the path, against
//! the URLs and the domains; its last path component against the file
//! names); a file path of other events against the file names and paths;
//! the referer (URLs and domains); the user agent (contained, case blind);
//! the user (account names, emails). Commands (sudo, cron, shell history,
//! EXECVE) and lines no parser understood are searched for listed strings
//! as text files are. One finding per indicator holds every event that
//! named it, in time order.
//!
//! The events are split in blocks matched on all cores; each block reuses
//! its buffers, so the cost is a few hash lookups per field.

use super::parse::{self, UrlParts};
use super::{IocKind, IocSet};
use crate::detect::EventSubject;
use crate::job::CancelToken;
use crate::logs::event::{Event, Field, Kind};
use crate::logs::load::LogStore;
use crate::logs::time::rfc3339;
use std::collections::{BTreeMap, BTreeSet};

/// A log finding.
pub type Finding = crate::detect::Finding<EventSubject>;

/// Events matched per block of work.
const BLOCK: usize = 1 << 15;
/// Addresses, users and paths named per finding.
const MAX_NAMED: usize = 50;

/// Where in an event an indicator was seen (a bit each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
enum Seen {
    Client = 1,
    Forwarded = 1 << 1,
    Host = 1 << 2,
    Url = 1 << 3,
    FileName = 1 << 4,
    Referer = 1 << 5,
    Agent = 1 << 6,
    User = 1 << 7,
    Command = 1 << 8,
    Line = 1 << 9,
    Path = 1 << 10,
}

const SEEN_WORDS: [(Seen, &str); 11] = [
    (Seen::Client, "client address"),
    (Seen::Forwarded, "forwarded-for address"),
    (Seen::Host, "host"),
    (Seen::Url, "requested URL"),
    (Seen::FileName, "requested file name"),
    (Seen::Path, "file path"),
    (Seen::Referer, "referer"),
    (Seen::Agent, "user agent"),
    (Seen::User, "user"),
    (Seen::Command, "command"),
    (Seen::Line, "unparsed line"),
];

/// Per-block buffers.
#[derive(Default)]
struct Scratch {
    host: String,
    found: Vec<u32>,
    globs: Vec<usize>,
}

/// Match every event of the store; one finding per indicator seen, most
/// severe first, then by first time.
pub fn on_logs(store: &LogStore, set: &IocSet, cancel: &CancelToken) -> Vec<Finding> {
    if set.is_empty() || store.events.is_empty() {
        return Vec::new();
    }
    let n = store.events.len();
    let blocks: Vec<(usize, usize)> = (0..n)
        .step_by(BLOCK)
        .map(|s| (s, (s + BLOCK).min(n)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let parts = crate::job::par_map(
        &blocks,
        threads,
        cancel,
        |&(s, e)| {
            let mut sc = Scratch::default();
            let mut hits: Vec<(u32, u32, u16)> = Vec::new();
            let mut per_event: Vec<(u32, u16)> = Vec::new();
            for i in s..e {
                let Some(ev) = store.events.get(i) else {
                    continue;
                };
                per_event.clear();
                match_event(set, ev, &mut sc, &mut per_event);
                if per_event.is_empty() {
                    continue;
                }
                per_event.sort_unstable();
                // One entry per indicator, the places merged.
                let mut k = 0;
                while let Some(&(ind, _)) = per_event.get(k) {
                    let mut bits = 0u16;
                    while let Some(&(j, b)) = per_event.get(k) {
                        if j != ind {
                            break;
                        }
                        bits |= b;
                        k += 1;
                    }
                    hits.push((ind, i as u32, bits));
                }
            }
            hits
        },
        None,
    );
    #[derive(Default)]
    struct Acc {
        events: Vec<u32>,
        seen: u16,
        ips: BTreeSet<String>,
        users: BTreeSet<String>,
        paths: BTreeSet<String>,
        first: Option<i64>,
        last: Option<i64>,
    }
    let mut acc: BTreeMap<u32, Acc> = BTreeMap::new();
    for part in parts.into_iter().flatten() {
        for (ind, ev, bits) in part {
            let a = acc.entry(ind).or_default();
            a.events.push(ev);
            a.seen |= bits;
            let Some(e) = store.events.get(ev as usize) else {
                continue;
            };
            if let Some(t) = e.time_us {
                a.first = Some(a.first.map_or(t, |f| f.min(t)));
                a.last = Some(a.last.map_or(t, |l| l.max(t)));
            }
            let name = |set: &mut BTreeSet<String>, v: Option<&str>| {
                if let Some(v) = v.filter(|v| !v.is_empty() && *v != "-")
                    && set.len() < MAX_NAMED
                {
                    set.insert(v.to_string());
                }
            };
            name(&mut a.ips, e.get(Field::Ip));
            name(&mut a.users, e.get(Field::User));
            name(
                &mut a.paths,
                e.get(Field::Path).map(crate::logs::url::strip_query),
            );
        }
    }
    let mut out: Vec<Finding> = Vec::new();
    for (ind_i, mut a) in acc {
        let Some(ind) = set.get(ind_i) else { continue };
        a.events
            .sort_by_key(|&i| store.rank.get(i as usize).copied().unwrap_or(u32::MAX));
        let places: Vec<&str> = SEEN_WORDS
            .iter()
            .filter(|(s, _)| a.seen & (*s as u16) != 0)
            .map(|(_, w)| *w)
            .collect();
        let n = a.events.len();
        let span = match (a.first, a.last) {
            (Some(f), Some(l)) if f == l => format!(" at {}", rfc3339(f)),
            (Some(f), Some(l)) => format!(" from {} to {}", rfc3339(f), rfc3339(l)),
            _ => String::new(),
        };
        out.push(Finding {
            rule: ind.kind.rule().to_string(),
            severity: ind.kind.severity(),
            title: format!("{} in {n} log event(s)", set.title(ind)),
            explanation: format!(
                "The {} {} is in the indicator list {}{}. It is the {} of {n} log event(s){span}.",
                ind.kind.words(),
                ind.value,
                set.source(ind),
                if ind.comment.is_empty() {
                    String::new()
                } else {
                    format!(" ({:?})", ind.comment)
                },
                places.join(", ")
            ),
            subject: EventSubject {
                first_us: a.first,
                last_us: a.last,
                ips: a.ips.into_iter().collect(),
                users: a.users.into_iter().collect(),
                paths: a.paths.into_iter().collect(),
                events: a.events,
            },
        });
    }
    out.sort_by(|x, y| {
        y.severity
            .cmp(&x.severity)
            .then_with(|| x.subject.first_us.cmp(&y.subject.first_us))
            .then_with(|| x.rule.cmp(&y.rule))
    });
    out
}

/// Push `(indicator, place)` for every indicator `e` names.
fn match_event(set: &IocSet, e: &Event, sc: &mut Scratch, out: &mut Vec<(u32, u16)>) {
    let ix = set.index();
    if let Some(ip) = e.get(Field::Ip) {
        match parse::ip(ip) {
            Some(a) => ix.ip_hits(a, &mut sc.found),
            None => ix.host_hits(ip, &mut sc.host, &mut sc.found),
        }
        take(sc, out, Seen::Client);
    }
    if let Some(fwd) = e.get(Field::Forwarded) {
        for part in fwd.split([',', ' ']).filter(|p| !p.is_empty()) {
            if let Some(a) = parse::ip(part) {
                ix.ip_hits(a, &mut sc.found);
            }
        }
        take(sc, out, Seen::Forwarded);
    }
    let host = e.get(Field::Host);
    if let Some(h) = host {
        ix.host_hits(h, &mut sc.host, &mut sc.found);
        take(sc, out, Seen::Host);
    }
    if let Some(p) = e.get(Field::Path) {
        let web = e.kind == Kind::WebRequest;
        if p.contains("://") {
            if let Some(u) = parse::url_parts(p, true) {
                ix.url_hits(&u, &mut sc.host, &mut sc.found);
            }
            take(sc, out, Seen::Url);
        } else if web
            && let Some(h) = host.filter(|h| !h.is_empty() && *h != "-")
            && p.starts_with('/')
            && let Some(u) = parse::url_parts(&format!("{h}{p}"), false)
        {
            url_only(set, &u, &mut sc.found);
            take(sc, out, Seen::Url);
        }
        if web {
            let path = crate::logs::url::strip_query(p);
            let name = path.rsplit('/').next().unwrap_or("");
            if !name.is_empty() && ix.wants_names() {
                let decoded = parse::decode_unreserved(name);
                ix.name_hits(&decoded, &mut sc.globs, &mut sc.found);
                // Only the file-name globs apply to a URL's path.
                sc.found
                    .retain(|&i| set.get(i).is_some_and(|x| x.kind == IocKind::FileName));
                take(sc, out, Seen::FileName);
            }
        } else if p.starts_with('/') && ix.wants_names() {
            ix.name_hits(p, &mut sc.globs, &mut sc.found);
            take(sc, out, Seen::Path);
        }
    }
    if let Some(r) = e.get(Field::Referer)
        && r.contains("://")
        && let Some(u) = parse::url_parts(r, true)
    {
        ix.url_hits(&u, &mut sc.host, &mut sc.found);
        take(sc, out, Seen::Referer);
    }
    if let Some(a) = e.get(Field::Agent) {
        ix.agent_hits(a, &mut sc.found);
        take(sc, out, Seen::Agent);
    }
    if let Some(u) = e.get(Field::User) {
        ix.user_hits(u, &mut sc.found);
        take(sc, out, Seen::User);
    }
    if ix.wants_text() {
        if let Some(c) = e.get(Field::Command) {
            ix.text_hits(c.as_bytes(), |i, _, _| sc.found.push(i));
            take(sc, out, Seen::Command);
        }
        if e.kind == Kind::Unparsed {
            ix.text_hits(e.line_text().as_bytes(), |i, _, _| sc.found.push(i));
            take(sc, out, Seen::Line);
        }
    }
}

/// Move the indicators found into `out`, seen at `seen`.
fn take(sc: &mut Scratch, out: &mut Vec<(u32, u16)>, seen: Seen) {
    out.extend(sc.found.drain(..).map(|i| (i, seen as u16)));
}

/// URL indicators only (the virtual host is matched as the host already).
fn url_only(set: &IocSet, u: &UrlParts, found: &mut Vec<u32>) {
    let mut scratch = String::new();
    let before = found.len();
    set.index().url_hits(u, &mut scratch, found);
    let mut k = before;
    while k < found.len() {
        if found
            .get(k)
            .and_then(|&i| set.get(i))
            .is_some_and(|x| x.kind == IocKind::Url)
        {
            k += 1;
        } else {
            found.swap_remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::event::Draft;

    fn web(line: &str, ip: &str, host: Option<&str>, path: &str, agent: &str, user: &str) -> Event {
        let mut d = Draft::default();
        d.reset(line);
        d.kind = Kind::WebRequest;
        d.set_owned(Field::Ip, ip);
        if let Some(h) = host {
            d.set_owned(Field::Host, h);
        }
        d.set_owned(Field::Path, path);
        d.set_owned(Field::Agent, agent);
        d.set_owned(Field::User, user);
        d.finish(0, 1)
    }

    fn hits(set: &IocSet, e: &Event) -> Vec<(String, u16)> {
        let mut out = Vec::new();
        match_event(set, e, &mut Scratch::default(), &mut out);
        let mut v: Vec<(String, u16)> = out
            .into_iter()
            .map(|(i, s)| (set.get(i).unwrap().value.clone(), s))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn each_field_is_asked() {
        let set = IocSet::from_text(
            "l",
            "198.51.100.0/24\nua:sqlmap\naccount:deploy\nurl:shop.example/admin/backup.zip\nshell.php\nevil.example\n",
        )
        .unwrap();
        let e = web(
            "x",
            "198.51.100.9",
            Some("shop.example"),
            "/admin/backup.zip?x=1",
            "sqlmap/1.7",
            "deploy",
        );
        let h = hits(&set, &e);
        assert!(
            h.contains(&("198.51.100.0/24".into(), Seen::Client as u16)),
            "{h:?}"
        );
        assert!(h.contains(&("sqlmap".into(), Seen::Agent as u16)), "{h:?}");
        assert!(h.contains(&("deploy".into(), Seen::User as u16)), "{h:?}");
        assert!(
            h.contains(&("shop.example/admin/backup.zip".into(), Seen::Url as u16)),
            "{h:?}"
        );
        let e = web(
            "x",
            "10.0.0.1",
            None,
            "/uploads/shell.php?cmd=id",
            "Mozilla",
            "-",
        );
        assert_eq!(
            hits(&set, &e),
            [("shell.php".into(), Seen::FileName as u16)]
        );
        let e = web(
            "x",
            "10.0.0.1",
            None,
            "http://cdn.evil.example/x",
            "Mozilla",
            "-",
        );
        assert_eq!(hits(&set, &e), [("evil.example".into(), Seen::Url as u16)]);
    }
}
