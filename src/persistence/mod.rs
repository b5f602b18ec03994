//! Persistence: the RDB file format (`rdb` writes it, `rdb_load` reads it,
//! `ziplist` decodes the pre-7.0 encodings older files contain).
//!
//! The writer is a set of functions appending to a `Vec<u8>`, so the same code
//! serves SAVE, the snapshot thread, DUMP and DEBUG OBJECT's serializedlength;
//! the reader works on a byte slice and builds values without touching the
//! keyspace until the whole input has proved sound.

pub mod aof;
pub mod aof_load;
pub mod aof_rewrite;
pub mod background;
pub mod bio;
pub mod loading;
pub mod rdb;
pub mod rdb_load;
pub mod rdb_stream;
pub mod repl_info;
pub mod snapshot;
pub mod ziplist;

/// RDB format version we write (Redis 7.0).
pub const RDB_VERSION: u16 = 10;

/// Opcodes and type bytes of the RDB format (`rdb.h`).
pub mod op {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// Value type bytes.
pub mod ty {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// INFO persistence counters of the last load.
#[derive(Debug, Default, Clone)]
pub struct RdbStats {
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
}

/// The RDB file of the configuration (`dbfilename`, relative to `dir`,
/// which is the working directory).
pub fn rdb_path(server: &crate::server::Server) -> std::path::PathBuf {
    std::path::PathBuf::from(server.cfg.get("dbfilename").unwrap_or("dump.rdb"))
}

/// A foreground save to `dbfilename` (SAVE, DEBUG RELOAD, SHUTDOWN): logs
/// as Redis does and, on success, resets `dirty` and stamps `lastsave`.
pub fn rdb_save(server: &mut crate::server::Server) -> bool {
    let path = rdb_path(server);
    match rdb::save_sync(server, &path) {
        Ok(()) => {
            crate::log_notice!("DB saved on disk");
            server.rdb.saves += 1;
            server.dirty = 0;
            server.lastsave = crate::util::time::now_ms() / 1000;
            true
        }
        Err(e) => {
            let cwd = std::env::current_dir()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            crate::log_warning!(
                "Failed saving the DB (in server root dir {cwd}): {}",
                crate::net::listener::strip_os_error(&e)
            );
            false
        }
    }
}

/// Read and parse `path` into fresh databases, logging as Redis's rdbLoad
/// does; clients are served meanwhile (the caller is in the loading
/// state). `Ok(None)`: there is no file.
fn read_rdb(
    server: &mut crate::server::Server,
    path: &std::path::Path,
) -> Result<Option<(Vec<crate::db::Db>, rdb_load::FileInfo)>, String> {
    let buf = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "Fatal error loading the DB: {}. Exiting.",
                crate::net::listener::strip_os_error(&e)
            ));
        }
    };
    let opts = rdb_load::LoadOpts::from_server(server);
    let checksum = server.cfg.get("rdbchecksum") != Some("no");
    let now = crate::util::time::now_ms();
    let ndbs = server.dbs.len();
    server.loading.total_bytes = buf.len() as u64;
    let loaded = rdb_load::load_file_with(&buf, ndbs, &opts, now, checksum, &mut |pos, info| {
        server.loading.rdb_used_mem = info.used_mem;
        loading::progress(server, pos);
    });
    match loaded {
        Ok((dbs, info)) => {
            log_aux(&info, now);
            if info.empty_skipped > 0 {
                crate::log_warning!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
                    info.keys_loaded,
                    info.expired_skipped,
                    info.empty_skipped
                );
            } else {
                crate::log_notice!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    info.keys_loaded,
                    info.expired_skipped
                );
            }
            Ok(Some((dbs, info)))
        }
        Err(rdb_load::LoadError::Corrupt(m)) => {
            let line =
                format!("Internal error in RDB reading offset 0, function at rdb.c:0 -> {m}");
            // Redis then runs its RDB checker on the file, which reports the
            // problem again in redis-check-rdb's format.
            crate::log::write_raw(&format!(
                "[offset 0] Checking RDB file {}\n--- RDB ERROR DETECTED ---\n[offset 0] {line}\n",
                path.display()
            ));
            Err(line)
        }
        Err(e) => Err(format!("Fatal error loading the DB: {e}. Exiting.")),
    }
}

