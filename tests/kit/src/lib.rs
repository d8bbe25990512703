//! The ABI test kit, shared by `tests/properties.rs` and the cargo-fuzz
//! targets in `fuzz/`: build C inputs as a C caller would (strings NULL,
//! empty, any bytes; documents in every legal and illegal combination),
//! call the `dcams_*` exports through the real C types of the `dcams`
//! crate, and check every outcome against the header's one rule:
//!
//! - the code is documented, and never `DCAMS_ERR_INTERNAL` (a caught panic);
//! - on `DCAMS_OK` the value output is written and `*out_error` is NULL;
//! - otherwise the value output is untouched (a sentinel survives) and
//!   `*out_error` is an error JSON object whose `code` and `name` match.
//!
//! Violations are returned as `Err(String)`: the property tests turn them
//! into failures, the fuzz targets into panics (crashes).

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use ::dcams_client::validate as dcams_client_validate;
pub use dcams;
use dcams::client::*;
use dcams::code::{dcams_code, dcams_code_name};
use dcams::customer::{dcams_customer, dcams_document};
use dcams::string::dcams_string_free;
use serde_json::Value;

/// A problem with an outcome, described.
pub type Check<T> = Result<T, String>;

/// `DCAMS_ERR_TRANSPORT`, `DCAMS_ERR_TIMEOUT`: what a call that passed
/// every check gets from a loopback port where nothing listens.
pub const TRANSPORT: i32 = dcams_code::DCAMS_ERR_TRANSPORT as i32;
pub const TIMEOUT: i32 = dcams_code::DCAMS_ERR_TIMEOUT as i32;

/// Whether `code` is one of the header's codes.
pub fn documented(code: i32) -> bool {
    dcams_code::ALL.iter().any(|c| *c as i32 == code)
}

/// Codes a dead-port client may give: input problems (1-19), or the
/// connection failing (40) or timing out (42).
pub fn dead_port_code(code: i32) -> bool {
    (1..20).contains(&code) || code == TRANSPORT || code == TIMEOUT
}

/// The name `dcams_code_name` gives `code`.
pub fn code_name(code: i32) -> String {
    // SAFETY: dcams_code_name returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(dcams_code_name(code)) }.to_string_lossy().into_owned()
}

/// Reads and frees an owned string from the library.
fn take(s: *mut c_char) -> Check<String> {
    // SAFETY: `s` is a non-NULL string handed out by libdcams.
    let bytes = unsafe { CStr::from_ptr(s) }.to_bytes().to_vec();
    unsafe { dcams_string_free(s) };
    String::from_utf8(bytes).map_err(|e| format!("string from libdcams is not UTF-8: {e}"))
}

/// A value no export ever writes: marks an output as "not written".
fn sentinel<T>() -> *mut T {
    std::ptr::dangling_mut::<T>()
}

/// One outcome: the code and the JSON it came with (the reply on success,
/// the error otherwise).
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub json: Value,
}

/// Checks the error half of the rule: a documented code other than 99 and,
/// on failure, `out_error` an error JSON with the same code and name (read
/// and freed). On success `out_error` must be NULL.
pub fn check_error(code: i32, out_error: *mut c_char) -> Check<Option<Value>> {
    if !documented(code) {
        return Err(format!("undocumented code {code}"));
    }
    if code == 0 {
        return if out_error.is_null() {
            Ok(None)
        } else {
            Err(format!("out_error set on success: {}", take(out_error)?))
        };
    }
    if out_error.is_null() || out_error == sentinel() {
        return Err(format!("code {code} but out_error not set"));
    }
    let text = take(out_error)?;
    if code == dcams_code::DCAMS_ERR_INTERNAL as i32 {
        return Err(format!("DCAMS_ERR_INTERNAL (a caught panic): {text}"));
    }
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("error is not JSON ({e}): {text}"))?;
    if v["code"] != code || v["name"] != code_name(code).as_str() {
        return Err(format!("error JSON's code/name do not match {code}: {text}"));
    }
    Ok(Some(v))
}

