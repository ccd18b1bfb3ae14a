//! The analyst's questions, answered from the event store: who accessed a
//! path (per address: first, last, requests, bytes, statuses), everything
//! one address did across sources, first and last access of anything, and
//! the filters the GUI's tables use.

use super::event::{Event, Field, Kind};
use super::load::LogStore;
use super::url::{decode_url, strip_query};
use serde::Serialize;
use std::collections::BTreeMap;

/// One address's accesses to a path.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Access {
    pub ip: String,
    pub first_us: Option<i64>,
    pub last_us: Option<i64>,
    pub requests: u64,
    pub bytes: u64,
    /// Status code -> count.
    pub statuses: BTreeMap<u16, u64>,
    /// Distinct X-Forwarded-For values logged with these requests (the
    /// clients behind a proxy), sorted.
    pub forwarded_for: Vec<String>,
    /// The events (indices), in time order.
    pub events: Vec<u32>,
}

/// Whether a request's path is `path`: compared without the query string,
/// percent-decoded, case-sensitively (as the server's filesystem would); a
/// `path` ending in `*` matches as a prefix.
pub fn path_matches(request: &str, path: &str) -> bool {
    let req = decode_url(strip_query(request));
    match path.strip_suffix('*') {
        Some(prefix) => req.starts_with(prefix),
        None => req == path || req.trim_end_matches('/') == path.trim_end_matches('/'),
    }
}

/// Who accessed `path` (web requests), per address, sorted by first access.
pub fn who_accessed(store: &LogStore, path: &str) -> Vec<Access> {
    let mut by_ip: BTreeMap<&str, Access> = BTreeMap::new();
    for &i in &store.by_time {
        let Some(e) = store.events.get(i as usize) else {
            continue;
        };
        if e.kind != Kind::WebRequest {
            continue;
        }
        let Some(p) = e.get(Field::Path) else {
            continue;
        };
        if !path_matches(p, path) {
            continue;
        }
        let ip = e.get(Field::Ip).unwrap_or("-");
        let a = by_ip.entry(ip).or_insert_with(|| Access {
            ip: ip.to_string(),
            first_us: None,
            last_us: None,
            requests: 0,
            bytes: 0,
            statuses: BTreeMap::new(),
            forwarded_for: Vec::new(),
            events: Vec::new(),
        });
        if let Some(f) = e.get(Field::Forwarded)
            && let Err(pos) = a.forwarded_for.binary_search_by(|x| x.as_str().cmp(f))
            && a.forwarded_for.len() < 100
        {
            a.forwarded_for.insert(pos, f.to_string());
        }
        if let Some(t) = e.time_us {
            a.first_us = Some(a.first_us.map_or(t, |f| f.min(t)));
            a.last_us = Some(a.last_us.map_or(t, |l| l.max(t)));
        }
        a.requests += 1;
        if e.status.is_some_and(|s| (200..300).contains(&s)) {
            a.bytes += e.bytes.unwrap_or(0);
        }
        if let Some(s) = e.status {
            *a.statuses.entry(s).or_default() += 1;
        }
        a.events.push(i);
    }
    let mut v: Vec<Access> = by_ip.into_values().collect();
    v.sort_by(|a, b| {
        (a.first_us.is_none(), a.first_us, &a.ip).cmp(&(b.first_us.is_none(), b.first_us, &b.ip))
    });
    v
}

/// Every event that names `ip` (as client, X-Forwarded-For or in the line),
/// across sources, in time order.
pub fn ip_activity(store: &LogStore, ip: &str) -> Vec<u32> {
    store
        .by_time
        .iter()
        .copied()
        .filter(|&i| {
            store.events.get(i as usize).is_some_and(|e| {
                e.get(Field::Ip) == Some(ip)
                    || e.get(Field::Forwarded)
                        .is_some_and(|f| f.split(',').any(|x| x.trim() == ip))
                    || (e.get(Field::Ip).is_none() && contains_token(e.line_text(), ip))
            })
        })
        .collect()
}

fn contains_token(hay: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(p) = hay.get(from..).and_then(|h| h.find(needle)) {
        let at = from + p;
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        let edge = |c: Option<char>| {
            c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '.' || c == ':'))
        };
        if edge(before) && edge(after) {
            return true;
        }
        from = at + needle.len();
    }
    false
}

/// First and last event whose line contains `needle` (any source).
pub fn first_last(store: &LogStore, needle: &str) -> Option<(u32, u32, u64)> {
    let mut it = store.by_time.iter().copied().filter(|&i| {
        store
            .events
            .get(i as usize)
            .is_some_and(|e| e.time_us.is_some() && e.line_text().contains(needle))
    });
    let first = it.next()?;
    let mut last = first;
    let mut n = 1u64;
    for i in it {
        last = i;
        n += 1;
    }
    Some((first, last, n))
}

