//! Many createOrUpdateCustomer calls on one client: a batch.
//!
//! [`Client::upsert_batch`] takes records from an iterator only when a worker
//! is free to send one, so memory stays bounded whatever the input size; runs
//! them on `concurrency` threads that share the client (and its connection
//! pool); and hands each record's result to the caller as soon as it is known.
//!
//! Every HTTP attempt of the batch, retries included, first takes a turn from
//! the batch's pacer:
//!
//! - an optional fixed request rate with a burst ([`RateLimit`]: a GCRA
//!   limiter from the `governor` crate);
//! - a pause of the whole batch when an answer carries `Retry-After` (429,
//!   502, 503, 504): the server asked the client to wait, not one record
//!   (for a 429 only while the pace is being learned: at a pace learned
//!   more than 2 s before, a lone 429 lowers the rate instead, and only its
//!   record waits);
//! - a rate learned from 429 answers: when the service says "too many", the
//!   batch's rate becomes the number of answers it accepted in the second
//!   before, less 5%, and at most 97% of the rate in force; 429s to attempts
//!   whose turn came before that change (at the old pace, though perhaps
//!   sent just after it) do not lower it again. After 30 s without a 429
//!   the learned rate is raised by 10% (a probe; dropped once it passes the
//!   fixed rate).
//!
//! Retries follow the client's own policy ([`Config::retries`](super::Config::retries),
//! backoff, `Retry-After`): a batch changes when attempts are made, never how
//! many.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use governor::clock::MonotonicClock;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use super::client::Client;
use super::customer::Customer;
use super::error::{Error, ErrorKind};
use super::meta::CallMeta;
use super::reply::{UpsertKind, UpsertReply};
use super::request::Request;

/// Records in flight at once when [`BatchOptions::concurrency`] is not set.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The largest accepted [`BatchOptions::concurrency`].
pub const MAX_CONCURRENCY: usize = 1024;

/// A fixed rate is kept this much below its `per_second`: the service sees
/// each request a little earlier or later than it was paced (the network,
/// the scheduler), and 2% leaves 20 ms a second for that.
const FIXED_HEADROOM: f64 = 0.98;
/// Below what the service accepted in the last second, a learned rate is
/// this fraction of it (5%: the room the scheduler and the network need).
const LEARN_MARGIN: f64 = 0.95;
/// A further 429 lowers the learned rate to at most this fraction of the rate in force.
const DECREASE: f64 = 0.97;
/// How long without a 429 before the learned rate is raised, and by how much.
const RECOVERY_AFTER: Duration = Duration::from_secs(30);
const RECOVERY: f64 = 1.10;
/// The lowest learned rate, in requests per second.
const MIN_RATE: f64 = 0.1;
/// The window over which accepted answers are counted.
const WINDOW: Duration = Duration::from_secs(1);
/// At most this many answer times are remembered (a bound on memory at any speed).
const MAX_REMEMBERED: usize = 1 << 16;
/// A pace learned longer ago than this answers a lone 429 by slowing down, without a pause of the batch.
const ESTABLISHED: Duration = Duration::from_secs(2);
/// Waits are cut into slices this long so that a stop is seen promptly.
const SLICE: Duration = Duration::from_millis(50);

/// A request-rate limit: at most `per_second` requests in any second as the
/// service sees them, and at most `burst` at once after an idle time.
///
/// Attempts are paced 2% below `per_second` (one every `1 / (0.98 ×
/// per_second)` seconds once a burst is used), so that the jitter between
/// pacing a request and its arrival does not make the service count more
/// than `per_second` in a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    per_second: f64,
    burst: u32,
}

impl RateLimit {
    /// A limit of `per_second` requests per second (fractions allowed, e.g.
    /// 0.5 or 16.7) with bursts of up to `burst` requests.
    ///
    /// Errors: `Config` when `per_second` is not a number between 0.001 and
    /// 1,000,000, or `burst` is 0.
    pub fn new(per_second: f64, burst: u32) -> Result<RateLimit, Error> {
        if !(0.001..=1_000_000.0).contains(&per_second) {
            return Err(Error::new(
                ErrorKind::Config,
                "the rate must be between 0.001 and 1000000 requests per second",
            ));
        }
        if burst == 0 {
            return Err(Error::new(ErrorKind::Config, "the burst must be at least 1 request"));
        }
        Ok(RateLimit { per_second, burst })
    }

