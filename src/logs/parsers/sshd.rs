//! OpenSSH server messages: failed and accepted authentications, invalid
//! users, `maximum authentication attempts`, disconnects and the other
//! lines that name a remote address.

use super::{after, token};
use crate::logs::event::{Draft, Field, Kind};

/// Parse an sshd message. Lines of other programs are declined.
pub fn parse(program: &str, msg: &str, line: &str, d: &mut Draft) -> bool {
    if !(program == "sshd" || program.starts_with("sshd-") || program == "dropbear") {
        return false;
    }
    if program == "dropbear" {
        return dropbear(msg, line, d);
    }
    let mut msg = msg.strip_prefix("error: ").unwrap_or(msg);
    // Solaris: "[ID 800047 auth.info] Failed ..."
    if let Some(r) = msg.strip_prefix("[ID ") {
        msg = r.split_once("] ").map_or(msg, |x| x.1);
    }
    if let Some(r) = msg.strip_prefix("ROOT LOGIN REFUSED FROM ") {
        d.kind = Kind::AuthFailure;
        d.set_sub(line, Field::User, &msg[..0]);
        let ip = token(r);
        d.set_sub(line, Field::Ip, ip.strip_prefix("::ffff:").unwrap_or(ip));
        return true;
    }
    if let Some(r) = msg.strip_prefix("Failed ") {
        d.kind = Kind::AuthFailure;
        return auth(r, line, d);
    }
    if let Some(r) = msg.strip_prefix("Accepted ") {
        d.kind = Kind::AuthSuccess;
        return auth(r, line, d);
    }
    if let Some(r) = msg.strip_prefix("Invalid user ") {
        // "Invalid user NAME from IP[ port N]"; NAME may be empty or contain spaces.
        d.kind = Kind::InvalidUser;
        if let Some(i) = r.rfind(" from ") {
            d.set_sub(line, Field::User, &r[..i]);
            from_ip(&r[i + 6..], line, d);
        }
        return true;
    }
    if let Some(r) = msg.strip_prefix("maximum authentication attempts exceeded for ") {
        d.kind = Kind::AuthFailure;
        d.set_sub(
            line,
            Field::Detail,
            "maximum authentication attempts exceeded",
        );
        let r = r.strip_prefix("invalid user ").unwrap_or(r);
        if let Some(i) = r.find(" from ") {
            d.set_sub(line, Field::User, &r[..i]);
            from_ip(&r[i + 6..], line, d);
        }
        return true;
    }
    let pam = [
        "PAM: Authentication failure for ",
        "PAM: authentication failure for ",
        "PAM: Authentication error for ",
        "PAM: authentication error for ",
    ];
    if let Some(r) = pam.iter().find_map(|p| msg.strip_prefix(p)) {
        d.kind = Kind::AuthFailure;
        let r = r.strip_prefix("illegal user ").unwrap_or(r);
        let r = r.split(" via ").next().unwrap_or(r);
        if let Some(i) = r.rfind(" from ") {
            d.set_sub(line, Field::User, &r[..i]);
            from_ip(&r[i + 6..], line, d);
        }
        return true;
    }
    if let Some(r) = msg.strip_prefix("User ") {
        // "User root from 1.2.3.4 not allowed because ..."
        if let Some(i) = r.find(" from ")
            && r.contains("not allowed")
        {
            d.kind = Kind::AuthFailure;
            d.set_sub(line, Field::User, &r[..i]);
            from_ip(&r[i + 6..], line, d);
            return true;
        }
    }
    if msg.starts_with("pam_unix(") || msg.starts_with("PAM ") || msg.starts_with("Postponed ") {
        return false; // PAM parser
    }
    // Anything else that names an address: keep the address.
    for pat in [
        " from ",
        "Connection closed by ",
        "Disconnected from ",
        "Received disconnect from ",
        "Connection reset by ",
        "Connection from ",
        "Unable to negotiate with ",
    ] {
        if let Some(r) = after(msg, pat) {
            let r = r
                .strip_prefix("authenticating user ")
                .or_else(|| r.strip_prefix("invalid user "))
                .or_else(|| r.strip_prefix("user "))
                .map(|rest| {
                    let u = token(rest);
                    if !u.is_empty() && rest.len() > u.len() {
                        d.set_sub(line, Field::User, u);
                        rest.get(u.len() + 1..).unwrap_or("")
                    } else {
                        rest
                    }
                })
                .unwrap_or(r);
            if from_ip(r, line, d) {
                return true;
            }
        }
    }
    if let Some(r) = after(msg, " [") {
        // reverse mapping checking getaddrinfo for NAME [IP] failed
        if let Some(ip) = r.split(']').next()
            && looks_like_ip(ip)
        {
            d.set_sub(line, Field::Ip, ip);
        }
    }
    true
}

