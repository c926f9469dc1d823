//! Webhooks: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded; plus decoding of webhook deliveries: three captured in
//! public code (names, numbers, IDs and URLs replaced; structure and value types kept) and
//! fixtures shaped like the vendor document's examples.

use serde_json::json;
use sparkbot_api::Error;
use sparkbot_api::types::{
    self, WebhookEntityStatus, WebhookEventName, WebhookLogEvent, WebhookMessageAck,
    WebhookMessageFlow,
};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, assert_invalid_request, authed, client, from_json, server,
};

const WEBHOOK_ID: &str = "5e8f9a0b1c2d3e4f5a6b7c8d";
const OTHER_DEVICE: &str = "5f0a1b2c3d4e5f6a7b8c9d0f";

fn webhook_json() -> serde_json::Value {
    json!({
        "id": WEBHOOK_ID,
        "name": "bot",
        "url": "https://bot.example.com/hook?secret=s3cr3t",
        "device": DEVICE_ID,
        "status": "active",
        "events": ["message:in:new", "message:out:ack"],
        "retries": 0,
        "lastRunAt": "2026-01-02T03:04:05Z",
        "user": {"id": "5f71e36254800f533ab79148"}
    })
}

#[tokio::test]
async fn list_webhooks_sends_every_filter_and_decodes_the_array() {
    let server = server().await;
    let hooks: Vec<types::Webhook> = vec![from_json(webhook_json())];
    let search: types::ListWebhooksSearch = "bot".parse().unwrap();
    let mock = server.list_webhooks(|when, then| {
        let when = when
            .page(0)
            .size(std::num::NonZeroU64::new(200).unwrap())
            .search(&search);
        authed(when.into_inner())
            .query_param("devices", DEVICE_ID)
            .query_param("devices", OTHER_DEVICE)
            .query_param("status", "active")
            .query_param("status", "disabled");
        then.ok(&hooks);
    });
    let listed = client(&server)
        .list_webhooks()
        .page(0u64)
        .size(200u64)
        .search("bot")
        .devices(vec![
            DEVICE_ID.parse::<types::DeviceId>().unwrap(),
            OTHER_DEVICE.parse::<types::DeviceId>().unwrap(),
        ])
        .status(vec![
            WebhookEntityStatus::Active,
            WebhookEntityStatus::Disabled,
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, Some(WebhookEntityStatus::Active));
    assert_eq!(listed[0].device, Some(json!(DEVICE_ID)));
    assert_eq!(listed[0].retries, Some(0));
    assert_eq!(
        listed[0].events,
        vec![
            WebhookEventName::MessageInNew,
            WebhookEventName::MessageOutAck
        ]
    );
}

#[tokio::test]
async fn list_webhooks_refuses_a_size_over_200_and_a_one_letter_search() {
    let server = server().await;
    let mock = server.list_webhooks(|when, then| {
        when.into_inner();
        then.ok(&vec![]);
    });
    let err = client(&server)
        .list_webhooks()
        .size(201u64)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(why) if why.contains("`size` is 201")),
        "{err:?}"
    );
    let err = client(&server)
        .list_webhooks()
        .search("b")
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}

