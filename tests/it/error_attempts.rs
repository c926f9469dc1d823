//! The attempt history on `sparkbot_extras::Error`: each workflow's failure carries the attempts
//! of the request that failed (statuses, failure kinds, waits, a send's lookup), through the
//! variants that wrap another error too; errors raised before any I/O carry none; and the
//! transport wrapper keeps the message and the source chain of the reqwest error it holds.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use httpmock::{HttpMockResponse, Method, MockServer};
use serde_json::json;
use sparkbot_api::{AttemptRecord, FailureKind, Lookup, SendPolicy};
use sparkbot_extras::{Error, FileSource, Paging, RetryPolicy, SparkBot, TransportFailure};
use sparkbot_tests::{DEVICE_ID, api_error, authed, config, fast_retries};

/// Up to five attempts with millisecond backoffs: every retry shows in the history, and no
/// test waits long.
fn retries() -> RetryPolicy {
    fast_retries().with_max_attempts(5)
}

fn bot(server: &MockServer) -> SparkBot {
    SparkBot::new(config(server).with_retry(retries()).build().unwrap())
}

fn error_body(status: u16) -> String {
    serde_json::to_string(&api_error(status, "test", "scripted failure")).unwrap()
}

/// Answers `method path` with `statuses` in order (the API's JSON error for an error status),
/// the last one again once they are used up.
fn scripted<'a>(
    server: &'a MockServer,
    method: Method,
    path: &str,
    statuses: &'static [u16],
) -> httpmock::Mock<'a> {
    let calls = Arc::new(AtomicUsize::new(0));
    server.mock(|when, then| {
        authed(when.method(method).path(path));
        then.respond_with(move |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let status = statuses[n.min(statuses.len() - 1)];
            HttpMockResponse::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(error_body(status))
                .build()
        });
    })
}

