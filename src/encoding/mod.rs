//! Compact encodings, byte-compatible with Redis: listpack (small hashes,
//! sorted sets, list nodes) and intset (small integer sets).

pub mod intset;
pub mod listpack;
