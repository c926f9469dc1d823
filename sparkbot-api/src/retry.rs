//! Retries as plain data: a [`RetryPolicy`] and a pure decision function, [`RetryPolicy::decide`],
//! that tests can drive without a network or a clock. The request pipeline runs it for every
//! call (see [`Client`](crate::Client)).
//!
//! What is retried: 429 and 503 (honouring `Retry-After`), 502, 504, timeouts and connection
//! errors. What is not: every other status (retrying a 400 or a 401 cannot help). Requests that
//! are not idempotent — `POST /messages` above all, where a retry after a lost response would
//! send the message twice — are re-sent only when the server certainly did not act on them (429,
//! or a connection that never opened), unless the caller chooses otherwise.

use std::time::{Duration, SystemTime};

/// How one failed attempt looks to the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// 429, with the server's `Retry-After` if it sent one.
    RateLimited {
        /// The wait the server asked for.
        retry_after: Option<Duration>,
    },
    /// 503, with the server's `Retry-After` if it sent one.
    Unavailable {
        /// The wait the server asked for.
        retry_after: Option<Duration>,
    },
    /// Another HTTP status.
    Status(u16),
    /// The connection could not be opened: the request never reached the server.
    Connect,
    /// The request timed out: the server may or may not have processed it.
    Timeout,
    /// The connection broke after opening: the server may or may not have processed it.
    Transport,
    /// Anything retrying cannot fix (bad input, undecodable body…).
    Permanent,
}

impl FailureKind {
    /// Whether the failure is worth retrying at all (ignoring idempotency and budgets).
    pub fn is_retryable(&self) -> bool {
        match self {
            FailureKind::RateLimited { .. } | FailureKind::Unavailable { .. } => true,
            FailureKind::Status(s) => matches!(s, 502 | 504),
            FailureKind::Connect | FailureKind::Timeout | FailureKind::Transport => true,
            FailureKind::Permanent => false,
        }
    }

    /// Whether the server certainly did not act on the request, so even a non-idempotent
    /// request can be re-sent safely: it was rate limited, or the connection never opened.
    pub fn is_unprocessed(&self) -> bool {
        matches!(self, FailureKind::RateLimited { .. } | FailureKind::Connect)
    }
}

/// When a request that is not idempotent (such as sending a message) may be re-sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NonIdempotentRetry {
    /// Never, not even when the server certainly did not act on it.
    Never,
    /// Only when the server certainly did not act on it (429, or a connection that never
    /// opened): the default, since neither can turn into a duplicate message.
    #[default]
    Unprocessed,
    /// Like an idempotent request. Only for callers who deduplicate themselves.
    Always,
}

/// One failed attempt, as the policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Attempts made so far, the failed one included (1 after the first failure).
    pub number: u32,
    /// Time since the first attempt started.
    pub elapsed: Duration,
    /// Whether the request is idempotent (every `GET`, `PUT` and `DELETE`).
    pub idempotent: bool,
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Give up and return the error.
    Stop(StopReason),
}

/// Why the policy gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The failure is not one a retry can fix.
    NotRetryable,
    /// The request is not idempotent and the policy does not re-send it.
    NotIdempotent,
    /// `max_attempts` reached.
    AttemptsExhausted,
    /// Waiting would exceed `max_elapsed`.
    TimeBudgetExhausted,
    /// The server asked for a wait longer than `max_retry_after`.
    RetryAfterTooLong,
}

