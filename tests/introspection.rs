//! Black-box tests of COMMAND, INFO, CONFIG, DEBUG, TIME and SHUTDOWN.

mod common;

use std::time::{Duration, Instant};

use common::{Conn, Server};

/// Value of `field` in an INFO reply.
fn info_field(info: &str, field: &str) -> Option<String> {
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.to_string())
}

fn wait_exit(s: &mut Server) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(st)) = s.child.try_wait() {
            return st.code();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn command_count_matches_command_and_list() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let count: usize = c.cmd(&["COMMAND", "COUNT"])[1..].trim().parse().unwrap();
    let all = c.cmd(&["COMMAND"]);
    assert!(all.starts_with(&format!("*{count}\r\n")), "{all}");
    let list = c.cmd(&["COMMAND", "LIST"]);
    assert!(list.contains("$10\r\nconfig|get\r\n"));
    assert!(list.contains("$3\r\nget\r\n"));
    // Parents and subcommands: more entries than top-level commands.
    let n: usize = list[1..list.find('\r').unwrap()].parse().unwrap();
    assert!(n > count);
    let p = c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*re*"]);
    assert!(p.contains("config|resetstat"));
    let acl = c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "STRING"]);
    assert!(acl.contains("$3\r\nget\r\n") && !acl.contains("config"));
    assert_eq!(
        c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"]),
        "*0\r\n"
    );
    assert_eq!(c.cmd(&["COMMAND", "LIST", "bad"]), "-ERR syntax error\r\n");
}

#[test]
fn command_info_docs_getkeys() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let r = c.cmd(&[
        "COMMAND",
        "INFO",
        "get",
        "nosuch",
        "get|key",
        "config|get|x",
    ]);
    assert!(r.starts_with("*4\r\n*10\r\n$3\r\nget\r\n:2\r\n"), "{r}");
    assert!(r.ends_with("$-1\r\n$-1\r\n$-1\r\n"), "{r}");
    let d = c.cmd(&["COMMAND", "DOCS", "get", "nosuch"]);
    assert!(d.starts_with("*2\r\n$3\r\nget\r\n") && d.contains("Get the value of a key"));
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get", "key"]),
        "*1\r\n$3\r\nkey\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "lcs", "key1", "key2"]),
        "*2\r\n$4\r\nkey1\r\n$4\r\nkey2\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1"]),
        "*1\r\n*2\r\n$2\r\nk1\r\n*2\r\n+OW\r\n+update\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "mset", "k1", "v1", "k2", "v2"]),
        "*2\r\n*2\r\n$2\r\nk1\r\n*2\r\n+OW\r\n+update\r\n*2\r\n$2\r\nk2\r\n*2\r\n+OW\r\n+update\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "ping", "x"]),
        "-ERR The command has no key arguments\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "nosuch", "x"]),
        "-ERR Invalid command specified\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]),
        "-ERR Invalid number of arguments specified for command\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "mset", "a", "b", "c"]),
        "*2\r\n$1\r\na\r\n$1\r\nc\r\n"
    );
}

