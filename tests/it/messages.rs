//! Send messages and Outbound Messages: every message kind of the node serialises to the flat JSON
//! the API expects and is sent as such, the node's limits are checked before any I/O, and the
//! outbound message operations send the node's query names and bodies and decode what the spec says.

use serde_json::{Value, json};
use sparkbot_api::Error;
use sparkbot_api::types::{self, MessageStatus, SendMessageRequest};
use sparkbot_tests::{
    DEVICE_ID, MESSAGE_ID, MockServerExt, assert_invalid_request, authed, client, from_json, server,
};

/// A WhatsApp message ID (20 hex), as the node's quote, reaction, vote and forward fields take.
const WA_ID: &str = "3EB0C767D26A1B2C3D4E";

fn message_json(status: &str) -> Value {
    json!({
        "id": MESSAGE_ID,
        "waId": WA_ID,
        "phone": "+447362053576",
        "status": status,
        "deliveryStatus": "sent",
        "priority": "normal",
        "reference": "order-42",
        "createdAt": "2026-11-24T04:00:00Z"
    })
}

/// `fields` plus the `device` every send kind requires.
/// A body as the pipeline sends it: with a reference (it adds one to a send that has none).
fn with_reference(fields: Value) -> Value {
    let mut body = with_device(fields);
    body["reference"] = json!("test-reference-1");
    body
}

fn with_device(fields: Value) -> Value {
    let mut body = json!({ "device": DEVICE_ID });
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    body
}

/// One body per kind, as the node builds it (`Send messages` actions) or as other clients send it
/// (template, list, buttons), with the variant it must decode to.
fn every_kind() -> Vec<(&'static str, Value)> {
    vec![
        (
            "TextMessage",
            json!({"phone": "+447362053576", "message": "Hello", "priority": "high"}),
        ),
        (
            "ScheduledTextMessage",
            json!({"phone": "+447362053576", "message": "Later",
            "deliverAt": "2026-12-01T10:00:00Z"}),
        ),
        (
            "MediaMessage",
            json!({"group": "120363025246125486@g.us", "message": "caption",
            "media": {"url": "https://example.com/a.jpg"}}),
        ),
        (
            "LocationMessage",
            json!({"phone": "+447362053576",
            "location": {"coordinates": [51.5, -0.12], "name": "Office"}}),
        ),
        (
            "LocationMessage",
            json!({"channel": "12345678902402200@newsletter",
            "location": {"address": "1600 Amphitheatre Parkway"}}),
        ),
        (
            "ContactsMessage",
            json!({"phone": "+447362053576",
            "contacts": [{"phone": "+34600111222", "name": "Ana"}]}),
        ),
        (
            "ReactionMessage",
            json!({"phone": "+447362053576", "reactionMessage": WA_ID, "reaction": "👍"}),
        ),
        (
            "PollMessage",
            json!({"phone": "+447362053576",
            "poll": {"name": "Lunch?", "options": ["Pizza", "Sushi"]}}),
        ),
        (
            "PollVoteMessage",
            json!({"phone": "+447362053576",
            "vote": {"poll": WA_ID, "options": [{"id": 0}, {"value": "Sushi"}]}}),
        ),
        (
            "PollVoteMessage",
            json!({"phone": "+447362053576", "vote": {"poll": WA_ID, "options": []}}),
        ),
        (
            "EventMessage",
            json!({"phone": "+447362053576", "event": {
                "name": "Kick-off", "date": "2026-12-01T10:00:00Z",
                "description": "Planning", "location": "HQ",
                "latitude": 40.4168, "longitude": -3.7038, "call": "video"}}),
        ),
        (
            "MeetingConfirmationMessage",
            json!({"phone": "+447362053576", "confirm": {"event": WA_ID, "confirm": false}}),
        ),
        (
            "ProductMessage",
            json!({"phone": "+447362053576", "product": "1234567890123456"}),
        ),
        (
            "ForwardMessage",
            json!({"group": "120363025246125486@g.us",
            "forward": {"message": WA_ID, "chat": "+447362053576"}}),
        ),
        (
            "TemplateMessage",
            json!({"phone": "+447362053576",
            "template": {"name": "welcome", "language": "en"}}),
        ),
        (
            "ListMessage",
            json!({"phone": "+447362053576", "list": {
            "title": "Menu", "description": "Pick one", "button": "Open",
            "sections": [{"title": "Food", "rows": [{"id": "1", "title": "Pizza"}]}]}}),
        ),
        (
            "ButtonsMessage",
            json!({"phone": "+447362053576", "message": "Choose",
            "buttons": [{"text": "Yes"}, {"text": "No"}]}),
        ),
    ]
}

