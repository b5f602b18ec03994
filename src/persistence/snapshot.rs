//! Fork-free point-in-time snapshots (BGSAVE; later the AOF rewrite base and
//! a replica's full sync), DESIGN.md "Fork-free snapshots".
//!
//! Redis forks and lets the kernel copy pages on write. We copy at entry
//! granularity instead, and never pause for the size of the dataset:
//!
//! * Starting snapshot epoch E gives every non-empty database a `DbSnap`.
//!   The event loop walks each database's dict with a SCAN cursor, a small
//!   time slice per loop iteration (`step`), encoding every entry whose
//!   `Obj.epoch` is not E into RDB bytes and stamping it E. The SCAN cursor
//!   makes the walk immune to rehashing: every entry present for the whole
//!   walk is visited, and the stamp stops a second visit from writing it
//!   twice.
//! * Before anything changes an entry (write, delete, expire, rename…) `Db`
//!   calls `DbSnap::capture`, which encodes the entry first if it is not yet
//!   stamped; entries created during the snapshot are stamped E at birth and
//!   left out. A database emptied by FLUSHDB hands its old dicts to the
//!   snapshot, which walks them like the live ones. The file is therefore the
//!   dataset as it was when the snapshot began, as with fork.
//! * Capturing is work the walk would have done anyway, only earlier; what it
//!   holds in memory is the encoded bytes of entries touched before the walk
//!   reached them (INFO's `rdb_last_cow_size` reports it) until the next
//!   hand-over to the writer.
//! * A writer thread receives the encoded chunks over a bounded channel,
//!   keeps the running CRC-64, writes a temp file, fsyncs it and renames it
//!   over the target. When the channel is full the walk pauses (captures
//!   still happen), so a slow disk bounds memory instead of growing it.
//!
//! Encoding happens on the loop thread because our values are owned by the
//! dict and not shared; a slice costs at most `SLICE_US` of loop time.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};

use super::rdb::{self, WriteOpts};
use crate::dict::Dict;
use crate::types::{Obj, SmallBytes};
use crate::util::time::mono_us;

/// Loop time one `step` may spend encoding.
const SLICE_US: u64 = 50;
/// Hand the buffer to the writer once it holds this much.
const CHUNK: usize = 1 << 20;
/// Chunks in flight to the writer before the walk waits.
const QUEUE: usize = 16;
/// fsync the temp file every this many bytes with `rdb-save-incremental-fsync`.
const AUTOSYNC_BYTES: u64 = 4 << 20;

/// What the loop sends the writer thread.
enum Msg {
    Chunk(Vec<u8>),
    /// Dicts a FLUSHDB detached, once walked: freed off the loop thread.
    Drop(Box<Detached>),
    /// All data sent: append the CRC, fsync, rename.
    Finish,
}

/// A keyspace FLUSHDB took away while the snapshot still needed it.
struct Detached {
    keys: Dict<SmallBytes, Obj>,
    expires: Dict<SmallBytes, i64>,
    cursor: u64,
}

/// One database's part of a snapshot in progress; lives in `Db::snap`.
pub struct DbSnap {
    epoch: u32,
    /// The database these entries are written under (follows the dicts
    /// through SWAPDB).
    db: usize,
    /// Sizes at the start, for the RESIZEDB hint.
    sizes: (u64, u64),
    opts: WriteOpts,
    /// Entries as commands (an AOF base without RDB preamble), not RDB.
    resp: bool,
    /// Encoded entries not yet handed to the writer.
    out: Vec<u8>,
    cursor: u64,
    walked: bool,
    detached: Vec<Detached>,
    /// Entries written, and bytes encoded by captures before writes.
    keys_done: u64,
    cow_bytes: u64,
}

impl DbSnap {
    /// The epoch new entries are stamped with.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Encode `key`'s entry if the snapshot has not got it yet: called by
    /// `Db` before the entry changes or goes away.
    pub fn capture(
        &mut self,
        keys: &mut Dict<SmallBytes, Obj>,
        expires: &Dict<SmallBytes, i64>,
        key: &[u8],
    ) {
        if self.walked && self.detached.is_empty() {
            return;
        }
        let Some(o) = keys.get_mut(key) else { return };
        if o.epoch == self.epoch {
            return;
        }
        let before = self.out.len();
        encode(&mut self.out, &self.opts, self.resp, key, o, expires);
        o.epoch = self.epoch;
        self.keys_done += 1;
        self.cow_bytes += (self.out.len() - before) as u64;
    }

