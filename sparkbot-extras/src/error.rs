//! One error type for everything the extras do, sorted by what the caller should do next.
//!
//! Every low-level failure (`sparkbot_api::Error<ApiError>`) is mapped here by HTTP status and
//! `errorCode`. The raw status and body stay reachable through [`ApiFailure`], a transport
//! failure's cause through [`TransportFailure`], and the attempts of the failed request through
//! [`Error::attempts`]. No variant holds request headers, so the API key (sent as the `Token`
//! header) can never appear in an error.

use std::time::Duration;

use bytes::Bytes;
use sparkbot_api::types::{self, ApiError};
use sparkbot_api::{AttemptRecord, ErrorFacts, FailureKind};

use crate::session::{DeviceState, RequiredAction};

mod failure;
mod transport;

pub use failure::{ApiFailure, FieldError};
use failure::{fields_suffix, snippet};
pub use transport::TransportFailure;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn retry_after_suffix(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!("; retry after {}s", d.as_secs_f64().ceil() as u64),
        None => String::new(),
    }
}

fn among(searched: &Option<usize>) -> String {
    match searched {
        Some(n) => format!(" among {n} devices"),
        None => String::new(),
    }
}

fn last_state_text(last: &Option<DeviceState>) -> String {
    match last {
        Some(state) => format!("last state seen: {state}"),
        None => "no state was read".to_owned(),
    }
}

fn last_error_text(last: &Option<Box<Error>>) -> String {
    match last {
        Some(e) => format!("; last error: {e}"),
        None => String::new(),
    }
}

