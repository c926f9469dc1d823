//! The one request pipeline, through generated calls and through a workflow: retries as the
//! policy says (and only where a request cannot be duplicated), redirects that cannot carry the
//! key away, bounded bodies, typed facts on the final error, and the key in no output.

use std::time::Duration;

use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::json;
use sparkbot_api::{Error, ErrorFacts, RetryPolicy, types};
use sparkbot_extras::SparkBot;
use sparkbot_tests::{
    DEVICE_ID, MESSAGE_ID, TEST_API_KEY, authed, client, client_without_retries, config,
    fast_retries, from_json, server,
};

fn send_body() -> types::SendMessageRequest {
    from_json(json!({"device": DEVICE_ID, "phone": "+447362053576", "message": "Hello"}))
}

fn device_path() -> String {
    format!("/devices/{DEVICE_ID}")
}

async fn get_device(
    client: &sparkbot_api::Client,
) -> Result<types::Device, Error<types::ApiError>> {
    client
        .get_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .map(|rv| rv.into_inner())
}

/// Status → calls made by a GET (idempotent) and a POST /messages (not), with the default
/// policy (4 attempts) and millisecond backoffs.
#[tokio::test]
async fn the_fault_matrix_through_generated_calls() {
    let cases: [(u16, Option<&str>, usize, usize); 9] = [
        (429, Some("0"), 4, 4),
        (429, None, 4, 4),
        (503, Some("0"), 4, 1),
        (502, None, 4, 1),
        (504, None, 4, 1),
        (500, None, 1, 1),
        (400, None, 1, 1),
        (401, None, 1, 1),
        (404, None, 1, 1),
    ];
    for (status, retry_after, get_calls, post_calls) in cases {
        let server = server().await;
        let read = server.mock(|when, then| {
            authed(when.method(GET).path(device_path()));
            let then = then.status(status).json_body(json!({"status": status}));
            if let Some(v) = retry_after {
                then.header("retry-after", v);
            }
        });
        let send = server.mock(|when, then| {
            authed(when.method(POST).path("/messages"));
            let then = then.status(status).json_body(json!({"status": status}));
            if let Some(v) = retry_after {
                then.header("retry-after", v);
            }
        });
        let client = client(&server);
        let err = get_device(&client).await.unwrap_err();
        assert_eq!(err.status_code(), Some(status));
        assert_eq!(read.calls(), get_calls, "GET answered {status}");
        let err = client
            .send_message()
            .body(send_body())
            .send()
            .await
            .unwrap_err();
        assert_eq!(send.calls(), post_calls, "POST /messages answered {status}");
        // A 429 was certainly not processed; a 5xx other than 503 may have been.
        let unknown = matches!(status, 500 | 502 | 504);
        assert_eq!(err.outcome_unknown(), unknown, "POST answered {status}");
    }
}

#[tokio::test]
async fn the_attempt_history_comes_with_the_final_error() {
    let server = server().await;
    let failing = server.mock(|when, then| {
        when.method(GET).path(device_path());
        then.status(502).body("bad gateway");
    });
    let client = config(&server)
        .with_retry(fast_retries().with_max_attempts(3))
        .build()
        .unwrap();
    let (result, attempts) = sparkbot_api::with_attempts(get_device(&client)).await;
    assert_eq!(result.unwrap_err().status_code(), Some(502));
    assert_eq!(failing.calls(), 3);
    let statuses: Vec<Option<u16>> = attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(502); 3]);
    assert!(attempts[..2].iter().all(|a| a.wait.is_some()));
    assert!(attempts[2].wait.is_none(), "no wait after the last attempt");
}

#[tokio::test]
async fn a_send_answered_200_or_202_is_a_success_with_its_message_id() {
    for status in [200, 201, 202] {
        let server = server().await;
        let mock = server.mock(|when, then| {
            authed(when.method(POST).path("/messages"));
            then.status(status)
                .json_body(json!({"id": MESSAGE_ID, "status": "queued"}));
        });
        let message = client(&server)
            .send_message()
            .body(send_body())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{status} must be a success: {e}"))
            .into_inner();
        mock.assert();
        assert_eq!(message.id.as_deref(), Some(MESSAGE_ID), "{status}");
    }
}

#[tokio::test]
async fn a_timed_out_send_is_not_resent_and_says_it_may_have_been_sent() {
    let server = server().await;
    let mock = server.mock(|when, then| {
        when.method(POST).path("/messages");
        then.status(201)
            .delay(Duration::from_millis(600))
            .json_body(json!({"id": MESSAGE_ID}));
    });
    let client = config(&server)
        .with_retry(fast_retries())
        .with_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = client
        .send_message()
        .body(send_body())
        .send()
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
    assert_eq!(
        mock.calls(),
        1,
        "a send that may have arrived is never re-sent"
    );

    let bot = SparkBot::new(client);
    let err = bot
        .send_text(DEVICE_ID, "+447362053576", "Hello")
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(!err.is_transient(), "retrying blindly could send it twice");
    assert!(err.to_string().contains("may have been sent"), "{err}");
    assert_eq!(mock.calls(), 2);
}

