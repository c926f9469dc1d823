//! A loopback double of the API for the bulk-send benchmark: unlike [`crate::server`], it keeps
//! state, because what is measured is what the server ends up holding. hyper 1 on 127.0.0.1,
//! on its own thread and single-threaded runtime.
//!
//! Routes (under `/v1`):
//! - `POST /messages`: reads the JSON body (`device`, `phone`, `reference`). Each device may
//!   store [`Limits::rate`] messages per second: a token bucket of capacity `rate`, full at
//!   the start, refilled continuously. Above it: 429, `Retry-After: 1` and
//!   `{"status":429,"message":"…"}`, nothing stored. Otherwise the message is stored and, for
//!   [`Limits::drop_fraction`] of the stores, the connection is closed without an answer (the
//!   message stays stored: a response lost on the way back); the others get 201 and the
//!   message (`id`, `reference`, `phone`, `device`…).
//! - `GET /messages?reference[]=…&device=…` (or `reference=…`): the stored messages with that
//!   reference (from that device, when given), as a JSON array. Not rate limited.
//! - `GET /devices/{id}`: an operative, online device.
//! - anything else: 404 (counted in [`ApiDouble::unexpected`]).
//!
//! Which stores lose their answer: the first store for a recipient the benchmark named with
//! [`ApiDouble::drop_first_answers`] (it names exactly `drop_fraction` of its recipients,
//! chosen with a seeded generator), and any later store of a recipient on a seeded draw named
//! by the recipient and the store's number (`rng::unit(seed, phone, n) < drop_fraction`). So
//! every client compared loses the answer to the same first sends, whatever the order they go
//! in, and its resends are drawn alike.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::server::{self, Loopback, lock};
use crate::{fixtures, rng};

/// What the double allows.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Messages per second per device (the bucket's capacity and refill rate).
    pub rate: f64,
    /// The share of stored messages whose answer is lost (the connection is closed instead).
    pub drop_fraction: f64,
    /// Seed of the drop draws.
    pub seed: u64,
}

/// One stored message.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The id the double gave it.
    pub id: String,
    /// The recipient, as sent.
    pub phone: String,
    /// The reference, as sent.
    pub reference: Option<String>,
    /// When it was stored.
    pub at: Instant,
}

/// What the double saw of one device.
#[derive(Clone, Debug, Default)]
pub struct DeviceLog {
    /// Every message stored, in order.
    pub stored: Vec<Stored>,
    /// When each 429 was answered.
    pub limited: Vec<Instant>,
    /// Stores whose answer was dropped.
    pub dropped: u64,
    /// `GET /messages` lookups naming this device.
    pub lookups: u64,
    /// `GET /devices/{id}` reads.
    pub reads: u64,
}

/// A token bucket, full when created.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, rate: f64, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    buckets: HashMap<String, Bucket>,
    logs: HashMap<String, DeviceLog>,
    /// Times each (device, phone) was stored, for the drop draw.
    stores: HashMap<(String, String), u64>,
    /// Recipients whose first store loses its answer.
    drop_first: std::collections::HashSet<String>,
    next_id: u64,
}

struct State {
    limits: Limits,
    inner: Mutex<Inner>,
    requests: AtomicU64,
    unexpected: AtomicU64,
}

/// A running double. Dropping it stops the server and joins its thread.
pub struct ApiDouble {
    state: Arc<State>,
    loopback: Loopback,
}

impl ApiDouble {
    /// Binds 127.0.0.1 on a free port and starts serving on a new thread.
    pub fn start(limits: Limits) -> std::io::Result<Self> {
        let state = Arc::new(State {
            limits,
            inner: Mutex::new(Inner::default()),
            requests: AtomicU64::new(0),
            unexpected: AtomicU64::new(0),
        });
        let served = state.clone();
        let loopback = Loopback::start("api double", move |stream| {
            let state = served.clone();
            async move {
                // A handler that loses its answer signals here; dropping the connection closes
                // the socket without a byte of response.
                let kill = Arc::new(Notify::new());
                let signal = kill.clone();
                let service = service_fn(move |req| handle(state.clone(), signal.clone(), req));
                let connection =
                    http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                tokio::select! {
                    _ = connection => {}
                    () = kill.notified() => {}
                }
            }
        })?;
        Ok(Self { state, loopback })
    }

