//! Bounded response bodies, and error bodies that always decode as the API's error.
//!
//! A JSON body larger than the limit is a typed error ([`BodyTooLarge`]) without reading on:
//! refused at once when `Content-Length` says so, cut off at the limit otherwise. The default
//! limit, 32 MiB, is far above any real JSON answer of this API (a full page of 500 groups with
//! their participants is a few MiB) and far below what would hurt a service's memory.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Serialize;

use crate::types;

/// The default for [`ClientConfig::max_response_body`](crate::ClientConfig::max_response_body).
pub const DEFAULT_MAX_RESPONSE_BODY: u64 = 32 * 1024 * 1024;

/// How much of a non-JSON error body (an HTML error page) is kept as text.
pub(crate) const RAW_BODY_KEPT: usize = 4096;

/// Header set on an error response whose non-JSON body the client rewrote: the representation
/// behind [`ErrorFacts::is_synthesized`](crate::ErrorFacts::is_synthesized), not a contract.
pub(crate) const SYNTHESIZED_ERROR_HEADER: &str = "x-sparkbot-synthesized-error";

/// The key under `meta` that keeps the raw body of a rewritten error response: the
/// representation behind [`ErrorFacts::raw_body`](crate::ErrorFacts::raw_body).
pub(crate) const RAW_BODY_META_KEY: &str = "sparkbot.rawBody";

/// The response body limit in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    /// Bytes of a JSON body read at most.
    pub max_bytes: u64,
}

/// A response body was larger than the client's limit; it was not read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the response body is larger than the {limit}-byte limit{}; it was not read \
     (raise ClientConfig::max_response_body if this is expected)",
    declared.map(|d| format!(" ({d} bytes declared)")).unwrap_or_default()
)]
pub struct BodyTooLarge {
    /// The limit in force.
    pub limit: u64,
    /// What `Content-Length` declared, when it did.
    pub declared: Option<u64>,
}

