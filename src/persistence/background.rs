//! Background snapshots in the server: BGSAVE and the AOF rewrite. Starting
//! a snapshot, stepping it from the event loop, finishing it (`lastsave`,
//! `dirty`, INFO's `rdb_*` fields; the AOF manifest switch), save points
//! (`save 3600 1 300 100 …`), automatic AOF rewrites, BGSAVE SCHEDULE, and
//! the MISCONF refusal of writes after a failed background save
//! (`stop-writes-on-bgsave-error`) or AOF write, as Redis's serverCron and
//! backgroundSaveDoneHandler do. One snapshot runs at a time, as one fork
//! child does in Redis. The snapshot itself is `snapshot.rs`.

use super::snapshot::{self, Outcome, Snapshot};
use crate::server::Server;
use crate::util::time::{mono_us, now_ms};
use crate::{log_notice, log_warning};

/// Seconds to wait before retrying a failed background save from a save
/// point (Redis's CONFIG_BGSAVE_RETRY_DELAY).
const RETRY_DELAY_S: i64 = 5;

pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// What the running snapshot is for.
#[derive(Clone, Debug)]
pub enum Purpose {
    /// BGSAVE or a save point: `dbfilename`.
    Rdb,
    /// An AOF rewrite writing this base file.
    AofRewrite(super::aof::FileEntry),
}

/// Background-save state of the server (`Server::rdb`).
pub struct RdbState {
    pub snapshot: Option<Snapshot>,
    /// Background jobs started, and the µs the last one took to start.
    pub total_forks: u64,
    pub latest_fork_usec: u64,
    pub purpose: Purpose,
    pub last_bgsave_ok: bool,
    /// Duration of the last background save (s), -1 before the first.
    pub last_bgsave_time_sec: i64,
    pub saves: u64,
    /// Bytes captured before writes during the last snapshot: our
    /// counterpart of fork's copy-on-write growth.
    pub last_cow_size: u64,
    /// A BGSAVE is to start as soon as none is running.
    pub scheduled: bool,
    /// Unix time (s) of the last attempt.
    pub last_try: i64,
}

impl Default for RdbState {
    fn default() -> Self {
        RdbState {
            snapshot: None,
            total_forks: 0,
            latest_fork_usec: 0,
            purpose: Purpose::Rdb,
            last_bgsave_ok: true,
            last_bgsave_time_sec: -1,
            saves: 0,
            last_cow_size: 0,
            scheduled: false,
            last_try: 0,
        }
    }
}

/// Save points of the `save` directive: (seconds, changes) pairs.
pub fn save_points(srv: &Server) -> Vec<(i64, u64)> {
    let words: Vec<&str> = srv
        .cfg
        .get("save")
        .unwrap_or("")
        .split_whitespace()
        .collect();
    words
        .chunks(2)
        .filter_map(|p| match p {
            [s, c] => Some((s.parse().ok()?, c.parse().ok()?)),
            _ => None,
        })
        .collect()
}

/// Start a background save to `dbfilename`. Errors are logged; the text
/// is for the client.
pub fn bgsave(srv: &mut Server) -> Result<(), String> {
    if srv.rdb.snapshot.is_some() {
        return Err("Background save already in progress".into());
    }
    srv.rdb.last_try = now_ms() / 1000;
    let path = super::rdb_path(srv);
    match start_snapshot(srv, &path, false) {
        Ok(s) => {
            log_notice!("Background saving started");
            srv.rdb.snapshot = Some(s);
            srv.rdb.purpose = Purpose::Rdb;
            Ok(())
        }
        Err(e) => {
            srv.rdb.last_bgsave_ok = false;
            log_warning!(
                "Can't save in background: {}",
                crate::net::listener::strip_os_error(&e)
            );
            Err(format!("Can't save in background: {e}"))
        }
    }
}

