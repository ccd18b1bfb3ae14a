//! Running processes, from `/proc/<pid>`: ids, owner, start time, command
//! line, executable (path, SHA-256 read through `/proc/<pid>/exe`, so a
//! deleted binary is still hashed), working directory, and the open files
//! (sockets and deleted files are kept for the other documents). A process
//! that exits while being read is recorded as vanished.

use super::sockets::Owner;
use super::{Problem, now, read_text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, fixed at
/// 100 by the kernel ABI on every mainstream architecture).
const USER_HZ: u64 = 100;
/// Executables larger than this are not hashed (recorded as a problem).
const MAX_EXE_HASH: u64 = 1 << 30;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    pub ppid: Option<i32>,
    /// `comm`: the kernel's short name (may differ from the command line).
    pub name: Option<String>,
    pub state: Option<String>,
    pub uid: Option<u32>,
    pub user: Option<String>,
    /// RFC 3339 UTC.
    pub start_time: Option<String>,
    pub cmdline: Option<Vec<String>>,
    pub exe: Option<String>,
    /// The executable was deleted (or replaced) after the process started.
    pub exe_deleted: bool,
    pub exe_sha256: Option<String>,
    pub cwd: Option<String>,
    pub open_files: Option<usize>,
    /// The process exited while it was being read.
    pub vanished: bool,
    pub problems: Vec<Problem>,
}

/// A file a process holds open that is no longer in the filesystem.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OpenDeleted {
    pub pid: i32,
    pub process: Option<String>,
    /// File descriptor, or `None` for a memory mapping.
    pub fd: Option<u64>,
    pub path: String,
    pub size_bytes: Option<u64>,
    pub inode: Option<u64>,
}

/// `live/processes.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessesDoc {
    pub collected_at: String,
    pub boot_time: Option<String>,
    pub processes: Vec<Process>,
    pub problems: Vec<Problem>,
}

/// The process scan: the document plus what other documents need.
#[derive(Debug, Clone)]
pub struct Scan {
    pub doc: ProcessesDoc,
    /// Socket inode → processes holding it.
    pub fds: HashMap<u64, Vec<Owner>>,
    pub deleted: Vec<OpenDeleted>,
}

/// Fields of `/proc/<pid>/stat` that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub comm: String,
    pub state: String,
    pub ppid: i32,
    pub start_ticks: u64,
}

/// Parse `/proc/<pid>/stat` (the name may hold spaces and parentheses).
pub fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    Some(Stat {
        comm,
        state: rest.first()?.to_string(),
        ppid: rest.get(1)?.parse().ok()?,
        start_ticks: rest.get(19)?.parse().ok()?,
    })
}

/// The real uid from `/proc/<pid>/status`.
pub fn parse_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn vanished(e: &std::io::Error) -> bool {
    use crate::platform::errno::{self, Errno};
    matches!(errno::of(e), Errno::NOENT | Errno::SRCH)
}

/// Hash an executable through `/proc/<pid>/exe`, opened `O_NOATIME` (the
/// flag is dropped only when the kernel refuses it: not the owner and no
/// `CAP_FOWNER`; then the access time it had is noted for the file's record).
fn hash_file(p: &Path) -> std::io::Result<String> {
    let (mut f, noatime) = crate::platform::files::open_read_keeping_atime(p)?;
    let before = f.metadata()?;
    if !before.is_file() {
        return Err(std::io::Error::other("not a regular file; not read"));
    }
    let hashed = hash_open(&mut f);
    if !noatime && let Ok(after) = f.metadata() {
        let (b, a) = (
            crate::platform::meta::of(&before),
            crate::platform::meta::of(&after),
        );
        if let (Some(bt), Some(at)) = (b.atime, a.atime) {
            crate::capture::atime::note(b.dev, b.ino, bt, at);
        }
    }
    hashed
}

fn hash_open(f: &mut std::fs::File) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or(&[]));
    }
    Ok(hex::encode(h.finalize()))
}

fn link_text(p: &Path) -> std::io::Result<String> {
    std::fs::read_link(p)
        .map(|t| String::from_utf8_lossy(&crate::platform::names::path_bytes(&t)).into_owned())
}

