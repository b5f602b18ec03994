//! Persistence: the RDB file format (`rdb` writes it, `rdb_load` reads it,
//! `ziplist` decodes the pre-7.0 encodings older files contain).
//!
//! The writer is a set of functions appending to a `Vec<u8>`, so the same code
//! serves SAVE, the snapshot thread, DUMP and DEBUG OBJECT's serializedlength;
//! the reader works on a byte slice and builds values without touching the
//! keyspace until the whole input has proved sound.

pub mod background;
pub mod rdb;
pub mod snapshot;
// LOAD
// ZL

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
