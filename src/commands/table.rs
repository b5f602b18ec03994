//! The command table: name → `Command { arity, flags, key specs, handler }`.
//!
//! Handlers are registered by each command family (`COMMANDS` lists in the
//! sibling modules) under their full name (`get`, `client|list`); arity,
//! flags, ACL categories, key specs and docs come from Redis's own metadata
//! (`meta.rs`). Only commands with a handler exist for clients: anything else
//! answers `unknown command`, and COMMAND COUNT/LIST/INFO report just what we
//! serve. The table is built once and leaked (`&'static`), so a handler can
//! borrow the `Server` mutably while the dispatcher holds its `Command`.

use std::collections::HashMap;

use bytes::Bytes;

use super::Handler;
use super::meta::{Tree, meta};

pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const FAST: u32 = 1 << 9;
    pub const NO_AUTH: u32 = 1 << 10;
    pub const NO_MULTI: u32 = 1 << 11;
    pub const MOVABLEKEYS: u32 = 1 << 12;
    pub const SKIP_SLOWLOG: u32 = 1 << 13;
    pub const SKIP_MONITOR: u32 = 1 << 14;
    pub const ALLOW_BUSY: u32 = 1 << 15;
    pub const MAY_REPLICATE: u32 = 1 << 16;

    pub fn parse(name: &str) -> u32 {
        match name {
            "write" => WRITE,
            "readonly" => READONLY,
            "denyoom" => DENYOOM,
            "admin" => ADMIN,
            "pubsub" => PUBSUB,
            "noscript" => NOSCRIPT,
            "blocking" => BLOCKING,
            "loading" => LOADING,
            "stale" => STALE,
            "fast" => FAST,
            "no_auth" => NO_AUTH,
            "no_multi" => NO_MULTI,
            "movablekeys" => MOVABLEKEYS,
            "skip_slowlog" => SKIP_SLOWLOG,
            "skip_monitor" => SKIP_MONITOR,
            "allow_busy" => ALLOW_BUSY,
            "may_replicate" => MAY_REPLICATE,
            _ => 0,
        }
    }
}

pub struct Command {
    /// Index into the server's per-command statistics.
    pub id: usize,
    /// Full name: `get`, `client|list`.
    pub name: String,
    pub arity: i32,
    pub flags: u32,
    pub handler: Handler,
    pub subcommands: HashMap<String, Command>,
    /// COMMAND INFO entry (without subcommands filtering applied).
    pub info: &'static Tree,
}

