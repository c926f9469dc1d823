//! The sparkbot-rs benchmark suite. Run it with
//! `cargo run --release -p sparkbot-bench -- all`; see BENCHMARKS.md for what each number means.
//!
//! Every HTTP benchmark talks to an in-process loopback server ([`server`]) on 127.0.0.1 and
//! reports ratios against a baseline measured in the same process, interleaved, because the
//! machine it runs on is shared and absolute times are noisy.

#![forbid(unsafe_op_in_unsafe_fn)]

mod alloc;
mod breakdown;
mod build;
mod bulk;
mod clients;
mod cpu;
mod double;
mod fixtures;
mod overhead;
mod paging;
mod rng;
mod server;
mod session;
mod stats;
mod trace;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// sparkbot-rs benchmarks: each subcommand prints a markdown table.
#[derive(Debug, Parser)]
#[command(name = "sparkbot-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    args: Args,
}

/// Which benchmark to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
enum Command {
    /// Every benchmark below, in order (about 8 minutes: the cold build and bulk are most of it).
    All,
    /// Per-request overhead against plain reqwest.
    Overhead,
    /// Session sync: requests issued and detection latency per polling policy, for sessions
    /// turning online at seeded random moments.
    Session,
    /// Bulk sending against a rate-limited API double that loses some answers: rate, 429s,
    /// duplicates and losses per client.
    Bulk,
    /// Pagination: pages/s and peak heap, streaming versus collecting.
    Paging,
    /// Generation time, generated lines, cold and incremental builds, rebuild isolation.
    Build,
}

/// Sizes of the benchmarks (defaults are the ones BENCHMARKS.md reports).
#[derive(Clone, Debug, clap::Args)]
struct Args {
    /// Overhead: measured rounds per scenario (a warm-up round is added).
    #[arg(long, global = true, default_value_t = 15)]
    rounds: usize,
    /// Overhead: requests per client per round, sequential.
    #[arg(long, global = true, default_value_t = 1000)]
    sequential: usize,
    /// Overhead: requests per client per round, concurrent.
    #[arg(long, global = true, default_value_t = 2000)]
    concurrent: usize,
    /// Overhead: requests in flight in the concurrent scenarios.
    #[arg(long, global = true, default_value_t = 64)]
    in_flight: usize,
    /// Session: also run the earlier fixed-delay table, the session turning online these many
    /// seconds after the sync (comma-separated, e.g. `0.5,2,5,15`).
    #[arg(long, global = true, value_delimiter = ',')]
    delays: Vec<f64>,
    /// Session: waits per policy and delay in the fixed-delay table.
    #[arg(long, global = true, default_value_t = 5)]
    session_repeats: usize,
    /// Session: random trials run for real (each policy waits on each trial).
    #[arg(long, global = true, default_value_t = 200)]
    trials: usize,
    /// Session: the session turns online at a moment uniform in (0, this many seconds).
    #[arg(long, global = true, default_value_t = 15.0)]
    within: f64,
    /// Session: trials of the schedule model.
    #[arg(long, global = true, default_value_t = 100_000)]
    model_trials: usize,
    /// Session: milliseconds between the starts of two waits.
    #[arg(long, global = true, default_value_t = 5)]
    stagger_ms: u64,
    /// Session: `sync_session` timings run for real besides the default, as
    /// `min:fast_max` seconds (minimum interval and fast-phase maximum; comma-separated).
    #[arg(long, global = true, value_delimiter = ',', default_value = "1:2")]
    poll_alternatives: Vec<String>,
    /// Session and bulk: seed of the random draws (flip moments, dropped answers).
    #[arg(long, global = true, default_value_t = 20_260_601)]
    seed: u64,
    /// Bulk: messages per client.
    #[arg(long, global = true, default_value_t = 1000)]
    messages: usize,
    /// Bulk: R, messages per second per device the double allows.
    #[arg(long, global = true, default_value_t = 50.0)]
    rate: f64,
    /// Bulk: share of stored messages whose answer the double drops.
    #[arg(long, global = true, default_value_t = 0.03)]
    drop_fraction: f64,
    /// Bulk: `send_many` concurrency.
    #[arg(long, global = true, default_value_t = 8)]
    bulk_concurrency: usize,
    /// Paging: items in the listing.
    #[arg(long, global = true, default_value_t = 100_000)]
    items: u64,
    /// Paging: runs per reader.
    #[arg(long, global = true, default_value_t = 3)]
    paging_repeats: usize,
    /// Build: skip the cold build.
    #[arg(long, global = true)]
    skip_cold: bool,
    /// Build: keep the scratch copy of the workspace.
    #[arg(long, global = true)]
    keep_scratch: bool,
}

