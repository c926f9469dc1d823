//! When the sync keeps going and how long it waits: which faults pass by themselves, the wait a
//! failure asked for, the deadline and the poll schedule.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

/// Whether a failed request of the sync may succeed if sent again later, so the sync keeps
/// going: any 5xx, 429, 408, a timeout, a connection refused, reset or dropped. Not a 4xx,
/// a device not found, an undecodable answer, a refused redirect or an oversized body.
pub(crate) fn is_passing_fault(error: &Error) -> bool {
    match error {
        Error::Server(_) | Error::RateLimited { .. } | Error::Timeout(_) => true,
        Error::Api(failure) => failure.status() == 408,
        Error::Transport(e) => {
            let e = e.reqwest_error();
            !(e.is_builder()
                || e.is_redirect()
                || caused_by::<sparkbot_api::RedirectRefused>(e)
                || caused_by::<sparkbot_api::BodyTooLarge>(e))
        }
        _ => false,
    }
}

fn caused_by<T: std::error::Error + 'static>(error: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<T>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The wait a failure asked for (`Retry-After` on a 429 or a 503).
pub(super) fn asked_wait(error: &Error) -> Option<Duration> {
    match error.failure_kind() {
        sparkbot_api::FailureKind::RateLimited { retry_after }
        | sparkbot_api::FailureKind::Unavailable { retry_after } => retry_after,
        _ => None,
    }
}

/// The longest timeout a sync honours (about 30 years, tokio's own "far future"): a longer
/// one, up to `Duration::MAX`, means "no deadline" and is read as this.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `start + timeout`, never overflowing: capped at [`FAR_FUTURE`], then halved until the clock
/// can represent it.
pub(super) fn deadline_after(start: Instant, timeout: Duration) -> Instant {
    let mut timeout = timeout.min(FAR_FUTURE);
    loop {
        if let Some(deadline) = start.checked_add(timeout) {
            return deadline;
        }
        timeout /= 2;
    }
}

/// Timing of the wait, in two phases: for `fast_for` the waits double from `min_interval` up
/// to `fast_max_interval`, so a change soon after the start is seen within about a second;
/// after it they grow with the time since the fast phase ended (so they about double) up to
/// `max_interval`, so a session that does not come back costs few requests.
///
/// The defaults (1 s, at most 2.5 s for 30 s, then up to 10 s) detect a change that comes at a
/// random moment within 15 s in a median 0.89 s with 0.72× the requests of polling every
/// second, and cost about 33 requests over the 120 s timeout (BENCHMARKS.md, session).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollTiming {
    /// Shortest wait between two reads.
    pub min_interval: Duration,
    /// Longest wait between two reads during the fast phase.
    pub fast_max_interval: Duration,
    /// How long the fast phase lasts from the start of the sync.
    pub fast_for: Duration,
    /// Longest wait between two reads.
    pub max_interval: Duration,
    /// Total time allowed, the first request included.
    pub timeout: Duration,
}

impl Default for PollTiming {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(1),
            fast_max_interval: Duration::from_millis(2500),
            fast_for: Duration::from_secs(30),
            max_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
        }
    }
}

impl PollTiming {
    /// The wait before the read after `poll` reads, `elapsed` into the sync: in the fast phase
    /// [`PollTiming::interval`] capped at `fast_max_interval`; after it, the time since the
    /// phase ended, between `fast_max_interval` and `max_interval`, spread by `jitter` the same
    /// way. Never panics.
    pub fn interval_at(&self, poll: u32, elapsed: Duration, jitter: f64) -> Duration {
        let fast_max = self.fast_max_interval.max(self.min_interval);
        if elapsed < self.fast_for {
            let capped = Self {
                max_interval: fast_max.min(self.max_interval.max(self.min_interval)),
                ..*self
            };
            return capped.interval(poll, jitter);
        }
        let most = self.max_interval.max(self.min_interval);
        let grown = elapsed.saturating_sub(self.fast_for);
        let base = grown.clamp(fast_max.min(most), most);
        spread(base, jitter).max(self.min_interval)
    }

    /// The wait before the read after `poll` reads: doubling from the minimum, capped at the
    /// maximum, spread by `jitter` in `[0, 1]` over its upper half but never below the minimum.
    /// Never panics: any duration and any jitter (NaN reads as 0.5) give a duration.
    pub fn interval(&self, poll: u32, jitter: f64) -> Duration {
        let max = self.max_interval.max(self.min_interval);
        let base = self
            .min_interval
            .saturating_mul(1u32 << poll.saturating_sub(1).min(20))
            .min(max);
        spread(base, jitter).max(self.min_interval)
    }
}

/// `base` spread by `jitter` in `[0, 1]` over its upper half.
fn spread(base: Duration, jitter: f64) -> Duration {
    // `mul_f64` panics on NaN and on results past `Duration::MAX`; a factor in [0, 0.5] of a
    // valid duration is neither.
    let jitter = if jitter.is_nan() {
        0.5
    } else {
        jitter.clamp(0.0, 1.0)
    };
    (base / 2).saturating_add(base.mul_f64(jitter / 2.0))
}
