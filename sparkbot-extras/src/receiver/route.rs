//! The axum 0.8 integration of [`WebhookReceiver`] (feature `axum`).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use ::axum::Router;
use ::axum::extract::Request;
use ::axum::http::{HeaderValue, StatusCode, header};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{MethodRouter, post};
use futures::FutureExt;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::{DedupStore, Delivery, ReceivedEvent, Rejection, WebhookReceiver};

/// What [`WebhookRoute`] hands each new event to.
///
/// Any `Fn(ReceivedEvent) -> impl Future<Output = ()>` that is `Send + Sync` is one:
/// `|event: ReceivedEvent| async move { … }`.
pub trait EventHandler: Send + Sync + 'static {
    /// Processes one new event. Runs after the delivery was answered, in a task of its own;
    /// the events of one delivery are handled one after the other, in order.
    fn handle(&self, event: ReceivedEvent) -> impl Future<Output = ()> + Send;
}

impl<F, Fut> EventHandler for F
where
    F: Fn(ReceivedEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    fn handle(&self, event: ReceivedEvent) -> impl Future<Output = ()> + Send {
        self(event)
    }
}

type DuplicateHook = Arc<dyn Fn(&ReceivedEvent) + Send + Sync>;

/// A [`WebhookReceiver`] and an [`EventHandler`] as an axum 0.8 handler: mount
/// [`router`](Self::router) or [`method_router`](Self::method_router) in your app (an axum
/// `Router` is a tower `Service`, so it also runs under any tower-based server).
///
/// It answers `POST` only (another method is 405), and:
/// - **401** for a missing or wrong secret, before reading the body;
/// - **413** for a body over the limit: a declared `Content-Length` over it is refused before
///   reading, and the body is read through [`http_body_util::Limited`], so a body without a
///   length is refused as soon as it passes the limit and is never buffered whole;
/// - **400** for a body that is not an event (or could not be read);
/// - **503** when the [`DedupStore`] fails (the sender retries later);
/// - **200** for every valid delivery, unknown events and duplicates included, with a JSON
///   body `{"received":N,"duplicates":M}`.
///
/// The answer goes out as soon as the delivery is checked; the handler runs in a spawned task
/// for each new event, in order, and duplicates go to [`on_duplicate`](Self::on_duplicate)
/// (in their place in that order) instead. See the [module documentation](super#when-the-handler-runs)
/// for why, and what follows from it. Needs a tokio runtime, as axum does.
///
/// ```no_run
/// use sparkbot_extras::axum::Router;
/// use sparkbot_extras::receiver::{ReceivedEvent, WebhookReceiver, WebhookRoute};
/// use sparkbot_extras::webhook::{WebhookEvent, WebhookSecret};
///
/// # async fn run() -> std::io::Result<()> {
/// let receiver = WebhookReceiver::new(WebhookSecret::new(std::env::var("WEBHOOK_SECRET").unwrap()));
/// let webhook = WebhookRoute::new(receiver, |event: ReceivedEvent| async move {
///     if let WebhookEvent::MessageInNew(message) = &event.event {
///         println!("{:?}: {:?}", message.from_number, message.body);
///     }
/// });
/// let app: Router = Router::new().merge(webhook.router("/webhook"));
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// sparkbot_extras::axum::serve(listener, app).await
/// # }
/// ```
pub struct WebhookRoute<S, H> {
    receiver: Arc<WebhookReceiver<S>>,
    handler: Arc<H>,
    on_duplicate: Option<DuplicateHook>,
}

impl<S, H> Clone for WebhookRoute<S, H> {
    fn clone(&self) -> Self {
        Self {
            receiver: Arc::clone(&self.receiver),
            handler: Arc::clone(&self.handler),
            on_duplicate: self.on_duplicate.clone(),
        }
    }
}

impl<S, H> std::fmt::Debug for WebhookRoute<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRoute")
            .field("receiver", &self.receiver)
            .field("on_duplicate", &self.on_duplicate.is_some())
            .finish_non_exhaustive()
    }
}

