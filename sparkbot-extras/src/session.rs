//! Session sync: ask the API to re-check a device's WhatsApp session, then poll until the
//! device is usable, a person has to act, or the deadline passes.
//!
//! "Usable" is device `operative` and session `online` (what every real integration checks).
//! States that only a person can leave — a QR scan or pairing code (`authorize`, `authorizing`,
//! `new`), WhatsApp open elsewhere (`conflict`), a blocked, failed, banned, disabled, removed or
//! unpaid number — end the wait at once with [`Error::SessionNeedsAction`]. Every other state,
//! including values this SDK does not know yet, keeps polling until the deadline.
//!
//! The wait is one future: dropping it (or wrapping it in `tokio::time::timeout`) stops all
//! polling and abandons the request in flight.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use sparkbot_api::types::{Device, DeviceStatus, SessionStatus};
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
    pub fn interval(&self, poll: u32, jitter: f64) -> Duration {
        let max = self.max_interval.max(self.min_interval);
        let base = self
            .min_interval
            .saturating_mul(1u32 << poll.saturating_sub(1).min(20))
            .min(max);
        let spread = base / 2 + base.mul_f64(jitter.clamp(0.0, 1.0) / 2.0);
        spread.max(self.min_interval)
    }
}

/// The two calls the wait makes, so the loop can be driven by a fake in tests.
pub(crate) trait SessionApi {
    fn trigger_sync(&self, device_id: &str) -> impl Future<Output = Result<(), Error>> + Send;
    fn read_device(&self, device_id: &str) -> impl Future<Output = Result<Device, Error>> + Send;
}

impl SessionApi for SparkBot {
    fn trigger_sync(&self, device_id: &str) -> impl Future<Output = Result<(), Error>> + Send {
        let id = device_id.to_owned();
        async move {
            let call = Box::pin(
                self.api()
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
        let id = Self::parse_device_id(device_id);
        async move { self.get_device_fresh(&id?).await }
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
    /// [`Error::SessionNeedsAction`], [`Error::SessionTimedOut`], [`Error::DeviceNotFound`], or
    /// the error that made waiting pointless (such as [`Error::Unauthorized`]).
    pub async fn execute(self) -> Result<Device, Error> {
        let Self {
            bot,
            key,
            trigger,
            timing,
            on_change,
        } = self;
        let started = Instant::now();
        let device_id = match key {
            DeviceKey::Id(id) => id,
            key => {
                let lookup = tokio::time::timeout(timing.timeout, bot.find_device(key));
                let device = lookup.await.map_err(|_| Error::SessionTimedOut {
                    device_id: "(lookup)".to_owned(),
                    last_state: None,
                    waited: started.elapsed(),
                    last_error: None,
                })??;
                device
                    .id
                    .ok_or_else(|| Error::Other("the API returned a device with no id".into()))?
            }
        };
        let mut on_change = on_change.unwrap_or_else(|| Box::new(|_| {}));
        let remaining = timing.timeout.saturating_sub(started.elapsed());
        let timing = PollTiming {
            timeout: remaining,
            ..timing
        };
        wait_until_usable(
            bot,
            &device_id,
            trigger,
            timing,
            &mut *on_change,
            &mut sparkbot_api::retry::jitter,
        )
        .await
    }
}

/// The polling loop. Generic over the two calls so tests drive it with a fake and paused time.
pub(crate) async fn wait_until_usable<A: SessionApi>(
    api: &A,
    device_id: &str,
    trigger: bool,
    timing: PollTiming,
    on_change: &mut (dyn FnMut(&SyncProgress) + Send + '_),
    jitter: &mut (dyn FnMut() -> f64 + Send),
) -> Result<Device, Error> {
    let started = Instant::now();
    let deadline = started + timing.timeout;
    let mut last_state: Option<DeviceState> = None;
    let mut last_error: Option<Box<Error>> = None;
    let timed_out =
        |last_state: Option<DeviceState>, last_error: Option<Box<Error>>| Error::SessionTimedOut {
            device_id: device_id.to_owned(),
            last_state,
            waited: started.elapsed(),
            last_error,
        };

    if trigger {
        match tokio::time::timeout_at(deadline, api.trigger_sync(device_id)).await {
            Err(_) => return Err(timed_out(None, None)),
            Ok(Ok(())) => {}
            // The sync is a nudge; if it failed for a passing reason, the reads still tell.
            Ok(Err(e)) if e.is_transient() => last_error = Some(Box::new(e)),
            Ok(Err(e)) => return Err(e),
        }
    }

    let mut poll = 0u32;
    loop {
        poll += 1;
        let mut wait_at_least = Duration::ZERO;
        match tokio::time::timeout_at(deadline, api.read_device(device_id)).await {
            Err(_) => return Err(timed_out(last_state, last_error)),
            Ok(Ok(device)) => {
                let state = DeviceState::of(&device);
                if last_state.as_ref() != Some(&state) {
                    on_change(&SyncProgress {
                        device_id: device_id.to_owned(),
                        state: state.clone(),
                        previous: last_state.take(),
                        poll,
                        elapsed: started.elapsed(),
                    });
                }
                match state.readiness() {
                    Readiness::Usable => return Ok(device),
                    Readiness::NeedsAction(action) => {
                        return Err(Error::SessionNeedsAction {
                            device_id: device_id.to_owned(),
                            state,
                            action,
                            device: Box::new(device),
                        });
                    }
                    Readiness::Waiting => last_state = Some(state),
                }
            }
            Ok(Err(e)) if e.is_transient() => {
                wait_at_least = e.retry_after().unwrap_or_default();
                last_error = Some(Box::new(e));
            }
            Ok(Err(e)) => return Err(e),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out(last_state, last_error));
        }
        let wait = timing.interval(poll, jitter()).max(wait_at_least);
        tokio::time::sleep_until((now + wait).min(deadline)).await;
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
        sync: Mutex<Option<Error>>,
        read_count: AtomicU32,
        sync_count: AtomicU32,
        read_delay: Duration,
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
                sync: Mutex::new(None),
                read_count: AtomicU32::new(0),
                sync_count: AtomicU32::new(0),
                read_delay: Duration::from_millis(10),
            }
        }
    }

    fn again(result: &Result<Device, Error>) -> Result<Device, Error> {
        match result {
            Ok(d) => Ok(d.clone()),
            Err(e) => Err(failure(e.status().unwrap_or(500))),
        }
    }

    impl SessionApi for Fake {
        fn trigger_sync(&self, _: &str) -> impl Future<Output = Result<(), Error>> + Send {
            self.sync_count.fetch_add(1, Ordering::SeqCst);
            let result = match self.sync.lock().unwrap().take() {
                Some(e) => Err(e),
                None => Ok(()),
            };
            async move { result }
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
        let result = wait_until_usable(
            fake,
            "5f0a1b2c3d4e5f6a7b8c9d0e",
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
        assert!(matches!(result, Err(Error::Unauthorized(_))), "{result:?}");

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
        assert!(matches!(run(&fake, 60).await.0, Err(Error::Forbidden(_))));
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