#[test]
fn info_sections_and_stats() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let verbatim = |r: String| r.split_once("\r\n").unwrap().1.to_string();
    let info = verbatim(c.cmd(&["INFO"]));
    for f in [
        "redis_version",
        "cinnabar_version",
        "run_id",
        "tcp_port",
        "connected_clients",
        "used_memory",
        "used_memory_peak",
        "mem_fragmentation_ratio",
        "loading",
        "rdb_changes_since_last_save",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "keyspace_hits",
        "role",
        "master_replid",
        "used_cpu_user",
        "cluster_enabled",
    ] {
        assert!(info_field(&info, f).is_some(), "missing {f}");
    }
    assert_eq!(info_field(&info, "redis_version").unwrap(), "7.0.15");
    assert_eq!(info_field(&info, "tcp_port").unwrap(), s.port.to_string());
    assert!(info.contains("# Modules\r\n"));
    assert!(!info.contains("rejected_calls"));
    let all = verbatim(c.cmd(&["INFO", "all"]));
    assert!(all.contains("# Commandstats\r\n") && all.contains("rejected_calls"));
    let cpu = verbatim(c.cmd(&["INFO", "CPU"]));
    assert!(cpu.starts_with("# CPU\r\n") && !cpu.contains("used_memory"));
    let two = verbatim(c.cmd(&["INFO", "cpu", "default"]));
    assert_eq!(two.matches("used_cpu_user_children").count(), 1);
    assert_eq!(c.cmd(&["INFO", "nosuch"]), "$0\r\n\r\n");

    // Command and error statistics.
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["SET", "k"]);
    c.cmd(&["GET", "k"]);
    c.cmd(&["GET", "nokey"]);
    c.cmd(&["NOSUCH"]);
    c.cmd(&["INCR", "k"]);
    let st = verbatim(c.cmd(&["INFO", "commandstats", "errorstats", "stats", "keyspace"]));
    let set = info_field(&st, "cmdstat_set").unwrap();
    assert!(
        set.starts_with("calls=1,") && set.ends_with(",rejected_calls=1,failed_calls=0"),
        "{set}"
    );
    assert!(
        info_field(&st, "cmdstat_get")
            .unwrap()
            .starts_with("calls=2,")
    );
    assert!(
        info_field(&st, "cmdstat_incr")
            .unwrap()
            .ends_with("failed_calls=1")
    );
    // RESETSTAT itself is counted after it ran, as in Redis.
    assert!(
        info_field(&st, "cmdstat_config|resetstat")
            .unwrap()
            .starts_with("calls=1,")
    );
    assert_eq!(info_field(&st, "errorstat_ERR").unwrap(), "count=3");
    assert_eq!(info_field(&st, "total_error_replies").unwrap(), "3");
    assert_eq!(info_field(&st, "keyspace_hits").unwrap(), "1");
    assert_eq!(info_field(&st, "keyspace_misses").unwrap(), "1");
    assert_eq!(
        info_field(&st, "db0").unwrap(),
        "keys=1,expires=0,avg_ttl=0"
    );
    c.cmd(&["CONFIG", "RESETSTAT"]);
    let st = verbatim(c.cmd(&["INFO", "commandstats", "errorstats"]));
    assert!(!st.contains("cmdstat_set") && !st.contains("errorstat_ERR"));

    // RESP3: a verbatim string.
    c.cmd(&["HELLO", "3"]);
    assert!(c.cmd(&["INFO", "server"]).starts_with('='));
}

#[test]
fn config_get_set() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "timeout"]),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "timeout", "30", "maxmemory", "1mb"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "timeout", "maxmemory"]),
        "*4\r\n$7\r\ntimeout\r\n$2\r\n30\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n"
    );
    // Atomic: one bad value changes nothing.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "timeout", "5", "hz", "x"]),
        "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n"
    );
    assert!(
        c.cmd(&["CONFIG", "GET", "timeout"])
            .ends_with("$2\r\n30\r\n")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "daemonize", "yes"]),
        "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "nosuch", "1"]),
        "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "1", "hz", "2"]),
        "-ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter\r\n"
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "1000"]), "+OK\r\n");
    assert!(c.cmd(&["CONFIG", "GET", "hz"]).ends_with("$3\r\n500\r\n"));
    // Aliases and patterns.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "slave-read-only", "no"]),
        "+OK\r\n"
    );
    assert!(
        c.cmd(&["CONFIG", "GET", "replica-read-only"])
            .ends_with("$2\r\nno\r\n")
    );
    let p = c.cmd(&["CONFIG", "GET", "*read-only"]);
    assert!(p.starts_with("*4\r\n") && p.contains("slave-read-only"));
    // dir is the absolute working directory; protected by default.
    let dir = c.cmd(&["CONFIG", "GET", "dir"]);
    assert!(
        dir.contains(&*s.dir.canonicalize().unwrap().to_string_lossy()),
        "{dir}"
    );
    assert!(
        c.cmd(&["CONFIG", "SET", "dir", "/tmp"])
            .contains("can't set protected config")
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "loglevel", "warning"]), "+OK\r\n");
    assert!(c.cmd(&["CONFIG", "HELP"]).starts_with("*11\r\n"));
}

#[test]
fn config_set_dir_when_allowed() {
    let s = Server::start(&["--enable-protected-configs", "yes"]);
    let mut c = s.conn();
    let sub = s.dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let sub = sub.canonicalize().unwrap();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dir", sub.to_str().unwrap()]),
        "+OK\r\n"
    );
    assert!(
        c.cmd(&["CONFIG", "GET", "dir"])
            .contains(sub.to_str().unwrap())
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dir", "/nonexistent/x"]),
        "-ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory\r\n"
    );
}

