//! The loopback HTTP server the benchmarks talk to: hyper 1 on 127.0.0.1, on its own thread and
//! single-threaded runtime, answering fixed pre-rendered bodies so that its own cost stays small
//! and constant across the clients compared.
//! Not sparkbot-testkit's simulator: its per-request parsing, state and locks would add cost.
//!
//! Routes (under `/v1`):
//! - `GET /devices/{id}`: a ~1 KB device; for a device registered with [`Server::plan_session`],
//!   its session is `loading` until the planned delay after the first sync, `online` after.
//! - `GET /devices/{id}/sync`: starts a planned session's clock; `{"status":"syncing"}`.
//! - `POST /messages`: reads the body, answers 201 with a message.
//! - `GET /chat/{id}/chats?page=&size=`: pages of [`Server::set_list_total`] chats, rendered per
//!   request.
//! - anything else: 404 with the API's JSON error body (counted in [`Server::unexpected`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

use crate::fixtures;

/// What the server knows about one device whose session the benchmark waits on.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionRecord {
    /// Delay between the first sync and the session turning `online`.
    pub online_after: Duration,
    /// When the first `GET /devices/{id}/sync` arrived.
    pub synced_at: Option<Instant>,
    /// `GET /devices/{id}/sync` requests received.
    pub syncs: u32,
    /// `GET /devices/{id}` requests received.
    pub reads: u32,
}

impl SessionRecord {
    /// When the session turned (or will turn) `online`, once a sync started the clock.
    pub fn online_at(&self) -> Option<Instant> {
        self.synced_at.map(|t| t + self.online_after)
    }
}

struct State {
    device: Bytes,
    sync: Bytes,
    created: Bytes,
    not_found: Bytes,
    sessions: Mutex<HashMap<String, SessionRecord>>,
    list_total: AtomicU64,
    requests: AtomicU64,
    unexpected: AtomicU64,
}

/// A running loopback server. Dropping it stops the server and joins its thread.
pub struct Server {
    state: Arc<State>,
    loopback: Loopback,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and starts serving on a new thread.
    pub fn start() -> std::io::Result<Self> {
        let state = Arc::new(State {
            device: Bytes::from(
                fixtures::device(fixtures::DEVICE_ID, "operative", "online").to_string(),
            ),
            sync: Bytes::from_static(br#"{"status":"syncing"}"#),
            created: Bytes::from(
                fixtures::message("60b7c8d9e0f1a2b3c4d5e6f7", fixtures::TEXT).to_string(),
            ),
            not_found: Bytes::from_static(
                br#"{"status":404,"errorCode":"not_found","message":"Not found"}"#,
            ),
            sessions: Mutex::new(HashMap::new()),
            list_total: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            unexpected: AtomicU64::new(0),
        });
        let served = state.clone();
        let loopback = Loopback::start("loopback-server", move |stream| {
            let state = served.clone();
            async move {
                let service = service_fn(move |req| handle(state.clone(), req));
                // A client closing its pooled connection at the end of a run is not an error.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            }
        })?;
        Ok(Self { state, loopback })
    }

    /// The API root to give the clients: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        self.loopback.base_url()
    }

    /// Registers `device_id` as a device whose session turns `online` `online_after` the first
    /// sync request.
    pub fn plan_session(&self, device_id: &str, online_after: Duration) {
        let mut sessions = lock(&self.state.sessions);
        sessions.insert(
            device_id.to_owned(),
            SessionRecord {
                online_after,
                ..SessionRecord::default()
            },
        );
    }

    /// What the server saw of a planned session.
    pub fn session(&self, device_id: &str) -> Option<SessionRecord> {
        lock(&self.state.sessions).get(device_id).copied()
    }

    /// Sets how many chats `GET /chat/{id}/chats` lists in total.
    pub fn set_list_total(&self, total: u64) {
        self.state.list_total.store(total, Ordering::Relaxed);
    }

    /// Requests served so far.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Requests that matched no route (a benchmark bug if not zero).
    pub fn unexpected(&self) -> u64 {
        self.state.unexpected.load(Ordering::Relaxed)
    }
}

/// A hyper 1 listener on 127.0.0.1 (a free port), on its own thread and single-threaded
/// runtime: each accepted connection (with `TCP_NODELAY`) is handed to `connection` and
/// spawned. Shared by [`Server`] and [`crate::double::ApiDouble`]; dropping it stops the
/// accept loop and joins the thread.
pub struct Loopback {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Loopback {
    /// Binds, then serves on a new thread called `name` (also used in its error messages).
    pub fn start<F, Fut>(name: &'static str, connection: F) -> std::io::Result<Self>
    where
        F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (shutdown, stop) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                crate::alloc::exclude_this_thread();
                runtime.block_on(accept_loop(name, listener, connection, stop));
            })?;
        Ok(Self {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The API root: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop<F, Fut>(
    name: &str,
    listener: std::net::TcpListener,
    connection: F,
    mut stop: oneshot::Receiver<()>,
) where
    F: Fn(tokio::net::TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("{name}: cannot register the listener: {err}");
            return;
        }
    };
    loop {
        let stream = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    eprintln!("{name}: accept failed: {err}");
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream));
    }
}

