//! Log detections (`detect::logs`, the log half of the detection layer)
//! over the event store of [`crate::logs`]: each looks at the events (in time
//! order) and reports [`Finding`]s (the detection layer's one `Finding`
//! with an [`EventSubject`]) with a severity (the one [`Severity`]
//! scale of [`crate::detect`]), an explanation, the
//! addresses, accounts and paths concerned, and the indices of the events
//! behind it (the evidence lines).
//!
//! One detection per file, registered in [`DETECTIONS`]; thresholds live in
//! [`DetectConfig`] (defaults like fail2ban's: 5 failures in 10 minutes) and
//! the pattern lists (sensitive files, scanner agents, attack payloads,
//! dangerous commands) are data in [`rules`], copied into the config so a
//! caller can replace them.

pub mod accounts;
pub mod auth;
pub mod bruteforce;
pub mod commands;
pub mod distributed;
pub mod erased;
pub mod exfiltration;
pub mod integrity;
pub mod new_source;
pub mod payloads;
pub mod pivot;
pub mod rules;
pub mod sensitive;
pub mod spraying;
pub mod stuffing;
pub mod success_after_failures;
pub mod texts;
pub mod webscan;
pub mod webshell;

use crate::detect::detector::{Baseline, Input, Needs};
use crate::detect::{Detector, EventSubject, Severity};
use crate::logs::event::{Event, Field, Kind};
use crate::logs::load::LogStore;
use crate::logs::url::strip_query;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One result of a detection: the detection layer's
/// [`crate::detect::Finding`] with an [`EventSubject`] (the events behind
/// it, indices into [`LogStore::events`] in time order).
pub type Finding = crate::detect::Finding<EventSubject>;

/// What a detection read of one event while scanning, so that its finding
/// can be built without reading the event again ([`Finding::from_collected`]).
#[derive(Debug, Clone, Copy)]
pub struct Collected<'a> {
    pub i: u32,
    pub time_us: Option<i64>,
    pub ip: Option<&'a str>,
    pub user: Option<&'a str>,
    pub has_path: bool,
}

impl<'a> Collected<'a> {
    /// Read what a finding needs of an event.
    pub fn of(i: u32, e: &'a Event) -> Self {
        Collected {
            i,
            time_us: e.time_us,
            ip: e.get(Field::Ip),
            user: e.get(Field::User),
            has_path: e.get(Field::Path).is_some(),
        }
    }
}

impl Finding {
    /// The same finding as [`Finding::from_events`] over the collected
    /// events, built from what was collected: times and storage order come
    /// from the store's time index, values from the items. Falls back to
    /// `from_events` when an event is untimed or has a path (rare for the
    /// login events this serves).
    pub fn from_collected(
        store: &LogStore,
        rule: &'static str,
        severity: Severity,
        title: String,
        explanation: String,
        mut items: Vec<Collected<'_>>,
    ) -> Self {
        if items.iter().any(|c| c.time_us.is_none() || c.has_path) {
            let events = items.iter().map(|c| c.i).collect();
            return Finding::from_events(store, rule, severity, title, explanation, events);
        }
        // Timed events: (time, storage order) is the order `from_events`
        // gives; indices are unique.
        items.sort_unstable_by_key(|c| (c.time_us, c.i));
        items.dedup_by_key(|c| c.i);
        let ips: BTreeSet<&str> = items.iter().filter_map(|c| c.ip).collect();
        let users: BTreeSet<&str> = items.iter().filter_map(|c| c.user).collect();
        Finding {
            rule: rule.to_string(),
            severity,
            title,
            explanation,
            subject: EventSubject {
                first_us: items.iter().filter_map(|c| c.time_us).min(),
                last_us: items.iter().filter_map(|c| c.time_us).max(),
                ips: ips.into_iter().map(str::to_string).collect(),
                users: users.into_iter().map(str::to_string).collect(),
                paths: Vec::new(),
                events: items.iter().map(|c| c.i).collect(),
            },
        }
    }

