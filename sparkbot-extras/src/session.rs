//! Session sync: ask the API to re-check a device's WhatsApp session, then poll until the
//! device is usable, a person has to act, or the deadline passes.
//!
//! "Usable" is device `operative` and session `online` (what every real integration checks).
//! States that only a person can leave — a QR scan or pairing code (`authorize`, `authorizing`,
//! `new`), WhatsApp open elsewhere (`conflict`), a blocked, failed, banned, disabled, removed or
//! unpaid number — end the wait at once with [`Error::SessionNeedsAction`]. Every other state,
//! including values this SDK does not know yet, keeps polling until the deadline.
//!
//! Faults that pass by themselves — any 5xx, a 429 or 408, a timeout, a connection refused,
//! reset or dropped — do not end the sync: it keeps going on its own schedule (honouring a
//! `Retry-After`, never past the deadline) and gives up only at the deadline
//! ([`Error::SessionTimedOut`]) or on a fault that cannot pass, such as a 401, a 403 or a 400
//! ([`Error::SessionSyncFailed`]); a device that does not exist is [`Error::DeviceNotFound`].
//! Both errors name the device, the [`SyncPhase`] it ended in and the last state and error seen.
//!
//! There is one retry loop: the device reads are sent with [`RetryPolicy::none`], so a read
//! is one request and the poll schedule alone decides when the next one goes. The lookup and
//! the sync trigger are one-off calls under the client's own policy.
//!
//! The wait is one future: dropping it (or wrapping it in `tokio::time::timeout`) stops all
//! polling and abandons the request in flight.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use sparkbot_api::types::{self, Device};
use sparkbot_api::{Client, RetryPolicy};
use tokio::time::Instant;

use crate::call;
use crate::client::SparkBot;
use crate::error::Error;
use crate::lookup::DeviceKey;

mod state;
mod timing;

pub use state::{DeviceState, Readiness, RequiredAction, SyncPhase, SyncProgress};
pub use timing::PollTiming;
pub(crate) use timing::is_passing_fault;
use timing::{asked_wait, deadline_after};

/// The calls a sync makes, so the loop can be driven by a fake in tests.
pub(crate) trait SessionApi {
    fn find_device(&self, key: &DeviceKey) -> impl Future<Output = Result<Device, Error>> + Send;
    fn trigger_sync(&self, device_id: &str) -> impl Future<Output = Result<(), Error>> + Send;
    fn read_device(&self, device_id: &str) -> impl Future<Output = Result<Device, Error>> + Send;
}

/// The calls over HTTP: the lookup (with the device cache) and the trigger under the client's
/// retry policy, the reads on a clone that never retries, so each poll is one request.
struct Http<'a> {
    bot: &'a SparkBot,
    reads: Client,
}

impl<'a> Http<'a> {
    fn new(bot: &'a SparkBot) -> Self {
        Self {
            bot,
            reads: bot.api().with_retry(RetryPolicy::none()),
        }
    }
}

impl SessionApi for Http<'_> {
    fn find_device(&self, key: &DeviceKey) -> impl Future<Output = Result<Device, Error>> + Send {
        Box::pin(self.bot.find_device(key.clone()))
    }

    fn trigger_sync(&self, device_id: &str) -> impl Future<Output = Result<(), Error>> + Send {
        let id = device_id.to_owned();
        async move {
            call::request(
                self.bot
                    .api()
                    .sync_device_session()
                    .device_id(id.clone())
                    .send(),
            )
            .await
            .map(drop)
            .map_err(|e| e.for_device(&id))
        }
    }

    fn read_device(&self, device_id: &str) -> impl Future<Output = Result<Device, Error>> + Send {
        let id = SparkBot::parse_device_id(device_id);
        async move {
            let id: types::DeviceId = id?;
            // Boxed (by `call::request`): a generated call's future is large, and this one is
            // polled every poll.
            call::request(self.reads.get_device().device_id(id.clone()).send())
                .await
                .map(sparkbot_api::ResponseValue::into_inner)
                // A 404 that is not the API's JSON (a wrong base URL) stays `NotFound`.
                .map_err(|e| e.for_device(&id))
        }
    }
}

type ProgressFn<'a> = Box<dyn FnMut(&SyncProgress) + Send + 'a>;

/// Builder for [`SparkBot::sync_session`]; ends in [`SyncSession::execute`].
#[must_use = "a session sync does nothing until `.execute().await`"]
pub struct SyncSession<'a> {
    bot: &'a SparkBot,
    key: DeviceKey,
    trigger: bool,
    timing: PollTiming,
    on_change: Option<ProgressFn<'a>>,
}