impl Args {
    fn overhead(&self) -> overhead::Options {
        overhead::Options {
            rounds: self.rounds.max(1),
            sequential: self.sequential.max(1),
            concurrent: self.concurrent.max(1),
            in_flight: self.in_flight.max(1),
        }
    }

    fn session(&self) -> Result<session::Options, String> {
        let seconds = |d: f64| {
            (0.0..=300.0)
                .contains(&d)
                .then(|| Duration::from_secs_f64(d))
        };
        let alternatives = self
            .poll_alternatives
            .iter()
            .filter(|a| !a.trim().is_empty())
            .map(|a| {
                let parsed = a.split_once(':').and_then(|(min, max)| {
                    let min = seconds(min.trim().parse().ok()?)?;
                    let max = seconds(max.trim().parse().ok()?)?;
                    (!min.is_zero()).then_some((min, max))
                });
                parsed.ok_or_else(|| {
                    format!("--poll-alternatives: {a:?} is not min:fast_max seconds")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(session::Options {
            trials: self.trials.max(1),
            within: seconds(self.within)
                .filter(|w| !w.is_zero())
                .ok_or("--within must be in (0, 300] seconds")?,
            seed: self.seed,
            stagger: Duration::from_millis(self.stagger_ms),
            alternatives,
            model_trials: self.model_trials.max(1),
            delays: self.delays.iter().filter_map(|d| seconds(*d)).collect(),
            repeats: self.session_repeats.max(1),
            timeout: Duration::from_secs(120),
        })
    }

    fn bulk(&self) -> Result<bulk::Options, String> {
        if !(self.rate.is_finite() && self.rate >= 1.0) {
            return Err("--rate must be at least 1 message per second".to_owned());
        }
        if !(0.0..1.0).contains(&self.drop_fraction) {
            return Err("--drop-fraction must be in [0, 1)".to_owned());
        }
        Ok(bulk::Options {
            messages: self.messages.max(1),
            rate: self.rate,
            drop_fraction: self.drop_fraction,
            seed: self.seed,
            concurrency: self.bulk_concurrency.max(1),
        })
    }

    fn paging(&self) -> paging::Options {
        paging::Options {
            items: self.items,
            page_size: 50,
            repeats: self.paging_repeats.max(1),
        }
    }

    fn build(&self) -> build::Options {
        build::Options {
            workspace: build::default_workspace(),
            keep: self.keep_scratch,
            skip_cold: self.skip_cold,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command, &cli.args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sparkbot-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, args: &Args) -> Result<(), String> {
    let all = command == Command::All;
    let tracing = trace::Tracing::install()?;
    let server = server::Server::start().map_err(|e| format!("loopback server: {e}"))?;
    // The client runs on this thread, the server on its own: one core each on a 2-core machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let base = server.base_url();
    let mut failures = Vec::new();
    let mut section = |title: &str, result: Result<String, String>| {
        println!("## {title}\n");
        match result {
            Ok(table) => println!("{table}"),
            Err(e) => {
                println!("FAILED: {e}\n");
                failures.push(title.to_owned());
            }
        }
    };
    if all || command == Command::Overhead {
        let result = runtime.block_on(overhead::run(&base, &tracing, args.overhead()));
        section("Per-request overhead", result);
        section(
            "Per-request overhead: where the SDK's extra time goes",
            breakdown::run(&base),
        );
    }
    if all || command == Command::Session {
        let result = match args.session() {
            Ok(options) => runtime.block_on(session::run(&server, options)),
            Err(e) => Err(e),
        };
        section("Session sync", result);
    }
    if all || command == Command::Bulk {
        let result = match args.bulk() {
            Ok(options) => runtime.block_on(bulk::run(options)),
            Err(e) => Err(e),
        };
        section("Bulk sending against a rate limit", result);
    }
    if all || command == Command::Paging {
        let result = runtime.block_on(paging::run(&server, args.paging()));
        section("Pagination", result);
    }
    if all || command == Command::Build {
        section("Build and generation", build::run(&args.build()));
    }
    println!(
        "(loopback server: {} requests served, {} without a route)",
        server.requests(),
        server.unexpected()
    );
    if server.unexpected() > 0 {
        failures.push(format!(
            "the loopback server saw {} requests it has no route for",
            server.unexpected()
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failures.join(", ")))
    }
}
