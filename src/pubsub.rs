//! Pub/Sub: who listens to what, and delivering messages.
//!
//! The server keeps, for channels, patterns and shard channels, the slab
//! keys of the subscribed clients in subscription order; each client keeps
//! its own subscriptions (`Client::sub_*`). PUBLISH appends a `message` (and
//! a `pmessage` per matching pattern) to each subscriber's reply buffer and
//! queues that client for writing; the client being served is out of its
//! slab slot while its command runs, so it is passed along and written to
//! directly (a RESP3 client may publish to itself).
//!
//! Subscription confirmations and messages are "pushes": they reach the
//! client even under CLIENT REPLY OFF, as in Redis.

use std::collections::HashMap;

use bytes::Bytes;
use slab::Slab;

use crate::net::Client;
use crate::resp::Reply;
use crate::server::Server;
use crate::util::glob::glob_match;

#[derive(Default)]
pub struct PubSub {
    pub channels: HashMap<Bytes, Vec<usize>>,
    pub patterns: HashMap<Bytes, Vec<usize>>,
    pub shard: HashMap<Bytes, Vec<usize>>,
}

/// The three kinds of subscription.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }
    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// Write a push (delivered even when replies are off).
pub fn push(r: &mut Reply, f: impl FnOnce(&mut Reply)) {
    let muted = std::mem::replace(&mut r.muted, false);
    f(r);
    r.muted = muted;
}

/// The count a (un)subscribe confirmation carries: channels and patterns
/// together, shard channels on their own.
fn count(c: &Client, kind: Kind) -> usize {
    match kind {
        Kind::Shard => c.sub_shard.len(),
        _ => c.sub_channels.len() + c.sub_patterns.len(),
    }
}

fn confirm(c: &mut Client, word: &[u8], name: Option<&[u8]>, n: usize) {
    push(&mut c.reply, |r| {
        r.push_len(3);
        r.bulk(word);
        match name {
            Some(ch) => r.bulk(ch),
            None => r.null(),
        }
        r.int(n as i64);
    });
}

fn total_subscriptions(c: &Client) -> usize {
    c.sub_channels.len() + c.sub_patterns.len() + c.sub_shard.len()
}

/// Run `f` on the client in slab slot `token`, which is `cur` when that is
/// the one being served; a client reached in its slot is queued for writing.
fn deliver(
    clients: &mut Slab<Option<Box<Client>>>,
    pending: &mut Vec<usize>,
    cur: &mut Option<&mut Client>,
    token: usize,
    f: impl FnOnce(&mut Client),
) {
    if let Some(c) = cur.as_deref_mut()
        && c.token == token
    {
        f(c);
        return;
    }
    if let Some(Some(c)) = clients.get_mut(token) {
        f(c);
        if !c.pending_write && c.has_pending_reply() {
            c.pending_write = true;
            pending.push(token);
        }
    }
}

impl Server {
    fn pubsub_table(&mut self, kind: Kind) -> &mut HashMap<Bytes, Vec<usize>> {
        match kind {
            Kind::Channel => &mut self.pubsub.channels,
            Kind::Pattern => &mut self.pubsub.patterns,
            Kind::Shard => &mut self.pubsub.shard,
        }
    }

    /// Subscribe the client to one channel / pattern / shard channel and
    /// confirm it.
    pub fn subscribe(&mut self, c: &mut Client, kind: Kind, name: &Bytes) {
        let name = &crate::util::owned(name);
        let added = match kind {
            Kind::Channel => c.sub_channels.insert(name.clone()),
            Kind::Shard => c.sub_shard.insert(name.clone()),
            Kind::Pattern => {
                let new = !c.sub_patterns.contains(name);
                if new {
                    c.sub_patterns.push(name.clone());
                }
                new
            }
        };
        if added {
            let token = c.token;
            self.pubsub_table(kind)
                .entry(name.clone())
                .or_default()
                .push(token);
        }
        c.pubsub_mode = true;
        let n = count(c, kind);
        confirm(c, kind.subscribe_word(), Some(name), n);
    }

