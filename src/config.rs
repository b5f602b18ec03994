//! Configuration: one table describes every directive we know.
//!
//! Each `Directive` has a name, aliases, a kind (which fixes how values are
//! validated and how CONFIG GET prints them), a default, whether CONFIG SET
//! may change it at run time, and whether cinnabar implements it yet. Values
//! are kept in their canonical text form, one slot per directive; after any
//! change `refresh` re-derives the typed snapshot (`Config` fields) the
//! server reads on hot paths. Directives that are known but not implemented
//! are accepted (so Redis's own config files load) and reported once at start.
//!
//! Sources, in the order redis-server applies them: the config file (or `-`
//! for stdin), then `--name value ...` pairs from the command line, which are
//! turned into config lines and appended, so they override the file.

use crate::log::Level;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Bool,
    Int(i64, i64),
    /// A memory amount: `1gb`, `512mb`, `100k`…
    Mem(i64, i64),
    Enum(&'static [&'static str]),
    Str,
    /// A list of words printed joined by spaces (bind, save, …).
    Words,
    /// An octal number (unixsocketperm).
    Octal,
    /// One or more words from a set (shutdown-on-sigterm "nosave now").
    Flags(&'static [&'static str]),
}

#[derive(Debug)]
pub struct Directive {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    pub default: &'static str,
    pub mutable: bool,
    pub implemented: bool,
}

const fn d(
    name: &'static str,
    kind: Kind,
    default: &'static str,
    mutable: bool,
    implemented: bool,
) -> Directive {
    Directive {
        name,
        aliases: &[],
        kind,
        default,
        mutable,
        implemented,
    }
}

const fn da(
    name: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
    default: &'static str,
    mutable: bool,
    implemented: bool,
) -> Directive {
    Directive {
        name,
        aliases,
        kind,
        default,
        mutable,
        implemented,
    }
}

/// Set class by class: a value updates only the classes it names.
const OBUF: &str = "client-output-buffer-limit";
const YES: bool = true;
const NO: bool = false;
const I32: Kind = Kind::Int(i32::MIN as i64, i32::MAX as i64);
const U32: Kind = Kind::Int(0, i32::MAX as i64);
const LL: Kind = Kind::Int(i64::MIN, i64::MAX);
const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning"];