    /// A copy without the event list (which can be millions long).
    pub fn clone_without_events(&self) -> Finding {
        let s = &self.subject;
        Finding {
            rule: self.rule.clone(),
            severity: self.severity,
            title: self.title.clone(),
            explanation: self.explanation.clone(),
            subject: EventSubject {
                first_us: s.first_us,
                last_us: s.last_us,
                ips: s.ips.clone(),
                users: s.users.clone(),
                paths: s.paths.clone(),
                events: Vec::new(),
            },
        }
    }

    /// A finding over `events` (indices), with times and the ips/users/paths
    /// collected from them.
    pub fn from_events(
        store: &LogStore,
        rule: &'static str,
        severity: Severity,
        title: String,
        explanation: String,
        mut events: Vec<u32>,
    ) -> Self {
        // One pass over the events reads each once: its sort key (time,
        // then storage order; untimed first), the time span and the distinct
        // values. Distinct values are collected borrowed from the store (a
        // finding can stand on millions of events sharing a few values), a
        // value equal to the previous event's skipping the hash set, and
        // sorted once at the end.
        type Key = (Option<Option<i64>>, Option<(u32, u64)>);
        let mut keys: Vec<Key> = Vec::with_capacity(events.len());
        let mut ips: foldhash::HashSet<&str> = foldhash::HashSet::default();
        let mut users: foldhash::HashSet<&str> = foldhash::HashSet::default();
        let mut paths: foldhash::HashSet<&str> = foldhash::HashSet::default();
        let (mut last_ip, mut last_user, mut last_path) = (None, None, None);
        let (mut first, mut last) = (None::<i64>, None::<i64>);
        for &i in &events {
            let Some(e) = ev(store, i) else {
                keys.push((None, None));
                continue;
            };
            keys.push((Some(e.time_us), Some((e.source, e.line))));
            if let Some(t) = e.time_us {
                first = Some(first.map_or(t, |f| f.min(t)));
                last = Some(last.map_or(t, |l| l.max(t)));
            }
            if let Some(v) = e.get(Field::Ip)
                && last_ip != Some(v)
            {
                ips.insert(v);
                last_ip = Some(v);
            }
            if let Some(v) = e.get(Field::User)
                && last_user != Some(v)
            {
                users.insert(v);
                last_user = Some(v);
            }
            if let Some(v) = e.get(Field::Path)
                && last_path != Some(v)
                && paths.len() < 200
            {
                paths.insert(strip_query(v));
                last_path = Some(v);
            }
        }
        if !keys.is_sorted() {
            let mut pairs: Vec<(Key, u32)> = keys.into_iter().zip(events).collect();
            pairs.sort_by_key(|p| p.0);
            events = pairs.into_iter().map(|p| p.1).collect();
        }
        events.dedup();
        let sorted = |set: foldhash::HashSet<&str>| -> Vec<String> {
            let set: BTreeSet<&str> = set.into_iter().collect();
            set.into_iter().map(str::to_string).collect()
        };
        Finding {
            rule: rule.to_string(),
            severity,
            title,
            explanation,
            subject: EventSubject {
                first_us: first,
                last_us: last,
                ips: sorted(ips),
                users: sorted(users),
                paths: sorted(paths),
                events,
            },
        }
    }
}

