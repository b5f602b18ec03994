//! SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
//! SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB introspection.
//!
//! The subscription tables and delivery live in `crate::pubsub`. A client
//! with subscriptions is in Pub/Sub mode: in RESP2 the dispatcher then only
//! lets the (un)subscribe commands, PING, QUIT and RESET through.

use bytes::Bytes;

use super::Handler;
use crate::net::Client;
use crate::pubsub::Kind;
use crate::server::Server;
use crate::util::glob::glob_match;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("subscribe", subscribe),
    ("unsubscribe", unsubscribe),
    ("psubscribe", psubscribe),
    ("punsubscribe", punsubscribe),
    ("ssubscribe", ssubscribe),
    ("sunsubscribe", sunsubscribe),
    ("publish", publish),
    ("spublish", spublish),
    ("pubsub|channels", pubsub_channels),
    ("pubsub|numsub", pubsub_numsub),
    ("pubsub|numpat", pubsub_numpat),
    ("pubsub|shardchannels", pubsub_shardchannels),
    ("pubsub|shardnumsub", pubsub_shardnumsub),
    ("pubsub|help", pubsub_help),
];

fn subscribe_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], kind: Kind) {
    for name in &argv[1..] {
        srv.subscribe(c, kind, name);
    }
}

fn unsubscribe_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], kind: Kind) {
    if argv.len() == 1 {
        srv.unsubscribe_all(c, kind, true);
    } else {
        for name in &argv[1..] {
            srv.unsubscribe(c, kind, name, true);
        }
    }
    srv.update_pubsub_mode(c);
}

fn subscribe(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    subscribe_generic(srv, c, argv, Kind::Channel);
}

fn psubscribe(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    subscribe_generic(srv, c, argv, Kind::Pattern);
}

fn ssubscribe(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    // Inside EXEC the client may not block, and Redis counts a shard
    // subscription as blocking.
    if srv.in_exec {
        c.reply
            .err("SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    subscribe_generic(srv, c, argv, Kind::Shard);
}

fn unsubscribe(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    unsubscribe_generic(srv, c, argv, Kind::Channel);
}

fn punsubscribe(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    unsubscribe_generic(srv, c, argv, Kind::Pattern);
}

fn sunsubscribe(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    unsubscribe_generic(srv, c, argv, Kind::Shard);
}

fn publish(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    // Replicas' subscribers hear it too; the AOF does not keep messages.
    srv.prop.force_replicas_only();
    let n = srv.publish(Some(c), &argv[1], &argv[2], false);
    c.reply.int(n as i64);
}

fn spublish(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    srv.prop.force_replicas_only();
    let n = srv.publish(Some(c), &argv[1], &argv[2], true);
    c.reply.int(n as i64);
}

/// Names of a table matching an optional pattern.
fn channel_list(c: &mut Client, names: Vec<&Bytes>, pat: Option<&Bytes>) {
    let matching: Vec<&Bytes> = names
        .into_iter()
        .filter(|n| pat.is_none_or(|p| glob_match(p, n, false)))
        .collect();
    c.reply.array_len(matching.len());
    for n in matching {
        c.reply.bulk(n);
    }
}

/// PUBSUB CHANNELS and SHARDCHANNELS take at most one pattern.
fn too_many_args(c: &mut Client, argv: &[Bytes]) -> bool {
    if argv.len() <= 3 {
        return false;
    }
    c.reply.err(&format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
        String::from_utf8_lossy(&argv[1][..argv[1].len().min(128)])
    ));
    true
}

fn pubsub_channels(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if too_many_args(c, argv) {
        return;
    }
    channel_list(c, srv.pubsub.channels.keys().collect(), argv.get(2));
}

fn pubsub_shardchannels(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if too_many_args(c, argv) {
        return;
    }
    channel_list(c, srv.pubsub.shard.keys().collect(), argv.get(2));
}

fn pubsub_numsub(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    c.reply.array_len((argv.len() - 2) * 2);
    for ch in &argv[2..] {
        c.reply.bulk(ch);
        let n = srv.pubsub.channels.get(ch).map_or(0, |l| l.len());
        c.reply.int(n as i64);
    }
}

fn pubsub_shardnumsub(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    c.reply.array_len((argv.len() - 2) * 2);
    for ch in &argv[2..] {
        c.reply.bulk(ch);
        let n = srv.pubsub.shard.get(ch).map_or(0, |l| l.len());
        c.reply.int(n as i64);
    }
}

fn pubsub_numpat(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.int(srv.pubsub.patterns.len() as i64);
}

fn pubsub_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
}
