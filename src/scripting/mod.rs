//! The Lua scripting engine behind EVAL and friends.
//!
//! Redis embeds Lua 5.1; so do we (mlua, vendored), so scripts run
//! unchanged. One Lua state lives for the life of the server (until SCRIPT
//! FLUSH). `bootstrap.lua` builds the `redis` table around the Rust
//! functions of `api.rs`, the error handler and the read-only proxies that
//! protect globals; user code runs with the protected proxy as environment.
//!
//! A script's `redis.call` runs a command exactly like a client does: a
//! fake client (the "Lua client", as in Redis) goes through the command
//! table and `Server::call`, so arity, flags, keyspace events, statistics
//! and propagation are the same. Its reply bytes are then read back into
//! Lua values (`convert.rs`). While a script runs, the Rust callbacks reach
//! the server through the raw pointers of a `RunCtx`, set for the duration
//! of the run only (the single-threaded equivalent of Redis's global
//! `curr_run_ctx`).

pub mod api;
pub mod busy;
pub mod convert;
pub mod functions;
pub mod libs;
pub mod shebang;

use std::cell::Cell;
use std::collections::HashMap;

use bytes::Bytes;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use crate::net::Client;
use crate::server::Server;

/// Script flags (the `#!lua flags=` shebang).
pub mod sflags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
    /// No shebang: Redis 6 compatible behaviour.
    pub const EVAL_COMPAT: u32 = 1 << 5;
}

/// The flags a script call has for the checks made before it runs
/// (Redis's evalGetCommandFlags / fcallGetCommandFlags). A script that
/// declared its flags (a shebang, or a function's flags) writes only
/// without `no-writes`, may run out of memory only without `allow-oom` /
/// `no-writes`, and is never "may replicate"; one that declared nothing
/// (or is not known yet) keeps the command's own flags.
pub fn call_flags(srv: &Server, name: &str, cmd_flags: u32, argv: &[Bytes]) -> u32 {
    use crate::commands::table::flags as cf;
    let declared = match name {
        "eval" | "eval_ro" => argv
            .get(1)
            .and_then(|body| shebang::parse(body).ok())
            .map(|(f, _)| f),
        "evalsha" | "evalsha_ro" => argv.get(1).and_then(|sha| {
            let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
            srv.scripting.scripts.get(&sha).map(|s| s.flags)
        }),
        "fcall" | "fcall_ro" => argv
            .get(1)
            .and_then(|f| srv.scripting.functions.find(&String::from_utf8_lossy(f)))
            .map(|f| f.flags),
        _ => None,
    };
    let Some(sf) = declared.filter(|f| f & sflags::EVAL_COMPAT == 0) else {
        return cmd_flags;
    };
    let mut out = cmd_flags & !(cf::STALE | cf::DENYOOM | cf::WRITE | cf::MAY_REPLICATE);
    if sf & (sflags::ALLOW_OOM | sflags::NO_WRITES) == 0 {
        out |= cf::DENYOOM;
    }
    if sf & sflags::NO_WRITES == 0 {
        out |= cf::WRITE;
    }
    if sf & sflags::ALLOW_STALE != 0 {
        out |= cf::STALE;
    }
    out
}

/// One cached script.
pub struct Script {
    pub body: Bytes,
    pub func: Function,
    pub flags: u32,
}

/// State of the script being run, reached by the Lua callbacks.
pub struct RunCtx {
    pub srv: *mut Server,
    pub lua_client: *mut Client,
    pub sha: String,
    /// EVAL_RO, or a script flagged no-writes.
    pub read_only: bool,
    pub flags: u32,
    /// A write command ran (SCRIPT KILL refuses then).
    pub wrote: bool,
    /// Propagation targets chosen with redis.set_repl (bits AOF=1, REPLICA=2).
    pub repl: u8,
    pub start_ms: i64,
    /// SCRIPT KILL asked the script to stop.
    pub killed: bool,
    /// The OOM state when the script started.
    pub oom_at_start: bool,
    /// Ran past busy-reply-threshold (other clients get -BUSY).
    pub busy: bool,
    /// EVAL rather than FCALL.
    pub eval_mode: bool,
    /// The calling command (FUNCTION STATS).
    pub argv: Vec<Bytes>,
    /// A read-only command ran: a tracking caller then tracks the keys the
    /// script declared.
    pub read_cmd: bool,
}

