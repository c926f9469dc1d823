//! Building a [`SparkBot`]: API key and base URL from code or the environment, timeouts, retry
//! policy, user agent, device cache.

use std::fmt;
use std::time::Duration;

use sparkbot_api::{ApiKey, ClientConfig};

use crate::client::SparkBot;
use crate::error::Error;
use crate::retry::RetryPolicy;

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "SPARKBOT_API_KEY";

/// Environment variable holding the API root, `/v1` included (for example
/// `https://api.wassenger.com/v1`).
pub const ENV_BASE_URL: &str = "SPARKBOT_BASE_URL";

/// Builder for [`SparkBot`]. Values set in code win over the environment.
///
/// ```no_run
/// use std::time::Duration;
/// use sparkbot_extras::{RetryPolicy, SparkBot};
///
/// let bot = SparkBot::builder()
///     .from_env() // SPARKBOT_API_KEY, SPARKBOT_BASE_URL
///     .timeout(Duration::from_secs(20))
///     .retry(RetryPolicy::default().with_max_attempts(5))
///     .device_cache(Duration::from_secs(60))
///     .build()?;
/// # Ok::<(), sparkbot_extras::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct SparkBotBuilder {
    api_key: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    retry: Option<RetryPolicy>,
    device_cache_ttl: Option<Duration>,
    default_country_code: Option<String>,
}

impl fmt::Debug for SparkBotBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SparkBotBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("device_cache_ttl", &self.device_cache_ttl)
            .field("default_country_code", &self.default_country_code)
            .finish()
    }
}

impl SparkBotBuilder {
    /// The API key (sent as the `Token` header; never logged or shown).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API root, `/v1` included. Defaults to [`sparkbot_api::DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Fills the API key and base URL from `SPARKBOT_API_KEY` and `SPARKBOT_BASE_URL`, for
    /// those not already set. Empty variables count as unset.
    pub fn from_env(self) -> Self {
        self.from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`SparkBotBuilder::from_env`], reading variables through `lookup` (for tests, or
    /// a configuration source of your own).
    pub fn from_env_with(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name| lookup(name).filter(|v: &String| !v.trim().is_empty());
        if self.api_key.is_none() {
            self.api_key = read(ENV_API_KEY).map(|v| v.trim().to_owned());
        }
        if self.base_url.is_none() {
            self.base_url = read(ENV_BASE_URL).map(|v| v.trim().to_owned());
        }
        self
    }

    /// Time allowed for one whole request, body included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Replaces the `User-Agent` header (default [`sparkbot_api::USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The retry policy for every call (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Keeps device lookups for `ttl`, so resolving a phone or alias lists the devices at most
    /// once per `ttl`. Off by default. Session polling always reads fresh state.
    pub fn device_cache(mut self, ttl: Duration) -> Self {
        self.device_cache_ttl = Some(ttl);
        self
    }

    /// The country calling code (`"44"`, `"+1"`) used to read national phone numbers written
    /// with a trunk `0` in device lookups.
    pub fn default_country_code(mut self, code: impl Into<String>) -> Self {
        self.default_country_code = Some(code.into());
        self
    }

    /// Validates everything and builds the client. Performs no network I/O.
    pub fn build(self) -> Result<SparkBot, Error> {
        let key = self.api_key.ok_or_else(|| {
            Error::Config(format!(
                "no API key: set {ENV_API_KEY} or call SparkBotBuilder::api_key"
            ))
        })?;
        let base_url = self
            .base_url
            .unwrap_or_else(|| sparkbot_api::DEFAULT_BASE_URL.to_owned());
        let mut config = ClientConfig::new(base_url, ApiKey::new(key)?);
        if let Some(timeout) = self.timeout {
            config = config.timeout(timeout);
        }
        if let Some(timeout) = self.connect_timeout {
            config = config.connect_timeout(timeout);
        }
        if let Some(user_agent) = self.user_agent {
            config = config.user_agent(user_agent);
        }
        let api = config.build()?;
        Ok(SparkBot::from_parts(
            api,
            self.retry.unwrap_or_default(),
            self.device_cache_ttl,
            self.default_country_code,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_fills_what_code_did_not_set() {
        let vars = [
            (ENV_API_KEY, " env-key "),
            (ENV_BASE_URL, "http://127.0.0.1:1/v1"),
        ];
        let builder = SparkBot::builder()
            .base_url("http://localhost:2/v1")
            .from_env_with(env(&vars));
        assert_eq!(builder.api_key.as_deref(), Some("env-key"));
        assert_eq!(builder.base_url.as_deref(), Some("http://localhost:2/v1"));
        assert!(builder.build().is_ok());
    }

    #[test]
    fn missing_or_bad_settings_are_config_errors() {
        let empty = [(ENV_API_KEY, "  ")];
        let err = SparkBot::builder()
            .from_env_with(env(&empty))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("SPARKBOT_API_KEY"), "{err}");
        let err = SparkBot::builder()
            .api_key("k")
            .base_url("ftp://x")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        let err = SparkBot::builder()
            .api_key("has space")
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("has space"), "{err}");
    }

    #[test]
    fn builder_debug_hides_the_key() {
        let builder = SparkBot::builder().api_key("s3cr3t-key-value");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
    }
}
