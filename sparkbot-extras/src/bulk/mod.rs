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
//! - **Resume.** With a [`Journal`], each send is recorded as started
//!   (durably) before it goes out and as sent or failed after. Running the same batch again
//!   (same batch id, same journal) skips the recipients already sent without a request, looks
//!   up on the server (one `GET` each) those that were in flight when the run ended, and sends
//!   the rest. Without a journal, [`SendMany::verify_with_server`] looks every recipient up
//!   first (one `GET` each).

mod batch;
pub mod journal;
mod report;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt};
use tokio::time::Instant;

use crate::client::SparkBot;
use crate::error::Error;
use crate::lookup::DeviceKey;
use batch::{Batch, SessionCheck, StopFlag, batch_tag, device_level};
use journal::Journal;
pub use report::{
    BulkItem, BulkMessage, BulkReport, ItemOutcome, ItemReport, Progress, SkipReason, StopCause,
};

/// Sends in flight at once unless [`SendMany::concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;
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
