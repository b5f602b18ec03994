//! RDB files (every type, streams with their groups too): what cinnabar
//! saves, `redis-check-rdb` accepts and redis-server 7.0 loads with
//! identical contents (every key's type, encoding, contents and expire
//! time; XINFO STREAM FULL for streams); what redis-server saves, cinnabar
//! loads identically; corrupt files are refused at start. The interop tests
//! are skipped (with a message) when redis-server is not installed.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Conn, Server, cinnabar_bin, redis_bin};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "cinnabar-rdb-{tag}-{}-{}",
        std::process::id(),
        common::free_port()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Fill the current server with every type in every encoding, in three
/// databases, with expires and big values.
fn populate(c: &mut Conn) {
    let big: String = (0..200_000)
        .map(|i| (b'a' + (i % 7) as u8) as char)
        .collect();
    let noisy: String = (0..3000u32)
        .map(|i| (b'!' + (i.wrapping_mul(2654435761) >> 7) as u8 % 90) as char)
        .collect();
    for db in ["0", "3", "15"] {
        assert_eq!(c.cmd(&["SELECT", db]), "+OK\r\n");
        c.cmd(&["SET", "int", "12345"]);
        c.cmd(&["SET", "bigint", "-9223372036854775808"]);
        c.cmd(&["SET", "str", "hello world"]);
        c.cmd(&["SET", "numstr", "0123"]);
        c.cmd(&["SET", "big", &big]);
        c.cmd(&["SET", "noisy", &noisy]);
        c.cmd(&["SET", "empty", ""]);
        c.cmd(&["SET", "ttl", "x", "PX", "100000000"]);
        c.cmd(&[
            "RPUSH",
            "list",
            "a",
            "1",
            "-70000",
            "9999999999",
            &noisy,
            "b",
        ]);
        let many: Vec<String> = (0..5000).map(|i| format!("e{i}")).collect();
        let mut args = vec!["RPUSH", "biglist"];
        args.extend(many.iter().map(|s| s.as_str()));
        c.cmd(&args);
        c.cmd(&["RPUSH", "hugeelems", &big, &big, "x"]);
        c.cmd(&["HSET", "hash", "f1", "v1", "f2", "2", "n", "-3"]);
        let mut args = vec!["HSET".to_string(), "bighash".into()];
        for i in 0..600 {
            args.push(format!("field{i}"));
            args.push(format!("{}", i * 7));
        }
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        c.cmd(&a);
        c.cmd(&["HSET", "longvalhash", "f", &noisy]);
        c.cmd(&["SADD", "intset", "1", "-5", "100000", "4000000000"]);
        let mut args = vec!["SADD".to_string(), "bigintset".into()];
        args.extend((0..1000).map(|i| (i * 3).to_string()));
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        c.cmd(&a);
        c.cmd(&["SADD", "strset", "a", "b", "c", "12"]);
        c.cmd(&[
            "ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c", "inf", "d",
        ]);
        let mut args = vec!["ZADD".to_string(), "bigzset".into()];
        for i in 0..400 {
            args.push(format!("{}", i as f64 * 0.37 - 20.0));
            args.push(format!("member{i}"));
        }
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        c.cmd(&a);
        c.cmd(&["ZADD", "longzset", "1", &noisy]);
        c.cmd(&["EXPIRE", "bighash", "5000000"]);
        for i in 1..=230 {
            let n = i.to_string();
            if i % 5 == 0 {
                c.cmd(&[
                    "XADD",
                    "stream",
                    &format!("{i}-{i}"),
                    "other",
                    &n,
                    "x",
                    &noisy,
                ]);
            } else {
                c.cmd(&["XADD", "stream", &format!("{i}-{i}"), "item", &n]);
            }
        }
        c.cmd(&["XDEL", "stream", "3-3", "150-150"]);
        c.cmd(&["XTRIM", "stream", "MINID", "20"]);
        c.cmd(&["XGROUP", "CREATE", "stream", "g", "0"]);
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c1",
            "COUNT",
            "5",
            "STREAMS",
            "stream",
            ">",
        ]);
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c2",
            "COUNT",
            "2",
            "STREAMS",
            "stream",
            ">",
        ]);
        c.cmd(&["XGROUP", "CREATE", "emptystream", "g", "$", "MKSTREAM"]);
    }
    c.cmd(&["SELECT", "0"]);
}

