//! Black-box tests of the hash commands against the real binary: every
//! command with its options and errors, the listpack → hashtable conversion
//! at the configured thresholds (changed at run time), HRANDFIELD reply
//! shapes and membership in RESP2 and RESP3, a full HSCAN of a hashtable,
//! keyspace commands on hashes, and the dirty counter (checked against
//! redis-server too when it is installed).

mod common;

use std::collections::{HashMap, HashSet};

use common::{Conn, Server};

fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

const NULL: &str = "$-1\r\n";
const OK: &str = "+OK\r\n";
const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// A parsed reply: enough of RESP2/RESP3 for these tests.
#[derive(Debug, Clone, PartialEq)]
enum R {
    Bulk(String),
    Int(i64),
    Null,
    Arr(Vec<R>),
    Other(String),
}

fn parse(raw: &str) -> R {
    fn one(s: &str) -> (R, &str) {
        let end = s.find("\r\n").unwrap();
        let (head, rest) = (&s[..end], &s[end + 2..]);
        let body = &head[1..];
        match &head[..1] {
            "$" if body == "-1" => (R::Null, rest),
            "$" => {
                let n: usize = body.parse().unwrap();
                (R::Bulk(rest[..n].to_string()), &rest[n + 2..])
            }
            ":" => (R::Int(body.parse().unwrap()), rest),
            "_" => (R::Null, rest),
            "*" | "%" => {
                let mut n: usize = body.parse().unwrap();
                if &head[..1] == "%" {
                    n *= 2;
                }
                let mut v = Vec::new();
                let mut rest = rest;
                for _ in 0..n {
                    let (x, r) = one(rest);
                    v.push(x);
                    rest = r;
                }
                (R::Arr(v), rest)
            }
            _ => (R::Other(head.to_string()), rest),
        }
    }
    one(raw).0
}

