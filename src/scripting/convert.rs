//! Conversions between Redis replies and Lua values, as Redis's
//! script_lua.c does them.
//!
//! Command replies (RESP2 or RESP3 bytes from the Lua client's buffer) become
//! Lua values: integers numbers, bulk strings strings, nulls `false` (RESP2)
//! or `nil` (RESP3 null), status `{ok=}`, errors `{err=}`, arrays tables,
//! RESP3 maps `{map=}`, sets `{set=}`, doubles `{double=}`, big numbers
//! `{big_number=}`, verbatim strings `{verbatim_string={format=,string=}}`.
//! A script's return value goes the other way into the caller's reply.

use bytes::Bytes;
use mlua::{Lua, Table, Value};

use crate::resp::Reply;

/// A Lua array of byte strings (KEYS, ARGV).
pub fn bytes_array(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, b) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(b)?)?;
    }
    Ok(t)
}

/// Redis's luaPushErrorBuff: `-CODE msg` keeps its code, anything else gets
/// `ERR`; the table is `{err="CODE msg"}`.
pub fn error_table(lua: &Lua, buf: &str, ignore_stats: bool) -> mlua::Result<Table> {
    let (code, msg) = match buf.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code, msg),
            None => ("ERR", rest),
        },
        None => ("ERR", buf),
    };
    let msg = msg.trim_matches(|c| c == '\r' || c == '\n');
    let t = lua.create_table()?;
    t.raw_set("err", format!("{code} {msg}"))?;
    if ignore_stats {
        t.raw_set("ignore_error_stats_update", true)?;
    }
    Ok(t)
}

/// Parse one reply from `buf` at `*pos` into a Lua value.
pub fn reply_to_lua(lua: &Lua, buf: &[u8], pos: &mut usize) -> mlua::Result<Value> {
    let line_end = |p: usize| -> usize {
        buf[p..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|i| p + i)
            .unwrap_or(buf.len())
    };
    let kind = buf[*pos];
    let end = line_end(*pos + 1);
    let line = &buf[*pos + 1..end];
    *pos = (end + 2).min(buf.len());
    let num = || crate::util::num::parse_i64(line).unwrap_or(0);
    Ok(match kind {
        b':' => Value::Number(num() as f64),
        b'$' | b'=' => {
            let n = num();
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let n = n as usize;
            let data = &buf[*pos..*pos + n];
            *pos += n + 2;
            if kind == b'=' {
                let t = lua.create_table()?;
                t.raw_set("format", lua.create_string(&data[..3.min(data.len())])?)?;
                t.raw_set("string", lua.create_string(data.get(4..).unwrap_or(b""))?)?;
                let outer = lua.create_table()?;
                outer.raw_set("verbatim_string", t)?;
                Value::Table(outer)
            } else {
                Value::String(lua.create_string(data)?)
            }
        }
        b'+' => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(line)?)?;
            Value::Table(t)
        }
        b'-' => {
            let text = format!("-{}", String::from_utf8_lossy(line));
            Value::Table(error_table(lua, &text, true)?)
        }
        b'*' | b'~' | b'%' | b'>' | b'|' => {
            let n = num();
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let n = n as usize;
            match kind {
                b'%' | b'|' => {
                    let m = lua.create_table()?;
                    for _ in 0..n {
                        let k = reply_to_lua(lua, buf, pos)?;
                        let v = reply_to_lua(lua, buf, pos)?;
                        m.raw_set(k, v)?;
                    }
                    if kind == b'|' {
                        // Attributes are read and dropped; the reply follows.
                        return reply_to_lua(lua, buf, pos);
                    }
                    let t = lua.create_table()?;
                    t.raw_set("map", m)?;
                    Value::Table(t)
                }
                b'~' => {
                    let s = lua.create_table()?;
                    for _ in 0..n {
                        let k = reply_to_lua(lua, buf, pos)?;
                        s.raw_set(k, true)?;
                    }
                    let t = lua.create_table()?;
                    t.raw_set("set", s)?;
                    Value::Table(t)
                }
                _ => {
                    let t = lua.create_table_with_capacity(n, 0)?;
                    for i in 1..=n {
                        let v = reply_to_lua(lua, buf, pos)?;
                        t.raw_set(i, v)?;
                    }
                    Value::Table(t)
                }
            }
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(line == b"t"),
        b',' => {
            let d = crate::util::num::parse_f64(line).unwrap_or(0.0);
            let t = lua.create_table()?;
            t.raw_set("double", d)?;
            Value::Table(t)
        }
        b'(' => {
            let t = lua.create_table()?;
            t.raw_set("big_number", lua.create_string(line)?)?;
            Value::Table(t)
        }
        _ => Value::Nil,
    })
}