/// The response with its body cut off, as an error, at `limit`.
pub(crate) fn limited(response: reqwest::Response, limit: BodyLimit) -> reqwest::Response {
    let max = limit.max_bytes;
    let declared = declared_length(&response);
    // hyper holds a body to its declared length, so one declared within the limit needs no
    // counting: only chunked bodies (no length) pay for the wrapper.
    if declared.is_some_and(|d| d <= max) {
        return response;
    }
    let (status, version, headers) = (
        response.status(),
        response.version(),
        response.headers().clone(),
    );
    let too_large = move || BodyTooLarge {
        limit: max,
        declared,
    };
    let body = if declared.is_some_and(|d| d > max) {
        drop(response);
        let refused = futures::stream::once(async move { Err::<Bytes, _>(too_large()) });
        reqwest::Body::wrap_stream(refused)
    } else {
        let mut seen = 0u64;
        // Boxed, so the limit error is itself the source reqwest reports, found by downcast.
        let counted = response
            .bytes_stream()
            .map(move |chunk| -> Result<Bytes, BoxError> {
                let chunk = chunk?;
                seen = seen.saturating_add(chunk.len() as u64);
                if seen > max {
                    return Err(Box::new(too_large()));
                }
                Ok(chunk)
            });
        reqwest::Body::wrap_stream(counted.into_stream())
    };
    rebuild(status, version, headers, body)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn rebuild(
    status: reqwest::StatusCode,
    version: reqwest::Version,
    headers: HeaderMap,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut rebuilt = http::Response::new(body.into());
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

/// Makes every error response decodable as [`types::ApiError`], so its status is never lost.
///
/// A proxy's HTML page, a truncated body or one over the limit would otherwise surface as a
/// decode error without the HTTP status. Such a body is replaced by an `ApiError` with the real
/// status, no `errorCode`, and at most 4 KiB of the raw text; the response is marked so that
/// [`ErrorFacts`](crate::ErrorFacts) can tell. At most `limit` bytes are read.
pub(crate) async fn typed_error_body(
    response: reqwest::Response,
    limit: BodyLimit,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let mut headers = response.headers().clone();
    let declared = declared_length(&response);
    let (body, complete) = read_at_most(response, limit.max_bytes).await?;
    if complete && serde_json::from_slice::<types::ApiError>(&body).is_ok() {
        return Ok(rebuild(status, version, headers, body));
    }
    let text = String::from_utf8_lossy(&body);
    let kept: String = text.chars().take(RAW_BODY_KEPT).collect();
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    let size = match (complete, declared) {
        (true, _) => format!("{} bytes", body.len()),
        (false, Some(d)) => format!("{d} bytes, over the {}-byte limit", limit.max_bytes),
        (false, None) => format!("over the {}-byte limit", limit.max_bytes),
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        SYNTHESIZED_ERROR_HEADER,
        HeaderValue::from_static("non-json-body"),
    );
    headers.remove(CONTENT_LENGTH);
    let synthesized = Synthesized {
        status: status.as_u16(),
        message: format!(
            "HTTP {status}: the server sent a body that is not the API's JSON error \
             (content-type {content_type}, {size})"
        ),
        meta: [(RAW_BODY_META_KEY, kept)].into_iter().collect(),
    };
    let json = serde_json::to_vec(&synthesized).expect("strings and numbers always serialise");
    Ok(rebuild(status, version, headers, json))
}

/// The body length the response announced, by its size hint or its `Content-Length`.
fn declared_length(response: &reqwest::Response) -> Option<u64> {
    response.content_length().or_else(|| {
        response
            .headers()
            .get(CONTENT_LENGTH)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
    })
}

#[derive(Serialize)]
struct Synthesized {
    status: u16,
    message: String,
    meta: std::collections::BTreeMap<&'static str, String>,
}

/// Reads up to `max` bytes; `complete` is false when the body went on past them.
async fn read_at_most(response: reqwest::Response, max: u64) -> reqwest::Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = usize::try_from(max)
            .unwrap_or(usize::MAX)
            .saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response whose body streams in two chunks, with `Content-Length` only if `declared`.
    fn response(body: &'static [u8], declared: Option<u64>) -> reqwest::Response {
        let mut builder = http::Response::builder().status(200);
        if let Some(d) = declared {
            builder = builder.header(CONTENT_LENGTH, d);
        }
        let (a, b) = body.split_at(body.len() / 2);
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>(a), Ok(b)]);
        reqwest::Response::from(builder.body(reqwest::Body::wrap_stream(chunks)).unwrap())
    }

    fn too_large(err: &reqwest::Error) -> Option<&BodyTooLarge> {
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            if let Some(found) = s.downcast_ref::<BodyTooLarge>() {
                return Some(found);
            }
            source = s.source();
        }
        None
    }

    #[tokio::test]
    async fn a_body_within_the_limit_reads_whole() {
        let limit = BodyLimit { max_bytes: 8 };
        let body = limited(response(b"[1,2,3]", None), limit)
            .bytes()
            .await
            .unwrap();
        assert_eq!(&body[..], b"[1,2,3]");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_a_typed_error() {
        let limit = BodyLimit { max_bytes: 4 };
        let err = limited(response(b"[1,2,3]", None), limit)
            .bytes()
            .await
            .unwrap_err();
        assert_eq!(
            too_large(&err),
            Some(&BodyTooLarge {
                limit: 4,
                declared: None
            })
        );
        let err = limited(response(b"[1,2,3]", Some(7)), limit)
            .bytes()
            .await
            .unwrap_err();
        assert_eq!(too_large(&err).unwrap().declared, Some(7));
    }

    #[tokio::test]
    async fn an_error_page_keeps_its_status_and_a_bounded_excerpt() {
        let page = http::Response::builder()
            .status(502)
            .header(CONTENT_TYPE, "text/html")
            .body(vec![b'x'; 100_000])
            .unwrap();
        let rewritten = typed_error_body(
            reqwest::Response::from(page),
            BodyLimit { max_bytes: 10_000 },
        )
        .await
        .unwrap();
        assert_eq!(rewritten.status(), 502);
        assert!(rewritten.headers().contains_key(SYNTHESIZED_ERROR_HEADER));
        let error: types::ApiError = rewritten.json().await.unwrap();
        assert_eq!(error.status, Some(502));
        assert!(error.message.unwrap().contains("over the 10000-byte limit"));
        let kept = error
            .meta
            .get(RAW_BODY_META_KEY)
            .and_then(|v| v.as_str())
            .unwrap();
        assert_eq!(kept.len(), RAW_BODY_KEPT);
    }
}
