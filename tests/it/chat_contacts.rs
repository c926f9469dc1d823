//! Chat Contacts: every operation's request (method, path, query, `Token`, body) is asserted by
//! its typed mock, and its response decoded; the node's field limits are checked on the request
//! types and by the pre-send limit check.

use serde_json::json;
use sparkbot_api::types::{self, ChatContactKind, ChatContactSort};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, assert_invalid_request, authed, client, device_id,
    from_json, server,
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
async fn list_chat_contacts_sends_every_filter() {
    let server = server().await;
    let contacts: Vec<types::ChatContact> = vec![from_json(contact_json())];
    let mock = server.list_chat_contacts(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("alice")
            .has_chat(true)
            .after("2026-01-01T00:00:00Z")
            .before("2026-02-01T00:00:00Z")
            .updated_after("2026-01-15T00:00:00Z")
            .updated_before("2026-01-20T00:00:00Z")
            .last_message_after("2026-01-10T08:30:00Z")
            .last_message_before("2026-01-31T23:59:59Z")
            .sort(&ChatContactSort::CreatedAtDesc);
        // Array filters go out repeated, one `name=value` pair per item.
        let when = when
            .into_inner()
            .query_param("type", "user")
            .query_param("type", "group")
            .query_param("has", "email")
            .query_param("has", "chat")
            .query_param("country", "ES")
            .query_param("country", "GB")
            .query_param("labels", "vip")
            .query_param("labelsExclude", "*")
            .query_param("include", "chat")
            .query_param("metadataKey", "crm_id")
            .query_param("metadataValue", "42")
            .query_param_missing("type[]")
            .query_param_missing("kind");
        authed(when);
        then.ok(&contacts);
    });
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let listed = client(&server)
        .list_chat_contacts()
        .device_id(DEVICE_ID)
        .page(1u64)
        .size(20u64)
        .search("alice")
        .type_(vec![ChatContactKind::User, ChatContactKind::Group])
        .has(vec![
            types::ChatContactHas::Email,
            types::ChatContactHas::Chat,
        ])
        .has_chat(true)
        .country(vec!["ES".parse().unwrap(), "GB".parse().unwrap()])
        .labels(vec!["vip".parse().unwrap()])
        .labels_exclude(vec!["*".parse().unwrap()])
        .include(vec![types::ChatContactInclude::Chat])
        .metadata_key(vec!["crm_id".parse().unwrap()])
        .metadata_value(vec!["42".parse().unwrap()])
        .after(at("2026-01-01T00:00:00Z"))
        .before(at("2026-02-01T00:00:00Z"))
        .updated_after(at("2026-01-15T00:00:00Z"))
        .updated_before(at("2026-01-20T00:00:00Z"))
        .last_message_after(at("2026-01-10T08:30:00Z"))
        .last_message_before(at("2026-01-31T23:59:59Z"))
        .sort(ChatContactSort::CreatedAtDesc)
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

#[test]
fn list_chat_contacts_country_filter_takes_alpha_2_codes() {
    assert!("ES".parse::<types::ListChatContactsCountryItem>().is_ok());
    for bad in ["es", "ESP", ""] {
        assert!(
            bad.parse::<types::ListChatContactsCountryItem>().is_err(),
            "accepted {bad:?}"
        );
    }
}

#[test]
fn chat_contact_sort_uses_the_node_values() {
    assert_eq!(ChatContactSort::NameAsc.to_string(), "name:asc");
    assert_eq!(
        "updatedAt:desc".parse::<ChatContactSort>().unwrap(),
        ChatContactSort::UpdatedAtDesc
    );
}

