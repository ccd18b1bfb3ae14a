//! The pattern lists the detections match against, as data. All matching is
//! on lowercased, percent-decoded text. Replace any list through
//! [`super::DetectConfig::rules`].

use serde::{Deserialize, Serialize};

fn v(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// One attack-payload category: a name and substrings that reveal it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PayloadRule {
    pub name: String,
    pub patterns: Vec<String>,
}

/// Every pattern list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// Path endings of files that should never be served (backups, dumps,
    /// secrets, repositories).
    pub sensitive_suffixes: Vec<String>,
    /// Path fragments of sensitive files anywhere in the path.
    pub sensitive_fragments: Vec<String>,
    /// Directory names whose archives/exports are sensitive (`/backup/x.zip`).
    pub sensitive_dirs: Vec<String>,
    /// Extensions that are sensitive under `sensitive_dirs`.
    pub data_extensions: Vec<String>,
    /// Substrings of scanner user agents.
    pub scanner_agents: Vec<String>,
    /// Attack payload categories.
    pub payloads: Vec<PayloadRule>,
    /// Login endpoints for credential stuffing.
    pub login_paths: Vec<String>,
    /// Upload directories where a script should never run.
    pub upload_dirs: Vec<String>,
    /// Server-side script extensions.
    pub script_extensions: Vec<String>,
    /// Extensions a server executes: a file with one of them in an upload
    /// directory that answers 2xx is a script that ran.
    pub upload_script_extensions: Vec<String>,
    /// Query parameters web shells take commands in.
    pub webshell_params: Vec<String>,
    /// Commands that open a shell (after sudo/su) or an interactive escape.
    pub shell_commands: Vec<String>,
    /// Commands that tamper with accounts, logs or auditing.
    pub tamper_commands: Vec<String>,
    /// Groups that give administrative rights.
    pub privileged_groups: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            sensitive_suffixes: v(&[
                ".sql",
                ".sql.gz",
                ".sql.zip",
                ".sql.bz2",
                ".dump",
                ".bak",
                ".backup",
                ".old",
                ".orig",
                ".save",
                ".swp",
                "~",
                ".env",
                ".env.local",
                ".env.production",
                ".pem",
                ".key",
                ".p12",
                ".pfx",
                ".kdbx",
                ".sqlite",
                ".sqlite3",
                ".db",
                ".mdb",
                ".htpasswd",
                ".htaccess",
                "id_rsa",
                "id_dsa",
                "id_ecdsa",
                "id_ed25519",
                "wp-config.php.bak",
                "/.ds_store",
                ".bash_history",
                "/etc/passwd",
                "/etc/shadow",
                "web.config",
                "/.git",
                "/.svn",
                "/.hg",
            ]),
            sensitive_fragments: v(&[
                "/.git/",
                "/.svn/",
                "/.hg/",
                "/.aws/",
                "/.ssh/",
                "/.env",
                "phpinfo.php",
                "/server-status",
                "/config.php.",
                "/database.yml",
                "/settings.py",
                "/dump.",
            ]),
            sensitive_dirs: v(&[
                "/backup",
                "/backups",
                "/bak/",
                "/dump",
                "/dumps/",
                "/export",
                "/exports/",
                "/db/",
                "/database/",
                "/private/",
            ]),
            data_extensions: v(&[
                ".csv", ".xls", ".xlsx", ".json", ".xml", ".zip", ".tar", ".tar.gz", ".tgz", ".gz",
                ".7z", ".rar", ".bz2", ".txt",
            ]),
            scanner_agents: v(&[
                "sqlmap",
                "nikto",
                "acunetix",
                "netsparker",
                "w3af",
                "nmap",
                "masscan",
                "zgrab",
                "dirbuster",
                "gobuster",
                "dirb/",
                "wfuzz",
                "ffuf",
                "wpscan",
                "nuclei",
                "openvas",
                "nessus",
                "qualys",
                "burp",
                "zmeu",
                "morfeus",
                "jorgee",
                "hydra",
                "havij",
                "appscan",
                "webinspect",
                "arachni",
                "skipfish",
                "whatweb",
                "feroxbuster",
                "python-requests",
                "go-http-client",
                "libwww-perl",
                "zgrab",
                "censys",
            ]),
            payloads: vec![
                PayloadRule {
                    name: "sql_injection".into(),
                    patterns: v(&[
                        "union select",
                        "union all select",
                        "' or '1'='1",
                        "' or 1=1",
                        "\" or 1=1",
                        " or 1=1--",
                        "information_schema",
                        "sleep(",
                        "benchmark(",
                        "waitfor delay",
                        "xp_cmdshell",
                        "';--",
                        "extractvalue(",
                        "updatexml(",
                        "load_file(",
                        "@@version",
                        "concat(0x",
                    ]),
                },
                PayloadRule {
                    name: "path_traversal".into(),
                    patterns: v(&[
                        "../",
                        "..\\",
                        "/etc/passwd",
                        "/etc/shadow",
                        "c:\\windows",
                        "win.ini",
                        "/proc/self/environ",
                        "php://filter",
                        "file://",
                    ]),
                },
                PayloadRule {
                    name: "xss".into(),
                    patterns: v(&[
                        "<script",
                        "javascript:",
                        "onerror=",
                        "onload=",
                        "<svg",
                        "alert(",
                        "document.cookie",
                        "<iframe",
                    ]),
                },
                PayloadRule {
                    name: "shellshock".into(),
                    patterns: v(&["() {"]),
                },
                PayloadRule {
                    name: "jndi".into(),
                    patterns: v(&["${jndi:", "${${", "${lower:", "${env:"]),
                },
                PayloadRule {
                    name: "command_injection".into(),
                    patterns: v(&[
                        ";wget ",
                        ";curl ",
                        "|wget ",
                        "|curl ",
                        "$(wget",
                        "`wget",
                        ";cat /etc",
                        "|sh",
                        ";sh ",
                        "/bin/sh",
                        "/bin/bash",
                        "cmd.exe",
                        "powershell",
                    ]),
                },
            ],
            login_paths: v(&[
                "/login",
                "/signin",
                "/sign_in",
                "/wp-login.php",
                "/xmlrpc.php",
                "/user/login",
                "/users/sign_in",
                "/admin/login",
                "/administrator/index.php",
                "/auth",
                "/session",
                "/j_security_check",
                "/account/login",
                "/api/login",
                "/oauth/token",
            ]),
            upload_dirs: v(&[
                "/upload/",
                "/uploads/",
                "/files/",
                "/images/",
                "/img/",
                "/media/",
                "/tmp/",
                "/attachments/",
                "/wp-content/uploads/",
                "/userfiles/",
                "/assets/upload",
            ]),
            script_extensions: v(&[
                ".php", ".php3", ".php4", ".php5", ".phtml", ".phar", ".jsp", ".jspx", ".asp",
                ".aspx", ".cgi", ".pl", ".py", ".sh",
            ]),
            upload_script_extensions: v(&[
                ".php", ".php3", ".php4", ".php5", ".phtml", ".phar", ".jsp", ".jspx", ".asp",
                ".aspx", ".cgi",
            ]),
            webshell_params: v(&[
                "cmd=",
                "exec=",
                "command=",
                "execute=",
                "shell=",
                "c=",
                "run=",
                "passthru(",
                "system(",
                "shell_exec(",
            ]),
            shell_commands: v(&[
                "/bin/bash",
                "/bin/sh",
                "/bin/zsh",
                "/bin/dash",
                "/usr/bin/bash",
                "/usr/bin/sh",
                "/usr/bin/zsh",
                "/bin/su",
                "/usr/bin/su",
                "sudo -i",
                "sudo su",
                "su -",
                "pty.spawn",
                "python -c",
                "python3 -c",
                "perl -e",
                "nc -e",
                "ncat -e",
                "socat ",
                "/bin/busybox sh",
                "script -qc",
                "vim -c",
                "find . -exec",
                "awk 'begin {system",
            ]),
            tamper_commands: v(&[
                "useradd",
                "adduser",
                "usermod",
                "userdel",
                "passwd",
                "chpasswd",
                "visudo",
                "/etc/sudoers",
                "/etc/shadow",
                "/etc/passwd",
                "authorized_keys",
                "/var/log",
                "history -c",
                "unset histfile",
                "histfile=/dev/null",
                "shred",
                "truncate ",
                "auditctl -d",
                "auditctl -e 0",
                "systemctl stop auditd",
                "systemctl stop rsyslog",
                "service rsyslog stop",
                "service auditd stop",
                "chattr ",
                "journalctl --vacuum",
                "rm -rf /var/log",
                "wtmp",
                "btmp",
                "lastlog",
                "crontab ",
                "/etc/cron",
                "setenforce 0",
                "iptables -f",
                "ufw disable",
            ]),
            privileged_groups: v(&[
                "root", "sudo", "wheel", "admin", "adm", "docker", "lxd", "disk", "shadow",
            ]),
        }
    }
}