/// Everything about every key, as text, keyed by (db, key).
fn snapshot(c: &mut Conn) -> BTreeMap<(u32, Vec<u8>), String> {
    let mut out = BTreeMap::new();
    for db in 0..16u32 {
        c.cmd(&["SELECT", &db.to_string()]);
        let keys = parse_array(&c.cmd_raw(&[b"KEYS", b"*"]));
        for k in keys {
            let t = String::from_utf8(c.cmd_raw(&[b"TYPE", &k])).unwrap();
            let enc =
                String::from_utf8_lossy(&c.cmd_raw(&[b"OBJECT", b"ENCODING", &k])).into_owned();
            let exp = String::from_utf8(c.cmd_raw(&[b"PEXPIRETIME", &k])).unwrap();
            let mut body: Vec<Vec<u8>> = match t.as_str() {
                "+string\r\n" => vec![c.cmd_raw(&[b"GET", &k])],
                "+list\r\n" => parse_array(&c.cmd_raw(&[b"LRANGE", &k, b"0", b"-1"])),
                "+set\r\n" => {
                    let mut m = parse_array(&c.cmd_raw(&[b"SMEMBERS", &k]));
                    m.sort();
                    m
                }
                "+hash\r\n" => {
                    let flat = parse_array(&c.cmd_raw(&[b"HGETALL", &k]));
                    let mut pairs: Vec<Vec<u8>> = flat
                        .chunks(2)
                        .map(|p| [p[0].clone(), b"=".to_vec(), p[1].clone()].concat())
                        .collect();
                    pairs.sort();
                    pairs
                }
                "+zset\r\n" => {
                    parse_array(&c.cmd_raw(&[b"ZRANGE", &k, b"0", b"-1", b"WITHSCORES"]))
                }
                "+stream\r\n" => vec![c.cmd_raw(&[b"XINFO", b"STREAM", &k, b"FULL"])],
                other => panic!("unexpected type {other}"),
            };
            body.insert(0, format!("{t}{enc}{exp}").into_bytes());
            let text = body
                .iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect::<Vec<_>>()
                .join("|");
            out.insert((db, k), text);
        }
    }
    c.cmd(&["SELECT", "0"]);
    out
}

/// The elements of a flat RESP2 array of bulk strings.
fn parse_array(r: &[u8]) -> Vec<Vec<u8>> {
    assert_eq!(r[0], b'*', "not an array: {}", String::from_utf8_lossy(r));
    let mut pos = r.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut out = Vec::new();
    while pos < r.len() {
        let nl = pos + r[pos..].iter().position(|&b| b == b'\n').unwrap();
        let n: usize = std::str::from_utf8(&r[pos + 1..nl - 1])
            .unwrap()
            .parse()
            .unwrap();
        out.push(r[nl + 1..nl + 1 + n].to_vec());
        pos = nl + 1 + n + 2;
    }
    out
}

fn start_with_file(bin: &str, dir: &Path, file: &str) -> Server {
    let d = dir.to_str().unwrap();
    Server::start_bin(bin, &["--dir", d, "--dbfilename", file])
}

#[test]
fn cinnabar_save_loads_in_redis_identically() {
    let Some(redis) = redis_bin() else {
        eprintln!("skipped: redis-server not installed");
        return;
    };
    let dir = tmpdir("c2r");
    let ours = start_with_file(&cinnabar_bin(), &dir, "ours.rdb");
    let mut c = ours.conn();
    populate(&mut c);
    let want = snapshot(&mut c);
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    let check = Command::new("/usr/bin/redis-check-rdb")
        .arg(dir.join("ours.rdb"))
        .output();
    if let Ok(out) = check {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("RDB looks OK"),
            "{text}"
        );
    }
    drop(c);
    let theirs = start_with_file(&redis, &dir, "ours.rdb");
    let mut r = theirs.conn();
    let got = snapshot(&mut r);
    assert_eq!(got.len(), want.len());
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "key {:?}", k);
    }
    drop(ours);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn redis_save_loads_in_cinnabar_identically() {
    let Some(redis) = redis_bin() else {
        eprintln!("skipped: redis-server not installed");
        return;
    };
    let dir = tmpdir("r2c");
    let theirs = start_with_file(&redis, &dir, "theirs.rdb");
    let mut r = theirs.conn();
    populate(&mut r);
    let want = snapshot(&mut r);
    assert_eq!(r.cmd(&["SAVE"]), "+OK\r\n");
    let ours = start_with_file(&cinnabar_bin(), &dir, "theirs.rdb");
    let mut c = ours.conn();
    let got = snapshot(&mut c);
    assert_eq!(got.len(), want.len());
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "key {:?}", k);
    }
    // And back: what we save from that is what Redis had.
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    assert_eq!(snapshot(&mut c), want);
    drop(theirs);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debug_reload_and_restart_keep_everything() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    populate(&mut c);
    let want = snapshot(&mut c);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(snapshot(&mut c), want);
    assert_eq!(
        c.cmd(&["DBSIZE"]),
        format!(":{}\r\n", want.keys().filter(|k| k.0 == 0).count())
    );
}