impl fmt::Debug for SyncSession<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncSession")
            .field("key", &self.key)
            .field("trigger", &self.trigger)
            .field("timing", &self.timing)
            .field("on_change", &self.on_change.as_ref().map(|_| "callback"))
            .finish()
    }
}

impl SparkBot {
    /// Syncs the session of the device matching `key` and waits until it is usable.
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// use std::time::Duration;
    ///
    /// let device = bot
    ///     .sync_session("sales")
    ///     .timeout(Duration::from_secs(60))
    ///     .on_change(|p| println!("{:>5.1}s  {}", p.elapsed.as_secs_f64(), p.state))
    ///     .execute()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn sync_session(&self, key: impl Into<DeviceKey>) -> SyncSession<'_> {
        SyncSession {
            bot: self,
            key: key.into(),
            trigger: true,
            timing: PollTiming::default(),
            on_change: None,
        }
    }
}

impl<'a> SyncSession<'a> {
    /// Whether to call `GET /devices/{id}/sync` before polling (default `true`). Without it,
    /// this only waits.
    pub fn trigger_sync(mut self, trigger: bool) -> Self {
        self.trigger = trigger;
        self
    }

    /// Shortest wait between two reads (default 1 s).
    pub fn min_interval(mut self, interval: Duration) -> Self {
        self.timing.min_interval = interval;
        self
    }

    /// Longest wait between two reads (default 10 s).
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.timing.max_interval = interval;
        self
    }

    /// For the first `duration` of the sync, waits of at most `max_interval` (default 30 s and
    /// 2.5 s; see [`PollTiming`]).
    pub fn fast_phase(mut self, duration: Duration, max_interval: Duration) -> Self {
        self.timing.fast_for = duration;
        self.timing.fast_max_interval = max_interval;
        self
    }

    /// Total time allowed (default 2 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timing.timeout = timeout;
        self
    }

    /// Called on every change of state, the first reading included.
    pub fn on_change(mut self, callback: impl FnMut(&SyncProgress) + Send + 'a) -> Self {
        self.on_change = Some(Box::new(callback));
        self
    }

    /// Resolves the device, triggers the sync and waits. Returns the usable device, or
    /// [`Error::SessionNeedsAction`] (a person must act), [`Error::DeviceNotFound`] /
    /// [`Error::AmbiguousDevice`], [`Error::SessionTimedOut`] (the deadline passed while faults
    /// that may pass or a waiting state lasted), or [`Error::SessionSyncFailed`] wrapping the
    /// fault that cannot pass (such as [`Error::Unauthorized`]). Faults that may pass (a 5xx,
    /// 429, 408, a timeout, a dropped connection) are ridden out until the deadline.
    pub async fn execute(self) -> Result<Device, Error> {
        let Self {
            bot,
            key,
            trigger,
            timing,
            on_change,
        } = self;
        let mut on_change = on_change.unwrap_or_else(|| Box::new(|_| {}));
        sync(
            &Http::new(bot),
            key,
            trigger,
            timing,
            &mut *on_change,
            &mut sparkbot_api::retry::jitter,
        )
        .await
    }
}

/// What one sync has seen so far, for its errors.
struct Track {
    /// The device id, or the key looked up until the lookup succeeds.
    device_id: String,
    started: Instant,
    deadline: Instant,
    phase: SyncPhase,
    last_state: Option<DeviceState>,
    last_error: Option<Box<Error>>,
}

impl Track {
    fn timed_out(&mut self) -> Error {
        Error::SessionTimedOut {
            device_id: self.device_id.clone(),
            phase: self.phase,
            last_state: self.last_state.clone(),
            waited: self.started.elapsed(),
            last_error: self.last_error.take(),
        }
    }

    /// The error for a fault that cannot pass; a missing or ambiguous device is returned as
    /// it is (it names the key), since it is the answer rather than a failure of the sync.
    fn failed(&self, error: Error) -> Error {
        match error {
            e @ (Error::DeviceNotFound { .. } | Error::AmbiguousDevice { .. }) => e,
            e => Error::SessionSyncFailed {
                device_id: self.device_id.clone(),
                phase: self.phase,
                last_state: self.last_state.clone(),
                error: Box::new(e),
            },
        }
    }

