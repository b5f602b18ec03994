//! BGSAVE's life in the server: starting a snapshot, stepping it from the
//! event loop, finishing it (`lastsave`, `dirty`, INFO's `rdb_*` fields),
//! save points (`save 3600 1 300 100 …`), BGSAVE SCHEDULE, and the MISCONF
//! refusal of writes after a failed background save
//! (`stop-writes-on-bgsave-error`), as Redis's serverCron and
//! backgroundSaveDoneHandler do. The snapshot itself is `snapshot.rs`.

use super::snapshot::{self, Outcome, Snapshot};
use crate::server::Server;
use crate::util::time::{mono_us, now_ms};
use crate::{log_notice, log_warning};

/// Seconds to wait before retrying a failed background save from a save
/// point (Redis's CONFIG_BGSAVE_RETRY_DELAY).
const RETRY_DELAY_S: i64 = 5;

pub const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Background-save state of the server (`Server::rdb`).
pub struct RdbState {
    pub snapshot: Option<Snapshot>,
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
    let opts = snapshot::Start {
        path: &path,
        compress: srv.cfg.get("rdbcompression") != Some("no"),
        checksum: srv.cfg.get("rdbchecksum") != Some("no"),
        incremental_fsync: srv.cfg.get("rdb-save-incremental-fsync") != Some("no"),
        key_delay_us: srv
            .cfg
            .get("rdb-key-save-delay")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    };
    match snapshot::start(srv, &opts) {
        Ok(s) => {
            log_notice!("Background saving started");
            srv.rdb.snapshot = Some(s);
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
    srv.rdb.last_bgsave_time_sec = ((mono_us() - s.start_mono_us) / 1_000_000) as i64;
    srv.rdb.last_cow_size = cow;
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
    for db in &mut srv.dbs {
        db.snap = None;
    }
}

/// The loop must not sleep: a snapshot is being walked or awaited.
pub fn busy(srv: &Server) -> bool {
    srv.rdb.snapshot.is_some()
}

/// Abandon a background save (FLUSHALL, shutdown); its temp file goes.
pub fn abort(srv: &mut Server) {
    if let Some(s) = srv.rdb.snapshot.take() {
        log_warning!("Background saving aborted");
        s.abort(&mut srv.dbs);
    }
}

/// serverCron's part: start a scheduled BGSAVE, or one a save point calls
/// for.
pub fn cron(srv: &mut Server) {
    if srv.rdb.snapshot.is_some() {
        return;
    }
    if srv.rdb.scheduled {
        srv.rdb.scheduled = false;
        let _ = bgsave(srv);
        return;
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
pub fn writes_denied(srv: &Server) -> bool {
    !srv.rdb.last_bgsave_ok
        && srv.cfg.get("stop-writes-on-bgsave-error") != Some("no")
        && !save_points(srv).is_empty()
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
    if nosave || (!save && save_points(srv).is_empty()) {
        return true;
    }
    log_notice!("Saving the final RDB snapshot before exiting.");
    if super::rdb_save(srv) {
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