/// The fields of a Lua error table (luaExtractErrorInformation).
#[derive(Default, Debug)]
pub struct ErrorInfo {
    pub msg: String,
    pub source: Option<String>,
    pub line: Option<String>,
    pub ignore_stats: bool,
}

fn lua_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string_lossy()),
        Value::Number(n) => Some(lua_number_text(*n)),
        Value::Integer(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number as Lua's tostring writes it (`%.14g`).
pub fn lua_number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    format!("{n}")
}

impl ErrorInfo {
    pub fn from_value(v: &Value) -> ErrorInfo {
        match v {
            Value::Table(t) => {
                let get = |k: &str| t.raw_get::<Value>(k).ok().and_then(|v| lua_text(&v));
                ErrorInfo {
                    msg: get("err").unwrap_or_default(),
                    source: get("source"),
                    line: get("line"),
                    ignore_stats: matches!(
                        t.raw_get::<Value>("ignore_error_stats_update"),
                        Ok(Value::Boolean(true))
                    ),
                }
            }
            other => ErrorInfo {
                msg: format!("ERR {}", lua_text(other).unwrap_or_default()),
                ..Default::default()
            },
        }
    }
}

/// Write an error reply; with `ignore_stats` it is not counted again (the
/// command that failed inside the script already was).
pub fn error_reply(r: &mut Reply, text: &str, ignore_stats: bool) {
    let text = text.strip_prefix('-').unwrap_or(text);
    r.err_code(text);
    if ignore_stats {
        r.errors -= 1;
    }
}

/// Redis's luaReplyToRedisReply: a script's value into the caller's reply.
/// `lua_resp` is the protocol the script chose with redis.setresp.
pub fn lua_to_reply(r: &mut Reply, lua_resp: u8, v: &Value) {
    to_reply(r, lua_resp, v, 0);
}

/// Nesting past which a reply is cut with an error (Redis runs out of Lua
/// stack there; a table that contains itself would never end).
const MAX_DEPTH: usize = 4000;

fn to_reply(r: &mut Reply, lua_resp: u8, v: &Value, depth: usize) {
    if depth > MAX_DEPTH {
        r.err("reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => r.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if lua_resp == 2 {
                if *b { r.int(1) } else { r.null() }
            } else {
                r.bool(*b)
            }
        }
        Value::Number(n) => r.int(n_to_i64(*n)),
        Value::Integer(n) => r.int(*n),
        Value::Table(t) => table_to_reply(r, lua_resp, t, depth + 1),
        _ => r.null(),
    }
}

