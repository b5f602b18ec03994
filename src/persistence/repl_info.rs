//! The replication AUX fields of an RDB (`repl-stream-db`, `repl-id`,
//! `repl-offset`). They are written when this server is part of a
//! replication chain — a master with a backlog, or a replica with a master
//! link or a history worth continuing — as Redis's rdbPopulateSaveInfo, and
//! read back at start-up (RDB, not AOF), so a restarted master lets its
//! replicas continue by partial resync and a restarted replica asks its
//! master for one.

use super::rdb_load::FileInfo;
use crate::server::Server;

/// The fields to write, in Redis's order (before `aof-base`).
pub fn aux(srv: &Server) -> Vec<(&'static str, Vec<u8>)> {
    let db = if srv.master_link.is_none() {
        crate::replication::master_stream_db(srv)
    } else {
        crate::replica::stream_db(srv)
    };
    let Some(db) = db else {
        return Vec::new();
    };
    vec![
        ("repl-stream-db", db.to_string().into_bytes()),
        ("repl-id", srv.replicas.replid.clone().into_bytes()),
        ("repl-offset", srv.replicas.offset.to_string().into_bytes()),
    ]
}

/// The history a file names: (replid, offset, stream db), when all three
/// fields are there and sound.
fn saved_history(info: &FileInfo) -> Option<(String, i64, usize)> {
    let field = |name: &[u8]| {
        info.aux
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let id = field(b"repl-id").filter(|id| id.len() == 40)?;
    let offset: i64 = field(b"repl-offset")?.trim().parse().ok()?;
    let db: i64 = field(b"repl-stream-db")?.trim().parse().ok()?;
    if offset == -1 || db < 0 {
        return None;
    }
    Some((id, offset, db as usize))
}

/// After the start-up load of `info`'s file: take its history back. A
/// replica (`replicaof` configured) continues it as its own; a master
/// keeps it as its previous history and starts a backlog there holding
/// the deletions of the keys that expired while it was down.
pub fn restore_at_start(srv: &mut Server, info: &FileInfo) {
    let Some((id, offset, db)) = saved_history(info) else {
        return;
    };
    let replica = srv.cfg.get("replicaof").is_some_and(|v| !v.is_empty());
    if replica {
        crate::replication::restore_as_replica(srv, &id, offset, db);
    } else {
        crate::replication::restore_as_master(srv, &id, offset, &info.expired_keys);
    }
}
