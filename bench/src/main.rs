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
mod clients;
mod cpu;
mod fixtures;
mod overhead;
mod paging;
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
    /// Every benchmark below, in order (about 5 minutes, most of it the cold build).
    All,
    /// Per-request overhead against plain reqwest.
    Overhead,
    /// Session sync: requests issued and detection latency per polling policy.
    Session,
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
    /// Session: seconds after the sync at which the session turns online (comma-separated).
    #[arg(
        long,
        global = true,
        value_delimiter = ',',
        default_value = "0.5,2,5,15"
    )]
    delays: Vec<f64>,
    /// Session: waits per policy and delay.
    #[arg(long, global = true, default_value_t = 5)]
    session_repeats: usize,
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

    fn session(&self) -> session::Options {
        session::Options {
            delays: self
                .delays
                .iter()
                .filter(|d| d.is_finite() && **d >= 0.0 && **d <= 300.0)
                .map(|d| Duration::from_secs_f64(*d))
                .collect(),
            repeats: self.session_repeats.max(1),
            timeout: Duration::from_secs(120),
        }
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
        let result = runtime.block_on(session::run(&server, args.session()));
        section("Session sync", result);
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