thread_local! {
    static CTX: Cell<*mut RunCtx> = const { Cell::new(std::ptr::null_mut()) };
}

/// The running script's context, if a script is running.
///
/// SAFETY of the callers: the pointer is set by `run` for the duration of
/// one script, on the main thread, and cleared before `run` returns.
pub fn ctx() -> Option<&'static mut RunCtx> {
    let p = CTX.with(|c| c.get());
    if p.is_null() {
        None
    } else {
        // SAFETY: see above; only one &mut is used at a time (callbacks do
        // not nest: Lua runs one callback at a time).
        Some(unsafe { &mut *p })
    }
}

/// One Lua state with Redis's API, libraries and sandbox. EVAL scripts and
/// FUNCTION libraries each have their own, as in Redis.
pub struct Vm {
    pub lua: Lua,
    /// Environment of user code (the protected globals proxy).
    pub env: Table,
    /// `run(f, ...)`: xpcall with Redis's error handler.
    runner: Function,
    /// `set_loading(bool)`: globals seen while a FUNCTION LOAD runs.
    set_loading: Function,
}

impl Vm {
    pub fn new() -> Vm {
        // SAFETY: the debug library is needed by the error handler; the
        // bootstrap removes it from the globals scripts see.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::new(),
            )
        };
        libs::open(&lua).expect("lua libraries");
        let r = api::rust_functions(&lua).expect("lua api");
        let (env, runner, set_loading): (Table, Function, Function) = lua
            .load(include_str!("bootstrap.lua"))
            .set_name("=cinnabar")
            .call(r)
            .expect("lua bootstrap");
        Vm {
            lua,
            env,
            runner,
            set_loading,
        }
    }

    /// Compile user code with the protected environment; `chunk` is
    /// "@user_script" or "@user_function".
    pub fn compile(&self, code: &[u8], chunk: &str) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name(chunk)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Run `f` under the error handler: Ok(value) or Err(error value).
    pub fn protected_call(&self, f: &Function, args: MultiValue) -> mlua::Result<(bool, Value)> {
        let mut a = MultiValue::new();
        a.push_back(Value::Function(f.clone()));
        a.extend(args);
        self.runner.call(a)
    }

    pub fn set_loading(&self, on: bool) {
        let _ = self.set_loading.call::<()>(on);
    }
}

impl Default for Vm {
    fn default() -> Self {
        Vm::new()
    }
}

pub struct Engine {
    pub vm: Vm,
    pub scripts: HashMap<String, Script>,
    /// Bytes of the cached script bodies (used_memory_scripts_eval).
    pub scripts_mem: usize,
    lua_client: Option<Box<Client>>,
    /// Scripts run since the last GC step.
    pub gc_count: u32,
    /// FUNCTION libraries (`functions.rs`).
    pub functions: functions::Functions,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: `noscript` commands are allowed.
    pub disable_deny_script: bool,
}

impl Engine {
    pub fn new() -> Engine {
        Engine {
            vm: Vm::new(),
            scripts: HashMap::new(),
            scripts_mem: 0,
            lua_client: None,
            gc_count: 0,
            functions: Default::default(),
            disable_deny_script: false,
        }
    }

    /// Compile `body` (shebang already parsed) and cache it under `sha`.
    pub fn create(
        &mut self,
        sha: &str,
        body: &Bytes,
        flags: u32,
        skip: usize,
    ) -> Result<(), String> {
        if self.scripts.contains_key(sha) {
            return Ok(());
        }
        let func = self
            .vm
            .compile(&body[skip..], "@user_script")
            .map_err(|msg| format!("Error compiling script (new function): {msg}"))?;
        self.scripts_mem += body.len() + sha.len();
        self.scripts.insert(
            sha.to_string(),
            Script {
                body: body.clone(),
                func,
                flags,
            },
        );
        Ok(())
    }