/// The retry policy: plain data, cheap to clone, with defaults suited to an interactive client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included; 1 disables retries.
    pub max_attempts: u32,
    /// Time allowed from the first attempt to the start of the last one, waits included.
    pub max_elapsed: Duration,
    /// Wait before the first retry when the server gives no `Retry-After`; doubles each time.
    /// It is also the floor under a `Retry-After` of zero: many clients told "now" must not
    /// all come back at once.
    pub initial_backoff: Duration,
    /// Longest computed wait between two attempts.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one ends the retries (the error carries it).
    pub max_retry_after: Duration,
    /// Whether non-idempotent requests are re-sent.
    pub non_idempotent: NonIdempotentRetry,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            non_idempotent: NonIdempotentRetry::Unprocessed,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The same policy with another attempt limit (the first attempt included).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The same policy with another total time budget.
    pub fn with_max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// The same policy with other backoff bounds.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The same policy with another rule for non-idempotent requests.
    pub fn with_non_idempotent(mut self, rule: NonIdempotentRetry) -> Self {
        self.non_idempotent = rule;
        self
    }

    /// The wait before retry number `retry` (1 for the first retry): exponential from
    /// `initial_backoff`, capped at `max_backoff`, then spread over its upper half by `jitter`
    /// (a number in `[0, 1]`) so that many clients failing together do not retry together.
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        // `mul_f64` panics on NaN: a caller's odd jitter must not take the process down.
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.5
        };
        base / 2 + base.mul_f64(jitter / 2.0)
    }

    /// Decides what to do after a failed attempt. Pure: the same inputs always give the same
    /// answer, so every rule is unit-tested.
    pub fn decide(&self, attempt: &Attempt, failure: &FailureKind, jitter: f64) -> Decision {
        if !failure.is_retryable() {
            return Decision::Stop(StopReason::NotRetryable);
        }
        if !attempt.idempotent {
            let allowed = match self.non_idempotent {
                NonIdempotentRetry::Never => false,
                NonIdempotentRetry::Unprocessed => failure.is_unprocessed(),
                NonIdempotentRetry::Always => true,
            };
            if !allowed {
                return Decision::Stop(StopReason::NotIdempotent);
            }
        }
        if attempt.number >= self.max_attempts {
            return Decision::Stop(StopReason::AttemptsExhausted);
        }
        let backoff = self.backoff(attempt.number, jitter);
        let wait = match failure {
            FailureKind::RateLimited {
                retry_after: Some(asked),
            }
            | FailureKind::Unavailable {
                retry_after: Some(asked),
            } => {
                if *asked > self.max_retry_after {
                    return Decision::Stop(StopReason::RetryAfterTooLong);
                }
                (*asked).max(backoff)
            }
            _ => backoff,
        };
        if attempt.elapsed.saturating_add(wait) > self.max_elapsed {
            return Decision::Stop(StopReason::TimeBudgetExhausted);
        }
        Decision::Retry(wait)
    }
}

