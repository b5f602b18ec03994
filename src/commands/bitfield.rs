//! BITFIELD and BITFIELD_RO: integers of any width from 1 to 64 bits at
//! any bit offset of a string.
//!
//! The whole argument list is parsed first (types `i1`..`i64`/`u1`..`u63`,
//! offsets in bits or `#N` in units of the type's width, OVERFLOW
//! WRAP|SAT|FAIL applying to the operations after it), so a bad argument
//! fails the command before anything is touched, as in Redis. Writes grow
//! the string with zero bytes up to the highest bit they touch; GETs past
//! the end read zeros. Fields are big-endian: the most significant bit is
//! the first bit of the field, as for SETBIT.

use bytes::Bytes;

use super::bitops::store_bytes;
use super::{Handler, SYNTAX_ERR, WRONGTYPE};
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::util::num::parse_i64;

pub const COMMANDS: &[(&str, Handler)] = &[("bitfield", bitfield), ("bitfield_ro", bitfield_ro)];

const BAD_TYPE: &str =
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Get,
    Set,
    IncrBy,
}

struct Op {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    overflow: Overflow,
}

fn bitfield(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    run(srv, c, argv, false);
}

fn bitfield_ro(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    run(srv, c, argv, true);
}

/// `i8`, `u16`…: (signed, width). Only lowercase, as Redis.
fn parse_type(arg: &[u8]) -> Option<(bool, u32)> {
    let signed = match arg.first()? {
        b'i' => true,
        b'u' => false,
        _ => return None,
    };
    let bits = parse_i64(&arg[1..])?;
    let max = if signed { 64 } else { 63 };
    (1..=max).contains(&bits).then_some((signed, bits as u32))
}

/// A bit offset, or `#N`: the N-th field of this width.
fn parse_offset(srv: &Server, arg: &[u8], bits: u32) -> Option<u64> {
    let (hash, digits) = match arg.strip_prefix(b"#") {
        Some(d) => (true, d),
        None => (false, arg),
    };
    let mut n = parse_i64(digits)?;
    if hash {
        n = n.checked_mul(bits as i64)?;
    }
    (n >= 0 && (n >> 3) < srv.cfg.proto_max_bulk_len).then_some(n as u64)
}

fn parse(srv: &Server, c: &mut Client, argv: &[Bytes]) -> Option<Vec<Op>> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let sub = argv[j].to_ascii_lowercase();
        let kind = match sub.as_slice() {
            b"get" if left >= 2 => Kind::Get,
            b"set" if left >= 3 => Kind::Set,
            b"incrby" if left >= 3 => Kind::IncrBy,
            b"overflow" if left >= 1 => {
                overflow = match argv[j + 1].to_ascii_lowercase().as_slice() {
                    b"wrap" => Overflow::Wrap,
                    b"sat" => Overflow::Sat,
                    b"fail" => Overflow::Fail,
                    _ => {
                        c.reply.err("Invalid OVERFLOW type specified");
                        return None;
                    }
                };
                j += 2;
                continue;
            }
            _ => {
                c.reply.err(SYNTAX_ERR);
                return None;
            }
        };
        let Some((signed, bits)) = parse_type(&argv[j + 1]) else {
            c.reply.err(BAD_TYPE);
            return None;
        };
        let Some(offset) = parse_offset(srv, &argv[j + 2], bits) else {
            c.reply.err("bit offset is not an integer or out of range");
            return None;
        };
        let mut value = 0;
        if kind != Kind::Get {
            value = super::arg_i64(c, &argv[j + 3])?;
        }
        ops.push(Op {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Some(ops)
}

fn run(srv: &mut Server, c: &mut Client, argv: &[Bytes], read_only: bool) {
    let Some(ops) = parse(srv, c, argv) else {
        return;
    };
    let key = &argv[1];
    let now = srv.now_ms;
    let highest = ops
        .iter()
        .filter(|o| o.kind != Kind::Get)
        .map(|o| o.offset + o.bits as u64 - 1)
        .max();
    let Some(highest) = highest else {
        // Only GETs: a missing key reads as zeros.
        let s = match srv.dbs[c.db].lookup_read(key, now) {
            None => Vec::new(),
            Some(o) if !o.v.is_string() => return c.reply.err_code(WRONGTYPE),
            Some(o) => o.v.string_bytes().into_owned(),
        };
        c.reply.array_len(ops.len());
        for op in &ops {
            c.reply.int(as_int(
                op.signed,
                op.bits,
                get_field(&s, op.offset, op.bits),
            ));
        }
        return;
    };
    if read_only {
        return c.reply.err("BITFIELD_RO only supports the GET subcommand");
    }
    let (mut s, existed) = match srv.dbs[c.db].lookup(key, now) {
        Some(o) if !o.v.is_string() => return c.reply.err_code(WRONGTYPE),
        Some(o) => (super::strings::take_bytes(&mut o.v), true),
        None => (Vec::new(), false),
    };
    let need = (highest >> 3) as usize + 1;
    let grew = s.len() < need;
    if grew {
        s.resize(need, 0);
    }
    c.reply.array_len(ops.len());
    let mut changes = 0u64;
    for op in &ops {
        let old_raw = get_field(&s, op.offset, op.bits);
        let old = as_int(op.signed, op.bits, old_raw);
        if op.kind == Kind::Get {
            c.reply.int(old);
            continue;
        }
        let (base, incr) = match op.kind {
            Kind::IncrBy => (old, op.value),
            _ => (op.value, 0),
        };
        let (new, overflowed) = if op.signed {
            signed_overflow(base, incr, op.bits, op.overflow)
        } else {
            let (v, o) = unsigned_overflow(base as u64, incr, op.bits, op.overflow);
            (v as i64, o)
        };
        if overflowed && op.overflow == Overflow::Fail {
            c.reply.null();
            continue;
        }
        c.reply.int(if op.kind == Kind::Set { old } else { new });
        let new_raw = new as u64 & mask(op.bits);
        set_field(&mut s, op.offset, op.bits, new_raw);
        if grew || !existed || old_raw != new_raw {
            changes += 1;
        }
    }
    store_bytes(srv, c.db, key, s, existed);
    if !existed {
        srv.notify(c, notify::NEW, "new", key, c.db);
    }
    if changes > 0 {
        srv.dirty += changes;
        srv.signal_modified_key(c.db, key);
        srv.notify(c, notify::STRING, "setbit", key, c.db);
    }
}

fn mask(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The field's raw bits, right-aligned.
fn get_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..bits as u64 {
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let bit = byte < s.len() && s[byte] & (1 << (7 - (pos & 7))) != 0;
        v = (v << 1) | bit as u64;
    }
    v
}

fn set_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let pos = offset + i;
        let byte = (pos >> 3) as usize;
        let m = 1u8 << (7 - (pos & 7));
        if value >> (bits as u64 - 1 - i) & 1 == 1 {
            s[byte] |= m;
        } else {
            s[byte] &= !m;
        }
    }
}

