//! One service request in a uniform, typed shape, built from a typed
//! [`Customer`], an e-mail, or the documented JSON request body, and checked
//! once before any traffic.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::cancel::CancelToken;
use super::customer::{Customer, Service};
use super::document::Document;
use super::error::{Error, ErrorKind};
use super::reply::ReviewStatus;
use super::validate::{check_dob, check_email};

/// A request ready to check and send (spec: "Request envelope"). Strings
/// borrow from the caller's input wherever possible (images included).
///
/// Build one with [`Request::upsert`], [`Request::get_status`],
/// [`Request::get_document_images`], [`Request::update_status`] or
/// [`Request::from_json`], then pass it to [`Client::send`](super::Client::send).
/// `Debug` never shows the password, the test key or image data.
#[derive(Clone)]
pub struct Request<'c> {
    pub(crate) service: Service,
    pub(crate) user: Option<Cow<'c, str>>,
    pub(crate) pass: Option<Cow<'c, str>>,
    pub(crate) reference: Option<Cow<'c, str>>,
    /// Other top-level members, passed through: (name, JSON text).
    pub(crate) extra_top: Vec<(Cow<'c, str>, Cow<'c, str>)>,
    pub(crate) email: Option<Cow<'c, str>>,
    /// updateStatus's `target.status`.
    pub(crate) status: Option<ReviewStatus>,
    /// Other `target` attributes, in the order they are sent.
    pub(crate) fields: Vec<(Cow<'c, str>, Field<'c>)>,
    pub(crate) test_key: Option<Cow<'c, str>>,
    pub(crate) front: Option<Cow<'c, Document<'c>>>,
    pub(crate) back: Option<Cow<'c, Document<'c>>>,
    /// This call's deadline, instead of [`Config::timeout`](super::Config::timeout).
    pub(crate) timeout: Option<Duration>,
    /// Cancels this call from another thread.
    pub(crate) cancel: Option<CancelToken>,
}

/// The value of one `target` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field<'c> {
    /// A string, escaped when it is written.
    Text(Cow<'c, str>),
    /// JSON text from the caller's request, passed through as it is.
    Json(Cow<'c, str>),
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("service", &self.service)
            .field("fields", &self.fields.iter().map(|(k, _)| k.as_ref()).collect::<Vec<_>>())
            .field("front", &self.front)
            .field("back", &self.back)
            .finish_non_exhaustive()
    }
}

