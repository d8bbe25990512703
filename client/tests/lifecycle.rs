//! The whole storage API against the sandbox: getStatus, getDocumentImages,
//! updateStatus and test mode.

mod common;

use common::*;
use dcams_client::{Customer, Document, ErrorKind, ReviewStatus, Secret, UpsertKind};

#[test]
fn upsert_status_images_review_and_upsert_again() {
    let sb = sandbox();
    let client = client(&sb);
    let email = "lifecycle@example.com";
    let customer = Customer {
        back: Some(Document::from_path(data("passport-td2.png"))),
        ..Customer::new(email, Document::from_path(data("passport-td3.jpg")))
    };
    assert_eq!(client.upsert(&customer).unwrap().kind, Some(UpsertKind::Created));

    let status = client.get_status(email).unwrap();
    assert_eq!(status.status, Some(ReviewStatus::Pending));
    assert_eq!(status.target["email"], email);

    let images = client.get_document_images(email).unwrap();
    assert_eq!(images.front.as_deref(), Some(&read("passport-td3.jpg")[..]));
    assert_eq!(images.back.as_deref(), Some(&read("passport-td2.png")[..]));
    assert_eq!(images.status, Some(ReviewStatus::Pending));

    let dir = std::env::temp_dir().join(format!("dcams-lifecycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    images.write_to(&dir.join("front.jpg"), Some(&dir.join("back.png"))).unwrap();
    assert_eq!(std::fs::read(dir.join("front.jpg")).unwrap(), read("passport-td3.jpg"));
    assert_eq!(std::fs::read(dir.join("back.png")).unwrap(), read("passport-td2.png"));
    std::fs::remove_dir_all(&dir).ok();

    let updated = client.update_status(email, ReviewStatus::Pass).unwrap();
    assert_eq!(updated.status, Some(ReviewStatus::Pass), "new status read from target.status");
    assert_eq!(client.get_status(email).unwrap().status, Some(ReviewStatus::Pass));

    // The sandbox's documented rule: an update never changes the review status.
    let again = client.upsert(&customer).unwrap();
    assert_eq!(again.kind, Some(UpsertKind::Updated));
    assert_eq!(again.status, Some(ReviewStatus::Pass));
    assert_eq!(client.get_status(email).unwrap().status, Some(ReviewStatus::Pass));
}

#[test]
fn lookups_of_unknown_email_are_not_found() {
    let sb = sandbox();
    let client = client(&sb);
    let nobody = "nobody@example.com";
    assert_eq!(client.get_status(nobody).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(client.get_document_images(nobody).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(client.update_status(nobody, ReviewStatus::Fail).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(sb.requests(), 3);
}

#[test]
fn invalid_status_and_email_are_refused_before_sending() {
    let sb = sandbox();
    let client = client(&sb);
    let e = client
        .call_json(r#"{"service":"updateStatus","target":{"email":"a@example.com","status":"DONE"}}"#)
        .unwrap_err();
    assert_eq!((e.kind(), e.field()), (ErrorKind::Validation, Some("status")));
    let e = client.get_status("not an email").unwrap_err();
    assert_eq!((e.kind(), e.field()), (ErrorKind::Validation, Some("email")));
    assert_eq!(sb.requests(), 0);
}

#[test]
fn bad_credentials_are_unauthorized_for_every_service() {
    let sb = sandbox();
    let mut cfg = config(&sb);
    cfg.pass = Some(Secret::new("not-the-password"));
    let client = dcams_client::Client::new(cfg).unwrap();
    assert_eq!(client.get_status("a@example.com").unwrap_err().kind(), ErrorKind::Unauthorized);
    assert_eq!(client.get_document_images("a@example.com").unwrap_err().kind(), ErrorKind::Unauthorized);
    assert_eq!(client.update_status("a@example.com", ReviewStatus::Pass).unwrap_err().kind(), ErrorKind::Unauthorized);
}

#[test]
fn test_key_goes_to_the_test_namespace_and_is_never_shown() {
    let sb = sandbox();
    let mut cfg = config(&sb);
    cfg.test_key = Some(Secret::new("sandbox-test-key"));
    let client = dcams_client::Client::new(cfg).unwrap();
    let jpg = read("passport-td3.jpg");
    let reply = client.upsert(&Customer::new("t@example.com", Document::from_bytes(&jpg))).unwrap();
    let wire: serde_json::Value = serde_json::from_slice(&sb.last_request().unwrap().body).unwrap();
    assert_eq!(wire["target"]["test_key"], "sandbox-test-key");
    assert!(sb.customer("t@example.com", true).is_some());
    assert!(sb.customer("t@example.com", false).is_none(), "kept apart from live records");
    assert!(!reply.raw.body.contains("sandbox-test-key"));
    assert!(!format!("{client:?} {reply:?}").contains("sandbox-test-key"));

    // A wrong key: the error carries no trace of it either.
    let bad = Customer {
        test_key: Some(Secret::new("wrong-test-key-123")),
        ..Customer::new("t@example.com", Document::from_bytes(&jpg))
    };
    let e = client.upsert(&bad).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert!(!format!("{e:?}").contains("wrong-test-key-123") && !format!("{e:?}").contains("wrong-test-key-123"));
}
