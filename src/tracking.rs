//! Client-side caching: CLIENT TRACKING and invalidation messages.
//!
//! Two modes, as in Redis. In the default mode the server remembers, per
//! key name (global across databases), the ids of the tracking clients that
//! read it with a read-only command; the first modification of the key sends
//! each of them one `invalidate` message and forgets the entry. In BCAST mode
//! clients subscribe to key prefixes instead; modified keys are collected per
//! prefix and sent in one message per prefix when the loop goes back to
//! sleep.
//!
//! A message goes to the tracking client itself as a RESP3 push
//! (`>2 invalidate [keys]`), or to the client it redirects to: a RESP3 push
//! there too, or for a RESP2 client in Pub/Sub mode a `message` on
//! `__redis__:invalidate`. A redirection whose client has gone marks the
//! tracker broken and, in RESP3, tells it with `tracking-redir-broken`.
//!
//! Messages about keys the client being served changed during its own
//! command are held back until its reply is written (after EXEC for a
//! transaction), so they never land inside a reply. The client being served
//! is out of the client slab while its command runs, so `Server::call`
//! records a snapshot of what the invalidation path needs to know about it
//! (`Current`); keys modified during the command for that client go to
//! `pending`, pushes for it as a redirection target to `to_current`. Both
//! are written after its reply; Redis writes the second kind at once, so a
//! client that is both the redirection target and the writer sees that
//! push after its reply rather than before (the only ordering difference).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use bytes::Bytes;

use crate::net::Client;
use crate::pubsub::push;
use crate::resp::Reply;
use crate::server::Server;

/// Tracking state of one client (Redis's CLIENT_TRACKING_* flags).
#[derive(Default, Debug, Clone)]
pub struct ClientTracking {
    pub on: bool,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING yes (OPTIN) / no (OPTOUT) for the next command.
    pub caching: bool,
    pub broken_redir: bool,
    /// Client id invalidations go to; 0 = this client itself.
    pub redirect: u64,
    /// BCAST prefixes, sorted.
    pub prefixes: BTreeSet<Bytes>,
}

/// Options of CLIENT TRACKING ON.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    pub prefixes: Vec<Bytes>,
}

/// One BCAST prefix: its subscribers and the keys modified since the last
/// broadcast, each with the id of the client that modified it last (for
/// NOLOOP).
#[derive(Default)]
struct Prefix {
    clients: BTreeSet<u64>,
    keys: BTreeMap<Bytes, Option<u64>>,
}

/// What the invalidation path needs to know about the client being served.
#[derive(Clone, Copy)]
pub struct Current {
    pub id: u64,
    pub resp: u8,
    pub pubsub: bool,
    pub on: bool,
    pub bcast: bool,
    pub noloop: bool,
}

/// The value part of an invalidation message.
pub enum Payload {
    Key(Bytes),
    Keys(Vec<Bytes>),
    /// Everything (a flush): the null of the tracker's protocol.
    Null(u8),
}

#[derive(Default)]
pub struct Tracking {
    /// Key name → ids of the clients that may cache it.
    table: HashMap<Bytes, HashSet<u64>>,
    total_items: u64,
    prefixes: BTreeMap<Bytes, Prefix>,
    /// Ids of the clients with tracking on.
    trackers: BTreeSet<u64>,
    /// Client id → slab key, for every connection.
    ids: HashMap<u64, usize>,
    pub current: Option<Current>,
    /// Invalidations for the client being served, sent after its reply
    /// (None = a flush).
    pending: Vec<Option<Bytes>>,
    /// Pushes for the client being served as a redirection target.
    to_current: Vec<u8>,
    /// Rounds in a row the table stayed over its limit.
    limit_rounds: u32,
}

impl Tracking {
    pub fn clients(&self) -> usize {
        self.trackers.len()
    }
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }
    pub fn total_items(&self) -> u64 {
        self.total_items
    }
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }
    /// A connection was registered in slab slot `key`.
    pub fn client_added(&mut self, id: u64, key: usize) {
        self.ids.insert(id, key);
    }
    pub fn client_removed(&mut self, id: u64) {
        self.ids.remove(&id);
    }
    pub fn client_exists(&self, id: u64) -> bool {
        self.ids.contains_key(&id)
    }
}