/// Everything that can go wrong in `sparkbot-extras`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be configured (no API key, bad base URL, …). No request was sent.
    #[error("configuration error: {0}")]
    Config(#[from] sparkbot_api::ConfigError),

    /// An argument was rejected before any request was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// 401: the API key was rejected. Check `SPARKBOT_API_KEY`.
    #[error("unauthorized ({0}): the API key was rejected; check SPARKBOT_API_KEY")]
    Unauthorized(ApiFailure),

    /// 403: the key is valid but may not do this (agents and supervisors have no API access).
    #[error("forbidden ({0}): the API key is not allowed to do this")]
    Forbidden(ApiFailure),

    /// No device matches the key.
    #[error("device not found: no device with {key}{}", among(.searched))]
    DeviceNotFound {
        /// The key looked up, as "id …", "phone …", "alias …" or "WhatsApp id …".
        key: String,
        /// How many devices were searched, when the lookup listed them.
        searched: Option<usize>,
        /// The API's 404, when the miss came from the API rather than a local search.
        response: Option<ApiFailure>,
    },

    /// More than one device matches the key (for example two devices share an alias).
    #[error("{key} is ambiguous: {} devices match ({})", .ids.len(), .ids.join(", "))]
    AmbiguousDevice {
        /// The key looked up.
        key: String,
        /// The IDs of the matching devices.
        ids: Vec<String>,
    },

    /// 404 for something other than a device, or for every path when the base URL is wrong.
    #[error(
        "not found ({0}): the resource does not exist, or the base URL is wrong (it must be the \
         API root including /v1, such as https://api.wassenger.com/v1)"
    )]
    NotFound(ApiFailure),

    /// 409: the request conflicts with the current state (already exists, already a member…).
    #[error("conflict ({0})")]
    Conflict(ApiFailure),

    /// 429: too many requests. Retried automatically for idempotent calls.
    #[error("rate limited ({response}){}", retry_after_suffix(.retry_after))]
    RateLimited {
        /// The wait the server asked for, if it sent `Retry-After`.
        retry_after: Option<Duration>,
        /// The response.
        response: ApiFailure,
    },

    /// 400 or 422: the API rejected the request's content.
    #[error("request rejected ({response}){}", fields_suffix(.response))]
    Validation {
        /// The response; [`ApiFailure::field_errors`] lists the fields at fault.
        response: ApiFailure,
    },

    /// 5xx: the server failed. 502, 503 and 504 are retried for idempotent calls.
    #[error("server error ({0})")]
    Server(ApiFailure),

    /// Another error status.
    #[error("API error ({0})")]
    Api(ApiFailure),

    /// The request did not complete within the configured timeout.
    #[error("request timed out: {}", causes(.0.reqwest_error()))]
    Timeout(#[source] TransportFailure),

    /// The connection failed (refused, reset, DNS, TLS…); the message names the cause.
    #[error("transport error: {}", causes(.0.reqwest_error()))]
    Transport(#[source] TransportFailure),

    /// A request that creates something (a message above all) failed in a way that leaves its
    /// outcome unknown: a timeout, a connection lost after the request went out, a 5xx. It may
    /// have been processed, so it was not re-sent; look it up (by its `reference`) before
    /// sending again. For a send, the pipeline has already looked it up as its
    /// [`SendPolicy`](sparkbot_api::SendPolicy) says and not found it, or could not ask. Not
    /// [`Error::is_transient`]: blindly retrying may duplicate it.
    #[error(
        "the outcome is unknown, the request may have been processed (a message may have been sent{}): {source}",
        .reference.as_deref().map(|r| format!(" with reference {r}")).unwrap_or_default()
    )]
    OutcomeUnknown {
        /// The send's reference, to look it up later (`GET /messages?reference=…`).
        reference: Option<String>,
        /// The failure itself.
        source: Box<Error>,
    },

    /// A success response whose body is not what the API describes.
    #[error("cannot decode the response: {source} (body: {:?})", snippet(.body))]
    Decode {
        /// The body as received.
        body: Bytes,
        /// What the decoder objected to.
        #[source]
        source: serde_json::Error,
        /// The attempts of the request (see [`Error::attempts`]).
        attempts: Vec<AttemptRecord>,
    },

    /// A status the API description does not list (such as a redirect).
    #[error("unexpected HTTP status {status}")]
    UnexpectedStatus {
        /// The status.
        status: u16,
        /// The attempts of the request (see [`Error::attempts`]).
        attempts: Vec<AttemptRecord>,
    },

    /// The device's session needs a person (scan a QR code, close WhatsApp elsewhere, pay…).
    #[error("device {device_id} is not usable: {state}; {action}")]
    SessionNeedsAction {
        /// The device.
        device_id: String,
        /// The state that stopped the wait.
        state: DeviceState,
        /// What to do about it.
        action: RequiredAction,
        /// The device as last read.
        device: Box<types::Device>,
    },

    /// The session did not become usable before the deadline. Faults that may pass (a 5xx, a
    /// timeout, a dropped connection…) were ridden out until then; the last one is kept.
    #[error(
        "device {device_id} did not become usable within {}s: the deadline passed while {phase}; {}{}",
        .waited.as_secs_f64().round() as u64,
        last_state_text(.last_state),
        last_error_text(.last_error)
    )]
    SessionTimedOut {
        /// The device id, or the key it was being looked up by (`alias "sales"`) when the
        /// deadline passed before the lookup succeeded.
        device_id: String,
        /// What the sync was doing when the deadline passed.
        phase: crate::session::SyncPhase,
        /// The last state read, if any.
        last_state: Option<DeviceState>,
        /// How long the sync lasted, the lookup included.
        waited: Duration,
        /// The last passing fault met, if any.
        last_error: Option<Box<Error>>,
    },

    /// A session sync met a fault that waiting cannot fix (401, 403, 400, a 404 that is not
    /// the API's answer, a body that does not decode…) and gave up before its deadline.
    /// A device that does not exist is [`Error::DeviceNotFound`] instead.
    #[error("session sync of device {device_id} gave up while {phase}: {error}; {}", last_state_text(.last_state))]
    SessionSyncFailed {
        /// The device id, or the key it was being looked up by when the lookup failed.
        device_id: String,
        /// What the sync was doing.
        phase: crate::session::SyncPhase,
        /// The last state read, if any.
        last_state: Option<DeviceState>,
        /// The fault, as the request reported it ([`Error::Unauthorized`], …).
        error: Box<Error>,
    },

    /// A paginated listing hit its page limit: the data may be incomplete.
    #[error(
        "stopped after {pages} pages (the pagination loop guard); results may be incomplete: raise max_pages if the data really is that large"
    )]
    TooManyPages {
        /// The number of pages read.
        pages: u64,
    },

    /// A listing stopped because a full page was exactly the page before it: the server seems
    /// to ignore `page`, so reading on would repeat the same items (see
    /// [`sparkbot_api::paging::PageError::RepeatedPage`]).
    #[error(
        "{operation}: page {page} repeats the page before it exactly ({size} items); the server seems to ignore `page`, so the listing stopped"
    )]
    RepeatedPage {
        /// The list operation (`list_chats`).
        operation: &'static str,
        /// The zero-based number of the page that repeated the one before it.
        page: u64,
        /// The page size requested.
        size: u64,
    },

    /// Reading or writing a local file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// Any other failure reported by the low-level client.
    #[error("{0}")]
    Other(String),
}

/// An error's message followed by its sources, so "connection refused" or a certificate
/// problem shows in `Display`, not only in `Debug`.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