/// Every kind, as the caller writes it in JSON, decodes to its own variant and re-encodes unchanged.
#[test]
fn every_message_kind_round_trips_to_its_variant() {
    for (kind, fields) in every_kind() {
        let wire = with_device(fields);
        let request: SendMessageRequest =
            serde_json::from_value(wire.clone()).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let debug = format!("{request:?}");
        assert!(debug.starts_with(kind), "{kind} decoded as {debug}");
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            wire,
            "{kind} re-encodes"
        );
    }
}

/// Each kind goes out as exactly its JSON, and the created message is decoded.
#[tokio::test]
async fn every_message_kind_is_posted_as_its_json() {
    let server = server().await;
    for (kind, fields) in every_kind() {
        let wire = with_reference(fields);
        let mut mock = server.send_message(|when, then| {
            authed(when.into_inner().json_body(wire.clone()));
            then.created(&from_json(message_json("queued")));
        });
        let sent = client(&server)
            .send_message()
            .body(from_json::<SendMessageRequest>(wire.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        mock.assert();
        assert_eq!(sent.status().as_u16(), 201, "{kind}");
        assert_eq!(sent.status, Some(MessageStatus::Queued), "{kind}");
        mock.delete();
    }
}

/// The node's delivery options, all at once, on a text message: names and shapes on the wire.
#[tokio::test]
async fn send_message_posts_every_delivery_option_and_decodes_201() {
    let server = server().await;
    let wire = json!({
        "device": DEVICE_ID,
        "phone": "+447362053576",
        "message": "Your order shipped",
        "priority": "urgent",
        "label": "orders",
        "reference": "order-42",
        "agent": "5e1f2a3b4c5d6e7f8a9b0c1e",
        "live": false,
        "enqueue": "opportunistic",
        "retries": 25,
        "actions": [
            {"action": "chat:assign", "params": {"department": "5e1f2a3b4c5d6e7f8a9b0d20"}},
            {"action": "labels:add", "params": {"labels": ["vip", "orders"]}},
            {"action": "metadata:set", "params": {"metadata": [{"key": "crm_id", "value": "42"}]}},
            {"action": "metadata:remove", "params": {"keys": ["stale"]}},
            {"action": "chat:resolve"}
        ],
        "expiration": {"duration": "1h"},
        "sendReadAck": true,
        "typing": 3,
        "quote": WA_ID,
        "order": true
    });
    let body: SendMessageRequest = from_json(wire.clone());
    assert!(
        matches!(body, SendMessageRequest::TextMessage(_)),
        "{body:?}"
    );
    let mock = server.send_message(|when, then| {
        authed(when.body(&body).into_inner().json_body(wire.clone()));
        then.created(&from_json(message_json("queued")));
    });
    let sent = client(&server)
        .send_message()
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(sent.status().as_u16(), 201);
    assert_eq!(sent.status, Some(MessageStatus::Queued));
    assert_eq!(sent.reference.as_deref(), Some("order-42"));
}

/// A 200 answer (some clients see it) decodes like a 201.
#[tokio::test]
async fn send_message_accepts_a_200_answer() {
    let server = server().await;
    let body: SendMessageRequest = from_json(with_reference(
        json!({"phone": "+447362053576", "product": "123456789012345678"}),
    ));
    let mock = server.send_message(|when, then| {
        authed(when.body(&body).into_inner());
        then.ok(&from_json(message_json("sent")));
    });
    let sent = client(&server)
        .send_message()
        .body(body)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(sent.status().as_u16(), 200);
    assert_eq!(sent.status, Some(MessageStatus::Sent));
}

/// The node's field limits are part of the generated types: bad values do not even decode.
#[test]
fn message_field_limits_are_checked_by_the_types() {
    let accepts = |wire: Value| serde_json::from_value::<SendMessageRequest>(wire).is_ok();
    let text = |message: String| with_device(json!({"phone": "+447362053576", "message": message}));
    assert!(
        accepts(text("x".repeat(6000))),
        "6000 characters are allowed"
    );
    assert!(!accepts(text("x".repeat(6001))), "over 6000 characters");
    assert!(!accepts(text(String::new())), "an empty text");
    assert!(
        !accepts(json!({"phone": "+447362053576", "message": "hi"})),
        "a send without device"
    );
    assert!(
        !accepts(with_device(
            json!({"phone": "447362053576", "message": "hi"})
        )),
        "a phone without +"
    );
    assert!(
        !accepts(with_device(
            json!({"phone": "+447362053576", "product": "12345"})
        )),
        "a product ID of 5 digits"
    );
    assert!(
        !accepts(with_device(
            json!({"phone": "+447362053576", "reaction": "x".repeat(11), "reactionMessage": WA_ID})
        )),
        "a reaction over 10 characters"
    );
    assert!(
        !accepts(with_device(
            json!({"phone": "+447362053576", "forward": {"message": "not-hex"}})
        )),
        "a forwarded message ID that is not 18-32 hex"
    );
    assert!(
        !accepts(with_device(json!({"phone": "+447362053576",
            "poll": {"name": "x".repeat(251), "options": ["a", "b"]}}))),
        "a poll question over 250 characters"
    );
    assert!(
        !accepts(with_device(json!({"phone": "+447362053576",
            "event": {"name": "No date"}}))),
        "an event without its date"
    );
}

/// Counts and ranges are checked at `send()`, before any request is made.
#[tokio::test]
async fn message_counts_and_ranges_are_refused_before_io() {
    let server = server().await;
    let mock = server.send_message(|when, then| {
        when.into_inner();
        then.created(&from_json(message_json("queued")));
    });
    let options: Vec<String> = (0..11).map(|i| format!("Option {i}")).collect();
    let cases = [
        (
            json!({"phone": "+447362053576", "poll": {"name": "Lunch?", "options": options}}),
            "body field `/poll/options` has 11 item(s); the API allows 2 to 10",
        ),
        (
            json!({"phone": "+447362053576", "vote": {"poll": WA_ID, "options": [{"id": 12}]}}),
            "body field `/vote/options/0/id` is 12; the API allows 0 to 11",
        ),
        (
            json!({"phone": "+447362053576", "message": "hi", "typing": 31}),
            "body field `/typing` is 31; the API allows 0 to 30",
        ),
        (
            json!({"phone": "+447362053576", "message": "hi", "retries": 101}),
            "body field `/retries` is 101; the API allows 0 to 100",
        ),
        (
            json!({"phone": "+447362053576", "message": "hi", "expiration": {"seconds": 2592001}}),
            "body field `/expiration/seconds` is 2592001; the API allows 5 to 2592000",
        ),
    ];
    for (fields, why) in cases {
        let body: SendMessageRequest = from_json(with_device(fields));
        let err = client(&server)
            .send_message()
            .body(body)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest(got) if got.contains(why)),
            "expected {why:?}, got {err:?}"
        );
    }
    mock.assert_calls(0);
}

