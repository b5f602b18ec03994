//! SORT and SORT_RO (Redis 7.0's `sort.c`): sort a list, set or sorted set
//! numerically or (ALPHA) by bytes, by the elements themselves or by the
//! values of keys / hash fields named by a `BY` pattern, answer a LIMIT
//! window of the elements or of `GET` lookups, or STORE them as a list.
//!
//! Built as Redis does it, in three steps: copy the elements into a vector
//! (the whole value; or, for a list or sorted set not to be sorted — `BY`
//! a pattern without `*` — directly the LIMIT window in native order, DESC
//! reading it backwards), give each its sort weight (a double parsed with
//! strtod rules, or the bytes to compare under ALPHA), sort, then emit.
//! Numeric ties are broken by comparing the elements as bytes, so the
//! result is deterministic; the sort is stable (as glibc's qsort Redis
//! calls). A set that is not sorted but STOREd is sorted ALPHA, so what is
//! stored does not depend on hash order. A sorted set is converted to its
//! skiplist encoding, as Redis does (visible in OBJECT ENCODING).
//!
//! STORE replaces the destination with a list (deleting it for an empty
//! result), adds the number of stored elements to `srv.dirty` and publishes
//! `sortstore`; a created destination is signalled to clients blocked on
//! it (BLPOP and friends), as Redis's dbAdd does.

use bytes::Bytes;

use super::{Handler, NOT_INTEGER, SYNTAX_ERR, WRONGTYPE, is};
use crate::blocking;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use crate::types::list::{End, List};

pub const COMMANDS: &[(&str, Handler)] = &[("sort", sort), ("sort_ro", sort_ro)];

const BAD_DOUBLE: &str = "One or more scores can't be converted into double";

fn sort(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    sort_generic(srv, c, argv, false);
}

fn sort_ro(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    sort_generic(srv, c, argv, true);
}

/// Position of SORT's destination key in `argv`, the last `STORE x`
/// (Redis's sortGetKeys: LIMIT skips two arguments, GET and BY one, any
/// other word none).
pub fn store_key_pos(argv: &[Bytes]) -> Option<usize> {
    let mut found = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if is(a, "limit") {
            i += 2;
        } else if is(a, "get") || is(a, "by") {
            i += 1;
        } else if is(a, "store") && i + 1 < argv.len() {
            found = Some(i + 1);
        }
        i += 1;
    }
    found
}

/// The options after the key.
struct Options {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<Bytes>,
    by: Option<Bytes>,
    /// `BY` a pattern without `*`: keep the native order. Once set, a
    /// later `BY` does not clear it (as in Redis).
    dontsort: bool,
    gets: Vec<Bytes>,
}

fn parse_options(c: &mut Client, argv: &[Bytes], readonly: bool) -> Option<Options> {
    let mut o = Options {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if is(a, "asc") {
            o.desc = false;
        } else if is(a, "desc") {
            o.desc = true;
        } else if is(a, "alpha") {
            o.alpha = true;
        } else if is(a, "limit") && left >= 2 {
            let start = crate::util::num::parse_i64(&argv[j + 1]);
            let count = crate::util::num::parse_i64(&argv[j + 2]);
            let (Some(start), Some(count)) = (start, count) else {
                c.reply.err(NOT_INTEGER);
                return None;
            };
            o.limit_start = start;
            o.limit_count = count;
            j += 2;
        } else if !readonly && is(a, "store") && left >= 1 {
            o.store = Some(argv[j + 1].clone());
            j += 1;
        } else if is(a, "by") && left >= 1 {
            if !argv[j + 1].contains(&b'*') {
                o.dontsort = true;
            }
            o.by = Some(argv[j + 1].clone());
            j += 1;
        } else if is(a, "get") && left >= 1 {
            o.gets.push(argv[j + 1].clone());
            j += 1;
        } else {
            c.reply.err(SYNTAX_ERR);
            return None;
        }
        j += 1;
    }
    Some(o)
}

/// One element to sort and its weight.
struct Item {
    el: Vec<u8>,
    score: f64,
    /// ALPHA with BY: the looked-up bytes (`None` sorts first).
    cmp: Option<Vec<u8>>,
}

impl Item {
    fn new(el: Vec<u8>) -> Item {
        Item {
            el,
            score: 0.0,
            cmp: None,
        }
    }
}

