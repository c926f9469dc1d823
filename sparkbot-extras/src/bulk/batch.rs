//! One run of a batch: each item settled in stream order, then sent.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use sparkbot_api::types;
use tokio::time::Instant;

use super::journal::{Entry, Journal};
use super::report::{BulkItem, BulkMessage, ItemOutcome, ItemReport, SkipReason, StopCause};
use crate::call;
use crate::client::SparkBot;
use crate::error::Error;
use crate::phone::E164;
use crate::session::DeviceState;

/// The first reason to stop a batch; later ones are dropped.
#[derive(Default)]
pub(super) struct StopFlag {
    set: AtomicBool,
    cause: Mutex<Option<StopCause>>,
}

impl StopFlag {
    pub(super) fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    pub(super) fn set(&self, cause: StopCause) {
        let mut slot = self.cause.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(cause);
        }
        self.set.store(true, Ordering::Release);
    }

    pub(super) fn take(&self) -> Option<StopCause> {
        self.cause.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

pub(super) struct SessionCheck {
    pub(super) every: Duration,
    pub(super) last: Mutex<Instant>,
}

impl SessionCheck {
    /// Whether a check is due now (and marks it done).
    fn due(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() < self.every {
            return false;
        }
        *last = Instant::now();
        true
    }
}

/// What every item of one run shares.
pub(super) struct Batch<'b> {
    pub(super) bot: &'b SparkBot,
    pub(super) device: types::DeviceId,
    pub(super) tag: String,
    pub(super) journal: Option<Arc<dyn Journal + 'b>>,
    pub(super) known: HashMap<String, Entry>,
    pub(super) verify: bool,
    pub(super) session_check: Option<SessionCheck>,
    pub(super) stop: StopFlag,
}

