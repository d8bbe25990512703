//! createOrUpdateCustomer end to end against the in-process sandbox.

mod common;

use common::*;
use dcams_client::{Customer, Document, ErrorKind, ReviewStatus, UpsertKind};
use dcams_sandbox::ErrorStyle;

fn ada<'a>(email: &str, front: Document<'a>, back: Option<Document<'a>>) -> Customer<'a> {
    Customer {
        r#fn: Some("Ada".into()),
        ln: Some("Example".into()),
        addr: Some("1 Test Way".into()),
        city: Some("Springfield".into()),
        state: Some("IL".into()),
        zip: Some("62701".into()),
        dob: Some("19800214".into()),
        phone: Some("2175550100".into()),
        reference: Some("R-1001".into()),
        back,
        ..Customer::new(email, front)
    }
}

#[test]
fn create_then_update_stores_identical_images() {
    let sb = sandbox();
    let client = client(&sb);
    let customer = ada(
        "ada@example.com",
        Document::from_path(data("passport-td3.jpg")),
        Some(Document::from_path(data("passport-td2.png"))),
    );
    let first = client.upsert(&customer).unwrap();
    assert_eq!(first.kind, Some(UpsertKind::Created));
    assert_eq!(first.status, Some(ReviewStatus::Pending));
    assert_eq!(first.reference.as_deref(), Some("R-1001"));
    assert_eq!(first.target["email"], "ada@example.com");
    assert_eq!(first.target["fn"], "Ada");
    assert!(first.target.get("documents").is_none(), "target echoes no images");

    let stored = sb.customer("ada@example.com", false).unwrap();
    assert_eq!(stored.front, read("passport-td3.jpg"));
    assert_eq!(stored.back.as_deref(), Some(&read("passport-td2.png")[..]));

    // Update from bytes in memory: same record, new front image.
    let png = read("passport-td3.png");
    let again = client.upsert(&ada("ada@example.com", Document::from_bytes(&png), None)).unwrap();
    assert_eq!(again.kind, Some(UpsertKind::Updated));
    let stored = sb.customer("ada@example.com", false).unwrap();
    assert_eq!(stored.front, png);
    assert_eq!(stored.back.as_deref(), Some(&read("passport-td2.png")[..]), "back kept when not sent");
}

#[test]
fn wire_body_has_the_documented_shape() {
    let sb = sandbox();
    let client = client(&sb);
    let jpg = read("passport-td3.jpg");
    client.upsert(&ada("Jane.Doe+kyc@Example.COM", Document::from_bytes(&jpg), None)).unwrap();
    let req = sb.last_request().unwrap();
    assert_eq!(req.content_type.as_deref(), Some("application/json"));
    assert_eq!(req.content_length, Some(req.body.len() as u64), "exact Content-Length, no chunking");
    assert_eq!(req.user_agent.as_deref(), Some(dcams_client::USER_AGENT));
    let v: serde_json::Value = serde_json::from_slice(&req.body).expect("valid JSON on the wire");
    assert_eq!(v["user"], USER);
    assert_eq!(v["pass"], PASS);
    assert_eq!(v["service"], "createOrUpdateCustomer");
    assert_eq!(v["reference"], "R-1001");
    let target = v["target"].as_object().unwrap();
    assert_eq!(target["email"], "Jane.Doe+kyc@Example.COM", "e-mail sent byte-for-byte");
    for (k, want) in [("fn", "Ada"), ("ln", "Example"), ("dob", "19800214"), ("zip", "62701"), ("state", "IL")] {
        assert_eq!(target[k], want, "{k}");
    }
    let front = target["documents"]["front"].as_str().unwrap();
    use base64::Engine;
    assert_eq!(front, base64::engine::general_purpose::STANDARD.encode(&jpg), "single-line padded standard base64");
    assert!(target["documents"].get("back").is_none());
    assert!(sb.customer("Jane.Doe+kyc@Example.COM", false).is_some());
}

