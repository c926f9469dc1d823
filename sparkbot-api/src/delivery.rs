//! Sends: at most once, then exactly once.
//!
//! Every send (an operation marked `x-sparkbot-send` in the spec, such as `POST /messages`)
//! carries a `reference`: the caller's, or a unique one the pipeline adds ([`new_reference`]).
//! When a send's outcome is unknown (a timeout, a connection lost after the request was
//! written, a 5xx other than 503, a success whose body broke off), the pipeline looks the
//! reference up (`GET /messages?reference[]=…&device=…`, the node's own encoding) as the
//! [`SendPolicy`] says, returns the message the server has, and only when the server has none
//! sends again with the same reference, if the policy allows it.
//!
//! What each policy costs, per send whose outcome is unknown (a send that succeeds or fails
//! plainly costs nothing extra):
//!
//! | policy | extra requests | waits | can it send twice? |
//! |---|---|---|---|
//! | [`SendPolicy::no_lookup`] | 0 | 0 | no; the caller gets the unknown outcome |
//! | [`SendPolicy::never_resend`] | up to `lookups` GETs | up to `lookup_window` | no |
//! | [`SendPolicy::reconcile_then_resend`] (default) | up to `lookups` GETs, then 1 POST (and its own lookups), `max_resends` times | up to `lookup_window` per round | only if the server stores a message later than `lookup_window` after the failure and lists none before |
//!
//! References must be unique per message for this to hold: one reused for several messages
//! makes a lookup find the wrong one. The SDK's references are 128 random bits.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::Client;
use crate::pacing::Scope;

/// What the pipeline does when a send's outcome is unknown. Plain data; see the
/// [module docs](self) for what each choice costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendPolicy {
    /// Lookups of the reference after an unknown outcome (0: none).
    pub lookups: u32,
    /// The lookups are spread over this window, each twice as far from the failure as the one
    /// before it (3 lookups over 3 s: after 0.75 s, 1.5 s and 3 s).
    pub lookup_window: Duration,
    /// How many times a send may go again when every lookup answered and none found it.
    pub max_resends: u32,
}

impl Default for SendPolicy {
    fn default() -> Self {
        Self::reconcile_then_resend()
    }
}

impl SendPolicy {
    /// Look the reference up (3 times over 3 s); when the server has no such message, send once
    /// more with the same reference.
    pub fn reconcile_then_resend() -> Self {
        Self {
            lookups: 3,
            lookup_window: Duration::from_secs(3),
            max_resends: 1,
        }
    }

    /// Look the reference up and return the message found; never send again.
    pub fn never_resend() -> Self {
        Self {
            max_resends: 0,
            ..Self::reconcile_then_resend()
        }
    }

    /// Neither look up nor send again: the unknown outcome goes to the caller as it is.
    pub fn no_lookup() -> Self {
        Self {
            lookups: 0,
            lookup_window: Duration::ZERO,
            max_resends: 0,
        }
    }

    /// The same policy with another lookup schedule.
    pub fn with_lookups(mut self, lookups: u32, window: Duration) -> Self {
        self.lookups = lookups.min(16);
        self.lookup_window = window;
        self
    }

    /// The same policy with another resend limit.
    pub fn with_max_resends(mut self, resends: u32) -> Self {
        self.max_resends = resends;
        self
    }

    /// The wait before each lookup, in order. Pure.
    pub fn lookup_waits(&self) -> Vec<Duration> {
        let n = self.lookups.min(16);
        let mut at = Duration::ZERO;
        (1..=n)
            .map(|i| {
                let next = self.lookup_window / (1u32 << (n - i));
                let wait = next.saturating_sub(at);
                at = next;
                wait
            })
            .collect()
    }
}

/// What a lookup of a send's reference found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lookup {
    /// The server has the message: it is returned as the send's answer.
    Found,
    /// Every lookup answered, and none found it.
    Absent,
    /// Some lookup failed, so nobody knows.
    Failed,
}

/// A reference no other message has: `sb-` and 32 hex digits (128 random bits).
pub fn new_reference() -> String {
    use crate::retry::random_u64;
    format!("sb-{:016x}{:016x}", random_u64(), random_u64())
}

/// What the pipeline reads off a send body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SendFacts {
    pub reference: String,
    pub device: Option<String>,
    /// The phone, group or channel the message goes to.
    pub recipient: Option<String>,
}

