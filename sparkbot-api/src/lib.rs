#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The error type is progenitor's `Error<ApiError>`, shared with every generated call; boxing it
// in hand-written calls only would make the two kinds of call differ.
#![allow(clippy::result_large_err)]

#[allow(
    clippy::all,
    missing_docs,
    unused_imports,
    dead_code,
    unreachable_patterns
)]
#[rustfmt::skip]
mod generated;

mod attempts;
mod body;
mod config;
pub mod country;
pub mod delivery;
mod facts;
mod operation_name;
pub mod pacing;
pub mod paging;
mod pipeline;
mod raw;
mod redirect;
pub mod retry;
mod scan;
mod upload;
mod validate;

pub use attempts::{AttemptRecord, with_attempts};
pub use body::{BodyTooLarge, DEFAULT_MAX_RESPONSE_BODY};
pub use config::{
    ApiKey, ClientConfig, ConfigError, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    ENV_API_KEY, ENV_BASE_URL, USER_AGENT,
};
pub use delivery::{Lookup, SendPolicy, new_reference};
pub use facts::ErrorFacts;
pub use generated::*;
pub use operation_name::OperationName;
pub use pacing::{MemoryPacer, PaceStore, Pacing};
pub use paging::{PageError, Pages, Paginated};
pub use pipeline::{OperationFacts, Pipeline, classify};
pub use raw::{RAW_OPERATION_ID, RawRequest};
pub use redirect::{MAX_REDIRECTS, RedirectRefused};
pub use retry::{
    Attempt, Decision, FailureKind, NonIdempotentRetry, RetryPolicy, StopReason, parse_retry_after,
};
pub use scan::{QrCode, ScanDeviceQr};
pub use upload::{MultipartUpload, UPLOAD_FIELD_NAME};
