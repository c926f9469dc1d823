//! `sparkbot_extras::receiver`: the webhook receiver, through its framework-agnostic core and
//! its axum route (driven in-process as a tower service, and over TCP): every event of the
//! spec, duplicates, the secret in each accepted form, the body limit (without buffering an
//! oversized body), garbage, a failing store, slow and panicking handlers, concurrent
//! deliveries, and the `webhook_receiver` example's output.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::channel::mpsc;
use serde_json::{Value, json};
use sparkbot_extras::axum::Router;
use sparkbot_extras::axum::body::{Body, to_bytes};
use sparkbot_extras::axum::http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode,
};
use sparkbot_extras::receiver::{
    DEFAULT_BODY_LIMIT, DEFAULT_SECRET_HEADER, DedupStore, Delivery, EventKey, MemoryDedupStore,
    ReceivedEvent, Rejection, StoreError, WebhookReceiver, WebhookRoute,
};
use sparkbot_extras::webhook::{WebhookError, WebhookEvent, WebhookSecret};
use tower::ServiceExt;

#[allow(dead_code, unreachable_pub)]
#[path = "../../sparkbot-extras/examples/webhook_receiver.rs"]
mod example;

const SECRET: &str = "rcv-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e";
const DEVICE: &str = "5f0a1b2c3d4e5f6a7b8c9d0e";
/// How long to wait for a spawned handler before failing.
const WAIT: Duration = Duration::from_secs(10);
/// How long to wait for a handler call that must not come.
const QUIET: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------------------------
// Fixtures

/// An event object (the envelope of every event but the Gateway ones).
fn envelope(event: &str, id: &str, data: Value) -> Value {
    json!({
        "id": id, "object": "message", "event": event, "created": 1767268800,
        "device": {"id": DEVICE, "phone": "+34910000001", "alias": "Front desk"},
        "data": data
    })
}

/// A flat message, the `data` of the message events.
fn message(id: &str, kind: &str, flow: &str, body: &str) -> Value {
    json!({
        "id": id, "type": kind, "flow": flow, "ack": "delivered", "body": body,
        "from": "447700900123@c.us", "fromNumber": "+447700900123",
        "chat": {"id": "447700900123@c.us", "type": "chat"}
    })
}

/// One Gateway notification.
fn notification(event: &str, entity: &str, failure: Option<&str>) -> Value {
    json!({
        "event": event, "date": "2026-01-01T12:00:05.000Z", "entity": "message",
        "entityId": entity, "user": "6a1b2c3d4e5f60718293a4b5",
        "data": {"id": entity, "phone": "+447700900123", "status": "sent",
                 "message": "Your order has shipped", "failureReason": failure}
    })
}

/// A body for each event name of the spec, and the id the receiver must report for it.
fn body_for(name: &str) -> (Value, &'static str) {
    let id = match name {
        "message:in:new" => "3EB0AAAA0001",
        "message:out:new" => "3EB0AAAA0002",
        "message:out:ack" => "3EB0AAAA0003",
        "message:out:sent" => "6b2c3d4e5f60718293a4b5c1",
        "message:out:failed" => "6b2c3d4e5f60718293a4b5c2",
        "message:update" => "3EB0AAAA0004",
        "message:reaction" => "3EB0AAAA0005",
        "channel:in" => "3EB0AAAA0006",
        "status:update" => "3EB0AAAA0007",
        "group:update" => "evt-group-1",
        "chat:update" => "evt-chat-1",
        "contact:update" => "evt-contact-1",
        "number:session" => "evt-session-1",
        other => panic!("no fixture for the spec's event `{other}`: add one"),
    };
    let body = match name {
        "message:in:new" | "channel:in" | "status:update" => {
            envelope(name, id, message(id, "text", "inbound", "Hello"))
        }
        "message:out:new" => envelope(name, id, message(id, "text", "outbound", "On its way")),
        "message:out:ack" => {
            let mut body = envelope(name, id, message(id, "text", "outbound", "On its way"));
            body["ack"] = json!("read");
            body
        }
        "message:out:sent" => json!([notification(name, id, None)]),
        "message:out:failed" => json!([notification(name, id, Some("Phone number not found"))]),
        "message:update" => envelope(name, id, message(id, "poll", "outbound", "Lunch?")),
        "message:reaction" => envelope(name, id, message(id, "reaction", "inbound", "👍")),
        "chat:update" => envelope(
            name,
            id,
            json!({"id": "447700900123@c.us", "status": "resolved"}),
        ),
        "group:update" => envelope(name, id, json!({"id": "120363000000000001@g.us"})),
        "contact:update" => envelope(name, id, json!({"wid": "447700900123@c.us"})),
        "number:session" => envelope(name, id, json!({"status": "offline"})),
        _ => unreachable!(),
    };
    (body, id)
}

/// The event names the spec lists under `components.schemas.WebhookEventName.enum`.
fn spec_event_names() -> Vec<String> {
    let spec = sparkbot_tests::spec();
    let names: Vec<String> = spec["components"]["schemas"]["WebhookEventName"]["enum"]
        .as_sequence()
        .expect("WebhookEventName has an enum")
        .iter()
        .map(|v| v.as_str().expect("event names are strings").to_owned())
        .collect();
    assert!(
        names.len() >= 13,
        "the spec lists the event names: {names:?}"
    );
    names
}

fn query() -> String {
    format!("secret={SECRET}")
}

fn receiver() -> WebhookReceiver {
    WebhookReceiver::new(WebhookSecret::new(SECRET))
}

// ---------------------------------------------------------------------------------------------
// Driving the axum route

