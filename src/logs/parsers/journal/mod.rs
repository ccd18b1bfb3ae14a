//! Binary systemd journal files (`/var/log/journal/<machine-id>/*.journal`,
//! archived `system@….journal~`, `user-1000.journal`, volatile ones under
//! `/run/log/journal`), read in pure Rust by [`file`] — no libsystemd, no
//! `journalctl`. Each entry becomes one event, in file order: its time is
//! `__REALTIME_TIMESTAMP` (UTC microseconds), its host `_HOSTNAME`, its
//! program `SYSLOG_IDENTIFIER` (or `_COMM`), its pid `_PID` (or
//! `SYSLOG_PID`), and `MESSAGE` goes through the same program parsers as
//! syslog lines (`syslog::message`: sshd, sudo, PAM, useradd, cron...), so a
//! Debian 12 host that logs only to the journal feeds the same detections
//! as `auth.log`.
//!
//! The event's text is the entry as `journalctl -o short` would show it
//! (`host program[pid]: message`) followed by the journal's own provenance:
//! `[journal seqnum=… offset=… _BOOT_ID=… _TRANSPORT=… _UID=… _SYSTEMD_UNIT=…]`.
//! The event's `line` is the entry's number in file order. A damaged entry
//! is kept as an unparsed event naming its offset; what could not be read
//! is listed in the source's notes and error with its offset.

pub mod file;

use super::{Format, Method, RecordStats, SourceCtx};
use crate::logs::event::{Draft, Event, Field, Kind, TextArena};
use file::{Journal, Problems, State};
use std::collections::HashSet;
use std::io::Read;

/// The most bytes of one journal file held in memory (journald rotates at
/// 128 MiB by default); a larger file is read up to this point, as if cut.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The registry entry.
pub const FORMAT: Format = Format {
    name: "journal",
    name_hint,
    sniff_bytes: Some(sniff),
    method: Method::Records(read),
};

fn name_hint(name: &str) -> u32 {
    let n = name.to_ascii_lowercase();
    if n.ends_with(".journal") || n.ends_with(".journal~") {
        20
    } else {
        0
    }
}

fn sniff(head: &[u8], _name: &str) -> u32 {
    if head.starts_with(file::SIGNATURE) {
        100
    } else {
        0
    }
}

/// One field's value, its buffer reused between entries.
#[derive(Default)]
struct Slot {
    set: bool,
    buf: String,
}

impl Slot {
    fn get(&self) -> Option<&str> {
        self.set.then_some(self.buf.as_str())
    }

    /// Keep the first value an entry gives (lossy UTF-8).
    fn put(&mut self, v: &[u8]) {
        if self.set {
            return;
        }
        self.set = true;
        self.buf.clear();
        match std::str::from_utf8(v) {
            Ok(s) => self.buf.push_str(s),
            Err(_) => self.buf.push_str(&String::from_utf8_lossy(v)),
        }
    }
}

/// The fields of one entry the event uses (reused between entries).
#[derive(Default)]
struct Fields {
    message: Slot,
    ident: Slot,
    comm: Slot,
    host: Slot,
    pid: Slot,
    syslog_pid: Slot,
    uid: Slot,
    unit: Slot,
    transport: Slot,
}

impl Fields {
    fn clear(&mut self) {
        for s in [
            &mut self.message,
            &mut self.ident,
            &mut self.comm,
            &mut self.host,
            &mut self.pid,
            &mut self.syslog_pid,
            &mut self.uid,
            &mut self.unit,
            &mut self.transport,
        ] {
            s.set = false;
        }
    }

    fn take(&mut self, payload: &[u8]) {
        let Some(eq) = memchr::memchr(b'=', payload) else {
            return;
        };
        let (name, value) = (
            payload.get(..eq).unwrap_or_default(),
            payload.get(eq + 1..).unwrap_or_default(),
        );
        let slot = match name {
            b"MESSAGE" => &mut self.message,
            b"SYSLOG_IDENTIFIER" => &mut self.ident,
            b"_COMM" => &mut self.comm,
            b"_HOSTNAME" => &mut self.host,
            b"_PID" => &mut self.pid,
            b"SYSLOG_PID" => &mut self.syslog_pid,
            b"_UID" => &mut self.uid,
            b"_SYSTEMD_UNIT" => &mut self.unit,
            b"_TRANSPORT" => &mut self.transport,
            _ => return,
        };
        slot.put(value);
    }

