//! Dict: the keyspace hash table, modelled on Redis's `dict.c`.
//!
//! A chained hash table with power-of-two bucket arrays (minimum 4) and *two* tables so that
//! resizing never blocks: when the table has to grow (load factor 1) or shrink (fill < 10%, on
//! request from cron) a second table is allocated and buckets are moved one at a time from the
//! old table to the new one, a step at every write lookup (`insert`, `remove`, `get_mut`) plus
//! time-bounded batches from cron (`rehash_for`). New entries always go into the new table.
//!
//! Entries are boxed nodes holding exactly `{ next, key, val }` — no cached hash — because memory
//! per key is what a Redis-like server is judged on; moving an entry recomputes its hash instead.
//! Keys are hashed with SipHash-1-3 under one random key per process, so clients cannot
//! choose colliding keys. Fixed-size power-of-two tables indexed by the low bits of the hash is
//! what makes the stateless reverse-binary `scan` cursor (Pieter Noordhuis's dictScan) valid
//! across grows, shrinks and half-finished rehashes. All of it is safe Rust.

use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::iter::FusedIterator;
use std::mem;
use std::slice;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, RngExt};

/// Smallest bucket array a non-empty dict has (Redis's DICT_HT_INITIAL_SIZE).
const INITIAL_SIZE: usize = 4;
/// Below this fill percentage `shrink_if_needed` shrinks (Redis's HASHTABLE_MIN_FILL).
const MIN_FILL_PERCENT: usize = 10;
/// A rehash step gives up after visiting this many empty buckets per bucket it was asked to move.
const EMPTY_VISITS_PER_STEP: usize = 10;
/// Buckets moved between two clock reads in `rehash_for`.
const REHASH_BATCH: usize = 100;

/// `maxmemory` as the dicts see it (0: no limit). A table at load factor 1 does not grow when
/// the new bucket array would push memory past it, until it is crowded (load factor 1.618,
/// Redis's dictExpandAllowed): allocating the whole array at once would otherwise make the
/// server evict keys only to make room for the table that holds them.
static EXPAND_LIMIT: AtomicUsize = AtomicUsize::new(0);

pub fn set_expand_limit(bytes: usize) {
    EXPAND_LIMIT.store(bytes, Ordering::Relaxed);
}

/// Whether a table of `size` buckets holding `used` entries may grow to `new_size` buckets.
fn expand_allowed(size: usize, used: usize, new_size: usize) -> bool {
    let limit = EXPAND_LIMIT.load(Ordering::Relaxed);
    if limit == 0 || used * 1000 > size * 1618 {
        return true;
    }
    let more = new_size * mem::size_of::<usize>();
    crate::alloc::used_memory() + more <= limit
}

/// SipHash-1-3 with keys drawn once per process: every dict shares them, so hashes are stable
/// across dicts and between calls, but unpredictable to clients.
fn hash_of<Q: Hash + ?Sized>(key: &Q) -> u64 {
    static STATE: OnceLock<RandomState> = OnceLock::new();
    STATE.get_or_init(RandomState::new).hash_one(key)
}

/// The bucket array size for `n` entries: the next power of two, at least `INITIAL_SIZE`.
fn table_size_for(n: usize) -> Option<usize> {
    n.max(INITIAL_SIZE).checked_next_power_of_two()
}

/// Next SCAN cursor: increment the bits covered by `mask` starting from the most significant one.
/// Setting the unmasked bits first makes the carry run off the top of the masked part.
fn next_cursor(cursor: u64, mask: u64) -> u64 {
    (cursor | !mask)
        .reverse_bits()
        .wrapping_add(1)
        .reverse_bits()
}

type Link<K, V> = Option<Box<Node<K, V>>>;
/// The buckets of both tables, one after the other.
type Buckets<'a, K, V> = std::iter::Chain<slice::Iter<'a, Link<K, V>>, slice::Iter<'a, Link<K, V>>>;
type BucketsMut<'a, K, V> =
    std::iter::Chain<slice::IterMut<'a, Link<K, V>>, slice::IterMut<'a, Link<K, V>>>;

/// One entry. Three fields and nothing else: with a 24-byte key and a 32-byte value it is 64 bytes.
struct Node<K, V> {
    next: Link<K, V>,
    key: K,
    val: V,
}

/// Drops a chain iteratively (the default drop glue would recurse once per node).
fn drop_chain<K, V>(mut link: Link<K, V>) {
    while let Some(mut node) = link {
        link = node.next.take();
    }
}

fn chain_find<'a, K: Borrow<Q>, V, Q: Eq + ?Sized>(
    link: &'a Link<K, V>,
    key: &Q,
) -> Option<&'a Node<K, V>> {
    let mut cur = link.as_deref();
    while let Some(node) = cur {
        if node.key.borrow() == key {
            return Some(node);
        }
        cur = node.next.as_deref();
    }
    None
}

fn chain_find_mut<'a, K: Borrow<Q>, V, Q: Eq + ?Sized>(
    link: &'a mut Link<K, V>,
    key: &Q,
) -> Option<&'a mut Node<K, V>> {
    let mut cur = link.as_deref_mut();
    while let Some(node) = cur {
        if node.key.borrow() == key {
            return Some(node);
        }
        cur = node.next.as_deref_mut();
    }
    None
}

/// Unlinks the node holding `key` from the chain starting at `link`.
fn chain_unlink<K: Borrow<Q>, V, Q: Eq + ?Sized>(
    link: &mut Link<K, V>,
    key: &Q,
) -> Option<Box<Node<K, V>>> {
    let mut cur = link;
    while cur.as_ref().is_some_and(|node| node.key.borrow() != key) {
        cur = &mut cur.as_mut()?.next;
    }
    let mut node = cur.take()?;
    *cur = node.next.take();
    Some(node)
}

/// One bucket array. An unallocated table has zero buckets.
struct Table<K, V> {
    buckets: Box<[Link<K, V>]>,
    used: usize,
}

impl<K, V> Table<K, V> {
    fn empty() -> Self {
        Table {
            buckets: Box::new([]),
            used: 0,
        }
    }

    fn with_size(size: usize) -> Self {
        let mut buckets = Vec::with_capacity(size);
        buckets.resize_with(size, || None);
        Table {
            buckets: buckets.into_boxed_slice(),
            used: 0,
        }
    }

    fn size(&self) -> usize {
        self.buckets.len()
    }

    /// Only meaningful for an allocated table.
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// The bucket `hash` maps to, or `None` for an unallocated table.
    fn slot(&self, hash: u64) -> Option<&Link<K, V>> {
        self.buckets.get(hash as usize & self.mask())
    }

    fn slot_mut(&mut self, hash: u64) -> Option<&mut Link<K, V>> {
        let mask = self.mask();
        self.buckets.get_mut(hash as usize & mask)
    }

    fn find_mut<Q>(&mut self, hash: u64, key: &Q) -> Option<&mut Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        chain_find_mut(self.slot_mut(hash)?, key)
    }
}

impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        // `used` never undercounts (IntoIter takes chains without decrementing it), so a table
        // with `used == 0` has only empty buckets: skip the walk over them, which matters when a
        // rehash ends and frees the old array (millions of buckets, all already emptied).
        if self.used == 0 {
            return;
        }
        for bucket in self.buckets.iter_mut() {
            drop_chain(bucket.take());
        }
    }
}

