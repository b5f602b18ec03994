//! Loading the AOF at start: the manifest, the base (an RDB, or commands),
//! then every incremental file's commands replayed through the ordinary
//! command path by a client without a socket, as Redis's loadAppendOnlyFiles.
//!
//! Also the first start with `appendonly yes`: an old single-file
//! `appendonly.aof` is moved into the AOF directory as its base (Redis 7's
//! upgrade), and with no AOF at all an empty base and a first incremental
//! file are created.
//!
//! A cut-off tail (a crash in the middle of a write) is dropped with
//! `aof-load-truncated yes` — the file is truncated to its last complete
//! command, and an unfinished MULTI is dropped with it — and refused with
//! `no`. A malformed command anywhere else is refused, naming the offset.

use std::path::Path;

use bytes::Bytes;

use super::aof::{FileEntry, Manifest, Names};
use crate::server::Server;
use crate::{log_notice, log_warning};

/// How reading one command file ended.
enum Replay {
    Complete,
    /// Cut at this offset (the start of the incomplete command).
    Truncated(u64),
}

/// Load the AOF (appendonly yes). Errors are log lines; the caller exits 1.
pub fn load_at_start(srv: &mut Server) -> Result<(), String> {
    let names = Names::from_server(srv);
    srv.aof.names = names.clone();
    let now = crate::util::time::now_ms();
    let manifest = match std::fs::read_to_string(names.manifest()) {
        Ok(text) => Manifest::parse(&text).map_err(|e| {
            // Redis's report, then the reason (the caller logs it).
            log_warning!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
            if let Some((n, line)) = &e.line {
                log_warning!("Reading the manifest file, at line {n}\n");
                log_warning!(">>> '{line}'\n");
            }
            e.msg.to_string()
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let old = Path::new(&names.filename);
            if old.is_file() {
                upgrade_old_aof(&names)?
            } else {
                return create_fresh(srv, &names, now);
            }
        }
        Err(e) => return Err(format!("Can't open the AOF manifest: {e}")),
    };
    // An upgrade interrupted after the manifest was written but before the
    // old file was moved: the manifest names the old file as its only base
    // and it is still in the working directory. Finish the move.
    let interrupted = manifest.incr.is_empty()
        && manifest
            .base
            .as_ref()
            .is_some_and(|b| b.name == names.filename)
        && !names.dir.join(&names.filename).exists()
        && Path::new(&names.filename).is_file();
    let manifest = if interrupted {
        upgrade_old_aof(&names)?
    } else {
        manifest
    };
    srv.aof.manifest = manifest.clone();
    let total = load_files(srv, &names, &manifest);
    super::loading::end(srv);
    let total = total?;
    srv.aof.current_size = total;
    srv.aof.base_size = total;
    srv.aof.on = true;
    srv.sync_propagation();
    srv.aof
        .open_at_start(now)
        .map_err(|e| format!("Can't open the append-only file: {e}"))?;
    Ok(())
}

/// DEBUG LOADAOF: write out what is pending, empty the dataset and load
/// the AOF again.
pub fn reload(srv: &mut Server) -> Result<(), String> {
    super::background::abort(srv);
    let now = crate::util::time::now_ms();
    if srv.aof.on {
        srv.aof.flush_and_sync(now);
    }
    for db in &mut srv.dbs {
        db.clear();
    }
    let (names, manifest) = (srv.aof.names.clone(), srv.aof.manifest.clone());
    let loaded = load_files(srv, &names, &manifest);
    super::loading::end(srv);
    loaded?;
    srv.dirty = 0;
    Ok(())
}

/// Load the base and incremental files of `manifest`; returns their size.
/// The caller leaves the loading state this enters.
fn load_files(srv: &mut Server, names: &Names, manifest: &Manifest) -> Result<u64, String> {
    let start = std::time::Instant::now();
    let files: Vec<&FileEntry> = manifest.base.iter().chain(&manifest.incr).collect();
    if files.is_empty() {
        return Err("Found an empty AOF manifest".into());
    }
    let sizes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(names.dir.join(&f.name)).ok())
        .map(|m| m.len())
        .sum();
    super::loading::begin(srv, sizes);
    let mut total = 0u64;
    for (i, f) in files.iter().enumerate() {
        super::loading::next_file(srv, total);
        let path = names.dir.join(&f.name);
        let buf = std::fs::read(&path).map_err(|e| {
            format!(
                "Fatal error: can't open the append log file {} for reading: {e}",
                f.name
            )
        })?;
        total += buf.len() as u64;
        let last = i + 1 == files.len();
        // An RDB base, or an old-style AOF with an RDB preamble whose
        // commands follow it.
        let start_at = if buf.starts_with(b"REDIS") {
            load_rdb_base(srv, &buf, &f.name)?
        } else {
            0
        };
        if start_at < buf.len() {
            super::loading::next_file(srv, total - buf.len() as u64 + start_at as u64);
            match replay(srv, &buf[start_at..], &f.name)? {
                Replay::Complete => {}
                Replay::Truncated(at) => {
                    let at = at + start_at as u64;
                    if !last {
                        return Err("Fatal error: the truncated file is not the last file".into());
                    }
                    if srv.cfg.get("aof-load-truncated") == Some("no") {
                        return Err(format!(
                            "Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                            f.name
                        ));
                    }
                    log_warning!(
                        "!!! Warning: short read while loading the AOF file {}!!!",
                        f.name
                    );
                    log_warning!("!!! Truncating the AOF {} at offset {} !!!", f.name, at);
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .and_then(|file| file.set_len(at))
                        .map_err(|e| format!("Error truncating the AOF file {}: {e}", f.name))?;
                    total -= buf.len() as u64 - at;
                    log_warning!(
                        "AOF {} loaded anyway because aof-load-truncated is enabled",
                        f.name
                    );
                }
            }
        }
        let kind = if f.kind == 'b' { "base" } else { "incr" };
        log_notice!(
            "DB loaded from {kind} file {}: {:.3} seconds",
            f.name,
            start.elapsed().as_secs_f64()
        );
    }
    log_notice!(
        "DB loaded from append only file: {:.3} seconds",
        start.elapsed().as_secs_f64()
    );
    Ok(total)
}

