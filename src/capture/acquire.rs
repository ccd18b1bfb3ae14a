//! Acquiring one regular file: open it without changing it, read it once,
//! and in that one pass compute SHA-256 and CRC-32 and compress it.
//!
//! The file is opened read-only with `O_NOATIME` (when permitted),
//! `O_NOFOLLOW` (a symlink swapped in after listing is refused) and
//! `O_NONBLOCK` (a FIFO swapped in cannot hang the capture). The opened inode
//! is compared with the one the walk saw; size and mtime are compared before
//! and after the read, and any difference is recorded.

use super::compress::{Deflater, already_compressed};
use super::sink::{Chunk, SinkHandle, ToWriter};
use super::walk::Time;
use crate::archive::record::ReadChange;
use crate::archive::zipspec::{METHOD_DEFLATED, METHOD_STORED, U32_SENTINEL};
use crate::archive::zipwrite::EntryMeta;
use crate::archive::{EntryType, Status};
use crate::job::CancelToken;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Files larger than this are streamed to the writer in chunks; smaller ones
/// are compressed whole in memory.
pub const STREAM_THRESHOLD: u64 = 8 << 20;
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
    deflater: Deflater,
    trial: Deflater,
    buf: Vec<u8>,
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
            trial: Deflater::new(level),
            buf: vec![0; CHUNK],
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
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let res = match rustix::fs::open(&job.physical, flags | OFlags::NOATIME, Mode::empty()) {
            Err(Errno::PERM) => rustix::fs::open(&job.physical, flags, Mode::empty()),
            other => other,
        };
        match res {
            Ok(fd) => Ok(File::from(fd)),
            Err(Errno::NOENT) => Err((
                Status::Vanished,
                "gone between listing and reading".to_string(),
            )),
            Err(Errno::LOOP) => Err((
                Status::Vanished,
                "replaced by a symbolic link between listing and reading (not followed)"
                    .to_string(),
            )),
            Err(e) => Err((
                Status::Unreadable,
                format!("cannot open: {}", errno_text(e)),
            )),
        }
    }

    /// Acquire one file. `Err(Stop)` only when the whole capture must stop.
    pub fn run(&mut self, job: &FileJob) -> Result<FileOutcome, Stop> {
        if self.cancel.is_cancelled() {
            return Err(Stop);
        }
        let mut file = match Self::open(job) {
            Ok(f) => f,
            Err((status, reason)) => return Ok(Self::outcome(job, status, reason)),
        };
        let before = match rustix::fs::fstat(&file) {
            Ok(s) => s,
            Err(e) => {
                return Ok(Self::outcome(
                    job,
                    Status::Unreadable,
                    format!("cannot examine: {}", errno_text(e)),
                ));
            }
        };
        let kind = EntryType::from_mode(before.st_mode);
        if kind != Some(EntryType::File) {
            return Ok(Self::outcome(
                job,
                Status::Skipped,
                format!("special_file: became a {kind:?} between listing and reading; not read"),
            ));
        }
        let replaced = before.st_ino != job.walk_ino || before.st_dev != job.walk_dev;
        let size_at_open = before.st_size as u64;
        let cap = size_at_open.max(job.walk_size) + GROWTH_ALLOWANCE;

        // Read the first chunk to decide how to store the content.
        let mut sha = Sha256::new();
        let mut crc = crc32fast::Hasher::new();
        let mut total: u64 = 0;
        let mut read_error = None;
        let mut eof = false;
        let want_first = if size_at_open > STREAM_THRESHOLD {
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
            job.member.is_some() && size_at_open > STREAM_THRESHOLD && !eof && read_error.is_none();
        let mut method = METHOD_STORED;
        if job.member.is_some()
            && self.deflate_level.is_some()
            && !already_compressed(&job.logical, &first)
        {
            method = METHOD_DEFLATED;
            if stream {
                // Trial-compress the first chunk: if it barely shrinks, store.
                let trial = self.trial.whole(&first).map_err(|_| Stop)?;
                if trial.len() as f64 > first.len() as f64 * 0.95 {
                    method = METHOD_STORED;
                }
            }
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
            Output::Stream {
                tx,
                is_head,
                method,
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
                    } => {
                        let bytes = if *method == METHOD_DEFLATED {
                            let mut c = Vec::with_capacity(pending.len() / 2);
                            self.deflater
                                .push(&pending, &mut c, false)
                                .map_err(|_| Stop)?;
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
            } => {
                if method == METHOD_DEFLATED {
                    let mut tail = Vec::new();
                    self.deflater.push(&[], &mut tail, true).map_err(|_| Stop)?;
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

        let after = rustix::fs::fstat(&file).ok();
        let (size_after, mtime_after) = match &after {
            Some(a) => (a.st_size as u64, Some((a.st_mtime, a.st_mtime_nsec as u32))),
            None => (size_at_open, None),
        };
        let mtime_at_open = Some((before.st_mtime, before.st_mtime_nsec as u32));
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
                job.walk_ino, before.st_ino
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
