//! [`Answer`]: a response of your own, for [`Fault::answer`](crate::Fault::answer).

use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

/// An HTTP response to send instead of the simulator's own, with
/// [`Fault::answer`](crate::Fault::answer): any status, any headers, any body. The request it
/// answers is not processed.
///
/// It starts with a status and an empty body; the body methods ([`json`](Answer::json),
/// [`html`](Answer::html), [`text`](Answer::text), [`body`](Answer::body)) set the body and
/// its `Content-Type`, and [`header`](Answer::header) sets any other header.
///
/// ```
/// use serde_json::json;
/// use sparkbot_testkit::Answer;
///
/// // A 429 in a shape the kit's own rate limit does not use, with a huge `Retry-After`.
/// let limited = Answer::new(429)
///     .retry_after(u64::MAX)
///     .json(json!({ "status": 429, "message": "slow down" }));
/// assert_eq!(limited.status(), 429);
/// assert_eq!(limited.header_value("retry-after"), Some("18446744073709551615"));
///
/// // A proxy's HTML page, where the API would answer JSON.
/// let proxy = Answer::new(404).html("<html><body>Cannot GET</body></html>");
/// assert_eq!(proxy.header_value("Content-Type"), Some("text/html; charset=utf-8"));
///
/// // The API's own JSON error body.
/// let gone = Answer::api_error(404, "device:not_found", "Device not found");
/// let body: serde_json::Value = serde_json::from_slice(gone.body_bytes()).unwrap();
/// assert_eq!(body, json!({ "status": 404, "errorCode": "device:not_found", "message": "Device not found" }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    status: u16,
    /// Names in lower case, each at most once, in the order first set.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    /// An answer with this status (100 to 999), no headers and an empty body.
    ///
    /// # Panics
    ///
    /// When `status` is not a valid HTTP status code.
    pub fn new(status: u16) -> Self {
        assert!(
            StatusCode::from_u16(status).is_ok(),
            "{status} is not an HTTP status code"
        );
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The API's JSON error body, `{"status", "errorCode", "message"}`, with this status, as
    /// the simulator's own errors have it.
    ///
    /// # Panics
    ///
    /// When `status` is not a valid HTTP status code.
    pub fn api_error(status: u16, error_code: &str, message: &str) -> Self {
        Self::new(status)
            .json(json!({ "status": status, "errorCode": error_code, "message": message }))
    }

    /// The body is this JSON, with `Content-Type: application/json; charset=utf-8`.
    pub fn json(self, body: Value) -> Self {
        self.body("application/json; charset=utf-8", body.to_string())
    }

    /// The body is this HTML page, with `Content-Type: text/html; charset=utf-8`.
    pub fn html(self, body: impl Into<String>) -> Self {
        self.body("text/html; charset=utf-8", body.into())
    }

    /// The body is this text, with `Content-Type: text/plain; charset=utf-8`.
    pub fn text(self, body: impl Into<String>) -> Self {
        self.body("text/plain; charset=utf-8", body.into())
    }

    /// The body is these bytes, with this `Content-Type`.
    ///
    /// # Panics
    ///
    /// When `content_type` is not a valid header value.
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    /// Sets a header (any case), replacing a value set before under the same name.
    /// `Content-Length` is the body's, whatever is set here.
    ///
    /// # Panics
    ///
    /// When `name` is not a valid header name or `value` not a valid header value.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|_| panic!("{name:?} is not a valid header name"));
        assert!(
            HeaderValue::from_str(&value).is_ok(),
            "{value:?} is not a valid value for the header {name}"
        );
        let name = name.as_str().to_owned();
        match self.headers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, old)) => *old = value,
            None => self.headers.push((name, value)),
        }
        self
    }

    /// Sets `Retry-After` to this many seconds.
    pub fn retry_after(self, seconds: u64) -> Self {
        self.header("retry-after", seconds.to_string())
    }

    /// Its status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The value of a header (any case), if it is set.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header set, names in lower case, in the order they were first set.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The body.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_set_twice_keeps_the_last_value() {
        let answer = Answer::new(503)
            .header("Retry-After", "1")
            .text("busy")
            .retry_after(2)
            .header("X-Trace", "abc");
        assert_eq!(answer.header_value("retry-after"), Some("2"));
        let headers: Vec<_> = answer.headers().collect();
        assert_eq!(
            headers,
            [
                ("retry-after", "2"),
                ("content-type", "text/plain; charset=utf-8"),
                ("x-trace", "abc"),
            ]
        );
        assert_eq!(answer.body_bytes(), b"busy");
    }

    #[test]
    fn a_later_body_replaces_the_content_type_too() {
        let answer = Answer::new(200).html("<p>x</p>").json(json!([1]));
        assert_eq!(
            answer.header_value("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(answer.body_bytes(), b"[1]");
    }

    #[test]
    #[should_panic(expected = "is not an HTTP status code")]
    fn the_status_is_checked() {
        let _ = Answer::new(42);
    }

    #[test]
    #[should_panic(expected = "is not a valid header name")]
    fn header_names_are_checked() {
        let _ = Answer::new(200).header("bad name", "x");
    }

    #[test]
    #[should_panic(expected = "is not a valid value")]
    fn header_values_are_checked() {
        let _ = Answer::new(200).header("x-bad", "line\nbreak");
    }
}
