//! Process life: crash reports on panic, systemd supervision, signals.

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

fn signal(s: &Server, sig: i32) {
    // SAFETY: sending a signal to the server we started.
    unsafe { libc::kill(s.child.id() as i32, sig) };
}

#[test]
fn shutdown_abort_cancels_a_signalled_shutdown() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    assert_eq!(
        c.cmd(&["shutdown", "abort"]),
        "-ERR No shutdown in progress.\r\n"
    );
    // With the cron paused the signal's shutdown waits, as in Redis.
    assert_eq!(c.cmd(&["debug", "pause-cron", "1"]), "+OK\r\n");
    signal(&s, libc::SIGTERM);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(c.cmd(&["shutdown", "abort"]), "+OK\r\n");
    assert_eq!(c.cmd(&["debug", "pause-cron", "0"]), "+OK\r\n");
    std::thread::sleep(std::time::Duration::from_millis(150));
    assert_eq!(c.cmd(&["ping"]), "+PONG\r\n");
}

#[test]
fn second_sigint_during_the_final_save_exits_and_removes_the_temp_file() {
    let mut s = Server::start(&["--save", "3600 1"]);
    let mut c = s.conn();
    for i in 0..20 {
        c.cmd(&["set", &i.to_string(), "v"]);
    }
    c.cmd(&["config", "set", "rdb-key-save-delay", "100000"]);
    let temp = s.dir.join(format!("temp-{}.rdb", s.child.id()));
    signal(&s, libc::SIGINT);
    let t0 = std::time::Instant::now();
    while !temp.exists() {
        assert!(t0.elapsed().as_secs() < 5, "the final save did not start");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    signal(&s, libc::SIGINT);
    let status = s.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(!temp.exists(), "temp file left behind");
    assert!(!s.dir.join("dump.rdb").exists());
}

fn cmdline(s: &Server) -> String {
    let raw = std::fs::read(format!("/proc/{}/cmdline", s.child.id())).unwrap();
    String::from_utf8_lossy(&raw)
        .trim_end_matches('\0')
        .to_string()
}

#[test]
fn process_title_follows_the_template() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let bin = cinnabar_bin();
    assert_eq!(cmdline(&s), format!("{bin} 127.0.0.1:{}", s.port));
    let long = "T {title} {listen-addr} {port} {tls-port} {config-file} {{braces}} and then a long tail that does not fit where the arguments were";
    assert_eq!(
        c.cmd(&["config", "set", "proc-title-template", long]),
        "+OK\r\n"
    );
    assert_eq!(
        cmdline(&s),
        format!(
            "T {bin} 127.0.0.1:{p} {p} 0 - {{braces}} and then a long tail that does not fit where the arguments were",
            p = s.port
        )
    );
    assert_eq!(
        c.cmd(&["config", "set", "proc-title-template", "{nope}"]),
        "-ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables\r\n"
    );
    // The environment survived being moved.
    assert_eq!(c.cmd(&["ping"]), "+PONG\r\n");
}
