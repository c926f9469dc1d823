//! User Status: every operation's request (method, `/chat/{deviceId}/status` path, query, `Token`,
//! body) is asserted by its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{
    self, UserStatusAck, UserStatusColor, UserStatusFlow, UserStatusFont, UserStatusSort,
    UserStatusType,
};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const STATUS_ID: &str = "3EB0C767D71D8A1B2C3D";
const SCHEDULED_ID: &str = "65a1b2c3d4e5f6a7b8c9d0e1";

fn status_json() -> serde_json::Value {
    json!({
        "id": STATUS_ID, "type": "text", "message": "Closed today",
        "reference": "promo-7", "views": 12, "expiresAt": "2026-01-03T03:04:05Z",
        "media": {"url": "https://example.com/a.jpg", "size": 2048}
    })
}

#[tokio::test]
async fn list_user_statuses_sends_the_node_filters() {
    let server = server().await;
    let statuses: Vec<types::UserStatus> = vec![from_json(status_json())];
    let mock = server.list_user_statuses(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .flow(&UserStatusFlow::Outbound)
            .mine(true)
            .scheduled(false)
            .search("closed")
            .chat("447362053576@c.us")
            .phone("+447362053576")
            .reference("promo-7")
            .begin("3EB0C767D71D8A1B2C3E")
            .end("3EB0C767D71D8A1B2C3F")
            .after("2026-01-01T00:00:00Z")
            .before("2026-02-01T00:00:00Z")
            .sort(&UserStatusSort::DateAsc)
            .into_inner()
            // Array filters go out repeated, one `name=value` pair per item.
            .query_param("ack", "read")
            .query_param("ack", "failed")
            .query_param_count("^ack$", ".*", 2)
            .query_param("type", "image")
            .query_param("type", "video")
            .query_param_count("^type$", ".*", 2)
            .query_param("wid", STATUS_ID)
            .query_param_count("^wid$", ".*", 1)
            .query_param_missing("kind");
        authed(when);
        then.ok(&statuses);
    });
    let listed = client(&server)
        .list_user_statuses()
        .device_id(DEVICE_ID)
        .page(1u64)
        .size(20u64)
        .flow(UserStatusFlow::Outbound)
        .mine(true)
        .scheduled(false)
        .ack(vec![UserStatusAck::Read, UserStatusAck::Failed])
        .wid(vec![
            STATUS_ID.parse::<types::ListUserStatusesWidItem>().unwrap(),
        ])
        .search("closed")
        .chat("447362053576@c.us")
        .phone("+447362053576")
        .reference("promo-7")
        .type_(vec![UserStatusType::Image, UserStatusType::Video])
        .begin("3EB0C767D71D8A1B2C3E")
        .end("3EB0C767D71D8A1B2C3F")
        .after(
            "2026-01-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .before(
            "2026-02-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .sort(UserStatusSort::DateAsc)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].views, Some(12));
    assert_eq!(listed[0].reference.as_deref(), Some("promo-7"));
    assert_eq!(
        listed[0].media["size"],
        json!(2048),
        "the untyped media object keeps every field"
    );
}

#[tokio::test]
async fn publish_user_status_sends_a_scheduled_text_status() {
    let server = server().await;
    let req: types::PublishUserStatusRequest = from_json(json!({
        "message": "Closed today", "font": "norican", "color": "dark_magenta",
        "reference": "promo-7", "schedule": {"delayTo": "2h"}
    }));
    assert_eq!(req.font, Some(UserStatusFont::Norican));
    assert_eq!(req.color, Some(UserStatusColor::DarkMagenta));
    let mock = server.publish_user_status(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(json!({
                "message": "Closed today", "font": "norican", "color": "dark_magenta",
                "reference": "promo-7", "schedule": {"delayTo": "2h"}
            }));
        authed(when);
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

#[tokio::test]
async fn publish_user_status_sends_a_media_status() {
    let server = server().await;
    let body = json!({
        "media": {
            "url": "https://example.com/promo.mp4", "message": "New in store",
            "filename": "promo.mp4", "format": "gif"
        },
        "schedule": {"date": "2026-03-01T09:00:00Z"}
    });
    let req: types::PublishUserStatusRequest = from_json(body.clone());
    let mock = server.publish_user_status(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(body.clone());
        authed(when);
        then.created(&from_json(json!({"id": STATUS_ID, "type": "video"})));
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
    assert_eq!(status.type_.as_deref(), Some("video"));
}

#[test]
fn publish_user_status_checks_the_node_limits() {
    let parse = |v: serde_json::Value| serde_json::from_value::<types::PublishUserStatusRequest>(v);
    assert!(parse(json!({"message": "x".repeat(650)})).is_ok());
    assert!(parse(json!({"message": "x".repeat(651)})).is_err());
    assert!(parse(json!({"message": "x", "reference": "r".repeat(151)})).is_err());
    assert!(parse(json!({"media": {"file": "not-a-file-id"}})).is_err());
    assert!(parse(json!({"media": {"file": SCHEDULED_ID}})).is_ok());
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

#[test]
fn user_status_ids_are_20_to_22_or_24_hex() {
    for ok in [
        "3EB0C767D71D8A1B2C3D",
        "3EB0C767D71D8A1B2C3D4E",
        SCHEDULED_ID,
    ] {
        assert!(ok.parse::<types::UserStatusId>().is_ok(), "{ok}");
    }
    for bad in [
        "3EB0C767D71D8A1B2C3",
        "3EB0C767D71D8A1B2C3D4E5",
        "3EB0C767D71D8A1B2C3G",
    ] {
        assert!(bad.parse::<types::UserStatusId>().is_err(), "{bad}");
    }
}

#[tokio::test]
async fn delete_user_status_sends_all_in_the_body() {
    let server = server().await;
    let req: types::DeleteUserStatusRequest = from_json(json!({"all": true}));
    let mock = server.delete_user_status(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(json!({"all": true}));
        authed(when);
        then.no_content();
    });
    let rv = client(&server)
        .delete_user_status()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn delete_user_status_sends_status_and_scheduled_ids() {
    let server = server().await;
    let body = json!({"status": [STATUS_ID], "scheduled": [SCHEDULED_ID]});
    let req: types::DeleteUserStatusRequest = from_json(body.clone());
    let mock = server.delete_user_status(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(body.clone());
        authed(when);
        then.ok();
    });
    let rv = client(&server)
        .delete_user_status()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 200);
    assert!(
        serde_json::from_value::<types::DeleteUserStatusRequest>(json!({"scheduled": ["abc"]}))
            .is_err(),
        "scheduled IDs are 24 hex"
    );
}
