//! Redirects that cannot carry the API key away.
//!
//! reqwest strips only `Authorization`-like headers when a redirect leaves the host; the API key
//! travels in `Token`, so a redirect to another origin would hand it over, and one from https
//! to http would send it in clear text. The policy here follows a redirect only within the same
//! origin (scheme, host and port) and never from https to http, at most [`MAX_REDIRECTS`]
//! times; any other redirect ends the call with [`RedirectRefused`], naming the target without
//! its query (which may hold secrets of its own).

use reqwest::redirect::{Attempt, Policy};

/// Redirects followed at most within one request.
pub const MAX_REDIRECTS: usize = 5;

/// A redirect the client refused to follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused a redirect to {target}: {reason}")]
pub struct RedirectRefused {
    /// Where the server pointed, without query or fragment.
    pub target: String,
    /// Why it was refused.
    pub reason: &'static str,
}

/// The redirect policy every client of this crate is built with.
pub(crate) fn policy() -> Policy {
    Policy::custom(|attempt| match refusal(&attempt) {
        None => attempt.follow(),
        Some(reason) => {
            let target = without_query(attempt.url());
            attempt.error(RedirectRefused { target, reason })
        }
    })
}

fn refusal(attempt: &Attempt<'_>) -> Option<&'static str> {
    let from = attempt.previous().last()?;
    decide(from, attempt.url(), attempt.previous().len())
}

/// Pure: whether a redirect from `from` to `to`, after `hops` URLs, is refused, and why.
fn decide(from: &reqwest::Url, to: &reqwest::Url, hops: usize) -> Option<&'static str> {
    if from.scheme() == "https" && to.scheme() != "https" {
        return Some("it leaves https");
    }
    if from.origin() != to.origin() {
        return Some("it leaves the API's origin, and the API key must not follow");
    }
    if hops > MAX_REDIRECTS {
        return Some("too many redirects");
    }
    None
}

fn without_query(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        s.parse().unwrap()
    }

    #[test]
    fn only_same_origin_redirects_are_followed() {
        let api = url("https://api.example.com/v1/devices");
        assert_eq!(
            decide(&api, &url("https://api.example.com/v1/devices/"), 1),
            None
        );
        assert!(
            decide(&api, &url("https://evil.example/v1"), 1)
                .unwrap()
                .contains("origin")
        );
        assert!(decide(&api, &url("https://api.example.com:8443/v1"), 1).is_some());
        assert!(
            decide(&api, &url("http://api.example.com/v1"), 1)
                .unwrap()
                .contains("https")
        );
        assert!(
            decide(&api, &api, MAX_REDIRECTS + 1)
                .unwrap()
                .contains("too many")
        );
        let plain = url("http://127.0.0.1:8080/v1/a");
        assert_eq!(decide(&plain, &url("http://127.0.0.1:8080/v1/b"), 1), None);
    }

    #[test]
    fn the_target_is_named_without_its_query_or_credentials() {
        assert_eq!(
            without_query(&url("https://u:p@evil.example/x?token=secret#f")),
            "https://evil.example/x"
        );
    }
}
