//! Black-box tests of the string commands against the real binary: every
//! command, its options and its errors, expiry set by SET/SETEX/GETEX and
//! kept or dropped by later writes, and big values.

mod common;

use common::Server;

fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

const NULL: &str = "$-1\r\n";
const OK: &str = "+OK\r\n";

#[test]
fn get_set_and_options() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["GET", "x"]), NULL);
    assert_eq!(c.cmd(&["SET", "x", "foobar"]), OK);
    assert_eq!(c.cmd(&["GET", "x"]), bulk("foobar"));
    assert_eq!(c.cmd(&["SET", "x", ""]), OK);
    assert_eq!(c.cmd(&["GET", "x"]), bulk(""));
    // NX / XX
    assert_eq!(c.cmd(&["SET", "nx", "1", "nx"]), OK);
    assert_eq!(c.cmd(&["SET", "nx", "2", "NX"]), NULL);
    assert_eq!(c.cmd(&["SET", "xx", "1", "XX"]), NULL);
    assert_eq!(c.cmd(&["GET", "xx"]), NULL);
    assert_eq!(c.cmd(&["SET", "nx", "3", "xx"]), OK);
    assert_eq!(c.cmd(&["GET", "nx"]), bulk("3"));
    // GET, alone and with NX / XX
    assert_eq!(c.cmd(&["SET", "g", "a", "GET"]), NULL);
    assert_eq!(c.cmd(&["SET", "g", "b", "get"]), bulk("a"));
    assert_eq!(c.cmd(&["SET", "g", "c", "GET", "NX"]), bulk("b"));
    assert_eq!(c.cmd(&["GET", "g"]), bulk("b"));
    assert_eq!(c.cmd(&["SET", "g2", "c", "GET", "XX"]), NULL);
    assert_eq!(c.cmd(&["GET", "g2"]), NULL);
    // Conflicts and syntax
    let syn = "-ERR syntax error\r\n";
    for args in [
        &["nx", "xx"][..],
        &["keepttl", "ex", "1"],
        &["ex", "1", "keepttl"],
        &["ex", "1", "px", "1"],
        &["exat", "1", "pxat", "1"],
        &["ex"],
        &["persist"],
        &["bogus"],
    ] {
        let mut a = vec!["SET", "k", "v"];
        a.extend_from_slice(args);
        assert_eq!(c.cmd(&a), syn, "{args:?}");
    }
    let inv = "-ERR invalid expire time in 'set' command\r\n";
    for t in ["0", "-1"] {
        assert_eq!(c.cmd(&["SET", "k", "v", "EX", t]), inv);
        assert_eq!(c.cmd(&["SET", "k", "v", "PXAT", t]), inv);
    }
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "9223372036854775807"]), inv);
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "9223372036854775807"]), inv);
    assert_eq!(
        c.cmd(&["SET", "k", "v", "EX", "1.5"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd(&["GET", "k"]), NULL, "failed SETs store nothing");
    // An absolute time in the past: stored, but gone at once.
    assert_eq!(c.cmd(&["SET", "past", "v", "PXAT", "1"]), OK);
    assert_eq!(c.cmd(&["GET", "past"]), NULL);
    assert_eq!(
        c.cmd(&["GET", "a", "b"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    // Binary safety
    let v: Vec<u8> = (0..=255u8).collect();
    assert_eq!(c.cmd_raw(&[b"SET", b"bin", &v]), b"+OK\r\n");
    let mut want = b"$256\r\n".to_vec();
    want.extend_from_slice(&v);
    want.extend_from_slice(b"\r\n");
    assert_eq!(c.cmd_raw(&[b"GET", b"bin"]), want);
}

#[test]
fn setnx_setex_getset_getdel_getex() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["SETNX", "a", "1"]), ":1\r\n");
    assert_eq!(c.cmd(&["SETNX", "a", "2"]), ":0\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), bulk("1"));
    assert_eq!(c.cmd(&["SETEX", "b", "100", "v"]), OK);
    assert_eq!(
        c.cmd(&["SETEX", "b", "0", "v"]),
        "-ERR invalid expire time in 'setex' command\r\n"
    );
    assert_eq!(
        c.cmd(&["PSETEX", "b", "-5", "v"]),
        "-ERR invalid expire time in 'psetex' command\r\n"
    );
    assert_eq!(c.cmd(&["PSETEX", "b", "100000", "w"]), OK);
    assert_eq!(c.cmd(&["GETSET", "b", "x"]), bulk("w"));
    assert_eq!(c.cmd(&["GETSET", "new", "x"]), NULL);
    assert_eq!(c.cmd(&["GETDEL", "new"]), bulk("x"));
    assert_eq!(c.cmd(&["GETDEL", "new"]), NULL);
    assert_eq!(c.cmd(&["GET", "new"]), NULL);
    assert_eq!(c.cmd(&["GETEX", "b"]), bulk("x"));
    assert_eq!(c.cmd(&["GETEX", "b", "EX", "100"]), bulk("x"));
    assert_eq!(c.cmd(&["GETEX", "b", "PERSIST"]), bulk("x"));
    assert_eq!(c.cmd(&["GETEX", "nokey", "EX", "0"]), NULL);
    assert_eq!(
        c.cmd(&["GETEX", "b", "EX", "0"]),
        "-ERR invalid expire time in 'getex' command\r\n"
    );
    for bad in [
        &["NX"][..],
        &["GET"],
        &["PERSIST", "EX", "1"],
        &["EX"],
        &["KEEPTTL"],
    ] {
        let mut a = vec!["GETEX", "b"];
        a.extend_from_slice(bad);
        assert_eq!(c.cmd(&a), "-ERR syntax error\r\n", "{bad:?}");
    }
    assert_eq!(c.cmd(&["GETEX", "b", "PXAT", "1"]), bulk("x"));
    assert_eq!(c.cmd(&["GET", "b"]), NULL, "a past PXAT deletes the key");
    assert_eq!(
        c.cmd(&["GETEX"]),
        "-ERR wrong number of arguments for 'getex' command\r\n"
    );
}

#[test]
fn expiry_kept_or_dropped() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    // Every key gets a 200 ms TTL; the writes below keep or drop it.
    for k in [
        "incr", "append", "setrange", "keepttl", "float", "set", "getset", "getex", "mset",
    ] {
        assert_eq!(c.cmd(&["SET", k, "1", "PX", "200"]), OK);
    }
    assert_eq!(c.cmd(&["SETEX", "setex", "1", "v"]), OK);
    assert_eq!(c.cmd(&["PSETEX", "psetex", "200", "v"]), OK);
    assert_eq!(c.cmd(&["SET", "exset", "v"]), OK);
    assert_eq!(c.cmd(&["GETEX", "exset", "PX", "200"]), bulk("v"));
    assert_eq!(c.cmd(&["INCR", "incr"]), ":2\r\n");
    assert_eq!(c.cmd(&["APPEND", "append", "x"]), ":2\r\n");
    assert_eq!(c.cmd(&["SETRANGE", "setrange", "1", "x"]), ":2\r\n");
    assert_eq!(c.cmd(&["SET", "keepttl", "2", "KEEPTTL"]), OK);
    assert_eq!(c.cmd(&["INCRBYFLOAT", "float", "0.5"]), bulk("1.5"));
    assert_eq!(c.cmd(&["SET", "set", "2"]), OK);
    assert_eq!(c.cmd(&["GETSET", "getset", "2"]), bulk("1"));
    assert_eq!(c.cmd(&["GETEX", "getex", "PERSIST"]), bulk("1"));
    assert_eq!(c.cmd(&["MSET", "mset", "2"]), OK);
    std::thread::sleep(std::time::Duration::from_millis(1300));
    for k in [
        "incr", "append", "setrange", "keepttl", "float", "setex", "psetex", "exset",
    ] {
        assert_eq!(c.cmd(&["GET", k]), NULL, "{k} should have expired");
    }
    for k in ["set", "getset", "mset"] {
        assert_eq!(
            c.cmd(&["GET", k]),
            bulk("2"),
            "{k} should have lost its TTL"
        );
    }
    assert_eq!(c.cmd(&["GET", "getex"]), bulk("1"));
    // SETNX on an expired key succeeds.
    assert_eq!(c.cmd(&["SETNX", "incr", "new"]), ":1\r\n");
}

#[test]
fn mget_mset_msetnx() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["MSET", "a", "1", "b", "foo bar"]), OK);
    assert_eq!(
        c.cmd(&["MGET", "a", "nope", "b"]),
        format!("*3\r\n{}{NULL}{}", bulk("1"), bulk("foo bar"))
    );
    assert_eq!(
        c.cmd(&["MSET", "a", "1", "b"]),
        "-ERR wrong number of arguments for 'mset' command\r\n"
    );
    assert_eq!(
        c.cmd(&["MSETNX", "a", "1", "b"]),
        "-ERR wrong number of arguments for 'msetnx' command\r\n"
    );
    assert_eq!(c.cmd(&["MSETNX", "x", "1", "a", "2"]), ":0\r\n");
    assert_eq!(c.cmd(&["GET", "x"]), NULL);
    assert_eq!(c.cmd(&["MSETNX", "x", "1", "x", "2"]), ":1\r\n");
    assert_eq!(c.cmd(&["GET", "x"]), bulk("2"));
}

