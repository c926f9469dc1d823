//! Pacing: how fast requests leave, shared by every clone of a [`Client`](crate::Client).
//!
//! Every request takes a slot in the scope of its API key; a send also takes one in the scope
//! of its device and, when [`Pacing::min_gap_per_recipient`] is set, in the scope of its
//! recipient. A scope may be capped by the caller ([`Pacing`]) and, unless adaptation is off,
//! learns the server's rate from its answers:
//!
//! - a 429 (or a 503 with `Retry-After`) holds the whole scope for the `Retry-After` (the retry
//!   policy's `initial_backoff` when the server gives none; no hold when it is longer than the
//!   policy's `max_retry_after`, since the call then ends with it and the caller decides), and
//!   cuts the scope's
//!   rate to 97 % of what the server accepted since the previous 429. Between two 429s a token
//!   bucket is empty at both ends, so what it accepted in between is exactly its rate, provided
//!   the client kept it busy: the first 429 only starts the count, since the bucket was full
//!   before it, and so does a 429 after a pause of more than [`IDLE_GAP`] with nobody taking or
//!   waiting for a slot (the bucket refilled, and overflowed, while nobody sent). 429s that
//!   arrive while the scope is held come from requests sent before the hold and change nothing;
//! - rate-limit headers (`RateLimit-Remaining`/`RateLimit-Reset`, or their `X-RateLimit-`
//!   forms), if the server sends them: a remaining count of 0 holds the scope until the reset;
//! - after [`PROBE_EVERY`] without a 429, the learned rate rises by 1 %, so a limit that was
//!   raised is found again.
//!
//! The state lives behind [`PaceStore`], so that several processes could share it through a
//! store of their own; [`MemoryPacer`] keeps it in this process.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// How long a learned rate holds before it is probed 1 % higher.
pub const PROBE_EVERY: Duration = Duration::from_secs(5);

/// A pause longer than this, with nobody taking or waiting for a slot, makes a scope idle: the
/// next 429 teaches it no rate.
pub const IDLE_GAP: Duration = Duration::from_millis(250);

/// Fewer recipients than this are never swept from the in-memory store.
const RECIPIENTS_KEPT: usize = 4096;

/// The caller's pacing rules: plain data, part of [`ClientConfig`](crate::ClientConfig).
#[derive(Clone, Debug, PartialEq)]
pub struct Pacing {
    /// Learn from 429s, `Retry-After` and rate-limit headers (default on).
    pub adaptive: bool,
    /// At most this many requests per second per API key, whatever the server allows.
    pub max_requests_per_second: Option<f64>,
    /// At most this many sends per second per device.
    pub max_sends_per_second: Option<f64>,
    /// At least this long between two sends from one device to one recipient, for senders who
    /// must not look like a machine to WhatsApp.
    pub min_gap_per_recipient: Option<Duration>,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            adaptive: true,
            max_requests_per_second: None,
            max_sends_per_second: None,
            min_gap_per_recipient: None,
        }
    }
}

impl Pacing {
    /// No pacing at all: requests leave as fast as they are made, 429s are only retried.
    pub fn off() -> Self {
        Self {
            adaptive: false,
            ..Self::default()
        }
    }

    /// The same rules with a cap per API key (requests per second; ignored unless positive).
    pub fn with_max_requests_per_second(mut self, rate: f64) -> Self {
        self.max_requests_per_second = positive(rate);
        self
    }

    /// The same rules with a cap per device (sends per second; ignored unless positive).
    pub fn with_max_sends_per_second(mut self, rate: f64) -> Self {
        self.max_sends_per_second = positive(rate);
        self
    }

    /// The same rules with a minimum gap between two sends to one recipient.
    pub fn with_min_gap_per_recipient(mut self, gap: Duration) -> Self {
        self.min_gap_per_recipient = Some(gap).filter(|g| !g.is_zero());
        self
    }

    /// The same rules, learning from the server or not.
    pub fn with_adaptive(mut self, adaptive: bool) -> Self {
        self.adaptive = adaptive;
        self
    }

    /// The rule of a scope of this kind.
    pub(crate) fn rule(&self, kind: ScopeKind, retry: &crate::RetryPolicy) -> Rule {
        let cap = match kind {
            ScopeKind::Key => self.max_requests_per_second,
            ScopeKind::Device => self.max_sends_per_second,
            ScopeKind::Recipient => None,
        };
        let interval = match kind {
            ScopeKind::Recipient => self.min_gap_per_recipient,
            _ => cap.map(|c| Duration::from_secs_f64(1.0 / c)),
        };
        Rule {
            min_interval: interval,
            adaptive: self.adaptive && kind != ScopeKind::Recipient,
            default_hold: retry.initial_backoff,
            max_hold: retry.max_retry_after,
        }
    }
}

fn positive(rate: f64) -> Option<f64> {
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

/// What a scope paces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// Every request of one API key.
    Key,
    /// The sends of one device.
    Device,
    /// The sends of one device to one recipient.
    Recipient,
}

