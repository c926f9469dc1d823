#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod answer;
mod builder;
mod fault;
mod http;
mod model;
mod server;
mod sink;

#[cfg(feature = "mocks")]
#[allow(clippy::all, missing_docs, unused_imports, dead_code)]
#[rustfmt::skip]
mod generated_mock;

/// The typed httpmock extension generated from the spec by `cargo xtask generate` (feature
/// `mocks`): [`MockServerExt`](mocks::MockServerExt) adds one method per operation to
/// [`httpmock::MockServer`], whose `When`/`Then` wrappers in [`operations`](mocks::operations)
/// take the generated types. Mock paths are the spec's, without `/v1`: aim the client at
/// `server.base_url()`.
#[cfg(feature = "mocks")]
pub mod mocks {
    pub use crate::generated_mock::*;
}

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value, json};
// Also the `crate::types` path the generated mocks name their types by.
use sparkbot_api::types;
use sparkbot_api::{ApiKey, Client, ClientConfig};
use tokio::sync::{Notify, watch};

pub use answer::Answer;
pub use builder::SimulatorBuilder;
pub use fault::{Fault, FaultKind};
pub use model::{Clock, Delivery, RequestRecord, SimDevice, StoredMessage, StoredWebhook};
pub use sink::{Received, WebhookSink};

use model::{Event, Outgoing, State};

/// The devices a [`Simulator`] starts with unless told otherwise, as the SDK's examples use
/// them.
pub mod demo;

/// The API key a simulator checks unless [`SimulatorBuilder::api_key`] sets another.
pub const DEFAULT_API_KEY: &str = "sparkbot-testkit-key";

pub(crate) struct Inner {
    state: Mutex<State>,
    api_key: String,
    notify: Notify,
    /// Held while due changes are applied and their webhooks delivered, so that they happen
    /// one at a time, in time order.
    processing: tokio::sync::Mutex<()>,
    http: reqwest::Client,
}

impl Inner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies every change due by `until` (by now when `None`), in time order, delivering
    /// the webhooks of each before the next.
    async fn process(&self, until: Option<Duration>) {
        let _one_at_a_time = self.processing.lock().await;
        loop {
            let outgoing = {
                let mut state = self.lock();
                let limit = until.unwrap_or_else(|| state.clock.now());
                match state.queue.first_key_value() {
                    Some((&(at, _), _)) if at <= limit => {}
                    _ => break,
                }
                let Some(((at, _), event)) = state.queue.pop_first() else {
                    break;
                };
                if state.clock.mode == Clock::Manual && state.clock.offset < at {
                    state.clock.offset = at;
                }
                state.apply(at, event)
            };
            for delivery in outgoing {
                self.post(delivery).await;
            }
        }
        if let Some(until) = until {
            let mut state = self.lock();
            if state.clock.mode == Clock::Manual && state.clock.offset < until {
                state.clock.offset = until;
            }
        }
    }

    async fn post(&self, outgoing: Outgoing) -> Delivery {
        let result = self
            .http
            .post(&outgoing.url)
            .header("content-type", "application/json")
            .body(outgoing.body.clone())
            .send()
            .await;
        let (status, error) = match result {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let delivery = Delivery {
            url: outgoing.url,
            event: outgoing.event,
            event_id: outgoing.event_id,
            body: outgoing.body,
            status,
            error,
        };
        self.lock().deliveries.push(delivery.clone());
        delivery
    }

    /// How long (on the tokio clock) until the next change is due, if one is queued.
    fn next_due_in(&self) -> Option<Duration> {
        let state = self.lock();
        let (&(at, _), _) = state.queue.first_key_value()?;
        Some(at.saturating_sub(state.clock.now()))
    }
}

/// A stateful SparkBot API on 127.0.0.1, for tests: see the [crate documentation](crate).
///
/// Dropping it stops the server (and the clock).
pub struct Simulator {
    inner: Arc<Inner>,
    base_url: String,
    _shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Starts a simulator with the [`demo`] devices, the automatic clock and
    /// [`DEFAULT_API_KEY`].
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound, or outside a tokio runtime.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// [`start`](Simulator::start), returning the bind error instead of panicking.
    pub async fn try_start() -> io::Result<Self> {
        Self::builder().try_start().await
    }

