//! Sending at scale: [`SparkBot::send_many`] sends one message to each recipient of any
//! stream, every one at most once, at the pace the API allows.
//!
//! - **Once.** Each item's `reference` is made from the batch id and the recipient
//!   (`b<16 hex of the batch id>-<recipient>`), so the same batch run again gives every
//!   recipient the same reference. The pipeline settles a send whose outcome is unknown by that
//!   reference ([`sparkbot_api::delivery`]); a recipient who appears twice is skipped.
//! - **Pace.** The sends go through the client's pacer ([`sparkbot_api::pacing`]): per API
//!   key and per device, learning from 429s. `concurrency` bounds the sends in flight.
//! - **Stop.** An unauthorized key, a device the API refuses (banned, blocked, not found,
//!   unpaid), a session that stops being usable (checked every `check_session_every`), a
//!   journal that cannot be written, or the `stop_when` future ends the batch: nothing new
//!   starts, the sends in flight finish, and [`BulkReport::stopped`] says why.
//! - **Resume.** With a [`Journal`](journal::Journal), each send is recorded as started
//!   (durably) before it goes out and as sent or failed after. Running the same batch again
//!   (same batch id, same journal) skips the recipients already sent without a request, looks
//!   up on the server (one `GET` each) those that were in flight when the run ended, and sends
//!   the rest. Without a journal, [`SendMany::verify_with_server`] looks every recipient up
//!   first (one `GET` each).

pub mod journal;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt};
use serde_json::{Map, Value};
use sparkbot_api::types;
use tokio::time::Instant;

use crate::client::SparkBot;
use crate::error::Error;
use crate::lookup::DeviceKey;
use crate::phone::E164;
use crate::session::DeviceState;
use journal::{Entry, Journal};

/// Sends in flight at once unless [`SendMany::concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// What to send to one recipient.
#[derive(Clone, Debug, PartialEq)]
pub enum BulkMessage {
    /// A text message.
    Text(String),
    /// Any message kind, as the fields of its JSON body other than `device`, the target and
    /// `reference` (which the batch sets): `{"media": {"url": …}, "message": "caption"}`.
    Json(Map<String, Value>),
}

impl From<&str> for BulkMessage {
    fn from(text: &str) -> Self {
        BulkMessage::Text(text.to_owned())
    }
}

impl From<String> for BulkMessage {
    fn from(text: String) -> Self {
        BulkMessage::Text(text)
    }
}

/// One item of a batch: a recipient (a phone in any common form, or a group `…@g.us` or
/// channel `…@newsletter` id) and its message.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkItem {
    /// Who gets the message.
    pub recipient: String,
    /// The message.
    pub message: BulkMessage,
}

impl<R: Into<String>, M: Into<BulkMessage>> From<(R, M)> for BulkItem {
    fn from((recipient, message): (R, M)) -> Self {
        Self {
            recipient: recipient.into(),
            message: message.into(),
        }
    }
}

/// How one item ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum ItemOutcome {
    /// The server has the message.
    Sent {
        /// Its id, when the server gave one.
        message_id: Option<String>,
    },
    /// It was not sent: bad input, or a refusal. An unknown outcome is
    /// [`Error::OutcomeUnknown`]: the journal keeps it as started, so a rerun looks it up.
    Failed(Error),
    /// Nothing was sent for it now.
    Skipped(SkipReason),
}

/// Why an item was skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The recipient came earlier in the batch.
    Duplicate,
    /// A previous run of the batch sent it (the journal or the server says so).
    AlreadySent {
        /// The message's id, when known.
        message_id: Option<String>,
    },
    /// The batch stopped before it (see [`BulkReport::stopped`]).
    BatchStopped,
}

/// One item's report, given to [`SendMany::on_item`] as it ends and kept in [`BulkReport`].
#[derive(Debug)]
pub struct ItemReport {
    /// Its place in the stream, from 0.
    pub index: usize,
    /// The recipient as given.
    pub recipient: String,
    /// The reference its message carries.
    pub reference: String,
    /// How it ended.
    pub outcome: ItemOutcome,
}

