//! The test kit's simulator, end to end through the SDK: authentication, paging, session state
//! machines, sends stored and acked, webhook deliveries to a loopback receiver, and each fault.
//!
//! Time is never measured here: the manual clock is driven with `advance`, and what happens in
//! the background is waited for with a bounded timeout.
//!
//! The webhook deliveries and the faults have a module each.

mod faults;
mod webhooks;

use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};
use sparkbot_api::types::{self, MessageStatus, SessionStatus};
use sparkbot_api::{Client, RetryPolicy, SendPolicy};
use sparkbot_extras::{Error, SparkBot};
use sparkbot_testkit::{SimDevice, Simulator, demo};
use sparkbot_tests::fast_retries;

/// Long enough for anything on loopback; only reached when a test is about to fail.
const PATIENCE: Duration = Duration::from_secs(10);

/// A client that neither retries beyond `retry` nor looks a send up: the kit's faults show as
/// they are.
fn client_with(sim: &Simulator, retry: RetryPolicy) -> Client {
    sim.config()
        .with_retry(retry)
        .with_send_policy(SendPolicy::no_lookup())
        .build()
        .expect("a valid configuration")
}

fn raw() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a plain client")
}

fn text(device: &str, phone: &str, body: &str, reference: &str) -> types::SendMessageRequest {
    serde_json::from_value(json!({
        "device": device, "phone": phone, "message": body, "reference": reference
    }))
    .expect("a text message")
}

fn webhook(name: &str, url: &str, events: &[&str]) -> types::CreateWebhookRequest {
    serde_json::from_value(json!({ "name": name, "url": url, "events": events }))
        .expect("a webhook")
}

async fn get_json(sim: &Simulator, path_and_query: &str) -> (u16, Value) {
    let response = raw()
        .get(format!("{}{path_and_query}", sim.base_url()))
        .header("Token", sim.api_key())
        .send()
        .await
        .expect("the simulator answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

fn ids(page: &Value) -> Vec<String> {
    page.as_array()
        .expect("a bare array")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

// ---- authentication --------------------------------------------------------------------------

#[tokio::test]
async fn the_token_header_must_carry_the_key() {
    let sim = Simulator::start().await;
    let url = format!("{}/devices", sim.base_url());

    let missing = raw().get(&url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["status"], 401);
    let wrong = raw()
        .get(&url)
        .header("Token", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = raw()
        .get(&url)
        .header("Token", sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);

    // Through the SDK: a client with another key is refused, the kit's own client is not.
    let refused = other_key_client(&sim)
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(401));
    sim.client()
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .expect("the kit's client carries the key");
    let statuses: Vec<Option<u16>> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Some(401), Some(401), Some(200), Some(401), Some(200)]
    );
}

fn other_key_client(sim: &Simulator) -> Client {
    sparkbot_api::ClientConfig::new(
        sim.base_url(),
        sparkbot_api::ApiKey::new("not-the-key").unwrap(),
    )
    .with_retry(RetryPolicy::none())
    .build()
    .unwrap()
}

// ---- paging ----------------------------------------------------------------------------------

#[tokio::test]
async fn devices_are_paged_from_page_zero_and_filtered() {
    let sim = Simulator::builder().without_demo_devices().start().await;
    let all: Vec<String> = (1..=5).map(|n| format!("{n:024x}")).collect();
    for (n, id) in all.iter().enumerate() {
        sim.add_device(SimDevice::new(id, format!("+3460000000{n}")).alias(format!("d{n}")));
    }
    let mut seen = Vec::new();
    for (page, expected) in [(0, 2), (1, 2), (2, 1), (3, 0)] {
        let (status, body) = get_json(&sim, &format!("/devices?page={page}&size=2")).await;
        assert_eq!(status, 200);
        let page_ids = ids(&body);
        assert_eq!(page_ids.len(), expected, "page {page}");
        seen.extend(page_ids);
    }
    assert_eq!(seen, all);
    assert_eq!(get_json(&sim, "/devices?size=0").await.0, 400);
    assert_eq!(get_json(&sim, "/devices?page=x").await.0, 400);
    let (_, found) = get_json(&sim, "/devices?search=d3").await;
    assert_eq!(ids(&found), [all[3].clone()]);

    // The SDK's stream walks the same pages and stops at the short one.
    let streamed: Vec<types::Device> = sim
        .client()
        .list_devices()
        .stream()
        .page_size(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 5);
    // 7 requests above, then 3 pages (2, 2 and a short 1).
    assert_eq!(sim.request_count("GET", "/devices"), 7 + 3);
}

#[tokio::test]
async fn messages_are_paged_recent_first_and_filtered() {
    let sim = Simulator::builder().manual_clock().start().await;
    sim.set_session(demo::SALES, SessionStatus::Online);
    let client = sim.client();
    let mut sent = Vec::new();
    for n in 0..5 {
        let reference = if n % 2 == 0 { "even" } else { "odd" };
        let message = client
            .send_message()
            .body(text(
                demo::SALES,
                "+34600000000",
                &format!("n{n}"),
                reference,
            ))
            .send()
            .await
            .unwrap()
            .into_inner();
        sent.push(message.id.unwrap());
    }
    let (_, first) = get_json(&sim, "/messages?page=0&size=2").await;
    assert_eq!(ids(&first), [sent[4].clone(), sent[3].clone()]);
    let (_, last) = get_json(&sim, "/messages?page=2&size=2").await;
    assert_eq!(ids(&last), [sent[0].clone()]);
    let (_, oldest) = get_json(&sim, "/messages?size=2&sort=date:asc").await;
    assert_eq!(ids(&oldest), [sent[0].clone(), sent[1].clone()]);

    let (_, odd) = get_json(&sim, "/messages?reference=odd").await;
    assert_eq!(ids(&odd), [sent[3].clone(), sent[1].clone()]);
    let (_, by_device) = get_json(&sim, &format!("/messages?device={}", demo::SUPPORT)).await;
    assert_eq!(ids(&by_device), Vec::<String>::new());

    // Acks move the status filter's answer.
    let (_, queued) = get_json(&sim, "/messages?status=queued").await;
    assert_eq!(ids(&queued).len(), 5);
    sim.advance(Duration::from_millis(100)).await;
    let (_, queued) = get_json(&sim, "/messages?status=queued").await;
    assert_eq!(ids(&queued).len(), 0);
    let (_, sent_now) = get_json(&sim, "/messages?status=sent&status=delivered").await;
    assert_eq!(ids(&sent_now).len(), 5);
}

#[tokio::test]
async fn webhooks_are_paged() {
    let sim = Simulator::start().await;
    let client = sim.client();
    for n in 0..3 {
        client
            .create_webhook()
            .body(webhook(
                &format!("h{n}"),
                &format!("http://127.0.0.1:9/h{n}"),
                &["message:in:new"],
            ))
            .send()
            .await
            .unwrap();
    }
    let (_, page) = get_json(&sim, "/webhooks?page=1&size=2").await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["name"], "h2");
    let listed: Vec<types::Webhook> = client.list_webhooks().stream().try_collect().await.unwrap();
    assert_eq!(listed.len(), 3);
}