/// Thresholds, pattern lists and per-detection switches. Read from the rule
/// files by [`crate::detect::ruleset`] (`assets/rules/logs/detections.toml`
/// and `patterns.toml`, then the user's overrides); `Default` is the
/// built-in files alone. Every key must be known: a misspelt threshold in
/// an override is an error, not a silent default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Failures that make a brute force within `findtime_s` (fail2ban maxretry).
    pub maxretry: u32,
    /// The window for `maxretry` (fail2ban findtime), seconds.
    pub findtime_s: i64,
    /// Distinct accounts one address must fail on to be spraying.
    pub spray_accounts: usize,
    /// Distinct addresses failing on one account to be a distributed attack.
    pub distributed_ips: usize,
    /// How far back failures count for "success after failures", seconds.
    pub lookback_s: i64,
    /// 4xx responses from one address within `findtime_s` that make a scan.
    pub scan_4xx: u32,
    /// Login-endpoint POSTs from one address within `findtime_s`.
    pub stuffing_posts: u32,
    /// Bytes served to one address (2xx) that make a large download.
    pub exfil_total_bytes: u64,
    /// One response at least this large is reported.
    pub exfil_single_bytes: u64,
    /// A silence longer than this many times a source's median spacing...
    pub gap_factor: i64,
    /// ...and longer than this (seconds) is a gap.
    pub gap_min_s: i64,
    /// Sources with fewer timed events are not checked for gaps.
    pub gap_min_events: usize,
    /// A step back in time larger than this (seconds) is a time jump.
    pub backwards_s: i64,
    /// Pattern lists (see [`rules`]).
    pub rules: rules::Rules,
    /// Switches per detection id (`[detection.ssh_bruteforce]`); a
    /// detection not named runs as its code says.
    #[serde(default)]
    pub detection: BTreeMap<String, DetectionSwitch>,
}

/// How one detection is run and what it says: on or off, a severity that
/// replaces the one its code gives every finding, and its data
/// ([`texts`]): the templates of its titles and explanations, the
/// severities of its cases and the numbers it rates them by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionSwitch {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Title and explanation templates by name (`{ip}` is filled in).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub text: BTreeMap<String, String>,
    /// The severity of each case the detection tells apart, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severities: BTreeMap<String, Severity>,
    /// Numbers the detection rates its cases by, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, u64>,
}

fn yes() -> bool {
    true
}

impl Default for DetectionSwitch {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: None,
            text: BTreeMap::new(),
            severities: BTreeMap::new(),
            limits: BTreeMap::new(),
        }
    }
}

impl DetectConfig {
    /// Whether the detection `id` runs.
    pub fn enabled(&self, id: &str) -> bool {
        self.detection.get(id).is_none_or(|s| s.enabled)
    }

    /// The severity every finding of `id` is given, when one is set.
    pub fn severity_of(&self, id: &str) -> Option<Severity> {
        self.detection.get(id).and_then(|s| s.severity)
    }

    /// The text `key` of detection `id`, its template filled with `vars`.
    /// The built-in data has every key the code asks for (a test runs every
    /// detection); were one missing, the finding says which.
    pub fn text(&self, id: &str, key: &str, vars: &[texts::Var<'_>]) -> String {
        let t = self.detection.get(id).and_then(|d| d.text.get(key));
        debug_assert!(t.is_some(), "no text {key} for the log detection {id}");
        match t {
            Some(t) => texts::fill(t, vars),
            None => format!("({id}: no text {key})"),
        }
    }

    /// The severity of case `key` of detection `id` (medium when the data
    /// does not name it).
    pub fn case_severity(&self, id: &str, key: &str) -> Severity {
        let s = self.detection.get(id).and_then(|d| d.severities.get(key));
        debug_assert!(s.is_some(), "no severity {key} for the log detection {id}");
        s.copied().unwrap_or(Severity::Medium)
    }

    /// The number `key` of detection `id` (never reached when the data does
    /// not name it).
    pub fn limit(&self, id: &str, key: &str) -> u64 {
        let v = self.detection.get(id).and_then(|d| d.limits.get(key));
        debug_assert!(v.is_some(), "no limit {key} for the log detection {id}");
        v.copied().unwrap_or(u64::MAX)
    }
}

impl Default for DetectConfig {
    /// The built-in rule files. They are checked by a unit test; were they
    /// ever unreadable, fail2ban's thresholds and the built-in pattern
    /// lists are used rather than a panic.
    fn default() -> Self {
        crate::detect::ruleset::builtin_log_config().unwrap_or_else(|_| Self {
            maxretry: 5,
            findtime_s: 600,
            spray_accounts: 10,
            distributed_ips: 10,
            lookback_s: 86_400,
            scan_4xx: 30,
            stuffing_posts: 20,
            exfil_total_bytes: 100 << 20,
            exfil_single_bytes: 50 << 20,
            gap_factor: 100,
            gap_min_s: 3600,
            gap_min_events: 100,
            backwards_s: 3600,
            rules: rules::Rules::default(),
            detection: BTreeMap::new(),
        })
    }
}

/// A detection: reads the store and the findings of the detections before
/// it (for pivots), returns its own.
pub type Detection = fn(&Ctx<'_>, &[Finding]) -> Vec<Finding>;

/// A log detection: its name, its function, the logs it reads and what it
/// finds; the detection layer's [`Detector`] over the event store.
#[derive(Debug, Clone, Copy)]
pub struct LogDetection {
    pub id: &'static str,
    pub detect: Detection,
    /// The logs it needs, in words an examiner can act on.
    pub reads: &'static [&'static str],
    pub describe: &'static str,
}

impl<'a> Detector<Ctx<'a>, EventSubject> for LogDetection {
    fn id(&self) -> &'static str {
        self.id
    }