impl<'c> Request<'c> {
    fn empty(service: Service) -> Request<'c> {
        Request {
            service,
            user: None,
            pass: None,
            reference: None,
            extra_top: Vec::new(),
            email: None,
            status: None,
            fields: Vec::new(),
            test_key: None,
            front: None,
            back: None,
            timeout: None,
            cancel: None,
        }
    }

    fn for_email(service: Service, email: &'c str) -> Request<'c> {
        Request { email: Some(Cow::Borrowed(email)), ..Request::empty(service) }
    }

    /// createOrUpdateCustomer for a typed customer (spec: "Service
    /// createOrUpdateCustomer"); nothing is copied, documents included.
    pub fn upsert(customer: &'c Customer<'_>) -> Request<'c> {
        let mut request = Request::for_email(Service::CreateOrUpdateCustomer, &customer.email);
        request.fields = customer
            .attributes()
            .map(|(name, value)| (Cow::Borrowed(name), Field::Text(Cow::Borrowed(value))))
            .collect();
        for (name, value) in &customer.extra {
            request.fields.push((Cow::Borrowed(name.as_str()), Field::Json(Cow::Owned(value.to_string()))));
        }
        request.reference = customer.reference.as_deref().map(Cow::Borrowed);
        request.test_key = customer.test_key.as_ref().map(|k| Cow::Borrowed(k.expose()));
        request.front = customer.front.as_ref().map(Cow::Borrowed);
        request.back = customer.back.as_ref().map(Cow::Borrowed);
        request
    }

    /// getStatus for `email` (spec: "Service getStatus").
    pub fn get_status(email: &'c str) -> Request<'c> {
        Request::for_email(Service::GetStatus, email)
    }

    /// getDocumentImages for `email` (spec: "Service getDocumentImages").
    pub fn get_document_images(email: &'c str) -> Request<'c> {
        Request::for_email(Service::GetDocumentImages, email)
    }

    /// updateStatus of `email` to `status` (spec: "Service updateStatus").
    pub fn update_status(email: &'c str, status: ReviewStatus) -> Request<'c> {
        Request { status: Some(status), ..Request::for_email(Service::UpdateStatus, email) }
    }

    /// The service this request calls.
    pub fn service(&self) -> Service {
        self.service
    }

    /// Gives this call its own deadline (every attempt and pause included),
    /// instead of the client's [`Config::timeout`](super::Config::timeout).
    pub fn with_timeout(mut self, timeout: Duration) -> Request<'c> {
        self.timeout = Some(timeout);
        self
    }

    /// Lets `token` cancel this call from another thread (see [`CancelToken`]):
    /// the call then fails with [`ErrorKind::Cancelled`] within 100 ms.
    pub fn with_cancel(mut self, token: CancelToken) -> Request<'c> {
        self.cancel = Some(token);
        self
    }

    /// Parses the documented request body (spec: "Request envelope"):
    /// `{"user"?, "pass"?, "service"?, "reference"?, "target": {...}}`.
    /// `service` defaults to `createOrUpdateCustomer`; unknown members of the
    /// envelope and of `target` are passed through unchanged; images in
    /// `target.documents` are base64 strings (borrowed from `text`). `email`,
    /// `dob` and, for updateStatus, `status` are read here, once.
    ///
    /// Errors: `InvalidJson` (not an object, a member of the wrong type),
    /// `Validation` (unknown `service`, no `target`, an invalid `status`).
    pub fn from_json(text: &'c str) -> Result<Request<'c>, Error> {
        let shape = |m: String| Error::new(ErrorKind::InvalidJson, m);
        // Sorted keys: `service` is known before `target` is read.
        let top: BTreeMap<String, &'c RawValue> =
            serde_json::from_str(text).map_err(|e| shape(format!("request is not a JSON object: {e}")))?;
        let mut request = Request::empty(Service::CreateOrUpdateCustomer);
        let mut target = None;
        for (name, raw) in top {
            match name.as_str() {
                "user" => request.user = Some(string_member("user", raw)?),
                "pass" => request.pass = Some(string_member("pass", raw)?),
                "reference" => request.reference = Some(string_member("reference", raw)?),
                "service" => {
                    let s = string_member("service", raw)?;
                    request.service = Service::from_name(&s).ok_or_else(|| {
                        Error::validation(
                            "service",
                            "service must be createOrUpdateCustomer, getStatus, getDocumentImages or updateStatus",
                        )
                    })?;
                }
                "target" => target = Some(raw),
                _ => request.extra_top.push((Cow::Owned(name), Cow::Borrowed(raw.get()))),
            }
        }
        let target = target.ok_or_else(|| Error::validation("target", "target is required"))?;
        let members: BTreeMap<String, &'c RawValue> =
            serde_json::from_str(target.get()).map_err(|_| shape("target must be a JSON object".to_owned()))?;
        for (name, raw) in members {
            match name.as_str() {
                "email" => request.email = Some(string_field("email", raw)?),
                "dob" => request.fields.push((Cow::Owned(name), Field::Text(string_field("dob", raw)?))),
                "status" if request.service == Service::UpdateStatus => {
                    let s = string_field("status", raw)?;
                    request.status = Some(
                        ReviewStatus::from_name(&s)
                            .ok_or_else(|| Error::validation("status", "status must be PASS, PENDING or FAIL"))?,
                    );
                }
                "test_key" => request.test_key = Some(string_member("target.test_key", raw)?),
                "documents" if request.service == Service::CreateOrUpdateCustomer => {
                    let (front, back) = documents(raw)?;
                    request.front = front;
                    request.back = back;
                }
                _ => request.fields.push((Cow::Owned(name), Field::Json(Cow::Borrowed(raw.get())))),
            }
        }
        Ok(request)
    }

    /// Checks the request before any traffic: `email` present and valid;
    /// `dob` a real `YYYYMMDD` date when given; createOrUpdateCustomer needs
    /// `documents.front`; updateStatus needs `status`. Document contents are
    /// checked when the documents are prepared.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let email = self.email.as_deref().ok_or_else(|| Error::validation("email", "email is required"))?;
        check_email(email)?;
        let dob = self.fields.iter().find_map(|(name, value)| match value {
            Field::Text(dob) if name == "dob" => Some(dob),
            _ => None,
        });
        if let Some(dob) = dob {
            check_dob(dob)?;
        }
        match self.service {
            Service::CreateOrUpdateCustomer if self.front.is_none() => {
                Err(Error::validation("documents.front", "documents.front is required"))
            }
            Service::UpdateStatus if self.status.is_none() => Err(Error::validation("status", "status is required")),
            _ => Ok(()),
        }
    }
}

/// `target.documents`: `{"front": base64 | null, "back": base64 | null}`.
#[allow(clippy::type_complexity)]
fn documents<'c>(raw: &'c RawValue) -> Result<(Option<Cow<'c, Document<'c>>>, Option<Cow<'c, Document<'c>>>), Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Documents<'a> {
        #[serde(borrow, default)]
        front: Option<&'a RawValue>,
        #[serde(borrow, default)]
        back: Option<&'a RawValue>,
    }
    let docs: Documents<'c> = serde_json::from_str(raw.get()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidJson,
            format!("target.documents must be {{\"front\": base64 string, \"back\": base64 string}}: {e}"),
        )
    })?;
    let image = |name: &str, raw: Option<&'c RawValue>| match raw {
        None => Ok(None),
        Some(r) if r.get() == "null" => Ok(None),
        // Base64 has no JSON escapes, so this borrows from the caller's text.
        Some(r) => string_member(name, r).map(|s| Some(Cow::Owned(Document::Base64(s)))),
    };
    Ok((image("target.documents.front", docs.front)?, image("target.documents.back", docs.back)?))
}