#[test]
fn json_entry_point_normalises_base64_and_passes_unknown_fields() {
    use base64::Engine;
    let sb = sandbox();
    let client = client(&sb);
    let png = read("passport-td2.png");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
    let wrapped: String =
        b64.as_bytes().chunks(76).map(|l| format!("{}\r\n", std::str::from_utf8(l).unwrap())).collect();
    let req = serde_json::json!({
        "reference": "R-9",
        "target": {"email": "bo@example.org", "dob": "19700101", "loyalty_tier": "gold",
                   "documents": {"front": format!("data:image/png;base64,{b64}"), "back": wrapped}}
    });
    let reply = client.call_json(&req.to_string()).unwrap();
    assert_eq!(reply.http_status, 200);
    assert_eq!(reply.json()["type"], "createCustomer");
    let wire: serde_json::Value = serde_json::from_slice(&sb.last_request().unwrap().body).unwrap();
    assert_eq!(wire["target"]["loyalty_tier"], "gold");
    assert_eq!(wire["target"]["documents"]["front"], b64.as_str());
    assert_eq!(wire["target"]["documents"]["back"], b64.as_str());
    let stored = sb.customer("bo@example.org", false).unwrap();
    assert_eq!(stored.front, png);
    assert_eq!(stored.back.unwrap(), png);
}

#[test]
fn validation_fails_before_any_request() {
    let sb = sandbox();
    let client = client(&sb);
    let jpg = read("passport-td3.jpg");
    let cases: Vec<(Customer, &str)> = vec![
        (
            Customer { dob: Some("19900231".into()), ..Customer::new("a@example.com", Document::from_bytes(&jpg)) },
            "dob",
        ),
        (
            Customer { dob: Some("1990-01-31".into()), ..Customer::new("a@example.com", Document::from_bytes(&jpg)) },
            "dob",
        ),
        (
            Customer { dob: Some("01/31/1990".into()), ..Customer::new("a@example.com", Document::from_bytes(&jpg)) },
            "dob",
        ),
        (Customer::new("not-an-email", Document::from_bytes(&jpg)), "email"),
        (Customer { front: None, ..Customer::new("a@example.com", Document::from_bytes(&jpg)) }, "documents.front"),
        (Customer::new("a@example.com", Document::from_bytes(b"")), "documents.front"),
        (Customer::new("a@example.com", Document::from_bytes(b"GIF? no, plain text")), "documents.front"),
        (
            Customer {
                back: Some(Document::from_base64("!!!")),
                ..Customer::new("a@example.com", Document::from_bytes(&jpg))
            },
            "documents.back",
        ),
    ];
    for (customer, field) in cases {
        let e = client.upsert(&customer).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation, "{customer:?}");
        assert_eq!(e.field(), Some(field), "{e}");
        assert!(e.message().contains(field.split('.').next_back().unwrap()), "message names the field: {e}");
    }
    let e = client.upsert(&Customer::new("a@example.com", Document::from_path(data("missing.jpg")))).unwrap_err();
    assert_eq!((e.kind(), e.field(), e.attempts()), (ErrorKind::File, Some("documents.front"), 0));
    let e = client.upsert(&Customer::new("a@example.com", Document::from_path(data("PROVENANCE.md")))).unwrap_err();
    assert_eq!((e.kind(), e.field(), e.attempts()), (ErrorKind::Validation, Some("documents.front"), 0));
    assert_eq!(client.call_json("{").unwrap_err().kind(), ErrorKind::InvalidJson);
    assert_eq!(sb.requests(), 0, "nothing reached the sandbox");
    assert_eq!(sb.connections(), 0, "not even a connection");
}

#[test]
fn service_errors_map_to_codes_with_the_service_message() {
    let sb = sandbox();
    let jpg = read("passport-td3.jpg");
    let customer = Customer::new("a@example.com", Document::from_bytes(&jpg));

    let mut cfg = config(&sb);
    cfg.pass = Some("wrong-password".into());
    let e = dcams_client::Client::new(cfg).unwrap().upsert(&customer).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.http_status(), Some(401));
    assert_eq!(e.service_message(), Some("Either your username or password is incorrect"));
    assert!(!format!("{e:?}").contains("wrong-password"));

    let client = client(&sb);
    let e = client.get_status("nobody@example.com").unwrap_err();
    assert_eq!((e.kind(), e.http_status()), (ErrorKind::NotFound, Some(404)));
    assert_eq!(e.service_message(), Some("The email address was not found"));

    let platform = sandbox_with(ErrorStyle::Platform);
    let mut cfg = config(&platform);
    cfg.pass = Some("wrong-password".into());
    let e = dcams_client::Client::new(cfg).unwrap().upsert(&customer).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.service_code(), Some("AUTH0"));
    assert_eq!(e.service_message(), Some("Bad Login"));
}

