//! COMMAND and its subcommands: what this server serves, described with
//! Redis's own metadata.
//!
//! Everything here reads the command table (`srv.table`), which holds only
//! commands that have handlers, so COMMAND COUNT / LIST / INFO / DOCS report
//! exactly what a client can call, in Redis 7.0's reply shapes (RESP3 maps
//! and sets, flattened for RESP2). COMMAND GETKEYS and GETKEYSANDFLAGS run
//! Redis's key-spec search (begin_search index/keyword, find_keys
//! range/keynum) over the arguments of the command being described.

use bytes::Bytes;

use super::Handler;
use super::meta::Tree;
use super::table::{Command, Table};
use crate::net::Client;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("command", command),
    ("command|count", command_count),
    ("command|info", command_info),
    ("command|docs", command_docs),
    ("command|list", command_list),
    ("command|getkeys", command_getkeys),
    ("command|getkeysandflags", command_getkeysandflags),
    ("command|help", command_help),
];

/// COMMAND: the COMMAND INFO entry of every command.
fn command(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    write_all_info(srv.table, c);
}

fn write_all_info(table: &Table, c: &mut Client) {
    let all = table.all();
    c.reply.array_len(all.len());
    for cmd in all {
        cmd.write_info(&mut c.reply);
    }
}

fn command_count(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.int(srv.table.commands.len() as i64);
}

/// COMMAND INFO [name ...]: nil for names we do not serve (`get|key`,
/// `config|get|x` included, as Redis).
fn command_info(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let table = srv.table;
    if argv.len() == 2 {
        write_all_info(table, c);
        return;
    }
    c.reply.array_len(argv.len() - 2);
    for name in &argv[2..] {
        match find_by_full_name(table, name) {
            Some(cmd) => cmd.write_info(&mut c.reply),
            None => c.reply.null(),
        }
    }
}

/// COMMAND DOCS [name ...]: a map name → docs; unknown names are skipped.
fn command_docs(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let table = srv.table;
    if argv.len() == 2 {
        let all = table.all();
        c.reply.map_len(all.len());
        for cmd in all {
            c.reply.bulk_str(&cmd.name);
            cmd.write_docs(&mut c.reply);
        }
        return;
    }
    let found: Vec<&Command> = argv[2..]
        .iter()
        .filter_map(|n| find_by_full_name(table, n))
        .collect();
    c.reply.map_len(found.len());
    for cmd in found {
        c.reply.bulk_str(&cmd.name);
        cmd.write_docs(&mut c.reply);
    }
}

/// `get`, `client|list`; at most one level of subcommands.
fn find_by_full_name<'a>(table: &'a Table, name: &[u8]) -> Option<&'a Command> {
    let s = std::str::from_utf8(name).ok()?;
    if s.is_empty() || s.matches('|').count() > 1 {
        return None;
    }
    table.find_full(s)
}

enum ListFilter {
    Module,
    AclCat(String),
    Pattern(Vec<u8>),
}

