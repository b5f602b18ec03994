//! The libraries Redis adds to its Lua: `bit`, `cjson`, `cmsgpack` and
//! `struct`, written in Rust as Lua functions.
//!
//! Library functions report errors as Lua's C libraries do (`luaL_error`:
//! a string located at the calling line). An mlua callback cannot raise a
//! plain string, so each is wrapped in a small C closure (`raise_closure`)
//! that calls it and raises the message it returns, with `luaL_where`.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod structlib;

use std::ffi::c_int;

use mlua::{Function, Lua, MultiValue, Table, Value, ffi};

/// What a library function returns: its results, or an error message.
pub type LibResult = Result<MultiValue, String>;

/// Calls its upvalue (an mlua function returning `(err_or_nil, results...)`)
/// and raises the error message located at the caller's line.
unsafe extern "C-unwind" fn raise_trampoline(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua C API on the running state; no Rust value with a
    // destructor lives across lua_call / lua_error.
    unsafe {
        let n = ffi::lua_gettop(l);
        ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
        ffi::lua_insert(l, 1);
        ffi::lua_call(l, n, ffi::LUA_MULTRET);
        if ffi::lua_isnil(l, 1) == 0 {
            ffi::luaL_where(l, 1);
            ffi::lua_pushvalue(l, 1);
            ffi::lua_concat(l, 2);
            ffi::lua_error(l);
        }
        ffi::lua_gettop(l) - 1
    }
}

/// `make(f)`: the C closure of `raise_trampoline` over `f`.
unsafe extern "C-unwind" fn make_closure(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: one argument (the function) on the stack.
    unsafe {
        ffi::lua_settop(l, 1);
        ffi::lua_pushcclosure(l, raise_trampoline, 1);
        1
    }
}

/// A library function: `f` returns its results or an error message.
pub fn lib_fn<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> LibResult + 'static,
{
    let inner = lua.create_function(move |lua, args: MultiValue| {
        Ok(match f(lua, args) {
            Ok(mut results) => {
                results.push_front(Value::Nil);
                results
            }
            Err(msg) => {
                let mut m = MultiValue::new();
                m.push_back(Value::String(lua.create_string(msg)?));
                m
            }
        })
    })?;
    // SAFETY: make_closure follows the Lua C function protocol.
    let make = unsafe { lua.create_c_function(make_closure)? };
    make.call(inner)
}

/// Lua's name for the type of a value, "no value" when absent.
pub fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Number(_)) | Some(Value::Integer(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(Value::UserData(_)) | Some(Value::LightUserData(_)) => "userdata",
        _ => "userdata",
    }
}

/// luaL_checknumber: numbers, and strings that convert.
pub fn check_number(args: &MultiValue, i: usize, fname: &str) -> Result<f64, String> {
    let v = args.get(i);
    match v {
        Some(Value::Number(n)) => Ok(*n),
        Some(Value::Integer(n)) => Ok(*n as f64),
        Some(Value::String(s)) => crate::util::num::parse_f64(s.as_bytes().trim_ascii())
            .ok_or_else(|| arg_error(i, fname, "number", v)),
        _ => Err(arg_error(i, fname, "number", v)),
    }
}

/// luaL_checklstring: strings, and numbers as their text.
pub fn check_bytes(args: &MultiValue, i: usize, fname: &str) -> Result<Vec<u8>, String> {
    let v = args.get(i);
    match v {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Number(n)) => Ok(crate::scripting::convert::lua_number_text(*n).into_bytes()),
        Some(Value::Integer(n)) => Ok(n.to_string().into_bytes()),
        _ => Err(arg_error(i, fname, "string", v)),
    }
}

pub fn arg_error(i: usize, fname: &str, want: &str, got: Option<&Value>) -> String {
    format!(
        "bad argument #{} to '{}' ({} expected, got {})",
        i + 1,
        fname,
        want,
        type_name(got)
    )
}

pub fn one(v: Value) -> LibResult {
    let mut m = MultiValue::new();
    m.push_back(v);
    Ok(m)
}

/// Register the libraries as globals (bootstrap.lua then makes them
/// read-only).
pub fn open(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    let reg = |name: &str, t: Table| g.raw_set(name, t);
    reg("bit", bit::open(lua)?)?;
    reg("cjson", cjson::open(lua)?)?;
    reg("cmsgpack", cmsgpack::open(lua)?)?;
    reg("struct", structlib::open(lua)?)?;
    Ok(())
}
