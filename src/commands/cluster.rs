//! CLUSTER, READONLY, READWRITE and ASKING on a server that is not part of
//! a cluster.
//!
//! cinnabar runs standalone only (`cluster-enabled` is accepted but has no
//! effect). A standalone redis-server still knows these commands and
//! answers every one of them with the same error, which is what cluster-
//! aware clients probe for to find out they talk to a single node; an
//! unknown subcommand still gets the usual "Try CLUSTER HELP" error (the
//! command table does that before any handler runs).

use bytes::Bytes;

use super::Handler;
use crate::net::Client;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("asking", disabled),
    ("readonly", disabled),
    ("readwrite", disabled),
    ("cluster|addslots", disabled),
    ("cluster|addslotsrange", disabled),
    ("cluster|bumpepoch", disabled),
    ("cluster|count-failure-reports", disabled),
    ("cluster|countkeysinslot", disabled),
    ("cluster|delslots", disabled),
    ("cluster|delslotsrange", disabled),
    ("cluster|failover", disabled),
    ("cluster|flushslots", disabled),
    ("cluster|forget", disabled),
    ("cluster|getkeysinslot", disabled),
    ("cluster|help", disabled),
    ("cluster|info", disabled),
    ("cluster|keyslot", disabled),
    ("cluster|links", disabled),
    ("cluster|meet", disabled),
    ("cluster|myid", disabled),
    ("cluster|nodes", disabled),
    ("cluster|replicas", disabled),
    ("cluster|replicate", disabled),
    ("cluster|reset", disabled),
    ("cluster|saveconfig", disabled),
    ("cluster|set-config-epoch", disabled),
    ("cluster|setslot", disabled),
    ("cluster|shards", disabled),
    ("cluster|slaves", disabled),
    ("cluster|slots", disabled),
];

fn disabled(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.err("This instance has cluster support disabled");
}
