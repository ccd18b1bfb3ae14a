//! The pure readers behind the credentials and the "taken" answer
//! (`investigate::secrets`): which variables of a configuration file hold a
//! secret (by name, the value is never kept), the fingerprint and comment
//! of each authorized_keys line, which accounts of a shadow file hold a
//! password hash, what sshd_config says about passwords, which files a
//! shell command reads or writes (`cat`, `tar`, `zip`, `cp`, dumps), and
//! the credentials CSV (CSV-injection safe).

use super::model::Credential;

/// Whether a path names a configuration file that may hold secrets.
pub fn is_config_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name == ".env"
        || name.starts_with(".env.")
        || name.ends_with(".env")
        || [
            "wp-config.php",
            "config.php",
            "configuration.php",
            "settings.py",
            "local_settings.py",
            "database.yml",
            "secrets.yml",
            "credentials",
            ".pgpass",
            ".my.cnf",
            "my.cnf",
            ".netrc",
            "parameters.yml",
            "appsettings.json",
            "config.json",
            "application.properties",
            "application.yml",
        ]
        .contains(&name.as_str())
        || [
            ".ini",
            ".conf",
            ".cnf",
            ".toml",
            ".yaml",
            ".yml",
            ".properties",
        ]
        .iter()
        .any(|x| name.ends_with(x))
}

/// Whether a variable name is one that holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "_PASS",
        "PASS_",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "AUTH_KEY",
        "CREDENTIAL",
        "DATABASE_URL",
        "DSN",
        "SALT",
    ]
    .iter()
    .any(|p| n.contains(p))
        || n == "PASS"
}

/// The secret variables a configuration file sets: `(name, 1-based line)`.
/// Understands `NAME=value` (shell, .env, ini), `NAME: value` (YAML),
/// `define('NAME', 'value')` (PHP), `$name = 'value'` (PHP) and
/// `"name": "value"` (JSON). Only names with a non-empty value are kept;
/// the values are read to decide that and dropped.
pub fn secret_variables(text: &str) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for (i, raw) in text.lines().enumerate().take(100_000) {
        let line = raw.trim();
        if line.starts_with('#') || line.starts_with("//") || line.starts_with(';') {
            continue;
        }
        let Some((name, value)) = assignment(line) else {
            continue;
        };
        let value = value
            .trim()
            .trim_end_matches(';')
            .trim_end_matches(')')
            .trim()
            .trim_matches(|c| c == '\'' || c == '"' || c == ',')
            .trim();
        if name.is_empty() || value.is_empty() || !is_secret_name(&name) {
            continue;
        }
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, i as u64 + 1));
        }
    }
    out
}

/// `(name, value)` of one assignment line, when it is one.
fn assignment(line: &str) -> Option<(String, &str)> {
    let ident = |s: &str| -> Option<String> {
        let s = s
            .trim()
            .trim_start_matches("export ")
            .trim_start_matches('$')
            .trim_matches(|c| c == '\'' || c == '"')
            .trim();
        (!s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .then(|| s.to_string())
    };
    if let Some(rest) = line.strip_prefix("define(") {
        let (name, value) = rest.split_once(',')?;
        return Some((ident(name)?, value));
    }
    let eq = line.find('=');
    let colon = line.find(':');
    let at = match (eq, colon) {
        (Some(e), Some(c)) => e.min(c),
        (Some(e), None) => e,
        (None, Some(c)) => c,
        (None, None) => return None,
    };
    let (name, value) = (line.get(..at)?, line.get(at + 1..)?);
    let value = value.strip_prefix('>').unwrap_or(value); // `=>` in PHP arrays
    Some((ident(name)?, value))
}

/// One authorized_keys line, described without the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLine {
    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub algorithm: String,
    pub comment: String,
    /// 1-based.
    pub line: u64,
    /// The line, to compare with the baseline's lines.
    pub raw: String,
}

