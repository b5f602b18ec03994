//! MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queueing itself happens in the dispatcher (`Server::execute`): while a
//! client is in MULTI every command but these control commands (and QUIT,
//! RESET) is checked, queued and answered `+QUEUED`; a refusal at that point
//! marks the transaction so EXEC aborts. EXEC runs the queue through the
//! same `Server::call` as any command; a runtime error of one command is
//! just its reply, nothing is rolled back. The watch machinery is in
//! `crate::multi`.

use bytes::Bytes;

use super::Handler;
use crate::net::Client;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("multi", multi),
    ("exec", exec),
    ("discard", discard),
    ("watch", watch),
    ("unwatch", unwatch),
];

pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

fn multi(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    if c.multi.is_some() {
        c.reply.err("MULTI calls can not be nested");
        return;
    }
    c.multi = Some(Default::default());
    c.reply.ok();
}

fn discard(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    if c.multi.is_none() {
        c.reply.err("DISCARD without MULTI");
        return;
    }
    srv.discard_transaction(c);
    c.reply.ok();
}

fn exec(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    let Some(state) = c.multi.take() else {
        c.reply.err("EXEC without MULTI");
        return;
    };
    if srv.watched_key_expired(c) {
        c.dirty_cas.set(true);
    }
    if c.dirty_exec || c.dirty_cas.get() {
        if c.dirty_exec {
            c.reply.err_code(EXECABORT);
        } else {
            c.reply.null_array();
        }
        srv.discard_transaction(c);
        return;
    }
    srv.unwatch_all(c);
    c.reply.array_len(state.cmds.len());
    srv.in_exec = true;
    for (cmd, argv) in &state.cmds {
        c.argc = argv.len();
        c.argv_len_sum = argv.iter().map(|a| a.len()).sum();
        srv.call(c, cmd, argv, crate::util::time::now_us());
    }
    srv.in_exec = false;
    srv.discard_transaction(c);
}

fn watch(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if c.multi.is_some() {
        c.reply.err("WATCH inside MULTI is not allowed");
        return;
    }
    // No point in watching once a watched key was touched.
    if !c.dirty_cas.get() {
        for k in &argv[1..] {
            srv.watch_key(c, k);
        }
    }
    c.reply.ok();
}

fn unwatch(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    srv.unwatch_all(c);
    c.dirty_cas.set(false);
    c.reply.ok();
}
