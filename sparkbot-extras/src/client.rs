//! [`SparkBot`], the high-level client: the low-level client plus a retry policy, a device
//! cache and the settings the workflows need.

use std::future::Future;
use std::sync::Arc;

use sparkbot_api::types::{self, ApiError, Device};
use sparkbot_api::{Client, ResponseValue};

use crate::config::SparkBotBuilder;
use crate::error::Error;
use crate::lookup::{DeviceCache, DeviceKey};
use crate::paging::{PageRequest, PageStream, Paging, paginate};
use crate::phone::E164;
use crate::retry::RetryPolicy;

/// The high-level SparkBot client. Cheap to clone: clones share one connection pool and cache.
///
/// ```no_run
/// # async fn run() -> Result<(), sparkbot_extras::Error> {
/// use sparkbot_extras::SparkBot;
///
/// let bot = SparkBot::from_env()?; // SPARKBOT_API_KEY, SPARKBOT_BASE_URL
/// let device = bot.find_device("sales").await?;
/// // Any generated call stays one step away:
/// let health = bot.api().get_device_health().device_id(device.id.unwrap()).send().await;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SparkBot {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    api: Client,
    retry: RetryPolicy,
    cache: Option<DeviceCache>,
    default_country_code: Option<String>,
}

type ApiResult<T> = Result<ResponseValue<T>, sparkbot_api::Error<ApiError>>;

impl SparkBot {
    /// A builder, to set the key, base URL, timeouts, retries and cache in code.
    pub fn builder() -> SparkBotBuilder {
        SparkBotBuilder::default()
    }