/// Read every process. `users` maps uids to names (the running system's).
///
/// One pass over `/proc`: each process's files are read together, at one
/// moment, and every unreadable one is recorded as a problem on the spot;
/// the readers of single files are the small functions above.
pub fn collect(proc_dir: &Path, users: &HashMap<u32, String>) -> Scan {
    let boot = super::system::boot_time(proc_dir);
    let mut problems = Vec::new();
    let mut pids: Vec<i32> = match std::fs::read_dir(proc_dir) {
        Ok(rd) => rd
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect(),
        Err(e) => {
            problems.push(Problem::new(proc_dir.display().to_string(), &e));
            Vec::new()
        }
    };
    pids.sort_unstable();
    let mut hashes: HashMap<(u64, u64), Result<String, String>> = HashMap::new();
    let mut fds: HashMap<u64, Vec<Owner>> = HashMap::new();
    let mut deleted = Vec::new();
    let mut processes = Vec::with_capacity(pids.len());
    for pid in pids {
        let dir = proc_dir.join(pid.to_string());
        let mut p = Process {
            pid,
            ppid: None,
            name: None,
            state: None,
            uid: None,
            user: None,
            start_time: None,
            cmdline: None,
            exe: None,
            exe_deleted: false,
            exe_sha256: None,
            cwd: None,
            open_files: None,
            vanished: false,
            problems: Vec::new(),
        };
        let note = |p: &mut Process, what: &str, e: &std::io::Error| {
            if vanished(e) {
                p.vanished = true;
            }
            p.problems.push(Problem::new(what, e));
        };
        match read_text(&dir.join("stat")) {
            Ok(s) => {
                if let Some(st) = parse_stat(&s) {
                    p.name = Some(st.comm);
                    p.state = Some(st.state);
                    p.ppid = Some(st.ppid);
                    p.start_time = boot
                        .and_then(|b| {
                            let ticks = i64::try_from(st.start_ticks / USER_HZ).ok()?;
                            let nanos = (st.start_ticks % USER_HZ) * (1_000_000_000 / USER_HZ);
                            chrono::DateTime::from_timestamp(b + ticks, u32::try_from(nanos).ok()?)
                        })
                        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
                }
            }
            Err(e) => note(&mut p, "stat", &e),
        }
        if p.vanished {
            processes.push(p);
            continue;
        }
        match read_text(&dir.join("status")) {
            Ok(s) => {
                p.uid = parse_uid(&s);
                p.user = p.uid.and_then(|u| users.get(&u).cloned());
            }
            Err(e) => note(&mut p, "status", &e),
        }
        match std::fs::read(dir.join("cmdline")) {
            Ok(b) => {
                p.cmdline = Some(
                    b.split(|&c| c == 0)
                        .filter(|a| !a.is_empty())
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect(),
                )
            }
            Err(e) => note(&mut p, "cmdline", &e),
        }
        match link_text(&dir.join("exe")) {
            Ok(t) => {
                p.exe_deleted = t.ends_with(" (deleted)");
                p.exe = Some(t);
                // Hash through /proc/<pid>/exe: works for deleted binaries.
                let exe = dir.join("exe");
                match std::fs::metadata(&exe) {
                    Ok(m) if m.len() > MAX_EXE_HASH => p.problems.push(Problem {
                        what: "exe".into(),
                        error: format!("not hashed: {} bytes is over {MAX_EXE_HASH}", m.len()),
                    }),
                    Ok(m) => {
                        let r = hashes
                            .entry(crate::platform::meta::identity(&m))
                            .or_insert_with(|| hash_file(&exe).map_err(|e| e.to_string()));
                        match r {
                            Ok(h) => p.exe_sha256 = Some(h.clone()),
                            Err(e) => p.problems.push(Problem {
                                what: "exe hash".into(),
                                error: e.clone(),
                            }),
                        }
                    }
                    Err(e) => note(&mut p, "exe hash", &e),
                }
            }
            // Kernel threads have no executable: not a problem.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !dir.exists() => {
                note(&mut p, "exe", &e)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => note(&mut p, "exe", &e),
        }
        match link_text(&dir.join("cwd")) {
            Ok(t) => p.cwd = Some(t),
            Err(e) => note(&mut p, "cwd", &e),
        }
        match std::fs::read_dir(dir.join("fd")) {
            Ok(rd) => {
                let mut n = 0;
                for e in rd.flatten() {
                    n += 1;
                    let Some(fd) = e.file_name().to_str().and_then(|s| s.parse::<u64>().ok())
                    else {
                        continue;
                    };
                    let Ok(t) = link_text(&e.path()) else {
                        continue;
                    };
                    if let Some(ino) = t
                        .strip_prefix("socket:[")
                        .and_then(|s| s.strip_suffix(']'))
                        .and_then(|s| s.parse().ok())
                    {
                        fds.entry(ino).or_default().push(Owner {
                            pid,
                            fd,
                            name: p.name.clone(),
                        });
                    } else if let Some(path) = t.strip_suffix(" (deleted)") {
                        let m = std::fs::metadata(e.path()).ok();
                        deleted.push(OpenDeleted {
                            pid,
                            process: p.name.clone(),
                            fd: Some(fd),
                            path: path.to_string(),
                            size_bytes: m.as_ref().map(|m| m.len()),
                            inode: m.as_ref().map(|m| crate::platform::meta::of(m).ino),
                        });
                    }
                }
                p.open_files = Some(n);
            }
            Err(e) => note(&mut p, "fd", &e),
        }
        // Deleted files mapped into memory (injected or replaced libraries).
        if let Ok(maps) = read_text(&dir.join("maps")) {
            for path in parse_deleted_maps(&maps) {
                if !deleted
                    .iter()
                    .any(|d: &OpenDeleted| d.pid == pid && d.fd.is_none() && d.path == path)
                {
                    deleted.push(OpenDeleted {
                        pid,
                        process: p.name.clone(),
                        fd: None,
                        path,
                        size_bytes: None,
                        inode: None,
                    });
                }
            }
        }
        processes.push(p);
    }
    Scan {
        doc: ProcessesDoc {
            collected_at: now(),
            boot_time: boot
                .and_then(|b| chrono::DateTime::from_timestamp(b, 0))
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            processes,
            problems,
        },
        fds,
        deleted,
    }
}

