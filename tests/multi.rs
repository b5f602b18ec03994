//! Transactions, black-box and multi-connection: MULTI/EXEC/DISCARD, queue
//! time errors, WATCH touched by other clients, expiry, FLUSHDB/FLUSHALL,
//! SWAPDB, RESET and disconnection. Each scenario runs on cinnabar with the
//! expected replies checked, and also on redis-server 7.0.15 when it is
//! installed, every reply compared byte for byte.

mod common;

use common::{Server, scenario};

#[test]
fn basics_and_discard() {
    scenario(&[
        (0, "SET a 1", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "INCR a", "+QUEUED\r\n"),
        (0, "GET a", "+QUEUED\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*3\r\n:2\r\n$1\r\n2\r\n+PONG\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "DEL a", "+QUEUED\r\n"),
        (0, "DISCARD", "+OK\r\n"),
        (0, "GET a", "$1\r\n2\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
        (0, "EXEC", "-ERR EXEC without MULTI\r\n"),
        (0, "DISCARD", "-ERR DISCARD without MULTI\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "MULTI", "-ERR MULTI calls can not be nested\r\n"),
        (0, "WATCH x", "-ERR WATCH inside MULTI is not allowed\r\n"),
        (0, "SET x 1", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+OK\r\n"),
        (0, "INFO commandstats", "!"),
    ]);
}

#[test]
fn queue_errors_abort_and_runtime_errors_do_not() {
    scenario(&[
        (0, "MULTI", "+OK\r\n"),
        (0, "SET foo1 bar1", "+QUEUED\r\n"),
        (0, "NOSUCHCOMMAND", ""),
        (
            0,
            "GET",
            "-ERR wrong number of arguments for 'get' command\r\n",
        ),
        (0, "SET foo2 bar2", "+QUEUED\r\n"),
        (
            0,
            "EXEC",
            "-EXECABORT Transaction discarded because of previous errors.\r\n",
        ),
        (0, "EXISTS foo1 foo2", ":0\r\n"),
        (0, "PING", "+PONG\r\n"),
        (0, "SET s hello", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "INCR s", "+QUEUED\r\n"),
        (0, "SET t 1", "+QUEUED\r\n"),
        (0, "SETRANGE s -1 x", "+QUEUED\r\n"),
        (0, "EXEC", ""),
        (0, "GET t", "$1\r\n1\r\n"),
        (0, "INFO errorstats", "!"),
        (0, "HELLO 3", ""),
        (0, "MULTI", "+OK\r\n"),
        (0, "GET t", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n$1\r\n1\r\n"),
    ]);
}

#[test]
fn watch_touched_by_other_clients() {
    scenario(&[
        // not modified
        (0, "WATCH x y z", "+OK\r\n"),
        (0, "WATCH k", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+PONG\r\n"),
        // modified by another client
        (0, "SET x 30", "+OK\r\n"),
        (0, "WATCH a b x", "+OK\r\n"),
        (1, "SET x 40", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // after a failed EXEC nothing is watched
        (1, "SET x 50", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+PONG\r\n"),
        // created by another client
        (0, "WATCH newkey", "+OK\r\n"),
        (1, "INCR newkey", ":1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // UNWATCH clears
        (0, "WATCH x", "+OK\r\n"),
        (0, "SET x 40", "+OK\r\n"),
        (0, "CLIENT INFO", "!"),
        (0, "UNWATCH", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+PONG\r\n"),
        // EXPIRE, APPEND, SETRANGE, DEL, RENAME, SETBIT touch
        (0, "SET x foo", "+OK\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "EXPIRE x 10", ":1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "RENAME x y", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "SETBIT x 3 1", ":0\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // a no-op write (SETBIT to the same value) does not touch
        (0, "WATCH x", "+OK\r\n"),
        (1, "SETBIT x 3 1", ":1\r\n"),
        (1, "DEL nokey", ":0\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
        // the DB a key belongs to
        (0, "SELECT 5", "+OK\r\n"),
        (0, "SET x 30", "+OK\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "SET x 10", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+PONG\r\n"),
        // MOVE touches source and destination
        (0, "DEL x", ":1\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "MOVE x 5", ":1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // RESP3 null
        (0, "HELLO 3", ""),
        (0, "WATCH x", "+OK\r\n"),
        (1, "SELECT 5", "+OK\r\n"),
        (1, "DEL x", ":1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "_\r\n"),
    ]);
}

#[test]
fn discard_clears_dirty_and_watches() {
    scenario(&[
        (0, "WATCH x", "+OK\r\n"),
        (0, "SET x 10", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "DISCARD", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "INCR x", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n:11\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "DISCARD", "+OK\r\n"),
        (1, "SET x 10", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "INCR x", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n:11\r\n"),
        // RESET leaves MULTI and forgets watches
        (0, "WATCH x", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "SET x 1", "+QUEUED\r\n"),
        (0, "RESET", "+RESET\r\n"),
        (0, "GET x", "$2\r\n11\r\n"),
        (1, "SET x 12", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
    ]);
}

#[test]
fn flush_and_swapdb_touch_watched_keys() {
    scenario(&[
        (0, "SET x 30", "+OK\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "FLUSHALL", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "FLUSHALL", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
        (0, "SET x 30", "+OK\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "FLUSHDB", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (0, "FLUSHDB", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
        // SWAPDB: a watched key that exists goes away
        (0, "SET x 30", "+OK\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (1, "SWAPDB 0 1", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // ... and one that does not exist appears
        (0, "WATCH x", "+OK\r\n"),
        (1, "SWAPDB 0 1", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // stale keys: expired when watched, then swapped away
        (0, "FLUSHALL", "+OK\r\n"),
        (0, "DEBUG SET-ACTIVE-EXPIRE 0", "+OK\r\n"),
        (0, "SET x foo PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "WATCH x", "+OK\r\n"),
        (0, "SWAPDB 0 1", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
        // a missing key replaced by a stale one
        (0, "FLUSHALL", "+OK\r\n"),
        (0, "SELECT 1", "+OK\r\n"),
        (0, "SET x foo PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "SELECT 0", "+OK\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (0, "SWAPDB 0 1", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
        // stale replaced by stale
        (0, "FLUSHALL", "+OK\r\n"),
        (0, "SET x foo PX 1", "+OK\r\n"),
        (0, "SELECT 1", "+OK\r\n"),
        (0, "SET x bar PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "WATCH x", "+OK\r\n"),
        (0, "SWAPDB 0 1", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
        // FLUSHDB of a stale watched key is no change
        (0, "SET x foo PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "WATCH x", "+OK\r\n"),
        (0, "FLUSHDB", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*0\r\n"),
        (0, "DEBUG SET-ACTIVE-EXPIRE 1", "+OK\r\n"),
    ]);
}

#[test]
fn expiry_of_watched_keys() {
    scenario(&[
        (0, "DEBUG SET-ACTIVE-EXPIRE 0", "+OK\r\n"),
        // alive when watched, expired at EXEC: fails
        (0, "SET key 1 PX 20", "+OK\r\n"),
        (0, "WATCH key", "+OK\r\n"),
        (0, "SLEEP 40", ""),
        (0, "MULTI", "+OK\r\n"),
        (0, "INCR key", "+QUEUED\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // alive when watched, lazily deleted by another client: fails
        (0, "SET key 1 PX 20", "+OK\r\n"),
        (0, "WATCH key", "+OK\r\n"),
        (0, "SLEEP 40", ""),
        (1, "GET key", "$-1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // stale when watched: no change
        (0, "SET x foo PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "WATCH x", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+PONG\r\n"),
        // stale when watched, then deleted by lazy expiry: no change
        (0, "SET x foo PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "WATCH x", "+OK\r\n"),
        (0, "EXISTS x", ":0\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+PONG\r\n"),
        // ... but created again afterwards: touched
        (0, "SET x foo PX 1", "+OK\r\n"),
        (0, "SLEEP 5", ""),
        (0, "WATCH x", "+OK\r\n"),
        (0, "EXISTS x", ":0\r\n"),
        (1, "SET x bar", "+OK\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "EXEC", "*-1\r\n"),
        // active expiry deletes a watched key: touched
        (0, "DEBUG SET-ACTIVE-EXPIRE 1", "+OK\r\n"),
        (0, "FLUSHALL", "+OK\r\n"),
        (0, "SET x foo PX 30", "+OK\r\n"),
        (0, "WATCH x", "+OK\r\n"),
        (0, "SLEEP 400", ""),
        (1, "DBSIZE", ":0\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*-1\r\n"),
    ]);
}

#[test]
fn client_list_fields() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    assert!(a.cmd(&["CLIENT", "INFO"]).contains(" multi=-1 "));
    a.cmd(&["WATCH", "k"]);
    a.cmd(&["MULTI"]);
    a.cmd(&["SET", "k", "v"]);
    a.cmd(&["GET", "k"]);
    let mut b = s.conn();
    b.cmd(&["SET", "k", "x"]);
    let list = b.cmd(&["CLIENT", "LIST"]);
    let line = list.lines().find(|l| l.contains("cmd=get")).unwrap();
    assert!(line.contains(" flags=xd "), "{line}");
    assert!(line.contains(" multi=2 "), "{line}");
    // queued commands are no longer kept once the transaction is doomed
    a.cmd(&["GET", "k"]);
    let list = b.cmd(&["CLIENT", "LIST"]);
    assert!(list.contains(" multi=2 "), "{list}");
    assert_eq!(a.cmd(&["EXEC"]), "*-1\r\n");
    assert!(a.cmd(&["CLIENT", "INFO"]).contains(" flags=N "));
    // a client that disconnects forgets its watches
    a.cmd(&["WATCH", "k"]);
    drop(a);
    std::thread::sleep(std::time::Duration::from_millis(50));
    b.cmd(&["SET", "k", "y"]);
    assert_eq!(b.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn watch_is_touched_by_hash_and_set_writes() {
    scenario(&[
        (0, "HSET h f v", ":1\r\n"),
        (0, "SADD s 1", ":1\r\n"),
        (0, "WATCH h", "+OK\r\n"),
        (1, "HSET h f w", ":0\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*-1\r\n"),
        (0, "WATCH s", "+OK\r\n"),
        (1, "SREM s 1", ":1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*-1\r\n"),
        (0, "WATCH h", "+OK\r\n"),
        (1, "HGET h f", "$1\r\nw\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+PONG\r\n"),
    ]);
}

#[test]
fn watch_is_touched_by_list_writes_and_blocking_pops_do_not_block_in_exec() {
    scenario(&[
        (0, "RPUSH l a", ":1\r\n"),
        (0, "WATCH l", "+OK\r\n"),
        (1, "LPUSH l b", ":2\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "PING", "+QUEUED\r\n"),
        (0, "EXEC", "*-1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "BLPOP nosuch 0", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n*-1\r\n"),
    ]);
}
