//! A webhook receiver: checks a delivery's secret and size, decodes it into the typed events of
//! [`crate::webhook`], and drops the events it has already seen.
//!
//! The core, [`WebhookReceiver`], is framework-agnostic: the query string, the headers
//! ([`http::HeaderMap`], the type hyper, axum and reqwest share) and the body bytes go in; a
//! [`Delivery`] of [`ReceivedEvent`]s, each marked new or duplicate, or a typed [`Rejection`]
//! with its HTTP status, comes out. With the `axum` feature, [`WebhookRoute`] is a ready
//! handler for axum 0.8 (a `Router` or a `MethodRouter` to mount in your own app; a tower
//! service like any axum router).
//!
//! # What a delivery goes through
//!
//! 1. **The secret** ([`WebhookReceiver::authorize`]), compared in constant time
//!    ([`WebhookSecret`]). Two forms are accepted, and a request passes if either carries it:
//!    - the query parameter `secret` or `token` ([`SECRET_QUERY_PARAMS`]), percent-decoded.
//!      This is the form SparkBot can send: the webhook URL you register is the only part of
//!      a delivery you control (the spec knows no custom delivery headers), so register
//!      `https://you.example/webhook?secret=…`;
//!    - the header [`DEFAULT_SECRET_HEADER`] (`X-Webhook-Secret`, another name with
//!      [`WebhookReceiver::with_secret_header`]), for a proxy or gateway in front of the
//!      receiver that moves the secret out of the URL (so it does not reach access logs), or
//!      for a sender that can set headers.
//!
//!    A missing or wrong secret is [`Rejection::Unauthorized`] (401), checked first, so the
//!    body of an unauthorised request is never read. **Deliveries are not signed**: the spec
//!    knows no signature header and no public receiver verifies one, so this shared secret over
//!    HTTPS is the only proof that a request comes from SparkBot. Use a long random value.
//! 2. **The size**: a body over the limit ([`DEFAULT_BODY_LIMIT`], 1 MiB; see there why) is
//!    [`Rejection::TooLarge`] (413). [`WebhookReceiver::check_content_length`] refuses a
//!    declared `Content-Length` over the limit before any byte is read; the axum integration
//!    also reads the body through a bound, so a body without a length is never buffered
//!    beyond the limit either.
//! 3. **Decoding** ([`crate::webhook::Webhook::parse_with_limit`]): an event object gives one
//!    event, a Gateway batch one per notification; an event name the spec does not list is
//!    [`WebhookEvent::Unknown`] and is accepted like any other. A body that is not an event is
//!    [`Rejection::Invalid`] (400).
//! 4. **De-duplication**: each event's [`EventKey`] is inserted into a [`DedupStore`] (by
//!    default a [`MemoryDedupStore`]: a time-to-live and a size bound) in one atomic
//!    check-and-insert, so of two concurrent deliveries of one event exactly one is new. A
//!    duplicate is still a valid delivery and is answered 2xx, so the sender stops retrying;
//!    it is marked [`ReceivedEvent::duplicate`] and not handed to the handler.
//!
//! # The key of an event
//!
//! Events are keyed on their name and id ([`EventKey`]): the envelope's `id` for an event
//! object, the `entityId` (the outbound message) for a notification of a Gateway batch. The
//! spec says the id of a message event is the **message's** id, so the same id legitimately
//! comes back for distinct events of one message; the key tells them apart so that no real
//! event is dropped:
//! - `message:out:ack` adds the ack (`delivered`, then `read`, are two events);
//! - `message:update`, `message:reaction`, `chat:update`, `contact:update`, `group:update`,
//!   `number:session` and unknown events add a digest of their `data` as sent (a second vote
//!   on a poll is new; the same update delivered again is a duplicate);
//! - `message:in:new`, `message:out:new`, `channel:in`, `status:update`, `message:out:sent`
//!   and `message:out:failed` happen once per message: name and id alone.
//!
//! An event without an id cannot be recognised again: it has no key and is always new.
//!
//! # When the handler runs
//!
//! The axum integration answers as soon as the delivery is checked and does **not** wait for
//! the handler: the new events are handed to it, one at a time and in order, in a task of
//! their own (`tokio::spawn`). The sender gives a receiver only a few seconds (answer within
//! 10 s, as [`crate::webhook`] says) and retries a slow answer, so a handler that held up the
//! answer would turn a slow database into duplicate deliveries. The consequence: the sender
//! sees a 2xx even when the handler later fails, and does not retry it. Make a handler that
//! must not lose events persist them first (a queue, a table); a panicking handler is logged
//! (`tracing::error!`) and the next event still runs. Handlers still running when the runtime
//! shuts down are dropped with it.
//!
//! With the core alone you decide: call [`WebhookReceiver::receive`], answer
//! [`Delivery::status`], then process [`Delivery::fresh`].
//!
//! ```
//! use sparkbot_extras::receiver::WebhookReceiver;
//! use sparkbot_extras::webhook::WebhookSecret;
//! use sparkbot_extras::receiver::http::HeaderMap;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let receiver = WebhookReceiver::new(WebhookSecret::new("long-random-string"));
//! let body = br#"{"id":"3EB0A1","event":"message:in:new","data":{"body":"hi"}}"#;
//! let query = Some("secret=long-random-string");
//!
//! let first = receiver.receive(query, &HeaderMap::new(), body).await.unwrap();
//! assert_eq!(first.fresh().count(), 1);
//! let again = receiver.receive(query, &HeaderMap::new(), body).await.unwrap();
//! assert!(again.events[0].duplicate);
//! assert_eq!(again.status(), 200); // answered 2xx all the same: the sender stops retrying
//!
//! let wrong = receiver.receive(Some("secret=guess"), &HeaderMap::new(), body).await;
//! assert_eq!(wrong.unwrap_err().status(), 401);
//! # }
//! ```

