//! Key-space notifications, black-box: `notify-keyspace-events` parsing and
//! canonical CONFIG GET form, and the events every command publishes (names,
//! order, keyspace and keyevent channels, `new`, `expired` lazy and active,
//! `keymiss`). Each scenario is compared byte for byte with redis-server
//! when it is installed.

mod common;

use common::scenario;

/// Read `n` messages on the subscriber (connection 1).
fn reads(n: usize) -> Vec<(usize, &'static str, &'static str)> {
    vec![(1, "READ", ""); n]
}

#[test]
fn config_flags() {
    let mut steps = vec![(0, "CONFIG GET notify-keyspace-events", "")];
    for (set, want) in [
        ("gKE", "gKE"),
        ("$lshzxeKE", "$lshzxeKE"),
        ("KA", "AK"),
        ("EA", "AE"),
        ("Kx", "xK"),
        ("nEm", "nEm"),
        ("tdK", "tdK"),
        ("", ""),
    ] {
        let _ = want;
        steps.push((
            0,
            Box::leak(format!("CONFIG SET notify-keyspace-events \"{set}\"").into_boxed_str()),
            "+OK\r\n",
        ));
        steps.push((0, "CONFIG GET notify-keyspace-events", ""));
    }
    steps.push((0, "CONFIG SET notify-keyspace-events Kq", ""));
    steps.push((0, "CONFIG SET notify-keyspace-events A B", ""));
    steps.push((0, "CONFIG GET notify-keyspace-events", ""));
    scenario(&steps);
}

#[test]
fn string_and_generic_events() {
    let mut steps = vec![
        (0, "CONFIG SET notify-keyspace-events KEA", "+OK\r\n"),
        (1, "PSUBSCRIBE *", ""),
        (0, "SET foo bar", "+OK\r\n"),
        (
            1,
            "READ",
            "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$18\r\n__keyspace@0__:foo\r\n$3\r\nset\r\n",
        ),
        (
            1,
            "READ",
            "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$18\r\n__keyevent@0__:set\r\n$3\r\nfoo\r\n",
        ),
        (0, "SET foo bar EX 100", ""),
    ];
    steps.extend(reads(4));
    for (cmd, n) in [
        ("SETEX k 100 v", 4),
        ("PSETEX k 100000 v", 4),
        ("SETNX k v", 0),
        ("SETNX k2 v", 2),
        ("SET k v NX", 0),
        ("SET k v XX KEEPTTL", 2),
        ("GETSET k w", 2),
        ("MSET a 1 b 2", 4),
        ("MSETNX a 1 c 3", 0),
        ("MSETNX c 1 d 3", 4),
        ("APPEND a x", 2),
        ("SETRANGE a 5 y", 2),
        ("SETRANGE a 0 \"\"", 0),
        ("INCR n", 2),
        ("DECR n", 2),
        ("INCRBY n 5", 2),
        ("DECRBY n 5", 2),
        ("INCRBYFLOAT n 1.5", 2),
        ("INCR foo", 0),
        ("SETBIT bits 7 1", 2),
        ("SETBIT bits 7 1", 0),
        ("EXPIRE a 100", 2),
        ("EXPIRE a 100 NX", 0),
        ("PEXPIRE a 100000", 2),
        ("PERSIST a", 2),
        ("PERSIST a", 0),
        ("EXPIREAT b 1", 2),
        ("GETEX c EX 100", 2),
        ("GETEX c PERSIST", 2),
        ("GETEX c", 0),
        ("GETEX c PXAT 1", 2),
        ("GETDEL d", 2),
        ("GETDEL d", 0),
        ("DEL foo k nokey k2", 6),
        ("RENAME a a2", 4),
        ("RENAMENX a2 n", 0),
        ("MOVE a2 3", 4),
        ("COPY n ncopy", 2),
        ("COPY n ncopy DB 2", 2),
        ("COPY n ncopy", 0),
        ("COPY n ncopy REPLACE", 2),
        ("FLUSHDB", 0),
        ("PUBLISH end end", 1),
    ] {
        steps.push((0, cmd, ""));
        steps.extend(reads(n));
    }
    scenario(&steps);
}

#[test]
fn new_key_and_masks() {
    let mut steps = vec![
        (0, "CONFIG SET notify-keyspace-events En", "+OK\r\n"),
        (1, "PSUBSCRIBE *", ""),
        (0, "SET foo bar", "+OK\r\n"),
        (0, "SET foo baz", "+OK\r\n"),
        (0, "SET bar bar", "+OK\r\n"),
        (0, "APPEND new1 x", ""),
        (0, "INCR new2", ""),
        (0, "SETBIT new3 1 1", ""),
        (0, "SETRANGE new4 1 x", ""),
        (0, "INCRBYFLOAT new5 1", ""),
        (0, "MSET new6 1 foo 2", ""),
        (0, "RENAME new6 new7", ""),
        (0, "COPY new7 new8", ""),
    ];
    steps.extend(reads(10));
    steps.extend([
        // only keyspace, only string events
        (0, "CONFIG SET notify-keyspace-events K$", "+OK\r\n"),
        (0, "EXPIRE foo 100", ":1\r\n"),
        (0, "DEL foo", ":1\r\n"),
        (0, "SET foo 1", "+OK\r\n"),
        (1, "READ", ""),
        // keymiss
        (0, "CONFIG SET notify-keyspace-events Em", "+OK\r\n"),
        (0, "GET nokey", "$-1\r\n"),
        (0, "GET foo", ""),
        (1, "READ", ""),
        (0, "CONFIG SET notify-keyspace-events \"\"", "+OK\r\n"),
        (0, "SET x 1", "+OK\r\n"),
        (0, "PUBLISH end end", ":1\r\n"),
        (1, "READ", ""),
    ]);
    scenario(&steps);
}

