//! SYNC and PSYNC: a client asks for the replication stream
//! (`crate::replication`). PSYNC can only do a full resynchronization here.

use bytes::Bytes;

use super::Handler;
use crate::net::client::Client;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[("sync", sync), ("psync", psync)];

/// SYNC: the snapshot payload, then the stream.
fn sync(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    if c.multi.is_some() {
        c.reply.err("Command not allowed inside a transaction");
        return;
    }
    crate::replication::attach(srv, c);
}

/// PSYNC replid offset: always a full resynchronization.
fn psync(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    if c.multi.is_some() {
        c.reply.err("Command not allowed inside a transaction");
        return;
    }
    let line = format!("+FULLRESYNC {} 0\r\n", srv.run_id);
    if crate::replication::attach(srv, c) {
        c.reply.buf.extend_from_slice(line.as_bytes());
    }
}
