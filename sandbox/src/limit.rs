//! The request-rate limit of [`SandboxConfig::rate_limit`](crate::SandboxConfig::rate_limit):
//! a sliding one-second window over the requests it accepted.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

/// At most `limit` accepted requests in any one-second window.
#[derive(Debug)]
pub(crate) struct RateWindow {
    limit: u32,
    accepted: Mutex<VecDeque<Instant>>,
}

impl RateWindow {
    pub(crate) fn new(limit: u32) -> RateWindow {
        RateWindow { limit, accepted: Mutex::new(VecDeque::new()) }
    }

    pub(crate) fn limit(&self) -> u32 {
        self.limit
    }

    /// Accepts a request arriving at `now`, or says after how many whole
    /// seconds (at least 1) a request would be accepted again.
    pub(crate) fn admit(&self, now: Instant) -> Result<(), u64> {
        let mut accepted = self.accepted.lock().unwrap_or_else(|e| e.into_inner());
        while accepted.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            accepted.pop_front();
        }
        if accepted.len() < self.limit as usize {
            accepted.push_back(now);
            return Ok(());
        }
        let oldest = *accepted.front().expect("limit is at least 1, so the window is not empty");
        let free_in = (oldest + WINDOW).saturating_duration_since(now);
        Err(free_in.as_secs_f64().ceil().max(1.0) as u64)
    }

    /// Forgets every accepted request.
    pub(crate) fn clear(&self) {
        self.accepted.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_its_limit_then_frees_as_it_slides() {
        let w = RateWindow::new(3);
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        assert_eq!(w.admit(ms(0)), Ok(()));
        assert_eq!(w.admit(ms(100)), Ok(()));
        assert_eq!(w.admit(ms(200)), Ok(()));
        assert_eq!(w.admit(ms(300)), Err(1));
        // Rejected requests take no place: at 1000 ms the first has left the window.
        assert_eq!(w.admit(ms(999)), Err(1));
        assert_eq!(w.admit(ms(1000)), Ok(()));
        assert_eq!(w.admit(ms(1050)), Err(1));
        assert_eq!(w.admit(ms(1100)), Ok(()));
        w.clear();
        assert_eq!(w.admit(ms(1101)), Ok(()));
    }
}
