//! Building a [`Client`]: base URL, API key, timeouts and user agent.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::Client;

/// The Wassenger API root, which SparkBot white-labels; pass your SparkBot host's root instead if
/// you have one. It includes the `/v1` path stem.
pub const DEFAULT_BASE_URL: &str = "https://api.wassenger.com/v1";

/// The `User-Agent` every request carries unless [`ClientConfig::user_agent`] changes it.
pub const USER_AGENT: &str = concat!("sparkbot-rs/", env!("CARGO_PKG_VERSION"));

/// Default time allowed to open a TCP/TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time allowed for a whole request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// An API key. Its value is never shown by `Debug`, and it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Checks that `key` can be sent as the `Token` header: non-empty, visible ASCII, no spaces.
    pub fn new(key: impl Into<String>) -> Result<Self, ConfigError> {
        let key = key.into();
        if key.is_empty() {
            return Err(ConfigError::InvalidApiKey("the API key is empty"));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::InvalidApiKey(
                "the API key must be visible ASCII characters with no spaces",
            ));
        }
        Ok(Self(key))
    }

    /// The key itself, for code that must place it somewhere (such as a download link).
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    fn header_value(&self) -> HeaderValue {
        let mut value = HeaderValue::from_str(&self.0).expect("checked in ApiKey::new");
        value.set_sensitive(true);
        value
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Why a [`Client`] could not be built. Raised before any network I/O.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The API key cannot be sent as a header.
    #[error("invalid API key: {0}")]
    InvalidApiKey(&'static str),
    /// The user agent cannot be sent as a header.
    #[error("invalid user agent: {0}")]
    InvalidUserAgent(String),
    /// reqwest could not build its client (for example, no TLS backend could start).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Everything needed to build a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use sparkbot_api::{ApiKey, ClientConfig};
///
/// let config = ClientConfig::new("https://api.wassenger.com/v1", ApiKey::new("my-key")?)
///     .timeout(Duration::from_secs(20));
/// let client = config.build()?;
/// # Ok::<(), sparkbot_api::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    base_url: String,
    api_key: ApiKey,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
}

impl ClientConfig {
    /// A configuration with the default timeouts and user agent.
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: USER_AGENT.to_owned(),
        }
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole request, body included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Replaces the `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The base URL, without a trailing slash once validated by [`ClientConfig::build`].
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The connect timeout.
    pub fn get_connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The request timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The user agent.
    pub fn get_user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The `reqwest::ClientBuilder` the SDK uses, for callers who want to add settings (a proxy,
    /// extra root certificates) before building the client with [`Client::new_with_client`].
    pub fn http_client_builder(&self) -> Result<reqwest::ClientBuilder, ConfigError> {
        let mut headers = HeaderMap::new();
        headers.insert("Token", self.api_key.header_value());
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| ConfigError::InvalidUserAgent(self.user_agent.clone()))?;
        Ok(reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout))
    }

    /// Validates the configuration and builds the client. Performs no network I/O.
    pub fn build(&self) -> Result<Client, ConfigError> {
        let base_url = normalise_base_url(&self.base_url)?;
        let http = self.http_client_builder()?.build()?;
        Ok(Client::new_with_client(&base_url, http))
    }
}

fn normalise_base_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("it must not carry a query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

impl Client {
    /// A client for `base_url` (the API root, including `/v1`) that sends `api_key` as the
    /// `Token` header, with the default timeouts and user agent.
    pub fn with_api_key(base_url: &str, api_key: &str) -> Result<Self, ConfigError> {
        ClientConfig::new(base_url, ApiKey::new(api_key)?).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_is_checked_and_redacted() {
        assert!(ApiKey::new("").is_err());
        assert!(ApiKey::new("has space").is_err());
        assert!(ApiKey::new("naïve").is_err());
        let key = ApiKey::new("s3cr3t-key").unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(key.expose_secret(), "s3cr3t-key");
    }

    #[test]
    fn base_url_must_be_http_and_loses_its_trailing_slash() {
        assert_eq!(
            normalise_base_url("https://api.example.com/v1/").unwrap(),
            "https://api.example.com/v1"
        );
        assert!(normalise_base_url("ftp://x/v1").is_err());
        assert!(normalise_base_url("not a url").is_err());
        assert!(normalise_base_url("https://x/v1?token=1").is_err());
    }

    #[test]
    fn config_debug_hides_the_key() {
        let config = ClientConfig::new(DEFAULT_BASE_URL, ApiKey::new("s3cr3t-key").unwrap());
        let client = config.build().unwrap();
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }
}
