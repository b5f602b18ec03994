//! Stream commands, black-box: blocking XREAD served by XADD (`$`, FIFO,
//! several keys, COUNT, RESP3, keys deleted or replaced before the data
//! comes, timeouts, MULTI), generated IDs, the keyspace events and dirty
//! counts of each write, and what the AOF records (generated IDs and
//! approximate trims in their exact form). Compared byte for byte with
//! redis-server when it is installed; generated IDs are made deterministic
//! by an XSETID far in the future.

mod common;

use common::{
    Server, aof_of_writes, dirty_deltas, read, scenario, send, server_pair, wait_blocked,
};

/// Let a command sent with `SEND` reach the server and block.
const PAUSE: (usize, &str, &str) = (0, "SLEEP 50", "");

#[test]
fn blocking_xread_served_by_xadd() {
    scenario(&[
        (0, "XADD s 1-1 a 1", "$3\r\n1-1\r\n"),
        // `$`: only entries added after the call.
        (1, "SEND XREAD BLOCK 0 STREAMS s $", ""),
        PAUSE,
        (2, "SEND XREAD BLOCK 0 STREAMS s 0-0", ""),
        (2, "READ", ""),
        (0, "XADD s 2-1 b 2", "$3\r\n2-1\r\n"),
        (
            1,
            "READ",
            "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
        ),
        // Two waiters on the same key, both served by one XADD.
        (1, "SEND XREAD BLOCK 0 STREAMS s $", ""),
        PAUSE,
        (2, "SEND XREAD BLOCK 0 COUNT 1 STREAMS s 2-1", ""),
        PAUSE,
        (0, "XADD s 3-1 c 3", ""),
        (1, "READ", ""),
        (2, "READ", ""),
        // Several keys: only the one that got data is in the reply.
        (0, "XADD t 1-1 x 1", ""),
        (1, "SEND XREAD BLOCK 0 STREAMS s t nokey $ $ $", ""),
        PAUSE,
        (0, "XADD nokey 5-5 k v", ""),
        (1, "READ", ""),
        // A transaction adding twice serves both entries.
        (1, "SEND XREAD BLOCK 0 STREAMS s $", ""),
        PAUSE,
        (0, "MULTI", "+OK\r\n"),
        (0, "XADD s 4-1 d 4", "+QUEUED\r\n"),
        (0, "XADD s 4-2 e 5", "+QUEUED\r\n"),
        (0, "EXEC", ""),
        (1, "READ", ""),
    ]);
}

#[test]
fn blocking_xread_keys_that_come_and_go() {
    scenario(&[
        (0, "XADD s 1-1 a 1", ""),
        (1, "SEND XREAD BLOCK 0 STREAMS s $", ""),
        PAUSE,
        // Added then deleted in one transaction: nothing to serve.
        (0, "MULTI", ""),
        (0, "XADD s 2-1 b 2", ""),
        (0, "DEL s", ""),
        (0, "EXEC", ""),
        // Replaced by another type: still waiting.
        (0, "MULTI", ""),
        (0, "XADD s 3-1 c 3", ""),
        (0, "DEL s", ""),
        (0, "LPUSH s x", ""),
        (0, "EXEC", ""),
        (0, "DEL s", ""),
        // A new stream with entries past the ID it waits for serves it.
        (0, "XADD s 0-5 d 4", ""),
        (0, "XADD s 1-2 e 5", ""),
        (1, "READ", ""),
        // A stream that ran dry (XDEL) but moved past the ID serves an
        // empty list only to a waiter, never at once.
        (0, "XDEL s 0-5 1-2", ""),
        (1, "XREAD STREAMS s 1-1", "*-1\r\n"),
        (1, "SEND XREAD BLOCK 0 STREAMS s 1-2", ""),
        PAUSE,
        (0, "XADD s 9-9 f 6", ""),
        (0, "XDEL s 9-9", ""),
        (1, "SLEEP 50", ""),
        (0, "XADD s 10-1 g 7", ""),
        (1, "READ", ""),
    ]);
}

