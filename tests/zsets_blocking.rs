//! The blocking sorted-set pops (BZPOPMIN, BZPOPMAX, BZMPOP) with several
//! connections: served by another client's ZADD in FIFO order, COUNT
//! across waiters, MULTI/EXEC seen as one change, keys that come and go
//! (or change type) before the waiter runs, timeouts, RESP3 shapes and the
//! keyspace events of a served pop. Each scenario is compared byte for byte
//! with redis-server when it is installed; CLIENT UNBLOCK (and its
//! command stats) and INFO's blocked_clients are checked on cinnabar alone
//! (client ids differ).

mod common;

use common::{Server, dirty, read, scenario, send, wait_blocked};

/// Let a command sent with `SEND` reach the server and block.
const PAUSE: (usize, &str, &str) = (0, "SLEEP 50", "");

#[test]
fn served_fifo_by_zadd() {
    scenario(&[
        (1, "SEND BZPOPMIN z 0", ""),
        PAUSE,
        (2, "SEND BZPOPMAX z 0", ""),
        PAUSE,
        (0, "ZADD z 1 a 2 b 3 c", ":3\r\n"),
        (1, "READ", "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (2, "READ", "*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (0, "ZRANGE z 0 -1 WITHSCORES", ""),
        // Several keys: the one that gets a sorted set serves.
        (1, "SEND BZPOPMIN k1 k2 k1 0", ""),
        PAUSE,
        (0, "ZADD k2 5 x", ":1\r\n"),
        (1, "READ", "*3\r\n$2\r\nk2\r\n$1\r\nx\r\n$1\r\n5\r\n"),
        (0, "EXISTS k2", ":0\r\n"),
    ]);
}

#[test]
fn bzmpop_count_across_waiters() {
    scenario(&[
        (1, "SEND BZMPOP 0 2 a b MIN COUNT 1", ""),
        PAUSE,
        (2, "SEND BZMPOP 0 2 a b MAX COUNT 10", ""),
        PAUSE,
        (0, "MULTI", "+OK\r\n"),
        (0, "ZADD a 1 x 2 y 3 z", "+QUEUED\r\n"),
        (0, "ZADD b 1 p", "+QUEUED\r\n"),
        (0, "EXEC", ""),
        (1, "READ", ""),
        (2, "READ", ""),
        (0, "EXISTS a", ":0\r\n"),
        (0, "ZRANGE b 0 -1", ""),
        // RESP3 shapes of a served BZMPOP and BZPOPMIN.
        (1, "HELLO 3", "!"),
        (1, "SEND BZMPOP 5 1 c MAX COUNT 2", ""),
        PAUSE,
        (0, "ZADD c 1 m 2 n 3 o", ":3\r\n"),
        (1, "READ", ""),
        (1, "SEND BZPOPMIN c 5", ""),
        PAUSE,
        (1, "READ", ""),
    ]);
}

#[test]
fn multi_and_key_changes_before_serving() {
    scenario(&[
        // MULTI/EXEC is one change: the first element of the final set.
        (1, "SEND BZPOPMIN z 0", ""),
        PAUSE,
        (0, "MULTI", ""),
        (0, "ZADD z 3 c", ""),
        (0, "ZADD z 1 a", ""),
        (0, "EXEC", ""),
        (1, "READ", "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"),
        // Added and deleted (or replaced by a string) in one transaction:
        // the waiter stays blocked until a later ZADD.
        (1, "SEND BZMPOP 0 1 y MIN", ""),
        PAUSE,
        (0, "MULTI", ""),
        (0, "ZADD y 0 foo", ""),
        (0, "DEL y", ""),
        (0, "SET y str", ""),
        (0, "EXEC", ""),
        (0, "DEL y", ":1\r\n"),
        (0, "ZADD y 1 bar", ":1\r\n"),
        (1, "READ", ""),
        // A key of another type does not serve.
        (1, "SEND BZPOPMAX w 0", ""),
        PAUSE,
        (0, "RPUSH w a", ":1\r\n"),
        (0, "DEL w", ":1\r\n"),
        (0, "ZADD w 2 two", ":1\r\n"),
        (1, "READ", ""),
        // Inside MULTI the blocking pops answer a null array at once.
        (0, "MULTI", ""),
        (0, "BZPOPMIN none 0", ""),
        (0, "BZMPOP 0 1 none MAX", ""),
        (0, "EXEC", ""),
    ]);
}

#[test]
fn timeouts_and_moved_keys() {
    scenario(&[
        (1, "BZPOPMIN none 0.05", "*-1\r\n"),
        (1, "BZMPOP 0.05 2 none none2 MIN COUNT 3", "*-1\r\n"),
        (1, "HELLO 3", "!"),
        (1, "BZPOPMAX none 0.05", "_\r\n"),
        (1, "BZMPOP 0.001 1 none MAX", "_\r\n"),
        (1, "HELLO 2", "!"),
        // A sorted set renamed into place serves the waiter.
        (1, "SEND BZPOPMIN dst 0", ""),
        PAUSE,
        (0, "ZADD src 1 a 2 b", ":2\r\n"),
        (0, "RENAME src dst", "+OK\r\n"),
        (1, "READ", "*3\r\n$3\r\ndst\r\n$1\r\na\r\n$1\r\n1\r\n"),
        // ZUNIONSTORE creating the key serves the waiter.
        (1, "SEND BZMPOP 0 1 u MAX COUNT 5", ""),
        PAUSE,
        (0, "ZUNIONSTORE u 1 dst", ":1\r\n"),
        (1, "READ", ""),
    ]);
}

#[test]
fn served_pop_keyspace_events() {
    let mut steps = vec![
        (0, "CONFIG SET notify-keyspace-events KEA", "+OK\r\n"),
        (2, "SEND BZPOPMIN ev 0", ""),
        PAUSE,
        (1, "PSUBSCRIBE __keyevent@0__:*", ""),
        (0, "ZADD ev 1 a", ":1\r\n"),
        (2, "READ", ""),
    ];
    // zadd, zpopmin, del (`new` is not in the A class).
    steps.extend(vec![(1, "READ", ""); 3]);
    steps.extend([
        (2, "SEND BZMPOP 0 1 ev2 MAX COUNT 2", ""),
        PAUSE,
        (0, "ZADD ev2 1 a 2 b 3 c", ":3\r\n"),
        (2, "READ", ""),
    ]);
    // zadd, zpopmax (one event for both elements).
    steps.extend(vec![(1, "READ", ""); 2]);
    steps.push((0, "ZCARD ev2", ":1\r\n"));
    scenario(&steps);
}

#[test]
fn client_unblock_blocked_clients_and_dirty() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    let mut w = s.conn();
    let id = a.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim().to_string();
    send(&mut a, &["BZPOPMIN", "zz", "0"]);
    wait_blocked(&mut w, 1);
    assert!(w.cmd(&["CLIENT", "LIST", "ID", &id]).contains("flags=b"));
    assert_eq!(w.cmd(&["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(read(&mut a), "*-1\r\n");
    wait_blocked(&mut w, 0);
    send(&mut a, &["BZMPOP", "0", "1", "zz", "MIN"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1\r\n");
    assert_eq!(
        read(&mut a),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    // Both unblocks count as failed calls of the blocked command, as in
    // Redis 7.0; the reply is an error only for the second.
    let stats = w.cmd(&["INFO", "commandstats"]);
    let line = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_bzpopmin:"))
        .unwrap();
    assert!(line.ends_with("failed_calls=1"), "{line}");
    let line = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_bzmpop:"))
        .unwrap();
    assert!(line.ends_with("failed_calls=1"), "{line}");
    // A served pop counts one change per element popped.
    send(&mut a, &["BZMPOP", "0", "1", "zz", "MIN", "COUNT", "2"]);
    wait_blocked(&mut w, 1);
    let d0 = dirty(&mut w);
    w.cmd(&["ZADD", "zz", "1", "a", "2", "b", "3", "c"]);
    assert_eq!(
        read(&mut a),
        "*2\r\n$2\r\nzz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(dirty(&mut w) - d0, 5);
    wait_blocked(&mut w, 0);
    // A client closed while blocked is forgotten.
    {
        let mut d = s.conn();
        send(&mut d, &["BZPOPMAX", "gone", "0"]);
        wait_blocked(&mut w, 1);
    }
    wait_blocked(&mut w, 0);
    assert_eq!(w.cmd(&["ZADD", "gone", "1", "a"]), ":1\r\n");
    assert_eq!(w.cmd(&["ZCARD", "gone"]), ":1\r\n");
}

#[test]
fn key_expired_before_serving_is_not_served() {
    scenario(&[
        (0, "DEBUG SET-ACTIVE-EXPIRE 0", "+OK\r\n"),
        (1, "SEND BZPOPMIN k 0", ""),
        PAUSE,
        (0, "MULTI", ""),
        (0, "ZADD k 1 old", ""),
        (0, "PEXPIRE k 100", ""),
        (0, "DEBUG SLEEP 0.2", ""),
        (0, "EXEC", ""),
        (0, "EXISTS k", ":0\r\n"),
        (0, "ZADD k 2 new", ":1\r\n"),
        (1, "READ", "*3\r\n$1\r\nk\r\n$3\r\nnew\r\n$1\r\n2\r\n"),
        (0, "DEBUG SET-ACTIVE-EXPIRE 1", "+OK\r\n"),
    ]);
}

#[test]
fn served_from_the_key_that_became_ready() {
    scenario(&[
        // Both keys filled in one transaction: the first one signalled
        // serves, not the first one named.
        (1, "SEND BZPOPMIN a b 0", ""),
        PAUSE,
        (0, "MULTI", ""),
        (0, "ZADD b 1 x", ""),
        (0, "ZADD a 1 y", ""),
        (0, "EXEC", ""),
        (1, "READ", "*3\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\n1\r\n"),
        // Another key of the wrong type does not get in the way.
        (1, "SEND BZMPOP 0 2 s t MAX", ""),
        PAUSE,
        (0, "SET s str", "+OK\r\n"),
        (0, "ZADD t 1 x", ":1\r\n"),
        (1, "READ", ""),
        (1, "SEND BLPOP s2 l 0", ""),
        PAUSE,
        (0, "SET s2 str", "+OK\r\n"),
        (0, "RPUSH l 1", ":1\r\n"),
        (1, "READ", "*2\r\n$1\r\nl\r\n$1\r\n1\r\n"),
    ]);
}

#[test]
fn keys_moved_into_place_inside_multi() {
    scenario(&[
        (1, "SEND BZPOPMIN dst 0", ""),
        PAUSE,
        (0, "MULTI", ""),
        (0, "ZADD src 1 a", ""),
        (0, "RENAME src dst", ""),
        (0, "EXEC", ""),
        (1, "READ", "*3\r\n$3\r\ndst\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (1, "SEND BLPOP ldst 0", ""),
        PAUSE,
        (0, "RPUSH lsrc x", ":1\r\n"),
        (0, "MULTI", ""),
        (0, "COPY lsrc ldst", ""),
        (0, "EXEC", ""),
        (1, "READ", "*2\r\n$4\r\nldst\r\n$1\r\nx\r\n"),
    ]);
}
