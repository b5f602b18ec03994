//! Black-box tests of the generic keyspace commands (src/commands/keys.rs):
//! DEL/UNLINK/EXISTS/TYPE/TOUCH, KEYS, SCAN, RANDOMKEY, RENAME(NX), OBJECT,
//! MOVE, COPY, the EXPIRE and TTL families, PERSIST, DBSIZE, FLUSHDB,
//! FLUSHALL, SWAPDB, and lazy and active expiry.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{Conn, Server};

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

const OK: &str = "+OK\r\n";
const NIL: &str = "$-1\r\n";

/// Parse the flat list of bulk strings of a reply (KEYS, a SCAN page).
fn bulks(reply: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = reply.split("\r\n");
    while let Some(l) = lines.next() {
        if l.starts_with('$') && l != "$-1" {
            out.push(lines.next().unwrap().to_string());
        }
    }
    out
}

/// One SCAN call: (next cursor, keys).
fn scan_page(c: &mut Conn, args: &[&str]) -> (String, Vec<String>) {
    let mut v = vec!["SCAN"];
    v.extend_from_slice(args);
    let r = c.cmd(&v);
    assert!(r.starts_with("*2\r\n"), "{r}");
    let all = bulks(&r);
    (all[0].clone(), all[1..].to_vec())
}

/// A whole SCAN iteration with extra options; keys seen (with repeats).
fn scan_all(c: &mut Conn, opts: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    loop {
        let mut args = vec![cursor.as_str()];
        args.extend_from_slice(opts);
        let (next, k) = scan_page(c, &args);
        keys.extend(k);
        if next == "0" {
            return keys;
        }
        cursor = next;
    }
}

fn populate(c: &mut Conn, n: usize) {
    for i in 0..n {
        assert_eq!(c.cmd(&["SET", &format!("key:{i}"), &i.to_string()]), OK);
    }
}

#[test]
fn del_unlink_exists_type_touch() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    c.cmd(&["SET", "empty", ""]);
    assert_eq!(c.cmd(&["EXISTS", "a", "a", "b", "nokey"]), int(3));
    assert_eq!(c.cmd(&["EXISTS", "empty"]), int(1));
    assert_eq!(c.cmd(&["TYPE", "a"]), "+string\r\n");
    assert_eq!(c.cmd(&["TYPE", "nokey"]), "+none\r\n");
    assert_eq!(c.cmd(&["TOUCH", "a", "nokey", "b"]), int(2));
    assert_eq!(c.cmd(&["DBSIZE"]), int(3));
    assert_eq!(c.cmd(&["DEL", "a", "nokey", "a"]), int(1));
    assert_eq!(c.cmd(&["UNLINK", "b", "empty"]), int(2));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(c.cmd(&["GET", "a"]), NIL);
    assert_eq!(
        c.cmd(&["DEL"]),
        "-ERR wrong number of arguments for 'del' command\r\n"
    );
    assert_eq!(
        c.cmd(&["EXISTS"]),
        "-ERR wrong number of arguments for 'exists' command\r\n"
    );
}

#[test]
fn keys_patterns() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for k in ["key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c", ""] {
        c.cmd(&["SET", k, "hello"]);
    }
    let mut got = bulks(&c.cmd(&["KEYS", "foo*"]));
    got.sort();
    assert_eq!(got, ["foo_a", "foo_b", "foo_c"]);
    let all = bulks(&c.cmd(&["KEYS", "*"]));
    assert_eq!(all.len(), 7, "a lone * matches the empty key too");
    assert!(all.contains(&String::new()));
    assert_eq!(bulks(&c.cmd(&["KEYS", "key_[xy]"])).len(), 2);
    assert_eq!(bulks(&c.cmd(&["KEYS", "key_[^x]"])).len(), 2);
    assert_eq!(bulks(&c.cmd(&["KEYS", "???_?"])).len(), 6);
    assert_eq!(c.cmd(&["KEYS", "nomatch*"]), "*0\r\n");
    // No exponential backtracking.
    c.cmd(&["FLUSHDB"]);
    c.cmd(&["SET", &"a".repeat(40), "1"]);
    let t = Instant::now();
    assert_eq!(
        c.cmd(&["KEYS", "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"]),
        "*0\r\n"
    );
    assert!(t.elapsed() < Duration::from_secs(1));
}

