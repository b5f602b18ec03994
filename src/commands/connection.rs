//! Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET and the
//! CLIENT family (ID, SETNAME, GETNAME, LIST, INFO, KILL, REPLY, NO-EVICT,
//! HELP, and TRACKING / CACHING / GETREDIR / TRACKINGINFO whose machinery is
//! in `crate::tracking`).
//!
//! These commands act on the connection rather than the keyspace: its
//! protocol version, name, selected db, authentication and reply mode. There
//! is a single user, `default`, whose password is `requirepass` (none when
//! it is empty), as in Redis without ACL rules.
//!
//! The client being served is out of the server's client slab while its
//! command runs, so commands that look at every connection (CLIENT LIST,
//! CLIENT KILL) add it explicitly and sort by id, the order in which Redis
//! keeps its client list.

use bytes::Bytes;

use super::{Handler, SYNTAX_ERR, is, text};
use crate::net::Client;
use crate::net::client::ReplyMode;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("quit", quit),
    ("select", select),
    ("hello", hello),
    ("auth", auth),
    ("reset", reset),
    ("client|id", client_id),
    ("client|setname", client_setname),
    ("client|getname", client_getname),
    ("client|list", client_list),
    ("client|info", client_info),
    ("client|kill", client_kill),
    ("client|reply", client_reply),
    ("client|no-evict", client_no_evict),
    ("client|help", client_help),
    ("client|unblock", client_unblock),
    ("client|pause", client_pause),
    ("client|unpause", client_unpause),
    ("client|tracking", client_tracking),
    ("client|caching", client_caching),
    ("client|getredir", client_getredir),
    ("client|trackinginfo", client_trackinginfo),
];

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
const BAD_NAME: &str = "Client names cannot contain spaces, newlines or special characters.";

fn ping(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 2 {
        c.reply.err("wrong number of arguments for 'ping' command");
        return;
    }
    if c.pubsub_mode && c.reply.resp == 2 {
        // In RESP2 Pub/Sub mode a reply must look like a message.
        c.reply.array_len(2);
        c.reply.bulk(b"pong");
        c.reply.bulk(argv.get(1).map_or(&b""[..], |m| &m[..]));
        return;
    }
    match argv.get(1) {
        Some(m) => c.reply.bulk(m),
        None => c.reply.simple("PONG"),
    }
}

fn echo(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    c.reply.bulk(&argv[1]);
}

fn quit(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    // Under CLIENT REPLY OFF the +OK is dropped like any other reply.
    c.reply.ok();
    c.close_after_reply = true;
}

fn select(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(id) = super::arg_int(c, &argv[1], None) else {
        return;
    };
    if id < 0 || id as usize >= srv.dbs.len() {
        c.reply.err(super::DB_OUT_OF_RANGE);
        return;
    }
    c.db = id as usize;
    c.reply.ok();
}

/// Compare in time independent of where the inputs differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= (x ^ y) as usize;
    }
    diff == 0
}

/// Check a username/password pair. The only user is `default`; with no
/// `requirepass` it accepts any password (Redis's `nopass`).
fn credentials_ok(srv: &Server, user: &[u8], pass: &[u8]) -> bool {
    user == b"default"
        && (srv.cfg.requirepass.is_empty() || same_secret(pass, srv.cfg.requirepass.as_bytes()))
}

/// A client name may be empty (no name) or printable ASCII without spaces,
/// so that CLIENT LIST lines stay splittable on spaces.
fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

/// Set (or with an empty name, clear) the client's name; answers the error
/// and returns false when the name is not acceptable.
fn set_name(c: &mut Client, name: &[u8]) -> bool {
    if !valid_name(name) {
        c.reply.err(BAD_NAME);
        return false;
    }
    c.name = (!name.is_empty()).then(|| name.to_vec());
    true
}

