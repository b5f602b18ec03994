//! The process title (`proc-title-template`, `set-proc-title`): what `ps`
//! and /proc/PID/cmdline show, as Redis sets it ("redis-server *:6379").
//!
//! The template's `{title}`, `{listen-addr}`, `{server-mode}`, `{port}`,
//! `{tls-port}`, `{unixsocket}` and `{config-file}` are expanded as Redis's
//! (`{{` and `}}` stand for braces; an unknown variable or an unbalanced
//! brace makes the template invalid, and so does one that expands to
//! nothing).
//!
//! Linux has no call to set the command line: like setproctitle(3) we
//! write over the memory the kernel shows, which is the argument strings
//! followed by the environment strings. The environment is first copied to
//! the heap (and `environ` pointed at the copies), so the whole area is
//! ours; a title longer than the original arguments runs on into the old
//! environment area, which the kernel then shows as the command line.

use std::sync::Mutex;

use crate::config::Config;

/// The writable area: [start, end) of the process's argument and
/// environment strings, and argv[0] as launched.
struct Area {
    start: usize,
    end: usize,
    argv0: String,
}

static AREA: Mutex<Option<Area>> = Mutex::new(None);

/// Expand `template`; None if it is invalid. `title` fills `{title}`.
pub fn expand(
    template: &str,
    title: &str,
    cfg: &Config,
    config_file: Option<&str>,
) -> Option<String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return None,
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        '{' => return None,
                        c => name.push(c),
                    }
                }
                out.push_str(&variable(&name, title, cfg, config_file)?);
            }
            c => out.push(c),
        }
    }
    Some(out.trim_matches(' ').to_string())
}

fn variable(name: &str, title: &str, cfg: &Config, config_file: Option<&str>) -> Option<String> {
    Some(match name {
        "title" => title.to_string(),
        "listen-addr" if cfg.port != 0 => {
            let addr = cfg.bind.first().map_or("*", |b| b.as_str());
            format!("{addr}:{}", cfg.port)
        }
        "listen-addr" => format!("unixsocket:{}", cfg.unixsocket),
        "server-mode" => String::new(),
        "config-file" => config_file.unwrap_or("-").to_string(),
        "port" => cfg.port.to_string(),
        "tls-port" => "0".to_string(),
        "unixsocket" => cfg.unixsocket.clone(),
        _ => return None,
    })
}

/// Whether `template` is acceptable for `proc-title-template`.
pub fn valid_template(template: &str) -> bool {
    expand(template, "", &Config::default(), None).is_some_and(|s| !s.is_empty())
}

/// Take over the argument and environment area (once, at start, before
/// any thread reads the environment). Later titles are written there.
pub fn init() {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    // Fields after the command name (which may hold spaces) in ")".
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return;
    };
    let f: Vec<usize> = rest
        .split_whitespace()
        .map(|w| w.parse().unwrap_or(0))
        .collect();
    // arg_start is field 48 of the whole line: index 45 after the name.
    let (Some(&arg_start), Some(&env_start), Some(&env_end)) = (f.get(45), f.get(47), f.get(48))
    else {
        return;
    };
    if arg_start == 0 || env_end <= arg_start {
        return;
    }
    let argv0 = std::env::args().next().unwrap_or_default();
    // SAFETY: `environ` is the process's environment array; we replace each
    // pointer into [env_start, env_end) by a leaked heap copy of the same
    // string before that memory is reused. Done once at start-up, before
    // other threads exist.
    unsafe {
        unsafe extern "C" {
            static mut environ: *mut *mut libc::c_char;
        }
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            let s = *p as usize;
            if (env_start..env_end).contains(&s) {
                *p = libc::strdup(*p);
            }
            p = p.add(1);
        }
    }
    *AREA.lock().unwrap() = Some(Area {
        start: arg_start,
        end: env_end,
        argv0,
    });
}

/// Set the title from the configuration (start-up, CONFIG SET).
pub fn apply(cfg: &Config, config_file: Option<&str>) {
    if cfg.get("set-proc-title") == Some("no") {
        return;
    }
    let guard = AREA.lock().unwrap();
    let Some(area) = guard.as_ref() else { return };
    let template = cfg.get("proc-title-template").unwrap_or("");
    let Some(title) = expand(template, &area.argv0, cfg, config_file) else {
        return;
    };
    let len = area.end - area.start;
    let bytes = title.as_bytes();
    let n = bytes.len().min(len - 1);
    // SAFETY: [start, end) is the argument/environment string area of this
    // process, which `init` took over; nothing else reads it any more.
    unsafe {
        let dst = area.start as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, n);
        std::ptr::write_bytes(dst.add(n), 0, len - n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_as_redis() {
        let mut cfg = Config::default();
        cfg.port = 6380;
        cfg.bind = vec!["127.0.0.1".into()];
        let t = |s: &str| expand(s, "/usr/bin/redis-server", &cfg, Some("/etc/redis.conf"));
        assert_eq!(
            t("{title} {listen-addr} {server-mode}").unwrap(),
            "/usr/bin/redis-server 127.0.0.1:6380"
        );
        assert_eq!(
            t("x {port} {tls-port} {config-file}").unwrap(),
            "x 6380 0 /etc/redis.conf"
        );
        assert_eq!(t("{{literal}} {port}").unwrap(), "{literal} 6380");
        assert_eq!(t("{invalid-var}"), None);
        assert_eq!(t("{title"), None);
        assert_eq!(t("title}"), None);
        assert!(valid_template("{title} {listen-addr} {server-mode}"));
        assert!(!valid_template("{server-mode}"));
        assert!(!valid_template("{invalid-var}"));
    }
}
