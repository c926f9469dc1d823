//! sparkbot-extras against httpmock: the fault matrix, retries, device lookup, pagination,
//! sending, and the API key staying out of every output.

use std::time::Duration;

use futures::TryStreamExt;
use httpmock::{Method, MockServer};
use serde_json::json;
use sparkbot_api::types::{self, DeviceStatusFilter, MessageStatus, SessionStatusFilter};
use sparkbot_api::{ApiKey, ClientConfig};
use sparkbot_extras::{
    DeviceFilter, Error, NonIdempotentRetry, RetryPolicy, SparkBot, paging::Paging,
};
use sparkbot_tests::{DEVICE_ID, MESSAGE_ID, MockServerExt, TEST_API_KEY, api_error, authed};

/// Three attempts, millisecond backoff: retries are visible in hit counts without slowing tests.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(2), Duration::from_millis(5))
}

fn bot(server: &MockServer) -> SparkBot {
    bot_with(server, fast_retries())
}

fn bot_with(server: &MockServer, retry: RetryPolicy) -> SparkBot {
    SparkBot::new(
        ClientConfig::new(server.base_url(), ApiKey::new(TEST_API_KEY).unwrap())
            .with_timeout(Duration::from_millis(300))
            .with_retry(retry)
            .build()
            .expect("valid configuration"),
    )
}

fn device_json(id: &str, phone: &str, alias: &str, status: &str, session: &str) -> types::Device {
    sparkbot_tests::from_json(json!({
        "id": id, "phone": phone, "alias": alias,
        "wid": format!("{}@c.us", phone.trim_start_matches('+')),
        "status": status, "session": {"status": session}
    }))
}

fn device_id(n: usize) -> String {
    format!("{n:024x}")
}

/// Mocks `GET /devices/{id}` answering `status` with `body` (raw) and optional headers.
fn raw_get_device<'a>(
    server: &'a MockServer,
    status: u16,
    content_type: &str,
    body: &str,
    retry_after: Option<&str>,
) -> httpmock::Mock<'a> {
    server.mock(|when, then| {
        authed(
            when.method(Method::GET)
                .path(format!("/devices/{DEVICE_ID}")),
        );
        let mut then = then.status(status).header("content-type", content_type);
        if let Some(value) = retry_after {
            then = then.header("retry-after", value);
        }
        then.body(body);
    })
}

fn json_error(status: u16, code: &str, message: &str) -> String {
    serde_json::to_string(&api_error(status, code, message)).unwrap()
}