/// One scope: its kind and its name in the store (`key:<fingerprint>`, `device:<id>`,
/// `to:<device>:<recipient>`). The name never holds the API key itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    /// What the scope paces.
    pub kind: ScopeKind,
    /// Its name in the store.
    pub name: Arc<str>,
}

impl Scope {
    /// The scope of an API key, named by a fingerprint of the key.
    pub(crate) fn key(fingerprint: &str) -> Self {
        Self::new(ScopeKind::Key, format!("key:{fingerprint}"))
    }

    /// The sends of a device.
    pub(crate) fn device(device: &str) -> Self {
        Self::new(ScopeKind::Device, format!("device:{device}"))
    }

    /// The sends of a device to one recipient.
    pub(crate) fn recipient(device: &str, to: &str) -> Self {
        Self::new(ScopeKind::Recipient, format!("to:{device}:{to}"))
    }

    fn new(kind: ScopeKind, name: String) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }
}

/// How a scope is paced, from [`Pacing`] and the retry policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// At least this long between two slots (a cap, or a recipient's gap).
    pub min_interval: Option<Duration>,
    /// Learn from the server's answers.
    pub adaptive: bool,
    /// The hold after a 429 without `Retry-After` (the retry policy's `initial_backoff`).
    pub default_hold: Duration,
    /// The longest `Retry-After` that holds the scope (the retry policy's `max_retry_after`).
    pub max_hold: Duration,
}

/// What the server said about a request, as pacing reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Accepted (any answer but a 429 or a held 503).
    Accepted,
    /// Refused for the rate: 429, or 503 with `Retry-After`.
    RateLimited {
        /// The wait the server asked for.
        retry_after: Option<Duration>,
    },
    /// The server's rate-limit headers said nothing is left until `reset`.
    Exhausted {
        /// Time until the limit resets.
        reset: Duration,
    },
}

impl Signal {
    /// The signal of a response: its status, `Retry-After` and rate-limit headers.
    pub fn of_response(status: u16, headers: &HeaderMap) -> Self {
        let retry_after = || crate::retry::retry_after_in(headers);
        match status {
            429 => Signal::RateLimited {
                retry_after: retry_after(),
            },
            503 => match retry_after() {
                Some(wait) => Signal::RateLimited {
                    retry_after: Some(wait),
                },
                None => Signal::Accepted,
            },
            _ => match exhausted(headers) {
                Some(reset) => Signal::Exhausted { reset },
                None => Signal::Accepted,
            },
        }
    }
}

/// `Some(reset)` when rate-limit headers say nothing is left.
fn exhausted(headers: &HeaderMap) -> Option<Duration> {
    let read = |names: [&str; 2]| {
        names.iter().find_map(|n| {
            headers
                .get(*n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
    };
    let remaining = read(["ratelimit-remaining", "x-ratelimit-remaining"])?;
    if remaining > 0 {
        return None;
    }
    let reset = read(["ratelimit-reset", "x-ratelimit-reset"]).unwrap_or(1);
    // A reset above a billion is an epoch time (some APIs), not seconds to wait.
    let seconds = if reset > 1_000_000_000 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        reset.saturating_sub(now)
    } else {
        reset
    };
    Some(Duration::from_secs(seconds))
}

/// Where pacing keeps its state. Both methods are short; an implementation over a shared
/// store (so that several processes pace together) answers from that store.
pub trait PaceStore: Send + Sync + fmt::Debug {
    /// Takes a slot in `scope` now if one is free (`Ok`), or says how long until one may be
    /// (`Err(wait)`; ask again then).
    fn try_take<'a>(
        &'a self,
        scope: &'a Scope,
        rule: &'a Rule,
    ) -> BoxFuture<'a, Result<(), Duration>>;

    /// Tells the scope what the server answered to a request that took a slot in it.
    fn observe<'a>(&'a self, scope: &'a Scope, rule: &'a Rule, signal: Signal)
    -> BoxFuture<'a, ()>;
}

/// The state of every scope, in this process. Shared by every clone of a client.
#[derive(Debug, Default)]
pub struct MemoryPacer {
    scopes: Mutex<HashMap<Arc<str>, ScopeState>>,
}

impl MemoryPacer {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The rate (per second) a scope has learned, if it has learned one.
    pub fn learned_rate(&self, scope: &Scope) -> Option<f64> {
        let scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        scopes.get(&scope.name).and_then(|s| s.rate)
    }

    fn with_state<T>(&self, scope: &Scope, f: impl FnOnce(&mut ScopeState) -> T) -> T {
        // A panic elsewhere while holding the lock leaves consistent numbers: keep going.
        let mut scopes = self.scopes.lock().unwrap_or_else(|e| e.into_inner());
        if scope.kind == ScopeKind::Recipient && scopes.len() >= RECIPIENTS_KEPT {
            let now = Instant::now();
            scopes.retain(|name, s| !name.starts_with("to:") || s.next_at > now);
        }
        let state = scopes
            .entry(scope.name.clone())
            .or_insert_with(ScopeState::new);
        f(state)
    }
}

