//! Business catalog: every operation's request (method, path, query, `Token`, body) is asserted by
//! its typed mock, and its response decoded. The two operations are the SparkBot node's
//! (`src/actions/catalog.ts`); their response shapes are not known, so they decode as untyped JSON.

use serde_json::json;
use sparkbot_api::types;
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

#[tokio::test]
async fn get_catalog_sends_page_and_size() {
    let server = server().await;
    let mock = server.get_catalog(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(2)
            .size(std::num::NonZeroU64::new(500).unwrap());
        authed(when.into_inner());
        then.ok(&from_json(
            json!([{"id": "7283947261938475", "name": "Blue mug"}]),
        ));
    });
    let catalog = client(&server)
        .get_catalog()
        .device_id(DEVICE_ID)
        .page(2u64)
        .size(500u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(catalog.0[0]["name"], "Blue mug");
}

#[tokio::test]
async fn get_catalog_refuses_a_size_over_500_before_io() {
    let server = server().await;
    let mock = server.get_catalog(|when, then| {
        when.into_inner();
        then.ok(&from_json(json!([])));
    });
    let err = client(&server)
        .get_catalog()
        .device_id(DEVICE_ID)
        .size(501u64)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sparkbot_api::Error::InvalidRequest(why) if why.contains("query parameter `size` is 501; the API allows 1 to 500")),
        "{err:?}"
    );
    mock.assert_calls(0);
}

#[tokio::test]
async fn query_catalog_posts_the_business_phone() {
    let server = server().await;
    let body: types::CatalogQueryRequest = from_json(json!({"phone": "+447362053576", "size": 50}));
    let mock = server.query_catalog(|when, then| {
        let when = when
            .device_id(&device_id())
            .body(&body)
            .into_inner()
            .json_body_includes(r#"{"phone": "+447362053576", "size": 50}"#);
        authed(when);
        then.ok(&from_json(json!({"products": [{"name": "Red mug"}]})));
    });
    let out = client(&server)
        .query_catalog()
        .device_id(DEVICE_ID)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(out.0["products"][0]["name"], "Red mug");
}

#[tokio::test]
async fn query_catalog_checks_phone_and_size() {
    assert!(
        serde_json::from_value::<types::CatalogQueryRequest>(json!({"size": 10})).is_err(),
        "phone is required"
    );
    assert!(
        serde_json::from_value::<types::CatalogQueryRequest>(json!({"phone": "447362053576"}))
            .is_err(),
        "phone is E.164"
    );
    let server = server().await;
    let mock = server.query_catalog(|when, then| {
        when.into_inner();
        then.ok(&from_json(json!({})));
    });
    let err = client(&server)
        .query_catalog()
        .device_id(DEVICE_ID)
        .body(from_json::<types::CatalogQueryRequest>(
            json!({"phone": "+447362053576", "size": 501}),
        ))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sparkbot_api::Error::InvalidRequest(why) if why.contains("`/size` is 501; the API allows 1 to 500")),
        "{err:?}"
    );
    mock.assert_calls(0);
}