#[tokio::test]
async fn search_messages_sends_the_node_filters() {
    let server = server().await;
    let device: types::SearchMessagesDevice = "+447362053576".parse().unwrap();
    let mock = server.search_messages(|when, then| {
        let when = when
            .device(&device)
            .page(2)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("order")
            .source(&types::MessageSource::Api)
            .target(&types::MessageTargetKind::Group)
            .sort(&types::MessageSort::DateAsc)
            .group(
                &"120363025246125486@g.us"
                    .parse::<types::GroupWid>()
                    .unwrap(),
            );
        authed(when.into_inner())
            .query_param("status", "delivered")
            .query_param("status", "read")
            .query_param("deliveryStatus", "failed")
            .query_param("webhookStatus", "success")
            .query_param("include", "device")
            .query_param("include", "events")
            .query_param("type", "image")
            .query_param("waIds", WA_ID)
            .query_param("devices", DEVICE_ID)
            .query_param("reference", "order-42")
            .query_param("priority", "urgent")
            .query_param("ids", MESSAGE_ID)
            .query_param("createdAfter", "2026-11-01T00:00:00Z");
        then.ok(&vec![from_json(message_json("delivered"))]);
    });
    let found = client(&server)
        .search_messages()
        .status(vec![MessageStatus::Delivered, MessageStatus::Read])
        .delivery_status(vec![types::DeliveryStatus::Failed])
        .webhook_status(vec![types::WebhookStatus::Success])
        .include(vec![
            types::MessageInclude::Device,
            types::MessageInclude::Events,
        ])
        .type_(vec![types::MessageType::Image])
        .wa_ids(vec![WA_ID.parse::<types::WaMessageId>().unwrap()])
        .devices(vec![sparkbot_tests::device_id()])
        .reference(vec![
            "order-42"
                .parse::<types::SearchMessagesReferenceItem>()
                .unwrap(),
        ])
        .priority(vec![types::MessagePriority::Urgent])
        .ids(vec![MESSAGE_ID.parse::<types::MessageId>().unwrap()])
        .device("+447362053576")
        .group("120363025246125486@g.us")
        .source(types::MessageSource::Api)
        .target(types::MessageTargetKind::Group)
        .sort(types::MessageSort::DateAsc)
        .created_after(
            "2026-11-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .page(2u64)
        .size(20u64)
        .search("order")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].status, Some(MessageStatus::Delivered));
}