/// Two prefixes collide when one starts with the other.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Check new BCAST prefixes against the client's and each other, with
/// Redis's error texts.
pub fn check_prefixes(c: &Client, new: &[Bytes]) -> Result<(), String> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for (i, p) in new.iter().enumerate() {
        if let Some(old) = c.tracking.prefixes.iter().find(|o| overlap(o, p)) {
            return Err(format!(
                "Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                text(p),
                text(old)
            ));
        }
        if let Some(other) = new[i + 1..].iter().find(|o| overlap(p, o)) {
            return Err(format!(
                "Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                text(p),
                text(other)
            ));
        }
    }
    Ok(())
}

/// Write the message `payload` to `r`; `via_redirect` allows the RESP2
/// Pub/Sub form. Returns false when this connection cannot receive it.
fn write_message(r: &mut Reply, pubsub_mode: bool, via_redirect: bool, payload: &Payload) -> bool {
    if r.resp == 2 && !(via_redirect && pubsub_mode) {
        return false;
    }
    push(r, |r| {
        if r.resp > 2 {
            r.push_len(2);
            r.bulk(b"invalidate");
        } else {
            r.push_len(3);
            r.bulk(b"message");
            r.bulk(b"__redis__:invalidate");
        }
        match payload {
            Payload::Key(k) => {
                r.array_len(1);
                r.bulk(k);
            }
            Payload::Keys(ks) => {
                r.array_len(ks.len());
                for k in ks {
                    r.bulk(k);
                }
            }
            Payload::Null(2) => r.raw(b"$-1\r\n"),
            Payload::Null(_) => r.raw(b"_\r\n"),
        }
    });
    true
}

impl Server {
    /// Run `f` on the client with id `id`: `cur` when it is that one, else
    /// the one in its slab slot, then queued for writing. None if it is
    /// neither (gone, or being served but not passed).
    fn with_client<R>(
        &mut self,
        cur: &mut Option<&mut Client>,
        id: u64,
        f: impl FnOnce(&mut Client) -> R,
    ) -> Option<R> {
        if let Some(c) = cur.as_deref_mut()
            && c.id == id
        {
            return Some(f(c));
        }
        let key = *self.tracking.ids.get(&id)?;
        let c = self.clients.get_mut(key)?.as_deref_mut()?;
        let r = f(c);
        if !c.pending_write && c.has_pending_reply() {
            c.pending_write = true;
            self.pending_writes.push(key);
        }
        Some(r)
    }

    /// CLIENT TRACKING ON with checked options.
    pub fn enable_tracking(&mut self, c: &mut Client, o: Options) {
        self.tracking.trackers.insert(c.id);
        let t = &mut c.tracking;
        t.on = true;
        t.broken_redir = false;
        t.redirect = o.redirect;
        t.bcast = o.bcast;
        t.optin = o.optin;
        t.optout = o.optout;
        t.noloop = o.noloop;
        if o.bcast {
            let mut list = o.prefixes;
            if list.is_empty() {
                list.push(Bytes::new());
            }
            for p in list {
                let entry = self.tracking.prefixes.entry(p.clone()).or_default();
                if entry.clients.insert(c.id) {
                    t.prefixes.insert(p);
                }
            }
        }
        self.tracking_refresh_current(c);
    }

    /// Keep the snapshot of the client being served in step when its own
    /// command (inside a transaction) switches tracking on or off.
    fn tracking_refresh_current(&mut self, c: &Client) {
        if self.tracking.current.is_some_and(|k| k.id == c.id) {
            self.tracking_begin(c);
        }
    }

    /// CLIENT TRACKING OFF (and RESET, disconnection). The table keeps the
    /// client's id; stale ids are skipped when their keys are invalidated.
    pub fn disable_tracking(&mut self, c: &mut Client) {
        if c.tracking.bcast {
            for p in std::mem::take(&mut c.tracking.prefixes) {
                if let Some(entry) = self.tracking.prefixes.get_mut(&p) {
                    entry.clients.remove(&c.id);
                    if entry.clients.is_empty() {
                        self.tracking.prefixes.remove(&p);
                    }
                }
            }
        }
        if c.tracking.on {
            self.tracking.trackers.remove(&c.id);
            let redirect = c.tracking.redirect;
            c.tracking = ClientTracking {
                redirect,
                prefixes: std::mem::take(&mut c.tracking.prefixes),
                ..Default::default()
            };
        }
        self.tracking_refresh_current(c);
    }

