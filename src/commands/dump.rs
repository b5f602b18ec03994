//! DUMP and RESTORE: a value serialized in the RDB format, followed by the
//! RDB version (2 bytes) and a CRC-64 of everything before (8 bytes), as
//! Redis's createDumpPayload / verifyDumpPayload.
//!
//! RESTORE accepts every encoding the RDB reader knows, so payloads DUMPed
//! by older Redis versions (ziplist, zipmap, …) restore too. The payload is
//! untrusted: the reader checks every length and deep-validates compact
//! blobs whatever `sanitize-dump-payload` says (our encodings rely on their
//! structure), so a corrupt payload is refused with "Bad data format" and
//! can neither crash nor hang the server.

use bytes::Bytes;

use super::{Handler, SYNTAX_ERR, arg_i64, is};
use crate::log_warning;
use crate::net::Client;
use crate::notify;
use crate::persistence::{rdb, rdb_load};
use crate::server::Server;
use crate::types::Obj;

pub const COMMANDS: &[(&str, Handler)] = &[("dump", dump), ("restore", restore)];

const BUSYKEY: &str = "BUSYKEY Target key name already exists.";

fn dump(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let compress = srv.cfg.get("rdbcompression") != Some("no");
    match srv.dbs[c.db].lookup_read(&argv[1], now) {
        Some(o) => c.reply.bulk(&rdb::dump_payload(&o.v, compress)),
        None => c.reply.null(),
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]
fn restore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if is(&argv[j], "replace") {
            replace = true;
        } else if is(&argv[j], "absttl") {
            absttl = true;
        } else if is(&argv[j], "idletime") && more && freq.is_none() {
            let Some(n) = arg_i64(c, &argv[j + 1]) else {
                return;
            };
            if n < 0 {
                c.reply.err("Invalid IDLETIME value, must be >= 0");
                return;
            }
            idle = Some(n);
            j += 1;
        } else if is(&argv[j], "freq") && more && idle.is_none() {
            let Some(n) = arg_i64(c, &argv[j + 1]) else {
                return;
            };
            if !(0..=255).contains(&n) {
                c.reply.err("Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            freq = Some(n);
            j += 1;
        } else {
            c.reply.err(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    let key = &argv[1][..];
    let now = srv.now_ms;
    if !replace && srv.dbs[c.db].lookup(key, now).is_some() {
        c.reply.err_code(BUSYKEY);
        return;
    }
    let Some(mut ttl) = arg_i64(c, &argv[2]) else {
        return;
    };
    if ttl < 0 {
        c.reply.err("Invalid TTL value, must be >= 0");
        return;
    }
    let payload = &argv[3][..];
    if !rdb_load::verify_dump_payload(payload) {
        c.reply.err("DUMP payload version or checksum are wrong");
        return;
    }
    let opts = rdb_load::LoadOpts::from_server(srv);
    let v = match rdb_load::read_dump_value(payload, &opts) {
        Ok(v) => v,
        Err(e) => {
            if let rdb_load::LoadError::Corrupt(m) = e {
                log_warning!("Internal error in RDB reading offset 0, function at rdb.c:0 -> {m}");
            }
            c.reply.err("Bad data format");
            return;
        }
    };
    let db = &mut srv.dbs[c.db];
    let deleted = replace && db.lookup(key, now).is_some() && db.delete(key);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    if ttl != 0 && ttl <= now {
        // Already expired: the key is gone (or never created).
        if deleted {
            srv.prop.rewrite(crate::propagate::del_for(
                &srv.cfg,
                "lazyfree-lazy-server-del",
                key,
            ));
            srv.dirty += 1;
            srv.signal_modified_key(c.db, key);
            srv.notify(c, notify::GENERIC, "del", key, c.db);
        }
        c.reply.ok();
        return;
    }
    let mut o = Obj::new(v, crate::db::new_stamp(now));
    if let Some(f) = freq
        && crate::db::lfu_mode()
    {
        o.touch((((now / 60_000) as u32 & 0xffff) << 8) | f as u32);
    }
    if let Some(i) = idle
        && !crate::db::lfu_mode()
    {
        let clock = crate::db::lru_clock(now);
        o.touch(clock.wrapping_sub((i as u64 % (1 << 24)) as u32));
    }
    let db = &mut srv.dbs[c.db];
    db.insert_obj(key, o);
    if ttl != 0 {
        db.set_expire(key, ttl);
    }
    if ttl != 0 && !absttl {
        // Propagated with the absolute expire time, as Redis does.
        let mut prop = argv.to_vec();
        prop[2] = crate::propagate::int_arg(ttl);
        prop.push(crate::propagate::arg("ABSTTL"));
        srv.prop.rewrite(prop);
    }
    srv.signal_modified_key(c.db, key);
    srv.notify(c, notify::GENERIC, "restore", key, c.db);
    crate::blocking::signal_key_ready(srv, c.db, key);
    srv.dirty += 1;
    c.reply.ok();
}
