//! `sparkbot_extras::webhook`: deliveries parsed from raw bytes into the generated types, the
//! dispatch over every event name of the spec, the body limit, typed errors for any input, and
//! the shared-secret check.
//!
//! The fixtures keep the structure and value types of the captured deliveries and vendor
//! examples that `webhooks.rs` cites (EmmyrtGame/EmyFlow-FullStack-MCPServer,
//! caraxes-blood/wassenger-save-webhook-message, the vendor document's `POST /webhooks`
//! examples); names, numbers, IDs and URLs are made up.

use serde_json::{Value, json};
use sparkbot_api::types::{WebhookEventName, WebhookMessageAck, WebhookMessageFlow};
use sparkbot_extras::webhook::{
    DEFAULT_BODY_LIMIT, SECRET_QUERY_PARAMS, Webhook, WebhookError, WebhookEvent, WebhookSecret,
};
use sparkbot_tests::DEVICE_ID;

const CONTACT: &str = "447700900123@c.us";
const CONTACT_PHONE: &str = "+447700900123";
const OWN_PHONE: &str = "+34910000001";
const AGENT: &str = "6a1b2c3d4e5f60718293a4b5";
const OUTBOUND_ID: &str = "6b2c3d4e5f60718293a4b5c6";

fn parse(body: &Value) -> Result<Webhook, WebhookError> {
    Webhook::parse(body.to_string().as_bytes())
}

/// The one event of an event-object body, with its envelope checked against `body`.
fn single(body: &Value) -> WebhookEvent {
    let hook = parse(body).unwrap_or_else(|e| panic!("{body}: {e}"));
    let envelope = hook
        .envelope
        .as_ref()
        .expect("an object body has an envelope");
    assert_eq!(envelope.event.as_str(), body["event"].as_str().unwrap());
    assert_eq!(
        envelope.data, body["data"],
        "the envelope keeps `data` as sent"
    );
    assert_eq!(hook.events.len(), 1);
    hook.events.into_iter().next().unwrap()
}

/// The envelope every event object carries (vendor examples and captured deliveries).
fn envelope(event: &str, id: &str, data: Value) -> Value {
    json!({
        "id": id,
        "object": "message",
        "event": event,
        "created": 1767268800,
        "device": {"id": DEVICE_ID, "phone": OWN_PHONE, "alias": "Front desk",
                   "plan": "io-professional", "version": 1},
        "data": data
    })
}

/// A flat message, the `data` of the message events.
fn message(id: &str, kind: &str, flow: &str, body: &str) -> Value {
    json!({
        "id": id, "type": kind, "flow": flow, "status": "active", "ack": "delivered",
        "from": CONTACT, "fromNumber": CONTACT_PHONE,
        "to": "34910000001@c.us", "toNumber": OWN_PHONE,
        "date": "2026-01-01T12:00:00.000Z", "timestamp": 1767268800,
        "body": body,
        "chat": {"id": CONTACT, "name": "Dana Sample", "type": "chat",
                 "contact": {"wid": CONTACT, "phone": CONTACT_PHONE, "name": "Dana Sample"}},
        "meta": {"isGroup": false, "notifyName": "Dana", "source": "android"}
    })
}

/// One Gateway notification (the vendor document's `message:out:sent` / `message:out:failed`
/// example: the outbound message with a full device object, `schedule`, `retry`, `null`s).
fn notification(event: &str, status: &str, failure: Option<&str>) -> Value {
    json!({
        "event": event,
        "date": "2026-01-01T12:00:05.000Z",
        "entity": "message",
        "entityId": OUTBOUND_ID,
        "entityUrl": format!("https://api.example.com/v1/messages/{OUTBOUND_ID}"),
        "user": AGENT,
        "data": {
            "id": OUTBOUND_ID, "phone": CONTACT_PHONE, "status": status,
            "deliveryStatus": status, "createdAt": "2026-01-01T12:00:00.000Z",
            "sentAt": "2026-01-01T12:00:04.000Z", "failedAt": null,
            "processedAt": "2026-01-01T12:00:03.000Z", "webhookStatus": "pending",
            "message": "Your order has shipped", "priority": "normal",
            "failureReason": failure,
            "schedule": {"enabled": false},
            "retry": {"count": 1, "lastRetryAt": "2026-01-01T12:00:02.000Z"},
            "device": {
                "id": DEVICE_ID, "phone": OWN_PHONE, "alias": "Front desk",
                "description": "Notifications", "status": "verified",
                "session": {"status": "online", "error": false},
                "queue": {"total": 100, "size": 0, "available": 100},
                "profile": {"name": OWN_PHONE, "info": null},
                "links": {"device": {"method": "GET", "url": "https://api.example.com/v1/devices/x"}},
                "stats": {"total": {"sent": 12, "failed": 1, "media": 0}}
            }
        }
    })
}

