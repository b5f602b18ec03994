//! Round trips writer → reader for every type and encoding, and refusals of
//! malformed input.

use super::*;
use crate::persistence::rdb::{self, WriteOpts};
use crate::types::value::Value;

fn roundtrip(v: &Value, compress: bool, opts: &LoadOpts) -> Value {
    let p = rdb::dump_payload(v, compress);
    assert!(verify_dump_payload(&p));
    read_dump_value(&p, opts).expect("reads back")
}

fn list_of(items: &[Vec<u8>]) -> Value {
    let mut l = List::new();
    for i in items {
        l.push(i, End::Tail);
    }
    Value::List(Box::new(l))
}

fn list_items(v: &Value) -> Vec<Vec<u8>> {
    let Value::List(l) = v else { panic!() };
    l.to_vec()
}

fn hash_pairs(v: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    let Value::Hash(h) = v else { panic!() };
    let mut p: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
    p.sort();
    p
}

fn set_members(v: &Value) -> Vec<Vec<u8>> {
    let Value::Set(s) = v else { panic!() };
    let mut m: Vec<_> = s.iter().map(|m| m.to_vec()).collect();
    m.sort();
    m
}

#[test]
fn strings() {
    for s in [&b"hello"[..], b"12", b"-70000", b"12345678901234", b"0012"] {
        let v = Value::from_bytes(s);
        let back = roundtrip(&v, true, &LoadOpts::default());
        assert_eq!(back.string_bytes().as_ref(), s);
    }
    let long: Vec<u8> = (0..5000).map(|i| b"abcdefgh"[i % 8]).collect();
    let v = Value::from_bytes(&long);
    assert!(rdb::serialized_len(&v, true) < 200);
    assert_eq!(
        roundtrip(&v, true, &LoadOpts::default())
            .string_bytes()
            .as_ref(),
        &long[..]
    );
    assert_eq!(
        roundtrip(&v, false, &LoadOpts::default())
            .string_bytes()
            .as_ref(),
        &long[..]
    );
}

#[test]
fn lists() {
    let items: Vec<Vec<u8>> = (0..3000)
        .map(|i| {
            if i % 3 == 0 {
                i.to_string().into_bytes()
            } else {
                format!("element-{i}").into_bytes()
            }
        })
        .collect();
    let v = list_of(&items);
    assert_eq!(
        list_items(&roundtrip(&v, true, &LoadOpts::default())),
        items
    );
}

#[test]
fn hashes_both_encodings_and_conversion() {
    let mut h = Hash::new();
    for i in 0..10 {
        h.set(
            format!("f{i}").as_bytes(),
            &i.to_string().into_bytes(),
            hash::Limits::default(),
        );
    }
    let v = Value::Hash(Box::new(h));
    let back = roundtrip(&v, true, &LoadOpts::default());
    assert_eq!(hash_pairs(&back), hash_pairs(&v));
    let Value::Hash(b) = &back else { panic!() };
    assert_eq!(b.encoding(), "listpack");
    // Fewer allowed entries on load: converted.
    let small = LoadOpts {
        hash: hash::Limits {
            max_entries: 4,
            max_value: 64,
        },
        ..LoadOpts::default()
    };
    let Value::Hash(b) = roundtrip(&v, true, &small) else {
        panic!()
    };
    assert_eq!(b.encoding(), "hashtable");
    // A table hash.
    let mut h = Hash::new();
    h.convert();
    for i in 0..300 {
        h.set(format!("f{i}").as_bytes(), b"v", hash::Limits::default());
    }
    let v = Value::Hash(Box::new(h));
    let back = roundtrip(&v, true, &LoadOpts::default());
    assert_eq!(hash_pairs(&back), hash_pairs(&v));
}

#[test]
fn sets_both_encodings() {
    let mut s = Set::new();
    for i in [5i64, -3, 100000, 7] {
        s.add(i.to_string().as_bytes(), 512);
    }
    let v = Value::Set(Box::new(s));
    let back = roundtrip(&v, true, &LoadOpts::default());
    assert_eq!(set_members(&back), set_members(&v));
    let Value::Set(b) = &back else { panic!() };
    assert_eq!(b.encoding(), "intset");
    let mut s = Set::new();
    for i in 0..100 {
        s.add(format!("m{i}").as_bytes(), 512);
    }
    let v = Value::Set(Box::new(s));
    assert_eq!(
        set_members(&roundtrip(&v, true, &LoadOpts::default())),
        set_members(&v)
    );
}

#[test]
fn zsets_both_encodings() {
    let mut z = ZSet::new_listpack();
    let l = zset::Limits::default();
    for (i, m) in ["a", "b", "c"].iter().enumerate() {
        z.insert(m.as_bytes(), i as f64 + 0.5, l);
    }
    let v = Value::ZSet(Box::new(z));
    let Value::ZSet(b) = roundtrip(&v, true, &LoadOpts::default()) else {
        panic!()
    };
    assert_eq!(b.encoding(), "listpack");
    let Value::ZSet(a) = &v else { panic!() };
    assert_eq!(b.all(), a.all());
    let mut z = ZSet::new_skiplist();
    for i in 0..500 {
        z.insert(format!("m{i}").as_bytes(), (i as f64) * 1.25 - 3.0, l);
    }
    z.insert(b"inf", f64::INFINITY, l);
    let v = Value::ZSet(Box::new(z));
    let Value::ZSet(b) = roundtrip(&v, true, &LoadOpts::default()) else {
        panic!()
    };
    let Value::ZSet(a) = &v else { panic!() };
    assert_eq!(b.encoding(), "skiplist");
    assert_eq!(b.all(), a.all());
}

