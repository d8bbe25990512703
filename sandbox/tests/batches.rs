//! What realistic batches need of the sandbox: a request-rate limit that
//! answers 429 with `Retry-After`, requests counted per second, per-record
//! upsert counts, and a mode that keeps only each image's size and hash.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dcams_sandbox::{ImageDigest, ImageStorage, SandboxConfig};
use serde_json::json;

fn upsert(h: &Harness, email: &str) -> Reply {
    h.post(&call("createOrUpdateCustomer", customer_target(email)))
}

#[test]
fn above_the_rate_limit_answers_429_with_retry_after_and_counts_it() {
    let h = start(SandboxConfig { rate_limit: Some(5), ..Default::default() });
    let started = Instant::now();
    let statuses: Vec<u16> = (0..8).map(|i| upsert(&h, &format!("c{i}@example.com")).status).collect();
    assert!(started.elapsed() < Duration::from_millis(900), "the test needs the 8 requests within one second");
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);

    let limited = h.agent.post(&h.sandbox.url()).send(b"{}".as_slice()).unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    let body: serde_json::Value = serde_json::from_reader(limited.into_body().into_reader()).unwrap();
    assert_eq!(body, json!({"result": "Error", "message": "Too many requests: at most 5 per second"}));

    let stats = h.sandbox.stats();
    assert_eq!((stats.requests, stats.rate_limited, stats.created), (9, 4, 5));
    // The window slides: a second after the first request, one is accepted again.
    std::thread::sleep(Duration::from_secs(1).saturating_sub(started.elapsed()) + Duration::from_millis(20));
    assert_eq!(upsert(&h, "late@example.com").status, 200);
    // Rejected requests were not stored.
    assert!(h.sandbox.customer("c5@example.com", false).is_none());
}

#[test]
fn requests_are_counted_per_second_from_the_first() {
    let h = start_default();
    assert!(h.sandbox.stats().per_second.is_empty());
    for i in 0..3 {
        upsert(&h, &format!("a{i}@example.com"));
    }
    std::thread::sleep(Duration::from_millis(1100));
    upsert(&h, "b@example.com");
    let stats = h.get("/_sandbox/stats").json();
    assert_eq!(stats["per_second"], json!([3, 1]));
    assert_eq!(stats["max_per_second"], json!(3));
    assert_eq!(stats["requests"], json!(4));
    assert_eq!(stats["rate_limited"], json!(0));
    h.sandbox.reset();
    assert!(h.sandbox.stats().per_second.is_empty());
}

#[test]
fn every_record_says_how_often_it_was_stored() {
    let h = start_default();
    upsert(&h, "a@example.com");
    upsert(&h, "b@example.com");
    upsert(&h, "a@example.com");
    let stats = h.sandbox.stats();
    assert_eq!((stats.created, stats.updated), (2, 1));
    let list = h.get("/_sandbox/customers").json();
    let mut rows: Vec<(String, u64)> = list["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["email"].as_str().unwrap().to_owned(), c["upserts"].as_u64().unwrap()))
        .collect();
    rows.sort();
    assert_eq!(rows, [("a@example.com".to_owned(), 2), ("b@example.com".to_owned(), 1)]);
    assert_eq!(h.get("/_sandbox/customers?test=1").json(), json!({"customers": []}));
    assert_eq!(h.sandbox.customers(false).len(), 2);
}

#[test]
fn hash_only_mode_checks_images_and_keeps_their_hashes() {
    let h = start(SandboxConfig { images: ImageStorage::HashOnly, ..Default::default() });
    let mut target = customer_target("h@example.com");
    target["documents"]["back"] = json!(b64(b"BACK"));
    assert_eq!(h.post(&call("createOrUpdateCustomer", target)).status, 200);
    let rec = h.sandbox.customer("h@example.com", false).unwrap();
    assert!(rec.front.is_empty() && rec.back.is_none(), "no image bytes kept");
    assert_eq!(rec.front_digest, ImageDigest::of(b"FRONT-IMAGE"));
    assert_eq!(rec.back_digest, Some(ImageDigest::of(b"BACK")));
    let admin = h.get("/_sandbox/customers/h%40example.com").json();
    assert_eq!(admin["front_len"], json!(11));
    assert_eq!(admin["front_sha256"], json!("488e4e03af74492f54eea7e74b044840d43529159e6437ca93e3466872806b22"));
    assert_eq!(h.get("/_sandbox/customers/h%40example.com/documents/front").status, 404);

    // Images are still checked.
    let mut bad = customer_target("bad@example.com");
    bad["documents"]["front"] = json!("not base64!");
    assert_eq!(h.post(&call("createOrUpdateCustomer", bad)).status, 400);
    // getDocumentImages cannot answer without the bytes, and says so.
    let (status, body) = h.call("getDocumentImages", json!({"email": "h@example.com"}));
    assert_eq!(status, 400);
    assert!(platform_error(&body)["message"].as_str().unwrap().contains("not kept"), "{body}");
    // getStatus works as ever.
    assert_eq!(h.call("getStatus", json!({"email": "h@example.com"})).0, 200);
}
