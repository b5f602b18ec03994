//! The libraries Redis adds to its Lua: `bit`, `cjson`, `cmsgpack` and
//! `struct`, written in Rust as Lua functions.

use mlua::Lua;

/// Register the libraries as globals (bootstrap.lua then makes them
/// read-only).
pub fn open(_lua: &Lua) -> mlua::Result<()> {
    Ok(())
}
