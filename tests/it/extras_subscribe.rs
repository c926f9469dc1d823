//! `SparkBot::ensure_webhook` against httpmock: created, unchanged, updated, a 409 that turns out
//! to be an existing webhook (and one that does not), input refused before any request, a create
//! whose outcome is unknown that the lookup finds (and one it does not), and a lookup that reads
//! every page. Each test counts the calls of every endpoint involved, so a write too many (or a
//! lookup that loops) fails it.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use httpmock::{HttpMockResponse, Method, MockServer};
use serde_json::{Value, json};
use sparkbot_api::types::{self, WebhookEventName};
use sparkbot_extras::{DeviceKey, Error, SparkBot, WebhookChange};
use sparkbot_tests::{DEVICE_ID, MockServerExt, api_error, authed, from_json};

const URL: &str = "https://bot.example.com/hook?secret=s3cr3t";
const WEBHOOK_ID: &str = "5e8f9a0b1c2d3e4f5a6b7c8d";
const NEW_WEBHOOK_ID: &str = "5e8f9a0b1c2d3e4f5a6b7c8e";
const OTHER_WEBHOOK_ID: &str = "5e8f9a0b1c2d3e4f5a6b7c8f";
const OTHER_DEVICE: &str = "5f0a1b2c3d4e5f6a7b8c9d0f";

fn bot(server: &MockServer) -> SparkBot {
    SparkBot::new(sparkbot_tests::client(server))
}

/// A webhook as `GET /webhooks` lists it.
fn hook(id: &str, name: &str, url: &str, events: &[&str], device: Value) -> Value {
    json!({
        "id": id,
        "name": name,
        "url": url,
        "device": device,
        "status": "active",
        "events": events,
        "retries": 0,
        "createdAt": "2026-01-02T03:04:05Z"
    })
}

fn webhooks(list: Vec<Value>) -> Vec<types::Webhook> {
    list.into_iter().map(from_json).collect()
}

/// A listing that answers `[]` the first time and `second` every time after.
fn empty_then(server: &MockServer, second: Vec<Value>) -> httpmock::Mock<'_> {
    let calls = Arc::new(AtomicUsize::new(0));
    let second = serde_json::to_string(&second).unwrap();
    server.list_webhooks(|when, then| {
        authed(when.page(0).into_inner());
        then.into_inner().respond_with(move |_| {
            let body = if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                "[]".to_owned()
            } else {
                second.clone()
            };
            HttpMockResponse::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(body)
                .build()
        });
    })
}

/// Any `PATCH`, which the test expects not to happen.
fn any_patch(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(Method::PATCH);
        then.status(500);
    })
}

/// Any `POST`, which the test expects not to happen.
fn any_post(server: &MockServer) -> httpmock::Mock<'_> {
    server.mock(|when, then| {
        when.method(Method::POST);
        then.status(500);
    })
}

#[tokio::test]
async fn a_missing_webhook_is_created_for_the_resolved_device() {
    let server = sparkbot_tests::server().await;
    let devices = server.mock(|when, then| {
        authed(when.method(Method::GET).path("/devices"));
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!([
                {"id": DEVICE_ID, "alias": "sales", "phone": "+447911123456"},
                {"id": OTHER_DEVICE, "alias": "support", "phone": "+447911654321"}
            ]));
    });
    // The same URL for another device, and another URL for this device: neither matches.
    let listed = webhooks(vec![
        hook(
            WEBHOOK_ID,
            "other device",
            URL,
            &["message:in:new", "message:out:ack"],
            json!(OTHER_DEVICE),
        ),
        hook(
            OTHER_WEBHOOK_ID,
            "other url",
            "https://bot.example.com/other?secret=s3cr3t",
            &["message:in:new", "message:out:ack"],
            json!(DEVICE_ID),
        ),
    ]);
    let list = server.list_webhooks(|when, then| {
        authed(
            when.page(0)
                .size(NonZeroU64::new(200).unwrap())
                .into_inner(),
        );
        then.ok(&listed);
    });
    let body: types::CreateWebhookRequest = from_json(json!({
        "name": "support-bot",
        "url": URL,
        "events": ["message:in:new", "message:out:ack"],
        "device": DEVICE_ID
    }));
    let create = server.create_webhook(|when, then| {
        authed(when.body(&body).into_inner());
        then.created(&from_json(hook(
            NEW_WEBHOOK_ID,
            "support-bot",
            URL,
            &["message:in:new", "message:out:ack"],
            json!(DEVICE_ID),
        )));
    });
    let patch = any_patch(&server);

    let ensured = bot(&server)
        .ensure_webhook(format!(" {URL} "))
        .events([
            WebhookEventName::MessageInNew,
            WebhookEventName::MessageOutAck,
        ])
        .event(WebhookEventName::MessageInNew) // a repeat is dropped
        .device("sales")
        .name("support-bot")
        .execute()
        .await
        .unwrap();

    assert_eq!(ensured.change, WebhookChange::Created);
    assert_eq!(ensured.id(), Some(NEW_WEBHOOK_ID));
    devices.assert_calls(1);
    list.assert_calls(1);
    create.assert_calls(1);
    patch.assert_calls(0);
}