#[tokio::test]
async fn create_chat_contact_sends_the_node_fields_flat() {
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
        "companyName": "Acme",
        "companyCode": "ACME-1",
        "companyTaxId": "GB123",
        "companyRole": "CTO",
        "companyWebsite": "https://acme.example",
        "companyEmail": "info@acme.example",
        "companyPhone": "+442071234567",
        "companyCountry": "GB",
        "currency": "GBP",
        "address": "1 High Street",
        "city": "London",
        "postalCode": "SW1A 1AA",
        "country": "GB",
        "notes": "Prefers email",
        "birthday": "1990-05-17T00:00:00",
        "notifications": "mute",
        "timezone": "Europe/London",
        "crm": "hubspot",
        "crmRef": "c-1",
        "sync": true,
        "assign": "64b7c8d9e0f1a2b3c4d5e6f7",
        "upsert": true,
        "metadata": [{"key": "crm_id", "value": "42"}]
    }));
    let mock = server.create_chat_contact(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.created(&from_json(contact_json()));
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
    assert_eq!(wire["companyTaxId"], "GB123");
    assert_eq!(wire["crmRef"], "c-1");
    assert_eq!(wire["assign"], "64b7c8d9e0f1a2b3c4d5e6f7");
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

#[test]
fn contact_fields_enforce_the_node_limits() {
    let ok = json!({"phone": "+447362053576", "birthday": "1990-05-17"});
    assert!(serde_json::from_value::<types::ChatContactCreateRequest>(ok).is_ok());
    for bad in [
        json!({}),
        json!({"phone": "447362053576"}),
        json!({"phone": "+447362053576", "name": "x".repeat(31)}),
        json!({"phone": "+447362053576", "surname": "x".repeat(51)}),
        json!({"phone": "+447362053576", "title": "x".repeat(16)}),
        json!({"phone": "+447362053576", "description": "x".repeat(101)}),
        json!({"phone": "+447362053576", "companyName": "x".repeat(51)}),
        json!({"phone": "+447362053576", "companyCode": "x".repeat(51)}),
        json!({"phone": "+447362053576", "companyTaxId": "x".repeat(31)}),
        json!({"phone": "+447362053576", "companyRole": "x".repeat(31)}),
        json!({"phone": "+447362053576", "address": "x".repeat(101)}),
        json!({"phone": "+447362053576", "city": "x".repeat(31)}),
        json!({"phone": "+447362053576", "postalCode": "x".repeat(21)}),
        json!({"phone": "+447362053576", "notes": "x".repeat(3001)}),
        json!({"phone": "+447362053576", "country": "gb"}),
        json!({"phone": "+447362053576", "companyPhone": "02071234567"}),
        json!({"phone": "+447362053576", "birthday": "17/05/1990"}),
        json!({"phone": "+447362053576", "assign": "not-a-user-id"}),
        json!({"phone": "+447362053576", "notifications": 1}),
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
async fn create_chat_contact_refuses_more_than_3_languages_before_sending() {
    let server = server().await;
    let mock = server.create_chat_contact(|when, then| {
        authed(when.into_inner());
        then.created(&from_json(contact_json()));
    });
    let body: types::ChatContactCreateRequest = from_json(json!({
        "phone": "+447362053576",
        "languages": ["en", "es", "fr", "de"]
    }));
    let err = client(&server)
        .create_chat_contact()
        .device_id(DEVICE_ID)
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}

#[tokio::test]
async fn upsert_chat_contacts_sends_an_array_and_upsert_false() {
    let server = server().await;
    let body: Vec<types::ChatContactInput> = vec![
        // What the node's "Bulk Create Contacts" sends.
        from_json(json!({
            "phone": "+447362053576", "name": "Alice", "surname": "Smith",
            "email": "alice@example.com", "companyName": "Acme"
        })),
        // What S22 sends.
        from_json(json!({
            "phone": "+447362053577", "name": "Bob", "kind": "personal", "country": "GB",
            "metadata": [{"key": "source", "value": "import"}]
        })),
    ];
    let mock = server.upsert_chat_contacts(|when, then| {
        authed(
            when.device_id(&device_id())
                .upsert(false)
                .body(&body)
                .into_inner(),
        );
        then.ok(&from_json(json!([{"wid": WID}])));
    });
    let out = client(&server)
        .upsert_chat_contacts()
        .device_id(DEVICE_ID)
        .upsert(false)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out[0]["wid"], WID);
}

#[tokio::test]
async fn upsert_chat_contacts_refuses_more_than_1000_before_sending() {
    let server = server().await;
    let mock = server.upsert_chat_contacts(|when, then| {
        authed(when.into_inner());
        then.ok(&from_json(json!([])));
    });
    let one: types::ChatContactInput = from_json(json!({"phone": "+447362053576"}));
    let err = client(&server)
        .upsert_chat_contacts()
        .device_id(DEVICE_ID)
        .body(vec![one; 1001])
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}

#[tokio::test]
async fn get_chat_contact_sends_include_decodes_and_checks_the_wid() {
    let server = server().await;
    let mock = server.get_chat_contact(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .include(&types::ChatContactInclude::Chat)
                .into_inner(),
        );
        then.ok(&from_json(contact_json()));
    });
    let c = client(&server)
        .get_chat_contact()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .include(types::ChatContactInclude::Chat)
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
    assert_invalid_request(&err);
}

