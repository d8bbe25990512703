//! Connection reuse: sequential calls on one client share one TCP connection.

mod common;

use common::*;
use dcams_client::{Client, Config, Customer, Document, ErrorKind};

#[test]
fn one_hundred_sequential_upserts_use_one_connection() {
    let sb = sandbox();
    let client = client(&sb);
    let jpg = read("passport-td3.jpg");
    for i in 0..100 {
        let reply = client.upsert(&Customer::new(format!("c{i}@example.com"), Document::from_bytes(&jpg))).unwrap();
        assert_eq!(reply.target["email"], format!("c{i}@example.com"));
    }
    // Error answers are read to the end too, so the connection survives them.
    assert!(client.get_status("nobody@example.com").is_err());
    assert!(client.get_status("c1@example.com").is_ok());
    assert_eq!(sb.requests(), 102);
    assert_eq!(sb.connections(), 1, "every call reused the first connection");
}

#[test]
fn concurrent_calls_share_a_pool_of_the_configured_size() {
    let sb = sandbox();
    let mut cfg = config(&sb);
    cfg.max_idle_connections = 4;
    let client = dcams_client::Client::new(cfg).unwrap();
    let jpg = read("passport-td3.jpg");
    for round in 0..5 {
        std::thread::scope(|s| {
            for t in 0..4 {
                let (client, jpg) = (&client, &jpg);
                s.spawn(move || {
                    let email = format!("r{round}.t{t}@example.com");
                    client.upsert(&Customer::new(email, Document::from_bytes(jpg))).unwrap();
                });
            }
        });
    }
    assert_eq!(sb.requests(), 20);
    // Four threads at a time need at most four connections, reused across rounds.
    assert!(sb.connections() <= 4, "{} connections for 5 rounds of 4 concurrent calls", sb.connections());
}

/// `CallMeta::connection_reused`, on success and on failure: the first call
/// opens a connection, the next ones reuse it; a client without a pool
/// opens one every time; a call that never connected does not know.
#[test]
fn metadata_says_whether_the_connection_was_new_or_reused() {
    let sb = sandbox();
    let client = client(&sb);
    let jpg = read("passport-td3.jpg");
    let first = client.upsert(&Customer::new("m@example.com", Document::from_bytes(&jpg))).unwrap();
    assert_eq!(first.raw.meta.connection_reused, Some(false));
    let second = client.get_status("m@example.com").unwrap();
    assert_eq!(second.raw.meta.connection_reused, Some(true));
    let failed = client.get_status("nobody@example.com").unwrap_err();
    assert_eq!((failed.kind(), failed.meta().connection_reused), (ErrorKind::NotFound, Some(true)));

    let no_pool = Client::new(Config { max_idle_connections: 0, ..config(&sb) }).unwrap();
    for _ in 0..2 {
        assert_eq!(no_pool.get_status("m@example.com").unwrap().raw.meta.connection_reused, Some(false));
    }
    let invalid = client.get_status("not an e-mail").unwrap_err();
    assert_eq!((invalid.kind(), invalid.meta().connection_reused), (ErrorKind::Validation, None));
}
