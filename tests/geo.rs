//! GEO commands beyond single replies (those are in tests/diff/geo.txt):
//! what reaches the AOF (GEOADD as ZADD, the STORE forms as sent), the
//! dirty counter, keys expiring under a search, STORE dropping a TTL, and
//! a larger random data set searched every way — all compared with
//! redis-server 7.0.15 when it is installed.

mod common;

use common::{Conn, aof_of_writes, assert_dirty_like_redis, server_pair};
use std::time::Duration;

const WRITES: &[&[&str]] = &[
    &[
        "GEOADD",
        "s",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
    ],
    &["GEOADD", "s", "13.361389", "38.115556", "Palermo"],
    &[
        "GEOADD", "s", "CH", "13.5", "38.1", "Palermo", "14", "37", "Other",
    ],
    &["GEOADD", "s", "NX", "1", "1", "Palermo"],
    &["GEOADD", "s", "XX", "1", "1", "Nope"],
    &["GEOADD", "s", "200", "1", "Bad"],
    &["GEORADIUS", "s", "15", "37", "200", "km"],
    &["GEORADIUS", "s", "15", "37", "200", "km", "STORE", "d1"],
    &[
        "GEORADIUS",
        "s",
        "15",
        "37",
        "200",
        "km",
        "STOREDIST",
        "d1",
        "COUNT",
        "2",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "s",
        "Palermo",
        "100",
        "km",
        "STORE",
        "d2",
    ],
    &[
        "GEOSEARCHSTORE",
        "d3",
        "s",
        "FROMLONLAT",
        "15",
        "37",
        "BYBOX",
        "500",
        "500",
        "km",
    ],
    &[
        "GEOSEARCHSTORE",
        "d3",
        "s",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "1",
        "m",
    ],
    &[
        "GEOSEARCHSTORE",
        "d3",
        "s",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "1",
        "m",
    ],
    &[
        "GEOSEARCHSTORE",
        "d4",
        "missing",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "1",
        "m",
    ],
    &[
        "GEORADIUS",
        "missing",
        "15",
        "37",
        "200",
        "km",
        "STORE",
        "d2",
    ],
    &[
        "GEOSEARCH",
        "s",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "1000",
        "km",
    ],
    &["GEOPOS", "s", "Palermo"],
];

#[test]
fn dirty_counter_moves_as_in_redis() {
    assert_dirty_like_redis(WRITES);
}

#[test]
fn aof_records_what_redis_records() {
    let Some((a, b)) = aof_of_writes(WRITES) else {
        return;
    };
    assert!(a.contains("zadd"));
    assert_eq!(a, b);
}

/// Run `cmds` on both servers, comparing replies.
fn same(a: &mut Conn, b: &mut Conn, cmds: &[Vec<String>]) {
    for cmd in cmds {
        let args: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
        let (ra, rb) = (a.cmd_raw(&args), b.cmd_raw(&args));
        assert_eq!(
            String::from_utf8_lossy(&ra),
            String::from_utf8_lossy(&rb),
            "{cmd:?}"
        );
    }
}

