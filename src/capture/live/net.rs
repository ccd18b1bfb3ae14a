//! Network configuration as the kernel holds it now: interfaces (state,
//! MAC, IPv4 and IPv6 addresses), the IPv4 routing table and the ARP cache.
//! IPv4 addresses come from `/proc/net/fib_trie` (local host routes) and are
//! matched to interfaces through the routing table.

use super::{Problem, now, read_text};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub mac: Option<String>,
    pub state: Option<String>,
    pub ipv4: Vec<String>,
    pub ipv6: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Route {
    pub interface: String,
    pub destination: String,
    pub gateway: String,
    pub mask: String,
    pub flags: String,
    pub metric: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ArpEntry {
    pub ip: String,
    pub mac: String,
    pub interface: String,
    pub flags: String,
}

/// `live/network.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkDoc {
    pub collected_at: String,
    pub interfaces: Vec<Interface>,
    /// Local IPv4 addresses no route names an interface for.
    pub unassigned_ipv4: Vec<String>,
    pub routes: Vec<Route>,
    pub arp: Vec<ArpEntry>,
    pub problems: Vec<Problem>,
}

fn hex_ip(s: &str) -> Option<Ipv4Addr> {
    u32::from_str_radix(s, 16)
        .ok()
        .map(|v| Ipv4Addr::from(v.swap_bytes()))
}

/// Parse `/proc/net/route`.
pub fn parse_routes(text: &str) -> Vec<Route> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(Route {
                interface: f.first()?.to_string(),
                destination: hex_ip(f.get(1)?)?.to_string(),
                gateway: hex_ip(f.get(2)?)?.to_string(),
                flags: f.get(3)?.to_string(),
                metric: f.get(6).and_then(|s| s.parse().ok()),
                mask: hex_ip(f.get(7)?)?.to_string(),
            })
        })
        .collect()
}

/// Parse `/proc/net/arp`.
pub fn parse_arp(text: &str) -> Vec<ArpEntry> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(ArpEntry {
                ip: f.first()?.to_string(),
                flags: f.get(2)?.to_string(),
                mac: f.get(3)?.to_string(),
                interface: f.get(5)?.to_string(),
            })
        })
        .collect()
}

/// Local IPv4 addresses from `/proc/net/fib_trie` (`/32 host LOCAL`).
pub fn parse_fib_trie_local(text: &str) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for l in text.lines() {
        let t = l.trim_start_matches([' ', '|', '+', '-']).trim();
        if let Ok(ip) = t.parse::<Ipv4Addr>() {
            last = Some(ip);
        } else if t.contains("/32 host LOCAL")
            && let Some(ip) = last
            && !out.contains(&ip)
        {
            out.push(ip);
        }
    }
    out.sort();
    out
}

/// `(interface, address/prefix)` from `/proc/net/if_inet6`.
pub fn parse_if_inet6(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let hex = f.first()?;
            if hex.len() != 32 {
                return None;
            }
            let mut b = [0u8; 16];
            for (i, byte) in b.iter_mut().enumerate() {
                *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
            }
            let prefix = u8::from_str_radix(f.get(2)?, 16).ok()?;
            Some((
                f.get(5)?.to_string(),
                format!("{}/{prefix}", std::net::Ipv6Addr::from(b)),
            ))
        })
        .collect()
}

pub fn collect(proc_dir: &Path, sys_dir: &Path) -> NetworkDoc {
    let mut problems = Vec::new();
    let mut read = |rel: &str| match read_text(&proc_dir.join(rel)) {
        Ok(s) => s,
        Err(e) => {
            problems.push(Problem::new(format!("/proc/{rel}"), &e));
            String::new()
        }
    };
    let routes = parse_routes(&read("net/route"));
    let arp = parse_arp(&read("net/arp"));
    let local4 = parse_fib_trie_local(&read("net/fib_trie"));
    let inet6 = parse_if_inet6(&read("net/if_inet6"));
    let mut names: Vec<String> = match std::fs::read_dir(sys_dir.join("class/net")) {
        Ok(rd) => rd
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect(),
        Err(e) => {
            problems.push(Problem::new("/sys/class/net", &e));
            Vec::new()
        }
    };
    for (n, _) in &inet6 {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names.sort();
    let sys_read = |n: &str, f: &str| {
        read_text(&sys_dir.join("class/net").join(n).join(f))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut unassigned = Vec::new();
    let mut interfaces: Vec<Interface> = names
        .iter()
        .map(|n| Interface {
            name: n.clone(),
            mac: sys_read(n, "address"),
            state: sys_read(n, "operstate"),
            ipv4: Vec::new(),
            ipv6: inet6
                .iter()
                .filter(|(i, _)| i == n)
                .map(|(_, a)| a.clone())
                .collect(),
        })
        .collect();
    for ip in local4 {
        let v = u32::from(ip);
        let iface = if ip.is_loopback() {
            Some("lo".to_string())
        } else {
            routes
                .iter()
                .filter(|r| r.mask != "0.0.0.0")
                .find(|r| {
                    let (Ok(d), Ok(m)) = (
                        r.destination.parse::<Ipv4Addr>(),
                        r.mask.parse::<Ipv4Addr>(),
                    ) else {
                        return false;
                    };
                    v & u32::from(m) == u32::from(d)
                })
                .map(|r| r.interface.clone())
        };
        match iface.and_then(|n| interfaces.iter_mut().find(|i| i.name == n)) {
            Some(i) => i.ipv4.push(ip.to_string()),
            None => unassigned.push(ip.to_string()),
        }
    }
    NetworkDoc {
        collected_at: now(),
        interfaces,
        unassigned_ipv4: unassigned,
        routes,
        arp,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tables() {
        let r = parse_routes(
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n",
        );
        assert_eq!(r[0].destination, "192.168.0.0");
        assert_eq!(r[0].mask, "255.255.255.0");
        let a = parse_arp(
            "IP address HW type Flags HW address Mask Device\n192.168.0.1 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n",
        );
        assert_eq!(a[0].mac, "aa:bb:cc:dd:ee:ff");
        let f = parse_fib_trie_local(
            "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 192.168.0.5\n        /32 host LOCAL\n     |-- 192.168.0.255\n        /32 link BROADCAST\n",
        );
        assert_eq!(f, vec![Ipv4Addr::new(192, 168, 0, 5)]);
        let v6 = parse_if_inet6("00000000000000000000000000000001 01 80 10 80       lo\n");
        assert_eq!(v6, vec![("lo".to_string(), "::1/128".to_string())]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_routes(&s);
            let _ = parse_arp(&s);
            let _ = parse_fib_trie_local(&s);
            let _ = parse_if_inet6(&s);
        }
    }
}
