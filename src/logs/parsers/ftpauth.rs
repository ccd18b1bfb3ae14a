//! FTP servers that log authentication through syslog: ProFTPD
//! (`proftpd[PID] SERVER (HOST[IP]): USER name (Login failed): ...`,
//! `no such user found`, `SECURITY VIOLATION: root login attempted`,
//! `Maximum login attempts (3) exceeded`) and Pure-FTPd (`(?@IP) [WARNING]
//! Authentication failed for user [name]`) and vsftpd logging to syslog
//! (`[name] FAIL LOGIN: Client "IP"`), so FTP password guessing reaches the
//! brute-force detections as vsftpd's own log does.

use super::{after, token};
use crate::logs::event::{Draft, Field, Kind};

/// Parse a ProFTPD or Pure-FTPd message. Other programs are declined.
pub fn parse(program: &str, msg: &str, line: &str, d: &mut Draft) -> bool {
    match program {
        "proftpd" => proftpd(msg, line, d),
        "pure-ftpd" => pure_ftpd(msg, line, d),
        "vsftpd" => vsftpd(msg, line, d),
        _ => false,
    }
}

fn unmap(ip: &str) -> &str {
    ip.strip_prefix("::ffff:").unwrap_or(ip)
}

/// `SERVER (HOST[IP]): TEXT` or `SERVER (HOST[IP]) - TEXT`.
fn proftpd(msg: &str, line: &str, d: &mut Draft) -> bool {
    let Some(open) = msg.find(" (") else {
        return true;
    };
    let Some(close) = msg[open..].find(')').map(|c| open + c) else {
        return true;
    };
    let client = &msg[open + 2..close];
    let ip = client
        .rsplit_once('[')
        .map_or(client, |(_, x)| x.trim_end_matches(']'));
    let text = msg[close + 1..]
        .trim_start_matches([':', ' ', '-'])
        .trim_start();
    if !ip.is_empty() {
        d.set_sub(line, Field::Ip, unmap(ip));
    }
    let user = text.strip_prefix("USER ").map(|r| {
        let end = r.find([':', '(']).unwrap_or(r.len());
        r[..end].trim_end()
    });
    if text.contains("no such user found") {
        d.kind = Kind::InvalidUser;
    } else if text.contains("Login failed")
        || text.contains("Incorrect password")
        || text.contains("SECURITY VIOLATION")
        || text.contains("Maximum login attempts")
    {
        d.kind = Kind::AuthFailure;
        if text.contains("SECURITY VIOLATION") && user.is_none() {
            d.set_owned(Field::User, "root");
        }
    } else if text.contains("Login successful") {
        d.kind = Kind::AuthSuccess;
    } else {
        return true;
    }
    if let Some(u) = user {
        d.set_sub(line, Field::User, u);
    }
    true
}

/// `(USER@IP) [LEVEL] TEXT`.
fn pure_ftpd(msg: &str, line: &str, d: &mut Draft) -> bool {
    let Some(r) = msg.strip_prefix('(') else {
        return true;
    };
    let Some((who, text)) = r.split_once(") ") else {
        return true;
    };
    if let Some((_, ip)) = who.rsplit_once('@') {
        d.set_sub(line, Field::Ip, unmap(ip));
    }
    let text = text.split_once("] ").map_or(text, |x| x.1);
    if let Some(u) = after(text, "Authentication failed for user [") {
        d.kind = Kind::AuthFailure;
        d.set_sub(line, Field::User, u.split(']').next().unwrap_or(""));
    } else if text.contains(" is now logged in") {
        d.kind = Kind::AuthSuccess;
        d.set_sub(line, Field::User, token(text));
    }
    true
}

/// vsftpd through syslog: `[NAME] FAIL LOGIN: Client "IP"`, `[NAME] OK
/// LOGIN: Client "IP"` (its own log file is `parsers::vsftpd`).
fn vsftpd(msg: &str, line: &str, d: &mut Draft) -> bool {
    let Some(r) = msg.strip_prefix('[') else {
        return false;
    };
    let Some((user, text)) = r.split_once("] ") else {
        return false;
    };
    let kind = if text.starts_with("FAIL LOGIN") {
        Kind::AuthFailure
    } else if text.starts_with("OK LOGIN") {
        Kind::AuthSuccess
    } else {
        return false;
    };
    d.kind = kind;
    d.set_sub(line, Field::User, user);
    if let Some(ip) = after(text, "Client \"") {
        d.set_sub(line, Field::Ip, unmap(ip.split('"').next().unwrap_or("")));
    }
    true
}