#[test]
fn append_strlen_ranges() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["APPEND", "a", "hello"]), ":5\r\n");
    assert_eq!(c.cmd(&["APPEND", "a", " world"]), ":11\r\n");
    assert_eq!(c.cmd(&["GET", "a"]), bulk("hello world"));
    assert_eq!(c.cmd(&["STRLEN", "a"]), ":11\r\n");
    assert_eq!(c.cmd(&["STRLEN", "nope"]), ":0\r\n");
    assert_eq!(c.cmd(&["SET", "i", "-555"]), OK);
    assert_eq!(c.cmd(&["STRLEN", "i"]), ":4\r\n");
    assert_eq!(c.cmd(&["APPEND", "i", "1"]), ":5\r\n");
    assert_eq!(c.cmd(&["GET", "i"]), bulk("-5551"));
    // GETRANGE / SUBSTR
    assert_eq!(c.cmd(&["GETRANGE", "nope", "0", "-1"]), bulk(""));
    assert_eq!(c.cmd(&["GETRANGE", "a", "0", "3"]), bulk("hell"));
    assert_eq!(c.cmd(&["GETRANGE", "a", "-4", "-1"]), bulk("orld"));
    assert_eq!(c.cmd(&["GETRANGE", "a", "5", "3"]), bulk(""));
    assert_eq!(
        c.cmd(&["GETRANGE", "a", "-5000", "10000"]),
        bulk("hello world")
    );
    assert_eq!(
        c.cmd(&["GETRANGE", "a", "0", "4294967297"]),
        bulk("hello world")
    );
    assert_eq!(c.cmd(&["SUBSTR", "i", "1", "2"]), bulk("55"));
    assert_eq!(
        c.cmd(&["GETRANGE", "a", "x", "1"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // SETRANGE
    assert_eq!(c.cmd(&["SETRANGE", "r", "1", "foo"]), ":4\r\n");
    assert_eq!(c.cmd(&["GET", "r"]), bulk("\0foo"));
    assert_eq!(c.cmd(&["SETRANGE", "r0", "0", ""]), ":0\r\n");
    assert_eq!(c.cmd(&["GET", "r0"]), NULL);
    assert_eq!(c.cmd(&["SETRANGE", "r", "0", ""]), ":4\r\n");
    assert_eq!(c.cmd(&["SETRANGE", "r", "6", "x"]), ":7\r\n");
    assert_eq!(c.cmd(&["GET", "r"]), bulk("\0foo\0\0x"));
    assert_eq!(c.cmd(&["SET", "n", "1234"]), OK);
    assert_eq!(c.cmd(&["SETRANGE", "n", "1", "3"]), ":4\r\n");
    assert_eq!(c.cmd(&["GET", "n"]), bulk("1334"));
    assert_eq!(
        c.cmd(&["SETRANGE", "n", "-1", "x"]),
        "-ERR offset is out of range\r\n"
    );
    let big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    for off in ["536870908", "2147483647", "9223372036854775807"] {
        assert_eq!(c.cmd(&["SETRANGE", "n", off, "world"]), big);
        assert_eq!(c.cmd(&["SETRANGE", "fresh", off, "world"]), big);
    }
    assert_eq!(c.cmd(&["GET", "fresh"]), NULL);
}

#[test]
fn counters() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["INCR", "n"]), ":1\r\n");
    assert_eq!(c.cmd(&["GET", "n"]), bulk("1"));
    assert_eq!(c.cmd(&["INCRBY", "n", "17179869184"]), ":17179869185\r\n");
    assert_eq!(c.cmd(&["DECRBY", "n", "17179869186"]), ":-1\r\n");
    assert_eq!(c.cmd(&["DECR", "n"]), ":-2\r\n");
    let notint = "-ERR value is not an integer or out of range\r\n";
    for v in ["    11", "11    ", "1.5", "012", ""] {
        assert_eq!(c.cmd(&["SET", "s", v]), OK);
        assert_eq!(c.cmd(&["INCR", "s"]), notint, "{v:?}");
    }
    assert_eq!(c.cmd(&["INCRBY", "n", "x"]), notint);
    let of = "-ERR increment or decrement would overflow\r\n";
    assert_eq!(c.cmd(&["SET", "m", "9223372036854775807"]), OK);
    assert_eq!(c.cmd(&["INCR", "m"]), of);
    assert_eq!(c.cmd(&["SET", "m", "-9223372036854775808"]), OK);
    assert_eq!(c.cmd(&["DECR", "m"]), of);
    assert_eq!(c.cmd(&["INCRBY", "m", "-1"]), of);
    assert_eq!(
        c.cmd(&["DECRBY", "m", "-9223372036854775808"]),
        "-ERR decrement would overflow\r\n"
    );
    assert_eq!(c.cmd(&["GET", "m"]), bulk("-9223372036854775808"));
    // INCRBYFLOAT
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "1"]), bulk("1"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "0.25"]), bulk("1.25"));
    assert_eq!(c.cmd(&["SET", "f", "1.5"]), OK);
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "1.1"]), bulk("2.6"));
    assert_eq!(c.cmd(&["SET", "f", "17179869184"]), OK);
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "1.5"]), bulk("17179869185.5"));
    assert_eq!(c.cmd(&["SET", "f", "1"]), OK);
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "-1.1"]), bulk("-0.1"));
    let notf = "-ERR value is not a valid float\r\n";
    for v in ["    11", "11 ", "abc"] {
        assert_eq!(c.cmd(&["SET", "s", v]), OK);
        assert_eq!(c.cmd(&["INCRBYFLOAT", "s", "1"]), notf, "{v:?}");
    }
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "x"]), notf);
    assert_eq!(c.cmd(&["SET", "z", "1"]), OK);
    assert_eq!(c.cmd(&["SETRANGE", "z", "2", "2"]), ":3\r\n");
    assert_eq!(c.cmd(&["INCRBYFLOAT", "z", "1"]), notf, "embedded NUL");
    assert_eq!(
        c.cmd(&["INCRBYFLOAT", "f", "+inf"]),
        "-ERR increment would produce NaN or Infinity\r\n"
    );
    assert_eq!(
        c.cmd(&["INCRBYFLOAT", "nz", "0.024390243902439025"]),
        bulk("0.02439024390243902")
    );
    assert_eq!(
        c.cmd(&["INCRBYFLOAT", "nz", "-0.024390243902439025"]),
        bulk("0")
    );
}

