//! Linux audit logs (`/var/log/audit/audit.log`): USER_AUTH, USER_LOGIN,
//! ADD_USER and friends, USER_CMD and EXECVE (hex-encoded arguments decoded).
//! Every record is kept; the listed types get a specific kind.
//!
//! The records of one audit event share its `msg=audit(TIME:SERIAL)` stamp.
//! auditd writes the SYSCALL record first, so an EXECVE record is joined to
//! the SYSCALL record of the same serial read before it: it gets that
//! record's `uid` (as `uid`), `auid` (as `target`), `pid` and `exe` (as
//! `path`). `exe=` and `proctitle=` values that auditd wrote in hex (a
//! path with a space, as a deleted binary's `/tmp/x (deleted)`; every
//! PROCTITLE) are decoded; `uid` and `auid` (as `target`) are kept on every
//! record that has them (`uid` not on account-management records, where
//! it would read as the uid of the account acted on). SELinux AVC denials (`avc:  denied  { read } for pid=.. comm=..
//! name=.. scontext=.. tcontext=.. tclass=..`) keep the permission, the
//! program, the object and the contexts.

use super::{Format, LineParser, Method, SourceCtx, kv};
use crate::logs::event::{Draft, Field, Kind};
use crate::logs::time;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "auditd",
    name_hint,
    sniff_bytes: None,
    method: Method::Lines(make),
};

fn name_hint(name: &str) -> u32 {
    if name.starts_with("audit") { 10 } else { 0 }
}

fn make(_: &SourceCtx) -> Box<dyn LineParser> {
    Box::new(Auditd::default())
}

/// What an EXECVE record takes from the SYSCALL record of its event.
#[derive(Default)]
struct Syscall {
    serial: String,
    uid: Option<String>,
    auid: Option<String>,
    pid: Option<String>,
    exe: Option<String>,
}

#[derive(Default)]
struct Auditd {
    /// The last SYSCALL record read.
    syscall: Option<Syscall>,
}

