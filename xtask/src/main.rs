//! Maintainer tasks for sparkbot-rs: `generate` (and `--check`), `lint`, `spec-diff`.
//!
//! Run through the cargo alias: `cargo xtask <command>`.

mod catalogue;
mod constraints;
mod generate;
mod lint;
mod open_enums;
mod operation_facts;
mod operation_names;
mod overlay;
mod refs;
mod spec_diff;
mod spec_io;
mod spec_walk;
mod streams;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "sparkbot-rs maintainer tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate sparkbot-api/src/generated.rs, the typed httpmock mocks and the extras' list streams
    /// from the spec.
    Generate {
        /// Write nothing; exit 1 when a generated file is stale.
        #[arg(long)]
        check: bool,
        /// With --check: print a unified diff of each stale file.
        #[arg(short, long)]
        verbose: bool,
        /// The spec to read (relative to the workspace root).
        #[arg(long, default_value = "spec/sparkbot.yaml")]
        spec: PathBuf,
    },
    /// Check the spec against the project's rules (operation ids, tags, evidence, errors, actions).
    Lint {
        /// The spec to read (relative to the workspace root).
        #[arg(long, default_value = "spec/sparkbot.yaml")]
        spec: PathBuf,
    },
    /// Classify the changes between two specs and fail on unacknowledged breaking ones.
    SpecDiff(spec_diff::Args),
}

/// The workspace root: the parent of xtask's manifest directory.
///
/// Read at run time (`cargo run` sets `CARGO_MANIFEST_DIR`) before falling back to the value
/// compiled in, so a binary built in another checkout that shares the target directory still
/// works on the checkout it was run from.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate {
            check,
            verbose,
            spec,
        } => generate::run(&workspace_root().join(spec), check, verbose),
        Command::Lint { spec } => lint::run(&workspace_root().join(spec)),
        Command::SpecDiff(args) => spec_diff::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
