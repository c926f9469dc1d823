//! `cargo xtask spec-diff BASE HEAD`: classify spec changes as breaking,
//! non-breaking or unclassified for callers of the generated Rust client, and
//! fail (exit 1) on unacknowledged breaking ones. See `xtask/SPEC-DIFF.md`.
//!
//! Layout: [`load`] reads and validates each side. [`registry`] declares every
//! rule once. The comparison starts in [`operations`], which hands the parts of
//! each operation to [`parameters`], [`bodies`] and [`responses`], component
//! schemas to [`components`], and schemas to [`schema`] (the walk) and
//! [`schema_keywords`] (the keyword rules); all of them record into [`ctx`].
//! [`drift_check`] cross-checks with the `drift` crate, [`accept`] applies
//! acknowledgements, [`report`] renders.
//!
//! Dependencies run one way, with no cycle: `operations` -> `parameters`,
//! `bodies`, `responses`, `components`; `responses` -> `bodies`; `parameters`,
//! `bodies`, `responses` -> `schema` -> `schema_keywords`; all of these ->
//! `ctx` -> `registry` -> `model`.

mod accept;
mod bodies;
mod components;
mod ctx;
mod drift_check;
mod load;
mod model;
mod operations;
mod parameters;
mod registry;
mod report;
mod responses;
mod schema;
mod schema_keywords;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use model::Class;
use report::{Entry, Report, Summary};

/// Output formats.
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text, grouped by operation.
    #[default]
    Text,
    /// Machine-readable JSON.
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Command-line arguments of `spec-diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The base spec: a file (YAML or JSON) or `git:REV:PATH`.
    pub base: String,
    /// The new spec: a file (YAML or JSON) or `git:REV:PATH`.
    pub head: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Acknowledged breaking changes, one `METHOD /path: reason` a line (`#` comments allowed).
    #[arg(long, value_name = "FILE")]
    pub accept: Option<PathBuf>,
    /// The git repository `git:REV:PATH` sides are read from (default: the workspace root).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Also fail (exit 1) on unclassified changes.
    #[arg(long)]
    pub strict: bool,
    /// Skip the cross-check with the `drift` crate.
    #[arg(long)]
    pub no_drift: bool,
}

/// Runs the diff and returns the exit status: 0 when nothing unacknowledged is
/// breaking, 1 otherwise. Load and parse failures are `Err` (exit 2 in main).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let repo = args.repo.clone().unwrap_or_else(crate::workspace_root);
    let acceptances = match &args.accept {
        Some(path) => accept::read(path)?,
        None => Vec::new(),
    };
    let base = load::load(&args.base, &repo)?;
    let head = load::load(&args.head, &repo)?;

    let mut changes = operations::compare(&base.doc, &head.doc);
    let mut notes = Vec::new();
    if !args.no_drift {
        let drift = drift_check::cross_check(&base.doc, &head.doc, &changes);
        changes.extend(drift.extra);
        notes.extend(drift.note);
    }

    let mut used = BTreeSet::new();
    let mut summary = Summary::default();
    let entries: Vec<Entry> = changes
        .into_iter()
        .map(|change| {
            let accepted = if change.class == Class::Breaking {
                accept::find(&acceptances, &change.operation).map(|a| {
                    used.insert(a.line);
                    a.reason.clone()
                })
            } else {
                None
            };
            match change.class {
                Class::Breaking => summary.breaking += 1,
                Class::NonBreaking => summary.non_breaking += 1,
                Class::Unclassified => summary.unclassified += 1,
            }
            summary.accepted += usize::from(accepted.is_some());
            Entry { change, accepted }
        })
        .collect();
    let unused: Vec<_> = accept::unused(&acceptances, &used)
        .into_iter()
        .cloned()
        .collect();
    let failed = summary.breaking > summary.accepted || (args.strict && summary.unclassified > 0);
    let report = Report {
        base: base.origin,
        head: head.origin,
        summary,
        changes: entries,
        unused_acceptances: unused,
        notes,
        failed,
    };
    let rendered = match args.format {
        Format::Text => report.text(),
        Format::Json => report.json(),
        Format::Markdown => report.markdown(),
    };
    print!("{rendered}");
    if !matches!(args.format, Format::Text) {
        // Keep stale acceptance lines visible in CI logs whatever the format.
        for a in &report.unused_acceptances {
            eprintln!(
                "warning: acceptance line {} ({}) matched no breaking change; delete it",
                a.line, a.subject
            );
        }
    }
    Ok(if report.failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
