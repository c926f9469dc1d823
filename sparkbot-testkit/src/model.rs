//! What the simulator stores: devices and their sessions, outbound messages, webhooks, the
//! requests that arrived and the webhook deliveries made, and the queue of timed changes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use sparkbot_api::types::{DeviceStatus, MessageStatus, SessionStatus};

use crate::fault::Fault;

mod state;

/// A device (a WhatsApp number) to add to the simulator, with its session's state machine.
///
/// A new device is `operative` and `online`. [`on_sync`](SimDevice::on_sync) adds timed steps
/// that start at the device's first `GET /devices/{id}/sync`, like a real session reconnecting:
///
/// ```
/// use std::time::Duration;
/// use sparkbot_api::types::SessionStatus;
/// use sparkbot_testkit::SimDevice;
///
/// let device = SimDevice::new("5f0a1b2c3d4e5f6a7b8c9d0e", "+447911123456")
///     .alias("sales")
///     .session(SessionStatus::Offline)
///     .on_sync(Duration::from_millis(800), SessionStatus::Loading)
///     .on_sync(Duration::from_secs(2), SessionStatus::Online);
/// assert_eq!(device.id(), "5f0a1b2c3d4e5f6a7b8c9d0e");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimDevice {
    pub(crate) id: String,
    pub(crate) phone: String,
    pub(crate) alias: Option<String>,
    pub(crate) status: DeviceStatus,
    pub(crate) session: SessionStatus,
    pub(crate) on_sync: Vec<(Duration, SessionStatus)>,
}

impl SimDevice {
    /// A device with this id (24 hex characters, as the API's) and phone number (E.164,
    /// `+` included), `operative` and `online`.
    pub fn new(id: impl Into<String>, phone: impl Into<String>) -> Self {
        Self {
            id: id.into().to_ascii_lowercase(),
            phone: phone.into(),
            alias: None,
            status: DeviceStatus::Operative,
            session: SessionStatus::Online,
            on_sync: Vec::new(),
        }
    }

    /// Its alias (what [`find_device`] matches besides the id and the phone).
    ///
    /// [`find_device`]: https://docs.rs/sparkbot-extras/latest/sparkbot_extras/struct.SparkBot.html#method.find_device
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// Its lifecycle status (`operative` by default).
    pub fn status(mut self, status: DeviceStatus) -> Self {
        self.status = status;
        self
    }

    /// Its session status now (`online` by default).
    pub fn session(mut self, status: SessionStatus) -> Self {
        self.session = status;
        self
    }

    /// A step of its session after the first sync: `after` that sync (on the simulator's
    /// clock), the session becomes `status`. Steps may be given in any order.
    pub fn on_sync(mut self, after: Duration, status: SessionStatus) -> Self {
        self.on_sync.push((after, status));
        self
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its phone number.
    pub fn phone(&self) -> &str {
        &self.phone
    }

    /// Its WhatsApp id, `<digits>@c.us`.
    pub fn wid(&self) -> String {
        format!("{}@c.us", self.phone.trim_start_matches('+'))
    }
}

/// An outbound message as the simulator stored it from `POST /messages`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StoredMessage {
    /// Its id (24 hex), as answered.
    pub id: String,
    /// The `device` it was sent from, as given.
    pub device: Option<String>,
    /// The target `phone`, as given.
    pub phone: Option<String>,
    /// The target `group`, as given.
    pub group: Option<String>,
    /// The text (`message`), if any.
    pub text: Option<String>,
    /// The `reference`, if any.
    pub reference: Option<String>,
    /// Its status now: `queued`, then `sent`, then `delivered`.
    pub status: MessageStatus,
    /// Its WhatsApp message id, once sent.
    pub wa_id: Option<String>,
    /// When it was stored, on the simulator's clock.
    pub created_at: Duration,
    /// The request body as received.
    pub request: Value,
}

/// A webhook registered with `POST /webhooks`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredWebhook {
    /// Its id (24 hex).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The receiver URL.
    pub url: String,
    /// The event names it receives.
    pub events: Vec<String>,
    /// The device it is limited to, if any.
    pub device: Option<String>,
}