impl PaceStore for MemoryPacer {
    fn try_take<'a>(
        &'a self,
        scope: &'a Scope,
        rule: &'a Rule,
    ) -> BoxFuture<'a, Result<(), Duration>> {
        let taken = self.with_state(scope, |s| s.try_take(rule, Instant::now()));
        Box::pin(std::future::ready(taken))
    }

    fn observe<'a>(
        &'a self,
        scope: &'a Scope,
        rule: &'a Rule,
        signal: Signal,
    ) -> BoxFuture<'a, ()> {
        self.with_state(scope, |s| s.observe(rule, signal, Instant::now()));
        Box::pin(std::future::ready(()))
    }
}

/// One scope's numbers. Pure: every method takes the time, so the rules are unit-tested.
#[derive(Clone, Debug)]
pub(crate) struct ScopeState {
    /// The learned rate per second.
    rate: Option<f64>,
    /// The earliest next slot.
    next_at: Instant,
    /// No slot before this (a 429's hold).
    held_until: Option<Instant>,
    /// Accepted requests since the last cut, and when it was.
    accepted: u64,
    last_cut: Option<Instant>,
    /// When the learned rate last changed.
    last_change: Instant,
    /// Until when someone is known to take, wait for or be held from a slot.
    busy_until: Instant,
    /// The scope paused for longer than [`IDLE_GAP`] since the last cut.
    idle: bool,
}

impl ScopeState {
    pub(crate) fn new() -> Self {
        let now = Instant::now();
        Self {
            rate: None,
            next_at: now,
            held_until: None,
            accepted: 0,
            last_cut: None,
            last_change: now,
            busy_until: now,
            idle: false,
        }
    }

    fn busy(&mut self, until: Instant) {
        self.busy_until = self.busy_until.max(until);
    }

    fn interval(&self, rule: &Rule) -> Option<Duration> {
        let learned = self
            .rate
            .filter(|_| rule.adaptive)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        match (rule.min_interval, learned) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn try_take(&mut self, rule: &Rule, now: Instant) -> Result<(), Duration> {
        if now.saturating_duration_since(self.busy_until) > IDLE_GAP {
            self.idle = true;
        }
        self.busy(now);
        if let Some(until) = self.held_until {
            if until > now {
                self.busy(until);
                return Err(until - now);
            }
            self.held_until = None;
        }
        if self.next_at > now {
            self.busy(self.next_at);
            return Err(self.next_at - now);
        }
        if let Some(interval) = self.interval(rule) {
            // One interval of slack: a task that wakes a little late does not lose its slot,
            // and an idle scope allows at most one extra request at once.
            let base = self.next_at.max(now.checked_sub(interval).unwrap_or(now));
            self.next_at = base + interval;
        }
        Ok(())
    }

    pub(crate) fn observe(&mut self, rule: &Rule, signal: Signal, now: Instant) {
        // Only taking or waiting for a slot keeps a scope busy: an answer that comes after a
        // pause (a lookup that found a lost send) says nothing of the bucket meanwhile.
        if !rule.adaptive {
            return;
        }
        match signal {
            Signal::Accepted => {
                self.accepted += 1;
                if let Some(rate) = self.rate
                    && now.duration_since(self.last_change) >= PROBE_EVERY
                {
                    self.rate = Some(rate * 1.01);
                    self.last_change = now;
                }
            }
            Signal::Exhausted { reset } => self.hold(now, reset.min(rule.max_hold)),
            Signal::RateLimited { retry_after } => {
                let hold = retry_after.unwrap_or(rule.default_hold);
                // Longer than the caller waits for: the call ends with it, the caller decides.
                let hold = if hold > rule.max_hold {
                    Duration::ZERO
                } else {
                    hold
                };
                if self.held_until.is_some_and(|until| until > now) {
                    // Sent before the hold began: the same storm, already counted.
                    self.hold(now, hold);
                    return;
                }
                if self.idle {
                    // The bucket may have refilled while nobody sent: no rate to learn.
                    self.last_cut = Some(now);
                    self.accepted = 0;
                    self.idle = false;
                } else {
                    self.cut(now);
                }
                self.hold(now, hold);
            }
        }
    }

    fn hold(&mut self, now: Instant, hold: Duration) {
        let until = now + hold;
        self.held_until = Some(self.held_until.map_or(until, |u| u.max(until)));
        self.busy(until);
    }

    fn cut(&mut self, now: Instant) {
        if let Some(last) = self.last_cut {
            let elapsed = now.duration_since(last).as_secs_f64();
            self.rate = if self.accepted > 0 && elapsed > 0.0 {
                Some((self.accepted as f64 / elapsed * 0.97).max(0.05))
            } else {
                self.rate.map(|r| (r * 0.5).max(0.05))
            };
            self.last_change = now;
        }
        self.last_cut = Some(now);
        self.accepted = 0;
        self.idle = false;
    }
}

#[cfg(test)]
mod tests;
