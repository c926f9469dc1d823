//! Session sync over HTTP, in real time with millisecond intervals (the loop's timing rules are
//! unit-tested with paused time inside sparkbot-extras). Exchanges pinned one by one use the
//! kit's typed httpmock mocks; faults in an exact order (drops, hangs, HTML pages, a huge
//! `Retry-After`) use the kit's simulator with a scripted route.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::MockServer;
use serde_json::json;
use sparkbot_api::types::{self, SessionStatus};
use sparkbot_extras::session::SyncPhase;
use sparkbot_extras::{Error, RequiredAction, SparkBot};
use sparkbot_testkit::{Answer, Fault, SimDevice, Simulator};
use sparkbot_tests::{DEVICE_ID, MockServerExt, TEST_API_KEY, api_error, authed};

fn bot(server: &MockServer) -> SparkBot {
    SparkBot::new(sparkbot_api::Client::with_api_key(&server.base_url(), TEST_API_KEY).unwrap())
}

fn device(status: &str, session: &str) -> types::Device {
    sparkbot_tests::from_json(json!({
        "id": DEVICE_ID, "phone": "+447911123456", "alias": "sales",
        "status": status, "session": {"status": session}
    }))
}

fn mock_state<'a>(server: &'a MockServer, status: &str, session: &str) -> httpmock::Mock<'a> {
    let device = device(status, session);
    server.get_device(|when, then| {
        authed(when.device_id(&DEVICE_ID.parse().unwrap()).into_inner());
        then.ok(&device);
    })
}

fn mock_sync(server: &MockServer) -> httpmock::Mock<'_> {
    server.sync_device_session(|when, then| {
        authed(when.device_id(&DEVICE_ID.parse().unwrap()).into_inner());
        then.ok(&sparkbot_tests::from_json(json!({"status": "syncing"})));
    })
}

#[tokio::test]
async fn sync_triggers_then_polls_until_online_reporting_each_change() {
    let server = sparkbot_tests::server().await;
    let sync = mock_sync(&server);
    let mut loading = mock_state(&server, "operative", "loading");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let bot = bot(&server);
    let wait = bot
        .sync_session(DEVICE_ID)
        .min_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(5))
        .on_change({
            let seen = seen.clone();
            move |p| {
                seen.lock()
                    .unwrap()
                    .push(p.state.session.clone().unwrap().to_string())
            }
        })
        .execute();
    let server_ref = &server;
    let swap = async move {
        while loading.calls() < 2 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let online = mock_state(server_ref, "operative", "online");
        loading.delete();
        online
    };
    let (result, online) = tokio::join!(wait, swap);
    let device = result.unwrap();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    sync.assert();
    assert_eq!(online.calls(), 1);
    assert_eq!(*seen.lock().unwrap(), ["loading", "online"]);
}

#[tokio::test]
async fn a_device_found_by_alias_that_needs_a_qr_scan_says_so() {
    let server = sparkbot_tests::server().await;
    let list = server.list_devices(|when, then| {
        authed(when.into_inner());
        then.ok(&vec![device("operative", "authorize")]);
    });
    let _sync = mock_sync(&server);
    let _state = mock_state(&server, "operative", "authorize");
    let err = bot(&server)
        .sync_session("Sales")
        .min_interval(Duration::from_millis(5))
        .execute()
        .await
        .unwrap_err();
    match &err {
        Error::SessionNeedsAction { action, state, .. } => {
            assert_eq!(action, &RequiredAction::LinkDevice);
            assert_eq!(state.session.as_ref().unwrap().as_str(), "authorize");
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("authorize") && text.contains("QR scan"),
        "{text}"
    );
    list.assert();
}

#[tokio::test]
async fn conflict_stops_the_wait_with_its_state_named() {
    let server = sparkbot_tests::server().await;
    let _sync = mock_sync(&server);
    let state = mock_state(&server, "operative", "conflict");
    let err = bot(&server)
        .sync_session(DEVICE_ID)
        .execute()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("session `conflict`"), "{err}");
    assert_eq!(state.calls(), 1);
}

#[tokio::test]
async fn polling_stops_at_its_deadline_naming_the_last_state() {
    let server = sparkbot_tests::server().await;
    let _sync = mock_sync(&server);
    let state = mock_state(&server, "operative", "timeout_sync");
    // The deadline arithmetic itself is tested with paused time in sparkbot-extras' session
    // module; here the real loop must end by itself, with the timeout error, after polling.
    let err = bot(&server)
        .sync_session(DEVICE_ID)
        .min_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(10))
        .timeout(Duration::from_millis(250))
        .execute()
        .await
        .unwrap_err();
    assert!(state.calls() > 1, "the device was polled more than once");
    match &err {
        Error::SessionTimedOut { last_state, .. } => assert_eq!(
            last_state
                .as_ref()
                .unwrap()
                .session
                .as_ref()
                .unwrap()
                .as_str(),
            "timeout_sync"
        ),
        other => panic!("{other:?}"),
    }
    assert!(state.calls() >= 5, "{} polls", state.calls());
}

