//! Black-box tests of the core server: RESP parsing (multibulk, inline,
//! split reads, big arguments, pipelining), protocol errors and their
//! connection close, listeners (TCP, IPv6, Unix socket), maxclients, idle
//! timeout, the command line, and graceful shutdown on SIGTERM.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{Conn, Server, cinnabar_bin};

#[test]
fn inline_and_multibulk() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.send_raw(b"PING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    c.send_raw(b"ECHO \"a b\" \r\n");
    assert_eq!(c.read_reply(), b"$3\r\na b\r\n");
    c.send_raw(b"echo 'it\\'s'\n");
    assert_eq!(c.read_reply(), b"$4\r\nit's\r\n");
    // empty inline lines and empty multibulks are ignored
    c.send_raw(b"\r\n\n*0\r\nPING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(c.cmd(&["echo", "x"]), "$1\r\nx\r\n");
}

#[test]
fn split_reads_and_pipelining() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let req = common::encode(&[b"ECHO", b"hello world"]);
    for b in &req {
        c.send_raw(&[*b]);
        std::thread::sleep(Duration::from_micros(200));
    }
    assert_eq!(c.read_reply(), b"$11\r\nhello world\r\n");
    let mut many = Vec::new();
    for _ in 0..2000 {
        many.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    }
    c.send_raw(&many);
    for _ in 0..2000 {
        assert_eq!(c.read_reply(), b"+PONG\r\n");
    }
}

#[test]
fn big_argument_round_trip() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let w = c.w.try_clone().unwrap();
    let req = common::encode(&[b"ECHO", &big]);
    let t = std::thread::spawn(move || {
        let mut w = w;
        w.write_all(&req).unwrap();
    });
    let reply = c.read_reply();
    t.join().unwrap();
    let header = format!("${}\r\n", big.len());
    assert!(reply.starts_with(header.as_bytes()));
    assert_eq!(&reply[header.len()..reply.len() - 2], &big[..]);
}

fn expect_error_and_close(req: &[u8], err: &str) {
    let s = Server::start(&[]);
    let mut c = s.conn();
    c.send_raw(req);
    assert_eq!(
        String::from_utf8_lossy(&c.read_reply()),
        format!("-ERR {err}\r\n")
    );
    assert!(
        c.is_closed(),
        "connection must be closed after a protocol error"
    );
    // the server is still fine for others
    assert_eq!(s.conn().cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn protocol_errors_close_the_connection() {
    expect_error_and_close(b"*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'");
    expect_error_and_close(b"*abc\r\n", "Protocol error: invalid multibulk length");
    expect_error_and_close(b"*1\r\n$-5\r\n", "Protocol error: invalid bulk length");
    expect_error_and_close(
        b"SET \"unbalanced\r\n",
        "Protocol error: unbalanced quotes in request",
    );
    // no newline within 64 KiB
    let big = vec![b'x'; 70_000];
    expect_error_and_close(&big, "Protocol error: too big inline request");
}

#[test]
fn unknown_command_and_arity() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&["foo", "a", "b"]),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        c.cmd(&["echo"]),
        "-ERR wrong number of arguments for 'echo' command\r\n"
    );
    // newlines in the name never break the protocol
    assert_eq!(
        c.cmd(&["a\r\nb"]),
        "-ERR unknown command 'a  b', with args beginning with: \r\n"
    );
}

#[test]
fn maxclients_is_enforced() {
    let s = Server::start(&["--maxclients", "2"]);
    // let the server see the start-up probe connection close first
    std::thread::sleep(Duration::from_millis(200));
    let mut a = s.conn();
    let mut b = s.conn();
    assert_eq!(a.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(b.cmd(&["PING"]), "+PONG\r\n");
    let mut c = s.conn();
    assert_eq!(c.read_reply(), b"-ERR max number of clients reached\r\n");
    assert!(c.is_closed());
    drop(a);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.conn().cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn idle_timeout_closes_clients() {
    let s = Server::start(&["--timeout", "1"]);
    let mut c = s.conn();
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    let t = Instant::now();
    assert!(c.is_closed());
    assert!(t.elapsed() >= Duration::from_millis(900) && t.elapsed() < Duration::from_secs(5));
}

#[test]
fn query_buffer_limit_closes_client() {
    let s = Server::start(&["--client-query-buffer-limit", "1mb"]);
    let mut c = s.conn();
    c.send_raw(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n");
    let chunk = vec![b'a'; 64 * 1024];
    let mut closed = false;
    for _ in 0..60 {
        if c.w.write_all(&chunk).is_err() {
            closed = true;
            break;
        }
    }
    if !closed {
        closed = c.is_closed();
    }
    assert!(closed);
    assert_eq!(s.conn().cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn unix_socket_and_ipv6() {
    let path = std::env::temp_dir().join(format!("cinnabar-{}.sock", std::process::id()));
    let p = path.to_str().unwrap().to_string();
    let s = Server::start(&["--unixsocket", &p, "--unixsocketperm", "700"]);
    let mut u = std::os::unix::net::UnixStream::connect(&path).unwrap();
    u.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 7];
    u.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"+PONG\r\n");
    drop(s);
    // IPv6 loopback, when the machine has it
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let port = common::free_port();
        let mut child = std::process::Command::new(cinnabar_bin())
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "::1",
                "--save",
                "",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        let mut ok = false;
        while t.elapsed() < Duration::from_secs(5) {
            if let Ok(mut s6) = std::net::TcpStream::connect(("::1", port)) {
                s6.write_all(b"PING\r\n").unwrap();
                let mut b = [0u8; 7];
                s6.read_exact(&mut b).unwrap();
                ok = &b == b"+PONG\r\n";
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(ok, "IPv6 listener answered");
    }
}

#[test]
fn version_and_bad_config() {
    let out = std::process::Command::new(cinnabar_bin())
        .arg("-v")
        .output()
        .unwrap();
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(v.starts_with("Redis server v=7.0.15 "), "{v}");
    assert!(v.contains("cinnabar"));
    let out = std::process::Command::new(cinnabar_bin())
        .args(["--port", "notaport"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"),
        "{e}"
    );
    assert!(e.contains("argument couldn't be parsed into an integer"));
}

#[test]
fn port_in_use_is_reported() {
    let s = Server::start(&[]);
    let out = std::process::Command::new(cinnabar_bin())
        .args(["--port", &s.port.to_string(), "--bind", "127.0.0.1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("Failed listening on port"), "{log}");
}

#[test]
fn sigterm_exits_gracefully() {
    let port = common::free_port();
    let mut child = std::process::Command::new(cinnabar_bin())
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while Conn::try_connect(port).is_none() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success());
    let mut log = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("Ready to accept connections"));
    assert!(log.contains("Received SIGTERM scheduling shutdown"));
    assert!(log.contains("is now ready to exit, bye bye"));
    assert!(t.elapsed() < Duration::from_secs(5));
}
