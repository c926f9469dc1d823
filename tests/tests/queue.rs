//! Queue: every operation's request (method, path, `Token`, body) is asserted by its typed mock,
//! and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, QueueStatus};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const TARGET: &str = "5f0a1b2c3d4e5f6a7b8c9d0f";

#[tokio::test]
async fn get_queue_decodes_status_and_keeps_unknown_fields() {
    let server = server().await;
    let mock = server.get_queue(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        then.ok(&from_json(
            json!({"status": "pause", "total": 12, "byPriority": {"high": 2}}),
        ));
    });
    let q = client(&server)
        .get_queue()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(q.status, Some(QueueStatus::Pause));
    assert_eq!(q.total, Some(12));
}

#[tokio::test]
async fn update_queue_sets_the_status_with_force() {
    let server = server().await;
    let body: types::QueueUpdateRequest = from_json(json!({"status": "active", "force": true}));
    let mock = server.update_queue(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(json!({"status": "active"})));
    });
    let out = client(&server)
        .update_queue()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["status"], "active");
}

#[tokio::test]
async fn update_queue_routes_to_another_number() {
    let server = server().await;
    let body = types::QueueUpdateRequest::builder()
        .device(Some(TARGET.parse::<types::DeviceId>().unwrap()));
    let body: types::QueueUpdateRequest = body.try_into().unwrap();
    let mock = server.update_queue(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(json!({})));
    });
    client(&server)
        .update_queue()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"device": TARGET})
    );
}

#[tokio::test]
async fn empty_queue_accepts_204() {
    let server = server().await;
    let mock = server.empty_queue(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        then.no_content();
    });
    client(&server)
        .empty_queue()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
}
