//! Session sync over HTTP, in real time with millisecond intervals (the loop's timing rules are
//! unit-tested with paused time inside sparkbot-extras).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::MockServer;
use serde_json::json;
use sparkbot_api::types;
use sparkbot_extras::session::SyncPhase;
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

/// One scripted answer of [`Scripted`].
#[derive(Clone, Debug)]
enum Reply {
    /// An HTTP response.
    Answer {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Close the connection without answering (a dropped connection).
    Drop,
    /// Keep the connection open and never answer (the client's request timeout ends it).
    Hang,
}

fn json_reply(status: u16, value: serde_json::Value) -> Reply {
    Reply::Answer {
        status,
        headers: vec![("content-type", "application/json".to_owned())],
        body: value.to_string(),
    }
}

fn api_error_reply(status: u16) -> Reply {
    json_reply(
        status,
        json!({"status": status, "errorCode": "server", "message": "scripted failure"}),
    )
}

fn device_reply(status: &str, session: &str) -> Reply {
    json_reply(
        200,
        json!({
            "id": DEVICE_ID, "phone": "+447911123456", "alias": "sales",
            "status": status, "session": {"status": session}
        }),
    )
}

fn sync_ok() -> Reply {
    json_reply(200, json!({"status": "syncing"}))
}

/// A tiny HTTP/1.1 server on std threads that answers each route (`list` for `GET /devices`,
/// `sync` for `GET /devices/{id}/sync`, `device` for `GET /devices/{id}`) from its own script,
/// in order, the last reply repeating; it logs the route of every request it reads. Unlike
/// httpmock it can drop a connection or hang, and its order is exact, so no test needs timing.
struct Scripted {
    root: String,
    log: Arc<Mutex<Vec<&'static str>>>,
}

impl Scripted {
    fn start(routes: Vec<(&'static str, Vec<Reply>)>) -> Self {
        use std::collections::{HashMap, VecDeque};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let root = format!("http://{}", listener.local_addr().unwrap());
        let scripts: HashMap<&'static str, VecDeque<Reply>> = routes
            .into_iter()
            .map(|(route, replies)| (route, replies.into()))
            .collect();
        let scripts = Arc::new(Mutex::new(scripts));
        let log = Arc::new(Mutex::new(Vec::new()));
        let server_log = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (scripts, log) = (scripts.clone(), server_log.clone());
                std::thread::spawn(move || Self::serve(stream, &scripts, &log));
            }
        });
        Self { root, log }
    }

    fn serve(
        mut stream: std::net::TcpStream,
        scripts: &Mutex<std::collections::HashMap<&'static str, std::collections::VecDeque<Reply>>>,
        log: &Mutex<Vec<&'static str>>,
    ) {
        use std::io::{Read, Write};
        let mut head = Vec::new();
        let mut buf = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let path = head.split_whitespace().nth(1).unwrap_or("/");
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let route = match segments.as_slice() {
            ["devices"] => "list",
            ["devices", _, "sync"] => "sync",
            ["devices", _] => "device",
            _ => "other",
        };
        log.lock().unwrap().push(route);
        let reply = {
            let mut scripts = scripts.lock().unwrap();
            match scripts.get_mut(route) {
                Some(queue) if queue.len() > 1 => queue.pop_front(),
                Some(queue) => queue.front().cloned(),
                None => None,
            }
        };
        match reply.unwrap_or_else(|| api_error_reply(418)) {
            Reply::Drop => drop(stream),
            Reply::Hang => std::thread::sleep(Duration::from_secs(30)),
            Reply::Answer {
                status,
                headers,
                body,
            } => {
                let mut text = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    text.push_str(&format!("{name}: {value}\r\n"));
                }
                text.push_str("\r\n");
                text.push_str(&body);
                let _ = stream.write_all(text.as_bytes());
            }
        }
    }

    /// A bot on this server with the default retry policy and a short request timeout.
    fn bot(&self) -> SparkBot {
        let config = sparkbot_api::ClientConfig::new(
            self.root.clone(),
            sparkbot_api::ApiKey::new(TEST_API_KEY).unwrap(),
        )
        .with_timeout(Duration::from_millis(300));
        SparkBot::new(config.build().unwrap())
    }

    /// How many requests each route got.
    fn count(&self, route: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| **r == route)
            .count()
    }
}

