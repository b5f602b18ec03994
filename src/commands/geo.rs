//! GEO commands (Redis 7.0's `geo.c`): GEOADD, GEOPOS, GEOHASH, GEODIST,
//! GEOSEARCH[STORE] and GEORADIUS[BYMEMBER][_RO].
//!
//! A geo set is a plain sorted set whose scores are 52-bit geohashes
//! (`util/geohash.rs` holds the arithmetic). GEOADD turns each point into
//! its score and runs ZADD with those arguments, so the flags, the listpack
//! conversions, the `zadd` event and the dirty counter are ZADD's; it is
//! propagated as that ZADD, as Redis does. A search scans the score ranges
//! of up to nine geohash cells around the shape (centre first, then N, S,
//! E, W, NE, NW, SE, SW: the order of an unsorted reply), keeps the points
//! inside the shape, sorts them by distance when asked (or for COUNT
//! without ANY), and either replies or stores them (STORE/STOREDIST,
//! GEOSEARCHSTORE) as a new sorted set. Argument errors come in Redis's
//! order: the source key's type first, then the arguments left to right.
//!
//! Distances are bulk strings with four decimals in both protocols;
//! coordinates use Redis's human long double form (RESP3: doubles).

use bytes::Bytes;

use super::zsets::{self, Found};
use super::{Handler, SYNTAX_ERR, WRONGTYPE, is, text};
use crate::blocking;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use crate::types::zset::{ScoreRange, ZSet};
use crate::util::geohash::{self, Extent, Shape};
use crate::util::{num, pqsort};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("geoadd", geoadd),
    ("geopos", geopos),
    ("geohash", geohash_cmd),
    ("geodist", geodist),
    ("georadius", georadius),
    ("georadius_ro", georadius_ro),
    ("georadiusbymember", georadiusbymember),
    ("georadiusbymember_ro", georadiusbymember_ro),
    ("geosearch", geosearch),
    ("geosearchstore", geosearchstore),
];

const UNIT_ERR: &str = "unsupported unit provided. please use M, KM, FT, MI";
const MEMBER_ERR: &str = "could not decode requested zset member";
/// Elements copied out of the sorted set at a time while scanning a cell.
const CHUNK: usize = 256;

// ---------------------------------------------------------------------------
// Argument helpers

/// A longitude, latitude pair within the geohash limits.
fn arg_lonlat(c: &mut Client, lon: &[u8], lat: &[u8]) -> Option<(f64, f64)> {
    let lon = super::arg_f64(c, lon)?;
    let lat = super::arg_f64(c, lat)?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat)
    {
        c.reply.err(&format!(
            "invalid longitude,latitude pair {},{}",
            num::fmt_f6(lon),
            num::fmt_f6(lat)
        ));
        return None;
    }
    Some((lon, lat))
}

/// Meters per unit.
fn arg_unit(c: &mut Client, u: &[u8]) -> Option<f64> {
    let f = if is(u, "m") {
        1.0
    } else if is(u, "km") {
        1000.0
    } else if is(u, "ft") {
        0.3048
    } else if is(u, "mi") {
        1609.34
    } else {
        c.reply.err(UNIT_ERR);
        return None;
    };
    Some(f)
}

/// A double with a custom error text.
fn arg_number(c: &mut Client, b: &[u8], msg: &str) -> Option<f64> {
    let v = num::parse_f64(b);
    if v.is_none() {
        c.reply.err(msg);
    }
    v
}

/// `radius unit`.
fn arg_radius(c: &mut Client, argv: &[Bytes]) -> Option<(Extent, f64)> {
    let r = arg_number(c, &argv[0], "need numeric radius")?;
    if r < 0.0 {
        c.reply.err("radius cannot be negative");
        return None;
    }
    Some((Extent::Radius(r), arg_unit(c, &argv[1])?))
}