#[tokio::test]
async fn a_webhook_with_the_same_events_and_device_is_left_unchanged() {
    let server = sparkbot_tests::server().await;
    // A trailing slash, the events in another order and repeated, the device as an object.
    let listed = webhooks(vec![hook(
        WEBHOOK_ID,
        "bot",
        "https://bot.example.com/hook/",
        &["message:out:ack", "message:in:new", "message:in:new"],
        json!({"id": DEVICE_ID, "phone": "+447911123456"}),
    )]);
    let list = server.list_webhooks(|when, then| {
        authed(when.page(0).into_inner());
        then.ok(&listed);
    });
    let post = any_post(&server);
    let patch = any_patch(&server);

    let with_device = bot(&server)
        .ensure_webhook("https://bot.example.com/hook")
        .events([
            WebhookEventName::MessageInNew,
            WebhookEventName::MessageOutAck,
        ])
        .device(DEVICE_ID)
        .execute()
        .await
        .unwrap();
    assert_eq!(with_device.change, WebhookChange::Unchanged);
    assert_eq!(with_device.id(), Some(WEBHOOK_ID));

    // Without a device the device is not compared.
    let without = bot(&server)
        .ensure_webhook("https://bot.example.com/hook")
        .events([
            WebhookEventName::MessageOutAck,
            WebhookEventName::MessageInNew,
        ])
        .execute()
        .await
        .unwrap();
    assert_eq!(without.change, WebhookChange::Unchanged);
    assert_eq!(without.id(), Some(WEBHOOK_ID));

    list.assert_calls(2);
    post.assert_calls(0);
    patch.assert_calls(0);
}

#[tokio::test]
async fn a_webhook_with_other_events_is_updated_keeping_its_name_url_and_device() {
    let server = sparkbot_tests::server().await;
    let listed = webhooks(vec![hook(
        WEBHOOK_ID,
        "legacy-name",
        "https://bot.example.com/hook?secret=s3cr3t/",
        &["message:in:new"],
        json!(DEVICE_ID),
    )]);
    let list = server.list_webhooks(|when, then| {
        authed(when.page(0).into_inner());
        then.ok(&listed);
    });
    let body: types::UpdateWebhookRequest = from_json(json!({
        "name": "legacy-name",
        "url": "https://bot.example.com/hook?secret=s3cr3t/",
        "events": ["message:in:new", "message:out:failed"],
        "device": DEVICE_ID
    }));
    let update = server.update_webhook(|when, then| {
        authed(
            when.webhook_id(&WEBHOOK_ID.parse().unwrap())
                .body(&body)
                .into_inner(),
        );
        then.ok(&from_json(hook(
            WEBHOOK_ID,
            "legacy-name",
            "https://bot.example.com/hook?secret=s3cr3t/",
            &["message:in:new", "message:out:failed"],
            json!(DEVICE_ID),
        )));
    });
    let post = any_post(&server);

    let ensured = bot(&server)
        .ensure_webhook(URL)
        .events([
            WebhookEventName::MessageInNew,
            WebhookEventName::MessageOutFailed,
        ])
        .name("not-used-for-an-update")
        .execute()
        .await
        .unwrap();

    assert_eq!(ensured.change, WebhookChange::Updated);
    assert_eq!(
        ensured.webhook.events,
        vec![
            WebhookEventName::MessageInNew,
            WebhookEventName::MessageOutFailed
        ]
    );
    list.assert_calls(1);
    update.assert_calls(1);
    post.assert_calls(0);
}

