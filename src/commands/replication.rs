//! Replication commands: SYNC / PSYNC and REPLCONF (what a replica sends
//! its master, `crate::replication`), REPLICAOF / SLAVEOF (`crate::replica`),
//! ROLE and WAIT.

use bytes::Bytes;

use super::{Handler, SYNTAX_ERR};
use crate::net::client::Client;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("sync", sync),
    ("psync", psync),
    ("replconf", replconf),
    ("replicaof", replicaof),
    ("slaveof", replicaof),
    ("role", role),
    ("wait", wait),
];

/// SYNC: the snapshot payload, then the stream.
fn sync(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    if c.multi.is_some() {
        c.reply.err("Command not allowed inside a transaction");
        return;
    }
    crate::replication::attach(srv, c, None);
}

/// PSYNC replid offset: continue from the backlog, or a full
/// resynchronization.
fn psync(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if c.multi.is_some() {
        c.reply.err("Command not allowed inside a transaction");
        return;
    }
    let Some(offset) = super::arg_i64(c, &argv[2]) else {
        crate::log_warning!(
            "Replica {} asks for synchronization but with a wrong offset",
            crate::replication::replica_name(c)
        );
        return;
    };
    crate::replication::attach(srv, c, Some((&argv[1], offset)));
}

/// REPLCONF option value ...: what a replica tells its master.
fn replconf(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len().is_multiple_of(2) {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    for pair in argv[1..].chunks(2) {
        let (opt, val) = (&pair[0], &pair[1]);
        let opt = String::from_utf8_lossy(opt).to_ascii_lowercase();
        match opt.as_str() {
            "listening-port" => match crate::util::num::parse_i64(val) {
                Some(p) if (0..=65535).contains(&p) => c.replica_port = p as u16,
                _ => {
                    c.reply.err(super::NOT_INTEGER);
                    return;
                }
            },
            "ip-address" => {
                if val.len() >= 46 {
                    c.reply.err(&format!(
                        "REPLCONF ip-address provided by replica instance is too long: {} bytes",
                        val.len()
                    ));
                    return;
                }
                c.replica_ip = String::from_utf8_lossy(val).into_owned();
            }
            "capa" => {
                if val.eq_ignore_ascii_case(b"psync2") {
                    c.replica_capa_psync2 = true;
                }
            }
            "ack" => {
                // No reply: the replica does not read one.
                if let Some(off) = crate::util::num::parse_i64(val) {
                    crate::replication::ack(srv, c, off);
                }
                return;
            }
            "getack" => {
                if c.is_master {
                    crate::replica::send_ack(srv, c);
                }
                return;
            }
            "rdb-only" | "rdb-filter-only" => {}
            _ => {
                c.reply.err(&format!(
                    "Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(&pair[0])
                ));
                return;
            }
        }
    }
    c.reply.ok();
}

/// REPLICAOF host port | NO ONE.
fn replicaof(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv[1].eq_ignore_ascii_case(b"no") && argv[2].eq_ignore_ascii_case(b"one") {
        if srv.master_link.is_some() {
            crate::replica::unset_master(srv);
            crate::log_notice!(
                "MASTER MODE enabled (user request from '{}')",
                c.info_line(srv.now_ms, c.last_cmd)
            );
        }
        c.reply.ok();
        return;
    }
    if crate::replication::is_replica(srv, c) {
        c.reply
            .err("Command is not valid when client is a replica.");
        return;
    }
    let port = match crate::util::num::parse_i64(&argv[2]) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => {
            c.reply.err("Invalid master port");
            return;
        }
    };
    let host = String::from_utf8_lossy(&argv[1]).into_owned();
    if let Some(l) = &srv.master_link
        && l.host.eq_ignore_ascii_case(&host)
        && l.port == port
    {
        crate::log_notice!(
            "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed."
        );
        c.reply.simple("OK Already connected to specified master");
        return;
    }
    crate::replica::set_master(srv, &host, port, false);
    crate::log_notice!(
        "REPLICAOF {host}:{port} enabled (user request from '{}')",
        c.info_line(srv.now_ms, c.last_cmd)
    );
    c.reply.ok();
}

/// ROLE: master (offset, replicas) or slave (master, link state, offset).
fn role(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    if crate::replica::role(srv, c) {
        return;
    }
    c.reply.array_len(3);
    c.reply.bulk_str("master");
    c.reply.int(srv.replicas.offset);
    crate::replication::role_replicas(srv, c);
}

/// WAIT numreplicas timeout: block until that many replicas acknowledged
/// this client's writes, or the timeout (ms) passes.
fn wait(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if srv.master_link.is_some() {
        c.reply.err("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
        return;
    }
    let Some(n) = super::arg_i64(c, &argv[1]) else {
        return;
    };
    let Some(ms) = timeout_ms(c, &argv[2]) else {
        return;
    };
    let deadline = if ms > 0 { srv.now_ms + ms } else { 0 };
    crate::replication::wait(srv, c, n.max(0) as usize, deadline);
}

/// A timeout in milliseconds (UNIT_MILLISECONDS): an integer, not negative.
fn timeout_ms(c: &mut Client, b: &[u8]) -> Option<i64> {
    match crate::util::num::parse_i64(b) {
        Some(n) if n < 0 => {
            c.reply.err("timeout is negative");
            None
        }
        Some(n) => Some(n),
        None => {
            c.reply.err("timeout is not an integer or out of range");
            None
        }
    }
}