// ---- sessions --------------------------------------------------------------------------------

#[tokio::test]
async fn a_sync_starts_the_session_steps_on_the_kits_clock() {
    let sim = Simulator::builder().manual_clock().start().await;
    let client = sim.client();
    let session = |device: types::Device| device.session.and_then(|s| s.status);
    let read = || async {
        client
            .get_device()
            .device_id(demo::SALES)
            .send()
            .await
            .unwrap()
            .into_inner()
    };

    // Nothing happens before the sync, however long the wait.
    sim.advance(Duration::from_secs(60)).await;
    assert_eq!(session(read().await), Some(SessionStatus::Offline));
    client
        .sync_device_session()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap();
    sim.advance(Duration::from_millis(799)).await;
    assert_eq!(session(read().await), Some(SessionStatus::Offline));
    sim.advance(Duration::from_millis(1)).await;
    assert_eq!(session(read().await), Some(SessionStatus::Loading));
    sim.advance(Duration::from_millis(1200)).await;
    let device = read().await;
    assert_eq!(session(device.clone()), Some(SessionStatus::Online));
    assert_eq!(device.status, Some(types::DeviceStatus::Operative));

    // The health endpoint follows.
    let (status, health) = get_json(&sim, &format!("/devices/{}/health", demo::SALES)).await;
    assert_eq!((status, health["healthy"].clone()), (200, json!(true)));

    // A second sync does not replay the steps; set_session still moves it.
    sim.set_session(demo::SALES, SessionStatus::Timeout);
    client
        .sync_device_session()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap();
    sim.advance(Duration::from_secs(5)).await;
    assert_eq!(session(read().await), Some(SessionStatus::Timeout));
}

#[tokio::test]
async fn sync_session_of_sparkbot_extras_sees_each_device_behave() {
    // The automatic clock, with a quick session: the sync is waited for with a timeout.
    let quick = "0123456789abcdef01234567";
    let sim = Simulator::builder()
        .device(
            SimDevice::new(quick, "+4915100000000")
                .alias("quick")
                .session(SessionStatus::Offline)
                .on_sync(Duration::from_millis(30), SessionStatus::Loading)
                .on_sync(Duration::from_millis(60), SessionStatus::Online),
        )
        .start()
        .await;
    let bot = SparkBot::new(client_with(&sim, fast_retries()));
    let sync = |key: &'static str| {
        bot.sync_session(key)
            .min_interval(Duration::from_millis(5))
            .max_interval(Duration::from_millis(10))
            .timeout(PATIENCE)
            .execute()
    };

    let online = sync("quick").await.expect("the quick device comes online");
    assert_eq!(online.id.as_deref(), Some(quick));
    assert!(
        matches!(
            sync("new-phone").await,
            Err(Error::SessionNeedsAction { .. })
        ),
        "authorize needs a QR scan"
    );
    assert!(
        matches!(sync("support").await, Err(Error::SessionNeedsAction { .. })),
        "conflict needs a person"
    );
    assert!(matches!(
        sync("warehouse").await,
        Err(Error::DeviceNotFound { .. })
    ));
}

