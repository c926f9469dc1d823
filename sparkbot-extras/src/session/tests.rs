//! Unit tests of the sync loop, driven by a scripted API and paused time.

use super::*;
use crate::error::ApiFailure;
use sparkbot_api::types::DeviceStatus;
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
        ..PollTiming::default()
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
    // The 30 s are all fast phase: intervals 1, 2, then 2.5 s (jitter 0.5 → 0.75×, floored at
    // 1 s): 1, 1.5, 1.875, 1.875… about 17 reads.
    let reads = fake.read_count.load(Ordering::SeqCst);
    assert!((14..=18).contains(&reads), "{reads} reads");
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
        ..PollTiming::default()
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
        fast_max_interval: Duration::MAX,
        fast_for: Duration::MAX,
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

#[test]
fn the_fast_phase_caps_the_waits_then_they_grow_to_the_maximum() {
    let t = PollTiming::default();
    let s = Duration::from_secs;
    let ms = Duration::from_millis;
    // Fast phase: 1, 2 (then the 2.5 s cap), whatever the poll count.
    assert_eq!(t.interval_at(1, s(0), 1.0), s(1));
    assert_eq!(t.interval_at(2, s(1), 1.0), s(2));
    assert_eq!(t.interval_at(9, s(20), 1.0), ms(2500));
    assert_eq!(t.interval_at(9, s(20), 0.0), ms(1250));
    // After 30 s: the time since then, at least 2.5 s, at most 10 s.
    assert_eq!(t.interval_at(20, s(31), 1.0), ms(2500));
    assert_eq!(t.interval_at(20, s(35), 1.0), s(5));
    assert_eq!(t.interval_at(20, s(100), 1.0), s(10));
    assert_eq!(t.interval_at(20, s(100), 0.0), s(5));
    for jitter in [0.0, 0.5, 1.0, f64::NAN, -3.0] {
        assert!(t.interval_at(u32::MAX, Duration::MAX, jitter) <= s(10));
    }
}
