//! Counters, the in-process accessors and the `/_sandbox` admin endpoints.

mod common;

use common::*;
use serde_json::json;

#[test]
fn request_counter_counts_every_storage_request_and_nothing_else() {
    let h = start_default();
    assert_eq!(h.sandbox.requests(), 0);
    h.post_raw(b"", "application/json"); // 400
    h.post(&json!({"user": "x"})); // 401
    h.call("createOrUpdateCustomer", customer_target("ada@example.com")); // 200
    h.get("/v3/stable/api/storage"); // 405
    h.get("/_sandbox/stats"); // admin: not counted
    h.get("/elsewhere"); // not counted
    assert_eq!(h.sandbox.requests(), 4);
    let stats = h.get("/_sandbox/stats").json();
    assert_eq!(stats["requests"], json!(4));
    assert_eq!(stats["customers"], json!(1), "the one upsert created a record");
    assert_eq!(h.sandbox.customer_count(), 1);
    h.call("getStatus", json!({"email": "nobody@example.com"})); // 404: reads only
    assert_eq!(h.get("/_sandbox/stats").json()["customers"], json!(1));
}

#[test]
fn connection_counter_sees_reuse_and_new_connections() {
    let h = start_default();
    for _ in 0..3 {
        h.call("getStatus", json!({"email": "ada@example.com"}));
    }
    assert_eq!(h.sandbox.connections(), 1, "one keep-alive connection");
    let other = agent();
    other.post(&h.sandbox.url()).send("{}").unwrap();
    assert_eq!(h.sandbox.connections(), 2);
    // a raw connection that closes
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(h.sandbox.addr()).unwrap();
        s.write_all(b"GET /_sandbox/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.contains("\"connections\":3"), "{out}");
        assert!(out.contains("\"requests\":4"), "{out}");
    }
    assert_eq!(h.sandbox.connections(), 3);
    assert_eq!(h.sandbox.requests(), 4);
}

#[test]
fn last_request_is_recorded_raw() {
    let h = start_default();
    assert_eq!(h.sandbox.last_request(), None);
    assert_eq!(h.get("/_sandbox/last-request").status, 404);
    let body = serde_json::to_vec(&call("getStatus", json!({"email": "ada@example.com"}))).unwrap();
    let resp = h
        .agent
        .post(&h.sandbox.url())
        .header("Content-Type", "application/json; charset=utf-8")
        .header("User-Agent", "dcams-test/1.0")
        .send(&body[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let last = h.sandbox.last_request().unwrap();
    assert_eq!(last.method, "POST");
    assert_eq!(last.content_type.as_deref(), Some("application/json; charset=utf-8"));
    assert_eq!(last.content_length, Some(body.len() as u64));
    assert_eq!(last.user_agent.as_deref(), Some("dcams-test/1.0"));
    assert_eq!(last.body, body);

    let admin = h.get("/_sandbox/last-request").json();
    assert_eq!(
        admin,
        json!({
            "method": "POST",
            "content_type": "application/json; charset=utf-8",
            "content_length": body.len(),
            "user_agent": "dcams-test/1.0",
            "body": call("getStatus", json!({"email": "ada@example.com"})),
        })
    );

    h.post_raw(b"not json", "text/plain");
    let admin = h.get("/_sandbox/last-request").json();
    assert_eq!(admin["body"], json!(null));
    assert_eq!(admin["content_type"], json!("text/plain"));
    assert_eq!(h.sandbox.last_request().unwrap().body, b"not json");
}

#[test]
fn customer_endpoint_decodes_plus_and_at() {
    let h = start_default();
    let email = "ada+tag@example.com";
    let mut t = customer_target(email);
    t["documents"]["back"] = json!(b64(&[0, 1, 2, 255]));
    let mut req = call("createOrUpdateCustomer", t);
    req["reference"] = json!("ref-7");
    assert_eq!(h.post(&req).status, 200);

    let r = h.get("/_sandbox/customers/ada%2Btag%40example.com");
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        r.json(),
        json!({
            "email": email, "reference": "ref-7", "status": "PENDING", "id": 1001, "upserts": 1,
            "target": {"fn": "Ada", "ln": "Example", "addr": "1 Test Way", "city": "Springfield",
                       "state": "IL", "zip": "62701", "dob": "19800214",
                       "email": email, "phone": "2175550100"},
            "front_len": 11, "back_len": 4,
            // sha256sum of the bytes sent
            "front_sha256": "488e4e03af74492f54eea7e74b044840d43529159e6437ca93e3466872806b22",
            "back_sha256": "3d1f57c984978ef98a18378c8166c1cb8ede02c03eeb6aee7e2f121dfeee3e56",
        })
    );
    // literal '+' and '@' in the path work too
    assert_eq!(h.get("/_sandbox/customers/ada+tag@example.com").json()["id"], json!(1001));
    // not in the test namespace
    assert_eq!(h.get("/_sandbox/customers/ada%2Btag%40example.com?test=1").status, 404);
    assert_eq!(h.get("/_sandbox/customers/nobody%40example.com").status, 404);

    let front = h.get("/_sandbox/customers/ada%2Btag%40example.com/documents/front");
    assert_eq!(front.status, 200);
    assert_eq!(front.content_type.as_deref(), Some("application/octet-stream"));
    assert_eq!(front.body, b"FRONT-IMAGE");
    let back = h.get("/_sandbox/customers/ada%2Btag%40example.com/documents/back");
    assert_eq!(back.body, vec![0, 1, 2, 255]);
    assert_eq!(h.get("/_sandbox/customers/ada%2Btag%40example.com/documents/side").status, 404);
}

#[test]
fn customer_endpoints_reach_the_test_namespace() {
    let h = start_default();
    let mut t = customer_target("t@example.com");
    t["test_key"] = json!(TEST_KEY);
    h.call("createOrUpdateCustomer", t);
    assert_eq!(h.get("/_sandbox/customers/t%40example.com").status, 404);
    let r = h.get("/_sandbox/customers/t%40example.com?test=1").json();
    assert_eq!(r["id"], json!(1001));
    assert_eq!(r["back_len"], json!(null));
    assert_eq!(r["target"].get("test_key"), None);
    let front = h.get("/_sandbox/customers/t%40example.com/documents/front?test=1");
    assert_eq!(front.body, b"FRONT-IMAGE");
    assert_eq!(h.get("/_sandbox/customers/t%40example.com/documents/back?test=1").status, 404);
    assert_eq!(h.get("/_sandbox/customers/t%40example.com/documents/front").status, 404);
}

#[test]
fn reset_empties_store_and_counters() {
    let h = start_default();
    h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
    let resp = h.agent.post(&format!("{}/_sandbox/reset", h.sandbox.base_url())).send_empty().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(h.sandbox.customer("ada@example.com", false), None);
    assert_eq!(h.sandbox.requests(), 0);
    assert_eq!(h.sandbox.last_request(), None);
    let (_, body) = h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
    assert_eq!(body["reference"], json!("R-1001"), "ids restart");
    h.sandbox.reset();
    assert_eq!(h.sandbox.requests(), 0);
    assert_eq!(h.sandbox.customer("ada@example.com", false), None);
}
