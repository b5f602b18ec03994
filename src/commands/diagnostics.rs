//! SLOWLOG, LATENCY and MONITOR: what operators read to find slow commands and
//! latency spikes. The data lives in `crate::slowlog` and `crate::latency`
//! (recorded by `Server::call`); these handlers only reply, in Redis 7.0's
//! shapes and texts.

use std::fmt::Write as _;

use bytes::Bytes;

use super::{Handler, is, text};
use crate::net::Client;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("slowlog|get", slowlog_get),
    ("slowlog|len", slowlog_len),
    ("slowlog|reset", slowlog_reset),
    ("slowlog|help", slowlog_help),
    ("latency|latest", latency_latest),
    ("latency|history", latency_history),
    ("latency|reset", latency_reset),
    ("latency|histogram", latency_histogram),
    ("latency|doctor", latency_doctor),
    ("latency|graph", latency_graph),
    ("latency|help", latency_help),
    ("monitor", monitor),
];

/// MONITOR: stream every command this server runs to this client.
fn monitor(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    if !srv.monitors.contains(c.id) {
        srv.monitors.add(c.token, c.id);
    }
    c.monitor = true;
    c.reply.ok();
}

/// Redis's addReplySubcommandSyntaxError.
pub fn sub_syntax_err(c: &mut Client, argv: &[Bytes]) {
    c.reply.err(&format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        text(&argv[1]),
        text(&argv[0]).to_uppercase()
    ));
}

// ---------------------------------------------------------------------------
// SLOWLOG

/// SLOWLOG GET [count]: newest first, 10 by default, -1 for all.
fn slowlog_get(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut count = 10usize;
    if argv.len() > 3 {
        return sub_syntax_err(c, argv);
    }
    if argv.len() == 3 {
        match crate::util::num::parse_i64(&argv[2]) {
            Some(-1) => count = srv.slowlog.entries.len(),
            Some(n) if n >= 0 => count = n as usize,
            _ => return c.reply.err("count should be greater than or equal to -1"),
        }
    }
    let n = count.min(srv.slowlog.entries.len());
    c.reply.array_len(n);
    for e in srv.slowlog.entries.iter().take(n) {
        c.reply.array_len(6);
        c.reply.int(e.id);
        c.reply.int(e.time);
        c.reply.int(e.duration);
        c.reply.array_len(e.argv.len());
        for a in &e.argv {
            c.reply.bulk(a);
        }
        c.reply.bulk(e.peer.as_bytes());
        c.reply.bulk(&e.name);
    }
}

fn slowlog_len(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.int(srv.slowlog.entries.len() as i64);
}

fn slowlog_reset(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    srv.slowlog.reset();
    c.reply.ok();
}

fn slowlog_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
}

// ---------------------------------------------------------------------------
// LATENCY

/// LATENCY LATEST: per event, the last sample and the all-time maximum.
fn latency_latest(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.array_len(srv.latency.events.len());
    for (name, ts) in &srv.latency.events {
        let last = ts.last();
        c.reply.array_len(4);
        c.reply.bulk(name.as_bytes());
        c.reply.int(last.time);
        c.reply.int(last.latency);
        c.reply.int(ts.max);
    }
}

/// LATENCY HISTORY event: (time, latency) pairs, oldest first.
fn latency_history(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(ts) = srv.latency.events.get(text(&argv[2]).as_str()) else {
        return c.reply.array_len(0);
    };
    let samples: Vec<_> = ts.history().copied().collect();
    c.reply.array_len(samples.len());
    for s in samples {
        c.reply.array_len(2);
        c.reply.int(s.time);
        c.reply.int(s.latency);
    }
}

/// LATENCY RESET [event ...]: how many event series were dropped.
fn latency_reset(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let n = if argv.len() == 2 {
        srv.latency.reset(None)
    } else {
        argv[2..]
            .iter()
            .map(|e| srv.latency.reset(Some(&text(e))))
            .sum()
    };
    c.reply.int(n as i64);
}

