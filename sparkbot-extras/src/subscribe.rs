//! Subscribing: make sure a webhook for a URL, a set of events and (optionally) a device exists,
//! whatever state the account is in — [`SparkBot::ensure_webhook`].
//!
//! The workflow is idempotent: run it at every start of a receiver and it writes only when
//! something is missing or different.
//!
//! 1. **Check** the input before any I/O: the URL must be absolute `http` or `https` with a
//!    host and no user name or password; at least one event, each one the spec lists; a name of
//!    1 to 30 characters; a device id of 24 hex characters. A failure is
//!    [`Error::InvalidInput`] and nothing is sent. A device key that is not an id (a phone
//!    number, an alias…) is then resolved with [`SparkBot::find_device`].
//! 2. **Look up** the webhook: every page of `GET /webhooks`
//!    ([`list_webhooks()`](sparkbot_api::Client::list_webhooks)`.stream()`), keeping those whose
//!    `url` is the URL exactly once a trailing `/` is trimmed from both (case, query and all
//!    else count), and, when a device was given, whose device is that device. Of several, the
//!    first whose events already match is taken, else the first listed.
//! 3. **Found with the same events** (compared as sets: order and repeats do not count) and the
//!    same device: [`WebhookChange::Unchanged`], nothing is written. Name and status are not
//!    compared: a disabled webhook stays disabled (re-enable it with
//!    [`enable_webhook`](sparkbot_api::Client::enable_webhook)).
//! 4. **Found with other events**: `PATCH /webhooks/{id}` with the events asked for, keeping
//!    its name, URL and device (`updateWebhook` requires name, URL and events):
//!    [`WebhookChange::Updated`].
//! 5. **Not found**: `POST /webhooks` ([`WebhookChange::Created`]). That request is not
//!    idempotent, and the client's pipeline does not re-send it once it may have reached the
//!    server.
//!    - A **409** means the webhook exists (a concurrent creator, or a listing that missed it):
//!      the lookup runs once more and a match is handled as in 3 and 4. No match the second
//!      time is the 409 itself, [`Error::Conflict`] (for example, the URL is registered for
//!      another device); there is no loop.
//!    - An **unknown outcome** ([`Error::OutcomeUnknown`]: a timeout, a dropped connection, a
//!      5xx) is looked up once by URL: a match is `Created` (or `Updated`, if its events
//!      differ); no match, or a failed lookup, returns the `OutcomeUnknown` error.
//!
//! Every other failure is returned as the call's [`Error`]. An update sets the whole state, so
//! running the workflow again after any failure is safe; only a create can duplicate, and it is
//! never re-sent blindly.
//!
//! The URL, which often carries a secret (`?secret=…`), is never put in an error message or a
//! log event, and the builder's `Debug` hides its query.

use std::collections::BTreeSet;
use std::fmt;

use futures::TryStreamExt;
use sparkbot_api::ResponseValue;
use sparkbot_api::types::{self, WebhookEventName};

use crate::call;
use crate::client::SparkBot;
use crate::error::Error;
use crate::lookup::DeviceKey;

/// The name a webhook is created with when [`EnsureWebhook::name`] is not set.
pub const DEFAULT_WEBHOOK_NAME: &str = "sparkbot-rs";

/// What [`EnsureWebhook::execute`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WebhookChange {
    /// No matching webhook existed; one was created (`POST /webhooks`). Also the answer when
    /// the create's outcome was unknown and the lookup that followed found the webhook.
    Created,
    /// A webhook for the URL (and device) existed with other events; its events were replaced
    /// (`PATCH /webhooks/{id}`), its name kept.
    Updated,
    /// A webhook for the URL (and device) already had these events; nothing was written.
    Unchanged,
}

impl fmt::Display for WebhookChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WebhookChange::Created => "created",
            WebhookChange::Updated => "updated",
            WebhookChange::Unchanged => "unchanged",
        })
    }
}

/// The webhook after [`EnsureWebhook::execute`], and what was done to get there.
#[derive(Clone, Debug)]
pub struct EnsuredWebhook {
    /// The webhook as the API last returned it: the create's or update's answer, or the listed
    /// webhook when nothing was written.
    pub webhook: types::Webhook,
    /// What was done.
    pub change: WebhookChange,
}

impl EnsuredWebhook {
    /// The webhook's id, when the API sent one.
    pub fn id(&self) -> Option<&str> {
        self.webhook.id.as_deref()
    }
}

/// Builder for [`SparkBot::ensure_webhook`]; ends in [`EnsureWebhook::execute`].
#[must_use = "ensuring a webhook does nothing until `.execute().await`"]
pub struct EnsureWebhook<'a> {
    bot: &'a SparkBot,
    url: String,
    events: Vec<WebhookEventName>,
    device: Option<DeviceKey>,
    name: Option<String>,
}

