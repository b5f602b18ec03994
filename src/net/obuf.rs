//! Output buffer limits: `client-output-buffer-limit` and closing clients
//! that do not read their replies.
//!
//! Each client class (normal, replica, pubsub) has a hard limit (close as
//! soon as the pending output reaches it) and a soft limit with a duration
//! (close when it stays over for longer than that many seconds). The size
//! counted is what Redis counts: the pending reply beyond the 16 KiB a client
//! keeps in its fixed buffer (CLIENT LIST `omem`), so it is one subtraction,
//! never a scan of the reply.
//!
//! The check runs after each command of the client being served, before
//! writing to a client that received pushes, and in `cron` for the soft
//! limits of idle connections. As a memory guard the reply buffer itself
//! stops growing once past the hard limit (`Reply::limit`), so one command
//! with a huge reply (or a flood of published messages) cannot take more
//! memory than the limit allows before the check closes the client.

use crate::net::Client;
use crate::server::Server;
use crate::{log_warning, util::num::parse_i64};

/// Bytes a client keeps in its fixed reply buffer, not counted in `omem`.
pub const REPLY_CHUNK: usize = 16 * 1024;

/// The classes, in the order CONFIG GET prints them.
pub const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];
pub const NORMAL: usize = 0;
pub const REPLICA: usize = 1;
pub const PUBSUB: usize = 2;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limit {
    pub hard: u64,
    pub soft: u64,
    pub soft_secs: i64,
}

const WRONG_ARGS: &str = "Wrong number of arguments in buffer limit configuration.";
const BAD_CLASS: &str = "Invalid client class specified in buffer limit configuration.";
const BAD_VALUE: &str =
    "Error in hard, soft or soft_seconds setting in buffer limit configuration.";

fn class_index(name: &str) -> Option<usize> {
    match name.to_ascii_lowercase().as_str() {
        "normal" => Some(0),
        "slave" | "replica" => Some(1),
        "pubsub" => Some(2),
        _ => None,
    }
}

/// Validate `<class> <hard> <soft> <soft_seconds>` groups (the words may
/// come as one argument or several); the canonical text of the classes
/// given, with byte values.
pub fn validate(args: &[String]) -> Result<String, String> {
    let words: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
    if !words.len().is_multiple_of(4) {
        return Err(WRONG_ARGS.into());
    }
    let mut out = Vec::new();
    for g in words.chunks(4) {
        let class = class_index(g[0]).ok_or(BAD_CLASS)?;
        let mem = |s: &str| crate::config::parse_memory(s).filter(|&n| n >= 0);
        let (Some(hard), Some(soft), Some(secs)) = (
            mem(g[1]),
            mem(g[2]),
            parse_i64(g[3].as_bytes()).filter(|&n| n >= 0),
        ) else {
            return Err(BAD_VALUE.into());
        };
        out.push(format!("{} {hard} {soft} {secs}", CLASSES[class]));
    }
    Ok(out.join(" "))
}

/// The limits of every class from a canonical text (later groups win).
pub fn parse(s: &str) -> [Limit; 3] {
    let mut limits = [Limit::default(); 3];
    let words: Vec<&str> = s.split_whitespace().collect();
    for g in words.chunks_exact(4) {
        if let Some(i) = class_index(g[0]) {
            let n = |w: &str| w.parse::<i64>().unwrap_or(0);
            limits[i] = Limit {
                hard: n(g[1]) as u64,
                soft: n(g[2]) as u64,
                soft_secs: n(g[3]),
            };
        }
    }
    limits
}

