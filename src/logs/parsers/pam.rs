//! PAM messages from any program (`pam_unix(sshd:auth): authentication
//! failure; ... rhost=IP user=NAME`, `session opened for user NAME`), the
//! RHEL-era `sshd(pam_unix)` tags, and `login`'s `FAILED LOGIN`.

use super::{after, kv, token};
use crate::logs::event::{Draft, Field, Kind};

/// Parse a PAM (or login) message of any program.
pub fn parse(program: &str, msg: &str, line: &str, d: &mut Draft) -> bool {
    let (service, body) = if let Some(r) = msg
        .strip_prefix("pam_unix(")
        .or_else(|| msg.strip_prefix("pam_sss("))
    {
        let svc = r.split([':', ')']).next().unwrap_or("");
        (svc, r.split_once("): ").map(|x| x.1).unwrap_or(r))
    } else if let Some(p) = program.strip_suffix("(pam_unix)") {
        (p, msg)
    } else if let Some(r) = msg
        .strip_prefix("(pam_unix) ")
        .or_else(|| msg.strip_prefix("pam_unix: "))
    {
        // Old PAM: "vsftpd: (pam_unix) authentication failure; ...",
        // "vsftpd: pam_unix: authentication failure; ...".
        (program, r)
    } else if msg.starts_with("authentication failure; logname=") {
        // Without the module name: "vsftpd[1659]: authentication failure; logname=..."
        (program, msg)
    } else if let Some(r) = msg.strip_prefix("FAILED LOGIN ") {
        d.kind = Kind::AuthFailure;
        if let Some(u) = after(r, "FOR '") {
            d.set_sub(line, Field::User, u.split('\'').next().unwrap_or(""));
        }
        if let Some(h) = after(r, "FROM '") {
            d.set_sub(line, Field::Ip, h.split('\'').next().unwrap_or(""));
        }
        return true;
    } else {
        return false;
    };
    d.set_sub(line, Field::Detail, service);
    if body.starts_with("authentication failure") {
        d.kind = Kind::AuthFailure;
        // What a client sent (ruser= before rhost=, user= after it) may
        // itself hold " rhost=": take the last one before the " user=" that
        // follows the first.
        let seg = super::find(body, " rhost=")
            .and_then(|i| super::find(&body[i..], " user=").map(|j| &body[..i + j]))
            .unwrap_or(body);
        let rhost = seg
            .rfind(" rhost=")
            .and_then(|i| kv(&seg[i + 1..], "rhost="));
        if let Some(h) = rhost.filter(|h| !h.is_empty()) {
            d.set_sub(line, Field::Ip, h);
        }
        if let Some(u) = kv(body, "user=") {
            d.set_sub(line, Field::User, u);
        } else if let Some(u) = kv(body, "ruser=").filter(|u| !u.is_empty()) {
            d.set_sub(line, Field::User, u);
        }
        return true;
    }
    if let Some(r) = body.strip_prefix("session opened for user ") {
        d.kind = Kind::SessionOpen;
        let u = token(r);
        d.set_sub(line, Field::User, u.split('(').next().unwrap_or(u));
        if let Some(by) = after(r, " by ") {
            let by = token(by);
            let name = by.split('(').next().unwrap_or("");
            if !name.is_empty() {
                d.set_sub(line, Field::Target, name);
            }
        }
        return true;
    }
    if let Some(r) = body.strip_prefix("session closed for user ") {
        d.kind = Kind::SessionClose;
        d.set_sub(line, Field::User, token(r));
        return true;
    }
    if let Some(r) = body.strip_prefix("password changed for ") {
        d.kind = Kind::PasswordChange;
        d.set_sub(line, Field::User, token(r));
        return true;
    }
    if body.starts_with("check pass; user unknown") {
        d.kind = Kind::AuthFailure;
        return true;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rhel_pam_tag() {
        let line = "x authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root";
        let mut d = Draft::default();
        d.reset(line);
        let program = "sshd(pam_unix)";
        assert!(parse(program, &line[2..], line, &mut d));
        assert_eq!(d.kind, Kind::AuthFailure);
        assert_eq!(d.get(Field::Ip), Some("220-135-151-1.hinet-ip.hinet.net"));
        assert_eq!(d.get(Field::User), Some("root"));
    }
}