/// Whether `hay` (lowercase) contains any of `pats`; returns the first match.
pub fn any<'a>(hay: &str, pats: &'a [String]) -> Option<&'a str> {
    pats.iter()
        .find(|p| hay.contains(p.as_str()))
        .map(String::as_str)
}

/// A set of substrings searched at once (Aho-Corasick, ASCII
/// case-insensitive), falling back to plain searches if the automaton cannot
/// be built.
#[derive(Debug, Clone)]
pub struct Set {
    ac: Option<aho_corasick::AhoCorasick>,
    pats: Vec<String>,
}

impl Set {
    /// Compile a list.
    pub fn new(pats: &[String]) -> Self {
        let pats: Vec<String> = pats.iter().map(|p| p.to_ascii_lowercase()).collect();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&pats)
            .ok();
        Self { ac, pats }
    }

    /// The first pattern found in `hay` (by position), as its index.
    pub fn first(&self, hay: &str) -> Option<usize> {
        if self.pats.is_empty() {
            return None;
        }
        match &self.ac {
            Some(ac) => ac.find(hay).map(|m| m.pattern().as_usize()),
            None => {
                let l = hay.to_ascii_lowercase();
                self.pats.iter().position(|p| l.contains(p.as_str()))
            }
        }
    }

    /// Every pattern found in `hay` (with repeats), as indices.
    pub fn each(&self, hay: &str, mut f: impl FnMut(usize)) {
        if self.pats.is_empty() {
            return;
        }
        match &self.ac {
            Some(ac) => {
                for m in ac.find_iter(hay) {
                    f(m.pattern().as_usize());
                }
            }
            None => {
                let l = hay.to_ascii_lowercase();
                for (i, p) in self.pats.iter().enumerate() {
                    if l.contains(p.as_str()) {
                        f(i);
                    }
                }
            }
        }
    }

    /// The pattern text of an index.
    pub fn pattern(&self, i: usize) -> &str {
        self.pats.get(i).map_or("", String::as_str)
    }
}

