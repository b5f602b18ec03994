//! Client-side caching, black-box and multi-connection: CLIENT TRACKING in
//! default, BCAST, OPTIN/OPTOUT and NOLOOP modes, RESP3 pushes and RESP2
//! redirection to `__redis__:invalidate`, broken redirections, flushes,
//! transactions, expiry, the table limit, CLIENT TRACKINGINFO / GETREDIR,
//! CLIENT LIST fields and INFO counters. Every scenario is also compared byte
//! for byte with redis-server when it is installed.
//!
//! `scenario` opens three connections, ids 4, 5 and 6 on both servers (the start-up probe took 3).

mod common;

use common::scenario;

const INV: &str = ">2\r\n$10\r\ninvalidate\r\n";
const MSG: &str = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";

#[test]
fn resp3_default_mode() {
    scenario(&[
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING on", "+OK\r\n"),
        (1, "SET k 1", "+OK\r\n"),
        (0, "GET k", "$1\r\n1\r\n"),
        (0, "MGET k other", ""),
        (1, "SET k 2", "+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\nk\r\n")),
        // The key was forgotten after the first invalidation.
        (1, "SET k 3", "+OK\r\n"),
        (1, "SET other 1", "+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$5\r\nother\r\n")),
        (0, "PING", "+PONG\r\n"),
        // Our own write: the message follows the reply.
        (0, "GET k", ""),
        (0, "SET k 4", "+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\nk\r\n")),
        (0, "CLIENT TRACKING off", "+OK\r\n"),
        (0, "GET k", ""),
        (1, "SET k 5", "+OK\r\n"),
        (0, "PING", "+PONG\r\n"),
    ]);
}

#[test]
fn resp2_redirect_and_broken() {
    scenario(&[
        (2, "SUBSCRIBE __redis__:invalidate", ""),
        (0, "CLIENT TRACKING on REDIRECT 6", "+OK\r\n"),
        (0, "CLIENT GETREDIR", ":6\r\n"),
        (0, "GET a", ""),
        (0, "GET b", ""),
        (1, "INCR b", ":1\r\n"),
        (2, "READ", &format!("{MSG}*1\r\n$1\r\nb\r\n")),
        (1, "DEL a", ":0\r\n"),
        (1, "SET a x", "+OK\r\n"),
        (2, "READ", &format!("{MSG}*1\r\n$1\r\na\r\n")),
        (0, "CLIENT LIST ID 4", "!"),
        (0, "CLIENT TRACKINGINFO", ""),
        (2, "QUIT", "+OK\r\n"),
        (0, "HELLO 3", "!"),
        (0, "GET a", ""),
        (1, "SET a 1", "+OK\r\n"),
        (0, "READ", ">2\r\n$21\r\ntracking-redir-broken\r\n:6\r\n"),
        (0, "CLIENT TRACKINGINFO", ""),
        (0, "CLIENT TRACKING on REDIRECT 99", ""),
    ]);
}

#[test]
fn flush_sends_null() {
    scenario(&[
        (2, "SUBSCRIBE __redis__:invalidate", ""),
        (0, "CLIENT TRACKING on REDIRECT 6", "+OK\r\n"),
        (0, "GET a", ""),
        (1, "FLUSHALL", "+OK\r\n"),
        (2, "READ", &format!("{MSG}$-1\r\n")),
        (1, "INFO stats", "!"),
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING off", "+OK\r\n"),
        (0, "CLIENT TRACKING on", "+OK\r\n"),
        (0, "GET a", ""),
        (0, "MULTI", "+OK\r\n"),
        (0, "FLUSHDB", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+OK\r\n"),
        (0, "READ", ">2\r\n$10\r\ninvalidate\r\n_\r\n"),
    ]);
}

#[test]
fn transaction_invalidations_follow_exec() {
    scenario(&[
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING on", "+OK\r\n"),
        (0, "MSET a 1 b 2", "+OK\r\n"),
        (0, "GET a", "$1\r\n1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "INCR a", "+QUEUED\r\n"),
        (0, "GET b", "+QUEUED\r\n"),
        (0, "EXEC", "*2\r\n:2\r\n$1\r\n2\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\na\r\n")),
        (0, "HSET h f 1", ":1\r\n"),
        (0, "HGET h f", "$1\r\n1\r\n"),
        (0, "HDEL h f", ":1\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\nh\r\n")),
    ]);
}

