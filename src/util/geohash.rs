//! Geohash arithmetic of Redis's GEO commands: the 52-bit interleaved hash
//! stored as a sorted-set score, its decoding back to a point, the eight
//! neighbour cells, the nine cells covering a search shape, the
//! haversine distance, and the standard 11-character geohash string.
//!
//! Everything follows Redis 7.0's float arithmetic step by step (same
//! operations in the same order, the same clamping and integer casts), so a
//! point added here decodes to the very same coordinates, distances print the
//! same digits and a search visits the same cells in the same order — which
//! decides the order of unsorted GEOSEARCH replies.
//!
//! Latitudes are limited to ±85.05112878 (the Web Mercator square), so the
//! hash of a point uses that range, not ±90; the GEOHASH string re-encodes
//! with ±90, as the standard geohash does.

use std::f64::consts::PI;

pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// 26 steps of longitude and latitude: 52 bits.
pub const STEP_MAX: u8 = 26;
/// Earth's quadratic mean radius for WGS-84, as Redis uses it.
pub const EARTH_RADIUS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = PI / 180.0;

/// A hash of `step` bits of latitude interleaved with `step` bits of
/// longitude (latitude on the even bits). `bits == 0 && step == 0` is the
/// "no cell" value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash left-aligned to 52 bits: a sorted-set score.
    pub fn align52(&self) -> u64 {
        self.bits << (52 - self.step as u32 * 2)
    }

    /// Scores `[min, max)` of every 52-bit hash inside this cell.
    pub fn score_range(&self) -> (u64, u64) {
        let next = Hash {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        };
        (self.align52(), next.align52())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The rectangle a hash stands for.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

const WGS84_LON: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};
const STD_LAT: Range = Range {
    min: -90.0,
    max: 90.0,
};

/// Spread the low 32 bits of `v` onto the even bits.
fn spread(v: u32) -> u64 {
    let mut x = v as u64;
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gather the even bits of `v` into a 32-bit value.
fn gather(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// Latitude on the even bits, longitude on the odd ones.
fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// (latitude, longitude) cell indexes of interleaved bits.
fn deinterleave(bits: u64) -> (u32, u32) {
    (gather(bits), gather(bits >> 1))
}

/// C's `(uint32_t)` of a non-negative double below 2^32 (truncation).
fn to_u32(v: f64) -> u32 {
    v as u64 as u32
}

/// Encode a point in the given ranges with `step` bits per axis; `None`
/// outside the WGS-84 limits or the ranges.
pub fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<Hash> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * cells;
    let lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min) * cells;
    Some(Hash {
        bits: interleave(to_u32(lat_off), to_u32(lon_off)),
        step,
    })
}

/// Encode in the WGS-84 (Mercator-limited) ranges.
pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<Hash> {
    encode(WGS84_LON, WGS84_LAT, lon, lat, step)
}

/// The sorted-set score of a point (already checked to be in range).
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode_wgs84(lon, lat, STEP_MAX).map(|h| h.align52())
}

/// The cell of a hash in the given ranges.
pub fn decode(lon_r: Range, lat_r: Range, h: Hash) -> Option<Area> {
    if h.is_zero() {
        return None;
    }
    let (ilat, ilon) = deinterleave(h.bits);
    let cells = (1u64 << h.step) as f64;
    let lat_scale = lat_r.max - lat_r.min;
    let lon_scale = lon_r.max - lon_r.min;
    // `ilat + 1` is C's 32-bit unsigned arithmetic.
    Some(Area {
        lat: Range {
            min: lat_r.min + (ilat as f64 / cells) * lat_scale,
            max: lat_r.min + (ilat.wrapping_add(1) as f64 / cells) * lat_scale,
        },
        lon: Range {
            min: lon_r.min + (ilon as f64 / cells) * lon_scale,
            max: lon_r.min + (ilon.wrapping_add(1) as f64 / cells) * lon_scale,
        },
    })
}

pub fn decode_wgs84(h: Hash) -> Option<Area> {
    decode(WGS84_LON, WGS84_LAT, h)
}

