//! [`SimulatorBuilder`]: what a [`Simulator`] starts with, and the task of the automatic clock.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sparkbot_api::ApiKey;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::model::{ClockState, Settings, State};
use crate::{Clock, DEFAULT_API_KEY, Inner, SimDevice, Simulator, demo, http, server};

/// Configures a [`Simulator`] before it starts: [`Simulator::builder`].
#[derive(Clone, Debug)]
pub struct SimulatorBuilder {
    api_key: String,
    clock: Clock,
    devices: Vec<SimDevice>,
    sent_after: Duration,
    delivered_after: Duration,
}

impl SimulatorBuilder {
    /// The defaults of [`Simulator::builder`].
    pub(crate) fn with_defaults() -> Self {
        SimulatorBuilder {
            api_key: DEFAULT_API_KEY.to_owned(),
            clock: Clock::Auto,
            devices: demo::devices(),
            sent_after: Duration::from_millis(100),
            delivered_after: Duration::from_millis(200),
        }
    }

    /// The API key the simulator accepts in the `Token` header ([`DEFAULT_API_KEY`] by
    /// default).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// How time passes ([`Clock::Auto`] by default).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Shorthand for [`clock(Clock::Manual)`](SimulatorBuilder::clock): nothing timed happens
    /// until [`Simulator::advance`].
    pub fn manual_clock(self) -> Self {
        self.clock(Clock::Manual)
    }

    /// Starts with no devices instead of the [`demo`] ones.
    pub fn without_demo_devices(mut self) -> Self {
        self.devices.clear();
        self
    }

    /// Adds a device.
    pub fn device(mut self, device: SimDevice) -> Self {
        self.devices.push(device);
        self
    }

    /// When a stored message is acked: `sent` this long after it was stored (or after its
    /// device came online, if it was not then), `delivered` this long after `sent`. Defaults:
    /// 100 ms and 200 ms.
    pub fn ack_delays(mut self, sent: Duration, delivered: Duration) -> Self {
        self.sent_after = sent;
        self.delivered_after = delivered;
        self
    }

    /// Starts the simulator on a free loopback port, in the current tokio runtime.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound, when the API key is not a valid `Token` value, or
    /// outside a tokio runtime.
    pub async fn start(self) -> Simulator {
        self.try_start()
            .await
            .expect("cannot start the SparkBot simulator")
    }

    /// Starts the simulator on a free loopback port, in the current tokio runtime.
    ///
    /// # Panics
    ///
    /// When a device id is not 24 hex characters or appears twice, or outside a tokio
    /// runtime.
    pub async fn try_start(self) -> io::Result<Simulator> {
        ApiKey::new(self.api_key.clone())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let base_url = format!("http://{}/v1", listener.local_addr()?);
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("sparkbot-testkit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(io::Error::other)?;
        let clock = ClockState {
            mode: self.clock,
            origin: tokio::time::Instant::now(),
            offset: Duration::ZERO,
            wall_origin: chrono::Utc::now(),
        };
        let settings = Settings {
            sent_after: self.sent_after,
            delivered_after: self.delivered_after,
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(State::new(clock, settings)),
            api_key: self.api_key,
            notify: Notify::new(),
            processing: tokio::sync::Mutex::new(()),
            http,
        });
        let (shutdown, stop) = watch::channel(false);
        let sim = Simulator {
            inner: inner.clone(),
            base_url,
            _shutdown: shutdown,
        };
        for device in self.devices {
            sim.add_device(device);
        }
        http::spawn(listener, stop.clone(), move |request| {
            server::handle(inner.clone(), request)
        });
        if self.clock == Clock::Auto {
            tokio::spawn(run_clock(Arc::downgrade(&sim.inner), stop));
        }
        Ok(sim)
    }
}

/// The background task of [`Clock::Auto`]: sleeps until the next change is due (or a new one
/// is queued), then applies what is due.
async fn run_clock(inner: std::sync::Weak<Inner>, mut stop: watch::Receiver<bool>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let wait = strong.next_due_in();
        let notified = strong.notify.notified();
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            _ = async {
                match wait {
                    Some(wait) => {
                        let _ = tokio::time::timeout(wait, notified).await;
                    }
                    None => notified.await,
                }
            } => {}
        }
        strong.process(None).await;
    }
}