#[test]
fn noloop_and_optin_optout() {
    scenario(&[
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING on NOLOOP", "+OK\r\n"),
        (0, "MGET x y", ""),
        (0, "SET x 1", "+OK\r\n"),
        (1, "SET y 1", "+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\ny\r\n")),
        (0, "CLIENT TRACKING off", "+OK\r\n"),
        (0, "CLIENT TRACKING on OPTIN", "+OK\r\n"),
        (0, "GET x", ""),
        (0, "CLIENT CACHING yes", "+OK\r\n"),
        (0, "CLIENT TRACKINGINFO", ""),
        (0, "GET y", ""),
        (0, "CLIENT TRACKINGINFO", ""),
        (1, "MSET x 2 y 2", "+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\ny\r\n")),
        (0, "CLIENT CACHING no", ""),
        (0, "CLIENT TRACKING on OPTOUT", ""),
        (0, "CLIENT TRACKING off", "+OK\r\n"),
        (0, "CLIENT TRACKING on OPTOUT", "+OK\r\n"),
        (0, "CLIENT CACHING no", "+OK\r\n"),
        (0, "GET x", ""),
        (0, "GET y", ""),
        (1, "MSET x 3 y 3", "+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\ny\r\n")),
        (0, "CLIENT CACHING yes", ""),
        (0, "CLIENT CACHING maybe", ""),
        (0, "CLIENT TRACKING off", "+OK\r\n"),
        (0, "CLIENT CACHING yes", ""),
    ]);
}

#[test]
fn bcast_prefixes() {
    scenario(&[
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING on BCAST PREFIX a: PREFIX b:", "+OK\r\n"),
        (0, "CLIENT TRACKINGINFO", ""),
        (1, "MSET a:2 1 a:1 1 b:1 1 c:1 1", "+OK\r\n"),
        (0, "READ", &format!("{INV}*2\r\n$3\r\na:1\r\n$3\r\na:2\r\n")),
        (0, "READ", &format!("{INV}*1\r\n$3\r\nb:1\r\n")),
        (0, "CLIENT TRACKING on BCAST PREFIX c:", "+OK\r\n"),
        (0, "CLIENT TRACKING on BCAST PREFIX a", ""),
        (0, "CLIENT TRACKING on BCAST PREFIX x PREFIX xy", ""),
        (0, "CLIENT TRACKING on", ""),
        (0, "CLIENT TRACKING on BCAST OPTIN", ""),
        (0, "CLIENT TRACKING on PREFIX z", ""),
        (0, "CLIENT TRACKINGINFO", ""),
        (0, "INFO clients", "!"),
        (0, "CLIENT TRACKING off", "+OK\r\n"),
        (0, "CLIENT TRACKING on BCAST NOLOOP", "+OK\r\n"),
        (0, "SET mine 1", "+OK\r\n"),
        (1, "SET theirs 1", "+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$6\r\ntheirs\r\n")),
        (0, "CLIENT TRACKINGINFO", ""),
    ]);
}

#[test]
fn expiry_invalidates() {
    scenario(&[
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING on", "+OK\r\n"),
        (1, "SET k v PX 50", "+OK\r\n"),
        (0, "GET k", "$1\r\nv\r\n"),
        (0, "SLEEP 300", ""),
        (0, "READ", &format!("{INV}*1\r\n$1\r\nk\r\n")),
        (0, "DEBUG SET-ACTIVE-EXPIRE 0", "+OK\r\n"),
        (1, "SET j v PX 20", "+OK\r\n"),
        (0, "GET j", ""),
        (0, "SLEEP 50", ""),
        (0, "GET j", "_\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\nj\r\n")),
    ]);
}

#[test]
fn table_limit_evicts() {
    scenario(&[
        (2, "SUBSCRIBE __redis__:invalidate", ""),
        (0, "CLIENT TRACKING on REDIRECT 6", "+OK\r\n"),
        (0, "MGET k1", ""),
        (0, "MGET k2", ""),
        (1, "CONFIG SET tracking-table-max-keys 1", "+OK\r\n"),
        (1, "PING", "+PONG\r\n"),
        (2, "READ", "!"),
        (1, "CONFIG SET tracking-table-max-keys 0", "+OK\r\n"),
    ]);
}

#[test]
fn argument_errors() {
    scenario(&[
        (0, "CLIENT TRACKING", ""),
        (0, "CLIENT TRACKING maybe", ""),
        (0, "CLIENT TRACKING on REDIRECT", ""),
        (0, "CLIENT TRACKING on REDIRECT x", ""),
        (0, "CLIENT TRACKING on REDIRECT 4 REDIRECT 4", ""),
        (0, "CLIENT TRACKING on OPTIN OPTOUT", ""),
        (0, "CLIENT TRACKING on FOO", ""),
        (0, "CLIENT TRACKING off FOO", ""),
        (0, "CLIENT TRACKING off BCAST", ""),
        (0, "CLIENT GETREDIR", ":-1\r\n"),
        (0, "CLIENT GETREDIR x", ""),
        (0, "CLIENT TRACKINGINFO", ""),
        (0, "CLIENT TRACKINGINFO x", ""),
        (0, "CLIENT CACHING", ""),
        (0, "CLIENT TRACKING on REDIRECT 4", "+OK\r\n"),
        (0, "CLIENT GETREDIR", ":4\r\n"),
        (0, "RESET", "+RESET\r\n"),
        (0, "CLIENT GETREDIR", ":-1\r\n"),
    ]);
}

