//! Quick replies: every operation's request (method, path, query, `Token`, body) is asserted by
//! its typed mock, and its response decoded. Update and delete go to the collection path, with
//! the quick reply chosen in the body.

use serde_json::json;
use sparkbot_api::types::{self, QuickReplyPermission, QuickReplyScope};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, assert_invalid_request, authed, client, device_id, from_json, server,
};

const QR: &str = "67d1e2f3a4b5c6d7e8f9a0b1";
const AGENT: &str = "65a1b2c3d4e5f6a7b8c9d0e2";
const FILE: &str = "65a1b2c3d4e5f6a7b8c9d0e1";

fn qr_json() -> serde_json::Value {
    json!({
        "id": QR, "shortcut": "hours", "message": "We are open 9-17.",
        "permission": "readonly", "scope": "chat", "keywords": ["open", "hours"],
        "file": {"id": FILE, "filename": "menu.pdf"}, "createdAt": "2026-01-01T00:00:00Z"
    })
}

#[tokio::test]
async fn list_quick_replies_sends_the_node_filters() {
    let server = server().await;
    let all: Vec<types::QuickReply> = vec![from_json(qr_json())];
    let mock = server.list_quick_replies(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(25).unwrap())
            .scope(&QuickReplyScope::Wa)
            .search("hours")
            .into_inner()
            // Array filters go out repeated, one `name=value` pair per item.
            .query_param("permissions", "public")
            .query_param("permissions", "private")
            .query_param_count("^permissions$", ".*", 2)
            .query_param("agents", AGENT)
            .query_param_count("^agents$", ".*", 1);
        authed(when);
        then.ok(&all);
    });
    let listed = client(&server)
        .list_quick_replies()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(25u64)
        .scope(QuickReplyScope::Wa)
        .permissions(vec![
            QuickReplyPermission::Public,
            QuickReplyPermission::Private,
        ])
        .agents(vec![AGENT.parse::<types::UserId>().unwrap()])
        .search("hours")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].shortcut.as_deref(), Some("hours"));
    assert_eq!(listed[0].permission, Some(QuickReplyPermission::Readonly));
    assert_eq!(listed[0].scope, Some(QuickReplyScope::Chat));
    assert_eq!(listed[0].keywords, vec!["open", "hours"]);
    assert_eq!(listed[0].file.as_ref().unwrap()["filename"], "menu.pdf");
}

#[tokio::test]
async fn create_quick_reply_sends_the_node_fields() {
    let server = server().await;
    let body = json!({
        "shortcut": "hours", "message": "We are open 9-17.", "permission": "private",
        "file": FILE, "keywords": ["open", "hours"]
    });
    let req: types::QuickReplyCreateRequest = from_json(body.clone());
    let mock = server.create_quick_reply(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(body.clone());
        authed(when);
        then.ok(&from_json(qr_json()));
    });
    let r = client(&server)
        .create_quick_reply()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(r.id.as_deref(), Some(QR));
}

#[test]
fn quick_reply_requests_check_the_node_limits() {
    let parse = |v: serde_json::Value| serde_json::from_value::<types::QuickReplyCreateRequest>(v);
    assert!(parse(json!({"shortcut": "hi", "message": "Hello"})).is_ok());
    assert!(
        parse(json!({"message": "Hello"})).is_err(),
        "shortcut is required"
    );
    assert!(
        parse(json!({"shortcut": "hi"})).is_err(),
        "message is required"
    );
    assert!(parse(json!({"shortcut": "h", "message": "Hello"})).is_err());
    assert!(parse(json!({"shortcut": "h".repeat(26), "message": "Hello"})).is_err());
    assert!(parse(json!({"shortcut": "hi", "message": "Hey"})).is_err());
    assert!(parse(json!({"shortcut": "hi", "message": "x".repeat(6001)})).is_err());
    assert!(parse(json!({"shortcut": "hi", "message": "Hello", "keywords": ["a b"]})).is_err());
    assert!(
        serde_json::from_value::<types::QuickReplyUpdateRequest>(
            json!({"id": "nope", "shortcut": "hi", "message": "Hello"})
        )
        .is_err(),
        "id is 24 hex"
    );
}

#[tokio::test]
async fn four_keywords_are_refused_before_io() {
    let server = server().await;
    let mock = server.create_quick_reply(|when, then| {
        when.into_inner();
        then.ok(&from_json(qr_json()));
    });
    let req: types::QuickReplyCreateRequest = from_json(json!({
        "shortcut": "hours", "message": "We are open 9-17.", "keywords": ["a", "b", "c", "d"]
    }));
    let err = client(&server)
        .create_quick_reply()
        .device_id(DEVICE_ID)
        .body(req)
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}

#[tokio::test]
async fn update_quick_reply_patches_the_collection_with_the_id_in_the_body() {
    let server = server().await;
    let body =
        json!({"id": QR, "shortcut": "hours", "message": "Open 8-18.", "permission": "public"});
    let req: types::QuickReplyUpdateRequest = from_json(body.clone());
    let mock = server.update_quick_reply(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .path(format!("/devices/{DEVICE_ID}/quickReplies"))
            .json_body(body.clone());
        authed(when);
        then.ok(&from_json(json!({"id": QR, "message": "Open 8-18."})));
    });
    let r = client(&server)
        .update_quick_reply()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(r.message.as_deref(), Some("Open 8-18."));
}

#[tokio::test]
async fn delete_quick_replies_sends_ids_and_shortcuts() {
    let server = server().await;
    let body = json!([{"id": QR}, {"shortcut": "hours"}]);
    let req: Vec<types::QuickReplyDeleteItem> = from_json(body.clone());
    let mock = server.delete_quick_replies(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(body.clone());
        authed(when);
        then.ok();
    });
    let rv = client(&server)
        .delete_quick_replies()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 200);
}

#[tokio::test]
async fn delete_quick_replies_can_delete_all() {
    let server = server().await;
    let req: Vec<types::QuickReplyDeleteItem> = from_json(json!([{"all": true}]));
    let mock = server.delete_quick_replies(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&req)
            .into_inner()
            .json_body(json!([{"all": true}]));
        authed(when);
        then.no_content();
    });
    let rv = client(&server)
        .delete_quick_replies()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn delete_quick_replies_refuses_an_empty_list_before_io() {
    let server = server().await;
    let mock = server.delete_quick_replies(|when, then| {
        when.into_inner();
        then.no_content();
    });
    let err = client(&server)
        .delete_quick_replies()
        .device_id(DEVICE_ID)
        .body(Vec::<types::QuickReplyDeleteItem>::new())
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}
