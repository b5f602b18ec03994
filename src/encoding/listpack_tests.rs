//! Tests for listpack.rs. Byte images in `testdata/*.bin` come from
//! redis-server 7.0.15 via `testdata/capture.py` (DUMP with rdbcompression
//! off; the quicklist node / hash / zset string is the raw listpack).

use super::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn build<T: AsRef<[u8]>>(items: &[T]) -> Listpack {
    let mut lp = Listpack::new();
    for s in items {
        lp.append(s.as_ref());
    }
    lp
}

fn contents(lp: &Listpack) -> Vec<Vec<u8>> {
    lp.iter().map(|v| v.to_vec()).collect()
}

/// Everything that must hold for a well-formed listpack holding `model`.
fn check(lp: &Listpack, model: &[Vec<u8>]) {
    assert!(Listpack::validate(lp.as_bytes(), true));
    assert_eq!(lp.len(), model.len());
    assert_eq!(lp.is_empty(), model.is_empty());
    assert_eq!(contents(lp), model);
    let mut rev: Vec<Vec<u8>> = lp.iter().rev().map(|v| v.to_vec()).collect();
    rev.reverse();
    assert_eq!(rev, model);
    for (v, m) in lp.iter().zip(model) {
        assert!(v.eq_bytes(m));
        assert_eq!(v.str_len(), m.len());
    }
    // The bytes depend only on the elements (canonical encodings).
    assert_eq!(lp.as_bytes(), build(model).as_bytes());
    assert_eq!(lp.bytes_len(), header_total(lp.as_bytes()));
}

// ---------------------------------------------------------------------------
// Byte images from redis-server
// ---------------------------------------------------------------------------

fn mixed_items() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = ["a", "1", "300", "-5", "hello", "70000"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    v.push(vec![b'a'; 63]);
    v.push(vec![b'b'; 64]);
    v.push(vec![b'c'; 4095]);
    v.push(vec![b'd'; 4096]);
    for s in [
        "127",
        "128",
        "-1",
        "4095",
        "4096",
        "-4096",
        "-4097",
        "32767",
        "32768",
        "-32768",
        "-32769",
        "8388607",
        "8388608",
        "-8388608",
        "-8388609",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "-9223372036854775809",
        "007",
        "-0",
        "+1",
        " 1",
        "1 ",
        "",
        "0",
    ] {
        v.push(s.as_bytes().to_vec());
    }
    v.push(vec![b'e'; 125]);
    v.push(vec![b'f'; 126]);
    v.push(vec![b'g'; 16378]);
    v.push(vec![b'h'; 16379]);
    v
}

#[test]
fn redis_image_list_mixed() {
    // RPUSH l a 1 300 -5 hello 70000 a*63 b*64 c*4095 d*4096 <int edges> ...
    let redis: &[u8] = include_bytes!("testdata/list_mixed.bin");
    let items = mixed_items();
    let lp = build(&items);
    assert_eq!(lp.as_bytes(), redis);
    let mut batch = Listpack::new();
    batch.append_many(&items);
    assert_eq!(batch.as_bytes(), redis);
    assert!(Listpack::validate(redis, true));
    let theirs = Listpack::from_untrusted(redis.to_vec()).unwrap();
    check(&theirs, &items);
    // Spot-check how values came back.
    assert_eq!(theirs.get_index(0), Some(LpValue::Str(b"a")));
    assert_eq!(theirs.get_index(1), Some(LpValue::Int(1)));
    assert_eq!(theirs.get_index(5), Some(LpValue::Int(70000)));
    assert_eq!(
        theirs.get_index(-1),
        Some(LpValue::Str(&items[items.len() - 1][..]))
    );
}

#[test]
fn redis_image_small_exact_hex() {
    // The head of the same image, spelled out: header, "a", 1, 300, -5.
    let redis: &[u8] = include_bytes!("testdata/list_mixed.bin");
    let lp = build(&["a", "1", "300", "-5"]);
    let b = lp.as_bytes();
    assert_eq!(
        b,
        [
            0x12, 0, 0, 0, 4, 0, // header: 18 bytes, 4 elements
            0x81, b'a', 0x02, // 6-bit str "a", backlen 2
            0x01, 0x01, // 7-bit uint 1
            0xC1, 0x2C, 0x02, // 13-bit 300
            0xDF, 0xFB, 0x02, // 13-bit -5
            0xFF,
        ]
    );
    // Same entry bytes as Redis's (whose header differs: more elements).
    assert_eq!(&b[6..b.len() - 1], &redis[6..b.len() - 1]);
}