#[test]
fn table_limit_applies_before_queueing() {
    // Redis issue #11715: the limit is enforced before a command is
    // queued, and the invalidation comes before +QUEUED.
    scenario(&[
        (1, "DEBUG PAUSE-CRON 1", "+OK\r\n"),
        (1, "CONFIG SET tracking-table-max-keys 2", "+OK\r\n"),
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING on", "+OK\r\n"),
        (0, "MGET a b", "*2\r\n_\r\n_\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (1, "CONFIG SET tracking-table-max-keys 1", "+OK\r\n"),
        (0, "PING", "!"),
        (0, "READ", "+QUEUED\r\n"),
        (0, "EXEC", "*1\r\n+PONG\r\n"),
        (1, "DEBUG PAUSE-CRON 0", "+OK\r\n"),
    ]);
}

#[test]
fn tracking_switched_off_inside_a_transaction() {
    scenario(&[
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING on", "+OK\r\n"),
        (0, "GET a", "_\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "CLIENT TRACKING off", "+QUEUED\r\n"),
        (0, "SET a 1", "+QUEUED\r\n"),
        (0, "EXEC", "*2\r\n+OK\r\n+OK\r\n"),
        (0, "PING", "+PONG\r\n"),
        (0, "CLIENT TRACKING on", "+OK\r\n"),
        (0, "GET a", "$1\r\n1\r\n"),
        (0, "MULTI", "+OK\r\n"),
        (0, "SET a 2", "+QUEUED\r\n"),
        (0, "CLIENT TRACKING off", "+QUEUED\r\n"),
        (0, "EXEC", "*2\r\n+OK\r\n+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\na\r\n")),
    ]);
}

/// CLIENT LIST flags (t, B, R) and redir, and the INFO counters, which
/// carry addresses and ids and so are checked here rather than compared.
#[test]
fn client_list_and_info() {
    let s = common::Server::start(&[]);
    let mut a = s.conn();
    let mut b = s.conn();
    let bid = b.cmd(&["CLIENT", "ID"]);
    let bid = bid.trim_start_matches(':').trim_end();
    a.cmd(&["HELLO", "3"]);
    assert_eq!(
        a.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", bid]),
        "+OK\r\n"
    );
    a.cmd(&["GET", "k1"]);
    a.cmd(&["MGET", "k1", "k2"]);
    let info = a.cmd(&["CLIENT", "INFO"]);
    assert!(info.contains(" flags=t "), "{info}");
    assert!(info.contains(&format!(" redir={bid} ")), "{info}");
    let mut c = s.conn();
    c.cmd(&[
        "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:", "PREFIX", "q:",
    ]);
    assert!(c.cmd(&["CLIENT", "INFO"]).contains(" flags=tB "));
    let stats = c.cmd(&["INFO", "everything"]);
    for want in [
        "tracking_clients:2\r\n",
        "tracking_total_keys:2\r\n",
        "tracking_total_items:2\r\n",
        "tracking_total_prefixes:2\r\n",
    ] {
        assert!(stats.contains(want), "{want} missing");
    }
    // The redirection target goes away: the tracker is told and flagged.
    b.cmd(&["QUIT"]);
    std::thread::sleep(std::time::Duration::from_millis(50));
    c.cmd(&["SET", "k1", "x"]);
    assert_eq!(
        a.read_reply(),
        format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{bid}\r\n").into_bytes()
    );
    assert!(a.cmd(&["CLIENT", "INFO"]).contains(" flags=tR "));
    a.cmd(&["CLIENT", "TRACKING", "off"]);
    assert!(a.cmd(&["CLIENT", "INFO"]).contains(" redir=-1 "));
}

#[test]
fn caching_lasts_one_command_even_refused() {
    scenario(&[
        (0, "HELLO 3", "!"),
        (0, "CLIENT TRACKING on OPTIN", "+OK\r\n"),
        (0, "CLIENT CACHING yes", "+OK\r\n"),
        (0, "NOSUCHCOMMAND", ""),
        (0, "GET a", "_\r\n"),
        (0, "CLIENT CACHING yes", "+OK\r\n"),
        (0, "CLIENT TRACKINGINFO", ""),
        (0, "MULTI", "+OK\r\n"),
        (0, "GET b", "+QUEUED\r\n"),
        (0, "GET c", "+QUEUED\r\n"),
        (0, "EXEC", "*2\r\n_\r\n_\r\n"),
        (0, "CLIENT TRACKINGINFO", ""),
        (1, "MSET a 1 b 1 c 1", "+OK\r\n"),
        (0, "READ", &format!("{INV}*1\r\n$1\r\nb\r\n")),
        (0, "READ", &format!("{INV}*1\r\n$1\r\nc\r\n")),
        (0, "PING", "+PONG\r\n"),
    ]);
}
