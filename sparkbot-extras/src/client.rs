//! [`SparkBot`]: the workflows on one [`Client`], with the device cache they share.

use std::future::Future;
use std::sync::Arc;

use sparkbot_api::types::{self, ApiError, Device};
use sparkbot_api::{Client, ResponseValue};

use crate::call;
use crate::error::Error;
use crate::lookup::{DeviceCache, DeviceKey};
use crate::paging::{PageRequest, PageStream, Paging, paginate};
use crate::phone::E164;

/// The workflows of the SDK (device lookup, session sync, paging, media, sending) on top of
/// one [`Client`]. Cheap to clone: clones share the client's connections and the device cache.
///
/// It adds no second route to the API: every request it makes is a call of the [`Client`] it
/// holds, through the same pipeline (retries, limits, typed errors), configured once by
/// [`ClientConfig`](sparkbot_api::ClientConfig).
///
/// ```no_run
/// # async fn run() -> Result<(), sparkbot_extras::Error> {
/// use sparkbot_extras::SparkBot;
///
/// let bot = SparkBot::from_env()?; // SPARKBOT_API_KEY, SPARKBOT_BASE_URL
/// let device = bot.find_device("sales").await?;
/// // Any generated call is the same client, retried and bounded alike:
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
    cache: Option<DeviceCache>,
}

type ApiResult<T> = Result<ResponseValue<T>, sparkbot_api::Error<ApiError>>;

impl SparkBot {
    /// The workflows on `api`, with no device cache.
    pub fn new(api: Client) -> Self {
        Self {
            inner: Arc::new(Inner { api, cache: None }),
        }
    }

    /// The workflows on a client configured from `SPARKBOT_API_KEY` and `SPARKBOT_BASE_URL`
    /// ([`ClientConfig::from_env`](sparkbot_api::ClientConfig::from_env)).
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self::new(sparkbot_api::ClientConfig::from_env().build()?))
    }

    /// The same workflows, keeping device lookups for `ttl`, so resolving a phone or alias
    /// lists the devices at most once per `ttl`. Session polling always reads fresh state.
    pub fn with_device_cache(self, ttl: std::time::Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                api: self.inner.api.clone(),
                cache: Some(DeviceCache::new(ttl)),
            }),
        }
    }

    /// The client, for every endpoint the workflows do not wrap.
    pub fn api(&self) -> &Client {
        &self.inner.api
    }

    pub(crate) fn cache(&self) -> Option<&DeviceCache> {
        self.inner.cache.as_ref()
    }

    pub(crate) fn default_country_code(&self) -> Option<&str> {
        self.inner.api.default_country_code()
    }

    /// A stream over any list endpoint, from a closure that fetches one page (each page is a
    /// call of the client, retried by its pipeline).
    ///
    /// Every list endpoint of the spec already streams from its own builder:
    /// `bot.api().list_chats().device_id(id).stream()` (see [`sparkbot_api::paging`]; its
    /// errors convert into [`Error`] with `?` or `map_err(Error::from)`), with the page size,
    /// the loop guard and the check for a repeated page built in. `paginate` is for a page
    /// fetcher of your own (a call the spec does not describe, several calls per page, items
    /// post-processed per page); it stops on a short or empty page, on a 400 past the first page
    /// and at the [`Paging`] loop guard, but cannot tell a repeated page (`T` is any type):
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
        let api = self.inner.api.clone();
        let fetch = Arc::new(fetch);
        paginate(paging, move |page| {
            // Boxed (by `call::request`): a generated call's future is several KB, and keeping
            // it inline in the stream's state made every page measurably slower under load.
            let call = call::request(fetch(api.clone(), page));
            async move { call.await.map(ResponseValue::into_inner) }
        })
    }

    /// Reads a device from the API, bypassing the cache; 404 becomes
    /// [`Error::DeviceNotFound`].
    pub(crate) async fn get_device_fresh(&self, id: &types::DeviceId) -> Result<Device, Error> {
        // The id is already validated: handing the typed value to the builder skips a second
        // pattern match on every read.
        call::request(self.api().get_device().device_id(id.clone()).send())
            .await
            .map(ResponseValue::into_inner)
            .map_err(|e| e.for_device(id))
    }

    /// Parses a device id given as text, naming it in the error.
    pub(crate) fn parse_device_id(device_id: &str) -> Result<types::DeviceId, Error> {
        device_id.parse().map_err(|e| {
            Error::InvalidInput(format!("{device_id:?} is not a device id (24 hex): {e}"))
        })
    }

    /// Sends a text message from `device` (any [`DeviceKey`]) to `phone` (any common form),
    /// with a new unique reference ([`sparkbot_api::new_reference`]).
    ///
    /// Sent at most once: when the outcome is unknown (a timeout, a dropped connection, a 5xx)
    /// the pipeline looks the reference up and returns the message the server has; only when
    /// the server has none does it send again, as the client's
    /// [`SendPolicy`](sparkbot_api::SendPolicy) allows. When it still cannot tell, the error
    /// is [`Error::OutcomeUnknown`], naming the reference.
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
        let device = self.device_id_of(device.into()).await?;
        let reference = sparkbot_api::new_reference();
        let body = self.text_message(&device, phone, text, &reference)?;
        self.send_message(body, &reference).await
    }

    /// The device id of any [`DeviceKey`] (a lookup unless it is an id).
    pub(crate) async fn device_id_of(&self, key: DeviceKey) -> Result<types::DeviceId, Error> {
        let device = match key {
            DeviceKey::Id(id) => id,
            key => self
                .find_device(key)
                .await?
                .id
                .ok_or_else(|| Error::Other("the device has no id".to_owned()))?,
        };
        Self::parse_device_id(&device)
    }

    /// A text message body, every part checked before any I/O.
    pub(crate) fn text_message(
        &self,
        device: &types::DeviceId,
        phone: &str,
        text: &str,
        reference: &str,
    ) -> Result<types::SendMessageRequest, Error> {
        let to = E164::parse(phone, self.default_country_code())
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let message = types::TextMessageMessage::try_from(text.to_owned())
            .map_err(|e| Error::InvalidInput(format!("the text: {e}")))?;
        let phone: types::Phone = to
            .as_str()
            .parse()
            .map_err(|e| Error::InvalidInput(format!("{}: {e}", to.as_str())))?;
        let reference = types::TextMessageReference::try_from(reference.to_owned())
            .map_err(|e| Error::InvalidInput(format!("the reference: {e}")))?;
        let text: types::TextMessage = types::TextMessage::builder()
            .device(device.clone())
            .phone(phone)
            .message(message)
            .reference(Some(reference))
            .try_into()
            .map_err(|e| Error::InvalidInput(format!("cannot build the message: {e}")))?;
        Ok(types::SendMessageRequest::from(text))
    }

    /// Sends a message body through the pipeline; an unknown outcome names `reference`.
    pub(crate) async fn send_message(
        &self,
        body: types::SendMessageRequest,
        reference: &str,
    ) -> Result<types::Message, Error> {
        call::send(self.api().send_message().body(body).send())
            .await
            .map(ResponseValue::into_inner)
            .map_err(|e| e.with_reference(reference))
    }
}