/// Runs a service-call export with sentinels in `out_result` and
/// `out_error` and checks the whole rule; returns the reply (success) or the
/// error JSON.
pub fn service_call(f: impl FnOnce(*mut *mut c_char, *mut *mut c_char) -> dcams_code) -> Check<Outcome> {
    let (mut result, mut error) = (sentinel::<c_char>(), sentinel::<c_char>());
    let code = f(&mut result, &mut error) as i32;
    let written = result != sentinel();
    let error_json = check_error(code, error);
    if code == 0 {
        error_json?;
        if !written || result.is_null() {
            return Err("DCAMS_OK without a result".to_owned());
        }
        let text = take(result)?;
        let json = serde_json::from_str(&text).map_err(|e| format!("result is not JSON ({e}): {text}"))?;
        Ok(Outcome { code, json })
    } else {
        if written {
            return Err(format!("out_result written although the call failed with {code}"));
        }
        Ok(Outcome { code, json: error_json?.unwrap_or(Value::Null) })
    }
}

/// A C string of `bytes` up to the first NUL, as C would see them.
pub fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("cut at the first NUL")
}

/// The repository's specimen images.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data").join(name)
}

/// The specimen JPEG (`tests/data/passport-td3.jpg`).
pub fn jpeg() -> &'static [u8] {
    static JPEG: OnceLock<Vec<u8>> = OnceLock::new();
    JPEG.get_or_init(|| std::fs::read(data("passport-td3.jpg")).expect("tests/data/passport-td3.jpg"))
}

/// A per-process scratch directory.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("dcams-abi-kit-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch directory");
        d
    })
}

/// Runs `dcams_client_new` with sentinel outputs and checks the rule;
/// returns the code and the client (NULL unless the code is 0).
pub fn new_client(config: Option<&CStr>) -> Check<(i32, *mut dcams_client)> {
    let (mut client, mut error) = (sentinel::<dcams_client>(), sentinel::<c_char>());
    let config = config.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: valid out-pointers; `config` is NULL or a C string.
    let code = unsafe { dcams_client_new(config, &mut client, &mut error) } as i32;
    check_error(code, error)?;
    match (code, client == sentinel()) {
        (0, false) if !client.is_null() => Ok((0, client)),
        (0, _) => Err("DCAMS_OK without a client".to_owned()),
        (_, true) => Ok((code, std::ptr::null_mut())),
        (_, false) => Err(format!("out_client written although dcams_client_new failed with {code}")),
    }
}

/// A client handle shared by threads (the header says a client may be).
pub struct Client(pub *mut dcams_client);
// SAFETY: a dcams_client may be used by any number of threads at once.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

impl Client {
    /// A client for a JSON configuration that must be accepted.
    pub fn new(config: &Value) -> Client {
        let text = CString::new(config.to_string()).expect("no NUL in JSON");
        match new_client(Some(&text)) {
            Ok((0, client)) => Client(client),
            other => panic!("client for {config}: {other:?}"),
        }
    }

    /// `dcams_client_call_json`, checked.
    pub fn call_json(&self, request: &CStr) -> Check<Outcome> {
        // SAFETY: a live client and C string; out-pointers from service_call.
        service_call(|r, e| unsafe { dcams_client_call_json(self.0, request.as_ptr(), std::ptr::null_mut(), r, e) })
    }

    /// `dcams_client_upsert`, checked.
    pub fn upsert(&self, customer: &dcams_customer) -> Check<Outcome> {
        // SAFETY: as call_json; the customer's pointers are kept alive by its Arena.
        service_call(|r, e| unsafe { dcams_client_upsert(self.0, customer, std::ptr::null_mut(), r, e) })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: made by dcams_client_new, no longer used.
        unsafe { dcams_client_free(self.0) }
    }
}

/// A loopback port where nothing listens: bound by the OS, then released.
pub fn dead_endpoint() -> String {
    static PORT: OnceLock<u16> = OnceLock::new();
    let port = *PORT.get_or_init(|| {
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
    });
    format!("http://127.0.0.1:{port}/v3/stable/api/storage")
}

/// A hermetic client of the dead port with fake credentials, no retries and
/// short timeouts: whatever passes validation fails fast with
/// `DCAMS_ERR_TRANSPORT`.
pub fn dead_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        Client::new(&serde_json::json!({
            "environment": false, "endpoint": dead_endpoint(), "user": "fake-user", "pass": "fake-pass",
            "retries": 0, "timeout_ms": 2000, "connect_timeout_ms": 200,
        }))
    })
}

// ---------------------------------------------------------------------------
// C customers in every shape.