    /// The API root: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        self.loopback.base_url()
    }

    /// The recipients (phones, as sent) whose first store on any device loses its answer.
    pub fn drop_first_answers(&self, phones: impl IntoIterator<Item = String>) {
        lock(&self.state.inner).drop_first.extend(phones);
    }

    /// What the double saw of `device` so far.
    pub fn log(&self, device: &str) -> DeviceLog {
        lock(&self.state.inner)
            .logs
            .get(device)
            .cloned()
            .unwrap_or_default()
    }

    /// Requests served.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Requests that matched no route (a benchmark bug if not zero).
    pub fn unexpected(&self) -> u64 {
        self.state.unexpected.load(Ordering::Relaxed)
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    server::json(status, Bytes::from(body.to_string()))
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(
        status,
        &json!({"status": status.as_u16(), "message": message}),
    )
}

/// What a `POST /messages` came to.
enum Posted {
    Refused(&'static str),
    Limited,
    Stored { message: Value, drop: bool },
}

async fn handle(
    state: Arc<State>,
    kill: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let rest = path.strip_prefix("/v1/").unwrap_or("");
    let segments: Vec<&str> = rest.split('/').collect();
    let response = match (req.method().clone(), segments.as_slice()) {
        (Method::GET, ["devices", id]) => {
            lock(&state.inner)
                .logs
                .entry((*id).to_owned())
                .or_default()
                .reads += 1;
            json_response(StatusCode::OK, &fixtures::device(id, "operative", "online"))
        }
        (Method::POST, ["messages"]) => {
            let body = match req.into_body().collect().await {
                Ok(body) => body.to_bytes(),
                Err(_) => return Ok(error(StatusCode::BAD_REQUEST, "unreadable body")),
            };
            match post(&state, &body) {
                Posted::Refused(why) => error(StatusCode::BAD_REQUEST, why),
                Posted::Limited => {
                    let message = format!(
                        "Too many requests: at most {} messages per second per device",
                        state.limits.rate
                    );
                    let mut response = error(StatusCode::TOO_MANY_REQUESTS, &message);
                    response.headers_mut().insert(
                        hyper::header::RETRY_AFTER,
                        hyper::header::HeaderValue::from_static("1"),
                    );
                    response
                }
                Posted::Stored { drop: true, .. } => {
                    kill.notify_one();
                    std::future::pending::<()>().await;
                    unreachable!("the connection is dropped with this future")
                }
                Posted::Stored { message, .. } => json_response(StatusCode::CREATED, &message),
            }
        }
        (Method::GET, ["messages"]) => lookup(&state, &query),
        _ => {
            state.unexpected.fetch_add(1, Ordering::Relaxed);
            error(StatusCode::NOT_FOUND, "Not found")
        }
    };
    Ok(response)
}

fn post(state: &State, body: &[u8]) -> Posted {
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return Posted::Refused("the body is not JSON");
    };
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let (Some(device), Some(phone)) = (text("device"), text("phone")) else {
        return Posted::Refused("device and phone are required");
    };
    let reference = text("reference");
    let limits = state.limits;
    let now = Instant::now();
    let mut inner = lock(&state.inner);
    let taken = inner
        .buckets
        .entry(device.clone())
        .or_insert(Bucket {
            tokens: limits.rate,
            at: now,
        })
        .take(limits.rate, now);
    if !taken {
        inner.logs.entry(device).or_default().limited.push(now);
        return Posted::Limited;
    }
    inner.next_id += 1;
    let id = format!("{:024x}", 0x6000_0000_0000u64 + inner.next_id);
    let nth = {
        let n = inner
            .stores
            .entry((device.clone(), phone.clone()))
            .or_insert(0);
        *n += 1;
        *n
    };
    let drop = if nth == 1 {
        inner.drop_first.contains(&phone)
    } else {
        rng::unit(limits.seed, rng::fnv1a(phone.as_bytes()) ^ nth) < limits.drop_fraction
    };
    let log = inner.logs.entry(device.clone()).or_default();
    log.stored.push(Stored {
        id: id.clone(),
        phone: phone.clone(),
        reference: reference.clone(),
        at: now,
    });
    if drop {
        log.dropped += 1;
    }
    let message = message_json(&id, &device, &phone, reference.as_deref(), text("message"));
    Posted::Stored { message, drop }
}

