//! DEBUG DIGEST / DIGEST-VALUE: a SHA-1 based fingerprint of the dataset
//! that equals redis-server's for the same data, so two servers (or a
//! server before and after a reload) can be compared.
//!
//! Redis's scheme (debug.c): `xor(d, data)` xors SHA1(data) into the
//! 20-byte digest d, so unordered collections (keys, set members, hash
//! fields, sorted-set elements) give the same result in any order;
//! `mix(d, data)` is `d = SHA1(d xor SHA1(data))`, used where order matters
//! (list elements, the pieces of one element). Per key: mix the key name,
//! mix the type number, then the value as below, xor "!!expire!!" if it has
//! a TTL; the key digests are xored into the database's result, after
//! mixing each non-empty database's index. Integers are digested as their
//! decimal text and scores as `%.17g`, so encodings never matter.

use sha1_smol::Sha1;

use crate::db::Db;
use crate::types::stream::StreamId;
use crate::types::value::{Obj, Value};
use crate::util::num;

pub type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    let mut h = Sha1::new();
    h.update(data);
    h.digest().bytes()
}

/// `d ^= SHA1(data)`.
pub fn xor(d: &mut Digest, data: &[u8]) {
    for (a, b) in d.iter_mut().zip(sha1(data)) {
        *a ^= b;
    }
}

/// `d = SHA1(d ^ SHA1(data))`.
pub fn mix(d: &mut Digest, data: &[u8]) {
    xor(d, data);
    *d = sha1(d);
}

/// Redis's object type numbers (OBJ_STRING …).
fn type_number(v: &Value) -> u32 {
    match v {
        Value::Int(_) | Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// One element made of ordered parts, xored in as a whole.
fn xor_element(d: &mut Digest, parts: &[&[u8]]) {
    let mut e = [0u8; 20];
    for p in parts {
        mix(&mut e, p);
    }
    xor(d, &e);
}

/// Mix one value (and its TTL flag) into `d` (Redis's xorObjectDigest).
pub fn object(d: &mut Digest, o: &Obj, has_expire: bool) {
    mix(d, &type_number(&o.v).to_be_bytes());
    match &o.v {
        Value::Int(n) => mix(d, &num::i64_to_bytes(*n)),
        Value::Str(s) => mix(d, s.as_bytes()),
        Value::List(l) => {
            l.for_each(|e| mix(d, &e.to_vec()));
        }
        Value::Set(s) => {
            for m in s.iter() {
                xor(d, &m.to_vec());
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.all() {
                xor_element(d, &[&m, num::fmt_double_g17(score).as_bytes()]);
            }
        }
        Value::Hash(h) => {
            for (f, v) in h.iter() {
                xor_element(d, &[&f.to_vec(), &v.to_vec()]);
            }
        }
        Value::Stream(s) => {
            for e in s.range(StreamId::ZERO, StreamId::MAX) {
                mix(d, format!("{}.{}", e.id.ms, e.id.seq).as_bytes());
                for f in e.fields.iter() {
                    mix(d, f);
                }
            }
        }
    }
    if has_expire {
        xor(d, b"!!expire!!");
    }
}

/// The digest of one key's value, all zeros when the key does not exist
/// (logically expired keys still count, as in Redis).
pub fn key_value(db: &Db, key: &[u8]) -> Digest {
    let mut d = [0u8; 20];
    if let Some(o) = db.keys.get(key) {
        object(&mut d, o, db.expires.get(key).is_some());
    }
    d
}

/// The digest of every database (Redis's computeDatasetDigest).
pub fn dataset(dbs: &[Db]) -> Digest {
    let mut out = [0u8; 20];
    for (j, db) in dbs.iter().enumerate() {
        if db.keys.is_empty() {
            continue;
        }
        mix(&mut out, &(j as u32).to_be_bytes());
        for (k, o) in db.keys.iter() {
            let mut d = [0u8; 20];
            mix(&mut d, k.as_bytes());
            object(&mut d, o, db.expires.get(k.as_bytes()).is_some());
            xor(&mut out, &d);
        }
    }
    out
}

pub fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_is_order_free_and_mix_is_not() {
        let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
        xor(&mut a, b"x");
        xor(&mut a, b"y");
        xor(&mut b, b"y");
        xor(&mut b, b"x");
        assert_eq!(a, b);
        let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
        mix(&mut a, b"x");
        mix(&mut a, b"y");
        mix(&mut b, b"y");
        mix(&mut b, b"x");
        assert_ne!(a, b);
    }

    #[test]
    fn empty_dataset_is_zero() {
        assert_eq!(hex(&dataset(&[])), "0".repeat(40));
    }
}
