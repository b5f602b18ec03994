//! Pub/Sub, black-box and multi-connection: (P|S)SUBSCRIBE and their
//! UNSUBSCRIBE, PUBLISH/SPUBLISH delivery to other clients and to oneself
//! (RESP3), RESP2 subscribed-mode rules, PUBSUB introspection, CLIENT LIST
//! fields, INFO counters, RESET and disconnection. Every scenario is also
//! compared byte for byte with redis-server when it is installed.

mod common;

use common::{Server, scenario};

const M: &str = "*3\r\n$7\r\nmessage\r\n";

#[test]
fn subscribe_publish_basics() {
    scenario(&[
        (
            0,
            "SUBSCRIBE chan1 chan2",
            "*3\r\n$9\r\nsubscribe\r\n$5\r\nchan1\r\n:1\r\n",
        ),
        (0, "READ", "*3\r\n$9\r\nsubscribe\r\n$5\r\nchan2\r\n:2\r\n"),
        (1, "PUBLISH chan1 hello", ":1\r\n"),
        (1, "PUBLISH chan2 world", ":1\r\n"),
        (1, "PUBLISH chan3 nobody", ":0\r\n"),
        (0, "READ", &format!("{M}$5\r\nchan1\r\n$5\r\nhello\r\n")),
        (0, "READ", &format!("{M}$5\r\nchan2\r\n$5\r\nworld\r\n")),
        // subscribing twice counts once
        (
            0,
            "SUBSCRIBE chan1",
            "*3\r\n$9\r\nsubscribe\r\n$5\r\nchan1\r\n:2\r\n",
        ),
        (2, "SUBSCRIBE chan1", ""),
        (1, "PUBLISH chan1 two", ":2\r\n"),
        (0, "READ", ""),
        (2, "READ", ""),
        (1, "PUBSUB NUMSUB chan1 chan2 none", ""),
        (1, "PUBSUB NUMPAT", ":0\r\n"),
        (1, "PUBSUB CHANNELS chan2", "*1\r\n$5\r\nchan2\r\n"),
        (1, "PUBSUB CHANNELS nomatch*", "*0\r\n"),
        (0, "UNSUBSCRIBE chan1", ""),
        (0, "UNSUBSCRIBE chan2", ""),
        (
            0,
            "UNSUBSCRIBE",
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n",
        ),
        (0, "UNSUBSCRIBE foo bar", ""),
        (0, "READ", ""),
        (1, "PUBLISH chan2 gone", ":0\r\n"),
        (0, "PING", "+PONG\r\n"),
        (1, "PUBSUB NUMSUB chan1 chan2", ""),
    ]);
}

#[test]
fn patterns() {
    scenario(&[
        (0, "PSUBSCRIBE foo.* bar.*", ""),
        (0, "READ", ""),
        (1, "PUBLISH foo.1 hello", ":1\r\n"),
        (1, "PUBLISH bar.1 hello", ":1\r\n"),
        (1, "PUBLISH foo1 hello", ":0\r\n"),
        (
            0,
            "READ",
            "*4\r\n$8\r\npmessage\r\n$5\r\nfoo.*\r\n$5\r\nfoo.1\r\n$5\r\nhello\r\n",
        ),
        (0, "READ", ""),
        (1, "PUBSUB NUMPAT", ":2\r\n"),
        (2, "PSUBSCRIBE foo.*", ""),
        (1, "PUBSUB NUMPAT", ":2\r\n"),
        // a channel and a pattern both matching: two messages
        (
            0,
            "SUBSCRIBE foo.bar",
            "*3\r\n$9\r\nsubscribe\r\n$7\r\nfoo.bar\r\n:3\r\n",
        ),
        (1, "PUBLISH foo.bar x", ":3\r\n"),
        (0, "READ", ""),
        (0, "READ", ""),
        (2, "READ", ""),
        (0, "PUNSUBSCRIBE foo.*", ""),
        (0, "PUNSUBSCRIBE", ""),
        (
            0,
            "PUNSUBSCRIBE",
            "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:1\r\n",
        ),
        (
            0,
            "UNSUBSCRIBE",
            "*3\r\n$11\r\nunsubscribe\r\n$7\r\nfoo.bar\r\n:0\r\n",
        ),
        (0, "PUNSUBSCRIBE a.* b.*", ""),
        (0, "READ", ""),
        (1, "PUBSUB NUMPAT", ":1\r\n"),
    ]);
}

#[test]
fn resp2_subscribed_mode_rules() {
    scenario(&[
        (0, "SUBSCRIBE ch", ""),
        (0, "PING", "*2\r\n$4\r\npong\r\n$0\r\n\r\n"),
        (0, "PING foo", "*2\r\n$4\r\npong\r\n$3\r\nfoo\r\n"),
        (
            0,
            "GET x",
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
        ),
        (0, "CLIENT LIST", ""),
        (0, "PSUBSCRIBE p*", ""),
        (0, "SSUBSCRIBE s", ""),
        (0, "SUNSUBSCRIBE", ""),
        (0, "PUNSUBSCRIBE", ""),
        (0, "UNSUBSCRIBE", ""),
        (0, "PING", "+PONG\r\n"),
        (0, "GET x", "$-1\r\n"),
        // RESET leaves Pub/Sub mode and drops every subscription
        (0, "SUBSCRIBE a b", ""),
        (0, "READ", ""),
        (0, "RESET", "+RESET\r\n"),
        (1, "PUBLISH a x", ":0\r\n"),
        (0, "GET x", "$-1\r\n"),
        (1, "PUBSUB CHANNELS", "*0\r\n"),
    ]);
}