/// A Redis-style incrementally rehashed hash table. See the module documentation.
pub struct Dict<K, V> {
    /// `ht[0]` is the live table; `ht[1]` is allocated only while rehashing into it.
    ht: [Table<K, V>; 2],
    /// While rehashing, every bucket of `ht[0]` below this index is empty (already moved).
    rehash_idx: usize,
}

impl<K, V> Dict<K, V> {
    /// An empty dict; allocates nothing until the first insert.
    pub fn new() -> Self {
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: 0,
        }
    }

    /// An empty dict whose table holds `n` entries without resizing (`n == 0` allocates nothing).
    pub fn with_capacity(n: usize) -> Self {
        let mut d = Self::new();
        if n > 0 {
            let size = table_size_for(n).expect("Dict::with_capacity: capacity overflow");
            d.ht[0] = Table::with_size(size);
        }
        d
    }

    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_rehashing(&self) -> bool {
        self.ht[1].size() != 0
    }

    /// Total bucket count of both tables.
    pub fn buckets(&self) -> usize {
        self.ht[0].size() + self.ht[1].size()
    }

    /// Bytes allocated for the bucket arrays (not counting nodes; see [`Dict::node_bytes`]).
    pub fn table_bytes(&self) -> usize {
        self.buckets() * mem::size_of::<Link<K, V>>()
    }

    /// Bytes of one entry's node allocation (`next` + key + value, before allocator rounding).
    pub const fn node_bytes() -> usize {
        mem::size_of::<Node<K, V>>()
    }

    /// Removes everything and frees both tables (like `dictEmpty`).
    pub fn clear(&mut self) {
        self.ht = [Table::empty(), Table::empty()];
        self.rehash_idx = 0;
    }

    /// All entries, in bucket order (the old table, then the new one while rehashing).
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            buckets: self.ht[0].buckets.iter().chain(self.ht[1].buckets.iter()),
            node: None,
            remaining: self.len(),
        }
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let remaining = self.len();
        let [t0, t1] = &mut self.ht;
        IterMut {
            buckets: t0.buckets.iter_mut().chain(t1.buckets.iter_mut()),
            node: None,
            remaining,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// Takes every entry out; the dict is empty (and unallocated) as soon as this returns,
    /// whether or not the iterator is consumed.
    pub fn drain(&mut self) -> IntoIter<K, V> {
        mem::take(self).into_iter()
    }
}

