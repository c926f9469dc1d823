//! Fault injection: what goes wrong, and for which requests.

use std::time::Duration;

use crate::answer::Answer;

/// What an injected fault does to a request it matches.
///
/// Some kinds act before the request is processed (nothing is stored), others after it (the
/// work is done, and only the answer goes wrong): that is the difference a client sending
/// exactly once must tell apart.
///
/// | kind | processed? | the client sees |
/// |---|---|---|
/// | [`RateLimited`](FaultKind::RateLimited) | no | 429, maybe `Retry-After` |
/// | [`ServerError`](FaultKind::ServerError) | no | a 5xx, JSON |
/// | [`ServerErrorHtml`](FaultKind::ServerErrorHtml) | no | a 5xx, HTML |
/// | [`Answer`](FaultKind::Answer) | no | the [`Answer`] given |
/// | [`DropBefore`](FaultKind::DropBefore) | no | the connection closed |
/// | [`Hang`](FaultKind::Hang) | no | nothing, until it gives up |
/// | [`ServerErrorAfter`](FaultKind::ServerErrorAfter) | yes | a 5xx, JSON |
/// | [`DropAfter`](FaultKind::DropAfter) | yes | the connection closed |
/// | [`Delay`](FaultKind::Delay) | yes, at once | the answer, late |
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
    /// The request is processed (a message is stored, a webhook registered…), then answered
    /// with a 5xx and the API's JSON error body instead of the real answer: the client is
    /// told it failed, and it did not.
    ServerErrorAfter {
        /// The status, 500 to 599.
        status: u16,
    },
    /// The connection is closed before the request is processed: nothing is stored and no
    /// response is sent.
    DropBefore,
    /// The request is processed (a message is stored, a webhook registered…), then the
    /// connection is closed without a response: the client cannot know it succeeded.
    DropAfter,
    /// The request is processed at once (a message is stored at once), and the response is
    /// held back for this long (real time, on the tokio clock). A client whose timeout is
    /// shorter gives up on a request that succeeded.
    Delay(Duration),
    /// The request is not processed and never answered: the connection stays open until the
    /// client gives up (its timeout) or the simulator stops.
    Hang,
    /// This answer instead of the simulator's own. The request is not processed.
    Answer(Answer),
    /// The request is processed (a message is stored), and its real answer goes out with its
    /// full `Content-Length` but only the first `after` bytes of its body, then the connection
    /// closes: a 2xx whose body breaks off, which leaves a client not knowing what it got.
    CutOff {
        /// Bytes of the body sent before the connection closes.
        after: usize,
    },
}

impl FaultKind {
    /// A short name for the kind, as [`RequestRecord::fault`](crate::RequestRecord::fault)
    /// reports it: `rate_limited`, `server_error`, `server_error_html`, `server_error_after`,
    /// `drop_before`, `drop_after`, `delay`, `hang`, `answer` or `cut_off`.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::RateLimited { .. } => "rate_limited",
            FaultKind::ServerError { .. } => "server_error",
            FaultKind::ServerErrorHtml { .. } => "server_error_html",
            FaultKind::ServerErrorAfter { .. } => "server_error_after",
            FaultKind::DropBefore => "drop_before",
            FaultKind::DropAfter => "drop_after",
            FaultKind::Delay(_) => "delay",
            FaultKind::Hang => "hang",
            FaultKind::Answer(_) => "answer",
            FaultKind::CutOff { .. } => "cut_off",
        }
    }

    /// Whether the request is processed (a send stored) before the fault acts.
    pub fn processes_the_request(&self) -> bool {
        matches!(
            self,
            FaultKind::ServerErrorAfter { .. }
                | FaultKind::DropAfter
                | FaultKind::Delay(_)
                | FaultKind::CutOff { .. }
        )
    }
}

/// Which API paths a fault applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PathMatch {
    /// Paths that start with this.
    Prefix(String),
    /// Paths that are this route template, segment by segment.
    Route(String),
}