/// Paths of deleted files in `/proc/<pid>/maps` text, each once.
pub fn parse_deleted_maps(maps: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in maps.lines() {
        let Some(rest) = l.strip_suffix(" (deleted)") else {
            continue;
        };
        let Some(i) = rest.find(" /") else {
            continue;
        };
        let path = rest.get(i + 1..).unwrap_or("").to_string();
        if !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_names() {
        let s = parse_stat("1234 (my (evil) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4242 1000 10 0 0").unwrap();
        assert_eq!(s.comm, "my (evil) proc");
        assert_eq!(s.ppid, 1);
        assert_eq!(s.start_ticks, 4242);
        assert!(parse_stat("12 (x) S").is_none());
    }

    #[test]
    fn parses_uid_and_maps() {
        assert_eq!(
            parse_uid("Name:\tx\nUid:\t1000\t1000\t1000\t1000\n"),
            Some(1000)
        );
        let m = parse_deleted_maps(
            "7f00-7f01 r-xp 00000000 08:01 123 /tmp/.x/libevil.so (deleted)\n7f01-7f02 r--p 00000000 08:01 123 /tmp/.x/libevil.so (deleted)\n7f02-7f03 r--p 0 08:01 5 /usr/lib/libc.so.6\n",
        );
        assert_eq!(m, vec!["/tmp/.x/libevil.so"]);
    }

    #[test]
    fn finds_this_process() {
        let scan = collect(Path::new("/proc"), &HashMap::new());
        let me = std::process::id() as i32;
        let p = scan.doc.processes.iter().find(|p| p.pid == me).unwrap();
        assert!(p.exe_sha256.is_some(), "{p:?}");
        assert!(p.start_time.is_some());
        assert!(!p.vanished);
    }

    #[test]
    fn a_vanished_process_is_recorded() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("99999")).unwrap();
        let scan = collect(d.path(), &HashMap::new());
        assert_eq!(scan.doc.processes.len(), 1);
        assert!(scan.doc.processes[0].vanished);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_stat(&s);
            let _ = parse_uid(&s);
            let _ = parse_deleted_maps(&s);
        }
    }
}
