//! The journal: one JSON line per finished record, appended and flushed as
//! each record finishes, so that a run killed at any moment leaves every
//! finished record on record; and the content hash that tells a resumed run
//! which records are done.
//!
//! A line holds no customer data: the row number, the e-mail masked
//! (`j***@example.com`), the outcome (code and name, the service's `type`
//! and `status`, attempts, the failing field's name) and a SHA-256 over the
//! whole record and its images' bytes.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::input::{Image, Record, COLUMNS};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The record's row number in the input.
    pub row: u64,
    /// The e-mail, masked.
    pub email: String,
    /// The `dcams_code` number: 0 for success.
    pub code: i32,
    /// The `dcams_code` name, e.g. `DCAMS_OK`, `DCAMS_ERR_VALIDATION`.
    pub name: String,
    /// The service's `type`: `createCustomer` or `updateCustomer`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The record's review `status`.
    pub status: Option<String>,
    /// HTTP attempts made.
    pub attempts: u32,
    /// The field at fault, for a failure that names one (e.g. `dob`).
    pub field: Option<String>,
    /// `sha256:` and the hex content hash of the record and its images
    /// (absent when the row could not be read as a record).
    pub hash: Option<String>,
}

/// The journal file, open for appending.
pub struct Journal {
    file: File,
}

impl Journal {
    /// Opens (or creates) `path` for appending. A last line cut short by a
    /// kill is ended with a newline first, so that the next line stands alone.
    pub fn open(path: &Path) -> std::io::Result<Journal> {
        let mut file = OpenOptions::new().create(true).read(true).append(true).open(path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Journal { file })
    }

    /// Appends one line with a single write, straight to the file (no
    /// user-space buffer: a killed process loses no finished record).
    pub fn append(&mut self, entry: &Entry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.flush()
    }
}

/// What a journal says is done.
#[derive(Debug, Default)]
pub struct Done {
    /// Content hashes of the records that succeeded (first 16 bytes).
    hashes: HashSet<[u8; 16]>,
    /// Lines read.
    pub lines: u64,
    /// Lines that could not be read (a line cut short by a kill).
    pub unreadable: u64,
}

impl Done {
    /// Reads `path`; a missing file is an empty journal.
    pub fn read(path: &Path) -> std::io::Result<Done> {
        let mut done = Done::default();
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
            Err(e) => return Err(e),
        };
        for line in BufReader::new(file).split(b'\n') {
            let line = line?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            done.lines += 1;
            match serde_json::from_slice::<Entry>(&line) {
                Ok(entry) => {
                    if let (0, Some(hash)) = (entry.code, entry.hash.as_deref().and_then(parse_hash)) {
                        done.hashes.insert(hash);
                    }
                }
                Err(_) => done.unreadable += 1,
            }
        }
        Ok(done)
    }

    /// Whether a record with this content hash is done.
    pub fn contains(&self, hash: &str) -> bool {
        parse_hash(hash).is_some_and(|h| self.hashes.contains(&h))
    }
}

