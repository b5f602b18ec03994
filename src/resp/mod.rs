//! RESP, the Redis serialization protocol: the incremental request parser and
//! the reply encoder for RESP2 and RESP3.

pub mod encode;
pub mod parser;
pub mod splitargs;

pub use encode::Reply;
pub use parser::{Limits, Parser, ProtocolError};
