//! SORT and SORT_RO, black-box: STORE waking a client blocked on the
//! destination (also from inside MULTI), its keyspace events and dirty
//! counter, and the reply shapes the differential file cannot hold (sets in
//! hash order are compared as sorted). Scenarios are compared byte for byte
//! with redis-server when it is installed.

mod common;

use common::{Server, scenario};

/// Let a command sent with `SEND` reach the server and block.
const PAUSE: (usize, &str, &str) = (0, "SLEEP 50", "");

#[test]
fn store_wakes_blocked_clients() {
    scenario(&[
        (1, "SEND BLPOP foo 5", ""),
        PAUSE,
        (
            0,
            "LPUSH notfoo hello hola aguacate konichiwa zanzibar",
            ":5\r\n",
        ),
        (0, "SORT notfoo ALPHA STORE foo", ":5\r\n"),
        (1, "READ", "*2\r\n$3\r\nfoo\r\n$8\r\naguacate\r\n"),
        (0, "LRANGE foo 0 -1", ""),
        (1, "SEND BLMPOP 0 1 bar RIGHT COUNT 2", ""),
        PAUSE,
        (0, "MULTI", "+OK\r\n"),
        (
            0,
            "SORT notfoo ALPHA DESC LIMIT 0 3 STORE bar",
            "+QUEUED\r\n",
        ),
        (0, "EXEC", ""),
        (1, "READ", ""),
        (0, "LRANGE bar 0 -1", ""),
    ]);
}

#[test]
fn store_events() {
    let mut steps = vec![
        (0, "CONFIG SET notify-keyspace-events KEAn", "+OK\r\n"),
        (0, "RPUSH src 3 1 2", ":3\r\n"),
        (1, "PSUBSCRIBE __keyevent@0__:*", ""),
        (0, "SORT src STORE dst", ":3\r\n"),
    ];
    // new, sortstore.
    steps.extend(vec![(1, "READ", ""); 2]);
    steps.push((0, "SORT src STORE dst", ":3\r\n"));
    steps.push((1, "READ", ""));
    // An empty result deletes the destination: del.
    steps.push((0, "SORT src LIMIT 0 0 STORE dst", ":0\r\n"));
    steps.push((1, "READ", ""));
    steps.push((0, "SORT src LIMIT 0 0 STORE dst", ":0\r\n"));
    steps.push((0, "SET marker 1", "+OK\r\n"));
    steps.push((1, "READ", ""));
    steps.push((1, "READ", ""));
    scenario(&steps);
}

fn dirty_deltas(bin: &str) -> Vec<i64> {
    let s = Server::start_bin(bin, &[]);
    let mut c = s.conn();
    c.cmd(&["RPUSH", "l", "3", "1", "2", "4"]);
    let steps: &[&[&str]] = &[
        &["SORT", "l", "STORE", "d"],
        &["SORT", "l", "LIMIT", "0", "2", "STORE", "d"],
        &["SORT", "l", "GET", "#", "GET", "x_*", "STORE", "d"],
        &["SORT", "l", "LIMIT", "0", "0", "STORE", "d"],
        &["SORT", "l", "LIMIT", "0", "0", "STORE", "d"],
        &["SORT", "l"],
        &["SORT_RO", "l"],
    ];
    common::dirty_deltas(&mut c, steps)
}

#[test]
fn store_dirty_counts_as_redis() {
    let want = vec![4, 2, 8, 1, 0, 0, 0];
    assert_eq!(dirty_deltas(&common::cinnabar_bin()), want);
    if let Some(bin) = common::redis_bin() {
        assert_eq!(dirty_deltas(&bin), want, "table vs redis-server");
    }
}

#[test]
fn hashtable_sets_sorted_and_stored() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SADD", "s", "pear", "apple", "fig", "kiwi", "banana"]);
    assert_eq!(
        c.cmd(&["SORT", "s", "ALPHA", "LIMIT", "1", "3"]),
        "*3\r\n$6\r\nbanana\r\n$3\r\nfig\r\n$4\r\nkiwi\r\n"
    );
    // BY a constant with STORE still sorts (ALPHA) a set.
    assert_eq!(
        c.cmd(&["SORT", "s", "BY", "nosort", "STORE", "d"]),
        ":5\r\n"
    );
    assert_eq!(
        c.cmd(&["LRANGE", "d", "0", "-1"]),
        "*5\r\n$5\r\napple\r\n$6\r\nbanana\r\n$3\r\nfig\r\n$4\r\nkiwi\r\n$4\r\npear\r\n"
    );
    // Without STORE the order is the set's own: the members, once each.
    let r = c.cmd(&["SORT", "s", "BY", "nosort"]);
    assert!(r.starts_with("*5\r\n"));
    for m in ["pear", "apple", "fig", "kiwi", "banana"] {
        assert!(r.contains(&format!("\r\n{m}\r\n")), "{r}");
    }
    // A sorted set sorted is converted to a skiplist, as in Redis.
    c.cmd(&["ZADD", "z", "1", "b", "2", "a"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), "$8\r\nlistpack\r\n");
    c.cmd(&["SORT_RO", "z", "ALPHA"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), "$8\r\nskiplist\r\n");
}