#[test]
fn scan_iterates_everything() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    populate(&mut c, 1000);
    let keys: HashSet<String> = scan_all(&mut c, &[]).into_iter().collect();
    assert_eq!(keys.len(), 1000);
    let keys: HashSet<String> = scan_all(&mut c, &["COUNT", "5"]).into_iter().collect();
    assert_eq!(keys.len(), 1000);
    let keys: HashSet<String> = scan_all(&mut c, &["MATCH", "key:1??"])
        .into_iter()
        .collect();
    assert_eq!(keys.len(), 100);
    assert!(scan_all(&mut c, &["TYPE", "list"]).is_empty());
    let keys: HashSet<String> = scan_all(&mut c, &["TYPE", "string"]).into_iter().collect();
    assert_eq!(keys.len(), 1000);
    let keys: HashSet<String> =
        scan_all(&mut c, &["type", "STRING", "match", "key:*", "count", "10"])
            .into_iter()
            .collect();
    assert_eq!(keys.len(), 1000);
    // COUNT bounds the work per call: a page is never the whole table.
    let (next, page) = scan_page(&mut c, &["0", "COUNT", "5"]);
    assert_ne!(next, "0");
    assert!(page.len() < 100, "{}", page.len());
}

#[test]
fn scan_guarantees_under_write_load() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    populate(&mut c, 100);
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut added = 0;
    loop {
        let (next, k) = scan_page(&mut c, &[&cursor]);
        seen.extend(k);
        if next == "0" {
            break;
        }
        cursor = next;
        for _ in 0..10 {
            c.cmd(&["SET", &format!("addedkey:{added}"), "foo"]);
            added += 1;
        }
    }
    for i in 0..100 {
        assert!(seen.contains(&format!("key:{i}")), "missed key:{i}");
    }
}