/// The directive table. Implemented directives take effect; the others are
/// accepted and validated so that stock `redis.conf` files load.
pub static DIRECTIVES: &[Directive] = &[
    // networking
    d("port", Kind::Int(0, 65535), "6379", YES, YES),
    d("bind", Kind::Words, "* -::*", YES, YES),
    d("unixsocket", Kind::Str, "", NO, YES),
    d("unixsocketperm", Kind::Octal, "0", NO, YES),
    d("tcp-backlog", Kind::Int(0, i32::MAX as i64), "511", NO, YES),
    d("tcp-keepalive", U32, "300", YES, YES),
    d("timeout", Kind::Int(0, i32::MAX as i64), "0", YES, YES),
    d(
        "maxclients",
        Kind::Int(1, u32::MAX as i64),
        "10000",
        YES,
        YES,
    ),
    d("protected-mode", Kind::Bool, "yes", YES, YES),
    d("bind-source-addr", Kind::Str, "", YES, YES),
    d("socket-mark-id", U32, "0", NO, NO),
    d("io-threads", Kind::Int(1, 128), "1", NO, NO),
    d("io-threads-do-reads", Kind::Bool, "no", NO, NO),
    // general
    d("databases", Kind::Int(1, i32::MAX as i64), "16", NO, YES),
    d("hz", Kind::Int(0, i32::MAX as i64), "10", YES, YES),
    d("dynamic-hz", Kind::Bool, "yes", YES, NO),
    d("loglevel", Kind::Enum(LOGLEVELS), "notice", YES, YES),
    d("logfile", Kind::Str, "", NO, YES),
    d("dir", Kind::Str, "./", YES, YES),
    d("daemonize", Kind::Bool, "no", NO, YES),
    d("pidfile", Kind::Str, "", NO, YES),
    d("always-show-logo", Kind::Bool, "no", NO, YES),
    d("set-proc-title", Kind::Bool, "yes", NO, YES),
    d(
        "proc-title-template",
        Kind::Str,
        "{title} {listen-addr} {server-mode}",
        YES,
        YES,
    ),
    d("syslog-enabled", Kind::Bool, "no", NO, NO),
    d("syslog-ident", Kind::Str, "redis", NO, NO),
    d("syslog-facility", Kind::Str, "local0", NO, NO),
    d(
        "supervised",
        Kind::Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
        NO,
        YES,
    ),
    d("crash-log-enabled", Kind::Bool, "yes", YES, NO),
    d("crash-memcheck-enabled", Kind::Bool, "yes", YES, NO),
    d("use-exit-on-panic", Kind::Bool, "no", YES, NO),
    d("disable-thp", Kind::Bool, "yes", NO, NO),
    d("server_cpulist", Kind::Str, "", NO, NO),
    d("bio_cpulist", Kind::Str, "", NO, NO),
    d("aof_rewrite_cpulist", Kind::Str, "", NO, NO),
    d("bgsave_cpulist", Kind::Str, "", NO, NO),
    d(
        "enable-protected-configs",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
        NO,
        NO,
    ),
    d(
        "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
        NO,
        YES,
    ),
    d(
        "enable-module-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
        NO,
        NO,
    ),
    d(
        "propagation-error-behavior",
        Kind::Enum(&["ignore", "panic", "panic-on-replicas"]),
        "ignore",
        YES,
        NO,
    ),
    d("requirepass", Kind::Str, "", YES, YES),
    d(
        "proto-max-bulk-len",
        Kind::Mem(1024 * 1024, i64::MAX),
        "536870912",
        YES,
        YES,
    ),
    d(
        "client-query-buffer-limit",
        Kind::Mem(1024 * 1024, i64::MAX),
        "1073741824",
        YES,
        YES,
    ),
    d("activerehashing", Kind::Bool, "yes", YES, YES),
    d(
        "latency-monitor-threshold",
        Kind::Int(0, i64::MAX),
        "0",
        YES,
        YES,
    ),
    d("latency-tracking", Kind::Bool, "yes", YES, YES),
    d(
        "latency-tracking-info-percentiles",
        Kind::Words,
        "50 99 99.9",
        YES,
        YES,
    ),
    d("slowlog-log-slower-than", LL, "10000", YES, YES),
    d("slowlog-max-len", Kind::Int(0, i64::MAX), "128", YES, YES),
    d("notify-keyspace-events", Kind::Str, "", YES, YES),
    // How long a script runs before other clients get -BUSY (scripting/busy.rs).
    da(
        "busy-reply-threshold",
        &["lua-time-limit"],
        LL,
        "5000",
        YES,
        YES,
    ),
    d("maxmemory", Kind::Mem(0, i64::MAX), "0", YES, YES),
    d(
        "maxmemory-policy",
        Kind::Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
        "noeviction",
        YES,
        YES,
    ),
    d(
        "maxmemory-samples",
        Kind::Int(1, i32::MAX as i64),
        "5",
        YES,
        YES,
    ),
    d(
        "maxmemory-eviction-tenacity",
        Kind::Int(0, 100),
        "10",
        YES,
        YES,
    ),
    d("lfu-log-factor", U32, "10", YES, NO),
    d("lfu-decay-time", U32, "1", YES, NO),
    d("lazyfree-lazy-eviction", Kind::Bool, "no", YES, YES),
    d("lazyfree-lazy-expire", Kind::Bool, "no", YES, NO),
    d("lazyfree-lazy-server-del", Kind::Bool, "no", YES, NO),
    d("lazyfree-lazy-user-del", Kind::Bool, "no", YES, NO),
    d("lazyfree-lazy-user-flush", Kind::Bool, "no", YES, NO),
    d("active-expire-effort", Kind::Int(1, 10), "1", YES, NO),
    d("activedefrag", Kind::Bool, "no", YES, NO),
    d("jemalloc-bg-thread", Kind::Bool, "yes", YES, NO),
    d(
        "oom-score-adj",
        Kind::Enum(&["no", "yes", "relative", "absolute"]),
        "no",
        YES,
        NO,
    ),
    d("oom-score-adj-values", Kind::Words, "0 200 800", YES, NO),
    d(
        "client-output-buffer-limit",
        Kind::Words,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        YES,
        YES,
    ),
    d("maxmemory-clients", Kind::Str, "0", YES, YES),
    d(
        "tracking-table-max-keys",
        Kind::Int(0, i64::MAX),
        "1000000",
        YES,
        YES,
    ),
    d("acllog-max-len", Kind::Int(0, i64::MAX), "128", YES, NO),
    d("aclfile", Kind::Str, "", NO, NO),
    d(
        "acl-pubsub-default",
        Kind::Enum(&["allchannels", "resetchannels"]),
        "resetchannels",
        YES,
        NO,
    ),
    d("cluster-enabled", Kind::Bool, "no", NO, NO),
    d("lua-replicate-commands", Kind::Bool, "yes", YES, NO),
    // persistence
    d("save", Kind::Words, "3600 1 300 100 60 10000", YES, YES),
    d("stop-writes-on-bgsave-error", Kind::Bool, "yes", YES, YES),
    d("rdbcompression", Kind::Bool, "yes", YES, YES),
    d("rdbchecksum", Kind::Bool, "yes", NO, YES),
    d("dbfilename", Kind::Str, "dump.rdb", YES, YES),
    d("rdb-del-sync-files", Kind::Bool, "no", YES, NO),
    d("rdb-save-incremental-fsync", Kind::Bool, "yes", YES, YES),
    d(
        "sanitize-dump-payload",
        Kind::Enum(&["no", "yes", "clients"]),
        "no",
        YES,
        NO,
    ),
    d("appendonly", Kind::Bool, "no", YES, YES),
    d("appendfilename", Kind::Str, "appendonly.aof", NO, YES),
    d("appenddirname", Kind::Str, "appendonlydir", NO, YES),
    d(
        "appendfsync",
        Kind::Enum(&["everysec", "always", "no"]),
        "everysec",
        YES,
        YES,
    ),
    d("no-appendfsync-on-rewrite", Kind::Bool, "no", YES, YES),
    d(
        "auto-aof-rewrite-percentage",
        Kind::Int(0, i32::MAX as i64),
        "100",
        YES,
        YES,
    ),
    d(
        "auto-aof-rewrite-min-size",
        Kind::Mem(0, i64::MAX),
        "67108864",
        YES,
        YES,
    ),
    d("aof-load-truncated", Kind::Bool, "yes", YES, YES),
    d("aof-use-rdb-preamble", Kind::Bool, "yes", YES, YES),
    d("aof-timestamp-enabled", Kind::Bool, "no", YES, YES),
    d("aof-rewrite-incremental-fsync", Kind::Bool, "yes", YES, NO),
    // replication
    da("replicaof", &["slaveof"], Kind::Words, "", NO, YES),
    da("masterauth", &[], Kind::Str, "", YES, YES),
    da("masteruser", &[], Kind::Str, "", YES, YES),
    da(
        "replica-serve-stale-data",
        &["slave-serve-stale-data"],
        Kind::Bool,
        "yes",
        YES,
        YES,
    ),
    da(
        "replica-read-only",
        &["slave-read-only"],
        Kind::Bool,
        "yes",
        YES,
        YES,
    ),
    da(
        "replica-lazy-flush",
        &["slave-lazy-flush"],
        Kind::Bool,
        "no",
        YES,
        NO,
    ),
    da(
        "replica-priority",
        &["slave-priority"],
        U32,
        "100",
        YES,
        YES,
    ),
    da("replica-announced", &[], Kind::Bool, "yes", YES, YES),
    da("repl-diskless-sync", &[], Kind::Bool, "yes", YES, NO),
    da("repl-diskless-sync-delay", &[], U32, "5", YES, NO),
    da("repl-diskless-sync-max-replicas", &[], U32, "0", YES, NO),
    da(
        "repl-diskless-load",
        &[],
        Kind::Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
        YES,
        NO,
    ),
    da(
        "repl-ping-replica-period",
        &["repl-ping-slave-period"],
        Kind::Int(1, i32::MAX as i64),
        "10",
        YES,
        YES,
    ),
    da(
        "repl-timeout",
        &[],
        Kind::Int(1, i32::MAX as i64),
        "60",
        YES,
        YES,
    ),
    da("repl-disable-tcp-nodelay", &[], Kind::Bool, "no", YES, NO),
    da(
        "repl-backlog-size",
        &[],
        Kind::Mem(1, i64::MAX),
        "1048576",
        YES,
        YES,
    ),
    da("repl-backlog-ttl", &[], U32, "3600", YES, YES),
    da(
        "min-replicas-to-write",
        &["min-slaves-to-write"],
        U32,
        "0",
        YES,
        YES,
    ),
    da(
        "min-replicas-max-lag",
        &["min-slaves-max-lag"],
        U32,
        "10",
        YES,
        YES,
    ),
    // encodings
    da(
        "hash-max-listpack-entries",
        &["hash-max-ziplist-entries"],
        Kind::Int(0, i64::MAX),
        "512",
        YES,
        YES,
    ),
    da(
        "hash-max-listpack-value",
        &["hash-max-ziplist-value"],
        Kind::Int(0, i64::MAX),
        "64",
        YES,
        YES,
    ),
    da(
        "list-max-listpack-size",
        &["list-max-ziplist-size"],
        I32,
        "-2",
        YES,
        YES,
    ),
    da(
        "list-compress-depth",
        &[],
        Kind::Int(0, i32::MAX as i64),
        "0",
        YES,
        NO,
    ),
    da(
        "set-max-intset-entries",
        &[],
        Kind::Int(0, i64::MAX),
        "512",
        YES,
        YES,
    ),
    da(
        "zset-max-listpack-entries",
        &["zset-max-ziplist-entries"],
        Kind::Int(0, i64::MAX),
        "128",
        YES,
        YES,
    ),
    da(
        "zset-max-listpack-value",
        &["zset-max-ziplist-value"],
        Kind::Int(0, i64::MAX),
        "64",
        YES,
        YES,
    ),
    da(
        "hll-sparse-max-bytes",
        &[],
        Kind::Mem(0, i64::MAX),
        "3000",
        YES,
        YES,
    ),
    da(
        "stream-node-max-bytes",
        &[],
        Kind::Mem(0, i64::MAX),
        "4096",
        YES,
        NO,
    ),
    da(
        "stream-node-max-entries",
        &[],
        Kind::Int(0, i64::MAX),
        "100",
        YES,
        NO,
    ),
    // Known to Redis 7.0 (cluster, TLS, defrag, debugging knobs, ...);
    // accepted and validated, not implemented.
    da(
        "cluster-require-full-coverage",
        &[],
        Kind::Bool,
        "yes",
        YES,
        NO,
    ),
    da(
        "cluster-replica-no-failover",
        &["cluster-slave-no-failover"],
        Kind::Bool,
        "no",
        YES,
        NO,
    ),
    da(
        "replica-ignore-maxmemory",
        &["slave-ignore-maxmemory"],
        Kind::Bool,
        "yes",
        YES,
        NO,
    ),
    da(
        "cluster-allow-reads-when-down",
        &[],
        Kind::Bool,
        "no",
        YES,
        NO,
    ),
    da(
        "cluster-allow-pubsubshard-when-down",
        &[],
        Kind::Bool,
        "yes",
        YES,
        NO,
    ),
    da(
        "cluster-allow-replica-migration",
        &[],
        Kind::Bool,
        "yes",
        YES,
        NO,
    ),
    da("aof-disable-auto-gc", &[], Kind::Bool, "no", YES, NO),
    da(
        "replica-ignore-disk-write-errors",
        &[],
        Kind::Bool,
        "no",
        YES,
        NO,
    ),
    da(
        "replica-announce-ip",
        &["slave-announce-ip"],
        Kind::Str,
        "",
        YES,
        NO,
    ),
    da("cluster-announce-ip", &[], Kind::Str, "", YES, NO),
    da("cluster-config-file", &[], Kind::Str, "nodes.conf", NO, NO),
    da("cluster-announce-hostname", &[], Kind::Str, "", YES, NO),
    da("ignore-warnings", &[], Kind::Str, "", YES, NO),
    da(
        "cluster-preferred-endpoint-type",
        &[],
        Kind::Enum(&["ip", "hostname", "unknown-endpoint"]),
        "ip",
        YES,
        NO,
    ),
    da(
        "shutdown-on-sigint",
        &[],
        Kind::Flags(SHUTDOWN_FLAGS),
        "default",
        YES,
        NO,
    ),
    da(
        "shutdown-on-sigterm",
        &[],
        Kind::Flags(SHUTDOWN_FLAGS),
        "default",
        YES,
        NO,
    ),
    da(
        "cluster-replica-validity-factor",
        &["cluster-slave-validity-factor"],
        U32,
        "10",
        YES,
        NO,
    ),
    da("cluster-migration-barrier", &[], U32, "1", YES, NO),
    da(
        "active-defrag-cycle-min",
        &[],
        Kind::Int(1, 99),
        "1",
        YES,
        NO,
    ),
    da(
        "active-defrag-cycle-max",
        &[],
        Kind::Int(1, 99),
        "25",
        YES,
        NO,
    ),
    da(
        "active-defrag-threshold-lower",
        &[],
        Kind::Int(0, 1000),
        "10",
        YES,
        NO,
    ),
    da(
        "active-defrag-threshold-upper",
        &[],
        Kind::Int(0, 1000),
        "100",
        YES,
        NO,
    ),
    da(
        "replica-announce-port",
        &["slave-announce-port"],
        Kind::Int(0, 65535),
        "0",
        YES,
        NO,
    ),
    da("cluster-port", &[], Kind::Int(0, 65535), "0", NO, NO),
    da(
        "cluster-announce-bus-port",
        &[],
        Kind::Int(0, 65535),
        "0",
        YES,
        NO,
    ),
    da(
        "cluster-announce-port",
        &[],
        Kind::Int(0, 65535),
        "0",
        YES,
        NO,
    ),
    da(
        "cluster-announce-tls-port",
        &[],
        Kind::Int(0, 65535),
        "0",
        YES,
        NO,
    ),
    da("rdb-key-save-delay", &[], I32, "0", YES, YES),
    da("key-load-delay", &[], I32, "0", YES, YES),
    da("watchdog-period", &[], U32, "0", YES, NO),
    da("shutdown-timeout", &[], U32, "10", YES, NO),
    da(
        "active-defrag-max-scan-fields",
        &[],
        Kind::Int(1, i64::MAX),
        "1000",
        YES,
        NO,
    ),
    da(
        "cluster-node-timeout",
        &[],
        Kind::Int(0, i64::MAX),
        "15000",
        YES,
        NO,
    ),
    da(
        "cluster-link-sendbuf-limit",
        &[],
        Kind::Mem(0, i64::MAX),
        "0",
        YES,
        NO,
    ),
    da(
        "active-defrag-ignore-bytes",
        &[],
        Kind::Mem(1, i64::MAX),
        "104857600",
        YES,
        NO,
    ),
    da(
        "loading-process-events-interval-bytes",
        &[],
        Kind::Int(1024, i32::MAX as i64),
        "2097152",
        YES,
        YES,
    ),
    da("tls-port", &[], Kind::Int(0, 65535), "0", YES, NO),
    da("tls-session-cache-size", &[], U32, "20480", YES, NO),
    da("tls-session-cache-timeout", &[], U32, "300", YES, NO),
    da("tls-cluster", &[], Kind::Bool, "no", YES, NO),
    da("tls-replication", &[], Kind::Bool, "no", YES, NO),
    da(
        "tls-auth-clients",
        &[],
        Kind::Enum(&["no", "yes", "optional"]),
        "yes",
        YES,
        NO,
    ),
    da("tls-prefer-server-ciphers", &[], Kind::Bool, "no", YES, NO),
    da("tls-session-caching", &[], Kind::Bool, "yes", YES, NO),
    da("tls-cert-file", &[], Kind::Str, "", YES, NO),
    da("tls-key-file", &[], Kind::Str, "", YES, NO),
    da("tls-key-file-pass", &[], Kind::Str, "", YES, NO),
    da("tls-client-cert-file", &[], Kind::Str, "", YES, NO),
    da("tls-client-key-file", &[], Kind::Str, "", YES, NO),
    da("tls-client-key-file-pass", &[], Kind::Str, "", YES, NO),
    da("tls-dh-params-file", &[], Kind::Str, "", YES, NO),
    da("tls-ca-cert-file", &[], Kind::Str, "", YES, NO),
    da("tls-ca-cert-dir", &[], Kind::Str, "", YES, NO),
    da("tls-protocols", &[], Kind::Str, "", YES, NO),
    da("tls-ciphers", &[], Kind::Str, "", YES, NO),
    da("tls-ciphersuites", &[], Kind::Str, "", YES, NO),
];

