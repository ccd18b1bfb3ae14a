//! Account management: useradd, usermod, userdel, groupadd, groupmod,
//! gpasswd, passwd/chpasswd (shadow-utils messages).

use super::{after, kv, token};
use crate::logs::event::{Draft, Field, Kind};

const PROGRAMS: &[&str] = &[
    "useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "gpasswd", "passwd",
    "chpasswd", "chage", "adduser", "deluser", "chsh", "chfn", "newusers",
];

/// Parse an account-management message.
pub fn parse(program: &str, msg: &str, line: &str, d: &mut Draft) -> bool {
    if !PROGRAMS.contains(&program) || msg.starts_with("pam_") {
        return false;
    }
    if let Some(r) = msg.strip_prefix("new user: ") {
        d.kind = Kind::UserAdd;
        if let Some(n) = kv(r, "name=") {
            d.set_sub(line, Field::User, n);
        }
        if let Some(u) = kv(r, "UID=") {
            d.set_sub(line, Field::Uid, u);
        }
        if let Some(s) = kv(r, "shell=") {
            d.set_sub(line, Field::Detail, s);
        }
        return true;
    }
    if let Some(r) = msg
        .strip_prefix("new group: ")
        .or_else(|| msg.strip_prefix("group added to /etc/group: "))
        .or_else(|| msg.strip_prefix("group added to /etc/gshadow: "))
    {
        d.kind = Kind::GroupAdd;
        if let Some(n) = kv(r, "name=") {
            d.set_sub(line, Field::Target, n);
        }
        if let Some(g) = kv(r, "GID=") {
            d.set_sub(line, Field::Uid, g);
        }
        return true;
    }
    // usermod: "add 'alice' to group 'sudo'", "add 'alice' to shadow group 'sudo'"
    if let Some(r) = msg.strip_prefix("add '") {
        d.kind = Kind::GroupChange;
        d.set_sub(line, Field::User, r.split('\'').next().unwrap_or(""));
        if let Some(g) = after(r, "group '") {
            d.set_sub(line, Field::Target, g.split('\'').next().unwrap_or(""));
        }
        return true;
    }
    // gpasswd: "user alice added by root to group sudo"
    if let Some(r) = msg.strip_prefix("user ")
        && let Some(g) = after(r, " to group ")
    {
        d.kind = Kind::GroupChange;
        d.set_sub(line, Field::User, token(r));
        d.set_sub(line, Field::Target, token(g));
        return true;
    }
    // usermod: "change user 'alice' UID from '1001' to '0'", "change user 'x' shell ..."
    if let Some(r) = msg.strip_prefix("change user '") {
        d.kind = Kind::UserChange;
        d.set_sub(line, Field::User, r.split('\'').next().unwrap_or(""));
        if let Some(to) = after(r, "UID from '").and_then(|x| after(x, " to '")) {
            d.set_sub(line, Field::Uid, to.split('\'').next().unwrap_or(""));
        }
        d.set_sub(line, Field::Detail, msg);
        return true;
    }
    if let Some(r) = msg
        .strip_prefix("delete user '")
        .or_else(|| msg.strip_prefix("delete user "))
    {
        d.kind = Kind::UserDelete;
        d.set_sub(line, Field::User, r.split(['\'', ' ']).next().unwrap_or(""));
        return true;
    }
    if let Some(r) = msg
        .strip_prefix("password for '")
        .or_else(|| msg.strip_prefix("password changed for "))
    {
        d.kind = Kind::PasswordChange;
        d.set_sub(line, Field::User, r.split(['\'', ' ']).next().unwrap_or(""));
        return true;
    }
    if program == "usermod" || program == "groupmod" {
        d.kind = if program == "usermod" {
            Kind::UserChange
        } else {
            Kind::GroupChange
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn useradd() {
        let line = "x new user: name=cyberjunkie, UID=1002, GID=1002, home=/home/cyberjunkie, shell=/bin/bash, from=/dev/pts/1";
        let mut d = Draft::default();
        d.reset(line);
        assert!(parse("useradd", &line[2..], line, &mut d));
        assert_eq!(d.kind, Kind::UserAdd);
        assert_eq!(d.get(Field::User), Some("cyberjunkie"));
        assert_eq!(d.get(Field::Uid), Some("1002"));
    }

    #[test]
    fn usermod_group() {
        let line = "x add 'cyberjunkie' to group 'sudo'";
        let mut d = Draft::default();
        d.reset(line);
        assert!(parse("usermod", &line[2..], line, &mut d));
        assert_eq!(d.kind, Kind::GroupChange);
        assert_eq!(d.get(Field::Target), Some("sudo"));
    }
}