/// One string member of `dcams_customer`.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Text {
    Null,
    Empty,
    /// Any bytes, cut at the first NUL as C would: valid or invalid UTF-8.
    Bytes(Vec<u8>),
    /// A well-formed value for the member, picked by index.
    Canned(u8),
}

const EMAILS: [&str; 5] =
    ["ada@example.com", "Jane.Doe+kyc@Example.COM", "a_b-c@sub.example.co.uk", "x@a-b.io", "o'neil@example.org"];
const DOBS: [&str; 6] = ["19800214", "20000229", "19000229", "19900231", "18000101", "29991231"];
const TEXTS: [&str; 4] = ["Ada", "Zoë \"Q\" O'Neil\\", "62701", "1 Test Way\r\nApt 2"];

impl Text {
    /// The bytes C would see, or None for NULL.
    fn bytes(&self, canned: &[&str]) -> Option<Vec<u8>> {
        match self {
            Text::Null => None,
            Text::Empty => Some(Vec::new()),
            Text::Bytes(b) => Some(c_string(b).into_bytes()),
            Text::Canned(i) => Some(canned[*i as usize % canned.len()].as_bytes().to_vec()),
        }
    }
}

/// A document path.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum PathKind {
    Missing,
    MissingNonUtf8,
    Empty,
    Directory,
    /// A temp file holding these bytes.
    TempFile(Vec<u8>),
    Jpeg,
}

/// One `dcams_document` (or none).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Doc {
    /// A NULL pointer.
    Absent,
    /// data NULL, len > 0, path NULL.
    LenWithoutData(usize),
    /// data into `buf` (never NULL, also when empty), len = `len` modulo (buf.len() + 1).
    Bytes { buf: Vec<u8>, len: usize },
    /// data = the specimen JPEG, len = a prefix (≥ 1) or all of it.
    Jpeg { prefix: Option<u32> },
    /// data NULL, path set, len usually 0.
    Path { kind: PathKind, len: usize },
    /// data and path both set.
    Both,
}

/// Everything a `dcams_customer` is made of.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CustomerInput {
    pub email: Text,
    /// fn, ln, addr, city, state, zip, dob, phone, reference
    pub others: [Text; 9],
    pub test_key: Text,
    pub front: Doc,
    pub back: Doc,
}

/// Index of `dob` in [`CustomerInput::others`].
pub const DOB: usize = 6;

/// Owns every buffer a `dcams_customer` points into, for one call.
#[derive(Default)]
pub struct Arena {
    strings: Vec<CString>,
    // Boxed: a customer points at each document, so it must not move when the Vec grows.
    #[allow(clippy::vec_box)]
    docs: Vec<Box<dcams_document>>,
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
    fn keep(&mut self, bytes: Vec<u8>) -> *const c_char {
        self.strings.push(CString::new(bytes).expect("cut at the first NUL"));
        self.strings.last().expect("just pushed").as_ptr()
    }

    fn text(&mut self, t: &Text, canned: &[&str]) -> *const c_char {
        t.bytes(canned).map_or(std::ptr::null(), |b| self.keep(b))
    }

    fn path(&mut self, kind: &PathKind) -> *const c_char {
        use std::os::unix::ffi::OsStrExt;
        let path: PathBuf = match kind {
            PathKind::Missing => scratch().join("no-such-file.jpg"),
            PathKind::MissingNonUtf8 => scratch().join(std::ffi::OsStr::from_bytes(b"no-such-\xFF.jpg")),
            PathKind::Empty => PathBuf::new(),
            PathKind::Directory => scratch().to_path_buf(),
            PathKind::TempFile(bytes) => {
                static N: AtomicU64 = AtomicU64::new(0);
                let p = scratch().join(format!("doc-{}.bin", N.fetch_add(1, Ordering::Relaxed)));
                std::fs::write(&p, bytes).expect("temp file");
                self.files.push(p.clone());
                p
            }
            PathKind::Jpeg => data("passport-td3.jpg"),
        };
        self.keep(path.as_os_str().as_bytes().to_vec())
    }

