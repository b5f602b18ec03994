//! FUNCTION libraries (Redis 7): code loaded with `FUNCTION LOAD`
//! (`#!lua name=<lib>` first line) registers named functions with
//! `redis.register_function`; FCALL runs them. Libraries live in their own
//! Lua state (`Vm`), so SCRIPT FLUSH does not touch them.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, Table, Value};

use super::{Vm, sflags};

pub struct FuncInfo {
    pub name: String,
    pub desc: Option<Bytes>,
    pub flags: u32,
    pub func: Function,
}

pub struct Library {
    pub name: String,
    pub code: Bytes,
    pub functions: BTreeMap<String, FuncInfo>,
}

#[derive(Default)]
pub struct Functions {
    pub vm: Vm,
    pub libs: BTreeMap<String, Library>,
    /// Function name → library name.
    pub index: HashMap<String, String>,
}

/// The flags a function may declare, in Redis's order.
pub const FLAG_NAMES: &[(&str, u32)] = &[
    ("no-writes", sflags::NO_WRITES),
    ("allow-oom", sflags::ALLOW_OOM),
    ("allow-stale", sflags::ALLOW_STALE),
    ("no-cluster", sflags::NO_CLUSTER),
    ("allow-cross-slot-keys", sflags::ALLOW_CROSS_SLOT),
];

thread_local! {
    /// Functions registered by the library being loaded (None outside
    /// FUNCTION LOAD).
    static LOADING: RefCell<Option<Vec<FuncInfo>>> = const { RefCell::new(None) };
}