impl LineParser for Auditd {
    /// One record: its header, then the fields of each record type Exhibit
    /// reads, one arm per type (long because there are many types).
    fn parse(&mut self, line: &str, d: &mut Draft) -> bool {
        // Optional "node=host " prefix.
        let (node, rest) = match line.strip_prefix("node=") {
            Some(r) => match r.split_once(' ') {
                Some((n, r)) => (Some(n), r),
                None => return false,
            },
            None => (None, line),
        };
        let Some(r) = rest.strip_prefix("type=") else {
            return false;
        };
        let Some((typ, r)) = r.split_once(' ') else {
            return false;
        };
        let Some(r) = r.strip_prefix("msg=audit(") else {
            return false;
        };
        let Some((stamp, body)) = r.split_once("):") else {
            return false;
        };
        let (ts, serial) = stamp.split_once(':').unwrap_or((stamp, ""));
        let (secs, frac) = ts.split_once('.').unwrap_or((ts, "0"));
        let (Ok(secs), Ok(ms)) = (secs.parse::<i64>(), frac.parse::<i64>()) else {
            return false;
        };
        d.time_us = Some(time::plus_us(
            time::from_secs(secs),
            ms.saturating_mul(1000),
        ));
        if let Some(n) = node {
            d.set_sub(line, Field::Host, n);
        }
        d.set_sub(line, Field::Program, "auditd");
        d.set_sub(line, Field::Detail, typ);
        if let Some(p) = kv(body, "pid=") {
            d.set_sub(line, Field::Pid, p);
        }
        // The acting account's audit uid (not the account acted on), and the
        // process's uid, on every record type that has them.
        if let Some(u) = kv(body, "auid=") {
            d.set_sub(line, Field::Target, u);
        }
        // On account-management records `uid` would read as the uid of the
        // account acted on (`src/detect/logs/accounts.rs`): it is the
        // acting process's, so it is left out there.
        let manages_accounts = matches!(
            typ,
            "ADD_USER"
                | "DEL_USER"
                | "ADD_GROUP"
                | "DEL_GROUP"
                | "USER_MGMT"
                | "GRP_MGMT"
                | "USER_CHAUTHTOK"
                | "ACCT_LOCK"
                | "ACCT_UNLOCK"
        );
        if !manages_accounts && let Some(u) = kv(body, "uid=") {
            d.set_sub(line, Field::Uid, u);
        }
        let success = kv(body, "res=").is_some_and(|r| r == "success" || r == "1");
        let acct = kv(body, "acct=").filter(|a| !a.is_empty());
        let addr = kv(body, "addr=").filter(|a| *a != "?" && !a.is_empty());
        let kind = match typ {
            "USER_AUTH" | "USER_LOGIN" | "USER_ERR" => {
                if success {
                    if typ == "USER_LOGIN" {
                        Kind::AuthSuccess
                    } else {
                        Kind::Info
                    }
                } else {
                    Kind::AuthFailure
                }
            }
            "ADD_USER" => Kind::UserAdd,
            "DEL_USER" => Kind::UserDelete,
            "ADD_GROUP" => Kind::GroupAdd,
            "DEL_GROUP" => Kind::GroupChange,
            "USER_MGMT" | "USER_CHAUTHTOK" | "ACCT_LOCK" | "ACCT_UNLOCK" => Kind::UserChange,
            "USER_CMD" => Kind::Sudo,
            "EXECVE" => Kind::Exec,
            _ => Kind::Info,
        };
        d.kind = kind;
        if let Some(a) = acct {
            let a = a.trim_matches('"');
            if is_hex(a) {
                d.set_owned(Field::User, &decode_hex(a));
            } else {
                d.set_sub(line, Field::User, a);
            }
        }
        if let Some(a) = addr {
            d.set_sub(line, Field::Ip, a);
        }
        match typ {
            "SYSCALL" => {
                let exe = value(body, "exe=");
                if let Some(e) = &exe {
                    d.set_sub(line, Field::Command, e.as_ref());
                }
                let owned = |v: Option<&str>| v.map(str::to_string);
                self.syscall = Some(Syscall {
                    serial: serial.to_string(),
                    uid: owned(kv(body, "uid=")),
                    auid: owned(kv(body, "auid=")),
                    pid: owned(kv(body, "pid=")),
                    exe: exe.map(|e| e.into_owned()),
                });
            }
            "PROCTITLE" => {
                if let Some(t) = value(body, "proctitle=") {
                    d.set_sub(line, Field::Command, t.as_ref());
                }
            }
            "AVC" | "USER_AVC" => {
                if let Some(perm) = super::after(body, "{ ").and_then(|r| r.split(" }").next()) {
                    let verdict = if body.contains("denied") {
                        "denied"
                    } else {
                        "granted"
                    };
                    d.set_owned(Field::Detail, &format!("{typ} {verdict} {{ {perm} }}"));
                }
                if let Some(c) = kv(body, "comm=") {
                    d.set_sub(line, Field::Command, c);
                }
                if let Some(p) = kv(body, "path=").or_else(|| kv(body, "name=")) {
                    d.set_sub(line, Field::Path, p);
                }
                if let Some(t) = kv(body, "tcontext=") {
                    d.set_sub(line, Field::Target, t);
                }
                if let Some(u) = kv(body, "scontext=") {
                    d.set_sub(line, Field::User, u);
                }
            }
            "EXECVE" => {
                if let Some(sc) = self.syscall.as_ref().filter(|s| s.serial == serial) {
                    if let Some(u) = &sc.uid {
                        d.set_owned(Field::Uid, u);
                    }
                    if let Some(a) = &sc.auid {
                        d.set_owned(Field::Target, a);
                    }
                    if let Some(p) = &sc.pid {
                        d.set_owned(Field::Pid, p);
                    }
                    if let Some(e) = &sc.exe {
                        d.set_owned(Field::Path, e);
                    }
                }
                let argc: usize = kv(body, "argc=").and_then(|a| a.parse().ok()).unwrap_or(0);
                let mut cmd = String::new();
                for i in 0..argc.min(256) {
                    let key = format!("a{i}=");
                    let Some(pos) = body.find(&format!(" {key}")) else {
                        break;
                    };
                    let v = &body[pos + 1 + key.len()..];
                    let arg = if let Some(q) = v.strip_prefix('"') {
                        q.split('"').next().unwrap_or("").to_string()
                    } else {
                        let h = v.split(' ').next().unwrap_or("");
                        if is_hex(h) {
                            decode_hex(h)
                        } else {
                            h.to_string()
                        }
                    };
                    if i > 0 {
                        cmd.push(' ');
                    }
                    cmd.push_str(&arg);
                }
                d.set_owned(Field::Command, &cmd);
            }
            "USER_CMD" => {
                if let Some(c) = kv(body, "cmd=") {
                    if is_hex(c) {
                        d.set_owned(Field::Command, &decode_hex(c));
                    } else {
                        d.set_sub(line, Field::Command, c);
                    }
                }
            }
            _ => {
                if let Some(e) = value(body, "exe=") {
                    d.set_sub(line, Field::Command, e.as_ref());
                }
            }
        }
        true
    }
}

/// The value of `key=` with auditd's encoding undone: a value auditd could
/// not log as is (a space, a quote, a control character or a non-ASCII byte
/// in it: a deleted binary's `exe=/tmp/x (deleted)`, any `proctitle=`) is
/// written unquoted in hex; a quoted value is taken as it is.
fn value<'a>(body: &'a str, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    let v = kv(body, key)?;
    let quoted = super::after(body, key).is_some_and(|r| r.starts_with('"'));
    Some(if !quoted && is_hex(v) {
        std::borrow::Cow::Owned(decode_hex(v))
    } else {
        std::borrow::Cow::Borrowed(v)
    })
}