#[test]
fn blocking_xread_streams_brought_into_place() {
    scenario(&[
        (0, "XADD s 5-1 a 1", ""),
        (0, "XADD other 9-1 b 2", ""),
        (1, "SEND XREAD BLOCK 0 STREAMS s $", ""),
        PAUSE,
        // Writes elsewhere, and XSETID (which signals nothing), serve
        // nobody.
        (0, "SET x 1", ""),
        (0, "XSETID s 7-0", ""),
        (0, "SET x 2", ""),
        (0, "XADD unrelated 1-1 a 1", ""),
        // A stream renamed into place with entries past the ID serves.
        (0, "RENAME other s", ""),
        (1, "READ", ""),
        (1, "SEND XREAD BLOCK 0 STREAMS s $", ""),
        PAUSE,
        (0, "XADD t 10-1 c 3", ""),
        (0, "COPY t s REPLACE", ""),
        (1, "READ", ""),
        // A copy whose entries are not past the ID does not.
        (1, "SEND XREAD BLOCK 0 STREAMS s 20-0", ""),
        PAUSE,
        (0, "COPY t s REPLACE", ""),
        (0, "XADD s 21-1 d 4", ""),
        (1, "READ", ""),
    ]);
}

#[test]
fn blocking_xread_timeouts_and_transactions() {
    scenario(&[
        (1, "XREAD BLOCK 20 STREAMS s $", "*-1\r\n"),
        (1, "XREAD BLOCK 20 STREAMS s 0", "*-1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "XREAD BLOCK 0 STREAMS s $", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n*-1\r\n"),
        (
            0,
            "EVAL \"return redis.call('xread','BLOCK','0','STREAMS','s','$')\" 0",
            "",
        ),
        (
            0,
            "EVAL \"return redis.pcall('XREAD','COUNT','1','STREAMS','s','0')\" 0",
            "",
        ),
        (1, "HELLO 3", "!"),
        (1, "XREAD BLOCK 20 STREAMS s $", "_\r\n"),
        (1, "SEND XREAD BLOCK 0 STREAMS s q $ $", ""),
        PAUSE,
        (0, "XADD q 1-1 a 1", ""),
        (1, "READ", ""),
        (1, "XREAD STREAMS s q 0 0", ""),
    ]);
}

#[test]
fn blocked_xread_default_count_is_1000() {
    let mut steps = vec![(0, "XADD s 1-1 a 1", "")];
    steps.push((1, "SEND XREAD BLOCK 0 STREAMS s 1-1", ""));
    steps.push(PAUSE);
    steps.push((0, "MULTI", ""));
    let adds: Vec<String> = (2..=1100).map(|i| format!("XADD s {i}-1 f v")).collect();
    for a in &adds {
        steps.push((0, Box::leak(a.clone().into_boxed_str()), ""));
    }
    steps.push((0, "EXEC", "!"));
    steps.push((1, "READ", ""));
    steps.push((1, "XREAD STREAMS s 1-1", "!"));
    scenario(&steps);
}

