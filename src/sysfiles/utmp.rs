//! utmp, wtmp and btmp records: glibc's `struct utmp`, 384 bytes,
//! little-endian, the layout every 64-bit and 32-bit Linux ABI shares
//! (times are 32-bit there for compatibility). Capture reads the running
//! system's `/run/utmp` for live response; the log loader reads wtmp and
//! btmp as login events. Both decode a record here.

/// Size of one record.
pub const RECORD: usize = 384;

/// One record, borrowed from its bytes. Text fields are cut at their first
/// NUL and not decoded (they are bytes on disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// `ut_type`: a `short` (followed by two bytes of padding).
    pub typ: i16,
    pub pid: i32,
    /// `ut_line`: the terminal (`pts/0`).
    pub line: &'a [u8],
    /// `ut_id`.
    pub id: &'a [u8],
    pub user: &'a [u8],
    pub host: &'a [u8],
    /// `ut_session`.
    pub session: i32,
    /// `ut_tv.tv_sec`, read as unsigned 32-bit (as glibc does since it made
    /// these times safe past 2038; no login predates 1970).
    pub sec: i64,
    /// `ut_tv.tv_usec` as written (not checked).
    pub usec: i64,
    /// `ut_addr_v6`: IPv4 in the first four bytes, or IPv6.
    pub addr: [u8; 16],
}

fn le_i32(b: &[u8], at: usize) -> Option<i32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(i32::from_le_bytes(s))
}

fn cstr(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// Decode one record; `None` when `r` is shorter than [`RECORD`].
pub fn decode(r: &[u8]) -> Option<Record<'_>> {
    let r = r.get(..RECORD)?;
    let typ = i16::from_le_bytes(r.get(0..2)?.try_into().ok()?);
    let mut addr = [0u8; 16];
    addr.copy_from_slice(r.get(348..364)?);
    Some(Record {
        typ,
        pid: le_i32(r, 4)?,
        line: cstr(r.get(8..40)?),
        id: cstr(r.get(40..44)?),
        user: cstr(r.get(44..76)?),
        host: cstr(r.get(76..332)?),
        session: le_i32(r, 336)?,
        sec: i64::from(le_i32(r, 340)? as u32),
        usec: i64::from(le_i32(r, 344)?),
        addr,
    })
}

/// The name of a record type (`USER_PROCESS`...), `None` outside 0..=9.
pub fn type_name(t: i16) -> Option<&'static str> {
    Some(match t {
        0 => "EMPTY",
        1 => "RUN_LVL",
        2 => "BOOT_TIME",
        3 => "NEW_TIME",
        4 => "OLD_TIME",
        5 => "INIT_PROCESS",
        6 => "LOGIN_PROCESS",
        7 => "USER_PROCESS",
        8 => "DEAD_PROCESS",
        9 => "ACCOUNTING",
        _ => return None,
    })
}

/// The remote address as text: `None` when all zero, IPv4 when only the
/// first four bytes are set, IPv6 otherwise.
pub fn addr_text(a: &[u8; 16]) -> Option<String> {
    if a.iter().all(|&b| b == 0) {
        return None;
    }
    if a[4..].iter().all(|&b| b == 0) {
        return Some(std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string());
    }
    Some(std::net::Ipv6Addr::from(*a).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_login_record() {
        let mut r = vec![0u8; RECORD];
        r[0..2].copy_from_slice(&7i16.to_le_bytes());
        r[2..4].copy_from_slice(&[0xff, 0xff]); // padding is not the type
        r[4..8].copy_from_slice(&4242i32.to_le_bytes());
        r[8..13].copy_from_slice(b"pts/0");
        r[44..47].copy_from_slice(b"ann");
        r[76..85].copy_from_slice(b"10.0.0.9\0");
        r[340..344].copy_from_slice(&(-1i32).to_le_bytes()); // 2106, not 1969
        r[348..352].copy_from_slice(&[10, 0, 0, 9]);
        let rec = decode(&r).unwrap();
        assert_eq!(rec.typ, 7);
        assert_eq!(type_name(rec.typ), Some("USER_PROCESS"));
        assert_eq!(
            (rec.pid, rec.line, rec.user),
            (4242, &b"pts/0"[..], &b"ann"[..])
        );
        assert_eq!(rec.host, b"10.0.0.9");
        assert_eq!(rec.sec, i64::from(u32::MAX));
        assert_eq!(addr_text(&rec.addr).as_deref(), Some("10.0.0.9"));
        assert!(decode(&r[..RECORD - 1]).is_none());
        assert_eq!(type_name(10), None);
    }
}
