//! The four services' success paths and the store rules.

mod common;

use common::*;
use serde_json::json;

#[test]
fn create_answers_the_documented_success_body() {
    let h = start_default();
    let (status, body) = h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
    assert_eq!(status, 200);
    let link = format!("{}/customers.php?a=edit&id=1001", h.sandbox.base_url());
    assert_eq!(
        body,
        json!({
            "result": "Success", "reference": "R-1001", "customer_link": link,
            "status": "PENDING", "type": "createCustomer",
            "target": {"fn": "Ada", "ln": "Example", "addr": "1 Test Way", "city": "Springfield",
                       "state": "IL", "zip": "62701", "dob": "19800214",
                       "email": "ada@example.com", "phone": "2175550100"}
        })
    );
    let rec = h.sandbox.customer("ada@example.com", false).expect("stored");
    assert_eq!(rec.id, 1001);
    assert_eq!(rec.front, b"FRONT-IMAGE");
    assert_eq!(rec.back, None);
    assert_eq!(rec.status, "PENDING");
    assert_eq!(rec.reference, "R-1001");
    assert_eq!(rec.fields["city"], json!("Springfield"));
    assert!(!rec.fields.contains_key("documents"));
}

#[test]
fn ids_are_sequential_and_caller_reference_is_kept() {
    let h = start_default();
    h.call("createOrUpdateCustomer", customer_target("one@example.com"));
    let mut req = call("createOrUpdateCustomer", customer_target("two@example.com"));
    req["reference"] = json!("my-ref-2");
    let r = h.post(&req);
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["reference"], json!("my-ref-2"));
    assert!(body["customer_link"].as_str().unwrap().ends_with("/customers.php?a=edit&id=1002"));
}

#[test]
fn update_merges_keeps_status_and_back_image() {
    let h = start_default();
    let mut t = customer_target("ada@example.com");
    t["documents"]["back"] = json!(b64(b"BACK-1"));
    h.call("createOrUpdateCustomer", t);
    let (s, _) = h.call("updateStatus", json!({"email": "ada@example.com", "status": "PASS"}));
    assert_eq!(s, 200);

    let (status, body) = h.call(
        "createOrUpdateCustomer",
        json!({"email": "ada@example.com", "ln": "Lovelace", "nickname": "countess",
               "status": "FAIL", "documents": {"front": b64(b"FRONT-2")}}),
    );
    assert_eq!(status, 200);
    assert_eq!(body["type"], json!("updateCustomer"));
    assert_eq!(body["status"], json!("PASS"), "an update never changes the status");
    assert_eq!(body["reference"], json!("R-1001"));
    assert_eq!(body["target"]["ln"], json!("Lovelace"));
    assert_eq!(body["target"]["fn"], json!("Ada"), "attributes not sent are kept");
    assert_eq!(body["target"]["nickname"], json!("countess"), "unknown attributes are kept");
    assert_eq!(body["target"].get("status"), None);
    assert!(body["customer_link"].as_str().unwrap().ends_with("id=1001"));

    let rec = h.sandbox.customer("ada@example.com", false).unwrap();
    assert_eq!(rec.front, b"FRONT-2");
    assert_eq!(rec.back.as_deref(), Some(&b"BACK-1"[..]), "back kept when not given");
    assert_eq!(rec.status, "PASS");
}

#[test]
fn update_replaces_reference_and_back_when_given() {
    let h = start_default();
    h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
    let mut t = customer_target("ada@example.com");
    t["documents"]["back"] = json!(b64(b"BACK-NEW"));
    let mut req = call("createOrUpdateCustomer", t);
    req["reference"] = json!("new-ref");
    let body = h.post(&req).json();
    assert_eq!(body["reference"], json!("new-ref"));
    let rec = h.sandbox.customer("ada@example.com", false).unwrap();
    assert_eq!(rec.back.as_deref(), Some(&b"BACK-NEW"[..]));
    assert_eq!(rec.reference, "new-ref");
}

#[test]
fn email_key_is_exact() {
    let h = start_default();
    h.call("createOrUpdateCustomer", customer_target("Ada@Example.com"));
    let (status, _) = h.call("getStatus", json!({"email": "ada@example.com"}));
    assert_eq!(status, 404);
    let (status, body) = h.call("getStatus", json!({"email": "Ada@Example.com"}));
    assert_eq!(status, 200);
    assert_eq!(body["target"]["email"], json!("Ada@Example.com"));
}