    fn program(&self) -> Option<&str> {
        self.ident.get().or(self.comm.get())
    }
}

/// Build the event text of an entry; returns the spans of host, program,
/// pid and message in it.
struct Text {
    line: String,
    host: Option<(usize, usize)>,
    program: Option<(usize, usize)>,
    pid: Option<(usize, usize)>,
    message: Option<(usize, usize)>,
}

fn text(f: &Fields, e: &file::Entry, boot: &str, line: &mut String) -> Text {
    line.clear();
    let push = |line: &mut String, s: &str| {
        let a = line.len();
        line.push_str(s);
        (a, line.len())
    };
    let host = f.host.get().map(|h| {
        let r = push(line, h);
        line.push(' ');
        r
    });
    let program = f.program().map(|p| push(line, p));
    let pid = f.pid.get().or(f.syslog_pid.get()).map(|p| {
        line.push('[');
        let r = push(line, p);
        line.push(']');
        r
    });
    if program.is_some() || pid.is_some() {
        line.push_str(": ");
    }
    let message = f.message.get().map(|m| push(line, m));
    if !line.is_empty() {
        line.push(' ');
    }
    use std::fmt::Write;
    let _ = write!(
        line,
        "[journal seqnum={} offset={} _BOOT_ID={boot}",
        e.seqnum, e.offset
    );
    for (k, v) in [
        ("_TRANSPORT", &f.transport),
        ("_UID", &f.uid),
        ("_SYSTEMD_UNIT", &f.unit),
    ] {
        if let Some(v) = v.get() {
            let _ = write!(line, " {k}={v}");
        }
    }
    line.push(']');
    Text {
        line: std::mem::take(line),
        host,
        program,
        pid,
        message,
    }
}

/// Read a journal file from a stream.
pub fn read(
    input: &mut dyn Read,
    _ctx: &SourceCtx,
    source: u32,
    out: &mut Vec<Event>,
) -> std::io::Result<RecordStats> {
    let mut data = Vec::new();
    input.take(MAX_FILE_BYTES + 1).read_to_end(&mut data)?;
    let mut stats = RecordStats::default();
    if data.len() as u64 > MAX_FILE_BYTES {
        data.truncate(MAX_FILE_BYTES as usize);
        stats.notes.push(format!(
            "the file is larger than {MAX_FILE_BYTES} bytes: only its first {MAX_FILE_BYTES} bytes are read"
        ));
    }
    read_bytes(&data, source, out, &mut stats);
    Ok(stats)
}

