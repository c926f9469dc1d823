//! Typed accessors for the facts of a failed call, whichever way it failed.

use std::time::Duration;

use crate::body::{BodyTooLarge, RAW_BODY_META_KEY, SYNTHESIZED_ERROR_HEADER};
use crate::delivery::{status_leaves_outcome_unknown, transport_leaves_outcome_unknown};
use crate::redirect::RedirectRefused;
use crate::retry::retry_after_in;
use crate::{Error, ResponseValue, types};

/// What a failed call can tell, read through methods instead of headers or JSON keys.
///
/// ```no_run
/// # async fn run(client: &sparkbot_api::Client) {
/// use sparkbot_api::ErrorFacts;
/// if let Err(err) = client.list_devices().send().await {
///     eprintln!("status {:?}, code {:?}: {err}", err.status_code(), err.error_code());
/// }
/// # }
/// ```
pub trait ErrorFacts {
    /// The HTTP status, when a response came back.
    fn status_code(&self) -> Option<u16>;
    /// The API's error body, when the server answered with one (or the client synthesized one
    /// from a body that was not JSON: see [`ErrorFacts::is_synthesized`]).
    fn api_error(&self) -> Option<&types::ApiError>;
    /// The API's `errorCode` (`participant:not_found`), when it sent one.
    fn error_code(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.error_code.as_deref())
    }
    /// Whether the error body was not the API's JSON (a proxy's HTML page, a body too large)
    /// and the client built the `ApiError` itself from the status.
    fn is_synthesized(&self) -> bool;
    /// At most 4 KiB of a body that was not the API's JSON.
    fn raw_body(&self) -> Option<&str>;
    /// The wait the server asked for in `Retry-After` (seconds or an HTTP date).
    fn retry_after(&self) -> Option<Duration>;
    /// The body limit a response went past, if that is why the call failed.
    fn body_too_large(&self) -> Option<&BodyTooLarge>;
    /// The redirect the client refused to follow, if that is why the call failed.
    fn redirect_refused(&self) -> Option<&RedirectRefused>;
    /// The transport error (refused, reset, timeout, certificate…), if the call failed there.
    fn transport_error(&self) -> Option<&reqwest::Error>;
    /// Whether the request may have been processed by the server although the call failed: a
    /// timeout or a dropped connection after the request went out, or a 5xx other than 503.
    /// For a send, this means the message may have been sent.
    fn outcome_unknown(&self) -> bool;
}

/// The error response itself (`Error::ErrorResponse(rv)`) has the same facts, those of a
/// response.
impl ErrorFacts for ResponseValue<types::ApiError> {
    fn status_code(&self) -> Option<u16> {
        Some(self.status().as_u16())
    }

    fn api_error(&self) -> Option<&types::ApiError> {
        Some(self)
    }

    fn is_synthesized(&self) -> bool {
        self.headers().contains_key(SYNTHESIZED_ERROR_HEADER)
    }

    fn raw_body(&self) -> Option<&str> {
        if !self.is_synthesized() {
            return None;
        }
        self.meta.get(RAW_BODY_META_KEY)?.as_str()
    }

    fn retry_after(&self) -> Option<Duration> {
        retry_after_in(self.headers())
    }

    fn body_too_large(&self) -> Option<&BodyTooLarge> {
        None
    }

    fn redirect_refused(&self) -> Option<&RedirectRefused> {
        None
    }

    fn transport_error(&self) -> Option<&reqwest::Error> {
        None
    }

    fn outcome_unknown(&self) -> bool {
        status_leaves_outcome_unknown(self.status())
    }
}

impl ErrorFacts for Error<types::ApiError> {
    fn status_code(&self) -> Option<u16> {
        self.status().map(|s| s.as_u16())
    }

    fn api_error(&self) -> Option<&types::ApiError> {
        match self {
            Error::ErrorResponse(rv) => Some(rv),
            _ => None,
        }
    }

    fn is_synthesized(&self) -> bool {
        matches!(self, Error::ErrorResponse(rv) if rv.is_synthesized())
    }

    fn raw_body(&self) -> Option<&str> {
        match self {
            Error::ErrorResponse(rv) => rv.raw_body(),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::ErrorResponse(rv) => rv.retry_after(),
            Error::UnexpectedResponse(r) => retry_after_in(r.headers()),
            _ => None,
        }
    }

    fn body_too_large(&self) -> Option<&BodyTooLarge> {
        find_source(self.transport_error()?)
    }

    fn redirect_refused(&self) -> Option<&RedirectRefused> {
        find_source(self.transport_error()?)
    }

    fn transport_error(&self) -> Option<&reqwest::Error> {
        match self {
            Error::CommunicationError(e)
            | Error::ResponseBodyError(e)
            | Error::InvalidUpgrade(e) => Some(e),
            _ => None,
        }
    }

    fn outcome_unknown(&self) -> bool {
        match self {
            Error::CommunicationError(e) => transport_leaves_outcome_unknown(e),
            Error::ResponseBodyError(_) => true,
            Error::ErrorResponse(rv) => rv.outcome_unknown(),
            Error::UnexpectedResponse(r) => status_leaves_outcome_unknown(r.status()),
            _ => false,
        }
    }
}

/// The first error of type `T` in the source chain of `err`.
fn find_source<T: std::error::Error + 'static>(err: &reqwest::Error) -> Option<&T> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(found) = s.downcast_ref::<T>() {
            return Some(found);
        }
        source = s.source();
    }
    None
}
