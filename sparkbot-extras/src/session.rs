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

use sparkbot_api::types::{self, Device, DeviceStatus, SessionStatus};
use sparkbot_api::{Client, RetryPolicy};
use tokio::time::Instant;

use crate::client::SparkBot;
use crate::error::Error;
use crate::lookup::DeviceKey;

/// A device's lifecycle status and session status, as read at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceState {
    /// `device.status` (`operative` when usable), if the API sent it.
    pub device: Option<DeviceStatus>,
    /// `device.session.status` (`online` when connected), if the API sent it.
    pub session: Option<SessionStatus>,
}

impl DeviceState {
    /// The state of `device`.
    pub fn of(device: &Device) -> Self {
        Self {
            device: device.status.clone(),
            session: device.session.as_ref().and_then(|s| s.status.clone()),
        }
    }

    /// What this state means for someone waiting to use the device.
    pub fn readiness(&self) -> Readiness {
        use DeviceStatus as D;
        use SessionStatus as S;
        if let Some(status @ (D::Banned | D::Removed | D::Disabled | D::Unpaid | D::Invalid)) =
            &self.device
        {
            return Readiness::NeedsAction(RequiredAction::DeviceUnusable(status.clone()));
        }
        match &self.session {
            Some(S::Authorize | S::Authorizing | S::New) => {
                Readiness::NeedsAction(RequiredAction::LinkDevice)
            }
            Some(S::Conflict) => Readiness::NeedsAction(RequiredAction::ResolveConflict),
            Some(S::Blocked) => Readiness::NeedsAction(RequiredAction::Unblock),
            Some(S::Error) => Readiness::NeedsAction(RequiredAction::RecoverSession),
            Some(S::Online) if self.device == Some(D::Operative) => Readiness::Usable,
            _ => Readiness::Waiting,
        }
    }

    /// Whether the device can send and receive now.
    pub fn is_usable(&self) -> bool {
        self.readiness() == Readiness::Usable
    }
}

impl fmt::Display for DeviceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let device = self.device.as_ref().map_or("(none)", DeviceStatus::as_str);
        let session = self
            .session
            .as_ref()
            .map_or("(none)", SessionStatus::as_str);
        write!(f, "device `{device}`, session `{session}`")
    }
}

/// What a state means for someone waiting on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Operative and online.
    Usable,
    /// Only a person can move it on.
    NeedsAction(RequiredAction),
    /// It may still become usable by itself (loading, offline, syncing, or unknown).
    Waiting,
}

/// What a person has to do before the device becomes usable.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequiredAction {
    /// Link the phone: scan the QR code (`GET /devices/{id}/scan`) in WhatsApp > Linked
    /// devices, or request a pairing code.
    LinkDevice,
    /// WhatsApp is open in another place; close it there or reboot the session.
    ResolveConflict,
    /// WhatsApp blocked the number.
    Unblock,
    /// The session failed; reboot or reset it.
    RecoverSession,
    /// The number itself cannot be used in this status.
    DeviceUnusable(DeviceStatus),
}

impl fmt::Display for RequiredAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequiredAction::LinkDevice => f.write_str(
                "a QR scan is needed: open WhatsApp > Linked devices and scan the code that \
                 `SparkBot::api().scan_device_qr()` returns for this device, or request a pairing \
                 code with `request_device_auth_code()`",
            ),
            RequiredAction::ResolveConflict => f.write_str(
                "WhatsApp is open on another computer or browser: close it there, then sync \
                 again or reboot the session",
            ),
            RequiredAction::Unblock => {
                f.write_str("WhatsApp blocked this number: it must be resolved with WhatsApp")
            }
            RequiredAction::RecoverSession => {
                f.write_str("the session failed: reboot it, or reset it and scan the QR code again")
            }
            RequiredAction::DeviceUnusable(status) => match status {
                DeviceStatus::Unpaid => f.write_str("the number is unpaid: renew its subscription"),
                DeviceStatus::Disabled => {
                    f.write_str("the number is disabled: enable it in the SparkBot dashboard")
                }
                DeviceStatus::Banned => {
                    f.write_str("WhatsApp banned this number: it cannot be used")
                }
                DeviceStatus::Removed => f.write_str("the number was removed from the account"),
                other => write!(f, "the number is `{other}` and cannot be used"),
            },
        }
    }
}

