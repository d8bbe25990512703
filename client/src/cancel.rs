//! What bounds a call in flight: its deadline and, optionally, a
//! [`CancelToken`]. A cancel is a deadline that arrives early: both are
//! looked at by the same code, everywhere a call can wait — connecting
//! (resolving included), the TLS handshake, every socket read and write
//! ([`socket`](super::socket)), and the pause between two attempts.
//!
//! The watch of the call running on a thread is kept in a thread-local
//! while the call runs ([`Watch::enter`]): ureq's transport API carries no
//! per-call data, and every byte of one call moves on the calling thread.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Cancels calls from another thread.
///
/// Give a clone to a call with [`Request::with_cancel`](super::Request::with_cancel);
/// [`CancelToken::cancel`] then makes that call return an error of kind
/// [`Cancelled`](super::ErrorKind::Cancelled) within 100 ms, whatever it is
/// doing (connecting, TLS handshake, sending, waiting for or receiving the
/// response, pausing before a retry). The client stays usable. A token stays
/// cancelled: a call given a cancelled token fails at once, before any
/// traffic. Clones share one state; `Send + Sync`, cheap to clone.
#[derive(Clone, Default)]
pub struct CancelToken(Arc<Shared>);

#[derive(Default)]
struct Shared {
    cancelled: AtomicBool,
    /// Wakes a retry pause at once.
    lock: Mutex<()>,
    woken: Condvar,
}

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Cancels every call given this token (or a clone), now and later.
    /// Returns at once; safe from any thread, any number of times.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        let _guard = self.0.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.0.woken.notify_all();
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CancelToken(cancelled: {})", self.is_cancelled())
    }
}

/// The longest a blocked socket operation waits before it looks at the
/// cancel token again (the cancel latency, at most).
pub(crate) const SLICE: Duration = Duration::from_millis(40);

/// Why a call must stop now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Cancelled,
    Deadline,
}

/// The marker a socket operation returns (inside an `io::Error`) when the
/// call was cancelled; the error mapping turns it into `ErrorKind::Cancelled`.
#[derive(Debug)]
pub(crate) struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the call was cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// One call's bounds.
#[derive(Clone, Debug)]
pub(crate) struct Watch {
    pub(crate) deadline: Instant,
    pub(crate) cancel: Option<CancelToken>,
    /// Set when the request body must not reach the server whole: the
    /// connection in use is then reset instead of closed.
    abort: Arc<AtomicBool>,
}

/// Asks that the connection of the call running on this thread be reset
/// (not closed cleanly) when it is dropped.
pub(crate) fn abort_connection() {
    if let Some(w) = Watch::current() {
        w.abort.store(true, Ordering::SeqCst);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Watch>> = const { RefCell::new(None) };
}

/// Restores the thread's previous watch when the call ends.
pub(crate) struct Entered(Option<Watch>);

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

impl Watch {
    pub(crate) fn new(deadline: Instant, cancel: Option<CancelToken>) -> Watch {
        Watch { deadline, cancel, abort: Arc::default() }
    }

    /// Whether [`abort_connection`] was called during this call.
    pub(crate) fn aborting(&self) -> bool {
        self.abort.load(Ordering::SeqCst)
    }

    /// Makes this the watch of the call on this thread until the guard drops.
    pub(crate) fn enter(&self) -> Entered {
        Entered(CURRENT.with(|c| c.borrow_mut().replace(self.clone())))
    }

    /// The watch of the call running on this thread, if any.
    pub(crate) fn current() -> Option<Watch> {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// Whether the call must stop now.
    pub(crate) fn check(&self) -> Result<(), Stop> {
        if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Err(Stop::Cancelled);
        }
        if Instant::now() >= self.deadline {
            return Err(Stop::Deadline);
        }
        Ok(())
    }

    /// How long a blocking step may wait now: until the deadline, and at
    /// most [`SLICE`] when the call can be cancelled.
    pub(crate) fn wait_limit(&self) -> Duration {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if self.cancel.is_some() {
            left.min(SLICE)
        } else {
            left
        }
    }

    /// Sleeps `pause`, or less when the call is cancelled meanwhile (woken at once).
    pub(crate) fn sleep(&self, pause: Duration) -> Result<(), Stop> {
        let until = Instant::now() + pause;
        match &self.cancel {
            None => std::thread::sleep(pause),
            Some(token) => {
                let mut guard = token.0.lock.lock().unwrap_or_else(PoisonError::into_inner);
                while !token.is_cancelled() {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    guard = token.0.woken.wait_timeout(guard, left).unwrap_or_else(PoisonError::into_inner).0;
                }
            }
        }
        self.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_wakes_a_pause_at_once() {
        let token = CancelToken::new();
        let watch = Watch::new(Instant::now() + Duration::from_secs(60), Some(token.clone()));
        let start = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                token.cancel();
            });
            assert_eq!(watch.sleep(Duration::from_secs(30)), Err(Stop::Cancelled));
        });
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(token.clone().is_cancelled(), "clones share the state");
    }

    #[test]
    fn the_watch_of_a_thread_is_restored() {
        assert!(Watch::current().is_none());
        let w = Watch::new(Instant::now(), None);
        {
            let _entered = w.enter();
            assert_eq!(Watch::current().map(|c| c.check()), Some(Err(Stop::Deadline)));
        }
        assert!(Watch::current().is_none());
    }
}