#[tokio::test]
async fn a_huge_retry_after_ends_at_the_deadline_without_panicking() {
    let server = Scripted::start(vec![
        ("sync", vec![sync_ok()]),
        (
            "device",
            vec![Reply::Answer {
                status: 429,
                headers: vec![
                    ("content-type", "application/json".to_owned()),
                    ("retry-after", u64::MAX.to_string()),
                ],
                body: json!({"status": 429, "message": "slow down"}).to_string(),
            }],
        ),
    ]);
    let err = server
        .bot()
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
    assert_eq!(server.count("device"), 1);
}

#[tokio::test]
async fn passing_faults_and_transport_errors_are_ridden_out_by_the_poll_schedule() {
    let server = Scripted::start(vec![
        ("sync", vec![api_error_reply(500)]),
        (
            "device",
            vec![
                Reply::Drop,
                api_error_reply(500),
                Reply::Answer {
                    status: 502,
                    headers: vec![("content-type", "text/html".to_owned())],
                    body: "<html>Bad Gateway</html>".to_owned(),
                },
                api_error_reply(503),
                api_error_reply(504),
                Reply::Hang,
                device_reply("operative", "online"),
            ],
        ),
    ]);
    let device = server
        .bot()
        .sync_session(DEVICE_ID)
        .min_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(10))
        .timeout(Duration::from_secs(20))
        .execute()
        .await
        .unwrap();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    assert_eq!(server.count("sync"), 1);
    assert_eq!(server.count("device"), 7, "one request per scripted reply");
}

#[tokio::test]
async fn each_poll_is_one_request_the_poll_schedule_is_the_only_retry_loop() {
    let server = Scripted::start(vec![
        ("sync", vec![sync_ok()]),
        (
            "device",
            vec![
                api_error_reply(503),
                api_error_reply(502),
                api_error_reply(504),
                device_reply("operative", "online"),
            ],
        ),
    ]);
    let bot = server.bot();
    let (result, attempts) = sparkbot_api::with_attempts(
        bot.sync_session(DEVICE_ID)
            .min_interval(Duration::from_millis(5))
            .max_interval(Duration::from_millis(10))
            .timeout(Duration::from_secs(20))
            .execute(),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(server.count("device"), 4);
    // The trigger and four reads, each one attempt: the pipeline retried none of them.
    assert_eq!(attempts.len(), 5, "{attempts:?}");
    assert!(
        attempts.iter().all(|a| a.number == 1 && a.wait.is_none()),
        "{attempts:?}"
    );
}

#[tokio::test]
async fn a_sync_by_alias_rides_out_a_failing_lookup() {
    let listed = json_reply(
        200,
        json!([{ "id": DEVICE_ID, "phone": "+447911123456", "alias": "sales",
                 "status": "operative", "session": {"status": "offline"} }]),
    );
    let server = Scripted::start(vec![
        ("list", vec![api_error_reply(500), Reply::Drop, listed]),
        ("sync", vec![sync_ok()]),
        ("device", vec![device_reply("operative", "online")]),
    ]);
    let device = server
        .bot()
        .sync_session("sales")
        .min_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(10))
        .timeout(Duration::from_secs(20))
        .execute()
        .await
        .unwrap();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    assert!(server.count("list") >= 3);
}

#[tokio::test]
async fn a_404_that_is_not_the_apis_answer_is_not_device_not_found() {
    let html_404 = || Reply::Answer {
        status: 404,
        headers: vec![("content-type", "text/html".to_owned())],
        body: "<html><body>Cannot GET</body></html>".to_owned(),
    };
    // On the trigger, and on a read.
    for (sync, phase) in [
        (html_404(), "triggering the sync"),
        (sync_ok(), "reading the device"),
    ] {
        let server = Scripted::start(vec![("sync", vec![sync]), ("device", vec![html_404()])]);
        let err = server
            .bot()
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
    let server = Scripted::start(vec![
        ("sync", vec![sync_ok()]),
        (
            "device",
            vec![json_reply(
                404,
                json!({"status": 404, "errorCode": "device:not_found", "message": "Device not found"}),
            )],
        ),
    ]);
    let err = server
        .bot()
        .sync_session(DEVICE_ID)
        .execute()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::DeviceNotFound { key, .. } if key == &format!("id {DEVICE_ID}")),
        "{err:?}"
    );
}