#[tokio::test]
async fn create_webhook_sends_name_url_events_device() {
    let server = server().await;
    let req: types::CreateWebhookRequest = from_json(json!({
        "name": "bot",
        "url": "https://bot.example.com/hook?secret=s3cr3t",
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
    assert_eq!(hook.name.as_deref(), Some("bot"));
}

#[test]
fn create_webhook_needs_a_name_of_at_most_30_characters_and_an_event() {
    let base =
        json!({"name": "bot", "url": "https://bot.example.com/hook", "events": ["chat:update"]});
    assert!(serde_json::from_value::<types::CreateWebhookRequest>(base.clone()).is_ok());
    let mut no_name = base.clone();
    no_name.as_object_mut().unwrap().remove("name");
    assert!(serde_json::from_value::<types::CreateWebhookRequest>(no_name).is_err());
    let mut long = base.clone();
    long["name"] = json!("x".repeat(31));
    assert!(serde_json::from_value::<types::CreateWebhookRequest>(long).is_err());
    let mut bad_device = base;
    bad_device["device"] = json!("not-a-device");
    assert!(serde_json::from_value::<types::CreateWebhookRequest>(bad_device).is_err());
}

#[tokio::test]
async fn create_webhook_conflict_is_409() {
    let server = server().await;
    let req: types::CreateWebhookRequest = from_json(json!({
        "name": "bot", "url": "https://bot.example.com/hook", "events": ["message:in:new"]
    }));
    let mock = server.create_webhook(|when, then| {
        authed(when.body(&req).into_inner());
        then.conflict(&sparkbot_tests::api_error(
            409,
            "webhook:exists",
            "Webhook already exists",
        ));
    });
    let err = client(&server)
        .create_webhook()
        .body(req.clone())
        .send()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
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
    assert_eq!(
        hook.url.as_deref(),
        Some("https://bot.example.com/hook?secret=s3cr3t")
    );
    assert_eq!(hook.last_run_at.as_deref(), Some("2026-01-02T03:04:05Z"));
}

#[tokio::test]
async fn update_webhook_sends_the_whole_setting() {
    let server = server().await;
    let req: types::UpdateWebhookRequest = from_json(json!({
        "name": "bot",
        "url": "https://bot.example.com/hook2",
        "events": ["chat:update", "number:session"]
    }));
    let mut updated = webhook_json();
    updated["events"] = json!(["chat:update", "number:session"]);
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
    assert_eq!(
        hook.events,
        vec![
            WebhookEventName::ChatUpdate,
            WebhookEventName::NumberSession
        ]
    );
    assert!(
        serde_json::from_value::<types::UpdateWebhookRequest>(json!({"events": ["chat:update"]}))
            .is_err(),
        "name and url are required on update, as the node always sends them"
    );
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
async fn list_webhook_logs_sends_size_and_skip_and_decodes_the_entries() {
    let server = server().await;
    let logs: Vec<types::WebhookLog> = vec![from_json(json!({
        "id": "l1",
        "webhook": WEBHOOK_ID,
        "createdAt": "2026-01-02T03:04:05Z",
        "event": "delivery",
        "objectId": "3EB0000000000000000000000000A001",
        "objectType": "message",
        "objectEvent": "message:in:new",
        "deviceId": DEVICE_ID,
        "responseTime": 120,
        "responseStatus": 200,
        "responseType": "application/json",
        "responseBody": "{\"ok\":true}"
    }))];
    let mock = server.list_webhook_logs(|when, then| {
        let when = when
            .webhook_id(&WEBHOOK_ID.parse().unwrap())
            .size(std::num::NonZeroU64::new(10).unwrap())
            .skip(20);
        authed(when.into_inner()).query_param_missing("page");
        then.ok(&logs);
    });
    let listed = client(&server)
        .list_webhook_logs()
        .webhook_id(WEBHOOK_ID)
        .size(10u64)
        .skip(20u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].event, Some(WebhookLogEvent::Delivery));
    assert_eq!(listed[0].response_status, Some(200));
    assert_eq!(listed[0].object_event.as_deref(), Some("message:in:new"));
}

#[test]
fn every_node_event_name_round_trips_and_unknown_names_decode() {
    // The thirteen events of the node's "Create Webhook" options, in its order.
    let names = [
        ("message:in:new", WebhookEventName::MessageInNew),
        ("message:out:new", WebhookEventName::MessageOutNew),
        ("message:out:sent", WebhookEventName::MessageOutSent),
        ("message:out:ack", WebhookEventName::MessageOutAck),
        ("message:out:failed", WebhookEventName::MessageOutFailed),
        ("message:update", WebhookEventName::MessageUpdate),
        ("message:reaction", WebhookEventName::MessageReaction),
        ("channel:in", WebhookEventName::ChannelIn),
        ("status:update", WebhookEventName::StatusUpdate),
        ("group:update", WebhookEventName::GroupUpdate),
        ("chat:update", WebhookEventName::ChatUpdate),
        ("contact:update", WebhookEventName::ContactUpdate),
        ("number:session", WebhookEventName::NumberSession),
    ];
    for (wire, variant) in names {
        assert_eq!(serde_json::to_value(&variant).unwrap(), json!(wire));
        assert_eq!(
            serde_json::from_value::<WebhookEventName>(json!(wire)).unwrap(),
            variant
        );
    }
    let future: types::WebhookEvent =
        serde_json::from_value(json!({"event": "poll:vote", "data": {}})).unwrap();
    assert!(matches!(future.event, WebhookEventName::Unknown(ref s) if s == "poll:vote"));
    assert!(serde_json::from_value::<types::WebhookEvent>(json!({"data": {}})).is_err());
}

/// A `message:in:new` delivery captured in EmmyrtGame/EmyFlow-FullStack-MCPServer (a requirements
/// document, commit ad5a416e): a 1:1 text message with the full chat and contact objects, many
/// fields `null`.
const CAPTURED_INBOUND_TEXT: &str = r#"{
  "id": "3EB0000000000000000000000000A001",
  "object": "message",
  "event": "message:in:new",
  "created": 1765642500,
  "device": {
    "id": "5f0a1b2c3d4e5f6a7b8c9d0e",
    "phone": "+5215550000001",
    "alias": "Demo",
    "plan": "io-professional"
  },
  "data": {
    "id": "3EB0000000000000000000000000A001",
    "type": "text",
    "flow": "inbound",
    "status": "active",
    "ack": "delivered",
    "from": "5215550000002@c.us",
    "fromNumber": "+5215550000002",
    "to": "5215550000001@c.us",
    "toNumber": "+5215550000001",
    "date": "2025-12-13T16:15:00.000Z",
    "timestamp": 1765642500,
    "body": "Sample message text",
    "chat": {
      "id": "5215550000002@c.us",
      "name": "Sample Contact",
      "date": "2025-12-13T16:15:00.000Z",
      "type": "chat",
      "lid": "100000000000001@lid",
      "status": "pending",
      "waStatus": "active",
      "statusUpdatedAt": "2025-12-13T16:10:28.509Z",
      "statusUpdatedBy": null,
      "prevStatus": "pending",
      "prevStatusUpdatedAt": "2025-12-13T16:04:45.208Z",
      "firstMessageAt": "2025-11-01T19:29:32.000Z",
      "lastMessageAt": "2025-12-13T16:15:00.000Z",
      "lastMessageTime": 1765642500,
      "lastOutboundMessageAt": "2025-12-13T16:05:13.000Z",
      "lastInboundMessageAt": "2025-12-13T16:15:00.000Z",
      "lastAutoReply": null,
      "lastAutoReplyAt": null,
      "stats": {
        "notes": 0,
        "inboundMessages": 0,
        "outboundMessages": 0,
        "localMessages": 54
      },
      "labels": [
        "humano",
        "contacto"
      ],
      "owner": {
        "agent": null,
        "department": null,
        "previousDepartment": null,
        "departmentAssigner": null,
        "departmentUpdatedAt": null,
        "autoAssignDepartment": null,
        "autoAssignDepartmentAt": null
      },
      "contact": {
        "wid": "5215550000002@c.us",
        "type": "user",
        "name": "Sample Contact",
        "shortName": "Sample",
        "displayName": "Sample",
        "syncedAt": "2025-10-25T18:33:04.212Z",
        "phone": "+5215550000002",
        "image": {
          "url": "https://pps.whatsapp.net/v/sample.jpg"
        },
        "info": {
          "languages": [],
          "links": [],
          "kind": "personal",
          "fullName": null
        },
        "locationInfo": {
          "alpha2": "MX",
          "alpha3": "MEX",
          "countryCallingCodes": [
            "+52"
          ],
          "currencies": [
            "MXN",
            "MXV"
          ],
          "emoji": "🇲🇽",
          "ioc": "MEX",
          "languages": [
            {
              "code": "SPA",
              "iso": "es",
              "name": "Sample Contact",
              "nativeName": "Español"
            }
          ],
          "name": "Sample Contact",
          "status": "assigned"
        },
        "metadata": [
          {
            "key": "capi_contacto_enviado",
            "value": "true"
          }
        ],
        "campaigns": [],
        "subscription": {
          "status": "active",
          "updatedAt": "2025-10-25T18:33:04.212Z"
        }
      },
      "links": {
        "chat": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/chats/5215550000002@c.us",
        "messages": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/messages?chat=5215550000002@c.us",
        "status": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/status?chat=5215550000002@c.us",
        "contact": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/contacts/5215550000002@c.us",
        "device": "/v1/devices/5f0a1b2c3d4e5f6a7b8c9d0e"
      }
    },
    "events": {},
    "meta": {
      "containsEmoji": false,
      "isBizNotification": false,
      "isBroadcast": false,
      "isChannel": false,
      "isDoc": false,
      "isEphemeral": false,
      "isFailed": false,
      "isForwarded": false,
      "isGif": false,
      "isGroup": false,
      "isLinkPreview": false,
      "isLive": false,
      "isNotification": false,
      "isPSA": false,
      "isRevoked": false,
      "isStar": false,
      "isUnreadType": false,
      "notifyName": "Sample",
      "rtl": false,
      "source": "android",
      "isFirstMessage": false
    },
    "links": {
      "message": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/messages/3EB0000000000000000000000000A001",
      "chat": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/chats/5215550000002@c.us",
      "contact": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/contacts/5215550000002@c.us",
      "chatMessages": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/messages?chat=5215550000002@c.us",
      "device": "/v1/devices/5f0a1b2c3d4e5f6a7b8c9d0e"
    }
  }
}"#;

/// A `message:in:new` delivery captured in caraxes-blood/wassenger-save-webhook-message
/// (`docs/Message Saving & Cleaning Architecture.md`): a group image message.
const CAPTURED_INBOUND_GROUP_IMAGE: &str = r#"{
  "id": "3EB00000000000000000A2",
  "object": "message",
  "event": "message:in:new",
  "created": 1779185675,
  "device": {
    "id": "5f0a1b2c3d4e5f6a7b8c9d1e",
    "phone": "+13055550100",
    "alias": "Demo",
    "plan": "io-professional"
  },
  "data": {
    "id": "3EB00000000000000000A2",
    "type": "image",
    "flow": "inbound",
    "status": "active",
    "ack": "delivered",
    "from": "120363000000000001@g.us",
    "fromNumber": "+85255550101",
    "to": "13055550100@c.us",
    "toNumber": "+13055550100",
    "date": "2026-05-19T10:14:35.000Z",
    "timestamp": 1779185675,
    "body": "Sample message text",
    "reactions": [],
    "author": "85255550101@c.us",
    "chat": {
      "id": "120363000000000001@g.us",
      "name": "Sample Contact",
      "date": "2026-05-19T10:14:35.000Z",
      "type": "group",
      "status": "pending",
      "waStatus": "active",
      "group": {
        "description": "Group rules",
        "owner": "13055550102@c.us",
        "totalParticipants": 289
      }
    },
    "media": {
      "id": "6a0c000000000000000000a1",
      "type": "image",
      "caption": "Sample caption",
      "mime": "image/jpeg",
      "size": 339070
    },
    "meta": {
      "isGroup": true,
      "isNotification": false,
      "isBizNotification": false,
      "isForwarded": false
    }
  }
}"#;

/// A trimmed `message:in:new` delivery reused as a fixture in
/// EmmyrtGame/EmyFlow-FullStack-MCPServer (`test/test_webhook.ts`).
const CAPTURED_INBOUND_TRIMMED: &str = r#"{
  "id": "3EB0000000000000000000000000A003",
  "object": "message",
  "event": "message:in:new",
  "created": 1764866063,
  "device": {
    "id": "5f0a1b2c3d4e5f6a7b8c9d2e",
    "phone": "+5215550000003",
    "alias": "Demo",
    "plan": "io-professional"
  },
  "data": {
    "id": "3EB0000000000000000000000000A003",
    "type": "text",
    "flow": "inbound",
    "status": "active",
    "ack": "delivered",
    "from": "5215550000004@c.us",
    "fromNumber": "+5215550000004",
    "to": "5215550000003@c.us",
    "toNumber": "+5215550000003",
    "date": "2025-12-04T16:34:23.000Z",
    "timestamp": 1764866063,
    "body": "Sample message text",
    "chat": {
      "id": "5215550000004@c.us",
      "name": "Sample Contact",
      "contact": {
        "name": "Sample Contact",
        "phone": "+5215550000004"
      }
    }
  }
}"#;

