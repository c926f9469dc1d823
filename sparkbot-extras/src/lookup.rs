//! Finding a device by what a person knows about it: its id, its phone number (written any
//! common way), its alias, or its WhatsApp id; and listing devices with status filters.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sparkbot_api::types::{Device, DeviceStatusFilter, SessionStatusFilter};
use tokio::time::Instant;

use crate::call;
use crate::client::SparkBot;
use crate::error::Error;
use crate::phone::E164;

/// What identifies a device in a lookup.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceKey {
    /// The 24-hex device id.
    Id(String),
    /// The device's phone number, in E.164.
    Phone(E164),
    /// The device's WhatsApp id (`447911123456@c.us`).
    Wid(String),
    /// The alias given to the device in SparkBot (compared ignoring case).
    Alias(String),
}

impl DeviceKey {
    /// Reads a key the way a person would mean it: 24 hex characters are an id, anything with
    /// `@` a WhatsApp id, anything written like a phone number a phone number, the rest an alias.
    pub fn parse(input: &str) -> Self {
        Self::parse_with_country(input, None)
    }

    /// Like [`DeviceKey::parse`], reading national phone numbers (`07911 123456`) with
    /// `default_country_code`.
    pub fn parse_with_country(input: &str, default_country_code: Option<&str>) -> Self {
        let input = input.trim();
        if input.len() == 24 && input.bytes().all(|b| b.is_ascii_hexdigit()) {
            return DeviceKey::Id(input.to_ascii_lowercase());
        }
        if input.contains('@') {
            return DeviceKey::Wid(input.to_ascii_lowercase());
        }
        let phone_like = input.chars().filter(char::is_ascii_digit).count() >= 7
            && input
                .chars()
                .all(|c| c.is_ascii_digit() || "+ -.()/\u{a0}".contains(c) || c == ':')
            || input.starts_with("tel:");
        if phone_like && let Ok(phone) = E164::parse(input, default_country_code) {
            return DeviceKey::Phone(phone);
        }
        DeviceKey::Alias(input.to_owned())
    }

    fn matches(&self, device: &Device) -> bool {
        match self {
            DeviceKey::Id(id) => device.id.as_deref() == Some(id.as_str()),
            DeviceKey::Phone(phone) => {
                let same = |value: Option<&str>| {
                    value
                        .and_then(|v| E164::parse(v, None).ok())
                        .is_some_and(|p| &p == phone)
                };
                same(device.phone.as_deref())
                    || same(device.wid.as_deref())
                    || same(device.session.as_ref().and_then(|s| s.phone.as_deref()))
            }
            DeviceKey::Wid(wid) => {
                device
                    .wid
                    .as_deref()
                    .is_some_and(|w| w.eq_ignore_ascii_case(wid))
                    || E164::parse(wid, None).is_ok_and(|p| DeviceKey::Phone(p).matches(device))
            }
            DeviceKey::Alias(alias) => device
                .alias
                .as_deref()
                .is_some_and(|a| a.trim().eq_ignore_ascii_case(alias)),
        }
    }
}

impl From<&str> for DeviceKey {
    fn from(input: &str) -> Self {
        DeviceKey::parse(input)
    }
}

impl From<String> for DeviceKey {
    fn from(input: String) -> Self {
        DeviceKey::parse(&input)
    }
}

impl From<&String> for DeviceKey {
    fn from(input: &String) -> Self {
        DeviceKey::parse(input)
    }
}

impl fmt::Display for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceKey::Id(id) => write!(f, "id {id}"),
            DeviceKey::Phone(phone) => write!(f, "phone {phone}"),
            DeviceKey::Wid(wid) => write!(f, "WhatsApp id {wid}"),
            DeviceKey::Alias(alias) => write!(f, "alias {alias:?}"),
        }
    }
}

/// Filters for listing devices. Empty means every device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceFilter {
    /// Only devices in this lifecycle status (`operative`, `banned`, …).
    pub status: Option<DeviceStatusFilter>,
    /// Only devices whose session is in this status (`online`, `conflict`, …).
    pub session_status: Option<SessionStatusFilter>,
    /// Server-side search: comma-separated phones, aliases or ids.
    pub search: Option<String>,
}

impl DeviceFilter {
    /// Every device.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only devices in this lifecycle status.
    pub fn status(mut self, status: DeviceStatusFilter) -> Self {
        self.status = Some(status);
        self
    }