/// Reads a send's JSON body and gives it a reference when it has none. `None` when the body is
/// not a JSON object (nothing to reconcile by).
pub(crate) fn prepare(request: &mut reqwest::Request) -> Option<SendFacts> {
    let bytes = request.body()?.as_bytes()?;
    // The common case, a body without a reference, costs one pass that skips what it does not
    // need and a splice; only an odd body (a `reference` that is null or empty, a duplicate
    // key) is parsed whole and written again.
    let head = starts_an_object(bytes)
        .then(|| serde_json::from_slice::<SendHead>(bytes).ok())
        .flatten();
    let Some(head) = head.filter(|h| h.reference.is_none() || text(h.reference.as_ref()).is_some())
    else {
        return prepare_rewritten(request);
    };
    let reference = match text(head.reference.as_ref()) {
        Some(r) => r,
        None => {
            let r = new_reference();
            let spliced = with_reference_spliced(bytes, &r)?;
            set_body(request, spliced);
            r
        }
    };
    let recipient = [&head.phone, &head.group, &head.channel]
        .into_iter()
        .find_map(|v| text(v.as_ref()));
    Some(SendFacts {
        reference,
        device: text(head.device.as_ref()),
        recipient,
    })
}

/// The fields of a send body the pipeline reads; everything else is skipped unparsed.
#[derive(serde::Deserialize)]
struct SendHead {
    /// `Some(Null)` for `"reference": null`, which is there and must not get a twin.
    #[serde(default, deserialize_with = "present")]
    reference: Option<Value>,
    device: Option<Value>,
    phone: Option<Value>,
    group: Option<Value>,
    channel: Option<Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(d).map(Some)
}

/// A field's text, when it is a non-empty string.
fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn starts_an_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// `bytes` (a JSON object with no `reference`) with `"reference":"<reference>"` as its first
/// member.
fn with_reference_spliced(bytes: &[u8], reference: &str) -> Option<Vec<u8>> {
    let open = bytes.iter().position(|b| *b == b'{')?;
    let (head, rest) = bytes.split_at(open + 1);
    let empty = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let member = serde_json::to_vec(&serde_json::json!({ "reference": reference })).ok()?;
    // `member` is `{"reference":"…"}`: its inside goes in.
    let inside = &member[1..member.len() - 1];
    let mut out = Vec::with_capacity(bytes.len() + inside.len() + 1);
    out.extend_from_slice(head);
    out.extend_from_slice(inside);
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    Some(out)
}

/// The slow form of [`prepare`]: the body parsed whole, its reference set, written again.
fn prepare_rewritten(request: &mut reqwest::Request) -> Option<SendFacts> {
    let bytes = request.body()?.as_bytes()?;
    let mut body: Map<String, Value> = serde_json::from_slice(bytes).ok()?;
    let reference = match text(body.get("reference")) {
        Some(r) => r,
        None => {
            let r = new_reference();
            body.insert("reference".into(), Value::String(r.clone()));
            set_body(request, serde_json::to_vec(&body).ok()?);
            r
        }
    };
    let recipient = ["phone", "group", "channel"]
        .iter()
        .find_map(|k| text(body.get(*k)));
    Some(SendFacts {
        reference,
        device: text(body.get("device")),
        recipient,
    })
}

fn set_body(request: &mut reqwest::Request, bytes: Vec<u8>) {
    if request
        .headers()
        .contains_key(reqwest::header::CONTENT_LENGTH)
    {
        request
            .headers_mut()
            .insert(reqwest::header::CONTENT_LENGTH, bytes.len().into());
    }
    *request.body_mut() = Some(bytes.into());
}

/// Whether the server may have acted on a request that failed: the rule of
/// [`ErrorFacts::outcome_unknown`](crate::ErrorFacts::outcome_unknown), on the wire.
pub(crate) fn outcome_unknown(outcome: &reqwest::Result<reqwest::Response>) -> bool {
    match outcome {
        Ok(r) => status_leaves_outcome_unknown(r.status()),
        Err(e) => transport_leaves_outcome_unknown(e),
    }
}

/// A 5xx other than 503 (which refuses before doing anything) may come after the work.
pub(crate) fn status_leaves_outcome_unknown(status: reqwest::StatusCode) -> bool {
    status.is_server_error() && status != reqwest::StatusCode::SERVICE_UNAVAILABLE
}

/// A transport failure after the connection opened may come after the request went out.
pub(crate) fn transport_leaves_outcome_unknown(e: &reqwest::Error) -> bool {
    !(e.is_connect() || e.is_builder() || e.is_redirect())
}

/// Whether `message` (an element of `GET /messages`) is the send described by `facts`.
fn is_the_send(message: &Value, facts: &SendFacts) -> bool {
    let field = |k: &str| message.get(k).and_then(Value::as_str);
    if field("reference") != Some(facts.reference.as_str()) {
        return false;
    }
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    match (field("phone"), facts.recipient.as_deref()) {
        (Some(theirs), Some(ours)) if !ours.contains('@') => digits(theirs) == digits(ours),
        _ => true,
    }
}

