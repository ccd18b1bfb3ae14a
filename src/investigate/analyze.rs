//! From findings, changes and events to the answers (`investigate::analyze`).
//!
//! The inputs are what the other modules already produced: each host's
//! snapshots and, with a baseline, the classed changes between them and the
//! file findings on those changes (one snapshot: the findings of a scan),
//! the event store of the hosts' logs (all snapshots of a host whose
//! archives the loader merges, else the latest) and the log detections'
//! findings. From them this module names the attacker's addresses and
//! accounts, the vector and its first trace, the privilege escalation, the
//! first touch of the data, what was taken, what was erased and left
//! behind, the credentials to rotate, the gaps and the root causes, each
//! with the evidence lines behind it.

use super::evidence::{Host, MAX_TEXT, logical_in, read_text};
use super::model::*;
use super::secrets::{self, command_files};
use crate::detect::Severity;
use crate::detect::files::Finding as FileFinding;
use crate::detect::logs::{Finding as LogFinding, human_bytes};
use crate::diff::{Change, ChangeClass};
use crate::leak::LeakReport;
use crate::logs::event::{Event, Field, Kind};
use crate::logs::load::{LogStore, SourceInfo};
use crate::logs::time::rfc3339;
use crate::logs::url::{decode_url, strip_query};
use crate::snapshot::{Snapshot, format_time};
use std::collections::{BTreeMap, BTreeSet};

mod ioc;

/// What one host's snapshots gave.
pub struct HostResult {
    /// Changes baseline → latest (empty with one snapshot).
    pub changes: Vec<Change>,
    pub findings: Vec<FileFinding>,
}

/// Everything the answers are built from.
pub struct Inputs<'a> {
    pub hosts: &'a [Host],
    pub results: &'a [HostResult],
    pub store: &'a LogStore,
    pub log_findings: &'a [LogFinding],
    /// The log sources that may belong to the baselines (to date rewritten
    /// logs; each is matched to its snapshot by archive and path).
    pub baseline_sources: &'a [SourceInfo],
    pub leak: Option<&'a LeakReport>,
}

/// Log detections that name an attacking address.
const ATTACK_RULES: &[(&str, u32)] = &[
    ("success_after_failures", 60),
    ("web_shell", 60),
    ("sensitive_file_served", 40),
    ("large_download", 30),
    ("attack_payload", 15),
    ("cross_source_pivot", 15),
    ("ssh_bruteforce", 10),
    ("password_spraying", 10),
    ("credential_stuffing", 10),
    ("web_scan", 5),
    ("scanner_user_agent", 5),
    ("sensitive_file_probe", 5),
];

/// File rules and detectors whose subject is something to remove.
const PERSISTENCE_PREFIXES: &[&str] = &[
    "accounts.new_user",
    "accounts.authorized_keys_changed",
    "accounts.admin_group_member",
    "accounts.shell_enabled",
    "accounts.uid_changed",
    "accounts.sudoers",
    "persistence.",
    "privilege.",
    // A YARA match (a web shell, a miner, a reverse shell) is left behind.
    "yara.",
    "webshell.",
    "tmp.executable_file",
    "tmp.binary_file",
    // A file an indicator list names (a known-bad hash, a cron entry
    // calling a listed domain).
    "ioc.",
];

const MAX_TEXT_CHARS: usize = 300;
/// Findings of one kind read as candidate vectors (each scans the events
/// of its kind once).
const MAX_VECTORS: usize = 20;
const MAX_EVIDENCE: usize = 20;

/// An inert, bounded one-line excerpt of evidence text.
pub fn excerpt(s: &str) -> String {
    let one: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .take(MAX_TEXT_CHARS)
        .collect();
    let mut out = crate::text::inert(&one).into_owned();
    if s.chars().count() > MAX_TEXT_CHARS {
        out.push('…');
    }
    out
}

/// A short time for sentences: `2026-03-10 08:14:03 UTC`.
fn t(us: i64) -> String {
    let s = rfc3339(us);
    let s = s.trim_end_matches('Z').replace('T', " ");
    let s = s.split('.').next().unwrap_or(&s).to_string();
    format!("{s} UTC")
}

fn sev_rank(s: Severity) -> u8 {
    match s {
        Severity::Critical => 4,
        Severity::High => 3,
        Severity::Medium => 2,
        Severity::Low => 1,
        _ => 0,
    }
}

#[derive(Default)]
struct ActorAcc {
    score: u32,
    first: Option<i64>,
    last: Option<i64>,
    did: Vec<String>,
    evidence: Vec<EvidenceRef>,
}

/// One thing taken or staged.
struct Taken {
    time_us: Option<i64>,
    what: String,
    evidence: EvidenceRef,
}

struct Analysis<'a> {
    i: &'a Inputs<'a>,
    inv: Investigation,
    actors: BTreeMap<(String, String), ActorAcc>,
    attacker_ips: BTreeSet<String>,
    attacker_accounts: BTreeSet<String>,
    /// The first and last timed event from an attacking address: (time,
    /// event index).
    activity: Option<((i64, u32), (i64, u32))>,
    /// Files (logical paths) the attacker read, downloaded or archived, with
    /// the host index when known and the evidence.
    read_paths: Vec<(String, EvidenceRef)>,
    taken: Vec<Taken>,
    root: bool,
    web_shell: bool,
}

/// Build the investigation from the inputs.
pub fn analyze(i: &Inputs<'_>) -> Investigation {
    let mut a = Analysis {
        i,
        inv: Investigation::default(),
        actors: BTreeMap::new(),
        attacker_ips: BTreeSet::new(),
        attacker_accounts: BTreeSet::new(),
        activity: None,
        read_paths: Vec::new(),
        taken: Vec::new(),
        root: false,
        web_shell: false,
    };
    for h in i.hosts {
        for s in &h.snaps {
            a.inv.evidence.push(s.item.clone());
        }
    }
    a.attackers();
    a.how();
    a.ioc_how();
    a.data();
    a.erased();
    a.left_behind();
    a.when();
    a.systems();
    a.credentials();
    a.who();
    a.gaps();
    a.findings();
    a.capture_events();
    a.inv.timeline.sort_by(|x, y| {
        x.time_us
            .cmp(&y.time_us)
            .then_with(|| x.phase.cmp(&y.phase))
    });
    a.inv
        .timeline
        .dedup_by(|b, a| a.time_us == b.time_us && a.what == b.what);
    let how = a.inv.answers.how.confidence.unwrap_or_default();
    let when = a.inv.answers.when.confidence.unwrap_or_default();
    let has_baseline = i.hosts.iter().any(|h| h.snaps.len() > 1);
    a.inv.confidence = Some(match (how.min(when), has_baseline) {
        (Confidence::High, true) => Confidence::High,
        (Confidence::High, false) | (Confidence::Medium, _) => Confidence::Medium,
        (Confidence::Low, _) => Confidence::Low,
        (Confidence::None, _) => {
            if i.log_findings.is_empty() && i.results.iter().all(|r| r.findings.is_empty()) {
                Confidence::None
            } else {
                Confidence::Low
            }
        }
    });
    a.inv
}