/// C's `(uint64_t)` of a double as x86-64 code computes it, including the
/// values C leaves undefined (negative, NaN, too large): a sorted-set score
/// that is not a geohash still decodes, as in Redis.
fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    // cvttsd2si: truncation, or 1 << 63 when out of the i64 range.
    let cvt = |v: f64| -> u64 {
        if v.is_nan() || !(-TWO63..TWO63).contains(&v) {
            1 << 63
        } else {
            v as i64 as u64
        }
    };
    if d >= TWO63 {
        cvt(d - TWO63) ^ (1 << 63)
    } else {
        cvt(d)
    }
}

/// The point (longitude, latitude) a score stands for: the centre of its
/// 52-bit cell, clamped to the WGS-84 limits.
pub fn decode_score(score: f64) -> (f64, f64) {
    let h = Hash {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    let a = decode_wgs84(h).expect("step is not zero");
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The standard 11-character geohash of a stored point (re-encoded with
/// latitudes ±90; the 11th character stands for bits we do not have).
pub fn geohash_string(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let bits = encode(WGS84_LON, STD_LAT, lon, lat, STEP_MAX)
        .map(|h| h.bits)
        .unwrap_or(0);
    let mut out = [b'0'; 11];
    for (i, ch) in out.iter_mut().enumerate().take(10) {
        *ch = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

// ---------------------------------------------------------------------------
// Neighbours

/// Move one cell east (`d > 0`) or west along the longitude bits.
fn move_x(h: &mut Hash, d: i8) {
    move_axis(h, d, 0xaaaa_aaaa_aaaa_aaaa)
}

/// Move one cell north (`d > 0`) or south along the latitude bits.
fn move_y(h: &mut Hash, d: i8) {
    move_axis(h, d, 0x5555_5555_5555_5555)
}

/// Add or subtract one on the bits selected by `mask`, carrying through
/// the other axis's bits (set to 1 so the carry passes them), wrapping
/// around at the edge of the map.
fn move_axis(h: &mut Hash, d: i8, mask: u64) {
    if d == 0 {
        return;
    }
    let shift = 64 - h.step as u32 * 2;
    let axis = h.bits & mask;
    let other = h.bits & !mask;
    let fill = !mask >> shift;
    let moved = if d > 0 {
        axis.wrapping_add(fill.wrapping_add(1))
    } else {
        (axis | fill).wrapping_sub(fill.wrapping_add(1))
    };
    h.bits = (moved & (mask >> shift)) | other;
}

/// The eight cells around a hash, at the same step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Neighbours {
    pub north: Hash,
    pub south: Hash,
    pub east: Hash,
    pub west: Hash,
    pub north_east: Hash,
    pub north_west: Hash,
    pub south_east: Hash,
    pub south_west: Hash,
}

pub fn neighbours(h: Hash) -> Neighbours {
    let at = |dx: i8, dy: i8| {
        let mut n = h;
        move_x(&mut n, dx);
        move_y(&mut n, dy);
        n
    };
    Neighbours {
        east: at(1, 0),
        west: at(-1, 0),
        south: at(0, -1),
        north: at(0, 1),
        north_west: at(-1, 1),
        north_east: at(1, 1),
        south_east: at(1, -1),
        south_west: at(-1, -1),
    }
}

// ---------------------------------------------------------------------------
// Distances

fn deg_rad(a: f64) -> f64 {
    a * D_R
}

fn rad_deg(a: f64) -> f64 {
    a / D_R
}

/// Distance along a meridian between two latitudes, in meters.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Haversine distance between two points, in meters.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(lon2) - deg_rad(lon1)) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

// ---------------------------------------------------------------------------
// Search shapes

/// What a search covers around its centre, in the request's unit;
/// `to_meters` converts that unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Extent {
    Radius(f64),
    Box { width: f64, height: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub to_meters: f64,
    pub extent: Extent,
}

impl Shape {
    /// The distance of a point from the centre, in meters, when the point
    /// lies within the shape.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.to_meters).then_some(d)
            }
            Extent::Box { width, height } => {
                let (w, h) = (width * self.to_meters, height * self.to_meters);
                if lat_distance(lat, self.lat) > h / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > w / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// (min lon, min lat, max lon, max lat) of the shape.
    fn bounds(&self) -> [f64; 4] {
        let (half_h, half_w) = match self.extent {
            Extent::Radius(r) => (self.to_meters * r, self.to_meters * r),
            Extent::Box { width, height } => (
                self.to_meters * (height / 2.0),
                self.to_meters * (width / 2.0),
            ),
        };
        let lat_delta = rad_deg(half_h / EARTH_RADIUS);
        let lon_delta_top = rad_deg(half_w / EARTH_RADIUS / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(half_w / EARTH_RADIUS / deg_rad(self.lat - lat_delta).cos());
        // The wider side is nearer the equator.
        let lon_delta = if self.lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [
            self.lon - lon_delta,
            self.lat - lat_delta,
            self.lon + lon_delta,
            self.lat + lat_delta,
        ]
    }

    /// The radius (meters) of the circle the cell size is chosen for.
    fn radius_meters(&self) -> f64 {
        let r = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.to_meters
    }
}

/// The cell step whose size suits a search radius at a latitude.
pub fn steps_for_radius(mut meters: f64, lat: f64) -> u8 {
    if meters == 0.0 {
        return STEP_MAX;
    }
    let mut step: i32 = 1;
    while meters < MERCATOR_MAX {
        meters *= 2.0;
        step += 1;
    }
    step -= 2;
    // Cells get narrower towards the poles.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, STEP_MAX as i32) as u8
}

/// The cells to scan for a shape, in Redis's order: the centre cell,
/// north, south, east, west, north-east, north-west, south-east,
/// south-west. Cells that cannot hold a match are `None`.
pub fn search_cells(shape: &Shape) -> [Option<Hash>; 9] {
    let b = shape.bounds();
    let (min_lon, min_lat, max_lon, max_lat) = (b[0], b[1], b[2], b[3]);
    let mut steps = steps_for_radius(shape.radius_meters(), shape.lat);
    let cell = |steps: u8| {
        let h = encode_wgs84(shape.lon, shape.lat, steps).unwrap_or_default();
        let n = neighbours(h);
        (h, n, decode_wgs84(h).unwrap_or_default())
    };
    let (mut hash, mut n, mut area) = cell(steps);
    // Near a cell's edge the estimated step may leave part of the shape
    // outside the 3x3 cells: use cells twice as large then.
    let area_of = |h: Hash| decode_wgs84(h).unwrap_or_default();
    let too_small = area_of(n.north).lat.max < max_lat
        || area_of(n.south).lat.min > min_lat
        || area_of(n.east).lon.max < max_lon
        || area_of(n.west).lon.min > min_lon;
    if steps > 1 && too_small {
        steps -= 1;
        (hash, n, area) = cell(steps);
    }
    let mut cells = [
        Some(hash),
        Some(n.north),
        Some(n.south),
        Some(n.east),
        Some(n.west),
        Some(n.north_east),
        Some(n.north_west),
        Some(n.south_east),
        Some(n.south_west),
    ];
    if steps >= 2 {
        // Indexes as above: 1 N, 2 S, 3 E, 4 W, 5 NE, 6 NW, 7 SE, 8 SW.
        let mut drop = |ix: [usize; 3]| ix.iter().for_each(|&i| cells[i] = None);
        if area.lat.min < min_lat {
            drop([2, 8, 7]);
        }
        if area.lat.max > max_lat {
            drop([1, 5, 6]);
        }
        if area.lon.min < min_lon {
            drop([4, 8, 6]);
        }
        if area.lon.max > max_lon {
            drop([3, 7, 5]);
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values read from redis-server 7.0.15 (GEOADD then ZSCORE / GEOPOS /
    // GEOHASH / GEODIST).
    const PALERMO: (f64, f64) = (13.361389, 38.115556);
    const CATANIA: (f64, f64) = (15.087269, 37.502669);

    #[test]
    fn interleave_round_trip() {
        for (a, b) in [(0u32, 0u32), (1, 0), (0, 1), (0xFFFF_FFFF, 0x1234_5678)] {
            assert_eq!(deinterleave(interleave(a, b)), (a, b));
        }
        assert_eq!(interleave(1, 0), 1);
        assert_eq!(interleave(0, 1), 2);
    }

    #[test]
    fn scores_as_redis() {
        assert_eq!(score_of(PALERMO.0, PALERMO.1), Some(3479099956230698));
        assert_eq!(score_of(CATANIA.0, CATANIA.1), Some(3479447370796909));
        assert_eq!(score_of(0.0, 0.0), Some(3377699720527872));
        assert_eq!(score_of(181.0, 0.0), None);
        assert_eq!(score_of(0.0, 86.0), None);
    }

    #[test]
    fn decode_as_redis() {
        let (lon, lat) = decode_score(3479099956230698.0);
        assert_eq!(fmt17(lon), "13.36138933897018433");
        assert_eq!(fmt17(lat), "38.11555639549629859");
        // Encode/decode round trip stays within the 52-bit cell.
        for &(lo, la) in &[PALERMO, CATANIA, (-179.9, -85.0), (179.9, 85.0), (0.0, 0.0)] {
            let s = score_of(lo, la).unwrap();
            let (dlo, dla) = decode_score(s as f64);
            assert!((dlo - lo).abs() < 1e-5 && (dla - la).abs() < 1e-5);
            assert_eq!(score_of(dlo, dla), Some(s));
        }
    }

    #[test]
    fn non_geo_scores_decode_like_c() {
        // redis-server: ZADD k -1 neg inf pinf; GEOPOS k neg pinf.
        let (lon, lat) = decode_score(-1.0);
        assert_eq!((lon, lat), (LONG_MAX, LAT_MAX));
        let (lon, lat) = decode_score(f64::INFINITY);
        assert_eq!(fmt17(lon), "-179.99999731779098511");
        assert_eq!(fmt17(lat), "-85.05112751263942528");
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(c_double_to_u64(1.5), 1);
    }

    #[test]
    fn geohash_strings() {
        let s = |p: (f64, f64)| {
            let h = geohash_string(score_of(p.0, p.1).unwrap() as f64);
            String::from_utf8(h.to_vec()).unwrap()
        };
        assert_eq!(s(PALERMO), "sqc8b49rny0");
        assert_eq!(s(CATANIA), "sqdtr74hyu0");
        assert_eq!(s((0.0, 0.0)), "s0000000000");
        // Scores that are no geohash (ZADD k -1 neg inf pinf 1.5 small).
        let raw = |score: f64| String::from_utf8(geohash_string(score).to_vec()).unwrap();
        assert_eq!(raw(-1.0), "bp05b5048p0");
        assert_eq!(raw(f64::INFINITY), "00bh0hbj200");
        assert_eq!(raw(1.5), "00bh0hbj210");
    }

    #[test]
    fn distances() {
        // GEODIST measures between the stored (decoded) positions.
        let p = decode_score(score_of(PALERMO.0, PALERMO.1).unwrap() as f64);
        let c = decode_score(score_of(CATANIA.0, CATANIA.1).unwrap() as f64);
        let d = distance(p.0, p.1, c.0, c.1);
        assert_eq!(crate::util::num::fmt_fixed(d, 4), "166274.1516");
        assert_eq!(crate::util::num::fmt_fixed(d / 1000.0, 4), "166.2742");
        assert_eq!(distance(1.0, 2.0, 1.0, 3.0), lat_distance(2.0, 3.0));
    }

    #[test]
    fn neighbours_wrap_and_are_adjacent() {
        let h = encode_wgs84(0.0, 0.0, 4).unwrap();
        let n = neighbours(h);
        let a = decode_wgs84(h).unwrap();
        let e = decode_wgs84(n.east).unwrap();
        let nn = decode_wgs84(n.north).unwrap();
        assert_eq!(e.lon.min, a.lon.max);
        assert_eq!(e.lat, a.lat);
        assert_eq!(nn.lat.min, a.lat.max);
        // At the east edge the east neighbour wraps to the west edge.
        let h = encode_wgs84(179.0, 0.0, 3).unwrap();
        let e = decode_wgs84(neighbours(h).east).unwrap();
        assert_eq!(e.lon.min, -180.0);
    }

    #[test]
    fn steps() {
        assert_eq!(steps_for_radius(0.0, 0.0), 26);
        assert_eq!(steps_for_radius(200_000.0, 0.0), 6);
        assert_eq!(steps_for_radius(200_000.0, 70.0), 5);
        assert_eq!(steps_for_radius(200_000.0, -85.0), 4);
        assert_eq!(steps_for_radius(1e9, 0.0), 1);
    }

    fn fmt17(v: f64) -> String {
        format!("{v:.17}")
    }
}
