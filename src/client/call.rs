//! One service call in a uniform shape, built from a typed [`Customer`] or
//! from the documented JSON request body, and validated before any traffic.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::customer::{Customer, Service};
use super::document::Document;
use super::error::{Error, ErrorKind};
use super::validate::{check_dob, check_email};

/// The review states a record can be in (spec: `status`).
pub const STATUSES: [&str; 3] = ["PASS", "PENDING", "FAIL"];

/// A request ready to validate and send. Strings borrow from the caller's
/// input wherever possible (images included).
#[derive(Debug)]
pub(crate) struct Call<'c> {
    pub service: Service,
    pub user: Option<Cow<'c, str>>,
    pub pass: Option<Cow<'c, str>>,
    pub reference: Option<Cow<'c, str>>,
    /// Other top-level members, passed through: (name, JSON text).
    pub extra_top: Vec<(String, Cow<'c, str>)>,
    /// `target` attributes other than documents and test_key: (name, JSON text).
    pub fields: Vec<(Cow<'c, str>, Cow<'c, str>)>,
    pub test_key: Option<Cow<'c, str>>,
    pub front: Option<Cow<'c, Document<'c>>>,
    pub back: Option<Cow<'c, Document<'c>>>,
}

impl<'c> Call<'c> {
    /// A call about one e-mail with no other attributes (lookups, updateStatus).
    pub fn for_email(service: Service, email: &'c str) -> Call<'c> {
        let mut call = Call::empty(service);
        call.fields.push((Cow::Borrowed("email"), Cow::Owned(json_string(email))));
        call
    }

    fn empty(service: Service) -> Call<'c> {
        Call {
            service,
            user: None,
            pass: None,
            reference: None,
            extra_top: Vec::new(),
            fields: Vec::new(),
            test_key: None,
            front: None,
            back: None,
        }
    }

    /// A createOrUpdateCustomer call from a typed customer (documents borrowed, not copied).
    pub fn upsert(customer: &'c Customer<'_>) -> Call<'c> {
        let mut call = Call::for_email(Service::CreateOrUpdateCustomer, &customer.email);
        for (name, value) in customer.attributes() {
            call.fields.push((Cow::Borrowed(name), Cow::Owned(json_string(value))));
        }
        for (name, value) in &customer.extra {
            call.fields.push((Cow::Borrowed(name.as_str()), Cow::Owned(value.to_string())));
        }
        call.reference = customer.reference.as_deref().map(Cow::Borrowed);
        call.test_key = customer.test_key.as_ref().map(|k| Cow::Borrowed(k.expose()));
        call.front = customer.front.as_ref().map(Cow::Borrowed);
        call.back = customer.back.as_ref().map(Cow::Borrowed);
        call
    }

    /// Parses the documented request body (spec: "Request envelope"):
    /// `{"user"?, "pass"?, "service"?, "reference"?, "target": {...}}`.
    /// `service` defaults to `createOrUpdateCustomer`; unknown members of the
    /// envelope and of `target` are passed through unchanged; images in
    /// `target.documents` are base64 strings (borrowed from `text`).
    pub fn from_json(text: &'c str) -> Result<Call<'c>, Error> {
        let shape = |m: String| Error::new(ErrorKind::InvalidJson, m);
        let top: BTreeMap<String, &'c RawValue> = serde_json::from_str(text)
            .map_err(|e| shape(format!("request is not a JSON object: {e}")))?;
        let mut call = Call::empty(Service::CreateOrUpdateCustomer);
        let mut target = None;
        for (name, raw) in top {
            match name.as_str() {
                "user" => call.user = Some(string_member("user", raw)?),
                "pass" => call.pass = Some(string_member("pass", raw)?),
                "reference" => call.reference = Some(string_member("reference", raw)?),
                "service" => {
                    let s = string_member("service", raw)?;
                    call.service = Service::from_name(&s).ok_or_else(|| {
                        Error::validation(
                            "service",
                            "service must be createOrUpdateCustomer, getStatus, getDocumentImages or updateStatus",
                        )
                    })?;
                }
                "target" => target = Some(raw),
                _ => call.extra_top.push((name, Cow::Borrowed(raw.get()))),
            }
        }
        let target = target.ok_or_else(|| Error::validation("target", "target is required"))?;
        let members: BTreeMap<String, &'c RawValue> = serde_json::from_str(target.get())
            .map_err(|_| shape("target must be a JSON object".to_owned()))?;
        for (name, raw) in members {
            match name.as_str() {
                "test_key" => call.test_key = Some(string_member("target.test_key", raw)?),
                "documents" if call.service == Service::CreateOrUpdateCustomer => {
                    #[derive(Deserialize)]
                    #[serde(deny_unknown_fields)]
                    struct Documents<'a> {
                        #[serde(borrow, default)]
                        front: Option<&'a RawValue>,
                        #[serde(borrow, default)]
                        back: Option<&'a RawValue>,
                    }
                    let docs: Documents<'c> = serde_json::from_str(raw.get()).map_err(|e| {
                        shape(format!("target.documents must be {{\"front\": base64 string, \"back\": base64 string}}: {e}"))
                    })?;
                    let image = |name: &str, raw: Option<&'c RawValue>| match raw {
                        None => Ok(None),
                        Some(r) if r.get() == "null" => Ok(None),
                        // Base64 has no JSON escapes, so this borrows from the caller's text.
                        Some(r) => string_member(name, r).map(|s| Some(Cow::Owned(Document::Base64(s)))),
                    };
                    call.front = image("target.documents.front", docs.front)?;
                    call.back = image("target.documents.back", docs.back)?;
                }
                _ => call.fields.push((Cow::Owned(name), Cow::Borrowed(raw.get()))),
            }
        }
        Ok(call)
    }

    /// The JSON text of a `target` attribute, if present.
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_ref())
    }

    /// Checks the call before any traffic: `email` present and valid; `dob`
    /// a real `YYYYMMDD` date when given; createOrUpdateCustomer needs
    /// `documents.front`; updateStatus needs `status` in PASS/PENDING/FAIL.
    /// Document contents are checked later, when they are prepared.
    pub fn validate(&self) -> Result<(), Error> {
        let email = self.string_field("email")?.ok_or_else(|| Error::validation("email", "email is required"))?;
        check_email(&email)?;
        if let Some(dob) = self.string_field("dob")? {
            check_dob(&dob)?;
        }
        match self.service {
            Service::CreateOrUpdateCustomer if self.front.is_none() => {
                Err(Error::validation("documents.front", "documents.front is required"))
            }
            Service::UpdateStatus => {
                let status = self.string_field("status")?;
                match status.as_deref() {
                    Some(s) if STATUSES.contains(&s) => Ok(()),
                    Some(_) => Err(Error::validation("status", "status must be PASS, PENDING or FAIL")),
                    None => Err(Error::validation("status", "status is required")),
                }
            }
            _ => Ok(()),
        }
    }

    /// A string attribute, decoded; an error names it if it is not a string.
    fn string_field(&self, name: &str) -> Result<Option<String>, Error> {
        match self.field(name) {
            None => Ok(None),
            Some(text) => serde_json::from_str::<String>(text)
                .map(Some)
                .map_err(|_| Error::validation(name, format!("{name} must be a string"))),
        }
    }
}

