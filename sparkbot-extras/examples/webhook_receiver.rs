//! A webhook receiver: serves `POST /webhook` and prints one JSON line per accepted event.
//!
//! ```text
//! cargo run -p sparkbot-extras --example webhook_receiver -- \
//!     --listen 127.0.0.1:8080 --secret <secret> [--public-url https://you.example]
//! ```
//!
//! Needs the crate's **`axum` feature**, which is on by default (with
//! `--no-default-features` the example is skipped and cargo names the feature to enable).
//!
//! SparkBot must call `POST <public address>/webhook?secret=<secret>` (the `token` parameter,
//! or an `X-Webhook-Secret: <secret>` header from a proxy in front, work too). Each accepted
//! event is one line on stdout, exactly
//! `{"event":"<event name>","id":"<event id>"|null,"duplicate":true|false}`: one line for an
//! event object, one per notification for a Gateway batch; `id` is the envelope's `id`, or a
//! notification's `entityId`. The answers are the receiver's: 200 for every valid delivery
//! (unknown events and duplicates included), 401 for a missing or wrong secret, 400 for a body
//! that is not an event, 413 for one over 1 MiB. Diagnostics go to stderr.
//!
//! With `--public-url <url>` and `SPARKBOT_API_KEY` (and optionally `SPARKBOT_BASE_URL`) set,
//! it subscribes itself first: `SparkBot::ensure_webhook` makes sure a webhook sends every
//! event of the spec to `<url>/webhook?secret=<secret>` (`<url>` as is when it already ends in
//! `/webhook`), creating or updating one only when needed.
//!
//! It serves until it is killed. Exit status 1 when it cannot listen or subscribe, 2 on wrong
//! arguments.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use sparkbot_extras::axum::Router;
use sparkbot_extras::receiver::{ReceivedEvent, WebhookReceiver, WebhookRoute};
use sparkbot_extras::sparkbot_api::types::WebhookEventName;
use sparkbot_extras::webhook::WebhookSecret;
use sparkbot_extras::{ENV_API_KEY, SparkBot};

const USAGE: &str =
    "usage: webhook_receiver --listen <addr:port> --secret <secret> [--public-url <url>]";

/// The path the receiver serves.
pub const PATH: &str = "/webhook";

/// The command line.
#[derive(Debug, PartialEq)]
pub struct Args {
    /// `--listen`: the address to bind.
    pub listen: String,
    /// `--secret`: what a delivery must carry.
    pub secret: String,
    /// `--public-url`: where SparkBot reaches this server, to subscribe.
    pub public_url: Option<String>,
}

impl Args {
    /// Reads `--listen`, `--secret` and `--public-url` (each `--name value` or `--name=value`).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let (mut listen, mut secret, mut public_url) = (None, None, None);
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            let slot = match name.as_str() {
                "--listen" => &mut listen,
                "--secret" => &mut secret,
                "--public-url" => &mut public_url,
                other => return Err(format!("unknown argument {other:?}")),
            };
            let value = inline
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))?;
            *slot = Some(value);
        }
        let listen = listen.ok_or("--listen is required")?;
        let secret = secret
            .filter(|s| !s.is_empty())
            .ok_or("--secret is required (and not empty)")?;
        Ok(Self {
            listen,
            secret,
            public_url,
        })
    }
}

/// The line printed for one event: `{"event":…,"id":…,"duplicate":…}`, in that order.
pub fn line(event: &ReceivedEvent) -> String {
    // `Value`'s `Display` is its JSON text: a quoted, escaped string, or `null`.
    format!(
        r#"{{"event":{},"id":{},"duplicate":{}}}"#,
        serde_json::Value::from(event.name()),
        serde_json::Value::from(event.id.clone()),
        event.duplicate
    )
}

/// The app: `POST /webhook` behind `secret`, writing one [`line`] per event to `out`.
pub fn app(secret: &str, out: impl Write + Send + 'static) -> Router {
    let out = Arc::new(Mutex::new(out));
    let print = move |event: &ReceivedEvent| {
        let mut out = out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A closed stdout only loses the line; the delivery was already answered.
        let _ = writeln!(out, "{}", line(event)).and_then(|()| out.flush());
    };
    let print = Arc::new(print);
    let on_new = Arc::clone(&print);
    let receiver = WebhookReceiver::new(WebhookSecret::new(secret));
    WebhookRoute::new(receiver, move |event: ReceivedEvent| {
        on_new(&event);
        std::future::ready(())
    })
    .on_duplicate(move |event| print(event))
    .router(PATH)
}

/// The URL to register: `<public-url>/webhook?secret=<secret>`.
pub fn webhook_url(public_url: &str, secret: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let base = base.strip_suffix(PATH).unwrap_or(base);
    let secret: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("{base}{PATH}?secret={secret}")
}

async fn subscribe(public_url: &str, secret: &str) -> Result<(), String> {
    if std::env::var(ENV_API_KEY).is_err() {
        return Err(format!(
            "--public-url needs {ENV_API_KEY} set, to register the webhook"
        ));
    }
    let bot = SparkBot::from_env().map_err(|e| e.to_string())?;
    let events = WebhookEventName::KNOWN
        .iter()
        .map(|name| WebhookEventName::from_wire(name));
    let ensured = bot
        .ensure_webhook(webhook_url(public_url, secret))
        .events(events)
        .execute()
        .await
        .map_err(|e| format!("subscribing the webhook: {e}"))?;
    eprintln!(
        "webhook {} {}",
        ensured.id().unwrap_or("(no id)"),
        ensured.change
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    if let Some(public_url) = &args.public_url
        && let Err(e) = subscribe(public_url, &args.secret).await
    {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match listener.local_addr() {
        Ok(addr) => eprintln!("listening on http://{addr}{PATH}"),
        Err(_) => eprintln!("listening on {}{PATH}", args.listen),
    }
    let app = app(&args.secret, std::io::stdout());
    if let Err(e) = sparkbot_extras::axum::serve(listener, app).await {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
