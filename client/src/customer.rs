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
///
/// `Debug` shows the e-mail masked (`j***@example.com`), which attributes
/// are set (never their values: names, dob, address and phone are personal
/// data), and the documents' kind and size.
#[derive(Clone, Default, PartialEq)]
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

impl fmt::Debug for Customer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: Vec<&str> = self.attributes().map(|(name, _)| name).collect();
        f.debug_struct("Customer")
            .field("email", &crate::mask::mask_email(&self.email))
            .field("attributes_set", &set)
            .field("reference", &self.reference.as_ref().map(|_| "set"))
            .field("front", &self.front)
            .field("back", &self.back)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .field("test_key", &self.test_key)
            .finish()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_personal_data() {
        let c = Customer {
            r#fn: Some("Zelda-Fn-91".into()),
            ln: Some("Quux-Ln-27".into()),
            dob: Some("19761103".into()),
            addr: Some("9 Hidden Lane".into()),
            phone: Some("5550199".into()),
            ..Customer::new("zelda.secret@example.com", Document::from_bytes(b"\xFF\xD8\xFFimage"))
        };
        let d = format!("{c:?}");
        for value in ["Zelda-Fn-91", "Quux-Ln-27", "19761103", "Hidden Lane", "5550199", "zelda.secret"] {
            assert!(!d.contains(value), "{value} in {d}");
        }
        assert!(d.contains("z***@example.com") && d.contains("\"dob\""), "{d}");
    }
}
