//! The Rust half of the `redis` Lua API: the raw command call behind
//! `redis.call` / `redis.pcall`, error and status helpers, logging,
//! `setresp`, `set_repl`, the deterministic `math.random`, and the hook
//! that watches a running script (SCRIPT KILL, busy scripts).
//!
//! These functions never raise Lua errors themselves: they return
//! `(value, error)` pairs and `bootstrap.lua` raises, so every error a script
//! sees is a Redis error table and is located by the same handler.

use std::cell::Cell;
use std::ffi::c_int;

use bytes::Bytes;
use mlua::{HookTriggers, Lua, MultiValue, Table, Value, VmState, ffi};

use super::convert::{error_table, reply_to_lua};
use super::ctx;
use crate::commands::table::flags;

/// Redis 7.0.15.
const VERSION: &str = "7.0.15";
const VERSION_NUM: i64 = 0x07000f;

/// How often (in VM instructions) the hook looks at the running script.
const HOOK_EVERY: u32 = 100_000;

/// Functions whose errors are raised: a C function calls the Rust one
/// (kept in the registry) and raises its error value. Being C functions,
/// they keep the script's frame when called in tail position, so errors are
/// located in the script as Redis does.
macro_rules! raising {
    ($($name:ident),*) => {
        $(
            pub unsafe extern "C-unwind" fn $name(l: *mut ffi::lua_State) -> c_int {
                // SAFETY: plain Lua C API use on the running state; no Rust
                // value with a destructor lives across lua_call/lua_error.
                unsafe {
                    let n = ffi::lua_gettop(l);
                    let key = concat!("cinnabar.", stringify!($name), "\0");
                    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, key.as_ptr() as *const c_char);
                    ffi::lua_insert(l, 1);
                    ffi::lua_call(l, n, 2);
                    if ffi::lua_isnil(l, -1) == 0 {
                        ffi::lua_error(l);
                    }
                    ffi::lua_pop(l, 1);
                    1
                }
            }
        )*
    };
}

/// `redis.call` (`RAISE` true) and `redis.pcall`: the arguments go to the
/// Rust side packed in one table (`n` = their count), so a call with
/// thousands of arguments does not hit the C stack limit of a callback.
unsafe extern "C-unwind" fn packed_call<const RAISE: bool>(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: plain Lua C API use on the running state; no Rust value with
    // a destructor lives across lua_call/lua_error.
    unsafe {
        let n = ffi::lua_gettop(l);
        ffi::lua_createtable(l, n, 1);
        for i in 1..=n {
            ffi::lua_pushvalue(l, i);
            ffi::lua_rawseti(l, -2, i as _);
        }
        ffi::lua_pushinteger(l, n as _);
        ffi::lua_setfield(l, -2, c"n".as_ptr());
        ffi::lua_insert(l, 1);
        ffi::lua_settop(l, 1);
        ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, c"cinnabar.call".as_ptr());
        ffi::lua_insert(l, 1);
        ffi::lua_call(l, 1, 2);
        if ffi::lua_isnil(l, -1) == 0 {
            if RAISE {
                ffi::lua_error(l);
            }
            return 1;
        }
        ffi::lua_pop(l, 1);
        1
    }
}

mod trampolines {
    use mlua::ffi;
    use std::ffi::{c_char, c_int};
    raising!(
        sha1hex,
        log,
        setresp,
        set_repl,
        acl_check_cmd,
        register_function
    );
}

/// Register `f` as `R.<name>_raw` and its raising C twin as `R.<name>`.
fn register_raising(
    lua: &Lua,
    r: &Table,
    name: &str,
    f: mlua::Function,
    c: ffi::lua_CFunction,
) -> mlua::Result<()> {
    lua.set_named_registry_value(&format!("cinnabar.{name}"), f.clone())?;
    r.set(format!("{name}_raw"), f)?;
    // SAFETY: `c` follows the Lua C function protocol.
    r.set(name, unsafe { lua.create_c_function(c)? })?;
    Ok(())
}