/// One observed change of state, passed to the progress callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncProgress {
    /// The device.
    pub device_id: String,
    /// The state now.
    pub state: DeviceState,
    /// The state before, `None` for the first reading.
    pub previous: Option<DeviceState>,
    /// Which poll saw it (1 for the first).
    pub poll: u32,
    /// Time since the wait started.
    pub elapsed: Duration,
}

/// Which step of a session sync was under way when it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyncPhase {
    /// Resolving a phone number, alias or WhatsApp id to a device (`GET /devices`).
    FindingDevice,
    /// Asking the API to re-check the session (`GET /devices/{id}/sync`).
    Triggering,
    /// Reading the device (`GET /devices/{id}`): a read was in flight, or the last one failed.
    Reading,
    /// The reads succeeded, but the state was not usable yet.
    Waiting,
}

impl fmt::Display for SyncPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncPhase::FindingDevice => "finding the device",
            SyncPhase::Triggering => "triggering the sync",
            SyncPhase::Reading => "reading the device",
            SyncPhase::Waiting => "waiting for a usable state",
        })
    }
}

/// Whether a failed request of the sync may succeed if sent again later, so the sync keeps
/// going: any 5xx, 429, 408, a timeout, a connection refused, reset or dropped. Not a 4xx,
/// a device not found, an undecodable answer, a refused redirect or an oversized body.
pub(crate) fn is_passing_fault(error: &Error) -> bool {
    match error {
        Error::Server(_) | Error::RateLimited { .. } | Error::Timeout(_) => true,
        Error::Api(failure) => failure.status() == 408,
        Error::Transport(e) => {
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
fn asked_wait(error: &Error) -> Option<Duration> {
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
fn deadline_after(start: Instant, timeout: Duration) -> Instant {
    let mut timeout = timeout.min(FAR_FUTURE);
    loop {
        if let Some(deadline) = start.checked_add(timeout) {
            return deadline;
        }
        timeout /= 2;
    }
}

/// Timing of the wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollTiming {
    /// Shortest wait between two reads.
    pub min_interval: Duration,
    /// Longest wait between two reads.
    pub max_interval: Duration,
    /// Total time allowed, the first request included.
    pub timeout: Duration,
}

impl Default for PollTiming {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
        }
    }
}

impl PollTiming {
    /// The wait before the read after `poll` reads: doubling from the minimum, capped at the
    /// maximum, spread by `jitter` in `[0, 1]` over its upper half but never below the minimum.
    /// Never panics: any duration and any jitter (NaN reads as 0.5) give a duration.
    pub fn interval(&self, poll: u32, jitter: f64) -> Duration {
        let max = self.max_interval.max(self.min_interval);
        let base = self
            .min_interval
            .saturating_mul(1u32 << poll.saturating_sub(1).min(20))
            .min(max);
        // `mul_f64` panics on NaN and on results past `Duration::MAX`; a factor in [0, 0.5]
        // of a valid duration is neither.
        let jitter = if jitter.is_nan() {
            0.5
        } else {
            jitter.clamp(0.0, 1.0)
        };
        let spread = (base / 2).saturating_add(base.mul_f64(jitter / 2.0));
        spread.max(self.min_interval)
    }
}

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
            let call = Box::pin(
                self.bot
                    .api()
                    .sync_device_session()
                    .device_id(id.clone())
                    .send(),
            );
            call.await
                .map(drop)
                .map_err(|e| Error::from(e).for_device(&id))
        }
    }

    fn read_device(&self, device_id: &str) -> impl Future<Output = Result<Device, Error>> + Send {
        let id = SparkBot::parse_device_id(device_id);
        async move {
            let id: types::DeviceId = id?;
            // Boxed: a generated call's future is large, and this one is polled every poll.
            let call = Box::pin(self.reads.get_device().device_id(id.clone()).send());
            call.await
                .map(sparkbot_api::ResponseValue::into_inner)
                // A 404 that is not the API's JSON (a wrong base URL) stays `NotFound`.
                .map_err(|e| Error::from(e).for_device(&id))
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
        let wait = timing.interval(attempt, jitter()).max(asked);
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
mod tests {
    use super::*;
    use crate::error::ApiFailure;
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A scripted API: each read pops the next result; the last one repeats.
    struct Fake {
        reads: Mutex<VecDeque<Result<Device, Error>>>,
        finds: Mutex<VecDeque<Result<Device, Error>>>,
        find_count: AtomicU32,
        sync: Mutex<Option<Error>>,
        read_count: AtomicU32,
        sync_count: AtomicU32,
        read_delay: Duration,
        sync_delay: Duration,
    }

    fn device(device: &str, session: &str) -> Device {
        serde_json::from_value(serde_json::json!({
            "id": "5f0a1b2c3d4e5f6a7b8c9d0e", "status": device, "session": { "status": session }
        }))
        .unwrap()
    }

    fn failure(status: u16) -> Error {
        Error::from_failure(ApiFailure::from_status(status, None))
    }

    impl Fake {
        fn new(reads: Vec<Result<Device, Error>>) -> Self {
            Self {
                reads: Mutex::new(reads.into()),
                finds: Mutex::new(VecDeque::new()),
                find_count: AtomicU32::new(0),
                sync: Mutex::new(None),
                read_count: AtomicU32::new(0),
                sync_count: AtomicU32::new(0),
                read_delay: Duration::from_millis(10),
                sync_delay: Duration::ZERO,
            }
        }
    }

    fn again(result: &Result<Device, Error>) -> Result<Device, Error> {
        match result {
            Ok(d) => Ok(d.clone()),
            Err(e) => Err(Error::from_failure(ApiFailure::from_status(
                e.status().unwrap_or(500),
                e.retry_after(),
            ))),
        }
    }

    impl SessionApi for Fake {
        fn find_device(&self, _: &DeviceKey) -> impl Future<Output = Result<Device, Error>> + Send {
            self.find_count.fetch_add(1, Ordering::SeqCst);
            let result = {
                let mut finds = self.finds.lock().unwrap();
                if finds.len() > 1 {
                    finds.pop_front().unwrap()
                } else {
                    finds
                        .front()
                        .map_or_else(|| Ok(device("operative", "offline")), again)
                }
            };
            async move { result }
        }

        fn trigger_sync(&self, _: &str) -> impl Future<Output = Result<(), Error>> + Send {
            self.sync_count.fetch_add(1, Ordering::SeqCst);
            let result = match self.sync.lock().unwrap().take() {
                Some(e) => Err(e),
                None => Ok(()),
            };
            let delay = self.sync_delay;
            async move {
                tokio::time::sleep(delay).await;
                result
            }
        }

        fn read_device(&self, _: &str) -> impl Future<Output = Result<Device, Error>> + Send {
            self.read_count.fetch_add(1, Ordering::SeqCst);
            let result = {
                let mut reads = self.reads.lock().unwrap();
                if reads.len() > 1 {
                    reads.pop_front().unwrap()
                } else {
                    again(reads.front().unwrap())
                }
            };
            let delay = self.read_delay;
            async move {
                tokio::time::sleep(delay).await;
                result
            }
        }
    }

    fn timing(timeout_s: u64) -> PollTiming {
        PollTiming {
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(8),
            timeout: Duration::from_secs(timeout_s),
        }
    }

    async fn run(fake: &Fake, timeout_s: u64) -> (Result<Device, Error>, Vec<SyncProgress>) {
        let mut seen = Vec::new();
        let result = sync(
            fake,
            DeviceKey::Id("5f0a1b2c3d4e5f6a7b8c9d0e".to_owned()),
            true,
            timing(timeout_s),
            &mut |p: &SyncProgress| seen.push(p.clone()),
            &mut || 0.5,
        )
        .await;
        (result, seen)
    }

    #[tokio::test(start_paused = true)]
    async fn polls_until_usable_and_reports_each_change_once() {
        let fake = Fake::new(vec![
            Ok(device("operative", "offline")),
            Ok(device("operative", "offline")),
            Ok(device("operative", "loading")),
            Ok(device("operative", "online")),
        ]);
        let (result, seen) = run(&fake, 120).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(fake.sync_count.load(Ordering::SeqCst), 1);
        assert_eq!(fake.read_count.load(Ordering::SeqCst), 4);
        let sessions: Vec<&str> = seen
            .iter()
            .map(|p| p.state.session.as_ref().unwrap().as_str())
            .collect();
        assert_eq!(sessions, ["offline", "loading", "online"]);
        assert_eq!(seen[1].previous, Some(seen[0].state.clone()));
        assert_eq!(seen[2].poll, 4);
    }

    #[tokio::test(start_paused = true)]
    async fn states_that_need_a_person_stop_at_once() {
        for (dev, session, expected) in [
            ("operative", "authorize", RequiredAction::LinkDevice),
            ("pending", "new", RequiredAction::LinkDevice),
            ("operative", "conflict", RequiredAction::ResolveConflict),
            ("operative", "blocked", RequiredAction::Unblock),
            ("operative", "error", RequiredAction::RecoverSession),
            (
                "banned",
                "online",
                RequiredAction::DeviceUnusable(DeviceStatus::Banned),
            ),
        ] {
            let fake = Fake::new(vec![
                Ok(device("operative", "loading")),
                Ok(device(dev, session)),
            ]);
            let (result, _) = run(&fake, 120).await;
            match result {
                Err(Error::SessionNeedsAction { action, state, .. }) => {
                    assert_eq!(action, expected);
                    assert_eq!(state.session.unwrap().as_str(), session);
                }
                other => panic!("{dev}/{session}: {other:?}"),
            }
            assert_eq!(fake.read_count.load(Ordering::SeqCst), 2);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_states_keep_polling_until_the_deadline() {
        let fake = Fake::new(vec![Ok(device("operative", "warming_up"))]);
        let started = Instant::now();
        let (result, seen) = run(&fake, 30).await;
        let waited = started.elapsed();
        match &result {
            Err(Error::SessionTimedOut { last_state, .. }) => {
                let last = last_state.as_ref().unwrap();
                assert_eq!(last.session.as_ref().unwrap().as_str(), "warming_up");
            }
            other => panic!("{other:?}"),
        }
        let text = result.unwrap_err().to_string();
        assert!(text.contains("warming_up"), "{text}");
        assert!(
            waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
            "{waited:?}"
        );
        assert_eq!(seen.len(), 1);
        // Intervals 1, 2, 4, 8, 8… (jitter 0.5 → 0.75×, floored at 1 s): about 6–8 reads.
        let reads = fake.read_count.load(Ordering::SeqCst);
        assert!((5..=10).contains(&reads), "{reads} reads");
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_absorbed_and_fatal_ones_end_the_wait() {
        let fake = Fake::new(vec![
            Err(failure(503)),
            Err(failure(429)),
            Ok(device("operative", "online")),
        ]);
        let (result, _) = run(&fake, 120).await;
        assert!(result.is_ok(), "{result:?}");

        let fake = Fake::new(vec![Ok(device("operative", "loading")), Err(failure(401))]);
        let (result, _) = run(&fake, 120).await;
        assert!(
            matches!(&result, Err(Error::SessionSyncFailed { error, .. }) if matches!(**error, Error::Unauthorized(_))),
            "{result:?}"
        );

        let fake = Fake::new(vec![Err(failure(503))]);
        let (result, _) = run(&fake, 10).await;
        match result {
            Err(Error::SessionTimedOut {
                last_state: None,
                last_error: Some(e),
                ..
            }) => assert_eq!(e.status(), Some(503)),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_sync_trigger_is_fatal_only_when_permanent() {
        let fake = Fake::new(vec![Ok(device("operative", "online"))]);
        *fake.sync.lock().unwrap() = Some(failure(502));
        assert!(run(&fake, 60).await.0.is_ok());

        let fake = Fake::new(vec![Ok(device("operative", "online"))]);
        *fake.sync.lock().unwrap() = Some(failure(403));
        let result = run(&fake, 60).await.0;
        assert!(
            matches!(&result, Err(Error::SessionSyncFailed { phase: SyncPhase::Triggering, error, .. }) if matches!(**error, Error::Forbidden(_))),
            "{result:?}"
        );
        assert_eq!(fake.read_count.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_read_cannot_overrun_the_deadline() {
        let mut fake = Fake::new(vec![Ok(device("operative", "online"))]);
        fake.read_delay = Duration::from_secs(3600);
        let started = Instant::now();
        let (result, _) = run(&fake, 5).await;
        assert!(matches!(result, Err(Error::SessionTimedOut { .. })));
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_wait_stops_all_requests() {
        let fake = Fake::new(vec![Ok(device("operative", "loading"))]);
        let outcome = tokio::time::timeout(Duration::from_millis(3500), run(&fake, 120)).await;
        assert!(outcome.is_err());
        let reads = fake.read_count.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert_eq!(fake.read_count.load(Ordering::SeqCst), reads);
    }

    fn rate_limited(retry_after: Duration) -> Error {
        Error::from_failure(ApiFailure::from_status(429, Some(retry_after)))
    }

    async fn run_with(fake: &Fake, timing: PollTiming) -> Result<Device, Error> {
        sync(
            fake,
            DeviceKey::Id("5f0a1b2c3d4e5f6a7b8c9d0e".to_owned()),
            true,
            timing,
            &mut |_: &SyncProgress| {},
            &mut || 0.5,
        )
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn a_huge_retry_after_is_capped_by_the_deadline() {
        let fake = Fake::new(vec![Err(rate_limited(Duration::from_secs(u64::MAX)))]);
        let started = Instant::now();
        let result = run_with(&fake, timing(30)).await;
        assert!(
            matches!(&result, Err(Error::SessionTimedOut { phase: SyncPhase::Reading, last_error: Some(e), .. }) if e.status() == Some(429)),
            "{result:?}"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(30));
        assert_eq!(fake.read_count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn huge_intervals_and_timeouts_do_not_overflow() {
        let fake = Fake::new(vec![Ok(device("operative", "loading"))]);
        let started = Instant::now();
        let huge = PollTiming {
            min_interval: Duration::MAX,
            max_interval: Duration::MAX,
            timeout: Duration::from_secs(30),
        };
        let result = run_with(&fake, huge).await;
        assert!(
            matches!(
                result,
                Err(Error::SessionTimedOut {
                    phase: SyncPhase::Waiting,
                    ..
                })
            ),
            "{result:?}"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(30));
        assert_eq!(fake.read_count.load(Ordering::SeqCst), 1);

        let fake = Fake::new(vec![
            Ok(device("operative", "loading")),
            Ok(device("operative", "online")),
        ]);
        let forever = PollTiming {
            timeout: Duration::MAX,
            ..timing(0)
        };
        assert!(run_with(&fake, forever).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn passing_server_faults_are_ridden_out_within_the_deadline() {
        let fake = Fake::new(vec![
            Err(failure(500)),
            Err(failure(502)),
            Err(failure(503)),
            Err(failure(504)),
            Err(failure(429)),
            Ok(device("operative", "online")),
        ]);
        *fake.sync.lock().unwrap() = Some(failure(500));
        let (result, _) = run(&fake, 120).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(fake.read_count.load(Ordering::SeqCst), 6);

        // A fault that persists ends the sync at the deadline, not before.
        let fake = Fake::new(vec![Ok(device("operative", "loading")), Err(failure(500))]);
        let started = Instant::now();
        let (result, _) = run(&fake, 20).await;
        assert_eq!(started.elapsed(), Duration::from_secs(20));
        let text = result.as_ref().unwrap_err().to_string();
        assert!(
            matches!(&result, Err(Error::SessionTimedOut { phase: SyncPhase::Reading, last_error: Some(e), .. }) if e.status() == Some(500)),
            "{result:?}"
        );
        for part in [
            "5f0a1b2c3d4e5f6a7b8c9d0e",
            "reading the device",
            "loading",
            "HTTP 500",
        ] {
            assert!(text.contains(part), "{part:?} not in {text}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_fault_that_cannot_pass_ends_the_sync_naming_device_and_phase() {
        for status in [400, 401, 403, 422] {
            let fake = Fake::new(vec![
                Ok(device("operative", "loading")),
                Err(failure(status)),
            ]);
            let started = Instant::now();
            let (result, _) = run(&fake, 120).await;
            assert!(started.elapsed() < Duration::from_secs(10), "{status}");
            assert_eq!(fake.read_count.load(Ordering::SeqCst), 2, "{status}");
            let err = result.unwrap_err();
            match &err {
                Error::SessionSyncFailed {
                    device_id,
                    phase: SyncPhase::Reading,
                    last_state: Some(last),
                    error,
                } => {
                    assert_eq!(device_id, "5f0a1b2c3d4e5f6a7b8c9d0e");
                    assert_eq!(last.session.as_ref().unwrap().as_str(), "loading");
                    assert_eq!(error.status(), Some(status));
                }
                other => panic!("{status}: {other:?}"),
            }
            let text = err.to_string();
            for part in ["5f0a1b2c3d4e5f6a7b8c9d0e", "reading the device", "loading"] {
                assert!(text.contains(part), "{status}: {part:?} not in {text}");
            }
        }
        let fake = Fake::new(vec![Ok(device("operative", "online"))]);
        *fake.sync.lock().unwrap() = Some(failure(401));
        let text = run(&fake, 60).await.0.unwrap_err().to_string();
        assert!(
            text.contains("5f0a1b2c3d4e5f6a7b8c9d0e") && text.contains("triggering the sync"),
            "{text}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_names_the_phase_it_cut_short() {
        let mut fake = Fake::new(vec![Ok(device("operative", "online"))]);
        fake.sync_delay = Duration::from_secs(3600);
        let text = run(&fake, 5).await.0.unwrap_err().to_string();
        assert!(text.contains("triggering the sync"), "{text}");

        let mut fake = Fake::new(vec![Ok(device("operative", "online"))]);
        fake.read_delay = Duration::from_secs(3600);
        let text = run(&fake, 5).await.0.unwrap_err().to_string();
        assert!(text.contains("reading the device"), "{text}");

        let fake = Fake::new(vec![Ok(device("operative", "loading"))]);
        let text = run(&fake, 5).await.0.unwrap_err().to_string();
        assert!(text.contains("waiting for"), "{text}");
    }

    async fn run_by_alias(fake: &Fake, timeout_s: u64) -> Result<Device, Error> {
        sync(
            fake,
            DeviceKey::Alias("sales".to_owned()),
            true,
            timing(timeout_s),
            &mut |_: &SyncProgress| {},
            &mut || 0.5,
        )
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn a_lookup_rides_out_passing_faults_and_names_the_key_when_it_gives_up() {
        let online = || Ok(device("operative", "online"));
        let fake = Fake::new(vec![online()]);
        *fake.finds.lock().unwrap() = vec![
            Err(failure(500)),
            Err(rate_limited(Duration::from_secs(3))),
            Ok(device("operative", "offline")),
        ]
        .into();
        let started = Instant::now();
        assert!(run_by_alias(&fake, 60).await.is_ok());
        assert_eq!(fake.find_count.load(Ordering::SeqCst), 3);
        // 1 s after the 500, then the 3 s the 429 asked for.
        assert!(started.elapsed() >= Duration::from_secs(4));

        let fake = Fake::new(vec![online()]);
        *fake.finds.lock().unwrap() = vec![Err(failure(502))].into();
        match run_by_alias(&fake, 10).await {
            Err(Error::SessionTimedOut {
                device_id,
                phase: SyncPhase::FindingDevice,
                last_error: Some(e),
                ..
            }) => {
                assert_eq!(device_id, r#"alias "sales""#);
                assert_eq!(e.status(), Some(502));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fake.read_count.load(Ordering::SeqCst), 0);

        let fake = Fake::new(vec![online()]);
        *fake.finds.lock().unwrap() = vec![Err(failure(401))].into();
        match run_by_alias(&fake, 10).await {
            Err(Error::SessionSyncFailed {
                device_id,
                phase: SyncPhase::FindingDevice,
                error,
                ..
            }) => {
                assert_eq!(device_id, r#"alias "sales""#);
                assert!(matches!(*error, Error::Unauthorized(_)), "{error:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fake.find_count.load(Ordering::SeqCst), 1);

        // A key that matches nothing is the answer, not a failure of the sync.
        let fake = Fake::new(vec![online()]);
        *fake.finds.lock().unwrap() = vec![Err(Error::DeviceNotFound {
            key: r#"alias "sales""#.to_owned(),
            searched: Some(3),
            response: None,
        })]
        .into_iter()
        .chain([online()])
        .collect();
        let result = run_by_alias(&fake, 10).await;
        assert!(
            matches!(result, Err(Error::DeviceNotFound { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn odd_timings_and_jitter_never_panic() {
        let huge = PollTiming {
            min_interval: Duration::MAX,
            max_interval: Duration::MAX,
            timeout: Duration::MAX,
        };
        for jitter in [0.0, 0.5, 1.0, f64::NAN, f64::INFINITY, -1.0] {
            assert!(huge.interval(1, jitter) >= Duration::from_secs(u64::MAX / 2));
            assert!(huge.interval(u32::MAX, jitter) <= Duration::MAX);
            assert_eq!(timing(60).interval(1, jitter), Duration::from_secs(1));
        }
    }

    #[test]
    fn intervals_grow_between_min_and_max() {
        let t = timing(60);
        assert_eq!(t.interval(1, 0.0), Duration::from_secs(1));
        assert_eq!(t.interval(1, 1.0), Duration::from_secs(1));
        assert_eq!(t.interval(2, 1.0), Duration::from_secs(2));
        assert_eq!(t.interval(3, 0.0), Duration::from_secs(2));
        assert_eq!(t.interval(9, 1.0), Duration::from_secs(8));
        assert_eq!(t.interval(50, 0.0), Duration::from_secs(4));
    }

    #[test]
    fn readiness_of_states() {
        let s = |d: &str, s: &str| DeviceState::of(&device(d, s));
        assert!(s("operative", "online").is_usable());
        assert_eq!(s("verified", "online").readiness(), Readiness::Waiting);
        assert_eq!(s("operative", "timeout").readiness(), Readiness::Waiting);
        assert_eq!(
            DeviceState::of(&Device::default()).readiness(),
            Readiness::Waiting
        );
        assert_eq!(
            s("operative", "conflict").to_string(),
            "device `operative`, session `conflict`"
        );
    }
}
