//! `dcams_client_upsert_batch`: many customers with one call, on the client
//! crate's batch engine (bounded concurrency, a rate limit, the back-off a
//! 429 teaches), each result handed to a callback as it finishes.

use std::ffi::{c_char, c_void, CString};

use ::dcams_client::{BatchOptions, BatchSummary, RateLimit, RecordError, DEFAULT_CONCURRENCY};

use crate::boundary::{export, ref_arg, versioned_arg, Out};
use crate::call::dcams_call_meta;
use crate::client::dcams_client;
use crate::code::dcams_code;
use crate::customer::{dcams_customer, to_customer};
use crate::error::Failure;

/// How `dcams_client_upsert_batch` runs. Versioned: set `struct_size` to
/// `sizeof(dcams_batch_options)` (or start from `DCAMS_BATCH_OPTIONS_INIT`);
/// every member zero means its default.
#[repr(C)]
#[derive(Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct dcams_batch_options {
    /// `sizeof(dcams_batch_options)` as the caller was compiled.
    pub struct_size: u32,
    /// Records in flight at once (libdcams threads), 1 to 1024; 0: 4.
    pub concurrency: u32,
    /// At most this many requests per second (every attempt, retries
    /// included), fractions allowed; 0: no fixed rate (only the back-off
    /// learned from 429 answers).
    pub rate: f64,
    /// Requests allowed at once after an idle time, with `rate`; 0: 1.
    pub burst: u32,
}

/// What a batch did: written by `dcams_client_upsert_batch`. Versioned: set
/// `struct_size` to `sizeof(dcams_batch_summary)` (or start from
/// `DCAMS_BATCH_SUMMARY_INIT`); `struct_size` is left as set.
#[repr(C)]
#[derive(Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct dcams_batch_summary {
    /// `sizeof(dcams_batch_summary)` as the caller was compiled.
    pub struct_size: u32,
    /// 1 if the batch ended before every record was taken (the callback
    /// asked, or the batch halted: see `halted_code`), else 0.
    pub stopped: i32,
    /// Records reported to the callback.
    pub records: u64,
    /// Records stored (created plus updated).
    pub succeeded: u64,
    /// Records the service created.
    pub created: u64,
    /// Records the service updated.
    pub updated: u64,
    /// Records that failed.
    pub failed: u64,
    /// HTTP attempts made, retries included.
    pub attempts: u64,
    /// Answers with HTTP 429 seen.
    pub rate_limited: u64,
    /// Request bytes sent (each record's body size times its attempts).
    pub bytes_sent: u64,
    /// Wall time of the whole batch, in milliseconds.
    pub elapsed_ms: u64,
    /// The rate learned from 429 answers at the end, requests per second; 0 if none.
    pub learned_rate: f64,
    /// `DCAMS_OK` (0), or why the batch halted itself: `DCAMS_ERR_UNAUTHORIZED`
    /// (HTTP 401: the credentials) or `DCAMS_ERR_FORBIDDEN` (403), answers no
    /// other record can get past. After the first such answer no new record
    /// is sent; the records in flight finish and are reported.
    pub halted_code: dcams_code,
}

/// The per-record callback of `dcams_client_upsert_batch`:
/// `(userdata, index, code, json, meta)`. `index` is the record's position
/// in `customers`; `code` is `DCAMS_OK` or the record's error code; `json`
/// is the reply JSON on `DCAMS_OK` (as `dcams_client_upsert` returns it) and
/// the error JSON otherwise; `meta` is what the record's call did (attempts,
/// elapsed time, bytes; attempts 0 when nothing was sent), its
/// `struct_size` that of this library's version (read only the members
/// your header has). `json` and `meta` are valid only until the callback
/// returns: copy what you keep, never free them. Return 0 to go on, anything
/// else to stop the batch (no further record is started; those in flight
/// finish and are reported).
#[allow(non_camel_case_types)]
pub type dcams_batch_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        index: usize,
        code: dcams_code,
        json: *const c_char,
        meta: *const dcams_call_meta,
    ) -> i32,
>;

/// The smallest `dcams_batch_options` and `dcams_batch_summary` accepted: the first version.
const OPTIONS_MIN: usize = std::mem::size_of::<dcams_batch_options>();
const SUMMARY_MIN: usize = std::mem::size_of::<dcams_batch_summary>();

/// The caller's array and callback, used from libdcams's threads: the
/// caller promised both may be (the header says so).
struct Shared<T>(T);
// SAFETY: per `dcams_client_upsert_batch`'s contract, the customers and what
// they point to stay valid and unchanged for the call, and the callback and
// userdata may be used from any thread (one call at a time).
unsafe impl<T> Send for Shared<T> {}

