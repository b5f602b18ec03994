//! Lua scripting end to end: effects propagation (AOF, wrapped in
//! MULTI/EXEC), EVAL inside MULTI, statistics of commands called from
//! scripts, and a busy script (other clients get -BUSY, SCRIPT KILL,
//! SHUTDOWN NOSAVE).

mod common;

use common::{Conn, Server, read, scenario, send};

fn aof_text(s: &Server) -> String {
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::read_to_string(s.dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap()
}

#[test]
fn script_effects_are_propagated_in_a_transaction() {
    let s = Server::start(&["--appendonly", "yes"]);
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "redis.call('set', KEYS[1], 'a'); redis.call('incr', 'n'); return redis.call('get', 'nokey')",
            "1",
            "k"
        ]),
        "$-1\r\n"
    );
    // A script that writes one key is not wrapped; read-only writes nothing.
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('set','one','1')", "0"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('get','one')", "0"]),
        "$1\r\n1\r\n"
    );
    // REPL_NONE: the effect stays local.
    c.cmd(&[
        "EVAL",
        "redis.set_repl(redis.REPL_NONE); redis.call('set','hidden','1'); return 1",
        "0",
    ]);
    let aof = aof_text(&s);
    let cmds: Vec<&str> = aof
        .split("\r\n")
        .filter(|l| l.chars().all(|c| c.is_ascii_alphabetic()) && !l.is_empty())
        .collect();
    assert_eq!(
        cmds,
        [
            "SELECT", "MULTI", "set", "k", "a", "incr", "n", "EXEC", "set", "one"
        ],
        "{aof:?}"
    );
    assert!(!aof.contains("EVAL") && !aof.contains("hidden"));
}

#[test]
fn eval_in_multi_and_errors_match_redis() {
    scenario(&[
        (0, "MULTI", "+OK\r\n"),
        (
            0,
            "EVAL \"return redis.call('incr', KEYS[1])\" 1 x",
            "+QUEUED\r\n",
        ),
        (
            0,
            "EVAL \"return redis.call('incr', KEYS[1])\" 1 x",
            "+QUEUED\r\n",
        ),
        (0, "EXEC", "*2\r\n:1\r\n:2\r\n"),
        (
            0,
            "EVAL \"return redis.call('blpop', 'nolist', 0)\" 0",
            "-ERR This Redis command is not allowed from script script: a3cef14236376ebb82ffd8a751bf777e73a8e89c, on @user_script:1.\r\n",
        ),
        (
            0,
            "EVAL \"return redis.call('lpop', 'nolist')\" 0",
            "$-1\r\n",
        ),
        (0, "EVAL \"return redis.call('select', 5)\" 0", "+OK\r\n"),
        (0, "GET x", "$1\r\n2\r\n"),
        (0, "SCRIPT LOAD \"return 'hi'\"", "!"),
        (
            0,
            "EVALSHA 2bd0e0d1b55eab1ba9f1d1b2d2f4f4e4ab9c2b3e 0",
            "-NOSCRIPT No matching script. Please use EVAL.\r\n",
        ),
    ]);
}

#[test]
fn commands_from_scripts_are_counted() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.cmd(&[
        "EVAL",
        "redis.call('set','a','1'); redis.call('set','b','2'); return 1",
        "0",
    ]);
    c.cmd(&["EVAL", "return redis.pcall('incr','a','b')", "0"]);
    let info = c.cmd(&["INFO", "commandstats"]);
    assert!(info.contains("cmdstat_set:calls=2,"), "{info}");
    assert!(info.contains("cmdstat_eval:calls=2,"), "{info}");
    assert!(
        info.contains("cmdstat_incr:calls=0,") && info.contains("rejected_calls=1"),
        "{info}"
    );
    let mem = c.cmd(&["INFO", "memory"]);
    assert!(mem.contains("number_of_cached_scripts:2"), "{mem}");
}

#[test]
fn busy_script_serves_others_and_can_be_killed() {
    let s = Server::start(&["--busy-reply-threshold", "50"]);
    let mut runner = s.conn();
    let mut other = s.conn();
    send(&mut runner, &["EVAL", "while true do end", "0"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        other.cmd(&["PING"]),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    );
    assert_eq!(
        other.cmd(&["FUNCTION", "KILL"]),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    );
    assert_eq!(other.cmd(&["SCRIPT", "KILL"]), "+OK\r\n");
    assert!(read(&mut runner).starts_with("-ERR Script killed by user with SCRIPT KILL..."));
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        other.cmd(&["SCRIPT", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
    // A script that wrote cannot be killed; SHUTDOWN NOSAVE ends it all.
    send(
        &mut runner,
        &["EVAL", "redis.call('set','x','1') while true do end", "0"],
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        other
            .cmd(&["SCRIPT", "KILL"])
            .starts_with("-UNKILLABLE Sorry the script")
    );
    assert!(other.cmd(&["SHUTDOWN"]).starts_with("-BUSY"));
    send(&mut other, &["SHUTDOWN", "NOSAVE"]);
    let mut s = s;
    let status = s.child.wait().unwrap();
    assert!(status.success());
    let _ = Conn::try_connect(s.port).is_none();
}