impl Error {
    /// Maps an error status to its variant, by status and `errorCode`.
    pub fn from_failure(failure: ApiFailure) -> Self {
        let code = failure
            .error_code()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if code.starts_with("device") && code.contains("not_found") {
            return Error::DeviceNotFound {
                key: "the requested id".to_owned(),
                searched: None,
                response: Some(failure),
            };
        }
        match failure.status() {
            401 => Error::Unauthorized(failure),
            403 => Error::Forbidden(failure),
            404 => Error::NotFound(failure),
            409 => Error::Conflict(failure),
            429 => Error::RateLimited {
                retry_after: failure.retry_after(),
                response: failure,
            },
            400 | 422 => Error::Validation { response: failure },
            500..=599 => Error::Server(failure),
            _ => Error::Api(failure),
        }
    }

    /// Maps the failure of a request that is not idempotent: when its outcome is unknown it
    /// becomes [`Error::OutcomeUnknown`].
    pub fn from_send(e: sparkbot_api::Error<ApiError>) -> Self {
        let unknown = e.outcome_unknown();
        let error = Error::from(e);
        if unknown {
            Error::OutcomeUnknown {
                reference: None,
                source: Box::new(error),
            }
        } else {
            error
        }
    }

    /// Whether the request may have been processed although it failed (see
    /// [`Error::OutcomeUnknown`]).
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }

    /// The same error, naming the send's `reference` when its outcome is unknown.
    pub fn with_reference(self, reference: &str) -> Self {
        match self {
            Error::OutcomeUnknown { source, .. } => Error::OutcomeUnknown {
                reference: Some(reference.to_owned()),
                source,
            },
            other => other,
        }
    }

    /// Reads a not-found from a device-scoped call as "device `id` not found" when the API
    /// said so in its own JSON; a 404 that is not the API's answer (a wrong base URL, a proxy)
    /// stays [`Error::NotFound`], whose message points at the base URL.
    pub fn for_device(self, device_id: &str) -> Self {
        match self {
            Error::NotFound(failure) if failure.is_json() => Error::DeviceNotFound {
                key: format!("id {device_id}"),
                searched: None,
                response: Some(failure),
            },
            Error::DeviceNotFound {
                searched, response, ..
            } => Error::DeviceNotFound {
                key: format!("id {device_id}"),
                searched,
                response,
            },
            other => other,
        }
    }

    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::UnexpectedStatus { status, .. } => Some(*status),
            _ => self.api_failure().map(ApiFailure::status),
        }
    }

    /// The attempts of the request whose failure this is, in order: each one's number, status,
    /// [`FailureKind`], the wait before the next, and for a send whose outcome was unknown what
    /// the lookup of its reference found. The last one is the failure reported.
    ///
    /// Every request the workflows send fills it, so it is non-empty whenever a request was
    /// sent: the status-based variants keep it in their [`ApiFailure`], [`Error::Timeout`] and
    /// [`Error::Transport`] in their [`TransportFailure`], [`Error::Decode`] and
    /// [`Error::UnexpectedStatus`] in their `attempts` field. [`Error::OutcomeUnknown`] gives
    /// those of its `source`, [`Error::SessionSyncFailed`] those of its `error` and
    /// [`Error::SessionTimedOut`] those of its `last_error`. A failed page of
    /// [`SparkBot::devices_stream`](crate::SparkBot::devices_stream) carries those of its
    /// request, one of [`SparkBot::paginate`](crate::SparkBot::paginate) those of every call
    /// the fetcher made for that page, and a [`Download`](crate::Download) whose body fails
    /// those of its request.
    ///
    /// Empty for errors raised before any I/O ([`Error::InvalidInput`], [`Error::Config`],
    /// [`Error::Io`]), for those that are no request's failure (a device missing from the
    /// listing or ambiguous, [`Error::SessionNeedsAction`], [`Error::RepeatedPage`],
    /// [`Error::TooManyPages`], [`Error::Other`]), and for an error converted with `From` from
    /// a `sparkbot_api` error, such as `map_err(Error::from)` on a call of
    /// [`SparkBot::api`](crate::SparkBot::api) or on a list builder's `stream()`: the history
    /// is recorded only inside [`sparkbot_api::with_attempts`], which the conversion does not
    /// see.
    pub fn attempts(&self) -> &[AttemptRecord] {
        match self {
            Error::Timeout(t) | Error::Transport(t) => t.attempts(),
            Error::Decode { attempts, .. } | Error::UnexpectedStatus { attempts, .. } => attempts,
            Error::OutcomeUnknown { source, .. } => source.attempts(),
            Error::SessionSyncFailed { error, .. } => error.attempts(),
            Error::SessionTimedOut { last_error, .. } => {
                last_error.as_deref().map_or(&[], Error::attempts)
            }
            other => other.api_failure().map_or(&[], ApiFailure::attempts),
        }
    }

    /// The same error with the attempts of the request that failed (see [`Error::attempts`]);
    /// an error with nowhere to keep them is returned as it is.
    pub(crate) fn with_attempts(mut self, attempts: Vec<AttemptRecord>) -> Self {
        self.set_attempts(attempts);
        self
    }

    fn set_attempts(&mut self, attempts: Vec<AttemptRecord>) {
        match self {
            Error::Timeout(t) | Error::Transport(t) => t.set_attempts(attempts),
            Error::Decode { attempts: kept, .. }
            | Error::UnexpectedStatus { attempts: kept, .. } => *kept = attempts,
            Error::OutcomeUnknown { source, .. } => source.set_attempts(attempts),
            Error::Unauthorized(f)
            | Error::Forbidden(f)
            | Error::NotFound(f)
            | Error::Conflict(f)
            | Error::Server(f)
            | Error::Api(f)
            | Error::RateLimited { response: f, .. }
            | Error::Validation { response: f }
            | Error::DeviceNotFound {
                response: Some(f), ..
            } => f.set_attempts(attempts),
            _ => {}
        }
    }

    /// The error response, when there was one.
    pub fn api_failure(&self) -> Option<&ApiFailure> {
        match self {
            Error::Unauthorized(f)
            | Error::Forbidden(f)
            | Error::NotFound(f)
            | Error::Conflict(f)
            | Error::Server(f)
            | Error::Api(f)
            | Error::RateLimited { response: f, .. }
            | Error::Validation { response: f } => Some(f),
            Error::DeviceNotFound { response, .. } => response.as_ref(),
            _ => None,
        }
    }

    /// The wait the server asked for, on a 429 with `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether trying again later may succeed: 429, 502, 503, 504, timeouts, connection errors.
    /// Never for [`Error::OutcomeUnknown`]: trying again may do the thing twice.
    pub fn is_transient(&self) -> bool {
        self.failure_kind().is_retryable()
    }

    /// How this failure looks to a [`RetryPolicy`](sparkbot_api::RetryPolicy).
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            Error::RateLimited { retry_after, .. } => FailureKind::RateLimited {
                retry_after: *retry_after,
            },
            Error::OutcomeUnknown { .. } => FailureKind::Permanent,
            Error::Timeout(_) => FailureKind::Timeout,
            Error::Transport(e) if e.is_connect() => FailureKind::Connect,
            Error::Transport(_) => FailureKind::Transport,
            Error::UnexpectedStatus { status, .. } => FailureKind::Status(*status),
            other => match other.api_failure() {
                Some(f) if f.status() == 503 => FailureKind::Unavailable {
                    retry_after: f.retry_after(),
                },
                Some(f) => FailureKind::Status(f.status()),
                None => FailureKind::Permanent,
            },
        }
    }
}