/// C's `(long long)` cast of a double as x86 does it: out of range and NaN
/// give the minimum.
fn n_to_i64(n: f64) -> i64 {
    if n.is_nan() || !(-9.223372036854776e18..9.223372036854776e18).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn map_crlf(s: &[u8]) -> String {
    String::from_utf8_lossy(s).replace(['\r', '\n'], " ")
}

fn table_to_reply(r: &mut Reply, lua_resp: u8, t: &Table, depth: usize) {
    if let Ok(Value::String(_)) = t.raw_get::<Value>("err") {
        let e = ErrorInfo::from_value(&Value::Table(t.clone()));
        error_reply(r, &e.msg, e.ignore_stats);
        return;
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
        r.simple(&map_crlf(&s.as_bytes()));
        return;
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(d)) => return r.double(d),
        Ok(Value::Integer(d)) => return r.double(d as f64),
        _ => {}
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("big_number") {
        r.big_number(&map_crlf(&s.as_bytes()));
        return;
    }
    if let Ok(Value::Table(vt)) = t.raw_get::<Value>("verbatim_string")
        && let Ok(Value::String(f)) = vt.raw_get::<Value>("format")
        && let Ok(Value::String(s)) = vt.raw_get::<Value>("string")
    {
        r.verbatim(&s.as_bytes(), &f.to_string_lossy());
        return;
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let d = r.begin_deferred();
        let mut n = 0;
        for (k, v) in m.pairs::<Value, Value>().flatten() {
            to_reply(r, lua_resp, &k, depth);
            to_reply(r, lua_resp, &v, depth);
            n += 1;
        }
        r.end_deferred_map(d, n);
        return;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let d = r.begin_deferred();
        let mut n = 0;
        for (k, _) in s.pairs::<Value, Value>().flatten() {
            to_reply(r, lua_resp, &k, depth);
            n += 1;
        }
        r.end_deferred_set(d, n);
        return;
    }
    let d = r.begin_deferred();
    let mut n = 0;
    loop {
        match t.raw_get::<Value>(n + 1) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => to_reply(r, lua_resp, &v, depth),
        }
        n += 1;
    }
    r.end_deferred_array(d, n);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(lua: &Lua, proto: &[u8], resp: u8) -> Vec<u8> {
        let mut pos = 0;
        let v = reply_to_lua(lua, proto, &mut pos).unwrap();
        assert_eq!(pos, proto.len());
        let mut r = Reply::new();
        r.resp = resp;
        lua_to_reply(&mut r, resp, &v);
        r.buf
    }

    #[test]
    fn replies_round_trip() {
        let lua = Lua::new();
        assert_eq!(roundtrip(&lua, b":42\r\n", 2), b":42\r\n");
        assert_eq!(roundtrip(&lua, b"$3\r\nabc\r\n", 2), b"$3\r\nabc\r\n");
        assert_eq!(roundtrip(&lua, b"$-1\r\n", 2), b"$-1\r\n");
        assert_eq!(roundtrip(&lua, b"+OK\r\n", 2), b"+OK\r\n");
        assert_eq!(
            roundtrip(&lua, b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n", 2),
            b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"
        );
        assert_eq!(roundtrip(&lua, b",1.5\r\n", 3), b",1.5\r\n");
        assert_eq!(roundtrip(&lua, b"(123\r\n", 3), b"(123\r\n");
        assert_eq!(roundtrip(&lua, b"#t\r\n", 3), b"#t\r\n");
        assert_eq!(
            roundtrip(&lua, b"%1\r\n$1\r\na\r\n:1\r\n", 3),
            b"%1\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(
            roundtrip(&lua, b"~1\r\n$1\r\na\r\n", 3),
            b"~1\r\n$1\r\na\r\n"
        );
        assert_eq!(
            roundtrip(&lua, b"-WRONGTYPE bad\r\n", 2),
            b"-WRONGTYPE bad\r\n"
        );
    }

    #[test]
    fn lua_values_to_resp2() {
        let lua = Lua::new();
        let v: Value = lua
            .load("return {1, 2.9, 'x', false, nil, 4}")
            .eval()
            .unwrap();
        let mut r = Reply::new();
        lua_to_reply(&mut r, 2, &v);
        assert_eq!(r.buf, b"*4\r\n:1\r\n:2\r\n$1\r\nx\r\n$-1\r\n");
        let v: Value = lua.load("return {double=3.5}").eval().unwrap();
        let mut r = Reply::new();
        lua_to_reply(&mut r, 2, &v);
        assert_eq!(r.buf, b"$3\r\n3.5\r\n");
    }

    #[test]
    fn error_codes() {
        let lua = Lua::new();
        let t = error_table(&lua, "-My Error", false).unwrap();
        assert_eq!(t.raw_get::<String>("err").unwrap(), "My Error");
        let t = error_table(&lua, "-x", false).unwrap();
        assert_eq!(t.raw_get::<String>("err").unwrap(), "ERR x");
        let t = error_table(&lua, "plain words\r\n", false).unwrap();
        assert_eq!(t.raw_get::<String>("err").unwrap(), "ERR plain words");
    }
}
