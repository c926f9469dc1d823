//! How server faults surface through the low-level client: every 4xx/5xx keeps its status,
//! headers and the API's `errorCode`; garbage bodies and transport failures never panic.

use std::time::Duration;

use sparkbot_api::{ApiKey, ClientConfig, Error, ErrorFacts};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, assert_invalid_request, authed, client,
    client_without_retries, device_id, operations, server,
};

fn error_response(
    err: Error<sparkbot_api::types::ApiError>,
) -> sparkbot_api::ResponseValue<sparkbot_api::types::ApiError> {
    match err {
        Error::ErrorResponse(rv) => rv,
        other => panic!("expected ErrorResponse, got {other:?}"),
    }
}

/// Serves one `GET /devices/{id}` with `answer`, and returns the client's error for it.
async fn get_device_failing_with(
    answer: impl FnOnce(operations::GetDeviceThen),
) -> Error<sparkbot_api::types::ApiError> {
    let server = server().await;
    let mock = server.get_device(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        answer(then);
    });
    let err = client_without_retries(&server)
        .get_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .expect_err("the mock answers with a failure");
    mock.assert();
    err
}

#[tokio::test]
async fn unauthorized_keeps_status_and_error_code() {
    let err = get_device_failing_with(|then| {
        then.client_error(
            401,
            &api_error(401, "auth:invalid_token", "Invalid API key"),
        );
    })
    .await;
    let rv = error_response(err);
    assert_eq!(rv.status().as_u16(), 401);
    assert_eq!(rv.error_code.as_deref(), Some("auth:invalid_token"));
    assert_eq!(rv.message.as_deref(), Some("Invalid API key"));
}

#[tokio::test]
async fn not_found_is_a_typed_error() {
    let rv = error_response(
        get_device_failing_with(|then| {
            then.not_found(&api_error(404, "device:not_found", "Device not found"));
        })
        .await,
    );
    assert_eq!(rv.status().as_u16(), 404);
    assert_eq!(rv.error_code.as_deref(), Some("device:not_found"));
}

#[tokio::test]
async fn rate_limit_exposes_retry_after_and_is_retryable() {
    let err = get_device_failing_with(|then| {
        then.too_many_requests(&api_error(429, "rate_limit", "Too many requests"))
            .into_inner()
            .header("Retry-After", "7");
    })
    .await;
    assert!(err.is_retryable());
    let rv = error_response(err);
    assert_eq!(rv.status().as_u16(), 429);
    assert_eq!(rv.headers().get("retry-after").unwrap(), "7");
}

#[tokio::test]
async fn server_error_is_typed() {
    let rv = error_response(
        get_device_failing_with(|then| {
            then.server_error(500, &api_error(500, "server:error", "boom"));
        })
        .await,
    );
    assert_eq!(rv.status().as_u16(), 500);
    assert_eq!(rv.message.as_deref(), Some("boom"));
}

#[tokio::test]
async fn a_non_json_error_body_keeps_its_status_and_text() {
    let err = get_device_failing_with(|then| {
        then.into_inner()
            .status(502)
            .header("content-type", "text/html")
            .body("<html><h1>502 Bad Gateway</h1></html>");
    })
    .await;
    assert!(err.is_retryable());
    assert!(err.is_synthesized());
    assert_eq!(err.status_code(), Some(502));
    let raw = err.raw_body().unwrap().to_owned();
    assert!(raw.contains("502 Bad Gateway"), "{raw}");
    let rv = error_response(err);
    assert_eq!(rv.error_code, None);
    assert!(rv.message.as_deref().unwrap().contains("text/html"));
}

#[tokio::test]
async fn truncated_json_error_body_keeps_its_status() {
    let rv = error_response(
        get_device_failing_with(|then| {
            then.into_inner()
                .status(404)
                .header("content-type", "application/json")
                .body("{\"status\": 404, \"mess");
        })
        .await,
    );
    assert_eq!(rv.status().as_u16(), 404);
    assert!(rv.is_synthesized());
}

#[tokio::test]
async fn a_garbage_success_body_is_a_decode_error_not_a_panic() {
    let err = get_device_failing_with(|then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body("{\"id\": 42, \"status\": [}");
    })
    .await;
    match err {
        Error::InvalidResponsePayload(bytes, _) => assert!(bytes.starts_with(b"{\"id\": 42")),
        other => panic!("expected InvalidResponsePayload, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_shaped_success_json_is_a_decode_error() {
    let err = get_device_failing_with(|then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body("[1, 2, 3]");
    })
    .await;
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
}

#[tokio::test]
async fn an_unlisted_status_is_an_unexpected_response() {
    let err = get_device_failing_with(|then| {
        then.into_inner().status(304);
    })
    .await;
    match err {
        Error::UnexpectedResponse(response) => assert_eq!(response.status().as_u16(), 304),
        other => panic!("expected UnexpectedResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn any_2xx_is_a_success_decoded_as_the_documented_body() {
    let server = server().await;
    let mock = server.get_device(|when, then| {
        authed(when.into_inner());
        then.into_inner()
            .status(202)
            .header("content-type", "application/json")
            .body(format!("{{\"id\": \"{DEVICE_ID}\"}}"));
    });
    let device = client(&server)
        .get_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .expect("a 202 is a success")
        .into_inner();
    mock.assert();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
}

#[tokio::test]
async fn connection_refused_is_a_retryable_communication_error() {
    // Bind and drop a listener so the port is known to be closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client =
        sparkbot_api::Client::with_api_key(&format!("http://127.0.0.1:{port}/v1"), "k-123")
            .unwrap();
    let err = client
        .get_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CommunicationError(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_is_a_timeout_error() {
    let server = server().await;
    server.get_device(|when, then| {
        authed(when.into_inner());
        then.into_inner()
            .status(200)
            .delay(Duration::from_millis(800))
            .body("{}");
    });
    let client = ClientConfig::new(
        server.base_url(),
        ApiKey::new(sparkbot_tests::TEST_API_KEY).unwrap(),
    )
    .with_timeout(Duration::from_millis(100))
    .build()
    .unwrap();
    let err = client
        .get_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap_err();
    match err {
        Error::CommunicationError(e) => assert!(e.is_timeout(), "{e:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_input_fails_before_any_request() {
    let server = server().await;
    let mock = server.get_device(|when, then| {
        when.into_inner();
        then.ok(&sparkbot_tests::from_json(serde_json::json!({})));
    });
    let err = client(&server)
        .get_device()
        .device_id("not-a-device-id")
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}
