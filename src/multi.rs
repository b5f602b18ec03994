//! Transactions: the MULTI queue of a client and optimistic locking (WATCH).
//!
//! A client in MULTI keeps the commands it sends in `MultiState`; EXEC runs
//! them back to back through the server's normal `call` path. WATCH is
//! check-and-set: the server keeps, per database, the clients watching each
//! key; every write to a key (`signal_modified_key`, called where a command
//! modifies the keyspace, and for keys deleted by expiry), FLUSHDB/FLUSHALL
//! and SWAPDB (`touch_all_watched_in_db`) mark those clients' transactions
//! dirty, and EXEC of a dirty transaction answers a null array.
//!
//! The dirty mark (Redis's CLIENT_DIRTY_CAS) is a `Rc<Cell<bool>>` shared by
//! the client and its entries in the watch table: the client being served
//! is out of the slab while its command runs, so a write can reach every
//! watcher, itself included, without looking clients up.
//!
//! A key that had already expired when it was WATCHed is remembered as such:
//! its deletion by expiry is no change, and EXEC fails only if a key that was
//! alive when watched has expired since (Redis 7.0's rules).

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use bytes::Bytes;

use crate::commands::table::Command;
use crate::net::Client;
use crate::server::Server;

/// The commands queued by MULTI.
#[derive(Default)]
pub struct MultiState {
    pub cmds: Vec<(&'static Command, Vec<Bytes>)>,
    /// Memory of the queued arguments (CLIENT LIST multi-mem).
    pub mem: usize,
}

/// One client watching one key.
pub struct Watcher {
    pub client: u64,
    /// The key was already logically expired when WATCHed.
    pub expired: bool,
    pub dirty: Rc<Cell<bool>>,
}

/// Per database: key → clients watching it.
pub type WatchTable = HashMap<Bytes, Vec<Watcher>>;

impl Server {
    /// WATCH one key in the client's current database.
    pub fn watch_key(&mut self, c: &mut Client, key: &Bytes) {
        if c.watched.iter().any(|(d, k)| *d == c.db && k == key) {
            return;
        }
        let expired = self.dbs[c.db].is_expired(key, self.now_ms);
        let key = &crate::util::owned(key);
        self.watched_keys[c.db]
            .entry(key.clone())
            .or_default()
            .push(Watcher {
                client: c.id,
                expired,
                dirty: c.dirty_cas.clone(),
            });
        c.watched.push((c.db, key.clone()));
    }

    /// Forget every key the client watches (the dirty mark stays).
    pub fn unwatch_all(&mut self, c: &mut Client) {
        for (db, key) in c.watched.drain(..) {
            let table = &mut self.watched_keys[db];
            if let Some(list) = table.get_mut(&key) {
                list.retain(|w| w.client != c.id);
                if list.is_empty() {
                    table.remove(&key);
                }
            }
        }
    }

    /// A key of database `db` was modified (written, deleted, expired):
    /// transactions watching it will fail, caching clients are told
    /// (`crate::tracking`).
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        self.touch_watched_key(db, key);
        let modifier = self.tracking.current.map(|k| k.id);
        self.tracking_invalidate_key(&mut None, key, modifier, true);
    }

    /// Mark the transactions watching `key` of database `db` dirty.
    pub fn touch_watched_key(&mut self, db: usize, key: &[u8]) {
        let table = &mut self.watched_keys[db];
        if table.is_empty() {
            return;
        }
        let Some(list) = table.get_mut(key) else {
            return;
        };
        let exists = self.dbs[db].keys.contains_key(key);
        for w in list {
            if w.expired && !exists {
                // A key already expired when watched is now deleted: no
                // logical change. From now on it is simply absent.
                w.expired = false;
                continue;
            }
            w.dirty.set(true);
        }
    }

    /// Database `emptied` is about to be flushed (`replaced_with` None) or
    /// swapped with `replaced_with`: touch the watched keys whose logical
    /// existence changes.
    pub fn touch_all_watched_in_db(&mut self, emptied: usize, replaced_with: Option<usize>) {
        if self.watched_keys[emptied].is_empty() {
            return;
        }
        let now = self.now_ms;
        let dbs = &self.dbs;
        for (key, list) in self.watched_keys[emptied].iter_mut() {
            let in_emptied = dbs[emptied].keys.contains_key(&key[..]);
            let in_replacement = replaced_with.is_some_and(|r| dbs[r].keys.contains_key(&key[..]));
            if !in_emptied && !in_replacement {
                continue;
            }
            let replacement_expired =
                replaced_with.is_some_and(|r| in_replacement && dbs[r].is_expired(key, now));
            for w in list.iter_mut() {
                if w.expired {
                    if !in_replacement {
                        // An expired key deleted: no change.
                        w.expired = false;
                        continue;
                    } else if replacement_expired {
                        // Expired before, expired after.
                        continue;
                    }
                } else if !in_emptied && replacement_expired {
                    // Absent, replaced by a key already expired.
                    w.expired = true;
                    continue;
                }
                w.dirty.set(true);
            }
        }
    }

    /// Whether a key the client watched alive has expired since (EXEC).
    pub fn watched_key_expired(&self, c: &Client) -> bool {
        c.watched.iter().any(|(db, key)| {
            let alive_when_watched = self.watched_keys[*db]
                .get(key)
                .and_then(|l| l.iter().find(|w| w.client == c.id))
                .is_some_and(|w| !w.expired);
            alive_when_watched && self.dbs[*db].is_expired(key, self.now_ms)
        })
    }

    /// Leave MULTI and forget the watched keys (DISCARD, EXEC, RESET,
    /// disconnection).
    pub fn discard_transaction(&mut self, c: &mut Client) {
        c.multi = None;
        c.dirty_exec = false;
        c.dirty_cas.set(false);
        self.unwatch_all(c);
    }
}