/// The keys of an authorized_keys file (lines that do not parse are skipped).
pub fn authorized_keys(text: &str) -> Vec<KeyLine> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate().take(10_000) {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(Ok(entry)) = ssh_key::AuthorizedKeys::new(line).next() else {
            continue;
        };
        let key = entry.public_key();
        out.push(KeyLine {
            fingerprint: key.fingerprint(ssh_key::HashAlg::Sha256).to_string(),
            algorithm: key.algorithm().to_string(),
            comment: key.comment().to_string(),
            line: i as u64 + 1,
            raw: line.to_string(),
        });
    }
    out
}

/// The accounts of a shadow file that hold a password hash (locked ones
/// included: unlocking restores the hash). The hashes are not kept.
pub fn shadow_accounts_with_hash(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().take(100_000) {
        let mut f = line.split(':');
        let (Some(name), Some(hash)) = (f.next(), f.next()) else {
            continue;
        };
        let h = hash.trim_start_matches('!');
        if !name.is_empty() && (h.starts_with('$') || h.len() == 13) && h != "*" {
            out.push(name.to_string());
        }
    }
    out
}

/// What sshd_config says: `PasswordAuthentication` (default yes) and
/// `PermitRootLogin` (default `prohibit-password`), first value wins as in
/// sshd. `Match` blocks are not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshdSettings {
    pub password_auth: bool,
    /// The line that set it, if any (else the default applies).
    pub password_auth_line: Option<u64>,
    pub permit_root_login: String,
    pub permit_root_line: Option<u64>,
}

pub fn sshd_settings(text: &str) -> SshdSettings {
    let mut s = SshdSettings {
        password_auth: true,
        password_auth_line: None,
        permit_root_login: "prohibit-password".into(),
        permit_root_line: None,
    };
    for (i, raw) in text.lines().enumerate().take(100_000) {
        let line = raw.trim();
        let mut words = line.split_whitespace();
        let (Some(k), Some(v)) = (words.next(), words.next()) else {
            continue;
        };
        let k = k.to_ascii_lowercase();
        if k == "match" {
            break;
        }
        if k == "passwordauthentication" && s.password_auth_line.is_none() {
            s.password_auth = v.eq_ignore_ascii_case("yes");
            s.password_auth_line = Some(i as u64 + 1);
        }
        if k == "permitrootlogin" && s.permit_root_line.is_none() {
            s.permit_root_login = v.to_ascii_lowercase();
            s.permit_root_line = Some(i as u64 + 1);
        }
    }
    s
}

/// What one shell command does with files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandFiles {
    /// Files or directories read (absolute paths as written).
    pub read: Vec<String>,
    /// Archives or dumps written.
    pub written: Vec<String>,
    /// A database dump (`mysqldump`, `pg_dump`...).
    pub dump: bool,
}

