//! Black-box tests of the list commands, including the blocking ones with
//! several connections (served by another client's push, FIFO order of
//! waiters, timeouts, disconnect while blocked, CLIENT UNBLOCK).

mod common;

use std::time::{Duration, Instant};

use common::{Server, dirty, read, send, wait_blocked};

#[test]
fn push_pop_and_reads() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["RPUSH", "l", "a", "b", "c"]), ":3\r\n");
    assert_eq!(c.cmd(&["LPUSH", "l", "z"]), ":4\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        "*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "l"]), "$9\r\nquicklist\r\n");
    assert_eq!(c.cmd(&["TYPE", "l"]), "+list\r\n");
    assert_eq!(c.cmd(&["LPOP", "l"]), "$1\r\nz\r\n");
    assert_eq!(c.cmd(&["RPOP", "l", "2"]), "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
    assert_eq!(c.cmd(&["LPOP", "l", "0"]), "*0\r\n");
    assert_eq!(c.cmd(&["LPOP", "l"]), "$1\r\na\r\n");
    assert_eq!(c.cmd(&["EXISTS", "l"]), ":0\r\n");
    assert_eq!(c.cmd(&["LPOP", "l"]), "$-1\r\n");
    assert_eq!(c.cmd(&["LPOP", "l", "1"]), "*-1\r\n");
    assert_eq!(
        c.cmd(&["LPOP", "l", "-1"]),
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(c.cmd(&["LPUSHX", "l", "a"]), ":0\r\n");
    c.cmd(&["SET", "s", "x"]);
    assert!(c.cmd(&["LPUSH", "s", "a"]).starts_with("-WRONGTYPE"));
    assert!(c.cmd(&["LLEN", "s"]).starts_with("-WRONGTYPE"));
    // RESP3 nulls.
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["LPOP", "l"]), "_\r\n");
    assert_eq!(c.cmd(&["LPOP", "l", "2"]), "_\r\n");
    assert_eq!(c.cmd(&["LMPOP", "1", "l", "LEFT"]), "_\r\n");
}

#[test]
fn edits_and_search() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["RPUSH", "l", "a", "b", "a", "c", "a"]);
    assert_eq!(c.cmd(&["LINSERT", "l", "AFTER", "b", "x"]), ":6\r\n");
    assert_eq!(c.cmd(&["LINSERT", "l", "BEFORE", "nope", "x"]), ":-1\r\n");
    assert_eq!(c.cmd(&["LSET", "l", "-1", "A"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["LSET", "l", "9", "A"]),
        "-ERR index out of range\r\n"
    );
    assert_eq!(c.cmd(&["LSET", "nx", "0", "A"]), "-ERR no such key\r\n");
    assert_eq!(c.cmd(&["LINDEX", "l", "2"]), "$1\r\nx\r\n");
    assert_eq!(
        c.cmd(&["LPOS", "l", "a", "COUNT", "0"]),
        "*2\r\n:0\r\n:3\r\n"
    );
    assert_eq!(c.cmd(&["LPOS", "l", "a", "RANK", "-1"]), ":3\r\n");
    assert_eq!(c.cmd(&["LREM", "l", "0", "a"]), ":2\r\n");
    assert_eq!(c.cmd(&["LTRIM", "l", "1", "-1"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        "*3\r\n$1\r\nx\r\n$1\r\nc\r\n$1\r\nA\r\n"
    );
    assert_eq!(c.cmd(&["LMOVE", "l", "d", "LEFT", "RIGHT"]), "$1\r\nx\r\n");
    assert_eq!(c.cmd(&["RPOPLPUSH", "l", "d"]), "$1\r\nA\r\n");
    assert_eq!(
        c.cmd(&["LMPOP", "2", "nx", "d", "RIGHT", "COUNT", "5"]),
        "*2\r\n$1\r\nd\r\n*2\r\n$1\r\nx\r\n$1\r\nA\r\n"
    );
    // Many nodes at a small node size.
    c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "3"]);
    let nums: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let mut args = vec!["RPUSH", "big"];
    args.extend(nums.iter().map(|s| s.as_str()));
    assert_eq!(c.cmd(&args), ":100\r\n");
    assert_eq!(c.cmd(&["LINDEX", "big", "57"]), "$2\r\n57\r\n");
    assert_eq!(c.cmd(&["LPOS", "big", "99"]), ":99\r\n");
    assert_eq!(c.cmd(&["LTRIM", "big", "10", "19"]), "+OK\r\n");
    assert_eq!(c.cmd(&["LLEN", "big"]), ":10\r\n");
    assert_eq!(c.cmd(&["LINDEX", "big", "0"]), "$2\r\n10\r\n");
}

