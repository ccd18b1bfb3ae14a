//! Binary login records: utmp, wtmp and btmp (glibc's 384-byte records,
//! decoded by [`crate::sysfiles::utmp`]). A record with an impossible type or time is kept as an unparsed
//! event naming its offset; a trailing partial record is kept the same way.
//! In btmp every login record is a failed login.

use super::{Format, Method, RecordStats, SourceCtx};
use crate::logs::event::{Draft, Event, Field, Kind};
use crate::logs::time::US;
use crate::sysfiles::utmp::{addr_text, decode, type_name};
use std::io::Read;

pub use crate::sysfiles::utmp::RECORD;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "utmp",
    name_hint,
    sniff_bytes: Some(sniff),
    method: Method::Records(read),
};

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.contains("wtmp") || n.contains("btmp") || n.contains("utmp") {
        50
    } else {
        0
    }
}

fn sniff(head: &[u8], name: &str) -> u32 {
    let Some(r) = head.get(..RECORD) else {
        return if head.is_empty() {
            0
        } else {
            name_hint(name) / 2
        };
    };
    match decode(r) {
        Some(rec) if (0..=9).contains(&rec.typ) && (rec.typ == 0 || rec.sec > 0) => 100,
        _ => 0,
    }
}

/// Read every record of a utmp/wtmp/btmp stream.
pub fn read(
    input: &mut dyn Read,
    ctx: &SourceCtx,
    source: u32,
    out: &mut Vec<Event>,
) -> std::io::Result<RecordStats> {
    let btmp = ctx.file_name().to_ascii_lowercase().contains("btmp");
    let mut stats = RecordStats::default();
    let mut buf = [0u8; RECORD];
    let mut index = 0u64;
    let mut d = Draft::default();
    loop {
        let mut got = 0;
        while got < RECORD {
            let n = input.read(&mut buf[got..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got == 0 {
            break;
        }
        index += 1;
        let offset = (index - 1) * RECORD as u64;
        if got < RECORD {
            d.reset(&format!(
                "truncated record at offset {offset}: {got} of {RECORD} bytes"
            ));
            d.kind = Kind::Unparsed;
            out.push(d.finish(source, index));
            stats.unparsed += 1;
            stats.notes.push(format!(
                "file ends with a partial record ({got} bytes at offset {offset})"
            ));
            break;
        }
        let rec =
            decode(&buf).filter(|r| (0..=9).contains(&r.typ) && (0..1_000_000).contains(&r.usec));
        let Some(rec) = rec else {
            d.reset(&format!(
                "invalid record at offset {offset}: {}",
                hex::encode(&buf[..16])
            ));
            d.kind = Kind::Unparsed;
            out.push(d.finish(source, index));
            stats.unparsed += 1;
            continue;
        };
        let mut text = String::with_capacity(128);
        let mut spans: Vec<(Field, usize, usize)> = Vec::new();
        let mut put = |text: &mut String, key: &str, val: &str, f: Option<Field>| {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(key);
            text.push('=');
            let s = text.len();
            text.push_str(val);
            if let Some(f) = f {
                spans.push((f, s, text.len()));
            }
        };
        put(
            &mut text,
            "type",
            type_name(rec.typ).unwrap_or("INVALID"),
            Some(Field::Detail),
        );
        put(&mut text, "pid", &rec.pid.to_string(), Some(Field::Pid));
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        put(&mut text, "line", &lossy(rec.line), Some(Field::Target));
        put(&mut text, "id", &lossy(rec.id), None);
        put(
            &mut text,
            "user",
            &lossy(rec.user),
            (!rec.user.is_empty()).then_some(Field::User),
        );
        let addr = addr_text(&rec.addr);
        let host = lossy(rec.host);
        let ip_from_host = !host.is_empty();
        put(&mut text, "host", &host, ip_from_host.then_some(Field::Ip));
        if let Some(a) = &addr {
            put(&mut text, "addr", a, (!ip_from_host).then_some(Field::Ip));
        }
        d.reset(&text);
        for (f, s, e) in spans {
            d.set(f, s, e);
        }
        d.set_owned(Field::Program, if btmp { "btmp" } else { "utmp" });
        d.time_us = (rec.sec > 0).then_some(rec.sec * US + rec.usec);
        d.kind = match rec.typ {
            7 if btmp => Kind::AuthFailure,
            7 => Kind::Login,
            8 => Kind::Logout,
            1..=4 => Kind::System,
            _ => Kind::Info,
        };
        out.push(d.finish(source, index));
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: i16, user: &str, host: &str, sec: i32) -> Vec<u8> {
        let mut r = vec![0u8; RECORD];
        r[0..2].copy_from_slice(&typ.to_le_bytes());
        r[4..8].copy_from_slice(&42i32.to_le_bytes());
        r[8..13].copy_from_slice(b"pts/1");
        r[44..44 + user.len()].copy_from_slice(user.as_bytes());
        r[76..76 + host.len()].copy_from_slice(host.as_bytes());
        r[340..344].copy_from_slice(&sec.to_le_bytes());
        r
    }

    #[test]
    fn records_partial_and_invalid() {
        let mut data = record(7, "alice", "10.0.0.9", 1_000);
        data.extend(record(99, "x", "", 5));
        data.extend(record(8, "", "", 2_000));
        data.push(1);
        let ctx = SourceCtx {
            path: "/var/log/wtmp".into(),
            ..Default::default()
        };
        let mut out = Vec::new();
        let st = read(&mut data.as_slice(), &ctx, 0, &mut out).unwrap();
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].kind, Kind::Login);
        assert_eq!(out[0].get(Field::User), Some("alice"));
        assert_eq!(out[0].get(Field::Ip), Some("10.0.0.9"));
        assert_eq!(out[0].time_us, Some(1_000 * US));
        assert_eq!(out[1].kind, Kind::Unparsed);
        assert_eq!(out[2].kind, Kind::Logout);
        assert_eq!(out[3].kind, Kind::Unparsed);
        assert_eq!(st.unparsed, 2);
    }

    #[test]
    fn times_at_the_limits_of_the_fields_stay_in_range() {
        let mut data = Vec::new();
        for sec in [i32::MAX, i32::MIN, -1, 1] {
            let mut r = record(7, "u", "h", sec);
            r[344..348].copy_from_slice(&999_999i32.to_le_bytes());
            data.extend(r);
        }
        let mut out = Vec::new();
        read(&mut data.as_slice(), &SourceCtx::default(), 0, &mut out).unwrap();
        let times: Vec<i64> = out.iter().map(|e| e.time_us.unwrap()).collect();
        // The seconds field is unsigned: 0xffffffff is 2106-02-07.
        assert_eq!(
            crate::logs::time::rfc3339(times[2]),
            "2106-02-07T06:28:15.999999Z"
        );
        assert!(times.iter().all(|&t| crate::logs::time::in_range(t)));
    }
}
