//! Compact encodings, byte-compatible with Redis: listpack (small hashes,
//! sorted sets, list nodes), intset (small integer sets) and the quicklist
//! node (one listpack or plain element of a list, maybe LZF-compressed).

pub mod intset;
pub mod listpack;
pub mod quicklist;
