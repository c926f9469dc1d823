//! Webhook events: a typed enum parsed from the raw request body, and a shared-secret check.
//!
//! The envelope is `{ "id", "event", "device": { "id", "phone", "alias" }, "data" }`. For
//! message events `data` is the message itself (not `data.message`), as the official bots
//! read it. Events this SDK does not know arrive as [`WebhookEvent::Unknown`] with their JSON.
//!
//! **SparkBot webhooks are not signed.** No public integration verifies a signature, and the
//! only mention of an `X-Wassenger-Signature` header is unverified. Protect the endpoint with
//! a secret of your own in the webhook URL (`https://you.example/hook?secret=…`) or in a
//! header, and check it with [`WebhookSecret`]. Answer 2xx quickly (within 10 s): non-2xx
//! responses are retried by the sender.

use serde::Deserialize;
use serde_json::Value;

/// The device a webhook event belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct WebhookDevice {
    /// The device id (24 hex).
    #[serde(default)]
    pub id: Option<String>,
    /// The device's phone number (E.164).
    #[serde(default)]
    pub phone: Option<String>,
    /// The device's alias.
    #[serde(default)]
    pub alias: Option<String>,
}

/// The contact behind a chat.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ChatContact {
    /// Phone number (E.164).
    #[serde(default)]
    pub phone: Option<String>,
    /// Name as saved.
    #[serde(default)]
    pub name: Option<String>,
    /// Name shown by WhatsApp.
    #[serde(default, rename = "displayName")]
    pub display_name: Option<String>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// A chat as it appears inside events.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Chat {
    /// The chat's WhatsApp id (`…@c.us`, `…@g.us`).
    #[serde(default)]
    pub id: Option<String>,
    /// `chat`, `group` or `channel`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Chat name.
    #[serde(default)]
    pub name: Option<String>,
    /// Chat status (`active`, `pending`, `resolved`, …).
    #[serde(default)]
    pub status: Option<String>,
    /// The contact, for one-to-one chats.
    #[serde(default)]
    pub contact: Option<ChatContact>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// Media attached to a message.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct MessageMedia {
    /// The file id, for [`SparkBot::download_link`](crate::SparkBot::download_link).
    #[serde(default)]
    pub id: Option<String>,
    /// Media type, such as `image/jpeg`.
    #[serde(default)]
    pub mime: Option<String>,
    /// File name.
    #[serde(default)]
    pub filename: Option<String>,
    /// Caption.
    #[serde(default)]
    pub caption: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Links; `links.download` is a path under the API root.
    #[serde(default)]
    pub links: Option<Value>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl MessageMedia {
    /// The download path (`/v1/chat/{device}/files/{file}/download`), for
    /// [`SparkBot::download_link`](crate::SparkBot::download_link).
    pub fn download_link(&self) -> Option<&str> {
        self.links.as_ref()?.get("download")?.as_str()
    }
}

/// A message inside an event (inbound or outbound). Every field is optional: the payload
/// varies by message type, and unknown fields are kept in `other`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct EventMessage {
    /// The message id.
    #[serde(default)]
    pub id: Option<String>,
    /// `text`, `image`, `video`, `audio`, `document`, `location`, …
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// `inbound` or `outbound`.
    #[serde(default)]
    pub flow: Option<String>,
    /// The text, or a media caption.
    #[serde(default)]
    pub body: Option<String>,
    /// The sender's phone number.
    #[serde(default, rename = "fromNumber")]
    pub from_number: Option<String>,
    /// The sender's WhatsApp id.
    #[serde(default)]
    pub from: Option<String>,
    /// The recipient's WhatsApp id.
    #[serde(default)]
    pub to: Option<String>,
    /// Outbound: message status (`queued`, `sent`, `failed`, …).
    #[serde(default)]
    pub status: Option<String>,
    /// Outbound: delivery status, or the `ack` of `message:out:ack`.
    #[serde(default)]
    pub ack: Option<String>,
    /// Your correlation id, as given when sending.
    #[serde(default)]
    pub reference: Option<String>,
    /// The chat.
    #[serde(default)]
    pub chat: Option<Chat>,
    /// Attached media.
    #[serde(default)]
    pub media: Option<MessageMedia>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// A webhook event, typed by its `event` name.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `message:in:new`: a message arrived.
    MessageInNew(EventMessage),
    /// `message:out:new`: an outbound message was created.
    MessageOutNew(EventMessage),
    /// `message:out:sent`: an outbound message left the device.
    MessageOutSent(EventMessage),
    /// `message:out:ack`: an outbound message was acknowledged (delivered, read, played…).
    MessageOutAck(EventMessage),
    /// `message:out:failed`: an outbound message could not be sent.
    MessageOutFailed(EventMessage),
    /// `chat:update`: a chat changed.
    ChatUpdate(Chat),
    /// An event this SDK does not know yet, with its `data` as sent.
    Unknown {
        /// The event name.
        event: String,
        /// The `data` object.
        data: Value,
    },
}