#[test]
fn dump_restore_roundtrip_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    populate(&mut c);
    let want = snapshot(&mut c);
    for ((db, key), _) in want.iter().filter(|(k, _)| k.0 == 0) {
        assert_eq!(*db, 0);
        let payload = c.cmd_raw(&[b"DUMP", key]);
        let nl = payload.iter().position(|&b| b == b'\n').unwrap();
        let body = payload[nl + 1..payload.len() - 2].to_vec();
        let ttl = c.cmd_raw(&[b"PEXPIRETIME", key]);
        let ttl = String::from_utf8(ttl[1..ttl.len() - 2].to_vec()).unwrap();
        let ttl = if ttl.starts_with('-') {
            "0".to_string()
        } else {
            ttl
        };
        assert_eq!(
            c.cmd_raw(&[b"RESTORE", key, b"0", &body]),
            b"-BUSYKEY Target key name already exists.\r\n"
        );
        assert_eq!(
            c.cmd_raw(&[
                b"RESTORE",
                key,
                ttl.as_bytes(),
                &body,
                b"REPLACE",
                b"ABSTTL"
            ]),
            b"+OK\r\n"
        );
        let mut bad = body.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert_eq!(
            c.cmd_raw(&[b"RESTORE", b"new", b"0", &bad]),
            b"-ERR DUMP payload version or checksum are wrong\r\n"
        );
    }
    assert_eq!(snapshot(&mut c), want);
    assert_eq!(
        c.cmd(&["RESTORE", "k", "-1", "x"]),
        "-ERR Invalid TTL value, must be >= 0\r\n"
    );
    assert_eq!(c.cmd(&["DUMP", "nokey"]), "$-1\r\n");
}

/// Start cinnabar on `file` in `dir`; it must exit non-zero, logging `want`.
fn refused(dir: &Path, file: &str, want: &str) {
    // A free port may be taken by a parallel test before we bind it: then
    // the server exits for that reason; try again on another port.
    for _ in 0..5 {
        let text = refused_once(dir, file);
        if text.contains("Could not create server TCP listening socket") {
            continue;
        }
        assert!(text.contains(want), "log lacks {want:?}:\n{text}");
        return;
    }
    panic!("no free port for the corrupt-file test");
}

