//! The streaming body: a 48 MB image goes out without a full copy of it or
//! of its base64 in memory, and the bytes on the wire are exactly what the
//! one-shot (serde_json) encoding produces.
//!
//! This file holds one test on purpose: it measures the peak RSS of its own
//! process, so nothing else may run beside it. The sandbox runs as a separate
//! process (it keeps the whole body and image in memory, which must not be
//! counted against the client).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use dcams_client::{Client, Config, Customer, Document, Secret, UpsertKind};

const IMAGE_BYTES: usize = 48 * 1024 * 1024;
/// Allowed peak-RSS growth of the client process during the upload.
const RSS_BOUND_KIB: u64 = 8 * 1024;

fn sandbox_bin() -> PathBuf {
    if let Ok(p) = std::env::var("DCAMS_SANDBOX_BIN") {
        return p.into();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    ["target/debug/dcams-sandbox", "target/release/dcams-sandbox"]
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.exists())
        .expect("no dcams-sandbox binary: run `cargo build -p dcams-sandbox` (make test does)")
}

struct SandboxProcess {
    child: Child,
    url: String,
}

impl SandboxProcess {
    fn start(dir: &Path) -> SandboxProcess {
        let url_file = dir.join("url");
        let child = Command::new(sandbox_bin())
            .args(["--port", "0", "--url-file"])
            .arg(&url_file)
            .stdout(Stdio::null())
            .spawn()
            .expect("sandbox starts");
        let mut started = SandboxProcess { child, url: String::new() }; // killed on drop, even on panic
        for _ in 0..400 {
            if let Ok(url) = std::fs::read_to_string(&url_file) {
                if !url.trim().is_empty() {
                    started.url = url.trim().to_owned();
                    return started;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("sandbox did not start");
    }

    fn admin(&self, path: &str) -> Vec<u8> {
        let base = self.url.trim_end_matches("/v3/stable/api/storage");
        let mut resp = ureq::get(&format!("{base}{path}")).call().expect("admin endpoint");
        resp.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmHWM` (peak RSS) or `VmRSS` of this process, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Writes a JPEG-looking file of `len` pseudo-random bytes, 1 MiB at a time.
fn write_big_image(path: &Path, len: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut chunk = vec![0u8; 1 << 20];
    let mut written = 0;
    while written < len {
        for b in chunk.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        if written == 0 {
            chunk[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
        }
        let n = chunk.len().min(len - written);
        f.write_all(&chunk[..n]).unwrap();
        written += n;
    }
    f.flush().unwrap();
}

#[test]
fn a_48_mb_image_streams_in_constant_memory_and_byte_identical() {
    let dir = std::env::temp_dir().join(format!("dcams-streaming-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("big.jpg");
    write_big_image(&image, IMAGE_BYTES);
    let sandbox = SandboxProcess::start(&dir);
    let client = Client::new(Config {
        endpoint: sandbox.url.clone(),
        user: Some("sandbox-user".into()),
        pass: Some(Secret::new("sandbox-pass")),
        ..Config::default()
    })
    .unwrap();
    let customer =
        Customer { dob: Some("19800214".into()), ..Customer::new("big@example.com", Document::from_path(&image)) };
    // Warm up (connection pool, TLS-free loopback, allocator arenas) with a small upload.
    let small = dir.join("small.jpg");
    write_big_image(&small, 64 * 1024);
    client.upsert(&Customer::new("warm@example.com", Document::from_path(&small))).unwrap();

    // Reset the peak-RSS mark (Linux: write 5 to clear_refs), then upload.
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let before = status_kib("VmRSS:");
    let reply = client.upsert(&customer).unwrap();
    let peak = status_kib("VmHWM:");
    let growth = peak.saturating_sub(before);
    println!(
        "48 MiB upload: RSS before {before} KiB, peak {peak} KiB, growth {growth} KiB (bound {RSS_BOUND_KIB} KiB)"
    );
    assert_eq!(reply.kind, Some(UpsertKind::Created));
    assert!(growth < RSS_BOUND_KIB, "peak RSS grew by {growth} KiB while uploading {IMAGE_BYTES} bytes");

    // Control: the same measurement does see a 16 MiB buffer being touched.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kib("VmRSS:");
    let buffer = std::hint::black_box(vec![1u8; 16 << 20]);
    let control = status_kib("VmHWM:").saturating_sub(before);
    drop(buffer);
    assert!(control >= 15 * 1024, "the RSS probe missed a 16 MiB buffer (saw {control} KiB)");

    // What arrived equals the one-shot encoding of the same request.
    let received: serde_json::Value = serde_json::from_slice(&sandbox.admin("/_sandbox/last-request")).unwrap();
    let file = std::fs::read(&image).unwrap();
    let expected = serde_json::json!({
        "user": "sandbox-user", "pass": "sandbox-pass", "service": "createOrUpdateCustomer",
        "target": {"email": "big@example.com", "dob": "19800214",
                   "documents": {"front": base64::engine::general_purpose::STANDARD.encode(&file)}}
    });
    assert_eq!(received["content_length"], received_len(&expected));
    assert!(received["body"] == expected, "the streamed body differs from the one-shot encoding");
    assert_eq!(sandbox.admin("/_sandbox/customers/big%40example.com/documents/front"), file);
    std::fs::remove_dir_all(&dir).ok();
}

/// Length of the compact serialisation (the client writes compact JSON).
fn received_len(v: &serde_json::Value) -> u64 {
    serde_json::to_vec(v).unwrap().len() as u64
}
