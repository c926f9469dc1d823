//! The API's error response as the extras keep it: [`ApiFailure`] and its [`FieldError`]s.

use std::fmt;
use std::time::Duration;

use sparkbot_api::types::ApiError;
use sparkbot_api::{AttemptRecord, ErrorFacts, ResponseValue};

/// One field-level problem reported in the API's `errors` array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Where the problem is (a field path such as `phone`), when the API says.
    pub location: Option<String>,
    /// The machine-readable code, when given.
    pub error_code: Option<String>,
    /// The human-readable text, when given.
    pub message: Option<String>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.location.as_deref().unwrap_or("(request)");
        let text = self
            .message
            .as_deref()
            .or(self.error_code.as_deref())
            .unwrap_or("invalid");
        write!(f, "{location}: {text}")
    }
}

/// An error response as the API sent it: status, `errorCode`, message, details and raw body,
/// with the attempts of the request that ended in it ([`ApiFailure::attempts`]).
///
/// Boxed inside so that [`Error`](crate::Error) stays small on the happy path.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiFailure(Box<FailureData>);

#[derive(Clone, Debug, PartialEq)]
struct FailureData {
    status: u16,
    error_code: Option<String>,
    message: Option<String>,
    field_errors: Vec<FieldError>,
    meta: serde_json::Map<String, serde_json::Value>,
    retry_after: Option<Duration>,
    body: String,
    json_body: bool,
    attempts: Vec<AttemptRecord>,
}

impl ApiFailure {
    /// Builds a failure from the low-level error response.
    pub fn from_response(response: &ResponseValue<ApiError>) -> Self {
        let status = response.status().as_u16();
        let retry_after = response.retry_after();
        let synthesized = response.is_synthesized();
        let api: &ApiError = response;
        let body = match response.raw_body() {
            Some(raw) => raw.to_owned(),
            None => serde_json::to_string(api).unwrap_or_default(),
        };
        let mut meta = api.meta.clone();
        if synthesized {
            // The SDK's own note, not the server's.
            meta.clear();
        }
        Self(Box::new(FailureData {
            status,
            // A rewritten body's message is the SDK's own description, not the server's.
            error_code: api.error_code.clone(),
            message: if synthesized {
                None
            } else {
                api.message.clone()
            },
            field_errors: api
                .errors
                .iter()
                .map(|e| FieldError {
                    location: e.location.clone(),
                    error_code: e.error_code.clone(),
                    message: e.message.clone(),
                })
                .collect(),
            meta,
            retry_after,
            body,
            json_body: !synthesized,
            attempts: Vec::new(),
        }))
    }

    /// A failure known only by its status (the body was not read).
    pub fn from_status(status: u16, retry_after: Option<Duration>) -> Self {
        Self(Box::new(FailureData {
            status,
            error_code: None,
            message: None,
            field_errors: Vec::new(),
            meta: serde_json::Map::new(),
            retry_after,
            body: String::new(),
            json_body: false,
            attempts: Vec::new(),
        }))
    }

    /// The same failure with an `errorCode` (for tests of code that reads it).
    #[cfg(test)]
    pub(crate) fn with_error_code(mut self, code: &str) -> Self {
        self.0.error_code = Some(code.to_owned()).filter(|c| !c.is_empty());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The API's `errorCode`, such as `participant:not_found`.
    pub fn error_code(&self) -> Option<&str> {
        self.0.error_code.as_deref()
    }

    /// The API's human-readable `message`.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The per-field details of the `errors` array.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.0.field_errors
    }

    /// The `meta` object (for a duplicate file: `{"file": "<id>"}`).
    pub fn meta(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0.meta
    }

    /// The wait the server asked for in `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The body: the API's JSON error (re-serialised), or the raw text of a body that was not
    /// JSON (an HTML error page from a proxy, a truncated document), cut to 4 KiB.
    pub fn body(&self) -> &str {
        &self.0.body
    }

    /// Whether the body was the API's JSON error (`false` for HTML pages and the like).
    pub fn is_json(&self) -> bool {
        self.0.json_body
    }

    /// The attempts of the request, in order, the last one being the response kept here (see
    /// [`Error::attempts`](crate::Error::attempts)); empty for a failure built by hand with
    /// [`ApiFailure::from_response`] or [`ApiFailure::from_status`].
    pub fn attempts(&self) -> &[AttemptRecord] {
        &self.0.attempts
    }

    pub(crate) fn set_attempts(&mut self, attempts: Vec<AttemptRecord>) {
        self.0.attempts = attempts;
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.0.status)?;
        if let Some(code) = &self.0.error_code {
            write!(f, " [{code}]")?;
        }
        match &self.0.message {
            Some(message) => write!(f, ": {message}")?,
            None if !self.0.json_body && !self.0.body.is_empty() => {
                write!(f, ": non-JSON body {:?}", snippet(self.0.body.as_bytes()))?
            }
            None => {}
        }
        Ok(())
    }
}

pub(super) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut cut: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        cut.push('…');
    }
    cut
}

pub(super) fn fields_suffix(failure: &ApiFailure) -> String {
    if failure.0.field_errors.is_empty() {
        return String::new();
    }
    let fields: Vec<String> = failure
        .0
        .field_errors
        .iter()
        .map(|e| e.to_string())
        .collect();
    format!(" ({})", fields.join("; "))
}
