//! `cjson`: JSON encode/decode with lua-cjson 2.1's behaviour as Redis
//! ships it: `%.14g` numbers, `/` escaped, empty tables as `{}`, arrays
//! when every key is a positive integer (refusing excessively sparse ones),
//! `cjson.null` as a NULL light userdata, nesting limits of 1000, and the
//! same error texts.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use super::{LibResult, check_bytes, lib_fn, one};

/// The settings a script may change (`cjson.encode_max_depth(n)` & co).
struct Cfg {
    encode_max_depth: Cell<usize>,
    decode_max_depth: Cell<usize>,
    encode_invalid_numbers: Cell<bool>,
    decode_invalid_numbers: Cell<bool>,
    precision: Cell<usize>,
    keep_buffer: Cell<bool>,
}

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn fmt_g(n: f64, precision: usize) -> String {
    let mut buf = [0u8; 64];
    let fmt = format!("%.{precision}g\0");
    // SAFETY: snprintf into a stack buffer of its stated size.
    let len = unsafe {
        libc::snprintf(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            fmt.as_ptr() as *const libc::c_char,
            n,
        )
    };
    String::from_utf8_lossy(&buf[..len.max(0) as usize]).into_owned()
}

fn escape(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn encode_number(cfg: &Cfg, out: &mut Vec<u8>, n: f64) -> Result<(), String> {
    if (n.is_nan() || n.is_infinite()) && !cfg.encode_invalid_numbers.get() {
        return Err("Cannot serialise number: must not be NaN or Inf".into());
    }
    out.extend_from_slice(fmt_g(n, cfg.precision.get()).as_bytes());
    Ok(())
}

/// The array length of `t` if it is one (all keys positive integers),
/// `None` for an object; errors on excessively sparse arrays.
fn array_len(t: &Table) -> Result<Option<usize>, String> {
    let mut max = 0usize;
    let mut items = 0usize;
    for (k, _) in t.pairs::<Value, Value>().flatten() {
        let n = match k {
            Value::Number(n) => n,
            Value::Integer(n) => n as f64,
            _ => return Ok(None),
        };
        if n < 1.0 || n.fract() != 0.0 {
            return Ok(None);
        }
        max = max.max(n as usize);
        items += 1;
    }
    // lua-cjson's defaults: ratio 2, safe 10.
    if max > 10 && max > items * 2 {
        return Err("Cannot serialise table: excessively sparse array".into());
    }
    Ok(if max > 0 { Some(max) } else { None })
}

fn encode(cfg: &Cfg, out: &mut Vec<u8>, v: &Value, depth: usize) -> Result<(), String> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => encode_number(cfg, out, *n)?,
        Value::Integer(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => escape(out, &s.as_bytes()),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > cfg.encode_max_depth.get() {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_len(t)? {
                Some(len) => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let v: Value = t.raw_get(i).unwrap_or(Value::Nil);
                        encode(cfg, out, &v, depth)?;
                    }
                    out.push(b']');
                }
                None => {
                    out.push(b'{');
                    let mut first = true;
                    for (k, v) in t.pairs::<Value, Value>().flatten() {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::String(s) => escape(out, &s.as_bytes()),
                            Value::Number(n) => {
                                out.push(b'"');
                                encode_number(cfg, out, *n)?;
                                out.push(b'"');
                            }
                            Value::Integer(n) => {
                                out.extend_from_slice(format!("\"{n}\"").as_bytes())
                            }
                            _ => {
                                return Err(
                                    "Cannot serialise table: table key must be a number or string"
                                        .into(),
                                );
                            }
                        }
                        out.push(b':');
                        encode(cfg, out, &v, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                super::type_name(Some(other))
            ));
        }
    }
    Ok(())
}

/// The JSON decoder: a recursive descent over the bytes, reporting errors
/// as lua-cjson does ("Expected X but found Y at character N").
struct Decoder<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
    cfg: &'a Cfg,
}

enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

