//! WhatsApp Numbers: every operation's request (method, path, query, `Token`, body) is asserted
//! by its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::Error;
use sparkbot_api::types::{
    self, DevicePlan, DeviceRebootPolicy, DeviceRetentionPolicy, DeviceStatus, DeviceStatusFilter,
    SessionStatusFilter,
};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, assert_invalid_request, authed, client, from_json, read_all, server,
};

const OTHER_DEVICE: &str = "5f0a1b2c3d4e5f6a7b8c9d0f";
const AGENT: &str = "64b7c8d9e0f1a2b3c4d5e6f7";
const WEBHOOK: &str = "65a1b2c3d4e5f6a7b8c9d0e1";

fn device_json() -> serde_json::Value {
    json!({
        "id": DEVICE_ID,
        "phone": "+447362053576",
        "wid": "447362053576@c.us",
        "alias": "support",
        "status": "operative",
        "session": {"status": "online", "appVersion": "2.24.1"},
        "billing": {"subscription": {"product": "io"}},
        "metrics": {"unreadMessages": 3}
    })
}

#[tokio::test]
async fn list_devices_sends_the_nodes_filters_and_decodes_the_array() {
    let server = server().await;
    let devices: Vec<types::Device> = vec![from_json(device_json())];
    let mock = server.list_devices(|when, then| {
        let when = when
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("support")
            .status(&DeviceStatusFilter::Operative)
            .session_status(&SessionStatusFilter::Online)
            .into_inner()
            .query_param("ids", DEVICE_ID)
            .query_param("ids", OTHER_DEVICE)
            .query_param_count("^ids$", ".*", 2);
        authed(when);
        then.ok(&devices);
    });
    let listed = client(&server)
        .list_devices()
        .page(1u64)
        .size(20u64)
        .search("support")
        .status(DeviceStatusFilter::Operative)
        .session_status(SessionStatusFilter::Online)
        .ids(vec![
            DEVICE_ID.parse::<types::DeviceId>().unwrap(),
            OTHER_DEVICE.parse::<types::DeviceId>().unwrap(),
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].alias.as_deref(), Some("support"));
    assert_eq!(listed[0].status, Some(DeviceStatus::Operative));
}

#[tokio::test]
async fn list_devices_accepts_the_pickers_page_size_of_100() {
    let server = server().await;
    let mock = server.list_devices(|when, then| {
        authed(
            when.size(std::num::NonZeroU64::new(100).unwrap())
                .into_inner()
                .query_param_missing("ids"),
        );
        then.ok(&vec![]);
    });
    let listed = client(&server)
        .list_devices()
        .size(100u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn get_device_sends_include_and_exclude_and_decodes_the_device() {
    let server = server().await;
    let mock = server.get_device(|when, then| {
        let when = when
            .device_id(&DEVICE_ID.parse().unwrap())
            .include(
                &"agents,quickReplies"
                    .parse::<types::GetDeviceInclude>()
                    .unwrap(),
            )
            .exclude(&"queue".parse::<types::GetDeviceExclude>().unwrap());
        authed(when.into_inner());
        then.ok(&from_json(device_json()));
    });
    let device = client(&server)
        .get_device()
        .device_id(DEVICE_ID)
        .include("agents,quickReplies")
        .exclude("queue")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    assert_eq!(device.phone.as_deref(), Some("+447362053576"));
}

#[tokio::test]
async fn get_device_refuses_an_include_value_the_node_does_not_offer() {
    let server = server().await;
    let mock = server.get_device(|when, then| {
        when.into_inner();
        then.ok(&from_json(device_json()));
    });
    let err = client(&server)
        .get_device()
        .device_id(DEVICE_ID)
        .include("agents,invoices")
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}

#[tokio::test]
async fn create_device_sends_alias_and_billing_plan_and_accepts_201() {
    let server = server().await;
    let body: types::CreateDeviceRequest = from_json(json!({
        "alias": "sales",
        "billingPlan": "io-business",
        "description": "EU",
        "agents": [AGENT],
        "paymentIntent": "pi_3Nabc"
    }));
    assert_eq!(body.billing_plan, DevicePlan::IoBusiness);
    let mock = server.create_device(|when, then| {
        let when = when.body(&body).into_inner().json_body(json!({
            "alias": "sales",
            "billingPlan": "io-business",
            "description": "EU",
            "agents": [AGENT],
            "paymentIntent": "pi_3Nabc"
        }));
        authed(when);
        then.created(&from_json(device_json()));
    });
    let device = client(&server)
        .create_device()
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(device.status().as_u16(), 201);
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
}

#[test]
fn create_device_requires_a_billing_plan_and_checks_the_nodes_limits() {
    for bad in [
        json!({"alias": "sales"}),
        json!({"alias": "s", "billingPlan": "business"}),
        json!({"alias": "x".repeat(31), "billingPlan": "business"}),
        json!({"alias": "sales", "billingPlan": "business", "description": "x".repeat(81)}),
        json!({"alias": "sales", "billingPlan": "business", "paymentIntent": "seti_1"}),
        json!({"alias": "sales", "billingPlan": "business", "agents": ["nope"]}),
    ] {
        assert!(
            serde_json::from_value::<types::CreateDeviceRequest>(bad.clone()).is_err(),
            "accepted {bad}"
        );
    }
}

#[tokio::test]
async fn update_device_patches_the_nodes_fields_with_settings_nested() {
    let server = server().await;
    let wire = json!({
        "enable": false,
        "alias": "night shift",
        "plan": "gateway-enterprise",
        "webhooks": [WEBHOOK],
        "settings": {"rebootPolicy": "6h", "retentionPolicy": "plan_defaults", "deliverySpeed": 0.5}
    });
    let body: types::UpdateDeviceRequest = from_json(wire.clone());
    let settings = body.settings.as_ref().unwrap();
    assert_eq!(settings.reboot_policy, Some(DeviceRebootPolicy::V6h));
    assert_eq!(
        settings.retention_policy,
        Some(DeviceRetentionPolicy::PlanDefaults)
    );
    let mock = server.update_device(|when, then| {
        authed(
            when.device_id(&DEVICE_ID.parse().unwrap())
                .body(&body)
                .into_inner()
                .json_body(wire.clone()),
        );
        then.ok(&from_json(
            json!({"id": DEVICE_ID, "alias": "night shift", "status": "disabled"}),
        ));
    });
    let device = client(&server)
        .update_device()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(device.status, Some(DeviceStatus::Disabled));
}

#[tokio::test]
async fn update_device_refuses_a_delivery_speed_over_150_before_io() {
    let server = server().await;
    let mock = server.update_device(|when, then| {
        when.into_inner();
        then.ok(&from_json(device_json()));
    });
    let body: types::UpdateDeviceRequest = from_json(json!({"settings": {"deliverySpeed": 151}}));
    let err = client(&server)
        .update_device()
        .device_id(DEVICE_ID)
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(why) if why.contains("`/settings/deliverySpeed` is 151; the API allows 0 to 150")),
        "{err:?}"
    );
    mock.assert_calls(0);
}

