//! End to end, on loopback only: the test kit's simulator delivers a `message:in:new` to a
//! receiver mounted as the `webhook_receiver` example mounts it, and the receiver's handler
//! replies through the client; the simulator stores the reply exactly once.

use std::time::Duration;

use sparkbot_api::types::{SessionStatus, WebhookEventName};
use sparkbot_extras::SparkBot;
use sparkbot_extras::receiver::{ReceivedEvent, WebhookReceiver, WebhookRoute};
use sparkbot_extras::webhook::{WebhookEvent, WebhookSecret};
use sparkbot_testkit::{Simulator, demo};

const SECRET: &str = "e2e-secret-0123456789";
const CUSTOMER: &str = "+34600111222";

#[tokio::test]
async fn an_inbound_message_is_received_and_answered_through_the_client() {
    let sim = Simulator::start().await;
    sim.set_session(demo::SALES, SessionStatus::Online);
    let bot = SparkBot::new(sim.client());

    // The receiver: on each new inbound text, reply "echo: <text>" from the same device.
    let replier = bot.clone();
    let route = WebhookRoute::new(
        WebhookReceiver::new(WebhookSecret::new(SECRET)),
        move |event: ReceivedEvent| {
            let bot = replier.clone();
            async move {
                let WebhookEvent::MessageInNew(data) = event.event else {
                    return;
                };
                let (Some(from), Some(text)) = (data.from.clone(), data.body.clone()) else {
                    return;
                };
                bot.send_text(demo::SALES, &from, &format!("echo: {text}"))
                    .await
                    .expect("the reply is accepted");
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = route.router::<()>("/webhook");
    tokio::spawn(async move { sparkbot_extras::axum::serve(listener, app).await });

    // Subscribing is idempotent: twice is one webhook.
    let url = format!("http://{address}/webhook?secret={SECRET}");
    for _ in 0..2 {
        bot.ensure_webhook(url.as_str())
            .events([WebhookEventName::MessageInNew])
            .device(demo::SALES)
            .execute()
            .await
            .expect("subscribed");
    }

    let deliveries = sim.deliver_inbound(demo::SALES, CUSTOMER, "hello").await;
    assert_eq!(deliveries.len(), 1, "one webhook, one delivery");
    sim.wait_until("the receiver replied", Duration::from_secs(10), |sim| {
        sim.messages()
            .iter()
            .any(|m| m.text.as_deref() == Some("echo: hello"))
    })
    .await;
    let replies: Vec<_> = sim
        .messages()
        .into_iter()
        .filter(|m| m.text.as_deref() == Some("echo: hello"))
        .collect();
    assert_eq!(replies.len(), 1, "answered exactly once");
    assert_eq!(replies[0].phone.as_deref(), Some(CUSTOMER));
    assert_eq!(replies[0].device.as_deref(), Some(demo::SALES));
}
