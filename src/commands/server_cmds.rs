//! Server commands: INFO, TIME, CONFIG GET/SET/RESETSTAT/HELP, DEBUG and
//! SHUTDOWN.
//!
//! INFO prints Redis 7.0's sections with their field names and order, so
//! monitoring tools and Redis's test helpers (`s field`, `cmdstat`,
//! `errorstat`) read us unchanged. Features we do not have yet (RDB, AOF,
//! replication, Lua, eviction) report what is true of this server: zero
//! counters, `-1` times, `role:master`. CONFIG works on the directive table
//! of `config.rs`; CONFIG SET checks every pair before changing anything, so
//! a failed call leaves the configuration as it was. DEBUG offers the
//! subcommands that make sense here and is gated by `enable-debug-command`
//! in `Server::execute`, like Redis's protected commands.
//!
//! SHUTDOWN saves a final snapshot in the foreground when `save` points are
//! configured or SAVE is given (not with NOSAVE); a failed save refuses the
//! shutdown ("Errors trying to SHUTDOWN. Check logs.") unless FORCE is given.
//! SAVE, LASTSAVE and DEBUG RELOAD use `crate::persistence`.

use std::fmt::Write as _;

use bytes::Bytes;

use super::{Handler, is, text};
use crate::config::{self, DIRECTIVES, Directive};
use crate::net::Client;
use crate::server::{CmdStat, Server};
use crate::{log_notice, log_warning};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("info", info),
    ("time", time),
    ("debug", debug),
    ("shutdown", shutdown),
    ("config|get", config_get),
    ("config|set", config_set),
    ("config|resetstat", config_resetstat),
    ("config|help", config_help),
    ("save", save),
    ("lastsave", lastsave),
    ("bgsave", bgsave),
    ("bgrewriteaof", bgrewriteaof),
    ("config|rewrite", config_rewrite),
];

pub const DEBUG_NOT_ALLOWED: &str = "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// A connection over the unix socket or from a loopback address.
pub fn is_local(c: &Client) -> bool {
    if c.is_unix {
        return true;
    }
    let ip = c.addr.rsplit_once(':').map(|(ip, _)| ip).unwrap_or("");
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip == "127.0.0.1" || ip == "::1"
}

/// Redis's allowProtectedAction for a `no` / `yes` / `local` setting.
fn protected_allowed(setting: &str, c: &Client) -> bool {
    setting == "yes" || (setting == "local" && is_local(c))
}

/// May this client run DEBUG (`enable-debug-command`)?
pub fn debug_allowed(srv: &Server, c: &Client) -> bool {
    protected_allowed(&srv.cfg.enable_debug_command, c)
}

// ---------------------------------------------------------------------------
// INFO

/// Redis's bytesToHuman: 100B, 2.00K, 1.50M, …
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(&str, u32); 5] = [("K", 1), ("M", 2), ("G", 3), ("T", 4), ("P", 5)];
    if n < 1024 {
        return format!("{n}B");
    }
    for (u, p) in UNITS {
        if (n as f64) < 1024f64.powi(p as i32 + 1) {
            return format!("{:.2}{}", n as f64 / 1024f64.powi(p as i32), u);
        }
    }
    format!("{n}B")
}

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections INFO's arguments select (Redis 7.0's genInfoSectionDict):
/// no argument = the default sections; `default` adds them; `all` is every
/// section; `everything` is `all` plus module sections (we have none).
struct Sections {
    all: bool,
    names: Vec<String>,
}

impl Sections {
    fn parse(args: &[Bytes]) -> Sections {
        let mut s = Sections {
            all: false,
            names: Vec::new(),
        };
        if args.is_empty() {
            s.names = DEFAULT_SECTIONS.iter().map(|x| x.to_string()).collect();
            return s;
        }
        for a in args {
            let l = text(a).to_ascii_lowercase();
            match l.as_str() {
                "default" => s
                    .names
                    .extend(DEFAULT_SECTIONS.iter().map(|x| x.to_string())),
                "all" | "everything" => s.all = true,
                _ => s.names.push(l),
            }
        }
        s
    }

    fn want(&self, name: &str) -> bool {
        self.all || self.names.iter().any(|n| n == name)
    }
}

/// One line `name:value\r\n`.
macro_rules! field {
    ($out:expr, $name:expr, $($v:tt)*) => {{
        let _ = write!($out, "{}:", $name);
        let _ = write!($out, $($v)*);
        $out.push_str("\r\n");
    }};
}

fn uname() -> String {
    // SAFETY: uname fills a zeroed struct; the fields are NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::new();
        }
        let f = |b: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(b.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
    }
}

fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage writes into the zeroed struct.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    };
    (
        format!("{}.{:06}", ru.ru_stime.tv_sec, ru.ru_stime.tv_usec),
        format!("{}.{:06}", ru.ru_utime.tv_sec, ru.ru_utime.tv_usec),
    )
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages.max(0) as u64) * (size.max(0) as u64)
}

/// Memory mimalloc has committed from the OS.
fn allocator_committed() -> usize {
    let mut v = [0usize; 8];
    // SAFETY: mi_process_info writes one usize through each pointer.
    unsafe {
        let [a, b, c, d, e, f, g, h] = &mut v;
        libmimalloc_sys::mi_process_info(a, b, c, d, e, f, g, h);
    }
    v[5]
}

fn mimalloc_version() -> String {
    // SAFETY: mi_version has no preconditions.
    let v = unsafe { libmimalloc_sys::mi_version() };
    // 212 is 2.1.2; five digits (30302) are 3.3.2.
    if v >= 10000 {
        format!("mimalloc-{}.{}.{}", v / 10000, (v / 100) % 100, v % 100)
    } else {
        format!("mimalloc-{}.{}.{}", v / 100, (v / 10) % 10, v % 10)
    }
}

/// The replication id INFO reports. Replication does not exist yet; the id
/// is random per process, as Redis's is at start.
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { a / b }
}