#[test]
fn debug_gated_and_working() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert!(
        c.cmd(&["DEBUG", "SLEEP", "0"])
            .starts_with("-ERR DEBUG command not allowed.")
    );
    let r = s.conn().cmd(&["INFO", "commandstats"]);
    assert!(r.contains("cmdstat_debug:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1"));
    drop(s);

    let s = Server::start(&["--enable-debug-command", "local"]);
    let mut c = s.conn();
    let mut other = s.conn();
    // DEBUG SLEEP blocks the whole server.
    other.send_raw(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.3\r\n");
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(other.read_reply(), b"+OK\r\n");

    c.cmd(&["SET", "n", "123"]);
    c.cmd(&["SET", "s", "hello"]);
    let o = c.cmd(&["DEBUG", "OBJECT", "n"]);
    assert!(
        o.starts_with("+Value at:0x")
            && o.contains(" refcount:2147483647 encoding:int serializedlength:2 lru:"),
        "{o}"
    );
    let o = c.cmd(&["DEBUG", "OBJECT", "s"]);
    assert!(
        o.contains(" refcount:1 encoding:embstr serializedlength:6 lru:"),
        "{o}"
    );
    assert_eq!(c.cmd(&["DEBUG", "OBJECT", "nokey"]), "-ERR no such key\r\n");
    assert_eq!(
        c.cmd(&["DEBUG", "NOSUCH"]),
        "-ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP.\r\n"
    );
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "10", "p"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "p:9"]), "$7\r\nvalue:9\r\n");
    assert_eq!(
        c.cmd(&["DEBUG", "POPULATE", "-1"]),
        "-ERR value is out of range, must be positive\r\n"
    );

    // Without active expiry, an untouched expired key stays in the keyspace.
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    c.cmd(&["SET", "e", "v", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    let ks = c.cmd(&["INFO", "keyspace"]);
    assert!(ks.contains("expires=1"), "{ks}");
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), "+OK\r\n");
    assert_eq!(c.cmd(&["DEBUG", "ERROR", "BOOM x"]), "-BOOM x\r\n");
    c.cmd(&["HELLO", "3"]);
    assert_eq!(c.cmd(&["DEBUG", "PROTOCOL", "true"]), "#t\r\n");
}

#[test]
fn time_reply() {
    let s = Server::start(&[]);
    let r = s.conn().cmd(&["TIME"]);
    let parts: Vec<&str> = r.split("\r\n").collect();
    assert_eq!(parts[0], "*2");
    let secs: u64 = parts[2].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) <= 2);
    assert!(parts[4].parse::<u32>().unwrap() < 1_000_000);
}

#[test]
fn shutdown_exits() {
    let mut s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["SHUTDOWN", "bad"]), "-ERR syntax error\r\n");
    assert_eq!(
        c.cmd(&["SHUTDOWN", "ABORT"]),
        "-ERR No shutdown in progress.\r\n"
    );
    // The final save fails (its directory is gone): refused unless FORCE.
    std::fs::remove_dir_all(&s.dir).unwrap();
    assert_eq!(
        c.cmd(&["SHUTDOWN", "SAVE"]),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    std::fs::create_dir_all(&s.dir).unwrap();
    c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    assert!(c.is_closed());
    assert_eq!(wait_exit(&mut s), Some(0));

    let mut s = Server::start(&[]);
    std::fs::remove_dir_all(&s.dir).unwrap();
    s.conn()
        .send_raw(b"*3\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n$5\r\nFORCE\r\n");
    assert_eq!(wait_exit(&mut s), Some(0));
    // A working save: SHUTDOWN SAVE writes the file.
    let mut s = Server::start(&[]);
    s.conn().cmd(&["SET", "k", "v"]);
    s.conn().send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
    assert_eq!(wait_exit(&mut s), Some(0));
    assert!(s.dir.join("dump.rdb").exists());
}

#[test]
fn config_set_port_moves_the_listener_and_rolls_back_when_taken() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let new_port = common::free_port();
    assert_eq!(
        c.cmd(&["config", "set", "port", &new_port.to_string()]),
        "+OK\r\n"
    );
    let mut moved = Conn::connect(new_port);
    assert_eq!(moved.cmd(&["ping"]), "+PONG\r\n");
    assert!(Conn::try_connect(s.port).is_none(), "old port still open");
    // A port in use: refused, nothing changed (maxmemory neither).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    assert_eq!(
        moved.cmd(&[
            "config",
            "set",
            "maxmemory",
            "10000001",
            "port",
            &taken_port
        ]),
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port\r\n"
    );
    assert_eq!(
        moved.cmd(&["config", "get", "maxmemory"]),
        "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    let mut again = Conn::connect(new_port);
    assert_eq!(again.cmd(&["ping"]), "+PONG\r\n");
    // Back where the test harness expects it, so the server is shut down.
    let back = s.port.to_string();
    assert_eq!(again.cmd(&["config", "set", "port", &back]), "+OK\r\n");
}
