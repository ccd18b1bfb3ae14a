//! Network sockets with their owning processes, from `/proc/net/{tcp,tcp6,
//! udp,udp6,raw,raw6,unix}` (the sockets of the collector's network
//! namespace) and the socket inodes found among every process's open files.

use super::{Problem, now, read_text};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// A process holding a socket open.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Owner {
    pub pid: i32,
    pub fd: u64,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Socket {
    /// `tcp`, `tcp6`, `udp`, `udp6`, `raw`, `raw6` or `unix`.
    pub protocol: String,
    pub local_address: Option<String>,
    pub local_port: Option<u16>,
    pub remote_address: Option<String>,
    pub remote_port: Option<u16>,
    /// `LISTEN`, `ESTABLISHED`... (TCP); raw state number otherwise.
    pub state: String,
    pub uid: Option<u32>,
    pub inode: u64,
    /// Unix sockets: the bound path (`@` = abstract).
    pub path: Option<String>,
    pub owners: Vec<Owner>,
}

/// `live/sockets.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SocketsDoc {
    pub collected_at: String,
    pub sockets: Vec<Socket>,
    pub problems: Vec<Problem>,
}

fn tcp_state(hex: &str) -> String {
    match hex {
        "01" => "ESTABLISHED",
        "02" => "SYN_SENT",
        "03" => "SYN_RECV",
        "04" => "FIN_WAIT1",
        "05" => "FIN_WAIT2",
        "06" => "TIME_WAIT",
        "07" => "CLOSE",
        "08" => "CLOSE_WAIT",
        "09" => "LAST_ACK",
        "0A" => "LISTEN",
        "0B" => "CLOSING",
        "0C" => "NEW_SYN_RECV",
        other => return other.to_string(),
    }
    .to_string()
}

/// Decode `0100007F:1F90` (IPv4) or the 32-hex-digit IPv6 form.
pub fn parse_addr(s: &str) -> Option<(String, u16)> {
    let (a, p) = s.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    let words: Vec<u32> = (0..a.len() / 8)
        .map(|i| {
            a.get(i * 8..i * 8 + 8)
                .and_then(|w| u32::from_str_radix(w, 16).ok())
        })
        .collect::<Option<_>>()?;
    let addr = match (a.len(), words.as_slice()) {
        (8, [w]) => Ipv4Addr::from(w.swap_bytes()).to_string(),
        (32, ws) if ws.len() == 4 => {
            let mut b = [0u8; 16];
            for (i, w) in ws.iter().enumerate() {
                b[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
            }
            Ipv6Addr::from(b).to_string()
        }
        _ => return None,
    };
    Some((addr, port))
}

/// Parse one inet table (`tcp`, `udp6`...).
pub fn parse_inet(protocol: &str, text: &str) -> Vec<Socket> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local = parse_addr(f.get(1)?);
            let remote = parse_addr(f.get(2)?);
            let st = f.get(3)?;
            let state = if protocol.starts_with("tcp") {
                tcp_state(st)
            } else {
                st.to_string()
            };
            Some(Socket {
                protocol: protocol.to_string(),
                local_address: local.as_ref().map(|x| x.0.clone()),
                local_port: local.map(|x| x.1),
                remote_address: remote.as_ref().map(|x| x.0.clone()),
                remote_port: remote.map(|x| x.1),
                state,
                uid: f.get(7).and_then(|s| s.parse().ok()),
                inode: f.get(9).and_then(|s| s.parse().ok())?,
                path: None,
                owners: Vec::new(),
            })
        })
        .collect()
}

/// Parse `/proc/net/unix`.
pub fn parse_unix(text: &str) -> Vec<Socket> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(Socket {
                protocol: "unix".into(),
                local_address: None,
                local_port: None,
                remote_address: None,
                remote_port: None,
                state: f.get(5)?.to_string(),
                uid: None,
                inode: f.get(6)?.parse().ok()?,
                path: f.get(7).map(|s| s.to_string()),
                owners: Vec::new(),
            })
        })
        .collect()
}

pub fn collect(proc_dir: &Path) -> SocketsDoc {
    let mut sockets = Vec::new();
    let mut problems = Vec::new();
    for proto in ["tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix"] {
        let p = proc_dir.join("net").join(proto);
        match read_text(&p) {
            Ok(t) if proto == "unix" => sockets.extend(parse_unix(&t)),
            Ok(t) => sockets.extend(parse_inet(proto, &t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(Problem::new(p.display().to_string(), &e)),
        }
    }
    SocketsDoc {
        collected_at: now(),
        sockets,
        problems,
    }
}

/// Name each socket's owners from the socket inodes of the process scan.
pub fn attach_owners(doc: &mut SocketsDoc, fds: &HashMap<u64, Vec<Owner>>) {
    for s in &mut doc.sockets {
        if let Some(o) = fds.get(&s.inode) {
            s.owners = o.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_addresses() {
        assert_eq!(
            parse_addr("0100007F:1F90"),
            Some(("127.0.0.1".into(), 8080))
        );
        assert_eq!(
            parse_addr("00000000000000000000000001000000:0016"),
            Some(("::1".into(), 22))
        );
        assert_eq!(parse_addr("zz:1"), None);
        assert_eq!(parse_addr("0100007F"), None);
    }

    #[test]
    fn parses_tables() {
        let t = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 12345 1 0 100 0 0 10 0\n";
        let s = parse_inet("tcp", t);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].state, "LISTEN");
        assert_eq!(s[0].uid, Some(1000));
        assert_eq!(s[0].inode, 12345);
        let u = parse_unix(
            "Num RefCount Protocol Flags Type St Inode Path\n0000: 00000002 00000000 00010000 0001 01 2222 /run/x.sock\n",
        );
        assert_eq!(u[0].path.as_deref(), Some("/run/x.sock"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_inet("tcp", &s);
            let _ = parse_unix(&s);
            let _ = parse_addr(&s);
        }
    }
}