    /// Only devices whose session is in this status.
    pub fn session_status(mut self, status: SessionStatusFilter) -> Self {
        self.session_status = Some(status);
        self
    }

    /// Server-side search (comma-separated phones, aliases or ids).
    pub fn search(mut self, search: impl Into<String>) -> Self {
        self.search = Some(search.into());
        self
    }

    fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Device cache with one TTL, for the full listing and for single devices.
#[derive(Debug)]
pub(crate) struct DeviceCache {
    ttl: Duration,
    list: Mutex<Option<(Instant, Arc<Vec<Device>>)>>,
    by_id: Mutex<HashMap<String, (Instant, Device)>>,
}

impl DeviceCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            list: Mutex::new(None),
            by_id: Mutex::new(HashMap::new()),
        }
    }

    fn list(&self) -> Option<Arc<Vec<Device>>> {
        let guard = self.list.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, list)| list.clone())
    }

    fn put_list(&self, devices: Arc<Vec<Device>>) {
        let now = Instant::now();
        let mut by_id = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        for device in devices.iter() {
            if let Some(id) = &device.id {
                by_id.insert(id.clone(), (now, device.clone()));
            }
        }
        *self.list.lock().unwrap_or_else(|e| e.into_inner()) = Some((now, devices));
    }

    fn get(&self, id: &str) -> Option<Device> {
        let guard = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .get(id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, d)| d.clone())
    }

    fn put(&self, device: &Device) {
        if let Some(id) = &device.id {
            self.by_id
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.clone(), (Instant::now(), device.clone()));
        }
    }

    pub(crate) fn clear(&self) {
        *self.list.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.by_id.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl SparkBot {
    /// Streams the devices matching `filter`, page by page: the list builder's own stream,
    /// [`list_devices()`](sparkbot_api::Client::list_devices)`.….stream()`
    /// ([`sparkbot_api::paging`]), with the filter's parameters set and its errors mapped to
    /// [`Error`]. It borrows the bot (the builder borrows the client); pages are fetched lazily,
    /// each through the client's pipeline, and a page repeating the one before it ends the stream
    /// with [`Error::RepeatedPage`].
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// use futures::TryStreamExt;
    /// use sparkbot_api::types::SessionStatusFilter;
    /// use sparkbot_extras::DeviceFilter;
    ///
    /// let mut online = bot.devices_stream(DeviceFilter::all().session_status(SessionStatusFilter::Online));
    /// while let Some(device) = online.try_next().await? {
    ///     println!("{:?} {:?}", device.id, device.alias);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn devices_stream(&self, filter: DeviceFilter) -> BoxStream<'_, Result<Device, Error>> {
        let mut request = self.api().list_devices();
        if let Some(status) = filter.status {
            request = request.status(status);
        }
        if let Some(status) = filter.session_status {
            request = request.session_status(status);
        }
        if let Some(search) = filter.search {
            request = request.search(search);
        }
        call::pages(request.stream()).boxed()
    }

    /// Lists every device matching `filter`. An unfiltered listing is served from the device
    /// cache when one is configured.
    pub async fn devices(&self, filter: DeviceFilter) -> Result<Vec<Device>, Error> {
        if filter.is_empty() {
            return Ok(self.all_devices().await?.as_ref().clone());
        }
        self.devices_stream(filter).try_collect().await
    }

    async fn all_devices(&self) -> Result<Arc<Vec<Device>>, Error> {
        if let Some(list) = self.cache().and_then(DeviceCache::list) {
            return Ok(list);
        }
        let list: Arc<Vec<Device>> = Arc::new(
            self.devices_stream(DeviceFilter::all())
                .try_collect()
                .await?,
        );
        if let Some(cache) = self.cache() {
            cache.put_list(list.clone());
        }
        Ok(list)
    }

    /// Gets one device by id (from the cache when fresh). A 404 becomes
    /// [`Error::DeviceNotFound`].
    pub async fn device(&self, device_id: &str) -> Result<Device, Error> {
        let id = Self::parse_device_id(device_id)?;
        if let Some(device) = self.cache().and_then(|c| c.get(&id)) {
            return Ok(device);
        }
        let device = self.get_device_fresh(&id).await?;
        if let Some(cache) = self.cache() {
            cache.put(&device);
        }
        Ok(device)
    }

    /// Finds the one device matching `key` (an id, a phone number in any common form, a
    /// WhatsApp id, or an alias; see [`DeviceKey::parse`]).
    ///
    /// An id is fetched directly; other keys list the devices (once per cache TTL) and match
    /// locally. A miss is [`Error::DeviceNotFound`] naming the key and how many devices were
    /// searched; two matches are [`Error::AmbiguousDevice`].
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// let device = bot.find_device("+44 7911 123456").await?;
    /// let same = bot.find_device("sales").await?; // by alias
    /// # Ok(()) }
    /// ```
    pub async fn find_device(&self, key: impl Into<DeviceKey>) -> Result<Device, Error> {
        let key = key.into();
        let key = match key {
            // Re-read a phone-like alias with the configured country code.
            DeviceKey::Alias(ref alias) if self.default_country_code().is_some() => {
                DeviceKey::parse_with_country(alias, self.default_country_code())
            }
            other => other,
        };
        if let DeviceKey::Id(id) = &key {
            return self.device(id).await;
        }
        let devices = self.all_devices().await?;
        let matches: Vec<&Device> = devices.iter().filter(|d| key.matches(d)).collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::DeviceNotFound {
                key: key.to_string(),
                searched: Some(devices.len()),
                response: None,
            }),
            many => Err(Error::AmbiguousDevice {
                key: key.to_string(),
                ids: many
                    .iter()
                    .map(|d| d.id.clone().unwrap_or_else(|| "(no id)".to_owned()))
                    .collect(),
            }),
        }
    }

    /// Forgets every cached device, so the next lookup reads the API.
    pub fn invalidate_device_cache(&self) {
        if let Some(cache) = self.cache() {
            cache.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, phone: &str, alias: &str) -> Device {
        serde_json::from_value(serde_json::json!({
            "id": id, "phone": phone, "alias": alias,
            "wid": format!("{}@c.us", phone.trim_start_matches('+')),
        }))
        .unwrap()
    }

    #[test]
    fn keys_are_guessed_from_their_form() {
        assert_eq!(
            DeviceKey::parse("5F0A1B2C3D4E5F6A7B8C9D0E"),
            DeviceKey::Id("5f0a1b2c3d4e5f6a7b8c9d0e".into())
        );
        assert!(matches!(
            DeviceKey::parse("+44 7911 123456"),
            DeviceKey::Phone(p) if p.as_str() == "+447911123456"
        ));
        assert!(matches!(
            DeviceKey::parse("447911123456"),
            DeviceKey::Phone(_)
        ));
        assert_eq!(
            DeviceKey::parse("447911123456@C.US"),
            DeviceKey::Wid("447911123456@c.us".into())
        );
        assert_eq!(DeviceKey::parse("Sales"), DeviceKey::Alias("Sales".into()));
        // Too short for a phone number: an alias.
        assert_eq!(DeviceKey::parse("2024"), DeviceKey::Alias("2024".into()));
        assert!(matches!(
            DeviceKey::parse_with_country("07911 123456", Some("44")),
            DeviceKey::Phone(p) if p.as_str() == "+447911123456"
        ));
        assert_eq!(
            DeviceKey::parse("07911 123456"),
            DeviceKey::Alias("07911 123456".into())
        );
    }

    #[test]
    fn keys_match_devices() {
        let d = device("5f0a1b2c3d4e5f6a7b8c9d0e", "+447911123456", "Sales");
        assert!(DeviceKey::parse("0044 (7911) 123-456").matches(&d));
        assert!(DeviceKey::parse("447911123456@c.us").matches(&d));
        assert!(DeviceKey::parse(" sales ").matches(&d));
        assert!(!DeviceKey::parse("support").matches(&d));
        assert!(!DeviceKey::parse("+447911123457").matches(&d));
    }

    #[tokio::test(start_paused = true)]
    async fn the_cache_expires_after_its_ttl() {
        let cache = DeviceCache::new(Duration::from_secs(10));
        let d = device("5f0a1b2c3d4e5f6a7b8c9d0e", "+447911123456", "Sales");
        cache.put_list(Arc::new(vec![d]));
        assert!(cache.list().is_some());
        assert!(cache.get("5f0a1b2c3d4e5f6a7b8c9d0e").is_some());
        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(cache.list().is_none());
        assert!(cache.get("5f0a1b2c3d4e5f6a7b8c9d0e").is_none());
    }
}