/// The text of INFO for the given sections.
fn info_string(srv: &mut Server, c: &Client, sel: &Sections) -> String {
    // Memory in use as the command began, before the text below is
    // allocated (what maxmemory is checked against).
    let used_at_start = crate::alloc::used_memory();
    let mut out = String::with_capacity(4096);
    let mut sections = 0;
    let mut header = |out: &mut String, title: &str| {
        if sections > 0 {
            out.push_str("\r\n");
        }
        sections += 1;
        let _ = write!(out, "# {title}\r\n");
    };
    let now_ms = crate::util::time::now_ms();
    let uptime = srv.uptime_secs();

    if sel.want("server") {
        header(&mut out, "Server");
        field!(out, "redis_version", "{}", crate::REDIS_VERSION);
        field!(out, "cinnabar_version", "{}", crate::CINNABAR_VERSION);
        field!(out, "redis_git_sha1", "00000000");
        field!(out, "redis_git_dirty", "0");
        field!(
            out,
            "redis_build_id",
            "cinnabar-{}",
            crate::CINNABAR_VERSION
        );
        field!(out, "redis_mode", "standalone");
        field!(out, "os", "{}", uname());
        field!(out, "arch_bits", "{}", usize::BITS);
        field!(out, "monotonic_clock", "POSIX clock_gettime");
        field!(out, "multiplexing_api", "epoll");
        field!(out, "atomicvar_api", "c11-builtin");
        field!(out, "gcc_version", "0.0.0");
        field!(out, "process_id", "{}", std::process::id());
        field!(out, "process_supervised", "no");
        field!(out, "run_id", "{}", srv.run_id);
        field!(out, "tcp_port", "{}", srv.cfg.port);
        field!(out, "server_time_usec", "{}", crate::util::time::now_us());
        field!(out, "uptime_in_seconds", "{}", uptime);
        field!(out, "uptime_in_days", "{}", uptime / 86400);
        field!(out, "hz", "{}", srv.hz);
        field!(out, "configured_hz", "{}", srv.cfg.hz);
        field!(out, "lru_clock", "{}", crate::db::lru_clock(now_ms));
        field!(out, "executable", "{}", srv.executable);
        field!(
            out,
            "config_file",
            "{}",
            srv.config_file.as_deref().unwrap_or("")
        );
        field!(out, "io_threads_active", "0");
        if let Some(ms) = crate::shutdown_wait::remaining_ms(srv) {
            field!(out, "shutdown_in_milliseconds", "{ms}");
        }
    }

    // Client buffers: the served client is out of the slab, so add it.
    let others = || srv.clients.iter().filter_map(|(_, s)| s.as_deref());
    let max_in = others()
        .chain(std::iter::once(c))
        .map(|x| x.query.capacity())
        .max()
        .unwrap_or(0);
    let max_out = srv.obuf_peaks.recent_max();
    let clients_mem: usize = others()
        .chain(std::iter::once(c))
        .map(|x| x.query.capacity() + x.reply.buf.capacity() + std::mem::size_of::<Client>())
        .sum();
    if sel.want("clients") {
        header(&mut out, "Clients");
        // Replicas are not counted (Redis's clients - slaves).
        let clients = srv.clients.len() - srv.replicas.len();
        field!(out, "connected_clients", "{clients}");
        field!(out, "cluster_connections", "0");
        field!(out, "maxclients", "{}", srv.cfg.maxclients);
        field!(out, "client_recent_max_input_buffer", "{max_in}");
        field!(out, "client_recent_max_output_buffer", "{max_out}");
        // Clients held by CLIENT PAUSE count as blocked, as in Redis.
        let postponed = srv
            .clients
            .iter()
            .filter(|(_, c)| c.as_ref().is_some_and(|c| c.postponed.is_some()))
            .count();
        field!(out, "blocked_clients", "{}", srv.blocking.count + postponed);
        field!(out, "tracking_clients", "{}", srv.tracking.clients());
        field!(
            out,
            "clients_in_timeout_table",
            "{}",
            srv.blocking.timeout_count()
        );
    }

    if sel.want("memory") {
        let used = used_at_start;
        srv.stats.peak_memory = srv.stats.peak_memory.max(used);
        let peak = srv.stats.peak_memory;
        let rss = crate::alloc::rss_bytes();
        let startup = srv.stats.startup_memory;
        let dicts: usize = srv
            .dbs
            .iter()
            .map(|d| d.keys.table_bytes() + d.expires.table_bytes())
            .sum();
        let overhead = (startup + clients_mem + dicts).min(used);
        let dataset = used - overhead;
        let net = used.saturating_sub(startup);
        let committed = allocator_committed().max(used);
        let sysmem = total_system_memory();
        let maxmemory: u64 = srv
            .cfg
            .get("maxmemory")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        header(&mut out, "Memory");
        field!(out, "used_memory", "{used}");
        field!(out, "used_memory_human", "{}", bytes_to_human(used as u64));
        field!(out, "used_memory_rss", "{rss}");
        field!(
            out,
            "used_memory_rss_human",
            "{}",
            bytes_to_human(rss as u64)
        );
        field!(out, "used_memory_peak", "{peak}");
        field!(
            out,
            "used_memory_peak_human",
            "{}",
            bytes_to_human(peak as u64)
        );
        field!(
            out,
            "used_memory_peak_perc",
            "{:.2}%",
            ratio(used as f64, peak as f64) * 100.0
        );
        field!(out, "used_memory_overhead", "{overhead}");
        field!(out, "used_memory_startup", "{startup}");
        field!(out, "used_memory_dataset", "{dataset}");
        field!(
            out,
            "used_memory_dataset_perc",
            "{:.2}%",
            ratio(dataset as f64, net as f64) * 100.0
        );
        field!(out, "allocator_allocated", "{used}");
        field!(out, "allocator_active", "{committed}");
        field!(out, "allocator_resident", "{committed}");
        field!(out, "total_system_memory", "{sysmem}");
        field!(
            out,
            "total_system_memory_human",
            "{}",
            bytes_to_human(sysmem)
        );
        let sc = &srv.scripting;
        let lua_eval = sc.lua_memory();
        let lua_funcs = sc.functions.vm.lua.used_memory();
        let funcs_mem = sc.functions.memory();
        field!(out, "used_memory_lua", "{lua_eval}");
        field!(out, "used_memory_vm_eval", "{lua_eval}");
        field!(
            out,
            "used_memory_lua_human",
            "{}",
            bytes_to_human(lua_eval as u64)
        );
        field!(out, "used_memory_scripts_eval", "{}", sc.scripts_mem);
        field!(out, "number_of_cached_scripts", "{}", sc.scripts.len());
        field!(
            out,
            "number_of_functions",
            "{}",
            sc.functions.function_count()
        );
        field!(out, "number_of_libraries", "{}", sc.functions.libs.len());
        field!(out, "used_memory_vm_functions", "{lua_funcs}");
        field!(out, "used_memory_vm_total", "{}", lua_eval + lua_funcs);
        field!(
            out,
            "used_memory_vm_total_human",
            "{}",
            bytes_to_human((lua_eval + lua_funcs) as u64)
        );
        field!(out, "used_memory_functions", "{funcs_mem}");
        field!(out, "used_memory_scripts", "{}", sc.scripts_mem + funcs_mem);
        field!(
            out,
            "used_memory_scripts_human",
            "{}",
            bytes_to_human((sc.scripts_mem + funcs_mem) as u64)
        );
        field!(out, "maxmemory", "{maxmemory}");
        field!(out, "maxmemory_human", "{}", bytes_to_human(maxmemory));
        field!(
            out,
            "maxmemory_policy",
            "{}",
            srv.cfg.get("maxmemory-policy").unwrap_or("noeviction")
        );
        field!(
            out,
            "allocator_frag_ratio",
            "{:.2}",
            ratio(committed as f64, used as f64)
        );
        field!(out, "allocator_frag_bytes", "{}", committed - used);
        field!(out, "allocator_rss_ratio", "{:.2}", 1.0);
        field!(out, "allocator_rss_bytes", "0");
        field!(
            out,
            "rss_overhead_ratio",
            "{:.2}",
            ratio(rss as f64, committed as f64)
        );
        field!(
            out,
            "rss_overhead_bytes",
            "{}",
            rss as i64 - committed as i64
        );
        field!(
            out,
            "mem_fragmentation_ratio",
            "{:.2}",
            ratio(rss as f64, used as f64)
        );
        field!(
            out,
            "mem_fragmentation_bytes",
            "{}",
            rss as i64 - used as i64
        );
        field!(
            out,
            "mem_not_counted_for_evict",
            "{}",
            crate::evict::not_counted(srv)
        );
        field!(out, "mem_replication_backlog", "0");
        field!(
            out,
            "mem_total_replication_buffers",
            "{}",
            crate::replication::buffer_memory(srv)
        );
        field!(out, "mem_clients_slaves", "0");
        field!(out, "mem_clients_normal", "{clients_mem}");
        field!(out, "mem_cluster_links", "0");
        field!(out, "mem_aof_buffer", "0");
        field!(out, "mem_allocator", "{}", mimalloc_version());
        field!(out, "active_defrag_running", "0");
        field!(out, "lazyfree_pending_objects", "0");
        field!(out, "lazyfreed_objects", "0");
    }

    if sel.want("persistence") {
        header(&mut out, "Persistence");
        field!(out, "loading", "{}", u8::from(srv.loading.active));
        field!(out, "async_loading", "0");
        crate::persistence::background::info_fields(srv, &mut out);
        field!(
            out,
            "rdb_last_load_keys_expired",
            "{}",
            srv.rdb_stats.last_load_keys_expired
        );
        field!(
            out,
            "rdb_last_load_keys_loaded",
            "{}",
            srv.rdb_stats.last_load_keys_loaded
        );
        srv.aof.info_fields(&mut out, srv.now_ms);
        field!(out, "module_fork_in_progress", "0");
        field!(out, "module_fork_last_cow_size", "0");
        crate::persistence::loading::info_fields(srv, &mut out);
    }

    if sel.want("stats") {
        let st = &srv.stats;
        let expired: u64 = srv.dbs.iter().map(|d| d.stat_expired).sum();
        let hits: u64 = srv.dbs.iter().map(|d| d.stat_hits).sum();
        let misses: u64 = srv.dbs.iter().map(|d| d.stat_misses).sum();
        header(&mut out, "Stats");
        field!(
            out,
            "total_connections_received",
            "{}",
            st.connections_received
        );
        field!(out, "total_commands_processed", "{}", st.commands_processed);
        field!(out, "instantaneous_ops_per_sec", "{}", st.inst_ops.get());
        field!(out, "total_net_input_bytes", "{}", st.net_input_bytes);
        field!(out, "total_net_output_bytes", "{}", st.net_output_bytes);
        field!(out, "total_net_repl_input_bytes", "0");
        field!(out, "total_net_repl_output_bytes", "0");
        field!(
            out,
            "instantaneous_input_kbps",
            "{:.2}",
            st.inst_net_in.get() as f32 / 1024.0
        );
        field!(
            out,
            "instantaneous_output_kbps",
            "{:.2}",
            st.inst_net_out.get() as f32 / 1024.0
        );
        field!(out, "instantaneous_input_repl_kbps", "0.00");
        field!(out, "instantaneous_output_repl_kbps", "0.00");
        field!(out, "rejected_connections", "{}", st.rejected_connections);
        let r = &srv.replicas;
        field!(out, "sync_full", "{}", r.sync_full);
        field!(out, "sync_partial_ok", "{}", r.sync_partial_ok);
        field!(out, "sync_partial_err", "{}", r.sync_partial_err);
        field!(out, "expired_keys", "{expired}");
        field!(
            out,
            "expired_stale_perc",
            "{:.2}",
            st.expired_stale_perc * 100.0
        );
        field!(
            out,
            "expired_time_cap_reached_count",
            "{}",
            st.active_expire_time_limit_hit
        );
        field!(
            out,
            "expire_cycle_cpu_milliseconds",
            "{}",
            st.expire_cycle_cpu_ms
        );
        let (current, total) = srv.evict.exceeded_times();
        field!(out, "evicted_keys", "{}", srv.evict.evicted_keys);
        field!(out, "evicted_clients", "{}", st.evicted_clients);
        field!(out, "total_eviction_exceeded_time", "{total}");
        field!(out, "current_eviction_exceeded_time", "{current}");
        field!(out, "keyspace_hits", "{hits}");
        field!(out, "keyspace_misses", "{misses}");
        field!(out, "pubsub_channels", "{}", srv.pubsub.channels.len());
        field!(out, "pubsub_patterns", "{}", srv.pubsub.patterns.len());
        field!(out, "pubsubshard_channels", "{}", srv.pubsub.shard.len());
        field!(out, "latest_fork_usec", "{}", srv.rdb.latest_fork_usec);
        field!(out, "total_forks", "{}", srv.rdb.total_forks);
        field!(
            out,
            "migrate_cached_sockets",
            "{}",
            super::migrate::cached_sockets(srv.now_ms)
        );
        for f in [
            "slave_expires_tracked_keys",
            "active_defrag_hits",
            "active_defrag_misses",
            "active_defrag_key_hits",
            "active_defrag_key_misses",
            "total_active_defrag_time",
            "current_active_defrag_time",
        ] {
            field!(out, f, "0");
        }
        field!(out, "tracking_total_keys", "{}", srv.tracking.total_keys());
        field!(
            out,
            "tracking_total_items",
            "{}",
            srv.tracking.total_items()
        );
        field!(
            out,
            "tracking_total_prefixes",
            "{}",
            srv.tracking.total_prefixes()
        );
        field!(out, "unexpected_error_replies", "0");
        field!(out, "total_error_replies", "{}", st.total_error_replies);
        field!(out, "dump_payload_sanitizations", "0");
        field!(out, "total_reads_processed", "{}", st.reads_processed);
        field!(out, "total_writes_processed", "{}", st.writes_processed);
        field!(out, "io_threaded_reads_processed", "0");
        field!(out, "io_threaded_writes_processed", "0");
        field!(out, "reply_buffer_shrinks", "0");
        field!(out, "reply_buffer_expands", "0");
    }

    if sel.want("replication") {
        header(&mut out, "Replication");
        let role = if srv.master_link.is_some() {
            "slave"
        } else {
            "master"
        };
        field!(out, "role", "{}", role);
        crate::replica::info_link(srv, &mut out);
        crate::replication::info_replicas(srv, &mut out);
        crate::replication::info_history(srv, &mut out);
    }

    if sel.want("cpu") {
        header(&mut out, "CPU");
        let (sys, user) = rusage(libc::RUSAGE_SELF);
        let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
        let (msys, muser) = rusage(libc::RUSAGE_THREAD);
        field!(out, "used_cpu_sys", "{sys}");
        field!(out, "used_cpu_user", "{user}");
        field!(out, "used_cpu_sys_children", "{csys}");
        field!(out, "used_cpu_user_children", "{cuser}");
        field!(out, "used_cpu_sys_main_thread", "{msys}");
        field!(out, "used_cpu_user_main_thread", "{muser}");
    }

    if sel.want("module_list") || sel.want("modules") {
        header(&mut out, "Modules");
    }

    if sel.want("commandstats") {
        header(&mut out, "Commandstats");
        for cmd in srv.table.all() {
            for x in std::iter::once(cmd).chain(cmd.sorted_subcommands()) {
                let s: &CmdStat = &srv.cmd_stats[x.id];
                if s.calls == 0 && s.failed == 0 && s.rejected == 0 {
                    continue;
                }
                // Redis divides in single precision.
                let per_call = if s.calls == 0 {
                    0.0
                } else {
                    (s.usec as f32 / s.calls as f32) as f64
                };
                let _ = write!(
                    out,
                    "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                    safe_info_string(&x.name),
                    s.calls,
                    s.usec,
                    per_call,
                    s.rejected,
                    s.failed
                );
            }
        }
    }

    if sel.want("errorstats") {
        header(&mut out, "Errorstats");
        let mut errs: Vec<(&String, &u64)> = srv.stats.errors.iter().collect();
        errs.sort();
        for (code, n) in errs {
            let _ = write!(out, "errorstat_{}:count={}\r\n", safe_info_string(code), n);
        }
    }

    if sel.want("latencystats") {
        header(&mut out, "Latencystats");
        for cmd in srv.table.all() {
            for x in std::iter::once(cmd).chain(cmd.sorted_subcommands()) {
                let Some(h) = srv.cmd_stats[x.id].latency_hist.as_ref() else {
                    continue;
                };
                let _ = write!(
                    out,
                    "latency_percentiles_usec_{}:",
                    safe_info_string(&x.name)
                );
                for (i, p) in srv.cfg.latency_percentiles.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let mut t = format!("{p:.6}");
                    while t.ends_with('0') {
                        t.pop();
                    }
                    if t.ends_with('.') {
                        t.pop();
                    }
                    let _ = write!(out, "p{}={:.3}", t, h.percentile(*p) as f64 / 1000.0);
                }
                out.push_str("\r\n");
            }
        }
    }

    if sel.want("cluster") {
        header(&mut out, "Cluster");
        field!(out, "cluster_enabled", "0");
    }

    if sel.want("keyspace") {
        header(&mut out, "Keyspace");
        for db in &srv.dbs {
            if !db.keys.is_empty() || !db.expires.is_empty() {
                let _ = write!(
                    out,
                    "db{}:keys={},expires={},avg_ttl={}\r\n",
                    db.id,
                    db.keys.len(),
                    db.expires.len(),
                    db.avg_ttl
                );
            }
        }
    }
    out
}