#[test]
fn blocked_clients_counted_and_unblocked() {
    let s = Server::start(&[]);
    let mut c0 = s.conn();
    let mut c1 = s.conn();
    send(&mut c1, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut c0, 1);
    c0.cmd(&["XADD", "s", "5-5", "f", "v"]);
    assert!(read(&mut c1).contains("5-5"));
    wait_blocked(&mut c0, 0);
    // CLIENT UNBLOCK: the timeout reply.
    let id = c1.cmd(&["CLIENT", "ID"]);
    let id = id.trim().trim_start_matches(':').to_string();
    send(&mut c1, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut c0, 1);
    assert_eq!(c0.cmd(&["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(read(&mut c1), "*-1\r\n");
}

#[test]
fn keyspace_events() {
    scenario(&[
        (0, "CONFIG SET notify-keyspace-events KEA", "+OK\r\n"),
        // (`new` is not part of A.)
        (1, "PSUBSCRIBE *", ""),
        (0, "XADD s 1-1 a 1", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "XADD s MAXLEN 1 2-1 a 1", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "XDEL s 2-1 5-5", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "XDEL s 2-1", ""),
        (0, "XADD s 3-1 a 1", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "XADD s 4-1 a 1", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "XTRIM s MAXLEN 1", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "XTRIM s MAXLEN 1", ""),
        (0, "XSETID s 10-1", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "XADD s NOMKSTREAM 11-1 a 1", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (0, "XADD t NOMKSTREAM 11-1 a 1", ""),
        (0, "SET done 1", ""),
        (1, "READ", ""),
        (1, "READ", ""),
    ]);
}

const WRITES: &[&[&str]] = &[
    &["CONFIG", "SET", "stream-node-max-entries", "3"],
    &["XADD", "s", "1-1", "a", "1"],
    &["XADD", "s", "1-*", "b", "2"],
    &["XADD", "s", "MAXLEN", "~", "1", "2-*", "c", "3"],
    &["XADD", "s", "3", "d", "4"],
    &["XADD", "s", "4", "e", "5", "f", "6"],
    &["XADD", "s", "MAXLEN", "~", "2", "5", "g", "7"],
    &["XADD", "s", "MAXLEN", "=", "4", "6", "h", "8"],
    &["XSETID", "s", "99999999999999-5"],
    &["XADD", "s", "*", "i", "9"],
    &["XADD", "s", "99999999999999-*", "j", "10"],
    &["XADD", "s", "99999999999999-*", "j", "10"],
    &["XADD", "s", "1-1", "bad", "id"],
    &[
        "EVAL",
        "return redis.call('xadd', KEYS[1], 'MAXLEN', '~', '1', '*', 'x', 'y')",
        "1",
        "s",
    ],
    &[
        "XADD",
        "s",
        "MINID",
        "~",
        "99999999999999-7",
        "LIMIT",
        "3",
        "*",
        "k",
        "11",
    ],
    &["XADD", "s", "MINID", "~", "0", "LIMIT", "3", "*", "k", "11"],
    &["XTRIM", "s", "MAXLEN", "~", "1"],
    &["XTRIM", "s", "MAXLEN", "~", "1000"],
    &[
        "XTRIM",
        "s",
        "MINID",
        "~",
        "99999999999999-9",
        "LIMIT",
        "100",
    ],
    &["XTRIM", "s", "MINID", "99999999999999-9"],
    &["XTRIM", "s", "MAXLEN", "0"],
    &["XADD", "nomk", "NOMKSTREAM", "*", "a", "1"],
    &["XADD", "t", "1-1", "a", "1", "b", "2"],
    &["XADD", "t", "2-1", "a", "1", "b", "2"],
    &["XADD", "t", "3-1", "a", "1", "b", "2"],
    &["XADD", "t", "4-1", "a", "1", "b", "2"],
    &["XTRIM", "t", "MINID", "~", "9-9"],
    &["XDEL", "t", "1-1", "9-9"],
    &["XDEL", "t", "1-1"],
    &["XDEL", "t", "2-1", "3-1", "4-1"],
    &["XDEL", "t", "x"],
    &[
        "XSETID",
        "t",
        "10-10",
        "ENTRIESADDED",
        "20",
        "MAXDELETEDID",
        "9-9",
    ],
    &["XSETID", "t", "1-0"],
    &["XREAD", "STREAMS", "s", "t", "0", "0"],
    &["XRANGE", "s", "-", "+"],
    &["XLEN", "s"],
];

#[test]
fn dirty_counter_moves_as_in_redis() {
    let Some((ours, theirs)) = server_pair(&[]) else {
        return;
    };
    let a = dirty_deltas(&mut ours.conn(), WRITES);
    let b = dirty_deltas(&mut theirs.conn(), WRITES);
    assert_eq!(a, b);
}

#[test]
fn aof_records_the_effective_form() {
    let Some((a, b)) = aof_of_writes(WRITES) else {
        return;
    };
    assert!(a.contains("99999999999999-6"), "{a}");
    assert!(a.contains("MAXLEN\r\n$1\r\n=\r\n"), "{a}");
    assert_eq!(a, b);
}
