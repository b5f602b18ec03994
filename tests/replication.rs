//! Replication end to end: cinnabar master + cinnabar replica (data flows,
//! read-only replica, REPLICAOF NO ONE, reconnection with a partial
//! resync, WAIT, chained replicas), and interoperation with redis-server
//! both ways (skipped when redis-server is absent), comparing DEBUG DIGEST.

mod common;

use common::{Conn, Server};
use std::time::{Duration, Instant};

const ARGS: &[&str] = &[
    "--enable-debug-command",
    "yes",
    "--repl-diskless-sync-delay",
    "0",
];

fn field(c: &mut Conn, section: &str, name: &str) -> String {
    let info = c.cmd(&["info", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn link_up(r: &mut Conn) {
    wait_for("master_link_status:up", || {
        field(r, "replication", "master_link_status") == "up"
    });
}

/// Both report the same offset and the same digest.
fn in_sync(m: &mut Conn, r: &mut Conn) {
    wait_for("the replica to catch up", || {
        let mo = field(m, "replication", "master_repl_offset");
        mo == field(r, "replication", "master_repl_offset")
            && m.cmd(&["debug", "digest"]) == r.cmd(&["debug", "digest"])
    });
}

fn replicate(r: &mut Conn, master: &Server) {
    assert_eq!(
        r.cmd(&["replicaof", "127.0.0.1", &master.port.to_string()]),
        "+OK\r\n"
    );
    link_up(r);
}

fn writes(m: &mut Conn) {
    m.cmd(&["set", "s", "v"]);
    m.cmd(&["rpush", "l", "a", "b", "c"]);
    m.cmd(&["hset", "h", "f", "1", "g", "2"]);
    m.cmd(&["zadd", "z", "1", "a", "2.5", "b"]);
    m.cmd(&["sadd", "st", "x", "y"]);
    m.cmd(&["select", "3"]);
    m.cmd(&["set", "k3", "in db 3"]);
    m.cmd(&["incrbyfloat", "f", "1.5"]);
    m.cmd(&["set", "ttl", "x", "ex", "100"]);
    m.cmd(&["select", "0"]);
    m.cmd(&["multi"]);
    m.cmd(&["incr", "n"]);
    m.cmd(&["lpop", "l"]);
    m.cmd(&["exec"]);
}

#[test]
fn data_flows_and_replica_is_read_only() {
    let master = Server::start(ARGS);
    let replica = Server::start(ARGS);
    let mut m = master.conn();
    m.cmd(&["set", "before", "sync"]);
    let mut r = replica.conn();
    replicate(&mut r, &master);
    writes(&mut m);
    in_sync(&mut m, &mut r);
    assert_eq!(r.cmd(&["get", "before"]), "$4\r\nsync\r\n");
    assert_eq!(
        r.cmd(&["set", "x", "1"]),
        "-READONLY You can't write against a read only replica.\r\n"
    );
    // ROLE and INFO on both sides.
    let role = r.cmd(&["role"]);
    assert!(
        role.starts_with("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n"),
        "{role}"
    );
    assert!(role.contains("$9\r\nconnected\r\n"), "{role}");
    let mrole = m.cmd(&["role"]);
    assert!(mrole.starts_with("*3\r\n$6\r\nmaster\r\n"), "{mrole}");
    assert_eq!(field(&mut m, "replication", "connected_slaves"), "1");
    let line = field(&mut m, "replication", "slave0");
    assert!(
        line.starts_with(&format!("ip=127.0.0.1,port={},state=online", replica.port)),
        "{line}"
    );
    assert_eq!(field(&mut r, "replication", "role"), "slave");
    assert_eq!(
        field(&mut r, "replication", "master_replid"),
        field(&mut m, "replication", "master_replid")
    );
    // WAIT: the one replica acknowledges.
    m.cmd(&["set", "w", "1"]);
    assert_eq!(m.cmd(&["wait", "1", "5000"]), ":1\r\n");
    // Asking for more replicas than there are times out with the count.
    let t = Instant::now();
    assert_eq!(m.cmd(&["wait", "2", "300"]), ":1\r\n");
    assert!(t.elapsed() >= Duration::from_millis(250));
    assert!(
        r.cmd(&["wait", "1", "10"])
            .starts_with("-ERR WAIT cannot be used with replica")
    );
}

#[test]
fn replica_serves_stale_data_only_if_told() {
    let replica = Server::start(ARGS);
    let mut r = replica.conn();
    r.cmd(&["set", "k", "v"]);
    r.cmd(&["config", "set", "replica-serve-stale-data", "no"]);
    // Nobody listens on this port: the link stays down.
    let port = common::free_port().to_string();
    assert_eq!(r.cmd(&["replicaof", "127.0.0.1", &port]), "+OK\r\n");
    assert_eq!(
        r.cmd(&["get", "k"]),
        "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
    );
    assert_eq!(field(&mut r, "replication", "master_link_status"), "down");
    r.cmd(&["config", "set", "replica-serve-stale-data", "yes"]);
    assert_eq!(r.cmd(&["get", "k"]), "$1\r\nv\r\n");
    assert_eq!(
        r.cmd(&["replicaof", "127.0.0.1", &port]),
        "+OK Already connected to specified master\r\n"
    );
    assert_eq!(
        r.cmd(&["replicaof", "127.0.0.1", "70000"]),
        "-ERR Invalid master port\r\n"
    );
}

#[test]
fn promotion_and_partial_resync_after_link_loss() {
    let master = Server::start(ARGS);
    let replica = Server::start(ARGS);
    let mut m = master.conn();
    let mut r = replica.conn();
    replicate(&mut r, &master);
    writes(&mut m);
    in_sync(&mut m, &mut r);
    // The master drops the replica: it reconnects and continues from the
    // backlog (no second full sync).
    assert_eq!(m.cmd(&["client", "kill", "type", "replica"]), ":1\r\n");
    m.cmd(&["set", "while", "down"]);
    link_up(&mut r);
    in_sync(&mut m, &mut r);
    assert_eq!(field(&mut m, "stats", "sync_full"), "1");
    assert_eq!(field(&mut m, "stats", "sync_partial_ok"), "1");
    assert_eq!(r.cmd(&["get", "while"]), "$4\r\ndown\r\n");
    // Promotion: a new history, the old one kept as replid2.
    let old = field(&mut r, "replication", "master_replid");
    let off: i64 = field(&mut r, "replication", "master_repl_offset")
        .parse()
        .unwrap();
    assert_eq!(r.cmd(&["replicaof", "no", "one"]), "+OK\r\n");
    assert_eq!(field(&mut r, "replication", "role"), "master");
    assert_eq!(field(&mut r, "replication", "master_replid2"), old);
    assert_eq!(
        field(&mut r, "replication", "second_repl_offset"),
        (off + 1).to_string()
    );
    assert_eq!(r.cmd(&["set", "x", "1"]), "+OK\r\n");
}

#[test]
fn master_link_restarts_with_the_master() {
    let mut master = Server::start(ARGS);
    let replica = Server::start(ARGS);
    let mut m = master.conn();
    let mut r = replica.conn();
    replicate(&mut r, &master);
    m.cmd(&["set", "a", "1"]);
    in_sync(&mut m, &mut r);
    // The master goes away: link down, the data stays.
    let _ = master.child.kill();
    let _ = master.child.wait();
    wait_for("master_link_status:down", || {
        field(&mut r, "replication", "master_link_status") == "down"
    });
    assert_eq!(r.cmd(&["get", "a"]), "$1\r\n1\r\n");
    // A new master on the same port: the replica reconnects and takes its
    // (different) dataset.
    let port = master.port.to_string();
    let mut args = ARGS.to_vec();
    args.extend(["--port", &port]);
    master.child = std::process::Command::new(common::cinnabar_bin())
        .args(["--bind", "127.0.0.1", "--save", "", "--dir"])
        .arg(&master.dir)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the new master", || {
        Conn::try_connect(master.port).is_some()
    });
    let mut m = master.conn();
    m.cmd(&["set", "b", "2"]);
    link_up(&mut r);
    in_sync(&mut m, &mut r);
    assert_eq!(r.cmd(&["get", "a"]), "$-1\r\n");
    assert_eq!(r.cmd(&["get", "b"]), "$1\r\n2\r\n");
}

#[test]
fn chained_replica_gets_the_same_stream() {
    let master = Server::start(ARGS);
    let middle = Server::start(ARGS);
    let leaf = Server::start(ARGS);
    let mut m = master.conn();
    let mut a = middle.conn();
    let mut b = leaf.conn();
    replicate(&mut a, &master);
    replicate(&mut b, &middle);
    writes(&mut m);
    in_sync(&mut m, &mut a);
    in_sync(&mut m, &mut b);
}

#[test]
fn replicaof_inside_multi() {
    let s = Server::start(ARGS);
    let mut c = s.conn();
    let port = common::free_port().to_string();
    c.cmd(&["multi"]);
    c.cmd(&["set", "foo2", "bar"]);
    c.cmd(&["replicaof", "127.0.0.1", &port]);
    c.cmd(&["set", "foo3", "bar"]);
    let r = c.cmd(&["exec"]);
    assert_eq!(r, "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
    assert!(c.cmd(&["set", "foo4", "bar"]).starts_with("-READONLY"));
    assert_eq!(c.cmd(&["replicaof", "no", "one"]), "+OK\r\n");
}

fn redis_args() -> Vec<&'static str> {
    vec![
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]
}

#[test]
fn cinnabar_replica_of_redis_master() {
    let Some(bin) = common::redis_bin() else {
        eprintln!("redis-server not installed: skipping");
        return;
    };
    let master = Server::start_bin(&bin, &redis_args());
    let replica = Server::start(ARGS);
    let mut m = master.conn();
    m.cmd(&["set", "before", "sync"]);
    let mut r = replica.conn();
    replicate(&mut r, &master);
    writes(&mut m);
    in_sync(&mut m, &mut r);
    m.cmd(&["set", "w", "1"]);
    assert_eq!(m.cmd(&["wait", "1", "5000"]), ":1\r\n");
}

#[test]
fn redis_replica_of_cinnabar_master() {
    let Some(bin) = common::redis_bin() else {
        eprintln!("redis-server not installed: skipping");
        return;
    };
    let master = Server::start(ARGS);
    let replica = Server::start_bin(&bin, &redis_args());
    let mut m = master.conn();
    m.cmd(&["set", "before", "sync"]);
    let mut r = replica.conn();
    replicate(&mut r, &master);
    writes(&mut m);
    in_sync(&mut m, &mut r);
    m.cmd(&["set", "w", "1"]);
    assert_eq!(m.cmd(&["wait", "1", "5000"]), ":1\r\n");
    // Dropped and back: redis-server continues with PSYNC.
    m.cmd(&["client", "kill", "type", "replica"]);
    m.cmd(&["set", "while", "down"]);
    link_up(&mut r);
    in_sync(&mut m, &mut r);
    assert_eq!(field(&mut m, "stats", "sync_partial_ok"), "1");
}
