//! cinnabar: a Redis-compatible key-value server.
//!
//! The crate is a library so that unit tests, black-box tests and the
//! `cinnabar-server` binary share one build. The shape follows DESIGN.md: one
//! thread owns all data and runs a mio event loop (`server`), clients live in a
//! slab (`net`), bytes go through the incremental RESP parser (`resp`) into the
//! command table (`commands`) and on into the keyspace (`db`, `dict`, `types`).

pub mod alloc;
pub mod blocking;
pub mod commands;
pub mod config;
pub mod config_example;
pub mod config_rewrite;
pub mod crash;
pub mod db;
pub mod dict;
pub mod digest;
pub mod encoding;
pub mod evict;
pub mod latency;
pub mod log;
pub mod monitor;
pub mod multi;
pub mod net;
pub mod notify;
pub mod pause;
pub mod persistence;
pub mod proctitle;
pub mod propagate;
pub mod pubsub;
pub mod replica;
pub mod replication;
pub mod resp;
pub mod scripting;
pub mod server;
pub mod shutdown_wait;
pub mod slowlog;
pub mod supervise;
pub mod tracking;
pub mod types;
pub mod util;

/// The Redis version we are a drop-in for; clients feature-detect on it.
pub const REDIS_VERSION: &str = "7.0.15";
/// Our own version.
pub const CINNABAR_VERSION: &str = env!("CARGO_PKG_VERSION");