/// INFO never prints `#`, `:` or line breaks inside a name.
fn safe_info_string(s: &str) -> String {
    s.chars()
        .map(|ch| if "#:\r\n".contains(ch) { '_' } else { ch })
        .collect()
}

/// INFO [section ...]
fn info(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let sel = Sections::parse(&argv[1..]);
    let text = info_string(srv, c, &sel);
    c.reply.verbatim(text.as_bytes(), "txt");
}

/// TIME: seconds and microseconds of the wall clock.
fn time(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    let us = crate::util::time::now_us();
    c.reply.array_len(2);
    c.reply.bulk_str(&(us / 1_000_000).to_string());
    c.reply.bulk_str(&(us % 1_000_000).to_string());
}

// ---------------------------------------------------------------------------
// CONFIG

/// The value CONFIG GET shows: `dir` is the absolute working directory.
fn config_value(srv: &Server, d: &Directive) -> String {
    if d.name == "dir" {
        return std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
    }
    let v = srv.cfg.get(d.name).unwrap_or("");
    if d.name == "notify-keyspace-events" {
        let flags = crate::notify::parse_flags(v).unwrap_or(0);
        return crate::notify::flags_to_string(flags);
    }
    v.to_string()
}

/// CONFIG GET pattern [pattern ...]: exact names (aliases too) answer under
/// the name as given; glob patterns match names and aliases, ignoring case.
fn config_get(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut out: Vec<(String, String)> = Vec::new();
    for arg in &argv[2..] {
        let name = text(arg);
        if !name.contains(['[', '*', '?']) {
            if out.iter().any(|(k, _)| *k == name) {
                continue;
            }
            if let Some((_, d)) = config::find(&name) {
                out.push((name, config_value(srv, d)));
            }
            continue;
        }
        // Hidden (debugging) directives answer only to their exact name.
        for d in DIRECTIVES
            .iter()
            .filter(|d| !config::HIDDEN.contains(&d.name))
        {
            for n in std::iter::once(&d.name).chain(d.aliases.iter()) {
                if out.iter().any(|(k, _)| k == n) {
                    continue;
                }
                if crate::util::glob::glob_match(arg, n.as_bytes(), true) {
                    out.push((n.to_string(), config_value(srv, d)));
                }
            }
        }
    }
    c.reply.map_len(out.len());
    for (k, v) in out {
        c.reply.bulk_str(&k);
        c.reply.bulk_str(&v);
    }
}

