//! getDocumentImages replies read as they arrive, in constant memory.
//!
//! The reply is about 4/3 of the images' size (both as base64 in one JSON
//! object). [`scan`] walks the JSON as it comes off the socket: every member
//! is copied into a small "reply without images", except
//! `target.documents.front` and `.back`, whose strings are unescaped and
//! base64-decoded on the fly into a [`Sink`] — files under a temporary name
//! ([`FileSink`], renamed on success, removed on failure) or one `Vec` per
//! image ([`MemorySink`]). Besides the decoded images, only fixed buffers
//! are held. Each image's string is replaced by `0` in the copy; the caller
//! turns that into `front_bytes`/`back_bytes` (see [`ImagesReply::raw`](super::ImagesReply::raw)).
//!
//! The images may be written as uploads accept them (spec: documents):
//! standard base64, padded or not, wrapped in lines (any JSON escape or
//! white space between characters), behind a `data:...;base64,` header.
//! Everything else stays strict: invalid UTF-8 or a lone surrogate escape
//! anywhere, a control character, non-base64 text → `BadResponse`. The rest
//! of the reply is checked afterwards by the one JSON parse it gets anyway.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::{Error, ErrorKind};

/// `front` and `back`, the sides of `target.documents`.
pub(crate) const SIDES: [&str; 2] = ["front", "back"];

/// Where decoded image bytes go.
pub(crate) trait Sink {
    /// An image for `side` (0 front, 1 back) starts; drops anything an
    /// earlier attempt wrote for it.
    fn start(&mut self, side: usize) -> Result<(), Error>;
    /// Decoded bytes of `side`, in order.
    fn write(&mut self, side: usize, bytes: &[u8]) -> Result<(), Error>;
    /// Forgets everything written (a retry starts over).
    fn reset(&mut self);
    /// Decoded size of each side written so far (None: no image).
    fn sizes(&self) -> [Option<u64>; 2];
}

/// Both images in memory: one decoded copy each, nothing else.
#[derive(Default)]
pub(crate) struct MemorySink {
    pub(crate) images: [Option<Vec<u8>>; 2],
}

impl Sink for MemorySink {
    fn start(&mut self, side: usize) -> Result<(), Error> {
        self.images[side] = Some(Vec::new());
        Ok(())
    }
    fn write(&mut self, side: usize, bytes: &[u8]) -> Result<(), Error> {
        if let Some(v) = &mut self.images[side] {
            v.extend_from_slice(bytes);
        }
        Ok(())
    }
    fn reset(&mut self) {
        self.images = [None, None];
    }
    fn sizes(&self) -> [Option<u64>; 2] {
        [0, 1].map(|i| self.images[i].as_ref().map(|v| v.len() as u64))
    }
}

/// Images written to files: each to a temporary file beside its target,
/// renamed over it by [`FileSink::commit`]; dropped uncommitted, the
/// temporary files are removed, so a failed download leaves nothing behind.
pub(crate) struct FileSink {
    targets: [Option<PathBuf>; 2],
    open: [Option<(PathBuf, BufWriter<File>)>; 2],
    /// Decoded bytes per side, also for a side that has no target (not kept).
    written: [Option<u64>; 2],
}

fn file_error(what: &str, path: &Path, e: io::Error) -> Error {
    Error::new(ErrorKind::File, format!("cannot {what} {}: {e}", path.display()))
}

impl FileSink {
    pub(crate) fn new(front: &Path, back: Option<&Path>) -> FileSink {
        FileSink {
            targets: [Some(front.to_path_buf()), back.map(Path::to_path_buf)],
            open: [None, None],
            written: [None; 2],
        }
    }

    /// A new, empty temporary file in the directory of `target`.
    fn temporary(target: &Path) -> Result<(PathBuf, File), Error> {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temp = dir.join(format!(".{name}.dcams-{}-{}.part", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| file_error("write", target, e))?;
        Ok((temp, file))
    }

    /// Renames the images into place. A front target with no front image
    /// becomes an empty file; a back target with no back image is removed
    /// (so no stale image from an earlier call survives beside a fresh front).
    pub(crate) fn commit(mut self) -> Result<(), Error> {
        for side in 0..2 {
            let Some(target) = self.targets[side].clone() else { continue };
            match self.open[side].take() {
                Some((temp, writer)) => {
                    let file = writer.into_inner().map_err(|e| file_error("write", &target, e.into_error()))?;
                    drop(file);
                    std::fs::rename(&temp, &target).map_err(|e| {
                        let _ = std::fs::remove_file(&temp);
                        file_error("write", &target, e)
                    })?;
                }
                None if side == 0 => {
                    let (temp, file) = FileSink::temporary(&target)?;
                    drop(file);
                    std::fs::rename(&temp, &target).map_err(|e| {
                        let _ = std::fs::remove_file(&temp);
                        file_error("write", &target, e)
                    })?;
                }
                None => match std::fs::remove_file(&target) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        return Err(file_error("remove stale", &target, e));
                    }
                    _ => {}
                },
            }
        }
        Ok(())
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        self.reset();
    }
}