/// `width height unit`.
fn arg_box(c: &mut Client, argv: &[Bytes]) -> Option<(Extent, f64)> {
    let width = arg_number(c, &argv[0], "need numeric width")?;
    let height = arg_number(c, &argv[1], "need numeric height")?;
    if height < 0.0 || width < 0.0 {
        c.reply.err("height or width cannot be negative");
        return None;
    }
    Some((Extent::Box { width, height }, arg_unit(c, &argv[2])?))
}

/// The position of a member, replying Redis's error when it is absent.
fn member_pos(c: &mut Client, z: &ZSet, member: &[u8]) -> Option<(f64, f64)> {
    match z.score(member) {
        Some(s) => Some(geohash::decode_score(s)),
        None => {
            c.reply.err(MEMBER_ERR);
            None
        }
    }
}

/// A coordinate as Redis's addReplyHumanLongDouble.
fn reply_coord(c: &mut Client, v: f64) {
    c.reply.human_double(num::fmt_human(v).as_bytes());
}

/// A distance as Redis's addReplyDoubleDistance: always a bulk string.
fn reply_distance(c: &mut Client, d: f64) {
    c.reply.bulk(num::fmt_fixed(d, 4).as_bytes());
}

// ---------------------------------------------------------------------------
// GEOADD

/// GEOADD key [NX|XX] [CH] lon lat member [...]: ZADD with the scores.
fn geoadd(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let (mut nx, mut xx) = (false, false);
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if is(a, "nx") {
            nx = true;
        } else if is(a, "xx") {
            xx = true;
        } else if !is(a, "ch") {
            break;
        }
        i += 1;
    }
    if !(argv.len() - i).is_multiple_of(3) || (nx && xx) {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    let mut zargv: Vec<Bytes> = Vec::with_capacity(i + (argv.len() - i) / 3 * 2);
    zargv.push(Bytes::from_static(b"zadd"));
    zargv.extend_from_slice(&argv[1..i]);
    for p in argv[i..].chunks_exact(3) {
        let Some((lon, lat)) = arg_lonlat(c, &p[0], &p[1]) else {
            return;
        };
        let score = geohash::score_of(lon, lat).expect("checked coordinates");
        zargv.push(Bytes::from(num::i64_to_bytes(score as i64)));
        zargv.push(p[2].clone());
    }
    zsets::zadd(srv, c, &zargv);
    srv.prop.rewrite(zargv);
}

// ---------------------------------------------------------------------------
// GEOPOS / GEOHASH / GEODIST

/// The sorted set at `key` for reading: `Ok(None)` when missing; WRONGTYPE
/// answered and `Err` for another type.
fn read_zset<'a>(srv: &'a mut Server, c: &mut Client, key: &[u8]) -> Result<Option<&'a ZSet>, ()> {
    let now = srv.now_ms;
    match zsets::lookup_read(&mut srv.dbs[c.db], key, now) {
        Found::Missing => Ok(None),
        Found::Z(z) => Ok(Some(z)),
        Found::WrongType => {
            c.reply.err_code(WRONGTYPE);
            Err(())
        }
    }
}

fn geopos(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Ok(z) = read_zset(srv, c, &argv[1]) else {
        return;
    };
    c.reply.array_len(argv.len() - 2);
    for m in &argv[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => {
                let (lon, lat) = geohash::decode_score(s);
                c.reply.array_len(2);
                reply_coord(c, lon);
                reply_coord(c, lat);
            }
            None => c.reply.null_array(),
        }
    }
}

fn geohash_cmd(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Ok(z) = read_zset(srv, c, &argv[1]) else {
        return;
    };
    c.reply.array_len(argv.len() - 2);
    for m in &argv[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => c.reply.bulk(&geohash::geohash_string(s)),
            None => c.reply.null(),
        }
    }
}