/// A filter over events (for the GUI's tables and the CLI).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Case-insensitive substring of the line.
    pub text: Option<String>,
    pub ip: Option<String>,
    pub user: Option<String>,
    /// Inclusive status range.
    pub status: Option<(u16, u16)>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    pub source: Option<u32>,
    pub kinds: Vec<Kind>,
}

impl Filter {
    /// Whether an event passes.
    pub fn matches(&self, e: &Event) -> bool {
        self.passes(e, self.text_finder().as_ref())
    }

    /// The text filter compiled once (ASCII case-insensitive), for
    /// filtering many events without folding every line's case.
    fn text_finder(&self) -> Option<aho_corasick::AhoCorasick> {
        let t = self.text.as_deref()?;
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([t])
            .ok()
    }

    fn passes(&self, e: &Event, text: Option<&aho_corasick::AhoCorasick>) -> bool {
        if let Some(s) = self.source
            && e.source != s
        {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&e.kind) {
            return false;
        }
        if let Some(ip) = &self.ip
            && e.get(Field::Ip) != Some(ip.as_str())
        {
            return false;
        }
        if let Some(u) = &self.user
            && e.get(Field::User) != Some(u.as_str())
        {
            return false;
        }
        if let Some((lo, hi)) = self.status
            && !e.status.is_some_and(|s| (lo..=hi).contains(&s))
        {
            return false;
        }
        if self.from_us.is_some() || self.to_us.is_some() {
            let Some(t) = e.time_us else { return false };
            if self.from_us.is_some_and(|f| t < f) || self.to_us.is_some_and(|x| t > x) {
                return false;
            }
        }
        if let Some(txt) = &self.text {
            let found = match text {
                Some(ac) => ac.is_match(e.line_text()),
                None => e
                    .line_text()
                    .to_ascii_lowercase()
                    .contains(&txt.to_ascii_lowercase()),
            };
            if !found {
                return false;
            }
        }
        true
    }

    /// Indices of matching events, in time order.
    pub fn apply(&self, store: &LogStore) -> Vec<u32> {
        self.apply_to(store, &store.by_time)
    }

    /// Whether the filter lets every event through.
    pub fn is_empty(&self) -> bool {
        self.text.is_none()
            && self.ip.is_none()
            && self.user.is_none()
            && self.status.is_none()
            && self.from_us.is_none()
            && self.to_us.is_none()
            && self.source.is_none()
            && self.kinds.is_empty()
    }

    /// The events of `base` (indices, kept in their order) that match.
    pub fn apply_to(&self, store: &LogStore, base: &[u32]) -> Vec<u32> {
        if self.is_empty() {
            return base.to_vec();
        }
        let text = self.text_finder();
        base.iter()
            .copied()
            .filter(|&i| {
                store
                    .events
                    .get(i as usize)
                    .is_some_and(|e| self.passes(e, text.as_ref()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::event::Draft;

    fn store(lines: &[&str]) -> LogStore {
        let events: Vec<Event> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut d = Draft::default();
                d.reset(l);
                d.finish(0, i as u64 + 1)
            })
            .collect();
        LogStore {
            by_time: (0..events.len() as u32).collect(),
            rank: (0..events.len() as u32).collect(),
            events: events.into(),
            ..LogStore::default()
        }
    }

    proptest::proptest! {
        #[test]
        fn text_filter_is_ascii_case_insensitive(lines in proptest::collection::vec("[a-cA-Cé ]{0,12}", 0..20), needle in "[a-cA-C]{1,3}") {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let s = store(&refs);
            let f = Filter { text: Some(needle.clone()), ..Filter::default() };
            let want: Vec<u32> = (0..lines.len() as u32)
                .filter(|&i| lines[i as usize].to_ascii_lowercase().contains(&needle.to_ascii_lowercase()))
                .collect();
            proptest::prop_assert_eq!(f.apply(&s), want.clone());
            let one_by_one: Vec<u32> = (0..lines.len() as u32).filter(|&i| f.matches(&s.events[i as usize])).collect();
            proptest::prop_assert_eq!(one_by_one, want);
        }
    }

    #[test]
    fn an_empty_filter_keeps_the_base_as_given() {
        let s = store(&["a", "b", "c"]);
        let f = Filter::default();
        assert!(f.is_empty());
        assert_eq!(f.apply_to(&s, &[2, 0]), vec![2, 0]);
        let kinds = Filter {
            kinds: vec![Kind::WebRequest],
            ..Filter::default()
        };
        assert!(!kinds.is_empty());
        assert!(
            kinds.apply_to(&s, &[2, 0]).is_empty(),
            "no event is a web request"
        );
    }
}
