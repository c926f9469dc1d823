//! User Status: every operation's request (method, path, `Token`, body) is asserted by its typed
//! mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types;
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const STATUS_ID: &str = "3EB0C767D71D8A1B2C3D";

fn status_json() -> serde_json::Value {
    json!({
        "id": STATUS_ID, "type": "text", "message": "Closed today",
        "backgroundColor": "#25D366", "views": 12, "expiresAt": "2026-01-03T03:04:05Z"
    })
}

#[tokio::test]
async fn list_user_statuses_pages_and_decodes() {
    let server = server().await;
    let statuses: Vec<types::UserStatus> = vec![from_json(status_json())];
    let mock = server.list_user_statuses(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(50).unwrap());
        authed(when.into_inner());
        then.ok(&statuses);
    });
    let listed = client(&server)
        .list_user_statuses()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(50u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].views, Some(12));
}

#[tokio::test]
async fn publish_user_status_sends_text_and_colour() {
    let server = server().await;
    let req: types::PublishUserStatusRequest =
        from_json(json!({"message": "Closed today", "backgroundColor": "#25D366"}));
    let mock = server.publish_user_status(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.created(&from_json(status_json()));
    });
    let status = client(&server)
        .publish_user_status()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(status.id.as_deref(), Some(STATUS_ID));
}

#[test]
fn publish_user_status_refuses_a_bad_colour() {
    assert!(
        serde_json::from_value::<types::PublishUserStatusRequest>(
            json!({"message": "x", "backgroundColor": "green"})
        )
        .is_err()
    );
}

#[tokio::test]
async fn get_user_status_decodes_the_status() {
    let server = server().await;
    let mock = server.get_user_status(|when, then| {
        authed(
            when.device_id(&device_id())
                .status_id(&STATUS_ID.parse().unwrap())
                .into_inner(),
        );
        then.ok(&from_json(status_json()));
    });
    let status = client(&server)
        .get_user_status()
        .device_id(DEVICE_ID)
        .status_id(STATUS_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(status.message.as_deref(), Some("Closed today"));
}

#[tokio::test]
async fn delete_user_status_accepts_an_empty_answer() {
    let server = server().await;
    let mock = server.delete_user_status(|when, then| {
        authed(
            when.device_id(&device_id())
                .status_id(&STATUS_ID.parse().unwrap())
                .into_inner(),
        );
        then.no_content();
    });
    let rv = client(&server)
        .delete_user_status()
        .device_id(DEVICE_ID)
        .status_id(STATUS_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}
