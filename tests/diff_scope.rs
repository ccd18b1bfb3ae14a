//! `exhibit diff` between captures that cover different ground (issue 17,
//! item 7): the same server captured with different sources (the whole
//! tree, then only a subfolder), different profiles, and profiles that
//! differ only by their excludes. Entries outside the other capture's scope
//! must be "not in both captures", never removed or added, and make no
//! deletion finding; real deletions inside both scopes stay `removed`. The
//! real binary is run; its JSON, text and HTML (read back with Python's
//! `html.parser`) are checked. Identical scopes show no banner.

use crate::util::{exhibit, write};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The server before and after: the after side lost a PHP file and a log
/// inside the web root (real deletions the findings must still report).
fn trees(dir: &Path) -> (PathBuf, PathBuf) {
    let (old, new) = (dir.join("before"), dir.join("after"));
    for root in [&old, &new] {
        write(
            root,
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n",
        );
        write(root, "etc/hostname", b"web01\n");
        write(root, "etc/nginx/nginx.conf", b"events {}\n");
        write(root, "var/www/html/index.php", b"<?php echo 'hi'; ?>\n");
        write(root, "var/www/html/cache/page.html", b"<p>cached</p>\n");
        write(
            root,
            "var/log/auth.log",
            b"Jan 1 00:00:01 web01 sshd[1]: Accepted publickey for root\n",
        );
    }
    write(&old, "var/www/html/old.php", b"<?php echo 'old'; ?>\n");
    write(
        &old,
        "var/www/html/debug.log",
        b"debug line 1\ndebug line 2\n",
    );
    (old, new)
}

/// Capture `root` (with `args`, e.g. sources or `--profile`) into `out`;
/// `profiles` is the user profile directory, if any.
fn capture(root: &Path, out: &Path, args: &[&str], profiles: Option<&Path>) -> PathBuf {
    let mut cmd = exhibit();
    cmd.arg("capture").arg("--root").arg(root).args(args);
    cmd.arg("-o").arg(out).args([
        "--case",
        "IR-17",
        "--examiner",
        "Tess",
        "--store",
        "--json",
        "-q",
    ]);
    if let Some(p) = profiles {
        cmd.env("EXHIBIT_PROFILE_DIR", p);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    PathBuf::from(v["archive"].as_str().unwrap())
}

fn diff(old: &Path, new: &Path, extra: &[&str], profiles: Option<&Path>) -> (String, i32) {
    let mut cmd = exhibit();
    cmd.arg("diff").arg(old).arg(new).args(extra).arg("-q");
    if let Some(p) = profiles {
        cmd.env("EXHIBIT_PROFILE_DIR", p);
    }
    let o = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

fn diff_json(old: &Path, new: &Path, profiles: Option<&Path>) -> Value {
    let (out, code) = diff(old, new, &["--json"], profiles);
    assert_eq!(code, 0, "{out}");
    serde_json::from_str(&out).unwrap()
}

fn class_of<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
        .and_then(|c| c["change"].as_str())
}

fn findings_on(doc: &Value, rule: &str, path: &str) -> usize {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule && f["path"] == path)
        .count()
}

fn difference<'a>(doc: &'a Value, field: &str) -> &'a Value {
    doc["scope"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["field"] == field)
        .unwrap_or_else(|| panic!("no {field} difference in {}", doc["scope"]))
}

