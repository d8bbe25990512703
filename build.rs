//! Generates the C header with cbindgen into OUT_DIR on every build.
//!
//! The committed copy is `include/dcams.h`; `make header` refreshes it and
//! the `header_drift` test fails when it differs from this build's output.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("dcams.h");
    let version = env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let part = |name: &str| env::var(name).expect("cargo sets the version parts");
    let macros = format!(
        "#define DCAMS_VERSION \"{version}\"\n#define DCAMS_VERSION_MAJOR {}\n#define DCAMS_VERSION_MINOR {}\n#define DCAMS_VERSION_PATCH {}",
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
    );
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    // The version macros first, then cbindgen.toml's own `after_includes` (the struct initialisers).
    config.after_includes = Some(format!("{macros}\n{}", config.after_includes.take().unwrap_or_default()));
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header")
        .write_to_file(&out);
    // SONAME libdcams.so.<major>, as cargo-c gives the installed library, so
    // that programs linked against the build tree and against an install
    // record the same dependency (`make build` adds the libdcams.so.0 link).
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdcams.so.{}", part("CARGO_PKG_VERSION_MAJOR"));
    }
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
}