/// Read a journal file held in memory into events (appended to `out`).
pub fn read_bytes(data: &[u8], source: u32, out: &mut Vec<Event>, stats: &mut RecordStats) {
    let (journal, mut problems) = match Journal::open(data) {
        Ok(j) => j,
        Err(p) => {
            stats.error = Some(format!("unreadable journal header at {p}"));
            return;
        }
    };
    let h = &journal.header;
    let walk = journal.walk();
    problems.extend(walk.problems);
    let mut offsets = walk.entries;
    let mut scanned = 0usize;
    if walk.broken {
        let last = offsets.last().copied().unwrap_or(0);
        let (found, _) = journal.scan_entries(last.saturating_add(1));
        let before = offsets.len();
        offsets.extend(found.into_iter().filter(|&o| o > last));
        scanned = offsets.len() - before;
    }
    let mut d = Draft::default();
    let mut arena = TextArena::new(out, &mut d);
    let mut f = Fields::default();
    let mut scratch = Vec::new();
    let mut buf = String::new();
    let mut boots: HashSet<[u8; 16]> = HashSet::new();
    // The current boot and its hex, written into every event's text.
    let mut boot: Option<([u8; 16], String)> = None;
    let mut first: Option<u64> = None;
    let mut last: Option<u64> = None;
    let mut good = 0u64;
    for (n, &off) in offsets.iter().enumerate() {
        let number = n as u64 + 1;
        let e = match journal.entry(off) {
            Ok(e) => e,
            Err(p) => {
                d.reset(&format!("damaged journal entry at {p}"));
                d.kind = Kind::Unparsed;
                arena.push(&mut d, source, number, out);
                stats.unparsed += 1;
                problems.push(p);
                continue;
            }
        };
        f.clear();
        journal.fields(&e, &mut scratch, &mut problems, |_, p| f.take(p));
        good += 1;
        if boot.as_ref().map(|b| b.0) != Some(e.boot_id) {
            boots.insert(e.boot_id);
            boot = Some((e.boot_id, file::hex_id(&e.boot_id)));
        }
        first = Some(first.map_or(e.realtime, |x| x.min(e.realtime)));
        last = Some(last.map_or(e.realtime, |x| x.max(e.realtime)));
        let t = text(&f, &e, boot.as_ref().map_or("", |b| b.1.as_str()), &mut buf);
        d.reset(&t.line);
        d.time_us = Some(i64::try_from(e.realtime).unwrap_or(i64::MAX));
        for (field, span) in [
            (Field::Host, t.host),
            (Field::Program, t.program),
            (Field::Pid, t.pid),
        ] {
            if let Some((a, b)) = span {
                d.set(field, a, b);
            }
        }
        if let Some(msg) = t.message.and_then(|(a, b)| t.line.get(a..b)) {
            let program = f.program().unwrap_or("");
            super::syslog::message(program, msg, &t.line, &mut d);
        }
        arena.push(&mut d, source, number, out);
        buf = t.line;
    }
    arena.finish(&mut d, out);
    stats
        .notes
        .insert(0, summary(h, good, &offsets, boots.len(), first, last));
    if scanned > 0 {
        stats.notes.push(format!(
            "{scanned} entries were found by scanning the objects after the broken entry-array chain (journalctl does not show them)"
        ));
    }
    if h.state == State::Online {
        stats.notes.push(
            "the file was still open for writing (state online) when copied: its last entries may be incomplete".into(),
        );
    }
    report_problems(&problems, stats);
}

fn summary(
    h: &file::Header,
    good: u64,
    offsets: &[u64],
    boots: usize,
    first: Option<u64>,
    last: Option<u64>,
) -> String {
    let time = |t: Option<u64>| {
        t.and_then(|t| i64::try_from(t).ok())
            .filter(|&t| crate::logs::time::in_range(t))
            .map_or("-".into(), crate::logs::time::rfc3339)
    };
    let compression = h.compression();
    format!(
        "systemd journal: {good} entries read of {} listed (header: {}), {} to {}, {boots} boot(s); state {}, {}; {} format, {} hash{}; machine {}",
        offsets.len(),
        h.n_entries,
        time(first),
        time(last),
        h.state.name(),
        if h.sealed() {
            "sealed (Forward Secure Sealing)"
        } else {
            "not sealed"
        },
        if h.compact() { "compact" } else { "regular" },
        if h.keyed_hash() { "keyed" } else { "Jenkins" },
        if compression.is_empty() {
            String::new()
        } else {
            format!(", {} compression", compression.join("/"))
        },
        file::hex_id(&h.machine_id),
    )
}

