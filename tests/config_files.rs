//! The stock redis.conf files load unchanged: Debian's /etc/redis/redis.conf
//! (CI installs redis-server) and the one of the Redis 7.0.15 source when
//! it is at hand (REDIS_SRC); paths are pointed at a temp dir with
//! command-line overrides, as an operator trying cinnabar would.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Conn, cinnabar_bin, free_port};

fn starts_with(conf: &Path) {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("cinnabar-conf-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(cinnabar_bin())
        .arg(conf)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(&dir)
        .args(["--logfile", "", "--daemonize", "no", "--supervised", "no"])
        .args(["--unixsocket", "", "--save", ""])
        .arg("--pidfile")
        .arg(dir.join("redis.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut conn = None;
    while start.elapsed() < Duration::from_secs(10) {
        if let Some(c) = Conn::try_connect(port) {
            conn = Some(c);
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{} refused: exit {status}", conf.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut c = conn.unwrap_or_else(|| panic!("{} did not start", conf.display()));
    assert_eq!(c.cmd(&["ping"]), "+PONG\r\n");
    assert!(c.cmd(&["config", "get", "databases"]).contains("16"));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debian_redis_conf_loads() {
    let conf = Path::new("/etc/redis/redis.conf");
    if !conf.exists() {
        eprintln!("skipped: /etc/redis/redis.conf not installed (apt-get install redis-server)");
        return;
    }
    starts_with(conf);
}

#[test]
fn redis_source_redis_conf_loads() {
    // REDIS_SRC (as tcl-compat/run takes it), else tcl-compat's cache.
    let home = std::env::var("HOME").unwrap_or_default();
    let candidates = [
        std::env::var("REDIS_SRC")
            .map(|d| PathBuf::from(d).join("redis.conf"))
            .ok(),
        Some(PathBuf::from(home).join(".cache/cinnabar/redis-7.0.15/redis.conf")),
    ];
    let Some(conf) = candidates.into_iter().flatten().find(|p| p.exists()) else {
        eprintln!("skipped: no Redis 7.0.15 source redis.conf (set REDIS_SRC)");
        return;
    };
    starts_with(&conf);
}