/// One webhook delivery: envelope plus typed event.
#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    /// The delivery id, if sent.
    pub id: Option<String>,
    /// The event name, as sent (`message:in:new`).
    pub event_name: String,
    /// The device the event belongs to, if sent.
    pub device: Option<WebhookDevice>,
    /// The typed event.
    pub event: WebhookEvent,
    /// The whole body, for fields the types do not cover.
    pub raw: Value,
}

/// Why a webhook body was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The body is not JSON.
    #[error("the webhook body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The body has no string `event` field.
    #[error("the webhook body has no `event` name")]
    MissingEvent,
    /// The `data` of a known event does not have the documented shape.
    #[error("the `data` of a `{event}` event does not have the expected shape: {source}")]
    InvalidData {
        /// The event name.
        event: String,
        /// What the decoder objected to.
        #[source]
        source: serde_json::Error,
    },
}

impl Webhook {
    /// Parses a webhook request body.
    ///
    /// ```
    /// use sparkbot_extras::webhook::{Webhook, WebhookEvent};
    ///
    /// let body = br#"{"id":"e1","event":"message:in:new",
    ///   "device":{"id":"5f0a1b2c3d4e5f6a7b8c9d0e","phone":"+447911123456"},
    ///   "data":{"type":"text","body":"hi","fromNumber":"+34600000000"}}"#;
    /// let hook = Webhook::parse(body)?;
    /// if let WebhookEvent::MessageInNew(message) = &hook.event {
    ///     assert_eq!(message.body.as_deref(), Some("hi"));
    /// }
    /// # Ok::<(), sparkbot_extras::webhook::WebhookError>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let raw: Value = serde_json::from_slice(body).map_err(WebhookError::NotJson)?;
        let event_name = raw
            .get("event")
            .and_then(Value::as_str)
            .ok_or(WebhookError::MissingEvent)?
            .to_owned();
        let id = raw.get("id").and_then(Value::as_str).map(str::to_owned);
        // The envelope's device is informative: a malformed one is dropped, not fatal.
        let device = raw
            .get("device")
            .and_then(|d| WebhookDevice::deserialize(d).ok());
        let data = raw.get("data").cloned().unwrap_or(Value::Null);
        let invalid = |source| WebhookError::InvalidData {
            event: event_name.clone(),
            source,
        };
        let message = |data: Value| EventMessage::deserialize(data).map_err(invalid);
        let event = match event_name.as_str() {
            "message:in:new" => WebhookEvent::MessageInNew(message(data)?),
            "message:out:new" => WebhookEvent::MessageOutNew(message(data)?),
            "message:out:sent" => WebhookEvent::MessageOutSent(message(data)?),
            "message:out:ack" => WebhookEvent::MessageOutAck(message(data)?),
            "message:out:failed" => WebhookEvent::MessageOutFailed(message(data)?),
            "chat:update" => WebhookEvent::ChatUpdate(Chat::deserialize(data).map_err(invalid)?),
            _ => WebhookEvent::Unknown {
                event: event_name.clone(),
                data,
            },
        };
        Ok(Self {
            id,
            event_name,
            device,
            event,
            raw,
        })
    }
}