/// `[invalid user ]USER from IP port N ssh2` after "Failed METHOD for " /
/// "Accepted METHOD for ".
fn auth(r: &str, line: &str, d: &mut Draft) -> bool {
    let method = token(r);
    d.set_sub(line, Field::Detail, method);
    let Some(r) = r.get(method.len()..).and_then(|s| s.strip_prefix(" for ")) else {
        return true;
    };
    let orig = r;
    let (r, invalid) = match r.strip_prefix("invalid user ") {
        Some(x) => (x, true),
        None => (r, false),
    };
    // The user may be empty or contain spaces, and text after "ssh2:" can
    // hold anything: take the first " from ADDR port N", else the last " from ".
    let Some(i) = first_from_port(r).or_else(|| r.rfind(" from ")) else {
        d.set_sub(line, Field::User, token(r));
        return true;
    };
    d.set_sub(line, Field::User, &r[..i]);
    if invalid {
        d.set_sub(line, Field::Target, orig.get(..12).unwrap_or(""));
    }
    from_ip(&r[i + 6..], line, d);
    true
}

fn first_from_port(r: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = r.get(from..)?.find(" from ") {
        let at = from + p;
        let rest = r.get(at + 6..)?;
        let ip = token(rest);
        if let Some(port) = rest.get(ip.len()..).and_then(|x| x.strip_prefix(" port "))
            && token(port).bytes().all(|c| c.is_ascii_digit())
            && looks_like_ip(ip)
        {
            return Some(at);
        }
        from = at + 6;
    }
    None
}

/// dropbear: "bad password attempt for 'root' from IP:port",
/// "login attempt for nonexistent user from IP:port",
/// "Password auth succeeded for 'root' from IP:port".
fn dropbear(msg: &str, line: &str, d: &mut Draft) -> bool {
    let (kind, r) = if let Some(r) = msg.strip_prefix("bad password attempt for ") {
        (Kind::AuthFailure, r)
    } else if let Some(r) = msg.strip_prefix("login attempt for nonexistent user") {
        (Kind::InvalidUser, r)
    } else if let Some(r) = msg
        .strip_prefix("Password auth succeeded for ")
        .or_else(|| msg.strip_prefix("Pubkey auth succeeded for "))
    {
        (Kind::AuthSuccess, r)
    } else {
        return true;
    };
    d.kind = kind;
    if let Some(u) = r.strip_prefix('\'') {
        d.set_sub(line, Field::User, u.split('\'').next().unwrap_or(""));
    }
    if let Some(a) = after(r, "from ") {
        let a = token(a);
        // IPv4 "1.2.3.4:5543", IPv6 "::ffff:1.2.3.4:60495": the port is after the last colon.
        let (ip, port) = a.rsplit_once(':').unwrap_or((a, ""));
        d.set_sub(line, Field::Ip, ip.strip_prefix("::ffff:").unwrap_or(ip));
        d.port = port.parse().ok();
    }
    true
}

/// Read `IP[ port N]` and set the address and port. Returns whether an
/// address-like token was found.
pub fn from_ip(r: &str, line: &str, d: &mut Draft) -> bool {
    let ip = token(r);
    let ip = ip.trim_end_matches([',', ':', ';']);
    if ip.is_empty() {
        return false;
    }
    d.set_sub(line, Field::Ip, ip);
    if let Some(p) = after(r, " port ") {
        d.port = token(p).trim_end_matches(':').parse().ok();
    }
    looks_like_ip(ip)
}

/// A cheap check that a token is an IPv4/IPv6 address or a hostname.
pub fn looks_like_ip(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b':' | b'-' | b'_' | b'%'))
        && s.bytes().any(|c| c.is_ascii_digit() || c == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(msg: &str) -> Draft {
        let line = format!("x {msg}");
        let mut d = Draft::default();
        d.reset(&line);
        let m = &line[2..];
        assert!(parse("sshd", m, &line, &mut d));
        d
    }

    #[test]
    fn failed_invalid_user_ipv6() {
        let d = p(
            "Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1 port 50273 ssh2",
        );
        assert_eq!(d.kind, Kind::AuthFailure);
        assert_eq!(d.get(Field::User), Some("ROOT"));
        assert_eq!(d.get(Field::Ip), Some("aaaa:bbbb:cccc:1234::1:1"));
        assert_eq!(d.port, Some(50273));
    }

    #[test]
    fn empty_user_and_hostname_client() {
        let d = p("Invalid user  from 10.0.0.5 port 22");
        assert_eq!(d.kind, Kind::InvalidUser);
        assert_eq!(d.get(Field::User), Some(""));
        let d = p("error: PAM: Authentication failure for stefanor from example.com");
        assert_eq!(d.get(Field::Ip), Some("example.com"));
        assert_eq!(d.kind, Kind::AuthFailure);
    }

    #[test]
    fn accepted() {
        let d = p("Accepted publickey for plaso from 192.168.0.1 port 59229 ssh2: RSA 00:aa");
        assert_eq!(d.kind, Kind::AuthSuccess);
        assert_eq!(d.get(Field::User), Some("plaso"));
        assert_eq!(d.get(Field::Detail), Some("publickey"));
    }
}