fn line(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

#[test]
fn expired_keys_and_ttls() {
    let Some((ours, theirs)) = server_pair(&[]) else {
        return;
    };
    let (mut a, mut b) = (ours.conn(), theirs.conn());
    let setup: Vec<_> = [
        "GEOADD g 1 1 a 1.001 1.001 b",
        "PEXPIRE g 50",
        "GEOADD dst 2 2 x",
        "EXPIRE dst 1000",
        "GEOADD t 3 3 y",
        "PEXPIRE t 50",
    ]
    .iter()
    .map(|s| line(s))
    .collect();
    same(&mut a, &mut b, &setup);
    std::thread::sleep(Duration::from_millis(120));
    let after: Vec<_> = [
        "GEOPOS g a",
        "GEOHASH g a",
        "GEODIST g a b",
        "GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 10 km",
        "GEORADIUSBYMEMBER g a 10 km",
        "GEORADIUS t 3 3 10 km STORE dst2",
        "EXISTS t dst2",
        "GEOADD g2 1 1 a",
        "GEORADIUS g2 1 1 10 km STORE dst",
        "TTL dst",
        "ZRANGE dst 0 -1 WITHSCORES",
        "DBSIZE",
    ]
    .iter()
    .map(|s| line(s))
    .collect();
    same(&mut a, &mut b, &after);
}

/// A small deterministic generator (xorshift), so both servers get the
/// same points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

#[test]
fn random_searches_match_redis() {
    let Some((ours, theirs)) = server_pair(&[]) else {
        return;
    };
    let (mut a, mut b) = (ours.conn(), theirs.conn());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cmds = Vec::new();
    // Skip-list sized set and a listpack-sized one.
    for (key, n) in [("big", 3000), ("small", 60)] {
        let mut add = vec!["GEOADD".to_string(), key.to_string()];
        for i in 0..n {
            add.push(format!("{:.6}", rng.range(-180.0, 180.0)));
            add.push(format!("{:.6}", rng.range(-85.0, 85.0)));
            add.push(format!("m{i}"));
        }
        cmds.push(add);
    }
    for i in 0..150 {
        let key = if i % 3 == 0 { "small" } else { "big" };
        let lon = rng.range(-180.0, 180.0);
        let lat = rng.range(-85.0, 85.0);
        let r = rng.range(1.0, 3000.0);
        let w = rng.range(1.0, 6000.0);
        let h = rng.range(1.0, 6000.0);
        let unit = ["m", "km", "mi", "ft"][i % 4];
        let scale = [1000.0, 1.0, 0.621, 3280.0][i % 4];
        let member = format!("m{}", i % 50);
        cmds.push(line(&format!(
            "GEORADIUS {key} {lon:.6} {lat:.6} {:.3} {unit} WITHDIST WITHCOORD WITHHASH",
            r * scale
        )));
        cmds.push(line(&format!(
            "GEOSEARCH {key} FROMLONLAT {lon:.6} {lat:.6} BYBOX {:.3} {:.3} {unit} DESC WITHDIST",
            w * scale,
            h * scale
        )));
        cmds.push(line(&format!(
            "GEOSEARCH {key} FROMMEMBER {member} BYRADIUS {:.3} {unit} COUNT 5 WITHDIST",
            r * scale
        )));
        cmds.push(line(&format!(
            "GEOSEARCH {key} FROMMEMBER {member} BYBOX {:.3} {:.3} {unit} COUNT 3 ANY",
            w * scale,
            h * scale
        )));
        cmds.push(line(&format!(
            "GEOSEARCHSTORE dst {key} FROMLONLAT {lon:.6} {lat:.6} BYRADIUS {:.3} {unit} STOREDIST",
            r * scale
        )));
        cmds.push(line("ZRANGE dst 0 -1 WITHSCORES"));
        cmds.push(line(&format!(
            "GEODIST {key} {member} m{} {unit}",
            (i + 7) % 50
        )));
    }
    same(&mut a, &mut b, &cmds);
    a.cmd(&["HELLO", "3"]);
    b.cmd(&["HELLO", "3"]);
    let cmds = vec![
        line("GEORADIUS big 0 0 3000 km WITHDIST WITHCOORD WITHHASH COUNT 20"),
        line("GEOPOS big m1 m2 nope"),
    ];
    same(&mut a, &mut b, &cmds);
}

#[test]
fn equally_distant_points_come_in_redis_order() {
    let Some((ours, theirs)) = server_pair(&[]) else {
        return;
    };
    let (mut a, mut b) = (ours.conn(), theirs.conn());
    // Many members on a few spots: COUNT (a partial sort) and full sorts
    // must order the ties as Redis does.
    let mut add = vec!["GEOADD".to_string(), "t".to_string()];
    for i in 0..90 {
        let spot = [(1.0, 1.0), (1.1, 1.1), (2.0, 2.0), (0.9, 0.9)][i % 4];
        add.push(spot.0.to_string());
        add.push(spot.1.to_string());
        add.push(format!("p{i}"));
    }
    let mut cmds = vec![add];
    for count in [1, 2, 3, 5, 7, 8, 20, 41, 45, 60, 89, 90, 100] {
        for dir in ["ASC", "DESC"] {
            cmds.push(line(&format!("GEORADIUS t 1 1 500 km COUNT {count} {dir}")));
            cmds.push(line(&format!(
                "GEOSEARCH t FROMMEMBER p3 BYBOX 800 800 km COUNT {count} {dir} WITHDIST"
            )));
        }
    }
    cmds.push(line("GEORADIUS t 1 1 500 km ASC"));
    cmds.push(line("GEORADIUS t 1 1 500 km DESC"));
    cmds.push(line("GEORADIUS t 1 1 500 km"));
    same(&mut a, &mut b, &cmds);
}