/// What the handler and the duplicate hook were given.
struct Recorded {
    handled: mpsc::UnboundedReceiver<ReceivedEvent>,
    duplicates: mpsc::UnboundedReceiver<ReceivedEvent>,
}

impl Recorded {
    /// The next `n` handled events, failing after [`WAIT`].
    async fn handled(&mut self, n: usize) -> Vec<ReceivedEvent> {
        take(&mut self.handled, n).await
    }

    async fn duplicates(&mut self, n: usize) -> Vec<ReceivedEvent> {
        take(&mut self.duplicates, n).await
    }

    /// Fails if the handler gets another event within [`QUIET`].
    async fn no_more(&mut self) {
        if let Ok(Some(event)) = tokio::time::timeout(QUIET, self.handled.next()).await {
            panic!("the handler got an unexpected event: {event:?}");
        }
    }
}

async fn take(rx: &mut mpsc::UnboundedReceiver<ReceivedEvent>, n: usize) -> Vec<ReceivedEvent> {
    let mut events = Vec::with_capacity(n);
    while events.len() < n {
        match tokio::time::timeout(WAIT, rx.next()).await {
            Ok(Some(event)) => events.push(event),
            _ => panic!("only {} of {n} events arrived", events.len()),
        }
    }
    events
}

/// A router over `receiver` whose handler and duplicate hook record what they get.
fn recording<S: DedupStore>(receiver: WebhookReceiver<S>) -> (Router, Recorded) {
    let (handled_tx, handled) = mpsc::unbounded();
    let (dup_tx, duplicates) = mpsc::unbounded();
    let route = WebhookRoute::new(receiver, move |event: ReceivedEvent| {
        let _ = handled_tx.unbounded_send(event);
        std::future::ready(())
    })
    .on_duplicate(move |event| {
        let _ = dup_tx.unbounded_send(event.clone());
    });
    (
        route.router("/webhook"),
        Recorded {
            handled,
            duplicates,
        },
    )
}

fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

fn post_json(body: &Value) -> Request<Body> {
    post(&format!("/webhook?{}", query()), body.to_string())
}

/// Sends one request through the router; the status and the body as JSON. Fails if there is
/// no answer within [`WAIT`] (a receiver reading a body it should refuse would hang).
async fn call(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = tokio::time::timeout(WAIT, router.clone().oneshot(request))
        .await
        .expect("the receiver answers")
        .unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("the answer is JSON ({e}): {body:?}"));
    (status, body)
}

// ---------------------------------------------------------------------------------------------
// Every event of the spec

#[tokio::test]
async fn core_accepts_every_spec_event_once() {
    let receiver = receiver();
    let headers = HeaderMap::new();
    for name in spec_event_names() {
        let (body, id) = body_for(&name);
        let bytes = body.to_string().into_bytes();
        let delivery = receiver
            .receive(Some(&query()), &headers, &bytes)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(delivery.status(), StatusCode::OK);
        let [event] = delivery.events.as_slice() else {
            panic!("{name}: {:?}", delivery.events)
        };
        assert_eq!(event.name(), name);
        assert!(
            !matches!(event.event, WebhookEvent::Unknown { .. }),
            "{name} is typed: {:?}",
            event.event
        );
        assert_eq!(event.id.as_deref(), Some(id), "{name}");
        assert_eq!(event.key.as_ref().map(EventKey::id), Some(id), "{name}");
        assert!(!event.duplicate, "{name} is new the first time");
        assert_eq!(
            event.envelope.is_some(),
            body.is_object(),
            "{name}: an event object keeps its envelope"
        );

        let again = receiver
            .receive(Some(&query()), &headers, &bytes)
            .await
            .unwrap();
        assert!(again.events[0].duplicate, "{name} again is a duplicate");
        assert_eq!(again.fresh().count(), 0);
        assert_eq!(
            again.status(),
            StatusCode::OK,
            "duplicates are answered 2xx"
        );
    }
}

