//! MIGRATE: move (or COPY) keys to another server by sending it RESTORE
//! commands carrying DUMP payloads, as Redis's migrateCommand.
//!
//! Like Redis, the transfer is synchronous: the event loop waits on the
//! target, bounded by the command's timeout for connecting, writing and
//! every reply read. Connections are cached per `host:port` (at most 64)
//! and remember the database last SELECTed there; a cached connection idle
//! for more than 10 seconds is closed the next time the cache is looked at
//! (a MIGRATE, or INFO's `migrate_cached_sockets`). A failure on a cached
//! connection that was not a timeout is retried once on a fresh one.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;

use super::{Handler, NOT_INTEGER, SYNTAX_ERR, is};
use crate::net::Client;
use crate::notify;
use crate::persistence::rdb;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[("migrate", migrate)];

const CACHE_MAX: usize = 64;
const CACHE_IDLE_MS: i64 = 10_000;

struct Cached {
    sock: TcpStream,
    last_db: Option<i64>,
    last_use_ms: i64,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Cached>> = RefCell::new(HashMap::new());
}

/// Close idle cached connections; the number still open (INFO).
pub fn cached_sockets(now_ms: i64) -> usize {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        c.retain(|_, s| now_ms - s.last_use_ms <= CACHE_IDLE_MS);
        c.len()
    })
}

enum Failure {
    Write,
    Read { timeout: bool },
}

/// One reply line from the target ("+OK", "-ERR ..."), without CRLF.
fn read_line(s: &mut TcpStream) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match s.read(&mut b) {
            Ok(1) => {
                if b[0] == b'\n' {
                    if out.last() == Some(&b'\r') {
                        out.pop();
                    }
                    return Ok(out);
                }
                out.push(b[0]);
            }
            Ok(_) => return Err(Failure::Read { timeout: false }),
            Err(e) => {
                let timeout = matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
                return Err(Failure::Read { timeout });
            }
        }
    }
}

fn push_cmd(buf: &mut Vec<u8>, args: &[&[u8]]) {
    buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

struct Opts {
    copy: bool,
    replace: bool,
    auth: Option<(Option<Bytes>, Bytes)>,
    keys: Vec<Bytes>,
}

fn parse(c: &mut Client, argv: &[Bytes]) -> Option<Opts> {
    let mut o = Opts {
        copy: false,
        replace: false,
        auth: None,
        keys: vec![argv[3].clone()],
    };
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - j - 1;
        if is(&argv[j], "copy") {
            o.copy = true;
        } else if is(&argv[j], "replace") {
            o.replace = true;
        } else if is(&argv[j], "auth") && more >= 1 {
            o.auth = Some((None, argv[j + 1].clone()));
            j += 1;
        } else if is(&argv[j], "auth2") && more >= 2 {
            o.auth = Some((Some(argv[j + 1].clone()), argv[j + 2].clone()));
            j += 2;
        } else if is(&argv[j], "keys") {
            if !argv[3].is_empty() {
                c.reply.err(
                    "When using MIGRATE KEYS option, the key argument must be set to the empty string",
                );
                return None;
            }
            o.keys = argv[j + 1..].to_vec();
            break;
        } else {
            c.reply.err(SYNTAX_ERR);
            return None;
        }
        j += 1;
    }
    Some(o)
}

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw]
/// [AUTH2 user pw] [KEYS key ...]
fn migrate(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(o) = parse(c, argv) else {
        return;
    };
    let (Some(mut timeout), Some(dbid)) = (
        crate::util::num::parse_i64(&argv[5]),
        crate::util::num::parse_i64(&argv[4]),
    ) else {
        c.reply.err(NOT_INTEGER);
        return;
    };
    if timeout <= 0 {
        timeout = 1000;
    }
    let now = srv.now_ms;
    let compress = srv.cfg.get("rdbcompression") != Some("no");
    // The keys that exist, with their payload and remaining TTL.
    let mut items: Vec<(Bytes, Vec<u8>, i64)> = Vec::new();
    for k in &o.keys {
        let db = &mut srv.dbs[c.db];
        let Some(obj) = db.lookup_read(k, now) else {
            continue;
        };
        let payload = rdb::dump_payload(&obj.v, compress);
        let ttl = match db.get_expire(k) {
            Some(at) if at - now < 0 => continue,
            Some(at) => (at - now).max(1),
            None => 0,
        };
        items.push((k.clone(), payload, ttl));
    }
    if items.is_empty() {
        c.reply.simple("NOKEY");
        return;
    }
    let name = format!(
        "{}:{}",
        String::from_utf8_lossy(&argv[1]),
        String::from_utf8_lossy(&argv[2])
    );
    let dur = Duration::from_millis(timeout as u64);
    let mut retried = false;
    loop {
        let (mut sock, last_db, cached) = match take_socket(&name, dur, now) {
            Some(s) => s,
            None => {
                c.reply
                    .err_code("IOERR error or timeout connecting to the client");
                return;
            }
        };
        let mut buf = Vec::new();
        if let Some((user, pw)) = &o.auth {
            match user {
                Some(u) => push_cmd(&mut buf, &[b"AUTH", u, pw]),
                None => push_cmd(&mut buf, &[b"AUTH", pw]),
            }
        }
        let select = last_db != Some(dbid);
        if select {
            push_cmd(&mut buf, &[b"SELECT", dbid.to_string().as_bytes()]);
        }
        for (k, payload, ttl) in &items {
            let ttl = ttl.to_string();
            let mut args: Vec<&[u8]> = vec![b"RESTORE", k, ttl.as_bytes(), payload];
            if o.replace {
                args.push(b"REPLACE");
            }
            push_cmd(&mut buf, &args);
        }
        match exchange(&mut sock, &buf, o.auth.is_some(), select, items.len()) {
            Ok(replies) => {
                let (auth_err, select_err, key_replies) = replies;
                if let Some(e) = auth_err.or(select_err.clone()) {
                    put_socket(&name, sock, None, now);
                    target_error(c, &e);
                    return;
                }
                let mut first_err = None;
                let mut deleted = vec![crate::propagate::arg("DEL")];
                for ((k, _, _), r) in items.iter().zip(key_replies) {
                    if r.first() == Some(&b'-') {
                        first_err.get_or_insert(r);
                    } else if !o.copy {
                        let db = &mut srv.dbs[c.db];
                        if db.delete(k) {
                            deleted.push(k.clone());
                            srv.dirty += 1;
                            srv.signal_modified_key(c.db, k);
                            srv.notify(c, notify::GENERIC, "del", k, c.db);
                        }
                    }
                }
                put_socket(&name, sock, Some(dbid), now);
                // What changed here is the deletion of the moved keys.
                srv.prop.rewrite(deleted);
                match first_err {
                    Some(e) => target_error(c, &e),
                    None => c.reply.ok(),
                }
                return;
            }
            Err(f) => {
                // The connection is dropped; retry once on a fresh one when
                // a cached connection failed for a reason other than time.
                let timed_out = matches!(f, Failure::Read { timeout: true });
                if cached && !timed_out && !retried {
                    retried = true;
                    continue;
                }
                c.reply.err_code(match f {
                    Failure::Write => "IOERR error or timeout writing to target instance",
                    Failure::Read { .. } => "IOERR error or timeout reading to target instance",
                });
                return;
            }
        }
    }
}

