//! Admin endpoints under `/_sandbox`, so that tests running in other
//! processes (C, Python) can inspect what the sandbox stored and saw. They
//! are not part of the DCAMS API and are not counted in the request counter.
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/_sandbox/stats` | `{"requests","connections","customers","rate_limited","created","updated","per_second":[…],"max_per_second"}` (see [`crate::SandboxStats`]; `customers`: records in both namespaces) |
//! | GET | `/_sandbox/customers[?test=1]` | `{"customers":[{"email","id","status","upserts"}…]}`, every record of the namespace |
//! | GET | `/_sandbox/customers/{email}[?test=1]` | `{"email","reference","status","id","upserts","target","front_len","back_len","front_sha256","back_sha256"}` or 404 |
//! | GET | `/_sandbox/customers/{email}/documents/{front\|back}[?test=1]` | raw stored image bytes (`application/octet-stream`) or 404 |
//! | GET | `/_sandbox/last-request` | `{"method","content_type","content_length","user_agent","body"}` (body parsed as JSON, or null) or 404 before any request |
//! | POST | `/_sandbox/reset` | empties the store, zeroes counters, drops scripted answers; `{"reset":true}` |
//! | POST | `/_sandbox/script` | body `{"status":503,"body":"<html>…","content_type":"text/html","times":2}`: the next storage requests get that answer (see [`crate::ScriptedAnswer`]) |
//!
//! `{email}` is percent-decoded (`%40` → `@`, `%2B` → `+`; a literal `+` stays `+`).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::inject::ScriptedAnswer;
use crate::server::{json_response, AppState};
use crate::store::{lock, ImageStorage, Namespace};

/// The admin routes, to be nested under `/_sandbox`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/stats", get(stats))
        .route("/customers", get(customers))
        .route("/customers/{email}", get(customer))
        .route("/customers/{email}/documents/{side}", get(document))
        .route("/last-request", get(last_request))
        .route("/reset", post(reset))
        .route("/script", post(script))
}

/// `?test=…`: `1`, `true` or `yes` select the test namespace.
#[derive(Debug, Deserialize)]
struct NamespaceQuery {
    test: Option<String>,
}

impl NamespaceQuery {
    fn namespace(&self) -> Namespace {
        let test = matches!(self.test.as_deref(), Some("1" | "true" | "yes"));
        Namespace::from_test_flag(test)
    }
}

async fn stats(State(app): State<AppState>) -> Response {
    json_response(StatusCode::OK, json!(app.stats()))
}

async fn customers(State(app): State<AppState>, Query(q): Query<NamespaceQuery>) -> Response {
    let store = lock(&app.store);
    let list: Vec<Value> = store
        .all(q.namespace())
        .map(|rec| json!({"email": rec.email, "id": rec.id, "status": rec.status, "upserts": rec.upserts}))
        .collect();
    json_response(StatusCode::OK, json!({ "customers": list }))
}

async fn customer(State(app): State<AppState>, Path(email): Path<String>, Query(q): Query<NamespaceQuery>) -> Response {
    let store = lock(&app.store);
    let Some(rec) = store.get(q.namespace(), &email) else {
        return customer_not_found();
    };
    json_response(
        StatusCode::OK,
        json!({
            "email": rec.email,
            "reference": rec.reference,
            "status": rec.status,
            "id": rec.id,
            "upserts": rec.upserts,
            "target": rec.fields,
            "front_len": rec.front_digest.len,
            "back_len": rec.back_digest.as_ref().map(|d| d.len),
            "front_sha256": rec.front_digest.sha256,
            "back_sha256": rec.back_digest.as_ref().map(|d| &d.sha256),
        }),
    )
}

async fn document(
    State(app): State<AppState>,
    Path((email, side)): Path<(String, String)>,
    Query(q): Query<NamespaceQuery>,
) -> Response {
    let bytes = {
        let store = lock(&app.store);
        if store.images() == ImageStorage::HashOnly {
            return json_response(StatusCode::NOT_FOUND, json!({"error": "images_not_kept"}));
        }
        let Some(rec) = store.get(q.namespace(), &email) else {
            return customer_not_found();
        };
        match side.as_str() {
            "front" => Some(rec.front.clone()),
            "back" => rec.back.clone(),
            _ => return json_response(StatusCode::NOT_FOUND, json!({"error": "unknown_side"})),
        }
    };
    match bytes {
        Some(b) => ([(header::CONTENT_TYPE, "application/octet-stream")], b).into_response(),
        None => json_response(StatusCode::NOT_FOUND, json!({"error": "no_such_image"})),
    }
}

async fn last_request(State(app): State<AppState>) -> Response {
    let Some(r) = app.stats.last_request() else {
        return json_response(StatusCode::NOT_FOUND, json!({"error": "no_request_yet"}));
    };
    let body = serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null);
    json_response(
        StatusCode::OK,
        json!({
            "method": r.method,
            "content_type": r.content_type,
            "content_length": r.content_length,
            "user_agent": r.user_agent,
            "body": body,
        }),
    )
}

async fn reset(State(app): State<AppState>) -> Response {
    app.reset();
    json_response(StatusCode::OK, json!({"reset": true}))
}

/// Queues a scripted answer given as `{"status", "body", "content_type", "times"}`.
async fn script(State(app): State<AppState>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<ScriptedAnswer>(&body) {
        Ok(answer) => {
            app.script.push(answer);
            json_response(StatusCode::OK, json!({"scripted": true}))
        }
        Err(e) => json_response(StatusCode::BAD_REQUEST, json!({"error": "bad_script", "detail": e.to_string()})),
    }
}

fn customer_not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, json!({"error": "no_such_customer"}))
}
