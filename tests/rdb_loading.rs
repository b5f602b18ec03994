//! Loading a dataset while serving clients, and what an RDB carries
//! besides keys: function libraries and the replication history.
//!
//! - During a slow start-up load (`key-load-delay`) clients connect, get
//!   `-LOADING` for ordinary commands, INFO shows the `loading_*` fields
//!   (the same set redis-server shows) and CONFIG works.
//! - Function libraries survive SAVE + restart, DEBUG RELOAD and an AOF
//!   base of either kind; our file passes redis-check-rdb and redis-server
//!   loads its functions.
//! - A master with replicas writes repl-id / repl-offset, and restarted
//!   from that file keeps the history as its replid2.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Conn, Server, cinnabar_bin, info_field, persistence_field, redis_bin};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "cinnabar-rdbload-{tag}-{}-{}",
        std::process::id(),
        common::free_port()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn start_in(bin: &str, dir: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "--dir",
        dir.to_str().unwrap(),
        "--enable-debug-command",
        "yes",
        "--enable-protected-configs",
        "yes",
    ];
    args.extend_from_slice(extra);
    Server::start_bin(bin, &args)
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Save 20000 keys of 100 bytes with `bin`, restart it slowed down by
/// `key-load-delay`, and return what a client sees meanwhile: the INFO
/// persistence field names starting with "loading", and the replies to
/// GET, PING, CONFIG GET and CONFIG SET dir.
fn seen_while_loading(bin: &str) -> (Vec<String>, Vec<String>) {
    let dir = tmpdir("slow");
    {
        let s = start_in(bin, &dir, &[]);
        let mut c = s.conn();
        assert_eq!(
            c.cmd(&["DEBUG", "POPULATE", "20000", "key", "100"]),
            "+OK\r\n"
        );
        assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    }
    let size = std::fs::metadata(dir.join("dump.rdb")).unwrap().len();
    let s = start_in(
        bin,
        &dir,
        &[
            "--key-load-delay",
            "100",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let mut c = s.conn();
    let info = c.cmd(&["INFO", "persistence"]);
    assert!(info.contains("loading:1\r\n"), "{info}");
    assert!(
        info.contains(&format!("loading_total_bytes:{size}\r\n")),
        "{info}"
    );
    let fields: Vec<String> = info
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, _)| k.to_string())
        .filter(|k| k.starts_with("loading"))
        .collect();
    let replies = vec![
        c.cmd(&["GET", "key:1"]),
        c.cmd(&["PING"]),
        c.cmd(&["CONFIG", "GET", "maxmemory"]),
        c.cmd(&["CONFIG", "SET", "dir", "/tmp"]),
        c.cmd(&["CONFIG", "SET", "loglevel", "verbose"]),
    ];
    // A client that connects and leaves during the load is let go.
    drop(Conn::connect(s.port));
    assert_eq!(persistence_field(&mut c, "loading"), "1");
    wait_for("the end of the load", 60, || {
        persistence_field(&mut c, "loading") == "0"
    });
    assert_eq!(c.cmd(&["DBSIZE"]), ":20000\r\n");
    let _ = std::fs::remove_dir_all(&dir);
    (fields, replies)
}

