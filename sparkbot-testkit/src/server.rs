//! The simulator's HTTP side: request records, faults, authentication, and the routes.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};
use sparkbot_api::types::{DeviceStatus, MessageStatus, SessionStatus};

use crate::Inner;
use crate::fault::FaultKind;
use crate::http::{Dropped, Reply};
use crate::model::{Event, RequestRecord, State, StoredMessage, StoredWebhook, webhook_json};

/// Id tags (the first 4 bytes of a generated id) per kind of entity.
const MESSAGE_TAG: u32 = 0x6d736773;
const WEBHOOK_TAG: u32 = 0x77686f6b;

/// Answers one request, in the order the kit applies its rules: the matching fault that acts
/// before the work (a drop, a hang, a 429, a 5xx, an answer of the test's), the key, the `/v1`
/// root, the route, then a fault that acts after it (a drop, a 5xx, a delay). Long (about 100
/// lines) on purpose: the steps read in the order a request meets them.
pub(crate) async fn handle(
    inner: Arc<Inner>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let method = request.method().as_str().to_ascii_uppercase();
    let full_path = request.uri().path().to_owned();
    let path = match full_path.strip_prefix("/v1") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.to_owned(),
        _ => full_path.clone(),
    };
    let under_v1 = path != full_path;
    let query = request.uri().query().unwrap_or("").to_owned();
    let token = request
        .headers()
        .get("token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    let (index, fault) = {
        let mut state = inner.lock();
        let fault = state
            .faults
            .iter_mut()
            .find(|f| f.matches(&method, &path))
            .map(|f| {
                f.consume();
                f.kind().clone()
            });
        state.faults.retain(|f| f.remaining() > 0);
        state.requests.push(RequestRecord {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            status: None,
            fault: fault.as_ref().map(FaultKind::name),
        });
        (state.requests.len() - 1, fault)
    };
    let finish = |reply: Reply| {
        inner.lock().requests[index].status = Some(reply.status);
        Ok(reply.into_response())
    };

    match &fault {
        Some(FaultKind::DropBefore) => return Err(Dropped),
        // Held until the client gives up: hyper drops this future when the connection closes.
        Some(FaultKind::Hang) => return std::future::pending().await,
        Some(FaultKind::RateLimited { retry_after }) => {
            let reply = error(429, "rate_limit", "Too many requests: slow down");
            let reply = match retry_after {
                Some(seconds) => reply.with_header("retry-after", seconds.to_string()),
                None => reply,
            };
            return finish(reply);
        }
        Some(FaultKind::ServerError { status }) => return finish(server_error(*status)),
        Some(FaultKind::ServerErrorHtml { status }) => {
            return finish(Reply::with_body(
                *status,
                "text/html; charset=utf-8",
                format!(
                    "<html><head><title>{status}</title></head><body><h1>{status}</h1>\
                     <p>The upstream server is not available.</p></body></html>"
                ),
            ));
        }
        Some(FaultKind::Answer(answer)) => return finish(Reply::from(answer)),
        _ => {}
    }

    let body = request
        .into_body()
        .collect()
        .await
        .map_err(|_| Dropped)?
        .to_bytes();
    let reply = if token.as_deref() != Some(inner.api_key.as_str()) {
        error(
            401,
            "auth:invalid_token",
            "Invalid or missing API key in the Token header",
        )
    } else if !under_v1 {
        error(
            404,
            "not_found",
            &format!("{full_path} is not under the API root /v1"),
        )
    } else {
        route(&inner, &method, &path, &query, &body)
    };
    // Timed changes may have been queued (a sync, a send): wake the clock.
    inner.notify.notify_one();

    match fault {
        Some(FaultKind::DropAfter) => Err(Dropped),
        // The work is done (and stays done); the client is told otherwise.
        Some(FaultKind::ServerErrorAfter { status }) => finish(server_error(status)),
        Some(FaultKind::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            finish(reply)
        }
        Some(FaultKind::CutOff { after }) => finish(reply.cut_off(after)),
        _ => finish(reply),
    }
}

/// The API's JSON error body.
pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({ "status": status, "errorCode": code, "message": message }),
    )
}