#[tokio::test]
async fn a_409_on_create_is_the_existing_webhook_found_by_one_more_lookup() {
    let server = sparkbot_tests::server().await;
    // The first listing misses it (a concurrent creator); the second has it.
    let list = empty_then(
        &server,
        vec![hook(
            WEBHOOK_ID,
            "bot",
            URL,
            &["message:in:new"],
            json!(DEVICE_ID),
        )],
    );
    let create = server.create_webhook(|when, then| {
        authed(when.into_inner());
        then.conflict(&api_error(409, "webhook:exists", "Webhook already exists"));
    });
    let patch = any_patch(&server);

    let ensured = bot(&server)
        .ensure_webhook(URL)
        .events([WebhookEventName::MessageInNew])
        .device(DEVICE_ID)
        .execute()
        .await
        .unwrap();

    assert_eq!(ensured.change, WebhookChange::Unchanged);
    assert_eq!(ensured.id(), Some(WEBHOOK_ID));
    list.assert_calls(2);
    create.assert_calls(1);
    patch.assert_calls(0);
}

#[tokio::test]
async fn a_409_whose_webhook_cannot_be_found_is_the_conflict_after_one_more_lookup() {
    let server = sparkbot_tests::server().await;
    // Registered for another device: never a match for this one.
    let listed = webhooks(vec![hook(
        WEBHOOK_ID,
        "bot",
        URL,
        &["message:in:new"],
        json!(OTHER_DEVICE),
    )]);
    let list = server.list_webhooks(|when, then| {
        authed(when.page(0).into_inner());
        then.ok(&listed);
    });
    let create = server.create_webhook(|when, then| {
        authed(when.into_inner());
        then.conflict(&api_error(409, "webhook:exists", "Webhook already exists"));
    });
    let patch = any_patch(&server);

    let err = bot(&server)
        .ensure_webhook(URL)
        .events([WebhookEventName::MessageInNew])
        .device(DEVICE_ID)
        .execute()
        .await
        .unwrap_err();

    assert!(
        matches!(&err, Error::Conflict(failure) if failure.status() == 409),
        "{err:?}"
    );
    list.assert_calls(2);
    create.assert_calls(1);
    patch.assert_calls(0);
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_request() {
    let server = sparkbot_tests::server().await;
    let anything = server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });
    let bot = bot(&server);
    let events = || [WebhookEventName::MessageInNew];

    let cases: Vec<(&str, sparkbot_extras::EnsureWebhook<'_>)> = vec![
        (
            "relative",
            bot.ensure_webhook("/hook?secret=s3cr3t").events(events()),
        ),
        (
            "no scheme",
            bot.ensure_webhook("bot.example.com/hook?secret=s3cr3t")
                .events(events()),
        ),
        (
            "ftp",
            bot.ensure_webhook("ftp://bot.example.com/hook?secret=s3cr3t")
                .events(events()),
        ),
        (
            "credentials",
            bot.ensure_webhook("https://user:s3cr3t@bot.example.com/hook")
                .events(events()),
        ),
        (
            "user name",
            bot.ensure_webhook("https://s3cr3t@bot.example.com/hook")
                .events(events()),
        ),
        ("no events", bot.ensure_webhook(URL)),
        (
            "unknown event",
            bot.ensure_webhook(URL)
                .events([WebhookEventName::Unknown("message:in:later".into())]),
        ),
        (
            "long name",
            bot.ensure_webhook(URL)
                .events(events())
                .name("x".repeat(31)),
        ),
        (
            "empty name",
            bot.ensure_webhook(URL).events(events()).name(""),
        ),
        (
            "bad device id",
            bot.ensure_webhook(URL)
                .events(events())
                .device(DeviceKey::Id("not-a-device-id".into())),
        ),
        (
            // Checked before the alias is looked up.
            "bad URL with a device alias",
            bot.ensure_webhook("ftp://bot.example.com/hook")
                .events(events())
                .device("sales"),
        ),
    ];
    for (case, builder) in cases {
        let debug = format!("{builder:?}");
        assert!(!debug.contains("s3cr3t"), "{case}: {debug}");
        let err = builder.execute().await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{case}: {err:?}");
        assert!(!err.to_string().contains("s3cr3t"), "{case}: {err}");
    }
    anything.assert_calls(0);
}