    /// Requests per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Requests allowed at once after an idle time.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    fn limiter(&self) -> Limiter {
        limiter(self.per_second * FIXED_HEADROOM, self.burst)
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, MonotonicClock>;

fn limiter(per_second: f64, burst: u32) -> Limiter {
    // RateLimit::new and MIN_RATE bound the rate, so the period is at least 1 µs.
    let period = Duration::from_secs_f64(1.0 / per_second).max(Duration::from_micros(1));
    let quota = Quota::with_period(period)
        .expect("a period of at least 1 µs")
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
    RateLimiter::direct_with_clock(quota, MonotonicClock)
}

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Records in flight at once (worker threads); 1 to [`MAX_CONCURRENCY`].
    /// Default [`DEFAULT_CONCURRENCY`]. Keep it at or below the client's
    /// [`Config::max_idle_connections`](super::Config::max_idle_connections)
    /// so that every worker keeps its connection.
    pub concurrency: usize,
    /// A fixed request-rate limit for every attempt, retries included; `None`
    /// (the default): only the rate learned from 429 answers.
    pub rate: Option<RateLimit>,
    /// When this becomes true, no further record is taken from the input
    /// and no further attempt is started; records in flight finish (their
    /// retries are abandoned) and are reported. Default `None`.
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for BatchOptions {
    fn default() -> BatchOptions {
        BatchOptions { concurrency: DEFAULT_CONCURRENCY, rate: None, stop: None }
    }
}

impl BatchOptions {
    /// Checks the options.
    ///
    /// Errors: `Config` when `concurrency` is 0 or above [`MAX_CONCURRENCY`].
    pub fn check(&self) -> Result<(), Error> {
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(Error::new(ErrorKind::Config, format!("concurrency must be 1 to {MAX_CONCURRENCY}")));
        }
        Ok(())
    }
}

/// Why a record of a batch failed.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordError<E> {
    /// The input could not be made into a customer (the caller's own error,
    /// passed through); nothing was sent.
    Input(E),
    /// The call failed; the error says how, and after how many attempts.
    Call(Error),
}

/// The result of one record of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordResult<T, E> {
    /// The record's position in the input, from 0.
    pub index: u64,
    /// The value the caller gave with the record, given back.
    pub tag: T,
    /// The reply (`type`, `status`, ...) or why the record failed.
    pub outcome: Result<UpsertReply, RecordError<E>>,
}

impl<T, E> RecordResult<T, E> {
    /// Whether the record was stored.
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }

    /// What the call did on the wire; `None` when the input was rejected
    /// before a call was made.
    pub fn meta(&self) -> Option<&CallMeta> {
        match &self.outcome {
            Ok(reply) => Some(&reply.raw.meta),
            Err(RecordError::Call(e)) => Some(e.meta()),
            Err(RecordError::Input(_)) => None,
        }
    }

    /// HTTP attempts made for this record (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        self.meta().map_or(0, |m| m.attempts)
    }

    /// Wall time of the record's call, retries included (not the wait for
    /// its first turn).
    pub fn elapsed(&self) -> Duration {
        self.meta().map_or(Duration::ZERO, |m| m.elapsed)
    }
}

/// What a whole batch did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchSummary {
    /// Records whose result was delivered.
    pub records: u64,
    /// Records stored: created plus updated (plus any reply without `type`).
    pub succeeded: u64,
    /// Of those, records the service created.
    pub created: u64,
    /// Of those, records the service updated.
    pub updated: u64,
    /// Records that failed, input errors included.
    pub failed: u64,
    /// HTTP attempts made, retries included.
    pub attempts: u64,
    /// Answers with HTTP 429 seen.
    pub rate_limited: u64,
    /// Request bytes sent: each record's body size times its attempts (an
    /// upper bound: an attempt that failed early sent less).
    pub bytes_sent: u64,
    /// Wall time of the whole batch.
    pub elapsed: Duration,
    /// Whether the batch ended before its input did: [`BatchOptions::stop`]
    /// was set, or the batch halted (see [`halted`](Self::halted)).
    pub stopped: bool,
    /// Why the batch halted itself, if it did: an answer that no other record
    /// can get past — [`ErrorKind::Unauthorized`] (HTTP 401, the credentials)
    /// or [`ErrorKind::Forbidden`] (403). After the first such answer no new
    /// record is sent; the records in flight finish and are reported.
    pub halted: Option<ErrorKind>,
    /// The rate learned from 429 answers when the batch ended, requests per
    /// second; `None` if none was learned.
    pub learned_rate: Option<f64>,
}

