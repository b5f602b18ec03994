//! Consumer groups, black-box: blocking XREADGROUP (served by XADD in FIFO
//! order, NOACK, RESP3, unblocked with NOGROUP when its group is destroyed
//! and with UNBLOCKED when its key is deleted, replaced, flushed, swapped
//! away or expired, timeouts and MULTI), the keyspace events and dirty
//! counts of the group commands, and what the AOF records for group reads
//! and claims (the XCLAIM / XGROUP SETID / XGROUP CREATECONSUMER effective
//! forms). Compared byte for byte with redis-server when it is installed.

mod common;

use common::{aof_of_writes, assert_dirty_like_redis, scenario};

/// Let a command sent with `SEND` reach the server and block.
const PAUSE: (usize, &str, &str) = (0, "SLEEP 50", "");

#[test]
fn blocking_xreadgroup_served_by_xadd() {
    scenario(&[
        (0, "XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (
            2,
            "SEND XREADGROUP GROUP g bob BLOCK 0 COUNT 1 STREAMS s >",
            "",
        ),
        PAUSE,
        // The first waiter takes both entries; the second keeps waiting.
        (0, "MULTI", "+OK\r\n"),
        (0, "XADD s 1-0 a 1", "+QUEUED\r\n"),
        (0, "XADD s 2-0 b 2", "+QUEUED\r\n"),
        (0, "EXEC", ""),
        (1, "READ", ""),
        (0, "XADD s 3-0 c 3", ""),
        (2, "READ", ""),
        (0, "XPENDING s g", ""),
        // Writes that bring nothing new leave a waiter blocked.
        (
            1,
            "SEND XREADGROUP GROUP g carol NOACK BLOCK 0 STREAMS s >",
            "",
        ),
        PAUSE,
        (0, "SET other x", "+OK\r\n"),
        (0, "XGROUP CREATECONSUMER s g dave", ":1\r\n"),
        (0, "XADD s 4-0 d 4", ""),
        (1, "READ", ""),
        (0, "XINFO GROUPS s", ""),
        (0, "XPENDING s g - + 10 carol", "*0\r\n"),
        // Setting the group back serves nobody until an entry is added;
        // then the waiter gets everything after the group's ID.
        (
            1,
            "SEND XREADGROUP GROUP g carol COUNT 2 BLOCK 0 STREAMS s >",
            "",
        ),
        PAUSE,
        (0, "XGROUP SETID s g 1-0", "+OK\r\n"),
        (
            0,
            "XREADGROUP GROUP g alice COUNT 1 BLOCK 20 STREAMS s 9",
            "",
        ),
        (0, "XADD s 4-5 x 1", ""),
        (1, "READ", ""),
        (0, "XREADGROUP GROUP g alice STREAMS s >", ""),
        // Timeout and MULTI answer a null array.
        (
            0,
            "XREADGROUP GROUP g alice BLOCK 20 STREAMS s >",
            "*-1\r\n",
        ),
        (0, "MULTI", ""),
        (0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        (0, "EXEC", "*1\r\n*-1\r\n"),
        // RESP3: a map keyed by stream name.
        (1, "HELLO 3", "!"),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "XADD s 5-0 e 5", ""),
        (1, "READ", ""),
    ]);
}

