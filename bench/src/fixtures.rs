//! The fixed, realistic bodies the loopback server answers with, and the request bodies sent.
//!
//! Shapes follow `spec/sparkbot.yaml` plus the fields the real API sends that the spec keeps
//! untyped (`settings`, `profile`, `info`…), so decoding pays for skipping unknown fields too.

use serde_json::{Value, json};

/// The device every overhead request reads.
pub const DEVICE_ID: &str = "5f0a1b2c3d4e5f6a7b8c9d0e";

/// The API key every client sends as `Token`.
pub const API_KEY: &str = "bench-0123456789abcdef0123456789abcdef-key";

/// The recipient of the sent messages.
pub const PHONE: &str = "+447362053576";

/// A device as `GET /devices/{id}` returns it (about 1 KB of JSON).
pub fn device(id: &str, status: &str, session: &str) -> Value {
    json!({
        "id": id,
        "phone": "+447362053576",
        "wid": "447362053576@c.us",
        "alias": "sales-uk",
        "description": "Sales team, United Kingdom: inbound leads and order follow-up",
        "version": 2,
        "user": "5e1f2a3b4c5d6e7f8a9b0c1d",
        "agents": ["5e1f2a3b4c5d6e7f8a9b0c1e", "5e1f2a3b4c5d6e7f8a9b0c1f"],
        "status": status,
        "createdAt": "2024-03-18T09:21:44.512Z",
        "lastMessageAt": "2025-06-02T14:07:31.004Z",
        "session": {
            "status": session,
            "uptime": 1_209_600,
            "appVersion": "2.3000.1023456789",
            "lastSyncAt": "2025-06-02T14:05:00.000Z",
            "operative": true,
            "phone": "+447362053576",
            "logs": []
        },
        "billing": { "subscription": { "product": "io", "plan": "professional",
            "period": "monthly", "renewAt": "2025-07-01T00:00:00.000Z" } },
        "metrics": { "unreadMessages": 12, "contacts": 4821,
            "lastMessageAt": "2025-06-02T14:07:31.004Z",
            "lastMessageBody": "Thanks, your order #48213 ships tomorrow." },
        "settings": { "autoReadMessages": false, "rebootPolicy": "daily",
            "dataRetention": "plan_defaults", "webhookRetries": 3,
            "timezone": "Europe/London", "language": "en" },
        "profile": { "name": "Acme Store UK", "about": "Orders, returns and support",
            "image": "https://cdn.example.com/profiles/5f0a1b2c3d4e5f6a7b8c9d0e.jpg",
            "business": true },
        "info": { "platform": "smba", "pushname": "Acme Store UK", "battery": 100,
            "plugged": true, "locale": "en_GB" }
    })
}

/// An outbound message as `POST /messages` returns it (201) and as `GET /messages` lists it.
/// `text` is the message text; the rest is fixed.
pub fn message(id: &str, text: &str) -> Value {
    json!({
        "id": id,
        "phone": PHONE,
        "wid": "447362053576@c.us",
        "device": DEVICE_ID,
        "status": "queued",
        "deliveryStatus": "pending",
        "webhookStatus": "pending",
        "createdAt": "2025-06-02T14:07:31.004Z",
        "deliverAt": "2025-06-02T14:07:31.004Z",
        "message": text,
        "priority": "normal",
        "reference": "order-48213-confirmation",
        "retentionPolicy": "plan_defaults",
        "retry": { "max": 3, "delay": 30, "count": 0 },
        "kind": "text",
        "agent": null,
        "events": []
    })
}

/// The text of every sent message.
pub const TEXT: &str = "Hello Ana, your order #48213 has shipped and will arrive tomorrow \
    between 9:00 and 13:00. Reply STOP to opt out.";

/// The request body of every sent message, as JSON (each client turns it into its own type).
pub fn send_request() -> Value {
    json!({
        "phone": PHONE,
        "message": TEXT,
        "device": DEVICE_ID,
        "reference": "order-48213-confirmation",
        "priority": "normal"
    })
}

