//! An in-process stand-in for the SparkBot API, so the examples run with no account.
//!
//! It serves just what the examples call, over plain HTTP on 127.0.0.1, and its devices behave
//! like real ones: after `GET /devices/{id}/sync`, `sales` goes `offline` → `loading` →
//! `online`; `support` is stuck in `conflict` (WhatsApp open elsewhere); `new-phone` waits for
//! a QR scan (`authorize`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

struct DemoDevice {
    id: &'static str,
    phone: &'static str,
    alias: &'static str,
}

const DEVICES: [DemoDevice; 3] = [
    DemoDevice {
        id: "5f0a1b2c3d4e5f6a7b8c9d0e",
        phone: "+447911123456",
        alias: "sales",
    },
    DemoDevice {
        id: "60aa0b1c2d3e4f5a6b7c8d9e",
        phone: "+34600111222",
        alias: "support",
    },
    DemoDevice {
        id: "61bb0c1d2e3f4a5b6c7d8e9f",
        phone: "+15550100200",
        alias: "new-phone",
    },
];

#[derive(Default)]
struct State {
    synced_at: HashMap<&'static str, Instant>,
}

/// Starts the double; returns its API root (`http://127.0.0.1:PORT/v1`).
pub async fn start() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let root = format!("http://{}/v1", listener.local_addr()?);
    let state = Arc::new(Mutex::new(State::default()));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let state = state.clone();
            let service = service_fn(move |request| handle(request, state.clone()));
            tokio::spawn(async move {
                // A client that hangs up mid-request is none of the demo's business.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    Ok(root)
}

async fn handle(
    request: Request<Incoming>,
    state: Arc<Mutex<State>>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let body = request.into_body().collect().await?.to_bytes();
    let (status, value) = route(&method, &path, &query, &body, &state);
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn device_json(device: &DemoDevice, state: &State) -> Value {
    let (status, session) = match device.alias {
        "sales" => match state.synced_at.get(device.id).map(Instant::elapsed) {
            None => ("operative", "offline"),
            Some(t) if t < Duration::from_millis(800) => ("operative", "offline"),
            Some(t) if t < Duration::from_millis(2000) => ("operative", "loading"),
            Some(_) => ("operative", "online"),
        },
        "support" => ("operative", "conflict"),
        _ => ("pending", "authorize"),
    };
    json!({
        "id": device.id, "phone": device.phone, "alias": device.alias,
        "wid": format!("{}@c.us", device.phone.trim_start_matches('+')),
        "status": status, "session": { "status": session }
    })
}

fn route(method: &str, path: &str, query: &str, body: &[u8], state: &Mutex<State>) -> (u16, Value) {
    let query: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    let mut state = state.lock().unwrap();
    let find = |id: &str| DEVICES.iter().find(|d| d.id == id);
    let not_found = || {
        (
            404,
            json!({"status": 404, "errorCode": "device:not_found", "message": "Device not found"}),
        )
    };
    match (method, segments.as_slice()) {
        ("GET", ["devices"]) => {
            let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
            let list: Vec<Value> = if page == 0 {
                DEVICES.iter().map(|d| device_json(d, &state)).collect()
            } else {
                Vec::new()
            };
            (200, Value::Array(list))
        }
        ("GET", ["devices", id]) => match find(id) {
            Some(d) => (200, device_json(d, &state)),
            None => not_found(),
        },
        ("GET", ["devices", id, "sync"]) => match find(id) {
            Some(d) => {
                state.synced_at.entry(d.id).or_insert_with(Instant::now);
                (200, json!({"status": "syncing"}))
            }
            None => not_found(),
        },
        ("POST", ["messages"]) => {
            let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            (
                201,
                json!({
                    "id": "60b7c8d9e0f1a2b3c4d5e6f7", "status": "queued",
                    "phone": request["phone"], "message": request["message"], "device": request["device"]
                }),
            )
        }
        _ => (
            404,
            json!({"status": 404, "message": format!("the demo double does not serve {method} {path}")}),
        ),
    }
}