fn start_snapshot(
    srv: &mut Server,
    path: &std::path::Path,
    resp: bool,
) -> std::io::Result<Snapshot> {
    // INFO's total_forks / latest_fork_usec count the background jobs we
    // start instead of forking, and what starting one cost the event loop
    // (Redis's fork stall).
    let t0 = std::time::Instant::now();
    let started = start_snapshot_now(srv, path, resp);
    if started.is_ok() {
        srv.rdb.total_forks += 1;
        srv.rdb.latest_fork_usec = t0.elapsed().as_micros() as u64;
    }
    started
}

fn start_snapshot_now(
    srv: &mut Server,
    path: &std::path::Path,
    resp: bool,
) -> std::io::Result<Snapshot> {
    let opts = snapshot::Start {
        path,
        resp,
        timestamp: srv.aof.timestamps,
        compress: srv.cfg.get("rdbcompression") != Some("no"),
        checksum: srv.cfg.get("rdbchecksum") != Some("no"),
        incremental_fsync: srv.cfg.get("rdb-save-incremental-fsync") != Some("no"),
        key_delay_us: srv
            .cfg
            .get("rdb-key-save-delay")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    };
    snapshot::start(srv, &opts)
}

/// Start an AOF rewrite: a new incremental file takes the writes from now
/// on, and a snapshot of this moment becomes the next base.
pub fn rewrite_aof(srv: &mut Server) -> Result<(), String> {
    if srv.rdb.snapshot.is_some() {
        return Err("Background append only file rewriting already in progress".into());
    }
    if srv.aof.names.filename.is_empty() {
        srv.aof.names = super::aof::Names::from_server(srv);
    }
    let now = now_ms();
    let resp = srv.cfg.get("aof-use-rdb-preamble") == Some("no");
    let base = srv.aof.next_base(resp);
    let started = std::fs::create_dir_all(&srv.aof.names.dir)
        .and_then(|()| {
            if srv.aof.on {
                srv.aof.start_new_incr(now)
            } else {
                Ok(())
            }
        })
        .and_then(|()| {
            let path = srv.aof.names.dir.join(&base.name);
            start_snapshot(srv, &path, resp)
        });
    match started {
        Ok(s) => {
            log_notice!("Background append only file rewriting started");
            srv.rdb.snapshot = Some(s);
            srv.rdb.purpose = Purpose::AofRewrite(base.clone());
            srv.aof.rewrite = Some(super::aof::Rewrite {
                base,
                start_ms: now,
            });
            Ok(())
        }
        Err(e) => {
            srv.aof.last_rewrite_failed = true;
            log_warning!(
                "Can't rewrite append only file in background: {}",
                crate::net::listener::strip_os_error(&e)
            );
            Err(format!("Can't rewrite append only file in background: {e}"))
        }
    }
}

/// One slice of the snapshot in progress; called every loop iteration.
pub fn step(srv: &mut Server) {
    let Some(s) = srv.rdb.snapshot.as_mut() else {
        return;
    };
    let Some(outcome) = s.step(&mut srv.dbs) else {
        return;
    };
    let s = srv.rdb.snapshot.take().expect("snapshot");
    let (_, cow) = s.progress(&srv.dbs);
    for db in &mut srv.dbs {
        db.snap = None;
    }
    let secs = ((mono_us() - s.start_mono_us) / 1_000_000) as i64;
    srv.rdb.last_cow_size = cow;
    if let Purpose::AofRewrite(base) = std::mem::replace(&mut srv.rdb.purpose, Purpose::Rdb) {
        srv.aof.rewrite = None;
        srv.aof.last_rewrite_time_sec = Some(secs);
        let done = match outcome {
            Outcome::Saved { .. } => srv.aof.rewrite_done(base).map_err(|e| e.to_string()),
            Outcome::Failed(e) => Err(e),
        };
        match done {
            Ok(()) => {
                log_notice!("Background AOF rewrite terminated with success");
                log_notice!("Background AOF rewrite finished successfully");
                srv.aof.last_rewrite_failed = false;
                srv.aof.rewrites += 1;
            }
            Err(e) => {
                log_warning!("{e}");
                log_warning!("Background AOF rewrite signal handler took too long or failed");
                srv.aof.last_rewrite_failed = true;
            }
        }
        return;
    }
    srv.rdb.last_bgsave_time_sec = secs;
    let saved = matches!(outcome, Outcome::Saved { .. });
    match outcome {
        Outcome::Saved { .. } => {
            log_notice!("Background saving terminated with success");
            srv.dirty = srv.dirty.saturating_sub(s.dirty_at_start);
            srv.lastsave = now_ms() / 1000;
            srv.rdb.last_bgsave_ok = true;
            srv.rdb.saves += 1;
        }
        Outcome::Failed(e) => {
            log_warning!("{e}");
            log_warning!("Background saving error");
            srv.rdb.last_bgsave_ok = false;
        }
    }
    crate::replication::snapshot_done(srv, saved);
}