pub fn rust_functions(lua: &Lua) -> mlua::Result<Table> {
    let r = lua.create_table()?;
    lua.set_named_registry_value("cinnabar.call", lua.create_function(raw_call)?)?;
    // SAFETY: both follow the Lua C function protocol.
    unsafe {
        r.set("call", lua.create_c_function(packed_call::<true>)?)?;
        r.set("pcall", lua.create_c_function(packed_call::<false>)?)?;
    }
    r.set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| match (args.len(), args.front()) {
            (1, Some(Value::String(s))) => {
                let s = s.to_string_lossy();
                let buf = if s.starts_with('-') {
                    s
                } else {
                    format!("-{s}")
                };
                error_table(lua, &buf, false)
            }
            _ => error_table(lua, "wrong number or type of arguments", false),
        })?,
    )?;
    r.set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| match (args.len(), args.front()) {
            (1, Some(Value::String(s))) => {
                let t = lua.create_table()?;
                t.raw_set("ok", s.clone())?;
                Ok(t)
            }
            _ => error_table(lua, "wrong number or type of arguments", false),
        })?,
    )?;
    register_raising(
        lua,
        &r,
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return raise(lua, "wrong number of arguments");
            }
            let b = arg_bytes(&args[0]).unwrap_or_default();
            Ok((
                Value::String(lua.create_string(super::sha1hex(&b))?),
                Value::Nil,
            ))
        })?,
        trampolines::sha1hex,
    )?;
    register_raising(lua, &r, "log", lua.create_function(log)?, trampolines::log)?;
    register_raising(
        lua,
        &r,
        "setresp",
        lua.create_function(|lua, args: MultiValue| {
            let Some(ctx) = ctx() else {
                return raise(
                    lua,
                    "redis.setresp can only be called inside a script invocation",
                );
            };
            if args.len() != 1 {
                return raise(lua, "redis.setresp() requires one argument.");
            }
            let n = number(&args[0]).unwrap_or(0.0) as i64;
            if n != 2 && n != 3 {
                return raise(lua, "RESP version must be 2 or 3.");
            }
            // SAFETY: valid while the script runs (see `RunCtx`).
            unsafe { (*ctx.lua_client).reply.resp = n as u8 };
            Ok((Value::Nil, Value::Nil))
        })?,
        trampolines::setresp,
    )?;
    register_raising(
        lua,
        &r,
        "set_repl",
        lua.create_function(|lua, args: MultiValue| {
            let Some(ctx) = ctx() else {
                return raise(
                    lua,
                    "redis.set_repl can only be called inside a script invocation",
                );
            };
            if args.len() != 1 {
                return raise(lua, "redis.set_repl() requires two arguments.");
            }
            let n = number(&args[0]).unwrap_or(-1.0) as i64;
            if !(0..=3).contains(&n) {
                return raise(
                    lua,
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            ctx.repl = n as u8;
            Ok((Value::Nil, Value::Nil))
        })?,
        trampolines::set_repl,
    )?;
    register_raising(
        lua,
        &r,
        "acl_check_cmd",
        lua.create_function(|lua, args: MultiValue| {
            let Some(ctx) = ctx() else {
                return raise(
                    lua,
                    "redis.acl_check_cmd can only be called inside a script invocation",
                );
            };
            let argv = match to_argv(&args) {
                Ok(a) if !a.is_empty() => a,
                Ok(_) => {
                    return raise(
                        lua,
                        "Please specify at least one argument for this redis lib call",
                    );
                }
                Err(e) => return raise(lua, e),
            };
            // SAFETY: valid while the script runs (see `RunCtx`).
            let srv = unsafe { &*ctx.srv };
            match srv.table.lookup(&argv) {
                // The default user may run everything (no ACLs yet).
                Ok(_) => Ok((Value::Boolean(true), Value::Nil)),
                Err(_) => raise(lua, "Invalid command passed to redis.acl_check_cmd()"),
            }
        })?,
        trampolines::acl_check_cmd,
    )?;
    register_raising(
        lua,
        &r,
        "register_function",
        lua.create_function(super::functions::register_function)?,
        trampolines::register_function,
    )?;
    r.set("version", VERSION)?;
    r.set("version_num", VERSION_NUM)?;
    r.set("random", lua.create_function(random)?)?;
    r.set(
        "randomseed",
        lua.create_function(|_, args: MultiValue| {
            let seed = args.front().and_then(number).unwrap_or(0.0) as i32;
            srand48(seed);
            Ok(())
        })?,
    )?;
    Ok(r)
}

/// The (nil, error) pair a raising `redis.*` function returns to its Lua
/// trampoline, which raises the error.
fn raise(lua: &Lua, msg: &str) -> mlua::Result<(Value, Value)> {
    Ok((Value::Nil, err(lua, msg)?))
}

fn err(lua: &Lua, msg: &str) -> mlua::Result<Value> {
    Ok(Value::Table(error_table(lua, msg, false)?))
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(n) => Some(*n as f64),
        Value::String(s) => crate::util::num::parse_f64(&s.as_bytes()),
        _ => None,
    }
}

/// A command argument: strings as they are, numbers as `%.17g`.
fn arg_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Number(n) => Some(crate::util::num::fmt_double_g17(*n).into_bytes()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        _ => None,
    }
}