fn geodist(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut to_meters = 1.0;
    if argv.len() == 5 {
        let Some(u) = arg_unit(c, &argv[4]) else {
            return;
        };
        to_meters = u;
    } else if argv.len() > 5 {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    let Ok(z) = read_zset(srv, c, &argv[1]) else {
        return;
    };
    let Some(z) = z else {
        c.reply.null();
        return;
    };
    match (z.score(&argv[2]), z.score(&argv[3])) {
        (Some(a), Some(b)) => {
            let (lon1, lat1) = geohash::decode_score(a);
            let (lon2, lat2) = geohash::decode_score(b);
            reply_distance(c, geohash::distance(lon1, lat1, lon2, lat2) / to_meters);
        }
        _ => c.reply.null(),
    }
}

// ---------------------------------------------------------------------------
// Searches

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// GEORADIUS[_RO] key lon lat radius unit ...
    Radius,
    /// GEORADIUSBYMEMBER[_RO] key member radius unit ...
    RadiusByMember,
    /// GEOSEARCH key FROM... BY... ...
    Search,
    /// GEOSEARCHSTORE dst key FROM... BY... ...
    SearchStore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// The parsed options of a search.
struct Query {
    shape: Shape,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    sort: Sort,
    any: bool,
    /// 0: no limit.
    count: usize,
    store: Option<Bytes>,
    store_dist: bool,
}

/// One point found by a search.
struct Point {
    member: Vec<u8>,
    score: f64,
    lon: f64,
    lat: f64,
    /// Meters from the centre, then in the request's unit.
    dist: f64,
}

fn georadius(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    search_generic(srv, c, argv, Kind::Radius, false);
}

fn georadius_ro(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    search_generic(srv, c, argv, Kind::Radius, true);
}

fn georadiusbymember(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    search_generic(srv, c, argv, Kind::RadiusByMember, false);
}

fn georadiusbymember_ro(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    search_generic(srv, c, argv, Kind::RadiusByMember, true);
}

fn geosearch(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    search_generic(srv, c, argv, Kind::Search, true);
}

fn geosearchstore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    search_generic(srv, c, argv, Kind::SearchStore, true);
}

