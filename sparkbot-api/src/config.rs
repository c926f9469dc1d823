//! Building a [`Client`]: base URL, API key, timeouts and user agent.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::Client;
use crate::body::{BodyLimit, DEFAULT_MAX_RESPONSE_BODY};
use crate::delivery::SendPolicy;
use crate::pacing::{MemoryPacer, PaceStore, Pacing, Scope};
use crate::pipeline::Pipeline;
use crate::retry::RetryPolicy;

/// The Wassenger API root, which SparkBot white-labels; pass your SparkBot host's root instead if
/// you have one. It includes the `/v1` path stem.
pub const DEFAULT_BASE_URL: &str = "https://api.wassenger.com/v1";

/// The `User-Agent` every request carries unless [`ClientConfig::user_agent`] changes it.
pub const USER_AGENT: &str = concat!("sparkbot-rs/", env!("CARGO_PKG_VERSION"));

/// Default time allowed to open a TCP/TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time allowed for one attempt of a request, body included.
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

    /// A name for the key that does not reveal it (a hash), for pacing scopes.
    pub(crate) fn fingerprint(&self) -> String {
        use std::hash::{Hash, Hasher};
        // SipHash with fixed keys: the same key gives the same name in every client of a build.
        let mut hasher = std::hash::DefaultHasher::new();
        self.0.hash(&mut hasher);
        format!("{:016x}", hasher.finish())
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

/// Environment variable holding the API key, read by [`ClientConfig::from_env`].
pub const ENV_API_KEY: &str = "SPARKBOT_API_KEY";

/// Environment variable holding the API root, `/v1` included (for example
/// `https://api.wassenger.com/v1`), read by [`ClientConfig::from_env`].
pub const ENV_BASE_URL: &str = "SPARKBOT_BASE_URL";

/// Why a [`Client`] could not be built. Raised before any network I/O, and never showing the
/// API key or the secret parts of a URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL cannot be used. `url` shows at most scheme, host, port and path.
    #[error("invalid base URL {url}: {reason}")]
    InvalidBaseUrl {
        /// The URL as far as it is safe to show.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No API key was given.
    #[error("no API key: set {ENV_API_KEY} or pass one to ClientConfig::new")]
    MissingApiKey,
    /// The API key cannot be sent as a header.
    #[error("invalid API key: {0}")]
    InvalidApiKey(&'static str),
    /// The user agent cannot be sent as a header.
    #[error("invalid user agent: {0}")]
    InvalidUserAgent(String),
    /// The default country calling code is not one.
    #[error("invalid default country code: {0}")]
    InvalidCountryCode(#[from] crate::country::CountryCodeError),
    /// reqwest could not build its client (for example, no TLS backend could start).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Makes the `reqwest::ClientBuilder` a client starts from (proxies, root certificates…).
type HttpBuilder = Arc<dyn Fn() -> reqwest::ClientBuilder + Send + Sync>;

/// The one configuration of a [`Client`]: from code or the environment, checked at
/// [`ClientConfig::build`] before any I/O.
///
/// ```
/// use std::time::Duration;
/// use sparkbot_api::{ApiKey, ClientConfig, RetryPolicy};
///
/// let client = ClientConfig::new("https://api.wassenger.com/v1", ApiKey::new("my-key")?)
///     .with_timeout(Duration::from_secs(20))
///     .with_retry(RetryPolicy::default().with_max_attempts(5))
///     .with_default_country_code("44")
///     .build()?;
/// # Ok::<(), sparkbot_api::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct ClientConfig {
    base_url: String,
    api_key: Option<ApiKey>,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    max_response_body: u64,
    default_country_code: Option<String>,
    http: Option<HttpBuilder>,
    pacing: Pacing,
    pace_store: Option<Arc<dyn PaceStore>>,
    send_policy: SendPolicy,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &shown_url(&self.base_url))
            .field("api_key", &self.api_key)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("max_response_body", &self.max_response_body)
            .field("default_country_code", &self.default_country_code)
            .field("http", &self.http.as_ref().map(|_| "custom"))
            .field("pacing", &self.pacing)
            .field("pace_store", &self.pace_store)
            .field("send_policy", &self.send_policy)
            .finish()
    }
}

impl ClientConfig {
    /// A configuration with the default timeouts, retries, limits and user agent.
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        Self {
            api_key: Some(api_key),
            ..Self::defaults(base_url.into())
        }
    }

    fn defaults(base_url: String) -> Self {
        Self {
            base_url,
            api_key: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            default_country_code: None,
            http: None,
            pacing: Pacing::default(),
            pace_store: None,
            send_policy: SendPolicy::default(),
        }
    }

    /// A configuration from `SPARKBOT_API_KEY` and `SPARKBOT_BASE_URL` (the Wassenger root when
    /// unset); empty variables count as unset. A missing key is reported by
    /// [`ClientConfig::build`].
    pub fn from_env() -> Self {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`ClientConfig::from_env`], reading variables through `lookup` (for tests, or a
    /// configuration source of your own). A key that is set but unusable is kept out: `build`
    /// then reports it as missing rather than risk echoing it.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name| {
            lookup(name)
                .map(|v: String| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut config =
            Self::defaults(read(ENV_BASE_URL).unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()));
        config.api_key = read(ENV_API_KEY).and_then(|k| ApiKey::new(k).ok());
        config
    }

    /// Replaces the API key.
    pub fn with_api_key(mut self, api_key: ApiKey) -> Self {
        self.api_key = Some(api_key);
        self
    }

    /// Replaces the base URL (the API root, `/v1` included).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Time allowed to open a connection (default 10 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt of a request, body included (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Replaces the `User-Agent` header.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The retry policy of every call (default [`RetryPolicy::default`]).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest JSON response body read, error bodies included (default 32 MiB). File
    /// downloads stream without this limit.
    pub fn with_max_response_body(mut self, bytes: u64) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// The country calling code (`"44"`, `"+1"`) used to read national phone numbers written
    /// with a trunk `0`; checked at build.
    pub fn with_default_country_code(mut self, code: impl Into<String>) -> Self {
        self.default_country_code = Some(code.into());
        self
    }

    /// Starts the HTTP client from `make()` instead of a plain `reqwest::Client::builder()`,
    /// for a proxy, extra root certificates or another TLS setting. The SDK still sets the key,
    /// user agent, timeouts, the redirect policy and no `Referer` on top of it.
    ///
    /// ```
    /// # use sparkbot_api::{ApiKey, ClientConfig};
    /// let config = ClientConfig::new("https://api.wassenger.com/v1", ApiKey::new("k")?)
    ///     .with_http_client(|| reqwest::Client::builder().pool_max_idle_per_host(4));
    /// # config.build()?;
    /// # Ok::<(), sparkbot_api::ConfigError>(())
    /// ```
    pub fn with_http_client(
        mut self,
        make: impl Fn() -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.http = Some(Arc::new(make));
        self
    }

    /// The pacing rules (default [`Pacing::default`]: adaptive, no caps); see
    /// [`crate::pacing`].
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Keeps the pacing state in `store` instead of this client's own [`MemoryPacer`]; give
    /// several clients one store to pace them together.
    pub fn with_pace_store(mut self, store: Arc<dyn PaceStore>) -> Self {
        self.pace_store = Some(store);
        self
    }

    /// What a send whose outcome is unknown does (default
    /// [`SendPolicy::reconcile_then_resend`]); see [`crate::delivery`].
    pub fn with_send_policy(mut self, policy: SendPolicy) -> Self {
        self.send_policy = policy;
        self
    }

    /// The pacing rules.
    pub fn pacing(&self) -> &Pacing {
        &self.pacing
    }

    /// The rule for sends whose outcome is unknown.
    pub fn send_policy(&self) -> &SendPolicy {
        &self.send_policy
    }

    /// The base URL as given (see [`ClientConfig::build`] for the checks).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key, if one is set.
    pub fn api_key(&self) -> Option<&ApiKey> {
        self.api_key.as_ref()
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The per-attempt request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The user agent.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The JSON response body limit in bytes.
    pub fn max_response_body(&self) -> u64 {
        self.max_response_body
    }

    /// The default country calling code, as given.
    pub fn default_country_code(&self) -> Option<&str> {
        self.default_country_code.as_deref()
    }

    /// Validates the configuration and builds the client. Performs no network I/O.
    ///
    /// Checked: the key is set and header-safe; the base URL is an absolute `http`/`https` URL
    /// with no credentials, query, fragment or whitespace, and does not contain the key; the
    /// country code is one; the user agent is header-safe.
    pub fn build(&self) -> Result<Client, ConfigError> {
        let key = self.api_key.as_ref().ok_or(ConfigError::MissingApiKey)?;
        let base_url = normalise_base_url(&self.base_url, key)?;
        let country = self
            .default_country_code
            .as_deref()
            .map(normalise_country_code)
            .transpose()?;
        let http = self.http_client_builder(key)?.build()?;
        let pipeline = Pipeline {
            retry: self.retry.clone(),
            limit: BodyLimit {
                max_bytes: self.max_response_body,
            },
            default_country_code: country,
            pacing: self.pacing.clone(),
            pacer: self
                .pace_store
                .clone()
                .unwrap_or_else(|| Arc::new(MemoryPacer::new())),
            key_scope: Scope::key(&key.fingerprint()),
            send_policy: self.send_policy,
        };
        Ok(Client::new_with_client(&base_url, http, pipeline))
    }

    fn http_client_builder(&self, key: &ApiKey) -> Result<reqwest::ClientBuilder, ConfigError> {
        let mut headers = HeaderMap::new();
        headers.insert("Token", key.header_value());
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| ConfigError::InvalidUserAgent(self.user_agent.clone()))?;
        let start = match &self.http {
            Some(make) => make(),
            None => reqwest::Client::builder(),
        };
        Ok(start
            .default_headers(headers)
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .redirect(crate::redirect::policy())
            .referer(false))
    }
}