/// A fault to inject with [`Simulator::inject`](crate::Simulator::inject): a [`FaultKind`],
/// which requests it applies to (a method, and an API path prefix or route, both optional),
/// and how many of them (one unless [`times`](Fault::times) says otherwise).
///
/// ```
/// use std::time::Duration;
/// use sparkbot_testkit::{Answer, Fault};
///
/// // The next two sends are rate limited; every other request is served as usual.
/// let fault = Fault::rate_limited(1).on("POST", "/messages").times(2);
/// assert_eq!(fault.remaining(), 2);
/// // The next request of any kind is answered 5 s late.
/// let slow = Fault::delay(Duration::from_secs(5));
/// # let _ = slow;
/// // The next send is stored, and answered 500 all the same.
/// let stored = Fault::server_error_after(500).on("POST", "/messages");
/// assert!(stored.kind().processes_the_request());
/// // The next read of one device (not its `/sync`) gets a proxy's page.
/// let proxy = Fault::answer(Answer::new(404).html("<html>Cannot GET</html>"))
///     .on_route("GET", "/devices/{id}");
/// assert!(proxy.matches("GET", "/devices/5f0a1b2c3d4e5f6a7b8c9d0e"));
/// assert!(!proxy.matches("GET", "/devices/5f0a1b2c3d4e5f6a7b8c9d0e/sync"));
/// ```
///
/// Faults are matched in the order they were injected, before authentication, and each match
/// uses one of the fault's requests. A fault that has used them all is gone. To answer one
/// route with an exact sequence (a drop, then a 500, then a hang, then the real answer), see
/// [`Simulator::inject_sequence`](crate::Simulator::inject_sequence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    method: Option<String>,
    path: Option<PathMatch>,
    times: usize,
}

fn check_5xx(status: u16) {
    assert!((500..600).contains(&status), "{status} is not a 5xx");
}

impl Fault {
    /// A fault of `kind` for the next request, whatever it is.
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            method: None,
            path: None,
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

    /// A 5xx (`status`, 500 to 599) with the API's JSON error body; nothing is processed.
    ///
    /// # Panics
    ///
    /// When `status` is not a 5xx.
    pub fn server_error(status: u16) -> Self {
        check_5xx(status);
        Self::new(FaultKind::ServerError { status })
    }

    /// A 5xx (`status`, 500 to 599) with an HTML body, as a proxy sends it; nothing is
    /// processed.
    ///
    /// # Panics
    ///
    /// When `status` is not a 5xx.
    pub fn server_error_html(status: u16) -> Self {
        check_5xx(status);
        Self::new(FaultKind::ServerErrorHtml { status })
    }

    /// The request is processed (a send is stored), then answered with a 5xx (`status`, 500
    /// to 599) and the API's JSON error body: [`FaultKind::ServerErrorAfter`].
    ///
    /// # Panics
    ///
    /// When `status` is not a 5xx.
    pub fn server_error_after(status: u16) -> Self {
        check_5xx(status);
        Self::new(FaultKind::ServerErrorAfter { status })
    }

    /// The connection closes before the request is processed.
    pub fn drop_before() -> Self {
        Self::new(FaultKind::DropBefore)
    }

    /// The request is processed, then the connection closes with no response.
    pub fn drop_after() -> Self {
        Self::new(FaultKind::DropAfter)
    }

    /// The request is processed at once (a send is stored at once) and answered `delay`
    /// later: [`FaultKind::Delay`]. With a `delay` longer than the client's timeout, the
    /// client gives up on a request that succeeded.
    pub fn delay(delay: Duration) -> Self {
        Self::new(FaultKind::Delay(delay))
    }

    /// The request is not processed and never answered; the connection stays open until the
    /// client gives up: [`FaultKind::Hang`]. Give the client a short timeout.
    pub fn hang() -> Self {
        Self::new(FaultKind::Hang)
    }

    /// `answer` instead of the simulator's own; the request is not processed:
    /// [`FaultKind::Answer`].
    pub fn answer(answer: Answer) -> Self {
        Self::new(FaultKind::Answer(answer))
    }

    /// The request is processed (a send is stored), and its answer declares its whole body
    /// but stops after `after` bytes, then the connection closes: [`FaultKind::CutOff`].
    pub fn cut_off(after: usize) -> Self {
        Self::new(FaultKind::CutOff { after })
    }

    /// Only requests with this method (any case) whose API path, the part after `/v1`, starts
    /// with `path_prefix` (`"/messages"` matches `/messages` and `/messages/{id}`).
    pub fn on(self, method: &str, path_prefix: &str) -> Self {
        self.method(method).path(path_prefix)
    }

