//! Output buffer limits, black-box: a client whose pending replies pass
//! the hard limit of its class is closed without receiving anything, a
//! transaction still runs to the end, Pub/Sub subscribers that do not read
//! are dropped, and CLIENT LIST's omem follows the pending output.

mod common;

use common::{Conn, Server};

fn big_list(c: &mut Conn, key: &str, n: usize) {
    let item = "x".repeat(1000);
    for _ in 0..n {
        c.cmd(&["RPUSH", key, &item]);
    }
}

#[test]
fn hard_limit_closes_without_reply() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    big_list(&mut a, "l", 150);
    assert_eq!(
        a.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 100000 0 0"
        ]),
        "+OK\r\n"
    );
    let mut b = s.conn();
    b.send_raw(b"*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n");
    assert!(b.is_closed());
    // A reply under the limit is fine.
    let mut d = s.conn();
    assert!(d.cmd(&["LRANGE", "l", "0", "9"]).starts_with("*10\r\n"));
}

#[test]
fn transaction_runs_to_the_end() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    big_list(&mut a, "l", 150);
    a.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 100000 0 0",
    ]);
    let mut b = s.conn();
    assert_eq!(b.cmd(&["MULTI"]), "+OK\r\n");
    b.cmd(&["LRANGE", "l", "0", "-1"]);
    b.cmd(&["SET", "after", "1"]);
    b.send_raw(b"*1\r\n$4\r\nEXEC\r\n");
    assert!(b.is_closed());
    assert_eq!(a.cmd(&["GET", "after"]), "$1\r\n1\r\n");
}

#[test]
fn slow_subscriber_is_dropped() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    a.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 100000 0 0",
    ]);
    let mut sub = s.conn();
    sub.cmd(&["CLIENT", "SETNAME", "slow"]);
    sub.cmd(&["SUBSCRIBE", "ch"]);
    let msg = "m".repeat(10_000);
    let mut gone = false;
    for _ in 0..10_000 {
        a.cmd(&["PUBLISH", "ch", &msg]);
        if !a.cmd(&["CLIENT", "LIST"]).contains("name=slow") {
            gone = true;
            break;
        }
    }
    assert!(gone, "the subscriber that never reads was not dropped");
    assert_eq!(a.cmd(&["PING"]), "+PONG\r\n");
}
