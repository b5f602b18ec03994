pub mod listpack;
