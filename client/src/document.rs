//! Document images: where they come from, and their checked, ready-to-send form.
//!
//! The service wants each image as single-line, padded, standard base64
//! (spec: createOrUpdateCustomer, `documents`). A [`Document`] is given as raw
//! bytes, a file path, or base64 text; [`check`] checks it (readable,
//! non-empty, a recognised image by its leading bytes, valid base64) once per
//! call without copying the image, and the request body encodes it while it is
//! being sent.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::{Error, ErrorKind};
use super::events::ImageDigest;
use super::validate::{check_image, SNIFF_LEN};

/// One document image (`documents.front` or `documents.back`).
///
/// `Debug` shows only the source kind and size, never the image data.
#[derive(Clone, PartialEq, Eq)]
pub enum Document<'a> {
    /// Raw image bytes (JPEG, PNG...). Borrowed bytes are encoded straight
    /// into the request as it is sent, without a copy.
    Bytes(Cow<'a, [u8]>),
    /// A file to read; it is opened and checked before the request starts and
    /// read in chunks while the request is sent.
    Path(PathBuf),
    /// Base64 text of the image. Accepted as: standard alphabet, padded or
    /// not, optionally prefixed by a `data:image/...;base64,` URI header and/or
    /// wrapped in lines (CR/LF or other ASCII white space). It is normalised to
    /// single-line padded standard base64 before sending; anything else is a
    /// validation error.
    Base64(Cow<'a, str>),
}

impl<'a> Document<'a> {
    /// A document from bytes the caller keeps (no copy is made).
    pub fn from_bytes(bytes: &'a [u8]) -> Document<'a> {
        Document::Bytes(Cow::Borrowed(bytes))
    }
    /// A document read from a file at send time.
    pub fn from_path(path: impl AsRef<Path>) -> Document<'static> {
        Document::Path(path.as_ref().to_path_buf())
    }
    /// A document given as base64 text (see [`Document::Base64`] for what is accepted).
    pub fn from_base64(text: &'a str) -> Document<'a> {
        Document::Base64(Cow::Borrowed(text))
    }
}

impl fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Document::Bytes(b) => write!(f, "Document::Bytes({} bytes)", b.len()),
            Document::Path(p) => write!(f, "Document::Path({p:?})"),
            Document::Base64(s) => write!(f, "Document::Base64({} chars)", s.len()),
        }
    }
}

/// A document checked once per call: validated, base64 normalised, a file
/// opened and sniffed. Each attempt takes a [`Source`] from it.
pub(crate) enum Checked<'d> {
    /// Raw bytes.
    Bytes(&'d [u8]),
    /// Canonical base64 text.
    Base64(Cow<'d, str>),
    /// A regular file as it was when the call began; `opened` is the handle
    /// the check used, kept for the first attempt (later attempts open the
    /// path again, and must find the same file).
    File { field: &'d str, path: &'d Path, identity: Identity, opened: Option<File> },
}

/// What says a file is still the one checked: device, inode, size and
/// modification time. A file that changes any of them while the call runs
/// is a `File` error: never sent whole, never retried (issue 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
    pub(crate) len: u64,
    mtime: (i64, i64),
}

impl Identity {
    fn of(meta: &std::fs::Metadata) -> Identity {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Identity { dev: meta.dev(), ino: meta.ino(), len: meta.len(), mtime: (meta.mtime(), meta.mtime_nsec()) }
        }
        #[cfg(not(unix))]
        {
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or((0, 0), |d| (d.as_secs() as i64, i64::from(d.subsec_nanos())));
            Identity { dev: 0, ino: 0, len: meta.len(), mtime }
        }
    }

    /// The identity of an open file now.
    pub(crate) fn now(file: &File) -> std::io::Result<Identity> {
        file.metadata().map(|m| Identity::of(&m))
    }
}

/// Why a document file could not be sent again on a retry.
#[derive(Debug)]
pub(crate) enum Reopen {
    /// It cannot be opened any more (removed, no longer readable).
    Gone(Error),
    /// It is another file, or the same one changed (size, mtime): sending it
    /// would store a different image than the call was given.
    Changed(Error),
}

/// The error a file source returns (inside an `io::Error`) when the file
/// changed while it was being sent; mapped to `ErrorKind::File`.
#[derive(Debug)]
pub(crate) struct FileChanged {
    pub(crate) field: String,
    pub(crate) path: PathBuf,
}

impl fmt::Display for FileChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} changed (size, contents or identity) while it was being sent; nothing was stored",
            self.field,
            self.path.display()
        )
    }
}

impl std::error::Error for FileChanged {}

impl FileChanged {
    pub(crate) fn error(&self) -> Error {
        Error::new(ErrorKind::File, self.to_string()).with_field(&self.field)
    }
}