/// The body of each event name of the spec, in the shape the spec documents for it.
fn body_for(name: &str) -> Value {
    match name {
        "message:in:new" => envelope(
            name,
            "3EB0AAAA0001",
            message("3EB0AAAA0001", "text", "inbound", "Hello"),
        ),
        "message:out:new" => {
            let mut data = message("3EB0AAAA0002", "text", "outbound", "On its way");
            data["agent"] = json!(AGENT);
            data["ack"] = json!("pending");
            envelope(name, "3EB0AAAA0002", data)
        }
        "message:out:ack" => {
            let mut data = message("3EB0AAAA0003", "text", "outbound", "On its way");
            data["ack"] = json!("read");
            data["events"] = json!({"sent": {"date": "2026-01-01T12:00:01.000Z"},
                                    "read": {"date": "2026-01-01T12:03:00.000Z"}});
            let mut body = envelope(name, "3EB0AAAA0003", data);
            body["ack"] = json!("read");
            body
        }
        "message:out:sent" => json!([notification(name, "sent", None)]),
        "message:out:failed" => {
            json!([notification(name, "failed", Some("Phone number not found"))])
        }
        "message:update" => {
            let mut data = message("3EB0AAAA0004", "poll", "outbound", "Lunch?");
            data["poll"] = json!({"name": "Lunch?", "options": [{"name": "Yes", "votes": 2}]});
            envelope(name, "3EB0AAAA0004", data)
        }
        "message:reaction" => {
            let mut data = message("3EB0AAAA0005", "reaction", "inbound", "👍");
            data["reactions"] = json!([{"reaction": "👍", "from": CONTACT}]);
            envelope(name, "3EB0AAAA0005", data)
        }
        "channel:in" => {
            let mut data = message("3EB0AAAA0006", "channel", "inbound", "News of the week");
            data["chat"] = json!({"id": "120363000000000009@newsletter", "type": "channel"});
            data["meta"] = json!({"isChannel": true});
            envelope(name, "3EB0AAAA0006", data)
        }
        "status:update" => {
            let mut data = message("3EB0AAAA0007", "image", "inbound", "Sunset");
            data["to"] = json!("status@broadcast");
            data["media"] = json!({"id": "6c3d4e5f60718293a4b5c6d7", "type": "image",
                                   "mime": "image/jpeg", "size": 48213});
            envelope(name, "3EB0AAAA0007", data)
        }
        "group:update" => envelope(
            name,
            "evt-group",
            json!({
                "id": "120363000000000001@g.us", "name": "Team", "participants": [CONTACT]
            }),
        ),
        "chat:update" => envelope(
            name,
            "evt-chat",
            json!({
                "id": CONTACT, "type": "chat", "status": "resolved", "prevStatus": "active",
                "labels": ["vip"],
                "owner": {"agent": AGENT, "assigner": null, "department": {"id": "d1", "name": "Sales"}},
                "contact": {"phone": CONTACT_PHONE, "name": "Dana Sample", "metadata": null}
            }),
        ),
        "contact:update" => envelope(
            name,
            "evt-contact",
            json!({
                "wid": CONTACT, "phone": CONTACT_PHONE, "metadata": [{"key": "tier", "value": "gold"}]
            }),
        ),
        "number:session" => envelope(name, "evt-session", json!({"status": "offline"})),
        other => panic!("no fixture for the spec's event `{other}`: add one"),
    }
}