fn strings(r: &R) -> Vec<String> {
    match r {
        R::Arr(v) => v
            .iter()
            .map(|x| match x {
                R::Bulk(s) => s.clone(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn encoding(c: &mut Conn, key: &str) -> String {
    c.cmd(&["OBJECT", "ENCODING", key])
}

#[test]
fn set_get_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["HSET", "h", "a", "1", "b", "2"]), int(2));
    assert_eq!(c.cmd(&["HSET", "h", "a", "10", "c", "3"]), int(1));
    assert_eq!(c.cmd(&["HMSET", "h", "d", "4"]), OK);
    assert_eq!(c.cmd(&["HSETNX", "h", "a", "x"]), int(0));
    assert_eq!(c.cmd(&["HSETNX", "h", "e", "5"]), int(1));
    assert_eq!(c.cmd(&["TYPE", "h"]), "+hash\r\n");
    assert_eq!(encoding(&mut c, "h"), bulk("listpack"));
    // Insertion order, updates in place.
    assert_eq!(
        strings(&parse(&c.cmd(&["HGETALL", "h"]))),
        ["a", "10", "b", "2", "c", "3", "d", "4", "e", "5"]
    );
    assert_eq!(
        strings(&parse(&c.cmd(&["HKEYS", "h"]))),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        strings(&parse(&c.cmd(&["HVALS", "h"]))),
        ["10", "2", "3", "4", "5"]
    );
    assert_eq!(c.cmd(&["HGET", "h", "a"]), bulk("10"));
    assert_eq!(c.cmd(&["HGET", "h", "zz"]), NULL);
    assert_eq!(c.cmd(&["HGET", "nokey", "a"]), NULL);
    assert_eq!(
        c.cmd(&["HMGET", "h", "a", "zz", "b"]),
        format!("*3\r\n{}{NULL}{}", bulk("10"), bulk("2"))
    );
    assert_eq!(c.cmd(&["HMGET", "nokey", "a"]), format!("*1\r\n{NULL}"));
    assert_eq!(c.cmd(&["HLEN", "h"]), int(5));
    assert_eq!(c.cmd(&["HLEN", "nokey"]), int(0));
    assert_eq!(c.cmd(&["HSTRLEN", "h", "a"]), int(2));
    assert_eq!(c.cmd(&["HSTRLEN", "h", "zz"]), int(0));
    assert_eq!(c.cmd(&["HEXISTS", "h", "a"]), int(1));
    assert_eq!(c.cmd(&["HEXISTS", "h", "zz"]), int(0));
    assert_eq!(c.cmd(&["HEXISTS", "nokey", "a"]), int(0));
    assert_eq!(c.cmd(&["HKEYS", "nokey"]), "*0\r\n");
    assert_eq!(c.cmd(&["HGETALL", "nokey"]), "*0\r\n");
    // Integers keep their exact text.
    for v in [
        "-9223372036854775808",
        "9223372036854775808",
        "007",
        "",
        "-0",
        "12",
    ] {
        c.cmd(&["HSET", "h", "n", v]);
        assert_eq!(c.cmd(&["HGET", "h", "n"]), bulk(v));
        assert_eq!(c.cmd(&["HSTRLEN", "h", "n"]), int(v.len() as i64));
    }
    // Arity (odd pairs) errors.
    let arity = |cmd: &str| format!("-ERR wrong number of arguments for '{cmd}' command\r\n");
    assert_eq!(c.cmd(&["HSET", "h", "a"]), arity("hset"));
    assert_eq!(c.cmd(&["HSET", "h", "a", "1", "b"]), arity("hset"));
    assert_eq!(c.cmd(&["HMSET", "h", "a", "1", "b"]), arity("hmset"));
    // Wrong type, everywhere.
    c.cmd(&["SET", "s", "v"]);
    for args in [
        &["HSET", "s", "a", "1"][..],
        &["HMSET", "s", "a", "1"],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HGETALL", "s"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "1"],
        &["HSCAN", "s", "0"],
        &["GET", "h"],
        &["APPEND", "h", "x"],
        &["INCR", "h"],
    ] {
        assert_eq!(c.cmd(args), WRONGTYPE, "{args:?}");
    }
}

#[test]
fn hdel_removes_empty_hash() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["HMSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.cmd(&["HDEL", "h", "x", "y"]), int(0));
    assert_eq!(c.cmd(&["HDEL", "h", "a", "c", "f"]), int(2));
    assert_eq!(strings(&parse(&c.cmd(&["HGETALL", "h"]))), ["b", "2"]);
    assert_eq!(c.cmd(&["HDEL", "h", "b", "b", "z"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "h"]), int(0));
    assert_eq!(c.cmd(&["HDEL", "h", "b"]), int(0));
    // TTL kept by writes, gone with the key.
    c.cmd(&["HSET", "t", "a", "1"]);
    c.cmd(&["EXPIRE", "t", "100"]);
    c.cmd(&["HSET", "t", "b", "2"]);
    assert_eq!(c.cmd(&["TTL", "t"]), int(100));
    c.cmd(&["HDEL", "t", "a", "b"]);
    assert_eq!(c.cmd(&["TTL", "t"]), int(-2));
}

#[test]
fn counters() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "5"]), int(5));
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "-7"]), int(-2));
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "n", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    c.cmd(&["HSET", "h", "s", " 11", "big", "9223372036854775807"]);
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "s", "1"]),
        "-ERR hash value is not an integer\r\n"
    );
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "big", "1"]),
        "-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(c.cmd(&["HINCRBY", "h", "big", "-1"]), int(i64::MAX - 1));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "1.23"]), bulk("1.23"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "0.77"]), bulk("2"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "-0.1"]), bulk("1.9"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "n", "0.5"]), bulk("-1.5"));
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "f", "x"]),
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "s", "1"]),
        "-ERR hash value is not a float\r\n"
    );
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "nokey", "f", "+inf"]),
        "-ERR value is NaN or Infinity\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "nokey"]), int(0));
    c.cmd(&["HSET", "h", "nul", "1\u{0}2"]);
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "nul", "1"]),
        "-ERR hash value is not a float\r\n"
    );
    // RESP3: still a bulk string.
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "1"]), bulk("2.9"));
}