/// One attempt's view of a document, streamed into the request body.
pub(crate) enum Source<'a> {
    /// Raw bytes, base64-encoded while sending.
    Bytes(&'a [u8]),
    /// An open regular file, read and encoded while sending; it must stay
    /// as `identity` says until its last byte is read.
    File { file: File, identity: Identity, field: &'a str, path: &'a Path },
    /// Canonical base64 text, copied as is.
    Base64(&'a str),
}

impl Source<'_> {
    /// The exact number of base64 characters this document puts on the wire.
    pub(crate) fn encoded_len(&self) -> u64 {
        match self {
            Source::Bytes(b) => base64_len(b.len() as u64),
            Source::File { identity, .. } => base64_len(identity.len),
            Source::Base64(s) => s.len() as u64,
        }
    }
}

/// Length of padded base64 for `n` input bytes.
pub(crate) const fn base64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

fn file_error(field: &str, what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::File, format!("{field}: cannot {what} {}: {e}", path.display())).with_field(field)
}

/// Checks `doc` (the service field `field`, e.g. `documents.front`) once per
/// call. `check_format` false skips the image-format check.
///
/// Errors: `Validation` (empty, not an image, not base64), `File` (cannot be
/// opened or read).
pub(crate) fn check<'d>(field: &'d str, doc: &'d Document<'_>, check_format: bool) -> Result<Checked<'d>, Error> {
    match doc {
        Document::Bytes(b) => {
            check_image(field, &b[..b.len().min(SNIFF_LEN)], check_format)?;
            Ok(Checked::Bytes(b))
        }
        Document::Path(path) => {
            let mut file = open_file(path).map_err(|e| file_error(field, "open", path, e))?;
            let meta = file.metadata().map_err(|e| file_error(field, "stat", path, e))?;
            // A FIFO, device or directory has no size to send (and could block or never end).
            if !meta.is_file() {
                return Err(Error::new(ErrorKind::File, format!("{field}: {} is not a regular file", path.display()))
                    .with_field(field));
            }
            let identity = Identity::of(&meta);
            let mut head = [0u8; SNIFF_LEN];
            let n = read_up_to(&mut file, &mut head).map_err(|e| file_error(field, "read", path, e))?;
            // A file the file system gives a wrong size (e.g. under /proc) cannot be sent exactly.
            if n as u64 != identity.len.min(SNIFF_LEN as u64) {
                return Err(Error::new(
                    ErrorKind::File,
                    format!(
                        "{field}: {} does not hold the {} bytes its size says (a special file?)",
                        path.display(),
                        identity.len
                    ),
                )
                .with_field(field));
            }
            check_image(field, &head[..n], check_format)?;
            file.seek(SeekFrom::Start(0)).map_err(|e| file_error(field, "rewind", path, e))?;
            Ok(Checked::File { field, path, identity, opened: Some(file) })
        }
        Document::Base64(text) => {
            let canonical = normalize_base64(field, text)?;
            let head = validate_base64(field, &canonical)?;
            check_image(field, &head, check_format)?;
            Ok(Checked::Base64(canonical))
        }
    }
}

impl Checked<'_> {
    /// This attempt's source: borrowed bytes or text, or the file (the
    /// checked handle first, then opened again for each retry).
    ///
    /// Errors: [`Reopen`]: the file cannot be opened again, or it is no
    /// longer the file the call checked.
    pub(crate) fn source(&mut self) -> Result<Source<'_>, Reopen> {
        Ok(match self {
            Checked::Bytes(b) => Source::Bytes(b),
            Checked::Base64(text) => Source::Base64(text),
            Checked::File { field, path, identity, opened } => {
                let file = match opened.take() {
                    Some(file) => file,
                    None => {
                        let file = open_file(path).map_err(|e| Reopen::Gone(file_error(field, "open", path, e)))?;
                        if Identity::now(&file).ok() != Some(*identity) {
                            let changed = FileChanged { field: field.to_string(), path: path.to_path_buf() };
                            return Err(Reopen::Changed(changed.error()));
                        }
                        file
                    }
                };
                Source::File { file, identity: *identity, field, path }
            }
        })
    }
}

impl Checked<'_> {
    /// The image's size and SHA-256 prefix, for a debug event (computed
    /// only when someone listens: it reads a file once more, or decodes the
    /// base64 once more, in chunks). `None` when the file cannot be read again.
    pub(crate) fn digest(&self) -> Option<ImageDigest> {
        match self {
            Checked::Bytes(b) => Some(ImageDigest::of_bytes(b)),
            Checked::Base64(text) => {
                let mut hasher = ImageDigest::hasher();
                let mut buf = vec![0u8; 12 * 1024];
                for chunk in text.as_bytes().chunks(16 * 1024) {
                    let n = STANDARD.decode_slice(chunk, &mut buf).ok()?;
                    hasher.update(&buf[..n]);
                }
                Some(hasher.finish())
            }
            Checked::File { path, .. } => open_file(path).and_then(|mut f| ImageDigest::of_reader(&mut f)).ok(),
        }
    }
}

