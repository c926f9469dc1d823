//! Per-request overhead: the same requests through plain reqwest, sparkbot-api and
//! sparkbot-extras, in interleaved rounds (the order rotates every round), each reported as
//! time per request and as a ratio to plain reqwest measured in the same round: wall-clock time,
//! and the CPU time of the client thread (all client tasks run on it; the server has its own
//! thread), which is immune to the wake-up latency that dominates sequential round trips.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use sparkbot_api::{Pacing, RetryPolicy, types};

use crate::clients::{self, Plain};
use crate::cpu;
use crate::fixtures;
use crate::stats::{self, Table};
use crate::trace::Tracing;

/// How much to run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Measured rounds (one extra warm-up round is run first and discarded).
    pub rounds: usize,
    /// Requests per client per round, sequential scenarios.
    pub sequential: usize,
    /// Requests per client per round, concurrent scenarios.
    pub concurrent: usize,
    /// Requests in flight in the concurrent scenarios.
    pub in_flight: usize,
}

/// One way of making the requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Reqwest,
    Api,
    Extras,
    ApiDebug,
    ExtrasDebug,
    /// Diagnostic: plain reqwest whose future carries [`PAD`] more bytes, to isolate the cost
    /// of the SDK futures' size (see the breakdown's future sizes).
    PaddedReqwest,
    /// Diagnostic: sparkbot-api with pacing off, to isolate what the pacer costs.
    ApiPacingOff,
    /// Diagnostic: sparkbot-api with pacing off and no retries (no spare request per attempt).
    ApiBare,
}

/// Bytes added to the diagnostic plain-reqwest future: about what sparkbot-extras' `get_device`
/// future weighs more than plain reqwest's.
const PAD: usize = 5 * 1024;

impl Variant {
    const ALL: [Variant; 8] = [
        Variant::Reqwest,
        Variant::Api,
        Variant::Extras,
        Variant::ApiDebug,
        Variant::ExtrasDebug,
        Variant::PaddedReqwest,
        Variant::ApiPacingOff,
        Variant::ApiBare,
    ];

    fn label(self) -> &'static str {
        match self {
            Variant::Reqwest => "plain reqwest",
            Variant::Api => "sparkbot-api",
            Variant::Extras => "sparkbot-extras (retries on)",
            Variant::ApiDebug => "sparkbot-api, DEBUG on",
            Variant::ExtrasDebug => "sparkbot-extras, DEBUG on",
            Variant::PaddedReqwest => "diagnostic: plain reqwest, future 5 KiB larger",
            Variant::ApiPacingOff => "diagnostic: sparkbot-api, pacing off",
            Variant::ApiBare => "diagnostic: sparkbot-api, pacing off, no retries",
        }
    }

    fn debug(self) -> bool {
        matches!(self, Variant::ApiDebug | Variant::ExtrasDebug)
    }
}

/// One request shape and concurrency.
#[derive(Clone, Copy, Debug)]
struct Scenario {
    post: bool,
    in_flight: usize,
    requests: usize,
}

impl Scenario {
    fn label(&self) -> String {
        let what = if self.post {
            "POST /messages"
        } else {
            "GET /devices/{id}"
        };
        if self.in_flight > 1 {
            format!("{what}, {} in flight", self.in_flight)
        } else {
            format!("{what}, sequential")
        }
    }
}

struct Clients {
    plain: Plain,
    api: sparkbot_api::Client,
    api_pacing_off: sparkbot_api::Client,
    api_bare: sparkbot_api::Client,
    extras: sparkbot_extras::SparkBot,
    body: types::SendMessageRequest,
}

impl Clients {
    /// The sparkbot-api client a variant calls through.
    fn api_for(&self, variant: Variant) -> &sparkbot_api::Client {
        match variant {
            Variant::ApiPacingOff => &self.api_pacing_off,
            Variant::ApiBare => &self.api_bare,
            _ => &self.api,
        }
    }
}

/// `call`, with [`PAD`] bytes held across its await so they live in the future's state.
async fn padded<T>(call: impl Future<Output = T>) -> T {
    let pad = std::hint::black_box([0u8; PAD]);
    let result = call.await;
    std::hint::black_box(&pad);
    result
}

/// What one timed batch of requests cost.
struct Measured {
    /// Wall-clock time of the batch.
    wall: Duration,
    /// CPU time of the client thread (where every client task runs) during the batch.
    cpu: Option<Duration>,
    /// Requests that failed.
    failures: usize,
    /// The first failure's message.
    first: Option<String>,
}

/// Times `n` calls of `call`, `in_flight` at a time, in wall-clock and client-thread CPU time.
async fn drive<F, Fut, T, E>(n: usize, in_flight: usize, call: F) -> Measured
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut failures = 0;
    let mut first = None;
    let mut note = |result: Result<T, E>| {
        if let Err(e) = result {
            failures += 1;
            first.get_or_insert_with(|| e.to_string());
        }
    };
    let cpu_started = cpu::thread_time();
    let started = Instant::now();
    if in_flight <= 1 {
        for _ in 0..n {
            note(call().await);
        }
    } else {
        let mut results = futures::stream::iter(0..n)
            .map(|_| call())
            .buffer_unordered(in_flight);
        while let Some(result) = results.next().await {
            note(result);
        }
    }
    let wall = started.elapsed();
    let cpu = cpu::thread_time()
        .zip(cpu_started)
        .map(|(end, start)| end.saturating_sub(start));
    Measured {
        wall,
        cpu,
        failures,
        first,
    }
}

