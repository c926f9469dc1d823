//! Chats: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, ChatSetStatus, ChatStatus, ChatStatusFilter, ChatType};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, authed, client, device_id, from_json, server,
};

const CHAT: &str = "447362053576@c.us";
const GROUP: &str = "120363012345678901@g.us";
const AGENT: &str = "64b7c8d9e0f1a2b3c4d5e6f7";

fn chat_wid() -> types::ChatWid {
    CHAT.parse().unwrap()
}

fn chat_json() -> serde_json::Value {
    json!({
        "id": CHAT,
        "name": "Alice",
        "type": "chat",
        "status": "active",
        "waStatus": "archived",
        "labels": ["vip", "lead"],
        "owner": {"agent": AGENT},
        "fromNumber": "+447362053576",
        "contact": {"wid": CHAT, "phone": "+447362053576", "metadata": [{"key": "crm_id", "value": "42"}]},
        "lastMessageAt": "2026-01-02T03:04:05.000Z"
    })
}

#[tokio::test]
async fn list_chats_sends_filters_and_decodes_the_array() {
    let server = server().await;
    let chats: Vec<types::Chat> = vec![from_json(chat_json())];
    let mock = server.list_chats(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(2)
            .size(std::num::NonZeroU64::new(50).unwrap())
            .sort("date:desc")
            .archived(false)
            .status(&ChatStatusFilter::Pending)
            .unread(true)
            .active(true)
            .can_send(true)
            .read_only(false)
            .type_(&ChatType::Group)
            .search("alice");
        let when = when
            .into_inner()
            .query_param("agents", AGENT)
            .query_param("labels", "vip")
            .query_param("labels", "*")
            .query_param("excludeLabels", "spam")
            .query_param("include", "notes");
        authed(when);
        then.ok(&chats);
    });
    let listed = client(&server)
        .list_chats()
        .device_id(DEVICE_ID)
        .page(2u64)
        .size(50u64)
        .sort("date:desc")
        .archived(false)
        .status(ChatStatusFilter::Pending)
        .unread(true)
        .active(true)
        .can_send(true)
        .read_only(false)
        .type_(ChatType::Group)
        .search("alice")
        .agents(vec![AGENT.parse::<types::UserId>().unwrap()])
        .labels(vec!["vip".to_owned(), "*".to_owned()])
        .exclude_labels(vec!["spam".to_owned()])
        .include(vec![types::ChatInclude::Notes])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed.len(), 1);
    let chat = &listed[0];
    assert_eq!(chat.id.as_deref(), Some(CHAT));
    assert_eq!(chat.type_, Some(ChatType::Chat));
    assert_eq!(chat.status, Some(ChatStatus::Active));
    assert_eq!(chat.labels, vec!["vip".to_owned(), "lead".to_owned()]);
    assert_eq!(
        chat.owner.as_ref().and_then(|o| o.agent.as_deref()),
        Some(AGENT)
    );
    let contact = chat.contact.as_ref().unwrap();
    assert_eq!(contact.metadata[0].key.as_deref(), Some("crm_id"));
}

#[tokio::test]
async fn get_chat_decodes_the_chat_and_maps_404() {
    let server = server().await;
    let mock = server.get_chat(|when, then| {
        authed(
            when.device_id(&device_id())
                .chat_wid(&chat_wid())
                .into_inner(),
        );
        then.ok(&from_json(chat_json()));
    });
    let chat = client(&server)
        .get_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(chat.name.as_deref(), Some("Alice"));
    assert_eq!(chat.wa_status.as_deref(), Some("archived"));

    let missing: types::ChatWid = "447000000000@c.us".parse().unwrap();
    let mock = server.get_chat(|when, then| {
        when.chat_wid(&missing);
        then.not_found(&api_error(404, "chat:not_found", "Chat not found"));
    });
    let err = client(&server)
        .get_chat()
        .device_id(DEVICE_ID)
        .chat_wid("447000000000@c.us")
        .send()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn get_chat_rejects_a_malformed_chat_id_before_sending() {
    let server = server().await;
    let err = client(&server)
        .get_chat()
        .device_id(DEVICE_ID)
        .chat_wid("not-a-wid")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, sparkbot_api::Error::InvalidRequest(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn delete_chat_sends_the_whatsapp_and_force_flags() {
    let server = server().await;
    let mock = server.delete_chat(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .whatsapp(true)
            .force(true);
        authed(when.into_inner());
        then.ok();
    });
    client(&server)
        .delete_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .whatsapp(true)
        .force(true)
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn update_chat_labels_upserts_an_array_of_names() {
    let server = server().await;
    let body: types::ChatLabelNames = from_json(json!(["vip", "lead"]));
    let mock = server.update_chat_labels(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .upsert(true)
            .body(&body);
        authed(when.into_inner());
        then.ok(&from_json(json!({"labels": ["vip", "lead", "old"]})));
    });
    let out = client(&server)
        .update_chat_labels()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .upsert(true)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["labels"][2], "old");
}

#[tokio::test]
async fn update_chat_labels_without_upsert_replaces() {
    let server = server().await;
    let body: types::ChatLabelNames = from_json(json!(["only"]));
    let mock = server.update_chat_labels(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .upsert(None)
            .body(&body);
        authed(when.into_inner());
        then.ok(&from_json(json!({})));
    });
    client(&server)
        .update_chat_labels()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn chat_label_names_reject_a_name_over_30_characters() {
    let long = "x".repeat(31);
    assert!(serde_json::from_value::<types::ChatLabelNames>(json!([long])).is_err());
}

#[tokio::test]
async fn remove_chat_labels_sends_the_names_in_a_delete_body() {
    let server = server().await;
    let body: types::ChatLabelNames = from_json(json!(["spam"]));
    let mock = server.remove_chat_labels(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .body(&body);
        authed(when.into_inner());
        then.no_content();
    });
    client(&server)
        .remove_chat_labels()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn assign_chat_agent_sends_the_agent() {
    let server = server().await;
    let body: types::ChatAssignRequest = from_json(json!({"agent": AGENT}));
    let mock = server.assign_chat_agent(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .body(&body);
        authed(when.into_inner());
        then.ok(&from_json(json!({"owner": {"agent": AGENT}})));
    });
    let out = client(&server)
        .assign_chat_agent()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["owner"]["agent"], AGENT);
}