impl Command {
    pub fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }

    /// Subcommands sorted by name, for stable output.
    pub fn sorted_subcommands(&self) -> Vec<&Command> {
        let mut v: Vec<&Command> = self.subcommands.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// COMMAND DOCS entry of this command.
    pub fn docs(&self) -> Option<&'static Tree> {
        crate::commands::meta::docs().get(&self.name)
    }

    /// The command's group from its docs ("string", "server", …).
    pub fn group(&self) -> &str {
        self.docs()
            .and_then(|d| d.get("group"))
            .map(|g| g.as_str())
            .unwrap_or("")
    }

    /// ACL categories without the leading '@'.
    pub fn acl_categories(&self) -> Vec<&str> {
        self.info.items()[6]
            .items()
            .iter()
            .map(|t| t.as_str().trim_start_matches('@'))
            .collect()
    }

    /// COMMAND INFO entry, with subcommands limited to the ones we serve.
    pub fn write_info(&self, r: &mut crate::resp::Reply) {
        let items = self.info.items();
        r.array_len(items.len());
        for (i, t) in items.iter().enumerate() {
            if i == 9 {
                // Redis: an empty set when there are no subcommands, else an array.
                let subs = self.sorted_subcommands();
                if subs.is_empty() {
                    r.set_len(0);
                    continue;
                }
                r.array_len(subs.len());
                for s in subs {
                    s.write_info(r);
                }
            } else {
                t.write(r);
            }
        }
    }

    /// COMMAND DOCS value (a map), with subcommands limited likewise.
    pub fn write_docs(&self, r: &mut crate::resp::Reply) {
        let Some(Tree::Map(fields)) = self.docs() else {
            r.map_len(0);
            return;
        };
        r.map_len(fields.len());
        for (k, v) in fields {
            k.write(r);
            if k.as_str() == "subcommands" {
                let subs = self.sorted_subcommands();
                r.map_len(subs.len());
                for s in subs {
                    r.bulk_str(&s.name);
                    s.write_docs(r);
                }
            } else {
                v.write(r);
            }
        }
    }

    /// Key positions of a call of this command (COMMAND GETKEYS), from the
    /// key specs: begin_search index/keyword, find_keys range/keynum.
    pub fn get_keys(&self, argv: &[Bytes]) -> Vec<usize> {
        let mut out = Vec::new();
        let argc = argv.len() as i64;
        for spec in self.info.items()[8].items() {
            let Some(bs) = spec.get("begin_search") else {
                continue;
            };
            let bspec = bs.get("spec");
            let start: i64 = match bs.get("type").map(|t| t.as_str()) {
                Some("index") => bspec
                    .and_then(|s| s.get("index"))
                    .map(|i| i.as_int())
                    .unwrap_or(0),
                Some("keyword") => {
                    let kw = bspec
                        .and_then(|s| s.get("keyword"))
                        .map(|k| k.as_str())
                        .unwrap_or("");
                    let from = bspec
                        .and_then(|s| s.get("startfrom"))
                        .map(|k| k.as_int())
                        .unwrap_or(1);
                    let (mut i, end, step) = if from >= 0 {
                        (from, argc, 1)
                    } else {
                        (argc + from, 0, -1)
                    };
                    let mut found = 0;
                    while (step > 0 && i < end) || (step < 0 && i > end) {
                        if i >= 0
                            && i < argc
                            && argv[i as usize].eq_ignore_ascii_case(kw.as_bytes())
                        {
                            found = i + 1;
                            break;
                        }
                        i += step;
                    }
                    if found == 0 {
                        continue;
                    }
                    found
                }
                _ => continue,
            };
            let Some(fk) = spec.get("find_keys") else {
                continue;
            };
            let fspec = fk.get("spec");
            let geti = |k: &str| {
                fspec
                    .and_then(|s| s.get(k))
                    .map(|v| v.as_int())
                    .unwrap_or(0)
            };
            match fk.get("type").map(|t| t.as_str()) {
                Some("range") => {
                    let (last, step, limit) =
                        (geti("lastkey"), geti("keystep").max(1), geti("limit"));
                    let last_idx = if last >= 0 {
                        start + last
                    } else if limit <= 1 {
                        argc + last
                    } else {
                        start + (argc - start) / limit + last
                    };
                    let mut i = start;
                    while i <= last_idx && i < argc {
                        out.push(i as usize);
                        i += step;
                    }
                }
                Some("keynum") => {
                    let (ki, first, step) =
                        (geti("keynumidx"), geti("firstkey"), geti("keystep").max(1));
                    let Some(n) = argv
                        .get((start + ki) as usize)
                        .and_then(|b| crate::util::num::parse_i64(b))
                    else {
                        continue;
                    };
                    let mut i = start + first;
                    for _ in 0..n.max(0) {
                        if i >= argc {
                            break;
                        }
                        out.push(i as usize);
                        i += step;
                    }
                }
                _ => {}
            }
        }
        out
    }
}

pub struct Table {
    pub commands: HashMap<String, Command>,
    /// Number of command entries (parents and subcommands), for stats.
    pub count: usize,
}

fn no_base_handler(_: &mut crate::server::Server, c: &mut crate::net::Client, argv: &[Bytes]) {
    c.reply.err(&format!(
        "unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(argv.get(1).map(|b| &b[..]).unwrap_or(b"")),
        String::from_utf8_lossy(&argv[0]).to_uppercase()
    ));
}

