//! Meeting Links: every operation's request (method, path, `Token`, body) is asserted by its typed
//! mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, MeetingCallKind};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const LINK_ID: &str = "6b7c8d9e0f1a2b3c4d5e6f70";

fn link_json() -> serde_json::Value {
    json!({
        "id": LINK_ID, "kind": "video", "url": "https://call.whatsapp.com/video/AbC",
        "message": "Weekly sync", "createdAt": "2026-01-02T03:04:05Z"
    })
}

#[tokio::test]
async fn list_meeting_links_pages_and_decodes() {
    let server = server().await;
    let links: Vec<types::MeetingLink> = vec![from_json(link_json())];
    let mock = server.list_meeting_links(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(10).unwrap());
        authed(when.into_inner());
        then.ok(&links);
    });
    let listed = client(&server)
        .list_meeting_links()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(10u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].kind, Some(MeetingCallKind::Video));
}

#[tokio::test]
async fn create_meeting_link_sends_kind_and_message() {
    let server = server().await;
    let req: types::CreateMeetingLinkRequest =
        from_json(json!({"kind": "video", "message": "Weekly sync"}));
    let mock = server.create_meeting_link(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.created(&from_json(link_json()));
    });
    let link = client(&server)
        .create_meeting_link()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(
        link.url.as_deref(),
        Some("https://call.whatsapp.com/video/AbC")
    );
}

#[test]
fn create_meeting_link_refuses_a_message_over_500_characters() {
    let long = "x".repeat(501);
    assert!(
        serde_json::from_value::<types::CreateMeetingLinkRequest>(
            json!({"kind": "voice", "message": long})
        )
        .is_err()
    );
}

#[tokio::test]
async fn get_meeting_link_decodes_the_link() {
    let server = server().await;
    let mock = server.get_meeting_link(|when, then| {
        authed(
            when.device_id(&device_id())
                .meeting_link_id(&LINK_ID.parse().unwrap())
                .into_inner(),
        );
        then.ok(&from_json(link_json()));
    });
    let link = client(&server)
        .get_meeting_link()
        .device_id(DEVICE_ID)
        .meeting_link_id(LINK_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(link.message.as_deref(), Some("Weekly sync"));
}

#[tokio::test]
async fn delete_meeting_link_accepts_an_empty_answer() {
    let server = server().await;
    let mock = server.delete_meeting_link(|when, then| {
        authed(
            when.device_id(&device_id())
                .meeting_link_id(&LINK_ID.parse().unwrap())
                .into_inner(),
        );
        then.ok();
    });
    let rv = client(&server)
        .delete_meeting_link()
        .device_id(DEVICE_ID)
        .meeting_link_id(LINK_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 200);
}
