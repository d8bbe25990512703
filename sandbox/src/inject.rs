//! Scripted answers: make the next storage requests get a chosen status and
//! body instead of the emulated service's answer, so that a client's handling
//! of errors the real service (or a gateway in front of it) can return is
//! testable offline — 400s the client's own validation would prevent, 403,
//! 429, 5xx, HTML pages, empty bodies.
//!
//! Requests are still counted and recorded; scripted answers are used in the
//! order they were added, each for `times` requests.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Deserialize;

/// One scripted answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScriptedAnswer {
    /// HTTP status to answer with.
    pub status: u16,
    /// Body bytes, sent exactly as given (a JSON text, an HTML page, or empty).
    #[serde(default)]
    pub body: String,
    /// `Content-Type` of the answer (default `application/json`).
    #[serde(default = "json_type")]
    pub content_type: String,
    /// How many consecutive storage requests get this answer (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

fn json_type() -> String {
    "application/json".to_owned()
}

fn one() -> u32 {
    1
}

impl ScriptedAnswer {
    /// A JSON answer with `status`, used once.
    pub fn json(status: u16, body: serde_json::Value) -> ScriptedAnswer {
        ScriptedAnswer { status, body: body.to_string(), content_type: json_type(), times: 1 }
    }
}

/// The queue of scripted answers.
#[derive(Debug, Default)]
pub(crate) struct Script {
    queue: Mutex<VecDeque<ScriptedAnswer>>,
}

impl Script {
    /// Appends an answer (ignored when `times` is 0).
    pub fn push(&self, answer: ScriptedAnswer) {
        if answer.times > 0 {
            self.lock().push_back(answer);
        }
    }

    /// Takes the answer for the current request, if one is scripted.
    pub fn next(&self) -> Option<ScriptedAnswer> {
        let mut q = self.lock();
        let front = q.front_mut()?;
        front.times -= 1;
        let answer = front.clone();
        if front.times == 0 {
            q.pop_front();
        }
        Some(answer)
    }

    /// Forgets every scripted answer.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<ScriptedAnswer>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}