impl<K: Hash + Eq, V> Dict<K, V> {
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key).map(|node| &node.val)
    }

    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key).map(|node| (&node.key, &node.val))
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key).is_some()
    }

    /// Like `get`, but performs one rehash step first, as Redis lookups do.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        self.find_mut(hash_of(key), key).map(|node| &mut node.val)
    }

    /// Inserts or replaces. On replace the old value is returned and the stored key is kept.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        self.rehash_step();
        let hash = hash_of(&key);
        if let Some(node) = self.find_mut(hash, &key) {
            return Some(mem::replace(&mut node.val, val));
        }
        self.add_new(hash, key, val);
        None
    }

    /// The value of `key`, inserting `make()` first if it is absent (one rehash step, one hash).
    pub fn get_or_insert_with<F: FnOnce() -> V>(&mut self, key: K, make: F) -> &mut V {
        self.rehash_step();
        let hash = hash_of(&key);
        match self.locate(hash, &key) {
            Some((table, depth)) => &mut self.node_at_mut(table, hash, depth).val,
            None => &mut self.add_new(hash, key, make()).val,
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = hash_of(key);
        for table in &mut self.ht {
            let Some(slot) = table.slot_mut(hash) else {
                continue;
            };
            if let Some(node) = chain_unlink(slot, key) {
                table.used -= 1;
                let Node { key, val, .. } = *node;
                return Some((key, val));
            }
        }
        None
    }

    /// Resizes to the smallest power of two ≥ `size` (at least 4), like `dictExpand`: starts an
    /// incremental rehash, or swaps tables at once when there is nothing to move. Returns false
    /// (and does nothing) while rehashing, if `size < len()`, or if the size would not change.
    pub fn expand(&mut self, size: usize) -> bool {
        if self.is_rehashing() || self.ht[0].used > size {
            return false;
        }
        let Some(new_size) = table_size_for(size) else {
            return false;
        };
        if new_size == self.ht[0].size() {
            return false;
        }
        let table = Table::with_size(new_size);
        if self.ht[0].used == 0 {
            self.ht[0] = table;
        } else {
            self.ht[1] = table;
            self.rehash_idx = 0;
        }
        true
    }

    /// Starts shrinking if less than 10% of a table larger than 4 buckets is used, like Redis's
    /// `htNeedsResize` + `dictResize` (cron's job). Returns true if a resize was started/done.
    pub fn shrink_if_needed(&mut self) -> bool {
        let size = self.ht[0].size();
        if self.is_rehashing()
            || size <= INITIAL_SIZE
            || self.len() * 100 / size >= MIN_FILL_PERCENT
        {
            return false;
        }
        self.expand(self.len())
    }

    /// Moves up to `n` buckets to the new table, visiting at most `10 * n` empty buckets
    /// (`dictRehash`). Returns true if there is still rehashing to do.
    pub fn rehash_steps(&mut self, n: usize) -> bool {
        if !self.is_rehashing() {
            return false;
        }
        let mut empty_visits = n.saturating_mul(EMPTY_VISITS_PER_STEP);
        let [old, new] = &mut self.ht;
        let new_mask = new.mask();
        for _ in 0..n {
            if old.used == 0 {
                break;
            }
            // `old.used > 0` and everything below rehash_idx is empty, so a non-empty
            // bucket exists at or after rehash_idx: the index stays in bounds.
            while old.buckets[self.rehash_idx].is_none() {
                self.rehash_idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    return true;
                }
            }
            let mut chain = old.buckets[self.rehash_idx].take();
            while let Some(mut node) = chain {
                chain = node.next.take();
                let slot = &mut new.buckets[hash_of(&node.key) as usize & new_mask];
                node.next = slot.take();
                *slot = Some(node);
                old.used -= 1;
                new.used += 1;
            }
            self.rehash_idx += 1;
        }
        if old.used == 0 {
            self.ht[0] = mem::replace(&mut self.ht[1], Table::empty());
            self.rehash_idx = 0;
            return false;
        }
        true
    }

    /// Rehashes in batches of 100 buckets until done or `budget` has elapsed (at least one batch),
    /// like `dictRehashMilliseconds`. Returns true if still rehashing.
    pub fn rehash_for(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        while self.rehash_steps(REHASH_BATCH) {
            if start.elapsed() > budget {
                break;
            }
        }
        self.is_rehashing()
    }

    /// One step of SCAN: calls `f` on every entry of the bucket(s) at `cursor` and returns the
    /// next cursor (0 when the scan is complete). Every entry present for the whole scan is
    /// returned at least once, whatever resizing happens between calls; an entry may be
    /// returned more than once if the table was resized during the scan (see `scan_buckets`).
    pub fn scan<F: FnMut(&K, &V)>(&self, cursor: u64, mut f: F) -> u64 {
        self.scan_buckets(cursor, |t, b| {
            let mut cur = self.ht[t].buckets[b].as_deref();
            while let Some(node) = cur {
                f(&node.key, &node.val);
                cur = node.next.as_deref();
            }
        })
    }

    /// `scan` with mutable access to the values (the snapshot walk stamps
    /// each entry it captures); the same cursor and guarantees.
    pub fn scan_mut<F: FnMut(&K, &mut V)>(&mut self, cursor: u64, mut f: F) -> u64 {
        let mut visits: [(usize, usize); 16] = [(0, 0); 16];
        let mut n = 0;
        let mut more: Vec<(usize, usize)> = Vec::new();
        let next = self.scan_buckets(cursor, |t, b| {
            if n < visits.len() {
                visits[n] = (t, b);
                n += 1;
            } else {
                more.push((t, b));
            }
        });
        for &(t, b) in visits[..n].iter().chain(more.iter()) {
            let mut cur = self.ht[t].buckets[b].as_deref_mut();
            while let Some(node) = cur {
                f(&node.key, &mut node.val);
                cur = node.next.as_deref_mut();
            }
        }
        next
    }

    /// The buckets one SCAN step visits, as (table, bucket) pairs in visiting order, and the
    /// next cursor (0 when the scan is complete).
    ///
    /// The cursor counts in bit-reversed order over the bucket mask, so the buckets already
    /// visited stay visited when the table doubles or halves. While rehashing, the bucket of
    /// the smaller table is visited, then every bucket of the larger table it expands to.
    fn scan_buckets(&self, cursor: u64, mut visit: impl FnMut(usize, usize)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        if !self.is_rehashing() {
            let mask = self.ht[0].mask();
            visit(0, cursor as usize & mask);
            return next_cursor(cursor, mask as u64);
        }
        let (small, large) = if self.ht[0].size() <= self.ht[1].size() {
            (0, 1)
        } else {
            (1, 0)
        };
        let (small_mask, large_mask) = (self.ht[small].mask() as u64, self.ht[large].mask() as u64);
        visit(small, (cursor & small_mask) as usize);
        let mut cursor = cursor;
        loop {
            visit(large, (cursor & large_mask) as usize);
            cursor = next_cursor(cursor, large_mask);
            // Done once the bits the large table has beyond the small one wrap back to zero.
            if cursor & (small_mask ^ large_mask) == 0 {
                return cursor;
            }
        }
    }

    /// A random entry: a random non-empty bucket, then a random element of its chain
    /// (`dictGetRandomKey`; entries in longer chains are a little less likely). The expected
    /// number of probes is buckets / non-empty buckets, so keep cron calling `shrink_if_needed`.
    pub fn random_entry(&self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        let mut rng = rand::rng();
        let head = if self.is_rehashing() {
            // Buckets of the old table below rehash_idx are known to be empty: skip them.
            let old_size = self.ht[0].size();
            let total = old_size + self.ht[1].size();
            loop {
                let i = rng.random_range(self.rehash_idx..total);
                let slot = if i < old_size {
                    &self.ht[0].buckets[i]
                } else {
                    &self.ht[1].buckets[i - old_size]
                };
                if let Some(node) = slot.as_deref() {
                    break node;
                }
            }
        } else {
            let table = &self.ht[0];
            loop {
                if let Some(node) = table.buckets[rng.next_u64() as usize & table.mask()].as_deref()
                {
                    break node;
                }
            }
        };
        let chain_len = std::iter::successors(Some(head), |n| n.next.as_deref()).count();
        let node = std::iter::successors(Some(head), |n| n.next.as_deref())
            .nth(rng.random_range(0..chain_len))?;
        Some((&node.key, &node.val))
    }

    /// Appends up to `count` entries from a random stretch of buckets to `out` and returns how
    /// many were appended (`dictGetSomeKeys`, for eviction and expiry sampling). It may return
    /// fewer than asked (at most `len()`, and gives up after `10 * count` bucket steps) and,
    /// while rehashing, duplicates. A chain that overflows `count` is reservoir-sampled.
    pub fn sample<'a>(&'a self, count: usize, out: &mut Vec<(&'a K, &'a V)>) -> usize {
        let count = count.min(self.len());
        if count == 0 {
            return 0;
        }
        let base = out.len();
        let tables = if self.is_rehashing() { 2 } else { 1 };
        let max_mask = self.ht[0]
            .mask()
            .max(if tables == 2 { self.ht[1].mask() } else { 0 });
        let mut rng = rand::rng();
        let mut i = rng.next_u64() as usize & max_mask;
        let mut stored = 0usize;
        let mut empty_run = 0usize;
        'steps: for _ in 0..count.saturating_mul(10) {
            for t in 0..tables {
                if tables == 2 && t == 0 && i < self.rehash_idx {
                    // Nothing left in the old table below rehash_idx. If `i` is also past the
                    // end of the (smaller) new table, nothing is there at all: jump ahead.
                    if i >= self.ht[1].size() {
                        i = self.rehash_idx;
                    } else {
                        continue;
                    }
                }
                let Some(slot) = self.ht[t].buckets.get(i) else {
                    continue;
                };
                match slot.as_deref() {
                    None => {
                        // Too many empty buckets in a row: try somewhere else.
                        empty_run += 1;
                        if empty_run >= 5 && empty_run > count {
                            i = rng.next_u64() as usize & max_mask;
                            empty_run = 0;
                        }
                    }
                    Some(head) => {
                        empty_run = 0;
                        let mut cur = Some(head);
                        while let Some(node) = cur {
                            if stored < count {
                                out.push((&node.key, &node.val));
                            } else {
                                let r = rng.random_range(0..=stored);
                                if r < count {
                                    out[base + r] = (&node.key, &node.val);
                                }
                            }
                            stored += 1;
                            cur = node.next.as_deref();
                        }
                        if stored >= count {
                            break 'steps;
                        }
                    }
                }
            }
            i = (i + 1) & max_mask;
        }
        stored.min(count)
    }

    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash_steps(1);
        }
    }

    fn find<Q>(&self, key: &Q) -> Option<&Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        let hash = hash_of(key);
        self.ht
            .iter()
            .find_map(|table| chain_find(table.slot(hash)?, key))
    }

    fn find_mut<Q>(&mut self, hash: u64, key: &Q) -> Option<&mut Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let [t0, t1] = &mut self.ht;
        if let Some(node) = t0.find_mut(hash, key) {
            return Some(node);
        }
        t1.find_mut(hash, key)
    }

    /// Where `key` is: (table, position in its chain).
    fn locate(&self, hash: u64, key: &K) -> Option<(usize, usize)> {
        self.ht.iter().enumerate().find_map(|(t, table)| {
            let mut cur = table.slot(hash)?.as_deref();
            let mut depth = 0;
            while let Some(node) = cur {
                if node.key == *key {
                    return Some((t, depth));
                }
                cur = node.next.as_deref();
                depth += 1;
            }
            None
        })
    }

    /// The node `locate` found (panics if it is not there).
    fn node_at_mut(&mut self, table: usize, hash: u64, depth: usize) -> &mut Node<K, V> {
        let mut node = self.ht[table].slot_mut(hash).and_then(|s| s.as_deref_mut());
        for _ in 0..depth {
            node = node.and_then(|n| n.next.as_deref_mut());
        }
        node.expect("Dict: located node vanished")
    }

    /// Links a new entry (known to be absent) at the head of its chain, growing first if needed.
    fn add_new(&mut self, hash: u64, key: K, val: V) -> &mut Node<K, V> {
        if !self.is_rehashing() {
            let (size, used) = (self.ht[0].size(), self.ht[0].used);
            if size == 0 {
                self.expand(INITIAL_SIZE);
            } else if used >= size && expand_allowed(size, used, size * 2) {
                self.expand(used + 1);
            }
        }
        let table = &mut self.ht[usize::from(self.is_rehashing())];
        table.used += 1;
        let slot = table
            .slot_mut(hash)
            .expect("Dict: target table is allocated");
        let next = slot.take();
        slot.insert(Box::new(Node { next, key, val }))
    }
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Dict<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Clone for Dict<K, V> {
    fn clone(&self) -> Self {
        let mut d = Dict::with_capacity(self.len());
        for (k, v) in self {
            d.insert(k.clone(), v.clone());
        }
        d
    }
}