    /// FLUSHDB during the snapshot: keep the old dicts and go on walking
    /// them where the walk was. Everything the new, empty dict will hold is
    /// born after the snapshot began, so it needs no walk.
    pub fn detach(&mut self, keys: Dict<SmallBytes, Obj>, expires: Dict<SmallBytes, i64>) {
        if !self.walked {
            self.detached.push(Detached {
                keys,
                expires,
                cursor: self.cursor,
            });
            self.walked = true;
        }
    }

    /// Walk the live dict, then detached ones, until `deadline` (mono µs) or
    /// `limit` entries; returns true when everything is written.
    fn walk(
        &mut self,
        keys: &mut Dict<SmallBytes, Obj>,
        expires: &Dict<SmallBytes, i64>,
        deadline: u64,
        limit: &mut u64,
        drops: &mut Vec<Detached>,
    ) -> bool {
        let DbSnap {
            epoch,
            opts,
            resp,
            out,
            cursor,
            walked,
            detached,
            keys_done,
            ..
        } = self;
        let mut visit = |keys: &mut Dict<SmallBytes, Obj>,
                         expires: &Dict<SmallBytes, i64>,
                         cursor: &mut u64|
         -> bool {
            let mut steps = 0u32;
            loop {
                if *limit == 0 {
                    return false;
                }
                let mut n = 0u64;
                *cursor = keys.scan_mut(*cursor, |k, o| {
                    if o.epoch != *epoch {
                        encode(out, opts, *resp, k.as_bytes(), o, expires);
                        o.epoch = *epoch;
                        n += 1;
                    }
                });
                *keys_done += n;
                *limit = limit.saturating_sub(n);
                if *cursor == 0 {
                    return true;
                }
                steps += 1;
                if *limit == 0
                    || out.len() >= CHUNK
                    || (steps.is_multiple_of(4) && mono_us() >= deadline)
                {
                    return false;
                }
            }
        };
        if !*walked {
            if !visit(keys, expires, cursor) {
                return false;
            }
            *walked = true;
        }
        while let Some(d) = detached.last_mut() {
            let Detached {
                keys,
                expires,
                cursor,
            } = d;
            if !visit(keys, expires, cursor) {
                return false;
            }
            drops.push(detached.pop().expect("last"));
        }
        true
    }
}

/// Append one entry, with its TTL, to `out`.
fn encode(
    out: &mut Vec<u8>,
    opts: &WriteOpts,
    resp: bool,
    key: &[u8],
    o: &Obj,
    expires: &Dict<SmallBytes, i64>,
) {
    let exp = if expires.is_empty() {
        None
    } else {
        expires.get(key).copied()
    };
    if resp {
        super::aof_rewrite::write_entry(out, key, o, exp);
    } else {
        rdb::write_entry(out, key, o, exp, opts);
    }
}

/// A snapshot in progress (`Server::snapshot`).
pub struct Snapshot {
    epoch: u32,
    tx: SyncSender<Msg>,
    done: Receiver<Result<u64, String>>,
    /// Bytes waiting for room in the channel.
    pending: Vec<u8>,
    /// The database the stream last selected.
    stream_db: Option<usize>,
    /// Every entry is encoded and `Finish` sent.
    finished: bool,
    /// Everything is sent but `Finish`, which found the channel full.
    finish_pending: bool,
    pub start_ms: i64,
    pub start_mono_us: u64,
    /// `dirty` when the snapshot began: what remains after it is saved.
    pub dirty_at_start: u64,
    pub keys_total: u64,
    pub keys_done: u64,
    pub cow_bytes: u64,
    /// `rdb-key-save-delay` (µs per key): pace the walk (tests use it to
    /// keep a BGSAVE running); the loop is never put to sleep for it.
    key_delay_us: i64,
    pub temp: PathBuf,
    /// Commands rather than RDB (see `Start::resp`).
    resp: bool,
}

/// Options for starting a snapshot.
pub struct Start<'a> {
    pub path: &'a Path,
    /// Write commands (an AOF base with `aof-use-rdb-preamble no`), with a
    /// `#TS:` annotation first when `timestamp` is set.
    pub resp: bool,
    pub timestamp: bool,
    pub compress: bool,
    pub checksum: bool,
    pub incremental_fsync: bool,
    pub key_delay_us: i64,
}

