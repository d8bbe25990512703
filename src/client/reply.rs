//! Typed views of the services' success bodies. Unknown members are ignored;
//! the verbatim body stays available in each view's `raw`.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use super::error::{Error, ErrorKind};
use super::response::Reply;

/// The review status of a record (spec: `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewStatus {
    /// `PASS`
    Pass,
    /// `PENDING` (every new record starts here)
    Pending,
    /// `FAIL`
    Fail,
}

impl ReviewStatus {
    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pass => "PASS",
            ReviewStatus::Pending => "PENDING",
            ReviewStatus::Fail => "FAIL",
        }
    }
    /// Parses a wire value (exact, upper case).
    pub fn from_name(s: &str) -> Option<ReviewStatus> {
        match s {
            "PASS" => Some(ReviewStatus::Pass),
            "PENDING" => Some(ReviewStatus::Pending),
            "FAIL" => Some(ReviewStatus::Fail),
            _ => None,
        }
    }
}

impl fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether createOrUpdateCustomer created or updated the record (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertKind {
    /// `createCustomer`
    Created,
    /// `updateCustomer`
    Updated,
}

/// The success body of createOrUpdateCustomer.
#[derive(Debug, Clone, PartialEq)]
pub struct UpsertReply {
    /// `type`: created or updated (None if the service omitted it).
    pub kind: Option<UpsertKind>,
    /// `reference`.
    pub reference: Option<String>,
    /// `status` of the record.
    pub status: Option<ReviewStatus>,
    /// `customer_link`: the record in the DCAMS web application.
    pub customer_link: Option<String>,
    /// `target`: every stored attribute except the images.
    pub target: Map<String, Value>,
    /// The whole reply, verbatim.
    pub raw: Reply,
}

/// The success body of getStatus and updateStatus.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReply {
    /// `reference`.
    pub reference: Option<String>,
    /// The status: top-level `status` (getStatus) or `target.status`
    /// (updateStatus, spec: "Service updateStatus").
    pub status: Option<ReviewStatus>,
    /// `target`: the stored attributes (without images).
    pub target: Map<String, Value>,
    /// The whole reply, verbatim.
    pub raw: Reply,
}

/// The success body of getDocumentImages, images decoded.
#[derive(Clone, PartialEq)]
pub struct ImagesReply {
    /// Status, reference and attributes (documents removed from `target`).
    pub status: StatusReply,
    /// `target.documents.front`, decoded.
    pub front: Option<Vec<u8>>,
    /// `target.documents.back`, decoded.
    pub back: Option<Vec<u8>>,
}

impl ImagesReply {
    /// Writes the front image to `front` and the back image to `back` (files
    /// created or truncated). When `back` is given but no back image is
    /// stored, an existing file at `back` is removed, so a stale image from an
    /// earlier call never survives beside a fresh front image.
    ///
    /// Errors: `File` when a file cannot be written or the stale one removed.
    pub fn write_to(&self, front: &std::path::Path, back: Option<&std::path::Path>) -> Result<(), Error> {
        let write = |path: &std::path::Path, bytes: &[u8]| {
            std::fs::write(path, bytes)
                .map_err(|e| Error::new(ErrorKind::File, format!("cannot write {}: {e}", path.display())))
        };
        write(front, self.front.as_deref().unwrap_or_default())?;
        match (back, &self.back) {
            (Some(path), Some(bytes)) => write(path, bytes),
            (Some(path), None) => match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(Error::new(ErrorKind::File, format!("cannot remove stale {}: {e}", path.display())))
                }
                _ => Ok(()),
            },
            (None, _) => Ok(()),
        }
    }
}

impl fmt::Debug for ImagesReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImagesReply")
            .field("status", &self.status)
            .field("front_bytes", &self.front.as_ref().map(Vec::len))
            .field("back_bytes", &self.back.as_ref().map(Vec::len))
            .finish()
    }
}

fn object(reply: &Reply) -> Map<String, Value> {
    match reply.json() {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn status_of(map: &Map<String, Value>) -> Option<ReviewStatus> {
    map.get("status").and_then(Value::as_str).and_then(ReviewStatus::from_name)
}

fn target_of(map: &mut Map<String, Value>) -> Map<String, Value> {
    match map.remove("target") {
        Some(Value::Object(t)) => t,
        _ => Map::new(),
    }
}

impl UpsertReply {
    pub(crate) fn from_reply(raw: Reply) -> UpsertReply {
        let mut m = object(&raw);
        let kind = match m.get("type").and_then(Value::as_str) {
            Some("createCustomer") => Some(UpsertKind::Created),
            Some("updateCustomer") => Some(UpsertKind::Updated),
            _ => None,
        };
        UpsertReply {
            kind,
            reference: string(&m, "reference"),
            status: status_of(&m),
            customer_link: string(&m, "customer_link"),
            target: target_of(&mut m),
            raw,
        }
    }
}

impl StatusReply {
    pub(crate) fn from_reply(raw: Reply) -> StatusReply {
        let mut m = object(&raw);
        let target = target_of(&mut m);
        let status = status_of(&m).or_else(|| status_of(&target));
        StatusReply { reference: string(&m, "reference"), status, target, raw }
    }
}

impl ImagesReply {
    pub(crate) fn from_reply(raw: Reply) -> Result<ImagesReply, Error> {
        let mut status = StatusReply::from_reply(raw);
        let docs = status.target.remove("documents");
        let decode = |side: &str| -> Result<Option<Vec<u8>>, Error> {
            match docs.as_ref().and_then(|d| d.get(side)) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => STANDARD.decode(s).map(Some).map_err(|_| {
                    Error::new(ErrorKind::BadResponse, format!("target.documents.{side} in the response is not valid base64"))
                }),
                Some(_) => Err(Error::new(ErrorKind::BadResponse, format!("target.documents.{side} in the response is not a string"))),
            }
        };
        let (front, back) = (decode("front")?, decode("back")?);
        Ok(ImagesReply { status, front, back })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> Reply {
        Reply { http_status: 200, body: body.to_owned() }
    }

    #[test]
    fn update_status_reads_target_status() {
        let r = StatusReply::from_reply(reply(r#"{"result":"Success","reference":"R-1","target":{"email":"a@example.com","status":"PASS"}}"#));
        assert_eq!(r.status, Some(ReviewStatus::Pass));
        assert_eq!(r.reference.as_deref(), Some("R-1"));
    }

    #[test]
    fn images_decode() {
        let r = ImagesReply::from_reply(reply(r#"{"result":"Success","status":"PENDING","target":{"email":"a@example.com","documents":{"front":"AQID"}}}"#)).unwrap();
        assert_eq!(r.front.as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(r.back, None);
        assert!(!r.status.target.contains_key("documents"));
        let bad = ImagesReply::from_reply(reply(r#"{"target":{"documents":{"front":"@@"}}}"#)).unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::BadResponse);
    }

    #[test]
    fn upsert_kind() {
        let r = UpsertReply::from_reply(reply(r#"{"result":"Success","type":"updateCustomer","status":"FAIL","target":{"fn":"Ada"}}"#));
        assert_eq!(r.kind, Some(UpsertKind::Updated));
        assert_eq!(r.status, Some(ReviewStatus::Fail));
        assert_eq!(r.target["fn"], "Ada");
    }
}
