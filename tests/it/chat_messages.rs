//! Chat Messages: every operation's request (method, path, query, `Token`, body) is asserted by
//! its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{
    self, ChatMessageAckFilter, ChatMessageFlow, ChatMessageInclude, ChatMessageKind,
    ChatMessageSort, ChatMessageType, ChatType,
};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, assert_invalid_request, authed, client, device_id,
    from_json, server,
};

const MSG: &str = "3EB0C767D097B7E8A1B2";

fn msg_id() -> types::ChatMessageId {
    MSG.parse().unwrap()
}

fn inbound_json() -> serde_json::Value {
    json!({
        "id": MSG,
        "type": "image",
        "flow": "inbound",
        "body": "look",
        "fromNumber": "+447362053576",
        "date": "2026-01-02T03:04:05.000Z",
        "chat": {"id": "447362053576@c.us", "type": "chat", "contact": {"phone": "+447362053576"}},
        "media": {
            "id": "65a1b2c3d4e5f6a7b8c9d0e1",
            "size": 2048,
            "mime": "image/jpeg",
            "extension": "jpg",
            "caption": "look",
            "expiresAt": "2026-02-01T00:00:00.000Z",
            "meta": {"duration": 0},
            "links": {"download": "/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/files/65a1b2c3d4e5f6a7b8c9d0e1/download"}
        },
        "meta": {"isFirstMessage": true}
    })
}

#[tokio::test]
async fn list_chat_messages_sends_the_node_filters() {
    let server = server().await;
    let messages: Vec<types::ChatMessage> = vec![from_json(inbound_json())];
    let mock = server.list_chat_messages(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(50).unwrap())
            .sort(&ChatMessageSort::DateAsc)
            .flow(&ChatMessageFlow::Inbound)
            .search("invoice")
            .sync(true)
            .skip(5)
            .limit(std::num::NonZeroU64::new(25).unwrap());
        // Array filters go out repeated, one `name=value` pair per item.
        let when = when
            .into_inner()
            .query_param("chat", "447362053576@c.us")
            .query_param("from", "+447362053576")
            .query_param("to", "447362053577@c.us")
            .query_param("reference", "order-42")
            .query_param("begin", "3EB0C767D097B7E8A1B0")
            .query_param("end", "3EB0C767D097B7E8A1B9")
            .query_param("after", "2026-01-01T00:00:00Z")
            .query_param("ack", "delivered")
            .query_param("ack", "read")
            .query_param("wid", MSG)
            .query_param("type", "group")
            .query_param("type", "channel")
            .query_param("kind", "image")
            .query_param("kind", "voice")
            .query_param("include", "chat")
            .query_param("include", "media");
        authed(when);
        then.ok(&messages);
    });
    let after: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let listed = client(&server)
        .list_chat_messages()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(50u64)
        .sort(ChatMessageSort::DateAsc)
        .flow(ChatMessageFlow::Inbound)
        .ack(vec![
            ChatMessageAckFilter::Delivered,
            ChatMessageAckFilter::Read,
        ])
        .wid(vec![MSG.parse::<types::ListChatMessagesWidItem>().unwrap()])
        .search("invoice")
        .chat("447362053576@c.us")
        .from("+447362053576")
        .to("447362053577@c.us")
        .type_(vec![ChatType::Group, ChatType::Channel])
        .reference("order-42")
        .kind(vec![ChatMessageKind::Image, ChatMessageKind::Voice])
        .sync(true)
        .begin("3EB0C767D097B7E8A1B0")
        .end("3EB0C767D097B7E8A1B9")
        .after(after)
        .include(vec![ChatMessageInclude::Chat, ChatMessageInclude::Media])
        .skip(5u64)
        .limit(25u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    let m = &listed[0];
    assert_eq!(m.type_, Some(ChatMessageType::Image));
    assert_eq!(m.meta.as_ref().unwrap().is_first_message, Some(true));
    let media = m.media.as_ref().unwrap();
    assert_eq!(media.size, Some(2048));
    assert!(
        media
            .links
            .as_ref()
            .and_then(|l| l.download.as_deref())
            .unwrap()
            .ends_with("/download")
    );
    assert_eq!(
        m.chat
            .as_ref()
            .and_then(|c| c.contact.as_ref())
            .and_then(|c| c.phone.as_deref()),
        Some("+447362053576")
    );
}

#[tokio::test]
async fn list_chat_messages_caps_size_at_50() {
    let server = server().await;
    let err = client(&server)
        .list_chat_messages()
        .device_id(DEVICE_ID)
        .size(51u64)
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
}

