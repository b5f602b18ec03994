//! Shared helpers for black-box tests: start a server binary on a free
//! loopback port and talk RESP to it over TCP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn cinnabar_bin() -> String {
    env!("CARGO_BIN_EXE_cinnabar-server").to_string()
}

/// Path of Debian's redis-server, if installed (for differential tests).
pub fn redis_bin() -> Option<String> {
    let p = "/usr/bin/redis-server";
    std::path::Path::new(p).exists().then(|| p.to_string())
}

pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: std::path::PathBuf,
}

impl Server {
    /// Start `bin` with `--port P --bind 127.0.0.1 --save "" --dir TMP` plus `args`.
    pub fn start_bin(bin: &str, args: &[&str]) -> Server {
        for _ in 0..5 {
            let port = free_port();
            let dir =
                std::env::temp_dir().join(format!("cinnabar-test-{}-{}", std::process::id(), port));
            std::fs::create_dir_all(&dir).unwrap();
            let mut cmd = Command::new(bin);
            cmd.args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
            ])
            .arg(&dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
            let child = cmd.spawn().expect("spawn server");
            let mut s = Server { child, port, dir };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    // Make sure the listener is ours: another test may have
                    // been handed the same free port, and then our server
                    // exits with "address in use".
                    std::thread::sleep(Duration::from_millis(30));
                    if let Ok(None) = s.child.try_wait() {
                        return s;
                    }
                    break;
                }
                if let Ok(Some(_)) = s.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = s.child.kill();
        }
        panic!("server {bin} did not start");
    }

    pub fn start(args: &[&str]) -> Server {
        Self::start_bin(&cinnabar_bin(), args)
    }

    pub fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Conn {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

/// Encode a command as a RESP multibulk.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}

impl Conn {
    pub fn connect(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    pub fn try_connect(port: u16) -> Option<Conn> {
        TcpStream::connect(("127.0.0.1", port)).ok().map(|s| Conn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        })
    }

    pub fn send_raw(&mut self, b: &[u8]) {
        self.w.write_all(b).unwrap();
    }

    /// Send a command and return the raw bytes of one reply.
    pub fn cmd_raw(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_raw(&encode(args));
        self.read_reply()
    }

    /// Send a command given as strings; return the raw reply as a String.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        String::from_utf8_lossy(&self.cmd_raw(&a)).into_owned()
    }

    /// Read one complete reply (any RESP2/RESP3 type), raw.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line).unwrap();
        assert!(!line.is_empty(), "connection closed");
        let mut out = line.clone();
        let body = std::str::from_utf8(&line[1..line.len() - 2])
            .unwrap_or("0")
            .to_string();
        match line[0] {
            b'$' | b'=' | b'!' => {
                let n: i64 = body.parse().unwrap();
                if n >= 0 {
                    let mut b = vec![0u8; n as usize + 2];
                    self.r.read_exact(&mut b).unwrap();
                    out.extend(b);
                }
            }
            b'*' | b'~' | b'>' => {
                let n: i64 = body.parse().unwrap();
                for _ in 0..n.max(0) {
                    out.extend(self.read_reply());
                }
            }
            b'%' | b'|' => {
                let n: i64 = body.parse().unwrap();
                for _ in 0..2 * n {
                    out.extend(self.read_reply());
                }
            }
            _ => {}
        }
        out
    }

    /// True when the server closed the connection (reads EOF).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.r.read(&mut b), Ok(0) | Err(_))
    }
}

const SCENARIO_ARGS: &[&str] = &["--enable-debug-command", "yes"];

/// One step of a multi-connection scenario: which connection (0..3), the
/// command (inline syntax; `SLEEP ms` waits, `READ` reads one more reply, `SEND cmd`
/// sends without reading),
/// and the expected raw reply ("" = only compared with Redis, "!" = not
/// compared at all).
pub type Step<'a> = (usize, &'a str, &'a str);

