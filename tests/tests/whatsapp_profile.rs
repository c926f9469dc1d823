//! WhatsApp profile: every operation's request (method, path, `Token`, body) is asserted by its
//! typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types;
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, authed, client, device_id, from_json, read_all, server,
};

#[tokio::test]
async fn get_device_profile_decodes_the_profile() {
    let server = server().await;
    let mock = server.get_device_profile(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        then.ok(&from_json(json!({
            "name": "Acme Support", "about": "Open 9-18", "phone": "+447362053576", "isBusiness": true
        })));
    });
    let profile = client(&server)
        .get_device_profile()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(profile.name.as_deref(), Some("Acme Support"));
    assert_eq!(profile.is_business, Some(true));
}

#[tokio::test]
async fn update_device_profile_sends_name_and_about() {
    let server = server().await;
    let req: types::UpdateProfileRequest =
        from_json(json!({"name": "Acme", "about": "We answer fast"}));
    let mock = server.update_device_profile(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.ok(&from_json(json!({"name": "Acme"})));
    });
    let rv = client(&server)
        .update_device_profile()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["name"], "Acme");
}

#[test]
fn update_device_profile_refuses_an_about_over_139_characters() {
    let long = "x".repeat(140);
    assert!(serde_json::from_value::<types::UpdateProfileRequest>(json!({"about": long})).is_err());
}

#[tokio::test]
async fn get_device_profile_image_streams_the_bytes() {
    let server = server().await;
    let mock = server.get_device_profile_image(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        then.into_inner()
            .status(200)
            .header("content-type", "image/jpeg")
            .body([0xFFu8, 0xD8, 0xFF]);
    });
    let rv = client(&server)
        .get_device_profile_image()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    let body = read_all(rv.into_inner()).await;
    assert_eq!(body, vec![0xFF, 0xD8, 0xFF]);
}

#[tokio::test]
async fn update_device_profile_image_puts_the_url() {
    let server = server().await;
    let req: types::ProfileImageRequest = from_json(json!({"url": "https://example.com/me.png"}));
    let mock = server.update_device_profile_image(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.ok(&from_json(json!({"success": true})));
    });
    let rv = client(&server)
        .update_device_profile_image()
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
async fn delete_device_profile_image_accepts_an_empty_answer() {
    let server = server().await;
    let mock = server.delete_device_profile_image(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        then.no_content();
    });
    let rv = client(&server)
        .delete_device_profile_image()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn update_device_profile_about_puts_the_text() {
    let server = server().await;
    let req: types::ProfileAboutRequest = from_json(json!({"about": "Back on Monday"}));
    let mock = server.update_device_profile_about(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.ok(&from_json(json!({"about": "Back on Monday"})));
    });
    let rv = client(&server)
        .update_device_profile_about()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(rv.0["about"], "Back on Monday");
}
