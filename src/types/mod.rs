//! Values stored in the keyspace and their representations.

pub mod hash;
pub mod list;
pub mod small;
pub mod value;

pub use hash::Hash;
pub use list::List;
pub use small::SmallBytes;
pub use value::{Obj, Value};
