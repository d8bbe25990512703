//! Test-key requests (spec section *Testing*) work on a namespace kept apart
//! from live records; the test key is never stored nor echoed.

mod common;

use common::*;
use dcams_sandbox::SandboxConfig;
use serde_json::json;

fn with_key(mut target: serde_json::Value, key: &str) -> serde_json::Value {
    target["test_key"] = json!(key);
    target
}

#[test]
fn test_records_are_apart_from_live_records() {
    let h = start_default();
    let (status, live) = h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
    assert_eq!(status, 200);
    assert_eq!(live["type"], json!("createCustomer"));

    // same e-mail in the test namespace: a new record, own id sequence
    let mut t = with_key(customer_target("ada@example.com"), TEST_KEY);
    t["fn"] = json!("Testy");
    t["documents"]["front"] = json!(b64(b"TEST-FRONT"));
    let (status, test) = h.call("createOrUpdateCustomer", t);
    assert_eq!(status, 200);
    assert_eq!(test["type"], json!("createCustomer"));
    assert_eq!(test["reference"], json!("R-1001"));
    assert_eq!(test["target"]["fn"], json!("Testy"));
    assert_eq!(test["target"].get("test_key"), None, "test key not echoed");

    // status changes stay in their namespace
    let (status, body) =
        h.call("updateStatus", with_key(json!({"email": "ada@example.com", "status": "FAIL"}), TEST_KEY));
    assert_eq!(status, 200);
    assert_eq!(body["target"]["status"], json!("FAIL"));
    assert_eq!(body["target"].get("test_key"), None);
    let (_, live_status) = h.call("getStatus", json!({"email": "ada@example.com"}));
    assert_eq!(live_status["status"], json!("PENDING"));
    assert_eq!(live_status["target"]["fn"], json!("Ada"));
    let (_, test_status) = h.call("getStatus", with_key(json!({"email": "ada@example.com"}), TEST_KEY));
    assert_eq!(test_status["status"], json!("FAIL"));
    assert_eq!(test_status["target"]["fn"], json!("Testy"));
    assert_eq!(test_status["target"].get("test_key"), None);

    let (_, imgs) = h.call("getDocumentImages", with_key(json!({"email": "ada@example.com"}), TEST_KEY));
    assert_eq!(imgs["target"]["documents"]["front"], json!(b64(b"TEST-FRONT")));
    assert_eq!(imgs["target"].get("test_key"), None);

    let live = h.sandbox.customer("ada@example.com", false).unwrap();
    let test = h.sandbox.customer("ada@example.com", true).unwrap();
    assert_eq!(live.front, b"FRONT-IMAGE");
    assert_eq!(test.front, b"TEST-FRONT");
    assert_eq!((live.status.as_str(), test.status.as_str()), ("PENDING", "FAIL"));
    assert!(!test.fields.contains_key("test_key"));
}

#[test]
fn test_only_customer_is_not_found_live_and_vice_versa() {
    let h = start_default();
    h.call("createOrUpdateCustomer", with_key(customer_target("t@example.com"), TEST_KEY));
    h.call("createOrUpdateCustomer", customer_target("l@example.com"));
    assert_eq!(h.call("getStatus", json!({"email": "t@example.com"})).0, 404);
    assert_eq!(h.call("getStatus", with_key(json!({"email": "l@example.com"}), TEST_KEY)).0, 404);
    assert_eq!(h.call("getStatus", with_key(json!({"email": "t@example.com"}), TEST_KEY)).0, 200);
    assert_eq!(h.sandbox.customer("t@example.com", false), None);
    assert_eq!(h.sandbox.customer("l@example.com", true), None);
}

#[test]
fn several_configured_keys_all_select_the_test_namespace() {
    let h = start(SandboxConfig { test_keys: vec!["k1".into(), "k2".into()], ..Default::default() });
    assert_eq!(h.call("createOrUpdateCustomer", with_key(customer_target("a@example.com"), "k1")).0, 200);
    let (status, body) = h.call("getStatus", with_key(json!({"email": "a@example.com"}), "k2"));
    assert_eq!(status, 200);
    assert_eq!(body["reference"], json!("R-1001"));
    // the default key is not configured here
    assert_eq!(h.call("getStatus", with_key(json!({"email": "a@example.com"}), TEST_KEY)).0, 401);
}

#[test]
fn null_test_key_counts_as_absent() {
    let h = start_default();
    let mut t = customer_target("ada@example.com");
    t["test_key"] = json!(null);
    assert_eq!(h.call("createOrUpdateCustomer", t).0, 200);
    assert!(h.sandbox.customer("ada@example.com", false).is_some());
    assert!(h.sandbox.customer("ada@example.com", true).is_none());
}