impl<K: Hash + Eq, V> Extend<(K, V)> for Dict<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Hash + Eq, V> FromIterator<(K, V)> for Dict<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut d = Dict::new();
        d.extend(iter);
        d
    }
}

/// Iterator over `(&K, &V)`; see [`Dict::iter`].
pub struct Iter<'a, K, V> {
    buckets: Buckets<'a, K, V>,
    node: Option<&'a Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(node) = self.node {
                self.node = node.next.as_deref();
                self.remaining -= 1;
                return Some((&node.key, &node.val));
            }
            if self.remaining == 0 {
                return None;
            }
            self.node = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}
impl<K, V> FusedIterator for Iter<'_, K, V> {}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter {
            buckets: self.buckets.clone(),
            node: self.node,
            remaining: self.remaining,
        }
    }
}

/// Iterator over `(&K, &mut V)`; see [`Dict::iter_mut`].
pub struct IterMut<'a, K, V> {
    buckets: BucketsMut<'a, K, V>,
    node: Option<&'a mut Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(Node { next, key, val }) = self.node.take() {
                self.node = next.as_deref_mut();
                self.remaining -= 1;
                return Some((key, val));
            }
            if self.remaining == 0 {
                return None;
            }
            self.node = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}
impl<K, V> FusedIterator for IterMut<'_, K, V> {}