#[test]
fn resp3_pushes_and_publish_to_self() {
    scenario(&[
        (0, "HELLO 3", "!"),
        (
            0,
            "SUBSCRIBE ch",
            ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
        ),
        (0, "GET x", "_\r\n"),
        (0, "PING", "+PONG\r\n"),
        (
            0,
            "PUBLISH ch hi",
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        ),
        (0, "READ", ":1\r\n"),
        (1, "PUBLISH ch there", ":1\r\n"),
        (
            0,
            "READ",
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nthere\r\n",
        ),
        (
            0,
            "UNSUBSCRIBE",
            ">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n",
        ),
        (0, "UNSUBSCRIBE", ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"),
        (0, "SUBSCRIBE m", ""),
        // messages get through CLIENT REPLY OFF
        (0, "SEND CLIENT REPLY OFF", ""),
        (1, "PUBLISH m off", ":1\r\n"),
        (0, "READ", ">3\r\n$7\r\nmessage\r\n$1\r\nm\r\n$3\r\noff\r\n"),
        (
            0,
            "PSUBSCRIBE x*",
            ">3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:2\r\n",
        ),
        (0, "CLIENT REPLY ON", "+OK\r\n"),
    ]);
}

#[test]
fn inside_multi() {
    scenario(&[
        (0, "MULTI", "+OK\r\n"),
        (0, "SSUBSCRIBE s", "+QUEUED\r\n"),
        (0, "PUBLISH m inside", "+QUEUED\r\n"),
        (
            0,
            "EXEC",
            "*2\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n:0\r\n",
        ),
        (0, "MULTI", "+OK\r\n"),
        (0, "SUBSCRIBE m", "+QUEUED\r\n"),
        (
            0,
            "EXEC",
            "*1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nm\r\n:1\r\n",
        ),
        (1, "PUBLISH m x", ":1\r\n"),
        (0, "READ", ""),
        (0, "MULTI", ""),
    ]);
}

#[test]
fn shard_channels() {
    scenario(&[
        (0, "SSUBSCRIBE s1 s2", ""),
        (0, "READ", ""),
        (
            0,
            "SUBSCRIBE s1",
            "*3\r\n$9\r\nsubscribe\r\n$2\r\ns1\r\n:1\r\n",
        ),
        (1, "SPUBLISH s1 hi", ":1\r\n"),
        (
            0,
            "READ",
            "*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$2\r\nhi\r\n",
        ),
        (1, "PUBLISH s1 plain", ":1\r\n"),
        (0, "READ", &format!("{M}$2\r\ns1\r\n$5\r\nplain\r\n")),
        (1, "PUBSUB SHARDCHANNELS s1", "*1\r\n$2\r\ns1\r\n"),
        (1, "PUBSUB SHARDNUMSUB s1 s2 s3", ""),
        (1, "PUBSUB SHARDNUMSUB", "*0\r\n"),
        (1, "PUBSUB NUMSUB", "*0\r\n"),
        (
            0,
            "SUNSUBSCRIBE s1",
            "*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:1\r\n",
        ),
        (
            0,
            "SUNSUBSCRIBE",
            "*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns2\r\n:0\r\n",
        ),
        (
            0,
            "SUNSUBSCRIBE",
            "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n",
        ),
        (0, "UNSUBSCRIBE", ""),
        (1, "PUBSUB HELP", ""),
        (1, "PUBSUB CHANNELS a b", ""),
        (1, "PUBSUB NUMPAT x", ""),
        (1, "PUBSUB FOO", ""),
    ]);
}

#[test]
fn client_list_info_and_disconnect() {
    let s = Server::start(&[]);
    let mut a = s.conn();
    a.cmd(&["SUBSCRIBE", "c1"]);
    a.cmd(&["PSUBSCRIBE", "p*"]);
    a.cmd(&["SSUBSCRIBE", "s1"]);
    let mut b = s.conn();
    let info = b.cmd(&["INFO", "stats"]);
    assert!(info.contains("pubsub_channels:1\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:1\r\n"), "{info}");
    assert!(info.contains("pubsubshard_channels:1\r\n"), "{info}");
    let list = b.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(list.matches("id=").count(), 1, "{list}");
    assert!(list.contains(" flags=P "), "{list}");
    assert!(list.contains(" sub=1 psub=1 ssub=1 "), "{list}");
    let normal = b.cmd(&["CLIENT", "LIST", "TYPE", "normal"]);
    assert!(!normal.contains("flags=P"), "{normal}");
    drop(a);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(b.cmd(&["PUBLISH", "c1", "x"]), ":0\r\n");
    assert_eq!(b.cmd(&["PUBSUB", "NUMPAT"]), ":0\r\n");
    let info = b.cmd(&["INFO", "stats"]);
    assert!(info.contains("pubsub_channels:0\r\n"), "{info}");
}

#[test]
fn many_subscribers_get_messages() {
    let s = Server::start(&[]);
    let mut subs: Vec<_> = (0..20).map(|_| s.conn()).collect();
    for c in &mut subs {
        c.cmd(&["SUBSCRIBE", "news"]);
    }
    let mut p = s.conn();
    assert_eq!(p.cmd(&["PUBLISH", "news", "flash"]), ":20\r\n");
    for c in &mut subs {
        let m = String::from_utf8(c.read_reply()).unwrap();
        assert_eq!(m, format!("{M}$4\r\nnews\r\n$5\r\nflash\r\n"));
    }
}