#[tokio::test]
async fn assign_chat_agent_by_email_and_department() {
    let server = server().await;
    let body: types::ChatAssignRequest = from_json(json!({
        "email": "agent@example.com",
        "department": "64b7c8d9e0f1a2b3c4d5e6f8"
    }));
    let mock = server.assign_chat_agent(|when, then| {
        authed(when.body(&body).into_inner());
        then.ok(&from_json(json!(null)));
    });
    client(&server)
        .assign_chat_agent()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn unassign_chat_deletes_the_owner() {
    let server = server().await;
    let mock = server.unassign_chat(|when, then| {
        authed(
            when.device_id(&device_id())
                .chat_wid(&chat_wid())
                .into_inner(),
        );
        then.ok();
    });
    client(&server)
        .unassign_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn set_chat_status_sends_the_status() {
    let server = server().await;
    let body = types::ChatStatusRequest {
        status: ChatSetStatus::Resolved,
    };
    let mock = server.set_chat_status(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .body(&body);
        authed(when.into_inner());
        then.ok(&from_json(json!({"status": "resolved"})));
    });
    let out = client(&server)
        .set_chat_status()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["status"], "resolved");
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"status": "resolved"})
    );
}

#[tokio::test]
async fn archive_chat_puts_the_archive_flag() {
    let server = server().await;
    let mock = server.archive_chat(|when, then| {
        authed(
            when.device_id(&device_id())
                .chat_wid(&chat_wid())
                .into_inner(),
        );
        then.ok(&from_json(json!({"waStatus": "archived"})));
    });
    let out = client(&server)
        .archive_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["waStatus"], "archived");
}

