//! HyperLogLog beyond single replies (those are in tests/diff/hyperloglog.txt):
//! HLLs built by redis-server DUMP and RESTORE into cinnabar with the same
//! bytes and counts and the other way round, the dirty counter, what the
//! AOF records (PFCOUNT refreshing the cached cardinality included) and
//! the key-space events — compared with redis-server 7.0.15 when installed.

mod common;

use common::{Conn, aof_of_writes, assert_dirty_like_redis, scenario, server_pair};

/// Fill `key` with `n` elements named `prefix{i}`, in batches.
fn fill(c: &mut Conn, key: &str, prefix: &str, n: usize) {
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    for chunk in names.chunks(200) {
        let mut args = vec!["PFADD", key];
        args.extend(chunk.iter().map(String::as_str));
        c.cmd(&args);
    }
}

/// The raw DUMP payload reply of `key`.
fn dump(c: &mut Conn, key: &str) -> Vec<u8> {
    let raw = c.cmd_raw(&[b"DUMP", key.as_bytes()]);
    let start = raw.iter().position(|&b| b == b'\n').unwrap() + 1;
    raw[start..raw.len() - 2].to_vec()
}

/// Move `key` from `from` to `to` with DUMP / RESTORE, then check both
/// servers hold the same bytes and count the same, before and after more
/// elements are added on both sides.
fn carry(from: &mut Conn, to: &mut Conn, key: &str) {
    let payload = dump(from, key);
    let r = to.cmd_raw(&[b"RESTORE", key.as_bytes(), b"0", &payload, b"REPLACE"]);
    assert_eq!(r, b"+OK\r\n");
    for step in 0..2 {
        assert_eq!(
            from.cmd_raw(&[b"GET", key.as_bytes()]),
            to.cmd_raw(&[b"GET", key.as_bytes()]),
            "{key} step {step}"
        );
        assert_eq!(from.cmd(&["PFCOUNT", key]), to.cmd(&["PFCOUNT", key]));
        assert_eq!(
            from.cmd(&["PFDEBUG", "ENCODING", key]),
            to.cmd(&["PFDEBUG", "ENCODING", key])
        );
        fill(from, key, "more", 300);
        fill(to, key, "more", 300);
    }
}

#[test]
fn dump_restore_both_ways() {
    let Some((ours, theirs)) = server_pair(&[]) else {
        return;
    };
    let (mut a, mut b) = (ours.conn(), theirs.conn());
    for (key, n) in [
        ("empty", 0),
        ("small", 20),
        ("sparse", 400),
        ("dense", 20000),
    ] {
        fill(&mut b, key, key, n);
        if n == 0 {
            b.cmd(&["PFADD", key]);
        }
        carry(&mut b, &mut a, key);
        let other = format!("{key}-back");
        fill(&mut a, &other, key, n + 1);
        carry(&mut a, &mut b, &other);
    }
    // Unions over HLLs built on either side agree.
    let keys = ["PFCOUNT", "empty", "small", "sparse", "dense", "dense-back"];
    assert_eq!(a.cmd(&keys), b.cmd(&keys));
}

const WRITES: &[&[&str]] = &[
    &["PFADD", "h"],
    &["PFADD", "h", "a", "b", "c"],
    &["PFADD", "h", "a"],
    &["PFCOUNT", "h"],
    &["PFCOUNT", "h"],
    &["PFADD", "h", "d"],
    &["PFCOUNT", "h", "nokey"],
    &["PFCOUNT", "nokey"],
    &["PFMERGE", "m", "h"],
    &["PFMERGE", "m"],
    &["PFDEBUG", "TODENSE", "m"],
    &["PFDEBUG", "TODENSE", "m"],
    &["PFDEBUG", "GETREG", "h"],
    &["PFADD", "h", "e"],
    &["PFCOUNT", "h"],
    &["SET", "s", "foo"],
    &["PFADD", "s", "x"],
    &["PFMERGE", "s", "h"],
];

#[test]
fn dirty_counter_moves_as_in_redis() {
    assert_dirty_like_redis(WRITES);
}

#[test]
fn aof_records_what_redis_records() {
    let Some((a, b)) = aof_of_writes(WRITES) else {
        return;
    };
    assert!(a.contains("PFCOUNT"));
    assert_eq!(a, b);
}

#[test]
fn keyspace_events() {
    scenario(&[
        (0, "CONFIG SET notify-keyspace-events KEAn", "+OK\r\n"),
        (1, "PSUBSCRIBE __key*__:*", ""),
        (0, "PFADD h a", ":1\r\n"),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "PFADD h a", ":0\r\n"),
        (0, "PFCOUNT h", ":1\r\n"),
        (0, "PFMERGE m h", "+OK\r\n"),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "PFADD h b", ":1\r\n"),
        (1, "READ", ""),
        (1, "READ", ""),
    ]);
}
