//! The one request pipeline: every call, generated or hand-written, passes these phases.
//!
//! 1. **check** (`pre` hook): progenitor's `api-version` header off, the request limits of the
//!    spec checked before any I/O.
//! 2. **attempt** (`exec` hook): send, classify the outcome ([`classify`], pure), and let the
//!    [`RetryPolicy`] decide (pure) whether to wait and send a clone again. A request that may
//!    have reached the server is re-sent only when the operation is idempotent (from the
//!    generated `OPERATION_FACTS`) or the policy's [`NonIdempotentRetry`] allows it.
//! 3. **bound** the response: JSON bodies (error bodies too) are read up to
//!    [`ClientConfig::max_response_body`](crate::ClientConfig::max_response_body); a file
//!    download streams unbounded; an error body that is not the API's JSON becomes a typed
//!    `ApiError` that keeps the status.
//!
//! A send (`x-sparkbot-send`) also gets a reference and, when its outcome is unknown, a lookup
//! of that reference before anything is sent again ([`crate::delivery`]); every attempt of every
//! request first takes a slot from the pacer ([`crate::pacing`]).
//!
//! Redirects (same origin only, never https to http) and the absent `Referer` are settled when
//! the HTTP client is built (see [`crate::redirect`]).

use std::sync::Arc;
use std::time::Instant;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::StatusCode;
use tracing::Instrument;

use crate::attempts::{AttemptRecord, record, record_lookup, with_own_attempts};
use crate::body::{self, BodyLimit};
use crate::delivery::{self, Lookup, SendPolicy};
use crate::pacing::{PaceStore, Pacing, Rule, Scope, ScopeKind, Signal};
use crate::retry::{Attempt, Decision, FailureKind, RetryPolicy, jitter, retry_after_in};
use crate::{Client, generated};

/// What the pipeline knows of an operation beyond what progenitor keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationFacts {
    /// May be re-sent after it may have reached the server.
    pub idempotent: bool,
    /// The success body is a file that streams without the JSON body limit.
    pub streamed: bool,
    /// It sends a WhatsApp message: it gets a reference, is reconciled, and is paced per device.
    pub sends: bool,
}

impl OperationFacts {
    /// The facts of a generated operation; for a hand-written one, what its method implies.
    pub(crate) fn of(operation_id: &str, method: &reqwest::Method) -> Self {
        let table = generated::OPERATION_FACTS;
        match table.binary_search_by(|(name, _)| (*name).cmp(operation_id)) {
            Ok(i) => table[i].1,
            Err(_) => Self {
                idempotent: matches!(
                    *method,
                    reqwest::Method::GET
                        | reqwest::Method::HEAD
                        | reqwest::Method::OPTIONS
                        | reqwest::Method::PUT
                        | reqwest::Method::DELETE
                ),
                streamed: false,
                sends: false,
            },
        }
    }
}

/// What the attempt loop sends.
// Taken apart at once by the loop; boxing the owned request would cost an allocation a call.
#[allow(clippy::large_enum_variant)]
enum Outgoing<'r> {
    /// This request; a copy is kept for a retry while one may come.
    Owned(reqwest::Request),
    /// A copy of this one for every attempt: a send, which may be sent again after a lookup
    /// and so stays with its caller. Its body must be bytes.
    Copied(&'r reqwest::Request),
}

/// The pipeline's state, carried by every [`Client`] (clones share it cheaply).
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub(crate) retry: RetryPolicy,
    pub(crate) limit: BodyLimit,
    pub(crate) default_country_code: Option<String>,
    pub(crate) pacing: Pacing,
    pub(crate) pacer: Arc<dyn PaceStore>,
    /// The API key's scope, named by a fingerprint of the key.
    pub(crate) key_scope: Scope,
    pub(crate) send_policy: SendPolicy,
}

/// How one attempt's outcome looks to the retry policy; `None` when there is nothing to retry
/// (a success, or a status no retry can help).
pub fn classify(outcome: &reqwest::Result<reqwest::Response>) -> Option<FailureKind> {
    match outcome {
        Ok(response) => {
            let retry_after = || retry_after_in(response.headers());
            match response.status() {
                StatusCode::TOO_MANY_REQUESTS => Some(FailureKind::RateLimited {
                    retry_after: retry_after(),
                }),
                StatusCode::SERVICE_UNAVAILABLE => Some(FailureKind::Unavailable {
                    retry_after: retry_after(),
                }),
                StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => {
                    Some(FailureKind::Status(response.status().as_u16()))
                }
                _ => None,
            }
        }
        Err(e) if e.is_connect() => Some(FailureKind::Connect),
        Err(e) if e.is_timeout() => Some(FailureKind::Timeout),
        Err(e) if e.is_redirect() || e.is_builder() => None,
        Err(_) => Some(FailureKind::Transport),
    }
}

