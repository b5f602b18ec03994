//! Small shared helpers: number parsing and formatting with Redis's exact
//! rules, glob matching, time, geohash arithmetic.

pub mod geohash;
pub mod glob;
pub mod num;
pub mod pqsort;
pub mod time;

/// An owned copy of an argument that outlives its command (a subscription,
/// a watched or tracked key, a slow log entry). Arguments are slices of the
/// client's read buffer and would otherwise keep the whole buffer (16 KiB
/// or more) alive for as long as they are kept.
pub fn owned(arg: &bytes::Bytes) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(arg)
}
