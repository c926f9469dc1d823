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

mod config;
mod hooks;
mod raw;
mod scan;
mod upload;
mod validate;

pub use config::{
    ApiKey, ClientConfig, ConfigError, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    USER_AGENT,
};
pub use generated::*;
pub use hooks::{RAW_BODY_META_KEY, SYNTHESIZED_ERROR_HEADER};
pub use raw::{RAW_OPERATION_ID, RawRequest};
pub use scan::{QrCode, ScanDeviceQr};
pub use upload::{MultipartUpload, UPLOAD_FIELD_NAME};
