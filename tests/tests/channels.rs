//! Channels: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, ChannelRole};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const CHANNEL: &str = "120363012345678901@newsletter";

fn channel() -> types::ChannelWid {
    CHANNEL.parse().unwrap()
}

fn channel_json() -> serde_json::Value {
    json!({
        "id": CHANNEL, "name": "Acme news", "description": "Product updates",
        "role": "owner", "subscribers": 1200, "verified": false
    })
}

#[tokio::test]
async fn list_channels_sends_role_and_decodes() {
    let server = server().await;
    let channels: Vec<types::Channel> = vec![from_json(channel_json())];
    let mock = server.list_channels(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(50).unwrap())
            .role(&ChannelRole::Owner);
        authed(when.into_inner());
        then.ok(&channels);
    });
    let listed = client(&server)
        .list_channels()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(50u64)
        .role(ChannelRole::Owner)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].subscribers, Some(1200));
    assert_eq!(listed[0].role, Some(ChannelRole::Owner));
}

#[tokio::test]
async fn create_channel_sends_name_description_image() {
    let server = server().await;
    let req: types::CreateChannelRequest = from_json(json!({
        "name": "Acme news", "description": "Product updates", "image": "https://example.com/logo.png"
    }));
    let mock = server.create_channel(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.created(&from_json(channel_json()));
    });
    let created = client(&server)
        .create_channel()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(created.id.as_deref(), Some(CHANNEL));
}

#[tokio::test]
async fn get_channel_decodes_the_channel() {
    let server = server().await;
    let mock = server.get_channel(|when, then| {
        authed(
            when.device_id(&device_id())
                .channel_wid(&channel())
                .into_inner(),
        );
        then.ok(&from_json(channel_json()));
    });
    let c = client(&server)
        .get_channel()
        .device_id(DEVICE_ID)
        .channel_wid(CHANNEL)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.name.as_deref(), Some("Acme news"));
}

#[tokio::test]
async fn update_channel_sends_the_fields_for_a_bare_channel_id() {
    let server = server().await;
    let bare: types::ChannelWid = "120363012345678901".parse().unwrap();
    let req: types::UpdateChannelRequest =
        from_json(json!({"description": "Weekly product updates"}));
    let mut updated = channel_json();
    updated["description"] = json!("Weekly product updates");
    let mock = server.update_channel(|when, then| {
        authed(
            when.device_id(&device_id())
                .channel_wid(&bare)
                .body(&req)
                .into_inner(),
        );
        then.ok(&from_json(updated));
    });
    let c = client(&server)
        .update_channel()
        .device_id(DEVICE_ID)
        .channel_wid("120363012345678901")
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.description.as_deref(), Some("Weekly product updates"));
}

#[test]
fn update_channel_refuses_a_description_over_2048_characters() {
    let long = "x".repeat(2049);
    assert!(
        serde_json::from_value::<types::UpdateChannelRequest>(json!({"description": long}))
            .is_err()
    );
}

#[tokio::test]
async fn delete_channel_accepts_an_empty_answer() {
    let server = server().await;
    let mock = server.delete_channel(|when, then| {
        authed(
            when.device_id(&device_id())
                .channel_wid(&channel())
                .into_inner(),
        );
        then.no_content();
    });
    let rv = client(&server)
        .delete_channel()
        .device_id(DEVICE_ID)
        .channel_wid(CHANNEL)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn follow_channel_posts_to_follow() {
    let server = server().await;
    let mock = server.follow_channel(|when, then| {
        authed(
            when.device_id(&device_id())
                .channel_wid(&channel())
                .into_inner(),
        );
        then.ok(&from_json(json!({"following": true})));
    });
    let rv = client(&server)
        .follow_channel()
        .device_id(DEVICE_ID)
        .channel_wid(CHANNEL)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["following"], true);
}

#[tokio::test]
async fn unfollow_channel_deletes_the_follow() {
    let server = server().await;
    let mock = server.unfollow_channel(|when, then| {
        authed(
            when.device_id(&device_id())
                .channel_wid(&channel())
                .into_inner(),
        );
        then.ok();
    });
    let rv = client(&server)
        .unfollow_channel()
        .device_id(DEVICE_ID)
        .channel_wid(CHANNEL)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 200);
}