#[test]
fn blpop_served_by_another_client_fifo() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    let mut b = s.conn();
    let mut w = s.conn();
    send(&mut a, &["BLPOP", "k1", "k2", "0"]);
    wait_blocked(&mut w, 1);
    send(&mut b, &["BRPOP", "k2", "0"]);
    wait_blocked(&mut w, 2);
    assert!(w.cmd(&["CLIENT", "LIST"]).contains("flags=b"));
    assert_eq!(w.cmd(&["RPUSH", "k2", "x", "y", "z"]), ":3\r\n");
    // The first waiter is served first.
    assert_eq!(read(&mut a), "*2\r\n$2\r\nk2\r\n$1\r\nx\r\n");
    assert_eq!(read(&mut b), "*2\r\n$2\r\nk2\r\n$1\r\nz\r\n");
    assert_eq!(w.cmd(&["LRANGE", "k2", "0", "-1"]), "*1\r\n$1\r\ny\r\n");
    assert!(
        w.cmd(&["INFO", "clients"])
            .contains("blocked_clients:0\r\n")
    );
    // A blocked client's pipeline waits, then resumes.
    send(&mut a, &["BLPOP", "q", "0"]);
    send(&mut a, &["PING"]);
    wait_blocked(&mut w, 1);
    w.cmd(&["LPUSH", "q", "v"]);
    assert_eq!(read(&mut a), "*2\r\n$1\r\nq\r\n$1\r\nv\r\n");
    assert_eq!(read(&mut a), "+PONG\r\n");
    // BLMOVE into a key another client waits on.
    send(&mut a, &["BLMOVE", "src", "mid", "LEFT", "LEFT", "0"]);
    wait_blocked(&mut w, 1);
    send(&mut b, &["BLPOP", "mid", "0"]);
    wait_blocked(&mut w, 2);
    w.cmd(&["RPUSH", "src", "m"]);
    assert_eq!(read(&mut a), "$1\r\nm\r\n");
    assert_eq!(read(&mut b), "*2\r\n$3\r\nmid\r\n$1\r\nm\r\n");
    assert_eq!(w.cmd(&["EXISTS", "src", "mid"]), ":0\r\n");
    // BLMPOP with a count.
    send(&mut a, &["BLMPOP", "0", "1", "mp", "RIGHT", "COUNT", "2"]);
    wait_blocked(&mut w, 1);
    w.cmd(&["RPUSH", "mp", "1", "2", "3"]);
    assert_eq!(
        read(&mut a),
        "*2\r\n$2\r\nmp\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
    // A key moved into place serves waiters too.
    send(&mut a, &["BLPOP", "target", "0"]);
    wait_blocked(&mut w, 1);
    w.cmd(&["RPUSH", "tmp", "hello"]);
    w.cmd(&["RENAME", "tmp", "target"]);
    assert_eq!(read(&mut a), "*2\r\n$6\r\ntarget\r\n$5\r\nhello\r\n");
}

#[test]
fn timeouts_disconnect_and_unblock() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    let mut w = s.conn();
    let t = Instant::now();
    assert_eq!(a.cmd(&["BLPOP", "none", "0.1"]), "*-1\r\n");
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(95) && took < Duration::from_millis(400));
    assert_eq!(a.cmd(&["BRPOPLPUSH", "none", "x", "0.05"]), "*-1\r\n");
    assert_eq!(
        a.cmd(&["BLPOP", "none", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        a.cmd(&["BLPOP", "none", "x"]),
        "-ERR timeout is not a float or out of range\r\n"
    );
    a.cmd(&["HELLO", "3"]);
    assert_eq!(a.cmd(&["BLMPOP", "0.05", "1", "none", "LEFT"]), "_\r\n");
    a.cmd(&["HELLO", "2"]);
    // Disconnect while blocked.
    {
        let mut d = s.conn();
        send(&mut d, &["BLPOP", "dk", "0"]);
        wait_blocked(&mut w, 1);
    }
    wait_blocked(&mut w, 0);
    assert_eq!(w.cmd(&["RPUSH", "dk", "1"]), ":1\r\n");
    assert_eq!(w.cmd(&["LLEN", "dk"]), ":1\r\n");
    // CLIENT UNBLOCK, with the timeout reply and with an error.
    let id = a.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim();
    send(&mut a, &["BLPOP", "zz", "0"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.cmd(&["CLIENT", "UNBLOCK", id]), ":1\r\n");
    assert_eq!(read(&mut a), "*-1\r\n");
    send(&mut a, &["BLPOP", "zz", "0"]);
    wait_blocked(&mut w, 1);
    assert_eq!(w.cmd(&["CLIENT", "UNBLOCK", id, "ERROR"]), ":1\r\n");
    assert_eq!(
        read(&mut a),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(w.cmd(&["CLIENT", "UNBLOCK", id]), ":0\r\n");
    assert_eq!(
        w.cmd(&["CLIENT", "UNBLOCK", id, "FOO"]),
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    // WRONGTYPE destination when served: the element stays in the source.
    w.cmd(&["SET", "t", "str"]);
    send(&mut a, &["BRPOPLPUSH", "bl", "t", "0"]);
    wait_blocked(&mut w, 1);
    w.cmd(&["RPUSH", "bl", "a", "b"]);
    assert!(read(&mut a).starts_with("-WRONGTYPE"));
    assert_eq!(w.cmd(&["LLEN", "bl"]), ":2\r\n");
}

#[test]
fn dirty_counts_like_redis() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let d0 = dirty(&mut c);
    c.cmd(&["RPUSH", "l", "1", "2", "3", "4", "5", "6"]);
    assert_eq!(dirty(&mut c) - d0, 6);
    c.cmd(&["LTRIM", "l", "1", "-2"]);
    assert_eq!(dirty(&mut c) - d0, 8);
    c.cmd(&["LPOP", "l", "2"]);
    assert_eq!(dirty(&mut c) - d0, 10);
    c.cmd(&["LMOVE", "l", "m", "LEFT", "LEFT"]);
    assert_eq!(dirty(&mut c) - d0, 11);
}