    /// Only requests with this method (any case) whose API path is the route template
    /// `route`: see [`route`](Fault::route).
    pub fn on_route(self, method: &str, route: &str) -> Self {
        self.method(method).route(route)
    }

    /// Only requests with this method (any case).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests whose API path (after `/v1`) starts with `prefix`. Replaces a
    /// [`route`](Fault::route) set before.
    pub fn path(mut self, prefix: &str) -> Self {
        self.path = Some(PathMatch::Prefix(api_path(prefix)));
        self
    }

    /// Only requests whose whole API path (after `/v1`) is the route template `route`, as
    /// the spec writes paths: segment by segment, a `{name}` segment matching any one
    /// segment. `"/devices/{id}"` matches `/devices/5f0a…` but neither `/devices` nor
    /// `/devices/5f0a…/sync`. Replaces a [`path`](Fault::path) prefix set before.
    pub fn route(mut self, route: &str) -> Self {
        self.path = Some(PathMatch::Route(api_path(route)));
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
            && self.path.as_ref().is_none_or(|p| match p {
                PathMatch::Prefix(prefix) => path.starts_with(prefix.as_str()),
                PathMatch::Route(route) => route_matches(route, path),
            })
    }

    /// Uses one of its requests.
    pub(crate) fn consume(&mut self) {
        self.times = self.times.saturating_sub(1);
    }
}

/// An API path as given (with or without `/v1`, with or without the leading `/`), as the kit
/// records paths: after `/v1`, from a `/`.
pub(crate) fn api_path(path: &str) -> String {
    let path = path.strip_prefix("/v1").unwrap_or(path);
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// Whether `path` is the route template `route`: as many segments, each equal or a `{name}`
/// placeholder standing for a non-empty segment. Slashes at either end do not count.
pub(crate) fn route_matches(route: &str, path: &str) -> bool {
    let route = route.trim_matches('/').split('/');
    let mut path = path.trim_matches('/').split('/');
    for expected in route {
        let Some(actual) = path.next() else {
            return false;
        };
        let placeholder =
            expected.len() > 2 && expected.starts_with('{') && expected.ends_with('}');
        if !(placeholder && !actual.is_empty() || expected == actual) {
            return false;
        }
    }
    path.next().is_none()
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
    fn routes_match_whole_paths_with_placeholders() {
        let device = Fault::hang().on_route("get", "/v1/devices/{id}");
        assert!(device.matches("GET", "/devices/abc"));
        assert!(device.matches("GET", "/devices/abc/"));
        assert!(!device.matches("GET", "/devices"));
        assert!(!device.matches("GET", "/devices/"));
        assert!(!device.matches("GET", "/devices/abc/sync"));
        assert!(!device.matches("POST", "/devices/abc"));
        let list = Fault::hang().route("devices");
        assert!(list.matches("GET", "/devices"));
        assert!(!list.matches("GET", "/devices/abc"));
        let sync = Fault::hang().route("/devices/{id}/sync");
        assert!(sync.matches("GET", "/devices/abc/sync"));
        assert!(!sync.matches("GET", "/devices/abc/scan"));
        // `{}` is not a placeholder; a later `path` replaces the route.
        assert!(!Fault::hang().route("/a/{}").matches("GET", "/a/b"));
        assert!(
            Fault::hang()
                .route("/a/{x}")
                .path("/a")
                .matches("GET", "/a/b/c")
        );
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
    fn kinds_say_whether_the_request_is_processed() {
        let processed: Vec<&str> = [
            Fault::rate_limited(1),
            Fault::server_error(500),
            Fault::server_error_html(502),
            Fault::server_error_after(500),
            Fault::drop_before(),
            Fault::drop_after(),
            Fault::delay(Duration::from_secs(1)),
            Fault::hang(),
            Fault::answer(Answer::new(200)),
            Fault::cut_off(3),
        ]
        .iter()
        .filter(|f| f.kind().processes_the_request())
        .map(|f| f.kind().name())
        .collect();
        assert_eq!(
            processed,
            ["server_error_after", "drop_after", "delay", "cut_off"]
        );
    }

    #[test]
    #[should_panic(expected = "is not a 5xx")]
    fn a_server_error_is_a_5xx() {
        let _ = Fault::server_error(404);
    }

    #[test]
    #[should_panic(expected = "is not a 5xx")]
    fn a_server_error_after_processing_is_a_5xx() {
        let _ = Fault::server_error_after(200);
    }
}