/// createOrUpdateCustomer for each of `count` customers, `concurrency` at
/// a time on libdcams threads, within `rate`, calling `callback` once per
/// record as it finishes (spec: "Service createOrUpdateCustomer"; the pacing
/// is the client's: every attempt, retries included, takes a turn; an
/// answer with `Retry-After` pauses the whole batch, for a 429 while its
/// pace is being learned; a 429 lowers the batch's rate to what the service
/// accepted in the second before, less 5%, and at most 97% of the rate in force).
///
/// `customers`: an array of `count` pointers to `dcams_customer` (each with
/// its `struct_size` set), all valid and unchanged until the call returns,
/// readable from any thread. A NULL or unusable element is not a failure of
/// the call: its record is reported with its code (`DCAMS_ERR_NULL_ARGUMENT`,
/// `DCAMS_ERR_INVALID_ARGUMENT`, `DCAMS_ERR_INVALID_UTF8`, ...) like any
/// other failed record. `options`: NULL for the defaults (4 at a time, no
/// fixed rate). `callback` (required) and `userdata`: see
/// `dcams_batch_callback`.
///
/// The callback runs on libdcams's worker threads, never on the calling
/// thread, never two at once, never after this function returned; it holds
/// up the batch while it runs. It may call libdcams (other clients, or
/// this one for other calls) but must not free this client, must not
/// unwind (no C++ exception may leave it), and its userdata must be usable
/// from those threads.
///
/// A 401 or 403 answer halts the batch: no new record is sent after it
/// (every other record would be refused alike); `halted_code` says so.
///
/// Returns `DCAMS_OK` once every record taken has been reported (whatever
/// their outcomes: see `out_summary` and the callbacks); `*out_summary`
/// then says what the batch did (its `struct_size` must be set).
/// Errors, before any record is read: `DCAMS_ERR_NULL_ARGUMENT` (`client`,
/// `callback`, `out_summary`, or `customers` with `count` > 0),
/// `DCAMS_ERR_INVALID_ARGUMENT` (a `struct_size` too small, concurrency
/// above 1024, a negative or non-finite rate, a rate above 1,000,000).
/// Thread-safe; blocks until the batch is done.
#[no_mangle]
pub unsafe extern "C" fn dcams_client_upsert_batch(
    client: *const dcams_client,
    customers: *const *const dcams_customer,
    count: usize,
    options: *const dcams_batch_options,
    callback: dcams_batch_callback,
    userdata: *mut c_void,
    out_summary: *mut dcams_batch_summary,
    out_error: *mut *mut c_char,
) -> dcams_code {
    export(out_error, || {
        let client = &ref_arg(client, "client")?.inner;
        let callback = callback.ok_or_else(|| Failure::null("callback"))?;
        let out = Out::new(out_summary, "out_summary")?;
        let size = out_summary.cast::<u32>().read_unaligned() as usize;
        if size < SUMMARY_MIN {
            return Err(Failure::invalid(format!(
                "out_summary->struct_size is {size}: set it to sizeof(dcams_batch_summary) ({SUMMARY_MIN}; use DCAMS_BATCH_SUMMARY_INIT)"
            )));
        }
        if customers.is_null() && count > 0 {
            return Err(Failure::null("customers"));
        }
        let options = batch_options(options)?;

        let array = Shared(customers);
        let records = (0..count).map(move |i| {
            let array = &array;
            // SAFETY: `customers` holds `count` readable pointers (the contract).
            let customer = unsafe { *array.0.add(i) };
            let record = if customer.is_null() {
                Err(Failure::null(&format!("customers[{i}]")))
            } else {
                // SAFETY: a non-NULL element points to a valid dcams_customer (the contract).
                unsafe { to_customer(customer) }
            };
            (i, record)
        });
        let sink = Shared((callback, userdata));
        let summary = client.upsert_batch(records, &options.0, move |r| {
            let sink = &sink;
            let meta = r.meta().copied().unwrap_or_default();
            let (code, json) = match r.outcome {
                Ok(reply) => (dcams_code::DCAMS_OK, reply.raw.body),
                Err(RecordError::Input(failure)) => (failure.code(), failure.to_json()),
                Err(RecordError::Call(e)) => {
                    let failure = Failure::Client(e);
                    (failure.code(), failure.to_json())
                }
            };
            // JSON text never holds a NUL (serde_json escapes it; the reply was parsed as JSON).
            let json = CString::new(json).unwrap_or_default();
            let (callback, userdata) = sink.0;
            // SAFETY: the caller's callback, called as documented.
            let meta = dcams_call_meta::of(code, &meta);
            let go_on = unsafe { callback(userdata, r.tag, code, json.as_ptr(), &meta) } == 0;
            if !go_on {
                options.1.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        })?;
        let value = summary_of(&summary, size as u32);
        Ok(move || out.write(value))
    })
}

/// The engine's options from the C struct (NULL: defaults), and the stop flag
/// the callback's return value sets.
unsafe fn batch_options(
    options: *const dcams_batch_options,
) -> Result<(BatchOptions, std::sync::Arc<std::sync::atomic::AtomicBool>), Failure> {
    let c = if options.is_null() {
        dcams_batch_options { struct_size: OPTIONS_MIN as u32, concurrency: 0, rate: 0.0, burst: 0 }
    } else {
        versioned_arg(options, OPTIONS_MIN, "options", "dcams_batch_options")?
    };
    let concurrency = match c.concurrency {
        0 => DEFAULT_CONCURRENCY,
        n => n as usize,
    };
    let rate = if c.rate == 0.0 {
        None
    } else {
        let limit = RateLimit::new(c.rate, c.burst.max(1))
            .map_err(|e| Failure::invalid(format!("options->rate: {}", e.message())))?;
        Some(limit)
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let options = BatchOptions { concurrency, rate, stop: Some(std::sync::Arc::clone(&stop)) };
    options.check().map_err(|e| Failure::invalid(format!("options->concurrency: {}", e.message())))?;
    Ok((options, stop))
}

fn summary_of(s: &BatchSummary, struct_size: u32) -> dcams_batch_summary {
    dcams_batch_summary {
        struct_size,
        stopped: i32::from(s.stopped),
        records: s.records,
        succeeded: s.succeeded,
        created: s.created,
        updated: s.updated,
        failed: s.failed,
        attempts: s.attempts,
        rate_limited: s.rate_limited,
        bytes_sent: s.bytes_sent,
        elapsed_ms: u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
        learned_rate: s.learned_rate.unwrap_or(0.0),
        halted_code: s.halted.map_or(dcams_code::DCAMS_OK, dcams_code::from),
    }
}