fn run_steps(port: u16, steps: &[Step]) -> Vec<Vec<u8>> {
    let mut conns: Vec<Conn> = (0..3).map(|_| Conn::connect(port)).collect();
    let mut out = Vec::new();
    for (i, cmd, _) in steps {
        if *cmd == "READ" {
            out.push(conns[*i].read_reply());
            continue;
        }
        if let Some(rest) = cmd.strip_prefix("SEND ") {
            let args = cinnabar::resp::splitargs::split_args(rest.as_bytes()).unwrap();
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            conns[*i].send_raw(&encode(&refs));
            out.push(Vec::new());
            continue;
        }
        if let Some(ms) = cmd.strip_prefix("SLEEP ") {
            std::thread::sleep(std::time::Duration::from_millis(ms.parse().unwrap()));
            out.push(Vec::new());
            continue;
        }
        let args = cinnabar::resp::splitargs::split_args(cmd.as_bytes()).unwrap();
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        out.push(conns[*i].cmd_raw(&refs));
    }
    out
}

/// Run `steps` on cinnabar (checking the expected replies) and, when it is
/// installed, on redis-server too, comparing every reply byte for byte.
/// Both start with `--enable-debug-command yes`.
pub fn scenario(steps: &[Step]) {
    let ours = Server::start(SCENARIO_ARGS);
    let got = run_steps(ours.port, steps);
    for ((i, cmd, want), got) in steps.iter().zip(&got) {
        if !want.is_empty() && *want != "!" {
            assert_eq!(
                String::from_utf8_lossy(got),
                *want,
                "conn {i}: {cmd} (scenario {steps:?})"
            );
        }
    }
    if let Some(bin) = redis_bin() {
        let theirs = Server::start_bin(&bin, SCENARIO_ARGS);
        let want = run_steps(theirs.port, steps);
        for (((i, cmd, exp), a), b) in steps.iter().zip(&got).zip(&want) {
            if *exp == "!" {
                continue;
            }
            assert_eq!(
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b),
                "conn {i}: {cmd} differs from redis"
            );
        }
    }
}

/// Send every command, then read every reply (one round trip for all).
pub fn pipeline(c: &mut Conn, cmds: &[Vec<String>]) -> Vec<String> {
    let mut buf = Vec::new();
    for args in cmds {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        buf.extend(encode(&a));
    }
    c.send_raw(&buf);
    cmds.iter()
        .map(|_| String::from_utf8_lossy(&c.read_reply()).into_owned())
        .collect()
}

pub fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Every key of databases 0..4 with its type, contents and whether it has a
/// TTL, in a comparable form.
pub fn dataset(c: &mut Conn) -> std::collections::BTreeMap<(usize, String), String> {
    let mut out = std::collections::BTreeMap::new();
    for db in 0..4 {
        c.cmd(&["select", &db.to_string()]);
        let keys = c.cmd(&["keys", "*"]);
        let names: Vec<String> = keys
            .split("\r\n")
            .skip(1)
            .collect::<Vec<_>>()
            .chunks(2)
            .filter_map(|p| p.get(1).map(|s| s.to_string()))
            .collect();
        let types = pipeline(
            c,
            &names.iter().map(|k| strs(&["type", k])).collect::<Vec<_>>(),
        );
        let reads: Vec<Vec<String>> = names
            .iter()
            .zip(&types)
            .map(|(k, t)| match t.trim() {
                "+string" => strs(&["get", k]),
                "+list" => strs(&["lrange", k, "0", "-1"]),
                "+hash" => strs(&["hgetall", k]),
                "+set" => strs(&["smembers", k]),
                _ => strs(&["zrange", k, "0", "-1", "withscores"]),
            })
            .collect();
        let values = pipeline(c, &reads);
        let hashes: Vec<String> = names
            .iter()
            .zip(&types)
            .zip(values)
            .map(|((k, t), v)| {
                let t = t.trim();
                if t == "+hash" || t == "+set" {
                    // The order of HGETALL and SMEMBERS depends on the
                    // encoding: sort the fields / members.
                    let mut lines: Vec<&str> = v.split("\r\n").skip(1).collect();
                    lines.retain(|l| !l.is_empty());
                    let per = if t == "+hash" { 4 } else { 2 };
                    let mut items: Vec<String> = lines.chunks(per).map(|p| p.join("|")).collect();
                    items.sort();
                    let _ = k;
                    items.join(",")
                } else {
                    v
                }
            })
            .collect();
        let ttls = pipeline(
            c,
            &names.iter().map(|k| strs(&["pttl", k])).collect::<Vec<_>>(),
        );
        for (((k, t), v), ttl) in names.into_iter().zip(types).zip(hashes).zip(ttls) {
            let has_ttl = !ttl.starts_with(":-1");
            out.insert((db, k), format!("{} {v} ttl={has_ttl}", t.trim()));
        }
    }
    c.cmd(&["select", "0"]);
    out
}