impl Sink for FileSink {
    fn start(&mut self, side: usize) -> Result<(), Error> {
        if let Some((temp, _)) = self.open[side].take() {
            let _ = std::fs::remove_file(temp);
        }
        if let Some(target) = &self.targets[side] {
            let (temp, file) = FileSink::temporary(target)?;
            self.open[side] = Some((temp, BufWriter::with_capacity(256 * 1024, file)));
        }
        self.written[side] = Some(0);
        Ok(())
    }
    fn write(&mut self, side: usize, bytes: &[u8]) -> Result<(), Error> {
        let target = self.targets[side].as_deref().unwrap_or(Path::new(""));
        if let Some((_, writer)) = &mut self.open[side] {
            writer.write_all(bytes).map_err(|e| file_error("write", target, e))?;
        }
        if let Some(n) = &mut self.written[side] {
            *n += bytes.len() as u64;
        }
        Ok(())
    }
    fn reset(&mut self) {
        for open in &mut self.open {
            if let Some((temp, writer)) = open.take() {
                drop(writer);
                let _ = std::fs::remove_file(temp);
            }
        }
        self.written = [None; 2];
    }
    fn sizes(&self) -> [Option<u64>; 2] {
        self.written
    }
}

/// Why a scan failed.
#[derive(Debug)]
pub(crate) enum ScanError {
    /// Reading the body failed (transport, truncation, size limit).
    Read(io::Error),
    /// The body is not an acceptable reply; the message says why.
    Bad(String),
    /// A sink could not take the bytes.
    Sink(Error),
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> ScanError {
        ScanError::Read(e)
    }
}

type Scan<T> = Result<T, ScanError>;

fn bad<T>(m: impl Into<String>) -> Scan<T> {
    Err(ScanError::Bad(m.into()))
}

/// Deeper nesting is refused (the JSON parser's limit is 128).
const MAX_DEPTH: usize = 128;

/// Where in the reply a value is.
#[derive(Clone, Copy, PartialEq)]
enum At {
    Top,
    Target,
    Documents,
    Image(usize),
    Other,
}

/// Reads a whole reply from `input`; returns the reply without its images
/// (JSON text, the image strings replaced by `0`). The images went to `sink`.
pub(crate) fn scan(input: impl Read, sink: &mut dyn Sink) -> Scan<Vec<u8>> {
    let mut s = Scanner { r: BufReader::with_capacity(64 * 1024, input), rest: Vec::with_capacity(4096), sink };
    s.skip_ws()?;
    if s.peek()? != Some(b'{') {
        // Not a JSON object: kept whole (bounded by the size limit) for the
        // usual description of an unexpected body.
        s.r.read_to_end(&mut s.rest)?;
        return Ok(s.rest);
    }
    s.value(At::Top, 0)?;
    s.skip_ws()?;
    if s.peek()?.is_some() {
        return bad("a body that is not valid JSON (more after the object)");
    }
    Ok(s.rest)
}

struct Scanner<'s, R: Read> {
    r: BufReader<R>,
    rest: Vec<u8>,
    sink: &'s mut dyn Sink,
}