/// Install the function libraries of a loaded file; `replace` lets one
/// take the place of a library of the same name (DEBUG RELOAD MERGE).
pub fn load_functions(
    server: &mut crate::server::Server,
    codes: &[Vec<u8>],
    replace: bool,
) -> Result<(), String> {
    for code in codes {
        server
            .scripting
            .functions
            .load(&bytes::Bytes::copy_from_slice(code), replace)
            .map_err(|e| format!("Failed loading library, {e}"))?;
    }
    Ok(())
}

fn note_load(server: &mut crate::server::Server, info: &rdb_load::FileInfo) {
    server.rdb_stats.last_load_keys_loaded = info.keys_loaded;
    server.rdb_stats.last_load_keys_expired = info.expired_skipped;
}

/// The notice lines Redis prints from a file's AUX fields.
fn log_aux(info: &rdb_load::FileInfo, now_ms: i64) {
    for (k, v) in &info.aux {
        let v = String::from_utf8_lossy(v);
        match k.as_slice() {
            b"redis-ver" => crate::log_notice!("Loading RDB produced by version {v}"),
            b"ctime" => {
                let age = now_ms / 1000 - v.parse::<i64>().unwrap_or(0);
                crate::log_notice!("RDB age {} seconds", age.max(0));
            }
            b"used-mem" => {
                let mb = v.parse::<f64>().unwrap_or(0.0) / (1024.0 * 1024.0);
                crate::log_notice!("RDB memory usage when created {mb:.2} Mb");
            }
            _ => {}
        }
    }
}

/// Load `dbfilename` at start-up. An error is already a log line; the
/// caller exits with status 1.
pub fn load_at_start(server: &mut crate::server::Server) -> Result<(), String> {
    server.aof.refresh_config(&server.cfg);
    if server.cfg.get("appendonly") == Some("yes") {
        // The AOF has every write: it is preferred to the RDB, as in Redis.
        return aof_load::load_at_start(server);
    }
    let start = std::time::Instant::now();
    let path = rdb_path(server);
    loading::begin(server, 0);
    let loaded = read_rdb(server, &path);
    loading::end(server);
    if let Some((dbs, info)) = loaded? {
        load_functions(server, &info.functions, false)?;
        server.dbs = dbs;
        note_load(server, &info);
        repl_info::restore_at_start(server, &info);
        crate::log_notice!(
            "DB loaded from disk: {:.3} seconds",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// DEBUG RELOAD's load: replace (or, with `merge`, add to) the dataset
/// from `dbfilename`. Nothing changes unless the whole file is sound.
pub fn reload(server: &mut crate::server::Server, flush: bool, merge: bool) -> Result<(), String> {
    // The dicts are about to be replaced wholesale: a snapshot walking them
    // cannot go on.
    background::abort(server);
    let path = rdb_path(server);
    loading::begin(server, 0);
    let loaded = read_rdb(server, &path);
    loading::end(server);
    let loaded = loaded?;
    if flush {
        for id in 0..server.dbs.len() {
            server.touch_all_watched_in_db(id, None);
            server.dbs[id].clear();
        }
        server.scripting.functions.flush();
    }
    let Some((dbs, info)) = loaded else {
        return Err(format!("Can't open {}: no such file", path.display()));
    };
    note_load(server, &info);
    load_functions(server, &info.functions, merge)?;
    for (id, mut db) in dbs.into_iter().enumerate() {
        if server.dbs[id].is_empty() {
            std::mem::swap(&mut server.dbs[id].keys, &mut db.keys);
            std::mem::swap(&mut server.dbs[id].expires, &mut db.expires);
            continue;
        }
        for (k, o) in db.keys.drain() {
            let exp = db.expires.get(k.as_bytes()).copied();
            let target = &mut server.dbs[id];
            if target.keys.contains_key(k.as_bytes()) {
                if !merge {
                    return Err(format!(
                        "Duplicate key '{}' found in RDB file",
                        String::from_utf8_lossy(&k)
                    ));
                }
                target.remove(k.as_bytes());
            }
            target.insert_obj(k.as_bytes(), o);
            if let Some(e) = exp {
                target.set_expire(k.as_bytes(), e);
            }
        }
    }
    Ok(())
}
