//! Chats: every operation's request (method, path, query, `Token`, body) is asserted by its
//! typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{
    self, ChatBulkAction, ChatInclude, ChatParticipantInclude, ChatSetStatus, ChatSort, ChatStatus,
    ChatStatusFilter, ChatType,
};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, assert_invalid_request, authed, client, device_id,
    from_json, server,
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
async fn list_chats_sends_the_node_filters_and_decodes_the_array() {
    let server = server().await;
    let chats: Vec<types::Chat> = vec![from_json(chat_json())];
    let mock = server.list_chats(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(2)
            .size(std::num::NonZeroU64::new(50).unwrap())
            .sort(&ChatSort::LastMessageAtDesc)
            .archived(false)
            .unread(true)
            .active(true)
            .can_send(true)
            .read_only(false)
            .search("alice");
        // Array filters go out repeated, one `name=value` pair per item.
        let when = when
            .into_inner()
            .query_param("status", "pending")
            .query_param("status", "active")
            .query_param("type", "group")
            .query_param("agent", AGENT)
            .query_param("labels", "vip")
            .query_param("labels", "*")
            .query_param("labelsExclude", "spam")
            .query_param("include", "notes")
            .query_param("include", "participants")
            .query_param_missing("agents")
            .query_param_missing("excludeLabels");
        authed(when);
        then.ok(&chats);
    });
    let listed = client(&server)
        .list_chats()
        .device_id(DEVICE_ID)
        .page(2u64)
        .size(50u64)
        .sort(ChatSort::LastMessageAtDesc)
        .archived(false)
        .status(vec![ChatStatusFilter::Pending, ChatStatusFilter::Active])
        .unread(true)
        .active(true)
        .can_send(true)
        .read_only(false)
        .type_(vec![ChatType::Group])
        .search("alice")
        .agent(vec![AGENT.parse::<types::UserId>().unwrap()])
        .labels(vec![
            "vip".parse::<types::ListChatsLabelsItem>().unwrap(),
            "*".parse().unwrap(),
        ])
        .labels_exclude(vec![
            "spam".parse::<types::ListChatsLabelsExcludeItem>().unwrap(),
        ])
        .include(vec![ChatInclude::Notes, ChatInclude::Participants])
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
async fn list_chats_sends_the_s10_date_sort_and_caps_size_at_50() {
    let server = server().await;
    let mock = server.list_chats(|when, then| {
        let when = when
            .device_id(&device_id())
            .sort(&ChatSort::DateDesc)
            .into_inner()
            .query_param("sort", "date:desc");
        authed(when);
        then.ok(&Vec::<types::Chat>::new());
    });
    let listed = client(&server)
        .list_chats()
        .device_id(DEVICE_ID)
        .sort(ChatSort::DateDesc)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert!(listed.is_empty());

    let err = client(&server)
        .list_chats()
        .device_id(DEVICE_ID)
        .size(51u64)
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
}