impl ClientHooks<Pipeline> for Client {
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
        let facts = OperationFacts::of(info.operation_id, request.method());
        // Boxed: the attempt loop's state (a spare request, the span, the pacer's futures)
        // would otherwise sit inline in every generated `send()` future, which callers move
        // and keep by the thousand (64 in flight cost 10 KiB each before this).
        if facts.sends {
            return Box::pin(self.send(request, info, facts)).await;
        }
        Box::pin(async move {
            let outcome = self
                .attempts(Outgoing::Owned(request), info, facts, &[])
                .await;
            self.bound(outcome, facts).await
        })
        .await
    }
}

impl Client {
    /// A send: a reference, the attempts, and when the outcome is unknown the lookup that
    /// settles it (and at most `max_resends` sends more, with the same reference).
    async fn send(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
        facts: OperationFacts,
    ) -> reqwest::Result<reqwest::Response> {
        let Some(send) = delivery::prepare(&mut request) else {
            let outcome = self
                .attempts(Outgoing::Owned(request), info, facts, &[])
                .await;
            return self.bound(outcome, facts).await;
        };
        let pipeline = self.inner();
        let scopes = delivery::send_scopes(&send, pipeline.pacing.min_gap_per_recipient.is_some());
        let policy = pipeline.send_policy;
        let mut resends = 0;
        loop {
            // `prepare` read the body as bytes, and bytes always clone: each attempt, and each
            // send again after a lookup, is a copy of `request`.
            let outcome = self
                .attempts(Outgoing::Copied(&request), info, facts, &scopes)
                .await;
            let outcome = buffered(self.bound(outcome, facts).await).await;
            if policy.lookups == 0 || !delivery::outcome_unknown(&outcome) {
                return outcome;
            }
            // The lookups keep their own history: the send's attempts stay the send's.
            let (lookup, _) = with_own_attempts(self.look_up_send(&send, &policy)).await;
            match lookup {
                Ok(message) => {
                    record_lookup(Lookup::Found);
                    // The server took it: the pacer counts it, or it learns too low a rate.
                    let scopes = self.scopes(&scopes);
                    for (scope, rule) in &scopes {
                        self.inner()
                            .pacer
                            .observe(scope, rule, Signal::Accepted)
                            .await;
                    }
                    tracing::debug!(operation = info.operation_id, "send found by its reference");
                    return Ok(delivery::found_response(&message));
                }
                Err(Lookup::Absent) if resends < policy.max_resends => {
                    record_lookup(Lookup::Absent);
                    tracing::debug!(
                        operation = info.operation_id,
                        "send not found: sending again"
                    );
                    resends += 1;
                }
                Err(lookup) => {
                    record_lookup(lookup);
                    return outcome;
                }
            }
        }
    }