/// SORT's reading of a weight: C strtod over the string up to any NUL,
/// which must be consumed whole (an empty string is 0); out of range or
/// NaN is an error.
fn weight(b: &[u8]) -> Option<f64> {
    let b = &b[..b.iter().position(|&x| x == 0).unwrap_or(b.len())];
    if b.is_empty() {
        return Some(0.0);
    }
    // Leading C-locale spaces are skipped by strtod.
    let t = &b[b
        .iter()
        .position(|&x| !matches!(x, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .unwrap_or(b.len())..];
    crate::util::num::parse_f64(t)
}

/// The key a BY/GET pattern names for element `el`: the first `*`
/// replaced by the element, and the hash field when `->field` (non-empty)
/// follows the `*`. `None` for a pattern without `*`.
fn pattern_key<'p>(pat: &'p [u8], el: &[u8]) -> Option<(Vec<u8>, Option<&'p [u8]>)> {
    let star = pat.iter().position(|&b| b == b'*')?;
    let rest = &pat[star + 1..];
    let (post, field) = match rest.windows(2).position(|w| w == b"->") {
        Some(i) if i + 2 < rest.len() => (&rest[..i], Some(&rest[i + 2..])),
        _ => (rest, None),
    };
    let mut key = Vec::with_capacity(star + el.len() + post.len());
    key.extend_from_slice(&pat[..star]);
    key.extend_from_slice(el);
    key.extend_from_slice(post);
    Some((key, field))
}

/// lookupKeyByPattern: `#` is the element itself; otherwise the string at
/// the key the pattern names, or the field of the hash there. `None` for a
/// pattern without `*`, a missing key or field, or a key of another type.
fn lookup_pattern(srv: &mut Server, db: usize, pat: &[u8], el: &[u8]) -> Option<Vec<u8>> {
    if pat == b"#" {
        return Some(el.to_vec());
    }
    let (key, field) = pattern_key(pat, el)?;
    let now = srv.now_ms;
    let o = srv.dbs[db].lookup_read(&key, now)?;
    match (field, &o.v) {
        (Some(f), Value::Hash(h)) => h.get(f).map(|v| v.to_vec()),
        (None, v) if v.is_string() => Some(v.string_bytes().into_owned()),
        _ => None,
    }
}

/// What was found at the key to sort.
enum Source {
    List,
    Set,
    ZSet,
}

fn sort_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], readonly: bool) {
    let Some(mut o) = parse_options(c, argv, readonly) else {
        return;
    };
    let db = c.db;
    let now = srv.now_ms;
    let key = &argv[1];
    let kind = match srv.dbs[db].lookup_read(key, now).map(|o| &mut o.v) {
        None => None,
        Some(Value::List(_)) => Some(Source::List),
        Some(Value::Set(_)) => Some(Source::Set),
        Some(Value::ZSet(z)) => {
            z.convert_to_skiplist();
            Some(Source::ZSet)
        }
        Some(_) => return c.reply.err_code(WRONGTYPE),
    };
    // A set in hash order would store differently on each server: sort it.
    // So too from a script (its output must be deterministic).
    if o.dontsort
        && matches!(kind, Some(Source::Set))
        && (o.store.is_some() || crate::scripting::ctx().is_some())
    {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let value = kind
        .as_ref()
        .and_then(|_| srv.dbs[db].peek(key, now).map(|o| &o.v));
    let len = match value {
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => z.len(),
        _ => 0,
    } as i64;

    // LIMIT arithmetic, as Redis: `start..=end` over the sorted vector.
    let mut start = o.limit_start.clamp(0, len);
    let count = o.limit_count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }

    // Load the vector: a list or sorted set kept in native order loads
    // only the window (then `start..=end` is rebased to it).
    let native = o.dontsort && matches!(kind, Some(Source::List) | Some(Source::ZSet));
    let mut items: Vec<Item> = Vec::new();
    match value {
        Some(Value::List(l)) if native => {
            if end >= start {
                let (skip, n) = (start as usize, (end - start + 1) as usize);
                let mut all = l.to_vec();
                if o.desc {
                    all.reverse();
                }
                items.extend(all.into_iter().skip(skip).take(n).map(Item::new));
            }
            end -= start;
            start = 0;
        }
        Some(Value::List(l)) => items.extend(l.to_vec().into_iter().map(Item::new)),
        Some(Value::Set(s)) => items.extend(s.iter().map(|m| Item::new(m.to_vec()))),
        Some(Value::ZSet(z)) if native => {
            let n = (end - start + 1).max(0) as usize;
            let (lo, hi) = if o.desc {
                let hi = (len - start) as usize;
                (hi.saturating_sub(n), hi)
            } else {
                (start as usize, start as usize + n)
            };
            items.extend(
                z.range(lo, hi, o.desc)
                    .into_iter()
                    .map(|(m, _)| Item::new(m)),
            );
            end -= start;
            start = 0;
        }
        Some(Value::ZSet(z)) => items.extend(z.all().into_iter().map(|(m, _)| Item::new(m))),
        _ => {}
    }

    if !o.dontsort {
        let mut bad_double = false;
        for it in items.iter_mut() {
            let by = match &o.by {
                Some(p) => match lookup_pattern(srv, db, p, &it.el) {
                    Some(v) => Some(v),
                    None => continue,
                },
                None => None,
            };
            if o.alpha {
                it.cmp = by;
            } else {
                match weight(by.as_deref().unwrap_or(&it.el)) {
                    Some(s) => it.score = s,
                    None => bad_double = true,
                }
            }
        }
        if bad_double {
            return c.reply.err(BAD_DOUBLE);
        }
        let (alpha, by_pattern, desc) = (o.alpha, o.by.is_some(), o.desc);
        items.sort_by(|a, b| {
            let ord = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.el.cmp(&b.el))
            } else if by_pattern {
                a.cmp.cmp(&b.cmp)
            } else {
                a.el.cmp(&b.el)
            };
            if desc { ord.reverse() } else { ord }
        });
    }

    let window: &[Item] = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    match o.store.take() {
        None => reply_window(srv, c, window, &o.gets),
        Some(dst) => store_window(srv, c, &dst, window, &o.gets),
    }
}