#[tokio::test]
async fn fault_matrix_maps_each_failure_and_retries_only_where_allowed() {
    let server = sparkbot_tests::server().await;
    let bot = bot(&server);
    let mut outputs = Vec::new();

    // (status, content type, body, retry-after, expected hits, check)
    type Check = fn(&Error) -> bool;
    type Case = (
        u16,
        &'static str,
        String,
        Option<&'static str>,
        usize,
        Check,
    );
    let cases: Vec<Case> = vec![
        (401, "application/json", json_error(401, "auth:invalid", "Invalid API key"), None, 1,
            |e| matches!(e, Error::Unauthorized(f) if f.error_code() == Some("auth:invalid"))),
        (403, "application/json", json_error(403, "auth:scope", "No access"), None, 1,
            |e| matches!(e, Error::Forbidden(_))),
        (404, "application/json", json_error(404, "not_found", "Device not found"), None, 1,
            |e| matches!(e, Error::DeviceNotFound { key, searched: None, response: Some(_) } if key.contains(DEVICE_ID))),
        (409, "application/json", json_error(409, "conflict", "Busy"), None, 1,
            |e| matches!(e, Error::Conflict(_))),
        (429, "application/json", json_error(429, "rate_limit", "Slow down"), None, 3,
            |e| matches!(e, Error::RateLimited { retry_after: None, .. })),
        (429, "application/json", json_error(429, "rate_limit", "Slow down"), Some("0"), 3,
            |e| e.retry_after() == Some(Duration::ZERO)),
        // A wait longer than the policy honours ends the retries and is handed to the caller.
        (429, "application/json", json_error(429, "rate_limit", "Slow down"), Some("120"), 1,
            |e| e.retry_after() == Some(Duration::from_secs(120))),
        (500, "application/json", json_error(500, "internal", "Boom"), None, 1,
            |e| matches!(e, Error::Server(f) if f.status() == 500)),
        (502, "application/json", json_error(502, "gateway", "Bad gateway"), None, 3,
            |e| matches!(e, Error::Server(f) if f.status() == 502)),
        (503, "application/json", json_error(503, "unavailable", "Down"), None, 3,
            |e| matches!(e, Error::Server(f) if f.status() == 503)),
        (503, "text/html", "<html><body>Service Unavailable</body></html>".into(), None, 3,
            |e| matches!(e, Error::Server(f) if !f.is_json() && f.body().contains("<html>"))),
        (400, "application/json",
            r#"{"status":400,"message":"Invalid","errorCode":"validation","errors":[{"location":"phone","message":"bad phone"}]}"#.into(),
            None, 1,
            |e| matches!(e, Error::Validation { response } if response.field_errors()[0].location.as_deref() == Some("phone"))),
        (200, "application/json", r#"{"id":"5f0a1b2c3d4e5f6a7b8c9d0e","sta"#.into(), None, 1,
            |e| matches!(e, Error::Decode { .. })),
        (200, "application/json", r#"{"id":"5f0a1b2c3d4e5f6a7b8c9d0e","status":7}"#.into(), None, 1,
            |e| matches!(e, Error::Decode { .. })),
    ];
    for (status, content_type, body, retry_after, hits, check) in cases {
        let mut mock = raw_get_device(&server, status, content_type, &body, retry_after);
        let err = bot.device(DEVICE_ID).await.unwrap_err();
        let label = format!("{status} {content_type} retry-after={retry_after:?}");
        assert!(check(&err), "{label}: unexpected {err:?}");
        assert_eq!(mock.calls(), hits, "{label}: {err}");
        if status >= 400 {
            assert_eq!(err.status(), Some(status), "{label}");
        }
        outputs.push(format!("{err} {err:?}"));
        mock.delete();
    }
    for text in &outputs {
        assert!(!text.contains(TEST_API_KEY), "the key leaked: {text}");
    }
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_is_a_timeout_retried_for_reads() {
    let server = sparkbot_tests::server().await;
    let device = device_json(DEVICE_ID, "+447911123456", "sales", "operative", "online");
    let slow = server.get_device(|when, then| {
        let when = when.device_id(&DEVICE_ID.parse().unwrap());
        authed(when.into_inner());
        then.ok(&device)
            .into_inner()
            .delay(Duration::from_millis(1500));
    });
    let err = bot(&server).device(DEVICE_ID).await.unwrap_err();
    // Three attempts, each cut by the client's timeout rather than served after the delay.
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(slow.calls(), 3);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bot = SparkBot::new(
        ClientConfig::new(
            format!("http://127.0.0.1:{port}"),
            ApiKey::new(TEST_API_KEY).unwrap(),
        )
        .with_retry(fast_retries())
        .build()
        .unwrap(),
    );
    let err = bot.device(DEVICE_ID).await.unwrap_err();
    match &err {
        Error::Transport(e) => assert!(e.is_connect(), "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains(TEST_API_KEY));
}

#[tokio::test]
async fn a_transient_failure_then_success_is_retried_transparently() {
    let server = sparkbot_tests::server().await;
    let device = device_json(DEVICE_ID, "+447911123456", "sales", "operative", "online");
    // The first two requests meet an HTML 502 from a proxy, the third the API.
    let failing = server.mock(|when, then| {
        authed(
            when.method(Method::GET)
                .path(format!("/devices/{DEVICE_ID}")),
        );
        then.status(502)
            .header("content-type", "text/html")
            .body("<html>Bad Gateway</html>")
            .up_to_n_times(2);
    });
    let ok = server.get_device(|when, then| {
        authed(when.device_id(&DEVICE_ID.parse().unwrap()).into_inner());
        then.ok(&device);
    });
    let found = bot(&server).device(DEVICE_ID).await.unwrap();
    assert_eq!(found.id.as_deref(), Some(DEVICE_ID));
    assert_eq!(failing.calls(), 2);
    assert_eq!(ok.calls(), 1);
}

#[tokio::test]
async fn sending_is_never_resent_unless_the_caller_opts_in() {
    let server = sparkbot_tests::server().await;
    let mut unavailable = server.send_message(|when, then| {
        authed(
            when.into_inner()
                .json_body_includes(r#"{"phone":"+447911123456"}"#),
        );
        then.server_error(503, &api_error(503, "unavailable", "Down"));
    });
    let err = bot(&server)
        .send_text(DEVICE_ID, "0044 7911 123456", "hello")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server(_)), "{err:?}");
    assert_eq!(
        unavailable.calls(),
        1,
        "a send must not be re-sent by default"
    );

    // Opted in for "certainly unprocessed" failures: a 503 is still not re-sent…
    let unprocessed = fast_retries().with_non_idempotent(NonIdempotentRetry::Unprocessed);
    let opted = bot_with(&server, unprocessed);
    opted
        .send_text(DEVICE_ID, "+447911123456", "hello")
        .await
        .unwrap_err();
    assert_eq!(unavailable.calls(), 2);
    unavailable.delete();

    // …but a 429 (rejected before processing) is.
    let mut limited = server.send_message(|when, then| {
        authed(when.into_inner());
        then.too_many_requests(&api_error(429, "rate_limit", "Slow down"));
    });
    let err = opted
        .send_text(DEVICE_ID, "+447911123456", "hello")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }));
    assert_eq!(limited.calls(), 3);
    limited.delete();

    let sent: types::Message = sparkbot_tests::from_json(json!({
        "id": MESSAGE_ID, "status": "queued", "phone": "+447911123456"
    }));
    let created = server.send_message(|when, then| {
        authed(
            when.into_inner()
                .json_body_includes(r#"{"message":"hello"}"#)
                .json_body_includes(format!(r#"{{"device":"{DEVICE_ID}"}}"#)),
        );
        then.created(&sent);
    });
    let message = bot(&server)
        .send_text(DEVICE_ID, "+44 7911 123456", "hello")
        .await
        .unwrap();
    assert_eq!(message.id.as_deref(), Some(MESSAGE_ID));
    created.assert();

    let err = bot(&server)
        .send_text(DEVICE_ID, "07911 123456", "hello")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("country code")),
        "{err:?}"
    );
}