/// Counts so far, given to [`SendMany::on_progress`] after each item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Items ended.
    pub done: usize,
    /// Items in the batch, when [`SendMany::total`] said.
    pub total: Option<usize>,
    /// Sent now.
    pub sent: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped (duplicates, sent before, or after a stop).
    pub skipped: usize,
}

/// Why a batch stopped before its end.
#[derive(Debug)]
#[non_exhaustive]
pub enum StopCause {
    /// The API refused the key (401 or 403); the error as shown.
    Unauthorized(String),
    /// The API refused the device itself (not found, banned, blocked, unpaid…): its
    /// `errorCode`, when it gave one, and the error as shown.
    DeviceRefused {
        /// The API's `errorCode`.
        error_code: Option<String>,
        /// The error as shown.
        message: String,
    },
    /// A session check found the device not usable.
    SessionNotUsable(DeviceState),
    /// The journal could not be written: going on would risk sending twice on a rerun.
    Journal(std::io::Error),
    /// The `stop_when` future ended (Ctrl-C, a deadline…).
    Interrupted,
}

impl fmt::Display for StopCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopCause::Unauthorized(e) => write!(f, "the API key was refused: {e}"),
            StopCause::DeviceRefused { message, .. } => {
                write!(f, "the device was refused: {message}")
            }
            StopCause::SessionNotUsable(state) => write!(f, "the device is not usable: {state}"),
            StopCause::Journal(e) => write!(f, "the journal cannot be written: {e}"),
            StopCause::Interrupted => f.write_str("interrupted"),
        }
    }
}

/// What a batch did.
#[derive(Debug, Default)]
pub struct BulkReport {
    /// Every item that ended, in the order they ended.
    pub items: Vec<ItemReport>,
    /// Sent now.
    pub sent: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
    /// Why the batch stopped early, if it did; the items after it were not read.
    pub stopped: Option<StopCause>,
}

impl BulkReport {
    /// Whether every item read is with the server now: sent in this run or before, or a
    /// duplicate of one that is; nothing failed and nothing stopped the batch.
    pub fn all_sent(&self) -> bool {
        self.failed == 0
            && self.stopped.is_none()
            && self
                .items
                .iter()
                .all(|i| !matches!(i.outcome, ItemOutcome::Skipped(SkipReason::BatchStopped)))
    }

    fn add(&mut self, item: ItemReport) {
        match &item.outcome {
            ItemOutcome::Sent { .. } => self.sent += 1,
            ItemOutcome::Failed(_) => self.failed += 1,
            ItemOutcome::Skipped(_) => self.skipped += 1,
        }
        self.items.push(item);
    }
}

type ItemCallback<'a> = Box<dyn FnMut(&ItemReport) + Send + 'a>;
type ProgressCallback<'a> = Box<dyn FnMut(&Progress) + Send + 'a>;

/// A batch being set up; [`SendMany::execute`] runs it. Made by [`SparkBot::send_many`].
#[must_use = "a batch does nothing until `execute` is awaited"]
pub struct SendMany<'a> {
    bot: &'a SparkBot,
    device: DeviceKey,
    items: BoxStream<'a, BulkItem>,
    batch_id: Option<String>,
    concurrency: usize,
    journal: Option<Arc<dyn Journal + 'a>>,
    verify_with_server: bool,
    ensure_session: Option<Duration>,
    check_session_every: Option<Duration>,
    total: Option<usize>,
    stop_when: Option<BoxFuture<'a, ()>>,
    on_item: Option<ItemCallback<'a>>,
    on_progress: Option<ProgressCallback<'a>>,
}

