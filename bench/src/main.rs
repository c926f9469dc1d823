//! The sparkbot-rs benchmark suite. Run it with
//! `cargo run --release -p sparkbot-bench -- all`; see BENCHMARKS.md for what each number means.
//!
//! Every HTTP benchmark talks to an in-process loopback server ([`server`]) on 127.0.0.1 and
//! reports ratios against a baseline measured in the same process, interleaved, because the
//! machine it runs on is shared and absolute times are noisy.

#![forbid(unsafe_op_in_unsafe_fn)]

mod alloc;
mod clients;
mod fixtures;
mod overhead;
mod server;
mod stats;
mod trace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// sparkbot-rs benchmarks: each subcommand prints a markdown table.
#[derive(Debug, Parser)]
#[command(name = "sparkbot-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which benchmark to run.
#[derive(Debug, Subcommand)]
enum Command {
    /// Every benchmark below, in order.
    All(OverheadArgs),
    /// Per-request overhead against plain reqwest.
    Overhead(OverheadArgs),
}

/// Sizes of the overhead benchmark.
#[derive(Clone, Copy, Debug, clap::Args)]
struct OverheadArgs {
    /// Measured rounds per scenario (a warm-up round is added).
    #[arg(long, default_value_t = 15)]
    rounds: usize,
    /// Requests per client per round, sequential.
    #[arg(long, default_value_t = 1000)]
    sequential: usize,
    /// Requests per client per round, concurrent.
    #[arg(long, default_value_t = 2000)]
    concurrent: usize,
    /// Requests in flight in the concurrent scenarios.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
}

impl From<OverheadArgs> for overhead::Options {
    fn from(a: OverheadArgs) -> Self {
        overhead::Options {
            rounds: a.rounds.max(1),
            sequential: a.sequential.max(1),
            concurrent: a.concurrent.max(1),
            in_flight: a.in_flight.max(1),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sparkbot-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), String> {
    let tracing = trace::Tracing::install()?;
    let server = server::Server::start().map_err(|e| format!("loopback server: {e}"))?;
    // The client runs on this thread, the server on its own: one core each on a 2-core machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let base = server.base_url();
    match command {
        Command::All(args) | Command::Overhead(args) => {
            println!("## Per-request overhead\n");
            let table = runtime.block_on(overhead::run(&base, &tracing, args.into()))?;
            println!("{table}");
        }
    }
    if server.unexpected() > 0 {
        return Err(format!(
            "the loopback server saw {} requests it has no route for",
            server.unexpected()
        ));
    }
    Ok(())
}