#[test]
fn scan_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let syntax = "-ERR syntax error\r\n";
    assert_eq!(c.cmd(&["SCAN", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(c.cmd(&["SCAN", " 1"]), "-ERR invalid cursor\r\n");
    assert_eq!(
        c.cmd(&["SCAN", "18446744073709551616"]),
        "-ERR invalid cursor\r\n"
    );
    assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "0"]), syntax);
    assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "-5"]), syntax);
    assert_eq!(
        c.cmd(&["SCAN", "0", "COUNT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd(&["SCAN", "0", "MATCH"]), syntax);
    assert_eq!(c.cmd(&["SCAN", "0", "BOGUS", "1"]), syntax);
    assert_eq!(c.cmd(&["SCAN", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn randomkey() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["RANDOMKEY"]), NIL);
    c.cmd(&["SET", "foo", "x"]);
    c.cmd(&["SET", "bar", "y"]);
    let mut seen = HashSet::new();
    for _ in 0..100 {
        seen.insert(bulks(&c.cmd(&["RANDOMKEY"]))[0].clone());
    }
    assert_eq!(seen.len(), 2);
    c.cmd(&["FLUSHDB"]);
    c.cmd(&["SET", "x", "10"]);
    c.cmd(&["DEL", "x"]);
    assert_eq!(c.cmd(&["RANDOMKEY"]), NIL);
}

#[test]
fn rename_and_renamenx() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "mykey", "hello"]);
    assert_eq!(c.cmd(&["RENAME", "mykey", "mykey1"]), OK);
    assert_eq!(c.cmd(&["RENAME", "mykey1", "mykey2"]), OK);
    assert_eq!(c.cmd(&["GET", "mykey2"]), bulk("hello"));
    assert_eq!(c.cmd(&["EXISTS", "mykey", "mykey1"]), int(0));
    c.cmd(&["SET", "a", "a"]);
    c.cmd(&["SET", "b", "b"]);
    assert_eq!(c.cmd(&["RENAME", "b", "a"]), OK);
    assert_eq!(c.cmd(&["GET", "a"]), bulk("b"));
    assert_eq!(c.cmd(&["RENAMENX", "a", "new"]), int(1));
    c.cmd(&["SET", "other", "o"]);
    assert_eq!(c.cmd(&["RENAMENX", "new", "other"]), int(0));
    assert_eq!(c.cmd(&["GET", "new"]), bulk("b"));
    let nokey = "-ERR no such key\r\n";
    assert_eq!(c.cmd(&["RENAME", "nokey", "x"]), nokey);
    assert_eq!(c.cmd(&["RENAME", "nokey", "nokey"]), nokey);
    assert_eq!(c.cmd(&["RENAMENX", "nokey", "x"]), nokey);
    assert_eq!(c.cmd(&["RENAME", "new", "new"]), OK);
    assert_eq!(c.cmd(&["RENAMENX", "new", "new"]), int(0));
    // The TTL moves with the key; the target's TTL does not stay.
    c.cmd(&["SET", "v", "foo"]);
    c.cmd(&["EXPIRE", "v", "100"]);
    c.cmd(&["RENAME", "v", "v2"]);
    assert_eq!(c.cmd(&["TTL", "v2"]), int(100));
    c.cmd(&["SET", "p", "foo"]);
    c.cmd(&["SET", "t", "bar"]);
    c.cmd(&["EXPIRE", "t", "100"]);
    c.cmd(&["RENAME", "p", "t"]);
    assert_eq!(c.cmd(&["TTL", "t"]), int(-1));
    assert_eq!(c.cmd(&["GET", "t"]), bulk("foo"));
}

#[test]
fn object_subcommands() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "small", "123"]);
    c.cmd(&["SET", "big", "10000"]);
    c.cmd(&["SET", "emb", "hello"]);
    c.cmd(&["SET", "raw", &"x".repeat(45)]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "small"]), bulk("int"));
    assert_eq!(c.cmd(&["OBJECT", "encoding", "emb"]), bulk("embstr"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "raw"]), bulk("raw"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "nokey"]), NIL);
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "small"]), int(2147483647));
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "big"]), int(1));
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "emb"]), int(1));
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "nokey"]), NIL);
    // A copied small integer is a private object in Redis.
    c.cmd(&["COPY", "small", "small2"]);
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "small2"]), int(1));
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "emb"]), int(0));
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "nokey"]), NIL);
    assert!(c.cmd(&["OBJECT", "FREQ", "emb"]).starts_with(
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked."
    ));
    let help = c.cmd(&["OBJECT", "HELP"]);
    assert!(help.starts_with(
        "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    ));
    assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
    assert_eq!(
        c.cmd(&["OBJECT", "NOPE", "emb"]),
        "-ERR unknown subcommand 'NOPE'. Try OBJECT HELP.\r\n"
    );
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING"]),
        "-ERR wrong number of arguments for 'object|encoding' command\r\n"
    );
}

#[test]
fn object_under_lfu_policy() {
    let s = Server::start(&["--maxmemory-policy", "allkeys-lfu"]);
    let mut c = s.conn();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "k"]), int(5));
    assert!(
        c.cmd(&["OBJECT", "IDLETIME", "k"])
            .starts_with("-ERR An LFU maxmemory policy is selected, idle time not tracked.")
    );
}

#[test]
fn small_integers_not_shared_with_lru_maxmemory() {
    let s = Server::start(&["--maxmemory", "1gb", "--maxmemory-policy", "allkeys-lru"]);
    let mut c = s.conn();
    c.cmd(&["SET", "a", "1"]);
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "a"]), int(1));
}

