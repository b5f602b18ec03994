//! The RDB reader: every type and encoding Redis 7.0 writes, plus the older
//! ones real files still contain (ziplist lists/hashes/sorted sets, zipmap
//! hashes, quicklist v1, plain lists and string-score sorted sets).
//!
//! It reads from a byte slice with every length checked, so a truncated or
//! corrupt input is an error naming the problem, never a panic. Values are
//! built whole and converted to the encoding the configuration asks for, as
//! Redis does on load (a listpack hash with too many fields becomes a table,
//! a small set of integers an intset, …). Untrusted compact blobs (listpack,
//! intset, ziplist, zipmap) are always deep-validated before we adopt them:
//! our types rely on their structure, and the cost is one pass over bytes
//! we just read. `load_file` builds complete databases and hands them back;
//! the caller swaps them in only when the whole file proved sound.

use std::collections::HashSet;

use super::ziplist::{self, Entry};
use super::{op, ty};
use crate::db::Db;
use crate::encoding::intset::Intset;
use crate::encoding::listpack::{Listpack, LpValue};
use crate::encoding::quicklist::Node;
use crate::types::SmallBytes;
use crate::types::hash::{self, Hash};
use crate::types::list::{End, List};
use crate::types::set::Set;
use crate::types::value::{Obj, Value};
use crate::types::zset::{self, ZSet};

/// Why a load failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The input is malformed; the text says where.
    Corrupt(String),
    /// A value with no elements (Redis skips these in files and answers
    /// "Bad data format" to RESTORE).
    EmptyKey,
    /// Something valid we cannot load (modules, functions, a newer RDB
    /// version).
    Unsupported(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Corrupt(s) | LoadError::Unsupported(s) => f.write_str(s),
            LoadError::EmptyKey => f.write_str("empty key"),
        }
    }
}

/// `DEBUG SET-SKIP-CHECKSUM-VALIDATION`: accept payloads and files whose
/// CRC does not match (Redis's test hook for feeding corrupt data).
static SKIP_CHECKSUM: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_skip_checksum(on: bool) {
    SKIP_CHECKSUM.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn skip_checksum() -> bool {
    SKIP_CHECKSUM.load(std::sync::atomic::Ordering::Relaxed)
}

fn corrupt<T>(msg: impl Into<String>) -> Result<T, LoadError> {
    Err(LoadError::Corrupt(msg.into()))
}

/// Configuration the loader converts encodings by.
#[derive(Clone, Copy, Debug)]
pub struct LoadOpts {
    pub hash: hash::Limits,
    pub zset: zset::Limits,
    pub max_intset: usize,
    pub list_fill: i32,
    pub list_depth: i32,
    /// Load keys whose expire time has passed (a replica's file, whose
    /// keys its master expires; an AOF base, which the incremental files
    /// were written against), as Redis does when it is not the master.
    pub keep_expired: bool,
}

impl LoadOpts {
    pub fn from_server(srv: &crate::server::Server) -> LoadOpts {
        let c = &srv.cfg;
        LoadOpts {
            hash: hash::Limits {
                max_entries: c.hash_max_listpack_entries,
                max_value: c.hash_max_listpack_value,
            },
            zset: zset::Limits {
                max_entries: c.zset_max_listpack_entries,
                max_value: c.zset_max_listpack_value,
            },
            max_intset: c
                .get("set-max-intset-entries")
                .and_then(|v| v.parse().ok())
                .unwrap_or(512),
            list_fill: c.list_max_listpack_size,
            list_depth: c.list_compress_depth as i32,
            keep_expired: srv.master_link.is_some()
                || c.get("replicaof").is_some_and(|v| !v.is_empty()),
        }
    }
}

impl Default for LoadOpts {
    fn default() -> Self {
        LoadOpts {
            hash: hash::Limits::default(),
            zset: zset::Limits::default(),
            max_intset: 512,
            list_fill: -2,
            list_depth: 0,
            keep_expired: false,
        }
    }
}

/// A cursor over the input.
pub struct Reader<'a> {
    buf: &'a [u8],
    pub pos: usize,
}

