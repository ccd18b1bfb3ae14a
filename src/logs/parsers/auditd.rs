//! Linux audit logs (`/var/log/audit/audit.log`): USER_AUTH, USER_LOGIN,
//! ADD_USER and friends, USER_CMD and EXECVE (hex-encoded arguments decoded).
//! Every record is kept; the listed types get a specific kind.

use super::{Format, LineParser, Method, SourceCtx, kv};
use crate::logs::event::{Draft, Field, Kind};
use crate::logs::time::US;

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
    Box::new(Auditd)
}

struct Auditd;

impl LineParser for Auditd {
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
        let ts = stamp.split(':').next().unwrap_or("");
        let (secs, frac) = ts.split_once('.').unwrap_or((ts, "0"));
        let (Ok(secs), Ok(ms)) = (secs.parse::<i64>(), frac.parse::<i64>()) else {
            return false;
        };
        d.time_us = Some(secs * US + ms * 1000);
        if let Some(n) = node {
            d.set_sub(line, Field::Host, n);
        }
        d.set_sub(line, Field::Program, "auditd");
        d.set_sub(line, Field::Detail, typ);
        if let Some(p) = kv(body, "pid=") {
            d.set_sub(line, Field::Pid, p);
        }
        // The acting account's audit uid (not the account acted on).
        if let Some(u) = kv(body, "auid=") {
            d.set_sub(line, Field::Target, u);
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
            "EXECVE" => {
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
                if let Some(e) = kv(body, "exe=") {
                    d.set_sub(line, Field::Command, e);
                }
            }
        }
        true
    }
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
        assert!(Auditd.parse(line, &mut d), "{line}");
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
}