#[tokio::test]
async fn a_create_of_unknown_outcome_is_looked_up_once_and_found() {
    let server = sparkbot_tests::server().await;
    let list = empty_then(
        &server,
        vec![hook(
            NEW_WEBHOOK_ID,
            "sparkbot-rs",
            URL,
            &["message:in:new", "chat:update"],
            json!(DEVICE_ID),
        )],
    );
    let body: types::CreateWebhookRequest = from_json(json!({
        "name": "sparkbot-rs",
        "url": URL,
        "events": ["message:in:new", "chat:update"],
        "device": DEVICE_ID
    }));
    // A 502 after the request went out: it may have been processed, so it is never re-sent.
    let create = server.create_webhook(|when, then| {
        authed(when.body(&body).into_inner());
        then.server_error(502, &api_error(502, "gateway", "Bad gateway"));
    });
    let patch = any_patch(&server);

    let ensured = bot(&server)
        .ensure_webhook(URL)
        .events([WebhookEventName::MessageInNew, WebhookEventName::ChatUpdate])
        .device(DEVICE_ID)
        .execute()
        .await
        .unwrap();

    assert_eq!(ensured.change, WebhookChange::Created);
    assert_eq!(ensured.id(), Some(NEW_WEBHOOK_ID));
    list.assert_calls(2);
    create.assert_calls(1);
    patch.assert_calls(0);
}

#[tokio::test]
async fn a_create_of_unknown_outcome_not_found_stays_outcome_unknown() {
    let server = sparkbot_tests::server().await;
    let list = server.list_webhooks(|when, then| {
        authed(when.page(0).into_inner());
        then.ok(&vec![]);
    });
    let create = server.create_webhook(|when, then| {
        authed(when.into_inner());
        then.server_error(500, &api_error(500, "internal", "Internal error"));
    });

    let err = bot(&server)
        .ensure_webhook(URL)
        .events([WebhookEventName::MessageInNew])
        .execute()
        .await
        .unwrap_err();

    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(!err.is_transient());
    list.assert_calls(2);
    create.assert_calls(1);
}

#[tokio::test]
async fn the_lookup_reads_every_page() {
    let server = sparkbot_tests::server().await;
    // A full first page of other webhooks; ours is on the second.
    let first: Vec<types::Webhook> = (0..200)
        .map(|i| {
            from_json(hook(
                &format!("{i:024x}"),
                "other",
                &format!("https://other.example.com/hook/{i}"),
                &["message:in:new"],
                json!(DEVICE_ID),
            ))
        })
        .collect();
    let page0 = server.list_webhooks(|when, then| {
        authed(when.page(0).into_inner());
        then.ok(&first);
    });
    let second = webhooks(vec![hook(
        WEBHOOK_ID,
        "bot",
        URL,
        &["message:in:new"],
        json!(DEVICE_ID),
    )]);
    let page1 = server.list_webhooks(|when, then| {
        authed(when.page(1).into_inner());
        then.ok(&second);
    });
    let post = any_post(&server);
    let patch = any_patch(&server);

    let ensured = bot(&server)
        .ensure_webhook(URL)
        .events([WebhookEventName::MessageInNew])
        .execute()
        .await
        .unwrap();

    assert_eq!(ensured.change, WebhookChange::Unchanged);
    assert_eq!(ensured.id(), Some(WEBHOOK_ID));
    page0.assert_calls(1);
    page1.assert_calls(1);
    post.assert_calls(0);
    patch.assert_calls(0);
}