/// One start on a corrupt `file`: it must exit non-zero; returns its log.
fn refused_once(dir: &Path, file: &str) -> String {
    let log = dir.join("log.txt");
    let _ = std::fs::remove_file(&log);
    let port = common::free_port().to_string();
    let mut child = Command::new(cinnabar_bin())
        .args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
        .arg("--dir")
        .arg(dir)
        .args(["--dbfilename", file, "--logfile"])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("server started with a corrupt {file}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    std::fs::read_to_string(&log).unwrap_or_default()
}

#[test]
fn corrupt_files_are_refused_at_start() {
    let dir = tmpdir("corrupt");
    {
        let s = start_with_file(&cinnabar_bin(), &dir, "good.rdb");
        let mut c = s.conn();
        populate(&mut c);
        assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    }
    let good = std::fs::read(dir.join("good.rdb")).unwrap();
    std::fs::write(dir.join("trunc.rdb"), &good[..good.len() / 2]).unwrap();
    refused(&dir, "trunc.rdb", "Unexpected EOF");
    let mut flipped = good.clone();
    let mid = good.len() / 3;
    flipped[mid] ^= 0x5a;
    std::fs::write(dir.join("flip.rdb"), &flipped).unwrap();
    refused(
        &dir,
        "flip.rdb",
        "Terminating server after rdb file reading failure",
    );
    let mut crc = good.clone();
    let n = crc.len();
    crc[n - 3] ^= 1;
    std::fs::write(dir.join("crc.rdb"), &crc).unwrap();
    refused(&dir, "crc.rdb", "RDB CRC error");
    // A bad type byte right after the header and SELECTDB/RESIZEDB.
    let mut bad = b"REDIS0010".to_vec();
    bad.extend_from_slice(&[0xfe, 0x00, 0x30, 0x01, b'k', 0x01, b'v', 0xff]);
    bad.extend_from_slice(&[0; 8]);
    std::fs::write(dir.join("type.rdb"), &bad).unwrap();
    refused(&dir, "type.rdb", "Unknown RDB value type 48");
    let mut v11 = good.clone();
    v11[5..9].copy_from_slice(b"0011");
    std::fs::write(dir.join("v11.rdb"), &v11).unwrap();
    refused(&dir, "v11.rdb", "Can't handle RDB format version 11");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_moves_copies_and_reports_target_errors() {
    let a = Server::start(&[]);
    let b = Server::start(&[]);
    let (mut ca, mut cb) = (a.conn(), b.conn());
    let port = b.port.to_string();
    ca.cmd(&["RPUSH", "l", "x", "y"]);
    ca.cmd(&["SET", "s", "v", "PX", "100000"]);
    assert_eq!(
        ca.cmd(&["MIGRATE", "127.0.0.1", &port, "l", "3", "1000"]),
        "+OK\r\n"
    );
    assert_eq!(ca.cmd(&["EXISTS", "l"]), ":0\r\n");
    cb.cmd(&["SELECT", "3"]);
    assert_eq!(cb.cmd(&["LLEN", "l"]), ":2\r\n");
    assert_eq!(
        ca.cmd(&["MIGRATE", "127.0.0.1", &port, "s", "3", "1000", "COPY"]),
        "+OK\r\n"
    );
    assert_eq!(ca.cmd(&["EXISTS", "s"]), ":1\r\n");
    let pttl = cb.cmd(&["PTTL", "s"]);
    let ms: i64 = pttl.trim()[1..].parse().unwrap();
    assert!((90_000..=100_000).contains(&ms), "{pttl}");
    assert_eq!(
        ca.cmd(&["MIGRATE", "127.0.0.1", &port, "s", "3", "1000"]),
        "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
    );
    assert_eq!(
        ca.cmd(&["MIGRATE", "127.0.0.1", &port, "nokey", "3", "1000"]),
        "+NOKEY\r\n"
    );
    assert_eq!(
        ca.cmd(&["MIGRATE", "127.0.0.1", &port, "s", "3", "1000", "KEYS", "s"]),
        "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n"
    );
    let dead = common::free_port().to_string();
    assert_eq!(
        ca.cmd(&["MIGRATE", "127.0.0.1", &dead, "s", "0", "200"]),
        "-IOERR error or timeout connecting to the client\r\n"
    );
}

/// The list's quicklist nodes go to the file as they are: without LZF the
/// DUMP payload is Redis's byte for byte (our LZF output may differ from
/// liblzf's by a byte here and there, so with compression the payloads are
/// exchanged instead: each side RESTOREs the other's).
#[test]
fn list_nodes_dump_like_redis() {
    let Some(redis) = redis_bin() else {
        eprintln!("skipped: redis-server not installed");
        return;
    };
    for (depth, rdbcompression) in [("0", "no"), ("1", "yes")] {
        let args = [
            "--enable-debug-command",
            "yes",
            "--list-max-listpack-size",
            "4",
            "--list-compress-depth",
            depth,
            "--rdbcompression",
            rdbcompression,
        ];
        let ours = Server::start(&args);
        let theirs = Server::start_bin(&redis, &args);
        let mut dumps = Vec::new();
        let mut lens = Vec::new();
        for s in [&ours, &theirs] {
            let mut c = s.conn();
            for i in 0..50 {
                c.cmd(&[
                    "RPUSH",
                    "l",
                    &format!("element-number-{i:04}-aaaaaaaaaaaaaaaa"),
                ]);
            }
            c.cmd(&["RPUSH", "l", "1", "2", "-3"]);
            let dump = c.cmd_raw(&[b"DUMP", b"l"]);
            let nl = dump.iter().position(|&b| b == b'\n').unwrap();
            dumps.push(dump[nl + 1..dump.len() - 2].to_vec());
            let obj = c.cmd(&["DEBUG", "OBJECT", "l"]);
            lens.push(
                obj.split_whitespace()
                    .find(|w| w.starts_with("serializedlength:"))
                    .unwrap()
                    .to_string(),
            );
        }
        if depth == "0" {
            assert_eq!(dumps[0], dumps[1]);
            assert_eq!(lens[0], lens[1]);
        }
        let (mut co, mut ct) = (ours.conn(), theirs.conn());
        assert_eq!(co.cmd_raw(&[b"RESTORE", b"r", b"0", &dumps[1]]), b"+OK\r\n");
        assert_eq!(ct.cmd_raw(&[b"RESTORE", b"r", b"0", &dumps[0]]), b"+OK\r\n");
        for c in [&mut co, &mut ct] {
            let a = c.cmd(&["LRANGE", "l", "0", "-1"]);
            assert_eq!(c.cmd(&["LRANGE", "r", "0", "-1"]), a);
        }
    }
}

/// RESTORE reaches the AOF with an absolute TTL (ABSTTL), an already
/// expired RESTORE … REPLACE as the DEL it amounts to.
#[test]
fn restore_propagates_effective_form() {
    let s = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = s.conn();
    c.cmd(&["SET", "s", "hello"]);
    let dump = c.cmd_raw(&[b"DUMP", b"s"]);
    let nl = dump.iter().position(|&b| b == b'\n').unwrap();
    let payload = dump[nl + 1..dump.len() - 2].to_vec();
    assert_eq!(
        c.cmd_raw(&[b"RESTORE", b"r", b"5000", &payload]),
        b"+OK\r\n"
    );
    assert_eq!(
        c.cmd_raw(&[b"RESTORE", b"r", b"1", &payload, b"REPLACE", b"ABSTTL"]),
        b"+OK\r\n"
    );
    let mut aof = Vec::new();
    for e in std::fs::read_dir(s.dir.join("appendonlydir")).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".incr.aof") {
            aof.extend(std::fs::read(p).unwrap());
        }
    }
    let text = String::from_utf8_lossy(&aof);
    assert!(text.contains("RESTORE\r\n$1\r\nr\r\n$13\r\n"), "{text}");
    assert!(text.contains("$6\r\nABSTTL\r\n"), "{text}");
    assert!(text.ends_with("*2\r\n$3\r\nDEL\r\n$1\r\nr\r\n"), "{text}");
}

