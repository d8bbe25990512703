//! The four storage services, one function each, dispatched by name from
//! [`SERVICES`]. Each takes a request that already passed the envelope checks
//! of [`crate::request`] plus the store, and returns the HTTP status and JSON
//! body of its answer.

use std::sync::Mutex;

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::errors::{self, Answer};
use crate::request::{present, StorageRequest};
use crate::store::{lock, ImageStorage, ReviewStatus, Store, StoredCustomer, Upsert};

/// Signature shared by all services.
pub(crate) type ServiceFn = fn(&StorageRequest, &Mutex<Store>) -> Answer;

/// A named service.
#[derive(Debug)]
pub(crate) struct Service {
    /// Wire name (the request's `service` value).
    pub name: &'static str,
    /// Implementation.
    pub run: ServiceFn,
}

/// The dispatch table: every service the sandbox knows.
pub(crate) static SERVICES: &[Service] = &[
    Service { name: "createOrUpdateCustomer", run: create_or_update_customer },
    Service { name: "getStatus", run: get_status },
    Service { name: "getDocumentImages", run: get_document_images },
    Service { name: "updateStatus", run: update_status },
];

/// The service called exactly `name` (case-sensitive), if any.
pub(crate) fn lookup(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// Runs the request's service.
pub(crate) fn dispatch(req: &StorageRequest, store: &Mutex<Store>) -> Answer {
    (req.service.run)(req, store)
}

const MSG_BAD_BASE64: &str = "Document image is not valid base64";
const MSG_IMAGES_NOT_KEPT: &str = "Document images are not kept by this sandbox (it keeps only their hashes)";

/// Spec *Service createOrUpdateCustomer*: creates the record if the e-mail is
/// unknown in the namespace, else updates it (see [`crate::store`] for the
/// merge rules; an update never changes the status). Requires
/// `target.documents.front`; images must be standard padded base64.
fn create_or_update_customer(req: &StorageRequest, store: &Mutex<Store>) -> Answer {
    let Some(Value::Object(documents)) = present(req.target.get("documents")) else {
        return errors::missing_input(req.style);
    };
    let front = match present(documents.get("front")) {
        Some(Value::String(s)) if !s.is_empty() => s,
        _ => return errors::missing_input(req.style),
    };
    let Ok(front) = STANDARD.decode(front) else {
        return errors::validation(MSG_BAD_BASE64);
    };
    let back = match present(documents.get("back")) {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => match STANDARD.decode(s) {
            Ok(b) => Some(b),
            Err(_) => return errors::validation(MSG_BAD_BASE64),
        },
        Some(_) => return errors::validation(MSG_BAD_BASE64),
    };
    let reference = match &req.reference {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return errors::validation("Invalid reference"),
    };
    let mut attributes = req.target.clone();
    attributes.remove("documents");
    attributes.remove("status");

    let mut store = lock(store);
    let (rec, kind) =
        store.upsert(req.namespace, Upsert { email: req.email.clone(), attributes, reference, front, back });
    (
        StatusCode::OK,
        json!({
            "result": "Success",
            "reference": rec.reference,
            "customer_link": format!("{}/customers.php?a=edit&id={}", req.base_url, rec.id),
            "status": rec.status,
            "type": kind.as_str(),
            "target": rec.fields,
        }),
    )
}

/// Spec *Service getStatus*: `result`, `reference`, `status` and the stored
/// attributes in `target` (no images); 404 if the e-mail is unknown.
fn get_status(req: &StorageRequest, store: &Mutex<Store>) -> Answer {
    let store = lock(store);
    let Some(rec) = store.get(req.namespace, &req.email) else {
        return errors::email_not_found();
    };
    (StatusCode::OK, status_body(rec, rec.fields.clone()))
}

/// Spec *Service getDocumentImages*: like getStatus plus
/// `target.documents.front`/`back` (back omitted if none was stored), the
/// stored bytes in standard padded base64. A sandbox that keeps only hashes
/// ([`ImageStorage::HashOnly`]) answers 400 `QRY2` instead.
fn get_document_images(req: &StorageRequest, store: &Mutex<Store>) -> Answer {
    let store = lock(store);
    if store.images() == ImageStorage::HashOnly {
        return errors::validation(MSG_IMAGES_NOT_KEPT);
    }
    let Some(rec) = store.get(req.namespace, &req.email) else {
        return errors::email_not_found();
    };
    let mut documents = Map::new();
    documents.insert("front".to_owned(), Value::String(STANDARD.encode(&rec.front)));
    if let Some(back) = &rec.back {
        documents.insert("back".to_owned(), Value::String(STANDARD.encode(back)));
    }
    let mut target = rec.fields.clone();
    target.insert("documents".to_owned(), Value::Object(documents));
    (StatusCode::OK, status_body(rec, target))
}

/// Spec *Service updateStatus*: sets the status to `target.status`
/// (`PASS`, `PENDING` or `FAIL`, else 400 `QRY2` "Invalid status") and
/// answers `result`, `reference` and `target` with the stored attributes and
/// the new `status` inside `target` (not at top level); 404 if unknown.
fn update_status(req: &StorageRequest, store: &Mutex<Store>) -> Answer {
    let status = match present(req.target.get("status")) {
        None => return errors::missing_input(req.style),
        Some(Value::String(s)) if s.is_empty() => return errors::missing_input(req.style),
        Some(v) => v.as_str().and_then(ReviewStatus::parse),
    };
    let Some(status) = status else {
        return errors::validation("Invalid status");
    };
    let mut store = lock(store);
    let Some(rec) = store.set_status(req.namespace, &req.email, status) else {
        return errors::email_not_found();
    };
    let mut target = rec.fields.clone();
    target.insert("status".to_owned(), Value::String(rec.status.clone()));
    (StatusCode::OK, json!({ "result": "Success", "reference": rec.reference, "target": target }))
}

/// `{"result":"Success","reference":…,"status":…,"target":target}`.
fn status_body(rec: &StoredCustomer, target: Map<String, Value>) -> Value {
    json!({
        "result": "Success",
        "reference": rec.reference,
        "status": rec.status,
        "target": target,
    })
}