/// The event names the spec lists under `components.schemas.WebhookEventName.enum`.
fn spec_event_names() -> Vec<String> {
    let spec = sparkbot_tests::spec();
    let names: Vec<String> = spec["components"]["schemas"]["WebhookEventName"]["enum"]
        .as_sequence()
        .expect("WebhookEventName has an enum")
        .iter()
        .map(|v| v.as_str().expect("event names are strings").to_owned())
        .collect();
    assert_eq!(names.len(), 13, "the spec lists thirteen event names");
    names
}

#[test]
fn every_spec_event_name_decodes_into_its_generated_type() {
    let names = spec_event_names();
    assert_eq!(
        names,
        WebhookEventName::KNOWN,
        "the generated enum matches the spec"
    );
    for name in &names {
        let body = body_for(name);
        let hook = parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hook.events.len(), 1, "{name}");
        let event = &hook.events[0];
        assert_eq!(event.name(), name, "{event:?}");
        let data = &body["data"];
        match event {
            WebhookEvent::MessageInNew(m) => {
                assert_eq!(m.flow, Some(WebhookMessageFlow::Inbound));
                assert_eq!(m.body.as_deref(), Some("Hello"));
                assert_eq!(m.from_number.as_deref(), Some(CONTACT_PHONE));
                let chat = m.chat.as_ref().unwrap();
                assert_eq!(chat.contact.as_ref().unwrap().wid.as_deref(), Some(CONTACT));
                assert_eq!(
                    m.meta.as_ref().unwrap().notify_name.as_deref(),
                    Some("Dana")
                );
            }
            WebhookEvent::MessageOutNew(m) => {
                assert_eq!(m.flow, Some(WebhookMessageFlow::Outbound));
                assert_eq!(m.agent.as_deref(), Some(AGENT));
                assert_eq!(m.ack, Some(WebhookMessageAck::Pending));
            }
            WebhookEvent::MessageOutAck(m) => {
                assert_eq!(m.ack, Some(WebhookMessageAck::Read));
                assert_eq!(
                    m.events.as_ref().unwrap()["read"]["date"],
                    "2026-01-01T12:03:00.000Z"
                );
                let envelope = hook.envelope.as_ref().unwrap();
                assert_eq!(envelope.ack, Some(WebhookMessageAck::Read));
            }
            WebhookEvent::MessageOutSent(n) => {
                assert!(hook.envelope.is_none(), "a Gateway batch has no envelope");
                assert_eq!(n.event, Some(WebhookEventName::MessageOutSent));
                assert_eq!(n.entity_id.as_deref(), Some(OUTBOUND_ID));
                let data = n.data.as_ref().unwrap();
                assert_eq!(data.delivery_status.as_deref(), Some("sent"));
                assert_eq!(data.message.as_deref(), Some("Your order has shipped"));
                assert_eq!(data.retry.as_ref().unwrap()["count"], 1);
            }
            WebhookEvent::MessageOutFailed(n) => {
                assert!(hook.envelope.is_none(), "a Gateway batch has no envelope");
                let data = n.data.as_ref().unwrap();
                assert_eq!(
                    data.failure_reason.as_deref(),
                    Some("Phone number not found")
                );
                assert_eq!(data.failed_at, None, "`failedAt: null` decodes as absent");
                let device = data.device.as_ref().unwrap();
                assert_eq!(device.id.as_deref(), Some(DEVICE_ID));
                assert_eq!(device.alias.as_deref(), Some("Front desk"));
            }
            WebhookEvent::MessageUpdate(m) => {
                assert_eq!(m.type_.as_deref(), Some("poll"));
                assert_eq!(m.poll.as_ref().unwrap()["options"][0]["votes"], 2);
            }
            WebhookEvent::MessageReaction(m) => {
                assert_eq!(m.type_.as_deref(), Some("reaction"));
                assert_eq!(m.reactions.as_ref().unwrap().len(), 1);
            }
            WebhookEvent::ChannelIn(m) => {
                let chat = m.chat.as_ref().unwrap();
                assert_eq!(chat.type_.as_deref(), Some("channel"));
                assert_eq!(m.meta.as_ref().unwrap().is_channel, Some(true));
            }
            WebhookEvent::StatusUpdate(m) => {
                assert_eq!(m.to.as_deref(), Some("status@broadcast"));
                assert_eq!(m.media.as_ref().unwrap().size, Some(48213));
            }
            WebhookEvent::ChatUpdate(chat) => {
                assert_eq!(chat.status.as_deref(), Some("resolved"));
                assert_eq!(chat.prev_status.as_deref(), Some("active"));
                let owner = chat.owner.as_ref().unwrap();
                assert_eq!(owner.agent.as_deref(), Some(AGENT));
                assert_eq!(owner.department.as_ref().unwrap()["name"], "Sales");
                assert!(chat.contact.as_ref().unwrap().metadata.is_none());
            }
            WebhookEvent::GroupUpdate(raw)
            | WebhookEvent::ContactUpdate(raw)
            | WebhookEvent::NumberSession(raw) => {
                assert_eq!(raw, data, "{name}: an untyped `data` is kept as sent");
            }
            other => panic!("{name} decoded as {other:?}"),
        }
        if let Some(envelope) = &hook.envelope {
            assert_eq!(envelope.id.as_deref(), body["id"].as_str());
            assert_eq!(envelope.created, Some(1767268800));
            let device = envelope.device.as_ref().unwrap();
            assert_eq!(device.plan.as_deref(), Some("io-professional"));
            assert_eq!(device.version, Some(1));
        }
    }
}

