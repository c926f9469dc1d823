//! Session sync: the server turns a device's session `online` T seconds after the first
//! `GET /devices/{id}/sync`; each policy triggers the sync, polls `GET /devices/{id}` until the
//! device is usable, and is scored on requests issued and detection latency (from the moment the
//! server flipped the session to the moment the wait returned).
//!
//! Every wait runs concurrently on its own device id, so the whole table takes about as long as
//! the slowest wait.

use std::time::{Duration, Instant};

use crate::clients;
use crate::server::Server;
use crate::stats::{self, Table};

/// How much to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Delays after which the server turns the session online.
    pub delays: Vec<Duration>,
    /// Waits per (policy, delay); the extras policy has jitter, so several are useful.
    pub repeats: usize,
    /// Give up on a wait after this long.
    pub timeout: Duration,
}

/// One way of waiting for the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Policy {
    /// `SparkBot::sync_session(id).execute()` with every default (1 s doubling to 10 s, jitter).
    ExtrasDefault,
    /// A hand-written loop over sparkbot-api: sync, then read every second.
    Fixed1s,
}

impl Policy {
    const ALL: [Policy; 2] = [Policy::ExtrasDefault, Policy::Fixed1s];

    fn label(self) -> &'static str {
        match self {
            Policy::ExtrasDefault => "sparkbot-extras default (sync_session)",
            Policy::Fixed1s => "fixed 1 s polling (sparkbot-api loop)",
        }
    }
}

/// Sync, then poll every second until usable or `timeout`. Returns when it saw the device usable.
async fn fixed_1s(
    api: &sparkbot_api::Client,
    device_id: &str,
    timeout: Duration,
) -> Result<Instant, String> {
    let started = Instant::now();
    api.sync_device_session()
        .device_id(device_id)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let max_polls = timeout.as_secs().max(1) + 1;
    for _ in 0..max_polls {
        let device = api
            .get_device()
            .device_id(device_id)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .into_inner();
        let operative = device.status.as_ref().map(|s| s.as_str()) == Some("operative");
        let online = device
            .session
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .map(|s| s.as_str())
            == Some("online");
        if operative && online {
            return Ok(Instant::now());
        }
        if started.elapsed() >= timeout {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(format!("not online after {timeout:?}"))
}

async fn wait(
    policy: Policy,
    bot: &sparkbot_extras::SparkBot,
    device_id: &str,
    timeout: Duration,
) -> Result<Instant, String> {
    match policy {
        Policy::ExtrasDefault => {
            bot.sync_session(sparkbot_extras::DeviceKey::Id(device_id.to_owned()))
                .timeout(timeout)
                .execute()
                .await
                .map_err(|e| e.to_string())?;
            Ok(Instant::now())
        }
        Policy::Fixed1s => fixed_1s(bot.api(), device_id, timeout).await,
    }
}

/// One finished wait.
struct Outcome {
    policy: Policy,
    delay: Duration,
    requests: u32,
    latency: Result<Duration, String>,
}

/// Runs every (policy, delay, repeat) wait concurrently and returns the table.
pub async fn run(server: &Server, options: Options) -> Result<String, String> {
    let base = server.base_url();
    // The fixed loop uses this client's low-level `api()`: same settings, same pool.
    let bot = clients::extras(&base)?;
    let mut plans = Vec::new();
    for (p, policy) in Policy::ALL.into_iter().enumerate() {
        for (d, delay) in options.delays.iter().copied().enumerate() {
            for r in 0..options.repeats {
                let id = format!("{:08x}{:08x}{:08x}", 0xb0 + p, d, r);
                server.plan_session(&id, delay);
                plans.push((policy, delay, id));
            }
        }
    }
    let waits = plans.iter().map(|(policy, _, id)| {
        let bot = &bot;
        async move { wait(*policy, bot, id, options.timeout).await }
    });
    let results = futures::future::join_all(waits).await;
    let outcomes: Vec<Outcome> = plans
        .iter()
        .zip(results)
        .map(|((policy, delay, id), result)| {
            let record = server.session(id).unwrap_or_default();
            let latency = result.and_then(|seen| match record.online_at() {
                Some(online) => Ok(seen.saturating_duration_since(online)),
                None => Err("the server never saw a sync".to_owned()),
            });
            Outcome {
                policy: *policy,
                delay: *delay,
                requests: record.syncs + record.reads,
                latency,
            }
        })
        .collect();
    Ok(table(&options, &outcomes))
}

fn table(options: &Options, outcomes: &[Outcome]) -> String {
    let mut table = Table::new(&[
        "online after",
        "policy",
        "requests (median, min–max)",
        "detection latency (median, min–max)",
        "failed waits",
    ]);
    for delay in &options.delays {
        for policy in Policy::ALL {
            let runs: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.policy == policy && o.delay == *delay)
                .collect();
            let requests: Vec<f64> = runs.iter().map(|o| f64::from(o.requests)).collect();
            let latencies: Vec<f64> = runs
                .iter()
                .filter_map(|o| o.latency.as_ref().ok())
                .map(|l| l.as_secs_f64())
                .collect();
            let failed: Vec<&str> = runs
                .iter()
                .filter_map(|o| o.latency.as_ref().err())
                .map(String::as_str)
                .collect();
            let (rq_lo, rq_hi) = stats::range(&requests).unwrap_or_default();
            let (l_lo, l_hi) = stats::range(&latencies).unwrap_or_default();
            table.row(vec![
                format!("{} s", delay.as_secs_f64()),
                policy.label().to_owned(),
                format!(
                    "{} ({rq_lo}–{rq_hi})",
                    stats::median(&requests).unwrap_or(f64::NAN)
                ),
                format!(
                    "{:.2} s ({l_lo:.2}–{l_hi:.2})",
                    stats::median(&latencies).unwrap_or(f64::NAN)
                ),
                if failed.is_empty() {
                    "0".to_owned()
                } else {
                    format!("{}: {}", failed.len(), failed[0])
                },
            ]);
        }
    }
    table.render()
}
