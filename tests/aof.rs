//! The append-only file: durability under SIGKILL with `appendfsync
//! always`, replay equivalence of a mixed workload (relative expiry, float
//! increments, SPOP, transactions, several databases), BGREWRITEAOF's
//! manifest switch, truncated tails, and interoperability with
//! redis-server 7.0.15's `appendonlydir` both ways.

mod common;

use common::{Server, dataset, persistence_field, pipeline, redis_bin, strs};
use std::path::Path;
use std::time::{Duration, Instant};

/// Start `bin` on `dir` (kept across restarts), AOF on, plus `args`.
fn start_in(bin: &str, dir: &Path, args: &[&str]) -> Server {
    let d = dir.to_str().unwrap();
    let mut all = vec!["--appendonly", "yes"];
    all.extend_from_slice(args);
    let mut s = Server::start_bin(bin, &all);
    // Use the shared directory instead of the per-server one.
    let _ = std::fs::remove_dir_all(&s.dir);
    let _ = s.child.kill();
    let _ = s.child.wait();
    s.dir = std::env::temp_dir().join("cinnabar-test-unused");
    let mut all = vec!["--dir", d, "--appendonly", "yes"];
    all.extend_from_slice(args);
    Server::start_bin(bin, &all)
}

/// Stop a server without letting its Drop remove the shared directory.
fn kill(mut s: Server) {
    let _ = s.child.kill();
    let _ = s.child.wait();
    s.dir = std::env::temp_dir().join("cinnabar-test-unused");
}

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cinnabar-aof-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A workload whose replay must give the same data: relative TTLs, float
/// increments, random pops, transactions, several databases.
fn workload() -> Vec<Vec<String>> {
    let mut w = Vec::new();
    for i in 0..200 {
        w.push(strs(&["set", &format!("s{i}"), &format!("v{i}")]));
        w.push(strs(&["incrbyfloat", "f", "0.1"]));
        w.push(strs(&["rpush", "list", &i.to_string()]));
        w.push(strs(&["hincrbyfloat", "h", &format!("f{}", i % 7), "1.5"]));
        w.push(strs(&["sadd", "set", &i.to_string()]));
        w.push(strs(&["zadd", "z", &i.to_string(), &format!("m{i}")]));
    }
    w.push(strs(&["set", "ttl1", "x", "ex", "1000"]));
    w.push(strs(&["setex", "ttl2", "1000", "y"]));
    w.push(strs(&["expire", "s1", "500"]));
    w.push(strs(&["pexpire", "s2", "500000"]));
    w.push(strs(&["set", "gone", "x", "px", "1"]));
    w.push(strs(&["spop", "set"]));
    w.push(strs(&["spop", "set", "5"]));
    w.push(strs(&["lpop", "list", "3"]));
    w.push(strs(&["getdel", "s3"]));
    w.push(strs(&["getex", "s4", "ex", "900"]));
    w.push(strs(&["del", "nosuchkey"]));
    w.push(strs(&["multi"]));
    w.push(strs(&["incr", "counter"]));
    w.push(strs(&["lpush", "list", "a", "b"]));
    w.push(strs(&["exec"]));
    w.push(strs(&["select", "5"]));
    w.push(strs(&["set", "in5", "five"]));
    w.push(strs(&["select", "0"]));
    w.push(strs(&["swapdb", "2", "5"]));
    w
}