    /// Unsubscribe from one name; `notify` sends the confirmation.
    pub fn unsubscribe(&mut self, c: &mut Client, kind: Kind, name: &Bytes, notify: bool) {
        let removed = match kind {
            Kind::Channel => c.sub_channels.remove(name),
            Kind::Shard => c.sub_shard.remove(name),
            Kind::Pattern => match c.sub_patterns.iter().position(|p| p == name) {
                Some(i) => {
                    c.sub_patterns.remove(i);
                    true
                }
                None => false,
            },
        };
        if removed {
            let token = c.token;
            let table = self.pubsub_table(kind);
            if let Some(list) = table.get_mut(name) {
                list.retain(|&t| t != token);
                if list.is_empty() {
                    table.remove(name);
                }
            }
        }
        if notify {
            let n = count(c, kind);
            confirm(c, kind.unsubscribe_word(), Some(name), n);
        }
    }

    /// Unsubscribe from every name of one kind (UNSUBSCRIBE without
    /// arguments); with nothing to leave, `notify` still answers once.
    pub fn unsubscribe_all(&mut self, c: &mut Client, kind: Kind, notify: bool) {
        let names: Vec<Bytes> = match kind {
            Kind::Channel => c.sub_channels.iter().cloned().collect(),
            Kind::Pattern => c.sub_patterns.clone(),
            Kind::Shard => c.sub_shard.iter().cloned().collect(),
        };
        for name in &names {
            self.unsubscribe(c, kind, name, notify);
        }
        if notify && names.is_empty() {
            let n = count(c, kind);
            confirm(c, kind.unsubscribe_word(), None, n);
        }
    }

    /// Leave Pub/Sub mode when no subscription is left.
    pub fn update_pubsub_mode(&mut self, c: &mut Client) {
        if total_subscriptions(c) == 0 {
            c.pubsub_mode = false;
        }
    }

    /// Drop every subscription silently (RESET, disconnection).
    pub fn pubsub_forget(&mut self, c: &mut Client) {
        self.unsubscribe_all(c, Kind::Channel, false);
        self.unsubscribe_all(c, Kind::Shard, false);
        self.unsubscribe_all(c, Kind::Pattern, false);
        c.pubsub_mode = false;
    }

    /// Send `msg` to the subscribers of `channel` (and, unless `shard`, of
    /// the patterns matching it). `cur` is the client being served, if
    /// any. Returns the number of deliveries.
    pub fn publish(
        &mut self,
        mut cur: Option<&mut Client>,
        channel: &[u8],
        msg: &[u8],
        shard: bool,
    ) -> usize {
        let mut receivers = 0;
        let table = if shard {
            &self.pubsub.shard
        } else {
            &self.pubsub.channels
        };
        let word: &[u8] = if shard { b"smessage" } else { b"message" };
        if let Some(list) = table.get(channel) {
            for &t in list {
                deliver(
                    &mut self.clients,
                    &mut self.pending_writes,
                    &mut cur,
                    t,
                    |c| {
                        push(&mut c.reply, |r| {
                            r.push_len(3);
                            r.bulk(word);
                            r.bulk(channel);
                            r.bulk(msg);
                        })
                    },
                );
                receivers += 1;
            }
        }
        if shard || self.pubsub.patterns.is_empty() {
            return receivers;
        }
        for (pat, list) in &self.pubsub.patterns {
            if !glob_match(pat, channel, false) {
                continue;
            }
            for &t in list {
                deliver(
                    &mut self.clients,
                    &mut self.pending_writes,
                    &mut cur,
                    t,
                    |c| {
                        push(&mut c.reply, |r| {
                            r.push_len(4);
                            r.bulk(b"pmessage");
                            r.bulk(pat);
                            r.bulk(channel);
                            r.bulk(msg);
                        })
                    },
                );
                receivers += 1;
            }
        }
        receivers
    }
}
