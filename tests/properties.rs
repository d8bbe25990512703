//! Property tests over the C entry points (`dcams_client_call_json`,
//! `dcams_client_upsert`, `dcams_client_new`) and the pure-Rust validators.
//!
//! The properties, for any input:
//! - no panic escapes, and none is caught either: `DCAMS_ERR_INTERNAL` (99)
//!   never appears;
//! - the returned code is one of the documented `dcams_code` values;
//! - `*out_result` is valid UTF-8 JSON; for a non-zero code it is an object
//!   whose `code` is the returned code and whose `name` is
//!   `dcams_code_name(code)`; every string is freed with `dcams_string_free`.
//!
//! Most calls go to a client whose endpoint is a loopback port where nothing
//! listens (`retries` 0, short timeouts), so whatever passes validation fails
//! fast with `DCAMS_ERR_TRANSPORT` and no network is needed; some go to the
//! in-process sandbox, a live peer. The C functions are called through
//! `extern "C"` declarations resolved against the crate's rlib.
//!
//! Case counts are sized so the whole file runs in a few seconds; set
//! `PROPTEST_CASES=N` to run N cases of every property instead.

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// The C ABI, mirrored from include/dcams.h.

/// `struct dcams_document`.
#[repr(C)]
#[derive(Clone, Copy)]
struct CDocument {
    data: *const u8,
    len: usize,
    path: *const c_char,
}

/// `struct dcams_customer`.
#[repr(C)]
struct CCustomer {
    email: *const c_char,
    r#fn: *const c_char,
    ln: *const c_char,
    addr: *const c_char,
    city: *const c_char,
    state: *const c_char,
    zip: *const c_char,
    dob: *const c_char,
    phone: *const c_char,
    reference: *const c_char,
    test_key: *const c_char,
    front: CDocument,
    back: CDocument,
}

/// `struct dcams_client` (opaque).
#[repr(C)]
struct CClient {
    _opaque: [u8; 0],
}

// `dcams_code` is a C enum (an `int`); it is read as `i32` so that an
// undocumented value would be observed rather than be undefined behaviour.
extern "C" {
    fn dcams_client_new(config_json: *const c_char, out_client: *mut *mut CClient, out_error: *mut *mut c_char) -> i32;
    fn dcams_client_free(client: *mut CClient);
    fn dcams_client_call_json(client: *const CClient, request_json: *const c_char, out_result: *mut *mut c_char) -> i32;
    fn dcams_client_upsert(client: *const CClient, customer: *const CCustomer, out_result: *mut *mut c_char) -> i32;
    fn dcams_code_name(code: i32) -> *const c_char;
    fn dcams_string_free(s: *mut c_char);
}

/// Every documented `dcams_code`.
const DOCUMENTED: [i32; 23] = [0, 1, 2, 3, 4, 5, 6, 7, 20, 21, 22, 23, 24, 25, 26, 27, 29, 40, 41, 42, 43, 44, 99];
const INTERNAL: i32 = 99;
const TRANSPORT: i32 = 40;
const TIMEOUT: i32 = 42;

fn code_name(code: i32) -> String {
    unsafe { CStr::from_ptr(dcams_code_name(code)) }.to_str().expect("code name is UTF-8").to_owned()
}

/// Checks one outcome (code + owned result string) against the universal
/// properties, frees the string and returns the parsed JSON.
fn check_outcome(code: i32, out: *mut c_char) -> Result<Value, TestCaseError> {
    // Read and free first, so a failed assertion leaks nothing.
    let text = if out.is_null() {
        None
    } else {
        let t = unsafe { CStr::from_ptr(out) }.to_bytes().to_vec();
        unsafe { dcams_string_free(out) };
        Some(t)
    };
    prop_assert_ne!(code, INTERNAL, "DCAMS_ERR_INTERNAL (a caught panic); result: {:?}", text.as_deref().map(String::from_utf8_lossy));
    prop_assert!(DOCUMENTED.contains(&code), "undocumented code {}", code);
    let text = text.ok_or_else(|| TestCaseError::fail("out_result left NULL"))?;
    let text = String::from_utf8(text).map_err(|e| TestCaseError::fail(format!("result is not UTF-8: {e}")))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("result is not JSON ({e}): {text}")))?;
    if code != 0 {
        prop_assert!(v.is_object(), "error result is not an object: {}", text);
        prop_assert_eq!(&v["code"], &json!(code), "code in the error JSON: {}", text);
        prop_assert_eq!(&v["name"], &json!(code_name(code)), "name in the error JSON: {}", text);
    }
    Ok(v)
}

/// A client handle shared by the properties of one test binary.
struct Client(*mut CClient);
// SAFETY: the header documents a client as usable from any number of threads.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

impl Client {
    fn new(config: &Value) -> Client {
        let text = CString::new(config.to_string()).unwrap();
        let mut client = std::ptr::null_mut();
        let mut error = std::ptr::null_mut();
        let code = unsafe { dcams_client_new(text.as_ptr(), &mut client, &mut error) };
        let msg = if error.is_null() { String::new() } else { unsafe { CStr::from_ptr(error) }.to_string_lossy().into_owned() };
        unsafe { dcams_string_free(error) };
        assert_eq!(code, 0, "client for {config}: {msg}");
        Client(client)
    }

    fn call_json(&self, request: &CStr) -> Result<(i32, Value), TestCaseError> {
        let mut out = std::ptr::null_mut();
        let code = unsafe { dcams_client_call_json(self.0, request.as_ptr(), &mut out) };
        Ok((code, check_outcome(code, out)?))
    }

