//! Black-box tests of the sorted-set commands against the real binary: ZADD
//! options and their conflicts, reads and ranges in both encodings (the
//! listpack → skiplist conversion at the configured thresholds, changed at
//! run time), pops, the set algebra, ZRANDMEMBER shapes and membership,
//! a full ZSCAN of a skiplist, keyspace commands on sorted sets, RESP3
//! shapes and the dirty counter.

mod common;

use std::collections::HashSet;

use common::{Server, dirty};

fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn arr(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&bulk(i));
    }
    s
}

const NULL: &str = "$-1\r\n";
const OK: &str = "+OK\r\n";
const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// Bulk strings of a flat array reply, in order.
fn bulks(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = raw.split("\r\n");
    while let Some(l) = lines.next() {
        if l.starts_with('$') && l != "$-1" {
            out.push(lines.next().unwrap().to_string());
        }
    }
    out
}

#[test]
fn zadd_options_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["ZADD", "z", "1", "a", "2", "b"]), int(2));
    assert_eq!(c.cmd(&["ZADD", "z", "CH", "3", "a", "4", "c"]), int(2));
    assert_eq!(c.cmd(&["ZADD", "z", "NX", "9", "a"]), int(0));
    assert_eq!(c.cmd(&["ZADD", "z", "XX", "9", "zz"]), int(0));
    assert_eq!(c.cmd(&["ZADD", "z", "GT", "CH", "1", "a"]), int(0));
    assert_eq!(c.cmd(&["ZADD", "z", "LT", "CH", "1", "a"]), int(1));
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "2.5", "a"]), bulk("3.5"));
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "NX", "2.5", "a"]), NULL);
    assert_eq!(
        c.cmd(&["ZADD", "z", "NX", "XX", "1", "a"]),
        "-ERR XX and NX options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["ZADD", "z", "GT", "LT", "1", "a"]),
        "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "-ERR INCR option supports a single increment-element pair\r\n"
    );
    assert_eq!(
        c.cmd(&["ZADD", "z", "1", "a", "2"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["ZADD", "z", "nan", "a"]),
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(c.cmd(&["ZADD", "i", "inf", "a"]), int(1));
    assert_eq!(
        c.cmd(&["ZINCRBY", "i", "-inf", "a"]),
        "-ERR resulting score is not a number (NaN)\r\n"
    );
    assert_eq!(c.cmd(&["ZSCORE", "i", "a"]), bulk("inf"));
    assert_eq!(c.cmd(&["ZINCRBY", "z", "1", "b"]), bulk("3"));
    assert_eq!(c.cmd(&["TYPE", "z"]), "+zset\r\n");
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), bulk("listpack"));
    c.cmd(&["SET", "s", "x"]);
    assert_eq!(c.cmd(&["ZADD", "s", "1", "a"]), WRONGTYPE);
    assert_eq!(c.cmd(&["ZRANGE", "s", "0", "1"]), WRONGTYPE);
    // XX on a missing key creates nothing.
    assert_eq!(c.cmd(&["ZADD", "nk", "XX", "1", "a"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "nk"]), int(0));
}

