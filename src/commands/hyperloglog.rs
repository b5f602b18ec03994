//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
//!
//! A HLL is an ordinary string value in Redis's byte format
//! (`types/hll.rs`); these handlers check that a string is one, take its
//! bytes out, work on them and put them back as a `raw` string (Redis
//! unshares the value before touching it). As in Redis, PFCOUNT of one key
//! stores the estimate in the header when the cached one is stale, and that
//! counts as a change (dirty, propagated) so replicas keep the same bytes.

use bytes::Bytes;

use super::strings::take_bytes;
use super::{Handler, WRONGTYPE};
use crate::db::new_stamp;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::hll::{self, REGISTERS};
use crate::types::{Obj, SmallBytes, Value};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("pfadd", pfadd),
    ("pfcount", pfcount),
    ("pfmerge", pfmerge),
    ("pfdebug", pfdebug),
    ("pfselftest", pfselftest),
];

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

/// The key's HLL bytes for reading: `Ok(None)` when missing, `Err(())`
/// after answering WRONGTYPE (not a string, or not a HLL string).
fn read_hll(srv: &mut Server, c: &mut Client, key: &[u8]) -> Result<Option<Vec<u8>>, ()> {
    let now = srv.now_ms;
    match srv.dbs[c.db].lookup_read(key, now) {
        None => Ok(None),
        Some(o) if !o.v.is_string() => {
            c.reply.err_code(WRONGTYPE);
            Err(())
        }
        Some(o) => {
            let s = o.v.string_bytes();
            if hll::is_valid(&s) {
                Ok(Some(s.into_owned()))
            } else {
                c.reply.err_code(NOT_HLL);
                Err(())
            }
        }
    }
}

/// Check the looked-up value is a HLL string and take its bytes out for
/// modification (answering WRONGTYPE otherwise).
fn take_hll(c: &mut Client, o: &mut Obj) -> Option<Vec<u8>> {
    if !o.v.is_string() {
        c.reply.err_code(WRONGTYPE);
        return None;
    }
    if !hll::is_valid(&o.v.string_bytes()) {
        c.reply.err_code(NOT_HLL);
        return None;
    }
    Some(take_bytes(&mut o.v))
}

/// Put HLL bytes back under `key` (which exists) as a raw string.
fn put_back(srv: &mut Server, db: usize, key: &[u8], bytes: Vec<u8>) {
    let o = srv.dbs[db].get_mut(key).expect("key looked up");
    o.set_value(Value::Str(SmallBytes::from_vec(bytes)), true);
}

/// Store a new HLL under `key`, announcing the key.
fn create(srv: &mut Server, c: &mut Client, key: &[u8], bytes: Vec<u8>) {
    let mut o = Obj::new(Value::Int(0), new_stamp(srv.now_ms));
    o.set_value(Value::Str(SmallBytes::from_vec(bytes)), true);
    srv.dbs[c.db].insert_obj(key, o);
    srv.notify(c, notify::NEW, "new", key, c.db);
}

/// PFADD key [element ...]
fn pfadd(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let key = &argv[1];
    let (mut s, existed) = match srv.dbs[c.db].lookup(key, now) {
        Some(o) => match take_hll(c, o) {
            Some(s) => (s, true),
            None => return,
        },
        None => (hll::new_sparse(), false),
    };
    let mut updated = u64::from(!existed);
    let max = srv.cfg.hll_sparse_max_bytes;
    let mut corrupt = false;
    for ele in &argv[2..] {
        match hll::add(&mut s, ele, max) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(hll::Corrupt) => {
                corrupt = true;
                break;
            }
        }
    }
    if updated > 0 && !corrupt {
        hll::invalidate_cache(&mut s);
    }
    if existed {
        put_back(srv, c.db, key, s);
    } else {
        create(srv, c, key, s);
    }
    if corrupt {
        c.reply.err_code(CORRUPT);
        return;
    }
    if updated > 0 {
        srv.signal_modified_key(c.db, key);
        srv.notify(c, notify::STRING, "pfadd", key, c.db);
        srv.dirty += updated;
    }
    c.reply.int((updated > 0) as i64);
}