/// The loop must not sleep: a snapshot is being walked or awaited.
pub fn busy(srv: &Server) -> bool {
    srv.rdb.snapshot.is_some()
}

/// Abandon a background save (FLUSHALL, shutdown); its temp file goes.
pub fn abort(srv: &mut Server) {
    if let Some(s) = srv.rdb.snapshot.take() {
        match std::mem::replace(&mut srv.rdb.purpose, Purpose::Rdb) {
            Purpose::Rdb => log_warning!("Background saving aborted"),
            Purpose::AofRewrite(_) => {
                log_warning!("Background append only file rewriting aborted");
                srv.aof.rewrite = None;
            }
        }
        s.abort(&mut srv.dbs);
    }
}

/// Abandon only a background save (FLUSHALL); an AOF rewrite goes on.
pub fn abort_bgsave(srv: &mut Server) {
    if matches!(srv.rdb.purpose, Purpose::Rdb) {
        abort(srv);
    }
}

/// serverCron's part: start a scheduled BGSAVE, or one a save point calls
/// for.
/// Follow the `appendonly` directive (CONFIG SET, and retried from cron
/// when a snapshot was in the way): switch the AOF on, starting with a
/// rewrite as Redis does, or off.
pub fn apply_appendonly(srv: &mut Server) {
    let want_aof = srv.cfg.get("appendonly") == Some("yes");
    if !want_aof && srv.aof.on {
        if matches!(srv.rdb.purpose, Purpose::AofRewrite(_)) {
            abort(srv);
        }
        srv.aof.stop(now_ms());
    } else if want_aof && !srv.aof.on && (srv.rdb.snapshot.is_some() || srv.in_exec) {
        // Started from cron once possible, as Redis schedules it.
        if !srv.aof.rewrite_scheduled {
            srv.aof.rewrite_scheduled = true;
            if srv.in_exec {
                log_warning!(
                    "AOF was enabled during a transaction. An AOF background was scheduled to start when possible."
                );
            } else {
                log_warning!(
                    "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible."
                );
            }
        }
    } else if want_aof && !srv.aof.on {
        srv.aof.names = super::aof::Names::from_server(srv);
        srv.aof.on = true;
        srv.aof.rewrite_scheduled = false;
        if rewrite_aof(srv).is_err() {
            srv.aof.on = false;
        }
    }
    srv.sync_propagation();
}

pub fn cron(srv: &mut Server) {
    srv.aof.refresh_config(&srv.cfg);
    apply_appendonly(srv);
    if srv.rdb.snapshot.is_some() {
        return;
    }
    if srv.rdb.scheduled {
        srv.rdb.scheduled = false;
        let _ = bgsave(srv);
        return;
    }
    if srv.aof.rewrite_scheduled {
        srv.aof.rewrite_scheduled = false;
        let _ = rewrite_aof(srv);
        return;
    }
    // auto-aof-rewrite-percentage / -min-size.
    let perc: u64 = srv
        .cfg
        .get("auto-aof-rewrite-percentage")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let min: u64 = srv
        .cfg
        .get("auto-aof-rewrite-min-size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    if srv.aof.on && perc > 0 && srv.aof.current_size > min {
        let base = srv.aof.base_size.max(1);
        let growth = srv.aof.current_size * 100 / base;
        if growth >= 100 + perc {
            log_notice!(
                "Starting automatic rewriting of AOF on {}% growth",
                growth - 100
            );
            let _ = rewrite_aof(srv);
            return;
        }
    }
    let now = now_ms() / 1000;
    for (secs, changes) in save_points(srv) {
        if srv.dirty >= changes
            && now - srv.lastsave > secs
            && (now - srv.rdb.last_try > RETRY_DELAY_S || srv.rdb.last_bgsave_ok)
        {
            log_notice!("{changes} changes in {secs} seconds. Saving...");
            let _ = bgsave(srv);
            break;
        }
    }
}

