//! Black-box tests of SLOWLOG, LATENCY and INFO latencystats.

mod common;

use common::{Server, scenario};

#[test]
fn slowlog_counts_trims_and_resets() {
    scenario(&[
        (0, "CONFIG SET slowlog-log-slower-than 0", "+OK\r\n"),
        (0, "CONFIG SET slowlog-max-len 10", "+OK\r\n"),
        (0, "PING", "+PONG\r\n"),
        (0, "PING", "+PONG\r\n"),
        (0, "SLOWLOG LEN", ":4\r\n"),
        (0, "SLOWLOG GET 0", "*0\r\n"),
        (0, "CONFIG SET slowlog-max-len 2", "+OK\r\n"),
        (0, "SLOWLOG LEN", ":2\r\n"),
        (0, "CONFIG SET slowlog-log-slower-than -1", "+OK\r\n"),
        (0, "SLOWLOG RESET", "+OK\r\n"),
        (0, "PING", "+PONG\r\n"),
        (0, "SLOWLOG LEN", ":0\r\n"),
    ]);
}

/// Entry layout: id, time, µs, trimmed args, peer, name; ids continue
/// after a reset; sensitive values redacted; EXEC itself is not logged.
#[test]
fn slowlog_entry_format() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    c.cmd(&["CLIENT", "SETNAME", "foobar"]);
    let mut args: Vec<String> = vec!["SADD".into(), "set".into()];
    args.extend((0..40).map(|i| i.to_string()));
    let refs: Vec<&str> = args.iter().map(|a| a.as_str()).collect();
    c.cmd(&refs);
    let get = c.cmd(&["SLOWLOG", "GET", "1"]);
    assert!(get.starts_with("*1\r\n*6\r\n:2\r\n:"), "{get}");
    assert!(
        get.contains("*32\r\n$4\r\nSADD\r\n$3\r\nset\r\n$1\r\n0\r\n"),
        "{get}"
    );
    assert!(get.contains("$23\r\n... (11 more arguments)\r\n"), "{get}");
    assert!(get.ends_with("$6\r\nfoobar\r\n"), "{get}");
    let long = "A".repeat(129);
    c.cmd(&["SET", "k", &long]);
    let get = c.cmd(&["SLOWLOG", "GET", "1"]);
    assert!(
        get.contains(&format!(
            "$146\r\n{}... (1 more bytes)\r\n",
            "A".repeat(128)
        )),
        "{get}"
    );
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["CONFIG", "SET", "masterauth", "secret"]);
    let get = c.cmd(&["SLOWLOG", "GET", "1"]);
    assert!(
        get.contains("$10\r\nmasterauth\r\n$10\r\n(redacted)\r\n"),
        "{get}"
    );
    assert!(get.starts_with("*1\r\n*6\r\n:7\r\n"), "{get}");
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["INCR", "n"]);
    c.cmd(&["EXEC"]);
    let get = c.cmd(&["SLOWLOG", "GET"]);
    assert!(
        get.contains("$4\r\nINCR\r\n") && !get.contains("EXEC"),
        "{get}"
    );
    assert!(get.contains("MULTI"), "{get}");
}

#[test]
fn slowlog_threshold_and_debug_sleep() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "100000"]);
    c.cmd(&["PING"]);
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":0\r\n");
    c.cmd(&["DEBUG", "SLEEP", "0.15"]);
    assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":1\r\n");
}

