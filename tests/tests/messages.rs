//! Send messages and Outbound Messages: every message kind serialises to the flat JSON the API
//! expects, and the outbound message operations send and decode what the spec says.

use serde_json::{Value, json};
use sparkbot_api::types::{self, MessageStatus, SendMessageRequest};
use sparkbot_tests::{MESSAGE_ID, MockServerExt, authed, client, from_json, server};

fn message_json(status: &str) -> Value {
    json!({
        "id": MESSAGE_ID,
        "waId": "3EB0C767D26A1B2C3D4E",
        "phone": "+447362053576",
        "status": status,
        "deliveryStatus": "sent",
        "priority": "normal",
        "reference": "order-42",
        "createdAt": "2026-11-24T04:00:00Z"
    })
}

/// Every kind, as the caller writes it in JSON, decodes to its own variant and re-encodes unchanged.
#[test]
fn every_message_kind_round_trips_to_its_variant() {
    let cases: Vec<(&str, Value)> = vec![
        (
            "TextMessage",
            json!({"phone": "+447362053576", "message": "Hello", "priority": "high"}),
        ),
        (
            "MediaMessage",
            json!({"group": "120363025246125486@g.us", "message": "caption",
            "media": {"url": "https://example.com/a.jpg", "viewOnce": true}}),
        ),
        (
            "LocationMessage",
            json!({"phone": "+447362053576",
            "location": {"coordinates": [51.5, -0.12], "name": "Office"}}),
        ),
        (
            "ContactsMessage",
            json!({"phone": "+447362053576",
            "contacts": [{"phone": "+34600111222", "name": "Ana"}]}),
        ),
        (
            "ReactionMessage",
            json!({"phone": "+447362053576",
            "reactionMessage": "3EB0C767D26A1B2C3D4E", "reaction": "👍"}),
        ),
        (
            "PollMessage",
            json!({"phone": "+447362053576",
            "poll": {"name": "Lunch?", "options": ["Pizza", "Sushi"]}}),
        ),
        (
            "EventMessage",
            json!({"phone": "+447362053576",
            "event": {"name": "Kick-off", "date": "2026-12-01T10:00:00Z"}}),
        ),
        (
            "MeetingConfirmationMessage",
            json!({"phone": "+447362053576",
            "eventMessage": "3EB0C767D26A1B2C3D4E", "eventResponse": "accept"}),
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
    ];
    for (kind, wire) in cases {
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

#[test]
fn message_limits_are_checked_before_io() {
    let empty_text = serde_json::from_value::<types::TextMessage>(
        json!({"phone": "+447362053576", "message": ""}),
    );
    assert!(empty_text.is_err(), "an empty text must be rejected");
    let bad_phone = serde_json::from_value::<types::TextMessage>(
        json!({"phone": "447362053576", "message": "hi"}),
    );
    assert!(bad_phone.is_err(), "a phone without + must be rejected");
    let long = "x".repeat(4097);
    let too_long = serde_json::from_value::<types::TextMessage>(
        json!({"phone": "+447362053576", "message": long}),
    );
    assert!(
        too_long.is_err(),
        "a text over 4096 characters must be rejected"
    );
}

#[tokio::test]
async fn send_message_posts_the_body_and_decodes_201() {
    let server = server().await;
    let body: SendMessageRequest = from_json(json!({
        "phone": "+447362053576",
        "message": "Your order shipped",
        "reference": "order-42",
        "priority": "high",
        "expiration": {"duration": "1h"},
        "enqueue": "never"
    }));
    let mock = server.send_message(|when, then| {
        authed(when.body(&body).into_inner());
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

#[tokio::test]
async fn search_messages_sends_filters() {
    let server = server().await;
    let mock = server.search_messages(|when, then| {
        let when = when
            .status(&MessageStatus::Delivered)
            .device(
                &sparkbot_tests::DEVICE_ID
                    .parse::<types::DeviceId>()
                    .unwrap(),
            )
            .page(2)
            .size(std::num::NonZeroU64::new(50).unwrap())
            .search("order");
        authed(when.into_inner())
            .query_param("include", "device")
            .query_param("include", "events");
        then.ok(&vec![from_json(message_json("delivered"))]);
    });
    let found = client(&server)
        .search_messages()
        .status(MessageStatus::Delivered)
        .device(sparkbot_tests::DEVICE_ID)
        .page(2u64)
        .size(50u64)
        .search("order")
        .include(vec![
            types::MessageInclude::Device,
            types::MessageInclude::Events,
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(found[0].status, Some(MessageStatus::Delivered));
}

#[tokio::test]
async fn get_message_decodes_an_unknown_status() {
    let server = server().await;
    let mock = server.get_message(|when, then| {
        authed(when.message_id(&MESSAGE_ID.parse().unwrap()).into_inner());
        then.ok(&from_json(message_json("teleported")));
    });
    let message = client(&server)
        .get_message()
        .message_id(MESSAGE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(
        message.status,
        Some(MessageStatus::Unknown("teleported".into()))
    );
}

#[tokio::test]
async fn update_message_patches_a_queued_message() {
    let server = server().await;
    let body: types::UpdateMessageRequest =
        from_json(json!({"message": "Corrected text", "priority": "low"}));
    let mock = server.update_message(|when, then| {
        authed(
            when.message_id(&MESSAGE_ID.parse().unwrap())
                .body(&body)
                .into_inner(),
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
        authed(when.message_id(&MESSAGE_ID.parse().unwrap()).into_inner());
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