#[tokio::test]
async fn axum_answers_every_spec_event_and_handles_each_once() {
    let (router, mut recorded) = recording(receiver());
    let names = spec_event_names();
    for name in &names {
        let (body, _) = body_for(name);
        let (status, answer) = call(&router, post_json(&body)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {answer}");
        assert_eq!(answer, json!({"received": 1, "duplicates": 0}), "{name}");
        let (status, answer) = call(&router, post_json(&body)).await;
        assert_eq!(status, StatusCode::OK, "{name} again: {answer}");
        assert_eq!(answer, json!({"received": 1, "duplicates": 1}), "{name}");
    }
    let mut handled: Vec<String> = recorded
        .handled(names.len())
        .await
        .iter()
        .map(|e| {
            assert!(!e.duplicate);
            assert!(!matches!(e.event, WebhookEvent::Unknown { .. }), "{e:?}");
            e.name().to_owned()
        })
        .collect();
    recorded.no_more().await;
    let mut expected = names.clone();
    handled.sort();
    expected.sort();
    assert_eq!(handled, expected, "each event handled exactly once");
    let duplicates = recorded.duplicates(names.len()).await;
    assert!(duplicates.iter().all(|e| e.duplicate));
}

#[tokio::test]
async fn unknown_events_are_accepted_and_handled() {
    let (router, mut recorded) = recording(receiver());
    let object = envelope("message:in:later", "evt-future", json!({"what": "new"}));
    let (status, _) = call(&router, post_json(&object)).await;
    assert_eq!(status, StatusCode::OK);
    let batch = json!([notification(
        "message:out:queued",
        "6b2c3d4e5f60718293a4b5c9",
        None
    )]);
    let (status, _) = call(&router, post_json(&batch)).await;
    assert_eq!(status, StatusCode::OK);

    let mut events = recorded.handled(2).await;
    events.sort_by(|a, b| a.name().cmp(b.name()));
    let WebhookEvent::Unknown { event, raw } = &events[0].event else {
        panic!("{:?}", events[0])
    };
    assert_eq!(event, "message:in:later");
    assert_eq!(raw, &object);
    assert_eq!(events[0].id.as_deref(), Some("evt-future"));
    assert_eq!(events[1].name(), "message:out:queued");
    assert_eq!(events[1].id.as_deref(), Some("6b2c3d4e5f60718293a4b5c9"));

    // An unknown event delivered again is a duplicate like any other.
    let (status, answer) = call(&router, post_json(&object)).await;
    assert_eq!(
        (status, answer["duplicates"].clone()),
        (StatusCode::OK, json!(1))
    );
    recorded.no_more().await;
}

// ---------------------------------------------------------------------------------------------
// Duplicates

#[tokio::test]
async fn a_repeated_delivery_is_answered_2xx_and_not_handled_again() {
    let (router, mut recorded) = recording(receiver());
    let (body, id) = body_for("message:in:new");
    for duplicates in [0, 1, 1] {
        let (status, answer) = call(&router, post_json(&body)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer, json!({"received": 1, "duplicates": duplicates}));
    }
    let handled = recorded.handled(1).await;
    assert_eq!(handled[0].id.as_deref(), Some(id));
    recorded.no_more().await;
    let duplicates = recorded.duplicates(2).await;
    assert!(
        duplicates
            .iter()
            .all(|e| e.duplicate && e.id.as_deref() == Some(id))
    );
}

#[tokio::test]
async fn distinct_events_that_share_an_id_are_not_duplicates() {
    let receiver = receiver();
    let headers = HeaderMap::new();
    let q = query();
    let fresh = |body: Value| {
        let receiver = &receiver;
        let (headers, q) = (&headers, &q);
        async move {
            let delivery = receiver
                .receive(Some(q), headers, body.to_string().as_bytes())
                .await
                .unwrap();
            delivery
                .events
                .iter()
                .map(|e| !e.duplicate)
                .collect::<Vec<_>>()
        }
    };
    // Acks of one message: delivered, then read, are two events; read again is a repeat.
    let ack = |ack: &str| {
        let mut body = envelope(
            "message:out:ack",
            "3EB0ACK",
            message("3EB0ACK", "text", "outbound", "x"),
        );
        body["ack"] = json!(ack);
        body
    };
    assert_eq!(fresh(ack("delivered")).await, [true]);
    assert_eq!(fresh(ack("read")).await, [true]);
    assert_eq!(fresh(ack("read")).await, [false]);

    // Updates of one message: a second vote is new, the same update again is not.
    let update = |votes: u32| {
        let mut data = message("3EB0UPD", "poll", "outbound", "Lunch?");
        data["poll"] = json!({"options": [{"name": "Yes", "votes": votes}]});
        envelope("message:update", "3EB0UPD", data)
    };
    assert_eq!(fresh(update(1)).await, [true]);
    assert_eq!(fresh(update(2)).await, [true]);
    assert_eq!(fresh(update(2)).await, [false]);

    // One outbound message sent, then failed: two events of one entity.
    let entity = "6b2c3d4e5f60718293a4b5d0";
    let batch = json!([
        notification("message:out:sent", entity, None),
        notification("message:out:failed", entity, Some("Phone number not found")),
    ]);
    assert_eq!(fresh(batch.clone()).await, [true, true]);
    assert_eq!(fresh(batch).await, [false, false]);

    // A new message is keyed on its id alone: a redelivery whose chat data changed is a repeat.
    let mut first = envelope(
        "message:in:new",
        "3EB0NEW",
        message("3EB0NEW", "text", "inbound", "hi"),
    );
    assert_eq!(fresh(first.clone()).await, [true]);
    first["data"]["chat"]["unread"] = json!(3);
    assert_eq!(fresh(first).await, [false]);

    // The same id under another event name is another event.
    let out = envelope(
        "message:out:new",
        "3EB0NEW",
        message("3EB0NEW", "text", "outbound", "hi"),
    );
    assert_eq!(fresh(out).await, [true]);
}

#[tokio::test]
async fn events_without_an_id_are_never_duplicates() {
    let (router, mut recorded) = recording(receiver());
    let body = json!({"event": "message:in:new", "data": {"body": "no id"}});
    for _ in 0..3 {
        let (status, answer) = call(&router, post_json(&body)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer, json!({"received": 1, "duplicates": 0}));
    }
    let handled = recorded.handled(3).await;
    assert!(handled.iter().all(|e| e.id.is_none() && e.key.is_none()));
}

#[tokio::test]
async fn a_batch_repeating_a_notification_handles_it_once() {
    let (router, mut recorded) = recording(receiver());
    let sent = notification("message:out:sent", "6b2c3d4e5f60718293a4b5e1", None);
    let other = notification("message:out:sent", "6b2c3d4e5f60718293a4b5e2", None);
    let batch = json!([sent, other, sent]);
    let (status, answer) = call(&router, post_json(&batch)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"received": 3, "duplicates": 1}));
    let handled = recorded.handled(2).await;
    let ids: Vec<_> = handled.iter().map(|e| e.id.clone().unwrap()).collect();
    assert_eq!(
        ids,
        ["6b2c3d4e5f60718293a4b5e1", "6b2c3d4e5f60718293a4b5e2"],
        "in order"
    );
    recorded.no_more().await;
}

