//! Bulk sending against a rate-limited double of the API ([`crate::double`]): N messages, one
//! per recipient, from one device that may store R messages per second, with a share of the
//! answers lost after the message was stored. Each client runs alone, in turn, on its own
//! device (its own bucket) and its own connection pool and pacer. The answers lost are the
//! same for every client: the first answer to exactly `drop_fraction` of the recipients
//! (chosen by a seeded shuffle), and any later answer on a seeded draw. Each client is scored
//! on what the double holds at the end:
//!
//! - **rate ÷ R**: distinct recipients stored ÷ the client's elapsed time ÷ R. The bucket
//!   starts full, so the best possible is N ÷ ((N − R) ÷ R) ÷ R (1.05 for N = 1,000).
//! - **429s per message**: 429s the double answered ÷ N.
//! - **duplicates**: messages stored beyond the first for their recipient.
//! - **losses**: recipients with no message stored.
//! - **lookup GETs**: `GET /messages?reference[]=…` naming the device.
//!
//! The clients: (a) `send_many` (concurrency 8, every other default), (b) a sequential
//! `send_text` loop with every default, (c) a plain-reqwest loop ticking at exactly R per
//! second that resends once on any error (no SDK), (d) the `send_text` loop with pacing off and
//! no lookups, and (e) `send_many` in ten bursts 3 s apart. Every SDK client uses the library's
//! `MemoryPacer`, whose learned device rate is sampled every second. Row (e) checks the
//! pacer's idle rule (a 429 learns a rate only if the scope was busy since the previous one):
//! its **rate ÷ R, pauses excluded** divides by the elapsed time minus the pauses between
//! bursts.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sparkbot_api::pacing::{Scope, ScopeKind};
use sparkbot_api::{MemoryPacer, PaceStore, Pacing, SendPolicy, types};
use sparkbot_extras::{DeviceKey, SparkBot};

use crate::clients;
use crate::double::{ApiDouble, DeviceLog, Limits};
use crate::fixtures;
use crate::rng::SplitMix64;
use crate::stats::Table;

/// How much to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Messages per client, one per recipient.
    pub messages: usize,
    /// R: messages per second per device the double allows.
    pub rate: f64,
    /// Share of stored messages whose answer the double drops.
    pub drop_fraction: f64,
    /// Seed of the drop draws.
    pub seed: u64,
    /// `send_many`'s concurrency.
    pub concurrency: usize,
}

/// Bursts in the burst scenario, and the pause between two.
const BURSTS: usize = 10;
const BURST_PAUSE: Duration = Duration::from_secs(3);

/// One way of sending the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sender {
    SendMany,
    SendTextLoop,
    FixedRate,
    Unpaced,
    Bursts,
}

impl Sender {
    const ALL: [Sender; 5] = [
        Sender::SendMany,
        Sender::SendTextLoop,
        Sender::FixedRate,
        Sender::Unpaced,
        Sender::Bursts,
    ];

    fn label(self, options: &Options) -> String {
        match self {
            Sender::SendMany => format!(
                "(a) `send_many`, concurrency {}, default pacing and send policy",
                options.concurrency
            ),
            Sender::SendTextLoop => "(b) `send_text` loop, sequential, SDK defaults".to_owned(),
            Sender::FixedRate => {
                "(c) plain reqwest at exactly R/s, one resend on any error".to_owned()
            }
            Sender::Unpaced => {
                "(d) `send_text` loop, `Pacing::off()` + `SendPolicy::no_lookup()`".to_owned()
            }
            Sender::Bursts => format!(
                "(e) `send_many` in {BURSTS} bursts {} s apart, concurrency {}",
                BURST_PAUSE.as_secs(),
                options.concurrency
            ),
        }
    }

    /// Whether the client has a pacer whose learned rate is worth sampling.
    fn adaptive(self) -> bool {
        matches!(
            self,
            Sender::SendMany | Sender::SendTextLoop | Sender::Bursts
        )
    }

    /// The time the client spends pausing on purpose.
    fn pauses(self) -> Duration {
        match self {
            Sender::Bursts => BURST_PAUSE * (BURSTS as u32 - 1),
            _ => Duration::ZERO,
        }
    }
}

/// What one client did.
struct Outcome {
    sender: Sender,
    elapsed: Duration,
    /// Errors the client's code saw in the end (after the SDK's or its own retries).
    errors: usize,
    first_error: Option<String>,
    log: DeviceLog,
    started: Instant,
    /// The device scope's learned rate, sampled every second.
    learned: Vec<Option<f64>>,
}