fn tok_name(t: &Tok) -> &'static str {
    match t {
        Tok::ObjBegin => "T_OBJ_BEGIN",
        Tok::ObjEnd => "T_OBJ_END",
        Tok::ArrBegin => "T_ARR_BEGIN",
        Tok::ArrEnd => "T_ARR_END",
        Tok::Str(_) => "T_STRING",
        Tok::Num(_) => "T_NUMBER",
        Tok::Bool(_) => "T_BOOLEAN",
        Tok::Null => "T_NULL",
        Tok::Colon => "T_COLON",
        Tok::Comma => "T_COMMA",
        Tok::End => "T_END",
        Tok::Error(e) => e,
    }
}

impl Decoder<'_> {
    /// Next token and the index it started at.
    fn next(&mut self) -> (Tok, usize) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = self.s.get(self.pos) else {
            return (Tok::End, start);
        };
        let single = |t| (t, start);
        match c {
            b'{' => {
                self.pos += 1;
                single(Tok::ObjBegin)
            }
            b'}' => {
                self.pos += 1;
                single(Tok::ObjEnd)
            }
            b'[' => {
                self.pos += 1;
                single(Tok::ArrBegin)
            }
            b']' => {
                self.pos += 1;
                single(Tok::ArrEnd)
            }
            b':' => {
                self.pos += 1;
                single(Tok::Colon)
            }
            b',' => {
                self.pos += 1;
                single(Tok::Comma)
            }
            b'"' => (self.string(), start),
            b'-' | b'0'..=b'9' => (self.number(), start),
            _ => {
                let rest = &self.s[self.pos..];
                for (word, tok) in [
                    (&b"true"[..], Tok::Bool(true)),
                    (b"false", Tok::Bool(false)),
                    (b"null", Tok::Null),
                ] {
                    if rest.starts_with(word) {
                        self.pos += word.len();
                        return (tok, start);
                    }
                }
                if self.cfg.decode_invalid_numbers.get() {
                    let lower = rest[..rest.len().min(3)].to_ascii_lowercase();
                    if lower == b"nan" || lower == b"inf" {
                        return (self.number(), start);
                    }
                }
                (Tok::Error("invalid token"), start)
            }
        }
    }

    fn number(&mut self) -> Tok {
        let rest = &self.s[self.pos..];
        let (neg, body) = match rest.first() {
            Some(b'-') => (true, &rest[1..]),
            _ => (false, rest),
        };
        if self.cfg.decode_invalid_numbers.get() {
            let lower = body[..body.len().min(8)].to_ascii_lowercase();
            let special = if lower.starts_with(b"infinity") {
                Some((f64::INFINITY, 8))
            } else if lower.starts_with(b"inf") {
                Some((f64::INFINITY, 3))
            } else if lower.starts_with(b"nan") {
                Some((f64::NAN, 3))
            } else {
                None
            };
            if let Some((n, len)) = special {
                self.pos += len + neg as usize;
                return Tok::Num(if neg { -n } else { n });
            }
        }
        let len = rest
            .iter()
            .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
            .unwrap_or(rest.len());
        let text = std::str::from_utf8(&rest[..len]).unwrap_or("");
        match text.parse::<f64>() {
            Ok(n) => {
                self.pos += len;
                Tok::Num(n)
            }
            Err(_) => Tok::Error("invalid number"),
        }
    }

    fn string(&mut self) -> Tok {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return Tok::Error("unexpected end of string");
            };
            self.pos += 1;
            match c {
                b'"' => return Tok::Str(out),
                b'\\' => {
                    let Some(&e) = self.s.get(self.pos) else {
                        return Tok::Error("unexpected end of string");
                    };
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => match self.unicode() {
                            Some(ch) => {
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            }
                            None => return Tok::Error("invalid unicode escape code"),
                        },
                        _ => return Tok::Error("invalid escape code"),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.pos..self.pos + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        self.pos += 4;
        Some(v)
    }

    fn unicode(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        if (0xd800..0xdc00).contains(&hi) {
            if self.s.get(self.pos..self.pos + 2)? != b"\\u" {
                return None;
            }
            self.pos += 2;
            let lo = self.hex4()?;
            if !(0xdc00..0xe000).contains(&lo) {
                return None;
            }
            return char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
        }
        char::from_u32(hi)
    }

    fn error(&self, expected: &str, tok: &Tok, at: usize) -> String {
        format!(
            "Expected {} but found {} at character {}",
            expected,
            tok_name(tok),
            at + 1
        )
    }

    fn value(&mut self, lua: &Lua, tok: Tok, at: usize) -> Result<Value, String> {
        let lerr = |e: mlua::Error| e.to_string();
        match tok {
            Tok::Str(s) => Ok(Value::String(lua.create_string(&s).map_err(lerr)?)),
            Tok::Num(n) => Ok(Value::Number(n)),
            Tok::Bool(b) => Ok(Value::Boolean(b)),
            Tok::Null => Ok(null()),
            Tok::ObjBegin | Tok::ArrBegin => {
                self.depth += 1;
                if self.depth > self.cfg.decode_max_depth.get() {
                    return Err(format!(
                        "Found too many nested data structures ({}) at character {}",
                        self.depth,
                        at + 1
                    ));
                }
                let t = lua.create_table().map_err(lerr)?;
                if matches!(tok, Tok::ObjBegin) {
                    self.object(lua, &t)?;
                } else {
                    self.array(lua, &t)?;
                }
                self.depth -= 1;
                Ok(Value::Table(t))
            }
            other => Err(self.error("value", &other, at)),
        }
    }

    fn object(&mut self, lua: &Lua, t: &Table) -> Result<(), String> {
        let (mut tok, mut at) = self.next();
        if matches!(tok, Tok::ObjEnd) {
            return Ok(());
        }
        loop {
            let Tok::Str(key) = tok else {
                return Err(self.error("object key string", &tok, at));
            };
            let (colon, cat) = self.next();
            if !matches!(colon, Tok::Colon) {
                return Err(self.error("colon", &colon, cat));
            }
            let (vt, vat) = self.next();
            let v = self.value(lua, vt, vat)?;
            let k = lua.create_string(&key).map_err(|e| e.to_string())?;
            t.raw_set(k, v).map_err(|e| e.to_string())?;
            let (sep, sat) = self.next();
            match sep {
                Tok::ObjEnd => return Ok(()),
                Tok::Comma => {}
                other => return Err(self.error("comma or object end", &other, sat)),
            }
            (tok, at) = self.next();
        }
    }

    fn array(&mut self, lua: &Lua, t: &Table) -> Result<(), String> {
        let (mut tok, mut at) = self.next();
        if matches!(tok, Tok::ArrEnd) {
            return Ok(());
        }
        let mut i = 1;
        loop {
            let v = self.value(lua, tok, at)?;
            t.raw_set(i, v).map_err(|e| e.to_string())?;
            i += 1;
            let (sep, sat) = self.next();
            match sep {
                Tok::ArrEnd => return Ok(()),
                Tok::Comma => {}
                other => return Err(self.error("comma or array end", &other, sat)),
            }
            (tok, at) = self.next();
        }
    }
}