#[tokio::test]
async fn unarchive_chat_deletes_the_archive_flag_and_maps_404() {
    let server = server().await;
    let mock = server.unarchive_chat(|when, then| {
        authed(
            when.device_id(&device_id())
                .chat_wid(&chat_wid())
                .into_inner(),
        );
        then.not_found(&api_error(404, "chat:not_found", "Chat not found"));
    });
    let err = client(&server)
        .unarchive_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .send()
        .await
        .unwrap_err();
    mock.assert();
    match err {
        sparkbot_api::Error::ErrorResponse(resp) => {
            assert_eq!(resp.status().as_u16(), 404);
            assert_eq!(resp.message.as_deref(), Some("Chat not found"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }

    let server2 = sparkbot_tests::server().await;
    let mock = server2.unarchive_chat(|when, then| {
        authed(when.chat_wid(&chat_wid()).into_inner());
        then.no_content();
    });
    client(&server2)
        .unarchive_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn list_chat_notes_pages_and_decodes() {
    let server = server().await;
    let notes: Vec<types::ChatNote> = vec![from_json(json!({
        "id": "n1", "message": "Call back tomorrow", "author": AGENT, "createdAt": "2026-01-01T00:00:00Z"
    }))];
    let mock = server.list_chat_notes(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .page(0)
            .size(std::num::NonZeroU64::new(10).unwrap());
        authed(when.into_inner());
        then.ok(&notes);
    });
    let listed = client(&server)
        .list_chat_notes()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .page(0u64)
        .size(10u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].message.as_deref(), Some("Call back tomorrow"));
    assert_eq!(listed[0].author, Some(json!(AGENT)));
}

#[tokio::test]
async fn create_chat_note_sends_the_note_and_decodes_it() {
    let server = server().await;
    let body: types::ChatNoteCreateRequest = from_json(json!({
        "message": "*Important*: refund approved",
        "quote": "3EB0C767D097B7E8A1B2",
        "author": AGENT
    }));
    let mock = server.create_chat_note(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .body(&body);
        authed(when.into_inner());
        then.ok(&from_json(
            json!({"id": "n2", "message": "*Important*: refund approved"}),
        ));
    });
    let note = client(&server)
        .create_chat_note()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(note.id.as_deref(), Some("n2"));
}

#[tokio::test]
async fn create_chat_note_enforces_the_2_to_6000_character_limit() {
    assert!(
        serde_json::from_value::<types::ChatNoteCreateRequest>(json!({"message": "x"})).is_err()
    );
    let long = "x".repeat(6001);
    assert!(
        serde_json::from_value::<types::ChatNoteCreateRequest>(json!({"message": long})).is_err()
    );
    let ok = "x".repeat(6000);
    assert!(serde_json::from_value::<types::ChatNoteCreateRequest>(json!({"message": ok})).is_ok());
}

#[tokio::test]
async fn delete_chat_notes_sends_the_note_ids() {
    let server = server().await;
    let body: types::ChatNoteIds = from_json(json!(["n1", "n2"]));
    let mock = server.delete_chat_notes(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .body(&body);
        authed(when.into_inner());
        then.ok();
    });
    client(&server)
        .delete_chat_notes()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn list_chat_participants_decodes_admins() {
    let server = server().await;
    let group: types::ChatWid = GROUP.parse().unwrap();
    let participants: Vec<types::ChatParticipant> = vec![
        from_json(json!({"phone": "+447362053576", "isAdmin": true, "isOwner": true})),
        from_json(json!({"phone": "+447362053577", "isAdmin": false})),
    ];
    let mock = server.list_chat_participants(|when, then| {
        authed(when.device_id(&device_id()).chat_wid(&group).into_inner());
        then.ok(&participants);
    });
    let listed = client(&server)
        .list_chat_participants()
        .device_id(DEVICE_ID)
        .chat_wid(GROUP)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].is_owner, Some(true));
    assert_eq!(listed[1].is_admin, Some(false));
}

#[tokio::test]
async fn sync_chat_messages_pages_with_size_and_before() {
    let server = server().await;
    let messages: Vec<types::ChatMessage> = vec![from_json(json!({
        "id": "3EB0C767D097B7E8A1B2", "type": "text", "flow": "inbound", "body": "hi"
    }))];
    let mock = server.sync_chat_messages(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .page(1)
            .size(std::num::NonZeroU64::new(50).unwrap())
            .before("3EB0C767D097B7E8A1B3");
        authed(when.into_inner());
        then.ok(&messages);
    });
    let listed = client(&server)
        .sync_chat_messages()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .page(1u64)
        .size(50u64)
        .before("3EB0C767D097B7E8A1B3")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].body.as_deref(), Some("hi"));
    assert_eq!(listed[0].flow, Some(types::ChatMessageFlow::Inbound));
}

#[tokio::test]
async fn mark_chat_as_read_posts_to_read() {
    let server = server().await;
    let mock = server.mark_chat_as_read(|when, then| {
        authed(
            when.device_id(&device_id())
                .chat_wid(&chat_wid())
                .into_inner(),
        );
        then.ok(&from_json(json!({"unread": 0})));
    });
    let out = client(&server)
        .mark_chat_as_read()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["unread"], 0);
}

#[tokio::test]
async fn mark_chat_as_unread_deletes_read() {
    let server = server().await;
    let mock = server.mark_chat_as_unread(|when, then| {
        authed(
            when.device_id(&device_id())
                .chat_wid(&chat_wid())
                .into_inner(),
        );
        then.no_content();
    });
    client(&server)
        .mark_chat_as_unread()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn send_typing_status_to_a_phone_and_a_group() {
    let server = server().await;
    let body: types::ChatTypingRequest = from_json(json!({
        "action": "typing", "duration": 10, "chat": "+447362053576"
    }));
    let mock = server.send_typing_status(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(json!({"status": "ok"})));
    });
    client(&server)
        .send_typing_status()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();

    let group: types::ChatTypingRequest = from_json(json!({"action": "stop", "chat": GROUP}));
    assert_eq!(group.action, types::ChatTypingAction::Stop);
    assert!(
        serde_json::from_value::<types::ChatTypingRequest>(
            json!({"action": "typing", "chat": "447362053576@c.us"})
        )
        .is_err(),
        "a user chat is addressed by E.164 phone"
    );
}

#[tokio::test]
async fn chat_status_values_outside_the_spec_still_decode() {
    let chat: types::Chat = from_json(json!({"status": "snoozed", "type": "broadcast"}));
    assert!(matches!(chat.status, Some(ChatStatus::Unknown(ref s)) if s == "snoozed"));
    assert!(matches!(chat.type_, Some(ChatType::Unknown(_))));
}