fn message_json(
    id: &str,
    device: &str,
    phone: &str,
    reference: Option<&str>,
    text: Option<String>,
) -> Value {
    let mut message = fixtures::message(id, text.as_deref().unwrap_or(fixtures::TEXT));
    if let Some(fields) = message.as_object_mut() {
        fields.remove("wid");
        fields.insert("device".into(), json!(device));
        fields.insert("phone".into(), json!(phone));
        fields.insert("reference".into(), json!(reference));
    }
    message
}

/// `GET /messages?reference[]=…&device=…`: the stored messages with one of the references.
fn lookup(state: &State, query: &str) -> Response<Full<Bytes>> {
    let Ok(url) = reqwest::Url::parse(&format!("http://double/?{query}")) else {
        return error(StatusCode::BAD_REQUEST, "bad query");
    };
    let mut references = Vec::new();
    let mut device = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "reference[]" | "reference" => references.push(value.into_owned()),
            "device" => device = Some(value.into_owned()),
            _ => {}
        }
    }
    let mut inner = lock(&state.inner);
    let mut found = Vec::new();
    for (id, log) in &inner.logs {
        if device.as_ref().is_some_and(|d| d != id) {
            continue;
        }
        for stored in &log.stored {
            if stored
                .reference
                .as_ref()
                .is_some_and(|r| references.contains(r))
            {
                found.push(message_json(
                    &stored.id,
                    id,
                    &stored.phone,
                    stored.reference.as_deref(),
                    None,
                ));
            }
        }
    }
    inner
        .logs
        .entry(device.unwrap_or_default())
        .or_default()
        .lookups += 1;
    json_response(StatusCode::OK, &Value::Array(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_its_capacity_then_its_rate() {
        let t0 = Instant::now();
        let mut bucket = Bucket {
            tokens: 5.0,
            at: t0,
        };
        let taken = (0..10).filter(|_| bucket.take(5.0, t0)).count();
        assert_eq!(taken, 5);
        assert!(!bucket.take(5.0, t0 + std::time::Duration::from_millis(100)));
        assert!(bucket.take(5.0, t0 + std::time::Duration::from_millis(210)));
    }

    #[test]
    fn stores_limits_drops_and_finds_by_reference() {
        let phone = |i: usize| format!("+44791112345{i}");
        let double = ApiDouble::start(Limits {
            rate: 3.0,
            drop_fraction: 0.5,
            seed: 1,
        })
        .unwrap();
        double.drop_first_answers([phone(1)]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let base = double.base_url();
        let device = "aaaaaaaaaaaaaaaaaaaaaaaa";
        let (statuses, found) = runtime.block_on(async {
            let http = reqwest::Client::new();
            let mut statuses = Vec::new();
            for i in 0..5 {
                let body = json!({"device": device, "phone": phone(i),
                    "message": "hi", "reference": format!("r{i}")});
                let sent = http
                    .post(format!("{base}/messages"))
                    .json(&body)
                    .send()
                    .await;
                statuses.push(sent.map(|r| r.status().as_u16()).ok());
            }
            let found: Vec<Value> = http
                .get(format!("{base}/messages"))
                .query(&[("reference[]", "r0"), ("device", device)])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (statuses, found)
        });
        let log = double.log(device);
        assert_eq!(log.stored.len(), 3, "{statuses:?}");
        assert_eq!(log.limited.len(), 2);
        assert_eq!(&statuses[3..], &[Some(429), Some(429)]);
        let lost = statuses[..3].iter().filter(|s| s.is_none()).count();
        assert_eq!(&statuses[..3], &[Some(201), None, Some(201)]);
        assert_eq!(lost as u64, log.dropped);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["reference"], "r0");
        assert_eq!(found[0]["phone"], "+447911123450");
        assert_eq!(log.lookups, 1);
        assert_eq!(double.unexpected(), 0);
    }
}
