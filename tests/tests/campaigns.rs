//! Campaigns: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, CampaignStatus};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, from_json, server};

const CAMPAIGN_ID: &str = "64c1d2e3f4a5b6c7d8e9f0a1";

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
async fn search_campaigns_sends_filters_and_decodes() {
    let server = server().await;
    let campaigns: Vec<types::Campaign> = vec![from_json(campaign_json("draft"))];
    let mock = server.search_campaigns(|when, then| {
        let when = when
            .page(0)
            .size(std::num::NonZeroU64::new(25).unwrap())
            .status(&CampaignStatus::Draft)
            .device(&DEVICE_ID.parse::<types::DeviceId>().unwrap())
            .search("promo");
        authed(when.into_inner());
        then.ok(&campaigns);
    });
    let listed = client(&server)
        .search_campaigns()
        .page(0u64)
        .size(25u64)
        .status(CampaignStatus::Draft)
        .device(DEVICE_ID)
        .search("promo")
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
async fn create_campaign_sends_contacts_and_settings() {
    let server = server().await;
    let req: types::CreateCampaignRequest = from_json(json!({
        "name": "January promo",
        "device": DEVICE_ID,
        "message": "Hi {{name}}!",
        "contacts": [
            {"phone": "+34600000000", "name": "Ana", "variables": [{"key": "name", "value": "Ana"}]},
            {"phone": "+447362053576", "reference": "crm-9"}
        ],
        "settings": {"date": "2026-01-10T09:00:00Z", "speed": "0.5"}
    }));
    let mock = server.create_campaign(|when, then| {
        authed(when.body(&req).into_inner());
        then.created(&from_json(campaign_json("draft")));
    });
    let created = client(&server)
        .create_campaign()
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(created.id.as_deref(), Some(CAMPAIGN_ID));
}

#[test]
fn create_campaign_refuses_a_non_numeric_speed() {
    assert!(
        serde_json::from_value::<types::CreateCampaignRequest>(json!({
            "name": "x", "device": DEVICE_ID, "settings": {"speed": "fast"}
        }))
        .is_err()
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
async fn update_campaign_sends_the_fields() {
    let server = server().await;
    let req: types::UpdateCampaignRequest = from_json(json!({"message": "Hello {{name}}"}));
    let mut updated = campaign_json("draft");
    updated["message"] = json!("Hello {{name}}");
    let mock = server.update_campaign(|when, then| {
        authed(when.campaign_id(&campaign()).body(&req).into_inner());
        then.ok(&from_json(updated));
    });
    let c = client(&server)
        .update_campaign()
        .campaign_id(CAMPAIGN_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.message.as_deref(), Some("Hello {{name}}"));
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
async fn start_campaign_posts_to_start() {
    let server = server().await;
    let mock = server.start_campaign(|when, then| {
        authed(when.campaign_id(&campaign()).into_inner());
        then.ok(&from_json(campaign_json("processing")));
    });
    let c = client(&server)
        .start_campaign()
        .campaign_id(CAMPAIGN_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.status, Some(CampaignStatus::Processing));
}

#[tokio::test]
async fn stop_campaign_posts_to_stop() {
    let server = server().await;
    let mock = server.stop_campaign(|when, then| {
        authed(when.campaign_id(&campaign()).into_inner());
        then.ok(&from_json(campaign_json("stopped")));
    });
    let c = client(&server)
        .stop_campaign()
        .campaign_id(CAMPAIGN_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.status, Some(CampaignStatus::Stopped));
}

#[tokio::test]
async fn list_campaign_contacts_pages_and_decodes() {
    let server = server().await;
    let recipients: Vec<types::CampaignRecipient> = vec![from_json(json!({
        "phone": "+34600000000", "name": "Ana", "status": "sent"
    }))];
    let mock = server.list_campaign_contacts(|when, then| {
        let when = when
            .campaign_id(&campaign())
            .page(0)
            .size(std::num::NonZeroU64::new(500).unwrap());
        authed(when.into_inner());
        then.ok(&recipients);
    });
    let listed = client(&server)
        .list_campaign_contacts()
        .campaign_id(CAMPAIGN_ID)
        .page(0u64)
        .size(500u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].status.as_deref(), Some("sent"));
}

#[tokio::test]
async fn add_campaign_contacts_sends_the_contacts() {
    let server = server().await;
    let req: types::AddCampaignContactsRequest = from_json(json!({
        "contacts": [{"phone": "+491701234567", "message": "Custom text"}]
    }));
    let mock = server.add_campaign_contacts(|when, then| {
        authed(when.campaign_id(&campaign()).body(&req).into_inner());
        then.ok(&from_json(campaign_json("draft")));
    });
    let c = client(&server)
        .add_campaign_contacts()
        .campaign_id(CAMPAIGN_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.name.as_deref(), Some("January promo"));
}

#[tokio::test]
async fn remove_campaign_contacts_sends_the_phones() {
    let server = server().await;
    let req: types::RemoveCampaignContactsRequest = from_json(json!({"phones": ["+491701234567"]}));
    let mock = server.remove_campaign_contacts(|when, then| {
        authed(when.campaign_id(&campaign()).body(&req).into_inner());
        then.ok(&from_json(campaign_json("draft")));
    });
    let c = client(&server)
        .remove_campaign_contacts()
        .campaign_id(CAMPAIGN_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.id.as_deref(), Some(CAMPAIGN_ID));
}
