//! Acquiring one regular file: open it without changing it, read it once,
//! and in that one pass compute SHA-256 and CRC-32 and compress it.
//!
//! The path is resolved without following any symlink (one swapped in after
//! listing, in the file's place or a directory's, is refused); only a
//! regular file is opened, read-only with `O_NOATIME` (when permitted) and
//! `O_NONBLOCK`, so a FIFO or device swapped in is never opened
//! ([`super::sys::open_regular`]). The opened inode is compared with
//! the one the walk saw; size, mtime and ctime are compared before and after
//! the read, and any difference is recorded.

use super::compress::{Deflater, already_compressed};
use super::sink::{Chunk, SinkHandle, ToWriter};
use super::sys::{Refused, fstat, open_regular};
use super::walk::Time;
use crate::archive::record::ReadChange;
use crate::archive::zipspec::{METHOD_DEFLATED, METHOD_STORED, U32_SENTINEL};
use crate::archive::zipwrite::EntryMeta;
use crate::archive::{EntryType, Status};
use crate::job::CancelToken;
use crate::platform::errno::Errno;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Files larger than this are streamed to the writer in chunks; smaller ones
/// are compressed whole in memory. When deflating with few reader threads,
/// larger files are held whole too, up to [`whole_limit`].
pub const STREAM_THRESHOLD: u64 = 8 << 20;
/// What the reader threads together may hold of files deflated whole.
const WHOLE_MEMORY: u64 = 128 << 20;
/// The largest file deflated whole, however few the reader threads.
const WHOLE_MAX: u64 = 64 << 20;

/// The largest file a capture deflating with `threads` reader threads
/// holds whole in memory (deflated by libdeflate, several times faster
/// per byte than streaming), instead of streaming it in chunks (zlib-rs):
/// 64 MiB with two readers, down to [`STREAM_THRESHOLD`] with sixteen or
/// more, so the readers hold at most about 128 MiB of such files, plus as
/// much again for their compressed copies.
pub fn whole_limit(threads: usize) -> u64 {
    (WHOLE_MEMORY / threads.max(1) as u64).clamp(STREAM_THRESHOLD, WHOLE_MAX)
}
const CHUNK: usize = 1 << 20;
/// How much a file may grow while it is read before the capture stops
/// reading it (an endlessly growing file must not stall the capture).
pub const GROWTH_ALLOWANCE: u64 = 64 << 20;

/// What to do with one regular file.
#[derive(Debug, Clone)]
pub struct FileJob {
    pub index: usize,
    pub physical: PathBuf,
    pub logical: Vec<u8>,
    /// `None` for hash-only (metadata) acquisition.
    pub member: Option<EntryMeta>,
    pub walk_dev: u64,
    pub walk_ino: u64,
    pub walk_size: u64,
    pub walk_mtime: Option<Time>,
    /// Status change time at listing: moves on any write, even one that
    /// keeps the size and puts the mtime back.
    pub walk_ctime: Option<Time>,
}

/// The result for one file.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    pub index: usize,
    pub status: Status,
    pub reason: Option<String>,
    pub sha256: Option<String>,
    pub stored: bool,
    pub bytes_read: u64,
    pub change: Option<ReadChange>,
}

/// The capture must stop (writer gone, cancelled).
#[derive(Debug)]
pub struct Stop;

pub struct Acquirer {
    pub deflate_level: Option<u32>,
    pub sink: SinkHandle,
    pub bytes_done: Arc<AtomicU64>,
    pub cancel: CancelToken,
    /// Streams a large file (zlib-rs) and deflates whole buffers (small
    /// files, the trial of a large file's first chunk; libdeflate).
    deflater: Deflater,
    /// Level 0: "stored" deflate blocks for streamed content that does not compress.
    blocks: Deflater,
    buf: Vec<u8>,
    /// Files stored in the archive up to this size are read and deflated
    /// whole; larger ones are streamed.
    whole_max: u64,
}

