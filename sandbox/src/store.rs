//! The customer store: one record per e-mail, in two namespaces kept
//! completely apart (live and test, spec section *Testing*), plus the rules
//! for creating, updating and re-statusing a record.
//!
//! Rules (they emulate spec sections *createOrUpdateCustomer* and *updateStatus*):
//!
//! * the key is the e-mail string exactly as received, byte for byte;
//! * a new record gets status `PENDING`, the next sequential id of its
//!   namespace (starting at 1001) and, without a caller reference, `R-<id>`;
//! * an update merges the given attributes over the stored ones (attributes
//!   not given are kept, unknown attributes are stored too), replaces the
//!   front image, replaces the back image only if one is given, replaces the
//!   reference only if one is given, and **never changes the status**;
//! * only [`Store::set_status`] (service `updateStatus`) changes the status.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value};

/// First id handed out in each namespace.
const FIRST_ID: u64 = 1001;

/// A stored customer record, as returned by [`crate::Sandbox::customer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCustomer {
    /// The identity key, exactly as received in `target.email`.
    pub email: String,
    /// The caller's reference (top-level `reference`), or `R-<id>` if none was ever given.
    pub reference: String,
    /// Review status: `PASS`, `PENDING` or `FAIL`.
    pub status: String,
    /// Every `target` attribute ever sent, latest value winning, except
    /// `documents`, `test_key` and `status`; includes `email`.
    pub fields: Map<String, Value>,
    /// Decoded bytes of the front document image.
    pub front: Vec<u8>,
    /// Decoded bytes of the back document image, if one was ever sent.
    pub back: Option<Vec<u8>>,
    /// Sequential record id (per namespace, from 1001), used in `customer_link`.
    pub id: u64,
}

/// Which half of the store a request works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Records of requests without `target.test_key`.
    Live,
    /// Records of requests with a valid `target.test_key`.
    Test,
}

impl Namespace {
    /// `Test` when `test` is true, else `Live`.
    pub fn from_test_flag(test: bool) -> Namespace {
        if test {
            Namespace::Test
        } else {
            Namespace::Live
        }
    }
}

/// The three review states of a record (spec: `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    /// `PASS`
    Pass,
    /// `PENDING` (the state of every new record)
    Pending,
    /// `FAIL`
    Fail,
}

impl ReviewStatus {
    /// Parses the exact upper-case wire value; anything else is `None`.
    pub fn parse(s: &str) -> Option<ReviewStatus> {
        match s {
            "PASS" => Some(ReviewStatus::Pass),
            "PENDING" => Some(ReviewStatus::Pending),
            "FAIL" => Some(ReviewStatus::Fail),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pass => "PASS",
            ReviewStatus::Pending => "PENDING",
            ReviewStatus::Fail => "FAIL",
        }
    }
}

/// Whether [`Store::upsert`] created a record or updated one (the
/// response's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertKind {
    /// `createCustomer`
    Created,
    /// `updateCustomer`
    Updated,
}

impl UpsertKind {
    /// The wire value of the response's `type` field.
    pub fn as_str(self) -> &'static str {
        match self {
            UpsertKind::Created => "createCustomer",
            UpsertKind::Updated => "updateCustomer",
        }
    }
}

/// What a createOrUpdateCustomer call stores: already validated and decoded.
#[derive(Debug, Clone)]
pub struct Upsert {
    /// The key.
    pub email: String,
    /// Target attributes to merge (without `documents`, `test_key`, `status`).
    pub attributes: Map<String, Value>,
    /// New reference, if the request carried one.
    pub reference: Option<String>,
    /// New front image bytes.
    pub front: Vec<u8>,
    /// New back image bytes, if given.
    pub back: Option<Vec<u8>>,
}

/// One namespace: records by e-mail and the id counter.
#[derive(Debug)]
struct Records {
    by_email: HashMap<String, StoredCustomer>,
    next_id: u64,
}

impl Default for Records {
    fn default() -> Self {
        Records { by_email: HashMap::new(), next_id: FIRST_ID }
    }
}

/// The whole store: a live and a test namespace.
#[derive(Debug, Default)]
pub struct Store {
    live: Records,
    test: Records,
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    fn records(&self, ns: Namespace) -> &Records {
        match ns {
            Namespace::Live => &self.live,
            Namespace::Test => &self.test,
        }
    }

    fn records_mut(&mut self, ns: Namespace) -> &mut Records {
        match ns {
            Namespace::Live => &mut self.live,
            Namespace::Test => &mut self.test,
        }
    }

