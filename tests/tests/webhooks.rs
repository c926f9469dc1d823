//! Webhooks: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded; plus decoding of the webhook event payloads.

use serde_json::json;
use sparkbot_api::types::{
    self, WebhookEntityStatus, WebhookEventName, WebhookMessageAck, WebhookMessageFlow,
};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, from_json, server};

const WEBHOOK_ID: &str = "5e8f9a0b1c2d3e4f5a6b7c8d";

fn webhook_json() -> serde_json::Value {
    json!({
        "id": WEBHOOK_ID,
        "name": "bot",
        "url": "https://bot.example.com/hook?secret=s3cr3t",
        "device": DEVICE_ID,
        "status": "active",
        "events": ["message:in:new", "message:out:ack"],
        "createdAt": "2026-01-02T03:04:05Z"
    })
}

#[tokio::test]
async fn list_webhooks_sends_filters_and_decodes_the_array() {
    let server = server().await;
    let hooks: Vec<types::Webhook> = vec![from_json(webhook_json())];
    let mock = server.list_webhooks(|when, then| {
        let when = when
            .page(0)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .status(&WebhookEntityStatus::Active)
            .search("bot");
        authed(when.into_inner()).query_param("devices", DEVICE_ID);
        then.ok(&hooks);
    });
    let listed = client(&server)
        .list_webhooks()
        .page(0u64)
        .size(20u64)
        .status(WebhookEntityStatus::Active)
        .search("bot")
        .devices(vec![DEVICE_ID.parse::<types::DeviceId>().unwrap()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, Some(WebhookEntityStatus::Active));
    assert_eq!(
        listed[0].events,
        vec![
            WebhookEventName::MessageInNew,
            WebhookEventName::MessageOutAck
        ]
    );
}

#[tokio::test]
async fn create_webhook_sends_url_name_events_device() {
    let server = server().await;
    let req: types::CreateWebhookRequest = from_json(json!({
        "url": "https://bot.example.com/hook?secret=s3cr3t",
        "name": "bot",
        "events": ["message:in:new", "message:out:ack"],
        "device": DEVICE_ID
    }));
    let mock = server.create_webhook(|when, then| {
        authed(when.body(&req).into_inner());
        then.created(&from_json(webhook_json()));
    });
    let hook = client(&server)
        .create_webhook()
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(hook.id.as_deref(), Some(WEBHOOK_ID));
    assert_eq!(hook.device.as_deref(), Some(DEVICE_ID));
}

#[tokio::test]
async fn get_webhook_decodes_the_webhook() {
    let server = server().await;
    let mock = server.get_webhook(|when, then| {
        authed(when.webhook_id(&WEBHOOK_ID.parse().unwrap()).into_inner());
        then.ok(&from_json(webhook_json()));
    });
    let hook = client(&server)
        .get_webhook()
        .webhook_id(WEBHOOK_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(hook.name.as_deref(), Some("bot"));
}

#[tokio::test]
async fn update_webhook_sends_the_partial_body() {
    let server = server().await;
    let req: types::UpdateWebhookRequest = from_json(json!({"events": ["chat:update"]}));
    let mut updated = webhook_json();
    updated["events"] = json!(["chat:update"]);
    let mock = server.update_webhook(|when, then| {
        authed(
            when.webhook_id(&WEBHOOK_ID.parse().unwrap())
                .body(&req)
                .into_inner(),
        );
        then.ok(&from_json(updated));
    });
    let hook = client(&server)
        .update_webhook()
        .webhook_id(WEBHOOK_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(hook.events, vec![WebhookEventName::ChatUpdate]);
}

#[tokio::test]
async fn delete_webhook_accepts_an_empty_answer() {
    let server = server().await;
    let mock = server.delete_webhook(|when, then| {
        authed(when.webhook_id(&WEBHOOK_ID.parse().unwrap()).into_inner());
        then.ok();
    });
    let rv = client(&server)
        .delete_webhook()
        .webhook_id(WEBHOOK_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 200);
}

#[tokio::test]
async fn enable_webhook_posts_to_enable() {
    let server = server().await;
    let mock = server.enable_webhook(|when, then| {
        authed(when.webhook_id(&WEBHOOK_ID.parse().unwrap()).into_inner());
        then.ok(&from_json(webhook_json()));
    });
    let rv = client(&server)
        .enable_webhook()
        .webhook_id(WEBHOOK_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["status"], "active");
}

#[tokio::test]
async fn list_webhook_logs_decodes_the_entries() {
    let server = server().await;
    let logs: Vec<types::WebhookLog> = vec![from_json(json!({
        "id": "l1", "event": "message:in:new", "status": "success", "statusCode": 200
    }))];
    let mock = server.list_webhook_logs(|when, then| {
        let when = when
            .webhook_id(&WEBHOOK_ID.parse().unwrap())
            .page(1)
            .size(std::num::NonZeroU64::new(10).unwrap());
        authed(when.into_inner());
        then.ok(&logs);
    });
    let listed = client(&server)
        .list_webhook_logs()
        .webhook_id(WEBHOOK_ID)
        .page(1u64)
        .size(10u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].status_code, Some(200));
    assert_eq!(listed[0].event, Some(WebhookEventName::MessageInNew));
}

#[test]
fn inbound_message_event_decodes_with_flat_data() {
    let body = json!({
        "id": "evt-1",
        "event": "message:in:new",
        "device": {"id": DEVICE_ID, "phone": "+447362053576", "alias": "support"},
        "data": {
            "id": "msg-1",
            "type": "text",
            "flow": "inbound",
            "body": "hello",
            "fromNumber": "+34600000000",
            "chat": {
                "id": "34600000000@c.us",
                "type": "chat",
                "owner": {"agent": "5f0a1b2c3d4e5f6a7b8c9d0f"},
                "contact": {"phone": "+34600000000", "metadata": [{"key": "crm", "value": "7"}]}
            },
            "media": {"id": "m1", "links": {"download": "/v1/chat/x/files/m1/download"}},
            "meta": {"isFirstMessage": true}
        }
    });
    let event: types::WebhookEvent = serde_json::from_value(body).unwrap();
    assert_eq!(event.event, WebhookEventName::MessageInNew);
    assert_eq!(
        event.device.as_ref().and_then(|d| d.phone.as_deref()),
        Some("+447362053576")
    );
    let data: types::WebhookMessageData = serde_json::from_value(event.data).unwrap();
    assert_eq!(data.flow, Some(WebhookMessageFlow::Inbound));
    assert_eq!(data.body.as_deref(), Some("hello"));
    let chat = data.chat.unwrap();
    assert_eq!(chat.id.as_deref(), Some("34600000000@c.us"));
    assert_eq!(
        chat.contact.unwrap().metadata[0].key.as_deref(),
        Some("crm")
    );
    assert_eq!(data.meta.unwrap().is_first_message, Some(true));
}

#[test]
fn ack_event_and_unknown_event_names_decode() {
    let ack: types::WebhookEvent = serde_json::from_value(json!({
        "event": "message:out:ack",
        "data": {"id": "m", "flow": "outbound", "ack": "read", "reference": "r-1"}
    }))
    .unwrap();
    let data: types::WebhookMessageData = serde_json::from_value(ack.data).unwrap();
    assert_eq!(data.ack, Some(WebhookMessageAck::Read));
    let future: types::WebhookEvent =
        serde_json::from_value(json!({"event": "poll:vote", "data": {}})).unwrap();
    assert!(matches!(future.event, WebhookEventName::Unknown(ref s) if s == "poll:vote"));
    assert!(serde_json::from_value::<types::WebhookEvent>(json!({"data": {}})).is_err());
}