    /// Sleeps before the next request: the schedule's interval after `attempt` tries, or the
    /// wait the server asked for if longer, but never past the deadline. `Err` once the
    /// deadline has passed, so no request is started after it.
    async fn pause(
        &mut self,
        timing: &PollTiming,
        attempt: u32,
        asked: Duration,
        jitter: &mut (dyn FnMut() -> f64 + Send),
    ) -> Result<(), Error> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(self.timed_out());
        }
        let wait = timing
            .interval_at(attempt, now.duration_since(self.started), jitter())
            .max(asked);
        let wake = now
            .checked_add(wait)
            .map_or(self.deadline, |t| t.min(self.deadline));
        tokio::time::sleep_until(wake).await;
        if Instant::now() >= self.deadline {
            return Err(self.timed_out());
        }
        Ok(())
    }
}

/// The whole sync: the lookup (unless `key` is an id), the trigger, the polling. Generic over
/// the calls so tests drive it with a fake and paused time.
pub(crate) async fn sync<A: SessionApi>(
    api: &A,
    key: DeviceKey,
    trigger: bool,
    timing: PollTiming,
    on_change: &mut (dyn FnMut(&SyncProgress) + Send + '_),
    jitter: &mut (dyn FnMut() -> f64 + Send),
) -> Result<Device, Error> {
    let started = Instant::now();
    let mut track = Track {
        device_id: key.to_string(),
        started,
        deadline: deadline_after(started, timing.timeout),
        phase: SyncPhase::FindingDevice,
        last_state: None,
        last_error: None,
    };
    let device_id = match key {
        DeviceKey::Id(id) => id,
        key => {
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                let asked =
                    match tokio::time::timeout_at(track.deadline, api.find_device(&key)).await {
                        Err(_) => return Err(track.timed_out()),
                        Ok(Ok(device)) => match device.id {
                            Some(id) => break id,
                            None => {
                                let e = Error::Other("the API returned a device with no id".into());
                                return Err(track.failed(e));
                            }
                        },
                        Ok(Err(e)) if is_passing_fault(&e) => {
                            let asked = asked_wait(&e).unwrap_or_default();
                            track.last_error = Some(Box::new(e));
                            asked
                        }
                        Ok(Err(e)) => return Err(track.failed(e)),
                    };
                track.pause(&timing, attempt, asked, jitter).await?;
            }
        }
    };
    track.device_id = device_id;
    poll_until_usable(api, &mut track, trigger, timing, on_change, jitter).await
}

/// The trigger and the polling loop, for a known device id.
async fn poll_until_usable<A: SessionApi>(
    api: &A,
    track: &mut Track,
    trigger: bool,
    timing: PollTiming,
    on_change: &mut (dyn FnMut(&SyncProgress) + Send + '_),
    jitter: &mut (dyn FnMut() -> f64 + Send),
) -> Result<Device, Error> {
    let device_id = track.device_id.clone();
    if trigger {
        track.phase = SyncPhase::Triggering;
        match tokio::time::timeout_at(track.deadline, api.trigger_sync(&device_id)).await {
            Err(_) => return Err(track.timed_out()),
            Ok(Ok(())) => {}
            // The sync is a nudge; if it failed for a passing reason, the reads still tell.
            Ok(Err(e)) if is_passing_fault(&e) => track.last_error = Some(Box::new(e)),
            Ok(Err(e)) => return Err(track.failed(e)),
        }
        if Instant::now() >= track.deadline {
            return Err(track.timed_out());
        }
    }

    let mut poll = 0u32;
    loop {
        poll += 1;
        track.phase = SyncPhase::Reading;
        let asked = match tokio::time::timeout_at(track.deadline, api.read_device(&device_id)).await
        {
            Err(_) => return Err(track.timed_out()),
            Ok(Ok(device)) => {
                let state = DeviceState::of(&device);
                if track.last_state.as_ref() != Some(&state) {
                    on_change(&SyncProgress {
                        device_id: device_id.clone(),
                        state: state.clone(),
                        previous: track.last_state.take(),
                        poll,
                        elapsed: track.started.elapsed(),
                    });
                }
                match state.readiness() {
                    Readiness::Usable => return Ok(device),
                    Readiness::NeedsAction(action) => {
                        return Err(Error::SessionNeedsAction {
                            device_id,
                            state,
                            action,
                            device: Box::new(device),
                        });
                    }
                    Readiness::Waiting => {
                        track.last_state = Some(state);
                        track.phase = SyncPhase::Waiting;
                        Duration::ZERO
                    }
                }
            }
            Ok(Err(e)) if is_passing_fault(&e) => {
                let asked = asked_wait(&e).unwrap_or_default();
                track.last_error = Some(Box::new(e));
                asked
            }
            Ok(Err(e)) => return Err(track.failed(e)),
        };
        track.pause(&timing, poll, asked, jitter).await?;
    }
}

#[cfg(test)]
mod tests;
