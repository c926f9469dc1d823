//! The clients compared (plain reqwest, sparkbot-api, sparkbot-extras), all with the same settings: the SDK's default timeouts, its user agent,
//! the `Token` header (sensitive) and rustls. Each client has its own connection pool.

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use sparkbot_api::{ApiKey, ClientConfig, types};

use crate::fixtures;

/// Plain reqwest, configured exactly like the SDK configures it.
#[derive(Clone, Debug)]
pub struct Plain {
    http: reqwest::Client,
    device_url: String,
    messages_url: String,
}

/// Why a plain request failed (a non-2xx status counts as a failure, as in the SDK).
#[derive(Debug)]
pub enum PlainError {
    /// Transport or decoding error.
    Http(reqwest::Error),
    /// The server answered a status outside 2xx.
    Status(u16),
}

impl std::fmt::Display for PlainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlainError::Http(e) => write!(f, "{e}"),
            PlainError::Status(s) => write!(f, "HTTP {s}"),
        }
    }
}

impl From<reqwest::Error> for PlainError {
    fn from(e: reqwest::Error) -> Self {
        PlainError::Http(e)
    }
}

impl Plain {
    /// A reqwest client built from the same [`ClientConfig`] the SDK uses, without the SDK.
    pub fn new(base_url: &str) -> Result<Self, String> {
        let config = config(base_url)?;
        // Rebuild the builder by hand (not through the SDK) so the baseline is
        // plain reqwest code a user could write.
        let mut headers = HeaderMap::new();
        let mut token = HeaderValue::from_static(fixtures::API_KEY);
        token.set_sensitive(true);
        headers.insert("Token", token);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(config.user_agent())
            .connect_timeout(config.connect_timeout())
            .timeout(config.timeout())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            device_url: format!("{base_url}/devices/{}", fixtures::DEVICE_ID),
            messages_url: format!("{base_url}/messages"),
        })
    }

    /// `GET /devices/{id}`, decoded into the same generated type as the SDK's.
    pub async fn get_device(&self) -> Result<types::Device, PlainError> {
        let response = self
            .http
            .get(&self.device_url)
            .header(ACCEPT, "application/json")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(PlainError::Status(response.status().as_u16()));
        }
        Ok(response.json().await?)
    }

    /// `POST /messages` with `body`, decoded into the same generated type as the SDK's.
    pub async fn send_message(
        &self,
        body: &types::SendMessageRequest,
    ) -> Result<types::Message, PlainError> {
        let response = self
            .http
            .post(&self.messages_url)
            .header(ACCEPT, "application/json")
            .json(body)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(PlainError::Status(response.status().as_u16()));
        }
        Ok(response.json().await?)
    }
}

/// The SDK's configuration for the loopback server, with every default kept.
pub fn config(base_url: &str) -> Result<ClientConfig, String> {
    let key = ApiKey::new(fixtures::API_KEY).map_err(|e| e.to_string())?;
    Ok(ClientConfig::new(base_url, key))
}

/// The low-level client, built the documented way.
pub fn api(base_url: &str) -> Result<sparkbot_api::Client, String> {
    build(config(base_url)?)
}

/// A client from `config`.
pub fn build(config: ClientConfig) -> Result<sparkbot_api::Client, String> {
    config.build().map_err(|e| e.to_string())
}

/// The workflows on the same client, with its defaults (the default retry policy, no device
/// cache, the same timeouts and user agent as the others).
pub fn extras(base_url: &str) -> Result<sparkbot_extras::SparkBot, String> {
    api(base_url).map(sparkbot_extras::SparkBot::new)
}

/// The `POST /messages` body as the generated type.
pub fn send_body() -> Result<types::SendMessageRequest, String> {
    serde_json::from_value(fixtures::send_request()).map_err(|e| e.to_string())
}
