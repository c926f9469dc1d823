//! Request hooks every call goes through, generated or hand-written.
//!
//! They must live in this crate: `ClientHooks` is implemented for the generated `Client`, and
//! this impl wins over progenitor's blanket `impl ClientHooks for &Client` by autoref.

use std::time::Instant;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo, ResponseValue};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tracing::Instrument;

use crate::{Client, types};

/// Header set on an error response whose non-JSON body the client rewrote (see [`Client`] docs).
pub const SYNTHESIZED_ERROR_HEADER: &str = "x-sparkbot-synthesized-error";

/// The key under `meta` that keeps the raw body of a rewritten error response.
pub const RAW_BODY_META_KEY: &str = "sparkbot.rawBody";

/// Error bodies are small; anything longer is cut when kept as text.
const RAW_BODY_LIMIT: usize = 4096;

impl ClientHooks<()> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        // progenitor stamps every request with `api-version: <info.version>`; the SparkBot API
        // defines no such header, so it stays off the wire.
        request.headers_mut().remove("api-version");
        crate::validate::check(info.operation_id, request)
            .map_err(|why| Error::InvalidRequest(format!("{}: {why}", info.operation_id)))
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // Only the method, path and status are traced: headers (the API key) and bodies never are.
        let span = tracing::debug_span!(
            "sparkbot.request",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
        );
        async move {
            let started = Instant::now();
            let outcome = self.client().execute(request).await;
            match &outcome {
                Ok(response) => tracing::debug!(
                    status = response.status().as_u16(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "response"
                ),
                Err(err) => tracing::debug!(error = %err, "request failed"),
            }
            match outcome {
                Ok(response) if response.status().as_u16() >= 400 => {
                    typed_error_body(response).await
                }
                other => other,
            }
        }
        .instrument(span)
        .await
    }
}

/// Makes every error response decodable as [`types::ApiError`], so its status is never lost.
///
/// A proxy's HTML page or a truncated body would otherwise surface as a decode error without
/// the HTTP status. Such a body is replaced by an `ApiError` with the real status, no
/// `errorCode`, and the raw text under `meta["sparkbot.rawBody"]`; the response gains the
/// `x-sparkbot-synthesized-error` header so callers can tell.
async fn typed_error_body(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let mut headers = response.headers().clone();
    let body = response.bytes().await?;
    let body = if serde_json::from_slice::<types::ApiError>(&body).is_ok() {
        body.to_vec()
    } else {
        let text = String::from_utf8_lossy(&body);
        let kept: String = text.chars().take(RAW_BODY_LIMIT).collect();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            SYNTHESIZED_ERROR_HEADER,
            HeaderValue::from_static("non-json-body"),
        );
        headers.remove(reqwest::header::CONTENT_LENGTH);
        serde_json::to_vec(&serde_json::json!({
            "status": status.as_u16(),
            "message": format!(
                "HTTP {status}: the server sent a body that is not the API's JSON error \
                 (content-type {content_type}, {} bytes)",
                body.len()
            ),
            "meta": { RAW_BODY_META_KEY: kept },
        }))
        .expect("a JSON value always serialises")
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

impl Client {
    /// Sends a hand-written request through the same hooks as generated calls and sorts the
    /// response: 2xx is returned, 4xx/5xx become [`Error::ErrorResponse`], anything else
    /// [`Error::UnexpectedResponse`].
    pub(crate) async fn execute_handwritten(
        &self,
        mut request: reqwest::Request,
        operation_id: &'static str,
    ) -> Result<reqwest::Response, Error<types::ApiError>> {
        let info = OperationInfo { operation_id };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200..=299 => Ok(response),
            400..=599 => Err(Error::ErrorResponse(
                ResponseValue::from_response(response).await?,
            )),
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}