impl SparkBot {
    /// A batch: one message from `device` to each recipient of `items` (any stream of
    /// [`BulkItem`]s, or of `(recipient, message)` pairs). See the [module docs](crate::bulk).
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// use sparkbot_extras::bulk::journal::FileJournal;
    ///
    /// let phones = ["+44 7911 123456", "+34 600 000 000"];
    /// let items = futures::stream::iter(phones.map(|p| (p, "Your order has shipped")));
    /// let report = bot
    ///     .send_many("sales", items)
    ///     .batch_id("shipping-2026-12-02")
    ///     .journal(FileJournal::open("shipping.journal")?)
    ///     .ensure_session(std::time::Duration::from_secs(60))
    ///     .on_progress(|p| eprintln!("{}/{:?}", p.done, p.total))
    ///     .execute()
    ///     .await?;
    /// println!("sent {}, failed {}, skipped {}", report.sent, report.failed, report.skipped);
    /// # Ok(()) }
    /// ```
    pub fn send_many<'a, I>(
        &'a self,
        device: impl Into<DeviceKey>,
        items: impl futures::Stream<Item = I> + Send + 'a,
    ) -> SendMany<'a>
    where
        I: Into<BulkItem> + 'a,
    {
        SendMany {
            bot: self,
            device: device.into(),
            items: items.map(Into::into).boxed(),
            batch_id: None,
            concurrency: DEFAULT_CONCURRENCY,
            journal: None,
            verify_with_server: false,
            ensure_session: None,
            check_session_every: None,
            total: None,
            stop_when: None,
            on_item: None,
            on_progress: None,
        }
    }
}

impl<'a> SendMany<'a> {
    /// The batch's id: the same id gives every recipient the same reference, which is what
    /// makes a rerun safe. Default: a new random id (each run is a new batch).
    pub fn batch_id(mut self, id: impl Into<String>) -> Self {
        self.batch_id = Some(id.into());
        self
    }

    /// Sends in flight at once (default [`DEFAULT_CONCURRENCY`], at least 1).
    pub fn concurrency(mut self, sends: usize) -> Self {
        self.concurrency = sends.max(1);
        self
    }

    /// Keeps the batch's progress in `journal`, so a rerun resumes (see the module docs).
    pub fn journal(mut self, journal: impl Journal + 'a) -> Self {
        self.journal = Some(Arc::new(journal));
        self
    }

    /// Before sending to a recipient the journal does not know as sent, asks the server
    /// whether it has the message (one `GET` per item): for a rerun without a journal.
    pub fn verify_with_server(mut self, verify: bool) -> Self {
        self.verify_with_server = verify;
        self
    }

    /// Waits (up to `timeout`) for the device's session to be usable before the first send,
    /// triggering a sync ([`SparkBot::sync_session`]); the batch fails if it does not become so.
    pub fn ensure_session(mut self, timeout: Duration) -> Self {
        self.ensure_session = Some(timeout);
        self
    }

    /// Reads the device's state at most this often while sending, and stops the batch when it
    /// is not usable (one `GET` per check).
    pub fn check_session_every(mut self, every: Duration) -> Self {
        self.check_session_every = Some(every);
        self
    }

    /// The number of items, when known, for [`Progress::total`].
    pub fn total(mut self, items: usize) -> Self {
        self.total = Some(items);
        self
    }

    /// Stops the batch (nothing new starts, the sends in flight finish) when `signal` ends:
    /// `tokio::signal::ctrl_c()`, a deadline…
    pub fn stop_when(mut self, signal: impl Future<Output = ()> + Send + 'a) -> Self {
        self.stop_when = Some(Box::pin(signal));
        self
    }

    /// Called with each item's report as it ends.
    pub fn on_item(mut self, callback: impl FnMut(&ItemReport) + Send + 'a) -> Self {
        self.on_item = Some(Box::new(callback));
        self
    }

    /// Called with the counts after each item.
    pub fn on_progress(mut self, callback: impl FnMut(&Progress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(callback));
        self
    }