#[test]
fn get_status_answers_stored_attributes_without_images() {
    let h = start_default();
    h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
    let (status, body) = h.call("getStatus", json!({"email": "ada@example.com"}));
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "result": "Success", "reference": "R-1001", "status": "PENDING",
            "target": {"fn": "Ada", "ln": "Example", "addr": "1 Test Way", "city": "Springfield",
                       "state": "IL", "zip": "62701", "dob": "19800214",
                       "email": "ada@example.com", "phone": "2175550100"}
        })
    );
}

#[test]
fn update_status_then_get_status() {
    let h = start_default();
    h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
    for new in ["FAIL", "PASS", "PENDING", "PASS"] {
        let (status, body) = h.call("updateStatus", json!({"email": "ada@example.com", "status": new}));
        assert_eq!(status, 200);
        assert_eq!(body["result"], json!("Success"));
        assert_eq!(body["reference"], json!("R-1001"));
        assert_eq!(body["target"]["status"], json!(new), "new status inside target");
        assert_eq!(body["target"]["fn"], json!("Ada"));
        assert_eq!(body["target"]["email"], json!("ada@example.com"));
        assert_eq!(body.get("status"), None, "not at top level");
        let (_, got) = h.call("getStatus", json!({"email": "ada@example.com"}));
        assert_eq!(got["status"], json!(new));
    }
    assert_eq!(h.sandbox.customer("ada@example.com", false).unwrap().status, "PASS");
}

#[test]
fn images_are_byte_identical_through_get_document_images() {
    let h = start_default();
    // every byte value, and a 3 MiB image whose length is not a multiple of 3
    let front: Vec<u8> = (0..=255u8).cycle().take(3 * 1024 * 1024 + 1).collect();
    let back: Vec<u8> = (0..=255u8).rev().collect();
    let mut t = customer_target("ada@example.com");
    t["documents"] = json!({"front": b64(&front), "back": b64(&back)});
    let (status, _) = h.call("createOrUpdateCustomer", t);
    assert_eq!(status, 200);

    let (status, body) = h.call("getDocumentImages", json!({"email": "ada@example.com"}));
    assert_eq!(status, 200);
    assert_eq!(body["result"], json!("Success"));
    assert_eq!(body["status"], json!("PENDING"));
    assert_eq!(body["reference"], json!("R-1001"));
    assert_eq!(body["target"]["fn"], json!("Ada"));
    let docs = body["target"]["documents"].as_object().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(unb64(docs["front"].as_str().unwrap()), front);
    assert_eq!(unb64(docs["back"].as_str().unwrap()), back);
    assert_eq!(docs["front"].as_str().unwrap(), b64(&front));

    let rec = h.sandbox.customer("ada@example.com", false).unwrap();
    assert_eq!(rec.front, front);
    assert_eq!(rec.back, Some(back));
}

#[test]
fn get_document_images_omits_missing_back() {
    let h = start_default();
    h.call("createOrUpdateCustomer", customer_target("ada@example.com"));
    let (_, body) = h.call("getDocumentImages", json!({"email": "ada@example.com"}));
    assert_eq!(body["target"]["documents"], json!({"front": b64(b"FRONT-IMAGE")}));
}

#[test]
fn any_content_type_is_accepted_and_recorded() {
    let h = start_default();
    let body = serde_json::to_vec(&call("createOrUpdateCustomer", customer_target("ada@example.com"))).unwrap();
    let r = h.post_raw(&body, "text/plain");
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let last = h.sandbox.last_request().unwrap();
    assert_eq!(last.content_type.as_deref(), Some("text/plain"));
    assert_eq!(last.body, body);
}

#[test]
fn large_image_of_48_mb_is_accepted() {
    let h = start_default();
    let front = vec![0xA5u8; 48 * 1000 * 1000];
    let mut t = customer_target("big@example.com");
    t["documents"]["front"] = json!(b64(&front));
    let (status, body) = h.call("createOrUpdateCustomer", t);
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.sandbox.customer("big@example.com", false).unwrap().front.len(), 48_000_000);
}
