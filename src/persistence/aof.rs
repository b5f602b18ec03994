//! The append-only file, in Redis 7.0's multi-part layout.
//!
//! `appenddirname/` holds one base file (an RDB snapshot,
//! `appendonly.aof.<n>.base.rdb`), incremental files of commands
//! (`appendonly.aof.<n>.incr.aof`) and the manifest
//! (`appendonly.aof.manifest`) that lists them in order:
//!
//! ```text
//! file appendonly.aof.1.base.rdb seq 1 type b
//! file appendonly.aof.1.incr.aof seq 1 type i
//! ```
//!
//! Propagated operations (`propagate.rs`) are appended to an in-memory
//! buffer as RESP commands; `before_sleep` writes the buffer to the current
//! incremental file before any reply of that loop pass goes out, and with
//! `appendfsync always` fsyncs it first too, so an acknowledged write is on
//! disk. `everysec` leaves the fsync to a helper thread once a second; `no`
//! to the kernel.
//!
//! A rewrite (BGREWRITEAOF, `auto-aof-rewrite-*`, enabling the AOF at run
//! time) opens a new incremental file at once — new writes go there — and
//! takes a fork-free snapshot (`snapshot.rs`) as the next base. When the
//! snapshot is on disk the manifest is switched atomically (temp file,
//! fsync, rename) to the new base and the new incremental file, and the old
//! files are deleted by the background I/O thread (`bio.rs`). No rewrite
//! buffer is needed: the snapshot is the dataset at the moment the new
//! incremental file began.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use super::bio::Bio;
use crate::propagate::Target;
use crate::{log_notice, log_warning};

/// `appendfsync`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Fsync {
    Always,
    #[default]
    EverySec,
    No,
}

impl Fsync {
    pub fn parse(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

/// One file of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub name: String,
    pub seq: u64,
    /// b(ase), h(istory) or i(ncremental).
    pub kind: char,
}

/// The manifest: base, history (to delete), incrementals in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileEntry>,
    pub history: Vec<FileEntry>,
    pub incr: Vec<FileEntry>,
}

/// Why a manifest was refused: the message, and the line (number, text)
/// when one is to blame — what Redis's FATAL AOF MANIFEST FILE ERROR shows.
#[derive(Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub msg: &'static str,
    pub line: Option<(usize, String)>,
}

/// Longest manifest line Redis reads.
const MANIFEST_MAX_LINE: usize = 1024;

impl Manifest {
    /// Parse a manifest's text with Redis's rules: `#` lines are comments,
    /// every other line holds `file <name> seq <n> type <b|h|i>` (keys in
    /// any order and case, extra pairs ignored), blank lines are errors.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let bad = |msg, n: usize, l: &str| ManifestError {
            msg,
            line: Some((n, l.trim().to_string())),
        };
        if text.is_empty() {
            return Err(ManifestError {
                msg: "Found an empty AOF manifest",
                line: None,
            });
        }
        let mut m = Manifest::default();
        let mut rest = text;
        let mut n = 0;
        while !rest.is_empty() {
            n += 1;
            let (raw, complete) = match rest.find('\n') {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            rest = if complete { &rest[raw.len() + 1..] } else { "" };
            if raw.starts_with('#') {
                continue;
            }
            if !complete || raw.len() + 1 > MANIFEST_MAX_LINE {
                return Err(bad("The AOF manifest file contains too long line", n, raw));
            }
            let line = raw.trim_matches([' ', '\t', '\r']);
            let words = match crate::resp::splitargs::split_args(line.as_bytes()) {
                Some(w) if !line.is_empty() && w.len() >= 6 && w.len() % 2 == 0 => w,
                _ => return Err(bad("Invalid AOF manifest file format", n, raw)),
            };
            let (mut name, mut seq, mut kind) = (None, 0u64, None);
            for kv in words.chunks(2) {
                let v = String::from_utf8_lossy(&kv[1]).into_owned();
                if kv[0].eq_ignore_ascii_case(b"file") {
                    if v.contains('/') {
                        return Err(bad("File can't be a path, just a filename", n, raw));
                    }
                    name = Some(v);
                } else if kv[0].eq_ignore_ascii_case(b"seq") {
                    seq = crate::util::num::parse_i64(v.as_bytes())
                        .unwrap_or(0)
                        .max(0) as u64;
                } else if kv[0].eq_ignore_ascii_case(b"type") {
                    kind = v.chars().next();
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(bad("Invalid AOF manifest file format", n, raw));
            };
            if seq == 0 {
                return Err(bad("Invalid AOF manifest file format", n, raw));
            }
            let e = FileEntry { name, seq, kind };
            match kind {
                'b' if m.base.is_some() => {
                    return Err(bad("Found duplicate base file information", n, raw));
                }
                'b' => m.base = Some(e),
                'h' => m.history.push(e),
                'i' if m.incr.last().is_some_and(|l| l.seq >= e.seq) => {
                    return Err(bad("Found a non-monotonic sequence number", n, raw));
                }
                'i' => m.incr.push(e),
                _ => return Err(bad("Unknown AOF file type", n, raw)),
            }
        }
        Ok(m)
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let all = self.base.iter().chain(&self.history).chain(&self.incr);
        for e in all {
            let name = if e.name.bytes().all(|b| b.is_ascii_graphic() && b != b'"') {
                e.name.clone()
            } else {
                format!("{:?}", e.name)
            };
            out.push_str(&format!("file {name} seq {} type {}\n", e.seq, e.kind));
        }
        out
    }

    fn next_base_seq(&self) -> u64 {
        self.base.as_ref().map_or(0, |b| b.seq) + 1
    }

    fn next_incr_seq(&self) -> u64 {
        self.incr.last().map_or(0, |i| i.seq) + 1
    }
}

