//! Business catalog: every operation's request (method, path, query, `Token`, body) is asserted by
//! its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types;
use sparkbot_tests::{DEVICE_ID, MockServerExt, authed, client, device_id, from_json, server};

const PRODUCT_ID: &str = "7283947261938475";

fn product_json() -> serde_json::Value {
    json!({
        "id": PRODUCT_ID, "name": "Blue mug", "price": 12.5, "currency": "EUR",
        "retailerId": "MUG-BLUE", "images": ["https://example.com/mug.jpg"], "isHidden": false
    })
}

#[tokio::test]
async fn get_catalog_decodes_the_summary() {
    let server = server().await;
    let mock = server.get_catalog(|when, then| {
        authed(when.device_id(&device_id()).into_inner());
        then.ok(&from_json(
            json!({"id": "c1", "name": "Acme", "totalProducts": 4}),
        ));
    });
    let catalog = client(&server)
        .get_catalog()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(catalog.total_products, Some(4));
}

#[tokio::test]
async fn list_catalog_products_sends_search_and_decodes() {
    let server = server().await;
    let products: Vec<types::CatalogProduct> = vec![from_json(product_json())];
    let mock = server.list_catalog_products(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(0)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .search("mug");
        authed(when.into_inner());
        then.ok(&products);
    });
    let listed = client(&server)
        .list_catalog_products()
        .device_id(DEVICE_ID)
        .page(0u64)
        .size(20u64)
        .search("mug")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].price, Some(12.5));
}

#[tokio::test]
async fn create_catalog_product_sends_the_product() {
    let server = server().await;
    let req: types::CreateCatalogProductRequest = from_json(json!({
        "name": "Blue mug", "price": 12.5, "currency": "EUR",
        "images": ["https://example.com/mug.jpg"], "retailerId": "MUG-BLUE"
    }));
    let mock = server.create_catalog_product(|when, then| {
        authed(when.device_id(&device_id()).body(&req).into_inner());
        then.created(&from_json(product_json()));
    });
    let product = client(&server)
        .create_catalog_product()
        .device_id(DEVICE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(product.id.as_deref(), Some(PRODUCT_ID));
}

#[test]
fn create_catalog_product_refuses_a_bad_currency() {
    assert!(
        serde_json::from_value::<types::CreateCatalogProductRequest>(json!({
            "name": "Mug", "currency": "euro", "images": ["https://example.com/m.jpg"]
        }))
        .is_err()
    );
}

#[tokio::test]
async fn get_catalog_product_decodes_the_product() {
    let server = server().await;
    let mock = server.get_catalog_product(|when, then| {
        authed(
            when.device_id(&device_id())
                .product_id(&PRODUCT_ID.parse().unwrap())
                .into_inner(),
        );
        then.ok(&from_json(product_json()));
    });
    let product = client(&server)
        .get_catalog_product()
        .device_id(DEVICE_ID)
        .product_id(PRODUCT_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(product.retailer_id.as_deref(), Some("MUG-BLUE"));
}

#[tokio::test]
async fn update_catalog_product_sends_the_fields() {
    let server = server().await;
    let req: types::UpdateCatalogProductRequest = from_json(json!({"isHidden": true}));
    let mut updated = product_json();
    updated["isHidden"] = json!(true);
    let mock = server.update_catalog_product(|when, then| {
        authed(
            when.device_id(&device_id())
                .product_id(&PRODUCT_ID.parse().unwrap())
                .body(&req)
                .into_inner(),
        );
        then.ok(&from_json(updated));
    });
    let product = client(&server)
        .update_catalog_product()
        .device_id(DEVICE_ID)
        .product_id(PRODUCT_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(product.is_hidden, Some(true));
}

#[tokio::test]
async fn delete_catalog_product_accepts_an_empty_answer() {
    let server = server().await;
    let mock = server.delete_catalog_product(|when, then| {
        authed(
            when.device_id(&device_id())
                .product_id(&PRODUCT_ID.parse().unwrap())
                .into_inner(),
        );
        then.no_content();
    });
    let rv = client(&server)
        .delete_catalog_product()
        .device_id(DEVICE_ID)
        .product_id(PRODUCT_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn list_catalog_collections_decodes_products() {
    let server = server().await;
    let collections: Vec<types::CatalogCollection> = vec![from_json(json!({
        "id": "col1", "name": "Mugs", "products": [product_json()]
    }))];
    let mock = server.list_catalog_collections(|when, then| {
        let when = when.device_id(&device_id()).page(1);
        authed(when.into_inner());
        then.ok(&collections);
    });
    let listed = client(&server)
        .list_catalog_collections()
        .device_id(DEVICE_ID)
        .page(1u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].products[0].name.as_deref(), Some("Blue mug"));
}
