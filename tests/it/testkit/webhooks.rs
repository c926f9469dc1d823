//! The kit's webhooks: registered, changed, deleted, and their events delivered to a loopback
//! receiver.

use std::time::Duration;

use serde_json::{Value, json};
use sparkbot_api::RetryPolicy;
use sparkbot_api::types::{self, SessionStatus};
use sparkbot_extras::webhook::{Webhook, WebhookEvent};
use sparkbot_testkit::{Simulator, WebhookSink, demo};

use super::{PATIENCE, client_with, text, webhook};

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