/// Letters, digits and underscores, at least one.
fn valid_name(n: &[u8]) -> bool {
    !n.is_empty() && n.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

const LOAD_TIMEOUT_MS: i64 = 500;

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

fn lua_str(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Number(n) => Some(super::convert::lua_number_text(*n).into_bytes()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        _ => None,
    }
}

fn read_flags(t: &Table) -> Option<u32> {
    let mut flags = 0;
    for v in t.sequence_values::<Value>() {
        let s = lua_str(&v.ok()?)?;
        let (_, bit) = FLAG_NAMES.iter().find(|(n, _)| n.as_bytes() == s)?;
        flags |= bit;
    }
    Some(flags)
}

/// `redis.register_function(name, callback)` or
/// `redis.register_function{function_name=, callback=, flags=, description=}`.
pub fn register_function(lua: &Lua, args: MultiValue) -> mlua::Result<(Value, Value)> {
    let err = |m: &str| -> mlua::Result<(Value, Value)> {
        Ok((
            Value::Nil,
            Value::Table(super::convert::error_table(lua, m, false)?),
        ))
    };
    if LOADING.with(|l| l.borrow().is_none()) {
        return err("redis.register_function can only be called on FUNCTION LOAD command");
    }
    let (name, func, desc, flags) = match args.len() {
        1 => {
            let Value::Table(t) = &args[0] else {
                return err(
                    "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
                );
            };
            let (mut name, mut func, mut desc, mut flags) = (None, None, None, 0);
            for pair in t.pairs::<Value, Value>() {
                let (k, v) = pair?;
                let Some(key) = lua_str(&k) else {
                    return err(
                        "named argument key given to redis.register_function is not a string",
                    );
                };
                match key.to_ascii_lowercase().as_slice() {
                    b"function_name" => match lua_str(&v) {
                        Some(n) => name = Some(n),
                        None => {
                            return err(
                                "function_name argument given to redis.register_function must be a string",
                            );
                        }
                    },
                    b"description" => match lua_str(&v) {
                        Some(d) => desc = Some(Bytes::from(d)),
                        None => {
                            return err(
                                "description argument given to redis.register_function must be a string",
                            );
                        }
                    },
                    b"callback" => match v {
                        Value::Function(f) => func = Some(f),
                        _ => {
                            return err(
                                "callback argument given to redis.register_function must be a function",
                            );
                        }
                    },
                    b"flags" => {
                        let Value::Table(ft) = v else {
                            return err(
                                "flags argument to redis.register_function must be a table representing function flags",
                            );
                        };
                        match read_flags(&ft) {
                            Some(f) => flags = f,
                            None => return err("unknown flag given"),
                        }
                    }
                    _ => return err("unknown argument given to redis.register_function"),
                }
            }
            let Some(name) = name else {
                return err("redis.register_function must get a function name argument");
            };
            let Some(func) = func else {
                return err("redis.register_function must get a callback argument");
            };
            (name, func, desc, flags)
        }
        2 => {
            let Some(name) = lua_str(&args[0]) else {
                return err("first argument to redis.register_function must be a string");
            };
            let Value::Function(f) = &args[1] else {
                return err("second argument to redis.register_function must be a function");
            };
            (name, f.clone(), None, 0)
        }
        _ => return err("wrong number of arguments to redis.register_function"),
    };
    if !valid_name(&name) {
        return err(BAD_NAME);
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let dup = LOADING.with(|l| {
        l.borrow()
            .as_ref()
            .is_some_and(|v| v.iter().any(|f| f.name.eq_ignore_ascii_case(&name)))
    });
    if dup {
        return err("Function already exists in the library");
    }
    LOADING.with(|l| {
        if let Some(v) = l.borrow_mut().as_mut() {
            v.push(FuncInfo {
                name,
                desc,
                flags,
                func,
            });
        }
    });
    Ok((Value::Nil, Value::Nil))
}

/// The library name from the `#!lua name=<lib>` line; (name, length of
/// the line).
fn metadata(code: &[u8]) -> Result<(String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let parts = match crate::resp::splitargs::split_args(&code[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = String::from_utf8_lossy(&parts[0][2..]).into_owned();
    let mut name = None;
    for p in &parts[1..] {
        if let Some(n) = p.strip_prefix(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(n.to_vec());
        } else {
            return Err(format!(
                "Invalid metadata value given: {}",
                String::from_utf8_lossy(p)
            ));
        }
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    if !valid_name(&name) {
        return Err(BAD_NAME.into());
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("Engine '{engine}' not found"));
    }
    Ok((String::from_utf8_lossy(&name).into_owned(), end))
}

impl Functions {
    /// FUNCTION LOAD: compile and run the library code, then install its
    /// functions. Returns the library name.
    pub fn load(&mut self, code: &Bytes, replace: bool) -> Result<String, String> {
        let (name, skip) = metadata(code)?;
        if self.libs.contains_key(&name) && !replace {
            return Err(format!("Library '{name}' already exists"));
        }
        let chunk = self
            .vm
            .compile(&code[skip..], "@user_function")
            .map_err(|m| format!("Error compiling function: {m}"))?;
        LOADING.with(|l| *l.borrow_mut() = Some(Vec::new()));
        self.vm.set_loading(true);
        // Library code gets 500 ms to register its functions.
        let deadline = crate::util::time::now_ms() + LOAD_TIMEOUT_MS;
        let _ = self.vm.lua.set_hook(
            mlua::HookTriggers::new().every_nth_instruction(100_000),
            move |_, _| {
                if crate::util::time::now_ms() > deadline {
                    return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
                }
                Ok(mlua::VmState::Continue)
            },
        );
        let res = self.vm.protected_call(&chunk, MultiValue::new());
        self.vm.lua.remove_hook();
        self.vm.set_loading(false);
        let registered = LOADING.with(|l| l.borrow_mut().take()).unwrap_or_default();
        match res {
            Ok((true, _)) => {}
            Ok((false, v)) => {
                let mut e = super::convert::ErrorInfo::from_value(&v);
                if e.msg.contains("FUNCTION LOAD timeout") {
                    // Raised by our hook (an mlua error, not a Redis table).
                    e.msg = "ERR FUNCTION LOAD timeout".into();
                }
                return Err(format!("Error registering functions: {}", e.msg));
            }
            Err(e) => return Err(format!("Error registering functions: {e}")),
        }
        if registered.is_empty() {
            return Err("No functions registered".into());
        }
        for f in &registered {
            if let Some(owner) = self.index.get(&f.name.to_ascii_lowercase())
                && *owner != name
            {
                return Err(format!("Function {} already exists", f.name));
            }
        }
        self.delete(&name);
        let mut lib = Library {
            name: name.clone(),
            code: code.clone(),
            functions: BTreeMap::new(),
        };
        for f in registered {
            self.index.insert(f.name.to_ascii_lowercase(), name.clone());
            lib.functions.insert(f.name.clone(), f);
        }
        self.libs.insert(name.clone(), lib);
        Ok(name)
    }

    /// Remove a library; false if there was none.
    pub fn delete(&mut self, name: &str) -> bool {
        let Some(lib) = self.libs.remove(name) else {
            return false;
        };
        for f in lib.functions.keys() {
            self.index.remove(&f.to_ascii_lowercase());
        }
        true
    }

    pub fn flush(&mut self) {
        self.libs.clear();
        self.index.clear();
        self.vm = Vm::new();
    }

    /// FUNCTION DUMP: every library as an RDB function opcode + code, then
    /// the RDB version and a CRC-64, like a DUMP payload (`compress`:
    /// `rdbcompression`, as in an RDB file).
    pub fn dump(&self, compress: bool) -> Vec<u8> {
        use crate::persistence::{RDB_VERSION, op, rdb};
        let mut out = Vec::new();
        for lib in self.libs.values() {
            out.push(op::FUNCTION2);
            rdb::write_string(&mut out, &lib.code, compress);
        }
        out.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = rdb::crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// FUNCTION RESTORE: the libraries of a FUNCTION DUMP payload, added
    /// per `policy` ("flush", "append" or "replace"); all or nothing.
    pub fn restore(&mut self, payload: &[u8], policy: &str) -> Result<(), String> {
        use crate::persistence::{op, rdb_load};
        if !rdb_load::verify_dump_payload(payload) {
            return Err("DUMP payload version or checksum are wrong".into());
        }
        let body = &payload[..payload.len() - 10];
        let mut r = rdb_load::Reader::new(body);
        let mut codes = Vec::new();
        while r.remaining() > 0 {
            let t = r.byte().map_err(|_| "can not read data type".to_string())?;
            if t != op::FUNCTION2 {
                return Err("given type is not a function".into());
            }
            let code = r
                .string()
                .map_err(|_| "failed loading the given functions payload".to_string())?;
            codes.push(Bytes::from(code));
        }
        if policy == "append" {
            for code in &codes {
                if let Ok((name, _)) = metadata(code)
                    && self.libs.contains_key(&name)
                {
                    return Err(format!("Library {name} already exists"));
                }
            }
        }
        // Build the resulting set of libraries in a fresh state, then swap.
        let mut fresh = Functions::default();
        if policy != "flush" {
            for lib in self.libs.values() {
                let replaced = policy == "replace"
                    && codes
                        .iter()
                        .any(|c| metadata(c).is_ok_and(|(n, _)| n == lib.name));
                if !replaced {
                    fresh.load(&lib.code, false)?;
                }
            }
        }
        for code in &codes {
            fresh.load(code, false)?;
        }
        *self = fresh;
        Ok(())
    }

    /// A function by name, case-insensitively as Redis.
    pub fn find(&self, name: &str) -> Option<&FuncInfo> {
        let lib = self.libs.get(self.index.get(&name.to_ascii_lowercase())?)?;
        lib.functions
            .values()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Bytes held for the libraries (code, names, descriptions).
    pub fn memory(&self) -> usize {
        self.libs
            .values()
            .map(|l| {
                l.code.len()
                    + l.name.len()
                    + l.functions
                        .values()
                        .map(|f| f.name.len() + f.desc.as_ref().map_or(0, |d| d.len()) + 64)
                        .sum::<usize>()
            })
            .sum()
    }

    pub fn function_count(&self) -> usize {
        self.index.len()
    }
}