/// Writes are refused with MISCONF: the last background save failed,
/// save points exist and `stop-writes-on-bgsave-error` is on.
pub fn writes_denied(srv: &Server) -> Option<String> {
    if !srv.rdb.last_bgsave_ok
        && srv.cfg.get("stop-writes-on-bgsave-error") != Some("no")
        && !save_points(srv).is_empty()
    {
        return Some(MISCONF.to_string());
    }
    if srv.aof.on
        && let Some(e) = &srv.aof.write_error
    {
        return Some(format!("MISCONF Errors writing to the AOF file: {e}"));
    }
    None
}

/// INFO persistence's snapshot fields, in Redis's order, up to
/// `rdb_last_cow_size`.
pub fn info_fields(srv: &Server, out: &mut String) {
    use std::fmt::Write;
    let (processed, total, cow, current) = match &srv.rdb.snapshot {
        Some(s) => {
            let (keys, cow) = s.progress(&srv.dbs);
            (
                keys,
                s.keys_total,
                cow,
                ((mono_us() - s.start_mono_us) / 1_000_000) as i64,
            )
        }
        None => (0, 0, 0, -1),
    };
    let perc = if total > 0 {
        processed as f64 * 100.0 / total as f64
    } else {
        0.0
    };
    let _ = write!(
        out,
        "current_cow_peak:{cow}\r\ncurrent_cow_size:{cow}\r\ncurrent_cow_size_age:0\r\n\
         current_fork_perc:{perc:.2}\r\ncurrent_save_keys_processed:{processed}\r\n\
         current_save_keys_total:{total}\r\nrdb_changes_since_last_save:{}\r\n\
         rdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\n\
         rdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{current}\r\n\
         rdb_saves:{}\r\nrdb_last_cow_size:{}\r\n",
        srv.dirty,
        u8::from(srv.rdb.snapshot.is_some()),
        srv.lastsave,
        if srv.rdb.last_bgsave_ok { "ok" } else { "err" },
        srv.rdb.last_bgsave_time_sec,
        srv.rdb.saves,
        srv.rdb.last_cow_size,
    );
}

/// The save before exiting (SHUTDOWN, SIGTERM), as Redis's
/// prepareForShutdown: a background save in progress is abandoned, then the
/// dataset is saved when SAVE is given or save points exist (unless
/// NOSAVE). False when that save failed and FORCE was not given: the
/// server stays up.
pub fn final_save(srv: &mut Server, save: bool, nosave: bool, force: bool) -> bool {
    abort(srv);
    // Half-read data must not overwrite the file it comes from.
    let nosave = nosave || srv.loading.active;
    if srv.aof.on {
        log_notice!("Calling fsync() on the AOF file.");
        srv.aof.flush_and_sync(now_ms());
    }
    if nosave || (!save && save_points(srv).is_empty()) {
        return true;
    }
    log_notice!("Saving the final RDB snapshot before exiting.");
    let temp = super::rdb::sync_temp_path(&super::rdb_path(srv));
    crate::server::final_save_running(&temp, true);
    let saved = super::rdb_save(srv);
    crate::server::final_save_running(&temp, false);
    if saved {
        return true;
    }
    if force {
        log_warning!("Error trying to save the DB. Exit anyway.");
        true
    } else {
        log_warning!("Error trying to save the DB, can't exit.");
        false
    }
}
