//! Session sync: the server turns a device's session `online` T seconds after the first
//! `GET /devices/{id}/sync`; each policy triggers the sync, polls `GET /devices/{id}` until the
//! device is usable, and is scored on requests issued and detection latency (from the moment the
//! server flipped the session to the moment the wait returned).
//!
//! **Random trials** (the default): T is drawn uniformly from (0, `within`) with a seeded
//! generator, one T per trial, and every policy waits on every T (on its own device id), so the
//! policies are compared on the same moments. A fixed T on a whole second flatters fixed 1 s
//! polling (its reads fall just after every whole second); a uniform T does not. The waits run
//! concurrently in real time, their starts spread `stagger` apart so they do not poll in step.
//!
//! **Model**: the same trials, many more of them, through [`PollTiming::interval_at`] (the
//! function `sync_session` asks for each wait, given the reads so far and the time since the
//! sync started) with zero-latency reads and a seeded jitter: the schedule alone, for the SDK
//! default, fixed 1 s polling, the previous default and the alternatives run for real.
//!
//! **Fixed delays** (`--delays`, the earlier table): each T given, `repeats` waits each.

use std::time::{Duration, Instant};

use sparkbot_extras::session::PollTiming;

use crate::clients;
use crate::rng::SplitMix64;
use crate::server::Server;
use crate::stats::{self, Table};

/// How much to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Random trials run for real (each policy waits on each trial's T).
    pub trials: usize,
    /// T is uniform in (0, within).
    pub within: Duration,
    /// Seed of the T draws (and of the model's jitter).
    pub seed: u64,
    /// Between the starts of two consecutive waits.
    pub stagger: Duration,
    /// `sync_session` timings (min interval, fast-phase max interval; the default fast phase
    /// and max interval) run for real besides the default.
    pub alternatives: Vec<(Duration, Duration)>,
    /// Trials of the model.
    pub model_trials: usize,
    /// Fixed delays for the earlier table (empty: not run).
    pub delays: Vec<Duration>,
    /// Waits per (policy, delay) in the fixed-delay table.
    pub repeats: usize,
    /// Give up on a wait after this long.
    pub timeout: Duration,
}

/// One way of waiting for the session.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Policy {
    /// `SparkBot::sync_session(id).execute()` with every default (see [`PollTiming::default`]).
    ExtrasDefault,
    /// A hand-written loop over sparkbot-api: sync, then read every second.
    Fixed1s,
    /// `sync_session` with another minimum interval and fast-phase maximum.
    Extras { min: Duration, fast_max: Duration },
}

