//! `cmsgpack`: MessagePack pack/unpack as lua-cmsgpack (the version Redis
//! ships): integers in their smallest encoding, floats as float32 when
//! exact else float64, tables as arrays when their keys are exactly 1..n,
//! nesting cut at 16 levels (deeper values become nil).

use mlua::{Lua, MultiValue, Table, Value};

use super::{LibResult, check_bytes, lib_fn};

const MAX_NESTING: usize = 16;

fn pack_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2147483648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn pack_number(out: &mut Vec<u8>, n: f64) {
    if n.is_finite() && (n as i64) as f64 == n {
        pack_int(out, n as i64);
    } else if (n as f32) as f64 == n || n.is_nan() {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn pack_len(out: &mut Vec<u8>, n: usize, fix: u8, fix_max: usize, c16: u8, c32: u8) {
    if n <= fix_max {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(c16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(c32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// The array length if the table's keys are exactly 1..n.
fn is_array(t: &Table) -> Option<usize> {
    let mut count = 0usize;
    let mut max = 0usize;
    for (k, _) in t.pairs::<Value, Value>().flatten() {
        let n = match k {
            Value::Number(n) => n,
            Value::Integer(n) => n as f64,
            _ => return None,
        };
        if n < 1.0 || n.fract() != 0.0 {
            return None;
        }
        max = max.max(n as usize);
        count += 1;
    }
    (max == count).then_some(max)
}

fn pack(out: &mut Vec<u8>, v: &Value, level: usize) {
    match v {
        Value::Nil => out.push(0xc0),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => pack_int(out, *n),
        Value::Number(n) => pack_number(out, *n),
        Value::String(s) => {
            let b = s.as_bytes();
            let n = b.len();
            if n < 32 {
                out.push(0xa0 | n as u8);
            } else if n <= 0xff {
                out.extend_from_slice(&[0xd9, n as u8]);
            } else if n <= 0xffff {
                out.push(0xda);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            } else {
                out.push(0xdb);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            out.extend_from_slice(&b);
        }
        Value::Table(t) if level < MAX_NESTING => match is_array(t) {
            Some(n) => {
                pack_len(out, n, 0x90, 15, 0xdc, 0xdd);
                for i in 1..=n {
                    let v: Value = t.raw_get(i).unwrap_or(Value::Nil);
                    pack(out, &v, level + 1);
                }
            }
            None => {
                let pairs: Vec<(Value, Value)> = t.pairs().flatten().collect();
                pack_len(out, pairs.len(), 0x80, 15, 0xde, 0xdf);
                for (k, v) in &pairs {
                    pack(out, k, level + 1);
                    pack(out, v, level + 1);
                }
            }
        },
        _ => out.push(0xc0),
    }
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

const MISSING: &str = "Missing bytes in input.";
const BAD: &str = "Bad data format in input.";

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.s.len() - self.pos < n {
            return Err(MISSING.into());
        }
        let b = &self.s[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    fn uint(&mut self, n: usize) -> Result<u64, String> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }

    fn value(&mut self, lua: &Lua) -> Result<Value, String> {
        let e = |e: mlua::Error| e.to_string();
        let c = self.take(1)?[0];
        let num = |n: f64| Ok(Value::Number(n));
        match c {
            0x00..=0x7f => num(c as f64),
            0xe0..=0xff => num(c as i8 as f64),
            0xc0 => Ok(Value::Nil),
            0xc2 => Ok(Value::Boolean(false)),
            0xc3 => Ok(Value::Boolean(true)),
            0xcc => num(self.uint(1)? as f64),
            0xcd => num(self.uint(2)? as f64),
            0xce => num(self.uint(4)? as f64),
            0xcf => num(self.uint(8)? as f64),
            0xd0 => num(self.uint(1)? as u8 as i8 as f64),
            0xd1 => num(self.uint(2)? as u16 as i16 as f64),
            0xd2 => num(self.uint(4)? as u32 as i32 as f64),
            0xd3 => num(self.uint(8)? as i64 as f64),
            0xca => num(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => num(f64::from_bits(self.uint(8)?)),
            0xa0..=0xbf | 0xd9 | 0xda | 0xdb | 0xc4 | 0xc5 | 0xc6 => {
                let n = match c {
                    0xa0..=0xbf => (c & 0x1f) as usize,
                    0xd9 | 0xc4 => self.uint(1)? as usize,
                    0xda | 0xc5 => self.uint(2)? as usize,
                    _ => self.uint(4)? as usize,
                };
                let b = self.take(n)?;
                Ok(Value::String(lua.create_string(b).map_err(e)?))
            }
            0x90..=0x9f | 0xdc | 0xdd => {
                let n = match c {
                    0x90..=0x9f => (c & 0xf) as usize,
                    0xdc => self.uint(2)? as usize,
                    _ => self.uint(4)? as usize,
                };
                let t = lua.create_table().map_err(e)?;
                for i in 1..=n {
                    let v = self.value(lua)?;
                    t.raw_set(i, v).map_err(e)?;
                }
                Ok(Value::Table(t))
            }
            0x80..=0x8f | 0xde | 0xdf => {
                let n = match c {
                    0x80..=0x8f => (c & 0xf) as usize,
                    0xde => self.uint(2)? as usize,
                    _ => self.uint(4)? as usize,
                };
                let t = lua.create_table().map_err(e)?;
                for _ in 0..n {
                    let k = self.value(lua)?;
                    let v = self.value(lua)?;
                    if !k.is_nil() {
                        t.raw_set(k, v).map_err(e)?;
                    }
                }
                Ok(Value::Table(t))
            }
            _ => Err(BAD.into()),
        }
    }
}

/// Decode up to `limit` objects (0 = all) from `offset`: the values, and
/// the offset after them (-1 at the end of the input).
fn unpack(lua: &Lua, s: &[u8], limit: usize, offset: usize, with_offset: bool) -> LibResult {
    let mut r = Reader { s, pos: offset };
    let mut out = MultiValue::new();
    let mut count = 0;
    while r.pos < s.len() && (limit == 0 || count < limit) {
        out.push_back(r.value(lua)?);
        count += 1;
    }
    if with_offset {
        let next = if r.pos >= s.len() { -1.0 } else { r.pos as f64 };
        out.push_front(Value::Number(next));
    }
    Ok(out)
}

fn int_arg(a: &MultiValue, i: usize, f: &str) -> Result<usize, String> {
    match a.get(i) {
        None | Some(Value::Nil) => Ok(0),
        _ => Ok(super::check_number(a, i, f)?.max(0.0) as usize),
    }
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "pack",
        lib_fn(lua, |lua, a| {
            if a.is_empty() {
                return Err("MessagePack pack needs input.".into());
            }
            let mut out = Vec::new();
            for v in a.iter() {
                pack(&mut out, v, 0);
            }
            super::one(Value::String(
                lua.create_string(&out).map_err(|e| e.to_string())?,
            ))
        })?,
    )?;
    t.set(
        "unpack",
        lib_fn(lua, |lua, a| {
            let s = check_bytes(&a, 0, "unpack")?;
            unpack(lua, &s, 0, 0, false)
        })?,
    )?;
    t.set(
        "unpack_one",
        lib_fn(lua, |lua, a| {
            let s = check_bytes(&a, 0, "unpack_one")?;
            let offset = int_arg(&a, 1, "unpack_one")?;
            unpack(lua, &s, 1, offset, true)
        })?,
    )?;
    t.set(
        "unpack_limit",
        lib_fn(lua, |lua, a| {
            let s = check_bytes(&a, 0, "unpack_limit")?;
            let limit = int_arg(&a, 1, "unpack_limit")?;
            let offset = int_arg(&a, 2, "unpack_limit")?;
            unpack(lua, &s, limit, offset, true)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let mut out = Vec::new();
        pack_number(&mut out, 0.1);
        assert_eq!(out[0], 0xcb);
        let mut out = Vec::new();
        pack_number(&mut out, -1099511627776.0);
        assert_eq!(out, [0xd3, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0]);
    }
}