#[test]
fn every_documented_error_answer_maps_to_its_code() {
    // The client's own validation prevents the service's 400s, so the sandbox
    // is scripted to give each documented answer (spec: "Errors").
    let sb = sandbox();
    let client = client(&sb);
    let jpg = read("passport-td3.jpg");
    let customer = Customer::new("a@example.com", Document::from_bytes(&jpg));
    let storage = |m: &str| serde_json::json!({"result": "Error", "message": m});
    let platform = |code: &str, m: &str| serde_json::json!({"meta": {"timestamp": "2019-10-21T13:06:12"}, "error": {"message": m, "code": code, "detail": "d"}});
    let cases = [
        (400, storage("The email address is invalid"), ErrorKind::BadRequest, "The email address is invalid", None),
        (400, storage("Missing a required input"), ErrorKind::BadRequest, "Missing a required input", None),
        (404, storage("The email address was not found"), ErrorKind::NotFound, "The email address was not found", None),
        (
            400,
            platform("QRY1", "Missing required input"),
            ErrorKind::BadRequest,
            "Missing required input",
            Some("QRY1"),
        ),
        (403, platform("AUTH1", "User not active"), ErrorKind::Forbidden, "User not active", Some("AUTH1")),
        (401, platform("AUTH0", "Bad Login"), ErrorKind::Unauthorized, "Bad Login", Some("AUTH0")),
        (200, storage("Something failed"), ErrorKind::ServiceError, "Something failed", None),
    ];
    let count = cases.len() as u64;
    for (status, body, kind, message, code) in cases {
        sb.script(dcams_sandbox::ScriptedAnswer::json(status, body));
        let e = client.upsert(&customer).unwrap_err();
        assert_eq!(e.kind(), kind, "{status} {message}");
        assert_eq!(e.http_status(), Some(status));
        assert_eq!(e.service_message(), Some(message));
        assert_eq!(e.service_code(), code);
    }
    assert_eq!(sb.requests(), count);
}

#[test]
fn missing_credentials_is_a_config_error_without_traffic() {
    let sb = sandbox();
    let cfg = dcams_client::Config { endpoint: sb.url(), ..dcams_client::Config::default() };
    let client = dcams_client::Client::new(cfg).unwrap();
    let jpg = read("passport-td3.jpg");
    let e = client.upsert(&Customer::new("a@example.com", Document::from_bytes(&jpg))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("DCAMS_USER"));
    // Per-call credentials in the JSON entry point work with the same client.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&jpg);
    let req = serde_json::json!({"user": USER, "pass": PASS, "target": {"email": "a@example.com", "documents": {"front": b64}}});
    assert_eq!(client.call_json(&req.to_string()).unwrap().json()["type"], "createCustomer");
    assert_eq!(sb.requests(), 1);
}

#[test]
fn one_client_many_threads_each_gets_its_own_outcome() {
    let sb = sandbox();
    let client = client(&sb);
    let jpg = read("passport-td3.jpg");
    std::thread::scope(|s| {
        for t in 0..8 {
            let (client, jpg) = (&client, &jpg);
            s.spawn(move || {
                for i in 0..50 {
                    let email = format!("t{t}.i{i}@example.com");
                    if i % 3 == 2 {
                        let bad = Customer {
                            dob: Some(format!("1990{:02}31", 2 + (i % 2) * 2)),
                            ..Customer::new(email, Document::from_bytes(jpg))
                        };
                        let e = client.upsert(&bad).unwrap_err();
                        assert_eq!((e.kind(), e.field()), (ErrorKind::Validation, Some("dob")));
                    } else {
                        let r = client.upsert(&Customer::new(email.clone(), Document::from_bytes(jpg))).unwrap();
                        assert_eq!(r.kind, Some(UpsertKind::Created));
                        assert_eq!(r.target["email"], email.as_str());
                    }
                }
            });
        }
    });
    let valid = 8 * (0..50).filter(|i| i % 3 != 2).count() as u64;
    assert_eq!(sb.requests(), valid);
}