static NEXT_EPOCH: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// Begin a snapshot of `srv`'s databases into `opts.path`.
pub fn start(srv: &mut crate::server::Server, opts: &Start) -> std::io::Result<Snapshot> {
    let dir = opts
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = dir.join(format!("temp-bgsave-{}.rdb", std::process::id()));
    let file = File::create(&temp)?;
    let epoch = NEXT_EPOCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let wopts = WriteOpts {
        compress: opts.compress,
        now_ms: crate::util::time::now_ms(),
    };
    let mut pending = Vec::with_capacity(CHUNK);
    if !opts.resp {
        rdb::write_header(&mut pending, &rdb::aux_fields(srv, false));
        rdb::write_functions(&mut pending, srv, opts.compress);
    } else {
        if opts.timestamp {
            pending.extend_from_slice(format!("#TS:{}\r\n", wopts.now_ms / 1000).as_bytes());
        }
        super::aof_rewrite::write_functions(&mut pending, srv);
    }
    let mut keys_total = 0;
    for db in &mut srv.dbs {
        if db.keys.is_empty() {
            continue;
        }
        keys_total += db.keys.len() as u64;
        db.snap = Some(Box::new(DbSnap {
            epoch,
            db: db.id,
            sizes: (db.keys.len() as u64, db.expires.len() as u64),
            opts: wopts,
            resp: opts.resp,
            out: Vec::new(),
            cursor: 0,
            walked: false,
            detached: Vec::new(),
            keys_done: 0,
            cow_bytes: 0,
        }));
    }
    let (tx, rx) = sync_channel(QUEUE);
    let (done_tx, done) = sync_channel(1);
    let (temp2, target) = (temp.clone(), opts.path.to_path_buf());
    // An RDB ends with its CRC (zero without `rdbchecksum`); commands don't.
    let trailer = (!opts.resp).then_some(opts.checksum);
    let fsync_often = opts.incremental_fsync;
    std::thread::Builder::new()
        .name("rdb-writer".into())
        .spawn(move || {
            // Below the event loop in the scheduler's eyes: the loop thread
            // serves clients, this one only checksums and writes.
            // SAFETY: setpriority on this thread's own id.
            unsafe {
                let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
                libc::setpriority(libc::PRIO_PROCESS, tid, 10);
            }
            let r = write_file(file, rx, &temp2, &target, trailer, fsync_often);
            if r.is_err() {
                let _ = std::fs::remove_file(&temp2);
            }
            let _ = done_tx.send(r);
        })?;
    Ok(Snapshot {
        epoch,
        tx,
        done,
        pending,
        stream_db: None,
        finished: false,
        finish_pending: false,
        start_ms: crate::util::time::now_ms(),
        start_mono_us: mono_us(),
        dirty_at_start: srv.dirty,
        keys_total,
        keys_done: 0,
        cow_bytes: 0,
        key_delay_us: opts.key_delay_us,
        temp,
        resp: opts.resp,
    })
}

/// The writer thread: chunks → temp file with a running CRC; at `Finish`
/// the CRC trailer, fsync, rename. A closed channel without `Finish` means
/// the snapshot was abandoned.
fn write_file(
    mut f: File,
    rx: Receiver<Msg>,
    temp: &Path,
    target: &Path,
    trailer: Option<bool>,
    fsync_often: bool,
) -> Result<u64, String> {
    let checksum = trailer == Some(true);
    let mut crc = 0u64;
    let mut written = 0u64;
    let mut synced = 0u64;
    let err = |e: std::io::Error| format!("Write error saving DB on disk: {e}");
    loop {
        match rx.recv() {
            Ok(Msg::Chunk(buf)) => {
                if checksum {
                    crc = rdb::crc64(crc, &buf);
                }
                f.write_all(&buf).map_err(err)?;
                written += buf.len() as u64;
                if fsync_often && written - synced >= AUTOSYNC_BYTES {
                    f.sync_data().map_err(err)?;
                    synced = written;
                }
            }
            Ok(Msg::Drop(d)) => drop(d),
            Ok(Msg::Finish) => break,
            Err(_) => return Err("snapshot abandoned".into()),
        }
    }
    if trailer.is_some() {
        f.write_all(&crc.to_le_bytes()).map_err(err)?;
        written += 8;
    }
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(temp, target).map_err(|e| {
        format!(
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {e}",
            temp.display(),
            target.display(),
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        )
    })?;
    if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(written)
}

