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

//! Property tests over the C entry points (`dcams_client_call_json`,
//! `dcams_client_upsert`, `dcams_client_new`) and the pure-Rust validators.
//!
//! The properties, for any input, are the header's one rule, checked by the
//! shared ABI kit (`tests/kit`, also used by the fuzz targets): a documented
//! code, never `DCAMS_ERR_INTERNAL` (99); the value output written exactly on
//! `DCAMS_OK`; `*out_error` NULL on success and otherwise an error JSON whose
//! `code` and `name` match; every string freed with `dcams_string_free`.
//!
//! Most calls go to a client whose endpoint is a loopback port where nothing
//! listens (`retries` 0, short timeouts), so whatever passes validation fails
//! fast with `DCAMS_ERR_TRANSPORT` and no network is needed; some go to the
//! in-process sandbox, a live peer.
//!
//! Case counts are sized so the whole file runs in a few seconds; set
//! `PROPTEST_CASES=N` to run N cases of every property instead.

use std::ffi::CString;
use std::sync::OnceLock;

use dcams::client::{dcams_client_call_json, dcams_client_free, dcams_client_upsert};
use dcams_abi_kit::*;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

/// A kit check as a proptest result.
fn ok<T>(check: Check<T>) -> Result<T, TestCaseError> {
    check.map_err(TestCaseError::fail)
}

/// The in-process sandbox (a live peer) and a client with its credentials.
fn sandbox_client() -> &'static Client {
    static SANDBOX: OnceLock<(dcams_sandbox::Sandbox, Client)> = OnceLock::new();
    &SANDBOX
        .get_or_init(|| {
            let sb = dcams_sandbox::Sandbox::start(Default::default()).expect("sandbox starts");
            let client = Client::new(&json!({
                "environment": false, "endpoint": sb.url(), "user": "sandbox-user", "pass": "sandbox-pass",
                "retries": 0, "timeout_ms": 10000,
            }));
            (sb, client)
        })
        .1
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A runner with `n` cases (or `PROPTEST_CASES`), no failure files written.
fn runner(n: u32) -> TestRunner {
    TestRunner::new(PtConfig { cases: cases(n), failure_persistence: None, ..PtConfig::default() })
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
    let documents =
        (member(any_document()), member(any_document()), proptest::option::weighted(0.1, ("\\PC{1,6}", json_leaf())))
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
    let service = prop::sample::select(vec![
        "createOrUpdateCustomer",
        "getStatus",
        "getDocumentImages",
        "updateStatus",
        "createCustomer",
    ]);
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
            let out = ok(dead_client().call_json(&c_string(&bytes)))?;
            prop_assert!(dead_port_code(out.code), "code {}", out.code);
            Ok(())
        })
        .unwrap();
}

#[test]
fn call_json_arbitrary_json_values() {
    runner(384)
        .run(&(any_json(), any::<u8>()), |(v, style)| {
            let out = ok(dead_client().call_json(&c_string(render(&v, style).as_bytes())))?;
            prop_assert!(dead_port_code(out.code), "code {}", out.code);
            Ok(())
        })
        .unwrap();
}

#[test]
fn call_json_near_valid_requests_dead_port() {
    runner(384)
        .run(&(near_valid_request("fake-user", "fake-pass"), any::<u8>()), |(v, style)| {
            let out = ok(dead_client().call_json(&c_string(render(&v, style).as_bytes())))?;
            prop_assert!(dead_port_code(out.code), "code {}", out.code);
            Ok(())
        })
        .unwrap();
}

