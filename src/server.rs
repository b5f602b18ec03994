//! The server: all state owned by the main thread, and the mio event loop.
//!
//! One thread runs everything that touches data, as Redis does: accept, read,
//! parse, dispatch, reply. Clients live in a `Slab`; a client being served is
//! taken out of its slot for the duration of the command (`Option<Box<_>>`),
//! so a handler gets `&mut Server` and `&mut Client` at once without any
//! locking or reference counting. Replies accumulate in the client's buffer
//! and are written in `before_sleep`; only a write that falls short asks mio
//! for WRITABLE interest. `cron` runs `hz` times per second: client timeouts,
//! the active expire cycle, incremental rehashing, dict shrinking.
//!
//! Reading is fair: a client is read at most `MAX_READS_PER_EVENT` times per
//! loop iteration; one that still has data waiting goes on `pending_reads`
//! and the next poll does not block, so one busy pipeline cannot starve the
//! others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::commands::{self, table::Command, table::Table, table::flags};
use crate::config::Config;
use crate::db::Db;
use crate::net::client::{ReadResult, ReplyMode};
use crate::net::{Client, Conn, Listener};
use crate::resp::Limits;
use crate::util::time::{mono_us, now_ms, now_us};
use crate::{log_notice, log_verbose, log_warning};

const LISTENER_TOKENS: usize = 64;
const MAX_READS_PER_EVENT: usize = 8;

static SHUTDOWN_SIGNAL: AtomicBool = AtomicBool::new(false);
static SIGNAL_NUM: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// The temp file of the final save while it runs (a NUL-terminated path,
/// relative to `dir`): a second SIGINT then exits at once and removes it,
/// as Redis does ("You insist... exiting now").
static FINAL_SAVE_TEMP: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();
static FINAL_SAVE_RUNNING: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    if sig == libc::SIGINT
        && FINAL_SAVE_RUNNING.load(Ordering::SeqCst)
        && let Some(temp) = FINAL_SAVE_TEMP.get()
    {
        // SAFETY: unlink and _exit are async-signal-safe; the path is a
        // valid C string that lives for the whole process.
        unsafe {
            libc::unlink(temp.as_ptr());
            libc::_exit(1);
        }
    }
    SIGNAL_NUM.store(sig, Ordering::SeqCst);
    SHUTDOWN_SIGNAL.store(true, Ordering::SeqCst);
}

/// Consume a pending SIGTERM / SIGINT (the loaders check it while they
/// serve clients; the event loop does the same in `run`).
pub fn take_shutdown_signal() -> bool {
    SHUTDOWN_SIGNAL.swap(false, Ordering::SeqCst)
}

/// Mark the start and end of the final save, whose temp file is `temp`.
pub fn final_save_running(temp: &std::path::Path, on: bool) {
    if on {
        let _ = FINAL_SAVE_TEMP
            .set(std::ffi::CString::new(temp.as_os_str().as_encoded_bytes()).unwrap_or_default());
    }
    FINAL_SAVE_RUNNING.store(on, Ordering::SeqCst);
}

#[derive(Default, Clone, Debug)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
    /// Latency histogram (`latency-tracking`), made on first use.
    pub latency_hist: Option<Box<crate::latency::Histogram>>,
}

#[derive(Default, Debug)]
pub struct Stats {
    pub connections_received: u64,
    pub rejected_connections: u64,
    pub commands_processed: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub errors: HashMap<String, u64>,
    pub expired_stale_perc: f64,
    pub expire_cycle_cpu_ms: u64,
    pub active_expire_time_limit_hit: u64,
    pub evicted_clients: u64,
    /// Socket reads and writes (INFO total_reads/writes_processed).
    pub reads_processed: u64,
    pub writes_processed: u64,
    /// Highest `used_memory` seen (cron and INFO), and the amount in use
    /// right after start-up.
    pub peak_memory: usize,
    pub startup_memory: usize,
    /// Samples behind instantaneous_ops_per_sec and the kbps figures.
    pub inst_ops: InstMetric,
    pub inst_net_in: InstMetric,
    pub inst_net_out: InstMetric,
}

/// One instantaneous metric, as Redis's trackInstantaneousMetric: every
/// 100 ms the rate since the previous sample goes into a ring of 16; the
/// reported value is their mean.
#[derive(Default, Debug, Clone)]
pub struct InstMetric {
    samples: [u64; 16],
    idx: usize,
    last_ms: i64,
    last_count: u64,
}

impl InstMetric {
    pub fn sample(&mut self, now_ms: i64, count: u64) {
        if self.last_ms == 0 {
            self.last_ms = now_ms;
            self.last_count = count;
            return;
        }
        let t = now_ms - self.last_ms;
        if t < 100 {
            return;
        }
        let delta = count.saturating_sub(self.last_count);
        self.samples[self.idx] = delta * 1000 / t as u64;
        self.idx = (self.idx + 1) % self.samples.len();
        self.last_ms = now_ms;
        self.last_count = count;
    }

    /// Per-second rate, averaged over the samples.
    pub fn get(&self) -> u64 {
        self.samples.iter().sum::<u64>() / self.samples.len() as u64
    }
}

