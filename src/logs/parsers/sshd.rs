//! OpenSSH server messages: failed and accepted authentications, invalid
//! users, `maximum authentication attempts`, disconnects and the other
//! lines that name a remote address.

use super::{after, token};
use crate::logs::event::{Draft, Field, Kind};

/// Parse an sshd message. Lines of other programs are declined. One
/// function because it is one ordered list of message shapes (the first
/// that matches wins; the order matters where shapes share a prefix).
pub fn parse(program: &str, msg: &str, line: &str, d: &mut Draft) -> bool {
    if !(program == "sshd" || program.starts_with("sshd-") || program == "dropbear") {
        return false;
    }
    if program == "dropbear" {
        return dropbear(msg, line, d);
    }
    let mut msg = msg.strip_prefix("error: ").unwrap_or(msg);
    msg = msg.strip_prefix("fatal: ").unwrap_or(msg);
    // A kernel-style stamp before the text: "kernel:[  970.699396]: Failed ...".
    if let Some(r) = msg.strip_prefix("kernel:")
        && let Some((stamp, rest)) = r
            .trim_start()
            .strip_prefix('[')
            .and_then(|x| x.split_once(']'))
        && stamp
            .trim()
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
    {
        msg = rest.strip_prefix(':').unwrap_or(rest).trim_start();
    }
    // Solaris: "[ID 800047 auth.info] Failed ..."
    if let Some(r) = msg.strip_prefix("[ID ") {
        msg = r.split_once("] ").map_or(msg, |x| x.1);
    }
    if let Some(r) = msg.strip_prefix("refused connect from ") {
        // TCP wrappers: "refused connect from HOST (IP)": keep the address.
        d.kind = Kind::AuthFailure;
        d.set_sub(line, Field::Detail, &msg[..msg.len() - r.len() - 1]);
        let ip = r
            .rsplit_once('(')
            .map(|(_, x)| x.trim_end().trim_end_matches(')'))
            .unwrap_or_else(|| token(r));
        d.set_sub(line, Field::Ip, ip.strip_prefix("::ffff:").unwrap_or(ip));
        return true;
    }
    if let Some(r) =
        msg.strip_prefix("PAM: User not known to the underlying authentication module for ")
    {
        d.kind = Kind::InvalidUser;
        let r = r.strip_prefix("illegal user ").unwrap_or(r);
        if let Some(i) = r.rfind(" from ") {
            d.set_sub(line, Field::User, &r[..i]);
            from_ip(&r[i + 6..], line, d);
        }
        return true;
    }
    if let Some(what) = preauth(msg) {
        // A connection that ended before authenticating: what key-only (and
        // most) brute force leaves. Counted once per connection with the
        // process's other failures (src/detect/logs/auth.rs).
        d.kind = Kind::AuthFailure;
        d.set_owned(Field::Detail, what);
        preauth_fields(msg, line, d);
        return true;
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
        d.set_owned(
            Field::Detail,
            "preauth: maximum authentication attempts exceeded",
        );
        let r = r.strip_prefix("invalid user ").unwrap_or(r);
        if let Some(i) = super::find(r, " from ") {
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
        if let Some(i) = super::find(r, " from ")
            && super::contains(r, "not allowed")
        {
            d.kind = Kind::AuthFailure;
            d.set_sub(line, Field::User, &r[..i]);
            from_ip(&r[i + 6..], line, d);
            return true;
        }
    }
    if msg.starts_with("pam_unix(")
        || msg.starts_with("(pam_unix) ")
        || msg.starts_with("PAM ")
        || msg.starts_with("Postponed ")
    {
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
    if let Some(r) = after(msg, ";Remote: ") {
        // "SSH: Server;Ltype: Version;Remote: 127.0.0.1-1780;Protocol: 2.0"
        let peer = r.split(';').next().unwrap_or("");
        let ip = peer.rsplit_once('-').map_or(peer, |x| x.0);
        if looks_like_ip(ip) {
            d.set_sub(line, Field::Ip, ip);
            return true;
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
    let Some(i) = last_from_port(r).or_else(|| r.rfind(" from ")) else {
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

/// The prefix of every [`Field::Detail`] of a connection that ended before
/// authentication.
pub const PREAUTH: &str = "preauth: ";

/// Whether an sshd message tells of a connection that ended before
/// authentication, and what it says.
fn preauth(msg: &str) -> Option<&'static str> {
    // Most sshd lines start with none of these: decide on the first byte.
    if !msg.starts_with(['C', 'D', 'R', 'U', 'B', 'T', 'b', 's', 'n', 'k']) {
        return None;
    }
    let marked = || {
        msg.ends_with("[preauth]")
            || super::contains(msg, "authenticating user ")
            || super::contains(msg, "invalid user ")
    };
    let ends = [
        ("Connection closed by ", "preauth: connection closed"),
        ("Disconnected from ", "preauth: disconnected"),
        ("Connection reset by ", "preauth: connection reset"),
        ("Received disconnect from ", "preauth: disconnect received"),
    ];
    for (p, what) in ends {
        if msg.starts_with(p) {
            // "Received disconnect from IP port N:3: ... Auth fail", ":14: No
            // supported authentication methods": a client giving up.
            let gave_up = p.starts_with("Received")
                && ([":3: ", ": 3: ", ":14: ", ": 14: "]
                    .iter()
                    .any(|c| msg.contains(c)));
            return (gave_up || marked()).then_some(what);
        }
    }
    let always = [
        (
            "Disconnecting: Too many authentication failures",
            "preauth: too many authentication failures",
        ),
        (
            "Disconnecting authenticating user ",
            "preauth: disconnected",
        ),
        ("Disconnecting invalid user ", "preauth: disconnected"),
        (
            "Did not receive identification string",
            "preauth: no identification string",
        ),
        (
            "Bad protocol version identification",
            "preauth: bad protocol version",
        ),
        ("Unable to negotiate", "preauth: unable to negotiate"),
        (
            "Timeout before authentication",
            "preauth: timeout before authentication",
        ),
        ("banner exchange: ", "preauth: banner exchange failed"),
        ("ssh_dispatch_run_fatal: ", "preauth: protocol error"),
        ("no matching ", "preauth: unable to negotiate"),
    ];
    for (p, what) in always {
        if msg.starts_with(p) {
            return Some(what);
        }
    }
    if let Some(r) = msg.strip_prefix("kex_exchange_identification: ") {
        // "banner line too long" is a scanner's own message, with no address.
        return (!r.starts_with("banner line")).then_some("preauth: key exchange failed");
    }
    if msg.starts_with("Read from socket failed: ") && marked() {
        return Some("preauth: connection reset");
    }
    None
}

/// The account and address of a [`preauth`] message, where it names them.
fn preauth_fields(msg: &str, line: &str, d: &mut Draft) {
    for pat in [
        "authenticating user ",
        "invalid user ",
        "Too many authentication failures for ",
    ] {
        if let Some(rest) = after(msg, pat) {
            let u = token(rest);
            if !u.is_empty() && u != "[preauth]" {
                d.set_sub(line, Field::User, u);
            }
            if pat.starts_with("Too") {
                return;
            }
            let r = rest.get(u.len()..).unwrap_or("").trim_start();
            let r = r.strip_prefix("from ").unwrap_or(r);
            // An account name may hold spaces: the address is the last
            // address-like token before " port ".
            let port_at = r.rfind(" port ");
            let upto = port_at.map_or(r, |i| &r[..i]);
            let ip = upto.rsplit(' ').next().unwrap_or("");
            if looks_like_ip(ip) && ip.contains(['.', ':']) {
                d.set_sub(line, Field::Ip, ip);
                if let Some(p) = port_at.and_then(|i| r.get(i + 6..)) {
                    d.port = token(p).trim_end_matches(':').parse().ok();
                }
            }
            return;
        }
    }
    for pat in [" from ", " by ", " with ", " for "] {
        // The last one: sshd's own words end the message, after any text
        // a client chose (a version string, an account name).
        if let Some(r) = msg.rfind(pat).and_then(|i| msg.get(i + pat.len()..))
            && !r.starts_with("peer")
            && !r.starts_with("remote")
        {
            let ip = token(r).trim_start_matches('<');
            let ip = ip.trim_end_matches([',', ':', ';', '>']);
            // dropbear-like "IP:port" is not sshd's; sshd says " port N".
            if looks_like_ip(ip) && ip.contains(['.', ':']) {
                from_ip(r, line, d);
                return;
            }
        }
    }
}

/// The last ` from ADDR port N` before the text after `ssh2: ` (a key or
/// certificate): an account name chosen by a client may itself hold ` from
/// 10.10.1.2 port 55555 ssh2`, sshd's own words come after it.
fn last_from_port(r: &str) -> Option<usize> {
    let end = super::find(r, " ssh2: ").map_or(r.len(), |i| i + 5);
    let r = r.get(..end)?;
    let mut found = None;
    let mut from = 0;
    while let Some(p) = super::find(r.get(from..)?, " from ") {
        let at = from + p;
        let rest = r.get(at + 6..)?;
        let ip = token(rest);
        if let Some(port) = rest.get(ip.len()..).and_then(|x| x.strip_prefix(" port "))
            && token(port)
                .trim_end_matches(':')
                .bytes()
                .all(|c| c.is_ascii_digit())
            && looks_like_ip(ip)
        {
            found = Some(at);
        }
        from = at + 6;
    }
    found
}

/// dropbear: "bad password attempt for 'root' from IP:port",
/// "login attempt for nonexistent user from IP:port",
/// "Password auth succeeded for 'root' from IP:port".
fn dropbear(msg: &str, line: &str, d: &mut Draft) -> bool {
    // Some builds repeat the process and time: "[825] Jul 10 23:53:52 Bad ...".
    let mut msg = msg;
    if let Some(r) = msg.strip_prefix('[')
        && let Some((pid, rest)) = r.split_once("] ")
        && pid.bytes().all(|b| b.is_ascii_digit())
    {
        msg = rest;
        if rest.len() > 16
            && rest.as_bytes().get(15) == Some(&b' ')
            && rest.as_bytes().get(9) == Some(&b':')
        {
            msg = &rest[16..];
        }
    }
    if let Some(r) = msg.strip_prefix("Exit before auth") {
        // "Exit before auth (user 'root', 10 fails): Max auth tries reached -
        // user 'root' from 1.2.3.4:60588", "Exit before auth from
        // <192.0.2.3:52289>: (user 'root', 10 fails): ...".
        d.kind = Kind::AuthFailure;
        d.set_owned(Field::Detail, "preauth: exit before auth");
        if let Some(u) = after(r, "user '") {
            d.set_sub(line, Field::User, u.split('\'').next().unwrap_or(""));
        }
        let addr = after(r, "from <")
            .map(|a| a.split('>').next().unwrap_or(""))
            .or_else(|| r.rfind(" from ").and_then(|i| r.get(i + 6..)).map(token));
        if let Some(a) = addr {
            let (ip, port) = a.rsplit_once(':').unwrap_or((a, ""));
            d.set_sub(line, Field::Ip, ip.strip_prefix("::ffff:").unwrap_or(ip));
            d.port = port.parse().ok();
        }
        return true;
    }
    let lower = |p: &str| {
        msg.get(..p.len())
            .filter(|h| h.eq_ignore_ascii_case(p))
            .map(|_| &msg[p.len()..])
    };
    let (kind, r) = if let Some(r) = lower("bad password attempt for ") {
        (Kind::AuthFailure, r)
    } else if let Some(r) = lower("login attempt for nonexistent user") {
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
