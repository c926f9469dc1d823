//! A loopback webhook receiver that records what it is sent, for tests that need a URL to
//! register.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::http::{self, Dropped, Reply};

/// One request a [`WebhookSink`] received.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// The method, upper case.
    pub method: String,
    /// The path and query (`/hook?secret=…`).
    pub path_and_query: String,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Received {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

struct SinkState {
    received: Mutex<Vec<Received>>,
    status: AtomicU16,
    notify: Notify,
}

/// A webhook receiver on 127.0.0.1 that answers every request with one status (200 unless
/// [`respond_with`](WebhookSink::respond_with) says otherwise) and records it.
///
/// Register [`url`](WebhookSink::url) with the [`Simulator`](crate::Simulator) (or with your
/// own code under test), then wait for deliveries with [`wait_for`](WebhookSink::wait_for).
/// Stops when dropped.
pub struct WebhookSink {
    url: String,
    state: Arc<SinkState>,
    _shutdown: watch::Sender<bool>,
}

impl WebhookSink {
    /// Starts a receiver on a free loopback port.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound (see [`try_start`](WebhookSink::try_start)).
    pub async fn start() -> Self {
        Self::try_start()
            .await
            .expect("cannot bind a loopback port for the webhook sink")
    }

    /// Starts a receiver on a free loopback port.
    pub async fn try_start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let state = Arc::new(SinkState {
            received: Mutex::new(Vec::new()),
            status: AtomicU16::new(200),
            notify: Notify::new(),
        });
        let (shutdown, stop) = watch::channel(false);
        let shared = state.clone();
        http::spawn(
            listener,
            stop,
            move |request: hyper::Request<hyper::body::Incoming>| {
                let state = shared.clone();
                async move {
                    let method = request.method().as_str().to_owned();
                    let path_and_query = request
                        .uri()
                        .path_and_query()
                        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
                    let content_type = request
                        .headers()
                        .get(hyper::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let body: Bytes = request
                        .into_body()
                        .collect()
                        .await
                        .map_err(|_| Dropped)?
                        .to_bytes();
                    state
                        .received
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(Received {
                            method,
                            path_and_query,
                            content_type,
                            body: body.to_vec(),
                        });
                    state.notify.notify_waiters();
                    Ok(Reply::empty(state.status.load(Ordering::SeqCst)).into_response())
                }
            },
        );
        Ok(Self {
            url,
            state,
            _shutdown: shutdown,
        })
    }

    /// The receiver's URL, `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers every later request with `status` (200 by default).
    pub fn respond_with(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    /// Everything received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.state
            .received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until at least `count` requests have arrived, then returns them all.
    ///
    /// # Panics
    ///
    /// When fewer than `count` have arrived within `timeout`, naming how many did.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let waited = tokio::time::timeout(timeout, async {
            loop {
                let notified = self.state.notify.notified();
                let received = self.received();
                if received.len() >= count {
                    return received;
                }
                notified.await;
            }
        })
        .await;
        match waited {
            Ok(received) => received,
            Err(_) => panic!(
                "the webhook sink received {} request(s) within {timeout:?}, not {count}",
                self.received().len()
            ),
        }
    }
}