fn message_event(body: &str) -> (types::WebhookEvent, types::WebhookMessageData) {
    let event: types::WebhookEvent = serde_json::from_str(body).expect("the envelope decodes");
    let data: types::WebhookMessageData =
        serde_json::from_value(event.data.clone()).expect("the data decodes as a message");
    (event, data)
}

#[test]
fn captured_inbound_text_delivery_decodes() {
    let (event, data) = message_event(CAPTURED_INBOUND_TEXT);
    assert_eq!(event.event, WebhookEventName::MessageInNew);
    assert_eq!(event.object.as_deref(), Some("message"));
    assert_eq!(event.created, Some(1765642500));
    let device = event.device.as_ref().unwrap();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    assert_eq!(device.plan.as_deref(), Some("io-professional"));
    assert_eq!(data.flow, Some(WebhookMessageFlow::Inbound));
    assert_eq!(data.ack, Some(WebhookMessageAck::Delivered));
    assert_eq!(data.from_number.as_deref(), Some("+5215550000002"));
    assert_eq!(data.timestamp, Some(1765642500));
    let chat = data.chat.as_ref().unwrap();
    assert_eq!(chat.type_.as_deref(), Some("chat"));
    assert_eq!(
        chat.labels.as_deref(),
        Some(&["humano".to_owned(), "contacto".to_owned()][..])
    );
    let owner = chat.owner.as_ref().unwrap();
    assert_eq!(owner.agent, None, "an unassigned chat has `agent: null`");
    assert_eq!(
        owner.department, None,
        "`department: null` decodes as absent"
    );
    let contact = chat.contact.as_ref().unwrap();
    assert_eq!(contact.wid.as_deref(), Some("5215550000002@c.us"));
    assert_eq!(
        contact.metadata.as_ref().unwrap()[0].key.as_deref(),
        Some("capi_contacto_enviado")
    );
    assert_eq!(
        contact.image.as_ref().and_then(|i| i.url.as_deref()),
        Some("https://pps.whatsapp.net/v/sample.jpg")
    );
    let meta = data.meta.as_ref().unwrap();
    assert_eq!(meta.is_first_message, Some(false));
    assert_eq!(meta.source.as_deref(), Some("android"));
    assert!(
        data.links
            .as_ref()
            .and_then(|l| l.message.as_deref())
            .is_some_and(|m| m.starts_with("/v1/chat/"))
    );
}