/// Opens a document file for reading without blocking on a FIFO (whose
/// open waits for a writer); the caller refuses anything not regular.
fn open_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Reads until `buf` is full or end of file; returns how many bytes were read.
pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Strips a `data:...;base64,` header and white space, and adds missing
/// padding. Borrows when the text is already canonical.
fn normalize_base64<'t>(field: &str, text: &'t str) -> Result<Cow<'t, str>, Error> {
    let mut body = text;
    // Compare bytes: slicing the str could split a multi-byte character.
    if body.as_bytes().get(..5).is_some_and(|head| head.eq_ignore_ascii_case(b"data:")) {
        match body.find(',') {
            Some(comma) if body[..comma].to_ascii_lowercase().ends_with(";base64") => body = &body[comma + 1..],
            _ => {
                return Err(Error::validation(field, format!("{field} is a data: URI without ';base64,'")));
            }
        }
    }
    let mut out: Cow<'t, str> = if body.bytes().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(body.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        Cow::Borrowed(body)
    };
    match out.len() % 4 {
        0 => {}
        1 => return Err(Error::validation(field, format!("{field} is not valid base64 (impossible length)"))),
        r => out.to_mut().push_str(if r == 2 { "==" } else { "=" }),
    }
    Ok(out)
}

/// Decodes canonical base64 chunk by chunk (no full copy) to prove it valid;
/// returns the first decoded bytes for format sniffing.
fn validate_base64(field: &str, text: &str) -> Result<Vec<u8>, Error> {
    let invalid = || Error::validation(field, format!("{field} is not valid standard base64"));
    if text.is_empty() {
        return Err(Error::validation(field, format!("{field} is empty")));
    }
    let bytes = text.as_bytes();
    // '=' may only end the text.
    if bytes[..bytes.len().saturating_sub(2)].contains(&b'=') {
        return Err(invalid());
    }
    const CHUNK: usize = 16 * 1024; // multiple of 4
    let mut buf = vec![0u8; CHUNK / 4 * 3];
    let mut head = Vec::new();
    for chunk in bytes.chunks(CHUNK) {
        let n = STANDARD.decode_slice(chunk, &mut buf).map_err(|_| invalid())?;
        if head.is_empty() {
            head.extend_from_slice(&buf[..n.min(SNIFF_LEN)]);
        }
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn canonical(text: &str) -> Result<String, Error> {
        let doc = Document::from_base64(text);
        match check("documents.front", &doc, true)? {
            Checked::Base64(s) => Ok(s.into_owned()),
            _ => unreachable!(),
        }
    }

    #[test]
    fn base64_forms_normalise_to_one_line() {
        let plain = STANDARD.encode(PNG);
        assert_eq!(canonical(&plain).unwrap(), plain);
        assert_eq!(canonical(&format!("data:image/png;base64,{plain}")).unwrap(), plain);
        let wrapped: String =
            plain.as_bytes().chunks(4).map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap())).collect();
        assert_eq!(canonical(&wrapped).unwrap(), plain);
        assert_eq!(canonical(plain.trim_end_matches('=')).unwrap(), plain);
    }

    #[test]
    fn bad_base64_is_a_validation_error() {
        for bad in ["not base64!", "iVBORw0K=GgoAAAANSUhEUg==", "data:image/png,abcd", "A", "-_-_"] {
            let e = canonical(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Validation, "{bad}");
            assert_eq!(e.field(), Some("documents.front"));
        }
        // valid base64 of bytes that are not an image
        let e = canonical(&STANDARD.encode(b"hello world, not an image")).unwrap_err();
        assert!(e.message().contains("not a recognised image"));
    }

    #[test]
    fn non_ascii_text_is_a_validation_error_not_a_panic() {
        // Found by the property tests: a multi-byte character across byte 5.
        for text in ["abcd\u{e9}fgh", "\u{1F600}\u{1F600}", "data\u{e9}:x", "data:image/png;base64,\u{e9}"] {
            let e = canonical(text).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Validation, "{text:?}");
        }
    }

    #[test]
    fn debug_hides_bytes() {
        let d = Document::from_bytes(PNG);
        assert_eq!(format!("{d:?}"), "Document::Bytes(16 bytes)");
    }

    #[test]
    fn missing_file_is_a_file_error() {
        let doc = Document::from_path("/nonexistent/front.jpg");
        let e = check("documents.front", &doc, true).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::File);
        assert!(e.message().contains("documents.front"));
        assert_eq!(e.field(), Some("documents.front"));
    }
}