/// LATENCY HISTOGRAM [command ...]: a map from command full name to its
/// call count and cumulative latency distribution; unknown names are
/// skipped and a container brings its subcommands.
fn latency_histogram(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let table = srv.table;
    let mut cmds = Vec::new();
    if argv.len() == 2 {
        for cmd in table.all() {
            cmds.push(cmd);
            cmds.extend(cmd.sorted_subcommands());
        }
    } else {
        for a in &argv[2..] {
            let name = text(a).to_ascii_lowercase();
            if let Some(cmd) = table.find_full(&name) {
                cmds.push(cmd);
                cmds.extend(cmd.sorted_subcommands());
            }
        }
    }
    let with_data: Vec<_> = cmds
        .into_iter()
        .filter_map(|cmd| {
            srv.cmd_stats[cmd.id]
                .latency_hist
                .as_ref()
                .map(|h| (cmd.name.as_str(), h))
        })
        .collect();
    c.reply.map_len(with_data.len());
    for (name, h) in with_data {
        c.reply.bulk(name.as_bytes());
        c.reply.map_len(2);
        c.reply.bulk(b"calls");
        c.reply.int(h.total as i64);
        c.reply.bulk(b"histogram_usec");
        let cdf = h.cdf();
        c.reply.map_len(cdf.len());
        for (us, n) in cdf {
            c.reply.int(us);
            c.reply.int(n as i64);
        }
    }
}

/// LATENCY GRAPH event: an ASCII sparkline of the event's samples.
fn latency_graph(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let name = text(&argv[2]);
    let Some(ts) = srv.latency.events.get(name.as_str()) else {
        return c
            .reply
            .err(&format!("No samples available for event '{name}'"));
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let g = crate::latency::graph(&name, ts, now);
    c.reply.verbatim(g.as_bytes(), "txt");
}

/// LATENCY DOCTOR: Redis's human-readable report for the events this
/// server records.
fn latency_doctor(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    let report = doctor_report(srv);
    c.reply.verbatim(report.as_bytes(), "txt");
}

fn doctor_report(srv: &Server) -> String {
    let threshold = srv.cfg.latency_monitor_threshold;
    if srv.latency.events.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut r = String::new();
    let (mut slowlog_enable, mut slowlog_tune, mut slowlog_inspect) = (false, false, false);
    let (mut scheduler, mut hz, mut large) = (false, false, false);
    let mut advices = 0;
    for (n, (event, ts)) in srv.latency.events.iter().enumerate() {
        if n == 0 {
            r.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let lat: Vec<i64> = ts.history().map(|s| s.latency).collect();
        let samples = lat.len() as i64;
        let (avg, mad, period) = if samples > 0 {
            let avg = lat.iter().sum::<i64>() / samples;
            let oldest = ts.history().map(|s| s.time).min().unwrap_or(now);
            let period = (now - oldest).max(1);
            let mad = lat.iter().map(|l| (avg - l).abs()).sum::<i64>() / samples;
            (avg, mad, period)
        } else {
            (0, 0, 0)
        };
        let _ = write!(
            r,
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            n + 1,
            event,
            samples,
            avg,
            mad,
            period as f64 / samples.max(1) as f64,
            ts.max
        );
        match event.as_str() {
            "command" => {
                if srv.cfg.slowlog_log_slower_than < 0 {
                    slowlog_enable = true;
                    advices += 1;
                } else if srv.cfg.slowlog_log_slower_than / 1000 > threshold {
                    slowlog_tune = true;
                    advices += 1;
                }
                slowlog_inspect = true;
                large = true;
                advices += 2;
            }
            "fast-command" => {
                scheduler = true;
                advices += 1;
            }
            "expire-cycle" => {
                hz = true;
                large = true;
                advices += 2;
            }
            _ => {}
        }
        r.push('\n');
    }
    let events = srv.latency.events.len();
    if events == 0 && advices == 0 {
        r.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return r;
    }
    if advices == 0 {
        r.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return r;
    }
    r.push_str("\nI have a few advices for you:\n\n");
    if slowlog_enable {
        let _ = writeln!(
            r,
            "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.",
            threshold * 1000
        );
    }
    if slowlog_tune {
        let _ = writeln!(
            r,
            "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.",
            threshold * 1000
        );
    }
    if slowlog_inspect {
        r.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if scheduler {
        r.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if hz && srv.cfg.hz < 100 {
        r.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
    }
    if large {
        r.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    r
}

fn latency_help(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    debug_assert!(is(&argv[1], "help"));
    c.reply.help(
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
}
