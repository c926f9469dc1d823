//! Session sync over HTTP, in real time with millisecond intervals (the loop's timing rules are
//! unit-tested with paused time inside sparkbot-extras).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::MockServer;
use serde_json::json;
use sparkbot_api::types;
use sparkbot_extras::{Error, RequiredAction, SparkBot};
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
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    list.assert();
}