/// HELLO [protover [AUTH user pass] [SETNAME name]]
fn hello(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut ver = 0;
    if let Some(v) = argv.get(1) {
        let Some(n) = crate::util::num::parse_i64(v) else {
            c.reply
                .err("Protocol version is not an integer or out of range");
            return;
        };
        if !(2..=3).contains(&n) {
            c.reply.err_code("NOPROTO unsupported protocol version");
            return;
        }
        ver = n as u8;
    }
    // Options take effect one by one, as Redis applies them: a later
    // syntax error does not undo an earlier SETNAME or AUTH.
    let mut j = 2;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is(&argv[j], "auth") && more >= 2 {
            if !credentials_ok(srv, &argv[j + 1], &argv[j + 2]) {
                c.reply.err_code(WRONGPASS);
                return;
            }
            c.authenticated = true;
            j += 3;
        } else if is(&argv[j], "setname") && more >= 1 {
            if !set_name(c, &argv[j + 1]) {
                return;
            }
            j += 2;
        } else {
            c.reply.err(&format!(
                "Syntax error in HELLO option '{}'",
                text(&argv[j])
            ));
            return;
        }
    }
    if !c.authenticated {
        c.reply.err_code(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time",
        );
        return;
    }
    if ver != 0 {
        c.reply.resp = ver;
    }
    c.reply.map_len(7);
    c.reply.bulk_str("server");
    c.reply.bulk_str("redis");
    c.reply.bulk_str("version");
    c.reply.bulk_str(crate::REDIS_VERSION);
    c.reply.bulk_str("proto");
    c.reply.int(c.reply.resp as i64);
    c.reply.bulk_str("id");
    c.reply.int(c.id as i64);
    c.reply.bulk_str("mode");
    c.reply.bulk_str("standalone");
    c.reply.bulk_str("role");
    c.reply.bulk_str(if srv.master_link.is_some() {
        "replica"
    } else {
        "master"
    });
    c.reply.bulk_str("modules");
    c.reply.array_len(0);
}

