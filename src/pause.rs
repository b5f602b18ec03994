//! CLIENT PAUSE / UNPAUSE: hold back clients' commands for a while.
//!
//! As Redis's pause (networking.c): a pause is ALL (every command waits) or
//! WRITE (only commands that write or may replicate, and EXEC of a
//! transaction holding one), and ends at a deadline or on CLIENT UNPAUSE.
//! A client whose command must wait is *postponed*: the command is kept in
//! `Client::postponed`, nothing more of its input is read, and when the
//! pause ends (checked before every sleep of the event loop) the command
//! runs again from the start — it is delayed, never dropped. A new pause
//! merges with a running one: the stricter mode and the later end win.
//!
//! While any pause is in effect keys are not expired, neither lazily nor
//! actively: an expired key reads as gone but stays, so no DEL reaches the
//! AOF or replicas (a failover or a shutdown waiting for replicas relies
//! on a still dataset). The keyspace learns of it through
//! [`expiry_held`], a process-wide flag like the replica's.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::net::Client;
use crate::server::Server;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pause {
    pub write_only: bool,
    /// Unix time (ms) the pause ends.
    pub end_ms: i64,
}

#[derive(Default)]
pub struct ClientPause {
    pub active: Option<Pause>,
    /// Postponed clients as (slot, client id).
    pub postponed: Vec<(usize, u64)>,
    /// The pause ended or got weaker: postponed clients may run again.
    release: bool,
}

/// End (unix ms) of the pause in effect, 0 without one.
static HOLD_EXPIRY_UNTIL: AtomicI64 = AtomicI64::new(0);

/// Whether a client pause holds key expiry at `now_ms`.
pub fn expiry_held(now_ms: i64) -> bool {
    let end = HOLD_EXPIRY_UNTIL.load(Ordering::Relaxed);
    end != 0 && now_ms <= end
}

impl ClientPause {
    /// Start or extend a pause.
    pub fn pause(&mut self, write_only: bool, end_ms: i64) {
        let p = match self.active {
            Some(p) => Pause {
                write_only: p.write_only && write_only,
                end_ms: p.end_ms.max(end_ms),
            },
            None => Pause { write_only, end_ms },
        };
        HOLD_EXPIRY_UNTIL.store(p.end_ms, Ordering::Relaxed);
        self.active = Some(p);
    }

    pub fn unpause(&mut self) {
        if self.active.take().is_some() {
            self.release = true;
        }
        HOLD_EXPIRY_UNTIL.store(0, Ordering::Relaxed);
    }

    /// End the pause if its time has come.
    pub fn expire(&mut self, now_ms: i64) {
        if self.active.is_some_and(|p| p.end_ms < now_ms) {
            self.active = None;
            self.release = true;
            HOLD_EXPIRY_UNTIL.store(0, Ordering::Relaxed);
        }
    }

    /// Must a command (writing or not) wait now?
    pub fn must_wait(&mut self, now_ms: i64, writes: bool) -> bool {
        self.expire(now_ms);
        self.active.is_some_and(|p| !p.write_only || writes)
    }
}

/// Keep `c`'s command for later (Redis's blockPostponeClient).
pub fn postpone(srv: &mut Server, c: &mut Client, argv: Vec<bytes::Bytes>) {
    c.postponed = Some(argv);
    srv.pause.postponed.push((c.token, c.id));
}

/// Run the postponed commands once the pause is over or weaker.
pub fn release_if_due(srv: &mut Server, now_ms: i64) {
    srv.pause.expire(now_ms);
    if !srv.pause.release {
        return;
    }
    srv.pause.release = false;
    let list = std::mem::take(&mut srv.pause.postponed);
    for (slot, id) in list {
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(|s| s.take()) else {
            continue;
        };
        if c.id == id
            && let Some(argv) = c.postponed.take()
        {
            srv.execute(&mut c, argv);
            if c.postponed.is_none() && !c.query.is_empty() {
                srv.process_input_pub(&mut c);
            }
        }
        srv.put_back(c, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_expire_and_modes() {
        let mut p = ClientPause::default();
        assert!(!p.must_wait(0, true));
        p.pause(true, 100);
        assert!(p.must_wait(50, true));
        assert!(!p.must_wait(50, false));
        p.pause(false, 80);
        assert_eq!(
            p.active,
            Some(Pause {
                write_only: false,
                end_ms: 100
            })
        );
        assert!(p.must_wait(90, false));
        assert!(!p.must_wait(101, false));
        assert!(p.release);
    }
}
