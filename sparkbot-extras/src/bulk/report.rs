//! What a batch is made of and what it reports.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::session::DeviceState;

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

/// One item's report, given to [`SendMany::on_item`](super::SendMany::on_item) as it ends and kept in [`BulkReport`].
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

/// Counts so far, given to [`SendMany::on_progress`](super::SendMany::on_progress) after each item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Items ended.
    pub done: usize,
    /// Items in the batch, when [`SendMany::total`](super::SendMany::total) said.
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

    pub(super) fn add(&mut self, item: ItemReport) {
        match &item.outcome {
            ItemOutcome::Sent { .. } => self.sent += 1,
            ItemOutcome::Failed(_) => self.failed += 1,
            ItemOutcome::Skipped(_) => self.skipped += 1,
        }
        self.items.push(item);
    }
}