/// One request that reached the simulator.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The method, upper case.
    pub method: String,
    /// The API path: the part after `/v1` (`/messages`), or the whole path when it does not
    /// start with `/v1`.
    pub path: String,
    /// The raw query string (empty when there is none).
    pub query: String,
    /// The status answered, or `None` when no answer went out: the connection was dropped,
    /// or the request hung ([`Fault::hang`](crate::Fault::hang)), or the client gave up
    /// before a [`delay`](crate::Fault::delay) ended. A request still in flight has `None`
    /// too, until it is answered.
    pub status: Option<u16>,
    /// The [`FaultKind::name`](crate::FaultKind::name) of the fault applied, if any.
    pub fault: Option<&'static str>,
}

/// One webhook delivery the simulator made: a `POST` to a receiver URL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The receiver URL.
    pub url: String,
    /// The event name (`message:out:ack`…), `None` for [`Simulator::deliver_raw`](crate::Simulator::deliver_raw).
    pub event: Option<String>,
    /// The event's `id`, unique per event, `None` for a raw delivery.
    pub event_id: Option<String>,
    /// The body sent.
    pub body: Vec<u8>,
    /// The status the receiver answered, `None` when it could not be reached or timed out.
    pub status: Option<u16>,
    /// Why the receiver could not be reached, if it could not.
    pub error: Option<String>,
}

impl Delivery {
    /// Whether the receiver answered 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

pub(crate) struct DeviceRecord {
    pub(crate) device: SimDevice,
    /// The session plan has not started yet (no sync since it was added).
    pub(crate) plan_armed: bool,
    pub(crate) last_sync_at: Option<Duration>,
}

pub(crate) struct MessageRecord {
    pub(crate) message: StoredMessage,
    /// Its first ack is in the queue (it waits for the device to be online otherwise).
    pub(crate) ack_scheduled: bool,
    pub(crate) sent_at: Option<Duration>,
    pub(crate) delivered_at: Option<Duration>,
}

/// A timed change, in the queue until its time comes.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    Session {
        device: String,
        status: SessionStatus,
    },
    Ack {
        message: String,
        status: MessageStatus,
    },
}

/// A webhook POST to make once the state lock is released.
pub(crate) struct Outgoing {
    pub(crate) url: String,
    pub(crate) event: Option<String>,
    pub(crate) event_id: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// How time passes in the simulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// Virtual time follows the tokio clock (real time, unless the runtime's time is paused):
    /// session steps and acks happen by themselves in the background.
    #[default]
    Auto,
    /// Virtual time stands still until [`Simulator::advance`](crate::Simulator::advance) moves
    /// it; every change due by then happens (and its webhooks are delivered) within that call.
    Manual,
}

pub(crate) struct ClockState {
    pub(crate) mode: Clock,
    pub(crate) origin: tokio::time::Instant,
    pub(crate) offset: Duration,
    pub(crate) wall_origin: chrono::DateTime<chrono::Utc>,
}

impl ClockState {
    pub(crate) fn now(&self) -> Duration {
        match self.mode {
            Clock::Auto => self.origin.elapsed() + self.offset,
            Clock::Manual => self.offset,
        }
    }

    pub(crate) fn iso(&self, at: Duration) -> String {
        let at = chrono::Duration::from_std(at).unwrap_or_default();
        (self.wall_origin + at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    pub(crate) fn unix(&self, at: Duration) -> i64 {
        let at = chrono::Duration::from_std(at).unwrap_or_default();
        (self.wall_origin + at).timestamp()
    }
}

pub(crate) struct Settings {
    pub(crate) sent_after: Duration,
    pub(crate) delivered_after: Duration,
}

pub(crate) struct State {
    pub(crate) clock: ClockState,
    pub(crate) settings: Settings,
    pub(crate) devices: Vec<DeviceRecord>,
    pub(crate) messages: Vec<MessageRecord>,
    pub(crate) webhooks: Vec<StoredWebhook>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) deliveries: Vec<Delivery>,
    pub(crate) queue: BTreeMap<(Duration, u64), Event>,
    seq: u64,
    ids: u64,
}

pub(crate) fn webhook_json(webhook: &StoredWebhook) -> Value {
    let mut out = json!({
        "id": webhook.id,
        "name": webhook.name,
        "url": webhook.url,
        "events": webhook.events,
        "status": "active",
    });
    if let Some(device) = &webhook.device {
        out["device"] = json!(device);
    }
    out
}