#[tokio::test]
async fn the_store_is_pluggable_and_bounded() {
    // A store of capacity 1 forgets the older of two events: it is taken as new again.
    let store = Arc::new(MemoryDedupStore::new().with_capacity(1));
    let receiver = receiver().with_store(Arc::clone(&store));
    let headers = HeaderMap::new();
    let q = query();
    let (a, _) = body_for("message:in:new");
    let (b, _) = body_for("message:out:new");
    let mut fresh = Vec::new();
    for body in [&a, &a, &b, &a] {
        let delivery = receiver
            .receive(Some(&q), &headers, body.to_string().as_bytes())
            .await
            .unwrap();
        fresh.push(!delivery.events[0].duplicate);
        assert!(store.len() <= 1, "the store holds at most its capacity");
    }
    assert_eq!(fresh, [true, false, true, true]);
}

// ---------------------------------------------------------------------------------------------
// Secrets

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `(query, headers)` that carry the secret, in every accepted form.
fn accepted_secrets(secret: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    vec![
        (format!("secret={secret}"), vec![]),
        (format!("token={secret}"), vec![]),
        (format!("secret={}", percent_encode(secret)), vec![]),
        (format!("a=1&secret={secret}&b=2"), vec![]),
        (format!("secret=wrong&secret={secret}"), vec![]),
        (
            String::new(),
            vec![(DEFAULT_SECRET_HEADER, secret.to_owned())],
        ),
        (
            String::new(),
            vec![("X-Webhook-Secret", format!(" {secret} "))],
        ),
        (
            "secret=wrong".to_owned(),
            vec![(DEFAULT_SECRET_HEADER, secret.to_owned())],
        ),
    ]
}

/// `(query, headers)` that must be refused.
fn refused_secrets(secret: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    let almost = format!("{}x", &secret[..secret.len() - 1]);
    vec![
        (String::new(), vec![]),
        ("secret=".to_owned(), vec![]),
        ("secret".to_owned(), vec![]),
        (format!("secret={almost}"), vec![]),
        (format!("secret={secret}x"), vec![]),
        (format!("key={secret}"), vec![]),
        (format!("Secret={secret}"), vec![]),
        (format!("secret={}", &secret[1..]), vec![]),
        (String::new(), vec![(DEFAULT_SECRET_HEADER, almost.clone())]),
        (String::new(), vec![("x-other-secret", secret.to_owned())]),
        (
            String::new(),
            vec![("authorization", format!("Bearer {secret}"))],
        ),
    ]
}

fn headers_of(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    headers
}

#[tokio::test]
async fn core_checks_the_secret_in_the_query_or_a_header() {
    // A secret with characters a URL must escape.
    let secret = "S3cr3t/with+plus&amp=equals-0123456789";
    let receiver = WebhookReceiver::new(WebhookSecret::new(secret));
    let (body, _) = body_for("message:in:new");
    let body = body.to_string();
    for (query, headers) in accepted_secrets(secret) {
        // `+` in a raw query means a space: that form is only valid percent-encoded.
        if !query.contains('%') && query.contains(secret) {
            continue;
        }
        let result = receiver
            .receive(Some(&query), &headers_of(&headers), body.as_bytes())
            .await;
        assert!(result.is_ok(), "{query:?} {headers:?}: {result:?}");
    }
    for (query, headers) in refused_secrets(secret) {
        let result = receiver
            .receive(Some(&query), &headers_of(&headers), body.as_bytes())
            .await;
        assert!(
            matches!(result, Err(Rejection::Unauthorized)),
            "{query:?} {headers:?}: {result:?}"
        );
        assert_eq!(result.unwrap_err().status(), StatusCode::UNAUTHORIZED);
    }
    // No query at all.
    let result = receiver
        .receive(None, &HeaderMap::new(), body.as_bytes())
        .await;
    assert!(matches!(result, Err(Rejection::Unauthorized)));
    // The raw form of that secret: its `+` decodes to a space, so it does not match.
    let raw = receiver
        .receive(
            Some(&format!("secret={secret}")),
            &HeaderMap::new(),
            body.as_bytes(),
        )
        .await;
    assert!(matches!(raw, Err(Rejection::Unauthorized)), "{raw:?}");
}

