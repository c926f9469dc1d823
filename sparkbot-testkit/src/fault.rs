//! Fault injection: what goes wrong, and for which requests.

use std::time::Duration;

/// What an injected fault does to a request it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// `429 Too Many Requests` with the API's JSON error body and, when set, a `Retry-After`
    /// header in whole seconds. The request is not processed.
    RateLimited {
        /// The `Retry-After` header's value, in seconds.
        retry_after: Option<u64>,
    },
    /// A 5xx with the API's JSON error body. The request is not processed.
    ServerError {
        /// The status, 500 to 599.
        status: u16,
    },
    /// A 5xx with an HTML page for a body, as a proxy or load balancer in front of the API
    /// sends it. The request is not processed.
    ServerErrorHtml {
        /// The status, 500 to 599.
        status: u16,
    },
    /// The connection is closed before the request is processed: nothing is stored and no
    /// response is sent.
    DropBefore,
    /// The request is processed (a message is stored, a webhook registered…), then the
    /// connection is closed without a response: the client cannot know it succeeded.
    DropAfter,
    /// The request is processed at once, and the response is held back for this long (real
    /// time, on the tokio clock).
    Delay(Duration),
}

impl FaultKind {
    /// A short name for the kind, as [`RequestRecord::fault`](crate::RequestRecord::fault)
    /// reports it: `rate_limited`, `server_error`, `server_error_html`, `drop_before`,
    /// `drop_after` or `delay`.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::RateLimited { .. } => "rate_limited",
            FaultKind::ServerError { .. } => "server_error",
            FaultKind::ServerErrorHtml { .. } => "server_error_html",
            FaultKind::DropBefore => "drop_before",
            FaultKind::DropAfter => "drop_after",
            FaultKind::Delay(_) => "delay",
        }
    }
}

/// A fault to inject with [`Simulator::inject`](crate::Simulator::inject): a [`FaultKind`],
/// which requests it applies to (a method and an API path prefix, both optional), and how many
/// of them (one unless [`times`](Fault::times) says otherwise).
///
/// ```
/// use std::time::Duration;
/// use sparkbot_testkit::Fault;
///
/// // The next two sends are rate limited; every other request is served as usual.
/// let fault = Fault::rate_limited(1).on("POST", "/messages").times(2);
/// assert_eq!(fault.remaining(), 2);
/// // The next request of any kind is answered 5 s late.
/// let slow = Fault::delay(Duration::from_secs(5));
/// # let _ = slow;
/// ```
///
/// Faults are matched in the order they were injected, before authentication, and each match
/// uses one of the fault's requests. A fault that has used them all is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    method: Option<String>,
    path_prefix: Option<String>,
    times: usize,
}

impl Fault {
    /// A fault of `kind` for the next request, whatever it is.
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            method: None,
            path_prefix: None,
            times: 1,
        }
    }

    /// `429` with `Retry-After: <seconds>`.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self::new(FaultKind::RateLimited {
            retry_after: Some(retry_after_seconds),
        })
    }

    /// `429` with no `Retry-After` header.
    pub fn rate_limited_without_retry_after() -> Self {
        Self::new(FaultKind::RateLimited { retry_after: None })
    }

    /// A 5xx (`status`, 500 to 599) with the API's JSON error body.
    ///
    /// # Panics
    ///
    /// When `status` is not a 5xx.
    pub fn server_error(status: u16) -> Self {
        assert!((500..600).contains(&status), "{status} is not a 5xx");
        Self::new(FaultKind::ServerError { status })
    }

    /// A 5xx (`status`, 500 to 599) with an HTML body, as a proxy sends it.
    ///
    /// # Panics
    ///
    /// When `status` is not a 5xx.
    pub fn server_error_html(status: u16) -> Self {
        assert!((500..600).contains(&status), "{status} is not a 5xx");
        Self::new(FaultKind::ServerErrorHtml { status })
    }

    /// The connection closes before the request is processed.
    pub fn drop_before() -> Self {
        Self::new(FaultKind::DropBefore)
    }

    /// The request is processed, then the connection closes with no response.
    pub fn drop_after() -> Self {
        Self::new(FaultKind::DropAfter)
    }

    /// The request is processed at once and answered `delay` later.
    pub fn delay(delay: Duration) -> Self {
        Self::new(FaultKind::Delay(delay))
    }

    /// Only requests with this method (any case) whose API path, the part after `/v1`, starts
    /// with `path_prefix` (`"/messages"` matches `/messages` and `/messages/{id}`).
    pub fn on(self, method: &str, path_prefix: &str) -> Self {
        self.method(method).path(path_prefix)
    }

    /// Only requests with this method (any case).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests whose API path (after `/v1`) starts with `prefix`.
    pub fn path(mut self, prefix: &str) -> Self {
        let prefix = prefix.strip_prefix("/v1").unwrap_or(prefix);
        self.path_prefix = Some(if prefix.starts_with('/') {
            prefix.to_owned()
        } else {
            format!("/{prefix}")
        });
        self
    }

    /// The fault applies to the next `n` matching requests (at least one).
    pub fn times(mut self, n: usize) -> Self {
        self.times = n.max(1);
        self
    }

    /// What the fault does.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }

    /// How many more matching requests it applies to.
    pub fn remaining(&self) -> usize {
        self.times
    }

    /// Whether the fault applies to a request with this method and API path.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
    }

    /// Uses one of its requests.
    pub(crate) fn consume(&mut self) {
        self.times = self.times.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_match_by_method_and_path_prefix() {
        let fault = Fault::drop_after().on("post", "/v1/messages");
        assert!(fault.matches("POST", "/messages"));
        assert!(fault.matches("POST", "/messages/abc"));
        assert!(!fault.matches("GET", "/messages"));
        assert!(!fault.matches("POST", "/webhooks"));
        let any = Fault::server_error(503);
        assert!(any.matches("DELETE", "/webhooks/x"));
    }

    #[test]
    fn a_fault_is_used_up() {
        let mut fault = Fault::rate_limited(1).times(2);
        fault.consume();
        assert!(fault.matches("GET", "/devices"));
        fault.consume();
        assert!(!fault.matches("GET", "/devices"));
        assert_eq!(fault.remaining(), 0);
    }

    #[test]
    #[should_panic(expected = "is not a 5xx")]
    fn a_server_error_is_a_5xx() {
        let _ = Fault::server_error(404);
    }
}
