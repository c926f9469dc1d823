//! Departments: every operation's request (method, path, `Token`, body) is asserted by its typed
//! mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, DepartmentIcon, LabelColor};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const DEPT: &str = "66c1d2e3f4a5b6c7d8e9f0a1";
const AGENT: &str = "64b7c8d9e0f1a2b3c4d5e6f7";

fn dept() -> types::DepartmentId {
    DEPT.parse().unwrap()
}

fn dept_json() -> serde_json::Value {
    json!({
        "id": DEPT, "name": "Sales", "color": "emerald", "icon": "comments-dollar",
        "description": "Inbound sales", "agents": [AGENT]
    })
}

#[tokio::test]
async fn list_departments_decodes_the_array() {
    let server = server().await;
    let all: Vec<types::Department> = vec![from_json(dept_json())];
    let mock = server.list_departments(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(10).unwrap());
        authed(when.into_inner());
        then.ok(&all);
    });
    let listed = client(&server)
        .list_departments()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(10u64)
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
    let body: types::DepartmentCreateRequest = from_json(json!({
        "name": "Sales", "color": "emerald", "icon": "headset",
        "description": "Inbound sales", "agents": [AGENT]
    }));
    let mock = server.create_department(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(dept_json()));
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
    for bad in [
        json!({"name": "S"}),
        json!({"name": "x".repeat(26)}),
        json!({"name": "Sales", "description": "x".repeat(301)}),
        json!({"name": "Sales", "agents": ["nope"]}),
    ] {
        assert!(
            serde_json::from_value::<types::DepartmentCreateRequest>(bad.clone()).is_err(),
            "accepted {bad}"
        );
    }
}

#[tokio::test]
async fn get_department_decodes() {
    let server = server().await;
    let mock = server.get_department(|when, then| {
        authed(
            when.device_id(&device_id())
                .department_id(&dept())
                .into_inner(),
        );
        then.ok(&from_json(dept_json()));
    });
    let d = client(&server)
        .get_department()
        .device_id(DEVICE_ID)
        .department_id(DEPT)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(d.name.as_deref(), Some("Sales"));
}

#[tokio::test]
async fn update_department_sends_partial_fields() {
    let server = server().await;
    let body: types::DepartmentUpdateRequest =
        from_json(json!({"name": "Support", "icon": "user-shield", "agents": []}));
    let mock = server.update_department(|when, then| {
        let when = when
            .device_id(&device_id())
            .department_id(&dept())
            .body(&body);
        authed(when.into_inner());
        then.ok(&from_json(
            json!({"id": DEPT, "name": "Support", "icon": "user-shield"}),
        ));
    });
    let d = client(&server)
        .update_department()
        .device_id(DEVICE_ID)
        .department_id(DEPT)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(d.icon, Some(DepartmentIcon::UserShield));
}

#[tokio::test]
async fn delete_department_accepts_204() {
    let server = server().await;
    let mock = server.delete_department(|when, then| {
        authed(
            when.device_id(&device_id())
                .department_id(&dept())
                .into_inner(),
        );
        then.no_content();
    });
    client(&server)
        .delete_department()
        .device_id(DEVICE_ID)
        .department_id(DEPT)
        .send()
        .await
        .unwrap();
    mock.assert();
}
