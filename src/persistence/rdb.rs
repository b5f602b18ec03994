//! The RDB writer: Redis 7.0's format, version 10, byte for byte what
//! `redis-server` would write for the same data.
//!
//! Every function appends to a `Vec<u8>`, so the pieces compose: `save_sync`
//! (SAVE, DEBUG RELOAD) streams a whole file through them, the snapshot
//! thread calls `write_header` / `write_select_db` / `write_entry` /
//! `write_eof` itself and keeps a running `crc64`, DUMP uses `write_value`,
//! and DEBUG OBJECT measures `write_value`'s output.
//!
//! Encodings: strings are integer-encoded when they are canonical numbers of
//! up to 11 characters and LZF-compressed when `rdbcompression` is on, they
//! are longer than 20 bytes and compression saves at least 4 bytes (Redis's
//! rules, so serializedlength matches). Small hashes, sorted sets (listpack)
//! and integer sets (intset) are our in-memory bytes copied as they are;
//! lists are written as quicklist-2 listpack nodes of at most 8 KB, rebuilt
//! from the elements, so this file does not depend on how `types/list.rs`
//! lays out its nodes; large hashes, sets and sorted sets element by element
//! (sorted sets from the highest score down with binary doubles, as Redis).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

use super::{RDB_VERSION, op, ty};
use crate::encoding::listpack::LpValue;
use crate::types::hash::Hash;
use crate::types::set::{Member, Set};
use crate::types::value::{Obj, Value};
use crate::types::zset::ZSet;

/// Options of one save.
#[derive(Clone, Copy, Debug)]
pub struct WriteOpts {
    /// `rdbcompression`: LZF for strings longer than 20 bytes.
    pub compress: bool,
    /// Wall clock of the save (ms), for LRU idle times and LFU decay.
    pub now_ms: i64,
}

/// Which access metadata goes with each key (`maxmemory-policy`): Redis
/// writes an IDLE opcode under `*-lru` policies and a FREQ opcode under
/// `*-lfu` ones. Kept here because `WriteOpts` is built by the snapshot
/// code without a server at hand; `aux_fields` and `save_sync` refresh it.
static ACCESS_META: AtomicU8 = AtomicU8::new(0);
const META_LRU: u8 = 1;
const META_LFU: u8 = 2;

/// Refresh the access-metadata mode from the server's `maxmemory-policy`.
pub fn note_policy(server: &crate::server::Server) {
    let p = server.cfg.get("maxmemory-policy").unwrap_or("");
    let m = if p.ends_with("-lru") {
        META_LRU
    } else if p.ends_with("-lfu") {
        META_LFU
    } else {
        0
    };
    ACCESS_META.store(m, Ordering::Relaxed);
}

// ---------------------------------------------------------------------------
// CRC-64 (Jones polynomial, reflected, as Redis's crc64.c)

const CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

/// Continue a Redis CRC-64 over `bytes`; start with 0.
pub fn crc64(crc: u64, bytes: &[u8]) -> u64 {
    // The crate reflects a custom initial value; pre-reflect ours so the
    // running register continues where the last chunk stopped.
    let mut d = CRC64.digest_with_initial(crc.reverse_bits());
    d.update(bytes);
    d.finalize()
}

// ---------------------------------------------------------------------------
// Primitives