/// How a finished snapshot ended.
pub enum Outcome {
    Saved { bytes: u64 },
    Failed(String),
}

impl Snapshot {
    /// Epoch of this snapshot.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The walk is complete (only the writer may still be busy).
    pub fn walk_finished(&self) -> bool {
        self.finished
    }

    /// One slice of work: walk the databases, hand chunks to the writer, and
    /// once everything is sent, `Finish`. Returns the outcome when the
    /// writer is done.
    pub fn step(&mut self, dbs: &mut [crate::db::Db]) -> Option<Outcome> {
        if !self.finished {
            self.advance(dbs);
        }
        match self.done.try_recv() {
            Ok(Ok(bytes)) => Some(Outcome::Saved { bytes }),
            Ok(Err(e)) => Some(Outcome::Failed(e)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Outcome::Failed("writer thread died".into())),
        }
    }

    fn advance(&mut self, dbs: &mut [crate::db::Db]) {
        if self.finish_pending {
            if !matches!(self.tx.try_send(Msg::Finish), Err(TrySendError::Full(_))) {
                self.finished = true;
            }
            return;
        }
        let deadline = mono_us() + SLICE_US;
        let mut limit = if self.key_delay_us > 0 {
            let elapsed = mono_us() - self.start_mono_us;
            (elapsed / self.key_delay_us as u64).saturating_sub(self.progress(dbs).0)
        } else {
            u64::MAX
        };
        let mut drops = Vec::new();
        let mut all_done = true;
        for db in dbs.iter_mut() {
            let Some(s) = db.snap.as_deref_mut() else {
                continue;
            };
            let done = self.pending.len() < CHUNK
                && s.walk(&mut db.keys, &db.expires, deadline, &mut limit, &mut drops);
            if !s.out.is_empty() {
                if self.stream_db != Some(s.db) {
                    if self.resp {
                        crate::propagate::encode_command(
                            &mut self.pending,
                            &[
                                bytes::Bytes::from_static(b"SELECT"),
                                bytes::Bytes::from(s.db.to_string()),
                            ],
                        );
                    } else {
                        rdb::write_select_db(&mut self.pending, s.db, s.sizes.0, s.sizes.1);
                    }
                    self.stream_db = Some(s.db);
                }
                self.pending.append(&mut s.out);
            }
            if done {
                let s = db.snap.take().expect("snap");
                self.keys_done += s.keys_done;
                self.cow_bytes += s.cow_bytes;
            } else {
                all_done = false;
            }
        }
        for d in drops {
            // The writer frees them; if it is gone the loop drops them.
            let _ = self.tx.try_send(Msg::Drop(Box::new(d)));
        }
        let eof = all_done && !self.resp;
        if eof {
            rdb::write_eof(&mut self.pending);
        }
        if !self.pending.is_empty() && (all_done || self.pending.len() >= CHUNK / 4) {
            let chunk = std::mem::take(&mut self.pending);
            match self.tx.try_send(Msg::Chunk(chunk)) {
                Ok(()) => {}
                Err(TrySendError::Full(Msg::Chunk(c))) => {
                    self.pending = c;
                    if eof {
                        // Undo the EOF; it is appended again next time.
                        self.pending.pop();
                    }
                    return;
                }
                Err(_) => return,
            }
        }
        if all_done {
            // Never block the loop on a busy writer: try again next step.
            match self.tx.try_send(Msg::Finish) {
                Err(TrySendError::Full(_)) => self.finish_pending = true,
                _ => self.finished = true,
            }
        }
    }

    /// Entries written so far, including the databases still in progress.
    pub fn progress(&self, dbs: &[crate::db::Db]) -> (u64, u64) {
        let (mut keys, mut cow) = (self.keys_done, self.cow_bytes);
        for s in dbs.iter().filter_map(|d| d.snap.as_deref()) {
            keys += s.keys_done;
            cow += s.cow_bytes;
        }
        (keys, cow)
    }

    /// Abandon the snapshot: the databases forget it and the writer removes
    /// its temp file.
    pub fn abort(self, dbs: &mut [crate::db::Db]) {
        for db in dbs.iter_mut() {
            db.snap = None;
        }
        let temp = self.temp.clone();
        drop(self.tx);
        // The writer sees the closed channel, removes the temp file and exits.
        let _ = self.done.recv();
        let _ = std::fs::remove_file(temp);
    }
}
