//! Typed views of the services' success bodies, made from the one parse of
//! each body. Unknown members are ignored; the verbatim body stays available
//! in each view's `raw`.

use std::fmt;

use serde_json::{Map, Value};

use super::error::{Error, ErrorKind};
use super::response::{Parsed, Reply};

/// The review status of a record (spec: `status`).
///
/// Its numbers (`TryFrom<i32>`, `as i32`) are 1 PASS, 2 PENDING, 3 FAIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewStatus {
    /// `PASS`
    Pass = 1,
    /// `PENDING` (every new record starts here)
    Pending = 2,
    /// `FAIL`
    Fail = 3,
}

impl ReviewStatus {
    /// Every status, in number order.
    pub const ALL: [ReviewStatus; 3] = [ReviewStatus::Pass, ReviewStatus::Pending, ReviewStatus::Fail];

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
        ReviewStatus::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

impl TryFrom<i32> for ReviewStatus {
    type Error = Error;

    /// 1 PASS, 2 PENDING, 3 FAIL; anything else is a `Validation` error on `status`.
    fn try_from(n: i32) -> Result<ReviewStatus, Error> {
        ReviewStatus::ALL
            .into_iter()
            .find(|status| *status as i32 == n)
            .ok_or_else(|| Error::validation("status", format!("status {n} is not 1 (PASS), 2 (PENDING) or 3 (FAIL)")))
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
    /// `reference`.
    pub reference: Option<String>,
    /// Top-level `status`.
    pub status: Option<ReviewStatus>,
    /// `target`: the stored attributes, without `documents`.
    pub target: Map<String, Value>,
    /// `target.documents.front`, decoded.
    pub front: Option<Vec<u8>>,
    /// `target.documents.back`, decoded.
    pub back: Option<Vec<u8>>,
    /// The reply without the images: the service's body with `front` and
    /// `back` of `target.documents` replaced by `front_bytes` and
    /// `back_bytes` (decoded sizes, 0 when absent); every other member as sent.
    pub raw: Reply,
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
            .field("reference", &self.reference)
            .field("status", &self.status)
            .field("front_bytes", &self.front.as_ref().map(Vec::len))
            .field("back_bytes", &self.back.as_ref().map(Vec::len))
            .finish_non_exhaustive()
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
    pub(crate) fn from_parsed(Parsed { reply, mut object }: Parsed) -> UpsertReply {
        let kind = match object.get("type").and_then(Value::as_str) {
            Some("createCustomer") => Some(UpsertKind::Created),
            Some("updateCustomer") => Some(UpsertKind::Updated),
            _ => None,
        };
        UpsertReply {
            kind,
            reference: string(&object, "reference"),
            status: status_of(&object),
            customer_link: string(&object, "customer_link"),
            target: target_of(&mut object),
            raw: reply,
        }
    }
}

impl StatusReply {
    pub(crate) fn from_parsed(Parsed { reply, mut object }: Parsed) -> StatusReply {
        let target = target_of(&mut object);
        let status = status_of(&object).or_else(|| status_of(&target));
        StatusReply { reference: string(&object, "reference"), status, target, raw: reply }
    }
}

impl ImagesReply {
    /// The reply whose images were decoded as it was read (download.rs):
    /// `sizes` are the decoded sizes of the sides that had a string, whose
    /// value in `parsed` is a placeholder; `front`/`back` the images when
    /// they were kept in memory.
    pub(crate) fn from_streamed(
        Parsed { reply, mut object }: Parsed,
        sizes: [Option<u64>; 2],
        front: Option<Vec<u8>>,
        back: Option<Vec<u8>>,
    ) -> Result<ImagesReply, Error> {
        if let Some(Value::Object(docs)) = object.get_mut("target").and_then(|t| t.get_mut("documents")) {
            for (side, size) in ["front", "back"].into_iter().zip(sizes) {
                match (docs.shift_remove(side), size) {
                    (None | Some(Value::Null), _) | (Some(_), Some(_)) => {}
                    (Some(_), None) => {
                        return Err(Error::new(
                            ErrorKind::BadResponse,
                            format!("target.documents.{side} in the response is not a string"),
                        ))
                    }
                }
                docs.insert(format!("{side}_bytes"), size.unwrap_or(0).into());
            }
        }
        let raw = Reply { body: serde_json::to_string(&object).unwrap_or_default(), ..reply };
        let mut target = target_of(&mut object);
        target.shift_remove("documents");
        Ok(ImagesReply {
            reference: string(&object, "reference"),
            status: status_of(&object),
            target,
            front,
            back,
            raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::CallMeta;

    fn parsed(body: &str) -> Parsed {
        let object = match serde_json::from_str(body).unwrap() {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        Parsed { reply: Reply { http_status: 200, body: body.to_owned(), meta: CallMeta::default() }, object }
    }

    #[test]
    fn update_status_reads_target_status() {
        let r = StatusReply::from_parsed(parsed(
            r#"{"result":"Success","reference":"R-1","target":{"email":"a@example.com","status":"PASS"}}"#,
        ));
        assert_eq!(r.status, Some(ReviewStatus::Pass));
        assert_eq!(r.reference.as_deref(), Some("R-1"));
    }

    #[test]
    fn images_decode_and_leave_the_reply_without_them() {
        // As download.rs leaves it: the image string replaced by 0, its size known.
        let body = r#"{"result":"Success","status":"ON_HOLD","target":{"email":"a@example.com","documents":{"front":0}},"x":1}"#;
        let r = ImagesReply::from_streamed(parsed(body), [Some(3), None], Some(vec![1, 2, 3]), None).unwrap();
        assert_eq!(r.front.as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(r.back, None);
        assert_eq!(r.status, None); // not one of the three, but kept as sent in `raw`
        assert!(!r.target.contains_key("documents"));
        assert_eq!(
            r.raw.body,
            r#"{"result":"Success","status":"ON_HOLD","target":{"email":"a@example.com","documents":{"front_bytes":3,"back_bytes":0}},"x":1}"#
        );
        let bad =
            ImagesReply::from_streamed(parsed(r#"{"target":{"documents":{"front":17}}}"#), [None, None], None, None)
                .unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::BadResponse);
    }

    #[test]
    fn upsert_kind() {
        let r = UpsertReply::from_parsed(parsed(
            r#"{"result":"Success","type":"updateCustomer","status":"FAIL","target":{"fn":"Ada"}}"#,
        ));
        assert_eq!(r.kind, Some(UpsertKind::Updated));
        assert_eq!(r.status, Some(ReviewStatus::Fail));
        assert_eq!(r.target["fn"], "Ada");
    }

    #[test]
    fn status_numbers() {
        for status in ReviewStatus::ALL {
            assert_eq!(ReviewStatus::try_from(status as i32).unwrap(), status);
            assert_eq!(ReviewStatus::from_name(status.as_str()), Some(status));
        }
        for bad in [0, 4, -1, i32::MAX] {
            assert_eq!(ReviewStatus::try_from(bad).unwrap_err().field(), Some("status"));
        }
    }
}