/// Where the AOF lives, from the configuration.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub dir: PathBuf,
    pub filename: String,
}

impl Names {
    pub fn from_server(srv: &crate::server::Server) -> Names {
        Names {
            dir: PathBuf::from(srv.cfg.get("appenddirname").unwrap_or("appendonlydir")),
            filename: srv
                .cfg
                .get("appendfilename")
                .unwrap_or("appendonly.aof")
                .to_string(),
        }
    }

    pub fn manifest(&self) -> PathBuf {
        self.dir.join(format!("{}.manifest", self.filename))
    }

    /// `.base.rdb`, or `.base.aof` for a base of commands.
    pub fn base_name(&self, seq: u64, resp: bool) -> String {
        let ext = if resp { "aof" } else { "rdb" };
        format!("{}.{seq}.base.{ext}", self.filename)
    }

    pub fn incr_name(&self, seq: u64) -> String {
        format!("{}.{seq}.incr.aof", self.filename)
    }

    /// Write `m` atomically: temp file, fsync, rename, fsync the directory.
    pub fn persist(&self, m: &Manifest) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!("temp-{}.manifest", self.filename));
        let mut f = File::create(&tmp)?;
        f.write_all(m.to_text().as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, self.manifest())?;
        sync_dir(&self.dir);
        Ok(())
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A rewrite in progress: the base it is writing.
#[derive(Clone, Debug)]
pub struct Rewrite {
    pub base: FileEntry,
    pub start_ms: i64,
}

/// The AOF state of the server (`Server::aof`).
#[derive(Default)]
pub struct Aof {
    /// Appending (appendonly yes and the files are open).
    pub on: bool,
    pub names: Names,
    pub manifest: Manifest,
    file: Option<File>,
    /// Operations not yet written.
    buf: Vec<u8>,
    target: Target,
    pub fsync: Fsync,
    /// The background I/O thread, started with its first job.
    bio: Option<Bio>,
    fsync_errors: Arc<AtomicU64>,
    last_fsync_ms: i64,
    pub timestamps: bool,
    last_ts: i64,
    /// Bytes of the whole AOF (base + incrementals) and at the last rewrite.
    pub current_size: u64,
    pub base_size: u64,
    pub rewrite: Option<Rewrite>,
    pub rewrite_scheduled: bool,
    pub rewrites: u64,
    pub last_rewrite_failed: bool,
    /// Duration of the last rewrite (s), None before the first.
    pub last_rewrite_time_sec: Option<i64>,
    /// The last write to the file failed (writes are refused meanwhile).
    pub write_error: Option<String>,
    pub delayed_fsync: u64,
    /// `no-appendfsync-on-rewrite`.
    pub no_fsync_on_rewrite: bool,
    /// DEBUG AOF-FLUSH-SLEEP: pause before each write (tests).
    pub flush_sleep_us: u64,
}

impl Aof {
    /// Pick up the directives that may change at run time.
    pub fn refresh_config(&mut self, cfg: &crate::config::Config) {
        self.fsync = Fsync::parse(cfg.get("appendfsync").unwrap_or("everysec"));
        self.timestamps = cfg.get("aof-timestamp-enabled") == Some("yes");
        self.no_fsync_on_rewrite = cfg.get("no-appendfsync-on-rewrite") == Some("yes");
    }