impl fmt::Debug for EnsureWebhook<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnsureWebhook")
            .field("url", &redacted(&self.url))
            .field("events", &self.events)
            .field("device", &self.device)
            .field("name", &self.name)
            .finish()
    }
}

/// The URL without its user name, password, query and fragment, any of which may hold a
/// secret.
fn redacted(url: &str) -> String {
    let cut = url.find(['?', '#']);
    let hidden = if cut.is_some() { "?…" } else { "" };
    match reqwest::Url::parse(url.trim()) {
        Ok(mut parsed) if parsed.has_authority() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            format!("{parsed}{hidden}")
        }
        // Not an absolute URL with a host: it will be refused; show its part before any query.
        _ => format!("{}{hidden}", &url[..cut.unwrap_or(url.len())]),
    }
}

impl SparkBot {
    /// Makes sure a webhook sends `events` to `url` (for one device, if set), creating or
    /// updating it only when needed; see the [module documentation](crate::subscribe) for the
    /// rules. Set the events with [`EnsureWebhook::events`] (at least one), optionally the
    /// device and the name, and run it with [`EnsureWebhook::execute`].
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// use sparkbot_api::types::WebhookEventName;
    /// use sparkbot_extras::WebhookChange;
    ///
    /// let ensured = bot
    ///     .ensure_webhook("https://bot.example.com/hook?secret=s3cr3t")
    ///     .events([WebhookEventName::MessageInNew, WebhookEventName::MessageOutAck])
    ///     .device("sales") // an id, a phone number or an alias; left out: not compared
    ///     .name("support-bot") // used only when creating
    ///     .execute()
    ///     .await?;
    /// if ensured.change != WebhookChange::Unchanged {
    ///     println!("webhook {:?} {}", ensured.id(), ensured.change);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn ensure_webhook(&self, url: impl Into<String>) -> EnsureWebhook<'_> {
        EnsureWebhook {
            bot: self,
            url: url.into(),
            events: Vec::new(),
            device: None,
            name: None,
        }
    }
}

impl<'a> EnsureWebhook<'a> {
    /// The events to receive, replacing any set before (at least one is required). Repeats are
    /// dropped; the first occurrence keeps its place in the request.
    pub fn events(mut self, events: impl IntoIterator<Item = WebhookEventName>) -> Self {
        self.events = events.into_iter().collect();
        self
    }

    /// Adds one event to those to receive.
    pub fn event(mut self, event: WebhookEventName) -> Self {
        self.events.push(event);
        self
    }

    /// Limits the webhook to one device: any [`DeviceKey`] (an id, a phone number, an alias…),
    /// resolved to its id with [`SparkBot::find_device`] when it is not an id. Only a webhook
    /// of that device matches. Left out, the device plays no part in the lookup or the
    /// comparison, and an updated webhook keeps the device it has.
    pub fn device(mut self, device: impl Into<DeviceKey>) -> Self {
        self.device = Some(device.into());
        self
    }

    /// The name to create the webhook with, 1 to 30 characters (default
    /// [`DEFAULT_WEBHOOK_NAME`]). An existing webhook keeps its own name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Checks the input, then looks the webhook up and creates or updates it as needed.
    /// Returns the webhook and the [`WebhookChange`]; [`Error::InvalidInput`] (before any
    /// request) for a bad URL, no events, an event the spec does not list or a bad name;
    /// [`Error::DeviceNotFound`] / [`Error::AmbiguousDevice`] for the device;
    /// [`Error::Conflict`] when the create answered 409 and the second lookup found nothing;
    /// [`Error::OutcomeUnknown`] when the create's outcome is unknown and the lookup did not
    /// find the webhook; otherwise the failing call's error.
    pub async fn execute(self) -> Result<EnsuredWebhook, Error> {
        let Self {
            bot,
            url,
            events,
            device,
            name,
        } = self;
        let url = check_url(&url)?;
        let events = check_events(events)?;
        let name: types::CreateWebhookRequestName = name
            .as_deref()
            .unwrap_or(DEFAULT_WEBHOOK_NAME)
            .parse()
            .map_err(|e| Error::InvalidInput(format!("the webhook name: {e}")))?;
        let device = match device {
            None => None,
            Some(DeviceKey::Id(id)) => Some(SparkBot::parse_device_id(&id)?),
            Some(key) => {
                let id = bot
                    .find_device(key)
                    .await?
                    .id
                    .ok_or_else(|| Error::Other("the device has no id".to_owned()))?;
                Some(SparkBot::parse_device_id(&id)?)
            }
        };
        let wanted = Wanted {
            url,
            events,
            device,
            name,
        };
        let ensured = wanted.ensure(bot).await?;
        tracing::debug!(
            webhook = ensured.id().unwrap_or("(no id)"),
            change = %ensured.change,
            "ensure_webhook"
        );
        Ok(ensured)
    }
}