#[tokio::test]
async fn a_text_over_the_limit_names_the_field_before_any_request() {
    let server = server().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(201).json_body(json!({}));
    });
    let bot = SparkBot::new(client(&server));
    let err = bot
        .send_text(DEVICE_ID, "+447362053576", &"x".repeat(6001))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("the text") && text.contains("6000"), "{text}");
    assert!(!text.contains("untagged enum"), "{text}");
    assert_eq!(any.calls(), 0);
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_and_the_key_stays_home() {
    let elsewhere = MockServer::start_async().await;
    let stolen = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!({"id": DEVICE_ID}));
    });
    let server = server().await;
    let target = format!("{}/collect?token=abc", elsewhere.base_url());
    server.mock(|when, then| {
        when.method(GET).path(device_path());
        then.status(302).header("location", &target);
    });
    let err = get_device(&client(&server)).await.unwrap_err();
    assert_eq!(stolen.calls(), 0, "nothing reached the other origin");
    let refused = err.redirect_refused().expect("a typed redirect refusal");
    assert_eq!(refused.target, format!("{}/collect", elsewhere.base_url()));
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("token=abc"), "{shown}");
    assert!(!shown.contains(TEST_API_KEY), "{shown}");
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_with_the_key_and_no_referer() {
    let server = server().await;
    let moved = server.mock(|when, then| {
        when.method(GET).path(device_path());
        then.status(301).header("location", "/v2/device");
    });
    let landed = server.mock(|when, then| {
        authed(
            when.method(GET)
                .path("/v2/device")
                .header_missing("referer"),
        );
        then.status(200).json_body(json!({"id": DEVICE_ID}));
    });
    let device = get_device(&client(&server)).await.unwrap();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    moved.assert();
    landed.assert();
}

#[tokio::test]
async fn a_json_body_over_the_limit_is_a_typed_error() {
    let server = server().await;
    let big = format!(
        "{{\"id\": \"{DEVICE_ID}\", \"alias\": \"{}\"}}",
        "x".repeat(50_000)
    );
    server.mock(|when, then| {
        when.method(GET).path(device_path());
        then.status(200)
            .header("content-type", "application/json")
            .body(&big);
    });
    let small = config(&server)
        .with_max_response_body(10_000)
        .build()
        .unwrap();
    let err = get_device(&small).await.unwrap_err();
    let too_large = err.body_too_large().expect("BodyTooLarge in the error");
    assert_eq!(too_large.limit, 10_000);
    // The default limit reads it.
    assert!(get_device(&client(&server)).await.is_ok());
}

#[tokio::test]
async fn a_huge_error_page_keeps_its_status_and_is_read_only_to_the_limit() {
    let server = server().await;
    let page = format!("<html>{}</html>", "x".repeat(200_000));
    let mock = server.mock(|when, then| {
        when.method(GET).path(device_path());
        then.status(500)
            .header("content-type", "text/html")
            .body(&page);
    });
    let client = config(&server)
        .with_max_response_body(8_192)
        .build()
        .unwrap();
    let err = get_device(&client).await.unwrap_err();
    assert_eq!(err.status_code(), Some(500));
    assert!(err.is_synthesized());
    assert!(err.raw_body().unwrap().starts_with("<html>xxx"));
    assert!(err.raw_body().unwrap().len() <= 4096);
    mock.assert();
}

#[tokio::test]
async fn a_wrong_base_url_is_not_reported_as_a_missing_device() {
    let server = server().await;
    server.mock(|when, then| {
        when.any_request();
        then.status(404)
            .header("content-type", "text/html")
            .body("<html>Cannot GET</html>");
    });
    let bot = SparkBot::new(client_without_retries(&server));
    for err in [
        bot.device(DEVICE_ID).await.unwrap_err(),
        bot.find_device("sales").await.unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(
            matches!(err, sparkbot_extras::Error::NotFound(_)),
            "{err:?}"
        );
        assert!(text.contains("base URL"), "{text}");
    }
}

#[tokio::test]
async fn a_transport_error_says_what_failed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = sparkbot_api::ClientConfig::new(
        format!("http://127.0.0.1:{port}/v1"),
        sparkbot_api::ApiKey::new(TEST_API_KEY).unwrap(),
    )
    .with_retry(RetryPolicy::none())
    .build()
    .unwrap();
    let err = SparkBot::new(client).device(DEVICE_ID).await.unwrap_err();
    let text = err.to_string().to_lowercase();
    assert!(text.contains("refused"), "the cause is in Display: {text}");
    assert!(!text.contains(TEST_API_KEY));
}

#[tokio::test]
async fn the_key_is_in_no_output_on_any_path() {
    let server = server().await;
    server.mock(|when, then| {
        when.method(GET).path(device_path());
        then.status(401)
            .json_body(json!({"status": 401, "message": "Invalid token"}));
    });
    let client = client(&server);
    let err = get_device(&client).await.unwrap_err();
    let bot = SparkBot::new(client.clone());
    let extras_err = bot.device(DEVICE_ID).await.unwrap_err();
    for text in [
        format!("{err} {err:?}"),
        format!("{extras_err} {extras_err:?}"),
        format!("{client:?} {bot:?}"),
        format!("{:?}", config(&server)),
    ] {
        assert!(!text.contains(TEST_API_KEY), "the key leaked: {text}");
    }
}
