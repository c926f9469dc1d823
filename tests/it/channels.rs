//! Channels: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{
    self, ChannelSearchCategory, ChannelSearchSortField, ChannelSearchSortOrder,
};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, assert_invalid_request, authed, client, device_id, from_json, server,
};

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
async fn list_channels_sends_permission_and_decodes() {
    let server = server().await;
    let channels: Vec<types::Channel> = vec![from_json(channel_json())];
    let permission: types::ListChannelsPermission = "owner".parse().unwrap();
    let mock = server.list_channels(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(2)
            .size(std::num::NonZeroU64::new(100).unwrap())
            .permission(&permission)
            .into_inner()
            .query_param_missing("role");
        authed(when);
        then.ok(&channels);
    });
    let listed = client(&server)
        .list_channels()
        .device_id(DEVICE_ID)
        .page(2u64)
        .size(100u64)
        .permission(permission.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].subscribers, Some(1200));
    assert_eq!(listed[0].role.as_deref(), Some("owner"));
}

#[tokio::test]
async fn create_channel_sends_name_description_and_image_url() {
    let server = server().await;
    let body = json!({
        "name": "Acme news", "description": "Product updates",
        "image": {"url": "https://example.com/logo.png"}
    });
    let req: types::CreateChannelRequest = from_json(body.clone());
    let mock = server.create_channel(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(body.clone());
        authed(when);
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
async fn create_channel_sends_base64_image_data() {
    let server = server().await;
    let body = json!({"name": "Acme news", "image": {"data": "iVBORw0KGgo="}});
    let req: types::CreateChannelRequest = from_json(body.clone());
    let mock = server.create_channel(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(body.clone());
        authed(when);
        then.created(&from_json(json!({"id": CHANNEL, "name": "Acme news"})));
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
    assert_eq!(created.name.as_deref(), Some("Acme news"));
    assert!(
        serde_json::from_value::<types::CreateChannelRequest>(json!({"description": "no name"}))
            .is_err(),
        "name is required"
    );
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
    let body = json!({
        "name": "Acme news", "description": "Weekly product updates",
        "image": "https://example.com/logo2.png"
    });
    let req: types::UpdateChannelRequest = from_json(body.clone());
    let mut updated = channel_json();
    updated["description"] = json!("Weekly product updates");
    let mock = server.update_channel(|when, then| {
        let when = when
            .device_id(&device_id())
            .channel_wid(&bare)
            .body(&req)
            .into_inner()
            .json_body(body.clone());
        authed(when);
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
fn update_channel_checks_name_and_description() {
    let long = "x".repeat(2049);
    assert!(
        serde_json::from_value::<types::UpdateChannelRequest>(
            json!({"name": "Acme", "description": long})
        )
        .is_err()
    );
    assert!(
        serde_json::from_value::<types::UpdateChannelRequest>(json!({"description": "x"})).is_err(),
        "the node always sends name"
    );
}

#[tokio::test]
async fn update_channel_image_puts_a_url() {
    let server = server().await;
    let req: types::UpdateChannelImageRequest =
        from_json(json!({"url": "https://example.com/logo.png"}));
    let mock = server.update_channel_image(|when, then| {
        let when = when
            .device_id(&device_id())
            .channel_wid(&channel())
            .body(&req)
            .into_inner()
            .json_body(json!({"url": "https://example.com/logo.png"}));
        authed(when);
        then.ok(&from_json(json!({"success": true})));
    });
    let rv = client(&server)
        .update_channel_image()
        .device_id(DEVICE_ID)
        .channel_wid(CHANNEL)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["success"], true);
}

#[tokio::test]
async fn update_channel_image_puts_base64_data() {
    let server = server().await;
    let req: types::UpdateChannelImageRequest = from_json(json!({"image": "iVBORw0KGgo="}));
    let mock = server.update_channel_image(|when, then| {
        let when = when
            .device_id(&device_id())
            .channel_wid(&channel())
            .body(&req)
            .into_inner()
            .json_body(json!({"image": "iVBORw0KGgo="}));
        authed(when);
        then.ok(&from_json(
            json!({"image": "https://cdn.example.com/c.jpg"}),
        ));
    });
    let rv = client(&server)
        .update_channel_image()
        .device_id(DEVICE_ID)
        .channel_wid(CHANNEL)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["image"], "https://cdn.example.com/c.jpg");
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
async fn join_channel_puts_the_invite_url_on_the_collection() {
    let server = server().await;
    let req: types::JoinChannelRequest =
        from_json(json!({"url": "https://whatsapp.com/channels/0029VaABCDEF"}));
    let mock = server.join_channel(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(json!({"url": "https://whatsapp.com/channels/0029VaABCDEF"}));
        authed(when);
        then.ok(&from_json(channel_json()));
    });
    let rv = client(&server)
        .join_channel()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["id"], CHANNEL);
}

#[tokio::test]
async fn join_channel_puts_the_invite_code() {
    let server = server().await;
    let req: types::JoinChannelRequest = from_json(json!({"code": "0029VaABCDEF"}));
    let mock = server.join_channel(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(json!({"code": "0029VaABCDEF"}));
        authed(when);
        then.ok(&from_json(json!({"id": CHANNEL})));
    });
    client(&server)
        .join_channel()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn search_channels_patches_the_collection_with_the_node_fields() {
    let server = server().await;
    let body = json!({
        "search": "football", "limit": 50, "category": "trending", "sort": "asc",
        "sortField": "creation_time", "countries": ["ES", "GB"]
    });
    let req: types::SearchChannelsRequest = from_json(body.clone());
    assert_eq!(req.category, Some(ChannelSearchCategory::Trending));
    assert_eq!(req.sort, Some(ChannelSearchSortOrder::Asc));
    assert_eq!(req.sort_field, Some(ChannelSearchSortField::CreationTime));
    let found = json!([{"id": CHANNEL, "name": "Football news", "subscribers": 5000}]);
    let mock = server.search_channels(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(body.clone());
        authed(when);
        then.ok(&from_json(found.clone()));
    });
    let rv = client(&server)
        .search_channels()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0, found);
}

#[tokio::test]
async fn search_channels_limits_are_checked_before_io() {
    let server = server().await;
    let mock = server.search_channels(|when, then| {
        when.into_inner();
        then.ok(&from_json(json!([])));
    });
    let too_many: Vec<String> = [
        "AR", "BR", "CL", "CO", "ES", "FR", "GB", "IT", "MX", "PT", "US",
    ]
    .iter()
    .map(|c| (*c).to_owned())
    .collect();
    for body in [json!({"limit": 51}), json!({"countries": too_many})] {
        let req: types::SearchChannelsRequest = from_json(body);
        let err = client(&server)
            .search_channels()
            .device_id(DEVICE_ID)
            .body(req)
            .send()
            .await
            .unwrap_err();
        assert_invalid_request(&err);
    }
    mock.assert_calls(0);
    assert!(
        serde_json::from_value::<types::SearchChannelsRequest>(json!({"countries": ["es"]}))
            .is_err(),
        "country codes are upper-case ISO 3166-1 alpha-2"
    );
}