/// Redis 7's upgrade of a pre-7 `appendonly.aof`: it becomes the base of
/// the new layout, under the same name, inside the AOF directory.
fn upgrade_old_aof(names: &Names) -> Result<Manifest, String> {
    std::fs::create_dir_all(&names.dir)
        .map_err(|e| format!("Can't create AOF directory {}: {e}", names.dir.display()))?;
    std::fs::rename(&names.filename, names.dir.join(&names.filename))
        .map_err(|e| format!("Error moving the old AOF into the AOF directory: {e}"))?;
    let m = Manifest {
        base: Some(FileEntry {
            name: names.filename.clone(),
            seq: 1,
            kind: 'b',
        }),
        ..Default::default()
    };
    names
        .persist(&m)
        .map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    log_notice!("Successfully migrated an old-style AOF into the AOF directory");
    Ok(m)
}

/// `appendonly yes` with no AOF yet: an empty base and a first incremental
/// file.
fn create_fresh(srv: &mut Server, names: &Names, now: i64) -> Result<(), String> {
    std::fs::create_dir_all(&names.dir)
        .map_err(|e| format!("Can't create AOF directory {}: {e}", names.dir.display()))?;
    // The dataset is empty at this point: an empty base of either kind.
    let resp = srv.cfg.get("aof-use-rdb-preamble") == Some("no");
    let base = srv.aof.next_base(resp);
    let path = names.dir.join(&base.name);
    if resp {
        std::fs::write(&path, b"").and_then(|()| std::fs::File::open(&path)?.sync_all())
    } else {
        super::rdb::save_sync(srv, &path)
    }
    .map_err(|e| format!("Can't create AOF base file: {e}"))?;
    log_notice!("Creating AOF base file {} on server start", base.name);
    srv.aof.manifest.base = Some(base);
    srv.aof.on = true;
    srv.sync_propagation();
    srv.aof
        .start_new_incr(now)
        .map_err(|e| format!("Can't create AOF incr file: {e}"))?;
    if let Some(i) = srv.aof.manifest.incr.last() {
        log_notice!("Creating AOF incr file {} on server start", i.name);
    }
    Ok(())
}

/// Load an RDB (a base, or an old AOF's preamble); returns the bytes it
/// took.
fn load_rdb_base(srv: &mut Server, buf: &[u8], name: &str) -> Result<usize, String> {
    let opts = super::rdb_load::LoadOpts {
        keep_expired: true,
        ..super::rdb_load::LoadOpts::from_server(srv)
    };
    let checksum = srv.cfg.get("rdbchecksum") != Some("no");
    let now = crate::util::time::now_ms();
    let ndbs = srv.dbs.len();
    let (dbs, info) =
        super::rdb_load::load_file_with(buf, ndbs, &opts, now, checksum, &mut |pos, info| {
            srv.loading.rdb_used_mem = info.used_mem;
            super::loading::progress(srv, pos);
        })
        .map_err(|e| format!("Error reading the RDB base file {name}, AOF loading aborted: {e}"))?;
    super::load_functions(srv, &info.functions, false)?;
    srv.dbs = dbs;
    Ok(info.consumed)
}