/// Apply the classes given in `new` over `old`: the full canonical text.
pub fn merge(old: &str, new: &str) -> String {
    let mut limits = parse(old);
    let words: Vec<&str> = new.split_whitespace().collect();
    for g in words.chunks_exact(4) {
        if let Some(i) = class_index(g[0]) {
            limits[i] = parse(&g.join(" "))[i];
        }
    }
    CLASSES
        .iter()
        .zip(limits)
        .map(|(name, l)| format!("{name} {} {} {}", l.hard, l.soft, l.soft_secs))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Peaks of the output buffers over the last seconds (INFO
/// client_recent_max_output_buffer), one slot per second as in Redis.
#[derive(Default)]
pub struct Peaks {
    slots: [usize; 8],
    last_slot: usize,
}

impl Peaks {
    pub fn record(&mut self, now_secs: i64, usage: usize) {
        let i = now_secs.rem_euclid(8) as usize;
        if i != self.last_slot {
            self.slots[i] = 0;
            self.last_slot = i;
        }
        self.slots[i] = self.slots[i].max(usage);
    }
    pub fn recent_max(&self) -> usize {
        self.slots.iter().copied().max().unwrap_or(0)
    }
}

/// The reply-buffer guard for a class (see `Reply::limit`).
pub fn guard(limits: &[Limit; 3], class: usize) -> usize {
    match limits[class].hard {
        0 => usize::MAX,
        h => (h as usize).saturating_add(REPLY_CHUNK),
    }
}

impl Server {
    /// The limit class of a connection. A replica's output holds the sync
    /// payload too, which Redis does not count: a caveat for huge datasets.
    pub fn obuf_class(&self, c: &Client) -> usize {
        if crate::replication::is_replica(self, c) {
            REPLICA
        } else if c.pubsub_mode {
            PUBSUB
        } else {
            NORMAL
        }
    }

    /// The reply-buffer guard for `c`'s class (see `Reply::limit`).
    pub fn obuf_guard(&self, c: &Client) -> usize {
        guard(&self.cfg.obuf_limits, self.obuf_class(c))
    }

    /// Whether `c` is over its limits (Redis's checkClientOutputBufferLimits),
    /// keeping the time its soft limit was first reached.
    fn obuf_limit_reached(&self, c: &mut Client) -> bool {
        let used = c.obuf_usage() as u64;
        let class = self.obuf_class(c);
        let mut l = self.cfg.obuf_limits[class];
        if class == REPLICA {
            // A replica's limits below the backlog size would cut it off
            // right after a partial resync: the backlog size is used.
            let backlog = crate::replication::backlog_size(self) as u64;
            if l.hard > 0 && l.hard < backlog {
                l.hard = backlog;
            }
            if l.soft > 0 && l.soft < backlog {
                l.soft = backlog;
            }
        }
        let hard = l.hard > 0 && used >= l.hard;
        let mut soft = l.soft > 0 && used >= l.soft;
        let now = self.now_ms / 1000;
        if soft {
            if c.obuf_soft_since == 0 {
                c.obuf_soft_since = now;
                soft = false;
            } else if now - c.obuf_soft_since <= l.soft_secs {
                soft = false;
            }
        } else {
            c.obuf_soft_since = 0;
        }
        hard || soft || c.reply.overflow
    }

    /// Mark `c` to be closed if it is over its limits, with Redis's log
    /// line (`from_cron`: closed now rather than scheduled). Returns true
    /// when it is to be closed.
    pub fn close_on_obuf_limit(&mut self, c: &mut Client, from_cron: bool) -> bool {
        // Id 0 is the AOF loading client, which has no one to answer.
        if c.id == 0 || c.close_asap || (c.obuf_usage() == 0 && !c.reply.overflow) {
            return false;
        }
        if !self.obuf_limit_reached(c) {
            return false;
        }
        let info = c.info_line(self.now_ms, c.last_cmd);
        if from_cron {
            log_warning!("Client {info} closed for overcoming of output buffer limits.");
        } else {
            log_warning!(
                "Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."
            );
        }
        c.close_asap = true;
        c.reply.clear();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Vec<String> {
        vec![v.to_string()]
    }

    #[test]
    fn validation() {
        assert_eq!(validate(&s("wrong number")).unwrap_err(), WRONG_ARGS);
        assert_eq!(
            validate(&s("invalid_class 10mb 10mb 60")).unwrap_err(),
            BAD_CLASS
        );
        assert_eq!(validate(&s("master 10mb 10mb 60")).unwrap_err(), BAD_CLASS);
        assert_eq!(validate(&s("normal 10mbs 10mb 60")).unwrap_err(), BAD_VALUE);
        assert_eq!(validate(&s("pubsub 1 1 60s")).unwrap_err(), BAD_VALUE);
        assert_eq!(validate(&s("pubsub 1 1 -1")).unwrap_err(), BAD_VALUE);
        assert_eq!(
            validate(&s("normal 1mb 2mb 60 replica 3mb 4mb 70")).unwrap(),
            "normal 1048576 2097152 60 slave 3145728 4194304 70"
        );
    }

    #[test]
    fn merging() {
        let def = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
        assert_eq!(
            merge(def, "pubsub 100000 0 0"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 100000 0 0"
        );
        assert_eq!(parse(def)[1].soft, 67108864);
    }

    #[test]
    fn peaks() {
        let mut p = Peaks::default();
        p.record(1, 10);
        p.record(2, 5);
        assert_eq!(p.recent_max(), 10);
        p.record(9, 1);
        assert_eq!(p.recent_max(), 5);
    }
}