fn server_error(status: u16) -> Reply {
    error(status, "server_error", "Internal server error")
}

fn device_not_found() -> Reply {
    error(404, "device:not_found", "Device not found")
}

struct Query(Vec<(String, String)>);

impl Query {
    fn parse(query: &str) -> Self {
        Self(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// Every value of `name`, repeated (`name=a&name=b`), with brackets (`name[]=a`) or
    /// comma-separated.
    fn all(&self, name: &str) -> Vec<&str> {
        let bracketed = format!("{name}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == name || *k == bracketed)
            .flat_map(|(_, v)| v.split(','))
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// `page` (zero-based) and `size`, with the endpoint's default and maximum size.
    fn paging(&self, default_size: usize, max_size: usize) -> Result<(usize, usize), Reply> {
        let page = match self.get("page") {
            None => 0,
            Some(p) => p
                .parse::<usize>()
                .map_err(|_| error(400, "validation", "`page` must be an integer from 0"))?,
        };
        let size = match self.get("size") {
            None => default_size,
            Some(s) => match s.parse::<usize>() {
                Ok(size) if (1..=max_size).contains(&size) => size,
                _ => {
                    return Err(error(
                        400,
                        "validation",
                        &format!("`size` must be an integer from 1 to {max_size}"),
                    ));
                }
            },
        };
        Ok((page, size))
    }
}

fn page_of(items: Vec<Value>, page: usize, size: usize) -> Reply {
    let items: Vec<Value> = items
        .into_iter()
        .skip(page.saturating_mul(size))
        .take(size)
        .collect();
    Reply::json(200, &Value::Array(items))
}

fn route(inner: &Inner, method: &str, path: &str, query: &str, body: &[u8]) -> Reply {
    let query = Query::parse(query);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut state = inner.lock();
    let state = &mut *state;
    match (method, segments.as_slice()) {
        ("GET", ["devices"]) => list_devices(state, &query),
        ("GET", ["devices", id]) => match state.device(id) {
            Some(d) => Reply::json(200, &state.device_json(d)),
            None => device_not_found(),
        },
        ("GET", ["devices", id, "sync"]) => sync(state, id),
        ("GET", ["devices", id, "health"]) => match state.device(id) {
            Some(d) => Reply::json(
                200,
                &json!({
                    "id": d.device.id,
                    "status": d.device.status.as_str(),
                    "session": { "status": d.device.session.as_str() },
                    "healthy": d.device.status == DeviceStatus::Operative
                        && d.device.session == SessionStatus::Online,
                }),
            ),
            None => device_not_found(),
        },
        ("GET", ["devices", id, "scan"]) => scan(state, id, &query),
        ("POST", ["messages"]) => send(state, body),
        ("GET", ["messages"]) => list_messages(state, &query),
        ("GET", ["messages", id]) => match state.messages.iter().find(|m| m.message.id == *id) {
            Some(m) => Reply::json(200, &state.message_json(m)),
            None => error(404, "message:not_found", "Message not found"),
        },
        ("POST", ["webhooks"]) => create_webhook(state, body),
        ("GET", ["webhooks"]) => match query.paging(20, 200) {
            Ok((page, size)) => page_of(
                state.webhooks.iter().map(webhook_json).collect(),
                page,
                size,
            ),
            Err(reply) => reply,
        },
        ("GET", ["webhooks", id]) => match state.webhooks.iter().find(|w| w.id == *id) {
            Some(w) => Reply::json(200, &webhook_json(w)),
            None => webhook_not_found(),
        },
        ("PATCH", ["webhooks", id]) => update_webhook(state, id, body),
        ("DELETE", ["webhooks", id]) => {
            let before = state.webhooks.len();
            state.webhooks.retain(|w| w.id != *id);
            if state.webhooks.len() < before {
                Reply::empty(204)
            } else {
                webhook_not_found()
            }
        }
        _ => error(
            404,
            "not_found",
            &format!("the SparkBot test kit does not serve {method} /v1{path}"),
        ),
    }
}

fn list_devices(state: &State, query: &Query) -> Reply {
    let (page, size) = match query.paging(50, 100) {
        Ok(paging) => paging,
        Err(reply) => return reply,
    };
    let ids = query.all("ids");
    let status = query.get("status").filter(|s| *s != "any");
    let session = query.get("sessionStatus").filter(|s| *s != "any");
    let search = query.get("search").map(str::to_lowercase);
    let items = state
        .devices
        .iter()
        .filter(|d| ids.is_empty() || ids.contains(&d.device.id.as_str()))
        .filter(|d| status.is_none_or(|s| d.device.status.as_str() == s))
        .filter(|d| session.is_none_or(|s| d.device.session.as_str() == s))
        .filter(|d| {
            search.as_deref().is_none_or(|needle| {
                d.device.id.contains(needle)
                    || d.device.phone.contains(needle)
                    || d.device
                        .alias
                        .as_deref()
                        .is_some_and(|a| a.to_lowercase().contains(needle))
            })
        })
        .map(|d| state.device_json(d))
        .collect();
    page_of(items, page, size)
}

fn sync(state: &mut State, id: &str) -> Reply {
    let now = state.clock.now();
    let Some(record) = state.device_mut(id) else {
        return device_not_found();
    };
    record.last_sync_at = Some(now);
    let plan = if record.plan_armed {
        record.plan_armed = false;
        record.device.on_sync.clone()
    } else {
        Vec::new()
    };
    let device = record.device.id.clone();
    for (after, status) in plan {
        state.schedule(
            now + after,
            Event::Session {
                device: device.clone(),
                status,
            },
        );
    }
    Reply::json(200, &json!({ "status": "syncing" }))
}

fn scan(state: &State, id: &str, query: &Query) -> Reply {
    let Some(record) = state.device(id) else {
        return device_not_found();
    };
    if let Some(encoding) = query.get("encoding").filter(|e| *e != "svg") {
        return error(
            400,
            "validation",
            &format!("the test kit serves the QR code as SVG only, not `{encoding}`"),
        );
    }
    let session = &record.device.session;
    let force = query.get("force") == Some("true");
    let linkable = matches!(
        session,
        SessionStatus::Authorize
            | SessionStatus::Authorizing
            | SessionStatus::New
            | SessionStatus::Offline
            | SessionStatus::Timeout
    );
    if !linkable && !force {
        return error(
            400,
            "session:no_qr",
            &format!(
                "No QR code is available: the session is `{}`",
                session.as_str()
            ),
        );
    }
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 29 29\" data-device=\"{}\">\
         <rect width=\"29\" height=\"29\" fill=\"#fff\"/>\
         <path d=\"M1 1h7v7H1zM21 1h7v7h-7zM1 21h7v7H1zM11 11h7v7h-7z\" fill=\"#000\"/></svg>",
        record.device.id
    );
    Reply::with_body(200, "image/svg+xml", svg)
}

fn string_field(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn send(state: &mut State, body: &[u8]) -> Reply {
    let request: Value = match serde_json::from_slice(body) {
        Ok(value @ Value::Object(_)) => value,
        _ => return error(400, "validation", "The body must be a JSON object"),
    };
    let phone = string_field(&request, "phone");
    let group = string_field(&request, "group");
    let channel = string_field(&request, "channel");
    if phone.is_none() && group.is_none() && channel.is_none() {
        return error(
            400,
            "validation",
            "One of `phone`, `group` or `channel` is required",
        );
    }
    let device = string_field(&request, "device").map(|d| d.to_ascii_lowercase());
    if let Some(id) = &device
        && state.device(id).is_none()
    {
        return error(400, "device:invalid", "The `device` does not exist");
    }
    let now = state.clock.now();
    let message = StoredMessage {
        id: state.next_id(MESSAGE_TAG),
        device,
        phone,
        group: group.or(channel),
        text: string_field(&request, "message"),
        reference: string_field(&request, "reference"),
        status: MessageStatus::Queued,
        wa_id: None,
        created_at: now,
        request,
    };
    let json = state.store_message(message, now);
    Reply::json(201, &json)
}

fn list_messages(state: &State, query: &Query) -> Reply {
    let (page, size) = match query.paging(20, 100) {
        Ok(paging) => paging,
        Err(reply) => return reply,
    };
    let references = query.all("reference");
    let statuses = query.all("status");
    let mut devices = query.all("devices");
    devices.extend(query.all("device"));
    let mut items: Vec<Value> = state
        .messages
        .iter()
        .filter(|m| {
            references.is_empty()
                || m.message
                    .reference
                    .as_deref()
                    .is_some_and(|r| references.contains(&r))
        })
        .filter(|m| statuses.is_empty() || statuses.contains(&m.message.status.as_str()))
        .filter(|m| {
            devices.is_empty()
                || m.message
                    .device
                    .as_deref()
                    .is_some_and(|d| devices.contains(&d))
        })
        .map(|m| state.message_json(m))
        .collect();
    // The API's default order is `date:desc`, recent first.
    if query.get("sort") != Some("date:asc") {
        items.reverse();
    }
    page_of(items, page, size)
}

fn webhook_not_found() -> Reply {
    error(404, "webhook:not_found", "Webhook not found")
}

/// Reads `{name, url, events, device?}`, as both create and update take it.
fn webhook_fields(body: &[u8]) -> Result<(String, String, Vec<String>, Option<String>), Reply> {
    let request: Value = serde_json::from_slice(body)
        .map_err(|_| error(400, "validation", "The body must be a JSON object"))?;
    let name = string_field(&request, "name")
        .filter(|n| !n.is_empty() && n.chars().count() <= 30)
        .ok_or_else(|| error(400, "validation", "`name` is required (1 to 30 characters)"))?;
    let url = string_field(&request, "url")
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .ok_or_else(|| error(400, "validation", "`url` must be an http(s) URL"))?;
    let events: Vec<String> = request
        .get("events")
        .and_then(Value::as_array)
        .map(|events| {
            events
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if events.is_empty() {
        return Err(error(
            400,
            "validation",
            "`events` must list at least one event",
        ));
    }
    let device = string_field(&request, "device").map(|d| d.to_ascii_lowercase());
    Ok((name, url, events, device))
}

fn duplicate_url() -> Reply {
    error(
        409,
        "webhook:duplicated",
        "A webhook with this URL already exists",
    )
}

fn create_webhook(state: &mut State, body: &[u8]) -> Reply {
    let (name, url, events, device) = match webhook_fields(body) {
        Ok(fields) => fields,
        Err(reply) => return reply,
    };
    if state.webhooks.iter().any(|w| w.url == url) {
        return duplicate_url();
    }
    let webhook = StoredWebhook {
        id: state.next_id(WEBHOOK_TAG),
        name,
        url,
        events,
        device,
    };
    let json = webhook_json(&webhook);
    state.webhooks.push(webhook);
    Reply::json(201, &json)
}

fn update_webhook(state: &mut State, id: &str, body: &[u8]) -> Reply {
    let (name, url, events, device) = match webhook_fields(body) {
        Ok(fields) => fields,
        Err(reply) => return reply,
    };
    if state.webhooks.iter().any(|w| w.url == url && w.id != id) {
        return duplicate_url();
    }
    let Some(webhook) = state.webhooks.iter_mut().find(|w| w.id == id) else {
        return webhook_not_found();
    };
    webhook.name = name;
    webhook.url = url;
    webhook.events = events;
    webhook.device = device;
    Reply::json(200, &webhook_json(webhook))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_read_repeated_bracketed_and_comma_separated_values() {
        let q = Query::parse("reference=a&reference%5B%5D=b&status=queued,sent&page=2");
        assert_eq!(q.all("reference"), ["a", "b"]);
        assert_eq!(q.all("status"), ["queued", "sent"]);
        assert_eq!(q.get("page"), Some("2"));
        assert_eq!(q.get("size"), None);
    }

    #[test]
    fn paging_checks_its_numbers() {
        assert_eq!(Query::parse("").paging(20, 100).ok(), Some((0, 20)));
        assert_eq!(
            Query::parse("page=3&size=7").paging(20, 100).ok(),
            Some((3, 7))
        );
        for bad in ["size=0", "size=101", "page=-1", "page=x"] {
            let reply = Query::parse(bad).paging(20, 100).err().map(|r| r.status);
            assert_eq!(reply, Some(400), "{bad}");
        }
    }
}