/// Debugging knobs CONFIG GET lists only when asked by exact name.
pub const HIDDEN: &[&str] = &[
    "rdb-key-save-delay",
    "key-load-delay",
    "watchdog-period",
    "loading-process-events-interval-bytes",
    "use-exit-on-panic",
];

/// Words `shutdown-on-sigint` / `shutdown-on-sigterm` accept.
const SHUTDOWN_FLAGS: &[&str] = &["default", "save", "nosave", "now", "force"];

pub fn find(name: &str) -> Option<(usize, &'static Directive)> {
    let lname = name.to_ascii_lowercase();
    DIRECTIVES
        .iter()
        .enumerate()
        .find(|(_, d)| d.name == lname || d.aliases.contains(&lname.as_str()))
}

/// The typed snapshot the server reads, plus the canonical text of every
/// directive.
#[derive(Clone, Debug)]
pub struct Config {
    values: Vec<String>,
    /// A `save` line was read: later ones add to it instead of replacing the default.
    save_touched: bool,
    /// Path of the config file we were started with (absolute), if any.
    pub config_file: Option<String>,
    pub port: u16,
    pub bind: Vec<String>,
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub tcp_backlog: i32,
    pub tcp_keepalive: u32,
    pub timeout: u64,
    pub maxclients: usize,
    pub databases: usize,
    pub hz: u32,
    pub loglevel: Level,
    pub logfile: String,
    pub dir: String,
    pub daemonize: bool,
    pub pidfile: String,
    pub always_show_logo: bool,
    pub requirepass: String,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
    pub activerehashing: bool,
    pub enable_debug_command: String,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    pub hll_sparse_max_bytes: usize,
    /// `stream-node-max-bytes` / `stream-node-max-entries` (0 = no limit).
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: usize,
    /// `notify-keyspace-events` as flags (`crate::notify`).
    pub notify_flags: u32,
    /// `list-max-listpack-size`, clamped as quicklistSetFill.
    pub list_max_listpack_size: i32,
    /// `tracking-table-max-keys` (0 = no limit).
    pub tracking_table_max_keys: usize,
    /// `client-output-buffer-limit` per class (`net::obuf::CLASSES`).
    pub obuf_limits: [crate::net::obuf::Limit; 3],
    /// `list-compress-depth`, clamped as quicklistSetCompressDepth.
    pub list_compress_depth: usize,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: usize,
    pub protected_mode: bool,
    /// `min-replicas-to-write` is set (checked on every write).
    pub min_replicas_check: bool,
    /// `rename-command old new` lines, in order (`new` empty = removed).
    pub renames: Vec<(String, String)>,
    pub maxmemory: u64,
    pub maxmemory_policy: crate::evict::Policy,
    pub maxmemory_samples: usize,
    /// `maxmemory-clients` in bytes (0: no client eviction).
    pub maxmemory_clients: usize,
    pub maxmemory_eviction_tenacity: i64,
    pub latency_monitor_threshold: i64,
    pub latency_tracking: bool,
    pub latency_percentiles: Vec<f64>,
}