/// Directives CONFIG SET may change only when `enable-protected-configs`
/// allows it.
const PROTECTED: &[&str] = &["dir", "dbfilename"];

/// The text of an OS error without Rust's "(os error N)" suffix.
fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // SAFETY: strerror returns a valid NUL-terminated static string.
        Some(n) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(n)) }
            .to_string_lossy()
            .into_owned(),
        None => e.to_string(),
    }
}

/// CONFIG SET name value [name value ...], all or nothing.
fn config_set(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() % 2 == 1 {
        c.reply.err(super::SYNTAX_ERR);
        return;
    }
    // Find every directive; the first problem found is the one reported.
    let mut pending: Vec<(String, &'static Directive, String)> = Vec::new();
    let mut failure: Option<String> = None;
    // Directives that cannot change while the dataset loads; that error
    // wins over the others, as Redis's.
    let mut deny_loading = false;
    for pair in argv[2..].chunks(2) {
        let given = text(&pair[0]);
        let lname = given.to_ascii_lowercase();
        let Some((_, d)) = config::find(&lname) else {
            if failure.is_none() {
                failure = Some(format!(
                    "Unknown option or number of arguments for CONFIG SET - '{given}'"
                ));
            }
            continue;
        };
        if failure.is_some() {
            continue;
        }
        let why = if !d.mutable {
            Some("can't set immutable config")
        } else if PROTECTED.contains(&d.name)
            && !protected_allowed(srv.cfg.get("enable-protected-configs").unwrap_or("no"), c)
        {
            Some("can't set protected config")
        } else if pending.iter().any(|(n, _, _)| *n == lname) {
            Some("duplicate parameter")
        } else {
            None
        };
        if let Some(why) = why {
            failure = Some(format!(
                "CONFIG SET failed (possibly related to argument '{given}') - {why}"
            ));
            continue;
        }
        if srv.loading.active && matches!(d.name, "dir" | "appendonly" | "repl-diskless-load") {
            deny_loading = true;
        }
        pending.push((lname, d, text(&pair[1])));
    }
    if deny_loading {
        c.reply.err_code(crate::persistence::loading::LOADING_ERR);
        return;
    }
    if let Some(msg) = failure {
        c.reply.err(&msg);
        return;
    }
    // Validate every value before changing anything.
    let mut values = Vec::with_capacity(pending.len());
    for (lname, d, v) in &pending {
        match config::validate(d, std::slice::from_ref(v)) {
            Ok(canon) => values.push(canon),
            Err(e) => {
                c.reply.err(&format!(
                    "CONFIG SET failed (possibly related to argument '{lname}') - {e}"
                ));
                return;
            }
        }
    }
    // The one change that can fail on apply: the working directory.
    if let Some(i) = pending.iter().position(|(_, d, _)| d.name == "dir")
        && let Err(e) = std::env::set_current_dir(&values[i])
    {
        c.reply.err(&format!(
            "CONFIG SET failed (possibly related to argument '{}') - {}",
            pending[i].0,
            strerror(&e)
        ));
        return;
    }
    // Listening somewhere else can fail too: try it with the new values
    // before anything changes (the old sockets come back on failure).
    let rebind = pending.iter().enumerate().find_map(|(i, (_, d, _))| {
        (matches!(d.name, "port" | "bind") && srv.cfg.get(d.name) != Some(values[i].as_str()))
            .then_some(i)
    });
    if let Some(i) = rebind {
        let mut new = srv.cfg.clone();
        for ((_, d, _), v) in pending.iter().zip(&values) {
            if matches!(d.name, "port" | "bind") {
                let _ = new.set(d.name, std::slice::from_ref(v));
            }
        }
        if let Err(e) = srv.rebind_tcp(&new) {
            let what = if pending[i].1.name == "port" {
                "Unable to listen on this port"
            } else {
                "Failed to bind to specified addresses."
            };
            log_warning!("CONFIG SET {}: {}", pending[i].1.name, e);
            c.reply.err(&format!(
                "CONFIG SET failed (possibly related to argument '{}') - {what}",
                pending[i].0
            ));
            return;
        }
    }
    for ((_, d, _), v) in pending.iter().zip(values) {
        if let Err(e) = srv.cfg.set(d.name, &[v]) {
            // Cannot happen: the value was validated above.
            log_warning!("CONFIG SET {}: {e}", d.name);
        }
        apply(srv, d.name);
    }
    c.reply.ok();
}

/// Side effects of a changed directive beyond the stored value.
fn apply(srv: &mut Server, name: &str) {
    match name {
        "loglevel" => crate::log::set_verbosity(srv.cfg.loglevel),
        "hz" => {
            // Redis keeps hz within 1..=500 and reports the clamped value.
            let hz = srv.cfg.hz;
            let _ = srv.cfg.set("hz", &[hz.to_string()]);
            srv.hz = hz;
        }
        "appendfsync" | "aof-timestamp-enabled" | "no-appendfsync-on-rewrite" => {
            srv.aof.refresh_config(&srv.cfg)
        }
        "appendonly" => crate::persistence::background::apply_appendonly(srv),
        "maxmemory" if srv.cfg.maxmemory == 0 => crate::dict::set_expand_limit(0),
        "proc-title-template" | "port" | "bind" => {
            crate::proctitle::apply(&srv.cfg, srv.config_file.as_deref())
        }
        "maxmemory-clients" => {
            crate::net::client_eviction::evict_clients(srv, None);
        }
        "maxmemory" if srv.cfg.maxmemory > 0 => {
            crate::dict::set_expand_limit(srv.cfg.maxmemory as usize);
            crate::net::client_eviction::evict_clients(srv, None);
            let used = crate::evict::counted_memory(srv);
            if used > srv.cfg.maxmemory as usize {
                log_warning!(
                    "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current memory usage ({}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.",
                    srv.cfg.maxmemory,
                    used
                );
            }
            // Evict from the event loop, after the running command (and
            // its transaction) is propagated.
            srv.evict.running = true;
        }
        _ => {}
    }
}

/// CONFIG RESETSTAT: zero INFO's counters, command and error statistics.
fn config_resetstat(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    reset_stats(srv);
    c.reply.ok();
}

pub fn reset_stats(srv: &mut Server) {
    for s in srv.cmd_stats.iter_mut() {
        *s = CmdStat::default();
    }
    let st = &mut srv.stats;
    st.errors.clear();
    st.total_error_replies = 0;
    st.commands_processed = 0;
    st.connections_received = 0;
    st.rejected_connections = 0;
    st.net_input_bytes = 0;
    st.net_output_bytes = 0;
    st.reads_processed = 0;
    st.writes_processed = 0;
    st.expired_stale_perc = 0.0;
    st.expire_cycle_cpu_ms = 0;
    st.active_expire_time_limit_hit = 0;
    st.evicted_clients = 0;
    st.inst_ops = Default::default();
    st.inst_net_in = Default::default();
    st.inst_net_out = Default::default();
    srv.evict.reset_stats();
    srv.replicas.sync_full = 0;
    srv.replicas.sync_partial_ok = 0;
    srv.replicas.sync_partial_err = 0;
    for db in srv.dbs.iter_mut() {
        db.stat_expired = 0;
        db.stat_hits = 0;
        db.stat_misses = 0;
    }
}

/// CONFIG REWRITE: write the running configuration into the config file
/// (`crate::config_rewrite`).
fn config_rewrite(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    let Some(path) = srv.config_file.clone() else {
        return c.reply.err("The server is running without a config file");
    };
    match crate::config_rewrite::rewrite_file(&path, &srv.cfg, false) {
        Ok(()) => {
            log_notice!("CONFIG REWRITE executed with success.");
            c.reply.ok();
        }
        Err(e) => {
            let msg = crate::config_rewrite::error_text(&e);
            log_warning!("CONFIG REWRITE failed: {msg}");
            c.reply.err(&format!("Rewriting config file: {msg}"));
        }
    }
}

fn config_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
}