    /// Takes a slot in every scope of the request (the key's first), waiting as the pacer
    /// says, for at most the retry policy's time budget.
    async fn pace(&self, scopes: &[(Scope, Rule)]) {
        let store = &self.inner().pacer;
        let deadline = tokio::time::Instant::now() + self.inner().retry.max_elapsed;
        for (scope, rule) in scopes {
            while let Err(wait) = store.try_take(scope, rule).await {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    // Past the budget the server decides: a 429 is retried like any other.
                    break;
                }
                tokio::time::sleep(wait.min(deadline - now)).await;
            }
        }
    }

    /// Tells the pacer what the server answered: every scope hears of a success; a refusal
    /// goes to the narrowest scope that limits rates (the device of a send, else the key).
    async fn observe(&self, scopes: &[(Scope, Rule)], response: &reqwest::Response) {
        let store = &self.inner().pacer;
        let signal = Signal::of_response(response.status().as_u16(), response.headers());
        if signal == Signal::Accepted {
            for (scope, rule) in scopes {
                store.observe(scope, rule, signal).await;
            }
        } else if let Some((scope, rule)) = scopes
            .iter()
            .rev()
            .find(|(s, _)| s.kind != ScopeKind::Recipient)
        {
            store.observe(scope, rule, signal).await;
        }
    }

    /// The scopes of a request: its key's, then those of its send.
    fn scopes(&self, extra: &[Scope]) -> Vec<(Scope, Rule)> {
        let pipeline = self.inner();
        if !pipeline.pacing.adaptive
            && pipeline.pacing.max_requests_per_second.is_none()
            && pipeline.pacing.max_sends_per_second.is_none()
            && pipeline.pacing.min_gap_per_recipient.is_none()
        {
            return Vec::new();
        }
        std::iter::once(&pipeline.key_scope)
            .chain(extra)
            .map(|s| (s.clone(), pipeline.pacing.rule(s.kind, &pipeline.retry)))
            .collect()
    }

    /// The attempt loop: pace, send, classify, decide, wait, send a clone.
    async fn attempts(
        &self,
        outgoing: Outgoing<'_>,
        info: &OperationInfo,
        facts: OperationFacts,
        extra_scopes: &[Scope],
    ) -> reqwest::Result<reqwest::Response> {
        let policy = &self.inner().retry;
        let scopes = self.scopes(extra_scopes);
        let started = Instant::now();
        let (mut next, template) = match outgoing {
            Outgoing::Owned(request) => (Some(request), None),
            Outgoing::Copied(template) => (None, Some(template)),
        };
        let mut number = 0u32;
        loop {
            number += 1;
            let request = match (next.take(), template) {
                (Some(request), _) => request,
                (None, Some(template)) => template
                    .try_clone()
                    .expect("`Outgoing::Copied` holds a request whose body is bytes"),
                (None, None) => unreachable!("an owned request is set before every attempt"),
            };
            // A body that cannot be cloned (a streamed upload) gets one attempt; the last
            // attempt the policy allows, and a request copied from a template, need no spare.
            let spare = if template.is_none() && number < policy.max_attempts {
                request.try_clone()
            } else {
                None
            };
            let span = tracing::debug_span!(
                "sparkbot.attempt",
                operation = info.operation_id,
                method = %request.method(),
                path = request.url().path(),
                attempt = number,
            );
            self.pace(&scopes).await;
            let sent = Instant::now();
            let outcome = self
                .client()
                .execute(request)
                .instrument(span.clone())
                .await;
            if let Ok(response) = &outcome
                && !scopes.is_empty()
            {
                self.observe(&scopes, response).await;
            }
            let status = outcome.as_ref().ok().map(|r| r.status().as_u16());
            let failure = classify(&outcome);
            let decision = failure.map(|kind| {
                let attempt = Attempt {
                    number,
                    elapsed: started.elapsed(),
                    idempotent: facts.idempotent,
                };
                policy.decide(&attempt, &kind, jitter())
            });
            let wait = match (decision, spare) {
                (Some(Decision::Retry(wait)), Some(spare)) => {
                    next = Some(spare);
                    Some(wait)
                }
                (Some(Decision::Retry(wait)), None) if template.is_some() => Some(wait),
                _ => None,
            };
            span.in_scope(|| match &outcome {
                Ok(_) => tracing::debug!(
                    status,
                    elapsed_ms = sent.elapsed().as_millis() as u64,
                    wait_ms = wait.map(|w| w.as_millis() as u64),
                    "response"
                ),
                Err(err) => tracing::debug!(
                    error = %err,
                    wait_ms = wait.map(|w| w.as_millis() as u64),
                    "request failed"
                ),
            });
            record(AttemptRecord {
                number,
                status,
                failure,
                wait,
                lookup: None,
            });
            let Some(wait) = wait else {
                return outcome;
            };
            // The failed response is dropped unread: a 200 MB error page is not downloaded.
            drop(outcome);
            tokio::time::sleep(wait).await;
        }
    }

    /// Bounds what the caller will read of the final response.
    async fn bound(
        &self,
        outcome: reqwest::Result<reqwest::Response>,
        facts: OperationFacts,
    ) -> reqwest::Result<reqwest::Response> {
        let response = outcome?;
        let limit = self.inner().limit;
        if response.status().as_u16() >= 400 {
            return body::typed_error_body(response, limit).await;
        }
        if facts.streamed {
            return Ok(response);
        }
        Ok(body::limited(response, limit))
    }

    /// Sends a hand-written request through the same phases as generated calls and sorts the
    /// response: 2xx is returned, 4xx/5xx become [`Error::ErrorResponse`], anything else
    /// [`Error::UnexpectedResponse`]. `streamed` lifts the JSON body limit (downloads).
    pub(crate) async fn execute_handwritten(
        &self,
        request: reqwest::Request,
        operation_id: &'static str,
        streamed: bool,
    ) -> Result<reqwest::Response, Error<crate::types::ApiError>> {
        let mut facts = OperationFacts::of(operation_id, request.method());
        facts.streamed = streamed;
        self.execute_with_facts(request, operation_id, facts).await
    }

    /// [`Client::execute_handwritten`] with the facts given, for a hand-written request that
    /// does what a generated operation does (a raw `POST /messages` is a send).
    pub(crate) async fn execute_with_facts(
        &self,
        mut request: reqwest::Request,
        operation_id: &'static str,
        facts: OperationFacts,
    ) -> Result<reqwest::Response, Error<crate::types::ApiError>> {
        let info = OperationInfo { operation_id };
        self.pre(&mut request, &info).await?;
        let result = if facts.sends {
            // Boxed: a send's lookup is itself a hand-written request.
            Box::pin(self.send(request, &info, facts)).await
        } else {
            let outcome = self
                .attempts(Outgoing::Owned(request), &info, facts, &[])
                .await;
            self.bound(outcome, facts).await
        };
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200..=299 => Ok(response),
            400..=599 => Err(Error::ErrorResponse(
                progenitor_client::ResponseValue::from_response(response).await?,
            )),
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }

    /// The retry policy every call of this client runs under.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner().retry
    }

    /// The same client (same connections, same key) with another retry policy, for one call
    /// that needs different rules: `client.with_retry(RetryPolicy::none()).send_message()…`.
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        let mut inner = self.inner().clone();
        inner.retry = policy;
        Client::new_with_client(&self.baseurl, self.client.clone(), inner)
    }

    /// The rule for sends whose outcome is unknown.
    pub fn send_policy(&self) -> &SendPolicy {
        &self.inner().send_policy
    }

    /// The same client with another rule for sends whose outcome is unknown (for one call:
    /// `client.with_send_policy(SendPolicy::never_resend()).send_message()…`).
    pub fn with_send_policy(&self, policy: SendPolicy) -> Client {
        let mut inner = self.inner().clone();
        inner.send_policy = policy;
        Client::new_with_client(&self.baseurl, self.client.clone(), inner)
    }

    /// The pacing rules every request of this client follows.
    pub fn pacing(&self) -> &Pacing {
        &self.inner().pacing
    }

    /// The country calling code the configuration set for reading national phone numbers.
    pub fn default_country_code(&self) -> Option<&str> {
        self.inner().default_country_code.as_deref()
    }

    /// The largest JSON response body this client reads.
    pub fn max_response_body(&self) -> u64 {
        self.inner().limit.max_bytes
    }
}