#[tokio::test]
async fn the_qr_code_is_an_svg_while_the_device_needs_linking() {
    let sim = Simulator::start().await;
    let client = client_with(&sim, RetryPolicy::none());
    let qr = client
        .scan_device_qr()
        .device_id(demo::NEW_PHONE)
        .send()
        .await
        .unwrap()
        .into_inner();
    let sparkbot_api::QrCode::Svg(svg) = qr else {
        panic!("not an SVG: {qr:?}")
    };
    assert!(
        svg.starts_with("<svg") && svg.contains(demo::NEW_PHONE),
        "{svg}"
    );
    // A device in `conflict` has no QR code to give.
    let refused = client
        .scan_device_qr()
        .device_id(demo::SUPPORT)
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
    let (status, _) = get_json(&sim, "/devices/ffffffffffffffffffffffff/scan").await;
    assert_eq!(status, 404);
}

// ---- sends and acks --------------------------------------------------------------------------

#[tokio::test]
async fn a_send_is_stored_with_its_reference_and_acked_over_time() {
    let sim = Simulator::builder()
        .manual_clock()
        .ack_delays(Duration::from_secs(1), Duration::from_secs(2))
        .start()
        .await;
    sim.set_session(demo::SALES, SessionStatus::Online);
    let client = sim.client();
    let queued = client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "Hello", "order-42"))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status().as_u16(), 201);
    let queued = queued.into_inner();
    let id = queued.id.clone().unwrap();
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(queued.status, Some(MessageStatus::Queued));
    assert_eq!(queued.reference.as_deref(), Some("order-42"));

    let stored = sim.messages_with_reference("order-42");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, id);
    assert_eq!(stored[0].device.as_deref(), Some(demo::SALES));
    assert_eq!(stored[0].phone.as_deref(), Some("+34600000000"));
    assert_eq!(stored[0].text.as_deref(), Some("Hello"));

    let status = || async {
        client
            .get_message()
            .message_id(id.as_str())
            .send()
            .await
            .unwrap()
            .into_inner()
            .status
    };
    sim.advance(Duration::from_millis(999)).await;
    assert_eq!(status().await, Some(MessageStatus::Queued));
    sim.advance(Duration::from_millis(1)).await;
    assert_eq!(status().await, Some(MessageStatus::Sent));
    assert!(sim.message(&id).unwrap().wa_id.is_some());
    sim.advance(Duration::from_secs(2)).await;
    assert_eq!(status().await, Some(MessageStatus::Delivered));
}

#[tokio::test]
async fn a_message_from_a_device_that_is_not_online_waits_for_it() {
    let sim = Simulator::builder().manual_clock().start().await;
    let client = sim.client();
    let message = client
        .send_message()
        .body(text(demo::SUPPORT, "+34600000000", "Hi", "r"))
        .send()
        .await
        .unwrap()
        .into_inner();
    let id = message.id.unwrap();
    sim.advance(Duration::from_secs(60)).await;
    assert_eq!(sim.message(&id).unwrap().status, MessageStatus::Queued);
    sim.set_session(demo::SUPPORT, SessionStatus::Online);
    sim.advance(Duration::from_secs(1)).await;
    assert_eq!(sim.message(&id).unwrap().status, MessageStatus::Delivered);
}

#[tokio::test]
async fn a_send_needs_a_target_and_a_known_device() {
    let sim = Simulator::start().await;
    let post = |body: Value| {
        let sim = &sim;
        async move {
            raw()
                .post(format!("{}/messages", sim.base_url()))
                .header("Token", sim.api_key())
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        post(json!({ "device": demo::SALES, "message": "x" })).await,
        400
    );
    let unknown = json!({ "device": "ffffffffffffffffffffffff", "phone": "+1", "message": "x" });
    assert_eq!(post(unknown).await, 400);
    assert_eq!(post(json!([])).await, 400);
    assert!(sim.messages().is_empty());
    assert_eq!(
        post(json!({ "group": "120363@g.us", "message": "x" })).await,
        201
    );
    assert_eq!(sim.messages().len(), 1);
}

#[tokio::test]
async fn unknown_routes_answer_the_api_404() {
    let sim = Simulator::start().await;
    let (status, body) = get_json(&sim, "/campaigns").await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("GET /v1/campaigns")
    );
    // The API lives under /v1 only.
    let outside = raw()
        .get(sim.base_url().replace("/v1", "/devices"))
        .header("Token", sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 404);
}