impl Default for Config {
    fn default() -> Self {
        let mut c = Config {
            values: DIRECTIVES.iter().map(|d| d.default.to_string()).collect(),
            save_touched: false,
            config_file: None,
            port: 6379,
            bind: vec![],
            unixsocket: String::new(),
            unixsocketperm: 0,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            timeout: 0,
            maxclients: 10000,
            databases: 16,
            hz: 10,
            loglevel: Level::Notice,
            logfile: String::new(),
            dir: "./".into(),
            daemonize: false,
            pidfile: String::new(),
            always_show_logo: false,
            requirepass: String::new(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1 << 30,
            activerehashing: true,
            enable_debug_command: "no".into(),
            hash_max_listpack_entries: 128,
            hash_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            hll_sparse_max_bytes: 3000,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            notify_flags: 0,
            list_max_listpack_size: -2,
            tracking_table_max_keys: 1_000_000,
            obuf_limits: Default::default(),
            list_compress_depth: 0,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            protected_mode: true,
            min_replicas_check: false,
            renames: Vec::new(),
            maxmemory: 0,
            maxmemory_policy: crate::evict::Policy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_clients: 0,
            maxmemory_eviction_tenacity: 10,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_percentiles: vec![],
        };
        c.refresh();
        c
    }
}

/// `1gb` → 1073741824, `1g` → 1000000000, `100` → 100 (Redis's memtoull).
pub fn parse_memory(s: &str) -> Option<i64> {
    let l = s.to_ascii_lowercase();
    let (num, mul): (&str, i64) = if let Some(n) = l.strip_suffix("gb") {
        (n, 1 << 30)
    } else if let Some(n) = l.strip_suffix("mb") {
        (n, 1 << 20)
    } else if let Some(n) = l.strip_suffix("kb") {
        (n, 1 << 10)
    } else if let Some(n) = l.strip_suffix('g') {
        (n, 1_000_000_000)
    } else if let Some(n) = l.strip_suffix('m') {
        (n, 1_000_000)
    } else if let Some(n) = l.strip_suffix('k') {
        (n, 1000)
    } else if let Some(n) = l.strip_suffix('b') {
        (n, 1)
    } else {
        (l.as_str(), 1)
    };
    let v = crate::util::num::parse_i64(num.as_bytes())?;
    v.checked_mul(mul)
}

/// Validate `args` for directive `d`; return the canonical text.
pub fn validate(d: &Directive, args: &[String]) -> Result<String, String> {
    match d.kind {
        Kind::Words if d.name == "replicaof" => return validate_replicaof(args),
        Kind::Words if d.name == OBUF => return crate::net::obuf::validate(args),
        Kind::Words if d.name == "save" => return validate_save(args),
        Kind::Words if d.name == "latency-tracking-info-percentiles" => {
            return validate_percentiles(args);
        }
        Kind::Words => return Ok(args.join(" ")),
        Kind::Flags(opts) => {
            let words: Vec<String> = args
                .iter()
                .flat_map(|a| a.split_whitespace())
                .map(|w| w.to_ascii_lowercase())
                .collect();
            if words.is_empty() || words.iter().any(|w| !opts.contains(&w.as_str())) {
                return Err(format!(
                    "argument(s) must be one of the following: {}",
                    opts.join(", ")
                ));
            }
            // Printed in the set's own order, once each, as Redis does.
            let canon: Vec<&str> = opts
                .iter()
                .copied()
                .filter(|o| words.iter().any(|w| w == o))
                .collect();
            return Ok(canon.join(" "));
        }
        _ if args.len() != 1 => return Err("wrong number of arguments".into()),
        _ => {}
    }
    let v = &args[0];
    if d.name == "maxmemory-clients" {
        return validate_mem_or_percent(v);
    }
    if d.name == "proc-title-template" && !crate::proctitle::valid_template(v) {
        return Err("template format is invalid or contains unknown variables".into());
    }
    if d.name == "notify-keyspace-events" {
        let f = crate::notify::parse_flags(v).ok_or(crate::notify::BAD_CLASS)?;
        return Ok(crate::notify::stored_string(f));
    }
    match d.kind {
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int(min, max) => {
            let n = crate::util::num::parse_i64(v.as_bytes())
                .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(n.to_string())
        }
        Kind::Mem(min, max) => {
            let n = parse_memory(v).ok_or_else(|| "argument must be a memory value".to_string())?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(n.to_string())
        }
        Kind::Enum(opts) => {
            let l = v.to_ascii_lowercase();
            if opts.contains(&l.as_str()) {
                Ok(l)
            } else {
                Err(format!(
                    "argument(s) must be one of the following: {}",
                    opts.join(", ")
                ))
            }
        }
        Kind::Octal => {
            let n = u32::from_str_radix(v, 8)
                .map_err(|_| "argument couldn't be parsed as an octal number".to_string())?;
            Ok(format!("{n:o}"))
        }
        Kind::Str | Kind::Words | Kind::Flags(_) => Ok(v.clone()),
    }
}

/// `save <seconds> <changes> [<seconds> <changes> …]` or `save ""`:
/// seconds ≥ 1, changes ≥ 0, as Redis checks them.
fn validate_save(args: &[String]) -> Result<String, String> {
    let words: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
    let ok = words.len().is_multiple_of(2)
        && words.iter().enumerate().all(|(i, w)| {
            crate::util::num::parse_i64(w.as_bytes()).is_some_and(|n| n >= i64::from(i % 2 == 0))
        });
    if !ok {
        return Err("Invalid save parameters".into());
    }
    Ok(words.join(" "))
}

/// `maxmemory-clients`: a memory amount, or a percentage of maxmemory
/// (Redis's MEMORY_CONFIG | PERCENT_CONFIG, at most 100%).
fn validate_mem_or_percent(v: &str) -> Result<String, String> {
    if let Some(n) = parse_memory(v).filter(|n| *n >= 0) {
        return Ok(n.to_string());
    }
    if let Some(p) = v
        .strip_suffix('%')
        .filter(|p| !p.is_empty())
        .and_then(|p| crate::util::num::parse_i64(p.as_bytes()))
        .filter(|p| *p >= 0)
    {
        if p > 100 {
            return Err("percentage argument must be less or equal to 100".into());
        }
        return Ok(format!("{p}%"));
    }
    Err("argument must be a memory or percent value".into())
}

/// Percentiles between 0 and 100, printed as Redis's trimmed `%f`.
fn validate_percentiles(args: &[String]) -> Result<String, String> {
    let words: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
    let mut out = Vec::new();
    for w in words {
        let p = crate::util::num::parse_f64(w.as_bytes())
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        let mut t = format!("{p:.6}");
        while t.ends_with('0') {
            t.pop();
        }
        if t.ends_with('.') {
            t.pop();
        }
        out.push(t);
    }
    Ok(out.join(" "))
}

/// `replicaof <host> <port>` or `replicaof no one`.
fn validate_replicaof(args: &[String]) -> Result<String, String> {
    if args.len() != 2 {
        return Err("wrong number of arguments".into());
    }
    if args[0].eq_ignore_ascii_case("no") && args[1].eq_ignore_ascii_case("one") {
        return Ok(String::new());
    }
    match crate::util::num::parse_i64(args[1].as_bytes()) {
        Some(p) if (0..=65535).contains(&p) => Ok(format!("{} {}", args[0], p)),
        _ => Err("Invalid master port".into()),
    }
}

impl Config {
    pub fn get(&self, name: &str) -> Option<&str> {
        find(name).map(|(i, _)| self.values[i].as_str())
    }