#[test]
fn captured_inbound_text_delivery_decodes() {
    // Shaped like the EmmyrtGame/EmyFlow-FullStack-MCPServer capture: a 1:1 text with the full
    // chat and contact objects, many fields `null` or not in the spec.
    let mut data = message("3EB0AAAA0010", "text", "inbound", "Is the shop open today?");
    data["chat"] = json!({
        "id": CONTACT, "name": "Dana Sample", "date": "2026-01-01T12:00:00.000Z", "type": "chat",
        "lid": "100000000000009@lid", "status": "pending", "waStatus": "active",
        "statusUpdatedBy": null, "prevStatus": "pending", "lastMessageTime": 1767268800,
        "lastAutoReply": null,
        "stats": {"notes": 0, "localMessages": 3},
        "labels": ["new", "web"],
        "owner": {"agent": null, "department": null, "previousDepartment": null},
        "contact": {
            "wid": CONTACT, "type": "user", "name": "Dana Sample", "shortName": "Dana",
            "displayName": "Dana", "phone": CONTACT_PHONE,
            "image": {"url": "https://pps.example.net/dana.jpg"},
            "info": {"languages": [], "kind": "personal", "fullName": null},
            "locationInfo": {"alpha2": "GB", "countryCallingCodes": ["+44"]},
            "metadata": [{"key": "crm_id", "value": "c-42"}],
            "campaigns": [],
            "subscription": {"status": "active"}
        },
        "links": {"chat": format!("/v1/chat/{DEVICE_ID}/chats/{CONTACT}")}
    });
    data["events"] = json!({});
    data["meta"] = json!({"isGroup": false, "isFirstMessage": true, "rtl": false,
                          "isPSA": false, "source": "ios", "notifyName": "Dana"});
    data["links"] = json!({"message": format!("/v1/chat/{DEVICE_ID}/messages/3EB0AAAA0010"),
                           "device": format!("/v1/devices/{DEVICE_ID}")});
    let WebhookEvent::MessageInNew(m) = single(&envelope("message:in:new", "3EB0AAAA0010", data))
    else {
        panic!("not a message:in:new")
    };
    assert_eq!(m.id.as_deref(), Some("3EB0AAAA0010"));
    assert_eq!(m.ack, Some(WebhookMessageAck::Delivered));
    assert_eq!(m.timestamp, Some(1767268800));
    let chat = m.chat.as_ref().unwrap();
    assert_eq!(chat.lid.as_deref(), Some("100000000000009@lid"));
    assert_eq!(
        chat.labels.as_deref(),
        Some(&["new".to_owned(), "web".to_owned()][..])
    );
    let owner = chat.owner.as_ref().unwrap();
    assert_eq!(owner.agent, None, "an unassigned chat has `agent: null`");
    assert!(owner.department.is_none());
    let contact = chat.contact.as_ref().unwrap();
    assert_eq!(
        contact.metadata.as_ref().unwrap()[0].value.as_deref(),
        Some("c-42")
    );
    assert_eq!(
        contact.image.as_ref().and_then(|i| i.url.as_deref()),
        Some("https://pps.example.net/dana.jpg")
    );
    let meta = m.meta.as_ref().unwrap();
    assert_eq!(meta.is_first_message, Some(true));
    assert_eq!(meta.source.as_deref(), Some("ios"));
    assert!(
        m.links
            .as_ref()
            .and_then(|l| l.device.as_deref())
            .is_some_and(|d| d.ends_with(DEVICE_ID))
    );
}

