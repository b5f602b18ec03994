//! Bit operations on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP
//! (BITFIELD is in `bitfield.rs`).
//!
//! A string is a bit array, most significant bit of the first byte first,
//! as in Redis. SETBIT grows the string with zero bytes up to the offset
//! (bounded by proto-max-bulk-len) and leaves it `raw`, like any in-place
//! modification; reads treat missing keys as all zeros.

use bytes::Bytes;

use super::strings::take_bytes;
use super::{Handler, SYNTAX_ERR, WRONGTYPE};
use crate::db::new_stamp;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::{Obj, SmallBytes, Value};
use crate::util::num::parse_i64;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("setbit", setbit),
    ("getbit", getbit),
    ("bitcount", bitcount),
    ("bitpos", bitpos),
    ("bitop", bitop),
];

const BAD_OFFSET: &str = "bit offset is not an integer or out of range";
const BAD_BIT: &str = "bit is not an integer or out of range";

/// A bit offset: a non-negative integer whose byte fits in proto-max-bulk-len.
fn bit_offset(srv: &Server, c: &mut Client, arg: &[u8]) -> Option<u64> {
    match parse_i64(arg) {
        Some(n) if n >= 0 && (n >> 3) < srv.cfg.proto_max_bulk_len => Some(n as u64),
        _ => {
            c.reply.err(BAD_OFFSET);
            None
        }
    }
}

fn setbit(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(offset) = bit_offset(srv, c, &argv[2]) else {
        return;
    };
    let on = match parse_i64(&argv[3]) {
        Some(v @ (0 | 1)) => v == 1,
        _ => {
            c.reply.err(BAD_BIT);
            return;
        }
    };
    let now = srv.now_ms;
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let db = &mut srv.dbs[c.db];
    let (mut bytes, existed) = match db.lookup(&argv[1], now) {
        Some(o) if !o.v.is_string() => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Some(o) => (take_bytes(&mut o.v), true),
        None => (Vec::new(), false),
    };
    let grew = bytes.len() <= byte;
    if grew {
        bytes.resize(byte + 1, 0);
    }
    let old = bytes[byte] & mask != 0;
    if on {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
    store_bytes(srv, c.db, &argv[1], bytes, existed);
    if grew || old != on {
        srv.dirty += 1;
        srv.signal_modified_key(c.db, &argv[1]);
        if !existed {
            srv.notify(c, notify::NEW, "new", &argv[1], c.db);
        }
        srv.notify(c, notify::STRING, "setbit", &argv[1], c.db);
    }
    c.reply.int(old as i64);
}

/// Put `bytes` back as the (raw) string value of `key`, which `existed`
/// already (its TTL stays) or is new.
pub(super) fn store_bytes(srv: &mut Server, db: usize, key: &[u8], bytes: Vec<u8>, existed: bool) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[db];
    let v = Value::Str(SmallBytes::from_vec(bytes));
    if existed {
        let o = db.get_mut(key).expect("the caller looked the key up");
        o.set_value(v, true);
    } else {
        let mut o = Obj::new(Value::Int(0), new_stamp(now));
        o.set_value(v, true);
        db.insert_obj(key, o);
    }
}

fn getbit(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(offset) = bit_offset(srv, c, &argv[2]) else {
        return;
    };
    let now = srv.now_ms;
    let bit = match srv.dbs[c.db].lookup_read(&argv[1], now) {
        None => false,
        Some(o) if !o.v.is_string() => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Some(o) => {
            let s = o.v.string_bytes();
            let byte = (offset >> 3) as usize;
            byte < s.len() && s[byte] & (1 << (7 - (offset & 7))) != 0
        }
    };
    c.reply.int(bit as i64);
}

/// BITCOUNT key [start end [BYTE|BIT]]
fn bitcount(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let s = match srv.dbs[c.db].lookup_read(&argv[1], now) {
        None => {
            c.reply.int(0);
            return;
        }
        Some(o) if !o.v.is_string() => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Some(o) => o.v.string_bytes().into_owned(),
    };
    let count = match argv.len() {
        2 => s.iter().map(|b| b.count_ones() as i64).sum(),
        4 | 5 => {
            let Some(start) = super::arg_i64(c, &argv[2]) else {
                return;
            };
            let Some(end) = super::arg_i64(c, &argv[3]) else {
                return;
            };
            if start < 0 && end < 0 && start > end {
                c.reply.int(0);
                return;
            }
            let is_bit = match argv.get(4) {
                None => false,
                Some(a) if super::is(a, "bit") => true,
                Some(a) if super::is(a, "byte") => false,
                Some(_) => {
                    c.reply.err(SYNTAX_ERR);
                    return;
                }
            };
            count_range(&s, start, end, is_bit)
        }
        _ => {
            c.reply.err(SYNTAX_ERR);
            return;
        }
    };
    c.reply.int(count);
}

