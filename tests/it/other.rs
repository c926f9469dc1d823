//! Other (numbers exists/validate, pricing): every operation's request (method, path, `Token`,
//! body) is asserted by its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types;
use sparkbot_tests::{MockServerExt, authed, client, from_json, server};

#[tokio::test]
async fn check_number_exists_sends_the_phone_and_decodes_the_result() {
    let server = server().await;
    let req: types::NumberExistsRequest = from_json(json!({"phone": "+447362053576"}));
    let mock = server.check_number_exists(|when, then| {
        authed(when.body(&req).into_inner());
        then.ok(&from_json(json!({
            "exists": true,
            "phone": "+447362053576",
            "wid": "447362053576@c.us",
            "isBusiness": true,
            "businessInfo": {"name": "Acme", "isApi": false, "isSmb": true},
            "link": "https://wa.me/447362053576",
            "country": {"code": "GB", "name": "United Kingdom", "phonePrefix": "+44",
                        "languages": ["en"], "timezones": ["Europe/London"]}
        })));
    });
    let result = client(&server)
        .check_number_exists()
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result.exists, Some(true));
    assert_eq!(result.wid.as_deref(), Some("447362053576@c.us"));
    assert_eq!(result.business_info.unwrap().is_smb, Some(true));
    assert_eq!(result.country.unwrap().code.as_deref(), Some("GB"));
}

#[test]
fn check_number_exists_takes_the_nodes_e164_pattern() {
    for good in ["+447362053576", "+123"] {
        assert!(
            serde_json::from_value::<types::NumberExistsRequest>(json!({"phone": good})).is_ok(),
            "{good}"
        );
    }
    for bad in [
        "447362053576",
        "+0447362053576",
        "+1234567890123456",
        "+44 7362 053576",
    ] {
        assert!(
            serde_json::from_value::<types::NumberExistsRequest>(json!({"phone": bad})).is_err(),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn validate_numbers_sends_the_batch_and_decodes_the_summary() {
    let server = server().await;
    let req: types::ValidateNumbersRequest = from_json(json!({
        "country": "ES",
        "prefix": "34",
        "numbers": [{"phone": "600 000 000"}, {"phone": "123"}]
    }));
    let mock = server.validate_numbers(|when, then| {
        authed(when.body(&req).into_inner());
        then.ok(&from_json(json!({
            "summary": {"total": 2, "valid": 1, "invalid": 1},
            "numbers": [
                {"valid": true, "input": "600 000 000", "phone": "+34600000000",
                 "wid": "34600000000@c.us", "kind": "mobile", "country": "ES", "countryPrefix": 34,
                 "formats": {"local": "600000000", "national": "600 00 00 00",
                             "international": "+34 600 00 00 00"}},
                {"valid": false, "input": "123", "error": "Invalid number"}
            ]
        })));
    });
    let result = client(&server)
        .validate_numbers()
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    let summary = result.summary.unwrap();
    assert_eq!(
        (summary.total, summary.valid, summary.invalid),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(result.numbers[0].phone.as_deref(), Some("+34600000000"));
    assert_eq!(
        result.numbers[0]
            .formats
            .as_ref()
            .unwrap()
            .international
            .as_deref(),
        Some("+34 600 00 00 00")
    );
    assert_eq!(result.numbers[1].valid, Some(false));
}

#[test]
fn validate_numbers_checks_country_and_phone_length() {
    let numbers = json!([{"phone": "600 000 000"}]);
    assert!(
        serde_json::from_value::<types::ValidateNumbersRequest>(json!({"numbers": numbers}))
            .is_ok()
    );
    assert!(
        serde_json::from_value::<types::ValidateNumbersRequest>(
            json!({"country": "es", "numbers": numbers})
        )
        .is_err(),
        "the node sends the country upper-cased"
    );
    assert!(
        serde_json::from_value::<types::ValidateNumbersRequest>(
            json!({"numbers": [{"phone": "1".repeat(51)}]})
        )
        .is_err(),
        "a phone entry is at most 50 characters"
    );
}

#[tokio::test]
async fn get_pricing_returns_untyped_json() {
    let server = server().await;
    let mock = server.get_pricing(|when, then| {
        authed(when.into_inner());
        then.ok(&from_json(json!({"plans": [{"id": "io", "price": 30}]})));
    });
    let pricing = client(&server)
        .get_pricing()
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(pricing.0["plans"][0]["id"], "io");
}
