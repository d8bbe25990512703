//! Every documented error answer, in both error styles, and the HTTP-level
//! answers (wrong method, wrong path).

mod common;

use common::*;
use dcams_sandbox::ErrorStyle;
use serde_json::{json, Value};

const STYLES: [ErrorStyle; 2] = [ErrorStyle::Storage, ErrorStyle::Platform];

fn storage(msg: &str) -> Value {
    json!({"result": "Error", "message": msg})
}

/// Asserts the style-dependent answer: storage `message` or platform `code`.
fn assert_styled(style: ErrorStyle, body: &Value, storage_msg: &str, code: &str, platform_msg: &str) {
    match style {
        ErrorStyle::Storage => assert_eq!(body, &storage(storage_msg)),
        ErrorStyle::Platform => {
            assert_eq!(platform_error(body), json!({"message": platform_msg, "code": code}))
        }
    }
}

#[test]
fn empty_body_is_in0_in_both_styles() {
    for style in STYLES {
        let h = start_style(style);
        let r = h.post_raw(b"", "application/json");
        assert_eq!(r.status, 400);
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(platform_error(&r.json()), json!({"message": "No request body", "code": "IN0"}));
    }
}

#[test]
fn non_json_or_non_object_body_is_in1_in_both_styles() {
    for style in STYLES {
        let h = start_style(style);
        for body in [&b"{\"user\": "[..], b"not json", b"[1,2]", b"\"str\"", b" ", b"\xff\xfe"] {
            let r = h.post_raw(body, "application/json");
            assert_eq!(r.status, 400, "{body:?}");
            assert_eq!(platform_error(&r.json()), json!({"message": "Request body is not valid JSON", "code": "IN1"}));
        }
    }
}

#[test]
fn bad_credentials_are_401_in_the_configured_style() {
    for style in STYLES {
        let h = start_style(style);
        let good = call("getStatus", json!({"email": "ada@example.com"}));
        let mut cases = Vec::new();
        for (field, value) in [("user", json!("wrong")), ("pass", json!("wrong")), ("pass", json!(1))] {
            let mut b = good.clone();
            b[field] = value;
            cases.push(b);
        }
        for field in ["user", "pass"] {
            let mut b = good.clone();
            b.as_object_mut().unwrap().remove(field);
            cases.push(b);
        }
        for body in cases {
            let r = h.post(&body);
            assert_eq!(r.status, 401, "{body}");
            assert_styled(style, &r.json(), "Either your username or password is incorrect", "AUTH0", "Bad Login");
        }
    }
}

#[test]
fn credentials_are_checked_before_target_and_service() {
    let h = start_default();
    let r = h.post(&json!({"user": "x", "pass": "y"}));
    assert_eq!(r.status, 401);
}

#[test]
fn missing_target_is_400() {
    for style in STYLES {
        let h = start_style(style);
        for target in [None, Some(json!("ada@example.com")), Some(json!(null)), Some(json!([]))] {
            let mut b = json!({"user": USER, "pass": PASS, "service": "getStatus"});
            if let Some(t) = target {
                b["target"] = t;
            }
            let r = h.post(&b);
            assert_eq!(r.status, 400, "{b}");
            assert_styled(style, &r.json(), "Missing a required input", "QRY0", "No target");
        }
    }
}

#[test]
fn missing_service_is_missing_input_and_unknown_service_is_qry2() {
    for style in STYLES {
        let h = start_style(style);
        let mut b = call("x", json!({"email": "ada@example.com"}));
        b.as_object_mut().unwrap().remove("service");
        let r = h.post(&b);
        assert_eq!(r.status, 400);
        assert_styled(style, &r.json(), "Missing a required input", "QRY1", "Missing a required input");

        for name in ["deleteCustomer", "getstatus", ""] {
            let (status, body) = h.call(name, json!({"email": "ada@example.com"}));
            assert_eq!(status, 400, "{name}");
            if name.is_empty() {
                assert_styled(style, &body, "Missing a required input", "QRY1", "Missing a required input");
            } else {
                assert_eq!(platform_error(&body), json!({"message": "Unknown service", "code": "QRY2"}));
            }
        }
    }
}

#[test]
fn missing_email_is_missing_input() {
    for style in STYLES {
        let h = start_style(style);
        for target in [json!({}), json!({"email": ""}), json!({"email": null, "fn": "Ada"})] {
            for service in ["createOrUpdateCustomer", "getStatus", "getDocumentImages", "updateStatus"] {
                let (status, body) = h.call(service, target.clone());
                assert_eq!(status, 400, "{service} {target}");
                assert_styled(style, &body, "Missing a required input", "QRY1", "Missing a required input");
            }
        }
    }
}

