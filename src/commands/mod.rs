//! Command handlers, one module per family, and the command table.
//!
//! Every handler has the same shape: `fn(&mut Server, &mut Client, &[Bytes])`.
//! It parses its arguments (answering Redis's exact error texts), touches the
//! keyspace through `Db`, and writes its reply into `c.reply`; it never
//! writes to a socket or a file itself. Each family lists its handlers in a
//! `COMMANDS` table under their full names (`get`, `client|list`);
//! `registry()` gathers them for `table::Table::build`.

use bytes::Bytes;

use crate::net::Client;
use crate::server::Server;

pub mod bitfield;
pub mod bitops;
pub mod cluster;
pub mod connection;
pub mod diagnostics;
pub mod dump;
pub mod functions;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod introspection;
pub mod keys;
pub mod lists;
pub mod lolwut;
pub mod memory;
pub mod meta;
pub mod migrate;
pub mod multi;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod server_cmds;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod table;
pub mod zsets;

pub type Handler = fn(&mut Server, &mut Client, &[Bytes]);

/// Every registered handler, by full command name.
pub fn registry() -> Vec<(&'static str, Handler)> {
    let mut v = Vec::new();
    v.extend_from_slice(bitfield::COMMANDS);
    v.extend_from_slice(bitops::COMMANDS);
    v.extend_from_slice(cluster::COMMANDS);
    v.extend_from_slice(connection::COMMANDS);
    v.extend_from_slice(diagnostics::COMMANDS);
    v.extend_from_slice(dump::COMMANDS);
    v.extend_from_slice(functions::COMMANDS);
    v.extend_from_slice(geo::COMMANDS);
    v.extend_from_slice(hashes::COMMANDS);
    v.extend_from_slice(hyperloglog::COMMANDS);
    v.extend_from_slice(introspection::COMMANDS);
    v.extend_from_slice(keys::COMMANDS);
    v.extend_from_slice(lists::COMMANDS);
    v.extend_from_slice(lolwut::COMMANDS);
    v.extend_from_slice(memory::COMMANDS);
    v.extend_from_slice(migrate::COMMANDS);
    v.extend_from_slice(multi::COMMANDS);
    v.extend_from_slice(pubsub::COMMANDS);
    v.extend_from_slice(replication::COMMANDS);
    v.extend_from_slice(scripting::COMMANDS);
    v.extend_from_slice(server_cmds::COMMANDS);
    v.extend_from_slice(sets::COMMANDS);
    v.extend_from_slice(sort::COMMANDS);
    v.extend_from_slice(streams::COMMANDS);
    v.extend_from_slice(strings::COMMANDS);
    v.extend_from_slice(zsets::COMMANDS);
    v
}

// Shared error texts (Redis's shared.* replies).
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX_ERR: &str = "syntax error";
pub const NOT_INTEGER: &str = "value is not an integer or out of range";
pub const NOT_FLOAT: &str = "value is not a valid float";
pub const NO_SUCH_KEY: &str = "no such key";
pub const DB_OUT_OF_RANGE: &str = "DB index is out of range";

/// Parse an integer argument, answering Redis's error when it is not one.
pub fn arg_i64(c: &mut Client, b: &[u8]) -> Option<i64> {
    match crate::util::num::parse_i64(b) {
        Some(n) => Some(n),
        None => {
            c.reply.err(NOT_INTEGER);
            None
        }
    }
}

/// An integer argument that must fit in a C int (Redis's
/// getIntFromObjectOrReply). Errors are `msg` when given, else Redis's texts
/// for "not an integer" and "out of range".
pub fn arg_int(c: &mut Client, b: &[u8], msg: Option<&str>) -> Option<i64> {
    let err = match crate::util::num::parse_i64(b) {
        Some(n) if i32::try_from(n).is_ok() => return Some(n),
        Some(_) => format!(
            "value is out of range, value must between {} and {}",
            i32::MIN,
            i32::MAX
        ),
        None => NOT_INTEGER.to_string(),
    };
    c.reply.err(msg.unwrap_or(&err));
    None
}

/// The `count [WITHVALUES|WITHSCORES]` arguments of HRANDFIELD and
/// ZRANDMEMBER (`argv[2..]`): the signed count and whether the flag was
/// given, with Redis's range and syntax errors.
pub fn arg_random_count(c: &mut Client, argv: &[Bytes], flag: &str) -> Option<(i64, bool)> {
    let Some(l) = crate::util::num::parse_i64(&argv[2]) else {
        c.reply.err(NOT_INTEGER);
        return None;
    };
    if l == i64::MIN {
        c.reply.err(&format!(
            "value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        ));
        return None;
    }
    if argv.len() > 4 || (argv.len() == 4 && !is(&argv[3], flag)) {
        c.reply.err(SYNTAX_ERR);
        return None;
    }
    let with = argv.len() == 4;
    if with && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
        c.reply.err("value is out of range");
        return None;
    }
    Some((l, with))
}

/// Parse a float argument (strtod rules), answering Redis's error otherwise.
pub fn arg_f64(c: &mut Client, b: &[u8]) -> Option<f64> {
    match crate::util::num::parse_f64(b) {
        Some(n) => Some(n),
        None => {
            c.reply.err(NOT_FLOAT);
            None
        }
    }
}

/// Case-insensitive comparison of an argument with an ASCII keyword.
pub fn is(arg: &[u8], kw: &str) -> bool {
    arg.eq_ignore_ascii_case(kw.as_bytes())
}

/// Lossy text of an argument, for error messages.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
