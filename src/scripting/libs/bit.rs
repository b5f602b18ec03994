//! `bit`: LuaBitOp's 32-bit operations (band, bor, bxor, bnot, shifts,
//! rotations, bswap, tobit, tohex). Numbers are reduced to signed 32-bit
//! integers as LuaBitOp does: by adding 2^52 + 2^51 and keeping the low 32
//! bits of the double, i.e. rounding then wrapping modulo 2^32.

use mlua::{Lua, MultiValue, Table, Value};

use super::{LibResult, check_number, lib_fn, one};

fn tobit(n: f64) -> i32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

fn arg(args: &MultiValue, i: usize, f: &str) -> Result<i32, String> {
    check_number(args, i, f).map(tobit)
}

fn num(v: i32) -> LibResult {
    one(Value::Number(v as f64))
}

fn fold(args: &MultiValue, f: &str, op: fn(i32, i32) -> i32) -> LibResult {
    let mut acc = arg(args, 0, f)?;
    for i in 1..args.len() {
        acc = op(acc, arg(args, i, f)?);
    }
    num(acc)
}

fn shift(args: &MultiValue, f: &str, op: fn(u32, u32) -> u32) -> LibResult {
    let x = arg(args, 0, f)? as u32;
    let n = (arg(args, 1, f)? as u32) & 31;
    num(op(x, n) as i32)
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("tobit", lib_fn(lua, |_, a| num(arg(&a, 0, "tobit")?))?)?;
    t.set("bnot", lib_fn(lua, |_, a| num(!arg(&a, 0, "bnot")?))?)?;
    t.set("band", lib_fn(lua, |_, a| fold(&a, "band", |x, y| x & y))?)?;
    t.set("bor", lib_fn(lua, |_, a| fold(&a, "bor", |x, y| x | y))?)?;
    t.set("bxor", lib_fn(lua, |_, a| fold(&a, "bxor", |x, y| x ^ y))?)?;
    t.set(
        "lshift",
        lib_fn(lua, |_, a| shift(&a, "lshift", |x, n| x << n))?,
    )?;
    t.set(
        "rshift",
        lib_fn(lua, |_, a| shift(&a, "rshift", |x, n| x >> n))?,
    )?;
    t.set(
        "arshift",
        lib_fn(lua, |_, a| {
            shift(&a, "arshift", |x, n| ((x as i32) >> n) as u32)
        })?,
    )?;
    t.set(
        "rol",
        lib_fn(lua, |_, a| shift(&a, "rol", |x, n| x.rotate_left(n)))?,
    )?;
    t.set(
        "ror",
        lib_fn(lua, |_, a| shift(&a, "ror", |x, n| x.rotate_right(n)))?,
    )?;
    t.set(
        "bswap",
        lib_fn(lua, |_, a| num(arg(&a, 0, "bswap")?.swap_bytes()))?,
    )?;
    t.set(
        "tohex",
        lib_fn(lua, |lua, a| {
            let x = arg(&a, 0, "tohex")? as u32;
            let mut n = if a.len() > 1 { arg(&a, 1, "tohex")? } else { 8 };
            let upper = n < 0;
            if upper {
                n = -n;
            }
            let n = n.min(8) as usize;
            let s = if upper {
                format!("{x:08X}")
            } else {
                format!("{x:08x}")
            };
            one(Value::String(
                lua.create_string(&s[8 - n..]).map_err(|e| e.to_string())?,
            ))
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tobit_wraps_like_luabitop() {
        assert_eq!(tobit(4294967296.0 + 5.0), 5);
        assert_eq!(tobit(-1.0), -1);
        assert_eq!(tobit(2147483648.0), i32::MIN);
        assert_eq!(tobit(1.5), 2);
    }
}