/// Runs every client in turn against one double and returns the tables.
pub async fn run(options: Options) -> Result<String, String> {
    let double = ApiDouble::start(Limits {
        rate: options.rate,
        drop_fraction: options.drop_fraction,
        seed: options.seed,
    })
    .map_err(|e| format!("api double: {e}"))?;
    let phones: Vec<String> = (0..options.messages)
        .map(|i| format!("+447911{:06}", 100_000 + i))
        .collect();
    let dropped = drop_set(&phones, options.drop_fraction, options.seed);
    double.drop_first_answers(dropped.iter().map(|i| phones[*i].clone()));
    let mut outcomes = Vec::new();
    for (n, sender) in Sender::ALL.into_iter().enumerate() {
        let device = format!("{:024x}", 0xb0b0_0000_0000u64 + n as u64);
        outcomes.push(run_one(&double, sender, &device, &phones, &options).await?);
    }
    let mut out = table(&options, &outcomes);
    out.push('\n');
    out.push_str(&pacer_notes(&options, &outcomes));
    if double.unexpected() > 0 {
        return Err(format!(
            "the api double saw {} requests it has no route for\n\n{out}",
            double.unexpected()
        ));
    }
    let _ = writeln!(out, "\n(api double: {} requests served)", double.requests());
    Ok(out)
}

/// Runs one client on its own device, sampling its pacer's learned rate every second.
async fn run_one(
    double: &ApiDouble,
    sender: Sender,
    device: &str,
    phones: &[String],
    options: &Options,
) -> Result<Outcome, String> {
    let base = double.base_url();
    let started = Instant::now();
    let mut learned = Vec::new();
    let pacer = Arc::new(MemoryPacer::new());
    let result = {
        let work = send(sender, &base, device, phones, options, pacer.clone());
        let scope = Scope {
            kind: ScopeKind::Device,
            name: format!("device:{device}").into(),
        };
        let sampler = async {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                learned.push(pacer.learned_rate(&scope));
            }
        };
        tokio::select! {
            result = work => result,
            () = sampler => unreachable!("the sampler never ends"),
        }
    };
    let elapsed = started.elapsed();
    let (errors, first_error) = result?;
    Ok(Outcome {
        sender,
        elapsed,
        errors,
        first_error,
        log: double.log(device),
        started,
        learned,
    })
}

/// Exactly `fraction` of the recipients (rounded), chosen by a seeded partial Fisher–Yates
/// shuffle: the indices whose first answer the double drops.
fn drop_set(phones: &[String], fraction: f64, seed: u64) -> Vec<usize> {
    let count = ((phones.len() as f64 * fraction).round() as usize).min(phones.len());
    let mut rng = SplitMix64::new(seed);
    let mut indices: Vec<usize> = (0..phones.len()).collect();
    for i in 0..count {
        let j = i + (rng.next_u64() % (indices.len() - i) as u64) as usize;
        indices.swap(i, j);
    }
    indices.truncate(count);
    indices.sort_unstable();
    indices
}

/// An SDK client on the double, with its pacer in `pacer` (so the run can read what it
/// learned; the default is the same `MemoryPacer`, private to the client).
fn bot(
    base: &str,
    pacer: Arc<dyn PaceStore>,
    pacing: Pacing,
    policy: SendPolicy,
) -> Result<SparkBot, String> {
    let api = clients::config(base)?
        .with_pace_store(pacer)
        .with_pacing(pacing)
        .with_send_policy(policy)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(SparkBot::new(api))
}

type Errors = (usize, Option<String>);

fn note(errors: &mut Errors, error: impl std::fmt::Display) {
    errors.0 += 1;
    if errors.1.is_none() {
        errors.1 = Some(error.to_string());
    }
}

async fn send(
    sender: Sender,
    base: &str,
    device: &str,
    phones: &[String],
    options: &Options,
    pacer: Arc<dyn PaceStore>,
) -> Result<Errors, String> {
    let mut errors: Errors = (0, None);
    match sender {
        Sender::SendMany | Sender::Bursts => {
            let bot = bot(base, pacer, Pacing::default(), SendPolicy::default())?;
            let bursts = if sender == Sender::Bursts { BURSTS } else { 1 };
            let size = phones.len().div_ceil(bursts);
            for (i, chunk) in phones.chunks(size).enumerate() {
                if i > 0 {
                    tokio::time::sleep(BURST_PAUSE).await;
                }
                let items =
                    futures::stream::iter(chunk.iter().map(|p| (p.clone(), fixtures::TEXT)));
                let report = bot
                    .send_many(DeviceKey::Id(device.to_owned()), items)
                    .concurrency(options.concurrency)
                    .total(chunk.len())
                    .execute()
                    .await
                    .map_err(|e| format!("send_many: {e}"))?;
                for item in &report.items {
                    if let sparkbot_extras::bulk::ItemOutcome::Failed(e) = &item.outcome {
                        note(&mut errors, e);
                    }
                }
                if let Some(stop) = &report.stopped {
                    note(&mut errors, format!("batch stopped: {stop}"));
                }
            }
        }
        Sender::SendTextLoop | Sender::Unpaced => {
            let (pacing, policy) = if sender == Sender::Unpaced {
                (Pacing::off(), SendPolicy::no_lookup())
            } else {
                (Pacing::default(), SendPolicy::default())
            };
            let bot = bot(base, pacer, pacing, policy)?;
            for phone in phones {
                let key = DeviceKey::Id(device.to_owned());
                if let Err(e) = bot.send_text(key, phone, fixtures::TEXT).await {
                    note(&mut errors, e);
                }
            }
        }
        Sender::FixedRate => {
            let plain = clients::Plain::new(base)?;
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / options.rate));
            for phone in phones {
                let body: types::SendMessageRequest = serde_json::from_value(json!({
                    "device": device,
                    "phone": phone,
                    "message": fixtures::TEXT,
                }))
                .map_err(|e| e.to_string())?;
                tick.tick().await;
                if plain.send_message(&body).await.is_err()
                    && let Err(e) = plain.send_message(&body).await
                {
                    note(&mut errors, e);
                }
            }
        }
    }
    Ok(errors)
}

