//! WhatsApp Numbers: every operation's request (method, path, query, `Token`, body) is asserted
//! by its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, DeviceStatus, DeviceStatusFilter, SessionStatusFilter};
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, from_json, server};

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
async fn list_devices_sends_filters_and_decodes_the_array() {
    let server = server().await;
    let devices: Vec<types::Device> = vec![from_json(device_json())];
    let mock = server.list_devices(|when, then| {
        let when = when
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("support")
            .status(&DeviceStatusFilter::Operative)
            .session_status(&SessionStatusFilter::Online);
        authed(when.into_inner());
        then.ok(&devices);
    });
    let listed = client(&server)
        .list_devices()
        .page(1u64)
        .size(20u64)
        .search("support")
        .status(DeviceStatusFilter::Operative)
        .session_status(SessionStatusFilter::Online)
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
async fn get_device_decodes_the_device() {
    let server = server().await;
    let mock = server.get_device(|when, then| {
        authed(when.device_id(&DEVICE_ID.parse().unwrap()).into_inner());
        then.ok(&from_json(device_json()));
    });
    let device = client(&server)
        .get_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
    assert_eq!(device.phone.as_deref(), Some("+447362053576"));
}
