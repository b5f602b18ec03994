//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: the command side of Lua
//! scripting. The engine itself is `crate::scripting`.

use bytes::Bytes;

use super::{Handler, is};
use crate::net::Client;
use crate::scripting::{self, Invocation};
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("eval", eval),
    ("evalsha", evalsha),
    ("eval_ro", eval_ro),
    ("evalsha_ro", evalsha_ro),
    ("script|load", script_load),
    ("script|exists", script_exists),
    ("script|flush", script_flush),
    ("script|kill", script_kill),
    ("script|help", script_help),
];

fn eval(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    eval_generic(srv, c, argv, false, false);
}

fn evalsha(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    eval_generic(srv, c, argv, true, false);
}

fn eval_ro(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    eval_generic(srv, c, argv, false, true);
}

fn evalsha_ro(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    eval_generic(srv, c, argv, true, true);
}

/// Compile and cache a script body; answers the error and returns None on
/// failure.
fn load(srv: &mut Server, c: &mut Client, body: &Bytes) -> Option<String> {
    let sha = scripting::sha1hex(body);
    if srv.scripting.scripts.contains_key(&sha) {
        return Some(sha);
    }
    let (flags, skip) = match scripting::shebang::parse(body) {
        Ok(r) => r,
        Err(e) => {
            c.reply.err(&e);
            return None;
        }
    };
    match srv.scripting.create(&sha, body, flags, skip) {
        Ok(()) => Some(sha),
        Err(e) => {
            c.reply.err(&e);
            None
        }
    }
}

/// The `numkeys` argument of EVAL / FCALL (`argv[2]`) checked against the
/// arguments that follow, with Redis's errors (`not_int` when it is not a
/// number).
pub(super) fn numkeys(c: &mut Client, argv: &[Bytes], not_int: &str) -> Option<usize> {
    let Some(n) = crate::util::num::parse_i64(&argv[2]) else {
        c.reply.err(not_int);
        return None;
    };
    if n > (argv.len() - 3) as i64 {
        c.reply
            .err("Number of keys can't be greater than number of args");
        return None;
    }
    if n < 0 {
        c.reply.err("Number of keys can't be negative");
        return None;
    }
    Some(n as usize)
}

fn eval_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], by_sha: bool, ro: bool) {
    let Some(numkeys) = numkeys(c, argv, super::NOT_INTEGER) else {
        return;
    };
    let sha = if by_sha {
        String::from_utf8_lossy(&argv[1]).to_ascii_lowercase()
    } else {
        match load(srv, c, &argv[1]) {
            Some(sha) => sha,
            None => return,
        }
    };
    let split = 3 + numkeys;
    scripting::run(
        srv,
        c,
        Invocation {
            sha,
            keys: &argv[3..split],
            args: &argv[split..],
            ro,
            argv,
        },
    );
}

fn script_load(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if let Some(sha) = load(srv, c, &argv[2]) {
        c.reply.bulk_str(&sha);
    }
}

fn script_exists(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    c.reply.array_len(argv.len() - 2);
    for a in &argv[2..] {
        let sha = String::from_utf8_lossy(a).to_ascii_lowercase();
        c.reply.int(srv.scripting.scripts.contains_key(&sha) as i64);
    }
}

fn script_flush(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 3 || (argv.len() == 3 && !is(&argv[2], "sync") && !is(&argv[2], "async")) {
        c.reply.err("SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    srv.scripting.flush();
    c.reply.ok();
}

fn script_kill(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    scripting::busy::kill(srv, c, true);
}

fn script_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
}
