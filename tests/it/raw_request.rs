//! Other: Send Raw Request: `Client::raw_request` goes through the same hooks, auth and error
//! mapping as a generated call, and cannot be pointed away from the API.

use httpmock::Method::{DELETE, GET, PATCH};
use serde_json::json;
use sparkbot_api::{Error, types};
use sparkbot_tests::{DEVICE_ID, TEST_API_KEY, api_error, authed, client, read_all, server};

#[tokio::test]
async fn a_get_sends_auth_and_query_and_decodes_json() {
    let server = server().await;
    let mock = server.mock(|when, then| {
        authed(
            when.method(GET)
                .path("/devices")
                .query_param("size", "100")
                .query_param("status", "operative")
                .header("accept", "application/json"),
        );
        then.status(200).json_body(json!([{"id": DEVICE_ID}]));
    });
    let devices = client(&server)
        .raw_request(reqwest::Method::GET, "/devices")
        .query("size", "100")
        .query("status", "operative")
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(devices.status(), 200);
    assert_eq!(devices.into_inner()[0]["id"], DEVICE_ID);
}

#[tokio::test]
async fn a_body_is_sent_as_json_and_an_empty_answer_is_null() {
    let server = server().await;
    let path = format!("/devices/{DEVICE_ID}/labels");
    let mock = server.mock(|when, then| {
        authed(
            when.method(DELETE)
                .path(&path)
                .header("content-type", "application/json")
                .json_body(json!({"name": "vip"})),
        );
        then.status(204);
    });
    let answer = client(&server)
        .raw_request(reqwest::Method::DELETE, &path)
        .body(json!({"name": "vip"}))
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(answer.status(), 204);
    assert_eq!(answer.into_inner(), serde_json::Value::Null);
}

#[tokio::test]
async fn api_errors_are_the_typed_error_of_every_call() {
    let server = server().await;
    let mock = server.mock(|when, then| {
        authed(when.method(PATCH).path("/team"));
        then.status(403)
            .json_body_obj(&api_error(403, "auth:forbidden", "No access"));
    });
    let err = client(&server)
        .raw_request(reqwest::Method::PATCH, "/team")
        .body(json!({"id": "x"}))
        .send()
        .await
        .unwrap_err();
    mock.assert();
    let Error::ErrorResponse(rv) = err else {
        panic!("expected ErrorResponse, got {err:?}")
    };
    assert_eq!(rv.status(), 403);
    assert_eq!(rv.error_code.as_deref(), Some("auth:forbidden"));
}

#[tokio::test]
async fn a_non_json_error_keeps_its_status() {
    let server = server().await;
    server.mock(|when, then| {
        when.method(GET).path("/devices");
        then.status(502)
            .header("content-type", "text/html")
            .body("<html>Bad gateway</html>");
    });
    let err = client(&server)
        .raw_request(reqwest::Method::GET, "/devices")
        .send()
        .await
        .unwrap_err();
    let Error::ErrorResponse(rv) = err else {
        panic!("expected ErrorResponse, got {err:?}")
    };
    assert_eq!(rv.status(), 502);
    let body: &types::ApiError = &rv;
    assert_eq!(body.status, Some(502));
}

#[tokio::test]
async fn a_download_streams_its_bytes() {
    let server = server().await;
    server.mock(|when, then| {
        authed(when.method(GET).path("/files/abc/download"));
        then.status(200)
            .header("content-type", "image/png")
            .body([0x89, b'P', b'N', b'G']);
    });
    let file = client(&server)
        .raw_request(reqwest::Method::GET, "/files/abc/download")
        .stream()
        .await
        .unwrap();
    assert_eq!(read_all(file.into_inner()).await, [0x89, b'P', b'N', b'G']);
}

#[tokio::test]
async fn bad_paths_methods_and_bodies_fail_before_any_io() {
    let server = server().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!({}));
    });
    let client = client(&server);
    let cases = [
        (reqwest::Method::GET, "//evil.example/steal", None),
        (reqwest::Method::GET, "/devices?size=1", None),
        (reqwest::Method::GET, "/../admin", None),
        (reqwest::Method::TRACE, "/devices", None),
        (reqwest::Method::GET, "/devices", Some(json!({}))),
    ];
    for (method, path, body) in cases {
        let mut request = client.raw_request(method.clone(), path);
        if let Some(body) = body {
            request = request.body(body);
        }
        let err = request.send().await.unwrap_err();
        let Error::InvalidRequest(why) = &err else {
            panic!("{method} {path}: expected InvalidRequest, got {err:?}")
        };
        assert!(why.starts_with("rawRequest:"), "{why}");
        assert!(!why.contains(TEST_API_KEY));
    }
    assert_eq!(any.calls(), 0, "nothing reached the server");
}

/// A raw `POST /messages` is a send like `send_message`: it gets a reference, and when the
/// connection drops after the server stored it, the lookup finds it and nothing is sent
/// twice.
#[tokio::test]
async fn a_raw_send_gets_a_reference_and_is_reconciled_like_send_message() {
    use sparkbot_testkit::{Fault, Simulator, demo};
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_after().on("POST", "/messages"));
    let client = sim
        .config()
        .with_retry(sparkbot_tests::fast_retries())
        .with_send_policy(
            sparkbot_api::SendPolicy::reconcile_then_resend()
                .with_lookups(2, std::time::Duration::from_millis(100)),
        )
        .build()
        .unwrap();
    let sent = client
        .raw_request(reqwest::Method::POST, "/messages")
        .body(json!({"device": demo::SALES, "phone": "+34600000011", "message": "raw"}))
        .send()
        .await
        .expect("found by the reference the pipeline gave it");
    let reference = sent.into_inner()["reference"]
        .as_str()
        .expect("the message carries its reference")
        .to_owned();
    assert!(reference.starts_with("sb-"), "{reference}");
    assert_eq!(sim.messages_with_reference(&reference).len(), 1);
    let posts = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/messages")
        .count();
    assert_eq!(posts, 1);
}
