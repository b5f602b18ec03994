//! Small shared helpers: number parsing and formatting with Redis's exact
//! rules, glob matching, time, geohash arithmetic.

pub mod geohash;
pub mod glob;
pub mod num;
pub mod pqsort;
pub mod time;
