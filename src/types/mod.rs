//! Values stored in the keyspace and their representations.

pub mod hash;
pub mod hll;
pub mod list;
pub mod set;
pub mod small;
pub mod stream;
pub mod value;
pub mod zset;

pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use small::SmallBytes;
pub use stream::Stream;
pub use value::{Obj, Value};
