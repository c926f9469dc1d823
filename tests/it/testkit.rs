//! The test kit's simulator, end to end through the SDK: authentication, paging, session state
//! machines, sends stored and acked, webhook deliveries to a loopback receiver, and each fault.
//!
//! Time is never measured here: the manual clock is driven with `advance`, and what happens in
//! the background is waited for with a bounded timeout.

use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};
use sparkbot_api::types::{self, MessageStatus, SessionStatus};
use sparkbot_api::{Client, RetryPolicy, SendPolicy};
use sparkbot_extras::webhook::{Webhook, WebhookEvent};
use sparkbot_extras::{Error, SparkBot};
use sparkbot_testkit::{Fault, SimDevice, Simulator, WebhookSink, demo};
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

// ---- webhooks --------------------------------------------------------------------------------

#[tokio::test]
async fn acks_and_inbound_messages_are_delivered_to_a_registered_url() {
    let sim = Simulator::builder().manual_clock().start().await;
    sim.set_session(demo::SALES, SessionStatus::Online);
    let client = sim.client();
    let sink = WebhookSink::start().await;
    let created = client
        .create_webhook()
        .body(webhook(
            "all",
            sink.url(),
            &["message:out:ack", "message:in:new"],
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.url.as_deref(), Some(sink.url()));
    assert_eq!(sim.webhooks().len(), 1);

    client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "Hello", "order-7"))
        .send()
        .await
        .unwrap();
    assert!(sink.received().is_empty(), "nothing before the clock moves");
    sim.advance(Duration::from_secs(1)).await;
    let inbound = sim
        .deliver_inbound("sales", "+34600000000", "Thanks!")
        .await;
    assert_eq!(inbound.len(), 1);
    assert!(inbound[0].is_success());

    let received = sink.received();
    assert_eq!(received.len(), 3);
    let mut event_ids = Vec::new();
    let mut acks = Vec::new();
    for delivery in &received {
        assert_eq!(delivery.method, "POST");
        let hook = Webhook::parse(&delivery.body).expect("a WebhookEvent the SDK decodes");
        let envelope = hook.envelope.as_ref().expect("an event object");
        event_ids.push(envelope.id.clone().unwrap());
        let device = envelope.device.as_ref().unwrap();
        assert_eq!(device.id.as_deref(), Some(demo::SALES));
        match &hook.events[0] {
            WebhookEvent::MessageOutAck(message) => {
                assert_eq!(message.reference.as_deref(), Some("order-7"));
                assert_eq!(message.to_number.as_deref(), Some("+34600000000"));
                acks.push(message.ack.clone().unwrap());
            }
            WebhookEvent::MessageInNew(message) => {
                assert_eq!(message.body.as_deref(), Some("Thanks!"));
                assert_eq!(message.from_number.as_deref(), Some("+34600000000"));
                assert_eq!(message.from.as_deref(), Some("34600000000@c.us"));
            }
            other => panic!("unexpected event {}", other.name()),
        }
    }
    assert_eq!(
        acks,
        [
            types::WebhookMessageAck::Sent,
            types::WebhookMessageAck::Delivered
        ]
    );
    event_ids.sort();
    event_ids.dedup();
    assert_eq!(event_ids.len(), 3, "each event has its own id");
    assert_eq!(sim.deliveries().len(), 3);
}

#[tokio::test]
async fn only_matching_webhooks_get_an_event() {
    let sim = Simulator::start().await;
    let client = sim.client();
    let (acks, inbound, other_device) = (
        WebhookSink::start().await,
        WebhookSink::start().await,
        WebhookSink::start().await,
    );
    for (name, sink, events) in [
        ("acks", &acks, ["message:out:ack"]),
        ("inbound", &inbound, ["message:in:new"]),
    ] {
        client
            .create_webhook()
            .body(webhook(name, sink.url(), &events))
            .send()
            .await
            .unwrap();
    }
    let limited: types::CreateWebhookRequest = serde_json::from_value(json!({
        "name": "support only", "url": other_device.url(),
        "events": ["message:in:new"], "device": demo::SUPPORT
    }))
    .unwrap();
    client.create_webhook().body(limited).send().await.unwrap();

    sim.deliver_inbound(demo::SALES, "+34600000000", "hi").await;
    assert_eq!(inbound.received().len(), 1);
    assert!(acks.received().is_empty());
    assert!(other_device.received().is_empty());
    sim.deliver_inbound("support", "+34600000000", "hi").await;
    assert_eq!(other_device.received().len(), 1);
    assert_eq!(inbound.received().len(), 2);
}