/// Commands Redis flags `may_replicate`, a flag COMMAND INFO hides (so the
/// captured metadata lacks it): a WRITE client pause holds them back. Scripts
/// declaring flags drop it in Redis (evalGetCommandFlags).
const MAY_REPLICATE_HIDDEN: &[&str] =
    &["pfcount", "publish", "spublish", "eval", "evalsha", "fcall"];

impl Table {
    pub fn build(registered: &[(&'static str, Handler)]) -> Table {
        let m = meta();
        let mut next_id = 0;
        let mut make = |name: &str, handler: Handler| -> Command {
            let info = m
                .info
                .get(name)
                .unwrap_or_else(|| panic!("no Redis metadata for command '{name}'"));
            let items = info.items();
            let mut fl = 0;
            for f in items[2].items() {
                fl |= flags::parse(f.as_str());
            }
            if MAY_REPLICATE_HIDDEN.contains(&name) {
                fl |= flags::MAY_REPLICATE;
            }
            let c = Command {
                id: next_id,
                name: name.to_string(),
                arity: items[1].as_int() as i32,
                flags: fl,
                handler,
                subcommands: HashMap::new(),
                info,
            };
            next_id += 1;
            c
        };
        let mut commands: HashMap<String, Command> = HashMap::new();
        for (name, h) in registered.iter().filter(|(n, _)| !n.contains('|')) {
            commands.insert(name.to_string(), make(name, *h));
        }
        for (name, h) in registered.iter().filter(|(n, _)| n.contains('|')) {
            let parent = name.split('|').next().unwrap();
            if !commands.contains_key(parent) {
                commands.insert(parent.to_string(), make(parent, no_base_handler));
            }
            let sub = make(name, *h);
            let short = name.split('|').nth(1).unwrap().to_string();
            commands
                .get_mut(parent)
                .unwrap()
                .subcommands
                .insert(short, sub);
        }
        Table {
            commands,
            count: next_id,
        }
    }

    /// Find the command for `argv` (lowercasing without allocating for the
    /// usual short names). `Err(true)` = the container exists but not the
    /// subcommand.
    /// `rename-command from to`: serve the command under another name, or
    /// not at all when `to` is empty (Redis keeps its full name for stats).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), String> {
        if !to.is_empty() && self.commands.contains_key(to) {
            return Err("Target command name already exists".into());
        }
        if let Some(cmd) = self.commands.remove(from)
            && !to.is_empty()
        {
            self.commands.insert(to.to_string(), cmd);
        }
        Ok(())
    }

    pub fn lookup(&self, argv: &[Bytes]) -> Result<&Command, bool> {
        let base = self.find(&argv[0]).ok_or(false)?;
        if base.is_container() && argv.len() >= 2 {
            let mut buf = [0u8; 32];
            let sub = &argv[1];
            let name = if sub.len() <= buf.len() {
                for (i, b) in sub.iter().enumerate() {
                    buf[i] = b.to_ascii_lowercase();
                }
                std::str::from_utf8(&buf[..sub.len()]).ok()
            } else {
                None
            };
            return name.and_then(|n| base.subcommands.get(n)).ok_or(true);
        }
        Ok(base)
    }

    /// Lookup by name only (no subcommand), case-insensitive.
    pub fn find(&self, name: &[u8]) -> Option<&Command> {
        let mut buf = [0u8; 32];
        if name.len() > buf.len() {
            return None;
        }
        for (i, b) in name.iter().enumerate() {
            buf[i] = b.to_ascii_lowercase();
        }
        let s = std::str::from_utf8(&buf[..name.len()]).ok()?;
        self.commands.get(s)
    }

    /// Find by full name, `client|list` or `get`.
    pub fn find_full(&self, full: &str) -> Option<&Command> {
        let l = full.to_ascii_lowercase();
        let mut parts = l.splitn(2, '|');
        let base = self.commands.get(parts.next()?)?;
        match parts.next() {
            Some(sub) => base.subcommands.get(sub),
            None => Some(base),
        }
    }

    /// All commands, parents then their subcommands, sorted by name.
    pub fn all(&self) -> Vec<&Command> {
        let mut v: Vec<&Command> = self.commands.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }
}
