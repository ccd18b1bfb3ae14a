//! The stack itself: every host's facts folded into key → value → hosts,
//! with keys and values interned (a path or a hash is stored once however
//! many hosts have it), and the outliers read off it: keys few hosts have
//! (`rare`) and minority values beside a majority (`differs`), ranked.

use super::{Fact, FactValue, Kind, Outlier, OutlierClass};
use crate::detect::Severity;
use foldhash::HashMap;

/// One key: the values hosts gave it and which hosts gave each.
#[derive(Debug)]
struct Cell {
    kind: Kind,
    danger: Severity,
    why: &'static str,
    /// (value id, hosts in increasing order).
    values: Vec<(u32, Vec<u16>)>,
}

/// Folds hosts' facts, one host at a time, then ranks the outliers.
#[derive(Debug, Default)]
pub struct Stacker {
    /// Per kind: key → cell id.
    keys: Vec<HashMap<Box<str>, u32>>,
    cells: Vec<Cell>,
    values: Vec<FactValue>,
    value_ids: HashMap<FactValue, u32>,
}

impl Stacker {
    pub fn new() -> Self {
        Stacker {
            keys: Kind::ALL.iter().map(|_| HashMap::default()).collect(),
            ..Stacker::default()
        }
    }

    /// Distinct keys so far, all kinds.
    pub fn keys(&self) -> usize {
        self.cells.len()
    }

    /// Add one host's facts; hosts must come in increasing order.
    pub fn add(&mut self, host: u16, facts: Vec<Fact>) {
        for f in facts {
            let value = match self.value_ids.get(&f.value) {
                Some(&v) => v,
                None => {
                    let v = self.values.len() as u32;
                    self.values.push(f.value.clone());
                    self.value_ids.insert(f.value, v);
                    v
                }
            };
            let Some(map) = self.keys.get_mut(f.kind.index()) else {
                continue;
            };
            let cell_id = match map.get(f.key.as_str()) {
                Some(&c) => c,
                None => {
                    let c = self.cells.len() as u32;
                    map.insert(f.key.into_boxed_str(), c);
                    self.cells.push(Cell {
                        kind: f.kind,
                        danger: f.danger,
                        why: f.why,
                        values: Vec::new(),
                    });
                    c
                }
            };
            let Some(cell) = self.cells.get_mut(cell_id as usize) else {
                continue;
            };
            if f.danger > cell.danger {
                cell.danger = f.danger;
                cell.why = f.why;
            }
            match cell.values.iter_mut().find(|(v, _)| *v == value) {
                Some((_, hosts)) => {
                    if hosts.last() != Some(&host) {
                        hosts.push(host);
                    }
                }
                None => cell.values.push((value, vec![host])),
            }
        }
    }

    /// The outliers among `names.len()` hosts, ranked: none below three
    /// hosts.
    pub fn finish(self, names: &[String], rare: usize) -> Vec<Outlier> {
        let n = names.len();
        if n < 3 {
            return Vec::new();
        }
        let mut key_of: Vec<Box<str>> = vec![Box::from(""); self.cells.len()];
        for map in self.keys {
            for (k, c) in map {
                if let Some(slot) = key_of.get_mut(c as usize) {
                    *slot = k;
                }
            }
        }
        let host_names = |hs: &[u16]| -> Vec<String> {
            hs.iter()
                .filter_map(|&h| names.get(usize::from(h)).cloned())
                .collect()
        };
        let value_text = |v: u32| {
            self.values
                .get(v as usize)
                .map_or_else(String::new, FactValue::display)
        };
        let is_unknown = |v: u32| matches!(self.values.get(v as usize), Some(FactValue::Unknown));
        let mut out = Vec::new();
        for (cell, key) in self.cells.iter().zip(key_of) {
            let mut present: Vec<u16> = cell
                .values
                .iter()
                .flat_map(|(_, h)| h.iter().copied())
                .collect();
            present.sort_unstable();
            present.dedup();
            if present.len() <= rare {
                let value = match cell.values.as_slice() {
                    [(v, _)] => value_text(*v),
                    more => format!("{} values", more.len()),
                };
                out.push(outlier(
                    cell,
                    &key,
                    OutlierClass::Rare,
                    value,
                    host_names(&present),
                    n,
                    None,
                    rare,
                ));
                continue;
            }
            // A majority: one known value held by more than half of the
            // hosts that have the key with a known value.
            let known: usize = cell
                .values
                .iter()
                .filter(|(v, _)| !is_unknown(*v))
                .map(|(_, h)| h.len())
                .sum();
            let Some((maj, maj_hosts)) = cell
                .values
                .iter()
                .filter(|(v, _)| !is_unknown(*v))
                .max_by_key(|(_, h)| h.len())
            else {
                continue;
            };
            if maj_hosts.len() * 2 <= known {
                continue;
            }
            for (v, hs) in &cell.values {
                if v == maj || is_unknown(*v) {
                    continue;
                }
                out.push(outlier(
                    cell,
                    &key,
                    OutlierClass::Differs,
                    value_text(*v),
                    host_names(hs),
                    n,
                    Some((value_text(*maj), maj_hosts.len())),
                    rare,
                ));
            }
        }
        rank(&mut out);
        out
    }
}