impl<'a> Analysis<'a> {
    fn store(&self) -> &'a LogStore {
        self.i.store
    }

    fn event(&self, i: u32) -> Option<&'a Event> {
        self.i.store.events.get(i as usize)
    }

    /// The evidence reference of an event: its snapshot, logical path and line.
    fn ev_ref(&self, i: u32, rule: Option<&str>) -> EvidenceRef {
        let Some(e) = self.event(i) else {
            return EvidenceRef::default();
        };
        let (snapshot, path) = match self.store().source_of(e) {
            Some(s) => match &s.archive {
                Some(arch) => (arch.display().to_string(), s.path.clone()),
                None => self
                    .i
                    .hosts
                    .iter()
                    .flat_map(|h| h.snaps.iter())
                    .find_map(|sn| logical_in(&sn.path, &s.path).map(|l| (sn.label.clone(), l)))
                    .unwrap_or_else(|| (String::new(), s.path.clone())),
            },
            None => (String::new(), String::new()),
        };
        EvidenceRef {
            snapshot,
            path,
            line: Some(e.line),
            time: e.time_us.map(rfc3339),
            rule: rule.map(str::to_string),
            text: excerpt(e.line_text()),
        }
    }

    fn file_ref(&self, snapshot: &str, path: &str, rule: Option<&str>, text: &str) -> EvidenceRef {
        EvidenceRef {
            snapshot: snapshot.to_string(),
            path: path.to_string(),
            line: None,
            time: None,
            rule: rule.map(str::to_string),
            text: excerpt(text),
        }
    }

    fn finding_ref(&self, f: &FileFinding) -> EvidenceRef {
        let text = match f.subject.evidence.first() {
            Some(e) => format!("{}: {e}", f.title),
            None => f.title.clone(),
        };
        let mut r = self.file_ref(&f.subject.snapshot, &f.subject.path, Some(&f.rule), &text);
        r.time = self
            .mtime_of(&f.subject.snapshot, &f.subject.path)
            .map(rfc3339);
        r
    }

    /// The modification time (µs) of a path in the snapshot with this label.
    fn mtime_of(&self, label: &str, path: &str) -> Option<i64> {
        let s = self.snapshot_by_label(label)?;
        s.get(path)?.mtime_ns.map(|n| n / 1000)
    }

    fn snapshot_by_label(&self, label: &str) -> Option<&'a Snapshot> {
        self.i
            .hosts
            .iter()
            .flat_map(|h| h.snaps.iter())
            .find(|s| s.label == label)
            .map(|s| &s.snapshot)
    }

    fn key_event(&mut self, time_us: i64, phase: &str, what: String, evidence: EvidenceRef) {
        self.inv.timeline.push(KeyEvent {
            time: rfc3339(time_us),
            time_us,
            phase: phase.into(),
            what: excerpt(&what),
            evidence,
        });
    }

    fn actor(
        &mut self,
        kind: &str,
        value: &str,
        score: u32,
        did: String,
        time: Option<i64>,
        ev: Option<EvidenceRef>,
    ) {
        if value.is_empty() {
            return;
        }
        let a = self
            .actors
            .entry((kind.to_string(), value.to_string()))
            .or_default();
        a.score = a.score.saturating_add(score);
        if let Some(t) = time {
            a.first = Some(a.first.map_or(t, |f| f.min(t)));
            a.last = Some(a.last.map_or(t, |l| l.max(t)));
        }
        let did = excerpt(&did);
        if !a.did.contains(&did) && a.did.len() < 12 {
            a.did.push(did);
        }
        if let Some(e) = ev
            && a.evidence.len() < 5
        {
            a.evidence.push(e);
        }
    }

    fn findings_with(&self, rule: &str) -> impl Iterator<Item = &'a LogFinding> + 'a {
        let rule = rule.to_string();
        self.i.log_findings.iter().filter(move |f| f.rule == rule)
    }

    fn file_findings(&self) -> impl Iterator<Item = &'a FileFinding> + 'a {
        self.i.results.iter().flat_map(|r| r.findings.iter())
    }

    /// Addresses and accounts the detections name as attacking.
    fn attackers(&mut self) {
        for f in self.i.log_findings {
            let Some(weight) = ATTACK_RULES.iter().find(|r| r.0 == f.rule).map(|r| r.1) else {
                continue;
            };
            if f.rule == "success_after_failures" && f.severity < Severity::Critical {
                // A login to an account others failed on: the account, not
                // the address, is suspect.
                continue;
            }
            let ev = f
                .subject
                .events
                .first()
                .map(|&e| self.ev_ref(e, Some(&f.rule)));
            for ip in f.subject.ips.iter().take(50) {
                self.attacker_ips.insert(ip.clone());
                self.actor(
                    "ip",
                    ip,
                    weight,
                    f.title.clone(),
                    f.subject.first_us,
                    ev.clone(),
                );
                if let Some(l) = f.subject.last_us {
                    self.actor("ip", ip, 0, f.title.clone(), Some(l), None);
                }
            }
        }
        self.ioc_attackers();
        // Every event from an attacking address is attacker activity;
        // logins from them name the accounts used.
        let ips = self.attacker_ips.clone();
        if ips.is_empty() {
            return;
        }
        let mut agents: BTreeMap<String, (u32, i64, u32)> = BTreeMap::new();
        let store = self.store();
        for &idx in &store.by_time {
            let Some(e) = self.event(idx) else { continue };
            let Some(ip) = e.get(Field::Ip) else { continue };
            if !ips.contains(ip) {
                continue;
            }
            if let Some(tu) = e.time_us {
                self.activity = Some(match self.activity {
                    None => ((tu, idx), (tu, idx)),
                    Some((f, l)) => (
                        if tu < f.0 { (tu, idx) } else { f },
                        if tu >= l.0 { (tu, idx) } else { l },
                    ),
                });
            }
            if matches!(e.kind, Kind::AuthSuccess | Kind::Login)
                && let Some(u) = e.get(Field::User)
            {
                let first_time = !self.attacker_accounts.contains(u);
                self.attacker_accounts.insert(u.to_string());
                if first_time {
                    let r = self.ev_ref(idx, None);
                    self.actor(
                        "account",
                        u,
                        50,
                        format!("logged in from {ip}"),
                        e.time_us,
                        Some(r.clone()),
                    );
                    self.actor(
                        "ip",
                        ip,
                        20,
                        format!("logged in as {u}"),
                        e.time_us,
                        Some(r),
                    );
                }
            }
            if let Some(agent) = e.get(Field::Agent).filter(|a| !a.is_empty() && *a != "-")
                && agents.len() < 100
            {
                let en =
                    agents
                        .entry(agent.to_string())
                        .or_insert((0, e.time_us.unwrap_or(0), idx));
                en.0 += 1;
            }
        }
        let mut agents: Vec<(String, (u32, i64, u32))> = agents.into_iter().collect();
        agents.sort_by_key(|b| std::cmp::Reverse(b.1.0));
        for (agent, (n, first, idx)) in agents.into_iter().take(5) {
            let r = self.ev_ref(idx, None);
            self.actor(
                "user_agent",
                &agent,
                n.min(20),
                format!("sent {n} request(s) from an attacking address"),
                Some(first),
                Some(r),
            );
        }
    }

    /// The vector and the privilege escalation. One method for every vector
    /// (SSH guessed, web shell, exploited endpoint) because they are ranked
    /// against each other by their first trace; each is a marked block.
    fn how(&mut self) {
        struct Vector {
            time: Option<i64>,
            summary: String,
            details: Vec<String>,
            evidence: Vec<EvidenceRef>,
            confidence: Confidence,
            cause: Option<(String, String)>,
        }
        let mut vectors: Vec<Vector> = Vec::new();

        // SSH password guessed.
        for f in self
            .findings_with("success_after_failures")
            .filter(|f| f.severity >= Severity::Critical)
            .take(MAX_VECTORS)
            .collect::<Vec<_>>()
        {
            if f.severity < Severity::Critical {
                continue;
            }
            let success = f.subject.events.iter().copied().find(|&i| {
                self.event(i)
                    .is_some_and(|e| matches!(e.kind, Kind::AuthSuccess | Kind::Login))
            });
            let Some(si) = success else { continue };
            let Some(se) = self.event(si) else { continue };
            let ip = se.get(Field::Ip).unwrap_or("?").to_string();
            let user = se.get(Field::User).unwrap_or("?").to_string();
            let method = se.get(Field::Detail).unwrap_or("password").to_string();
            let st = se.time_us;
            // Failures from that address before the success.
            let mut failures = 0u64;
            let mut first_fail: Option<u32> = None;
            for k in [Kind::AuthFailure, Kind::InvalidUser] {
                for &j in self.store().of_kind(k) {
                    let Some(e) = self.event(j) else { continue };
                    if e.get(Field::Ip) == Some(ip.as_str())
                        && e.time_us.zip(st).is_none_or(|(a, b)| a <= b)
                    {
                        failures += u64::from(e.count.max(1));
                        let earlier = match first_fail.and_then(|x| self.event(x)) {
                            Some(fe) => e.time_us < fe.time_us,
                            None => true,
                        };
                        if earlier {
                            first_fail = Some(j);
                        }
                    }
                }
            }
            let sref = self.ev_ref(si, Some("success_after_failures"));
            let mut evidence = vec![sref.clone()];
            let mut details = vec![format!(
                "{ip} logged in as {user} ({method}) at {} after {failures} failed attempt(s).",
                st.map(t).unwrap_or_else(|| "an unknown time".into())
            )];
            if let Some(ff) = first_fail {
                let r = self.ev_ref(ff, Some("ssh_bruteforce"));
                if let Some(ft) = self.event(ff).and_then(|e| e.time_us) {
                    details.push(format!("The guessing started at {}.", t(ft)));
                    self.key_event(
                        ft,
                        "recon",
                        format!("{ip} starts guessing SSH passwords"),
                        r.clone(),
                    );
                }
                evidence.push(r);
            }
            if let Some(tu) = st {
                self.key_event(
                    tu,
                    "access",
                    format!("{ip} logs in as {user} over SSH after {failures} failures"),
                    sref.clone(),
                );
            }
            self.actor(
                "ip",
                &ip,
                0,
                format!("guessed the password of {user} after {failures} failures"),
                st,
                None,
            );
            self.actor(
                "account",
                &user,
                0,
                format!("password guessed by {ip}"),
                st,
                None,
            );
            self.attacker_accounts.insert(user.clone());
            vectors.push(Vector {
                time: st,
                summary: format!(
                    "SSH password of {user} guessed by {ip} after {failures} failures; first accepted login {}.",
                    st.map(t).unwrap_or_else(|| "(untimed)".into())
                ),
                details,
                evidence,
                confidence: Confidence::High,
                cause: Some(("password".into(), user)),
            });
        }

        // Web shell uploaded and used.
        for f in self
            .findings_with("web_shell")
            .take(MAX_VECTORS)
            .collect::<Vec<_>>()
        {
            let Some(&first) = f.subject.events.first() else {
                continue;
            };
            let Some(fe) = self.event(first) else {
                continue;
            };
            let script = strip_query(fe.get(Field::Path).unwrap_or("")).to_string();
            let ip = fe.get(Field::Ip).unwrap_or("?").to_string();
            let use_t = fe.time_us;
            self.web_shell = true;
            let mut evidence = vec![self.ev_ref(first, Some("web_shell"))];
            let mut details = vec![format!(
                "{script} answered {} command request(s), first from {ip} at {}.",
                f.subject.events.len(),
                use_t.map(t).unwrap_or_else(|| "an unknown time".into())
            )];
            // The upload: a 2xx POST from an attacking address before the
            // first use, to an upload endpoint or the shell's directory.
            let dir = script
                .rsplit_once('/')
                .map(|x| x.0)
                .unwrap_or("")
                .to_ascii_lowercase();
            let mut upload: Option<u32> = None;
            for &j in self.store().of_kind(Kind::WebRequest) {
                let Some(e) = self.event(j) else { continue };
                let p = e.get(Field::Path).unwrap_or("").to_ascii_lowercase();
                if e.get(Field::Method) == Some("POST")
                    && e.status.is_some_and(|s| (200..400).contains(&s))
                    && e.get(Field::Ip)
                        .is_some_and(|x| self.attacker_ips.contains(x) || x == ip)
                    && e.time_us.zip(use_t).is_none_or(|(a, b)| a <= b)
                    && (p.contains("upload") || (!dir.is_empty() && p.starts_with(&dir)))
                {
                    upload = Some(j);
                }
            }
            let mut time = use_t;
            if let Some(u) = upload
                && let Some(ue) = self.event(u)
            {
                let r = self.ev_ref(u, Some("web_shell"));
                details.insert(
                    0,
                    format!(
                        "Uploaded with POST {} from {} at {}.",
                        strip_query(ue.get(Field::Path).unwrap_or("")),
                        ue.get(Field::Ip).unwrap_or("?"),
                        ue.time_us
                            .map(t)
                            .unwrap_or_else(|| "an unknown time".into())
                    ),
                );
                if let Some(ut) = ue.time_us {
                    self.key_event(ut, "access", format!("{script} uploaded"), r.clone());
                    time = Some(ut);
                }
                evidence.insert(0, r);
            }
            if let Some(ut) = use_t {
                self.key_event(
                    ut,
                    "access",
                    format!("{ip} runs commands through {script}"),
                    evidence.last().cloned().unwrap_or_default(),
                );
            }
            // The file on disk.
            let mut on_disk = false;
            let script_l = script.to_ascii_lowercase();
            for ff in self
                .file_findings()
                .filter(|x| x.rule.starts_with("webshell."))
                .collect::<Vec<_>>()
            {
                if !script_l.is_empty() && ff.subject.path.to_ascii_lowercase().ends_with(&script_l)
                {
                    if !on_disk {
                        details.push(format!(
                            "The script is in the snapshot: {} ({}).",
                            ff.subject.path, ff.rule
                        ));
                    }
                    on_disk = true;
                    evidence.push(self.finding_ref(ff));
                }
            }
            // Probes before.
            if let Some(scan) = self
                .i
                .log_findings
                .iter()
                .filter(|x| {
                    matches!(
                        x.rule.as_str(),
                        "web_scan" | "scanner_user_agent" | "sensitive_file_probe"
                    )
                })
                .filter(|x| x.subject.ips.contains(&ip))
                .min_by_key(|x| x.subject.first_us)
                && let Some(&si) = scan.subject.events.first()
            {
                let r = self.ev_ref(si, Some(&scan.rule));
                if let Some(st) = scan.subject.first_us {
                    details.push(format!(
                        "{ip} probed the site first ({}, from {}).",
                        scan.title,
                        t(st)
                    ));
                    self.key_event(st, "recon", format!("{ip} scans the web site"), r.clone());
                }
                evidence.push(r);
            }
            self.actor(
                "ip",
                &ip,
                0,
                format!("ran commands through {script}"),
                use_t,
                None,
            );
            vectors.push(Vector {
                time,
                summary: format!(
                    "A web shell: {script} {}and used by {ip} from {}.",
                    if upload.is_some() {
                        "uploaded "
                    } else {
                        "planted "
                    },
                    use_t.map(t).unwrap_or_else(|| "an unknown time".into())
                ),
                details,
                evidence,
                confidence: if on_disk || upload.is_some() {
                    Confidence::High
                } else {
                    Confidence::Medium
                },
                cause: Some(("upload".into(), dir)),
            });
        }

        // An exploited endpoint: attack payloads answered 2xx.
        for f in self
            .findings_with("attack_payload")
            .take(MAX_VECTORS)
            .collect::<Vec<_>>()
        {
            let ok = f.subject.events.iter().copied().find(|&i| {
                self.event(i)
                    .is_some_and(|e| e.status.is_some_and(|s| (200..300).contains(&s)))
            });
            let Some(oi) = ok else { continue };
            let Some(oe) = self.event(oi) else { continue };
            let ip = oe.get(Field::Ip).unwrap_or("?").to_string();
            let path = strip_query(oe.get(Field::Path).unwrap_or("")).to_string();
            let r = self.ev_ref(oi, Some("attack_payload"));
            if let Some(tu) = oe.time_us {
                self.key_event(
                    tu,
                    "access",
                    format!(
                        "{ip} sends an attack payload to {path}, answered {}",
                        oe.status.unwrap_or(0)
                    ),
                    r.clone(),
                );
            }
            vectors.push(Vector {
                time: oe.time_us,
                summary: format!(
                    "A vulnerable endpoint: {path} probed by {ip} and answered {} to an attack payload at {}.",
                    oe.status.unwrap_or(0),
                    oe.time_us.map(t).unwrap_or_else(|| "an unknown time".into())
                ),
                details: vec![f.title.clone()],
                evidence: vec![r],
                confidence: Confidence::Medium,
                cause: Some(("exploit".into(), path)),
            });
        }

        // Only files: a web shell on disk with no log of its use.
        if vectors.is_empty() {
            let shells: Vec<&FileFinding> = self
                .file_findings()
                .filter(|f| f.rule.starts_with("webshell.") && f.severity >= Severity::High)
                .collect();
            if let Some(f) = shells.first() {
                let r = self.finding_ref(f);
                self.web_shell = true;
                vectors.push(Vector {
                    time: self.mtime_of(&f.subject.snapshot, &f.subject.path),
                    summary: format!(
                        "Probably a web shell: {} (no web server log shows its upload or use).",
                        f.subject.path
                    ),
                    details: vec![f.title.clone()],
                    evidence: vec![r],
                    confidence: Confidence::Low,
                    cause: Some(("upload".into(), f.subject.path.clone())),
                });
            }
        }

        vectors.sort_by_key(|v| (v.time.is_none(), v.time));
        let mut how = Answer::default();
        if let Some(first) = vectors.first() {
            how.summary = first.summary.clone();
            how.confidence = Some(first.confidence);
            how.details = first.details.clone();
            how.evidence = first.evidence.clone();
            for other in vectors.iter().skip(1).take(3) {
                how.details.push(format!("Also: {}", other.summary));
                how.evidence.extend(other.evidence.iter().take(2).cloned());
            }
        } else {
            how.summary = "The evidence does not show how the attacker got in.".into();
            how.confidence = Some(Confidence::None);
        }
        for v in &vectors {
            if let Some((kind, what)) = &v.cause {
                self.root_cause(kind, what, &v.evidence);
            }
        }

        // Privileges.
        let mut priv_lines: Vec<String> = Vec::new();
        let mut sudo_first: BTreeMap<String, u32> = BTreeMap::new();
        for &j in self.store().of_kind(Kind::Sudo) {
            let Some(e) = self.event(j) else { continue };
            let Some(u) = e.get(Field::User) else {
                continue;
            };
            if self.attacker_accounts.contains(u) && !sudo_first.contains_key(u) {
                sudo_first.insert(u.to_string(), j);
            }
        }
        for (u, j) in sudo_first {
            let Some(e) = self.event(j) else { continue };
            let target = e.get(Field::Target).unwrap_or("root").to_string();
            if target == "root" {
                self.root = true;
            }
            let r = self.ev_ref(j, Some("sudo"));
            priv_lines.push(format!(
                "{u} became {target} with sudo at {} ({}).",
                e.time_us.map(t).unwrap_or_else(|| "an unknown time".into()),
                e.get(Field::Command).unwrap_or("a command")
            ));
            if let Some(tu) = e.time_us {
                self.key_event(
                    tu,
                    "privilege",
                    format!("{u} runs sudo as {target}"),
                    r.clone(),
                );
            }
            self.actor(
                "account",
                &u,
                20,
                format!("became {target} with sudo"),
                e.time_us,
                Some(r.clone()),
            );
            how.evidence.push(r);
            self.root_cause("sudo", &u, &[]);
        }
        for f in self
            .file_findings()
            .filter(|f| {
                f.rule.starts_with("accounts.sudoers")
                    || f.rule == "accounts.admin_group_member"
                    || f.rule.starts_with("privilege.")
            })
            .take(5)
            .collect::<Vec<_>>()
        {
            priv_lines.push(format!("{}: {}.", f.title, f.subject.path));
            how.evidence.push(self.finding_ref(f));
        }
        if priv_lines.is_empty() && !vectors.is_empty() {
            priv_lines.push("No privilege escalation shows in the evidence.".into());
        }
        if let Some(p) = priv_lines.first()
            && !vectors.is_empty()
        {
            how.summary = format!("{} Then: {}", how.summary, p);
        }
        how.details.extend(priv_lines);
        how.evidence.truncate(MAX_EVIDENCE);
        self.inv.answers.how = how;
    }

    fn root_cause(&mut self, kind: &str, what: &str, evidence: &[EvidenceRef]) {
        let (cause, prevention, ev) = match kind {
            "password" => {
                let mut ev: Vec<EvidenceRef> = evidence.iter().take(2).cloned().collect();
                let mut cause = "Password authentication enabled for SSH".to_string();
                let mut prevention =
                    "Disable PasswordAuthentication, use keys, and ban repeated failures (fail2ban)".to_string();
                if let Some((label, s)) = self.sshd_config() {
                    let line = s.password_auth_line;
                    ev.push(EvidenceRef {
                        snapshot: label,
                        path: "/etc/ssh/sshd_config".into(),
                        line,
                        time: None,
                        rule: None,
                        text: if line.is_some() {
                            format!(
                                "PasswordAuthentication {}",
                                if s.password_auth { "yes" } else { "no" }
                            )
                        } else {
                            "PasswordAuthentication not set (default yes)".into()
                        },
                    });
                    if !s.password_auth {
                        cause = "A guessable password on an SSH account (sshd_config now refuses passwords: changed since?)".into();
                    }
                    if s.permit_root_login == "yes" {
                        prevention.push_str("; set PermitRootLogin no");
                    }
                }
                let _ = what;
                (cause, prevention, ev)
            }
            "upload" => (
                "PHP execution allowed in the uploads directory".to_string(),
                format!(
                    "Deny script execution under the upload directory ({}) in the web server, and check uploaded files' types on the server side",
                    if what.is_empty() { "/uploads/" } else { what }
                ),
                evidence.iter().take(2).cloned().collect(),
            ),
            "exploit" => (
                format!("A vulnerable endpoint: {what}"),
                "Patch the application, validate its input, and filter attack payloads (WAF)"
                    .to_string(),
                evidence.iter().take(2).cloned().collect(),
            ),
            "sudo" => (
                format!("{what} could become root with sudo"),
                format!(
                    "Limit {what}'s sudo rights to the commands it needs and require a password (and MFA) for them"
                ),
                evidence.to_vec(),
            ),
            "exports" => (
                "Data exports reachable from the web".to_string(),
                "Keep exports and backups outside the web root, or behind authentication"
                    .to_string(),
                evidence.iter().take(2).cloned().collect(),
            ),
            _ => return,
        };
        if !self.inv.root_causes.iter().any(|r| r.cause == cause) {
            self.inv.root_causes.push(RootCause {
                cause,
                prevention,
                evidence: ev,
            });
        }
    }

    /// sshd_config of the latest snapshot that has one.
    fn sshd_config(&self) -> Option<(String, secrets::SshdSettings)> {
        self.i
            .hosts
            .iter()
            .filter_map(|h| h.latest())
            .find_map(|s| {
                read_text(&s.snapshot, "/etc/ssh/sshd_config", MAX_TEXT)
                    .map(|text| (s.label.clone(), secrets::sshd_settings(&text)))
            })
    }

    /// A URL path mapped onto a file of the latest snapshots: the shortest
    /// path ending with it on a component boundary.
    fn file_for_url(&self, url: &str) -> Option<(String, String)> {
        let url = decode_url(strip_query(url)).into_owned();
        if url.len() < 3 || !url.starts_with('/') || url.ends_with('/') {
            return None;
        }
        let mut best: Option<(String, String)> = None;
        for h in self.i.hosts {
            let Some(s) = h.latest() else { continue };
            for e in &s.snapshot.entries {
                if e.path.ends_with(&url) && best.as_ref().is_none_or(|b| e.path.len() < b.1.len())
                {
                    best = Some((s.label.clone(), e.path.clone()));
                }
            }
        }
        best
    }

    /// What was read, downloaded or staged, and the first touch of the data.
    /// One method because every way data left (web downloads, web-shell
    /// reads, archive commands, staged files, the leak's sources) feeds the
    /// same first-touch time and the same list; each is a marked block.
    fn data(&mut self) {
        // Downloads of sensitive files (each URL looked up once).
        let mut url_cache: BTreeMap<String, Option<(String, String)>> = BTreeMap::new();
        for f in self
            .i
            .log_findings
            .iter()
            .filter(|f| matches!(f.rule.as_str(), "sensitive_file_served" | "large_download"))
            .collect::<Vec<_>>()
        {
            for &j in f.subject.events.iter().take(200) {
                let Some(e) = self.event(j) else { continue };
                let url = strip_query(e.get(Field::Path).unwrap_or("")).to_string();
                let ip = e.get(Field::Ip).unwrap_or("?").to_string();
                let bytes = e.bytes.unwrap_or(0);
                let r = self.ev_ref(j, Some(&f.rule));
                let file = match url_cache.get(&url) {
                    Some(v) => v.clone(),
                    None => {
                        let v = self.file_for_url(&url);
                        url_cache.insert(url.clone(), v.clone());
                        v
                    }
                };
                let what = match &file {
                    Some((_, p)) if *p != url => {
                        format!("{url} ({p}, {}) downloaded by {ip}", human_bytes(bytes))
                    }
                    _ => format!("{url} ({}) downloaded by {ip}", human_bytes(bytes)),
                };
                if let Some((_, p)) = &file {
                    self.read_paths.push((p.clone(), r.clone()));
                }
                self.actor("ip", &ip, 0, format!("downloaded {url}"), e.time_us, None);
                if let Some(tu) = e.time_us {
                    self.key_event(tu, "exfiltration", what.clone(), r.clone());
                }
                self.taken.push(Taken {
                    time_us: e.time_us,
                    what,
                    evidence: r,
                });
            }
            if f.rule == "sensitive_file_served"
                && f.subject.paths.iter().any(|p| {
                    let p = p.to_ascii_lowercase();
                    ["/export", "/backup", "/dump"]
                        .iter()
                        .any(|d| p.contains(d))
                })
            {
                let ev: Vec<EvidenceRef> = f
                    .subject
                    .events
                    .first()
                    .map(|&j| self.ev_ref(j, Some(&f.rule)))
                    .into_iter()
                    .collect();
                self.root_cause("exports", "", &ev);
            }
        }
        // Files read through a web shell.
        for f in self
            .findings_with("web_shell")
            .take(MAX_VECTORS)
            .collect::<Vec<_>>()
        {
            for &j in f.subject.events.iter().take(500) {
                let Some(e) = self.event(j) else { continue };
                let Some(cmd) = web_command(e.get(Field::Path).unwrap_or("")) else {
                    continue;
                };
                let files = command_files(&cmd);
                let r = self.ev_ref(j, Some("web_shell"));
                let ip = e.get(Field::Ip).unwrap_or("?").to_string();
                for p in files.read.iter().take(20) {
                    self.read_paths.push((p.clone(), r.clone()));
                    let what = format!("{p} read through the web shell by {ip} (`{}`)", cmd);
                    self.actor(
                        "ip",
                        &ip,
                        10,
                        format!("read {p} through the web shell"),
                        e.time_us,
                        None,
                    );
                    if let Some(tu) = e.time_us {
                        self.key_event(tu, "data", what.clone(), r.clone());
                    }
                    self.taken.push(Taken {
                        time_us: e.time_us,
                        what,
                        evidence: r.clone(),
                    });
                }
                if files.dump {
                    let what = format!("database dumped through the web shell (`{cmd}`)");
                    self.taken.push(Taken {
                        time_us: e.time_us,
                        what,
                        evidence: r.clone(),
                    });
                }
            }
        }
        // Commands: sudo, shell history.
        let mut cmds: Vec<u32> = Vec::new();
        for k in [Kind::Sudo, Kind::Command, Kind::Exec] {
            cmds.extend(self.store().of_kind(k));
        }
        for j in cmds {
            let Some(e) = self.event(j) else { continue };
            let Some(cmd) = e.get(Field::Command) else {
                continue;
            };
            // Sudo by an attacker account, or any history (the history of a
            // compromised host; untimed, so no dating).
            let by = match e.kind {
                Kind::Sudo => match e.get(Field::User) {
                    Some(u) if self.attacker_accounts.contains(u) => u.to_string(),
                    _ => continue,
                },
                _ => {
                    let src = self
                        .store()
                        .source_of(e)
                        .map(|s| s.path.clone())
                        .unwrap_or_default();
                    let user = history_user(&src);
                    if !(self.attacker_accounts.contains(&user) || (self.root && user == "root")) {
                        continue;
                    }
                    user
                }
            };
            let files = command_files(cmd);
            if files.read.is_empty() && files.written.is_empty() && !files.dump {
                continue;
            }
            let r = self.ev_ref(j, Some("commands"));
            for p in files.read.iter().take(20) {
                self.read_paths.push((p.clone(), r.clone()));
            }
            let what = if !files.written.is_empty() && !files.read.is_empty() {
                format!(
                    "{} archived into {} by {by} (`{}`)",
                    files.read.join(", "),
                    files.written.join(", "),
                    cmd
                )
            } else if files.dump {
                format!("database dumped by {by} (`{cmd}`)")
            } else if !files.read.is_empty() {
                format!("{} read by {by} (`{cmd}`)", files.read.join(", "))
            } else {
                format!("{} written by {by} (`{cmd}`)", files.written.join(", "))
            };
            self.actor("account", &by, 10, what.clone(), e.time_us, Some(r.clone()));
            if let Some(tu) = e.time_us {
                self.key_event(tu, "data", what.clone(), r.clone());
            }
            self.taken.push(Taken {
                time_us: e.time_us,
                what,
                evidence: r,
            });
        }
        // Archives staged in temp or web dirs.
        for (hi, h) in self.i.hosts.iter().enumerate() {
            let Some(latest) = h.latest() else { continue };
            let res = self.i.results.get(hi);
            let staged: Vec<(String, u64, Option<i64>, bool)> = match res {
                Some(r) if h.snaps.len() > 1 => r
                    .changes
                    .iter()
                    .filter(|c| {
                        matches!(
                            c.change,
                            ChangeClass::Added | ChangeClass::Modified | ChangeClass::Renamed
                        )
                    })
                    .filter(|c| {
                        secrets::is_staging_dir(&c.path) && secrets::is_archive_name(&c.path)
                    })
                    .filter_map(|c| {
                        let e = latest.snapshot.get(&c.path)?;
                        Some((c.path.clone(), e.size, e.mtime_ns.map(|n| n / 1000), true))
                    })
                    .collect(),
                _ => latest
                    .snapshot
                    .entries
                    .iter()
                    .filter(|e| e.kind == crate::archive::EntryType::File)
                    .filter(|e| {
                        secrets::is_staging_dir(&e.path) && secrets::is_archive_name(&e.path)
                    })
                    .filter(|e| {
                        e.path.starts_with("/tmp/")
                            || e.path.starts_with("/var/tmp/")
                            || e.path.starts_with("/dev/shm/")
                    })
                    .take(50)
                    .map(|e| (e.path.clone(), e.size, e.mtime_ns.map(|n| n / 1000), false))
                    .collect(),
            };
            for (p, size, mt, new) in staged {
                let mut r = self.file_ref(
                    &latest.label,
                    &p,
                    None,
                    &format!(
                        "{} archive, {}",
                        if new { "new" } else { "present" },
                        human_bytes(size)
                    ),
                );
                r.time = mt.map(rfc3339);
                let what = format!(
                    "{p} ({}) {} in a staging directory",
                    human_bytes(size),
                    if new {
                        "created between the captures"
                    } else {
                        "lies"
                    }
                );
                if let Some(tu) = mt {
                    self.key_event(tu, "data", format!("{p} written"), r.clone());
                }
                self.taken.push(Taken {
                    time_us: mt,
                    what,
                    evidence: r,
                });
            }
        }
        // The leak validation.
        if let Some(l) = self.i.leak {
            for s in &l.sources {
                let mut r = self.file_ref(
                    &s.snapshot,
                    &s.path,
                    Some("leak"),
                    &format!("{} of {} sample rows found here", s.matched_rows, l.rows),
                );
                r.time = s.first_seen.clone();
                self.read_paths.push((s.path.clone(), r.clone()));
                let by: Vec<String> = s
                    .accessed_by
                    .iter()
                    .map(|a| a.ip.clone().or_else(|| a.user.clone()).unwrap_or_default())
                    .collect();
                for a in &s.accessed_by {
                    let how = a.how.clone();
                    if let Some(ip) = &a.ip {
                        self.actor("ip", ip, 30, format!("read {} ({how})", s.path), None, None);
                    }
                    if let Some(u) = &a.user {
                        self.actor(
                            "account",
                            u,
                            30,
                            format!("read {} ({how})", s.path),
                            None,
                            None,
                        );
                    }
                }
                let what = format!(
                    "the published sample comes from {} ({} matched rows){}",
                    s.path,
                    s.matched_rows,
                    if by.is_empty() {
                        String::new()
                    } else {
                        format!(", read by {}", by.join(", "))
                    }
                );
                self.taken.push(Taken {
                    time_us: None,
                    what,
                    evidence: r,
                });
            }
        }

        let mut taken = Answer::default();
        self.taken.sort_by_key(|x| (x.time_us.is_none(), x.time_us));
        if self.taken.is_empty() {
            taken.summary =
                "The evidence shows no file read, downloaded or staged by the attacker.".into();
            taken.confidence = Some(if self.i.store.events.is_empty() {
                Confidence::None
            } else {
                Confidence::Low
            });
        } else {
            let n = self.taken.len();
            let first: Vec<String> = self.taken.iter().take(3).map(|x| x.what.clone()).collect();
            taken.summary = format!(
                "{n} trace(s) of data taken: {}{}.",
                first.join("; "),
                if n > 3 { "; …" } else { "" }
            );
            taken.confidence = Some(if self.taken.iter().any(|x| x.time_us.is_some()) {
                Confidence::High
            } else {
                Confidence::Medium
            });
            for x in &self.taken {
                taken.details.push(format!("{}.", x.what));
                taken.evidence.push(x.evidence.clone());
            }
            taken.details.truncate(MAX_EVIDENCE);
            taken.evidence.truncate(MAX_EVIDENCE);
        }
        if let Some(l) = self.i.leak {
            taken.details.push(format!(
                "Leak validation: {} ({} of {} rows matched).",
                l.verdict.as_str(),
                l.matched,
                l.rows
            ));
        }
        self.inv.answers.taken = taken;

        // First touch of the data.
        let mut fa = Answer::default();
        if let Some(first) = self.taken.iter().find(|x| x.time_us.is_some()) {
            fa.summary = format!(
                "First touch of the data at {}: {}.",
                first.time_us.map(t).unwrap_or_default(),
                first.what
            );
            fa.confidence = Some(Confidence::Medium);
            fa.evidence.push(first.evidence.clone());
            fa.details.push("The earliest timed read, download, dump or archive of data the evidence shows; an earlier untraced read cannot be ruled out.".into());
        } else if let Some(first) = self.taken.first() {
            fa.summary = format!(
                "The data was touched ({}), but the evidence does not date it.",
                first.what
            );
            fa.confidence = Some(Confidence::Low);
            fa.evidence.push(first.evidence.clone());
        } else {
            fa.summary = "The evidence shows no access to the data.".into();
            fa.confidence = Some(Confidence::None);
        }
        self.inv.answers.first_access = fa;
    }

    /// First and last attacker activity; the exposure window.
    fn when(&mut self) {
        let mut times: Vec<(i64, EvidenceRef)> = Vec::new();
        if let Some((f, l)) = self.activity {
            times.push((f.0, self.ev_ref(f.1, None)));
            times.push((l.0, self.ev_ref(l.1, None)));
        }
        // Key events from logs, and from files changed between two
        // captures (a lone snapshot's file times may be years old).
        let compared: BTreeSet<&str> = self
            .i
            .hosts
            .iter()
            .filter(|h| h.snaps.len() > 1)
            .flat_map(|h| h.snaps.iter().map(|s| s.label.as_str()))
            .collect();
        // File times can be legitimate changes of the months between the
        // captures (or forged): once the logs date the attack, a file time
        // only counts from the first logged attacker activity on.
        let mut file_times: Vec<(i64, EvidenceRef)> = Vec::new();
        for ke in &self.inv.timeline {
            if ke.phase == "capture" {
                continue;
            }
            if ke.evidence.line.is_some() {
                times.push((ke.time_us, ke.evidence.clone()));
            } else if compared.contains(ke.evidence.snapshot.as_str()) {
                file_times.push((ke.time_us, ke.evidence.clone()));
            }
        }
        // Sudo by attacker accounts.
        for &j in self.store().of_kind(Kind::Sudo) {
            if let Some(e) = self.event(j)
                && e.get(Field::User)
                    .is_some_and(|u| self.attacker_accounts.contains(u))
                && let Some(tu) = e.time_us
            {
                times.push((tu, self.ev_ref(j, Some("sudo"))));
            }
        }
        let first_logged = times.iter().map(|x| x.0).min();
        times.extend(
            file_times
                .into_iter()
                .filter(|x| first_logged.is_none_or(|f| x.0 >= f)),
        );
        times.sort_by_key(|x| x.0);
        let capture = self
            .i
            .hosts
            .iter()
            .filter_map(|h| h.latest())
            .filter_map(|s| s.captured_ns)
            .max();
        let mut when = Answer::default();
        let mut exposure = Answer::default();
        match (times.first(), times.last()) {
            (Some((f, fr)), Some((l, lr))) => {
                when.summary = format!("First attacker activity at {}, last at {}.", t(*f), t(*l));
                when.confidence = Some(if self.activity.is_none() {
                    Confidence::Low
                } else {
                    Confidence::High
                });
                when.evidence = vec![fr.clone(), lr.clone()];
                when.details.push(format!("First: {}", fr.text));
                when.details.push(format!("Last: {}", lr.text));
                match capture {
                    Some(c) => {
                        exposure.summary = format!(
                            "From {} to {} (capture): {}.",
                            t(*f),
                            t(c / 1000),
                            duration(c / 1000 - f)
                        );
                        exposure.confidence = when.confidence;
                        exposure.details.push("The end is the capture (containment); the attacker may have been cut off earlier.".into());
                    }
                    None => {
                        exposure.summary = format!(
                            "From {} to at least {} (the last attacker activity; folders carry no capture time).",
                            t(*f),
                            t(*l)
                        );
                        exposure.confidence = Some(Confidence::Low);
                    }
                }
                exposure.evidence = vec![fr.clone()];
            }
            _ => {
                when.summary = "The evidence does not date the attacker's activity.".into();
                when.confidence = Some(Confidence::None);
                exposure.summary = "The exposure window cannot be told from the evidence.".into();
                exposure.confidence = Some(Confidence::None);
            }
        }
        for h in self.i.hosts {
            for s in &h.snaps {
                if let Some(c) = s.captured_ns {
                    exposure.details.push(format!(
                        "{} captured {} ({}, {}).",
                        h.name,
                        t(c / 1000),
                        s.item.role,
                        s.label
                    ));
                }
            }
        }
        self.inv.answers.when = when;
        self.inv.answers.exposure = exposure;
    }

    fn systems(&mut self) {
        let mut a = Answer::default();
        let names: Vec<String> = self
            .i
            .hosts
            .iter()
            .map(|h| {
                let roles: Vec<String> = h.snaps.iter().map(|s| s.item.role.clone()).collect();
                format!("{} ({})", h.name, roles.join(", "))
            })
            .collect();
        a.summary = format!(
            "{} host(s) in the evidence: {}.",
            self.i.hosts.len(),
            names.join("; ")
        );
        a.confidence = Some(Confidence::High);
        for h in self.i.hosts {
            for s in &h.snaps {
                a.evidence.push(EvidenceRef {
                    snapshot: s.label.clone(),
                    path: "/".into(),
                    line: None,
                    time: s.item.captured_at.clone(),
                    rule: None,
                    text: excerpt(&format!(
                        "{} of {}, {} entries",
                        s.item.role,
                        h.name,
                        s.snapshot.entries.len()
                    )),
                });
            }
        }
        self.inv.answers.systems = a;
    }

    fn who(&mut self) {
        let mut actors: Vec<Actor> = self
            .actors
            .iter()
            .map(|((kind, value), acc)| Actor {
                kind: kind.clone(),
                value: value.clone(),
                score: acc.score,
                first: acc.first.map(rfc3339),
                last: acc.last.map(rfc3339),
                did: acc.did.clone(),
                evidence: acc.evidence.clone(),
            })
            .collect();
        actors.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.value.cmp(&b.value)));
        actors.truncate(100);
        let mut who = Answer::default();
        if actors.is_empty() {
            who.summary = "The evidence names no attacker address or account.".into();
            who.confidence = Some(Confidence::None);
        } else {
            let top: Vec<String> = actors
                .iter()
                .take(4)
                .map(|a| format!("{} {}", a.kind.replace('_', " "), a.value))
                .collect();
            who.summary = format!("{}.", top.join(", "));
            who.confidence = Some(if self.attacker_ips.is_empty() {
                Confidence::Low
            } else {
                Confidence::High
            });
            for a in actors.iter().take(10) {
                who.details
                    .push(format!("{} {}: {}.", a.kind, a.value, a.did.join("; ")));
                if let Some(e) = a.evidence.first() {
                    who.evidence.push(e.clone());
                }
            }
        }
        self.inv.answers.who = who;
        self.inv.actors = actors;
    }

    fn erased(&mut self) {
        let mut a = Answer::default();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for f in self
            .file_findings()
            .filter(|f| f.rule.starts_with("antiforensics."))
            .collect::<Vec<_>>()
        {
            let r = self.finding_ref(f);
            if let Some(tu) = self.mtime_of(&f.subject.snapshot, &f.subject.path) {
                self.key_event(
                    tu,
                    "anti_forensics",
                    format!("{}: {}", f.title, f.subject.path),
                    r.clone(),
                );
            }
            seen.insert(f.subject.path.clone());
            a.details.push(format!("{}: {}.", f.title, f.subject.path));
            a.evidence.push(r);
        }
        for (hi, h) in self.i.hosts.iter().enumerate() {
            let (Some(res), Some(latest)) = (self.i.results.get(hi), h.latest()) else {
                continue;
            };
            for c in &res.changes {
                if c.path.starts_with("/var/log/")
                    && matches!(
                        c.change,
                        ChangeClass::Truncated | ChangeClass::Rewritten | ChangeClass::Removed
                    )
                    && !seen.contains(&c.path)
                {
                    seen.insert(c.path.clone());
                    a.details.push(format!(
                        "{} {} between the captures.",
                        c.path,
                        c.change.as_str()
                    ));
                    a.evidence.push(self.file_ref(
                        &latest.label,
                        &c.path,
                        None,
                        c.detail.as_deref().unwrap_or(c.change.as_str()),
                    ));
                }
            }
        }
        for f in self
            .i
            .log_findings
            .iter()
            .filter(|f| {
                matches!(
                    f.rule.as_str(),
                    "erased_lines"
                        | "tampering_command"
                        | "log_gap"
                        | "time_jump"
                        | "empty_log"
                        | "log_truncated"
                )
            })
            .collect::<Vec<_>>()
        {
            // A log shown emptied by a file finding already is not repeated;
            // erased lines are (they name what was lost, which a changed
            // file does not).
            if f.rule != "erased_lines" && seen.iter().any(|p| f.title.contains(p.as_str())) {
                continue;
            }
            if f.rule == "tampering_command" && !self.by_attacker(f) {
                continue;
            }
            let r = f
                .subject
                .events
                .first()
                .map(|&j| self.ev_ref(j, Some(&f.rule)));
            if f.rule == "tampering_command"
                && let (Some(tu), Some(r)) = (f.subject.first_us, &r)
            {
                self.key_event(tu, "anti_forensics", f.title.clone(), r.clone());
            }
            a.details
                .push(format!("{}.", f.title.trim_end_matches('.')));
            if let Some(r) = r {
                a.evidence.push(r);
            }
        }
        if a.details.is_empty() {
            a.summary = if self.i.hosts.iter().any(|h| h.snaps.len() > 1) {
                "No log or history shows signs of being erased.".into()
            } else {
                "No sign of erased logs or history in this snapshot (without a baseline, rewritten files can go unseen).".into()
            };
            a.confidence = Some(Confidence::Low);
        } else {
            let first: Vec<String> = a
                .details
                .iter()
                .take(3)
                .map(|d| d.trim_end_matches('.').to_string())
                .collect();
            a.summary = format!(
                "{} trace(s) of erasure: {}.",
                a.details.len(),
                first.join("; ")
            );
            a.confidence = Some(Confidence::High);
        }
        a.evidence.truncate(MAX_EVIDENCE);
        self.inv.answers.erased = a;
    }

    fn left_behind(&mut self) {
        let mut a = Answer::default();
        let mut items: Vec<String> = Vec::new();
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for f in self
            .file_findings()
            .filter(|f| PERSISTENCE_PREFIXES.iter().any(|p| f.rule.starts_with(p)))
            .filter(|f| f.subject.change != Some(ChangeClass::Removed))
            .collect::<Vec<_>>()
        {
            // One line per path and kind.
            let kind = f.rule.split('.').next().unwrap_or("").to_string();
            if !seen.insert((f.subject.path.clone(), kind)) {
                continue;
            }
            let r = self.finding_ref(f);
            let what = match f.rule.as_str() {
                "accounts.new_user" => format!(
                    "new account ({}) in {}",
                    f.subject.evidence.first().cloned().unwrap_or_default(),
                    f.subject.path
                ),
                _ => format!("{}: {}", f.title, f.subject.path),
            };
            let phase = if f.rule.starts_with("privilege.") {
                "privilege"
            } else {
                "persistence"
            };
            if let Some(tu) = self.mtime_of(&f.subject.snapshot, &f.subject.path) {
                self.key_event(tu, phase, what.clone(), r.clone());
            }
            items.push(what.clone());
            a.details.push(format!("{what}."));
            a.evidence.push(r);
        }
        for &j in self.store().of_kind(Kind::UserAdd) {
            let Some(e) = self.event(j) else { continue };
            let Some(u) = e.get(Field::User) else {
                continue;
            };
            let r = self.ev_ref(j, Some("account_change"));
            if let Some(tu) = e.time_us {
                self.key_event(tu, "persistence", format!("account {u} created"), r.clone());
            }
            let u = u.to_string();
            if self
                .activity_window()
                .is_some_and(|(f, _)| e.time_us.is_some_and(|x| x >= f))
            {
                self.attacker_accounts.insert(u.clone());
                self.actor(
                    "account",
                    &u,
                    30,
                    "created during the attack".into(),
                    e.time_us,
                    Some(r.clone()),
                );
            }
            a.details.push(format!(
                "Account {u} created ({}).",
                e.time_us.map(t).unwrap_or_else(|| "untimed".into())
            ));
            a.evidence.push(r);
        }
        if a.details.is_empty() {
            a.summary = "No persistence found in the evidence.".into();
            a.confidence = Some(Confidence::Low);
        } else {
            let first: Vec<String> = items.iter().take(4).cloned().collect();
            a.summary = format!(
                "{} thing(s) to remove: {}.",
                a.details.len(),
                if first.is_empty() {
                    a.details.join(" ")
                } else {
                    first.join("; ")
                }
            );
            a.confidence = Some(Confidence::High);
        }
        a.evidence.truncate(MAX_EVIDENCE);
        self.inv.answers.left_behind = a;
    }

    /// Whether a log finding's events are the attacker's: by an attacker
    /// account (a history file's owner counts), or timed within the attack.
    fn by_attacker(&self, f: &LogFinding) -> bool {
        if f.subject
            .users
            .iter()
            .any(|u| self.attacker_accounts.contains(u))
        {
            return true;
        }
        if let (Some(t0), Some((first, _))) = (f.subject.first_us, self.activity_window()) {
            return t0 >= first;
        }
        f.subject.events.iter().take(100).any(|&j| {
            self.event(j)
                .and_then(|e| self.store().source_of(e))
                .map(|s| history_user(&s.path))
                .is_some_and(|u| self.attacker_accounts.contains(&u) || (self.root && u == "root"))
        })
    }

    fn activity_window(&self) -> Option<(i64, i64)> {
        self.activity.map(|(f, l)| (f.0, l.0))
    }

    fn add_credential(&mut self, c: Credential) {
        if let Some(x) = self
            .inv
            .credentials
            .iter_mut()
            .find(|x| x.kind == c.kind && x.subject == c.subject && x.host == c.host)
        {
            if c.priority > x.priority {
                x.priority = c.priority;
                x.reason = c.reason;
            }
            x.evidence.extend(c.evidence);
            x.evidence.truncate(5);
            return;
        }
        if self.inv.credentials.len() < 1000 {
            self.inv.credentials.push(c);
        }
    }

    /// Every account, key and secret to rotate. One method because the
    /// kinds share the de-duplication and priority rules at its end; each
    /// source of credentials (logins, accounts changed, keys added, secrets
    /// in read files, password hashes) is a marked block.
    fn credentials(&mut self) {
        let default_host = self
            .i
            .hosts
            .first()
            .map(|h| h.name.clone())
            .unwrap_or_default();
        // Accounts that logged in from attacking addresses.
        let mut logins: BTreeMap<String, (String, u32)> = BTreeMap::new();
        for k in [Kind::AuthSuccess, Kind::Login] {
            for &j in self.store().of_kind(k) {
                let Some(e) = self.event(j) else { continue };
                if let (Some(u), Some(ip)) = (e.get(Field::User), e.get(Field::Ip))
                    && self.attacker_ips.contains(ip)
                {
                    logins.entry(u.to_string()).or_insert((ip.to_string(), j));
                }
            }
        }
        for (u, (ip, j)) in logins {
            let r = self.ev_ref(j, None);
            self.add_credential(Credential {
                kind: "account".into(),
                subject: u.clone(),
                host: default_host.clone(),
                reason: format!("logged in from the attacking address {ip}: reset its password and end its sessions"),
                priority: Confidence::High,
                evidence: vec![r],
            });
        }
        // Accounts created by the attacker (between captures, or by useradd
        // during the attack).
        for (hi, h) in self.i.hosts.iter().enumerate() {
            let (Some(base), Some(latest)) = (h.baseline(), h.latest()) else {
                continue;
            };
            let _ = hi;
            let old = read_text(&base.snapshot, "/etc/passwd", MAX_TEXT).unwrap_or_default();
            let new = read_text(&latest.snapshot, "/etc/passwd", MAX_TEXT).unwrap_or_default();
            let old = crate::sysfiles::accounts::parse_passwd(&old);
            let new = crate::sysfiles::accounts::parse_passwd(&new);
            for (name, e) in &new {
                if !old.contains_key(name) {
                    let r = EvidenceRef {
                        snapshot: latest.label.clone(),
                        path: "/etc/passwd".into(),
                        line: Some(e.line as u64),
                        time: None,
                        rule: Some("accounts.new_user".into()),
                        text: excerpt(&format!(
                            "{name} uid {} shell {}",
                            e.uid.map(|u| u.to_string()).unwrap_or_default(),
                            e.shell
                        )),
                    };
                    self.actor(
                        "account",
                        name,
                        30,
                        "created between the captures".into(),
                        None,
                        Some(r.clone()),
                    );
                    self.add_credential(Credential {
                        kind: "account".into(),
                        subject: name.clone(),
                        host: h.name.clone(),
                        reason: "account created between the captures (by the attacker): remove it"
                            .into(),
                        priority: Confidence::High,
                        evidence: vec![r],
                    });
                }
            }
        }
        for &j in self.store().of_kind(Kind::UserAdd) {
            let Some(e) = self.event(j) else { continue };
            let Some(u) = e.get(Field::User) else {
                continue;
            };
            let in_attack = self
                .activity_window()
                .is_some_and(|(f, _)| e.time_us.is_some_and(|x| x >= f));
            if !in_attack {
                continue;
            }
            let r = self.ev_ref(j, Some("account_change"));
            self.add_credential(Credential {
                kind: "account".into(),
                subject: u.to_string(),
                host: default_host.clone(),
                reason: "account created during the attack: remove it".into(),
                priority: Confidence::High,
                evidence: vec![r],
            });
        }
        if self.root {
            let r = self
                .inv
                .answers
                .how
                .evidence
                .iter()
                .find(|e| e.rule.as_deref() == Some("sudo"))
                .cloned();
            self.add_credential(Credential {
                kind: "account".into(),
                subject: "root".into(),
                host: default_host.clone(),
                reason: "the attacker had root through sudo: reset root's password".into(),
                priority: Confidence::Medium,
                evidence: r.into_iter().collect(),
            });
        }
        // SSH keys added.
        for (hi, h) in self.i.hosts.iter().enumerate() {
            let (Some(res), Some(latest)) = (self.i.results.get(hi), h.latest()) else {
                continue;
            };
            let keyfiles: Vec<(String, bool)> = if let Some(base) = h.baseline() {
                res.changes
                    .iter()
                    .filter(|c| {
                        c.path.contains("/.ssh/authorized_keys") && c.change.content_changed()
                    })
                    .map(|c| (c.path.clone(), base.snapshot.get(&c.path).is_some()))
                    .collect()
            } else {
                latest
                    .snapshot
                    .entries
                    .iter()
                    .filter(|e| e.path.contains("/.ssh/authorized_keys") && e.has_content())
                    .map(|e| (e.path.clone(), false))
                    .collect()
            };
            for (path, had_old) in keyfiles.into_iter().take(200) {
                let new = read_text(&latest.snapshot, &path, MAX_TEXT).unwrap_or_default();
                let old = match (had_old, h.baseline()) {
                    (true, Some(b)) => read_text(&b.snapshot, &path, MAX_TEXT).unwrap_or_default(),
                    _ => String::new(),
                };
                let old_keys: BTreeSet<String> = secrets::authorized_keys(&old)
                    .into_iter()
                    .map(|k| k.fingerprint)
                    .collect();
                let owner = path_owner(&path);
                for k in secrets::authorized_keys(&new) {
                    if old_keys.contains(&k.fingerprint) {
                        continue;
                    }
                    let added = h.baseline().is_some();
                    if !added && !self.attacker_accounts.contains(&owner) {
                        continue;
                    }
                    let comment = if k.comment.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", k.comment)
                    };
                    let subject = format!("{}{comment} in {path}", k.fingerprint);
                    let r = EvidenceRef {
                        snapshot: latest.label.clone(),
                        path: path.clone(),
                        line: Some(k.line),
                        time: latest
                            .snapshot
                            .get(&path)
                            .and_then(|e| e.mtime_ns)
                            .map(|n| rfc3339(n / 1000)),
                        rule: Some("accounts.authorized_keys_changed".into()),
                        text: excerpt(&format!("{} {}{comment}", k.algorithm, k.fingerprint)),
                    };
                    self.actor(
                        "key",
                        &format!("{}{comment}", k.fingerprint),
                        40,
                        format!("added to {path}"),
                        None,
                        Some(r.clone()),
                    );
                    self.add_credential(Credential {
                        kind: "ssh_key".into(),
                        subject,
                        host: h.name.clone(),
                        reason: if added {
                            format!("key added to {owner}'s authorized_keys between the captures: remove it")
                        } else {
                            format!("key that opens {owner}, an account the attacker used: check it")
                        },
                        priority: if added { Confidence::High } else { Confidence::Medium },
                        evidence: vec![r],
                    });
                }
            }
        }
        // Secrets in files the attacker read or downloaded.
        let mut checked: BTreeSet<String> = BTreeSet::new();
        let read_paths = self.read_paths.clone();
        for (p, via) in read_paths {
            for h in self.i.hosts {
                let Some(latest) = h.latest() else { continue };
                let snap = &latest.snapshot;
                let files: Vec<String> = match snap.get(&p) {
                    Some(e) if e.kind == crate::archive::EntryType::File => vec![p.clone()],
                    _ => snap
                        .under(&p)
                        .filter(|e| e.kind == crate::archive::EntryType::File)
                        .map(|e| e.path.clone())
                        .take(10_000)
                        .collect(),
                };
                for f in files
                    .into_iter()
                    .filter(|f| secrets::is_config_file(f))
                    .take(100)
                {
                    if !checked.insert(format!("{}\u{0}{f}", h.name)) {
                        continue;
                    }
                    let Some(text) = read_text(snap, &f, MAX_TEXT) else {
                        continue;
                    };
                    for (var, line) in secrets::secret_variables(&text).into_iter().take(50) {
                        self.add_credential(Credential {
                            kind: "secret".into(),
                            subject: format!("{f}: {var}"),
                            host: h.name.clone(),
                            reason: format!(
                                "{var} is set in {f}, which the attacker read or took: rotate it"
                            ),
                            priority: Confidence::High,
                            evidence: vec![
                                EvidenceRef {
                                    snapshot: latest.label.clone(),
                                    path: f.clone(),
                                    line: Some(line),
                                    time: None,
                                    rule: None,
                                    text: format!("{var}=… (value not shown)"),
                                },
                                via.clone(),
                            ],
                        });
                    }
                }
            }
        }
        // Configuration secrets the attacker could read (root or a web shell).
        if self.root || self.web_shell {
            for h in self.i.hosts {
                let Some(latest) = h.latest() else { continue };
                let cands: Vec<String> = latest
                    .snapshot
                    .entries
                    .iter()
                    .filter(|e| e.has_content())
                    .filter(|e| {
                        ["/srv/", "/var/www/", "/opt/", "/home/"]
                            .iter()
                            .any(|d| e.path.starts_with(d))
                    })
                    .filter(|e| {
                        let n = e.name();
                        n == ".env"
                            || n == "wp-config.php"
                            || n == "config.php"
                            || n == "settings.py"
                            || n == "database.yml"
                            || n == ".my.cnf"
                            || n == ".pgpass"
                    })
                    .map(|e| e.path.clone())
                    .take(100)
                    .collect();
                for f in cands {
                    if !checked.insert(format!("{}\u{0}{f}", h.name)) {
                        continue;
                    }
                    let Some(text) = read_text(&latest.snapshot, &f, MAX_TEXT) else {
                        continue;
                    };
                    for (var, line) in secrets::secret_variables(&text).into_iter().take(50) {
                        self.add_credential(Credential {
                            kind: "secret".into(),
                            subject: format!("{f}: {var}"),
                            host: h.name.clone(),
                            reason: format!(
                                "{var} is set in {f}, readable with the attacker's {}",
                                if self.root {
                                    "root access"
                                } else {
                                    "web shell"
                                }
                            ),
                            priority: Confidence::Low,
                            evidence: vec![EvidenceRef {
                                snapshot: latest.label.clone(),
                                path: f.clone(),
                                line: Some(line),
                                time: None,
                                rule: None,
                                text: format!("{var}=… (value not shown)"),
                            }],
                        });
                    }
                }
            }
        }
        // Password hashes in a shadow file the attacker read or could read.
        let shadow_read = self
            .read_paths
            .iter()
            .find(|(p, _)| p == "/etc/shadow")
            .map(|x| x.1.clone());
        if self.root || shadow_read.is_some() {
            for h in self.i.hosts {
                let Some(latest) = h.latest() else { continue };
                let Some(text) = read_text(&latest.snapshot, "/etc/shadow", MAX_TEXT) else {
                    continue;
                };
                for acc in secrets::shadow_accounts_with_hash(&text)
                    .into_iter()
                    .take(500)
                {
                    let mut ev = vec![EvidenceRef {
                        snapshot: latest.label.clone(),
                        path: "/etc/shadow".into(),
                        line: None,
                        time: None,
                        rule: None,
                        text: format!("{acc}: password hash present (not shown)"),
                    }];
                    ev.extend(shadow_read.clone());
                    self.add_credential(Credential {
                        kind: "password_hash".into(),
                        subject: acc.clone(),
                        host: h.name.clone(),
                        reason: if shadow_read.is_some() {
                            "its password hash was in /etc/shadow, which the attacker read: change the password".into()
                        } else {
                            "its password hash was readable with the attacker's root access: change the password".into()
                        },
                        priority: if shadow_read.is_some() { Confidence::High } else { Confidence::Medium },
                        evidence: ev,
                    });
                }
            }
        }
        // Password hashes in the published sample.
        if let Some(l) = self.i.leak {
            let hashy = |c: &str| {
                let c = c.to_ascii_lowercase();
                c.contains("pass") || c.contains("hash") || c.contains("pwd")
            };
            let cols: Vec<&str> = l
                .columns
                .iter()
                .filter(|(k, v)| hashy(k) || hashy(v))
                .map(|(k, _)| k.as_str())
                .collect();
            if !cols.is_empty() {
                for src in l.sources.iter().take(50) {
                    let r = self.file_ref(
                        &src.snapshot,
                        &src.path,
                        Some("leak"),
                        &format!(
                            "{} sample rows from this file, column(s) {}",
                            src.matched_rows,
                            cols.join(", ")
                        ),
                    );
                    self.add_credential(Credential {
                        kind: "password_hash".into(),
                        subject: format!("every account of {} ({})", src.path, cols.join(", ")),
                        host: default_host.clone(),
                        reason: "the published sample holds password hashes of these accounts: force a password reset".into(),
                        priority: Confidence::High,
                        evidence: vec![r],
                    });
                }
            }
        }
        self.inv.credentials.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.subject.cmp(&b.subject))
        });
    }

    /// What the evidence cannot show: rewritten or missing logs, a lone
    /// snapshot, detections with nothing to read. A list of independent
    /// checks, kept together so the gaps read in one place.
    fn gaps(&mut self) {
        let store = self.store();
        let has_web = !store.of_kind(Kind::WebRequest).is_empty();
        let has_auth = [
            Kind::AuthSuccess,
            Kind::AuthFailure,
            Kind::SessionOpen,
            Kind::Sudo,
        ]
        .iter()
        .any(|&k| !store.of_kind(k).is_empty());
        // The log detections that read what is missing, from what each
        // declares it needs (detect::catalog).
        let idle = |reads: &str| {
            crate::detect::logs::DETECTIONS
                .iter()
                .filter(|d| d.reads.iter().any(|r| r.contains(reads)))
                .map(|d| d.id)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !has_web {
            self.inv.gaps.push(Gap {
                what: format!(
                    "No web server logs in the evidence: web uploads, scans and downloads cannot be seen (detections with nothing to judge: {}).",
                    idle("web server")
                ),
                evidence: Vec::new(),
            });
        }
        if !has_auth {
            self.inv.gaps.push(Gap {
                what: format!(
                    "No authentication logs (auth.log, secure, journal) in the evidence: logins and sudo cannot be seen (detections with nothing to judge: {}).",
                    idle("authentication")
                ),
                evidence: Vec::new(),
            });
        }
        for h in self.i.hosts {
            if h.snaps.len() == 1 {
                self.inv.gaps.push(Gap {
                    what: format!("Only one snapshot of {}: no baseline, so changed files cannot be told apart or dated by the captures.", h.name),
                    evidence: Vec::new(),
                });
            }
            for s in &h.snaps {
                if s.captured_ns.is_none() {
                    self.inv.gaps.push(Gap {
                        what: format!("{} is a folder: it carries no capture time, so the end of the exposure is not known from it.", s.label),
                        evidence: Vec::new(),
                    });
                }
            }
        }
        // Rewritten or truncated logs: what is missing.
        for (hi, h) in self.i.hosts.iter().enumerate() {
            let (Some(res), Some(latest)) = (self.i.results.get(hi), h.latest()) else {
                continue;
            };
            for c in &res.changes {
                if !c.path.starts_with("/var/log/")
                    || !matches!(
                        c.change,
                        ChangeClass::Rewritten | ChangeClass::Truncated | ChangeClass::Removed
                    )
                {
                    continue;
                }
                let now = self.source_span(&self.i.store.sources, latest, &c.path);
                let before = h
                    .baseline()
                    .and_then(|b| self.source_span(self.i.baseline_sources, b, &c.path));
                let when_changed = latest
                    .snapshot
                    .get(&c.path)
                    .and_then(|e| e.mtime_ns)
                    .map(|n| format!(" (last written {})", t(n / 1000)))
                    .unwrap_or_default();
                let what = match (c.change, now, before) {
                    (ChangeClass::Removed, _, _) => format!(
                        "{} was deleted between the captures{when_changed}: its events are missing.",
                        c.path
                    ),
                    (_, Some((nf, _)), Some((bf, bl))) if nf > bf => format!(
                        "{} was {} between the captures{when_changed}: it now starts at {} while the baseline held lines from {} to {}; events before {} are missing.",
                        c.path,
                        c.change.as_str(),
                        t(nf),
                        t(bf),
                        t(bl),
                        t(nf)
                    ),
                    (_, Some((nf, _)), _) => format!(
                        "{} was {} between the captures{when_changed}: its lines from before {} may be missing.",
                        c.path,
                        c.change.as_str(),
                        t(nf)
                    ),
                    _ => format!(
                        "{} was {} between the captures{when_changed}: some of its events are missing.",
                        c.path,
                        c.change.as_str()
                    ),
                };
                if self.inv.answers.how.confidence == Some(Confidence::None) {
                    self.inv.answers.how.details.push(format!(
                        "{} was {} between the captures: the traces of the way in may have been erased with it.",
                        c.path,
                        c.change.as_str()
                    ));
                }
                let r = self.file_ref(
                    &latest.label,
                    &c.path,
                    Some("log_rewritten"),
                    c.detail.as_deref().unwrap_or(c.change.as_str()),
                );
                self.inv.gaps.push(Gap {
                    what,
                    evidence: vec![r],
                });
            }
        }
        for f in self.i.log_findings.iter().filter(|f| f.rule == "log_gap") {
            let r: Vec<EvidenceRef> = f
                .subject
                .events
                .first()
                .map(|&j| self.ev_ref(j, Some("log_gap")))
                .into_iter()
                .collect();
            self.inv.gaps.push(Gap {
                what: format!(
                    "{}: events in that silence are missing.",
                    f.title.trim_end_matches('.')
                ),
                evidence: r,
            });
        }
        // History without times.
        let untimed_history = self
            .store()
            .sources
            .iter()
            .any(|s| s.parser == "history" && s.events > 0 && s.first_us.is_none());
        if untimed_history {
            self.inv.gaps.push(Gap {
                what: "Shell history has no timestamps (HISTTIMEFORMAT unset): its commands cannot be dated.".into(),
                evidence: Vec::new(),
            });
        }
        if self
            .i
            .hosts
            .iter()
            .flat_map(|h| h.snaps.iter())
            .any(|s| !s.snapshot.knows_capabilities)
        {
            self.inv.gaps.push(Gap {
                what: "Archives do not record file capabilities: a binary given cap_setuid would not show.".into(),
                evidence: Vec::new(),
            });
        }
    }

    /// The first and last event time of a log file in a snapshot, from the
    /// load's source summaries.
    fn source_span(
        &self,
        sources: &[SourceInfo],
        snap: &super::evidence::Snap,
        path: &str,
    ) -> Option<(i64, i64)> {
        sources
            .iter()
            .filter(|s| match &s.archive {
                Some(a) => *a == snap.path && s.path == path,
                None => logical_in(&snap.path, &s.path).as_deref() == Some(path),
            })
            .find_map(|s| s.first_us.zip(s.last_us))
    }

    fn findings(&mut self) {
        let mut out: Vec<RankedFinding> = Vec::new();
        for f in self.file_findings() {
            out.push(RankedFinding {
                rule: f.rule.clone(),
                severity: f.severity,
                title: excerpt(&f.title),
                explanation: excerpt(&f.explanation),
                evidence: vec![self.finding_ref(f)],
            });
        }
        for f in self.i.log_findings {
            out.push(RankedFinding {
                rule: f.rule.clone(),
                severity: f.severity,
                title: excerpt(&f.title),
                explanation: excerpt(&f.explanation),
                evidence: f
                    .subject
                    .events
                    .iter()
                    .take(3)
                    .map(|&j| self.ev_ref(j, Some(&f.rule)))
                    .collect(),
            });
        }
        out.sort_by(|a, b| {
            sev_rank(b.severity)
                .cmp(&sev_rank(a.severity))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        out.truncate(500);
        self.inv.findings = out;
    }

    fn capture_events(&mut self) {
        for h in self.i.hosts {
            for s in &h.snaps {
                if let Some(c) = s.captured_ns {
                    let r = EvidenceRef {
                        snapshot: s.label.clone(),
                        path: "acquisition.json".into(),
                        line: None,
                        time: Some(format_time(c)),
                        rule: None,
                        text: format!("{} captured ({})", h.name, s.item.role),
                    };
                    self.key_event(
                        c / 1000,
                        "capture",
                        format!("{} captured ({})", h.name, s.item.role),
                        r,
                    );
                }
            }
        }
    }
}

/// The command a web-shell request carries (`?cmd=cat+/etc/passwd`),
/// decoded.
pub fn web_command(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    for part in query.split('&') {
        let (k, v) = part.split_once('=')?;
        let k = k.to_ascii_lowercase();
        if ["cmd", "c", "exec", "command", "execute", "run", "x", "e"].contains(&k.as_str()) {
            let v = v.replace('+', " ");
            let d = decode_url(&v).into_owned();
            if !d.trim().is_empty() {
                return Some(d);
            }
        }
    }
    None
}

/// The account a history file belongs to (`/root/.bash_history` → root,
/// `/home/x/.bash_history` → x).
pub fn history_user(path: &str) -> String {
    path_owner(path)
}

/// The account owning a path under `/root` or `/home/NAME`.
pub fn path_owner(path: &str) -> String {
    let p = path.trim_start_matches('/');
    if p == "root" || p.starts_with("root/") || p.contains("/root/") && !p.contains("/home/") {
        return "root".into();
    }
    if let Some((_, rest)) = p.split_once("home/") {
        return rest.split('/').next().unwrap_or("").to_string();
    }
    String::new()
}

/// A duration in words: `3 h 12 min`, `2 d 4 h`.
pub fn duration(us: i64) -> String {
    let s = us.max(0) / 1_000_000;
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leak_report_feeds_taken_who_and_credentials() {
        use crate::leak::{Accessor, LeakReport, LeakSource, SampleInfo, Verdict};
        use crate::snapshot::Snapshot;
        let snap = super::super::evidence::Snap {
            path: "mem".into(),
            label: "mem".into(),
            snapshot: Snapshot::from_entries("mem", Vec::new()),
            host: "web01".into(),
            captured_ns: None,
            item: EvidenceItem {
                path: "mem".into(),
                kind: "directory".into(),
                host: Some("web01".into()),
                captured_at: None,
                role: "only".into(),
            },
        };
        let hosts = vec![Host {
            name: "web01".into(),
            snaps: vec![snap],
        }];
        let results = vec![HostResult {
            changes: Vec::new(),
            findings: Vec::new(),
        }];
        let leak = LeakReport {
            verdict: Verdict::Genuine,
            rows: 10,
            matched: 10,
            partial: 0,
            fabricated: Vec::new(),
            columns: [
                ("email".to_string(), "email".to_string()),
                ("pw".to_string(), "password_hash".to_string()),
            ]
            .into_iter()
            .collect(),
            sources: vec![LeakSource {
                snapshot: "mem".into(),
                path: "/srv/app/exports/users.csv".into(),
                records: 100,
                matched_rows: 10,
                first_seen: None,
                table: None,
                altered: None,
                accessed_by: vec![Accessor {
                    ip: Some("198.18.0.5".into()),
                    how: "http GET 200".into(),
                    requests: 1,
                    ..Accessor::default()
                }],
            }],
            reasons: Vec::new(),
            sample: SampleInfo::default(),
            examples: Vec::new(),
            candidates_read: 1,
            notes: Vec::new(),
        };
        let store = LogStore::default();
        let inv = analyze(&Inputs {
            hosts: &hosts,
            results: &results,
            store: &store,
            log_findings: &[],
            baseline_sources: &[],
            leak: Some(&leak),
        });
        let taken = &inv.answers.taken;
        assert!(
            taken
                .summary
                .contains("published sample comes from /srv/app/exports/users.csv"),
            "{}",
            taken.summary
        );
        assert!(taken.details.iter().any(|d| d.contains("genuine")));
        assert!(
            inv.actors
                .iter()
                .any(|a| a.kind == "ip" && a.value == "198.18.0.5")
        );
        let c = inv
            .credentials
            .iter()
            .find(|c| c.kind == "password_hash")
            .expect("hash credential");
        assert!(c.subject.contains("users.csv") && c.subject.contains("pw"));
        assert_eq!(c.priority, Confidence::High);
        // No logs and one snapshot: both gaps said.
        assert!(
            inv.gaps
                .iter()
                .any(|g| g.what.contains("No web server logs"))
        );
        assert!(
            inv.gaps
                .iter()
                .any(|g| g.what.contains("Only one snapshot of web01"))
        );
    }

    #[test]
    fn web_commands_are_decoded() {
        assert_eq!(
            web_command("/uploads/img.php?cmd=cat+/srv/app/.env").as_deref(),
            Some("cat /srv/app/.env")
        );
        assert_eq!(
            web_command("/x.php?a=1&cmd=cat%20%2Fetc%2Fshadow").as_deref(),
            Some("cat /etc/shadow")
        );
        assert_eq!(web_command("/x.php?page=2"), None);
        assert_eq!(web_command("/x.php"), None);
    }

    #[test]
    fn owners_of_home_paths() {
        assert_eq!(path_owner("/root/.bash_history"), "root");
        assert_eq!(path_owner("/home/deploy/.ssh/authorized_keys"), "deploy");
        assert_eq!(path_owner("/etc/passwd"), "");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(59 * 60 * 1_000_000), "59 min");
        assert_eq!(duration((3 * 3600 + 12 * 60) * 1_000_000), "3 h 12 min");
        assert_eq!(
            duration(2 * 86_400 * 1_000_000 + 4 * 3_600_000_000),
            "2 d 4 h"
        );
    }

    #[test]
    fn excerpts_are_inert_and_bounded() {
        let e = excerpt("a\u{1b}[2Jb\nc");
        assert!(!e.contains('\u{1b}'));
        assert!(!e.contains('\n'));
        assert_eq!(excerpt("a\u{1b}b\u{202e}c"), "a\\x1bb\\u{202e}c");
        assert!(excerpt(&"x".repeat(1000)).chars().count() <= MAX_TEXT_CHARS + 1);
    }
}