/// Parse a search's arguments (the source set `z` is needed to place a
/// FROMMEMBER/BYMEMBER centre). `None` once an error was answered.
fn parse_query(
    c: &mut Client,
    argv: &[Bytes],
    kind: Kind,
    nostore: bool,
    z: Option<&ZSet>,
) -> Option<Query> {
    let search = matches!(kind, Kind::Search | Kind::SearchStore);
    let mut center = (0.0, 0.0);
    let mut extent = (Extent::Radius(0.0), 1.0);
    let base = match kind {
        Kind::Radius => {
            center = arg_lonlat(c, &argv[2], &argv[3])?;
            extent = arg_radius(c, &argv[4..6])?;
            6
        }
        Kind::RadiusByMember => {
            // Without a source set the reply is empty whatever the
            // radius says; the options are still checked.
            if let Some(z) = z {
                center = member_pos(c, z, &argv[2])?;
                extent = arg_radius(c, &argv[3..5])?;
            }
            5
        }
        Kind::Search => 2,
        Kind::SearchStore => 3,
    };
    let mut q = Query {
        shape: Shape {
            lon: 0.0,
            lat: 0.0,
            to_meters: 1.0,
            extent: Extent::Radius(0.0),
        },
        with_dist: false,
        with_hash: false,
        with_coord: false,
        sort: Sort::None,
        any: false,
        count: 0,
        store: (kind == Kind::SearchStore).then(|| argv[1].clone()),
        store_dist: false,
    };
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let mut i = base;
    while i < argv.len() {
        let a = &argv[i];
        let left = argv.len() - i - 1;
        if is(a, "withdist") {
            q.with_dist = true;
        } else if is(a, "withhash") {
            q.with_hash = true;
        } else if is(a, "withcoord") {
            q.with_coord = true;
        } else if is(a, "any") {
            q.any = true;
        } else if is(a, "asc") {
            q.sort = Sort::Asc;
        } else if is(a, "desc") {
            q.sort = Sort::Desc;
        } else if is(a, "count") && left >= 1 {
            let n = super::arg_i64(c, &argv[i + 1])?;
            if n <= 0 {
                c.reply.err("COUNT must be > 0");
                return None;
            }
            q.count = n as usize;
            i += 1;
        } else if (is(a, "store") || is(a, "storedist")) && left >= 1 && !nostore && !search {
            q.store = Some(argv[i + 1].clone());
            q.store_dist = is(a, "storedist");
            i += 1;
        } else if is(a, "storedist") && kind == Kind::SearchStore {
            q.store_dist = true;
        } else if is(a, "frommember") && left >= 1 && search && !from_lonlat {
            if let Some(z) = z {
                center = member_pos(c, z, &argv[i + 1])?;
            }
            from_member = true;
            i += 1;
        } else if is(a, "fromlonlat") && left >= 2 && search && !from_member {
            center = arg_lonlat(c, &argv[i + 1], &argv[i + 2])?;
            from_lonlat = true;
            i += 2;
        } else if is(a, "byradius") && left >= 2 && search && !by_box {
            extent = arg_radius(c, &argv[i + 1..i + 3])?;
            by_radius = true;
            i += 2;
        } else if is(a, "bybox") && left >= 3 && search && !by_radius {
            extent = arg_box(c, &argv[i + 1..i + 4])?;
            by_box = true;
            i += 3;
        } else {
            c.reply.err(SYNTAX_ERR);
            return None;
        }
        i += 1;
    }
    if q.store.is_some() && (q.with_dist || q.with_hash || q.with_coord) {
        c.reply.err(&format!(
            "{} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if kind == Kind::SearchStore {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        ));
        return None;
    }
    if search && !(from_member || from_lonlat) {
        c.reply.err(&format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            text(&argv[0])
        ));
        return None;
    }
    if search && !(by_radius || by_box) {
        c.reply.err(&format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {}",
            text(&argv[0])
        ));
        return None;
    }
    if q.any && q.count == 0 {
        c.reply.err("the ANY argument requires COUNT argument");
        return None;
    }
    q.shape = Shape {
        lon: center.0,
        lat: center.1,
        to_meters: extent.1,
        extent: extent.0,
    };
    Some(q)
}

/// The points of `z` inside the shape, cell after cell; with `limit`
/// (ANY), stop once that many were found.
fn points_in_shape(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = geohash::search_cells(shape);
    let mut out = Vec::new();
    let full = |out: &Vec<Point>| limit > 0 && out.len() >= limit;
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        let Some(cell) = cell else {
            continue;
        };
        // Huge radii make neighbours coincide: skip a cell equal to the
        // one scanned just before (never compared with the centre, as in
        // Redis).
        if last != 0 && cells[last] == Some(*cell) {
            continue;
        }
        if full(&out) {
            break;
        }
        let (min, max) = cell.score_range();
        let range = ScoreRange {
            min: min as f64,
            max: max as f64,
            minex: false,
            maxex: true,
        };
        let (mut lo, hi) = z.score_span(&range);
        // In slices, so that ANY stops without copying the whole cell.
        'cell: while lo < hi {
            let end = hi.min(lo + CHUNK);
            for (member, score) in z.range(lo, end, false) {
                let (lon, lat) = geohash::decode_score(score);
                if let Some(dist) = shape.contains(lon, lat) {
                    out.push(Point {
                        member,
                        score,
                        lon,
                        lat,
                        dist,
                    });
                }
                if full(&out) {
                    break 'cell;
                }
            }
            lo = end;
        }
        last = i;
    }
    out
}