fn from_reqwest(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout(TransportFailure::new(e))
    } else {
        Error::Transport(TransportFailure::new(e))
    }
}

impl From<sparkbot_api::Error<ApiError>> for Error {
    fn from(e: sparkbot_api::Error<ApiError>) -> Self {
        use sparkbot_api::Error as E;
        let retry_after = e.retry_after();
        match e {
            E::InvalidRequest(reason) => Error::InvalidInput(reason),
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                from_reqwest(e)
            }
            E::ErrorResponse(response) => Error::from_failure(ApiFailure::from_response(&response)),
            E::InvalidResponsePayload(body, source) => Error::Decode {
                body,
                source,
                attempts: Vec::new(),
            },
            E::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                if status >= 400 {
                    Error::from_failure(ApiFailure::from_status(status, retry_after))
                } else {
                    Error::UnexpectedStatus {
                        status,
                        attempts: Vec::new(),
                    }
                }
            }
            E::Custom(message) => Error::Other(message),
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        from_reqwest(e)
    }
}

/// The errors of a list builder's `stream()`: a failed page maps as any call's error does, the
/// loop guard is [`Error::TooManyPages`], a repeated page [`Error::RepeatedPage`].
impl From<sparkbot_api::paging::PageError> for Error {
    fn from(e: sparkbot_api::paging::PageError) -> Self {
        use sparkbot_api::paging::PageError as P;
        match e {
            P::Api(e) => Error::from(e),
            P::TooManyPages { pages, .. } => Error::TooManyPages { pages },
            P::RepeatedPage {
                operation,
                page,
                size,
            } => Error::RepeatedPage {
                operation,
                page,
                size,
            },
            other => Error::Other(other.to_string()),
        }
    }
}