/// 103 devices over two pages (100 + 3).
fn mock_device_pages(server: &MockServer) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let mut devices: Vec<types::Device> = (0..103)
        .map(|n| {
            device_json(
                &device_id(n),
                &format!("+3460000{n:04}"),
                &format!("line-{n}"),
                "operative",
                "online",
            )
        })
        .collect();
    devices[101] = device_json(
        &device_id(101),
        "+447911123456",
        "Sales",
        "operative",
        "online",
    );
    devices[102] = device_json(
        &device_id(102),
        "+447911123457",
        "Twin",
        "operative",
        "conflict",
    );
    devices[10].alias = Some("twin".into());
    let first: Vec<_> = devices[..100].to_vec();
    let second: Vec<_> = devices[100..].to_vec();
    let page0 = server.list_devices(|when, then| {
        authed(
            when.page(0)
                .size(std::num::NonZeroU64::new(100))
                .into_inner(),
        );
        then.ok(&first);
    });
    let page1 = server.list_devices(|when, then| {
        authed(
            when.page(1)
                .size(std::num::NonZeroU64::new(100))
                .into_inner(),
        );
        then.ok(&second);
    });
    (page0, page1)
}

#[tokio::test]
async fn devices_are_found_by_phone_alias_and_whatsapp_id_across_pages() {
    let server = sparkbot_tests::server().await;
    let (page0, page1) = mock_device_pages(&server);
    let bot = bot(&server);
    let expected = device_id(101);
    for key in [
        "+44 7911 123456",
        "0044 7911 123456",
        "447911123456@c.us",
        "sales",
        "SALES",
    ] {
        let device = bot.find_device(key).await.unwrap();
        assert_eq!(device.id.as_deref(), Some(expected.as_str()), "{key}");
    }
    let err = bot.find_device("+1 555 000 0000").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "device not found: no device with phone +15550000000 among 103 devices"
    );
    let err = bot.find_device("warehouse").await.unwrap_err();
    assert!(
        matches!(&err, Error::DeviceNotFound { key, searched: Some(103), .. } if key == "alias \"warehouse\""),
        "{err:?}"
    );
    let err = bot.find_device("twin").await.unwrap_err();
    assert!(
        matches!(&err, Error::AmbiguousDevice { ids, .. } if ids.len() == 2),
        "{err:?}"
    );
    // No cache: every lookup listed both pages.
    assert_eq!(page0.calls(), 8);
    assert_eq!(page1.calls(), 8);
}

#[tokio::test]
async fn the_device_cache_lists_once_per_ttl() {
    let server = sparkbot_tests::server().await;
    let (page0, page1) = mock_device_pages(&server);
    let bot = SparkBot::new(
        ClientConfig::new(server.base_url(), ApiKey::new(TEST_API_KEY).unwrap())
            .build()
            .unwrap(),
    )
    .with_device_cache(Duration::from_secs(300));
    bot.find_device("sales").await.unwrap();
    bot.find_device("+447911123456").await.unwrap();
    // A cached id needs no request either.
    let device = bot.device(&device_id(101)).await.unwrap();
    assert_eq!(device.alias.as_deref(), Some("Sales"));
    assert_eq!(page0.calls(), 1);
    assert_eq!(page1.calls(), 1);
    bot.invalidate_device_cache();
    bot.find_device("sales").await.unwrap();
    assert_eq!(page0.calls(), 2);
}

