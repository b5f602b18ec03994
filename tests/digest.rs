//! DEBUG DIGEST / DIGEST-VALUE give redis-server's digests for the same
//! data, for every type and encoding, with and without TTLs.

mod common;

use common::scenario;

fn many(prefix: &str, n: usize, f: impl Fn(usize) -> String) -> String {
    let mut s = prefix.to_string();
    for i in 0..n {
        s.push(' ');
        s.push_str(&f(i));
    }
    s
}

#[test]
fn digests_match_redis_for_every_encoding() {
    let long = "x".repeat(100);
    let cmds: Vec<String> = vec![
        "CONFIG SET hash-max-listpack-entries 128".into(),
        "CONFIG SET zset-max-listpack-entries 128".into(),
        "CONFIG SET set-max-intset-entries 512".into(),
        "DEBUG DIGEST".into(),
        "DEBUG DIGEST-VALUE nosuch".into(),
        "SET s hello".into(),
        "SET i 12345".into(),
        "SET neg -7".into(),
        format!("SET raw {long}"),
        "APPEND app abc".into(),
        "SETRANGE app 5 z".into(),
        "RPUSH l a b 1 2 c".into(),
        many("RPUSH bigl", 300, |i| format!("e{i}")),
        "HSET h f1 v1 f2 2 3 v3".into(),
        many("HSET bigh", 200, |i| format!("f{i} v{i}")),
        format!("HSET longh f {long}"),
        "SADD si 1 2 3 -5 100000".into(),
        "SADD ss a b c 7".into(),
        many("SADD bigsi", 600, |i| i.to_string()),
        "ZADD z 1 a 2.5 b -3 c 1e10 d 0.1 e 5 7".into(),
        many("ZADD bigz", 200, |i| format!("{}.25 m{i}", i)),
        "ZADD zinf -inf lo +inf hi".into(),
        "SET ttl v EX 1000".into(),
        "RPUSH lttl a".into(),
        "PEXPIRE lttl 100000".into(),
        "DEBUG DIGEST".into(),
        "DEBUG DIGEST-VALUE s i neg raw app l bigl h bigh longh si ss bigsi z bigz zinf ttl lttl nosuch".into(),
        "SELECT 3".into(),
        "SET s hello".into(),
        "DEBUG DIGEST".into(),
        "DEBUG DIGEST-VALUE s".into(),
        "OBJECT ENCODING s".into(),
        "SELECT 0".into(),
        "OBJECT ENCODING bigl".into(),
        "OBJECT ENCODING bigh".into(),
        "OBJECT ENCODING bigsi".into(),
        "OBJECT ENCODING bigz".into(),
        "OBJECT ENCODING z".into(),
        "OBJECT ENCODING si".into(),
        "OBJECT ENCODING h".into(),
        "FLUSHALL".into(),
        "DEBUG DIGEST".into(),
    ];
    let steps: Vec<(usize, &str, &str)> = cmds.iter().map(|c| (0, c.as_str(), "")).collect();
    scenario(&steps);
}
