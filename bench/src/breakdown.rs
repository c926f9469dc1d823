//! Where the SDK's extra time per request goes: each step the generated `send()`, the hooks and
//! the extras wrapper do beyond a plain reqwest call, timed alone in a loop (no I/O), plus the size of the
//! request futures (64 of which sit in the concurrent scenarios' `buffer_unordered`).

use std::hint::black_box;
use std::time::Instant;

use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use sparkbot_api::types;

use crate::clients::{self, Plain};
use crate::fixtures;
use crate::stats::Table;

const ITERATIONS: u32 = 100_000;

/// Nanoseconds per call of `f`, over [`ITERATIONS`] calls after a short warm-up.
fn ns_per_call<R>(mut f: impl FnMut() -> R) -> f64 {
    for _ in 0..ITERATIONS / 10 {
        black_box(f());
    }
    let started = Instant::now();
    for _ in 0..ITERATIONS {
        black_box(f());
    }
    started.elapsed().as_secs_f64() * 1e9 / f64::from(ITERATIONS)
}

/// Times each step and returns the table.
pub fn run(base_url: &str) -> Result<String, String> {
    let http = reqwest::Client::new();
    let api = clients::api(base_url)?;
    let plain = Plain::new(base_url)?;
    let body = clients::send_body()?;
    let device_url = format!("{base_url}/devices/{}", fixtures::DEVICE_ID);
    let mut table = Table::new(&["extra step (vs plain reqwest)", "ns/call", "notes"]);
    let mut row = |step: &str, ns: f64, note: &str| {
        table.row(vec![step.to_owned(), format!("{ns:.0}"), note.to_owned()]);
    };

    row(
        "`DeviceId` from `&str` (builder argument)",
        ns_per_call(|| fixtures::DEVICE_ID.parse::<types::DeviceId>()),
        "regress pattern match `^[a-f0-9]{24}$` plus a `String`",
    );
    let id: types::DeviceId = fixtures::DEVICE_ID
        .parse()
        .map_err(|e| format!("device id: {e}"))?;
    row(
        "URL: `format!` + `id.to_string()` + `encode_path`",
        ns_per_call(|| format!("{}/devices/{}", base_url, progenitor_path(&id.to_string()))),
        "plain reqwest reuses a prebuilt URL string; both parse it",
    );
    let plain_build = ns_per_call(|| {
        http.get(device_url.as_str())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .build()
    });
    let sdk_build = ns_per_call(|| {
        let mut extra = HeaderMap::with_capacity(1);
        extra.append(
            HeaderName::from_static("api-version"),
            HeaderValue::from_static("1.0.0"),
        );
        let mut request = http
            .get(device_url.as_str())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .headers(extra)
            .build();
        if let Ok(request) = &mut request {
            request.headers_mut().remove("api-version");
        }
        request
    });
    row(
        "request build: `api-version` added by progenitor, removed by the `pre` hook",
        sdk_build - plain_build,
        &format!("difference: {sdk_build:.0} ns vs {plain_build:.0} ns for plain reqwest"),
    );
    let response_headers = {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert("content-length", HeaderValue::from_static("1049"));
        h.insert(
            "date",
            HeaderValue::from_static("Tue, 02 Jun 2025 14:07:31 GMT"),
        );
        h
    };
    row(
        "`ResponseValue::from_response` clones the response headers",
        ns_per_call(|| response_headers.clone()),
        "3 headers, as the loopback server sends",
    );
    row(
        "`exec` hook: disabled `debug_span!` + `instrument` + 2 × `Instant::now`",
        ns_per_call(|| {
            let span = tracing::debug_span!(
                "sparkbot.request",
                operation = "get_device",
                method = %reqwest::Method::GET,
                path = "/v1/devices/5f0a1b2c3d4e5f6a7b8c9d0e",
            );
            let started = Instant::now();
            let _entered = span.enter();
            tracing::debug!(
                status = 200u16,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "response"
            );
        }),
        "subscriber installed at INFO",
    );
    row(
        "POST only: `body.clone()` (the builder takes the body by value)",
        ns_per_call(|| body.clone()),
        "plain reqwest serialises a borrowed body",
    );

    let body_bytes = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let names: Vec<&str> = SEND_MESSAGE_LIMIT_POINTERS
        .iter()
        .map(|p| p.trim_start_matches('/').split('/').next().unwrap_or(""))
        .collect();
    row(
        "POST only: `pre` hook limit check: one pass over the body's strings for the 17 \
         limited field names; a text message has none, so no parse",
        ns_per_call(|| mentions_any(&body_bytes, &names)),
        "mirrors `validate::mentions_any`",
    );
    row(
        "POST only: what the check costs when a limited field is present: the body re-parsed \
         into a `serde_json::Value`, then the 17 pointers looked up",
        ns_per_call(|| {
            let value: Option<serde_json::Value> = serde_json::from_slice(&body_bytes).ok();
            let mut hits = 0usize;
            if let Some(value) = &value {
                for pointer in SEND_MESSAGE_LIMIT_POINTERS {
                    hits += lookup(value, pointer);
                }
            }
            (value, hits)
        }),
        "what the parse costs when a limited field is present; mirrors `validate::select`",
    );
    row(
        "extras: `Client::clone` per attempt (`SparkBot::call` hands each attempt an owned client)",
        ns_per_call(|| api.clone()),
        "an `Arc` increment plus a copy of the base-URL `String`",
    );
    row(
        "extras `device`: the id is validated again (`DeviceId` parse) and copied twice",
        ns_per_call(|| {
            let id: Result<types::DeviceId, _> = fixtures::DEVICE_ID.parse();
            let owned = fixtures::DEVICE_ID.to_owned();
            (id, owned.clone())
        }),
        "before the builder's own validation (first row)",
    );
    row(
        "api: the pipeline reads the clock once per attempt",
        ns_per_call(std::time::Instant::now),
        "",
    );

    // Future sizes: what `buffer_unordered(64)` stores and moves.
    let bot = clients::extras(base_url)?;
    let get_extras = std::mem::size_of_val(&bot.device(fixtures::DEVICE_ID));
    let post_extras =
        std::mem::size_of_val(&bot.send_text(fixtures::DEVICE_ID, "+447362053576", "hello"));
    let get_plain = std::mem::size_of_val(&plain.get_device());
    let get_api = std::mem::size_of_val(&api.get_device().device_id(fixtures::DEVICE_ID).send());
    let post_plain = std::mem::size_of_val(&plain.send_message(&body));
    let post_api = std::mem::size_of_val(&api.send_message().body(body.clone()).send());
    let mut sizes = Table::new(&[
        "request future",
        "plain reqwest (bytes)",
        "sparkbot-api (bytes)",
        "sparkbot-extras (bytes)",
    ]);
    sizes.row(vec![
        "GET /devices/{id}".into(),
        get_plain.to_string(),
        get_api.to_string(),
        get_extras.to_string(),
    ]);
    sizes.row(vec![
        "POST /messages".into(),
        post_plain.to_string(),
        post_api.to_string(),
        post_extras.to_string(),
    ]);
    Ok(format!("{}\n{}", table.render(), sizes.render()))
}

