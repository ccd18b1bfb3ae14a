//! The capture pipeline: reader threads and the archive's writer thread.
//!
//! One writer thread owns the `.zip.partial` file and lays out the ZIP as
//! entries arrive ([`sink::run_writer`]); reader threads take the planned
//! [`FileJob`]s, read each file once (hash and compress in one pass, see
//! [`acquire`]) and hand the content to the writer, within a memory budget.
//! The calling thread feeds nothing itself: it collects the outcomes into the
//! records, reports progress and watches for cancellation. A hard-linked
//! file whose first name vanished unread is then read under its next name,
//! and at the end the tag files go to the writer last, which then finishes
//! the archive and hands the file back for sealing.

use super::acquire::{self, Acquirer, FileJob, FileOutcome};
use super::plan::{Alias, First, MemberNames, PendingJobs, record_outcome, share_result};
use super::{CaptureError, Compression, compress, sink};
use crate::archive::Status;
use crate::archive::record::FileRecord;
use crate::archive::seal::{RecordTally, TagData};
use crate::archive::spill::Spill;
use crate::archive::zipspec::{METHOD_DEFLATED, METHOD_STORED};
use crate::archive::zipwrite::EntryMeta;
use crate::job::{CancelToken, Progress, ProgressSink};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Memory the readers may hold for the writer at once.
const WRITER_BUDGET: u64 = 256 << 20;

/// A file read: its outcome, the member name it was to be stored under and
/// its record, which the outcome completes.
struct Read {
    outcome: FileOutcome,
    member: Option<String>,
    rec: Box<FileRecord>,
}

/// The writer thread and what readers need to reach it.
pub(super) struct Pipeline {
    writer: JoinHandle<std::io::Result<sink::Written>>,
    wtx: crossbeam_channel::Sender<sink::ToWriter>,
    budget: Arc<sink::Budget>,
    /// Deflate level; `None` stores everything.
    level: Option<u32>,
    bytes_done: Arc<AtomicU64>,
    /// Stops the readers: the user cancelled, or the writer failed.
    worker_cancel: CancelToken,
    partial: PathBuf,
}

impl Pipeline {
    /// Start the writer thread on `file`, the archive being written as
    /// `partial`.
    pub(super) fn start(
        file: sink::ArchiveOut,
        compression: Compression,
        partial: &Path,
        spill: &Spill,
    ) -> Result<Self, CaptureError> {
        let level = match compression {
            Compression::Deflate(l) => Some(l.clamp(1, 9)),
            Compression::Store => None,
        };
        let budget = Arc::new(sink::Budget::new(WRITER_BUDGET));
        let (wtx, wrx) = crossbeam_channel::bounded::<sink::ToWriter>(4096);
        let writer_budget = budget.clone();
        let writer_spill = spill.clone();
        let writer = std::thread::Builder::new()
            .name("exhibit-writer".into())
            .spawn(move || sink::run_writer(file, wrx, writer_budget, &writer_spill))
            .map_err(|e| CaptureError::Write(e, partial.to_path_buf()))?;
        Ok(Self {
            writer,
            wtx,
            budget,
            level,
            bytes_done: Arc::new(AtomicU64::new(0)),
            worker_cancel: CancelToken::new(),
            partial: partial.to_path_buf(),
        })
    }

    fn acquirer(&self) -> Acquirer {
        Acquirer::new(
            self.level,
            sink::SinkHandle {
                tx: self.wtx.clone(),
                budget: self.budget.clone(),
            },
            self.bytes_done.clone(),
            self.worker_cancel.clone(),
        )
    }