    /// Before a top-level command: remember who is being served.
    pub fn tracking_begin(&mut self, c: &Client) {
        self.tracking.current = Some(Current {
            id: c.id,
            resp: c.reply.resp,
            pubsub: c.pubsub_mode,
            on: c.tracking.on,
            bcast: c.tracking.bcast,
            noloop: c.tracking.noloop,
        });
    }

    /// After a top-level command: deliver what was held back for it.
    pub fn tracking_end(&mut self, c: &mut Client) {
        self.tracking.current = None;
        if !self.tracking.to_current.is_empty() {
            let raw = std::mem::take(&mut self.tracking.to_current);
            push(&mut c.reply, |r| r.raw(&raw));
        }
        if self.tracking.pending.is_empty() {
            return;
        }
        let id = c.id;
        let mut cur = Some(c);
        for p in std::mem::take(&mut self.tracking.pending) {
            let payload = match p {
                Some(k) => Payload::Key(k),
                None => Payload::Null(cur.as_ref().map_or(2, |c| c.reply.resp)),
            };
            self.send_tracking_message(&mut cur, id, &payload);
        }
    }

    /// After a read-only command: remember the keys it read for the client
    /// (Redis's trackingRememberKeys).
    pub fn tracking_remember_keys(
        &mut self,
        c: &Client,
        cmd: &crate::commands::table::Command,
        argv: &[Bytes],
    ) {
        let t = &c.tracking;
        if (t.optin && !t.caching) || (t.optout && t.caching) {
            return;
        }
        for i in cmd.get_keys(argv) {
            let ids = self
                .tracking
                .table
                .entry(crate::util::owned(&argv[i]))
                .or_default();
            if ids.insert(c.id) {
                self.tracking.total_items += 1;
            }
        }
    }

    /// Send one invalidation message on behalf of tracking client `tracker`
    /// (Redis's sendTrackingMessage).
    pub fn send_tracking_message(
        &mut self,
        cur: &mut Option<&mut Client>,
        tracker: u64,
        payload: &Payload,
    ) {
        let Some(redirect) = self.with_client(cur, tracker, |t| t.tracking.redirect) else {
            return;
        };
        if redirect == 0 {
            self.with_client(cur, tracker, |t| {
                write_message(&mut t.reply, t.pubsub_mode, false, payload)
            });
            return;
        }
        // The redirection target is the client being served, not at hand.
        if cur.as_ref().is_none_or(|c| c.id != redirect)
            && let Some(k) = self.tracking.current.filter(|k| k.id == redirect)
        {
            let mut r = Reply::new();
            r.resp = k.resp;
            write_message(&mut r, k.pubsub, true, payload);
            self.tracking.to_current.extend_from_slice(&r.buf);
            return;
        }
        let sent = self.with_client(cur, redirect, |r| {
            write_message(&mut r.reply, r.pubsub_mode, true, payload)
        });
        if sent.is_none() {
            self.with_client(cur, tracker, |t| {
                t.tracking.broken_redir = true;
                if t.reply.resp > 2 {
                    push(&mut t.reply, |r| {
                        r.push_len(2);
                        r.bulk(b"tracking-redir-broken");
                        r.int(redirect as i64);
                    });
                }
            });
        }
    }