fn to_argv(args: &MultiValue) -> Result<Vec<Bytes>, &'static str> {
    args.iter()
        .map(|a| {
            arg_bytes(a)
                .map(Bytes::from)
                .ok_or("Lua redis lib command arguments must be strings or integers")
        })
        .collect()
}

/// `redis.call` / `redis.pcall`: returns (reply, nil) or (nil, error table).
fn raw_call(lua: &Lua, packed: Table) -> mlua::Result<(Value, Value)> {
    let n: usize = packed.raw_get("n").unwrap_or(0);
    let mut args = MultiValue::with_capacity(n);
    for i in 1..=n {
        args.push_back(packed.raw_get(i)?);
    }
    let Some(ctx) = ctx() else {
        return raise(
            lua,
            "redis.call/pcall can only be called inside a script invocation",
        );
    };
    if args.is_empty() {
        return raise(
            lua,
            "Please specify at least one argument for this redis lib call",
        );
    }
    let argv = match to_argv(&args) {
        Ok(a) => a,
        Err(e) => return raise(lua, e),
    };
    // SAFETY: both pointers are valid while the script runs (`RunCtx`),
    // and nothing else uses them during this callback.
    let (srv, lc) = unsafe { (&mut *ctx.srv, &mut *ctx.lua_client) };
    if let Err(msg) = script_call(srv, lc, ctx, argv) {
        return Ok((Value::Nil, Value::Table(error_table(lua, &msg, true)?)));
    }
    let buf = std::mem::take(&mut lc.reply.buf);
    lc.reply.clear();
    if buf.is_empty() {
        return Ok((Value::Nil, Value::Nil));
    }
    let failed = buf[0] == b'-';
    let mut pos = 0;
    let v = reply_to_lua(lua, &buf, &mut pos)?;
    let mut buf = buf;
    buf.clear();
    lc.reply.buf = buf;
    Ok(if failed {
        (Value::Nil, v)
    } else {
        (v, Value::Nil)
    })
}

/// Redis's scriptCall: the checks a command from a script goes through,
/// then the normal `Server::call`. An error comes back as its text; it has
/// already been counted in the error statistics.
fn script_call(
    srv: &mut crate::server::Server,
    lc: &mut crate::net::Client,
    ctx: &mut super::RunCtx,
    argv: Vec<Bytes>,
) -> Result<(), String> {
    let table = srv.table;
    let cmd = match table.lookup(&argv) {
        Ok(cmd)
            if (cmd.arity > 0 && cmd.arity as usize != argv.len())
                || (argv.len() as i64) < -(cmd.arity as i64) =>
        {
            return Err(rejected(
                srv,
                Some(cmd.id),
                "Wrong number of args calling Redis command from script",
            ));
        }
        Ok(cmd) => cmd,
        Err(_) => {
            return Err(rejected(
                srv,
                None,
                "Unknown Redis command called from script",
            ));
        }
    };
    if cmd.has(flags::NOSCRIPT) && !srv.scripting.disable_deny_script {
        return Err(rejected(
            srv,
            Some(cmd.id),
            "This Redis command is not allowed from script",
        ));
    }
    if ctx.read_only && cmd.has(flags::WRITE | flags::MAY_REPLICATE) {
        return Err(rejected(
            srv,
            Some(cmd.id),
            "Write commands are not allowed from read-only scripts.",
        ));
    }
    // A stale replica (link down, replica-serve-stale-data no) runs only
    // what may read stale data, from scripts too.
    if !cmd.has(flags::STALE) && crate::replica::deny(srv, lc, false, false).is_some() {
        return Err(rejected(
            srv,
            Some(cmd.id),
            "Can not execute the command on a stale replica.",
        ));
    }
    if cmd.has(flags::WRITE)
        && !ctx.wrote
        && let Some(misconf) = crate::persistence::background::writes_denied(srv)
    {
        return Err(rejected(srv, Some(cmd.id), &format!("-{misconf}")));
    }
    if ctx.flags & super::sflags::ALLOW_OOM == 0
        && srv.cfg.maxmemory > 0
        && !ctx.wrote
        && ctx.oom_at_start
        && cmd.has(flags::DENYOOM)
    {
        return Err(rejected(
            srv,
            Some(cmd.id),
            "-OOM command not allowed when used memory > 'maxmemory'.",
        ));
    }
    if cmd.has(flags::WRITE) {
        ctx.wrote = true;
    }
    lc.argc = argv.len();
    lc.argv_len_sum = argv.iter().map(|a| a.len()).sum();
    let mark = srv.err_mark;
    let (muted, skip) = (srv.prop.muted, srv.prop.skip);
    if ctx.repl == 0 {
        srv.prop.muted = true;
    }
    // redis.set_repl's bits are the targets kept; the others are skipped.
    srv.prop.skip = !ctx.repl & (crate::propagate::TO_AOF | crate::propagate::TO_REPLICAS);
    srv.call(lc, cmd, &argv, crate::util::time::now_us());
    if cmd.has(flags::READONLY) {
        ctx.read_cmd = true;
    }
    (srv.prop.muted, srv.prop.skip) = (muted, skip);
    srv.err_mark = mark;
    Ok(())
}

