//! maxmemory eviction: the policies choose their victims as Redis's do,
//! evictions are announced (INFO, keyspace events, the AOF), and memory
//! stays near the limit.

mod common;
use common::*;

fn used_memory(c: &mut Conn) -> i64 {
    info_field(c, "memory", "used_memory").parse().unwrap()
}

/// Set maxmemory to what is in use now plus `headroom` bytes.
fn limit_to(c: &mut Conn, headroom: i64, policy: &str) -> i64 {
    let limit = used_memory(c) + headroom;
    assert_eq!(
        c.cmd(&["config", "set", "maxmemory-policy", policy]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["config", "set", "maxmemory", &limit.to_string()]),
        "+OK\r\n"
    );
    limit
}

fn dbsize(c: &mut Conn) -> i64 {
    c.cmd(&["dbsize"]).trim()[1..].parse().unwrap()
}

#[test]
fn allkeys_policies_keep_memory_under_the_limit() {
    let s = Server::start(&["--latency-tracking", "no"]);
    let mut c = s.conn();
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        c.cmd(&["config", "set", "maxmemory", "0"]);
        c.cmd(&["flushall"]);
        // Warm the command paths so one-time allocations are not counted.
        c.cmd(&["set", "warm", "x"]);
        c.cmd(&["flushall"]);
        c.cmd(&["config", "resetstat"]);
        let limit = limit_to(&mut c, 64 * 1024, policy);
        for i in 0..3000 {
            let k = format!("{policy}:{i}");
            assert_eq!(c.cmd(&["set", &k, "some value"]), "+OK\r\n");
        }
        let used = used_memory(&mut c);
        assert!(used < limit + 4096, "{policy}: {used} over {limit}");
        let n = dbsize(&mut c);
        assert!(n > 100 && n < 3000, "{policy}: {n} keys left");
        let evicted: i64 = info_field(&mut c, "stats", "evicted_keys").parse().unwrap();
        assert_eq!(evicted, 3000 - n, "{policy}");
    }
}

#[test]
fn lru_evicts_the_idle_keys_first() {
    let s = Server::start(&["--latency-tracking", "no"]);
    let mut c = s.conn();
    c.cmd(&["debug", "set-active-expire", "0"]);
    for i in 0..200 {
        c.cmd(&["set", &format!("old:{i}"), "x"]);
    }
    // The old keys look idle for 100 s; the hot ones are fresh.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    for i in 0..200 {
        c.cmd(&["set", &format!("hot:{i}"), "x"]);
    }
    c.cmd(&["exists", "warm"]);
    c.cmd(&["config", "set", "maxmemory-samples", "10"]);
    let limit = used_memory(&mut c) - 8 * 1024;
    c.cmd(&["config", "set", "maxmemory-samples", "10"]);
    c.cmd(&["config", "set", "maxmemory-policy", "allkeys-lru"]);
    c.cmd(&["config", "set", "maxmemory", &limit.to_string()]);
    c.cmd(&["ping"]);
    let hot_left = (0..200)
        .filter(|i| c.cmd(&["exists", &format!("hot:{i}")]) == ":1\r\n")
        .count();
    let old_left = (0..200)
        .filter(|i| c.cmd(&["exists", &format!("old:{i}")]) == ":1\r\n")
        .count();
    assert!(old_left < 200, "nothing evicted");
    assert!(
        hot_left > old_left + 50,
        "hot {hot_left} vs old {old_left}: LRU should spare fresh keys"
    );
}

#[test]
fn volatile_policies_spare_persistent_keys_and_answer_oom() {
    let s = Server::start(&["--latency-tracking", "no"]);
    let mut c = s.conn();
    c.cmd(&["set", "warm", "x"]);
    c.cmd(&["setex", "warm2", "100", "x"]);
    c.cmd(&["flushall"]);
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        c.cmd(&["config", "set", "maxmemory", "0"]);
        c.cmd(&["flushall"]);
        for i in 0..100 {
            c.cmd(&["set", &format!("keep:{i}"), "x"]);
        }
        limit_to(&mut c, 32 * 1024, policy);
        for i in 0..2000 {
            c.cmd(&["setex", &format!("tmp:{i}"), "1000", "x"]);
        }
        for i in 0..100 {
            assert_eq!(
                c.cmd(&["exists", &format!("keep:{i}")]),
                ":1\r\n",
                "{policy}"
            );
        }
        // Only persistent keys left to add: nothing can be evicted.
        c.cmd(&["config", "set", "maxmemory", "1"]);
        c.cmd(&["ping"]);
        assert_eq!(
            c.cmd(&["set", "more", "x"]),
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n",
            "{policy}"
        );
        assert_eq!(c.cmd(&["get", "keep:1"]), "$1\r\nx\r\n");
    }
}

#[test]
fn evictions_are_announced() {
    let s = Server::start(&["--latency-tracking", "no"]);
    let mut c = s.conn();
    let mut sub = s.conn();
    c.cmd(&["config", "set", "notify-keyspace-events", "Ee"]);
    sub.cmd(&["subscribe", "__keyevent@0__:evicted"]);
    c.cmd(&["set", "victim", "x"]);
    c.cmd(&["config", "set", "maxmemory-policy", "allkeys-random"]);
    c.cmd(&["config", "set", "maxmemory", "1"]);
    c.cmd(&["ping"]);
    assert_eq!(dbsize(&mut c), 0);
    assert_eq!(
        read(&mut sub),
        "*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n$6\r\nvictim\r\n"
    );
    c.cmd(&["config", "set", "maxmemory", "0"]);
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "1");
    assert_eq!(c.cmd(&["config", "resetstat"]), "+OK\r\n");
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "0");
}

#[test]
fn noeviction_keeps_everything() {
    let s = Server::start(&["--latency-tracking", "no"]);
    let mut c = s.conn();
    c.cmd(&["set", "a", "1"]);
    c.cmd(&["config", "set", "maxmemory", "1"]);
    assert_eq!(
        c.cmd(&["incr", "a"]),
        "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    assert_eq!(c.cmd(&["get", "a"]), "$1\r\n1\r\n");
    assert_eq!(
        c.cmd(&["decr", "a"]),
        "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    assert_eq!(c.cmd(&["del", "a"]), ":1\r\n");
}