#[test]
fn group_image_and_outbound_media_decode() {
    // Shaped like the caraxes-blood capture (group image) and the vendor's media example.
    let mut data = message("3EB0AAAA0011", "image", "inbound", "Look at this");
    data["from"] = json!("120363000000000001@g.us");
    data["author"] = json!(CONTACT);
    data["reactions"] = json!([]);
    data["chat"] = json!({"id": "120363000000000001@g.us", "type": "group", "status": "pending",
                          "group": {"description": "Rules", "owner": CONTACT, "totalParticipants": 42}});
    data["media"] = json!({"id": "6c3d4e5f60718293a4b5c6d8", "type": "image",
                           "caption": "Look at this", "mime": "image/jpeg", "size": 339070});
    let WebhookEvent::MessageInNew(m) = single(&envelope("message:in:new", "3EB0AAAA0011", data))
    else {
        panic!("not a message:in:new")
    };
    assert_eq!(m.author.as_deref(), Some(CONTACT));
    assert_eq!(m.reactions, Some(vec![]));
    let group = m.chat.as_ref().and_then(|c| c.group.as_ref()).unwrap();
    assert_eq!(group.total_participants, Some(42));
    assert_eq!(
        m.media.as_ref().unwrap().caption.as_deref(),
        Some("Look at this")
    );

    let mut data = message("3EB0AAAA0012", "image", "outbound", "");
    data["media"] = json!({
        "id": "6c3d4e5f60718293a4b5c6d9", "flow": "out", "status": "available", "caption": null,
        "type": "image", "size": 196851, "mime": "image/jpeg", "extension": "jpg",
        "meta": {"hasPreview": true, "aspectRatio": 0.75},
        "preview": {"image": "iVBORw0KGgo=", "width": 47, "height": 63},
        "links": {"download": format!("/v1/chat/{DEVICE_ID}/files/6c3d4e5f60718293a4b5c6d9/download")}
    });
    let WebhookEvent::MessageOutNew(m) = single(&envelope("message:out:new", "3EB0AAAA0012", data))
    else {
        panic!("not a message:out:new")
    };
    let media = m.media.as_ref().unwrap();
    assert_eq!(media.caption, None);
    assert_eq!(media.preview.as_ref().unwrap()["width"], 47);
    assert_eq!(
        media.links.as_ref().and_then(|l| l.download.as_deref()),
        Some(format!("/v1/chat/{DEVICE_ID}/files/6c3d4e5f60718293a4b5c6d9/download").as_str())
    );
}