impl<S: DedupStore, H: EventHandler> WebhookRoute<S, H> {
    /// Hands each new event that `receiver` accepts to `handler`.
    pub fn new(receiver: WebhookReceiver<S>, handler: H) -> Self {
        Self {
            receiver: Arc::new(receiver),
            handler: Arc::new(handler),
            on_duplicate: None,
        }
    }

    /// Also calls `hook` for each duplicate event (to log or count them), in the handler's
    /// task, in the event's place in its delivery.
    pub fn on_duplicate(mut self, hook: impl Fn(&ReceivedEvent) + Send + Sync + 'static) -> Self {
        self.on_duplicate = Some(Arc::new(hook));
        self
    }

    /// The receiver.
    pub fn receiver(&self) -> &WebhookReceiver<S> {
        &self.receiver
    }

    /// A `Router` serving the webhook at `path` (`POST`), to
    /// [`merge`](::axum::Router::merge) or [`nest`](::axum::Router::nest) into your app.
    pub fn router<T: Clone + Send + Sync + 'static>(self, path: &str) -> Router<T> {
        Router::new().route(path, self.method_router())
    }

    /// The `POST` handler alone, for `Router::route(path, …)`.
    pub fn method_router<T: Clone + Send + Sync + 'static>(self) -> MethodRouter<T> {
        post(move |request: Request| {
            let route = self.clone();
            async move { route.handle(request).await }
        })
    }

    /// Answers one request (of any method: [`router`](Self::router) routes only `POST`
    /// here), and spawns the handler for its new events. For calling from an axum handler of
    /// your own.
    pub async fn handle(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let receiver = &*self.receiver;
        if let Err(rejection) = receiver
            .authorize(parts.uri.query(), &parts.headers)
            .and_then(|()| receiver.check_content_length(&parts.headers))
        {
            return reject(&rejection);
        }
        let limit = receiver.body_limit();
        let body = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return reject(&Rejection::TooLarge { size: None, limit });
            }
            Err(e) => return reject(&Rejection::Body(e)),
        };
        match receiver.accept(&body).await {
            Ok(delivery) => {
                let answer = format!(
                    r#"{{"received":{},"duplicates":{}}}"#,
                    delivery.events.len(),
                    delivery.duplicates()
                );
                let status = delivery.status();
                self.dispatch(delivery);
                json(status, answer)
            }
            Err(Rejection::Store { error, accepted }) => {
                tracing::error!(%error, "webhook: the duplicate store failed; answering 503");
                self.dispatch(accepted);
                let rejection = Rejection::Store {
                    error,
                    accepted: Delivery::default(),
                };
                reject(&rejection)
            }
            Err(rejection) => reject(&rejection),
        }
    }

    /// Runs the handler (and the duplicate hook) over a delivery's events in a task.
    fn dispatch(&self, delivery: Delivery) {
        let fresh = delivery.fresh().count();
        if fresh == 0 && (self.on_duplicate.is_none() || delivery.events.is_empty()) {
            return;
        }
        let handler = Arc::clone(&self.handler);
        let on_duplicate = self.on_duplicate.clone();
        tokio::spawn(async move {
            for event in delivery.events {
                if event.duplicate {
                    if let Some(hook) = &on_duplicate
                        && std::panic::catch_unwind(AssertUnwindSafe(|| hook(&event))).is_err()
                    {
                        tracing::error!(
                            event = event.name(),
                            "webhook: the duplicate hook panicked"
                        );
                    }
                    continue;
                }
                let name = event.name().to_owned();
                let id = event.id.clone();
                if AssertUnwindSafe(handler.handle(event))
                    .catch_unwind()
                    .await
                    .is_err()
                {
                    tracing::error!(event = %name, id = ?id, "webhook: the handler panicked");
                }
            }
        });
    }
}

fn json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn reject(rejection: &Rejection) -> Response {
    let body = serde_json::json!({ "error": rejection.public_message() }).to_string();
    json(rejection.status(), body)
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        reject(&self)
    }
}