/// The text of the HTML report's scope banner, read by Python's parser.
fn html_banner(html: &Path) -> String {
    let script = r#"
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.depth = 0; self.out = []; self.h3 = []; self.in_h3 = False
    def handle_starttag(self, tag, attrs):
        if self.depth: self.depth += tag == "div"
        elif tag == "div" and ("id", "scope") in attrs: self.depth = 1
        if tag == "h3": self.in_h3 = True; self.h3.append("")
    def handle_endtag(self, tag):
        if self.depth and tag == "div": self.depth -= 1
        if tag == "h3": self.in_h3 = False
    def handle_data(self, d):
        if self.depth: self.out.append(d)
        if self.in_h3: self.h3[-1] += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print("BANNER:" + " ".join(p.out))
for h in p.h3: print("H3:" + h)
"#;
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(html)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_subfolder_capture_makes_the_rest_not_in_both_not_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let (t1, t2) = trees(tmp.path());
    let whole = capture(&t1, &tmp.path().join("a"), &[], None);
    let web = capture(&t2, &tmp.path().join("b"), &["/var/www"], None);
    let doc = diff_json(&whole, &web, None);

    let d = difference(&doc, "sources");
    assert_eq!(d["only_new"], serde_json::json!(["/var/www"]));
    assert_eq!(d["only_old"], serde_json::json!(["/"]));
    assert_eq!(doc["scope"]["ground_differs"], true);
    // Outside the newer capture's sources: not in both, with why.
    for p in ["/etc/passwd", "/etc/nginx/nginx.conf", "/var/log/auth.log"] {
        assert_eq!(class_of(&doc, p), Some("not_in_both"), "{p}");
    }
    let auth = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "/var/log/auth.log")
        .unwrap();
    assert_eq!(auth["scope"]["only_in"], "old");
    assert_eq!(auth["scope"]["decided"], true);
    assert!(
        auth["scope"]["reason"]
            .as_str()
            .unwrap()
            .contains("/var/www"),
        "{auth}"
    );
    // Inside both scopes, a deletion is still a deletion, and judged.
    assert_eq!(class_of(&doc, "/var/www/html/old.php"), Some("removed"));
    assert_eq!(class_of(&doc, "/var/www/html/debug.log"), Some("removed"));
    assert_eq!(
        findings_on(&doc, "antiforensics.log_deleted", "/var/www/html/debug.log"),
        1,
        "a log deleted inside both scopes is reported"
    );
    assert_eq!(
        findings_on(&doc, "antiforensics.log_deleted", "/var/log/auth.log"),
        0,
        "a log outside the newer capture's scope was not deleted as far as the evidence shows"
    );
    let not_in_both = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "not_in_both")
        .count() as u64;
    assert_eq!(doc["scope"]["not_in_both"], not_in_both);
    assert!(not_in_both >= 3);

    // The other way round: the rest of the tree is not "added" either.
    let back = diff_json(&web, &whole, None);
    assert_eq!(class_of(&back, "/etc/passwd"), Some("not_in_both"));
    assert_eq!(class_of(&back, "/var/www/html/old.php"), Some("added"));

    // Text: the scope first, and the count apart from the changes.
    let (text, code) = diff(&whole, &web, &[], None);
    assert_eq!(code, 0);
    let first: Vec<&str> = text.lines().take(3).collect();
    assert_eq!(
        first.first().copied(),
        Some("scope: the two captures cover different ground"),
        "{text}"
    );
    assert!(
        text.contains("  sources differ: /var/www only in the newer capture; / only in the older"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "not in both captures: {not_in_both} (outside the other capture's scope"
        )),
        "{text}"
    );

    // HTML: the banner and the class heading, read back by another parser.
    let html = tmp.path().join("report.html");
    let (_, code) = diff(&whole, &web, &["--html", html.to_str().unwrap()], None);
    assert_eq!(code, 0);
    let parsed = html_banner(&html);
    assert!(
        parsed.contains("BANNER:The two captures cover different ground"),
        "{parsed}"
    );
    assert!(
        parsed.contains("sources differ: /var/www only in the newer capture"),
        "{parsed}"
    );
    assert!(
        parsed.contains(&format!("H3:not in both captures ({not_in_both})")),
        "{parsed}"
    );
    assert!(parsed.contains("H3:removed (2)"), "{parsed}");
}

