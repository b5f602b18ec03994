//! Fork-free BGSAVE: the file is the dataset as it was when BGSAVE began,
//! whatever clients do meanwhile (overwrites, deletes, expiry, new keys that
//! make the dict rehash, FLUSHDB, SWAPDB, RENAME); save points, MISCONF,
//! FLUSHALL and the final save at SHUTDOWN.
//!
//! The saved file is read back by redis-server 7.0.15 when it is installed,
//! so the check does not depend on our own loader.

mod common;

use common::{Conn, Server, dataset, persistence_field, pipeline, redis_bin, strs};
use std::time::{Duration, Instant};

fn wait_bgsave(c: &mut Conn) {
    let start = Instant::now();
    while persistence_field(c, "rdb_bgsave_in_progress") == "1" {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "BGSAVE never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bgsave_is_point_in_time() {
    // 20 µs per key paces the walk (the loop never sleeps for it): 30,000
    // keys take about 0.6 s, time for the writes below to race it.
    let srv = Server::start(&["--rdb-key-save-delay", "20"]);
    let mut c = srv.conn();
    let mut fill: Vec<Vec<String>> = Vec::new();
    for i in 0..30000 {
        let v = if i % 3 == 0 {
            i.to_string()
        } else {
            format!("value:{i}:{}", "x".repeat(i % 50))
        };
        fill.push(strs(&["set", &format!("k:{i}"), &v]));
    }
    for i in 0..300 {
        fill.push(strs(&["expire", &format!("k:{i}"), "3600"]));
        fill.push(strs(&["rpush", "list", &i.to_string(), &format!("e{i}")]));
        fill.push(strs(&["hset", "hash", &format!("f{i}"), &i.to_string()]));
        fill.push(strs(&["hset", "smallhash", &format!("f{}", i % 5), "v"]));
        fill.push(strs(&["sadd", "set", &format!("m{i}")]));
        fill.push(strs(&["sadd", "intset", &i.to_string()]));
        fill.push(strs(&["zadd", "zset", &i.to_string(), &format!("z{i}")]));
    }
    for db in 1..4 {
        fill.push(strs(&["select", &db.to_string()]));
        for i in 0..500 {
            fill.push(strs(&["set", &format!("db{db}:{i}"), &i.to_string()]));
        }
    }
    fill.push(strs(&["select", "0"]));
    pipeline(&mut c, &fill);
    let before = dataset(&mut c);
    assert_eq!(before.len(), 30000 + 6 + 1500);

    assert!(c.cmd(&["bgsave"]).starts_with("+Background saving started"));
    assert_eq!(persistence_field(&mut c, "rdb_bgsave_in_progress"), "1");
    let mut writes: Vec<Vec<String>> = Vec::new();
    for i in (0..30000).step_by(7) {
        writes.push(strs(&["set", &format!("k:{i}"), "overwritten"]));
    }
    for i in (1..30000).step_by(11) {
        writes.push(strs(&["del", &format!("k:{i}")]));
    }
    for i in (2..30000).step_by(13) {
        writes.push(strs(&["append", &format!("k:{i}"), "+more"]));
    }
    for i in 0..60000 {
        // New keys: the dict grows and rehashes under the walk.
        writes.push(strs(&["set", &format!("new:{i}"), "n"]));
    }
    writes.push(strs(&["pexpire", "k:3", "1"]));
    writes.push(strs(&["rename", "k:5", "renamed"]));
    writes.push(strs(&["lpush", "list", "pushed"]));
    writes.push(strs(&["hset", "hash", "f1", "changed"]));
    writes.push(strs(&["hdel", "smallhash", "f1"]));
    writes.push(strs(&["srem", "set", "m1"]));
    writes.push(strs(&["sadd", "intset", "not-an-int"]));
    writes.push(strs(&["zincrby", "zset", "100", "z1"]));
    writes.push(strs(&["select", "1"]));
    writes.push(strs(&["flushdb"]));
    writes.push(strs(&["set", "after-flush", "1"]));
    writes.push(strs(&["swapdb", "2", "3"]));
    writes.push(strs(&["select", "2"]));
    writes.push(strs(&["set", "db3:0", "changed-after-swap"]));
    writes.push(strs(&["del", "db3:1"]));
    writes.push(strs(&["select", "0"]));
    for r in pipeline(&mut c, &writes) {
        assert!(!r.starts_with('-'), "write failed: {r}");
    }
    assert_eq!(
        persistence_field(&mut c, "rdb_bgsave_in_progress"),
        "1",
        "the writes must race the snapshot"
    );
    wait_bgsave(&mut c);
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert!(
        persistence_field(&mut c, "rdb_last_cow_size")
            .parse::<u64>()
            .unwrap()
            > 0
    );

    // redis-server reads the file: it must hold exactly `before`.
    let check = std::process::Command::new("redis-check-rdb")
        .arg(srv.dir.join("dump.rdb"))
        .output();
    if let Ok(out) = check {
        assert!(
            out.status.success(),
            "redis-check-rdb: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // Both cinnabar and (when installed) redis-server read the file back:
    // it must hold exactly `before`.
    let dir = srv.dir.to_str().unwrap().to_string();
    let mut readers = vec![common::cinnabar_bin()];
    match redis_bin() {
        Some(r) => readers.push(r),
        None => eprintln!("redis-server is not installed: checked with cinnabar only"),
    }
    for bin in readers {
        let copy = Server::start_bin(&bin, &["--dir", &dir, "--dbfilename", "dump.rdb"]);
        let mut r = copy.conn();
        let after = dataset(&mut r);
        assert_eq!(after.len(), before.len(), "{bin}: key count differs");
        for (k, v) in &before {
            assert_eq!(after.get(k), Some(v), "{bin}: key {k:?}");
        }
        // This copy shares the directory: stop it without removing the file
        // the next reader needs.
        let mut copy = copy;
        let _ = copy.child.kill();
        let _ = copy.child.wait();
        copy.dir = std::env::temp_dir().join("cinnabar-test-nonexistent");
    }
}

#[test]
fn save_points_flushall_and_misconf() {
    let srv = Server::start(&["--save", "1 1"]);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["set", "a", "1"]), "+OK\r\n");
    let start = Instant::now();
    while persistence_field(&mut c, "rdb_saves") != "1" {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no save point fired"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_bgsave(&mut c);
    assert_eq!(
        persistence_field(&mut c, "rdb_changes_since_last_save"),
        "0"
    );
    assert!(srv.dir.join("dump.rdb").exists());
    assert_eq!(c.cmd(&["bgsave", "bogus"]), "-ERR syntax error\r\n");

    // FLUSHALL with save points saves the empty dataset at once.
    c.cmd(&["set", "b", "2"]);
    let before = std::fs::metadata(srv.dir.join("dump.rdb")).unwrap().len();
    assert_eq!(c.cmd(&["flushall"]), "+OK\r\n");
    let after = std::fs::metadata(srv.dir.join("dump.rdb")).unwrap().len();
    assert!(after < before, "FLUSHALL did not save the empty dataset");
    assert_eq!(
        persistence_field(&mut c, "rdb_changes_since_last_save"),
        "0"
    );

    // A failing background save stops writes (stop-writes-on-bgsave-error).
    std::fs::remove_dir_all(&srv.dir).unwrap();
    assert!(c.cmd(&["bgsave"]).starts_with('-'));
    assert_eq!(persistence_field(&mut c, "rdb_last_bgsave_status"), "err");
    let r = c.cmd(&["set", "x", "1"]);
    assert!(r.starts_with("-MISCONF "), "{r}");
    assert!(c.cmd(&["ping"]).starts_with("-MISCONF "));
    assert_eq!(c.cmd(&["get", "x"]), "$-1\r\n");
    assert_eq!(
        c.cmd(&["config", "set", "stop-writes-on-bgsave-error", "no"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["set", "x", "1"]), "+OK\r\n");
    std::fs::create_dir_all(&srv.dir).unwrap();
}

#[test]
fn shutdown_saves_with_save_points() {
    let srv = Server::start(&["--save", "3600 1"]);
    let mut c = srv.conn();
    c.cmd(&["set", "k", "v"]);
    assert!(!srv.dir.join("dump.rdb").exists());
    c.send_raw(&common::encode(&[b"shutdown"]));
    let mut srv = srv;
    let start = Instant::now();
    while srv.child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(srv.dir.join("dump.rdb").exists());
    // The file is loadable: redis-check-rdb accepts it.
    if let Ok(out) = std::process::Command::new("redis-check-rdb")
        .arg(srv.dir.join("dump.rdb"))
        .output()
    {
        assert!(out.status.success());
    }
}