fn decode(lua: &Lua, cfg: &Cfg, s: &[u8]) -> LibResult {
    let mut d = Decoder {
        s,
        pos: 0,
        depth: 0,
        cfg,
    };
    let (tok, at) = d.next();
    let v = d.value(lua, tok, at)?;
    let (end, eat) = d.next();
    if !matches!(end, Tok::End) {
        return Err(d.error("the end", &end, eat));
    }
    one(v)
}

/// A setting function: `f(n)` sets it, and the current value is returned.
fn setting_int(
    lua: &Lua,
    cfg: &Rc<Cfg>,
    name: &'static str,
    get: fn(&Cfg) -> &Cell<usize>,
    range: (usize, usize),
) -> mlua::Result<mlua::Function> {
    let cfg = cfg.clone();
    lib_fn(lua, move |_, a: MultiValue| {
        if let Some(v) = a.front().filter(|v| !v.is_nil()) {
            let n = match v {
                Value::Number(n) => *n as i64,
                Value::Integer(n) => *n,
                _ => return Err(super::arg_error(0, name, "number", Some(v))),
            };
            if n < range.0 as i64 || n > range.1 as i64 {
                return Err(format!(
                    "bad argument #1 to '{name}' (expected integer between {} and {})",
                    range.0, range.1
                ));
            }
            get(&cfg).set(n as usize);
        }
        one(Value::Number(get(&cfg).get() as f64))
    })
}

