//! `dcams_client_save_document_images` takes paths as the OS does (issue 9,
//! defect 10): any bytes but NUL, UTF-8 or not, like the upload side. Called
//! as C would, against a local sandbox: the images land at the non-UTF-8
//! paths, byte-identical to what was uploaded, and nothing else is left in
//! the directory.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use base64::Engine;
use dcams::client::dcams_client_save_document_images;
use dcams_abi_kit::{jpeg, scratch, service_call, Client};
use dcams_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

#[test]
fn images_are_saved_to_paths_that_are_not_utf8() {
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("sandbox");
    let client = Client::new(&json!({
        "environment": false, "endpoint": sandbox.url(), "user": "sandbox-user", "pass": "sandbox-pass"
    }));
    let front = jpeg();
    let back: Vec<u8> = front.iter().rev().copied().collect::<Vec<_>>();
    let mut back_png = b"\x89PNG\r\n\x1a\n".to_vec();
    back_png.extend_from_slice(&back[..5000]);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let request =
        json!({"target": {"email": "paths@example.com", "documents": {"front": b64(front), "back": b64(&back_png)}}});
    let upsert = client.call_json(&CString::new(request.to_string()).unwrap()).expect("rule");
    assert_eq!(upsert.code, 0, "{}", upsert.json);

    let dir = scratch().join("non-utf8");
    std::fs::create_dir_all(&dir).unwrap();
    let name = |bytes: &[u8]| dir.join(OsStr::from_bytes(bytes));
    let (front_path, back_path): (PathBuf, PathBuf) = (name(b"front-\xff\xfe.jpg"), name(b"back-\xe9t\xe9.png"));
    let c = |p: &PathBuf| CString::new(p.as_os_str().as_bytes()).unwrap();
    let (fp, bp) = (c(&front_path), c(&back_path));
    let email = c"paths@example.com";
    // SAFETY: a live client, C strings, out-pointers from service_call.
    let saved = service_call(|r, e| unsafe {
        dcams_client_save_document_images(
            client.0,
            email.as_ptr(),
            fp.as_ptr(),
            bp.as_ptr(),
            std::ptr::null_mut(),
            r,
            e,
        )
    })
    .expect("rule");
    assert_eq!(saved.code, 0, "{}", saved.json);
    assert!(std::fs::read(&front_path).unwrap() == front, "front differs");
    assert!(std::fs::read(&back_path).unwrap() == back_png, "back differs");
    let mut left: Vec<Vec<u8>> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().as_bytes().to_vec()).collect();
    left.sort();
    assert_eq!(left, [b"back-\xe9t\xe9.png".to_vec(), b"front-\xff\xfe.jpg".to_vec()]);
    assert_eq!(saved.json["target"]["documents"]["front_bytes"], front.len());
}
