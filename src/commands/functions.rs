//! FUNCTION (LOAD, DELETE, FLUSH, LIST, STATS, KILL, HELP), FCALL and
//! FCALL_RO. Libraries are kept by `crate::scripting::functions`.

use bytes::Bytes;

use super::{Handler, is};
use crate::net::Client;
use crate::scripting::{self, Target, functions::FLAG_NAMES};
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("fcall", fcall),
    ("fcall_ro", fcall_ro),
    ("function|load", function_load),
    ("function|delete", function_delete),
    ("function|flush", function_flush),
    ("function|list", function_list),
    ("function|stats", function_stats),
    ("function|kill", function_kill),
    ("function|dump", function_dump),
    ("function|restore", function_restore),
    ("function|help", function_help),
];

fn fcall(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    fcall_generic(srv, c, argv, false);
}

fn fcall_ro(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    fcall_generic(srv, c, argv, true);
}

fn fcall_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], ro: bool) {
    let name = String::from_utf8_lossy(&argv[1]).into_owned();
    let Some(f) = srv.scripting.functions.find(&name) else {
        c.reply.err("Function not found");
        return;
    };
    let (func, flags) = (f.func.clone(), f.flags);
    let Some(numkeys) = super::scripting::numkeys(c, argv, "Bad number of keys provided") else {
        return;
    };
    let split = 3 + numkeys;
    let target = Target {
        func,
        flags,
        name,
        eval_mode: false,
        ro,
    };
    scripting::execute(srv, c, target, &argv[3..split], &argv[split..], argv);
}

fn function_load(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut replace = false;
    let mut i = 2;
    while i < argv.len() - 1 {
        if is(&argv[i], "replace") {
            replace = true;
        } else {
            c.reply
                .err(&format!("Unknown option given: {}", super::text(&argv[i])));
            return;
        }
        i += 1;
    }
    if i >= argv.len() {
        c.reply.err("Function code is missing");
        return;
    }
    match srv.scripting.functions.load(&argv[i], replace) {
        Ok(name) => {
            srv.dirty += 1;
            c.reply.bulk_str(&name);
        }
        Err(e) => c.reply.err(&e),
    }
}

fn function_delete(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if srv.scripting.functions.delete(&super::text(&argv[2])) {
        srv.dirty += 1;
        c.reply.ok();
    } else {
        c.reply.err("Library not found");
    }
}

fn function_flush(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 3 {
        return syntax_error(c, argv);
    }
    if argv.len() == 3 && !is(&argv[2], "sync") && !is(&argv[2], "async") {
        c.reply
            .err("FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    srv.scripting.functions.flush();
    srv.dirty += 1;
    c.reply.ok();
}

fn function_list(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < argv.len() {
        if is(&argv[i], "withcode") && !with_code {
            with_code = true;
        } else if is(&argv[i], "libraryname") && pattern.is_none() {
            if i + 1 >= argv.len() {
                c.reply.err("library name argument was not given");
                return;
            }
            i += 1;
            pattern = Some(&argv[i]);
        } else {
            c.reply
                .err(&format!("Unknown argument {}", super::text(&argv[i])));
            return;
        }
        i += 1;
    }
    let libs: Vec<_> = srv
        .scripting
        .functions
        .libs
        .values()
        .filter(|l| {
            pattern.is_none_or(|p| crate::util::glob::glob_match(p, l.name.as_bytes(), false))
        })
        .collect();
    c.reply.array_len(libs.len());
    for lib in libs {
        c.reply.map_len(if with_code { 4 } else { 3 });
        c.reply.bulk_str("library_name");
        c.reply.bulk_str(&lib.name);
        c.reply.bulk_str("engine");
        c.reply.bulk_str("LUA");
        c.reply.bulk_str("functions");
        c.reply.array_len(lib.functions.len());
        for f in lib.functions.values() {
            c.reply.map_len(3);
            c.reply.bulk_str("name");
            c.reply.bulk_str(&f.name);
            c.reply.bulk_str("description");
            match &f.desc {
                Some(d) => c.reply.bulk(d),
                None => c.reply.null(),
            }
            c.reply.bulk_str("flags");
            let names: Vec<&str> = FLAG_NAMES
                .iter()
                .filter(|(_, b)| f.flags & b != 0)
                .map(|(n, _)| *n)
                .collect();
            c.reply.set_len(names.len());
            for n in names {
                c.reply.simple(n);
            }
        }
        if with_code {
            c.reply.bulk_str("library_code");
            c.reply.bulk(&lib.code);
        }
    }
}

fn function_stats(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.map_len(2);
    c.reply.bulk_str("running_script");
    match scripting::ctx().filter(|x| !x.eval_mode) {
        None => c.reply.null(),
        Some(x) => {
            c.reply.map_len(3);
            c.reply.bulk_str("name");
            c.reply.bulk_str(&x.sha);
            c.reply.bulk_str("command");
            c.reply.array_len(x.argv.len());
            for a in &x.argv {
                c.reply.bulk(a);
            }
            c.reply.bulk_str("duration_ms");
            c.reply.int(crate::util::time::now_ms() - x.start_ms);
        }
    }
    c.reply.bulk_str("engines");
    c.reply.map_len(1);
    c.reply.bulk_str("LUA");
    c.reply.map_len(2);
    c.reply.bulk_str("libraries_count");
    c.reply.int(srv.scripting.functions.libs.len() as i64);
    c.reply.bulk_str("functions_count");
    c.reply.int(srv.scripting.functions.function_count() as i64);
}

fn function_dump(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    let compress = srv.cfg.get("rdbcompression") != Some("no");
    let payload = srv.scripting.functions.dump(compress);
    c.reply.bulk(&payload);
}

/// Redis's addReplySubcommandSyntaxError.
fn syntax_error(c: &mut Client, argv: &[Bytes]) {
    c.reply.err(&format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
        super::text(&argv[1])
    ));
}

fn function_restore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 4 {
        return syntax_error(c, argv);
    }
    let policy = match argv.get(3) {
        None => "append",
        Some(p) if argv.len() == 4 && is(p, "flush") => "flush",
        Some(p) if argv.len() == 4 && is(p, "append") => "append",
        Some(p) if argv.len() == 4 && is(p, "replace") => "replace",
        Some(_) => {
            c.reply.err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            );
            return;
        }
    };
    match srv.scripting.functions.restore(&argv[2], policy) {
        Ok(()) => {
            srv.dirty += 1;
            c.reply.ok();
        }
        Err(e) => c.reply.err(&e),
    }
}

fn function_kill(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    scripting::busy::kill(srv, c, false);
}

fn function_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
}