impl BatchSummary {
    fn count<T, E>(&mut self, result: &RecordResult<T, E>) {
        self.records += 1;
        match &result.outcome {
            Ok(reply) => {
                self.succeeded += 1;
                match reply.kind {
                    Some(UpsertKind::Created) => self.created += 1,
                    Some(UpsertKind::Updated) => self.updated += 1,
                    None => {}
                }
            }
            Err(_) => self.failed += 1,
        }
        if let Some(meta) = result.meta() {
            self.attempts += u64::from(meta.attempts);
            self.bytes_sent += meta.request_bytes.saturating_mul(u64::from(meta.attempts));
        }
    }
}

impl Client {
    /// createOrUpdateCustomer for every record of `records`, `concurrency`
    /// at a time, on this client's connection pool.
    ///
    /// Every HTTP attempt, retries included, first waits for its turn: after
    /// any pause of the whole batch (an answer with `Retry-After` — 429,
    /// 502, 503, 504 — pauses every worker, not only its record; a 429 only
    /// while the pace is being learned, see below), within the
    /// fixed [`BatchOptions::rate`], and within the rate learned from 429s:
    /// on a 429 the batch's rate becomes what the service accepted in the
    /// second before that request, less 5%, and at most 97% of the rate in
    /// force (429s to attempts whose turn came before that change do not
    /// lower it again); after 30 s without a 429 it is raised by 10%. Retries follow
    /// the client's policy ([`Config::retries`](super::Config::retries),
    /// backoff, `Retry-After`): a batch changes when attempts are made,
    /// never how many.
    ///
    /// Each item is `(tag, customer or input error)`: the tag is any value
    /// the caller wants back with the result (a row number, say); an input
    /// error is passed through as [`RecordError::Input`] without sending
    /// anything. Records are taken from the iterator only when a worker is
    /// free, so the iterator may read its input lazily.
    ///
    /// `on_result` is called once per record, as it finishes (in completion
    /// order, not input order), on the worker thread that ran the record,
    /// never two at once; a slow `on_result` slows the batch. Returns when
    /// every record taken has been reported (or `stop` ended the batch).
    ///
    /// Errors: `Config` for bad options (then nothing was read or sent).
    /// Panics if the iterator or `on_result` panics (after the other workers
    /// have stopped).
    pub fn upsert_batch<'a, T, E, I, F>(
        &self,
        records: I,
        options: &BatchOptions,
        on_result: F,
    ) -> Result<BatchSummary, Error>
    where
        I: IntoIterator<Item = (T, Result<Customer<'a>, E>)>,
        I::IntoIter: Send,
        T: Send,
        E: Send,
        F: FnMut(RecordResult<T, E>) + Send,
    {
        options.check()?;
        let started = Instant::now();
        let pacer = Pacer::new(options.rate, options.stop.clone());
        let input = Mutex::new(Input { next_index: 0, records: records.into_iter(), done: false });
        let output = Mutex::new((on_result, BatchSummary::default()));
        let spawned = std::thread::scope(|scope| {
            let mut spawned = 0;
            for n in 0..options.concurrency {
                let worker = || self.batch_worker(&input, &output, &pacer);
                match std::thread::Builder::new().name(format!("dcams-batch-{n}")).spawn_scoped(scope, worker) {
                    Ok(_) => spawned += 1,
                    // Fewer workers than asked is still a batch; none is an error below.
                    Err(_) => break,
                }
            }
            spawned
        });
        if spawned == 0 {
            return Err(Error::new(ErrorKind::Config, "cannot start any batch worker thread"));
        }
        let input = input.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (_, mut summary) = output.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        summary.elapsed = started.elapsed();
        summary.stopped = !input.done;
        summary.halted = pacer.halted();
        summary.rate_limited = pacer.rate_limited.load(Ordering::Relaxed);
        summary.learned_rate = pacer.learned_rate();
        Ok(summary)
    }

    /// One worker: take a record, wait for its turn, send it, report it; until
    /// the input ends or the batch is stopped.
    fn batch_worker<'a, T, E, I, F>(&self, input: &Mutex<Input<I>>, output: &Mutex<(F, BatchSummary)>, pacer: &Pacer)
    where
        I: Iterator<Item = (T, Result<Customer<'a>, E>)>,
        F: FnMut(RecordResult<T, E>),
    {
        loop {
            if pacer.stopped() {
                return;
            }
            let (index, tag, record) = {
                // A panic in the iterator poisons it: the other workers stop too.
                let Ok(mut input) = input.lock() else { return };
                if input.done {
                    return;
                }
                match input.records.next() {
                    Some((tag, record)) => {
                        input.next_index += 1;
                        (input.next_index - 1, tag, record)
                    }
                    None => {
                        input.done = true;
                        return;
                    }
                }
            };
            let outcome = match record {
                Err(e) => Err(RecordError::Input(e)),
                Ok(customer) => {
                    let Some(paced) = pacer.first_turn() else {
                        // Taken but never sent: not reported, as if never taken.
                        return;
                    };
                    let request = Request::upsert(&customer);
                    self.logged(request.service, || self.execute(&request, Some(paced)).map(UpsertReply::from_parsed))
                        .map_err(RecordError::Call)
                }
            };
            if let Err(RecordError::Call(e)) = &outcome {
                pacer.halt_on(e.kind());
            }
            let result = RecordResult { index, tag, outcome };
            let Ok(mut output) = output.lock() else { return };
            let (on_result, summary) = &mut *output;
            summary.count(&result);
            on_result(result);
        }
    }
}

/// The batch's input: the iterator and how far it got.
struct Input<I> {
    next_index: u64,
    records: I,
    /// The iterator has ended.
    done: bool,
}

/// The outcome of waiting for a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Send now.
    Go,
    /// The turn would come after the call's deadline.
    Deadline,
    /// The batch was stopped.
    Stopped,
}

