//! What the simulator stores: devices and their sessions, outbound messages, webhooks, the
//! requests that arrived and the webhook deliveries made, and the queue of timed changes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};
use sparkbot_api::types::{DeviceStatus, MessageStatus, SessionStatus};

use crate::fault::Fault;

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
    /// The status answered, or `None` when the connection was dropped instead.
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

impl State {
    pub(crate) fn new(clock: ClockState, settings: Settings) -> Self {
        Self {
            clock,
            settings,
            devices: Vec::new(),
            messages: Vec::new(),
            webhooks: Vec::new(),
            faults: Vec::new(),
            requests: Vec::new(),
            deliveries: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
            ids: 0,
        }
    }

    /// A new 24-hex id: a 4-byte tag for the kind, then a counter shared by every kind.
    pub(crate) fn next_id(&mut self, tag: u32) -> String {
        self.ids += 1;
        format!("{tag:08x}{:016x}", self.ids)
    }

    /// A new WhatsApp message id.
    pub(crate) fn next_wa_id(&mut self) -> String {
        self.ids += 1;
        format!("3EB0{:016X}", self.ids)
    }

    pub(crate) fn schedule(&mut self, at: Duration, event: Event) {
        self.seq += 1;
        self.queue.insert((at, self.seq), event);
    }

    pub(crate) fn device(&self, id: &str) -> Option<&DeviceRecord> {
        self.devices.iter().find(|d| d.device.id == id)
    }

    pub(crate) fn device_mut(&mut self, id: &str) -> Option<&mut DeviceRecord> {
        self.devices.iter_mut().find(|d| d.device.id == id)
    }

    /// Finds a device by id or alias.
    pub(crate) fn device_by_key(&self, key: &str) -> Option<&DeviceRecord> {
        let lower = key.to_ascii_lowercase();
        self.device(&lower).or_else(|| {
            self.devices
                .iter()
                .find(|d| d.device.alias.as_deref() == Some(key))
        })
    }

    pub(crate) fn message_mut(&mut self, id: &str) -> Option<&mut MessageRecord> {
        self.messages.iter_mut().find(|m| m.message.id == id)
    }

    /// Sets a device's session now (cancelling its timed steps when `cancel_plan`), and
    /// releases the messages waiting for it when it is online.
    pub(crate) fn set_session(
        &mut self,
        id: &str,
        status: SessionStatus,
        at: Duration,
        cancel_plan: bool,
    ) -> bool {
        let Some(record) = self.device_mut(id) else {
            return false;
        };
        record.device.session = status.clone();
        if cancel_plan {
            record.plan_armed = false;
            self.queue
                .retain(|_, event| !matches!(event, Event::Session { device, .. } if device == id));
        }
        if status == SessionStatus::Online {
            self.release_waiting(id, at);
        }
        true
    }

    /// Whether a message from `device` can be sent now: no device named, or the device is
    /// operative and online.
    fn can_send(&self, device: Option<&str>) -> bool {
        match device.and_then(|id| self.device(id)) {
            Some(d) => {
                d.device.session == SessionStatus::Online
                    && d.device.status == DeviceStatus::Operative
            }
            None => true,
        }
    }

    fn release_waiting(&mut self, device: &str, at: Duration) {
        if !self.can_send(Some(device)) {
            return;
        }
        let sent_at = at + self.settings.sent_after;
        let ready: Vec<String> = self
            .messages
            .iter_mut()
            .filter(|m| {
                !m.ack_scheduled
                    && m.message.status == MessageStatus::Queued
                    && m.message.device.as_deref() == Some(device)
            })
            .map(|m| {
                m.ack_scheduled = true;
                m.message.id.clone()
            })
            .collect();
        for message in ready {
            self.schedule(
                sent_at,
                Event::Ack {
                    message,
                    status: MessageStatus::Sent,
                },
            );
        }
    }

    /// Stores a new outbound message and schedules its first ack if it can be sent now.
    pub(crate) fn store_message(&mut self, message: StoredMessage, at: Duration) -> Value {
        let ack_scheduled = self.can_send(message.device.as_deref());
        if ack_scheduled {
            self.schedule(
                at + self.settings.sent_after,
                Event::Ack {
                    message: message.id.clone(),
                    status: MessageStatus::Sent,
                },
            );
        }
        let record = MessageRecord {
            message,
            ack_scheduled,
            sent_at: None,
            delivered_at: None,
        };
        let json = self.message_json(&record);
        self.messages.push(record);
        json
    }

    /// Applies one due event at `at`; returns the webhook deliveries it causes.
    pub(crate) fn apply(&mut self, at: Duration, event: Event) -> Vec<Outgoing> {
        match event {
            Event::Session { device, status } => {
                self.set_session(&device, status, at, false);
                Vec::new()
            }
            Event::Ack { message, status } => self.ack(&message, status, at),
        }
    }