#[test]
fn blocking_xreadgroup_unblocked_with_errors() {
    scenario(&[
        (0, "XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
        // Group destroyed.
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "XGROUP DESTROY s g", ":1\r\n"),
        (
            1,
            "READ",
            "-NOGROUP the consumer group this client was blocked on no longer exists\r\n",
        ),
        // Key deleted.
        (0, "XGROUP CREATE s g $", "+OK\r\n"),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "DEL s", ":1\r\n"),
        (1, "READ", "-UNBLOCKED the stream key no longer exists\r\n"),
        // Key replaced by another type.
        (0, "XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "SET s x", "+OK\r\n"),
        (1, "READ", "-UNBLOCKED the stream key no longer exists\r\n"),
        // Flushed.
        (0, "DEL s", ""),
        (0, "XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "FLUSHALL", "+OK\r\n"),
        (1, "READ", "-UNBLOCKED the stream key no longer exists\r\n"),
        // Swapped away.
        (0, "XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "SWAPDB 0 5", "+OK\r\n"),
        (1, "READ", "-UNBLOCKED the stream key no longer exists\r\n"),
        // Expired (active expiry).
        (0, "XGROUP CREATE e g $ MKSTREAM", "+OK\r\n"),
        (0, "PEXPIRE e 100", ":1\r\n"),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS e >", ""),
        (1, "READ", "-UNBLOCKED the stream key no longer exists\r\n"),
        // RENAME over it: served from the new stream's group, or NOGROUP.
        (0, "XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "XGROUP CREATE t g $ MKSTREAM", "+OK\r\n"),
        (0, "XADD t 7-0 f v", ""),
        (0, "RENAME t s", "+OK\r\n"),
        (1, "READ", ""),
        (1, "SEND XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "XADD t 8-0 f v", ""),
        (0, "RENAME t s", "+OK\r\n"),
        (1, "READ", ""),
        (0, "INFO errorstats", "!"),
    ]);
}

#[test]
fn group_commands_events_and_dirty() {
    scenario(&[
        (0, "CONFIG SET notify-keyspace-events KEAn", "+OK\r\n"),
        (
            1,
            "SUBSCRIBE __keyevent@0__:new __keyevent@0__:xgroup-create",
            "",
        ),
        (1, "PSUBSCRIBE __keyevent@0__:xgroup-*", ""),
        (0, "XGROUP CREATE s g $ MKSTREAM", "+OK\r\n"),
        (0, "XADD s 1-0 a 1", ""),
        (0, "XGROUP SETID s g 0", "+OK\r\n"),
        (0, "XGROUP CREATECONSUMER s g c1", ":1\r\n"),
        (0, "XREADGROUP GROUP g c2 STREAMS s >", ""),
        (0, "XCLAIM s g c3 0 1-0 JUSTID", ""),
        (0, "XAUTOCLAIM s g c4 0 0 JUSTID", ""),
        (0, "XGROUP DELCONSUMER s g c1", ":0\r\n"),
        (0, "XGROUP DESTROY s g", ":1\r\n"),
        (0, "PING", "+PONG\r\n"),
        // The second SUBSCRIBE confirmation, then new, xgroup-create (twice:
        // channel and pattern), setid, four createconsumer (CREATECONSUMER,
        // XREADGROUP, XCLAIM, XAUTOCLAIM), delconsumer, destroy.
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
        (1, "READ", ""),
    ]);
    let steps: &[&[&str]] = &[
        &["XADD", "s", "1-0", "a", "1"],
        &["XADD", "s", "2-0", "a", "2"],
        &["XGROUP", "CREATE", "s", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        &["XACK", "s", "g", "1-0", "2-0", "3-0"],
        &["XGROUP", "SETID", "s", "g", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "NOACK",
            "STREAMS",
            "s",
            ">",
        ],
        &[
            "XCLAIM", "s", "g", "d", "0", "1-0", "FORCE", "LASTID", "5-0",
        ],
        &["XCLAIM", "s", "g", "d", "0", "9-0", "LASTID", "6-0"],
        &["XAUTOCLAIM", "s", "g", "e", "0", "0"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "f"],
        &["XGROUP", "DELCONSUMER", "s", "g", "e"],
        &["XGROUP", "DESTROY", "s", "g"],
    ];
    assert_dirty_like_redis(steps);
}

/// The AOF text with the delivery times (`TIME <ms>`) blanked out.
fn without_times(aof: &str) -> String {
    let mut out = Vec::new();
    let mut after_time = false;
    for line in aof.split("\r\n") {
        if after_time && !line.starts_with('$') {
            out.push("<ms>");
            after_time = false;
            continue;
        }
        if line == "TIME" {
            after_time = true;
        }
        if !(after_time && line.starts_with('$')) {
            out.push(line);
        }
    }
    out.join("\r\n")
}

#[test]
fn group_reads_and_claims_propagate_in_effective_form() {
    const WRITES: &[&[&str]] = &[
        &["XADD", "s", "1-0", "a", "1"],
        &["XADD", "s", "2-0", "b", "2"],
        &["XADD", "s", "3-0", "c", "3"],
        &["XADD", "s", "4-0", "d", "4"],
        &["XGROUP", "CREATE", "s", "g", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "NOACK",
            "COUNT",
            "1",
            "STREAMS",
            "s",
            ">",
        ],
        &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "zed",
            "NOACK",
            "STREAMS",
            "s",
            "0",
        ],
        &["XREADGROUP", "GROUP", "g", "yan", "STREAMS", "s", "0"],
        &["XDEL", "s", "1-0"],
        &[
            "XCLAIM", "s", "g", "carol", "0", "1-0", "2-0", "LASTID", "3-5",
        ],
        &[
            "XCLAIM", "s", "g", "carol", "0", "2-0", "LASTID", "9-0", "JUSTID",
        ],
        &["XCLAIM", "s", "g", "carol", "0", "7-0", "LASTID", "10-0"],
        &["XAUTOCLAIM", "s", "g", "dave", "0", "0"],
        &["XACK", "s", "g", "2-0"],
        &["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"],
        &["XGROUP", "CREATECONSUMER", "s", "g", "erin"],
        &["XGROUP", "DELCONSUMER", "s", "g", "erin"],
        &["XGROUP", "DESTROY", "s", "g"],
        &[
            "XGROUP",
            "CREATE",
            "t",
            "g",
            "$",
            "MKSTREAM",
            "ENTRIESREAD",
            "0",
        ],
    ];
    let Some((a, b)) = aof_of_writes(WRITES) else {
        return;
    };
    assert!(a.contains("LASTID\r\n$3\r\n3-5\r\n"), "{a}");
    assert!(
        a.contains("CREATECONSUMER\r\n$1\r\ns\r\n$1\r\ng\r\n$3\r\nzed"),
        "{a}"
    );
    assert_eq!(without_times(&a), without_times(&b));
}

#[test]
fn blocked_readers_of_a_dry_stream_ignore_other_writes() {
    // The stream's last ID is past what they wait for, but its entries are
    // gone: they block, and only a new entry serves them (Redis signals
    // XADD, not writes elsewhere nor the cron).
    scenario(&[
        (0, "XADD s 666 k v", ""),
        (0, "XDEL s 666", ":1\r\n"),
        (0, "XGROUP CREATE s g 0", "+OK\r\n"),
        (1, "SEND XREAD BLOCK 0 STREAMS s 665", ""),
        (2, "SEND XREADGROUP GROUP g c BLOCK 0 STREAMS s >", ""),
        PAUSE,
        (0, "SET other x", "+OK\r\n"),
        (0, "SLEEP 250", ""),
        (0, "XADD s 667 k v", ""),
        (1, "READ", ""),
        (2, "READ", ""),
    ]);
}
