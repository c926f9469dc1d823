//! Queue: every operation's request (method, path, query, `Token`, body) is asserted by its typed
//! mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, QueueStatus};
use sparkbot_tests::{
    DEVICE_ID, MESSAGE_ID, MockServerExt, authed, client, device_id, from_json, server,
};

const TARGET: &str = "5f0a1b2c3d4e5f6a7b8c9d0f";

#[tokio::test]
async fn get_queue_decodes_status_and_counters() {
    let server = server().await;
    let mock = server.get_queue(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        then.ok(&from_json(json!({
            "status": "pause",
            "statusUpdatedAt": "2026-01-02T03:04:05Z",
            "messages": 12,
            "scheduled": 3,
            "byPriority": {"high": 2}
        })));
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
    assert_eq!((q.messages, q.scheduled), (Some(12), Some(3)));
    assert_eq!(q.status_updated_at.as_deref(), Some("2026-01-02T03:04:05Z"));
}

#[tokio::test]
async fn set_queue_status_posts_status_and_force() {
    let server = server().await;
    let body: types::SetQueueStatusRequest = from_json(json!({"status": "active", "force": true}));
    let mock = server.set_queue_status(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(json!({"status": "active"})));
    });
    let out = client(&server)
        .set_queue_status()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["status"], "active");
    assert!(
        serde_json::from_value::<types::SetQueueStatusRequest>(json!({"force": true})).is_err(),
        "status is required"
    );
}

#[tokio::test]
async fn update_queue_routes_to_another_number() {
    let server = server().await;
    let body: types::QueueUpdateRequest = types::QueueUpdateRequest::builder()
        .device(TARGET.parse::<types::DeviceId>().unwrap())
        .try_into()
        .unwrap();
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
async fn empty_queue_sends_wait_and_a_filter() {
    let server = server().await;
    let body: types::EmptyQueueRequest = from_json(json!({
        "skipScheduled": true,
        "ids": [MESSAGE_ID],
    }));
    let mock = server.empty_queue(|when, then| {
        authed(
            when.device_id(&device_id())
                .wait(true)
                .body(&body)
                .into_inner(),
        );
        then.ok();
    });
    client(&server)
        .empty_queue()
        .device_id(DEVICE_ID)
        .wait(true)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn empty_queue_without_options_sends_an_empty_object_and_accepts_204() {
    let server = server().await;
    let mock = server.empty_queue(|when, then| {
        authed(when.device_id(&device_id()).wait(None).into_inner()).json_body(json!({}));
        then.no_content();
    });
    let rv = client(&server)
        .empty_queue()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[test]
fn empty_queue_filters_are_checked() {
    let ok: types::EmptyQueueRequest = from_json(json!({
        "phones": ["+447362053576"],
        "groups": ["447362053576-000000000@g.us", "120363000000000001@g.us"],
        "before": "2026-01-02T03:04:05Z",
        "after": "2026-01-01T00:00:00Z"
    }));
    assert_eq!(
        serde_json::to_value(&ok).unwrap()["before"],
        json!("2026-01-02T03:04:05Z")
    );
    for bad in [
        json!({"ids": ["not-an-id"]}),
        json!({"phones": ["447362053576"]}),
        json!({"groups": ["447362053576@c.us"]}),
        json!({"before": "yesterday"}),
    ] {
        assert!(
            serde_json::from_value::<types::EmptyQueueRequest>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}