    fn ack(&mut self, id: &str, status: MessageStatus, at: Duration) -> Vec<Outgoing> {
        let delivered_after = self.settings.delivered_after;
        let wa_id = self.next_wa_id();
        let Some(record) = self.message_mut(id) else {
            return Vec::new();
        };
        record.message.status = status.clone();
        if record.message.wa_id.is_none() {
            record.message.wa_id = Some(wa_id);
        }
        match status {
            MessageStatus::Sent => record.sent_at = Some(at),
            MessageStatus::Delivered => record.delivered_at = Some(at),
            _ => {}
        }
        let message = record.message.clone();
        if status == MessageStatus::Sent {
            self.schedule(
                at + delivered_after,
                Event::Ack {
                    message: id.to_owned(),
                    status: MessageStatus::Delivered,
                },
            );
        }
        let ack = status.as_str().to_owned();
        let device = message.device.as_deref().and_then(|id| self.device(id));
        let (from, from_number) = device
            .map(|d| (Some(d.device.wid()), Some(d.device.phone.clone())))
            .unwrap_or_default();
        let (to, to_number) = match (&message.phone, &message.group) {
            (Some(phone), _) => (
                Some(format!("{}@c.us", phone.trim_start_matches('+'))),
                Some(phone.clone()),
            ),
            (None, Some(group)) => (Some(group.clone()), None),
            (None, None) => (None, None),
        };
        let mut data = Map::new();
        data.insert("id".into(), json!(message.wa_id));
        data.insert("type".into(), json!("text"));
        data.insert("flow".into(), json!("outbound"));
        data.insert("status".into(), json!("active"));
        data.insert("ack".into(), json!(ack));
        data.insert("body".into(), json!(message.text));
        data.insert("from".into(), json!(from));
        data.insert("fromNumber".into(), json!(from_number));
        data.insert("to".into(), json!(to));
        data.insert("toNumber".into(), json!(to_number));
        data.insert("timestamp".into(), json!(self.clock.unix(at)));
        data.insert("date".into(), json!(self.clock.iso(at)));
        data.insert(
            "createdAt".into(),
            json!(self.clock.iso(message.created_at)),
        );
        data.insert("reference".into(), json!(message.reference));
        data.insert("chat".into(), json!({ "id": to }));
        data.retain(|_, v| !v.is_null());
        let device_id = message.device.clone();
        self.event(
            "message:out:ack",
            Some(&ack),
            device_id.as_deref(),
            Value::Object(data),
            at,
        )
    }

    /// The deliveries of one event to every webhook that wants it.
    pub(crate) fn event(
        &mut self,
        name: &str,
        ack: Option<&str>,
        device: Option<&str>,
        data: Value,
        at: Duration,
    ) -> Vec<Outgoing> {
        let targets: Vec<String> = self
            .webhooks
            .iter()
            .filter(|w| w.events.iter().any(|e| e == name))
            .filter(|w| match (&w.device, device) {
                (Some(only), Some(device)) => only == device,
                (Some(_), None) => false,
                (None, _) => true,
            })
            .map(|w| w.url.clone())
            .collect();
        if targets.is_empty() {
            return Vec::new();
        }
        let event_id = self.next_id(0x65766e74);
        let device = device.and_then(|id| self.device(id)).map(|d| {
            let mut device = json!({ "id": d.device.id, "phone": d.device.phone });
            if let Some(alias) = &d.device.alias {
                device["alias"] = json!(alias);
            }
            device
        });
        let mut body = json!({
            "id": event_id,
            "object": "message",
            "event": name,
            "created": self.clock.unix(at),
            "data": data,
        });
        if let Some(ack) = ack {
            body["ack"] = json!(ack);
        }
        if let Some(device) = device {
            body["device"] = device;
        }
        let body = body.to_string().into_bytes();
        targets
            .into_iter()
            .map(|url| Outgoing {
                url,
                event: Some(name.to_owned()),
                event_id: Some(event_id.clone()),
                body: body.clone(),
            })
            .collect()
    }

    pub(crate) fn device_json(&self, record: &DeviceRecord) -> Value {
        let d = &record.device;
        let mut session = json!({ "status": d.session.as_str() });
        if let Some(at) = record.last_sync_at {
            session["lastSyncAt"] = json!(self.clock.iso(at));
        }
        let mut device = json!({
            "id": d.id,
            "phone": d.phone,
            "wid": d.wid(),
            "status": d.status.as_str(),
            "session": session,
        });
        if let Some(alias) = &d.alias {
            device["alias"] = json!(alias);
        }
        device
    }

    pub(crate) fn message_json(&self, record: &MessageRecord) -> Value {
        let m = &record.message;
        let delivery = match m.status {
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            _ => "pending",
        };
        let mut out = Map::new();
        out.insert("id".into(), json!(m.id));
        out.insert("waId".into(), json!(m.wa_id));
        out.insert("device".into(), json!(m.device));
        out.insert("phone".into(), json!(m.phone));
        out.insert("group".into(), json!(m.group));
        out.insert("message".into(), json!(m.text));
        out.insert("reference".into(), json!(m.reference));
        out.insert("status".into(), json!(m.status.as_str()));
        out.insert("deliveryStatus".into(), json!(delivery));
        out.insert("createdAt".into(), json!(self.clock.iso(m.created_at)));
        if let Some(at) = record.sent_at {
            out.insert("sentAt".into(), json!(self.clock.iso(at)));
        }
        out.retain(|_, v| !v.is_null());
        Value::Object(out)
    }
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
