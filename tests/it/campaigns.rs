//! Campaigns: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{
    self, CampaignContactAck, CampaignContactKind, CampaignContactStatus, CampaignSort,
    CampaignStatus, CampaignStatusAction,
};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, from_json, server};

const CAMPAIGN_ID: &str = "64c1d2e3f4a5b6c7d8e9f0a1";
const OWNER: &str = "64b7c8d9e0f1a2b3c4d5e6f7";
const GROUP: &str = "44736205357600000000@g.us";
const WA_MESSAGE: &str = "3EB0C767D097B7C7C030";

fn campaign() -> types::CampaignId {
    CAMPAIGN_ID.parse().unwrap()
}

fn campaign_json(status: &str) -> serde_json::Value {
    json!({
        "id": CAMPAIGN_ID,
        "name": "January promo",
        "status": status,
        "device": DEVICE_ID,
        "message": "Hi {{name}}!",
        "settings": {"date": "2026-01-10T09:00:00Z", "speed": "2"},
        "stats": {"total": 2, "sent": 0}
    })
}

#[tokio::test]
async fn search_campaigns_sends_the_nodes_filters_and_decodes() {
    let server = server().await;
    let campaigns: Vec<types::Campaign> = vec![from_json(campaign_json("draft"))];
    let mock = server.search_campaigns(|when, then| {
        let when = when
            .page(0)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .before("2026-02-01T00:00:00Z")
            .after("2026-01-01T00:00:00Z")
            .sort(&CampaignSort::DateAsc)
            .into_inner()
            .query_param("status", "draft")
            .query_param("status", "paused")
            .query_param_count("^status$", ".*", 2)
            .query_param("device", DEVICE_ID)
            .query_param("owner", OWNER)
            .query_param("id", CAMPAIGN_ID)
            .query_param("phone", "+447362053576")
            .query_param("group", GROUP)
            .query_param("sort", "date:asc")
            .query_param_missing("search");
        authed(when);
        then.ok(&campaigns);
    });
    let listed = client(&server)
        .search_campaigns()
        .page(0u64)
        .size(20u64)
        .before(
            "2026-02-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .after(
            "2026-01-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .status(vec![CampaignStatus::Draft, CampaignStatus::Paused])
        .device(vec![DEVICE_ID.parse::<types::DeviceId>().unwrap()])
        .owner(vec![OWNER.parse::<types::UserId>().unwrap()])
        .id(vec![campaign()])
        .phone(vec!["+447362053576".parse::<types::Phone>().unwrap()])
        .group(vec![GROUP.parse::<types::GroupWid>().unwrap()])
        .sort(CampaignSort::DateAsc)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].status, Some(CampaignStatus::Draft));
    assert_eq!(
        listed[0].settings.as_ref().unwrap().speed.as_deref(),
        Some("2")
    );
}

#[tokio::test]
async fn get_campaign_decodes_status_and_stats() {
    let server = server().await;
    let mock = server.get_campaign(|when, then| {
        authed(when.campaign_id(&campaign()).into_inner());
        then.ok(&from_json(campaign_json("processing")));
    });
    let c = client(&server)
        .get_campaign()
        .campaign_id(CAMPAIGN_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.status, Some(CampaignStatus::Processing));
    assert_eq!(c.stats.unwrap().total, Some(2));
}

#[tokio::test]
async fn delete_campaign_accepts_an_empty_answer() {
    let server = server().await;
    let mock = server.delete_campaign(|when, then| {
        authed(when.campaign_id(&campaign()).into_inner());
        then.no_content();
    });
    let rv = client(&server)
        .delete_campaign()
        .campaign_id(CAMPAIGN_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn update_campaign_status_puts_start_and_stop_to_status() {
    let server = server().await;
    let path = format!("/campaigns/{CAMPAIGN_ID}/status");
    let start = server.update_campaign_status(|when, then| {
        let body: types::UpdateCampaignStatusRequest = from_json(json!({"action": "start"}));
        authed(
            when.campaign_id(&campaign())
                .body(&body)
                .into_inner()
                .path(path.clone())
                .json_body(json!({"action": "start"})),
        );
        then.ok(&types::UntypedResponse(json!({"status": "processing"})));
    });
    let stop = server.update_campaign_status(|when, then| {
        authed(
            when.campaign_id(&campaign())
                .into_inner()
                .json_body(json!({"action": "stop"})),
        );
        then.ok(&types::UntypedResponse(json!({"status": "stopped"})));
    });
    let api = client(&server);
    let started = api
        .update_campaign_status()
        .campaign_id(CAMPAIGN_ID)
        .body(types::UpdateCampaignStatusRequest {
            action: CampaignStatusAction::Start,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let stopped = api
        .update_campaign_status()
        .campaign_id(CAMPAIGN_ID)
        .body(types::UpdateCampaignStatusRequest {
            action: CampaignStatusAction::Stop,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    start.assert();
    stop.assert();
    assert_eq!(started["status"], "processing");
    assert_eq!(stopped["status"], "stopped");
}

#[tokio::test]
async fn list_campaign_contacts_sends_the_nodes_filters_and_decodes() {
    let server = server().await;
    let recipients: Vec<types::CampaignRecipient> = vec![from_json(json!({
        "target": "+34600000000", "kind": "phone", "name": "Ana",
        "status": "delivered", "ack": "read", "wid": WA_MESSAGE
    }))];
    let mock = server.list_campaign_contacts(|when, then| {
        let when = when
            .campaign_id(&campaign())
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("Ana")
            .sort(&CampaignSort::DateDesc)
            .into_inner()
            .query_param("target", "+34600000000")
            .query_param("target", GROUP)
            .query_param("kind", "phone")
            .query_param("status", "delivered")
            .query_param("status", "failed")
            .query_param("ack", "read")
            .query_param("wid", WA_MESSAGE);
        authed(when);
        then.ok(&recipients);
    });
    let listed = client(&server)
        .list_campaign_contacts()
        .campaign_id(CAMPAIGN_ID)
        .page(1u64)
        .size(20u64)
        .search("Ana")
        .target(vec!["+34600000000".to_owned(), GROUP.to_owned()])
        .kind(vec![CampaignContactKind::Phone])
        .status(vec![
            CampaignContactStatus::Delivered,
            CampaignContactStatus::Failed,
        ])
        .ack(vec![CampaignContactAck::Read])
        .wid(vec![WA_MESSAGE.parse::<types::WaMessageId>().unwrap()])
        .sort(CampaignSort::DateDesc)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].status, Some(CampaignContactStatus::Delivered));
    assert_eq!(listed[0].ack, Some(CampaignContactAck::Read));
    assert_eq!(listed[0].kind, Some(CampaignContactKind::Phone));
}
