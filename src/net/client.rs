//! A connected client: its socket, query buffer and parser, reply buffer,
//! and the per-connection state commands read (db, protocol, name, flags).
//!
//! Reading fills the `BytesMut` query buffer 16 KiB at a time (or exactly
//! the rest of a big bulk the parser announced); writing sends the reply
//! buffer from where the last write stopped. Neither touches the keyspace:
//! the server's loop parses and dispatches.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::rc::Rc;

use bytes::{Bytes, BytesMut};

use crate::resp::{Parser, Reply};

pub const IOBUF_LEN: usize = 16 * 1024;

pub enum Conn {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Conn {
    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Conn::Tcp(s) => s,
            Conn::Unix(s) => s,
        }
    }
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }
    pub fn shutdown(&self) {
        match self {
            Conn::Tcp(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            Conn::Unix(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    Skip,
}

pub struct Client {
    pub id: u64,
    /// Slab key.
    pub token: usize,
    pub conn: Conn,
    pub addr: String,
    pub laddr: String,
    pub is_unix: bool,
    pub query: BytesMut,
    pub parser: Parser,
    /// Peak of the query buffer since the last cron check (qbuf-free etc.).
    pub query_peak: usize,
    /// Length of the query buffer when the current batch of requests began
    /// (0 between batches): what CLIENT LIST shows as `qbuf` meanwhile.
    pub qbuf_batch: usize,
    pub reply: Reply,
    pub db: usize,
    pub name: Option<Vec<u8>>,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    pub authenticated: bool,
    pub close_after_reply: bool,
    pub close_asap: bool,
    pub write_interest: bool,
    /// Queued in the server's pending-write list.
    pub pending_write: bool,
    pub reply_mode: ReplyMode,
    pub no_evict: bool,
    /// Full name of the last command run ("client|list").
    pub last_cmd: &'static str,
    pub argv_len_sum: usize,
    pub argc: usize,
    /// Total bytes read from / written to the socket.
    pub net_in: u64,
    pub net_out: u64,
    pub commands_processed: u64,
    /// MULTI state: the queued commands while a transaction is open.
    pub multi: Option<crate::multi::MultiState>,
    /// A command was refused while queueing: EXEC will abort.
    pub dirty_exec: bool,
    /// A WATCHed key was touched (CLIENT_DIRTY_CAS). Shared with the
    /// server's watch table, so any client's write can set it.
    pub dirty_cas: Rc<Cell<bool>>,
    /// Keys this client WATCHes: (db, key).
    pub watched: Vec<(usize, Bytes)>,
    /// Pub/Sub subscriptions: channels, patterns (in subscription order),
    /// shard channels.
    pub sub_channels: HashSet<Bytes>,
    pub sub_patterns: Vec<Bytes>,
    pub sub_shard: HashSet<Bytes>,
    /// In Pub/Sub mode (CLIENT_PUBSUB): set by a subscription, cleared
    /// when the last one goes (or by RESET).
    pub pubsub_mode: bool,
    /// Set while blocked on keys (`blocking.rs`).
    pub blocked: Option<Box<crate::blocking::BlockState>>,
    /// A command held back by CLIENT PAUSE (`crate::pause`).
    pub postponed: Option<Vec<bytes::Bytes>>,
    /// Receives the MONITOR stream (`crate::monitor`).
    pub monitor: bool,
    /// CLIENT TRACKING state (`crate::tracking`).
    pub tracking: crate::tracking::ClientTracking,
    /// Unix time (s) the output buffer soft limit was first reached, 0 if
    /// under it (`net::obuf`).
    pub obuf_soft_since: i64,
    /// The link to our master (`crate::replica`).
    pub is_master: bool,
    /// Asked for the replication stream (SYNC / PSYNC).
    pub is_replica: bool,
    /// REPLCONF listening-port / ip-address / capa psync2 of a replica.
    pub replica_port: u16,
    pub replica_ip: String,
    pub replica_capa_psync2: bool,
}

pub enum ReadResult {
    /// Bytes arrived and the socket may hold more.
    Data,
    /// Bytes arrived and the read came back short: the socket buffer was
    /// drained, so (edge-triggered) a new event will come with new data and
    /// no extra read is needed to see WouldBlock.
    Drained,
    WouldBlock,
    Closed,
}

impl Client {
    pub fn new(
        id: u64,
        token: usize,
        conn: Conn,
        addr: String,
        laddr: String,
        now_ms: i64,
    ) -> Client {
        let is_unix = matches!(conn, Conn::Unix(_));
        Client {
            id,
            token,
            conn,
            addr,
            laddr,
            is_unix,
            query: BytesMut::new(),
            parser: Parser::new(),
            query_peak: 0,
            qbuf_batch: 0,
            // A connection's reply buffer starts at Redis's 16 KiB (its
            // static `buf`): replies and pushes up to that size never
            // allocate, so memory accounting (maxmemory, client eviction)
            // does not move with every reply, as in Redis.
            reply: Reply::with_capacity(crate::net::obuf::REPLY_CHUNK),
            db: 0,
            name: None,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            authenticated: false,
            close_after_reply: false,
            close_asap: false,
            write_interest: false,
            pending_write: false,
            reply_mode: ReplyMode::On,
            no_evict: false,
            last_cmd: "NULL",
            argv_len_sum: 0,
            argc: 0,
            net_in: 0,
            net_out: 0,
            commands_processed: 0,
            multi: None,
            dirty_exec: false,
            dirty_cas: Rc::new(Cell::new(false)),
            watched: Vec::new(),
            sub_channels: HashSet::new(),
            sub_patterns: Vec::new(),
            sub_shard: HashSet::new(),
            pubsub_mode: false,
            blocked: None,
            postponed: None,
            monitor: false,
            tracking: Default::default(),
            obuf_soft_since: 0,
            is_master: false,
            is_replica: false,
            replica_port: 0,
            replica_ip: String::new(),
            replica_capa_psync2: false,
        }
    }

    /// One read into the query buffer.
    pub fn read_once(&mut self) -> io::Result<ReadResult> {
        let want = match self.parser.pending_bulk() {
            Some(n) if n > self.query.len() => (n - self.query.len()).max(IOBUF_LEN),
            _ => IOBUF_LEN,
        };
        if self.query.capacity() - self.query.len() < want {
            self.query.reserve(want);
        }
        let spare = self.query.spare_capacity_mut();
        let len = spare.len().min(want.max(IOBUF_LEN));
        // SAFETY: the kernel writes up to `len` bytes into the spare capacity;
        // we only mark as initialised the bytes it reports written.
        let buf = unsafe { std::slice::from_raw_parts_mut(spare.as_mut_ptr() as *mut u8, len) };
        match self.conn.read(buf) {
            Ok(0) => Ok(ReadResult::Closed),
            Ok(n) => {
                // SAFETY: n bytes were just written by read().
                unsafe { self.query.set_len(self.query.len() + n) };
                self.net_in += n as u64;
                if self.query.len() > self.query_peak {
                    self.query_peak = self.query.len();
                }
                Ok(if n < len {
                    ReadResult::Drained
                } else {
                    ReadResult::Data
                })
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(ReadResult::WouldBlock),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(ReadResult::Data),
            Err(e) => Err(e),
        }
    }

    /// Write as much of the reply buffer as the socket takes. Returns true
    /// when everything was written.
    pub fn write_pending(&mut self) -> io::Result<bool> {
        while self.reply.sent < self.reply.buf.len() {
            match self.conn.write(&self.reply.buf[self.reply.sent..]) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write zero")),
                Ok(n) => {
                    self.reply.sent += n;
                    self.net_out += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.reply.clear();
        // Back to the 16 KiB base once written, as Redis frees the reply
        // blocks beyond its static buffer: a burst (a big reply, pushes to
        // a slow reader) does not stay allocated.
        const BASE: usize = crate::net::obuf::REPLY_CHUNK;
        if self.reply.buf.capacity() > BASE && crate::net::client_eviction::reply_resizing() {
            self.reply.buf.shrink_to(BASE);
        }
        Ok(true)
    }

    /// Output buffer size counted against the limits (`omem`).
    pub fn obuf_usage(&self) -> usize {
        self.reply.obuf_usage()
    }

    pub fn has_pending_reply(&self) -> bool {
        self.reply.pending() > 0
    }

    /// Memory this connection holds (CLIENT LIST's `tot-mem`, what client
    /// eviction weighs): its buffers, queued transaction, watched keys,
    /// subscriptions and tracking prefixes, each entry with the overhead of
    /// the structure that holds it.
    pub fn memory_usage(&self) -> usize {
        const ENTRY: usize = 48;
        let rbs = self.reply.buf.capacity().max(crate::net::obuf::REPLY_CHUNK);
        let multi_mem = self.multi.as_ref().map_or(0, |m| m.mem);
        let subs: usize = self
            .sub_channels
            .iter()
            .chain(self.sub_patterns.iter())
            .chain(self.sub_shard.iter())
            .chain(self.tracking.prefixes.iter())
            .map(|b| b.len() + ENTRY)
            .sum();
        let watched: usize = self.watched.iter().map(|(_, k)| k.len() + ENTRY).sum();
        self.obuf_usage()
            + rbs
            + self.query.capacity()
            + self.parser.pending_args_bytes()
            + self.argv_len_sum
            + multi_mem
            + subs
            + watched
            + std::mem::size_of::<Client>()
    }

    /// CLIENT LIST / CLIENT INFO line, fields as in Redis 7.0. `cmd_name` is
    /// the full name of the last command (the running one for the caller).
    pub fn info_line(&self, now_ms: i64, cmd_name: &str) -> String {
        // Flags in Redis's order; the ones for states we do not have yet
        // (replica, tracking...) are never set.
        let mut flags = String::new();
        if self.monitor {
            flags.push('O');
        } else if self.is_replica {
            flags.push('S');
        }
        if self.is_master {
            flags.push('M');
        }
        if self.pubsub_mode {
            flags.push('P');
        }
        if self.multi.is_some() {
            flags.push('x');
        }
        if self.blocked.is_some() || self.postponed.is_some() {
            flags.push('b');
        }
        if self.tracking.on {
            flags.push('t');
        }
        if self.tracking.broken_redir {
            flags.push('R');
        }
        if self.tracking.bcast {
            flags.push('B');
        }
        if self.dirty_cas.get() {
            flags.push('d');
        }
        if self.close_after_reply {
            flags.push('c');
        }
        if self.close_asap {
            flags.push('A');
        }
        if self.is_unix {
            flags.push('U');
        }
        if self.no_evict {
            flags.push('e');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let events = if self.write_interest { "rw" } else { "r" };
        let qbuf = self.qbuf_batch.max(self.query.len());
        let qbuf_free = self.query.capacity().saturating_sub(self.query.len());
        // Redis keeps the first 16 KiB of replies in a static buffer (obl)
        // and the rest in a list of blocks (oll, omem).
        const REPLY_CHUNK: usize = crate::net::obuf::REPLY_CHUNK;
        let pending = self.reply.pending();
        let omem = self.obuf_usage();
        let obl = pending - omem;
        let oll = omem.div_ceil(REPLY_CHUNK);
        let rbs = self.reply.buf.capacity().max(REPLY_CHUNK);
        let (multi_count, multi_mem) = match &self.multi {
            Some(m) => (m.cmds.len() as i64, m.mem),
            None => (-1, 0),
        };
        let tot_mem = self.memory_usage();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user=default redir={} resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.conn.fd(),
            String::from_utf8_lossy(self.name.as_deref().unwrap_or(b"")),
            (now_ms - self.created_ms) / 1000,
            (now_ms - self.last_interaction_ms) / 1000,
            flags,
            self.db,
            self.sub_channels.len(),
            self.sub_patterns.len(),
            self.sub_shard.len(),
            multi_count,
            qbuf,
            qbuf_free,
            self.argv_len_sum,
            multi_mem,
            rbs,
            rbs,
            obl,
            oll,
            omem,
            tot_mem,
            events,
            cmd_name,
            if self.tracking.on {
                self.tracking.redirect as i64
            } else {
                -1
            },
            self.reply.resp,
        )
    }
}
