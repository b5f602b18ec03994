//! Process life: crash reports on panic and systemd supervision.

mod common;

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Conn, Server, cinnabar_bin, free_port};

#[test]
fn panic_writes_crash_report_and_exits_non_zero() {
    let dir = std::env::temp_dir().join(format!("cinnabar-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("server.log");
    let mut s = Server::start(&[
        "--enable-debug-command",
        "yes",
        "--logfile",
        log.to_str().unwrap(),
    ]);
    let mut c = s.conn();
    c.send_raw(b"*2\r\n$5\r\nDEBUG\r\n$5\r\nPANIC\r\n");
    let start = Instant::now();
    let status = loop {
        if let Ok(Some(st)) = s.child.try_wait() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "server still running"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("=== REDIS BUG REPORT START"), "{text}");
    assert!(text.contains("DEBUG PANIC called at Unix time"), "{text}");
    assert!(text.contains("------ STACK TRACE ------"), "{text}");
    assert!(text.contains("=== REDIS BUG REPORT END"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn supervised_systemd_notifies_ready() {
    let dir = std::env::temp_dir().join(format!("cinnabar-sd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock_path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let port = free_port();
    let mut child = Command::new(cinnabar_bin())
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--supervised", "systemd"])
        .env("NOTIFY_SOCKET", &sock_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    for _ in 0..3 {
        let n = sock.recv(&mut buf).unwrap();
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(
        got,
        [
            "STATUS=Redis is loading...\n",
            "STATUS=Ready to accept connections\n",
            "READY=1\n"
        ]
    );
    let mut c = Conn::connect(port);
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    let n = sock.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"STOPPING=1\n");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
