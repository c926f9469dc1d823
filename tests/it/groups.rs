//! Groups: every operation's request (method, path, query, `Token`, body) is asserted by its typed
//! mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, GroupEphemeral, GroupPermissionLevel};
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
async fn list_groups_pages_filters_by_kind_and_decodes_the_array() {
    let server = server().await;
    let groups: Vec<types::Group> = vec![from_json(group_json())];
    let kind: types::ListGroupsKind = "group,broadcast".parse().unwrap();
    let mock = server.list_groups(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(500).unwrap())
            .kind(&kind);
        // The node joins the kinds with commas into one value.
        authed(when.into_inner().query_param("kind", "group,broadcast"));
        then.ok(&groups);
    });
    let listed = client(&server)
        .list_groups()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(500u64)
        .kind("group,broadcast")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].total_participants, Some(2));
    assert_eq!(listed[0].wid.as_deref(), Some(GROUP));
    assert_eq!(listed[0].is_read_only, Some(false));
}

#[test]
fn list_groups_kind_takes_the_node_values_comma_separated() {
    for ok in [
        "group",
        "channel",
        "group,broadcast",
        "broadcast,channel,group",
    ] {
        assert!(
            ok.parse::<types::ListGroupsKind>().is_ok(),
            "refused {ok:?}"
        );
    }
    for bad in ["", "groups", "group,", "group broadcast", "Group"] {
        assert!(
            bad.parse::<types::ListGroupsKind>().is_err(),
            "accepted {bad:?}"
        );
    }
}
#[tokio::test]
async fn create_group_sends_name_ephemeral_permissions_participants() {
    let server = server().await;
    let req: types::CreateGroupRequest = from_json(json!({
        "name": "Support team",
        "description": "Escalations",
        "ephemeral": "7d",
        "permissions": {"edit": "admins", "send": "all", "invite": "admins", "approval": true},
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
    assert_eq!(req.ephemeral, Some(GroupEphemeral::V7d));
    let permissions = req.permissions.unwrap();
    assert_eq!(permissions.edit, Some(GroupPermissionLevel::Admins));
    assert_eq!(permissions.invite, Some(GroupPermissionLevel::Admins));
    assert_eq!(permissions.approval, Some(true));
}
#[test]
fn create_group_enforces_name_description_and_participants() {
    let ok = json!({"name": "Support", "participants": [{"phone": "+34600000000"}]});
    assert!(serde_json::from_value::<types::CreateGroupRequest>(ok).is_ok());
    for bad in [
        json!({"name": "a name that is much longer than 25", "participants": [{"phone": "+34600000000"}]}),
        json!({"name": "Support", "description": "x".repeat(501), "participants": [{"phone": "+34600000000"}]}),
        json!({"name": "Support", "participants": [{"phone": "34600000000"}]}),
        json!({"name": "Support"}),
        json!({"participants": [{"phone": "+34600000000"}]}),
    ] {
        assert!(
            serde_json::from_value::<types::CreateGroupRequest>(bad.clone()).is_err(),
            "accepted {bad}"
        );
    }
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
async fn join_group_puts_the_invite_code_or_url_on_the_collection() {
    let server = server().await;
    let by_code: types::JoinGroupRequest = from_json(json!({"code": "AbCdEf"}));
    let by_url: types::JoinGroupRequest =
        from_json(json!({"url": "https://chat.whatsapp.com/AbCdEf"}));
    let code_mock = server.join_group(|when, then| {
        authed(
            when.device_id(&device_id())
                .body(&by_code)
                .into_inner()
                .method("PUT")
                .path(format!("/devices/{DEVICE_ID}/groups")),
        );
        then.ok(&from_json(group_json()));
    });
    let url_mock = server.join_group(|when, then| {
        authed(
            when.device_id(&device_id())
                .body(&by_url)
                .into_inner()
                .json_body(json!({"url": "https://chat.whatsapp.com/AbCdEf"})),
        );
        then.ok(&from_json(group_json()));
    });
    for req in [by_code.clone(), by_url.clone()] {
        let joined = client(&server)
            .join_group()
            .device_id(DEVICE_ID)
            .body(req)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(joined.name.as_deref(), Some("Support team"));
    }
    code_mock.assert();
    url_mock.assert();
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
    let req: types::UpdateGroupRequest = from_json(json!({
        "name": "Support",
        "ephemeral": "off",
        "permissions": {"send": "admins", "approval": false}
    }));
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
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"name": "Support", "ephemeral": "off", "permissions": {"send": "admins", "approval": false}}),
        "unset fields are not sent"
    );
}
#[tokio::test]
async fn update_group_image_puts_a_url_or_base64_data() {
    let server = server().await;
    let by_url: types::GroupImageRequest =
        from_json(json!({"url": "https://example.com/logo.png"}));
    let by_data: types::GroupImageRequest = from_json(json!({"image": "iVBORw0KGgoAAAANSUhEUg=="}));
    let url_mock = server.update_group_image(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .body(&by_url)
                .into_inner(),
        );
        then.ok(&from_json(json!(true)));
    });
    let data_mock = server.update_group_image(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .body(&by_data)
                .into_inner()
                .json_body(json!({"image": "iVBORw0KGgoAAAANSUhEUg=="})),
        );
        then.ok(&from_json(json!(true)));
    });
    for req in [by_url.clone(), by_data.clone()] {
        let rv = client(&server)
            .update_group_image()
            .device_id(DEVICE_ID)
            .group_wid(GROUP)
            .body(req)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rv.0, json!(true));
    }
    url_mock.assert();
    data_mock.assert();
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

#[tokio::test]
async fn list_group_pending_members_decodes_the_body() {
    let server = server().await;
    let mock = server.list_group_pending_members(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .into_inner(),
        );
        then.ok(&from_json(json!([{"phone": "+34600000001"}])));
    });
    let rv = client(&server)
        .list_group_pending_members()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0[0]["phone"], "+34600000001");
}

#[tokio::test]
async fn approve_group_members_sends_all() {
    let server = server().await;
    let req: types::GroupMembersRequest = from_json(json!({"all": true}));
    let mock = server.approve_group_members(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .body(&req)
                .into_inner()
                .json_body(json!({"all": true})),
        );
        then.ok(&from_json(json!({"approved": 3})));
    });
    let rv = client(&server)
        .approve_group_members()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["approved"], 3);
}

#[tokio::test]
async fn reject_group_members_sends_phones() {
    let server = server().await;
    let req: types::GroupMembersRequest =
        from_json(json!({"phones": ["+34600000001", "+34600000002"]}));
    let mock = server.reject_group_members(|when, then| {
        authed(
            when.device_id(&device_id())
                .group_wid(&group())
                .body(&req)
                .into_inner()
                .json_body(json!({"phones": ["+34600000001", "+34600000002"]})),
        );
        then.ok(&from_json(json!({"rejected": 2})));
    });
    let rv = client(&server)
        .reject_group_members()
        .device_id(DEVICE_ID)
        .group_wid(GROUP)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["rejected"], 2);
}

#[test]
fn group_members_phones_must_be_e164() {
    assert!(
        serde_json::from_value::<types::GroupMembersRequest>(json!({"phones": ["+34600000001"]}))
            .is_ok()
    );
    assert!(
        serde_json::from_value::<types::GroupMembersRequest>(json!({"phones": ["34600000001"]}))
            .is_err()
    );
}