#[tokio::test]
async fn listing_filters_by_status_and_a_400_past_the_end_ends_the_stream() {
    let server = sparkbot_tests::server().await;
    let online: Vec<types::Device> = (0..100)
        .map(|n| device_json(&device_id(n), "+34600000001", "x", "operative", "online"))
        .collect();
    let page0 = server.list_devices(|when, then| {
        authed(
            when.page(0)
                .status(&DeviceStatusFilter::Operative)
                .session_status(&SessionStatusFilter::Online)
                .into_inner(),
        );
        then.ok(&online);
    });
    let past_end = server.list_devices(|when, then| {
        authed(when.page(1).into_inner());
        then.client_error(400, &api_error(400, "page:invalid", "Invalid page"));
    });
    let devices = bot(&server)
        .devices(
            DeviceFilter::all()
                .status(DeviceStatusFilter::Operative)
                .session_status(SessionStatusFilter::Online),
        )
        .await
        .unwrap();
    assert_eq!(devices.len(), 100);
    page0.assert();
    // A 400 is not retried, and past the first page it only means "no more".
    past_end.assert();
}

#[tokio::test]
async fn message_search_streams_pages_with_the_callers_filters() {
    let server = sparkbot_tests::server().await;
    let page = |range: std::ops::Range<usize>| -> Vec<types::Message> {
        range
            .map(|n| {
                sparkbot_tests::from_json(json!({"id": format!("{n:024x}"), "status": "failed"}))
            })
            .collect()
    };
    let (first, second) = (page(0..20), page(20..30));
    let m0 = server.search_messages(|when, then| {
        authed(
            when.into_inner()
                .query_param("status", "failed")
                .query_param("page", "0")
                .query_param("size", "20"),
        );
        then.ok(&first);
    });
    let m1 = server.search_messages(|when, then| {
        authed(
            when.into_inner()
                .query_param("status", "failed")
                .query_param("page", "1"),
        );
        then.ok(&second);
    });
    let messages: Vec<types::Message> = bot(&server)
        .api()
        .search_messages()
        .status(vec![MessageStatus::Failed])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(messages.len(), 30);
    m0.assert();
    m1.assert();
}

#[tokio::test]
async fn any_list_endpoint_gets_a_stream_in_one_line() {
    let server = sparkbot_tests::server().await;
    let invoices = server.list_device_invoices(|when, then| {
        authed(
            when.device_id(&DEVICE_ID.parse().unwrap())
                .into_inner()
                .query_param("size", "2"),
        );
        then.ok(&vec![
            sparkbot_tests::from_json(json!({"id": "inv-1"})),
            sparkbot_tests::from_json(json!({"id": "inv-2"})),
        ]);
    });
    // The server ignores `page`: the loop guard stops it and says so.
    let results: Vec<Result<types::Invoice, Error>> =
        futures::StreamExt::collect(bot(&server).paginate(
            Paging::with_max_size(50).page_size(2).max_pages(3),
            |api, page| async move {
                api.list_device_invoices()
                    .device_id(DEVICE_ID)
                    .page(page.number)
                    .size(page.size)
                    .send()
                    .await
            },
        ))
        .await;
    assert_eq!(results.len(), 7);
    assert!(matches!(
        results.last(),
        Some(Err(Error::TooManyPages { pages: 3 }))
    ));
    assert_eq!(invoices.calls(), 3);
}

#[tokio::test]
async fn the_api_key_is_in_no_debug_or_display_output() {
    let server = sparkbot_tests::server().await;
    let bot = bot(&server);
    let config = ClientConfig::new(server.base_url(), ApiKey::new(TEST_API_KEY).unwrap());
    let _unauthorized = server.get_device(|when, then| {
        authed(when.into_inner());
        then.client_error(401, &api_error(401, "auth", "Invalid token"));
    });
    let err = bot.device(DEVICE_ID).await.unwrap_err();
    let bad_key =
        sparkbot_api::Client::with_api_key("http://127.0.0.1:1", &format!("{TEST_API_KEY} x"))
            .unwrap_err();
    let key_in_url = ClientConfig::new(
        format!("https://api.example.com/v1?token={TEST_API_KEY}"),
        ApiKey::new(TEST_API_KEY).unwrap(),
    )
    .build()
    .unwrap_err();
    for text in [
        format!("{bot:?}"),
        format!("{config:?}"),
        format!("{key_in_url} {key_in_url:?}"),
        format!("{err}"),
        format!("{err:?}"),
        format!("{err:#?}"),
        format!("{bad_key} {bad_key:?}"),
        format!("{:?}", bot.api()),
    ] {
        assert!(!text.contains(TEST_API_KEY), "the key leaked: {text}");
        assert!(
            !text.contains("0123456789abcdef0123"),
            "part of the key leaked: {text}"
        );
    }
}