/// Owning iterator over `(K, V)`; see [`Dict::drain`].
pub struct IntoIter<K, V> {
    tables: [Table<K, V>; 2],
    table: usize,
    bucket: usize,
    chain: Link<K, V>,
    remaining: usize,
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        loop {
            if let Some(mut node) = self.chain.take() {
                self.chain = node.next.take();
                self.remaining -= 1;
                let Node { key, val, .. } = *node;
                return Some((key, val));
            }
            if self.remaining == 0 {
                return None;
            }
            let table = self.tables.get_mut(self.table)?;
            match table.buckets.get_mut(self.bucket) {
                Some(slot) => {
                    self.chain = slot.take();
                    self.bucket += 1;
                }
                None => {
                    self.table += 1;
                    self.bucket = 0;
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}
impl<K, V> FusedIterator for IntoIter<K, V> {}

impl<K, V> Drop for IntoIter<K, V> {
    fn drop(&mut self) {
        drop_chain(self.chain.take());
    }
}

impl<K, V> IntoIterator for Dict<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    fn into_iter(mut self) -> IntoIter<K, V> {
        let remaining = self.len();
        let tables = mem::replace(&mut self.ht, [Table::empty(), Table::empty()]);
        IntoIter {
            tables,
            table: 0,
            bucket: 0,
            chain: None,
            remaining,
        }
    }
}

impl<'a, K, V> IntoIterator for &'a Dict<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut Dict<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::{HashMap, HashSet};
    use std::hash::Hasher;

    /// Structural invariants: sizes, rehash index, every node in the bucket its hash selects,
    /// per-table counts.
    fn check<K: Hash + Eq, V>(d: &Dict<K, V>) {
        for t in &d.ht {
            let s = t.size();
            assert!(
                s == 0 || (s.is_power_of_two() && s >= INITIAL_SIZE),
                "size {s}"
            );
        }
        if d.is_rehashing() {
            assert_ne!(d.ht[0].size(), 0);
            assert_ne!(d.ht[0].size(), d.ht[1].size());
            assert!(d.rehash_idx <= d.ht[0].size());
        } else {
            assert_eq!(d.rehash_idx, 0);
            assert_eq!(d.ht[1].used, 0);
        }
        for (ti, t) in d.ht.iter().enumerate() {
            let mut count = 0;
            for (i, bucket) in t.buckets.iter().enumerate() {
                if ti == 0 && d.is_rehashing() && i < d.rehash_idx {
                    assert!(bucket.is_none(), "bucket {i} below rehash_idx not empty");
                }
                let mut cur = bucket.as_deref();
                while let Some(n) = cur {
                    assert_eq!(hash_of(&n.key) as usize & t.mask(), i);
                    count += 1;
                    cur = n.next.as_deref();
                }
            }
            assert_eq!(count, t.used, "table {ti} used count");
        }
        assert_eq!(d.iter().count(), d.len());
    }

    fn finish(d: &mut Dict<u64, u64>) {
        while d.rehash_steps(1000) {}
    }

    fn filled(n: u64) -> Dict<u64, u64> {
        let mut d = Dict::new();
        for k in 0..n {
            d.insert(k, k * 10);
        }
        finish(&mut d);
        d
    }

    /// `n` entries, part-way through growing to a 4x bigger table.
    fn growing(n: u64) -> Dict<u64, u64> {
        let mut d = filled(n);
        assert!(d.expand(n as usize * 4));
        while d.ht[1].used < d.len() / 3 {
            d.rehash_steps(1);
        }
        assert!(d.is_rehashing());
        assert!(d.ht[0].used > 0 && d.ht[1].used > 0);
        check(&d);
        d
    }

    /// Keys `0..n` step 8 present, part-way through shrinking.
    fn shrinking(n: u64) -> Dict<u64, u64> {
        let mut d = filled(n);
        for k in 0..n {
            if k % 32 != 0 {
                d.remove(&k);
            }
        }
        finish(&mut d);
        for k in (0..n).step_by(32) {
            d.insert(k + 8, 0);
            d.insert(k + 16, 0);
        }
        finish(&mut d);
        assert!(d.shrink_if_needed());
        while d.ht[1].used < d.len() / 3 {
            d.rehash_steps(1);
        }
        assert!(d.is_rehashing());
        assert!(d.ht[1].size() < d.ht[0].size());
        assert!(d.ht[0].used > 0 && d.ht[1].used > 0);
        check(&d);
        d
    }

    /// A key whose hash is always the same: everything lands in one chain.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Colliding(u32);
    impl Hash for Colliding {
        fn hash<H: Hasher>(&self, state: &mut H) {
            state.write_u8(7);
        }
    }

    /// Equal by `id` only, so a replace can tell which key instance was kept.
    #[derive(Debug)]
    struct Tagged {
        id: u32,
        tag: &'static str,
    }
    impl PartialEq for Tagged {
        fn eq(&self, o: &Self) -> bool {
            self.id == o.id
        }
    }
    impl Eq for Tagged {}
    impl Hash for Tagged {
        fn hash<H: Hasher>(&self, state: &mut H) {
            self.id.hash(state);
        }
    }

    #[test]
    fn node_is_three_words() {
        assert_eq!(mem::size_of::<Node<[u8; 24], [u8; 32]>>(), 64);
        assert_eq!(Dict::<[u8; 24], [u8; 32]>::node_bytes(), 64);
        assert_eq!(mem::size_of::<Link<[u8; 24], [u8; 32]>>(), 8);
        assert_eq!(mem::size_of::<Dict<[u8; 24], [u8; 32]>>(), 56);
    }

    #[test]
    fn new_and_default_allocate_nothing() {
        for d in [
            Dict::<u64, u64>::new(),
            Dict::default(),
            Dict::with_capacity(0),
        ] {
            assert_eq!((d.len(), d.buckets(), d.table_bytes()), (0, 0, 0));
            assert!(d.is_empty() && !d.is_rehashing());
            assert_eq!(d.get(&1), None);
            assert!(!d.contains_key(&1));
            assert_eq!(d.iter().next(), None);
            assert_eq!(d.scan(0, |_, _| panic!("empty")), 0);
            assert_eq!(d.random_entry(), None);
            let mut out = Vec::new();
            assert_eq!(d.sample(5, &mut out), 0);
            assert!(out.is_empty());
            let mut d = d;
            assert_eq!(d.get_mut(&1), None);
            assert_eq!(d.remove(&1), None);
            assert!(!d.shrink_if_needed());
            assert!(!d.rehash_for(Duration::from_millis(1)));
            check(&d);
        }
    }

    #[test]
    fn with_capacity_sizes() {
        for (n, size) in [(1, 4), (4, 4), (5, 8), (1000, 1024), (1024, 1024)] {
            let mut d = Dict::with_capacity(n);
            assert_eq!(d.buckets(), size, "with_capacity({n})");
            for k in 0..n as u64 {
                d.insert(k, k);
            }
            assert_eq!(d.buckets(), size, "filling {n} must not resize");
            assert!(!d.is_rehashing());
            check(&d);
        }
    }

    #[test]
    fn insert_get_replace_keeps_key() {
        let mut d = Dict::new();
        assert_eq!(
            d.insert(
                Tagged {
                    id: 1,
                    tag: "first"
                },
                10
            ),
            None
        );
        assert_eq!(
            d.insert(
                Tagged {
                    id: 2,
                    tag: "other"
                },
                20
            ),
            None
        );
        assert_eq!(
            d.insert(
                Tagged {
                    id: 1,
                    tag: "second"
                },
                11
            ),
            Some(10)
        );
        assert_eq!(d.len(), 2);
        let (k, v) = d.get_key_value(&Tagged { id: 1, tag: "" }).unwrap();
        assert_eq!((k.tag, *v), ("first", 11));
        assert_eq!(d.get(&Tagged { id: 2, tag: "" }), Some(&20));
        assert!(d.contains_key(&Tagged { id: 2, tag: "x" }));
        assert!(!d.contains_key(&Tagged { id: 3, tag: "x" }));
        *d.get_mut(&Tagged { id: 2, tag: "" }).unwrap() += 1;
        assert_eq!(d.get(&Tagged { id: 2, tag: "" }), Some(&21));
        let (k, v) = d.remove(&Tagged { id: 1, tag: "" }).unwrap();
        assert_eq!((k.tag, v), ("first", 11));
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn borrowed_lookups() {
        let mut d: Dict<String, u32> = Dict::new();
        d.insert("alpha".to_string(), 1);
        d.insert("beta".to_string(), 2);
        assert_eq!(d.get("alpha"), Some(&1));
        assert_eq!(
            d.get_key_value("beta").map(|(k, _)| k.as_str()),
            Some("beta")
        );
        assert!(d.contains_key("beta") && !d.contains_key("gamma"));
        *d.get_mut("beta").unwrap() = 5;
        assert_eq!(d.remove("beta"), Some(("beta".to_string(), 5)));
        let mut b: Dict<Vec<u8>, ()> = Dict::new();
        b.insert(b"key".to_vec(), ());
        assert!(b.contains_key(&b"key"[..]));
        assert_eq!(b.remove(&b"key"[..]), Some((b"key".to_vec(), ())));
    }

    #[test]
    fn grows_at_load_factor_one() {
        let mut d = Dict::new();
        d.insert(0u64, 0u64);
        assert_eq!(d.buckets(), 4);
        for k in 1..4 {
            d.insert(k, k);
        }
        assert_eq!((d.buckets(), d.is_rehashing()), (4, false));
        d.insert(4, 4); // used == size: grow to 8
        assert!(d.is_rehashing());
        assert_eq!((d.ht[0].size(), d.ht[1].size()), (4, 8));
        // The new key went into the new table.
        assert!(chain_find(d.ht[1].slot(hash_of(&4u64)).unwrap(), &4u64).is_some());
        check(&d);
        for k in 5..10_000 {
            d.insert(k, k);
            if !d.is_rehashing() {
                assert!(d.len() <= d.buckets(), "load factor above 1 when stable");
            }
        }
        finish(&mut d);
        assert_eq!(d.buckets(), 16384);
        check(&d);
    }

    #[test]
    fn each_write_does_one_rehash_step() {
        let mut d = growing(256);
        let idx = d.rehash_idx;
        d.get(&1);
        d.contains_key(&1);
        assert_eq!(d.rehash_idx, idx, "reads take &self and do no step");
        d.get_mut(&1);
        assert!(d.rehash_idx > idx);
        let idx = d.rehash_idx;
        d.insert(1, 1);
        assert!(d.rehash_idx > idx);
        let idx = d.rehash_idx;
        d.remove(&2);
        assert!(d.rehash_idx > idx);
        let idx = d.rehash_idx;
        d.get_or_insert_with(3, || 0);
        assert!(d.rehash_idx > idx);
        check(&d);
        // Enough writes finish the rehash without cron.
        for _ in 0..d.ht[0].size() {
            d.get_mut(&0);
        }
        assert!(!d.is_rehashing());
        check(&d);
    }

    #[test]
    fn rehash_step_visits_at_most_ten_empty_buckets() {
        let mut d = Dict::with_capacity(1024);
        d.insert(7u64, 7u64);
        let bucket = hash_of(&7u64) as usize & 1023;
        assert!(d.expand(4));
        assert!(d.is_rehashing());
        let mut steps = 0;
        while d.rehash_steps(1) {
            steps += 1;
            assert!(d.rehash_idx <= bucket, "moved past the only full bucket");
            assert_eq!(
                d.rehash_idx,
                steps * 10,
                "one step visits exactly 10 empty buckets"
            );
        }
        assert_eq!(steps, bucket / 10);
        assert_eq!((d.buckets(), d.get(&7)), (4, Some(&7)));
        check(&d);
    }

    #[test]
    fn remove_basic() {
        let mut d = filled(100);
        assert_eq!(d.remove(&1000), None);
        for k in (0..100).step_by(2) {
            assert_eq!(d.remove(&k), Some((k, k * 10)));
            assert_eq!(d.remove(&k), None);
        }
        assert_eq!(d.len(), 50);
        for k in 0..100 {
            assert_eq!(d.get(&k).is_some(), k % 2 == 1);
        }
        check(&d);
    }

    #[test]
    fn colliding_keys_share_one_chain() {
        let mut d = Dict::new();
        for i in 0..300 {
            assert_eq!(d.insert(Colliding(i), i), None);
        }
        finish_any(&mut d);
        check(&d);
        assert_eq!(d.ht[0].buckets.iter().filter(|b| b.is_some()).count(), 1);
        assert_eq!(d.insert(Colliding(150), 1500), Some(150));
        // Unlink from head, middle and tail of the chain.
        for i in [299, 150, 0, 1, 298] {
            assert_eq!(d.remove(&Colliding(i)).map(|(k, _)| k), Some(Colliding(i)));
        }
        assert_eq!(d.remove(&Colliding(150)), None);
        assert_eq!(d.len(), 295);
        for i in 2..298 {
            assert_eq!(d.get(&Colliding(i)).is_some(), i != 150);
        }
        // One full bucket among 512: most calls give up empty-handed (allowed), but any call
        // that lands on the chain reservoir-samples it and returns a full sample.
        let sampled = (0..10_000)
            .map(|_| {
                let mut out = Vec::new();
                d.sample(10, &mut out)
            })
            .find(|&n| n > 0);
        assert_eq!(sampled, Some(10));
        assert!(d.random_entry().is_some());
        check(&d);
        drop(d); // the chain is freed iteratively
    }

    fn finish_any<K: Hash + Eq, V>(d: &mut Dict<K, V>) {
        while d.rehash_steps(1000) {}
    }

    #[test]
    fn long_chain_drops_without_recursion() {
        let mut t: Table<u32, ()> = Table::with_size(4);
        for i in 0..1_000_000 {
            let next = t.buckets[0].take();
            t.buckets[0] = Some(Box::new(Node {
                next,
                key: i,
                val: (),
            }));
        }
        t.used = 1_000_000;
        drop(t);
        let mut t: Table<u32, ()> = Table::with_size(4);
        for i in 0..1_000_000 {
            let next = t.buckets[0].take();
            t.buckets[0] = Some(Box::new(Node {
                next,
                key: i,
                val: (),
            }));
        }
        t.used = 1_000_000;
        let mut it = Dict {
            ht: [t, Table::empty()],
            rehash_idx: 0,
        }
        .into_iter();
        assert_eq!(it.next().map(|(k, _)| k), Some(999_999));
        assert_eq!(it.len(), 999_999); // the rest of the chain is held by the iterator
        drop(it);
    }

    #[test]
    fn clear_frees_tables() {
        let mut d = growing(100);
        d.clear();
        assert_eq!((d.len(), d.buckets(), d.is_rehashing()), (0, 0, false));
        check(&d);
        d.insert(5, 5);
        assert_eq!((d.get(&5), d.buckets()), (Some(&5), 4));
    }

    #[test]
    fn iteration_variants() {
        for mut d in [filled(500), growing(500), shrinking(512)] {
            let model: HashMap<u64, u64> = d.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(model.len(), d.len());
            assert_eq!(d.iter().len(), d.len());
            assert_eq!((&d).into_iter().count(), d.len());
            assert_eq!(d.keys().copied().collect::<HashSet<_>>().len(), d.len());
            assert_eq!(d.values().count(), d.len());
            let mut it = d.iter();
            it.next();
            assert_eq!(it.clone().count(), d.len() - 1);
            let mut touched = 0;
            for (k, v) in d.iter_mut() {
                *v = *k + 1;
                touched += 1;
            }
            assert_eq!(touched, model.len());
            for (_, v) in &mut d {
                *v += 1;
            }
            assert!(d.iter().all(|(k, v)| *v == *k + 2));
            let mut copy = d.clone();
            check(&copy);
            let drained: HashMap<u64, u64> = copy.drain().collect();
            assert_eq!((copy.len(), copy.buckets()), (0, 0));
            assert_eq!(drained.len(), model.len());
            assert!(drained.iter().all(|(k, v)| *v == *k + 2));
            // A partly consumed drain still empties the dict.
            let mut it = d.drain();
            assert_eq!(it.len(), model.len());
            it.next();
            assert_eq!(it.len(), model.len() - 1);
            drop(it);
            assert!(d.is_empty());
            check(&d);
        }
        let owned: Vec<(u64, u64)> = filled(10).into_iter().collect();
        assert_eq!(owned.len(), 10);
    }

    /// Everything that must work while two tables are live, in both directions.
    #[test]
    fn operations_mid_rehash() {
        for (mut d, present) in [
            (growing(300), (0..300).collect::<Vec<u64>>()),
            (shrinking(1024), shrinking_keys(1024)),
        ] {
            assert!(d.is_rehashing());
            let mut model: HashMap<u64, u64> = d.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(model.len(), present.len());
            for k in &present {
                assert_eq!(d.get(k), model.get(k));
                assert!(d.contains_key(k));
            }
            // Everything visible through iter and a full scan, exactly once.
            assert_eq!(d.iter().count(), model.len());
            assert_eq!(full_scan(&d), model.keys().map(|k| (*k, 1)).collect());
            // Random access returns live entries.
            for _ in 0..200 {
                let (k, v) = d.random_entry().unwrap();
                assert_eq!(model.get(k), Some(v));
            }
            let mut out = Vec::new();
            assert!(d.sample(16, &mut out) > 0);
            assert!(out.iter().all(|(k, v)| model.get(k) == Some(v)));
            // Writes.
            let mut seen_rehashing_write = false;
            for (i, k) in present.iter().enumerate() {
                seen_rehashing_write |= d.is_rehashing();
                match i % 4 {
                    0 => assert_eq!(d.remove(k), model.remove(k).map(|v| (*k, v))),
                    1 => assert_eq!(d.insert(*k, 1), model.insert(*k, 1)),
                    2 => {
                        *d.get_mut(k).unwrap() += 5;
                        *model.get_mut(k).unwrap() += 5;
                    }
                    _ => {
                        let new = k + 100_000;
                        assert_eq!(d.insert(new, 9), None);
                        model.insert(new, 9);
                        assert_eq!(*d.get_or_insert_with(new, || 0), 9);
                    }
                }
                if d.is_rehashing() {
                    check(&d);
                }
            }
            assert!(seen_rehashing_write);
            finish(&mut d);
            check(&d);
            let got: HashMap<u64, u64> = d.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(got, model);
        }
    }

    fn shrinking_keys(n: u64) -> Vec<u64> {
        (0..n)
            .step_by(32)
            .flat_map(|k| [k, k + 8, k + 16])
            .collect()
    }

    #[test]
    fn get_or_insert_with_inserts_once() {
        let mut d: Dict<String, Vec<u32>> = Dict::new();
        for i in 0..100u32 {
            d.get_or_insert_with(format!("k{}", i % 10), Vec::new)
                .push(i);
        }
        assert_eq!(d.len(), 10);
        assert_eq!(d.get("k3").unwrap().len(), 10);
        let mut calls = 0;
        d.get_or_insert_with("k3".into(), || {
            calls += 1;
            vec![]
        });
        assert_eq!(calls, 0);
        let mut g = growing(64);
        for k in 0..200 {
            *g.get_or_insert_with(k, || 1000) += 1;
        }
        for k in 0..200 {
            assert_eq!(g.get(&k), Some(&if k < 64 { k * 10 + 1 } else { 1001 }));
        }
        check(&g);
    }

    #[test]
    fn expand_rules() {
        let mut d = filled(10); // 16 buckets
        assert_eq!(d.buckets(), 16);
        assert!(!d.expand(9), "smaller than len");
        assert!(!d.expand(16), "same size");
        assert!(!d.expand(usize::MAX), "overflow");
        assert!(d.expand(17));
        assert!(!d.expand(100), "already rehashing");
        finish(&mut d);
        assert_eq!(d.buckets(), 32);
        assert!(d.expand(10));
        finish(&mut d);
        assert_eq!(d.buckets(), 16);
        let mut e: Dict<u64, u64> = Dict::new();
        assert!(e.expand(100), "nothing to move: swaps at once");
        assert_eq!((e.buckets(), e.is_rehashing()), (128, false));
        check(&d);
    }

    #[test]
    fn shrink_if_needed_rules() {
        let mut d = filled(4);
        for k in 0..4 {
            d.remove(&k);
        }
        assert!(!d.shrink_if_needed(), "4 buckets never shrink");
        let mut d = filled(1000); // 1024 buckets
        for k in 0..897 {
            d.remove(&k);
        }
        assert_eq!(d.len(), 103); // 10.06%: stays
        assert!(!d.shrink_if_needed());
        d.remove(&897);
        d.remove(&898); // 101 < 10%
        assert!(d.shrink_if_needed());
        assert!(d.is_rehashing());
        assert!(!d.shrink_if_needed(), "already rehashing");
        assert!(!d.rehash_for(Duration::from_millis(100)));
        assert_eq!(d.buckets(), 128);
        check(&d);
        for k in 899..1000 {
            d.remove(&k);
        }
        assert!(
            d.shrink_if_needed(),
            "empty table shrinks to the minimum at once"
        );
        assert_eq!((d.buckets(), d.is_rehashing()), (4, false));
    }

    #[test]
    fn rehash_for_budget() {
        let mut d = filled(20_000);
        d.expand(1 << 20);
        // A zero budget still does one batch of 100 buckets.
        assert!(d.rehash_for(Duration::ZERO));
        assert!(d.rehash_idx >= REHASH_BATCH);
        assert!(!d.rehash_for(Duration::from_secs(10)));
        assert_eq!((d.buckets(), d.len()), (1 << 20, 20_000));
        check(&d);
    }

    #[test]
    fn table_bytes_and_buckets() {
        let d = growing(64); // 64 -> 256
        assert_eq!(d.buckets(), 64 + 256);
        assert_eq!(d.table_bytes(), (64 + 256) * 8);
    }

    #[test]
    fn random_entry_reaches_everything() {
        for d in [filled(20), growing(20), shrinking(256)] {
            let mut seen = HashSet::new();
            for _ in 0..5000 {
                let (k, v) = d.random_entry().unwrap();
                assert_eq!(d.get(k), Some(v));
                seen.insert(*k);
            }
            assert_eq!(seen.len(), d.len());
        }
    }

    #[test]
    fn sample_returns_live_entries() {
        for d in [filled(1000), growing(1000), shrinking(2048)] {
            let mut out = vec![(&u64::MAX, &u64::MAX)];
            let n = d.sample(20, &mut out);
            assert_eq!(n, out.len() - 1, "appends after existing contents");
            assert!(n > 0 && n <= 20);
            assert_eq!(out[0], (&u64::MAX, &u64::MAX));
            assert!(out[1..].iter().all(|(k, v)| d.get(k) == Some(v)));
        }
        let d = filled(3);
        let mut out = Vec::new();
        assert!(d.sample(50, &mut out) <= 3);
        // Over many calls on a dense table, the sample is usually full.
        let d = filled(5000);
        let full = (0..100)
            .filter(|_| {
                let mut out = Vec::new();
                d.sample(16, &mut out) == 16
            })
            .count();
        assert!(full > 90, "{full}");
    }

    #[test]
    fn next_cursor_is_reverse_binary_increment() {
        // Mask 0b111: cursors visit 0,4,2,6,1,5,3,7 then wrap to 0.
        let mut c = 0;
        let mut order = vec![];
        loop {
            order.push(c);
            c = next_cursor(c, 7);
            if c == 0 {
                break;
            }
        }
        assert_eq!(order, [0, 4, 2, 6, 1, 5, 3, 7]);
    }

    fn full_scan<V>(d: &Dict<u64, V>) -> HashMap<u64, usize> {
        let mut seen = HashMap::new();
        let mut cursor = 0;
        loop {
            cursor = d.scan(cursor, |k, _| *seen.entry(*k).or_insert(0) += 1);
            if cursor == 0 {
                return seen;
            }
        }
    }

    #[test]
    fn scan_without_changes_returns_each_once() {
        for n in [0, 1, 3, 4, 5, 100, 1000] {
            let d = filled(n);
            let seen = full_scan(&d);
            assert_eq!(seen.len() as u64, n);
            assert!(seen.values().all(|&c| c == 1), "duplicates without resize");
        }
        for d in [growing(500), shrinking(1024)] {
            let seen = full_scan(&d);
            assert_eq!(seen.len(), d.len());
            assert!(seen.values().all(|&c| c == 1));
        }
    }

    /// Scans `d` to the end, calling `between` after every step; returns what was seen.
    fn scan_with(
        d: &mut Dict<u64, u64>,
        mut between: impl FnMut(&mut Dict<u64, u64>, usize),
    ) -> HashSet<u64> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        for step in 0.. {
            // Alternate the two entry points: they share the cursor logic.
            cursor = if step % 2 == 0 {
                d.scan(cursor, |k, _| {
                    seen.insert(*k);
                })
            } else {
                d.scan_mut(cursor, |k, _| {
                    seen.insert(*k);
                })
            };
            if cursor == 0 {
                break;
            }
            between(d, step);
            assert!(step < 1_000_000, "scan does not terminate");
        }
        seen
    }

    #[test]
    fn scan_while_growing() {
        for start in [10, 100, 1000] {
            let mut d = filled(start);
            let mut next = 1_000_000;
            // Growth must stop at some point: a table growing as fast as the scan walks it
            // keeps adding cursor space and the scan never ends (true of Redis too).
            let target = 16 * start;
            let seen = scan_with(&mut d, |d, _| {
                for _ in 0..25 {
                    if next - 1_000_000 < target {
                        d.insert(next, 0);
                        next += 1;
                    }
                }
            });
            assert!(
                d.buckets() >= 8 * start as usize,
                "the table grew during the scan"
            );
            assert!(
                (0..start).all(|k| seen.contains(&k)),
                "missed a key (start {start})"
            );
            check(&d);
        }
    }

    #[test]
    fn scan_while_shrinking() {
        let mut d = filled(8000);
        let stable: Vec<u64> = (0..8000).step_by(100).collect();
        let mut victims = (0..8000).filter(|k| k % 100 != 0);
        let mut shrinks = 0;
        let seen = scan_with(&mut d, |d, _| {
            for k in victims.by_ref().take(300) {
                d.remove(&k);
            }
            if d.shrink_if_needed() {
                shrinks += 1;
            }
            d.rehash_steps(3);
        });
        assert!(shrinks > 0, "the table shrank during the scan");
        assert!(stable.iter().all(|k| seen.contains(k)), "missed a key");
        check(&d);
    }

    /// Random grows, shrinks and rehash progress between scan steps, many seeds.
    #[test]
    fn scan_under_random_resizing() {
        for seed in 0..40 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut d = filled(rng.random_range(1..600));
            if rng.random_bool(0.5) {
                d.expand(d.len() * rng.random_range(2..8));
                d.rehash_steps(rng.random_range(0..50));
            }
            // Keys divisible by 3 stay for the whole scan; the others may be removed.
            let stable: Vec<u64> = d.keys().copied().filter(|k| k % 3 == 0).collect();
            let mut removable: Vec<u64> = d.keys().copied().filter(|k| k % 3 != 0).collect();
            let mut next = 1_000_000;
            let mut resizes = 0;
            let seen = scan_with(&mut d, |d, _| match rng.random_range(0..5) {
                0 if d.len() < 3000 => {
                    for _ in 0..rng.random_range(1..200) {
                        next += 1;
                        d.insert(next * 3 + 1, 0);
                        removable.push(next * 3 + 1);
                    }
                }
                1 => {
                    for _ in 0..rng.random_range(1..400).min(removable.len()) {
                        let k = removable.swap_remove(rng.random_range(0..removable.len()));
                        assert!(d.remove(&k).is_some());
                    }
                    resizes += usize::from(d.shrink_if_needed());
                }
                2 => {
                    d.rehash_steps(rng.random_range(1..20));
                }
                3 if d.len() < 3000 => {
                    resizes += usize::from(d.expand(d.len() * 2 + rng.random_range(0..100)));
                }
                _ => {}
            });
            for k in &stable {
                assert!(
                    seen.contains(k),
                    "seed {seed}: missed {k} ({resizes} resizes)"
                );
            }
            check(&d);
        }
    }

