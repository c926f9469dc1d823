//! A request to any API path: the node's "Other: Send Raw Request" action, for endpoints the spec
//! does not describe yet.
//!
//! It is a call like every generated one: the same hooks (auth, user agent, tracing, typed error
//! bodies) and the same error type. What it cannot give is a typed body, so the response is JSON
//! as `serde_json::Value`, or a byte stream.

use progenitor_client::{ByteStream, Error, ResponseValue};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};

use crate::{Client, OperationFacts, types};

/// The name a raw request carries in traces and hook errors.
pub const RAW_OPERATION_ID: &str = "rawRequest";

impl Client {
    /// Starts a request to `path`, an API path below the client's base URL (`/devices`,
    /// `/chat/5f0a…/chats`), with `method` (GET, POST, PUT, PATCH or DELETE, as the node offers).
    ///
    /// The path is checked before any I/O: it must start with `/` and hold no scheme, host,
    /// query, fragment, `..` segment, backslash or whitespace, so the request (and the API key)
    /// can only go to the configured API. Put query parameters in [`RawRequest::query`].
    ///
    /// A raw `POST /messages` is a send, treated as [`Client::send_message`] is: it gets a
    /// `reference` when its body has none, is paced per device, and is looked up rather than
    /// sent again when its outcome is unknown (see [`crate::delivery`]).
    ///
    /// ```no_run
    /// # async fn run(client: &sparkbot_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let devices = client
    ///     .raw_request(reqwest::Method::GET, "/devices")
    ///     .query("size", "100")
    ///     .send()
    ///     .await?
    ///     .into_inner();
    /// println!("{} devices", devices.as_array().map_or(0, Vec::len));
    /// # Ok(()) }
    /// ```
    pub fn raw_request(&self, method: Method, path: impl Into<String>) -> RawRequest<'_> {
        RawRequest {
            client: self,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }
}

/// Builder for [`Client::raw_request`].
#[derive(Debug, Clone)]
pub struct RawRequest<'a> {
    client: &'a Client,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<serde_json::Value>,
}

impl RawRequest<'_> {
    /// Adds a query parameter (repeat the call for a repeated name). Values are percent-encoded.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sends `body` as JSON. Not allowed with GET, as in the node.
    pub fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sends the request and decodes a 2xx body as JSON; an empty body is `Value::Null`.
    pub async fn send(self) -> Result<ResponseValue<serde_json::Value>, Error<types::ApiError>> {
        let response = self.execute("application/json", false).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(Error::ResponseBodyError)?;
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| Error::InvalidResponsePayload(bytes, e))?
        };
        Ok(ResponseValue::new(value, status, headers))
    }

    /// Sends the request and streams a 2xx body as it comes (files, QR images, CSV), without
    /// the JSON body limit.
    pub async fn stream(self) -> Result<ResponseValue<ByteStream>, Error<types::ApiError>> {
        Ok(ResponseValue::stream(self.execute("*/*", true).await?))
    }

    async fn execute(
        self,
        accept: &'static str,
        streamed: bool,
    ) -> Result<reqwest::Response, Error<types::ApiError>> {
        let Self {
            client,
            method,
            path,
            query,
            body,
        } = self;
        check_method(&method, body.is_some()).map_err(Error::InvalidRequest)?;
        let url = api_url(&client.baseurl, &path).map_err(Error::InvalidRequest)?;
        let mut builder = client
            .client
            .request(method, url)
            .header(ACCEPT, HeaderValue::from_static(accept));
        if !query.is_empty() {
            builder = builder.query(&query);
        }
        if let Some(body) = &body {
            builder = builder.json(body);
        }
        let request = builder.build().map_err(|e| {
            Error::InvalidRequest(format!("{RAW_OPERATION_ID}: cannot build the request: {e}"))
        })?;
        let mut facts = OperationFacts::of(RAW_OPERATION_ID, request.method());
        if is_a_send(request.method(), &path) {
            // The same message as `send_message` sends: the same reference, reconciliation,
            // pacing and at-most-once rules.
            facts = OperationFacts::of(SEND_OPERATION_ID, request.method());
        }
        facts.streamed = streamed;
        client
            .execute_with_facts(request, RAW_OPERATION_ID, facts)
            .await
    }
}