#[test]
fn a_gateway_batch_is_one_event_per_notification_in_order() {
    let mut second = notification("message:out:failed", "failed", Some("Not on WhatsApp"));
    second["entityId"] = json!("6b2c3d4e5f60718293a4b5c7");
    let future = json!({"event": "message:out:retried", "data": {"attempt": 2}});
    let body = json!([
        notification("message:out:sent", "sent", None),
        second,
        future
    ]);
    let hook = parse(&body).unwrap();
    assert!(hook.envelope.is_none());
    let names: Vec<&str> = hook.events.iter().map(WebhookEvent::name).collect();
    assert_eq!(
        names,
        [
            "message:out:sent",
            "message:out:failed",
            "message:out:retried"
        ]
    );
    let WebhookEvent::MessageOutFailed(failed) = &hook.events[1] else {
        panic!("{:?}", hook.events[1])
    };
    assert_eq!(
        failed.entity_id.as_deref(),
        Some("6b2c3d4e5f60718293a4b5c7")
    );
    assert_eq!(failed.user.as_deref(), Some(AGENT));
    assert_eq!(
        failed
            .data
            .as_ref()
            .and_then(|d| d.failure_reason.as_deref()),
        Some("Not on WhatsApp")
    );
    let WebhookEvent::Unknown { event, raw } = &hook.events[2] else {
        panic!("{:?}", hook.events[2])
    };
    assert_eq!(event, "message:out:retried");
    assert_eq!(raw, &future, "an unknown notification is kept whole");

    // A notification naming a non-Gateway event carries Gateway data: kept as sent.
    let odd = json!([{"event": "message:in:new", "data": {"phone": CONTACT_PHONE}}]);
    let hook = parse(&odd).unwrap();
    assert!(matches!(&hook.events[0],
        WebhookEvent::Unknown { event, raw } if event == "message:in:new" && raw == &odd[0]));

    let empty = Webhook::parse(b"[]").unwrap();
    assert!(empty.envelope.is_none() && empty.events.is_empty());
}

#[test]
fn a_gateway_event_sent_as_an_object_is_still_typed() {
    // Not documented (Gateway events come as arrays), but should one arrive as an object its
    // `data` is read as the outbound message, and the envelope keeps the rest.
    let body = envelope(
        "message:out:failed",
        OUTBOUND_ID,
        json!({"id": OUTBOUND_ID, "phone": CONTACT_PHONE, "failureReason": "Blocked"}),
    );
    let WebhookEvent::MessageOutFailed(n) = single(&body) else {
        panic!("not a message:out:failed")
    };
    assert_eq!(n.event, Some(WebhookEventName::MessageOutFailed));
    assert_eq!(
        n.data.as_ref().and_then(|d| d.failure_reason.as_deref()),
        Some("Blocked")
    );
}

#[test]
fn an_unknown_event_decodes_as_unknown_with_the_whole_body() {
    // Whatever its `data`: an object, a string, an array, null.
    for data in [json!({"n": 3}), json!("text"), json!([1, 2]), Value::Null] {
        let body = envelope("campaign:finished", "evt-9", data.clone());
        let hook = parse(&body).unwrap_or_else(|e| panic!("{data}: {e}"));
        let envelope = hook.envelope.as_ref().unwrap();
        assert_eq!(
            envelope.event,
            WebhookEventName::Unknown("campaign:finished".into())
        );
        assert_eq!(envelope.data, data);
        let [WebhookEvent::Unknown { event, raw }] = &hook.events[..] else {
            panic!("{:?}", hook.events)
        };
        assert_eq!(event, "campaign:finished");
        assert_eq!(raw, &body);
        assert_eq!(hook.events[0].name(), "campaign:finished");
    }
    // A name that only looks like a known one is not one.
    let hook = parse(&json!({"event": "Message:In:New", "data": {"body": 5}})).unwrap();
    assert!(
        matches!(&hook.events[0], WebhookEvent::Unknown { event, .. } if event == "Message:In:New")
    );
}