#[cfg(feature = "axum")]
mod route;
mod store;

use std::fmt;
use std::future::Future;

use http::{HeaderMap, HeaderName, StatusCode};
use serde_json::Value;
use sparkbot_api::types;

use crate::webhook::{Webhook, WebhookError, WebhookEvent, WebhookSecret};

#[cfg(feature = "axum")]
pub use route::{EventHandler, WebhookRoute};
pub use store::{DEFAULT_DEDUP_CAPACITY, DEFAULT_DEDUP_TTL, MemoryDedupStore};

pub use crate::webhook::{DEFAULT_BODY_LIMIT, SECRET_QUERY_PARAMS};
/// The `http` crate (1.x) whose [`HeaderMap`] and [`StatusCode`] the receiver takes and gives.
pub use http;

/// The header [`WebhookReceiver`] reads the secret from by default, besides the query
/// parameters [`SECRET_QUERY_PARAMS`]: `x-webhook-secret`.
pub const DEFAULT_SECRET_HEADER: &str = "x-webhook-secret";

/// The error a [`DedupStore`] may return (a lost connection to a shared store, …).
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// What de-duplication is keyed on: an event's name, its id, and for the events whose id
/// recurs, what tells two of them apart (see the [module documentation](self#the-key-of-an-event)).
///
/// Its [`Display`](fmt::Display) form, `name id` or `name id variant` (`message:out:ack 3EB0A1
/// read`), is stable and suits a shared store (a Redis key, a table's primary key).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventKey {
    event: String,
    id: String,
    variant: Option<String>,
}

impl EventKey {
    /// A key from its parts; `variant` tells apart events of one name and id.
    pub fn new(event: impl Into<String>, id: impl Into<String>, variant: Option<String>) -> Self {
        Self {
            event: event.into(),
            id: id.into(),
            variant,
        }
    }

    /// The key of `event`, given the envelope of its delivery (`None` for a Gateway batch);
    /// `None` when the event has no id.
    pub fn of(event: &WebhookEvent, envelope: Option<&types::WebhookEvent>) -> Option<Self> {
        let id = event_id(event, envelope)?;
        let data = envelope.map(|e| &e.data);
        let variant = match event {
            WebhookEvent::MessageOutAck(message) => envelope
                .and_then(|e| e.ack.as_ref())
                .or(message.ack.as_ref())
                .map(|ack| ack.as_str().to_owned())
                .or_else(|| data.map(digest)),
            WebhookEvent::MessageUpdate(_)
            | WebhookEvent::MessageReaction(_)
            | WebhookEvent::ChatUpdate(_)
            | WebhookEvent::ContactUpdate(_)
            | WebhookEvent::GroupUpdate(_)
            | WebhookEvent::NumberSession(_) => data.map(digest),
            WebhookEvent::Unknown { raw, .. } => Some(digest(raw)),
            _ => None,
        };
        Some(Self::new(event.name(), id, variant))
    }