/// A 201 answer carrying `message`, as if the lost response had arrived.
pub(crate) fn found_response(message: &Value) -> reqwest::Response {
    let body = serde_json::to_vec(message).unwrap_or_default();
    let response = http::Response::builder()
        .status(201)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .expect("a static status and header");
    reqwest::Response::from(response)
}

/// The scopes a send is paced in besides its API key's.
pub(crate) fn send_scopes(facts: &SendFacts, per_recipient: bool) -> Vec<Scope> {
    let Some(device) = facts.device.as_deref() else {
        return Vec::new();
    };
    let mut scopes = vec![Scope::device(device)];
    if per_recipient && let Some(to) = facts.recipient.as_deref() {
        scopes.push(Scope::recipient(device, to));
    }
    scopes
}

impl Client {
    /// Looks `facts.reference` up as `policy` says: the message found, or why there is none.
    pub(crate) async fn look_up_send(
        &self,
        facts: &SendFacts,
        policy: &SendPolicy,
    ) -> Result<Value, Lookup> {
        let mut answered = true;
        for wait in policy.lookup_waits() {
            tokio::time::sleep(wait).await;
            match self.search_reference(facts).await {
                Ok(Some(message)) => return Ok(message),
                Ok(None) => {}
                Err(()) => answered = false,
            }
        }
        Err(if answered {
            Lookup::Absent
        } else {
            Lookup::Failed
        })
    }

    async fn search_reference(&self, facts: &SendFacts) -> Result<Option<Value>, ()> {
        self.search_reference_raw(facts).await.map_err(|_| ())
    }

    async fn search_reference_raw(
        &self,
        facts: &SendFacts,
    ) -> Result<Option<Value>, progenitor_client::Error<crate::types::ApiError>> {
        let mut query = vec![("reference[]", facts.reference.as_str()), ("size", "10")];
        if let Some(device) = facts.device.as_deref() {
            query.push(("device", device));
        }
        let request = self
            .client
            .get(format!("{}/messages", self.baseurl))
            .query(&query)
            .build()
            .map_err(progenitor_client::Error::CommunicationError)?;
        let response = self
            .execute_handwritten(request, LOOKUP_OPERATION_ID, false)
            .await?;
        let bytes = response
            .bytes()
            .await
            .map_err(progenitor_client::Error::ResponseBodyError)?;
        let messages: Vec<Value> = serde_json::from_slice(&bytes)
            .map_err(|e| progenitor_client::Error::InvalidResponsePayload(bytes.clone(), e))?;
        Ok(messages.into_iter().find(|m| is_the_send(m, facts)))
    }

    /// The outbound message with this `reference` (from `device`, when given), if the server
    /// has one: the lookup the pipeline makes after a send's unknown outcome, for a caller who
    /// must settle one later (a batch resumed after a crash). One `GET /messages`, encoded as
    /// the node encodes it (`reference[]=…`).
    pub async fn find_sent_message(
        &self,
        reference: &str,
        device: Option<&str>,
    ) -> Result<Option<crate::types::Message>, progenitor_client::Error<crate::types::ApiError>>
    {
        let facts = SendFacts {
            reference: reference.to_owned(),
            device: device.map(str::to_owned),
            recipient: None,
        };
        let Some(found) = self.search_reference_raw(&facts).await? else {
            return Ok(None);
        };
        let bytes = bytes::Bytes::from(serde_json::to_vec(&found).unwrap_or_default());
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| progenitor_client::Error::InvalidResponsePayload(bytes, e))
    }
}