/// PFCOUNT key [key ...]
fn pfcount(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 2 {
        // The union of several HLLs, leaving them untouched.
        let mut max = vec![0u8; REGISTERS];
        for key in &argv[1..] {
            let Ok(s) = read_hll(srv, c, key) else {
                return;
            };
            if let Some(s) = s
                && hll::merge_into(&mut max, &s).is_err()
            {
                c.reply.err_code(CORRUPT);
                return;
            }
        }
        c.reply.int(hll::count_registers(&max) as i64);
        return;
    }
    let now = srv.now_ms;
    let key = &argv[1];
    let Some(o) = srv.dbs[c.db].lookup_read(key, now) else {
        c.reply.int(0);
        return;
    };
    let Some(mut s) = take_hll(c, o) else {
        return;
    };
    let (card, recomputed) = match hll::cached_card(&s) {
        Some(card) => (Ok(card), false),
        None => (hll::count(&s), true),
    };
    if let (Ok(card), true) = (card, recomputed) {
        hll::set_cached_card(&mut s, card);
    }
    put_back(srv, c.db, key, s);
    match card {
        Err(hll::Corrupt) => c.reply.err_code(CORRUPT),
        Ok(card) => {
            if recomputed {
                // The header changed: replicas and the AOF get it too.
                srv.signal_modified_key(c.db, key);
                srv.dirty += 1;
            }
            c.reply.int(card as i64);
        }
    }
}

/// PFMERGE destkey [sourcekey ...]
fn pfmerge(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut max = vec![0u8; REGISTERS];
    let mut use_dense = false;
    for key in &argv[1..] {
        let Ok(s) = read_hll(srv, c, key) else {
            return;
        };
        if let Some(s) = s {
            use_dense |= !hll::is_sparse(&s);
            if hll::merge_into(&mut max, &s).is_err() {
                c.reply.err_code(CORRUPT);
                return;
            }
        }
    }
    let now = srv.now_ms;
    let key = &argv[1];
    let (mut s, existed) = match srv.dbs[c.db].lookup(key, now) {
        // Checked while merging: it is a HLL.
        Some(o) => (take_bytes(&mut o.v), true),
        None => (hll::new_sparse(), false),
    };
    let mut corrupt = use_dense && hll::to_dense(&mut s).is_err();
    if !corrupt {
        let limit = srv.cfg.hll_sparse_max_bytes;
        for (i, &m) in max.iter().enumerate() {
            if m > 0 && hll::raise(&mut s, i, m, limit).is_err() {
                corrupt = true;
                break;
            }
        }
    }
    if !corrupt {
        hll::invalidate_cache(&mut s);
    }
    if existed {
        put_back(srv, c.db, key, s);
    } else {
        create(srv, c, key, s);
    }
    if corrupt {
        c.reply.err_code(CORRUPT);
        return;
    }
    srv.signal_modified_key(c.db, key);
    // A merge is announced as a mass add, as Redis does.
    srv.notify(c, notify::STRING, "pfadd", key, c.db);
    srv.dirty += 1;
    c.reply.ok();
}

/// PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key
fn pfdebug(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let key = &argv[2];
    let Some(o) = srv.dbs[c.db].lookup(key, now) else {
        c.reply.err("The specified key does not exist");
        return;
    };
    let Some(mut s) = take_hll(c, o) else {
        return;
    };
    let sub = String::from_utf8_lossy(&argv[1]).into_owned();
    let known = ["getreg", "decode", "encoding", "todense"];
    if known.iter().any(|k| super::is(&argv[1], k)) && argv.len() != 3 {
        put_back(srv, c.db, key, s);
        c.reply.err(&format!(
            "Wrong number of arguments for the '{sub}' subcommand"
        ));
        return;
    }
    if super::is(&argv[1], "getreg") || super::is(&argv[1], "todense") {
        let converted = hll::to_dense(&mut s);
        put_back(srv, c.db, key, s.clone());
        let Ok(converted) = converted else {
            c.reply.err_code(CORRUPT);
            return;
        };
        if converted {
            // The encoding changed: propagate it.
            srv.dirty += 1;
        }
        if super::is(&argv[1], "todense") {
            c.reply.int(converted as i64);
        } else {
            let regs = hll::registers(&s);
            c.reply.array_len(regs.len());
            for r in regs {
                c.reply.int(r as i64);
            }
        }
        return;
    }
    let sparse = hll::is_sparse(&s);
    let text = sparse.then(|| hll::decode(&s));
    put_back(srv, c.db, key, s);
    if super::is(&argv[1], "decode") {
        match text {
            Some(t) => c.reply.bulk(t.as_bytes()),
            None => c.reply.err("HLL encoding is not sparse"),
        }
    } else if super::is(&argv[1], "encoding") {
        c.reply.simple(if sparse { "sparse" } else { "dense" });
    } else {
        c.reply.err(&format!("Unknown PFDEBUG subcommand '{sub}'"));
    }
}

/// PFSELFTEST
fn pfselftest(srv: &mut Server, c: &mut Client, _argv: &[Bytes]) {
    match hll::selftest(srv.cfg.hll_sparse_max_bytes) {
        Ok(()) => c.reply.ok(),
        Err(e) => c.reply.err(&e),
    }
}