/// Stored copies per recipient: (distinct recipients stored, extra copies).
fn tally(log: &DeviceLog) -> (usize, usize) {
    let mut seen = std::collections::HashSet::new();
    let mut extra = 0;
    for stored in &log.stored {
        if !seen.insert(stored.phone.as_str()) {
            extra += 1;
        }
    }
    (seen.len(), extra)
}

fn table(options: &Options, outcomes: &[Outcome]) -> String {
    let n = options.messages as f64;
    let mut table = Table::new(&[
        "client",
        "stored (distinct)",
        "elapsed",
        "rate ÷ R",
        "rate ÷ R, pauses excluded",
        "429s",
        "429s per message",
        "answers dropped",
        "duplicates",
        "losses",
        "lookup GETs",
        "errors returned",
    ]);
    for o in outcomes {
        let (distinct, extra) = tally(&o.log);
        let rate = distinct as f64 / o.elapsed.as_secs_f64() / options.rate;
        let pauses = o.sender.pauses();
        let sending = o.elapsed.saturating_sub(pauses);
        let limited = o.log.limited.len();
        table.row(vec![
            o.sender.label(options),
            format!("{distinct} / {}", options.messages),
            if pauses.is_zero() {
                format!("{:.2} s", o.elapsed.as_secs_f64())
            } else {
                format!(
                    "{:.2} s ({} s pauses)",
                    o.elapsed.as_secs_f64(),
                    pauses.as_secs()
                )
            },
            format!("{rate:.3}"),
            if pauses.is_zero() {
                "—".to_owned()
            } else {
                format!(
                    "{:.3}",
                    distinct as f64 / sending.as_secs_f64() / options.rate
                )
            },
            limited.to_string(),
            format!("{:.3}", limited as f64 / n),
            o.log.dropped.to_string(),
            extra.to_string(),
            (options.messages - distinct.min(options.messages)).to_string(),
            o.log.lookups.to_string(),
            match &o.first_error {
                Some(e) => format!("{}: {}", o.errors, shorten(e)),
                None => o.errors.to_string(),
            },
        ]);
    }
    table.render()
}

fn shorten(e: &str) -> String {
    let line = e.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(60).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// When the 429s came (bursts: 429s less than 200 ms apart) and what the pacer learned.
fn pacer_notes(options: &Options, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        let mut bursts: Vec<(f64, usize)> = Vec::new();
        let mut last: Option<Instant> = None;
        for at in &o.log.limited {
            let t = at.saturating_duration_since(o.started).as_secs_f64();
            match (last, bursts.last_mut()) {
                (Some(prev), Some(burst))
                    if at.saturating_duration_since(prev).as_millis() < 200 =>
                {
                    burst.1 += 1;
                }
                _ => bursts.push((t, 1)),
            }
            last = Some(*at);
        }
        let bursts: Vec<String> = bursts
            .iter()
            .map(|(t, k)| format!("{t:.2} s ×{k}"))
            .collect();
        let _ = write!(
            out,
            "- {}: 429s at {}",
            o.sender.label(options),
            if bursts.is_empty() {
                "none".to_owned()
            } else {
                bursts.join(", ")
            }
        );
        if let Some(last) = o.log.stored.last() {
            let t = last.at.saturating_duration_since(o.started).as_secs_f64();
            let _ = write!(out, "; last message stored at {t:.2} s");
        }
        if o.sender.adaptive() {
            let every: Vec<String> = o
                .learned
                .iter()
                .step_by(2)
                .map(|r| r.map_or("none".to_owned(), |r| format!("{r:.1}")))
                .collect();
            let _ = write!(
                out,
                "; learned device rate (/s) at 1, 3, 5… s: {}",
                every.join(", ")
            );
        }
        out.push('\n');
    }
    out
}