#[test]
fn clients_are_served_while_loading() {
    let (fields, replies) = seen_while_loading(&cinnabar_bin());
    assert_eq!(
        fields,
        [
            "loading",
            "loading_start_time",
            "loading_total_bytes",
            "loading_rdb_used_mem",
            "loading_loaded_bytes",
            "loading_loaded_perc",
            "loading_eta_seconds"
        ]
    );
    let loading = "-LOADING Redis is loading the dataset in memory\r\n";
    assert_eq!(replies[0], loading);
    assert_eq!(replies[1], loading);
    assert_eq!(replies[2], "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    assert_eq!(replies[3], loading);
    assert_eq!(replies[4], "+OK\r\n");
    match redis_bin() {
        Some(redis) => assert_eq!(seen_while_loading(&redis), (fields, replies)),
        None => eprintln!("redis-server not installed: loading state not compared"),
    }
}

const LIB: &str = "#!lua name=mylib\nredis.register_function('hello', function() return 'hi' end)";

fn check_rdb(path: &Path) {
    let Ok(out) = Command::new("redis-check-rdb").arg(path).output() else {
        eprintln!("redis-check-rdb not installed: file not checked");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("RDB looks OK"), "{text}");
}

#[test]
fn functions_survive_restart_reload_and_load_in_redis() {
    let dir = tmpdir("func");
    {
        let s = start_in(&cinnabar_bin(), &dir, &[]);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["FUNCTION", "LOAD", LIB]), "$5\r\nmylib\r\n");
        assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
        assert_eq!(c.cmd(&["FCALL", "hello", "0"]), "$2\r\nhi\r\n");
        // The library is in the file as well as in memory: no merge.
        assert!(
            c.cmd(&["DEBUG", "RELOAD", "NOFLUSH"])
                .starts_with("-ERR Error trying")
        );
        assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOFLUSH", "MERGE"]), "+OK\r\n");
        assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
    }
    check_rdb(&dir.join("dump.rdb"));
    {
        let s = start_in(&cinnabar_bin(), &dir, &[]);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["FCALL", "hello", "0"]), "$2\r\nhi\r\n");
    }
    if let Some(redis) = redis_bin() {
        let s = start_in(&redis, &dir, &[]);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["FCALL", "hello", "0"]), "$2\r\nhi\r\n");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn functions_in_aof_bases() {
    for preamble in ["yes", "no"] {
        let dir = tmpdir("funcaof");
        let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
        {
            let s = start_in(&cinnabar_bin(), &dir, &args);
            let mut c = s.conn();
            assert_eq!(c.cmd(&["FUNCTION", "LOAD", LIB]), "$5\r\nmylib\r\n");
            c.cmd(&["BGREWRITEAOF"]);
            wait_for("the rewrite", 10, || {
                persistence_field(&mut c, "aof_rewrite_in_progress") == "0"
            });
            // The new incremental file holds nothing: the function is in
            // the base only.
            c.cmd(&["SET", "k", "v"]);
        }
        let base = std::fs::read_dir(dir.join("appendonlydir"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().contains(".base."))
            .unwrap();
        let text = std::fs::read(&base).unwrap();
        if preamble == "no" {
            let want = format!(
                "*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n${}\r\n{LIB}\r\n",
                LIB.len()
            );
            assert!(text.starts_with(want.as_bytes()));
        } else {
            assert!(text.starts_with(b"REDIS"));
        }
        let s = start_in(&cinnabar_bin(), &dir, &args);
        let mut c = s.conn();
        assert_eq!(c.cmd(&["FCALL", "hello", "0"]), "$2\r\nhi\r\n");
        assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn master_history_is_saved_and_restored() {
    let dir = tmpdir("repl");
    let (replid, offset) = {
        let m = start_in(&cinnabar_bin(), &dir, &[]);
        let r = Server::start(&[]);
        let mut rc = r.conn();
        rc.cmd(&["REPLICAOF", "127.0.0.1", &m.port.to_string()]);
        let mut c = m.conn();
        wait_for("the replica", 20, || {
            info_field(&mut rc, "replication", "master_link_status") == "up"
        });
        c.cmd(&["SET", "k", "v"]);
        assert_eq!(c.cmd(&["SAVE"]), "+OK\r\n");
        (
            info_field(&mut c, "replication", "master_replid"),
            info_field(&mut c, "replication", "master_repl_offset"),
        )
    };
    let file = std::fs::read(dir.join("dump.rdb")).unwrap();
    let has = |needle: &[u8]| file.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"repl-stream-db"));
    assert!(has(replid.as_bytes()));
    check_rdb(&dir.join("dump.rdb"));
    let m = start_in(&cinnabar_bin(), &dir, &[]);
    let mut c = m.conn();
    assert_eq!(info_field(&mut c, "replication", "master_replid2"), replid);
    assert_eq!(
        info_field(&mut c, "replication", "master_repl_offset"),
        offset
    );
    let second: i64 = info_field(&mut c, "replication", "second_repl_offset")
        .parse()
        .unwrap();
    assert_eq!(second, offset.parse::<i64>().unwrap() + 1);
    assert_eq!(
        info_field(&mut c, "replication", "repl_backlog_active"),
        "1"
    );
    drop(m);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn restarted_replica_continues_by_partial_resync() {
    let dir = tmpdir("replica");
    let m = Server::start(&[]);
    let mport = m.port.to_string();
    let mut mc = m.conn();
    {
        let r = start_in(&cinnabar_bin(), &dir, &[]);
        let mut rc = r.conn();
        rc.cmd(&["REPLICAOF", "127.0.0.1", &mport]);
        wait_for("the replica", 20, || {
            info_field(&mut rc, "replication", "master_link_status") == "up"
        });
        mc.cmd(&["SELECT", "3"]);
        mc.cmd(&["SET", "k", "v"]);
        let offset = info_field(&mut mc, "replication", "master_repl_offset");
        wait_for("the replica's offset", 20, || {
            info_field(&mut rc, "replication", "master_repl_offset") == offset
        });
        assert_eq!(rc.cmd(&["SAVE"]), "+OK\r\n");
    }
    let file = std::fs::read(dir.join("dump.rdb")).unwrap();
    let stream_db = b"\x0erepl-stream-db\xc0\x03";
    assert!(file.windows(stream_db.len()).any(|w| w == stream_db));
    assert_eq!(info_field(&mut mc, "stats", "sync_partial_ok"), "0");
    let r = start_in(&cinnabar_bin(), &dir, &["--replicaof", "127.0.0.1", &mport]);
    let mut rc = r.conn();
    wait_for("the restarted replica", 20, || {
        info_field(&mut rc, "replication", "master_link_status") == "up"
    });
    assert_eq!(info_field(&mut mc, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(&mut mc, "stats", "sync_full"), "1");
    // The stream goes on in the database it had selected.
    mc.cmd(&["SET", "k2", "v2"]);
    rc.cmd(&["SELECT", "3"]);
    wait_for("the write", 20, || rc.cmd(&["GET", "k2"]) == "$2\r\nv2\r\n");
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);
}