async fn run_one(clients: &Clients, variant: Variant, scenario: Scenario) -> Measured {
    let (n, k) = (scenario.requests, scenario.in_flight);
    let body = &clients.body;
    match (variant, scenario.post) {
        (Variant::Reqwest, false) => drive(n, k, || clients.plain.get_device()).await,
        (Variant::Reqwest, true) => drive(n, k, || clients.plain.send_message(body)).await,
        (Variant::PaddedReqwest, false) => drive(n, k, || padded(clients.plain.get_device())).await,
        (Variant::PaddedReqwest, true) => {
            drive(n, k, || padded(clients.plain.send_message(body))).await
        }
        (Variant::Api | Variant::ApiDebug | Variant::ApiPacingOff | Variant::ApiBare, false) => {
            let api = clients.api_for(variant);
            drive(n, k, || {
                api.get_device().device_id(fixtures::DEVICE_ID).send()
            })
            .await
        }
        (Variant::Api | Variant::ApiDebug | Variant::ApiPacingOff | Variant::ApiBare, true) => {
            let api = clients.api_for(variant);
            drive(n, k, || api.send_message().body(body.clone()).send()).await
        }
        // The ergonomic read: cache off (the default), so every call reaches the server.
        (Variant::Extras | Variant::ExtrasDebug, false) => {
            drive(n, k, || clients.extras.device(fixtures::DEVICE_ID)).await
        }
        // The same body through the workflows' client and error mapping. The ergonomic
        // `send_text` also parses the phone and builds the body; see BENCHMARKS.md.
        (Variant::Extras | Variant::ExtrasDebug, true) => {
            drive(n, k, || async {
                let call = Box::pin(
                    clients
                        .extras
                        .api()
                        .send_message()
                        .body(body.clone())
                        .send(),
                );
                call.await.map_err(sparkbot_extras::Error::from_send)
            })
            .await
        }
    }
}

/// "median× (min–max)" of the per-round ratios `values[r] / baseline[r]`.
fn ratio_cell(values: &[f64], baseline: &[f64]) -> String {
    let ratios: Vec<f64> = values.iter().zip(baseline).map(|(v, b)| v / b).collect();
    let (lo, hi) = stats::range(&ratios).unwrap_or((f64::NAN, f64::NAN));
    format!(
        "{:.3}× ({lo:.2}–{hi:.2})",
        stats::median(&ratios).unwrap_or(f64::NAN)
    )
}

/// Runs every scenario and returns the result table.
pub async fn run(base_url: &str, tracing: &Tracing, options: Options) -> Result<String, String> {
    let clients = Clients {
        plain: Plain::new(base_url)?,
        api: clients::api(base_url)?,
        api_pacing_off: clients::build(clients::config(base_url)?.with_pacing(Pacing::off()))?,
        api_bare: clients::build(
            clients::config(base_url)?
                .with_pacing(Pacing::off())
                .with_retry(RetryPolicy::none()),
        )?,
        extras: clients::extras(base_url)?,
        body: clients::send_body()?,
    };
    let scenarios = [false, true].into_iter().flat_map(|post| {
        [
            Scenario {
                post,
                in_flight: 1,
                requests: options.sequential,
            },
            Scenario {
                post,
                in_flight: options.in_flight,
                requests: options.concurrent,
            },
        ]
    });
    let mut table = Table::new(&[
        "scenario",
        "client",
        "wall µs/req",
        "wall ratio to reqwest (median; range)",
        "client CPU µs/req",
        "CPU ratio to reqwest (median; range)",
        "failures",
    ]);
    for scenario in scenarios {
        let variants = Variant::ALL;
        let mut wall: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
        let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
        let mut failures = vec![0usize; variants.len()];
        let mut first_error: Option<String> = None;
        for round in 0..=options.rounds {
            for i in 0..variants.len() {
                // Rotate the order every round so no client always runs first or last.
                let index = (i + round) % variants.len();
                let variant = variants[index];
                tracing.set_debug(variant.debug());
                let measured = run_one(&clients, variant, scenario).await;
                tracing.set_debug(false);
                // Round 0 is the warm-up: connections opened, caches filled.
                if round == 0 {
                    continue;
                }
                let per_request = |d: Duration| stats::micros(d) / scenario.requests as f64;
                wall[index].push(per_request(measured.wall));
                cpu[index].push(measured.cpu.map_or(f64::NAN, per_request));
                failures[index] += measured.failures;
                if first_error.is_none() {
                    first_error = measured.first.map(|e| format!("{}: {e}", variant.label()));
                }
            }
        }
        for (i, variant) in variants.iter().enumerate() {
            table.row(vec![
                scenario.label(),
                variant.label().to_owned(),
                format!("{:.1}", stats::median(&wall[i]).unwrap_or(f64::NAN)),
                ratio_cell(&wall[i], &wall[0]),
                format!("{:.1}", stats::median(&cpu[i]).unwrap_or(f64::NAN)),
                ratio_cell(&cpu[i], &cpu[0]),
                failures[i].to_string(),
            ]);
        }
        if let Some(e) = first_error {
            eprintln!("overhead: {}: first failure: {e}", scenario.label());
        }
    }
    Ok(table.render())
}