/// A command in an AOF that is not a RESP multibulk.
#[derive(Debug, PartialEq, Eq)]
pub struct BadFormat;

/// Parse one command at `buf[pos..]`: Ok(None) when the input ends inside
/// it, Err on a malformed one.
pub fn parse_command(buf: &[u8], mut pos: usize) -> Result<Option<(Vec<Bytes>, usize)>, BadFormat> {
    fn line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
        let rest = buf.get(pos..)?;
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        Some((&rest[..end], pos + end + 2))
    }
    fn number(b: &[u8]) -> Result<usize, BadFormat> {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(BadFormat)
    }
    let Some((head, next)) = line(buf, pos) else {
        return Ok(None);
    };
    if head.first() != Some(&b'*') {
        return Err(BadFormat);
    }
    let argc = number(&head[1..])?;
    if argc < 1 {
        return Err(BadFormat);
    }
    pos = next;
    let mut argv = Vec::with_capacity(argc);
    for _ in 0..argc {
        let Some((h, next)) = line(buf, pos) else {
            return Ok(None);
        };
        if h.first() != Some(&b'$') {
            return Err(BadFormat);
        }
        let len = number(&h[1..])?;
        if buf.len() < next + len + 2 {
            return Ok(None);
        }
        if &buf[next + len..next + len + 2] != b"\r\n" {
            return Err(BadFormat);
        }
        argv.push(Bytes::copy_from_slice(&buf[next..next + len]));
        pos = next + len + 2;
    }
    Ok(Some((argv, pos)))
}

/// Replay a file of commands through a client without a socket.
fn replay(srv: &mut Server, buf: &[u8], name: &str) -> Result<Replay, String> {
    let (a, _b) = mio::net::UnixStream::pair()
        .map_err(|e| format!("Can't create the AOF loading client: {e}"))?;
    let mut c = crate::net::client::Client::new(
        0,
        usize::MAX,
        crate::net::client::Conn::Unix(a),
        String::new(),
        String::new(),
        srv.now_ms,
    );
    c.authenticated = true;
    srv.prop.muted = true;
    crate::db::set_loading(true);
    let mut pos = 0usize;
    let mut multi_at: Option<usize> = None;
    let result = loop {
        // Annotations (`#TS:…`) are whole lines starting with '#'.
        if buf.get(pos) == Some(&b'#') {
            match buf[pos..].windows(2).position(|w| w == b"\r\n") {
                Some(end) => {
                    pos += end + 2;
                    continue;
                }
                None => break Ok(Replay::Truncated(pos as u64)),
            }
        }
        if pos >= buf.len() {
            break Ok(match multi_at {
                // A transaction cut before its EXEC is dropped whole.
                Some(at) => Replay::Truncated(at as u64),
                None => Replay::Complete,
            });
        }
        let (argv, next) = match parse_command(buf, pos) {
            Ok(Some(x)) => x,
            Ok(None) => break Ok(Replay::Truncated(multi_at.unwrap_or(pos) as u64)),
            Err(BadFormat) => {
                break Err(format!(
                    "Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                ));
            }
        };
        if srv.table.lookup(&argv).is_err() {
            break Err(format!(
                "Unknown command '{}' reading the append only file {name}",
                String::from_utf8_lossy(&argv[0])
            ));
        }
        if argv[0].eq_ignore_ascii_case(b"multi") {
            multi_at = Some(pos);
        } else if argv[0].eq_ignore_ascii_case(b"exec") {
            multi_at = None;
        }
        srv.now_ms = crate::util::time::now_ms();
        srv.execute(&mut c, argv);
        c.reply.clear();
        pos = next;
        super::loading::progress(srv, pos);
    };
    srv.prop.muted = false;
    crate::db::set_loading(false);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_sees_cut_ones() {
        let buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI";
        let (argv, next) = parse_command(buf, 0).unwrap().unwrap();
        assert_eq!(argv, vec![Bytes::from("GET"), Bytes::from("k")]);
        assert_eq!(next, 20);
        assert!(parse_command(buf, next).unwrap().is_none());
        assert!(parse_command(b"+OK\r\n", 0).is_err());
        assert!(parse_command(b"*1\r\n$2\r\nabc\r\n", 0).is_err());
        assert!(parse_command(b"*1\r\n$3\r\nab", 0).unwrap().is_none());
    }
}