    fn needs(&self) -> Needs {
        Needs {
            input: Input::Events,
            // Erased lines are lines a later snapshot lost: they need an
            // earlier snapshot of the same host read with it.
            baseline: if self.id == erased::ID {
                Baseline::Required
            } else {
                Baseline::Unused
            },
            reads: self.reads,
        }
    }

    fn describe(&self) -> &'static str {
        self.describe
    }

    fn run(&self, ctx: &Ctx<'a>, prior: &[Finding], out: &mut Vec<Finding>) {
        out.extend((self.detect)(ctx, prior));
    }
}

/// Every detection, in run order (pivots last).
pub static DETECTIONS: &[LogDetection] = &[
    LogDetection {
        id: "ssh_bruteforce",
        detect: bruteforce::run,
        reads: &["sshd/PAM/login authentication events (auth.log, secure, journal, wtmp/btmp)"],
        describe: "Brute force per address: at least maxretry failures within findtime (fail2ban's rule).",
    },
    LogDetection {
        id: "password_spraying",
        detect: spraying::run,
        reads: &["sshd/PAM/login authentication events (auth.log, secure, journal, wtmp/btmp)"],
        describe: "Password spraying: one address failing on many accounts with few attempts each.",
    },
    LogDetection {
        id: "distributed_attack",
        detect: distributed::run,
        reads: &["sshd/PAM/login authentication events (auth.log, secure, journal, wtmp/btmp)"],
        describe: "Distributed attack on one account: failures from many addresses, none dominant.",
    },
    LogDetection {
        id: "success_after_failures",
        detect: success_after_failures::run,
        reads: &["sshd/PAM/login authentication events (auth.log, secure, journal, wtmp/btmp)"],
        describe: "A login from an address (or to an account) that failed many times before: a brute force that worked.",
    },
    LogDetection {
        id: "new_login_source",
        detect: new_source::run,
        reads: &["sshd/PAM/login authentication events (auth.log, secure, journal, wtmp/btmp)"],
        describe: "A successful login to an account from an address it never logged in from before.",
    },
    LogDetection {
        id: "accounts",
        detect: accounts::run,
        reads: &["account tool logs (useradd, usermod, passwd, groupadd)"],
        describe: "Accounts created, changed or given privileges (uid 0, administrative groups).",
    },
    LogDetection {
        id: "commands",
        detect: commands::run,
        reads: &["sudo logs", "shell histories", "auditd EXECVE records"],
        describe: "Sudo/su to a shell, and commands that tamper with accounts, logs or auditing.",
    },
    LogDetection {
        id: "web_scan",
        detect: webscan::run,
        reads: &["web server access logs (Apache, nginx)"],
        describe: "Web scanning: bursts of 4xx responses from one address, and scanner user agents.",
    },
    LogDetection {
        id: "sensitive_files",
        detect: sensitive::run,
        reads: &["web server access logs (Apache, nginx)"],
        describe: "Probes for backups, dumps, secrets and repositories, and the ones actually served.",
    },
    LogDetection {
        id: "attack_payloads",
        detect: payloads::run,
        reads: &["web server access logs (Apache, nginx)"],
        describe: "SQL injection, traversal, XSS, shellshock, JNDI and command injection in requests.",
    },
    LogDetection {
        id: "credential_stuffing",
        detect: stuffing::run,
        reads: &["web server access logs (Apache, nginx)"],
        describe: "Many POSTs to login endpoints from one address in a short time.",
    },
    LogDetection {
        id: "web_shell",
        detect: webshell::run,
        reads: &["web server access logs (Apache, nginx)"],
        describe: "Successful requests to a script in an upload directory, or to a script with command-style parameters.",
    },
    LogDetection {
        id: "exfiltration",
        detect: exfiltration::run,
        reads: &["web server access logs (Apache, nginx)"],
        describe: "Large downloads per address: total bytes served and single large responses.",
    },
    LogDetection {
        id: "log_integrity",
        detect: integrity::run,
        reads: &["every log read"],
        describe: "Gaps, timestamps jumping backwards, emptied logs, cut last lines, files not read completely.",
    },
    LogDetection {
        id: erased::ID,
        detect: erased::run,
        reads: &[
            "the same logs in two or more snapshots of one host (a baseline and a later capture)",
        ],
        describe: "Lines a later snapshot lost from the middle of a log an earlier snapshot of the same host holds (not rotation, not a whole file cut), with the addresses, accounts and commands they mention.",
    },
    LogDetection {
        id: "cross_source_pivot",
        detect: pivot::run,
        reads: &[
            "web server access logs (Apache, nginx)",
            "sshd/PAM/login authentication events (auth.log, secure, journal, wtmp/btmp)",
        ],
        describe: "An address seen attacking the web server that later tries (or manages) to log in remotely.",
    },
];