/// Parses a `Retry-After` value: delay-seconds (`"120"`) or an HTTP date, read against `now`.
/// A date in the past means "now" (zero). Anything else is `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of a response's headers, read now (see [`parse_retry_after`]).
pub(crate) fn retry_after_in(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

/// A number in `[0, 1)` for jitter, different at every call.
pub fn jitter() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// 64 random bits, different at every call. `RandomState` is seeded from the OS once per thread
/// and then stepped: hashing a counter and the clock with it gives unpredictable, distinct values
/// (for jitter and for send references) without an RNG crate.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    hasher.write_u64(nanos);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(number: u32, elapsed_ms: u64, idempotent: bool) -> Attempt {
        Attempt {
            number,
            elapsed: Duration::from_millis(elapsed_ms),
            idempotent,
        }
    }

    const RATE_LIMITED: FailureKind = FailureKind::RateLimited { retry_after: None };
    const UNAVAILABLE: FailureKind = FailureKind::Unavailable { retry_after: None };

    #[test]
    fn retries_only_the_transient_failures() {
        let policy = RetryPolicy::default();
        for kind in [
            RATE_LIMITED,
            FailureKind::Status(502),
            FailureKind::Unavailable { retry_after: None },
            FailureKind::Status(504),
            FailureKind::Connect,
            FailureKind::Timeout,
            FailureKind::Transport,
        ] {
            assert!(
                matches!(
                    policy.decide(&attempt(1, 0, true), &kind, 0.5),
                    Decision::Retry(_)
                ),
                "{kind:?} should be retried"
            );
        }
        for kind in [400, 401, 403, 404, 409, 422, 500, 501, 503] {
            assert_eq!(
                policy.decide(&attempt(1, 0, true), &FailureKind::Status(kind), 0.5),
                Decision::Stop(StopReason::NotRetryable),
                "{kind} must not be retried"
            );
        }
        assert_eq!(
            policy.decide(&attempt(1, 0, true), &FailureKind::Permanent, 0.5),
            Decision::Stop(StopReason::NotRetryable)
        );
    }

    #[test]
    fn non_idempotent_requests_are_resent_only_when_unprocessed_by_default() {
        assert_eq!(
            RetryPolicy::default().non_idempotent,
            NonIdempotentRetry::Unprocessed
        );
        let never = RetryPolicy::default().with_non_idempotent(NonIdempotentRetry::Never);
        for kind in [RATE_LIMITED, FailureKind::Connect, UNAVAILABLE] {
            assert_eq!(
                never.decide(&attempt(1, 0, false), &kind, 0.5),
                Decision::Stop(StopReason::NotIdempotent)
            );
        }
        let unprocessed = never
            .clone()
            .with_non_idempotent(NonIdempotentRetry::Unprocessed);
        assert!(matches!(
            unprocessed.decide(&attempt(1, 0, false), &RATE_LIMITED, 0.5),
            Decision::Retry(_)
        ));
        assert!(matches!(
            unprocessed.decide(&attempt(1, 0, false), &FailureKind::Connect, 0.5),
            Decision::Retry(_)
        ));
        // A timeout, a broken connection or a 503 may hide a message that was sent.
        for kind in [FailureKind::Timeout, FailureKind::Transport, UNAVAILABLE] {
            assert_eq!(
                unprocessed.decide(&attempt(1, 0, false), &kind, 0.5),
                Decision::Stop(StopReason::NotIdempotent)
            );
        }
        let always = never.with_non_idempotent(NonIdempotentRetry::Always);
        assert!(matches!(
            always.decide(&attempt(1, 0, false), &FailureKind::Timeout, 0.5),
            Decision::Retry(_)
        ));
    }

    #[test]
    fn attempts_and_time_are_bounded() {
        let policy = RetryPolicy::default().with_max_attempts(3);
        assert!(matches!(
            policy.decide(&attempt(2, 0, true), &RATE_LIMITED, 0.0),
            Decision::Retry(_)
        ));
        assert_eq!(
            policy.decide(&attempt(3, 0, true), &RATE_LIMITED, 0.0),
            Decision::Stop(StopReason::AttemptsExhausted)
        );
        let budget = RetryPolicy::default().with_max_elapsed(Duration::from_secs(1));
        assert_eq!(
            budget.decide(&attempt(1, 900, true), &UNAVAILABLE, 0.0),
            Decision::Stop(StopReason::TimeBudgetExhausted)
        );
        assert_eq!(
            RetryPolicy::none().decide(&attempt(1, 0, true), &RATE_LIMITED, 0.0),
            Decision::Stop(StopReason::AttemptsExhausted)
        );
    }

    #[test]
    fn retry_after_wins_over_backoff_within_its_cap() {
        let policy = RetryPolicy::default();
        let asked = |s| FailureKind::RateLimited {
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            policy.decide(&attempt(1, 0, true), &asked(7), 0.9),
            Decision::Retry(Duration::from_secs(7))
        );
        assert_eq!(
            policy.decide(&attempt(1, 0, true), &asked(3600), 0.9),
            Decision::Stop(StopReason::RetryAfterTooLong)
        );
        assert_eq!(
            policy.decide(&attempt(1, 55_000, true), &asked(10), 0.9),
            Decision::Stop(StopReason::TimeBudgetExhausted)
        );
        // A 503 with Retry-After is honoured like a 429.
        let unavailable = FailureKind::Unavailable {
            retry_after: Some(Duration::from_secs(4)),
        };
        assert_eq!(
            policy.decide(&attempt(1, 0, true), &unavailable, 0.9),
            Decision::Retry(Duration::from_secs(4))
        );
    }

    #[test]
    fn a_retry_after_of_zero_still_backs_off_with_jitter() {
        let policy =
            RetryPolicy::default().with_backoff(Duration::from_millis(100), Duration::from_secs(1));
        let now = FailureKind::RateLimited {
            retry_after: Some(Duration::ZERO),
        };
        let waits: Vec<Decision> = [0.0, 1.0]
            .iter()
            .map(|j| policy.decide(&attempt(1, 0, true), &now, *j))
            .collect();
        assert_eq!(
            waits,
            [
                Decision::Retry(Duration::from_millis(50)),
                Decision::Retry(Duration::from_millis(100))
            ]
        );
    }

    #[test]
    fn a_huge_retry_after_or_elapsed_time_never_overflows() {
        let policy = RetryPolicy::default();
        let huge = FailureKind::RateLimited {
            retry_after: Some(Duration::MAX),
        };
        assert_eq!(
            policy.decide(&attempt(1, 0, true), &huge, 0.5),
            Decision::Stop(StopReason::RetryAfterTooLong)
        );
        let far = Attempt {
            number: 1,
            elapsed: Duration::MAX,
            idempotent: true,
        };
        assert_eq!(
            policy.decide(&far, &RATE_LIMITED, 0.5),
            Decision::Stop(StopReason::TimeBudgetExhausted)
        );
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            None,
            "a number too big for u64 is not a wait"
        );
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered_in_its_upper_half() {
        let policy =
            RetryPolicy::default().with_backoff(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(2, 1.0), Duration::from_millis(200));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(policy.backoff(10, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(40, 0.0), Duration::from_millis(500));
        assert_eq!(policy.backoff(1, 7.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(1, f64::NAN), Duration::from_millis(75));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn jitter_stays_in_range_and_varies() {
        let values: Vec<f64> = (0..64).map(|_| jitter()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        assert!(values.windows(2).any(|w| w[0] != w[1]));
    }
}