/// Answer the elements, or for each element its GET lookups (nil when
/// missing).
fn reply_window(srv: &mut Server, c: &mut Client, window: &[Item], gets: &[Bytes]) {
    let per = gets.len().max(1);
    c.reply.array_len(window.len() * per);
    for it in window {
        if gets.is_empty() {
            c.reply.bulk(&it.el);
        }
        for p in gets {
            match lookup_pattern(srv, c.db, p, &it.el) {
                Some(v) => c.reply.bulk(&v),
                None => c.reply.null(),
            }
        }
    }
}

/// STORE: replace `dst` with the result as a list (missing GET lookups
/// stored as empty strings), or delete it when the result is empty.
fn store_window(srv: &mut Server, c: &mut Client, dst: &[u8], window: &[Item], gets: &[Bytes]) {
    let mut list = List::with_options(
        srv.cfg.list_max_listpack_size as i64,
        srv.cfg.list_compress_depth as i64,
    );
    for it in window {
        if gets.is_empty() {
            list.push(&it.el, End::Tail);
        }
        for p in gets {
            let v = lookup_pattern(srv, c.db, p, &it.el).unwrap_or_default();
            list.push(&v, End::Tail);
        }
    }
    let n = list.len();
    let now = srv.now_ms;
    if n > 0 {
        let created = srv.dbs[c.db].set(dst, Value::List(Box::new(list)), false, now);
        srv.signal_modified_key(c.db, dst);
        if created {
            srv.notify(c, notify::NEW, "new", dst, c.db);
            blocking::signal_key_ready(srv, c.db, dst);
        }
        srv.notify(c, notify::LIST, "sortstore", dst, c.db);
        srv.dirty += n as u64;
    } else if srv.dbs[c.db].delete(dst) {
        srv.signal_modified_key(c.db, dst);
        srv.notify(c, notify::GENERIC, "del", dst, c.db);
        srv.dirty += 1;
    }
    c.reply.int(n as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_strtod() {
        assert_eq!(weight(b""), Some(0.0));
        assert_eq!(weight(b" 7"), Some(7.0));
        assert_eq!(weight(b"\t-1.5e1"), Some(-15.0));
        assert_eq!(weight(b"0x10"), Some(16.0));
        assert_eq!(weight(b"3\0junk"), Some(3.0));
        assert_eq!(weight(b"inf"), Some(f64::INFINITY));
        for bad in [&b"7 "[..], b" ", b"abc", b"nan", b"1e400", b"1.5x"] {
            assert_eq!(weight(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn patterns_name_keys_and_fields() {
        let k = |p: &'static [u8], e: &[u8]| pattern_key(p, e);
        assert_eq!(k(b"w_*", b"1"), Some((b"w_1".to_vec(), None)));
        assert_eq!(k(b"a*b*c", b"X"), Some((b"aXb*c".to_vec(), None)));
        assert_eq!(k(b"o_*->f", b"2"), Some((b"o_2".to_vec(), Some(&b"f"[..]))));
        assert_eq!(
            k(b"o_*x->f->g", b"2"),
            Some((b"o_2x".to_vec(), Some(&b"f->g"[..])))
        );
        // `->` with nothing after it is part of the key name.
        assert_eq!(k(b"o_*->", b"2"), Some((b"o_2->".to_vec(), None)));
        // `->` before the `*` is not a field.
        assert_eq!(k(b"a->b*", b"2"), Some((b"a->b2".to_vec(), None)));
        assert_eq!(k(b"nostar", b"2"), None);
    }

    #[test]
    fn store_key_is_the_last_store() {
        let v = |s: &str| -> Vec<Bytes> {
            s.split(' ')
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect()
        };
        assert_eq!(store_key_pos(&v("sort k")), None);
        assert_eq!(store_key_pos(&v("sort k store d")), Some(3));
        assert_eq!(store_key_pos(&v("sort k STORE a store b store c")), Some(7));
        assert_eq!(store_key_pos(&v("sort k limit store x y store")), None);
        assert_eq!(store_key_pos(&v("sort k get store by store")), None);
        assert_eq!(store_key_pos(&v("sort k store")), None);
    }
}
