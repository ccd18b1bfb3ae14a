//! The Compare screen when the two captures cover different ground (issue
//! 17, item 7), driven like a user with egui_kittest at 1024×700: the
//! banner names the profiles and sources that differ, the entries outside
//! the common scope have their own class ("not in both captures") and
//! filter, and are never shown as removed; identical scopes show no banner.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)]

use crate::util::gui::*;
use crate::util::write;

use egui_kittest::kittest::Queryable as _;
use exhibit::gui::Settings;
use std::path::{Path, PathBuf};

/// One web server's tree; `gone` is left out of it.
fn tree(root: &Path, gone: bool) {
    write(root, "etc/hostname", b"web01\n");
    write(root, "etc/hosts", b"127.0.0.1 localhost\n");
    write(root, "var/www/html/index.php", b"<?php echo 'hi'; ?>\n");
    if !gone {
        write(root, "var/www/html/old.php", b"<?php echo 'old'; ?>\n");
    }
}

/// Capture `root` with these profiles through the core library.
fn capture(root: &Path, out: &Path, profiles: &[&str]) -> PathBuf {
    let mut req = crate::util::root_request(root, out, "IR-17");
    req.profiles = profiles.iter().map(|p| p.to_string()).collect();
    req.compression = exhibit::capture::Compression::Store;
    crate::util::run_capture(&req)
}

fn run_compare(h: &mut H, old: &Path, new: &Path) {
    click(h, "Compare");
    type_into(h, "Baseline (before)", &old.display().to_string());
    type_into(h, "Incident (after)", &new.display().to_string());
    click(h, "Run comparison");
    wait_until(h, "the comparison to finish", |h| {
        h.state().v::<CompareView>().model.is_some() || h.state().v::<CompareView>().error.is_some()
    });
    assert!(h.state().v::<CompareView>().error.is_none());
}

#[test]
fn compare_names_the_scope_difference_and_lists_entries_not_in_both() {
    let tmp = tempfile::tempdir().unwrap();
    let (t1, t2) = (tmp.path().join("t1"), tmp.path().join("t2"));
    tree(&t1, false);
    tree(&t2, true);
    let system = capture(&t1, &tmp.path().join("a"), &["system"]);
    let web = capture(&t2, &tmp.path().join("b"), &["web"]);
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    run_compare(&mut h, &system, &web);

    // The banner, and what differs in it.
    wait_until(&mut h, "the scope banner", |h| {
        shows(h, "The two captures cover different ground")
    });
    assert!(
        shows(
            &h,
            "profiles differ: the newer capture used profile `web` v"
        ),
        "the banner names the newer capture's profile and its version"
    );
    assert!(
        shows(&h, ", the older profile `system` v"),
        "the banner names the older capture's profile and its version"
    );
    // /etc/hostname and /etc/hosts (system only), index.php (web only):
    // their own class and filter, no removed or added.
    let n = h
        .state()
        .v::<CompareView>()
        .model
        .as_ref()
        .unwrap()
        .result
        .scope
        .not_in_both;
    assert!(n >= 3, "{n}");
    let chip = format!("not in both captures ({n})");
    assert!(shows(&h, &chip), "the class filter names them");
    assert!(!shows(&h, "removed ("), "nothing is shown as removed");
    assert!(!shows(&h, "added ("), "nothing is shown as added");
    click(&mut h, &chip);
    wait_until(&mut h, "the filtered rows", |h| {
        shows(h, &format!("Showing {n} of"))
    });
    assert!(h.query_all_by_label("/etc/hostname").next().is_some());
    assert!(
        h.query_all_by_label("not in both captures").count() >= 1,
        "each row is labelled with its class"
    );
}

#[test]
fn identical_scopes_show_no_banner() {
    let tmp = tempfile::tempdir().unwrap();
    let (t1, t2) = (tmp.path().join("t1"), tmp.path().join("t2"));
    tree(&t1, false);
    tree(&t2, true);
    let a = capture(&t1, &tmp.path().join("a"), &["web"]);
    let b = capture(&t2, &tmp.path().join("b"), &["web"]);
    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    run_compare(&mut h, &a, &b);
    wait_until(&mut h, "the class counts", |h| shows(h, "removed (1)"));
    assert!(!shows(&h, "cover different ground"));
    assert!(!shows(&h, "not in both captures"));
}
