//! W5 of `make bench`: the CPU cost of producing an upsert body.
//!
//! The streaming body (`src/client/body.rs`) is `pub(crate)`, so it is measured
//! through the public API: `Client::upsert` of a 4.8 MB phone photo into an
//! in-process HTTP sink on loopback (a thread that reads and discards the body
//! and answers a fixed JSON). Next to it, the ceilings on the same bytes:
//! `memcpy`, the `base64` crate's `encode_slice` into a preallocated buffer
//! (one shot, and in the 48 KiB chunks the body uses for files), and writing an
//! already-encoded request of the same size to the same sink.
//!
//! Two groups: `body` measures wall time (criterion's default), `body_cpu` the
//! CPU time of the calling thread only (CLOCK_THREAD_CPUTIME_ID): what the
//! path costs the caller, without the sink thread and with less sensitivity
//! to other load on the machine.
//!
//! Every throughput is in MB/s of *image* (input) bytes; the wire carries 4/3 of that.
//! Image: $DCAMS_BENCH_FRONT, else ../shared/samples/id/phone-photo-4032x3024.jpg,
//! else 4,838,738 JPEG-headed pseudo-random bytes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dcams_client::{Client, Config, Customer, Document};

const REPLY: &str = r#"{"result":"Success","type":"createCustomer","status":"PENDING","target":{}}"#;

fn front_path() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("DCAMS_BENCH_FRONT").map(Into::into),
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples/id/phone-photo-4032x3024.jpg").into()),
    ];
    candidates.into_iter().flatten().find(|p: &std::path::PathBuf| p.is_file())
}

fn front_bytes() -> Vec<u8> {
    if let Some(p) = front_path() {
        return std::fs::read(p).expect("read the bench image");
    }
    let mut x: u64 = 4032;
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((4..4_838_738).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    v
}

/// Serves one connection: per request, headers, then Content-Length bytes
/// discarded straight out of the read buffer, then the fixed reply.
fn serve(stream: TcpStream) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut r = BufReader::with_capacity(256 * 1024, stream);
    let mut line = String::new();
    loop {
        let mut len = 0usize;
        loop {
            line.clear();
            if r.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
        }
        while len > 0 {
            let n = r.fill_buf()?.len().min(len);
            if n == 0 {
                return Ok(());
            }
            r.consume(n);
            len -= n;
        }
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{REPLY}",
            REPLY.len()
        )?;
    }
}

fn spawn_sink() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let _ = s.set_nodelay(true);
            std::thread::spawn(move || serve(s));
        }
    });
    format!("http://{addr}/v3/stable/api/storage")
}

/// CPU time of the calling thread, in nanoseconds.
struct ThreadCpu(WallTime);

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out-pointer for clock_gettime.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = Duration;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> Duration {
        Duration::from_nanos(thread_cpu_ns() - start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.0.formatter()
    }
}

/// Everything the benchmarks run on: the image, a client aimed at the sink,
/// the image as a file, preallocated outputs and a raw connection.
struct Fixture {
    image: Vec<u8>,
    client: Client,
    file: std::path::PathBuf,
    copy: Vec<u8>,
    encoded: Vec<u8>,
    chunk_out: Vec<u8>,
    raw: TcpStream,
    prebuilt: Vec<u8>,
    reply: Vec<u8>,
}

