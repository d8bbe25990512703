//! The customer record sent by createOrUpdateCustomer, and the service names.

use std::collections::BTreeMap;
use std::fmt;

use super::config::Secret;
use super::document::Document;

/// The four services of the storage endpoint (spec: "Request envelope", `service`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `createOrUpdateCustomer`: upsert keyed by e-mail, with document images.
    CreateOrUpdateCustomer,
    /// `getStatus`: the review status and stored attributes.
    GetStatus,
    /// `getDocumentImages`: like getStatus plus the stored images.
    GetDocumentImages,
    /// `updateStatus`: set the review status.
    UpdateStatus,
}

impl Service {
    /// The service's wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Service::CreateOrUpdateCustomer => "createOrUpdateCustomer",
            Service::GetStatus => "getStatus",
            Service::GetDocumentImages => "getDocumentImages",
            Service::UpdateStatus => "updateStatus",
        }
    }

    /// The service with this wire name (exact, case-sensitive), if any.
    pub fn from_name(name: &str) -> Option<Service> {
        [Service::CreateOrUpdateCustomer, Service::GetStatus, Service::GetDocumentImages, Service::UpdateStatus]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customer record for createOrUpdateCustomer (spec: "Service
/// createOrUpdateCustomer", `target` fields). Field names are the service's
/// own; `fn` is written `r#fn` in Rust.
///
/// Only `email` and `front` are required. Values are sent exactly as given
/// (after validation: `email` syntax, `dob` as a real `YYYYMMDD` date,
/// documents non-empty and recognised as images).
#[derive(Clone, Default, PartialEq, Debug)]
pub struct Customer<'a> {
    /// E-mail address: the record's key. Sent byte-for-byte (case and `+tags` kept).
    pub email: String,
    /// First name (`fn`).
    pub r#fn: Option<String>,
    /// Last name (`ln`).
    pub ln: Option<String>,
    /// Street address (`addr`).
    pub addr: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State (US: two letters).
    pub state: Option<String>,
    /// Postal code (US: five digits).
    pub zip: Option<String>,
    /// Date of birth, `YYYYMMDD`.
    pub dob: Option<String>,
    /// Phone number, digits.
    pub phone: Option<String>,
    /// The caller's own reference (top-level `reference`).
    pub reference: Option<String>,
    /// Front image of the document (`documents.front`, required).
    pub front: Option<Document<'a>>,
    /// Back image of the document (`documents.back`, optional).
    pub back: Option<Document<'a>>,
    /// Further `target` attributes, passed through unchanged.
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Test key for this call (`target.test_key`); overrides the client's.
    pub test_key: Option<Secret>,
}

impl<'a> Customer<'a> {
    /// A customer with an e-mail and a front image; set other fields directly.
    pub fn new(email: impl Into<String>, front: Document<'a>) -> Customer<'a> {
        Customer { email: email.into(), front: Some(front), ..Customer::default() }
    }

    /// The string attributes that are set, as `(service field name, value)`, in the spec's order.
    pub fn attributes(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("fn", &self.r#fn),
            ("ln", &self.ln),
            ("addr", &self.addr),
            ("city", &self.city),
            ("state", &self.state),
            ("zip", &self.zip),
            ("dob", &self.dob),
            ("phone", &self.phone),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }
}
