//! The quicklist against redis-server: the same random list commands under
//! several node fills, compress depths and plain-node thresholds, replies
//! compared byte for byte, and the node layout DEBUG OBJECT reports
//! (`ql_nodes`, `ql_avg_node`, `ql_uncompressed_size`) compared too, since
//! our nodes are meant to split and merge exactly as Redis's.

mod common;

use common::{Conn, Server, redis_bin};

const ARGS: &[&str] = &["--enable-debug-command", "yes"];

/// The ql_* fields of DEBUG OBJECT (the address and lru differ).
fn layout(c: &mut Conn, key: &str) -> String {
    let line = c.cmd(&["DEBUG", "OBJECT", key]);
    line.split(' ')
        .filter(|f| f.starts_with("ql_") || f.starts_with("encoding:"))
        .collect::<Vec<_>>()
        .join(" ")
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn value(r: &mut Rng) -> String {
    match r.below(5) {
        0 => r.below(30).to_string(),
        1 => format!("v{}", r.below(8)),
        2 => "x".repeat(20 + r.below(200) as usize),
        3 => format!("{}-{}", "abc".repeat(r.below(40) as usize), r.below(5)),
        _ => "y".repeat(1 + r.below(12) as usize),
    }
}

/// A random list command on key `l`.
fn command(r: &mut Rng) -> Vec<String> {
    let s = |x: &str| x.to_string();
    let idx = |r: &mut Rng| (r.below(40) as i64 - 20).to_string();
    match r.below(16) {
        0..=2 => vec![s("LPUSH"), s("l"), value(r), value(r)],
        3..=5 => vec![s("RPUSH"), s("l"), value(r)],
        6 => vec![s("LPOP"), s("l")],
        7 => vec![s("RPOP"), s("l"), r.below(3).to_string()],
        8 | 9 => {
            let dir = if r.below(2) == 0 { "BEFORE" } else { "AFTER" };
            vec![s("LINSERT"), s("l"), s(dir), value(r), value(r)]
        }
        10 | 11 => vec![s("LSET"), s("l"), idx(r), value(r)],
        12 => vec![
            s("LREM"),
            s("l"),
            (r.below(5) as i64 - 2).to_string(),
            value(r),
        ],
        13 => vec![
            s("LTRIM"),
            s("l"),
            r.below(3).to_string(),
            (-(r.below(3) as i64) - 1).to_string(),
        ],
        14 => vec![s("LINDEX"), s("l"), idx(r)],
        _ => vec![
            s("LPOS"),
            s("l"),
            value(r),
            s("RANK"),
            s("-1"),
            s("COUNT"),
            s("0"),
        ],
    }
}

#[test]
fn random_commands_match_redis_with_node_layout() {
    let Some(bin) = redis_bin() else {
        return;
    };
    let ours = Server::start(ARGS);
    let theirs = Server::start_bin(&bin, ARGS);
    let mut a = ours.conn();
    let mut b = theirs.conn();
    let settings: &[(&str, &str, &str)] = &[
        ("-2", "0", "0"),
        ("4", "1", "0"),
        ("-1", "2", "0"),
        ("3", "1", "20b"),
        ("1", "2", "10b"),
        ("16", "0", "100b"),
        ("-2", "1", "50b"),
    ];
    for (round, (fill, depth, threshold)) in settings.iter().enumerate() {
        let mut r = Rng(round as u64 * 7919 + 17);
        for c in [&mut a, &mut b] {
            c.cmd(&["DEL", "l"]);
            c.cmd(&["CONFIG", "SET", "list-max-listpack-size", fill]);
            c.cmd(&["CONFIG", "SET", "list-compress-depth", depth]);
            assert_eq!(
                c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", threshold]),
                "+OK\r\n"
            );
        }
        for step in 0..600 {
            let cmd = command(&mut r);
            let args: Vec<&[u8]> = cmd.iter().map(|x| x.as_bytes()).collect();
            let ra = String::from_utf8_lossy(&a.cmd_raw(&args)).into_owned();
            let rb = String::from_utf8_lossy(&b.cmd_raw(&args)).into_owned();
            let ctx = format!("settings {fill}/{depth}/{threshold} step {step} {cmd:?}");
            assert_eq!(ra, rb, "{ctx}");
            let ra = a.cmd(&["LRANGE", "l", "0", "-1"]);
            assert_eq!(ra, b.cmd(&["LRANGE", "l", "0", "-1"]), "{ctx}");
            assert_eq!(layout(&mut a, "l"), layout(&mut b, "l"), "{ctx}");
        }
    }
    for c in [&mut a, &mut b] {
        c.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]);
    }
}

#[test]
fn packed_threshold_arguments_as_redis() {
    let Some(bin) = redis_bin() else {
        return;
    };
    let ours = Server::start(ARGS);
    let theirs = Server::start_bin(&bin, ARGS);
    let mut a = ours.conn();
    let mut b = theirs.conn();
    for arg in [
        "1b",
        "0",
        "4gb",
        "5gb",
        "-1",
        "abc",
        "1k",
        "10mb",
        "",
        "b",
        "+5",
        "99999999999999999999999b",
        "3Kb",
    ] {
        let want = b.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", arg]);
        assert_eq!(
            a.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", arg]),
            want,
            "{arg}"
        );
    }
    let want = b.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD"]);
    assert_eq!(a.cmd(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD"]), want);
    for c in [&mut a, &mut b] {
        c.cmd(&["RPUSH", "l", "a", "b"]);
        c.cmd(&["HSET", "h", "f", "v"]);
    }
    for cmd in [
        &["DEBUG", "QUICKLIST", "l"][..],
        &["DEBUG", "QUICKLIST", "l", "1"],
        &["DEBUG", "QUICKLIST", "h"],
        &["DEBUG", "QUICKLIST", "nokey"],
        &["DEBUG", "QUICKLIST", "l", "1", "2"],
        &["DEBUG", "LISTPACK", "h"],
        &["DEBUG", "LISTPACK", "l"],
        &["DEBUG", "LISTPACK", "nokey"],
    ] {
        assert_eq!(a.cmd(cmd), b.cmd(cmd), "{cmd:?}");
    }
}
