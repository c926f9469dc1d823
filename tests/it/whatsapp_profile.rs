//! WhatsApp profile: every operation's request (method, path, query, `Token`, body) is asserted by
//! its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, ProfileBusinessCategory};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, assert_invalid_request, authed, client, device_id, from_json,
    read_all, server,
};

#[tokio::test]
async fn get_device_profile_sends_include_and_decodes_the_profile() {
    let server = server().await;
    let include: types::GetDeviceProfileInclude = "business".parse().unwrap();
    let mock = server.get_device_profile(|when, then| {
        authed(when.device_id(&device_id()).include(&include).into_inner());
        then.ok(&from_json(json!({
            "name": "Acme Support",
            "status": "Open 9-18",
            "info": "Support line",
            "image": {"url": "https://pps.whatsapp.net/v/sample.jpg"},
            "lastSyncAt": "2026-01-02T03:04:05Z",
            "businessProfile": {
                "address": "1 Main St",
                "email": "hello@acme.example",
                "websites": ["https://acme.example"],
                "categories": ["retail_purchases_and_sales", "some_future_category"]
            }
        })));
    });
    let profile = client(&server)
        .get_device_profile()
        .device_id(DEVICE_ID)
        .include("business")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(profile.name.as_deref(), Some("Acme Support"));
    assert_eq!(profile.status.as_deref(), Some("Open 9-18"));
    let business = profile.business_profile.unwrap();
    assert_eq!(
        business.address.as_ref().map(|a| a.as_str()),
        Some("1 Main St")
    );
    assert_eq!(
        business.categories,
        vec![
            ProfileBusinessCategory::RetailPurchasesAndSales,
            ProfileBusinessCategory::Unknown("some_future_category".into())
        ]
    );
}

#[tokio::test]
async fn update_device_profile_sends_name_status_and_business_profile() {
    let server = server().await;
    let req: types::UpdateProfileRequest = from_json(json!({
        "name": "Acme",
        "status": "We answer fast",
        "businessProfile": {
            "address": "1 Main St",
            "description": "Hardware store",
            "email": "hello@acme.example",
            "websites": ["https://acme.example", "https://shop.acme.example"],
            "categories": ["retail_purchases_and_sales", "other_category"],
            "businessHours": {"timezone": "Europe/London"}
        }
    }));
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
fn update_device_profile_enforces_the_nodes_limits() {
    let ok = |v: serde_json::Value| serde_json::from_value::<types::UpdateProfileRequest>(v);
    assert!(ok(json!({"status": "x".repeat(130)})).is_ok());
    assert!(ok(json!({"status": "x".repeat(131)})).is_err());
    assert!(ok(json!({"name": "x".repeat(26)})).is_err());
    assert!(ok(json!({"businessProfile": {"address": "x".repeat(257)}})).is_err());
    assert!(
        ok(json!({"businessProfile": {"email": format!("{}@a.example", "x".repeat(120))}}))
            .is_err()
    );
    assert!(
        ok(json!({"businessProfile": {"businessHours": {}}})).is_err(),
        "timezone is required"
    );
    assert!(
        ok(json!({"about": "x".repeat(140)})).is_ok(),
        "`about` is not a field of this body any more: ignored when decoding"
    );
}

#[tokio::test]
async fn update_device_profile_refuses_more_than_two_websites_before_io() {
    let server = server().await;
    let mock = server.update_device_profile(|when, then| {
        when.into_inner();
        then.ok(&from_json(json!({})));
    });
    let req: types::UpdateProfileRequest = from_json(json!({
        "businessProfile": {"websites": ["https://a.example", "https://b.example", "https://c.example"]}
    }));
    let err = client(&server)
        .update_device_profile()
        .device_id(DEVICE_ID)
        .body(req)
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
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
async fn update_device_profile_image_puts_base64_data() {
    let server = server().await;
    let req: types::ProfileImageRequest = from_json(json!({"image": "iVBORw0KGgo="}));
    let mock = server.update_device_profile_image(|when, then| {
        authed(when.device_id(&device_id()).into_inner())
            .json_body(json!({"image": "iVBORw0KGgo="}));
        then.ok(&from_json(json!({"success": true})));
    });
    client(&server)
        .update_device_profile_image()
        .device_id(DEVICE_ID)
        .body(req)
        .send()
        .await
        .unwrap();
    mock.assert();
}