/// The operation id that traces and request records show for a reference lookup.
pub const LOOKUP_OPERATION_ID: &str = "findSentMessage";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookups_double_their_distance_from_the_failure() {
        let waits = SendPolicy::reconcile_then_resend().lookup_waits();
        assert_eq!(
            waits,
            [
                Duration::from_millis(750),
                Duration::from_millis(750),
                Duration::from_millis(1500)
            ]
        );
        assert!(SendPolicy::no_lookup().lookup_waits().is_empty());
        let total: Duration = SendPolicy::never_resend()
            .with_lookups(5, Duration::from_millis(160))
            .lookup_waits()
            .iter()
            .sum();
        assert_eq!(total, Duration::from_millis(160));
    }

    #[test]
    fn references_are_distinct() {
        let refs: std::collections::HashSet<String> = (0..1000).map(|_| new_reference()).collect();
        assert_eq!(refs.len(), 1000);
        assert!(refs.iter().all(|r| r.len() == 35 && r.starts_with("sb-")));
    }

    fn request(body: Value) -> reqwest::Request {
        reqwest::Client::new()
            .post("http://localhost/v1/messages")
            .json(&body)
            .build()
            .unwrap()
    }

    #[test]
    fn a_send_without_a_reference_gets_one_and_keeps_its_fields() {
        let mut req = request(json!({"device": "d1", "phone": "+447911123456", "message": "hi"}));
        let facts = prepare(&mut req).unwrap();
        assert!(facts.reference.starts_with("sb-"));
        assert_eq!(facts.device.as_deref(), Some("d1"));
        assert_eq!(facts.recipient.as_deref(), Some("+447911123456"));
        let sent: Value = serde_json::from_slice(req.body().unwrap().as_bytes().unwrap()).unwrap();
        assert_eq!(sent["reference"], json!(facts.reference));
        assert_eq!(sent["message"], json!("hi"));
    }

    #[test]
    fn the_callers_reference_is_kept() {
        let mut req = request(json!({"group": "123@g.us", "reference": "order-7"}));
        let facts = prepare(&mut req).unwrap();
        assert_eq!(facts.reference, "order-7");
        assert_eq!(facts.recipient.as_deref(), Some("123@g.us"));
        assert_eq!(facts.device, None);
    }

    fn raw_request(body: &str) -> reqwest::Request {
        reqwest::Client::new()
            .post("http://localhost/v1/messages")
            .header("content-length", body.len())
            .body(body.to_owned())
            .build()
            .unwrap()
    }

    fn sent(req: &reqwest::Request) -> Value {
        serde_json::from_slice(req.body().unwrap().as_bytes().unwrap()).unwrap()
    }

    #[test]
    fn a_reference_that_is_null_empty_or_not_text_is_replaced_not_doubled() {
        for body in [
            r#"{"reference": null, "phone": "+447911123456"}"#,
            r#"{"reference": "", "phone": "+447911123456"}"#,
            r#"{"reference": 7, "phone": "+447911123456"}"#,
            r#"{"phone": "+1", "reference": "x", "reference": ""}"#,
        ] {
            let mut req = raw_request(body);
            let facts = prepare(&mut req).unwrap();
            assert!(facts.reference.starts_with("sb-"), "{body}");
            let bytes = req.body().unwrap().as_bytes().unwrap();
            let text = std::str::from_utf8(bytes).unwrap();
            assert_eq!(text.matches("\"reference\"").count(), 1, "{text}");
            assert_eq!(sent(&req)["reference"], json!(facts.reference));
            let length = req.headers()["content-length"].to_str().unwrap();
            assert_eq!(length, bytes.len().to_string());
        }
    }

    #[test]
    fn the_reference_is_spliced_into_any_object_layout() {
        for body in [
            "{}",
            "  { }",
            "\n{\"phone\":\"+447911123456\",\"message\":\"a \\\"reference\\\" in text\"}",
            r#"{"message": {"nested": {"reference": "not this one"}}, "phone": "+1"}"#,
        ] {
            let mut req = raw_request(body);
            let facts = prepare(&mut req).unwrap();
            let before: Value = serde_json::from_str(body).unwrap();
            let mut after = sent(&req);
            assert_eq!(after["reference"], json!(facts.reference), "{body}");
            after.as_object_mut().unwrap().remove("reference");
            assert_eq!(after, before, "{body}");
            let length = req.headers()["content-length"].to_str().unwrap();
            assert_eq!(
                length,
                req.body().unwrap().as_bytes().unwrap().len().to_string()
            );
        }
    }

    #[test]
    fn a_body_that_is_not_an_object_is_left_alone() {
        let mut req = request(json!(["x"]));
        assert_eq!(prepare(&mut req), None);
    }

    #[test]
    fn a_message_matches_by_reference_and_phone() {
        let facts = SendFacts {
            reference: "r1".into(),
            device: None,
            recipient: Some("+44 7911 123456".into()),
        };
        assert!(is_the_send(
            &json!({"reference": "r1", "phone": "+447911123456"}),
            &facts
        ));
        assert!(!is_the_send(
            &json!({"reference": "r1", "phone": "+15550000000"}),
            &facts
        ));
        assert!(!is_the_send(&json!({"reference": "r2"}), &facts));
        assert!(is_the_send(&json!({"reference": "r1"}), &facts));
    }

    #[test]
    fn unknown_outcomes_are_the_ones_the_server_may_have_acted_on() {
        let status = |s: u16| {
            Ok(reqwest::Response::from(
                http::Response::builder()
                    .status(s)
                    .body(Vec::new())
                    .unwrap(),
            ))
        };
        for s in [500, 502, 504] {
            assert!(outcome_unknown(&status(s)), "{s}");
        }
        for s in [200, 201, 400, 401, 429, 503] {
            assert!(!outcome_unknown(&status(s)), "{s}");
        }
    }
}
