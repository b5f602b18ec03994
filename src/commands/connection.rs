//! Connection commands: PING, ECHO, QUIT, RESET, SELECT, HELLO, AUTH, CLIENT.

use bytes::Bytes;

use super::{Handler, arg_i64};
use crate::net::Client;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("quit", quit),
    ("select", select),
];

fn ping(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 2 {
        c.reply.err("wrong number of arguments for 'ping' command");
        return;
    }
    match argv.get(1) {
        Some(m) => c.reply.bulk(m),
        None => c.reply.simple("PONG"),
    }
}

fn echo(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    c.reply.bulk(&argv[1]);
}

fn quit(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.muted = false;
    c.reply.ok();
    c.close_after_reply = true;
}

fn select(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(id) = crate::util::num::parse_i64(&argv[1]) else {
        c.reply.err("value is not an integer or out of range");
        return;
    };
    let _ = arg_i64;
    if id < 0 || id as usize >= srv.dbs.len() {
        c.reply.err(super::DB_OUT_OF_RANGE);
        return;
    }
    c.db = id as usize;
    c.reply.ok();
}
