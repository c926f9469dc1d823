//! Groups: every operation's request (method, path, `Token`, body) is asserted by its typed mock,
//! and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, GroupPermissionLevel};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, authed, client, device_id, from_json, server,
};

const GROUP: &str = "120363041234567890@g.us";

fn group_json() -> serde_json::Value {
    json!({
        "id": GROUP,
        "wid": GROUP,
        "name": "Support team",
        "description": "Escalations",
        "totalParticipants": 2,
        "isReadOnly": false,
        "participants": [
            {"phone": "+447362053576", "isAdmin": true, "isOwner": true},
            {"phone": "+34600000000", "isAdmin": false, "isOwner": false}
        ],
        "inviteLink": "https://chat.whatsapp.com/AbCdEf",
        "metadata": {"announce": false, "restrict": true}
    })
}

fn group() -> types::GroupWid {
    GROUP.parse().unwrap()
}

#[tokio::test]
async fn list_groups_pages_and_decodes_the_array() {
    let server = server().await;
    let groups: Vec<types::Group> = vec![from_json(group_json())];
    let mock = server.list_groups(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(500).unwrap());
        authed(when.into_inner());
        then.ok(&groups);
    });
    let listed = client(&server)
        .list_groups()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(500u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].total_participants, Some(2));
    assert_eq!(listed[0].wid.as_deref(), Some(GROUP));
}

#[tokio::test]
async fn create_group_sends_name_permissions_participants() {
    let server = server().await;
    let req: types::CreateGroupRequest = from_json(json!({
        "name": "Support team",
        "description": "Escalations",
        "permissions": {"edit": "admins", "send": "all"},
        "participants": [{"phone": "+34600000000", "admin": false}]
    }));
    let mock = server.create_group(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.created(&from_json(group_json()));
    });
    let created = client(&server)
        .create_group()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(
        created.invite_link.as_deref(),
        Some("https://chat.whatsapp.com/AbCdEf")
    );
    assert_eq!(created.metadata.unwrap().restrict, Some(true));
    assert_eq!(
        req.permissions.unwrap().edit,
        Some(GroupPermissionLevel::Admins)
    );
}

#[test]
fn create_group_refuses_a_name_over_25_characters() {
    let parsed = serde_json::from_value::<types::CreateGroupRequest>(json!({
        "name": "a name that is much longer than 25",
        "participants": [{"phone": "+34600000000"}]
    }));
    assert!(parsed.is_err());
}

#[tokio::test]
async fn leave_groups_sends_id_and_remove() {
    let server = server().await;
    let req: types::LeaveGroupRequest = from_json(json!({"id": GROUP, "remove": true}));
    let mock = server.leave_groups(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.ok(&from_json(json!({"success": true})));
    });
    let rv = client(&server)
        .leave_groups()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["success"], true);
}

#[tokio::test]
async fn join_group_sends_the_invite_code() {
    let server = server().await;
    let req: types::JoinGroupRequest = from_json(json!({"code": "AbCdEf"}));
    let mock = server.join_group(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.ok(&from_json(group_json()));
    });
    let joined = client(&server)
        .join_group()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(joined.name.as_deref(), Some("Support team"));
}

#[tokio::test]
async fn get_group_decodes_participants() {
    let server = server().await;
    let mock = server.get_group(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .into_inner(),
        );
        then.ok(&from_json(group_json()));
    });
    let g = client(&server)
        .get_group()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(g.participants.len(), 2);
    assert_eq!(g.participants[0].is_owner, Some(true));
}

#[tokio::test]
async fn update_group_sends_the_fields() {
    let server = server().await;
    let req: types::UpdateGroupRequest =
        from_json(json!({"name": "Support", "permissions": {"send": "admins"}}));
    let mut updated = group_json();
    updated["name"] = json!("Support");
    let mock = server.update_group(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .body(&req)
                .into_inner(),
        );
        then.ok(&from_json(updated));
    });
    let g = client(&server)
        .update_group()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(g.name.as_deref(), Some("Support"));
}