/// A send's 2xx answer read to its end (within the body limit), so that a body that breaks
/// off counts as an unknown outcome, which a lookup can settle.
async fn buffered(
    outcome: reqwest::Result<reqwest::Response>,
) -> reqwest::Result<reqwest::Response> {
    let response = outcome?;
    if !response.status().is_success() {
        return Ok(response);
    }
    // Taken apart rather than copied: the headers move into the rebuilt response, and the
    // body is collected as it is (a `reqwest::Response` around it would parse a URL).
    let (parts, body) = http::Response::from(response).into_parts();
    let bytes = http_body_util::BodyExt::collect(body).await?.to_bytes();
    Ok(reqwest::Response::from(http::Response::from_parts(
        parts, bytes,
    )))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> reqwest::Result<reqwest::Response> {
        let mut builder = http::Response::builder().status(status);
        if let Some(v) = retry_after {
            builder = builder.header("retry-after", v);
        }
        Ok(reqwest::Response::from(builder.body(Vec::new()).unwrap()))
    }

    #[test]
    fn statuses_are_classified_with_their_retry_after() {
        assert_eq!(
            classify(&response(429, Some("3"))),
            Some(FailureKind::RateLimited {
                retry_after: Some(Duration::from_secs(3))
            })
        );
        assert_eq!(
            classify(&response(503, Some("7"))),
            Some(FailureKind::Unavailable {
                retry_after: Some(Duration::from_secs(7))
            })
        );
        assert_eq!(
            classify(&response(503, Some("soon"))),
            Some(FailureKind::Unavailable { retry_after: None })
        );
        assert_eq!(
            classify(&response(502, None)),
            Some(FailureKind::Status(502))
        );
        assert_eq!(
            classify(&response(504, None)),
            Some(FailureKind::Status(504))
        );
        for status in [200, 201, 204, 400, 401, 404, 409, 500] {
            assert_eq!(classify(&response(status, None)), None, "{status}");
        }
    }

    #[test]
    fn facts_come_from_the_table_or_the_method() {
        let send = OperationFacts::of("send_message", &reqwest::Method::POST);
        assert!(!send.idempotent && !send.streamed);
        assert!(OperationFacts::of("download_file", &reqwest::Method::GET).streamed);
        assert!(OperationFacts::of("check_number_exists", &reqwest::Method::POST).idempotent);
        assert!(OperationFacts::of("rawRequest", &reqwest::Method::DELETE).idempotent);
        assert!(!OperationFacts::of("rawRequest", &reqwest::Method::PATCH).idempotent);
    }
}