#[test]
fn latency_events_and_histograms() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
    c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "50"]);
    c.cmd(&["DEBUG", "SLEEP", "0.1"]);
    let latest = c.cmd(&["LATENCY", "LATEST"]);
    assert!(
        latest.starts_with("*1\r\n*4\r\n$7\r\ncommand\r\n:"),
        "{latest}"
    );
    let hist = c.cmd(&["LATENCY", "HISTORY", "command"]);
    assert!(hist.starts_with("*1\r\n*2\r\n:"), "{hist}");
    let doc = c.cmd(&["LATENCY", "DOCTOR"]);
    assert!(doc.contains("1. command: 1 latency spikes"), "{doc}");
    assert_eq!(c.cmd(&["LATENCY", "RESET"]), ":1\r\n");
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["SET", "a", "b"]);
    c.cmd(&["SET", "c", "d"]);
    c.cmd(&["CLIENT", "ID"]);
    let h = c.cmd(&["LATENCY", "HISTOGRAM", "set", "client", "nosuch"]);
    assert!(h.starts_with("*4\r\n"), "{h}");
    assert!(
        h.contains("$9\r\nclient|id\r\n*4\r\n$5\r\ncalls\r\n:1\r\n"),
        "{h}"
    );
    assert!(
        h.contains("$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n"),
        "{h}"
    );
    let info = c.cmd(&["INFO", "latencystats"]);
    assert!(info.contains("latency_percentiles_usec_set:p50="), "{info}");
    assert!(info.contains(",p99=") && info.contains(",p99.9="), "{info}");
    c.cmd(&[
        "CONFIG",
        "SET",
        "latency-tracking-info-percentiles",
        "50 100",
    ]);
    let info = c.cmd(&["INFO", "latencystats"]);
    assert!(info.contains(",p100="), "{info}");
    let bad = c.cmd(&["CONFIG", "SET", "latency-tracking-info-percentiles", "101"]);
    assert!(bad.contains("between [0.0,100.0]"), "{bad}");
}

#[test]
fn latency_percentiles_config_matches_redis() {
    scenario(&[
        (0, "CONFIG GET latency-tracking-info-percentiles", ""),
        (
            0,
            "CONFIG SET latency-tracking-info-percentiles \"0.5 99.990 100\"",
            "",
        ),
        (0, "CONFIG GET latency-tracking-info-percentiles", ""),
        (0, "CONFIG SET latency-tracking-info-percentiles abc", ""),
        (0, "CONFIG SET latency-tracking-info-percentiles \"\"", ""),
        (0, "CONFIG GET latency-tracking-info-percentiles", ""),
    ]);
}

/// The part of a MONITOR line after the timestamp and client address.
fn monitor_args(line: &str) -> String {
    assert!(line.starts_with('+'), "{line}");
    let ts = &line[1..line.find(' ').unwrap()];
    let (secs, usecs) = ts.split_once('.').unwrap();
    assert!(secs.parse::<u64>().is_ok() && usecs.len() == 6, "{line}");
    assert!(line.contains(" [0 127.0.0.1:"), "{line}");
    line[line.find("] ").unwrap() + 2..].trim_end().to_string()
}

#[test]
fn monitor_streams_commands() {
    let s = Server::start(&[]);
    let mut m = s.conn();
    let mut c = s.conn();
    assert_eq!(m.cmd(&["MONITOR"]), "+OK\r\n");
    let list = c.cmd(&["CLIENT", "LIST"]);
    assert!(list.contains(" flags=O "), "{list}");
    c.cmd(&["SET", "foo", "bar \"x\"\n"]);
    c.cmd(&["GET", "foo"]);
    c.cmd(&["AUTH", "user", "pass"]);
    c.cmd(&["HELLO", "2", "AUTH", "u", "p"]);
    c.cmd(&["CONFIG", "GET", "hz"]); // administrative: not shown
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["EXEC"]);
    let want = [
        r#""SET" "foo" "bar \"x\"\n""#,
        r#""GET" "foo""#,
        r#""AUTH" "(redacted)" "(redacted)""#,
        r#""HELLO" "2" "AUTH" "(redacted)" "(redacted)""#,
        r#""MULTI""#,
        r#""SET" "a" "1""#,
        r#""EXEC""#,
    ];
    for w in want {
        let line = String::from_utf8(m.read_reply()).unwrap();
        assert_eq!(monitor_args(&line), w);
    }
}

#[test]
fn maxmemory_noeviction_refuses_growing_commands() {
    scenario(&[
        (0, "CONFIG SET maxmemory 1", "+OK\r\n"),
        (
            0,
            "SET a b",
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n",
        ),
        (0, "GET a", "$-1\r\n"),
        (0, "DEL a", ":0\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "GET a", ""),
        (0, "EXEC", ""),
        (0, "INFO errorstats", ""),
        (0, "CONFIG SET maxmemory 0", "+OK\r\n"),
        (0, "SET a b", "+OK\r\n"),
    ]);
}