    /// Read every pending file on `threads` reader threads and hand each
    /// record, completed with its outcome, to `records`. The records of the
    /// indices in `firsts_wanted` (first names of hard-linked files whose
    /// later names share their result) are also kept in `firsts`. Returns
    /// the pipeline for the tag files, or the error that ended the capture
    /// (cancelled, writer failed, a reader lost, the spill unreadable).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn read_pending(
        self,
        mut pending: PendingJobs,
        jobs_total: u64,
        records: &mut RecordTally,
        firsts_wanted: &HashSet<usize>,
        firsts: &mut HashMap<usize, First>,
        threads: usize,
        prog: &mut Progress,
        progress: &dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<Self, CaptureError> {
        let (job_tx, job_rx) = crossbeam_channel::bounded::<(FileJob, Box<FileRecord>)>(1024);
        let (out_tx, out_rx) = crossbeam_channel::unbounded::<Read>();
        let mut workers = Vec::new();
        for w in 0..threads {
            let jobs = job_rx.clone();
            let outs = out_tx.clone();
            let mut acq = self.acquirer();
            acq.hold_whole_up_to(acquire::whole_limit(threads));
            let spawned = std::thread::Builder::new()
                .name(format!("exhibit-reader-{w}"))
                .spawn(move || read_jobs(&mut acq, &jobs, &outs));
            match spawned {
                Ok(h) => workers.push(h),
                Err(e) => return Err(CaptureError::Write(e, self.partial.clone())),
            }
        }
        drop(job_rx);
        drop(out_tx);
        let feeder_cancel = self.worker_cancel.clone();
        let feeder = std::thread::spawn(move || -> std::io::Result<()> {
            while let Some(job) = pending.next()? {
                if feeder_cancel.is_cancelled() || job_tx.send(job).is_err() {
                    break;
                }
            }
            Ok(())
        });
        let collected = self.collect_outcomes(
            &out_rx,
            records,
            firsts_wanted,
            firsts,
            prog,
            progress,
            cancel,
        );
        let fed = feeder.join();
        let crashed = workers
            .into_iter()
            .map(|w| w.join())
            .filter(Result::is_err)
            .count();
        let (outcomes, kept) = match collected {
            Ok(n) => (n, None),
            Err(e) => (0, Some(e)),
        };
        let fed = match fed {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some(std::io::Error::other(
                "the thread feeding the readers failed",
            )),
        };
        // Every file handed to a reader must have come back with an outcome:
        // a reader that died would otherwise leave records that look captured.
        let lost = !cancel.is_cancelled()
            && (crashed > 0 || outcomes != jobs_total || kept.is_some() || fed.is_some());
        if lost {
            self.worker_cancel.cancel();
        }
        if self.worker_cancel.is_cancelled() || cancel.is_cancelled() {
            let lost = lost.then(|| {
                kept.or(fed).unwrap_or_else(|| {
                    std::io::Error::other(format!(
                        "{outcomes} of {jobs_total} files came back from the readers ({crashed} reader threads failed)"
                    ))
                })
            });
            return Err(self.stopped(cancel, lost));
        }
        Ok(self)
    }