    /// Runs the batch. `Err` only when it cannot start (the device cannot be resolved, the
    /// session does not become usable, the journal cannot be read); everything after that is
    /// in the report.
    pub async fn execute(mut self) -> Result<BulkReport, Error> {
        let device = self.bot.device_id_of(self.device.clone()).await?;
        if let Some(timeout) = self.ensure_session {
            self.bot
                .sync_session(DeviceKey::Id(device.to_string()))
                .timeout(timeout)
                .execute()
                .await?;
        }
        let known = match &self.journal {
            Some(journal) => journal.load()?,
            None => HashMap::new(),
        };
        let batch = Batch {
            bot: self.bot,
            device,
            tag: batch_tag(self.batch_id.as_deref()),
            journal: self.journal.clone(),
            known,
            verify: self.verify_with_server,
            session_check: self.check_session_every.map(|every| SessionCheck {
                every,
                last: Mutex::new(Instant::now()),
            }),
            stop: StopFlag::default(),
        };
        self.run(&batch).await
    }

    async fn run(&mut self, batch: &Batch<'_>) -> Result<BulkReport, Error> {
        let mut seen = HashSet::new();
        let items = std::mem::replace(&mut self.items, futures::stream::empty().boxed());
        let stop = &batch.stop;
        let mut ended = items
            .take_while(|_| std::future::ready(!stop.is_set()))
            .enumerate()
            .map(|(index, item)| batch.item(index, item, &mut seen))
            .buffer_unordered(self.concurrency);
        let mut stop_when = self
            .stop_when
            .take()
            .unwrap_or_else(|| Box::pin(futures::future::pending()));
        let mut report = BulkReport::default();
        let mut progress = Progress {
            total: self.total,
            ..Progress::default()
        };
        let mut interrupted = false;
        loop {
            tokio::select! {
                biased;
                () = &mut stop_when, if !interrupted => {
                    interrupted = true;
                    stop.set(StopCause::Interrupted);
                }
                next = ended.next() => {
                    let Some(item) = next else { break };
                    if let ItemOutcome::Failed(e) = &item.outcome
                        && let Some(cause) = device_level(e)
                    {
                        stop.set(cause);
                    }
                    self.tell(&item, &mut progress);
                    report.add(item);
                }
            }
        }
        report.stopped = stop.take();
        Ok(report)
    }

    fn tell(&mut self, item: &ItemReport, progress: &mut Progress) {
        progress.done += 1;
        match item.outcome {
            ItemOutcome::Sent { .. } => progress.sent += 1,
            ItemOutcome::Failed(_) => progress.failed += 1,
            ItemOutcome::Skipped(_) => progress.skipped += 1,
        }
        if let Some(callback) = self.on_item.as_mut() {
            callback(item);
        }
        if let Some(callback) = self.on_progress.as_mut() {
            callback(progress);
        }
    }
}

/// The first reason to stop a batch; later ones are dropped.
#[derive(Default)]
struct StopFlag {
    set: AtomicBool,
    cause: Mutex<Option<StopCause>>,
}

impl StopFlag {
    fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    fn set(&self, cause: StopCause) {
        let mut slot = self.cause.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(cause);
        }
        self.set.store(true, Ordering::Release);
    }

    fn take(&self) -> Option<StopCause> {
        self.cause.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

struct SessionCheck {
    every: Duration,
    last: Mutex<Instant>,
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
struct Batch<'b> {
    bot: &'b SparkBot,
    device: types::DeviceId,
    tag: String,
    journal: Option<Arc<dyn Journal + 'b>>,
    known: HashMap<String, Entry>,
    verify: bool,
    session_check: Option<SessionCheck>,
    stop: StopFlag,
}

impl Batch<'_> {
    /// Settles what can be settled in stream order (bad recipient, duplicate, sent before),
    /// and returns the rest as a send.
    fn item(
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
        let call = Box::pin(self.api().find_sent_message(reference, Some(&device)));
        let found = call.await.map_err(Error::from)?;
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
fn batch_tag(id: Option<&str>) -> String {
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
fn device_level(e: &Error) -> Option<StopCause> {
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