#[test]
fn conversion_thresholds_follow_config() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // Entries: more than the limit converts.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-ziplist-entries", "4"]),
        OK
    );
    c.cmd(&["HMSET", "e", "a", "1", "b", "2", "c", "3", "d", "4"]);
    assert_eq!(encoding(&mut c, "e"), bulk("listpack"));
    c.cmd(&["HSET", "e", "e", "5"]);
    assert_eq!(encoding(&mut c, "e"), bulk("hashtable"));
    assert_eq!(c.cmd(&["HLEN", "e"]), int(5));
    c.cmd(&["HDEL", "e", "a", "b", "c", "d"]);
    assert_eq!(encoding(&mut c, "e"), bulk("hashtable"));
    assert_eq!(
        c.cmd(&["HGETALL", "e"]),
        format!("*2\r\n{}{}", bulk("e"), bulk("5"))
    );
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "128"]);
    // Value length: more than the limit converts, for fields and values,
    // including values HINCRBYFLOAT produces.
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "8"]);
    c.cmd(&["HSET", "v", "f", "12345678"]);
    assert_eq!(encoding(&mut c, "v"), bulk("listpack"));
    c.cmd(&["HSET", "v", "f", "123456789"]);
    assert_eq!(encoding(&mut c, "v"), bulk("hashtable"));
    c.cmd(&["HSET", "w", "abcdefghi", "1"]);
    assert_eq!(encoding(&mut c, "w"), bulk("hashtable"));
    c.cmd(&["HSET", "x", "tmp", "0"]);
    c.cmd(&["HINCRBYFLOAT", "x", "tmp", "0.000005"]);
    assert_eq!(encoding(&mut c, "x"), bulk("listpack"));
    c.cmd(&["HINCRBYFLOAT", "x", "tmp", "0.0000005"]);
    assert_eq!(encoding(&mut c, "x"), bulk("hashtable"));
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "64"]);
    // A big hash keeps every field.
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..1000 {
        args.push(format!("f{i}"));
        args.push(format!("v{i}"));
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    assert_eq!(c.cmd(&a), int(1000));
    assert_eq!(encoding(&mut c, "big"), bulk("hashtable"));
    assert_eq!(c.cmd(&["HGET", "big", "f777"]), bulk("v777"));
    let all = strings(&parse(&c.cmd(&["HGETALL", "big"])));
    let m: HashMap<_, _> = all
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    assert_eq!(m.len(), 1000);
    assert_eq!(m["f5"], "v5");
    // HSCAN walks the whole table with its cursor, COUNT and MATCH.
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let r = parse(&c.cmd(&["HSCAN", "big", &cursor, "COUNT", "50", "MATCH", "f1*"]));
        let R::Arr(v) = r else { panic!() };
        let R::Bulk(next) = &v[0] else { panic!() };
        for p in strings(&v[1]).chunks(2) {
            assert!(p[0].starts_with("f1"));
            assert_eq!(p[1], format!("v{}", &p[0][1..]));
            seen.insert(p[0].clone());
        }
        cursor = next.clone();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 111);
    // COPY is deep; RENAME moves the hash.
    c.cmd(&["HSET", "src", "a", "1"]);
    assert_eq!(c.cmd(&["COPY", "src", "dst"]), int(1));
    c.cmd(&["HSET", "dst", "b", "2"]);
    assert_eq!(c.cmd(&["HLEN", "src"]), int(1));
    assert_eq!(c.cmd(&["HLEN", "dst"]), int(2));
    assert_eq!(c.cmd(&["COPY", "big", "big2"]), int(1));
    assert_eq!(encoding(&mut c, "big2"), bulk("hashtable"));
    assert_eq!(c.cmd(&["HGET", "big2", "f999"]), bulk("v999"));
    assert_eq!(c.cmd(&["RENAME", "dst", "moved"]), OK);
    assert_eq!(c.cmd(&["HGET", "moved", "b"]), bulk("2"));
    assert_eq!(
        c.cmd(&["SCAN", "0", "TYPE", "hash", "MATCH", "moved"]),
        format!("*2\r\n{}*1\r\n{}", bulk("0"), bulk("moved"))
    );
}