/// A shared secret that webhook requests must carry, compared in constant time.
///
/// ```
/// use sparkbot_extras::webhook::WebhookSecret;
///
/// let secret = WebhookSecret::new("long-random-string");
/// // The webhook was registered as https://you.example/hook?secret=long-random-string
/// assert!(secret.verify_query("secret=long-random-string&x=1"));
/// assert!(!secret.verify_query("secret=guess"));
/// assert!(secret.verify(Some("long-random-string")));
/// ```
#[derive(Clone)]
pub struct WebhookSecret(String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// The query parameters checked by [`WebhookSecret::verify_query`].
pub const SECRET_QUERY_PARAMS: [&str; 2] = ["secret", "token"];

impl WebhookSecret {
    /// The expected secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// Whether `provided` equals the secret. Constant-time in the content, so timing does not
    /// reveal how much of a guess was right. A missing value never matches.
    pub fn verify(&self, provided: Option<&str>) -> bool {
        match provided {
            Some(provided) => {
                !self.0.is_empty() && constant_time_eq(self.0.as_bytes(), provided.as_bytes())
            }
            None => false,
        }
    }

    /// Checks the `secret` (or `token`) parameter of a raw query string (`a=1&secret=…`,
    /// percent-encoded or not).
    pub fn verify_query(&self, query: &str) -> bool {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut ok = false;
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if SECRET_QUERY_PARAMS.contains(&name) {
                // Every candidate is compared, so the position of a match leaks nothing.
                ok |= self.verify(Some(&percent_decode(value)));
            }
        }
        ok
    }

    /// Checks a header value (for example `X-Webhook-Secret`) from any HTTP framework.
    pub fn verify_header(&self, value: Option<&[u8]>) -> bool {
        match value.map(std::str::from_utf8) {
            Some(Ok(text)) => self.verify(Some(text.trim())),
            _ => false,
        }
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: Value) -> Result<Webhook, WebhookError> {
        Webhook::parse(value.to_string().as_bytes())
    }

    #[test]
    fn known_events_are_typed() {
        let hook = parse(serde_json::json!({
            "id": "evt1", "event": "message:in:new",
            "device": {"id": "5f0a1b2c3d4e5f6a7b8c9d0e", "phone": "+447911123456", "alias": "sales"},
            "data": {
                "id": "m1", "type": "image", "flow": "inbound", "body": "look",
                "fromNumber": "+34600000000",
                "chat": {"id": "34600000000@c.us", "type": "chat", "contact": {"phone": "+34600000000", "name": "Ana"}},
                "media": {"id": "f1", "mime": "image/jpeg", "links": {"download": "/v1/chat/d/files/f1/download"}},
                "meta": {"isFirstMessage": true}
            }
        }))
        .unwrap();
        assert_eq!(hook.id.as_deref(), Some("evt1"));
        assert_eq!(hook.device.unwrap().alias.as_deref(), Some("sales"));
        let WebhookEvent::MessageInNew(m) = hook.event else {
            panic!("wrong event")
        };
        assert_eq!(m.kind.as_deref(), Some("image"));
        assert_eq!(
            m.chat.unwrap().contact.unwrap().name.as_deref(),
            Some("Ana")
        );
        assert_eq!(
            m.media.unwrap().download_link(),
            Some("/v1/chat/d/files/f1/download")
        );
        assert_eq!(m.other["meta"]["isFirstMessage"], true);

        for (name, check) in [
            ("message:out:new", 0),
            ("message:out:sent", 1),
            ("message:out:ack", 2),
            ("message:out:failed", 3),
        ] {
            let hook =
                parse(serde_json::json!({"event": name, "data": {"id": "m2", "ack": "read"}}))
                    .unwrap();
            let matched = match (&hook.event, check) {
                (WebhookEvent::MessageOutNew(m), 0)
                | (WebhookEvent::MessageOutSent(m), 1)
                | (WebhookEvent::MessageOutAck(m), 2)
                | (WebhookEvent::MessageOutFailed(m), 3) => m.ack.as_deref() == Some("read"),
                _ => false,
            };
            assert!(matched, "{name}: {:?}", hook.event);
        }
        let hook = parse(serde_json::json!({"event": "chat:update", "data": {"id": "1@c.us", "status": "resolved"}})).unwrap();
        assert!(
            matches!(hook.event, WebhookEvent::ChatUpdate(c) if c.status.as_deref() == Some("resolved"))
        );
    }

    #[test]
    fn unknown_events_keep_their_json() {
        let hook =
            parse(serde_json::json!({"event": "campaign:finished", "data": {"n": 3}})).unwrap();
        assert_eq!(
            hook.event,
            WebhookEvent::Unknown {
                event: "campaign:finished".into(),
                data: serde_json::json!({"n": 3})
            }
        );
    }

    #[test]
    fn bad_bodies_are_errors_not_panics() {
        assert!(matches!(
            Webhook::parse(b"<html>"),
            Err(WebhookError::NotJson(_))
        ));
        assert!(matches!(
            Webhook::parse(b"{\"event\":"),
            Err(WebhookError::NotJson(_))
        ));
        assert!(matches!(
            parse(serde_json::json!({"data": {}})),
            Err(WebhookError::MissingEvent)
        ));
        assert!(matches!(
            parse(serde_json::json!({"event": "message:in:new", "data": {"body": 5}})),
            Err(WebhookError::InvalidData { .. })
        ));
        assert!(matches!(
            parse(serde_json::json!({"event": "message:in:new", "data": "text"})),
            Err(WebhookError::InvalidData { .. })
        ));
    }

    #[test]
    fn secrets_are_checked() {
        let secret = WebhookSecret::new("s3cr3t value");
        assert!(secret.verify(Some("s3cr3t value")));
        assert!(!secret.verify(Some("s3cr3t valuf")));
        assert!(!secret.verify(Some("s3cr3t")));
        assert!(!secret.verify(None));
        assert!(secret.verify_query("?a=1&secret=s3cr3t%20value"));
        assert!(secret.verify_query("token=s3cr3t+value"));
        assert!(!secret.verify_query("secretx=s3cr3t+value"));
        assert!(!secret.verify_query("secret=%zz"));
        assert!(secret.verify_header(Some(b" s3cr3t value ")));
        assert!(!secret.verify_header(Some(b"\xff")));
        assert!(!secret.verify_header(None));
        assert!(!WebhookSecret::new("").verify(Some("")));
        assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
    }
}
