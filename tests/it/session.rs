//! WhatsApp session: QR scan in its encodings, auth code, sync, start, reboot, reset. (The
//! session health check, `getDeviceHealth`, is tested in `numbers.rs`.)

use httpmock::Method::GET;
use serde_json::json;
use sparkbot_api::types::{self, QrEncoding};
use sparkbot_api::{Error, QrCode};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, authed, client, device_id, from_json, server,
};

#[tokio::test]
async fn scan_device_qr_returns_svg_by_default() {
    let server = server().await;
    let mock = server.mock(|when, then| {
        authed(when.method(GET).path(format!("/devices/{DEVICE_ID}/scan")))
            .query_param_missing("encoding")
            .header_includes("accept", "image/svg+xml");
        then.status(200)
            .header("content-type", "image/svg+xml")
            .body("<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>");
    });
    let qr = client(&server)
        .scan_device_qr()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert!(
        matches!(qr, QrCode::Svg(ref svg) if svg.contains("<rect/>")),
        "{qr:?}"
    );
}

#[tokio::test]
async fn scan_device_qr_base64_uri_with_force() {
    let server = server().await;
    let mock = server.mock(|when, then| {
        authed(when.method(GET).path(format!("/devices/{DEVICE_ID}/scan")))
            .query_param("encoding", "base64_uri")
            .query_param("force", "true");
        then.status(200)
            .header("content-type", "text/plain")
            .body("data:image/png;base64,iVBORw0KGgo=");
    });
    let qr = client(&server)
        .scan_device_qr()
        .device_id(DEVICE_ID)
        .force(true)
        .encoding(QrEncoding::Base64Uri)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(
        qr,
        QrCode::Text("data:image/png;base64,iVBORw0KGgo=".into())
    );
}

#[tokio::test]
async fn scan_device_qr_png_and_json_encodings() {
    let server = server().await;
    let png = server.mock(|when, then| {
        authed(when.method(GET).path(format!("/devices/{DEVICE_ID}/scan")))
            .query_param("encoding", "image");
        then.status(200)
            .header("content-type", "image/png")
            .body(b"\x89PNG\r\n".as_slice());
    });
    let json_mock = server.mock(|when, then| {
        authed(when.method(GET).path(format!("/devices/{DEVICE_ID}/scan")))
            .query_param("encoding", "json");
        then.status(200)
            .json_body(json!({"qr": "2@abc", "expiresIn": 20}));
    });
    let client = client(&server);
    let image = client
        .scan_device_qr()
        .device_id(DEVICE_ID)
        .encoding("image")
        .send()
        .await
        .unwrap();
    let as_json = client
        .scan_device_qr()
        .device_id(DEVICE_ID)
        .encoding(QrEncoding::Json)
        .send()
        .await
        .unwrap();
    png.assert();
    json_mock.assert();
    assert!(matches!(image.into_inner(), QrCode::Png(b) if b.starts_with(b"\x89PNG")));
    match as_json.into_inner() {
        QrCode::Json(map) => assert_eq!(map["qr"], "2@abc"),
        other => panic!("expected JSON, got {other:?}"),
    }
}

#[tokio::test]
async fn scan_device_qr_json_error_when_no_qr_can_be_produced() {
    let server = server().await;
    server.mock(|when, then| {
        authed(when.method(GET).path(format!("/devices/{DEVICE_ID}/scan")));
        then.status(400).json_body(json!({
            "status": 400, "errorCode": "session:online", "message": "Session is already online"
        }));
    });
    let err = client(&server)
        .scan_device_qr()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap_err();
    match err {
        Error::ErrorResponse(rv) => {
            assert_eq!(rv.status().as_u16(), 400);
            assert_eq!(rv.error_code.as_deref(), Some("session:online"));
        }
        other => panic!("expected ErrorResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn scan_device_qr_rejects_bad_input_before_io() {
    let server = server().await;
    let client = client(&server);
    let bad_id = client
        .scan_device_qr()
        .device_id("nope")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(bad_id, Error::InvalidRequest(ref m) if m.contains("DeviceId")),
        "{bad_id:?}"
    );
    let bad_encoding = client
        .scan_device_qr()
        .device_id(DEVICE_ID)
        .encoding("jpeg")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(bad_encoding, Error::InvalidRequest(ref m) if m.contains("jpeg") && m.contains("base64_uri")),
        "{bad_encoding:?}"
    );
}

