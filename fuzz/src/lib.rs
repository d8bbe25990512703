//! Shared by the fuzz targets: the C ABI mirrored from `include/dcams.h`, a
//! client of a dead loopback port, and the checks every outcome must pass.
//!
//! A violated check panics; libfuzzer-sys turns any panic into an abort, so
//! it is reported as a crash with the input saved under `fuzz/artifacts/`.
//! That also holds for a panic *inside* libdcams that its boundary catches
//! (it would be `DCAMS_ERR_INTERNAL`): libfuzzer-sys' panic hook aborts first.

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

// Make sure the library (and so its `#[no_mangle]` exports) is linked.
pub use dcams;

/// `struct dcams_document`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CDocument {
    pub data: *const u8,
    pub len: usize,
    pub path: *const c_char,
}

impl CDocument {
    pub const NONE: CDocument = CDocument { data: std::ptr::null(), len: 0, path: std::ptr::null() };
}

/// `struct dcams_customer`.
#[repr(C)]
pub struct CCustomer {
    pub email: *const c_char,
    pub r#fn: *const c_char,
    pub ln: *const c_char,
    pub addr: *const c_char,
    pub city: *const c_char,
    pub state: *const c_char,
    pub zip: *const c_char,
    pub dob: *const c_char,
    pub phone: *const c_char,
    pub reference: *const c_char,
    pub test_key: *const c_char,
    pub front: CDocument,
    pub back: CDocument,
}

/// `struct dcams_client` (opaque).
#[repr(C)]
pub struct CClient {
    _opaque: [u8; 0],
}

// `dcams_code` (a C enum, an `int`) is read as `i32` so an undocumented value
// is observed rather than undefined behaviour.
extern "C" {
    pub fn dcams_client_new(
        config_json: *const c_char,
        out_client: *mut *mut CClient,
        out_error: *mut *mut c_char,
    ) -> i32;
    pub fn dcams_client_free(client: *mut CClient);
    pub fn dcams_client_call_json(
        client: *const CClient,
        request_json: *const c_char,
        out_result: *mut *mut c_char,
    ) -> i32;
    pub fn dcams_client_upsert(client: *const CClient, customer: *const CCustomer, out_result: *mut *mut c_char)
        -> i32;
    pub fn dcams_code_name(code: i32) -> *const c_char;
    pub fn dcams_string_free(s: *mut c_char);
}

/// Every documented `dcams_code` but 99 (`DCAMS_ERR_INTERNAL`, a caught panic).
pub const DOCUMENTED: [i32; 22] = [0, 1, 2, 3, 4, 5, 6, 7, 20, 21, 22, 23, 24, 25, 26, 27, 29, 40, 41, 42, 43, 44];

/// Codes a dead-port client may give: input problems (1-19), or the
/// connection failing (40) or timing out (42).
pub fn dead_port_code(code: i32) -> bool {
    (1..20).contains(&code) || code == 40 || code == 42
}

/// Checks one outcome: a documented code other than 99, `out` a UTF-8 JSON
/// text which, for a failure, is an object with the same `code` and the
/// matching `name`. Frees `out`.
pub fn check_outcome(code: i32, out: *mut c_char) -> serde_json::Value {
    assert!(!out.is_null(), "result string left NULL (code {code})");
    let text = unsafe { CStr::from_ptr(out) }.to_bytes().to_vec();
    unsafe { dcams_string_free(out) };
    let text = String::from_utf8(text).expect("result is UTF-8");
    assert!(DOCUMENTED.contains(&code), "undocumented or internal code {code}: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("result is JSON");
    if code != 0 {
        let name = unsafe { CStr::from_ptr(dcams_code_name(code)) }.to_str().unwrap();
        assert_eq!(v["code"], code, "{text}");
        assert_eq!(v["name"], name, "{text}");
    }
    v
}

/// A C string of `bytes` up to the first NUL, as C would see them.
pub fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap()
}

/// A client handle shared by all runs of one target.
pub struct Client(pub *mut CClient);
// SAFETY: the header documents a client as usable from any number of threads.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

/// A client whose endpoint is a loopback port where nothing listens (bound
/// by the OS, then released), with fake credentials, no retries and short
/// timeouts: anything that passes validation fails fast with
/// `DCAMS_ERR_TRANSPORT`.
pub fn dead_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = serde_json::json!({
            "endpoint": format!("http://127.0.0.1:{port}/v3/stable/api/storage"),
            "user": "fake-user", "pass": "fake-pass", "no_proxy": true,
            "retries": 0, "timeout_ms": 2000, "connect_timeout_ms": 200,
        });
        let text = CString::new(config.to_string()).unwrap();
        let mut client = std::ptr::null_mut();
        let code = unsafe { dcams_client_new(text.as_ptr(), &mut client, std::ptr::null_mut()) };
        assert_eq!(code, 0, "dead-port client");
        Client(client)
    })
}

/// The specimen JPEG from `tests/data`.
pub fn jpeg() -> &'static [u8] {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    JPEG.get_or_init(|| std::fs::read(jpeg_path()).expect("tests/data/passport-td3.jpg"))
}

pub fn jpeg_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/passport-td3.jpg")
}
