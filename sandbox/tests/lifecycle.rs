//! Starting, addressing, delaying and stopping a sandbox.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dcams_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

#[test]
fn urls_and_address() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let addr = s.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(s.base_url(), format!("http://127.0.0.1:{}", addr.port()));
    assert_eq!(s.url(), format!("http://127.0.0.1:{}/v3/stable/api/storage", addr.port()));
    s.shutdown();
}

#[test]
fn bind_error_is_returned_synchronously() {
    let first = Sandbox::start(SandboxConfig::default()).unwrap();
    let port = first.addr().port();
    let err = Sandbox::start(SandboxConfig { port, ..Default::default() }).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    drop(first);
}

#[test]
fn shutdown_stops_listening_and_frees_the_port() {
    let h = start_default();
    assert_eq!(h.call("getStatus", json!({"email": "a@example.com"})).0, 404);
    let addr = h.sandbox.addr();
    let t = Instant::now();
    h.sandbox.shutdown();
    assert!(t.elapsed() < Duration::from_secs(3), "shutdown took {:?}", t.elapsed());
    assert!(std::net::TcpStream::connect(addr).is_err());
    let again = Sandbox::start(SandboxConfig { port: addr.port(), ..Default::default() }).unwrap();
    assert_eq!(again.addr(), addr);
}

#[test]
fn drop_stops_the_server() {
    let addr = {
        let s = Sandbox::start(SandboxConfig::default()).unwrap();
        s.addr()
    };
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn latency_delays_every_storage_answer() {
    let h = start(SandboxConfig { latency: Duration::from_millis(300), ..Default::default() });
    let t = Instant::now();
    let r = h.post_raw(b"", "application/json");
    assert_eq!(r.status, 400);
    assert!(t.elapsed() >= Duration::from_millis(300), "{:?}", t.elapsed());
    let t = Instant::now();
    assert_eq!(h.call("createOrUpdateCustomer", customer_target("a@example.com")).0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    // admin answers are not delayed
    let t = Instant::now();
    assert_eq!(h.get("/_sandbox/stats").status, 200);
    assert!(t.elapsed() < Duration::from_millis(300));
}

#[test]
fn custom_credentials() {
    let h = start(SandboxConfig { user: "u".into(), pass: "p".into(), ..Default::default() });
    assert_eq!(h.call("getStatus", json!({"email": "a@example.com"})).0, 401);
    let r = h.post(&json!({"user": "u", "pass": "p", "service": "getStatus", "target": {"email": "a@example.com"}}));
    assert_eq!(r.status, 404);
}

#[test]
fn concurrent_clients() {
    let h = start_default();
    let url = h.sandbox.url();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let a = agent();
                let body = call("createOrUpdateCustomer", customer_target(&format!("c{i}@example.com")));
                let resp = a.post(&url).send(serde_json::to_vec(&body).unwrap()).unwrap();
                resp.status().as_u16()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    assert_eq!(h.sandbox.requests(), 8);
    let mut ids: Vec<u64> =
        (0..8).map(|i| h.sandbox.customer(&format!("c{i}@example.com"), false).unwrap().id).collect();
    ids.sort();
    assert_eq!(ids, (1001..1009).collect::<Vec<_>>());
}

#[test]
fn handle_types_are_thread_safe() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sandbox>();
    assert_send_sync::<SandboxConfig>();
    assert_send_sync::<dcams_sandbox::StoredCustomer>();
    assert_send_sync::<dcams_sandbox::RecordedRequest>();
}