#[test]
fn expired_events() {
    let mut steps = vec![
        (0, "CONFIG SET notify-keyspace-events KEx$g", "+OK\r\n"),
        (0, "DEBUG SET-ACTIVE-EXPIRE 0", "+OK\r\n"),
        (1, "PSUBSCRIBE *", ""),
        (0, "SET foo 1 PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
    ];
    steps.extend(reads(4));
    // lazy: expired comes before the command's own events
    steps.extend([(0, "SET foo 2", "+OK\r\n")]);
    steps.extend(reads(4));
    steps.extend([
        (0, "SET bar 1 PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "GET bar", "$-1\r\n"),
    ]);
    steps.extend(reads(6));
    steps.extend([
        (0, "SET baz 1 PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "INCR baz", ":1\r\n"),
    ]);
    steps.extend(reads(8));
    // active expiry, no command touching the key
    steps.extend([
        (0, "DEBUG SET-ACTIVE-EXPIRE 1", "+OK\r\n"),
        (0, "SET act 1 PX 20", "+OK\r\n"),
    ]);
    steps.extend(reads(4));
    steps.extend([
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "PUBLISH end end", ":1\r\n"),
        (1, "READ", ""),
    ]);
    scenario(&steps);
}

#[test]
fn resp3_self_notifications_come_before_the_reply() {
    scenario(&[
        (0, "CONFIG SET notify-keyspace-events E$", "+OK\r\n"),
        (0, "HELLO 3", "!"),
        (
            0,
            "SUBSCRIBE __keyevent@0__:incrbyfloat",
            ">3\r\n$9\r\nsubscribe\r\n$26\r\n__keyevent@0__:incrbyfloat\r\n:1\r\n",
        ),
        (
            0,
            "INCRBYFLOAT x 1.5",
            ">3\r\n$7\r\nmessage\r\n$26\r\n__keyevent@0__:incrbyfloat\r\n$1\r\nx\r\n",
        ),
        (0, "READ", "$3\r\n1.5\r\n"),
    ]);
}

#[test]
fn hash_and_set_events() {
    // Every event of these commands, in order, compared with redis-server.
    let mut steps = vec![
        (0, "CONFIG SET notify-keyspace-events KEAn", "+OK\r\n"),
        (1, "PSUBSCRIBE *", ""),
        (0, "HSET h a 1 b 2", ":2\r\n"),
    ];
    steps.extend(reads(4)); // new, hset on both channels
    for cmd in [
        "HSETNX h a 9",
        "HSETNX h c 3",
        "HINCRBY h a 5",
        "HINCRBYFLOAT h b 0.5",
        "HDEL h a nosuch",
        "HDEL h b c",
    ] {
        steps.push((0, cmd, ""));
    }
    steps.extend(reads(12));
    for cmd in [
        "SADD s 1 2 3",
        "SADD s 3",
        "SREM s 1",
        "SMOVE s t 2",
        "SPOP s",
        "SADD u x y z",
        "SADD a 1 2",
        "SADD b 2 3",
        "SINTERSTORE d a b",
        "SUNIONSTORE d a b",
        "SDIFFSTORE d a a",
    ] {
        steps.push((0, cmd, ""));
    }
    // Random members: run them, but do not compare the replies.
    steps.insert(steps.len() - 5, (0, "SPOP u 5", "!"));
    steps.insert(steps.len() - 6, (0, "SPOP u 1", "!"));
    steps.extend(reads(42));
    steps.push((0, "PING", "+PONG\r\n"));
    scenario(&steps);
}

#[test]
fn list_events() {
    let mut steps = vec![
        (0, "CONFIG SET notify-keyspace-events KEAn", "+OK\r\n"),
        (1, "PSUBSCRIBE *", ""),
    ];
    for cmd in [
        "LPUSH l a b",
        "RPUSH l c",
        "LPOP l",
        "RPOP l 1",
        "LSET l 0 z",
        "LINSERT l BEFORE z y",
        "LREM l 0 y",
        "LREM l 0 nosuch",
        "LTRIM l 0 0",
        "LMOVE l m LEFT RIGHT",
        "RPUSH q 1 2",
        "BLPOP q 0",
        "RPOPLPUSH q q2",
        "LPUSHX nosuch a",
    ] {
        steps.push((0, cmd, ""));
    }
    steps.extend(reads(40));
    steps.push((0, "PING", "+PONG\r\n"));
    scenario(&steps);
}
