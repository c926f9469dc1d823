//! Team: every operation's request (method, path, query, `Token`, body) is asserted by its typed
//! mock, and its response decoded. Methods, paths, query names and body fields are the SparkBot
//! node's (`src/actions/team.ts`): members are identified in the body, not in the path.

use serde_json::json;
use sparkbot_api::types::{
    self, TeamChatsAction, TeamMemberColor, TeamMemberRole, TeamMemberStatus,
};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, authed, client, device_id, from_json, server,
};

const USER: &str = "64b7c8d9e0f1a2b3c4d5e6f7";
const OTHER: &str = "64b7c8d9e0f1a2b3c4d5e6f8";

fn user() -> types::UserId {
    USER.parse().unwrap()
}

fn member_json() -> serde_json::Value {
    json!({
        "id": USER,
        "displayName": "Ana",
        "email": "ana@example.com",
        "role": "agent",
        "status": "active",
        "color": "gray-dark",
        "availability": {"mode": "auto"},
        "lastSeenAt": "2026-01-01T10:00:00.000Z"
    })
}

#[tokio::test]
async fn list_device_team_members_sends_the_picker_size_and_decodes_s1_fields() {
    let server = server().await;
    let members: Vec<types::TeamMember> = vec![from_json(member_json())];
    let mock = server.list_device_team_members(|when, then| {
        let when = when
            .device_id(&device_id())
            .size(std::num::NonZeroU64::new(100).unwrap())
            .into_inner()
            .query_param_missing("page");
        authed(when);
        then.ok(&members);
    });
    let listed = client(&server)
        .list_device_team_members()
        .device_id(DEVICE_ID)
        .size(100u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    let m = &listed[0];
    assert_eq!(m.role, Some(TeamMemberRole::Agent));
    assert_eq!(m.status, Some(TeamMemberStatus::Active));
    assert_eq!(m.color, Some(TeamMemberColor::GrayDark));
    assert_eq!(
        m.availability.as_ref().unwrap().mode.as_deref(),
        Some("auto")
    );
}

#[tokio::test]
async fn list_device_team_members_without_query_as_the_node_sends_it() {
    let server = server().await;
    let mock = server.list_device_team_members(|when, then| {
        let when = when
            .device_id(&device_id())
            .into_inner()
            .query_param_missing("size");
        authed(when);
        then.ok(&Vec::<types::TeamMember>::new());
    });
    let listed = client(&server)
        .list_device_team_members()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn search_team_members_sends_every_node_filter() {
    let server = server().await;
    let members: Vec<types::TeamMember> = vec![from_json(member_json())];
    let mock = server.search_team_members(|when, then| {
        let when = when
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("ana")
            .device(&device_id())
            .online_before("2026-02-01T00:00:00Z")
            .online_after("2026-01-01T00:00:00Z")
            .login_before("2026-02-02T00:00:00Z")
            .login_after("2026-01-02T00:00:00Z");
        // Array filters go out repeated, one `name=value` pair per item.
        let when = when
            .into_inner()
            .query_param("ids", USER)
            .query_param("status", "pending")
            .query_param("status", "suspended")
            .query_param("role", "supervisor")
            .query_param("role", "agent")
            .query_param("exceptIds", OTHER)
            .query_param_missing("exclude")
            .query_param_missing("lastSeenBefore");
        authed(when);
        then.ok(&members);
    });
    let date = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let listed = client(&server)
        .search_team_members()
        .page(1u64)
        .size(20u64)
        .ids(vec![user()])
        .status(vec![TeamMemberStatus::Pending, TeamMemberStatus::Suspended])
        .role(vec![TeamMemberRole::Supervisor, TeamMemberRole::Agent])
        .search("ana")
        .device(DEVICE_ID)
        .except_ids(vec![OTHER.parse::<types::UserId>().unwrap()])
        .online_before(date("2026-02-01T00:00:00Z"))
        .online_after(date("2026-01-01T00:00:00Z"))
        .login_before(date("2026-02-02T00:00:00Z"))
        .login_after(date("2026-01-02T00:00:00Z"))
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].display_name.as_deref(), Some("Ana"));
}

#[tokio::test]
async fn create_team_member_sends_the_body() {
    let server = server().await;
    let body: types::TeamMemberCreateRequest = from_json(json!({
        "displayName": "Ana",
        "email": "ana@example.com",
        "password": "s3cret!",
        "role": "agent",
        "color": "gray-dark",
        "invite": false
    }));
    let mock = server.create_team_member(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&body)
            .into_inner()
            .json_body_includes(r#"{"color": "gray-dark", "invite": false}"#);
        authed(when);
        then.ok(&from_json(member_json()));
    });
    let m = client(&server)
        .create_team_member()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(m.id.as_deref(), Some(USER));
}

