//! Departments: every operation's request (method, path, `Token`, body) is asserted by its typed
//! mock, and its response decoded.

use serde_json::json;
use sparkbot_api::Error;
use sparkbot_api::types::{self, DepartmentIcon, LabelColor};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const DEPT: &str = "66c1d2e3f4a5b6c7d8e9f0a1";
const AGENT: &str = "64b7c8d9e0f1a2b3c4d5e6f7";

fn path() -> String {
    format!("/devices/{DEVICE_ID}/departments")
}

fn dept_json() -> serde_json::Value {
    json!({
        "id": DEPT, "name": "Sales", "color": "emerald", "icon": "comments-dollar",
        "description": "Inbound sales", "agents": [AGENT]
    })
}

#[tokio::test]
async fn list_departments_sends_no_query_and_decodes_the_array() {
    let server = server().await;
    let all: Vec<types::Department> = vec![from_json(dept_json())];
    let mock = server.list_departments(|when, then| {
        let when = when
            .device_id(&device_id())
            .into_inner()
            .query_param_missing("page")
            .query_param_missing("size");
        authed(when);
        then.ok(&all);
    });
    let listed = client(&server)
        .list_departments()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].icon, Some(DepartmentIcon::CommentsDollar));
    assert_eq!(listed[0].color, Some(LabelColor::Emerald));
    assert_eq!(listed[0].agents, vec![json!(AGENT)]);
}

#[tokio::test]
async fn create_department_sends_the_body() {
    let server = server().await;
    let wire = json!({
        "name": "Sales", "color": "emerald", "icon": "headset",
        "description": "Inbound sales", "agents": [AGENT]
    });
    let body: types::DepartmentCreateRequest = from_json(wire.clone());
    let mock = server.create_department(|when, then| {
        authed(
            when.device_id(&device_id())
                .body(&body)
                .into_inner()
                .json_body(wire.clone()),
        );
        then.created(&from_json(dept_json()));
    });
    let d = client(&server)
        .create_department()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(d.id.as_deref(), Some(DEPT));
}

#[test]
fn create_department_requires_the_nodes_fields_and_limits() {
    let ok = json!({"name": "Sales", "color": "emerald", "icon": "headset", "agents": [AGENT]});
    assert!(serde_json::from_value::<types::DepartmentCreateRequest>(ok.clone()).is_ok());
    let with = |key: &str, value: serde_json::Value| {
        let mut v = ok.clone();
        v[key] = value;
        v
    };
    let without = |key: &str| {
        let mut v = ok.clone();
        v.as_object_mut().unwrap().remove(key);
        v
    };
    for bad in [
        without("color"),
        without("icon"),
        without("agents"),
        with("name", json!("S")),
        with("name", json!("x".repeat(26))),
        with("description", json!("x".repeat(301))),
        with("agents", json!(["nope"])),
    ] {
        assert!(
            serde_json::from_value::<types::DepartmentCreateRequest>(bad.clone()).is_err(),
            "accepted {bad}"
        );
    }
}

#[tokio::test]
async fn create_department_refuses_31_agents_before_io() {
    let server = server().await;
    let mock = server.create_department(|when, then| {
        when.into_inner();
        then.ok(&from_json(dept_json()));
    });
    let agents: Vec<String> = (0..31).map(|i| format!("{i:024x}")).collect();
    let body: types::DepartmentCreateRequest = from_json(json!({
        "name": "Sales", "color": "emerald", "icon": "headset", "agents": agents
    }));
    let err = client(&server)
        .create_department()
        .device_id(DEVICE_ID)
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(why) if why.contains("`/agents` has 31 item(s); the API allows 1 to 30")),
        "{err:?}"
    );
    mock.assert_calls(0);
}

#[tokio::test]
async fn update_department_names_the_department_in_the_body() {
    let server = server().await;
    let wire = json!({"department": DEPT, "name": "Support", "icon": "user-shield"});
    let body: types::DepartmentUpdateRequest = from_json(wire.clone());
    let mock = server.update_department(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&body)
            .into_inner()
            .path(path())
            .json_body(wire.clone());
        authed(when);
        then.ok(&from_json(
            json!({"id": DEPT, "name": "Support", "icon": "user-shield"}),
        ));
    });
    let d = client(&server)
        .update_department()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(d.icon, Some(DepartmentIcon::UserShield));
    assert!(
        serde_json::from_value::<types::DepartmentUpdateRequest>(json!({"name": "Support"}))
            .is_err(),
        "an update without `department` was accepted"
    );
}

#[tokio::test]
async fn delete_department_sends_the_department_in_the_body_and_accepts_204() {
    let server = server().await;
    let body: types::DepartmentDeleteRequest = from_json(json!({"department": DEPT}));
    let mock = server.delete_department(|when, then| {
        authed(
            when.device_id(&device_id())
                .body(&body)
                .into_inner()
                .path(path())
                .json_body(json!({"department": DEPT})),
        );
        then.no_content();
    });
    let rv = client(&server)
        .delete_department()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}