    /// The event name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The event's id (the envelope's `id`, or a notification's `entityId`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What tells apart events of one name and id: the ack of a `message:out:ack`, a digest of
    /// the `data` of an update; `None` for the events that happen once per id.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.event, self.id)?;
        if let Some(variant) = &self.variant {
            write!(f, " {variant}")?;
        }
        Ok(())
    }
}

/// The id of an event: the envelope's `id`, or a notification's `entityId`; an empty one is
/// no id.
fn event_id(event: &WebhookEvent, envelope: Option<&types::WebhookEvent>) -> Option<String> {
    let id = match (envelope, event) {
        (Some(envelope), _) => envelope.id.clone(),
        (None, WebhookEvent::MessageOutSent(n) | WebhookEvent::MessageOutFailed(n)) => {
            n.entity_id.clone()
        }
        (None, WebhookEvent::Unknown { raw, .. }) => raw
            .get("entityId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    id.filter(|id| !id.is_empty())
}

/// A stable 64-bit FNV-1a digest of a JSON value as serialised, in hex.
fn digest(value: &Value) -> String {
    struct Fnv(u64);
    impl std::io::Write for Fnv {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            for &b in bytes {
                self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    // Writing into the hasher cannot fail, and a `Value` always serialises.
    let _ = serde_json::to_writer(&mut hash, value);
    format!("{:016x}", hash.0)
}

/// Remembers the events already received, for [`WebhookReceiver`].
///
/// [`insert`](DedupStore::insert) must be atomic: of any number of concurrent inserts of one
/// key, exactly one may answer `true` (a Redis `SET key 1 NX EX ttl`, an `INSERT` into a table
/// whose primary key is the key's [`Display`](fmt::Display) form; not a read followed by a
/// write). [`MemoryDedupStore`] is the default; share one store between the receivers of one
/// webhook (`Arc<S>` is a store too), or a shared one between processes.
pub trait DedupStore: Send + Sync + 'static {
    /// Records `key` and answers whether it is new: `Ok(true)` the first time (within the
    /// store's memory), `Ok(false)` for a key already recorded. An error makes the receiver
    /// answer 503 for the events from this one on ([`Rejection::Store`]), so the sender
    /// retries them later.
    fn insert(&self, key: &EventKey) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

impl<T: DedupStore> DedupStore for std::sync::Arc<T> {
    fn insert(&self, key: &EventKey) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).insert(key)
    }
}

/// One event of a delivery, as the receiver passed it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReceivedEvent {
    /// The typed event.
    pub event: WebhookEvent,
    /// The event's id: the envelope's `id` (the message's id for message events), or a Gateway
    /// notification's `entityId`; `None` when the delivery has none.
    pub id: Option<String>,
    /// What de-duplication keyed it on; `None` without an id (then it is never a duplicate).
    pub key: Option<EventKey>,
    /// Whether the event was received before (within the store's memory). A duplicate is
    /// answered 2xx but not handed to the handler.
    pub duplicate: bool,
    /// The envelope of an event object (`id`, `object`, `event`, `created`, `ack`, `device`,
    /// `data` as sent); `None` for a notification of a Gateway batch.
    pub envelope: Option<types::WebhookEvent>,
}

impl ReceivedEvent {
    /// The event name, as on the wire (`message:in:new`).
    pub fn name(&self) -> &str {
        self.event.name()
    }
}

/// A delivery the receiver accepted: its events, in order, each new or duplicate.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Delivery {
    /// One event for an event object; one per notification for a Gateway batch (none for an
    /// empty batch).
    pub events: Vec<ReceivedEvent>,
}

impl Delivery {
    /// The events not seen before: the ones to process.
    pub fn fresh(&self) -> impl Iterator<Item = &ReceivedEvent> {
        self.events.iter().filter(|e| !e.duplicate)
    }

    /// How many events were duplicates.
    pub fn duplicates(&self) -> usize {
        self.events.iter().filter(|e| e.duplicate).count()
    }

    /// The status to answer: 200, duplicates or not, so the sender stops retrying.
    pub fn status(&self) -> StatusCode {
        StatusCode::OK
    }
}