impl ListFilter {
    fn keeps(&self, cmd: &Command) -> bool {
        match self {
            // No modules can be loaded: no command belongs to one.
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => cmd
                .acl_categories()
                .iter()
                .any(|c| c.eq_ignore_ascii_case(cat)),
            ListFilter::Pattern(p) => crate::util::glob::glob_match(p, cmd.name.as_bytes(), true),
        }
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
fn command_list(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut filter = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if super::is(&argv[i], "filterby") && more == 2 {
            let arg = &argv[i + 2];
            filter = Some(if super::is(&argv[i + 1], "module") {
                ListFilter::Module
            } else if super::is(&argv[i + 1], "aclcat") {
                ListFilter::AclCat(super::text(arg))
            } else if super::is(&argv[i + 1], "pattern") {
                ListFilter::Pattern(arg.to_vec())
            } else {
                c.reply.err(super::SYNTAX_ERR);
                return;
            });
            i += 3;
        } else {
            c.reply.err(super::SYNTAX_ERR);
            return;
        }
    }
    let mut names = Vec::new();
    for cmd in srv.table.all() {
        for x in std::iter::once(cmd).chain(cmd.sorted_subcommands()) {
            if filter.as_ref().is_none_or(|f| f.keeps(x)) {
                names.push(x.name.as_str());
            }
        }
    }
    c.reply.array_len(names.len());
    for n in names {
        c.reply.bulk_str(n);
    }
}

fn command_getkeys(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    getkeys(srv, c, argv, false);
}

fn command_getkeysandflags(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    getkeys(srv, c, argv, true);
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS <full command line>.
fn getkeys(srv: &mut Server, c: &mut Client, argv: &[Bytes], with_flags: bool) {
    let target = &argv[2..];
    let Ok(cmd) = srv.table.lookup(target) else {
        c.reply.err("Invalid command specified");
        return;
    };
    if !has_keys(cmd) {
        c.reply.err("The command has no key arguments");
        return;
    }
    let n = target.len() as i64;
    let arity = cmd.arity as i64;
    if (arity > 0 && arity != n) || n < -arity {
        c.reply
            .err("Invalid number of arguments specified for command");
        return;
    }
    let keys = match keys_by_command(cmd, target).or_else(|| keys_with_flags(cmd, target)) {
        Some(k) if !k.is_empty() => k,
        _ if cmd.info.items()[2]
            .items()
            .iter()
            .any(|f| f.as_str() == "no_mandatory_keys") =>
        {
            Vec::new()
        }
        _ => {
            c.reply.err("Invalid arguments specified for command");
            return;
        }
    };
    c.reply.array_len(keys.len());
    for (pos, flags) in keys {
        if with_flags {
            c.reply.array_len(2);
            c.reply.bulk(&target[pos]);
            flags.write(&mut c.reply);
        } else {
            c.reply.bulk(&target[pos]);
        }
    }
}

/// Commands whose key flags depend on their arguments (`variable_flags`
/// specs), answered as Redis's getkeys procs do. SET is RW access update
/// with GET, OW update without. SORT's (and SORT_RO's) key is RO access, SORT's last STORE
/// destination OW update. (BITFIELD and MIGRATE will need theirs when
/// they exist.)
fn keys_by_command(cmd: &Command, argv: &[Bytes]) -> Option<Vec<(usize, &'static Tree)>> {
    use std::sync::OnceLock;
    static OW_UPDATE: OnceLock<Tree> = OnceLock::new();
    static RW_ACCESS_UPDATE: OnceLock<Tree> = OnceLock::new();
    static RO_ACCESS: OnceLock<Tree> = OnceLock::new();
    let set =
        |names: &[&str]| Tree::Set(names.iter().map(|n| Tree::Simple(n.to_string())).collect());
    match cmd.name.as_str() {
        "set" => {
            let with_get = argv.iter().skip(3).any(|a| super::is(a, "get"));
            let flags = if with_get {
                RW_ACCESS_UPDATE.get_or_init(|| set(&["RW", "access", "update"]))
            } else {
                OW_UPDATE.get_or_init(|| set(&["OW", "update"]))
            };
            Some(vec![(1, flags)])
        }
        "sort_ro" => Some(vec![(1, RO_ACCESS.get_or_init(|| set(&["RO", "access"])))]),
        "sort" => {
            let mut keys = vec![(1, RO_ACCESS.get_or_init(|| set(&["RO", "access"])))];
            if let Some(dst) = super::sort::store_key_pos(argv) {
                keys.push((dst, OW_UPDATE.get_or_init(|| set(&["OW", "update"]))));
            }
            Some(keys)
        }
        _ => None,
    }
}

/// The key specs of a command (COMMAND INFO's 9th field).
fn key_specs(cmd: &Command) -> &[Tree] {
    cmd.info.items().get(8).map(|t| t.items()).unwrap_or(&[])
}

fn spec_has_flag(spec: &Tree, flag: &str) -> bool {
    spec.get("flags")
        .is_some_and(|f| f.items().iter().any(|x| x.as_str() == flag))
}

/// Redis's doesCommandHaveKeys: some key spec that is not `not_key`.
fn has_keys(cmd: &Command) -> bool {
    key_specs(cmd).iter().any(|s| !spec_has_flag(s, "not_key"))
}

/// Key positions in `argv` (the command line being described) with the
/// flags of the spec that found each, following Redis's
/// getKeysUsingKeySpecs. `None` when the arguments contradict a spec (a key
/// position beyond the arguments, an unparsable key count).
///
/// Redis falls back to per-command key extractors for specs marked
/// `incomplete` or `variable_flags` (SORT ... STORE, MIGRATE ... KEYS); we
/// have none, so those specs contribute what they find.
fn keys_with_flags<'a>(cmd: &'a Command, argv: &[Bytes]) -> Option<Vec<(usize, &'a Tree)>> {
    let argc = argv.len() as i64;
    let mut out = Vec::new();
    let int = |t: Option<&Tree>, k: &str| t.and_then(|s| s.get(k)).map(|v| v.as_int()).unwrap_or(0);
    for spec in key_specs(cmd) {
        if spec_has_flag(spec, "not_key") {
            continue;
        }
        let flags = spec.get("flags")?;
        let bs = spec.get("begin_search")?;
        let bspec = bs.get("spec");
        let first = match bs.get("type").map(|t| t.as_str()) {
            Some("index") => int(bspec, "index"),
            Some("keyword") => {
                let kw = bspec
                    .and_then(|s| s.get("keyword"))
                    .map(|k| k.as_str())
                    .unwrap_or("");
                let from = int(bspec, "startfrom");
                let (start, end) = if from > 0 {
                    (from, argc - 1)
                } else {
                    (argc + from, 1)
                };
                // As Redis: the search stops before `end`.
                let mut found = 0;
                let mut i = start;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if argv[i as usize].eq_ignore_ascii_case(kw.as_bytes()) {
                        found = i + 1;
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            _ => return None,
        };
        let fk = spec.get("find_keys")?;
        let fspec = fk.get("spec");
        let (first, last, step) = match fk.get("type").map(|t| t.as_str()) {
            Some("range") => {
                let lastkey = int(fspec, "lastkey");
                let limit = int(fspec, "limit");
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (first, last, int(fspec, "keystep"))
            }
            Some("keynum") => {
                let idx = first + int(fspec, "keynumidx");
                if idx >= argc {
                    return None;
                }
                let n = crate::util::num::parse_i64(&argv[idx as usize]).filter(|&n| n >= 0)?;
                let first = first + int(fspec, "firstkey");
                (first, first + n - 1, int(fspec, "keystep"))
            }
            _ => return None,
        };
        // Out of bounds (a key count of zero included) is a syntax error;
        // commands flagged no_mandatory_keys then answer an empty list.
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            out.push((i as usize, flags));
            i += step.max(1);
        }
    }
    Some(out)
}

fn command_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
}
