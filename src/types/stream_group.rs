//! Consumer-group operations on a stream: delivering new entries to a
//! consumer, serving a consumer's history from its PEL, acknowledging,
//! claiming (XCLAIM, XAUTOCLAIM), consumers' life cycle, and the group
//! read counter and lag (Redis's `entries_read` bookkeeping).
//!
//! The data (`Group`, `Consumer`, `Pending`) lives in `stream.rs`; this file
//! holds the rules, as methods, so the command handlers only parse, reply
//! and propagate. Methods that change PELs report what they did (IDs and
//! the data the handler propagates as XCLAIM), never write replies.

use super::small::SmallBytes;
use super::stream::{Consumer, ENTRIES_READ_INVALID, Group, Pending, Stream, StreamId};

/// One entry given to a consumer by `deliver_new`: its ID and the group's
/// last delivered ID right after it (the LASTID of its XCLAIM).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivered {
    pub id: StreamId,
    pub group_last_id: StreamId,
}

/// What XCLAIM / XAUTOCLAIM did to one pending entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Claimed {
    /// Now owned by the claiming consumer (with its new delivery data).
    Taken(StreamId, Pending),
    /// Its stream entry no longer exists: removed from the PEL. The
    /// pending data is the one it had (propagated so a replica drops it).
    Dropped(StreamId, Pending),
}

/// XCLAIM's options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClaimOpts {
    pub min_idle: i64,
    /// Delivery time to set (already made absolute); None = now.
    pub delivery_time: Option<i64>,
    pub retry_count: Option<u64>,
    pub force: bool,
    pub justid: bool,
}

impl Group {
    /// Create consumer `name` unless it exists; true if created.
    pub fn create_consumer(&mut self, name: &[u8], now_ms: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            SmallBytes::new(name),
            Consumer {
                seen_time: now_ms,
                pel: Default::default(),
            },
        );
        true
    }

    /// Look consumer `name` up and refresh its seen time (Redis's
    /// streamLookupConsumer with SLC_DEFAULT); false if there is none.
    pub fn touch_consumer(&mut self, name: &[u8], now_ms: i64) -> bool {
        match self.consumers.get_mut(name) {
            Some(c) => {
                c.seen_time = now_ms;
                true
            }
            None => false,
        }
    }

    /// Delete consumer `name` with its pending entries; the number it had,
    /// or None if there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Acknowledge `id`: true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&p.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Make `id` pending for `consumer` (which exists), moving it from its
    /// previous owner if any; returns the pending data now stored.
    fn assign(&mut self, id: StreamId, consumer: &[u8], p: Pending) -> Pending {
        if let Some(old) = self.pel.get(&id)
            && old.consumer.as_bytes() != consumer
            && let Some(c) = self.consumers.get_mut(&old.consumer)
        {
            c.pel.remove(&id);
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
        self.pel.insert(id, p.clone());
        p
    }

    /// Drop `id` from the PEL (its entry is gone); the data it had.
    fn drop_pending(&mut self, id: StreamId) -> Option<Pending> {
        let p = self.pel.remove(&id)?;
        if let Some(c) = self.consumers.get_mut(&p.consumer) {
            c.pel.remove(&id);
        }
        Some(p)
    }
}

impl Stream {
    /// The last live entry's ID (Redis's streamLastValidID), zero if empty.
    pub fn last_valid_id(&self) -> StreamId {
        self.edge(true).map_or(StreamId::ZERO, |e| e.id)
    }

    pub fn entry_exists(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// Whether `start..=end` (None = unbounded) may hold a deleted entry
    /// (Redis's streamRangeHasTombstones: judged by the largest deleted
    /// ID only).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() || self.first_id > self.max_deleted_id
        {
            return false;
        }
        let start = start.unwrap_or(StreamId::ZERO);
        let end = end.unwrap_or(StreamId::MAX);
        start <= self.max_deleted_id && self.max_deleted_id <= end
    }

