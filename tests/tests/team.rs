//! Team: every operation's request (method, path, query, `Token`, body) is asserted by its typed
//! mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, TeamMemberRole, TeamMemberStatus};
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
        "color": "gray_dark",
        "availability": {"mode": "auto"},
        "lastSeenAt": "2026-01-01T10:00:00.000Z"
    })
}

#[tokio::test]
async fn list_device_team_members_decodes_s1_fields() {
    let server = server().await;
    let members: Vec<types::TeamMember> = vec![from_json(member_json())];
    let mock = server.list_device_team_members(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(100).unwrap());
        authed(when.into_inner());
        then.ok(&members);
    });
    let listed = client(&server)
        .list_device_team_members()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(100u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    let m = &listed[0];
    assert_eq!(m.role, Some(TeamMemberRole::Agent));
    assert_eq!(m.status, Some(TeamMemberStatus::Active));
    assert_eq!(m.color, Some(types::TeamMemberColor::GrayDark));
    assert_eq!(
        m.availability.as_ref().unwrap().mode.as_deref(),
        Some("auto")
    );
}

#[tokio::test]
async fn search_team_members_sends_every_filter() {
    let server = server().await;
    let members: Vec<types::TeamMember> = vec![from_json(member_json())];
    let mock = server.search_team_members(|when, then| {
        let when = when
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .status(&TeamMemberStatus::Pending)
            .role(&TeamMemberRole::Supervisor)
            .search("ana")
            .device(&device_id())
            .into_inner()
            .query_param("ids", USER)
            .query_param("exclude", OTHER)
            .query_param("lastSeenBefore", "2026-02-01T00:00:00Z")
            .query_param("lastSeenAfter", "2026-01-01T00:00:00Z")
            .query_param("loginBefore", "2026-02-02T00:00:00Z")
            .query_param("loginAfter", "2026-01-02T00:00:00Z");
        authed(when);
        then.ok(&members);
    });
    let date = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let listed = client(&server)
        .search_team_members()
        .page(1u64)
        .size(20u64)
        .ids(vec![user()])
        .exclude(vec![OTHER.parse::<types::UserId>().unwrap()])
        .status(TeamMemberStatus::Pending)
        .role(TeamMemberRole::Supervisor)
        .search("ana")
        .device(DEVICE_ID)
        .last_seen_before(date("2026-02-01T00:00:00Z"))
        .last_seen_after(date("2026-01-01T00:00:00Z"))
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
async fn get_team_member_decodes_and_rejects_a_bad_id() {
    let server = server().await;
    let mock = server.get_team_member(|when, then| {
        authed(when.user_id(&user()).into_inner());
        then.ok(&from_json(member_json()));
    });
    let m = client(&server)
        .get_team_member()
        .user_id(USER)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(m.email.as_deref(), Some("ana@example.com"));

    let err = client(&server)
        .get_team_member()
        .user_id("not-hex")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, sparkbot_api::Error::InvalidRequest(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn create_team_member_sends_the_body() {
    let server = server().await;
    let body: types::TeamMemberCreateRequest = from_json(json!({
        "displayName": "Ana",
        "email": "ana@example.com",
        "password": "s3cret!",
        "role": "agent",
        "color": "teal",
        "invite": true
    }));
    let mock = server.create_team_member(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
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
async fn create_team_member_enforces_lengths_and_maps_409() {
    for bad in [
        json!({"displayName": "A", "email": "a@example.com", "password": "12345", "role": "agent"}),
        json!({"displayName": "Ana", "email": "a@example.com", "password": "1234", "role": "agent"}),
        json!({"displayName": "x".repeat(31), "email": "a@example.com", "password": "12345", "role": "agent"}),
        json!({"displayName": "Ana", "password": "12345", "role": "agent"}),
    ] {
        assert!(
            serde_json::from_value::<types::TeamMemberCreateRequest>(bad.clone()).is_err(),
            "accepted {bad}"
        );
    }
    let server = server().await;
    let body: types::TeamMemberCreateRequest = from_json(json!({
        "displayName": "Ana", "email": "ana@example.com", "password": "12345", "role": "admin"
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
async fn update_team_member_sends_partial_fields() {
    let server = server().await;
    let body: types::TeamMemberUpdateRequest =
        from_json(json!({"role": "supervisor", "color": "indigo"}));
    let mock = server.update_team_member(|when, then| {
        authed(when.user_id(&user()).body(&body).into_inner());
        then.ok(&from_json(json!({"id": USER, "role": "supervisor"})));
    });
    let m = client(&server)
        .update_team_member()
        .user_id(USER)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(m.role, Some(TeamMemberRole::Supervisor));
}

#[tokio::test]
async fn delete_team_members_sends_users_and_force() {
    let server = server().await;
    let body: types::TeamMembersDeleteRequest = from_json(json!({
        "force": true,
        "users": [
            {"user": USER, "chats": "reassign", "reassign": OTHER, "remove": true},
            {"email": "old@example.com", "chats": "resolve"}
        ]
    }));
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
async fn grant_team_device_access_puts_the_user() {
    let server = server().await;
    let mock = server.grant_team_device_access(|when, then| {
        authed(when.device_id(&device_id()).user_id(&user()).into_inner());
        then.ok(&from_json(json!({"id": USER})));
    });
    let out = client(&server)
        .grant_team_device_access()
        .device_id(DEVICE_ID)
        .user_id(USER)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["id"], USER);
}

#[tokio::test]
async fn revoke_team_device_access_sends_the_removal() {
    let server = server().await;
    let body: types::TeamMemberRemoval = from_json(json!({
        "email": "ana@example.com", "chats": "unassign", "remove": false
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