pub struct Server {
    pub cfg: Config,
    pub dbs: Vec<Db>,
    pub clients: Slab<Option<Box<Client>>>,
    pub table: &'static Table,
    pub cmd_stats: Vec<CmdStat>,
    pub stats: Stats,
    pub poll: Poll,
    pub listeners: Vec<Listener>,
    pub next_client_id: u64,
    /// Wall clock of the current command (ms), like Redis's cached mstime.
    pub now_ms: i64,
    pub start_ms: i64,
    pub start_mono_us: u64,
    /// Clients with replies to write in before_sleep.
    pub(crate) pending_writes: Vec<usize>,
    /// Clients that still had data to read when we moved on.
    pending_reads: Vec<usize>,
    /// The master link had an event while we served clients from inside a
    /// command or a load (`process_events_while_busy`): handled by the loop.
    replica_event_pending: bool,
    pub active_expire_enabled: bool,
    /// The last active expire cycle stopped at its time limit.
    expire_timed_out: bool,
    pub shutdown_asap: bool,
    /// RDB load counters (INFO rdb_last_load_*).
    pub rdb_stats: crate::persistence::RdbStats,
    /// The dataset is being loaded (INFO `loading`, -LOADING replies).
    pub loading: crate::persistence::loading::Loading,
    pub exit_code: i32,
    /// Epoch the DEBUG command family may use to change behaviour.
    pub cron_loops: u64,
    pub executable: String,
    pub config_file: Option<String>,
    pub run_id: String,
    /// Changes since the last save (INFO rdb_changes_since_last_save);
    /// write commands add the number of keys they modified.
    pub dirty: u64,
    /// Unix time (s) of the last successful save; start time until RDB exists.
    pub lastsave: i64,
    /// Clients blocked by `CLIENT PAUSE`-like mechanisms would go here;
    /// DEBUG SLEEP blocks the whole loop as in Redis.
    pub hz: u32,
    /// WATCHed keys, one table per database (see `crate::multi`).
    pub watched_keys: Vec<crate::multi::WatchTable>,
    /// `c.reply.errors` when the last `call` ended: a command's failure is
    /// judged on the errors emitted since, so EXEC does not count the
    /// errors of the commands it ran.
    pub(crate) err_mark: u32,
    /// Pub/Sub subscriptions (see `crate::pubsub`).
    pub pubsub: crate::pubsub::PubSub,
    /// EXEC is running its queue.
    pub in_exec: bool,
    /// Clients blocked on keys (BLPOP & co), `blocking.rs`.
    pub blocking: crate::blocking::Blocking,
    /// Client-side caching (`crate::tracking`).
    pub tracking: crate::tracking::Tracking,
    /// DEBUG PAUSE-CRON: cron does nothing while set.
    pub cron_paused: bool,
    /// Recent output buffer peaks (`net::obuf`).
    pub obuf_peaks: crate::net::obuf::Peaks,
    /// Effects of the running execution unit on their way to the AOF
    /// (`propagate.rs`).
    pub prop: crate::propagate::Propagation,
    /// Clients that asked for the replication stream (`replication.rs`).
    pub replicas: crate::replication::Replicas,
    /// The master we replicate, if we are a replica (`replica.rs`).
    pub master_link: Option<crate::replica::MasterLink>,
    /// A shutdown waiting for lagging replicas (`shutdown_wait.rs`).
    pub shutdown: crate::shutdown_wait::Pending,
    /// The append-only file (`persistence/aof.rs`).
    pub aof: crate::persistence::aof::Aof,
    pub evict: crate::evict::Evictor,
    /// Background saves (`persistence/background.rs`).
    pub rdb: crate::persistence::background::RdbState,
    /// SHUTDOWN already did the final save (or was told not to).
    pub final_save_done: bool,
    /// SLOWLOG entries (`crate::slowlog`).
    pub slowlog: crate::slowlog::SlowLog,
    /// LATENCY events (`crate::latency`).
    pub latency: crate::latency::Monitor,
    /// MONITOR clients (`crate::monitor`).
    pub monitors: crate::monitor::Monitors,
    /// CLIENT PAUSE state (`crate::pause`).
    pub pause: crate::pause::ClientPause,
    /// Lua scripting (`crate::scripting`).
    pub scripting: crate::scripting::Engine,
}

fn random_hex(n: usize) -> String {
    use rand::RngExt;
    let mut r = rand::rng();
    (0..n)
        .map(|_| format!("{:x}", r.random_range(0..16u8)))
        .collect()
}

impl Server {
    pub fn new(cfg: Config) -> std::io::Result<Server> {
        let mut table = Table::build(&commands::registry());
        for (from, to) in &cfg.renames {
            table
                .rename(from, to)
                .map_err(|e| std::io::Error::other(format!("rename-command {from}: {e}")))?;
        }
        let table: &'static Table = Box::leak(Box::new(table));
        let dbs = (0..cfg.databases).map(Db::new).collect();
        // The keyspace's tables do not outgrow maxmemory (dict.rs); a
        // process-wide setting, made by the server only.
        crate::dict::set_expand_limit(cfg.maxmemory as usize);
        let now = now_ms();
        let stats = Stats {
            startup_memory: crate::alloc::used_memory(),
            ..Stats::default()
        };
        Ok(Server {
            hz: cfg.hz,
            dbs,
            clients: Slab::new(),
            cmd_stats: vec![CmdStat::default(); table.count],
            table,
            stats,
            poll: Poll::new()?,
            listeners: Vec::new(),
            // Redis gives ids 1 and 2 to its Lua and functions clients at
            // startup; the first connection gets 3 there, and here too.
            next_client_id: 3,
            now_ms: now,
            start_ms: now,
            start_mono_us: mono_us(),
            pending_writes: Vec::new(),
            pending_reads: Vec::new(),
            replica_event_pending: false,
            active_expire_enabled: true,
            expire_timed_out: false,
            shutdown_asap: false,
            rdb_stats: Default::default(),
            loading: Default::default(),
            exit_code: 0,
            cron_loops: 0,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config_file: cfg.config_file.clone(),
            run_id: random_hex(40),
            dirty: 0,
            lastsave: now / 1000,
            watched_keys: (0..cfg.databases).map(|_| Default::default()).collect(),
            err_mark: 0,
            pubsub: Default::default(),
            in_exec: false,
            blocking: Default::default(),
            tracking: Default::default(),
            obuf_peaks: Default::default(),
            cron_paused: false,
            rdb: Default::default(),
            prop: Default::default(),
            aof: Default::default(),
            evict: Default::default(),
            replicas: Default::default(),
            master_link: None,
            shutdown: Default::default(),
            final_save_done: false,
            slowlog: Default::default(),
            latency: Default::default(),
            monitors: Default::default(),
            pause: Default::default(),
            scripting: Default::default(),
            cfg,
        })
    }