fn setting_bool(
    lua: &Lua,
    cfg: &Rc<Cfg>,
    get: fn(&Cfg) -> &Cell<bool>,
) -> mlua::Result<mlua::Function> {
    let cfg = cfg.clone();
    lib_fn(lua, move |_, a: MultiValue| {
        if let Some(v) = a.front().filter(|v| !v.is_nil()) {
            let on = match v {
                Value::Boolean(b) => *b,
                Value::String(s) => &*s.as_bytes() == b"on",
                _ => true,
            };
            get(&cfg).set(on);
        }
        one(Value::Boolean(get(&cfg).get()))
    })
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let cfg = Rc::new(Cfg {
        encode_max_depth: Cell::new(1000),
        decode_max_depth: Cell::new(1000),
        encode_invalid_numbers: Cell::new(false),
        decode_invalid_numbers: Cell::new(true),
        precision: Cell::new(14),
        keep_buffer: Cell::new(true),
    });
    let t = lua.create_table()?;
    let c = cfg.clone();
    t.set(
        "encode",
        lib_fn(lua, move |lua, a| {
            if a.len() != 1 {
                return Err("bad argument #1 to 'encode' (expected 1 argument)".into());
            }
            let mut out = Vec::new();
            encode(&c, &mut out, &a[0], 0)?;
            one(Value::String(
                lua.create_string(&out).map_err(|e| e.to_string())?,
            ))
        })?,
    )?;
    let c = cfg.clone();
    t.set(
        "decode",
        lib_fn(lua, move |lua, a| {
            if a.len() != 1 {
                return Err("bad argument #1 to 'decode' (expected 1 argument)".into());
            }
            let s = check_bytes(&a, 0, "decode")?;
            decode(lua, &c, &s)
        })?,
    )?;
    t.set(
        "encode_max_depth",
        setting_int(
            lua,
            &cfg,
            "encode_max_depth",
            |c| &c.encode_max_depth,
            (1, i32::MAX as usize),
        )?,
    )?;
    t.set(
        "decode_max_depth",
        setting_int(
            lua,
            &cfg,
            "decode_max_depth",
            |c| &c.decode_max_depth,
            (1, i32::MAX as usize),
        )?,
    )?;
    t.set(
        "encode_number_precision",
        setting_int(
            lua,
            &cfg,
            "encode_number_precision",
            |c| &c.precision,
            (1, 14),
        )?,
    )?;
    t.set(
        "encode_invalid_numbers",
        setting_bool(lua, &cfg, |c| &c.encode_invalid_numbers)?,
    )?;
    t.set(
        "decode_invalid_numbers",
        setting_bool(lua, &cfg, |c| &c.decode_invalid_numbers)?,
    )?;
    t.set(
        "encode_keep_buffer",
        setting_bool(lua, &cfg, |c| &c.keep_buffer)?,
    )?;
    t.set("null", null())?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode() {
        let lua = Lua::new();
        let cj = open(&lua).unwrap();
        lua.globals().set("cjson", cj).unwrap();
        let s: String = lua
            .load(r#"return cjson.encode({1, 2, {a = "x/y"}, 3.5})"#)
            .eval()
            .unwrap();
        assert_eq!(s, r#"[1,2,{"a":"x\/y"},3.5]"#);
        let s: String = lua.load("return cjson.encode({})").eval().unwrap();
        assert_eq!(s, "{}");
        let s: String = lua
            .load(r#"return table.concat(cjson.decode("[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]"), " ")"#)
            .eval()
            .unwrap();
        assert_eq!(s, "0 -5000 -1 0.0003 1023.2 0");
        let r: mlua::Result<Value> = lua.load("return cjson.decode('{')").eval();
        assert!(
            r.unwrap_err()
                .to_string()
                .contains("Expected object key string but found T_END at character 2")
        );
    }
}