/// The files a shell command reads and writes (`cat`, `less`, `head`,
/// `tail`, `base64`, `cp`, `scp`, `tar`, `zip`, `7z`, `mysqldump`,
/// `pg_dump` ... `> out`). Pipelines and `;`-lists are split.
pub fn command_files(cmd: &str) -> CommandFiles {
    let mut out = CommandFiles::default();
    for part in cmd.split(['|', ';', '&']) {
        let words: Vec<&str> = part.split_whitespace().collect();
        let mut it = words.iter().copied();
        // Skip sudo and its options.
        let mut prog = "";
        for w in it.by_ref() {
            let base = w.rsplit('/').next().unwrap_or(w);
            if base == "sudo" || base == "nohup" || base == "env" || w.starts_with('-') {
                continue;
            }
            prog = base;
            break;
        }
        let rest: Vec<&str> = it.collect();
        let mut redirect = false;
        let mut args: Vec<&str> = Vec::new();
        for w in &rest {
            if redirect {
                out.written.push(w.to_string());
                redirect = false;
                continue;
            }
            if *w == ">" || *w == ">>" {
                redirect = true;
                continue;
            }
            if let Some(t) = w.strip_prefix('>') {
                out.written.push(t.trim_start_matches('>').to_string());
                continue;
            }
            args.push(w);
        }
        let paths = |v: &[&str]| -> Vec<String> {
            v.iter()
                .filter(|a| a.starts_with('/') || a.starts_with("~/") || a.starts_with("./"))
                .map(|a| a.to_string())
                .collect()
        };
        match prog {
            "cat" | "less" | "more" | "head" | "tail" | "base64" | "xxd" | "strings" | "grep"
            | "curl" | "nc" | "scp" | "rsync" => out.read.extend(paths(&args)),
            "cp" | "mv" => {
                if let Some((last, first)) = args
                    .iter()
                    .filter(|a| !a.starts_with('-'))
                    .copied()
                    .collect::<Vec<_>>()
                    .split_last()
                {
                    out.read.extend(paths(first));
                    out.written.push(last.to_string());
                }
            }
            "tar" => {
                // tar [-]czf OUT IN... / tar -c -f OUT IN...
                let mut out_file = None;
                let mut ins = Vec::new();
                let mut take_next = false;
                for a in &args {
                    if take_next {
                        out_file = Some(a.to_string());
                        take_next = false;
                        continue;
                    }
                    let flags = a.trim_start_matches('-');
                    if out_file.is_none()
                        && ins.is_empty()
                        && !a.starts_with('/')
                        && flags.chars().all(|c| c.is_ascii_alphabetic())
                        && flags.contains('f')
                    {
                        take_next = flags.ends_with('f');
                        continue;
                    }
                    if a.starts_with('-') {
                        continue;
                    }
                    ins.push(*a);
                }
                if let Some(o) = out_file {
                    out.written.push(o);
                    out.read.extend(paths(&ins));
                }
            }
            "zip" | "7z" | "7za" | "rar" => {
                let plain: Vec<&str> = args
                    .iter()
                    .filter(|a| !a.starts_with('-') && **a != "a")
                    .copied()
                    .collect();
                if let Some((first, rest)) = plain.split_first() {
                    out.written.push(first.to_string());
                    out.read.extend(paths(rest));
                }
            }
            "mysqldump" | "pg_dump" | "pg_dumpall" | "mongodump" | "sqlite3" => {
                out.dump = true;
            }
            _ => {}
        }
    }
    out
}

/// Whether a path names an archive or dump (what attackers stage data in).
pub fn is_archive_name(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    [
        ".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".gz", ".7z", ".rar", ".sql",
        ".sql.gz", ".dump", ".bak",
    ]
    .iter()
    .any(|x| p.ends_with(x))
}

/// Whether a path lies where attackers stage data: temporary directories
/// and web roots.
pub fn is_staging_dir(path: &str) -> bool {
    [
        "/tmp/",
        "/var/tmp/",
        "/dev/shm/",
        "/var/www/",
        "/srv/www/",
        "/srv/http/",
        "/usr/share/nginx/html/",
    ]
    .iter()
    .any(|d| path.starts_with(d))
        || path.contains("/public_html/")
}