/// A field of `INFO persistence`.
pub fn persistence_field(c: &mut Conn, name: &str) -> String {
    info_field(c, "persistence", name)
}

/// A field of INFO's `section`.
pub fn info_field(c: &mut Conn, section: &str, name: &str) -> String {
    let info = c.cmd(&["info", section]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Send a command without waiting for its reply (a client about to block).
pub fn send(c: &mut Conn, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.send_raw(&encode(&a));
}

/// The next reply, as text.
pub fn read(c: &mut Conn) -> String {
    String::from_utf8_lossy(&c.read_reply()).into_owned()
}

/// Wait until INFO reports `n` blocked clients.
pub fn wait_blocked(c: &mut Conn, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        if c.cmd(&["INFO", "clients"]).contains(&want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("never reached {n} blocked clients");
}

/// The dirty counter (INFO `rdb_changes_since_last_save`).
pub fn dirty(c: &mut Conn) -> i64 {
    persistence_field(c, "rdb_changes_since_last_save")
        .parse()
        .expect("rdb_changes_since_last_save")
}

/// How much each command of `steps` moves the dirty counter.
pub fn dirty_deltas(c: &mut Conn, steps: &[&[&str]]) -> Vec<i64> {
    let mut before = dirty(c);
    steps
        .iter()
        .map(|args| {
            c.cmd(args);
            let after = dirty(c);
            let d = after - before;
            before = after;
            d
        })
        .collect()
}

/// cinnabar and redis-server (in that order), both started with `args`;
/// `None` (and a SKIPPED line) without redis-server.
pub fn server_pair(args: &[&str]) -> Option<(Server, Server)> {
    let Some(redis) = redis_bin() else {
        eprintln!("SKIPPED: needs /usr/bin/redis-server");
        return None;
    };
    Some((Server::start(args), Server::start_bin(&redis, args)))
}

/// The incremental AOF files of a server started with `--appendonly yes`.
pub fn incr_aof(s: &Server) -> Vec<u8> {
    let dir = s.dir.join("appendonlydir");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".incr.aof") {
            out.extend(std::fs::read(&p).unwrap());
        }
    }
    out
}

/// Run `writes` on cinnabar and redis-server, each with `appendfsync
/// always`, and return what each appended to its AOF (as text). `None`
/// without redis-server.
pub fn aof_of_writes(writes: &[&[&str]]) -> Option<(String, String)> {
    let (ours, theirs) = server_pair(&["--appendonly", "yes", "--appendfsync", "always"])?;
    for s in [&ours, &theirs] {
        let mut c = s.conn();
        // Redis writes its first base file in the background at start;
        // commands sent meanwhile would end up in it.
        while persistence_field(&mut c, "aof_rewrite_in_progress") != "0"
            || persistence_field(&mut c, "aof_rewrite_scheduled") != "0"
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        for w in writes {
            c.cmd(w);
        }
    }
    // With appendfsync always, replies follow the write to the file.
    let text = |s: &Server| String::from_utf8_lossy(&incr_aof(s)).into_owned();
    Some((text(&ours), text(&theirs)))
}

/// The dirty counter moves by the same amount for each of `writes` here
/// and on redis-server (nothing is checked without redis-server).
pub fn assert_dirty_like_redis(writes: &[&[&str]]) {
    let Some((ours, theirs)) = server_pair(&[]) else {
        return;
    };
    let a = dirty_deltas(&mut ours.conn(), writes);
    let b = dirty_deltas(&mut theirs.conn(), writes);
    assert_eq!(a, b);
}