    /// A builder, to change the key, the clock, the devices or the ack delays.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::with_defaults()
    }

    /// The API root, `/v1` included: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key the simulator accepts.
    pub fn api_key(&self) -> &str {
        &self.inner.api_key
    }

    /// A client configuration aimed at the simulator with its key, to adjust before
    /// building (a faster retry policy, a shorter timeout…).
    pub fn config(&self) -> ClientConfig {
        ClientConfig::new(
            self.base_url.clone(),
            ApiKey::new(self.inner.api_key.clone()).expect("checked at start"),
        )
    }

    /// A client aimed at the simulator, with the SDK's default configuration.
    pub fn client(&self) -> Client {
        self.config()
            .build()
            .expect("a loopback URL and a checked key make a valid configuration")
    }

    /// Keeps the simulator running until the process exits (or its tokio runtime stops), for
    /// programs such as examples whose simulator must outlive the function that started it.
    pub fn leak(self) -> &'static Simulator {
        Box::leak(Box::new(self))
    }

    // ---- time -------------------------------------------------------------------------

    /// The time on the simulator's clock: how long it has run ([`Clock::Auto`]) or how far
    /// it has been advanced ([`Clock::Manual`]).
    pub fn now(&self) -> Duration {
        self.inner.lock().clock.now()
    }

    /// Moves the clock forward by `by` and applies every change due by then (session steps,
    /// acks), in time order, delivering each one's webhooks before it returns. With
    /// [`Clock::Auto`] this skips ahead of real time.
    pub async fn advance(&self, by: Duration) {
        let target = {
            let mut state = self.inner.lock();
            match state.clock.mode {
                Clock::Auto => {
                    state.clock.offset += by;
                    None
                }
                Clock::Manual => Some(state.clock.offset + by),
            }
        };
        self.inner.process(target).await;
    }

    /// Polls `condition` every few milliseconds until it holds.
    ///
    /// # Panics
    ///
    /// When it still does not hold after `timeout` (real time); `what` names it in the
    /// message.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut condition: impl FnMut(&Simulator) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !condition(self) {
            if tokio::time::Instant::now() >= deadline {
                panic!("timed out after {timeout:?} waiting until {what}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // ---- devices ------------------------------------------------------------------------

    /// Adds a device (its `on_sync` steps start at its first sync).
    ///
    /// # Panics
    ///
    /// When its id is not 24 hex characters, or a device with that id exists already.
    pub fn add_device(&self, device: SimDevice) {
        assert!(
            device.id.len() == 24 && device.id.bytes().all(|b| b.is_ascii_hexdigit()),
            "device id {:?} is not 24 hex characters",
            device.id
        );
        let mut state = self.inner.lock();
        assert!(
            state.device(&device.id).is_none(),
            "device {} was added twice",
            device.id
        );
        state.devices.push(model::DeviceRecord {
            plan_armed: !device.on_sync.is_empty(),
            device,
            last_sync_at: None,
        });
    }

    /// Sets a device's session status now, cancelling its pending timed steps. Messages
    /// waiting for the device are released when it becomes `online`.
    ///
    /// # Panics
    ///
    /// When there is no such device.
    pub fn set_session(&self, device_id: &str, status: types::SessionStatus) {
        let mut state = self.inner.lock();
        let now = state.clock.now();
        assert!(
            state.set_session(&device_id.to_ascii_lowercase(), status, now, true),
            "no device {device_id}"
        );
        drop(state);
        self.inner.notify.notify_one();
    }

    /// Schedules a session change `after` from now on the simulator's clock.
    ///
    /// # Panics
    ///
    /// When there is no such device.
    pub fn schedule_session(&self, device_id: &str, after: Duration, status: types::SessionStatus) {
        let id = device_id.to_ascii_lowercase();
        let mut state = self.inner.lock();
        assert!(state.device(&id).is_some(), "no device {device_id}");
        let at = state.clock.now() + after;
        state.schedule(at, Event::Session { device: id, status });
        drop(state);
        self.inner.notify.notify_one();
    }

    /// A device's session status now.
    pub fn session(&self, device_id: &str) -> Option<types::SessionStatus> {
        let state = self.inner.lock();
        state
            .device(&device_id.to_ascii_lowercase())
            .map(|d| d.device.session.clone())
    }

    // ---- messages ----------------------------------------------------------------------------

    /// Every message stored by `POST /messages`, oldest first.
    pub fn messages(&self) -> Vec<StoredMessage> {
        let state = self.inner.lock();
        state.messages.iter().map(|m| m.message.clone()).collect()
    }

    /// The stored messages with this `reference`, oldest first.
    pub fn messages_with_reference(&self, reference: &str) -> Vec<StoredMessage> {
        self.messages()
            .into_iter()
            .filter(|m| m.reference.as_deref() == Some(reference))
            .collect()
    }

    /// One stored message by id.
    pub fn message(&self, id: &str) -> Option<StoredMessage> {
        let state = self.inner.lock();
        state
            .messages
            .iter()
            .find(|m| m.message.id == id)
            .map(|m| m.message.clone())
    }

    // ---- webhooks ----------------------------------------------------------------------------

    /// Every registered webhook, oldest first.
    pub fn webhooks(&self) -> Vec<StoredWebhook> {
        self.inner.lock().webhooks.clone()
    }

    /// Receives a text on `device` (an id or an alias) from `from_phone` (E.164): POSTs a
    /// `message:in:new` event to every webhook registered for it, and returns those
    /// deliveries once they are answered.
    ///
    /// # Panics
    ///
    /// When there is no such device.
    pub async fn deliver_inbound(
        &self,
        device: &str,
        from_phone: &str,
        text: &str,
    ) -> Vec<Delivery> {
        let outgoing = {
            let mut state = self.inner.lock();
            let record = state
                .device_by_key(device)
                .unwrap_or_else(|| panic!("no device {device}"));
            let (device_id, device_wid, device_phone) = (
                record.device.id.clone(),
                record.device.wid(),
                record.device.phone.clone(),
            );
            let now = state.clock.now();
            let wa_id = state.next_wa_id();
            let from = format!("{}@c.us", from_phone.trim_start_matches('+'));
            let mut data = Map::new();
            data.insert("id".into(), json!(wa_id));
            data.insert("type".into(), json!("text"));
            data.insert("flow".into(), json!("inbound"));
            data.insert("status".into(), json!("active"));
            data.insert("ack".into(), json!("delivered"));
            data.insert("body".into(), json!(text));
            data.insert("from".into(), json!(from));
            data.insert("fromNumber".into(), json!(from_phone));
            data.insert("to".into(), json!(device_wid));
            data.insert("toNumber".into(), json!(device_phone));
            data.insert("timestamp".into(), json!(state.clock.unix(now)));
            data.insert("date".into(), json!(state.clock.iso(now)));
            data.insert("chat".into(), json!({ "id": from }));
            state.event(
                "message:in:new",
                None,
                Some(&device_id),
                Value::Object(data),
                now,
            )
        };
        let mut deliveries = Vec::with_capacity(outgoing.len());
        for delivery in outgoing {
            deliveries.push(self.inner.post(delivery).await);
        }
        deliveries
    }

    /// POSTs `body` (as `application/json`, whatever it holds) to `url` and returns the
    /// delivery once answered: for bodies of your own, such as a repeated event or a
    /// malformed one.
    pub async fn deliver_raw(&self, url: &str, body: impl Into<Vec<u8>>) -> Delivery {
        self.inner
            .post(Outgoing {
                url: url.to_owned(),
                event: None,
                event_id: None,
                body: body.into(),
            })
            .await
    }

    /// Every webhook delivery made so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.lock().deliveries.clone()
    }

    // ---- faults and requests ------------------------------------------------------------

    /// Injects a fault for the next requests it matches (after the faults injected before it).
    pub fn inject(&self, fault: Fault) {
        self.inner.lock().faults.push(fault);
    }

    /// Scripts a route: the next requests with this method whose API path is the route
    /// template `route` (`"/devices/{id}"`: see [`Fault::route`]) meet `faults` in order, one
    /// request each (or [`times`](Fault::times) requests each), and once they are used up
    /// the simulator's own model answers that route again.
    ///
    /// Each fault's own method and path are replaced by these, and the faults are injected
    /// after those injected before, as [`inject`](Simulator::inject) does. A step of the
    /// script can be any fault: an [`Answer`] of your own (any status, headers such as
    /// `Retry-After`, a JSON or HTML body), a [`hang`](Fault::hang), a
    /// [`drop`](Fault::drop_before), a 5xx after the work…
    ///
    /// ```no_run
    /// # async fn run(sim: &sparkbot_testkit::Simulator) {
    /// use sparkbot_testkit::{Answer, Fault};
    /// // Three bad reads of a device, then its real state.
    /// sim.inject_sequence("GET", "/devices/{id}", [
    ///     Fault::drop_before(),
    ///     Fault::answer(Answer::new(502).html("<html>Bad Gateway</html>")),
    ///     Fault::hang(),
    /// ]);
    /// # }
    /// ```
    pub fn inject_sequence(
        &self,
        method: &str,
        route: &str,
        faults: impl IntoIterator<Item = Fault>,
    ) {
        let faults: Vec<Fault> = faults
            .into_iter()
            .map(|fault| fault.on_route(method, route))
            .collect();
        self.inner.lock().faults.extend(faults);
    }

    /// The faults not used up yet, in the order they apply.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.inner.lock().faults.clone()
    }

    /// Forgets every fault not used up yet: every request is served by the model again.
    pub fn clear_faults(&self) {
        self.inner.lock().faults.clear();
    }

    /// Every request that arrived, oldest first (failed authentication and faults
    /// included).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner.lock().requests.clone()
    }

    /// How many requests with this method (any case) arrived whose API path starts with
    /// `path_prefix` (`"/messages"`).
    pub fn request_count(&self, method: &str, path_prefix: &str) -> usize {
        self.inner
            .lock()
            .requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.starts_with(path_prefix))
            .count()
    }

    /// The requests with this method (any case) whose API path is the route template `route`
    /// (`"/devices/{id}"` counts the reads of a device, not its `/sync`: see
    /// [`Fault::route`]), oldest first.
    pub fn requests_on(&self, method: &str, route: &str) -> Vec<RequestRecord> {
        let route = fault::api_path(route);
        self.inner
            .lock()
            .requests
            .iter()
            .filter(|r| {
                r.method.eq_ignore_ascii_case(method) && fault::route_matches(&route, &r.path)
            })
            .cloned()
            .collect()
    }

    /// How many requests with this method (any case) arrived whose API path is the route
    /// template `route`: the length of [`requests_on`](Simulator::requests_on).
    pub fn route_count(&self, method: &str, route: &str) -> usize {
        self.requests_on(method, route).len()
    }
}

// `Simulator` is shared across tasks in tests (`&'static` after `leak`, or behind an `Arc`).
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Simulator>();
};

#[cfg(test)]
mod tests;