#[tokio::test]
async fn get_chat_sends_include_comma_joined_and_maps_404() {
    let server = server().await;
    let mock = server.get_chat(|when, then| {
        authed(
            when.device_id(&device_id())
                .chat_wid(&chat_wid())
                .include(&"messages,notes".parse::<types::GetChatInclude>().unwrap())
                .into_inner(),
        );
        then.ok(&from_json(chat_json()));
    });
    let chat = client(&server)
        .get_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .include("messages,notes")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(chat.name.as_deref(), Some("Alice"));
    assert_eq!(chat.wa_status.as_deref(), Some("archived"));

    let missing: types::ChatWid = "447000000000@c.us".parse().unwrap();
    let mock = server.get_chat(|when, then| {
        authed(when.chat_wid(&missing).include(None).into_inner());
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
async fn get_chat_include_accepts_only_the_node_values() {
    let server = server().await;
    let err = client(&server)
        .get_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .include("messages,contacts")
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
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
    assert_invalid_request(&err);
}

#[tokio::test]
async fn delete_chat_sends_the_whatsapp_and_force_flags_in_the_body() {
    let server = server().await;
    let body: types::ChatDeleteRequest = from_json(json!({"whatsapp": true, "force": true}));
    let mock = server.delete_chat(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .body(&body)
            .into_inner()
            .query_param_missing("whatsapp")
            .query_param_missing("force");
        authed(when);
        then.ok();
    });
    client(&server)
        .delete_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn delete_chat_without_options_sends_an_empty_object() {
    let server = server().await;
    let mock = server.delete_chat(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .into_inner()
            .json_body(json!({}));
        authed(when);
        then.no_content();
    });
    client(&server)
        .delete_chat()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
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
            .remove(None)
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
async fn update_chat_labels_with_remove_removes_only_those_names() {
    let server = server().await;
    let body: types::ChatLabelNames = from_json(json!(["spam"]));
    let mock = server.update_chat_labels(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .remove(true)
            .upsert(None)
            .body(&body);
        authed(when.into_inner());
        then.ok(&from_json(json!({"labels": ["vip"]})));
    });
    let out = client(&server)
        .update_chat_labels()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .remove(true)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["labels"][0], "vip");
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
async fn delete_chat_notes_sends_the_ids_object() {
    let server = server().await;
    let body: types::ChatNoteDeleteRequest = from_json(json!({"ids": ["n1", "n2"]}));
    let mock = server.delete_chat_notes(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .into_inner()
            .json_body(json!({"ids": ["n1", "n2"]}));
        authed(when);
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
async fn delete_chat_notes_refuses_an_empty_id_list_before_io() {
    let server = server().await;
    let any = server.delete_chat_notes(|when, then| {
        when.into_inner();
        then.ok();
    });
    let empty: types::ChatNoteDeleteRequest = from_json(json!({"ids": []}));
    let err = client(&server)
        .delete_chat_notes()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(empty)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sparkbot_api::Error::InvalidRequest(why) if why.contains("`/ids` has 0 item(s)")),
        "{err:?}"
    );
    any.assert_calls(0);
}

#[tokio::test]
async fn list_chat_participants_sends_the_filters_and_decodes_admins() {
    let server = server().await;
    let group: types::ChatWid = GROUP.parse().unwrap();
    let participants: Vec<types::ChatParticipant> = vec![
        from_json(json!({"phone": "+447362053576", "isAdmin": true, "isOwner": true})),
        from_json(json!({"phone": "+447362053577", "isAdmin": false})),
    ];
    let mock = server.list_chat_participants(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&group)
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("ali")
            .phone(
                &"+447362053576,+447362053577"
                    .parse::<types::ListChatParticipantsPhone>()
                    .unwrap(),
            )
            .role(
                &"admin,owner"
                    .parse::<types::ListChatParticipantsRole>()
                    .unwrap(),
            )
            .contact(true)
            .include(&ChatParticipantInclude::Contact);
        authed(when.into_inner());
        then.ok(&participants);
    });
    let listed = client(&server)
        .list_chat_participants()
        .device_id(DEVICE_ID)
        .chat_wid(GROUP)
        .page(1u64)
        .size(20u64)
        .search("ali")
        .phone("+447362053576,+447362053577")
        .role("admin,owner")
        .contact(true)
        .include(ChatParticipantInclude::Contact)
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
async fn list_chat_participants_role_accepts_only_the_node_roles() {
    let server = server().await;
    let err = client(&server)
        .list_chat_participants()
        .device_id(DEVICE_ID)
        .chat_wid(GROUP)
        .role("admin,moderator")
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
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
async fn sync_chats_posts_the_chat_and_message_limits() {
    let server = server().await;
    let mock = server.sync_chats(|when, then| {
        let when = when
            .device_id(&device_id())
            .size(std::num::NonZeroU64::new(20).unwrap())
            .messages(std::num::NonZeroU64::new(100).unwrap());
        authed(when.into_inner());
        then.ok(&from_json(json!({"chats": 20})));
    });
    let out = client(&server)
        .sync_chats()
        .device_id(DEVICE_ID)
        .size(20u64)
        .messages(100u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["chats"], 20);
}

#[tokio::test]
async fn update_chat_read_status_sends_unread() {
    for unread in [true, false] {
        let server = server().await;
        let body = types::ChatReadStatusRequest { unread };
        let mock = server.update_chat_read_status(|when, then| {
            let when = when
                .device_id(&device_id())
                .chat_wid(&chat_wid())
                .into_inner()
                .json_body(json!({ "unread": unread }));
            authed(when);
            then.ok(&from_json(json!({"unread": unread})));
        });
        let out = client(&server)
            .update_chat_read_status()
            .device_id(DEVICE_ID)
            .chat_wid(CHAT)
            .body(body)
            .send()
            .await
            .unwrap()
            .into_inner();
        mock.assert();
        assert_eq!(out["unread"], unread);
    }
}

#[tokio::test]
async fn update_chat_attributes_sends_only_the_given_attributes() {
    let server = server().await;
    let body: types::ChatAttributesRequest = from_json(json!({"pinned": true}));
    let mock = server.update_chat_attributes(|when, then| {
        let when = when
            .device_id(&device_id())
            .chat_wid(&chat_wid())
            .into_inner()
            .json_body(json!({"pinned": true}));
        authed(when);
        then.ok(&from_json(json!({"pinned": true, "muted": false})));
    });
    let out = client(&server)
        .update_chat_attributes()
        .device_id(DEVICE_ID)
        .chat_wid(CHAT)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["pinned"], true);
}

#[tokio::test]
async fn bulk_update_chats_sends_labels_params() {
    let server = server().await;
    let body: types::ChatBulkUpdateRequest = from_json(json!({
        "action": "labels",
        "chats": ["+447362053576", CHAT, GROUP],
        "params": {"add": ["vip"], "remove": ["lead"]}
    }));
    let mock = server.bulk_update_chats(|when, then| {
        let when = when.device_id(&device_id()).into_inner().json_body(json!({
            "action": "labels",
            "chats": ["+447362053576", CHAT, GROUP],
            "params": {"add": ["vip"], "remove": ["lead"]}
        }));
        authed(when);
        then.ok(&from_json(json!([{"chat": CHAT, "ok": true}])));
    });
    let out = client(&server)
        .bulk_update_chats()
        .device_id(DEVICE_ID)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out[0]["ok"], true);
}