#[tokio::test]
async fn unknown_devices_and_rejected_keys_end_the_wait_at_once() {
    let server = sparkbot_tests::server().await;
    let sync = server.sync_device_session(|when, then| {
        authed(when.into_inner());
        then.not_found(&api_error(404, "device:not_found", "Device not found"));
    });
    let err = bot(&server)
        .sync_session(DEVICE_ID)
        .execute()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::DeviceNotFound { key, .. } if key == &format!("id {DEVICE_ID}")),
        "{err:?}"
    );
    sync.assert();

    let server = sparkbot_tests::server().await;
    let list = server.list_devices(|when, then| {
        authed(when.into_inner());
        then.client_error(401, &api_error(401, "auth", "Invalid token"));
    });
    let err = bot(&server)
        .sync_session("+44 7911 123456")
        .execute()
        .await
        .unwrap_err();
    match &err {
        Error::SessionSyncFailed {
            phase: SyncPhase::FindingDevice,
            error,
            ..
        } => assert!(matches!(**error, Error::Unauthorized(_)), "{error:?}"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("finding the device"), "{err}");
    list.assert();
}

// ---- faults in an exact order, on the kit's simulator ------------------------------------------

/// `GET /devices`: the lookup of a device by alias.
const LIST: &str = "/devices";
/// `GET /devices/{id}/sync`: the trigger.
const SYNC: &str = "/devices/{id}/sync";
/// `GET /devices/{id}`: each poll.
const READ: &str = "/devices/{id}";

/// A simulator whose only device is [`DEVICE_ID`] (alias `sales`) with this session.
async fn simulator(device: SimDevice) -> Simulator {
    Simulator::builder()
        .without_demo_devices()
        .device(device)
        .start()
        .await
}

fn sales(session: SessionStatus) -> SimDevice {
    SimDevice::new(DEVICE_ID, "+447911123456")
        .alias("sales")
        .session(session)
}

/// A bot on the simulator with the default retry policy and a short request timeout.
fn sim_bot(sim: &Simulator) -> SparkBot {
    let config = sim.config().with_timeout(Duration::from_millis(300));
    SparkBot::new(config.build().unwrap())
}

/// The fault each request on `route` met, in order (`None`: the model answered).
fn faults_met(sim: &Simulator, route: &str) -> Vec<Option<&'static str>> {
    sim.requests_on("GET", route)
        .into_iter()
        .map(|r| r.fault)
        .collect()
}

#[tokio::test]
async fn a_huge_retry_after_ends_at_the_deadline_without_panicking() {
    // Were the device read a second time, the model would answer `loading`: no 429 last.
    let sim = simulator(sales(SessionStatus::Loading)).await;
    sim.inject(
        Fault::answer(
            Answer::new(429)
                .retry_after(u64::MAX)
                .json(json!({"status": 429, "message": "slow down"})),
        )
        .on_route("GET", READ),
    );
    let err = sim_bot(&sim)
        .sync_session(DEVICE_ID)
        .min_interval(Duration::from_millis(5))
        .timeout(Duration::from_millis(400))
        .execute()
        .await
        .unwrap_err();
    match &err {
        Error::SessionTimedOut {
            phase: SyncPhase::Reading,
            last_error: Some(last),
            ..
        } => assert!(matches!(**last, Error::RateLimited { .. }), "{last:?}"),
        other => panic!("{other:?}"),
    }
    // The huge wait was cut to the deadline: one read, not a second one after it.
    assert_eq!(sim.route_count("GET", READ), 1);
    assert_eq!(sim.route_count("GET", SYNC), 1);
}

#[tokio::test]
async fn passing_faults_and_transport_errors_are_ridden_out_by_the_poll_schedule() {
    let sim = simulator(sales(SessionStatus::Online)).await;
    sim.inject(Fault::server_error(500).on_route("GET", SYNC));
    sim.inject_sequence(
        "GET",
        READ,
        [
            Fault::drop_before(),
            Fault::server_error(500),
            Fault::answer(Answer::new(502).html("<html>Bad Gateway</html>")),
            Fault::server_error(503),
            Fault::server_error(504),
            // Longer than the client's 300 ms timeout: it gives up and polls again.
            Fault::hang(),
        ],
    );
    let device = sim_bot(&sim)
        .sync_session(DEVICE_ID)
        .min_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(10))
        .timeout(Duration::from_secs(20))
        .execute()
        .await
        .unwrap();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    assert_eq!(sim.route_count("GET", SYNC), 1);
    // One request per scripted fault, in order, then the model's `online`.
    assert_eq!(
        faults_met(&sim, READ),
        [
            Some("drop_before"),
            Some("server_error"),
            Some("answer"),
            Some("server_error"),
            Some("server_error"),
            Some("hang"),
            None
        ]
    );
    assert!(sim.pending_faults().is_empty());
}

