//! Meeting Links: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, MeetingCallKind, MeetingLinkExpiration};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const LINK_ID: &str = "6b7c8d9e0f1a2b3c4d5e6f70";

fn link_json() -> serde_json::Value {
    json!({
        "id": LINK_ID, "kind": "video", "url": "https://call.whatsapp.com/video/AbC",
        "message": "Weekly sync", "createdAt": "2026-01-02T03:04:05Z",
        "expiresAt": "2026-02-01T03:04:05Z"
    })
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn list_meeting_links_sends_the_nodes_filters_and_decodes() {
    let server = server().await;
    let links: Vec<types::MeetingLink> = vec![from_json(link_json())];
    let mock = server.list_meeting_links(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("sync")
            .before("2026-03-01T00:00:00Z")
            .after("2026-01-01T00:00:00Z")
            .expires_before("2026-04-01T00:00:00Z")
            .expires_after("2026-02-01T00:00:00Z")
            .into_inner()
            .query_param("kind", "voice")
            .query_param("kind", "video")
            .query_param_count("^kind$", ".*", 2);
        authed(when);
        then.ok(&links);
    });
    let listed = client(&server)
        .list_meeting_links()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(20u64)
        .search("sync")
        .before(at("2026-03-01T00:00:00Z"))
        .after(at("2026-01-01T00:00:00Z"))
        .expires_before(at("2026-04-01T00:00:00Z"))
        .expires_after(at("2026-02-01T00:00:00Z"))
        .kind(vec![MeetingCallKind::Voice, MeetingCallKind::Video])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].kind, Some(MeetingCallKind::Video));
    assert_eq!(
        listed[0].expires_at.as_deref(),
        Some("2026-02-01T03:04:05Z")
    );
}

#[tokio::test]
async fn create_meeting_link_sends_kind_message_and_expiration() {
    let server = server().await;
    let wire = json!({"kind": "video", "message": "Weekly sync", "expiration": "7d"});
    let req: types::CreateMeetingLinkRequest = from_json(wire.clone());
    assert_eq!(req.expiration, Some(MeetingLinkExpiration::V7d));
    let mock = server.create_meeting_link(|when, then| {
        authed(
            when.device_id(&device_id())
                .body(&req)
                .into_inner()
                .json_body(wire.clone()),
        );
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
fn create_meeting_link_refuses_a_message_over_500_characters_or_no_kind() {
    let long = "x".repeat(501);
    for bad in [
        json!({"kind": "voice", "message": long}),
        json!({"message": "no kind"}),
    ] {
        assert!(
            serde_json::from_value::<types::CreateMeetingLinkRequest>(bad.clone()).is_err(),
            "accepted {bad}"
        );
    }
}

#[tokio::test]
async fn delete_meeting_links_sends_the_selection_in_the_body() {
    let server = server().await;
    let wire = json!({
        "ids": [LINK_ID],
        "urls": ["https://call.whatsapp.com/voice/447362053576"]
    });
    let req: types::DeleteMeetingLinksRequest = from_json(wire.clone());
    let mock = server.delete_meeting_links(|when, then| {
        authed(
            when.device_id(&device_id())
                .body(&req)
                .into_inner()
                .path(format!("/devices/{DEVICE_ID}/meeting-links"))
                .json_body(wire.clone()),
        );
        then.no_content();
    });
    let rv = client(&server)
        .delete_meeting_links()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn delete_meeting_links_by_date_range_or_all() {
    let server = server().await;
    let by_date =
        json!({"createdBefore": "2026-01-01T00:00:00Z", "expiresAfter": "2026-02-01T00:00:00Z"});
    let dated = server.delete_meeting_links(|when, then| {
        authed(
            when.device_id(&device_id())
                .into_inner()
                .json_body(by_date.clone()),
        );
        then.ok();
    });
    let all = server.delete_meeting_links(|when, then| {
        authed(
            when.device_id(&device_id())
                .into_inner()
                .json_body(json!({"all": true})),
        );
        then.ok();
    });
    let api = client(&server);
    let rv = api
        .delete_meeting_links()
        .device_id(DEVICE_ID)
        .body(from_json::<types::DeleteMeetingLinksRequest>(
            by_date.clone(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(rv.status(), 200);
    api.delete_meeting_links()
        .device_id(DEVICE_ID)
        .body(from_json::<types::DeleteMeetingLinksRequest>(
            json!({"all": true}),
        ))
        .send()
        .await
        .unwrap();
    dated.assert();
    all.assert();
}