// ---------------------------------------------------------------------------
// DEBUG

const DEBUG_HELP: &[&str] = &[
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
];

/// Redis's memtoull: digits (none = 0) and an optional unit b/k/kb/m/mb/g/gb,
/// wrapping on overflow as the C does.
fn memtoull(b: &[u8]) -> Option<u64> {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mul: u64 = match b[digits..].to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let val = b[..digits].iter().fold(0u64, |v, &d| {
        v.checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .unwrap_or(u64::MAX)
    });
    Some(val.wrapping_mul(mul))
}

/// C's atoi: optional sign and leading digits, 0 when there are none.
fn atoi(b: &[u8]) -> i64 {
    let s = std::str::from_utf8(b).unwrap_or("").trim_start();
    let end = s
        .char_indices()
        .find(|&(i, ch)| !(ch.is_ascii_digit() || (i == 0 && (ch == '-' || ch == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    s[..end].parse().unwrap_or(0)
}

/// C's strtod on a prefix: the longest leading part that is a number.
fn strtod_prefix(b: &[u8]) -> f64 {
    let s = std::str::from_utf8(b).unwrap_or("").trim_start();
    (1..=s.len())
        .rev()
        .filter(|&i| s.is_char_boundary(i))
        .find_map(|i| s[..i].parse::<f64>().ok())
        .unwrap_or(0.0)
}

fn debug(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let sub = text(&argv[1]).to_ascii_lowercase();
    let argc = argv.len();
    match (sub.as_str(), argc) {
        ("help", 2) => c.reply.help("DEBUG", DEBUG_HELP),
        ("sleep", 3) => {
            let secs = strtod_prefix(&argv[2]);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_micros((secs * 1e6) as u64));
            }
            c.reply.ok();
        }
        ("replybuffer", 4) if is(&argv[2], "resizing") => {
            crate::net::client_eviction::set_reply_resizing(atoi(&argv[3]) != 0);
            c.reply.ok();
        }
        ("pause-cron", 3) => {
            srv.cron_paused = atoi(&argv[2]) != 0;
            c.reply.ok();
        }
        ("set-active-expire", 3) => {
            srv.active_expire_enabled = atoi(&argv[2]) != 0;
            c.reply.ok();
        }
        ("set-disable-deny-scripts", 3) => {
            srv.scripting.disable_deny_script = atoi(&argv[2]) != 0;
            c.reply.ok();
        }
        ("replicate", n) if n >= 3 => {
            crate::replication::replicate_raw(srv, &argv[2..]);
            c.reply.ok();
        }
        ("log", 3) => {
            log_warning!("DEBUG LOG: {}", text(&argv[2]));
            c.reply.ok();
        }
        ("error", 3) => {
            // Sent as is: not counted in the error statistics, as in Redis.
            let mut e = b"-".to_vec();
            e.extend(
                argv[2]
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            e.extend_from_slice(b"\r\n");
            c.reply.raw(&e);
        }
        ("object", 3) => debug_object(srv, c, &argv[2]),
        ("reload", _) => debug_reload(srv, c, argv),
        ("aof-flush-sleep", 3) => {
            srv.aof.flush_sleep_us = atoi(&argv[2]).max(0) as u64;
            c.reply.ok();
        }
        ("loadaof", 2) => match crate::persistence::aof_load::reload(srv) {
            Ok(()) => {
                log_warning!("Append Only File loaded by DEBUG LOADAOF");
                c.reply.ok();
            }
            Err(e) => {
                // As Redis: a server that cannot load its AOF stops.
                log_warning!("{e}");
                std::process::exit(1);
            }
        },
        ("set-skip-checksum-validation", 3) => {
            crate::persistence::rdb_load::set_skip_checksum(atoi(&argv[2]) != 0);
            c.reply.ok();
        }
        ("config-rewrite-force-all", 2) => {
            let res = match srv.config_file.clone() {
                None => Err("The server is running without a config file".to_string()),
                Some(p) => crate::config_rewrite::rewrite_file(&p, &srv.cfg, true)
                    .map_err(|e| crate::config_rewrite::error_text(&e)),
            };
            match res {
                Ok(()) => c.reply.ok(),
                Err(e) => c
                    .reply
                    .err(&format!("CONFIG-REWRITE-FORCE-ALL failed: {e}")),
            }
        }
        ("panic", 2) => panic!("DEBUG PANIC called at Unix time {}", srv.now_ms / 1000),
        ("digest", 2) => c
            .reply
            .simple(&crate::digest::hex(&crate::digest::dataset(&srv.dbs))),
        ("digest-value", _) => {
            c.reply.array_len(argc - 2);
            for k in &argv[2..] {
                let d = crate::digest::key_value(&srv.dbs[c.db], k);
                c.reply.simple(&crate::digest::hex(&d));
            }
        }
        ("populate", 3..=5) => debug_populate(srv, c, argv),
        ("protocol", 3) => debug_protocol(c, &argv[2]),
        ("listpack", 3) | ("quicklist", 3 | 4) => debug_repr(srv, c, argv),
        ("quicklist-packed-threshold", 3) => {
            if memtoull(&argv[2]).is_some_and(crate::types::list::set_packed_threshold) {
                c.reply.ok();
            } else {
                c.reply
                    .err("argument must be a memory value bigger than 1 and smaller than 4gb");
            }
        }
        _ => c.reply.err(&format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(&argv[1][..argv[1].len().min(128)])
        )),
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset, load
/// the file back (the load is parsed whole before anything is replaced).
fn debug_reload(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for a in &argv[2..] {
        if is(a, "merge") {
            merge = true;
        } else if is(a, "noflush") {
            flush = false;
        } else if is(a, "nosave") {
            save = false;
        } else {
            c.reply
                .err("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    if save && !crate::persistence::rdb_save(srv) {
        c.reply.err_code("ERR");
        return;
    }
    if let Err(e) = crate::persistence::reload(srv, flush, merge) {
        log_warning!("{e}");
        c.reply
            .err("Error trying to load the RDB dump, check server logs.");
        return;
    }
    log_warning!("DB reloaded by DEBUG RELOAD");
    c.reply.ok();
}

/// DEBUG OBJECT key: Redis's line, for the fields that mean something here.
fn debug_object(srv: &mut Server, c: &mut Client, key: &[u8]) {
    let now = srv.now_ms;
    let shared_ints = srv.cfg.get("maxmemory") == Some("0")
        || !srv
            .cfg
            .get("maxmemory-policy")
            .is_some_and(|p| p.contains("lru") || p.contains("lfu"));
    // No lazy expiry here: DEBUG looks at the dict as it is.
    let Some(o) = srv.dbs[c.db].keys.get(key) else {
        c.reply.err(super::NO_SUCH_KEY);
        return;
    };
    // Redis shares the objects of the integers 0..9999.
    let refcount = match o.v {
        crate::types::Value::Int(n) if shared_ints && (0..10000).contains(&n) => i32::MAX,
        _ => 1,
    };
    let extra = match &o.v {
        crate::types::Value::List(l) => l.debug_fields(),
        _ => String::new(),
    };
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
        o as *const _,
        refcount,
        o.encoding(),
        crate::persistence::rdb::serialized_len(&o.v, srv.cfg.get("rdbcompression") != Some("no")),
        o.clock(),
        crate::db::idle_seconds(o.clock(), now),
        extra
    );
    c.reply.simple(&line);
}

/// DEBUG LISTPACK key / DEBUG QUICKLIST key [full]: the encoding's
/// structure printed on stdout, as Redis does.
fn debug_repr(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    use crate::types::{Hash, Value, zset::ZSet};
    let Some(o) = srv.dbs[c.db].keys.get(&argv[2][..]) else {
        return c.reply.err(super::NO_SUCH_KEY);
    };
    let mut out = Vec::new();
    if is(&argv[1], "listpack") {
        match &o.v {
            Value::Hash(h) if let Hash::Listpack(lp) = &**h => lp.repr(&mut out),
            Value::ZSet(z) if let ZSet::Listpack(lp) = &**z => lp.repr(&mut out),
            _ => return c.reply.err("Not a listpack encoded object."),
        }
    } else {
        match &o.v {
            Value::List(l) => out = l.repr(argv.len() == 4 && atoi(&argv[3]) != 0),
            _ => return c.reply.err("Not a quicklist encoded object."),
        }
    }
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&out);
    let _ = stdout.flush();
    c.reply.simple(if is(&argv[1], "listpack") {
        "Listpack structure printed on stdout"
    } else {
        "Quicklist structure printed on stdout"
    });
}

/// DEBUG POPULATE count [prefix] [size]: string keys prefix:N = value:N.
fn debug_populate(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    const MUST_BE_POSITIVE: &str = "value is out of range, must be positive";
    let Some(count) = crate::util::num::parse_i64(&argv[2]).filter(|&n| n >= 0) else {
        c.reply.err(MUST_BE_POSITIVE);
        return;
    };
    let size = match argv.get(4) {
        Some(a) => match crate::util::num::parse_i64(a).filter(|&n| n >= 0) {
            Some(n) => n as usize,
            None => {
                c.reply.err(MUST_BE_POSITIVE);
                return;
            }
        },
        None => 0,
    };
    let prefix: &[u8] = argv.get(3).map(|p| &p[..]).unwrap_or(b"key");
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    db.keys.expand(db.keys.len() + count as usize);
    let mut key = Vec::new();
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        crate::util::num::write_i64(&mut key, j);
        let db = &mut srv.dbs[c.db];
        if db.lookup(&key, now).is_some() {
            continue;
        }
        let mut val = format!("value:{j}").into_bytes();
        if size > 0 {
            val.resize(size, 0);
        }
        // Created as strings, never integer-encoded.
        db.set(
            &key,
            crate::types::Value::Str(crate::types::SmallBytes::new(&val)),
            false,
            now,
        );
        srv.signal_modified_key(c.db, &key);
        srv.notify(c, crate::notify::NEW, "new", &key, c.db);
    }
    c.reply.ok();
}

/// DEBUG PROTOCOL type: one reply of each RESP type, for client tests.
fn debug_protocol(c: &mut Client, kind: &[u8]) {
    let r = &mut c.reply;
    match text(kind).to_ascii_lowercase().as_str() {
        "string" => r.bulk_str("Hello World"),
        "integer" => r.int(12345),
        // Redis's test value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        "double" => r.double(3.141),
        "bignum" => r.big_number("1234567999999999999999999999999999999"),
        "null" => r.null(),
        "array" => {
            r.array_len(3);
            (0..3).for_each(|j| r.int(j));
        }
        "set" => {
            r.set_len(3);
            (0..3).for_each(|j| r.int(j));
        }
        "map" => {
            r.map_len(3);
            for j in 0..3 {
                r.int(j);
                r.bool(j == 1);
            }
        }
        "attrib" => {
            if r.resp >= 3 {
                r.raw(b"|1\r\n");
                r.bulk_str("key-popularity");
                r.array_len(2);
                r.bulk_str("key:123");
                r.int(90);
            }
            r.bulk_str("Some real reply following the attribute");
        }
        "push" => {
            if r.resp < 3 {
                r.err("RESP2 is not supported by this command");
                return;
            }
            r.push_len(2);
            r.bulk_str("server-cpu-usage");
            r.int(42);
            r.bulk_str("Some real reply following the push reply");
        }
        "true" => r.bool(true),
        "false" => r.bool(false),
        "verbatim" => r.verbatim(b"This is a verbatim\nstring", "txt"),
        _ => r.err("Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"),
    }
}

// ---------------------------------------------------------------------------
// SAVE, LASTSAVE

/// SAVE: write the dataset to `dbfilename` in the foreground.
fn save(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    if srv.rdb.snapshot.is_some() {
        c.reply.err("Background save already in progress");
        return;
    }
    if crate::persistence::rdb_save(srv) {
        c.reply.ok();
    } else {
        c.reply.err_code("ERR");
    }
}

/// BGSAVE [SCHEDULE]: a fork-free snapshot (`persistence/snapshot.rs`).
fn bgsave(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let schedule = match argv.len() {
        1 => false,
        2 if is(&argv[1], "schedule") => true,
        _ => {
            c.reply.err(super::SYNTAX_ERR);
            return;
        }
    };
    if srv.rdb.snapshot.is_some() && srv.aof.rewrite.is_none() {
        c.reply.err("Background save already in progress");
    } else if srv.rdb.snapshot.is_some() {
        if schedule {
            srv.rdb.scheduled = true;
            c.reply.simple("Background saving scheduled");
        } else {
            c.reply.err("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
        }
    } else if srv.in_exec {
        srv.rdb.scheduled = true;
        c.reply.simple("Background saving scheduled");
    } else {
        match crate::persistence::background::bgsave(srv) {
            Ok(()) => c.reply.simple("Background saving started"),
            Err(_) => c.reply.err_code("ERR"),
        }
    }
}

/// BGREWRITEAOF: a new base from a fork-free snapshot (`persistence/aof.rs`).
fn bgrewriteaof(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    if srv.aof.rewrite.is_some() {
        c.reply
            .err("Background append only file rewriting already in progress");
    } else if srv.rdb.snapshot.is_some() || srv.in_exec {
        srv.aof.rewrite_scheduled = true;
        c.reply
            .simple("Background append only file rewriting scheduled");
    } else {
        match crate::persistence::background::rewrite_aof(srv) {
            Ok(()) => c
                .reply
                .simple("Background append only file rewriting started"),
            Err(_) => c.reply.err_code("ERR"),
        }
    }
}

fn lastsave(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.int(srv.lastsave);
}

// ---------------------------------------------------------------------------
// SHUTDOWN

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
fn shutdown(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let (mut save, mut nosave, mut now, mut force, mut abort) = (false, false, false, false, false);
    for a in &argv[1..] {
        if is(a, "nosave") {
            nosave = true;
        } else if is(a, "save") {
            save = true;
        } else if is(a, "now") {
            now = true;
        } else if is(a, "force") {
            force = true;
        } else if is(a, "abort") {
            abort = true;
        } else {
            c.reply.err(super::SYNTAX_ERR);
            return;
        }
    }
    if (abort && (save || nosave || now || force)) || (save && nosave) {
        c.reply.err(super::SYNTAX_ERR);
        return;
    }
    // While a script is busy only SHUTDOWN NOSAVE may stop the server.
    if !nosave && crate::scripting::ctx().is_some() {
        c.reply.err_code(crate::scripting::busy::busy_error());
        return;
    }
    if abort {
        // A shutdown waiting for replicas, or one a signal asked for that
        // has not started yet (DEBUG PAUSE-CRON holds it).
        let signalled = srv.shutdown_asap && !srv.final_save_done;
        if crate::shutdown_wait::abort(srv) || signalled {
            if signalled {
                srv.shutdown_asap = false;
                log_warning!("Shutdown manually aborted.");
            }
            c.reply.ok();
        } else {
            c.reply.err("No shutdown in progress.");
        }
        return;
    }
    if !now && crate::shutdown_wait::begin(srv, Some(c), save, nosave, force) {
        return;
    }
    if !crate::persistence::background::final_save(srv, save, nosave, force) {
        log_warning!("Errors trying to shut down the server. Check the logs for more information.");
        c.reply.err("Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    srv.final_save_done = true;
    srv.shutdown_asap = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(1015096), "991.30K");
        assert_eq!(bytes_to_human(12435456), "11.86M");
        assert_eq!(bytes_to_human(25276063744), "23.54G");
    }

    #[test]
    fn c_number_parsing() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b"0"), 0);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b"12abc"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(strtod_prefix(b"0.5"), 0.5);
        assert_eq!(strtod_prefix(b"abc"), 0.0);
        assert_eq!(strtod_prefix(b"1.5s"), 1.5);
    }

    #[test]
    fn info_sections() {
        let s = Sections::parse(&[]);
        assert!(s.want("server") && s.want("module_list") && !s.want("commandstats"));
        let s = Sections::parse(&[Bytes::from_static(b"commandSTATS")]);
        assert!(s.want("commandstats") && !s.want("server"));
        let s = Sections::parse(&[Bytes::from_static(b"everything")]);
        assert!(s.want("latencystats") && s.want("server"));
    }
}
