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
    /// Decoded bytes of the front document image (empty when the sandbox
    /// keeps only hashes, see [`ImageStorage`]).
    pub front: Vec<u8>,
    /// Decoded bytes of the back document image, if one was ever sent
    /// (`None` when the sandbox keeps only hashes).
    pub back: Option<Vec<u8>>,
    /// The front image as received: decoded size and SHA-256 (kept in every mode).
    pub front_digest: ImageDigest,
    /// The back image as last received, if one was ever sent.
    pub back_digest: Option<ImageDigest>,
    /// Sequential record id (per namespace, from 1001), used in `customer_link`.
    pub id: u64,
    /// createOrUpdateCustomer calls that stored this record (1 = created, never updated).
    pub upserts: u64,
}

/// What the sandbox keeps of an image in every mode: its decoded size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDigest {
    /// Decoded size in bytes.
    pub len: usize,
    /// SHA-256 of the decoded bytes, lower-case hex.
    pub sha256: String,
}

impl ImageDigest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> ImageDigest {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(bytes);
        ImageDigest { len: bytes.len(), sha256: hash.iter().map(|b| format!("{b:02x}")).collect() }
    }
}

/// What the sandbox keeps of the images it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageStorage {
    /// The decoded bytes, returned by getDocumentImages (the default).
    #[default]
    Keep,
    /// Only each image's size and SHA-256 ([`ImageDigest`]): images are still
    /// decoded and checked, but a batch larger than memory fits.
    /// getDocumentImages answers 400 (`QRY2`, "Document images are not kept").
    HashOnly,
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
    images: ImageStorage,
    created: u64,
    updated: u64,
}

impl Store {
    /// An empty store that keeps images as `images` says.
    pub fn new(images: ImageStorage) -> Store {
        Store { images, ..Store::default() }
    }

    /// What this store keeps of images.
    pub fn images(&self) -> ImageStorage {
        self.images
    }

    /// Records created and updated since the store was made or cleared (both namespaces).
    pub fn counts(&self) -> (u64, u64) {
        (self.created, self.updated)
    }

    /// Every record of `ns`, in no particular order.
    pub fn all(&self, ns: Namespace) -> impl Iterator<Item = &StoredCustomer> {
        self.records(ns).by_email.values()
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
        let keep = self.images == ImageStorage::Keep;
        let exists = self.records(ns).by_email.contains_key(&u.email);
        if exists {
            self.updated += 1;
        } else {
            self.created += 1;
        }
        let records = self.records_mut(ns);
        let Upsert { email, mut attributes, reference, mut front, mut back } = u;
        attributes.insert("email".to_owned(), Value::String(email.clone()));
        let front_digest = ImageDigest::of(&front);
        let back_digest = back.as_deref().map(ImageDigest::of);
        if !keep {
            front = Vec::new();
            back = None;
        }
        if exists {
            let rec = records.by_email.get_mut(&email).expect("record checked just above");
            for (k, v) in attributes {
                rec.fields.insert(k, v);
            }
            if let Some(r) = reference {
                rec.reference = r;
            }
            rec.front = front;
            rec.front_digest = front_digest;
            if back_digest.is_some() {
                rec.back = back;
                rec.back_digest = back_digest;
            }
            rec.upserts += 1;
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
                front_digest,
                back_digest,
                id,
                upserts: 1,
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

    /// Empties both namespaces, restarts both id counters at 1001 and zeroes
    /// the created/updated counts (the image mode stays).
    pub fn clear(&mut self) {
        *self = Store::new(self.images);
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
        let mut s = Store::new(ImageStorage::Keep);
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
        assert_eq!(rec.upserts, 2);
        assert_eq!(s.counts(), (1, 1));
    }

    #[test]
    fn hash_only_keeps_sizes_and_hashes_not_bytes() {
        let mut s = Store::new(ImageStorage::HashOnly);
        let (rec, _) = s.upsert(Namespace::Live, upsert("a@b.co", json!({}), None, Some(b"bk")));
        assert!(rec.front.is_empty() && rec.back.is_none());
        assert_eq!(rec.front_digest, ImageDigest::of(b"front"));
        assert_eq!(rec.front_digest.len, 5);
        // SHA-256("front"), computed independently (sha256sum).
        assert_eq!(rec.front_digest.sha256, "2d8d693177ac44895fc02c009ec3f6af32e51eb00783c17000d7051d1662b93a");
        assert_eq!(rec.back_digest.as_ref().map(|d| d.len), Some(2));
        s.clear();
        assert_eq!(s.images(), ImageStorage::HashOnly);
    }

    #[test]
    fn namespaces_are_apart_and_number_separately() {
        let mut s = Store::new(ImageStorage::Keep);
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