    /// Receive the readers' outcomes until they are all gone, reporting
    /// progress and passing a cancel on to the readers; each record,
    /// completed, goes to `records`. Returns how many outcomes came back,
    /// or the error keeping a record.
    #[allow(clippy::too_many_arguments)]
    fn collect_outcomes(
        &self,
        out_rx: &crossbeam_channel::Receiver<Read>,
        records: &mut RecordTally,
        firsts_wanted: &HashSet<usize>,
        firsts: &mut HashMap<usize, First>,
        prog: &mut Progress,
        progress: &dyn ProgressSink,
        cancel: &CancelToken,
    ) -> std::io::Result<u64> {
        let mut outcomes = 0u64;
        let mut warnings = 0u64;
        loop {
            if cancel.is_cancelled() && !self.worker_cancel.is_cancelled() {
                self.worker_cancel.cancel();
                self.budget.close();
            }
            match out_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Read {
                    outcome,
                    member,
                    mut rec,
                }) => {
                    outcomes += 1;
                    let index = outcome.index;
                    if !matches!(outcome.status, Status::Captured) {
                        warnings += 1;
                    }
                    record_outcome(&mut rec, outcome, member);
                    if firsts_wanted.contains(&index) {
                        firsts.insert(index, First::of(&rec));
                    }
                    if let Err(e) = records.push(index as u64, &rec) {
                        self.worker_cancel.cancel();
                        self.budget.close();
                        return Err(e);
                    }
                    prog.current = std::mem::take(&mut rec.path);
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            }
            prog.files_done = outcomes;
            prog.bytes_done = self.bytes_done.load(Ordering::Relaxed);
            prog.warnings = warnings;
            progress.update(prog);
        }
        Ok(outcomes)
    }

    /// Either the user cancelled or the writer failed (and the readers
    /// stopped because of it): close the writer and say which. `lost` is
    /// the error when files never came back from the readers.
    fn stopped(self, cancel: &CancelToken, lost: Option<std::io::Error>) -> CaptureError {
        drop(self.wtx);
        self.budget.close();
        let res = self.writer.join();
        if cancel.is_cancelled() {
            return CaptureError::Cancelled(self.partial);
        }
        let err = match (res, lost) {
            (Ok(Err(e)), _) => e,
            (_, Some(lost)) => lost,
            _ => std::io::Error::other("reading stopped before every file was captured"),
        };
        CaptureError::Write(err, self.partial)
    }

    /// A hard-linked file whose first name vanished before it was read is
    /// read under its next name instead of being recorded vanished as well.
    /// `aliases` are in walk order; `firsts` holds the result of every name
    /// they share, and gains the names read here.
    pub(super) fn read_vanished_hard_links(
        &self,
        aliases: &mut [Alias],
        firsts: &mut HashMap<usize, First>,
        members: &mut MemberNames,
    ) -> Result<(), CaptureError> {
        let mut late: Option<Acquirer> = None;
        for a in 0..aliases.len() {
            let alias = &mut aliases[a];
            let first = alias.first;
            let Some(f) = firsts.get(&first) else {
                continue;
            };
            if f.status != Status::Vanished || f.sha256.is_some() {
                continue;
            }
            if let Some(meta) = alias.job.member.as_mut() {
                let Some(name) = members.claim(&alias.rec.path) else {
                    continue;
                };
                meta.name = name;
            }
            let acq = late.get_or_insert_with(|| self.acquirer());
            let o = acq.run(&alias.job).map_err(|_| {
                CaptureError::Write(
                    std::io::Error::other("the writer stopped while reading a hard link"),
                    self.partial.clone(),
                )
            })?;
            // Now read (and maybe stored) under its own name; the first name
            // is matched to the next alias too.
            let member = alias.job.member.as_ref().map(|m| m.name.clone());
            let key = (alias.job.walk_dev, alias.job.walk_ino);
            let i = alias.index;
            alias.rec.hardlink_of = None;
            record_outcome(&mut alias.rec, o, member);
            alias.done = true;
            let path = alias.rec.path.clone();
            firsts.insert(i, First::of(&alias.rec));
            // Later names of the same file share this name's result.
            for later in aliases.iter_mut().skip(a + 1) {
                if !later.done
                    && later.first == first
                    && (later.job.walk_dev, later.job.walk_ino) == key
                {
                    later.first = i;
                    later.rec.hardlink_of = Some(path.clone());
                }
            }
        }
        for alias in aliases.iter_mut().filter(|a| !a.done) {
            if let Some(f) = firsts.get(&alias.first) {
                share_result(alias, f);
            }
        }
        Ok(())
    }

    /// Hand the tag files (name inside the bag, content) to the writer, last
    /// in the archive, and wait for the finished archive.
    pub(super) fn finish(
        self,
        tags: Vec<(String, TagData)>,
        stem: &str,
    ) -> Result<sink::Written, CaptureError> {
        let now = chrono::Utc::now().timestamp();
        let mut deflater = compress::Deflater::new(crate::archive::seal::TAG_LEVEL);
        for (name, data) in tags {
            let meta = EntryMeta {
                name: format!("{stem}/{name}"),
                mode: 0o444,
                mtime: now,
                atime: now,
                owner: Some((0, 0)),
            };
            let data = match data {
                TagData::Bytes(b) => b,
                TagData::Streamed(t) => {
                    let tag = t
                        .stored()
                        .map_err(|e| CaptureError::Write(e, self.partial.clone()))?;
                    if self.wtx.send(sink::ToWriter::Tag { meta, tag }).is_err() {
                        break;
                    }
                    continue;
                }
            };
            let crc = crc32fast::hash(&data);
            let usize = data.len() as u64;
            let (method, body) = match deflater.whole(&data) {
                Ok(d) if d.len() < data.len() => (METHOD_DEFLATED, d),
                _ => (METHOD_STORED, data),
            };
            if self
                .wtx
                .send(sink::ToWriter::Whole {
                    meta,
                    method,
                    crc,
                    usize,
                    data: body,
                })
                .is_err()
            {
                break;
            }
        }
        drop(self.wtx);
        match self.writer.join() {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(CaptureError::Write(e, self.partial)),
            Err(_) => Err(CaptureError::Write(
                std::io::Error::other("writer thread panicked"),
                self.partial,
            )),
        }
    }
}

/// A reader thread: run jobs until there are none, or the capture must stop.
fn read_jobs(
    acq: &mut Acquirer,
    jobs: &crossbeam_channel::Receiver<(FileJob, Box<FileRecord>)>,
    outs: &crossbeam_channel::Sender<Read>,
) {
    for (job, rec) in jobs.iter() {
        match acq.run(&job) {
            Ok(outcome) => {
                let member = job.member.map(|m| m.name);
                if outs
                    .send(Read {
                        outcome,
                        member,
                        rec,
                    })
                    .is_err()
                {
                    break;
                }
            }
            Err(acquire::Stop) => {
                acq.cancel.cancel();
                break;
            }
        }
    }
}