#[tokio::test]
async fn each_poll_is_one_request_the_poll_schedule_is_the_only_retry_loop() {
    let sim = simulator(sales(SessionStatus::Online)).await;
    sim.inject_sequence("GET", READ, [503, 502, 504].map(Fault::server_error));
    let bot = sim_bot(&sim);
    let (result, attempts) = sparkbot_api::with_attempts(
        bot.sync_session(DEVICE_ID)
            .min_interval(Duration::from_millis(5))
            .max_interval(Duration::from_millis(10))
            .timeout(Duration::from_secs(20))
            .execute(),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    // What reached the server: the trigger and four reads, each one request, in the poll's
    // order; a retry by the pipeline would be a request more.
    let wire: Vec<(String, Option<u16>)> = sim
        .requests()
        .into_iter()
        .map(|r| (r.path, r.status))
        .collect();
    let read = format!("/devices/{DEVICE_ID}");
    assert_eq!(
        wire,
        [
            (format!("{read}/sync"), Some(200)),
            (read.clone(), Some(503)),
            (read.clone(), Some(502)),
            (read.clone(), Some(504)),
            (read, Some(200)),
        ]
    );
    // And as the client recorded them: five first attempts, none of which waited.
    assert_eq!(attempts.len(), 5, "{attempts:?}");
    assert!(
        attempts.iter().all(|a| a.number == 1 && a.wait.is_none()),
        "{attempts:?}"
    );
}

#[tokio::test]
async fn a_sync_by_alias_rides_out_a_failing_lookup() {
    // Listed `offline`; the sync brings it online.
    let device = sales(SessionStatus::Offline).on_sync(Duration::ZERO, SessionStatus::Online);
    let sim = simulator(device).await;
    sim.inject_sequence(
        "GET",
        LIST,
        [Fault::server_error(500), Fault::drop_before()],
    );
    let device = sim_bot(&sim)
        .sync_session("sales")
        .min_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(10))
        .timeout(Duration::from_secs(20))
        .execute()
        .await
        .unwrap();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    // Both failures, then the model's list, which is read once.
    assert_eq!(
        faults_met(&sim, LIST),
        [Some("server_error"), Some("drop_before"), None]
    );
    assert_eq!(sim.route_count("GET", SYNC), 1);
}

#[tokio::test]
async fn a_404_that_is_not_the_apis_answer_is_not_device_not_found() {
    let html_404 = || Fault::answer(Answer::new(404).html("<html><body>Cannot GET</body></html>"));
    // On the trigger, and on a read.
    for (sync, phase) in [
        (Some(html_404()), "triggering the sync"),
        (None, "reading the device"),
    ] {
        let sim = simulator(sales(SessionStatus::Loading)).await;
        if let Some(fault) = sync {
            sim.inject(fault.on_route("GET", SYNC));
        }
        sim.inject(html_404().on_route("GET", READ));
        let err = sim_bot(&sim)
            .sync_session(DEVICE_ID)
            .min_interval(Duration::from_millis(5))
            .timeout(Duration::from_secs(20))
            .execute()
            .await
            .unwrap_err();
        match &err {
            Error::SessionSyncFailed {
                device_id, error, ..
            } => {
                assert_eq!(device_id, DEVICE_ID);
                assert!(matches!(**error, Error::NotFound(_)), "{error:?}");
            }
            other => panic!("{other:?}"),
        }
        let text = err.to_string();
        for part in [DEVICE_ID, phase, "base URL"] {
            assert!(text.contains(part), "{part:?} not in {text}");
        }
    }
    // The API's own JSON 404 on a read still says the device does not exist.
    let sim = simulator(sales(SessionStatus::Loading)).await;
    sim.inject(
        Fault::answer(Answer::api_error(
            404,
            "device:not_found",
            "Device not found",
        ))
        .on_route("GET", READ),
    );
    let err = sim_bot(&sim)
        .sync_session(DEVICE_ID)
        .execute()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::DeviceNotFound { key, .. } if key == &format!("id {DEVICE_ID}")),
        "{err:?}"
    );
    assert_eq!(sim.route_count("GET", SYNC), 1);
}
