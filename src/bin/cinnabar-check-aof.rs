//! cinnabar-check-aof: validate an append-only file and, with `--fix`,
//! truncate a damaged last file at its last complete command — what
//! redis-check-aof does, for the same multi-part layout (a manifest, an RDB
//! or RESP base, RESP incremental files) or an old single-file AOF.
//!
//! Usage: cinnabar-check-aof [--fix] <file.manifest|file.aof>

use std::io::Write;
use std::path::{Path, PathBuf};

use cinnabar::persistence::aof::Manifest;
use cinnabar::persistence::aof_load::parse_command;

/// How checking one file ended.
enum Check {
    Valid,
    Empty,
    /// Good up to this offset; `diff` bytes after it are not.
    Bad {
        ok_up_to: usize,
        error: String,
    },
}

fn check_resp(buf: &[u8]) -> Check {
    if buf.is_empty() {
        return Check::Empty;
    }
    let mut pos = 0;
    let mut multi_at: Option<usize> = None;
    while pos < buf.len() {
        if buf[pos] == b'#' {
            match buf[pos..].windows(2).position(|w| w == b"\r\n") {
                Some(end) => {
                    pos += end + 2;
                    continue;
                }
                None => break,
            }
        }
        match parse_command(buf, pos) {
            Ok(Some((argv, next))) => {
                if argv[0].eq_ignore_ascii_case(b"multi") {
                    multi_at = Some(pos);
                } else if argv[0].eq_ignore_ascii_case(b"exec") {
                    multi_at = None;
                }
                pos = next;
            }
            Ok(None) => {
                return Check::Bad {
                    ok_up_to: multi_at.unwrap_or(pos),
                    error: format!("0x{pos:16x}: Unexpected EOF reading RESP"),
                };
            }
            Err(_) => {
                return Check::Bad {
                    ok_up_to: multi_at.unwrap_or(pos),
                    error: format!("0x{pos:16x}: Expected a command"),
                };
            }
        }
    }
    match multi_at {
        Some(at) => Check::Bad {
            ok_up_to: at,
            error: "Reached EOF before reading EXEC for MULTI".into(),
        },
        None => Check::Valid,
    }
}

fn check_rdb(buf: &[u8]) -> Check {
    if buf.is_empty() {
        return Check::Empty;
    }
    let opts = cinnabar::persistence::rdb_load::LoadOpts::default();
    match cinnabar::persistence::rdb_load::load_file(buf, 16, &opts, 0, true) {
        Ok(_) => Check::Valid,
        Err(e) => Check::Bad {
            ok_up_to: 0,
            error: format!("RDB preamble of AOF file is not sane ({e})"),
        },
    }
}

/// Check one file; with `fix` and a damaged RESP file that may be cut,
/// truncate it. Returns false when the file stays invalid.
fn check_file(path: &Path, fix: bool, last: bool) -> bool {
    let name = path.display();
    let buf = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            println!("Cannot open file {name}: {e}, aborting...");
            return false;
        }
    };
    let rdb = buf.starts_with(b"REDIS");
    let result = if rdb {
        check_rdb(&buf)
    } else {
        check_resp(&buf)
    };
    match result {
        Check::Valid => {
            println!("AOF {name} is valid");
            true
        }
        Check::Empty => {
            println!("AOF {name} is empty");
            true
        }
        Check::Bad { ok_up_to, error } => {
            println!("{error}");
            let diff = buf.len() - ok_up_to;
            let line = buf[..ok_up_to].iter().filter(|&&b| b == b'\n').count() + 1;
            println!(
                "AOF analyzed: filename={name}, size={}, ok_up_to={ok_up_to}, ok_up_to_line={line}, diff={diff}",
                buf.len()
            );
            if rdb || !fix {
                println!("AOF {name} is not valid. Use the --fix option to try fixing it.");
                return false;
            }
            if !last {
                println!("Failed to truncate AOF {name} because it is not the last file");
                return false;
            }
            println!(
                "This will shrink the AOF {name} from {} bytes, with {diff} bytes, to {ok_up_to} bytes",
                buf.len()
            );
            print!("Continue? [y/N]: ");
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
            if !answer.trim_start().starts_with(['y', 'Y']) {
                println!("Aborting...");
                return false;
            }
            let cut = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(ok_up_to as u64).and_then(|()| f.sync_all()));
            if cut.is_err() {
                println!("Failed to truncate AOF {name}");
                return false;
            }
            println!("Successfully truncated AOF {name}");
            true
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (fix, file) = match args.as_slice() {
        [f] if f != "--fix" => (false, f.clone()),
        [flag, f] if flag == "--fix" => (true, f.clone()),
        _ => {
            eprintln!("Usage: cinnabar-check-aof [--fix] <file.manifest|file.aof>");
            std::process::exit(1);
        }
    };
    let path = PathBuf::from(&file);
    let ok = if file.ends_with(".manifest") {
        println!("Start checking Multi Part AOF");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                println!("Cannot open file {file}: {e}");
                std::process::exit(1);
            }
        };
        let m = match Manifest::parse(&text) {
            Ok(m) => m,
            Err(e) => {
                println!("{}", e.msg);
                std::process::exit(1);
            }
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut ok = true;
        if let Some(b) = &m.base {
            println!("Start to check BASE AOF.");
            ok &= check_file(&dir.join(&b.name), fix, m.incr.is_empty());
        }
        if ok && !m.incr.is_empty() {
            println!("Start to check INCR files.");
            for (i, f) in m.incr.iter().enumerate() {
                ok &= check_file(&dir.join(&f.name), fix, i + 1 == m.incr.len());
                if !ok {
                    break;
                }
            }
        }
        if ok {
            println!("All AOF files and manifest are valid");
        }
        ok
    } else {
        println!("Start checking Old-Style AOF");
        check_file(&path, fix, true)
    };
    std::process::exit(if ok { 0 } else { 1 });
}
