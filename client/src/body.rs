//! The request body: the JSON envelope, produced as it is sent.
//!
//! Layout (spec: "Request envelope"): `{"user","pass","service",["reference"],
//! "target":{...attributes..., "documents":{"front","back"}}}`. Everything but
//! the images is serialised up front (small); each image is base64-encoded
//! chunk by chunk straight into the transport's buffer while the request is
//! written, so no full copy of an image or of its base64 ever exists. The
//! exact `Content-Length` is known before the first byte is sent.

use std::collections::VecDeque;
use std::io::{self, Read};

use zeroize::Zeroizing;

use super::cancel::abort_connection;
use super::document::{base64_len, read_up_to, FileChanged, Identity, Source};

/// One request body, readable once from start to end.
pub(crate) struct Body<'a> {
    segments: VecDeque<Segment<'a>>,
    len: u64,
    /// Encoded bytes not yet handed out (only when the reader's buffer is
    /// smaller than one 4-character base64 group).
    pending: ([u8; 4], usize, usize),
}

enum Segment<'a> {
    /// Ready-made JSON text (it holds the password: wiped when dropped) and
    /// how much of it was sent.
    Json(Zeroizing<Vec<u8>>, usize),
    /// An image and its encoding state.
    Image(Source<'a>, Progress),
}

/// How far an image's encoding got.
#[derive(Default)]
struct Progress {
    /// Source bytes consumed.
    done: u64,
    /// Read buffer for a file source, allocated on first use and reused
    /// ([`FILE_CHUNK`] bytes; the only buffer an image ever needs).
    chunk: Vec<u8>,
}

/// Builds the envelope. `fields` are `(name, JSON text of the value)` pairs of
/// `target`, written in order; `documents` (front, optional back) go last.
pub(crate) struct BodyBuilder<'a> {
    head: Vec<u8>,
    segments: VecDeque<Segment<'a>>,
    first_field: bool,
}

impl<'a> BodyBuilder<'a> {
    /// Starts the envelope with credentials, service, optional reference and
    /// further top-level members given as `(name, JSON text)`.
    pub(crate) fn new<N: AsRef<str>, S: AsRef<str>>(
        user: &str,
        pass: &str,
        service: &str,
        reference: Option<&str>,
        extra: &[(N, S)],
    ) -> BodyBuilder<'a> {
        let mut head = Vec::with_capacity(2048); // room enough that the password is rarely copied by growth
        head.extend_from_slice(b"{\"user\":");
        write_json_str(&mut head, user);
        head.extend_from_slice(b",\"pass\":");
        write_json_str(&mut head, pass);
        head.extend_from_slice(b",\"service\":");
        write_json_str(&mut head, service);
        if let Some(r) = reference {
            head.extend_from_slice(b",\"reference\":");
            write_json_str(&mut head, r);
        }
        for (name, json) in extra {
            head.push(b',');
            write_json_str(&mut head, name.as_ref());
            head.push(b':');
            head.extend_from_slice(json.as_ref().as_bytes());
        }
        head.extend_from_slice(b",\"target\":{");
        BodyBuilder { head, segments: VecDeque::new(), first_field: true }
    }

    /// Adds one `target` attribute whose value is already JSON text.
    pub(crate) fn field_raw(&mut self, name: &str, json_value: &str) {
        self.comma();
        write_json_str(&mut self.head, name);
        self.head.push(b':');
        self.head.extend_from_slice(json_value.as_bytes());
    }

    /// Adds one string-valued `target` attribute.
    pub(crate) fn field_str(&mut self, name: &str, value: &str) {
        self.comma();
        write_json_str(&mut self.head, name);
        self.head.push(b':');
        write_json_str(&mut self.head, value);
    }

    /// Adds `documents` with `front` and optional `back`, then closes the envelope.
    pub(crate) fn documents(mut self, front: Source<'a>, back: Option<Source<'a>>) -> Body<'a> {
        self.comma();
        self.head.extend_from_slice(b"\"documents\":{\"front\":\"");
        self.flush_head();
        self.segments.push_back(Segment::Image(front, Progress::default()));
        if let Some(back) = back {
            self.head.extend_from_slice(b"\",\"back\":\"");
            self.flush_head();
            self.segments.push_back(Segment::Image(back, Progress::default()));
        }
        self.head.extend_from_slice(b"\"}}}");
        self.finish_inner()
    }

    /// Closes the envelope (no documents).
    pub(crate) fn finish(mut self) -> Body<'a> {
        self.head.extend_from_slice(b"}}");
        self.finish_inner()
    }

    fn finish_inner(mut self) -> Body<'a> {
        self.flush_head();
        let len = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Json(v, _) => v.len() as u64,
                Segment::Image(p, _) => p.encoded_len(),
            })
            .sum();
        Body { segments: self.segments, len, pending: ([0; 4], 0, 0) }
    }

    fn comma(&mut self) {
        if !self.first_field {
            self.head.push(b',');
        }
        self.first_field = false;
    }

    fn flush_head(&mut self) {
        let head = std::mem::take(&mut self.head);
        self.segments.push_back(Segment::Json(Zeroizing::new(head), 0));
    }
}