    /// A key changed (or is dropped from the table, `bcast` false): tell
    /// the clients that may cache it. `modifier` is the client that changed
    /// it, if any (for NOLOOP in BCAST mode).
    pub fn tracking_invalidate_key(
        &mut self,
        cur: &mut Option<&mut Client>,
        key: &[u8],
        modifier: Option<u64>,
        bcast: bool,
    ) {
        if bcast && !self.tracking.prefixes.is_empty() {
            for (p, state) in self.tracking.prefixes.iter_mut() {
                if key.starts_with(p) {
                    state.keys.insert(Bytes::copy_from_slice(key), modifier);
                }
            }
        }
        if self.tracking.table.is_empty() {
            return;
        }
        let Some(ids) = self.tracking.table.remove(key) else {
            return;
        };
        self.tracking.total_items -= ids.len() as u64;
        let mut ids: Vec<u64> = ids.into_iter().collect();
        ids.sort_unstable();
        let current = self.tracking.current;
        let key = Bytes::copy_from_slice(key);
        for id in ids {
            if let Some(k) = current.filter(|k| k.id == id) {
                if !k.on || k.bcast || k.noloop {
                    continue;
                }
                self.tracking.pending.push(Some(key.clone()));
                continue;
            }
            let live = self.with_client(cur, id, |t| t.tracking.on && !t.tracking.bcast);
            if live != Some(true) {
                continue;
            }
            self.send_tracking_message(cur, id, &Payload::Key(key.clone()));
        }
    }

    /// FLUSHDB / FLUSHALL: every tracking client is told that all keys
    /// changed (a null), and the table is emptied.
    pub fn tracking_invalidate_all(&mut self) {
        let trackers: Vec<u64> = self.tracking.trackers.iter().copied().collect();
        let current = self.tracking.current;
        for id in trackers {
            if current.is_some_and(|k| k.id == id) {
                self.tracking.pending.push(None);
                continue;
            }
            let Some(resp) = self.with_client(&mut None, id, |t| t.reply.resp) else {
                continue;
            };
            self.send_tracking_message(&mut None, id, &Payload::Null(resp));
        }
        self.tracking.table.clear();
        self.tracking.total_items = 0;
    }

    /// Keep the table within `tracking-table-max-keys` by dropping keys as
    /// if they were modified (Redis's trackingLimitUsedSlots). `cur` is the
    /// client about to run a command, if any.
    pub fn tracking_limit(&mut self, mut cur: Option<&mut Client>) {
        let max = self.cfg.tracking_table_max_keys;
        if max == 0 || self.tracking.table.len() <= max {
            self.tracking.limit_rounds = 0;
            return;
        }
        let mut effort = 100 * (self.tracking.limit_rounds + 1);
        while effort > 0 {
            effort -= 1;
            let Some(key) = self.tracking.table.keys().next().cloned() else {
                break;
            };
            self.tracking_invalidate_key(&mut cur, &key, None, false);
            if self.tracking.table.len() <= max {
                self.tracking.limit_rounds = 0;
                return;
            }
        }
        self.tracking.limit_rounds += 1;
    }

    /// Send the keys collected for each BCAST prefix (before sleeping).
    pub fn tracking_broadcast(&mut self) {
        if self.tracking.prefixes.is_empty() || self.tracking.trackers.is_empty() {
            return;
        }
        let mut work = Vec::new();
        for state in self.tracking.prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut state.keys);
            work.push((state.clients.iter().copied().collect::<Vec<_>>(), keys));
        }
        for (clients, keys) in work {
            for id in clients {
                let noloop = self
                    .with_client(&mut None, id, |t| t.tracking.noloop)
                    .unwrap_or(false);
                let list: Vec<Bytes> = keys
                    .iter()
                    .filter(|(_, by)| !(noloop && **by == Some(id)))
                    .map(|(k, _)| k.clone())
                    .collect();
                if list.is_empty() {
                    continue;
                }
                self.send_tracking_message(&mut None, id, &Payload::Keys(list));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps() {
        assert!(overlap(b"FOO", b"FOOBAR"));
        assert!(overlap(b"FOOBAR", b"FOO"));
        assert!(overlap(b"", b"x"));
        assert!(!overlap(b"FOO", b"BAR"));
        assert!(!overlap(b"ab", b"ac"));
    }

    #[test]
    fn messages() {
        let mut r = Reply::new();
        r.resp = 3;
        assert!(write_message(
            &mut r,
            false,
            false,
            &Payload::Key(Bytes::from_static(b"k"))
        ));
        assert_eq!(r.buf, b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
        let mut r = Reply::new();
        assert!(!write_message(&mut r, true, false, &Payload::Null(2)));
        assert!(write_message(&mut r, true, true, &Payload::Null(3)));
        assert_eq!(
            r.buf,
            b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n_\r\n"
        );
    }
}
