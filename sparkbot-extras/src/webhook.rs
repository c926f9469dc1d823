//! Webhook deliveries: parsing with a body limit into the generated types, a typed dispatch
//! over the event name, and a shared-secret check.
//!
//! The payloads are the spec's, decoded by the generated model in [`sparkbot_api::types`];
//! this module adds no data types of its own, only:
//!
//! - [`Webhook::parse`] / [`Webhook::parse_with_limit`]: refuse a body over a size limit
//!   ([`DEFAULT_BODY_LIMIT`], 1 MiB) before decoding, then read one of the two body shapes:
//!   - a JSON object, the envelope [`types::WebhookEvent`] (`id`, `object`, `event`, `created`,
//!     `ack`, `device`, `data`), sent for every event but the Gateway-plan ones;
//!   - a JSON array, a [`types::WebhookGatewayBatch`] of up to 25
//!     [`types::WebhookGatewayNotification`]s (`message:out:sent`, `message:out:failed` on
//!     Gateway plans).
//! - [`WebhookEvent`]: one variant per [`types::WebhookEventName`] holding that event's
//!   generated data type, plus [`WebhookEvent::Unknown`] for a name the spec does not list,
//!   which never fails to decode.
//! - [`WebhookSecret`]: a constant-time check of a secret you put in the webhook URL or a header.
//!
//! **SparkBot webhook deliveries are not signed.** The spec knows no signature header, and no
//! public receiver verifies one, so there is nothing to verify cryptographically. Protect the
//! endpoint with a long random secret of your own in the webhook URL
//! (`https://you.example/hook?secret=…`, HTTPS only) or in a header, and check it with
//! [`WebhookSecret`] before parsing. Answer 2xx quickly (within 10 s): the sender retries other
//! answers, so the same event can arrive more than once (de-duplicate by event name and `id`,
//! or by a notification's `entityId`).
//!
//! Parsing never panics: any input (not JSON, invalid UTF-8, nesting deeper than 128 levels,
//! numbers out of range, wrong shapes) is a [`WebhookError`].

use serde::Deserialize;
use serde_json::Value;
use sparkbot_api::types::{self, WebhookEventName};

/// The body limit of [`Webhook::parse`]: 1 MiB.
///
/// Real deliveries are far smaller. A captured `message:in:new` with the full chat and contact
/// objects is about 6 KB; media is never inline (a message carries a download link and at most
/// a small preview thumbnail); the largest body, a Gateway batch, holds at most 25
/// notifications of about 4.5 KB each (about 110 KB). A bigger body is not a SparkBot delivery,
/// so it is refused before any decoding work is done.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// One webhook event, typed by its `event` name, holding the generated type of its `data`.
///
/// What each event's `data` decodes into is the spec's (see [`types::WebhookEvent`]). The
/// events whose `data` the spec does not know keep it as JSON.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `message:in:new`: a new inbound message.
    MessageInNew(Box<types::WebhookMessageData>),
    /// `message:out:new`: a new outbound message.
    MessageOutNew(Box<types::WebhookMessageData>),
    /// `message:out:sent`: an outbound message was sent (Gateway plans; one notification of a
    /// batch).
    MessageOutSent(Box<types::WebhookGatewayNotification>),
    /// `message:out:ack`: an outbound message was delivered, read or played (the message's
    /// `ack`; the envelope repeats it).
    MessageOutAck(Box<types::WebhookMessageData>),
    /// `message:out:failed`: an outbound message could not be delivered (Gateway plans; one
    /// notification of a batch, with `data.failureReason`).
    MessageOutFailed(Box<types::WebhookGatewayNotification>),
    /// `message:update`: a message's content changed (poll votes, event attendance, edits).
    MessageUpdate(Box<types::WebhookMessageData>),
    /// `message:reaction`: a reaction was added or removed.
    MessageReaction(Box<types::WebhookMessageData>),
    /// `channel:in`: a new message in a followed channel.
    ChannelIn(Box<types::WebhookMessageData>),
    /// `status:update`: a new user status (story).
    StatusUpdate(Box<types::WebhookMessageData>),
    /// `group:update`: a group was created or changed. The shape of `data` is not known; it is
    /// kept as sent.
    GroupUpdate(Value),
    /// `chat:update`: a chat's status, assignment or resolution changed; `data` is the chat.
    ChatUpdate(Box<types::WebhookMessageChat>),
    /// `contact:update`: a contact's information or metadata changed. The shape of `data` is
    /// not known; it is kept as sent.
    ContactUpdate(Value),
    /// `number:session`: the number's WhatsApp session went online, offline or disconnected.
    /// The shape of `data` is not known; it is kept as sent.
    NumberSession(Value),
    /// An event the typed variants do not cover: a name the spec does not list, or a
    /// notification of a Gateway batch naming an event other than `message:out:sent` or
    /// `message:out:failed`. Never an error.
    Unknown {
        /// The event name, as sent.
        event: String,
        /// The event as sent: the whole body for an event object, the notification for a
        /// Gateway batch.
        raw: Value,
    },
}