/// The generated operation a raw `POST /messages` does.
const SEND_OPERATION_ID: &str = "send_message";

/// Whether a raw request sends a message (`POST /messages`, with or without a trailing `/`).
fn is_a_send(method: &Method, path: &str) -> bool {
    *method == Method::POST && path.trim_end_matches('/') == "/messages"
}

fn check_method(method: &Method, has_body: bool) -> Result<(), String> {
    let allowed = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    if !allowed.contains(method) {
        return Err(format!(
            "{RAW_OPERATION_ID}: method {method} is not one the API uses (GET, POST, PUT, PATCH, DELETE)"
        ));
    }
    if has_body && *method == Method::GET {
        return Err(format!(
            "{RAW_OPERATION_ID}: a GET request cannot carry a body"
        ));
    }
    Ok(())
}

/// Joins an API path to the base URL, refusing anything that could leave the API's origin or
/// its base path.
fn api_url(base: &str, path: &str) -> Result<reqwest::Url, String> {
    let bad = |why: &str| Err(format!("{RAW_OPERATION_ID}: API path {path:?} {why}"));
    if !path.starts_with('/') {
        return bad("must start with `/`");
    }
    if path.starts_with("//") || path.contains("://") {
        return bad("must be a path, not a URL");
    }
    if let Some(c) = path
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\'))
    {
        return bad(&format!(
            "must not contain {c:?} (put query parameters in .query())"
        ));
    }
    if path.split('/').any(|segment| {
        let lower = segment.to_ascii_lowercase();
        matches!(
            lower.as_str(),
            "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
        )
    }) {
        return bad("must not contain `.` or `..` segments");
    }
    let base_url =
        reqwest::Url::parse(base).map_err(|e| format!("{RAW_OPERATION_ID}: base URL: {e}"))?;
    let url = reqwest::Url::parse(&format!("{}{path}", base.trim_end_matches('/')))
        .or_else(|e| bad(&format!("does not form a URL: {e}")))?;
    if url.origin() != base_url.origin()
        || !url
            .path()
            .starts_with(base_url.path().trim_end_matches('/'))
    {
        return bad("leaves the API's base URL");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://api.example.com/v1";

    #[test]
    fn api_paths_join_below_the_base() {
        let url = api_url(
            BASE,
            "/chat/5f0a1b2c3d4e5f6a7b8c9d0e/chats/447362053576@c.us",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.example.com/v1/chat/5f0a1b2c3d4e5f6a7b8c9d0e/chats/447362053576@c.us"
        );
        assert_eq!(
            api_url("https://api.example.com/v1/", "/devices")
                .unwrap()
                .as_str(),
            "https://api.example.com/v1/devices"
        );
    }

    #[test]
    fn paths_that_could_leave_the_api_are_refused() {
        for (path, why) in [
            ("devices", "must start with `/`"),
            ("//evil.example/x", "must be a path"),
            ("/x/https://evil.example", "must be a path"),
            ("/devices?size=1", "must not contain '?'"),
            ("/devices#x", "must not contain '#'"),
            ("/a b", "must not contain ' '"),
            ("/a\\..\\b", "must not contain '\\\\'"),
            ("/../admin", "`.` or `..` segments"),
            ("/x/%2E%2E/y", "`.` or `..` segments"),
        ] {
            let err = api_url(BASE, path).unwrap_err();
            assert!(err.contains(why), "{path}: {err}");
        }
    }

    #[test]
    fn methods_are_the_apis_and_get_has_no_body() {
        assert!(check_method(&Method::DELETE, true).is_ok());
        assert!(check_method(&Method::GET, false).is_ok());
        assert!(
            check_method(&Method::GET, true)
                .unwrap_err()
                .contains("cannot carry a body")
        );
        assert!(
            check_method(&Method::TRACE, false)
                .unwrap_err()
                .contains("not one the API uses")
        );
    }
}