/// The raw field as the integer the client sees.
fn as_int(signed: bool, bits: u32, raw: u64) -> i64 {
    if signed && bits < 64 && raw >> (bits - 1) & 1 == 1 {
        (raw | !mask(bits)) as i64
    } else {
        raw as i64
    }
}

/// `value + incr` for a signed field of `bits` under `ow`; true when it
/// did not fit (Redis's checkSignedBitfieldOverflow). WRAP keeps the low
/// bits, sign-extended.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> (i64, bool) {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let sum = value as i128 + incr as i128;
    if (min as i128..=max as i128).contains(&sum) {
        return (sum as i64, false);
    }
    let out = match ow {
        Overflow::Sat if sum > max as i128 => max,
        Overflow::Sat => min,
        _ => as_int(
            true,
            bits,
            (value as u64).wrapping_add(incr as u64) & mask(bits),
        ),
    };
    (out, true)
}

/// The same for an unsigned field (checkUnsignedBitfieldOverflow): a
/// negative SET value is a huge one.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> (u64, bool) {
    let max = mask(bits);
    let over = value > max || (incr > 0 && incr as u64 > max - value);
    let under = !over && incr < 0 && incr.unsigned_abs() > value;
    if !over && !under {
        return (value.wrapping_add(incr as u64), false);
    }
    let out = match ow {
        Overflow::Sat if over => max,
        Overflow::Sat => 0,
        _ => value.wrapping_add(incr as u64) & max,
    };
    (out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_at_any_offset() {
        let mut s = vec![0u8; 10];
        set_field(&mut s, 5, 13, 0x1abc);
        assert_eq!(get_field(&s, 5, 13), 0x1abc);
        set_field(&mut s, 0, 64, u64::MAX - 5);
        assert_eq!(get_field(&s, 0, 64), u64::MAX - 5);
        assert_eq!(as_int(true, 4, 0b1111), -1);
        assert_eq!(as_int(true, 4, 0b0111), 7);
        assert_eq!(as_int(false, 4, 0b1111), 15);
    }

    #[test]
    fn types_parse_as_redis() {
        assert_eq!(parse_type(b"i64"), Some((true, 64)));
        assert_eq!(parse_type(b"u63"), Some((false, 63)));
        assert_eq!(parse_type(b"u64"), None);
        assert_eq!(parse_type(b"I8"), None);
        assert_eq!(parse_type(b"i0"), None);
    }
}