#[test]
fn invalid_email_is_400() {
    for style in STYLES {
        let h = start_style(style);
        for email in [json!("ada"), json!("ada@example"), json!("a b@example.com"), json!("a@b@c.com"), json!(7)] {
            let mut t = customer_target("x@example.com");
            t["email"] = email.clone();
            let (status, body) = h.call("createOrUpdateCustomer", t);
            assert_eq!(status, 400, "{email}");
            assert_styled(style, &body, "The email address is invalid", "QRY2", "The email address is invalid");
            let (status, _) = h.call("getStatus", json!({"email": email}));
            assert_eq!(status, 400);
        }
        assert_eq!(h.sandbox.customer("ada", false), None);
    }
}

#[test]
fn unknown_test_key_is_401_like_bad_credentials() {
    for style in STYLES {
        let h = start_style(style);
        for key in [json!("not-a-key"), json!(""), json!(1)] {
            let mut t = customer_target("ada@example.com");
            t["test_key"] = key.clone();
            let (status, body) = h.call("createOrUpdateCustomer", t);
            assert_eq!(status, 401, "{key}");
            assert_styled(style, &body, "Either your username or password is incorrect", "AUTH0", "Bad Login");
        }
        assert_eq!(h.sandbox.customer("ada@example.com", false), None);
        assert_eq!(h.sandbox.customer("ada@example.com", true), None);
    }
}

#[test]
fn create_without_front_image_is_missing_input() {
    for style in STYLES {
        let h = start_style(style);
        for docs in
            [None, Some(json!({})), Some(json!({"front": ""})), Some(json!({"back": b64(b"x")})), Some(json!("abc"))]
        {
            let mut t = customer_target("ada@example.com");
            match docs {
                Some(d) => t["documents"] = d,
                None => {
                    t.as_object_mut().unwrap().remove("documents");
                }
            }
            let (status, body) = h.call("createOrUpdateCustomer", t.clone());
            assert_eq!(status, 400, "{t}");
            assert_styled(style, &body, "Missing a required input", "QRY1", "Missing a required input");
        }
        assert_eq!(h.sandbox.customer("ada@example.com", false), None);
    }
}

#[test]
fn non_base64_images_are_qry2_in_both_styles() {
    for style in STYLES {
        let h = start_style(style);
        let bad = [
            json!({"front": "data:image/png;base64,AAAA"}),
            json!({"front": "QUJD\nREVG"}),
            json!({"front": "QUJDRA"}), // unpadded
            json!({"front": "QUJD-_"}), // URL-safe alphabet
            json!({"front": b64(b"ok"), "back": "%%%"}),
            json!({"front": b64(b"ok"), "back": 12}),
        ];
        for docs in bad {
            let mut t = customer_target("ada@example.com");
            t["documents"] = docs.clone();
            let (status, body) = h.call("createOrUpdateCustomer", t);
            assert_eq!(status, 400, "{docs}");
            assert_eq!(platform_error(&body), json!({"message": "Document image is not valid base64", "code": "QRY2"}));
        }
        assert_eq!(h.sandbox.customer("ada@example.com", false), None);
    }
}

#[test]
fn unknown_email_is_404_in_storage_shape_in_both_styles() {
    for style in STYLES {
        let h = start_style(style);
        for (service, target) in [
            ("getStatus", json!({"email": "nobody@example.com"})),
            ("getDocumentImages", json!({"email": "nobody@example.com"})),
            ("updateStatus", json!({"email": "nobody@example.com", "status": "PASS"})),
        ] {
            let (status, body) = h.call(service, target);
            assert_eq!(status, 404, "{service}");
            assert_eq!(body, storage("The email address was not found"));
        }
    }
}

#[test]
fn update_status_requires_a_valid_status() {
    for style in STYLES {
        let h = start_style(style);
        h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
        for t in [json!({"email": "ada@example.com"}), json!({"email": "ada@example.com", "status": ""})] {
            let (status, body) = h.call("updateStatus", t);
            assert_eq!(status, 400);
            assert_styled(style, &body, "Missing a required input", "QRY1", "Missing a required input");
        }
        for bad in [json!("pass"), json!("APPROVED"), json!(1)] {
            let (status, body) = h.call("updateStatus", json!({"email": "ada@example.com", "status": bad}));
            assert_eq!(status, 400, "{bad}");
            assert_eq!(platform_error(&body), json!({"message": "Invalid status", "code": "QRY2"}));
        }
        assert_eq!(h.sandbox.customer("ada@example.com", false).unwrap().status, "PENDING");
    }
}

#[test]
fn wrong_method_on_storage_path_is_405() {
    let h = start_default();
    let r = h.get("/v3/stable/api/storage");
    assert_eq!(r.status, 405);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.json(), json!({"error": "method_not_allowed"}));
    let resp = h.agent.put(&h.sandbox.url()).send("{}").unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers().get("allow").unwrap(), "POST");
}

#[test]
fn other_paths_are_404_json() {
    let h = start_default();
    for path in ["/", "/v3/stable/api/storage/", "/v3/stable/api/other"] {
        let r = h.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(r.json(), json!({"error": "not_found", "path": path}));
    }
    let resp = h.agent.post(&format!("{}/other", h.sandbox.base_url())).send("{}").unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}
