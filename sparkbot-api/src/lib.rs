#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

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

pub use config::{
    ApiKey, ClientConfig, ConfigError, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    USER_AGENT,
};
pub use generated::*;
pub use hooks::{RAW_BODY_META_KEY, SYNTHESIZED_ERROR_HEADER};