fn statuses(attempts: &[AttemptRecord]) -> Vec<Option<u16>> {
    attempts.iter().map(|a| a.status).collect()
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
fn refused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What `Display` of `Error::Transport` was before the wrapper: "transport error: " and the
/// reqwest error's message followed by each source's message not already in the text.
fn old_transport_text(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    format!("transport error: {text}")
}

#[tokio::test]
async fn a_read_that_fails_after_retries_carries_each_attempt() {
    let server = sparkbot_tests::server().await;
    let device = format!("/devices/{DEVICE_ID}");
    let mock = scripted(&server, Method::GET, &device, &[503, 503, 500]);
    let err = bot(&server).device(DEVICE_ID).await.unwrap_err();
    assert!(
        matches!(&err, Error::Server(f) if f.status() == 500),
        "{err:?}"
    );
    assert_eq!(mock.calls(), 3);

    let attempts = err.attempts();
    assert_eq!(
        statuses(attempts),
        [Some(503), Some(503), Some(500)],
        "{attempts:?}"
    );
    assert_eq!(
        attempts.iter().map(|a| a.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    for retried in &attempts[..2] {
        assert_eq!(
            retried.failure,
            Some(FailureKind::Unavailable { retry_after: None })
        );
        assert!(
            retried.wait.is_some(),
            "a retried attempt waits: {retried:?}"
        );
    }
    // A 500 is not retried: the last attempt is the answer, with no wait after it.
    assert_eq!(attempts[2].wait, None);
    assert_eq!(attempts[2].failure, None);
    // The same history, read through the response the error keeps.
    assert_eq!(err.api_failure().unwrap().attempts(), attempts);
}

/// The workflows record each request in a `with_attempts` of their own; a caller's own around
/// a workflow still sees every attempt.
#[tokio::test]
async fn a_callers_own_with_attempts_still_sees_the_attempts_of_a_workflow() {
    let server = sparkbot_tests::server().await;
    let device = format!("/devices/{DEVICE_ID}");
    scripted(&server, Method::GET, &device, &[503, 500]);
    let (result, outer) = sparkbot_api::with_attempts(bot(&server).device(DEVICE_ID)).await;
    let err = result.unwrap_err();
    assert_eq!(statuses(&outer), [Some(503), Some(500)], "{outer:?}");
    assert_eq!(err.attempts(), outer);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_with_its_connect_attempts() {
    let base = format!("http://127.0.0.1:{}", refused_port());
    let bot = SparkBot::new(
        sparkbot_api::ClientConfig::new(
            base,
            sparkbot_api::ApiKey::new(sparkbot_tests::TEST_API_KEY).unwrap(),
        )
        .with_retry(fast_retries().with_max_attempts(3))
        .build()
        .unwrap(),
    );
    let err = bot.device(DEVICE_ID).await.unwrap_err();
    let Error::Transport(failure) = &err else {
        panic!("expected a transport error: {err:?}");
    };
    assert!(failure.is_connect(), "{failure:?}");
    assert!(!failure.is_timeout());
    assert_eq!(err.failure_kind(), FailureKind::Connect);
    assert!(err.is_transient());

    let attempts = err.attempts();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert!(
        attempts
            .iter()
            .all(|a| a.failure == Some(FailureKind::Connect) && a.status.is_none()),
        "{attempts:?}"
    );
    assert!(attempts[..2].iter().all(|a| a.wait.is_some()));
    assert_eq!(attempts[2].wait, None);
    assert_eq!(failure.attempts(), attempts);

    // `Display` is what it was when the variant held the reqwest error itself, cause included.
    let text = err.to_string();
    assert_eq!(text, old_transport_text(failure.reqwest_error()));
    assert!(
        text.to_ascii_lowercase().contains("connection refused"),
        "{text}"
    );
    // The wrapper reads as the reqwest error, and the source chain still reaches it.
    assert_eq!(failure.to_string(), failure.reqwest_error().to_string());
    let mut chain = std::error::Error::source(&err);
    let mut found = false;
    while let Some(e) = chain {
        found |= e.downcast_ref::<reqwest::Error>().is_some();
        chain = e.source();
    }
    assert!(found, "no reqwest::Error in the source chain of {err:?}");
}

#[tokio::test]
async fn a_send_that_times_out_is_outcome_unknown_with_its_attempt_and_lookup() {
    let server = sparkbot_tests::server().await;
    let send = server.mock(|when, then| {
        authed(when.method(Method::POST).path("/messages"));
        then.status(201)
            .header("content-type", "application/json")
            .json_body(json!({"id": sparkbot_tests::MESSAGE_ID}))
            .delay(Duration::from_millis(1500));
    });
    // The lookup of the reference finds nothing.
    let lookup = server.mock(|when, then| {
        authed(when.method(Method::GET).path("/messages"));
        then.status(200)
            .header("content-type", "application/json")
            .body("[]");
    });
    let bot = SparkBot::new(
        config(&server)
            .with_retry(retries())
            .with_timeout(Duration::from_millis(150))
            .with_send_policy(SendPolicy::never_resend().with_lookups(1, Duration::from_millis(5)))
            .build()
            .unwrap(),
    );
    let err = bot
        .send_text(DEVICE_ID, "+447911123456", "hello")
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { reference, source } = &err else {
        panic!("expected an unknown outcome: {err:?}");
    };
    assert!(reference.is_some());
    assert!(
        matches!(&**source, Error::Timeout(t) if t.is_timeout()),
        "{source:?}"
    );
    assert_eq!(send.calls(), 1, "a timed-out send is not sent again");
    assert_eq!(lookup.calls(), 1);

    // The send's own attempt, the lookup on it; the lookup's request is not a send attempt.
    let attempts = err.attempts();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].failure, Some(FailureKind::Timeout));
    assert_eq!(attempts[0].status, None);
    assert_eq!(attempts[0].lookup, Some(Lookup::Absent));
    assert_eq!(source.attempts(), attempts);
}

#[tokio::test]
async fn errors_raised_before_any_request_carry_no_attempts() {
    let server = sparkbot_tests::server().await;
    let any = server.mock(|_, then| {
        then.status(500);
    });
    let bot = bot(&server);
    let cases = [
        bot.device("not-a-device-id").await.unwrap_err(),
        bot.send_text(DEVICE_ID, "not a phone", "hello")
            .await
            .unwrap_err(),
        bot.download_file("nope").await.unwrap_err(),
    ];
    for err in &cases {
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        assert!(err.attempts().is_empty(), "{err:?}");
    }
    assert_eq!(any.calls(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_body_that_does_not_decode_carries_its_attempt() {
    let server = sparkbot_tests::server().await;
    server.mock(|when, then| {
        authed(
            when.method(Method::GET)
                .path(format!("/devices/{DEVICE_ID}")),
        );
        then.status(200)
            .header("content-type", "application/json")
            .body(r#"{"id": "5f0a1b2c3d4e5f6a7b8c9d0e", "sta"#);
    });
    let err = bot(&server).device(DEVICE_ID).await.unwrap_err();
    assert!(matches!(&err, Error::Decode { .. }), "{err:?}");
    let attempts = err.attempts();
    assert_eq!(statuses(attempts), [Some(200)], "{attempts:?}");
    assert_eq!(attempts[0].failure, None);
}

#[tokio::test]
async fn a_failed_page_of_the_device_listing_carries_its_attempts() {
    let server = sparkbot_tests::server().await;
    let list = scripted(&server, Method::GET, "/devices", &[502]);
    // An alias is looked up by listing the devices: `devices_stream` underneath.
    let err = bot(&server).find_device("sales").await.unwrap_err();
    assert!(
        matches!(&err, Error::Server(f) if f.status() == 502),
        "{err:?}"
    );
    assert_eq!(list.calls(), 5);
    let attempts = err.attempts();
    assert_eq!(statuses(attempts), [Some(502); 5], "{attempts:?}");
    assert!(
        attempts
            .iter()
            .all(|a| a.failure == Some(FailureKind::Status(502))),
        "{attempts:?}"
    );
    assert!(attempts[..4].iter().all(|a| a.wait.is_some()));
}

#[tokio::test]
async fn a_failed_page_of_a_fetcher_of_ones_own_carries_its_attempts() {
    let server = sparkbot_tests::server().await;
    let list = scripted(&server, Method::GET, "/devices", &[504, 400]);
    let err = bot(&server)
        .paginate(Paging::with_max_size(50), |api, page| async move {
            api.list_devices()
                .page(page.number)
                .size(page.size)
                .send()
                .await
        })
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    // A 400 on the first page is an error (past it, the end of the listing).
    assert!(matches!(&err, Error::Validation { .. }), "{err:?}");
    assert_eq!(list.calls(), 2);
    let attempts = err.attempts();
    assert_eq!(statuses(attempts), [Some(504), Some(400)], "{attempts:?}");
    assert_eq!(attempts[0].failure, Some(FailureKind::Status(504)));
}

#[tokio::test]
async fn a_webhook_lookup_whose_listing_is_refused_carries_its_attempt() {
    let server = sparkbot_tests::server().await;
    let list = scripted(&server, Method::GET, "/webhooks", &[401]);
    let err = bot(&server)
        .ensure_webhook("https://bot.example.com/hook")
        .event(sparkbot_api::types::WebhookEventName::MessageInNew)
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Unauthorized(_)), "{err:?}");
    assert_eq!(list.calls(), 1);
    assert_eq!(statuses(err.attempts()), [Some(401)]);
}

#[tokio::test]
async fn a_session_sync_that_gives_up_keeps_the_attempts_of_its_fault() {
    let server = sparkbot_tests::server().await;
    let sync = format!("/devices/{DEVICE_ID}/sync");
    scripted(&server, Method::GET, &sync, &[401]);
    let err = bot(&server)
        .sync_session(DEVICE_ID)
        .execute()
        .await
        .unwrap_err();
    let Error::SessionSyncFailed { error, .. } = &err else {
        panic!("expected a failed sync: {err:?}");
    };
    assert!(matches!(&**error, Error::Unauthorized(_)), "{error:?}");
    assert_eq!(statuses(err.attempts()), [Some(401)]);
    assert_eq!(error.attempts(), err.attempts());
}

#[tokio::test]
async fn a_session_sync_that_times_out_keeps_the_attempts_of_its_last_fault() {
    let server = sparkbot_tests::server().await;
    let device = format!("/devices/{DEVICE_ID}");
    let reads = scripted(&server, Method::GET, &device, &[503]);
    let err = bot(&server)
        .sync_session(DEVICE_ID)
        .trigger_sync(false)
        .min_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(10))
        .timeout(Duration::from_millis(300))
        .execute()
        .await
        .unwrap_err();
    let Error::SessionTimedOut { last_error, .. } = &err else {
        panic!("expected a timed-out sync: {err:?}");
    };
    assert!(
        matches!(last_error.as_deref(), Some(Error::Server(f)) if f.status() == 503),
        "{err:?}"
    );
    assert!(reads.calls() >= 1);
    // Each read of a sync is one request (the poll schedule is the retry loop): the last
    // fault's history is its one attempt.
    let attempts = err.attempts();
    assert_eq!(statuses(attempts), [Some(503)], "{attempts:?}");
    assert_eq!(attempts[0].wait, None);
}

#[tokio::test]
async fn an_upload_answered_500_is_outcome_unknown_with_its_attempt() {
    let server = sparkbot_tests::server().await;
    let upload = scripted(&server, Method::POST, "/files", &[500]);
    let err = bot(&server)
        .upload(FileSource::bytes(b"hello".to_vec(), "hello.txt"))
        .send()
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { source, .. } = &err else {
        panic!("expected an unknown outcome: {err:?}");
    };
    assert!(
        matches!(&**source, Error::Server(f) if f.status() == 500),
        "{source:?}"
    );
    assert_eq!(upload.calls(), 1);
    assert_eq!(statuses(err.attempts()), [Some(500)]);
}

#[tokio::test]
async fn a_download_refused_by_the_api_carries_its_attempts() {
    let server = sparkbot_tests::server().await;
    let path = format!("/files/{DEVICE_ID}/download");
    let download = scripted(&server, Method::GET, &path, &[503, 404]);
    let err = bot(&server).download_file(DEVICE_ID).await.unwrap_err();
    assert!(matches!(&err, Error::NotFound(_)), "{err:?}");
    assert_eq!(download.calls(), 2);
    assert_eq!(statuses(err.attempts()), [Some(503), Some(404)]);
}

/// A server that answers one request with a 200 whose body stops short of its
/// `Content-Length`, then closes the connection.
fn truncating_server() -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                return;
            }
            request.extend_from_slice(&buf[..n]);
        }
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
                  content-length: 1000\r\n\r\nonly the start",
            )
            .unwrap();
        stream.flush().unwrap();
    });
    (base, handle)
}

#[tokio::test]
async fn a_download_whose_body_breaks_off_carries_the_attempts_of_its_request() {
    let (base, server) = truncating_server();
    let bot = SparkBot::new(
        sparkbot_api::ClientConfig::new(
            base,
            sparkbot_api::ApiKey::new(sparkbot_tests::TEST_API_KEY).unwrap(),
        )
        .with_retry(retries())
        .build()
        .unwrap(),
    );
    let download = bot
        .download_file(DEVICE_ID)
        .await
        .expect("the headers arrive");
    let err = download.bytes().await.unwrap_err();
    server.join().unwrap();
    let failure: &TransportFailure = match &err {
        Error::Transport(f) | Error::Timeout(f) => f,
        other => panic!("expected a transport error: {other:?}"),
    };
    assert!(!failure.is_connect());
    // The request itself succeeded in one attempt; the body failed after it.
    assert_eq!(statuses(err.attempts()), [Some(200)], "{err:?}");
}