    /// The logical read counter of `id` (entries from the first ever added
    /// up to it) when it can be known, else `ENTRIES_READ_INVALID` (Redis's
    /// streamEstimateDistanceFromFirstEverEntry).
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        }
        if id > self.last_id {
            return ENTRIES_READ_INVALID;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return added - self.length as i64;
            }
            if id == self.first_id {
                return added - self.length as i64 + 1;
            }
        }
        ENTRIES_READ_INVALID
    }

    /// The group's lag (entries not yet delivered), None when it cannot be
    /// known (Redis's streamReplyWithCGLag).
    pub fn group_lag(&self, g: &Group) -> Option<i64> {
        let added = self.entries_added as i64;
        if added == 0 {
            return Some(0);
        }
        if g.entries_read != ENTRIES_READ_INVALID
            && !self.range_has_tombstones(Some(g.last_id), None)
        {
            return Some(added - g.entries_read);
        }
        match self.estimate_distance(g.last_id) {
            ENTRIES_READ_INVALID => None,
            read => Some(added - read),
        }
    }

    /// Deliver entries from `start` on (at most `count`, 0 = all) to
    /// `consumer` of `group` (both exist), as XREADGROUP `>` does: the
    /// group's last ID and read counter advance, and unless `noack` each
    /// entry becomes pending for the consumer (taken from another owner
    /// if the group's ID was set back). Returns what was delivered.
    pub fn deliver_new(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        noack: bool,
        now_ms: i64,
    ) -> Vec<Delivered> {
        let ids: Vec<StreamId> = {
            let it = self.range(start, StreamId::MAX).map(|e| e.id);
            if count == 0 {
                it.collect()
            } else {
                it.take(count).collect()
            }
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let tombstones = self.range_has_tombstones(Some(id), None);
            let estimate = self.estimate_distance(id);
            let added = self.entries_added;
            let g = self.groups.get_mut(group).expect("group exists");
            if id > g.last_id {
                if g.entries_read != ENTRIES_READ_INVALID && !tombstones {
                    g.entries_read += 1;
                } else if added != 0 {
                    g.entries_read = estimate;
                }
                g.last_id = id;
            }
            if !noack {
                g.assign(
                    id,
                    consumer,
                    Pending {
                        consumer: SmallBytes::new(consumer),
                        delivery_time: now_ms,
                        delivery_count: 1,
                    },
                );
            }
            out.push(Delivered {
                id,
                group_last_id: g.last_id,
            });
        }
        out
    }

    /// A consumer's history: its pending IDs after `start` (inclusive, at
    /// most `count`, 0 = all), each with whether its entry still exists.
    /// Existing ones count as delivered again (time now, count + 1).
    pub fn consumer_history(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        now_ms: i64,
    ) -> Vec<(StreamId, bool)> {
        let Some(g) = self.groups.get(group) else {
            return Vec::new();
        };
        let Some(c) = g.consumers.get(consumer) else {
            return Vec::new();
        };
        let ids: Vec<StreamId> = {
            let it = c.pel.range(start..).copied();
            if count == 0 {
                it.collect()
            } else {
                it.take(count).collect()
            }
        };
        let out: Vec<(StreamId, bool)> = ids
            .into_iter()
            .map(|id| (id, self.entry_exists(id)))
            .collect();
        let g = self.groups.get_mut(group).expect("group exists");
        for &(id, exists) in &out {
            if exists && let Some(p) = g.pel.get_mut(&id) {
                p.delivery_time = now_ms;
                p.delivery_count += 1;
            }
        }
        out
    }

    /// XCLAIM of `ids` for `consumer` in `group` (which exists). The
    /// consumer is created (or its seen time refreshed) on the first claim;
    /// `created` tells whether it was created. Pending IDs whose entry was
    /// deleted are dropped from the PEL.
    pub fn claim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
        o: &ClaimOpts,
        now_ms: i64,
        created: &mut bool,
    ) -> Vec<Claimed> {
        let mut out = Vec::new();
        let mut have_consumer = false;
        for &id in ids {
            let exists = self.entry_exists(id);
            let g = self.groups.get_mut(group).expect("group exists");
            if !exists {
                if let Some(p) = g.drop_pending(id) {
                    out.push(Claimed::Dropped(id, p));
                }
                continue;
            }
            let forced = match g.pel.get(&id) {
                Some(p) => {
                    if o.min_idle > 0 && now_ms - p.delivery_time < o.min_idle {
                        continue;
                    }
                    None
                }
                None if o.force => Some(()),
                None => continue,
            };
            if !have_consumer {
                have_consumer = true;
                if !g.touch_consumer(consumer, now_ms) {
                    *created |= g.create_consumer(consumer, now_ms);
                }
            }
            // A pending entry FORCE creates starts delivered once.
            let prev_count = if forced.is_some() {
                1
            } else {
                g.pel[&id].delivery_count
            };
            let delivery_count = match o.retry_count {
                Some(n) => n,
                None if o.justid => prev_count,
                None => prev_count + 1,
            };
            let p = g.assign(
                id,
                consumer,
                Pending {
                    consumer: SmallBytes::new(consumer),
                    delivery_time: o.delivery_time.unwrap_or(now_ms),
                    delivery_count,
                },
            );
            out.push(Claimed::Taken(id, p));
        }
        out
    }

    /// XAUTOCLAIM: walk the group's PEL from `start`, claiming for
    /// `consumer` entries idle at least `min_idle`, until `count` are
    /// claimed or dropped (deleted entries leave the PEL) or `count * 10`
    /// were examined. Returns the claims and the cursor (the next PEL ID,
    /// zero at the end). `created` as for `claim`.
    #[allow(clippy::too_many_arguments)]
    pub fn autoclaim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        min_idle: i64,
        count: usize,
        justid: bool,
        now_ms: i64,
        created: &mut bool,
    ) -> (Vec<Claimed>, StreamId) {
        let mut out = Vec::new();
        let mut attempts = count.saturating_mul(10);
        let mut left = count;
        let mut cursor = Some(start);
        let mut have_consumer = false;
        while attempts > 0 && left > 0 {
            attempts -= 1;
            let g = &self.groups[group];
            let Some((&id, p)) = cursor.and_then(|c| g.pel.range(c..).next()) else {
                cursor = None;
                break;
            };
            let idle_enough = min_idle == 0 || now_ms - p.delivery_time >= min_idle;
            cursor = id.incr();
            let exists = self.entry_exists(id);
            let g = self.groups.get_mut(group).expect("group exists");
            if !exists {
                let p = g.drop_pending(id).expect("pending");
                out.push(Claimed::Dropped(id, p));
                left -= 1;
                continue;
            }
            if !idle_enough {
                continue;
            }
            if !have_consumer {
                have_consumer = true;
                if !g.touch_consumer(consumer, now_ms) {
                    *created |= g.create_consumer(consumer, now_ms);
                }
            }
            let prev = g.pel[&id].delivery_count;
            let p = g.assign(
                id,
                consumer,
                Pending {
                    consumer: SmallBytes::new(consumer),
                    delivery_time: now_ms,
                    delivery_count: if justid { prev } else { prev + 1 },
                },
            );
            out.push(Claimed::Taken(id, p));
            left -= 1;
        }
        let next = cursor
            .and_then(|c| self.groups[group].pel.range(c..).next().map(|(id, _)| *id))
            .unwrap_or(StreamId::ZERO);
        (out, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::stream::NodeLimits;

    const LIM: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };

    fn id(ms: u64) -> StreamId {
        StreamId::new(ms, 0)
    }

    fn stream_with(n: u64) -> Stream {
        let mut s = Stream::new();
        for i in 1..=n {
            let f: Box<[SmallBytes]> = vec![
                SmallBytes::new(b"f"),
                SmallBytes::new(i.to_string().as_bytes()),
            ]
            .into();
            s.append(id(i), f, LIM);
        }
        s.groups
            .insert(SmallBytes::new(b"g"), Group::new(StreamId::ZERO, 0));
        s
    }

    fn group(s: &mut Stream) -> &mut Group {
        s.groups.get_mut(&b"g"[..]).unwrap()
    }

    #[test]
    fn deliver_new_creates_pending_and_advances() {
        let mut s = stream_with(5);
        group(&mut s).create_consumer(b"alice", 1);
        let d = s.deliver_new(b"g", b"alice", id(1), 2, false, 100);
        assert_eq!(
            d.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![id(1), id(2)]
        );
        assert_eq!(d[1].group_last_id, id(2));
        let g = group(&mut s);
        assert_eq!((g.last_id, g.entries_read), (id(2), 2));
        assert_eq!(g.pel.len(), 2);
        assert_eq!(g.consumers[&b"alice"[..]].pel.len(), 2);
        // NOACK: no PEL entries.
        let d = s.deliver_new(b"g", b"alice", id(3), 0, true, 100);
        assert_eq!(d.len(), 3);
        assert_eq!(group(&mut s).pel.len(), 2);
        assert_eq!(s.group_lag(&s.groups[&b"g"[..]]), Some(0));
    }

    #[test]
    fn set_back_group_reassigns_pending() {
        let mut s = stream_with(2);
        let g = group(&mut s);
        g.create_consumer(b"a", 0);
        g.create_consumer(b"b", 0);
        s.deliver_new(b"g", b"a", id(1), 0, false, 10);
        group(&mut s).last_id = StreamId::ZERO;
        s.deliver_new(b"g", b"b", id(1), 1, false, 20);
        let g = group(&mut s);
        assert_eq!(g.pel[&id(1)].consumer.as_bytes(), b"b");
        assert_eq!(g.consumers[&b"a"[..]].pel.len(), 1);
        assert_eq!(g.consumers[&b"b"[..]].pel.len(), 1);
    }

    #[test]
    fn history_marks_deleted_and_counts_deliveries() {
        let mut s = stream_with(3);
        group(&mut s).create_consumer(b"a", 0);
        s.deliver_new(b"g", b"a", id(1), 0, false, 10);
        s.delete(id(2));
        let h = s.consumer_history(b"g", b"a", StreamId::ZERO, 0, 50);
        assert_eq!(h, vec![(id(1), true), (id(2), false), (id(3), true)]);
        let g = group(&mut s);
        assert_eq!(g.pel[&id(1)].delivery_count, 2);
        assert_eq!(g.pel[&id(2)].delivery_count, 1);
        assert_eq!(g.pel[&id(3)].delivery_time, 50);
        assert!(g.ack(id(1)));
        assert!(!g.ack(id(1)));
        assert_eq!(g.delete_consumer(b"a"), Some(2));
        assert!(g.pel.is_empty());
        assert_eq!(g.delete_consumer(b"a"), None);
    }

    #[test]
    fn claim_and_autoclaim() {
        let mut s = stream_with(4);
        group(&mut s).create_consumer(b"a", 0);
        s.deliver_new(b"g", b"a", id(1), 0, false, 10);
        s.delete(id(3));
        let mut created = false;
        let o = ClaimOpts {
            min_idle: 50,
            ..Default::default()
        };
        // Too recent: nothing but the deleted entry leaves the PEL.
        let r = s.claim(b"g", b"b", &[id(1), id(3)], &o, 40, &mut created);
        assert!(matches!(r[..], [Claimed::Dropped(x, _)] if x == id(3)));
        assert!(!created);
        let r = s.claim(b"g", b"b", &[id(1)], &o, 100, &mut created);
        assert!(created);
        assert!(matches!(&r[..], [Claimed::Taken(x, p)] if *x == id(1) && p.delivery_count == 2));
        // Autoclaim from the start, two at a time.
        created = false;
        let (r, next) = s.autoclaim(b"g", b"c", StreamId::ZERO, 0, 1, true, 200, &mut created);
        assert_eq!(r.len(), 1);
        assert_eq!(next, id(2));
        let (r, next) = s.autoclaim(b"g", b"c", next, 0, 10, true, 200, &mut created);
        assert_eq!(r.len(), 2);
        assert_eq!(next, StreamId::ZERO);
        let g = group(&mut s);
        assert_eq!(g.consumers[&b"c"[..]].pel.len(), 3);
        assert!(g.consumers[&b"a"[..]].pel.is_empty());
        // FORCE creates a pending entry for an existing, unowned entry.
        let o = ClaimOpts {
            force: true,
            retry_count: Some(7),
            ..Default::default()
        };
        g.ack(id(4));
        let r = s.claim(b"g", b"c", &[id(4)], &o, 300, &mut created);
        assert!(matches!(&r[..], [Claimed::Taken(_, p)] if p.delivery_count == 7));
        let g = group(&mut s);
        g.ack(id(4));
        let o = ClaimOpts {
            force: true,
            justid: true,
            ..Default::default()
        };
        let r = s.claim(b"g", b"c", &[id(4)], &o, 300, &mut created);
        assert!(matches!(&r[..], [Claimed::Taken(_, p)] if p.delivery_count == 1));
    }

    #[test]
    fn read_counter_estimates() {
        let mut s = stream_with(5);
        assert_eq!(s.estimate_distance(id(5)), 5);
        assert_eq!(s.estimate_distance(id(1)), 1);
        assert_eq!(s.estimate_distance(StreamId::ZERO), 0);
        assert_eq!(s.estimate_distance(id(3)), ENTRIES_READ_INVALID);
        assert_eq!(s.estimate_distance(id(9)), ENTRIES_READ_INVALID);
        s.delete(id(1));
        // A tombstone before the first entry does not fragment.
        assert_eq!(s.estimate_distance(id(2)), 2);
        s.delete(id(4));
        assert_eq!(s.estimate_distance(id(2)), ENTRIES_READ_INVALID);
        assert!(s.range_has_tombstones(Some(id(3)), None));
        assert!(!s.range_has_tombstones(Some(id(5)), None));
        let mut g = Group::new(id(2), ENTRIES_READ_INVALID);
        assert_eq!(s.group_lag(&g), None);
        g.last_id = id(5);
        assert_eq!(s.group_lag(&g), Some(0));
        let empty = Stream::new();
        assert_eq!(empty.group_lag(&g), Some(0));
    }
}