    /// The snapshot walk: `scan_mut` stamps entries while the table grows and rehashes
    /// between steps; every entry present throughout ends up stamped.
    #[test]
    fn scan_mut_stamps_every_stable_entry() {
        let mut d: Dict<u64, u64> = (0..2000u64).map(|k| (k, 0)).collect();
        let mut cursor = 0;
        let mut next = 10_000;
        loop {
            cursor = d.scan_mut(cursor, |_, v| *v += 1);
            if cursor == 0 {
                break;
            }
            for _ in 0..7 {
                d.insert(next, 100);
                next += 1;
            }
            d.rehash_steps(2);
        }
        assert!((0..2000u64).all(|k| d.get(&k).is_some_and(|&v| v >= 1)));
    }

    #[test]
    fn scan_across_a_whole_rehash() {
        // The rehash starts and completes within one scan.
        let mut d = filled(1000);
        let seen = scan_with(&mut d, |d, step| {
            if step == 50 {
                assert!(d.expand(5000));
            }
            d.rehash_steps(20);
        });
        assert_eq!(d.buckets(), 8192);
        assert!((0..1000).all(|k| seen.contains(&k)));
    }

    #[test]
    fn debug_extend_from_iter() {
        let d: Dict<u32, &str> = [(1, "a")].into_iter().collect();
        assert_eq!(format!("{d:?}"), r#"{1: "a"}"#);
        let mut d = d;
        d.extend([(2, "b"), (1, "c")]);
        assert_eq!((d.len(), d.get(&1)), (2, Some(&"c")));
    }

    /// Random operations against std's HashMap as the model.
    #[test]
    fn matches_hashmap_model() {
        for seed in 1..=8u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut d: Dict<u32, u64> = Dict::new();
            let mut model: HashMap<u32, u64> = HashMap::new();
            let mut key_space = 64;
            for batch in 0..80 {
                // Alternate phases: grow, then mostly delete so shrinking kicks in.
                let deleting = batch % 8 >= 5;
                if batch % 8 == 0 {
                    key_space = rng.random_range(16..3000);
                }
                for _ in 0..60 {
                    let k = rng.random_range(0..key_space);
                    let r = rng.random_range(0..100);
                    match r {
                        0..=34 if !deleting => {
                            let v = rng.random();
                            assert_eq!(d.insert(k, v), model.insert(k, v));
                        }
                        0..=44 => assert_eq!(d.remove(&k), model.remove_entry(&k)),
                        45..=59 => assert_eq!(d.get(&k), model.get(&k)),
                        60..=69 => {
                            let got = d.get_mut(&k).map(|v| {
                                *v = v.wrapping_add(1);
                                *v
                            });
                            let want = model.get_mut(&k).map(|v| {
                                *v = v.wrapping_add(1);
                                *v
                            });
                            assert_eq!(got, want);
                        }
                        70..=74 => assert_eq!(d.contains_key(&k), model.contains_key(&k)),
                        75..=79 => {
                            let v = *d.get_or_insert_with(k, || 42);
                            assert_eq!(v, *model.entry(k).or_insert(42));
                        }
                        80..=84 => {
                            d.shrink_if_needed();
                        }
                        85..=89 => {
                            d.rehash_steps(rng.random_range(0..4));
                        }
                        90..=91 => {
                            d.rehash_for(Duration::ZERO);
                        }
                        92 => {
                            d.expand(model.len() + rng.random_range(0..500));
                        }
                        93 if rng.random_range(0..20) == 0 => {
                            d.clear();
                            model.clear();
                        }
                        94 => {
                            if let Some((k, v)) = d.random_entry() {
                                assert_eq!(model.get(k), Some(v));
                            }
                        }
                        95 => {
                            let mut out = Vec::new();
                            d.sample(rng.random_range(1..20), &mut out);
                            assert!(out.iter().all(|(k, v)| model.get(k) == Some(v)));
                        }
                        _ => {}
                    }
                    assert_eq!(d.len(), model.len());
                }
                check(&d);
                let got: HashMap<u32, u64> = d.iter().map(|(k, v)| (*k, *v)).collect();
                assert_eq!(got, model, "seed {seed} batch {batch}");
                assert_eq!(d.iter_mut().count(), model.len());
                let mut scanned = HashSet::new();
                let mut c = 0;
                loop {
                    c = d.scan(c, |k, _| assert!(scanned.insert(*k)));
                    if c == 0 {
                        break;
                    }
                }
                assert_eq!(scanned.len(), model.len());
            }
        }
    }
}
