//! Live-response facts for stacking, from the documents capture stores
//! under `exhibit/live/` (`capture::live`): every listening port (TCP in
//! `LISTEN`, UDP bound without a peer; by protocol, port and whether only
//! loopback, valued by the programs holding it) and every running program
//! (by executable path, or `[name]` for kernel threads; a deleted binary or
//! one under `/tmp`, `/var/tmp` or `/dev/shm` is dangerous).

use super::{Fact, FactValue, Kind, LiveDocs};
use crate::detect::Severity;
use std::collections::BTreeSet;

/// Directories anyone may write to: no installed program runs from there.
const WRITABLE_DIRS: [&str; 3] = ["/tmp/", "/var/tmp/", "/dev/shm/"];

/// The port and process facts of one host's live response.
pub(super) fn facts(live: &LiveDocs, out: &mut Vec<Fact>) {
    if let Some(doc) = &live.sockets {
        // port key -> programs
        let mut ports: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
        for s in &doc.sockets {
            let proto = if s.protocol.starts_with("tcp") {
                "tcp"
            } else if s.protocol.starts_with("udp") {
                "udp"
            } else {
                continue;
            };
            let listening = match proto {
                "tcp" => s.state == "LISTEN",
                _ => s.remote_port == Some(0) || s.remote_port.is_none(),
            };
            let Some(port) = s.local_port.filter(|_| listening) else {
                continue;
            };
            let loopback = s
                .local_address
                .as_deref()
                .is_some_and(|a| a.starts_with("127.") || a == "::1");
            let key = format!(
                "{proto}/{port}{}",
                if loopback { " (loopback)" } else { "" }
            );
            let progs = ports.entry(key).or_default();
            for o in &s.owners {
                progs.insert(o.name.clone().unwrap_or_else(|| "?".into()));
            }
        }
        for (key, progs) in ports {
            let value = if progs.is_empty() {
                "program unknown".to_string()
            } else {
                progs.into_iter().collect::<Vec<_>>().join(", ")
            };
            out.push(Fact {
                kind: Kind::Port,
                key,
                value: FactValue::text(value),
                danger: Severity::High,
                why: "listening port",
            });
        }
    }
    if let Some(doc) = &live.processes {
        let mut seen = std::collections::HashSet::new();
        for p in &doc.processes {
            let key = match &p.exe {
                Some(exe) => exe.trim_end_matches(" (deleted)").to_string(),
                None => format!("[{}]", p.name.as_deref().unwrap_or("?")),
            };
            let tmp = WRITABLE_DIRS.iter().any(|d| key.starts_with(d));
            // The running binary's hash when live response took it, so a
            // program replaced on one host differs from the others.
            let hash = p.exe_sha256.as_deref().and_then(|h| {
                let mut b = [0u8; 32];
                hex::decode_to_slice(h, &mut b).ok().map(|()| b)
            });
            let value = match hash {
                _ if p.exe_deleted => FactValue::text("running, binary deleted"),
                Some(h) => FactValue::Hash(h),
                None => FactValue::text("running"),
            };
            if !seen.insert((key.clone(), value.clone())) {
                continue;
            }
            let (danger, why) = if p.exe_deleted {
                (Severity::High, "program whose binary was deleted")
            } else if tmp {
                (
                    Severity::High,
                    "program running from a world-writable directory",
                )
            } else {
                (Severity::Low, "running program")
            };
            out.push(Fact {
                kind: Kind::Process,
                key,
                value,
                danger,
                why,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Stacker;
    use super::*;
    use crate::capture::live::processes::{Process, ProcessesDoc};
    use crate::capture::live::sockets::{Owner, Socket, SocketsDoc};

    fn socket(proto: &str, addr: &str, port: u16, state: &str, owner: &str) -> Socket {
        Socket {
            protocol: proto.into(),
            local_address: Some(addr.into()),
            local_port: Some(port),
            remote_address: Some("0.0.0.0".into()),
            remote_port: Some(0),
            state: state.into(),
            uid: Some(0),
            inode: 1,
            path: None,
            owners: vec![Owner {
                pid: 1,
                fd: 3,
                name: Some(owner.into()),
            }],
        }
    }

    fn process(exe: &str, deleted: bool) -> Process {
        Process {
            pid: 2,
            ppid: Some(1),
            name: Some(exe.rsplit('/').next().unwrap_or(exe).into()),
            state: Some("S".into()),
            uid: Some(0),
            user: Some("root".into()),
            start_time: None,
            cmdline: None,
            exe: Some(exe.into()),
            exe_deleted: deleted,
            exe_sha256: None,
            cwd: None,
            open_files: None,
            vanished: false,
            problems: Vec::new(),
        }
    }

    fn host(extra: bool) -> LiveDocs {
        let mut sockets = vec![
            socket("tcp", "0.0.0.0", 22, "LISTEN", "sshd"),
            socket("tcp6", "::", 22, "LISTEN", "sshd"),
            socket("tcp", "10.0.0.5", 40000, "ESTABLISHED", "sshd"),
        ];
        let mut processes = vec![
            process("/usr/sbin/sshd", false),
            process("/usr/sbin/sshd", false),
        ];
        if extra {
            sockets.push(socket("tcp", "0.0.0.0", 4444, "LISTEN", "kworker"));
            processes.push(process("/tmp/.x/kworker", false));
            processes.push(process("/usr/sbin/cron", true));
        } else {
            processes.push(process("/usr/sbin/cron", false));
        }
        LiveDocs {
            processes: Some(ProcessesDoc {
                collected_at: String::new(),
                boot_time: None,
                processes,
                problems: Vec::new(),
            }),
            sockets: Some(SocketsDoc {
                collected_at: String::new(),
                sockets,
                problems: Vec::new(),
            }),
        }
    }

    #[test]
    fn listening_ports_and_programs_of_one_host_in_five_stand_out() {
        let mut s = Stacker::new();
        for h in 0..5u16 {
            let mut f = Vec::new();
            facts(&host(h == 3), &mut f);
            s.add(h, f);
        }
        let names: Vec<String> = (0..5).map(|i| format!("h{i}")).collect();
        let out = s.finish(&names, 1);
        let keys: Vec<(Kind, &str, &str)> = out
            .iter()
            .map(|o| (o.kind, o.key.as_str(), o.value.as_str()))
            .collect();
        assert!(
            keys.contains(&(Kind::Port, "tcp/4444", "kworker")),
            "{keys:?}"
        );
        assert!(
            keys.contains(&(Kind::Process, "/tmp/.x/kworker", "running")),
            "{keys:?}"
        );
        assert!(
            keys.contains(&(Kind::Process, "/usr/sbin/cron", "running, binary deleted")),
            "{keys:?}"
        );
        // The port every host listens on, and the connection, are not.
        assert!(
            !keys
                .iter()
                .any(|k| k.1 == "tcp/22" || k.1.contains("40000")),
            "{keys:?}"
        );
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(
            out.iter()
                .all(|o| o.hosts == vec!["h3"] && o.severity == Severity::Critical)
        );
    }
}
