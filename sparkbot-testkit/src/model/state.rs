//! What the simulator does to its [`State`]: the requests it serves and the timed changes it applies.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};
use sparkbot_api::types::{DeviceStatus, MessageStatus, SessionStatus};

use super::{
    ClockState, DeviceRecord, Event, MessageRecord, Outgoing, Settings, State, StoredMessage,
};

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