#[tokio::test]
async fn acks_arrive_by_themselves_on_the_automatic_clock() {
    let sim = Simulator::builder()
        .ack_delays(Duration::from_millis(10), Duration::from_millis(10))
        .start()
        .await;
    sim.set_session(demo::SALES, SessionStatus::Online);
    let sink = WebhookSink::start().await;
    let client = sim.client();
    client
        .create_webhook()
        .body(webhook("acks", sink.url(), &["message:out:ack"]))
        .send()
        .await
        .unwrap();
    client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "Hello", "auto"))
        .send()
        .await
        .unwrap();
    let received = sink.wait_for(2, PATIENCE).await;
    let acks: Vec<Value> = received
        .iter()
        .map(|r| r.json().unwrap()["ack"].clone())
        .collect();
    assert_eq!(acks, [json!("sent"), json!("delivered")]);
}

#[tokio::test]
async fn webhooks_refuse_a_duplicate_url_and_can_be_changed_and_deleted() {
    let sim = Simulator::builder().manual_clock().start().await;
    sim.set_session(demo::SALES, SessionStatus::Online);
    let client = client_with(&sim, RetryPolicy::none());
    let (first, second) = (WebhookSink::start().await, WebhookSink::start().await);
    let created = client
        .create_webhook()
        .body(webhook("one", first.url(), &["message:in:new"]))
        .send()
        .await
        .unwrap()
        .into_inner();
    let duplicate = client
        .create_webhook()
        .body(webhook("two", first.url(), &["message:out:ack"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(duplicate.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(sim.webhooks().len(), 1);

    // Move it to the second receiver and to the ack events.
    let id = created.id.unwrap();
    let update: types::UpdateWebhookRequest = serde_json::from_value(json!({
        "name": "moved", "url": second.url(), "events": ["message:out:ack"]
    }))
    .unwrap();
    let updated = client
        .update_webhook()
        .webhook_id(id.as_str())
        .body(update)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.name.as_deref(), Some("moved"));
    sim.deliver_inbound("sales", "+34600000000", "hi").await;
    client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "r"))
        .send()
        .await
        .unwrap();
    sim.advance(Duration::from_secs(1)).await;
    assert!(first.received().is_empty());
    assert_eq!(second.received().len(), 2);

    client
        .delete_webhook()
        .webhook_id(id.as_str())
        .send()
        .await
        .unwrap();
    assert!(sim.webhooks().is_empty());
    sim.deliver_inbound("sales", "+34600000000", "hi").await;
    assert_eq!(second.received().len(), 2, "no delivery after the delete");
    let gone = client
        .delete_webhook()
        .webhook_id(id.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(gone.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn raw_deliveries_and_failing_receivers_are_recorded() {
    let sim = Simulator::start().await;
    let sink = WebhookSink::start().await;
    let delivery = sim.deliver_raw(sink.url(), "not json").await;
    assert!(delivery.is_success());
    assert_eq!(sink.received()[0].body, b"not json");
    sink.respond_with(500);
    let failed = sim.deliver_raw(sink.url(), "{}").await;
    assert_eq!(failed.status, Some(500));
    assert!(!failed.is_success());
    // Nobody listens on port 9 of loopback.
    let unreachable = sim.deliver_raw("http://127.0.0.1:9/hook", "{}").await;
    assert_eq!(unreachable.status, None);
    assert!(unreachable.error.is_some());
    assert_eq!(sim.deliveries().len(), 3);
}

// ---- faults ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_429_carries_retry_after_and_the_send_goes_through_on_retry() {
    let sim = Simulator::builder().manual_clock().start().await;
    sim.inject(Fault::rate_limited(7).on("GET", "/devices"));
    let limited = raw()
        .get(format!("{}/devices", sim.base_url()))
        .header("Token", sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert!(sim.pending_faults().is_empty(), "used up");

    // `Retry-After: 0`: the client's policy retries a 429 even for a send.
    sim.inject(Fault::rate_limited(0).on("POST", "/messages"));
    let client = client_with(&sim, fast_retries());
    client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "limited"))
        .send()
        .await
        .expect("the retry succeeds");
    assert_eq!(sim.request_count("POST", "/messages"), 2);
    assert_eq!(sim.messages_with_reference("limited").len(), 1);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| (r.status, r.fault))
        .collect();
    assert_eq!(
        posts,
        [(Some(429), Some("rate_limited")), (Some(201), None)]
    );
}

#[tokio::test]
async fn a_5xx_comes_as_json_or_as_an_html_page() {
    let sim = Simulator::start().await;
    sim.inject(Fault::server_error(503).on("GET", "/devices"));
    sim.inject(Fault::server_error_html(502).on("GET", "/devices"));
    let get = || {
        raw()
            .get(format!("{}/devices/{}", sim.base_url(), demo::SALES))
            .header("Token", sim.api_key())
            .send()
    };
    let json_error = get().await.unwrap();
    assert_eq!(json_error.status(), 503);
    let body: Value = json_error.json().await.unwrap();
    assert_eq!(body["status"], 503);
    let html = get().await.unwrap();
    assert_eq!(html.status(), 502);
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.text().await.unwrap().starts_with("<html>"));
    assert_eq!(get().await.unwrap().status(), 200, "both faults used up");

    // Through the SDK, without retries, each one is an error with its status.
    sim.inject(Fault::server_error_html(502).on("GET", "/devices").times(1));
    let error = client_with(&sim, RetryPolicy::none())
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
}