/// A length, or a special string encoding.
enum Len {
    Plain(u64),
    Enc(u8),
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        if n > self.remaining() {
            return corrupt(format!(
                "Unexpected EOF reading RDB file (needed {n} bytes at offset {})",
                self.pos
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn byte(&mut self) -> Result<u8, LoadError> {
        Ok(self.take(1)?[0])
    }

    fn len_or_enc(&mut self) -> Result<Len, LoadError> {
        let b = self.byte()?;
        Ok(match b >> 6 {
            0 => Len::Plain((b & 0x3f) as u64),
            1 => Len::Plain((((b & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 => match b {
                0x80 => Len::Plain(u32::from_be_bytes(self.take(4)?.try_into().unwrap()) as u64),
                0x81 => Len::Plain(u64::from_be_bytes(self.take(8)?.try_into().unwrap())),
                _ => return corrupt(format!("Unknown length encoding {b} in rdbLoadLen()")),
            },
            _ => Len::Enc(b & 0x3f),
        })
    }

    /// A length (rdbLoadLen).
    pub fn read_len(&mut self) -> Result<u64, LoadError> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Enc(_) => corrupt("Unexpected string encoding where a length was expected"),
        }
    }

    /// A count of elements, bounded by what the input could hold so a
    /// corrupt count cannot make us preallocate or loop for long.
    pub(super) fn count(&mut self, min_bytes_each: usize) -> Result<usize, LoadError> {
        let n = self.read_len()?;
        if n > (self.remaining() / min_bytes_each.max(1)) as u64 {
            return corrupt(format!("Length {n} larger than the remaining input"));
        }
        Ok(n as usize)
    }

    /// A string (rdbGenericLoadStringObject): integer, LZF or plain.
    pub fn string(&mut self) -> Result<Vec<u8>, LoadError> {
        self.bytes().map(std::borrow::Cow::into_owned)
    }

    /// A string as `string` reads it, borrowed from the buffer when it is
    /// stored plain (no copy for what is copied again anyway: keys, string
    /// values).
    pub fn bytes(&mut self) -> Result<std::borrow::Cow<'a, [u8]>, LoadError> {
        use std::borrow::Cow;
        let owned = match self.len_or_enc()? {
            Len::Plain(n) => {
                if n > self.remaining() as u64 {
                    return corrupt(format!(
                        "Unexpected EOF reading RDB file (string of {n} bytes at offset {})",
                        self.pos
                    ));
                }
                return Ok(Cow::Borrowed(self.take(n as usize)?));
            }
            Len::Enc(0) => Ok(crate::util::num::i64_to_bytes(self.byte()? as i8 as i64)),
            Len::Enc(1) => Ok(crate::util::num::i64_to_bytes(i16::from_le_bytes(
                self.take(2)?.try_into().unwrap(),
            ) as i64)),
            Len::Enc(2) => Ok(crate::util::num::i64_to_bytes(i32::from_le_bytes(
                self.take(4)?.try_into().unwrap(),
            ) as i64)),
            Len::Enc(3) => {
                let clen = self.read_len()?;
                let ulen = self.read_len()?;
                if clen > self.remaining() as u64 {
                    return corrupt("Unexpected EOF reading a compressed string");
                }
                // An LZF back-reference is 2-3 bytes for at most 264 output
                // bytes, so expansion stays under 132x; anything beyond is
                // corrupt (and must not make us allocate a huge buffer).
                if ulen == 0 || ulen > clen.saturating_mul(132) + 64 {
                    return corrupt(format!("Invalid LZF lengths {clen}/{ulen}"));
                }
                let c = self.take(clen as usize)?;
                match lzf::decompress(c, ulen as usize) {
                    Ok(v) if v.len() == ulen as usize => Ok(v),
                    _ => corrupt("Invalid LZF compressed string"),
                }
            }
            Len::Enc(e) => corrupt(format!("Unknown RDB string encoding type {e}")),
        };
        owned.map(Cow::Owned)
    }

    /// A binary double (ZSET_2).
    fn double_bin(&mut self) -> Result<f64, LoadError> {
        Ok(f64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }

    /// A double as a length-prefixed string (ZSET of old files): 253 nan,
    /// 254 +inf, 255 -inf.
    fn double_str(&mut self) -> Result<f64, LoadError> {
        let n = self.byte()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let s = self.take(n as usize)?;
                std::str::from_utf8(s)
                    .ok()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                    .map_or_else(|| corrupt("Invalid double value"), Ok)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Values

/// Does this type byte name a value we know how to read?
pub fn type_is_known(t: u8) -> bool {
    matches!(t, 0..=5 | 9..=19)
}

/// The refusal for types we recognise but do not support.
pub fn unsupported_type(t: u8) -> LoadError {
    let what = match t {
        ty::MODULE | ty::MODULE_2 => "a module value",
        ty::STREAM_LISTPACKS_3 => "a stream with consumers' active times (RDB 11, Redis 7.2+)",
        ty::SET_LISTPACK => "a listpack set (RDB 11, Redis 7.2+)",
        _ => return LoadError::Corrupt(format!("Unknown RDB value type {t}")),
    };
    LoadError::Unsupported(format!("Can't load RDB value type {t}: {what}"))
}

/// Read a value of RDB type `t` (rdbLoadObject).
pub fn read_value(r: &mut Reader<'_>, t: u8, opts: &LoadOpts) -> Result<Value, LoadError> {
    match t {
        ty::STRING => Ok(Value::from_bytes(&r.bytes()?)),
        ty::LIST => {
            let n = r.count(1)?;
            if n == 0 {
                return Err(LoadError::EmptyKey);
            }
            let mut l = List::with_options(opts.list_fill as i64, opts.list_depth as i64);
            for _ in 0..n {
                l.push(&r.bytes()?, End::Tail);
            }
            Ok(Value::List(Box::new(l)))
        }
        ty::LIST_QUICKLIST | ty::LIST_QUICKLIST_2 => {
            let n = r.count(1)?;
            if n == 0 {
                return Err(LoadError::EmptyKey);
            }
            let mut l = List::with_options(opts.list_fill as i64, opts.list_depth as i64);
            for _ in 0..n {
                let container = if t == ty::LIST_QUICKLIST_2 {
                    r.read_len()?
                } else {
                    2
                };
                if container != 1 && container != 2 {
                    return corrupt("Quicklist integrity check failed.");
                }
                let data = r.string()?;
                if data.is_empty() {
                    return corrupt("Quicklist integrity check failed.");
                }
                // Nodes are adopted whole, as Redis's quicklistAppend*
                // (empty ones are skipped).
                if container == 1 {
                    l.append_node(Node::plain(&data));
                } else if t == ty::LIST_QUICKLIST_2 {
                    if !Listpack::validate(&data, true) {
                        return corrupt("Listpack integrity check failed.");
                    }
                    l.append_node(Node::packed(Listpack::from_bytes(data)));
                } else {
                    let Some(entries) = ziplist::ziplist_entries(&data) else {
                        return corrupt("Ziplist integrity check failed.");
                    };
                    let mut lp = Listpack::new();
                    for e in entries {
                        match e {
                            Entry::Int(n) => lp.append_int(n),
                            Entry::Str(s) => lp.append(s),
                        }
                    }
                    l.append_node(Node::packed(lp));
                }
            }
            if l.is_empty() {
                return Err(LoadError::EmptyKey);
            }
            Ok(Value::List(Box::new(l)))
        }
        ty::LIST_ZIPLIST => {
            let data = r.string()?;
            let Some(entries) = ziplist::ziplist_entries(&data) else {
                return corrupt("List ziplist integrity check failed.");
            };
            if entries.is_empty() {
                return Err(LoadError::EmptyKey);
            }
            let mut l = List::with_options(opts.list_fill as i64, opts.list_depth as i64);
            for e in entries {
                push_entry(&mut l, e);
            }
            Ok(Value::List(Box::new(l)))
        }
        ty::SET => {
            let n = r.count(1)?;
            if n == 0 {
                return Err(LoadError::EmptyKey);
            }
            let mut s = if n > opts.max_intset {
                Set::Table(crate::dict::Dict::with_capacity(n))
            } else {
                Set::new()
            };
            for _ in 0..n {
                if !s.add(&r.bytes()?, opts.max_intset) {
                    return corrupt("Duplicate set members detected");
                }
            }
            Ok(Value::Set(Box::new(s)))
        }
        ty::SET_INTSET => {
            let data = r.string()?;
            if !Intset::validate(&data, true) {
                return corrupt("Intset integrity check failed.");
            }
            let is = Intset::from_bytes(data)
                .ok_or(LoadError::Corrupt("Intset integrity check failed.".into()))?;
            if is.is_empty() {
                return Err(LoadError::EmptyKey);
            }
            let s = if is.len() > opts.max_intset {
                let mut d = crate::dict::Dict::with_capacity(is.len());
                for n in is.iter() {
                    d.insert(SmallBytes::from_vec(crate::util::num::i64_to_bytes(n)), ());
                }
                Set::Table(d)
            } else {
                Set::Intset(is)
            };
            Ok(Value::Set(Box::new(s)))
        }
        ty::ZSET | ty::ZSET_2 => {
            let n = r.count(2)?;
            if n == 0 {
                return Err(LoadError::EmptyKey);
            }
            let mut z = ZSet::new_listpack();
            for _ in 0..n {
                let m = r.string()?;
                let sc = if t == ty::ZSET_2 {
                    r.double_bin()?
                } else {
                    r.double_str()?
                };
                if sc.is_nan() {
                    return corrupt("Zset with NAN score detected");
                }
                if z.score(&m).is_some() {
                    return corrupt("Duplicate zset fields detected");
                }
                z.insert(&m, sc, opts.zset);
            }
            Ok(Value::ZSet(Box::new(z)))
        }
        ty::HASH => {
            let n = r.count(2)?;
            if n == 0 {
                return Err(LoadError::EmptyKey);
            }
            let mut h = Hash::new();
            if n > opts.hash.max_entries {
                h.convert();
            }
            for _ in 0..n {
                let f = r.string()?;
                let v = r.string()?;
                if h.set(&f, &v, opts.hash) {
                    return corrupt("Duplicate hash fields detected");
                }
            }
            Ok(Value::Hash(Box::new(h)))
        }
        ty::HASH_ZIPMAP => {
            let data = r.string()?;
            let Some(pairs) = ziplist::zipmap_pairs(&data) else {
                return corrupt("Zipmap integrity check failed.");
            };
            if pairs.is_empty() {
                return corrupt("Zipmap integrity check failed.");
            }
            let mut h = Hash::new();
            let mut maxlen = 0;
            for (f, v) in &pairs {
                maxlen = maxlen.max(f.len()).max(v.len());
            }
            let big = hash::Limits {
                max_entries: usize::MAX,
                max_value: usize::MAX,
            };
            for (f, v) in pairs {
                if h.set(f, v, big) {
                    return corrupt("Hash zipmap with dup elements");
                }
            }
            if h.len() > opts.hash.max_entries || maxlen > opts.hash.max_value {
                h.convert();
            }
            Ok(Value::Hash(Box::new(h)))
        }
        ty::HASH_ZIPLIST | ty::ZSET_ZIPLIST => {
            let data = r.string()?;
            let what = if t == ty::HASH_ZIPLIST {
                "Hash"
            } else {
                "Zset"
            };
            let Some(entries) = ziplist::ziplist_entries(&data) else {
                return corrupt(format!("{what} ziplist integrity check failed."));
            };
            let mut lp = Listpack::new();
            for e in &entries {
                match *e {
                    Entry::Int(n) => lp.append_int(n),
                    Entry::Str(s) => lp.append(s),
                }
            }
            let v =
                pairs_value(t == ty::HASH_ZIPLIST, lp.into_bytes(), opts).map_err(|e| match e {
                    LoadError::Corrupt(_) => {
                        LoadError::Corrupt(format!("{what} ziplist integrity check failed."))
                    }
                    e => e,
                })?;
            Ok(v)
        }
        ty::HASH_LISTPACK | ty::ZSET_LISTPACK => {
            let data = r.string()?;
            pairs_value(t == ty::HASH_LISTPACK, data, opts)
        }
        ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 => Ok(Value::Stream(Box::new(
            super::rdb_stream::read_stream(r, t)?,
        ))),
        _ => Err(unsupported_type(t)),
    }
}

fn push_entry(l: &mut List, e: Entry<'_>) {
    match e {
        Entry::Str(s) => l.push(s, End::Tail),
        Entry::Int(n) => l.push(&crate::util::num::i64_to_bytes(n), End::Tail),
    }
}

/// A hash or sorted-set listpack of pairs: deep-validated, an even number
/// of entries, no duplicate field/member, scores that are numbers; then
/// converted when it has more entries than the configuration allows.
fn pairs_value(is_hash: bool, data: Vec<u8>, opts: &LoadOpts) -> Result<Value, LoadError> {
    let what = if is_hash { "Hash" } else { "Zset" };
    let bad = || LoadError::Corrupt(format!("{what} listpack integrity check failed."));
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut idx = 0usize;
    let mut dup = false;
    let ok = Listpack::validate_with(&data, |e| {
        let field = idx.is_multiple_of(2);
        idx += 1;
        if field {
            dup = !seen.insert(e.to_vec());
            !dup
        } else if !is_hash {
            match e {
                LpValue::Int(_) => true,
                LpValue::Str(s) => crate::util::num::parse_f64(s).is_some_and(|f| !f.is_nan()),
            }
        } else {
            true
        }
    });
    if dup {
        return corrupt(format!(
            "{what} listpack integrity check failed: listpack with dup elements"
        ));
    }
    if !ok || !idx.is_multiple_of(2) {
        return Err(bad());
    }
    if idx == 0 {
        return Err(LoadError::EmptyKey);
    }
    let lp = Listpack::from_bytes(data);
    let pairs = idx / 2;
    if is_hash {
        let mut h = Hash::Listpack(lp);
        if pairs > opts.hash.max_entries {
            h.convert();
        }
        Ok(Value::Hash(Box::new(h)))
    } else {
        let mut z = ZSet::Listpack(lp);
        if pairs > opts.zset.max_entries {
            z.convert_to_skiplist();
        }
        Ok(Value::ZSet(Box::new(z)))
    }
}

// ---------------------------------------------------------------------------
// Files

/// What a file load found besides the data.
#[derive(Debug, Default)]
pub struct FileInfo {
    pub version: u32,
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub keys_loaded: u64,
    pub expired_skipped: u64,
    pub empty_skipped: u64,
    /// Bytes of the input the RDB took (an old AOF may go on with commands).
    pub consumed: usize,
    /// The `used-mem` AUX field (INFO's `loading_rdb_used_mem`).
    pub used_mem: u64,
    /// The code of every function library, in file order.
    pub functions: Vec<Vec<u8>>,
    /// (database, key) of the keys skipped as expired (a restarted master
    /// tells its replicas to delete them).
    pub expired_keys: Vec<(usize, Vec<u8>)>,
}

/// Check the "REDISnnnn" magic; returns the version.
pub fn read_magic(r: &mut Reader<'_>) -> Result<u32, LoadError> {
    let m = r.take(9).map_err(|_| {
        LoadError::Corrupt(
            "Short read or OOM loading DB. Unrecoverable error, aborting now.".into(),
        )
    })?;
    if &m[..5] != b"REDIS" {
        return corrupt("Wrong signature trying to load DB from file");
    }
    let v = std::str::from_utf8(&m[5..])
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or(LoadError::Corrupt(
            "Wrong signature trying to load DB from file".into(),
        ))?;
    if !(1..=super::RDB_VERSION as u32).contains(&v) {
        return Err(LoadError::Unsupported(format!(
            "Can't handle RDB format version {v}"
        )));
    }
    Ok(v)
}

/// Stamp a loaded object's access metadata (objectSetLRUOrLFU).
fn access_stamp(idle: Option<u64>, freq: Option<u8>, now_ms: i64) -> u32 {
    if crate::db::lfu_mode() {
        if let Some(f) = freq {
            return ((((now_ms / 60_000) as u32) & 0xffff) << 8) | f as u32;
        }
    } else if let Some(idle) = idle {
        let clock = crate::db::lru_clock(now_ms);
        let idle = (idle % (1 << 24)) as u32;
        return clock.wrapping_sub(idle) & crate::types::value::LRU_MASK;
    }
    crate::db::new_stamp(now_ms)
}

/// Parse a whole RDB file into `ndbs` fresh databases. Keys already
/// expired at `now_ms` are skipped (we are always a master), as are empty
/// values. `checksum` = `rdbchecksum`.
pub fn load_file(
    buf: &[u8],
    ndbs: usize,
    opts: &LoadOpts,
    now_ms: i64,
    checksum: bool,
) -> Result<(Vec<Db>, FileInfo), LoadError> {
    load_file_with(buf, ndbs, opts, now_ms, checksum, &mut |_, _| {})
}

/// A function library record: FUNCTION2 holds the code as it was loaded;
/// the FUNCTION records of Redis 7.0's release candidates hold the name,
/// engine, an optional description and the body, which become that code.
fn read_function(r: &mut Reader<'_>, t: u8) -> Result<Vec<u8>, LoadError> {
    let fail = |what: &str| LoadError::Corrupt(format!("Failed loading library, {what}"));
    if t == op::FUNCTION2 {
        return r
            .string()
            .map_err(|_| fail("Failed loading library payload"));
    }
    let name = r
        .string()
        .map_err(|_| fail("Failed loading library name"))?;
    let engine = r.string().map_err(|_| fail("Failed loading engine name"))?;
    let has_desc = r
        .read_len()
        .map_err(|_| fail("Failed loading library description indicator"))?;
    if has_desc != 0 {
        r.string()
            .map_err(|_| fail("Failed loading library description"))?;
    }
    let body = r
        .string()
        .map_err(|_| fail("Failed loading library blob"))?;
    let mut code = Vec::with_capacity(body.len() + name.len() + engine.len() + 9);
    code.extend_from_slice(b"#!");
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&body);
    Ok(code)
}

/// `load_file`, calling `progress` after every key with the bytes read so
/// far (the loading state serves clients from there).
pub fn load_file_with(
    buf: &[u8],
    ndbs: usize,
    opts: &LoadOpts,
    now_ms: i64,
    checksum: bool,
    progress: &mut dyn FnMut(usize, &FileInfo),
) -> Result<(Vec<Db>, FileInfo), LoadError> {
    let mut r = Reader::new(buf);
    let mut info = FileInfo {
        version: read_magic(&mut r)?,
        ..FileInfo::default()
    };
    let mut dbs: Vec<Db> = (0..ndbs).map(Db::new).collect();
    let mut cur = 0usize;
    let mut expire: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    loop {
        let t = r.byte()?;
        match t {
            op::EXPIRETIME => {
                let s = i32::from_le_bytes(r.take(4)?.try_into().unwrap());
                expire = Some(s as i64 * 1000);
                continue;
            }
            op::EXPIRETIME_MS => {
                expire = Some(i64::from_le_bytes(r.take(8)?.try_into().unwrap()));
                continue;
            }
            op::FREQ => {
                freq = Some(r.byte()?);
                continue;
            }
            op::IDLE => {
                idle = Some(r.read_len()?);
                continue;
            }
            op::EOF => break,
            op::SELECTDB => {
                let id = r.read_len()?;
                if id >= ndbs as u64 {
                    return corrupt(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {ndbs} databases. Exiting"
                    ));
                }
                cur = id as usize;
                continue;
            }
            op::RESIZEDB => {
                let keys = r.read_len()?;
                let _expires = r.read_len()?;
                // A hint only; bounded so a corrupt value cannot allocate.
                let hint = keys.min((r.remaining() / 2) as u64) as usize;
                dbs[cur].keys.expand(hint);
                continue;
            }
            op::AUX => {
                let k = r.string()?;
                let v = r.string()?;
                if k == b"used-mem" {
                    info.used_mem = crate::util::num::parse_i64(&v).unwrap_or(0).max(0) as u64;
                }
                // A "lua" field (scripts saved by Redis < 7) is not loaded.
                info.aux.push((k, v));
                continue;
            }
            op::MODULE_AUX => {
                return Err(LoadError::Unsupported(
                    "Can't load module auxiliary data: modules are not supported".into(),
                ));
            }
            op::FUNCTION | op::FUNCTION2 => {
                let code = read_function(&mut r, t)?;
                info.functions.push(code);
                continue;
            }
            _ => {}
        }
        if !type_is_known(t) {
            return Err(unsupported_type(t));
        }
        let key = r.bytes()?;
        let value = match read_value(&mut r, t, opts) {
            Ok(v) => Some(v),
            Err(LoadError::EmptyKey) => {
                crate::log_warning!(
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(&key)
                );
                info.empty_skipped += 1;
                None
            }
            Err(e) => return Err(e),
        };
        let (exp, id, fq) = (expire.take(), idle.take(), freq.take());
        progress(r.pos, &info);
        let Some(v) = value else { continue };
        if !opts.keep_expired && exp.is_some_and(|e| e < now_ms) {
            info.expired_skipped += 1;
            info.expired_keys.push((cur, key.into_owned()));
            continue;
        }
        let db = &mut dbs[cur];
        // One lookup: a duplicate is found by the insert itself (the
        // databases are fresh, so a refused load leaves nothing behind).
        if db.insert_obj(&key, Obj::new(v, access_stamp(id, fq, now_ms))) {
            return corrupt(format!(
                "Duplicate key '{}' found in RDB file",
                String::from_utf8_lossy(&key)
            ));
        }
        if let Some(e) = exp {
            db.set_expire(&key, e);
        }
        info.keys_loaded += 1;
    }
    if info.version >= 5 {
        let at = r.pos;
        let stored = u64::from_le_bytes(
            r.take(8)
                .map_err(|_| LoadError::Corrupt("Unexpected EOF reading the RDB checksum".into()))?
                .try_into()
                .unwrap(),
        );
        if checksum && stored != 0 && !skip_checksum() {
            let computed = super::rdb::crc64(0, &buf[..at]);
            if computed != stored {
                crate::log_warning!(
                    "Wrong RDB checksum expected: ({stored:x}) got ({computed:x}). Aborting now."
                );
                return corrupt("RDB CRC error");
            }
        }
    }
    info.consumed = r.pos;
    Ok((dbs, info))
}

/// Decode a DUMP payload (RESTORE): checks the trailer (version ≤ ours,
/// CRC-64) and reads exactly one value that must use every byte.
pub fn verify_dump_payload(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let n = p.len();
    let ver = u16::from_le_bytes([p[n - 10], p[n - 9]]);
    if ver > super::RDB_VERSION {
        return false;
    }
    let crc = u64::from_le_bytes(p[n - 8..].try_into().unwrap());
    skip_checksum() || crc == super::rdb::crc64(0, &p[..n - 8])
}

/// The value of a payload already verified by `verify_dump_payload`.
pub fn read_dump_value(p: &[u8], opts: &LoadOpts) -> Result<Value, LoadError> {
    let body = &p[..p.len() - 10];
    let mut r = Reader::new(body);
    let t = r.byte()?;
    if !type_is_known(t) {
        return Err(unsupported_type(t));
    }
    let v = read_value(&mut r, t, opts)?;
    if r.remaining() != 0 {
        return corrupt("Trailing bytes after the value");
    }
    Ok(v)
}

#[cfg(test)]
#[path = "rdb_load_tests.rs"]
mod tests;