/// What a detection sees.
pub struct Ctx<'a> {
    pub store: &'a LogStore,
    pub cfg: &'a DetectConfig,
    /// The pattern lists, compiled.
    pub m: rules::Compiled,
    /// The authentication data the login detections share, collected once
    /// (see [`auth::shared`]).
    pub auth: std::sync::OnceLock<auth::AuthData<'a>>,
}

impl Ctx<'_> {
    /// Events of some kinds, in time order.
    pub fn timed(&self, kinds: &[Kind]) -> impl Iterator<Item = (u32, &Event)> {
        let mut idx: Vec<u32> = Vec::new();
        for k in kinds {
            if let Some(v) = self.store.by_kind.get(k) {
                idx.extend_from_slice(v);
            }
        }
        if kinds.len() > 1 {
            idx.sort_by_key(|&i| self.store.rank.get(i as usize).copied().unwrap_or(u32::MAX));
        }
        idx.into_iter()
            .filter_map(move |i| ev(self.store, i).map(|e| (i, e)))
    }

    /// Events of some kinds in storage order (sequential memory access) for
    /// detections that do not need time order.
    pub fn stored(&self, kinds: &[Kind]) -> Box<dyn Iterator<Item = (u32, &Event)> + '_> {
        stored(self.store, kinds)
    }

    /// Sort event indices into time order.
    pub fn time_sort(&self, v: &mut [u32]) {
        v.sort_unstable_by_key(|&i| self.store.rank.get(i as usize).copied().unwrap_or(u32::MAX));
    }
}

