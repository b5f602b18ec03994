//! The slow log: commands that ran longer than `slowlog-log-slower-than`
//! microseconds, newest first, at most `slowlog-max-len` of them.
//!
//! `Server::call` measures every command already; it hands the duration
//! here, where a disabled log costs a single comparison. Entries keep a
//! trimmed copy of the arguments as Redis does (at most 32 arguments, the
//! last one saying how many more there were; strings cut at 128 bytes with
//! "... (N more bytes)"), with sensitive arguments replaced by
//! "(redacted)", plus the client's address and name at the time.

use std::collections::VecDeque;

use bytes::Bytes;

/// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
const MAX_ARGC: usize = 32;
const MAX_STRING: usize = 128;

pub struct Entry {
    pub id: i64,
    /// Unix time (s) the entry was logged.
    pub time: i64,
    /// Duration in microseconds.
    pub duration: i64,
    pub argv: Vec<Bytes>,
    pub peer: String,
    pub name: Bytes,
}

#[derive(Default)]
pub struct SlowLog {
    pub entries: VecDeque<Entry>,
    /// Ids keep counting across resets, as in Redis.
    pub next_id: i64,
}

/// Directives whose values CONFIG SET must not leave in logs (Redis's
/// SENSITIVE_CONFIG).
const SENSITIVE_CONFIGS: &[&str] = &["masterauth", "requirepass"];

/// Positions of the arguments a command wants hidden from the slow log and
/// MONITOR (Redis's redactClientCommandArgument callers).
pub fn redacted_positions(cmd: &str, argv: &[Bytes]) -> Vec<usize> {
    let is = |b: &[u8], s: &str| b.eq_ignore_ascii_case(s.as_bytes());
    match cmd {
        "config|set" => (2..argv.len())
            .step_by(2)
            .filter(|&i| {
                SENSITIVE_CONFIGS.iter().any(|s| {
                    crate::config::find(&String::from_utf8_lossy(&argv[i]))
                        .is_some_and(|(_, d)| d.name == *s)
                })
            })
            .map(|i| i + 1)
            .filter(|&i| i < argv.len())
            .collect(),
        "acl|setuser" => (3..argv.len()).collect(),
        "auth" => (1..argv.len()).collect(),
        "hello" => match (2..argv.len()).find(|&i| is(&argv[i], "auth")) {
            Some(i) => (i + 1..(i + 3).min(argv.len())).collect(),
            None => Vec::new(),
        },
        "migrate" => {
            let mut out = Vec::new();
            let mut i = 6;
            while i < argv.len() {
                if is(&argv[i], "auth") {
                    out.push(i + 1);
                    i += 2;
                } else if is(&argv[i], "auth2") {
                    out.extend([i + 1, i + 2]);
                    i += 3;
                } else if is(&argv[i], "keys") {
                    break;
                } else {
                    i += 1;
                }
            }
            out.retain(|&p| p < argv.len());
            out
        }
        _ => Vec::new(),
    }
}

/// The arguments as they may be shown: sensitive ones replaced.
pub fn shown_argv(cmd: &str, argv: &[Bytes]) -> Vec<Bytes> {
    let hide = redacted_positions(cmd, argv);
    argv.iter()
        .enumerate()
        .map(|(i, a)| {
            if hide.contains(&i) {
                Bytes::from_static(b"(redacted)")
            } else {
                a.clone()
            }
        })
        .collect()
}

/// The argument vector an entry keeps (Redis's slowlogCreateEntry rules).
fn trimmed(argv: &[Bytes]) -> Vec<Bytes> {
    let n = argv.len().min(MAX_ARGC);
    let mut out = Vec::with_capacity(n);
    for (j, a) in argv.iter().take(n).enumerate() {
        if n != argv.len() && j == n - 1 {
            let more = argv.len() - n + 1;
            out.push(Bytes::from(format!("... ({more} more arguments)")));
        } else if a.len() > MAX_STRING {
            let mut s = a[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes());
            out.push(Bytes::from(s));
        } else {
            out.push(crate::util::owned(a));
        }
    }
    out
}

impl SlowLog {
    /// Log a command if it was slow enough, then trim to `max_len`.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        slower_than: i64,
        max_len: usize,
        cmd: &str,
        argv: &[Bytes],
        duration: i64,
        peer: &str,
        name: Option<&[u8]>,
    ) {
        if slower_than < 0 {
            return;
        }
        if duration >= slower_than {
            let time = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let entry = Entry {
                id: self.next_id,
                time,
                duration,
                argv: trimmed(&shown_argv(cmd, argv)),
                peer: peer.to_string(),
                name: Bytes::copy_from_slice(name.unwrap_or(b"")),
            };
            self.next_id += 1;
            self.entries.push_front(entry);
        }
        self.entries.truncate(max_len);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn trims_arguments_and_strings() {
        let argv: Vec<Bytes> = (0..35).map(|i| b(&i.to_string())).collect();
        let t = trimmed(&argv);
        assert_eq!(t.len(), 32);
        assert_eq!(t[31], b("... (4 more arguments)"));
        let long = vec![b("set"), Bytes::from(vec![b'A'; 129])];
        let t = trimmed(&long);
        assert_eq!(&t[1][128..], b"... (1 more bytes)");
    }

    #[test]
    fn redacts_sensitive_values() {
        let argv = vec![
            b("config"),
            b("set"),
            b("masterauth"),
            b("x"),
            b("hz"),
            b("5"),
        ];
        let s = shown_argv("config|set", &argv);
        assert_eq!(s[3], b("(redacted)"));
        assert_eq!(s[5], b("5"));
        let m: Vec<Bytes> = "migrate h 1 k 9 5000 AUTH2 u p".split(' ').map(b).collect();
        assert_eq!(redacted_positions("migrate", &m), vec![7, 8]);
    }

    #[test]
    fn keeps_max_len_and_counts_ids() {
        let mut l = SlowLog::default();
        for _ in 0..5 {
            l.push(0, 3, "ping", &[b("ping")], 1, "1.2.3.4:5", None);
        }
        assert_eq!(l.entries.len(), 3);
        assert_eq!(l.entries[0].id, 4);
        l.push(-1, 3, "ping", &[b("ping")], 1, "", None);
        assert_eq!(l.next_id, 5);
    }
}
