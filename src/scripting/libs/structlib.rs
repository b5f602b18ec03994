//! `struct`: Roberto Ierusalimschy's binary packing library as Redis ships
//! it: `pack(fmt, ...)`, `unpack(fmt, s [, pos])`, `size(fmt)`, with the
//! format letters `<` `>` `=` `!n` `x` `b` `B` `h` `H` `l` `L` `T` `i[n]`
//! `I[n]` `f` `d` `s` `c[n]` and spaces.

use mlua::{Lua, MultiValue, Table, Value};

use super::{LibResult, check_bytes, check_number, lib_fn};

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;

struct Fmt<'a> {
    f: &'a [u8],
    pos: usize,
    little: bool,
    align: usize,
}

enum Item {
    Pad,
    Int { size: usize, signed: bool },
    Float,
    Double,
    Str0,
    Chars(Option<usize>),
}

impl Fmt<'_> {
    fn num(&mut self) -> Option<usize> {
        let start = self.pos;
        while self.pos < self.f.len() && self.f[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        std::str::from_utf8(&self.f[start..self.pos])
            .ok()?
            .parse()
            .ok()
    }

    fn size_opt(&mut self, default: usize) -> Result<usize, String> {
        let n = self.num().unwrap_or(default);
        if n > MAXINTSIZE || n == 0 {
            return Err(format!("integral size {n} out of limits [1,{MAXINTSIZE}]"));
        }
        Ok(n)
    }

    /// The next item, handling the options that change endianness and
    /// alignment; None at the end.
    fn next(&mut self) -> Result<Option<(Item, usize)>, String> {
        while self.pos < self.f.len() {
            let c = self.f[self.pos];
            self.pos += 1;
            let item = match c {
                b' ' => continue,
                b'<' => {
                    self.little = true;
                    continue;
                }
                b'>' => {
                    self.little = false;
                    continue;
                }
                b'=' => {
                    self.little = cfg!(target_endian = "little");
                    continue;
                }
                b'!' => {
                    let a = self.num().unwrap_or(MAXALIGN);
                    if !a.is_power_of_two() {
                        return Err(format!("alignment {a} is not a power of 2"));
                    }
                    self.align = a;
                    continue;
                }
                b'x' => (Item::Pad, 1),
                b'b' => (
                    Item::Int {
                        size: 1,
                        signed: true,
                    },
                    1,
                ),
                b'B' => (
                    Item::Int {
                        size: 1,
                        signed: false,
                    },
                    1,
                ),
                b'h' => (
                    Item::Int {
                        size: 2,
                        signed: true,
                    },
                    2,
                ),
                b'H' => (
                    Item::Int {
                        size: 2,
                        signed: false,
                    },
                    2,
                ),
                b'l' => (
                    Item::Int {
                        size: 8,
                        signed: true,
                    },
                    8,
                ),
                b'L' => (
                    Item::Int {
                        size: 8,
                        signed: false,
                    },
                    8,
                ),
                b'T' => (
                    Item::Int {
                        size: 8,
                        signed: false,
                    },
                    8,
                ),
                b'i' => {
                    let n = self.size_opt(4)?;
                    (
                        Item::Int {
                            size: n,
                            signed: true,
                        },
                        n,
                    )
                }
                b'I' => {
                    let n = self.size_opt(4)?;
                    (
                        Item::Int {
                            size: n,
                            signed: false,
                        },
                        n,
                    )
                }
                b'f' => (Item::Float, 4),
                b'd' => (Item::Double, 8),
                b's' => (Item::Str0, 0),
                b'c' => {
                    let n = self.num();
                    (Item::Chars(n), n.unwrap_or(0))
                }
                other => {
                    return Err(format!("invalid format option '{}'", other as char));
                }
            };
            return Ok(Some(item));
        }
        Ok(None)
    }

    /// Padding needed before an item of `size` at offset `len`.
    fn gap(&self, item: &Item, size: usize, len: usize) -> usize {
        if matches!(item, Item::Chars(_) | Item::Str0 | Item::Pad) {
            return 0;
        }
        let a = size.min(self.align);
        if a <= 1 {
            0
        } else {
            (a - (len & (a - 1))) & (a - 1)
        }
    }
}

fn new_fmt(f: &[u8]) -> Fmt<'_> {
    Fmt {
        f,
        pos: 0,
        little: cfg!(target_endian = "little"),
        align: 1,
    }
}

fn put_int(out: &mut Vec<u8>, v: i64, size: usize, little: bool) {
    let mut bytes = vec![0u8; size];
    let mut x = v as u64;
    for b in bytes.iter_mut() {
        *b = x as u8;
        // Sign-extend past 8 bytes.
        x = if size > 8 {
            ((x as i64) >> 8) as u64
        } else {
            x >> 8
        };
    }
    if !little {
        bytes.reverse();
    }
    out.extend_from_slice(&bytes);
}