/// Run every detection. Findings are sorted by severity (worst first), then
/// time, then rule.
pub fn run(store: &LogStore, cfg: &DetectConfig) -> Vec<Finding> {
    let ctx = Ctx {
        store,
        cfg,
        m: rules::Compiled::new(&cfg.rules),
        auth: std::sync::OnceLock::new(),
    };
    // Every detection but the last (the pivot, which reads the web
    // detections' findings) is independent. All run on all cores; the pivot
    // as soon as the detections it reads ([`pivot::NEEDS`]) are done, while
    // the others go on. Findings are kept in registry order.
    let (last, first) = match DETECTIONS.split_last() {
        Some((l, f)) => (Some(l), f),
        None => (None, DETECTIONS),
    };
    let results: Vec<std::sync::Mutex<Vec<Finding>>> = first
        .iter()
        .map(|_| std::sync::Mutex::new(Vec::new()))
        .collect();
    let needed = |i: usize| first.get(i).is_some_and(|d| pivot::NEEDS.contains(&d.id));
    let n_needed = (0..first.len()).filter(|&i| needed(i)).count();
    // How many of the detections the pivot reads are done; the pivot waits
    // on the condition variable until all are.
    let needed_done = (std::sync::Mutex::new(0usize), std::sync::Condvar::new());
    let pivot_result: std::sync::Mutex<Vec<Finding>> = std::sync::Mutex::new(Vec::new());
    // Run order: the first detection reading the authentication data
    // ([`auth::shared`]) collects it while the other cores run the web
    // detections and then the pivot; the other authentication detections,
    // which would only wait for that data, go last. Output order does not
    // depend on run order.
    const PIVOT: usize = usize::MAX;
    let auth_users = [
        "ssh_bruteforce",
        "password_spraying",
        "distributed_attack",
        "success_after_failures",
        "new_login_source",
    ];
    let mut order: Vec<usize> = (0..first.len()).collect();
    if last.is_some() {
        order.push(PIVOT);
    }
    order.sort_by_key(|&i| {
        if i == PIVOT {
            return 2;
        }
        match first
            .get(i)
            .and_then(|d| auth_users.iter().position(|a| *a == d.id))
        {
            Some(0) => 0,
            Some(_) => 4,
            None if needed(i) => 1,
            None => 3,
        }
    });
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Not `job::par_map`: the pivot must wait for the detections it reads
    // while the others go on, which a plain map over items cannot express.
    let workers = crate::job::threads(0, usize::MAX).min(order.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&i) = order.get(k) else { break };
                    if i == PIVOT {
                        let Some(d) = last else { continue };
                        // Every needed detection was taken before this one:
                        // wait for the last of them to finish.
                        let (count, done) = &needed_done;
                        if let Ok(mut n) = count.lock() {
                            while *n < n_needed {
                                match done.wait(n) {
                                    Ok(g) => n = g,
                                    Err(_) => break,
                                }
                            }
                        }
                        // The pivot reads rules, addresses and times, not
                        // event lists: it gets the findings without them.
                        let prior: Vec<Finding> = (0..first.len())
                            .filter(|&j| needed(j))
                            .filter_map(|j| results.get(j)?.lock().ok())
                            .flat_map(|g| {
                                g.iter()
                                    .map(Finding::clone_without_events)
                                    .collect::<Vec<_>>()
                            })
                            .collect();
                        let _phase = crate::logs::timing::Phase::start(d.id);
                        let mut found = Vec::new();
                        if cfg.enabled(d.id) {
                            d.run(&ctx, &prior, &mut found);
                        }
                        if let Ok(mut slot) = pivot_result.lock() {
                            *slot = found;
                        }
                        continue;
                    }
                    let Some(d) = first.get(i) else { break };
                    let phase = crate::logs::timing::Phase::start(d.id);
                    let mut found = Vec::new();
                    // A panic (a bug) loses this detection's findings, not
                    // the run, and never leaves the pivot waiting.
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        if cfg.enabled(d.id) {
                            d.run(&ctx, &[], &mut found)
                        }
                    }));
                    drop(phase);
                    if ran.is_ok()
                        && let Some(Ok(mut slot)) = results.get(i).map(|m| m.lock())
                    {
                        *slot = found;
                    }
                    if needed(i) {
                        let (count, done) = &needed_done;
                        if let Ok(mut n) = count.lock() {
                            *n += 1;
                        }
                        done.notify_all();
                    }
                }
            });
        }
    });
    let mut all: Vec<Finding> = Vec::new();
    let set_severity = |id: &str, v: &mut Vec<Finding>| {
        if let Some(sev) = cfg.severity_of(id) {
            v.iter_mut().for_each(|f| f.severity = sev);
        }
    };
    for (d, r) in first.iter().zip(results) {
        if let Ok(mut v) = r.into_inner() {
            set_severity(d.id, &mut v);
            all.append(&mut v);
        }
    }
    if let (Some(d), Ok(mut v)) = (last, pivot_result.into_inner()) {
        set_severity(d.id, &mut v);
        all.append(&mut v);
    }
    all.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.subject.first_us.cmp(&b.subject.first_us))
            .then(a.rule.cmp(&b.rule))
            .then(a.title.cmp(&b.title))
    });
    all
}