impl Policy {
    fn label(self) -> String {
        match self {
            Policy::ExtrasDefault => "sparkbot-extras default (sync_session)".to_owned(),
            Policy::Fixed1s => "fixed 1 s polling (sparkbot-api loop)".to_owned(),
            Policy::Extras { min, fast_max } => format!(
                "sync_session, min {} s, fast-phase max {} s",
                min.as_secs_f64(),
                fast_max.as_secs_f64()
            ),
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
    let key = || sparkbot_extras::DeviceKey::Id(device_id.to_owned());
    match policy {
        Policy::ExtrasDefault => {
            bot.sync_session(key())
                .timeout(timeout)
                .execute()
                .await
                .map_err(|e| e.to_string())?;
            Ok(Instant::now())
        }
        Policy::Extras { min, fast_max } => {
            bot.sync_session(key())
                .min_interval(min)
                .fast_phase(PollTiming::default().fast_for, fast_max)
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

/// The trials' moments: uniform in (0, within), never 0.
fn draws(seed: u64, count: usize, within: Duration) -> Vec<Duration> {
    let mut rng = SplitMix64::new(seed);
    (0..count)
        .map(|_| {
            let u = rng.next_f64();
            within.mul_f64(u).max(Duration::from_micros(1))
        })
        .collect()
}

/// Runs the waits of `plans` (policy, delay) concurrently, the k-th started `k * stagger`
/// after the first, each on its own device id.
async fn run_waits(
    server: &Server,
    plans: &[(Policy, Duration)],
    id_prefix: u32,
    stagger: Duration,
    timeout: Duration,
) -> Result<Vec<Outcome>, String> {
    let base = server.base_url();
    // The fixed loop uses this client's low-level `api()`: same settings, same pool.
    let bot = clients::extras(&base)?;
    let ids: Vec<String> = (0..plans.len())
        .map(|k| format!("{id_prefix:08x}{:016x}", k))
        .collect();
    for ((_, delay), id) in plans.iter().zip(&ids) {
        server.plan_session(id, *delay);
    }
    let waits = plans
        .iter()
        .zip(&ids)
        .enumerate()
        .map(|(k, ((policy, _), id))| {
            let bot = &bot;
            async move {
                tokio::time::sleep(stagger * k as u32).await;
                wait(*policy, bot, id, timeout).await
            }
        });
    let results = futures::future::join_all(waits).await;
    Ok(plans
        .iter()
        .zip(&ids)
        .zip(results)
        .map(|(((policy, delay), id), result)| {
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
        .collect())
}

/// Runs the random trials, the model and (when asked) the fixed-delay table.
pub async fn run(server: &Server, options: Options) -> Result<String, String> {
    let mut policies = vec![Policy::ExtrasDefault, Policy::Fixed1s];
    policies.extend(
        options
            .alternatives
            .iter()
            .map(|(min, fast_max)| Policy::Extras {
                min: *min,
                fast_max: *fast_max,
            }),
    );
    let delays = draws(options.seed, options.trials, options.within);
    // Interleaved: trial 0 for every policy, then trial 1…, so no policy starts later.
    let plans: Vec<(Policy, Duration)> = delays
        .iter()
        .flat_map(|d| policies.iter().map(move |p| (*p, *d)))
        .collect();
    let started = Instant::now();
    let outcomes = run_waits(server, &plans, 0xc0, options.stagger, options.timeout).await?;
    let wall = started.elapsed();
    let mut out = format!(
        "{} trials, T uniform in (0, {} s), seed {}; waits started {} ms apart; {:.1} s in all\n\n",
        options.trials,
        options.within.as_secs_f64(),
        options.seed,
        options.stagger.as_millis(),
        wall.as_secs_f64()
    );
    out.push_str(&trials_table(&policies, &outcomes));
    out.push('\n');
    out.push_str(&model_table(&options));
    if !options.delays.is_empty() {
        let mut plans = Vec::new();
        for policy in [Policy::ExtrasDefault, Policy::Fixed1s] {
            for delay in &options.delays {
                for _ in 0..options.repeats {
                    plans.push((policy, *delay));
                }
            }
        }
        let outcomes = run_waits(server, &plans, 0xb0, Duration::ZERO, options.timeout).await?;
        out.push('\n');
        out.push_str(&fixed_delay_table(&options, &outcomes));
    }
    Ok(out)
}

/// Mean and quantiles of one policy's requests and latencies.
struct Summary {
    requests: Vec<f64>,
    latencies: Vec<f64>,
    failed: Vec<String>,
}

impl Summary {
    fn of<'a>(runs: impl Iterator<Item = &'a Outcome>) -> Self {
        let mut s = Summary {
            requests: Vec::new(),
            latencies: Vec::new(),
            failed: Vec::new(),
        };
        for o in runs {
            s.requests.push(f64::from(o.requests));
            match &o.latency {
                Ok(l) => s.latencies.push(l.as_secs_f64()),
                Err(e) => s.failed.push(e.clone()),
            }
        }
        s
    }

    fn mean_requests(&self) -> f64 {
        stats::mean(&self.requests).unwrap_or(f64::NAN)
    }
}

fn trials_table(policies: &[Policy], outcomes: &[Outcome]) -> String {
    let mut table = Table::new(&[
        "policy",
        "requests (mean; median, p90)",
        "requests ÷ fixed 1 s (means)",
        "latency median",
        "latency p90",
        "latency max",
        "latency ≤ 1 s",
        "failed waits",
    ]);
    let fixed = Summary::of(outcomes.iter().filter(|o| o.policy == Policy::Fixed1s));
    for policy in policies {
        let s = Summary::of(outcomes.iter().filter(|o| o.policy == *policy));
        let q = |v: &[f64], p: f64| stats::quantile(v, p).unwrap_or(f64::NAN);
        let within_1s = s.latencies.iter().filter(|l| **l <= 1.0).count();
        table.row(vec![
            policy.label(),
            format!(
                "{:.2}; {:.1}, {:.1}",
                s.mean_requests(),
                q(&s.requests, 0.5),
                q(&s.requests, 0.9)
            ),
            format!("{:.3}", s.mean_requests() / fixed.mean_requests()),
            format!("{:.2} s", q(&s.latencies, 0.5)),
            format!("{:.2} s", q(&s.latencies, 0.9)),
            format!("{:.2} s", q(&s.latencies, 1.0)),
            format!(
                "{:.0} %",
                100.0 * within_1s as f64 / s.latencies.len().max(1) as f64
            ),
            if s.failed.is_empty() {
                "0".to_owned()
            } else {
                format!("{}: {}", s.failed.len(), s.failed[0])
            },
        ]);
    }
    table.render()
}

/// A wait with zero-latency reads: the sync at 0, the first read at 0, then the schedule's
/// interval after each read. Returns (requests, latency) for a session that turns online at `t`.
fn model_wait(timing: &PollTiming, t: f64, jitter: &mut impl FnMut() -> f64) -> (u32, f64) {
    let mut at = 0.0;
    let mut requests = 2; // the sync and the first read
    let mut poll = 1;
    while at < t {
        at += timing
            .interval_at(poll, Duration::from_secs_f64(at), jitter())
            .as_secs_f64();
        requests += 1;
        poll += 1;
    }
    (requests, at - t)
}

/// The timings the model compares: the default, fixed 1 s polling, the previous default and
/// the alternatives run for real.
fn model_timings(options: &Options) -> Vec<(String, PollTiming)> {
    let d = PollTiming::default();
    let secs = |d: Duration| d.as_secs_f64();
    let one = Duration::from_secs(1);
    let mut list = vec![
        (
            format!(
                "SDK default (min {} s, max {} s for {} s, then up to {} s)",
                secs(d.min_interval),
                secs(d.fast_max_interval),
                secs(d.fast_for),
                secs(d.max_interval)
            ),
            d,
        ),
        (
            "fixed 1 s".to_owned(),
            PollTiming {
                min_interval: one,
                fast_max_interval: one,
                max_interval: one,
                ..d
            },
        ),
        (
            "previous default (min 1 s doubling to 10 s, one phase)".to_owned(),
            PollTiming {
                min_interval: one,
                fast_max_interval: Duration::from_secs(10),
                fast_for: Duration::MAX,
                max_interval: Duration::from_secs(10),
                ..d
            },
        ),
    ];
    for (min, fast_max) in &options.alternatives {
        list.push((
            format!(
                "min {} s, fast-phase max {} s, then as the default",
                secs(*min),
                secs(*fast_max)
            ),
            PollTiming {
                min_interval: *min,
                fast_max_interval: *fast_max,
                ..d
            },
        ));
    }
    list
}

fn model_table(options: &Options) -> String {
    let delays = draws(options.seed, options.model_trials, options.within);
    let mut rows = Vec::new();
    for (label, timing) in &model_timings(options) {
        let mut rng = SplitMix64::new(options.seed ^ 0x5eed);
        let mut jitter = || rng.next_f64();
        let (requests, latencies): (Vec<f64>, Vec<f64>) = delays
            .iter()
            .map(|t| {
                let (r, l) = model_wait(timing, t.as_secs_f64(), &mut jitter);
                (f64::from(r), l)
            })
            .unzip();
        // A session that never comes online: the requests until the default 120 s timeout.
        let timeout = PollTiming::default().timeout.as_secs_f64();
        let never: Vec<f64> = (0..1000)
            .map(|_| f64::from(model_wait(timing, timeout, &mut jitter).0))
            .collect();
        rows.push((label.clone(), requests, latencies, never));
    }
    let fixed_mean = rows
        .iter()
        .find(|(l, ..)| l == "fixed 1 s")
        .and_then(|(_, r, ..)| stats::mean(r))
        .unwrap_or(f64::NAN);
    let mut table = Table::new(&[
        "schedule (model)",
        "requests (mean; median, p90)",
        "requests ÷ fixed 1 s (means)",
        "latency median",
        "latency p90",
        "latency ≤ 1 s",
        "requests until a 120 s timeout (mean)",
        "target (fewer requests, median ≤ 1.0 s)",
    ]);
    for (label, requests, latencies, never) in &rows {
        let q = |v: &[f64], p: f64| stats::quantile(v, p).unwrap_or(f64::NAN);
        let mean = stats::mean(requests).unwrap_or(f64::NAN);
        let median = q(latencies, 0.5);
        let within_1s = latencies.iter().filter(|l| **l <= 1.0).count();
        let met = mean < fixed_mean && median <= 1.0;
        table.row(vec![
            label.clone(),
            format!(
                "{mean:.2}; {:.1}, {:.1}",
                q(requests, 0.5),
                q(requests, 0.9)
            ),
            format!("{:.3}", mean / fixed_mean),
            format!("{median:.2} s"),
            format!("{:.2} s", q(latencies, 0.9)),
            format!(
                "{:.0} %",
                100.0 * within_1s as f64 / latencies.len().max(1) as f64
            ),
            format!("{:.1}", stats::mean(never).unwrap_or(f64::NAN)),
            if label == "fixed 1 s" {
                "(baseline)".to_owned()
            } else if met {
                "met".to_owned()
            } else {
                "missed".to_owned()
            },
        ]);
    }
    format!(
        "Model: {} trials, the same seeded T draws, zero-latency reads, seeded jitter\n\n{}",
        options.model_trials,
        table.render()
    )
}

fn fixed_delay_table(options: &Options, outcomes: &[Outcome]) -> String {
    let mut table = Table::new(&[
        "online after",
        "policy",
        "requests (median, min–max)",
        "detection latency (median, min–max)",
        "failed waits",
    ]);
    for delay in &options.delays {
        for policy in [Policy::ExtrasDefault, Policy::Fixed1s] {
            let runs: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.policy == policy && o.delay == *delay)
                .collect();
            let s = Summary::of(runs.into_iter());
            let (rq_lo, rq_hi) = stats::range(&s.requests).unwrap_or_default();
            let (l_lo, l_hi) = stats::range(&s.latencies).unwrap_or_default();
            table.row(vec![
                format!("{} s", delay.as_secs_f64()),
                policy.label(),
                format!(
                    "{} ({rq_lo}–{rq_hi})",
                    stats::median(&s.requests).unwrap_or(f64::NAN)
                ),
                format!(
                    "{:.2} s ({l_lo:.2}–{l_hi:.2})",
                    stats::median(&s.latencies).unwrap_or(f64::NAN)
                ),
                if s.failed.is_empty() {
                    "0".to_owned()
                } else {
                    format!("{}: {}", s.failed.len(), s.failed[0])
                },
            ]);
        }
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_seeded_uniform_and_off_the_whole_second() {
        let within = Duration::from_secs(15);
        let a = draws(3, 1000, within);
        assert_eq!(a, draws(3, 1000, within));
        assert!(a.iter().all(|d| *d > Duration::ZERO && *d < within));
        let whole = a.iter().filter(|d| d.subsec_millis() == 0).count();
        assert!(whole < 5, "{whole} draws on a whole second");
        let mean = a.iter().map(Duration::as_secs_f64).sum::<f64>() / 1000.0;
        assert!((6.5..8.5).contains(&mean), "{mean}");
    }

    #[test]
    fn the_model_reads_on_the_sdk_schedule() {
        let s = Duration::from_secs;
        let fixed = PollTiming {
            min_interval: s(1),
            fast_max_interval: s(1),
            max_interval: s(1),
            ..PollTiming::default()
        };
        let mut rng = SplitMix64::new(1);
        let mut jitter = || rng.next_f64();
        // Online at 2.3 s: reads at 0, 1, 2, 3 → sync + 4 reads, seen 0.7 s late.
        let (requests, latency) = model_wait(&fixed, 2.3, &mut jitter);
        assert_eq!(requests, 5);
        assert!((latency - 0.7).abs() < 1e-9, "{latency}");

        // 1 s reads for 3 s, then waits of the time since then, 1 to 4 s (no jitter):
        // reads at 0, 1, 2, 3, 4, 5, 7, 11, 15.
        let two = PollTiming {
            fast_for: s(3),
            max_interval: s(4),
            ..fixed
        };
        let (requests, latency) = model_wait(&two, 14.0, &mut || 1.0);
        assert_eq!(requests, 10);
        assert!((latency - 1.0).abs() < 1e-9, "{latency}");
    }
}
