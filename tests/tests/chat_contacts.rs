//! Chat Contacts: every operation's request (method, path, query, `Token`, body) is asserted by
//! its typed mock, and its response decoded; the P1 field limits are checked on the request types.

use serde_json::json;
use sparkbot_api::types::{self, ChatContactKind};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, authed, client, device_id, from_json, server,
};

const WID: &str = "447362053576@c.us";

fn wid() -> types::ChatContactWid {
    WID.parse().unwrap()
}

fn contact_json() -> serde_json::Value {
    json!({
        "wid": WID,
        "phone": "+447362053576",
        "kind": "personal",
        "name": "Alice",
        "displayName": "Alice Smith",
        "status": "active",
        "image": {"url": "https://example.com/a.jpg"},
        "info": {"name": "Alice", "surname": "Smith", "email": "alice@example.com", "timeOffset": 60},
        "metadata": [{"key": "crm_id", "value": "42"}]
    })
}

#[tokio::test]
async fn list_chat_contacts_sends_filters() {
    let server = server().await;
    let contacts: Vec<types::ChatContact> = vec![from_json(contact_json())];
    let mock = server.list_chat_contacts(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(50).unwrap())
            .search("alice")
            .kind(&ChatContactKind::User)
            .into_inner()
            .query_param("has", "email")
            .query_param("has", "chat");
        authed(when);
        then.ok(&contacts);
    });
    let listed = client(&server)
        .list_chat_contacts()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(50u64)
        .search("alice")
        .kind(ChatContactKind::User)
        .has(vec![
            types::ChatContactHas::Email,
            types::ChatContactHas::Chat,
        ])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    let c = &listed[0];
    assert_eq!(c.kind, Some(ChatContactKind::Personal));
    assert_eq!(c.info.as_ref().unwrap().surname.as_deref(), Some("Smith"));
    assert_eq!(c.metadata[0].value.as_deref(), Some("42"));
    assert_eq!(
        c.image.as_ref().unwrap().url.as_deref(),
        Some("https://example.com/a.jpg")
    );
}

#[tokio::test]
async fn create_chat_contact_sends_fields_metadata_and_upsert() {
    let server = server().await;
    let body: types::ChatContactCreateRequest = from_json(json!({
        "phone": "+447362053576",
        "name": "Alice",
        "surname": "Smith",
        "title": "Dr",
        "kind": "business",
        "gender": "female",
        "altPhone": "+447362053577",
        "email": "alice@example.com",
        "description": "VIP customer",
        "languages": ["en", "es"],
        "company": {"name": "Acme", "taxId": "GB123", "country": "GB", "phone": "+442071234567"},
        "currency": "GBP",
        "city": "London",
        "postalCode": "SW1A 1AA",
        "country": "GB",
        "notes": "Prefers email",
        "birthday": "1990-05-17",
        "notifications": "mute",
        "timezone": "Europe/London",
        "crm": {"source": "hubspot", "reference": "c-1"},
        "sync": true,
        "agent": "64b7c8d9e0f1a2b3c4d5e6f7",
        "upsert": true,
        "metadata": [{"key": "crm_id", "value": "42"}]
    }));
    let mock = server.create_chat_contact(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(contact_json()));
    });
    let created = client(&server)
        .create_chat_contact()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(created.wid.as_deref(), Some(WID));
    let wire = serde_json::to_value(&body).unwrap();
    assert_eq!(wire["notifications"], "mute");
    assert_eq!(wire["company"]["taxId"], "GB123");
    assert_eq!(wire["upsert"], true);
}

#[tokio::test]
async fn create_chat_contact_maps_409_for_an_existing_contact() {
    let server = server().await;
    let body: types::ChatContactCreateRequest = from_json(json!({"phone": "+447362053576"}));
    let mock = server.create_chat_contact(|when, then| {
        authed(when.body(&body).into_inner());
        then.conflict(&api_error(409, "contact:exists", "Contact already exists"));
    });
    let err = client(&server)
        .create_chat_contact()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
}

