//! The loopback HTTP/1.1 server under the simulator and the webhook sink: hyper 1, one task per
//! connection, stopped with its owner.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::answer::Answer;

/// Returned by a handler to close the connection without answering.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// A response to build.
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// Names in lower case; `content-type` among them. Set in order, the last value of a
    /// name wins.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn with_body(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::with_body(status, "application/json; charset=utf-8", value.to_string())
    }

    pub(crate) fn empty(status: u16) -> Self {
        Self::with_body(status, "text/plain", Bytes::new())
    }

    pub(crate) fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_owned(), value));
        self
    }

    /// The same answer declaring its whole body but holding only its first `after` bytes:
    /// hyper sends what there is and closes the connection, as a server that died mid-write.
    pub(crate) fn cut_off(mut self, after: usize) -> Self {
        let declared = self.body.len();
        self.body.truncate(after.min(declared.saturating_sub(1)));
        self.with_header("content-length", declared.to_string())
    }

    pub(crate) fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(self.body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                hyper::header::HeaderName::from_bytes(name.as_bytes()),
                hyper::header::HeaderValue::from_str(&value),
            ) {
                headers.insert(name, value);
            }
        }
        response
    }
}

impl From<&Answer> for Reply {
    fn from(answer: &Answer) -> Self {
        Self {
            status: answer.status(),
            headers: answer
                .headers()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            body: Bytes::copy_from_slice(answer.body_bytes()),
        }
    }
}

/// Serves `listener` with `handler` until `shutdown` turns true (or its sender is dropped).
pub(crate) fn spawn<F, Fut>(listener: TcpListener, shutdown: watch::Receiver<bool>, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Full<Bytes>>, Dropped>> + Send + 'static,
{
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        let mut stop = shutdown.clone();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.wait_for(|stopped| *stopped) => return,
            };
            let socket = match accepted {
                Ok((socket, _)) => socket,
                Err(_) => {
                    // Out of file descriptors or similar: wait a little and go on.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let handler = handler.clone();
            let mut stop = shutdown.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| handler(request));
                let connection =
                    http1::Builder::new().serve_connection(TokioIo::new(socket), service);
                tokio::select! {
                    // A client hanging up, or an injected drop, ends the connection: fine.
                    _ = connection => {}
                    _ = stop.wait_for(|stopped| *stopped) => {}
                }
            });
        }
    });
}
