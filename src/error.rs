//! What a failed export reports: a client error or one only the C layer can
//! make (a NULL or non-UTF-8 argument, a bad struct), as the error JSON.

use dcams_client::Error;
use serde_json::json;

use crate::code::dcams_code;

/// A failure at the C boundary.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The client's error, with the whole story of the call.
    Client(Error),
    /// An argument problem found by the C layer; `message` names the argument.
    Argument(dcams_code, String),
    /// A panic caught at the boundary (a bug).
    Panic,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Client(e)
    }
}

impl Failure {
    pub(crate) fn null(name: &str) -> Failure {
        Failure::Argument(dcams_code::DCAMS_ERR_NULL_ARGUMENT, format!("{name} is NULL"))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure::Argument(dcams_code::DCAMS_ERR_INVALID_ARGUMENT, message.into())
    }

    pub(crate) fn not_present(message: impl Into<String>) -> Failure {
        Failure::Argument(dcams_code::DCAMS_ERR_NOT_PRESENT, message.into())
    }

    pub(crate) fn code(&self) -> dcams_code {
        match self {
            Failure::Client(e) => e.kind().into(),
            Failure::Argument(code, _) => *code,
            Failure::Panic => dcams_code::DCAMS_ERR_INTERNAL,
        }
    }

    /// The error JSON: `{"code","name","message","field","http_status",
    /// "service_message","service_code","detail","retryable","attempts"}`,
    /// absent values `null`.
    pub(crate) fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The error JSON as a value (to embed it, e.g. in a check report).
    pub(crate) fn to_value(&self) -> serde_json::Value {
        let code = self.code();
        let name = code.name().to_str().unwrap_or_default();
        match self {
            Failure::Client(e) => json!({
                "code": code as i32,
                "name": name,
                "message": e.message(),
                "field": e.field(),
                "http_status": e.http_status(),
                "service_message": e.service_message(),
                "service_code": e.service_code(),
                "detail": e.detail(),
                "retryable": e.retryable(),
                "attempts": e.attempts(),
            }),
            Failure::Argument(_, message) => argument_json(code, name, message),
            Failure::Panic => argument_json(code, name, "internal error: a panic was caught inside libdcams"),
        }
    }
}

fn argument_json(code: dcams_code, name: &str, message: &str) -> serde_json::Value {
    json!({
        "code": code as i32, "name": name, "message": message, "field": null, "http_status": null,
        "service_message": null, "service_code": null, "detail": null, "retryable": false, "attempts": 0,
    })
}