#[tokio::test]
async fn get_chat_contact_maps_404() {
    let server = server().await;
    let mock = server.get_chat_contact(|when, then| {
        authed(when.contact_wid(&wid()).into_inner());
        then.not_found(&api_error(404, "contact:not_found", "Contact not found"));
    });
    let err = client(&server)
        .get_chat_contact()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .send()
        .await
        .unwrap_err();
    mock.assert();
    let sparkbot_api::Error::ErrorResponse(rv) = err else {
        panic!("expected a typed error, got {err:?}");
    };
    assert_eq!(rv.status(), 404);
    assert_eq!(rv.error_code.as_deref(), Some("contact:not_found"));
}

#[tokio::test]
async fn update_chat_contact_sends_partial_fields_and_remove() {
    let server = server().await;
    let body: types::ChatContactUpdateRequest = from_json(json!({
        "surname": "Jones",
        "companyName": "Acme",
        "metadata": [{"key": "tier", "value": "gold"}],
        "$remove": ["email", "companyPhone", "links"]
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
        json!({
            "surname": "Jones",
            "companyName": "Acme",
            "metadata": [{"key": "tier", "value": "gold"}],
            "$remove": ["email", "companyPhone", "links"]
        }),
        "unset fields are not sent; `$remove` keeps its name"
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
async fn update_chat_contact_metadata_puts_key_values() {
    let server = server().await;
    let body: Vec<types::ChatContactMetadataEntry> = vec![
        from_json(json!({"key": "crm_id", "value": "43"})),
        from_json(json!({"key": "plan", "value": "basic"})),
    ];
    let mock = server.update_chat_contact_metadata(|when, then| {
        authed(
            when.device_id(&device_id())
                .contact_wid(&wid())
                .body(&body)
                .into_inner(),
        );
        then.ok(&from_json(json!({"metadata": [
            {"key": "crm_id", "value": "43"},
            {"key": "plan", "value": "basic"}
        ]})));
    });
    let out = client(&server)
        .update_chat_contact_metadata()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out["metadata"][1]["value"], "basic");
}

#[tokio::test]
async fn update_chat_contact_metadata_refuses_an_empty_list_before_sending() {
    let server = server().await;
    let mock = server.update_chat_contact_metadata(|when, then| {
        authed(when.into_inner());
        then.ok(&from_json(json!({})));
    });
    let err = client(&server)
        .update_chat_contact_metadata()
        .device_id(DEVICE_ID)
        .contact_wid(WID)
        .body(Vec::<types::ChatContactMetadataEntry>::new())
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
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
async fn block_and_unblock_chat_contacts_by_phone() {
    let server = server().await;
    let body: types::ChatContactBlockRequest =
        from_json(json!({"contacts": ["+447362053576", "+34600000000"]}));
    let block = server.block_chat_contact(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.ok(&from_json(json!({"blocked": 2})));
    });
    let unblock = server.unblock_chat_contact(|when, then| {
        authed(when.device_id(&device_id()).body(&body).into_inner());
        then.no_content();
    });
    let out = client(&server)
        .block_chat_contact()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out["blocked"], 2);
    client(&server)
        .unblock_chat_contact()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    block.assert();
    unblock.assert();
}

#[tokio::test]
async fn block_chat_contact_takes_1_to_50_e164_phones() {
    assert!(
        serde_json::from_value::<types::ChatContactBlockRequest>(
            json!({"contacts": ["447362053576"]})
        )
        .is_err(),
        "a phone without `+` is refused"
    );
    let server = server().await;
    let mock = server.block_chat_contact(|when, then| {
        authed(when.into_inner());
        then.ok(&from_json(json!({})));
    });
    let phones: Vec<String> = (0..51).map(|i| format!("+3460000{i:04}")).collect();
    for contacts in [json!([]), json!(phones)] {
        let body: types::ChatContactBlockRequest = from_json(json!({ "contacts": contacts }));
        let err = client(&server)
            .block_chat_contact()
            .device_id(DEVICE_ID)
            .body(body)
            .send()
            .await
            .unwrap_err();
        assert_invalid_request(&err);
    }
    mock.assert_calls(0);
}