    /// The C document. Data pointers always point into live buffers of at
    /// least `len` bytes (the input's own buffer, the JPEG, or a static byte).
    fn doc(&mut self, d: &Doc) -> *const dcams_document {
        let mut doc = dcams_document {
            struct_size: std::mem::size_of::<dcams_document>() as u32,
            data: std::ptr::null(),
            len: 0,
            path: std::ptr::null(),
        };
        match d {
            Doc::Absent => return std::ptr::null(),
            Doc::LenWithoutData(len) => doc.len = *len,
            Doc::Bytes { buf, len } => {
                doc.data = if buf.is_empty() { EMPTY_BYTE.as_ptr() } else { buf.as_ptr() };
                doc.len = len % (buf.len() + 1);
            }
            Doc::Jpeg { prefix } => {
                doc.data = jpeg().as_ptr();
                doc.len = prefix.map_or(jpeg().len(), |p| p as usize % jpeg().len() + 1);
            }
            Doc::Path { kind, len } => {
                doc.path = self.path(kind);
                doc.len = *len;
            }
            Doc::Both => {
                doc.data = jpeg().as_ptr();
                doc.len = jpeg().len();
                doc.path = self.path(&PathKind::Jpeg);
            }
        }
        self.docs.push(Box::new(doc));
        &**self.docs.last().expect("just pushed")
    }

    /// The C customer for `c`, pointing into this arena.
    pub fn customer(&mut self, c: &CustomerInput) -> dcams_customer {
        let [f, l, addr, city, state, zip, dob, phone, reference] = &c.others;
        dcams_customer {
            struct_size: std::mem::size_of::<dcams_customer>() as u32,
            email: self.text(&c.email, &EMAILS),
            r#fn: self.text(f, &TEXTS),
            ln: self.text(l, &TEXTS),
            addr: self.text(addr, &TEXTS),
            city: self.text(city, &TEXTS),
            state: self.text(state, &TEXTS),
            zip: self.text(zip, &TEXTS),
            dob: self.text(dob, &DOBS),
            phone: self.text(phone, &TEXTS),
            front: self.doc(&c.front),
            back: self.doc(&c.back),
            reference: self.text(reference, &TEXTS),
            test_key: self.text(&c.test_key, &TEXTS),
        }
    }
}

// ---------------------------------------------------------------------------
// Oracles: what the documented checks say about an input, computed
// independently of the library (but its image sniffer and e-mail rule).

/// The dob oracle: eight ASCII digits whose date survives a round trip
/// through a day count, in 1800–2999.
pub fn dob_oracle(s: &str) -> bool {
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

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm); `d` may be out of the month's range, it then counts on.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
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

/// Whether a document passes every check and can be sent: `Some(true)`
/// sendable, `Some(false)` refused, `None` absent.
pub fn doc_ok(d: &Doc) -> Option<bool> {
    use dcams_client_validate::{sniff_image, SNIFF_LEN};
    let sniff = |b: &[u8]| sniff_image(&b[..b.len().min(SNIFF_LEN)]).is_some();
    match d {
        Doc::Absent => None,
        Doc::LenWithoutData(_) | Doc::Both => Some(false),
        Doc::Bytes { buf, len } => {
            let len = len % (buf.len() + 1);
            Some(len > 0 && sniff(&buf[..len]))
        }
        Doc::Jpeg { prefix } => Some(sniff(&jpeg()[..prefix.map_or(jpeg().len(), |p| p as usize % jpeg().len() + 1)])),
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
pub fn customer_ok(c: &CustomerInput) -> bool {
    let utf8 = |t: &Text, canned: &[&str]| t.bytes(canned).map(String::from_utf8);
    let strings_ok =
        [&c.email, &c.test_key].into_iter().chain(&c.others).all(|t| !matches!(utf8(t, &TEXTS), Some(Err(_))));
    let email_ok = matches!(utf8(&c.email, &EMAILS), Some(Ok(e)) if dcams_client_validate::check_email(&e).is_ok());
    let dob_ok = match utf8(&c.others[DOB], &DOBS) {
        None => true,
        Some(Ok(d)) => dob_oracle(&d),
        Some(Err(_)) => false,
    };
    strings_ok && email_ok && dob_ok && doc_ok(&c.front) == Some(true) && doc_ok(&c.back) != Some(false)
}

/// Whether the input makes an argument error (codes below 20) certain.
pub fn argument_error(c: &CustomerInput) -> bool {
    matches!(c.email.bytes(&EMAILS).map(String::from_utf8), Some(Err(_)))
        || matches!(c.front, Doc::Both | Doc::LenWithoutData(_))
}