impl Batch<'_> {
    /// Settles what can be settled in stream order (bad recipient, duplicate, sent before),
    /// and returns the rest as a send.
    pub(super) fn item(
        &self,
        index: usize,
        item: BulkItem,
        seen: &mut HashSet<String>,
    ) -> BoxFuture<'_, ItemReport> {
        let report = |reference: String, outcome| ItemReport {
            index,
            recipient: item.recipient.clone(),
            reference,
            outcome,
        };
        let key = match recipient_key(&item.recipient, self.bot.default_country_code()) {
            Ok(key) => key,
            Err(e) => return ready(report(String::new(), ItemOutcome::Failed(e))),
        };
        let reference = format!("{}-{}", self.tag, key.reference_part());
        if !seen.insert(key.canonical.clone()) {
            return ready(report(
                reference,
                ItemOutcome::Skipped(SkipReason::Duplicate),
            ));
        }
        let known = self.known.get(&reference).cloned();
        if let Some(Entry::Sent(id)) = &known {
            let message_id = Some(id.clone()).filter(|id| !id.is_empty());
            let skip = SkipReason::AlreadySent { message_id };
            return ready(report(reference, ItemOutcome::Skipped(skip)));
        }
        let look_up_first = self.verify || known == Some(Entry::Started);
        Box::pin(async move {
            let outcome = self.send(&item, &key, &reference, look_up_first).await;
            ItemReport {
                index,
                recipient: item.recipient,
                reference,
                outcome,
            }
        })
    }

    async fn send(
        &self,
        item: &BulkItem,
        key: &RecipientKey,
        reference: &str,
        look_up_first: bool,
    ) -> ItemOutcome {
        if self.stop.is_set() {
            return ItemOutcome::Skipped(SkipReason::BatchStopped);
        }
        if let Some(stop) = self.check_session().await {
            self.stop.set(stop);
            return ItemOutcome::Skipped(SkipReason::BatchStopped);
        }
        if look_up_first {
            match self.bot.find_sent(reference, &self.device).await {
                Ok(Some(message_id)) => {
                    self.record(
                        reference,
                        &Entry::Sent(message_id.clone().unwrap_or_default()),
                    );
                    return ItemOutcome::Skipped(SkipReason::AlreadySent { message_id });
                }
                Ok(None) => {}
                // Not knowing whether it went out, sending could make it twice.
                Err(e) => return ItemOutcome::Failed(e.with_reference(reference)),
            }
        }
        let body = match self.body(item, key, reference) {
            Ok(body) => body,
            Err(e) => return ItemOutcome::Failed(e),
        };
        if !self.record(reference, &Entry::Started) {
            return ItemOutcome::Skipped(SkipReason::BatchStopped);
        }
        match self.bot.send_message(body, reference).await {
            Ok(message) => {
                self.record(
                    reference,
                    &Entry::Sent(message.id.clone().unwrap_or_default()),
                );
                ItemOutcome::Sent {
                    message_id: message.id,
                }
            }
            Err(e) => {
                // An unknown outcome stays `started`, so that a rerun looks it up.
                if !e.is_outcome_unknown() {
                    self.record(reference, &Entry::Failed);
                }
                ItemOutcome::Failed(e)
            }
        }
    }

    /// Writes a journal entry; a failure stops the batch (returns `false`).
    fn record(&self, reference: &str, entry: &Entry) -> bool {
        let Some(journal) = &self.journal else {
            return true;
        };
        match journal.record(reference, entry) {
            Ok(()) => true,
            Err(e) => {
                self.stop.set(StopCause::Journal(e));
                false
            }
        }
    }

    /// The reason to stop, when a due session check finds the device not usable.
    async fn check_session(&self) -> Option<StopCause> {
        let check = self.session_check.as_ref()?;
        if !check.due() {
            return None;
        }
        match self.bot.get_device_fresh(&self.device).await {
            Ok(device) => {
                let state = DeviceState::of(&device);
                (!state.is_usable()).then_some(StopCause::SessionNotUsable(state))
            }
            Err(e) => device_level(&e),
        }
    }

    fn body(
        &self,
        item: &BulkItem,
        key: &RecipientKey,
        reference: &str,
    ) -> Result<types::SendMessageRequest, Error> {
        match &item.message {
            BulkMessage::Text(text) => {
                if key.field != "phone" {
                    return self.json_body(
                        Map::from_iter([("message".to_owned(), Value::String(text.clone()))]),
                        key,
                        reference,
                    );
                }
                self.bot
                    .text_message(&self.device, &key.canonical, text, reference)
            }
            BulkMessage::Json(fields) => self.json_body(fields.clone(), key, reference),
        }
    }

    fn json_body(
        &self,
        mut fields: Map<String, Value>,
        key: &RecipientKey,
        reference: &str,
    ) -> Result<types::SendMessageRequest, Error> {
        fields.insert("device".into(), Value::String(self.device.to_string()));
        fields.insert(key.field.into(), Value::String(key.canonical.clone()));
        fields.insert("reference".into(), Value::String(reference.to_owned()));
        serde_json::from_value(Value::Object(fields))
            .map_err(|e| Error::InvalidInput(format!("the message: {e}")))
    }
}

fn ready(report: ItemReport) -> BoxFuture<'static, ItemReport> {
    Box::pin(std::future::ready(report))
}

impl SparkBot {
    /// The id of the message with `reference` from `device`, if the server has it.
    async fn find_sent(
        &self,
        reference: &str,
        device: &types::DeviceId,
    ) -> Result<Option<Option<String>>, Error> {
        let device = device.to_string();
        let found = call::request(self.api().find_sent_message(reference, Some(&device))).await?;
        Ok(found.map(|m| m.id))
    }
}

/// A recipient in the one form the batch compares and sends.
struct RecipientKey {
    /// The body field it goes in: `phone`, `group` or `channel`.
    field: &'static str,
    /// `+<digits>` for a phone, the id itself for a group or channel.
    canonical: String,
}

