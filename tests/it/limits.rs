//! Limits the generated types cannot enforce (array sizes, numeric ranges) are still checked
//! before any I/O, from the table `cargo xtask generate` collects out of the spec.

use serde_json::json;
use sparkbot_api::Error;
use sparkbot_api::types::SendMessageRequest;
use sparkbot_tests::{DEVICE_ID, MockServerExt, client, from_json, server};

#[tokio::test]
async fn a_page_size_over_the_endpoint_maximum_is_refused_before_io() {
    let server = server().await;
    let mock = server.list_chats(|when, then| {
        when.into_inner();
        then.ok(&vec![]);
    });
    let err = client(&server)
        .list_chats()
        .device_id(DEVICE_ID)
        .size(500u64)
        .send()
        .await
        .unwrap_err();
    match err {
        Error::InvalidRequest(why) => {
            assert_eq!(
                why,
                "list_chats: query parameter `size` is 500; the API allows 1 to 50"
            )
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    mock.assert_calls(0);
    client(&server)
        .list_chats()
        .device_id(DEVICE_ID)
        .size(50u64)
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
}

#[tokio::test]
async fn eleven_contacts_in_one_message_are_refused_before_io() {
    let server = server().await;
    let mock = server.send_message(|when, then| {
        when.into_inner();
        then.created(&from_json(json!({"id": sparkbot_tests::MESSAGE_ID})));
    });
    let contacts: Vec<_> = (0..11)
        .map(|i| json!({"phone": format!("+3460011122{i:01}"), "name": format!("C{i}")}))
        .collect();
    let body: SendMessageRequest =
        from_json(json!({"device": DEVICE_ID, "phone": "+447362053576", "contacts": contacts}));
    let err = client(&server)
        .send_message()
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(why) if why.contains("`/contacts` has 11 item(s); the API allows 1 to 10")),
        "{err:?}"
    );
    mock.assert_calls(0);
}

#[tokio::test]
async fn a_poll_with_one_option_is_refused_before_io() {
    let server = server().await;
    let mock = server.send_message(|when, then| {
        when.into_inner();
        then.created(&from_json(json!({})));
    });
    let body: SendMessageRequest = from_json(json!({
        "device": DEVICE_ID, "phone": "+447362053576", "poll": {"name": "Lunch?", "options": ["Pizza"]}
    }));
    let err = client(&server)
        .send_message()
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest(why) if why.contains("`/poll/options` has 1 item(s); the API allows 2 to 10")),
        "{err:?}"
    );
    mock.assert_calls(0);
}
