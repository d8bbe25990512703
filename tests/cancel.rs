//! `dcams_call_cancel` through the C ABI: a call stalled in a phase (upload,
//! waiting for the response, pausing before a retry) is cancelled from
//! another thread and returns `DCAMS_ERR_CANCELLED` within 100 ms plus a
//! margin; the same client and the same handle then complete a normal call.
//! (Every phase, TLS handshake and connect included, is covered on the Rust
//! side by client/tests/faults/cancel.rs; this proves the C wiring.)

use std::ffi::CString;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use dcams::call::{
    dcams_call, dcams_call_cancel, dcams_call_free, dcams_call_get_meta, dcams_call_meta, dcams_call_new,
};
use dcams::client::{dcams_client_call_json, dcams_client_get_status};
use dcams::code::dcams_code;
use dcams::string::dcams_string_free;
use dcams_abi_kit::Client;
use dcams_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

/// How long after the server reached its stall the cancel comes.
const CANCEL_AFTER: Duration = Duration::from_millis(200);
/// The promise, and what a loaded 2-core machine may add to it.
const WITHIN: Duration = Duration::from_millis(100 + 200);

#[derive(Clone, Copy, Debug)]
enum Stall {
    /// Reads 64 KiB of the request, then never reads again.
    Upload,
    /// Reads the whole request, never answers.
    Response,
    /// Answers 503 with `Retry-After: 30`.
    RetryPause,
}

/// A TCP front for the sandbox: its first connection stalls as told (and
/// says so on the channel when the call is in that phase), the others are
/// relayed to the sandbox.
fn gate(upstream: u16, stall: Stall) -> (u16, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let n = Arc::new(AtomicU32::new(0));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut down) = conn else { continue };
            if n.fetch_add(1, Ordering::SeqCst) == 0 {
                let tx = tx.clone();
                std::thread::spawn(move || stall_on(&mut down, stall, tx));
                continue;
            }
            let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
            let (mut down2, mut up2) = (down.try_clone().unwrap(), up.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut down2, &mut up2);
                let _ = up2.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut up, &mut down);
                let _ = down.shutdown(Shutdown::Write);
            });
        }
    });
    (port, rx)
}