#[test]
fn reads_and_ranges_in_both_encodings() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for (key, entries) in [("lp", "128"), ("sl", "1")] {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", entries]),
            OK
        );
        c.cmd(&[
            "ZADD", key, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ]);
        let enc = if key == "lp" { "listpack" } else { "skiplist" };
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", key]), bulk(enc));
        assert_eq!(c.cmd(&["ZCARD", key]), int(5));
        assert_eq!(c.cmd(&["ZRANK", key, "c"]), int(2));
        assert_eq!(c.cmd(&["ZREVRANK", key, "c"]), int(2));
        assert_eq!(c.cmd(&["ZRANK", key, "x"]), NULL);
        assert_eq!(c.cmd(&["ZCOUNT", key, "(1", "4"]), int(3));
        assert_eq!(c.cmd(&["ZRANGE", key, "1", "2"]), arr(&["b", "c"]));
        assert_eq!(
            c.cmd(&["ZRANGE", key, "0", "1", "REV", "WITHSCORES"]),
            arr(&["e", "5", "d", "4"])
        );
        assert_eq!(
            c.cmd(&["ZRANGEBYSCORE", key, "-inf", "+inf", "LIMIT", "1", "2"]),
            arr(&["b", "c"])
        );
        assert_eq!(
            c.cmd(&["ZREVRANGEBYSCORE", key, "(5", "2", "LIMIT", "1", "-1"]),
            arr(&["c", "b"])
        );
        assert_eq!(
            c.cmd(&["ZMSCORE", key, "a", "x"]),
            format!("*2\r\n{}{}", bulk("1"), NULL)
        );
        assert_eq!(
            c.cmd(&["ZRANGE", key, "x", "y", "BYSCORE"]),
            "-ERR min or max is not a float\r\n"
        );
        assert_eq!(
            c.cmd(&["ZRANGE", key, "0", "1", "LIMIT", "0", "1"]),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"
        );
    }
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
    c.cmd(&["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"]);
    assert_eq!(c.cmd(&["ZLEXCOUNT", "lex", "(a", "[c"]), int(2));
    assert_eq!(
        c.cmd(&["ZRANGEBYLEX", "lex", "[b", "+"]),
        arr(&["b", "c", "d"])
    );
    assert_eq!(
        c.cmd(&["ZREVRANGEBYLEX", "lex", "+", "(b"]),
        arr(&["d", "c"])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYLEX", "lex", "b", "+"]),
        "-ERR min or max not valid string range item\r\n"
    );
}

#[test]
fn conversion_thresholds() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "3"]);
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-value", "4"]);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), bulk("listpack"));
    c.cmd(&["ZADD", "z", "4", "d"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
    c.cmd(&["ZADD", "v", "1", "abcd"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "v"]), bulk("listpack"));
    c.cmd(&["ZADD", "v", "1", "abcde"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "v"]), bulk("skiplist"));
    // A store result small enough goes back to a listpack.
    c.cmd(&["ZREM", "z", "d"]);
    assert_eq!(c.cmd(&["ZUNIONSTORE", "u", "1", "z"]), int(3));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "u"]), bulk("listpack"));
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "zset-max-ziplist-entries"]),
        arr(&["zset-max-ziplist-entries", "3"])
    );
    // COPY is deep.
    assert_eq!(c.cmd(&["COPY", "z", "z2"]), int(1));
    c.cmd(&["ZADD", "z2", "9", "x"]);
    assert_eq!(c.cmd(&["ZCARD", "z"]), int(3));
    assert_eq!(c.cmd(&["ZCARD", "z2"]), int(4));
    assert_eq!(
        c.cmd(&["SCAN", "0", "TYPE", "zset", "COUNT", "100"])
            .matches("$")
            .count(),
        4 + 1
    );
}