/// How much a danger weighs in the rank.
fn weight(s: Severity) -> f64 {
    match s {
        Severity::Critical => 4.0,
        Severity::High => 3.0,
        Severity::Medium => 2.0,
        Severity::Low => 1.0,
        Severity::Info => 0.5,
    }
}

#[allow(clippy::too_many_arguments)]
fn outlier(
    cell: &Cell,
    key: &str,
    class: OutlierClass,
    value: String,
    hosts: Vec<String>,
    of: usize,
    majority: Option<(String, usize)>,
    rare: usize,
) -> Outlier {
    let share = hosts.len() as f64 / of as f64;
    // A dangerous thing on a rare few hosts is critical; the same on a
    // larger minority keeps its danger.
    let severity = if cell.danger >= Severity::High && hosts.len() <= rare {
        Severity::Critical
    } else {
        cell.danger
    };
    let on = format!(
        "on {} of {of} host{}",
        hosts.len(),
        if of == 1 { "" } else { "s" }
    );
    let detail = match (&class, &majority) {
        (OutlierClass::Differs, Some((m, k))) => {
            format!("{on} this value; {k} hosts have {m} ({})", cell.why)
        }
        _ => format!("only {on} ({})", cell.why),
    };
    Outlier {
        kind: cell.kind,
        class,
        key: key.to_string(),
        value,
        hosts,
        of,
        majority_hosts: majority.as_ref().map(|m| m.1),
        majority: majority.map(|m| m.0),
        detail,
        severity,
        score: weight(severity) * (1.0 - share),
    }
}

/// Most severe first, then most unusual, then by kind and key (stable
/// output).
fn rank(out: &mut [Outlier]) {
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.score.total_cmp(&a.score))
            .then(a.kind.cmp(&b.kind))
            .then(a.key.cmp(&b.key))
            .then(a.value.cmp(&b.value))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(kind: Kind, key: &str, value: &str, danger: Severity) -> Fact {
        Fact {
            kind,
            key: key.into(),
            value: FactValue::text(value),
            danger,
            why: "test",
        }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("h{i}")).collect()
    }

    #[test]
    fn a_minority_value_beside_a_majority_is_reported_with_both() {
        let mut s = Stacker::new();
        for h in 0..20u16 {
            let v = if h == 7 { "trojan" } else { "good" };
            s.add(
                h,
                vec![
                    fact(Kind::File, "/usr/bin/ps", v, Severity::High),
                    fact(Kind::File, "/etc/motd", "same", Severity::Medium),
                ],
            );
        }
        let out = s.finish(&names(20), 2);
        assert_eq!(out.len(), 1, "{out:?}");
        let o = &out[0];
        assert_eq!(o.key, "/usr/bin/ps");
        assert_eq!(o.class, OutlierClass::Differs);
        assert_eq!(o.value, "trojan");
        assert_eq!(o.hosts, vec!["h7"]);
        assert_eq!(o.majority.as_deref(), Some("good"));
        assert_eq!(o.majority_hosts, Some(19));
        assert_eq!(o.severity, Severity::Critical);
    }

    #[test]
    fn rare_keys_and_no_majority() {
        let mut s = Stacker::new();
        for h in 0..4u16 {
            let mut f = vec![fact(
                Kind::File,
                "/etc/x",
                &format!("v{h}"),
                Severity::Medium,
            )];
            if h == 2 {
                f.push(fact(Kind::Account, "toor", "uid=0", Severity::High));
            }
            s.add(h, f);
        }
        let out = s.finish(&names(4), 1);
        // Four different values: no majority, nothing to report for /etc/x.
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].kind, Kind::Account);
        assert_eq!(out[0].class, OutlierClass::Rare);
        assert_eq!(out[0].hosts, vec!["h2"]);
        assert!(
            out[0].detail.contains("on 1 of 4 hosts"),
            "{}",
            out[0].detail
        );
    }

    #[test]
    fn two_hosts_give_nothing_and_unknown_values_never_differ() {
        let mut s = Stacker::new();
        s.add(0, vec![fact(Kind::Cron, "a", "x", Severity::High)]);
        s.add(1, vec![fact(Kind::Cron, "b", "x", Severity::High)]);
        assert!(s.finish(&names(2), 1).is_empty());

        let mut s = Stacker::new();
        for h in 0..5u16 {
            let value = if h == 0 {
                FactValue::Unknown
            } else {
                FactValue::text("v")
            };
            s.add(
                h,
                vec![Fact {
                    kind: Kind::File,
                    key: "/usr/bin/big".into(),
                    value,
                    danger: Severity::High,
                    why: "test",
                }],
            );
        }
        assert!(s.finish(&names(5), 1).is_empty());
    }

    #[test]
    fn ranking_puts_dangerous_rare_things_first() {
        let mut s = Stacker::new();
        for h in 0..10u16 {
            let mut f = vec![fact(Kind::File, "/etc/common", "c", Severity::Low)];
            if h == 0 {
                f.push(fact(Kind::File, "/opt/app/readme", "r", Severity::Low));
                f.push(fact(Kind::Suid, "/tmp/sh", "4755", Severity::High));
            }
            s.add(h, f);
        }
        let out = s.finish(&names(10), 1);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].kind, Kind::Suid);
        assert!(out[0].score > out[1].score);
    }
}
