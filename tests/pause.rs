//! CLIENT PAUSE / UNPAUSE: commands are delayed, not dropped; WRITE pauses
//! only writes; errors as Redis's.

mod common;

use common::scenario;

#[test]
fn pause_write_delays_writes_only() {
    scenario(&[
        (0, "CLIENT PAUSE 100000 WRITE", "+OK\r\n"),
        (1, "SEND SET a 1", ""),
        (2, "GET a", "$-1\r\n"),
        (2, "SLEEP 50", ""),
        (0, "CLIENT UNPAUSE", "+OK\r\n"),
        (1, "READ", "+OK\r\n"),
        (2, "GET a", "$1\r\n1\r\n"),
    ]);
}

#[test]
fn pause_all_ends_at_its_timeout() {
    scenario(&[
        (0, "CLIENT PAUSE 300 ALL", "+OK\r\n"),
        (1, "SEND GET a", ""),
        (2, "SEND PING", ""),
        (2, "SLEEP 500", ""),
        (1, "READ", "$-1\r\n"),
        (2, "READ", "+PONG\r\n"),
    ]);
}

#[test]
fn pause_write_holds_exec_of_a_write_transaction() {
    scenario(&[
        (1, "MULTI", "+OK\r\n"),
        (1, "INCR n", "+QUEUED\r\n"),
        (0, "CLIENT PAUSE 300 WRITE", "+OK\r\n"),
        (1, "SEND EXEC", ""),
        (2, "GET n", "$-1\r\n"),
        (2, "SLEEP 500", ""),
        (1, "READ", "*1\r\n:1\r\n"),
    ]);
}

#[test]
fn pause_errors_match_redis() {
    scenario(&[
        (0, "CLIENT PAUSE", ""),
        (0, "CLIENT PAUSE abc", ""),
        (0, "CLIENT PAUSE -1", ""),
        (0, "CLIENT PAUSE 10 READ", ""),
        (0, "CLIENT PAUSE abc READ", ""),
        (0, "CLIENT PAUSE 10 WRITE extra", ""),
        (0, "CLIENT PAUSE 0", ""),
        (0, "CLIENT UNPAUSE", ""),
        (0, "CLIENT UNPAUSE x", ""),
        (0, "CLIENT NO-TOUCH on", ""),
        (0, "PING", ""),
    ]);
}

#[test]
fn pause_holds_key_expiry() {
    // An expired key reads as gone but is not deleted while paused (no DEL
    // may reach the AOF or replicas); it goes once the pause is over.
    scenario(&[
        (0, "SET k v PX 20", "+OK\r\n"),
        (0, "CLIENT PAUSE 100000 WRITE", "+OK\r\n"),
        (0, "SLEEP 200", ""),
        (0, "GET k", "$-1\r\n"),
        (0, "EXISTS k", ":0\r\n"),
        (0, "DBSIZE", ":1\r\n"),
        (0, "CLIENT UNPAUSE", "+OK\r\n"),
        (0, "GET k", "$-1\r\n"),
        (0, "DBSIZE", ":0\r\n"),
    ]);
}