#[test]
fn removals_pops_and_dirty() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let d0 = dirty(&mut c);
    c.cmd(&[
        "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    assert_eq!(dirty(&mut c), d0 + 5);
    assert_eq!(c.cmd(&["ZREM", "z", "a", "x"]), int(1));
    assert_eq!(dirty(&mut c), d0 + 6);
    assert_eq!(c.cmd(&["ZPOPMIN", "z"]), arr(&["b", "2"]));
    assert_eq!(c.cmd(&["ZPOPMAX", "z", "2"]), arr(&["e", "5", "d", "4"]));
    assert_eq!(dirty(&mut c), d0 + 9);
    assert_eq!(
        c.cmd(&["ZPOPMIN", "z", "-1"]),
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(
        c.cmd(&["ZMPOP", "2", "nope", "z", "MIN", "COUNT", "5"]),
        format!("*2\r\n{}*1\r\n{}", bulk("z"), arr(&["c", "3"]))
    );
    assert_eq!(c.cmd(&["EXISTS", "z"]), int(0));
    assert_eq!(c.cmd(&["ZMPOP", "1", "z", "MIN"]), "*-1\r\n");
    c.cmd(&["ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "r", "0", "1"]), int(2));
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", "r", "(3", "+inf"]), int(1));
    assert_eq!(c.cmd(&["ZREMRANGEBYLEX", "r", "-", "+"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "r"]), int(0));
}

#[test]
fn set_algebra_and_store() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["ZADD", "a", "1", "x", "2", "y", "3", "z"]);
    c.cmd(&["ZADD", "b", "10", "y", "20", "z", "30", "w"]);
    assert_eq!(
        c.cmd(&["ZUNION", "2", "a", "b", "WITHSCORES"]),
        arr(&["x", "1", "y", "12", "z", "23", "w", "30"])
    );
    assert_eq!(
        c.cmd(&["ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"]),
        arr(&["y", "10", "z", "20"])
    );
    assert_eq!(c.cmd(&["ZDIFF", "2", "a", "b"]), arr(&["x"]));
    assert_eq!(c.cmd(&["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]), int(1));
    assert_eq!(
        c.cmd(&["ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "1"]),
        int(2)
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        arr(&["y", "14", "z", "26"])
    );
    assert_eq!(c.cmd(&["ZDIFFSTORE", "d", "2", "a", "a"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    assert_eq!(
        c.cmd(&["ZUNION", "0", "a"]),
        "-ERR at least 1 input key is needed for 'zunion' command\r\n"
    );
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "a", "1", "-1"]), int(2));
    assert_eq!(c.cmd(&["ZRANGE", "d", "0", "-1"]), arr(&["y", "z"]));
}

#[test]
fn resp3_shapes() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["ZADD", "z", "1", "a", "2.5", "b"]);
    assert_eq!(c.cmd(&["ZSCORE", "z", "b"]), ",2.5\r\n");
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    );
    assert_eq!(c.cmd(&["ZPOPMIN", "z"]), "*2\r\n$1\r\na\r\n,1\r\n");
    assert_eq!(
        c.cmd(&["ZPOPMIN", "z", "1"]),
        "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "b"]), "_\r\n");
}

#[test]
fn zrandmember_and_zscan() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "16"]);
    let mut args = vec!["ZADD".to_string(), "z".to_string()];
    for i in 0..200 {
        args.push(i.to_string());
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(c.cmd(&refs), int(200));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
    let all: HashSet<String> = (0..200).map(|i| format!("m{i}")).collect();
    let got = bulks(&c.cmd(&["ZRANDMEMBER", "z", "50"]));
    assert_eq!(got.len(), 50);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 50);
    assert!(got.iter().all(|m| all.contains(m)));
    let got = bulks(&c.cmd(&["ZRANDMEMBER", "z", "-300"]));
    assert_eq!(got.len(), 300);
    let got = bulks(&c.cmd(&["ZRANDMEMBER", "z", "3", "WITHSCORES"]));
    for p in got.chunks(2) {
        assert_eq!(p[0], format!("m{}", p[1]));
    }
    // Full ZSCAN: every member at least once, with its score.
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    loop {
        let r = c.cmd(&["ZSCAN", "z", &cursor, "COUNT", "7"]);
        let b = bulks(&r);
        cursor = b[0].clone();
        for p in b[1..].chunks(2) {
            assert_eq!(p[0], format!("m{}", p[1]));
            seen.insert(p[0].clone());
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, all);
    // Ranks on the skiplist.
    assert_eq!(c.cmd(&["ZRANK", "z", "m150"]), int(150));
    assert_eq!(c.cmd(&["ZREVRANK", "z", "m150"]), int(49));
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "100", "101"]),
        arr(&["m100", "m101"])
    );
}

#[test]
fn keyspace_events() {
    // Every event of these commands, in order, compared with redis-server.
    let mut steps = vec![
        (0, "CONFIG SET notify-keyspace-events KEAn", OK),
        (1, "PSUBSCRIBE *", ""),
    ];
    for cmd in [
        "ZADD z 1 a 2 b",
        "ZADD z 1 a",
        "ZINCRBY z 1 a",
        "ZADD z NX 5 c",
        "ZREM z a nosuch",
        "ZREMRANGEBYSCORE z 0 0",
        "ZREMRANGEBYRANK z 0 0",
        "ZPOPMIN z",
        "ZADD y 1 a 2 b 3 c",
        "ZREMRANGEBYLEX y [a [a",
        "ZUNIONSTORE d 1 y",
        "ZINTERSTORE d 1 y",
        "ZDIFFSTORE d 2 y y",
        "ZRANGESTORE d y 0 0",
        "ZMPOP 1 y MAX COUNT 5",
    ] {
        steps.push((0, cmd, ""));
    }
    steps.extend(vec![(1, "READ", ""); 38]);
    steps.push((0, "PING", "+PONG\r\n"));
    common::scenario(&steps);
}

#[test]
fn watch_is_invalidated_by_zset_writes() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    let mut b = s.conn();
    a.cmd(&["ZADD", "z", "1", "a"]);
    for w in [
        vec!["ZADD", "z", "2", "b"],
        vec!["ZINCRBY", "z", "1", "a"],
        vec!["ZREM", "z", "b"],
        vec!["ZPOPMIN", "z"],
        vec!["ZUNIONSTORE", "z", "1", "other"],
    ] {
        a.cmd(&["ZADD", "z", "1", "a"]);
        assert_eq!(a.cmd(&["WATCH", "z"]), OK);
        b.cmd(&w);
        assert_eq!(a.cmd(&["MULTI"]), OK);
        a.cmd(&["PING"]);
        assert_eq!(a.cmd(&["EXEC"]), "*-1\r\n", "{w:?}");
    }
}