/// The rules compiled for fast matching.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub scanner_agents: Set,
    /// All payload patterns; `payload_category[i]` names pattern i's rule.
    pub payloads: Set,
    pub payload_category: Vec<usize>,
    pub sensitive_fragments: Set,
    pub sensitive_dirs: Set,
    pub login_paths: Set,
    pub upload_dirs: Set,
    /// Sensitive suffixes that are plain extensions (`.sql`), lowercase.
    sensitive_ext: std::collections::HashSet<String>,
    /// The other sensitive suffixes.
    sensitive_other: Vec<String>,
    script_ext: std::collections::HashSet<String>,
}

/// The extension of the last path segment (with its dot, lowercased into
/// `buf`), if short.
fn extension<'b>(path: &str, buf: &'b mut [u8; 16]) -> Option<&'b str> {
    let seg = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = seg.rsplit_once('.')?;
    let n = ext.len() + 1;
    let out = buf.get_mut(..n)?;
    out[0] = b'.';
    for (o, c) in out[1..].iter_mut().zip(ext.bytes()) {
        *o = c.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

impl Compiled {
    pub fn new(r: &Rules) -> Self {
        let mut pats = Vec::new();
        let mut cat = Vec::new();
        for (ci, p) in r.payloads.iter().enumerate() {
            for s in &p.patterns {
                pats.push(s.clone());
                cat.push(ci);
            }
        }
        Self {
            scanner_agents: Set::new(&r.scanner_agents),
            payloads: Set::new(&pats),
            payload_category: cat,
            sensitive_fragments: Set::new(&r.sensitive_fragments),
            sensitive_dirs: Set::new(&r.sensitive_dirs),
            login_paths: Set::new(&r.login_paths),
            upload_dirs: Set::new(&r.upload_dirs),
            sensitive_ext: r
                .sensitive_suffixes
                .iter()
                .filter(|s| is_plain_ext(s))
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            sensitive_other: r
                .sensitive_suffixes
                .iter()
                .filter(|s| !is_plain_ext(s))
                .cloned()
                .collect(),
            script_ext: r
                .script_extensions
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a path (no query) ends in a server-side script extension.
    pub fn is_script(&self, path: &str) -> bool {
        let mut buf = [0u8; 16];
        extension(path, &mut buf).is_some_and(|e| self.script_ext.contains(e))
    }

    /// Whether a decoded path (no query) names a sensitive file; the reason.
    pub fn sensitive_path(&self, r: &Rules, path: &str) -> Option<String> {
        let mut buf = [0u8; 16];
        if let Some(e) = extension(path, &mut buf).filter(|e| self.sensitive_ext.contains(*e)) {
            return Some(e.to_string());
        }
        if let Some(s) = self.sensitive_other.iter().find(|s| ends_with_ci(path, s)) {
            return Some(s.clone());
        }
        if let Some(i) = self.sensitive_fragments.first(path) {
            return Some(self.sensitive_fragments.pattern(i).to_string());
        }
        if let Some(i) = self.sensitive_dirs.first(path)
            && r.data_extensions.iter().any(|e| ends_with_ci(path, e))
        {
            return Some(format!(
                "data file under {}",
                self.sensitive_dirs.pattern(i)
            ));
        }
        None
    }
}

fn is_plain_ext(s: &str) -> bool {
    s.starts_with('.') && s.len() > 1 && !s[1..].contains(['.', '/'])
}

/// ASCII case-insensitive `ends_with`.
pub fn ends_with_ci(hay: &str, suffix: &str) -> bool {
    hay.len() >= suffix.len()
        && hay
            .as_bytes()
            .get(hay.len() - suffix.len()..)
            .is_some_and(|t| t.eq_ignore_ascii_case(suffix.as_bytes()))
}