#[test]
fn captured_group_image_delivery_decodes() {
    let (event, data) = message_event(CAPTURED_INBOUND_GROUP_IMAGE);
    assert_eq!(event.event, WebhookEventName::MessageInNew);
    assert_eq!(data.type_.as_deref(), Some("image"));
    assert_eq!(data.from.as_deref(), Some("120363000000000001@g.us"));
    assert_eq!(data.author.as_deref(), Some("85255550101@c.us"));
    assert_eq!(data.reactions, Some(vec![]));
    let chat = data.chat.as_ref().unwrap();
    assert_eq!(chat.type_.as_deref(), Some("group"));
    assert_eq!(
        chat.group.as_ref().and_then(|g| g.total_participants),
        Some(289)
    );
    let media = data.media.as_ref().unwrap();
    assert_eq!(media.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(media.size, Some(339070));
    assert_eq!(data.meta.as_ref().and_then(|m| m.is_group), Some(true));
}

#[test]
fn captured_trimmed_delivery_decodes() {
    let (event, data) = message_event(CAPTURED_INBOUND_TRIMMED);
    assert_eq!(event.id, data.id);
    assert_eq!(data.body.as_deref(), Some("Sample message text"));
    let contact = data.chat.and_then(|c| c.contact).unwrap();
    assert_eq!(contact.phone.as_deref(), Some("+5215550000004"));
}

#[test]
fn outbound_media_ack_and_agent_fields_decode() {
    // Shaped like the vendor document's `message:out:new` media example.
    let (event, data) = message_event(
        &json!({
            "id": "3EB0000000000000000000000000B001",
            "object": "message",
            "event": "message:out:new",
            "created": 1671225190,
            "device": {"id": DEVICE_ID, "phone": "+447362053576", "alias": "Demo",
                       "plan": "io-enterprise", "version": 1},
            "data": {
                "id": "3EB0000000000000000000000000B001",
                "type": "image",
                "flow": "outbound",
                "ack": "sent",
                "agent": "5f71e36254800f533ab79148",
                "fromNumber": "+447362053576",
                "toNumber": "+34600000000",
                "chat": {"id": "34600000000@c.us", "type": "chat",
                         "owner": {"agent": "5f71e36254800f533ab79148",
                                   "assigner": "5f71e36254800f533ab79148",
                                   "assignedAt": "2022-11-15T23:53:00.439Z"}},
                "media": {"id": "639ce7571e6e11586eb6ccb6", "flow": "out", "status": "available",
                          "caption": null, "type": "image", "size": 196851, "mime": "image/jpeg",
                          "meta": {"hasPreview": true, "aspectRatio": 0.75},
                          "preview": {"image": "iVBORw0KGgo=", "width": 47, "height": 63},
                          "links": {"download": "/v1/chat/x/files/639ce7571e6e11586eb6ccb6/download"}},
                "events": {"sent": {"date": "2022-12-15T20:00:00.000Z"}}
            }
        })
        .to_string(),
    );
    assert_eq!(event.device.unwrap().version, Some(1));
    assert_eq!(data.flow, Some(WebhookMessageFlow::Outbound));
    assert_eq!(data.agent.as_deref(), Some("5f71e36254800f533ab79148"));
    let media = data.media.unwrap();
    assert_eq!(media.caption, None);
    assert_eq!(
        media.links.and_then(|l| l.download).as_deref(),
        Some("/v1/chat/x/files/639ce7571e6e11586eb6ccb6/download")
    );
    let ack: types::WebhookEvent = serde_json::from_value(json!({
        "event": "message:out:ack", "ack": "read",
        "data": {"id": "m", "flow": "outbound", "ack": "read", "reference": "r-1"}
    }))
    .unwrap();
    assert_eq!(ack.ack, Some(WebhookMessageAck::Read));
    let data: types::WebhookMessageData = serde_json::from_value(ack.data).unwrap();
    assert_eq!(data.ack, Some(WebhookMessageAck::Read));
    assert_eq!(data.reference.as_deref(), Some("r-1"));
}

#[test]
fn gateway_failed_batch_decodes() {
    // Shaped like the vendor document's Gateway-plan `message:out:failed` example: an array.
    let batch: types::WebhookGatewayBatch = serde_json::from_value(json!([
        {
            "event": "message:out:failed",
            "date": "2022-12-08T15:01:48.518Z",
            "entity": "message",
            "entityId": "5bf612faa893b00016c0f13d",
            "entityUrl": "https://api.example.com/v1/messages/5bf612faa893b00016c0f13d",
            "user": "5bd75ab235623e00162a73dc",
            "data": {
                "id": "5bf612faa893b00016c0f13d",
                "phone": "+34600000000",
                "status": "failed",
                "deliveryStatus": "failed",
                "failedAt": null,
                "failureReason": "Phone number not found",
                "priority": "normal",
                "retry": {"count": 1},
                "device": {"id": DEVICE_ID, "phone": "+447362053576",
                           "session": {"status": "online"}}
            }
        }
    ]))
    .unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].event, Some(WebhookEventName::MessageOutFailed));
    let data = batch[0].data.as_ref().unwrap();
    assert_eq!(data.delivery_status.as_deref(), Some("failed"));
    assert_eq!(
        data.failure_reason.as_deref(),
        Some("Phone number not found")
    );
    assert_eq!(data.failed_at, None);
    assert_eq!(
        data.device.as_ref().and_then(|d| d.id.as_deref()),
        Some(DEVICE_ID)
    );
    assert!(
        serde_json::from_value::<types::WebhookEvent>(json!([{"event": "message:out:failed"}]))
            .is_err(),
        "a Gateway batch is an array, not an event object"
    );
}

#[test]
fn chat_update_data_decodes_as_a_chat() {
    let event: types::WebhookEvent = serde_json::from_value(json!({
        "event": "chat:update",
        "device": {"id": DEVICE_ID},
        "data": {"id": "34600000000@c.us", "type": "chat", "status": "resolved",
                 "owner": {"agent": null, "department": {"id": "d1", "name": "Sales"}},
                 "labels": null}
    }))
    .unwrap();
    assert_eq!(event.event, WebhookEventName::ChatUpdate);
    let chat: types::WebhookMessageChat = serde_json::from_value(event.data).unwrap();
    assert_eq!(chat.status.as_deref(), Some("resolved"));
    assert_eq!(chat.labels, None);
    assert_eq!(chat.owner.unwrap().department.unwrap()["name"], "Sales");
}