    fn upsert(&self, customer: &CCustomer) -> Result<(i32, Value), TestCaseError> {
        let mut out = std::ptr::null_mut();
        let code = unsafe { dcams_client_upsert(self.0, customer, &mut out) };
        Ok((code, check_outcome(code, out)?))
    }
}

/// A loopback port where nothing listens: bound by the OS, then released.
fn dead_port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port())
}

fn dead_endpoint() -> String {
    format!("http://127.0.0.1:{}/v3/stable/api/storage", dead_port())
}

/// A client of the dead port, with fake credentials: anything that passes
/// validation fails fast with `DCAMS_ERR_TRANSPORT`.
fn dead_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        Client::new(&json!({
            "endpoint": dead_endpoint(), "user": "fake-user", "pass": "fake-pass", "no_proxy": true,
            "retries": 0, "timeout_ms": 2000, "connect_timeout_ms": 200,
        }))
    })
}

/// The in-process sandbox (a live peer) and a client with its credentials.
fn sandbox_client() -> &'static Client {
    static SANDBOX: OnceLock<(dcams_sandbox::Sandbox, Client)> = OnceLock::new();
    &SANDBOX
        .get_or_init(|| {
            let sb = dcams_sandbox::Sandbox::start(Default::default()).expect("sandbox starts");
            let client = Client::new(&json!({
                "endpoint": sb.url(), "user": "sandbox-user", "pass": "sandbox-pass", "no_proxy": true,
                "retries": 0, "timeout_ms": 10000,
            }));
            (sb, client)
        })
        .1
}

/// Codes a dead-port client may give: input problems, or a failed connection.
fn dead_port_code(code: i32) -> bool {
    (1..20).contains(&code) || code == TRANSPORT || code == TIMEOUT
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A runner with `n` cases (or `PROPTEST_CASES`), no failure files written.
fn runner(n: u32) -> TestRunner {
    TestRunner::new(PtConfig { cases: cases(n), failure_persistence: None, ..PtConfig::default() })
}

/// A C string of `bytes` up to the first NUL, as C would see them.
fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap()
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn jpeg() -> &'static [u8] {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    JPEG.get_or_init(|| std::fs::read(data("passport-td3.jpg")).expect("specimen JPEG"))
}

/// A per-process scratch directory for temp files (removed by the OS / tmp cleaning).
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("dcams-properties-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

// ---------------------------------------------------------------------------
// Strategies.

/// Strings that are valid e-mail addresses by the documented rule, including
/// plus-addressing and upper case.
fn good_email() -> impl Strategy<Value = String> {
    (
        "[a-zA-Z0-9!#$%&'*/=?^_`{|}~-]{1,12}(\\.[a-zA-Z0-9_-]{1,8}){0,2}",
        proptest::option::of("[a-zA-Z0-9_-]{0,8}"),
        vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", 1..4),
        "[a-zA-Z][a-zA-Z0-9]{1,6}",
    )
        .prop_map(|(local, tag, labels, tld)| {
            let tag = tag.map(|t| format!("+{t}")).unwrap_or_default();
            format!("{local}{tag}@{}.{tld}", labels.join("."))
        })
}

/// A real calendar date in 1800–2999, written YYYYMMDD.
fn good_dob() -> impl Strategy<Value = String> {
    (1800u32..=2999, 1u32..=12, 1u32..=31).prop_map(|(y, m, d)| {
        let d = d.min(days_in_month(y, m));
        format!("{y:04}{m:02}{d:02}")
    })
}

/// Date-like strings, mostly 8 digits, many of them not real dates.
fn any_dob() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => good_dob(),
        3 => (1700u32..3100, 0u32..14, 0u32..34).prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}")),
        2 => "[0-9]{8}",
        1 => "[0-9]{0,10}",
        1 => "[0-9+ -/]{6,10}",
        1 => "\\PC{0,10}",
    ]
}

fn days_in_month(y: u32, m: u32) -> u32 {
    // Independent of the library: the day before the first of next month.
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny as i64, nm as i64, 1) - days_from_civil(y as i64, m as i64, 1)) as u32
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm);
/// `d` may be out of the month's range, it then counts on into the next month.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// The dob oracle: eight ASCII digits whose date survives a round trip
/// through a day count, in 1800–2999.
fn dob_oracle(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n = |r: std::ops::Range<usize>| b[r].iter().fold(0i64, |acc, &c| acc * 10 + i64::from(c - b'0'));
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    (1800..=2999).contains(&y)
        && (1..=12).contains(&m)
        && (1..=31).contains(&d)
        && civil_from_days(days_from_civil(y, m, d)) == (y, m, d)
}

/// Bytes that start like an image often, or are random.
fn image_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let magic = prop::sample::select(vec![
        &b"\xFF\xD8\xFF\xE0"[..],
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"%PDF-1.7",
        b"II*\0",
        b"BM\0\0\0\0",
        b"\0\0\0\x18ftypheic",
        b"",
        b"",
    ]);
    (magic, vec(any::<u8>(), 0..48)).prop_map(|(m, rest)| [m, &rest[..]].concat())
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Base64-ish document strings: canonical base64 of image-like bytes with a
/// `data:` prefix, CR/LF wrapping or missing padding, or near-base64 junk
/// (non-ASCII included), or a value of the wrong type.
fn any_document() -> impl Strategy<Value = Value> {
    let encoded = (image_like_bytes(), 0u8..4, 0usize..5, any::<bool>()).prop_map(|(bytes, prefix, wrap, strip)| {
        let mut s = b64(&bytes);
        if strip {
            s = s.trim_end_matches('=').to_owned();
        }
        if wrap > 0 {
            s = s.as_bytes().chunks(wrap * 4).map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap())).collect();
        }
        let prefix = ["", "data:image/jpeg;base64,", "DATA:image/png;BASE64,", "data:image/png,"][prefix as usize];
        Value::String(format!("{prefix}{s}"))
    });
    prop_oneof![
        6 => encoded,
        2 => "[A-Za-z0-9+/=\r\n ]{0,24}".prop_map(Value::String),
        2 => "[A-Za-z0-9+/=é€ü\u{1F600}]{0,12}".prop_map(Value::String),
        1 => "(data:|DATA:|data:;base64|data:image/png;base64,)[A-Za-z0-9+/=,é]{0,12}".prop_map(Value::String),
        1 => json_leaf(),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN/inf become null
        "\\PC{0,16}".prop_map(Value::String),
        ".{0,8}".prop_map(Value::String),
    ]
}