#[test]
fn replay_gives_the_same_dataset() {
    let dir = scratch("replay");
    let bin = common::cinnabar_bin();
    let s = start_in(&bin, &dir, &[]);
    let mut c = s.conn();
    for r in pipeline(&mut c, &workload()) {
        assert!(!r.starts_with('-'), "{r}");
    }
    std::thread::sleep(Duration::from_millis(20));
    let before = dataset(&mut c);
    let incr = std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.1.incr.aof"))
        .unwrap()
        .to_lowercase();
    // Effective forms, not the commands as sent.
    assert!(incr.contains("pxat") && incr.contains("pexpireat") && incr.contains("keepttl"));
    assert!(!incr.contains("incrbyfloat") && !incr.contains("spop") && !incr.contains("setex"));
    assert!(!incr.contains("nosuchkey"), "a no-op was appended");
    assert!(incr.contains("multi") && incr.contains("exec"));
    kill(s);
    let s = start_in(&bin, &dir, &[]);
    let mut c = s.conn();
    assert_eq!(dataset(&mut c), before);
    // After a rewrite the new base + incremental give the same data too.
    assert!(
        c.cmd(&["bgrewriteaof"])
            .starts_with("+Background append only file rewriting started")
    );
    let start = Instant::now();
    while persistence_field(&mut c, "aof_rewrite_in_progress") != "0" {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    c.cmd(&["set", "after-rewrite", "1"]);
    let manifest =
        std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest,
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    // The replaced files go in the background (bio), soon.
    let start = Instant::now();
    while dir.join("appendonlydir/appendonly.aof.1.incr.aof").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "history not removed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = dataset(&mut c);
    kill(s);
    let s = start_in(&bin, &dir, &[]);
    let mut c = s.conn();
    assert_eq!(dataset(&mut c), before);
    kill(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn always_fsync_survives_sigkill() {
    let dir = scratch("always");
    let bin = common::cinnabar_bin();
    let s = start_in(&bin, &dir, &["--appendfsync", "always"]);
    let mut c = s.conn();
    let mut acked = 0;
    for i in 0..500 {
        if c.cmd(&["incr", "n"]) == format!(":{}\r\n", i + 1) {
            acked = i + 1;
        }
    }
    kill(s); // SIGKILL: nothing flushed at exit
    let s = start_in(&bin, &dir, &[]);
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&["get", "n"]),
        format!("${}\r\n{acked}\r\n", acked.to_string().len())
    );
    kill(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_tail_is_dropped_or_refused() {
    let dir = scratch("trunc");
    let bin = common::cinnabar_bin();
    let s = start_in(&bin, &dir, &[]);
    let mut c = s.conn();
    c.cmd(&["set", "a", "1"]);
    c.cmd(&["set", "b", "2"]);
    kill(s);
    let incr = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    let mut bytes = std::fs::read(&incr).unwrap();
    bytes.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1");
    std::fs::write(&incr, &bytes).unwrap();
    // The checker sees the cut tail, and --fix repairs a copy of it.
    let check = env!("CARGO_BIN_EXE_cinnabar-check-aof");
    let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
    let out = std::process::Command::new(check)
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("is not valid"));
    let copy = dir.join("copy.aof");
    std::fs::write(&copy, &bytes).unwrap();
    let mut fix = std::process::Command::new(check)
        .args(["--fix", copy.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    fix.stdin.take().unwrap().write_all(b"y\n").unwrap();
    assert!(fix.wait_with_output().unwrap().status.success());
    let fixed = std::fs::read(&copy).unwrap();
    assert!(fixed.len() < bytes.len() && fixed.ends_with(b"$1\r\n2\r\n"));
    // aof-load-truncated no: refused, non-zero exit.
    let out = std::process::Command::new(&bin)
        .args(["--port", &common::free_port().to_string()])
        .args(["--dir", dir.to_str().unwrap()])
        .args(["--appendonly", "yes", "--aof-load-truncated", "no"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Unexpected end of file"));
    // yes (the default): loaded up to the last complete command, file cut.
    let s = start_in(&bin, &dir, &[]);
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&["mget", "a", "b", "c"]),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    );
    kill(s);
    assert!(std::fs::read(&incr).unwrap().len() < bytes.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn appendonlydir_moves_between_redis_and_cinnabar() {
    let Some(redis) = redis_bin() else {
        eprintln!("skipped: redis-server is not installed");
        return;
    };
    let bin = common::cinnabar_bin();
    // Ours → redis-server, and redis-check-aof accepts it.
    let dir = scratch("interop1");
    let s = start_in(&bin, &dir, &[]);
    let mut c = s.conn();
    pipeline(&mut c, &workload());
    assert!(c.cmd(&["bgrewriteaof"]).starts_with('+'));
    std::thread::sleep(Duration::from_millis(300));
    c.cmd(&["set", "post", "rewrite"]);
    c.cmd(&["expire", "post", "1000"]);
    std::thread::sleep(Duration::from_millis(50));
    let before = dataset(&mut c);
    kill(s);
    let check = std::process::Command::new("redis-check-aof")
        .arg(dir.join("appendonlydir/appendonly.aof.manifest"))
        .output();
    if let Ok(out) = check {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let r = start_in(&redis, &dir, &[]);
    let mut rc = r.conn();
    assert_eq!(dataset(&mut rc), before);
    kill(r);
    let _ = std::fs::remove_dir_all(&dir);

    // redis-server → ours.
    let dir = scratch("interop2");
    let r = start_in(&redis, &dir, &[]);
    let mut rc = r.conn();
    pipeline(&mut rc, &workload());
    std::thread::sleep(Duration::from_millis(50));
    let before = dataset(&mut rc);
    kill(r);
    let s = start_in(&bin, &dir, &[]);
    let mut c = s.conn();
    assert_eq!(dataset(&mut c), before);
    kill(s);
    let _ = std::fs::remove_dir_all(&dir);
}