    /// Append a unit of operations (nothing when the AOF is off).
    pub fn feed(&mut self, ops: &[(usize, Vec<Bytes>)], now_ms: i64) {
        if !self.on {
            return;
        }
        if self.timestamps && now_ms / 1000 != self.last_ts {
            self.last_ts = now_ms / 1000;
            self.buf
                .extend_from_slice(format!("#TS:{}\r\n", self.last_ts).as_bytes());
        }
        self.target.feed(&mut self.buf, ops);
    }

    /// Write what was appended; fsync per policy. Called before replies
    /// are written (so `always` acknowledges only what is on disk).
    pub fn flush(&mut self, now_ms: i64) {
        if self.flush_sleep_us > 0 && !self.buf.is_empty() {
            std::thread::sleep(std::time::Duration::from_micros(self.flush_sleep_us));
        }
        if self.buf.is_empty() {
            self.maybe_background_fsync(now_ms);
            return;
        }
        let Some(f) = self.file.as_mut() else { return };
        match f.write_all(&self.buf) {
            Ok(()) => {
                self.current_size += self.buf.len() as u64;
                self.buf.clear();
                if self.write_error.take().is_some() {
                    log_warning!("AOF write error looks solved, Redis can write again.");
                }
            }
            Err(e) => {
                // Keep the buffer: the next flush tries again; writes are
                // refused meanwhile (MISCONF).
                if self.write_error.is_none() {
                    log_warning!("Error writing to the AOF file: {e}");
                }
                self.write_error = Some(crate::net::listener::strip_os_error(&e));
                return;
            }
        }
        let skip = self.no_fsync_on_rewrite && self.rewrite.is_some();
        match self.fsync {
            Fsync::Always if !skip => {
                if let Err(e) = f.sync_data() {
                    log_warning!(
                        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting..."
                    );
                    std::process::exit(1);
                }
                self.last_fsync_ms = now_ms;
            }
            _ => self.maybe_background_fsync(now_ms),
        }
    }

    /// `everysec`: hand an fsync to the helper thread once a second.
    fn maybe_background_fsync(&mut self, now_ms: i64) {
        if self.fsync != Fsync::EverySec || now_ms - self.last_fsync_ms < 1000 {
            return;
        }
        if self.no_fsync_on_rewrite && self.rewrite.is_some() {
            return;
        }
        let Some(f) = self.file.as_ref() else { return };
        let bio = self
            .bio
            .get_or_insert_with(|| Bio::spawn(self.fsync_errors.clone()));
        if bio.fsync_busy() {
            // The last fsync is still running (slow disk): Redis counts it.
            self.delayed_fsync += 1;
            return;
        }
        if let Ok(dup) = f.try_clone() {
            bio.fsync(dup);
        }
        self.last_fsync_ms = now_ms;
    }

    /// Write and fsync everything (shutdown).
    pub fn flush_and_sync(&mut self, now_ms: i64) {
        self.flush(now_ms);
        if let Some(f) = self.file.as_ref() {
            let _ = f.sync_all();
        }
    }