impl WebhookEvent {
    /// The event name, as on the wire (`message:in:new`).
    pub fn name(&self) -> &str {
        match self {
            Self::MessageInNew(_) => "message:in:new",
            Self::MessageOutNew(_) => "message:out:new",
            Self::MessageOutSent(_) => "message:out:sent",
            Self::MessageOutAck(_) => "message:out:ack",
            Self::MessageOutFailed(_) => "message:out:failed",
            Self::MessageUpdate(_) => "message:update",
            Self::MessageReaction(_) => "message:reaction",
            Self::ChannelIn(_) => "channel:in",
            Self::StatusUpdate(_) => "status:update",
            Self::GroupUpdate(_) => "group:update",
            Self::ChatUpdate(_) => "chat:update",
            Self::ContactUpdate(_) => "contact:update",
            Self::NumberSession(_) => "number:session",
            Self::Unknown { event, .. } => event,
        }
    }

    /// Decodes the `data` of an event object by its name. `body` is the whole object, kept by
    /// [`WebhookEvent::Unknown`].
    fn from_envelope(
        name: &WebhookEventName,
        data: &Value,
        body: &Value,
    ) -> Result<Self, WebhookError> {
        let invalid = |source| WebhookError::InvalidData {
            event: name.as_str().to_owned(),
            source,
        };
        let message = || {
            types::WebhookMessageData::deserialize(data)
                .map(Box::new)
                .map_err(invalid)
        };
        // Gateway events are documented as array bodies only; should one come as an object,
        // its `data` is read as the notification's outbound message and the envelope's own
        // fields stay in `Webhook::envelope`.
        let notification = || {
            types::WebhookOutboundMessageData::deserialize(data)
                .map(|data| {
                    Box::new(types::WebhookGatewayNotification {
                        event: Some(name.clone()),
                        data: Some(data),
                        ..Default::default()
                    })
                })
                .map_err(invalid)
        };
        Ok(match name {
            WebhookEventName::MessageInNew => Self::MessageInNew(message()?),
            WebhookEventName::MessageOutNew => Self::MessageOutNew(message()?),
            WebhookEventName::MessageOutSent => Self::MessageOutSent(notification()?),
            WebhookEventName::MessageOutAck => Self::MessageOutAck(message()?),
            WebhookEventName::MessageOutFailed => Self::MessageOutFailed(notification()?),
            WebhookEventName::MessageUpdate => Self::MessageUpdate(message()?),
            WebhookEventName::MessageReaction => Self::MessageReaction(message()?),
            WebhookEventName::ChannelIn => Self::ChannelIn(message()?),
            WebhookEventName::StatusUpdate => Self::StatusUpdate(message()?),
            WebhookEventName::GroupUpdate => Self::GroupUpdate(data.clone()),
            WebhookEventName::ChatUpdate => Self::ChatUpdate(Box::new(
                types::WebhookMessageChat::deserialize(data).map_err(invalid)?,
            )),
            WebhookEventName::ContactUpdate => Self::ContactUpdate(data.clone()),
            WebhookEventName::NumberSession => Self::NumberSession(data.clone()),
            WebhookEventName::Unknown(event) => Self::Unknown {
                event: event.clone(),
                raw: body.clone(),
            },
        })
    }

    /// Decodes one notification of a Gateway batch.
    fn from_notification(item: Value) -> Result<Self, WebhookError> {
        let name = match item.get("event").and_then(Value::as_str) {
            Some(name) => WebhookEventName::from_wire(name),
            None => return Err(WebhookError::MissingEvent),
        };
        let decode = || {
            types::WebhookGatewayNotification::deserialize(&item)
                .map(Box::new)
                .map_err(|source| WebhookError::InvalidData {
                    event: name.as_str().to_owned(),
                    source,
                })
        };
        Ok(match name {
            WebhookEventName::MessageOutSent => Self::MessageOutSent(decode()?),
            WebhookEventName::MessageOutFailed => Self::MessageOutFailed(decode()?),
            // A notification's `data` has the Gateway shape, not the one the other events'
            // variants hold: keep it as sent.
            other => Self::Unknown {
                event: other.as_str().to_owned(),
                raw: item,
            },
        })
    }
}

/// One webhook delivery: the envelope of an event object, and its typed events.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Webhook {
    /// The envelope of an event object (`id`, `object`, `event`, `created`, `ack`, `device`,
    /// and `data` as sent); `None` for a Gateway batch, whose notifications carry their own
    /// fields.
    pub envelope: Option<types::WebhookEvent>,
    /// The typed events: one for an event object; one per notification, in order, for a
    /// Gateway batch (none for an empty batch).
    pub events: Vec<WebhookEvent>,
}