impl Body<'_> {
    /// The exact number of bytes the body will produce (the `Content-Length`).
    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

/// Input bytes read per step from a file (a multiple of 3): 96 KiB, whose
/// 128 KiB of base64 fill the transport's output buffer in one go.
const FILE_CHUNK: usize = 96 * 1024;

impl Read for Body<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let (group, start, end) = &mut self.pending;
        if start < end {
            let n = (*end - *start).min(out.len());
            out[..n].copy_from_slice(&group[*start..*start + n]);
            *start += n;
            return Ok(n);
        }
        loop {
            let Some(seg) = self.segments.front_mut() else { return Ok(0) };
            let n = match seg {
                Segment::Json(text, pos) => {
                    let n = (text.len() - *pos).min(out.len());
                    out[..n].copy_from_slice(&text[*pos..*pos + n]);
                    *pos += n;
                    n
                }
                Segment::Image(doc, progress) if out.len() >= 4 => read_image(doc, progress, out)?,
                Segment::Image(doc, progress) => {
                    let mut group = [0u8; 4];
                    let k = read_image(doc, progress, &mut group)?;
                    let n = k.min(out.len());
                    out[..n].copy_from_slice(&group[..n]);
                    self.pending = (group, n, k);
                    n
                }
            };
            if n > 0 {
                return Ok(n);
            }
            self.segments.pop_front();
        }
    }
}

/// Writes the next base64 of `doc` into `out` (at least 4 bytes long); 0
/// means this image is finished.
fn read_image(doc: &mut Source<'_>, progress: &mut Progress, out: &mut [u8]) -> io::Result<usize> {
    let done = &mut progress.done;
    match doc {
        Source::Base64(text) => {
            let rest = &text.as_bytes()[*done as usize..];
            let n = rest.len().min(out.len());
            out[..n].copy_from_slice(&rest[..n]);
            *done += n as u64;
            Ok(n)
        }
        Source::Bytes(bytes) => {
            let rest = &bytes[*done as usize..];
            let take = encodable(rest.len() as u64, out.len()) as usize;
            let n = encode(&rest[..take], out);
            *done += take as u64;
            Ok(n)
        }
        Source::File { file, identity, field, path } => {
            let changed = || {
                // The server must never see this body complete: reset, not close.
                abort_connection();
                io::Error::other(FileChanged { field: field.to_string(), path: path.to_path_buf() })
            };
            let remaining = identity.len - *done;
            let take = encodable(remaining, out.len().min(FILE_CHUNK / 3 * 4)) as usize;
            if take == 0 {
                // Finished: the file must not have grown, nor changed otherwise, since it was checked.
                let mut probe = [0u8; 1];
                if read_up_to(file, &mut probe)? != 0 || Identity::now(file).ok() != Some(*identity) {
                    return Err(changed());
                }
                return Ok(0);
            }
            let chunk = &mut progress.chunk;
            if chunk.is_empty() {
                chunk.resize(FILE_CHUNK, 0);
            }
            if read_up_to(file, &mut chunk[..take])? != take {
                return Err(changed());
            }
            let n = encode(&chunk[..take], out);
            *done += take as u64;
            Ok(n)
        }
    }
}