#[test]
fn lcs_replies() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["SET", "a", "ohmytext"]), OK);
    assert_eq!(c.cmd(&["SET", "b", "mynewtext"]), OK);
    assert_eq!(c.cmd(&["LCS", "a", "b"]), bulk("mytext"));
    assert_eq!(c.cmd(&["LCS", "a", "b", "LEN"]), ":6\r\n");
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
        format!(
            "*4\r\n{}*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n{}:6\r\n",
            bulk("matches"),
            bulk("len")
        )
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "LEN"]),
        "-ERR If you want both the length and indexes, please just use IDX.\r\n"
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "MINMATCHLEN"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["LCS", "a", "nope"]), bulk(""));
}

#[test]
fn big_values() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let v = "abcd".repeat(1_000_000);
    assert_eq!(c.cmd(&["SET", "big", &v]), OK);
    assert_eq!(c.cmd(&["GET", "big"]), bulk(&v));
    assert_eq!(c.cmd(&["APPEND", "big", "xyz"]), ":4000003\r\n");
    assert_eq!(c.cmd(&["GETRANGE", "big", "-5", "-1"]), bulk("cdxyz"));
    assert_eq!(c.cmd(&["SETRANGE", "big", "3999999", "Q"]), ":4000003\r\n");
    assert_eq!(c.cmd(&["GETRANGE", "big", "3999998", "-1"]), bulk("cQxyz"));
    // LCS refuses tables larger than proto-max-bulk-len.
    let a = "a".repeat(20_000);
    assert_eq!(c.cmd(&["SET", "la", &a]), OK);
    assert_eq!(c.cmd(&["SET", "lb", &a]), OK);
    assert_eq!(
        c.cmd(&["LCS", "la", "lb", "LEN"]),
        "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
    );
}