/// Streams of every shape, built in redis-server: many nodes with the
/// master's fields, mixed fields and big values, deleted entries (XDEL and
/// an exact trim leave them inside listpacks), emptied streams, consumer
/// groups with pending entries and consumers, an expire.
fn populate_streams(r: &mut Conn) {
    for i in 1..=250 {
        r.cmd(&["XADD", "s:same", &format!("{i}-1"), "item", &i.to_string()]);
    }
    let big = "v".repeat(5000);
    for i in 1..=60 {
        let n = i.to_string();
        match i % 4 {
            0 => r.cmd(&["XADD", "s:mixed", "*", "a", &n, "b", "-70000"]),
            1 => r.cmd(&["XADD", "s:mixed", "*", "a", &n]),
            2 => r.cmd(&["XADD", "s:mixed", "*", "big", &big, "n", "12345678901234"]),
            _ => r.cmd(&["XADD", "s:mixed", "*", "x", "", "y", &n, "z", "1.5"]),
        };
    }
    for i in 1..=30 {
        r.cmd(&["XADD", "s:deleted", &format!("{i}-0"), "f", &i.to_string()]);
    }
    for id in ["1-0", "7-0", "8-0", "30-0"] {
        r.cmd(&["XDEL", "s:deleted", id]);
    }
    for i in 1..=300 {
        r.cmd(&["XADD", "s:trimmed", "*", "f", &i.to_string()]);
    }
    r.cmd(&["XTRIM", "s:trimmed", "MAXLEN", "125"]);
    r.cmd(&["XADD", "s:approx", "MAXLEN", "~", "50", "*", "f", "0"]);
    for i in 1..=220 {
        r.cmd(&[
            "XADD",
            "s:approx",
            "MAXLEN",
            "~",
            "50",
            "*",
            "f",
            &i.to_string(),
        ]);
    }
    r.cmd(&["XADD", "s:emptied", "5-5", "f", "v"]);
    r.cmd(&["XDEL", "s:emptied", "5-5"]);
    r.cmd(&["XGROUP", "CREATE", "s:mk", "g", "$", "MKSTREAM"]);
    for i in 1..=40 {
        r.cmd(&["XADD", "s:groups", &format!("{i}-0"), "f", &i.to_string()]);
    }
    r.cmd(&["XGROUP", "CREATE", "s:groups", "g1", "0"]);
    r.cmd(&["XGROUP", "CREATE", "s:groups", "g2", "$"]);
    r.cmd(&["XGROUP", "CREATE", "s:groups", "g3", "10-0"]);
    r.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "alice",
        "COUNT",
        "3",
        "STREAMS",
        "s:groups",
        ">",
    ]);
    r.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g1",
        "bob",
        "COUNT",
        "4",
        "STREAMS",
        "s:groups",
        ">",
    ]);
    r.cmd(&["XACK", "s:groups", "g1", "2-0", "5-0"]);
    r.cmd(&["XCLAIM", "s:groups", "g1", "bob", "0", "1-0"]);
    r.cmd(&["XGROUP", "CREATECONSUMER", "s:groups", "g1", "idle"]);
    r.cmd(&[
        "XREADGROUP",
        "GROUP",
        "g3",
        "carol",
        "STREAMS",
        "s:groups",
        ">",
    ]);
    r.cmd(&["XDEL", "s:groups", "20-0"]);
    r.cmd(&["XADD", "s:ttl", "*", "f", "v"]);
    r.cmd(&["PEXPIRE", "s:ttl", "100000000"]);
}