#[tokio::test]
async fn axum_checks_the_secret_and_refuses_before_reading() {
    let (router, mut recorded) = recording(receiver());
    let (body, _) = body_for("message:in:new");
    // Each accepted form carries a fresh event (a new id), so each is handled.
    let accepted = accepted_secrets(SECRET);
    for (i, (query, headers)) in accepted.iter().enumerate() {
        let mut body = body.clone();
        body["id"] = json!(format!("3EB0SEC{i}"));
        let mut request = post(&format!("/webhook?{query}"), body.to_string());
        request.headers_mut().extend(headers_of(headers));
        let (status, answer) = call(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{query:?} {headers:?}: {answer}");
    }
    assert_eq!(recorded.handled(accepted.len()).await.len(), accepted.len());

    for (query, headers) in refused_secrets(SECRET) {
        let mut request = post(&format!("/webhook?{query}"), body.to_string());
        request.headers_mut().extend(headers_of(&headers));
        let (status, answer) = call(&router, request).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{query:?} {headers:?}: {answer}"
        );
        assert!(
            answer["error"].as_str().unwrap().contains("secret"),
            "{answer}"
        );
        assert!(
            !answer.to_string().contains(SECRET),
            "the answer never echoes the secret"
        );
    }
    // No secret: 401 even for an oversized or a garbage body, whose bytes are never read.
    let polled = Arc::new(AtomicUsize::new(0));
    let request = post(
        "/webhook",
        counting_body(
            16 * 1024,
            Some(64 * DEFAULT_BODY_LIMIT),
            Arc::clone(&polled),
        ),
    );
    let (status, _) = call(&router, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        polled.load(Ordering::SeqCst),
        0,
        "an unauthorised body is not read"
    );
    let (status, _) = call(&router, post("/webhook?secret=nope", "not json")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    recorded.no_more().await;
}

#[tokio::test]
async fn another_secret_header_can_be_configured() {
    let receiver = receiver().with_secret_header(HeaderName::from_static("x-hook-token"));
    let (router, mut recorded) = recording(receiver);
    let (body, _) = body_for("chat:update");
    let mut request = post("/webhook", body.to_string());
    request
        .headers_mut()
        .insert("x-hook-token", HeaderValue::from_static(SECRET));
    assert_eq!(call(&router, request).await.0, StatusCode::OK);
    let mut request = post("/webhook", body.to_string());
    request
        .headers_mut()
        .insert(DEFAULT_SECRET_HEADER, HeaderValue::from_static(SECRET));
    assert_eq!(
        call(&router, request).await.0,
        StatusCode::UNAUTHORIZED,
        "the default header is no longer read"
    );
    assert_eq!(recorded.handled(1).await[0].name(), "chat:update");
}

// ---------------------------------------------------------------------------------------------
// The body limit

/// A body streamed in `chunk`-byte chunks of spaces (`total` bytes, or without end), counting
/// the bytes the receiver pulled.
fn counting_body(chunk: usize, total: Option<usize>, pulled: Arc<AtomicUsize>) -> Body {
    let stream = futures::stream::unfold(0usize, move |sent| {
        let pulled = Arc::clone(&pulled);
        async move {
            let size = match total {
                Some(total) if sent >= total => return None,
                Some(total) => chunk.min(total - sent),
                None => chunk,
            };
            pulled.fetch_add(size, Ordering::SeqCst);
            // Like a network body, which is not always ready: lets timers (and timeouts) run.
            tokio::task::yield_now().await;
            Some((
                Ok::<_, std::io::Error>(Bytes::from(vec![b' '; size])),
                sent + size,
            ))
        }
    });
    Body::from_stream(stream)
}

/// A valid event padded with spaces to exactly `size` bytes.
fn padded_event(size: usize) -> Vec<u8> {
    let (body, _) = body_for("message:in:new");
    let mut bytes = body.to_string().into_bytes();
    assert!(bytes.len() <= size);
    bytes.resize(size, b' ');
    bytes
}

#[tokio::test]
async fn core_refuses_a_body_over_the_limit() {
    let receiver = receiver();
    let q = query();
    let at_limit = padded_event(DEFAULT_BODY_LIMIT);
    let delivery = receiver
        .receive(Some(&q), &HeaderMap::new(), &at_limit)
        .await;
    assert!(
        delivery.is_ok(),
        "a body of exactly the limit is accepted: {delivery:?}"
    );

    let over = padded_event(DEFAULT_BODY_LIMIT + 1);
    let result = receiver.receive(Some(&q), &HeaderMap::new(), &over).await;
    let Err(rejection @ Rejection::TooLarge { size, limit }) = &result else {
        panic!("{result:?}")
    };
    assert_eq!(
        (*size, *limit),
        (Some(DEFAULT_BODY_LIMIT as u64 + 1), DEFAULT_BODY_LIMIT)
    );
    assert_eq!(rejection.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // A declared length over the limit is refused before the body is looked at.
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-length",
        HeaderValue::from(DEFAULT_BODY_LIMIT as u64 + 1),
    );
    let result = receiver.receive(Some(&q), &headers, b"{}").await;
    assert!(
        matches!(result, Err(Rejection::TooLarge { size: Some(_), .. })),
        "{result:?}"
    );

    // Another limit.
    let small = WebhookReceiver::new(WebhookSecret::new(SECRET)).with_body_limit(64);
    assert_eq!(small.body_limit(), 64);
    let result = small
        .receive(Some(&q), &HeaderMap::new(), &padded_event(4096))
        .await;
    assert!(
        matches!(result, Err(Rejection::TooLarge { limit: 64, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn axum_refuses_a_declared_length_over_the_limit_without_reading() {
    let (router, mut recorded) = recording(receiver());
    let pulled = Arc::new(AtomicUsize::new(0));
    let mut request = post(
        &format!("/webhook?{}", query()),
        counting_body(64 * 1024, Some(8 * DEFAULT_BODY_LIMIT), Arc::clone(&pulled)),
    );
    request.headers_mut().insert(
        "content-length",
        HeaderValue::from(8 * DEFAULT_BODY_LIMIT as u64),
    );
    let (status, answer) = call(&router, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(pulled.load(Ordering::SeqCst), 0, "not a byte was read");
    recorded.no_more().await;
}

#[tokio::test]
async fn axum_stops_reading_a_long_body_at_the_limit() {
    let (router, mut recorded) = recording(receiver());
    let chunk = 16 * 1024;
    let pulled = Arc::new(AtomicUsize::new(0));
    // No `Content-Length`, and 64 times the limit: a receiver that buffers the body before
    // checking its size reads all of it (an endless body would take all memory instead).
    let request = post(
        &format!("/webhook?{}", query()),
        counting_body(chunk, Some(64 * DEFAULT_BODY_LIMIT), Arc::clone(&pulled)),
    );
    let (status, answer) = call(&router, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let pulled = pulled.load(Ordering::SeqCst);
    assert!(
        pulled <= DEFAULT_BODY_LIMIT + chunk,
        "read {pulled} bytes, more than the limit and one chunk"
    );

    // A finite body just over the limit, without a length: 413 as well.
    let request = post(
        &format!("/webhook?{}", query()),
        counting_body(
            chunk,
            Some(DEFAULT_BODY_LIMIT + 1),
            Arc::new(AtomicUsize::new(0)),
        ),
    );
    assert_eq!(
        call(&router, request).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    // A streamed body of exactly the limit is read and accepted.
    let at_limit = padded_event(DEFAULT_BODY_LIMIT);
    let chunks: Vec<Result<Bytes, std::io::Error>> = at_limit
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let request = post(
        &format!("/webhook?{}", query()),
        Body::from_stream(futures::stream::iter(chunks)),
    );
    let (status, answer) = call(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(recorded.handled(1).await.len(), 1);
    recorded.no_more().await;
}

#[tokio::test]
async fn axum_applies_a_configured_limit() {
    let (router, mut recorded) = recording(receiver().with_body_limit(256));
    let (small, _) = body_for("number:session");
    assert!(small.to_string().len() <= 256);
    assert_eq!(call(&router, post_json(&small)).await.0, StatusCode::OK);
    let (big, _) = body_for("message:in:new");
    assert!(big.to_string().len() > 256);
    assert_eq!(
        call(&router, post_json(&big)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(recorded.handled(1).await[0].name(), "number:session");
    recorded.no_more().await;
}

// ---------------------------------------------------------------------------------------------
// Garbage

fn garbage() -> Vec<(&'static str, Vec<u8>)> {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    vec![
        ("empty", Vec::new()),
        ("text", b"hello".to_vec()),
        (
            "truncated JSON",
            br#"{"event":"message:in:new","data":{"#.to_vec(),
        ),
        (
            "invalid UTF-8",
            b"{\"event\":\"\xff\xfe\",\"data\":{}}".to_vec(),
        ),
        ("a number", b"42".to_vec()),
        ("a string", br#""message:in:new""#.to_vec()),
        ("no event", br#"{"id":"x","data":{}}"#.to_vec()),
        (
            "no data",
            br#"{"id":"x","event":"message:in:new"}"#.to_vec(),
        ),
        ("event not a string", br#"{"event":7,"data":{}}"#.to_vec()),
        (
            "wrong data",
            br#"{"event":"message:in:new","data":{"body":5}}"#.to_vec(),
        ),
        ("array of numbers", b"[1,2]".to_vec()),
        (
            "notification without event",
            br#"[{"entityId":"e"}]"#.to_vec(),
        ),
        ("too deep", deep.into_bytes()),
    ]
}

#[tokio::test]
async fn core_refuses_garbage_as_invalid() {
    let receiver = receiver();
    let q = query();
    for (what, body) in garbage() {
        let result = receiver.receive(Some(&q), &HeaderMap::new(), &body).await;
        let Err(rejection @ Rejection::Invalid(_)) = &result else {
            panic!("{what}: {result:?}")
        };
        assert_eq!(rejection.status(), StatusCode::BAD_REQUEST, "{what}");
    }
    let result = receiver.receive(Some(&q), &HeaderMap::new(), b"[1]").await;
    assert!(matches!(
        result,
        Err(Rejection::Invalid(WebhookError::MissingEvent))
    ));
}

#[tokio::test]
async fn axum_answers_garbage_with_400_and_never_calls_the_handler() {
    let (router, mut recorded) = recording(receiver());
    for (what, body) in garbage() {
        let (status, answer) = call(&router, post(&format!("/webhook?{}", query()), body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        assert!(answer["error"].is_string(), "{what}: {answer}");
    }
    // A body that fails while being read is a 400 too.
    let failing = futures::stream::iter([
        Ok(Bytes::from_static(b"{\"event\":")),
        Err(std::io::Error::other("connection reset")),
    ]);
    let request = post(&format!("/webhook?{}", query()), Body::from_stream(failing));
    assert_eq!(call(&router, request).await.0, StatusCode::BAD_REQUEST);
    // An empty batch is a valid delivery of no events.
    let (status, answer) = call(&router, post_json(&json!([]))).await;
    assert_eq!(
        (status, answer),
        (StatusCode::OK, json!({"received": 0, "duplicates": 0}))
    );
    recorded.no_more().await;
}

#[tokio::test]
async fn only_post_is_routed() {
    let (router, mut recorded) = recording(receiver());
    let (body, _) = body_for("message:in:new");
    for method in [Method::GET, Method::PUT] {
        let request = Request::builder()
            .method(method.clone())
            .uri(format!("/webhook?{}", query()))
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
    }
    recorded.no_more().await;
}

// ---------------------------------------------------------------------------------------------
// The store failing, slow and panicking handlers

/// A store that fails once `fail_after` inserts have succeeded, until `heal` is called.
struct FlakyStore {
    inner: MemoryDedupStore,
    fail_after: AtomicUsize,
}

impl DedupStore for FlakyStore {
    async fn insert(&self, key: &EventKey) -> Result<bool, StoreError> {
        let left = self.fail_after.load(Ordering::SeqCst);
        if left == 0 {
            return Err("the store is down".into());
        }
        self.fail_after.store(left - 1, Ordering::SeqCst);
        Ok(self.inner.insert_now(key))
    }
}

#[tokio::test]
async fn a_failing_store_is_answered_503_and_nothing_is_lost() {
    let store = Arc::new(FlakyStore {
        inner: MemoryDedupStore::new(),
        fail_after: AtomicUsize::new(1),
    });
    let (router, mut recorded) = recording(receiver().with_store(Arc::clone(&store)));
    let ids = [
        "6b2c3d4e5f60718293a4b5f1",
        "6b2c3d4e5f60718293a4b5f2",
        "6b2c3d4e5f60718293a4b5f3",
    ];
    let batch = Value::Array(
        ids.iter()
            .map(|id| notification("message:out:sent", id, None))
            .collect(),
    );
    let (status, answer) = call(&router, post_json(&batch)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert!(
        !answer.to_string().contains("down"),
        "the store's error stays inside: {answer}"
    );
    // The one event recorded before the failure is handled now: the retry will skip it.
    let first = recorded.handled(1).await;
    assert_eq!(first[0].id.as_deref(), Some(ids[0]));
    recorded.no_more().await;

    store.fail_after.store(usize::MAX, Ordering::SeqCst);
    let (status, answer) = call(&router, post_json(&batch)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"received": 3, "duplicates": 1}));
    let rest: Vec<_> = recorded
        .handled(2)
        .await
        .into_iter()
        .map(|e| e.id.unwrap())
        .collect();
    assert_eq!(
        rest,
        &ids[1..],
        "each event handled exactly once over both deliveries"
    );
    recorded.no_more().await;

    // The core hands the partial delivery back with the rejection.
    let core = receiver().with_store(FlakyStore {
        inner: MemoryDedupStore::new(),
        fail_after: AtomicUsize::new(2),
    });
    let result = core
        .receive(
            Some(&query()),
            &HeaderMap::new(),
            batch.to_string().as_bytes(),
        )
        .await;
    let Err(Rejection::Store { accepted, .. }) = &result else {
        panic!("{result:?}")
    };
    assert_eq!(accepted.fresh().count(), 2);
    assert_eq!(
        result.unwrap_err().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn a_slow_handler_does_not_delay_the_answer() {
    let started = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&started);
    let route = WebhookRoute::new(receiver(), move |_event: ReceivedEvent| {
        counter.fetch_add(1, Ordering::SeqCst);
        // Never finishes: answering must not wait for it.
        std::future::pending::<()>()
    });
    let router: Router = route.router("/webhook");
    let (body, _) = body_for("message:in:new");
    let (status, _) = tokio::time::timeout(Duration::from_secs(5), call(&router, post_json(&body)))
        .await
        .expect("answered while the handler is still running");
    assert_eq!(status, StatusCode::OK);
    let deadline = tokio::time::Instant::now() + WAIT;
    while started.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the handler never ran"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_panicking_handler_does_not_stop_the_next_event() {
    let (tx, mut rx) = mpsc::unbounded();
    let route = WebhookRoute::new(receiver(), move |event: ReceivedEvent| {
        let tx = tx.clone();
        async move {
            if event.id.as_deref() == Some("6b2c3d4e5f60718293a4b5a1") {
                panic!("handler bug");
            }
            let _ = tx.unbounded_send(event);
        }
    });
    let router: Router = route.router("/webhook");
    let batch = json!([
        notification("message:out:sent", "6b2c3d4e5f60718293a4b5a1", None),
        notification("message:out:sent", "6b2c3d4e5f60718293a4b5a2", None),
    ]);
    assert_eq!(call(&router, post_json(&batch)).await.0, StatusCode::OK);
    let handled = take(&mut rx, 1).await;
    assert_eq!(handled[0].id.as_deref(), Some("6b2c3d4e5f60718293a4b5a2"));
    // And the route keeps serving.
    let (body, _) = body_for("message:in:new");
    assert_eq!(call(&router, post_json(&body)).await.0, StatusCode::OK);
    assert_eq!(take(&mut rx, 1).await[0].name(), "message:in:new");
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deliveries_of_one_event_are_handled_exactly_once() {
    let (router, mut recorded) = recording(receiver());
    let (body, id) = body_for("message:in:new");
    let copies = 200;
    let tasks: Vec<_> = (0..copies)
        .map(|_| {
            let (router, body) = (router.clone(), body.clone());
            tokio::spawn(async move { call(&router, post_json(&body)).await })
        })
        .collect();
    let mut duplicates = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{answer}");
        duplicates += answer["duplicates"].as_u64().unwrap();
    }
    assert_eq!(
        duplicates,
        copies as u64 - 1,
        "exactly one delivery was new"
    );
    let handled = recorded.handled(1).await;
    assert_eq!(handled[0].id.as_deref(), Some(id));
    recorded.no_more().await;
    assert_eq!(recorded.duplicates(copies - 1).await.len(), copies - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deliveries_of_many_events_handle_each_once() {
    let (router, mut recorded) = recording(receiver());
    let (events, copies) = (50, 4);
    let tasks: Vec<_> = (0..events * copies)
        .map(|i| {
            let router = router.clone();
            let id = format!("3EB0CON{:04}", i % events);
            let body = envelope("message:in:new", &id, message(&id, "text", "inbound", "hi"));
            tokio::spawn(async move { call(&router, post_json(&body)).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().0, StatusCode::OK);
    }
    let mut ids: Vec<String> = recorded
        .handled(events)
        .await
        .into_iter()
        .map(|e| e.id.unwrap())
        .collect();
    recorded.no_more().await;
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), events, "every event handled, none twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_core_guard_holds_under_concurrency() {
    let receiver = Arc::new(receiver());
    let (body, _) = body_for("message:out:ack");
    let body = Arc::new(body.to_string());
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (receiver, body) = (Arc::clone(&receiver), Arc::clone(&body));
            tokio::spawn(async move {
                let delivery: Delivery = receiver
                    .receive(Some(&query()), &HeaderMap::new(), body.as_bytes())
                    .await
                    .unwrap();
                delivery.fresh().count()
            })
        })
        .collect();
    let mut fresh = 0;
    for task in tasks {
        fresh += task.await.unwrap();
    }
    assert_eq!(fresh, 1);
}

// ---------------------------------------------------------------------------------------------
// The example

/// A writer shared with the test, standing in for stdout.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The first `n` lines, waiting for them; fails on more lines or an unfinished one.
    async fn lines(&self, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if lines.len() >= n && text.ends_with('\n') {
                tokio::time::sleep(QUIET).await;
                let again = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
                assert_eq!(again, text, "no line after the expected {n}");
                return lines;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {n} lines: {text:?}",
                lines.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

#[tokio::test]
async fn the_example_prints_one_json_line_per_event() {
    let out = Captured::default();
    let app = example::app(SECRET, out.clone());

    // One event object.
    let (body, _) = body_for("message:in:new");
    assert_eq!(call(&app, post_json(&body)).await.0, StatusCode::OK);
    assert_eq!(
        out.lines(1).await,
        [r#"{"event":"message:in:new","id":"3EB0AAAA0001","duplicate":false}"#]
    );

    // The same again, a Gateway batch of two, an unknown event, an event without an id.
    assert_eq!(call(&app, post_json(&body)).await.0, StatusCode::OK);
    out.lines(2).await;
    let batch = json!([
        notification("message:out:sent", "6b2c3d4e5f60718293a4b5b1", None),
        notification("message:out:failed", "6b2c3d4e5f60718293a4b5b2", Some("no")),
    ]);
    assert_eq!(call(&app, post_json(&batch)).await.0, StatusCode::OK);
    out.lines(4).await;
    let unknown = envelope("message:in:later", "evt-\"quoted\"", json!({}));
    assert_eq!(call(&app, post_json(&unknown)).await.0, StatusCode::OK);
    out.lines(5).await;
    let no_id = json!({"event": "number:session", "data": {"status": "online"}});
    assert_eq!(call(&app, post_json(&no_id)).await.0, StatusCode::OK);

    let lines = out.lines(6).await;
    assert_eq!(
        lines,
        [
            r#"{"event":"message:in:new","id":"3EB0AAAA0001","duplicate":false}"#,
            r#"{"event":"message:in:new","id":"3EB0AAAA0001","duplicate":true}"#,
            r#"{"event":"message:out:sent","id":"6b2c3d4e5f60718293a4b5b1","duplicate":false}"#,
            r#"{"event":"message:out:failed","id":"6b2c3d4e5f60718293a4b5b2","duplicate":false}"#,
            r#"{"event":"message:in:later","id":"evt-\"quoted\"","duplicate":false}"#,
            r#"{"event":"number:session","id":null,"duplicate":false}"#,
        ]
    );
    for line in &lines {
        let value: Value = serde_json::from_str(line).unwrap();
        let keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 3, "{line}");
    }

    // Refused deliveries print nothing.
    assert_eq!(
        call(&app, post("/webhook?secret=wrong", body.to_string()))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&app, post(&format!("/webhook?{}", query()), "nope"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(out.lines(6).await.len(), 6);
}

#[tokio::test]
async fn the_example_serves_over_tcp() {
    let out = Captured::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = example::app(SECRET, out.clone());
    let server = tokio::spawn(async move { sparkbot_extras::axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}{}", example::PATH);
    let (body, _) = body_for("message:out:ack");
    let send = |query: String, body: reqwest::Body| {
        client
            .post(format!("{url}?{query}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let response = send(query(), body.to_string().into()).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        out.lines(1).await,
        [r#"{"event":"message:out:ack","id":"3EB0AAAA0003","duplicate":false}"#]
    );
    let response = send("token=wrong".into(), body.to_string().into())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    // Over the wire, a body over the limit is answered 413.
    let response = send(query(), vec![b' '; DEFAULT_BODY_LIMIT + 1].into()).await;
    match response {
        Ok(response) => assert_eq!(response.status().as_u16(), 413),
        // The server may close the connection before the client finished sending.
        Err(e) => eprintln!("the server closed the connection while the body was sent: {e}"),
    }
    assert_eq!(out.lines(1).await.len(), 1);
    server.abort();
}

#[test]
fn the_example_reads_its_arguments() {
    let args = |list: &[&str]| example::Args::parse(list.iter().map(|s| s.to_string()));
    assert_eq!(
        args(&["--listen", "127.0.0.1:8080", "--secret", "s"]),
        Ok(example::Args {
            listen: "127.0.0.1:8080".into(),
            secret: "s".into(),
            public_url: None
        })
    );
    assert_eq!(
        args(&[
            "--secret=s",
            "--public-url",
            "https://a.example",
            "--listen=0.0.0.0:9"
        ])
        .unwrap()
        .public_url
        .as_deref(),
        Some("https://a.example")
    );
    assert!(
        args(&["--listen", "127.0.0.1:8080"]).is_err(),
        "the secret is required"
    );
    assert!(args(&["--listen", "127.0.0.1:8080", "--secret", ""]).is_err());
    assert!(args(&["--secret", "s"]).is_err(), "the address is required");
    assert!(args(&["--listen"]).is_err());
    assert!(args(&["--listen", "a", "--secret", "s", "--port", "1"]).is_err());

    assert_eq!(
        example::webhook_url("https://a.example/", "s/+&"),
        "https://a.example/webhook?secret=s%2F%2B%26"
    );
    assert_eq!(
        example::webhook_url("https://a.example/webhook", "s"),
        "https://a.example/webhook?secret=s"
    );
}
