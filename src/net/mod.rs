//! Networking: client connections and listening sockets.

pub mod client;
pub mod client_eviction;
pub mod listener;
pub mod obuf;
pub mod protected;

pub use client::{Client, Conn};
pub use listener::Listener;
