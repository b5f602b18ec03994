//! MONITOR: every command the server runs, streamed to the clients that
//! asked, in Redis's line format
//! `+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`.
//!
//! `Server::call` feeds each executed command (administrative ones are not
//! shown, as in Redis) with its sensitive arguments redacted the same way
//! as in the slow log. Monitors are kept as (slot, client id) pairs: a slot
//! reused by a new connection, or emptied, is noticed and dropped lazily,
//! so freeing a client needs no hook here.

use bytes::Bytes;

use crate::config_rewrite::repr;
use crate::net::Client;
use crate::server::Server;

#[derive(Default)]
pub struct Monitors {
    pub list: Vec<(usize, u64)>,
}

impl Monitors {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn add(&mut self, slot: usize, id: u64) {
        if !self.list.contains(&(slot, id)) {
            self.list.push((slot, id));
        }
    }

    pub fn contains(&self, id: u64) -> bool {
        self.list.iter().any(|&(_, i)| i == id)
    }
}

/// The line MONITOR clients receive for `argv` run by `c` in `db`.
pub fn line(c: &Client, db: usize, unixsocket: &str, argv: &[Bytes]) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let peer = if c.is_unix {
        format!("unix:{unixsocket}")
    } else {
        c.addr.clone()
    };
    let mut s = format!(
        "+{}.{:06} [{} {}] ",
        now.as_secs(),
        now.subsec_micros(),
        db,
        peer
    );
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&repr(a));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Send one command to every monitor but `c` itself.
pub fn feed(srv: &mut Server, c: &Client, cmd_name: &str, argv: &[Bytes]) {
    let shown = crate::slowlog::shown_argv(cmd_name, argv);
    let text = line(c, c.db, &srv.cfg.unixsocket, &shown);
    let mut keep = Vec::with_capacity(srv.monitors.list.len());
    for &(slot, id) in &srv.monitors.list {
        if id == c.id {
            keep.push((slot, id));
            continue;
        }
        match srv.clients.get_mut(slot) {
            Some(Some(m)) if m.id == id => {
                m.reply.raw(&text);
                if !m.pending_write && m.has_pending_reply() {
                    m.pending_write = true;
                    srv.pending_writes.push(slot);
                }
                keep.push((slot, id));
            }
            // Taken out of its slot for the moment: still alive.
            Some(None) => keep.push((slot, id)),
            _ => {}
        }
    }
    srv.monitors.list = keep;
}