/// A call's place in a batch's pace: the pacer, and when the call's first
/// attempt was granted its turn. [`Pacer::observe`] goes by the turn, not
/// by when the request was sent: a turn granted at the old pace can be sent
/// a few milliseconds after another worker's 429 changed it.
#[derive(Clone, Copy)]
pub(crate) struct Paced<'a> {
    pub(crate) pacer: &'a Pacer,
    pub(crate) first_turn: Instant,
}

/// When a batch's attempts may start: the fixed rate, a batch-wide pause,
/// and the rate learned from 429 answers (see the module documentation).
pub(crate) struct Pacer {
    fixed: Option<(Limiter, f64)>,
    hold_until: Mutex<Option<Instant>>,
    learned: Mutex<Learned>,
    rate_limited: AtomicU64,
    stop: Option<Arc<AtomicBool>>,
    /// Set once by the first answer that halts the batch.
    halted: std::sync::OnceLock<ErrorKind>,
}

/// What the pacer learned from the answers.
struct Learned {
    /// The learned rate and its limiter.
    rate: Option<(f64, Arc<Limiter>)>,
    /// When the learned rate last changed.
    changed_at: Instant,
    /// When the last 429 arrived.
    last_limited: Option<Instant>,
    /// When a rate was first learned (the batch has been paced since).
    paced_since: Option<Instant>,
    /// When the answers other than 429 of the last [`WINDOW`] arrived.
    accepted: VecDeque<Instant>,
    /// What the learned rate was last made from.
    basis: Option<Basis>,
}

/// A learned rate's basis: the answers other than 429 that arrived in the
/// second before a 429 — the service's own second, as closely as the client
/// can see it. Answers still in flight when the 429 arrived are added as
/// they come if their turn came at the old pace (before the 429 arrived,
/// at most a second before the refused one's: a request whose turn came
/// after the refused one's can overtake it, and the service counts it in
/// the same second).
struct Basis {
    refused_turn_at: Instant,
    /// When the 429 arrived and this basis was made.
    made_at: Instant,
    accepted: usize,
    /// At most this (a fraction of the rate in force when the 429 came).
    cap: Option<f64>,
}