/// The body pointers that `REQUEST_LIMITS` lists for `send_message` (17).
const SEND_MESSAGE_LIMIT_POINTERS: &[&str] = &[
    "/actions/*/params/keys",
    "/actions/*/params/labels",
    "/actions/*/params/metadata",
    "/buttons",
    "/contacts",
    "/event/latitude",
    "/event/longitude",
    "/expiration/seconds",
    "/list/sections",
    "/list/sections/*/rows",
    "/location/coordinates",
    "/location/coordinates/*",
    "/poll/options",
    "/retries",
    "/typing",
    "/vote/options",
    "/vote/options/*/id",
];

/// What `validate::select` does per pointer: unescape each key, descend, build the location.
fn lookup(value: &serde_json::Value, pointer: &str) -> usize {
    let Some(rest) = pointer.strip_prefix('/') else {
        return 1;
    };
    let (head, tail) = rest.split_once('/').map_or((rest, ""), |(h, t)| (h, t));
    if head == "*" {
        return value.as_array().map_or(0, |items| {
            items
                .iter()
                .map(|item| lookup(item, &format!("/{tail}")))
                .sum()
        });
    }
    let key = head.replace("~1", "/").replace("~0", "~");
    match value.get(&key) {
        Some(_) if tail.is_empty() => black_box(format!("/{key}")).len().min(1),
        Some(child) => lookup(child, &format!("/{tail}")),
        None => 0,
    }
}

/// What `validate::mentions_any` does: one pass over the body's JSON strings, each compared
/// with the first names of the limited pointers (worked out once, outside the timed call).
fn mentions_any(body: &[u8], names: &[&str]) -> bool {
    if names.iter().any(|n| n.is_empty()) {
        return true;
    }
    let mut rest = body;
    while let Some(open) = memchr::memchr(b'"', rest) {
        rest = &rest[open + 1..];
        let mut at = 0;
        let close = loop {
            let Some(found) = rest.get(at..).and_then(|r| memchr::memchr2(b'"', b'\\', r)) else {
                return false;
            };
            if rest[at + found] == b'"' {
                break at + found;
            }
            at += found + 2;
        };
        if names.iter().any(|n| n.as_bytes() == &rest[..close]) {
            return true;
        }
        rest = &rest[close + 1..];
    }
    false
}

/// progenitor's `encode_path`, the function the generated code calls.
fn progenitor_path(segment: &str) -> String {
    progenitor_client::encode_path(segment)
}