/// A length (rdbSaveLen): 6, 14, 32 or 64 bits, big-endian.
pub fn write_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// An integer that fits 32 bits in the special int encodings.
fn write_int_encoded(out: &mut Vec<u8>, n: i64) -> bool {
    if let Ok(v) = i8::try_from(n) {
        out.extend_from_slice(&[0xC0, v as u8]);
    } else if let Ok(v) = i16::try_from(n) {
        out.push(0xC1);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(n) {
        out.push(0xC2);
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// LZF of `s` when it saves at least 4 bytes (Redis gives liblzf an output
/// buffer of len - 4), else None.
fn lzf_compress(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() <= 4 {
        return None;
    }
    match lzf::compress(s) {
        Ok(c) if c.len() <= s.len() - 4 && !c.is_empty() => Some(c),
        _ => None,
    }
}

/// A string (rdbSaveRawString): int-encoded when it is a canonical integer
/// of at most 11 characters, LZF when allowed and worth it, else plain.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11
        && let Some(n) = crate::util::num::parse_i64(s)
        && write_int_encoded(out, n)
    {
        return;
    }
    if compress
        && s.len() > 20
        && let Some(c) = lzf_compress(s)
    {
        out.push(0xC3);
        write_len(out, c.len() as u64);
        write_len(out, s.len() as u64);
        out.extend_from_slice(&c);
        return;
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// An integer string value (rdbSaveLongLongAsStringObject).
fn write_i64_string(out: &mut Vec<u8>, n: i64) {
    if !write_int_encoded(out, n) {
        let b = crate::util::num::i64_to_bytes(n);
        write_len(out, b.len() as u64);
        out.extend_from_slice(&b);
    }
}

fn write_lp_value(out: &mut Vec<u8>, v: LpValue<'_>, compress: bool) {
    match v {
        LpValue::Int(n) => write_i64_string(out, n),
        LpValue::Str(s) => write_string(out, s, compress),
    }
}

// ---------------------------------------------------------------------------
// File structure

/// Magic and version, then the AUX fields in order.
pub fn write_header(out: &mut Vec<u8>, aux: &[(&str, Vec<u8>)]) {
    out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    for (k, v) in aux {
        out.push(op::AUX);
        write_string(out, k.as_bytes(), false);
        write_string(out, v, false);
    }
}

/// The AUX fields redis-server writes (the repl-* ones only in a
/// replication chain, see `repl_info`).
pub fn aux_fields(server: &crate::server::Server, aof_base: bool) -> Vec<(&'static str, Vec<u8>)> {
    note_policy(server);
    let ctime = server.now_ms.max(crate::util::time::now_ms()) / 1000;
    let mut fields = vec![
        ("redis-ver", crate::REDIS_VERSION.as_bytes().to_vec()),
        ("redis-bits", b"64".to_vec()),
        ("ctime", ctime.to_string().into_bytes()),
        (
            "used-mem",
            crate::alloc::used_memory().to_string().into_bytes(),
        ),
    ];
    fields.extend(super::repl_info::aux(server));
    fields.push(("aof-base", if aof_base { b"1" } else { b"0" }.to_vec()));
    fields
}

/// Every function library as a FUNCTION2 record holding its code; they go
/// after the AUX fields, before the databases (rdbSaveFunctions).
pub fn write_functions(out: &mut Vec<u8>, server: &crate::server::Server, compress: bool) {
    for lib in server.scripting.functions.libs.values() {
        out.push(op::FUNCTION2);
        write_string(out, &lib.code, compress);
    }
}

/// SELECTDB and RESIZEDB for a database about to be written.
pub fn write_select_db(out: &mut Vec<u8>, db: usize, keys: u64, expires: u64) {
    out.push(op::SELECTDB);
    write_len(out, db as u64);
    out.push(op::RESIZEDB);
    write_len(out, keys);
    write_len(out, expires);
}

/// One key: expire, access metadata per policy, type, key, value.
pub fn write_entry(
    out: &mut Vec<u8>,
    key: &[u8],
    obj: &Obj,
    expire_ms: Option<i64>,
    opts: &WriteOpts,
) {
    if let Some(t) = expire_ms {
        out.push(op::EXPIRETIME_MS);
        out.extend_from_slice(&t.to_le_bytes());
    }
    match ACCESS_META.load(Ordering::Relaxed) {
        META_LRU => {
            out.push(op::IDLE);
            write_len(out, crate::db::idle_seconds(obj.clock(), opts.now_ms));
        }
        META_LFU => {
            out.push(op::FREQ);
            out.push(crate::db::lfu_freq(obj, opts.now_ms).min(255) as u8);
        }
        _ => {}
    }
    out.push(type_byte(&obj.v));
    write_string(out, key, opts.compress);
    write_value(out, &obj.v, opts.compress);
}

/// End of file: the opcode only; the caller appends the 8-byte CRC.
pub fn write_eof(out: &mut Vec<u8>) {
    out.push(op::EOF);
}

// ---------------------------------------------------------------------------
// Values

/// The RDB type byte a value is written with.
pub fn type_byte(v: &Value) -> u8 {
    match v {
        Value::Int(_) | Value::Str(_) => ty::STRING,
        Value::List(_) => ty::LIST_QUICKLIST_2,
        Value::Hash(h) => match **h {
            Hash::Listpack(_) => ty::HASH_LISTPACK,
            Hash::Table(_) => ty::HASH,
        },
        Value::Set(s) => match **s {
            Set::Intset(_) => ty::SET_INTSET,
            Set::Table(_) => ty::SET,
        },
        Value::ZSet(z) => match **z {
            ZSet::Listpack(_) => ty::ZSET_LISTPACK,
            ZSet::Skiplist(_) => ty::ZSET_2,
        },
        Value::Stream(_) => ty::STREAM_LISTPACKS_2,
    }
}

/// quicklist node containers: one plain element, or a listpack.
const QUICKLIST_PLAIN: u64 = 1;
const QUICKLIST_PACKED: u64 = 2;

/// The value body (rdbSaveObject), without the type byte.
pub fn write_value(out: &mut Vec<u8>, v: &Value, compress: bool) {
    match v {
        Value::Int(n) => write_i64_string(out, *n),
        Value::Str(s) => write_string(out, s.as_bytes(), compress),
        Value::List(l) => {
            // The quicklist's own nodes, as Redis writes them: packed
            // listpacks and plain elements as strings, nodes kept
            // compressed in memory as their LZF bytes.
            write_len(out, l.node_count() as u64);
            for n in l.nodes() {
                write_len(
                    out,
                    if n.is_plain() {
                        QUICKLIST_PLAIN
                    } else {
                        QUICKLIST_PACKED
                    },
                );
                match (n.lzf(), n.raw()) {
                    (Some(c), _) => {
                        out.push(0xC3);
                        write_len(out, c.len() as u64);
                        write_len(out, n.sz() as u64);
                        out.extend_from_slice(c);
                    }
                    (None, Some(raw)) => write_string(out, raw, compress),
                    (None, None) => write_string(out, &[], compress),
                }
            }
        }
        Value::Hash(h) => match &**h {
            Hash::Listpack(lp) => write_string(out, lp.as_bytes(), compress),
            Hash::Table(d) => {
                write_len(out, d.len() as u64);
                for (f, v) in d.iter() {
                    write_string(out, f.as_bytes(), compress);
                    write_string(out, v.as_bytes(), compress);
                }
            }
        },
        Value::Set(s) => match &**s {
            Set::Intset(is) => write_string(out, is.as_bytes(), compress),
            Set::Table(_) => {
                write_len(out, s.len() as u64);
                for m in s.iter() {
                    match m {
                        Member::Int(n) => write_i64_string(out, n),
                        Member::Bytes(b) => write_string(out, b, compress),
                    }
                }
            }
        },
        Value::ZSet(z) => match &**z {
            ZSet::Listpack(lp) => write_string(out, lp.as_bytes(), compress),
            ZSet::Skiplist(_) => {
                let all = z.all();
                write_len(out, all.len() as u64);
                for (m, sc) in all.iter().rev() {
                    write_lp_value(out, LpValue::Str(m), compress);
                    out.extend_from_slice(&sc.to_le_bytes());
                }
            }
        },
        Value::Stream(s) => super::rdb_stream::write_stream(out, s, compress),
    }
}

/// DUMP's payload: type, value, RDB version (2 bytes LE), CRC-64 (8 bytes LE).
pub fn dump_payload(v: &Value, compress: bool) -> Vec<u8> {
    let mut out = vec![type_byte(v)];
    write_value(&mut out, v, compress);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// DEBUG OBJECT's serializedlength: the bytes of the value body.
pub fn serialized_len(v: &Value, compress: bool) -> usize {
    let mut out = Vec::new();
    write_value(&mut out, v, compress);
    out.len()
}

// ---------------------------------------------------------------------------
// Synchronous save

/// Bytes buffered before they go to the file.
const FLUSH_AT: usize = 1 << 20;

/// Save the whole dataset to `path` (SAVE, DEBUG RELOAD, SHUTDOWN): a temp
/// file in the same directory, fsynced, then renamed over `path`.
pub fn save_sync(server: &mut crate::server::Server, path: &Path) -> std::io::Result<()> {
    let tmp = sync_temp_path(path);
    let result = write_file(server, &tmp).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temp file a synchronous save of `path` writes (Redis's
/// `temp-<pid>.rdb`, beside the target).
pub fn sync_temp_path(path: &Path) -> std::path::PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!("temp-{}.rdb", std::process::id()))
}

fn write_file(server: &mut crate::server::Server, tmp: &Path) -> std::io::Result<()> {
    let mut f = std::fs::File::create(tmp)?;
    let opts = WriteOpts {
        compress: server.cfg.get("rdbcompression") != Some("no"),
        now_ms: crate::util::time::now_ms(),
    };
    let checksum = server.cfg.get("rdbchecksum") != Some("no");
    let key_delay_us: u64 = server
        .cfg
        .get("rdb-key-save-delay")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut crc = 0u64;
    let flush = |f: &mut std::fs::File, buf: &mut Vec<u8>, crc: &mut u64| {
        if checksum {
            *crc = crc64(*crc, buf);
        }
        let r = f.write_all(buf);
        buf.clear();
        r
    };
    let mut buf = Vec::with_capacity(FLUSH_AT * 2);
    write_header(&mut buf, &aux_fields(server, false));
    write_functions(&mut buf, server, opts.compress);
    for db in &server.dbs {
        if db.keys.is_empty() {
            continue;
        }
        write_select_db(
            &mut buf,
            db.id,
            db.keys.len() as u64,
            db.expires.len() as u64,
        );
        for (k, o) in db.keys.iter() {
            let exp = if db.expires.is_empty() {
                None
            } else {
                db.expires.get(k.as_bytes()).copied()
            };
            write_entry(&mut buf, k.as_bytes(), o, exp, &opts);
            if key_delay_us > 0 {
                // `rdb-key-save-delay` (tests): a foreground save is slowed
                // down as Redis's is; the file is written as it goes.
                flush(&mut f, &mut buf, &mut crc)?;
                std::thread::sleep(std::time::Duration::from_micros(key_delay_us));
            }
            if buf.len() >= FLUSH_AT {
                flush(&mut f, &mut buf, &mut crc)?;
            }
        }
    }
    write_eof(&mut buf);
    flush(&mut f, &mut buf, &mut crc)?;
    f.write_all(&crc.to_le_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_vector_and_streaming() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
        let whole = crc64(0, b"hello world, this is a test");
        let part = crc64(crc64(0, b"hello world,"), b" this is a test");
        assert_eq!(whole, part);
    }

    #[test]
    fn lengths() {
        let enc = |n| {
            let mut v = Vec::new();
            write_len(&mut v, n);
            v
        };
        assert_eq!(enc(10), [10]);
        assert_eq!(enc(300), [0x41, 0x2c]);
        assert_eq!(enc(70000), [0x80, 0, 1, 0x11, 0x70]);
        assert_eq!(enc(1 << 33), [0x81, 0, 0, 0, 2, 0, 0, 0, 0]);
    }

    #[test]
    fn strings() {
        let enc = |s: &[u8], c| {
            let mut v = Vec::new();
            write_string(&mut v, s, c);
            v
        };
        assert_eq!(enc(b"12", false), [0xC0, 12]);
        assert_eq!(enc(b"-300", false), [0xC1, 0xd4, 0xfe]);
        assert_eq!(enc(b"70000", false), [0xC2, 0x70, 0x11, 1, 0]);
        assert_eq!(enc(b"012", false), [3, b'0', b'1', b'2']);
        assert_eq!(enc(b"12345678901", false)[0], 11);
        let long = vec![b'a'; 100];
        let c = enc(&long, true);
        assert_eq!(c[0], 0xC3);
        assert!(c.len() < 30);
        assert_eq!(enc(&long, false).len(), 102);
    }

    #[test]
    fn lzf_roundtrip() {
        let text: Vec<u8> = (0..10_000u32)
            .map(|i| b"the quick brown fox "[(i % 20) as usize] ^ ((i / 1000) as u8))
            .collect();
        let c = lzf_compress(&text).expect("compressible");
        assert!(c.len() < text.len() / 4);
        assert_eq!(lzf::decompress(&c, text.len()).unwrap(), text);
        // Incompressible input is stored plain.
        let noise: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(lzf_compress(&noise).is_none());
    }

    #[test]
    fn header_like_redis() {
        let mut out = Vec::new();
        write_header(
            &mut out,
            &[
                ("redis-ver", b"7.0.15".to_vec()),
                ("redis-bits", b"64".to_vec()),
            ],
        );
        let mut want = b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfa\x0aredis-bits\xc0\x40".to_vec();
        assert_eq!(out, want);
        write_eof(&mut out);
        want.push(0xff);
        assert_eq!(out, want);
    }
}
