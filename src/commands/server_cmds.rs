//! (filled in by its family's work)

use super::Handler;

pub const COMMANDS: &[(&str, Handler)] = &[];