impl<R: Read> Scanner<'_, R> {
    fn peek(&mut self) -> Scan<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }

    fn next(&mut self) -> Scan<u8> {
        match self.peek()? {
            Some(b) => {
                self.r.consume(1);
                Ok(b)
            }
            None => bad("a body that is not valid JSON (it ends early)"),
        }
    }

    fn expect_copy(&mut self, want: u8) -> Scan<()> {
        if self.next()? != want {
            return bad("a body that is not valid JSON");
        }
        self.rest.push(want);
        Ok(())
    }

    fn skip_ws(&mut self) -> Scan<()> {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek()? {
            self.r.consume(1);
        }
        Ok(())
    }

    fn value(&mut self, at: At, depth: usize) -> Scan<()> {
        if depth > MAX_DEPTH {
            return bad("a body nested deeper than 128");
        }
        self.skip_ws()?;
        match self.peek()? {
            Some(b'"') if matches!(at, At::Image(_)) => {
                let At::Image(side) = at else { unreachable!() };
                if self.sink.sizes()[side].is_some() {
                    return bad(format!("target.documents.{} twice in the response", SIDES[side]));
                }
                self.r.consume(1);
                self.sink.start(side).map_err(ScanError::Sink)?;
                self.image_string(side)?;
                self.rest.push(b'0');
                Ok(())
            }
            Some(b'{') => self.object(at, depth),
            Some(b'[') => {
                self.expect_copy(b'[')?;
                self.skip_ws()?;
                if self.peek()? == Some(b']') {
                    return self.expect_copy(b']');
                }
                loop {
                    self.value(At::Other, depth + 1)?;
                    self.skip_ws()?;
                    match self.next()? {
                        b',' => self.rest.push(b','),
                        b']' => {
                            self.rest.push(b']');
                            return Ok(());
                        }
                        _ => return bad("a body that is not valid JSON"),
                    }
                }
            }
            Some(b'"') => {
                self.r.consume(1);
                self.rest.push(b'"');
                self.copy_string()
            }
            Some(_) => {
                // A number or literal: copied up to its end; checked by the parse of the rest.
                while let Some(b) = self.peek()? {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.rest.push(b);
                    self.r.consume(1);
                }
                Ok(())
            }
            None => bad("a body that is not valid JSON (it ends early)"),
        }
    }

    fn object(&mut self, at: At, depth: usize) -> Scan<()> {
        self.expect_copy(b'{')?;
        self.skip_ws()?;
        if self.peek()? == Some(b'}') {
            return self.expect_copy(b'}');
        }
        loop {
            self.skip_ws()?;
            self.expect_copy(b'"')?;
            let key_start = self.rest.len() - 1;
            self.copy_string()?;
            let key: String = serde_json::from_slice(&self.rest[key_start..])
                .map_err(|_| ScanError::Bad("a body that is not valid JSON (a member name)".to_owned()))?;
            let child = match (at, key.as_str()) {
                (At::Top, "target") => At::Target,
                (At::Target, "documents") => At::Documents,
                (At::Documents, "front") => At::Image(0),
                (At::Documents, "back") => At::Image(1),
                _ => At::Other,
            };
            self.skip_ws()?;
            self.expect_copy(b':')?;
            self.value(child, depth + 1)?;
            self.skip_ws()?;
            match self.next()? {
                b',' => self.rest.push(b','),
                b'}' => {
                    self.rest.push(b'}');
                    return Ok(());
                }
                _ => return bad("a body that is not valid JSON"),
            }
        }
    }

    /// Copies a string's raw text (after its opening quote) up to and
    /// including its closing quote; escapes are checked later by the parse.
    fn copy_string(&mut self) -> Scan<()> {
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return bad("a body that is not valid JSON (it ends early)");
            }
            match buf.iter().position(|&b| b == b'"' || b == b'\\') {
                Some(i) => {
                    let special = buf[i];
                    self.rest.extend_from_slice(&buf[..=i]);
                    self.r.consume(i + 1);
                    if special == b'"' {
                        return Ok(());
                    }
                    let escaped = self.next()?;
                    self.rest.push(escaped);
                }
                None => {
                    let n = buf.len();
                    self.rest.extend_from_slice(buf);
                    self.r.consume(n);
                }
            }
        }
    }

    /// Decodes an image string (after its opening quote) into the sink.
    fn image_string(&mut self, side: usize) -> Scan<()> {
        let field = SIDES[side];
        let not_base64 = || ScanError::Bad(format!("target.documents.{field} in the response is not valid base64"));
        let mut decoder = Decoder::new(side);
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return bad("a body that is not valid JSON (it ends early)");
            }
            let plain = buf.iter().position(|&b| !PLAIN[b as usize]);
            let n = plain.unwrap_or(buf.len());
            decoder.push(&buf[..n], self.sink).map_err(|e| e.unwrap_or_else(not_base64))?;
            self.r.consume(n);
            if plain.is_none() {
                continue;
            }
            match self.next()? {
                b'"' => break,
                b'\\' => {
                    let c = self.escape()?;
                    if !c.is_ascii() {
                        return Err(not_base64());
                    }
                    decoder.push(&[c as u8], self.sink).map_err(|e| e.unwrap_or_else(not_base64))?;
                }
                b if b < 0x20 => return bad("a body that is not valid JSON (a control character in a string)"),
                lead => {
                    // Non-ASCII: never base64; say whether it is even UTF-8.
                    let len = match lead {
                        0xC2..=0xDF => 2,
                        0xE0..=0xEF => 3,
                        0xF0..=0xF4 => 4,
                        _ => 0,
                    };
                    let mut seq = vec![lead];
                    for _ in 1..len {
                        seq.push(self.next()?);
                    }
                    if len == 0 || std::str::from_utf8(&seq).is_err() {
                        return bad("a body that is not valid UTF-8");
                    }
                    return Err(not_base64());
                }
            }
        }
        decoder.finish(self.sink).map_err(|e| e.unwrap_or_else(not_base64))
    }

    /// The character of an escape (after its backslash); surrogates must pair.
    fn escape(&mut self) -> Scan<char> {
        Ok(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = match high {
                    0xD800..=0xDBFF => {
                        if self.next()? != b'\\' || self.next()? != b'u' {
                            return bad("a body with a lone surrogate escape");
                        }
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return bad("a body with a lone surrogate escape");
                        }
                        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return bad("a body with a lone surrogate escape"),
                    c => c,
                };
                char::from_u32(code).ok_or_else(|| ScanError::Bad("a body with an invalid escape".to_owned()))?
            }
            _ => return bad("a body that is not valid JSON (an invalid escape)"),
        })
    }

    fn hex4(&mut self) -> Scan<u32> {
        let mut v = 0;
        for _ in 0..4 {
            let d = (self.next()? as char).to_digit(16);
            v = v * 16 + d.ok_or_else(|| ScanError::Bad("a body with an invalid \\u escape".to_owned()))?;
        }
        Ok(v)
    }
}