#[tokio::test]
async fn contact_fields_enforce_the_p1_limits() {
    let ok = json!({"phone": "+447362053576"});
    assert!(serde_json::from_value::<types::ChatContactCreateRequest>(ok).is_ok());
    for bad in [
        json!({}),
        json!({"phone": "447362053576"}),
        json!({"phone": "+447362053576", "name": "x".repeat(31)}),
        json!({"phone": "+447362053576", "surname": "x".repeat(51)}),
        json!({"phone": "+447362053576", "title": "x".repeat(16)}),
        json!({"phone": "+447362053576", "description": "x".repeat(101)}),
        json!({"phone": "+447362053576", "notes": "x".repeat(3001)}),
        json!({"phone": "+447362053576", "metadata": [{"key": "bad key", "value": "v"}]}),
        json!({"phone": "+447362053576", "metadata": [{"key": "k", "value": "x".repeat(301)}]}),
    ] {
        assert!(
            serde_json::from_value::<types::ChatContactCreateRequest>(bad.clone()).is_err(),
            "accepted {bad}"
        );
    }
}

#[tokio::test]
async fn upsert_chat_contacts_sends_an_array() {
    let server = server().await;
    let body: Vec<types::ChatContactInput> = vec![
        from_json(json!({
            "phone": "+447362053576", "name": "Alice", "surname": "Smith", "kind": "personal",
            "country": "GB", "metadata": [{"key": "source", "value": "import"}]
        })),
        from_json(json!({"phone": "+447362053577"})),
    ];
    let mock = server.upsert_chat_contacts(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(json!([{"wid": WID}])));
    });
    let out = client(&server)
        .upsert_chat_contacts()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out[0]["wid"], WID);
}

#[tokio::test]
async fn get_chat_contact_decodes_and_maps_404() {
    let server = server().await;
    let mock = server.get_chat_contact(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .into_inner(),
        );
        then.ok(&from_json(contact_json()));
    });
    let c = client(&server)
        .get_chat_contact()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.display_name.as_deref(), Some("Alice Smith"));
    assert_eq!(c.info.as_ref().unwrap().time_offset, Some(json!(60)));

    let err = client(&server)
        .get_chat_contact()
        .device_id(DEVICE_ID)
        .contact_wid("120363012345678901@g.us")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, sparkbot_api::Error::InvalidRequest(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn update_chat_contact_sends_partial_fields() {
    let server = server().await;
    let body: types::ChatContactUpdateRequest = from_json(json!({
        "surname": "Jones",
        "metadata": [{"key": "tier", "value": "gold"}]
    }));
    let mock = server.update_chat_contact(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .body(&body)
                .into_inner(),
        );
        then.ok(&from_json(
            json!({"wid": WID, "info": {"surname": "Jones"}}),
        ));
    });
    let c = client(&server)
        .update_chat_contact()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(c.info.unwrap().surname.as_deref(), Some("Jones"));
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"surname": "Jones", "metadata": [{"key": "tier", "value": "gold"}]}),
        "unset fields are not sent"
    );
}

#[tokio::test]
async fn delete_chat_contact_accepts_204() {
    let server = server().await;
    let mock = server.delete_chat_contact(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .into_inner(),
        );
        then.no_content();
    });
    client(&server)
        .delete_chat_contact()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn upsert_chat_contact_metadata_sends_key_values() {
    let server = server().await;
    let body: Vec<types::ChatContactMetadataEntry> = vec![
        from_json(json!({"key": "crm_id", "value": "42"})),
        from_json(json!({"key": "plan", "value": "pro"})),
    ];
    let mock = server.upsert_chat_contact_metadata(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .body(&body)
                .into_inner(),
        );
        then.ok(&from_json(
            json!({"metadata": [{"key": "crm_id", "value": "42"}]}),
        ));
    });
    let out = client(&server)
        .upsert_chat_contact_metadata()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["metadata"][0]["key"], "crm_id");
}

#[tokio::test]
async fn delete_chat_contact_metadata_sends_keys() {
    let server = server().await;
    let body: types::ChatContactMetadataKeys = from_json(json!(["crm_id", "plan"]));
    let mock = server.delete_chat_contact_metadata(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .body(&body)
                .into_inner(),
        );
        then.ok();
    });
    client(&server)
        .delete_chat_contact_metadata()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn block_and_unblock_chat_contact() {
    let server = server().await;
    let block = server.block_chat_contact(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .into_inner(),
        );
        then.ok(&from_json(json!({"status": "blocked"})));
    });
    let unblock = server.unblock_chat_contact(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .into_inner(),
        );
        then.no_content();
    });
    let out = client(&server)
        .block_chat_contact()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out["status"], "blocked");
    client(&server)
        .unblock_chat_contact()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .send()
        .await
        .unwrap();
    block.assert();
    unblock.assert();
}