/// Account for a command refused before it ran and return the error.
fn rejected(srv: &mut crate::server::Server, cmd: Option<usize>, msg: &str) -> String {
    if let Some(id) = cmd {
        srv.cmd_stats[id].rejected += 1;
    }
    let code = msg
        .strip_prefix('-')
        .and_then(|m| m.split(' ').next())
        .unwrap_or("ERR");
    srv.count_error(code);
    msg.to_string()
}

fn log(lua: &Lua, args: MultiValue) -> mlua::Result<(Value, Value)> {
    if args.len() < 2 {
        return raise(lua, "redis.log() requires two arguments or more.");
    }
    let level = match &args[0] {
        Value::Number(n) => *n as i64,
        Value::Integer(n) => *n,
        _ => {
            return raise(lua, "First argument must be a number (log level).");
        }
    };
    let level = match level {
        0 => crate::log::Level::Debug,
        1 => crate::log::Level::Verbose,
        2 => crate::log::Level::Notice,
        3 => crate::log::Level::Warning,
        _ => return raise(lua, "Invalid debug level."),
    };
    if crate::log::enabled(level) {
        let parts: Vec<String> = args
            .iter()
            .skip(1)
            .filter_map(|a| arg_bytes(a).map(|b| String::from_utf8_lossy(&b).into_owned()))
            .collect();
        crate::log::log(level, &parts.join(" "));
    }
    Ok((Value::Nil, Value::Nil))
}

// The 48-bit linear congruential generator of drand48, as Redis's rand.c
// uses for math.random: the same sequence on every server.
thread_local! {
    static RAND48: Cell<u64> = const { Cell::new(0x1234_abcd_330e) };
}

fn srand48(seed: i32) {
    RAND48.with(|s| s.set(((seed as u32 as u64) << 16) | 0x330e));
}

fn lrand48() -> i64 {
    RAND48.with(|s| {
        let x = (s.get().wrapping_mul(0x5_deec_e66d).wrapping_add(0xb)) & 0xffff_ffff_ffff;
        s.set(x);
        (x >> 17) as i64
    })
}

fn random(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    const MAX: i64 = i32::MAX as i64;
    let r = (lrand48() % MAX) as f64 / MAX as f64;
    let bad = |m: &str| -> mlua::Result<Value> { Err(mlua::Error::runtime(m.to_string())) };
    let _ = lua;
    match args.len() {
        0 => Ok(Value::Number(r)),
        1 => {
            let u = args.front().and_then(number).unwrap_or(0.0).floor();
            if u < 1.0 {
                return bad("bad argument #1 to 'random' (interval is empty)");
            }
            Ok(Value::Number((r * u).floor() + 1.0))
        }
        2 => {
            let l = number(&args[0]).unwrap_or(0.0).floor();
            let u = number(&args[1]).unwrap_or(0.0).floor();
            if l > u {
                return bad("bad argument #2 to 'random' (interval is empty)");
            }
            Ok(Value::Number((r * (u - l + 1.0)).floor() + l))
        }
        _ => bad("wrong number of arguments"),
    }
}

/// Watch the running script every `HOOK_EVERY` instructions: stop it when
/// SCRIPT KILL asked, and keep serving other clients while it runs too long
/// (`super::busy`).
pub fn install_hook(lua: &Lua) {
    let _ = lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        |lua, dbg| {
            let Some(ctx) = ctx() else {
                return Ok(VmState::Continue);
            };
            if !ctx.killed {
                super::busy::on_hook(ctx);
                if ctx.killed {
                    // From now on the hook fires at every instruction (same
                    // hook, count 1) and raises again, so a pcall in the
                    // script cannot swallow the kill.
                    // SAFETY: only the count of the installed hook changes.
                    let _ = unsafe {
                        lua.exec_raw::<()>((), |l| {
                            ffi::lua_sethook(l, ffi::lua_gethook(l), ffi::lua_gethookmask(l), 1);
                        })
                    };
                }
            }
            if ctx.killed {
                // Our own frames (the error handler) are left to finish.
                if dbg
                    .source()
                    .source
                    .is_some_and(|s| s.starts_with("=cinnabar"))
                {
                    return Ok(VmState::Continue);
                }
                return Err(mlua::Error::runtime(
                    "Script killed by user with SCRIPT KILL...",
                ));
            }
            Ok(VmState::Continue)
        },
    );
}