/// Whether a byte is a character of the standard base64 alphabet (no `=`).
const fn alphabet() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
        b += 1;
    }
    t
}
static ALPHABET: [bool; 256] = alphabet();

/// Whether a byte inside a JSON string stands for itself (printable ASCII
/// other than `"` and `\\`).
const fn plain() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x80 {
        t[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    t
}
static PLAIN: [bool; 256] = plain();

/// Base64 characters are decoded in runs of this many (a multiple of 4).
const RUN: usize = 64 * 1024;

/// A streaming base64 decoder with the upload side's leniency: a `data:`
/// header, white space anywhere, missing padding.
struct Decoder {
    side: usize,
    /// The first characters, until it is known whether a `data:` header starts the text.
    head: Vec<u8>,
    in_header: bool,
    started: bool,
    pending: Vec<u8>,
    padding: usize,
    out: Vec<u8>,
}

/// `Err(None)`: not valid base64; `Err(Some(e))`: another failure (the sink's).
type Step = Result<(), Option<ScanError>>;

impl Decoder {
    fn new(side: usize) -> Decoder {
        Decoder {
            side,
            head: Vec::new(),
            in_header: false,
            started: false,
            pending: Vec::with_capacity(RUN + 4),
            padding: 0,
            out: vec![0; RUN / 4 * 3],
        }
    }

    fn push(&mut self, mut text: &[u8], sink: &mut dyn Sink) -> Step {
        // A `data:...;base64,` header, only at the very start.
        while !self.started && !text.is_empty() {
            if self.in_header {
                match text.iter().position(|&b| b == b',') {
                    Some(i) => {
                        self.head.extend_from_slice(&text[..i]);
                        text = &text[i + 1..];
                        if !self.head.to_ascii_lowercase().ends_with(b";base64") {
                            return Err(None);
                        }
                        self.started = true;
                    }
                    None => {
                        self.head.extend_from_slice(text);
                        if self.head.len() > 1024 {
                            return Err(None);
                        }
                        return Ok(());
                    }
                }
            } else {
                let take = (5 - self.head.len()).min(text.len());
                self.head.extend_from_slice(&text[..take]);
                text = &text[take..];
                if !b"data:"[..self.head.len()].eq_ignore_ascii_case(&self.head) {
                    self.started = true;
                    let head = std::mem::take(&mut self.head);
                    self.feed(&head, sink)?;
                } else if self.head.len() == 5 {
                    self.in_header = true;
                }
            }
        }
        self.feed(text, sink)
    }

    fn feed(&mut self, mut text: &[u8], sink: &mut dyn Sink) -> Step {
        while !text.is_empty() {
            let run = text.iter().position(|&b| !ALPHABET[b as usize]).unwrap_or(text.len());
            if run > 0 {
                if self.padding > 0 {
                    return Err(None); // data after '='
                }
                let room = RUN - self.pending.len();
                let take = run.min(room);
                self.pending.extend_from_slice(&text[..take]);
                text = &text[take..];
                if self.pending.len() == RUN {
                    self.flush(RUN, sink)?;
                }
                continue;
            }
            match text[0] {
                b'=' => self.padding += 1,
                b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' => {}
                _ => return Err(None),
            }
            text = &text[1..];
        }
        Ok(())
    }

    /// Decodes the first `n` pending characters (a multiple of 4, no padding).
    fn flush(&mut self, n: usize, sink: &mut dyn Sink) -> Step {
        let decoded = base64_simd::STANDARD
            .decode(&self.pending[..n], base64_simd::Out::from_slice(&mut self.out))
            .map_err(|_| None)?
            .len();
        sink.write(self.side, &self.out[..decoded]).map_err(|e| Some(ScanError::Sink(e)))?;
        self.pending.drain(..n);
        Ok(())
    }

    fn finish(mut self, sink: &mut dyn Sink) -> Step {
        if self.in_header && !self.started {
            return Err(None); // a data: header without a comma
        }
        if !self.started && !self.head.is_empty() {
            let head = std::mem::take(&mut self.head);
            self.feed(&head, sink)?;
        }
        let whole = self.pending.len() / 4 * 4;
        let left = self.pending.len() - whole;
        if left == 1 || (self.padding > 0 && (left == 0 || self.padding > 4 - left)) {
            return Err(None);
        }
        if whole > 0 && left == 0 {
            return self.flush(whole, sink);
        }
        if whole > 0 {
            self.flush(whole, sink)?;
        }
        if left > 0 {
            let mut last = [b'='; 4];
            last[..left].copy_from_slice(&self.pending[..left]);
            let bytes = STANDARD.decode(last).map_err(|_| None)?;
            sink.write(self.side, &bytes).map_err(|e| Some(ScanError::Sink(e)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Images = [Option<Vec<u8>>; 2];

    fn run(body: &str) -> Result<(String, Images), ScanError> {
        let mut sink = MemorySink::default();
        let rest = scan(body.as_bytes(), &mut sink)?;
        Ok((String::from_utf8(rest).unwrap(), sink.images))
    }

    #[test]
    fn images_are_decoded_and_the_rest_kept() {
        let (rest, [front, back]) =
            run(r#" {"result":"Success","target":{"email":"a@b.c","documents":{"front":"AQID","back":null}},"x":[1,"\"}"]} "#)
                .unwrap();
        assert_eq!(
            rest,
            r#"{"result":"Success","target":{"email":"a@b.c","documents":{"front":0,"back":null}},"x":[1,"\"}"]}"#
        );
        assert_eq!((front.as_deref(), back), (Some(&[1u8, 2, 3][..]), None));
    }

    #[test]
    fn base64_forms() {
        let img: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let plain = STANDARD.encode(&img);
        for text in [
            plain.clone(),
            format!("data:image/png;base64,{plain}"),
            plain.trim_end_matches('=').to_owned(),
            plain.replace('/', "\\/").replace("A", "\\r\\nA"),
        ] {
            let body = format!(r#"{{"target":{{"documents":{{"front":"{text}"}}}}}}"#);
            let (_, [front, _]) = run(&body).unwrap_or_else(|e| panic!("{e:?}: {text}"));
            assert_eq!(front.as_deref(), Some(&img[..]), "{text}");
        }
        // Runs longer than one decoding step.
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let body = format!(r#"{{"target":{{"documents":{{"front":"{}"}}}}}}"#, STANDARD.encode(&big));
        assert_eq!(run(&body).unwrap().1[0].as_deref(), Some(&big[..]));
        for bad in ["AQJ", "A", "AQ==AQID", "AQID=", "data:image/png,AQID", "@@@@", "AQ\\ud800ID", "AQ\u{e9}D"] {
            let body = format!(r#"{{"target":{{"documents":{{"front":"{bad}"}}}}}}"#);
            assert!(matches!(run(&body), Err(ScanError::Bad(_))), "{bad}");
        }
    }
}
