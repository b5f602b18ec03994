// Builds the one C helper we need: 80-bit `long double` arithmetic for
// INCRBYFLOAT/HINCRBYFLOAT, which Rust cannot express (see
// src/util/longdouble.c).
fn main() {
    println!("cargo:rerun-if-changed=src/util/longdouble.c");
    cc::Build::new()
        .file("src/util/longdouble.c")
        .flag_if_supported("-O2")
        .compile("cinnabar_longdouble");
}
