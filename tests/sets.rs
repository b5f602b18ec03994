//! Black-box tests of the set commands against the real binary: every
//! command with its options and errors, the intset/hashtable encoding rules
//! (threshold read from the config at run time), random replies checked by
//! shape and membership, SSCAN over both encodings, COPY/TYPE/SCAN TYPE on
//! sets, and the dirty counter (checked against redis-server too when it is
//! installed).

mod common;

use std::collections::BTreeSet;

use common::{Conn, Server};

/// A parsed reply, enough for these tests.
#[derive(Debug, PartialEq)]
enum R {
    Int(i64),
    Bulk(String),
    Null,
    Agg(Vec<R>),
    Other(String),
}

fn parse(s: &str) -> R {
    fn one(s: &str, at: &mut usize) -> R {
        let end = s[*at..].find("\r\n").unwrap() + *at;
        let line = &s[*at + 1..end];
        let kind = s.as_bytes()[*at];
        *at = end + 2;
        match kind {
            b':' => R::Int(line.parse().unwrap()),
            b'$' if line == "-1" => R::Null,
            b'_' => R::Null,
            b'$' => {
                let n: usize = line.parse().unwrap();
                let v = s[*at..*at + n].to_string();
                *at += n + 2;
                R::Bulk(v)
            }
            b'*' | b'~' => {
                let n: i64 = line.parse().unwrap();
                if n < 0 {
                    return R::Null;
                }
                R::Agg((0..n).map(|_| one(s, at)).collect())
            }
            _ => R::Other(s[*at - line.len() - 3..end].to_string()),
        }
    }
    let mut at = 0;
    one(s, &mut at)
}