/// Why a webhook body was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The body is larger than the limit; it was not decoded.
    #[error("the webhook body is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// The body's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not JSON (or not UTF-8, or nested deeper than 128 levels, or holds a
    /// number out of range).
    #[error("the webhook body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The body is JSON but neither an event object nor a Gateway batch (an array).
    #[error("the webhook body is neither an event object nor an array of notifications")]
    NotAnEvent,
    /// An event object, or a notification of a Gateway batch, has no string `event` field.
    #[error("the webhook body has no `event` name")]
    MissingEvent,
    /// The envelope of an event object does not have the documented shape (no `data`, or a
    /// field of the wrong type).
    #[error("the webhook envelope does not have the expected shape: {0}")]
    InvalidEnvelope(#[source] serde_json::Error),
    /// The `data` of a known event, or a Gateway notification, does not have the documented
    /// shape.
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
    /// Parses a webhook request body of at most [`DEFAULT_BODY_LIMIT`] bytes.
    ///
    /// ```
    /// use sparkbot_extras::webhook::{Webhook, WebhookEvent};
    ///
    /// let body = br#"{"id":"e1","event":"message:in:new",
    ///   "device":{"id":"5f0a1b2c3d4e5f6a7b8c9d0e","phone":"+447911123456"},
    ///   "data":{"type":"text","body":"hi","fromNumber":"+34600000000"}}"#;
    /// let hook = Webhook::parse(body)?;
    /// let envelope = hook.envelope.as_ref().unwrap();
    /// assert_eq!(envelope.id.as_deref(), Some("e1"));
    /// for event in &hook.events {
    ///     if let WebhookEvent::MessageInNew(message) = event {
    ///         assert_eq!(message.body.as_deref(), Some("hi"));
    ///     }
    /// }
    /// # Ok::<(), sparkbot_extras::webhook::WebhookError>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        Self::parse_with_limit(body, DEFAULT_BODY_LIMIT)
    }

    /// Parses a webhook request body, refusing one over `limit` bytes with
    /// [`WebhookError::TooLarge`] before any decoding.
    ///
    /// The limit bounds the work done here; cap the request body in your HTTP framework too,
    /// so an oversized body is not read into memory at all.
    ///
    /// ```
    /// use sparkbot_extras::webhook::{Webhook, WebhookError, WebhookEvent};
    ///
    /// let batch = br#"[{"event":"message:out:failed","entityId":"5bf612faa893b00016c0f13d",
    ///   "data":{"phone":"+34600000000","failureReason":"Phone number not found"}}]"#;
    /// let hook = Webhook::parse_with_limit(batch, 64 * 1024)?;
    /// assert!(hook.envelope.is_none());
    /// let WebhookEvent::MessageOutFailed(failed) = &hook.events[0] else { panic!() };
    /// let reason = failed.data.as_ref().and_then(|d| d.failure_reason.as_deref());
    /// assert_eq!(reason, Some("Phone number not found"));
    ///
    /// assert!(matches!(
    ///     Webhook::parse_with_limit(batch, 16),
    ///     Err(WebhookError::TooLarge { limit: 16, .. })
    /// ));
    /// # Ok::<(), WebhookError>(())
    /// ```
    pub fn parse_with_limit(body: &[u8], limit: usize) -> Result<Self, WebhookError> {
        if body.len() > limit {
            return Err(WebhookError::TooLarge {
                size: body.len(),
                limit,
            });
        }
        let value: Value = serde_json::from_slice(body).map_err(WebhookError::NotJson)?;
        match value {
            Value::Object(_) => {
                if value.get("event").and_then(Value::as_str).is_none() {
                    return Err(WebhookError::MissingEvent);
                }
                let envelope = types::WebhookEvent::deserialize(&value)
                    .map_err(WebhookError::InvalidEnvelope)?;
                let event = WebhookEvent::from_envelope(&envelope.event, &envelope.data, &value)?;
                Ok(Self {
                    envelope: Some(envelope),
                    events: vec![event],
                })
            }
            Value::Array(items) => Ok(Self {
                envelope: None,
                events: items
                    .into_iter()
                    .map(WebhookEvent::from_notification)
                    .collect::<Result<_, _>>()?,
            }),
            _ => Err(WebhookError::NotAnEvent),
        }
    }
}

/// A shared secret that webhook requests must carry, compared in constant time.
///
/// Deliveries are not signed, so this secret (in the registered URL or a header) is the
/// only proof that a request comes from SparkBot. Use a long random value and HTTPS.
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
    /// The expected secret. An empty secret matches nothing.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// Whether `provided` equals the secret. Constant-time in the content, so timing does not
    /// reveal how much of a guess was right (only whether its length is right). A missing
    /// value never matches.
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

/// Decodes `%XX` escapes and `+`; a `%` not followed by two hex digits is kept as is.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(bytes[i + 1]) << 4 | hex(bytes[i + 2]));
                i += 2;
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

    #[test]
    fn percent_decoding_needs_two_hex_digits() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%zz%2"), "%zz%2");
        // `u8::from_str_radix` would take "+1" as a number; the escape needs hex digits.
        assert_eq!(percent_decode("%+1"), "% 1");
        assert_eq!(percent_decode("%4A%4a"), "JJ");
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