fn parse_hash(text: &str) -> Option<[u8; 16]> {
    let hex = text.strip_prefix("sha256:")?;
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Computes content hashes; remembers the hash of each image file it read
/// (by path, size and modification time), as many rows share images.
#[derive(Default)]
pub struct Hasher {
    files: HashMap<PathBuf, (u64, Option<SystemTime>, [u8; 32])>,
}

/// Image hashes remembered at most.
const REMEMBERED_FILES: usize = 1024;

impl Hasher {
    /// `sha256:<hex>` over every value of the record (in [`COLUMNS`] order,
    /// each length-prefixed, absent ones marked) and the SHA-256 of each
    /// image's bytes (of its text, for base64 given inline).
    ///
    /// Errors: a `File` error naming the image that cannot be read.
    pub fn hash(&mut self, record: &Record) -> Result<String, dcams_client::Error> {
        let mut h = Sha256::new();
        h.update(b"dcams-journal-1\0");
        for (name, value) in COLUMNS.iter().zip(&record.values) {
            field(&mut h, name, value.as_deref().map(str::as_bytes));
        }
        for (name, image) in [("front", &record.front), ("back", &record.back)] {
            let digest = match image {
                None => None,
                Some(Image::Base64(text)) => Some(Sha256::digest(text.trim().as_bytes()).into()),
                Some(Image::Path(path)) => Some(self.file(path).map_err(|e| {
                    dcams_client::Error::new(
                        dcams_client::ErrorKind::File,
                        format!("documents.{name}: cannot read {}: {e}", path.display()),
                    )
                    .with_field(&format!("documents.{name}"))
                })?),
            };
            field(&mut h, name, digest.as_ref().map(|d: &[u8; 32]| &d[..]));
        }
        Ok(format!("sha256:{}", hex(&h.finalize())))
    }

    fn file(&mut self, path: &Path) -> std::io::Result<[u8; 32]> {
        let meta = std::fs::metadata(path)?;
        let key = (meta.len(), meta.modified().ok());
        if let Some((len, modified, digest)) = self.files.get(path) {
            if (*len, *modified) == key {
                return Ok(*digest);
            }
        }
        let mut h = Sha256::new();
        let mut file = File::open(path)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        let digest: [u8; 32] = h.finalize().into();
        if self.files.len() >= REMEMBERED_FILES {
            self.files.clear();
        }
        self.files.insert(path.to_path_buf(), (key.0, key.1, digest));
        Ok(digest)
    }
}

fn field(h: &mut Sha256, name: &str, value: Option<&[u8]>) {
    h.update(name.as_bytes());
    match value {
        None => h.update([0u8]),
        Some(v) => {
            h.update([1u8]);
            h.update((v.len() as u64).to_be_bytes());
            h.update(v);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(email: &str, front: &Path) -> Record {
        let mut r = Record::default();
        r.values[1] = Some(email.to_owned());
        r.front = Some(Image::Path(front.to_path_buf()));
        r
    }

    #[test]
    fn hashes_change_with_any_value_or_image_byte() {
        let dir = std::env::temp_dir().join(format!("dcams-cli-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let img = dir.join("a.png");
        std::fs::write(&img, b"\x89PNG one").unwrap();
        let mut hasher = Hasher::default();
        let a = hasher.hash(&record("a@example.com", &img)).unwrap();
        assert_eq!(a, hasher.hash(&record("a@example.com", &img)).unwrap());
        assert_ne!(a, hasher.hash(&record("b@example.com", &img)).unwrap());
        let mut with_fn = record("a@example.com", &img);
        with_fn.values[2] = Some("Ann".into());
        assert_ne!(a, hasher.hash(&with_fn).unwrap());
        // Another image in the same file (another size): read again, another hash.
        std::fs::write(&img, b"\x89PNG three").unwrap();
        assert_ne!(a, hasher.hash(&record("a@example.com", &img)).unwrap());
        let missing = hasher.hash(&record("a@example.com", &dir.join("none.png"))).unwrap_err();
        assert_eq!((missing.kind(), missing.field()), (dcams_client::ErrorKind::File, Some("documents.front")));
        assert!(a.starts_with("sha256:") && a.len() == 71);
    }

    #[test]
    fn a_journal_cut_short_reads_and_appends_cleanly() {
        let dir = std::env::temp_dir().join(format!("dcams-cli-journal2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let hash = format!("sha256:{}", "ab".repeat(32));
        let entry = |row, code| Entry {
            row,
            email: "a***@example.com".into(),
            code,
            name: "DCAMS_OK".into(),
            kind: Some("createCustomer".into()),
            status: Some("PENDING".into()),
            attempts: 1,
            field: None,
            hash: Some(if row == 1 { hash.clone() } else { format!("sha256:{}", "cd".repeat(32)) }),
        };
        let mut j = Journal::open(&path).unwrap();
        j.append(&entry(1, 0)).unwrap();
        j.append(&entry(2, 5)).unwrap();
        drop(j);
        // A kill in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"row\":3,\"ema").unwrap();
        drop(f);
        let done = Done::read(&path).unwrap();
        assert_eq!((done.lines, done.unreadable), (3, 1));
        assert!(done.contains(&hash));
        assert!(!done.contains(&format!("sha256:{}", "cd".repeat(32))), "failed records are not done");
        let mut j = Journal::open(&path).unwrap();
        j.append(&entry(4, 0)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"ema\n{\"row\":4,"), "{text}");
        assert_eq!(Done::read(&path).unwrap().lines, 4);
    }
}