fn rfc3339(t: Option<Time>) -> Option<String> {
    t.and_then(|(s, n)| chrono::DateTime::from_timestamp(s, n))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
}

fn errno_text(e: Errno) -> String {
    std::io::Error::from(e).to_string()
}

enum Output {
    None,
    Whole,
    Stream {
        tx: crossbeam_channel::Sender<Chunk>,
        is_head: Arc<AtomicBool>,
        method: u16,
        /// Deflate at level 0 (uncompressed blocks) instead of compressing.
        raw_blocks: bool,
    },
}

impl Acquirer {
    pub fn new(
        deflate_level: Option<u32>,
        sink: SinkHandle,
        bytes_done: Arc<AtomicU64>,
        cancel: CancelToken,
    ) -> Self {
        let level = deflate_level.unwrap_or(1);
        Self {
            deflate_level,
            sink,
            bytes_done,
            cancel,
            deflater: Deflater::new(level),
            blocks: Deflater::new(0),
            buf: vec![0; CHUNK],
            whole_max: STREAM_THRESHOLD,
        }
    }

    /// Hold files stored deflated whole up to `limit` bytes (at least
    /// [`STREAM_THRESHOLD`]); see [`whole_limit`].
    pub fn hold_whole_up_to(&mut self, limit: u64) {
        if self.deflate_level.is_some() {
            self.whole_max = limit.max(STREAM_THRESHOLD);
        }
    }

    fn outcome(job: &FileJob, status: Status, reason: String) -> FileOutcome {
        FileOutcome {
            index: job.index,
            status,
            reason: Some(reason),
            sha256: None,
            stored: false,
            bytes_read: 0,
            change: None,
        }
    }

    fn open(job: &FileJob) -> Result<File, (Status, String)> {
        match open_regular(&job.physical) {
            Ok(opened) => Ok(opened.file),
            Err(Refused::NotRegular(kind)) => Err((
                Status::Skipped,
                format!("special_file: became a {kind:?} between listing and reading; not opened"),
            )),
            Err(Refused::Os(Errno::NOENT)) => Err((
                Status::Vanished,
                "gone between listing and reading".to_string(),
            )),
            Err(Refused::Os(Errno::LOOP)) => Err((
                Status::Vanished,
                "it or a directory on its path was replaced by a symbolic link between listing and reading (not followed)"
                    .to_string(),
            )),
            Err(Refused::Os(e)) => Err((
                Status::Unreadable,
                format!("cannot open: {}", errno_text(e)),
            )),
        }
    }

