#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bulk;
mod call;
mod client;
mod error;
mod lookup;
pub mod media;
pub mod paging;
pub mod phone;
pub mod receiver;
pub mod session;
pub mod subscribe;
pub mod webhook;

/// The axum crate (0.8) that [`receiver::WebhookRoute`] plugs into (feature `axum`).
#[cfg(feature = "axum")]
pub use axum;
pub use bulk::{BulkItem, BulkMessage, BulkReport, ItemOutcome, SendMany, SkipReason, StopCause};
pub use client::SparkBot;
pub use error::{ApiFailure, Error, FieldError, Result, TransportFailure};
pub use lookup::{DeviceFilter, DeviceKey};
pub use media::{Download, FileSource, Upload, UploadOutcome};
pub use paging::{PageRequest, PageStream, Paging};
pub use phone::{CountryCode, CountryCodeError, E164, PhoneError, normalize_phone};
pub use session::{DeviceState, Readiness, RequiredAction, SyncPhase, SyncProgress, SyncSession};
pub use sparkbot_api;
pub use sparkbot_api::{
    Attempt, ClientConfig, Decision, ENV_API_KEY, ENV_BASE_URL, FailureKind, NonIdempotentRetry,
    Pacing, RetryPolicy, SendPolicy, StopReason, parse_retry_after,
};
pub use subscribe::{DEFAULT_WEBHOOK_NAME, EnsureWebhook, EnsuredWebhook, WebhookChange};