#[tokio::test]
async fn bulk_update_chats_assigns_to_an_agent_and_department() {
    let server = server().await;
    let body: types::ChatBulkUpdateRequest = from_json(json!({
        "action": "assign",
        "chats": [CHAT],
        "params": {"agent": AGENT, "department": "64b7c8d9e0f1a2b3c4d5e6f8"}
    }));
    assert_eq!(body.action, ChatBulkAction::Assign);
    let mock = server.bulk_update_chats(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(json!(null)));
    });
    client(&server)
        .bulk_update_chats()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();

    let bad =
        |v: serde_json::Value| serde_json::from_value::<types::ChatBulkUpdateRequest>(v).is_err();
    assert!(
        bad(json!({"action": "resolve", "chats": ["alice"]})),
        "a phone or a chat ID"
    );
    assert!(bad(json!({"chats": [CHAT]})), "action is required");
}

#[tokio::test]
async fn bulk_update_chats_refuses_an_empty_chat_list_before_io() {
    let server = server().await;
    let any = server.bulk_update_chats(|when, then| {
        when.into_inner();
        then.ok(&from_json(json!(null)));
    });
    // typify ignores `minItems`, so the empty list decodes; the request hook refuses it.
    let empty: types::ChatBulkUpdateRequest = from_json(json!({"action": "resolve", "chats": []}));
    let err = client(&server)
        .bulk_update_chats()
        .device_id(DEVICE_ID)
        .body(empty)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sparkbot_api::Error::InvalidRequest(why) if why.contains("`/chats` has 0 item(s)")),
        "{err:?}"
    );
    any.assert_calls(0);
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

    let group: types::ChatTypingRequest = from_json(json!({"action": "stop", "group": GROUP}));
    assert_eq!(group.action, types::ChatTypingAction::Stop);
    let mock = server.send_typing_status(|when, then| {
        let when = when
            .device_id(&device_id())
            .into_inner()
            .json_body(json!({"action": "stop", "group": GROUP}));
        authed(when);
        then.ok(&from_json(json!({"status": "ok"})));
    });
    client(&server)
        .send_typing_status()
        .device_id(DEVICE_ID)
        .body(group)
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn send_typing_status_checks_targets_and_duration() {
    let bad = |v: serde_json::Value| serde_json::from_value::<types::ChatTypingRequest>(v).is_err();
    assert!(
        bad(json!({"action": "typing", "chat": "447362053576@c.us"})),
        "a user chat is addressed by E.164 phone"
    );
    assert!(
        bad(json!({"action": "typing", "chat": GROUP})),
        "a group goes in `group`"
    );
    assert!(bad(json!({"action": "typing", "group": "+447362053576"})));
    assert!(bad(json!({"chat": "+447362053576"})), "action is required");
}

#[tokio::test]
async fn send_typing_status_refuses_a_duration_outside_2_to_30_before_io() {
    let server = server().await;
    let any = server.send_typing_status(|when, then| {
        when.into_inner();
        then.ok(&from_json(json!(null)));
    });
    for duration in [1, 31] {
        let body: types::ChatTypingRequest = from_json(json!({
            "action": "typing", "duration": duration, "chat": "+447362053576"
        }));
        let err = client(&server)
            .send_typing_status()
            .device_id(DEVICE_ID)
            .body(body)
            .send()
            .await
            .unwrap_err();
        let expected = format!("`/duration` is {duration}");
        assert!(
            matches!(&err, sparkbot_api::Error::InvalidRequest(why) if why.contains(&expected)),
            "{err:?}"
        );
    }
    any.assert_calls(0);
}

#[tokio::test]
async fn chat_status_values_outside_the_spec_still_decode() {
    let chat: types::Chat = from_json(json!({"status": "snoozed", "type": "broadcast"}));
    assert!(matches!(chat.status, Some(ChatStatus::Unknown(ref s)) if s == "snoozed"));
    assert!(matches!(chat.type_, Some(ChatType::Unknown(_))));
}
