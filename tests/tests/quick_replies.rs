//! Quick replies: every operation's request (method, path, query, `Token`, body) is asserted by
//! its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types;
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const QR: &str = "67d1e2f3a4b5c6d7e8f9a0b1";

fn qr() -> types::QuickReplyId {
    QR.parse().unwrap()
}

fn qr_json() -> serde_json::Value {
    json!({"id": QR, "shortcut": "hours", "message": "We are open 9-17.", "createdAt": "2026-01-01T00:00:00Z"})
}

#[tokio::test]
async fn list_quick_replies_sends_search() {
    let server = server().await;
    let all: Vec<types::QuickReply> = vec![from_json(qr_json())];
    let mock = server.list_quick_replies(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(25).unwrap())
            .search("hours");
        authed(when.into_inner());
        then.ok(&all);
    });
    let listed = client(&server)
        .list_quick_replies()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(25u64)
        .search("hours")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].shortcut.as_deref(), Some("hours"));
}

#[tokio::test]
async fn create_quick_reply_sends_the_body() {
    let server = server().await;
    let body: types::QuickReplyCreateRequest = from_json(json!({
        "shortcut": "hours", "message": "We are open 9-17.", "file": "65a1b2c3d4e5f6a7b8c9d0e1"
    }));
    let mock = server.create_quick_reply(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(qr_json()));
    });
    let r = client(&server)
        .create_quick_reply()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(r.id.as_deref(), Some(QR));
    assert!(serde_json::from_value::<types::QuickReplyCreateRequest>(json!({})).is_err());
}

#[tokio::test]
async fn get_quick_reply_decodes() {
    let server = server().await;
    let mock = server.get_quick_reply(|when, then| {
        authed(
            when.device_id(&device_id())
                .quick_reply_id(&qr())
                .into_inner(),
        );
        then.ok(&from_json(qr_json()));
    });
    let r = client(&server)
        .get_quick_reply()
        .device_id(DEVICE_ID)
        .quick_reply_id(QR)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(r.message.as_deref(), Some("We are open 9-17."));
}

#[tokio::test]
async fn update_quick_reply_sends_partial_fields() {
    let server = server().await;
    let body: types::QuickReplyUpdateRequest = from_json(json!({"message": "Open 8-18."}));
    let mock = server.update_quick_reply(|when, then| {
        let when = when
            .device_id(&device_id())
            .quick_reply_id(&qr())
            .body(&body);
        authed(when.into_inner());
        then.ok(&from_json(json!({"id": QR, "message": "Open 8-18."})));
    });
    let r = client(&server)
        .update_quick_reply()
        .device_id(DEVICE_ID)
        .quick_reply_id(QR)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(r.message.as_deref(), Some("Open 8-18."));
}

#[tokio::test]
async fn delete_quick_reply_accepts_200() {
    let server = server().await;
    let mock = server.delete_quick_reply(|when, then| {
        authed(
            when.device_id(&device_id())
                .quick_reply_id(&qr())
                .into_inner(),
        );
        then.ok();
    });
    client(&server)
        .delete_quick_reply()
        .device_id(DEVICE_ID)
        .quick_reply_id(QR)
        .send()
        .await
        .unwrap();
    mock.assert();
}