impl RecipientKey {
    /// The recipient's part of a reference: its letters and digits.
    fn reference_part(&self) -> String {
        self.canonical
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect()
    }
}

fn recipient_key(recipient: &str, country: Option<&str>) -> Result<RecipientKey, Error> {
    let trimmed = recipient.trim();
    for (suffix, field) in [("@g.us", "group"), ("@newsletter", "channel")] {
        if let Some(id) = trimmed.strip_suffix(suffix)
            && !id.is_empty()
            && id.chars().all(|c| c.is_ascii_digit() || c == '-')
        {
            return Ok(RecipientKey {
                field,
                canonical: trimmed.to_owned(),
            });
        }
    }
    let phone = E164::parse(trimmed, country)
        .map_err(|e| Error::InvalidInput(format!("recipient: {e}")))?;
    Ok(RecipientKey {
        field: "phone",
        canonical: phone.as_str().to_owned(),
    })
}

/// `b` and 16 hex digits naming the batch; a new random one without an id.
pub(super) fn batch_tag(id: Option<&str>) -> String {
    let id = id.map_or_else(sparkbot_api::new_reference, str::to_owned);
    // FNV-1a: the same id must give the same tag in every build, which `DefaultHasher` does not
    // promise.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("b{hash:016x}")
}

/// Whether an item's failure is about the key or the device, not the item: then every other
/// item would fail the same way, and the batch stops.
pub(super) fn device_level(e: &Error) -> Option<StopCause> {
    match e {
        Error::OutcomeUnknown { .. } => None,
        Error::Unauthorized(_) | Error::Forbidden(_) => {
            Some(StopCause::Unauthorized(e.to_string()))
        }
        Error::DeviceNotFound { .. } => Some(StopCause::DeviceRefused {
            error_code: None,
            message: e.to_string(),
        }),
        _ => {
            let code = e.api_failure()?.error_code()?;
            let lower = code.to_ascii_lowercase();
            let refused = lower.starts_with("device")
                || lower.starts_with("session")
                || ["banned", "blocked", "unpaid", "disabled"]
                    .iter()
                    .any(|w| lower.contains(w));
            refused.then(|| StopCause::DeviceRefused {
                error_code: Some(code.to_owned()),
                message: e.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_id_always_gives_the_same_tag() {
        assert_eq!(batch_tag(Some("x")), batch_tag(Some("x")));
        assert_ne!(batch_tag(Some("x")), batch_tag(Some("y")));
        assert_ne!(batch_tag(None), batch_tag(None));
        assert_eq!(batch_tag(Some("")), "bcbf29ce484222325");
    }

    #[test]
    fn recipients_compare_in_one_form() {
        let a = recipient_key("+44 7911 123456", None).unwrap();
        let b = recipient_key("0044-7911-123456", None).unwrap();
        assert_eq!(a.canonical, b.canonical);
        assert_eq!(a.field, "phone");
        assert_eq!(a.reference_part(), "447911123456");
        let g = recipient_key("120363025246125486@g.us", None).unwrap();
        assert_eq!(
            (g.field, g.reference_part().as_str()),
            ("group", "120363025246125486gus")
        );
        assert!(recipient_key("not a phone", None).is_err());
        assert!(recipient_key("x@evil.example", None).is_err());
    }

    #[test]
    fn key_and_device_refusals_stop_a_batch_but_item_failures_do_not() {
        let failure = |status: u16, code: &str| {
            crate::ApiFailure::from_status(status, None).with_error_code(code)
        };
        assert!(matches!(
            device_level(&Error::Unauthorized(failure(401, ""))),
            Some(StopCause::Unauthorized(_))
        ));
        assert!(matches!(
            device_level(&Error::from_failure(failure(400, "device:session_offline"))),
            Some(StopCause::DeviceRefused { .. })
        ));
        assert!(device_level(&Error::from_failure(failure(400, "phone:invalid"))).is_none());
        assert!(device_level(&Error::InvalidInput("x".into())).is_none());
    }
}
