//! `dcams_client_upsert` with an arbitrary `dcams_customer`, against a dead
//! loopback port: each string NULL, empty, any bytes (cut at the first NUL,
//! so valid or invalid UTF-8) or a well-formed value; each document absent,
//! `len` without `data`, bytes (any `len` up to the buffer's size, 0
//! included), the specimen JPEG (a prefix or all of it), a path (missing,
//! a directory, a temp file of fuzzer bytes, the JPEG; `len` 0 or not), or
//! both `data` and `path`.
//!
//! Never passes an out-of-bounds pointer: `data` always points into a buffer
//! the fuzzer owns (its input, the JPEG or a static byte) with `len` ≤ its
//! size; only `data` NULL comes with an arbitrary `len`.
//!
//! Asserts: a documented code, never 99, only input codes or a failed
//! connection; the result is JSON with the same code and its name.
#![no_main]

use std::ffi::{c_char, CString};
use std::path::PathBuf;

use arbitrary::Arbitrary;
use dcams_fuzz::*;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Field<'a> {
    Null,
    Empty,
    /// Any bytes: valid or invalid UTF-8.
    Bytes(&'a [u8]),
    /// A well-formed value for the field, picked by index.
    Canned(u8),
}

#[derive(Arbitrary, Debug)]
enum PathKind<'a> {
    Missing,
    MissingNonUtf8,
    Empty,
    Directory,
    TempFile(&'a [u8]),
    Jpeg,
}

#[derive(Arbitrary, Debug)]
enum Doc<'a> {
    Absent,
    LenWithoutData(usize),
    /// `data` = these bytes, `len` = `cut` modulo (size + 1).
    Bytes {
        bytes: &'a [u8],
        cut: usize,
        full: bool,
    },
    /// `data` = the JPEG, `len` = all of it or a prefix.
    Jpeg {
        prefix: Option<u32>,
    },
    Path {
        kind: PathKind<'a>,
        len: Option<usize>,
    },
    Both,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    email: Field<'a>,
    /// fn, ln, addr, city, state, zip, dob, phone, reference
    others: [Field<'a>; 9],
    test_key: Field<'a>,
    front: Doc<'a>,
    back: Doc<'a>,
}

const EMAILS: [&str; 5] =
    ["ada@example.com", "Jane.Doe+kyc@Example.COM", "a_b-c@sub.example.co.uk", "x@a-b.io", "o'neil@example.org"];
const DOBS: [&str; 6] = ["19800214", "20000229", "19000229", "19900231", "18000101", "29991231"];
const TEXTS: [&str; 4] = ["Ada", "Zoë \"Q\" O'Neil\\", "62701", "1 Test Way\r\nApt 2"];

static EMPTY_BYTE: [u8; 1] = [0];

struct Arena {
    strings: Vec<CString>,
    files: Vec<PathBuf>,
}

impl Drop for Arena {
    fn drop(&mut self) {
        for f in &self.files {
            std::fs::remove_file(f).ok();
        }
    }
}

fn scratch() -> &'static PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("dcams-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

impl Arena {
    fn keep(&mut self, s: CString) -> *const c_char {
        self.strings.push(s);
        self.strings.last().unwrap().as_ptr()
    }

    fn field(&mut self, f: &Field<'_>, canned: &[&str]) -> *const c_char {
        match f {
            Field::Null => std::ptr::null(),
            Field::Empty => self.keep(CString::default()),
            Field::Bytes(b) => self.keep(c_string(b)),
            Field::Canned(i) => self.keep(CString::new(canned[*i as usize % canned.len()]).unwrap()),
        }
    }

    fn path(&mut self, kind: &PathKind<'_>) -> *const c_char {
        use std::os::unix::ffi::OsStrExt;
        let p: PathBuf = match kind {
            PathKind::Missing => scratch().join("missing.jpg"),
            PathKind::MissingNonUtf8 => scratch().join(std::ffi::OsStr::from_bytes(b"missing-\xff.jpg")),
            PathKind::Empty => PathBuf::new(),
            PathKind::Directory => scratch().clone(),
            PathKind::TempFile(bytes) => {
                let p = scratch().join("doc.bin");
                std::fs::write(&p, bytes).unwrap();
                self.files.push(p.clone());
                p
            }
            PathKind::Jpeg => jpeg_path(),
        };
        self.keep(CString::new(p.as_os_str().as_bytes()).unwrap())
    }

    fn doc(&mut self, d: &Doc<'_>) -> CDocument {
        let none = CDocument::NONE;
        match d {
            Doc::Absent => none,
            Doc::LenWithoutData(len) => CDocument { len: *len, ..none },
            Doc::Bytes { bytes, cut, full } => {
                let data = if bytes.is_empty() { EMPTY_BYTE.as_ptr() } else { bytes.as_ptr() };
                let len = if *full { bytes.len() } else { cut % (bytes.len() + 1) };
                CDocument { data, len, ..none }
            }
            Doc::Jpeg { prefix } => {
                let all = jpeg().len();
                let len = prefix.map_or(all, |p| p as usize % all + 1);
                CDocument { data: jpeg().as_ptr(), len, ..none }
            }
            Doc::Path { kind, len } => CDocument { len: len.unwrap_or(0), path: self.path(kind), ..none },
            Doc::Both => CDocument { data: jpeg().as_ptr(), len: jpeg().len(), path: self.path(&PathKind::Jpeg) },
        }
    }
}

fuzz_target!(|input: Input<'_>| {
    let mut a = Arena { strings: Vec::new(), files: Vec::new() };
    let [f, l, addr, city, state, zip, dob, phone, reference] = &input.others;
    let customer = CCustomer {
        email: a.field(&input.email, &EMAILS),
        r#fn: a.field(f, &TEXTS),
        ln: a.field(l, &TEXTS),
        addr: a.field(addr, &TEXTS),
        city: a.field(city, &TEXTS),
        state: a.field(state, &TEXTS),
        zip: a.field(zip, &TEXTS),
        dob: a.field(dob, &DOBS),
        phone: a.field(phone, &TEXTS),
        reference: a.field(reference, &TEXTS),
        test_key: a.field(&input.test_key, &TEXTS),
        front: a.doc(&input.front),
        back: a.doc(&input.back),
    };
    let mut out = std::ptr::null_mut();
    let code = unsafe { dcams_client_upsert(dead_client().0, &customer, &mut out) };
    check_outcome(code, out);
    assert!(dead_port_code(code), "code {code} from a dead port");
    drop(a);
});
