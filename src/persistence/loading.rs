//! Redis's "loading" state: while the dataset is read at start-up (RDB or
//! AOF) or by DEBUG RELOAD, the loaders call `progress` after every key or
//! command. Every `loading-process-events-interval-bytes` of input it hands
//! control to the event loop (`Server::process_events_while_busy`, shared
//! with busy scripts), so clients can connect, run the commands flagged
//! `loading` (INFO, CONFIG, PING, ...) and get `-LOADING` for the others,
//! and a SIGTERM ends the process without saving the half-read data.
//!
//! The loaders build fresh databases and swap them in at the end, so what
//! clients see meanwhile is never a half-loaded keyspace.

use crate::server::Server;

pub const LOADING_ERR: &str = "LOADING Redis is loading the dataset in memory";

/// INFO persistence's `loading_*` figures.
#[derive(Debug, Default, Clone)]
pub struct Loading {
    pub active: bool,
    /// Unix seconds the load began.
    pub start_time: i64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
    /// The `used-mem` AUX field of the file being read.
    pub rdb_used_mem: u64,
    /// Bytes of the files read before the current one (an AOF's base and
    /// incremental files).
    pub file_base: u64,
    /// Interval marks already passed (`loaded_bytes / interval`).
    mark: u64,
    /// `key-load-delay` and `loading-process-events-interval-bytes`, read
    /// at the start and again after each turn of the event loop (a CONFIG
    /// SET may change them meanwhile), not per key.
    delay: i64,
    interval: u64,
}

/// Enter the loading state for `total_bytes` of input.
pub fn begin(srv: &mut Server, total_bytes: u64) {
    srv.loading = Loading {
        active: true,
        start_time: crate::util::time::now_ms() / 1000,
        total_bytes,
        ..Loading::default()
    };
    read_settings(srv);
    srv.rdb_stats.last_load_keys_loaded = 0;
    srv.rdb_stats.last_load_keys_expired = 0;
}

pub fn end(srv: &mut Server) {
    srv.loading.active = false;
}

/// The next file of a multi-file load starts `base` bytes in.
pub fn next_file(srv: &mut Server, base: u64) {
    srv.loading.file_base = base;
}

/// Called by a loader after each key / command, `pos` bytes into the
/// current file: the `key-load-delay` pause (µs per key; a negative value
/// -N sleeps 1 µs with probability 1/N), then the event loop once per
/// interval crossed.
pub fn progress(srv: &mut Server, pos: usize) {
    if !srv.loading.active {
        return;
    }
    let delay = srv.loading.delay;
    if delay != 0 {
        let us = if delay < 0 {
            use rand::RngExt;
            u64::from(rand::rng().random_range(0..delay.unsigned_abs()) == 0)
        } else {
            delay as u64
        };
        if us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(us));
        }
    }
    let interval = srv.loading.interval;
    let loaded = srv.loading.file_base + pos as u64;
    srv.loading.loaded_bytes = loaded;
    if loaded / interval == srv.loading.mark {
        return;
    }
    srv.loading.mark = loaded / interval;
    process_events(srv);
    read_settings(srv);
}

fn read_settings(srv: &mut Server) {
    srv.loading.delay = cfg_i64(srv, "key-load-delay", 0);
    srv.loading.interval =
        cfg_i64(srv, "loading-process-events-interval-bytes", 2 << 20).max(1) as u64;
}

fn cfg_i64(srv: &Server, name: &str, default: i64) -> i64 {
    srv.cfg
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Serve clients once; a shutdown signal received meanwhile exits here
/// (nothing is saved: the dataset is not whole yet).
fn process_events(srv: &mut Server) {
    // The AOF replay's "no expiry while loading" must not apply to the
    // commands other clients run meanwhile.
    let replaying = crate::db::is_loading();
    crate::db::set_loading(false);
    if crate::server::take_shutdown_signal() {
        crate::log_warning!("Received shutdown signal during loading, scheduling shutdown.");
        srv.shutdown_asap = true;
    }
    srv.process_events_while_busy();
    crate::db::set_loading(replaying);
}

/// The `loading_*` lines of INFO persistence (only while loading).
pub fn info_fields(srv: &Server, out: &mut String) {
    use std::fmt::Write;
    let l = &srv.loading;
    if !l.active {
        return;
    }
    let mut perc = 0.0;
    let mut remaining: i64 = 1;
    if l.total_bytes > 0 {
        perc = l.loaded_bytes as f64 / l.total_bytes as f64 * 100.0;
        remaining = l.total_bytes as i64 - l.loaded_bytes as i64;
    } else if l.rdb_used_mem > 0 {
        perc = (l.loaded_bytes as f64 / l.rdb_used_mem as f64 * 100.0).min(99.99);
        remaining = (l.rdb_used_mem as i64 - l.loaded_bytes as i64).max(1);
    }
    let elapsed = crate::util::time::now_ms() / 1000 - l.start_time;
    let eta = if elapsed == 0 {
        1
    } else {
        elapsed * remaining / (l.loaded_bytes as i64 + 1)
    };
    let _ = write!(
        out,
        "loading_start_time:{}\r\nloading_total_bytes:{}\r\nloading_rdb_used_mem:{}\r\n\
         loading_loaded_bytes:{}\r\nloading_loaded_perc:{perc:.2}\r\nloading_eta_seconds:{eta}\r\n",
        l.start_time, l.total_bytes, l.rdb_used_mem, l.loaded_bytes
    );
}