    /// Acquire one file. `Err(Stop)` only when the whole capture must stop.
    ///
    /// Long on purpose: it is the life of one open file descriptor (resolve,
    /// open, compare the inode, read, hash and compress, re-check size and
    /// times), and every early exit must record what was read so far;
    /// split up, each piece would take the descriptor, the hashers and the
    /// counters as arguments and could return without recording.
    pub fn run(&mut self, job: &FileJob) -> Result<FileOutcome, Stop> {
        if self.cancel.is_cancelled() {
            return Err(Stop);
        }
        let mut file = match Self::open(job) {
            Ok(f) => f,
            Err((status, reason)) => return Ok(Self::outcome(job, status, reason)),
        };
        let before = match fstat(&file) {
            Ok(s) => s,
            Err(e) => {
                return Ok(Self::outcome(
                    job,
                    Status::Unreadable,
                    format!("cannot examine: {}", errno_text(e)),
                ));
            }
        };
        let kind = EntryType::from_mode(before.mode);
        if kind != Some(EntryType::File) {
            return Ok(Self::outcome(
                job,
                Status::Skipped,
                format!("special_file: became a {kind:?} between listing and reading; not read"),
            ));
        }
        let replaced = before.ino != job.walk_ino || before.dev != job.walk_dev;
        let size_at_open = before.size;
        let cap = size_at_open.max(job.walk_size) + GROWTH_ALLOWANCE;

        // Read the first chunk to decide how to store the content.
        let mut sha = Sha256::new();
        let mut crc = crc32fast::Hasher::new();
        let mut total: u64 = 0;
        let mut read_error = None;
        let mut eof = false;
        let whole_max = if job.member.is_some() {
            self.whole_max
        } else {
            STREAM_THRESHOLD
        };
        let want_first = if size_at_open > whole_max {
            CHUNK
        } else {
            (size_at_open as usize).max(1)
        };
        let mut first = Vec::with_capacity(want_first);
        while first.len() < want_first {
            let room = (want_first - first.len()).min(CHUNK);
            match file.read(&mut self.buf[..room.max(1)]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => first.extend_from_slice(&self.buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
        let stream =
            job.member.is_some() && size_at_open > whole_max && !eof && read_error.is_none();
        let mut method = METHOD_STORED;
        if job.member.is_some()
            && self.deflate_level.is_some()
            && !already_compressed(&job.logical, &first)
        {
            method = METHOD_DEFLATED;
            if stream {
                // Trial-compress the first chunk: if it barely shrinks, store.
                let trial = self.deflater.whole(&first).map_err(|_| Stop)?;
                if trial.len() as f64 > first.len() as f64 * 0.95 {
                    method = METHOD_STORED;
                }
            }
        }

        // A streamed member is never stored with method 0: its end would be
        // found only through the data descriptor, which streaming extractors
        // look for by scanning the data for its signature, so a file holding a
        // forged descriptor could end the member early for them. Deflate
        // "stored" blocks (level 0) are self-delimiting and cost about a copy.
        let raw_blocks = stream && method == METHOD_STORED;
        if raw_blocks {
            method = METHOD_DEFLATED;
        }
        let mut out = if let Some(meta) = job.member.clone().filter(|_| stream) {
            let (tx, rx) = crossbeam_channel::bounded(64);
            let is_head = Arc::new(AtomicBool::new(false));
            let large = cap.saturating_add(cap / 512 + 65_536) >= U32_SENTINEL;
            self.sink
                .tx
                .send(ToWriter::Stream {
                    meta,
                    method,
                    large,
                    is_head: is_head.clone(),
                    chunks: rx,
                })
                .map_err(|_| Stop)?;
            self.deflater.reset();
            self.blocks.reset();
            Output::Stream {
                tx,
                is_head,
                method,
                raw_blocks,
            }
        } else if job.member.is_some() {
            Output::Whole
        } else {
            Output::None
        };

        let mut pending = first;
        let mut whole_plain: Vec<u8> = Vec::new();
        loop {
            if !pending.is_empty() {
                sha.update(&pending);
                crc.update(&pending);
                total += pending.len() as u64;
                self.bytes_done
                    .fetch_add(pending.len() as u64, Ordering::Relaxed);
                match &mut out {
                    Output::None => {}
                    Output::Whole if whole_plain.is_empty() => {
                        whole_plain = std::mem::take(&mut pending)
                    }
                    Output::Whole => whole_plain.extend_from_slice(&pending),
                    Output::Stream {
                        tx,
                        is_head,
                        method,
                        raw_blocks,
                    } => {
                        let bytes = if *method == METHOD_DEFLATED {
                            let d = if *raw_blocks {
                                &mut self.blocks
                            } else {
                                &mut self.deflater
                            };
                            let mut c = Vec::with_capacity(pending.len() + pending.len() / 64 + 64);
                            d.push(&pending, &mut c, false).map_err(|_| Stop)?;
                            c
                        } else {
                            std::mem::take(&mut pending)
                        };
                        if !bytes.is_empty() {
                            let head = is_head.load(Ordering::SeqCst);
                            let budgeted = !head;
                            if budgeted
                                && !self.sink.budget.acquire(bytes.len() as u64, Some(is_head))
                            {
                                return Err(Stop);
                            }
                            tx.send(Chunk::Data { bytes, budgeted }).map_err(|_| Stop)?;
                        }
                    }
                }
                pending.clear();
            }
            if eof || read_error.is_some() || total >= cap {
                break;
            }
            if self.cancel.is_cancelled() {
                return Err(Stop);
            }
            let room = ((cap - total) as usize).min(CHUNK);
            match file.read(&mut self.buf[..room]) {
                Ok(0) => eof = true,
                Ok(n) => pending.extend_from_slice(&self.buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => read_error = Some(e),
            }
        }
        let crc = crc.finalize();
        let sha256 = hex::encode(sha.finalize());
        let stored = job.member.is_some();
        match out {
            Output::None => {}
            Output::Whole => {
                let meta = job.member.clone().ok_or(Stop)?;
                let mut method = METHOD_STORED;
                let mut data = whole_plain;
                if self.deflate_level.is_some()
                    && !already_compressed(&job.logical, &data[..data.len().min(64)])
                {
                    let deflated = self.deflater.whole(&data).map_err(|_| Stop)?;
                    if (deflated.len() as f64) < data.len() as f64 * 0.97 {
                        data = deflated;
                        method = METHOD_DEFLATED;
                    }
                }
                if !self.sink.budget.acquire(data.len() as u64, None) {
                    return Err(Stop);
                }
                self.sink
                    .tx
                    .send(ToWriter::Whole {
                        meta,
                        method,
                        crc,
                        usize: total,
                        data,
                    })
                    .map_err(|_| Stop)?;
            }
            Output::Stream {
                tx,
                is_head,
                method,
                raw_blocks,
            } => {
                if method == METHOD_DEFLATED {
                    let d = if raw_blocks {
                        &mut self.blocks
                    } else {
                        &mut self.deflater
                    };
                    let mut tail = Vec::new();
                    d.push(&[], &mut tail, true).map_err(|_| Stop)?;
                    if !tail.is_empty() {
                        let budgeted = !is_head.load(Ordering::SeqCst);
                        if budgeted && !self.sink.budget.acquire(tail.len() as u64, Some(&is_head))
                        {
                            return Err(Stop);
                        }
                        tx.send(Chunk::Data {
                            bytes: tail,
                            budgeted,
                        })
                        .map_err(|_| Stop)?;
                    }
                }
                tx.send(Chunk::End { crc, usize: total })
                    .map_err(|_| Stop)?;
            }
        }

        let after = fstat(&file).ok();
        let (size_after, mtime_after, ctime_after) = match &after {
            Some(a) => (a.size, a.mtime, a.ctime),
            None => (size_at_open, None, None),
        };
        let ctime_at_open = before.ctime;
        let mtime_at_open = before.mtime;
        let change = ReadChange {
            size_before: job.walk_size,
            size_after,
            mtime_before: rfc3339(job.walk_mtime),
            mtime_after: rfc3339(mtime_after),
            bytes_read: total,
        };
        if let Some(e) = read_error {
            return Ok(FileOutcome {
                index: job.index,
                status: Status::Unreadable,
                reason: Some(format!(
                    "read failed after {total} bytes: {e}{}",
                    if stored {
                        "; the bytes read before the failure are stored and hashed"
                    } else {
                        ""
                    }
                )),
                sha256: Some(sha256),
                stored,
                bytes_read: total,
                change: Some(change),
            });
        }
        let mut why = Vec::new();
        if replaced {
            why.push(format!(
                "replaced between listing and reading (inode {} became {})",
                job.walk_ino, before.ino
            ));
        }
        if !eof && total >= cap {
            why.push(format!(
                "still growing: stopped after {total} bytes (size at open {size_at_open})"
            ));
        }
        if size_after != job.walk_size || size_at_open != job.walk_size {
            why.push(format!(
                "size {} at listing, {size_after} after reading",
                job.walk_size
            ));
        }
        if mtime_after != job.walk_mtime || mtime_at_open != job.walk_mtime {
            why.push("modification time changed while reading".to_string());
        } else if job.walk_ctime.is_some()
            && (ctime_at_open != job.walk_ctime || ctime_after != job.walk_ctime)
        {
            why.push(
                "status change time (ctime) changed while reading: written to or altered, though size and modification time are the same"
                    .to_string(),
            );
        }
        if total != size_after && eof {
            why.push(format!(
                "read {total} bytes but the file now has {size_after}"
            ));
        }
        let (status, reason, change) = if why.is_empty() {
            (Status::Captured, None, None)
        } else {
            (
                Status::ChangedDuringRead,
                Some(why.join("; ")),
                Some(change),
            )
        };
        Ok(FileOutcome {
            index: job.index,
            status,
            reason,
            sha256: Some(sha256),
            stored,
            bytes_read: total,
            change,
        })
    }
}

// Linux: the tests make FIFOs, deep trees with `openat` and links swapped
// in, with the system calls `sys::linux` guards against.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::capture::sink::Budget;
    use crate::capture::sys::linux::open_by_components;
    use rustix::fs::{Mode, OFlags};
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    use std::path::Path;

    fn acquirer() -> (Acquirer, crossbeam_channel::Receiver<ToWriter>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let sink = SinkHandle {
            tx,
            budget: Arc::new(Budget::new(1 << 20)),
        };
        let acq = Acquirer::new(None, sink, Arc::new(AtomicU64::new(0)), CancelToken::new());
        (acq, rx)
    }

    /// A hash-only job for `physical`, as the walk saw `seen` (dev, ino, size).
    fn job(physical: &Path, seen: &Path) -> FileJob {
        let m = std::fs::symlink_metadata(seen).unwrap();
        FileJob {
            index: 0,
            physical: physical.to_path_buf(),
            logical: physical.as_os_str().as_bytes().to_vec(),
            member: None,
            walk_dev: m.dev(),
            walk_ino: m.ino(),
            walk_size: m.size(),
            walk_mtime: Some((m.mtime(), m.mtime_nsec() as u32)),
            walk_ctime: Some((m.ctime(), m.ctime_nsec() as u32)),
        }
    }

    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn whole_limit_shrinks_with_more_readers() {
        assert_eq!(whole_limit(1), 64 << 20);
        assert_eq!(whole_limit(2), 64 << 20);
        assert_eq!(whole_limit(8), 16 << 20);
        assert_eq!(whole_limit(16), STREAM_THRESHOLD);
        assert_eq!(whole_limit(64), STREAM_THRESHOLD);
    }

    #[test]
    fn directory_replaced_by_symlink_after_listing_is_not_followed() {
        let t = tempfile::tempdir().unwrap();
        // The walk listed src/dir/f; then src/dir became a link to a
        // directory outside the source holding a file of the same name.
        std::fs::create_dir_all(t.path().join("src")).unwrap();
        std::fs::create_dir_all(t.path().join("outside")).unwrap();
        std::fs::write(t.path().join("outside/f"), b"not part of the source").unwrap();
        std::os::unix::fs::symlink(t.path().join("outside"), t.path().join("src/dir")).unwrap();
        let (mut acq, _rx) = acquirer();
        let path = t.path().join("src/dir/f");
        let o = acq.run(&job(&path, &t.path().join("outside/f"))).unwrap();
        assert_eq!(o.status, Status::Vanished, "{o:?}");
        assert!(o.sha256.is_none(), "content read through a symlink: {o:?}");
        assert!(o.reason.unwrap_or_default().contains("symbolic link"));
    }

    #[test]
    fn path_longer_than_path_max_is_read() {
        let t = tempfile::tempdir().unwrap();
        // 20 directories of 250 bytes: about 5,000 bytes, over PATH_MAX (4096).
        let name = "d".repeat(250);
        let mut dir =
            rustix::fs::open(t.path(), OFlags::PATH | OFlags::DIRECTORY, Mode::empty()).unwrap();
        let mut path = t.path().to_path_buf();
        for _ in 0..20 {
            rustix::fs::mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
            dir = rustix::fs::openat(
                &dir,
                name.as_str(),
                OFlags::PATH | OFlags::DIRECTORY,
                Mode::empty(),
            )
            .unwrap();
            path.push(&name);
        }
        let fd = rustix::fs::openat(
            &dir,
            "f",
            OFlags::WRONLY | OFlags::CREATE,
            Mode::from_raw_mode(0o644),
        )
        .unwrap();
        rustix::io::write(&fd, b"deep content").unwrap();
        let st = rustix::fs::fstat(&fd).unwrap();
        drop(fd);
        path.push("f");
        assert!(path.as_os_str().len() > 4096);
        let mut j = job(t.path(), t.path());
        j.physical = path;
        j.walk_dev = st.st_dev;
        j.walk_ino = st.st_ino;
        j.walk_size = st.st_size as u64;
        j.walk_mtime = Some((st.st_mtime, st.st_mtime_nsec as u32));
        j.walk_ctime = Some((st.st_ctime, st.st_ctime_nsec as u32));
        let (mut acq, _rx) = acquirer();
        let o = acq.run(&j).unwrap();
        assert_eq!(o.status, Status::Captured, "{o:?}");
        assert_eq!(
            o.sha256.as_deref(),
            Some(hex::encode(Sha256::digest(b"deep content")).as_str())
        );
    }

    #[test]
    fn component_fallback_refuses_a_symlinked_directory() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("outside")).unwrap();
        std::fs::write(t.path().join("outside/f"), b"x").unwrap();
        std::os::unix::fs::symlink(t.path().join("outside"), t.path().join("dir")).unwrap();
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let e = open_by_components(&t.path().join("dir/f"), flags).unwrap_err();
        assert_eq!(e, Errno::LOOP);
        assert!(open_by_components(&t.path().join("outside/f"), flags).is_ok());
        assert_eq!(
            open_by_components(&t.path().join("missing/f"), flags).unwrap_err(),
            Errno::NOENT
        );
    }

    #[test]
    fn fifo_swapped_in_after_listing_is_never_opened() {
        // Opening a FIFO for reading releases a writer blocked in open(2)
        // (and opening a device runs its driver): a file replaced by one
        // after the listing must be examined without being opened.
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("f");
        std::fs::write(&fifo, b"listed as a regular file").unwrap();
        let j = job(&fifo, &fifo);
        std::fs::remove_file(&fifo).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let released = Arc::new(AtomicBool::new(false));
        let writer = {
            let (fifo, released) = (fifo.clone(), released.clone());
            std::thread::spawn(move || {
                let f = std::fs::OpenOptions::new().write(true).open(&fifo);
                released.store(true, Ordering::SeqCst);
                drop(f);
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(100));
        let (mut acq, _rx) = acquirer();
        let o = acq.run(&j).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let opened = released.load(Ordering::SeqCst);
        // Release the writer thread (a non-blocking reader never waits).
        let r = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(&fifo)
            .unwrap();
        writer.join().unwrap();
        drop(r);
        assert!(!opened, "the FIFO was opened: {o:?}");
        assert_eq!(o.status, Status::Skipped, "{o:?}");
        assert!(o.sha256.is_none());
    }

    #[test]
    fn file_replaced_by_symlink_after_listing_is_vanished_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("f");
        std::fs::write(&f, b"listed").unwrap();
        std::fs::write(t.path().join("target"), b"elsewhere").unwrap();
        let j = job(&f, &f);
        std::fs::remove_file(&f).unwrap();
        std::os::unix::fs::symlink(t.path().join("target"), &f).unwrap();
        let (mut acq, _rx) = acquirer();
        let o = acq.run(&j).unwrap();
        assert_eq!(o.status, Status::Vanished, "{o:?}");
        assert!(o.sha256.is_none());
    }
}