/// Events of some kinds in storage order. When they are a good part of the
/// store, every event is scanned in order (reading the kind is cheaper than
/// sorting and looking up their indices); otherwise their indices are
/// sorted.
pub fn stored<'s>(
    store: &'s LogStore,
    kinds: &[Kind],
) -> Box<dyn Iterator<Item = (u32, &'s Event)> + 's> {
    let n: usize = kinds
        .iter()
        .filter_map(|k| store.by_kind.get(k))
        .map(Vec::len)
        .sum();
    if n.saturating_mul(8) >= store.events.len() {
        let wanted: Vec<Kind> = kinds.to_vec();
        return Box::new(
            store
                .events
                .iter()
                .enumerate()
                .filter(move |(_, e)| wanted.contains(&e.kind))
                .map(|(i, e)| (i as u32, e)),
        );
    }
    let mut idx: Vec<u32> = Vec::with_capacity(n);
    for k in kinds {
        if let Some(v) = store.by_kind.get(k) {
            idx.extend_from_slice(v);
        }
    }
    idx.sort_unstable();
    Box::new(
        idx.into_iter()
            .filter_map(move |i| ev(store, i).map(|e| (i, e))),
    )
}

/// The event at an index.
pub fn ev(store: &LogStore, i: u32) -> Option<&Event> {
    store.events.get(i as usize)
}

/// The largest number of occurrences within any window of `window_us`, for
/// (time, count) pairs sorted by time; with the window's start index.
/// Untimed events (`i64::MIN`) share a window only with each other.
pub fn max_in_window(times: &[(i64, u32)], window_us: i64) -> (u64, usize) {
    let mut best = (0u64, 0usize);
    let mut sum = 0u64;
    let mut lo = 0usize;
    for (hi, &(t, c)) in times.iter().enumerate() {
        sum += u64::from(c);
        while let Some(&(tl, cl)) = times.get(lo) {
            if t.saturating_sub(tl) < window_us {
                break;
            }
            sum -= u64::from(cl);
            lo += 1;
        }
        if sum > best.0 {
            best = (sum, lo);
        }
        let _ = hi;
    }
    best
}

/// Group event indices by a key; each group in time order, groups sorted
/// by key.
pub fn group_by<'a, K: Ord + std::hash::Hash>(
    ctx: &Ctx<'_>,
    items: impl Iterator<Item = (u32, &'a Event)>,
    key: impl Fn(&'a Event) -> Option<K>,
) -> BTreeMap<K, Vec<u32>> {
    let mut m: foldhash::HashMap<K, Vec<u32>> = foldhash::HashMap::default();
    for (i, e) in items {
        if let Some(k) = key(e) {
            m.entry(k).or_default().push(i);
        }
    }
    m.into_iter()
        .map(|(k, mut v)| {
            ctx.time_sort(&mut v);
            (k, v)
        })
        .collect()
}

/// Human byte size.
pub fn human_bytes(b: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < U.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", U[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window() {
        let t = [(0, 1), (10, 1), (20, 3), (700, 1), (710, 1)];
        assert_eq!(max_in_window(&t, 600).0, 5);
        assert_eq!(max_in_window(&t, 5).0, 3);
    }

    #[test]
    fn untimed_and_timed_events_in_one_window_do_not_overflow() {
        // Untimed failures (a btmp record with time 0) sort first as
        // i64::MIN; `t - i64::MIN` overflowed (a panic in debug builds).
        let t = [(i64::MIN, 2), (i64::MIN, 1), (0, 1), (10, 1)];
        assert_eq!(max_in_window(&t, 600), (3, 0));
        assert_eq!(max_in_window(&t, i64::MAX).0, 3);
    }
}