fn pack(lua: &Lua, a: &MultiValue) -> LibResult {
    let fs = check_bytes(a, 0, "pack")?;
    let mut f = new_fmt(&fs);
    let mut out = Vec::new();
    let mut arg = 1;
    while let Some((item, size)) = f.next()? {
        let gap = f.gap(&item, size, out.len());
        out.resize(out.len() + gap, 0);
        match item {
            Item::Pad => out.push(0),
            Item::Int { size, .. } => {
                let n = check_number(a, arg, "pack")?;
                arg += 1;
                put_int(&mut out, n as i64, size, f.little);
            }
            Item::Float => {
                let n = check_number(a, arg, "pack")? as f32;
                arg += 1;
                let b = if f.little {
                    n.to_le_bytes()
                } else {
                    n.to_be_bytes()
                };
                out.extend_from_slice(&b);
            }
            Item::Double => {
                let n = check_number(a, arg, "pack")?;
                arg += 1;
                let b = if f.little {
                    n.to_le_bytes()
                } else {
                    n.to_be_bytes()
                };
                out.extend_from_slice(&b);
            }
            Item::Chars(n) => {
                let s = check_bytes(a, arg, "pack")?;
                arg += 1;
                let n = n.unwrap_or(s.len());
                if s.len() < n {
                    return Err(format!(
                        "bad argument #{} to 'pack' (string too short)",
                        arg
                    ));
                }
                out.extend_from_slice(&s[..n]);
            }
            Item::Str0 => {
                let s = check_bytes(a, arg, "pack")?;
                arg += 1;
                if s.contains(&0) {
                    return Err(format!(
                        "bad argument #{} to 'pack' (string contains zeros)",
                        arg
                    ));
                }
                out.extend_from_slice(&s);
                out.push(0);
            }
        }
    }
    super::one(Value::String(
        lua.create_string(&out).map_err(|e| e.to_string())?,
    ))
}

fn unpack(lua: &Lua, a: &MultiValue) -> LibResult {
    let fs = check_bytes(a, 0, "unpack")?;
    let data = check_bytes(a, 1, "unpack")?;
    let mut pos = match a.get(2) {
        None | Some(Value::Nil) => 0,
        _ => {
            let p = check_number(a, 2, "unpack")? as i64;
            if p < 1 {
                return Err("bad argument #3 to 'unpack' (offset must be 1 or greater)".into());
            }
            (p - 1) as usize
        }
    };
    let mut f = new_fmt(&fs);
    let mut out = MultiValue::new();
    let too_short = || "bad argument #2 to 'unpack' (data string too short)".to_string();
    let e = |e: mlua::Error| e.to_string();
    while let Some((item, size)) = f.next()? {
        pos += f.gap(&item, size, pos);
        if pos + size > data.len() {
            return Err(too_short());
        }
        match item {
            Item::Pad => pos += 1,
            Item::Int { size, signed } => {
                let mut b = data[pos..pos + size].to_vec();
                if !f.little {
                    b.reverse();
                }
                let mut x: u64 = 0;
                for (i, byte) in b.iter().enumerate().take(8) {
                    x |= (*byte as u64) << (8 * i);
                }
                let v = if signed && size < 8 {
                    let shift = 64 - 8 * size as u32;
                    (((x << shift) as i64) >> shift) as f64
                } else if signed {
                    x as i64 as f64
                } else {
                    x as f64
                };
                out.push_back(Value::Number(v));
                pos += size;
            }
            Item::Float => {
                let b: [u8; 4] = data[pos..pos + 4].try_into().unwrap_or_default();
                let v = if f.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                out.push_back(Value::Number(v as f64));
                pos += 4;
            }
            Item::Double => {
                let b: [u8; 8] = data[pos..pos + 8].try_into().unwrap_or_default();
                let v = if f.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                out.push_back(Value::Number(v));
                pos += 8;
            }
            Item::Chars(n) => {
                let n = match n {
                    Some(n) => n,
                    // c0: the length is the previous value read.
                    None => match out.pop_back() {
                        Some(Value::Number(n)) => n as usize,
                        _ => return Err("format 'c0' needs a previous size".into()),
                    },
                };
                if pos + n > data.len() {
                    return Err(too_short());
                }
                out.push_back(Value::String(
                    lua.create_string(&data[pos..pos + n]).map_err(e)?,
                ));
                pos += n;
            }
            Item::Str0 => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err("unfinished string in data".into());
                };
                out.push_back(Value::String(
                    lua.create_string(&data[pos..pos + end]).map_err(e)?,
                ));
                pos += end + 1;
            }
        }
    }
    out.push_back(Value::Number((pos + 1) as f64));
    Ok(out)
}

fn size(a: &MultiValue) -> LibResult {
    let fs = check_bytes(a, 0, "size")?;
    let mut f = new_fmt(&fs);
    let mut total = 0usize;
    while let Some((item, size)) = f.next()? {
        if matches!(item, Item::Str0) || matches!(item, Item::Chars(None)) {
            return Err("options 'c0' - 's' have undefined sizes".into());
        }
        total += f.gap(&item, size, total) + size;
    }
    super::one(Value::Number(total as f64))
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lib_fn(lua, |lua, a| pack(lua, &a))?)?;
    t.set("unpack", lib_fn(lua, |lua, a| unpack(lua, &a))?)?;
    t.set("size", lib_fn(lua, |_, a| size(&a))?)?;
    Ok(t)
}
