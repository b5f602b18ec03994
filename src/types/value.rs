//! `Value`, what a key holds, and `Obj`, the value plus its per-key metadata.
//!
//! Strings come in Redis's three encodings: `int` (a string that is a
//! canonical 64-bit integer, stored as the number), `embstr` (created whole
//! by SET and friends) and `raw` (longer than 44 bytes, or modified in place
//! by APPEND/SETRANGE, which `Obj` records with a flag bit). The byte form is
//! `SmallBytes`, so short strings need no allocation. `Value` is 24 bytes and
//! `Obj` 32, which makes a keyspace dict node exactly 64 bytes (`dict.rs`):
//! only one variant may hold a `SmallBytes`, so Rust can keep the enum tag in
//! the spare values of `SmallBytes`'s own tag byte.
//!
//! Hashes are `Value::Hash(Box<Hash>)` (`types/hash.rs`) and sets
//! `Value::Set(Box<Set>)` (`types/set.rs`), sorted sets `Value::ZSet(Box<ZSet>)`
//! (`types/zset.rs`): one pointer each, so
//! the size stays 24 bytes.
//!
//! `Obj.lru` holds the LRU clock (seconds, low 24 bits) of the last access,
//! as Redis's `robj.lru`; OBJECT IDLETIME reads it. Its top bits are flags.

use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::small::SmallBytes;
use super::stream::Stream;
use super::zset::ZSet;
use crate::util::num;

#[derive(Clone, Debug)]
pub enum Value {
    Int(i64),
    Str(SmallBytes),
    /// A hash (`types/hash.rs`), boxed so `Value` stays 24 bytes.
    Hash(Box<Hash>),
    Set(Box<Set>),
    /// A sorted set (`types/zset.rs`), boxed likewise.
    ZSet(Box<ZSet>),
    /// A list (`types/list.rs`), boxed likewise.
    List(Box<List>),
    /// A stream (`types/stream.rs`), boxed likewise.
    Stream(Box<Stream>),
}

/// Strings longer than this report `raw` even when created whole, as Redis's
/// embstr limit.
pub const EMBSTR_MAX: usize = 44;

impl Value {
    /// A string value from bytes, integer-encoded when it is a canonical
    /// integer of at most 20 characters (Redis's tryObjectEncoding).
    pub fn from_bytes(b: &[u8]) -> Value {
        if b.len() <= 20
            && let Some(n) = num::parse_i64(b)
        {
            return Value::Int(n);
        }
        Value::Str(SmallBytes::new(b))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::List(_) => "list",
            Value::Stream(_) => "stream",
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Str(_))
    }

    pub fn is_zset(&self) -> bool {
        matches!(self, Value::ZSet(_))
    }

    pub fn is_hash(&self) -> bool {
        matches!(self, Value::Hash(_))
    }

    pub fn is_list(&self) -> bool {
        matches!(self, Value::List(_))
    }

    pub fn is_stream(&self) -> bool {
        matches!(self, Value::Stream(_))
    }

    /// The string bytes (integers formatted). Only for strings (empty for
    /// other types).
    pub fn string_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        match self {
            Value::Int(n) => std::borrow::Cow::Owned(num::i64_to_bytes(*n)),
            Value::Str(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
            Value::Hash(_) | Value::Set(_) | Value::ZSet(_) | Value::List(_) | Value::Stream(_) => {
                std::borrow::Cow::Borrowed(&[])
            }
        }
    }

    /// Length of a string value.
    pub fn string_len(&self) -> usize {
        match self {
            Value::Int(n) => {
                let mut v = Vec::with_capacity(20);
                num::write_i64(&mut v, *n);
                v.len()
            }
            Value::Str(s) => s.len(),
            Value::Hash(_) | Value::Set(_) | Value::ZSet(_) | Value::List(_) | Value::Stream(_) => {
                0
            }
        }
    }

    /// Approximate heap bytes owned by the value (MEMORY USAGE, INFO).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Int(_) => 0,
            Value::Str(s) => s.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::Set(s) => std::mem::size_of::<Set>() + s.heap_size(),
            Value::ZSet(z) => z.heap_size(),
            Value::List(l) => std::mem::size_of::<List>() + l.heap_size(),
            Value::Stream(s) => s.heap_size(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Obj {
    pub v: Value,
    /// LRU clock at last access (seconds, 24 bits), or LFU data.
    pub lru: u32,
    /// Snapshot epoch in which this entry was last captured (fork-free
    /// snapshots, DESIGN.md); unused until the RDB work lands.
    pub epoch: u32,
}

/// Low 24 bits of `Obj.lru`: the clock.
pub const LRU_MASK: u32 = (1 << 24) - 1;
/// Flag in `Obj.lru`: the string was modified in place (encoding `raw`).
pub const FLAG_RAW: u32 = 1 << 24;
/// Flag in `Obj.lru`: an integer that Redis would not have made a shared
/// object (COPY duplicates one), so OBJECT REFCOUNT answers 1.
pub const FLAG_UNSHARED: u32 = 1 << 25;

impl Obj {
    pub fn new(v: Value, lru: u32) -> Obj {
        Obj {
            v,
            lru: lru & LRU_MASK,
            epoch: 0,
        }
    }

    /// Stamp the access clock, keeping the flag bits.
    #[inline]
    pub fn touch(&mut self, clock: u32) {
        self.lru = (self.lru & !LRU_MASK) | (clock & LRU_MASK);
    }

    pub fn clock(&self) -> u32 {
        self.lru & LRU_MASK
    }

    /// Replace the value; `raw` marks an in-place modification.
    pub fn set_value(&mut self, v: Value, raw: bool) {
        self.v = v;
        self.lru &= !FLAG_UNSHARED;
        if raw {
            self.lru |= FLAG_RAW;
        } else {
            self.lru &= !FLAG_RAW;
        }
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match &self.v {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= EMBSTR_MAX && self.lru & FLAG_RAW == 0 => "embstr",
            Value::Str(_) => "raw",
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::List(l) => l.encoding(),
            Value::Stream(_) => "stream",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Obj>(), 32);
        let h = Obj::new(Value::Hash(Box::default()), 0);
        assert_eq!((h.v.type_name(), h.encoding()), ("hash", "listpack"));
        let z = Obj::new(Value::ZSet(Box::default()), 0);
        assert_eq!((z.v.type_name(), z.encoding()), ("zset", "listpack"));
    }

    #[test]
    fn encodings() {
        let enc = |b: &[u8]| Obj::new(Value::from_bytes(b), 0).encoding();
        assert_eq!(enc(b"123"), "int");
        assert_eq!(enc(b"0123"), "embstr");
        assert_eq!(enc(&[b'a'; 44]), "embstr");
        assert_eq!(enc(&[b'a'; 45]), "raw");
        let mut o = Obj::new(Value::from_bytes(b"ab"), 5);
        o.set_value(Value::from_bytes(b"abc"), true);
        assert_eq!(o.encoding(), "raw");
        o.touch(7);
        assert_eq!((o.clock(), o.encoding()), (7, "raw"));
        assert_eq!(Value::from_bytes(b"-5").string_bytes().as_ref(), b"-5");
    }
}
