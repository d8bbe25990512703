//! The fuzz targets' shared part is the ABI test kit (`tests/kit`, also used
//! by `tests/properties.rs`): C inputs built as a C caller would, and the
//! checks every outcome must pass. A violated check is a panic here;
//! libfuzzer-sys turns any panic into an abort, so it is reported as a crash
//! with the input saved under `fuzz/artifacts/`. That also holds for a panic
//! *inside* libdcams that its boundary catches (it would be
//! `DCAMS_ERR_INTERNAL`): libfuzzer-sys' panic hook aborts first.

pub use dcams_abi_kit::*;

/// A kit check that must hold: panics (a fuzzer crash) otherwise.
pub fn must<T>(check: Check<T>) -> T {
    check.unwrap_or_else(|problem| panic!("{problem}"))
}