#[tokio::test]
async fn list_chat_messages_sends_before() {
    let server = server().await;
    let mock = server.list_chat_messages(|when, then| {
        let when = when
            .device_id(&device_id())
            .into_inner()
            .query_param("before", "2026-03-01T12:00:00Z");
        authed(when);
        then.ok(&vec![]);
    });
    let before: chrono::DateTime<chrono::Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
    let listed = client(&server)
        .list_chat_messages()
        .device_id(DEVICE_ID)
        .before(before)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn get_chat_message_decodes_poll_location_and_contacts() {
    let server = server().await;
    let body = json!({
        "id": MSG,
        "type": "poll",
        "flow": "outbound",
        "poll": {"name": "Lunch?", "options": [{"name": "Yes"}, {"name": "No"}]},
        "location": {"name": "HQ", "address": "1 Main St"},
        "contacts": [{"formattedName": "Bob", "phones": [{"number": "+447362053577", "waid": "447362053577"}]}],
        "event": {"name": "Demo", "link": "https://call.whatsapp.com/x"},
        "ack": "read"
    });
    let mock = server.get_chat_message(|when, then| {
        authed(
            when.device_id(&device_id())
                .message_id(&msg_id())
                .into_inner(),
        );
        then.ok(&from_json(body.clone()));
    });
    let m = client(&server)
        .get_chat_message()
        .device_id(DEVICE_ID)
        .message_id(MSG)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(
        m.poll.as_ref().unwrap().options[1].name.as_deref(),
        Some("No")
    );
    assert_eq!(
        m.location.as_ref().unwrap().address.as_deref(),
        Some("1 Main St")
    );
    assert_eq!(
        m.contacts[0].phones[0].waid.as_deref(),
        Some("447362053577")
    );
    assert_eq!(m.event.as_ref().unwrap().name.as_deref(), Some("Demo"));
    assert_eq!(m.ack, Some(json!("read")));
    assert_eq!(m.flow, Some(ChatMessageFlow::Outbound));
}

#[tokio::test]
async fn get_chat_message_maps_404() {
    let server = server().await;
    let mock = server.get_chat_message(|when, then| {
        authed(when.message_id(&msg_id()).into_inner());
        then.not_found(&api_error(404, "message:not_found", "Message not found"));
    });
    let err = client(&server)
        .get_chat_message()
        .device_id(DEVICE_ID)
        .message_id(MSG)
        .send()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn delete_chat_message_can_revoke() {
    let server = server().await;
    let mock = server.delete_chat_message(|when, then| {
        let when = when
            .device_id(&device_id())
            .message_id(&msg_id())
            .revoke(true)
            .clean(None)
            .force(None);
        authed(when.into_inner());
        then.no_content();
    });
    client(&server)
        .delete_chat_message()
        .device_id(DEVICE_ID)
        .message_id(MSG)
        .revoke(true)
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn delete_chat_message_can_force_and_clean() {
    let server = server().await;
    let mock = server.delete_chat_message(|when, then| {
        let when = when
            .device_id(&device_id())
            .message_id(&msg_id())
            .clean(true)
            .force(true)
            .revoke(None);
        authed(when.into_inner());
        then.ok();
    });
    client(&server)
        .delete_chat_message()
        .device_id(DEVICE_ID)
        .message_id(MSG)
        .clean(true)
        .force(true)
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn edit_chat_message_sends_the_new_text() {
    let server = server().await;
    let body: types::ChatMessageEditRequest = from_json(json!({"message": "fixed typo"}));
    let mock = server.edit_chat_message(|when, then| {
        let when = when
            .device_id(&device_id())
            .message_id(&msg_id())
            .into_inner()
            .json_body(json!({"message": "fixed typo"}));
        authed(when);
        then.ok(&from_json(json!({"id": MSG, "body": "fixed typo"})));
    });
    let out = client(&server)
        .edit_chat_message()
        .device_id(DEVICE_ID)
        .message_id(MSG)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["body"], "fixed typo");
    assert!(
        serde_json::from_value::<types::ChatMessageEditRequest>(json!({"message": ""})).is_err()
    );
}

#[tokio::test]
async fn get_chat_message_ack_info_decodes_recipients() {
    let server = server().await;
    let mock = server.get_chat_message_ack_info(|when, then| {
        authed(
            when.device_id(&device_id())
                .message_id(&msg_id())
                .into_inner(),
        );
        then.ok(&from_json(json!({
            "ack": "read",
            "delivered": [{"phone": "+447362053577"}],
            "read": [{"phone": "+447362053577", "date": "2026-01-01T00:00:00Z"}],
            "played": []
        })));
    });
    let info = client(&server)
        .get_chat_message_ack_info()
        .device_id(DEVICE_ID)
        .message_id(MSG)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(info.ack.as_deref(), Some("read"));
    assert_eq!(info.read[0]["phone"], "+447362053577");
    assert!(info.played.is_empty());
}

#[tokio::test]
async fn chat_message_ids_reject_path_breaking_characters() {
    assert!("abc/def".parse::<types::ChatMessageId>().is_err());
    assert!("".parse::<types::ChatMessageId>().is_err());
    assert!(
        "65a1b2c3d4e5f6a7b8c9d0e1"
            .parse::<types::ChatMessageId>()
            .is_ok()
    );
}