/// Member names the entry points know, and some they do not.
fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "user", "pass", "service", "reference", "target", "email", "dob", "documents", "front", "back",
            "test_key", "status", "fn", "zip",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
}

/// Arbitrary JSON values (recursive), with known member names in objects.
fn any_json() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(member_name(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One member of an object: absent, a well-formed value, or anything.
fn member(good: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![2 => Just(None), 6 => good.prop_map(Some), 1 => json_leaf().prop_map(Some)]
}

fn object(members: Vec<(&'static str, Option<Value>)>, extra: Option<(String, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in members {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    }
    if let Some((k, v)) = extra {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn strings(s: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Value> {
    s.prop_map(Value::String).boxed()
}

/// Requests near the documented shape: every member randomly present,
/// absent, of the wrong type or mutated.
fn near_valid_request(user: &'static str, pass: &'static str) -> impl Strategy<Value = Value> {
    let documents = (member(any_document()), member(any_document()), proptest::option::weighted(0.1, ("\\PC{1,6}", json_leaf())))
        .prop_map(|(front, back, extra)| object(vec![("front", front), ("back", back)], extra));
    let target = (
        member(prop_oneof![4 => strings(good_email()), 1 => strings("\\PC{0,20}".boxed()), 1 => strings("[a-z]{1,5}@[a-z]{1,5}".boxed())]),
        member(strings(any_dob())),
        member(prop_oneof![4 => documents.boxed(), 1 => json_leaf().boxed()]),
        member(strings(prop::sample::select(vec!["PASS", "PENDING", "FAIL", "pass", ""]).prop_map(str::to_owned))),
        member(strings("\\PC{0,10}".boxed())),
        proptest::option::weighted(0.2, (member_name(), json_leaf())),
    )
        .prop_map(|(email, dob, documents, status, test_key, extra)| {
            object(vec![("email", email), ("dob", dob), ("documents", documents), ("status", status), ("test_key", test_key)], extra)
        });
    let service = prop::sample::select(vec!["createOrUpdateCustomer", "getStatus", "getDocumentImages", "updateStatus", "createCustomer"]);
    (
        member(prop_oneof![5 => Just(Value::from(user)), 1 => strings("\\PC{0,8}".boxed())]),
        member(prop_oneof![5 => Just(Value::from(pass)), 1 => strings("\\PC{0,8}".boxed())]),
        member(service.prop_map(Value::from)),
        member(strings("\\PC{0,12}".boxed())),
        prop_oneof![8 => target.prop_map(Some).boxed(), 1 => Just(None).boxed(), 1 => any_json().prop_map(Some).boxed()],
        proptest::option::weighted(0.2, (member_name(), any_json())),
    )
        .prop_map(|(user, pass, service, reference, target, extra)| {
            object(vec![("user", user), ("pass", pass), ("service", service), ("reference", reference), ("target", target)], extra)
        })
}

/// How a request value is written: compact, pretty (CR/LF-free), or with
/// CR/LF and tabs as white space.
fn render(v: &Value, style: u8) -> String {
    match style % 3 {
        0 => v.to_string(),
        1 => serde_json::to_string_pretty(v).unwrap(),
        _ => serde_json::to_string_pretty(v).unwrap().replace('\n', "\r\n\t"),
    }
}

// ---------------------------------------------------------------------------
// JSON entry point.

#[test]
fn call_json_arbitrary_bytes() {
    runner(384)
        .run(&vec(any::<u8>(), 0..256), |bytes| {
            let (code, _) = dead_client().call_json(&c_string(&bytes))?;
            prop_assert!(dead_port_code(code), "code {}", code);
            Ok(())
        })
        .unwrap();
}

#[test]
fn call_json_arbitrary_json_values() {
    runner(384)
        .run(&(any_json(), any::<u8>()), |(v, style)| {
            let (code, _) = dead_client().call_json(&c_string(render(&v, style).as_bytes()))?;
            prop_assert!(dead_port_code(code), "code {}", code);
            Ok(())
        })
        .unwrap();
}

#[test]
fn call_json_near_valid_requests_dead_port() {
    runner(384)
        .run(&(near_valid_request("fake-user", "fake-pass"), any::<u8>()), |(v, style)| {
            let (code, _) = dead_client().call_json(&c_string(render(&v, style).as_bytes()))?;
            prop_assert!(dead_port_code(code), "code {}", code);
            Ok(())
        })
        .unwrap();
}

#[test]
fn call_json_near_valid_requests_live_sandbox() {
    runner(128)
        .run(&(near_valid_request("sandbox-user", "sandbox-pass"), any::<u8>()), |(v, style)| {
            let (code, reply) = sandbox_client().call_json(&c_string(render(&v, style).as_bytes()))?;
            if code == 0 {
                prop_assert!(reply.is_object(), "reply {}", reply);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn call_json_null_arguments() {
    let request = CString::new(r#"{"target":{"email":"a@example.com"}}"#).unwrap();
    let mut out = std::ptr::null_mut();
    let code = unsafe { dcams_client_call_json(std::ptr::null(), request.as_ptr(), &mut out) };
    assert_eq!(code, 1);
    check_outcome(code, out).unwrap();
    let code = unsafe { dcams_client_call_json(dead_client().0, std::ptr::null(), &mut out) };
    assert_eq!(code, 1);
    check_outcome(code, out).unwrap();
    let code = unsafe { dcams_client_call_json(dead_client().0, request.as_ptr(), std::ptr::null_mut()) };
    assert_eq!(code, 1);
}

// ---------------------------------------------------------------------------
// Struct entry point.

/// One string field of `dcams_customer`.
#[derive(Debug, Clone)]
enum Text {
    Null,
    Empty,
    Utf8(String),
    BadUtf8(Vec<u8>),
}

impl Text {
    fn bad(&self) -> bool {
        matches!(self, Text::BadUtf8(_))
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Text::Empty => Some(""),
            Text::Utf8(s) => Some(s),
            _ => None,
        }
    }
}

fn bad_utf8() -> impl Strategy<Value = Vec<u8>> {
    let seq = prop::sample::select(vec![
        &b"\xFF"[..],
        b"\xC3",
        b"\xED\xA0\x80",
        b"\xF4\x90\x80\x80",
        b"\xC0\x80",
        b"\x80",
        b"\xE2\x82",
    ]);
    ("[a-z@.]{0,6}", seq, "[a-z]{0,6}").prop_map(|(a, s, b)| [a.as_bytes(), s, b.as_bytes()].concat())
}

fn text(good: impl Strategy<Value = String> + 'static) -> impl Strategy<Value = Text> {
    prop_oneof![
        2 => Just(Text::Null),
        1 => Just(Text::Empty),
        5 => good.prop_map(Text::Utf8),
        1 => bad_utf8().prop_map(Text::BadUtf8),
    ]
}

fn any_text() -> impl Strategy<Value = Text> {
    text("\\PC{0,16}".boxed())
}

/// A document path.
#[derive(Debug, Clone)]
enum PathKind {
    Missing,
    MissingBadUtf8,
    Empty,
    Directory,
    /// A temp file holding these bytes.
    TempFile(Vec<u8>),
    Jpeg,
}

/// One `dcams_document`.
#[derive(Debug, Clone)]
enum Doc {
    /// data NULL, len 0, path NULL.
    Absent,
    /// data NULL, len > 0, path NULL.
    LenWithoutData(usize),
    /// data into `buf` (never NULL, also when empty), len ≤ buf.len().
    Bytes { buf: Vec<u8>, len: usize },
    /// data = the specimen JPEG, len = a prefix of it (≥ 1) or all of it.
    Jpeg { len: usize },
    /// data NULL, path set, len usually 0.
    Path { kind: PathKind, len: usize },
    /// data and path both set.
    Both,
}

fn any_doc() -> impl Strategy<Value = Doc> {
    let path_kind = prop_oneof![
        2 => Just(PathKind::Missing),
        1 => Just(PathKind::MissingBadUtf8),
        1 => Just(PathKind::Empty),
        1 => Just(PathKind::Directory),
        3 => image_like_bytes().prop_map(PathKind::TempFile),
        1 => Just(PathKind::TempFile(Vec::new())),
        3 => Just(PathKind::Jpeg),
    ];
    prop_oneof![
        2 => Just(Doc::Absent),
        1 => (1usize..=usize::MAX).prop_map(Doc::LenWithoutData),
        4 => image_like_bytes().prop_flat_map(|buf| {
            let n = buf.len();
            (Just(buf), prop_oneof![3 => Just(n), 1 => 0..=n])
        }).prop_map(|(buf, len)| Doc::Bytes { buf, len }),
        3 => prop_oneof![3 => Just(jpeg().len()), 1 => 1..=jpeg().len()].prop_map(|len| Doc::Jpeg { len }),
        4 => (path_kind, prop_oneof![6 => Just(0usize), 1 => 1usize..=usize::MAX]).prop_map(|(kind, len)| Doc::Path { kind, len }),
        1 => Just(Doc::Both),
    ]
}

#[derive(Debug, Clone)]
struct CustomerInput {
    email: Text,
    others: [Text; 9], // fn, ln, addr, city, state, zip, dob, phone, reference
    test_key: Text,
    front: Doc,
    back: Doc,
}

const DOB: usize = 6;

fn any_customer() -> impl Strategy<Value = CustomerInput> {
    let email = text(prop_oneof![3 => good_email(), 1 => "\\PC{0,20}"].boxed());
    let others = (
        any_text(),
        any_text(),
        any_text(),
        any_text(),
        any_text(),
        any_text(),
        text(any_dob().boxed()),
        any_text(),
        any_text(),
    )
        .prop_map(|(a, b, c, d, e, f, g, h, i)| [a, b, c, d, e, f, g, h, i]);
    (email, others, any_text(), any_doc(), any_doc())
        .prop_map(|(email, others, test_key, front, back)| CustomerInput { email, others, test_key, front, back })
}

/// Owns every buffer a `dcams_customer` points into, for one call.
struct Arena {
    strings: Vec<CString>,
    files: Vec<PathBuf>,
}

impl Drop for Arena {
    fn drop(&mut self) {
        for f in &self.files {
            std::fs::remove_file(f).ok();
        }
    }
}

static EMPTY_BYTE: [u8; 1] = [0];

impl Arena {
    fn text(&mut self, t: &Text) -> *const c_char {
        let s = match t {
            Text::Null => return std::ptr::null(),
            Text::Empty => CString::default(),
            Text::Utf8(s) => c_string(s.as_bytes()),
            Text::BadUtf8(b) => c_string(b),
        };
        self.strings.push(s);
        self.strings.last().unwrap().as_ptr()
    }

    fn path(&mut self, kind: &PathKind) -> *const c_char {
        use std::os::unix::ffi::OsStrExt;
        let path: PathBuf = match kind {
            PathKind::Missing => scratch().join("no-such-file.jpg"),
            PathKind::MissingBadUtf8 => scratch().join(std::ffi::OsStr::from_bytes(b"no-such-\xFF.jpg")),
            PathKind::Empty => PathBuf::new(),
            PathKind::Directory => scratch().to_path_buf(),
            PathKind::TempFile(bytes) => {
                static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let p = scratch().join(format!("doc-{n}.bin"));
                std::fs::write(&p, bytes).unwrap();
                self.files.push(p.clone());
                p
            }
            PathKind::Jpeg => data("passport-td3.jpg"),
        };
        self.strings.push(CString::new(path.as_os_str().as_bytes()).unwrap());
        self.strings.last().unwrap().as_ptr()
    }

    /// The C document. Data pointers always point into live buffers of at
    /// least `len` bytes (the input's own buffer, the JPEG, or a static byte).
    fn doc(&mut self, d: &Doc) -> CDocument {
        let none = CDocument { data: std::ptr::null(), len: 0, path: std::ptr::null() };
        match d {
            Doc::Absent => none,
            Doc::LenWithoutData(len) => CDocument { len: *len, ..none },
            Doc::Bytes { buf, len } => {
                let data = if buf.is_empty() { EMPTY_BYTE.as_ptr() } else { buf.as_ptr() };
                CDocument { data, len: *len, ..none }
            }
            Doc::Jpeg { len } => CDocument { data: jpeg().as_ptr(), len: *len, ..none },
            Doc::Path { kind, len } => CDocument { len: *len, path: self.path(kind), ..none },
            Doc::Both => CDocument { data: jpeg().as_ptr(), len: jpeg().len(), path: self.path(&PathKind::Jpeg) },
        }
    }
}

/// Whether a document passes every check and can be sent: `Some(true)`
/// sendable, `Some(false)` refused, `None` absent.
fn doc_ok(d: &Doc) -> Option<bool> {
    let sniff = |b: &[u8]| dcams::validate::sniff_image(&b[..b.len().min(dcams::validate::SNIFF_LEN)]).is_some();
    match d {
        Doc::Absent => None,
        Doc::LenWithoutData(_) | Doc::Both => Some(false),
        Doc::Bytes { buf, len } => Some(*len > 0 && sniff(&buf[..*len])),
        Doc::Jpeg { len } => Some(sniff(&jpeg()[..*len])),
        Doc::Path { len, kind } => Some(
            *len == 0
                && match kind {
                    PathKind::TempFile(b) => !b.is_empty() && sniff(b),
                    PathKind::Jpeg => true,
                    _ => false,
                },
        ),
    }
}

/// Whether the whole customer passes the documented checks (so a call must
/// reach the network).
fn customer_ok(c: &CustomerInput) -> bool {
    let strings_ok = !c.email.bad() && !c.test_key.bad() && c.others.iter().all(|t| !t.bad());
    let email_ok = c.email.as_str().is_some_and(|e| dcams::validate::check_email(e).is_ok());
    let dob_ok = match &c.others[DOB] {
        Text::Null => true,
        t => t.as_str().is_some_and(dob_oracle),
    };
    strings_ok && email_ok && dob_ok && doc_ok(&c.front) == Some(true) && doc_ok(&c.back) != Some(false)
}

fn upsert_input(client: &Client, c: &CustomerInput) -> Result<(i32, Value), TestCaseError> {
    let mut arena = Arena { strings: Vec::new(), files: Vec::new() };
    let [f, l, addr, city, state, zip, dob, phone, reference] = &c.others;
    let customer = CCustomer {
        email: arena.text(&c.email),
        r#fn: arena.text(f),
        ln: arena.text(l),
        addr: arena.text(addr),
        city: arena.text(city),
        state: arena.text(state),
        zip: arena.text(zip),
        dob: arena.text(dob),
        phone: arena.text(phone),
        reference: arena.text(reference),
        test_key: arena.text(&c.test_key),
        front: arena.doc(&c.front),
        back: arena.doc(&c.back),
    };
    client.upsert(&customer)
}

#[test]
fn upsert_struct_outcomes_are_documented() {
    runner(384)
        .run(&any_customer(), |c| {
            let (code, _) = upsert_input(dead_client(), &c)?;
            prop_assert!(dead_port_code(code), "code {}", code);
            // Exactly the customers that pass every documented check reach the network.
            let sent = code == TRANSPORT || code == TIMEOUT;
            prop_assert_eq!(sent, customer_ok(&c), "code {}", code);
            if c.email.bad() || matches!(c.front, Doc::Both | Doc::LenWithoutData(_)) {
                prop_assert!(code < 20, "code {}", code);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn upsert_valid_customers_reach_the_sandbox() {
    let people = (
        good_email(),
        proptest::option::of(good_dob()),
        proptest::option::of("\\PC{0,16}"),
        proptest::option::of("[0-9]{5}"),
        any::<bool>(),
    );
    runner(48)
        .run(&people, |(email, dob, name, zip, from_path)| {
            let front = if from_path { Doc::Path { kind: PathKind::Jpeg, len: 0 } } else { Doc::Jpeg { len: jpeg().len() } };
            let opt = |s: &Option<String>| s.clone().map_or(Text::Null, Text::Utf8);
            let mut others: [Text; 9] = std::array::from_fn(|_| Text::Null);
            others[0] = opt(&name);
            others[5] = opt(&zip);
            others[DOB] = opt(&dob);
            let c = CustomerInput { email: Text::Utf8(email.clone()), others, test_key: Text::Null, front, back: Doc::Absent };
            let (code, reply) = upsert_input(sandbox_client(), &c)?;
            prop_assert_eq!(code, 0, "reply {}", reply);
            prop_assert_eq!(&reply["target"]["email"], &json!(email));
            Ok(())
        })
        .unwrap();
}

#[test]
fn upsert_null_arguments() {
    let mut out = std::ptr::null_mut();
    let code = unsafe { dcams_client_upsert(dead_client().0, std::ptr::null(), &mut out) };
    assert_eq!(code, 1);
    check_outcome(code, out).unwrap();
    let c = CustomerInput {
        email: Text::Utf8("a@example.com".into()),
        others: std::array::from_fn(|_| Text::Null),
        test_key: Text::Null,
        front: Doc::Jpeg { len: jpeg().len() },
        back: Doc::Absent,
    };
    let mut arena = Arena { strings: Vec::new(), files: Vec::new() };
    let customer = CCustomer {
        email: arena.text(&c.email),
        r#fn: std::ptr::null(),
        ln: std::ptr::null(),
        addr: std::ptr::null(),
        city: std::ptr::null(),
        state: std::ptr::null(),
        zip: std::ptr::null(),
        dob: std::ptr::null(),
        phone: std::ptr::null(),
        reference: std::ptr::null(),
        test_key: std::ptr::null(),
        front: arena.doc(&c.front),
        back: arena.doc(&c.back),
    };
    let code = unsafe { dcams_client_upsert(std::ptr::null(), &customer, &mut out) };
    assert_eq!(code, 1);
    check_outcome(code, out).unwrap();
    let code = unsafe { dcams_client_upsert(dead_client().0, &customer, std::ptr::null_mut()) };
    assert_eq!(code, 1);
}

// ---------------------------------------------------------------------------
// Configuration.

/// Values for the documented configuration members, of every type.
fn config_value(name: &'static str) -> BoxedStrategy<Value> {
    let num = prop_oneof![
        3 => (0u64..100_000).prop_map(Value::from),
        1 => Just(Value::from(0)),
        1 => Just(Value::from(u64::MAX)),
        1 => Just(Value::from(u32::MAX as u64 + 1)),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        1 => Just(json!(1.5)),
    ];
    let good = match name {
        "endpoint" => prop_oneof![
            Just(Value::from(dead_endpoint())),
            Just(Value::from("https://dcams.app/v3/stable/api/storage")),
            Just(Value::from("http://dcams.app/v3/stable/api/storage")),
            Just(Value::from("http://localhost:1/x")),
            Just(Value::from("http://[::1]:1/x")),
            Just(Value::from("ftp://dcams.app/")),
            "(https?://)?[a-z0-9.:@\\[\\]/%-]{0,20}".prop_map(Value::from),
            "\\PC{0,20}".prop_map(Value::from),
        ]
        .boxed(),
        "user" | "pass" | "test_key" => "\\PC{0,12}".prop_map(Value::from).boxed(),
        "ca_file" | "ca_bundle" => prop_oneof![
            Just(Value::from("/nonexistent/ca.pem")),
            Just(Value::from("/dev/null")),
            Just(Value::from("")),
            Just(Value::from(data("PROVENANCE.md").to_string_lossy().into_owned())),
            Just(Value::from(env!("CARGO_MANIFEST_DIR"))),
            "[a-z/.]{0,12}".prop_map(Value::from),
        ]
        .boxed(),
        "proxy" => prop_oneof![
            Just(Value::from("http://127.0.0.1:3128")),
            Just(Value::from("http://user:pass@proxy.example:8080")),
            Just(Value::from("socks5://127.0.0.1:1080")),
            "[a-z0-9:/@.\\[\\]%-]{0,24}".prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::from),
        ]
        .boxed(),
        "no_proxy" | "check_image_format" | "danger_allow_plain_http" => any::<bool>().prop_map(Value::from).boxed(),
        _ => num.boxed(),
    };
    prop_oneof![4 => good, 1 => json_leaf(), 1 => any_json()].boxed()
}

const CONFIG_MEMBERS: [&str; 18] = [
    "endpoint",
    "user",
    "pass",
    "test_key",
    "ca_file",
    "ca_bundle",
    "proxy",
    "no_proxy",
    "connect_timeout_ms",
    "send_timeout_ms",
    "response_timeout_ms",
    "timeout_ms",
    "retries",
    "retry_backoff_ms",
    "max_response_bytes",
    "max_idle_connections",
    "check_image_format",
    "danger_allow_plain_http",
];

/// Configuration objects: a random subset of the documented members with
/// random-typed values, sometimes an unknown member.
fn config_object() -> impl Strategy<Value = Value> {
    let members: Vec<BoxedStrategy<Option<(String, Value)>>> = CONFIG_MEMBERS
        .iter()
        .map(|&name| proptest::option::weighted(0.3, config_value(name).prop_map(move |v| (name.to_owned(), v))).boxed())
        .collect();
    (members, proptest::option::weighted(0.15, ("\\PC{0,10}", json_leaf()))).prop_map(|(members, unknown)| {
        let mut m: Map<String, Value> = members.into_iter().flatten().collect();
        if let Some((k, v)) = unknown {
            m.insert(k, v);
        }
        Value::Object(m)
    })
}

/// Config text: mostly objects as above, sometimes any JSON or any bytes.
fn config_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => (config_object(), any::<u8>()).prop_map(|(v, s)| render(&v, s).into_bytes()),
        1 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => vec(any::<u8>(), 0..64),
    ]
}

const CONFIG_CODES: [i32; 5] = [0, 1, 3, 4, 6];

/// Runs `dcams_client_new` and checks its outcome; returns the code and the
/// client (NULL unless the code is 0).
fn new_client(config: *const c_char) -> Result<(i32, *mut CClient), TestCaseError> {
    // Not NULL: both must be overwritten.
    let (unset_client, unset_error) = (std::ptr::dangling_mut::<CClient>(), std::ptr::dangling_mut::<c_char>());
    let (mut client, mut error) = (unset_client, unset_error);
    let code = unsafe { dcams_client_new(config, &mut client, &mut error) };
    prop_assert!(CONFIG_CODES.contains(&code), "code {}", code);
    if code == 0 {
        prop_assert!(!client.is_null() && client != unset_client, "no client on success");
        prop_assert!(error.is_null(), "out_error set on success");
    } else {
        prop_assert!(client.is_null(), "out_client not NULL on failure");
        prop_assert!(error != unset_error, "out_error not set on failure");
        check_outcome(code, error)?;
    }
    Ok((code, client))
}

#[test]
fn config_parsing_outcomes_are_documented() {
    runner(384)
        .run(&config_text(), |bytes| {
            let text = c_string(&bytes);
            let (code, client) = new_client(text.as_ptr())?;
            unsafe { dcams_client_free(client) };
            // The Rust parser agrees and never panics.
            if let Ok(s) = text.to_str() {
                match dcams::Config::from_json(Some(s)) {
                    Ok(_) => prop_assert!(code == 0 || code == 6, "from_json accepted, C code {}", code),
                    Err(e) => {
                        prop_assert!(matches!(e.code(), 4 | 6), "from_json {}", e);
                        prop_assert_eq!(e.code(), code);
                    }
                }
            } else {
                prop_assert_eq!(code, 3);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn config_null_arguments() {
    // NULL config: environment and defaults (DCAMS_OK, or DCAMS_ERR_CONFIG for a bad environment).
    let mut client = std::ptr::null_mut();
    let code = unsafe { dcams_client_new(std::ptr::null(), &mut client, std::ptr::null_mut()) };
    assert!(code == 0 || code == 6, "code {code}");
    unsafe { dcams_client_free(client) };
    // NULL out_client.
    let mut error = std::ptr::null_mut();
    let code = unsafe { dcams_client_new(std::ptr::null(), std::ptr::null_mut(), &mut error) };
    assert_eq!(code, 1);
    check_outcome(code, error).unwrap();
    unsafe { dcams_client_free(std::ptr::null_mut()) };
}

/// Clients with random timeouts, retries, backoff and pool size (huge values
/// included) make a call to the dead port without panicking. Time stays
/// bounded: retries only with a short overall deadline.
#[test]
fn config_extreme_timeouts_then_call() {
    let ms = || prop_oneof![1u64..5_000, Just(1u64), Just(u64::MAX), Just(u64::MAX / 2), Just(u32::MAX as u64), any::<u64>()];
    let cfg = (
        ms(),
        ms(),
        ms(),
        ms(),
        prop_oneof![Just(0u32), Just(1u32), Just(u32::MAX), any::<u32>()],
        prop_oneof![1u64..300, Just(0u64)],
        prop_oneof![0u64..4, Just(u64::MAX), any::<u64>()],
    );
    runner(96)
        .run(&cfg, |(connect, send, response, backoff, retries, short_timeout, idle)| {
            // Either no retries and any deadline, or any retries and a deadline of at most 300 ms.
            let (timeout, retries) = if retries == 0 || short_timeout == 0 { (connect.max(1), 0) } else { (short_timeout, retries) };
            let config = json!({
                "endpoint": dead_endpoint(), "user": "u", "pass": "p", "no_proxy": true,
                "connect_timeout_ms": connect, "send_timeout_ms": send, "response_timeout_ms": response,
                "timeout_ms": timeout, "retries": retries, "retry_backoff_ms": backoff,
                "max_idle_connections": idle,
            });
            let text = CString::new(config.to_string()).unwrap();
            let (code, client) = new_client(text.as_ptr())?;
            prop_assert_eq!(code, 0);
            let client = Client(client);
            let request = json!({"service": "getStatus", "target": {"email": "a@example.com"}});
            let result = client.call_json(&CString::new(request.to_string()).unwrap());
            unsafe { dcams_client_free(client.0) };
            let (code, _) = result?;
            prop_assert!(code == TRANSPORT || code == TIMEOUT, "code {}", code);
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------
// Validators.

#[test]
fn check_dob_accepts_exactly_real_dates() {
    let dobs = prop_oneof![
        3 => any_dob(),
        2 => (1790u32..3010, 0u32..14, 0u32..33).prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}")),
        1 => (prop::sample::select(vec![1800u32, 1900, 2000, 2100, 2400, 2999, 1899, 2024, 2023]), 1u32..=3, 27u32..=31)
            .prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}")),
        1 => "\\PC{0,10}",
        1 => "[0-9٠-٩０-９+ ]{8}",
    ];
    runner(4096)
        .run(&dobs, |s| {
            let got = dcams::validate::check_dob(&s);
            prop_assert_eq!(got.is_ok(), dob_oracle(&s), "{:?}: {:?}", s, got);
            if let Err(e) = got {
                prop_assert_eq!(e.field(), Some("dob"));
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn dob_oracle_sanity() {
    for ok in ["19700101", "20000229", "19960229", "18000101", "29991231", "21000228"] {
        assert!(dob_oracle(ok), "{ok}");
    }
    for bad in ["19000229", "21000229", "17991231", "30000101", "19900231", "19901301", "19900100", "1990010", "", "1990-1-1"] {
        assert!(!dob_oracle(bad), "{bad}");
    }
    assert_eq!(days_in_month(2024, 2), 29);
    assert_eq!(days_in_month(1900, 2), 28);
    assert_eq!(days_in_month(2023, 12), 31);
}

#[test]
fn check_email_never_panics_and_accepts_tagged_mixed_case() {
    runner(2048)
        .run(&prop_oneof![good_email(), "\\PC{0,40}", ".{0,300}", "[a-z.@+-]{0,20}"], |s| {
            let _ = dcams::validate::check_email(&s);
            Ok(())
        })
        .unwrap();
    runner(1024)
        .run(&good_email(), |e| {
            prop_assert!(e.len() <= 254);
            let r = dcams::validate::check_email(&e);
            prop_assert!(r.is_ok(), "{:?}: {:?}", e, r);
            Ok(())
        })
        .unwrap();
    let tagged = ("[a-z][a-z0-9]{0,10}", "[a-zA-Z0-9]{1,10}", "[a-zA-Z][a-zA-Z0-9-]{0,10}[a-zA-Z0-9]", "(COM|Com|com|ORG|Co|IO)");
    runner(1024)
        .run(&tagged, |(local, tag, domain, tld)| {
            let e = format!("{local}+{tag}@{domain}.{tld}");
            let r = dcams::validate::check_email(&e);
            prop_assert!(r.is_ok(), "{:?}: {:?}", e, r);
            Ok(())
        })
        .unwrap();
    for e in ["Jane.Doe+kyc@Example.COM", "local+tag@Example.COM", "a+@example.com", "A+B+C@EXAMPLE.COM"] {
        assert_eq!(dcams::validate::check_email(e), Ok(()), "{e}");
    }
}

// ---------------------------------------------------------------------------
// Regressions: inputs found by the fuzz targets or the properties above, each
// asserting the correct outcome.

/// Found by `call_json` (fuzz) and `call_json_near_valid_requests_dead_port`:
/// a base64 document whose 5th byte falls inside a multi-byte character made
/// the `data:` prefix check slice a `str` off a char boundary
/// (src/client/document.rs, `normalize_base64`): a panic, caught by the C
/// boundary as DCAMS_ERR_INTERNAL, and unwinding out of the Rust API. It is
/// not base64, so it is a validation error about that document.
#[test]
fn regression_non_ascii_base64_document_is_a_validation_error() {
    // The fuzzer's minimised input (61 bytes): U+033F at bytes 4..6 of the front image.
    let request = "{\"target\":{\"email\":\"a@e.c\",\"documents\":{\"front\":\"/9j/\u{33f}go\"}}}";
    let (code, v) = dead_client().call_json(&CString::new(request).unwrap()).unwrap();
    assert_eq!((code, &v["field"]), (5, &json!("documents.front")), "{v}");
    for (front, back) in [("abcdé", "/9j/4AAQ"), ("/9j/4AAQ", "aA/€"), ("€€€€", "/9j/4AAQ"), ("/9j/4AAQ", "data\u{e9}image")] {
        let request = json!({"target": {"email": "a@example.com", "documents": {"front": front, "back": back}}});
        let (code, v) = dead_client().call_json(&CString::new(request.to_string()).unwrap()).unwrap();
        assert_eq!(code, 5, "{request}: {v}");
        assert!(v["field"].as_str().is_some_and(|f| f.starts_with("documents.")), "{request}: {v}");
    }
    // The Rust API returns the error instead of panicking.
    let client = dcams::Client::new(dcams::Config {
        endpoint: dead_endpoint(),
        user: Some("fake-user".into()),
        pass: Some(dcams::Secret::new("fake-pass")),
        retries: 0,
        proxy: dcams::ProxySetting::None,
        ..dcams::Config::default()
    })
    .unwrap();
    let customer = dcams::Customer::new("a@example.com", dcams::Document::from_base64("abcdé"));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.upsert(&customer).map(|_| ()).map_err(Box::new)));
    let e = outcome.expect("Client::upsert panicked").unwrap_err();
    assert_eq!((e.kind(), e.field()), (dcams::ErrorKind::Validation, Some("documents.front")));
}

/// A one-shot HTTP peer on loopback: answers each of the next `n` requests
/// (read whole) with `response`.
fn one_shot_server(response: &'static str, n: usize) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v3/stable/api/storage", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut s) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body_start = loop {
                let k = s.read(&mut chunk).unwrap_or(0);
                if k == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..k]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
            };
            let Some(start) = body_start else { continue };
            let head = String::from_utf8_lossy(&buf[..start]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < start + len {
                let k = s.read(&mut chunk).unwrap_or(0);
                if k == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..k]);
            }
            s.write_all(response.as_bytes()).ok();
        }
    });
    url
}

/// Found while reviewing the retry path for these properties: a 503 whose
/// `Retry-After` is a huge number of seconds made `Instant + Duration`
/// overflow (src/client/client.rs, `execute`): a panic (DCAMS_ERR_INTERNAL).
/// The wait would pass the deadline, so the 503 is returned, not retried.
#[test]
fn regression_huge_retry_after_is_not_a_panic() {
    const ANSWER: &str = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 18446744073709551615\r\n\
                          Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    let url = one_shot_server(ANSWER, 2);
    let client = Client::new(&json!({"endpoint": url, "user": "u", "pass": "p", "no_proxy": true, "retries": 1, "timeout_ms": 5000}));
    let request = json!({"service": "getStatus", "target": {"email": "a@example.com"}});
    let result = client.call_json(&CString::new(request.to_string()).unwrap());
    unsafe { dcams_client_free(client.0) };
    let (code, v) = result.unwrap();
    assert_eq!(code, 26, "{v}");
    assert_eq!(v["http_status"], 503, "{v}");
}