    /// Open the listeners and install signal handlers. Errors are logged
    /// lines; the caller exits with status 1.
    pub fn init(&mut self) -> Result<(), String> {
        // SAFETY: installing async-signal-safe handlers that only store atomics.
        unsafe {
            libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
            libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        self.listeners = crate::net::listener::open_all(&self.cfg)?;
        for (i, l) in self.listeners.iter_mut().enumerate() {
            self.poll
                .registry()
                .register(l.source(), Token(i), Interest::READABLE)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Listen on the TCP addresses of `cfg` (CONFIG SET port / bind)
    /// instead of the current ones; the Unix socket stays. As Redis: the
    /// old sockets are closed first (the new addresses may overlap them),
    /// and reopened if the new ones cannot be had.
    pub fn rebind_tcp(&mut self, cfg: &Config) -> Result<(), String> {
        let (tcp, other): (Vec<Listener>, Vec<Listener>) = std::mem::take(&mut self.listeners)
            .into_iter()
            .partition(|l| matches!(l, Listener::Tcp(_)));
        for mut l in tcp {
            let _ = self.poll.registry().deregister(l.source());
        }
        let result = crate::net::listener::open_tcp(cfg);
        let mut listeners = match &result {
            Ok(_) => Vec::new(),
            Err(_) => crate::net::listener::open_tcp(&self.cfg).unwrap_or_default(),
        };
        let result = result.map(|new| listeners.extend(new));
        listeners.extend(other);
        self.listeners = listeners;
        for (i, l) in self.listeners.iter_mut().enumerate() {
            let _ = self
                .poll
                .registry()
                .register(l.source(), Token(i), Interest::READABLE);
        }
        result
    }

    /// The event loop. Returns the process exit code.
    pub fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(1024);
        let mut next_cron = mono_us();
        loop {
            self.before_sleep();
            // A signal's shutdown waits while DEBUG PAUSE-CRON holds the
            // cron (where Redis handles it), so SHUTDOWN ABORT can cancel it.
            if self.shutdown_asap && (self.final_save_done || !self.cron_paused) {
                if self.prepare_shutdown() {
                    return self.exit_code;
                }
                self.shutdown_asap = false;
            }
            let now = mono_us();
            let mut timeout = if !self.pending_reads.is_empty()
                || !self.pending_writes.is_empty()
                || self.expire_timed_out
                || self.evict.running
                || crate::persistence::background::busy(self)
            {
                Duration::ZERO
            } else {
                Duration::from_micros(next_cron.saturating_sub(now))
            };
            if let Some(deadline) = self.blocking.next_deadline() {
                let ms = (deadline - now_ms()).max(0) as u64;
                timeout = timeout.min(Duration::from_millis(ms));
            }
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != std::io::ErrorKind::Interrupted
            {
                log_warning!("epoll error: {e}");
            }
            self.now_ms = now_ms();
            // Before the events: a command in them (SHUTDOWN ABORT) sees
            // the signal's shutdown.
            if SHUTDOWN_SIGNAL.swap(false, Ordering::SeqCst) {
                let sig = SIGNAL_NUM.load(Ordering::SeqCst);
                let name = if sig == libc::SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                log_warning!("Received {name} scheduling shutdown...");
                if !self.final_save_done
                    && !crate::shutdown_wait::begin(self, None, false, false, false)
                {
                    self.shutdown_asap = true;
                }
            }
            for ev in events.iter() {
                let t = ev.token().0;
                if t == crate::replica::TOKEN {
                    crate::replica::on_event(self);
                } else if t < LISTENER_TOKENS {
                    self.accept(t);
                } else {
                    let key = t - LISTENER_TOKENS;
                    // With `appendfsync always`, write before reading (Redis's
                    // AE_BARRIER): a reply produced by this read must wait
                    // for before_sleep, which syncs the AOF first.
                    let barrier =
                        self.aof.on && self.aof.fsync == crate::persistence::aof::Fsync::Always;
                    if barrier && ev.is_writable() {
                        self.handle_writable(key);
                    }
                    if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                        self.handle_readable(key);
                    }
                    if !barrier && ev.is_writable() {
                        self.handle_writable(key);
                    }
                }
            }
            let again = std::mem::take(&mut self.pending_reads);
            for key in again {
                self.handle_readable(key);
            }
            if std::mem::take(&mut self.replica_event_pending) {
                crate::replica::on_event(self);
            }
            if self.blocking.next_deadline().is_some() {
                self.now_ms = now_ms();
                crate::blocking::handle_timeouts(self, self.now_ms);
            }
            if mono_us() >= next_cron {
                self.cron();
                next_cron = mono_us() + 1_000_000 / self.cfg.hz.max(1) as u64;
            }
        }
    }

    /// Serve the other clients while a script runs longer than
    /// `busy-reply-threshold` (Redis's processEventsWhileBlocked); called
    /// from the script's Lua hook, so this runs *inside* a command.
    ///
    /// The client running the script is out of its slab slot, so it is not
    /// served here: a read event for it is remembered in `pending_reads`
    /// for after the script (the poll is edge-triggered, the event would be
    /// lost otherwise). Every other client is read (see below), and its
    /// command is refused with -BUSY
    /// by `process_command` unless it may run meanwhile (flag `allow-busy`:
    /// SCRIPT KILL, SHUTDOWN NOSAVE, ...). Replies are written before going
    /// back to the script; SHUTDOWN NOSAVE exits from here.
    pub fn process_events_while_busy(&mut self) {
        let mut events = Events::with_capacity(128);
        if let Err(e) = self.poll.poll(&mut events, Some(Duration::ZERO))
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            log_warning!("epoll error: {e}");
        }
        self.now_ms = now_ms();
        let mut later = Vec::new();
        let again = std::mem::take(&mut self.pending_reads);
        for ev in events.iter() {
            let t = ev.token().0;
            if t == crate::replica::TOKEN {
                // Not from inside a script or a load: the link may replace
                // the dataset.
                self.replica_event_pending = true;
                continue;
            }
            if t < LISTENER_TOKENS {
                self.accept(t);
                continue;
            }
            let key = t - LISTENER_TOKENS;
            if matches!(self.clients.get(key), Some(None)) {
                later.push(key);
                continue;
            }
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                self.handle_readable(key);
            }
            if ev.is_writable() {
                self.handle_writable(key);
            }
        }
        for key in again {
            if matches!(self.clients.get(key), Some(None)) {
                later.push(key);
            } else {
                self.handle_readable(key);
            }
        }
        // Events of the outer loop's batch not handled yet (it is running
        // the script) will not be reported again (edge-triggered): try
        // every listener and every client once; an idle socket answers
        // WouldBlock at once.
        for li in 0..self.listeners.len() {
            self.accept(li);
        }
        let idle: Vec<usize> = self
            .clients
            .iter()
            .filter(|(_, s)| s.is_some())
            .map(|(key, _)| key)
            .collect();
        for key in idle {
            self.handle_readable(key);
        }
        self.before_sleep();
        self.pending_reads.extend(later);
        if self.shutdown_asap {
            if self.prepare_shutdown() {
                std::process::exit(self.exit_code);
            }
            self.shutdown_asap = false;
        }
    }

    fn accept(&mut self, li: usize) {
        loop {
            let accepted = match &self.listeners[li] {
                Listener::Tcp(l) => l.accept().map(|(s, addr)| {
                    let _ = s.set_nodelay(true);
                    let laddr = s.local_addr().map(|a| a.to_string()).unwrap_or_default();
                    (Conn::Tcp(s), addr.to_string(), laddr)
                }),
                Listener::Unix(l) => l.accept().map(|(s, _)| {
                    let path = self.cfg.unixsocket.clone();
                    (Conn::Unix(s), format!("{path}:0"), format!("{path}:0"))
                }),
            };
            match accepted {
                Ok((conn, addr, laddr)) => self.add_client(conn, addr, laddr),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log_warning!("Accepting client connection: {e}");
                    return;
                }
            }
        }
    }

    fn add_client(&mut self, mut conn: Conn, addr: String, laddr: String) {
        self.stats.connections_received += 1;
        if self.clients.len() >= self.cfg.maxclients {
            // Best effort, as Redis: tell the client why, then close.
            if let Conn::Tcp(s) = &mut conn {
                use std::io::Write;
                let _ = s.write(b"-ERR max number of clients reached\r\n");
            } else if let Conn::Unix(s) = &mut conn {
                use std::io::Write;
                let _ = s.write(b"-ERR max number of clients reached\r\n");
            }
            self.stats.rejected_connections += 1;
            log_verbose!(
                "Error registering fd event for the new client: max number of clients reached (fd={})",
                conn.fd()
            );
            return;
        }
        if self.cfg.protected_mode
            && self.cfg.requirepass.is_empty()
            && let Conn::Tcp(s) = &mut conn
            && !crate::net::protected::is_loopback_peer(&addr)
        {
            use std::io::Write;
            let _ = s.write(crate::net::protected::DENIED.as_bytes());
            self.stats.rejected_connections += 1;
            return;
        }
        self.add_client_conn(conn, addr, laddr);
    }

    /// Register a connection as a client; returns its slot.
    pub fn add_client_conn(&mut self, conn: Conn, addr: String, laddr: String) -> Option<usize> {
        if let Conn::Tcp(_) = conn
            && self.cfg.tcp_keepalive > 0
        {
            set_keepalive(conn.fd(), self.cfg.tcp_keepalive);
        }
        let entry = self.clients.vacant_entry();
        let key = entry.key();
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut c = Box::new(Client::new(id, key, conn, addr, laddr, self.now_ms));
        c.authenticated = self.cfg.requirepass.is_empty();
        if let Err(e) = self.poll.registry().register(
            c.conn.source(),
            Token(key + LISTENER_TOKENS),
            Interest::READABLE,
        ) {
            log_warning!("Error registering fd event for the new client: {e}");
            return None;
        }
        log_verbose!("Accepted {}", c.addr);
        self.tracking.client_added(id, key);
        entry.insert(Some(c));
        Some(key)
    }

    fn handle_readable(&mut self, key: usize) {
        let Some(slot) = self.clients.get_mut(key) else {
            return;
        };
        let Some(mut c) = slot.take() else { return };
        let mut reads = 0;
        let mut alive = true;
        let net_in_before = c.net_in;
        loop {
            if c.close_asap || c.close_after_reply {
                break;
            }
            match c.read_once() {
                Ok(r @ (ReadResult::Data | ReadResult::Drained)) => {
                    c.last_interaction_ms = self.now_ms;
                    if c.query.len() > self.cfg.client_query_buffer_limit {
                        log_warning!(
                            "Closing client that reached max query buffer length: {} (qbuf initial bytes: {:?})",
                            c.info_line(self.now_ms, c.last_cmd),
                            String::from_utf8_lossy(&c.query[..c.query.len().min(64)])
                        );
                        alive = false;
                        break;
                    }
                    self.process_input(&mut c);
                    if matches!(r, ReadResult::Drained) {
                        break;
                    }
                    reads += 1;
                    if reads >= MAX_READS_PER_EVENT {
                        self.pending_reads.push(key);
                        break;
                    }
                }
                Ok(ReadResult::WouldBlock) => break,
                Ok(ReadResult::Closed) => {
                    log_verbose!(
                        "Client closed connection id={} addr={} laddr={} fd={} name={}",
                        c.id,
                        c.addr,
                        c.laddr,
                        c.conn.fd(),
                        String::from_utf8_lossy(c.name.as_deref().unwrap_or(b""))
                    );
                    alive = false;
                    break;
                }
                Err(e) => {
                    log_verbose!("Reading from client: {e}");
                    alive = false;
                    break;
                }
            }
        }
        self.stats.net_input_bytes += c.net_in - net_in_before;
        self.stats.reads_processed += reads as u64 + 1;
        self.put_back(c, alive);
    }

    /// Return a client to its slot after serving it, or free it.
    pub(crate) fn put_back(&mut self, c: Box<Client>, alive: bool) {
        let key = c.token;
        if !alive || c.close_asap {
            self.free_client(c);
            return;
        }
        let mut c = c;
        if c.has_pending_reply() && !c.pending_write {
            c.pending_write = true;
            self.pending_writes.push(key);
        } else if c.close_after_reply && !c.has_pending_reply() {
            self.free_client(c);
            return;
        }
        if let Some(slot) = self.clients.get_mut(key) {
            *slot = Some(c);
        }
    }

    fn free_client(&mut self, mut c: Box<Client>) {
        self.discard_transaction(&mut c);
        self.pubsub_forget(&mut c);
        crate::blocking::remove_client(self, &mut c);
        self.disable_tracking(&mut c);
        self.tracking.client_removed(c.id);
        crate::replication::remove_client(self, &c);
        let _ = self.poll.registry().deregister(c.conn.source());
        c.conn.shutdown();
        if self.clients.contains(c.token) {
            self.clients.remove(c.token);
        }
    }

    /// Parse and run every complete request in the query buffer.
    fn process_input(&mut self, c: &mut Client) {
        // While the batch runs, CLIENT LIST reports the whole buffer as
        // read (Redis trims its query buffer only after the batch).
        c.qbuf_batch = c.query.len();
        self.process_input_batch(c);
        c.qbuf_batch = 0;
    }

    /// `process_input` for `crate::pause`, which resumes postponed clients.
    pub(crate) fn process_input_pub(&mut self, c: &mut Client) {
        self.process_input(c);
    }

    fn process_input_batch(&mut self, c: &mut Client) {
        loop {
            if c.close_after_reply || c.close_asap || c.blocked.is_some() || c.postponed.is_some() {
                return;
            }
            // Per request: AUTH lifts the unauthenticated limits at once.
            let limits = Limits {
                max_bulk_len: self.cfg.proto_max_bulk_len,
                unauthenticated: !c.authenticated,
            };
            match c.parser.parse(&mut c.query, &limits) {
                Ok(Some(argv)) => {
                    if argv.is_empty() {
                        continue;
                    }
                    if c.is_master {
                        self.execute_from_master(c, argv);
                        continue;
                    }
                    if c.is_replica {
                        let name = self.table.lookup(&argv).map_or("<unknown>", |c| &c.name);
                        let mark = c.reply.buf.len();
                        self.execute(c, argv);
                        crate::replication::replica_command_done(self, c, name, mark);
                        continue;
                    }
                    self.execute(c, argv);
                    // The arguments are gone once the command ran (argv-mem).
                    c.argv_len_sum = 0;
                    // Not while a busy script runs: its writes are served
                    // to blocked clients once it has finished.
                    if self.blocking.has_ready() && crate::scripting::ctx().is_none() {
                        crate::blocking::handle_ready(self);
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    c.reply.muted = false;
                    c.reply.err(&e.reply);
                    log_verbose!(
                        "Protocol error ({}) from client: {}. Query buffer during protocol error: '{}'",
                        e.log,
                        c.info_line(self.now_ms, c.last_cmd),
                        String::from_utf8_lossy(&c.query[..c.query.len().min(128)])
                    );
                    c.query.clear();
                    c.close_after_reply = true;
                    return;
                }
            }
        }
    }

    /// Look up, check and run one command (Redis's processCommand + call).
    /// A command of the master's stream: applied as it comes, no expiry,
    /// and counted in our replication offset once applied (a command a
    /// client pause postpones counts when it runs).
    pub fn execute_from_master(&mut self, c: &mut Client, argv: Vec<Bytes>) {
        let mut raw = Vec::new();
        crate::propagate::encode_command(&mut raw, &argv);
        let name = self.table.lookup(&argv).map_or("<unknown>", |c| &c.name);
        let mark = c.reply.buf.len();
        crate::db::set_loading(true);
        self.execute(c, argv);
        crate::db::set_loading(false);
        if c.postponed.is_none() {
            crate::replica::applied(self, c, name, mark, &raw);
        }
    }

    pub fn execute(&mut self, c: &mut Client, argv: Vec<Bytes>) {
        let client_cmd = argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(b"client"));
        self.process_command(c, argv);
        // CLIENT CACHING lasts for the next command (or transaction), even
        // one that is refused.
        if c.multi.is_none() && !client_cmd {
            c.tracking.caching = false;
        }
    }

    fn process_command(&mut self, c: &mut Client, argv: Vec<Bytes>) {
        // One wall-clock read gives both the command's time (expiry) and
        // the start of its duration, as Redis's call() uses ustime().
        let start = now_us();
        self.now_ms = start / 1000;
        c.argc = argv.len();
        c.argv_len_sum = argv.iter().map(|a| a.len()).sum();
        let skip_this = c.reply_mode == ReplyMode::Skip;
        if skip_this {
            c.reply_mode = ReplyMode::On;
        }
        c.reply.muted = matches!(c.reply_mode, ReplyMode::Off) || skip_this;
        c.reply.limit = self.obuf_guard(c);
        let table = self.table;
        let cmd = match table.lookup(&argv) {
            Ok(cmd) => cmd,
            Err(is_sub) => {
                let msg = if is_sub {
                    format!(
                        "unknown subcommand '{}'. Try {} HELP.",
                        trunc(&argv[1], 128),
                        String::from_utf8_lossy(&argv[0]).to_uppercase()
                    )
                } else {
                    let mut args = String::new();
                    for a in &argv[1..] {
                        if args.len() >= 128 {
                            break;
                        }
                        let room = 128 - args.len();
                        args.push('\'');
                        args.push_str(&trunc(a, room));
                        args.push_str("' ");
                    }
                    format!(
                        "unknown command '{}', with args beginning with: {}",
                        trunc(&argv[0], 128),
                        args
                    )
                };
                self.reject(c, None, &msg);
                return;
            }
        };
        if (cmd.arity > 0 && cmd.arity as usize != argv.len())
            || (argv.len() as i64) < -(cmd.arity as i64)
        {
            let msg = format!("wrong number of arguments for '{}' command", cmd.name);
            self.reject(c, Some(cmd.id), &msg);
            return;
        }
        if cmd.name == "debug" && !commands::server_cmds::debug_allowed(self, c) {
            self.reject(c, Some(cmd.id), commands::server_cmds::DEBUG_NOT_ALLOWED);
            return;
        }
        if !c.authenticated && !cmd.has(flags::NO_AUTH) {
            self.reject_code(c, Some(cmd.id), "NOAUTH Authentication required.");
            return;
        }
        if c.multi.is_some() && cmd.has(flags::NO_MULTI) {
            self.reject(c, Some(cmd.id), "Command not allowed inside a transaction");
            return;
        }
        // Clients over maxmemory-clients go before keys do, this one
        // included (its command then does not run).
        if self.cfg.maxmemory_clients > 0
            && crate::net::client_eviction::evict_clients(self, Some(&mut *c))
        {
            return;
        }
        // Over maxmemory: evict first (Redis's processCommand); if that
        // cannot bring memory under the limit, refuse what may grow it, and
        // anything queued in MULTI but the transaction's controls.
        if self.cfg.maxmemory > 0 {
            let oom = crate::evict::perform(self, Some(&mut *c)) == crate::evict::Outcome::Fail;
            let denyoom = cmd.has(flags::DENYOOM)
                || (cmd.name == "exec"
                    && c.multi
                        .as_ref()
                        .is_some_and(|m| m.cmds.iter().any(|(k, _)| k.has(flags::DENYOOM))))
                || (c.multi.is_some()
                    && !matches!(cmd.name.as_str(), "exec" | "discard" | "quit" | "reset"));
            if oom && denyoom {
                self.reject_code(
                    c,
                    Some(cmd.id),
                    "OOM command not allowed when used memory > 'maxmemory'.",
                );
                return;
            }
        }
        // Only a few commands make sense in RESP2 Pub/Sub mode (RESP3 can
        // tell pushes from replies).
        if c.pubsub_mode
            && c.reply.resp == 2
            && !matches!(
                cmd.name.as_str(),
                "ping"
                    | "subscribe"
                    | "ssubscribe"
                    | "unsubscribe"
                    | "sunsubscribe"
                    | "psubscribe"
                    | "punsubscribe"
                    | "quit"
                    | "reset"
            )
        {
            let msg = format!(
                "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                cmd.name
            );
            self.reject(c, Some(cmd.id), &msg);
            return;
        }
        if let Some(misconf) = crate::persistence::background::writes_denied(self)
            && (cmd.has(flags::WRITE)
                || cmd.name == "ping"
                || (cmd.name == "exec"
                    && c.multi
                        .as_ref()
                        .is_some_and(|m| m.cmds.iter().any(|(q, _)| q.has(flags::WRITE)))))
        {
            self.reject_code(c, Some(cmd.id), &misconf);
            return;
        }
        // Loading the dataset (a client without a socket is the AOF's).
        if self.loading.active
            && c.token != usize::MAX
            && (!cmd.has(flags::LOADING)
                || (cmd.name == "exec"
                    && c.multi
                        .as_ref()
                        .is_some_and(|m| m.cmds.iter().any(|(q, _)| !q.has(flags::LOADING)))))
        {
            self.reject_code(c, Some(cmd.id), crate::persistence::loading::LOADING_ERR);
            return;
        }
        // A script runs past busy-reply-threshold and we are serving the
        // loop from inside it (`process_events_while_busy`).
        if crate::scripting::ctx().is_some() && !cmd.has(flags::ALLOW_BUSY) {
            self.reject_code(c, Some(cmd.id), crate::scripting::busy::busy_error());
            return;
        }
        if c.is_replica && cmd.has(flags::WRITE | flags::READONLY | flags::MAY_REPLICATE) {
            self.reject(c, Some(cmd.id), "Replica can't interact with the keyspace");
            return;
        }
        if self.master_link.is_some() || self.cfg.min_replicas_check {
            let queued = |f: u32| {
                cmd.name == "exec"
                    && c.multi
                        .as_ref()
                        .is_some_and(|m| m.cmds.iter().any(|(q, _)| q.has(f)))
            };
            let write = cmd.has(flags::WRITE) || queued(flags::WRITE);
            // A script call may read stale data only if its script says
            // so (allow-stale), not because EVAL / FCALL may.
            let stale_ok =
                crate::scripting::call_flags(self, &cmd.name, cmd.flags, &argv) & flags::STALE != 0
                    && !(cmd.name == "exec"
                        && c.multi
                            .as_ref()
                            .is_some_and(|m| m.cmds.iter().any(|(q, _)| !q.has(flags::STALE))));
            if write && !crate::replication::enough_replicas(self) {
                self.reject_code(
                    c,
                    Some(cmd.id),
                    "NOREPLICAS Not enough good replicas to write.",
                );
                return;
            }
            if let Some(e) = crate::replica::deny(self, c, write, stale_ok) {
                self.reject_code(c, Some(cmd.id), e);
                return;
            }
        }
        if self.pause.active.is_some() {
            const W: u32 = flags::WRITE | flags::MAY_REPLICATE;
            let own = if cmd.has(flags::MAY_REPLICATE) {
                crate::scripting::call_flags(self, &cmd.name, cmd.flags, &argv)
            } else {
                cmd.flags
            };
            let writes = own & W != 0
                || (cmd.name == "exec"
                    && c.multi
                        .as_ref()
                        .is_some_and(|m| m.cmds.iter().any(|(k, _)| k.has(W))));
            if self.pause.must_wait(self.now_ms, writes) {
                crate::pause::postpone(self, c, argv);
                return;
            }
        }
        c.last_cmd = cmd.name.as_str();
        if self.tracking.clients() > 0 {
            self.tracking_limit(Some(&mut *c));
        }
        let doomed = c.dirty_exec || c.dirty_cas.get();
        // In MULTI everything but the transaction's own controls is queued.
        let queue = |name: &str| {
            !matches!(
                name,
                "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
            )
        };
        if let Some(m) = c.multi.as_mut().filter(|_| queue(&cmd.name)) {
            // Once the transaction is doomed there is no point keeping more.
            if !doomed {
                m.mem += c.argv_len_sum + 8 * argv.len();
                m.cmds.push((cmd, argv));
            }
            c.reply.simple("QUEUED");
        } else {
            self.call(c, cmd, &argv, start);
            crate::blocking::keep_argv(c, argv);
        }
        if self.prop.has_pending() && matches!(cmd.name.as_str(), "scan" | "randomkey") {
            self.prop.no_transaction();
        }
        self.flush_propagation();
        c.last_cmd = cmd.name.as_str();
        if c.reply_mode == ReplyMode::SkipNext {
            c.reply_mode = ReplyMode::Skip;
        }
        self.close_on_obuf_limit(c, false);
        c.reply.limit = self.obuf_guard(c);
        // EXEC too: its queued writes (RENAME, COPY, …) may bring keys in.
        if self.blocking.count > 0 && (cmd.has(flags::WRITE) || cmd.name == "exec") {
            crate::blocking::signal_existing(self);
        }
    }

    /// Run one checked command and account for it (Redis's call()): the
    /// handler, per-command statistics, failed calls and error stats.
    /// EXEC runs its queued commands through here too.
    /// `start` is the monotonic time (µs) the command began.
    pub fn call(&mut self, c: &mut Client, cmd: &'static Command, argv: &[Bytes], start: i64) {
        self.err_mark = c.reply.errors;
        let top = self.tracking.current.is_none();
        if top {
            self.tracking_begin(c);
        }
        let (dirty_before, db) = (self.dirty, c.db);
        // A write on a writable replica sees expired keys as a master does.
        let replica_write = self.master_link.is_some() && !c.is_master && cmd.has(flags::WRITE);
        if replica_write {
            crate::replica::local_write(self, true, c.db, cmd, argv);
        }
        (cmd.handler)(self, c, argv);
        if replica_write {
            crate::replica::local_write(self, false, c.db, cmd, argv);
        }
        self.drain_expired(Some(&mut *c));
        // Read-only scripts (EVAL_RO…) track what their commands read, not
        // their declared keys as such (`scripting::execute`).
        if c.tracking.on
            && !c.tracking.bcast
            && cmd.has(flags::READONLY)
            && !cmd.has(flags::PUBSUB)
            && !matches!(cmd.name.as_str(), "eval_ro" | "evalsha_ro" | "fcall_ro")
        {
            self.tracking_remember_keys(c, cmd, argv);
        }
        if top {
            self.tracking_end(c);
        }
        // EXEC's own effects are those of the commands it ran.
        if cmd.name != "exec" {
            self.prop.command_done(db, argv, self.dirty > dirty_before);
        }
        let dur = (now_us() - start).max(0) as u64;
        self.after_call(c, cmd, argv, dur as i64);
        let st = &mut self.cmd_stats[cmd.id];
        st.calls += 1;
        st.usec += dur;
        if c.reply.errors > self.err_mark {
            st.failed += 1;
            self.count_error(&c.reply.last_error_code.clone());
        }
        self.err_mark = c.reply.errors;
        self.stats.commands_processed += 1;
        c.commands_processed += 1;
    }

    /// Latency event, slow log and latency histogram of a command that
    /// just ran (`dur` µs); a blocked command is accounted when it is served.
    fn after_call(&mut self, c: &Client, cmd: &'static Command, argv: &[Bytes], dur: i64) {
        let event = if cmd.has(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        self.latency
            .add_if_needed(self.cfg.latency_monitor_threshold, event, dur / 1000);
        if !self.monitors.is_empty() && !cmd.has(flags::ADMIN | flags::SKIP_MONITOR) {
            crate::monitor::feed(self, c, &cmd.name, argv);
        }
        if c.blocked.is_some() {
            return;
        }
        self.record_duration(c, cmd, argv, dur);
    }

    /// The slow log and the latency histogram of one command run.
    fn record_duration(&mut self, c: &Client, cmd: &'static Command, argv: &[Bytes], dur_us: i64) {
        if self.cfg.slowlog_log_slower_than >= 0 && !cmd.has(flags::SKIP_SLOWLOG) {
            self.slowlog.push(
                self.cfg.slowlog_log_slower_than,
                self.cfg.slowlog_max_len,
                &cmd.name,
                argv,
                dur_us,
                &c.addr,
                c.name.as_deref(),
            );
        }
        if self.cfg.latency_tracking {
            self.cmd_stats[cmd.id]
                .latency_hist
                .get_or_insert_with(Default::default)
                .record(dur_us.saturating_mul(1000));
        }
    }

    /// Statistics of a blocked command when it is served or unblocked with
    /// an error (Redis's updateStatsOnUnblock): failed calls, latency
    /// histogram, slow log and the "command-unblocking" latency event.
    pub fn account_unblocked(&mut self, c: &Client, argv: &[Bytes], reply_us: i64, failed: bool) {
        let Ok(cmd) = self.table.lookup(argv) else {
            return;
        };
        if failed {
            self.cmd_stats[cmd.id].failed += 1;
        }
        self.record_duration(c, cmd, argv, reply_us);
        self.latency.add_if_needed(
            self.cfg.latency_monitor_threshold,
            "command-unblocking",
            reply_us / 1000,
        );
    }

    pub(crate) fn count_error(&mut self, code: &str) {
        self.stats.total_error_replies += 1;
        // Redis caps the number of distinct error codes it tracks at 128.
        if let Some(n) = self.stats.errors.get_mut(code) {
            *n += 1;
        } else if self.stats.errors.len() < 128 {
            self.stats.errors.insert(code.to_string(), 1);
        }
    }

    fn reject(&mut self, c: &mut Client, cmd: Option<usize>, msg: &str) {
        self.reject_full(c, cmd, msg, "ERR", "ERR ");
    }

    fn reject_code(&mut self, c: &mut Client, cmd: Option<usize>, msg: &str) {
        let code = msg.split(' ').next().unwrap_or("ERR").to_string();
        self.reject_full(c, cmd, msg, &code, "");
    }

    /// Refuse a command before it runs (Redis's rejectCommand): an open
    /// transaction is doomed, and a refused EXEC discards it at once.
    fn reject_full(
        &mut self,
        c: &mut Client,
        cmd: Option<usize>,
        msg: &str,
        code: &str,
        prefix: &str,
    ) {
        c.dirty_exec |= c.multi.is_some();
        if let Some(id) = cmd {
            self.cmd_stats[id].rejected += 1;
        }
        let is_exec = cmd.is_some() && self.table.find_full("exec").map(|e| e.id) == cmd;
        if is_exec {
            self.discard_transaction(c);
            c.reply.err_code(&format!(
                "EXECABORT Transaction discarded because of: {msg}"
            ));
            self.count_error("EXECABORT");
        } else {
            c.reply.err_full(prefix, msg);
            self.count_error(code);
        }
    }

    fn handle_writable(&mut self, key: usize) {
        let Some(Some(c)) = self.clients.get_mut(key) else {
            return;
        };
        if c.pending_write {
            return; // before_sleep will write it
        }
        if c.has_pending_reply() {
            self.pending_writes.push(key);
            c.pending_write = true;
        }
    }

    /// Write pending replies; ask for WRITABLE only when a write falls short.
    fn before_sleep(&mut self) {
        if !self.pause.postponed.is_empty() {
            crate::pause::release_if_due(self, now_ms());
        }
        // Clients unblocked since the last pass resume their pipelines.
        for key in self.blocking.take_unblocked() {
            let Some(Some(mut c)) = self.clients.get_mut(key).map(|s| s.take()) else {
                continue;
            };
            if c.blocked.is_none() && !c.query.is_empty() {
                self.process_input(&mut c);
            }
            self.put_back(c, true);
        }
        if self.expire_timed_out && self.active_expire_enabled {
            self.active_expire_cycle(1000);
        }
        if self.evict.running {
            crate::evict::perform(self, None);
        }
        crate::replication::before_sleep(self);
        // The AOF before any reply: `appendfsync always` acknowledges only
        // what is on disk.
        self.aof.flush(self.now_ms);
        self.tracking_broadcast();
        let pending = std::mem::take(&mut self.pending_writes);
        for key in pending {
            let Some(slot) = self.clients.get_mut(key) else {
                continue;
            };
            let Some(mut c) = slot.take() else { continue };
            c.pending_write = false;
            if self.close_on_obuf_limit(&mut c, false) {
                self.free_client(c);
                continue;
            }
            let net_out_before = c.net_out;
            let res = c.write_pending();
            self.stats.net_output_bytes += c.net_out - net_out_before;
            self.stats.writes_processed += 1;
            let ok = match res {
                Ok(done) => {
                    if done && c.write_interest {
                        c.write_interest = false;
                        let _ = self.poll.registry().reregister(
                            c.conn.source(),
                            Token(key + LISTENER_TOKENS),
                            Interest::READABLE,
                        );
                    } else if !done && !c.write_interest {
                        c.write_interest = true;
                        let _ = self.poll.registry().reregister(
                            c.conn.source(),
                            Token(key + LISTENER_TOKENS),
                            Interest::READABLE | Interest::WRITABLE,
                        );
                    }
                    !(done && c.close_after_reply)
                }
                Err(e) => {
                    log_verbose!("Error writing to client: {e}");
                    false
                }
            };
            if ok {
                self.clients[key] = Some(c);
            } else {
                self.free_client(c);
            }
        }
        // After output went out and clients over their output limits were
        // closed: those take precedence over eviction.
        crate::net::client_eviction::evict_clients(self, None);
        // A snapshot's slice of work comes after the replies went out, so a
        // command answered in this pass does not wait for the slice. What
        // the slice makes writable (a finished save's replies) goes out on
        // the next pass, which does not sleep while writes are pending.
        crate::persistence::background::step(self);
    }

    fn cron(&mut self) {
        self.cron_loops += 1;
        self.now_ms = now_ms();
        self.hz = self.cfg.hz;
        if self.cron_paused {
            return;
        }
        // Instantaneous metrics and the memory peak.
        let now = self.now_ms;
        self.stats
            .inst_ops
            .sample(now, self.stats.commands_processed);
        self.stats
            .inst_net_in
            .sample(now, self.stats.net_input_bytes);
        self.stats
            .inst_net_out
            .sample(now, self.stats.net_output_bytes);
        self.stats.peak_memory = self.stats.peak_memory.max(crate::alloc::used_memory());
        // Client timeouts and closing of clients killed while not being served.
        let timeout_ms = self.cfg.timeout as i64 * 1000;
        let mut to_free = Vec::new();
        // Output buffer guards follow CONFIG SET and class changes.
        let guards: Vec<usize> = self
            .clients
            .iter()
            .map(|(_, s)| s.as_deref().map_or(usize::MAX, |c| self.obuf_guard(c)))
            .collect();
        for ((key, slot), guard) in self.clients.iter_mut().zip(guards) {
            let Some(c) = slot else { continue };
            self.obuf_peaks.record(now / 1000, c.obuf_usage());
            c.reply.limit = guard;
            if c.close_asap {
                to_free.push(key);
            } else if timeout_ms > 0
                && c.blocked.is_none()
                && !c.is_master
                && self.now_ms - c.last_interaction_ms > timeout_ms
            {
                log_verbose!("Closing idle client");
                to_free.push(key);
            } else if c.query.is_empty() && c.query.capacity() > 32 * 1024 {
                c.query = bytes::BytesMut::new();
            }
        }
        for key in to_free {
            if let Some(Some(c)) = self.clients.get_mut(key).map(|s| s.take()) {
                self.free_client(c);
            }
        }
        crate::persistence::background::cron(self);
        crate::replication::cron(self);
        // Output buffer limits, the soft ones of idle clients included.
        let over: Vec<usize> = self
            .clients
            .iter()
            .filter(|(_, s)| s.as_ref().is_some_and(|c| c.obuf_usage() > 0))
            .map(|(key, _)| key)
            .collect();
        for key in over {
            if let Some(Some(mut c)) = self.clients.get_mut(key).map(|s| s.take()) {
                if self.close_on_obuf_limit(&mut c, true) {
                    self.free_client(c);
                } else {
                    self.clients[key] = Some(c);
                }
            }
        }
        if self.tracking.clients() > 0 {
            self.tracking_limit(None);
        }
        if self.active_expire_enabled {
            // Slow cycle: up to 25% of a cron period.
            let budget = 250_000 / self.cfg.hz.max(1) as u64;
            self.active_expire_cycle(budget);
        }
        // Shrink dicts that are mostly empty, then rehash for up to 1 ms.
        for db in &mut self.dbs {
            db.keys.shrink_if_needed();
            db.expires.shrink_if_needed();
        }
        if self.cfg.activerehashing {
            let deadline = mono_us() + 1000;
            for db in &mut self.dbs {
                if mono_us() >= deadline {
                    break;
                }
                if db.keys.is_rehashing() {
                    db.keys.rehash_for(Duration::from_micros(1000));
                    break;
                }
                if db.expires.is_rehashing() {
                    db.expires.rehash_for(Duration::from_micros(1000));
                    break;
                }
            }
        }
    }

    fn active_expire_cycle(&mut self, budget_us: u64) {
        // A replica waits for its master's DELs; a client pause holds
        // expiry.
        if self.master_link.is_some() || crate::pause::expiry_held(now_ms()) {
            return;
        }
        let start = mono_us();
        let deadline = start + budget_us;
        let now = now_ms();
        self.expire_timed_out = false;
        for db in &mut self.dbs {
            if db.active_expire(now, deadline, 1) {
                self.expire_timed_out = true;
                self.stats.active_expire_time_limit_hit += 1;
                break;
            }
        }
        let elapsed_ms = (mono_us() - start) / 1000;
        self.stats.expire_cycle_cpu_ms += elapsed_ms;
        self.latency.add_if_needed(
            self.cfg.latency_monitor_threshold,
            "expire-cycle",
            elapsed_ms as i64,
        );
        self.drain_expired(None);
        // A blocked XREADGROUP hears of its stream expiring, as of any
        // deletion (Redis signals the deleted key).
        if self.blocking.count > 0 {
            crate::blocking::signal_existing(self);
            if self.blocking.has_ready() {
                crate::blocking::handle_ready(self);
            }
        }
    }

    /// Deal with what the databases logged (keys deleted because they
    /// expired, missed reads): WATCHes on expired keys are touched and the
    /// `expired` / `keymiss` events published. `c` is the client being
    /// served, if any.
    pub fn drain_expired(&mut self, mut c: Option<&mut Client>) {
        if !crate::db::take_logged() {
            return;
        }
        for id in 0..self.dbs.len() {
            if self.dbs[id].log.is_empty() {
                continue;
            }
            let log = std::mem::take(&mut self.dbs[id].log);
            for (ev, k) in &log {
                match ev {
                    crate::db::DbEvent::Expired => {
                        let del = crate::propagate::del_for(&self.cfg, "lazyfree-lazy-expire", k);
                        self.prop.also(id, del);
                        // Outside a command each expired key is a unit of
                        // its own (active expiry).
                        if c.is_none() {
                            self.flush_propagation();
                        }
                        self.touch_watched_key(id, k);
                        self.tracking_invalidate_key(&mut None, k, None, true);
                        self.notify_event(
                            c.as_deref_mut(),
                            crate::notify::EXPIRED,
                            "expired",
                            k,
                            id,
                        );
                    }
                    crate::db::DbEvent::Miss => {
                        self.notify_event(
                            c.as_deref_mut(),
                            crate::notify::KEY_MISS,
                            "keymiss",
                            k,
                            id,
                        );
                    }
                }
            }
        }
    }

    /// Record propagated operations only while something receives them.
    pub fn sync_propagation(&mut self) {
        self.prop.listening = self.aof.on || self.replicas.wants_stream();
    }

    /// Hand the operations of the execution unit that just ended to the
    /// AOF (and, later, replicas).
    pub fn flush_propagation(&mut self) {
        if !self.prop.has_pending() {
            return;
        }
        let ops = self.prop.take_unit();
        let replica_ops = self.prop.take_replica_only();
        if !ops.is_empty() {
            match self.prop.only_for(&ops, crate::propagate::TO_AOF) {
                Some(some) => self.aof.feed(&some, self.now_ms),
                None => self.aof.feed(&ops, self.now_ms),
            }
        }
        if self.replicas.wants_stream() {
            if !ops.is_empty() {
                match self.prop.only_for(&ops, crate::propagate::TO_REPLICAS) {
                    Some(some) => crate::replication::feed(self, &some),
                    None => crate::replication::feed(self, &ops),
                }
            }
            if !replica_ops.is_empty() {
                crate::replication::feed(self, &replica_ops);
            }
        }
    }

    /// Finish before exit (SHUTDOWN, SIGTERM). Returns false if the shutdown
    /// was refused.
    pub fn prepare_shutdown(&mut self) -> bool {
        log_warning!("User requested shutdown...");
        if !self.final_save_done
            && !crate::persistence::background::final_save(self, false, false, false)
        {
            log_warning!(
                "SIGTERM received but errors trying to shut down the server, check the logs for more information"
            );
            return false;
        }
        // Stop listening first (Redis's closeListeningSockets): once a
        // client sees its connection close, nobody can connect any more.
        self.listeners.clear();
        // Flush what we can to clients, then close.
        self.before_sleep();
        if !self.cfg.unixsocket.is_empty() {
            log_notice!("Removing the unix socket file.");
            let _ = std::fs::remove_file(&self.cfg.unixsocket);
        }
        if !self.cfg.pidfile.is_empty() {
            log_notice!("Removing the pid file.");
            let _ = std::fs::remove_file(&self.cfg.pidfile);
        }
        log_warning!("Redis is now ready to exit, bye bye...");
        true
    }

    /// Close the client in slab slot `key` now (CLIENT KILL); its pending
    /// replies are dropped. A client being served (its slot empty) is not
    /// touched: it closes itself with `close_after_reply`.
    pub fn kill_client(&mut self, key: usize) {
        if let Some(Some(c)) = self.clients.get_mut(key).map(|s| s.take()) {
            log_verbose!("Client {} killed", c.addr);
            self.free_client(c);
        }
    }

    /// Queue the client in slab slot `key` for writing in before_sleep
    /// (after something was appended to its reply buffer from outside its
    /// own command, e.g. a published message).
    pub fn queue_write(&mut self, key: usize) {
        if let Some(Some(c)) = self.clients.get_mut(key)
            && !c.pending_write
        {
            c.pending_write = true;
            self.pending_writes.push(key);
        }
    }

    /// Find a client by id (None if it is the one being served).
    pub fn client_by_id(&mut self, id: u64) -> Option<&mut Client> {
        self.clients
            .iter_mut()
            .filter_map(|(_, s)| s.as_deref_mut())
            .find(|c| c.id == id)
    }

    /// Seconds since start.
    pub fn uptime_secs(&self) -> u64 {
        (mono_us() - self.start_mono_us) / 1_000_000
    }

    /// `used_memory` as INFO reports it.
    pub fn used_memory(&self) -> usize {
        crate::alloc::used_memory()
    }

    pub fn db(&mut self, c: &Client) -> &mut Db {
        &mut self.dbs[c.db]
    }
}

fn trunc(b: &[u8], n: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(n)]).into_owned()
}

fn set_keepalive(fd: i32, interval: u32) {
    let one: libc::c_int = 1;
    let idle = interval as libc::c_int;
    let intvl = (interval / 3).max(1) as libc::c_int;
    let cnt: libc::c_int = 3;
    let sz = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: setsockopt on a socket we own, with pointers to stack ints.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &one as *const _ as _,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPIDLE,
            &idle as *const _ as _,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            &intvl as *const _ as _,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPCNT,
            &cnt as *const _ as _,
            sz,
        );
    }
}