    /// Open (create) incremental file `entry` for appending.
    fn open_incr(&mut self, entry: &FileEntry) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.names.dir)?;
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.names.dir.join(&entry.name))?;
        self.file = Some(f);
        // A new file starts without a selected database.
        self.target = Target::default();
        Ok(())
    }

    /// Start appending to a new incremental file, recorded in the manifest
    /// right away so a crash before the rewrite ends replays it too.
    pub fn start_new_incr(&mut self, now_ms: i64) -> std::io::Result<()> {
        self.flush(now_ms);
        let entry = FileEntry {
            name: self.names.incr_name(self.manifest.next_incr_seq()),
            seq: self.manifest.next_incr_seq(),
            kind: 'i',
        };
        self.open_incr(&entry)?;
        self.manifest.incr.push(entry);
        self.names.persist(&self.manifest)
    }

    /// Open the last incremental file of the manifest for appending (start
    /// up), or a first one.
    pub fn open_at_start(&mut self, now_ms: i64) -> std::io::Result<()> {
        match self.manifest.incr.last().cloned() {
            Some(last) => self.open_incr(&last),
            None => self.start_new_incr(now_ms),
        }
    }

    /// The next base file of a rewrite (commands when `resp`).
    pub fn next_base(&self, resp: bool) -> FileEntry {
        let seq = self.manifest.next_base_seq();
        FileEntry {
            name: self.names.base_name(seq, resp),
            seq,
            kind: 'b',
        }
    }

    /// A rewrite's snapshot is on disk as `new_base`: switch the manifest to
    /// it and the newest incremental file, then delete the files it
    /// replaced.
    pub fn rewrite_done(&mut self, new_base: FileEntry) -> std::io::Result<()> {
        let mut m = self.manifest.clone();
        let mut history = std::mem::take(&mut m.history);
        history.extend(m.base.take().map(|mut b| {
            b.kind = 'h';
            b
        }));
        let keep = m.incr.pop();
        history.extend(m.incr.drain(..).map(|mut i| {
            i.kind = 'h';
            i
        }));
        m.base = Some(new_base.clone());
        m.incr = keep.into_iter().collect();
        m.history = Vec::new();
        self.names.persist(&m)?;
        let bio = self
            .bio
            .get_or_insert_with(|| Bio::spawn(self.fsync_errors.clone()));
        for h in &history {
            log_notice!("Removing the history file {} in the background", h.name);
            bio.unlink(self.names.dir.join(&h.name));
        }
        self.manifest = m;
        self.base_size = std::fs::metadata(self.names.dir.join(&new_base.name))
            .map(|m| m.len())
            .unwrap_or(0);
        self.current_size = self.base_size
            + self
                .manifest
                .incr
                .iter()
                .map(|i| {
                    std::fs::metadata(self.names.dir.join(&i.name))
                        .map(|m| m.len())
                        .unwrap_or(0)
                })
                .sum::<u64>();
        Ok(())
    }

    /// Stop appending (CONFIG SET appendonly no).
    pub fn stop(&mut self, now_ms: i64) {
        self.flush_and_sync(now_ms);
        self.file = None;
        self.on = false;
        log_notice!("Background append only file rewriting stopped");
    }

    /// INFO persistence's AOF fields, in Redis's order.
    /// Bytes waiting in the AOF buffer (not counted against maxmemory).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    pub fn info_fields(&self, out: &mut String, now_ms: i64) {
        use std::fmt::Write;
        let current = self
            .rewrite
            .as_ref()
            .map_or(-1, |r| (now_ms - r.start_ms) / 1000);
        let _ = write!(
            out,
            "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\n\
             aof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{current}\r\n\
             aof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\n\
             aof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\n\
             aof_last_cow_size:0\r\n",
            u8::from(self.on),
            u8::from(self.rewrite.is_some()),
            u8::from(self.rewrite_scheduled),
            self.last_rewrite_time_sec.unwrap_or(-1),
            if self.last_rewrite_failed {
                "err"
            } else {
                "ok"
            },
            self.rewrites,
            u8::from(self.last_rewrite_failed),
            if self.write_error.is_some() {
                "err"
            } else {
                "ok"
            },
        );
        if self.on {
            let _ = write!(
                out,
                "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\n\
                 aof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
                self.current_size,
                self.base_size,
                u8::from(self.rewrite_scheduled),
                self.buf.len(),
                u8::from(self.bio.as_ref().is_some_and(Bio::fsync_busy)),
                self.delayed_fsync,
            );
        }
    }

    pub fn fsync_errors(&self) -> u64 {
        self.fsync_errors.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trip() {
        let text = "file appendonly.aof.1.base.rdb seq 1 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type i\n\
                    file appendonly.aof.2.incr.aof seq 2 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.1.base.rdb");
        assert_eq!(m.incr.len(), 2);
        assert_eq!(m.to_text(), text);
        assert_eq!(m.next_incr_seq(), 3);
        assert_eq!(m.next_base_seq(), 2);
        let quoted = Manifest::parse("file \"a b\" seq 1 type b\n").unwrap();
        assert_eq!(quoted.to_text(), "file \"a b\" seq 1 type b\n");
    }

    #[test]
    fn manifest_errors() {
        assert!(Manifest::parse("file a seq 1 type b\nfile b seq 2 type b\n").is_err());
        assert!(Manifest::parse("file a seq 2 type i\nfile b seq 1 type i\n").is_err());
        assert!(Manifest::parse("file a seq 1 type x\n").is_err());
        assert!(Manifest::parse("file a seq\n").is_err());
        assert!(
            Manifest::parse("file a seq 1 type b\n\n").is_err(),
            "blank line"
        );
        assert!(
            Manifest::parse("file a seq 1 type b").is_err(),
            "no newline"
        );
        assert!(Manifest::parse("file a seq 1\n").is_err(), "missing key");
        assert!(Manifest::parse("file a seq 1 type b x\n").is_err(), "odd");
        assert!(Manifest::parse("file d/a seq 1 type b\n").is_err(), "path");
        assert!(Manifest::parse("").is_err(), "empty");
        let m = Manifest::parse("# c\nFILE a SEQ 1 TYPE b extra 1\n").unwrap();
        assert_eq!(m.base.unwrap().name, "a");
    }
}
