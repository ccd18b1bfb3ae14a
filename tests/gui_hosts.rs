//! The Hosts screen in the workstation, driven like a user at laptop size
//! (1024×700): a case holding the archives of three hosts, one with a
//! replaced `/usr/bin/ps`, shows the Hosts tab, stacks the hosts in the
//! background, lists the replaced program, and opens it on that host in
//! the evidence browser.

use crate::stack::host_tree;
use crate::util::gui::*;
use crate::util::write;
use egui_kittest::kittest::Queryable as _;
use exhibit::gui::Settings;
use exhibit::gui::context::Screen;
use exhibit::gui::views::browser::BrowserView;
use exhibit::gui::views::hosts::HostsView;

#[test]
fn a_case_of_three_hosts_shows_the_one_that_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let trees = tmp.path().join("trees");
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example.org";
    let roots: Vec<_> = ["app1", "app2", "app3"]
        .iter()
        .map(|n| host_tree(&trees, n, key))
        .collect();
    write(&roots[1], "usr/bin/ps", b"\x7fELF a ps that hides things\n");
    let dir = tmp.path().join("IR-16");
    exhibit::case::create(
        &dir,
        exhibit::case::CaseInfo {
            case_id: "IR-16".into(),
            examiner: "Dana Scully".into(),
            ..Default::default()
        },
    )
    .unwrap();
    for (i, root) in roots.iter().enumerate() {
        let id = format!("E0{}", i + 1);
        crate::util::capture(&["--root", root.to_str().unwrap(), "--evidence", &id], &dir);
    }

    let mut h = app(1024.0, 700.0, Settings::default());
    h.step();
    assert!(
        h.query_by_label("Hosts").is_none(),
        "no Hosts tab without a case"
    );
    type_into(&mut h, "Existing case folder", &dir.display().to_string());
    click(&mut h, "Open case");
    wait_until(&mut h, "the case's hosts", |h| {
        h.state().v::<HostsView>().hosts.len() == 3
    });
    click(&mut h, "Hosts");
    assert_eq!(h.state().screen, Screen("hosts"));
    wait_until(&mut h, "the stack", |h| {
        h.state().v::<HostsView>().result.is_some()
    });
    let v = h.state().v::<HostsView>();
    let r = v.result.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(r.hosts.len(), 3);
    let ps = r.outliers.first().unwrap();
    assert_eq!(
        (ps.key.as_str(), ps.hosts.clone()),
        ("/usr/bin/ps", vec!["app2".to_string()])
    );
    h.step();
    assert!(
        shows(&h, "/usr/bin/ps"),
        "the table lists the replaced program"
    );
    assert!(shows(&h, "3 hosts"));

    // Its detail, then the file on app2 in the evidence browser.
    h.get_by_label("/usr/bin/ps").click();
    h.step();
    h.step();
    assert!(shows(&h, "on 1 of 3 hosts"));
    click(&mut h, "Open on app2 in the evidence browser");
    wait_until(&mut h, "the file in the evidence browser", |h| {
        h.state().screen == Screen::EVIDENCE && h.state().v::<BrowserView>().jumped_to.is_some()
    });
    let b = h.state().v::<BrowserView>();
    assert!(b.path.text.contains("app2"), "{}", b.path.text);
}