/// Standard padded base64 of `src` into the start of `out`, which the caller
/// sized with [`encodable`]; returns the bytes written. SIMD where the CPU
/// has it (the body's hot path).
fn encode(src: &[u8], out: &mut [u8]) -> usize {
    let n = base64_len(src.len() as u64) as usize;
    base64_simd::STANDARD.encode(src, base64_simd::Out::from_slice(&mut out[..n])).len()
}

/// How many of `remaining` source bytes can be encoded into `room` output
/// bytes: whole 3-byte groups, or everything when it all fits with padding.
fn encodable(remaining: u64, room: usize) -> u64 {
    if base64_len(remaining) <= room as u64 {
        remaining
    } else {
        (room as u64 / 4) * 3
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_json_str(out: &mut Vec<u8>, s: &str) {
    // serde_json's escaping is the reference; writing into a Vec cannot fail.
    serde_json::to_writer(&mut *out, s).expect("writing JSON to a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    fn read_all(mut body: Body<'_>, buf_size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; buf_size];
        loop {
            let n = body.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn streamed_body_equals_serde_json_and_length() {
        let front: Vec<u8> = (0..100_001u32).map(|i| (i * 7 % 251) as u8).collect();
        let back = b"\x89PNG\r\n\x1a\nabc".to_vec();
        let back_base64 = STANDARD.encode(&back);
        for buf_size in [1, 2, 3, 4, 5, 7, 64, 4096, 1 << 20] {
            let mut b =
                BodyBuilder::new("u\"ser", "p", "createOrUpdateCustomer", Some("R-1"), &[("x".to_owned(), "[1]")]);
            b.field_str("email", "Jane.Doe+kyc@Example.COM");
            b.field_raw("zip", "62701");
            let body = b.documents(Source::Bytes(&front), Some(Source::Base64(&back_base64)));
            let len = body.len();
            let bytes = read_all(body, buf_size);
            assert_eq!(bytes.len() as u64, len, "buf {buf_size}");
            let expected = serde_json::json!({
                "user": "u\"ser", "pass": "p", "service": "createOrUpdateCustomer", "reference": "R-1", "x": [1],
                "target": {"email": "Jane.Doe+kyc@Example.COM", "zip": 62701,
                           "documents": {"front": STANDARD.encode(&front), "back": STANDARD.encode(&back)}}
            });
            let got: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn file_source_streams_exact_bytes() {
        let dir = std::env::temp_dir().join(format!("dcams-body-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("img.bin");
        // Several file chunks plus a remainder, read through buffers of odd sizes.
        let data: Vec<u8> = (0..(3 * FILE_CHUNK as u32 + 1001)).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let identity = Identity::now(&file).unwrap();
        let body = BodyBuilder::new::<&str, &str>("u", "p", "s", None, &[])
            .documents(Source::File { file, identity, field: "documents.front", path: &path }, None);
        let len = body.len();
        let bytes = read_all(body, 10_000);
        assert_eq!(bytes.len() as u64, len);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["target"]["documents"]["front"], STANDARD.encode(&data));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn no_documents_closes_envelope() {
        let mut b = BodyBuilder::new::<&str, &str>("u", "p", "getStatus", None, &[]);
        b.field_str("email", "a@example.com");
        let body = b.finish();
        let v: serde_json::Value = serde_json::from_slice(&read_all(body, 3)).unwrap();
        assert_eq!(v["target"]["email"], "a@example.com");
    }
}