#[test]
fn hscan_listpack_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["HMSET", "h", "foo", "1", "bar", "2", "baz", "3"]);
    assert_eq!(
        c.cmd(&["HSCAN", "h", "0", "COUNT", "1", "MATCH", "ba*"]),
        format!(
            "*2\r\n{}*4\r\n{}{}{}{}",
            bulk("0"),
            bulk("bar"),
            bulk("2"),
            bulk("baz"),
            bulk("3")
        )
    );
    assert_eq!(
        c.cmd(&["HSCAN", "nokey", "0"]),
        format!("*2\r\n{}*0\r\n", bulk("0"))
    );
    assert_eq!(c.cmd(&["HSCAN", "h", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(
        c.cmd(&["HSCAN", "h", "0", "COUNT", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["HSCAN", "h", "0", "TYPE", "hash"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["HSCAN", "h", "0", "COUNT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
}

fn check_randfield(c: &mut Conn, key: &str, model: &HashMap<String, String>, resp3: bool) {
    let n = model.len();
    // No count: one field.
    let R::Bulk(f) = parse(&c.cmd(&["HRANDFIELD", key])) else {
        panic!()
    };
    assert!(model.contains_key(&f));
    // Negative counts: repeats, exact size.
    let r = strings(&parse(&c.cmd(&["HRANDFIELD", key, "-25"])));
    assert_eq!(r.len(), 25);
    assert!(r.iter().all(|f| model.contains_key(f)));
    let pairs = |r: R| -> Vec<(String, String)> {
        let R::Arr(v) = r else { panic!() };
        if resp3 {
            v.iter()
                .map(|p| {
                    let s = strings(p);
                    assert_eq!(s.len(), 2);
                    (s[0].clone(), s[1].clone())
                })
                .collect()
        } else {
            strings(&R::Arr(v))
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect()
        }
    };
    let r = pairs(parse(&c.cmd(&["HRANDFIELD", key, "-25", "WITHVALUES"])));
    assert_eq!(r.len(), 25);
    for (f, v) in &r {
        assert_eq!(&model[f], v);
    }
    // Positive counts: distinct, min(count, size).
    for count in [1, 2, n / 2, n - 1, n, n + 5] {
        let r = pairs(parse(&c.cmd(&[
            "HRANDFIELD",
            key,
            &count.to_string(),
            "WITHVALUES",
        ])));
        assert_eq!(r.len(), count.min(n), "count {count}");
        let distinct: HashSet<_> = r.iter().map(|(f, _)| f.clone()).collect();
        assert_eq!(distinct.len(), r.len());
        for (f, v) in &r {
            assert_eq!(&model[f], v);
        }
        let r = strings(&parse(&c.cmd(&["HRANDFIELD", key, &count.to_string()])));
        assert_eq!(r.len(), count.min(n));
        assert_eq!(r.iter().collect::<HashSet<_>>().len(), r.len());
    }
    // Every field eventually shows up.
    let mut seen = HashSet::new();
    for _ in 0..20 {
        for f in strings(&parse(&c.cmd(&["HRANDFIELD", key, "-500"]))) {
            seen.insert(f);
        }
    }
    assert_eq!(seen.len(), n);
    assert_eq!(c.cmd(&["HRANDFIELD", key, "0"]), "*0\r\n");
}

#[test]
fn hrandfield_shapes() {
    // 200 fields make a table only below Redis's default limit of 512.
    let s = Server::start(&["--hash-max-listpack-entries", "128"]);
    let mut c = s.conn();
    let mut model = HashMap::new();
    for i in 0..20 {
        c.cmd(&["HSET", "small", &format!("f{i}"), &format!("{i}")]);
        model.insert(format!("f{i}"), format!("{i}"));
    }
    let mut big = model.clone();
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..200 {
        big.insert(format!("g{i}"), format!("v{i}"));
    }
    for (f, v) in &big {
        args.push(f.clone());
        args.push(v.clone());
    }
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    c.cmd(&a);
    assert_eq!(encoding(&mut c, "small"), bulk("listpack"));
    assert_eq!(encoding(&mut c, "big"), bulk("hashtable"));
    for resp3 in [false, true] {
        c.cmd(&["HELLO", if resp3 { "3" } else { "2" }]);
        check_randfield(&mut c, "small", &model, resp3);
        check_randfield(&mut c, "big", &big, resp3);
    }
    c.cmd(&["HELLO", "2"]);
    assert_eq!(c.cmd(&["HRANDFIELD", "nokey"]), NULL);
    assert_eq!(c.cmd(&["HRANDFIELD", "nokey", "5"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["HRANDFIELD", "small", "1", "x"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["HRANDFIELD", "small", "-9223372036854775808"]),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(
        c.cmd(&["HRANDFIELD", "small", "-9223372036854770000", "WITHVALUES"]),
        "-ERR value is out of range\r\n"
    );
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["HRANDFIELD", "nokey"]), "_\r\n");
    assert_eq!(c.cmd(&["HGETALL", "nokey"]), "%0\r\n");
}

/// (command, how much it adds to the dirty counter), as t_hash.c.
const DIRTY: &[(&[&str], u64)] = &[
    (&["HSET", "h", "a", "1", "b", "2"], 2),
    (&["HSET", "h", "a", "1"], 1),
    (&["HMSET", "h", "a", "1", "a", "2"], 2),
    (&["HSET", "h", "a"], 0),
    (&["HSETNX", "h", "a", "1"], 0),
    (&["HSETNX", "h", "c", "1"], 1),
    (&["HGET", "h", "a"], 0),
    (&["HGETALL", "h"], 0),
    (&["HDEL", "h", "x"], 0),
    (&["HDEL", "h", "a", "b", "x"], 2),
    (&["HINCRBY", "h", "n", "1"], 1),
    (&["HINCRBY", "h", "n", "x"], 0),
    (&["HINCRBYFLOAT", "h", "n", "1.5"], 1),
    (&["HINCRBYFLOAT", "h", "n", "x"], 0),
    (&["HRANDFIELD", "h", "2"], 0),
    (&["HSCAN", "h", "0"], 0),
    (&["HDEL", "h", "c", "n"], 2),
    (&["HDEL", "h", "c"], 0),
];

fn dirty(c: &mut Conn) -> u64 {
    let info = c.cmd(&["INFO", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
        .expect("rdb_changes_since_last_save")
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn dirty_counter() {
    let mut servers = vec![Server::start(&[])];
    if let Some(redis) = common::redis_bin() {
        servers.push(Server::start_bin(&redis, &[]));
    }
    for s in &servers {
        let mut c = s.conn();
        for (args, delta) in DIRTY {
            let before = dirty(&mut c);
            c.cmd(args);
            assert_eq!(
                dirty(&mut c) - before,
                *delta,
                "{args:?} on port {}",
                s.port
            );
        }
    }
}