#[tokio::test]
async fn a_connection_dropped_before_processing_stores_nothing() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    let error = client_with(&sim, RetryPolicy::none())
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "before"))
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "no response: {error}");
    assert!(sim.messages().is_empty());
    let record = sim.requests().pop().unwrap();
    assert_eq!((record.status, record.fault), (None, Some("drop_before")));
}

#[tokio::test]
async fn a_connection_dropped_after_processing_leaves_the_message_stored_once() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_after().on("POST", "/messages"));
    let bot = SparkBot::new(client_with(&sim, fast_retries()));
    let error = bot
        .send_text(demo::SALES, "+34 600 000 000", "exactly once")
        .await
        .unwrap_err();
    assert!(error.is_outcome_unknown(), "{error}");
    // The message went out, and the SDK did not send it a second time.
    assert_eq!(sim.messages().len(), 1);
    assert_eq!(sim.request_count("POST", "/messages"), 1);
    assert_eq!(sim.messages()[0].text.as_deref(), Some("exactly once"));

    // With the default send policy the SDK looks the reference up and returns the message.
    sim.inject(Fault::drop_after().on("POST", "/messages"));
    let reconciling = sim
        .config()
        .with_send_policy(SendPolicy::never_resend().with_lookups(2, Duration::from_millis(100)))
        .build()
        .unwrap();
    let found = SparkBot::new(reconciling)
        .send_text(demo::SALES, "+34 600 000 000", "found again")
        .await
        .expect("found by its reference");
    let stored = sim.messages_with_reference(found.reference.as_deref().unwrap());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].text.as_deref(), Some("found again"));
    assert_eq!(sim.request_count("POST", "/messages"), 2);
}

#[tokio::test]
async fn a_slow_answer_times_the_client_out_after_the_work_is_done() {
    let sim = Simulator::start().await;
    sim.inject(Fault::delay(Duration::from_secs(60)).on("POST", "/messages"));
    let impatient = sim
        .config()
        .with_retry(RetryPolicy::none())
        .with_send_policy(SendPolicy::no_lookup())
        .with_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = impatient
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "slow"))
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "a timeout, not a status: {error}");
    assert_eq!(sim.messages_with_reference("slow").len(), 1);

    // A short delay is only slow: the answer still comes.
    sim.inject(Fault::delay(Duration::from_millis(20)).on("GET", "/devices"));
    let device = sim
        .client()
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap();
    assert_eq!(device.status().as_u16(), 200);
    assert_eq!(sim.requests().last().unwrap().fault, Some("delay"));
}

#[tokio::test]
async fn faults_apply_to_their_requests_only_and_as_many_times_as_asked() {
    let sim = Simulator::start().await;
    sim.inject(Fault::server_error(500).on("POST", "/messages").times(2));
    let client = client_with(&sim, RetryPolicy::none());
    for _ in 0..2 {
        client.list_devices().send().await.expect("not a send");
    }
    for _ in 0..2 {
        let error = client
            .send_message()
            .body(text(demo::SALES, "+34600000000", "x", "r"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    }
    client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "r"))
        .send()
        .await
        .expect("the fault is used up");
    assert_eq!(sim.messages().len(), 1);
    assert_eq!(sim.request_count("POST", "/messages"), 3);
    assert_eq!(sim.request_count("GET", "/devices"), 2);
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