/// BITPOS key bit [start [end [BYTE|BIT]]]: the first bit set to `bit` in
/// the range. A missing key is all zeros; looking for a clear bit with no
/// end given finds the first bit past the string when all are set.
fn bitpos(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let bit = match parse_i64(&argv[2]) {
        Some(b @ (0 | 1)) => b == 1,
        Some(_) => return c.reply.err("The bit argument must be 1 or 0."),
        None => return c.reply.err(super::NOT_INTEGER),
    };
    let now = srv.now_ms;
    let s = match srv.dbs[c.db].lookup_read(&argv[1], now) {
        None => return c.reply.int(if bit { -1 } else { 0 }),
        Some(o) if !o.v.is_string() => return c.reply.err_code(WRONGTYPE),
        Some(o) => o.v.string_bytes().into_owned(),
    };
    if argv.len() > 6 {
        return c.reply.err(SYNTAX_ERR);
    }
    let is_bit = match argv.get(5) {
        None => false,
        Some(a) if super::is(a, "bit") => true,
        Some(a) if super::is(a, "byte") => false,
        Some(_) => return c.reply.err(SYNTAX_ERR),
    };
    let total = if is_bit { s.len() * 8 } else { s.len() } as i64;
    let mut start = 0;
    let mut end = total - 1;
    if let Some(a) = argv.get(3) {
        let Some(n) = super::arg_i64(c, a) else {
            return;
        };
        start = n;
    }
    let end_given = argv.len() > 4;
    if end_given {
        let Some(n) = super::arg_i64(c, &argv[4]) else {
            return;
        };
        end = n;
    }
    if start < 0 {
        start = (total + start).max(0);
    }
    if end < 0 {
        end = (total + end).max(0);
    }
    end = end.min(total - 1);
    if start > end {
        return c.reply.int(-1);
    }
    let (first, last) = if is_bit {
        (start, end)
    } else {
        (start * 8, end * 8 + 7)
    };
    let found = (first..=last).find(|&i| (s[(i >> 3) as usize] & (1 << (7 - (i & 7))) != 0) == bit);
    c.reply.int(match found {
        Some(i) => i,
        // All set and no end asked: the first clear bit is past the end.
        None if !bit && !end_given => last + 1,
        None => -1,
    });
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: the result (as long as the
/// longest source, missing bytes and keys being zeros) replaces destkey; an
/// empty result deletes it.
fn bitop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    #[derive(PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = match argv[1].to_ascii_lowercase().as_slice() {
        b"and" => Op::And,
        b"or" => Op::Or,
        b"xor" => Op::Xor,
        b"not" => Op::Not,
        _ => return c.reply.err(SYNTAX_ERR),
    };
    if op == Op::Not && argv.len() != 4 {
        return c
            .reply
            .err("BITOP NOT must be called with a single source key.");
    }
    let now = srv.now_ms;
    let mut sources: Vec<Vec<u8>> = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        match srv.dbs[c.db].lookup_read(key, now) {
            None => sources.push(Vec::new()),
            Some(o) if !o.v.is_string() => return c.reply.err_code(WRONGTYPE),
            Some(o) => sources.push(o.v.string_bytes().into_owned()),
        }
    }
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![0u8; len];
    for (i, b) in out.iter_mut().enumerate() {
        let byte = |s: &Vec<u8>| s.get(i).copied().unwrap_or(0);
        *b = match op {
            Op::Not => !byte(&sources[0]),
            Op::And => sources.iter().map(byte).fold(0xff, |a, x| a & x),
            Op::Or => sources.iter().map(byte).fold(0, |a, x| a | x),
            Op::Xor => sources.iter().map(byte).fold(0, |a, x| a ^ x),
        };
    }
    let dest = &argv[2];
    if len == 0 {
        if srv.dbs[c.db].delete(dest) {
            srv.dirty += 1;
            srv.signal_modified_key(c.db, dest);
            srv.notify(c, notify::GENERIC, "del", dest, c.db);
        }
        return c.reply.int(0);
    }
    let created = srv.dbs[c.db].set(dest, Value::Str(SmallBytes::from_vec(out)), false, now);
    srv.dirty += 1;
    srv.signal_modified_key(c.db, dest);
    if created {
        srv.notify(c, notify::NEW, "new", dest, c.db);
    }
    srv.notify(c, notify::STRING, "set", dest, c.db);
    c.reply.int(len as i64);
}

/// Set bits of `s` between `start` and `end` (inclusive, negative from the
/// end), counted in bytes or in bits.
fn count_range(s: &[u8], start: i64, end: i64, is_bit: bool) -> i64 {
    let total = if is_bit {
        s.len() as i64 * 8
    } else {
        s.len() as i64
    };
    let norm = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (start, end) = (norm(start), norm(end).min(total - 1));
    if start > end {
        return 0;
    }
    if is_bit {
        (start..=end)
            .filter(|&i| s[(i >> 3) as usize] & (1 << (7 - (i & 7))) != 0)
            .count() as i64
    } else {
        s[start as usize..=end as usize]
            .iter()
            .map(|b| b.count_ones() as i64)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::count_range;

    #[test]
    fn ranges() {
        let s = b"foobar";
        assert_eq!(count_range(s, 0, -1, false), 26);
        assert_eq!(count_range(s, 1, 1, false), 6);
        assert_eq!(count_range(s, 5, 30, true), 17);
        assert_eq!(count_range(s, -2, -1, false), 7);
        assert_eq!(count_range(s, 4, 2, false), 0);
        assert_eq!(count_range(b"", 0, -1, false), 0);
    }
}