fn target_error(c: &mut Client, line: &[u8]) {
    let msg = String::from_utf8_lossy(line.strip_prefix(b"-").unwrap_or(line)).into_owned();
    c.reply
        .err(&format!("Target instance replied with error: {msg}"));
}

type Replies = (Option<Vec<u8>>, Option<Vec<u8>>, Vec<Vec<u8>>);

/// Send the commands, read AUTH's, SELECT's and every RESTORE's reply.
fn exchange(
    sock: &mut TcpStream,
    buf: &[u8],
    auth: bool,
    select: bool,
    n: usize,
) -> Result<Replies, Failure> {
    sock.write_all(buf).map_err(|_| Failure::Write)?;
    let err_of = |r: Vec<u8>| (r.first() == Some(&b'-')).then_some(r);
    let auth_err = if auth { err_of(read_line(sock)?) } else { None };
    let select_err = if select {
        err_of(read_line(sock)?)
    } else {
        None
    };
    let mut replies = Vec::with_capacity(n);
    for _ in 0..n {
        replies.push(read_line(sock)?);
    }
    Ok((auth_err, select_err, replies))
}

/// A connection to `name`: the cached one, or a new one. Returns the socket,
/// the database last selected there, and whether it came from the cache.
fn take_socket(name: &str, dur: Duration, now: i64) -> Option<(TcpStream, Option<i64>, bool)> {
    cached_sockets(now);
    if let Some(s) = CACHE.with(|c| c.borrow_mut().remove(name)) {
        let _ = s.sock.set_read_timeout(Some(dur));
        let _ = s.sock.set_write_timeout(Some(dur));
        return Some((s.sock, s.last_db, true));
    }
    let (host, port) = name.rsplit_once(':')?;
    let addr = (host, port.parse::<u16>().ok()?)
        .to_socket_addrs()
        .ok()?
        .next()?;
    let sock = TcpStream::connect_timeout(&addr, dur).ok()?;
    let _ = sock.set_nodelay(true);
    let _ = sock.set_read_timeout(Some(dur));
    let _ = sock.set_write_timeout(Some(dur));
    Some((sock, None, false))
}

fn put_socket(name: &str, sock: TcpStream, last_db: Option<i64>, now: i64) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_MAX
            && let Some(k) = c.keys().next().cloned()
        {
            c.remove(&k);
        }
        c.insert(
            name.to_string(),
            Cached {
                sock,
                last_db,
                last_use_ms: now,
            },
        );
    });
}