/// One chat of the pagination benchmark, as `GET /chat/{deviceId}/chats` lists it: about
/// 1.2 KB of JSON with a contact, owner, labels and stats. Rendered with one `format!` so the
/// server's cost per page stays small next to the client's decoding.
pub fn list_item(index: u64) -> String {
    let phone = 447_000_000_000 + index;
    format!(
        r#"{{"id":"{phone}@c.us","name":"Customer {index}","date":"2025-06-02T14:07:31.004Z","type":"chat","status":"active","waStatus":"active","statusUpdatedAt":"2025-06-02T14:07:31.004Z","firstMessageAt":"2023-11-20T08:12:09.771Z","lastMessageAt":"2025-06-02T14:07:31.004Z","lastOutboundMessageAt":"2025-06-02T13:58:02.310Z","fromNumber":"+{phone}","labels":["delivery","reschedule","vip"],"owner":{{"agent":"5e1f2a3b4c5d6e7f8a9b0c1e","department":"5e1f2a3b4c5d6e7f8a9b0d20"}},"stats":{{"messages":37,"inboundMessages":21,"outboundMessages":16,"unread":2,"media":3,"notes":1}},"contact":{{"wid":"{phone}@c.us","device":"{device}","phone":"+{phone}","countryCode":"GB","kind":"user","name":"Customer {index}","shortName":"Customer","displayName":"Customer {index}","formattedName":"Customer {index}","formattedShortName":"Customer","status":"active","syncedAt":"2025-06-01T22:00:00.000Z","stats":{{"messages":37}},"image":{{"url":"https://cdn.example.com/contacts/{phone}.jpg"}},"info":{{"name":"Customer","surname":"{index}","email":"customer{index}@example.com","language":"en","company":"Example Ltd","currency":"GBP"}},"metadata":[{{"key":"crm_id","value":"CRM-{index}"}},{{"key":"segment","value":"retail"}}]}}}}"#,
        device = DEVICE_ID,
    )
}

/// One page of the listing: items `page * size ..` up to `total`, as a JSON array.
pub fn list_page(total: u64, page: u64, size: u64) -> String {
    let start = page.saturating_mul(size).min(total);
    let end = start.saturating_add(size).min(total);
    let mut out = String::with_capacity(((end - start) as usize) * 1300 + 2);
    out.push('[');
    for index in start..end {
        if index > start {
            out.push(',');
        }
        out.push_str(&list_item(index));
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkbot_api::types;

    #[test]
    fn bodies_decode_into_the_sdk_types_and_have_realistic_sizes() {
        let device = device(DEVICE_ID, "operative", "online");
        let size = device.to_string().len();
        assert!((900..1400).contains(&size), "device body is {size} bytes");
        let decoded: types::Device = serde_json::from_value(device).unwrap();
        assert_eq!(decoded.id.as_deref(), Some(DEVICE_ID));

        let _: types::Message = serde_json::from_value(message("60b7c8d9e0f1a2b3c4d5e6f7", TEXT))
            .expect("message decodes");
        let _: types::SendMessageRequest =
            serde_json::from_value(send_request()).expect("send request decodes");

        let item = list_item(99_999);
        assert!(
            (900..1400).contains(&item.len()),
            "item is {} bytes",
            item.len()
        );
    }

    #[test]
    fn pages_end_exactly_at_the_total() {
        let page: Vec<types::Chat> = serde_json::from_str(&list_page(120, 2, 50)).unwrap();
        assert_eq!(page.len(), 20);
        assert_eq!(page[0].id.as_deref(), Some("447000000100@c.us"));
        let empty: Vec<types::Chat> = serde_json::from_str(&list_page(100, 2, 50)).unwrap();
        assert!(empty.is_empty());
    }
}
