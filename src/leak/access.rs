//! Who read a source file, from the logs in the same evidence
//! (`leak::access`): web and FTP requests for its URL or name, shell
//! history and audited commands that name it (`cat`, `cp`, `scp`, `tar`,
//! `zip`, `mysqldump`...), and sftp-server lines that open it. One
//! [`Accessor`] per address (requests) or per account (commands).

use super::model::Accessor;
use crate::logs::event::{Event, Field, Kind};
use crate::logs::load::LogStore;
use crate::logs::url::{decode_url, strip_query};
use std::collections::BTreeMap;

/// Web roots: the part of a file's path after one is its URL path.
const WEB_ROOTS: [&str; 7] = [
    "/var/www/html",
    "/var/www",
    "/usr/share/nginx/html",
    "/srv/www",
    "/srv/http",
    "/usr/local/www",
    "/srv/",
];

/// Commands that copy or pack a whole folder: naming a folder that holds
/// the file counts for them.
const PACKERS: [&str; 8] = ["tar", "zip", "7z", "rsync", "scp", "cp", "rclone", "gsutil"];

/// The most evidence lines kept per accessor.
const EVIDENCE_LINES: usize = 3;

fn rfc3339(us: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The URL paths a file may be served under, besides the name match.
fn url_paths(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for root in WEB_ROOTS {
        if let Some(rest) = path.strip_prefix(root) {
            let rest = if root.ends_with('/') {
                // /srv/<site>/public/x or /srv/<site>/x
                let mut parts = rest.splitn(2, '/');
                let _site = parts.next();
                let tail = parts.next().unwrap_or_default();
                tail.strip_prefix("public/").unwrap_or(tail).to_string()
            } else {
                rest.trim_start_matches('/').to_string()
            };
            if !rest.is_empty() {
                out.push(format!("/{rest}"));
            }
        }
    }
    if let Some(i) = path.find("/public_html/") {
        out.push(path[i + "/public_html".len()..].to_string());
    }
    out
}

/// Whether a web request path names the file.
fn request_names(req: &str, file: &str, urls: &[String]) -> bool {
    let p = decode_url(strip_query(req));
    let p = p.trim_end_matches('/');
    let name = file.rsplit('/').next().unwrap_or(file);
    if urls.iter().any(|u| u == p) {
        return true;
    }
    // The request's components are a suffix of the file's path, or at the
    // least its name is the file's name.
    p.rsplit('/').next() == Some(name) && !name.is_empty()
}

/// The shell words of a command line (quotes removed, separators split).
fn words(cmd: &str) -> Vec<String> {
    cmd.split(|c: char| c.is_whitespace() || ";|&<>()`".contains(c))
        .map(|w| w.trim_matches(['\'', '"']).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The program a command line runs (after `sudo`, `env`, `VAR=x`).
fn verb(ws: &[String]) -> Option<&str> {
    ws.iter()
        .map(String::as_str)
        .find(|w| {
            !w.contains('=')
                && !["sudo", "env", "nohup", "time", "nice", "-u", "root"].contains(w)
                && !w.starts_with('-')
        })
        .map(|w| w.rsplit('/').next().unwrap_or(w))
}

/// Whether a command names the file (or, for packers, a folder holding it).
fn command_names(cmd: &str, file: &str) -> Option<String> {
    let name = file.rsplit('/').next().unwrap_or(file);
    if name.is_empty() || !cmd.contains(name) && !cmd.contains('/') {
        return None;
    }
    let ws = words(cmd);
    let v = verb(&ws)?.to_string();
    let hit = ws.iter().any(|w| {
        let w = w.trim_end_matches('/');
        w == file
            || w == name
            || w.ends_with(&format!("/{name}"))
            || w.ends_with(&format!("={file}"))
            || (PACKERS.contains(&v.as_str())
                && w.starts_with('/')
                && w.matches('/').count() >= 2
                && file.starts_with(&format!("{w}/")))
    });
    hit.then_some(v)
}

/// The account whose history file this is (`/home/alice/.bash_history`).
fn history_owner(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let i = parts.iter().rposition(|p| p.contains("history"))?;
    let dir = *parts.get(i.checked_sub(1)?)?;
    (!dir.is_empty()).then(|| dir.to_string())
}

#[derive(Default)]
struct Acc {
    a: Accessor,
    first_us: Option<i64>,
    last_us: Option<i64>,
    hows: Vec<String>,
}

/// Everyone the logs show reading `file` (a logical path in the snapshot).
pub fn accessors(store: &LogStore, file: &str) -> Vec<Accessor> {
    let urls = url_paths(file);
    let mut by: BTreeMap<(bool, String), Acc> = BTreeMap::new();
    let mut add = |key: (bool, String), e: &Event, how: String, bytes: u64| {
        let acc = by.entry(key.clone()).or_default();
        if key.0 {
            acc.a.ip = Some(key.1.clone());
        } else {
            acc.a.user = Some(key.1.clone());
        }
        acc.a.requests += u64::from(e.count.max(1));
        acc.a.bytes += bytes;
        if let Some(t) = e.time_us {
            acc.first_us = Some(acc.first_us.map_or(t, |f| f.min(t)));
            acc.last_us = Some(acc.last_us.map_or(t, |l| l.max(t)));
        }
        if !acc.hows.contains(&how) {
            acc.hows.push(how);
        }
        if acc.a.evidence.len() < EVIDENCE_LINES {
            acc.a.evidence.push(store.location(e));
        }
    };
    for e in store.events.iter() {
        match e.kind {
            Kind::WebRequest => {
                let Some(req) = e.get(Field::Path) else {
                    continue;
                };
                if !request_names(req, file, &urls) {
                    continue;
                }
                if e.status.is_some_and(|s| s >= 400) {
                    continue;
                }
                let ftp = e.get(Field::Protocol) == Some("FTP");
                let method = e.get(Field::Method).unwrap_or("GET");
                let how = match (ftp, e.status) {
                    (true, _) => format!("ftp {method}"),
                    (false, Some(s)) => format!("http {method} {s}"),
                    (false, None) => format!("http {method}"),
                };
                let key = match (e.get(Field::Ip), e.get(Field::User)) {
                    (Some(ip), _) => (true, ip.to_string()),
                    (None, Some(u)) => (false, u.to_string()),
                    (None, None) => (true, "unknown".to_string()),
                };
                add(key, e, how, e.bytes.unwrap_or(0));
            }
            Kind::Command | Kind::Exec | Kind::Sudo => {
                let Some(cmd) = e.get(Field::Command) else {
                    continue;
                };
                let Some(v) = command_names(cmd, file) else {
                    continue;
                };
                let user = e
                    .get(Field::User)
                    .map(str::to_string)
                    .or_else(|| store.source_of(e).and_then(|s| history_owner(&s.path)))
                    .unwrap_or_else(|| "unknown".to_string());
                add((false, user), e, format!("shell: {v}"), 0);
            }
            _ => {
                let sftp = e.get(Field::Program).is_some_and(|p| p.contains("sftp"));
                if sftp && e.line_text().contains(&format!("\"{file}\"")) {
                    let user = e.get(Field::User).map(str::to_string).unwrap_or_else(|| {
                        format!("sftp session (pid {})", e.get(Field::Pid).unwrap_or("?"))
                    });
                    add((false, user), e, "sftp".to_string(), 0);
                }
            }
        }
    }
    let mut out: Vec<(Option<i64>, Accessor)> = by
        .into_values()
        .map(|mut acc| {
            acc.a.first = acc.first_us.and_then(rfc3339);
            acc.a.last = acc.last_us.and_then(rfc3339);
            acc.a.how = acc.hows.join(", ");
            (acc.first_us, acc.a)
        })
        .collect();
    out.sort_by_key(|a| (a.0.is_none(), a.0));
    out.into_iter().map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_files_under_web_roots() {
        assert_eq!(
            url_paths("/var/www/html/exports/a.csv"),
            ["/exports/a.csv", "/html/exports/a.csv"]
        );
        assert_eq!(url_paths("/srv/shop/public/dl/a.csv"), ["/dl/a.csv"]);
        assert!(request_names(
            "/exports/clients.csv?x=1",
            "/srv/app/exports/clients.csv",
            &[]
        ));
        assert!(request_names(
            "/exports/clients%2Ecsv",
            "/srv/app/exports/clients.csv",
            &[]
        ));
        assert!(!request_names(
            "/exports/other.csv",
            "/srv/app/exports/clients.csv",
            &[]
        ));
    }

    #[test]
    fn commands_naming_a_file() {
        let f = "/srv/app/exports/clients.csv";
        assert_eq!(
            command_names("cat /srv/app/exports/clients.csv", f).as_deref(),
            Some("cat")
        );
        assert_eq!(
            command_names("sudo cp exports/clients.csv /tmp/x", f).as_deref(),
            Some("cp")
        );
        assert_eq!(
            command_names("tar czf /tmp/e.tgz /srv/app/exports/", f).as_deref(),
            Some("tar")
        );
        assert_eq!(command_names("cd /srv/app/exports", f), None);
        assert_eq!(command_names("ls -l", f), None);
        assert_eq!(
            history_owner("/home/alice/.bash_history").as_deref(),
            Some("alice")
        );
        assert_eq!(history_owner("/root/.zsh_history").as_deref(), Some("root"));
    }
}