#[test]
fn idletime_and_touch() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "foo", "bar"]);
    c.cmd(&["SET", "baz", "bar"]);
    std::thread::sleep(Duration::from_millis(2100));
    // TTL, TYPE, EXISTS, OBJECT do not refresh the access time...
    c.cmd(&["TTL", "foo"]);
    c.cmd(&["TYPE", "foo"]);
    c.cmd(&["EXISTS", "foo"]);
    let idle = c.cmd(&["OBJECT", "IDLETIME", "foo"]);
    assert!(idle == int(2) || idle == int(3), "{idle}");
    // ...TOUCH does.
    assert_eq!(c.cmd(&["TOUCH", "baz", "nokey"]), int(1));
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "baz"]), int(0));
}

#[test]
fn move_between_dbs() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "mykey", "foobar"]);
    assert_eq!(c.cmd(&["MOVE", "mykey", "10"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "mykey"]), int(0));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SELECT", "10"]);
    assert_eq!(c.cmd(&["GET", "mykey"]), bulk("foobar"));
    c.cmd(&["SELECT", "0"]);
    c.cmd(&["SET", "mykey", "hello"]);
    assert_eq!(c.cmd(&["MOVE", "mykey", "10"]), int(0));
    assert_eq!(c.cmd(&["MOVE", "nokey", "10"]), int(0));
    assert_eq!(
        c.cmd(&["MOVE", "mykey", "notanumber"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["MOVE", "mykey", "0"]),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(
        c.cmd(&["MOVE", "mykey", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    // The TTL goes along; no TTL is created.
    c.cmd(&["SET", "t", "foo", "EX", "100"]);
    c.cmd(&["SET", "p", "foo"]);
    c.cmd(&["MOVE", "t", "11"]);
    c.cmd(&["MOVE", "p", "11"]);
    assert_eq!(c.cmd(&["TTL", "t"]), int(-2));
    c.cmd(&["SELECT", "11"]);
    assert_eq!(c.cmd(&["TTL", "t"]), int(100));
    assert_eq!(c.cmd(&["TTL", "p"]), int(-1));
}

#[test]
fn copy_keys() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "mykey", "foobar"]);
    assert_eq!(c.cmd(&["COPY", "mykey", "new"]), int(1));
    assert_eq!(c.cmd(&["GET", "new"]), bulk("foobar"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(2));
    assert_eq!(c.cmd(&["COPY", "mykey", "new", "DB", "10"]), int(1));
    c.cmd(&["SET", "mykey2", "hello"]);
    assert_eq!(c.cmd(&["COPY", "mykey2", "new", "DB", "10"]), int(0));
    assert_eq!(
        c.cmd(&["COPY", "mykey2", "new", "DB", "10", "REPLACE"]),
        int(1)
    );
    c.cmd(&["SELECT", "10"]);
    assert_eq!(c.cmd(&["GET", "new"]), bulk("hello"));
    // Independent copies.
    c.cmd(&["SET", "new", "hoge"]);
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.cmd(&["GET", "mykey2"]), bulk("hello"));
    assert_eq!(
        c.cmd(&["COPY", "mykey", "x", "DB", "notanumber"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["COPY", "mykey", "mykey"]),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(
        c.cmd(&["COPY", "mykey", "x", "BOGUS"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["COPY", "nokey", "x"]), int(0));
    // Expire metadata is copied, and not invented.
    c.cmd(&["SET", "v", "foobar", "EX", "100"]);
    c.cmd(&["COPY", "v", "v2", "REPLACE"]);
    assert_eq!(c.cmd(&["TTL", "v2"]), int(100));
    c.cmd(&["SET", "v", "foobar"]);
    c.cmd(&["COPY", "v", "v2", "REPLACE"]);
    assert_eq!(c.cmd(&["TTL", "v2"]), int(-1));
}

#[test]
fn expire_options_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "x", "foobar"]);
    assert_eq!(c.cmd(&["EXPIRE", "x", "5"]), int(1));
    assert_eq!(c.cmd(&["TTL", "x"]), int(5));
    assert_eq!(c.cmd(&["EXPIRE", "x", "10"]), int(1));
    assert_eq!(c.cmd(&["TTL", "x"]), int(10));
    assert_eq!(c.cmd(&["EXPIRE", "x", "200", "NX"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "x", "200", "XX"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", "x", "100", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "x", "300", "gt"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", "x", "400", "LT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "x", "100", "LT", "XX"]), int(1));
    assert_eq!(c.cmd(&["TTL", "x"]), int(100));
    c.cmd(&["SET", "y", "bar"]);
    assert_eq!(c.cmd(&["EXPIRE", "y", "200", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "y", "200", "XX"]), int(0));
    assert_eq!(c.cmd(&["TTL", "y"]), int(-1));
    assert_eq!(c.cmd(&["EXPIRE", "y", "100", "LT"]), int(1));
    assert_eq!(c.cmd(&["TTL", "y"]), int(100));
    for opt in ["NX", "XX", "GT", "LT"] {
        assert_eq!(c.cmd(&["EXPIRE", "none", "100", opt]), int(0));
    }
    assert_eq!(
        c.cmd(&["EXPIRE", "x", "200", "LT", "GT"]),
        "-ERR GT and LT options at the same time are not compatible\r\n"
    );
    for opts in [["NX", "GT"], ["NX", "LT"], ["NX", "XX"]] {
        assert_eq!(
            c.cmd(&["EXPIRE", "x", "200", opts[0], opts[1]]),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
        );
    }
    assert_eq!(
        c.cmd(&["EXPIRE", "x", "200", "XX", "AB"]),
        "-ERR Unsupported option AB\r\n"
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "x", ""]),
        "-ERR value is not an integer or out of range\r\n"
    );
    c.cmd(&["SET", "foo", "bar"]);
    for n in [
        "9223370399119966",
        "9223372036854776",
        "10000000000000000",
        "18446744073709561",
        "-9223372036854776",
        "-9999999999999999",
    ] {
        assert_eq!(
            c.cmd(&["EXPIRE", "foo", n]),
            "-ERR invalid expire time in 'expire' command\r\n"
        );
    }
    assert_eq!(
        c.cmd(&["PEXPIRE", "foo", "9223372036854770000"]),
        "-ERR invalid expire time in 'pexpire' command\r\n"
    );
    assert_eq!(c.cmd(&["TTL", "foo"]), int(-1));
    assert_eq!(c.cmd(&["PEXPIREAT", "foo", "9223372036854770000"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRETIME", "foo"]), int(9223372036854770000));
    assert_eq!(c.cmd(&["PEXPIREAT", "foo", "-9223372036854770000"]), int(1));
    assert_eq!(c.cmd(&["TTL", "foo"]), int(-2));
    // A time in the past deletes the key.
    c.cmd(&["SET", "foo", "bar", "EX", "100"]);
    assert_eq!(c.cmd(&["EXPIRE", "foo", "-10", "LT"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "foo"]), int(0));
    c.cmd(&["SET", "foo", "bar"]);
    assert_eq!(c.cmd(&["EXPIREAT", "foo", "1"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "foo"]), int(0));
}

#[test]
fn ttl_family_and_persist() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "x", "hello"]);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(c.cmd(&[cmd, "x"]), int(-1), "{cmd}");
        assert_eq!(c.cmd(&[cmd, "nokey"]), int(-2), "{cmd}");
    }
    assert_eq!(c.cmd(&["EXPIREAT", "x", "4102444800"]), int(1));
    assert_eq!(c.cmd(&["EXPIRETIME", "x"]), int(4102444800));
    assert_eq!(c.cmd(&["PEXPIRETIME", "x"]), int(4102444800000));
    assert_eq!(c.cmd(&["PEXPIREAT", "x", "4102444800700"]), int(1));
    assert_eq!(c.cmd(&["EXPIRETIME", "x"]), int(4102444801), "rounded");
    c.cmd(&["SET", "x", "v", "PX", "1000"]);
    let pttl: i64 = c.cmd(&["PTTL", "x"])[1..].trim().parse().unwrap();
    assert!(pttl > 900 && pttl <= 1000, "{pttl}");
    c.cmd(&["EXPIRE", "x", "50"]);
    assert_eq!(c.cmd(&["TTL", "x"]), int(50));
    assert_eq!(c.cmd(&["PERSIST", "x"]), int(1));
    assert_eq!(c.cmd(&["TTL", "x"]), int(-1));
    assert_eq!(c.cmd(&["GET", "x"]), bulk("v"));
    assert_eq!(c.cmd(&["PERSIST", "x"]), int(0));
    assert_eq!(c.cmd(&["PERSIST", "nokey"]), int(0));
}

#[test]
fn lazy_and_active_expiry() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // Lazy: a read after the deadline sees nothing, and the key is gone.
    c.cmd(&["SET", "lazy", "v"]);
    assert_eq!(c.cmd(&["PEXPIRE", "lazy", "100"]), int(1));
    assert_eq!(c.cmd(&["GET", "lazy"]), bulk("v"));
    // Active: keys nobody reads disappear on their own.
    for i in 0..3 {
        c.cmd(&["SET", &format!("active{i}"), "a", "PX", "100"]);
    }
    c.cmd(&["SET", "stays", "x"]);
    c.cmd(&["SET", "later", "x", "EX", "100"]);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(c.cmd(&["GET", "lazy"]), NIL);
    assert_eq!(c.cmd(&["EXISTS", "lazy"]), int(0));
    assert_eq!(c.cmd(&["TTL", "lazy"]), int(-2));
    // EXPIRE does not resurrect an expired key.
    c.cmd(&["SET", "foo", "bar", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(c.cmd(&["EXPIRE", "foo", "10"]), int(0));
    assert_eq!(c.cmd(&["DEL", "foo"]), int(0));
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if c.cmd(&["DBSIZE"]) == int(2) {
            break;
        }
        assert!(Instant::now() < deadline, "keys did not actively expire");
        std::thread::sleep(Duration::from_millis(50));
    }
    // KEYS and SCAN never show an expired key.
    c.cmd(&["SET", "gone", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(5));
    assert!(!bulks(&c.cmd(&["KEYS", "*"])).contains(&"gone".to_string()));
    assert!(!scan_all(&mut c, &[]).contains(&"gone".to_string()));
}

#[test]
fn flush_and_swapdb() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SET", "x", "db0"]);
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "x", "db1"]);
    c.cmd(&["SET", "y", "db1"]);
    c.cmd(&["EXPIRE", "y", "100"]);
    assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), OK);
    // This client stays on db 1 and now sees db 0's data.
    assert_eq!(c.cmd(&["GET", "x"]), bulk("db0"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.cmd(&["TTL", "y"]), int(100));
    assert_eq!(c.cmd(&["SWAPDB", "0", "0"]), OK);
    assert_eq!(
        c.cmd(&["SWAPDB", "a", "1"]),
        "-ERR invalid first DB index\r\n"
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "1", "b"]),
        "-ERR invalid second DB index\r\n"
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "0", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(c.cmd(&["FLUSHDB", "BOGUS"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["FLUSHDB", "ASYNC"]), OK);
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SELECT", "1"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["FLUSHALL", "x"]), "-ERR syntax error\r\n");
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["SET", "z", "1"]);
    assert_eq!(c.cmd(&["FLUSHALL", "SYNC"]), OK);
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SELECT", "1"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
}