fn search_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], kind: Kind, nostore: bool) {
    let src = if kind == Kind::SearchStore { 2 } else { 1 };
    let Ok(z) = read_zset(srv, c, &argv[src]) else {
        return;
    };
    let Some(mut q) = parse_query(c, argv, kind, nostore, z) else {
        return;
    };
    let Some(z) = z else {
        match &q.store {
            Some(dst) => {
                if srv.dbs[c.db].delete(dst) {
                    srv.signal_modified_key(c.db, dst);
                    srv.notify(c, notify::GENERIC, "del", dst, c.db);
                    srv.dirty += 1;
                }
                c.reply.int(0);
            }
            None => c.reply.array_len(0),
        }
        return;
    };
    if q.count != 0 && q.sort == Sort::None && !q.any {
        q.sort = Sort::Asc;
    }
    let mut found = points_in_shape(z, &q.shape, if q.any { q.count } else { 0 });
    if q.sort != Sort::None {
        let desc = q.sort == Sort::Desc;
        let order = |a: &Point, b: &Point| {
            let o = by_distance(a, b);
            if desc { o.reverse() } else { o }
        };
        if q.count == 0 || found.len() <= q.count {
            // Redis's qsort: glibc's merge sort, stable.
            found.sort_by(order);
        } else {
            pqsort::partial_sort_by(&mut found, (0, q.count - 1), order);
        }
    }
    if q.count != 0 {
        found.truncate(q.count);
    }
    for p in &mut found {
        p.dist /= q.shape.to_meters;
    }
    match q.store.take() {
        None => reply_points(c, &q, &found),
        Some(dst) => store_points(srv, c, &dst, &q, found, kind),
    }
}

/// Redis's comparator: only `>` and `==` are asked.
fn by_distance(a: &Point, b: &Point) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    if a.dist > b.dist {
        Greater
    } else if a.dist == b.dist {
        Equal
    } else {
        Less
    }
}

fn reply_points(c: &mut Client, q: &Query, found: &[Point]) {
    let extra = q.with_dist as usize + q.with_hash as usize + q.with_coord as usize;
    c.reply.array_len(found.len());
    for p in found {
        if extra > 0 {
            c.reply.array_len(extra + 1);
        }
        c.reply.bulk(&p.member);
        if q.with_dist {
            reply_distance(c, p.dist);
        }
        if q.with_hash {
            c.reply.int(p.score as i64);
        }
        if q.with_coord {
            c.reply.array_len(2);
            reply_coord(c, p.lon);
            reply_coord(c, p.lat);
        }
    }
}

/// STORE / STOREDIST / GEOSEARCHSTORE: the points as a new sorted set
/// (scored by geohash or by distance), or `dst` deleted when none.
fn store_points(
    srv: &mut Server,
    c: &mut Client,
    dst: &[u8],
    q: &Query,
    found: Vec<Point>,
    kind: Kind,
) {
    let n = found.len();
    if n == 0 {
        if srv.dbs[c.db].delete(dst) {
            srv.signal_modified_key(c.db, dst);
            srv.notify(c, notify::GENERIC, "del", dst, c.db);
            srv.dirty += 1;
        }
        c.reply.int(0);
        return;
    }
    let l = zsets::limits(srv);
    let mut z = ZSet::new_skiplist();
    let mut maxlen = 0;
    for p in found {
        if z.score(&p.member).is_some() {
            continue;
        }
        maxlen = maxlen.max(p.member.len());
        let score = if q.store_dist { p.dist } else { p.score };
        z.insert(&p.member, score, l);
    }
    z.shrink_if_fits(maxlen, l);
    let now = srv.now_ms;
    let created = srv.dbs[c.db].set(dst, Value::ZSet(Box::new(z)), false, now);
    if created {
        blocking::signal_key_ready(srv, c.db, dst);
        srv.notify(c, notify::NEW, "new", dst, c.db);
    }
    srv.signal_modified_key(c.db, dst);
    let event = if kind == Kind::SearchStore {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    srv.notify(c, notify::ZSET, event, dst, c.db);
    srv.dirty += n as u64;
    c.reply.int(n as i64);
}
