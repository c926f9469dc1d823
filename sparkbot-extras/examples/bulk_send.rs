//! Sends one text to every phone number of a file, once each, at the pace the API allows.
//!
//! ```text
//! cargo run -p sparkbot-extras --example bulk_send -- <device id|phone|alias> <file> <text>
//! ```
//!
//! The file holds one phone number per line (any common form; blank lines and lines starting
//! with `#` are ignored). Reads `SPARKBOT_API_KEY` and `SPARKBOT_BASE_URL`; with no key it runs
//! against an in-process SparkBot double (devices `sales`, `support`, `new-phone`), so nothing
//! is sent anywhere.
//!
//! Safe to run again on the same file after an interruption (Ctrl-C, a kill, a crash, a lost
//! connection): each send is recorded in `<file>.sparkbot-journal` (synced to disk before it
//! goes out), and the batch is named by the
//! device, the file's path and the text, so a rerun skips every number already sent (no
//! request), looks up the few that were in flight (one `GET` each) and sends the rest.
//! Changing the text makes a new batch.
//!
//! Output, for scripts:
//! - stderr: progress (a bar on a terminal, a line per 10 % otherwise), each failure with its
//!   line number, and why the batch stopped, if it did;
//! - stdout: one summary line, `sent N, failed M, skipped K` (skipped: duplicates, numbers sent
//!   by an earlier run, and numbers not reached because the batch stopped).
//!
//! Exit status: 0 when every number is sent (now or by an earlier run); 1 when some failed or
//! the batch stopped; 2 for wrong arguments or an unreadable file; 3 when some outcome is
//! unknown (a message may have been sent: a rerun settles it). Ctrl-C ends the process at
//! once, as a crash would; the journal makes that safe.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sparkbot_extras::bulk::journal::FileJournal;
use sparkbot_extras::bulk::{BulkReport, ItemOutcome, ItemReport, Progress};
use sparkbot_extras::sparkbot_api::{ApiKey, ClientConfig};
use sparkbot_extras::{Error, SparkBot};
use sparkbot_testkit::Simulator;

const USAGE: &str = "usage: bulk_send <device id|phone|alias> <file> <text>";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [device, file, text] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let recipients = match read_recipients(Path::new(file)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    match run(device, Path::new(file), text, recipients).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The file's numbers, each with its line number (from 1).
fn read_recipients(path: &Path) -> std::io::Result<Vec<(usize, String)>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim().to_owned()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .collect())
}

async fn run(
    device: &str,
    file: &Path,
    text: &str,
    recipients: Vec<(usize, String)>,
) -> Result<ExitCode, Error> {
    let bot = connect().await?;
    let journal_path = journal_path(file);
    let journal = FileJournal::open(&journal_path)?;
    eprintln!("journal: {}", journal_path.display());
    let total = recipients.len();
    let lines: Vec<usize> = recipients.iter().map(|(line, _)| *line).collect();
    let items = futures::stream::iter(recipients.into_iter().map(|(_, phone)| (phone, text)));
    let mut bar = ProgressOutput::new(total);
    let mut failures = Vec::new();
    let report = bot
        .send_many(device, items)
        .batch_id(batch_id(device, file, text))
        .journal(journal)
        .concurrency(8)
        .total(total)
        .on_item(|item| {
            if let ItemOutcome::Failed(e) = &item.outcome {
                failures.push(describe_failure(item, lines[item.index], e));
            }
        })
        .on_progress(|p| bar.show(p))
        .execute()
        .await?;
    bar.finish();
    for failure in &failures {
        eprintln!("{failure}");
    }
    if let Some(cause) = &report.stopped {
        eprintln!("stopped: {cause}");
    }
    let skipped = report.skipped + (total - report.items.len());
    println!(
        "sent {}, failed {}, skipped {skipped}",
        report.sent, report.failed
    );
    Ok(exit_code(&report))
}

fn describe_failure(item: &ItemReport, line: usize, e: &Error) -> String {
    let note = if e.is_outcome_unknown() {
        " (may have been sent: run again to settle it)"
    } else {
        ""
    };
    format!("line {line}: {}: {e}{note}", item.recipient)
}

fn exit_code(report: &BulkReport) -> ExitCode {
    if report.all_sent() {
        return ExitCode::SUCCESS;
    }
    let unknown = report
        .items
        .iter()
        .any(|i| matches!(&i.outcome, ItemOutcome::Failed(e) if e.is_outcome_unknown()));
    if unknown {
        ExitCode::from(3)
    } else {
        ExitCode::FAILURE
    }
}

fn journal_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sparkbot-journal");
    PathBuf::from(name)
}

/// Names the batch by what makes it the same batch: the device, the file and the text.
fn batch_id(device: &str, file: &Path, text: &str) -> String {
    let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_owned());
    format!("bulk_send\n{device}\n{}\n{text}", path.display())
}

/// A bar that redraws in place on a terminal, or a line per 10 % when stderr is not one.
struct ProgressOutput {
    total: usize,
    terminal: bool,
    next_tenth: usize,
}

impl ProgressOutput {
    fn new(total: usize) -> Self {
        Self {
            total,
            terminal: std::io::stderr().is_terminal(),
            next_tenth: 1,
        }
    }

    fn show(&mut self, p: &Progress) {
        let total = self.total.max(1);
        let percent = p.done * 100 / total;
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let filled = p.done * 30 / total;
            let _ = write!(
                err,
                "\r[{}{}] {percent:>3}% {}/{} sent {} failed {} skipped {}",
                "#".repeat(filled),
                " ".repeat(30 - filled.min(30)),
                p.done,
                self.total,
                p.sent,
                p.failed,
                p.skipped
            );
            let _ = err.flush();
            return;
        }
        while self.next_tenth <= 10 && percent >= self.next_tenth * 10 {
            let _ = writeln!(
                err,
                "progress: {}% ({}/{}; sent {}, failed {}, skipped {})",
                self.next_tenth * 10,
                p.done,
                self.total,
                p.sent,
                p.failed,
                p.skipped
            );
            self.next_tenth += 1;
        }
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

/// The real API when a key is set, the in-process double otherwise.
async fn connect() -> Result<SparkBot, Error> {
    let demo = std::env::var("SPARKBOT_API_KEY").map_or(true, |k| k.trim().is_empty());
    if !demo {
        return SparkBot::from_env();
    }
    let sim = Simulator::try_start()
        .await
        .map_err(|e| Error::Other(format!("cannot start the demo double: {e}")))?
        .leak();
    let root = sim.base_url();
    eprintln!("No SPARKBOT_API_KEY set: using the in-process SparkBot double at {root}");
    Ok(SparkBot::new(
        ClientConfig::new(root, ApiKey::new(sim.api_key())?).build()?,
    ))
}