impl Fixture {
    fn new() -> Fixture {
        let image = front_bytes();
        let endpoint = spawn_sink();
        let config = Config::from_json(Some(&format!(r#"{{"endpoint":"{endpoint}","user":"u","pass":"p"}}"#))).unwrap();
        let client = Client::new(config).unwrap();
        let file = std::env::temp_dir().join(format!("dcams-bench-front-{}.jpg", std::process::id()));
        std::fs::write(&file, &image).unwrap();
        // The same number of wire bytes, already encoded: the loopback ceiling.
        let host = endpoint.trim_start_matches("http://").split('/').next().unwrap().to_owned();
        let json = format!(
            r#"{{"user":"u","pass":"p","service":"createOrUpdateCustomer","target":{{"email":"a@example.com","documents":{{"front":"{}"}}}}}}"#,
            STANDARD.encode(&image)
        );
        let mut prebuilt = format!(
            "POST /v3/stable/api/storage HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            json.len()
        )
        .into_bytes();
        prebuilt.extend_from_slice(json.as_bytes());
        let raw = TcpStream::connect(&host).unwrap();
        raw.set_nodelay(true).unwrap();
        Fixture {
            copy: vec![0u8; image.len()],
            encoded: vec![0u8; image.len().div_ceil(3) * 4],
            chunk_out: vec![0u8; 64 * 1024],
            image,
            client,
            file,
            raw,
            prebuilt,
            reply: vec![0u8; 4096],
        }
    }

    fn memcpy(&mut self) {
        self.copy.copy_from_slice(std::hint::black_box(&self.image));
    }

    fn encode_slice(&mut self) {
        STANDARD.encode_slice(std::hint::black_box(&self.image), &mut self.encoded).unwrap();
    }

    fn encode_chunks(&mut self) {
        for chunk in self.image.chunks(48 * 1024) {
            std::hint::black_box(STANDARD.encode_slice(chunk, &mut self.chunk_out).unwrap());
        }
    }

    fn write_prebuilt(&mut self) {
        self.raw.write_all(&self.prebuilt).unwrap();
        // The reply is small and arrives in one segment on loopback.
        assert!(self.raw.read(&mut self.reply).unwrap() > 0);
    }

    fn upsert_bytes(&mut self) {
        self.client.upsert(&Customer::new("a@example.com", Document::from_bytes(&self.image))).unwrap();
    }

    fn upsert_path(&mut self) {
        self.client.upsert(&Customer::new("a@example.com", Document::from_path(&self.file))).unwrap();
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

fn body_wall(c: &mut Criterion) {
    body(c, "body");
}

fn body_cpu(c: &mut Criterion<ThreadCpu>) {
    body(c, "body_cpu");
}

fn body<M: Measurement<Value = Duration>>(c: &mut Criterion<M>, group: &str) {
    let mut f = Fixture::new();
    let mut g = c.benchmark_group(group);
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Bytes(f.image.len() as u64));
    g.bench_function("memcpy", |b| b.iter(|| f.memcpy()));
    g.bench_function("base64_encode_slice", |b| b.iter(|| f.encode_slice()));
    g.bench_function("base64_encode_48k_chunks", |b| b.iter(|| f.encode_chunks()));
    g.bench_function("loopback_write_prebuilt", |b| b.iter(|| f.write_prebuilt()));
    g.bench_function("upsert_bytes_loopback", |b| b.iter(|| f.upsert_bytes()));
    g.bench_function("upsert_path_loopback", |b| b.iter(|| f.upsert_path()));
    g.finish();
}

/// Ratios measured in pairs, interleaved round by round: each round times the
/// reference (`encode_slice`) and each upsert back to back, so load that comes
/// and goes on a shared machine hits both sides alike. Median over the rounds,
/// for wall time and for the calling thread's CPU time. Printed, and written
/// as JSON to $DCAMS_BENCH_PAIRED_OUT when set.
fn paired(_c: &mut Criterion) {
    const ROUNDS: usize = 41;
    let mut f = Fixture::new();
    let time = |f: &mut Fixture, op: fn(&mut Fixture)| {
        let (w, c) = (std::time::Instant::now(), thread_cpu_ns());
        op(f);
        (w.elapsed().as_nanos() as f64, (thread_cpu_ns() - c) as f64)
    };
    type Op = (&'static str, fn(&mut Fixture));
    let ops: [Op; 3] = [
        ("upsert_bytes_loopback", Fixture::upsert_bytes),
        ("upsert_path_loopback", Fixture::upsert_path),
        ("base64_encode_48k_chunks", Fixture::encode_chunks),
    ];
    for _ in 0..5 {
        f.encode_slice();
        ops.iter().for_each(|(_, op)| op(&mut f));
    }
    let mut ratios: Vec<[Vec<f64>; 2]> = ops.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    let mut abs: Vec<Vec<f64>> = vec![Vec::new(); 4]; // thread CPU ns: the ops, then the reference
    for _ in 0..ROUNDS {
        let (rw, rc) = time(&mut f, Fixture::encode_slice);
        abs[3].push(rc);
        for (i, (_, op)) in ops.iter().enumerate() {
            let (w, c) = time(&mut f, *op);
            abs[i].push(c);
            ratios[i][0].push(rw / w); // > 1: op is faster than the reference
            ratios[i][1].push(rc / c);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let mut json = format!(
        "{{\"rounds\":{ROUNDS},\"reference\":\"base64_encode_slice\",\"reference_cpu_ms\":{:.4},\"speed_ratio\":{{",
        median(&mut abs[3]) / 1e6
    );
    for (i, (name, _)) in ops.iter().enumerate() {
        let (w, c) = (median(&mut ratios[i][0]), median(&mut ratios[i][1]));
        println!("paired: {name} speed / base64_encode_slice speed: wall {w:.2}x, thread CPU {c:.2}x");
        let ms = median(&mut abs[i]) / 1e6;
        json += &format!(
            "{}\"{name}\":{{\"wall\":{w:.4},\"cpu\":{c:.4},\"cpu_ms\":{ms:.4}}}",
            if i > 0 { "," } else { "" }
        );
    }
    json += "}}";
    if let Some(out) = std::env::var_os("DCAMS_BENCH_PAIRED_OUT") {
        std::fs::write(out, json).unwrap();
    }
}

criterion_group!(wall, body_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu(WallTime));
    targets = body_cpu
}
criterion_group!(pairs, paired);
criterion_main!(wall, cpu, pairs);
