//! Differential test: every command list in `tests/diff/*.txt` runs against
//! cinnabar and against Debian's redis-server 7.0.15, each on a fresh server,
//! and every reply must be byte-for-byte identical.
//!
//! File format: one command per line, in redis-cli's inline syntax (quotes
//! and `\x` escapes allowed). Blank lines and `#` comments are skipped.
//! `HELLO 3` / `HELLO 2` switch the protocol as usual. A line starting with
//! `!` is run on both but its reply is not compared (TIME, CLIENT ID, …).
//! Skipped, with a message, when redis-server is not installed.

mod common;

use common::{Conn, Server, redis_bin};

fn run_file(path: &std::path::Path, redis: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let ours = Server::start(&[]);
    let theirs = Server::start_bin(redis, &[]);
    let mut a = Conn::connect(ours.port);
    let mut b = Conn::connect(theirs.port);
    let mut failures = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (compare, cmdline) = match line.strip_prefix('!') {
            Some(rest) => (false, rest.trim()),
            None => (true, line),
        };
        let args = cinnabar::resp::splitargs::split_args(cmdline.as_bytes())
            .unwrap_or_else(|| panic!("{}:{}: bad quoting", path.display(), i + 1));
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let ra = a.cmd_raw(&refs);
        let rb = b.cmd_raw(&refs);
        if compare && ra != rb {
            failures.push(format!(
                "{}:{}: {}\n   cinnabar: {:?}\n   redis:    {:?}",
                path.file_name().unwrap().to_string_lossy(),
                i + 1,
                cmdline,
                String::from_utf8_lossy(&ra),
                String::from_utf8_lossy(&rb)
            ));
        }
    }
    failures
}

#[test]
fn replies_match_redis_server() {
    let Some(redis) = redis_bin() else {
        eprintln!(
            "SKIPPED: differential test needs /usr/bin/redis-server (apt-get install redis-server)"
        );
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no command lists in tests/diff");
    let mut all = Vec::new();
    for f in &files {
        all.extend(run_file(f, &redis));
    }
    assert!(
        all.is_empty(),
        "{} replies differ:\n{}",
        all.len(),
        all.join("\n")
    );
}
