//! MEMORY USAGE grows with the value and answers null for missing keys.

mod common;

use common::Server;

fn int_of(reply: &str) -> i64 {
    reply.trim_start_matches(':').trim_end().parse().unwrap()
}

#[test]
fn memory_usage_tracks_value_size() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "nokey"]), "$-1\r\n");
    c.cmd(&["SET", "small", "x"]);
    c.cmd(&["SET", "big", &"x".repeat(10_000)]);
    let small = int_of(&c.cmd(&["MEMORY", "USAGE", "small"]));
    let big = int_of(&c.cmd(&["MEMORY", "USAGE", "big", "SAMPLES", "0"]));
    assert!(small > 0 && small < 200, "small = {small}");
    assert!((10_000..11_000).contains(&big), "big = {big}");
    c.cmd(&["HSET", "h", "f", "v"]);
    assert!(int_of(&c.cmd(&["MEMORY", "USAGE", "h"])) > 64);
    assert_eq!(c.cmd(&["MEMORY", "PURGE"]), "+OK\r\n");
}