#[tokio::test]
async fn request_device_auth_code_sends_force_in_the_query_and_the_phone_in_the_body() {
    let server = server().await;
    let body: types::RequestAuthCodeRequest = from_json(json!({"phone": "+16001234560"}));
    let mock = server.request_device_auth_code(|when, then| {
        authed(
            when.device_id(&device_id())
                .force(true)
                .body(&body)
                .into_inner(),
        );
        then.ok(&from_json(json!({"status": "sent", "code": "ABCD-1234"})));
    });
    let result = client(&server)
        .request_device_auth_code()
        .device_id(DEVICE_ID)
        .force(true)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result.code.as_deref(), Some("ABCD-1234"));
}

#[tokio::test]
async fn request_device_auth_code_without_phone_sends_an_empty_object() {
    let server = server().await;
    let mock = server.request_device_auth_code(|when, then| {
        authed(when.device_id(&device_id()).force(None).into_inner()).json_body(json!({}));
        then.ok(&from_json(json!({"status": "sent"})));
    });
    let result = client(&server)
        .request_device_auth_code()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result.status.as_deref(), Some("sent"));
    assert!(
        serde_json::from_value::<types::RequestAuthCodeRequest>(json!({"phone": "16001234560"}))
            .is_err(),
        "the phone is E.164 with a leading +"
    );
}

#[tokio::test]
async fn sync_device_session_returns_its_status() {
    let server = server().await;
    let mock = server.sync_device_session(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        then.ok(&from_json(
            json!({"status": "online", "lastSyncAt": "2026-11-24T04:00:00Z"}),
        ));
    });
    let result = client(&server)
        .sync_device_session()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result.status.as_deref(), Some("online"));
}

#[tokio::test]
async fn sync_device_session_unknown_device_is_404() {
    let server = server().await;
    server.sync_device_session(|when, then| {
        authed(when.into_inner());
        then.not_found(&api_error(404, "device:not_found", "Device not found"));
    });
    let err = client(&server)
        .sync_device_session()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn start_device_session_posts_with_wait() {
    let server = server().await;
    let mock = server.start_device_session(|when, then| {
        authed(when.device_id(&device_id()).wait(true).into_inner());
        then.ok(&types::UntypedResponse(json!({"status": "starting"})));
    });
    let result = client(&server)
        .start_device_session()
        .device_id(DEVICE_ID)
        .wait(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result["status"], "starting");
}

#[tokio::test]
async fn reboot_device_session_sends_its_options() {
    let server = server().await;
    let mock = server.reboot_device_session(|when, then| {
        authed(
            when.device_id(&device_id())
                .force(true)
                .wait(true)
                .sync(false)
                .into_inner(),
        );
        then.ok(&types::UntypedResponse(json!({"status": "rebooting"})));
    });
    let result = client(&server)
        .reboot_device_session()
        .device_id(DEVICE_ID)
        .force(true)
        .wait(true)
        .sync(false)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result["status"], "rebooting");
}

#[tokio::test]
async fn reset_device_session_sends_data_wait_and_empty_queue() {
    let server = server().await;
    let mock = server.reset_device_session(|when, then| {
        authed(
            when.device_id(&device_id())
                .data(true)
                .empty_queue(true)
                .wait(false)
                .into_inner(),
        )
        .query_param_missing("queue");
        then.ok(&types::UntypedResponse(json!({"status": "reset"})));
    });
    let result = client(&server)
        .reset_device_session()
        .device_id(DEVICE_ID)
        .data(true)
        .empty_queue(true)
        .wait(false)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result["status"], "reset");
}
