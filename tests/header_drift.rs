//! The committed C header must be exactly what this build generates.

#[test]
fn committed_header_matches_generated() {
    let generated = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/dcams.h")).expect("build.rs wrote the header");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/dcams.h"))
        .expect("include/dcams.h exists");
    assert!(
        generated == committed,
        "include/dcams.h is stale: run `make header` and commit it (generated {} bytes, committed {} bytes)",
        generated.len(),
        committed.len()
    );
}

#[test]
fn header_version_macros_match_cargo() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/dcams.h")).unwrap();
    assert!(committed.contains(&format!("#define DCAMS_VERSION \"{}\"", env!("CARGO_PKG_VERSION"))));
    assert!(committed.contains(&format!("#define DCAMS_VERSION_MAJOR {}", env!("CARGO_PKG_VERSION_MAJOR"))));
}