    /// A client configured from `SPARKBOT_API_KEY` and `SPARKBOT_BASE_URL` (the API root,
    /// `/v1` included; the Wassenger root when unset), with default settings.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().from_env().build()
    }

    /// A client for `base_url` with `api_key` and default settings.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self, Error> {
        Self::builder().base_url(base_url).api_key(api_key).build()
    }

    pub(crate) fn from_parts(
        api: Client,
        retry: RetryPolicy,
        cache_ttl: Option<std::time::Duration>,
        default_country_code: Option<String>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                api,
                retry,
                cache: cache_ttl.map(DeviceCache::new),
                default_country_code,
            }),
        }
    }

    /// The low-level generated client, for every endpoint the extras do not wrap.
    pub fn api(&self) -> &Client {
        &self.inner.api
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    pub(crate) fn cache(&self) -> Option<&DeviceCache> {
        self.inner.cache.as_ref()
    }

    pub(crate) fn default_country_code(&self) -> Option<&str> {
        self.inner.default_country_code.as_deref()
    }

    /// Runs one low-level call under the retry policy and maps its error.
    ///
    /// `idempotent` must be `false` for calls that create something: the policy then re-sends
    /// them only if [`RetryPolicy::non_idempotent`] allows it.
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// let health = bot
    ///     .call(true, |api| async move {
    ///         api.get_device_health().device_id("5f0a1b2c3d4e5f6a7b8c9d0e").send().await
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn call<T, F, Fut>(&self, idempotent: bool, request: F) -> Result<T, Error>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        self.call_raw(idempotent, request)
            .await
            .map(ResponseValue::into_inner)
    }

    /// Like [`SparkBot::call`], keeping the response's status and headers.
    pub async fn call_raw<T, F, Fut>(
        &self,
        idempotent: bool,
        mut request: F,
    ) -> Result<ResponseValue<T>, Error>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        let api = &self.inner.api;
        self.inner
            .retry
            .run(idempotent, || {
                // Boxed: a generated call's future is several KB, and moving it inside the
                // retry loop's state made every request measurably slower under load.
                let call = Box::pin(request(api.clone()));
                async move { call.await.map_err(Error::from) }
            })
            .await
    }

    /// A stream over any list endpoint, from a closure that fetches one page. Every page is
    /// fetched under the retry policy.
    ///
    /// Every list endpoint of the spec already has a ready stream, `<operation>_stream` (such as
    /// [`SparkBot::list_chats_stream`]), generated from the spec; `paginate` is for another page
    /// size or loop guard, or for a call of your own:
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// use futures::TryStreamExt;
    /// use sparkbot_extras::paging::Paging;
    ///
    /// let invoices: Vec<_> = bot
    ///     .paginate(Paging::with_max_size(50), |api, page| async move {
    ///         api.list_device_invoices()
    ///             .device_id("5f0a1b2c3d4e5f6a7b8c9d0e")
    ///             .page(page.number)
    ///             .size(page.size)
    ///             .send()
    ///             .await
    ///     })
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn paginate<T, F, Fut>(&self, paging: Paging, fetch: F) -> PageStream<T>
    where
        T: Send + 'static,
        F: Fn(Client, PageRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<Vec<T>>> + Send + 'static,
    {
        let bot = self.clone();
        let fetch = Arc::new(fetch);
        paginate(paging, move |page| {
            let bot = bot.clone();
            let fetch = fetch.clone();
            async move { bot.call(true, |api| fetch(api, page)).await }
        })
    }

    /// Streams outbound messages page by page (50 per page). `filter` sets the search
    /// filters on the generated builder; the stream sets `page` and `size` itself.
    ///
    /// The same as [`SparkBot::search_messages_stream`], one of the streams generated for
    /// every list endpoint of the spec.
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// use futures::TryStreamExt;
    /// use sparkbot_api::types::MessageStatus;
    ///
    /// let failed: Vec<_> = bot
    ///     .search_messages(|search| search.status(vec![MessageStatus::Failed]))
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn search_messages<C>(&self, filter: C) -> PageStream<types::Message>
    where
        C: for<'a> Fn(
                sparkbot_api::builder::SearchMessages<'a>,
            ) -> sparkbot_api::builder::SearchMessages<'a>
            + Send
            + Sync
            + 'static,
    {
        self.search_messages_stream(filter)
    }

    /// Reads a device from the API, bypassing the cache; 404 becomes
    /// [`Error::DeviceNotFound`].
    pub(crate) async fn get_device_fresh(&self, id: &types::DeviceId) -> Result<Device, Error> {
        // The id is already validated: handing the typed value to the builder skips a second
        // pattern match on every read.
        self.call(true, |api| {
            let id = id.clone();
            async move { api.get_device().device_id(id).send().await }
        })
        .await
        .map_err(|e| e.for_device(id))
    }

    /// Parses a device id given as text, naming it in the error.
    pub(crate) fn parse_device_id(device_id: &str) -> Result<types::DeviceId, Error> {
        device_id.parse().map_err(|e| {
            Error::InvalidInput(format!("{device_id:?} is not a device id (24 hex): {e}"))
        })
    }

    /// Sends a text message from `device` (any [`DeviceKey`]) to `phone` (any common form).
    ///
    /// Not retried after it may have reached the server (see [`RetryPolicy::non_idempotent`]):
    /// a lost response must not become a duplicate message.
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// let message = bot.send_text("sales", "+44 7911 123456", "Hello from Rust").await?;
    /// println!("queued as {:?}", message.id);
    /// # Ok(()) }
    /// ```
    pub async fn send_text(
        &self,
        device: impl Into<DeviceKey>,
        phone: &str,
        text: &str,
    ) -> Result<types::Message, Error> {
        let to = E164::parse(phone, self.default_country_code())
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let device = match device.into() {
            DeviceKey::Id(id) => id,
            key => self
                .find_device(key)
                .await?
                .id
                .ok_or_else(|| Error::Other("the device has no id".to_owned()))?,
        };
        let body: types::SendMessageRequest = serde_json::from_value(serde_json::json!({
            "phone": to.as_str(),
            "message": text,
            "device": device,
        }))
        .map_err(|e| Error::InvalidInput(format!("cannot build the message: {e}")))?;
        self.call(false, |api| {
            let body = body.clone();
            async move { api.send_message().body(body).send().await }
        })
        .await
    }
}