#[test]
fn call_json_near_valid_requests_live_sandbox() {
    runner(128)
        .run(&(near_valid_request("sandbox-user", "sandbox-pass"), any::<u8>()), |(v, style)| {
            let out = ok(sandbox_client().call_json(&c_string(render(&v, style).as_bytes())))?;
            if out.code == 0 {
                prop_assert!(out.json.is_object(), "reply {}", out.json);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn call_json_null_arguments() {
    let request = CString::new(r#"{"target":{"email":"a@example.com"}}"#).unwrap();
    let null = std::ptr::null_mut();
    let out = service_call(|r, e| unsafe { dcams_client_call_json(std::ptr::null(), request.as_ptr(), null, r, e) });
    assert_eq!(out.unwrap().code, 1);
    let out = service_call(|r, e| unsafe { dcams_client_call_json(dead_client().0, std::ptr::null(), null, r, e) });
    assert_eq!(out.unwrap().code, 1);
    let out =
        service_call(|_, e| unsafe { dcams_client_call_json(dead_client().0, request.as_ptr(), null, null.cast(), e) });
    assert_eq!(out.unwrap().code, 1);
}

// ---------------------------------------------------------------------------
// Struct entry point.

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
        5 => good.prop_map(|s| Text::Bytes(s.into_bytes())),
        1 => any::<u8>().prop_map(Text::Canned),
        1 => bad_utf8().prop_map(Text::Bytes),
    ]
}

fn any_text() -> impl Strategy<Value = Text> {
    text("\\PC{0,16}".boxed())
}

fn any_doc() -> impl Strategy<Value = Doc> {
    let path_kind = prop_oneof![
        2 => Just(PathKind::Missing),
        1 => Just(PathKind::MissingNonUtf8),
        1 => Just(PathKind::Empty),
        1 => Just(PathKind::Directory),
        3 => image_like_bytes().prop_map(PathKind::TempFile),
        1 => Just(PathKind::TempFile(Vec::new())),
        3 => Just(PathKind::Jpeg),
    ];
    prop_oneof![
        2 => Just(Doc::Absent),
        1 => (1usize..=usize::MAX).prop_map(Doc::LenWithoutData),
        4 => (image_like_bytes(), prop_oneof![3 => Just(usize::MAX), 1 => any::<usize>()])
            .prop_map(|(buf, len)| Doc::Bytes { len: if len == usize::MAX { buf.len() } else { len }, buf }),
        3 => proptest::option::of(any::<u32>()).prop_map(|prefix| Doc::Jpeg { prefix }),
        4 => (path_kind, prop_oneof![6 => Just(0usize), 1 => 1usize..=usize::MAX]).prop_map(|(kind, len)| Doc::Path { kind, len }),
        1 => Just(Doc::Both),
    ]
}

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
    (email, others, any_text(), any_doc(), any_doc()).prop_map(|(email, others, test_key, front, back)| CustomerInput {
        email,
        others,
        test_key,
        front,
        back,
    })
}

fn upsert_input(client: &Client, c: &CustomerInput) -> Result<Outcome, TestCaseError> {
    let mut arena = Arena::default();
    let customer = arena.customer(c);
    ok(client.upsert(&customer))
}

#[test]
fn upsert_struct_outcomes_are_documented() {
    runner(384)
        .run(&any_customer(), |c| {
            let code = upsert_input(dead_client(), &c)?.code;
            prop_assert!(dead_port_code(code), "code {}", code);
            // Exactly the customers that pass every documented check reach the network.
            let sent = code == TRANSPORT || code == TIMEOUT;
            prop_assert_eq!(sent, customer_ok(&c), "code {}", code);
            if argument_error(&c) {
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
            let front = if from_path { Doc::Path { kind: PathKind::Jpeg, len: 0 } } else { Doc::Jpeg { prefix: None } };
            let opt = |s: &Option<String>| s.clone().map_or(Text::Null, |s| Text::Bytes(s.into_bytes()));
            let mut others: [Text; 9] = std::array::from_fn(|_| Text::Null);
            others[0] = opt(&name);
            others[5] = opt(&zip);
            others[DOB] = opt(&dob);
            let c = CustomerInput {
                email: Text::Bytes(email.clone().into_bytes()),
                others,
                test_key: Text::Null,
                front,
                back: Doc::Absent,
            };
            let out = upsert_input(sandbox_client(), &c)?;
            prop_assert_eq!(out.code, 0, "reply {}", out.json);
            prop_assert_eq!(&out.json["target"]["email"], &json!(email));
            Ok(())
        })
        .unwrap();
}

#[test]
fn upsert_null_arguments() {
    let null = std::ptr::null_mut();
    let out = service_call(|r, e| unsafe { dcams_client_upsert(dead_client().0, std::ptr::null(), null, r, e) });
    assert_eq!(out.unwrap().code, 1);
    let c = CustomerInput {
        email: Text::Canned(0),
        others: std::array::from_fn(|_| Text::Null),
        test_key: Text::Null,
        front: Doc::Jpeg { prefix: None },
        back: Doc::Absent,
    };
    let mut arena = Arena::default();
    let customer = arena.customer(&c);
    let out = service_call(|r, e| unsafe { dcams_client_upsert(std::ptr::null(), &customer, null, r, e) });
    assert_eq!(out.unwrap().code, 1);
    let out = service_call(|_, e| unsafe { dcams_client_upsert(dead_client().0, &customer, null, null.cast(), e) });
    assert_eq!(out.unwrap().code, 1);
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
        "log_level" => prop_oneof![
            Just(Value::from("info")),
            Just(Value::from("trace")),
            Just(Value::from("TRACE")),
            "\\PC{0,8}".prop_map(Value::from),
        ]
        .boxed(),
        "app_name" | "app_version" => {
            prop_oneof!["[A-Za-z0-9.!#$%&'*+^_`|~-]{1,12}".prop_map(Value::from), "\\PC{0,12}".prop_map(Value::from)]
                .boxed()
        }
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
        "environment" | "no_proxy" | "check_image_format" | "danger_allow_plain_http" => {
            any::<bool>().prop_map(Value::from).boxed()
        }
        _ => num.boxed(),
    };
    prop_oneof![4 => good, 1 => json_leaf(), 1 => any_json()].boxed()
}

const CONFIG_MEMBERS: [&str; 22] = [
    "environment",
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
    "log_level",
    "app_name",
    "app_version",
];

/// Configuration objects: a random subset of the documented members with
/// random-typed values, sometimes an unknown member.
fn config_object() -> impl Strategy<Value = Value> {
    let members: Vec<BoxedStrategy<Option<(String, Value)>>> = CONFIG_MEMBERS
        .iter()
        .map(|&name| {
            proptest::option::weighted(0.3, config_value(name).prop_map(move |v| (name.to_owned(), v))).boxed()
        })
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

#[test]
fn config_parsing_outcomes_are_documented() {
    runner(384)
        .run(&config_text(), |bytes| {
            let text = c_string(&bytes);
            let (code, client) = ok(new_client(Some(&text)))?;
            unsafe { dcams_client_free(client) };
            prop_assert!(CONFIG_CODES.contains(&code), "code {}", code);
            // The Rust parser agrees and never panics.
            if let Ok(s) = text.to_str() {
                match dcams_client::Config::from_json(Some(s)).and_then(dcams_client::Client::new) {
                    Ok(_) => prop_assert_eq!(code, 0),
                    Err(e) => prop_assert_eq!(dcams::code::dcams_code::from(e.kind()) as i32, code, "{}", e),
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
    let (code, client) = new_client(None).unwrap();
    assert!(code == 0 || code == 6, "code {code}");
    unsafe { dcams_client_free(client) };
    // NULL out_client.
    let mut error = std::ptr::null_mut();
    let code = unsafe { dcams::client::dcams_client_new(std::ptr::null(), std::ptr::null_mut(), &mut error) };
    assert_eq!(check_error(code as i32, error).unwrap().unwrap()["code"], 1);
    unsafe { dcams_client_free(std::ptr::null_mut()) };
}

/// Clients with random timeouts, retries, backoff and pool size (huge values
/// included) make a call to the dead port without panicking. Time stays
/// bounded: retries only with a short overall deadline.
#[test]
fn config_extreme_timeouts_then_call() {
    let ms = || {
        prop_oneof![1u64..5_000, Just(1u64), Just(u64::MAX), Just(u64::MAX / 2), Just(u32::MAX as u64), any::<u64>()]
    };
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
            let (timeout, retries) =
                if retries == 0 || short_timeout == 0 { (connect.max(1), 0) } else { (short_timeout, retries) };
            let config = json!({
                "environment": false, "endpoint": dead_endpoint(), "user": "u", "pass": "p",
                "connect_timeout_ms": connect, "send_timeout_ms": send, "response_timeout_ms": response,
                "timeout_ms": timeout, "retries": retries, "retry_backoff_ms": backoff,
                "max_idle_connections": idle,
            });
            let text = CString::new(config.to_string()).unwrap();
            let (code, client) = ok(new_client(Some(&text)))?;
            prop_assert_eq!(code, 0);
            let client = Client(client);
            let request = json!({"service": "getStatus", "target": {"email": "a@example.com"}});
            let code = ok(client.call_json(&CString::new(request.to_string()).unwrap()))?.code;
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
            let got = dcams_client::validate::check_dob(&s);
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
    for bad in
        ["19000229", "21000229", "17991231", "30000101", "19900231", "19901301", "19900100", "1990010", "", "1990-1-1"]
    {
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
            let _ = dcams_client::validate::check_email(&s);
            Ok(())
        })
        .unwrap();
    runner(1024)
        .run(&good_email(), |e| {
            prop_assert!(e.len() <= 254);
            let r = dcams_client::validate::check_email(&e);
            prop_assert!(r.is_ok(), "{:?}: {:?}", e, r);
            Ok(())
        })
        .unwrap();
    let tagged = (
        "[a-z][a-z0-9]{0,10}",
        "[a-zA-Z0-9]{1,10}",
        "[a-zA-Z][a-zA-Z0-9-]{0,10}[a-zA-Z0-9]",
        "(COM|Com|com|ORG|Co|IO)",
    );
    runner(1024)
        .run(&tagged, |(local, tag, domain, tld)| {
            let e = format!("{local}+{tag}@{domain}.{tld}");
            let r = dcams_client::validate::check_email(&e);
            prop_assert!(r.is_ok(), "{:?}: {:?}", e, r);
            Ok(())
        })
        .unwrap();
    for e in ["Jane.Doe+kyc@Example.COM", "local+tag@Example.COM", "a+@example.com", "A+B+C@EXAMPLE.COM"] {
        assert_eq!(dcams_client::validate::check_email(e), Ok(()), "{e}");
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
    let out = dead_client().call_json(&CString::new(request).unwrap()).unwrap();
    assert_eq!((out.code, &out.json["field"]), (5, &json!("documents.front")), "{out:?}");
    for (front, back) in
        [("abcdé", "/9j/4AAQ"), ("/9j/4AAQ", "aA/€"), ("€€€€", "/9j/4AAQ"), ("/9j/4AAQ", "data\u{e9}image")]
    {
        let request = json!({"target": {"email": "a@example.com", "documents": {"front": front, "back": back}}});
        let out = dead_client().call_json(&CString::new(request.to_string()).unwrap()).unwrap();
        assert_eq!(out.code, 5, "{request}: {out:?}");
        assert!(out.json["field"].as_str().is_some_and(|f| f.starts_with("documents.")), "{request}: {out:?}");
    }
    // The Rust API returns the error instead of panicking.
    let client = dcams_client::Client::new(dcams_client::Config {
        endpoint: dead_endpoint(),
        user: Some("fake-user".into()),
        pass: Some(dcams_client::Secret::new("fake-pass")),
        retries: 0,
        ..dcams_client::Config::default()
    })
    .unwrap();
    let customer = dcams_client::Customer::new("a@example.com", dcams_client::Document::from_base64("abcdé"));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client.upsert(&customer).map(|_| ()).map_err(Box::new)
    }));
    let e = outcome.expect("Client::upsert panicked").unwrap_err();
    assert_eq!((e.kind(), e.field()), (dcams_client::ErrorKind::Validation, Some("documents.front")));
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
    let client = Client::new(
        &json!({"environment": false, "endpoint": url, "user": "u", "pass": "p", "retries": 1, "timeout_ms": 5000}),
    );
    let request = json!({"service": "getStatus", "target": {"email": "a@example.com"}});
    let out = client.call_json(&CString::new(request.to_string()).unwrap()).unwrap();
    assert_eq!(out.code, 26, "{out:?}");
    assert_eq!(out.json["http_status"], 503, "{out:?}");
}