#[test]
fn different_profiles_are_named_and_judged_by_their_own_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let (t1, t2) = trees(tmp.path());
    let system = capture(&t1, &tmp.path().join("a"), &["--profile", "system"], None);
    let web = capture(&t2, &tmp.path().join("b"), &["--profile", "web"], None);
    let doc = diff_json(&system, &web, None);

    // Each capture recorded the version of the profile it used.
    let version = |side: &str, name: &str| {
        let v = doc["scope"][side]["profile_versions"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no version of {name}: {}", doc["scope"][side]))
            .to_string();
        assert!(
            v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()),
            "{v}"
        );
        v
    };
    let (web_v, system_v) = (version("new", "web"), version("old", "system"));
    let banner = format!(
        "profiles differ: the newer capture used profile `web` v{}, the older profile `system` v{}",
        &web_v[..12],
        &system_v[..12]
    );
    let p = difference(&doc, "profiles");
    assert_eq!(p["text"], banner.as_str());
    assert_eq!(doc["scope"]["new"]["profiles"], serde_json::json!(["web"]));
    assert!(
        doc["scope"]["new"]["excludes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("node_modules")),
        "the web profile's excludes are part of its scope: {}",
        doc["scope"]["new"]
    );
    // /etc/hostname: only the system profile takes it; the web root only
    // the web profile.
    assert_eq!(class_of(&doc, "/etc/hostname"), Some("not_in_both"));
    assert_eq!(
        class_of(&doc, "/var/www/html/index.php"),
        Some("not_in_both")
    );
    assert_eq!(class_of(&doc, "/etc/nginx/nginx.conf"), Some("not_in_both"));
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["change"] != "removed" && c["change"] != "added"),
        "nothing is added or removed between two different profiles of one tree: {}",
        doc["changes"]
    );
    let (text, _) = diff(&system, &web, &[], None);
    assert!(text.contains(&format!("  {banner}")), "{text}");
}

#[test]
fn different_excludes_leave_the_excluded_folder_out_of_both() {
    let tmp = tempfile::tempdir().unwrap();
    let (t1, t2) = trees(tmp.path());
    let dir = tmp.path().join("profiles");
    std::fs::create_dir_all(&dir).unwrap();
    let profile = |name: &str, exclude: &str| {
        format!(
            "name = \"{name}\"\ndescription = \"the web root\"\n[[rule]]\nname = \"www\"\npaths = [\"/var/www/**\"]\nexclude = [{exclude}]\n"
        )
    };
    std::fs::write(dir.join("site-all.toml"), profile("site-all", "")).unwrap();
    std::fs::write(
        dir.join("site-nocache.toml"),
        profile("site-nocache", "\"/var/www/html/cache\""),
    )
    .unwrap();
    let all = capture(
        &t1,
        &tmp.path().join("a"),
        &["--profile", "site-all"],
        Some(&dir),
    );
    let nocache = capture(
        &t2,
        &tmp.path().join("b"),
        &["--profile", "site-nocache"],
        Some(&dir),
    );
    let doc = diff_json(&all, &nocache, Some(&dir));
    let x = difference(&doc, "excludes");
    assert_eq!(
        x["only_new"],
        serde_json::json!(["site-nocache/www: /var/www/html/cache"])
    );
    assert_eq!(
        class_of(&doc, "/var/www/html/cache/page.html"),
        Some("not_in_both")
    );
    let c = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "/var/www/html/cache/page.html")
        .unwrap();
    assert!(
        c["scope"]["reason"]
            .as_str()
            .unwrap()
            .contains("/var/www/html/cache was excluded"),
        "{c}"
    );
    // The deletions inside both scopes stay deletions.
    assert_eq!(class_of(&doc, "/var/www/html/old.php"), Some("removed"));
    assert_eq!(
        findings_on(&doc, "antiforensics.log_deleted", "/var/www/html/debug.log"),
        1
    );
}

#[test]
fn identical_scopes_show_no_banner_and_keep_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let (t1, t2) = trees(tmp.path());
    let a = capture(&t1, &tmp.path().join("a"), &["--profile", "web"], None);
    let b = capture(&t2, &tmp.path().join("b"), &["--profile", "web"], None);
    let doc = diff_json(&a, &b, None);
    assert_eq!(doc["scope"]["differences"], serde_json::json!([]));
    assert_eq!(doc["scope"]["ground_differs"], false);
    assert_eq!(doc["scope"]["not_in_both"], 0);
    assert_eq!(class_of(&doc, "/var/www/html/old.php"), Some("removed"));
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("scope").is_none())
    );
    let (text, _) = diff(&a, &b, &[], None);
    assert!(text.starts_with("old: "), "{text}");
    assert!(!text.contains("not in both"), "{text}");
    let html = tmp.path().join("same.html");
    diff(&a, &b, &["--html", html.to_str().unwrap()], None);
    let parsed = html_banner(&html);
    assert!(parsed.starts_with("BANNER:\n"), "{parsed}");
}