#[tokio::test]
async fn leave_group_deletes_the_group_path() {
    let server = server().await;
    let mock = server.leave_group(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .into_inner(),
        );
        then.no_content();
    });
    let rv = client(&server)
        .leave_group()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn update_group_image_puts_the_url() {
    let server = server().await;
    let req: types::GroupImageRequest = from_json(json!({"url": "https://example.com/logo.png"}));
    let mock = server.update_group_image(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .body(&req)
                .into_inner(),
        );
        then.ok(&from_json(json!(true)));
    });
    let rv = client(&server)
        .update_group_image()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0, json!(true));
}

#[tokio::test]
async fn get_group_invite_decodes_code_and_url() {
    let server = server().await;
    let mock = server.get_group_invite(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .into_inner(),
        );
        then.ok(&from_json(
            json!({"code": "AbCdEf", "url": "https://chat.whatsapp.com/AbCdEf"}),
        ));
    });
    let invite = client(&server)
        .get_group_invite()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(invite.code.as_deref(), Some("AbCdEf"));
}

#[tokio::test]
async fn revoke_group_invite_returns_the_new_code() {
    let server = server().await;
    let mock = server.revoke_group_invite(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .into_inner(),
        );
        then.ok(&from_json(
            json!({"code": "ZyXwVu", "url": "https://chat.whatsapp.com/ZyXwVu"}),
        ));
    });
    let invite = client(&server)
        .revoke_group_invite()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(
        invite.url.as_deref(),
        Some("https://chat.whatsapp.com/ZyXwVu")
    );
}

#[tokio::test]
async fn add_group_participants_sends_phone_and_admin() {
    let server = server().await;
    let req: types::GroupParticipantsRequest = from_json(json!({
        "participants": [{"phone": "+491701234567", "admin": true}]
    }));
    let mut after = group_json();
    after["totalParticipants"] = json!(3);
    let mock = server.add_group_participants(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .body(&req)
                .into_inner(),
        );
        then.ok(&from_json(after));
    });
    let g = client(&server)
        .add_group_participants()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(g.total_participants, Some(3));
}

#[tokio::test]
async fn add_group_participants_already_in_group_is_a_typed_409() {
    let server = server().await;
    let mock = server.add_group_participants(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .into_inner(),
        );
        then.conflict(&api_error(
            409,
            "participant:exists",
            "Participant already in group",
        ));
    });
    let err = client(&server)
        .add_group_participants()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .body(from_json::<types::GroupParticipantsRequest>(
            json!({"participants": [{"phone": "+34600000000"}]}),
        ))
        .send()
        .await
        .unwrap_err();
    mock.assert();
    let sparkbot_api::Error::ErrorResponse(rv) = err else {
        panic!("expected a typed error, got {err:?}");
    };
    assert_eq!(rv.error_code.as_deref(), Some("participant:exists"));
}

#[tokio::test]
async fn update_group_participants_promotes() {
    let server = server().await;
    let req: types::GroupParticipantsRequest = from_json(json!({
        "participants": [{"phone": "+34600000000", "admin": true}]
    }));
    let mock = server.update_group_participants(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .body(&req)
                .into_inner(),
        );
        then.ok(&from_json(group_json()));
    });
    let g = client(&server)
        .update_group_participants()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(g.total_participants, Some(2));
}

#[tokio::test]
async fn remove_group_participants_sends_a_bare_array() {
    let server = server().await;
    let req: types::RemoveGroupParticipantsRequest =
        from_json(json!(["+34600000000", "85297936462@c.us"]));
    let mock = server.remove_group_participants(|when, then| {
        let when = when.device_id(&device_id()).group_wid(&group()).body(&req);
        authed(when.into_inner()).json_body(json!(["+34600000000", "85297936462@c.us"]));
        then.ok(&from_json(json!({"totalParticipants": 1})));
    });
    let rv = client(&server)
        .remove_group_participants()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["totalParticipants"], 1);
}