/// Why the receiver refused a delivery; [`Rejection::status`] is the HTTP answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The secret is missing or wrong (401). The body was not looked at.
    #[error("the webhook secret is missing or wrong")]
    Unauthorized,
    /// The body is over the limit (413); it was not decoded, nor read further than the limit.
    #[error("the webhook body is over the {limit}-byte limit")]
    TooLarge {
        /// The size, when known (the declared `Content-Length`, or the size of a body handed
        /// over whole); `None` when reading stopped at the limit.
        size: Option<u64>,
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not a webhook event (400): not JSON, not an object or an array, no event
    /// name, or a known event with data of the wrong shape.
    #[error(transparent)]
    Invalid(WebhookError),
    /// Reading the request body failed (400): the connection broke, or the framework refused
    /// the body.
    #[error("the webhook body could not be read: {0}")]
    Body(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The [`DedupStore`] failed (503). `accepted` holds the events of the delivery checked
    /// before the failure: the new ones among them must be processed (the axum integration
    /// does), since they are now recorded and the sender's retry will find them duplicates;
    /// the retry brings the rest.
    #[error("the duplicate check is unavailable: {error}")]
    Store {
        /// The store's error.
        #[source]
        error: StoreError,
        /// The events checked before the failure.
        accepted: Delivery,
    },
}

impl Rejection {
    /// The HTTP status to answer with: 401, 413, 400 or 503.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Invalid(_) | Self::Body(_) => StatusCode::BAD_REQUEST,
            Self::Store { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short message for the response body, which says nothing the sender does not know
    /// (the store's error stays in [`Rejection::Store`]).
    pub fn public_message(&self) -> String {
        match self {
            Self::Store { .. } => "the duplicate check is unavailable; retry later".to_owned(),
            other => other.to_string(),
        }
    }
}

/// The framework-agnostic webhook receiver: secret, size, decoding and de-duplication (see
/// the [module documentation](self)).
///
/// `S` is the [`DedupStore`]; [`WebhookReceiver::new`] starts with a [`MemoryDedupStore`]
/// of the default time-to-live and capacity.
pub struct WebhookReceiver<S = MemoryDedupStore> {
    secret: WebhookSecret,
    secret_header: HeaderName,
    body_limit: usize,
    store: S,
}

impl<S> fmt::Debug for WebhookReceiver<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("secret", &self.secret)
            .field("secret_header", &self.secret_header)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl WebhookReceiver<MemoryDedupStore> {
    /// A receiver for `secret` (an empty secret lets nothing through), with the default body
    /// limit, secret header and in-memory store.
    pub fn new(secret: WebhookSecret) -> Self {
        Self {
            secret,
            secret_header: HeaderName::from_static(DEFAULT_SECRET_HEADER),
            body_limit: DEFAULT_BODY_LIMIT,
            store: MemoryDedupStore::new(),
        }
    }
}

impl<S: DedupStore> WebhookReceiver<S> {
    /// Uses another de-duplication store (a [`MemoryDedupStore`] with other bounds, one
    /// shared with other receivers, a store of your own).
    pub fn with_store<T: DedupStore>(self, store: T) -> WebhookReceiver<T> {
        WebhookReceiver {
            secret: self.secret,
            secret_header: self.secret_header,
            body_limit: self.body_limit,
            store,
        }
    }

    /// Sets the body limit in bytes (default [`DEFAULT_BODY_LIMIT`]).
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// Reads the secret from this header instead of [`DEFAULT_SECRET_HEADER`] (the query
    /// parameters are always read).
    pub fn with_secret_header(mut self, name: HeaderName) -> Self {
        self.secret_header = name;
        self
    }

    /// The body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The de-duplication store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Checks the secret: in a query parameter of [`SECRET_QUERY_PARAMS`] (`query` is the raw
    /// query string, without or with its `?`) or in the secret header. Every candidate is
    /// compared, in constant time, so the answer's timing does not tell which form, or how
    /// much of a guess, was right.
    pub fn authorize(&self, query: Option<&str>, headers: &HeaderMap) -> Result<(), Rejection> {
        let mut ok = false;
        if let Some(query) = query {
            ok |= self.secret.verify_query(query);
        }
        for value in headers.get_all(&self.secret_header) {
            ok |= self.secret.verify_header(Some(value.as_bytes()));
        }
        if ok {
            Ok(())
        } else {
            Err(Rejection::Unauthorized)
        }
    }

    /// Refuses a declared `Content-Length` over the limit, before any of the body is read.
    /// A missing or unreadable length passes (the limit is then enforced while reading).
    pub fn check_content_length(&self, headers: &HeaderMap) -> Result<(), Rejection> {
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match declared {
            Some(size) if size > self.body_limit as u64 => Err(Rejection::TooLarge {
                size: Some(size),
                limit: self.body_limit,
            }),
            _ => Ok(()),
        }
    }

    /// A whole request: [`authorize`](Self::authorize), then
    /// [`check_content_length`](Self::check_content_length), then
    /// [`accept`](Self::accept) of the body.
    pub async fn receive(
        &self,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Delivery, Rejection> {
        self.authorize(query, headers)?;
        self.check_content_length(headers)?;
        self.accept(body).await
    }

    /// Decodes an authorised body (within the limit) and marks each event new or duplicate.
    /// Call [`authorize`](Self::authorize) first: this does not check the secret.
    pub async fn accept(&self, body: &[u8]) -> Result<Delivery, Rejection> {
        let hook = Webhook::parse_with_limit(body, self.body_limit).map_err(|e| match e {
            WebhookError::TooLarge { size, limit } => Rejection::TooLarge {
                size: Some(size as u64),
                limit,
            },
            other => Rejection::Invalid(other),
        })?;
        let mut envelope = hook.envelope;
        let mut delivery = Delivery {
            events: Vec::with_capacity(hook.events.len()),
        };
        for event in hook.events {
            let key = EventKey::of(&event, envelope.as_ref());
            let id = event_id(&event, envelope.as_ref());
            let duplicate = match &key {
                Some(key) => match self.store.insert(key).await {
                    Ok(new) => !new,
                    Err(error) => {
                        return Err(Rejection::Store {
                            error,
                            accepted: delivery,
                        });
                    }
                },
                None => false,
            };
            delivery.events.push(ReceivedEvent {
                event,
                id,
                key,
                duplicate,
                // An event object has exactly one event: it takes the envelope.
                envelope: envelope.take(),
            });
        }
        Ok(delivery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key_of(body: Value) -> Option<EventKey> {
        let hook = Webhook::parse(body.to_string().as_bytes()).unwrap();
        EventKey::of(&hook.events[0], hook.envelope.as_ref())
    }

    #[test]
    fn keys_tell_apart_events_whose_id_recurs() {
        let ack = |ack| json!({"id": "m1", "event": "message:out:ack", "ack": ack, "data": {}});
        let delivered = key_of(ack("delivered")).unwrap();
        assert_eq!(delivered.to_string(), "message:out:ack m1 delivered");
        assert_ne!(delivered, key_of(ack("read")).unwrap());

        let update = |votes| json!({"id": "m2", "event": "message:update", "data": {"poll": {"votes": votes}}});
        assert_eq!(key_of(update(1)), key_of(update(1)));
        assert_ne!(key_of(update(1)), key_of(update(2)));

        let new = |body| json!({"id": "m3", "event": "message:in:new", "data": {"body": body}});
        let key = key_of(new("a")).unwrap();
        assert_eq!(key.to_string(), "message:in:new m3");
        assert_eq!(
            Some(key),
            key_of(new("b")),
            "a new message is keyed on its id alone"
        );

        assert_eq!(key_of(json!({"event": "message:in:new", "data": {}})), None);
        assert_eq!(
            key_of(json!({"id": "", "event": "message:in:new", "data": {}})),
            None
        );
    }

    #[test]
    fn gateway_notifications_are_keyed_on_their_entity() {
        let batch = json!([
            {"event": "message:out:sent", "entityId": "e1", "data": {}},
            {"event": "message:out:failed", "entityId": "e1", "data": {}},
            {"event": "message:out:later", "entityId": "e2", "data": {}},
            {"event": "message:out:sent", "data": {}}
        ]);
        let hook = Webhook::parse(batch.to_string().as_bytes()).unwrap();
        let keys: Vec<_> = hook
            .events
            .iter()
            .map(|e| EventKey::of(e, None).map(|k| k.to_string()))
            .collect();
        assert_eq!(keys[0].as_deref(), Some("message:out:sent e1"));
        assert_eq!(keys[1].as_deref(), Some("message:out:failed e1"));
        assert!(
            keys[2]
                .as_deref()
                .unwrap()
                .starts_with("message:out:later e2 ")
        );
        assert_eq!(keys[3], None);
    }

    #[test]
    fn the_digest_is_stable() {
        // FNV-1a 64 of the serialised value: a change here would strand the keys already in a
        // shared store.
        assert_eq!(digest(&json!("a")), "d4272417d7c77eea");
        assert_eq!(digest(&json!({})), "08f44b07b5901a25");
        assert_eq!(digest(&json!({"b": [1, true]})), "20d591575e2e70d0");
    }
}