/// The parts of a URL it is safe to show: scheme, host, port and path, or nothing at all
/// when it does not parse (it may be a key pasted in the wrong place).
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) if parsed.has_host() => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}{}",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default(),
                parsed.path()
            )
        }
        _ => format!("({} characters, not shown)", url.chars().count()),
    }
}

fn normalise_base_url(url: &str, key: &ApiKey) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
        url: shown_url(url),
        reason: reason.to_owned(),
    };
    if url.contains(key.expose_secret()) {
        return Err(ConfigError::InvalidBaseUrl {
            url: "(not shown)".to_owned(),
            reason: "it contains the API key; the key goes in ClientConfig::new, never in the URL"
                .to_owned(),
        });
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it contains whitespace"));
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|e| invalid(&format!("not an absolute URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if !parsed.has_host() {
        return Err(invalid("it has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("it must not carry credentials"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("it must not carry a query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// `"+44"`, `"44"` → `"44"`: an assigned ITU calling code ([`CountryCode::parse`]).
///
/// [`CountryCode::parse`]: crate::country::CountryCode::parse
fn normalise_country_code(code: &str) -> Result<String, ConfigError> {
    Ok(crate::country::CountryCode::parse(code)?
        .value()
        .to_string())
}

impl Client {
    /// A client for `base_url` (the API root, including `/v1`) that sends `api_key` as the
    /// `Token` header, with the default timeouts, retries and user agent.
    pub fn with_api_key(base_url: &str, api_key: &str) -> Result<Self, ConfigError> {
        ClientConfig::new(base_url, ApiKey::new(api_key)?).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ApiKey {
        ApiKey::new("s3cr3t-key").unwrap()
    }

    #[test]
    fn api_key_is_checked_and_redacted() {
        assert!(ApiKey::new("").is_err());
        assert!(ApiKey::new("has space").is_err());
        assert!(ApiKey::new("naïve").is_err());
        let key = key();
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(key.expose_secret(), "s3cr3t-key");
    }

    #[test]
    fn base_url_must_be_http_and_loses_its_trailing_slash() {
        assert_eq!(
            normalise_base_url("https://api.example.com/v1/", &key()).unwrap(),
            "https://api.example.com/v1"
        );
        for (bad, why) in [
            ("ftp://x/v1", "scheme"),
            ("not a url", "whitespace"),
            ("https://x/v1?token=1", "query"),
            ("https://user:pw@x/v1", "credentials"),
            ("https://api.example.com/v1 ", "whitespace"),
            ("api.example.com/v1", "not an absolute URL"),
        ] {
            let err = normalise_base_url(bad, &key()).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(!err.contains("token=1") && !err.contains("pw@"), "{err}");
        }
    }

    #[test]
    fn a_key_in_the_base_url_is_refused_without_echoing_it() {
        for url in [
            "https://api.example.com/v1?token=s3cr3t-key",
            "s3cr3t-key",
            "https://api.example.com/s3cr3t-key/v1",
        ] {
            let err = normalise_base_url(url, &key()).unwrap_err().to_string();
            assert!(err.contains("contains the API key"), "{err}");
            assert!(!err.contains("s3cr3t"), "{err}");
        }
        let other = ApiKey::new("another-key").unwrap();
        let err = normalise_base_url("s3cr3t-key", &other)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn country_codes_are_checked() {
        assert_eq!(normalise_country_code("+44").unwrap(), "44");
        assert_eq!(normalise_country_code("1").unwrap(), "1");
        for bad in ["abc", "", "0", "044", "1234", "+", "4 4", "999"] {
            assert!(normalise_country_code(bad).is_err(), "{bad:?}");
        }
        let err = ClientConfig::new(DEFAULT_BASE_URL, key())
            .with_default_country_code("abc")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::InvalidCountryCode(_)), "{err}");
    }

    #[test]
    fn the_environment_configures_and_a_missing_key_is_an_error() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let config = ClientConfig::from_env_with(vars(&[
            (ENV_API_KEY, " env-key "),
            (ENV_BASE_URL, "http://127.0.0.1:1/v1"),
        ]));
        assert_eq!(config.api_key().unwrap().expose_secret(), "env-key");
        assert_eq!(config.base_url(), "http://127.0.0.1:1/v1");
        assert!(config.build().is_ok());
        let empty = ClientConfig::from_env_with(vars(&[(ENV_API_KEY, "  ")]));
        assert_eq!(empty.base_url(), DEFAULT_BASE_URL);
        assert!(matches!(empty.build(), Err(ConfigError::MissingApiKey)));
    }

    #[test]
    fn config_debug_hides_the_key_and_url_secrets() {
        let config = ClientConfig::new("https://api.example.com/v1?x=hidden", key());
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert!(!format!("{config:?}").contains("hidden"));
        let client = ClientConfig::new(DEFAULT_BASE_URL, key()).build().unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
    }
}