/// Decodes a string-valued envelope member, borrowing when it has no escapes.
fn string_member<'a>(name: &str, raw: &'a RawValue) -> Result<Cow<'a, str>, Error> {
    decode_string(raw).ok_or_else(|| Error::new(ErrorKind::InvalidJson, format!("{name} must be a JSON string")))
}

/// Decodes a `target` attribute that must be a string (`email`, `dob`, `status`).
fn string_field<'a>(name: &str, raw: &'a RawValue) -> Result<Cow<'a, str>, Error> {
    decode_string(raw).ok_or_else(|| Error::validation(name, format!("{name} must be a string")))
}

fn decode_string(raw: &RawValue) -> Option<Cow<'_, str>> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    serde_json::from_str::<Text<'_>>(raw.get()).ok().map(|t| t.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(r: &'a Request<'_>, name: &str) -> Option<&'a Field<'a>> {
        r.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    #[test]
    fn json_defaults_and_pass_through() {
        let text = r#"{"target":{"email":"Jane.Doe+kyc@Example.COM","zip":62701,"custom":{"a":1},"documents":{"front":"/9j/4AAQ"}},"x":true}"#;
        let r = Request::from_json(text).unwrap();
        assert_eq!(r.service, Service::CreateOrUpdateCustomer);
        assert_eq!(r.email.as_deref(), Some("Jane.Doe+kyc@Example.COM"));
        assert_eq!(field(&r, "custom"), Some(&Field::Json(Cow::Borrowed("{\"a\":1}"))));
        assert_eq!(r.extra_top, vec![(Cow::Borrowed("x"), Cow::Borrowed("true"))]);
        // the image borrows from the input text
        match r.front.as_deref() {
            Some(Document::Base64(Cow::Borrowed(s))) => assert_eq!(*s, "/9j/4AAQ"),
            other => panic!("{other:?}"),
        }
        r.validate().unwrap();
    }

    #[test]
    fn json_shape_errors() {
        assert_eq!(Request::from_json("{").unwrap_err().kind(), ErrorKind::InvalidJson);
        assert_eq!(Request::from_json("[]").unwrap_err().kind(), ErrorKind::InvalidJson);
        assert_eq!(Request::from_json(r#"{"user":1,"target":{}}"#).unwrap_err().kind(), ErrorKind::InvalidJson);
        assert_eq!(Request::from_json(r#"{"target":[]}"#).unwrap_err().kind(), ErrorKind::InvalidJson);
        let e = Request::from_json(r#"{"service":"deleteCustomer","target":{}}"#).unwrap_err();
        assert_eq!(e.field(), Some("service"));
        assert_eq!(Request::from_json("{}").unwrap_err().field(), Some("target"));
        let e = Request::from_json(r#"{"target":{"email":7}}"#).unwrap_err();
        assert_eq!((e.kind(), e.field()), (ErrorKind::Validation, Some("email")));
    }

    #[test]
    fn validation_names_fields() {
        let missing_front = Request::from_json(r#"{"target":{"email":"a@example.com"}}"#).unwrap();
        assert_eq!(missing_front.validate().unwrap_err().field(), Some("documents.front"));
        let bad_dob =
            Request::from_json(r#"{"target":{"email":"a@example.com","dob":"1990-01-31","documents":{"front":"x"}}}"#)
                .unwrap();
        assert_eq!(bad_dob.validate().unwrap_err().field(), Some("dob"));
        let e = Request::from_json(r#"{"service":"updateStatus","target":{"email":"a@example.com","status":"DONE"}}"#)
            .unwrap_err();
        assert_eq!(e.field(), Some("status"));
        let missing = Request::from_json(r#"{"service":"updateStatus","target":{"email":"a@example.com"}}"#).unwrap();
        assert_eq!(missing.validate().unwrap_err().field(), Some("status"));
        let ok = Request::from_json(r#"{"service":"getStatus","target":{"email":"a@example.com"}}"#).unwrap();
        assert!(ok.validate().is_ok());
    }

    #[test]
    fn typed_requests_need_no_parsing() {
        let r = Request::update_status("a@example.com", ReviewStatus::Fail);
        assert_eq!((r.service, r.status), (Service::UpdateStatus, Some(ReviewStatus::Fail)));
        r.validate().unwrap();
        let customer =
            Customer { dob: Some("19900231".into()), ..Customer::new("a@example.com", Document::from_bytes(b"x")) };
        assert_eq!(Request::upsert(&customer).validate().unwrap_err().field(), Some("dob"));
    }
}
