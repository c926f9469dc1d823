//! Labels: every operation's request (method, path, `Token`, body) is asserted by its typed mock,
//! and its response decoded. As in the SparkBot node (`src/actions/labels.ts`), labels are
//! addressed by name in the body of the collection path, never in the path.

use serde_json::json;
use sparkbot_api::types::{self, LabelColor};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, authed, client, device_id, from_json, server,
};

fn label_json() -> serde_json::Value {
    json!({"id": "l1", "name": "vip", "color": "tomato", "description": "Top customers", "scope": "chat"})
}

#[tokio::test]
async fn list_labels_sends_the_picker_size_and_decodes_the_array() {
    let server = server().await;
    let labels: Vec<types::Label> = vec![
        from_json(label_json()),
        from_json(json!({"name": "lead", "color": "neon"})),
    ];
    let mock = server.list_labels(|when, then| {
        let when = when
            .device_id(&device_id())
            .size(std::num::NonZeroU64::new(100).unwrap())
            .into_inner()
            .query_param_missing("page");
        authed(when);
        then.ok(&labels);
    });
    let listed = client(&server)
        .list_labels()
        .device_id(DEVICE_ID)
        .size(100u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].color, Some(LabelColor::Tomato));
    assert_eq!(listed[0].scope.as_deref(), Some("chat"));
    assert!(
        matches!(listed[1].color, Some(LabelColor::Unknown(ref c)) if c == "neon"),
        "an unknown colour still decodes"
    );
}

#[tokio::test]
async fn create_label_sends_name_color_description() {
    let server = server().await;
    let body: types::LabelCreateRequest = from_json(json!({
        "name": "vip", "color": "ruby", "description": "Top customers"
    }));
    let mock = server.create_label(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(label_json()));
    });
    let label = client(&server)
        .create_label()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(label.name.as_deref(), Some("vip"));
    assert!(
        serde_json::from_value::<types::LabelCreateRequest>(
            json!({"name": "x".repeat(31), "color": "ruby"})
        )
        .is_err(),
        "a name is at most 30 characters"
    );
    assert!(
        serde_json::from_value::<types::LabelCreateRequest>(json!({"name": "vip"})).is_err(),
        "the node requires a colour"
    );
}

#[tokio::test]
async fn create_label_maps_409() {
    let server = server().await;
    let body: types::LabelCreateRequest = from_json(json!({"name": "vip", "color": "iron"}));
    let mock = server.create_label(|when, then| {
        authed(when.body(&body).into_inner());
        then.conflict(&api_error(409, "label:exists", "Label already exists"));
    });
    let err = client(&server)
        .create_label()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
}

#[tokio::test]
async fn update_label_patches_the_collection_with_the_name_in_the_body() {
    let server = server().await;
    let body: types::LabelUpdateRequest = from_json(json!({
        "name": "very important", "color": "iron", "description": "Escalate"
    }));
    let mock = server.update_label(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&body)
            .into_inner()
            .path(format!("/devices/{DEVICE_ID}/labels"));
        authed(when);
        then.ok(&from_json(
            json!({"name": "very important", "color": "iron"}),
        ));
    });
    let label = client(&server)
        .update_label()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(label.color, Some(LabelColor::Iron));
    assert!(
        serde_json::from_value::<types::LabelUpdateRequest>(json!({"color": "iron"})).is_err(),
        "the label to update is named"
    );
}

#[tokio::test]
async fn delete_label_sends_the_name_in_the_body_and_maps_404() {
    let server = server().await;
    let body: types::LabelDeleteRequest = from_json(json!({"name": "vip"}));
    let mock = server.delete_label(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&body)
            .into_inner()
            .path(format!("/devices/{DEVICE_ID}/labels"));
        authed(when);
        then.no_content();
    });
    client(&server)
        .delete_label()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();

    let missing: types::LabelDeleteRequest = from_json(json!({"name": "gone"}));
    let mock = server.delete_label(|when, then| {
        authed(when.body(&missing).into_inner());
        then.not_found(&api_error(404, "label:not_found", "Label not found"));
    });
    let err = client(&server)
        .delete_label()
        .device_id(DEVICE_ID)
        .body(missing.clone())
        .send()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}