    /// SCRIPT FLUSH: forget every script and start a fresh Lua state.
    pub fn flush(&mut self) {
        self.vm = Vm::new();
        self.scripts.clear();
        self.scripts_mem = 0;
    }

    /// Memory of the EVAL Lua state (used_memory_lua).
    pub fn lua_memory(&self) -> usize {
        self.vm.lua.used_memory()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

/// SHA1 of a script body, as lowercase hex.
pub fn sha1hex(b: &[u8]) -> String {
    sha1_smol::Sha1::from(b).digest().to_string()
}

/// A fake client for commands called from scripts: a connected pair of
/// Unix sockets nobody reads stands in for its connection.
fn new_lua_client(srv: &Server) -> Box<Client> {
    let (a, _b) = mio::net::UnixStream::pair().expect("socketpair");
    let mut c = Box::new(Client::new(
        1,
        usize::MAX,
        crate::net::Conn::Unix(a),
        String::new(),
        String::new(),
        srv.now_ms,
    ));
    c.authenticated = true;
    c
}

/// What the caller asked for.
pub struct Invocation<'a> {
    pub sha: String,
    pub keys: &'a [Bytes],
    pub args: &'a [Bytes],
    /// EVAL_RO / EVALSHA_RO.
    pub ro: bool,
    /// The calling command.
    pub argv: &'a [Bytes],
}

/// Run a cached EVAL script for client `c` and write its reply.
pub fn run(srv: &mut Server, c: &mut Client, inv: Invocation) {
    let Some(script) = srv.scripting.scripts.get(&inv.sha) else {
        c.reply
            .err_code("NOSCRIPT No matching script. Please use EVAL.");
        return;
    };
    let target = Target {
        func: script.func.clone(),
        flags: script.flags,
        name: inv.sha.clone(),
        eval_mode: true,
        ro: inv.ro,
    };
    execute(srv, c, target, inv.keys, inv.args, inv.argv);
}

/// What runs: an EVAL script or a FUNCTION.
pub struct Target {
    pub func: Function,
    pub flags: u32,
    /// The sha of a script, the name of a function (error texts, STATS).
    pub name: String,
    /// EVAL (KEYS/ARGV globals) rather than FCALL (arguments).
    pub eval_mode: bool,
    /// *_RO variant.
    pub ro: bool,
}

/// Run a script or function for client `c` and write its reply (Redis's
/// scriptPrepareForRun + luaCallFunction + scriptResetRun). `argv` is the
/// calling command, for FUNCTION STATS.
pub fn execute(
    srv: &mut Server,
    c: &mut Client,
    t: Target,
    keys: &[Bytes],
    args: &[Bytes],
    argv: &[Bytes],
) {
    let flags = t.flags;
    let oom = srv.cfg.maxmemory > 0 && crate::alloc::used_memory() as u64 > srv.cfg.maxmemory;
    if flags & sflags::EVAL_COMPAT == 0 {
        if flags & sflags::NO_WRITES == 0 {
            if crate::persistence::background::writes_denied(srv).is_some() {
                c.reply.err_code("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.");
                return;
            }
            if t.ro {
                c.reply
                    .err("Can not execute a script with write flag using *_ro command.");
                return;
            }
        }
        if oom && flags & (sflags::ALLOW_OOM | sflags::NO_WRITES) == 0 {
            c.reply.err_code("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
            return;
        }
    }
    let vm = if t.eval_mode {
        &srv.scripting.vm
    } else {
        &srv.scripting.functions.vm
    };
    let lua = vm.lua.clone();
    let runner_vm_is_eval = t.eval_mode;
    let mut lc = match srv.scripting.lua_client.take() {
        Some(lc) => lc,
        None => new_lua_client(srv),
    };
    lc.db = c.db;
    lc.reply.resp = 2;
    lc.reply.clear();
    let mut call_args = MultiValue::new();
    let keys_t = convert::bytes_array(&lua, keys).ok();
    let args_t = convert::bytes_array(&lua, args).ok();
    if t.eval_mode {
        let globals = lua.globals();
        let _ = globals.raw_set("KEYS", keys_t);
        let _ = globals.raw_set("ARGV", args_t);
    } else {
        call_args.push_back(keys_t.map(Value::Table).unwrap_or(Value::Nil));
        call_args.push_back(args_t.map(Value::Table).unwrap_or(Value::Nil));
    }
    let mut rc = RunCtx {
        srv: srv as *mut Server,
        lua_client: &mut *lc as *mut Client,
        sha: t.name.clone(),
        read_only: t.ro || flags & sflags::NO_WRITES != 0,
        flags,
        wrote: false,
        repl: 3,
        start_ms: crate::util::time::now_ms(),
        killed: false,
        oom_at_start: oom,
        busy: false,
        eval_mode: t.eval_mode,
        argv: argv.to_vec(),
        read_cmd: false,
    };
    let was_in_exec = srv.in_exec;
    // Commands called from scripts never block (Redis's DENY_BLOCKING).
    srv.in_exec = true;
    CTX.with(|x| x.set(&mut rc as *mut RunCtx));
    crate::scripting::api::install_hook(&lua);
    let result = {
        let vm = if runner_vm_is_eval {
            &srv.scripting.vm
        } else {
            &srv.scripting.functions.vm
        };
        let runner = vm.runner.clone();
        let mut a = MultiValue::new();
        a.push_back(Value::Function(t.func.clone()));
        a.extend(call_args);
        runner.call::<(bool, Value)>(a)
    };
    lua.remove_hook();
    CTX.with(|x| x.set(std::ptr::null_mut()));
    srv.in_exec = was_in_exec;
    let lua_resp = lc.reply.resp;
    srv.scripting.lua_client = Some(lc);
    match result {
        Ok((true, v)) => {
            let errors = c.reply.errors;
            let bytes = c.reply.buf.len();
            convert::lua_to_reply(&mut c.reply, lua_resp, &v);
            // A returned error table already counted (redis.pcall's): the
            // call still failed.
            if c.reply.errors == errors
                && c.reply.buf.get(bytes) == Some(&b'-')
                && let Ok(cmd) = srv.table.lookup(argv)
            {
                srv.cmd_stats[cmd.id].failed += 1;
            }
        }
        Ok((false, v)) => {
            let mut e = convert::ErrorInfo::from_value(&v);
            if rc.killed {
                e.msg = "ERR Script killed by user with SCRIPT KILL...".into();
                e.ignore_stats = false;
            }
            let mut text = e.msg.clone();
            if let (Some(src), Some(line)) = (&e.source, &e.line) {
                text.push_str(&format!(" script: {}, on {}:{}.", t.name, src, line));
            }
            convert::error_reply(&mut c.reply, &text, e.ignore_stats);
            if e.ignore_stats {
                // Already in the error statistics, but the script call
                // itself still failed.
                if let Ok(cmd) = srv.table.lookup(argv) {
                    srv.cmd_stats[cmd.id].failed += 1;
                }
            }
        }
        Err(e) => {
            c.reply.err(&format!(
                "Error running script {}, {:.100}",
                t.name,
                e.to_string()
            ));
        }
    }
    // Client-side caching: a script that read something makes its caller
    // track the keys it declared (Redis tracks the script's keys, not the
    // ones its commands named).
    if rc.read_cmd
        && c.tracking.on
        && !c.tracking.bcast
        && let Ok(cmd) = srv.table.lookup(argv)
    {
        srv.tracking_remember_keys(c, cmd, argv);
    }
    // The script's effects are propagated, not the script.
    srv.prop.prevent();
    // Lua's incremental GC, a step now and then, as Redis does.
    srv.scripting.gc_count += 1;
    if srv.scripting.gc_count >= 50 {
        srv.scripting.gc_count = 0;
        let _ = lua.gc_step();
    }
}