#[tokio::test]
async fn create_team_member_enforces_the_node_fields_and_maps_409() {
    for bad in [
        json!({"displayName": "A", "email": "a@example.com", "password": "12345", "role": "agent", "color": "blue"}),
        json!({"displayName": "Ana", "email": "a@example.com", "password": "1234", "role": "agent", "color": "blue"}),
        json!({"displayName": "x".repeat(31), "email": "a@example.com", "password": "12345", "role": "agent", "color": "blue"}),
        json!({"displayName": "Ana", "password": "12345", "role": "agent", "color": "blue"}),
        json!({"displayName": "Ana", "email": "a@example.com", "password": "12345", "role": "agent"}),
    ] {
        assert!(
            serde_json::from_value::<types::TeamMemberCreateRequest>(bad.clone()).is_err(),
            "accepted {bad}"
        );
    }
    let server = server().await;
    let body: types::TeamMemberCreateRequest = from_json(json!({
        "displayName": "Ana", "email": "ana@example.com", "password": "12345",
        "role": "admin", "color": "blue"
    }));
    let mock = server.create_team_member(|when, then| {
        authed(when.body(&body).into_inner());
        then.conflict(&api_error(409, "user:exists", "Email already registered"));
    });
    let err = client(&server)
        .create_team_member()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
}

#[tokio::test]
async fn update_team_member_patches_team_with_the_id_in_the_body() {
    let server = server().await;
    let body: types::TeamMemberUpdateRequest =
        from_json(json!({"id": USER, "role": "supervisor", "color": "indigo"}));
    let mock = server.update_team_member(|when, then| {
        let when = when
            .body(&body)
            .into_inner()
            .json_body_includes(format!(r#"{{"id": "{USER}"}}"#));
        authed(when);
        then.ok(&from_json(json!({"id": USER, "role": "supervisor"})));
    });
    let m = client(&server)
        .update_team_member()
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(m.role, Some(TeamMemberRole::Supervisor));
    assert!(
        serde_json::from_value::<types::TeamMemberUpdateRequest>(json!({"role": "agent"})).is_err(),
        "id is required"
    );
    assert!(
        serde_json::from_value::<types::TeamMemberUpdateRequest>(json!({"id": "not-hex"})).is_err(),
        "id is 24 hex"
    );
}

#[tokio::test]
async fn delete_team_members_sends_the_node_user_items() {
    let server = server().await;
    let body: types::TeamMembersDeleteRequest = from_json(json!({
        "force": true,
        "users": [
            {"id": USER, "action": "reassign", "assign": OTHER, "remove": true},
            {"email": "old@example.com", "action": "resolve", "remove": false}
        ]
    }));
    assert_eq!(body.users[0].action, Some(TeamChatsAction::Reassign));
    let mock = server.delete_team_members(|when, then| {
        authed(when.body(&body).into_inner());
        then.ok();
    });
    client(&server)
        .delete_team_members()
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert!(
        serde_json::from_value::<types::TeamMembersDeleteRequest>(json!({"force": true})).is_err(),
        "users is required"
    );
}

#[tokio::test]
async fn delete_team_members_refuses_more_than_ten_users_before_io() {
    let server = server().await;
    let mock = server.delete_team_members(|when, then| {
        when.into_inner();
        then.ok();
    });
    let users: Vec<_> = (0..11)
        .map(|i| json!({"email": format!("u{i}@example.com"), "action": "unassign"}))
        .collect();
    let err = client(&server)
        .delete_team_members()
        .body(from_json::<types::TeamMembersDeleteRequest>(
            json!({"users": users}),
        ))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sparkbot_api::Error::InvalidRequest(why) if why.contains("`/users` has 11 item(s); the API allows 1 to 10")),
        "{err:?}"
    );
    mock.assert_calls(0);
}

#[tokio::test]
async fn grant_team_device_access_patches_the_device_team_with_the_id() {
    let server = server().await;
    let body: types::TeamDeviceAccessGrantRequest = from_json(json!({"id": USER}));
    let mock = server.grant_team_device_access(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(json!({"id": USER})));
    });
    let out = client(&server)
        .grant_team_device_access()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["id"], USER);
}

#[tokio::test]
async fn revoke_team_device_access_sends_the_node_removal() {
    let server = server().await;
    let body: types::TeamMemberRemoval = from_json(json!({
        "email": "ana@example.com", "action": "reassign", "assign": OTHER, "remove": false
    }));
    let mock = server.revoke_team_device_access(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.no_content();
    });
    client(&server)
        .revoke_team_device_access()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}