#[test]
fn a_body_over_the_limit_is_refused_without_decoding() {
    assert_eq!(DEFAULT_BODY_LIMIT, 1024 * 1024);
    // Garbage one byte over the limit: `TooLarge`, not `NotJson`, so it was never decoded.
    let garbage = vec![b'x'; DEFAULT_BODY_LIMIT + 1];
    assert!(matches!(
        Webhook::parse(&garbage),
        Err(WebhookError::TooLarge { size, limit }) if size == DEFAULT_BODY_LIMIT + 1 && limit == DEFAULT_BODY_LIMIT
    ));
    // A valid delivery padded to exactly the limit is accepted; one byte more is not.
    let body = body_for("message:in:new").to_string();
    let mut padded = body.clone().into_bytes();
    padded.resize(DEFAULT_BODY_LIMIT, b' ');
    assert!(matches!(
        &Webhook::parse(&padded).unwrap().events[0],
        WebhookEvent::MessageInNew(_)
    ));
    padded.push(b' ');
    assert!(matches!(
        Webhook::parse(&padded),
        Err(WebhookError::TooLarge { .. })
    ));

    // A configured limit.
    let len = body.len();
    assert!(Webhook::parse_with_limit(body.as_bytes(), len).is_ok());
    let err = Webhook::parse_with_limit(body.as_bytes(), len - 1).unwrap_err();
    assert!(
        matches!(err, WebhookError::TooLarge { size, limit } if size == len && limit == len - 1)
    );
    assert!(err.to_string().contains(&format!("{len} bytes")), "{err}");
    assert!(matches!(
        Webhook::parse_with_limit(b"{", 0),
        Err(WebhookError::TooLarge { .. })
    ));
}

/// The variant of an error, for table-driven checks.
fn kind(result: Result<Webhook, WebhookError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(WebhookError::TooLarge { .. }) => "TooLarge",
        Err(WebhookError::NotJson(_)) => "NotJson",
        Err(WebhookError::NotAnEvent) => "NotAnEvent",
        Err(WebhookError::MissingEvent) => "MissingEvent",
        Err(WebhookError::InvalidEnvelope(_)) => "InvalidEnvelope",
        Err(WebhookError::InvalidData { .. }) => "InvalidData",
        Err(other) => panic!("an error this test does not know: {other}"),
    }
}