/// AUTH [username] password
fn auth(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 3 {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    let (user, pass): (&[u8], &[u8]) = if argv.len() == 2 {
        if srv.cfg.requirepass.is_empty() {
            c.reply.err(
                "AUTH <password> called without any password configured for the default user. \
                 Are you sure your configuration is correct?",
            );
            return;
        }
        (b"default", &argv[1])
    } else {
        (&argv[1], &argv[2])
    };
    if credentials_ok(srv, user, pass) {
        c.authenticated = true;
        c.reply.ok();
    } else {
        c.reply.err_code(WRONGPASS);
    }
}

/// RESET: back to the state of a new connection.
fn reset(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    srv.discard_transaction(c);
    srv.pubsub_forget(c);
    srv.disable_tracking(c);
    c.db = 0;
    c.reply.resp = 2;
    c.authenticated = srv.cfg.requirepass.is_empty();
    c.name = None;
    // Leaving REPLY OFF lets +RESET through; a reply already being skipped
    // by CLIENT REPLY SKIP stays skipped.
    if c.reply_mode == ReplyMode::Off {
        c.reply.muted = false;
    }
    c.reply_mode = ReplyMode::On;
    c.reply.simple("RESET");
}

/// Redis's client classes, for the TYPE filters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

fn client_type_by_name(name: &[u8]) -> Option<ClientType> {
    Some(match name.to_ascii_lowercase().as_slice() {
        b"normal" => ClientType::Normal,
        b"slave" | b"replica" => ClientType::Replica,
        b"pubsub" => ClientType::PubSub,
        b"master" => ClientType::Master,
        _ => return None,
    })
}

/// The class of a connection. Every connection is a normal client until
/// replication and Pub/Sub give clients other roles.
fn client_type(c: &Client) -> ClientType {
    if c.is_master {
        ClientType::Master
    } else if c.is_replica && !c.monitor {
        ClientType::Replica
    } else if c.pubsub_mode {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

/// Every connection, the one being served included, in id order.
fn all_clients<'a>(srv: &'a Server, me: &'a Client) -> Vec<&'a Client> {
    let mut v: Vec<&Client> = srv
        .clients
        .iter()
        .filter_map(|(_, s)| s.as_deref())
        .collect();
    v.push(me);
    v.sort_by_key(|c| c.id);
    v
}

/// One CLIENT LIST line; the client being served reports the command it is
/// running, as Redis does (its `lastcmd` is set before the call).
fn info_line(srv: &Server, me: &Client, cl: &Client, running: &str) -> String {
    if std::ptr::eq(me, cl) {
        cl.info_line(srv.now_ms, running)
    } else {
        cl.info_line(srv.now_ms, cl.last_cmd)
    }
}

fn client_id(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.int(c.id as i64);
}

fn client_setname(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if set_name(c, &argv[2]) {
        c.reply.ok();
    }
}

fn client_getname(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    match c.name.clone() {
        Some(n) => c.reply.bulk(&n),
        None => c.reply.null(),
    }
}

fn client_info(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    let mut s = c.info_line(srv.now_ms, "client|info");
    s.push('\n');
    c.reply.verbatim(s.as_bytes(), "txt");
}

/// CLIENT LIST [TYPE type] | [ID id ...]
fn client_list(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    const ME: &str = "client|list";
    let mut out = String::new();
    if argv.len() == 4 && is(&argv[2], "type") {
        let Some(t) = client_type_by_name(&argv[3]) else {
            c.reply
                .err(&format!("Unknown client type '{}'", text(&argv[3])));
            return;
        };
        for cl in all_clients(srv, c) {
            if client_type(cl) == t {
                out.push_str(&info_line(srv, c, cl, ME));
                out.push('\n');
            }
        }
    } else if argv.len() > 3 && is(&argv[2], "id") {
        let mut ids = Vec::with_capacity(argv.len() - 3);
        for a in &argv[3..] {
            match crate::util::num::parse_i64(a) {
                Some(id) => ids.push(id),
                None => {
                    c.reply.err("Invalid client ID");
                    return;
                }
            }
        }
        let all = all_clients(srv, c);
        for id in ids {
            if let Some(cl) = all.iter().find(|cl| cl.id as i64 == id) {
                out.push_str(&info_line(srv, c, cl, ME));
                out.push('\n');
            }
        }
    } else if argv.len() != 2 {
        c.reply.err(SYNTAX_ERR);
        return;
    } else {
        for cl in all_clients(srv, c) {
            out.push_str(&info_line(srv, c, cl, ME));
            out.push('\n');
        }
    }
    c.reply.verbatim(out.as_bytes(), "txt");
}

/// What CLIENT KILL selects; every given filter must match.
#[derive(Default, Debug, PartialEq, Eq)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    ctype: Option<ClientType>,
    skipme: bool,
}

impl KillFilter {
    /// Parse the new-style `<option> <value>` pairs (argv[2..]); Err holds
    /// the error text.
    fn parse(args: &[Bytes]) -> Result<KillFilter, String> {
        let mut f = KillFilter {
            skipme: true,
            ..Default::default()
        };
        let mut i = 0;
        while i < args.len() {
            let Some(val) = args.get(i + 1) else {
                return Err(SYNTAX_ERR.into());
            };
            let opt = &args[i];
            if is(opt, "id") {
                match crate::util::num::parse_i64(val) {
                    Some(n) if n > 0 => f.id = Some(n as u64),
                    _ => return Err("client-id should be greater than 0".into()),
                }
            } else if is(opt, "type") {
                f.ctype = Some(
                    client_type_by_name(val)
                        .ok_or_else(|| format!("Unknown client type '{}'", text(val)))?,
                );
            } else if is(opt, "addr") {
                f.addr = Some(val.to_vec());
            } else if is(opt, "laddr") {
                f.laddr = Some(val.to_vec());
            } else if is(opt, "user") {
                // Only the default user exists, and every client is it.
                if val.as_ref() != b"default" {
                    return Err(format!("No such user '{}'", text(val)));
                }
            } else if is(opt, "skipme") {
                if is(val, "yes") {
                    f.skipme = true;
                } else if is(val, "no") {
                    f.skipme = false;
                } else {
                    return Err(SYNTAX_ERR.into());
                }
            } else {
                return Err(SYNTAX_ERR.into());
            }
            i += 2;
        }
        Ok(f)
    }

    fn matches(&self, cl: &Client) -> bool {
        self.id.is_none_or(|id| cl.id == id)
            && self.addr.as_deref().is_none_or(|a| cl.addr.as_bytes() == a)
            && self
                .laddr
                .as_deref()
                .is_none_or(|a| cl.laddr.as_bytes() == a)
            && self.ctype.is_none_or(|t| client_type(cl) == t)
    }
}

/// CLIENT KILL addr:port | CLIENT KILL <option> <value> ...
fn client_kill(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let old_form = argv.len() == 3;
    let filter = if old_form {
        // The old form may kill the caller itself.
        KillFilter {
            addr: Some(argv[2].to_vec()),
            skipme: false,
            ..Default::default()
        }
    } else {
        match KillFilter::parse(&argv[2..]) {
            Ok(f) => f,
            Err(e) => {
                c.reply.err(&e);
                return;
            }
        }
    };
    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(key, s)| s.as_deref().map(|cl| (key, cl)))
        .filter(|(_, cl)| filter.matches(cl))
        .map(|(key, _)| key)
        .collect();
    let kill_me = !filter.skipme && filter.matches(c);
    let killed = victims.len() + kill_me as usize;
    for key in victims {
        srv.kill_client(key);
    }
    if old_form {
        if killed == 0 {
            c.reply.err("No such client");
        } else {
            c.reply.ok();
        }
    } else {
        c.reply.int(killed as i64);
    }
    // Set only now, so the reply above is still written before closing.
    if kill_me {
        c.close_after_reply = true;
    }
}

/// CLIENT REPLY ON|OFF|SKIP. OFF and SKIP answer nothing; the event loop
/// (`Server::execute`) mutes replies according to `reply_mode`.
fn client_reply(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mode = &argv[2];
    if is(mode, "on") {
        c.reply_mode = ReplyMode::On;
        c.reply.muted = false;
        c.reply.ok();
    } else if is(mode, "off") {
        c.reply_mode = ReplyMode::Off;
        c.reply.muted = true;
    } else if is(mode, "skip") {
        if c.reply_mode != ReplyMode::Off {
            c.reply_mode = ReplyMode::SkipNext;
            c.reply.muted = true;
        }
    } else {
        c.reply.err(SYNTAX_ERR);
    }
}

fn client_no_evict(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if is(&argv[2], "on") {
        c.no_evict = true;
    } else if is(&argv[2], "off") {
        c.no_evict = false;
    } else {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    c.reply.ok();
}

/// CLIENT PAUSE timeout [WRITE|ALL]: hold back commands (`crate::pause`).
fn client_pause(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 4 {
        c.reply.err(&format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(&argv[1])
        ));
        return;
    }
    let mut write_only = false;
    if argv.len() == 4 {
        if is(&argv[3], "write") {
            write_only = true;
        } else if !is(&argv[3], "all") {
            c.reply.err("CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    let Some(ms) = crate::util::num::parse_i64(&argv[2]) else {
        c.reply.err("timeout is not an integer or out of range");
        return;
    };
    if ms < 0 {
        c.reply.err("timeout is negative");
        return;
    }
    let now = crate::util::time::now_ms();
    let end = if ms > 0 { ms.saturating_add(now) } else { 0 };
    srv.pause.pause(write_only, end);
    c.reply.ok();
}

/// CLIENT UNPAUSE: end a pause; postponed commands run.
fn client_unpause(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    srv.pause.unpause();
    c.reply.ok();
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: end a client's blocking command
/// (`blocking.rs`), with its timeout reply or an UNBLOCKED error.
fn client_unblock(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() > 4 {
        c.reply.err(&format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            super::text(&argv[1][..argv[1].len().min(128)])
        ));
        return;
    }
    let mut error = false;
    if argv.len() == 4 {
        if super::is(&argv[3], "timeout") {
            error = false;
        } else if super::is(&argv[3], "error") {
            error = true;
        } else {
            c.reply
                .err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    let Some(id) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    let done = id >= 0 && crate::blocking::client_unblock(srv, id as u64, error);
    c.reply.int(done as i64);
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN]
/// [OPTOUT] [NOLOOP]: checks in Redis's order, then `crate::tracking`.
fn client_tracking(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut o = crate::tracking::Options::default();
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let a = &argv[j];
        if is(a, "redirect") && more {
            j += 1;
            if o.redirect != 0 {
                c.reply
                    .err("A client can only redirect to a single other client");
                return;
            }
            let Some(id) = super::arg_i64(c, &argv[j]) else {
                return;
            };
            let exists = id == c.id as i64 || (id > 0 && srv.tracking.client_exists(id as u64));
            if !exists {
                c.reply
                    .err("The client ID you want redirect to does not exist");
                return;
            }
            o.redirect = id as u64;
        } else if is(a, "bcast") {
            o.bcast = true;
        } else if is(a, "optin") {
            o.optin = true;
        } else if is(a, "optout") {
            o.optout = true;
        } else if is(a, "noloop") {
            o.noloop = true;
        } else if is(a, "prefix") && more {
            j += 1;
            o.prefixes.push(crate::util::owned(&argv[j]));
        } else {
            c.reply.err(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    if is(&argv[2], "on") {
        let t = &c.tracking;
        let err = if !o.bcast && !o.prefixes.is_empty() {
            Some("PREFIX option requires BCAST mode to be enabled".to_string())
        } else if t.on && t.bcast != o.bcast {
            Some("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.".to_string())
        } else if o.bcast && (o.optin || o.optout) {
            Some("OPTIN and OPTOUT are not compatible with BCAST".to_string())
        } else if o.optin && o.optout {
            Some("You can't specify both OPTIN mode and OPTOUT mode".to_string())
        } else if (o.optin && t.optout) || (o.optout && t.optin) {
            Some("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.".to_string())
        } else if o.bcast {
            crate::tracking::check_prefixes(c, &o.prefixes).err()
        } else {
            None
        };
        if let Some(e) = err {
            c.reply.err(&e);
            return;
        }
        srv.enable_tracking(c, o);
    } else if is(&argv[2], "off") {
        srv.disable_tracking(c);
    } else {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    c.reply.ok();
}

/// CLIENT CACHING YES|NO: opt the next command in (OPTIN) or out (OPTOUT).
fn client_caching(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if !c.tracking.on {
        c.reply.err("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    let opt = &argv[2];
    if is(opt, "yes") {
        if !c.tracking.optin {
            c.reply
                .err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
            return;
        }
    } else if is(opt, "no") {
        if !c.tracking.optout {
            c.reply
                .err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
            return;
        }
    } else {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    c.tracking.caching = true;
    c.reply.ok();
}

fn client_getredir(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    let r = if c.tracking.on {
        c.tracking.redirect as i64
    } else {
        -1
    };
    c.reply.int(r);
}

/// CLIENT TRACKINGINFO: flags, redirect and prefixes, as Redis lists them.
fn client_trackinginfo(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    let t = c.tracking.clone();
    let mut flags = vec![if t.on { "on" } else { "off" }];
    if t.bcast {
        flags.push("bcast");
    }
    if t.optin {
        flags.push("optin");
        if t.caching {
            flags.push("caching-yes");
        }
    }
    if t.optout {
        flags.push("optout");
        if t.caching {
            flags.push("caching-no");
        }
    }
    if t.noloop {
        flags.push("noloop");
    }
    if t.broken_redir {
        flags.push("broken_redirect");
    }
    let r = &mut c.reply;
    r.map_len(3);
    r.bulk_str("flags");
    r.set_len(flags.len());
    for f in flags {
        r.bulk_str(f);
    }
    r.bulk_str("redirect");
    r.int(if t.on { t.redirect as i64 } else { -1 });
    r.bulk_str("prefixes");
    r.array_len(t.prefixes.len());
    for p in &t.prefixes {
        r.bulk(p);
    }
}

fn client_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<Bytes> {
        v.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn names() {
        assert!(valid_name(b""));
        assert!(valid_name(b"my-name_1!~"));
        assert!(!valid_name(b"a b"));
        assert!(!valid_name(b"a\nb"));
        assert!(!valid_name(b"\x7f"));
        assert!(!valid_name("é".as_bytes()));
    }

    #[test]
    fn secrets() {
        assert!(same_secret(b"abc\0def", b"abc\0def"));
        assert!(!same_secret(b"abc", b"abc\0def"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(same_secret(b"", b""));
    }

    #[test]
    fn client_types() {
        assert_eq!(client_type_by_name(b"NORMAL"), Some(ClientType::Normal));
        assert_eq!(client_type_by_name(b"slave"), Some(ClientType::Replica));
        assert_eq!(client_type_by_name(b"replica"), Some(ClientType::Replica));
        assert_eq!(client_type_by_name(b"PubSub"), Some(ClientType::PubSub));
        assert_eq!(client_type_by_name(b"master"), Some(ClientType::Master));
        assert_eq!(client_type_by_name(b"other"), None);
    }

    #[test]
    fn kill_filters() {
        let f =
            KillFilter::parse(&args(&["ID", "7", "skipme", "NO", "addr", "1.2.3.4:5"])).unwrap();
        assert_eq!(f.id, Some(7));
        assert!(!f.skipme);
        assert_eq!(f.addr.as_deref(), Some(&b"1.2.3.4:5"[..]));
        assert!(
            KillFilter::parse(&args(&["type", "pubsub"]))
                .unwrap()
                .skipme
        );
        let err = |v: &[&str]| KillFilter::parse(&args(v)).unwrap_err();
        assert_eq!(err(&["id", "0"]), "client-id should be greater than 0");
        assert_eq!(err(&["id", "x"]), "client-id should be greater than 0");
        assert_eq!(err(&["id", "1", "x"]), SYNTAX_ERR);
        assert_eq!(err(&["type", "x"]), "Unknown client type 'x'");
        assert_eq!(err(&["user", "bob"]), "No such user 'bob'");
        assert_eq!(err(&["skipme", "maybe"]), SYNTAX_ERR);
        assert_eq!(err(&["bogus", "1"]), SYNTAX_ERR);
    }
}