fn stall_on(conn: &mut TcpStream, stall: Stall, stalled: mpsc::Sender<()>) {
    let mut buf = vec![0u8; 64 * 1024];
    match stall {
        Stall::Upload => {
            let mut got = 0;
            while got < buf.len() {
                match conn.read(&mut buf[got..]) {
                    Ok(0) | Err(_) => return,
                    Ok(k) => got += k,
                }
            }
            let _ = stalled.send(());
            std::thread::sleep(Duration::from_secs(60));
        }
        Stall::Response => {
            let _ = conn.read(&mut buf); // a getStatus: one read
            let _ = stalled.send(());
            while matches!(conn.read(&mut buf), Ok(k) if k > 0) {}
        }
        Stall::RetryPause => {
            let _ = conn.read(&mut buf);
            std::thread::sleep(Duration::from_millis(50)); // the rest of a small request
            let _ = conn.write_all(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            let _ = stalled.send(());
            while matches!(conn.read(&mut buf), Ok(k) if k > 0) {}
        }
    }
}

struct Call(*mut dcams_call);
// SAFETY: dcams_call_cancel may be called from any thread while the call runs.
unsafe impl Send for Call {}
unsafe impl Sync for Call {}

impl Call {
    fn ptr(&self) -> *mut dcams_call {
        self.0
    }
}

fn call_json(client: &Client, request: &str, call: *mut dcams_call) -> dcams_code {
    let request = CString::new(request).unwrap();
    let (mut result, mut error) = (std::ptr::null_mut(), std::ptr::null_mut());
    let code = unsafe { dcams_client_call_json(client.0, request.as_ptr(), call, &mut result, &mut error) };
    unsafe {
        dcams_string_free(result);
        dcams_string_free(error);
    }
    code
}

fn meta_of(call: *mut dcams_call) -> dcams_call_meta {
    let mut meta =
        dcams_call_meta { struct_size: std::mem::size_of::<dcams_call_meta>() as u32, ..unsafe { std::mem::zeroed() } };
    assert_eq!(unsafe { dcams_call_get_meta(call, &mut meta, std::ptr::null_mut()) }, dcams_code::DCAMS_OK);
    meta
}

#[test]
fn a_cancel_from_another_thread_ends_the_call_in_each_phase_and_the_client_goes_on() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let big = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, {
        let mut img = vec![0xFF, 0xD8, 0xFF, 0xE0];
        img.resize(4 << 20, 0x5a);
        img
    });
    for stall in [Stall::Upload, Stall::Response, Stall::RetryPause] {
        let (port, stalled) = gate(sb.addr().port(), stall);
        let client = Client::new(&json!({
            "environment": false, "endpoint": format!("http://127.0.0.1:{port}/v3/stable/api/storage"),
            "user": "sandbox-user", "pass": "sandbox-pass", "timeout_ms": 60000, "response_timeout_ms": 60000,
            "send_timeout_ms": 60000, "retries": 2,
        }));
        let mut handle = std::ptr::null_mut();
        assert_eq!(unsafe { dcams_call_new(&mut handle, std::ptr::null_mut()) }, dcams_code::DCAMS_OK);
        let call = Call(handle);
        let email = format!("cancel-{stall:?}@example.com").to_lowercase();
        let upsert = json!({"target": {"email": email, "documents": {"front": big}}}).to_string();
        let status = json!({"service": "getStatus", "target": {"email": email}}).to_string();
        // The upload stalls a large body; the others, a small one.
        let first = if matches!(stall, Stall::Upload) { &upsert } else { &status };
        let (code, elapsed) = std::thread::scope(|s| {
            let call = &call;
            let canceller = s.spawn(move || {
                stalled.recv_timeout(Duration::from_secs(30)).expect("the call reached the stall");
                std::thread::sleep(CANCEL_AFTER);
                let at = Instant::now();
                assert_eq!(unsafe { dcams_call_cancel(call.ptr(), std::ptr::null_mut()) }, dcams_code::DCAMS_OK);
                at
            });
            let code = call_json(&client, first, call.0);
            let returned = Instant::now();
            (code, returned.duration_since(canceller.join().unwrap()))
        });
        assert_eq!(code, dcams_code::DCAMS_ERR_CANCELLED, "{stall:?}");
        assert!(elapsed <= WITHIN, "{stall:?}: returned {elapsed:?} after the cancel");
        let meta = meta_of(call.0);
        assert_eq!((meta.code, meta.attempts), (dcams_code::DCAMS_ERR_CANCELLED, 1), "{stall:?}: never retried");
        // The same client and handle: the cancel was consumed, the call goes through (a new connection).
        assert_eq!(call_json(&client, &upsert, call.0), dcams_code::DCAMS_OK, "{stall:?}");
        let email = CString::new(email).unwrap();
        let (mut result, mut error) = (std::ptr::null_mut(), std::ptr::null_mut());
        let code = unsafe { dcams_client_get_status(client.0, email.as_ptr(), call.0, &mut result, &mut error) };
        assert_eq!(code, dcams_code::DCAMS_OK);
        unsafe {
            dcams_string_free(result);
            dcams_string_free(error);
            dcams_call_free(call.0);
        }
    }
}

#[test]
fn a_cancel_before_the_call_cancels_it_before_any_traffic_and_is_consumed() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = Client::new(&json!({
        "environment": false, "endpoint": sb.url(), "user": "sandbox-user", "pass": "sandbox-pass",
    }));
    let mut call = std::ptr::null_mut();
    assert_eq!(unsafe { dcams_call_new(&mut call, std::ptr::null_mut()) }, dcams_code::DCAMS_OK);
    assert_eq!(unsafe { dcams_call_cancel(call, std::ptr::null_mut()) }, dcams_code::DCAMS_OK);
    let status = r#"{"service":"getStatus","target":{"email":"nobody@example.com"}}"#;
    assert_eq!(call_json(&client, status, call), dcams_code::DCAMS_ERR_CANCELLED);
    assert_eq!((meta_of(call).attempts, sb.requests()), (0, 0));
    assert_eq!(call_json(&client, status, call), dcams_code::DCAMS_ERR_NOT_FOUND);
    assert_eq!(sb.requests(), 1);
    let mut error = std::ptr::null_mut();
    assert_eq!(unsafe { dcams_call_cancel(std::ptr::null_mut(), &mut error) }, dcams_code::DCAMS_ERR_NULL_ARGUMENT);
    unsafe {
        dcams_string_free(error);
        dcams_call_free(call);
    }
}