#[test]
fn payload_corruption_never_panics() {
    let mut h = Hash::new();
    for i in 0..5 {
        h.set(
            format!("f{i}").as_bytes(),
            b"value",
            hash::Limits::default(),
        );
    }
    let values = [
        Value::Hash(Box::new(h)),
        list_of(&[b"a".to_vec(), b"12".to_vec(), b"xyz".to_vec()]),
        Value::from_bytes(&[b'q'; 100]),
    ];
    for v in &values {
        let mut body = vec![rdb::type_byte(v)];
        rdb::write_value(&mut body, v, true);
        for cut in 0..body.len() {
            let mut r = Reader::new(&body[1..cut.max(1)]);
            let _ = read_value(&mut r, body[0], &LoadOpts::default());
        }
        for i in 1..body.len() {
            for bit in 0..8 {
                let mut b = body.clone();
                b[i] ^= 1 << bit;
                let mut r = Reader::new(&b[1..]);
                let _ = read_value(&mut r, b[0], &LoadOpts::default());
            }
        }
    }
}

#[test]
fn whole_file_roundtrip_and_checks() {
    let opts = WriteOpts {
        compress: true,
        now_ms: 1_000_000,
    };
    let mut out = Vec::new();
    rdb::write_header(&mut out, &[("redis-ver", b"7.0.15".to_vec())]);
    rdb::write_select_db(&mut out, 2, 2, 1);
    let o = Obj::new(Value::from_bytes(b"v1"), 0);
    rdb::write_entry(&mut out, b"k1", &o, Some(i64::MAX / 2), &opts);
    rdb::write_entry(&mut out, b"k2", &o, None, &opts);
    rdb::write_entry(&mut out, b"gone", &o, Some(5), &opts);
    rdb::write_eof(&mut out);
    let crc = rdb::crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    let (dbs, info) = load_file(&out, 16, &LoadOpts::default(), 1_000_000, true).unwrap();
    assert_eq!(info.version, 10);
    assert_eq!(dbs[2].keys.len(), 2);
    assert_eq!(dbs[2].get_expire(b"k1"), Some(i64::MAX / 2));
    assert_eq!(info.expired_skipped, 1);
    // Too few databases.
    assert!(load_file(&out, 2, &LoadOpts::default(), 0, true).is_err());
    // Any truncation and a flipped byte are errors.
    for n in 0..out.len() {
        assert!(load_file(&out[..n], 16, &LoadOpts::default(), 0, true).is_err());
    }
    let mut bad = out.clone();
    bad[20] ^= 0x40;
    assert!(load_file(&bad, 16, &LoadOpts::default(), 0, true).is_err());
    // Newer version refused by name.
    let mut v11 = out.clone();
    v11[5..9].copy_from_slice(b"0011");
    assert_eq!(
        load_file(&v11, 16, &LoadOpts::default(), 0, true).err(),
        Some(LoadError::Unsupported(
            "Can't handle RDB format version 11".into()
        ))
    );
}

#[test]
fn function_records_and_progress() {
    let mut out = Vec::new();
    rdb::write_header(&mut out, &[("used-mem", b"12345".to_vec())]);
    // FUNCTION2: the code as loaded.
    out.push(op::FUNCTION2);
    rdb::write_string(&mut out, b"#!lua name=a\nbody", false);
    // FUNCTION (7.0 release candidates): name, engine, a description, body.
    out.push(op::FUNCTION);
    for s in [&b"b"[..], b"LUA"] {
        rdb::write_string(&mut out, s, false);
    }
    rdb::write_len(&mut out, 1);
    for s in [&b"desc"[..], b"return 1"] {
        rdb::write_string(&mut out, s, false);
    }
    rdb::write_select_db(&mut out, 0, 2, 0);
    let o = Obj::new(Value::from_bytes(b"v"), 0);
    let opts = WriteOpts {
        compress: false,
        now_ms: 0,
    };
    rdb::write_entry(&mut out, b"k1", &o, None, &opts);
    rdb::write_entry(&mut out, b"k2", &o, Some(5), &opts);
    rdb::write_eof(&mut out);
    out.extend_from_slice(&[0; 8]);
    let mut seen = Vec::new();
    let (dbs, info) = load_file_with(&out, 16, &LoadOpts::default(), 1000, true, &mut |pos, i| {
        seen.push((pos, i.used_mem))
    })
    .unwrap();
    assert_eq!(
        info.functions,
        vec![
            b"#!lua name=a\nbody".to_vec(),
            b"#!LUA name=b\nreturn 1".to_vec()
        ]
    );
    assert_eq!(info.used_mem, 12345);
    assert_eq!(dbs[0].keys.len(), 1);
    assert_eq!(info.expired_keys, vec![(0, b"k2".to_vec())]);
    // Not a master's own file: expired keys are loaded too.
    let keep = LoadOpts {
        keep_expired: true,
        ..LoadOpts::default()
    };
    let (dbs, info) = load_file(&out, 16, &keep, 1000, true).unwrap();
    assert_eq!((dbs[0].keys.len(), info.expired_skipped), (2, 0));
    // Once per key, with growing offsets.
    assert_eq!(seen.len(), 2);
    assert!(seen[0].0 < seen[1].0 && seen[1].0 < out.len());
    // A cut function record is an error naming it.
    let at = out.iter().position(|&b| b == op::FUNCTION).unwrap();
    let e = load_file(&out[..at + 4], 16, &LoadOpts::default(), 0, true)
        .err()
        .unwrap();
    assert!(e.to_string().starts_with("Failed loading library"), "{e}");
}