    /// Set a directive from its arguments (already split), validating it.
    pub fn set(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let (i, d) =
            find(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        let v = validate(d, args)?;
        self.values[i] = if d.name == OBUF {
            crate::net::obuf::merge(&self.values[i], &v)
        } else {
            v
        };
        self.refresh();
        Ok(())
    }

    /// Every directive with its current canonical value.
    pub fn all(&self) -> impl Iterator<Item = (&'static Directive, &str)> {
        DIRECTIVES
            .iter()
            .zip(self.values.iter().map(|s| s.as_str()))
    }

    fn int(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    fn yes(&self, name: &str) -> bool {
        self.get(name) == Some("yes")
    }

    /// Re-derive the typed fields from the canonical values.
    pub fn refresh(&mut self) {
        self.port = self.int("port") as u16;
        self.bind = self
            .get("bind")
            .unwrap_or("")
            .split_whitespace()
            .map(String::from)
            .collect();
        self.unixsocket = self.get("unixsocket").unwrap_or("").to_string();
        self.unixsocketperm =
            u32::from_str_radix(self.get("unixsocketperm").unwrap_or("0"), 8).unwrap_or(0);
        self.tcp_backlog = self.int("tcp-backlog") as i32;
        self.tcp_keepalive = self.int("tcp-keepalive") as u32;
        self.timeout = self.int("timeout") as u64;
        self.maxclients = self.int("maxclients") as usize;
        self.databases = self.int("databases") as usize;
        self.hz = (self.int("hz") as u32).clamp(1, 500);
        self.loglevel =
            Level::parse(self.get("loglevel").unwrap_or("notice")).unwrap_or(Level::Notice);
        self.logfile = self.get("logfile").unwrap_or("").to_string();
        self.dir = self.get("dir").unwrap_or("./").to_string();
        self.daemonize = self.yes("daemonize");
        self.pidfile = self.get("pidfile").unwrap_or("").to_string();
        self.always_show_logo = self.yes("always-show-logo");
        self.requirepass = self.get("requirepass").unwrap_or("").to_string();
        self.proto_max_bulk_len = self.int("proto-max-bulk-len");
        self.client_query_buffer_limit = self.int("client-query-buffer-limit") as usize;
        self.activerehashing = self.yes("activerehashing");
        self.enable_debug_command = self.get("enable-debug-command").unwrap_or("no").to_string();
        self.hash_max_listpack_entries = self.int("hash-max-listpack-entries") as usize;
        self.hash_max_listpack_value = self.int("hash-max-listpack-value") as usize;
        self.zset_max_listpack_entries = self.int("zset-max-listpack-entries") as usize;
        self.zset_max_listpack_value = self.int("zset-max-listpack-value") as usize;
        self.hll_sparse_max_bytes = self.int("hll-sparse-max-bytes") as usize;
        self.stream_node_max_bytes = self.int("stream-node-max-bytes") as usize;
        self.stream_node_max_entries = self.int("stream-node-max-entries") as usize;
        self.notify_flags =
            crate::notify::parse_flags(self.get("notify-keyspace-events").unwrap_or(""))
                .unwrap_or(0);
        crate::db::set_keymiss_events(self.notify_flags & crate::notify::KEY_MISS != 0);
        self.tracking_table_max_keys = self.int("tracking-table-max-keys") as usize;
        self.obuf_limits =
            crate::net::obuf::parse(self.get("client-output-buffer-limit").unwrap_or(""));
        self.list_max_listpack_size =
            crate::types::list::clamp_fill(self.int("list-max-listpack-size"));
        self.list_compress_depth = crate::types::list::clamp_depth(self.int("list-compress-depth"));
        self.slowlog_log_slower_than = self.int("slowlog-log-slower-than");
        self.slowlog_max_len = self.int("slowlog-max-len") as usize;
        self.protected_mode = self.yes("protected-mode");
        self.min_replicas_check = self.int("min-replicas-to-write") > 0;
        self.maxmemory = self.int("maxmemory").max(0) as u64;
        self.maxmemory_policy =
            crate::evict::Policy::parse(self.get("maxmemory-policy").unwrap_or(""));
        self.maxmemory_samples = self.int("maxmemory-samples").max(1) as usize;
        self.maxmemory_clients = crate::net::client_eviction::limit_from(
            self.get("maxmemory-clients").unwrap_or("0"),
            self.maxmemory,
        );
        self.maxmemory_eviction_tenacity = self.int("maxmemory-eviction-tenacity");
        self.latency_monitor_threshold = self.int("latency-monitor-threshold");
        self.latency_tracking = self.yes("latency-tracking");
        self.latency_percentiles = self
            .get("latency-tracking-info-percentiles")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        crate::db::set_access_policy(
            self.get("maxmemory-policy").unwrap_or("").ends_with("lfu"),
            self.int("lfu-log-factor") as u32,
            self.int("lfu-decay-time") as u32,
        );
    }

    /// Load config text (a file's contents plus command-line options), as
    /// Redis's loadServerConfigFromString: one directive per line, arguments
    /// split with Redis's quoting rules. Errors carry Redis's FATAL report.
    pub fn load_string(&mut self, text: &str) -> Result<(), String> {
        for (lineno, line) in text.split('\n').enumerate() {
            let trimmed = line.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r');
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fatal = |reason: &str| {
                format!(
                    "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}",
                    crate::REDIS_VERSION,
                    lineno + 1,
                    trimmed,
                    reason
                )
            };
            let Some(args) = crate::resp::splitargs::split_args(trimmed.as_bytes()) else {
                return Err(fatal("Unbalanced quotes in configuration line"));
            };
            if args.is_empty() {
                continue;
            }
            let args: Vec<String> = args
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect();
            let name = args[0].to_ascii_lowercase();
            if name == "include" {
                if args.len() != 2 {
                    return Err(fatal("Bad directive or wrong number of arguments"));
                }
                let inc = std::fs::read_to_string(&args[1]).map_err(|e| {
                    fatal(&format!(
                        "Fatal error, can't open config file '{}': {}",
                        args[1], e
                    ))
                })?;
                self.load_string(&inc)?;
                continue;
            }
            if name == "rename-command" && args.len() == 3 {
                let from = args[1].to_ascii_lowercase();
                if !crate::commands::meta::meta().info.contains_key(&from) || from.contains('|') {
                    return Err(fatal("No such command in rename-command"));
                }
                let to = args[2].to_ascii_lowercase();
                if !to.is_empty() && self.renames.iter().any(|(_, t)| *t == to) {
                    return Err(fatal("Target command name already exists"));
                }
                self.renames.push((from, to));
                continue;
            }
            let Some((i, d)) = find(&name) else {
                return Err(fatal("Bad directive or wrong number of arguments"));
            };
            if d.kind == Kind::Words && name == "save" {
                // `save` lines accumulate; `save ""` resets.
                let joined = args[1..].join(" ");
                if joined.is_empty() {
                    self.values[i].clear();
                } else if self.values[i] == d.default && !self.save_touched {
                    self.values[i] = joined;
                } else {
                    let cur = std::mem::take(&mut self.values[i]);
                    self.values[i] = if cur.is_empty() {
                        joined
                    } else {
                        format!("{cur} {joined}")
                    };
                }
                self.save_touched = true;
                continue;
            }
            match validate(d, &args[1..]) {
                Ok(v) if d.name == OBUF => {
                    self.values[i] = crate::net::obuf::merge(&self.values[i], &v)
                }
                Ok(v) => self.values[i] = v,
                Err(e) => {
                    let e = if e == "wrong number of arguments" {
                        "Bad directive or wrong number of arguments".to_string()
                    } else {
                        e
                    };
                    return Err(fatal(&e));
                }
            }
        }
        self.refresh();
        Ok(())
    }

    /// Names of the directives that were set to a non-default value but are
    /// not implemented yet (for the single start-up warning).
    pub fn unimplemented_in_use(&self) -> Vec<&'static str> {
        self.all()
            .filter(|(d, v)| !d.implemented && *v != d.default)
            .map(|(d, _)| d.name)
            .collect()
    }
}

/// Turn the command-line arguments after the config file into config text,
/// with redis-server 7.0's rules: `--name` starts a new line (its text goes
/// in raw, so `"--port 6380"` as one argument works); other arguments are
/// quoted values of the current line; after an option name given alone, the
/// next argument is its value even if it starts with `--`; a bare `--save`
/// followed by another option, or last, means `save ""`. A `-` that is the
/// first argument (`first_is_argv1`) or the last asks for config from stdin.
/// Returns the text and whether stdin should be read.
pub fn args_to_config(args: &[String], first_is_argv1: bool) -> (String, bool) {
    let mut out = String::new();
    let mut from_stdin = false;
    let mut value_pending = false; // an option name was given without a value
    for (i, a) in args.iter().enumerate() {
        let last = i + 1 == args.len();
        if a == "-" && ((i == 0 && first_is_argv1) || last) {
            from_stdin = true;
        } else if !value_pending && a.starts_with("--") {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&a[2..]);
            out.push(' ');
            let alone =
                crate::resp::splitargs::split_args(a.as_bytes()).is_some_and(|v| v.len() == 1);
            value_pending = alone;
            if alone {
                let next_is_option = !last && args[i + 1].starts_with("--");
                if a.eq_ignore_ascii_case("--save") && (next_is_option || last) {
                    out.push_str("\"\"");
                    value_pending = false;
                }
            }
        } else {
            out.push_str(&quote(a));
            out.push(' ');
            value_pending = false;
        }
    }
    (out, from_stdin)
}

/// Quote a value so `split_args` gives it back unchanged (sdscatrepr).
pub fn quote(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 32 || c as u32 == 127 => o.push_str(&format!("\\x{:02x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("1g"), Some(1_000_000_000));
        assert_eq!(parse_memory("512MB"), Some(512 << 20));
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("x"), None);
    }

    #[test]
    fn load_and_override() {
        let mut c = Config::default();
        let opts: Vec<String> = ["--port", "7001", "--save", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = "port 7000\n# comment\nbind 127.0.0.1 ::1\n".to_string()
            + "\n"
            + &args_to_config(&opts, false).0;
        c.load_string(&text).unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(c.get("save"), Some(""));
        assert_eq!(c.get("slave-serve-stale-data"), Some("yes"));
    }

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_line_rules() {
        let t = |v: &[&str]| args_to_config(&argv(v), false).0;
        assert_eq!(
            t(&["--port", "7000", "--bind", "a", "b"]),
            "port \"7000\" \nbind \"a\" \"b\" "
        );
        // an option alone takes the next argument as its value, even `--x`
        assert_eq!(
            t(&["--port", "--loglevel", "verbose"]),
            "port \"--loglevel\" \"verbose\" "
        );
        // name and value in one argument
        assert_eq!(
            t(&["--maxmemory '700mb'", "--loglevel", "verbose"]),
            "maxmemory '700mb' \nloglevel \"verbose\" "
        );
        // bare --save before another option, or last
        assert_eq!(t(&["--save", "--port", "1"]), "save \"\"\nport \"1\" ");
        assert_eq!(t(&["--port", "1", "--save"]), "port \"1\" \nsave \"\"");
        // values before any option land on the first line, as in Redis
        assert_eq!(t(&["loglevel", "verbose"]), "\"loglevel\" \"verbose\" ");
        assert!(args_to_config(&argv(&["-", "--port", "1"]), true).1);
        assert!(args_to_config(&argv(&["--port", "1", "-"]), false).1);
    }

    #[test]
    fn fatal_errors() {
        let mut c = Config::default();
        let e = c.load_string("port 7000\nnosuch 1\n").unwrap_err();
        assert!(e.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"));
        assert!(e.contains("at line 2"));
        assert!(e.contains(">>> 'nosuch 1'"));
        assert!(e.contains("Bad directive or wrong number of arguments"));
        let e = Config::default().load_string("port abc").unwrap_err();
        assert!(e.ends_with("argument couldn't be parsed into an integer"));
        let e = Config::default()
            .load_string("daemonize maybe")
            .unwrap_err();
        assert!(e.ends_with("argument must be 'yes' or 'no'"));
    }
}