const STREAM_KEYS: &[&str] = &[
    "s:same",
    "s:mixed",
    "s:deleted",
    "s:trimmed",
    "s:approx",
    "s:emptied",
    "s:mk",
    "s:groups",
    "s:ttl",
];

/// What a server says about a stream key without stream commands: type,
/// encoding, expire and DEBUG DIGEST-VALUE.
fn stream_facts(c: &mut Conn, key: &str) -> String {
    [
        c.cmd(&["TYPE", key]),
        c.cmd(&["OBJECT", "ENCODING", key]),
        c.cmd(&["PEXPIRETIME", key]),
        c.cmd(&["DEBUG", "DIGEST-VALUE", key]),
    ]
    .concat()
}

/// The bulk payload of a DUMP reply.
fn dump_of(c: &mut Conn, key: &str) -> Vec<u8> {
    let payload = c.cmd_raw(&[b"DUMP", key.as_bytes()]);
    let nl = payload.iter().position(|&b| b == b'\n').unwrap();
    payload[nl + 1..payload.len() - 2].to_vec()
}

#[test]
fn streams_interoperate_with_redis() {
    let Some(redis) = redis_bin() else {
        eprintln!("skipped: redis-server not installed");
        return;
    };
    let dir = tmpdir("streams");
    let d = dir.to_str().unwrap();
    let debug = ["--enable-debug-command", "yes", "--dir", d];
    let theirs = Server::start_bin(
        &redis,
        &[&debug[..], &["--dbfilename", "theirs.rdb"]].concat(),
    );
    let mut r = theirs.conn();
    populate_streams(&mut r);
    let facts: Vec<String> = STREAM_KEYS
        .iter()
        .map(|k| stream_facts(&mut r, k))
        .collect();
    let full: Vec<Vec<u8>> = STREAM_KEYS
        .iter()
        .map(|k| r.cmd_raw(&[b"XINFO", b"STREAM", k.as_bytes(), b"FULL"]))
        .collect();
    assert!(
        facts[0].starts_with("+stream\r\n$6\r\nstream\r\n"),
        "{}",
        facts[0]
    );
    assert_eq!(r.cmd(&["SAVE"]), "+OK\r\n");

    // Redis's file loads in cinnabar with identical contents.
    let ours = Server::start_bin(
        &cinnabar_bin(),
        &[&debug[..], &["--dbfilename", "theirs.rdb"]].concat(),
    );
    let mut c = ours.conn();
    for (k, want) in STREAM_KEYS.iter().zip(&facts) {
        assert_eq!(&stream_facts(&mut c, k), want, "key {k}");
    }
    // Their DUMP payloads restore in cinnabar, with and without deep
    // sanitization.
    for (i, k) in STREAM_KEYS.iter().enumerate() {
        let p = dump_of(&mut r, k);
        let sanitize = if i % 2 == 0 { "yes" } else { "no" };
        c.cmd(&["CONFIG", "SET", "sanitize-dump-payload", sanitize]);
        let copy = format!("copy:{k}");
        let at = r.cmd(&["PEXPIRETIME", k]);
        let at = at.trim_start_matches(':').trim_end().replace("-1", "0");
        assert_eq!(
            c.cmd_raw(&[b"RESTORE", copy.as_bytes(), at.as_bytes(), &p, b"ABSTTL"]),
            b"+OK\r\n",
            "key {k}"
        );
        assert_eq!(stream_facts(&mut c, &copy), facts[i], "key {k}");
    }

    // cinnabar's file passes redis-check-rdb and loads in Redis with the
    // same XINFO STREAM FULL.
    for k in STREAM_KEYS {
        c.cmd(&["DEL", &format!("copy:{k}")]);
    }
    assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    std::fs::rename(dir.join("theirs.rdb"), dir.join("ours.rdb")).unwrap();
    let check = Command::new("/usr/bin/redis-check-rdb")
        .arg(dir.join("ours.rdb"))
        .output();
    if let Ok(out) = check {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("RDB looks OK"),
            "{text}"
        );
    }
    let back = Server::start_bin(
        &redis,
        &[&debug[..], &["--dbfilename", "ours.rdb"]].concat(),
    );
    let mut b = back.conn();
    for (i, k) in STREAM_KEYS.iter().enumerate() {
        assert_eq!(stream_facts(&mut b, k), facts[i], "key {k}");
        assert_eq!(
            String::from_utf8_lossy(&b.cmd_raw(&[b"XINFO", b"STREAM", k.as_bytes(), b"FULL"])),
            String::from_utf8_lossy(&full[i]),
            "key {k}"
        );
    }
    // And cinnabar's DUMP payloads restore in Redis identically, passing
    // its deep sanitization.
    b.cmd(&["CONFIG", "SET", "sanitize-dump-payload", "yes"]);
    for (i, k) in STREAM_KEYS.iter().enumerate() {
        let p = dump_of(&mut c, k);
        let copy = format!("copy:{k}");
        assert_eq!(
            b.cmd_raw(&[b"RESTORE", copy.as_bytes(), b"0", &p]),
            b"+OK\r\n",
            "key {k}"
        );
        assert_eq!(
            String::from_utf8_lossy(&b.cmd_raw(&[b"XINFO", b"STREAM", copy.as_bytes(), b"FULL"])),
            String::from_utf8_lossy(&full[i]),
            "key {k}"
        );
    }
    drop((theirs, ours, back));
    let _ = std::fs::remove_dir_all(&dir);
}