/// Members of a flat array/set reply, in reply order.
fn list(c: &mut Conn, args: &[&str]) -> Vec<String> {
    match parse(&c.cmd(args)) {
        R::Agg(v) => v
            .into_iter()
            .map(|r| match r {
                R::Bulk(s) => s,
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("{args:?}: not an array: {other:?}"),
    }
}

fn sorted(c: &mut Conn, args: &[&str]) -> BTreeSet<String> {
    list(c, args).into_iter().collect()
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

fn encoding(c: &mut Conn, key: &str) -> String {
    c.cmd(&["OBJECT", "ENCODING", key])
}

#[test]
fn basics_and_encodings() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // Regular set.
    assert_eq!(c.cmd(&["SADD", "myset", "foo"]), int(1));
    assert_eq!(encoding(&mut c, "myset"), bulk("hashtable"));
    assert_eq!(c.cmd(&["SADD", "myset", "bar"]), int(1));
    assert_eq!(c.cmd(&["SADD", "myset", "bar"]), int(0));
    assert_eq!(c.cmd(&["SCARD", "myset"]), int(2));
    assert_eq!(c.cmd(&["SISMEMBER", "myset", "foo"]), int(1));
    assert_eq!(c.cmd(&["SISMEMBER", "myset", "bla"]), int(0));
    assert_eq!(
        c.cmd(&["SMISMEMBER", "myset", "bla", "foo"]),
        "*2\r\n:0\r\n:1\r\n"
    );
    assert_eq!(
        sorted(&mut c, &["SMEMBERS", "myset"]),
        set_of(&["bar", "foo"])
    );
    assert_eq!(c.cmd(&["TYPE", "myset"]), "+set\r\n");
    // Intset: ascending order.
    assert_eq!(c.cmd(&["SADD", "is", "17", "-3", "16"]), int(3));
    assert_eq!(encoding(&mut c, "is"), bulk("intset"));
    assert_eq!(list(&mut c, &["SMEMBERS", "is"]), ["-3", "16", "17"]);
    assert_eq!(c.cmd(&["SISMEMBER", "is", "016"]), int(0));
    // A non-integer converts it; it never goes back.
    assert_eq!(c.cmd(&["SADD", "is", "a"]), int(1));
    assert_eq!(encoding(&mut c, "is"), bulk("hashtable"));
    assert_eq!(c.cmd(&["SREM", "is", "a"]), int(1));
    assert_eq!(encoding(&mut c, "is"), bulk("hashtable"));
    assert_eq!(
        sorted(&mut c, &["SMEMBERS", "is"]),
        set_of(&["-3", "16", "17"])
    );
    // Integers beyond 64 bits are strings.
    assert_eq!(
        c.cmd(&["SADD", "big", "213244124402402314402033402"]),
        int(1)
    );
    assert_eq!(encoding(&mut c, "big"), bulk("hashtable"));
    // Missing keys.
    assert_eq!(c.cmd(&["SCARD", "none"]), int(0));
    assert_eq!(c.cmd(&["SMEMBERS", "none"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["SMISMEMBER", "none", "a", "b"]),
        "*2\r\n:0\r\n:0\r\n"
    );
    // Wrong types.
    c.cmd(&["SET", "str", "x"]);
    for args in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SCARD", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SMEMBERS", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "2"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "2"],
        &["SINTER", "myset", "str"],
        &["SUNION", "str"],
        &["SDIFF", "myset", "str"],
        &["SINTERCARD", "1", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(c.cmd(args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(
        c.cmd(&["SMISMEMBER", "myset"]),
        "-ERR wrong number of arguments for 'smismember' command\r\n"
    );
}

#[test]
fn threshold_follows_config() {
    let s = Server::start(&["--set-max-intset-entries", "3"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["SADD", "a", "1", "2", "3"]), int(3));
    assert_eq!(encoding(&mut c, "a"), bulk("intset"));
    assert_eq!(c.cmd(&["SADD", "a", "4"]), int(1));
    assert_eq!(encoding(&mut c, "a"), bulk("hashtable"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "512"]),
        "+OK\r\n"
    );
    let many: Vec<String> = (0..512).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", "b"];
    args.extend(many.iter().map(|s| s.as_str()));
    assert_eq!(c.cmd(&args), int(512));
    assert_eq!(encoding(&mut c, "b"), bulk("intset"));
    assert_eq!(c.cmd(&["SADD", "b", "512"]), int(1));
    assert_eq!(encoding(&mut c, "b"), bulk("hashtable"));
    // STORE results follow the same rules: all integers, few enough.
    c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "2"]);
    c.cmd(&["SADD", "h", "1", "2", "3", "x"]);
    assert_eq!(c.cmd(&["SUNIONSTORE", "u", "h"]), int(4));
    assert_eq!(encoding(&mut c, "u"), bulk("hashtable"));
    c.cmd(&["SREM", "h", "x", "3"]);
    assert_eq!(c.cmd(&["SUNIONSTORE", "u", "h"]), int(2));
    assert_eq!(encoding(&mut c, "u"), bulk("intset"));
    assert_eq!(list(&mut c, &["SUNION", "h"]), ["1", "2"]);
}

#[test]
fn srem_and_smove() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SADD", "s", "1", "2", "3"]);
    assert_eq!(c.cmd(&["SREM", "s", "2", "9", "x"]), int(1));
    assert_eq!(c.cmd(&["SREM", "s", "1", "3", "1"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", "s"]), int(0));
    assert_eq!(c.cmd(&["SREM", "s", "1"]), int(0));

    c.cmd(&["SADD", "m1", "1", "a", "b"]);
    c.cmd(&["SADD", "m2", "2", "3", "4"]);
    assert_eq!(c.cmd(&["SMOVE", "m1", "m2", "a"]), int(1));
    assert_eq!(encoding(&mut c, "m2"), bulk("hashtable"));
    assert_eq!(c.cmd(&["SMOVE", "m1", "m2", "a"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", "m2", "new", "2"]), int(1));
    assert_eq!(encoding(&mut c, "new"), bulk("intset"));
    assert_eq!(c.cmd(&["SMOVE", "m2", "new2", "a"]), int(1));
    assert_eq!(encoding(&mut c, "new2"), bulk("hashtable"));
    assert_eq!(c.cmd(&["SMOVE", "m1", "m1", "b"]), int(1));
    assert_eq!(c.cmd(&["SMOVE", "m1", "m1", "zz"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", "none", "m1", "b"]), int(0));
    c.cmd(&["SET", "str", "v"]);
    assert_eq!(c.cmd(&["SMOVE", "none", "str", "b"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", "m1", "str", "b"]), WRONGTYPE);
    assert_eq!(c.cmd(&["SMOVE", "str", "m1", "b"]), WRONGTYPE);
    // Moving the last member deletes the source.
    c.cmd(&["SADD", "last", "q"]);
    assert_eq!(c.cmd(&["SMOVE", "last", "m1", "q"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "last"]), int(0));
    assert_eq!(
        sorted(&mut c, &["SMEMBERS", "m1"]),
        set_of(&["1", "b", "q"])
    );
}

#[test]
fn algebra() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SADD", "a", "1", "2", "3", "4", "x"]);
    c.cmd(&["SADD", "b", "3", "4", "5", "x"]);
    c.cmd(&["SADD", "c", "4", "x", "y"]);
    assert_eq!(
        sorted(&mut c, &["SINTER", "a", "b"]),
        set_of(&["3", "4", "x"])
    );
    assert_eq!(
        sorted(&mut c, &["SINTER", "a", "b", "c"]),
        set_of(&["4", "x"])
    );
    assert_eq!(c.cmd(&["SINTER", "a", "none"]), "*0\r\n");
    assert_eq!(c.cmd(&["SINTERCARD", "2", "a", "b"]), int(3));
    assert_eq!(c.cmd(&["SINTERCARD", "2", "a", "b", "LIMIT", "2"]), int(2));
    assert_eq!(c.cmd(&["SINTERCARD", "2", "a", "b", "LIMIT", "0"]), int(3));
    assert_eq!(c.cmd(&["SINTERCARD", "1", "none"]), int(0));
    assert_eq!(
        c.cmd(&["SINTERCARD", "0", "a"]),
        "-ERR numkeys should be greater than 0\r\n"
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "3", "a", "b"]),
        "-ERR Number of keys can't be greater than number of args\r\n"
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "1", "a", "LIMIT", "-1"]),
        "-ERR LIMIT can't be negative\r\n"
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "1", "a", "LIMIT"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["SINTERSTORE", "d", "a", "b", "c"]), int(2));
    assert_eq!(sorted(&mut c, &["SMEMBERS", "d"]), set_of(&["4", "x"]));
    assert_eq!(c.cmd(&["SINTERSTORE", "d", "a", "none"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    // Intersection of hashtables holding only integers is an intset.
    assert_eq!(c.cmd(&["SINTERSTORE", "d", "a", "b", "c", "a"]), int(2));
    c.cmd(&["SADD", "i1", "1", "2", "3"]);
    c.cmd(&["SADD", "h1", "1", "2", "z"]);
    assert_eq!(c.cmd(&["SINTERSTORE", "d", "h1", "i1"]), int(2));
    assert_eq!(encoding(&mut c, "d"), bulk("intset"));
    assert_eq!(list(&mut c, &["SINTER", "i1", "h1"]), ["1", "2"]);

    assert_eq!(
        sorted(&mut c, &["SUNION", "a", "none", "c"]),
        set_of(&["1", "2", "3", "4", "x", "y"])
    );
    assert_eq!(c.cmd(&["SUNIONSTORE", "u", "a", "b"]), int(6));
    assert_eq!(c.cmd(&["SCARD", "u"]), int(6));
    assert_eq!(c.cmd(&["SUNIONSTORE", "u", "none"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "u"]), int(0));

    assert_eq!(sorted(&mut c, &["SDIFF", "a", "b"]), set_of(&["1", "2"]));
    assert_eq!(
        sorted(&mut c, &["SDIFF", "a", "b", "c"]),
        set_of(&["1", "2"])
    );
    assert_eq!(c.cmd(&["SDIFF", "a", "a"]), "*0\r\n");
    assert_eq!(c.cmd(&["SDIFF", "none", "a"]), "*0\r\n");
    assert_eq!(c.cmd(&["SDIFFSTORE", "df", "a", "b"]), int(2));
    assert_eq!(encoding(&mut c, "df"), bulk("intset"));
    assert_eq!(list(&mut c, &["SMEMBERS", "df"]), ["1", "2"]);
    // STORE replaces any value and its TTL.
    c.cmd(&["SET", "dst", "v"]);
    c.cmd(&["EXPIRE", "dst", "100"]);
    assert_eq!(c.cmd(&["SUNIONSTORE", "dst", "a"]), int(5));
    assert_eq!(c.cmd(&["TTL", "dst"]), int(-1));
    assert_eq!(c.cmd(&["TYPE", "dst"]), "+set\r\n");
}

/// SDIFF against a model over random sets, both algorithms and encodings.
#[test]
fn sdiff_fuzz() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let mut seed = 12345u64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..30 {
        let mut model = Vec::new();
        let nsets = 1 + rnd(4) as usize;
        for j in 0..nsets {
            let key = format!("f{j}");
            c.cmd(&["DEL", &key]);
            let mut m = BTreeSet::new();
            for _ in 0..rnd(40) {
                let v = if round % 2 == 0 {
                    rnd(50).to_string()
                } else {
                    format!("e{}", rnd(50))
                };
                c.cmd(&["SADD", &key, &v]);
                m.insert(v);
            }
            model.push(m);
        }
        let mut want = model[0].clone();
        for m in &model[1..] {
            want.retain(|v| !m.contains(v));
        }
        let keys: Vec<String> = (0..nsets).map(|j| format!("f{j}")).collect();
        let mut args = vec!["SDIFF"];
        args.extend(keys.iter().map(|s| s.as_str()));
        assert_eq!(sorted(&mut c, &args), want, "round {round}");
    }
}

#[test]
fn spop_and_srandmember() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for (name, members) in [
        ("int", (0..50).map(|i| i.to_string()).collect::<Vec<_>>()),
        ("str", (0..50).map(|i| format!("m{i}")).collect()),
    ] {
        let all: BTreeSet<String> = members.iter().cloned().collect();
        let key = format!("s-{name}");
        let mut args = vec!["SADD", key.as_str()];
        args.extend(members.iter().map(|s| s.as_str()));
        c.cmd(&args);
        // SRANDMEMBER: no count, counts below/above the size, negative.
        let one = match parse(&c.cmd(&["SRANDMEMBER", &key])) {
            R::Bulk(b) => b,
            other => panic!("{other:?}"),
        };
        assert!(all.contains(&one));
        for n in [1, 5, 20, 40, 49, 50, 100] {
            let got = list(&mut c, &["SRANDMEMBER", &key, &n.to_string()]);
            assert_eq!(got.len(), n.min(50));
            let uniq: BTreeSet<_> = got.iter().cloned().collect();
            assert_eq!(uniq.len(), got.len(), "count {n} gave duplicates");
            assert!(uniq.is_subset(&all));
        }
        let got = list(&mut c, &["SRANDMEMBER", &key, "-200"]);
        assert_eq!(got.len(), 200);
        assert!(got.iter().all(|m| all.contains(m)));
        assert_eq!(c.cmd(&["SRANDMEMBER", &key, "0"]), "*0\r\n");
        assert_eq!(c.cmd(&["SCARD", &key]), int(50));

        // SPOP: single, small count (pop one by one), big count (keep the
        // rest), then everything.
        let mut left = all.clone();
        let m = match parse(&c.cmd(&["SPOP", &key])) {
            R::Bulk(b) => b,
            other => panic!("{other:?}"),
        };
        assert!(left.remove(&m));
        for n in [3, 40] {
            let got = list(&mut c, &["SPOP", &key, &n.to_string()]);
            assert_eq!(got.len(), n);
            for m in got {
                assert!(left.remove(&m), "{m} popped twice");
            }
            assert_eq!(sorted(&mut c, &["SMEMBERS", &key]), left);
        }
        assert_eq!(c.cmd(&["SPOP", &key, "0"]), "*0\r\n");
        let rest = sorted(&mut c, &["SPOP", &key, "100"]);
        assert_eq!(rest, left);
        assert_eq!(c.cmd(&["EXISTS", &key]), int(0));
    }
    // Case 3 of SPOP keeps the remaining members in a new set, which is an
    // intset again when they are all integers.
    c.cmd(&[
        "SADD", "h", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "x",
    ]);
    c.cmd(&["SREM", "h", "x"]);
    assert_eq!(encoding(&mut c, "h"), bulk("hashtable"));
    assert_eq!(list(&mut c, &["SPOP", "h", "9"]).len(), 9);
    assert_eq!(encoding(&mut c, "h"), bulk("intset"));
    assert_eq!(c.cmd(&["SCARD", "h"]), int(1));

    assert_eq!(c.cmd(&["SPOP", "none"]), "$-1\r\n");
    assert_eq!(c.cmd(&["SPOP", "none", "2"]), "*0\r\n");
    assert_eq!(c.cmd(&["SRANDMEMBER", "none"]), "$-1\r\n");
    assert_eq!(c.cmd(&["SRANDMEMBER", "none", "2"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["SPOP", "h", "-1"]),
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(c.cmd(&["SPOP", "h", "1", "2"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "h", "-9223372036854775808"]),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "h", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // RESP3: SPOP with a count is a set, SRANDMEMBER with a count an array.
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["SADD", "r3", "1", "2"]);
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "r3", "5"]),
        "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    assert_eq!(c.cmd(&["SPOP", "r3", "5"]), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert_eq!(c.cmd(&["SPOP", "r3"]), "_\r\n");
}

#[test]
fn sscan_both_encodings() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    for prefix in ["", "ele:"] {
        c.cmd(&["DEL", "set"]);
        let items: Vec<String> = (0..300).map(|i| format!("{prefix}{i}")).collect();
        let mut args = vec!["SADD", "set"];
        args.extend(items.iter().map(|s| s.as_str()));
        c.cmd(&args);
        let mut cursor = "0".to_string();
        let mut seen = BTreeSet::new();
        let mut calls = 0;
        loop {
            let R::Agg(parts) = parse(&c.cmd(&["SSCAN", "set", &cursor])) else {
                panic!()
            };
            let [R::Bulk(cur), R::Agg(elems)] = &parts[..] else {
                panic!("{parts:?}")
            };
            calls += 1;
            for e in elems {
                let R::Bulk(e) = e else { panic!() };
                seen.insert(e.clone());
            }
            cursor = cur.clone();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 300);
        // 300 integers exceed nothing: intset, answered in one call.
        if prefix.is_empty() {
            assert_eq!(calls, 1);
        } else {
            assert!(calls > 1);
        }
    }
    c.cmd(&["SADD", "p", "foo", "fab", "fiz", "foobar", "1", "2"]);
    assert_eq!(
        sorted_scan(
            &mut c,
            &["SSCAN", "p", "0", "MATCH", "foo*", "COUNT", "1000"]
        ),
        set_of(&["foo", "foobar"])
    );
    c.cmd(&["SADD", "ip", "1", "12", "2"]);
    assert_eq!(
        c.cmd(&["SSCAN", "ip", "0", "MATCH", "1*"]),
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\n1\r\n$2\r\n12\r\n"
    );
    assert_eq!(c.cmd(&["SSCAN", "none", "0"]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(c.cmd(&["SSCAN", "ip", "x"]), "-ERR invalid cursor\r\n");
    assert_eq!(
        c.cmd(&["SSCAN", "ip", "0", "COUNT", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["SSCAN", "ip", "0", "TYPE", "set"]),
        "-ERR syntax error\r\n"
    );
}

fn sorted_scan(c: &mut Conn, args: &[&str]) -> BTreeSet<String> {
    let R::Agg(parts) = parse(&c.cmd(args)) else {
        panic!()
    };
    let R::Agg(elems) = &parts[1] else { panic!() };
    elems
        .iter()
        .map(|e| match e {
            R::Bulk(s) => s.clone(),
            _ => panic!(),
        })
        .collect()
}

#[test]
fn keyspace_integration() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&["SADD", "si", "1", "2", "3"]);
    c.cmd(&["SADD", "sh", "1", "2", "a"]);
    c.cmd(&["SET", "str", "x"]);
    // COPY is deep and keeps the encoding.
    assert_eq!(c.cmd(&["COPY", "si", "si2"]), int(1));
    assert_eq!(c.cmd(&["COPY", "sh", "sh2"]), int(1));
    assert_eq!(encoding(&mut c, "si2"), bulk("intset"));
    assert_eq!(encoding(&mut c, "sh2"), bulk("hashtable"));
    c.cmd(&["SADD", "si", "9"]);
    c.cmd(&["SREM", "sh", "a"]);
    assert_eq!(list(&mut c, &["SMEMBERS", "si2"]), ["1", "2", "3"]);
    assert_eq!(
        sorted(&mut c, &["SMEMBERS", "sh2"]),
        set_of(&["1", "2", "a"])
    );
    // SCAN TYPE.
    let R::Agg(parts) = parse(&c.cmd(&["SCAN", "0", "TYPE", "set", "COUNT", "100"])) else {
        panic!()
    };
    let R::Agg(keys) = &parts[1] else { panic!() };
    assert_eq!(keys.len(), 4);
    // RENAME keeps the value.
    assert_eq!(c.cmd(&["RENAME", "si2", "moved"]), "+OK\r\n");
    assert_eq!(list(&mut c, &["SMEMBERS", "moved"]), ["1", "2", "3"]);
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "moved"]), int(1));
}

/// (command, dirty delta), as Redis 7.0.15's t_set.c counts.
const DIRTY: &[(&[&str], u64)] = &[
    (&["SADD", "s", "1", "2", "2", "3"], 3),
    (&["SADD", "s", "1"], 0),
    (&["SREM", "s", "1", "9"], 1),
    (&["SREM", "none", "1"], 0),
    (&["SADD", "t", "a"], 1),
    (&["SMOVE", "s", "t", "2"], 2),
    (&["SMOVE", "s", "t", "2"], 0),
    (&["SADD", "s", "2"], 1),
    (&["SMOVE", "s", "t", "2"], 1),
    (&["SMOVE", "t", "t", "a"], 0),
    (&["SPOP", "none"], 0),
    (&["SPOP", "t"], 1),
    (&["SADD", "p", "1", "2", "3", "4", "5", "6"], 6),
    (&["SPOP", "p", "0"], 0),
    (&["SPOP", "p", "2"], 2),
    (&["SPOP", "p", "10"], 4),
    (&["SADD", "a", "1", "2"], 2),
    (&["SADD", "b", "2", "3"], 2),
    (&["SINTERSTORE", "d", "a", "b"], 1),
    (&["SINTERSTORE", "d", "a", "none"], 1),
    (&["SINTERSTORE", "d", "a", "none"], 0),
    (&["SUNIONSTORE", "d", "a", "b"], 1),
    (&["SUNIONSTORE", "d", "none"], 1),
    (&["SUNIONSTORE", "d", "none"], 0),
    (&["SDIFFSTORE", "d", "a", "b"], 1),
    (&["SDIFFSTORE", "d", "a", "a"], 1),
    (&["SDIFFSTORE", "d", "a", "a"], 0),
    (&["SINTER", "a", "b"], 0),
    (&["SINTERCARD", "2", "a", "b"], 0),
    (&["SRANDMEMBER", "a", "2"], 0),
];

fn dirty(c: &mut Conn) -> u64 {
    let info = c.cmd(&["INFO", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn check_dirty(s: &Server, who: &str) {
    let mut c = s.conn();
    for (args, want) in DIRTY {
        let before = dirty(&mut c);
        c.cmd(args);
        assert_eq!(dirty(&mut c) - before, *want, "{who}: {args:?}");
    }
}

#[test]
fn dirty_counter() {
    check_dirty(&Server::start(&[]), "cinnabar");
    if let Some(redis) = common::redis_bin() {
        check_dirty(&Server::start_bin(&redis, &[]), "redis-server");
    }
}
