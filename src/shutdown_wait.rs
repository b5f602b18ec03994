//! A shutdown that waits for lagging replicas (Redis 7's
//! `shutdown-timeout`).
//!
//! SHUTDOWN without NOW, or SIGTERM / SIGINT, on a master whose replicas
//! have not acknowledged the whole stream does not exit at once: the
//! replicas are asked for an ACK, SHUTDOWN clients block, and the cron
//! finishes the shutdown when every replica is in sync or
//! `shutdown-timeout` seconds have passed, logging the laggards. If the
//! final save then fails, or SHUTDOWN ABORT comes first, the blocked
//! clients get an error and the server goes on.

use crate::net::client::Client;
use crate::server::Server;

/// The pending shutdown (`Server::replicas.shutdown`).
#[derive(Default)]
pub struct Pending {
    /// Absolute deadline (ms); 0 = no shutdown initiated.
    pub deadline_ms: i64,
    save: bool,
    nosave: bool,
    force: bool,
    /// Blocked SHUTDOWN clients: (slot, id).
    waiters: Vec<(usize, u64)>,
}

const FAILED: &str = "Errors trying to SHUTDOWN. Check logs.";

static SHUTDOWN_KIND: crate::blocking::Kind = crate::blocking::Kind {
    ready: |_| false,
    on_timeout: |c| c.reply.err(FAILED),
};

fn timeout_secs(srv: &Server) -> i64 {
    srv.cfg
        .get("shutdown-timeout")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

/// Whether a shutdown is waiting for replicas.
pub fn initiated(srv: &Server) -> bool {
    srv.shutdown.deadline_ms != 0
}

/// INFO server's shutdown_in_milliseconds, while one is pending.
pub fn remaining_ms(srv: &Server) -> Option<i64> {
    initiated(srv).then(|| (srv.shutdown.deadline_ms - srv.now_ms).max(0))
}

/// Start waiting instead of exiting, if some replica lags. `c` is the
/// SHUTDOWN client (blocked until the end), None for a signal. Returns
/// false when there is nothing to wait for.
pub fn begin(
    srv: &mut Server,
    c: Option<&mut Client>,
    save: bool,
    nosave: bool,
    force: bool,
) -> bool {
    if !initiated(srv) {
        if timeout_secs(srv) == 0 || crate::replication::replicas_in_sync(srv) {
            return false;
        }
        crate::log_warning!("User requested shutdown...");
        srv.shutdown = Pending {
            deadline_ms: srv.now_ms + timeout_secs(srv) * 1000,
            save,
            nosave,
            force,
            waiters: Vec::new(),
        };
        crate::replication::request_acks(srv);
        crate::log_notice!("Waiting for replicas before shutting down.");
    }
    if let Some(c) = c {
        crate::blocking::block(srv, c, &[], 0, &SHUTDOWN_KIND);
        srv.shutdown.waiters.push((c.token, c.id));
    }
    true
}

/// Cron: finish the shutdown once the replicas are in sync or time is up.
pub fn cron(srv: &mut Server) {
    if !initiated(srv) {
        return;
    }
    if srv.now_ms < srv.shutdown.deadline_ms && !crate::replication::replicas_in_sync(srv) {
        return;
    }
    crate::replication::log_lagging(srv);
    let p = std::mem::take(&mut srv.shutdown);
    if crate::persistence::background::final_save(srv, p.save, p.nosave, p.force) {
        srv.final_save_done = true;
        srv.shutdown_asap = true;
        return;
    }
    crate::log_warning!(
        "Errors trying to shut down the server. Check the logs for more information."
    );
    fail_waiters(srv, p.waiters);
}

/// SHUTDOWN ABORT: false if no shutdown was pending.
pub fn abort(srv: &mut Server) -> bool {
    if !initiated(srv) {
        return false;
    }
    let p = std::mem::take(&mut srv.shutdown);
    fail_waiters(srv, p.waiters);
    crate::log_notice!("Shutdown manually aborted.");
    true
}

fn fail_waiters(srv: &mut Server, waiters: Vec<(usize, u64)>) {
    for (slot, id) in waiters {
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(|s| s.take()) else {
            continue;
        };
        if c.id == id && c.blocked.is_some() {
            c.reply.err(FAILED);
            crate::blocking::unblock(srv, &mut c);
        }
        srv.put_back(c, true);
    }
}