#[tokio::test]
async fn search_messages_refuses_a_device_that_is_neither_id_nor_phone() {
    let server = server().await;
    let mock = server.search_messages(|when, then| {
        when.into_inner();
        then.ok(&vec![]);
    });
    let err = client(&server)
        .search_messages()
        .device("sales-team")
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}

#[tokio::test]
async fn get_message_sends_include_joined_and_decodes_an_unknown_status() {
    let server = server().await;
    let mock = server.get_message(|when, then| {
        authed(
            when.message_id(&MESSAGE_ID.parse().unwrap())
                .include(&"device,events".parse::<types::GetMessageInclude>().unwrap())
                .into_inner(),
        );
        then.ok(&from_json(message_json("teleported")));
    });
    let message = client(&server)
        .get_message()
        .message_id(MESSAGE_ID)
        .include("device,events")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(
        message.status,
        Some(MessageStatus::Unknown("teleported".into()))
    );

    let err = client(&server)
        .get_message()
        .message_id(MESSAGE_ID)
        .include("device,bogus")
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(1);
}

#[tokio::test]
async fn update_message_patches_the_node_fields() {
    let server = server().await;
    let wire = json!({
        "message": "Corrected text",
        "priority": "urgent",
        "chat": "447362053576@c.us",
        "device": DEVICE_ID,
        "agent": "5e1f2a3b4c5d6e7f8a9b0c1e",
        "deliverAt": "2026-12-01T10:00:00Z",
        "reference": "order-43",
        "label": "orders",
        "remove": ["media.file", "location.coordinates"]
    });
    let body: types::UpdateMessageRequest = from_json(wire.clone());
    let mock = server.update_message(|when, then| {
        authed(
            when.message_id(&MESSAGE_ID.parse().unwrap())
                .body(&body)
                .into_inner()
                .json_body(wire.clone()),
        );
        then.ok(&from_json(message_json("queued")));
    });
    let message = client(&server)
        .update_message()
        .message_id(MESSAGE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(message.id.as_deref(), Some(MESSAGE_ID));
}

#[tokio::test]
async fn delete_message_cancels_it() {
    let server = server().await;
    let mock = server.delete_message(|when, then| {
        authed(
            when.message_id(&MESSAGE_ID.parse().unwrap())
                .force(None::<bool>)
                .into_inner(),
        );
        then.ok();
    });
    let response = client(&server)
        .delete_message()
        .message_id(MESSAGE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn delete_message_can_force_it() {
    let server = server().await;
    let mock = server.delete_message(|when, then| {
        authed(
            when.message_id(&MESSAGE_ID.parse().unwrap())
                .force(true)
                .into_inner(),
        );
        then.no_content();
    });
    let response = client(&server)
        .delete_message()
        .message_id(MESSAGE_ID)
        .force(true)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(response.status().as_u16(), 204);
}