#[test]
fn plain_sets_as_inputs() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SADD", "s", "a", "b"]);
    c.cmd(&["ZADD", "z", "5", "b", "6", "c"]);
    assert_eq!(
        c.cmd(&["ZUNION", "2", "s", "z", "WITHSCORES"]),
        arr(&["a", "1", "b", "6", "c", "6"])
    );
    assert_eq!(c.cmd(&["ZINTERCARD", "2", "s", "z"]), int(1));
    assert_eq!(c.cmd(&["ZDIFF", "2", "s", "z"]), arr(&["a"]));
}

/// (command, how much it adds to the dirty counter), as t_zset.c counts.
const DIRTY_STEPS: &[(&[&str], i64)] = &[
    (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], 3),
    (&["ZADD", "z", "1", "a"], 0),
    (&["ZADD", "z", "5", "a", "6", "d"], 2),
    (&["ZADD", "z", "NX", "9", "a"], 0),
    (&["ZADD", "z", "XX", "9", "zz"], 0),
    (&["ZADD", "z", "GT", "1", "a"], 0),
    (&["ZADD", "z", "INCR", "0", "a"], 0),
    (&["ZADD", "z", "x", "a"], 0),
    (&["ZINCRBY", "z", "1", "a"], 1),
    (&["ZREM", "z", "a", "nosuch"], 1),
    (&["ZREM", "z", "nosuch"], 0),
    (&["ZREMRANGEBYSCORE", "z", "100", "200"], 0),
    (&["ZREMRANGEBYRANK", "z", "0", "0"], 1),
    (&["ZPOPMIN", "z", "2"], 2),
    (&["ZPOPMIN", "z"], 0),
    (&["ZADD", "y", "1", "a", "2", "b", "0", "c"], 3),
    (&["ZUNIONSTORE", "d", "1", "y"], 1),
    (&["ZINTERSTORE", "d", "2", "y", "nokey"], 1),
    (&["ZINTERSTORE", "d", "2", "y", "nokey"], 0),
    (&["ZRANGESTORE", "d", "y", "0", "0"], 1),
    (&["ZDIFFSTORE", "d", "2", "y", "y"], 1),
    (&["ZREMRANGEBYLEX", "y", "-", "+"], 3),
    (&["ZMPOP", "1", "y", "MIN"], 0),
];

fn dirty_deltas(bin: &str) -> Vec<i64> {
    let s = Server::start_bin(bin, &[]);
    let mut c = s.conn();
    let steps: Vec<&[&str]> = DIRTY_STEPS.iter().map(|(args, _)| *args).collect();
    common::dirty_deltas(&mut c, &steps)
}

#[test]
fn dirty_counts_as_redis() {
    let want: Vec<i64> = DIRTY_STEPS.iter().map(|s| s.1).collect();
    assert_eq!(dirty_deltas(&common::cinnabar_bin()), want);
    if let Some(bin) = common::redis_bin() {
        assert_eq!(dirty_deltas(&bin), want, "table vs redis-server");
    }
}
