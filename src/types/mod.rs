//! Values stored in the keyspace and their representations.

pub mod small;
pub mod value;

pub use small::SmallBytes;
pub use value::{Obj, Value};