/// The checked input.
struct Wanted {
    url: String,
    /// Without repeats, in the caller's order.
    events: Vec<WebhookEventName>,
    device: Option<types::DeviceId>,
    name: types::CreateWebhookRequestName,
}

fn check_url(url: &str) -> Result<String, Error> {
    let url = url.trim();
    // The URL is not quoted in these messages: its query may hold the receiver's secret.
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        Error::InvalidInput(format!(
            "the webhook URL must be an absolute http or https URL: {e}"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::InvalidInput(format!(
            "the webhook URL must be http or https, not {}",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::InvalidInput(
            "the webhook URL has no host".to_owned(),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::InvalidInput(
            "the webhook URL must not contain a user name or password; put a secret in its query instead"
                .to_owned(),
        ));
    }
    Ok(url.to_owned())
}

fn check_events(events: Vec<WebhookEventName>) -> Result<Vec<WebhookEventName>, Error> {
    if events.is_empty() {
        return Err(Error::InvalidInput(
            "a webhook needs at least one event".to_owned(),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut unique = Vec::with_capacity(events.len());
    for event in events {
        if !event.is_known() {
            return Err(Error::InvalidInput(format!(
                "{:?} is not a webhook event the spec lists (one of: {})",
                event.as_str(),
                WebhookEventName::KNOWN.join(", ")
            )));
        }
        if seen.insert(event.clone()) {
            unique.push(event);
        }
    }
    Ok(unique)
}

/// The URL without one trailing `/`, for comparing.
fn trimmed(url: &str) -> &str {
    url.strip_suffix('/').unwrap_or(url)
}

/// The device a listed webhook is limited to: the id, or the object's `id`.
fn device_of(hook: &types::Webhook) -> Option<&str> {
    let id = match hook.device.as_ref()? {
        serde_json::Value::String(id) => id.as_str(),
        serde_json::Value::Object(device) => device.get("id")?.as_str()?,
        _ => return None,
    };
    (!id.is_empty()).then_some(id)
}

impl Wanted {
    fn is_for(&self, hook: &types::Webhook) -> bool {
        let same_url = hook
            .url
            .as_deref()
            .is_some_and(|url| trimmed(url) == trimmed(&self.url));
        let same_device = match &self.device {
            None => true,
            Some(device) => device_of(hook).is_some_and(|d| d.eq_ignore_ascii_case(device)),
        };
        same_url && same_device
    }

    fn same_events(&self, hook: &types::Webhook) -> bool {
        let theirs: BTreeSet<&WebhookEventName> = hook.events.iter().collect();
        let ours: BTreeSet<&WebhookEventName> = self.events.iter().collect();
        theirs == ours
    }

    /// The whole workflow once the input is checked.
    async fn ensure(&self, bot: &SparkBot) -> Result<EnsuredWebhook, Error> {
        if let Some(found) = self.lookup(bot).await? {
            return self.settle(bot, found, WebhookChange::Unchanged).await;
        }
        match self.create(bot).await {
            Ok(webhook) => Ok(EnsuredWebhook {
                webhook,
                change: WebhookChange::Created,
            }),
            Err(Error::Conflict(failure)) => match self.lookup(bot).await? {
                Some(found) => self.settle(bot, found, WebhookChange::Unchanged).await,
                None => Err(Error::Conflict(failure)),
            },
            Err(unknown @ Error::OutcomeUnknown { .. }) => match self.lookup(bot).await {
                Ok(Some(found)) => self.settle(bot, found, WebhookChange::Created).await,
                Ok(None) => Err(unknown),
                Err(lookup) => {
                    tracing::warn!(error = %lookup, "ensure_webhook: the lookup after a create of unknown outcome failed");
                    Err(unknown)
                }
            },
            Err(e) => Err(e),
        }
    }

    /// Lists every webhook and picks the one for this URL (and device): the first whose
    /// events already match, else the first listed.
    async fn lookup(&self, bot: &SparkBot) -> Result<Option<types::Webhook>, Error> {
        let mut pages = std::pin::pin!(call::pages(bot.api().list_webhooks().stream()));
        let mut first = None;
        while let Some(hook) = pages.try_next().await? {
            if !self.is_for(&hook) {
                continue;
            }
            if self.same_events(&hook) {
                return Ok(Some(hook));
            }
            first.get_or_insert(hook);
        }
        Ok(first)
    }

    /// Leaves a found webhook as it is (`if_same`) or replaces its events.
    async fn settle(
        &self,
        bot: &SparkBot,
        found: types::Webhook,
        if_same: WebhookChange,
    ) -> Result<EnsuredWebhook, Error> {
        if self.same_events(&found) {
            return Ok(EnsuredWebhook {
                webhook: found,
                change: if_same,
            });
        }
        let id = found
            .id
            .as_deref()
            .ok_or_else(|| Error::Other("the API listed the webhook without an id".to_owned()))?;
        let id: types::WebhookId = id
            .parse()
            .map_err(|e| Error::Other(format!("the API listed the webhook with id {id:?}: {e}")))?;
        // Its own name, unless it has none the API would take back (then the one asked for).
        let name: types::UpdateWebhookRequestName =
            match found.name.as_deref().and_then(|name| name.parse().ok()) {
                Some(name) => name,
                None => self
                    .name
                    .parse()
                    .map_err(|e| Error::InvalidInput(format!("the webhook name: {e}")))?,
            };
        let device = self
            .device
            .clone()
            .or_else(|| device_of(&found).and_then(|d| d.parse().ok()));
        let body = types::UpdateWebhookRequest {
            device,
            events: self.events.clone(),
            name,
            url: found.url.clone().unwrap_or_else(|| self.url.clone()),
        };
        // A whole-state update: repeating it is harmless, so a failure is the plain error
        // (a timeout stays `Timeout`, transient), not `OutcomeUnknown`.
        let webhook = call::request(bot.api().update_webhook().webhook_id(id).body(body).send())
            .await
            .map(ResponseValue::into_inner)?;
        Ok(EnsuredWebhook {
            webhook,
            change: WebhookChange::Updated,
        })
    }

    async fn create(&self, bot: &SparkBot) -> Result<types::Webhook, Error> {
        let body = types::CreateWebhookRequest {
            device: self.device.clone(),
            events: self.events.clone(),
            name: self.name.clone(),
            url: self.url.clone(),
        };
        call::send(bot.api().create_webhook().body(body).send())
            .await
            .map(ResponseValue::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_exactly_but_for_one_trailing_slash() {
        assert_eq!(trimmed("https://a.example/hook/"), "https://a.example/hook");
        assert_eq!(trimmed("https://a.example/hook"), "https://a.example/hook");
        assert_ne!(
            trimmed("https://a.example/Hook"),
            trimmed("https://a.example/hook")
        );
    }

    #[test]
    fn the_url_must_be_absolute_http_without_credentials() {
        assert!(check_url(" https://a.example/hook?secret=x ").is_ok());
        assert!(check_url("http://a.example").is_ok());
        for bad in [
            "/hook",
            "a.example/hook",
            "ftp://a.example/hook",
            "https://user:pw@a.example/hook",
            "https://user@a.example/hook",
            "mailto:a@example.com",
        ] {
            let err = check_url(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{bad}: {err:?}");
            assert!(!err.to_string().contains("pw"), "{err}");
        }
    }

    #[test]
    fn events_are_deduplicated_in_order_and_unknown_ones_refused() {
        use WebhookEventName::*;
        let events = check_events(vec![MessageOutAck, MessageInNew, MessageOutAck]).unwrap();
        assert_eq!(events, vec![MessageOutAck, MessageInNew]);
        assert!(check_events(Vec::new()).is_err());
        assert!(check_events(vec![Unknown("message:in:later".into())]).is_err());
    }

    #[test]
    fn the_debug_form_hides_credentials_and_the_query() {
        assert_eq!(
            redacted("https://a.example/hook?secret=x"),
            "https://a.example/hook?…"
        );
        assert_eq!(redacted("https://a.example/hook"), "https://a.example/hook");
        assert_eq!(
            redacted("https://user:pw@a.example/hook#x"),
            "https://a.example/hook?…"
        );
        assert_eq!(redacted("/hook?secret=x"), "/hook?…");
    }

    #[test]
    fn a_device_is_read_from_an_id_or_an_object() {
        let hook = |device| types::Webhook {
            device: Some(device),
            ..Default::default()
        };
        assert_eq!(device_of(&hook(serde_json::json!("abc"))), Some("abc"));
        assert_eq!(
            device_of(&hook(serde_json::json!({"id": "abc"}))),
            Some("abc")
        );
        assert_eq!(device_of(&hook(serde_json::json!(""))), None);
        assert_eq!(device_of(&hook(serde_json::json!(null))), None);
    }
}