/// A cell made safe for spreadsheets: one starting with `=`, `+`, `-`,
/// `@` (or a tab or carriage return) is prefixed with `'`.
pub fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Write the credentials as CSV: `kind,subject,host,priority,reason,evidence`
/// (evidence: `path:line` of each reference, `; `-separated).
pub fn write_credentials_csv<W: std::io::Write>(
    creds: &[Credential],
    w: W,
) -> Result<(), csv::Error> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["kind", "subject", "host", "priority", "reason", "evidence"])?;
    for c in creds {
        let evidence: Vec<String> = c
            .evidence
            .iter()
            .map(|e| match e.line {
                Some(l) => format!("{}:{}:{l}", e.snapshot, e.path),
                None => format!("{}:{}", e.snapshot, e.path),
            })
            .collect();
        out.write_record([
            csv_safe(&c.kind),
            csv_safe(&c.subject),
            csv_safe(&c.host),
            csv_safe(c.priority.as_str()),
            csv_safe(&c.reason),
            csv_safe(&evidence.join("; ")),
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_never_values() {
        let env = "# app\nAPP_NAME=shop\nDB_PASSWORD=hunter2\nexport API_KEY=\"abc\"\nEMPTY_SECRET=\nSTRIPE_TOKEN: tok\n";
        let v = secret_variables(env);
        let names: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["DB_PASSWORD", "API_KEY", "STRIPE_TOKEN"]);
        assert_eq!(v.first().map(|x| x.1), Some(3));
        let php = "<?php\ndefine( 'DB_PASSWORD', 's3cret' );\ndefine('DB_NAME', 'wp');\ndefine('AUTH_KEY', 'x');\n";
        let names: Vec<String> = secret_variables(php).into_iter().map(|x| x.0).collect();
        assert_eq!(names, ["DB_PASSWORD", "AUTH_KEY"]);
    }

    #[test]
    fn config_files() {
        assert!(is_config_file("/srv/app/.env"));
        assert!(is_config_file("/var/www/html/wp-config.php"));
        assert!(!is_config_file("/srv/app/exports/clients.csv"));
    }

    #[test]
    fn keys_are_fingerprinted() {
        let k = authorized_keys(
            "# c\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMhhJrrh2As0R933V+kB61oC0UR6GtKnPbmdh/wDWvrV evil@attacker\ngarbage\n",
        );
        assert_eq!(k.len(), 1);
        let k = &k[0];
        assert_eq!(
            k.fingerprint,
            "SHA256:nttAE2XK1PIkLukB3+13jsh1ds8oPtvIztlrKdwI9R4"
        );
        assert_eq!(k.comment, "evil@attacker");
        assert_eq!(k.line, 2);
    }

    #[test]
    fn shadow_hashes() {
        let s = "root:$6$abc$def:19000:0:99999:7:::\ndaemon:*:19000::::::\nold:!$y$j9T$x:1::::::\nnopw::1::::::\n";
        assert_eq!(shadow_accounts_with_hash(s), ["root", "old"]);
    }

    #[test]
    fn sshd() {
        let s = sshd_settings(
            "# x\nPermitRootLogin yes\nPasswordAuthentication no\nPasswordAuthentication yes\n",
        );
        assert!(!s.password_auth);
        assert_eq!(s.password_auth_line, Some(3));
        assert_eq!(s.permit_root_login, "yes");
        assert!(sshd_settings("").password_auth);
    }

    #[test]
    fn commands() {
        let c = command_files("tar czf /tmp/.x.tgz /srv/app/exports");
        assert_eq!(c.written, ["/tmp/.x.tgz"]);
        assert_eq!(c.read, ["/srv/app/exports"]);
        let c = command_files("sudo tar -c -z -f /tmp/a.tar.gz /etc /home");
        assert_eq!(c.written, ["/tmp/a.tar.gz"]);
        assert_eq!(c.read, ["/etc", "/home"]);
        let c = command_files("cat /srv/app/.env | base64");
        assert_eq!(c.read, ["/srv/app/.env"]);
        let c = command_files("mysqldump -u root shop > /var/www/html/d.sql");
        assert!(c.dump);
        assert_eq!(c.written, ["/var/www/html/d.sql"]);
        let c = command_files("zip -r /tmp/o.zip /srv/app");
        assert_eq!(c.written, ["/tmp/o.zip"]);
        assert_eq!(c.read, ["/srv/app"]);
    }

    #[test]
    fn csv_cells_are_inert_in_spreadsheets() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("@x"), "'@x");
        assert_eq!(csv_safe("deploy"), "deploy");
        let c = Credential {
            kind: "account".into(),
            subject: "+evil".into(),
            host: "web01".into(),
            reason: "r, with comma".into(),
            ..Credential::default()
        };
        let mut buf = Vec::new();
        write_credentials_csv(&[c], &mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(s.starts_with("kind,subject,host,priority,reason,evidence\n"));
        assert!(
            s.contains("account,'+evil,web01,none,\"r, with comma\","),
            "{s}"
        );
    }
}