impl Basis {
    /// Whether a late answer to an attempt whose turn came at `turn_at` counts.
    fn covers(&self, turn_at: Instant) -> bool {
        turn_at < self.made_at && self.refused_turn_at.saturating_duration_since(turn_at) < WINDOW
    }

    /// The rate it gives; `None`: nothing to go by.
    fn rate(&self) -> Option<f64> {
        let by_accepted = (self.accepted > 0).then_some(self.accepted as f64 * LEARN_MARGIN);
        let rate = match (by_accepted, self.cap) {
            (Some(a), Some(c)) => a.min(c),
            (a, c) => a.or(c)?,
        };
        Some(rate.max(MIN_RATE))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section below leaves its state consistent.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Pacer {
    pub(crate) fn new(rate: Option<RateLimit>, stop: Option<Arc<AtomicBool>>) -> Pacer {
        Pacer {
            fixed: rate.map(|r| (r.limiter(), r.per_second())),
            hold_until: Mutex::new(None),
            learned: Mutex::new(Learned {
                rate: None,
                changed_at: Instant::now(),
                last_limited: None,
                paced_since: None,
                accepted: VecDeque::new(),
                basis: None,
            }),
            rate_limited: AtomicU64::new(0),
            stop,
            halted: std::sync::OnceLock::new(),
        }
    }

    /// Waits for a call's first turn; `None` when the batch was stopped.
    pub(crate) fn first_turn(&self) -> Option<Paced<'_>> {
        match self.wait_turn(None) {
            Turn::Stopped => None,
            // Without a deadline there is no Turn::Deadline.
            Turn::Go | Turn::Deadline => Some(Paced { pacer: self, first_turn: Instant::now() }),
        }
    }

    fn stopped(&self) -> bool {
        self.halted.get().is_some() || self.stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// Halts the batch if a record's error says no other record can succeed.
    fn halt_on(&self, kind: ErrorKind) {
        if matches!(kind, ErrorKind::Unauthorized | ErrorKind::Forbidden) {
            let _ = self.halted.set(kind);
        }
    }

    fn halted(&self) -> Option<ErrorKind> {
        self.halted.get().copied()
    }

    /// Waits until the next attempt may start: after any batch-wide pause,
    /// within the fixed and the learned rate. `deadline`: give up (returning
    /// [`Turn::Deadline`]) rather than wait past it.
    pub(crate) fn wait_turn(&self, deadline: Option<Instant>) -> Turn {
        loop {
            let hold = *lock(&self.hold_until);
            if let Some(until) = hold {
                if let Some(turn) = self.sleep_until(until, deadline) {
                    return turn;
                }
            }
            if let Some((fixed, _)) = &self.fixed {
                if let Some(turn) = self.take(fixed, deadline) {
                    return turn;
                }
            }
            let learned = lock(&self.learned).rate.as_ref().map(|(_, l)| Arc::clone(l));
            if let Some(learned) = learned {
                if let Some(turn) = self.take(&learned, deadline) {
                    return turn;
                }
            }
            // A pause that began while this turn was waiting comes first.
            if lock(&self.hold_until).is_none_or(|until| until <= Instant::now()) {
                return Turn::Go;
            }
        }
    }

    /// Sleeps until `until`; `Some` when the wait ends otherwise (stop, deadline).
    fn sleep_until(&self, until: Instant, deadline: Option<Instant>) -> Option<Turn> {
        if deadline.is_some_and(|d| until > d) {
            return Some(Turn::Deadline);
        }
        loop {
            if self.stopped() {
                return Some(Turn::Stopped);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            std::thread::sleep((until - now).min(SLICE));
        }
    }

    /// Takes one cell from `limiter`, sleeping as long as it says.
    fn take(&self, limiter: &Limiter, deadline: Option<Instant>) -> Option<Turn> {
        loop {
            match limiter.check() {
                Ok(()) => return None,
                Err(not_until) => {
                    let until = Instant::now() + not_until.wait_time_from(Instant::now());
                    if let Some(turn) = self.sleep_until(until, deadline) {
                        return Some(turn);
                    }
                }
            }
        }
    }

    /// An answer with HTTP status `http_status` asked for a pause of `wait`
    /// (`Retry-After`): the whole batch takes it — unless it is a 429 to a
    /// batch paced for longer than [`ESTABLISHED`] already, whose answer
    /// is to slow down (see [`Pacer::observe`]); a pause of every worker
    /// for a lone 429 at a learned pace would cost a whole `Retry-After`.
    pub(crate) fn retry_after(&self, http_status: Option<u16>, wait: Duration) {
        if http_status == Some(429) {
            let since = lock(&self.learned).paced_since;
            if since.is_some_and(|t| t.elapsed() > ESTABLISHED) {
                return;
            }
        }
        self.hold(wait);
    }

    /// Pauses the whole batch for `wait` from now.
    pub(crate) fn hold(&self, wait: Duration) {
        let Some(until) = Instant::now().checked_add(wait) else { return };
        let mut hold = lock(&self.hold_until);
        if hold.is_none_or(|h| h < until) {
            *hold = Some(until);
        }
    }

    /// Learns from the answer to an attempt whose turn came at `turn_at`
    /// (see [`Paced`]): its HTTP status, or `None` when no answer arrived.
    pub(crate) fn observe(&self, turn_at: Instant, http_status: Option<u16>) {
        let now = Instant::now();
        let mut learned = lock(&self.learned);
        while learned.accepted.front().is_some_and(|t| now.duration_since(*t) > WINDOW) {
            learned.accepted.pop_front();
        }
        match http_status {
            Some(429) => {
                self.rate_limited.fetch_add(1, Ordering::Relaxed);
                learned.last_limited = Some(now);
                if turn_at < learned.changed_at {
                    // This attempt's turn came at the pace in force before the last change.
                    return;
                }
                let current = learned.rate.as_ref().map(|(r, _)| *r).or(self.fixed.as_ref().map(|(_, r)| *r));
                let basis = Basis {
                    refused_turn_at: turn_at,
                    made_at: now,
                    accepted: learned.accepted.len(),
                    cap: current.map(|c| c * DECREASE),
                };
                // Nothing accepted lately and no pace to lower: the pause is all that can be done.
                if let Some(rate) = basis.rate() {
                    learned.set(Some(rate), now);
                    learned.basis = Some(basis);
                }
            }
            Some(_) => {
                if learned.accepted.len() >= MAX_REMEMBERED {
                    learned.accepted.pop_front();
                }
                learned.accepted.push_back(now);
                // A late answer from the second the learned rate was made from.
                if let Some(basis) = learned.basis.as_mut().filter(|b| b.covers(turn_at)) {
                    basis.accepted += 1;
                    let rate = basis.rate();
                    let changed_at = learned.changed_at;
                    learned.set(rate, changed_at);
                }
                let quiet = |since: Instant| now.duration_since(since) >= RECOVERY_AFTER;
                if let Some((rate, _)) = learned.rate {
                    if quiet(learned.changed_at) && learned.last_limited.is_none_or(quiet) {
                        let raised = rate * RECOVERY;
                        let passes_fixed = self.fixed.as_ref().is_some_and(|(_, fixed)| raised >= *fixed);
                        learned.set((!passes_fixed).then_some(raised), now);
                        learned.basis = None;
                    }
                }
            }
            None => {}
        }
    }

    /// The rate learned from 429 answers, if any.
    pub(crate) fn learned_rate(&self) -> Option<f64> {
        lock(&self.learned).rate.as_ref().map(|(r, _)| *r)
    }
}

impl Learned {
    fn set(&mut self, rate: Option<f64>, now: Instant) {
        self.paced_since = match rate {
            Some(_) => self.paced_since.or(Some(now)),
            None => None,
        };
        let unchanged = self.rate.as_ref().map(|(r, _)| *r) == rate;
        if !unchanged {
            self.rate = rate.map(|r| {
                // A burst of 2 lets a turn taken late (a sleep that overshot)
                // be made up by the next one, so the learned rate is kept on
                // average; any second still holds at most `r + 1` turns.
                let limiter = limiter(r, 2);
                // A new limiter would let one request through at once: the
                // first turn at the new pace is one period from now.
                let _ = limiter.check();
                (r, Arc::new(limiter))
            });
        }
        self.changed_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_are_checked() {
        assert!(RateLimit::new(0.0, 1).is_err());
        assert!(RateLimit::new(f64::NAN, 1).is_err());
        assert!(RateLimit::new(f64::INFINITY, 1).is_err());
        assert!(RateLimit::new(30.0, 0).is_err());
        let r = RateLimit::new(16.5, 3).unwrap();
        assert_eq!((r.per_second(), r.burst()), (16.5, 3));
        assert!(BatchOptions { concurrency: 0, ..BatchOptions::default() }.check().is_err());
        assert!(BatchOptions { concurrency: MAX_CONCURRENCY + 1, ..BatchOptions::default() }.check().is_err());
        assert_eq!(BatchOptions::default().concurrency, 4);
    }

    #[test]
    fn a_fixed_rate_spaces_turns() {
        let pacer = Pacer::new(Some(RateLimit::new(50.0, 1).unwrap()), None);
        let started = Instant::now();
        for _ in 0..11 {
            assert_eq!(pacer.wait_turn(None), Turn::Go);
        }
        // The first turn is free, then one every 20 ms plus the 2% headroom.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(204), "{took:?}");
    }

    #[test]
    fn a_429_learns_the_accepted_rate_once_per_change() {
        let pacer = Pacer::new(None, None);
        let before = Instant::now();
        for _ in 0..40 {
            pacer.observe(before, Some(200));
        }
        pacer.observe(Instant::now(), Some(429));
        let learned = pacer.learned_rate().unwrap();
        assert!((learned - 40.0 * LEARN_MARGIN).abs() < 1e-9, "{learned}");
        // A 429 to an attempt whose turn came before the change does not lower it again.
        pacer.observe(before, Some(429));
        assert_eq!(pacer.learned_rate(), Some(learned));
        // One sent after it does, by at least 5%.
        std::thread::sleep(Duration::from_millis(2));
        pacer.observe(Instant::now(), Some(429));
        assert!(pacer.learned_rate().unwrap() <= learned * DECREASE + 1e-9);
        assert_eq!(pacer.rate_limited.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn late_answers_from_the_second_before_a_429_raise_what_was_learned() {
        let pacer = Pacer::new(None, None);
        let early = Instant::now();
        for _ in 0..10 {
            pacer.observe(early, Some(200));
        }
        std::thread::sleep(Duration::from_millis(2));
        let refused = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        // A turn after the refused one's, before its 429 came back: at the
        // old pace too (a smaller upload overtook the refused one; the
        // service counted it in its second — seen in 2 of 6 runs).
        let overtaking = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        pacer.observe(refused, Some(429));
        assert_eq!(pacer.learned_rate(), Some(10.0 * LEARN_MARGIN));
        // Five more requests of that second were still in flight: they count.
        for _ in 0..5 {
            pacer.observe(early, Some(200));
        }
        assert_eq!(pacer.learned_rate(), Some(15.0 * LEARN_MARGIN));
        pacer.observe(overtaking, Some(200));
        assert_eq!(pacer.learned_rate(), Some(16.0 * LEARN_MARGIN));
        // A turn granted after the 429 came back (at the learned pace) does not.
        pacer.observe(Instant::now(), Some(200));
        assert_eq!(pacer.learned_rate(), Some(16.0 * LEARN_MARGIN));
    }

    #[test]
    fn a_lone_429_at_an_established_pace_slows_the_batch_without_a_pause() {
        let pacer = Pacer::new(None, None);
        for _ in 0..20 {
            pacer.observe(Instant::now(), Some(200));
        }
        pacer.observe(Instant::now(), Some(429));
        // While the pace is being learned, a Retry-After pauses every worker.
        pacer.retry_after(Some(429), Duration::from_millis(80));
        let started = Instant::now();
        assert_eq!(pacer.wait_turn(None), Turn::Go);
        assert!(started.elapsed() >= Duration::from_millis(70));
        // Once it is established, a lone 429 lowers the rate and pauses nobody.
        lock(&pacer.learned).paced_since = Some(Instant::now() - ESTABLISHED - Duration::from_millis(1));
        pacer.retry_after(Some(429), Duration::from_secs(5));
        let started = Instant::now();
        assert_eq!(pacer.wait_turn(None), Turn::Go);
        assert!(started.elapsed() < Duration::from_secs(1));
        // Other statuses with Retry-After (503) pause the batch whatever its pace.
        pacer.retry_after(Some(503), Duration::from_millis(80));
        let started = Instant::now();
        assert_eq!(pacer.wait_turn(None), Turn::Go);
        assert!(started.elapsed() >= Duration::from_millis(70));
    }

    #[test]
    fn a_turn_taken_before_a_429_was_learned_does_not_lower_the_rate_again() {
        // A CI run: a turn granted at the old pace, its request sent a few ms
        // later, just after another worker's 429 set the learned rate; its own
        // 429 then counted as one sent at the new pace and lowered the rate 3%
        // more (46.5 to 45.2/s, the edge of "within 10% of 50").
        let sandbox = dcams_sandbox::Sandbox::start(dcams_sandbox::SandboxConfig {
            rate_limit: Some(1),
            ..dcams_sandbox::SandboxConfig::default()
        })
        .unwrap();
        let client = Client::new(crate::Config {
            endpoint: sandbox.url(),
            user: Some("sandbox-user".to_owned()),
            pass: Some(crate::Secret::new("sandbox-pass")),
            retries: 0,
            ..crate::Config::default()
        })
        .unwrap();
        let customer =
            |email: &str| Customer::new(email, crate::Document::from_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        let pacer = Pacer::new(None, None);
        // Worker A is granted its turn while nothing is learned yet.
        let turn_a = pacer.first_turn().unwrap();
        // Worker B's request is accepted, worker C's refused: a rate is learned.
        let (b, c, a) = (customer("b@example.com"), customer("c@example.com"), customer("a@example.com"));
        assert!(client.execute(&Request::upsert(&b), pacer.first_turn()).is_ok());
        assert_eq!(client.execute(&Request::upsert(&c), pacer.first_turn()).unwrap_err().http_status(), Some(429));
        let learned = pacer.learned_rate().expect("a rate learned from the 429");
        assert!((learned - LEARN_MARGIN).abs() < 1e-9, "{learned}");
        // Worker A sends now, into the same full second: refused too, but its
        // turn was taken at the old pace, so the rate stays.
        assert_eq!(client.execute(&Request::upsert(&a), Some(turn_a)).unwrap_err().http_status(), Some(429));
        assert_eq!(pacer.learned_rate(), Some(learned));
        assert_eq!(pacer.rate_limited.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_429_with_nothing_accepted_learns_no_rate() {
        let pacer = Pacer::new(None, None);
        pacer.observe(Instant::now(), Some(429));
        assert_eq!(pacer.learned_rate(), None);
        // With a fixed rate, it is lowered instead.
        let pacer = Pacer::new(Some(RateLimit::new(20.0, 1).unwrap()), None);
        pacer.observe(Instant::now(), Some(429));
        assert_eq!(pacer.learned_rate(), Some(20.0 * DECREASE));
    }

    #[test]
    fn a_hold_delays_every_turn_and_a_stop_ends_it() {
        let pacer = Pacer::new(None, None);
        pacer.hold(Duration::from_millis(120));
        let started = Instant::now();
        assert_eq!(pacer.wait_turn(None), Turn::Go);
        assert!(started.elapsed() >= Duration::from_millis(119));
        pacer.hold(Duration::from_secs(60));
        assert_eq!(pacer.wait_turn(Some(Instant::now() + Duration::from_secs(1))), Turn::Deadline);

        let stop = Arc::new(AtomicBool::new(false));
        let pacer = Pacer::new(None, Some(Arc::clone(&stop)));
        pacer.hold(Duration::from_secs(60));
        let started = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                stop.store(true, Ordering::Relaxed);
            });
            assert_eq!(pacer.wait_turn(None), Turn::Stopped);
        });
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