#[tokio::test]
async fn delete_device_accepts_an_empty_204() {
    let server = server().await;
    let mock = server.delete_device(|when, then| {
        authed(when.device_id(&DEVICE_ID.parse().unwrap()).into_inner());
        then.no_content();
    });
    let response = client(&server)
        .delete_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(response.status().as_u16(), 204);
}

#[tokio::test]
async fn get_device_health_returns_the_untyped_report() {
    let server = server().await;
    let mock = server.get_device_health(|when, then| {
        authed(when.device_id(&DEVICE_ID.parse().unwrap()).into_inner());
        then.ok(&types::DeviceHealth(
            json!({"status": "ok", "session": "online"}),
        ));
    });
    let health = client(&server)
        .get_device_health()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(health["session"], "online");
}

#[tokio::test]
async fn delete_device_chats_sends_the_phones_as_a_bare_array() {
    let server = server().await;
    let body: types::DeleteDeviceChatsRequest = from_json(json!(["+447362053576", "+34600111222"]));
    let mock = server.delete_device_chats(|when, then| {
        authed(
            when.device_id(&DEVICE_ID.parse().unwrap())
                .body(&body)
                .into_inner()
                .path(format!("/devices/{DEVICE_ID}/chats"))
                .json_body(json!(["+447362053576", "+34600111222"])),
        );
        then.ok(&from_json(json!({"removed": 2})));
    });
    let result = client(&server)
        .delete_device_chats()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result["removed"], 2);
}

#[tokio::test]
async fn delete_device_chats_refuses_more_than_ten_phones_before_io() {
    let server = server().await;
    let mock = server.delete_device_chats(|when, then| {
        when.into_inner();
        then.ok(&from_json(json!({})));
    });
    let phones: Vec<String> = (0..11).map(|i| format!("+3460011122{i}")).collect();
    let body: types::DeleteDeviceChatsRequest = from_json(json!(phones));
    let err = client(&server)
        .delete_device_chats()
        .device_id(DEVICE_ID)
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(why) if why.contains("has 11 item(s); the API allows 1 to 10")),
        "{err:?}"
    );
    mock.assert_calls(0);
}

#[tokio::test]
async fn list_device_invoices_pages() {
    let server = server().await;
    let mock = server.list_device_invoices(|when, then| {
        let when = when
            .device_id(&DEVICE_ID.parse().unwrap())
            .page(0)
            .size(std::num::NonZeroU64::new(10).unwrap());
        authed(when.into_inner());
        then.ok(&vec![from_json(json!({"id": "inv_1", "total": 29.0}))]);
    });
    let invoices = client(&server)
        .list_device_invoices()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(10u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(invoices[0].id.as_deref(), Some("inv_1"));
}

#[tokio::test]
async fn download_device_invoice_pdf_streams_bytes() {
    let server = server().await;
    let mock = server.download_device_invoice_pdf(|when, then| {
        let when = when.device_id(&DEVICE_ID.parse().unwrap());
        authed(when.into_inner().path_includes("/invoices/"));
        then.into_inner()
            .status(200)
            .header("content-type", "application/pdf")
            .body("%PDF-1.7 fake");
    });
    let invoice_id = "5f0a1b2c3d4e5f6a7b8c9d0f";
    let stream = client(&server)
        .download_device_invoice_pdf()
        .device_id(DEVICE_ID)
        .invoice_id(invoice_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let bytes: Vec<u8> = read_all(stream).await;
    mock.assert();
    assert!(bytes.starts_with(b"%PDF"));
}