#[test]
fn garbage_is_a_typed_error() {
    let deep_array = "[".repeat(100_000);
    let deep_data = format!(
        r#"{{"event":"group:update","data":{}}}"#,
        "[".repeat(5_000) + &"]".repeat(5_000)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", b"".to_vec(), "NotJson"),
        ("html", b"<html><body>502</body></html>".to_vec(), "NotJson"),
        (
            "truncated",
            br#"{"event":"message:in:new","data":{"#.to_vec(),
            "NotJson",
        ),
        (
            "invalid UTF-8",
            b"{\"event\":\"message:in:new\",\"data\":{\"body\":\"\xff\xfe\"}}".to_vec(),
            "NotJson",
        ),
        ("bare invalid bytes", vec![0xff, 0x00, 0xc3], "NotJson"),
        ("deep nesting", deep_array.into_bytes(), "NotJson"),
        ("deep data", deep_data.into_bytes(), "NotJson"),
        (
            "number out of range",
            br#"{"event":"x","data":1e400}"#.to_vec(),
            "NotJson",
        ),
        (
            "trailing bytes",
            br#"{"event":"x","data":{}} {}"#.to_vec(),
            "NotJson",
        ),
        ("null", b"null".to_vec(), "NotAnEvent"),
        ("number", b"5".to_vec(), "NotAnEvent"),
        ("string", br#""message:in:new""#.to_vec(), "NotAnEvent"),
        ("no event", br#"{"data":{}}"#.to_vec(), "MissingEvent"),
        (
            "event not a string",
            br#"{"event":5,"data":{}}"#.to_vec(),
            "MissingEvent",
        ),
        ("batch of numbers", b"[1,2]".to_vec(), "MissingEvent"),
        (
            "notification without event",
            br#"[{"data":{}}]"#.to_vec(),
            "MissingEvent",
        ),
        (
            "no data",
            br#"{"event":"message:in:new"}"#.to_vec(),
            "InvalidEnvelope",
        ),
        (
            "huge created",
            br#"{"event":"x","created":123456789012345678901234567890,"data":{}}"#.to_vec(),
            "InvalidEnvelope",
        ),
        (
            "device not an object",
            br#"{"event":"x","device":"d","data":{}}"#.to_vec(),
            "InvalidEnvelope",
        ),
        (
            "message body a number",
            br#"{"event":"message:in:new","data":{"body":5}}"#.to_vec(),
            "InvalidData",
        ),
        (
            "message a string",
            br#"{"event":"message:in:new","data":"text"}"#.to_vec(),
            "InvalidData",
        ),
        (
            "message null",
            br#"{"event":"message:out:ack","data":null}"#.to_vec(),
            "InvalidData",
        ),
        (
            "huge timestamp",
            br#"{"event":"message:in:new","data":{"timestamp":1e300}}"#.to_vec(),
            "InvalidData",
        ),
        (
            "chat labels a string",
            br#"{"event":"chat:update","data":{"labels":"vip"}}"#.to_vec(),
            "InvalidData",
        ),
        (
            "notification phone a number",
            br#"[{"event":"message:out:failed","data":{"phone":5}}]"#.to_vec(),
            "InvalidData",
        ),
    ];
    for (what, body, expected) in cases {
        let result = Webhook::parse(&body);
        if let Err(e) = &result {
            assert!(!e.to_string().is_empty());
        }
        assert_eq!(kind(result), expected, "{what}");
    }
    let Err(WebhookError::InvalidData { event, .. }) =
        Webhook::parse(br#"{"event":"chat:update","data":{"labels":"vip"}}"#)
    else {
        panic!("not InvalidData")
    };
    assert_eq!(event, "chat:update");
}

#[test]
fn every_truncation_or_corruption_of_a_delivery_is_handled_without_panic() {
    for name in ["message:in:new", "chat:update", "message:out:failed"] {
        let body = body_for(name).to_string().into_bytes();
        for end in 0..body.len() {
            assert_eq!(
                kind(Webhook::parse(&body[..end])),
                "NotJson",
                "{name}, first {end} bytes"
            );
        }
        for at in 0..body.len() {
            let mut broken = body.clone();
            broken[at] = 0xff;
            assert_eq!(
                kind(Webhook::parse(&broken)),
                "NotJson",
                "{name}, 0xff at {at}"
            );
            broken[at] = b'"';
            // Any outcome but a panic; most are errors.
            let _ = Webhook::parse(&broken);
        }
    }
}

#[test]
fn the_secret_check_accepts_the_right_secret_and_refuses_wrong_or_missing_ones() {
    let secret = WebhookSecret::new("s3cr3t value");
    assert!(secret.verify(Some("s3cr3t value")));
    for wrong in [
        "s3cr3t valuf",
        "s3cr3t",
        "s3cr3t value ",
        "S3CR3T VALUE",
        "",
    ] {
        assert!(!secret.verify(Some(wrong)), "{wrong:?}");
    }
    assert!(!secret.verify(None));

    assert_eq!(SECRET_QUERY_PARAMS, ["secret", "token"]);
    assert!(secret.verify_query("?a=1&secret=s3cr3t%20value"));
    assert!(secret.verify_query("token=s3cr3t+value"));
    assert!(
        secret.verify_query("secret=wrong&secret=s3cr3t+value"),
        "any candidate may match"
    );
    for wrong in [
        "",
        "?",
        "a=1",
        "secret",
        "secret=",
        "secretx=s3cr3t+value",
        "secret=s3cr3t",
        "secret=%zz",
        "Secret=s3cr3t+value",
    ] {
        assert!(!secret.verify_query(wrong), "{wrong:?}");
    }

    assert!(secret.verify_header(Some(b"s3cr3t value")));
    assert!(secret.verify_header(Some(b" s3cr3t value\t")));
    assert!(!secret.verify_header(Some(b"s3cr3t")));
    assert!(!secret.verify_header(Some(b"\xff")));
    assert!(!secret.verify_header(None));

    let empty = WebhookSecret::new("");
    assert!(!empty.verify(Some("")), "an empty secret matches nothing");
    assert!(!empty.verify_query("secret="));
    assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
}
