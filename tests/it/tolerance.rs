//! Responses tolerate what the spec does not list yet: unknown enum values and extra fields.

use sparkbot_api::types::{DeviceStatus, SessionStatus};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, server};

#[tokio::test]
async fn unknown_status_values_and_fields_decode() {
    let server = server().await;
    server.get_device(|when, then| {
        authed(when.into_inner());
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .json_body(serde_json::json!({
                "id": DEVICE_ID,
                "status": "hibernating",
                "brandNewField": {"nested": true},
                "session": {"status": "online", "newSessionField": 1}
            }));
    });
    let device = client(&server)
        .get_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .expect("unknown values must not fail decoding")
        .into_inner();
    assert_eq!(
        device.status,
        Some(DeviceStatus::Unknown("hibernating".into()))
    );
    assert_eq!(device.session.unwrap().status, Some(SessionStatus::Online));
}

#[test]
fn open_enums_round_trip_and_parse_strictly() {
    let status: SessionStatus = serde_json::from_str("\"timeout_sync\"").unwrap();
    assert_eq!(status, SessionStatus::TimeoutSync);
    assert_eq!(serde_json::to_string(&status).unwrap(), "\"timeout_sync\"");

    let unknown: SessionStatus = serde_json::from_str("\"warp\"").unwrap();
    assert!(!unknown.is_known());
    assert_eq!(unknown.as_str(), "warp");
    assert_eq!(serde_json::to_string(&unknown).unwrap(), "\"warp\"");

    assert_eq!(
        "online".parse::<SessionStatus>().unwrap(),
        SessionStatus::Online
    );
    let err = "onlnie".parse::<SessionStatus>().unwrap_err().to_string();
    assert!(err.contains("onlnie") && err.contains("online"), "{err}");
}