    /// The record keyed by exactly `email` in `ns`.
    pub fn get(&self, ns: Namespace, email: &str) -> Option<&StoredCustomer> {
        self.records(ns).by_email.get(email)
    }

    /// Creates or updates the record `u.email` in `ns` following the module
    /// rules; returns the stored record and which of the two happened.
    pub fn upsert(&mut self, ns: Namespace, u: Upsert) -> (&StoredCustomer, UpsertKind) {
        let records = self.records_mut(ns);
        let Upsert { email, mut attributes, reference, front, back } = u;
        attributes.insert("email".to_owned(), Value::String(email.clone()));
        if records.by_email.contains_key(&email) {
            let rec = records.by_email.get_mut(&email).expect("record checked just above");
            for (k, v) in attributes {
                rec.fields.insert(k, v);
            }
            if let Some(r) = reference {
                rec.reference = r;
            }
            rec.front = front;
            if back.is_some() {
                rec.back = back;
            }
            (rec, UpsertKind::Updated)
        } else {
            let id = records.next_id;
            records.next_id += 1;
            let rec = StoredCustomer {
                email: email.clone(),
                reference: reference.unwrap_or_else(|| format!("R-{id}")),
                status: ReviewStatus::Pending.as_str().to_owned(),
                fields: attributes,
                front,
                back,
                id,
            };
            let rec = records.by_email.entry(email).or_insert(rec);
            (rec, UpsertKind::Created)
        }
    }

    /// Sets the status of the record `email` in `ns`; `None` if there is none.
    pub fn set_status(&mut self, ns: Namespace, email: &str, status: ReviewStatus) -> Option<&StoredCustomer> {
        let rec = self.records_mut(ns).by_email.get_mut(email)?;
        rec.status = status.as_str().to_owned();
        Some(rec)
    }

    /// How many records both namespaces hold.
    pub fn len(&self) -> usize {
        self.live.by_email.len() + self.test.by_email.len()
    }

    /// Empties both namespaces and restarts both id counters at 1001.
    pub fn clear(&mut self) {
        *self = Store::default();
    }
}

/// Locks a shared store, recovering it if a panicking request poisoned the
/// lock (every store operation leaves it consistent before it can panic).
pub(crate) fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn upsert(email: &str, attrs: Value, reference: Option<&str>, back: Option<&[u8]>) -> Upsert {
        Upsert {
            email: email.to_owned(),
            attributes: attrs.as_object().unwrap().clone(),
            reference: reference.map(str::to_owned),
            front: b"front".to_vec(),
            back: back.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn create_then_update_keeps_status_and_merges() {
        let mut s = Store::new();
        let (rec, kind) = s.upsert(Namespace::Live, upsert("a@b.co", json!({"fn":"Ada","ln":"X"}), None, Some(b"bk")));
        assert_eq!(kind, UpsertKind::Created);
        assert_eq!(rec.id, 1001);
        assert_eq!(rec.reference, "R-1001");
        assert_eq!(rec.status, "PENDING");
        s.set_status(Namespace::Live, "a@b.co", ReviewStatus::Pass).unwrap();
        let (rec, kind) = s.upsert(Namespace::Live, upsert("a@b.co", json!({"ln":"Y","extra":1}), Some("mine"), None));
        assert_eq!(kind, UpsertKind::Updated);
        assert_eq!(rec.status, "PASS");
        assert_eq!(rec.reference, "mine");
        assert_eq!(rec.id, 1001);
        assert_eq!(rec.back.as_deref(), Some(&b"bk"[..]));
        assert_eq!(Value::Object(rec.fields.clone()), json!({"fn":"Ada","ln":"Y","extra":1,"email":"a@b.co"}));
    }

    #[test]
    fn namespaces_are_apart_and_number_separately() {
        let mut s = Store::new();
        s.upsert(Namespace::Live, upsert("a@b.co", json!({}), None, None));
        s.upsert(Namespace::Live, upsert("c@b.co", json!({}), None, None));
        let (rec, _) = s.upsert(Namespace::Test, upsert("a@b.co", json!({}), None, None));
        assert_eq!(rec.id, 1001);
        assert!(s.get(Namespace::Test, "c@b.co").is_none());
        assert_eq!(s.get(Namespace::Live, "c@b.co").unwrap().id, 1002);
        assert!(s.get(Namespace::Live, "A@b.co").is_none());
        s.clear();
        assert!(s.get(Namespace::Live, "a@b.co").is_none());
    }
}