/// Locks, ignoring poisoning (a panicked handler leaves nothing half-written that matters).
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A response with a JSON body.
pub fn json(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let path = req.uri().path().to_owned();
    let rest = path.strip_prefix("/v1/").unwrap_or("");
    let segments: Vec<&str> = rest.split('/').collect();
    let response = match (req.method(), segments.as_slice()) {
        (&Method::GET, ["devices", id]) => device(&state, id),
        (&Method::GET, ["devices", id, "sync"]) => {
            let mut sessions = lock(&state.sessions);
            if let Some(record) = sessions.get_mut(*id) {
                record.syncs += 1;
                record.synced_at.get_or_insert_with(Instant::now);
            }
            json(StatusCode::OK, state.sync.clone())
        }
        (&Method::POST, ["messages"]) => {
            // Read the whole body, as a real server would, before answering.
            match req.into_body().collect().await {
                Ok(_) => json(StatusCode::CREATED, state.created.clone()),
                Err(_) => json(StatusCode::BAD_REQUEST, state.not_found.clone()),
            }
        }
        (&Method::GET, ["chat", _, "chats"]) => {
            let (page, size) = page_query(req.uri().query().unwrap_or(""));
            let total = state.list_total.load(Ordering::Relaxed);
            json(
                StatusCode::OK,
                Bytes::from(fixtures::list_page(total, page, size)),
            )
        }
        _ => {
            state.unexpected.fetch_add(1, Ordering::Relaxed);
            json(StatusCode::NOT_FOUND, state.not_found.clone())
        }
    };
    Ok(response)
}

fn device(state: &State, id: &str) -> Response<Full<Bytes>> {
    let mut sessions = lock(&state.sessions);
    let Some(record) = sessions.get_mut(id) else {
        return json(StatusCode::OK, state.device.clone());
    };
    record.reads += 1;
    let online = record.online_at().is_some_and(|at| Instant::now() >= at);
    let session = if online { "online" } else { "loading" };
    let body = fixtures::device(id, "operative", session).to_string();
    json(StatusCode::OK, Bytes::from(body))
}

/// `page` (default 0) and `size` (default 50, capped at 50 like the API) from a query string.
fn page_query(query: &str) -> (u64, u64) {
    let mut page = 0;
    let mut size = 50;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("page", v)) => page = v.parse().unwrap_or(0),
            Some(("size", v)) => size = v.parse().unwrap_or(50),
            _ => {}
        }
    }
    (page, size.clamp(1, 50))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_query_reads_page_and_size_with_the_api_cap() {
        assert_eq!(page_query("page=3&size=20"), (3, 20));
        assert_eq!(page_query("size=500"), (0, 50));
        assert_eq!(page_query(""), (0, 50));
    }

    #[test]
    fn serves_devices_sessions_and_pages_on_loopback() {
        let server = Server::start().unwrap();
        assert!(server.base_url().starts_with("http://127.0.0.1:"));
        server.plan_session("aaaaaaaaaaaaaaaaaaaaaaaa", Duration::ZERO);
        server.set_list_total(60);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client =
                sparkbot_api::Client::with_api_key(&server.base_url(), fixtures::API_KEY).unwrap();
            let device = client
                .get_device()
                .device_id(fixtures::DEVICE_ID)
                .send()
                .await
                .unwrap();
            assert_eq!(device.id.as_deref(), Some(fixtures::DEVICE_ID));
            let id = "aaaaaaaaaaaaaaaaaaaaaaaa";
            client
                .sync_device_session()
                .device_id(id)
                .send()
                .await
                .unwrap();
            let device = client.get_device().device_id(id).send().await.unwrap();
            let session = device.into_inner().session.unwrap().status.unwrap();
            assert_eq!(session.as_str(), "online");
            let page = client
                .list_chats()
                .device_id(fixtures::DEVICE_ID)
                .page(1)
                .size(std::num::NonZeroU64::new(50).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(page.len(), 10);
        });
        let record = server.session("aaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        assert_eq!((record.syncs, record.reads), (1, 1));
        assert_eq!(server.unexpected(), 0);
    }
}