fn report_problems(problems: &Problems, stats: &mut RecordStats) {
    let Some(p) = problems.first.first() else {
        return;
    };
    for p in &problems.first {
        stats.notes.push(format!("damaged journal at {p}"));
    }
    let more = problems.total.saturating_sub(problems.first.len() as u64);
    if more > 0 {
        stats
            .notes
            .push(format!("{more} more damaged object(s) in the journal"));
    }
    stats.error = Some(format!(
        "the journal file is damaged ({} problem(s)); first at {p}",
        problems.total
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny regular-format journal built by hand: entries of
    /// (realtime, fields), each field given as (object flags, payload).
    /// (object flags, `NAME=value` payload).
    type Obj = (u8, Vec<u8>);

    fn build(entries: &[(u64, Vec<Obj>)], loop_array: bool) -> Vec<u8> {
        let header_size = 272u64;
        let mut b = vec![0u8; header_size as usize];
        b[..8].copy_from_slice(file::SIGNATURE);
        b[12..16].copy_from_slice(&(2u32 | 1).to_le_bytes()); // LZ4 + XZ
        b[88..96].copy_from_slice(&header_size.to_le_bytes());
        let put_obj = |b: &mut Vec<u8>, typ: u8, flags: u8, body: &[u8]| -> u64 {
            let off = b.len() as u64;
            b.push(typ);
            b.push(flags);
            b.extend([0u8; 6]);
            b.extend((16 + body.len() as u64).to_le_bytes());
            b.extend(body);
            while !b.len().is_multiple_of(8) {
                b.push(0);
            }
            off
        };
        let mut entry_offs = Vec::new();
        for (t, fields) in entries {
            let mut items = Vec::new();
            for (flags, payload) in fields {
                let mut body = vec![0u8; 48];
                body.extend(payload);
                items.push(put_obj(&mut b, 1, *flags, &body));
            }
            let mut body = Vec::new();
            body.extend(1u64.to_le_bytes());
            body.extend(t.to_le_bytes());
            body.extend(5u64.to_le_bytes());
            body.extend([7u8; 16]);
            body.extend(0u64.to_le_bytes());
            for i in items {
                body.extend(i.to_le_bytes());
                body.extend(0u64.to_le_bytes());
            }
            entry_offs.push(put_obj(&mut b, 3, 0, &body));
        }
        let array_at = b.len() as u64;
        let mut body = Vec::new();
        body.extend((if loop_array { array_at } else { 0 }).to_le_bytes());
        for o in &entry_offs {
            body.extend(o.to_le_bytes());
        }
        if !loop_array {
            body.extend(0u64.to_le_bytes()); // an unused slot
        }
        put_obj(&mut b, 6, 0, &body);
        let arena = b.len() as u64 - header_size;
        b[96..104].copy_from_slice(&arena.to_le_bytes());
        b[152..160].copy_from_slice(&(entry_offs.len() as u64).to_le_bytes());
        b[176..184].copy_from_slice(&array_at.to_le_bytes());
        b
    }

    fn plain(s: &str) -> Obj {
        (0, s.as_bytes().to_vec())
    }

    fn read(b: &[u8]) -> (Vec<Event>, RecordStats) {
        let mut out = Vec::new();
        let mut st = RecordStats::default();
        read_bytes(b, 3, &mut out, &mut st);
        (out, st)
    }

    #[test]
    fn entries_become_events_through_the_program_parsers() {
        let msg = format!(
            "Failed password for root from 203.0.113.9 port 22 ssh2 {}",
            "z".repeat(900)
        );
        let full = format!("MESSAGE={msg}");
        let mut lz4 = (full.len() as u64).to_le_bytes().to_vec();
        lz4.extend(lz4_flex::block::compress(full.as_bytes()));
        let b = build(
            &[
                (
                    1_700_000_000_000_000,
                    vec![
                        plain("_HOSTNAME=h1"),
                        plain("SYSLOG_IDENTIFIER=sshd"),
                        plain("_PID=42"),
                        (2, lz4),
                    ],
                ),
                (
                    1_700_000_001_000_000,
                    vec![
                        plain("_COMM=sudo"),
                        plain("MESSAGE=alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh"),
                        plain("_UID=1000"),
                        plain("no equals sign"),
                    ],
                ),
            ],
            false,
        );
        assert_eq!(sniff(&b, "x"), 100);
        let (ev, st) = read(&b);
        assert!(st.error.is_none(), "{:?}", st);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].kind, Kind::AuthFailure);
        assert_eq!(ev[0].source, 3);
        assert_eq!(ev[0].line, 1);
        assert_eq!(ev[0].time_us, Some(1_700_000_000_000_000));
        assert_eq!(ev[0].get(Field::Host), Some("h1"));
        assert_eq!(ev[0].get(Field::Pid), Some("42"));
        assert_eq!(ev[0].get(Field::Ip), Some("203.0.113.9"));
        assert_eq!(ev[1].kind, Kind::Sudo);
        assert_eq!(ev[1].get(Field::Program), Some("sudo"));
        assert_eq!(ev[1].get(Field::Command), Some("/bin/sh"));
        assert!(
            ev[1].line_text().starts_with("sudo: alice : TTY"),
            "{}",
            ev[1].line_text()
        );
        assert!(
            ev[1].line_text().ends_with(" _UID=1000]"),
            "{}",
            ev[1].line_text()
        );
        assert!(
            st.notes[0].contains("2 entries read of 2 listed"),
            "{:?}",
            st.notes
        );
        assert!(st.notes[0].contains("regular format, Jenkins hash, xz/lz4 compression"));
    }

    #[test]
    fn an_online_sealed_file_says_so() {
        let mut b = build(&[(5, vec![plain("MESSAGE=a")])], false);
        b[16] = 1; // online
        b[8] = 1; // sealed
        let (ev, st) = read(&b);
        assert_eq!(ev.len(), 1);
        assert!(st.error.is_none());
        assert!(
            st.notes[0].contains("state online, sealed (Forward Secure Sealing)"),
            "{:?}",
            st.notes
        );
        assert!(st.notes[1].contains("still open for writing"));
    }

    #[test]
    fn a_looping_array_chain_and_hostile_counts_end_the_walk() {
        let mut b = build(
            &[(5, vec![plain("MESSAGE=a")]), (6, vec![plain("MESSAGE=b")])],
            true,
        );
        // The header claims far more entries than the file can hold.
        b[152..160].copy_from_slice(&u64::MAX.to_le_bytes());
        let (ev, st) = read(&b);
        assert_eq!(ev.len(), 2);
        let notes = st.notes.join("\n");
        assert!(notes.contains("links backwards"), "{notes}");
        assert!(st.error.is_some());
    }

    #[test]
    fn many_entries_linking_one_zstd_bomb_spend_the_file_budget_once() {
        // 16 MiB of "MESSAGE=aaaa..." in a few KiB; 300 entries link it.
        let big = [b"MESSAGE=".as_slice(), &vec![b'a'; (16 << 20) - 8]].concat();
        let z = ruzstd::encoding::compress_to_vec(
            big.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let mut b = build(&[(5, vec![(4, z)])], false);
        // Point 300 entries at the first entry's data object (offset 272).
        let first_entry = {
            let (j, _) = Journal::open(&b).unwrap();
            j.walk().entries[0]
        };
        let entry = b[first_entry as usize..first_entry as usize + 80].to_vec();
        let mut offs = Vec::new();
        for _ in 0..300 {
            offs.push(b.len() as u64);
            b.extend(&entry);
        }
        let array_at = b.len() as u64;
        b.extend([6, 0, 0, 0, 0, 0, 0, 0]);
        b.extend((24 + 8 * offs.len() as u64).to_le_bytes());
        b.extend(0u64.to_le_bytes());
        for o in &offs {
            b.extend(o.to_le_bytes());
        }
        let arena = b.len() as u64 - 272;
        b[96..104].copy_from_slice(&arena.to_le_bytes());
        b[152..160].copy_from_slice(&300u64.to_le_bytes());
        b[176..184].copy_from_slice(&array_at.to_le_bytes());
        let t = std::time::Instant::now();
        let (ev, st) = read(&b);
        assert_eq!(ev.len(), 300);
        // The budget (64 MiB plus 32 times the file) lets a few through.
        let whole = ev.iter().filter(|e| e.line_text().len() > 1 << 20).count();
        assert!((1..=5).contains(&whole), "{whole}");
        let notes = st.notes.join("\n");
        assert!(notes.contains("decompression budget is spent"), "{notes}");
        assert!(notes.contains("more damaged object(s)"), "{notes}");
        assert!(t.elapsed().as_secs() < 60);
    }

    #[test]
    fn bad_headers_are_errors_and_bombs_are_refused() {
        for b in [
            b"LPKSHHRH".to_vec(),
            [b"LPKSHHRH".as_slice(), &[0xff; 200]].concat(),
            [b"LPKSHHRH".as_slice(), &[0; 400]].concat(),
        ] {
            let (ev, st) = read(&b);
            assert!(ev.is_empty());
            assert!(
                st.error.as_deref().unwrap_or("").contains("header"),
                "{st:?}"
            );
        }
        // An LZ4 field claiming 1 TiB, an XZ field that is not XZ.
        let mut lz4 = (1u64 << 40).to_le_bytes().to_vec();
        lz4.extend([0u8; 8]);
        let b = build(
            &[(
                5,
                vec![(2, lz4), (1, b"garbage".to_vec()), plain("MESSAGE=kept")],
            )],
            false,
        );
        let (ev, st) = read(&b);
        assert_eq!(ev.len(), 1);
        assert!(
            ev[0].line_text().starts_with("kept"),
            "{}",
            ev[0].line_text()
        );
        let notes = st.notes.join("\n");
        assert!(notes.contains("decompresses beyond"), "{notes}");
        assert!(notes.contains("XZ field does not decompress"), "{notes}");
    }
}