fn is_hex(s: &str) -> bool {
    s.len() >= 2
        && s.len().is_multiple_of(2)
        && s.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
}

fn decode_hex(s: &str) -> String {
    match hex::decode(s) {
        Ok(b) => String::from_utf8_lossy(&b).replace('\0', " "),
        Err(_) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Draft {
        let mut d = Draft::default();
        d.reset(line);
        assert!(Auditd::default().parse(line, &mut d), "{line}");
        d
    }

    #[test]
    fn add_user_and_execve() {
        let d = p(
            r#"type=ADD_USER msg=audit(1783414573.160:408): pid=2062 uid=0 auid=0 ses=6 subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 msg='op=add-user acct="specimenuser" exe="/usr/bin/useradd" hostname=? addr=? terminal=? res=success'UID="root" AUID="root""#,
        );
        assert_eq!(d.kind, Kind::UserAdd);
        assert_eq!(d.get(Field::User), Some("specimenuser"));
        assert_eq!(d.time_us, Some(1_783_414_573_160_000));
        let d = p(r#"type=EXECVE msg=audit(1.0:1): argc=3 a0="sh" a1="-c" a2=6964"#);
        assert_eq!(d.kind, Kind::Exec);
        assert_eq!(d.get(Field::Command), Some("sh -c id"));
        let d = p(
            r#"type=USER_AUTH msg=audit(1.5:2): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct="root" exe="/usr/sbin/sshd" hostname=1.2.3.4 addr=1.2.3.4 terminal=ssh res=failed'"#,
        );
        assert_eq!(d.kind, Kind::AuthFailure);
        assert_eq!(d.get(Field::Ip), Some("1.2.3.4"));
    }

    #[test]
    fn execve_joined_to_its_syscall_by_serial() {
        let mut a = Auditd::default();
        let mut d = Draft::default();
        let lines = [
            r#"type=SYSCALL msg=audit(1700000000.100:77): arch=c000003e syscall=59 success=yes exit=0 ppid=10 pid=4242 auid=1000 uid=0 gid=0 euid=0 comm="cat" exe="/usr/bin/cat" key=(null)"#,
            r#"type=EXECVE msg=audit(1700000000.100:77): argc=2 a0="cat" a1="/etc/shadow""#,
            r#"type=EXECVE msg=audit(1700000000.200:78): argc=1 a0="id""#,
        ];
        let mut out = Vec::new();
        for l in lines {
            d.reset(l);
            assert!(a.parse(l, &mut d));
            out.push(d.finish(0, 1));
        }
        assert_eq!(out[0].get(Field::Uid), Some("0"));
        assert_eq!(out[1].kind, Kind::Exec);
        assert_eq!(out[1].get(Field::Command), Some("cat /etc/shadow"));
        assert_eq!(out[1].get(Field::Uid), Some("0"));
        assert_eq!(out[1].get(Field::Target), Some("1000"));
        assert_eq!(out[1].get(Field::Pid), Some("4242"));
        assert_eq!(out[1].get(Field::Path), Some("/usr/bin/cat"));
        // Another serial: not joined.
        assert_eq!(out[2].get(Field::Uid), None);
        assert_eq!(out[2].get(Field::Path), None);
    }

    #[test]
    fn selinux_avc_denial() {
        let d = p(
            r#"type=AVC msg=audit(1700000001.5:90): avc:  denied  { read } for  pid=2001 comm="httpd" name="shadow" dev="dm-0" ino=123 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0"#,
        );
        assert_eq!(d.get(Field::Detail), Some("AVC denied { read }"));
        assert_eq!(d.get(Field::Command), Some("httpd"));
        assert_eq!(d.get(Field::Path), Some("shadow"));
        assert_eq!(d.get(Field::Pid), Some("2001"));
        assert_eq!(d.get(Field::Target), Some("system_u:object_r:shadow_t:s0"));
    }

    #[test]
    fn an_overflowing_audit_time_saturates_out_of_range() {
        // 99999999999999999 s does not fit in microseconds: it used to
        // overflow (a panic in debug builds, a wrapped date in release).
        for line in [
            "type=USER_AUTH msg=audit(99999999999999999.123:1): pid=1 res=failed",
            "type=USER_AUTH msg=audit(1.9999999999999999:1): pid=1 res=failed",
            "type=USER_AUTH msg=audit(-9223372036854775808.1:1): pid=1 res=failed",
        ] {
            let d = p(line);
            let t = d.time_us.expect("a time, to be dropped by the loader");
            assert!(!crate::logs::time::in_range(t), "{line}: {t}");
        }
    }
}