#[test]
fn redis_image_list_ops() {
    let redis: &[u8] = include_bytes!("testdata/list_ops.bin");
    let mut lp = Listpack::new();
    // RPUSH l a b c 1 2 3
    for s in ["a", "b", "c", "1", "2", "3"] {
        lp.append(s.as_bytes());
    }
    // LPUSH l x 10
    lp.prepend(b"x");
    lp.prepend(b"10");
    // LINSERT l BEFORE b 99
    let b = lp.find(lp.first().unwrap(), b"b", 0).unwrap();
    lp.insert_before(b, b"99");
    // LINSERT l AFTER c zz
    let c = lp.find(lp.first().unwrap(), b"c", 0).unwrap();
    lp.insert_after(c, b"zz");
    // LSET l 0 hello; LSET l -1 12345
    let p = lp.seek(0).unwrap();
    lp.replace(p, b"hello");
    let p = lp.seek(-1).unwrap();
    lp.replace(p, b"12345");
    // LREM l 1 a
    let a = lp.find(lp.first().unwrap(), b"a", 0).unwrap();
    lp.delete(a);
    // LTRIM l 1 -2: quicklistDelRange(0, 1), quicklistDelRange(-1, 1)
    lp.delete_range(0, 1);
    lp.delete_range(-1, 1);
    // RPUSH l q*70
    lp.append(&[b'q'; 70]);
    assert_eq!(lp.as_bytes(), redis);
    let want: Vec<Vec<u8>> = ["x", "99", "b", "c", "zz", "1", "2"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([vec![b'q'; 70]])
        .collect();
    check(&lp, &want);
}

/// hashTypeSet on a listpack.
fn hset(lp: &mut Listpack, f: &[u8], v: &[u8]) {
    if let Some(first) = lp.first()
        && let Some(fp) = lp.find(first, f, 1)
    {
        let vp = lp.next(fp).unwrap();
        lp.replace(vp, v);
        return;
    }
    lp.append(f);
    lp.append(v);
}

#[test]
fn redis_image_hash() {
    let redis: &[u8] = include_bytes!("testdata/hash.bin");
    let mut lp = Listpack::new();
    for (f, v) in [("f1", "v1"), ("f2", "2"), ("f3", "-300"), ("num", "70000")] {
        hset(&mut lp, f.as_bytes(), v.as_bytes());
    }
    hset(&mut lp, b"f1", b"newvalue");
    // HDEL l f2
    let fp = lp.find(lp.first().unwrap(), b"f2", 1).unwrap();
    lp.delete_range_at(fp, 2);
    hset(&mut lp, b"f4", &[b'z'; 64]);
    hset(&mut lp, b"num", b"1");
    assert_eq!(lp.as_bytes(), redis);
    // Field lookups skip values: "1" is a value, never a field.
    let first = lp.first().unwrap();
    assert_eq!(lp.find(first, b"1", 1), None);
    assert!(lp.find(first, b"1", 0).is_some());
    let vp = lp.next(lp.find(first, b"f3", 1).unwrap()).unwrap();
    assert_eq!(lp.get(vp), LpValue::Int(-300));
}

/// zzlInsert with the score already in d2string / integer form.
fn zadd(lp: &mut Listpack, score: &str, member: &[u8]) {
    let s: f64 = score.parse().unwrap();
    // Remove an existing member (zzlDelete), then insert in order.
    if let Some(first) = lp.first()
        && let Some(p) = lp.find(first, member, 1)
    {
        lp.delete_range_at(p, 2);
    }
    let mut at = lp.first();
    while let Some(ep) = at {
        let sp = lp.next(ep).unwrap();
        let es: f64 = match lp.get(sp) {
            LpValue::Int(v) => v as f64,
            LpValue::Str(b) => std::str::from_utf8(b).unwrap().parse().unwrap(),
        };
        if es > s || (es == s && lp.get(ep).cmp_bytes(member) == Ordering::Greater) {
            break;
        }
        at = lp.next(sp);
    }
    match at {
        None => {
            lp.append(member);
            lp.append(score.as_bytes());
        }
        Some(ep) => {
            let mp = lp.insert_before(ep, member);
            lp.insert_after(mp, score.as_bytes());
        }
    }
}

#[test]
fn redis_image_zset() {
    let redis: &[u8] = include_bytes!("testdata/zset.bin");
    let mut lp = Listpack::new();
    for (s, m) in [("1", "a"), ("2.5", "b"), ("-3", "c"), ("100", "d")] {
        zadd(&mut lp, s, m.as_bytes());
    }
    zadd(&mut lp, "1.5", b"a");
    zadd(&mut lp, "2.5", b"aa");
    assert_eq!(lp.as_bytes(), redis);
}

// ---------------------------------------------------------------------------
// Encoding boundaries
// ---------------------------------------------------------------------------

#[test]
fn backlen_thresholds() {
    let cases: &[(usize, usize)] = &[
        (0, 1),
        (127, 1),
        (128, 2),
        (16382, 2),
        (16383, 3), // Redis's strict '<': 3 bytes, not 2
        (16384, 3),
        (2_097_150, 3),
        (2_097_151, 4),
        (268_435_454, 4),
        (268_435_455, 5),
        (u32::MAX as usize, 5),
    ];
    for &(l, n) in cases {
        assert_eq!(backlen_size(l), n, "backlen_size({l})");
        let mut buf = [0u8; 5];
        write_backlen(&mut buf, l);
        assert_eq!(read_backlen(&buf, n), Some(l), "round trip {l}");
        assert_eq!(buf[0] & 0x80, 0);
        for b in &buf[1..n] {
            assert_eq!(b & 0x80, 0x80);
        }
    }
    // Redis's own bytes for 128 and 16383.
    let mut buf = [0u8; 5];
    write_backlen(&mut buf, 128);
    assert_eq!(&buf[..2], &[0x01, 0x80]);
    write_backlen(&mut buf, 16383);
    assert_eq!(&buf[..3], &[0x00, 0xFF, 0xFF]);
    // More than five continuation bytes is invalid.
    assert_eq!(read_backlen(&[0x80; 6], 6), None);
    assert_eq!(read_backlen(&[0x80, 0x80], 2), None); // runs off the start
}

#[test]
fn int_encodings_at_edges() {
    // (value, first byte, entry size with backlen)
    let cases: &[(i64, u8, usize)] = &[
        (0, 0x00, 2),
        (127, 0x7F, 2),
        (128, 0xC0, 3),
        (-1, 0xDF, 3),
        (4095, 0xCF, 3),
        (-4096, 0xD0, 3),
        (4096, ENC_16BIT_INT, 4),
        (-4097, ENC_16BIT_INT, 4),
        (32767, ENC_16BIT_INT, 4),
        (-32768, ENC_16BIT_INT, 4),
        (32768, ENC_24BIT_INT, 5),
        (-32769, ENC_24BIT_INT, 5),
        (8_388_607, ENC_24BIT_INT, 5),
        (-8_388_608, ENC_24BIT_INT, 5),
        (8_388_608, ENC_32BIT_INT, 6),
        (-8_388_609, ENC_32BIT_INT, 6),
        (i32::MAX as i64, ENC_32BIT_INT, 6),
        (i32::MIN as i64, ENC_32BIT_INT, 6),
        (i32::MAX as i64 + 1, ENC_64BIT_INT, 10),
        (i32::MIN as i64 - 1, ENC_64BIT_INT, 10),
        (i64::MAX, ENC_64BIT_INT, 10),
        (i64::MIN, ENC_64BIT_INT, 10),
    ];
    for &(v, first, size) in cases {
        let s = v.to_string();
        for lp in [build(&[s.as_bytes()]), {
            let mut l = Listpack::new();
            l.append_int(v);
            l
        }] {
            assert_eq!(lp.as_bytes()[HDR_SIZE], first, "{v}");
            assert_eq!(lp.bytes_len(), EMPTY_BYTES + size, "{v}");
            assert_eq!(entry_size_for(s.as_bytes()), size);
            assert_eq!(entry_size_for_int(v), size);
            assert_eq!(lp.get(lp.first().unwrap()), LpValue::Int(v));
            assert_eq!(lp.get(lp.last().unwrap()), LpValue::Int(v));
            check(&lp, &[s.clone().into_bytes()]);
        }
    }
}

#[test]
fn string_encodings_at_edges() {
    // (length, first byte, encoded size without backlen)
    let cases: &[(usize, u8, usize)] = &[
        (0, 0x80, 1),
        (1, 0x81, 2),
        (63, 0xBF, 64),
        (64, 0xE0, 66),
        (125, 0xE0, 127),
        (126, 0xE0, 128),
        (4095, 0xEF, 4097),
        (4096, 0xF0, 4101),
        (16377, 0xF0, 16382),
        (16378, 0xF0, 16383),
        (2_097_146, 0xF0, 2_097_151),
    ];
    for &(len, first, enc) in cases {
        let s: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        let lp = build(&[&s]);
        assert_eq!(lp.as_bytes()[HDR_SIZE], first, "len {len}");
        let entry = enc + backlen_size(enc);
        assert_eq!(lp.bytes_len(), EMPTY_BYTES + entry, "len {len}");
        assert_eq!(entry_size_for(&s), entry);
        assert_eq!(lp.get(HDR_SIZE), LpValue::Str(&s));
        assert_eq!(lp.last(), Some(HDR_SIZE));
        check(&lp, std::slice::from_ref(&s));
        // Between neighbours, both directions.
        let lp = build(&[b"x".as_slice(), &s, b"-7"]);
        check(&lp, &[b"x".to_vec(), s.clone(), b"-7".to_vec()]);
        assert_eq!(lp.get_index(-2), Some(LpValue::Str(&s)));
    }
}

#[test]
fn non_canonical_numbers_stay_strings() {
    for s in [
        "007",
        "-0",
        "+1",
        " 1",
        "1 ",
        "",
        "-",
        "1.0",
        "9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901",
    ] {
        let lp = build(&[s]);
        assert_eq!(lp.get(HDR_SIZE), LpValue::Str(s.as_bytes()), "{s:?}");
    }
}

// ---------------------------------------------------------------------------
// API behaviour
// ---------------------------------------------------------------------------

#[test]
fn empty_listpack() {
    let lp = Listpack::new();
    assert_eq!(lp.as_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
    assert_eq!(lp.len(), 0);
    assert!(lp.is_empty());
    assert_eq!(lp.first(), None);
    assert_eq!(lp.last(), None);
    assert_eq!(lp.seek(0), None);
    assert_eq!(lp.seek(-1), None);
    assert_eq!(lp.iter().next(), None);
    assert_eq!(lp.iter().next_back(), None);
    assert_eq!(lp.find(HDR_SIZE, b"a", 0), None);
    assert!(Listpack::validate(lp.as_bytes(), true));
    assert_eq!(lp, Listpack::default());
}

#[test]
fn navigation_and_seek() {
    let items: Vec<Vec<u8>> = (0..50)
        .map(|i| {
            if i % 3 == 0 {
                i.to_string().into_bytes()
            } else {
                vec![b'a' + (i % 26) as u8; i * 7]
            }
        })
        .collect();
    let lp = build(&items);
    let positions: Vec<usize> = lp.positions().collect();
    assert_eq!(positions.len(), 50);
    let mut back: Vec<usize> = lp.positions().rev().collect();
    back.reverse();
    assert_eq!(back, positions);
    for (i, &p) in positions.iter().enumerate() {
        assert_eq!(lp.seek(i as i64), Some(p));
        assert_eq!(lp.seek(i as i64 - 50), Some(p));
        assert_eq!(lp.next(p), positions.get(i + 1).copied());
        assert_eq!(
            lp.prev(p),
            if i == 0 { None } else { Some(positions[i - 1]) }
        );
        assert!(lp.eq_at(p, &items[i]));
    }
    assert_eq!(lp.seek(50), None);
    assert_eq!(lp.seek(-51), None);
    assert_eq!(lp.first(), Some(positions[0]));
    assert_eq!(lp.last(), Some(positions[49]));
    // Mixed-direction iteration meets in the middle without overlap.
    let mut it = lp.iter();
    let mut seen = Vec::new();
    loop {
        match (it.next(), it.next_back()) {
            (Some(a), Some(b)) => {
                seen.push(a.to_vec());
                seen.push(b.to_vec());
            }
            (Some(a), None) => seen.push(a.to_vec()),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 50);
    let from: Vec<Vec<u8>> = lp
        .entries_from(positions[45])
        .map(|(_, v)| v.to_vec())
        .collect();
    assert_eq!(from, &items[45..]);
    assert_eq!(lp.index_of(&items[10]), Some(10));
    assert_eq!(lp.index_of(b"12"), Some(12));
    assert_eq!(lp.index_of(b"nope"), None);
}

#[test]
fn find_with_skip() {
    let lp = build(&["k1", "1", "k2", "k1", "1", "x", "5", "v"]);
    let first = lp.first().unwrap();
    // skip = 1: only even indexes are compared.
    let p = lp.find(first, b"1", 1).unwrap();
    assert_eq!(lp.positions().position(|q| q == p), Some(4));
    assert_eq!(lp.find(first, b"k1", 1), Some(first));
    assert_eq!(lp.find(first, b"x", 1), None);
    let p5 = lp.find(first, b"5", 1).unwrap();
    assert_eq!(lp.get(lp.next(p5).unwrap()), LpValue::Str(b"v"));
    // skip = 0 compares everything; integer entries don't match "01".
    assert_eq!(lp.find(first, b"x", 0), lp.seek(5));
    assert_eq!(lp.find(first, b"01", 0), None);
    // Starting later.
    let p3 = lp.seek(2).unwrap();
    assert_eq!(lp.find(p3, b"k1", 1), None);
    assert_eq!(lp.find(p3, b"k1", 0), lp.seek(3));
}

#[test]
fn value_helpers() {
    let mut buf = IntBuf::default();
    assert_eq!(LpValue::Int(-42).bytes(&mut buf), b"-42");
    assert_eq!(
        LpValue::Int(i64::MIN).bytes(&mut buf),
        b"-9223372036854775808"
    );
    assert_eq!(LpValue::Int(0).bytes(&mut buf), b"0");
    assert_eq!(LpValue::Str(b"ab").bytes(&mut buf), b"ab");
    assert!(LpValue::Int(12).eq_bytes(b"12"));
    assert!(!LpValue::Int(12).eq_bytes(b"012"));
    assert!(!LpValue::Str(b"12").eq_bytes(b"012"));
    assert_eq!(LpValue::Int(-100).str_len(), 4);
    assert_eq!(LpValue::Int(7).to_i64(), Some(7));
    assert_eq!(LpValue::Str(b"-8").to_i64(), Some(-8));
    assert_eq!(LpValue::Str(b"x").to_i64(), None);
    assert_eq!(LpValue::Int(10).cmp_bytes(b"9"), Ordering::Less);
    assert_eq!(LpValue::Int(10).cmp_bytes(b"10"), Ordering::Equal);
    assert_eq!(LpValue::Str(b"b").cmp_bytes(b"a"), Ordering::Greater);
    let mut out = b"x".to_vec();
    LpValue::Int(5).write_to(&mut out);
    assert_eq!(out, b"x5");
}

#[test]
fn insert_replace_delete_return_positions() {
    let mut lp = build(&["a", "b", "c"]);
    let b = lp.seek(1).unwrap();
    let n = lp.insert_after(b, b"bb");
    assert_eq!(lp.get(n), LpValue::Str(b"bb"));
    let n = lp.insert_before(b, b"ab");
    assert_eq!(n, b);
    assert_eq!(lp.get(n), LpValue::Str(b"ab"));
    let p = lp.insert_int_before(lp.first().unwrap(), 1000);
    assert_eq!(lp.get(p), LpValue::Int(1000));
    let p = lp.insert_int_after(lp.last().unwrap(), -1000);
    assert_eq!(lp.get(p), LpValue::Int(-1000));
    lp.prepend_int(7);
    lp.append_int(8);
    check(
        &lp,
        &["7", "1000", "a", "ab", "b", "bb", "c", "-1000", "8"].map(|s| s.as_bytes().to_vec()),
    );
    let p = lp.seek(2).unwrap();
    lp.replace(p, &[b'z'; 100]);
    assert_eq!(lp.get(p), LpValue::Str(&[b'z'; 100]));
    lp.replace_int(p, 3);
    assert_eq!(lp.get(p), LpValue::Int(3));
    // delete returns the follower, None at the end.
    let p = lp.seek(-2).unwrap();
    let nx = lp.delete(p).unwrap();
    assert_eq!(lp.get(nx), LpValue::Int(8));
    assert_eq!(lp.delete(nx), None);
    // delete_range_at past the end stops at the end.
    let p = lp.seek(4).unwrap();
    assert_eq!(lp.delete_range_at(p, 100), None);
    check(
        &lp,
        &["7", "1000", "3", "ab"].map(|s| s.as_bytes().to_vec()),
    );
    assert_eq!(lp.delete_range_at(lp.first().unwrap(), 1), Some(HDR_SIZE));
    // Out of range delete_range is a no-op.
    let before = lp.clone();
    lp.delete_range(10, 1);
    lp.delete_range(-10, 1);
    lp.delete_range(0, 0);
    assert_eq!(lp, before);
}

#[test]
fn merge_both_directions() {
    let a: Vec<Vec<u8>> = (0..20).map(|i| format!("a{i}").into_bytes()).collect();
    let b: Vec<Vec<u8>> = (0..5)
        .map(|i| (i * 1000).to_string().into_bytes())
        .collect();
    let all: Vec<Vec<u8>> = a.iter().chain(&b).cloned().collect();
    let m = Listpack::merge(build(&a), build(&b));
    check(&m, &all);
    let all2: Vec<Vec<u8>> = b.iter().chain(&a).cloned().collect();
    let m = Listpack::merge(build(&b), build(&a));
    check(&m, &all2);
    let m = Listpack::merge(Listpack::new(), Listpack::new());
    check(&m, &[]);
}

#[test]
fn unknown_count_header() {
    let n = 70_000usize;
    let items: Vec<Vec<u8>> = (0..n).map(|i| (i % 100).to_string().into_bytes()).collect();
    let mut lp = Listpack::new();
    lp.append_many(&items);
    assert_eq!(header_count(lp.as_bytes()), NUMELE_UNKNOWN);
    assert_eq!(lp.len(), n);
    assert!(Listpack::validate(lp.as_bytes(), true));
    // Seeking without a count: forward for >= 0, backward for < 0.
    assert_eq!(lp.get_index(0), Some(LpValue::Int(0)));
    assert_eq!(lp.get_index(-1), Some(LpValue::Int(((n - 1) % 100) as i64)));
    assert_eq!(lp.get_index(n as i64), None);
    assert_eq!(lp.get_index(-(n as i64) - 1), None);
    // Sequential appends give the same bytes (count saturates at 65535).
    let mut one = Listpack::new();
    one.append_many(&items[..65_534]);
    assert_eq!(header_count(one.as_bytes()), 65_534);
    for it in &items[65_534..] {
        one.append(it);
    }
    assert_eq!(one.as_bytes(), lp.as_bytes());
    // Deleting keeps it unknown until refresh_len (like lpLength).
    lp.delete_range(0, 10_000);
    assert_eq!(header_count(lp.as_bytes()), NUMELE_UNKNOWN);
    assert_eq!(lp.len(), n - 10_000);
    assert_eq!(lp.refresh_len(), n - 10_000);
    assert_eq!(header_count(lp.as_bytes()), (n - 10_000) as u16);
    let model = items[10_000..].to_vec();
    check(&lp, &model);
}

#[test]
fn safety_size() {
    let lp = build(&["a"]);
    assert!(lp.safe_to_add(1000));
    assert!(lp.safe_to_add(MAX_SAFETY_SIZE - lp.bytes_len()));
    assert!(!lp.safe_to_add(MAX_SAFETY_SIZE - lp.bytes_len() + 1));
    assert!(!lp.safe_to_add(usize::MAX));
    assert!(Listpack::size_is_safe(MAX_SAFETY_SIZE));
    assert!(!Listpack::size_is_safe(MAX_SAFETY_SIZE + 1));
}

// ---------------------------------------------------------------------------
// Randomised model test
// ---------------------------------------------------------------------------

fn random_value(rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..10) {
        0 => {
            let edges: [i64; 16] = [
                0,
                127,
                128,
                -1,
                4095,
                4096,
                -4096,
                -4097,
                32767,
                -32769,
                8_388_608,
                -8_388_609,
                i32::MAX as i64 + 1,
                i32::MIN as i64,
                i64::MAX,
                i64::MIN,
            ];
            edges[rng.random_range(0..edges.len())]
                .to_string()
                .into_bytes()
        }
        1 => rng.random::<i64>().to_string().into_bytes(),
        2 => rng
            .random_range(-100_000i64..100_000)
            .to_string()
            .into_bytes(),
        3 => {
            let odd = ["007", "-0", "+5", "", "1e3", " 9"];
            odd[rng.random_range(0..odd.len())].as_bytes().to_vec()
        }
        4 => {
            let len = rng.random_range(60..70);
            vec![b'm'; len]
        }
        5 if rng.random_range(0..10) == 0 => {
            let len = rng.random_range(4090..4100);
            vec![b'L'; len]
        }
        _ => {
            let len = rng.random_range(0..30);
            (0..len).map(|_| rng.random::<u8>()).collect()
        }
    }
}

#[test]
fn random_ops_against_model() {
    for seed in 0..12u64 {
        let mut rng = StdRng::seed_from_u64(0x11_57_9A_C0 + seed);
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for step in 0..600 {
            let n = model.len();
            match rng.random_range(0..11) {
                0 => {
                    let v = random_value(&mut rng);
                    lp.append(&v);
                    model.push(v);
                }
                1 => {
                    let v = random_value(&mut rng);
                    lp.prepend(&v);
                    model.insert(0, v);
                }
                2 if n > 0 => {
                    let i = rng.random_range(0..n);
                    let v = random_value(&mut rng);
                    let p = lp.seek(i as i64).unwrap();
                    let np = lp.insert_before(p, &v);
                    assert_eq!(lp.get(np).to_vec(), v);
                    model.insert(i, v);
                }
                3 if n > 0 => {
                    let i = rng.random_range(0..n);
                    let v = random_value(&mut rng);
                    let p = lp.seek(i as i64 - n as i64).unwrap();
                    let np = lp.insert_after(p, &v);
                    assert_eq!(lp.get(np).to_vec(), v);
                    model.insert(i + 1, v);
                }
                4 if n > 0 => {
                    let i = rng.random_range(0..n);
                    let v = random_value(&mut rng);
                    let p = lp.seek(i as i64).unwrap();
                    lp.replace(p, &v);
                    model[i] = v;
                }
                5 if n > 0 => {
                    let i = rng.random_range(0..n);
                    let p = lp.seek(i as i64).unwrap();
                    let next = lp.delete(p);
                    model.remove(i);
                    assert_eq!(next.map(|q| lp.get(q).to_vec()), model.get(i).cloned());
                }
                6 => {
                    let idx = rng.random_range(-(n as i64) - 2..n as i64 + 2);
                    let count = rng.random_range(0..6);
                    lp.delete_range(idx, count);
                    let start = if idx < 0 { idx + n as i64 } else { idx };
                    if (0..n as i64).contains(&start) && count > 0 {
                        let s = start as usize;
                        let e = (s + count).min(n);
                        model.drain(s..e);
                    }
                }
                7 => {
                    let k = rng.random_range(0..5);
                    let vs: Vec<Vec<u8>> = (0..k).map(|_| random_value(&mut rng)).collect();
                    lp.append_many(&vs);
                    model.extend(vs);
                }
                8 => {
                    let v: i64 = match rng.random_range(0..3) {
                        0 => rng.random(),
                        1 => rng.random_range(-5000..5000),
                        _ => rng.random_range(-10_000_000..10_000_000),
                    };
                    if rng.random_bool(0.5) {
                        lp.append_int(v);
                        model.push(v.to_string().into_bytes());
                    } else {
                        lp.prepend_int(v);
                        model.insert(0, v.to_string().into_bytes());
                    }
                }
                9 if n > 0 => {
                    // find with skip from a random start.
                    let i = rng.random_range(0..n);
                    let skip = rng.random_range(0..3);
                    let needle = model[rng.random_range(0..n)].clone();
                    let want = (i..n)
                        .step_by(skip + 1)
                        .find(|&j| model[j] == needle || int_eq(&model[j], &needle));
                    let got = lp.find(lp.seek(i as i64).unwrap(), &needle, skip);
                    assert_eq!(got, want.map(|j| lp.seek(j as i64).unwrap()));
                }
                10 if n > 0 => {
                    let i = rng.random_range(0..n);
                    let p = lp.seek(i as i64).unwrap();
                    let cnt = rng.random_range(0..4);
                    let next = lp.delete_range_at(p, cnt);
                    let e = (i + cnt).min(n);
                    model.drain(i..e);
                    assert_eq!(next.map(|q| lp.get(q).to_vec()), model.get(i).cloned());
                }
                _ => {}
            }
            if step % 7 == 0 || model.len() < 5 {
                check(&lp, &model);
            } else {
                assert_eq!(lp.len(), model.len());
            }
        }
        check(&lp, &model);
    }
}

/// Both canonical integers with the same value (how the listpack compares).
fn int_eq(a: &[u8], b: &[u8]) -> bool {
    matches!((parse_i64(a), parse_i64(b)), (Some(x), Some(y)) if x == y)
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

fn set_total(b: &mut [u8]) {
    let n = b.len() as u32;
    b[..4].copy_from_slice(&n.to_le_bytes());
}

#[test]
fn validate_rejects_known_corruptions() {
    let good = build(&["hello", "12", "-300", "x"]).into_bytes();
    assert!(Listpack::validate(&good, true));
    assert!(Listpack::validate(&good, false));
    // Too short / empty.
    assert!(!Listpack::validate(&[], true));
    assert!(!Listpack::validate(&good[..6], false));
    // Truncated: total mismatch.
    assert!(!Listpack::validate(&good[..good.len() - 1], false));
    // Missing terminator.
    let mut b = good.clone();
    *b.last_mut().unwrap() = 0;
    assert!(!Listpack::validate(&b, false));
    // Wrong count (shallow passes, deep fails); unknown count is fine.
    let mut b = good.clone();
    b[4] = 3;
    assert!(Listpack::validate(&b, false));
    assert!(!Listpack::validate(&b, true));
    b[4] = 0xFF;
    b[5] = 0xFF;
    assert!(Listpack::validate(&b, true));
    // Bad backlen of the first entry ("hello": 6 bytes + backlen 6).
    let mut b = good.clone();
    b[HDR_SIZE + 6] = 7;
    assert!(!Listpack::validate(&b, true));
    // Invalid encoding byte.
    let mut b = good.clone();
    b[HDR_SIZE] = 0xF5;
    assert!(!Listpack::validate(&b, true));
    // A 32-bit string claiming 4 GB.
    let mut b = vec![0u8; 6];
    b.extend_from_slice(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x01, 0xFF]);
    set_total(&mut b);
    assert!(!Listpack::validate(&b, true));
    // Terminator in the middle (entries end early).
    let mut b = good.clone();
    let second = HDR_SIZE + 7;
    b[second] = 0xFF;
    assert!(!Listpack::validate(&b, true));
    // Extra bytes after a valid body.
    let mut b = good.clone();
    b.insert(b.len() - 1, 0x00);
    set_total(&mut b);
    assert!(!Listpack::validate(&b, true));
    // validate_with sees every entry and can veto.
    let mut seen = Vec::new();
    assert!(Listpack::validate_with(&good, |v| {
        seen.push(v.to_vec());
        true
    }));
    assert_eq!(
        seen,
        [
            b"hello".to_vec(),
            b"12".to_vec(),
            b"-300".to_vec(),
            b"x".to_vec()
        ]
    );
    assert!(!Listpack::validate_with(&good, |v| v != LpValue::Int(-300)));
    assert!(Listpack::from_untrusted(good[..good.len() - 1].to_vec()).is_none());
}

/// Use every read path; must not panic on anything deep validation passed.
fn exercise(lp: &Listpack) {
    let fwd: Vec<Vec<u8>> = lp.iter().map(|v| v.to_vec()).collect();
    let mut bwd: Vec<Vec<u8>> = lp.iter().rev().map(|v| v.to_vec()).collect();
    bwd.reverse();
    assert_eq!(fwd, bwd);
    assert_eq!(fwd.len(), lp.len());
    let n = fwd.len() as i64;
    for i in [-n - 1, -n, -1, 0, n / 2, n - 1, n] {
        if let Some(p) = lp.seek(i) {
            lp.get(p);
            lp.next(p);
            lp.prev(p);
        }
    }
    if let Some(f) = lp.first() {
        lp.find(f, b"needle", 1);
        lp.find(f, b"12", 0);
    }
    lp.last();
}

#[test]
fn validate_fuzz_never_panics() {
    let mut rng = StdRng::seed_from_u64(0xF022);
    let seeds: Vec<Vec<u8>> = vec![
        build(&["a", "1", "300", "-5", "hello", "70000"]).into_bytes(),
        build(&[&b"k"[..], &[b'v'; 70], b"-9223372036854775808", b"", b"x"]).into_bytes(),
        build(&[vec![b'q'; 300], b"127".to_vec(), b"128".to_vec()]).into_bytes(),
        Listpack::new().into_bytes(),
    ];
    let mut accepted = 0;
    for round in 0..20000 {
        let mut b = seeds[round % seeds.len()].clone();
        let edits = rng.random_range(1..4);
        for _ in 0..edits {
            if b.is_empty() {
                break;
            }
            match rng.random_range(0..6) {
                0 => {
                    let i = rng.random_range(0..b.len());
                    b[i] ^= 1 << rng.random_range(0..8);
                }
                1 => {
                    let i = rng.random_range(0..b.len());
                    b[i] = rng.random();
                }
                2 => {
                    let l = rng.random_range(0..=b.len());
                    b.truncate(l);
                }
                3 => {
                    let i = rng.random_range(0..=b.len());
                    b.insert(i, rng.random());
                }
                4 => {
                    let i = rng.random_range(0..b.len());
                    b.remove(i);
                }
                _ => {
                    let i = rng.random_range(HDR_SIZE.min(b.len())..=b.len());
                    let special = [0x80, 0xBF, 0xE0, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x7F, 0xC0];
                    b.insert(i, special[rng.random_range(0..special.len())]);
                }
            }
        }
        // Usually fix up the header so the mutation reaches the entry checks.
        if b.len() >= 4 && rng.random_bool(0.8) {
            set_total(&mut b);
        }
        if b.len() >= EMPTY_BYTES && rng.random_bool(0.5) {
            *b.last_mut().unwrap() = EOF;
        }
        let shallow = Listpack::validate(&b, false);
        if Listpack::validate(&b, true) {
            assert!(shallow);
            accepted += 1;
            exercise(&Listpack::from_bytes(b.clone()));
            let mut lp = Listpack::from_bytes(b);
            // Mutations on an accepted listpack keep it valid.
            lp.append(b"tail");
            if let Some(f) = lp.first() {
                lp.delete(f);
            }
            assert!(Listpack::validate(lp.as_bytes(), true));
        }
    }
    // Some mutations (e.g. a changed string byte) keep it valid.
    eprintln!("fuzz: {accepted} mutated buffers accepted");
    assert!(accepted > 100, "accepted {accepted}");
}