/// After a reload, stream nodes fill up and trim as before it: a node's
/// deleted entries still count toward `stream-node-max-entries`, and MINID
/// trimming still sees the ID of a node's deleted last entry.
#[test]
fn stream_nodes_survive_reload_like_redis() {
    let Some((ours, theirs)) = common::server_pair(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let script: &[&[&str]] = &[
        &["CONFIG", "SET", "stream-node-max-entries", "10"],
        &["XDEL", "s", "10-0", "9-0", "15-0"],
        &["DEBUG", "RELOAD"],
        &["XADD", "s", "21-0", "f", "v"],
        &["XINFO", "STREAM", "s"],
        &["XTRIM", "s", "MINID", "~", "10-5"],
        &["XINFO", "STREAM", "s"],
        &["XADD", "t", "1-0", "f", "v"],
        &["XADD", "t", "2-0", "f", "v"],
        &["XDEL", "t", "2-0"],
        &["DEBUG", "RELOAD"],
        &["XTRIM", "t", "MINID", "~", "2-0"],
        &["XINFO", "STREAM", "t", "FULL"],
    ];
    let run = |s: &Server| -> Vec<String> {
        let mut c = s.conn();
        for i in 1..=20 {
            c.cmd(&["XADD", "s", &format!("{i}-0"), "f", &i.to_string()]);
        }
        script.iter().map(|cmd| c.cmd(cmd)).collect()
    };
    let (got, want) = (run(&ours), run(&theirs));
    for ((g, w), cmd) in got.iter().zip(&want).zip(script) {
        assert_eq!(g, w, "{cmd:?}");
    }
}