/// A JSON string literal for `s`.
pub(crate) fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Decodes a string-valued member, borrowing when it has no escapes.
fn string_member<'a>(name: &str, raw: &'a RawValue) -> Result<Cow<'a, str>, Error> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    serde_json::from_str::<Text<'a>>(raw.get())
        .map(|t| t.0)
        .map_err(|_| Error::new(ErrorKind::InvalidJson, format!("{name} must be a JSON string")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_defaults_and_pass_through() {
        let text = r#"{"target":{"email":"Jane.Doe+kyc@Example.COM","zip":62701,"custom":{"a":1},"documents":{"front":"/9j/4AAQ"}},"x":true}"#;
        let call = Call::from_json(text).unwrap();
        assert_eq!(call.service, Service::CreateOrUpdateCustomer);
        assert_eq!(call.field("email"), Some("\"Jane.Doe+kyc@Example.COM\""));
        assert_eq!(call.field("custom"), Some("{\"a\":1}"));
        assert_eq!(call.extra_top, vec![("x".to_owned(), Cow::Borrowed("true"))]);
        // the image borrows from the input text
        match call.front.as_deref() {
            Some(Document::Base64(Cow::Borrowed(s))) => assert_eq!(*s, "/9j/4AAQ"),
            other => panic!("{other:?}"),
        }
        call.validate().unwrap();
    }

    #[test]
    fn json_shape_errors() {
        assert_eq!(Call::from_json("{").unwrap_err().kind(), ErrorKind::InvalidJson);
        assert_eq!(Call::from_json("[]").unwrap_err().kind(), ErrorKind::InvalidJson);
        assert_eq!(Call::from_json(r#"{"user":1,"target":{}}"#).unwrap_err().kind(), ErrorKind::InvalidJson);
        assert_eq!(Call::from_json(r#"{"target":[]}"#).unwrap_err().kind(), ErrorKind::InvalidJson);
        let e = Call::from_json(r#"{"service":"deleteCustomer","target":{}}"#).unwrap_err();
        assert_eq!(e.field(), Some("service"));
        assert_eq!(Call::from_json("{}").unwrap_err().field(), Some("target"));
    }

    #[test]
    fn validation_names_fields() {
        let missing_front = Call::from_json(r#"{"target":{"email":"a@example.com"}}"#).unwrap();
        assert_eq!(missing_front.validate().unwrap_err().field(), Some("documents.front"));
        let bad_dob = Call::from_json(r#"{"target":{"email":"a@example.com","dob":"1990-01-31","documents":{"front":"x"}}}"#).unwrap();
        assert_eq!(bad_dob.validate().unwrap_err().field(), Some("dob"));
        let status = Call::from_json(r#"{"service":"updateStatus","target":{"email":"a@example.com","status":"DONE"}}"#).unwrap();
        assert_eq!(status.validate().unwrap_err().field(), Some("status"));
        let ok = Call::from_json(r#"{"service":"getStatus","target":{"email":"a@example.com"}}"#).unwrap();
        assert!(ok.validate().is_ok());
    }
}
